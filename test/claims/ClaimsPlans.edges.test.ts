/**
 * Tests written to kill the mutants of ClaimsAdmin (the engine's plan-administration and escrow library,
 * since split into ClaimsPlans and ClaimsEscrow) that
 * survived the main suite (SuMo, see docs/mutation.md). The main tests refused inverted windows
 * and accepted long ones, never a window that starts and ends at the same second, so `end <= start`
 * (which would refuse it) looked the same as `end < start`. And only wallets withdrew escrow, named
 * payees or created plans, so asking whether `tx.origin` (rather than the caller) is an admin looked
 * the same; nor was a plan created by a contract that is an insurer admin. Withdrawals were refused
 * only with reservations at or above the escrow, where `balance + reserved` and `balance - reserved`
 * give the same answer (nothing available).
 *
 * The replaced claims of the main tests always had a member share, so skipping the reversal of a
 * claim whose only effect was one unit of plan benefit (`credit == 1` for `credit == 0`) looked the
 * same.
 *
 * Judged equivalent: the early return of `reverseAccumulators` when the replaced claim applied
 * nothing (deductible, member share and credit all 0) replaced by `false` — subtracting three zeros
 * from the same plan-year's accumulators changes nothing (it only costs gas).
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { claimIdOf, procedureCode } from "../../sdk";
import { Intermediary__factory } from "../../typechain-types";
import { planIn } from "../support/tokenPlans";
import { claimsEvent, claimsFixture, CODE, HOSPITAL, INSURER, rec, sub, USD, type ClaimsFixture } from "./fixtures";

/** Submits, as the doctor, a claim for `member` that the rules deny (an MRI without authorization); returns its id and its appeal's calldata. */
async function deniedClaimAppeal(f: ClaimsFixture, member: string) {
  const s = await f.submission({ member, lines: [f.line(CODE.MRI, 800n * USD)] });
  await f.claims.connect(f.doctor).submit(sub(s));
  const id = claimIdOf(s);
  return { id, appeal: f.claims.interface.encodeFunctionData("appeal", [id, rec(await f.sdk.claims.record(id))]) };
}

describe("ClaimsPlans and ClaimsEscrow (mutation-killing tests)", function () {
  it("accepts an enrollment and a prior authorization whose window is one instant (start = end)", async function () {
    const { claims, adjuster, planId, member2, patient } = await loadFixture(claimsFixture);
    await expect(claims.connect(adjuster).enroll(planId, member2.address, 500, 500)).to.emit(claims, "MemberEnrolled").withArgs(planId, member2.address, 500, 500);
    expect(await claims.enrollment(planId, member2.address)).to.deep.equal([500n, 500n]);
    await expect(claims.connect(adjuster).authorize(planId, patient.address, CODE.MRI, 1, 700, 700)).to.emit(claims, "AuthorizationIssued");
  });

  it("withdraws only for a caller that is itself an insurer admin: a staff contract driven by the admin's wallet is refused", async function () {
    const { claims, registry, insurerAdmin, planId } = await loadFixture(claimsFixture);
    const before = (await claims.funds(planId)).balance;
    const staffContract = await new Intermediary__factory(insurerAdmin).deploy();
    await registry.connect(insurerAdmin).addMember(INSURER, staffContract.target, false);
    const withdraw = claims.interface.encodeFunctionData("withdraw", [planId, 1n * USD, insurerAdmin.address]);
    await expect(staffContract.connect(insurerAdmin).forward(claims.target, withdraw))
      .to.be.revertedWithCustomError(claims, "NotInsurerStaff")
      .withArgs(staffContract.target, INSURER);
    expect((await claims.funds(planId)).balance).to.equal(before);
  });

  it("names a payee and creates a plan only for a caller that is itself an admin, not for a staff contract its admin drives", async function () {
    const { claims, registry, hospitalAdmin, insurerAdmin, outsider, terms } = await loadFixture(claimsFixture);
    const clerk = await new Intermediary__factory(hospitalAdmin).deploy();
    await registry.connect(hospitalAdmin).addMember(HOSPITAL, clerk.target, false);
    await expect(clerk.connect(hospitalAdmin).forward(claims.target, claims.interface.encodeFunctionData("setPayee", [outsider.address])))
      .to.be.revertedWithCustomError(claims, "NotProviderAdmin")
      .withArgs(clerk.target);
    const planner = await new Intermediary__factory(insurerAdmin).deploy();
    await registry.connect(insurerAdmin).addMember(INSURER, planner.target, false);
    await expect(planner.connect(insurerAdmin).forward(claims.target, claims.interface.encodeFunctionData("createPlan", [terms])))
      .to.be.revertedWithCustomError(claims, "NotInsurerAdmin")
      .withArgs(planner.target);
  });

  it("a contract that is an insurer's admin creates a plan for its organization, though the wallet driving it is no member", async function () {
    const { claims, registry, insurerAdmin, outsider, terms } = await loadFixture(claimsFixture);
    const treasury = await new Intermediary__factory(outsider).deploy();
    await registry.connect(insurerAdmin).addMember(INSURER, treasury.target, true);
    await expect(treasury.connect(outsider).forward(claims.target, claims.interface.encodeFunctionData("createPlan", [terms])))
      .to.emit(claims, "PlanCreated")
      .withArgs(2n, INSURER, terms.token, (value: unknown) => value !== undefined);
  });

  it("withdraws only what no claim has reserved while escrow exceeds the reservations", async function () {
    const { claims, insurerAdmin, doctor, planId, submission, line } = await loadFixture(claimsFixture);
    const pended = await submission({ lines: [line(CODE.REVIEW, 600n * USD)] });
    await claims.connect(doctor).submit(sub(pended));
    const f = await claims.funds(planId);
    expect(f.reserved).to.be.greaterThan(0n);
    expect(f.balance).to.be.greaterThan(f.reserved);
    const available = f.balance - f.reserved;
    await expect(claims.connect(insurerAdmin).withdraw(planId, available + 1n, insurerAdmin.address))
      .to.be.revertedWithCustomError(claims, "InsufficientUnreservedFunds")
      .withArgs(planId, available + 1n, available);
    await expect(claims.connect(insurerAdmin).withdraw(planId, available, insurerAdmin.address)).to.emit(claims, "FundsWithdrawn").withArgs(planId, insurerAdmin.address, available);
    expect(await claims.funds(planId)).to.deep.equal([f.reserved, f.reserved, f.queueHead, f.queueTail]);
  });

  it("reverses even a replaced claim whose only effect was one unit of plan benefit", async function () {
    const f = await loadFixture(claimsFixture);
    // Meet the out-of-pocket maximum, so that later lines cost the member nothing.
    await f.claims.connect(f.doctor).submit(sub(await f.submission({ lines: [f.line(CODE.VISIT, 9_000n * USD)] })));
    const met = await f.claims.accumulators(f.planId, f.patient.address, 0);
    expect(met.outOfPocketMet).to.equal(1_000n * USD);
    const s1 = await f.submission({ lines: [f.line(CODE.VISIT, 1n)] });
    await f.claims.connect(f.doctor).submit(sub(s1)); // the plan pays 1 unit, the member nothing
    expect((await f.claims.accumulators(f.planId, f.patient.address, 0)).benefitPaid).to.equal(met.benefitPaid + 1n);
    const s2 = { ...s1, evidence: await f.anchored(), lines: [f.line(CODE.VISIT, 2n)] };
    await (await (await f.sdkAs(f.doctor)).submitCorrection({ replaces: claimIdOf(s1), submission: s2 })).wait();
    const after = await f.claims.accumulators(f.planId, f.patient.address, 0);
    expect([after.deductibleMet, after.outOfPocketMet, after.benefitPaid]).to.deep.equal([met.deductibleMet, met.outOfPocketMet, met.benefitPaid + 2n]);
  });

  it("sets exactly MAX_BATCH (50) benefits in one call", async function () {
    const { claims, insurerAdmin, planId } = await loadFixture(claimsFixture);
    const codes = Array.from({ length: 50 }, (_, i) => procedureCode("sct", String(100_000 + i)));
    const benefit = { fee: 10n * USD, copay: 0n, coinsuranceBps: 0, priorAuth: false, review: false, perClaimCap: 0n, costSharing: 0 };
    await claims.connect(insurerAdmin).setBenefits(planId, codes, codes.map(() => benefit));
    expect((await claims.benefit(planId, codes[49])).fee).to.equal(10n * USD);
  });

  it("accepts a coinsurance of exactly 100% (10,000 basis points)", async function () {
    const { claims, insurerAdmin, planId } = await loadFixture(claimsFixture);
    const benefit = { fee: 10n * USD, copay: 0n, coinsuranceBps: 10_000, priorAuth: false, review: false, perClaimCap: 0n, costSharing: 0 };
    await expect(claims.connect(insurerAdmin).setBenefits(planId, [CODE.VISIT], [benefit])).to.emit(claims, "BenefitSet");
    expect((await claims.benefit(planId, CODE.VISIT)).coinsuranceBps).to.equal(10_000n);
  });

  it("pays the queue in a batch of exactly MAX_BATCH (50)", async function () {
    const { claims, outsider, planId } = await loadFixture(claimsFixture);
    expect(await claims.connect(outsider).payQueued.staticCall(planId, 50)).to.equal(0n);
    await expect(claims.connect(outsider).payQueued(planId, 50)).not.to.be.reverted;
  });

  it("reverses a replaced claim whose only effect was the member's coinsurance (no deductible, nothing paid by the plan)", async function () {
    const f = await loadFixture(claimsFixture);
    const planId = await planIn(f, f.token, { deductible: 0n, coinsuranceBps: 10_000 });
    const s1 = await f.submission({ planId, lines: [f.line(CODE.VISIT, 100n * USD)] });
    await f.claims.connect(f.doctor).submit(sub(s1)); // the member pays all 100
    expect((await f.claims.accumulators(planId, f.patient.address, 0)).outOfPocketMet).to.equal(100n * USD);
    const s2 = { ...s1, evidence: await f.anchored(), lines: [f.line(CODE.VISIT, 50n * USD)] };
    await (await (await f.sdkAs(f.doctor)).submitCorrection({ replaces: claimIdOf(s1), submission: s2 })).wait();
    expect((await f.claims.accumulators(planId, f.patient.address, 0)).outOfPocketMet).to.equal(50n * USD);
  });

  it("a per-claim cap of one unit is a cap: the line is allowed 1 unit with CARC 119", async function () {
    const f = await loadFixture(claimsFixture);
    const benefit = { fee: 100n * USD, copay: 0n, coinsuranceBps: 0, priorAuth: false, review: false, perClaimCap: 1n, costSharing: 0 };
    await f.claims.connect(f.insurerAdmin).setBenefits(f.planId, [CODE.CAPPED], [benefit]);
    expect((await f.claims.benefit(f.planId, CODE.CAPPED)).perClaimCap).to.equal(1n);
    const s = await f.submission({ lines: [f.line(CODE.CAPPED, 50n * USD)] });
    const receipt = await (await f.claims.connect(f.doctor).submit(sub(s))).wait();
    const ev = claimsEvent(f.claims, receipt, "ClaimAdjudicated")!;
    expect([ev.args.outcomes[0].allowed, Number(ev.args.outcomes[0].reason)]).to.deep.equal([1n, 119]);
  });

  it("reverses a replaced claim whose only effect was one unit of member coinsurance", async function () {
    const f = await loadFixture(claimsFixture);
    const planId = await planIn(f, f.token, { deductible: 0n, coinsuranceBps: 10_000 });
    const s1 = await f.submission({ planId, lines: [f.line(CODE.VISIT, 1n)] });
    await f.claims.connect(f.doctor).submit(sub(s1)); // the member pays the 1 unit
    const s2 = { ...s1, evidence: await f.anchored(), lines: [f.line(CODE.VISIT, 2n)] };
    await (await (await f.sdkAs(f.doctor)).submitCorrection({ replaces: claimIdOf(s1), submission: s2 })).wait();
    expect((await f.claims.accumulators(planId, f.patient.address, 0)).outOfPocketMet).to.equal(2n);
  });

  it("a contract that is a provider's admin names its payee, though the wallet driving it is no member", async function () {
    const { claims, registry, hospitalAdmin, outsider } = await loadFixture(claimsFixture);
    const office = await new Intermediary__factory(outsider).deploy();
    await registry.connect(hospitalAdmin).addMember(HOSPITAL, office.target, true);
    await expect(office.connect(outsider).forward(claims.target, claims.interface.encodeFunctionData("setPayee", [outsider.address])))
      .to.emit(claims, "PayeeSet")
      .withArgs(HOSPITAL, outsider.address);
  });

  it("a treasury contract funds a plan from its own balance, and the event names it, not the wallet driving it", async function () {
    const { claims, token, insurerAdmin, planId } = await loadFixture(claimsFixture);
    const treasury = await new Intermediary__factory(insurerAdmin).deploy();
    await token.mint(treasury.target, 500n * USD);
    await treasury.forward(token.target, token.interface.encodeFunctionData("approve", [claims.target, 500n * USD]));
    const before = await token.balanceOf(insurerAdmin.address);
    await expect(treasury.connect(insurerAdmin).forward(claims.target, claims.interface.encodeFunctionData("fund", [planId, 500n * USD])))
      .to.emit(claims, "PlanFunded")
      .withArgs(planId, treasury.target, 500n * USD);
    expect([await token.balanceOf(treasury.target), await token.balanceOf(insurerAdmin.address)]).to.deep.equal([0n, before]);
  });

  it("a smart-account member appeals its own denied claim as itself, though the wallet driving it is no member", async function () {
    const f = await loadFixture(claimsFixture);
    const account = await new Intermediary__factory(f.outsider).deploy();
    await f.claims.connect(f.adjuster).enroll(f.planId, account.target, f.start, f.start + 2 * 365 * 86_400);
    const { id, appeal } = await deniedClaimAppeal(f, String(account.target));
    await expect(account.connect(f.outsider).forward(f.claims.target, appeal)).to.emit(f.claims, "ClaimAppealed").withArgs(id, account.target);
  });

  it("a contract that is the provider's member appeals for it, though the wallet driving it is no member", async function () {
    const f = await loadFixture(claimsFixture);
    const billing = await new Intermediary__factory(f.outsider).deploy();
    await f.registry.connect(f.hospitalAdmin).addMember(HOSPITAL, billing.target, false);
    const { id, appeal } = await deniedClaimAppeal(f, f.patient.address);
    await expect(billing.connect(f.outsider).forward(f.claims.target, appeal)).to.emit(f.claims, "ClaimAppealed").withArgs(id, billing.target);
  });

  it("a contract that is insurer staff administers the plan as itself, though the wallet driving it is no member", async function () {
    const f = await loadFixture(claimsFixture);
    const desk = await new Intermediary__factory(f.outsider).deploy();
    await f.registry.connect(f.insurerAdmin).addMember(INSURER, desk.target, false);
    const enroll = f.claims.interface.encodeFunctionData("enroll", [f.planId, f.member2.address, 1, 2]);
    await expect(desk.connect(f.outsider).forward(f.claims.target, enroll)).to.emit(f.claims, "MemberEnrolled").withArgs(f.planId, f.member2.address, 1, 2);
  });
});
