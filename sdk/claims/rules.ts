/**
 * The claims' input rules, checked before anything is sent: amounts (decimal amounts to token units,
 * rounded half-to-even to cents), days and times, plan-year starts and windows, a submission as a
 * whole, and the ceiling of a line an adjuster may allow.
 */
import { ValidationError } from "../errors";
import { requireAddress, requireBytes32, requireId, requireTime, utcMidnight, type TimeInput } from "../core/validate";
import type { BenefitRule, ClaimLine, ClaimSubmission } from "./types";
import { CLAIM_STATUS_NAMES, ClaimStatus, MAX_LINES, SECONDS_PER_DAY } from "./vocab";

/** Times are the SDK's one time input (see {@link TimeInput}). */
export { requireTime };

/** The most siblings the SDK sends in an evidence proof (the registry refuses one longer than its batch's depth). */
const MAX_PROOF_LENGTH = 64;

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

/** A number as plain decimal digits (no exponent); "x" (refused by {@link toUnits}) for a negative or non-finite one. */
function plainNumber(v: number): string {
  if (!Number.isFinite(v) || v < 0) return "x";
  const s = String(v);
  return /e/i.test(s) ? v.toFixed(20).replace(/0+$/, "").replace(/\.$/, "") : s;
}

/**
 * Midnight UTC of a day in unix seconds: of `"2024-03-05"` (or the date part of a FHIR dateTime,
 * `"2024-03-05T10:00:00Z"`), or the day holding a `Date` or a time in seconds. A day that does not
 * exist (`"2025-02-30"`) is refused, never rolled over into another month.
 * @throws {ValidationError} naming `field` when it is not a date
 */
export function dayTimestamp(value: TimeInput, field = "date"): number {
  const t = typeof value === "string" ? utcMidnight(field, value) : requireTime(field, value);
  return t - (t % SECONDS_PER_DAY);
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

/** An amount in token units (0 to 2^96-1). @throws {ValidationError} naming `field` */
export function requireAmount(field: string, value: unknown, { allowZero = true } = {}): bigint {
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

/** A day: a {@link TimeInput} at midnight UTC, e.g. "YYYY-MM-DD" (other times are refused, never rounded). */
export function requireDay(field: string, value: unknown): number {
  const t = requireTime(field, value);
  if (t % SECONDS_PER_DAY !== 0) {
    throw new ValidationError(field, `${t} is not a day: give midnight UTC (${t - (t % SECONDS_PER_DAY)}) or "YYYY-MM-DD", so one visit is one claim`);
  }
  return t;
}

/** The month and day a plan's years begin on (default January 1); February 29 is refused. */
export function requireYearStart(month: unknown = 1, day: unknown = 1): { yearStartMonth: number; yearStartDay: number } {
  if (typeof month !== "number" || !Number.isInteger(month) || month < 1 || month > 12) throw new ValidationError("yearStartMonth", `${JSON.stringify(month)} is not a month (1 to 12)`);
  const days = new Date(Date.UTC(2001, month, 0)).getUTCDate(); // 2001: a common year
  if (typeof day !== "number" || !Number.isInteger(day) || day < 1 || day > days) {
    throw new ValidationError("yearStartDay", `${JSON.stringify(day)} is not a day of month ${month} (1 to ${days}${month === 2 ? "; a plan year may not begin on February 29" : ""})`);
  }
  return { yearStartMonth: month, yearStartDay: day };
}

/** A window in seconds (1 to 2^32-1). @throws {ValidationError} naming `field` */
export function requireSeconds(field: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0 || value >= 2 ** 32) throw new ValidationError(field, `${JSON.stringify(value)} is not a number of seconds (1 to 2^32-1)`);
  return value;
}

/** Checks and normalizes a submission. @throws {ValidationError} naming the field */
export function validateSubmission(s: ClaimSubmission): ClaimSubmission {
  if (!Array.isArray(s.lines) || s.lines.length === 0 || s.lines.length > MAX_LINES) throw new ValidationError("lines", `a claim has 1 to ${MAX_LINES} lines`);
  const evidenceProof = s.evidenceProof === undefined ? {} : { evidenceProof: requireEvidenceProof(s.evidenceProof) };
  return {
    ...evidenceProof,
    planId: requireId("planId", s.planId),
    member: requireAddress("member", s.member),
    providerOrg: requireId("providerOrg", s.providerOrg),
    serviceDate: requireDay("serviceDate", s.serviceDate),
    authId: s.authId === undefined ? 0n : requireId("authId", s.authId, { allowZero: true }),
    evidence: requireBytes32("evidence", s.evidence),
    lines: s.lines.map((l, i) => {
      if (!Number.isSafeInteger(l.units) || l.units < 1 || l.units >= 2 ** 32) throw new ValidationError(`lines[${i}].units`, `${JSON.stringify(l.units)} is not a positive whole number`);
      return { code: requireBytes32(`lines[${i}].code`, l.code), units: l.units, charged: requireAmount(`lines[${i}].charged`, l.charged) };
    }),
  };
}

/** A batch evidence proof: its root and at most 64 siblings. @throws {ValidationError} naming the field */
function requireEvidenceProof(p: { root: string; proof: readonly string[] }): { root: string; proof: string[] } {
  if (p === null || typeof p !== "object" || !Array.isArray(p.proof)) throw new ValidationError("evidenceProof", "is not { root, proof: [...] }");
  if (p.proof.length > MAX_PROOF_LENGTH) throw new ValidationError("evidenceProof.proof", `${p.proof.length} siblings: a batch's proof has at most ${MAX_PROOF_LENGTH}`);
  return { root: requireBytes32("evidenceProof.root", p.root), proof: p.proof.map((h, i) => requireBytes32(`evidenceProof.proof[${i}]`, h)) };
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

/**
 * A claim status given by its words (`"partly approved"`, case-insensitive, `-` or `_` for spaces),
 * its enum name (`Partial`) or its value.
 * @throws {ValidationError} naming `field` and the statuses there are
 */
export function claimStatusOf(field: string, value: unknown): ClaimStatus {
  if (typeof value === "number" && CLAIM_STATUS_NAMES[value as ClaimStatus] !== undefined && value !== ClaimStatus.None) return value as ClaimStatus;
  if (typeof value === "string") {
    const words = value.trim().toLowerCase().replace(/[-_]/g, " ");
    for (const [status, name] of Object.entries(CLAIM_STATUS_NAMES)) {
      if (Number(status) !== ClaimStatus.None && (name === words || ClaimStatus[Number(status)].toLowerCase() === words)) return Number(status) as ClaimStatus;
    }
  }
  const names = Object.entries(CLAIM_STATUS_NAMES).filter(([v]) => Number(v) !== ClaimStatus.None).map(([, n]) => n);
  throw new ValidationError(field, `${JSON.stringify(value)} is not a claim status: use one of ${names.join(", ")}`);
}
