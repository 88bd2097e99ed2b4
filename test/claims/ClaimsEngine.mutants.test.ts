/**
 * Tests written to kill the mutants of ClaimsEngine that survived the main suite (SuMo, see
 * docs/mutation.md). The main tests checked that the money paths stop while the engine is paused,
 * not that plan administration goes on (docs/claims.md, "Who does what"), so a `whenNotPaused`
 * added to `authorize` looked the same. Submissions and decisions came only from wallets, so asking
 * about `tx.origin` rather than the caller looked the same; and a provider was never overpaid twice
 * on one plan, so `owedBack = over` looked like `owedBack += over`.
 *
 * Judged equivalent: `if (release != 0)` → `if (true)` before writing a claim's escrow back in
 * `_settle` when nothing is paid (with nothing released the write stores the values already there),
 * and `nonReentrant whenNotPaused` → `whenNotPaused nonReentrant` on `decide` (both refuse; which
 * error wins differs only for a reentrant call made while the engine is paused, which the token
 * cannot arrange: pausing needs the PAUSER role); and `whenNotPaused` added to the private `_commit`,
 * whose every caller (submit, submitCorrection, decide, resolveAppeal) is already `whenNotPaused`,
 * and likewise added to the private `_submit` and `_approve`.
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { claimIdOf, recordHashOf } from "../../sdk";
import { Intermediary__factory } from "../../typechain-types";
import { claimsFixture, CODE, HOSPITAL, INSURER, rec, sub, USD } from "./support";

describe("ClaimsEngine (mutation-killing tests)", function () {
  it("plan administration goes on while the engine is paused: benefits, enrollment and prior authorizations", async function () {
    const { claims, pauser, adjuster, planId, patient, member2 } = await loadFixture(claimsFixture);
    await claims.connect(pauser).pause();
    await expect(claims.connect(adjuster).setBenefits(planId, [CODE.MRI], [{ fee: 900n * USD, copay: 0n, coinsuranceBps: 2_000, priorAuth: true, review: false, perClaimCap: 0n }])).to.emit(claims, "BenefitSet");
    await expect(claims.connect(adjuster).enroll(planId, member2.address, 1, 2)).to.emit(claims, "MemberEnrolled");
    await expect(claims.connect(adjuster).authorize(planId, patient.address, CODE.MRI, 900n * USD, 1, 2)).to.emit(claims, "AuthorizationIssued");
  });

  it("a contract that is a provider's member submits as itself, though the wallet driving it is no member", async function () {
    const { claims, registry, hospitalAdmin, outsider, submission, line } = await loadFixture(claimsFixture);
    const billing = await new Intermediary__factory(outsider).deploy();
    await registry.connect(hospitalAdmin).addMember(HOSPITAL, billing.target, false);
    const s = await submission({ lines: [line(CODE.VISIT, 100n * USD)] });
    await expect(billing.connect(outsider).forward(claims.target, claims.interface.encodeFunctionData("submit", [sub(s)]))).to.emit(claims, "ClaimSubmitted");
    expect((await claims.claim(claimIdOf(s))).planId).to.equal(1n);
  });

  it("a contract adjuster approving a pended claim as previewed is the adjuster of record, not its driver", async function () {
    const { claims, registry, insurerAdmin, outsider, submission, line, doctor, sdk } = await loadFixture(claimsFixture);
    const desk = await new Intermediary__factory(outsider).deploy();
    await registry.connect(insurerAdmin).addMember(INSURER, desk.target, false);
    const s = await submission({ lines: [line(CODE.REVIEW, 600n * USD)] });
    await claims.connect(doctor).submit(sub(s));
    const r = await sdk.claims.record(claimIdOf(s));
    const decide = claims.interface.encodeFunctionData("decide", [claimIdOf(s), rec(r), [{ allowed: 600n * USD, reason: 0 }]]);
    await desk.connect(outsider).forward(claims.target, decide);
    expect((await claims.claim(claimIdOf(s))).recordHash).to.equal(recordHashOf({ ...r, adjuster: String(desk.target) }));
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
  });
});
