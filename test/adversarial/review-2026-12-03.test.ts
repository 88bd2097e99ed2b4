/**
 * Outside review, 2026-12-03, of: one-slot claims (record hash with planId/decidedAt/planPaid),
 * corrections in the engine, per-organization records, signed delegations.
 *
 * "finding: …" tests failed on the reviewed code (both fixed in sdk/claims.ts: the chain is read
 * first). "holds: …" tests: what was attacked and held.
 */
import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre from "hardhat";
import { CareLedger, ClaimStatus, ContractRevertError } from "../../sdk";
import { signDelegateRemovalRequest, signDelegationRequest, type DelegationRequest } from "../../sdk";
import { claimsFixture, CODE, DAY, HOSPITAL, LAB, realEvidenceFixture, rec, sub, USD } from "../claims/fixtures";
import { classes, consentFixture, now, purposes, YEAR } from "../consent/fixtures";

describe("Review 2026-12-03", function () {
  describe("findings", function () {
    it("finding: claims.claim(unknown id) throws the documented ContractRevertError `UnknownClaim`", async function () {
      // sdk/claims.ts documents `claim()` (and claimResponse/explanationOfBenefit, via claim()) as
      // throwing ContractRevertError `UnknownClaim`. Since claim() rebuilds the record from events
      // (#verified: Promise.all([history, #stored])), history() throws first: CareLedgerError
      // UNKNOWN_CLAIM. An integrator that tells "not yet submitted" from other failures with
      // `err instanceof ContractRevertError && err.errorName === "UnknownClaim"` (exactly what
      // submitOnce did before this change) now treats an unknown claim as a hard error.
      const f = await loadFixture(claimsFixture);
      const err = await f.sdk.claims.claim(hre.ethers.id("never submitted")).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, "claim() of an unknown id").to.be.instanceOf(ContractRevertError);
      expect((err as ContractRevertError).errorName).to.equal("UnknownClaim");
    });

    it("finding: claims.claim(id) of a claim the chain holds never reports it as unknown (client whose fromBlock is after the submission)", async function () {
      // Before this change claim() read status/plan/decidedAt/planPaid from storage. Now a client
      // built with a fromBlock after the submission (a reasonable optimisation for an integrator
      // that only follows recent activity) gets CareLedgerError UNKNOWN_CLAIM for a claim that
      // exists and whose status the chain answers (`ClaimsEngine.claim(id)` -> Approved). At least
      // the error must not say the claim is unknown (record()'s RECORD_MISMATCH/EVENT_MISSING
      // wording names fromBlock as the cause); better, status and hash should still be returned.
      const f = await loadFixture(claimsFixture);
      const doctor = await f.sdkAs(f.doctor);
      const r = await (await doctor.submit(await f.submission())).wait();
      await mine(2);
      const stored = await f.claims.claim(r.claimId);
      expect(Number(stored.status)).to.equal(ClaimStatus.Approved);
      const late = await CareLedger.connect(f.deployer, {
        addressBook: f.book,
        addresses: { ClaimsEngine: f.claims.target as string },
        fromBlock: await hre.ethers.provider.getBlockNumber(),
      });
      const err = await late.claims.claim(r.claimId).then(
        () => undefined,
        (e: unknown) => e as { code?: string },
      );
      expect(err?.code, "an existing claim reported as UNKNOWN_CLAIM").to.equal("EVENT_MISSING");
    });
  });

  describe("held", function () {
    it("holds: a record with another planPaid, decidedAt or planId is refused by void and correction (appeal: next test) (RecordMismatch); the true one works", async function () {
      const f = await loadFixture(claimsFixture);
      const doctor = await f.sdkAs(f.doctor);
      // $1,000 visit: deductible 500, coinsurance 100, plan 400 (paid at once).
      const done = await (await doctor.submit(await f.submission({ lines: [f.line(CODE.VISIT, 1_000n * USD)] }))).wait();
      const r = await f.sdk.claims.record(done.claimId);
      expect([r.planPaid, r.planId]).to.deep.equal([400n * USD, f.planId]);
      for (const bad of [
        { ...r, planPaid: r.planPaid + 1n }, // inflate the credit of a correction
        { ...r, planPaid: 0n }, // void without owing back
        { ...r, decidedAt: r.decidedAt + 365 * DAY }, // move the appeal window
        { ...r, planId: 2n }, // another plan's escrow/accumulators
      ]) {
        await expect(f.claims.connect(f.doctor).voidClaim(done.claimId, rec(bad))).to.be.revertedWithCustomError(f.claims, "RecordMismatch");
        const s2 = await f.submission({ lines: [f.line(CODE.VISIT, 900n * USD)] });
        await expect(f.claims.connect(f.doctor).submitCorrection(sub(s2), done.claimId, rec(bad))).to.be.revertedWithCustomError(f.claims, "RecordMismatch");
      }
      // The true record: the correction is credited exactly 400 and pays only the difference.
      const s2 = await f.submission({ evidence: r.evidence, lines: [f.line(CODE.VISIT, 900n * USD)] });
      const rc = await (await f.claims.connect(f.doctor).submitCorrection(sub(s2), done.claimId, rec(r))).wait();
      const corrected = rc!.logs.map((l) => f.claims.interface.parseLog(l)).find((e) => e?.name === "ClaimCorrected")!;
      expect(corrected.args.credit).to.equal(400n * USD);
    });

    it("holds: the appeal window is fixed by the hashed decidedAt; a record of another claim is refused", async function () {
      const f = await loadFixture(claimsFixture);
      const doctor = await f.sdkAs(f.doctor);
      const partial = await (await doctor.submit(await f.submission({ lines: [f.line(CODE.CAPPED, 1_000n * USD)] }))).wait();
      expect(partial.status).to.equal(ClaimStatus.Partial);
      const other = await (await doctor.submit(await f.submission({ lines: [f.line(CODE.CAPPED, 999n * USD)] }))).wait();
      const rOther = await f.sdk.claims.record(other.claimId);
      await expect(f.claims.connect(f.patient).appeal(partial.claimId, rec(rOther))).to.be.revertedWithCustomError(f.claims, "RecordMismatch");
      await time.increase(31 * DAY);
      const r = await f.sdk.claims.record(partial.claimId);
      await expect(f.claims.connect(f.patient).appeal(partial.claimId, rec(r))).to.be.revertedWithCustomError(f.claims, "AppealWindowClosed");
    });

    it("holds: money per plan — void, re-bill and recoupment keep escrow balance equal to the engine's token balance", async function () {
      const f = await loadFixture(claimsFixture);
      const doctor = await f.sdkAs(f.doctor);
      const a = await (await doctor.submit(await f.submission({ lines: [f.line(CODE.VISIT, 1_000n * USD)] }))).wait();
      await (await doctor.voidClaim({ claimId: a.claimId })).wait();
      expect(await f.claims.owedBack(f.planId, HOSPITAL)).to.equal(400n * USD);
      // Re-bill the same service: refused (a service is billed once, also after a void).
      const dup = await doctor.submit(await f.submission({ lines: [f.line(CODE.VISIT, 1_000n * USD)] })).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(dup).to.be.instanceOf(ContractRevertError);
      expect((dup as ContractRevertError).errorName).to.equal("DuplicateClaim");
      const b = await (await doctor.submit(await f.submission({ lines: [f.line(CODE.VISIT, 2_000n * USD)] }))).wait();
      expect(b.status).to.equal(ClaimStatus.Approved);
      const funds = await f.claims.funds(f.planId);
      expect(funds.balance).to.equal(await f.token.balanceOf(f.claims.target));
      expect(await f.claims.owedBack(f.planId, HOSPITAL)).to.equal(0n);
    });

    it("holds: the lab cannot cite the hospital's batch leaf with the hospital's proof, nor retract/amend/register into the hospital's records", async function () {
      const f = await loadFixture(realEvidenceFixture);
      const labClaim = f.visit([f.line(CODE.VISIT, 700n * USD)], { providerOrg: LAB });
      await expect(f.engine.connect(f.labAdmin).submitWithProof(sub(labClaim), f.root, f.proof)).to.be.revertedWithCustomError(f.engine, "EvidenceNotAnchored");
      // The lab anchors the hospital's root as its own batch: still not the hospital's, and the lab's proof
      // binds under the lab only.
      await f.records.connect(f.labAdmin).anchorBatch(f.root, 2);
      await expect(f.records.connect(f.labAdmin).retract(f.evidence, 1)).to.be.revertedWithCustomError(f.records, "CommitmentNotAnchored");
      await expect(f.records.connect(f.labAdmin).amend(f.evidence, 1, hre.ethers.id("x"))).to.be.revertedWithCustomError(f.records, "UnknownRecord");
      await f.records.registerBatchRecord(HOSPITAL, f.root, f.evidence, f.proof);
      expect((await f.records.recordVersion(HOSPITAL, f.evidence)).orgId).to.equal(HOSPITAL);
      await expect(f.records.connect(f.labAdmin).retract(f.evidence, 1)).to.be.revertedWithCustomError(f.records, "CommitmentNotAnchored");
      // Once the hospital retracts it, its own bound evidence stops, with or without the proof.
      await f.records.connect(f.doctor).retract(f.evidence, 1);
      const again = f.visit([f.line(CODE.VISIT, 600n * USD)]);
      await expect(f.engine.connect(f.doctor).submit(sub(again))).to.be.revertedWithCustomError(f.engine, "EvidenceRetracted");
      await expect(f.engine.connect(f.doctor).submitWithProof(sub(again), f.root, f.proof)).to.be.revertedWithCustomError(f.engine, "EvidenceRetracted");
    });

    it("holds: a signed appointment cannot be replayed after removal, a removal signature is not an appointment, and a delegate cannot appoint for the patient", async function () {
      const f = await loadFixture(consentFixture);
      const wallet = hre.ethers.Wallet.createRandom();
      const sdkDomain = await (await CareLedger.connect(f.relayer, { addressBook: f.book })).consent.domain();
      const until = (await now()) + YEAR;
      const deadline = BigInt((await now()) + 3600);
      const r: DelegationRequest = { patient: wallet.address, delegate: f.delegate.address, until, classes: classes("labs"), purposes: purposes("TREAT"), representative: false, nonce: 0n, epoch: 0n, deadline };
      const sig = await signDelegationRequest(wallet, sdkDomain, r);
      const relayed = f.consent.connect(f.relayer);
      await relayed.appointDelegateBySig(r, sig);
      const rm = { patient: wallet.address, delegate: f.delegate.address, nonce: 1n, epoch: 0n, deadline };
      const rmSig = await signDelegateRemovalRequest(wallet, sdkDomain, rm);
      // The removal's signature offered as an appointment at the same nonce: refused.
      await expect(relayed.appointDelegateBySig({ ...r, nonce: 1n }, rmSig)).to.be.revertedWithCustomError(f.consent, "InvalidSignature");
      await relayed.removeDelegateBySig(rm, rmSig);
      await expect(relayed.appointDelegateBySig(r, sig)).to.be.revertedWithCustomError(f.consent, "InvalidDelegationNonce");
      await expect(relayed.removeDelegateBySig(rm, rmSig)).to.be.revertedWithCustomError(f.consent, "InvalidDelegationNonce");
      // The delegate signing an appointment "for" the patient: not the patient's signature.
      const byDelegate = { ...r, delegate: f.stranger.address, nonce: 0n };
      await expect(relayed.appointDelegateBySig(byDelegate, await signDelegationRequest(f.delegate, sdkDomain, byDelegate))).to.be.revertedWithCustomError(f.consent, "InvalidSignature");
      expect((await f.consent.delegationOf(wallet.address, f.delegate.address)).nonce).to.equal(2n);
    });
  });
});
