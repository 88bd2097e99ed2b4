/**
 * Tests written to kill the mutants of ClaimsEngine that survived the main suite (SuMo mutants, full
 * run; see docs/mutation.md, which also lists the mutants judged equivalent and why). What the main
 * suite left open:
 * - callers that are contracts: submissions, decisions and appeals came only from wallets, so asking
 *   about `tx.origin` rather than the caller looked the same (submitter, adjuster of record, events,
 *   the same-adjuster rule on appeal);
 * - exact boundaries: 20 lines, a service dated the second of mining or the plan's first second, a
 *   plan share exactly at the auto-approval limit, one-unit shares, exposures and lines, a correction
 *   whose plan share equals what was paid;
 * - values no test read: every line's reason on a coverage denial, decision times, copays after an
 *   adjuster's decision and on an appeal's increment, the plan year a decision counts in, another
 *   member's authorization after a claim cited it;
 * - what goes on while paused (plan and payee set-up, benefits, enrollment, authorizations), and
 *   overpayments that add up;
 * - the escrow (ClaimsEscrow): a queued payment recovered in full is passed over and the next paid, with
 *   no recovery reported for it; a provider that owes less than a queued payment is paid the difference;
 *   a correction that pays nothing reports no recovery; a reservation of one unit is released; a contract that repays is named, not its driver.
 */
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ClaimStatus, claimIdOf, recordHashOf, type ClaimSubmission } from "../../sdk";
import { Intermediary__factory } from "../../typechain-types";
import { planIn } from "../support/tokenPlans";
import { claimsEvent, claimsFixture, CODE, correct, DAY, HOSPITAL, INSURER, pendedWithAuthorization, rec, secondPlan, sub, USD, type ClaimsFixture } from "./fixtures";
import { claimState } from "../support/suiteFixture";

/**
 * Submits `s` as the doctor; returns the claim's status, which event told it, the line reasons and
 * the plan's share (for a pended claim: its preview and exposure).
 */
async function adjudicated(f: ClaimsFixture, s: ClaimSubmission) {
  const receipt = await (await f.claims.connect(f.doctor).submit(sub(s))).wait();
  const ev = claimsEvent(f.claims, receipt, "ClaimAdjudicated", "ClaimPended")!;
  const pended = ev.name === "ClaimPended";
  const outcomes: { reason: bigint }[] = pended ? ev.args.preview : ev.args.outcomes;
  return {
    event: ev.name,
    status: Number((await f.claims.claim(claimIdOf(s))).status),
    reasons: outcomes.map((o) => Number(o.reason)),
    planTotal: (pended ? ev.args.exposure : ev.args.planTotal) as bigint,
  };
}

describe("ClaimsEngine (mutation-killing tests)", function () {
  it("plan administration goes on while the engine is paused: benefits, enrollment and prior authorizations", async function () {
    const { claims, pauser, adjuster, planId, patient, member2 } = await loadFixture(claimsFixture);
    await claims.connect(pauser).pause();
    await expect(claims.connect(adjuster).setBenefits(planId, [CODE.MRI], [{ fee: 900n * USD, copay: 0n, coinsuranceBps: 2_000, priorAuth: true, review: false, perClaimCap: 0n, costSharing: 0 }])).to.emit(claims, "BenefitSet");
    await expect(claims.connect(adjuster).enroll(planId, member2.address, 1, 2)).to.emit(claims, "MemberEnrolled");
    await expect(claims.connect(adjuster).authorize(planId, patient.address, CODE.MRI, 900n * USD, 1, 2)).to.emit(claims, "AuthorizationIssued");
  });

  it("a contract that is a provider's member submits as itself, though the wallet driving it is no member", async function () {
    const { claims, registry, hospitalAdmin, outsider, submission, line } = await loadFixture(claimsFixture);
    const billing = await new Intermediary__factory(outsider).deploy();
    await registry.connect(hospitalAdmin).addMember(HOSPITAL, billing.target, false);
    const s = await submission({ lines: [line(CODE.VISIT, 100n * USD)] });
    await expect(billing.connect(outsider).forward(claims.target, claims.interface.encodeFunctionData("submit", [sub(s)])))
      .to.emit(claims, "ClaimSubmitted")
      .withArgs(claimIdOf(s), s.planId, s.member, billing.target, anyValue);
    expect((await claimState(claims, claimIdOf(s))).planId).to.equal(1n);
  });

  it("a contract adjuster approving a pended claim as previewed is the adjuster of record, not its driver", async function () {
    const { claims, registry, insurerAdmin, outsider, submission, line, doctor, sdk } = await loadFixture(claimsFixture);
    const desk = await new Intermediary__factory(outsider).deploy();
    await registry.connect(insurerAdmin).addMember(INSURER, desk.target, false);
    const s = await submission({ lines: [line(CODE.REVIEW, 600n * USD)] });
    await claims.connect(doctor).submit(sub(s));
    const r = await sdk.claims.record(claimIdOf(s));
    const decide = claims.interface.encodeFunctionData("decide", [claimIdOf(s), rec(r), [{ allowed: 600n * USD, reason: 0 }]]);
    await expect(desk.connect(outsider).forward(claims.target, decide)).to.emit(claims, "ClaimAdjudicated").withArgs(claimIdOf(s), anyValue, desk.target, anyValue, anyValue, anyValue);
    // 600: deductible 500, 20% of 100, applied when decided.
    expect((await claims.claim(claimIdOf(s))).recordHash).to.equal(recordHashOf({ ...r, adjuster: String(desk.target), decidedAt: await time.latest(), planPaid: 80n * USD, deductible: 500n * USD, memberShare: 520n * USD }));
  });

  it("a contract adjuster re-adjudicating a pended claim is named in the event, and may not resolve the appeal of its own decision", async function () {
    const { claims, registry, insurerAdmin, outsider, submission, line, doctor, sdk, adjuster } = await loadFixture(claimsFixture);
    const desk = await new Intermediary__factory(outsider).deploy();
    await registry.connect(insurerAdmin).addMember(INSURER, desk.target, false);
    const s = await submission({ lines: [line(CODE.REVIEW, 600n * USD)] });
    const id = claimIdOf(s);
    await claims.connect(doctor).submit(sub(s));
    const decide = claims.interface.encodeFunctionData("decide", [id, rec(await sdk.claims.record(id)), [{ allowed: 400n * USD, reason: 45 }]]);
    await expect(desk.connect(outsider).forward(claims.target, decide)).to.emit(claims, "ClaimAdjudicated").withArgs(id, anyValue, desk.target, anyValue, anyValue, anyValue);
    const decided = rec(await sdk.claims.record(id));
    await claims.connect(doctor).appeal(id, decided);
    const resolve = claims.interface.encodeFunctionData("resolveAppeal", [id, decided, [{ allowed: 600n * USD, reason: 0 }]]);
    await expect(desk.connect(adjuster).forward(claims.target, resolve)).to.be.revertedWithCustomError(claims, "SameAdjuster").withArgs(desk.target);
  });

  it("a contract that is a provider's member appeals as itself (named in the event), though the wallet driving it is no member", async function () {
    const { claims, registry, hospitalAdmin, outsider, submission, line, doctor, sdk, adjuster } = await loadFixture(claimsFixture);
    const billing = await new Intermediary__factory(outsider).deploy();
    await registry.connect(hospitalAdmin).addMember(HOSPITAL, billing.target, false);
    const s = await submission({ lines: [line(CODE.REVIEW, 600n * USD)] });
    const id = claimIdOf(s);
    await claims.connect(doctor).submit(sub(s));
    await claims.connect(adjuster).decide(id, rec(await sdk.claims.record(id)), [{ allowed: 400n * USD, reason: 45 }]);
    const appeal = claims.interface.encodeFunctionData("appeal", [id, rec(await sdk.claims.record(id))]);
    await expect(billing.connect(outsider).forward(claims.target, appeal)).to.emit(claims, "ClaimAppealed").withArgs(id, billing.target);
  });

  it("the member's own wallet driving a contract that is no provider's member may not appeal through it", async function () {
    const { claims, outsider, submission, line, doctor, sdk, adjuster, patient } = await loadFixture(claimsFixture);
    const relay = await new Intermediary__factory(outsider).deploy();
    const s = await submission({ lines: [line(CODE.REVIEW, 600n * USD)] });
    const id = claimIdOf(s);
    expect(s.member).to.equal(patient.address);
    await claims.connect(doctor).submit(sub(s));
    await claims.connect(adjuster).decide(id, rec(await sdk.claims.record(id)), [{ allowed: 400n * USD, reason: 45 }]);
    const appeal = claims.interface.encodeFunctionData("appeal", [id, rec(await sdk.claims.record(id))]);
    await expect(relay.connect(patient).forward(claims.target, appeal)).to.be.revertedWithCustomError(claims, "NotAppellant").withArgs(relay.target, id);
  });

  it("adds every overpayment of a provider on a plan to what it owes back", async function () {
    const f = await loadFixture(claimsFixture);
    const s1 = await f.submission({ lines: [f.line(CODE.VISIT, 1_500n * USD)] }); // plan 800
    await f.claims.connect(f.doctor).submit(sub(s1));
    const doctorSdk = await f.sdkAs(f.doctor);
    const s2 = { ...s1, evidence: await f.anchored(), lines: [f.line(CODE.VISIT, 1_000n * USD)] }; // plan 400: owes 400
    const first = await (await doctorSdk.submitCorrection({ replaces: claimIdOf(s1), submission: s2 })).wait();
    const s3 = { ...s1, evidence: await f.anchored(), lines: [f.line(CODE.VISIT, 600n * USD)] }; // plan 80: owes 320 more
    const second = await (await doctorSdk.submitCorrection({ replaces: claimIdOf(s2), submission: s3 })).wait();
    expect([first.owedBack, second.owedBack]).to.deep.equal([400n * USD, 320n * USD]);
    expect(await f.claims.owedBack(f.planId, HOSPITAL)).to.equal(720n * USD);
    // Nothing was due on the second correction, so nothing was offset against the 400 already owed:
    // no recovery is reported, not even one of zero.
    expect([first.recovered, second.recovered, second.paid]).to.deep.equal([0n, 0n, 0n]);
    expect(second.receipt.logs.map((l) => f.claims.interface.parseLog(l)?.name)).to.not.include("OverpaymentRecovered");
  });

  it("a claim denied for coverage carries CARC 27 on every line, not only the first", async function () {
    const f = await loadFixture(claimsFixture);
    const s = await f.submission({ member: f.outsider.address, lines: [f.line(CODE.VISIT, 100n * USD), f.line(CODE.XRAY, 50n * USD), f.line(CODE.VISIT, 70n * USD)] });
    const { status, reasons } = await adjudicated(f, s);
    expect([status, reasons]).to.deep.equal([ClaimStatus.Denied, [27, 27, 27]]);
  });

  it("accepts a claim of exactly MAX_LINES (20) lines", async function () {
    const f = await loadFixture(claimsFixture);
    const lines = Array.from({ length: 20 }, (_, i) => f.line(CODE.VISIT, BigInt(i + 1) * USD));
    const { reasons } = await adjudicated(f, await f.submission({ lines }));
    expect(reasons).to.have.length(20);
  });

  it("accepts a service dated the very second the claim is mined (a midnight)", async function () {
    const f = await loadFixture(claimsFixture);
    const s = await f.submission();
    const latest = await time.latest();
    const now = latest - (latest % DAY) + DAY;
    await time.setNextBlockTimestamp(now);
    const { status } = await adjudicated(f, { ...s, serviceDate: now });
    expect(status).to.equal(ClaimStatus.Approved);
  });

  it("covers a service on the plan's first second (enrolled from it)", async function () {
    const f = await loadFixture(claimsFixture);
    const today = (await time.latest()) - ((await time.latest()) % DAY);
    const planId = await planIn(f, f.token, { start: today });
    await f.claims.connect(f.insurerAdmin).fund(planId, 10_000n * USD);
    const { status, reasons } = await adjudicated(f, await f.submission({ planId, serviceDate: today }));
    expect([status, reasons]).to.deep.equal([ClaimStatus.Approved, [0]]);
  });

  it("approves at once a claim whose plan share equals the auto-approval limit; two units more are pended", async function () {
    const f = await loadFixture(claimsFixture);
    const planId = await planIn(f, f.token, { autoApprovalLimit: 800n * USD, deductible: 0n });
    await f.claims.connect(f.insurerAdmin).fund(planId, 10_000n * USD);
    const atLimit = await adjudicated(f, await f.submission({ planId, lines: [f.line(CODE.VISIT, 1_000n * USD)] })); // 20% coinsurance: plan 800
    expect([atLimit.event, atLimit.status, atLimit.planTotal]).to.deep.equal(["ClaimAdjudicated", ClaimStatus.Approved, 800n * USD]);
    const over = await adjudicated(f, await f.submission({ planId, lines: [f.line(CODE.VISIT, 1_000n * USD + 2n)] })); // member 20% rounds down: plan 800.000002
    expect([over.event, over.status, over.planTotal]).to.deep.equal(["ClaimPended", ClaimStatus.Pended, 800n * USD + 2n]);
  });

  it("an adjuster's decision keeps a line's copay (only an appeal's increment is free of it)", async function () {
    const f = await loadFixture(claimsFixture);
    const s = await f.submission({ lines: [f.line(CODE.REVIEW, 600n * USD), f.line(CODE.XRAY, 100n * USD)] });
    await f.claims.connect(f.doctor).submit(sub(s));
    const r = await f.sdk.claims.record(claimIdOf(s));
    // Not as previewed (the review line cut to $500, reason 45), so the engine re-adjudicates both lines.
    const decisions = [{ allowed: 500n * USD, reason: 45 }, { allowed: 100n * USD, reason: 0 }];
    const receipt = await (await f.claims.connect(f.adjuster).decide(claimIdOf(s), rec(r), decisions)).wait();
    const ev = claimsEvent(f.claims, receipt, "ClaimAdjudicated")!;
    expect(ev.args.outcomes.map((o: { copay: bigint }) => o.copay)).to.deep.equal([0n, 25n * USD]);
  });

  it("an adjuster cannot allow more than the fee schedule for a code with a fee, even below the charge", async function () {
    const f = await loadFixture(claimsFixture);
    const s = await f.submission({ lines: [f.line(CODE.REVIEW, 1_500n * USD)] }); // fee $1,000
    await f.claims.connect(f.doctor).submit(sub(s));
    const r = await f.sdk.claims.record(claimIdOf(s));
    await expect(f.claims.connect(f.adjuster).decide(claimIdOf(s), rec(r), [{ allowed: 1_200n * USD, reason: 45 }]))
      .to.be.revertedWithCustomError(f.claims, "InvalidDecision")
      .withArgs(0);
    await expect(f.claims.connect(f.adjuster).decide(claimIdOf(s), rec(r), [{ allowed: 900n * USD, reason: 45 }])).to.emit(f.claims, "ClaimAdjudicated");
  });

  it("a claim citing another member's authorization leaves that authorization whole", async function () {
    const f = await loadFixture(claimsFixture);
    const today = (await time.latest()) - ((await time.latest()) % DAY);
    await f.claims.connect(f.adjuster).authorize(f.planId, f.patient.address, CODE.MRI, 900n * USD, today - DAY, today + DAY);
    await f.claims.connect(f.adjuster).enroll(f.planId, f.member2.address, f.start, today + DAY);
    const { reasons } = await adjudicated(f, await f.submission({ member: f.member2.address, authId: 1n, lines: [f.line(CODE.MRI, 800n * USD)] }));
    expect(reasons).to.deep.equal([197]);
    expect((await f.claims.authorization(1)).remaining).to.equal(900n * USD);
  });

  it("a claim's decision time is the block's time: approved by the rules, none while pended, approved as previewed by an adjuster", async function () {
    const f = await loadFixture(claimsFixture);
    const s = await f.submission();
    await f.claims.connect(f.doctor).submit(sub(s));
    expect((await claimState(f.claims, claimIdOf(s))).decidedAt).to.equal(await time.latest());
    const pended = await f.submission({ lines: [f.line(CODE.REVIEW, 600n * USD)] });
    await f.claims.connect(f.doctor).submit(sub(pended));
    expect((await claimState(f.claims, claimIdOf(pended))).decidedAt).to.equal(0); // not decided yet
    await time.increase(DAY);
    const r = await f.sdk.claims.record(claimIdOf(pended));
    await f.claims.connect(f.adjuster).decide(claimIdOf(pended), rec(r), [{ allowed: 600n * USD, reason: 0 }]);
    expect((await claimState(f.claims, claimIdOf(pended))).decidedAt).to.equal(await time.latest());
  });

  it("an authorized line over its per-claim cap keeps the cap's reason (CARC 119) and uses only the cap of the authorization", async function () {
    const f = await loadFixture(claimsFixture);
    const benefit = { fee: 1_000n * USD, copay: 0n, coinsuranceBps: 2_000, priorAuth: true, review: false, perClaimCap: 300n * USD, costSharing: 0 };
    await f.claims.connect(f.insurerAdmin).setBenefits(f.planId, [CODE.CAPPED], [benefit]);
    const today = (await time.latest()) - ((await time.latest()) % DAY);
    await f.claims.connect(f.adjuster).authorize(f.planId, f.patient.address, CODE.CAPPED, 1_000n * USD, today - DAY, today + DAY);
    const { reasons } = await adjudicated(f, await f.submission({ authId: 1n, lines: [f.line(CODE.CAPPED, 800n * USD)] }));
    expect(reasons).to.deep.equal([119]);
    expect((await f.claims.authorization(1)).remaining).to.equal(700n * USD);
  });

  it("a claim whose whole cost is one unit of deductible still counts it in the member's accumulators", async function () {
    const f = await loadFixture(claimsFixture);
    await adjudicated(f, await f.submission({ lines: [f.line(CODE.VISIT, 1n)] }));
    expect((await f.claims.accumulators(f.planId, f.patient.address, 0)).deductibleMet).to.equal(1n);
  });

  it("a new plan and a new payee can be set up while the engine is paused", async function () {
    const f = await loadFixture(claimsFixture);
    await f.claims.connect(f.pauser).pause();
    await expect(f.claims.connect(f.insurerAdmin).createPlan(f.terms)).to.emit(f.claims, "PlanCreated");
    await expect(f.claims.connect(f.hospitalAdmin).setPayee(f.outsider.address)).to.emit(f.claims, "PayeeSet");
  });

  it("a first submission is no correction: it emits no ClaimCorrected", async function () {
    const f = await loadFixture(claimsFixture);
    await expect(f.claims.connect(f.doctor).submit(sub(await f.submission()))).not.to.emit(f.claims, "ClaimCorrected");
  });

  it("an adjuster's decision on a claim of the second plan year counts in that year", async function () {
    const f = await loadFixture(claimsFixture);
    await time.increase(300 * DAY); // the fixture's plan started 100 days ago: now in plan year 1
    const s = await f.submission({ lines: [f.line(CODE.REVIEW, 600n * USD)] });
    await f.claims.connect(f.doctor).submit(sub(s));
    await f.claims.connect(f.adjuster).decide(claimIdOf(s), rec(await f.sdk.claims.record(claimIdOf(s))), [{ allowed: 400n * USD, reason: 45 }]);
    expect((await f.claims.accumulators(f.planId, f.patient.address, 1)).deductibleMet).to.equal(400n * USD);
    expect((await f.claims.accumulators(f.planId, f.patient.address, 0)).deductibleMet).to.equal(0n);
  });

  it("an appeal's increment on a line with a copay charges no second copay", async function () {
    const f = await loadFixture(claimsFixture);
    const s = await f.submission({ lines: [f.line(CODE.REVIEW, 600n * USD), f.line(CODE.XRAY, 100n * USD)] });
    const id = claimIdOf(s);
    await f.claims.connect(f.doctor).submit(sub(s));
    await f.claims.connect(f.adjuster).decide(id, rec(await f.sdk.claims.record(id)), [{ allowed: 600n * USD, reason: 0 }, { allowed: 50n * USD, reason: 45 }]);
    const decided = rec(await f.sdk.claims.record(id));
    await f.claims.connect(f.doctor).appeal(id, decided);
    const receipt = await (await f.claims.connect(f.adjuster2).resolveAppeal(id, decided, [{ allowed: 600n * USD, reason: 0 }, { allowed: 100n * USD, reason: 0 }])).wait();
    const ev = claimsEvent(f.claims, receipt, "ClaimAdjudicated")!;
    expect(ev.args.outcomes.map((o: { allowed: bigint; copay: bigint }) => [o.allowed, o.copay])).to.deep.equal([[0n, 0n], [50n * USD, 0n]]);
  });

  it("a plan share of exactly one unit with no member share is counted in the benefit paid", async function () {
    const f = await loadFixture(claimsFixture);
    const planId = await planIn(f, f.token, { deductible: 0n, coinsuranceBps: 0 });
    await f.claims.connect(f.insurerAdmin).fund(planId, 10n * USD);
    const { planTotal } = await adjudicated(f, await f.submission({ planId, lines: [f.line(CODE.VISIT, 1n)] }));
    expect(planTotal).to.equal(1n);
    expect((await f.claims.accumulators(planId, f.patient.address, 0)).benefitPaid).to.equal(1n);
  });

  it("a pended exposure of one unit decided at nothing is released from the reservations", async function () {
    const f = await loadFixture(claimsFixture);
    const planId = await planIn(f, f.token, { deductible: 0n, coinsuranceBps: 0 });
    await f.claims.connect(f.insurerAdmin).fund(planId, 10n * USD);
    const s = await f.submission({ planId, lines: [f.line(CODE.REVIEW, 1n)] });
    const { planTotal } = await adjudicated(f, s);
    expect([planTotal, (await f.claims.funds(planId)).reserved]).to.deep.equal([1n, 1n]);
    await f.claims.connect(f.adjuster).decide(claimIdOf(s), rec(await f.sdk.claims.record(claimIdOf(s))), [{ allowed: 0n, reason: 50 }]);
    expect((await f.claims.funds(planId)).reserved).to.equal(0n);
  });

  it("a line of one unit that needs a prior authorization and has none is denied (CARC 197)", async function () {
    const f = await loadFixture(claimsFixture);
    const { reasons, planTotal } = await adjudicated(f, await f.submission({ lines: [f.line(CODE.MRI, 1n)] }));
    expect([reasons, planTotal]).to.deep.equal([[197], 0n]);
  });

  it("an adjuster allowing a line in full gives it no reason, whatever reason was sent", async function () {
    const f = await loadFixture(claimsFixture);
    const s = await f.submission({ lines: [f.line(CODE.REVIEW, 600n * USD), f.line(CODE.REVIEW, 400n * USD)] });
    await f.claims.connect(f.doctor).submit(sub(s));
    const decisions = [{ allowed: 600n * USD, reason: 45 }, { allowed: 100n * USD, reason: 45 }];
    const receipt = await (await f.claims.connect(f.adjuster).decide(claimIdOf(s), rec(await f.sdk.claims.record(claimIdOf(s))), decisions)).wait();
    const ev = claimsEvent(f.claims, receipt, "ClaimAdjudicated")!;
    expect(ev.args.outcomes.map((o: { reason: bigint }) => Number(o.reason))).to.deep.equal([0, 45]);
  });

  it("a correction whose plan share equals what was paid records no overpayment and pays nothing", async function () {
    const f = await loadFixture(claimsFixture);
    const s1 = await f.submission({ lines: [f.line(CODE.VISIT, 6_000n * USD)] }); // fee $5,000: allowed 5,000
    await f.claims.connect(f.doctor).submit(sub(s1));
    const s2 = { ...s1, evidence: await f.anchored(), lines: [f.line(CODE.VISIT, 7_000n * USD)] }; // allowed 5,000 again
    const original = rec(await f.sdk.claims.record(claimIdOf(s1)));
    const tx = f.claims.connect(f.doctor).submitCorrection(sub(s2), claimIdOf(s1), original);
    await expect(tx).not.to.emit(f.claims, "OverpaymentRecorded");
    await expect(tx).not.to.emit(f.claims, "ClaimPaid");
    expect(await f.claims.owedBack(f.planId, HOSPITAL)).to.equal(0n);
  });
  describe("voids (ClaimsLifecycle)", function () {
    it("a void by a billing organization's member that is a contract: the contract is the caller, named in the event", async function () {
      const f = await loadFixture(claimsFixture);
      const { registry, hospitalAdmin, outsider } = f;
      const billing = await new Intermediary__factory(outsider).deploy();
      await registry.connect(hospitalAdmin).addMember(HOSPITAL, billing.target, false);
      const s = await f.submission({ lines: [f.line(CODE.VISIT, 1_000n * USD)] }); // plan 400
      await f.claims.connect(f.doctor).submit(sub(s));
      const id = claimIdOf(s);
      const data = f.claims.interface.encodeFunctionData("voidClaim", [id, rec(await f.sdk.claims.record(id))]);
      await expect(billing.connect(outsider).forward(f.claims.target, data)).to.emit(f.claims, "ClaimVoided").withArgs(id, billing.target, 400n * USD);
    });

    it("a void of a claim that met no deductible still reverses its member share and the benefit it paid", async function () {
      const f = await loadFixture(claimsFixture);
      const first = await f.submission({ lines: [f.line(CODE.VISIT, 1_000n * USD)] }); // meets the $500 deductible
      await f.claims.connect(f.doctor).submit(sub(first));
      // Both services are in the fixture's plan's first year (year 0).
      const before = await f.claims.accumulators(f.planId, f.patient.address, 0);
      const second = await f.submission({ serviceDate: first.serviceDate - DAY, lines: [f.line(CODE.VISIT, 1_000n * USD)] });
      await f.claims.connect(f.doctor).submit(sub(second));
      const id = claimIdOf(second);
      const r = await f.sdk.claims.record(id);
      expect([r.deductible, r.memberShare > 0n, r.planPaid > 0n]).to.deep.equal([0n, true, true]);
      await f.claims.connect(f.doctor).voidClaim(id, rec(r));
      expect(await f.claims.accumulators(f.planId, f.patient.address, 0)).to.deep.equal(before);
    });

    it("a void reverses a member share with no deductible and no plan share (a copay the whole visit), and a plan share alone", async function () {
      const f = await loadFixture(claimsFixture);
      await secondPlan(f, CODE.VISIT, { copay: 100n * USD });
      await f.claims.connect(f.insurerAdmin).fund(2, 1_000n * USD);
      const zero = await f.claims.accumulators(2, f.patient.address, 0);
      // $80 against a $100 copay: the member pays it all, the plan nothing.
      const copayOnly = await f.submission({ planId: 2n, lines: [f.line(CODE.VISIT, 80n * USD)] });
      await f.claims.connect(f.doctor).submit(sub(copayOnly));
      const a = await f.sdk.claims.record(claimIdOf(copayOnly));
      expect([a.deductible, a.memberShare, a.planPaid]).to.deep.equal([0n, 80n * USD, 0n]);
      await f.claims.connect(f.doctor).voidClaim(claimIdOf(copayOnly), rec(a));
      expect(await f.claims.accumulators(2, f.patient.address, 0)).to.deep.equal(zero);
      // Plan 3: no copay: the plan pays it all, the member nothing.
      await f.claims.connect(f.insurerAdmin).createPlan({ ...f.terms, deductible: 0n });
      await f.claims.connect(f.insurerAdmin).setBenefits(3, [CODE.VISIT], [{ fee: 5_000n * USD, copay: 0n, coinsuranceBps: 0, priorAuth: false, review: false, perClaimCap: 0n, costSharing: 0 }]);
      await f.claims.connect(f.insurerAdmin).enroll(3, f.patient.address, f.start, f.start + 300 * DAY);
      await f.claims.connect(f.insurerAdmin).fund(3, 1_000n * USD);
      const planOnly = await f.submission({ planId: 3n, lines: [f.line(CODE.VISIT, 80n * USD)] });
      await f.claims.connect(f.doctor).submit(sub(planOnly));
      const b = await f.sdk.claims.record(claimIdOf(planOnly));
      expect([b.deductible, b.memberShare, b.planPaid]).to.deep.equal([0n, 0n, 80n * USD]);
      const before = await f.claims.accumulators(3, f.patient.address, 0);
      expect(before.benefitPaid).to.equal(80n * USD);
      await f.claims.connect(f.doctor).voidClaim(claimIdOf(planOnly), rec(b));
      expect(await f.claims.accumulators(3, f.patient.address, 0)).to.deep.equal(zero);
    });

    it("a void records when it happened, and gives back no authorization and owes nothing when there is none", async function () {
      const f = await loadFixture(claimsFixture);
      const s = await f.submission({ lines: [f.line(CODE.REVIEW, 600n * USD)] }); // pended: nothing paid, no authorization
      await f.claims.connect(f.doctor).submit(sub(s));
      const id = claimIdOf(s);
      await time.increase(3 * DAY);
      const tx = f.claims.connect(f.doctor).voidClaim(id, rec(await f.sdk.claims.record(id)));
      await expect(tx).to.emit(f.claims, "ClaimVoided").withArgs(id, f.doctor.address, 0n);
      await expect(tx).not.to.emit(f.claims, "OverpaymentRecorded");
      await expect(tx).not.to.emit(f.claims, "AuthorizationReturned");
      const mined = await (await tx).wait();
      expect((await claimState(f.claims, id)).decidedAt).to.equal((await mined!.getBlock()).timestamp);
    });

    it("a void of a claim whose plan paid one unit, and the member nothing, takes that unit back out of the benefit paid", async function () {
      const f = await loadFixture(claimsFixture);
      const planId = await secondPlan(f); // no deductible, no copay, no coinsurance
      const s = await f.submission({ planId, lines: [f.line(CODE.VISIT, 1n)] });
      await f.claims.connect(f.doctor).submit(sub(s));
      const id = claimIdOf(s);
      const r = await f.sdk.claims.record(id);
      expect([r.deductible, r.memberShare, (await f.claims.accumulators(planId, f.patient.address, 0)).benefitPaid]).to.deep.equal([0n, 0n, 1n]);
      await f.claims.connect(f.doctor).voidClaim(id, rec(r));
      expect((await f.claims.accumulators(planId, f.patient.address, 0)).benefitPaid).to.equal(0n);
    });

    it("a void of a claim holding one unit of authorization gives that unit back", async function () {
      const f = await loadFixture(claimsFixture);
      const s0 = await f.submission({ lines: [f.line(CODE.MRI, 1n)] });
      await f.claims.connect(f.adjuster).authorize(f.planId, f.patient.address, CODE.MRI, 1n, s0.serviceDate, s0.serviceDate);
      const authId = (await f.claims.connect(f.adjuster).authorize.staticCall(f.planId, f.patient.address, CODE.MRI, 1n, 0, 0)) - 1n;
      const s = { ...s0, authId };
      await f.claims.connect(f.doctor).submit(sub(s));
      const id = claimIdOf(s);
      expect((await f.sdk.claims.record(id)).authUsed).to.equal(1n);
      await expect(f.claims.connect(f.doctor).voidClaim(id, rec(await f.sdk.claims.record(id)))).to.emit(f.claims, "AuthorizationReturned").withArgs(authId, id, 1n);
      expect((await f.claims.authorization(authId)).remaining).to.equal(1n);
    });
  });

  describe("decisions (ClaimsCore)", function () {
    it("keeps a pended claim's authorization when its lines of the authorized code are allowed, together, what it held", async function () {
      const f = await loadFixture(claimsFixture);
      const { id, record: r } = await pendedWithAuthorization(f, 500n * USD, [f.line(CODE.MRI, 800n * USD), f.line(CODE.MRI, 900n * USD)]);
      expect(r.authUsed).to.equal(500n * USD);
      // 400 + 200 allowed on the authorized code: more than the 500 held, though neither line alone is.
      const tx = f.claims.connect(f.adjuster).decide(id, rec(r), [
        { allowed: 400n * USD, reason: 45 },
        { allowed: 200n * USD, reason: 45 },
      ]);
      await expect(tx).not.to.emit(f.claims, "AuthorizationReturned");
      expect((await f.claims.authorization(1)).remaining).to.equal(0n);
      expect((await f.sdk.claims.record(id)).authUsed).to.equal(500n * USD);
    });

    it("a claim denied for coverage leaves the member's accumulators as they were", async function () {
      const f = await loadFixture(claimsFixture);
      await f.claims.connect(f.doctor).submit(sub(await f.submission({ lines: [f.line(CODE.VISIT, 1_000n * USD)] }))); // meets the deductible
      const before = await f.claims.accumulators(f.planId, f.patient.address, 0);
      expect(before.deductibleMet).to.be.greaterThan(0n);
      // A service the day before the plan starts: denied, not covered on that date.
      const early = await f.submission({ serviceDate: f.start - DAY, lines: [f.line(CODE.VISIT, 700n * USD)] });
      await f.claims.connect(f.doctor).submit(sub(early));
      expect((await f.claims.claim(claimIdOf(early))).status).to.equal(BigInt(ClaimStatus.Denied));
      expect(await f.claims.accumulators(f.planId, f.patient.address, 0)).to.deep.equal(before);
    });

    it("gives back nothing, and says nothing, when the lines of the authorized code are allowed exactly what the claim held", async function () {
      const f = await loadFixture(claimsFixture);
      const { id, record: r } = await pendedWithAuthorization(f, 500n * USD, [f.line(CODE.MRI, 800n * USD), f.line(CODE.MRI, 900n * USD)]);
      // 300 + 200: exactly the 500 held (no AuthorizationReturned of 0).
      const tx = f.claims.connect(f.adjuster).decide(id, rec(r), [
        { allowed: 300n * USD, reason: 45 },
        { allowed: 200n * USD, reason: 45 },
      ]);
      await expect(tx).not.to.emit(f.claims, "AuthorizationReturned");
      expect((await f.sdk.claims.record(id)).authUsed).to.equal(500n * USD);
    });
  });

  describe("the escrow: the queue's drain, recoupment, reservations (ClaimsEscrow)", function () {
    const queued = async (f: ClaimsFixture, s: ClaimSubmission) => {
      const receipt = await (await f.claims.connect(f.doctor).submit(sub(s))).wait();
      expect(claimsEvent(f.claims, receipt, "PaymentQueued"), "queued").to.not.equal(undefined);
      return claimIdOf(s);
    };

    it("goes on past a queued payment recovered in full and pays the next one", async function () {
      const f = await loadFixture(claimsFixture);
      await secondPlan(f);
      const base = await f.submission({ planId: 2n, lines: [f.line(CODE.VISIT, 400n * USD)] });
      const a = await queued(f, base);
      const d = await queued(f, { ...base, serviceDate: base.serviceDate - 2 * DAY, lines: [f.line(CODE.VISIT, 300n * USD)] });
      // Claim a corrected to nothing: its queued 400 is owed back, and the drain offsets it whole.
      const b = await correct(f, a, { ...base, lines: [f.line(CODE.VISIT, 400n * USD, 2)] });
      await correct(f, b.id, { ...base, lines: [f.line(CODE.VISIT, 0n)] });
      expect(await f.claims.owedBack(2, HOSPITAL)).to.equal(400n * USD);
      const before = await f.token.balanceOf(f.payee.address);
      const receipt = await (await f.claims.connect(f.insurerAdmin).fund(2, 1_000n * USD)).wait();
      const events = (name: string) => receipt!.logs.map((l) => f.claims.interface.parseLog(l)).filter((e) => e?.name === name).map((e) => [e!.args.claimId, e!.args.amount]);
      // Recovered only what was owed, from the payment it was owed on: none (not even of 0) from the next.
      expect(events("OverpaymentRecovered")).to.deep.equal([[a, 400n * USD]]);
      expect(events("ClaimPaid")).to.deep.equal([[d, 300n * USD]]);
      expect(await f.token.balanceOf(f.payee.address)).to.equal(before + 300n * USD);
      expect(await f.claims.funds(2)).to.deep.equal([700n * USD, 0n, 2n, 2n]);
    });

    it("pays a queued payment less what the provider owes, when it owes less than the payment", async function () {
      const f = await loadFixture(claimsFixture);
      await secondPlan(f);
      const base = await f.submission({ planId: 2n, lines: [f.line(CODE.VISIT, 400n * USD)] });
      const a = await queued(f, base);
      // Corrected to $100: the queued 400 counts as paid, so 300 is owed back; the queue still holds 400.
      const b = await correct(f, a, { ...base, lines: [f.line(CODE.VISIT, 100n * USD, 2)] });
      expect(claimsEvent(f.claims, b.receipt, "OverpaymentRecorded")!.args.amount).to.equal(300n * USD);
      const before = await f.token.balanceOf(f.payee.address);
      const tx = f.claims.connect(f.insurerAdmin).fund(2, 1_000n * USD);
      await expect(tx).to.emit(f.claims, "OverpaymentRecovered").withArgs(a, 2n, HOSPITAL, 300n * USD);
      await expect(tx).to.emit(f.claims, "ClaimPaid").withArgs(a, 2n, f.payee.address, 100n * USD);
      expect(await f.token.balanceOf(f.payee.address)).to.equal(before + 100n * USD);
      expect(await f.claims.owedBack(2, HOSPITAL)).to.equal(0n);
      expect(await f.claims.funds(2)).to.deep.equal([900n * USD, 0n, 1n, 1n]);
    });

    it("releases a pended claim's reservation of one unit when its decision pays it at once", async function () {
      const f = await loadFixture(claimsFixture);
      await secondPlan(f, CODE.REVIEW, { review: true });
      await f.claims.connect(f.insurerAdmin).fund(2, 1_000n * USD);
      const s = await f.submission({ planId: 2n, lines: [f.line(CODE.REVIEW, 1n)] });
      const pended = await adjudicated(f, s);
      expect([pended.event, pended.planTotal]).to.deep.equal(["ClaimPended", 1n]);
      expect((await f.claims.funds(2)).reserved).to.equal(1n);
      const r = await f.sdk.claims.record(claimIdOf(s));
      const tx = f.claims.connect(f.adjuster).decide(claimIdOf(s), rec(r), [{ allowed: 1n, reason: 0 }]);
      await expect(tx).to.emit(f.claims, "ClaimPaid").withArgs(claimIdOf(s), 2n, f.payee.address, 1n);
      expect(await f.claims.funds(2)).to.deep.equal([1_000n * USD - 1n, 0n, 0n, 0n]);
    });

    it("names the contract that repays what a provider owes, not the wallet driving it", async function () {
      const f = await loadFixture(claimsFixture);
      const visit = await f.submission({ lines: [f.line(CODE.VISIT, 1_000n * USD)] }); // paid 400
      await (await f.claims.connect(f.doctor).submit(sub(visit))).wait();
      await correct(f, claimIdOf(visit), { ...visit, lines: [f.line(CODE.VISIT, 500n * USD)] }); // owes 400
      const treasury = await new Intermediary__factory(f.outsider).deploy();
      await f.token.mint(treasury.target, 100n * USD);
      await treasury.connect(f.outsider).forward(f.token.target, f.token.interface.encodeFunctionData("approve", [f.claims.target, 100n * USD]));
      const repay = f.claims.interface.encodeFunctionData("repay", [f.planId, HOSPITAL, 100n * USD]);
      await expect(treasury.connect(f.outsider).forward(f.claims.target, repay)).to.emit(f.claims, "OverpaymentRepaid").withArgs(f.planId, HOSPITAL, treasury.target, 100n * USD);
      expect(await f.claims.owedBack(f.planId, HOSPITAL)).to.equal(300n * USD);
    });
  });
});
