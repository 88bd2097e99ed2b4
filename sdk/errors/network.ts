/**
 * Failures of the connection rather than of a contract: no addresses for the chain, a node that
 * cannot be reached, and transactions that were dropped, replaced, stuck behind a nonce gap, or
 * reverted in a way that can no longer be decoded.
 */
import { formatEther, getBigInt, Transaction, type BigNumberish } from "ethers";
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
  /** The node's URL, when the provider has one (a JsonRpcProvider). */
  readonly url?: string;

  constructor(detail: string, cause?: unknown, url?: string) {
    super(
      "NODE_UNREACHABLE",
      `the node${url ? ` at ${url}` : ""} could not be reached (${detail}): check the RPC URL and the node, then run the same command again (writes are idempotent)`,
      { cause },
    );
    this.url = url;
  }
}

/** The sending account cannot pay for a transaction (gas limit × fee + value): nothing was sent. */
export class InsufficientFundsError extends CareLedgerError {
  /** The account that would have paid, when known. */
  readonly account?: string;
  /** What it holds, in wei, when the node said. */
  readonly balance?: bigint;
  /** What the transaction needs up front (gas limit × max fee + value), in wei, when the node said. */
  readonly required?: bigint;
  /** `required − balance`: what to send the account, in wei. */
  readonly shortfall?: bigint;

  constructor(found: { account?: string; balance?: bigint; required?: bigint }, cause?: unknown) {
    const { account, balance, required } = found;
    const shortfall = balance !== undefined && required !== undefined && required > balance ? required - balance : undefined;
    const eth = (wei: bigint) => `${formatEther(wei)} ETH`;
    const amounts =
      balance !== undefined && required !== undefined
        ? `: it holds ${eth(balance)} and needs ${eth(required)} for gas and value, ${eth(shortfall ?? 0n)} short`
        : " for gas and value";
    super("INSUFFICIENT_FUNDS", `${account ? `account ${account}` : "the sending account"} cannot pay for this transaction${amounts}; fund it and send again (nothing was sent)`, { cause });
    this.account = account;
    this.balance = balance;
    this.required = required;
    this.shortfall = shortfall;
  }
}

/** Hardhat's, geth's and anvil's words for a sender that cannot pay, with the amounts they give. */
const HARDHAT_FUNDS = /max upfront cost is: (\d+) and the sender's (?:account only has|balance is): (\d+)/i;
const GETH_FUNDS = /insufficient funds for gas \* price \+ value(?:: address (0x[0-9a-fA-F]{40}))?(?:: have (\d+) want (\d+)| have (\d+) want (\d+))?/i;

/**
 * The sender and the up-front cost (gas limit × max fee per gas, or gas price, + value) of the
 * transaction an error carries: ethers attaches the signed transaction (hex) to a refused
 * `eth_sendRawTransaction`, and the request (an object) elsewhere. Anvil's refusal ("Insufficient
 * funds for gas * price + value", -32003) gives no amounts, so the cost is worked out from the
 * transaction itself; the balance is asked of the node by the sender (core/tx.ts).
 */
function refusedTransaction(tx: unknown): { from?: string; upfront?: bigint } {
  try {
    const t: { from?: unknown; gasLimit?: unknown; maxFeePerGas?: unknown; gasPrice?: unknown; value?: unknown } =
      typeof tx === "string" && /^0x[0-9a-fA-F]+$/.test(tx) ? Transaction.from(tx) : ((tx ?? {}) as object);
    const from = typeof t.from === "string" ? t.from : undefined;
    const fee = t.maxFeePerGas ?? t.gasPrice;
    if (t.gasLimit === undefined || t.gasLimit === null || fee === undefined || fee === null) return { from };
    return { from, upfront: getBigInt(t.gasLimit as BigNumberish) * getBigInt(fee as BigNumberish) + getBigInt((t.value ?? 0) as BigNumberish) };
  } catch {
    return {}; // not a transaction this can read: the amounts stay unknown
  }
}

/**
 * The insufficient-funds refusal in an error chain (ethers' `INSUFFICIENT_FUNDS`, Hardhat's "Sender
 * doesn't have enough funds", geth's and anvil's "insufficient funds for gas * price + value"), with the
 * account and amounts the error carries (the cost worked out from the refused transaction when the
 * node's words give none), or undefined.
 */
export function findInsufficientFunds(err: unknown): InsufficientFundsError | undefined {
  let found = false;
  let account: string | undefined;
  let balance: bigint | undefined;
  let required: bigint | undefined;
  let upfront: bigint | undefined;
  for (const e of causeChain(err, MESSAGE_KEYS)) {
    if (e.code === "INSUFFICIENT_FUNDS") found = true;
    if (e.transaction !== undefined) {
      const tx = refusedTransaction(e.transaction);
      account ??= tx.from;
      upfront ??= tx.upfront;
    }
    const text = typeof e.message === "string" ? e.message : "";
    const hh = HARDHAT_FUNDS.exec(text);
    if (hh) {
      found = true;
      required ??= BigInt(hh[1]);
      balance ??= BigInt(hh[2]);
    }
    const geth = GETH_FUNDS.exec(text);
    if (geth) {
      found = true;
      account ??= geth[1];
      const have = geth[2] ?? geth[4];
      const want = geth[3] ?? geth[5];
      if (have !== undefined && want !== undefined) {
        balance ??= BigInt(have);
        required ??= BigInt(want);
      }
    }
  }
  return found ? new InsufficientFundsError({ account, balance, required: required ?? upfront }, err) : undefined;
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
