/**
 * The whole suite, onboarded for the cross-contract invariants and the adversarial campaign:
 * deployed through the real Ignition module (the ClaimsEngine reads its evidence from the real
 * RecordRegistry), with
 *   org 1 hospital (provider): hospitalAdmin, doctor;      org 2 lab: labAdmin;
 *   org 3 insurer: insurerAdmin, adjuster, adjuster2;       org 4 rival insurer: rivalAdmin, rivalAdjuster;
 * a 6-decimals stablecoin on the allowlist, plan 1 (insurer) and plan 2 (rival insurer) with the
 * same benefits (VISIT paid by the rules, REVIEW pended for an adjuster, no benefit for UNKNOWN),
 * both patients enrolled in both plans for twenty years (time jumps never leave coverage), the hospital's payee set, and each insurer
 * holding 1,000,000 tokens approved to the engine (nothing deposited yet).
 */
import { time } from "@nomicfoundation/hardhat-network-helpers";
import hre from "hardhat";
import { AbiCoder, keccak256, ZeroAddress } from "ethers";
import { anniversaryOf, ClaimsClient, consentDomain, OrgKind, procedureCode, type ClaimLine, type ClaimRecord, type ClaimState, type ClaimSubmission } from "../../sdk";
import type { ClaimsEngine } from "../../typechain-types";
import { ConsentRegistry__factory, MockStablecoin__factory, RecordRegistry__factory } from "../../typechain-types";
import { deployFixture, PROFILE } from "./fixtures";

export const USD = 1_000_000n;
export const DAY = 86_400;
export const YEAR = 365 * DAY;
export const HOSPITAL = 1n;
export const LAB = 2n;
export const INSURER = 3n;
export const RIVAL = 4n;
export const COMMITMENT = "0x" + "c0".repeat(32);

export const CODE = {
  VISIT: procedureCode("sct", "185345009"),
  REVIEW: procedureCode("sct", "50849002"),
  UNKNOWN: procedureCode("sct", "999999"),
};

/** The benefit table both plans use: $1,000 fee, $10 copay, 20% coinsurance. */
export const BENEFIT = { fee: 1_000n * USD, copay: 10n * USD, coinsuranceBps: 2000, priorAuth: false, review: false, perClaimCap: 0n, costSharing: 0 };

export async function suiteFixture() {
  const f = await deployFixture();
  const { registry, registrar, hospitalAdmin, labAdmin, insurerAdmin, doctor, signers, deployer, claims } = f;
  const [adjuster, adjuster2, rivalAdmin, rivalAdjuster, payee, patient2, delegate, relayer] = signers.slice(10, 18);
  const r = registry.connect(registrar);
  await r.registerOrganization(OrgKind.Provider, PROFILE, hospitalAdmin.address);
  await r.registerOrganization(OrgKind.Lab, PROFILE, labAdmin.address);
  await r.registerOrganization(OrgKind.Insurer, PROFILE, insurerAdmin.address);
  await r.registerOrganization(OrgKind.Insurer, PROFILE, rivalAdmin.address);
  await registry.connect(hospitalAdmin).addMember(HOSPITAL, doctor.address, false);
  await registry.connect(insurerAdmin).addMember(INSURER, adjuster.address, false);
  await registry.connect(insurerAdmin).addMember(INSURER, adjuster2.address, false);
  await registry.connect(rivalAdmin).addMember(RIVAL, rivalAdjuster.address, false);
  const consent = ConsentRegistry__factory.connect(f.book.contracts.ConsentRegistry, deployer);
  const records = RecordRegistry__factory.connect(f.book.contracts.RecordRegistry, deployer);
  const token = await new MockStablecoin__factory(deployer).deploy();
  await claims.setTokenAllowed(await token.getAddress(), true);
  const now = await time.latest();
  const start = now - (now % DAY) - 100 * DAY;
  const terms = {
    token: await token.getAddress(),
    insurerOrgId: 0n,
    deductible: 100n * USD,
    outOfPocketMax: 400n * USD,
    start,
    ...anniversaryOf(start),
    annualCap: 0n,
    autoApprovalLimit: 10_000n * USD,
    filingWindow: 90 * DAY,
    appealWindow: 30 * DAY,
  };
  await claims.connect(insurerAdmin).createPlan(terms);
  await claims.connect(rivalAdmin).createPlan(terms);
  const staff = { 1: [insurerAdmin, adjuster, adjuster2], 2: [rivalAdmin, rivalAdjuster] } as const;
  for (const planId of [1n, 2n]) {
    const admin = staff[Number(planId) as 1 | 2][0];
    await claims.connect(admin).setBenefits(planId, [CODE.VISIT, CODE.REVIEW], [BENEFIT, { ...BENEFIT, review: true }]);
    for (const m of [f.patient, patient2]) await claims.connect(admin).enroll(planId, m.address, start, start + 20 * YEAR);
    await token.mint(admin.address, 1_000_000n * USD);
    await token.connect(admin).approve(await claims.getAddress(), 1_000_000n * USD);
  }
  await claims.connect(hospitalAdmin).setPayee(payee.address);
  const { chainId } = await hre.ethers.provider.getNetwork();
  const domain = consentDomain(chainId, f.book.contracts.ConsentRegistry);
  return { ...f, consent, records, token, terms, start, staff, adjuster, adjuster2, rivalAdmin, rivalAdjuster, payee, patient2, delegate, relayer, chainId, domain };
}

export type SuiteFixture = Awaited<ReturnType<typeof suiteFixture>>;

/** A deterministic commitment for test record `n` (salted in the real world; here a tag and a counter). */
export const commitmentN = (n: number, tag = "record"): string => keccak256(AbiCoder.defaultAbiCoder().encode(["string", "uint256"], [tag, n]));

/** A submission on `planId` for `member` at the hospital, with one line. */
export function submissionOf(planId: bigint, member: string, serviceDate: number, evidence: string, lines: ClaimLine[]): ClaimSubmission {
  return { planId, member, providerOrg: HOSPITAL, serviceDate, authId: 0n, evidence, lines };
}

/** The struct form of a submission for typechain calls. */
export function sub(s: ClaimSubmission) {
  return { ...s, lines: s.lines.map((l) => ({ ...l })) };
}

/** The struct form of a record for typechain calls. */
export function rec(r: ClaimRecord) {
  return { ...r, lines: r.lines.map((l) => ({ ...l })), allowed: [...r.allowed] };
}

/** The record of a claim the rules just adjudicated (no adjuster yet). */
export function ruleRecord(s: ClaimSubmission, allowed: bigint[], deductible = 0n, memberShare = 0n, more: { planPaid?: bigint; decidedAt?: number } = {}): ClaimRecord {
  return {
    planId: BigInt(s.planId),
    member: s.member,
    providerOrg: BigInt(s.providerOrg),
    serviceDate: s.serviceDate,
    evidence: s.evidence,
    adjuster: ZeroAddress,
    decidedAt: more.decidedAt ?? 0,
    authId: BigInt(s.authId),
    authUsed: 0n,
    credit: 0n,
    planPaid: more.planPaid ?? 0n,
    deductible,
    memberShare,
    lines: s.lines,
    allowed,
  };
}

/**
 * A claim's state as the SDK reads it: status and record hash from the chain, its plan, decision
 * time and plan share from its record (rebuilt from events and checked against the hash).
 */
export async function claimState(engine: ClaimsEngine, claimId: string): Promise<ClaimState> {
  return new ClaimsClient(engine).claim(claimId);
}

/** Today's midnight on chain. */
export async function today(): Promise<number> {
  const t = await time.latest();
  return t - (t % DAY);
}
