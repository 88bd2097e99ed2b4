/**
 * The claims' closed vocabularies, shared with the contracts: claim statuses, cost-sharing designs,
 * the CARC reason codes the rules use, and the code systems the SDK puts on chain. Numeric values
 * are the Solidity enum values and must never be reordered.
 */

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

/** Each {@link ClaimStatus} in words, by value, as the tasks print it and errors say it. */
export const CLAIM_STATUS_NAMES: Readonly<Record<ClaimStatus, string>> = {
  [ClaimStatus.None]: "unknown",
  [ClaimStatus.Pended]: "pended",
  [ClaimStatus.Approved]: "approved",
  [ClaimStatus.Partial]: "partly approved",
  [ClaimStatus.Denied]: "denied",
  [ClaimStatus.Appealed]: "under appeal",
  [ClaimStatus.Upheld]: "upheld on appeal",
  [ClaimStatus.Overturned]: "overturned on appeal",
  [ClaimStatus.Replaced]: "replaced",
  [ClaimStatus.Voided]: "voided",
};

/** A claim status in words (`"partly approved"`), or `status <n>` for a value this SDK does not know. */
export function claimStatusName(status: ClaimStatus | number | bigint): string {
  return CLAIM_STATUS_NAMES[Number(status) as ClaimStatus] ?? `status ${status}`;
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

/** Seconds in a day: service dates are days (midnight UTC), plan windows whole days. */
export const SECONDS_PER_DAY = 86_400;

/** The most lines a claim has, as `ClaimsEngine.MAX_LINES()`. */
export const MAX_LINES = 20;

/**
 * The most items one call takes, as `ClaimsEngine.MAX_BATCH()`: benefit rules per `setBenefits`,
 * queued payments per `payQueued`.
 */
export const MAX_BATCH = 50;
