/**
 * What every task shares: connecting the SDK with the chosen signer, and printing results.
 * The SDK is imported lazily, because typechain-types exists only after the first compile.
 */
import * as fs from "node:fs";
import { UsageError } from "../config/cli";
import { envVar } from "../config/env";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { CareLedger } from "../sdk";

/**
 * Connects the SDK on the task's network with the signer `from` (an index into the network's
 * accounts or an address among them; default: the first account). Address books are read from
 * CARELEDGER_DEPLOYMENTS_DIR when it is set, else from `deployments/`.
 */
export async function connectSdk(hre: HardhatRuntimeEnvironment, from?: string): Promise<CareLedger> {
  const { CareLedger, ValidationError } = await import("../sdk");
  const signers = await hre.ethers.getSigners();
  let signer = signers[0];
  if (from !== undefined && from !== "") {
    const found = /^\d+$/.test(from) ? signers[Number(from)] : signers.find((s) => s.address.toLowerCase() === from.toLowerCase());
    if (!found) throw new ValidationError("from", `${from} is not one of this network's ${signers.length} accounts`);
    signer = found;
  }
  if (!signer) throw new ValidationError("from", "this network has no accounts: set DEPLOYER_PRIVATE_KEY in .env");
  return CareLedger.connect(signer, { addressBookDir: envVar("CARELEDGER_DEPLOYMENTS_DIR") });
}

/**
 * Account options take what `--from` takes: an index into the network's accounts (`--account 3`), or
 * an address (validated by the SDK where it is used). Returns `args` with each of `fields` that holds an
 * index replaced by that account's address; `org:<id>` and addresses pass through.
 */
export async function withAccounts<T extends object>(hre: HardhatRuntimeEnvironment, args: T, fields: readonly (keyof T & string)[]): Promise<T> {
  const out = { ...args };
  const indexed = fields.filter((f) => typeof out[f] === "string" && /^\d+$/.test((out[f] as string).trim()));
  if (indexed.length === 0) return out;
  const { ValidationError } = await import("../sdk");
  const signers = await hre.ethers.getSigners();
  for (const f of indexed) {
    const i = Number((out[f] as string).trim());
    if (signers[i] === undefined) throw new ValidationError(f, `${out[f] as string} is not one of this network's ${signers.length} accounts`);
    (out as Record<string, unknown>)[f] = signers[i].address;
  }
  return out;
}

/**
 * Opens `file` for writing a secret (salts): created with mode 0600, and tightened to 0600 when it
 * already existed with wider permissions (a mode given to open applies only to a new file).
 */
export function openSecret(file: string): number {
  const fd = fs.openSync(file, "w", 0o600);
  fs.fchmodSync(fd, 0o600);
  return fd;
}

/** Prints a result as one line of JSON (bigints as decimal strings). */
export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));
}

/** Reads a metadata argument: a 32-byte hex commitment, or the path of a JSON profile to commit. */
export function readMetadata(arg: string): string | Record<string, unknown> {
  if (/^0x[0-9a-fA-F]{64}$/.test(arg)) return arg;
  if (!fs.existsSync(arg)) throw new UsageError(`--metadata: ${arg} is neither a 32-byte hex commitment nor a JSON profile file`);
  return JSON.parse(fs.readFileSync(arg, "utf8")) as Record<string, unknown>;
}
