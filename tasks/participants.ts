/**
 * Operator tasks for the participant registry:
 *   participants:register    --kind provider --metadata <0x… | profile.json> --admin <address>
 *   participants:add-member  --org 1 --account <address> [--admin]         (run as an org admin)
 *   participants:suspend     --org 1                                        (pauser)
 *   participants:show        --org 1 | --account <address>
 * Every task takes --from <index | address> to choose the signer.
 */
import { task, types } from "hardhat/config";
import { connectSdk, idOptions, printJson, readMetadata, withAccounts } from "./support";

task("participants:register", "Registers an organization with its first admin (registrar)")
  .addParam("kind", "provider, lab, pharmacy, insurer, researcher or regulator")
  .addParam("metadata", "the profile commitment (0x + 32 bytes) or a JSON profile file to commit")
  .addParam("admin", "the organization's first admin: an address or an account index")
  .addOptionalParam("from", "signer: an account index or address", undefined, types.string)
  .setAction(async (given: { kind: string; metadata: string; admin: string; from?: string }, hre) => {
    const args = await withAccounts(hre, given, ["admin"]);
    const profile = readMetadata(args.metadata);
    const cl = await connectSdk(hre, args.from);
    const handle = await cl.participants.registerOrganization({ kind: args.kind as never, metadata: profile, admin: args.admin });
    const { orgId, kind, admin, metadata, receipt } = await handle.wait();
    const { orgKindName } = await import("../sdk");
    printJson({ orgId, kind: orgKindName(kind), admin, metadata, tx: receipt.hash, gasUsed: receipt.gasUsed });
  });

task("participants:add-member", "Adds a member to an organization (an admin of that organization)")
  .addParam("org", "the organization id")
  .addParam("account", "the account to add: an address or an account index")
  .addFlag("admin", "make the new member an admin of the organization")
  .addOptionalParam("from", "signer: an account index or address", undefined, types.string)
  .setAction(async (given: { org: string; account: string; admin: boolean; from?: string }, hre) => {
    const args = await withAccounts(hre, given, ["account"]);
    await idOptions(args, ["org"]);
    const cl = await connectSdk(hre, args.from);
    const { orgId, account, isAdmin, receipt } = await (await cl.participants.addMember({ orgId: args.org, account: args.account, isAdmin: args.admin })).wait();
    printJson({ orgId, account, isAdmin, tx: receipt.hash, gasUsed: receipt.gasUsed });
  });

task("participants:suspend", "Suspends an organization: all its members lose access at once (pauser)")
  .addParam("org", "the organization id")
  .addOptionalParam("from", "signer: an account index or address", undefined, types.string)
  .setAction(async (args: { org: string; from?: string }, hre) => {
    await idOptions(args, ["org"]);
    const cl = await connectSdk(hre, args.from);
    const { orgId, receipt } = await (await cl.participants.suspend({ orgId: args.org })).wait();
    printJson({ orgId, suspended: true, tx: receipt.hash, gasUsed: receipt.gasUsed });
  });

task("participants:show", "Shows an organization and its members, or an account's membership")
  .addOptionalParam("org", "the organization id; required unless --account is given", undefined, types.string)
  .addOptionalParam("account", "an account: an address or an account index; required unless --org is given", undefined, types.string)
  .setAction(async (given: { org?: string; account?: string }, hre) => {
    const args = await withAccounts(hre, given, ["account"]);
    const { orgKindName, ValidationError } = await import("../sdk");
    if (!args.org && !args.account) throw new ValidationError("org", "give --org <id> or --account <address>");
    await idOptions(args, ["org"]);
    const cl = await connectSdk(hre);
    if (args.org) {
      const org = await cl.participants.organization(args.org);
      const members = await cl.participants.members(args.org);
      printJson({ ...org, kind: orgKindName(org.kind), members: members.map((m) => ({ account: m.account, isAdmin: m.isAdmin, since: m.since })) });
    }
    if (args.account) {
      const m = await cl.participants.membership(args.account);
      const { active } = await cl.participants.isActiveMember(args.account);
      printJson({ ...m, kind: orgKindName(m.kind), active });
    }
  });
