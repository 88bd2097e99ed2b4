/**
 * What every part's gas benchmark gets: the deployed suite, named signers, and helpers that read
 * gas from receipts (never from estimates) and measure cold views through the probe contract.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { ContractTransactionResponse, HDNodeWallet } from "ethers";
import type { AddressBook } from "../../sdk";
import type { ViewProbe } from "../../typechain-types";

/** One operation's measured gas and its budget (when the issue sets one). */
export interface Measurement {
  readonly key: string;
  readonly gas: bigint;
  readonly budget?: number;
}

export interface BenchContext {
  readonly hre: HardhatRuntimeEnvironment;
  readonly book: AddressBook;
  readonly probe: ViewProbe;
  /** Gas used by a sent transaction, from its receipt. */
  gasOf(tx: Promise<ContractTransactionResponse>): Promise<bigint>;
  /** Gas a view costs when called cold from another contract. */
  coldView(target: string, data: string): Promise<bigint>;
  /** `n` new accounts with ETH for gas, so that no part's actors collide with another's. */
  fresh(n: number): Promise<HDNodeWallet[]>;
}

/** A part's benchmark: runs its operations on the context and returns the measurements. */
export type PartBench = (ctx: BenchContext) => Promise<Measurement[]>;
