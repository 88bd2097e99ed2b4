/**
 * A claim's history and state from its events, pure: what {@link ClaimsReader} rebuilds from a node's
 * logs and the indexer from its database, the one mapping both use.
 */
import { ZeroAddress } from "ethers";
import { outcomeOf, recordFromHistory, recordHashOf, sumOutcomes } from "./encoding";
import type { ClaimHistory, ClaimState, ClaimSubmission, LineOutcome } from "./types";
import { ClaimStatus } from "./vocab";

/** One decoded event of a claim: its arguments by name (as ethers decodes them), block, log index and transaction. */
export interface ClaimEventLog {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly args: any;
  readonly blockNumber: number;
  readonly index: number;
  readonly transactionHash: string;
}

/**
 * The ClaimsEngine event of each kind of a claim's events besides its submission, and the argument that
 * names the claim: `corrected` is a correction naming it as the new claim (what it replaces), `replacedBy`
 * one naming it as the claim replaced.
 */
export const CLAIM_EVENT_KINDS = {
  corrected: { event: "ClaimCorrected", by: "claimId" },
  replacedBy: { event: "ClaimCorrected", by: "replaces" },
  pended: { event: "ClaimPended", by: "claimId" },
  adjudicated: { event: "ClaimAdjudicated", by: "claimId" },
  paid: { event: "ClaimPaid", by: "claimId" },
  queued: { event: "PaymentQueued", by: "claimId" },
  appealed: { event: "ClaimAppealed", by: "claimId" },
  parked: { event: "PaymentParked", by: "claimId" },
  owed: { event: "OverpaymentRecorded", by: "claimId" },
  recovered: { event: "OverpaymentRecovered", by: "claimId" },
  voided: { event: "ClaimVoided", by: "claimId" },
  authUsed: { event: "AuthorizationUsed", by: "claimId" },
  authReturned: { event: "AuthorizationReturned", by: "claimId" },
} as const;

/** A claim's events, by kind ({@link CLAIM_EVENT_KINDS}), each list oldest first, and its ClaimSubmitted. */
export type ClaimEventLogs = { readonly submitted: ClaimEventLog } & { readonly [K in keyof typeof CLAIM_EVENT_KINDS]: readonly ClaimEventLog[] };

/**
 * A claim's history from its events. `decidedAt` is the time of the block of its last adjudication (0
 * when none): the caller reads it from where the events came from.
 */
export function claimHistoryFrom(claimId: string, e: ClaimEventLogs, decidedAt: number): ClaimHistory {
  const s = e.submitted.args.submission;
  const submission: ClaimSubmission = {
    planId: s.planId,
    member: s.member,
    providerOrg: s.providerOrg,
    serviceDate: Number(s.serviceDate),
    authId: s.authId,
    evidence: s.evidence,
    lines: s.lines.map((l: { code: string; units: bigint; charged: bigint }) => ({ code: l.code, units: Number(l.units), charged: l.charged })),
  };
  const preview = e.pended[0] ? e.pended[0].args.preview.map(outcomeOf) : undefined;
  const stepOutcomes = (x: ClaimEventLog): LineOutcome[] => x.args.outcomes.map(outcomeOf);
  let outcomes: LineOutcome[] = [];
  for (const x of e.adjudicated) outcomes = sumOutcomes(outcomes, stepOutcomes(x));
  const last = e.adjudicated[e.adjudicated.length - 1];
  const sum = (events: readonly ClaimEventLog[]) => events.reduce((t, x) => t + (x.args.amount as bigint), 0n);
  const voided = e.voided[0];
  const replacedBy = e.replacedBy[0];
  return {
    claimId,
    submission,
    submitter: e.submitted.args.submitter,
    submittedAt: e.submitted.blockNumber,
    replaces: e.corrected[0]?.args.replaces,
    replacedBy: replacedBy?.args.claimId,
    credit: e.corrected[0]?.args.credit ?? 0n,
    preview,
    exposure: e.pended[0]?.args.exposure,
    decidedAt: last ? decidedAt : 0,
    adjudications: e.adjudicated.map((x) => ({ status: Number(x.args.status) as ClaimStatus, adjuster: x.args.adjuster, planTotal: x.args.planTotal, memberTotal: x.args.memberTotal, outcomes: stepOutcomes(x), blockNumber: x.blockNumber })),
    outcomes,
    adjuster: last?.args.adjuster ?? ZeroAddress,
    planTotal: last?.args.planTotal ?? 0n,
    memberTotal: last?.args.memberTotal ?? 0n,
    payments: e.paid.map((x) => ({ payee: x.args.payee, amount: x.args.amount, blockNumber: x.blockNumber })),
    queued: e.queued.map((x) => ({ position: Number(x.args.position), amount: x.args.amount, blockNumber: x.blockNumber })),
    appeals: e.appealed.map((x) => ({ appellant: x.args.appellant, blockNumber: x.blockNumber })),
    parked: e.parked.map((x) => ({ payee: x.args.payee, amount: x.args.amount, blockNumber: x.blockNumber })),
    owedBack: e.owed.map((x) => ({ amount: x.args.amount, blockNumber: x.blockNumber })),
    recovered: e.recovered.map((x) => ({ amount: x.args.amount, blockNumber: x.blockNumber })),
    voided: voided ? { by: voided.args.by, owed: voided.args.owed, blockNumber: voided.blockNumber } : undefined,
    // What its record holds: a retired claim's record keeps what it used (its give-back at retirement rewrote nothing).
    authUsed: sum(e.authUsed) - sum(e.authReturned.filter((x) => x.transactionHash !== voided?.transactionHash && x.transactionHash !== replacedBy?.transactionHash)),
  };
}

/**
 * A claim's status from its events: the last of its pending, adjudications, appeal, replacement and
 * void, in chain order — what the engine stores, for a reader that has only the events (the indexer).
 */
export function claimStatusFrom(e: Omit<ClaimEventLogs, "submitted">): ClaimStatus {
  const changes: { blockNumber: number; index: number; status: ClaimStatus }[] = [
    ...e.pended.map((x) => ({ ...x, status: ClaimStatus.Pended })),
    ...e.adjudicated.map((x) => ({ ...x, status: Number(x.args.status) as ClaimStatus })),
    ...e.appealed.map((x) => ({ ...x, status: ClaimStatus.Appealed })),
    ...e.replacedBy.map((x) => ({ ...x, status: ClaimStatus.Replaced })),
    ...e.voided.map((x) => ({ ...x, status: ClaimStatus.Voided })),
  ].sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
  return changes.length === 0 ? ClaimStatus.None : changes[changes.length - 1].status;
}

/**
 * A claim's state from its history, its status and, when voided, the time of the void's block: its
 * record rebuilt from the history and that record's hash (which a reader with the chain compares with
 * the one stored).
 */
export function claimStateFrom(h: ClaimHistory, status: ClaimStatus, voidedAt?: number): ClaimState {
  const record = recordFromHistory(h);
  return {
    claimId: h.claimId,
    status,
    planId: record.planId,
    decidedAt: voidedAt ?? record.decidedAt,
    planPaid: voidedAt === undefined ? record.planPaid : 0n,
    recordHash: recordHashOf(record),
  };
}
