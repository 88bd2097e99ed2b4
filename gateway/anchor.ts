/**
 * The anchoring worker: binds unrooted receipts to a Merkle root and anchors the root on chain
 * (`DisclosureLog.anchorDisclosures`, by the holder), every `intervalMs` or as soon as `maxReceipts` wait.
 *
 * Exactly once, across crashes and instances. Binding is one database transaction: the oldest unrooted
 * receipts are claimed with `FOR UPDATE SKIP LOCKED` (two instances never take the same rows), the tree is
 * built, each receipt gets its root and leaf index (its proof is rebuilt from the root's rows when asked:
 * gateway/receipts.ts, `withProofs`), and the root is recorded as `sending`. Only
 * then is the transaction sent. A root is never rebuilt: a `sending` root (a crash, a node that did not
 * answer) is re-sent as it is, and a chain that already holds it for this organization counts as sent.
 * So a receipt belongs to one root, and a root is anchored once. Anchors are per organization: another
 * organization anchoring the same root (copied from the mempool, say) neither counts as sent here nor
 * stops the organization's own transaction.
 */
import type { CareLedger } from "../sdk/careledger";
import { receiptTree } from "../sdk/exchange/receipts";
import type { Database } from "./db";
import { LEAF_COLUMNS, leavesOf, type LeafRow } from "./receipts";

/** Rows a round reads first (more, sized from the receipts they held, until a root's worth). */
const FIRST_CHUNK = 64;

/** Options of {@link AnchorWorker}. */
export interface AnchorOptions {
  /** How often the worker looks for receipts (default 5,000 ms). */
  readonly intervalMs?: number;
  /** Most receipts a root binds (default 1,024). */
  readonly maxReceipts?: number;
  /** A `sending` root untouched this long is re-sent (default 30,000 ms). */
  readonly resendAfterMs?: number;
  /** Called when a round fails (the receipts stay; the next round retries). */
  readonly onError?: (err: unknown) => void;
  /** Run at the start of every round: the gateway's recovery of ingested batches left pending. */
  readonly recover?: () => Promise<unknown>;
}

/** What one round did. */
export interface AnchorRound {
  readonly bound: number;
  readonly anchored: string[];
  /** Whether receipts were left waiting when the round bound its root (the next round starts at once). */
  readonly more: boolean;
}

export class AnchorWorker {
  readonly #careledger: CareLedger;
  readonly #db: Database;
  readonly #orgId: bigint;
  readonly #intervalMs: number;
  readonly #max: number;
  readonly #resendAfterMs: number;
  readonly #onError: (err: unknown) => void;
  readonly #recover: () => Promise<unknown>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<AnchorRound> | undefined;
  #stopped = false;
  /** Receipts written (as this process was told) and not yet bound by this worker. */
  #written = 0;

  constructor(careledger: CareLedger, db: Database, holderOrgId: bigint, options: AnchorOptions = {}) {
    this.#careledger = careledger;
    this.#db = db;
    this.#orgId = holderOrgId;
    this.#intervalMs = options.intervalMs ?? 5_000;
    this.#max = options.maxReceipts ?? 1_024;
    this.#resendAfterMs = options.resendAfterMs ?? 30_000;
    this.#onError = options.onError ?? (() => undefined);
    this.#recover = options.recover ?? (async () => undefined);
  }

  /** Starts rounds every interval. */
  start(): void {
    this.#stopped = false;
    const tick = async () => {
      if (this.#stopped) return;
      try {
        await this.round();
      } catch (err) {
        this.#onError(err);
      }
      if (!this.#stopped) this.#timer = setTimeout(tick, this.#intervalMs);
    };
    this.#timer = setTimeout(tick, this.#intervalMs);
  }

  /** Asks for a round now (`written` does, when `maxReceipts` receipts wait). */
  nudge(): void {
    if (this.#running === undefined && !this.#stopped) this.round().catch((err) => this.#onError(err));
  }

  /**
   * Counts `receipts` more written (`ReceiptStore.onWritten`); a round starts as soon as `maxReceipts`
   * wait. Receipts written by other instances are bound by the next round of the interval.
   */
  written(receipts: number): void {
    this.#written += receipts;
    if (this.#written >= this.#max) this.nudge();
  }

  /** Stops the rounds, after flushing: every receipt written so far is bound and its root sent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    await this.#running?.catch(() => undefined);
    await this.flush();
  }

  /** Rounds until no receipt is unrooted and no root is left to send (or a round fails). */
  async flush(): Promise<void> {
    for (;;) {
      const r = await this.round({ resendAll: true });
      if (r.bound === 0 && r.anchored.length === 0) return;
    }
  }

  /** One round: re-send stale `sending` roots, then bind and send one new root. */
  async round(options: { resendAll?: boolean } = {}): Promise<AnchorRound> {
    if (this.#running !== undefined) return this.#running;
    this.#running = this.#round(options.resendAll === true).finally(() => {
      this.#running = undefined;
    });
    // Receipts still wait after a round that bound a root (left over, or a root's worth written meanwhile):
    // the next starts now, not at the interval.
    this.#running.then(
      (r) => {
        if (r.bound > 0 && (r.more || this.#written >= this.#max)) this.nudge();
      },
      () => undefined,
    );
    return this.#running;
  }

  async #round(resendAll: boolean): Promise<AnchorRound> {
    await this.#recover().catch((err) => this.#onError(err));
    const anchored: string[] = [];
    const stale = await this.#db.pool.query<{ root: string; count: number }>(
      `SELECT root, count FROM disclosure_roots WHERE state = 'sending' AND updated_at < now() - ($1::int * interval '1 millisecond') ORDER BY created_at`,
      [resendAll ? 0 : this.#resendAfterMs],
    );
    // Root by root: one that fails (reported) never keeps the others, or new receipts, from being anchored.
    let failed = false;
    for (const r of stale.rows) {
      try {
        if (await this.#send(r.root, r.count)) anchored.push(r.root);
      } catch (err) {
        failed = true;
        this.#onError(err);
      }
    }
    const bound = await this.#bind();
    if (bound !== undefined) {
      try {
        if (await this.#send(bound.root, bound.count, true)) anchored.push(bound.root);
      } catch (err) {
        failed = true;
        this.#onError(err);
      }
    }
    // A flush stops at a round that anchored nothing new; it does not spin on a root that keeps failing.
    if (failed && resendAll && anchored.length === 0 && bound === undefined) throw new Error("a root could not be anchored; its receipts are kept for the next start");
    return { bound: bound?.count ?? 0, anchored, more: bound?.more ?? false };
  }

  /**
   * Binds the oldest unrooted responses, up to `max` receipts (a response's receipts are never split: one
   * holding more than `max` is bound alone), to a new root, in one transaction; undefined when none wait.
   */
  async #bind(): Promise<{ root: string; count: number; more: boolean } | undefined> {
    // What was counted before the rows were read: those receipts are among them, or bound by another instance.
    const counted = this.#written;
    return this.#db.transaction(async (tx) => {
      // The oldest unrooted rows, read and locked a chunk at a time until a root's worth: each chunk is sized
      // from the receipts the rows read so far held, so a round reads about the rows it binds (some 52 for
      // searchsets of 20 at 1,024 a root), not `max` rows; rows read past the last one bound are only locked
      // until the commit.
      const rows: LeafRow[] = [];
      let count = 0;
      let after = "0";
      let full = false;
      for (let exhausted = false; !full && !exhausted; ) {
        const want = rows.length === 0 ? Math.min(this.#max, FIRST_CHUNK) : Math.min(this.#max, Math.ceil(((this.#max - count) * rows.length) / count) + 1);
        const r = await tx.query<LeafRow>(`SELECT ${LEAF_COLUMNS} FROM disclosures d WHERE d.root IS NULL AND d.seq > $2::bigint ORDER BY d.seq LIMIT $1 FOR UPDATE SKIP LOCKED`, [want, after]);
        exhausted = r.rows.length < want;
        for (const d of r.rows) {
          if (rows.length > 0 && count + d.access_refs.length > this.#max) {
            full = true;
            break;
          }
          rows.push(d);
          count += d.access_refs.length;
        }
        if (r.rows.length > 0) after = r.rows[r.rows.length - 1].seq;
        if (count >= this.#max) full = true;
      }
      if (rows.length === 0) {
        this.#written = Math.max(0, this.#written - counted);
        return undefined;
      }
      // The root and each row's first leaf: proofs are rebuilt from them when asked (receipts.ts, withProofs).
      const { root } = receiptTree(rows.flatMap(leavesOf));
      const offsets: number[] = [];
      let at = 0;
      for (const d of rows) {
        offsets.push(at);
        at += d.access_refs.length;
      }
      await tx.query(`UPDATE disclosures d SET root = $1, leaf_offset = x.o FROM unnest($2::bigint[], $3::integer[]) AS x(s, o) WHERE d.seq = x.s`, [root, rows.map((d) => d.seq), offsets]);
      await tx.query("INSERT INTO disclosure_roots (root, count, state) VALUES ($1, $2, 'sending')", [root, count]);
      // Rows left over (or a full root: maybe more behind it) wait for the next round, which starts at once.
      const more = full;
      // Counted writes bound here or by another instance are forgotten once nothing is left waiting; writes
      // counted while this round ran stay counted.
      this.#written = Math.max(0, this.#written - (more ? count : Math.max(count, counted)));
      return { root, count, more };
    });
  }

  /**
   * Sends one root (or finds it on chain already); true once the chain holds it for this organization.
   * A root this round bound (`fresh`) was never sent, so the chain is not asked first; one re-sent is.
   */
  async #send(root: string, count: number, fresh = false): Promise<boolean> {
    await this.#db.pool.query("UPDATE disclosure_roots SET updated_at = now() WHERE root = $1", [root]);
    // This organization's anchor only: the lookup is keyed by (organization, root).
    let blockNumber = fresh ? undefined : (await this.#careledger.disclosures.anchorOf(root, this.#orgId))?.blockNumber;
    let txHash: string | undefined;
    if (blockNumber === undefined) {
      try {
        const handle = await this.#careledger.disclosures.anchor({ root, count });
        txHash = handle.hash;
        const { orgId, receipt } = await handle.wait();
        // Its own event names the organization that anchored it, in the receipt's block.
        if (orgId === this.#orgId) blockNumber = BigInt(receipt.blockNumber);
      } catch (err) {
        // Another instance of this gateway may have sent the same root meanwhile: the chain decides.
        if ((await this.#careledger.disclosures.anchorOf(root, this.#orgId)) === undefined) throw err;
      }
      blockNumber ??= (await this.#careledger.disclosures.anchorOf(root, this.#orgId))?.blockNumber;
      if (blockNumber === undefined) throw new Error(`root ${root} is not on chain for organization ${this.#orgId} after its transaction`);
    }
    await this.#db.pool.query("UPDATE disclosure_roots SET state = 'anchored', tx_hash = coalesce($2, tx_hash), block_number = $3, updated_at = now() WHERE root = $1", [
      root,
      txHash ?? null,
      blockNumber.toString(),
    ]);
    return true;
  }
}
