/**
 * Plan files: a plan as a JSON file describes it (decimal amounts in the settlement currency, dates,
 * days, code systems and codes), read into the terms and benefit rules the claims client takes.
 */
import { ValidationError } from "../errors";
import { requireAddress } from "../core/validate";
import { procedureCode } from "./encoding";
import { dayTimestamp, requireYearStart, toUnits } from "./rules";
import type { BenefitRule, PlanTerms } from "./types";
import { COST_SHARING_NAMES, CostSharing, SECONDS_PER_DAY } from "./vocab";

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
