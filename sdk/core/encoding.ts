/**
 * Encodings written once and used everywhere (contracts' tests, SDK, tasks, scripts, demo).
 */
import canonicalize from "canonicalize";
import { keccak256, toUtf8Bytes } from "ethers";
import { AbiCoder, concat, getBytes, hexlify, isHexString, randomBytes } from "ethers";
import { ValidationError } from "../errors";

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

// ─── Records ────────────────────────────────────────────────────────────────────────────────────
// A record version is identified on chain by its commitment, never by its content:
//   commitment = keccak256(utf8("CareLedger.record.v1") ‖ salt ‖ utf8(RFC 8785 canonical JSON))
// with one 256-bit random salt per record, shared by all of the record's versions. The record's id is
// the commitment of its first version (its genesis), so it is salted and stable across versions.
// Batch leaves are OpenZeppelin StandardMerkleTree leaves over RECORD_LEAF_ENCODING.

/** The domain tag hashed in front of every record commitment (it keeps them apart from any other hash). */
export const RECORD_COMMITMENT_DOMAIN = "CareLedger.record.v1";

/** The domain tag hashed in front of every consent-document commitment. */
export const CONSENT_DOCUMENT_DOMAIN = "CareLedger.consent-document.v1";

/** The domain tag hashed in front of every access reference ({@link accessReference}). */
export const ACCESS_REFERENCE_DOMAIN = "CareLedger.access.v1";

/** The ABI types of a record batch leaf: (chainId, registry, recordId, version, commitment). */
export const RECORD_LEAF_ENCODING: readonly string[] = Object.freeze(["uint256", "address", "bytes32", "uint32", "bytes32"]);

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
  if (typeof value !== "string" || !isHexString(value, 32)) throw new ValidationError(field, "a salt is 32 bytes of hex (0x + 64 hex digits)");
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

/**
 * The commitment of one version of a record (a FHIR resource) under the record's salt.
 * @throws {ValidationError} when the resource is not a JSON object or the salt is not 32 bytes
 */
export function recordCommitment(resource: unknown, salt: string): string {
  return saltedCommitment(RECORD_COMMITMENT_DOMAIN, resource, salt, "resource");
}

/**
 * The reference an access log entry carries for a record: keccak256(ACCESS_REFERENCE_DOMAIN ‖ salt ‖
 * recordId ‖ nonce), with the record's salt and a fresh 32-byte nonce per access. It never equals a
 * record's commitment or id and two accesses to one record never share it, so the access log links no
 * patient account to its records, versions, retractions or claims; whoever holds the salt and the
 * nonce (the record holder, and the patient it gives them to) shows which record an entry was about.
 * @param nonce default: a fresh random nonce; keep it with the access (e.g. in the disclosure receipt)
 * @returns the reference and the nonce it was made with
 * @throws {ValidationError} naming `salt`, `recordId` or `nonce`
 */
export function accessReference(record: { readonly salt: string; readonly recordId: string }, nonce: string = newSalt()): { recordRef: string; nonce: string } {
  const salt = requireSalt(record.salt);
  if (!isHexString(record.recordId, 32)) throw new ValidationError("recordId", `${JSON.stringify(record.recordId)} is not 0x + 32 bytes`);
  const n = requireSalt(nonce, "nonce");
  return { recordRef: keccak256(concat([toUtf8Bytes(ACCESS_REFERENCE_DOMAIN), salt, record.recordId, n])), nonce: n };
}

/**
 * The commitment of a consent document (e.g. the FHIR Consent resource a grant came from) under its
 * own salt. Keep the salt with the document; deleting it makes the document unverifiable.
 * @throws {ValidationError} naming `document` or `salt`
 */
export function consentDocumentCommitment(document: unknown, salt: string): string {
  return saltedCommitment(CONSENT_DOCUMENT_DOMAIN, document, salt, "document");
}

/** The fields of a record batch leaf. */
export interface RecordLeafFields {
  /** The chain the registry is on. */
  readonly chainId: bigint | number;
  /** The RecordRegistry's address. */
  readonly registry: string;
  /** The record's id (the commitment of its first version). */
  readonly recordId: string;
  /** The version the leaf anchors (1 for a record's first version). */
  readonly version: number;
  /** The version's commitment. */
  readonly commitment: string;
}

/** The leaf's values in {@link RECORD_LEAF_ENCODING} order (what StandardMerkleTree.of takes). */
export function recordLeafValues(f: RecordLeafFields): [bigint, string, string, number, string] {
  return [BigInt(f.chainId), f.registry, f.recordId, f.version, f.commitment];
}

/**
 * The leaf hash: `keccak256(keccak256(abi.encode(chainId, registry, recordId, version, commitment)))`,
 * exactly as StandardMerkleTree and `RecordRegistry.leafHash` compute it.
 */
export function recordLeafHash(f: RecordLeafFields): string {
  return keccak256(keccak256(AbiCoder.defaultAbiCoder().encode(RECORD_LEAF_ENCODING as string[], recordLeafValues(f))));
}
