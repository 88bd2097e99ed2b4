/**
 * The errors every part shares, and the one walk over an error's cause chain: ethers, Hardhat,
 * undici and JSON-RPC errors nest what happened (`error`, `info`, `cause`…), and everything the SDK
 * looks for in them (revert data, a transport failure, messages) is found by {@link causeChain}.
 */

/** The base class of every error the SDK throws. */
export class CareLedgerError extends Error {
  /** A stable, machine-readable code, e.g. `NOT_ORGANIZATION_ADMIN` or `INVALID_INPUT`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Input refused before any transaction was sent. `field` names the offending parameter. */
export class ValidationError extends CareLedgerError {
  /** The parameter that is wrong, as the caller named it (e.g. `admin`, `orgId`, `metadata`). */
  readonly field: string;

  constructor(field: string, message: string) {
    super("INVALID_INPUT", `${field}: ${message}`);
    this.field = field;
  }
}

/** A contract call or transaction reverted with a custom error, a `require` string or a panic. */
export class ContractRevertError extends CareLedgerError {
  /** The custom error's name (`NotOrganizationAdmin`), or `Error` / `Panic` / `UnknownRevert`. */
  readonly errorName: string;
  /** The decoded arguments, by name (positional names `arg0`… where the ABI has none). */
  readonly args: Readonly<Record<string, unknown>>;
  /** The raw revert data. */
  readonly data: string;

  constructor(errorName: string, args: Record<string, unknown>, data: string, message: string, cause?: unknown) {
    super(errorCode(errorName), message, { cause });
    this.errorName = errorName;
    this.args = Object.freeze({ ...args });
    this.data = data;
  }
}

/** Turns an error name into its stable code: `NotOrganizationAdmin` → `NOT_ORGANIZATION_ADMIN`. */
export function errorCode(errorName: string): string {
  return errorName
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z])([A-Z][a-z])/g, "$1_$2")
    .toUpperCase();
}

/** A custom error's decoded arguments, by name. */
export type ErrorArgs = Record<string, unknown>;

/** Sentences by custom-error name, each built from the error's decoded arguments. */
export type MessageTable = Readonly<Record<string, (a: ErrorArgs) => string>>;

/** An argument as the sentences print it. */
export const arg = (v: unknown): string => String(v);

/** How deep {@link causeChain} follows nested errors (an error graph may loop). */
const MAX_DEPTH = 6;

/**
 * The errors nested in `err`, `err` first, depth first through `keys` in order, at most
 * {@link MAX_DEPTH} levels below `depth`; values that are not objects are skipped.
 */
export function* causeChain(err: unknown, keys: readonly string[], depth = 0): Generator<Record<string, unknown>> {
  if (depth > MAX_DEPTH || err === null || typeof err !== "object") return;
  const e = err as Record<string, unknown>;
  yield e;
  for (const key of keys) yield* causeChain(e[key], keys, depth + 1);
}

/** Where revert data nests in an ethers / Hardhat / JSON-RPC error. */
const REVERT_KEYS = ["error", "info", "cause", "receipt"] as const;

const isRevertData = (v: unknown): v is string => typeof v === "string" && /^0x([0-9a-fA-F]{2})*$/.test(v) && v.length >= 10;

/** Finds revert data (`0x…`) anywhere in an ethers / Hardhat / JSON-RPC error chain. */
export function findRevertData(err: unknown, depth = 0): string | undefined {
  for (const e of causeChain(err, REVERT_KEYS, depth)) {
    const data = e.data;
    if (isRevertData(data)) return data;
    if (data && typeof data === "object") {
      const nested = (data as Record<string, unknown>).data;
      if (isRevertData(nested)) return nested;
    }
  }
  return undefined;
}
