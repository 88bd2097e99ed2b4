/**
 * Following the suite's events into the database (issue 15): from the deployment block to the chain's
 * head less a confirmation depth, in bounded ranges read with the SDK's log reader (retry, back-off, a
 * range the node refuses as too large halved), each range decoded and stored whole — its events, the
 * hashes of its blocks and the next block to read — in one transaction, so a stop or a crash mid-batch
 * resumes where the last whole batch ended and nothing is stored twice.
 *
 * Reorganizations: the hashes of the blocks read are kept for a window of recent blocks. Before a range
 * is stored, the block it continues from must still have the hash stored for it and the range's last
 * block the hash it had when the range was read; otherwise the range is read again or the stored tail is
 * rolled back to the newest block that is still canonical (its events deleted, read again). A
 * reorganization deeper than the window cannot be located: the indexer stops and says so (its `status`
 * is halted, and every further step refuses), rather than answer from a chain that is no longer there.
 */
import { Log, type Provider } from "ethers";
import type { Database } from "../gateway/db";
import type { SuiteAddresses } from "../sdk/core/addressBook";
import { CareLedgerError, ValidationError } from "../sdk/errors";
import { readLogs, type LogReadOptions } from "../sdk/core/logs";
import { decodeLog, type DecodedEvent } from "./decode";

const toQuantity = (n: number) => "0x" + n.toString(16);

/** A log as ethers' Log takes it, from a node's JSON. */
function wrapLog(raw: object): ConstructorParameters<typeof Log>[0] {
  const r = raw as { blockNumber: string; blockHash: string; transactionHash: string; transactionIndex: string; logIndex: string; address: string; topics: string[]; data: string; removed?: boolean };
  return {
    blockNumber: Number(BigInt(r.blockNumber)),
    blockHash: r.blockHash,
    transactionHash: r.transactionHash,
    transactionIndex: Number(BigInt(r.transactionIndex)),
    index: Number(BigInt(r.logIndex)),
    address: r.address,
    topics: r.topics,
    data: r.data,
    removed: r.removed === true,
  };
}

/**
 * A JSON-RPC provider (ethers' JsonRpcProvider, BrowserProvider, Hardhat's): the indexer reads blocks,
 * the head and logs with `send`, never through ethers' request cache (which answers a repeated question
 * from memory for 250 ms, failures and all, and would hide a block that changed).
 */
export type NodeProvider = Provider & { send(method: string, params: unknown[]): Promise<unknown> };

/** A block as the indexer keeps it. */
interface BlockHeader {
  readonly number: number;
  readonly hash: string;
  readonly timestamp: number;
}

/** What is indexed: the suite on one chain. */
export interface IndexedSuite {
  readonly chainId: bigint;
  readonly addresses: SuiteAddresses;
  /** The block the suite was deployed at: nothing of it is older. */
  readonly fromBlock: number;
}

/** How the indexer reads (the defaults suit a public network). */
export interface IndexerOptions {
  /** Blocks behind the head left unread, as not yet settled (default 12; 0 reads to the head). */
  readonly confirmations?: number;
  /** Recent blocks whose hashes are kept to locate a reorganization (default 256). */
  readonly window?: number;
  /** Most blocks stored in one transaction (default 2,000). */
  readonly batchBlocks?: number;
  /** How logs are read within a batch (sdk/core/logs.ts). */
  readonly logs?: LogReadOptions;
  /** Progress lines (default none). */
  readonly log?: (line: string) => void;
}

/** Where the indexer stands. */
export interface IndexerStatus {
  readonly fromBlock: number;
  /** The first block not yet stored. */
  readonly nextBlock: number;
  /** The chain's head when last asked. */
  readonly head: number | undefined;
  /** Blocks stored of those there are to store (from the deployment block to the head less confirmations), 0–100. */
  readonly percent: number;
  readonly events: number;
  /** Why it stopped, if it did (a reorganization deeper than its window). */
  readonly halted: string | undefined;
}

/** What one step did. */
export type StepResult =
  | { readonly kind: "stored"; readonly from: number; readonly to: number; readonly events: number }
  | { readonly kind: "rolledBack"; readonly to: number; readonly removed: number }
  | { readonly kind: "retry"; readonly reason: string }
  | { readonly kind: "caughtUp"; readonly nextBlock: number };

/** The indexer stopped: its data can no longer be vouched for (see {@link IndexerStatus.halted}). */
export class IndexerHaltedError extends CareLedgerError {
  constructor(message: string) {
    super("INDEXER_HALTED", message);
    this.name = "IndexerHaltedError";
  }
}

/** The sync could not go on for now (the node behind, blocks changing under it): the next poll tries again. */
export class IndexerRetryError extends CareLedgerError {
  constructor(reason: string) {
    super("INDEXER_RETRY", `the sync cannot go on for now: ${reason}`);
    this.name = "IndexerRetryError";
  }
}

/** Steps retried in a row by catchUp, and the first pause between them (it grows). */
const MAX_RETRIES = 5;
const RETRY_PAUSE_MS = 100;

interface State {
  readonly chainId: bigint;
  readonly addresses: SuiteAddresses;
  readonly fromBlock: number;
  nextBlock: number;
}

export class Indexer {
  readonly #provider: NodeProvider;
  readonly #db: Database;
  readonly #state: State;
  readonly #byAddress: Map<string, keyof SuiteAddresses>;
  readonly #confirmations: number;
  readonly #window: number;
  readonly #batchBlocks: number;
  readonly #logs: LogReadOptions;
  readonly #log: (line: string) => void;
  #head: number | undefined;
  #events = 0;
  /** Events stored since the planner's statistics were last refreshed ({@link #analyzeAfter}). */
  #sinceAnalyze = 0;
  #halted: string | undefined;

  private constructor(provider: NodeProvider, db: Database, state: State, events: number, options: IndexerOptions) {
    this.#provider = provider;
    this.#db = db;
    this.#state = state;
    this.#events = events;
    this.#byAddress = new Map(Object.entries(state.addresses).map(([name, address]) => [address.toLowerCase(), name as keyof SuiteAddresses]));
    this.#confirmations = options.confirmations ?? 12;
    this.#window = options.window ?? 256;
    this.#batchBlocks = options.batchBlocks ?? 2_000;
    this.#logs = options.logs ?? {};
    this.#log = options.log ?? (() => undefined);
    for (const [name, value, min] of [
      ["confirmations", this.#confirmations, 0],
      ["window", this.#window, 1],
      ["batchBlocks", this.#batchBlocks, 1],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < min) throw new ValidationError(name, `${String(value)} is not a whole number of at least ${min}`);
    }
  }

  /** What it indexes: the suite's chain, contracts and deployment block. */
  get suite(): IndexedSuite {
    const { chainId, addresses, fromBlock } = this.#state;
    return { chainId, addresses, fromBlock };
  }

  /**
   * Opens the indexer of `suite` on `db` (migrated by indexer/db.ts): a new one starts at the suite's
   * deployment block, one stored before resumes where it stopped.
   * @throws {CareLedgerError} INDEXER_MISMATCH when the database indexes another chain or deployment
   */
  static async open(provider: NodeProvider, db: Database, suite: IndexedSuite, options: IndexerOptions = {}): Promise<Indexer> {
    const addresses = Object.fromEntries(Object.entries(suite.addresses).map(([k, v]) => [k, v.toLowerCase()])) as unknown as SuiteAddresses;
    await db.pool.query(
      `INSERT INTO indexer_state (chain_id, addresses, from_block, next_block) VALUES ($1, $2, $3, $3) ON CONFLICT (id) DO NOTHING`,
      [suite.chainId.toString(), JSON.stringify(addresses), suite.fromBlock],
    );
    const row = (await db.pool.query<{ chain_id: string; addresses: SuiteAddresses; from_block: string; next_block: string }>("SELECT chain_id, addresses, from_block, next_block FROM indexer_state")).rows[0];
    const differs = Object.keys(addresses).filter((k) => (row.addresses as unknown as Record<string, string>)[k] !== (addresses as unknown as Record<string, string>)[k]);
    if (BigInt(row.chain_id) !== suite.chainId || Number(row.from_block) !== suite.fromBlock || differs.length > 0) {
      throw new CareLedgerError(
        "INDEXER_MISMATCH",
        `this database indexes chain ${row.chain_id} from block ${row.from_block}${differs.length > 0 ? ` with another ${differs.join(", ")}` : ""}, not chain ${suite.chainId} from block ${suite.fromBlock}: use another database`,
      );
    }
    const events = Number((await db.pool.query<{ n: string }>("SELECT count(*) AS n FROM events")).rows[0].n);
    return new Indexer(provider, db, { chainId: suite.chainId, addresses, fromBlock: suite.fromBlock, nextBlock: Number(row.next_block) }, events, options);
  }

  status(): IndexerStatus {
    const { fromBlock, nextBlock } = this.#state;
    const target = this.#head === undefined ? undefined : this.#head - this.#confirmations;
    const total = target === undefined ? 0 : target - fromBlock + 1;
    const percent = total <= 0 ? 100 : Math.min(100, Math.floor(((nextBlock - fromBlock) / total) * 1000) / 10);
    return { fromBlock, nextBlock, head: this.#head, percent, events: this.#events, halted: this.#halted };
  }

  /**
   * Stores the next batch of blocks, or rolls back a reorganized tail, or says it is caught up.
   * @throws {IndexerHaltedError} after a reorganization deeper than the window (and ever after)
   * @throws what the node or the database threw (nothing of the batch stored; the next step tries again)
   */
  async step(): Promise<StepResult> {
    if (this.#halted !== undefined) throw new IndexerHaltedError(this.#halted);
    const head = Number(BigInt((await this.#provider.send("eth_blockNumber", [])) as string));
    this.#head = head;
    // Another instance on the database may have moved on (or back): go on from where the database says.
    await this.#reload();
    const from = this.#state.nextBlock;
    const to = Math.min(head - this.#confirmations, from + this.#batchBlocks - 1);
    if (to < from) {
      const reorg = await this.#checkTip(head);
      return reorg ?? { kind: "caughtUp", nextBlock: from };
    }
    const last = await this.#block(to);
    if (last === undefined) return { kind: "retry", reason: `the node has no block ${to} (yet)` };
    const logs = await readLogs(
      this.#provider,
      async (a, b) =>
        ((await this.#provider.send("eth_getLogs", [{ address: [...this.#byAddress.keys()], fromBlock: toQuantity(a), toBlock: toQuantity(b) }])) as object[]).map(
          (raw) => new Log(wrapLog(raw), this.#provider),
        ),
      from,
      to,
      this.#logs,
    );
    // The range as read is one chain only if its last block is still the one pinned before reading…
    const after = await this.#block(to);
    if (after?.hash !== last.hash) return { kind: "retry", reason: `block ${to} changed while its range was read` };
    // …and it continues the blocks stored.
    const reorg = await this.#checkTip(head);
    if (reorg !== undefined) return reorg;
    const events: DecodedEvent[] = [];
    for (const log of logs) {
      const contract = this.#byAddress.get(log.address.toLowerCase());
      const decoded = contract === undefined ? undefined : decodeLog(contract, log);
      if (decoded !== undefined) events.push(decoded);
    }
    const blocks = await this.#headers(logs, last, head);
    if (blocks === undefined) return { kind: "retry", reason: `a block of ${from}–${to} changed while its range was read` };
    const time = new Map([...blocks].map(([n, b]) => [n, b.timestamp]));
    const kept = [...blocks.values()].filter((b) => b.number > to - this.#window);
    const stored = await this.#db.transaction(async (client) => {
      // One instance at a time moves the resume point: the row is locked until this batch is whole.
      const at = Number((await client.query<{ next_block: string }>("SELECT next_block FROM indexer_state FOR UPDATE")).rows[0].next_block);
      if (at !== from) return false;
      if (events.length > 0) {
        await client.query(
          `INSERT INTO events (block_number, log_index, block_hash, tx_hash, block_time, contract, event, args, patient, org_id, claim_id, record_id, plan_id,
                              address, tx_index, topic0, topic1, topic2, topic3, data)
           SELECT * FROM unnest($1::bigint[], $2::integer[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::jsonb[], $9::text[], $10::bigint[], $11::text[], $12::text[], $13::bigint[],
                                $14::text[], $15::integer[], $16::text[], $17::text[], $18::text[], $19::text[], $20::text[])`,
          [
            events.map((e) => e.blockNumber),
            events.map((e) => e.logIndex),
            events.map((e) => e.blockHash),
            events.map((e) => e.txHash),
            events.map((e) => time.get(e.blockNumber)!),
            events.map((e) => e.contract),
            events.map((e) => e.event),
            events.map((e) => JSON.stringify(e.args)),
            events.map((e) => e.patient),
            events.map((e) => e.orgId),
            events.map((e) => e.claimId),
            events.map((e) => e.recordId),
            events.map((e) => e.planId),
            events.map((e) => e.address),
            events.map((e) => e.txIndex),
            ...[0, 1, 2, 3].map((i) => events.map((e) => e.topics[i] ?? null)),
            events.map((e) => e.data),
          ],
        );
      }
      await client.query(
        `INSERT INTO indexed_blocks (number, hash, timestamp) SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[]) ON CONFLICT (number) DO UPDATE SET hash = excluded.hash, timestamp = excluded.timestamp`,
        [kept.map((b) => b.number), kept.map((b) => b.hash), kept.map((b) => b.timestamp)],
      );
      // Older blocks than the window are no longer needed to locate a reorganization; the newest is always kept.
      await client.query("DELETE FROM indexed_blocks WHERE number <= $1", [to - this.#window]);
      await client.query("UPDATE indexer_state SET next_block = $1, updated_at = now()", [to + 1]);
      return true;
    });
    // Another instance stored this batch (or rolled back) meanwhile: this one's is not stored too.
    if (!stored) {
      await this.#reload(true);
      return { kind: "retry", reason: `another indexer moved the resume point from ${from} meanwhile` };
    }
    this.#state.nextBlock = to + 1;
    this.#events += events.length;
    await this.#analyzeAfter(events.length);
    const s = this.status();
    this.#log(`indexer: blocks ${from}–${to} stored (${events.length} events); ${s.percent}% of blocks ${s.fromBlock}–${head - this.#confirmations}`);
    return { kind: "stored", from, to, events: events.length };
  }

  /**
   * Refreshes the planner's statistics of `events` once a fifth of it (and at least 1,000 events) is new
   * since the last time: embedded PGlite runs no autovacuum, and a planner that still thinks the table
   * small reads a patient's page by scanning every event of its kind (seconds at a million) instead of
   * taking the patient's index. PostgreSQL's autovacuum would too, later; this is at most one ANALYZE in
   * five growths of the table.
   */
  async #analyzeAfter(stored: number): Promise<void> {
    this.#sinceAnalyze += stored;
    if (this.#sinceAnalyze < Math.max(1_000, this.#events / 5)) return;
    this.#sinceAnalyze = 0;
    await this.#db.pool.query("ANALYZE events");
  }

  /**
   * Steps until caught up with the head (less the confirmations); what was stored. A step that must be
   * tried again (a block changed while read, the node behind) is, after a pause, a few times.
   * @throws {IndexerRetryError} when it still must be tried again after that (the caller polls again later)
   */
  async catchUp(): Promise<{ readonly events: number; readonly rollbacks: number }> {
    let events = 0;
    let rollbacks = 0;
    let retries = 0;
    for (;;) {
      const r = await this.step();
      if (r.kind === "caughtUp") return { events, rollbacks };
      if (r.kind === "retry") {
        if (++retries > MAX_RETRIES) throw new IndexerRetryError(r.reason);
        await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS * retries));
        continue;
      }
      retries = 0;
      if (r.kind === "stored") events += r.events;
      if (r.kind === "rolledBack") rollbacks++;
    }
  }

  /** Re-reads the resume point (and, when `counts`, the number of events) from the database. */
  async #reload(counts = false): Promise<void> {
    const at = Number((await this.#db.pool.query<{ next_block: string }>("SELECT next_block FROM indexer_state")).rows[0].next_block);
    if (at === this.#state.nextBlock && !counts) return;
    this.#state.nextBlock = at;
    this.#events = Number((await this.#db.pool.query<{ n: string }>("SELECT count(*) AS n FROM events")).rows[0].n);
  }

  /** The block at `number` as the node has it now (no cache); undefined when it has none there. */
  async #block(number: number): Promise<BlockHeader | undefined> {
    const raw = (await this.#provider.send("eth_getBlockByNumber", [toQuantity(number), false])) as { number: string; hash: string | null; timestamp: string } | null;
    if (raw === null || raw.hash === null) return undefined;
    return { number: Number(BigInt(raw.number)), hash: raw.hash, timestamp: Number(BigInt(raw.timestamp)) };
  }

  /**
   * The headers to keep of a batch ending at `last`: every block holding one of `logs` (for their time),
   * `last`, and every block of the batch within the window below the head (so that a reorganization as deep
   * as the window finds a block it left alone). Undefined when one of them changed while the batch was read.
   */
  async #headers(logs: readonly Log[], last: BlockHeader, head: number): Promise<Map<number, BlockHeader> | undefined> {
    const out = new Map<number, BlockHeader>([[last.number, last]]);
    const numbers = new Set(logs.map((l) => l.blockNumber));
    const lowest = Math.max(this.#state.nextBlock, head - this.#window + 1, last.number - this.#window + 1);
    for (let n = lowest; n < last.number; n++) numbers.add(n);
    numbers.delete(last.number);
    const blocks = await Promise.all([...numbers].map((n) => this.#block(n)));
    for (const b of blocks) {
      if (b === undefined) return undefined;
      out.set(b.number, b);
    }
    // (Parent hashes are not compared: a Hardhat network's `hardhat_mine` leaves them zero in the blocks it reserves.)
    for (const l of logs) if (out.get(l.blockNumber)!.hash !== l.blockHash) return undefined;
    return out;
  }

  /**
   * Whether the newest stored block is still the chain's: if not, rolls the stored tail back to the newest
   * stored block that is (its events deleted, to be read again).
   * @returns undefined when the stored tail is the chain's, or the node is behind it (a node restarted or
   *   still syncing: nothing to decide until it has those blocks)
   * @throws {IndexerHaltedError} when the node holds stored blocks' heights with other hashes and none of
   *   the stored blocks (a reorganization deeper than the window)
   */
  async #checkTip(head: number): Promise<StepResult | undefined> {
    const stored = (await this.#db.pool.query<{ number: string; hash: string }>("SELECT number, hash FROM indexed_blocks ORDER BY number DESC")).rows.map((r) => ({ number: Number(r.number), hash: r.hash }));
    if (stored.length === 0) return undefined;
    const tip = await this.#block(stored[0].number);
    if (tip?.hash === stored[0].hash) return undefined;
    // The blocks the node has at the stored heights: a stored block above its head is not evidence of anything yet.
    let differs = false;
    for (const row of stored) {
      if (row.number > head) continue;
      const canonical = await this.#block(row.number);
      if (canonical === undefined) continue;
      if (canonical.hash !== row.hash) {
        differs = true;
        continue;
      }
      // The newest stored block the node still has: what is stored above it is gone (or not the node's yet).
      return this.#rollBack(row.number);
    }
    if (!differs) return { kind: "retry", reason: `the node (head ${head}) does not have the blocks stored (up to ${stored[0].number}): behind, or restarted` };
    this.#halted = `a reorganization deeper than the ${this.#window} blocks kept: no stored block from ${stored[stored.length - 1].number} to ${stored[0].number} is on the chain any more; the indexed data can no longer be vouched for (re-index into a new database)`;
    this.#log(`indexer: halted: ${this.#halted}`);
    throw new IndexerHaltedError(this.#halted);
  }

  /** Deletes what is stored after block `n` and resumes after it, in one transaction. */
  async #rollBack(n: number): Promise<StepResult> {
    const removed = await this.#db.transaction(async (client) => {
      await client.query("SELECT next_block FROM indexer_state FOR UPDATE");
      const r = await client.query("DELETE FROM events WHERE block_number > $1", [n]);
      await client.query("DELETE FROM indexed_blocks WHERE number > $1", [n]);
      await client.query("UPDATE indexer_state SET next_block = $1, rollbacks = rollbacks + 1, updated_at = now()", [n + 1]);
      return r.rowCount ?? 0;
    });
    this.#state.nextBlock = n + 1;
    this.#events -= removed;
    this.#log(`indexer: reorganization: blocks after ${n} rolled back (${removed} events), read again`);
    return { kind: "rolledBack", to: n, removed };
  }
}
