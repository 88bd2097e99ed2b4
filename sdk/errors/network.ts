/**
 * Failures of the connection rather than of a contract: no addresses for the chain, a node that
 * cannot be reached, and transactions that were dropped, replaced, stuck behind a nonce gap, or
 * reverted in a way that can no longer be decoded.
 */
import { CareLedgerError, causeChain, findRevertData } from "./base";

/** The connected chain has no CareLedger address book and no addresses were given. */
export class UnsupportedChainError extends CareLedgerError {
  readonly chainId: bigint;

  constructor(chainId: bigint, detail: string) {
    super("UNSUPPORTED_CHAIN", `CareLedger has no addresses for chain ${chainId}: ${detail}`);
    this.chainId = chainId;
  }
}

/** The JSON-RPC node could not be reached (refused, reset, timed out): nothing is known about the last request. */
export class NodeUnreachableError extends CareLedgerError {
  constructor(detail: string, cause?: unknown) {
    super("NODE_UNREACHABLE", `the node could not be reached (${detail}): check the RPC URL and the node, then run the same command again (writes are idempotent)`, { cause });
  }
}

/** A sent transaction the node no longer knows, whose nonce was not used: it will never be mined. */
export class TransactionDroppedError extends CareLedgerError {
  /** The dropped transaction's hash. */
  readonly hash: string;

  constructor(hash: string, cause?: unknown) {
    super("TRANSACTION_DROPPED", `transaction ${hash} was dropped before it was mined: nothing it would have done happened; send it again`, { cause });
    this.hash = hash;
  }
}

/** Another transaction with the same sender and nonce was mined instead of this one. */
export class TransactionReplacedError extends CareLedgerError {
  /** The replaced transaction's hash. */
  readonly hash: string;
  /** The transaction mined in its place, when known. */
  readonly replacement?: string;
  /** `repriced` (same call, higher fee), `cancelled` (nothing sent), `replaced` (another call), or `unknown`. */
  readonly reason: string;

  constructor(hash: string, reason: string, replacement?: string, cause?: unknown) {
    super(
      "TRANSACTION_REPLACED",
      `transaction ${hash} was replaced (${reason})${replacement ? ` by ${replacement}` : ""}: check the state on chain before sending it again`,
      { cause },
    );
    this.hash = hash;
    this.reason = reason;
    this.replacement = replacement;
  }
}

/** A transaction whose nonce is ahead of its sender's next nonce: it waits for a missing one and is not mined. */
export class NonceGapError extends CareLedgerError {
  /** The transaction's hash; undefined when the node refused it outright (a node that mines on arrival queues nothing). */
  readonly hash?: string;
  /** The transaction's nonce. */
  readonly nonce: number;
  /** The sender's next nonce: the one that is missing. */
  readonly expected: number;

  constructor(hash: string | undefined, nonce: number, expected: number, cause?: unknown) {
    super(
      "NONCE_GAP",
      `${hash ? `transaction ${hash}` : "the transaction"} has nonce ${nonce} but its sender's next nonce is ${expected}: it cannot be mined until nonces ${expected}..${nonce - 1} are used; send them or use nonce ${expected}`,
      { cause },
    );
    this.hash = hash;
    this.nonce = nonce;
    this.expected = expected;
  }
}

/** A transaction reverted on chain and the revert could not be reproduced to decode it. */
export class TransactionRevertedError extends CareLedgerError {
  readonly hash: string;

  constructor(hash: string, cause?: unknown) {
    super("TRANSACTION_REVERTED", `transaction ${hash} was mined but reverted; the state changed since, so the reason could not be decoded`, { cause });
    this.hash = hash;
  }
}

const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENOTFOUND", "EAI_AGAIN", "UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT"]);
const UNREACHABLE_TEXT = /ECONNREFUSED|ECONNRESET|socket hang up|other side closed|fetch failed|Cannot connect to the network|network error|connection refused/i;

/** Where a transport failure nests in an ethers / Hardhat / undici / Node error. */
const TRANSPORT_KEYS = ["cause", "error", "parent", "info"] as const;

/** The transport failure in an error chain (ethers, Hardhat, undici, Node), as a short detail, or undefined. */
export function findTransportFailure(err: unknown, depth = 0): string | undefined {
  for (const e of causeChain(err, TRANSPORT_KEYS, depth)) {
    if (typeof e.code === "string" && UNREACHABLE_CODES.has(e.code)) return e.code;
    if (e.code === "NETWORK_ERROR" || e.code === "TIMEOUT") return String(e.code);
    // By message only for errors a library raised (they carry a code, an error number or a cause):
    // a bare Error whose text merely mentions a refusal is left as it is.
    const raisedByLibrary = e.code !== undefined || e.number !== undefined || e.cause !== undefined;
    if (raisedByLibrary && typeof e.message === "string" && UNREACHABLE_TEXT.test(e.message) && findRevertData(e) === undefined) {
      return (UNREACHABLE_TEXT.exec(e.message) as RegExpExecArray)[0];
    }
  }
  return undefined;
}

/** Hardhat's refusal of a transaction whose nonce is ahead ("Nonce too high. Expected nonce to be 2 but got 3"). */
export const NONCE_TOO_HIGH = /nonce too high\. expected nonce to be (\d+) but got (\d+)/i;

/** Where messages nest in an error chain. */
const MESSAGE_KEYS = ["cause", "error", "info", "data"] as const;

/** Every message in an error chain, joined. */
export function messagesOf(err: unknown): string {
  return [...causeChain(err, MESSAGE_KEYS)].map((e) => (typeof e.message === "string" ? e.message : "")).join("\n");
}
