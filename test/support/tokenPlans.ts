/**
 * Adversarial-campaign helper: a plan on the claims fixture's engine in any token (reentrant,
 * fee-on-transfer, blocklisting...), with the fixture's benefits, the patient enrolled, and the
 * insurer holding `mint` of it approved to the engine.
 */
import { USD, CODE, type ClaimsFixture } from "../claims/support";

export interface MintableToken {
  getAddress(): Promise<string>;
  mint(to: string, amount: bigint): Promise<unknown>;
  connect(runner: ClaimsFixture["insurerAdmin"]): { approve(spender: string, amount: bigint): Promise<unknown> };
}

/** Allows `token`, creates a plan in it (autoApprovalLimit as given), sets VISIT and REVIEW, enrolls the patient; returns the plan id. */
export async function planIn(f: ClaimsFixture, token: MintableToken, mint = 1_000_000n * USD, autoApprovalLimit = 10_000n * USD): Promise<bigint> {
  const address = await token.getAddress();
  await f.claims.connect(f.deployer).setTokenAllowed(address, true);
  await f.claims.connect(f.insurerAdmin).createPlan({ ...f.terms, token: address, autoApprovalLimit });
  const planId = await f.claims.planCount();
  const b = { fee: 5_000n * USD, copay: 0n, coinsuranceBps: 2000, priorAuth: false, review: false, perClaimCap: 0n };
  await f.claims.connect(f.insurerAdmin).setBenefits(planId, [CODE.VISIT, CODE.REVIEW], [b, { ...b, review: true }]);
  await f.claims.connect(f.insurerAdmin).enroll(planId, f.patient.address, f.start, f.start + 2 * 365 * 86_400);
  await token.mint(f.insurerAdmin.address, mint);
  await token.connect(f.insurerAdmin).approve(await f.claims.getAddress(), mint);
  return planId;
}
