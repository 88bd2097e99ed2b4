/**
 * The consent encodings: the commitment of a consent document, and the reference an access log
 * entry carries for a record (unlinkable to the record without its salt).
 */
import { hexlify, isHexString, keccak256, randomBytes, toUtf8Bytes } from "ethers";
import { ValidationError } from "../errors";
import { newSalt, requireSalt, saltedCommitment } from "../core/encoding";

/** The domain tag hashed in front of every consent-document commitment. */
export const CONSENT_DOCUMENT_DOMAIN = "CareLedger.consent-document.v1";

/** The domain tag hashed in front of every access reference ({@link accessReference}). */
export const ACCESS_REFERENCE_DOMAIN = "CareLedger.access.v1";
const ACCESS_REFERENCE_DOMAIN_HEX = hexlify(toUtf8Bytes(ACCESS_REFERENCE_DOMAIN));

/**
 * The reference an access log entry carries for a record: keccak256(ACCESS_REFERENCE_DOMAIN ‖ salt ‖
 * recordId ‖ nonce), with the record's salt and a fresh 32-byte nonce per access. It never equals a
 * record's commitment or id and two accesses to one record never share it, so the access log links no
 * patient account to its records, versions, retractions or claims; whoever holds the salt and the
 * nonce (the record holder, and the patient it gives them to) shows which record an entry was about.
 * @param nonce default: a fresh random nonce ({@link accessNonces} draws many at once); keep it with the access (e.g. in the disclosure receipt)
 * @returns the reference and the nonce it was made with
 * @throws {ValidationError} naming `salt`, `recordId` or `nonce`
 */
export function accessReference(record: { readonly salt: string; readonly recordId: string }, nonce: string = newSalt()): { recordRef: string; nonce: string } {
  const salt = requireSalt(record.salt);
  if (!isHexString(record.recordId, 32)) throw new ValidationError("recordId", `${JSON.stringify(record.recordId)} is not 0x + 32 bytes`);
  const n = requireSalt(nonce, "nonce");
  // The same bytes as concat([toUtf8Bytes(ACCESS_REFERENCE_DOMAIN), salt, recordId, nonce]), joined as
  // hex and read by Buffer where there is one (a gateway makes one a disclosure: four byte arrays and
  // their copies, or ethers' hex parser, cost more than the hash).
  const joined = ACCESS_REFERENCE_DOMAIN_HEX.slice(2) + salt.slice(2) + record.recordId.slice(2) + n.slice(2);
  return { recordRef: keccak256(typeof Buffer === "undefined" ? "0x" + joined : Buffer.from(joined, "hex")), nonce: n };
}

/** `count` fresh access nonces (32 random bytes each, 0x-hex), drawn from the system's generator at once. */
export function accessNonces(count: number): string[] {
  const bytes = hexlify(randomBytes(32 * count)).slice(2);
  return Array.from({ length: count }, (_, i) => "0x" + bytes.slice(64 * i, 64 * i + 64));
}

/**
 * The commitment of a consent document (e.g. the FHIR Consent resource a grant came from) under its
 * own salt. Keep the salt with the document; deleting it makes the document unverifiable.
 * @throws {ValidationError} naming `document` or `salt`
 */
export function consentDocumentCommitment(document: unknown, salt: string): string {
  return saltedCommitment(CONSENT_DOCUMENT_DOMAIN, document, salt, "document");
}
