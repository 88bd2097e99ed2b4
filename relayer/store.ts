/**
 * The relayer's actions in the database (relayer/migrations): recorded before anything is paid, each
 * keyed by its signed digest; claimed for submission under a row lock (`FOR UPDATE SKIP LOCKED`, so
 * several instances sharing one PostgreSQL submit each action once); its signed transaction written
 * before it is broadcast; settled from the chain. A patient's allowance is counted here, under a lock
 * per patient, so every instance sharing the database enforces one limit.
 */
import type { Database } from "../gateway/db";
import { jsonSafe, RelayerProblem } from "./problem";

/** An action as `GET /actions/{id}` answers it (the SDK's `RelayedAction`). */
export interface ActionView {
  readonly id: string;
  readonly kind: string;
  readonly patient: string;
  readonly status: "accepted" | "submitted" | "confirmed" | "failed";
  readonly txHash?: string;
  readonly blockNumber?: number;
  readonly result?: Record<string, unknown>;
  readonly reason?: { readonly code: string; readonly message: string; readonly errorName?: string };
  readonly acceptedAt: string;
  readonly updatedAt: string;
}

/** A row, as the sender reads it. */
export interface ActionRow {
  readonly id: string;
  readonly kind: string;
  readonly patient: string;
  readonly body: unknown;
  /** `preparing`: claimed by a sender, its transaction not yet signed and written (answered as `accepted`). */
  readonly status: ActionView["status"] | "preparing";
  readonly sender: string | null;
  readonly tx_nonce: string | null;
  readonly tx_hash: string | null;
  readonly raw_tx: string | null;
  readonly block_number: string | null;
  readonly result: Record<string, unknown> | null;
  readonly reason: ActionView["reason"] | null;
  readonly accepted_at: Date;
  readonly updated_at: Date;
}

/** A patient's allowance: at most `actions` accepted in any `windowSeconds`. */
export interface PatientLimit {
  readonly actions: number;
  readonly windowSeconds: number;
}

/** What the claim of an action ends in: its signed transaction, or its failure before any was signed. */
export type ClaimOutcome =
  | { readonly status: "submitted"; readonly nonce: number; readonly txHash: string; readonly rawTx: string; readonly gasLimit: bigint }
  | { readonly status: "failed"; readonly reason: NonNullable<ActionView["reason"]> };

export function viewOf(r: ActionRow): ActionView {
  return {
    id: r.id,
    kind: r.kind,
    patient: r.patient,
    status: r.status === "preparing" ? "accepted" : r.status,
    txHash: r.tx_hash ?? undefined,
    blockNumber: r.block_number === null ? undefined : Number(r.block_number),
    result: r.result ?? undefined,
    reason: r.reason ?? undefined,
    acceptedAt: r.accepted_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

export class ActionStore {
  constructor(readonly db: Database) {}

  /** The action `id`, if recorded. */
  async find(id: string): Promise<ActionRow | undefined> {
    return (await this.db.pool.query<ActionRow>("SELECT * FROM relayer_actions WHERE id = $1", [id])).rows[0];
  }

  /**
   * Records an action as accepted, unless it was recorded before (then it is returned as it is, and counts
   * against nothing). A new one counts against its patient's allowance, checked and spent under a lock
   * held by the patient's key for the transaction: two instances never both let through the last one.
   * @throws {RelayerProblem} 429 `RATE_LIMITED` with Retry-After
   */
  async record(action: { id: string; kind: string; patient: string; body: unknown }, limit: PatientLimit | undefined, overall?: PatientLimit): Promise<{ row: ActionRow; created: boolean }> {
    const patient = action.patient.toLowerCase();
    return this.db.transaction(async (c) => {
      await c.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`relayer:patient:${patient}`]);
      const known = (await c.query<ActionRow>("SELECT * FROM relayer_actions WHERE id = $1", [action.id])).rows[0];
      if (known !== undefined) return { row: known, created: false };
      if (limit !== undefined) {
        const used = (
          await c.query<{ n: string; wait: string | null }>(
            `SELECT count(*) AS n, ceil(extract(epoch FROM min(accepted_at) + make_interval(secs => $2) - now()))::text AS wait
               FROM relayer_actions WHERE patient = $1 AND accepted_at > now() - make_interval(secs => $2)`,
            [patient, limit.windowSeconds],
          )
        ).rows[0];
        if (Number(used.n) >= limit.actions) {
          const wait = Math.max(1, Number(used.wait ?? 1));
          throw new RelayerProblem(429, "RATE_LIMITED", `this patient's allowance of ${limit.actions} action(s) in ${limit.windowSeconds} s is used: try again in ${wait} s`, {
            headers: { "retry-after": String(wait) },
          });
        }
      }
      if (overall !== undefined) {
        // The relayer's own allowance, every patient's actions together: what anyone holding fresh keys can
        // make it pay is bounded (each new key is a new patient). Taken after the patient's lock, always.
        await c.query("SELECT pg_advisory_xact_lock(hashtext('relayer:overall'))");
        const used = (
          await c.query<{ n: string; wait: string | null }>(
            `SELECT count(*) AS n, ceil(extract(epoch FROM min(accepted_at) + make_interval(secs => $1) - now()))::text AS wait
               FROM relayer_actions WHERE accepted_at > now() - make_interval(secs => $1)`,
            [overall.windowSeconds],
          )
        ).rows[0];
        if (Number(used.n) >= overall.actions) {
          const wait = Math.max(1, Number(used.wait ?? 1));
          throw new RelayerProblem(503, "RELAYER_BUSY", `this relayer's allowance of ${overall.actions} action(s) in ${overall.windowSeconds} s, for all patients together, is used: try again in ${wait} s`, {
            headers: { "retry-after": String(wait) },
          });
        }
      }
      const row = (
        await c.query<ActionRow>("INSERT INTO relayer_actions (id, kind, patient, body, status) VALUES ($1, $2, $3, $4, 'accepted') RETURNING *", [
          action.id,
          action.kind,
          patient,
          JSON.stringify(action.body),
        ])
      ).rows[0];
      return { row, created: true };
    });
  }

  /**
   * Claims the oldest accepted action no other instance holds: marked `preparing` by `sender` in a short
   * transaction of its own, so that nothing waits on the node while the transaction is prepared (PGlite has
   * one connection). Then {@link settleClaim} writes what the preparing came to.
   * @returns the row claimed, or undefined when there was nothing to claim
   */
  async claimNext(sender: string): Promise<ActionRow | undefined> {
    return (
      await this.db.pool.query<ActionRow>(
        `UPDATE relayer_actions SET status = 'preparing', sender = $1, updated_at = now()
          WHERE id = (SELECT id FROM relayer_actions WHERE status = 'accepted' ORDER BY accepted_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
          RETURNING *`,
        [sender.toLowerCase()],
      )
    ).rows[0];
  }

  /**
   * Writes what the preparing of a claimed action came to: its transaction, signed (written before it is
   * broadcast), or its failure. Only while `sender` still holds the claim.
   * @returns the row as written, or undefined when the claim was taken back meanwhile (nothing is broadcast)
   */
  async settleClaim(id: string, sender: string, out: ClaimOutcome): Promise<ActionRow | undefined> {
    if (out.status === "failed") {
      return (
        await this.db.pool.query<ActionRow>("UPDATE relayer_actions SET status = 'failed', reason = $3, updated_at = now() WHERE id = $1 AND status = 'preparing' AND sender = $2 RETURNING *", [
          id,
          sender.toLowerCase(),
          JSON.stringify(out.reason),
        ])
      ).rows[0];
    }
    return (
      await this.db.pool.query<ActionRow>(
        "UPDATE relayer_actions SET status = 'submitted', tx_nonce = $3, tx_hash = $4, raw_tx = $5, gas_limit = $6, updated_at = now() WHERE id = $1 AND status = 'preparing' AND sender = $2 RETURNING *",
        [id, sender.toLowerCase(), out.nonce, out.txHash, out.rawTx, out.gasLimit.toString()],
      )
    ).rows[0];
  }

  /**
   * Gives back the claims no transaction was written for: `sender`'s own (left by a process of its key that
   * stopped while preparing; a round starts with none of its own under way) and those of a key whose lease
   * has ended. Nothing was signed for them, so nothing can be paid twice.
   */
  async reopenClaims(sender: string): Promise<number> {
    const r = await this.db.pool.query(
      `UPDATE relayer_actions a SET status = 'accepted', sender = NULL, updated_at = now()
        WHERE a.status = 'preparing'
          AND (a.sender = $1 OR NOT EXISTS (SELECT 1 FROM relayer_signers s WHERE s.address = a.sender AND s.lease_until > now()))`,
      [sender.toLowerCase()],
    );
    return r.rowCount ?? 0;
  }

  /** The highest nonce among `sender`'s transactions not yet settled (-1 when none). */
  async highestOpenNonce(sender: string): Promise<number> {
    const r = await this.db.pool.query<{ n: string | null }>("SELECT max(tx_nonce)::text AS n FROM relayer_actions WHERE sender = $1 AND status = 'submitted'", [sender.toLowerCase()]);
    return r.rows[0].n === null ? -1 : Number(r.rows[0].n);
  }

  /** `sender`'s submitted actions, lowest nonce first. */
  async submittedBy(sender: string): Promise<ActionRow[]> {
    return (await this.db.pool.query<ActionRow>("SELECT * FROM relayer_actions WHERE sender = $1 AND status = 'submitted' ORDER BY tx_nonce", [sender.toLowerCase()])).rows;
  }

  async confirm(id: string, blockNumber: number, result: Record<string, unknown>): Promise<void> {
    await this.db.pool.query("UPDATE relayer_actions SET status = 'confirmed', block_number = $2, result = $3, updated_at = now() WHERE id = $1 AND status = 'submitted'", [id, blockNumber, JSON.stringify(jsonSafe(result))]);
  }

  async fail(id: string, reason: NonNullable<ActionView["reason"]>, blockNumber?: number): Promise<void> {
    await this.db.pool.query("UPDATE relayer_actions SET status = 'failed', reason = $2, block_number = $3, updated_at = now() WHERE id = $1 AND status = 'submitted'", [id, JSON.stringify(reason), blockNumber ?? null]);
  }

  /** Puts a submitted action whose transaction never reached the chain back to be claimed again. */
  async reopen(id: string): Promise<void> {
    await this.db.pool.query("UPDATE relayer_actions SET status = 'accepted', sender = NULL, tx_nonce = NULL, tx_hash = NULL, raw_tx = NULL, gas_limit = NULL, updated_at = now() WHERE id = $1 AND status = 'submitted'", [id]);
  }

  /** How many actions are accepted or submitted. */
  async pending(): Promise<number> {
    return Number((await this.db.pool.query<{ n: string }>("SELECT count(*) AS n FROM relayer_actions WHERE status IN ('accepted', 'submitted')")).rows[0].n);
  }

  /**
   * Takes or renews `instance`'s lease on signing with `address` for `seconds`: false while another
   * instance holds an unexpired one (one process signs with one key: its nonces are its own).
   */
  async lease(address: string, instance: string, seconds: number): Promise<boolean> {
    const r = await this.db.pool.query(
      `INSERT INTO relayer_signers (address, instance, lease_until) VALUES ($1, $2, now() + make_interval(secs => $3))
       ON CONFLICT (address) DO UPDATE SET instance = EXCLUDED.instance, lease_until = EXCLUDED.lease_until
       WHERE relayer_signers.instance = EXCLUDED.instance OR relayer_signers.lease_until < now()
       RETURNING instance`,
      [address.toLowerCase(), instance, seconds],
    );
    return r.rowCount === 1;
  }

  /** Gives the lease back (at a clean stop). */
  async release(address: string, instance: string): Promise<void> {
    await this.db.pool.query("DELETE FROM relayer_signers WHERE address = $1 AND instance = $2", [address.toLowerCase(), instance]);
  }
}
