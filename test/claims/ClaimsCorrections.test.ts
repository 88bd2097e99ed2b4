/**
 * Claims you can trust with real money: corrections, voids, recoupment and repayment; resubmission
 * of denied claims; service days, order-free duplicates, per-claim caps, returned authorizations,
 * copay designs and civil plan years — each shown from the outside (balances, escrow, statuses,
 * events).
 *
 * Figures use the fixture's plan: $500 deductible, 20% coinsurance, $1,000 out-of-pocket maximum,
 * a $5,000 fee for a visit, $100,000 in escrow.
 */
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre from "hardhat";
import { ClaimStatus, claimIdOf, ContractRevertError, CostSharing, dayTimestamp, ValidationError, type ClaimSubmission } from "../../sdk";
import { claimsEvent, claimsFixture, CODE, correct, DAY, HOSPITAL, LAB, rec, secondPlan, sub, USD, type ClaimsFixture } from "./fixtures";
import { claimState } from "../support/suiteFixture";
import { rejection } from "../support/rejection";

/** Submits as the doctor; returns the claim id and the receipt. */
async function submit(f: ClaimsFixture, s: ClaimSubmission, from = f.doctor) {
  const receipt = await (await f.claims.connect(from).submit(sub(s))).wait();
  return { id: claimIdOf(s), receipt };
}


/** Everything a refused step must leave as it was. */
async function snapshot(f: ClaimsFixture, claimId: string) {
  const c = await claimState(f.claims, claimId);
  const acc = await f.claims.accumulators(f.planId, f.patient.address, 0);
  const funds = await f.claims.funds(f.planId);
  return {
    claim: [Number(c.status), c.planPaid, c.recordHash],
    acc: [acc.deductibleMet, acc.outOfPocketMet, acc.benefitPaid],
    funds: [funds.balance, funds.reserved],
    owed: await f.claims.owedBack(f.planId, HOSPITAL),
    payee: await f.token.balanceOf(f.payee.address),
  };
}

describe("ClaimsEngine: every service paid once, every overpayment recovered", function () {
  describe("a chain of corrections", function () {
    it("pays one $1,000 visit once however often it is corrected down to nothing and back up", async function () {
      const f = await loadFixture(claimsFixture);
      const before = await f.token.balanceOf(f.payee.address);
      const visit = await f.submission({ lines: [f.line(CODE.VISIT, 1_000n * USD)] });
      let live = (await submit(f, visit)).id; // deductible 500, coinsurance 100: the plan pays 400
      for (let cycle = 0; cycle < 5; cycle++) {
        // Down: a $500 claim is all deductible, the plan's share 0; the 400 already paid is owed back.
        // (A service once billed is never billed again with the very same lines: each link differs.)
        const down = await correct(f, live, { ...visit, lines: [f.line(CODE.VISIT, 500n * USD, 10 + cycle)] });
        expect(claimsEvent(f.claims, down.receipt, "OverpaymentRecorded")!.args.amount).to.equal(400n * USD);
        expect(await f.claims.owedBack(f.planId, HOSPITAL)).to.equal(400n * USD);
        // Up again with another unit count: 400 is due, and all of it is what the provider owes.
        const up = await correct(f, down.id, { ...visit, lines: [f.line(CODE.VISIT, 1_000n * USD, 2 + cycle)] });
        expect(claimsEvent(f.claims, up.receipt, "OverpaymentRecovered")!.args.amount).to.equal(400n * USD);
        expect(claimsEvent(f.claims, up.receipt, "ClaimPaid")).to.equal(undefined);
        live = up.id;
      }
      expect((await f.token.balanceOf(f.payee.address)) - before).to.equal(400n * USD);
      expect(await f.claims.owedBack(f.planId, HOSPITAL)).to.equal(0n);
      expect((await claimState(f.claims, live)).planPaid).to.equal(400n * USD);
      expect((await f.claims.funds(f.planId)).balance).to.equal(100_000n * USD - 400n * USD);
      const acc = await f.claims.accumulators(f.planId, f.patient.address, 0);
      expect([acc.deductibleMet, acc.outOfPocketMet, acc.benefitPaid]).to.deep.equal([500n * USD, 600n * USD, 400n * USD]);
    });

    it("credits a correction with what the plan committed over the whole chain, a pended link included", async function () {
      const f = await loadFixture(claimsFixture);
      const a = await submit(f, await f.submission({ lines: [f.line(CODE.VISIT, 1_000n * USD)] })); // plan 400, paid
      // Corrected to a claim that pends for review: it carries the chain's 400 as its credit.
      const b = await correct(f, a.id, await f.submission({ lines: [f.line(CODE.REVIEW, 1_000n * USD)] }));
      expect(claimsEvent(f.claims, b.receipt, "ClaimCorrected")!.args.credit).to.equal(400n * USD);
      expect(Number((await f.claims.claim(b.id)).status)).to.equal(ClaimStatus.Pended);
      // Corrected again before a decision: the pended link committed nothing, the chain still 400;
      // it was waiting for an adjuster, so its correction waits too (plan share 800, exposure 800).
      const c = await correct(f, b.id, await f.submission({ lines: [f.line(CODE.VISIT, 1_500n * USD)] }));
      expect(claimsEvent(f.claims, c.receipt, "ClaimCorrected")!.args.credit).to.equal(400n * USD);
      expect([Number((await f.claims.claim(c.id)).status), (await f.claims.funds(f.planId)).reserved]).to.deep.equal([ClaimStatus.Pended, 800n * USD]);
      // Decided as previewed: the plan pays the 400 the chain had not been paid, once.
      const decided = await (await (await f.sdkAs(f.adjuster)).decide({ claimId: c.id })).wait();
      expect([decided.planTotal, decided.paid]).to.deep.equal([800n * USD, 400n * USD]);
      expect((await f.claims.funds(f.planId)).reserved).to.equal(0n);
    });
  });

  describe("recoupment", function () {
    async function owingFixture() {
      const f = await claimsFixture();
      const a = await submit(f, await f.submission({ lines: [f.line(CODE.VISIT, 1_000n * USD)] })); // paid 400
      await correct(f, a.id, await f.submission({ lines: [f.line(CODE.VISIT, 500n * USD)] })); // owes 400
      return f;
    }

    it("offsets what a provider owes against its next payment under the plan, in the same transaction, with an event", async function () {
      const f = await loadFixture(owingFixture);
      const before = await f.token.balanceOf(f.payee.address);
      const next = await f.submission({ serviceDate: (await f.submission()).serviceDate - DAY, lines: [f.line(CODE.VISIT, 1_000n * USD)] });
      const tx = f.claims.connect(f.doctor).submit(sub(next));
      // Deductible met: 20% of 1,000 = 200 -> plan 800, of which 400 recovers the overpayment.
      await expect(tx).to.emit(f.claims, "OverpaymentRecovered").withArgs(claimIdOf(next), f.planId, HOSPITAL, 400n * USD);
      await expect(tx).to.emit(f.claims, "ClaimPaid").withArgs(claimIdOf(next), f.planId, f.payee.address, 400n * USD);
      expect((await f.token.balanceOf(f.payee.address)) - before).to.equal(400n * USD);
      expect(await f.claims.owedBack(f.planId, HOSPITAL)).to.equal(0n);
      expect((await f.claims.funds(f.planId)).balance).to.equal(100_000n * USD - 400n * USD - 400n * USD);
      const res = await f.sdk.claims.history(claimIdOf(next));
      expect(res.recovered.map((r) => r.amount)).to.deep.equal([400n * USD]);
    });

    it("keeps a whole payment when the provider owes more than it, and never touches another plan's payments", async function () {
      const f = await loadFixture(owingFixture);
      const small = await f.submission({ serviceDate: (await f.submission()).serviceDate - DAY, lines: [f.line(CODE.VISIT, 1_000n * USD - 1_500n * USD / 10n)] });
      const res = await (await (await f.sdkAs(f.doctor)).submit(small)).wait();
      // 850: 20% = 170, plan 680 > 400: recovers 400, pays 280.
      expect([res.planTotal, res.recovered, res.paid]).to.deep.equal([680n * USD, 400n * USD, 280n * USD]);
      await secondPlan(f);
      await f.claims.connect(f.insurerAdmin).fund(2, 1_000n * USD);
      // The hospital owes plan 1 nothing now; make it owe again, then bill plan 2: paid in full.
      const a = await submit(f, await f.submission({ serviceDate: (await f.submission()).serviceDate - 2 * DAY, lines: [f.line(CODE.VISIT, 300n * USD)] }));
      await correct(f, a.id, await f.submission({ serviceDate: (await f.submission()).serviceDate - 2 * DAY, lines: [f.line(CODE.VISIT, 100n * USD)] }));
      expect(await f.claims.owedBack(f.planId, HOSPITAL)).to.equal(160n * USD);
      const other = await (await (await f.sdkAs(f.doctor)).submit(await f.submission({ planId: 2n, lines: [f.line(CODE.VISIT, 700n * USD)] }))).wait();
      expect([other.paid, other.recovered]).to.deep.equal([700n * USD, 0n]);
      expect(await f.claims.owedBack(f.planId, HOSPITAL)).to.equal(160n * USD);
    });

    it("never pays a queued payment for a service corrected to nothing: the drain recovers it", async function () {
      const f = await loadFixture(claimsFixture);
      await secondPlan(f);
      const a = await submit(f, await f.submission({ planId: 2n, lines: [f.line(CODE.VISIT, 400n * USD)] }));
      expect(claimsEvent(f.claims, a.receipt, "PaymentQueued")!.args.amount).to.equal(400n * USD); // nothing funded
      const b = await correct(f, a.id, await f.submission({ planId: 2n, lines: [f.line(CODE.VISIT, 400n * USD, 2)] }));
      expect(claimsEvent(f.claims, b.receipt, "ClaimCorrected")!.args.credit).to.equal(400n * USD); // the queued 400 counts
      const c = await correct(f, b.id, await f.submission({ planId: 2n, lines: [f.line(CODE.VISIT, 0n)] }));
      expect(claimsEvent(f.claims, c.receipt, "OverpaymentRecorded")!.args.amount).to.equal(400n * USD);
      const before = await f.token.balanceOf(f.payee.address);
      const tx = f.claims.connect(f.insurerAdmin).fund(2, 1_000n * USD);
      await expect(tx).to.emit(f.claims, "OverpaymentRecovered").withArgs(a.id, 2n, HOSPITAL, 400n * USD);
      await expect(tx).not.to.emit(f.claims, "ClaimPaid");
      expect(await f.token.balanceOf(f.payee.address)).to.equal(before);
      expect(await f.claims.funds(2)).to.deep.equal([1_000n * USD, 0n, 1n, 1n]);
      expect(await f.claims.owedBack(2, HOSPITAL)).to.equal(0n);
    });

    it("lets the provider repay what it owes into the escrow, and no more", async function () {
      const f = await loadFixture(owingFixture);
      await f.token.mint(f.hospitalAdmin.address, 1_000n * USD);
      await f.token.connect(f.hospitalAdmin).approve(await f.claims.getAddress(), 1_000n * USD);
      const ch = f.claims.connect(f.hospitalAdmin);
      await expect(ch.repay(f.planId, HOSPITAL, 401n * USD)).to.be.revertedWithCustomError(f.claims, "RepaymentExceedsOwed").withArgs(f.planId, HOSPITAL, 401n * USD, 400n * USD);
      await expect(ch.repay(f.planId, HOSPITAL, 0)).to.be.revertedWithCustomError(f.claims, "ZeroAmount");
      await expect(ch.repay(f.planId, LAB, 1n)).to.be.revertedWithCustomError(f.claims, "RepaymentExceedsOwed").withArgs(f.planId, LAB, 1n, 0n);
      await expect(ch.repay(9n, HOSPITAL, 1n)).to.be.revertedWithCustomError(f.claims, "RepaymentExceedsOwed");
      const balance = (await f.claims.funds(f.planId)).balance;
      await expect(ch.repay(f.planId, HOSPITAL, 150n * USD)).to.emit(f.claims, "OverpaymentRepaid").withArgs(f.planId, HOSPITAL, f.hospitalAdmin.address, 150n * USD);
      expect(await f.claims.owedBack(f.planId, HOSPITAL)).to.equal(250n * USD);
      expect((await f.claims.funds(f.planId)).balance).to.equal(balance + 150n * USD);
      // Through the SDK: too much is refused before sending, naming the amount.
      const sdk = await f.sdkAs(f.hospitalAdmin);
      const tooMuch = await rejection(sdk.repay({ planId: f.planId, providerOrg: HOSPITAL, amount: 251n * USD }));
      expect([tooMuch instanceof ValidationError, (tooMuch as ValidationError).field]).to.deep.equal([true, "amount"]);
      await (await sdk.repay({ planId: f.planId, providerOrg: HOSPITAL, amount: 250n * USD })).wait();
      expect(await f.claims.owedBack(f.planId, HOSPITAL)).to.equal(0n);
      await f.claims.connect(f.pauser).pause();
      await expect(ch.repay(f.planId, HOSPITAL, 1n)).to.be.revertedWithCustomError(f.claims, "EnforcedPause");
    });

    it("pays queued payments from a repayment, as from a deposit", async function () {
      const f = await loadFixture(claimsFixture);
      await secondPlan(f);
      await f.claims.connect(f.insurerAdmin).fund(2, 500n * USD);
      const a = await submit(f, await f.submission({ planId: 2n, lines: [f.line(CODE.VISIT, 500n * USD)] })); // paid 500
      await correct(f, a.id, await f.submission({ planId: 2n, lines: [f.line(CODE.VISIT, 300n * USD)] })); // owes 200
      // The lab's claim waits for funds; the hospital's repayment pays it.
      await f.claims.connect(f.labAdmin).setPayee(f.labAdmin.address);
      const lab = await submit(f, await f.submission({ planId: 2n, providerOrg: LAB, lines: [f.line(CODE.VISIT, 150n * USD)] }), f.labAdmin);
      expect(claimsEvent(f.claims, lab.receipt, "PaymentQueued")).to.not.equal(undefined);
      await f.token.mint(f.hospitalAdmin.address, 200n * USD);
      await f.token.connect(f.hospitalAdmin).approve(await f.claims.getAddress(), 200n * USD);
      await expect(f.claims.connect(f.hospitalAdmin).repay(2, HOSPITAL, 200n * USD)).to.emit(f.claims, "ClaimPaid").withArgs(lab.id, 2n, f.labAdmin.address, 150n * USD);
    });
  });

  describe("voids", function () {
    it("voids a paid claim billed in error: accumulators reversed, what was paid owed back, then recouped", async function () {
      const f = await loadFixture(claimsFixture);
      const a = await submit(f, await f.submission({ lines: [f.line(CODE.VISIT, 1_000n * USD)] })); // plan 400
      const r = rec(await f.sdk.claims.record(a.id));
      const tx = f.claims.connect(f.doctor).voidClaim(a.id, r);
      await expect(tx).to.emit(f.claims, "ClaimVoided").withArgs(a.id, f.doctor.address, 400n * USD);
      await expect(tx).to.emit(f.claims, "OverpaymentRecorded").withArgs(a.id, f.planId, HOSPITAL, 400n * USD);
      const c = await claimState(f.claims, a.id);
      expect([Number(c.status), c.planPaid]).to.deep.equal([ClaimStatus.Voided, 0n]);
      const acc = await f.claims.accumulators(f.planId, f.patient.address, 0);
      expect([acc.deductibleMet, acc.outOfPocketMet, acc.benefitPaid]).to.deep.equal([0n, 0n, 0n]);
      // The same bill cannot come back; a real one for another day is paid net of the debt.
      await expect(f.claims.connect(f.doctor).submit(sub(await f.submission({ lines: [f.line(CODE.VISIT, 1_000n * USD)] })))).to.be.revertedWithCustomError(f.claims, "DuplicateClaim").withArgs(a.id);
      const next = await (await (await f.sdkAs(f.doctor)).submit(await f.submission({ serviceDate: (await f.submission()).serviceDate - DAY, lines: [f.line(CODE.VISIT, 1_000n * USD)] }))).wait();
      expect([next.planTotal, next.recovered, next.paid]).to.deep.equal([400n * USD, 400n * USD, 0n]);
      // FHIR: the voided claim's response says so.
      const eob = await f.sdk.claims.toExplanationOfBenefit(a.id);
      expect(eob.status).to.equal("cancelled");
      expect(eob.disposition).to.match(/Voided/);
      expect((eob.payment as { adjustmentReason: { coding: { code: string }[] } }).adjustmentReason.coding[0].code).to.equal("a001");
      const nextEob = await f.sdk.claims.toClaimResponse(next.claimId);
      expect(nextEob.disposition).to.match(/kept to recover/);
    });

    it("voids a pended claim: its exposure is released and nothing is owed", async function () {
      const f = await loadFixture(claimsFixture);
      const a = await submit(f, await f.submission({ lines: [f.line(CODE.REVIEW, 600n * USD)] }));
      expect((await f.claims.funds(f.planId)).reserved).to.equal(80n * USD);
      const res = await (await (await f.sdkAs(f.doctor)).voidClaim({ claimId: a.id })).wait();
      expect(res.owed).to.equal(0n);
      expect((await f.claims.funds(f.planId)).reserved).to.equal(0n);
      expect(await f.claims.owedBack(f.planId, HOSPITAL)).to.equal(0n);
      expect((await f.sdk.claims.history(a.id)).voided!.by).to.equal(f.doctor.address);
    });

    it("gives a voided or corrected claim's prior authorization back", async function () {
      const f = await loadFixture(claimsFixture);
      const s0 = await f.submission();
      await f.claims.connect(f.adjuster).authorize(f.planId, f.patient.address, CODE.MRI, 1_000n * USD, s0.serviceDate, s0.serviceDate);
      const a = await submit(f, await f.submission({ authId: 1n, lines: [f.line(CODE.MRI, 800n * USD)] }));
      await expect(f.claims.connect(f.doctor).submit(sub(await f.submission({ authId: 1n, lines: [f.line(CODE.MRI, 801n * USD)] })))).to.not.be.reverted; // uses the other 200
      expect((await f.claims.authorization(1)).remaining).to.equal(0n);
      // Correcting the first by $1 is not denied for want of authorization: its 800 comes back first.
      const b = await correct(f, a.id, await f.submission({ authId: 1n, lines: [f.line(CODE.MRI, 799n * USD)] }));
      expect(claimsEvent(f.claims, b.receipt, "AuthorizationReturned")!.args.amount).to.equal(800n * USD);
      expect(Number(claimsEvent(f.claims, b.receipt, "ClaimAdjudicated")!.args.status)).to.equal(ClaimStatus.Approved);
      expect((await f.claims.authorization(1)).remaining).to.equal(1n * USD);
      await (await (await f.sdkAs(f.doctor)).voidClaim({ claimId: b.id })).wait();
      expect((await f.claims.authorization(1)).remaining).to.equal(800n * USD);
    });

    it("refuses a void by insurer staff, another organization's member, an outsider and an intermediate contract, and of a claim under appeal, replaced or voided", async function () {
      const f = await loadFixture(claimsFixture);
      const a = await submit(f, await f.submission({ lines: [f.line(CODE.VISIT, 1_000n * USD)] }));
      const r = rec(await f.sdk.claims.record(a.id));
      const before = await snapshot(f, a.id);
      for (const who of [f.adjuster, f.insurerAdmin, f.labAdmin, f.outsider, f.patient]) {
        await expect(f.claims.connect(who).voidClaim(a.id, r)).to.be.revertedWithCustomError(f.claims, "NotClaimProvider").withArgs(who.address, a.id);
      }
      const data = f.claims.interface.encodeFunctionData("voidClaim", [a.id, r]);
      await expect(f.intermediary.forward(await f.claims.getAddress(), data))
        .to.be.revertedWithCustomError(f.claims, "NotClaimProvider")
        .withArgs(await f.intermediary.getAddress(), a.id);
      await f.registry.connect(f.pauser).suspendOrganization(HOSPITAL);
      await expect(f.claims.connect(f.doctor).voidClaim(a.id, r)).to.be.revertedWithCustomError(f.claims, "NotClaimProvider");
      await f.registry.connect(f.registrar).reinstateOrganization(HOSPITAL);
      await f.claims.connect(f.pauser).pause();
      await expect(f.claims.connect(f.doctor).voidClaim(a.id, r)).to.be.revertedWithCustomError(f.claims, "EnforcedPause");
      await f.claims.connect(f.pauser).unpause();
      expect(await snapshot(f, a.id)).to.deep.equal(before);
      await expect(f.claims.connect(f.doctor).voidClaim(hre.ethers.ZeroHash, r)).to.be.revertedWithCustomError(f.claims, "UnknownClaim");
      await expect(f.claims.connect(f.doctor).voidClaim(a.id, { ...r, memberShare: 1n })).to.be.revertedWithCustomError(f.claims, "RecordMismatch").withArgs(a.id);
      await f.claims.connect(f.doctor).voidClaim(a.id, r);
      await expect(f.claims.connect(f.doctor).voidClaim(a.id, r)).to.be.revertedWithCustomError(f.claims, "InvalidClaimStatus").withArgs(a.id, ClaimStatus.Voided);
      await expect(f.claims.connect(f.doctor).submitCorrection(sub(await f.submission()), a.id, r)).to.be.revertedWithCustomError(f.claims, "InvalidClaimStatus").withArgs(a.id, ClaimStatus.Voided);
      // Under appeal, and replaced.
      const d = await submit(f, await f.submission({ lines: [f.line(CODE.MRI, 800n * USD)] })); // denied: no authorization
      const rd = rec(await f.sdk.claims.record(d.id));
      await f.claims.connect(f.doctor).appeal(d.id, rd);
      await expect(f.claims.connect(f.doctor).voidClaim(d.id, rd)).to.be.revertedWithCustomError(f.claims, "InvalidClaimStatus").withArgs(d.id, ClaimStatus.Appealed);
      const e = await submit(f, await f.submission({ lines: [f.line(CODE.XRAY, 100n * USD)] }));
      const re = rec(await f.sdk.claims.record(e.id));
      await correct(f, e.id, await f.submission({ lines: [f.line(CODE.XRAY, 90n * USD)] }));
      await expect(f.claims.connect(f.doctor).voidClaim(e.id, re)).to.be.revertedWithCustomError(f.claims, "InvalidClaimStatus").withArgs(e.id, ClaimStatus.Replaced);
    });
  });

  describe("who may correct", function () {
    it("refuses a correction by insurer staff, another provider's member and an outsider, leaving the claim, its payment and the accumulators as they were", async function () {
      const f = await loadFixture(claimsFixture);
      const a = await submit(f, await f.submission({ lines: [f.line(CODE.VISIT, 1_000n * USD)] }), f.adjuster); // the insurer billed on the hospital's behalf
      const r = rec(await f.sdk.claims.record(a.id));
      const s2 = await f.submission({ lines: [f.line(CODE.VISIT, 500n * USD)] });
      const before = await snapshot(f, a.id);
      for (const who of [f.adjuster, f.insurerAdmin, f.labAdmin, f.outsider]) {
        await expect(f.claims.connect(who).submitCorrection(sub(s2), a.id, r)).to.be.revertedWithCustomError(f.claims, "NotClaimProvider").withArgs(who.address, a.id);
      }
      const data = f.claims.interface.encodeFunctionData("submitCorrection", [sub(s2), a.id, r]);
      await expect(f.intermediary.forward(await f.claims.getAddress(), data)).to.be.revertedWithCustomError(f.claims, "NotClaimProvider");
      expect(await snapshot(f, a.id)).to.deep.equal(before);
      // The SDK names the revert in a sentence.
      const err = await (await f.sdkAs(f.adjuster)).submitCorrection({ replaces: a.id, submission: s2 }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ContractRevertError);
      expect((err as ContractRevertError).errorName).to.equal("NotClaimProvider");
      expect((err as ContractRevertError).message).to.match(/only an active member of the provider organization/);
      // The hospital's own member corrects it.
      await correct(f, a.id, s2);
      expect(Number((await f.claims.claim(a.id)).status)).to.equal(ClaimStatus.Replaced);
    });
  });

  describe("resubmission after a denial", function () {
    it("adjudicates a claim denied for eligibility afresh once the member is enrolled, without an appeal", async function () {
      const f = await loadFixture(claimsFixture);
      const s = await f.submission({ member: f.member2.address, lines: [f.line(CODE.VISIT, 1_000n * USD)] });
      const denied = await (await (await f.sdkAs(f.doctor)).submit(s)).wait();
      expect([denied.status, denied.outcomes[0].reason]).to.deep.equal([ClaimStatus.Denied, 27]);
      // Sending the same claim again is a duplicate; the insurer loads the enrollment and the provider resubmits.
      await expect(f.claims.connect(f.doctor).submit(sub(s))).to.be.revertedWithCustomError(f.claims, "DuplicateClaim").withArgs(denied.claimId);
      await f.claims.connect(f.adjuster).enroll(f.planId, f.member2.address, f.start, f.start + 300 * DAY);
      const again = await (await (await f.sdkAs(f.doctor)).resubmit({ claimId: denied.claimId })).wait();
      expect([again.status, again.planTotal, again.paid]).to.deep.equal([ClaimStatus.Approved, 400n * USD, 400n * USD]);
      const [old, fresh] = await Promise.all([f.sdk.claims.history(denied.claimId), f.sdk.claims.history(again.claimId)]);
      expect([old.replacedBy, fresh.replaces]).to.deep.equal([again.claimId, denied.claimId]);
      expect(Number((await f.claims.claim(denied.claimId)).status)).to.equal(ClaimStatus.Replaced);
    });

    it("adjudicates a claim denied for a missing prior authorization afresh once it is recorded", async function () {
      const f = await loadFixture(claimsFixture);
      const denied = await (await (await f.sdkAs(f.doctor)).submit(await f.submission({ lines: [f.line(CODE.MRI, 800n * USD)] }))).wait();
      expect(denied.outcomes[0].reason).to.equal(197);
      const s0 = await f.submission();
      await f.claims.connect(f.adjuster).authorize(f.planId, f.patient.address, CODE.MRI, 1_000n * USD, s0.serviceDate, s0.serviceDate);
      const sdk = await f.sdkAs(f.doctor);
      expect((await rejection(sdk.resubmit({ claimId: claimIdOf(await f.submission({ lines: [f.line(CODE.XRAY, 1n)] })) }))).message).to.match(/^UnknownClaim: claim 0x/);
      const again = await (await sdk.resubmit({ claimId: denied.claimId, authId: 1n })).wait();
      expect([again.status, again.outcomes[0].reason, again.outcomes[0].allowed]).to.deep.equal([ClaimStatus.Approved, 0, 800n * USD]);
      const notDenied = await rejection(sdk.resubmit({ claimId: again.claimId }));
      expect(notDenied).to.be.instanceOf(ValidationError);
      expect(notDenied.message).to.match(/not denied/);
    });
  });

  describe("service days and duplicates", function () {
    it("refuses a service date that is not midnight UTC, in the contract and before sending in the SDK", async function () {
      const f = await loadFixture(claimsFixture);
      const s = await f.submission();
      await expect(f.claims.connect(f.doctor).submit(sub({ ...s, serviceDate: s.serviceDate + 3600 })))
        .to.be.revertedWithCustomError(f.claims, "ServiceDateNotDay")
        .withArgs(s.serviceDate + 3600);
      const sdk = await f.sdkAs(f.doctor);
      const err = await sdk.submit({ ...s, serviceDate: s.serviceDate + 1 }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ValidationError);
      expect((err as ValidationError).field).to.equal("serviceDate");
      const iso = new Date(s.serviceDate * 1000).toISOString().slice(0, 10);
      const res = await (await sdk.submit({ ...s, serviceDate: iso as unknown as number })).wait();
      expect(res.claimId).to.equal(claimIdOf({ ...s, serviceDate: dayTimestamp(iso) }));
    });

    it("detects a duplicate whatever the order of its lines", async function () {
      const f = await loadFixture(claimsFixture);
      const lines = [f.line(CODE.VISIT, 300n * USD), f.line(CODE.XRAY, 100n * USD), f.line(CODE.VISIT, 300n * USD, 2)];
      const a = await submit(f, await f.submission({ lines }));
      const shuffled = await f.submission({ lines: [lines[2], lines[0], lines[1]] });
      expect(claimIdOf(shuffled)).to.equal(a.id);
      await expect(f.claims.connect(f.doctor).submit(sub(shuffled))).to.be.revertedWithCustomError(f.claims, "DuplicateClaim").withArgs(a.id);
    });

    it("treats a correction's service as billed: a fresh claim for it, or for the content it replaced, is a duplicate", async function () {
      const f = await loadFixture(claimsFixture);
      const sa = await f.submission({ lines: [f.line(CODE.VISIT, 1_000n * USD)] });
      const a = await submit(f, sa);
      const sb = await f.submission({ lines: [f.line(CODE.VISIT, 800n * USD)] });
      const b = await correct(f, a.id, sb);
      await expect(f.claims.connect(f.doctor).submit(sub(await f.submission({ lines: [...sb.lines] })))).to.be.revertedWithCustomError(f.claims, "DuplicateClaim").withArgs(b.id);
      await expect(f.claims.connect(f.doctor).submit(sub(await f.submission({ lines: [...sa.lines] })))).to.be.revertedWithCustomError(f.claims, "DuplicateClaim").withArgs(a.id);
      // Another chain may not be corrected into this service either.
      const other = await submit(f, await f.submission({ lines: [f.line(CODE.XRAY, 100n * USD)] }));
      const ro = rec(await f.sdk.claims.record(other.id));
      await expect(f.claims.connect(f.doctor).submitCorrection(sub(await f.submission({ lines: [...sb.lines] })), other.id, ro))
        .to.be.revertedWithCustomError(f.claims, "DuplicateClaim")
        .withArgs(b.id);
      // A chain never goes back to lines it left: they were billed.
      const rb = rec(await f.sdk.claims.record(b.id));
      await expect(f.claims.connect(f.doctor).submitCorrection(sub(await f.submission({ lines: [...sa.lines] })), b.id, rb))
        .to.be.revertedWithCustomError(f.claims, "DuplicateClaim")
        .withArgs(a.id);
      // Resubmitting the very service of the claim replaced takes an id of its own.
      const c = await correct(f, b.id, await f.submission({ lines: [...sb.lines] }));
      expect(c.id).to.equal(claimIdOf(sb, b.id));
      expect(Number((await f.claims.claim(c.id)).status)).to.equal(ClaimStatus.Approved);
    });
  });

  describe("evidence", function () {
    it("backs one member's claims only", async function () {
      const f = await loadFixture(claimsFixture);
      const evidence = await f.anchored();
      const a = await submit(f, await f.submission({ evidence, lines: [f.line(CODE.VISIT, 300n * USD)] }));
      // The same member's corrections and other claims may cite it again; another member's may not.
      await correct(f, a.id, await f.submission({ evidence, lines: [f.line(CODE.VISIT, 250n * USD)] }));
      await submit(f, await f.submission({ evidence, lines: [f.line(CODE.XRAY, 50n * USD)] }));
      await f.claims.connect(f.adjuster).enroll(f.planId, f.member2.address, f.start, f.start + 300 * DAY);
      await expect(f.claims.connect(f.doctor).submit(sub(await f.submission({ evidence, member: f.member2.address }))))
        .to.be.revertedWithCustomError(f.claims, "EvidenceOfAnotherMember")
        .withArgs(evidence, f.patient.address);
    });

    it("frees evidence for another member once no live claim cites it: a claim billed to the wrong member voided, then billed to the right one", async function () {
      const f = await loadFixture(claimsFixture);
      const evidence = await f.anchored();
      await f.claims.connect(f.adjuster).enroll(f.planId, f.member2.address, f.start, f.start + 300 * DAY);
      const wrong1 = await submit(f, await f.submission({ evidence, lines: [f.line(CODE.VISIT, 300n * USD)] }));
      const wrong2 = await submit(f, await f.submission({ evidence, lines: [f.line(CODE.XRAY, 50n * USD)] }));
      const right = await f.submission({ evidence, member: f.member2.address, lines: [f.line(CODE.VISIT, 300n * USD)] });
      const refused = () => expect(f.claims.connect(f.doctor).submit(sub(right))).to.be.revertedWithCustomError(f.claims, "EvidenceOfAnotherMember").withArgs(evidence, f.patient.address);
      await refused();
      // One of the two live claims voided: the other still binds the evidence to the first member.
      await f.claims.connect(f.doctor).voidClaim(wrong1.id, rec(await f.sdk.claims.record(wrong1.id)));
      await refused();
      // Corrected (still live, citing it): bound. Corrected to cite other evidence: no live claim cites it.
      const moved = await correct(f, wrong2.id, await f.submission({ evidence, lines: [f.line(CODE.XRAY, 60n * USD)] }));
      await refused();
      await correct(f, moved.id, await f.submission({ evidence: await f.anchored(), lines: [f.line(CODE.XRAY, 60n * USD)] }));
      const paid = await (await (await f.sdkAs(f.doctor)).submit(right)).wait();
      expect(paid.status).to.equal(ClaimStatus.Approved);
      // Now the second member's: the first member's claims may not cite it again.
      await expect(f.claims.connect(f.doctor).submit(sub(await f.submission({ evidence, lines: [f.line(CODE.XRAY, 40n * USD)] }))))
        .to.be.revertedWithCustomError(f.claims, "EvidenceOfAnotherMember")
        .withArgs(evidence, f.member2.address);
    });

    it("frees evidence for the next member's claims of the organization bound to it only, a batch leaf without its proof again", async function () {
      const f = await loadFixture(claimsFixture);
      const root = hre.ethers.id("batch root");
      const evidence = hre.ethers.id("a leaf of that batch");
      await f.evidence.setBatchLeaf(root, evidence, HOSPITAL);
      await f.claims.connect(f.adjuster).enroll(f.planId, f.member2.address, f.start, f.start + 300 * DAY);
      const s = await f.submission({ evidence, lines: [f.line(CODE.VISIT, 300n * USD)] });
      const res = await (await (await f.sdkAs(f.doctor)).submit({ ...s, evidenceProof: { root, proof: [] } })).wait();
      // The same member's correction cites it without the proof, through a moment with no live claim.
      const fixed = await correct(f, res.claimId, await f.submission({ evidence, lines: [f.line(CODE.VISIT, 280n * USD)] }));
      await f.claims.connect(f.doctor).voidClaim(fixed.id, rec(await f.sdk.claims.record(fixed.id)));
      const right = await f.submission({ evidence, member: f.member2.address });
      // Another organization's claim asks about its own anchors: the hospital's batch is not the lab's.
      await expect(f.claims.connect(f.labAdmin).submitWithProof(sub({ ...right, providerOrg: LAB }), root, [])).to.be.revertedWithCustomError(f.claims, "EvidenceNotAnchored").withArgs(evidence, LAB);
      // The lab anchoring the same commitment itself is the lab's own: it changes nothing of the hospital's binding.
      await f.evidence.setStatus(evidence, LAB, false);
      // The hospital bills the right member on it, without the proof: the binding showed its anchoring.
      await f.claims.connect(f.doctor).submit(sub(right));
    });

    it("accepts a record anchored in a batch with its inclusion proof in the same submission, and the member's later corrections without it", async function () {
      const f = await loadFixture(claimsFixture);
      const root = hre.ethers.id("batch root");
      const evidence = hre.ethers.id("a leaf of that batch");
      await f.evidence.setBatchLeaf(root, evidence, HOSPITAL);
      const s = await f.submission({ evidence, lines: [f.line(CODE.VISIT, 1_000n * USD)] });
      await expect(f.claims.connect(f.doctor).submit(sub(s))).to.be.revertedWithCustomError(f.claims, "EvidenceNotAnchored").withArgs(evidence, HOSPITAL);
      await expect(f.claims.connect(f.doctor).submitWithProof(sub(s), hre.ethers.id("another root"), [])).to.be.revertedWithCustomError(f.claims, "EvidenceNotAnchored").withArgs(evidence, HOSPITAL);
      const res = await (await (await f.sdkAs(f.doctor)).submit({ ...s, evidenceProof: { root, proof: [hre.ethers.id("a sibling")] } })).wait();
      expect([res.status, res.paid]).to.deep.equal([ClaimStatus.Approved, 400n * USD]);
      await correct(f, res.claimId, await f.submission({ evidence, lines: [f.line(CODE.VISIT, 900n * USD)] }));
      // Another provider's batch never backs the hospital's claim.
      const labRoot = hre.ethers.id("the lab's batch");
      const labLeaf = hre.ethers.id("the lab's leaf");
      await f.evidence.setBatchLeaf(labRoot, labLeaf, LAB);
      await expect(f.claims.connect(f.doctor).submitWithProof(sub(await f.submission({ evidence: labLeaf })), labRoot, [])).to.be.revertedWithCustomError(f.claims, "EvidenceNotAnchored").withArgs(labLeaf, HOSPITAL);
      // The SDK checks the proof's shape before sending.
      const bad = await rejection((await f.sdkAs(f.doctor)).submit({ ...s, evidenceProof: { root: "0x12", proof: [] } }));
      expect((bad as ValidationError).field).to.equal("evidenceProof.root");
    });
  });

  describe("per-claim caps", function () {
    it("caps a code once per claim, over all its lines", async function () {
      const f = await loadFixture(claimsFixture);
      const s = await f.submission({ lines: [f.line(CODE.CAPPED, 200n * USD), f.line(CODE.XRAY, 50n * USD), f.line(CODE.CAPPED, 200n * USD, 2), f.line(CODE.CAPPED, 50n * USD, 3)] });
      const res = await (await (await f.sdkAs(f.doctor)).submit(s)).wait();
      // The x-ray between them is another code: it takes nothing of the cap.
      expect(res.outcomes.map((o) => [o.allowed, o.reason])).to.deep.equal([
        [200n * USD, 0],
        [50n * USD, 0],
        [100n * USD, 119],
        [0n, 119],
      ]);
    });
  });

  describe("copay designs", function () {
    /** Plan 2: no coinsurance on the office visit (copay only), deductible then coinsurance on the x-ray, all three on the MRI. */
    async function designsFixture() {
      const f = await claimsFixture();
      await f.claims.connect(f.insurerAdmin).createPlan(f.terms);
      const rule = { fee: 5_000n * USD, copay: 0n, coinsuranceBps: 2000, priorAuth: false, review: false, perClaimCap: 0n, costSharing: CostSharing.DeductibleCopayCoinsurance };
      await f.claims.connect(f.insurerAdmin).setBenefits(
        2,
        [CODE.VISIT, CODE.XRAY, CODE.MRI],
        [
          { ...rule, copay: 30n * USD, coinsuranceBps: 0, costSharing: CostSharing.CopayOnly },
          { ...rule, costSharing: CostSharing.DeductibleCoinsurance },
          { ...rule, copay: 50n * USD },
        ],
      );
      await f.claims.connect(f.insurerAdmin).enroll(2, f.patient.address, f.start, f.start + 300 * DAY);
      await f.claims.connect(f.insurerAdmin).fund(2, 10_000n * USD);
      return f;
    }

    it("charges an office visit its copay only, the deductible waived; then the deductible, copay and coinsurance designs in turn", async function () {
      const f = await loadFixture(designsFixture);
      const sdk = await f.sdkAs(f.doctor);
      const day = (await f.submission()).serviceDate;
      const office = await (await sdk.submit(await f.submission({ planId: 2n, serviceDate: day - 3 * DAY, lines: [f.line(CODE.VISIT, 150n * USD)] }))).wait();
      expect(office.outcomes[0]).to.deep.equal({ allowed: 150n * USD, deductible: 0n, copay: 30n * USD, coinsurance: 0n, plan: 120n * USD, reason: 0 });
      expect((await f.claims.accumulators(2, f.patient.address, 0)).deductibleMet).to.equal(0n);
      const xray = await (await sdk.submit(await f.submission({ planId: 2n, serviceDate: day - 2 * DAY, lines: [f.line(CODE.XRAY, 700n * USD)] }))).wait();
      expect(xray.outcomes[0]).to.deep.equal({ allowed: 700n * USD, deductible: 500n * USD, copay: 0n, coinsurance: 40n * USD, plan: 160n * USD, reason: 0 });
      // Out of pocket so far: 30 + 540 = 570 of 1,000. The MRI: no deductible left, copay 50, then 20% of 1,950 = 390 but only 380 is left.
      const mri = await (await sdk.submit(await f.submission({ planId: 2n, serviceDate: day - DAY, lines: [f.line(CODE.MRI, 2_000n * USD)] }))).wait();
      expect(mri.outcomes[0]).to.deep.equal({ allowed: 2_000n * USD, deductible: 0n, copay: 50n * USD, coinsurance: 380n * USD, plan: 1_570n * USD, reason: 0 });
      // The out-of-pocket maximum is met: the next office visit's copay is waived.
      const waived = await (await sdk.submit(await f.submission({ planId: 2n, lines: [f.line(CODE.VISIT, 150n * USD)] }))).wait();
      expect([waived.outcomes[0].copay, waived.outcomes[0].plan]).to.deep.equal([0n, 150n * USD]);
    });
  });

  describe("plan years", function () {
    it("keeps December 31 in the plan year it ends and charges a new deductible from January 1 of a calendar-year plan", async function () {
      const f = await loadFixture(claimsFixture);
      const now = await time.latest();
      const year = new Date(now * 1000).getUTCFullYear();
      const jan1 = Date.UTC(year, 0, 1) / 1000;
      await f.claims.connect(f.insurerAdmin).createPlan({ ...f.terms, start: jan1, yearStartMonth: 1, yearStartDay: 1 });
      await f.claims.connect(f.insurerAdmin).setBenefits(2, [CODE.VISIT], [{ fee: 5_000n * USD, copay: 0n, coinsuranceBps: 2000, priorAuth: false, review: false, perClaimCap: 0n, costSharing: 0 }]);
      await f.claims.connect(f.insurerAdmin).enroll(2, f.patient.address, jan1, jan1 + 3 * 366 * DAY);
      await f.claims.connect(f.insurerAdmin).fund(2, 10_000n * USD);
      const dec31 = Date.UTC(year, 11, 31) / 1000;
      const nextJan1 = Date.UTC(year + 1, 0, 1) / 1000;
      expect(await f.sdk.claims.planYearOf(2n, dec31)).to.equal(0);
      expect(await f.sdk.claims.planYearOf(2n, `${year + 1}-01-01`)).to.equal(1);
      await time.increaseTo(nextJan1 + 2 * DAY);
      const sdk = await f.sdkAs(f.doctor);
      const visit = (serviceDate: number) => ({ planId: 2n, member: f.patient.address, providerOrg: HOSPITAL, serviceDate, authId: 0n, lines: [f.line(CODE.VISIT, 600n * USD)] });
      const late = await (await sdk.submit({ ...visit(dec31), evidence: await f.anchored() })).wait();
      const first = await (await sdk.submit({ ...visit(nextJan1), evidence: await f.anchored() })).wait();
      // Each year's first $600 visit meets its own deductible: 500 + 20 from the member, 80 from the plan.
      expect([late.memberTotal, first.memberTotal]).to.deep.equal([520n * USD, 520n * USD]);
      expect((await f.sdk.claims.accumulators(2n, f.patient.address, dec31)).year).to.equal(0);
      expect((await f.sdk.claims.accumulators(2n, f.patient.address, nextJan1)).deductibleMet).to.equal(500n * USD);
      // Another visit on December 31 of the same plan year owes no second deductible.
      const again = await (await sdk.submit({ ...visit(dec31 - DAY), evidence: await f.anchored() })).wait();
      expect(again.memberTotal).to.equal(120n * USD);
    });
  });
});
