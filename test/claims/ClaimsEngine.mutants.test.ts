/**
 * Tests written to kill the mutants of ClaimsEngine that survived the main suite (SuMo, see
 * docs/mutation.md). The main tests checked that the money paths stop while the engine is paused,
 * not that plan administration goes on (docs/claims.md, "Who does what"), so a `whenNotPaused`
 * added to `authorize` looked the same.
 *
 * Judged equivalent: `if (release != 0)` → `if (true)` before writing a claim's escrow back in
 * `_settle` when nothing is paid (with nothing released the write stores the values already there),
 * and `nonReentrant whenNotPaused` → `whenNotPaused nonReentrant` on `decide` (both refuse; which
 * error wins differs only for a reentrant call made while the engine is paused, which the token
 * cannot arrange: pausing needs the PAUSER role); and `whenNotPaused` added to the private `_commit`,
 * whose every caller (submit, submitCorrection, decide, resolveAppeal) is already `whenNotPaused`.
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { claimsFixture, CODE, USD } from "./support";

describe("ClaimsEngine (mutation-killing tests)", function () {
  it("plan administration goes on while the engine is paused: benefits, enrollment and prior authorizations", async function () {
    const { claims, pauser, adjuster, planId, patient, member2 } = await loadFixture(claimsFixture);
    await claims.connect(pauser).pause();
    await expect(claims.connect(adjuster).setBenefits(planId, [CODE.MRI], [{ fee: 900n * USD, copay: 0n, coinsuranceBps: 2_000, priorAuth: true, review: false, perClaimCap: 0n }])).to.emit(claims, "BenefitSet");
    await expect(claims.connect(adjuster).enroll(planId, member2.address, 1, 2)).to.emit(claims, "MemberEnrolled");
    await expect(claims.connect(adjuster).authorize(planId, patient.address, CODE.MRI, 900n * USD, 1, 2)).to.emit(claims, "AuthorizationIssued");
  });
});
