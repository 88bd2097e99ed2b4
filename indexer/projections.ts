/**
 * Reading the parts' state from the projections (indexer/migrations/1797120000000_projections.sql): a
 * patient's grants and their status at chain time, claims with their status now, and a claim's whole
 * history rebuilt from the stored logs by the SDK's own mapping (sdk/claims/history.ts), so an
 * ExplanationOfBenefit from the indexer is the one the SDK makes from the node.
 */
import { claimHistoryFrom, claimStateFrom, claimStatusFrom, CLAIM_EVENT_KINDS, type ClaimEventLog, type ClaimEventLogs } from "../sdk/claims/history";
import type { ClaimHistory, ClaimState } from "../sdk/claims/types";
import { ClaimStatus } from "../sdk/claims/vocab";
import { grantRecordFrom } from "../sdk/consent/events";
import { EXPIRING_SOON_SECONDS, GRANT_STATUSES, type GrantRecord, type GrantStatus } from "../sdk/consent/params";
import type { Database } from "../gateway/db";
import { SUITE_INTERFACES } from "./decode";


/** A grant as the indexer answers it: the SDK's record, its status at `at`, and when it was revoked. */
export interface IndexedGrant extends GrantRecord {
  readonly status: GrantStatus;
  readonly logIndex: number;
  /** When it was granted (the block's time). */
  readonly grantedAt: number;
  readonly revokedAt?: number;
  readonly revokedInBlock?: number;
}

/** Where a page starts: after this event. */
export interface After {
  readonly block: number;
  readonly log: number;
}

/** The last block indexed and its time (the chain's "now" for statuses), or undefined before any. */
export async function chainHead(db: Database): Promise<{ readonly block: number; readonly time: number } | undefined> {
  const r = await db.pool.query<{ number: string; timestamp: string }>(
    "SELECT b.number, b.timestamp FROM indexed_blocks b, indexer_state s WHERE b.number <= s.next_block - 1 ORDER BY b.number DESC LIMIT 1",
  );
  return r.rows.length === 0 ? undefined : { block: Number(r.rows[0].number), time: Number(r.rows[0].timestamp) };
}

/** The time of the last block indexed (the chain's "now" for statuses), or undefined before any. */
export async function chainTime(db: Database): Promise<number | undefined> {
  return (await chainHead(db))?.time;
}

export interface GrantQuery {
  readonly patient?: string;
  /** A grantee key (sdk/consent/vocab.ts `granteeKey`). */
  readonly grantee?: string;
  /** A data class's bit position. */
  readonly dataClass?: number;
  /** A purpose's bit position. */
  readonly purpose?: number;
  /** Statuses wanted (default: all but superseded). */
  readonly statuses?: readonly GrantStatus[];
}

// The statuses are the SDK's (sdk/consent/params.ts, grantStatusAt), computed here in SQL so that a page can
// be filtered by them: test/indexer/projections.test.ts checks each listed grant against grantStatusAt.

interface GrantRow {
  args: Record<string, string>;
  block_number: string;
  log_index: number;
  tx_hash: string;
  block_time: string;
  revoked_block: string | null;
  revoked_at: string | null;
  status: GrantStatus;
}

/** Grants matching `q` at time `now`, oldest first, after `after`; up to `count + 1` (the extra one says a next page exists). */
export async function grantsPage(db: Database, q: GrantQuery, now: number, after: After | undefined, count: number): Promise<IndexedGrant[]> {
  const values: unknown[] = [now, EXPIRING_SOON_SECONDS];
  const where: string[] = [];
  const add = (sql: (p: string) => string, value: unknown) => {
    values.push(value);
    where.push(sql(`$${values.length}`));
  };
  if (q.patient !== undefined) add((p) => `patient = ${p}`, q.patient);
  if (q.grantee !== undefined) add((p) => `grantee = ${p}`, q.grantee);
  if (q.dataClass !== undefined) add((p) => `((args->>'classes')::bigint >> ${p}::int) & 1 = 1`, q.dataClass);
  if (q.purpose !== undefined) add((p) => `((args->>'purposes')::bigint >> ${p}::int) & 1 = 1`, q.purpose);
  add((p) => `status = ANY(${p}::text[])`, q.statuses ?? GRANT_STATUSES.filter((s) => s !== "superseded"));
  if (after !== undefined) {
    values.push(after.block, after.log);
    where.push(`(block_number, log_index) > ($${values.length - 1}, $${values.length})`);
  }
  values.push(count + 1);
  const r = await db.pool.query<GrantRow>(
    `SELECT * FROM (
       SELECT patient, grantee, args, block_number, log_index, tx_hash, block_time, revoked_block, revoked_at,
         CASE WHEN revoked_block IS NOT NULL THEN 'revoked'
              WHEN superseded_block IS NOT NULL THEN 'superseded'
              WHEN (args->>'validFrom')::bigint > $1 THEN 'not-yet-active'
              WHEN (args->>'validUntil')::bigint <= $1 THEN 'expired'
              WHEN (args->>'validUntil')::bigint <= $1 + $2 THEN 'expiring-soon'
              ELSE 'active' END AS status
       FROM grant_history
     ) g WHERE ${where.join(" AND ")}
     ORDER BY block_number, log_index LIMIT $${values.length}`,
    values,
  );
  return r.rows.map((row) => ({
    ...grantRecordFrom(row.args, { blockNumber: Number(row.block_number), txHash: row.tx_hash }, row.status === "active" || row.status === "expiring-soon"),
    logIndex: row.log_index,
    grantedAt: Number(row.block_time),
    status: row.status,
    ...(row.revoked_block === null ? {} : { revokedInBlock: Number(row.revoked_block), revokedAt: Number(row.revoked_at) }),
  }));
}

export interface ClaimQuery {
  readonly planId?: string;
  readonly member?: string;
  readonly providerOrg?: string;
  readonly statuses?: readonly ClaimStatus[];
  /** Submitted at or after (seconds). */
  readonly since?: number;
  /** Submitted before (seconds). */
  readonly until?: number;
}

/** A claim as the indexer lists it: who billed what for whom, when, and its status now. */
export interface IndexedClaim {
  readonly claimId: string;
  readonly planId: string;
  readonly member: string;
  readonly providerOrg: string;
  /** The day of service (midnight UTC, seconds). */
  readonly serviceDate: number;
  /** The block of its submission. */
  readonly blockNumber: number;
  readonly logIndex: number;
  readonly txHash: string;
  readonly submittedAt: number;
  readonly status: ClaimStatus;
  /** When it came to its status (the block's time). */
  readonly statusSince: number;
}

interface ClaimRow {
  claim_id: string;
  plan_id: string;
  member: string;
  provider_org: string;
  service_date: string;
  block_number: string;
  log_index: number;
  tx_hash: string;
  submitted_at: string;
  status: number;
  status_at: string;
  args: { member: string };
}

/** Claims matching `q`, oldest submission first, after `after`; up to `count + 1`. */
export async function claimsPage(db: Database, q: ClaimQuery, after: After | undefined, count: number): Promise<IndexedClaim[]> {
  const values: unknown[] = [];
  const where: string[] = [];
  const add = (sql: (p: string) => string, value: unknown) => {
    values.push(value);
    where.push(sql(`$${values.length}`));
  };
  if (q.planId !== undefined) add((p) => `c.plan_id = ${p}`, q.planId);
  if (q.member !== undefined) add((p) => `c.member = ${p}`, q.member);
  if (q.providerOrg !== undefined) add((p) => `c.provider_org = ${p}`, q.providerOrg);
  if (q.statuses !== undefined) add((p) => `c.status = ANY(${p}::int[])`, q.statuses);
  if (q.since !== undefined) add((p) => `c.submitted_at >= ${p}`, q.since);
  if (q.until !== undefined) add((p) => `c.submitted_at < ${p}`, q.until);
  if (after !== undefined) {
    values.push(after.block, after.log);
    where.push(`(c.block_number, c.log_index) > ($${values.length - 1}, $${values.length})`);
  }
  values.push(count + 1);
  const r = await db.pool.query<ClaimRow>(
    `SELECT c.*, e.args FROM claim_states c JOIN events e ON (e.block_number, e.log_index) = (c.block_number, c.log_index)
     ${where.length > 0 ? "WHERE " + where.join(" AND ") : ""}
     ORDER BY c.block_number, c.log_index LIMIT $${values.length}`,
    values,
  );
  return r.rows.map((row) => ({
    claimId: row.claim_id,
    planId: row.plan_id,
    member: row.args.member,
    providerOrg: row.provider_org,
    serviceDate: Number(row.service_date),
    blockNumber: Number(row.block_number),
    logIndex: row.log_index,
    txHash: row.tx_hash,
    submittedAt: Number(row.submitted_at),
    status: row.status as ClaimStatus,
    statusSince: Number(row.status_at),
  }));
}

interface LogRow {
  claim: string;
  event: string;
  block_number: string;
  log_index: number;
  tx_hash: string;
  block_time: string;
  topic0: string;
  topic1: string | null;
  topic2: string | null;
  topic3: string | null;
  data: string;
}

/** A claim's history, state and the time of its last change, from the stored logs. */
export interface IndexedClaimHistory {
  readonly history: ClaimHistory;
  readonly state: ClaimState;
  /** The plan's insurer organization. */
  readonly insurerOrgId: bigint;
  /** When the claim last changed (its last event's block time). */
  readonly updatedAt: number;
}

/**
 * The histories of `claimIds` (each one submitted and indexed), rebuilt from their stored logs decoded
 * with the engine's interface, exactly as the SDK rebuilds them from a node's.
 */
export async function claimHistories(db: Database, claimIds: readonly string[]): Promise<Map<string, IndexedClaimHistory>> {
  const out = new Map<string, IndexedClaimHistory>();
  if (claimIds.length === 0) return out;
  const r = await db.pool.query<LogRow>(
    `SELECT claim_id AS claim, event, block_number, log_index, tx_hash, block_time, topic0, topic1, topic2, topic3, data
     FROM events WHERE contract = 'ClaimsEngine' AND (claim_id = ANY($1::text[]) OR (event = 'ClaimCorrected' AND topic2 = ANY($1::text[])))
     ORDER BY block_number, log_index`,
    [claimIds],
  );
  const plans = await db.pool.query<{ plan_id: string; insurer: string }>(
    `SELECT plan_id, args->>'insurerOrgId' AS insurer FROM events WHERE contract = 'ClaimsEngine' AND event = 'PlanCreated'
       AND plan_id IN (SELECT plan_id FROM events WHERE contract = 'ClaimsEngine' AND event = 'ClaimSubmitted' AND claim_id = ANY($1::text[]))`,
    [claimIds],
  );
  const insurers = new Map(plans.rows.map((p) => [p.plan_id, BigInt(p.insurer)]));
  const engine = SUITE_INTERFACES.ClaimsEngine;
  const byClaim = new Map<string, { row: LogRow; log: ClaimEventLog & { name: string } }[]>();
  for (const row of r.rows) {
    const parsed = engine.parseLog({ topics: [row.topic0, row.topic1, row.topic2, row.topic3].filter((t): t is string => t !== null), data: row.data });
    if (parsed === null) continue;
    const log = { name: parsed.name, args: parsed.args, blockNumber: Number(row.block_number), index: row.log_index, transactionHash: row.tx_hash };
    // A correction is an event of both claims: of the new one (what it replaces) and of the one replaced.
    const claims = row.event === "ClaimCorrected" ? [String(parsed.args.claimId), String(parsed.args.replaces)] : [row.claim];
    for (const id of claims) {
      if (!claimIds.includes(id)) continue;
      if (!byClaim.has(id)) byClaim.set(id, []);
      byClaim.get(id)?.push({ row, log });
    }
  }
  for (const id of claimIds) {
    const logs = byClaim.get(id) ?? [];
    const submitted = logs.find((l) => l.log.name === "ClaimSubmitted");
    if (submitted === undefined) continue;
    const kinds = Object.fromEntries(
      Object.entries(CLAIM_EVENT_KINDS).map(([kind, { event, by }]) => [kind, logs.filter((l) => l.log.name === event && String(l.log.args[by]) === id).map((l) => l.log)]),
    ) as unknown as Omit<ClaimEventLogs, "submitted">;
    const lastDecision = kinds.adjudicated[kinds.adjudicated.length - 1];
    const timeOf = (log: ClaimEventLog | undefined) => Number(logs.find((l) => l.log === log)?.row.block_time ?? 0);
    const history = claimHistoryFrom(id, { submitted: submitted.log, ...kinds }, timeOf(lastDecision));
    const status = claimStatusFrom(kinds);
    const state = claimStateFrom(history, status, kinds.voided[0] === undefined ? undefined : timeOf(kinds.voided[0]));
    out.set(id, { history, state, insurerOrgId: insurers.get(history.submission.planId.toString()) ?? 0n, updatedAt: Number(logs[logs.length - 1].row.block_time) });
  }
  return out;
}
