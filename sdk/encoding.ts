/**
 * Encodings written once and used everywhere (contracts' tests, SDK, tasks, scripts, demo).
 */
import canonicalize from "canonicalize";
import { keccak256, toUtf8Bytes } from "ethers";
import { ValidationError } from "./errors";

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
 * The commitment of an organization's public profile (name, licence, contact…): keccak256 of its
 * RFC 8785 canonical JSON. The profile is public, so it is not salted; anyone holding the published
 * profile recomputes this and compares it with the registry's `metadata`.
 * @throws {ValidationError} when the profile is not a JSON object
 */
export function profileCommitment(profile: Record<string, unknown>): string {
  if (profile === null || typeof profile !== "object" || Array.isArray(profile)) {
    throw new ValidationError("metadata", "a profile must be a JSON object");
  }
  return keccak256(toUtf8Bytes(canonicalJson(profile, "metadata")));
}
