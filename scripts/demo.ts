/**
 * `npm run demo`: one patient's story on CareLedger, told on the in-process chain (or, with
 * `npm run demo -- --network localhost`, against a running `npm run node`).
 *
 * Every actor is a fresh wallet funded by the local development account, so the story can be told
 * again and again against the same node. Everything goes through the SDK, as an integrator would.
 */
import hre from "hardhat";
import { HDNodeWallet, parseEther, type Signer } from "ethers";
import { deploySuite } from "./deploy";
import { Story } from "./demo/story";
import { CareLedger, orgKindName, type AddressBook } from "../sdk";

/** A fresh actor with a little ETH for gas (patients get none: they only sign). */
async function actor(funder: Signer, eth = "1"): Promise<HDNodeWallet> {
  const wallet = HDNodeWallet.createRandom().connect(hre.ethers.provider);
  if (eth !== "0") await (await funder.sendTransaction({ to: wallet.address, value: parseEther(eth) })).wait();
  return wallet;
}

/** The local account holding `role`, among the node's unlocked accounts. */
async function holderOf(cl: CareLedger, role: "REGISTRAR" | "PAUSER"): Promise<Signer> {
  for (const signer of await hre.ethers.getSigners()) {
    const { isMember, executionDelay } = await cl.governance.hasRole(role, signer.address);
    if (isMember && executionDelay === 0) return signer;
  }
  throw new Error(`no local account holds the ${role} role without a delay: deploy with the defaults (npm run deploy) first`);
}

async function main(): Promise<void> {
  const story = new Story();
  const [deployer] = await hre.ethers.getSigners();

  story.chapter("1. The suite is deployed");
  const { book, deployed } = await deploySuite(hre, { log: () => undefined });
  story.say(deployed ? `Deployed CareLedger ${book.version} on chain ${book.chainId} (${hre.network.name}).` : `Found CareLedger ${book.version} already deployed on chain ${book.chainId}.`);
  const operator = await CareLedger.connect(deployer, { addressBook: book });
  const registrar = await CareLedger.connect(await holderOf(operator, "REGISTRAR"), { addressBook: book });

  story.chapter("2. The registrar onboards a hospital, a lab and an insurer");
  const orgs = [
    { kind: "provider", profile: { name: "Riverside General Hospital", licence: "HOSP-4411", contact: "it@riverside.example" } },
    { kind: "lab", profile: { name: "Northgate Clinical Laboratory", licence: "CLIA-22D0999999", contact: "ops@northgate.example" } },
    { kind: "insurer", profile: { name: "Harbor Mutual Health", licence: "NAIC-99999", contact: "claims@harbor.example" } },
  ] as const;
  const onboarded: { name: string; orgId: bigint; admin: HDNodeWallet; staff: HDNodeWallet }[] = [];
  for (const org of orgs) {
    const admin = await actor(deployer);
    const staff = await actor(deployer);
    const registered = await (await registrar.participants.registerOrganization({ kind: org.kind, metadata: org.profile, admin: admin.address })).wait();
    story.cost(`participants: register ${org.kind}`, registered);
    const asAdmin = await CareLedger.connect(admin, { addressBook: book });
    story.cost(`participants: add ${org.kind} member`, await (await asAdmin.participants.addMember({ orgId: registered.orgId, account: staff.address })).wait());
    story.say(`${org.profile.name} is organization ${registered.orgId} (${org.kind}); its admin ${short(admin.address)} added ${short(staff.address)} as a member.`);
    story.say(`  Its public profile is published off chain; only its commitment ${short(registered.metadata)} is on chain.`);
    onboarded.push({ name: org.profile.name, orgId: registered.orgId, admin, staff });
  }

  story.chapter("3. Everyone can ask the registry who is who");
  for (const { name, staff } of onboarded) {
    const m = await operator.participants.isActiveMember(staff.address);
    story.say(`${short(staff.address)}: active=${m.active}, organization ${m.orgId} (${orgKindName(m.kind)}) — ${name}`);
  }
  const stranger = HDNodeWallet.createRandom();
  const none = await operator.participants.isActiveMember(stranger.address);
  story.say(`${short(stranger.address)} (nobody's account): active=${none.active}, organization ${none.orgId}`);

  printAddressBook(book);
  story.printLedger();
}

function short(hex: string): string {
  return `${hex.slice(0, 8)}…${hex.slice(-4)}`;
}

function printAddressBook(book: AddressBook): void {
  console.log(`\n== Address book (chain ${book.chainId}, from block ${book.deploymentBlock}) ==`);
  for (const [name, address] of Object.entries(book.contracts)) console.log(`  ${name.padEnd(22)} ${address}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
