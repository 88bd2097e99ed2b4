/**
 * Event logs read in bounded block ranges. Public endpoints cap `eth_getLogs` (a few thousand blocks, or
 * results), so every history the SDK reads goes through {@link readLogs}: from the first block to the
 * last in ranges of at most `maxBlocks`, halving a range the node refuses as too large (and keeping to
 * that size after), and retrying a node that failed for a moment with back-off. The logs come back in block
 * order, each once, exactly as one query over the whole range would give them.
 */
import type { Provider } from "ethers";
import { CareLedgerError, ValidationError } from "../errors";

/** How the SDK reads logs: see {@link readLogs}. */
export interface LogReadOptions {
  /** The most blocks one `eth_getLogs` asks for (default {@link DEFAULT_LOG_RANGE}). */
  readonly maxBlocks?: number;
  /** Tries of one range after a failure that is not "too large" (default 5). */
  readonly retries?: number;
  /**
   * The first back-off in milliseconds, doubled each try (default 300; at least 260, since an ethers
   * provider answers the same request again from its cache for 250 ms, failures included).
   */
  readonly backoffMs?: number;
}

/** Blocks per `eth_getLogs` unless told otherwise: what most public endpoints accept. */
export const DEFAULT_LOG_RANGE = 10_000;

/** What a node's refusal of a log query for its size says, in the words of common nodes and providers. */
const SIZE_REFUSAL = new RegExp(
  [
    "more than \\d+ (results|logs)", // geth, Infura (-32005): query returned more than 10000 results
    "too many (results|logs|blocks)", // Erigon: query returns too many logs, narrow your filter
    "narrow your filter", // Erigon
    "range (is )?too (large|wide|big)", // Moonbeam, Anvil: block range is too wide
    "(larger|bigger) than (the )?(max(imum)? )?(block )?range( limit)?", // morph, Tenderly
    "exceeds? (the )?(server |max(imum)? )*(block range|range|results|limit)", // Infura (-32602), Erigon, reth, Hardhat
    "exceeds? (the )?max(imum)?", // exceeds max block range 1000
    "limited to a [\\d,.]+k? (block )?range", // QuickNode
    "up to a [\\d,.]+k? block range", // Alchemy
    "response size (exceeded|is larger)", // Alchemy
  ].join("|"),
  "i",
);

/** Refusals that are not about the query's size: a quota or rate, a block past the head, a batch, a reversed range. */
const NOT_SIZE = /capacity|\brate.?limit|too many requests|beyond (the )?(current |latest )?(head|block)|invalid block range|batch (limit|size|too)/i;

/**
 * The texts of an error that are the node's own words: nested error messages and bodies (ethers keeps the
 * node's answer in `error`, `info.error`, `info.responseBody`; some nodes put detail in `data` or
 * `data.payload`), and ethers' own message without the request payload it quotes (whose id or hex could
 * read as anything).
 */
function nodeTexts(err: unknown): string[] {
  const texts: string[] = [];
  const seen = new Set<unknown>();
  const walk = (e: unknown, depth: number, top: boolean) => {
    if (typeof e === "string") {
      texts.push(e);
      return;
    }
    if (e === null || typeof e !== "object" || seen.has(e) || depth > 6) return;
    seen.add(e);
    const o = e as Record<string, unknown>;
    for (const key of ["message", "shortMessage"]) {
      if (typeof o[key] === "string") texts.push(top ? (o[key] as string).split(/,? payload=/)[0] : (o[key] as string));
    }
    for (const key of ["body", "responseBody", "reason", "payload"]) if (typeof o[key] === "string") texts.push(o[key] as string);
    for (const key of ["error", "info", "cause", "data"]) walk(o[key], depth + 1, false);
  };
  walk(err, 0, true);
  return texts;
}

/**
 * Whether a node refused a log query for its size (too many blocks or results), as the common nodes and
 * providers word it (geth, Infura, Alchemy, QuickNode, Tenderly, Erigon, reth, Moonbeam, Anvil, Hardhat);
 * not a spent quota, a rate limit, a block past the head, a batch limit or a reversed range.
 */
export function isRangeRefusal(err: unknown): boolean {
  const texts = nodeTexts(err);
  if (texts.some((t) => NOT_SIZE.test(t))) return false;
  return texts.some((t) => SIZE_REFUSAL.test(t));
}

/** An ethers provider answers a request it answered (or failed) in the last 250 ms from its cache. */
const MIN_BACKOFF_MS = 260;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The longest back-off between two tries: setTimeout fires at once past 2^31 ms. */
const MAX_BACKOFF_MS = 30_000;

/**
 * What a client learned of its node's limit: the smallest range refused (`ceiling`, in blocks), so that its
 * next reads ask below it from the start instead of being refused again.
 */
export interface LogReadState {
  ceiling?: number;
}

function requireLogOptions(options: LogReadOptions): { maxBlocks: number; retries: number; backoff: number } {
  const { maxBlocks = DEFAULT_LOG_RANGE, retries = 5, backoffMs = 300 } = options;
  if (!Number.isSafeInteger(maxBlocks) || maxBlocks < 1) throw new ValidationError("logs.maxBlocks", `${String(maxBlocks)} is not a number of blocks (1 or more)`);
  if (!Number.isSafeInteger(retries) || retries < 0 || retries > 20) throw new ValidationError("logs.retries", `${String(retries)} is not a number of tries (0 to 20)`);
  if (!Number.isFinite(backoffMs) || backoffMs < 0) throw new ValidationError("logs.backoffMs", `${String(backoffMs)} is not a number of milliseconds (0 or more)`);
  return { maxBlocks, retries, backoff: Math.max(MIN_BACKOFF_MS, backoffMs) };
}

/** Checks {@link LogReadOptions} (`CareLedger.connect` checks them before anything is read). */
export function checkLogOptions(options: LogReadOptions): void {
  requireLogOptions(options);
}

/**
 * Checks a history's block range: `fromBlock` a block number, `toBlock` one or undefined (the latest). A
 * range that ends before it starts is empty, not wrong.
 * @throws {ValidationError} naming `fromBlock` or `toBlock`
 */
export function requireBlockRange(fromBlock: number, toBlock: number | undefined): void {
  if (!Number.isSafeInteger(fromBlock) || fromBlock < 0) throw new ValidationError("fromBlock", `${String(fromBlock)} is not a block number (0 or more)`);
  if (toBlock !== undefined && (!Number.isSafeInteger(toBlock) || toBlock < 0)) throw new ValidationError("toBlock", `${String(toBlock)} is not a block number (0 or more)`);
}

/**
 * Reads logs from `fromBlock` to `toBlock` (default: the latest block, read once) in ranges of at most
 * `options.maxBlocks`, with `query(from, to)` (e.g. `(a, b) => contract.queryFilter(filter, a, b)`).
 * A range the node refuses as too large is halved (down to one block), and no later range is wider — in this
 * read, and through `state` in the client's next reads; any other failure is retried with back-off
 * (doubling, at most 30 s), `options.retries` times, then thrown.
 * @throws {ValidationError} for options or blocks that are not numbers of their kind
 * @throws {CareLedgerError} `LOG_QUERY_REFUSED` when the node refuses even a one-block range for its size
 *   (too many results in one block: no range can avoid it), naming the block and the node's words
 */
export async function readLogs<T>(
  provider: Provider,
  query: (from: number, to: number) => Promise<T[]>,
  fromBlock: number,
  toBlock?: number,
  options: LogReadOptions = {},
  state: LogReadState = {},
): Promise<T[]> {
  const { maxBlocks, retries, backoff } = requireLogOptions(options);
  requireBlockRange(fromBlock, toBlock);
  const wait = (failures: number) => sleep(Math.min(MAX_BACKOFF_MS, backoff * 2 ** failures));
  let last = toBlock;
  if (last === undefined) {
    for (let attempt = 0; ; attempt++) {
      try {
        last = await provider.getBlockNumber();
        break;
      } catch (err) {
        if (attempt >= retries) throw err;
        await wait(attempt);
      }
    }
  }
  const out: T[] = [];
  // Half the smallest range refused: no range is wider.
  let ceiling = Math.min(maxBlocks, state.ceiling ?? maxBlocks);
  let span = ceiling;
  let from = fromBlock;
  let failures = 0;
  while (from <= last) {
    const to = Math.min(last, from + span - 1);
    try {
      out.push(...(await query(from, to)));
      from = to + 1;
      failures = 0;
      span = Math.min(ceiling, span * 2);
    } catch (err) {
      if (isRangeRefusal(err)) {
        if (to === from) {
          const words = nodeTexts(err).find((t) => SIZE_REFUSAL.test(t)) ?? "refused";
          throw new CareLedgerError("LOG_QUERY_REFUSED", `the node refuses the logs of block ${from} alone for their size ("${words.slice(0, 200)}"): read them from a node without that limit`, { cause: err });
        }
        // Half the range refused, and no range wider after it (this read's and, through `state`, the next):
        // growing back towards the limit would be refused again at every other query.
        ceiling = Math.min(ceiling, Math.max(1, Math.floor((to - from + 1) / 2)));
        state.ceiling = Math.min(state.ceiling ?? ceiling, ceiling);
        span = ceiling;
        continue;
      }
      if (failures >= retries) throw err;
      await wait(failures);
      failures++;
    }
  }
  return out;
}
