/**
 * Transaction handles: every write returns one, and its result is decoded from the receipt.
 */
import type { BaseContract, ContractRunner, ContractTransactionResponse, LogDescription, Provider, Signer, TransactionReceipt } from "ethers";
import {
  CareLedgerError,
  decodeRevertData,
  findRevertData,
  InsufficientFundsError,
  NodeUnreachableError,
  NonceGapError,
  TransactionDroppedError,
  TransactionReplacedError,
  TransactionRevertedError,
} from "../errors";
import { read, toSdkError } from "./read";

/** A decoded result together with the receipt it came from. */
export type Confirmed<T extends object> = T & { readonly receipt: TransactionReceipt };

/** A sent transaction whose result is decoded from its receipt by {@link TxHandle.wait}. */
export class TxHandle<T extends object> {
  /** The transaction as the node accepted it. */
  readonly response: ContractTransactionResponse;
  readonly #decode: (receipt: TransactionReceipt) => T;

  constructor(response: ContractTransactionResponse, decode: (receipt: TransactionReceipt) => T) {
    this.response = response;
    this.#decode = decode;
  }

  /** The transaction hash. */
  get hash(): string {
    return this.response.hash;
  }

  /**
   * Waits for the transaction to be mined and decodes its result. While it waits it watches the
   * node, so that a transaction that can never be mined fails with a typed error instead of
   * waiting forever.
   * @throws {ContractRevertError} when it reverted on chain (the revert is replayed to decode it)
   * @throws {TransactionRevertedError} `TRANSACTION_REVERTED` when it reverted and the replay does not reproduce it
   * @throws {TransactionDroppedError} `TRANSACTION_DROPPED` when the node no longer knows it and its nonce is unused
   * @throws {TransactionReplacedError} `TRANSACTION_REPLACED` when another transaction took its nonce
   * @throws {NonceGapError} `NONCE_GAP` when its nonce is ahead of the sender's next nonce
   * @throws {NodeUnreachableError} `NODE_UNREACHABLE` when the node stops answering
   */
  async wait(confirmations = 1): Promise<Confirmed<T>> {
    const watch = { stopped: false };
    let receipt: TransactionReceipt | null;
    try {
      const mined = this.response.wait(confirmations);
      const watched = this.#watch(watch);
      // The loser of the race may settle later (e.g. when the provider is destroyed): never unhandled.
      mined.catch(() => undefined);
      watched.catch(() => undefined);
      receipt = await Promise.race([mined, watched]);
    } catch (err) {
      const reverted = (err as { code?: unknown; receipt?: TransactionReceipt | null }).receipt;
      if ((err as { code?: unknown }).code === "CALL_EXCEPTION" && reverted) throw await this.#replayRevert(reverted, err);
      throw toSdkError(err, this.response.provider);
    } finally {
      watch.stopped = true;
    }
    if (!receipt) throw new TransactionDroppedError(this.hash);
    return Object.assign(this.#decode(receipt), { receipt });
  }

  /** Polls the node while {@link wait} waits; rejects when the transaction can never be mined. */
  async #watch(watch: { stopped: boolean }): Promise<never> {
    const provider = this.response.provider as Provider & { pollingInterval?: number };
    const interval = Math.min(Math.max(provider.pollingInterval ?? 1_000, 20), 1_000);
    const { from, nonce } = this.response;
    let missing = 0;
    let failures = 0;
    for (;;) {
      await sleep(interval, true);
      if (watch.stopped) return new Promise<never>(() => undefined);
      try {
        const tx = await provider.getTransaction(this.hash);
        failures = 0;
        if (tx === null) {
          if ((await provider.getTransactionReceipt(this.hash)) !== null) continue;
          const next = await provider.getTransactionCount(from, "latest");
          // Seen missing twice in a row: a node behind a load balancer may answer late once.
          if (++missing < 2) continue;
          if (next > nonce) {
            // The nonce was used by another transaction. Give ethers' own replacement detection
            // (which names the replacement) one more round, then report it ourselves.
            if (missing < 4) continue;
            const found = await this.#findReplacement(provider);
            throw new TransactionReplacedError(this.hash, found?.reason ?? "unknown", found?.hash);
          }
          throw new TransactionDroppedError(this.hash);
        }
        missing = 0;
        if (tx.blockNumber === null) {
          const expected = await provider.getTransactionCount(from, "pending");
          if (tx.nonce > expected) throw new NonceGapError(this.hash, tx.nonce, expected);
        }
      } catch (err) {
        if (err instanceof CareLedgerError) throw err;
        const mapped = toSdkError(err, provider);
        if (!(mapped instanceof NodeUnreachableError)) throw mapped;
        // A node that misses three polls in a row is gone.
        if (++failures >= 3) throw mapped;
      }
    }
  }

  /** The mined transaction with this one's sender and nonce, searched in the latest 64 blocks. */
  async #findReplacement(provider: Provider): Promise<{ hash: string; reason: string } | undefined> {
    const { from, nonce, to, data, value } = this.response;
    const latest = await provider.getBlockNumber();
    for (let n = latest; n >= 0 && n > latest - 64; n--) {
      const block = await provider.getBlock(n, true);
      const tx = block?.prefetchedTransactions.find((t) => t.from === from && t.nonce === nonce);
      if (!tx) continue;
      const cancelled = tx.data === "0x" && tx.to === from && tx.value === 0n;
      const repriced = tx.to === to && tx.data === data && tx.value === value;
      return { hash: tx.hash, reason: cancelled ? "cancelled" : repriced ? "repriced" : "replaced" };
    }
    return undefined;
  }

  /** Replays a reverted transaction at its block to decode why it reverted. */
  async #replayRevert(receipt: TransactionReceipt, cause: unknown): Promise<Error> {
    const tx = this.response;
    try {
      await tx.provider.call({ to: tx.to, from: tx.from, data: tx.data, value: tx.value, blockTag: receipt.blockNumber });
    } catch (err) {
      const data = findRevertData(err);
      if (data) return decodeRevertData(data, cause);
      const mapped = toSdkError(err, tx.provider);
      if (mapped instanceof NodeUnreachableError) return mapped;
    }
    return new TransactionRevertedError(this.hash, cause);
  }
}

/**
 * Sends a contract write, turning reverts found while estimating gas into typed errors.
 * @throws {ContractRevertError} when the node refuses the call
 * @throws {NodeUnreachableError} `NODE_UNREACHABLE` when the node cannot be reached
 * @throws {InsufficientFundsError} `INSUFFICIENT_FUNDS` when `from` cannot pay for it (naming it and the shortfall)
 */
export async function send<T extends object>(
  write: () => Promise<ContractTransactionResponse>,
  decode: (receipt: TransactionReceipt) => T,
  from?: ContractRunner | null,
): Promise<TxHandle<T>> {
  try {
    return new TxHandle(await write(), decode);
  } catch (err) {
    throw await withSender(toSdkError(err, from), from);
  }
}

/**
 * An {@link InsufficientFundsError} names the account and the amounts: the sender's address and
 * balance are asked of `from` (the Signer that sent) when the node's refusal did not carry them.
 */
async function withSender(err: unknown, from: ContractRunner | null | undefined): Promise<unknown> {
  if (!(err instanceof InsufficientFundsError) || (err.account !== undefined && err.balance !== undefined)) return err;
  const signer = from as Partial<Signer> | null | undefined;
  if (typeof signer?.getAddress !== "function") return err;
  try {
    const account = err.account ?? (await signer.getAddress());
    const balance = err.balance ?? (await signer.provider?.getBalance(account));
    return new InsufficientFundsError({ account, balance, required: err.required }, err.cause);
  } catch {
    return err; // the node went away meanwhile: the refusal as it was
  }
}

/**
 * Returns every log of `contract` named `eventName` in `receipt`, decoded.
 */
export function eventsIn(contract: BaseContract, receipt: TransactionReceipt, eventName: string): LogDescription[] {
  const address = (contract.target as string).toLowerCase();
  const out: LogDescription[] = [];
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== address) continue;
    const parsed = contract.interface.parseLog(log);
    if (parsed && parsed.name === eventName) out.push(parsed);
  }
  return out;
}

/**
 * Returns the single `eventName` log of `contract` in `receipt`.
 * @throws {CareLedgerError} `EVENT_MISSING` when the receipt holds none
 */
export function eventIn(contract: BaseContract, receipt: TransactionReceipt, eventName: string): LogDescription {
  const [first] = eventsIn(contract, receipt, eventName);
  if (!first) throw new CareLedgerError("EVENT_MISSING", `transaction ${receipt.hash} emitted no ${eventName}`);
  return first;
}

/** Resolves after `ms`; an unref'd timer (`background`) does not keep the process alive by itself. */
function sleep(ms: number, background = false): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    if (background) timer.unref?.();
  });
}

/**
 * Waits until every transaction `account` has sent is mined (its pending nonce equals its mined
 * nonce): what a batch that stopped half way must do before it looks at the chain to resume, so
 * that a transaction still in the node's pool is never sent a second time.
 * @param onWait called once, with the number of pending transactions, when there are some
 * @throws {CareLedgerError} `PENDING_TRANSACTIONS` when they are still pending after `timeoutMs`
 * @throws {NodeUnreachableError} `NODE_UNREACHABLE` when the node does not answer
 */
export async function waitForPendingTransactions(
  provider: Provider,
  account: string,
  options: { timeoutMs?: number; pollMs?: number; onWait?: (pending: number) => void } = {},
): Promise<void> {
  const { timeoutMs = 120_000, pollMs = 250 } = options;
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    const [mined, pending] = await read(() => Promise.all([provider.getTransactionCount(account, "latest"), provider.getTransactionCount(account, "pending")]), provider);
    if (pending <= mined) return;
    if (!told) options.onWait?.(pending - mined);
    told = true;
    if (Date.now() > deadline) {
      throw new CareLedgerError("PENDING_TRANSACTIONS", `${account} still has ${pending - mined} pending transaction(s) after ${timeoutMs} ms: wait for them to be mined (or replace them) before resuming`);
    }
    await sleep(pollMs);
  }
}
