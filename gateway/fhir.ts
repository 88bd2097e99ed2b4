/**
 * The gateway's FHIR vocabulary: every refusal is an `OperationOutcome` with an HTTP status and an
 * issue code (never a stack trace); searchsets are Bundles with paging links and the consent notice;
 * the CapabilityStatement says what this gateway serves.
 */

/** A FHIR id the gateway stores and serves: 1 to 64 of A-Z a-z 0-9 - . (R4), but not "." or ".." (URLs would rewrite them). */
export const FHIR_ID = /^(?!\.{1,2}$)[A-Za-z0-9\-.]{1,64}$/;

/** FHIR issue types the gateway answers with (http://hl7.org/fhir/issue-type). */
export type IssueCode =
  | "conflict"
  | "invalid"
  | "security"
  | "login"
  | "forbidden"
  | "not-found"
  | "deleted"
  | "duplicate"
  | "too-costly"
  | "throttled"
  | "transient"
  | "not-supported"
  | "processing"
  | "exception"
  | "informational";

/** A refusal: an HTTP status and one OperationOutcome issue. */
export class GatewayError extends Error {
  constructor(
    readonly status: number,
    readonly code: IssueCode,
    message: string,
    readonly expression?: string,
    /** Response headers to send with it (e.g. Retry-After). */
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
    this.name = "GatewayError";
  }
}

/** 503: the gateway's database cannot be used; `outcome` says what therefore did not happen. */
export function databaseDown(outcome = "nothing is released"): GatewayError {
  return new GatewayError(503, "transient", `the gateway's database is unavailable: ${outcome}`);
}

/** 503: the chain cannot be read; `need` says what for (", so consent cannot be checked"), `outcome` what therefore did not happen. */
export function chainDown(need: string, outcome = "nothing is released"): GatewayError {
  return new GatewayError(503, "transient", `the chain cannot be read${need}: ${outcome}`);
}

/** An OperationOutcome of one issue. */
export function operationOutcome(severity: "fatal" | "error" | "warning" | "information", code: IssueCode, diagnostics: string, expression?: string): object {
  return {
    resourceType: "OperationOutcome",
    issue: [{ severity, code, diagnostics, ...(expression === undefined ? {} : { expression: [expression] }) }],
  };
}

/** The sentence every searchset carries, whether anything was withheld or not (so its absence tells nothing). */
export const CONSENT_NOTICE = "Results are limited to what the patient's consent permits for this requester and purpose; resources not permitted are omitted.";

/** A searchset Bundle: the entries, the consent notice, and self/next links. */
export function searchset(base: string, entries: readonly object[], links: { self: string; next?: string }): object {
  return {
    resourceType: "Bundle",
    type: "searchset",
    link: [{ relation: "self", url: base + links.self }, ...(links.next === undefined ? [] : [{ relation: "next", url: base + links.next }])],
    entry: [
      ...entries.map((resource) => {
        const r = resource as { resourceType: string; id: string };
        return { fullUrl: `${base}/fhir/${r.resourceType}/${r.id}`, resource, search: { mode: "match" } };
      }),
      { resource: operationOutcome("information", "informational", CONSENT_NOTICE), search: { mode: "outcome" } },
    ],
  };
}

/**
 * A history Bundle of one record's versions, newest first: each entry the version released (`versions[i]`
 * its version number), with its versioned URL.
 */
export function historyBundle(base: string, entries: readonly object[], versions: readonly number[], links: { self: string }): object {
  return {
    resourceType: "Bundle",
    type: "history",
    total: entries.length,
    link: [{ relation: "self", url: base + links.self }],
    entry: entries.map((resource, i) => {
      const r = resource as { resourceType: string; id: string };
      return {
        fullUrl: `${base}/fhir/${r.resourceType}/${r.id}`,
        resource,
        request: { method: versions[i] === 1 ? "POST" : "PUT", url: `${r.resourceType}/${r.id}` },
        response: { status: versions[i] === 1 ? "201" : "200", etag: `W/"${versions[i]}"` },
      };
    }),
  };
}

/** The resource types the gateway serves (what its organizations' systems ingest). */
export const SERVED_TYPES = [
  "Patient",
  "Condition",
  "Observation",
  "DiagnosticReport",
  "MedicationRequest",
  "MedicationStatement",
  "MedicationAdministration",
  "MedicationDispense",
  "AllergyIntolerance",
  "Procedure",
  "Immunization",
  "ImagingStudy",
  "Encounter",
  "CarePlan",
  "CareTeam",
  "Goal",
  "DocumentReference",
  "Composition",
  "Claim",
  "ExplanationOfBenefit",
  "Coverage",
] as const;

/** The gateway's CapabilityStatement. */
export function capabilityStatement(base: string, software: { name: string; version: string }): object {
  return {
    resourceType: "CapabilityStatement",
    status: "active",
    date: "2026-12-05",
    kind: "instance",
    software,
    implementation: { description: "CareLedger gateway: records released only under on-chain consent, every release receipted", url: `${base}/fhir` },
    fhirVersion: "4.0.1",
    format: ["application/fhir+json"],
    rest: [
      {
        mode: "server",
        security: {
          description:
            "Every request is signed by the requester's Ethereum account (EIP-712, headers x-careledger-request and x-careledger-signature; see docs/gateway.md). Access is decided on chain per resource at the current block.",
        },
        resource: SERVED_TYPES.map((type) => ({
          type,
          // Created and updated (a new version) through the transaction Bundle only; delete is crypto-shredding
          // by the holder's members (every version's content, key and salt destroyed; the rows stay).
          interaction: [{ code: "read" }, { code: "vread" }, { code: "history-instance" }, { code: "search-type" }, { code: "delete" }],
          versioning: "versioned",
          readHistory: true,
          searchParam: [{ name: "patient", type: "reference" }, { name: "_count", type: "number" }],
        })),
        interaction: [{ code: "transaction" }],
        operation: [{ name: "everything", definition: "http://hl7.org/fhir/OperationDefinition/Patient-everything" }],
      },
    ],
  };
}
