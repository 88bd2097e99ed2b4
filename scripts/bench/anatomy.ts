/**
 * The anatomy of a transaction's gas, read from the node's own trace: what the EVM charged for the
 * transaction itself and its calldata, for storage, for logs and for touching other accounts, and
 * what is left (the interpreter: stack, memory, jumps, hashing of mapping keys, ABI coding).
 *
 * A budget below `required` cannot be met by any code doing the same storage writes, reads,
 * events and calls: it is the floor of a design, measured rather than argued.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";

/** Gas by what paid for it; `required` = intrinsic + storage + logs + accounts; `interpreter` = the rest. */
export interface GasAnatomy {
  readonly gasUsed: number;
  readonly intrinsic: number;
  readonly storage: number;
  readonly logs: number;
  readonly accounts: number;
  readonly required: number;
  readonly interpreter: number;
}

interface StructLog {
  readonly op: string;
  readonly gasCost: number;
  readonly depth: number;
  readonly stack?: string[];
}

const CALLS = new Set(["CALL", "STATICCALL", "DELEGATECALL", "CALLCODE"]);
const STORAGE = new Set(["SLOAD", "SSTORE"]);
/** EIP-2929: the first touch of an account costs 2,600, later ones 100. */
const COLD_ACCOUNT = 2_600;
const WARM_ACCOUNT = 100;

/** 21,000 plus 16 gas per non-zero and 4 per zero byte of calldata (EIP-2028). */
export function intrinsicGas(data: string): number {
  const bytes = Buffer.from(data.replace(/^0x/, ""), "hex");
  let gas = 21_000;
  for (const b of bytes) gas += b === 0 ? 4 : 16;
  return gas;
}

/** Traces a mined transaction and splits its gas (see {@link GasAnatomy}). */
export async function gasAnatomy(hre: HardhatRuntimeEnvironment, txHash: string): Promise<GasAnatomy> {
  const tx = await hre.ethers.provider.getTransaction(txHash);
  const receipt = await hre.ethers.provider.getTransactionReceipt(txHash);
  if (tx === null || receipt === null) throw new Error(`transaction ${txHash} is not mined`);
  const trace = (await hre.network.provider.send("debug_traceTransaction", [txHash, { disableMemory: true, disableStorage: true }])) as {
    structLogs: StructLog[];
  };
  // Warm from the start: the sender, the recipient and the precompiles (EIP-2929).
  const warm = new Set<string>([tx.from.toLowerCase(), (tx.to ?? "").toLowerCase()]);
  for (let i = 1; i <= 0x11; i++) warm.add("0x" + i.toString(16).padStart(40, "0"));
  let storage = 0;
  let logs = 0;
  let accounts = 0;
  for (const step of trace.structLogs) {
    if (STORAGE.has(step.op)) storage += step.gasCost;
    else if (step.op.startsWith("LOG")) logs += step.gasCost;
    else if (CALLS.has(step.op) && step.stack !== undefined) {
      // The stack's top is the gas to forward, the next word the callee (the trace's gasCost also counts what is forwarded).
      const callee = "0x" + step.stack[step.stack.length - 2].replace(/^0x/, "").padStart(64, "0").slice(24).toLowerCase();
      accounts += warm.has(callee) ? WARM_ACCOUNT : COLD_ACCOUNT;
      warm.add(callee);
    }
  }
  const gasUsed = Number(receipt.gasUsed);
  const intrinsic = intrinsicGas(tx.data);
  const required = intrinsic + storage + logs + accounts;
  return { gasUsed, intrinsic, storage, logs, accounts, required, interpreter: gasUsed - required };
}
