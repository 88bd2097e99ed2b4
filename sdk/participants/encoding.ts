/**
 * The participants' encoding: the commitment of an organization's public profile.
 */
import { keccak256, toUtf8Bytes } from "ethers";
import { ValidationError } from "../errors";
import { canonicalJson } from "../core/encoding";

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
