/**
 * Input checks run before anything is sent. Each names the field it checks, so the caller reads
 * `admin: "0x12" is not an address` rather than an RPC error.
 */
import { getAddress, isAddress, isHexString, ZeroAddress } from "ethers";
import { ValidationError } from "../errors";

const MAX_UINT64 = (1n << 64n) - 1n;

/**
 * Returns the checksummed address, refusing anything that is not a 20-byte address.
 * @throws {ValidationError} naming `field`
 */
export function requireAddress(field: string, value: unknown, { allowZero = false } = {}): string {
  if (typeof value !== "string" || !isAddress(value)) {
    throw new ValidationError(field, `${JSON.stringify(value)} is not an address`);
  }
  const address = getAddress(value);
  if (!allowZero && address === ZeroAddress) throw new ValidationError(field, "the zero address is not allowed here");
  return address;
}

/**
 * Returns a positive id that fits the contracts' `uint64` ids.
 * @throws {ValidationError} naming `field`
 */
export function requireId(field: string, value: unknown): bigint {
  let id: bigint;
  try {
    if (typeof value === "number" && !Number.isSafeInteger(value)) throw new Error("unsafe");
    id = typeof value === "bigint" ? value : BigInt(value as string | number);
  } catch {
    throw new ValidationError(field, `${JSON.stringify(String(value))} is not a whole number`);
  }
  if (id <= 0n || id > MAX_UINT64) throw new ValidationError(field, `${id} is not a valid id (1 to 2^64-1)`);
  return id;
}

/**
 * Returns a non-zero 32-byte hex value.
 * @throws {ValidationError} naming `field`
 */
export function requireBytes32(field: string, value: unknown, { allowZero = false } = {}): string {
  if (typeof value !== "string" || !isHexString(value, 32)) {
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
