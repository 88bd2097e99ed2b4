/**
 * The closed vocabularies of consent, mirrored from `contracts/consent/ConsentVocabulary.sol`
 * (a test proves both agree): data classes and purposes as bit positions, break-glass reason
 * codes, and grantee keys. Names are accepted case-insensitively and validated naming the field.
 */
import { getAddress, toBeHex, zeroPadValue } from "ethers";
import { ValidationError } from "../errors";
import { requireAddress, requireId } from "../core/validate";

export {
  BREAK_GLASS_REASONS,
  DATA_CLASSES,
  dataClassName,
  GENERAL_DATA_CLASSES,
  PURPOSES,
  purposeName,
  purposeNames,
  SENSITIVE_DATA_CLASSES,
  type BreakGlassReasonName,
  type DataClassName,
  type PurposeName,
} from "./codes";
import { BREAK_GLASS_REASONS, DATA_CLASSES, GENERAL_DATA_CLASSES, PURPOSES, SENSITIVE_DATA_CLASSES, type BreakGlassReasonName, type DataClassName } from "./codes";

function maskOf(names: readonly string[], table: Record<string, number>): number {
  return names.reduce((m, n) => m | (1 << table[n]), 0) >>> 0;
}

/** The mask of the general classes (`ConsentVocabulary.GENERAL_CLASSES`). */
export const GENERAL_CLASSES_MASK = maskOf(GENERAL_DATA_CLASSES, DATA_CLASSES);
/** The mask of the sensitive classes (`ConsentVocabulary.SENSITIVE_CLASSES`). */
export const SENSITIVE_CLASSES_MASK = maskOf(SENSITIVE_DATA_CLASSES, DATA_CLASSES);
/** Every assigned class (`ConsentVocabulary.ALL_CLASSES`). */
export const ALL_CLASSES_MASK = (GENERAL_CLASSES_MASK | SENSITIVE_CLASSES_MASK) >>> 0;
/** Every assigned purpose (`ConsentVocabulary.ALL_PURPOSES`). */
export const ALL_PURPOSES_MASK = maskOf(Object.keys(PURPOSES), PURPOSES);

/** The tag in the top byte of an organization's grantee key (`ConsentVocabulary.ORGANIZATION_TAG`). */
export const ORGANIZATION_TAG = 1n << 248n;

function lookup<T extends Record<string, number>>(field: string, value: unknown, table: T, what: string): T[keyof T] {
  if (typeof value === "string") {
    const key = Object.keys(table).find((k) => k.toLowerCase() === value.toLowerCase());
    if (key !== undefined) return table[key as keyof T];
  } else if (typeof value === "number" && Object.values(table).includes(value)) {
    return value as T[keyof T];
  }
  throw new ValidationError(field, `${JSON.stringify(value)} is not a ${what}: use one of ${Object.keys(table).join(", ")}`);
}

/**
 * The bit position of one data class, given by name (case-insensitive) or position.
 * @throws {ValidationError} naming `field`
 */
export function dataClassOf(field: string, value: unknown): number {
  return lookup(field, value, DATA_CLASSES, "data class");
}

/**
 * The bit position of one purpose, given by name (case-insensitive) or position.
 * @throws {ValidationError} naming `field`
 */
export function purposeOf(field: string, value: unknown): number {
  return lookup(field, value, PURPOSES, "purpose of use");
}

/**
 * A break-glass reason code, given by name or code.
 * @throws {ValidationError} naming `field`
 */
export function reasonCodeOf(field: string, value: unknown): number {
  return lookup(field, value, BREAK_GLASS_REASONS, "break-glass reason");
}

function requireList(field: string, value: unknown): readonly unknown[] {
  if (!Array.isArray(value) || value.length === 0) throw new ValidationError(field, "must be a non-empty list");
  return value;
}

/**
 * The mask of a non-empty list of data classes (names or positions).
 * @throws {ValidationError} naming `field` (or `field[i]`)
 */
export function classMask(field: string, values: unknown): number {
  return requireList(field, values).reduce<number>((m, v, i) => (m | (1 << dataClassOf(`${field}[${i}]`, v))) >>> 0, 0);
}

/**
 * The mask of a non-empty list of purposes (names or positions).
 * @throws {ValidationError} naming `field` (or `field[i]`)
 */
export function purposeMask(field: string, values: unknown): number {
  return requireList(field, values).reduce<number>((m, v, i) => m | (1 << purposeOf(`${field}[${i}]`, v)), 0);
}

/** The names of the data classes in `mask`, in bit order. */
export function classNames(mask: number | bigint): DataClassName[] {
  const m = Number(mask);
  return (Object.keys(DATA_CLASSES) as DataClassName[]).filter((n) => (m >>> DATA_CLASSES[n]) & 1);
}

/** The name of a break-glass reason code (`undefined` when unassigned). */
export function reasonName(code: number | bigint): BreakGlassReasonName | undefined {
  return (Object.keys(BREAK_GLASS_REASONS) as BreakGlassReasonName[]).find((n) => BREAK_GLASS_REASONS[n] === Number(code));
}

/** The grantee key of one account: the address left-padded to 32 bytes. */
export function accountGrantee(account: string): string {
  return zeroPadValue(requireAddress("grantee.account", account), 32).toLowerCase();
}

/**
 * The grantee key of an organization: `ORGANIZATION_TAG | orgId`.
 * @throws {ValidationError} when `orgId` is not a valid id
 */
export function organizationGrantee(orgId: bigint | number | string): string {
  return toBeHex(ORGANIZATION_TAG | requireId("grantee.organization", orgId), 32);
}

/** A grantee: one account or one organization of the participant registry. */
export type Grantee = { readonly account: string } | { readonly organization: bigint | number | string };

/** A decoded grantee key. */
export type ParsedGrantee = { readonly kind: "account"; readonly account: string } | { readonly kind: "organization"; readonly orgId: bigint };

/**
 * The grantee key of `grantee`: `{ account }`, `{ organization }`, an address, or a 32-byte key.
 * @throws {ValidationError} naming `field`
 */
export function granteeKey(field: string, grantee: unknown): string {
  if (typeof grantee === "string") {
    if (/^0x[0-9a-fA-F]{40}$/.test(grantee)) return accountGrantee(grantee);
    if (/^0x[0-9a-fA-F]{64}$/.test(grantee)) {
      parseGrantee(grantee, field);
      return grantee.toLowerCase();
    }
  } else if (grantee && typeof grantee === "object") {
    const g = grantee as Record<string, unknown>;
    try {
      if ("account" in g) return accountGrantee(g.account as string);
      if ("organization" in g) return organizationGrantee(g.organization as bigint);
    } catch (err) {
      throw new ValidationError(field, (err as ValidationError).message);
    }
  }
  throw new ValidationError(field, `${JSON.stringify(grantee, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))} is not a grantee: use { account } or { organization }`);
}

/**
 * Decodes a grantee key into an account or an organization id.
 * @throws {ValidationError} naming `field` when the key is neither
 */
export function parseGrantee(key: string, field = "grantee"): ParsedGrantee {
  const k = BigInt(key);
  if (k >> 160n === 0n) {
    if (k === 0n) throw new ValidationError(field, "the zero key is not a grantee");
    return { kind: "account", account: getAddress(toBeHex(k, 20)) };
  }
  const orgId = k & ((1n << 64n) - 1n);
  if (k >> 64n !== ORGANIZATION_TAG >> 64n || orgId === 0n) throw new ValidationError(field, `${key} is neither an account nor an organization key`);
  return { kind: "organization", orgId };
}
