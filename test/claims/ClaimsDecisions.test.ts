import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre from "hardhat";
import { ClaimStatus, claimIdOf, type ClaimSubmission } from "../../sdk";
import { ReentrantToken__factory } from "../../typechain-types";
import { planIn } from "../support/tokenPlans";
import { claimsFixture, CODE, DAY, INSURER, pendedWithAuthorization, rec, sub, USD, type ClaimsFixture } from "./fixtures";
import { claimState } from "../support/suiteFixture";

async function submit(f: ClaimsFixture, s: ClaimSubmission, from = f.doctor) {
  await (await f.claims.connect(from).submit(sub(s))).wait();
  return claimIdOf(s);
}

/** A pended claim: one line of a code that needs review ($600, fee $1,000). */
async function pendedFixture() {
  const f = await claimsFixture();
  const s = await f.submission({ lines: [f.line(CODE.REVIEW, 600n * USD)] });
  const id = await submit(f, s);
  return { ...f, s, id };
}

/** A partial claim decided by an adjuster: two review lines, the second allowed at $100 of $400 with reason 45. */
async function decidedFixture() {
  const f = await claimsFixture();
  const s = await f.submission({ lines: [f.line(CODE.REVIEW, 600n * USD), f.line(CODE.REVIEW, 400n * USD, 2)] });
  const id = await submit(f, s);
  const r = await f.sdk.claims.record(id);
  await f.claims.connect(f.adjuster).decide(id, rec(r), [
    { allowed: 600n * USD, reason: 0 },
    { allowed: 100n * USD, reason: 45 },
  ]);
  return { ...f, s, id };
}

describe("ClaimsEngine: decisions, appeals, corrections, settlement", function () {
  describe("decide", function () {
    it("reserves a pended claim's exposure and leaves the member's accumulators untouched until it is decided", async function () {
      const f = await loadFixture(pendedFixture);
      // 600: deductible 500, 20% of 100 = 20 -> member 520, plan 80 (previewed, not applied)
      const acc = await f.claims.accumulators(f.planId, f.patient.address, 0);
      expect([acc.deductibleMet, acc.outOfPocketMet, acc.benefitPaid]).to.deep.equal([0n, 0n, 0n]);
      const funds = await f.claims.funds(f.planId);
      expect([funds.balance, funds.reserved]).to.deep.equal([100_000n * USD, 80n * USD]);
      const c = await claimState(f.claims, f.id);
      expect([Number(c.status), c.planPaid]).to.deep.equal([ClaimStatus.Pended, 80n * USD]);
      expect((await f.sdk.claims.record(f.id)).memberShare).to.equal(0n);
    });

    it("lets an adjuster approve a pended claim as previewed: cost-shared now, paid at once", async function () {
      const f = await loadFixture(pendedFixture);
      const r = await f.sdk.claims.record(f.id);
      const before = await f.token.balanceOf(f.payee.address);
      const tx = f.claims.connect(f.adjuster).decide(f.id, rec(r), [{ allowed: 600n * USD, reason: 0 }]);
      await expect(tx)
        .to.emit(f.claims, "ClaimAdjudicated")
        .withArgs(f.id, ClaimStatus.Approved, f.adjuster.address, 80n * USD, 520n * USD, [[600n * USD, 500n * USD, 0n, 20n * USD, 80n * USD, 0n]]);
      await expect(tx).to.emit(f.claims, "ClaimPaid").withArgs(f.id, f.planId, f.payee.address, 80n * USD);
      expect((await f.token.balanceOf(f.payee.address)) - before).to.equal(80n * USD);
      const funds = await f.claims.funds(f.planId);
      expect([funds.balance, funds.reserved]).to.deep.equal([(100_000n - 80n) * USD, 0n]);
      const c = await claimState(f.claims, f.id);
      expect([Number(c.status), c.planPaid]).to.deep.equal([ClaimStatus.Approved, 80n * USD]);
      const acc = await f.claims.accumulators(f.planId, f.patient.address, 0);
      expect([acc.deductibleMet, acc.outOfPocketMet, acc.benefitPaid]).to.deep.equal([500n * USD, 520n * USD, 80n * USD]);
      const h = await f.sdk.claims.history(f.id);
      expect(h.outcomes).to.deep.equal([{ allowed: 600n * USD, deductible: 500n * USD, copay: 0n, coinsurance: 20n * USD, plan: 80n * USD, reason: 0 }]);
    });

    it("leaves no trace of a pended claim the adjuster denies: the member's next claim is adjudicated as if it never existed", async function () {
      const f = await loadFixture(pendedFixture);
      const r = await f.sdk.claims.record(f.id);
      await f.claims.connect(f.adjuster).decide(f.id, rec(r), [{ allowed: 0n, reason: 50 }]);
      const acc = await f.claims.accumulators(f.planId, f.patient.address, 0);
      expect([acc.deductibleMet, acc.outOfPocketMet, acc.benefitPaid]).to.deep.equal([0n, 0n, 0n]);
      expect((await f.claims.funds(f.planId)).reserved).to.equal(0n);
      // The same $600 visit billed straight through meets the whole deductible, as the first claim would have.
      const next = await f.claims.connect(f.doctor).submit(sub(await f.submission({ lines: [f.line(CODE.VISIT, 600n * USD)] })));
      await expect(next).to.emit(f.claims, "ClaimAdjudicated").withArgs(claimIdOf(await f.submission({ lines: [f.line(CODE.VISIT, 600n * USD)] })), ClaimStatus.Approved, hre.ethers.ZeroAddress, 80n * USD, 520n * USD, [[600n * USD, 500n * USD, 0n, 20n * USD, 80n * USD, 0n]]);
    });

    it("cost-shares a pended claim against the accumulators as they stand when it is decided", async function () {
      const f = await loadFixture(pendedFixture);
      // While the review claim waits, a $600 visit goes straight through and meets the deductible.
      await submit(f, await f.submission({ lines: [f.line(CODE.VISIT, 600n * USD)] }));
      const r = await f.sdk.claims.record(f.id);
      // Decided as previewed ($600 allowed): no deductible left, 20% = 120 -> plan 480 (not the preview's 80).
      const tx = f.claims.connect(f.adjuster).decide(f.id, rec(r), [{ allowed: 600n * USD, reason: 0 }]);
      await expect(tx).to.emit(f.claims, "ClaimPaid").withArgs(f.id, f.planId, f.payee.address, 480n * USD);
      const acc = await f.claims.accumulators(f.planId, f.patient.address, 0);
      expect([acc.deductibleMet, acc.outOfPocketMet, acc.benefitPaid]).to.deep.equal([500n * USD, 640n * USD, 560n * USD]);
      expect((await f.claims.funds(f.planId)).reserved).to.equal(0n);
    });

    it("records a partial approval and a denial with the adjuster's reason codes", async function () {
      const f = await loadFixture(decidedFixture);
      const h = await f.sdk.claims.history(f.id);
      expect(h.adjudications[0].status).to.equal(ClaimStatus.Partial);
      expect(h.outcomes.map((o) => [o.allowed, o.reason])).to.deep.equal([
        [600n * USD, 0],
        [100n * USD, 45],
      ]);
      const g = await loadFixture(pendedFixture);
      const r = await g.sdk.claims.record(g.id);
      await expect(g.claims.connect(g.adjuster).decide(g.id, rec(r), [{ allowed: 0n, reason: 50 }]))
        .to.emit(g.claims, "ClaimAdjudicated")
        .withArgs(g.id, ClaimStatus.Denied, g.adjuster.address, 0n, 0n, [[0n, 0n, 0n, 0n, 0n, 50n]]);
    });

    it("lets an adjuster price a code without a fee up to the charge", async function () {
      const f = await loadFixture(claimsFixture);
      const id = await submit(f, await f.submission({ lines: [f.line(CODE.VACCINE, 90n * USD)] }));
      const r = await f.sdk.claims.record(id);
      await expect(f.claims.connect(f.adjuster).decide(id, rec(r), [{ allowed: 91n * USD, reason: 0 }])).to.be.revertedWithCustomError(f.claims, "InvalidDecision").withArgs(0);
      await f.claims.connect(f.adjuster).decide(id, rec(r), [{ allowed: 90n * USD, reason: 0 }]);
      expect(Number((await f.claims.claim(id)).status)).to.equal(ClaimStatus.Approved);
    });

    it("consumes a prior authorization when the rules pend the claim; the adjuster's amounts consume no more", async function () {
      const f = await loadFixture(claimsFixture);
      const { id, record: r } = await pendedWithAuthorization(f, 500n * USD, [f.line(CODE.MRI, 800n * USD), f.line(CODE.MRI, 900n * USD)]);
      await f.claims.connect(f.adjuster).decide(id, rec(r), [
        { allowed: 300n * USD, reason: 45 },
        { allowed: 700n * USD, reason: 45 },
      ]);
      expect((await f.claims.authorization(1)).remaining).to.equal(0n);
    });

    it("gives back the authorization a pended claim held when the adjuster allows less on its lines", async function () {
      const f = await loadFixture(claimsFixture);
      const { id } = await pendedWithAuthorization(f, 500n * USD, [f.line(CODE.MRI, 800n * USD)]);
      expect((await f.claims.authorization(1)).remaining).to.equal(0n);
      const r = await f.sdk.claims.record(id);
      expect(r.authUsed).to.equal(500n * USD);
      await expect(f.claims.connect(f.adjuster).decide(id, rec(r), [{ allowed: 200n * USD, reason: 45 }]))
        .to.emit(f.claims, "AuthorizationReturned")
        .withArgs(1n, id, 300n * USD);
      expect((await f.claims.authorization(1)).remaining).to.equal(300n * USD);
      expect((await f.sdk.claims.record(id)).authUsed).to.equal(200n * USD);
    });

    it("counts only the lines of the authorized code as keeping the authorization: another code's allowed amount keeps none of it", async function () {
      const f = await loadFixture(claimsFixture);
      const { id, record: r } = await pendedWithAuthorization(f, 500n * USD, [f.line(CODE.MRI, 800n * USD), f.line(CODE.VISIT, 400n * USD)]);
      expect(r.authUsed).to.equal(500n * USD);
      // The visit needs no authorization: its 400 allowed keeps none of the MRI's; 300 of the 500 go back.
      await expect(f.claims.connect(f.adjuster).decide(id, rec(r), [
        { allowed: 200n * USD, reason: 45 },
        { allowed: 400n * USD, reason: 0 },
      ]))
        .to.emit(f.claims, "AuthorizationReturned")
        .withArgs(1n, id, 300n * USD);
      expect((await f.claims.authorization(1)).remaining).to.equal(300n * USD);
      expect((await f.sdk.claims.record(id)).authUsed).to.equal(200n * USD);
    });

    it("gives back even one unit of authorization a pended claim held when the adjuster allows nothing on its line", async function () {
      const f = await loadFixture(claimsFixture);
      const { id, record: r } = await pendedWithAuthorization(f, 1n, [f.line(CODE.MRI, 800n * USD)]);
      expect(r.authUsed).to.equal(1n);
      await expect(f.claims.connect(f.adjuster).decide(id, rec(r), [{ allowed: 0n, reason: 50 }]))
        .to.emit(f.claims, "AuthorizationReturned")
        .withArgs(1n, id, 1n);
      expect((await f.claims.authorization(1)).remaining).to.equal(1n);
    });

    it("caps an adjuster's price for a code without a fee at the per-claim cap", async function () {
      const f = await loadFixture(claimsFixture);
      await f.claims.connect(f.insurerAdmin).setBenefits(f.planId, [CODE.VACCINE], [{ fee: 0n, copay: 0n, coinsuranceBps: 0, priorAuth: false, review: true, perClaimCap: 50n * USD, costSharing: 0 }]);
      const id = await submit(f, await f.submission({ lines: [f.line(CODE.VACCINE, 90n * USD)] }));
      const r = rec(await f.sdk.claims.record(id));
      await expect(f.claims.connect(f.adjuster).decide(id, r, [{ allowed: 51n * USD, reason: 0 }])).to.be.revertedWithCustomError(f.claims, "InvalidDecision");
      await f.claims.connect(f.adjuster).decide(id, r, [{ allowed: 50n * USD, reason: 0 }]);
    });

    it("refuses an amount above the ceiling, a reduction without a reason, and a wrong number of decisions", async function () {
      const f = await loadFixture(pendedFixture);
      const r = rec(await f.sdk.claims.record(f.id));
      const ca = f.claims.connect(f.adjuster);
      await expect(ca.decide(f.id, r, [{ allowed: 601n * USD, reason: 0 }])).to.be.revertedWithCustomError(f.claims, "InvalidDecision").withArgs(0);
      await expect(ca.decide(f.id, r, [{ allowed: 500n * USD, reason: 0 }])).to.be.revertedWithCustomError(f.claims, "InvalidDecision").withArgs(0);
      await expect(ca.decide(f.id, r, [])).to.be.revertedWithCustomError(f.claims, "InvalidBatch").withArgs(0, 1);
    });

    it("refuses a record that is not the claim's", async function () {
      const f = await loadFixture(pendedFixture);
      const r = rec(await f.sdk.claims.record(f.id));
      await expect(f.claims.connect(f.adjuster).decide(f.id, { ...r, member: f.outsider.address }, [{ allowed: 600n * USD, reason: 0 }]))
        .to.be.revertedWithCustomError(f.claims, "RecordMismatch")
        .withArgs(f.id);
      await expect(f.claims.connect(f.adjuster).decide(f.id, { ...r, allowed: [] }, [{ allowed: 600n * USD, reason: 0 }])).to.be.revertedWithCustomError(f.claims, "RecordMismatch");
    });

    it("refuses the provider, an outsider and an intermediate contract; a claim that is not pended; an unknown claim; a paused engine", async function () {
      const f = await loadFixture(pendedFixture);
      const r = rec(await f.sdk.claims.record(f.id));
      const d = [{ allowed: 600n * USD, reason: 0 }];
      for (const who of [f.doctor, f.outsider]) {
        await expect(f.claims.connect(who).decide(f.id, r, d)).to.be.revertedWithCustomError(f.claims, "NotInsurerStaff").withArgs(who.address, INSURER);
      }
      const data = f.claims.interface.encodeFunctionData("decide", [f.id, r, d]);
      await expect(f.intermediary.forward(await f.claims.getAddress(), data)).to.be.revertedWithCustomError(f.claims, "NotInsurerStaff");
      await expect(f.claims.connect(f.adjuster).decide(hre.ethers.ZeroHash, r, d)).to.be.revertedWithCustomError(f.claims, "UnknownClaim");
      await f.claims.connect(f.pauser).pause();
      await expect(f.claims.connect(f.adjuster).decide(f.id, r, d)).to.be.revertedWithCustomError(f.claims, "EnforcedPause");
      await f.claims.connect(f.pauser).unpause();
      await f.claims.connect(f.adjuster).decide(f.id, r, d);
      await expect(f.claims.connect(f.adjuster).decide(f.id, r, d)).to.be.revertedWithCustomError(f.claims, "InvalidClaimStatus").withArgs(f.id, ClaimStatus.Approved);
    });

    it("decides through the SDK: as previewed by default, or at each line's ceiling", async function () {
      const f = await loadFixture(pendedFixture);
      const result = await (await (await f.sdkAs(f.adjuster)).decide({ claimId: f.id })).wait();
      expect([result.status, result.paid, result.planTotal]).to.deep.equal([ClaimStatus.Approved, 80n * USD, 80n * USD]);
      const g = await loadFixture(decidedFixture);
      const s2 = await g.submission({ lines: [g.line(CODE.REVIEW, 700n * USD)] });
      await g.claims.connect(g.doctor).submit(sub(s2));
      const res = await (await (await g.sdkAs(g.adjuster)).decide({ claimId: claimIdOf(s2), decisions: [{ approve: true }] })).wait();
      expect(res.status).to.equal(ClaimStatus.Approved);
      expect((await g.sdk.claims.history(claimIdOf(s2))).outcomes.map((o) => o.allowed)).to.deep.equal([700n * USD]);
    });
  });

  describe("appeal and resolveAppeal", function () {
    it("lets the provider appeal a partial claim; a different adjuster overturns it and the plan pays the difference once", async function () {
      const f = await loadFixture(decidedFixture);
      const r1 = rec(await f.sdk.claims.record(f.id));
      await expect(f.claims.connect(f.doctor).appeal(f.id, r1)).to.emit(f.claims, "ClaimAppealed").withArgs(f.id, f.doctor.address);
      expect(Number((await f.claims.claim(f.id)).status)).to.equal(ClaimStatus.Appealed);
      const decisions = [
        { allowed: 600n * USD, reason: 0 },
        { allowed: 400n * USD, reason: 0 },
      ];
      await expect(f.claims.connect(f.adjuster).resolveAppeal(f.id, r1, decisions)).to.be.revertedWithCustomError(f.claims, "SameAdjuster").withArgs(f.adjuster.address);
      const before = await f.token.balanceOf(f.payee.address);
      const tx = f.claims.connect(f.adjuster2).resolveAppeal(f.id, r1, decisions);
      // the increment on line 2 is 300, all coinsurance at 20% (deductible met): member 60, plan 240
      await expect(tx).to.emit(f.claims, "ClaimAdjudicated").withArgs(f.id, ClaimStatus.Overturned, f.adjuster2.address, (80n + 80n + 240n) * USD, (520n + 20n + 60n) * USD, [
        [0n, 0n, 0n, 0n, 0n, 0n],
        [300n * USD, 0n, 0n, 60n * USD, 240n * USD, 0n],
      ]);
      expect((await f.token.balanceOf(f.payee.address)) - before).to.equal(240n * USD);
      const r2 = rec(await f.sdk.claims.record(f.id));
      expect(r2.allowed).to.deep.equal([600n * USD, 400n * USD]);
      await expect(f.claims.connect(f.adjuster2).resolveAppeal(f.id, r2, decisions)).to.be.revertedWithCustomError(f.claims, "InvalidClaimStatus").withArgs(f.id, ClaimStatus.Overturned);
      await expect(f.claims.connect(f.doctor).appeal(f.id, r2)).to.be.revertedWithCustomError(f.claims, "InvalidClaimStatus");
    });

    it("lets the member appeal a rules denial; any adjuster may resolve it; upholding pays nothing", async function () {
      const f = await loadFixture(claimsFixture);
      const id = await submit(f, await f.submission({ lines: [f.line(CODE.MRI, 800n * USD)] }));
      const r = rec(await f.sdk.claims.record(id));
      await f.claims.connect(f.patient).appeal(id, r);
      const before = await f.token.balanceOf(f.payee.address);
      await expect(f.claims.connect(f.adjuster).resolveAppeal(id, r, [{ allowed: 0n, reason: 0 }])).to.be.revertedWithCustomError(f.claims, "InvalidDecision").withArgs(0);
      await expect(f.claims.connect(f.adjuster).resolveAppeal(id, r, [{ allowed: 0n, reason: 197 }]))
        .to.emit(f.claims, "ClaimAdjudicated")
        .withArgs(id, ClaimStatus.Upheld, f.adjuster.address, 0n, 0n, [[0n, 0n, 0n, 0n, 0n, 197n]]);
      expect(await f.token.balanceOf(f.payee.address)).to.equal(before);
    });

    it("overturns a denial for coverage on a service before the plan's start", async function () {
      const f = await loadFixture(claimsFixture);
      await f.claims.connect(f.adjuster).enroll(f.planId, f.member2.address, 1, f.start + 300 * DAY);
      const id = await submit(f, await f.submission({ member: f.member2.address, serviceDate: f.start - DAY }));
      const r = rec(await f.sdk.claims.record(id));
      await f.claims.connect(f.member2).appeal(id, r);
      await f.claims.connect(f.adjuster).resolveAppeal(id, r, [{ allowed: 300n * USD, reason: 0 }]);
      expect((await f.claims.accumulators(f.planId, f.member2.address, 0)).deductibleMet).to.equal(300n * USD);
      // Correcting it reverses what the overturn applied to the plan's first year.
      const s2 = { ...(await f.sdk.claims.history(id)).submission, evidence: await f.anchored(), lines: [f.line(CODE.VISIT, 200n * USD)] };
      await f.claims.connect(f.doctor).submitCorrection(sub(s2), id, rec(await f.sdk.claims.record(id)));
      expect((await f.claims.accumulators(f.planId, f.member2.address, 0)).deductibleMet).to.equal(0n);
    });

    it("refuses a decrease on appeal", async function () {
      const f = await loadFixture(decidedFixture);
      const r = rec(await f.sdk.claims.record(f.id));
      await f.claims.connect(f.doctor).appeal(f.id, r);
      await expect(
        f.claims.connect(f.adjuster2).resolveAppeal(f.id, r, [
          { allowed: 600n * USD, reason: 0 },
          { allowed: 50n * USD, reason: 45 },
        ]),
      )
        .to.be.revertedWithCustomError(f.claims, "InvalidDecision")
        .withArgs(1);
    });

    it("refuses outsiders, an approved claim, and a late appeal (at the exact deadline it is accepted)", async function () {
      const f = await loadFixture(decidedFixture);
      const r = rec(await f.sdk.claims.record(f.id));
      await expect(f.claims.connect(f.outsider).appeal(f.id, r)).to.be.revertedWithCustomError(f.claims, "NotAppellant").withArgs(f.outsider.address, f.id);
      await expect(f.claims.connect(f.labAdmin).appeal(f.id, r)).to.be.revertedWithCustomError(f.claims, "NotAppellant");
      const decidedAt = Number((await claimState(f.claims, f.id)).decidedAt);
      const snapshot = await hre.network.provider.send("evm_snapshot");
      await time.setNextBlockTimestamp(decidedAt + 30 * DAY);
      await f.claims.connect(f.doctor).appeal(f.id, r);
      await hre.network.provider.send("evm_revert", [snapshot]);
      await time.setNextBlockTimestamp(decidedAt + 30 * DAY + 1);
      await expect(f.claims.connect(f.doctor).appeal(f.id, r))
        .to.be.revertedWithCustomError(f.claims, "AppealWindowClosed")
        .withArgs(f.id, decidedAt + 30 * DAY);
      const ok = await submit(f, await f.submission());
      await expect(f.claims.connect(f.patient).appeal(ok, rec(await f.sdk.claims.record(ok)))).to.be.revertedWithCustomError(f.claims, "InvalidClaimStatus").withArgs(ok, ClaimStatus.Approved);
    });

    it("refuses an appeal of an unknown claim, and one with a record that is not the claim's; the claim stays as it was", async function () {
      const f = await loadFixture(decidedFixture);
      const r = rec(await f.sdk.claims.record(f.id));
      await expect(f.claims.connect(f.patient).appeal(hre.ethers.ZeroHash, r)).to.be.revertedWithCustomError(f.claims, "UnknownClaim").withArgs(hre.ethers.ZeroHash);
      await expect(f.claims.connect(f.patient).appeal(f.id, { ...r, credit: 1n })).to.be.revertedWithCustomError(f.claims, "RecordMismatch").withArgs(f.id);
      await expect(f.claims.connect(f.patient).appeal(f.id, { ...r, allowed: [...r.allowed, 0n] })).to.be.revertedWithCustomError(f.claims, "RecordMismatch").withArgs(f.id);
      expect((await f.claims.claim(f.id)).status).to.equal(BigInt(ClaimStatus.Partial));
      await expect(f.claims.connect(f.patient).appeal(f.id, r)).to.emit(f.claims, "ClaimAppealed").withArgs(f.id, f.patient.address);
    });

    it("accepts appeals while paused, but resolves them only once unpaused", async function () {
      const f = await loadFixture(decidedFixture);
      const r = rec(await f.sdk.claims.record(f.id));
      await f.claims.connect(f.pauser).pause();
      await f.claims.connect(f.patient).appeal(f.id, r);
      const d = [
        { allowed: 600n * USD, reason: 0 },
        { allowed: 400n * USD, reason: 0 },
      ];
      await expect(f.claims.connect(f.adjuster2).resolveAppeal(f.id, r, d)).to.be.revertedWithCustomError(f.claims, "EnforcedPause");
      await f.claims.connect(f.pauser).unpause();
      await f.claims.connect(f.adjuster2).resolveAppeal(f.id, r, d);
    });

    it("refuses to resolve a claim that is not under appeal", async function () {
      const f = await loadFixture(decidedFixture);
      const r = rec(await f.sdk.claims.record(f.id));
      await expect(f.claims.connect(f.adjuster2).resolveAppeal(f.id, r, [])).to.be.revertedWithCustomError(f.claims, "InvalidClaimStatus").withArgs(f.id, ClaimStatus.Partial);
    });

    it("appeals and resolves through the SDK", async function () {
      const f = await loadFixture(decidedFixture);
      await (await (await f.sdkAs(f.doctor)).appeal({ claimId: f.id })).wait();
      const res = await (await (await f.sdkAs(f.adjuster2)).resolveAppeal({ claimId: f.id })).wait();
      expect([res.status, res.paid]).to.deep.equal([ClaimStatus.Overturned, 240n * USD]);
    });
  });

  describe("intermediate contracts", function () {
    it("refuses every staff-only and member-only path called through an intermediate contract", async function () {
      const f = await loadFixture(decidedFixture);
      const r = rec(await f.sdk.claims.record(f.id));
      const i = f.claims.interface;
      const target = await f.claims.getAddress();
      const via = await f.intermediary.getAddress();
      const rule = { fee: 1n, copay: 0n, coinsuranceBps: 0, priorAuth: false, review: false, perClaimCap: 0n, costSharing: 0 };
      const staffOnly = [
        i.encodeFunctionData("setBenefits", [f.planId, [CODE.UNKNOWN], [rule]]),
        i.encodeFunctionData("enroll", [f.planId, f.outsider.address, 1, 2]),
        i.encodeFunctionData("authorize", [f.planId, f.outsider.address, CODE.MRI, 1, 1, 2]),
      ];
      for (const data of staffOnly) await expect(f.intermediary.forward(target, data)).to.be.revertedWithCustomError(f.claims, "NotInsurerStaff").withArgs(via, INSURER);
      await expect(f.intermediary.forward(target, i.encodeFunctionData("setPayee", [via]))).to.be.revertedWithCustomError(f.claims, "NotProviderAdmin").withArgs(via);
      await expect(f.intermediary.forward(target, i.encodeFunctionData("appeal", [f.id, r]))).to.be.revertedWithCustomError(f.claims, "NotAppellant").withArgs(via, f.id);
      await f.claims.connect(f.doctor).appeal(f.id, r);
      await expect(f.intermediary.forward(target, i.encodeFunctionData("resolveAppeal", [f.id, r, [{ allowed: 600n * USD, reason: 0 }, { allowed: 400n * USD, reason: 0 }]])))
        .to.be.revertedWithCustomError(f.claims, "NotInsurerStaff")
        .withArgs(via, INSURER);
    });
  });

  describe("submitCorrection", function () {
    it("pays only the net difference of a corrected claim and reverses the original's accumulators", async function () {
      const f = await loadFixture(claimsFixture);
      const s1 = await f.submission({ lines: [f.line(CODE.VISIT, 1_000n * USD)] });
      const id1 = await submit(f, s1); // ded 500, coins 100, plan 400
      const r1 = rec(await f.sdk.claims.record(id1));
      const s2 = { ...s1, evidence: await f.anchored(), lines: [f.line(CODE.VISIT, 1_500n * USD)] };
      const before = await f.token.balanceOf(f.payee.address);
      const tx = f.claims.connect(f.doctor).submitCorrection(sub(s2), id1, r1);
      const id2 = claimIdOf(s2); // another service: its own key
      // 1,500: ded 500, coins 200, plan 800 -> net 400
      await expect(tx).to.emit(f.claims, "ClaimCorrected").withArgs(id2, id1, 400n * USD);
      await expect(tx).to.emit(f.claims, "ClaimPaid").withArgs(id2, f.planId, f.payee.address, 400n * USD);
      expect((await f.token.balanceOf(f.payee.address)) - before).to.equal(400n * USD);
      expect(Number((await f.claims.claim(id1)).status)).to.equal(ClaimStatus.Replaced);
      const acc = await f.claims.accumulators(f.planId, f.patient.address, 0);
      expect([acc.deductibleMet, acc.outOfPocketMet, acc.benefitPaid]).to.deep.equal([500n * USD, 700n * USD, 800n * USD]);
      await expect(f.claims.connect(f.doctor).submitCorrection(sub({ ...s2, lines: [f.line(CODE.VISIT, 9n)] }), id1, r1))
        .to.be.revertedWithCustomError(f.claims, "InvalidClaimStatus")
        .withArgs(id1, ClaimStatus.Replaced);
    });

    it("records a negative difference as owed back by the provider", async function () {
      const f = await loadFixture(claimsFixture);
      const s1 = await f.submission({ lines: [f.line(CODE.VISIT, 1_500n * USD)] });
      const id1 = await submit(f, s1); // plan 800
      const s2 = { ...s1, evidence: await f.anchored(), lines: [f.line(CODE.VISIT, 1_000n * USD)] };
      const res = await (await (await f.sdkAs(f.doctor)).submitCorrection({ replaces: id1, submission: s2 })).wait();
      expect([res.planTotal, res.paid, res.owedBack]).to.deep.equal([400n * USD, 0n, 400n * USD]);
      expect(await f.claims.owedBack(f.planId, 1)).to.equal(400n * USD);
    });

    it("replaces a denied claim, reversing nothing", async function () {
      const f = await loadFixture(claimsFixture);
      const s1 = await f.submission({ lines: [f.line(CODE.MRI, 800n * USD)] });
      const id1 = await submit(f, s1);
      const s2 = { ...s1, evidence: await f.anchored(), lines: [f.line(CODE.XRAY, 100n * USD)] };
      const res = await (await (await f.sdkAs(f.doctor)).submitCorrection({ replaces: id1, submission: s2 })).wait();
      expect(res.status).to.equal(ClaimStatus.Approved);
    });

    it("corrects a pended claim: its exposure is released, nothing was applied to reverse, and the new claim is adjudicated afresh", async function () {
      const f = await loadFixture(pendedFixture);
      const r = rec(await f.sdk.claims.record(f.id));
      const s2 = { ...f.s, evidence: await f.anchored(), lines: [f.line(CODE.VISIT, 100n * USD)] };
      const tx = f.claims.connect(f.doctor).submitCorrection(sub(s2), f.id, r);
      // Nothing was committed for the pended claim: the credit is 0. It was waiting for an adjuster,
      // so its correction waits too, applying nothing ($100, all deductible: exposure 0).
      await expect(tx).to.emit(f.claims, "ClaimCorrected").withArgs(claimIdOf(s2), f.id, 0n);
      expect(Number((await f.claims.claim(f.id)).status)).to.equal(ClaimStatus.Replaced);
      expect(Number((await f.claims.claim(claimIdOf(s2))).status)).to.equal(ClaimStatus.Pended);
      expect((await f.claims.funds(f.planId)).reserved).to.equal(0n);
      const acc = await f.claims.accumulators(f.planId, f.patient.address, 0);
      expect([acc.deductibleMet, acc.outOfPocketMet, acc.benefitPaid]).to.deep.equal([0n, 0n, 0n]);
    });

    it("refuses a correction for another member or plan, and a wrong record", async function () {
      const f = await loadFixture(pendedFixture);
      const s2 = { ...f.s, evidence: await f.anchored(), lines: [f.line(CODE.VISIT, 100n * USD)] };
      const ok = await submit(f, await f.submission());
      const rOk = rec(await f.sdk.claims.record(ok));
      await expect(f.claims.connect(f.doctor).submitCorrection(sub({ ...s2, member: f.member2.address }), ok, rOk)).to.be.revertedWithCustomError(f.claims, "CorrectionMismatch").withArgs(ok);
      await expect(f.claims.connect(f.doctor).submitCorrection(sub({ ...s2, planId: 2n }), ok, rOk)).to.be.revertedWithCustomError(f.claims, "CorrectionMismatch");
      await expect(f.claims.connect(f.doctor).submitCorrection(sub({ ...s2, providerOrg: 3n }), ok, { ...rOk, providerOrg: 3n })).to.be.revertedWithCustomError(f.claims, "RecordMismatch");
      await expect(f.claims.connect(f.doctor).submitCorrection(sub({ ...s2, providerOrg: 3n }), ok, rOk)).to.be.revertedWithCustomError(f.claims, "CorrectionMismatch").withArgs(ok);
      await expect(f.claims.connect(f.doctor).submitCorrection(sub(s2), hre.ethers.ZeroHash, rOk)).to.be.revertedWithCustomError(f.claims, "UnknownClaim");
    });

    it("refuses a correction of a claim under appeal, and a paused engine", async function () {
      const f = await loadFixture(decidedFixture);
      const r = rec(await f.sdk.claims.record(f.id));
      await f.claims.connect(f.doctor).appeal(f.id, r);
      const s2 = { ...f.s, evidence: await f.anchored(), lines: [f.line(CODE.VISIT, 100n * USD)] };
      await expect(f.claims.connect(f.doctor).submitCorrection(sub(s2), f.id, r)).to.be.revertedWithCustomError(f.claims, "InvalidClaimStatus").withArgs(f.id, ClaimStatus.Appealed);
      await f.claims.connect(f.pauser).pause();
      await expect(f.claims.connect(f.doctor).submitCorrection(sub(s2), f.id, r)).to.be.revertedWithCustomError(f.claims, "EnforcedPause");
    });
  });

  describe("shortfall", function () {
    async function thinPlan(f: ClaimsFixture) {
      await f.claims.connect(f.insurerAdmin).createPlan({ ...f.terms, deductible: 0n });
      await f.claims.connect(f.insurerAdmin).setBenefits(2, [CODE.VISIT], [{ fee: 5_000n * USD, copay: 0n, coinsuranceBps: 0, priorAuth: false, review: false, perClaimCap: 0n, costSharing: 0 }]);
      await f.claims.connect(f.insurerAdmin).enroll(2, f.patient.address, f.start, f.start + 300 * DAY);
      await f.claims.connect(f.insurerAdmin).fund(2, 100n * USD);
    }

    it("queues a payment in full when escrow is short, keeps later ones behind it, and pays them in order when funded", async function () {
      const f = await loadFixture(claimsFixture);
      await thinPlan(f);
      const id1 = await submit(f, await f.submission({ planId: 2n, lines: [f.line(CODE.VISIT, 800n * USD)] }));
      const s2 = await f.submission({ planId: 2n, lines: [f.line(CODE.VISIT, 50n * USD)] });
      const tx2 = f.claims.connect(f.doctor).submit(sub(s2));
      await expect(tx2).to.emit(f.claims, "PaymentQueued").withArgs(claimIdOf(s2), 2, 1, 50n * USD);
      let funds = await f.claims.funds(2);
      expect([funds.balance, funds.reserved, funds.queueHead, funds.queueTail]).to.deep.equal([100n * USD, 850n * USD, 0n, 2n]);
      expect(await f.token.balanceOf(f.payee.address)).to.equal(0n);
      await expect(f.claims.connect(f.insurerAdmin).withdraw(2, 1, f.insurerAdmin.address))
        .to.be.revertedWithCustomError(f.claims, "InsufficientUnreservedFunds")
        .withArgs(2, 1, 0);
      // Not enough for the first: nothing is paid, not even the second, which would fit.
      expect(await f.claims.payQueued.staticCall(2, 5)).to.equal(0n);
      const tx = f.claims.connect(f.insurerAdmin).fund(2, 800n * USD);
      await expect(tx).to.emit(f.claims, "ClaimPaid").withArgs(id1, 2, f.payee.address, 800n * USD);
      await expect(tx).to.emit(f.claims, "ClaimPaid").withArgs(claimIdOf(s2), 2, f.payee.address, 50n * USD);
      expect(await f.token.balanceOf(f.payee.address)).to.equal(850n * USD);
      funds = await f.claims.funds(2);
      expect([funds.balance, funds.reserved, funds.queueHead, funds.queueTail]).to.deep.equal([50n * USD, 0n, 2n, 2n]);
    });

    it("pays at once only from unreserved escrow: a later claim does not spend a pended claim's exposure", async function () {
      const f = await loadFixture(claimsFixture);
      await thinPlan(f); // $100 in escrow
      await f.claims.connect(f.insurerAdmin).setBenefits(2, [CODE.REVIEW], [{ fee: 5_000n * USD, copay: 0n, coinsuranceBps: 0, priorAuth: false, review: true, perClaimCap: 0n, costSharing: 0 }]);
      const pendedId = await submit(f, await f.submission({ planId: 2n, lines: [f.line(CODE.REVIEW, 400n * USD)] }));
      // Reservations above the escrow: a $50 claim queues (no underflow), and nothing is withdrawable.
      expect(await f.claims.funds(2)).to.deep.equal([100n * USD, 400n * USD, 0n, 0n]);
      const small = await f.submission({ planId: 2n, lines: [f.line(CODE.VISIT, 50n * USD)] });
      await expect(f.claims.connect(f.doctor).submit(sub(small))).to.emit(f.claims, "PaymentQueued").withArgs(claimIdOf(small), 2, 0, 50n * USD).and.not.to.emit(f.claims, "ClaimPaid");
      await expect(f.claims.connect(f.insurerAdmin).withdraw(2, 1, f.insurerAdmin.address)).to.be.revertedWithCustomError(f.claims, "InsufficientUnreservedFunds").withArgs(2, 1, 0);
      await f.claims.connect(f.insurerAdmin).fund(2, 950n * USD); // pays the $50; $600 unreserved remain
      expect(await f.claims.funds(2)).to.deep.equal([1_000n * USD, 400n * USD, 1n, 1n]);
      // Exactly the unreserved $600 is paid at once; $1 more than what is unreserved queues in full.
      const fits = await f.submission({ planId: 2n, lines: [f.line(CODE.VISIT, 600n * USD)] });
      await expect(f.claims.connect(f.doctor).submit(sub(fits))).to.emit(f.claims, "ClaimPaid").withArgs(claimIdOf(fits), 2, f.payee.address, 600n * USD);
      const over = await f.submission({ planId: 2n, lines: [f.line(CODE.VISIT, 1n)] });
      await expect(f.claims.connect(f.doctor).submit(sub(over))).to.emit(f.claims, "PaymentQueued").withArgs(claimIdOf(over), 2, 1, 1n).and.not.to.emit(f.claims, "ClaimPaid");
      expect(await f.claims.funds(2)).to.deep.equal([400n * USD, 400n * USD + 1n, 1n, 2n]);
      expect(await f.token.balanceOf(f.payee.address)).to.equal(650n * USD);
      // The pended claim's decision releases its exposure; its payment waits behind the older one, and one deposit pays both in order.
      const r = await f.sdk.claims.record(pendedId);
      await expect(f.claims.connect(f.adjuster).decide(pendedId, rec(r), [{ allowed: r.allowed[0], reason: 0 }])).to.emit(f.claims, "PaymentQueued").withArgs(pendedId, 2, 2, 400n * USD);
      expect(await f.claims.funds(2)).to.deep.equal([400n * USD, 400n * USD + 1n, 1n, 3n]);
      const tx = f.claims.connect(f.insurerAdmin).fund(2, 1n);
      await expect(tx).to.emit(f.claims, "ClaimPaid").withArgs(claimIdOf(over), 2, f.payee.address, 1n);
      await expect(tx).to.emit(f.claims, "ClaimPaid").withArgs(pendedId, 2, f.payee.address, 400n * USD);
      expect(await f.claims.funds(2)).to.deep.equal([0n, 0n, 3n, 3n]);
      expect(await f.token.balanceOf(f.payee.address)).to.equal(1_050n * USD + 1n);
    });

    it("pays the queue with payQueued, bounded, stopping at the first payment escrow cannot cover", async function () {
      const f = await loadFixture(claimsFixture);
      await thinPlan(f);
      await f.claims.connect(f.pauser).pause();
      await expect(f.claims.payQueued(2, 1)).to.be.revertedWithCustomError(f.claims, "EnforcedPause");
      await f.claims.connect(f.pauser).unpause();
      await submit(f, await f.submission({ planId: 2n, lines: [f.line(CODE.VISIT, 150n * USD)] }));
      await submit(f, await f.submission({ planId: 2n, lines: [f.line(CODE.VISIT, 60n * USD)] }));
      await submit(f, await f.submission({ planId: 2n, lines: [f.line(CODE.VISIT, 500n * USD)] }));
      await expect(f.claims.payQueued(2, 0)).to.be.revertedWithCustomError(f.claims, "InvalidBatch").withArgs(0, 50);
      await expect(f.claims.payQueued(2, 51)).to.be.revertedWithCustomError(f.claims, "InvalidBatch").withArgs(51, 50);
      await expect(f.claims.payQueued(9, 1)).to.be.revertedWithCustomError(f.claims, "UnknownPlan");
      // Fund through another account's transfer straight to the escrow would not count: fund properly.
      await f.token.mint(f.outsider.address, 200n * USD);
      await f.token.connect(f.outsider).approve(await f.claims.getAddress(), 200n * USD);
      await f.claims.connect(f.pauser).pause();
      await f.claims.connect(f.pauser).unpause();
      await f.claims.connect(f.outsider).fund(2, 200n * USD); // 300: pays 150 and 60 (drain on fund), then stops before 500
      let funds = await f.claims.funds(2);
      expect([funds.balance, funds.queueHead, funds.queueTail]).to.deep.equal([90n * USD, 2n, 3n]);
      await f.token.mint(f.outsider.address, 500n * USD);
      await f.token.connect(f.outsider).approve(await f.claims.getAddress(), 500n * USD);
      await f.claims.connect(f.pauser).pause();
      await f.claims.connect(f.pauser).unpause();
      expect(await f.claims.payQueued.staticCall(2, 1)).to.equal(0n);
      await f.claims.connect(f.outsider).fund(2, 500n * USD);
      funds = await f.claims.funds(2);
      expect([funds.balance, funds.reserved, funds.queueHead]).to.deep.equal([90n * USD, 0n, 3n]);
      expect(await f.claims.payQueued.staticCall(2, 1)).to.equal(0n);
    });

    it("drains at most DRAIN_ON_FUND payments per deposit; payQueued pays the rest", async function () {
      const f = await loadFixture(claimsFixture);
      await f.claims.connect(f.insurerAdmin).createPlan({ ...f.terms, deductible: 0n });
      await f.claims.connect(f.insurerAdmin).setBenefits(2, [CODE.VISIT], [{ fee: 5_000n * USD, copay: 0n, coinsuranceBps: 0, priorAuth: false, review: false, perClaimCap: 0n, costSharing: 0 }]);
      await f.claims.connect(f.insurerAdmin).enroll(2, f.patient.address, f.start, f.start + 300 * DAY);
      for (let i = 1; i <= 10; i++) await submit(f, await f.submission({ planId: 2n, lines: [f.line(CODE.VISIT, BigInt(i) * USD)] }));
      await f.claims.connect(f.insurerAdmin).fund(2, 1_000n * USD);
      expect((await f.claims.funds(2)).queueHead).to.equal(8n);
      await expect(f.claims.connect(f.outsider).payQueued(2, 5)).to.emit(f.claims, "ClaimPaid");
      expect((await f.claims.funds(2)).queueHead).to.equal(10n);
      expect((await f.claims.funds(2)).balance).to.equal((1_000n - 55n) * USD);
    });
  });

  describe("reentrancy", function () {
    /** Plan 2 in a token that calls back into the engine on transfer: no deductible, no coinsurance, $1,000 in escrow. */
    async function reentrantPlan(f: ClaimsFixture) {
      const evil = await new ReentrantToken__factory(f.deployer).deploy();
      expect(await planIn(f, evil, { mint: 1_000n * USD, deductible: 0n, coinsuranceBps: 0 })).to.equal(2n);
      await f.claims.connect(f.insurerAdmin).fund(2, 1_000n * USD);
      return evil;
    }

    it("refuses a token's callback into every settling function", async function () {
      const f = await loadFixture(claimsFixture);
      const evil = await reentrantPlan(f);
      const s = await f.submission({ planId: 2n });
      const r = rec(f.ruleRecord(s, [0n]));
      const i = f.claims.interface;
      const calls = [
        i.encodeFunctionData("fund", [2, 1]),
        i.encodeFunctionData("withdraw", [2, 1, f.outsider.address]),
        i.encodeFunctionData("submit", [sub(s)]),
        i.encodeFunctionData("submitCorrection", [sub(s), hre.ethers.ZeroHash, r]),
        i.encodeFunctionData("decide", [hre.ethers.ZeroHash, r, []]),
        i.encodeFunctionData("resolveAppeal", [hre.ethers.ZeroHash, r, []]),
      ];
      for (let k = 0; k < calls.length; k++) {
        await evil.arm(await f.claims.getAddress(), calls[k]);
        await submit(f, await f.submission({ planId: 2n, lines: [f.line(CODE.VISIT, BigInt(k + 1) * USD)] }));
        expect([await evil.attempted(), await evil.succeeded()]).to.deep.equal([true, false]);
        expect((await evil.revertData()).slice(0, 10)).to.equal(i.getError("ReentrancyGuardReentrantCall")!.selector);
      }
    });

    it("refuses a token's callback into settlement during a payment, and pays the claim once", async function () {
      const f = await loadFixture(claimsFixture);
      const evil = await reentrantPlan(f);
      await evil.arm(await f.claims.getAddress(), f.claims.interface.encodeFunctionData("payQueued", [2, 1]));
      const id = await submit(f, await f.submission({ planId: 2n, lines: [f.line(CODE.VISIT, 300n * USD)] }));
      expect(await evil.attempted()).to.equal(true);
      expect(await evil.succeeded()).to.equal(false);
      expect((await evil.revertData()).slice(0, 10)).to.equal(f.claims.interface.getError("ReentrancyGuardReentrantCall")!.selector);
      expect(await evil.balanceOf(f.payee.address)).to.equal(300n * USD);
      expect((await f.claims.funds(2)).balance).to.equal(700n * USD);
      expect((await claimState(f.claims, id)).planPaid).to.equal(300n * USD);
    });
  });
});
