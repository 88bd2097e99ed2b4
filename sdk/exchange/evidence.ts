/**
 * The evidence a gateway attaches to every resource it releases, so the receiver can verify it against
 * the chain: the record's salt, id, version and commitment, and its batch's root, organization and
 * inclusion proof. It travels as one FHIR extension on the resource ({@link EVIDENCE_EXTENSION_URL}),
 * which the receiver takes off before recomputing the commitment of exactly what was anchored.
 */
import { isHexString } from "ethers";
import { ValidationError } from "../errors";
import { requireId } from "../core/validate";
import type { RecordProof } from "../records/types";

/** The URL of the evidence extension (documented in docs/gateway.md). */
export const EVIDENCE_EXTENSION_URL = "https://careledger.dev/fhir/StructureDefinition/record-evidence";

/** What the evidence extension carries. */
export interface RecordEvidence {
  readonly salt: string;
  readonly proof: RecordProof & { readonly orgId: bigint };
}

interface Extension {
  url: string;
  valueString?: string;
  valueInteger?: number;
  extension?: Extension[];
}

/** The resource with its evidence attached (a copy; the resource itself is not changed). */
export function attachEvidence<T extends object>(resource: T, evidence: RecordEvidence): T & { extension: Extension[] } {
  const own = (resource as { extension?: Extension[] }).extension ?? [];
  const p = evidence.proof;
  const ext: Extension = {
    url: EVIDENCE_EXTENSION_URL,
    extension: [
      { url: "salt", valueString: evidence.salt },
      { url: "recordId", valueString: p.recordId },
      { url: "version", valueInteger: p.version },
      { url: "commitment", valueString: p.commitment },
      { url: "root", valueString: p.root },
      { url: "orgId", valueString: p.orgId.toString() },
      ...p.proof.map((h) => ({ url: "proof", valueString: h })),
    ],
  };
  return { ...resource, extension: [...own, ext] };
}

function one(ext: Extension[], url: string, field: string): Extension {
  const found = ext.filter((e) => e.url === url);
  if (found.length !== 1) throw new ValidationError(`extension[${EVIDENCE_EXTENSION_URL}].${field}`, `has ${found.length} "${url}" entries, not one`);
  return found[0];
}

function hex32(ext: Extension[], url: string): string {
  const v = one(ext, url, url).valueString;
  if (typeof v !== "string" || !isHexString(v, 32)) throw new ValidationError(`extension[${EVIDENCE_EXTENSION_URL}].${url}`, "is not 0x + 32 bytes");
  return v;
}

/**
 * Takes the evidence off a released resource: the resource exactly as anchored, and its evidence, or
 * `evidence: undefined` when it carries none.
 * @throws {ValidationError} when the extension is there but malformed (naming the part)
 */
export function detachEvidence(released: object): { resource: object; evidence?: RecordEvidence } {
  const all = (released as { extension?: unknown }).extension;
  if (!Array.isArray(all)) return { resource: released };
  const mine = all.filter((e) => (e as Extension | null)?.url === EVIDENCE_EXTENSION_URL) as Extension[];
  if (mine.length === 0) return { resource: released };
  if (mine.length > 1) throw new ValidationError("extension", `carries the evidence extension ${mine.length} times`);
  const parts = mine[0].extension ?? [];
  const rest = all.filter((e) => (e as Extension | null)?.url !== EVIDENCE_EXTENSION_URL);
  const resource: Record<string, unknown> = { ...(released as Record<string, unknown>) };
  if (rest.length === 0) delete resource.extension;
  else resource.extension = rest;
  const version = one(parts, "version", "version").valueInteger;
  if (typeof version !== "number" || !Number.isSafeInteger(version) || version < 1) throw new ValidationError(`extension[${EVIDENCE_EXTENSION_URL}].version`, "is not a version (1 or more)");
  const orgId = requireId(`extension[${EVIDENCE_EXTENSION_URL}].orgId`, one(parts, "orgId", "orgId").valueString);
  const proof = parts.filter((e) => e.url === "proof").map((e, i) => {
    if (typeof e.valueString !== "string" || !isHexString(e.valueString, 32)) throw new ValidationError(`extension[${EVIDENCE_EXTENSION_URL}].proof[${i}]`, "is not 0x + 32 bytes");
    return e.valueString;
  });
  return {
    resource,
    evidence: {
      salt: hex32(parts, "salt"),
      proof: { root: hex32(parts, "root"), orgId, recordId: hex32(parts, "recordId"), version, commitment: hex32(parts, "commitment"), proof },
    },
  };
}
