/**
 * Tests written to kill the mutants of ClaimsAdmin (the engine's plan-administration library) that
 * survived the main suite (SuMo, see docs/mutation.md). The main tests refused inverted windows
 * and accepted long ones, never a window that starts and ends at the same second, so `end <= start`
 * (which would refuse it) looked the same as `end < start`.
 *
 * Judged equivalent: the early return of `reverseAccumulators` when the replaced claim applied
 * nothing (deductible, member share and credit all 0) replaced by `false` — subtracting three zeros
 * from the same plan-year's accumulators changes nothing (it only costs gas).
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { claimsFixture, CODE } from "./support";

describe("ClaimsAdmin (mutation-killing tests)", function () {
  it("accepts an enrollment and a prior authorization whose window is one instant (start = end)", async function () {
    const { claims, adjuster, planId, member2, patient } = await loadFixture(claimsFixture);
    await expect(claims.connect(adjuster).enroll(planId, member2.address, 500, 500)).to.emit(claims, "MemberEnrolled").withArgs(planId, member2.address, 500, 500);
    expect(await claims.enrollment(planId, member2.address)).to.deep.equal([500n, 500n]);
    await expect(claims.connect(adjuster).authorize(planId, patient.address, CODE.MRI, 1, 700, 700)).to.emit(claims, "AuthorizationIssued");
  });
});
