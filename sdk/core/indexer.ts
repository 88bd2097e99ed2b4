/**
 * Histories read from an indexer (indexer/, issue 15): `CareLedger.connect(runner, { indexer: url })`.
 *
 * The indexer answers `GET /logs` with a contract's logs exactly as a node's `eth_getLogs` gives them, up
 * to the last block it has indexed (`head`); the clients turn them into the same ethers event logs a
 * `queryFilter` gives ({@link ManagedClient.logs}), and read the blocks after `head` (those the indexer
 * has not reached, or holds back for its confirmation depth) from the node, in bounded ranges. So a
 * history has the same types and the same results either way. An indexer that cannot answer (down,
 * timed out, halted, its database unavailable) is passed over for the node, whole history by whole
 * history: reading is slower, never wrong. One that answers for another chain, or refuses the query,
 * is a configuration to fix and is thrown.
 *
 * The indexer is the integrator's own service (or one they trust as they trust their node): what it
 * says is not checked against the chain.
 */
import type { TopicFilter } from "ethers";
import { CareLedgerError, ValidationError } from "../errors";

/** `CareLedger.connect`'s `indexer` option: its URL, or these. */
export interface IndexerOptions {
  /** The indexer's base URL (`npm run indexer` serves one at http://127.0.0.1:8090). */
  readonly url: string;
  /** How long one page may take before the indexer counts as unavailable (milliseconds, default 10,000). */
  readonly timeoutMs?: number;
  /** Logs per page asked for (default 1,000; the indexer allows up to 5,000). */
  readonly pageSize?: number;
  /** Told each time a history is read from the node because the indexer could not answer. */
  readonly onUnavailable?: (error: IndexerUnavailableError) => void;
}

/** The indexer could not answer (unreachable, timed out, halted, not yet started, its database down). */
export class IndexerUnavailableError extends CareLedgerError {
  readonly url: string;

  constructor(url: string, detail: string, cause?: unknown) {
    super("INDEXER_UNAVAILABLE", `the indexer at ${url} could not answer (${detail}): the history is read from the node`, { cause });
    this.url = url;
  }
}

/** A log as the indexer gives it (a node's `eth_getLogs` log, numbers as numbers). */
export interface IndexerLog {
  readonly blockNumber: number;
  readonly blockHash: string;
  readonly transactionHash: string;
  readonly transactionIndex: number;
  readonly logIndex: number;
  readonly address: string;
  readonly topics: readonly string[];
  readonly data: string;
}

/** One contract's logs matching `topics`, from `fromBlock` to `toBlock`. */
export interface IndexerLogQuery {
  readonly address: string;
  readonly topics: TopicFilter;
  readonly fromBlock: number;
  readonly toBlock: number;
}

interface LogsPage {
  chainId: string;
  head: number;
  /** Changes when the indexer rolls back a reorganized tail. */
  rollbacks: string;
  logs: IndexerLog[];
  next: string | null;
}

const isLog = (l: unknown): l is IndexerLog => {
  const o = l as Record<string, unknown>;
  return (
    typeof o === "object" &&
    o !== null &&
    Number.isSafeInteger(o.blockNumber) &&
    Number.isSafeInteger(o.logIndex) &&
    Number.isSafeInteger(o.transactionIndex) &&
    typeof o.blockHash === "string" &&
    typeof o.transactionHash === "string" &&
    typeof o.address === "string" &&
    typeof o.data === "string" &&
    Array.isArray(o.topics) &&
    o.topics.every((t) => typeof t === "string")
  );
};

/** Where a client reads its histories when given an indexer. */
export class IndexerSource {
  readonly url: string;
  readonly #chainId: bigint;
  readonly #timeoutMs: number;
  readonly #pageSize: number;
  readonly #onUnavailable: ((error: IndexerUnavailableError) => void) | undefined;

  /**
   * @param options the indexer (`CareLedger.connect`'s `indexer` option)
   * @param chainId the chain the client is connected to: the indexer must index that one
   * @throws {ValidationError} `indexer.url`, `indexer.timeoutMs`, `indexer.pageSize` that are not what they should be
   */
  constructor(options: string | IndexerOptions, chainId: bigint) {
    const o = typeof options === "string" ? { url: options } : options;
    let url: URL;
    try {
      url = new URL(o.url);
    } catch {
      throw new ValidationError("indexer.url", `${JSON.stringify(o.url)} is not a URL`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new ValidationError("indexer.url", `${o.url} is not an http(s) URL`);
    const { timeoutMs = 10_000, pageSize = 1_000 } = o;
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) throw new ValidationError("indexer.timeoutMs", `${String(timeoutMs)} is not a number of milliseconds (1 or more)`);
    if (!Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > 5_000) throw new ValidationError("indexer.pageSize", `${String(pageSize)} is not a page size (1 to 5,000)`);
    this.url = url.toString();
    this.#chainId = chainId;
    this.#timeoutMs = timeoutMs;
    this.#pageSize = pageSize;
    this.#onUnavailable = o.onUnavailable;
  }

  /** Tells the `onUnavailable` listener that a history is read from the node. */
  passedOver(error: IndexerUnavailableError): void {
    this.#onUnavailable?.(error);
  }

  /**
   * The logs of `query` the indexer holds, page after page, and the last block it answered for (`head`,
   * at most `query.toBlock`): the blocks after it are the node's to answer.
   * @throws {IndexerUnavailableError} when it cannot answer (the caller reads the node instead)
   * @throws {CareLedgerError} `INDEXER_MISMATCH` when it indexes another chain; `INDEXER_REFUSED` when it
   *   refuses the query (e.g. a contract it does not follow), with its words
   */
  async logs(query: IndexerLogQuery): Promise<{ logs: IndexerLog[]; head: number }> {
    const params = new URLSearchParams({ address: query.address, fromBlock: String(query.fromBlock), toBlock: String(query.toBlock), _count: String(this.#pageSize) });
    const wanted: (Set<string> | undefined)[] = query.topics.map((topic) => {
      const any = topic === null || topic === undefined ? [] : typeof topic === "string" ? [topic] : topic;
      return any.length === 0 ? undefined : new Set(any.map((t) => t.toLowerCase()));
    });
    wanted.forEach((any, i) => any !== undefined && params.set(`topic${i}`, [...any].join(",")));
    const address = query.address.toLowerCase();
    const logs: IndexerLog[] = [];
    let first: LogsPage | undefined;
    const seen = new Set<string>();
    for (;;) {
      const page = await this.#get(params);
      first ??= page;
      // Pages read across a rollback (a reorganization) mix two chains; read ever fewer blocks, likewise.
      if (page.rollbacks !== first.rollbacks || page.head !== first.head) {
        throw new IndexerUnavailableError(this.url, `it rolled back a reorganized tail (or went back from block ${first.head} to ${page.head}) while the history was read`);
      }
      for (const l of page.logs) {
        // Only what was asked for, each once, in the chain's order: else the answer is not the query's.
        const previous = logs.at(-1);
        const fits =
          l.address.toLowerCase() === address &&
          l.blockNumber >= query.fromBlock &&
          l.blockNumber <= page.head &&
          wanted.every((any, i) => any === undefined || (l.topics[i] !== undefined && any.has(l.topics[i].toLowerCase()))) &&
          (previous === undefined || l.blockNumber > previous.blockNumber || (l.blockNumber === previous.blockNumber && l.logIndex > previous.logIndex));
        if (!fits) throw new IndexerUnavailableError(this.url, `it answered a log the query did not ask for (block ${l.blockNumber}, log ${l.logIndex})`);
        logs.push(l);
      }
      if (page.next === null) break;
      // The next page is asked for here, at this indexer, with this query: only its cursor (and the block the
      // first page was read to) is taken from the link, never a host or a path.
      const link = new URL(page.next, "http://indexer.invalid").searchParams;
      const cursor = link.get("_cursor");
      if (page.logs.length === 0 || cursor === null || seen.has(cursor)) throw new IndexerUnavailableError(this.url, "its pages do not move on");
      seen.add(cursor);
      params.set("_cursor", cursor);
      params.set("toBlock", String(Math.min(query.toBlock, page.head)));
    }
    return { logs, head: Math.min(query.toBlock, first.head) };
  }

  /** One page of `/logs` at this indexer (its URL's path and query kept). */
  async #get(params: URLSearchParams): Promise<LogsPage> {
    const url = new URL(this.url);
    url.pathname = url.pathname.replace(/\/$/, "") + "/logs";
    for (const [k, v] of params) url.searchParams.set(k, v);
    let res: Response;
    try {
      res = await fetch(url, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(this.#timeoutMs) });
    } catch (err) {
      const e = err as { name?: string; message?: string };
      throw new IndexerUnavailableError(this.url, e.name === "TimeoutError" ? `no answer in ${this.#timeoutMs} ms` : (e.message ?? String(err)), err);
    }
    const text = await res.text().catch(() => "");
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    // A server that cannot answer now is passed over; one that refuses the query (wrong URL, a proxy's
    // 401/403/404, a contract it does not follow) is a configuration to fix, and is said.
    if (res.status >= 500 || res.status === 429) throw new IndexerUnavailableError(this.url, `HTTP ${res.status}: ${diagnostics(body)}`);
    if (res.status !== 200) throw new CareLedgerError("INDEXER_REFUSED", `the indexer at ${this.url} refused a history query (HTTP ${res.status}: ${diagnostics(body)})`);
    const page = body as Partial<LogsPage>;
    if (
      typeof page !== "object" ||
      page === null ||
      typeof page.chainId !== "string" ||
      !/^[0-9]{1,78}$/.test(page.chainId) ||
      !Number.isSafeInteger(page.head) ||
      typeof page.rollbacks !== "string" ||
      !Array.isArray(page.logs) ||
      !page.logs.every(isLog) ||
      !(page.next === null || typeof page.next === "string")
    ) {
      throw new IndexerUnavailableError(this.url, "its answer is not a page of logs");
    }
    if (BigInt(page.chainId) !== this.#chainId) {
      throw new CareLedgerError("INDEXER_MISMATCH", `the indexer at ${this.url} indexes chain ${page.chainId}, not chain ${this.#chainId} this client is connected to: give it the indexer of this chain`);
    }
    return page as LogsPage;
  }
}

/** The words of an OperationOutcome (or the start of any other body), for a message. */
function diagnostics(body: unknown): string {
  const issue = (body as { issue?: { diagnostics?: unknown }[] } | null)?.issue?.[0]?.diagnostics;
  return typeof issue === "string" ? issue : (typeof body === "string" ? body : JSON.stringify(body)).slice(0, 200);
}
