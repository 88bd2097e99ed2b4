/**
 * CareLedger grants → FHIR R4 Consent: the inverse of `fromFhirConsent` (sdk/consent/fhir.ts), with its tables
 * read back to front, so that an exported Consent imports as the grant it came from.
 */
import type { FhirResource } from "../claims/fhir";
import { ACCOUNT_SYSTEM, COMMITMENT_SYSTEM, ORG_SYSTEM, TRANSACTION_SYSTEM } from "../core/fhirSystems";
import { requireAddress } from "../core/validate";
import { ValidationError } from "../errors";
import { DATA_CLASS_SYSTEM } from "./audit";
import { LOINC, V3_ACT_CODE, V3_ACT_REASON } from "./resourceCodes";
import { DATA_CLASSES, PURPOSES, SENSITIVE_DATA_CLASSES, type DataClassName, type PurposeName } from "./vocab";
import { toSeconds, type GrantRecord, type GrantStatus, type TimeInput } from "./params";
import { CONSENT_ACTION, CONSENT_SCOPE, keysOf, labelsOf, own, RESOURCE_CLASSES, RESOURCE_TYPES, type Coding, type Json } from "./fhir";


const V3_PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
const PATIENT_CONSENT = { system: LOINC, code: "59284-0", display: "Patient Consent" } as const;

/**
 * Consent.status by where the grant stands at chain time ({@link GrantStatus}): in force or not yet
 * started → `active` (the patient has consented; `provision.period` says from when the permit applies, as
 * it does for any Consent with a future period); expired, revoked or superseded → `inactive` (R4:
 * "terminated or replaced"). Never `rejected`: R4 means a consent that was declined and never in force,
 * which a grant never is.
 */
const CONSENT_STATUS: Readonly<Record<GrantStatus, "active" | "inactive">> = {
  active: "active",
  "expiring-soon": "active",
  "not-yet-active": "active",
  expired: "inactive",
  revoked: "inactive",
  superseded: "inactive",
};

/** Options of {@link toFhirConsent}. */
export interface ToFhirConsentOptions {
  /** Where the grant stands at chain time: decides `Consent.status` (see {@link GrantStatus}). */
  readonly status: GrantStatus;
  /** The chain the registry is on: with `registry`, `meta.source` as a CAIP-10 id (`eip155:<chainId>:<registry>`). */
  readonly chainId: bigint | number;
  /** The ConsentRegistry's address. */
  readonly registry: string;
  /** The resource id (an indexer uses `<block>-<log index>` of the ConsentGranted event, as for AuditEvents). */
  readonly id?: string;
  /** When it was granted (the granting block's time): `Consent.dateTime`, and `meta.lastUpdated` unless revoked. */
  readonly grantedAt?: TimeInput;
  /** When it was revoked (the revoking block's time), only with status `revoked`: `meta.lastUpdated`. */
  readonly revokedAt?: TimeInput;
}

/** The last second FHIR can write (9999-12-31T23:59:59Z): a dateTime has a four-digit year. */
const LAST_FHIR_SECOND = Date.UTC(9999, 11, 31, 23, 59, 59) / 1000;

/** A time in seconds as a FHIR instant/dateTime in UTC, to the second (`2030-01-01T00:00:00Z`). */
function fhirInstant(field: string, seconds: number): string {
  if (seconds > LAST_FHIR_SECOND) throw new ValidationError(field, `${seconds} is after the year 9999: FHIR cannot write it`);
  return new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
}

/** The Reference of a grantee: its identifier, as the AuditEvents name an accessor's account and organization. */
function granteeReference(grant: GrantRecord): Json {
  const g = grant.grantee;
  return g.kind === "organization" ? { type: "Organization", identifier: { system: ORG_SYSTEM, value: g.orgId.toString() } } : { identifier: { system: ACCOUNT_SYSTEM, value: requireAddress("grant.grantee", g.account) } };
}

/**
 * A grant as an R4 Consent (pure): the inverse of {@link fromFhirConsent}, for an export of a
 * patient's grants. Importing the result gives back exactly the grant's grantee, classes, purposes,
 * `validFrom` and `validUntil`; it carries nothing about the patient but the account.
 *
 * - `status` from `options.status` ({@link GrantStatus}); `scope` patient-privacy; `category` LOINC
 *   59284-0 (Patient Consent); `policyRule` v3-ActCode OPTIN (nothing is shared but what is granted).
 * - `patient`, the grantee (`provision.actor`, role IRCP) and a delegate who granted (`performer`,
 *   when `grantedBy` is not the patient) by their identifiers, as the AuditEvents write them:
 *   `urn:careledger:account` (the address), `urn:careledger:organization` (the id). The import reads
 *   these identifiers as the grantee itself.
 * - `provision`: one `permit` with the period, the actor, the action `access`, the purposes
 *   (v3-ActReason) and the classes: a general class as every FHIR resource type that names it
 *   (`class`; labs and vitals, which no resource type names alone, as `urn:careledger:data-class`),
 *   a sensitive class as every v3-ActCode label that names it (`securityLabel`), the tables the
 *   import reads. CareLedger reads `class` and `securityLabel` as a union; a reader that requires
 *   both of a rule reads less than the grant, never more.
 * - `period.start` is `validFrom`; `period.end` is the last second of the grant, `validUntil - 1`:
 *   `validUntil` is exclusive and a FHIR end is inclusive (a dateTime end covers its whole second).
 * - `identifier`: the granting transaction (`urn:careledger:transaction`); `sourceReference`: the
 *   consent document by its salted commitment (`urn:careledger:commitment`); `meta.source`: the
 *   registry as a CAIP-10 id; `dateTime` and `meta.lastUpdated` from `grantedAt` / `revokedAt`.
 * @throws {ValidationError} naming the field that cannot be written (an address, an id, a time after the year 9999)
 */
export function toFhirConsent(grant: GrantRecord, options: ToFhirConsentOptions): FhirResource {
  const status = own(CONSENT_STATUS, options.status);
  if (status === undefined) throw new ValidationError("status", `${JSON.stringify(options.status)} is not one of ${Object.keys(CONSENT_STATUS).join(", ")}`);
  if (options.revokedAt !== undefined && options.status !== "revoked") throw new ValidationError("revokedAt", `a grant that is ${options.status} has no revocation time`);
  if (options.id !== undefined && !/^[A-Za-z0-9\-.]{1,64}$/.test(options.id)) throw new ValidationError("id", `${JSON.stringify(options.id)} is not a FHIR id (1-64 of A-Z a-z 0-9 - .)`);
  const chainId = BigInt(options.chainId);
  if (chainId <= 0n) throw new ValidationError("chainId", `${chainId} is not a chain id`);
  const registry = requireAddress("registry", options.registry);
  const patient = requireAddress("grant.patient", grant.patient);
  const grantedBy = requireAddress("grant.grantedBy", grant.grantedBy);
  const validFrom = toSeconds("grant.validFrom", grant.validFrom);
  const validUntil = toSeconds("grant.validUntil", grant.validUntil);
  if (validUntil <= validFrom) throw new ValidationError("grant.validUntil", `${validUntil} is not after validFrom (${validFrom})`);
  for (const [field, value] of [["grant.txHash", grant.txHash], ["grant.commitment", grant.commitment]] as const) {
    if (typeof value !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(value)) throw new ValidationError(field, `${JSON.stringify(value)} is not 32 bytes of hex`);
  }
  const classes = (Object.keys(DATA_CLASSES) as DataClassName[]).filter((n) => grant.classes.includes(n));
  if (classes.length === 0) throw new ValidationError("grant.classes", "a grant names at least one data class");
  const purposes = (Object.keys(PURPOSES) as PurposeName[]).filter((n) => grant.purposes.includes(n));
  if (purposes.length === 0) throw new ValidationError("grant.purposes", "a grant names at least one purpose");
  const grantedAt = options.grantedAt === undefined ? undefined : toSeconds("grantedAt", options.grantedAt);
  const revokedAt = options.revokedAt === undefined ? undefined : toSeconds("revokedAt", options.revokedAt);
  if (grantedAt !== undefined && revokedAt !== undefined && revokedAt < grantedAt) throw new ValidationError("revokedAt", `${revokedAt} is before grantedAt (${grantedAt})`);
  const lastUpdated = revokedAt ?? grantedAt;

  const classCodings: Coding[] = [];
  const labels: Coding[] = [];
  for (const c of classes) {
    if (SENSITIVE_DATA_CLASSES.includes(c)) labels.push(...labelsOf(c).map((code) => ({ system: V3_ACT_CODE, code })));
    else {
      const types = keysOf(RESOURCE_CLASSES, c);
      classCodings.push(...(types.length > 0 ? types.map((code) => ({ system: RESOURCE_TYPES, code })) : [{ system: DATA_CLASS_SYSTEM, code: c }]));
    }
  }
  const provision: Json = {
    type: "permit",
    period: { start: fhirInstant("grant.validFrom", validFrom), end: fhirInstant("grant.validUntil", validUntil - 1) },
    actor: [{ role: { coding: [{ system: V3_PARTICIPATION_TYPE, code: "IRCP", display: "information recipient" }] }, reference: granteeReference(grant) }],
    action: [{ coding: [{ system: CONSENT_ACTION, code: "access" }] }],
    purpose: purposes.map((code) => ({ system: V3_ACT_REASON, code })),
  };
  if (classCodings.length > 0) provision.class = classCodings;
  if (labels.length > 0) provision.securityLabel = labels;

  return {
    resourceType: "Consent",
    ...(options.id !== undefined ? { id: options.id } : {}),
    meta: { source: `eip155:${chainId}:${registry}`, ...(lastUpdated !== undefined ? { lastUpdated: fhirInstant("lastUpdated", lastUpdated) } : {}) },
    identifier: [{ system: TRANSACTION_SYSTEM, value: grant.txHash.toLowerCase() }],
    status,
    scope: { coding: [{ system: CONSENT_SCOPE, code: "patient-privacy" }] },
    category: [{ coding: [{ ...PATIENT_CONSENT }] }],
    patient: { type: "Patient", identifier: { system: ACCOUNT_SYSTEM, value: patient } },
    ...(grantedAt !== undefined ? { dateTime: fhirInstant("grantedAt", grantedAt) } : {}),
    ...(grantedBy !== patient ? { performer: [{ identifier: { system: ACCOUNT_SYSTEM, value: grantedBy } }] } : {}),
    sourceReference: { identifier: { system: COMMITMENT_SYSTEM, value: grant.commitment.toLowerCase() } },
    policyRule: { coding: [{ system: V3_ACT_CODE, code: "OPTIN" }] },
    provision,
  };
}
