/**
 * Outside review of the last session's changes (issue 12): the evidence release (EvidenceUse.live),
 * corrections in ClaimsLifecycle, opt-out stamps on break-glass openings, batch depth and
 * chain-taken record identity in records.verify, stale-signature refusal in the SDK, access
 * references and 0600 salt files.
 *
 * "findings": each test states the expected behaviour and fails on the reviewed code (its comment
 * gives the scenario and the cause). "held": attacks that held; they pass.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadFixture, mine } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre from "hardhat";
import {
  accessReference,
  CareLedger,
  ClaimStatus,
  claimIdOf,
  ContractRevertError,
  FastMerkleTree,
  newSalt,
  RECORD_LEAF_ENCODING,
  recordCommitment,
  recordLeafValues,
  writeAddressBook,
  type ClaimLine,
} from "../../sdk";
import { claimsFixture, CODE, correct, DAY, HOSPITAL, LAB, realEvidenceFixture, rec, sub, USD, type ClaimsFixture } from "../claims/fixtures";
import { classes, consentFixture, COMMITMENT, FULL_SCOPE, HOSPITAL as C_HOSPITAL, now, purposes, RECORD, YEAR } from "../consent/fixtures";
import { batchOf, HOSPITAL as R_HOSPITAL, LAB as R_LAB, observation, recordsFixture, saltOf } from "../records/fixtures";

const id = hre.ethers.id;


/** Voids `claimId` as `from` (record rebuilt by the SDK). */
async function voidIt(f: ClaimsFixture, claimId: string, from = f.doctor) {
  await (await f.claims.connect(from).voidClaim(claimId, rec(await f.sdk.claims.record(claimId)))).wait();
}


/** Whether `member`'s claim citing `evidence` would be accepted now (a static call: nothing changes). */
async function citable(f: ClaimsFixture, evidence: string, member: string, lines: ClaimLine[]): Promise<string> {
  const s = await f.submission({ evidence, member, lines });
  return f.claims
    .connect(f.doctor)
    .submit.staticCall(sub(s))
    .then(
      () => "accepted",
      (e: Error) => /custom error '(\w+)\(/.exec(e.message)?.[1] ?? e.message,
    );
}

describe("Session review", function () {
  // ======================================================================================= findings
  describe("findings", function () {
    it("claims: another organization anchoring the hospital's batch leaf singly gains a statement of its own; the hospital voids and rebills on its record, bound apart", async function () {
      // Hostile lab, change 1, as redesigned by issue 12 (records and evidence bindings are kept per
      // organization). The hospital cites leaf E of its batch with its proof; E is then public and
      // the lab anchors it singly. That anchor is the lab's: a claim of the lab on it stands on the
      // lab's own statement (worth what any commitment the lab anchors is worth), never on the
      // hospital's record, and the hospital's binding and rebilling are untouched.
      const f = await loadFixture(realEvidenceFixture);
      await f.records.connect(f.labAdmin).anchor(f.evidence);
      const original = await f.suiteSdk.claims.record(claimIdOf(f.first));
      await f.engine.connect(f.doctor).voidClaim(claimIdOf(f.first), rec(original));
      const labClaim = f.visit([f.line(CODE.VISIT, 800n * USD)], { providerOrg: LAB, member: f.member2.address });
      await expect(f.engine.connect(f.labAdmin).submit(sub(labClaim))).to.emit(f.engine, "ClaimSubmitted");
      expect(await f.records.evidenceStatus(LAB, f.evidence, f.root, f.proof), "the lab's answer is its own single anchor").to.deep.equal([true, false]);
      expect(await f.records.evidenceStatus(HOSPITAL, f.evidence, f.root, f.proof), "the hospital's is its batch").to.deep.equal([true, false]);
      // The hospital bills the right member on its record, with its proof.
      await expect(f.engine.connect(f.doctor).submitWithProof(sub(f.visit([f.line(CODE.VISIT, 1_000n * USD)], { member: f.member2.address })), f.root, f.proof)).to.emit(f.engine, "ClaimSubmitted");
    });

    it("claims: another organization's one-leaf batch copying the hospital's released note is its own; the hospital's binding of the note is untouched", async function () {
      // Hostile lab, change 1 without a squat, as redesigned by issue 12: the hospital anchors its
      // note singly, bills on it, then corrects the claim to cite another record (the note is
      // released). The lab anchors a batch whose only leaf is the note's leaf: that batch is the
      // lab's, so the lab's claim on it stands on the lab's own statement, bound under the lab; the
      // hospital's binding (and its next claim on the note) is the hospital's.
      const f = await loadFixture(realEvidenceFixture);
      const note = id("the hospital's singly anchored note, salted");
      await f.records.connect(f.doctor).anchor(note);
      const s = f.visit([f.line(CODE.VISIT, 300n * USD)], { evidence: note, serviceDate: f.day - DAY });
      await f.engine.connect(f.doctor).submit(sub(s));
      const other = id("the right note, salted");
      await f.records.connect(f.doctor).anchor(other);
      await f.engine.connect(f.doctor).submitCorrection(sub({ ...s, evidence: other }), claimIdOf(s), rec(await f.suiteSdk.claims.record(claimIdOf(s))));
      const copy = await f.records.leafHash(note, 1, note);
      await f.records.connect(f.labAdmin).anchorBatch(copy, 1);
      const labClaim = f.visit([f.line(CODE.VISIT, 800n * USD)], { providerOrg: LAB, member: f.member2.address, evidence: note });
      await expect(f.engine.connect(f.labAdmin).submitWithProof(sub(labClaim), copy, [])).to.emit(f.engine, "ClaimSubmitted");
      // The hospital's note backs the hospital's claim for member2 (its own binding, released, rebinds).
      const hospitalClaim = f.visit([f.line(CODE.VISIT, 500n * USD)], { evidence: note, member: f.member2.address, serviceDate: f.day - 2 * DAY });
      await expect(f.engine.connect(f.doctor).submit(sub(hospitalClaim))).to.emit(f.engine, "ClaimSubmitted");
      // And the lab's live binding of its copy does not reach the hospital's: the lab cannot bill the patient on it, the hospital can.
      await expect(f.engine.connect(f.labAdmin).submitWithProof(sub({ ...labClaim, member: f.patient.address }), copy, []))
        .to.be.revertedWithCustomError(f.engine, "EvidenceOfAnotherMember")
        .withArgs(note, f.member2.address);
    });

    it("records: a batch leaf naming a later version of another organization's batch-anchored record is not verified as anchored", async function () {
      // Hostile lab, change 3. The hospital anchors record R in an SDK batch (a first version, never
      // registered singly). The lab anchors a one-leaf batch with leaf (R, 2, C) for a forged
      // resource. records.verify(forged, salt, proof) answers "anchored", recordId R, version 2,
      // currentVersion 2: a foreign version of the hospital's record verifies as its current
      // version — the record id and version come from the proof. docs/records.md promises
      // proof-mismatch for "a later version of a record another organization anchored".
      // At fault: sdk/records.ts:451-455 — `genesis` is undefined for a batch-only record, so the
      // organization check is skipped and currentVersion = p.version. Fix: a later-version leaf
      // verifies only when the chain holds its record (genesis registered, as amend requires) and
      // genesis.orgId == the batch's organization; otherwise proof-mismatch.
      const f = await loadFixture(recordsFixture);
      const hospital = await f.connect(f.doctor);
      const lab = await f.connect(f.labAdmin);
      const { batch } = await (await hospital.records.anchorBatch([{ resource: observation("a1c", 5.4), salt: saltOf(1) }, { resource: observation("ldl", 3.1), salt: saltOf(2) }])).wait();
      const R = batch.commitments[0];
      expect((await hospital.records.verify(observation("a1c", 5.4), saltOf(1), batch.proof(0))).status).to.equal("anchored");
      const forged = observation("a1c", 9.9);
      const salt = newSalt();
      const C = recordCommitment(forged, salt);
      const tree = FastMerkleTree.of([recordLeafValues(lab.records.leaf(R, 2, C))], RECORD_LEAF_ENCODING);
      await (await f.records.connect(f.labAdmin).anchorBatch(tree.root, 1)).wait();
      const result = await hospital.records.verify(forged, salt, { root: tree.root, recordId: R, version: 2, commitment: C, proof: [] });
      expect(result.status, JSON.stringify(result, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))).to.equal("proof-mismatch");
    });

    it("sdk: a relayer may submit a patient's revocation signed for the nonce its pending grant leads to", async function () {
      // Integrator (relayer), change 4. The patient signs a grant (nonce 0) and, at once, its
      // revocation for nonce 1 (SignOptions.nonce). On a real network the relayer sends the grant
      // and the revocation back to back; the contract would apply both in order. submitRevoke now
      // reads nonces(patient, grantee) at "latest" — 0 while the grant is pending — and throws
      // InvalidNonce(1, 0) without sending: the SDK refuses a signature the contract accepts.
      // At fault: sdk/consent.ts:336 (#refuseStale reads epoch and nonce at the latest block; its
      // nonce check at :342 is an equality). Fix: read at the "pending" block tag, or refuse only a
      // nonce below the current one (the contract's InvalidNonce for a future nonce is harmless).
      const f = await loadFixture(consentFixture);
      const wallet = hre.ethers.Wallet.createRandom().connect(hre.ethers.provider);
      const patientCl = await CareLedger.connect(wallet, { addressBook: f.book });
      const relayerCl = await f.connect(f.relayer);
      const deadline = (await now()) + 3600;
      const grant = await patientCl.consent.signGrant({ grantee: f.doctor.address, classes: ["labs"], purposes: ["TREAT"], validUntil: deadline + YEAR, commitment: COMMITMENT }, { deadline });
      const revoke = await patientCl.consent.signRevoke({ grantee: f.doctor.address }, { deadline, nonce: 1 });
      await hre.network.provider.send("evm_setAutomine", [false]);
      let outcome: string;
      try {
        await relayerCl.consent.submitGrant(grant, { gasLimit: 300_000 });
        outcome = await relayerCl.consent.submitRevoke(revoke, { gasLimit: 300_000 }).then(
          () => "sent",
          (e: Error) => `${e.name}: ${e.message}`,
        );
      } finally {
        await hre.network.provider.send("evm_setAutomine", [true]);
        await mine();
      }
      expect(outcome).to.equal("sent");
      expect(await relayerCl.consent.isPermitted({ patient: wallet.address, accessor: f.doctor.address, dataClass: "labs", purpose: "TREAT" })).to.equal(false);
    });

    it("tasks: records:anchor tightens an existing salts file to 0600 on resume even when the run fails", async function () {
      // Patient-data custodian, change 4. A run dies after writing the salts file (here: the
      // registry is paused, so the batch is refused). The salts file is later opened up (restored
      // from a backup, copied, chmod). The operator resumes; the run fails again (still paused):
      // the salts — "THE SECRET that keeps the records private" — stay world-readable. The commit
      // promises "secret files are 0600 even when they existed (records:anchor's salts file on
      // resume)"; consent:grant's documentSalt tightens its file before sending, records:anchor
      // only after a successful anchoring.
      // At fault: tasks/records.ts:130-131 — on resume (`earlier` set) nothing touches the file
      // before sending; the only openSecret is at :153, after anchorBatch. Fix: fs.chmodSync(saltsFile,
      // 0o600) when `earlier` is found, before anything is sent.
      const f = await loadFixture(recordsFixture);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "careledger-session-review-"));
      const saved = process.env.CARELEDGER_DEPLOYMENTS_DIR;
      const stderr = process.stderr.write.bind(process.stderr);
      const log = console.log;
      const error = console.error;
      try {
        writeAddressBook(f.book, dir);
        process.env.CARELEDGER_DEPLOYMENTS_DIR = dir;
        const file = path.join(dir, "labs.json");
        fs.writeFileSync(file, JSON.stringify({ resourceType: "Bundle", type: "collection", entry: [{ resource: observation("a1c", 5.4) }, { resource: observation("ldl", 3.1) }] }));
        await f.records.connect(f.pauser).pause();
        process.stderr.write = (() => true) as typeof process.stderr.write;
        console.log = () => undefined;
        console.error = () => undefined;
        const runIt = () => hre.run("records:anchor", { file, out: dir, from: f.doctor.address }).then(() => "ok", (e: Error) => e.message);
        expect(await runIt()).to.not.equal("ok");
        const saltsFile = path.join(dir, "labs.salts.json");
        expect(fs.statSync(saltsFile).mode & 0o777, "first run").to.equal(0o600);
        fs.chmodSync(saltsFile, 0o644);
        expect(await runIt()).to.not.equal("ok");
        expect(fs.statSync(saltsFile).mode & 0o777, "after a resumed run").to.equal(0o600);
      } finally {
        process.stderr.write = stderr;
        console.log = log;
        console.error = error;
        if (saved === undefined) delete process.env.CARELEDGER_DEPLOYMENTS_DIR;
        else process.env.CARELEDGER_DEPLOYMENTS_DIR = saved;
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  // =========================================================================================== held
  describe("held", function () {
    it("claims: the binding frees exactly when no live claim cites the evidence, through pends, decisions, appeals, resubmissions, corrections and voids (live never drifts)", async function () {
      const f = await loadFixture(claimsFixture);
      await f.claims.connect(f.adjuster).enroll(f.planId, f.member2.address, f.start, f.start + 300 * DAY);
      const E = await f.anchored();
      const probe = () => citable(f, E, f.member2.address, [f.line(CODE.XRAY, 77n * USD)]);
      // A pended claim (reviewed code), a rules-approved one and a denied one (no benefit) all cite E.
      const pended = await f.submission({ evidence: E, lines: [f.line(CODE.REVIEW, 400n * USD)] });
      await f.claims.connect(f.doctor).submit(sub(pended));
      const paid = await f.submission({ evidence: E, lines: [f.line(CODE.VISIT, 600n * USD)] });
      await f.claims.connect(f.doctor).submit(sub(paid));
      const denied = await f.submission({ evidence: E, lines: [f.line(CODE.UNKNOWN, 90n * USD)] });
      await f.claims.connect(f.doctor).submit(sub(denied));
      expect(Number((await f.claims.claim(claimIdOf(denied))).status)).to.equal(ClaimStatus.Denied);
      expect(await probe()).to.equal("EvidenceOfAnotherMember");
      // Decided, appealed (not retirable while appealed), resolved.
      await (await (await f.sdkAs(f.adjuster)).decide({ claimId: claimIdOf(pended), decisions: [{ allowed: 300n * USD, reason: 45 }] })).wait();
      await (await (await f.sdkAs(f.patient)).appeal({ claimId: claimIdOf(pended) })).wait();
      await expect(f.claims.connect(f.doctor).voidClaim(claimIdOf(pended), rec(await f.sdk.claims.record(claimIdOf(pended))))).to.be.revertedWithCustomError(f.claims, "InvalidClaimStatus");
      await (await (await f.sdkAs(f.adjuster2)).resolveAppeal({ claimId: claimIdOf(pended) })).wait();
      // The denied claim resubmitted (same service, same evidence), then corrected to other evidence.
      const resub = await (await (await f.sdkAs(f.doctor)).resubmit({ claimId: claimIdOf(denied) })).wait();
      expect(await probe()).to.equal("EvidenceOfAnotherMember");
      await correct(f, resub.claimId, await f.submission({ evidence: await f.anchored(), lines: [f.line(CODE.XRAY, 90n * USD)] }));
      expect(await probe()).to.equal("EvidenceOfAnotherMember");
      // The paid one corrected twice on E (through a moment with none live), then voided.
      const c1 = await correct(f, claimIdOf(paid), await f.submission({ evidence: E, lines: [f.line(CODE.VISIT, 500n * USD)] }));
      const c2 = await correct(f, c1.id, await f.submission({ evidence: E, lines: [f.line(CODE.VISIT, 450n * USD)] }));
      await voidIt(f, c2.id);
      expect(await probe()).to.equal("EvidenceOfAnotherMember"); // the overturned claim still cites it
      await voidIt(f, claimIdOf(pended));
      expect(await probe()).to.equal("accepted");
      // Retired claims cannot be retired again (no second release, no underflow path).
      for (const gone of [claimIdOf(pended), c2.id, claimIdOf(paid)]) {
        await expect(f.claims.connect(f.doctor).voidClaim(gone, rec(await f.sdk.claims.record(gone)))).to.be.revertedWithCustomError(f.claims, "InvalidClaimStatus");
      }
      // member2 takes it; the patient may not cite it while member2's claim lives; after its void, the patient again.
      const m2 = await f.submission({ evidence: E, member: f.member2.address, lines: [f.line(CODE.XRAY, 77n * USD)] });
      await f.claims.connect(f.doctor).submit(sub(m2));
      expect(await citable(f, E, f.patient.address, [f.line(CODE.XRAY, 66n * USD)])).to.equal("EvidenceOfAnotherMember");
      await voidIt(f, claimIdOf(m2));
      expect(await citable(f, E, f.patient.address, [f.line(CODE.XRAY, 66n * USD)])).to.equal("accepted");
    });

    it("claims: a correction cannot move a live claim onto evidence backing another member's live claim, nor back two members at once", async function () {
      const f = await loadFixture(claimsFixture);
      await f.claims.connect(f.adjuster).enroll(f.planId, f.member2.address, f.start, f.start + 300 * DAY);
      const [E1, E2] = [await f.anchored(), await f.anchored()];
      const a = await f.submission({ evidence: E1, lines: [f.line(CODE.VISIT, 300n * USD)] });
      await f.claims.connect(f.doctor).submit(sub(a));
      const b = await f.submission({ evidence: E2, member: f.member2.address, lines: [f.line(CODE.VISIT, 300n * USD)] });
      await f.claims.connect(f.doctor).submit(sub(b));
      // The patient's claim corrected onto member2's evidence: refused, and nothing changed.
      const before = (await f.claims.claim(claimIdOf(a))).recordHash;
      await expect(f.claims.connect(f.doctor).submitCorrection(sub(await f.submission({ evidence: E2, lines: [f.line(CODE.VISIT, 250n * USD)] })), claimIdOf(a), rec(await f.sdk.claims.record(claimIdOf(a)))))
        .to.be.revertedWithCustomError(f.claims, "EvidenceOfAnotherMember")
        .withArgs(E2, f.member2.address);
      expect([(await f.claims.claim(claimIdOf(a))).recordHash, await citable(f, E1, f.member2.address, [f.line(CODE.XRAY, 10n * USD)])]).to.deep.equal([before, "EvidenceOfAnotherMember"]);
      // A correction cannot change the member (CorrectionMismatch) to carry E1 over to member2.
      await expect(f.claims.connect(f.doctor).submitCorrection(sub(await f.submission({ evidence: E1, member: f.member2.address, lines: [f.line(CODE.VISIT, 250n * USD)] })), claimIdOf(a), rec(await f.sdk.claims.record(claimIdOf(a)))))
        .to.be.revertedWithCustomError(f.claims, "CorrectionMismatch");
      // Another organization cannot cite the hospital's released evidence for the same member either (mock registry).
      await voidIt(f, claimIdOf(a));
      await f.claims.connect(f.labAdmin).setPayee(f.labAdmin.address);
      await expect(f.claims.connect(f.labAdmin).submit(sub(await f.submission({ evidence: E1, providerOrg: LAB, lines: [f.line(CODE.XRAY, 10n * USD)] }))))
        .to.be.revertedWithCustomError(f.claims, "EvidenceNotAnchored")
        .withArgs(E1, LAB);
    });

    it("claims: a void then a rebill of the same record to the right member pays the service once (recouped), and the escrow balances", async function () {
      const f = await loadFixture(claimsFixture);
      await f.claims.connect(f.adjuster).enroll(f.planId, f.member2.address, f.start, f.start + 300 * DAY);
      const engine = await f.claims.getAddress();
      const E = await f.anchored();
      const payee0 = await f.token.balanceOf(f.payee.address);
      const wrong = await f.submission({ evidence: E, lines: [f.line(CODE.VISIT, 1_000n * USD)] });
      await f.claims.connect(f.doctor).submit(sub(wrong)); // deductible 500, plan 400
      await voidIt(f, claimIdOf(wrong));
      expect(await f.claims.owedBack(f.planId, HOSPITAL)).to.equal(400n * USD);
      const acc = await f.claims.accumulators(f.planId, f.patient.address, 0);
      expect([acc.deductibleMet, acc.outOfPocketMet, acc.benefitPaid]).to.deep.equal([0n, 0n, 0n]);
      const right = await f.submission({ evidence: E, member: f.member2.address, lines: [f.line(CODE.VISIT, 1_000n * USD)] });
      await f.claims.connect(f.doctor).submit(sub(right)); // plan 400, all offset against the debt
      expect(await f.claims.owedBack(f.planId, HOSPITAL)).to.equal(0n);
      expect((await f.token.balanceOf(f.payee.address)) - payee0).to.equal(400n * USD);
      const funds = await f.claims.funds(f.planId);
      expect([funds.balance, funds.reserved, await f.token.balanceOf(engine)]).to.deep.equal([100_000n * USD - 400n * USD, 0n, 100_000n * USD - 400n * USD]);
      // The voided claim's service (same lines, same day, same member) is never billed again.
      await expect(f.claims.connect(f.doctor).submit(sub({ ...wrong, evidence: await f.anchored() }))).to.be.revertedWithCustomError(f.claims, "DuplicateClaim");
    });

    it("claims (real registry): another organization's anchor of the hospital's leaf is bound apart; the hospital's live binding is untouched", async function () {
      const f = await loadFixture(realEvidenceFixture);
      await f.records.connect(f.labAdmin).anchor(f.evidence);
      const labClaim = f.visit([f.line(CODE.VISIT, 800n * USD)], { providerOrg: LAB, member: f.member2.address });
      // The lab's claim stands on its own anchor, bound under the lab to member2 ...
      await expect(f.engine.connect(f.labAdmin).submit(sub(labClaim))).to.emit(f.engine, "ClaimSubmitted");
      await expect(f.engine.connect(f.labAdmin).submit(sub({ ...labClaim, member: f.patient.address })))
        .to.be.revertedWithCustomError(f.engine, "EvidenceOfAnotherMember")
        .withArgs(f.evidence, f.member2.address);
      // ... while the hospital's binding (the patient, live) is the hospital's: its correction goes on, without the proof.
      const corrected = f.visit([f.line(CODE.VISIT, 900n * USD)]);
      await expect(f.engine.connect(f.doctor).submitCorrection(sub(corrected), claimIdOf(f.first), rec(await f.suiteSdk.claims.record(claimIdOf(f.first))))).to.emit(f.engine, "ClaimCorrected");
      // A proof one level deeper than the batch (padded with a fake level) is no proof at all.
      const fakeRoot = id("a deeper root");
      expect(await f.records.evidenceStatus(HOSPITAL, f.evidence, f.root, [...f.proof, fakeRoot])).to.deep.equal([false, false]);
    });

    it("consent: no opening survives an opt-out — opt back in in the same block, reopen only with a fresh reference, delegate opt-outs, while paused", async function () {
      const f = await loadFixture(consentFixture);
      const ETREAT = 1;
      const LABS = Number(Math.log2(classes("labs")));
      const permitted = (who = f.doctor) => f.consent.isPermitted(f.patient.address, who.address, LABS, ETREAT);
      expect(purposes("ETREAT")).to.equal(1 << ETREAT);
      await f.consent.connect(f.doctor).breakGlass(f.patient.address, 1, id("r1"), 3600);
      expect(await permitted()).to.equal(true);
      // Opt out and back in, in one block: the opening is dead.
      await hre.network.provider.send("evm_setAutomine", [false]);
      try {
        await f.consent.connect(f.patient).setBreakGlassOptOut(f.patient.address, true);
        await f.consent.connect(f.patient).setBreakGlassOptOut(f.patient.address, false);
        await mine();
      } finally {
        await hre.network.provider.send("evm_setAutomine", [true]);
      }
      expect([await permitted(), await f.consent.optOutsOf(f.patient.address)]).to.deep.equal([false, 1n]);
      // Opting in again (no opt-out in between) does not bump the count nor revive anything.
      await f.consent.connect(f.patient).setBreakGlassOptOut(f.patient.address, false);
      expect([await permitted(), await f.consent.optOutsOf(f.patient.address)]).to.deep.equal([false, 1n]);
      await expect(f.consent.connect(f.doctor).breakGlass(f.patient.address, 1, id("r1"), 3600)).to.be.revertedWithCustomError(f.consent, "ReasonAlreadyUsed");
      await f.consent.connect(f.doctor).breakGlass(f.patient.address, 1, id("r2"), 3600);
      expect(await permitted()).to.equal(true);
      // A delegate's opt-out, made while the registry is paused, ends it too; while opted out nothing opens,
      // and the nurse cannot log an access under the doctor's stamp.
      await f.consent.connect(f.patient).appointDelegate(f.delegate.address, (await now()) + YEAR, ...FULL_SCOPE);
      await f.consent.connect(f.pauser).pause();
      await f.consent.connect(f.delegate).setBreakGlassOptOut(f.patient.address, true);
      await f.consent.connect(f.pauser).unpause();
      expect(await permitted()).to.equal(false);
      await expect(f.consent.connect(f.nurse).breakGlass(f.patient.address, 1, id("r3"), 3600)).to.be.revertedWithCustomError(f.consent, "BreakGlassOptedOut");
      await expect(f.consent.connect(f.doctor).logAccess(f.patient.address, RECORD, LABS, ETREAT)).to.be.revertedWithCustomError(f.consent, "AccessNotPermitted");
      // Opted back in: the doctor's opening (stamped 1, count now 2) stays dead until a new one.
      await f.consent.connect(f.patient).setBreakGlassOptOut(f.patient.address, false);
      expect([await permitted(), (await f.consent.breakGlassOf(f.patient.address, f.doctor.address)).optOuts]).to.deep.equal([false, 1n]);
    });

    it("consent: suspension cuts the organization's grant and its members' break-glass; a grant to the person's own account survives (logged under org 0)", async function () {
      const f = await loadFixture(consentFixture);
      const LABS = Number(Math.log2(classes("labs")));
      const until = (await now()) + YEAR;
      await f.consent.connect(f.patient).grant(f.patient.address, f.organizationGrantee(C_HOSPITAL), classes("labs"), purposes("TREAT"), 0, until, COMMITMENT);
      await f.consent.connect(f.patient).grant(f.patient.address, f.accountGrantee(f.doctor.address), classes("labs"), purposes("TREAT"), 0, until, COMMITMENT);
      await f.consent.connect(f.nurse).breakGlass(f.patient.address, 1, id("nurse"), 3600);
      expect(await f.consent.isPermitted(f.patient.address, f.nurse.address, LABS, 0)).to.equal(true);
      await f.registry.connect(f.pauser).suspendOrganization(C_HOSPITAL);
      expect(await f.consent.isPermitted(f.patient.address, f.nurse.address, LABS, 0)).to.equal(false);
      expect(await f.consent.isPermitted(f.patient.address, f.nurse.address, LABS, 1)).to.equal(false);
      const logged = await (await f.consent.connect(f.doctor).logAccess(f.patient.address, RECORD, LABS, 0)).wait();
      const ev = logged!.logs.map((l) => f.consent.interface.parseLog(l)).find((e) => e?.name === "AccessLogged")!;
      expect(ev.args.orgId).to.equal(0n);
    });

    it("records: honest SDK batches of every small size register and verify at their depth; a proof padded past it is refused", async function () {
      const f = await loadFixture(recordsFixture);
      const registry = await f.records.getAddress();
      let n0 = 100;
      for (const size of [1, 2, 3, 4, 5, 7, 8, 9, 17]) {
        const commitments = Array.from({ length: size }, (_, i) => recordCommitment(observation(`o${n0 + i}`, i), saltOf(n0 + i)));
        n0 += size;
        const tree = batchOf(commitments, f.chainId, registry);
        await f.records.connect(f.doctor).anchorBatch(tree.root, size);
        const depth = Math.ceil(Math.log2(size));
        for (let i = 0; i < size; i++) {
          const proof = tree.getProof(i);
          expect(proof.length, `size ${size}`).to.be.at.most(depth);
          expect(await f.records.verifyInclusion(R_HOSPITAL, tree.root, commitments[i], 1, commitments[i], proof)).to.equal(true);
        }
        await f.records.registerBatchRecord(R_HOSPITAL, tree.root, commitments[size - 1], tree.getProof(size - 1));
      }
      // A proof of an internal node one level up, padded: refused as too long or invalid.
      const c = [commitmentAt(0), commitmentAt(1), commitmentAt(2)];
      const t3 = batchOf(c, f.chainId, registry);
      await f.records.connect(f.labAdmin).anchorBatch(t3.root, 3);
      // The leaf at the tree's full depth (which one depends on the leaves' hashes: the tree sorts them).
      const deepest = [0, 1, 2].find((i) => t3.getProof(i).length === 2)!;
      await expect(f.records.registerBatchRecord(R_LAB, t3.root, c[deepest], [...t3.getProof(deepest), id("pad")])).to.be.revertedWithCustomError(f.records, "ProofTooLong");
    });

    it("records: verify takes identity from the chain — a superseded version with a proof naming the current version is proof-mismatch, a retracted one stays retracted", async function () {
      const f = await loadFixture(recordsFixture);
      const doctor = await f.connect(f.doctor);
      const v1 = observation("a1c", 5.4);
      const v2 = observation("a1c", 5.6);
      const { recordId } = await (await doctor.records.anchor({ resource: v1, salt: saltOf(1) })).wait();
      const amended = await (await doctor.records.amend({ recordId, supersedes: 1, resource: v2, salt: saltOf(2) })).wait();
      const c1 = recordCommitment(v1, saltOf(1));
      expect((await doctor.records.verify(v1, saltOf(1))).status).to.equal("superseded");
      const lie = { root: id("any"), recordId, version: amended.version, commitment: c1, proof: [] };
      expect((await doctor.records.verify(v1, saltOf(1), lie)).status).to.equal("proof-mismatch");
      // A batch copy of the superseded first version (the hospital's own, or the lab's) never makes it current.
      const copy = await f.records.leafHash(c1, 1, c1);
      await f.records.connect(f.labAdmin).anchorBatch(copy, 1);
      const copyProof = { root: copy, recordId: c1, version: 1, commitment: c1, proof: [] };
      // Two organizations hold c1 now (the hospital singly, the lab in its copy): the SDK will not pick one.
      expect(await doctor.records.verify(v1, saltOf(1), copyProof).then(() => "answered", (e: { code?: string }) => e.code)).to.equal("AMBIGUOUS_ORGANIZATION");
      expect((await doctor.records.verify(v1, saltOf(1), copyProof, { orgId: R_HOSPITAL })).status).to.equal("superseded");
      // The lab's copy is the lab's own statement, and says so.
      expect(await doctor.records.verify(v1, saltOf(1), { ...copyProof, orgId: R_LAB })).to.deep.include({ status: "anchored", via: "batch", orgId: R_LAB, currentVersion: 1 });
      expect(amended.commitment).to.equal(recordCommitment(v2, saltOf(2)));
      await (await doctor.records.retract({ commitment: amended.commitment, reason: 1 })).wait();
      expect((await doctor.records.verify(v2, saltOf(2))).status).to.equal("retracted");
    });

    it("sdk: access references are fresh per access, never a record's id or commitment, and the task's nonce reproduces them", async function () {
      const record = { salt: saltOf(1), recordId: recordCommitment(observation("a1c", 5.4), saltOf(1)) };
      const a = accessReference(record);
      const b = accessReference(record);
      expect(a.recordRef).to.not.equal(b.recordRef);
      expect([a.recordRef, b.recordRef]).to.not.include(record.recordId);
      expect(accessReference(record, a.nonce).recordRef).to.equal(a.recordRef);
      expect(() => accessReference({ ...record, salt: "0x12" })).to.throw();
    });

    it("sdk: submitGrant still refuses a used signature and sends nothing", async function () {
      const f = await loadFixture(consentFixture);
      const patientCl = await f.connect(f.patient);
      const relayerCl = await f.connect(f.relayer);
      const deadline = (await now()) + 3600;
      const signed = await patientCl.consent.signGrant({ grantee: f.doctor.address, classes: ["labs"], purposes: ["TREAT"], validUntil: deadline + YEAR, commitment: COMMITMENT }, { deadline });
      await (await relayerCl.consent.submitGrant(signed)).wait();
      const sent = await hre.ethers.provider.getTransactionCount(f.relayer.address);
      const err = await relayerCl.consent.submitGrant(signed, { gasLimit: 300_000 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((err as ContractRevertError).errorName).to.equal("InvalidNonce");
      expect(await hre.ethers.provider.getTransactionCount(f.relayer.address)).to.equal(sent);
    });
  });
});

/** A deterministic commitment for the padded-proof case. */
function commitmentAt(n: number): string {
  return recordCommitment(observation(`pad-${n}`, n), saltOf(900 + n));
}
