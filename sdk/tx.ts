/**
 * Transaction handles: every write returns one, and its result is decoded from the receipt.
 */
import type { BaseContract, ContractTransactionResponse, LogDescription, TransactionReceipt } from "ethers";
import { CareLedgerError, withDecodedErrors } from "./errors";

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
   * Waits for the transaction to be mined and decodes its result.
   * @throws {ContractRevertError} when it reverted on chain
   * @throws {CareLedgerError} `TRANSACTION_DROPPED` when the node no longer knows it
   */
  async wait(confirmations = 1): Promise<Confirmed<T>> {
    const receipt = await withDecodedErrors(() => this.response.wait(confirmations));
    if (!receipt) throw new CareLedgerError("TRANSACTION_DROPPED", `transaction ${this.hash} was dropped before it was mined`);
    return Object.assign(this.#decode(receipt), { receipt });
  }
}

/**
 * Sends a contract write, turning reverts found while estimating gas into typed errors.
 * @throws {ContractRevertError} when the node refuses the call
 */
export async function send<T extends object>(
  write: () => Promise<ContractTransactionResponse>,
  decode: (receipt: TransactionReceipt) => T,
): Promise<TxHandle<T>> {
  return new TxHandle(await withDecodedErrors(write), decode);
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
