/**
 * Governance tasks:
 *   governance:roles     --account <address>                       which suite roles an account holds
 *   governance:handover  --to <multisig|timelock> [--delay <s>]    hand the admin role over, then renounce it
 */
import { task, types } from "hardhat/config";
import { connectSdk, printJson, withAccounts } from "./support";

task("governance:roles", "Shows which suite roles an account holds, and with which execution delay")
  .addParam("account", "the account: an address or an account index")
  .setAction(async (given: { account: string }, hre) => {
    const args = await withAccounts(hre, given, ["account"]);
    const { Role } = await import("../sdk");
    const cl = await connectSdk(hre);
    const roles: Record<string, { isMember: boolean; executionDelay: number }> = {};
    for (const name of Object.keys(Role) as (keyof typeof Role)[]) roles[name] = await cl.governance.hasRole(name, args.account);
    printJson({ account: args.account, roles });
  });

task("governance:handover", "Grants the admin role to a multisig or timelock, then renounces it from the current admin")
  .addParam("to", "the new admin (a multisig or a timelock contract)")
  .addOptionalParam("delay", "execution delay of the new admin, in seconds", 0, types.int)
  .addOptionalParam("from", "signer: the current admin (index or address)", undefined, types.string)
  .setAction(async (given: { to: string; delay: number; from?: string }, hre) => {
    const args = await withAccounts(hre, given, ["to"]);
    const { CareLedgerError } = await import("../sdk");
    const cl = await connectSdk(hre, args.from);
    const self = await (cl.runner as { getAddress(): Promise<string> }).getAddress();
    const current = await cl.governance.hasRole("ADMIN", self);
    if (!current.isMember) throw new CareLedgerError("NOT_ADMIN", `${self} does not hold the admin role: run this as the current admin (--from)`);
    if (current.executionDelay > 0) {
      throw new CareLedgerError(
        "ADMIN_DELAYED",
        `${self} has a ${current.executionDelay} s admin delay: schedule grantRole and renounceRole through governance.schedule instead`,
      );
    }
    const granted = await (await cl.governance.grantRole({ role: "ADMIN", account: args.to, executionDelay: args.delay })).wait();
    const renounced = await (await cl.governance.renounceRole({ role: "ADMIN", self })).wait();
    printJson({ newAdmin: granted.account, executionDelay: granted.executionDelay, renouncedBy: self, txs: [granted.receipt.hash, renounced.receipt.hash] });
  });
