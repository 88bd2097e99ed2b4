/**
 * `npm run demo`: one patient's story on CareLedger, told on the in-process chain (or, with
 * `npm run demo -- --network localhost`, against a running `npm run node`).
 *
 * It reads real data: Raymon Kris's Synthea bundle and HL7's Consent examples (test/fixtures/fhir).
 * Every actor is a fresh wallet (funded by the local development account, except the patient, who
 * holds no ETH and only signs), so the story can be told again and again against the same node.
 * Everything goes through the SDK, as an integrator would.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";
import hre from "hardhat";
import { HDNodeWallet, Wallet, formatUnits, hexlify, keccak256, parseEther, randomBytes, toUtf8Bytes, type Signer } from "ethers";
import { deploySuite } from "./deploy";
import { Story } from "./demo/story";
import {
  CareLedger,
  ClaimStatus,
  PasskeySigner,
  PatientAccountClient,
  RelayerClient,
  addPasskeyCall,
  breakGlassOptOutCall,
  ContractRevertError,
  claimsIn,
  consentDocumentCommitment,
  fromFhirClaim,
  fromFhirConsent,
  newSalt,
  orgKindName,
  planFromJson,
  toExplanationOfBenefit,
  toUnits,
  type AddressBook,
  type ClaimSubmission,
  type FhirResource,
} from "../sdk";
import { MockStablecoin__factory } from "../typechain-types";
import { ACCOUNT_SYSTEM } from "../sdk/core/fhirSystems";
import { ExchangeError } from "../sdk/exchange/client";
import { AnchorWorker } from "../gateway/anchor";
import { openDatabase } from "../gateway/db";
import { LocalKeyProvider } from "../gateway/keys";
import { freePort } from "../gateway/net";
import { ReceiptPublisher } from "../gateway/publish";
import { buildGateway } from "../gateway/server";
import { buildIndexerApi } from "../indexer/api";
import { openIndexerDatabase } from "../indexer/db";
import { Indexer } from "../indexer/sync";
import { openRelayerDatabase } from "../relayer/db";
import { buildRelayer } from "../relayer/server";
import { SoftAuthenticator } from "../test/support/softAuthenticator";

const FIXTURES = path.resolve(__dirname, "..", "test", "fixtures");
const BUNDLE = path.join(FIXTURES, "fhir", "synthea", "Raymon_Kris_ca5da59f-0a70-470d-8b20-a1c847ff9010.json");
const CONSENTS = path.join(FIXTURES, "fhir", "consent");
const PLAN = path.join(FIXTURES, "plans", "demo-plan.json");
const DAY = 86_400;

/** A fresh actor with some ETH for gas; `eth` "0" for one that only signs. */
async function actor(funder: Signer, eth = "10"): Promise<HDNodeWallet> {
  const wallet = HDNodeWallet.createRandom().connect(hre.ethers.provider);
  if (eth !== "0") await (await funder.sendTransaction({ to: wallet.address, value: parseEther(eth) })).wait();
  return wallet;
}

/** The local account holding `role` without a delay, among the node's unlocked accounts. */
async function holderOf(cl: CareLedger, role: "REGISTRAR" | "PAUSER" | "CONFIGURATOR"): Promise<Signer> {
  for (const signer of await hre.ethers.getSigners()) {
    const { isMember, executionDelay } = await cl.governance.hasRole(role, signer.address);
    if (isMember && executionDelay === 0) return signer;
  }
  throw new Error(`no local account holds the ${role} role without a delay: deploy with the defaults (npm run deploy) first`);
}

/** "1 member", "2 members". */
const count = (n: number | bigint, one: string, many = `${one}s`) => `${n} ${BigInt(n) === 1n ? one : many}`;
const short = (hex: string) => `${hex.slice(0, 8)}…${hex.slice(-4)}`;
const usd = (units: bigint) => `$${Number(formatUnits(units, 6)).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;

/**
 * Tells the whole story on `hre`'s network. The privacy scan (test/privacy) runs it and then reads
 * every byte it put on chain.
 * @returns the address book of the suite it ran on
 */
export async function tellStory(story: Story = new Story()): Promise<AddressBook> {
  const [deployer] = await hre.ethers.getSigners();
  const now = async () => (await hre.ethers.provider.getBlock("latest"))!.timestamp;

  // ------------------------------------------------------------------------------------------
  story.chapter("1. The suite is deployed");
  const { book, deployed } = await deploySuite(hre, { log: () => undefined });
  story.say(
    deployed
      ? `Deployed CareLedger ${book.version} on chain ${book.chainId} (${hre.network.name}): ${Object.keys(book.contracts).join(", ")}.`
      : `Found CareLedger ${book.version} already deployed on chain ${book.chainId}.`,
  );
  const connect = (runner: Signer) => CareLedger.connect(runner, { addressBook: book });
  const ids: DemoIds = { chainId: book.chainId, network: hre.network.name, contracts: book.contracts, organizations: [], claims: [] };
  const operator = await connect(deployer);
  const registrar = await connect(await holderOf(operator, "REGISTRAR"));
  const configurator = await connect(await holderOf(operator, "CONFIGURATOR"));

  // ------------------------------------------------------------------------------------------
  story.chapter("2. The registrar onboards a hospital, a lab, an insurer and a research institute");
  const onboard = async (kind: "provider" | "lab" | "insurer" | "researcher", profile: Record<string, string>, staff: number) => {
    const admin = await actor(deployer);
    const registered = await (await registrar.participants.registerOrganization({ kind, metadata: profile, admin: admin.address })).wait();
    story.cost(`participants: register an organization`, registered);
    const asAdmin = await connect(admin);
    const members: HDNodeWallet[] = [];
    for (let i = 0; i < staff; i++) {
      const m = await actor(deployer);
      story.cost(`participants: add a member`, await (await asAdmin.participants.addMember({ orgId: registered.orgId, account: m.address })).wait());
      members.push(m);
    }
    story.say(`${profile.name}: organization ${registered.orgId} (${kind}), admin ${short(admin.address)}, ${count(staff, "member")}. On chain: its profile's commitment ${short(registered.metadata)} only.`);
    ids.organizations.push({ orgId: registered.orgId.toString(), kind, name: profile.name, admin: admin.address, members: members.map((m) => m.address) });
    return { orgId: registered.orgId, admin, members, client: asAdmin };
  };
  const hospital = await onboard("provider", { name: "Riverside General Hospital", licence: "HOSP-4411" }, 2);
  const lab = await onboard("lab", { name: "Northgate Clinical Laboratory", licence: "CLIA-22D0999999" }, 1);
  const insurer = await onboard("insurer", { name: "Harbor Mutual Health", licence: "NAIC-99999" }, 2);
  const institute = await onboard("researcher", { name: "Lakeside Research Institute", licence: "IRB-00001" }, 1);
  const [doctor, nurse] = hospital.members;
  const [labTech] = lab.members;
  const [adjuster, seniorAdjuster] = insurer.members;
  const [scientist] = institute.members;

  // ------------------------------------------------------------------------------------------
  story.chapter("3. The patient, holding no ETH, consents from an HL7 Consent resource; a relayer submits it");
  const patient = await actor(deployer, "0");
  ids.patient = patient.address;
  const relayerWallet = await actor(deployer);
  const relayer = await connect(relayerWallet);
  const asPatient = await connect(patient);
  story.say(`Raymon's account ${short(patient.address)} holds ${formatUnits(await hre.ethers.provider.getBalance(patient.address))} ETH.`);
  const basic = readJson(path.join(CONSENTS, "Consent-consent-example-basic.json"));
  try {
    fromFhirConsent(basic, { resolveActor: () => undefined });
  } catch (err) {
    story.say(`HL7's "basic" example is refused, naming the element: ${(err as Error).message}`);
  }
  // HL7's "signature" example as published is refused too: its nested rule names the author of the
  // data, not a recipient of the root — importing it would grant more than the document says.
  const example = readJson(path.join(CONSENTS, "Consent-consent-example-signature.json"));
  try {
    fromFhirConsent(example, { resolveActor: () => ({ organization: 1n }), defaultPurposes: ["TREAT"] });
  } catch (err) {
    story.say(`HL7's "signature" example is refused, naming the element: ${(err as Error).message}`);
  }
  // The patient's own consent, shaped after it and renewed for today: one rule per recipient under a
  // root that names both — Practitioner/13's organization (here: the hospital), all it may see; the
  // author of CDA discharge notes (here: the lab), those notes only — for a year.
  const start = await now();
  const root = example.provision as { actor: { reference: { reference: string } }[] } & Record<string, unknown>;
  // A provision actor has a role in R4 (the SDK validates the document first): the lab receives the notes.
  const author = { role: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", code: "IRCP" }] }, reference: { reference: "Practitioner/xcda-author" } };
  const renewed = {
    ...example,
    provision: {
      ...root,
      actor: [...root.actor, author],
      period: { start: new Date(start * 1000).toISOString().slice(0, 10), end: new Date((start + 365 * DAY) * 1000).toISOString().slice(0, 10) },
      provision: [{ type: "permit", actor: [root.actor[0]] }, { ...(root.provision as object[])[0], actor: [author] }],
    },
  };
  const actors: Record<string, bigint> = { "Practitioner/13": hospital.orgId, "Practitioner/xcda-author": lab.orgId };
  const mapped = fromFhirConsent(renewed, { resolveActor: (ref) => (actors[ref] === undefined ? undefined : { organization: actors[ref] }), defaultPurposes: ["TREAT"] });
  const consentSalt = newSalt();
  const commitment = consentDocumentCommitment(renewed, consentSalt);
  for (const g of mapped.grants) {
    const signed = await asPatient.consent.signGrant({ ...g, commitment }, { deadline: (await now()) + 3600 });
    const granted = await (await relayer.consent.submitGrant(signed)).wait();
    story.cost("consent: signed grant, relayed", granted);
    const who = typeof g.grantee === "object" && "organization" in g.grantee ? `organization ${g.grantee.organization}` : String(g.grantee);
    story.say(`Signed by the patient, relayed and paid for by ${short(relayerWallet.address)}: ${who} may use ${count(g.classes.length, "data class", "data classes")} for ${g.purposes.join(", ")} until ${new Date(Number(granted.validUntil) * 1000).toISOString().slice(0, 10)}.`);
  }
  for (const w of mapped.warnings) story.say(`  (import note: ${w})`);
  story.say(`The patient still holds ${formatUnits(await hre.ethers.provider.getBalance(patient.address))} ETH.`);

  // ------------------------------------------------------------------------------------------
  story.chapter("4. A second patient, Amara, with a passkey and no seed phrase: a relayer service deploys her account with her first consent");
  // The relayer service (relayer/, what `npm run relayer` starts) on an embedded PGlite database, here in this
  // process on 127.0.0.1 with a key of its own; Amara's portal speaks to it over HTTP with the SDK's RelayerClient.
  const relayerKey = await actor(deployer);
  const relayerDb = await openRelayerDatabase();
  const relayerService = buildRelayer({
    careledger: await CareLedger.connect(hre.ethers.provider, { addressBook: book }),
    wallet: new Wallet(relayerKey.privateKey, hre.ethers.provider),
    db: relayerDb,
    pollMs: 100,
  });
  const relayerUrl = await relayerService.app.listen({ host: "127.0.0.1", port: 0 });
  relayerService.sender.start();
  try {
    const relayerClient = new RelayerClient(relayerUrl);
    const provider = hre.ethers.provider;
    const eth = async (address: string) => formatUnits(await provider.getBalance(address));
    const ethFixed = (wei: bigint) => Number(formatUnits(wei)).toFixed(6);
    // A software passkey (test/support/softAuthenticator.ts, a P-256 key answering as a platform authenticator
    // does) stands in for her phone's: it never leaves the authenticator, and no seed phrase exists.
    const phone = new SoftAuthenticator();
    const amara = await operator.accounts!.factory.predictAddress(phone.publicKey, 0n);
    const passkeyOf = (auth: SoftAuthenticator) =>
      new PasskeySigner({ account: amara, passkey: auth.publicKey, verifier: book.accounts!.WebAuthnVerifier, assert: auth.assert }, provider);
    const asAmara = await connect(passkeyOf(phone));
    const amaraAccount = PatientAccountClient.at(amara, provider);
    story.say(
      `Amara has no ETH and no seed phrase, only a passkey on her phone (a software passkey stands in for her phone's here). Her patient account ${amara} is the address the factory predicts from that passkey: it holds ${await eth(amara)} ETH and has ${(await provider.getCode(amara)) === "0x" ? "no code yet" : "code already"}.`,
    );
    story.say(`The relayer service listens at ${relayerUrl} (its database embedded PGlite), paying from its own key ${short(relayerKey.address)}, which holds ${await eth(relayerKey.address)} ETH.`);

    // 1. Her first action: a grant signed by her phone's passkey, carrying the account's deployment.
    const grantedAt = await now();
    const signed = await asAmara.consent.signGrant(
      { grantee: { organization: hospital.orgId }, classes: ["labs"], purposes: ["TREAT"], validUntil: grantedAt + 365 * DAY, commitment: consentDocumentCommitment({ resourceType: "Consent", status: "active", provision: { type: "permit" } }, newSalt()) },
      { deadline: grantedAt + 3600 },
    );
    const grantBinding = { chainId: operator.chainId, verifyingContract: book.contracts.ConsentRegistry };
    const accepted = await relayerClient.relay({ kind: "grant", signed }, grantBinding, { account: { passkey: phone.publicKey, salt: 0n } });
    const created = await relayerClient.waitFor(accepted.id, { intervalMs: 100 });
    if (created.status !== "confirmed" || created.result?.accountCreated !== true) throw new Error(`Amara's first action was not confirmed with her account created: ${created.status} ${created.reason?.code ?? ""}`);
    const relayed = async (action: typeof created) => {
      const receipt = (await provider.getTransactionReceipt(action.txHash!))!;
      return { receipt, paid: `${receipt.gasUsed.toLocaleString("en-US")} gas (${ethFixed(receipt.fee)} ETH)` };
    };
    const deployedWith = await relayed(created);
    story.cost("accounts: passkey grant relayed, creating the account", deployedWith);
    story.say(
      `Her phone's passkey signed a grant: the hospital (organization ${hospital.orgId}) may use her labs for TREAT for a year. Her portal POSTed it to the relayer (${accepted.status}, action ${short(accepted.id)}), which sent one transaction to the factory's createAccountAndCall: her account was deployed at ${short(amara)} and the grant recorded, ${created.status} in block ${created.blockNumber}. The relayer paid ${deployedWith.paid}; Amara's account holds ${await eth(amara)} ETH.`,
    );

    // 2. A second passkey, her laptop's, added by a batch her phone signed (accountExecute).
    const laptop = new SoftAuthenticator();
    const addLaptop = await amaraAccount.signExecute(passkeyOf(phone), { calls: [addPasskeyCall(amara, laptop.publicKey)], deadline: (await now()) + 3600 });
    const accountBinding = { chainId: operator.chainId, verifyingContract: amara };
    const added = await relayerClient.waitFor((await relayerClient.relay({ kind: "accountExecute", signed: addLaptop }, accountBinding)).id, { intervalMs: 100 });
    if (added.status !== "confirmed" || !(await amaraAccount.isPasskey(laptop.publicKey))) throw new Error(`Amara's laptop passkey was not added: ${added.status}`);
    const addedWith = await relayed(added);
    story.cost("accounts: passkey-signed batch relayed (execute)", addedWith);
    story.say(`She added her laptop's passkey (another software passkey here) with a batch her phone signed, relayed as accountExecute: ${added.status}; her account now accepts either passkey. The relayer paid ${addedWith.paid}.`);

    // 3. The break-glass opt-out, signed by the new passkey.
    const optOut = await amaraAccount.signExecute(passkeyOf(laptop), { calls: [breakGlassOptOutCall(book.contracts.ConsentRegistry, amara, true)], deadline: (await now()) + 3600 });
    const opted = await relayerClient.waitFor((await relayerClient.relay({ kind: "accountExecute", signed: optOut }, accountBinding)).id, { intervalMs: 100 });
    const optedOut = await operator.consent.contract.breakGlassOptedOut(amara);
    if (opted.status !== "confirmed" || !optedOut) throw new Error(`Amara's break-glass opt-out was not confirmed: ${opted.status}`);
    const optedWith = await relayed(opted);
    story.cost("accounts: passkey-signed batch relayed (execute)", optedWith);
    story.say(`From her laptop she opted out of break-glass, signed by the laptop's passkey and relayed as accountExecute: ${opted.status}; the consent registry now reads her opted out. The relayer paid ${optedWith.paid}.`);
    story.say(`Three actions, three transactions, all paid by the relayer (its key now holds ${ethFixed(await provider.getBalance(relayerKey.address))} ETH); Amara's account still holds ${await eth(amara)} ETH, and she never had a seed phrase.`);
  } finally {
    await relayerService.app.close();
    await relayerService.sender.stop();
    await relayerDb.close();
  }

  // ------------------------------------------------------------------------------------------
  story.chapter("5. The hospital anchors Raymon's whole record as one Merkle batch");
  const bundle = readJson(BUNDLE) as { entry: { resource: FhirResource }[] };
  const resources = bundle.entry.map((e) => e.resource);
  const asDoctor = await connect(doctor);
  const anchored = await (await asDoctor.records.anchorBatch(resources.map((resource) => ({ resource })))).wait();
  story.cost("records: anchor a batch", anchored);
  const { batch } = anchored;
  ids.batch = { root: anchored.root, orgId: hospital.orgId.toString(), leafCount: anchored.leafCount };
  story.say(`${anchored.leafCount} FHIR resources, one root ${short(anchored.root)}, ${anchored.receipt.gasUsed.toLocaleString("en-US")} gas in all. The salts stay with the hospital.`);
  const indexOf = (id: unknown) => resources.findIndex((r) => r.id === id);

  // ------------------------------------------------------------------------------------------
  story.chapter("6. The hospital amends a result the lab corrected, and retracts an entry made in error");
  const resultIndex = resources.findIndex((r) => r.resourceType === "Observation" && JSON.stringify(r.category ?? "").includes("laboratory"));
  const original = resources[resultIndex];
  const resultProof = batch.proof(resultIndex);
  const resultSalt = batch.salts[resultIndex];
  const vq = original.valueQuantity as { value: number };
  const corrected = { ...original, status: "amended", valueQuantity: { ...vq, value: Math.round((vq.value + 0.4) * 10) / 10 } };
  const asLab = await connect(labTech);
  // A batch record is registered once from its proof before it can be amended or retracted (anyone
  // may, here the lab; the SDK would do it inside amend/retract; done first so the gas ledger shows it).
  story.cost("records: register a batch record", await (await asLab.records.registerBatchRecord(resultProof)).wait());
  // Records are kept per organization: only the hospital amends its own record (the lab's report of
  // the correction would be the lab's own record).
  const amended = await (await asDoctor.records.amend({ recordId: resultProof.recordId, supersedes: 1, resource: corrected, salt: resultSalt, genesisProof: resultProof })).wait();
  story.cost("records: amend", amended);
  story.say(`The lab called in a correction of ${(original.code as { text: string }).text}: ${vq.value} → ${corrected.valueQuantity.value}; the hospital anchored it as version ${amended.version} of the same record.`);
  const wrongIndex = resources.findIndex((r) => r.resourceType === "Immunization");
  story.cost("records: register a batch record", await (await asDoctor.records.registerBatchRecord(batch.proof(wrongIndex))).wait());
  const retracted = await (await asDoctor.records.retract({ resource: resources[wrongIndex], salt: batch.salts[wrongIndex], reason: "enteredInError", proof: batch.proof(wrongIndex) })).wait();
  story.cost("records: retract", retracted);
  ids.records = { amended: resultProof.recordId, retracted: batch.commitments[wrongIndex] };
  story.say(`The hospital retracted an Immunization entered in error. Nothing was deleted: it now verifies as retracted.`);

  // ------------------------------------------------------------------------------------------
  story.chapter("7. Access: permitted, refused, then consented; and a break-glass");
  // An access is logged under a fresh reference derived from the record's salt and a nonce: nobody
  // without them can tell which record (or that two accesses were to the same record).
  const record = (i: number) => ({ salt: batch.salts[i], recordId: batch.commitments[i] });
  const access = await (await asDoctor.consent.logAccess({ patient: patient.address, record: record(resultIndex), dataClass: "labs", purpose: "TREAT" })).wait();
  story.cost("consent: log a permitted access", access);
  story.say(`Dr. ${short(doctor.address)} (hospital) read a lab result for treatment: permitted and logged under reference ${short(access.recordRef)}, which only the salt and nonce ${short(access.nonce!)} tie to the record.`);
  const asScientist = await connect(scientist);
  try {
    await asScientist.consent.logAccess({ patient: patient.address, record: record(resultIndex), dataClass: "labs", purpose: "HRESCH" });
  } catch (err) {
    if (!(err instanceof ContractRevertError)) throw err;
    story.say(`A researcher without consent is refused: ${err.code}.`);
  }
  const research = await asPatient.consent.signGrant(
    { grantee: { organization: institute.orgId }, classes: ["labs", "conditions"], purposes: ["HRESCH"], validUntil: (await now()) + 180 * DAY, commitment: consentDocumentCommitment({ study: "LRI-2026-17", version: 1 }, newSalt()) },
    { deadline: (await now()) + 3600 },
  );
  story.cost("consent: signed grant, relayed", await (await relayer.consent.submitGrant(research)).wait());
  story.cost("consent: log a permitted access", await (await asScientist.consent.logAccess({ patient: patient.address, record: record(resultIndex), dataClass: "labs", purpose: "HRESCH" })).wait());
  story.say(`The patient signed research consent (labs, conditions; 180 days); the same read is now permitted and logged.`);
  const asNurse = await connect(nurse);
  const reasonRef = keccak256(toUtf8Bytes(`ER note ${Date.now()}: unconscious on arrival; ${newSalt()}`));
  const glass = await (await asNurse.consent.breakGlass({ patient: patient.address, reason: "PATIENT_INCAPACITATED", reasonRef, duration: 3600 })).wait();
  story.cost("consent: break-glass", glass);
  const conditionIndex = resources.findIndex((r) => r.resourceType === "Condition");
  story.cost("consent: log a permitted access", await (await asNurse.consent.logAccess({ patient: patient.address, record: record(conditionIndex), dataClass: "conditions", purpose: "ETREAT" })).wait());
  story.say(`In the ER, nurse ${short(nurse.address)} broke the glass (patient incapacitated, one hour) and read the conditions for emergency treatment.`);

  // ------------------------------------------------------------------------------------------
  story.chapter("8. The insurer publishes a plan from a JSON file, funds it and enrolls the patient");
  const token = await new MockStablecoin__factory(deployer).deploy();
  await token.waitForDeployment();
  const tokenAddress = await token.getAddress();
  story.cost("claims: allow a settlement token", await (await configurator.claims.setTokenAllowed({ token: tokenAddress, allowed: true })).wait());
  const { terms, benefits } = planFromJson(readJson(PLAN), tokenAddress);
  const created = await insurer.client.claims.createPlanWithBenefits({ terms, benefits });
  for (const hash of created.txs) story.cost("claims: create the plan", { receipt: (await hre.ethers.provider.getTransactionReceipt(hash))! });
  await (await token.mint(insurer.admin.address, toUnits("100000"))).wait();
  story.cost("claims: fund the plan", await (await insurer.client.claims.fund({ planId: created.planId, amount: toUnits("50000") })).wait());
  const asAdjuster = await connect(adjuster);
  story.cost("claims: enroll a member", await (await asAdjuster.claims.enroll({ planId: created.planId, member: patient.address, start: "1980-01-01", end: "2030-12-31" })).wait());
  story.cost("claims: set the provider's payee", await (await hospital.client.claims.setPayee({ payee: hospital.admin.address })).wait());
  ids.plan = { planId: created.planId.toString(), token: tokenAddress };
  story.say(`Plan ${created.planId}: ${benefits.length} codes priced, $500 deductible, 20% coinsurance, $3,000 out-of-pocket maximum; funded with $50,000; Raymon enrolled.`);

  // ------------------------------------------------------------------------------------------
  story.chapter("9. The hospital submits Raymon's 21 claims from the bundle");
  const payeeBefore = await token.balanceOf(hospital.admin.address);
  const results: { claimId: string; status: ClaimStatus; paid: bigint }[] = [];
  for (const { claim, reference } of claimsIn(fs.readFileSync(BUNDLE, "utf8"))) {
    // The claim's evidence is the Claim resource the hospital anchored in its batch: its inclusion
    // proof travels with the claim, and the engine checks it against the batch (no registration).
    const i = indexOf(claim.id);
    const evidence = batch.commitments[i];
    const submission: ClaimSubmission = {
      ...fromFhirClaim(claim, {
        resolve: { member: () => patient.address, provider: () => hospital.orgId, plan: () => created.planId, evidence: () => evidence, reference },
      }),
      evidenceProof: batch.proof(i),
    };
    const r = await asDoctor.claims.submitOnce(submission);
    if (r.duplicate) continue;
    const done = await r.handle.wait();
    story.cost("claims: submit (adjudicated in the same tx)", done);
    results.push({ claimId: done.claimId, status: done.status, paid: done.paid });
    ids.claims.push(done.claimId);
  }
  const inStatus = (s: ClaimStatus) => results.filter((r) => r.status === s).length;
  story.say(
    `${count(results.length, "claim")}: ${inStatus(ClaimStatus.Approved)} approved and paid straight through, ${inStatus(ClaimStatus.Partial)} partly approved, ${inStatus(ClaimStatus.Denied)} denied, ${inStatus(ClaimStatus.Pended)} pended for an adjuster.`,
  );
  // The hospital finds it billed its best-paid claim at twice the charge: it corrects it. The plan
  // had paid more than the corrected claim allows; the difference is owed back and recovered from
  // the hospital's next payment under the plan (recoupment), in the same transaction.
  const overbilled = results.filter((r) => r.status === ClaimStatus.Approved).sort((a, b) => (a.paid < b.paid ? 1 : -1))[0];
  if (overbilled) {
    const h = await asDoctor.claims.history(overbilled.claimId);
    const fixed = { ...h.submission, lines: h.submission.lines.map((l) => ({ ...l, charged: l.charged / 2n })) };
    const corrected = await (await asDoctor.claims.submitCorrection({ replaces: overbilled.claimId, submission: fixed })).wait();
    story.cost("claims: correct a paid claim", corrected);
    ids.claims.push(corrected.claimId);
    story.say(
      `The hospital corrected claim ${short(overbilled.claimId)} (billed at twice the charge): the plan's share fell from ${usd(h.planTotal)} to ${usd(corrected.planTotal)}, so ${usd(corrected.owedBack)} is owed back.`,
    );
  }
  const pended = results.find((r) => r.status === ClaimStatus.Pended);
  if (pended) {
    const decided = await (await asAdjuster.claims.decide({ claimId: pended.claimId })).wait();
    story.cost("claims: an adjuster decides", decided);
    story.say(
      `Adjuster ${short(adjuster.address)} approved the pended claim ${short(pended.claimId)}: the plan owed ${usd(decided.planTotal)}; ${usd(decided.recovered)} of it recovered the overpayment, ${usd(decided.paid)} paid.`,
    );
  }
  const stillOwed = await operator.claims.owedBack(created.planId, hospital.orgId);
  if (stillOwed > 0n) story.say(`The hospital still owes ${usd(stillOwed)}: its next payments under the plan recover it, or it repays it (claims.repay).`);
  const partial = results.find((r) => r.status === ClaimStatus.Partial || r.status === ClaimStatus.Denied);
  if (partial) {
    story.cost("claims: appeal", await (await asDoctor.claims.appeal({ claimId: partial.claimId })).wait());
    const resolved = await (await (await connect(seniorAdjuster)).claims.resolveAppeal({ claimId: partial.claimId })).wait();
    story.cost("claims: resolve an appeal", resolved);
    story.say(`The hospital appealed claim ${short(partial.claimId)} (a line denied for want of prior authorization); a second adjuster overturned it: ${usd(resolved.paid)} more paid, once.`);
  }
  const paidToHospital = (await token.balanceOf(hospital.admin.address)) - payeeBefore;
  const funds = await operator.claims.funds(created.planId);
  story.say(`The hospital's payee received ${usd(paidToHospital)}; the plan's escrow holds ${usd(funds.balance)} ($50,000 − payments + recoveries), nothing queued.`);

  // ------------------------------------------------------------------------------------------
  story.chapter("10. The patient reads their accounting of disclosures and their Explanations of Benefit, through an indexer");
  // An indexer (indexer/, what `npm run indexer` starts) follows the suite into an embedded PGlite database and
  // serves its query API on 127.0.0.1; the patient's SDK reads every history from it (the newest blocks, and
  // anything it could not answer, from the node).
  /**
   * An indexer (what `npm run indexer` starts) on an embedded PGlite database, caught up with the chain, its
   * query API on 127.0.0.1 (with the receipts routes: gateways post to it, patients read from it).
   */
  const startIndexer = async () => {
    const db = await openIndexerDatabase();
    const indexer = await Indexer.open(hre.ethers.provider, db, { chainId: BigInt(book.chainId), addresses: book.contracts, fromBlock: book.deploymentBlock }, { confirmations: 0 });
    const url = `http://127.0.0.1:${await freePort()}`;
    const careledger = await CareLedger.connect(hre.ethers.provider, { addressBook: book });
    const api = buildIndexerApi({ db, indexer, chainId: BigInt(book.chainId), consentRegistry: book.contracts.ConsentRegistry, careledger, origin: url });
    let queries = 0;
    api.addHook("onRequest", async () => void queries++);
    await api.listen({ host: "127.0.0.1", port: Number(new URL(url).port) });
    const { events } = await indexer.catchUp();
    return { url, indexer, events, queries: () => queries, close: async () => {
        await api.close();
        await db.close();
      },
    };
  };
  const hub = await startIndexer();
  const { indexer, events } = hub;
  const indexerUrl = hub.url;
  try {
    story.say(`An indexer followed the suite from block ${book.deploymentBlock} into an embedded database: ${count(events, "event")} of every part, up to block ${indexer.status().nextBlock - 1}; its API runs at ${indexerUrl}.`);
    const raymonReads = await CareLedger.connect(patient, { addressBook: book, indexer: { url: indexerUrl, onUnavailable: (e) => story.say(`(${e.message})`) } });
    const log = await raymonReads.consent.accessLog(patient.address);
    for (const a of log) story.say(`${new Date(a.at * 1000).toISOString().slice(0, 19)}Z  ${short(a.accessor)}  org ${a.orgId}  ${String(a.dataClass).padEnd(10)}  ${a.purpose}`);
    // One claim the deductible absorbed, one the plan paid, and the one overturned on appeal.
    const shown = [results[0], results.find((r) => r.paid > 0n), partial].filter((r, i, all): r is (typeof results)[number] => r !== undefined && all.indexOf(r) === i);
    const eobs = await Promise.all(shown.map((r) => toExplanationOfBenefit(raymonReads.claims, r.claimId)));
    for (const eob of eobs) {
      const total = (eob.total as { category: { coding: { code: string }[] }; amount: { value: number } }[]) ?? [];
      const pick = (code: string) => total.find((t) => t.category.coding.some((c) => c.code === code))?.amount.value ?? 0;
      // Why the member pays what the plan does not: the deductible first, then copay and coinsurance.
      const shares = (["deductible", "copay", "coinsurance"] as const).filter((c) => pick(c) > 0);
      const memberPays = shares.map((c) => `$${pick(c).toFixed(2)} (${c})`).join(" and ");
      const paid = pick("benefit");
      const because = shares.length === 0 ? "" : paid === 0 ? ` because of the ${shares.join(" and ")}: Raymon pays ${memberPays}` : `; Raymon pays ${memberPays}`;
      story.say(`EOB ${String(eob.outcome).padEnd(8)} submitted $${pick("submitted").toFixed(2)}, eligible $${pick("eligible").toFixed(2)}, plan paid $${paid.toFixed(2)}${because}`);
    }
    const same = isDeepStrictEqual(log, await asPatient.consent.accessLog(patient.address));
    story.say(`Raymon's SDK read all of it through the indexer (${count(hub.queries(), "query", "queries")}); the access log is ${same ? "identical to" : "NOT the same as"} the one read from the chain alone.`);
    if (!same) throw new Error("the access log read through the indexer differs from the chain's");
  } finally {
    await hub.close();
  }

  // ------------------------------------------------------------------------------------------
  story.chapter("11. A third party, with no account at all, verifies records");
  const verifier = await CareLedger.connect(hre.ethers.provider, { addressBook: book });
  const v1 = await verifier.records.verify(original, resultSalt, resultProof);
  story.say(`The original lab result: ${v1.status} (version ${v1.version}, anchored by organization ${v1.orgId}; current version ${v1.currentVersion}).`);
  const v2 = await verifier.records.verify(corrected, resultSalt);
  story.say(`The amended result: ${v2.status} (version ${v2.version}, by organization ${v2.orgId}, ${orgKindName((await verifier.participants.organization(v2.orgId!)).kind)}).`);
  const v3 = await verifier.records.verify(resources[wrongIndex], batch.salts[wrongIndex], batch.proof(wrongIndex));
  story.say(`The Immunization entered in error: ${v3.status}.`);
  const tampered = { ...original, valueQuantity: { ...vq, value: vq.value + 5 } };
  story.say(`The original result with one value changed: ${(await verifier.records.verify(tampered, resultSalt, resultProof)).status}.`);
  story.say(`A record whose salt was deleted (crypto-shredded): ${(await verifier.records.verify(original, undefined)).status}.`);

  // ------------------------------------------------------------------------------------------
  story.chapter("12. Records move between organizations only through their holders' gateways, under consent");
  // The lab and the hospital each run a gateway (gateway/, what `npm run gateway` starts) on an embedded
  // PGlite database, here in this process on 127.0.0.1; everyone else speaks to them over HTTP with the SDK.
  const runGateway = async (holder: CareLedger) => {
    const db = await openDatabase();
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const gateway = await buildGateway({ careledger: holder, db, keys: new LocalKeyProvider(hexlify(randomBytes(32))), origin });
    await gateway.app.listen({ host: "127.0.0.1", port });
    const worker = new AnchorWorker(holder, db, gateway.orgId, { intervalMs: 3_600_000, recover: () => gateway.recoverPending() });
    const close = async () => {
      await gateway.app.close();
      await worker.stop().catch(() => undefined);
      await db.close();
    };
    return { db, origin, gateway, worker, holder, close };
  };
  const labGateway = await runGateway(asLab);
  const hospitalGateway = await runGateway(await connect(nurse));
  try {
    // Each names its gateway in its published profile; the registrar records the new profile's commitment.
    const labProfile = { name: "Northgate Clinical Laboratory", licence: "CLIA-22D0999999", gateway: labGateway.origin };
    story.cost("participants: publish a profile naming a gateway", await (await registrar.participants.updateMetadata({ orgId: lab.orgId, metadata: labProfile })).wait());
    const hospitalProfile = { name: "Riverside General Hospital", licence: "HOSP-4411", gateway: hospitalGateway.origin };
    await (await registrar.participants.updateMetadata({ orgId: hospital.orgId, metadata: hospitalProfile })).wait();
    story.say(`The lab's gateway runs at ${labGateway.origin} and the hospital's at ${hospitalGateway.origin}; each named it in its published profile, whose new commitment the registrar recorded on chain.`);

    type Entry = { fullUrl: string; resource: FhirResource };
    const entries = bundle.entry as Entry[];
    const patientEntry = entries.find((e) => e.resource.resourceType === "Patient") as Entry;
    const raymon = { fullUrl: patientEntry.fullUrl, resource: { ...patientEntry.resource, identifier: [...((patientEntry.resource.identifier as object[]) ?? []), { system: ACCOUNT_SYSTEM, value: patient.address }] }, request: { method: "POST", url: "Patient" } };
    const transaction = (picked: Entry[]) => ({
      resourceType: "Bundle",
      type: "transaction",
      entry: [raymon, ...picked.map((e) => ({ fullUrl: e.fullUrl, resource: e.resource, request: { method: "POST", url: e.resource.resourceType } }))],
    });
    const labResults = entries.filter((e) => e.resource.resourceType === "Observation" && /"(laboratory|vital-signs)"/.test(JSON.stringify(e.resource.category ?? "")));
    const posted = await asLab.exchange.ingest(labGateway.origin, transaction(labResults));
    story.say(`The lab's system posted Raymon and ${labResults.length} of his lab results and vital signs to its gateway (${posted.entry?.length} created): validated (HL7 R4), sealed at rest (AES-256-GCM, a key per record), anchored as one Merkle batch.`);
    const conditions = entries.filter((e) => e.resource.resourceType === "Condition");
    const postedConditions = await asDoctor.exchange.ingest(hospitalGateway.origin, transaction(conditions));
    story.say(`The hospital's system posted Raymon and his ${count(conditions.length, "Condition")} to the hospital's gateway (${postedConditions.entry?.length} created), anchored by the hospital.`);

    // The doctor finds the lab's gateway from its published profile, checked against the registry.
    const target = await asDoctor.exchange.gatewayOf(lab.orgId, labProfile);
    const patientRef = `Patient/${patientEntry.resource.id}`;
    const forTreatment = await asDoctor.exchange.search(target, "Observation", { patient: patientRef, purpose: "TREAT", count: 100 });
    story.say(`Dr. ${short(doctor.address)} (hospital) found the lab's gateway in its published profile (${target.url}, the commitment matching the registry's) and asked for Raymon's Observations for treatment: ${forTreatment.resources.length} released, each verified against the chain by the SDK (this content, anchored by organization ${lab.orgId}, current). The gateway checked his standing and Raymon's consent at the current block, per resource, and wrote the receipts before answering.`);
    // The lab corrects one result through its gateway: version 2, amended on chain; version 1 stays, superseded.
    const corrected = structuredClone(labResults[0].resource) as FhirResource & { valueQuantity?: { value?: number }; status?: string };
    corrected.status = "amended";
    corrected.subject = { reference: `Patient/${String(patientEntry.resource.id)}` };
    if (corrected.valueQuantity?.value !== undefined) corrected.valueQuantity.value = Math.round(corrected.valueQuantity.value * 1.1 * 100) / 100;
    const correctedId = String(corrected.id);
    const amended = await asLab.exchange.ingest(labGateway.origin, {
      resourceType: "Bundle",
      type: "transaction",
      entry: [{ resource: corrected, request: { method: "PUT", url: `Observation/${correctedId}`, ifMatch: 'W/"1"' } }],
    });
    const versions = await asDoctor.exchange.history(target, "Observation", correctedId, { purpose: "TREAT" });
    story.say(
      `The lab's system corrected one result by sending it again (PUT, If-Match version 1): ${amended.entry?.[0]?.response?.status}, ${amended.entry?.[0]?.response?.location}, anchored as an amendment on chain. The doctor reads the current version; its history gives ${versions.map((v) => `version ${(v.verification as { version?: number }).version} ${v.verification.status}`).join(" and ")}, each verified and receipted.`,
    );
    const forResearch = await asScientist.exchange.search(target, "Observation", { patient: patientRef, purpose: "HRESCH", count: 100 });
    story.say(`The researcher asked for the same for research: ${forResearch.resources.length} released (the labs Raymon consented to in chapter 7; vital signs withheld). Every page says: "${forResearch.notice}"`);
    const asAdjuster = await connect(adjuster);
    try {
      await asAdjuster.exchange.read(target, "Observation", String(labResults[0].resource.id), { purpose: "HPAYMT" });
    } catch (err) {
      if (!(err instanceof ExchangeError)) throw err;
      story.say(`The insurer's adjuster asked for one lab result for payment: refused, ${err.status} OperationOutcome "${err.outcome?.issue?.[0]?.code}": ${err.outcome?.issue?.[0]?.diagnostics}`);
    }
    const hospitalTarget = await asPatient.exchange.gatewayOf(hospital.orgId, hospitalProfile);
    const fromHospital = await asScientist.exchange.search(hospitalTarget, "Condition", { patient: patientRef, purpose: "HRESCH", count: 100 });
    story.say(`The researcher asked the hospital's gateway for Raymon's Conditions for research: ${fromHospital.resources.length} released (${fromHospital.resources.length === 0 ? "his research consent does not cover them" : "under his research consent"}).`);

    // Raymon downloads everything both hold about him, and the receipts of every disclosure.
    let everything = 0;
    for (const t of [target, hospitalTarget]) everything += (await asPatient.exchange.everything(t, String(patientEntry.resource.id), { purpose: "TREAT", count: 100 })).resources.length;
    story.say(`Raymon downloaded his own $everything from both gateways without any grant (right of access): ${everything} resources, every one verified.`);
    for (const [name, g] of [["lab", labGateway], ["hospital", hospitalGateway]] as const) {
      await g.worker.flush();
      const roots = (await g.db.pool.query<{ tx_hash: string }>("SELECT tx_hash FROM disclosure_roots ORDER BY created_at")).rows;
      for (const r of roots) story.cost("disclosures: anchor a root of receipts", { receipt: (await hre.ethers.provider.getTransactionReceipt(r.tx_hash))! });
      const mine = (await asPatient.exchange.receipts({ url: g.origin, orgId: g.gateway.orgId }, { count: 100 })).receipts;
      const verified = mine.filter((r) => r.status === "verified" && r.requestVerified).length;
      const requesters = new Set(mine.map((r) => r.receipt.requester.toLowerCase())).size;
      story.say(
        `Raymon fetched his disclosure receipts from the ${name}: ${mine.length} (first page), from ${count(requesters, "requester")}, written by the ${name} — not by those who asked — and anchored in ${count(roots.length, "root")}; ${verified} of ${mine.length} verified by the SDK (each under a root the ${name} anchored, each request signed by its requester).`,
      );
    }
    // Each gateway publishes its anchored receipts to an indexer (GATEWAY_INDEXER_URL), where the patient
    // reads every holder's in one place, signed for as the patient.
    const receiptsHub = await startIndexer();
    try {
      let published = 0;
      for (const g of [labGateway, hospitalGateway]) {
        const round = await new ReceiptPublisher(g.holder.runner as Signer, g.db, g.gateway.orgId, g.gateway.domain, receiptsHub.url).round();
        published += round.published.length;
      }
      const all = [];
      let page = await asPatient.exchange.indexedReceipts(receiptsHub.url, { count: 100 });
      all.push(...page.receipts);
      while (page.next !== undefined) all.push(...(page = await asPatient.exchange.indexedReceipts(receiptsHub.url, { next: page.next })).receipts);
      const holders = new Set(all.map((r) => r.receipt.holderOrgId.toString())).size;
      const verified = all.filter((r) => r.status === "verified").length;
      story.say(
        `Both gateways published their ${count(published, "anchored root")} of receipts to an indexer; Raymon read all ${all.length} of his receipts there, from ${count(holders, "holder")} in one place, signing for them as himself; ${verified} of ${all.length} verified against the chain by the SDK.`,
      );
      if (verified !== all.length || all.length === 0) throw new Error("receipts read from the indexer are missing or do not verify");
    } finally {
      await receiptsHub.close();
    }
  } finally {
    await labGateway.close();
    await hospitalGateway.close();
  }

  printAddressBook(book, story);
  if (hre.network.name === "hardhat") {
    story.say(`The in-process chain ends with this run; to follow up with the tasks, tell the story to a node (npm run demo -- --network localhost): its ids go to ${path.relative(process.cwd(), demoIdsPath("localhost"))}.`);
  } else {
    const idsFile = writeDemoIds(ids);
    story.say(`Every id the story created (organizations, accounts, the plan, claims, the batch root): ${path.relative(process.cwd(), idsFile)}`);
  }
  story.printLedger();
  return book;
}

/** What the demo created, written to {@link demoIdsPath} so that a user can follow up with the README's tasks. */
export interface DemoIds {
  readonly chainId: number;
  readonly network: string;
  readonly contracts: AddressBook["contracts"];
  readonly organizations: { orgId: string; kind: string; name: string; admin: string; members: string[] }[];
  patient?: string;
  batch?: { root: string; orgId: string; leafCount: number };
  /** The record amended in chapter 6 and the one retracted (record ids, for records:history). */
  records?: { amended: string; retracted: string };
  plan?: { planId: string; token: string };
  readonly claims: string[];
}

/** `deployments/demo-<network>.json` (or under CARELEDGER_DEPLOYMENTS_DIR); git-ignored. */
export function demoIdsPath(network: string): string {
  return path.join(process.env.CARELEDGER_DEPLOYMENTS_DIR || path.resolve(__dirname, "..", "deployments"), `demo-${network}.json`);
}

function writeDemoIds(ids: DemoIds): string {
  const file = demoIdsPath(ids.network);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(ids, null, 2) + "\n");
  return file;
}

function printAddressBook(book: AddressBook, story: Story): void {
  story.chapter(`Address book (chain ${book.chainId}, from block ${book.deploymentBlock})`);
  for (const [name, address] of Object.entries(book.contracts)) story.say(`${name.padEnd(22)} ${address}`);
}

if (require.main === module) {
  tellStory().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
