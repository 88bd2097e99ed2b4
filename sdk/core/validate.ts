/**
 * Input checks run before anything is sent. Each names the field it checks, so the caller reads
 * `admin: "0x12" is not an address` rather than an RPC error.
 */
import { getAddress, ZeroAddress } from "ethers";
import { ValidationError } from "../errors";
import { dayProblem, TIME_LIMIT } from "./calendar";

const MAX_UINT64 = (1n << 64n) - 1n;

/**
 * Returns the checksummed address, refusing anything that is not a 20-byte address.
 * @throws {ValidationError} naming `field`
 */
export function requireAddress(field: string, value: unknown, { allowZero = false } = {}): string {
  const address = typeof value === "string" ? checksummed(value) : undefined;
  if (address === undefined) throw new ValidationError(field, `${JSON.stringify(value)} is not an address`);
  if (!allowZero && address === ZeroAddress) throw new ValidationError(field, "the zero address is not allowed here");
  return address;
}

/** Recently checked addresses (input → checksummed): a checksum is a hash, and the same few addresses recur. */
const CHECKED_ADDRESSES = new Map<string, string>();
const MAX_CHECKED_ADDRESSES = 4096;

/** `value` checksummed, or undefined when it is not an address (ethers' `getAddress`, remembered). */
function checksummed(value: string): string | undefined {
  let address = CHECKED_ADDRESSES.get(value);
  if (address === undefined) {
    try {
      address = getAddress(value);
    } catch {
      return undefined;
    }
    if (CHECKED_ADDRESSES.size >= MAX_CHECKED_ADDRESSES) CHECKED_ADDRESSES.clear();
    CHECKED_ADDRESSES.set(value, address);
  }
  return address;
}

/**
 * Returns a positive id that fits the contracts' `uint64` ids (or 0, "none", with `allowZero`).
 * @throws {ValidationError} naming `field`
 */
export function requireId(field: string, value: unknown, { allowZero = false } = {}): bigint {
  let id: bigint;
  try {
    if (typeof value === "number" && !Number.isSafeInteger(value)) throw new Error("unsafe");
    id = typeof value === "bigint" ? value : BigInt(value as string | number);
  } catch {
    throw new ValidationError(field, `${JSON.stringify(String(value))} is not a whole number`);
  }
  if (allowZero && id === 0n) return id;
  if (id <= 0n || id > MAX_UINT64) throw new ValidationError(field, `${id} is not a valid id (1 to 2^64-1)`);
  return id;
}

/** 0x and 64 hex digits: what ethers' `isHexString(value, 32)` accepts, tested without the match array it builds (the gateway checks many per response). */
const BYTES32 = /^0x[0-9a-fA-F]{64}$/;

/** Whether `value` is 32 bytes of hex (0x and 64 hex digits, either case). */
export function isBytes32(value: unknown): value is string {
  return typeof value === "string" && BYTES32.test(value);
}

/**
 * Returns a non-zero 32-byte hex value.
 * @throws {ValidationError} naming `field`
 */
export function requireBytes32(field: string, value: unknown, { allowZero = false } = {}): string {
  if (!isBytes32(value)) {
    throw new ValidationError(field, `${JSON.stringify(value)} is not a 32-byte hex value`);
  }
  if (!allowZero && /^0x0{64}$/.test(value)) throw new ValidationError(field, "must not be zero");
  return value.toLowerCase();
}

/**
 * Returns the value of a numeric enum member, accepting the member's number or (case-insensitive) name.
 * @throws {ValidationError} naming `field` and listing the accepted names
 */
export function requireEnum<E extends Record<string, string | number>>(
  field: string,
  value: unknown,
  enumObject: E,
  { exclude = [] as number[] } = {},
): E[keyof E] & number {
  const names = Object.keys(enumObject).filter((k) => Number.isNaN(Number(k)) && !exclude.includes(enumObject[k] as number));
  let n: number | undefined;
  if (typeof value === "number") n = value;
  else if (typeof value === "string") {
    const name = names.find((k) => k.toLowerCase() === value.toLowerCase());
    if (name !== undefined) n = enumObject[name] as number;
  }
  if (n === undefined || !names.some((k) => enumObject[k] === n)) {
    throw new ValidationError(field, `${JSON.stringify(value)} is not one of ${names.map((k) => k.toLowerCase()).join(", ")}`);
  }
  return n as E[keyof E] & number;
}

/**
 * Requires a boolean.
 * @throws {ValidationError} naming `field`
 */
export function requireBoolean(field: string, value: unknown): boolean {
  if (typeof value !== "boolean") throw new ValidationError(field, `${JSON.stringify(value)} is not true or false`);
  return value;
}

/**
 * A time, as every client takes it (consent's `validUntil`, claims' `start`, a signature's
 * `deadline`…): a `Date` (to the whole second, rounded down), whole seconds since the epoch (a
 * `number` or a `bigint`), or a day `"YYYY-MM-DD"` (its midnight UTC).
 */
export type TimeInput = Date | number | bigint | string;


/**
 * Seconds since the epoch of a {@link TimeInput}: the one conversion of times every client uses.
 * Refused, naming `field`: an invalid `Date`, fractional or negative seconds, a time that does not fit
 * the contracts' 40 bits, a string that is not `"YYYY-MM-DD"`, and a day that does not exist
 * (`"2025-02-30"` is refused, never rolled over into March).
 * @throws {ValidationError} naming `field`
 */
export function requireTime(field: string, value: unknown): number {
  let n: number;
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw new ValidationError(field, "is an invalid Date");
    n = Math.floor(ms / 1000);
  } else if (typeof value === "bigint") {
    if (value < 0n || value >= BigInt(TIME_LIMIT)) throw new ValidationError(field, `${value} is not a time in seconds (0 to 2^40-1)`);
    n = Number(value);
  } else if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new ValidationError(field, `${JSON.stringify(value)} is not a whole number of seconds since the epoch`);
    n = value;
  } else if (typeof value === "string") {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) {
      throw new ValidationError(field, `${JSON.stringify(value)} is not a time: give a day "YYYY-MM-DD" (midnight UTC), a Date, or whole seconds since the epoch`);
    }
    n = utcMidnight(field, value);
  } else {
    throw new ValidationError(field, `${JSON.stringify(value) ?? String(value)} is not a time: give a Date, whole seconds since the epoch, or a day "YYYY-MM-DD"`);
  }
  if (n < 0 || n >= TIME_LIMIT) throw new ValidationError(field, `${n} is not a time in seconds the contracts can hold (0 to 2^40-1)`);
  return n;
}

/**
 * Midnight UTC, in seconds since the epoch, of the day a string starts with (`"2024-03-05"`, or
 * the date part of an ISO 8601 / FHIR dateTime such as `"2024-03-05T10:00:00Z"`).
 * @throws {ValidationError} naming `field` when it does not start with a day, or the day does not exist or is before 1970
 */
export function utcMidnight(field: string, value: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:$|T)/.exec(value);
  if (!m) throw new ValidationError(field, `${JSON.stringify(value)} is not a date (YYYY-MM-DD)`);
  const why = dayProblem(m[1], m[2], m[3]);
  if (why) throw new ValidationError(field, `${JSON.stringify(value)} ${why}`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / 1000;
}

/**
 * A block number to read at (`undefined`: the latest block).
 * @throws {ValidationError} naming `blockTag` when it is not a block number
 */
export function blockTagOf(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === "bigint" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) throw new ValidationError("blockTag", `${String(value)} is not a block number`);
  return n;
}
