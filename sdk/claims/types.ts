/**
 * The claims' types: lines, submissions and the record whose hash is on chain, line outcomes, plan
 * terms and benefit rules, decisions, and what the client reads and decodes (states, histories,
 * adjudication results, parked releases).
 */
import type { TimeInput } from "../core/validate";
import type { ClaimStatus, CostSharing } from "./vocab";

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

/** A plan's terms as {@link ClaimsClient.createPlan} takes them: `start` any {@link TimeInput} (e.g. `"2026-01-01"`). */
export type PlanTermsInput = Omit<PlanTerms, "start"> & { readonly start: TimeInput };

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

/** A claim as {@link ClaimsReader.list} lists it: who billed what for whom, when, and its status now. */
export interface ClaimListing {
  readonly claimId: string;
  readonly planId: bigint;
  readonly member: string;
  readonly providerOrg: bigint;
  /** The day of service (midnight UTC, seconds). */
  readonly serviceDate: number;
  /** The block of its submission. */
  readonly submittedInBlock: number;
  /** Its status as the chain holds it now. */
  readonly status: ClaimStatus;
}

/** What {@link ClaimsReader.list} selects by; every field narrows, none given lists every claim. */
export interface ClaimFilter {
  readonly planId?: bigint | number | string;
  readonly providerOrg?: bigint | number | string;
  readonly member?: string;
  /** One status or several (words, enum names or values; see {@link claimStatusOf}). */
  readonly status?: ClaimStatus | string | readonly (ClaimStatus | string)[];
}
