/**
 * Encodings written once and used everywhere (contracts' tests, SDK, tasks, scripts, demo): the
 * canonical JSON, salts and the suite's one salted commitment that every part's commitments use.
 */
import canonicalize from "canonicalize";
import { concat, getBytes, hexlify, keccak256, randomBytes, toUtf8Bytes } from "ethers";
import { ValidationError } from "../errors";
import { isBytes32 } from "./validate";

/**
 * The RFC 8785 (JSON Canonicalization Scheme) form of a JSON value.
 * @throws {ValidationError} when the value is not representable as JSON (undefined, a function, NaN…)
 */
export function canonicalJson(value: unknown, field = "value"): string {
  let out: string | undefined;
  try {
    out = canonicalize(value);
  } catch (err) {
    throw new ValidationError(field, `cannot be canonicalized as JSON (${(err as Error).message})`);
  }
  if (out === undefined) throw new ValidationError(field, "is not a JSON value");
  return out;
}

/**
 * Returns a fresh 256-bit random salt (`0x` + 64 hex digits) from the platform's CSPRNG: one per
 * record (shared by its versions), one per consent document.
 */
export function newSalt(): string {
  return hexlify(randomBytes(32));
}

/**
 * Checks a salt: 32 bytes of hex. Returns it lower-cased.
 * @throws {ValidationError} naming `field`
 */
export function requireSalt(value: unknown, field = "salt"): string {
  if (!isBytes32(value)) throw new ValidationError(field, "a salt is 32 bytes of hex (0x + 64 hex digits)");
  return value.toLowerCase();
}

/**
 * The suite's one salted commitment: keccak256(domain ‖ salt ‖ RFC 8785 canonical JSON of `value`).
 * Without the salt it can be neither recomputed nor brute-forced, even for low-entropy content;
 * changing one byte of the content changes it; the domain keeps commitments of different kinds apart.
 * @param field the name used in validation errors for `value`
 * @throws {ValidationError} when `value` is not a JSON object or the salt is not 32 bytes
 */
export function saltedCommitment(domain: string, value: unknown, salt: string, field = "value"): string {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ValidationError(field, "must be a JSON object");
  }
  const s = getBytes(requireSalt(salt));
  const canonical = canonicalJson(value, field);
  // canonicalize 2.1 writes `undefined` for functions and undefined members instead of refusing them.
  if (canonical.includes("undefined")) {
    try {
      JSON.parse(canonical);
    } catch {
      throw new ValidationError(field, "holds a value that is not JSON (undefined or a function)");
    }
  }
  return keccak256(concat([toUtf8Bytes(domain), s, toUtf8Bytes(canonical)]));
}
