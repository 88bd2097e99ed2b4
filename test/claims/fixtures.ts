/**
 * The claims fixture: the suite deployed through Ignition, a hospital (org 1, provider), an insurer
 * (org 2) with two adjusters, a lab (org 3), a 6-decimals stablecoin on the allowlist, one plan
 * ($500 deductible, 20% coinsurance, $1,000 out-of-pocket maximum) funded with $100,000, and the
 * patient enrolled for two plan years.
 */
import { time } from "@nomicfoundation/hardhat-network-helpers";
import hre from "hardhat";
import { AbiCoder, concat, keccak256, type ContractTransactionReceipt, type LogDescription } from "ethers";
import { anniversaryOf, CareLedger, claimIdOf, CostSharing, OrgKind, procedureCode, Role, type ClaimLine, type ClaimRecord, type ClaimSubmission } from "../../sdk";
import { ClaimsEngine__factory, ClaimsEscrow__factory, ClaimsLifecycle__factory, ClaimsPlans__factory, MockRecordEvidence__factory, MockStablecoin__factory, RecordRegistry__factory } from "../../typechain-types";
import { selectorsByRole } from "../../ignition/modules/CareLedger";
import { deployFixture, PROFILE } from "../support/fixtures";
import { ruleRecord as suiteRuleRecord } from "../support/suiteFixture";

export const USD = 1_000_000n;
export const DAY = 86_400;
export const YEAR = 365 * DAY;
export const HOSPITAL = 1n;
export const INSURER = 2n;
export const LAB = 3n;

export const CODE = {
  VISIT: procedureCode("sct", "185345009"),
  XRAY: procedureCode("sct", "168731009"),
  MRI: procedureCode("sct", "113091000"),
  REVIEW: procedureCode("sct", "50849002"),
  CAPPED: procedureCode("sct", "387713003"),
  VACCINE: procedureCode("cvx", "140"),
  UNKNOWN: procedureCode("sct", "999999"),
};

let evidenceCounter = 0;

/**
 * The claims tests run against their own ClaimsEngine, wired to the suite's AccessManager and
 * participant registry exactly as the Ignition module wires the suite's, but reading evidence from
 * a MockRecordEvidence the tests set directly: they do not depend on the record registry. The
 * suite's own engine (`suiteClaims`) is checked for its wiring.
 */
export async function claimsFixture() {
  const f = await deployFixture();
  const { registry, registrar, hospitalAdmin, insurerAdmin, labAdmin, doctor, signers, deployer, manager } = f;
  const suiteClaims = f.claims;
  const evidence = await new MockRecordEvidence__factory(deployer).deploy();
  const plans = await new ClaimsPlans__factory(deployer).deploy();
  const escrow = await new ClaimsEscrow__factory(deployer).deploy();
  const lifecycle = await new ClaimsLifecycle__factory(deployer).deploy();
  const claims = await new ClaimsEngine__factory(
    {
      "contracts/claims/ClaimsPlans.sol:ClaimsPlans": await plans.getAddress(),
      "contracts/claims/ClaimsEscrow.sol:ClaimsEscrow": await escrow.getAddress(),
      "contracts/claims/ClaimsLifecycle.sol:ClaimsLifecycle": await lifecycle.getAddress(),
    },
    deployer,
  ).deploy(
    await manager.getAddress(),
    await registry.getAddress(),
    await evidence.getAddress(),
  );
  for (const [role, selectors] of selectorsByRole("ClaimsEngine")) await manager.setTargetFunctionRole(await claims.getAddress(), selectors, Role[role]);
  const [adjuster, adjuster2, payee, member2] = signers.slice(10);
  await registry.connect(registrar).registerOrganization(OrgKind.Provider, PROFILE, hospitalAdmin.address);
  await registry.connect(registrar).registerOrganization(OrgKind.Insurer, PROFILE, insurerAdmin.address);
  await registry.connect(registrar).registerOrganization(OrgKind.Lab, PROFILE, labAdmin.address);
  await registry.connect(hospitalAdmin).addMember(HOSPITAL, doctor.address, false);
  await registry.connect(insurerAdmin).addMember(INSURER, adjuster.address, false);
  await registry.connect(insurerAdmin).addMember(INSURER, adjuster2.address, false);
  const token = await new MockStablecoin__factory(deployer).deploy();
  await claims.setTokenAllowed(await token.getAddress(), true);
  const now = await time.latest();
  const start = now - (now % DAY) - 100 * DAY; // midnight, 100 days ago: plan year 0 runs 265 more days
  const terms = {
    token: await token.getAddress(),
    insurerOrgId: 0n,
    deductible: 500n * USD,
    outOfPocketMax: 1_000n * USD,
    start,
    ...anniversaryOf(start),
    annualCap: 0n,
    autoApprovalLimit: 10_000n * USD,
    filingWindow: 90 * DAY,
    appealWindow: 30 * DAY,
  };
  await claims.connect(insurerAdmin).createPlan(terms);
  const planId = 1n;
  const b = (fee: bigint, more: Partial<{ copay: bigint; coinsuranceBps: number; priorAuth: boolean; review: boolean; perClaimCap: bigint, costSharing: 0 }> = {}) => ({
    fee,
    copay: 0n,
    coinsuranceBps: 2000,
    priorAuth: false,
    review: false,
    perClaimCap: 0n,
    costSharing: CostSharing.DeductibleCopayCoinsurance,
    ...more,
  });
  await claims.connect(insurerAdmin).setBenefits(
    planId,
    [CODE.VISIT, CODE.XRAY, CODE.MRI, CODE.REVIEW, CODE.CAPPED, CODE.VACCINE],
    [
      b(5_000n * USD),
      b(100n * USD, { copay: 25n * USD }),
      b(2_000n * USD, { priorAuth: true }),
      b(1_000n * USD, { review: true }),
      b(1_000n * USD, { perClaimCap: 300n * USD, costSharing: 0 }),
      b(0n, { review: true }),
    ],
  );
  await claims.connect(hospitalAdmin).setPayee(payee.address);
  await claims.connect(insurerAdmin).enroll(planId, f.patient.address, start, start + 2 * YEAR - DAY);
  await token.mint(insurerAdmin.address, 1_000_000n * USD);
  await token.connect(insurerAdmin).approve(await claims.getAddress(), 1_000_000n * USD);
  await claims.connect(insurerAdmin).fund(planId, 100_000n * USD);

  /** A fresh evidence commitment anchored by `org` (default: the hospital). */
  async function anchored(org = HOSPITAL, retracted = false): Promise<string> {
    const c = keccak256(AbiCoder.defaultAbiCoder().encode(["string", "uint256"], ["evidence", ++evidenceCounter]));
    await evidence.setStatus(c, org, retracted);
    return c;
  }

  /** A submission for the patient at the hospital, anchored, with `lines` (default: one $300 visit) on `serviceDate` (default: today). */
  async function submission(over: Partial<ClaimSubmission> & { lines?: ClaimLine[] } = {}): Promise<ClaimSubmission> {
    const today = (await time.latest()) - ((await time.latest()) % DAY);
    return {
      planId,
      member: f.patient.address,
      providerOrg: HOSPITAL,
      serviceDate: today,
      authId: 0n,
      evidence: over.evidence ?? (await anchored(over.providerOrg ?? HOSPITAL)),
      lines: [{ code: CODE.VISIT, units: 1, charged: 300n * USD }],
      ...over,
    };
  }

  const line = (code: string, charged: bigint, units = 1): ClaimLine => ({ code, units, charged });

  /** The record of a claim just submitted and adjudicated by the rules. */
  function ruleRecord(s: ClaimSubmission, allowed: bigint[], deductible = 0n, memberShare = 0n, credit = 0n, authUsed = 0n, more: { planPaid?: bigint; decidedAt?: number } = {}): ClaimRecord {
    return { ...suiteRuleRecord(s, allowed, deductible, memberShare, more), credit, authUsed };
  }

  const connect = (signer: (typeof signers)[number]) => CareLedger.connect(signer, { addressBook: f.book, addresses: { ClaimsEngine: claims.target as string } });
  const sdk = await connect(deployer);
  const sdkAs = async (signer: (typeof signers)[number]) => (await connect(signer)).claims;

  return { ...f, claims, suiteClaims, connect, evidence, token, planId, terms, start, adjuster, adjuster2, payee, member2, anchored, submission, line, ruleRecord, claimIdOf, sdk, sdkAs };
}

export type ClaimsFixture = Awaited<ReturnType<typeof claimsFixture>>;

/**
 * Plan 2 beside the fixture's plan: no deductible, one benefit (`code`, fee $5,000, no cost sharing but
 * `copay`; for an adjuster's review with `review`), nothing funded, the patient enrolled for 300 days from the start.
 */
export async function secondPlan(f: ClaimsFixture, code: string = CODE.VISIT, { review = false, copay = 0n } = {}): Promise<bigint> {
  await f.claims.connect(f.insurerAdmin).createPlan({ ...f.terms, deductible: 0n });
  await f.claims.connect(f.insurerAdmin).setBenefits(2, [code], [{ fee: 5_000n * USD, copay, coinsuranceBps: 0, priorAuth: false, review, perClaimCap: 0n, costSharing: 0 }]);
  await f.claims.connect(f.insurerAdmin).enroll(2, f.patient.address, f.start, f.start + 300 * DAY);
  return 2n;
}

/**
 * A claim pended for an adjuster's review on an authorization: the patient authorized for `maxAmount` of
 * MRI on the service date (authorization 1), MRI needing prior authorization and review (fee $2,000), and a
 * submission of `lines` citing it. Returns the claim's id and its record.
 */
export async function pendedWithAuthorization(f: ClaimsFixture, maxAmount: bigint, lines: ClaimLine[]) {
  const s0 = await f.submission();
  await f.claims.connect(f.adjuster).authorize(f.planId, f.patient.address, CODE.MRI, maxAmount, s0.serviceDate, s0.serviceDate);
  await f.claims.connect(f.insurerAdmin).setBenefits(f.planId, [CODE.MRI], [{ fee: 2_000n * USD, copay: 0n, coinsuranceBps: 0, priorAuth: true, review: true, perClaimCap: 0n, costSharing: 0 }]);
  const s = await f.submission({ authId: 1n, lines });
  await (await f.claims.connect(f.doctor).submit(sub(s))).wait();
  const id = claimIdOf(s);
  return { id, record: await f.sdk.claims.record(id) };
}

/** The first event named one of `names` that `claims` emitted in `receipt`, parsed (undefined when none). */
export function claimsEvent(claims: ClaimsFixture["claims"], receipt: ContractTransactionReceipt | null, ...names: string[]): LogDescription | undefined {
  return receipt!.logs.map((l) => claims.interface.parseLog(l)).find((e): e is LogDescription => e !== null && names.includes(e.name));
}

/** The struct form of a submission for typechain calls. */
export function sub(s: ClaimSubmission) {
  return { ...s, lines: s.lines.map((l) => ({ ...l })) };
}

/** The struct form of a record for typechain calls. */
export function rec(r: ClaimRecord) {
  return { ...r, lines: r.lines.map((l) => ({ ...l })), allowed: [...r.allowed] };
}

/** Corrects `replaces` with `s` as `from` (default: the doctor; the record rebuilt by the SDK): the new claim's id and credit, from the receipt. */
export async function correct(f: ClaimsFixture, replaces: string, s: ClaimSubmission, from = f.doctor) {
  const r = rec(await f.sdk.claims.record(replaces));
  const receipt = await (await f.claims.connect(from).submitCorrection(sub(s), replaces, r)).wait();
  const ev = claimsEvent(f.claims, receipt, "ClaimCorrected")!;
  return { id: ev.args.claimId as string, credit: ev.args.credit as bigint, receipt };
}

/**
 * The SUITE's engine (wired by Ignition to the real RecordRegistry), a plan with the patient and
 * member2 enrolled and $10,000 deposited, the hospital and the lab paid at their own accounts; a
 * batch of two records anchored by the hospital, whose leaf `evidence` is the patient's visit note,
 * cited with its inclusion proof by the hospital's $1,000 claim `first` (plan 400, paid).
 */
export async function realEvidenceFixture() {
  const f = await claimsFixture();
  const engine = f.suiteClaims;
  const records = RecordRegistry__factory.connect(f.book.contracts.RecordRegistry, f.deployer);
  await engine.setTokenAllowed(await f.token.getAddress(), true);
  await engine.connect(f.insurerAdmin).createPlan(f.terms);
  const planId = await engine.planCount();
  await engine
    .connect(f.insurerAdmin)
    .setBenefits(planId, [CODE.VISIT], [{ fee: 5_000n * USD, copay: 0n, coinsuranceBps: 2000, priorAuth: false, review: false, perClaimCap: 0n, costSharing: 0 }]);
  for (const m of [f.patient.address, f.member2.address]) await engine.connect(f.insurerAdmin).enroll(planId, m, f.start, f.start + 300 * DAY);
  await f.token.connect(f.insurerAdmin).approve(await engine.getAddress(), 10_000n * USD);
  await engine.connect(f.insurerAdmin).fund(planId, 10_000n * USD);
  await engine.connect(f.hospitalAdmin).setPayee(f.payee.address);
  await engine.connect(f.labAdmin).setPayee(f.labAdmin.address);
  const evidence = hre.ethers.id("the patient's visit note, salted");
  const sibling = hre.ethers.id("another record of the batch, salted");
  const [l1, l2] = [await records.leafHash(evidence, 1, evidence), await records.leafHash(sibling, 1, sibling)];
  const root = keccak256(BigInt(l1) < BigInt(l2) ? concat([l1, l2]) : concat([l2, l1]));
  await records.connect(f.doctor).anchorBatch(root, 2);
  const day = (await f.submission()).serviceDate;
  const visit = (lines: ClaimLine[], over: Partial<ClaimSubmission> = {}): ClaimSubmission => ({
    planId,
    member: f.patient.address,
    providerOrg: HOSPITAL,
    serviceDate: day,
    authId: 0n,
    evidence,
    lines,
    ...over,
  });
  const first = visit([f.line(CODE.VISIT, 1_000n * USD)]);
  await engine.connect(f.doctor).submitWithProof(sub(first), root, [l2]); // plan 400, paid
  const suiteSdk = await CareLedger.connect(f.doctor, { addressBook: f.book });
  return { ...f, engine, records, planId, evidence, root, proof: [l2], day, visit, first, suiteSdk };
}

export { hre };
