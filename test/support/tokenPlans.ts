/**
 * Adversarial-campaign helper: a plan on the claims fixture's engine in any token (reentrant,
 * fee-on-transfer, blocklisting...), with the fixture's benefits, the patient enrolled, and the
 * insurer holding `mint` of it approved to the engine.
 */
import { USD, CODE, type ClaimsFixture } from "../claims/fixtures";

export interface MintableToken {
  getAddress(): Promise<string>;
  mint(to: string, amount: bigint): Promise<unknown>;
  connect(runner: ClaimsFixture["insurerAdmin"]): { approve(spender: string, amount: bigint): Promise<unknown> };
}

/**
 * What a token plan may change from the fixture's plan: the insurer's mint, the auto-approval limit,
 * the deductible, the coinsurance, and the plan's start (the patient's enrollment starts with it).
 */
export interface PlanInOptions {
  readonly mint?: bigint;
  readonly start?: number;
  readonly autoApprovalLimit?: bigint;
  readonly deductible?: bigint;
  readonly coinsuranceBps?: number;
}

/** Allows `token`, creates a plan in it, sets VISIT and REVIEW, enrolls the patient; returns the plan id. */
export async function planIn(f: ClaimsFixture, token: MintableToken, options: PlanInOptions = {}): Promise<bigint> {
  const { mint = 1_000_000n * USD, autoApprovalLimit = 10_000n * USD, deductible = f.terms.deductible, coinsuranceBps = 2000, start = f.start } = options;
  const address = await token.getAddress();
  await f.claims.connect(f.deployer).setTokenAllowed(address, true);
  await f.claims.connect(f.insurerAdmin).createPlan({ ...f.terms, token: address, autoApprovalLimit, deductible, start });
  const planId = await f.claims.planCount();
  const b = { fee: 5_000n * USD, copay: 0n, coinsuranceBps, priorAuth: false, review: false, perClaimCap: 0n, costSharing: 0 };
  await f.claims.connect(f.insurerAdmin).setBenefits(planId, [CODE.VISIT, CODE.REVIEW], [b, { ...b, review: true }]);
  await f.claims.connect(f.insurerAdmin).enroll(planId, f.patient.address, start, start + 2 * 365 * 86_400);
  await token.mint(f.insurerAdmin.address, mint);
  await token.connect(f.insurerAdmin).approve(await f.claims.getAddress(), mint);
  return planId;
}
