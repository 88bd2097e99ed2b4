/**
 * The `claims` client: plans as rules, their escrow, members, prior authorizations, claims
 * adjudicated line by line and settled in the same transaction, adjuster decisions, appeals and
 * corrected claims. Also the claim encodings (codes, ids, record hashes, amounts, dates), written
 * once and shared by the contract tests, tasks, scripts and demo.
 */
import { AbiCoder, decodeBytes32String, encodeBytes32String, keccak256, toUtf8Bytes, ZeroAddress, type Overrides, type TransactionReceipt } from "ethers";
import type { ClaimsEngine } from "../typechain-types";
import { ManagedClient, requireSigner } from "./core/client";
import { IERC20__factory } from "../typechain-types";
import { CareLedgerError, ContractRevertError, ValidationError, withDecodedErrors } from "./errors";
import type { FhirOutputOptions, FhirResource } from "./fhir/claim";
import { eventsIn, send, type TxHandle } from "./core/tx";
import { requireAddress, requireBoolean, requireBytes32, requireId } from "./core/validate";

// ------------------------------------------------------------------------------------------ vocabulary

/** A claim's status, as `IClaimsEngine.ClaimStatus`. Values only grow over a claim's life. */
export enum ClaimStatus {
  None = 0,
  Pended = 1,
  Approved = 2,
  Partial = 3,
  Denied = 4,
  Appealed = 5,
  Upheld = 6,
  Overturned = 7,
  Replaced = 8,
  Voided = 9,
}

/**
 * How a benefit's copay meets the deductible, as `IClaimsEngine.CostSharing`. Copays and
 * coinsurance count toward the out-of-pocket maximum; everything is waived once it is met.
 */
export enum CostSharing {
  /** The deductible first, then the copay, then coinsurance on the rest. */
  DeductibleCopayCoinsurance = 0,
  /** The copay only: the deductible waived, no coinsurance (a usual office-visit design). */
  CopayOnly = 1,
  /** The deductible, then coinsurance; no copay. */
  DeductibleCoinsurance = 2,
}

/** The names of {@link CostSharing} designs in plan files. */
export const COST_SHARING_NAMES: Readonly<Record<string, CostSharing>> = {
  "deductible-copay-coinsurance": CostSharing.DeductibleCopayCoinsurance,
  "copay-only": CostSharing.CopayOnly,
  "deductible-coinsurance": CostSharing.DeductibleCoinsurance,
};

/** The CARC reason codes the rules use (X12 Claim Adjustment Reason Codes). */
export const CARC = {
  DEDUCTIBLE: 1,
  COINSURANCE: 2,
  COPAY: 3,
  NOT_COVERED_ON_DATE: 27,
  TIMELY_FILING: 29,
  CHARGE_EXCEEDS_FEE_SCHEDULE: 45,
  NON_COVERED: 96,
  BENEFIT_MAXIMUM: 119,
  AUTHORIZATION: 197,
} as const;

/** Code systems the SDK can put on chain, by FHIR system URI → short alias (the alias is stored). */
export const CODE_SYSTEMS: Readonly<Record<string, string>> = {
  "http://snomed.info/sct": "sct",
  "http://hl7.org/fhir/sid/cvx": "cvx",
  "http://www.nlm.nih.gov/research/umls/rxnorm": "rxnorm",
  "http://www.ama-assn.org/go/cpt": "cpt",
  "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets": "hcpcs",
  "http://loinc.org": "loinc",
  "http://hl7.org/fhir/sid/ndc": "ndc",
};

const SECONDS_PER_DAY = 86_400;

// ------------------------------------------------------------------------------------------ types

/** One claim line: an opaque procedure code (bytes32, see {@link procedureCode}), units, the charge in token units. */
export interface ClaimLine {
  readonly code: string;
  readonly units: number;
  readonly charged: bigint;
}

/** A claim submission, as `IClaimsEngine.Submission`. */
export interface ClaimSubmission {
  readonly planId: bigint;
  readonly member: string;
  readonly providerOrg: bigint;
  /** The service day: unix seconds at midnight UTC (see {@link dayTimestamp}), or `"YYYY-MM-DD"`. */
  readonly serviceDate: number;
  /** The prior authorization (0n for none). */
  readonly authId: bigint;
  /** The salted commitment of the record that evidences the service, anchored by the provider. */
  readonly evidence: string;
  readonly lines: readonly ClaimLine[];
  /**
   * For evidence anchored in a Merkle batch: its batch root and inclusion proof (a `RecordProof`
   * from `records.anchorBatch` fits), sent with the claim, so that no separate registration is
   * needed. Not part of the claim itself.
   */
  readonly evidenceProof?: { readonly root: string; readonly proof: readonly string[] };
}

/** The facts of a claim later steps need, as `IClaimsEngine.ClaimRecord` (its hash is on chain). */
export interface ClaimRecord {
  readonly planId: bigint;
  readonly member: string;
  readonly providerOrg: bigint;
  readonly serviceDate: number;
  /** The evidence commitment the claim cites. */
  readonly evidence: string;
  readonly adjuster: string;
  /** When the claim was last decided (unix seconds; 0 while pended). */
  readonly decidedAt: number;
  readonly authId: bigint;
  /** What the claim holds of its prior authorization. */
  readonly authUsed: bigint;
  /** What the plan had committed for the service over the chain this claim replaced. */
  readonly credit: bigint;
  /** The plan's share for the service as this claim stands (over its chain); the exposure while pended. */
  readonly planPaid: bigint;
  /** Applied to the member's accumulators (0n while pended). */
  readonly deductible: bigint;
  /** Applied to the member's accumulators (0n while pended). */
  readonly memberShare: bigint;
  readonly lines: readonly ClaimLine[];
  readonly allowed: readonly bigint[];
}

/** How one line was adjudicated. `deductible + copay + coinsurance + plan == allowed`. */
export interface LineOutcome {
  readonly allowed: bigint;
  readonly deductible: bigint;
  readonly copay: bigint;
  readonly coinsurance: bigint;
  readonly plan: bigint;
  /** The CARC of a reduction other than cost sharing, 0 when none. */
  readonly reason: number;
}

/** A plan's terms; amounts in token units, windows in seconds, `start` in unix seconds. */
export interface PlanTerms {
  readonly token: string;
  readonly insurerOrgId?: bigint;
  readonly deductible: bigint;
  readonly outOfPocketMax: bigint;
  readonly start: number;
  /** The month (1-12) the plan's years begin on; default 1 (a calendar-year plan). */
  readonly yearStartMonth?: number;
  /** The day (1-31; not February 29) the plan's years begin on; default 1. */
  readonly yearStartDay?: number;
  /** 0n for no annual cap. */
  readonly annualCap: bigint;
  readonly autoApprovalLimit: bigint;
  readonly filingWindow: number;
  readonly appealWindow: number;
}

/** One code's benefit rule. */
export interface BenefitRule {
  readonly code: string;
  /** Allowed amount per unit; 0n = not covered (CARC 96). */
  readonly fee: bigint;
  readonly copay?: bigint;
  readonly coinsuranceBps?: number;
  readonly priorAuth?: boolean;
  readonly review?: boolean;
  /** The most allowed for this code on one claim, over all its lines; 0n = none. */
  readonly perClaimCap?: bigint;
  /** How the copay meets the deductible; default {@link CostSharing.DeductibleCopayCoinsurance}. */
  readonly costSharing?: CostSharing;
}

/** An adjuster's decision on one line: approve at the ceiling, allow an amount with a reason, or deny with a reason. */
export type LineDecisionInput = { readonly approve: true } | { readonly allowed: bigint; readonly reason?: number } | { readonly deny: number };

/**
 * A claim's state: its status and record hash as stored on chain (one slot), with its plan, when it
 * was decided and the plan's share read from its record (rebuilt from events, checked against the hash).
 */
export interface ClaimState {
  readonly claimId: string;
  readonly status: ClaimStatus;
  readonly planId: bigint;
  readonly decidedAt: number;
  /** The plan's share for the service as this claim stands (paid, queued or offset against what
   * the provider owed, over the claim's chain); the exposure while pended; 0n once voided. */
  readonly planPaid: bigint;
  readonly recordHash: string;
}

/** A release of a provider's parked payments, decoded from the receipt ({@link ClaimsClient.releaseParked}). */
export interface ParkedRelease {
  readonly planId: bigint;
  readonly providerOrg: bigint;
  /** The provider's payee at the time of the release, who received `amount`. */
  readonly payee: string;
  readonly amount: bigint;
}

/** What a submission, a decision or an appeal resolution did, decoded from the receipt. */
export interface AdjudicationResult {
  readonly claimId: string;
  readonly status: ClaimStatus;
  /** The plan's share for the claim in total after this step (the exposure when pended). */
  readonly planTotal: bigint;
  readonly memberTotal: bigint;
  /** Line outcomes of this step (for a pended claim, what the rules would decide; empty for a
   * pended claim approved as previewed: its outcomes are the preview, see {@link ClaimsClient.history}). */
  readonly outcomes: readonly LineOutcome[];
  /** Paid to the provider's payee in this transaction (for this claim). */
  readonly paid: bigint;
  /** Queued for lack of funds, to be paid in full when the plan is funded. */
  readonly queued: bigint;
  /** An overpayment recorded against the provider (a correction that pays less than the chain had). */
  readonly owedBack: bigint;
  /** What the provider owed the plan, offset against this payment (recoupment): not transferred. */
  readonly recovered: bigint;
}

// ------------------------------------------------------------------------------------------ encodings

const coder = AbiCoder.defaultAbiCoder();
const LINE_TUPLE = "tuple(bytes32 code,uint32 units,uint96 charged)";
const RECORD_TUPLE = `tuple(uint64 planId,address member,uint64 providerOrg,uint40 serviceDate,bytes32 evidence,address adjuster,uint40 decidedAt,uint64 authId,uint96 authUsed,uint96 credit,uint96 planPaid,uint96 deductible,uint96 memberShare,${LINE_TUPLE}[] lines,uint96[] allowed)`;

/**
 * The on-chain form of a procedure code: `"<alias>:<code>"` as a bytes32 string (no descriptions).
 * A code too long for that (over 31 bytes with its alias) is stored as 0xff followed by the last
 * 31 bytes of keccak256("<alias>:<code>"): still opaque and deterministic, but not reversible.
 * @param system a FHIR code system URI from {@link CODE_SYSTEMS}, or an alias such as `"sct"`
 * @throws {ValidationError} for an unknown system, or a code that is not a short token
 */
export function procedureCode(system: string, code: string, field = "code"): string {
  const alias = CODE_SYSTEMS[system] ?? (Object.values(CODE_SYSTEMS).includes(system) ? system : undefined);
  if (!alias) throw new ValidationError(`${field}.system`, `${JSON.stringify(system)} is not a code system CareLedger maps (${Object.keys(CODE_SYSTEMS).join(", ")})`);
  if (typeof code !== "string" || !/^[A-Za-z0-9.\-]{1,64}$/.test(code)) throw new ValidationError(`${field}.code`, `${JSON.stringify(code)} is not a code (1 to 64 letters, digits, '.', '-')`);
  const text = `${alias}:${code}`;
  if (toUtf8Bytes(text).length <= 31) return encodeBytes32String(text);
  return "0xff" + keccak256(toUtf8Bytes(text)).slice(4);
}

/**
 * Reads an on-chain procedure code back into its system alias and code (`{ alias: "sct", code: "185345009" }`);
 * a hashed long code comes back as `{ alias: "", code: <hex>, hashed: true }`.
 */
export function parseProcedureCode(value: string): { alias: string; system?: string; code: string; hashed?: boolean } {
  if (value.toLowerCase().startsWith("0xff")) return { alias: "", code: value.toLowerCase(), hashed: true };
  const text = decodeBytes32String(value);
  const i = text.indexOf(":");
  const alias = i < 0 ? "" : text.slice(0, i);
  const system = Object.keys(CODE_SYSTEMS).find((k) => CODE_SYSTEMS[k] === alias);
  return { alias, system, code: i < 0 ? text : text.slice(i + 1) };
}

/**
 * The key of a service, the same whatever the order of the lines: keccak256(abi.encode(planId,
 * member, providerOrg, serviceDate, Σ keccak256(abi.encode(code, units, charged)) mod 2^256)).
 * The engine bills a service once: a claim whose key any claim ever had is refused with
 * `DuplicateClaim`, unless it resubmits the very service of the claim it replaces.
 */
export function serviceKeyOf(s: Pick<ClaimSubmission, "planId" | "member" | "providerOrg" | "serviceDate" | "lines">): string {
  const sum = s.lines.reduce((t, l) => (t + BigInt(keccak256(coder.encode(["bytes32", "uint32", "uint96"], [l.code, l.units, l.charged])))) % 2n ** 256n, 0n);
  return keccak256(coder.encode(["uint64", "address", "uint64", "uint40", "uint256"], [s.planId, s.member, s.providerOrg, s.serviceDate, sum]));
}

/**
 * The claim id of a submission: its service key ({@link serviceKeyOf}); for a claim that
 * resubmits the very service of the claim `replaces` (a denied claim sent again once its cause is
 * fixed), keccak256(abi.encode(serviceKey, replaces)). A correction to another service has that
 * service's key.
 */
export function claimIdOf(s: Pick<ClaimSubmission, "planId" | "member" | "providerOrg" | "serviceDate" | "lines">, replaces?: string): string {
  const key = serviceKeyOf(s);
  if (replaces === undefined || BigInt(replaces) === 0n) return key;
  return keccak256(coder.encode(["bytes32", "bytes32"], [key, replaces]));
}

/** The `recordHash` of a claim record, as the contract computes it: the first 31 bytes of its keccak256 (a `bytes31`). */
export function recordHashOf(r: ClaimRecord): string {
  const hash = keccak256(
    coder.encode(
      [RECORD_TUPLE],
      [
        [
          r.planId,
          r.member,
          r.providerOrg,
          r.serviceDate,
          r.evidence,
          r.adjuster,
          r.decidedAt,
          r.authId,
          r.authUsed,
          r.credit,
          r.planPaid,
          r.deductible,
          r.memberShare,
          r.lines.map((l) => [l.code, l.units, l.charged]),
          r.allowed,
        ],
      ],
    ),
  );
  return hash.slice(0, 64);
}

/**
 * Converts a decimal amount (a JSON number or string, e.g. `410.20000000000005`) to token units:
 * rounded half-to-even to cents first, then scaled to `decimals`.
 * @throws {ValidationError} for a negative or non-numeric amount
 */
export function toUnits(value: number | string, decimals = 6, field = "amount"): bigint {
  const text = typeof value === "number" ? plainNumber(value) : value.trim();
  const m = /^(\d+)(?:\.(\d*))?$/.exec(text);
  if (!m || decimals < 2) throw new ValidationError(field, `${JSON.stringify(value)} is not a non-negative decimal amount`);
  const frac = (m[2] ?? "").padEnd(3, "0");
  let cents = BigInt(m[1]) * 100n + BigInt(frac.slice(0, 2));
  const rest = frac.slice(2);
  const half = "5" + "0".repeat(rest.length - 1);
  if (rest > half || (rest === half && cents % 2n === 1n)) cents += 1n;
  return cents * 10n ** BigInt(decimals - 2);
}

function plainNumber(v: number): string {
  if (!Number.isFinite(v) || v < 0) return "x";
  const s = String(v);
  return /e/i.test(s) ? v.toFixed(20).replace(/0+$/, "").replace(/\.$/, "") : s;
}

/**
 * Midnight UTC of a date (`"2024-03-05"`, or the date part of a FHIR dateTime) in unix seconds.
 * @throws {ValidationError} naming `field` when it is not a date
 */
export function dayTimestamp(value: string | number | Date, field = "date"): number {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0) throw new ValidationError(field, `${value} is not a unix time`);
    return value - (value % SECONDS_PER_DAY);
  }
  const iso = value instanceof Date ? value.toISOString() : value;
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
  if (!m) throw new ValidationError(field, `${JSON.stringify(value)} is not a date (YYYY-MM-DD)`);
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (Number.isNaN(t) || t < 0) throw new ValidationError(field, `${JSON.stringify(value)} is not a date after 1970`);
  return t / 1000;
}

/**
 * The year start of an anniversary plan: the month and day of its `start` (unix seconds), for
 * {@link PlanTerms}. A plan starting on February 29 renews on February 28.
 */
export function anniversaryOf(start: number): { yearStartMonth: number; yearStartDay: number } {
  const d = new Date(requireTime("start", start) * 1000);
  const month = d.getUTCMonth() + 1;
  return { yearStartMonth: month, yearStartDay: month === 2 ? Math.min(d.getUTCDate(), 28) : d.getUTCDate() };
}

/** Sums line outcomes, line by line. */
export function sumOutcomes(a: readonly LineOutcome[], b: readonly LineOutcome[]): LineOutcome[] {
  return b.map((o, i) => {
    const p = a[i];
    if (!p) return o;
    return {
      allowed: p.allowed + o.allowed,
      deductible: p.deductible + o.deductible,
      copay: p.copay + o.copay,
      coinsurance: p.coinsurance + o.coinsurance,
      plan: p.plan + o.plan,
      reason: o.reason !== 0 ? o.reason : p.reason,
    };
  });
}

// ------------------------------------------------------------------------------------------ client


function requireAmount(field: string, value: unknown, { allowZero = true } = {}): bigint {
  let v: bigint;
  try {
    if (typeof value === "number" && !Number.isSafeInteger(value)) throw new Error("unsafe");
    v = BigInt(value as bigint);
  } catch {
    throw new ValidationError(field, `${JSON.stringify(String(value))} is not a whole number of token units`);
  }
  if (v < 0n || v >= 1n << 96n) throw new ValidationError(field, `${v} is not an amount (0 to 2^96-1 token units)`);
  if (!allowZero && v === 0n) throw new ValidationError(field, "must be positive");
  return v;
}

function requireTime(field: string, value: unknown): number {
  if (typeof value === "string") return dayTimestamp(value, field);
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0 || value >= 2 ** 40) throw new ValidationError(field, `${JSON.stringify(value)} is not a unix time or a date`);
  return value;
}

/** A day: "YYYY-MM-DD", or unix seconds at midnight UTC (other times are refused, never rounded). */
function requireDay(field: string, value: unknown): number {
  const t = requireTime(field, value);
  if (t % SECONDS_PER_DAY !== 0) {
    throw new ValidationError(field, `${t} is not a day: give midnight UTC (${t - (t % SECONDS_PER_DAY)}) or "YYYY-MM-DD", so one visit is one claim`);
  }
  return t;
}

/** The month and day a plan's years begin on (default January 1); February 29 is refused. */
function requireYearStart(month: unknown = 1, day: unknown = 1): { yearStartMonth: number; yearStartDay: number } {
  if (typeof month !== "number" || !Number.isInteger(month) || month < 1 || month > 12) throw new ValidationError("yearStartMonth", `${JSON.stringify(month)} is not a month (1 to 12)`);
  const days = new Date(Date.UTC(2001, month, 0)).getUTCDate(); // 2001: a common year
  if (typeof day !== "number" || !Number.isInteger(day) || day < 1 || day > days) {
    throw new ValidationError("yearStartDay", `${JSON.stringify(day)} is not a day of month ${month} (1 to ${days}${month === 2 ? "; a plan year may not begin on February 29" : ""})`);
  }
  return { yearStartMonth: month, yearStartDay: day };
}

function requireSeconds(field: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0 || value >= 2 ** 32) throw new ValidationError(field, `${JSON.stringify(value)} is not a number of seconds (1 to 2^32-1)`);
  return value;
}

/** Checks and normalizes a submission. @throws {ValidationError} naming the field */
export function validateSubmission(s: ClaimSubmission): ClaimSubmission {
  if (!Array.isArray(s.lines) || s.lines.length === 0 || s.lines.length > 20) throw new ValidationError("lines", "a claim has 1 to 20 lines");
  const evidenceProof = s.evidenceProof === undefined ? {} : { evidenceProof: requireEvidenceProof(s.evidenceProof) };
  return {
    ...evidenceProof,
    planId: requireId("planId", s.planId),
    member: requireAddress("member", s.member),
    providerOrg: requireId("providerOrg", s.providerOrg),
    serviceDate: requireDay("serviceDate", s.serviceDate),
    authId: s.authId === undefined || BigInt(s.authId) === 0n ? 0n : requireId("authId", s.authId),
    evidence: requireBytes32("evidence", s.evidence),
    lines: s.lines.map((l, i) => {
      if (!Number.isSafeInteger(l.units) || l.units < 1 || l.units >= 2 ** 32) throw new ValidationError(`lines[${i}].units`, `${JSON.stringify(l.units)} is not a positive whole number`);
      return { code: requireBytes32(`lines[${i}].code`, l.code), units: l.units, charged: requireAmount(`lines[${i}].charged`, l.charged) };
    }),
  };
}

function requireEvidenceProof(p: { root: string; proof: readonly string[] }): { root: string; proof: string[] } {
  if (p === null || typeof p !== "object" || !Array.isArray(p.proof)) throw new ValidationError("evidenceProof", "is not { root, proof: [...] }");
  if (p.proof.length > 64) throw new ValidationError("evidenceProof.proof", `${p.proof.length} siblings: a batch's proof has at most 64`);
  return { root: requireBytes32("evidenceProof.root", p.root), proof: p.proof.map((h, i) => requireBytes32(`evidenceProof.proof[${i}]`, h)) };
}

function outcomeOf(o: { allowed: bigint; deductible: bigint; copay: bigint; coinsurance: bigint; plan: bigint; reason: bigint | number }): LineOutcome {
  return { allowed: o.allowed, deductible: o.deductible, copay: o.copay, coinsurance: o.coinsurance, plan: o.plan, reason: Number(o.reason) };
}

/** The typed client of the ClaimsEngine contract. */
export class ClaimsClient extends ManagedClient<ClaimsEngine> {

  /**
   * @param contract the engine, connected to a Signer (for writes) or a Provider (reads only)
   * @param fromBlock the first block to read events from (the deployment block)
   */
  constructor(contract: ClaimsEngine, fromBlock = 0) {
    super(contract, fromBlock);
  }


  // -------------------------------------------------------------------- governance and plans

  /** Adds a settlement token to, or removes it from, the allowlist. Configurator role. @throws {ContractRevertError} e.g. `AccessManagedUnauthorized` */
  async setTokenAllowed(params: { token: string; allowed: boolean }, overrides: Overrides = {}): Promise<TxHandle<{ token: string; allowed: boolean }>> {
    const token = requireAddress("token", params.token);
    const allowed = requireBoolean("allowed", params.allowed);
    requireSigner(this.contract.runner);
    return send(() => this.contract.setTokenAllowed(token, allowed, overrides), () => ({ token, allowed }));
  }

  /**
   * Creates a plan owned by the caller's insurer organization (caller: an insurer admin).
   * @returns a handle whose `wait()` gives the new `planId`
   * @throws {ValidationError} for a bad term, before anything is sent
   * @throws {ContractRevertError} e.g. `TokenNotAllowed`, `NotInsurerAdmin`
   */
  async createPlan(terms: PlanTerms, overrides: Overrides = {}): Promise<TxHandle<{ planId: bigint; insurerOrgId: bigint }>> {
    const t = {
      token: requireAddress("token", terms.token),
      insurerOrgId: 0n,
      deductible: requireAmount("deductible", terms.deductible),
      outOfPocketMax: requireAmount("outOfPocketMax", terms.outOfPocketMax),
      start: requireTime("start", terms.start),
      ...requireYearStart(terms.yearStartMonth, terms.yearStartDay),
      annualCap: requireAmount("annualCap", terms.annualCap),
      autoApprovalLimit: requireAmount("autoApprovalLimit", terms.autoApprovalLimit),
      filingWindow: requireSeconds("filingWindow", terms.filingWindow),
      appealWindow: requireSeconds("appealWindow", terms.appealWindow),
    };
    requireSigner(this.contract.runner);
    return send(
      () => this.contract.createPlan(t, overrides),
      (receipt) => {
        const [e] = eventsIn(this.contract, receipt, "PlanCreated");
        if (!e) throw new CareLedgerError("EVENT_MISSING", `transaction ${receipt.hash} emitted no PlanCreated`);
        return { planId: e.args.planId as bigint, insurerOrgId: e.args.insurerOrgId as bigint };
      },
    );
  }

  /**
   * Creates a plan and sets all its benefit rules (in batches of 50), waiting for each
   * transaction: one call for a plan file (see {@link planFromJson}).
   * @returns the new plan's id and the receipts' transaction hashes
   */
  async createPlanWithBenefits(params: { terms: PlanTerms; benefits: readonly BenefitRule[] }): Promise<{ planId: bigint; txs: string[] }> {
    const created = await (await this.createPlan(params.terms)).wait();
    const txs = [created.receipt.hash];
    for (let i = 0; i < params.benefits.length; i += 50) {
      const r = await (await this.setBenefits({ planId: created.planId, benefits: params.benefits.slice(i, i + 50) })).wait();
      txs.push(r.receipt.hash);
    }
    return { planId: created.planId, txs };
  }

  /**
   * Sets benefit rules (up to 50 per call). Caller: insurer staff of the plan.
   * @throws {ValidationError} for a bad rule
   * @throws {ContractRevertError} e.g. `InvalidBenefit`, `NotInsurerStaff`
   */
  async setBenefits(params: { planId: bigint | number | string; benefits: readonly BenefitRule[] }, overrides: Overrides = {}): Promise<TxHandle<{ planId: bigint; count: number }>> {
    const planId = requireId("planId", params.planId);
    if (!Array.isArray(params.benefits) || params.benefits.length === 0 || params.benefits.length > 50) throw new ValidationError("benefits", "give 1 to 50 benefit rules per call");
    const codes = params.benefits.map((b, i) => requireBytes32(`benefits[${i}].code`, b.code));
    const rules = params.benefits.map((b, i) => {
      const bps = b.coinsuranceBps ?? 0;
      if (!Number.isInteger(bps) || bps < 0 || bps > 10_000) throw new ValidationError(`benefits[${i}].coinsuranceBps`, `${bps} is not 0 to 10,000 basis points`);
      const costSharing = b.costSharing ?? CostSharing.DeductibleCopayCoinsurance;
      if (!Object.values(CostSharing).includes(costSharing)) throw new ValidationError(`benefits[${i}].costSharing`, `${JSON.stringify(costSharing)} is not a CostSharing design`);
      const copay = requireAmount(`benefits[${i}].copay`, b.copay ?? 0n);
      if (costSharing === CostSharing.CopayOnly && bps !== 0) throw new ValidationError(`benefits[${i}].coinsuranceBps`, "a copay-only benefit has no coinsurance");
      if (costSharing === CostSharing.DeductibleCoinsurance && copay !== 0n) throw new ValidationError(`benefits[${i}].copay`, "a deductible-then-coinsurance benefit has no copay");
      return {
        fee: requireAmount(`benefits[${i}].fee`, b.fee),
        copay,
        coinsuranceBps: bps,
        priorAuth: b.priorAuth ?? false,
        review: b.review ?? false,
        perClaimCap: requireAmount(`benefits[${i}].perClaimCap`, b.perClaimCap ?? 0n),
        costSharing,
      };
    });
    requireSigner(this.contract.runner);
    return send(() => this.contract.setBenefits(planId, codes, rules, overrides), () => ({ planId, count: codes.length }));
  }

  /** Names the account the caller's organization is paid at (caller: an admin of a provider, lab or pharmacy). @throws {ContractRevertError} e.g. `NotProviderAdmin` */
  async setPayee(params: { payee: string }, overrides: Overrides = {}): Promise<TxHandle<{ payee: string }>> {
    const payee = requireAddress("payee", params.payee);
    requireSigner(this.contract.runner);
    return send(() => this.contract.setPayee(payee, overrides), () => ({ payee }));
  }

  // -------------------------------------------------------------------- money

  /**
   * Deposits into a plan's escrow, approving the engine for the plan's token first when the
   * allowance is short (that approval is its own transaction, awaited here). Anyone may fund.
   * @throws {ContractRevertError} e.g. `FeeOnTransferRefused`, `EnforcedPause`, `UnknownPlan`
   */
  async fund(params: { planId: bigint | number | string; amount: bigint }, overrides: Overrides = {}): Promise<TxHandle<{ planId: bigint; amount: bigint; queuedPaid: number; queuedParked: number }>> {
    const planId = requireId("planId", params.planId);
    const amount = requireAmount("amount", params.amount, { allowZero: false });
    requireSigner(this.contract.runner);
    await this.#approve(planId, amount);
    return send(
      () => this.contract.fund(planId, amount, overrides),
      (receipt) => ({
        planId,
        amount,
        queuedPaid: eventsIn(this.contract, receipt, "ClaimPaid").length,
        queuedParked: eventsIn(this.contract, receipt, "PaymentParked").length,
      }),
    );
  }

  /** Withdraws unreserved funds (caller: an admin of the plan's insurer). @throws {ContractRevertError} e.g. `InsufficientUnreservedFunds` */
  async withdraw(params: { planId: bigint | number | string; amount: bigint; to: string }, overrides: Overrides = {}): Promise<TxHandle<{ planId: bigint; amount: bigint; to: string }>> {
    const planId = requireId("planId", params.planId);
    const amount = requireAmount("amount", params.amount, { allowZero: false });
    const to = requireAddress("to", params.to);
    requireSigner(this.contract.runner);
    return send(() => this.contract.withdraw(planId, amount, to, overrides), () => ({ planId, amount, to }));
  }

  /**
   * Pays up to `max` queued payments of a plan, oldest first (anyone). `paid` counts the payments
   * delivered, `parked` those the token refused to deliver (parked for their provider, see
   * {@link releaseParked}).
   * @throws {ContractRevertError} e.g. `InvalidBatch`
   */
  async payQueued(params: { planId: bigint | number | string; max?: number }, overrides: Overrides = {}): Promise<TxHandle<{ planId: bigint; paid: number; parked: number }>> {
    const planId = requireId("planId", params.planId);
    const max = params.max ?? 50;
    if (!Number.isInteger(max) || max < 1 || max > 50) throw new ValidationError("max", `${max} is not 1 to 50`);
    requireSigner(this.contract.runner);
    return send(
      () => this.contract.payQueued(planId, max, overrides),
      (receipt) => ({ planId, paid: eventsIn(this.contract, receipt, "ClaimPaid").length, parked: eventsIn(this.contract, receipt, "PaymentParked").length }),
    );
  }

  /**
   * Pays everything parked for a provider in a plan (queued payments the token refused to deliver,
   * e.g. to a blocklisted payee) to the provider's CURRENT payee. Anyone may call it; the provider
   * names a payee the token accepts first ({@link setPayee}).
   * @throws {ValidationError} naming `planId` or `providerOrg`
   * @throws {ContractRevertError} `NothingParked`, `EnforcedPause`, or the token's own error when it still refuses the payee
   */
  async releaseParked(params: { planId: bigint | number | string; providerOrg: bigint | number | string }, overrides: Overrides = {}): Promise<TxHandle<ParkedRelease>> {
    const planId = requireId("planId", params.planId);
    const providerOrg = requireId("providerOrg", params.providerOrg);
    requireSigner(this.contract.runner);
    return send(
      () => this.contract.releaseParked(planId, providerOrg, overrides),
      (receipt) => {
        const [e] = eventsIn(this.contract, receipt, "ParkedPaymentReleased");
        return { planId, providerOrg, payee: e.args.payee as string, amount: e.args.amount as bigint };
      },
    );
  }

  // -------------------------------------------------------------------- members and authorizations

  /** Enrolls a member from `start` to `end` (days inclusive; unix seconds or "YYYY-MM-DD"). Caller: insurer staff. */
  async enroll(
    params: { planId: bigint | number | string; member: string; start: number | string; end: number | string },
    overrides: Overrides = {},
  ): Promise<TxHandle<{ planId: bigint; member: string; start: number; end: number }>> {
    const planId = requireId("planId", params.planId);
    const member = requireAddress("member", params.member);
    const start = requireTime("start", params.start);
    const end = requireTime("end", params.end);
    if (end < start) throw new ValidationError("end", "the coverage ends before it starts");
    requireSigner(this.contract.runner);
    return send(() => this.contract.enroll(planId, member, start, end, overrides), () => ({ planId, member, start, end }));
  }

  /**
   * Issues a prior authorization. Caller: insurer staff.
   * @returns a handle whose `wait()` gives the `authId`
   */
  async authorize(
    params: { planId: bigint | number | string; member: string; code: string; maxAmount: bigint; validFrom: number | string; validUntil: number | string },
    overrides: Overrides = {},
  ): Promise<TxHandle<{ authId: bigint }>> {
    const planId = requireId("planId", params.planId);
    const member = requireAddress("member", params.member);
    const code = requireBytes32("code", params.code);
    const maxAmount = requireAmount("maxAmount", params.maxAmount, { allowZero: false });
    const validFrom = requireTime("validFrom", params.validFrom);
    const validUntil = requireTime("validUntil", params.validUntil);
    requireSigner(this.contract.runner);
    return send(
      () => this.contract.authorize(planId, member, code, maxAmount, validFrom, validUntil, overrides),
      (receipt) => {
        const [e] = eventsIn(this.contract, receipt, "AuthorizationIssued");
        if (!e) throw new CareLedgerError("EVENT_MISSING", `transaction ${receipt.hash} emitted no AuthorizationIssued`);
        return { authId: e.args.authId as bigint };
      },
    );
  }

  // -------------------------------------------------------------------- claims

  /**
   * Submits a claim. The rules adjudicate it; when they decide every line and the plan pays no
   * more than the auto-approval limit, the provider is paid in the same transaction (less what the
   * provider owes the plan: `recovered`). Evidence anchored in a batch travels with its proof
   * (`evidenceProof`): one transaction, no registration first.
   * @returns a handle whose `wait()` gives the {@link AdjudicationResult}
   * @throws {ValidationError} for a bad submission, before anything is sent
   * @throws {ContractRevertError} `DuplicateClaim` (its `args.claimId` is the original claim), `EvidenceNotAnchored`, `EvidenceOfAnotherMember`, `NotAuthorizedSubmitter`…
   */
  async submit(submission: ClaimSubmission, overrides: Overrides = {}): Promise<TxHandle<AdjudicationResult>> {
    const s = validateSubmission(submission);
    requireSigner(this.contract.runner);
    const claimId = claimIdOf(s);
    const p = s.evidenceProof;
    return send(
      () => (p ? this.contract.submitWithProof(toSubmissionStruct(s), p.root, [...p.proof], overrides) : this.contract.submit(toSubmissionStruct(s), overrides)),
      (receipt) => this.#result(receipt, claimId),
    );
  }

  /**
   * Submits a claim unless the same claim is already on chain, in which case it sends nothing and
   * returns the existing claim's id: the basis of idempotent batch submission.
   */
  async submitOnce(submission: ClaimSubmission, overrides: Overrides = {}): Promise<{ claimId: string; duplicate: true; state: ClaimState } | { claimId: string; duplicate: false; handle: TxHandle<AdjudicationResult> }> {
    const s = validateSubmission(submission);
    const claimId = claimIdOf(s);
    const exists = await this.#stored(claimId).then(
      () => true,
      (err: unknown) => {
        if (err instanceof ContractRevertError && err.errorName === "UnknownClaim") return false;
        throw err;
      },
    );
    if (exists) return { claimId, duplicate: true, state: await this.claim(claimId) };
    return { claimId, duplicate: false, handle: await this.submit(s, overrides) };
  }

  /**
   * Submits a corrected claim replacing `replaces` (its record is rebuilt from events). The plan
   * pays only the difference from what it had committed for the service over the whole chain; a
   * negative difference is owed back and recouped from the provider's next payments under the
   * plan (see {@link owedBack}, {@link repay}). Caller: a member of the provider organization
   * that billed the original.
   * @throws {ValidationError} for a bad submission, before anything is sent
   * @throws {ContractRevertError} e.g. `NotClaimProvider`, `CorrectionMismatch`, `InvalidClaimStatus`, `DuplicateClaim`
   */
  async submitCorrection(params: { replaces: string; submission: ClaimSubmission }, overrides: Overrides = {}): Promise<TxHandle<AdjudicationResult>> {
    const replaces = requireBytes32("replaces", params.replaces);
    const s = validateSubmission(params.submission);
    if (s.evidenceProof) {
      throw new ValidationError(
        "evidenceProof",
        "a correction cites evidence without a proof: the evidence its chain already cites, or a record anchored singly (register a batch record first with records.registerBatchRecord)",
      );
    }
    requireSigner(this.contract.runner);
    const original = await this.record(replaces);
    // The same service as the claim it replaces (a resubmission) takes an id of its own; another service its key.
    const sameService = serviceKeyOf(original) === serviceKeyOf(s);
    const claimId = claimIdOf(s, sameService ? replaces : undefined);
    return send(() => this.contract.submitCorrection(toSubmissionStruct(s), replaces, toRecordStruct(original), overrides), (receipt) => this.#result(receipt, claimId));
  }

  /**
   * Resubmits a denied claim once its cause is fixed (the enrollment loaded, the prior
   * authorization recorded): the same service and lines, with the `authId` (and, if it changed,
   * the evidence) given here, adjudicated afresh without an appeal. The history links both claims.
   * @throws {ValidationError} naming `claimId` when the claim is not denied
   * @throws {ContractRevertError} e.g. `NotClaimProvider`
   */
  async resubmit(params: { claimId: string; authId?: bigint | number | string; evidence?: string }, overrides: Overrides = {}): Promise<TxHandle<AdjudicationResult>> {
    const claimId = requireBytes32("claimId", params.claimId);
    const [h, state] = await Promise.all([this.history(claimId), this.claim(claimId)]);
    if (state.status !== ClaimStatus.Denied && state.status !== ClaimStatus.Upheld) {
      throw new ValidationError("claimId", `claim ${claimId} is ${ClaimStatus[state.status]}, not denied: correct it with submitCorrection instead`);
    }
    const submission = { ...h.submission, authId: params.authId === undefined ? h.submission.authId : BigInt(params.authId), evidence: params.evidence ?? h.submission.evidence };
    return this.submitCorrection({ replaces: claimId, submission }, overrides);
  }

  /**
   * Voids a claim billed in error: the member's accumulators and the authorization are given
   * back, and what the plan had committed for the service is owed back (recouped from the
   * provider's next payments under the plan, or repaid with {@link repay}). Caller: a member of
   * the provider organization that billed it.
   * @returns a handle whose `wait()` gives what is now owed back for it
   * @throws {ContractRevertError} e.g. `NotClaimProvider`, `InvalidClaimStatus`
   */
  async voidClaim(params: { claimId: string }, overrides: Overrides = {}): Promise<TxHandle<{ claimId: string; owed: bigint }>> {
    const claimId = requireBytes32("claimId", params.claimId);
    requireSigner(this.contract.runner);
    const record = await this.record(claimId);
    return send(
      () => this.contract.voidClaim(claimId, toRecordStruct(record), overrides),
      (receipt) => {
        const [e] = eventsIn(this.contract, receipt, "ClaimVoided");
        return { claimId, owed: e.args.owed as bigint };
      },
    );
  }

  /**
   * Repays what a provider owes a plan (from corrections and voids) into the plan's escrow, from
   * the signer, approving the engine for the plan's token first when the allowance is short.
   * @throws {ValidationError} naming `amount` when it is zero or more than is owed
   * @throws {ContractRevertError} e.g. `RepaymentExceedsOwed`, `EnforcedPause`
   */
  async repay(params: { planId: bigint | number | string; providerOrg: bigint | number | string; amount: bigint }, overrides: Overrides = {}): Promise<TxHandle<{ planId: bigint; providerOrg: bigint; amount: bigint; queuedPaid: number }>> {
    const planId = requireId("planId", params.planId);
    const providerOrg = requireId("providerOrg", params.providerOrg);
    const amount = requireAmount("amount", params.amount, { allowZero: false });
    requireSigner(this.contract.runner);
    const owed = await this.owedBack(planId, providerOrg);
    if (amount > owed) throw new ValidationError("amount", `${amount} is more than provider ${providerOrg} owes plan ${planId} (${owed})`);
    await this.#approve(planId, amount);
    return send(
      () => this.contract.repay(planId, providerOrg, amount, overrides),
      (receipt) => ({ planId, providerOrg, amount, queuedPaid: eventsIn(this.contract, receipt, "ClaimPaid").length }),
    );
  }

  async #approve(planId: bigint, amount: bigint): Promise<void> {
    const plan = await this.plan(planId);
    const signer = this.contract.runner as unknown as { getAddress(): Promise<string> };
    const owner = await signer.getAddress();
    const token = IERC20__factory.connect(plan.token, this.contract.runner);
    if ((await token.allowance(owner, this.address)) < amount) {
      await withDecodedErrors(async () => (await token.approve(this.address, amount)).wait());
    }
  }

  /**
   * An adjuster decides a pended claim line by line; the amounts are cost-shared now, against
   * the member's accumulators as they stand. By default it allows what the rules previewed, with
   * the rules' reasons; `{ approve: true }` allows a line's ceiling, `{ allowed, reason }` an
   * amount, `{ deny: carc }` nothing.
   * @throws {ContractRevertError} e.g. `InvalidDecision`, `NotInsurerStaff`, `InvalidClaimStatus`
   */
  async decide(params: { claimId: string; decisions?: readonly LineDecisionInput[] }, overrides: Overrides = {}): Promise<TxHandle<AdjudicationResult>> {
    const claimId = requireBytes32("claimId", params.claimId);
    requireSigner(this.contract.runner);
    const [record, h] = await Promise.all([this.record(claimId), this.history(claimId)]);
    const preview = h.preview ?? [];
    const decisions = params.decisions
      ? await this.#decisions(claimId, record, params.decisions)
      : record.allowed.map((allowed, i) => ({ allowed, reason: preview[i]?.reason ?? 0 }));
    return send(() => this.contract.decide(claimId, toRecordStruct(record), decisions, overrides), (receipt) => this.#result(receipt, claimId));
  }

  /**
   * The member, or a member of the provider organization, appeals a partial or denied claim.
   * @throws {ContractRevertError} e.g. `AppealWindowClosed`, `NotAppellant`, `InvalidClaimStatus`
   */
  async appeal(params: { claimId: string }, overrides: Overrides = {}): Promise<TxHandle<{ claimId: string }>> {
    const claimId = requireBytes32("claimId", params.claimId);
    requireSigner(this.contract.runner);
    const record = await this.record(claimId);
    return send(() => this.contract.appeal(claimId, toRecordStruct(record), overrides), () => ({ claimId }));
  }

  /**
   * An adjuster other than the one who decided resolves an appeal (default: overturn every line to
   * its ceiling). The plan pays the difference, once.
   * @throws {ContractRevertError} e.g. `SameAdjuster`, `InvalidDecision`
   */
  async resolveAppeal(params: { claimId: string; decisions?: readonly LineDecisionInput[] }, overrides: Overrides = {}): Promise<TxHandle<AdjudicationResult>> {
    const claimId = requireBytes32("claimId", params.claimId);
    requireSigner(this.contract.runner);
    const record = await this.record(claimId);
    const decisions = await this.#decisions(claimId, record, params.decisions, record.allowed);
    return send(() => this.contract.resolveAppeal(claimId, toRecordStruct(record), decisions, overrides), (receipt) => this.#result(receipt, claimId));
  }

  // -------------------------------------------------------------------- views

  /** Whether a token may settle plans. */
  async isTokenAllowed(token: string): Promise<boolean> {
    return withDecodedErrors(() => this.contract.isTokenAllowed(requireAddress("token", token)));
  }

  /** A plan's terms. @throws {ContractRevertError} `UnknownPlan` */
  async plan(planId: bigint | number | string): Promise<Required<PlanTerms>> {
    const p = await withDecodedErrors(() => this.contract.plan(requireId("planId", planId)));
    return {
      token: p.token,
      insurerOrgId: p.insurerOrgId,
      deductible: p.deductible,
      outOfPocketMax: p.outOfPocketMax,
      start: Number(p.start),
      yearStartMonth: Number(p.yearStartMonth),
      yearStartDay: Number(p.yearStartDay),
      annualCap: p.annualCap,
      autoApprovalLimit: p.autoApprovalLimit,
      filingWindow: Number(p.filingWindow),
      appealWindow: Number(p.appealWindow),
    };
  }

  /** The number of plans. */
  async planCount(): Promise<bigint> {
    return withDecodedErrors(() => this.contract.planCount());
  }

  /** A code's benefit rule in a plan (fee 0n when not covered). */
  async benefit(planId: bigint | number | string, code: string): Promise<Required<BenefitRule>> {
    const b = await withDecodedErrors(() => this.contract.benefit(requireId("planId", planId), requireBytes32("code", code)));
    return { code, fee: b.fee, copay: b.copay, coinsuranceBps: Number(b.coinsuranceBps), priorAuth: b.priorAuth, review: b.review, perClaimCap: b.perClaimCap, costSharing: Number(b.costSharing) as CostSharing };
  }

  /** A plan's escrow: balance, reserved (queued + pended), withdrawable, queue positions. */
  async funds(planId: bigint | number | string): Promise<{ balance: bigint; reserved: bigint; withdrawable: bigint; queueHead: number; queueTail: number }> {
    const f = await withDecodedErrors(() => this.contract.funds(requireId("planId", planId)));
    return { balance: f.balance, reserved: f.reserved, withdrawable: f.balance > f.reserved ? f.balance - f.reserved : 0n, queueHead: Number(f.queueHead), queueTail: Number(f.queueTail) };
  }

  /** A member's coverage period (zeros when never enrolled). */
  async enrollment(planId: bigint | number | string, member: string): Promise<{ start: number; end: number }> {
    const e = await withDecodedErrors(() => this.contract.enrollment(requireId("planId", planId), requireAddress("member", member)));
    return { start: Number(e.start), end: Number(e.end) };
  }

  /** A member's accumulators for the plan year holding `date` (unix seconds or "YYYY-MM-DD"). */
  async accumulators(planId: bigint | number | string, member: string, date: number | string): Promise<{ year: number; deductibleMet: bigint; outOfPocketMet: bigint; benefitPaid: bigint }> {
    const plan = await this.plan(planId);
    const t = requireTime("date", date);
    if (t < plan.start) throw new ValidationError("date", "is before the plan's start");
    const year = await this.planYearOf(planId, t);
    const a = await withDecodedErrors(() => this.contract.accumulators(requireId("planId", planId), requireAddress("member", member), year));
    return { year, deductibleMet: a.deductibleMet, outOfPocketMet: a.outOfPocketMet, benefitPaid: a.benefitPaid };
  }

  /** The plan year (0-based; civil years from the plan's year start) holding `date` (unix seconds or "YYYY-MM-DD"), as the engine computes it. */
  async planYearOf(planId: bigint | number | string, date: number | string): Promise<number> {
    const t = requireTime("date", date);
    return Number(await withDecodedErrors(() => this.contract.planYearOf(requireId("planId", planId), t)));
  }

  /** A prior authorization. @throws {ContractRevertError} `UnknownAuthorization` */
  async authorization(authId: bigint | number | string): Promise<{ member: string; planId: bigint; code: string; remaining: bigint; maxAmount: bigint; validFrom: number; validUntil: number }> {
    const a = await withDecodedErrors(() => this.contract.authorization(requireId("authId", authId)));
    return { member: a.member, planId: a.planId, code: a.code, remaining: a.remaining, maxAmount: a.maxAmount, validFrom: Number(a.validFrom), validUntil: Number(a.validUntil) };
  }

  /**
   * A claim's state: status and record hash from the chain, the rest from its record (rebuilt
   * from events and checked against the hash). A voided claim's `planPaid` is 0n and its
   * `decidedAt` the time of the void.
   * @throws {ContractRevertError} `UnknownClaim`
   * @throws {CareLedgerError} `RECORD_MISMATCH` (see {@link record}); `EVENT_MISSING` when the claim's
   * events are before the client's `fromBlock`
   */
  async claim(claimId: string): Promise<ClaimState> {
    const { id, stored, h, record } = await this.#verified(claimId);
    const voidedAt = h.voided ? (await this.#blockTime(h.voided.blockNumber)) : undefined;
    return {
      claimId: id,
      status: stored.status,
      planId: record.planId,
      decidedAt: voidedAt ?? record.decidedAt,
      planPaid: voidedAt === undefined ? record.planPaid : 0n,
      recordHash: stored.recordHash,
    };
  }

  /** What the chain stores for a claim: its status and record hash. @throws {ContractRevertError} `UnknownClaim` */
  async #stored(claimId: string): Promise<{ status: ClaimStatus; recordHash: string }> {
    const c = await withDecodedErrors(() => this.contract.claim(requireBytes32("claimId", claimId)));
    return { status: Number(c.status) as ClaimStatus, recordHash: c.recordHash };
  }

  async #blockTime(blockNumber: number): Promise<number> {
    const block = await this.contract.runner!.provider!.getBlock(blockNumber);
    if (!block) throw new CareLedgerError("EVENT_MISSING", `block ${blockNumber} is not available from the provider`);
    return block.timestamp;
  }

  async #verified(claimId: string): Promise<{ id: string; stored: { status: ClaimStatus; recordHash: string }; h: ClaimHistory; record: ClaimRecord }> {
    const id = requireBytes32("claimId", claimId);
    // The chain first: an unknown claim is the contract's `UnknownClaim`; a known one whose events
    // this client does not read (its fromBlock is after them) is said to be so, never "unknown".
    const stored = await this.#stored(id);
    const h = await this.history(id).catch((err: unknown) => {
      if (err instanceof CareLedgerError && err.code === "UNKNOWN_CLAIM") {
        throw new CareLedgerError("EVENT_MISSING", `claim ${id} is on chain (${ClaimStatus[stored.status]}) but its ClaimSubmitted event is not in the logs read from block ${this.fromBlock}: read from the deployment block (the address book's deploymentBlock)`);
      }
      throw err;
    });
    const record = recordFromHistory(h);
    if (recordHashOf(record) !== stored.recordHash) {
      throw new CareLedgerError("RECORD_MISMATCH", `the events of claim ${id} do not reproduce its record hash: is fromBlock (${this.fromBlock}) before the claim?`);
    }
    return { id, stored, h, record };
  }

  /** The account a provider organization is paid at (zero address when unset). */
  async payeeOf(providerOrg: bigint | number | string): Promise<string> {
    return withDecodedErrors(() => this.contract.payeeOf(requireId("providerOrg", providerOrg)));
  }

  /** What the engine holds for a provider from a plan's payments the token refused to deliver (see {@link releaseParked}). */
  async parked(planId: bigint | number | string, providerOrg: bigint | number | string): Promise<bigint> {
    return withDecodedErrors(() => this.contract.parked(requireId("planId", planId), requireId("providerOrg", providerOrg)));
  }

  /** What a provider owes a plan back from corrected and voided claims, not yet recouped or repaid. */
  async owedBack(planId: bigint | number | string, providerOrg: bigint | number | string): Promise<bigint> {
    return withDecodedErrors(() => this.contract.owedBack(requireId("planId", planId), requireId("providerOrg", providerOrg)));
  }

  /**
   * A claim's full history from its events: the submission, every adjudication (outcomes summed
   * per line), payments and queueing, appeals. The basis of {@link record} and of the FHIR outputs.
   * @throws {CareLedgerError} `UNKNOWN_CLAIM` when no submission event exists
   */
  async history(claimId: string): Promise<ClaimHistory> {
    const id = requireBytes32("claimId", claimId);
    const c = this.contract;
    const [submitted] = await c.queryFilter(c.filters.ClaimSubmitted(id), this.fromBlock);
    if (!submitted) throw new CareLedgerError("UNKNOWN_CLAIM", `claim ${id} has no ClaimSubmitted event since block ${this.fromBlock}`);
    const [corrected, replacedBy, pended, adjudicated, paid, queued, appealed, parked, owed, recovered, voided, authUsed, authReturned] = await Promise.all([
      c.queryFilter(c.filters.ClaimCorrected(id), this.fromBlock),
      c.queryFilter(c.filters.ClaimCorrected(undefined, id), this.fromBlock),
      c.queryFilter(c.filters.ClaimPended(id), this.fromBlock),
      c.queryFilter(c.filters.ClaimAdjudicated(id), this.fromBlock),
      c.queryFilter(c.filters.ClaimPaid(id), this.fromBlock),
      c.queryFilter(c.filters.PaymentQueued(id), this.fromBlock),
      c.queryFilter(c.filters.ClaimAppealed(id), this.fromBlock),
      c.queryFilter(c.filters.PaymentParked(id), this.fromBlock),
      c.queryFilter(c.filters.OverpaymentRecorded(id), this.fromBlock),
      c.queryFilter(c.filters.OverpaymentRecovered(id), this.fromBlock),
      c.queryFilter(c.filters.ClaimVoided(id), this.fromBlock),
      c.queryFilter(c.filters.AuthorizationUsed(undefined, id), this.fromBlock),
      c.queryFilter(c.filters.AuthorizationReturned(undefined, id), this.fromBlock),
    ]);
    const s = submitted.args.submission;
    const submission: ClaimSubmission = {
      planId: s.planId,
      member: s.member,
      providerOrg: s.providerOrg,
      serviceDate: Number(s.serviceDate),
      authId: s.authId,
      evidence: s.evidence,
      lines: s.lines.map((l) => ({ code: l.code, units: Number(l.units), charged: l.charged })),
    };
    const preview = pended[0] ? pended[0].args.preview.map(outcomeOf) : undefined;
    const stepOutcomes = (e: (typeof adjudicated)[number]) => e.args.outcomes.map(outcomeOf);
    let outcomes: LineOutcome[] = [];
    for (const e of adjudicated) outcomes = sumOutcomes(outcomes, stepOutcomes(e));
    const last = adjudicated[adjudicated.length - 1];
    const decidedAt = last ? await this.#blockTime(last.blockNumber) : 0;
    const sum = (events: readonly { args: { amount: bigint } }[]) => events.reduce((t, e) => t + e.args.amount, 0n);
    return {
      claimId: id,
      submission,
      submitter: submitted.args.submitter,
      submittedAt: submitted.blockNumber,
      replaces: corrected[0]?.args.replaces,
      replacedBy: replacedBy[0]?.args.claimId,
      credit: corrected[0]?.args.credit ?? 0n,
      preview,
      exposure: pended[0]?.args.exposure,
      decidedAt,
      adjudications: adjudicated.map((e) => ({ status: Number(e.args.status) as ClaimStatus, adjuster: e.args.adjuster, planTotal: e.args.planTotal, memberTotal: e.args.memberTotal, outcomes: stepOutcomes(e), blockNumber: e.blockNumber })),
      outcomes,
      adjuster: last?.args.adjuster ?? ZeroAddress,
      planTotal: last?.args.planTotal ?? 0n,
      memberTotal: last?.args.memberTotal ?? 0n,
      payments: paid.map((e) => ({ payee: e.args.payee, amount: e.args.amount, blockNumber: e.blockNumber })),
      queued: queued.map((e) => ({ position: Number(e.args.position), amount: e.args.amount, blockNumber: e.blockNumber })),
      appeals: appealed.map((e) => ({ appellant: e.args.appellant, blockNumber: e.blockNumber })),
      parked: parked.map((e) => ({ payee: e.args.payee, amount: e.args.amount, blockNumber: e.blockNumber })),
      owedBack: owed.map((e) => ({ amount: e.args.amount, blockNumber: e.blockNumber })),
      recovered: recovered.map((e) => ({ amount: e.args.amount, blockNumber: e.blockNumber })),
      voided: voided[0] ? { by: voided[0].args.by, owed: voided[0].args.owed, blockNumber: voided[0].blockNumber } : undefined,
      // What its record holds: a retired claim's record keeps what it used (its give-back at retirement rewrote nothing).
      authUsed: sum(authUsed) - sum(authReturned.filter((e) => e.transactionHash !== voided[0]?.transactionHash && e.transactionHash !== replacedBy[0]?.transactionHash)),
    };
  }

  /**
   * A claim's record (the facts whose hash is on chain), rebuilt from its events and checked
   * against the on-chain `recordHash`.
   * @throws {ContractRevertError} `UnknownClaim`
   * @throws {CareLedgerError} `RECORD_MISMATCH` when the events do not reproduce the hash;
   * `EVENT_MISSING` when they are before the client's `fromBlock`
   */
  async record(claimId: string): Promise<ClaimRecord> {
    return (await this.#verified(claimId)).record;
  }

  /** The claim's outcome as a FHIR R4 ClaimResponse (see `sdk/fhir/claim.ts`). @throws {ContractRevertError} `UnknownClaim` */
  async toClaimResponse(claimId: string, options: FhirOutputOptions = {}): Promise<FhirResource> {
    const fhir = await import("./fhir/claim");
    return fhir.toClaimResponse(this, claimId, options);
  }

  /** The claim's outcome as a FHIR R4 ExplanationOfBenefit (see `sdk/fhir/claim.ts`). @throws {ContractRevertError} `UnknownClaim` */
  async toExplanationOfBenefit(claimId: string, options: FhirOutputOptions = {}): Promise<FhirResource> {
    const fhir = await import("./fhir/claim");
    return fhir.toExplanationOfBenefit(this, claimId, options);
  }

  async #decisions(claimId: string, record: ClaimRecord, inputs: readonly LineDecisionInput[] | undefined, floor?: readonly bigint[]): Promise<{ allowed: bigint; reason: number }[]> {
    if (inputs && inputs.length !== record.lines.length) throw new ValidationError("decisions", `claim ${claimId} has ${record.lines.length} lines; give one decision per line`);
    const out: { allowed: bigint; reason: number }[] = [];
    for (const [i, line] of record.lines.entries()) {
      const d = inputs?.[i] ?? { approve: true as const };
      if ("deny" in d) out.push({ allowed: floor?.[i] ?? 0n, reason: d.deny });
      else if ("allowed" in d) out.push({ allowed: requireAmount(`decisions[${i}].allowed`, d.allowed), reason: d.reason ?? 0 });
      else {
        // The per-claim cap is shared by the claim's lines of one code: what earlier lines are
        // allowed now, and (on appeal) what later lines already hold, which never shrinks.
        const same = (j: number) => record.lines[j].code === line.code;
        const earlier = out.reduce((t, o, j) => (same(j) ? t + o.allowed : t), 0n);
        const later = (floor ?? []).reduce((t, f, j) => (j > i && same(j) ? t + f : t), 0n);
        const b = await this.benefit(record.planId, line.code);
        const ceiling = lineCeiling(line, b, earlier); // the contract's ceiling for this line
        let allowed = lineCeiling(line, b, earlier + later);
        if (floor && allowed < floor[i]) allowed = floor[i];
        out.push({ allowed, reason: allowed < ceiling ? CARC.BENEFIT_MAXIMUM : 0 });
      }
    }
    return out;
  }

  #result(receipt: TransactionReceipt, claimId: string): AdjudicationResult {
    const c = this.contract;
    const mine = (name: string) => eventsIn(c, receipt, name).filter((e) => e.args.claimId === claimId);
    const adjudicated = mine("ClaimAdjudicated")[0];
    const pended = mine("ClaimPended")[0];
    const paid = mine("ClaimPaid").reduce((sum, e) => sum + (e.args.amount as bigint), 0n);
    const queued = mine("PaymentQueued").reduce((sum, e) => sum + (e.args.amount as bigint), 0n);
    const owedBack = mine("OverpaymentRecorded").reduce((sum, e) => sum + (e.args.amount as bigint), 0n);
    const recovered = mine("OverpaymentRecovered").reduce((sum, e) => sum + (e.args.amount as bigint), 0n);
    if (adjudicated) {
      return {
        claimId,
        status: Number(adjudicated.args.status) as ClaimStatus,
        planTotal: adjudicated.args.planTotal as bigint,
        memberTotal: adjudicated.args.memberTotal as bigint,
        outcomes: (adjudicated.args.outcomes as LineOutcome[]).map(outcomeOf),
        paid,
        queued,
        owedBack,
        recovered,
      };
    }
    if (!pended) throw new CareLedgerError("EVENT_MISSING", `transaction ${receipt.hash} adjudicated nothing for claim ${claimId}`);
    return { claimId, status: ClaimStatus.Pended, planTotal: pended.args.exposure as bigint, memberTotal: 0n, outcomes: (pended.args.preview as LineOutcome[]).map(outcomeOf), paid, queued, owedBack, recovered };
  }
}

/** A claim's events, decoded. */
export interface ClaimHistory {
  readonly claimId: string;
  readonly submission: ClaimSubmission;
  readonly submitter: string;
  readonly submittedAt: number;
  /** The claim this one corrects or resubmits. */
  readonly replaces?: string;
  /** The claim that corrected or resubmitted this one. */
  readonly replacedBy?: string;
  /** What the plan had committed for the service over the chain this claim replaced. */
  readonly credit: bigint;
  /** What the rules would decide, for a claim that pended. */
  readonly preview?: readonly LineOutcome[];
  /** The plan's share the rules computed, reserved in escrow, for a claim that pended. */
  readonly exposure?: bigint;
  /** When the claim was last decided (unix seconds of its last adjudication's block; 0 if none). */
  readonly decidedAt: number;
  readonly adjudications: readonly { status: ClaimStatus; adjuster: string; planTotal: bigint; memberTotal: bigint; outcomes: readonly LineOutcome[]; blockNumber: number }[];
  /** The claim's line outcomes, summed over its adjudications. */
  readonly outcomes: readonly LineOutcome[];
  readonly adjuster: string;
  readonly planTotal: bigint;
  readonly memberTotal: bigint;
  readonly payments: readonly { payee: string; amount: bigint; blockNumber: number }[];
  readonly queued: readonly { position: number; amount: bigint; blockNumber: number }[];
  readonly appeals: readonly { appellant: string; blockNumber: number }[];
  /** Queued payments the token refused to deliver to `payee`: parked for the provider (not in `payments`). */
  readonly parked: readonly { payee: string; amount: bigint; blockNumber: number }[];
  /** Overpayments this claim booked against the provider (a correction paying less than the chain had, a void). */
  readonly owedBack: readonly { amount: bigint; blockNumber: number }[];
  /** What the provider owed, offset against this claim's payments (recoupment: kept in escrow, not in `payments`). */
  readonly recovered: readonly { amount: bigint; blockNumber: number }[];
  /** Set when the provider voided the claim. */
  readonly voided?: { by: string; owed: bigint; blockNumber: number };
  /** What the claim holds of its prior authorization. */
  readonly authUsed: bigint;
}

/** Rebuilds a claim's record from its history. */
export function recordFromHistory(h: ClaimHistory): ClaimRecord {
  const s = h.submission;
  const decided = h.adjudications.length > 0;
  // A pended claim's record holds the rules' preview amounts; it applied no cost sharing.
  const outcomes = decided ? h.outcomes : h.preview ?? [];
  return {
    planId: s.planId,
    member: s.member,
    providerOrg: s.providerOrg,
    serviceDate: s.serviceDate,
    evidence: s.evidence,
    adjuster: h.adjuster,
    decidedAt: h.decidedAt,
    authId: s.authId,
    authUsed: h.authUsed,
    credit: h.credit,
    planPaid: decided ? h.planTotal : (h.exposure ?? 0n),
    deductible: decided ? outcomes.reduce((sum, o) => sum + o.deductible, 0n) : 0n,
    memberShare: decided ? h.memberTotal : 0n,
    lines: s.lines,
    allowed: outcomes.map((o) => o.allowed),
  };
}

/**
 * A line's ceiling for an adjuster: min(charged, fee x units, what is left of the code's per-claim
 * cap), or the charge (within the cap) for a code without a fee. `capUsed` is what the claim's
 * earlier lines of the same code are allowed.
 */
export function lineCeiling(line: ClaimLine, b: Pick<BenefitRule, "fee" | "perClaimCap">, capUsed = 0n): bigint {
  const cap = b.perClaimCap ?? 0n;
  let a = b.fee === 0n ? line.charged : b.fee * BigInt(line.units) < line.charged ? b.fee * BigInt(line.units) : line.charged;
  if (cap !== 0n) {
    const left = cap > capUsed ? cap - capUsed : 0n;
    if (a > left) a = left;
  }
  return a;
}

/** The struct the contract takes for a submission (without its `evidenceProof`, sent beside it). */
export function toSubmissionStruct(s: ClaimSubmission) {
  const { evidenceProof: _proof, ...claim } = s;
  return { ...claim, lines: s.lines.map((l) => ({ ...l })) };
}

/** The struct the contract takes for a record. */
export function toRecordStruct(r: ClaimRecord) {
  return { ...r, lines: r.lines.map((l) => ({ ...l })), allowed: [...r.allowed] };
}

// ------------------------------------------------------------------------------------------ plan files

/** A plan as a JSON file describes it: decimal amounts in the settlement currency, dates, days. */
export interface PlanFile {
  readonly token?: string;
  readonly decimals?: number;
  readonly deductible: string | number;
  readonly outOfPocketMax: string | number;
  readonly annualCap?: string | number;
  readonly autoApprovalLimit: string | number;
  readonly start: string;
  /** The month and day the plan's years begin on, "MM-DD" (default "01-01": a calendar-year plan). */
  readonly yearStart?: string;
  readonly filingWindowDays: number;
  readonly appealWindowDays: number;
  readonly benefits: readonly {
    readonly system: string;
    readonly code: string;
    readonly fee: string | number;
    readonly copay?: string | number;
    readonly coinsurancePercent?: number;
    readonly priorAuth?: boolean;
    readonly review?: boolean;
    readonly perClaimCap?: string | number;
    /** "deductible-copay-coinsurance" (default), "copay-only" or "deductible-coinsurance". */
    readonly costSharing?: string;
  }[];
}

/**
 * Reads a plan file into the terms and benefit rules the client takes.
 * @param token the settlement token (overrides the file's)
 * @throws {ValidationError} naming the field that is wrong (e.g. `benefits[3].fee`)
 */
export function planFromJson(value: unknown, token?: string): { terms: PlanTerms; benefits: BenefitRule[] } {
  if (value === null || typeof value !== "object") throw new ValidationError("plan", "is not a JSON object");
  const p = value as PlanFile;
  const decimals = p.decimals ?? 6;
  const amt = (field: string, v: string | number | undefined) => (v === undefined ? 0n : toUnits(v, decimals, field));
  const days = (field: string, v: unknown) => {
    if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) throw new ValidationError(field, `${JSON.stringify(v)} is not a positive number of days`);
    return v * SECONDS_PER_DAY;
  };
  if (!Array.isArray(p.benefits) || p.benefits.length === 0) throw new ValidationError("benefits", "a plan lists at least one benefit rule");
  const terms: PlanTerms = {
    token: requireAddress("token", token ?? p.token),
    deductible: amt("deductible", p.deductible),
    outOfPocketMax: amt("outOfPocketMax", p.outOfPocketMax),
    annualCap: amt("annualCap", p.annualCap),
    autoApprovalLimit: amt("autoApprovalLimit", p.autoApprovalLimit),
    start: dayTimestamp(p.start, "start"),
    ...yearStartOf(p.yearStart),
    filingWindow: days("filingWindowDays", p.filingWindowDays),
    appealWindow: days("appealWindowDays", p.appealWindowDays),
  };
  const benefits = p.benefits.map((b, i) => {
    const pct = b.coinsurancePercent ?? 0;
    if (typeof pct !== "number" || pct < 0 || pct > 100) throw new ValidationError(`benefits[${i}].coinsurancePercent`, `${JSON.stringify(pct)} is not 0 to 100`);
    return {
      code: procedureCode(b.system, b.code, `benefits[${i}]`),
      fee: amt(`benefits[${i}].fee`, b.fee),
      copay: amt(`benefits[${i}].copay`, b.copay),
      coinsuranceBps: Math.round(pct * 100),
      priorAuth: b.priorAuth ?? false,
      review: b.review ?? false,
      perClaimCap: amt(`benefits[${i}].perClaimCap`, b.perClaimCap),
      costSharing: costSharingOf(b.costSharing, `benefits[${i}].costSharing`),
    };
  });
  return { terms, benefits };
}

function yearStartOf(value: unknown): { yearStartMonth: number; yearStartDay: number } {
  if (value === undefined) return requireYearStart();
  const m = typeof value === "string" ? /^(\d{2})-(\d{2})$/.exec(value) : null;
  if (!m) throw new ValidationError("yearStart", `${JSON.stringify(value)} is not a month and day ("MM-DD", e.g. "01-01")`);
  return requireYearStart(Number(m[1]), Number(m[2]));
}

function costSharingOf(value: unknown, field: string): CostSharing {
  if (value === undefined) return CostSharing.DeductibleCopayCoinsurance;
  const design = typeof value === "string" ? COST_SHARING_NAMES[value] : undefined;
  if (design === undefined) throw new ValidationError(field, `${JSON.stringify(value)} is not one of ${Object.keys(COST_SHARING_NAMES).join(", ")}`);
  return design;
}
