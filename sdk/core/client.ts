/**
 * What every contract client shares: the typechain contract, its address, where its events start,
 * the check that writes have a Signer, the one way reads go to the node ({@link ManagedClient.read}),
 * and pausing (every suite contract is ManagedPausable).
 */
import { EventLog, getAddress, Log, type BaseContract, type Block, type BlockTag, type ContractRunner, type ContractTransactionResponse, type Overrides, type Provider, type Signer, type TransactionReceipt } from "ethers";
import type { TypedContractEvent, TypedContractMethod, TypedDeferredTopicFilter, TypedEventLog } from "../../typechain-types/common";
import { CareLedgerError } from "../errors";
import { IndexerUnavailableError, type IndexerSource } from "./indexer";
import { readLogs, requireBlockRange, type LogReadOptions, type LogReadState } from "./logs";
import { read, requireProvider } from "./read";
import { send, type TxHandle } from "./tx";

/**
 * Returns the runner as a Signer.
 * @throws {CareLedgerError} `READ_ONLY` when the client was connected with a Provider
 */
export function requireSigner(runner: ContractRunner | null | undefined): Signer {
  if (!runner || typeof (runner as { sendTransaction?: unknown }).sendTransaction !== "function") {
    throw new CareLedgerError("READ_ONLY", "this client was connected with a Provider: connect with a Signer to send transactions");
  }
  return runner as Signer;
}

/** A suite contract: every one inherits ManagedPausable's `pause` and `unpause`. */
export interface PausableContract extends BaseContract {
  pause: TypedContractMethod<[], [void], "nonpayable">;
  unpause: TypedContractMethod<[], [void], "nonpayable">;
}

/** The base of the per-contract clients. */
export abstract class ManagedClient<C extends PausableContract> {
  /** The typechain contract, for calls the client does not wrap. */
  readonly contract: C;
  /** The first block to read the contract's events from (the deployment block). */
  protected readonly fromBlock: number;
  /** How its histories read logs (bounded ranges: {@link readLogs}); `CareLedger.connect`'s `logs` option. */
  logOptions: LogReadOptions = {};
  /** Where its histories are read when `CareLedger.connect` was given an indexer (sdk/core/indexer.ts). */
  indexer: IndexerSource | undefined;
  /** The node's log-range limit as this client learned it (the smallest range refused). */
  readonly #logState: LogReadState = {};

  /**
   * @param contract the contract, connected to a Signer (for writes) or a Provider (reads only)
   * @param fromBlock the first block to read events from (the deployment block)
   */
  constructor(contract: C, fromBlock = 0) {
    this.contract = contract;
    this.fromBlock = fromBlock;
  }

  /** The contract's address. */
  get address(): string {
    return this.contract.target as string;
  }

  /**
   * The Provider the client reads through.
   * @throws {CareLedgerError} `NO_PROVIDER` when the runner has none
   */
  protected get provider(): Provider {
    return requireProvider(this.contract.runner);
  }

  /**
   * Runs a read of the chain (a view, `queryFilter`, `getBlock`…) through the SDK's one read path
   * ({@link read}): reverts become {@link ContractRevertError}s, a node that cannot be reached a
   * {@link NodeUnreachableError} naming its URL, and no plain ethers error reaches the caller.
   */
  protected read<T>(fn: () => Promise<T>): Promise<T> {
    return read(fn, this.contract.runner);
  }

  /**
   * The events `filter` matches (e.g. `this.contract.filters.ConsentGranted(patient)`), from `fromBlock`
   * (default the client's) to `toBlock` (default the latest block), as `queryFilter` gives them: from the
   * {@link indexer} up to the last block it holds, the rest from the node, in bounded ranges
   * ({@link readLogs}, as {@link logOptions} says) and through the one read path ({@link read}); from the
   * node alone without an indexer, or when it cannot answer. A history made of several lists reads them
   * all up to one {@link head}, so that no block's events are in one list and missing from another.
   */
  protected async logs<E extends TypedContractEvent>(filter: TypedDeferredTopicFilter<E>, fromBlock: number = this.fromBlock, toBlock?: number | "latest"): Promise<TypedEventLog<E>[]> {
    const node = (from: number, to: number | undefined) =>
      this.read(() => readLogs(this.provider, (a, b) => (this.contract as BaseContract).queryFilter(filter, a, b) as Promise<TypedEventLog<E>[]>, from, to, this.logOptions, this.#logState));
    const indexer = this.indexer;
    if (indexer === undefined) return node(fromBlock, toBlock === "latest" ? undefined : toBlock);
    requireBlockRange(fromBlock, toBlock === "latest" ? undefined : toBlock);
    const last = toBlock === undefined || toBlock === "latest" ? await this.head() : toBlock;
    // After the head, or a range that ends before it starts: nothing, as from the node.
    if (last < fromBlock) return [];
    let held: Awaited<ReturnType<IndexerSource["logs"]>>;
    try {
      held = await indexer.logs({ address: this.address, topics: await filter.getTopicFilter(), fromBlock, toBlock: last });
    } catch (err) {
      if (!(err instanceof IndexerUnavailableError)) throw err;
      indexer.passedOver(err);
      return node(fromBlock, last);
    }
    const provider = this.provider;
    // As ethers' queryFilter makes them from a node's logs: the same class, fragment and provider.
    const events = held.logs.map(
      (l) =>
        new EventLog(
          new Log({ ...l, index: l.logIndex, address: getAddress(l.address), topics: [...l.topics], removed: false }, provider),
          this.contract.interface,
          filter.fragment,
        ) as unknown as TypedEventLog<E>,
    );
    return held.head >= last ? events : [...events, ...(await node(Math.max(fromBlock, held.head + 1), last))];
  }

  /** The latest block's number, read once for a history made of several lists ({@link logs}). */
  protected head(): Promise<number> {
    return this.read(() => this.provider.getBlockNumber());
  }

  /**
   * The block `tag` (read as {@link read} does), or null when the node does not have it.
   * @throws {NodeUnreachableError} `NODE_UNREACHABLE` when the node cannot be reached
   */
  protected block(tag: BlockTag): Promise<Block | null> {
    return this.read(() => this.provider.getBlock(tag));
  }

  /**
   * Sends a write of this client's contract (see {@link send}): reverts decoded, and a sender that
   * cannot pay named with its shortfall.
   */
  protected send<T extends object>(write: () => Promise<ContractTransactionResponse>, decode: (receipt: TransactionReceipt) => T): Promise<TxHandle<T>> {
    return send(write, decode, this.contract.runner);
  }

  /**
   * Pauses the contract (pauser role). What stops and what goes on (revocations, retractions,
   * appeals, member removals always do) is each contract's own: see its guide.
   * @throws {ContractRevertError} e.g. `AccessManagedUnauthorized`, `EnforcedPause`
   */
  async pause(overrides: Overrides = {}): Promise<TxHandle<Record<string, never>>> {
    requireSigner(this.contract.runner);
    return this.send(() => this.contract.pause(overrides), () => ({}));
  }

  /**
   * Unpauses the contract (pauser role).
   * @throws {ContractRevertError} e.g. `AccessManagedUnauthorized`, `ExpectedPause`
   */
  async unpause(overrides: Overrides = {}): Promise<TxHandle<Record<string, never>>> {
    requireSigner(this.contract.runner);
    return this.send(() => this.contract.unpause(overrides), () => ({}));
  }
}
