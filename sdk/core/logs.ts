/**
 * Event logs read in bounded block ranges. Public endpoints cap `eth_getLogs` (a few thousand blocks, or
 * results), so every history the SDK reads goes through {@link readLogs}: from the first block to the
 * last in ranges of at most `maxBlocks`, halving a range the node refuses as too large (and growing it
 * back after), and retrying a node that failed for a moment with back-off. The logs come back in block
 * order, each once, exactly as one query over the whole range would give them.
 */
import type { Provider } from "ethers";

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

/**
 * Whether a node refused a log query for its size (too many blocks or results), as the common nodes and
 * providers word it (geth, Infura, Alchemy, QuickNode, Ankr, Anvil, Hardhat, Erigon, Nethermind).
 */
export function isRangeRefusal(err: unknown): boolean {
  const texts: string[] = [];
  const seen = new Set<unknown>();
  const walk = (e: unknown, depth: number) => {
    if (e === null || typeof e !== "object" || seen.has(e) || depth > 6) return;
    seen.add(e);
    const o = e as Record<string, unknown>;
    for (const key of ["message", "shortMessage", "body", "reason"]) if (typeof o[key] === "string") texts.push(o[key] as string);
    for (const key of ["error", "info", "cause", "data"]) walk(o[key], depth + 1);
  };
  walk(err, 0);
  if (texts.some((t) => /\brate.?limit|too many requests|\b429\b/i.test(t))) return false;
  return texts.some((t) =>
    /(block range|range (is )?too (large|wide|big)|too (many|large) (blocks|results|logs)|more than \d+ (results|logs|blocks)|limit(ed)? (exceeded|to)|exceed(s|ed)? (the )?max(imum)?|response size (exceeded|is larger)|query timeout|10000 results)/i.test(t),
  );
}

/** An ethers provider answers a request it answered (or failed) in the last 250 ms from its cache. */
const MIN_BACKOFF_MS = 260;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Reads logs from `fromBlock` to `toBlock` (default: the latest block, read once) in ranges of at most
 * `options.maxBlocks`, with `query(from, to)` (e.g. `(a, b) => contract.queryFilter(filter, a, b)`).
 * A range the node refuses as too large is halved (down to one block), and the next ranges grow back up to
 * just below the smallest range refused; any other failure is retried with back-off, `options.retries`
 * times, then thrown.
 */
export async function readLogs<T>(
  provider: Provider,
  query: (from: number, to: number) => Promise<T[]>,
  fromBlock: number,
  toBlock?: number,
  options: LogReadOptions = {},
): Promise<T[]> {
  const maxBlocks = Math.max(1, Math.floor(options.maxBlocks ?? DEFAULT_LOG_RANGE));
  const retries = options.retries ?? 5;
  const backoff = Math.max(MIN_BACKOFF_MS, options.backoffMs ?? 300);
  let last = toBlock;
  if (last === undefined) {
    for (let attempt = 0; ; attempt++) {
      try {
        last = await provider.getBlockNumber();
        break;
      } catch (err) {
        if (attempt >= retries) throw err;
        await sleep(backoff * 2 ** attempt);
      }
    }
  }
  const out: T[] = [];
  let span = maxBlocks;
  // Below the smallest range refused: the next ranges grow back to it, not past it.
  let ceiling = maxBlocks;
  let from = Math.max(0, fromBlock);
  let failures = 0;
  while (from <= last) {
    const to = Math.min(last, from + span - 1);
    try {
      out.push(...(await query(from, to)));
      from = to + 1;
      failures = 0;
      span = Math.min(ceiling, span * 2);
    } catch (err) {
      if (isRangeRefusal(err) && to > from) {
        ceiling = Math.min(ceiling, to - from);
        span = Math.max(1, Math.floor((to - from + 1) / 2));
        continue;
      }
      if (failures >= retries) throw err;
      await sleep(backoff * 2 ** failures);
      failures++;
    }
  }
  return out;
}
