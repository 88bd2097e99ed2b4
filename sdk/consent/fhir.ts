/**
 * FHIR R4 Consent ⇄ CareLedger grants.
 *
 * In ({@link fromFhirConsent}): a Consent becomes grant parameters. A construct that cannot be
 * represented by permit-only grants (one per grantee, over data classes × purposes, in one period) is
 * refused with an error naming
 * the element, never silently dropped. The import never grants more than the document says: a
 * nested provision narrows its parent (a permit with nested permits grants only what they grant,
 * each within the parent's actors, classes, purposes and period), and a nested rule that would
 * reach beyond its parent is refused. Narrowing that the mapping does on purpose (a permit that
 * names no data class covers the general classes only; sensitive classes must be named through
 * security labels) is reported in `warnings`. The decisions per element are in docs/consent.md.
 *
 * Out (`toFhirConsent`, sdk/consent/fhirExport.ts): a grant as the chain holds it becomes one Consent, written with the
 * codes the import reads (one table per mapping, shared by both directions), so that importing an
 * exported grant gives back exactly its grantee, classes, purposes and period.
 */
import { ACCOUNT_SYSTEM, ORG_SYSTEM } from "../core/fhirSystems";
import { fhirIssues } from "../core/fhirValidation";
import { requireAddress } from "../core/validate";
import { ValidationError } from "../errors";
import { DATA_CLASS_SYSTEM } from "./audit";
import { LOINC, V3_ACT_CODE, V3_ACT_REASON, V3_CONFIDENTIALITY } from "./resourceCodes";
import { GENERAL_DATA_CLASSES, granteeKey, PURPOSES, SENSITIVE_DATA_CLASSES, type DataClassName, type PurposeName } from "./vocab";
import { toSeconds, type GranteeInput, type TimeInput } from "./params";

/** A Consent element that cannot be mapped. `field` is the element's FHIRPath-like path. */
export class FhirConsentError extends ValidationError {
  constructor(element: string, reason: string) {
    super(element, reason);
    this.name = "FhirConsentError";
  }
}

/** Options of {@link fromFhirConsent}. */
export interface FromFhirConsentOptions {
  /**
   * Resolves the reference of a provision actor (e.g. `Organization/f001`) to a grantee, or
   * returns `undefined` when it is unknown (the Consent is then refused, naming that actor). An
   * actor named by a CareLedger identifier instead (`urn:careledger:account` or
   * `urn:careledger:organization`, as {@link toFhirConsent} and the AuditEvents write them) is that
   * grantee: it is not asked about.
   */
  readonly resolveActor: (reference: string, element: string) => GranteeInput | undefined;
  /** Purposes for a permit that names none (FHIR: every purpose). Without it, such a permit is refused. */
  readonly defaultPurposes?: readonly PurposeName[];
  /** End of a permit whose period has no end. Without it, such a permit is refused. */
  readonly defaultValidUntil?: TimeInput;
}

/** One grant mapped from a Consent: spread it into `consent.grant({ ...grant, commitment })`. */
export interface FhirConsentGrant {
  readonly grantee: GranteeInput;
  readonly classes: DataClassName[];
  readonly purposes: PurposeName[];
  readonly validFrom: number;
  readonly validUntil: number;
  /** The provision it came from, e.g. `provision.provision[0]`. */
  readonly element: string;
}

/** The result of {@link fromFhirConsent}. */
export interface FhirConsentImport {
  /** The resource id, when it has one. */
  readonly id?: string;
  /**
   * The patient reference (e.g. `Patient/72`): the caller maps it to the patient's account. A patient
   * named by its account identifier instead is `urn:careledger:account|<address>` (and `patientAccount`).
   */
  readonly patient: string;
  /** The patient's account, when the Consent names the patient by its `urn:careledger:account` identifier. */
  readonly patientAccount?: string;
  /**
   * Who consented, when not the patient (e.g. `RelatedPerson/peter`, or `urn:careledger:account|<address>`
   * for one named by a CareLedger identifier): grant as the patient's delegate.
   */
  readonly performers: string[];
  readonly grants: FhirConsentGrant[];
  /** Deliberate narrowings, one sentence each. */
  readonly warnings: string[];
}

export type Json = Record<string, unknown>;
export interface Coding {
  system?: string;
  code?: string;
}

export const CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope";
export const CONSENT_ACTION = "http://terminology.hl7.org/CodeSystem/consentaction";
export const RESOURCE_TYPES = "http://hl7.org/fhir/resource-types";
const MIME = "urn:ietf:bcp:13";
/** HL7 v3 ParticipationType: IRCP (information recipient) is the role of a grantee. */
/** LOINC 59284-0 "Patient Consent": the category of every Consent this module writes. */

/**
 * FHIR resource types that name one data class (Observation and DiagnosticReport are ambiguous: refused).
 * Written back by {@link toFhirConsent}: a general class is every resource type that names it here
 * (labs and vitals, which none names, by {@link DATA_CLASS_SYSTEM}).
 */
export const RESOURCE_CLASSES: Readonly<Record<string, DataClassName>> = {
  Patient: "demographics",
  Condition: "conditions",
  MedicationRequest: "medications",
  MedicationStatement: "medications",
  MedicationAdministration: "medications",
  MedicationDispense: "medications",
  AllergyIntolerance: "allergies",
  ImagingStudy: "imaging",
  Procedure: "procedures",
  Immunization: "immunizations",
  DocumentReference: "notes",
  Composition: "notes",
  Encounter: "encounters",
  CarePlan: "carePlans",
  Claim: "claims",
  ClaimResponse: "claims",
  ExplanationOfBenefit: "claims",
  Coverage: "claims",
};

/** Document formats that are clinical documents. */
const MIME_CLASSES: Readonly<Record<string, DataClassName>> = { "application/hl7-cda+xml": "notes" };

/** LOINC document codes that are clinical notes. */
const LOINC_CLASSES: Readonly<Record<string, DataClassName>> = {
  "34133-9": "notes", // Summary of episode note
  "18842-5": "notes", // Discharge summary
  "11506-3": "notes", // Progress note
  "11488-4": "notes", // Consult note
};

/** v3-ActCode sensitivity labels → sensitive classes. Written back by {@link toFhirConsent}: a sensitive class is every label that names it here. */
const SENSITIVITY_CLASSES: Readonly<Record<string, DataClassName>> = {
  PSY: "mentalHealth",
  PSYTHPN: "mentalHealth",
  ETH: "substanceUse",
  SUD: "substanceUse",
  HIV: "hiv",
  SEX: "sexualReproductiveHealth",
  GDIS: "genomics",
};

const ACTIONS = new Set(["access", "use", "disclose"]);

interface Scope {
  /** `reference`: the actor's reference, or its identifier's `system|value`; `grantee` when that identifier names one. */
  actors?: { reference: string; element: string; grantee?: GranteeInput }[];
  purposes?: PurposeName[];
  classes?: DataClassName[];
  from?: number;
  until?: number;
}

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** `table[key]`, only for the table's own keys (a code such as `constructor` names nothing). */
export function own<T>(table: Readonly<Record<string, T>>, key: unknown): T | undefined {
  return typeof key === "string" && Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
}

/** The keys of `table` that map to `value`, in the table's order: how the export reads a shared table back to front. */
export function keysOf<T>(table: Readonly<Record<string, T>>, value: T): string[] {
  return Object.keys(table).filter((k) => table[k] === value);
}

/** The general classes by their names in {@link DATA_CLASS_SYSTEM} (a sensitive class is named by its labels, never there). */
const GENERAL_CLASS_CODES: Readonly<Record<string, DataClassName>> = Object.fromEntries(GENERAL_DATA_CLASSES.map((n) => [n, n]));

/** The v3-ActCode labels of a sensitive class. */
export const labelsOf = (dataClass: DataClassName): string[] => keysOf(SENSITIVITY_CLASSES, dataClass);

/** A `system|value` key of an identifier in one of CareLedger's systems (FHIR's token form). */
const tokenOf = (system: string, value: string): string => `${system}|${value}`;

/**
 * What a Reference names: its `reference`, or else its identifier in CareLedger's account or
 * organization system (as {@link toFhirConsent} writes them). Any other Reference is `undefined`.
 */
function referenceOf(ref: unknown): { key: string; account?: string; organization?: string } | undefined {
  if (!isObject(ref)) return undefined;
  if (typeof ref.reference === "string") return { key: ref.reference };
  const id = ref.identifier;
  if (!isObject(id) || typeof id.value !== "string") return undefined;
  if (id.system === ACCOUNT_SYSTEM) return { key: tokenOf(ACCOUNT_SYSTEM, id.value), account: id.value };
  if (id.system === ORG_SYSTEM) return { key: tokenOf(ORG_SYSTEM, id.value), organization: id.value };
  return undefined;
}

/** Why a ValidationError was thrown, without the field it names. */
const reasonOf = (err: unknown): string => (err instanceof ValidationError ? err.message.slice(err.field.length + 2) : String(err));

/** The grantee a CareLedger identifier names. @throws {FhirConsentError} at `<element>.identifier.value` when it is not an address or an id */
function identifiedGrantee(named: { account?: string; organization?: string }, element: string): GranteeInput | undefined {
  try {
    if (named.account !== undefined) return { account: requireAddress(element, named.account) };
    if (named.organization !== undefined) {
      if (!/^[1-9][0-9]*$/.test(named.organization)) throw new ValidationError(element, `${JSON.stringify(named.organization)} is not an organization id (decimal)`);
      granteeKey(element, { organization: named.organization });
      return { organization: BigInt(named.organization) };
    }
  } catch (err) {
    throw new FhirConsentError(`${element}.identifier.value`, `is not a grantee: ${reasonOf(err)}`);
  }
  return undefined;
}

function list(v: unknown, element: string): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new FhirConsentError(element, "must be an array");
  return v;
}

function codings(concept: unknown, element: string): Coding[] {
  if (!isObject(concept)) throw new FhirConsentError(element, "must be a CodeableConcept");
  return list(concept.coding, `${element}.coding`) as Coding[];
}

/** Seconds of a FHIR date/dateTime; `end` moves a date to the next day and a dateTime past its second (FHIR ends are inclusive). */
function fhirTime(value: unknown, element: string, end: boolean): number {
  if (typeof value !== "string") throw new FhirConsentError(element, "must be a FHIR date or dateTime");
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  if (!dateOnly && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    throw new FhirConsentError(element, `${JSON.stringify(value)} is not a full date or a dateTime with a time zone`);
  }
  const ms = Date.parse(dateOnly ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(ms)) throw new FhirConsentError(element, `${JSON.stringify(value)} is not a valid date`);
  const s = Math.floor(ms / 1000);
  return end ? s + (dateOnly ? 86_400 : 1) : s;
}

function classesOf(p: Json, path: string, warnings: string[]): DataClassName[] | undefined {
  const out = new Set<DataClassName>();
  let named = false;
  list(p.class, `${path}.class`).forEach((c, i) => {
    named = true;
    const el = `${path}.class[${i}]`;
    const { system, code } = c as Coding;
    if (system === DATA_CLASS_SYSTEM && SENSITIVE_DATA_CLASSES.includes(code as DataClassName)) {
      throw new FhirConsentError(el, `${code} is a sensitive class: name it by its security label (v3-ActCode ${labelsOf(code as DataClassName).join(", ")})`);
    }
    const mapped = system === RESOURCE_TYPES ? own(RESOURCE_CLASSES, code) : system === MIME ? own(MIME_CLASSES, code) : system === DATA_CLASS_SYSTEM ? own(GENERAL_CLASS_CODES, code) : undefined;
    if (!mapped) throw new FhirConsentError(el, `${system}|${code} is not a CareLedger data class (resource types ${Object.keys(RESOURCE_CLASSES).join(", ")}; CDA documents; ${DATA_CLASS_SYSTEM} and a general class)`);
    out.add(mapped);
  });
  list(p.code, `${path}.code`).forEach((c, i) => {
    named = true;
    const el = `${path}.code[${i}]`;
    for (const { system, code } of codings(c, el)) {
      const mapped = system === LOINC ? own(LOINC_CLASSES, code) : undefined;
      if (!mapped) throw new FhirConsentError(el, `${system}|${code} is not a document code CareLedger maps to a data class`);
      out.add(mapped);
    }
  });
  list(p.securityLabel, `${path}.securityLabel`).forEach((c, i) => {
    named = true;
    const el = `${path}.securityLabel[${i}]`;
    const { system, code } = c as Coding;
    if (system === V3_CONFIDENTIALITY && code === "N") {
      GENERAL_DATA_CLASSES.forEach((n) => out.add(n));
      warnings.push(`${el}: confidentiality N (normal) maps to the general data classes`);
      return;
    }
    const mapped = system === V3_ACT_CODE ? own(SENSITIVITY_CLASSES, code) : undefined;
    if (!mapped) throw new FhirConsentError(el, `${system}|${code} is not a security label CareLedger maps to a data class (v3-ActCode ${Object.keys(SENSITIVITY_CLASSES).join(", ")}; v3-Confidentiality N)`);
    out.add(mapped);
  });
  return named ? [...out] : undefined;
}

function purposesOf(p: Json, path: string): PurposeName[] | undefined {
  const items = list(p.purpose, `${path}.purpose`) as Coding[];
  if (items.length === 0) return undefined;
  return [
    ...new Set(
      items.map((c, i) => {
        if (c.system !== V3_ACT_REASON || !Object.prototype.hasOwnProperty.call(PURPOSES, c.code ?? "")) {
          throw new FhirConsentError(`${path}.purpose[${i}]`, `${c.system}|${c.code} is not one of the purposes ${Object.keys(PURPOSES).join(", ")} (v3-ActReason)`);
        }
        return c.code as PurposeName;
      }),
    ),
  ];
}

/**
 * Maps an R4 Consent to grant parameters.
 * @throws {FhirConsentError} naming the element that cannot be represented
 */
export function fromFhirConsent(resource: unknown, options: FromFhirConsentOptions): FhirConsentImport {
  if (!isObject(resource) || resource.resourceType !== "Consent") throw new FhirConsentError("resourceType", "must be \"Consent\"");
  // A valid R4 Consent first (HL7's definitions, Medplum's validator), then what CareLedger can express.
  const [invalid] = fhirIssues(resource);
  if (invalid) throw new FhirConsentError(invalid.expression.replace(/^Consent\./, ""), invalid.message);
  if (resource.status !== "active") {
    throw new FhirConsentError("status", `${JSON.stringify(resource.status)}: only an active Consent grants anything (an inactive or rejected one is a revocation: revoke the grants it made)`);
  }
  if (resource.scope !== undefined && !codings(resource.scope, "scope").some((c) => c.system === CONSENT_SCOPE && c.code === "patient-privacy")) {
    throw new FhirConsentError("scope", "only patient-privacy consents map to grants (research and treatment consents are other acts)");
  }
  const patient = referenceOf(resource.patient);
  if (patient === undefined || patient.organization !== undefined) {
    throw new FhirConsentError("patient.reference", "a Consent must name its patient (a reference, or its urn:careledger:account identifier)");
  }
  const patientRef = patient.key;
  let patientAccount: string | undefined;
  if (patient.account !== undefined) {
    try {
      patientAccount = requireAddress("patient", patient.account);
    } catch (err) {
      throw new FhirConsentError("patient.identifier.value", `is not the patient's account: ${reasonOf(err)}`);
    }
  }
  let policy: string | undefined;
  if (resource.policyRule !== undefined) {
    const codes = codings(resource.policyRule, "policyRule").filter((c) => c.system === V3_ACT_CODE);
    policy = codes.find((c) => c.code === "OPTIN" || c.code === "OPTOUT")?.code;
    if (!policy) throw new FhirConsentError("policyRule", "must be v3-ActCode OPTIN or OPTOUT");
  }
  if (!isObject(resource.provision)) throw new FhirConsentError("provision", "a Consent without a provision grants nothing CareLedger can name");

  const warnings: string[] = [];
  const grants: FhirConsentGrant[] = [];
  const performers = list(resource.performer, "performer")
    .map((p) => referenceOf(p)?.key)
    .filter((r): r is string => r !== undefined && r !== patientRef);

  /** A nested rule under a permit narrows it: each value it names must be one its parent allows. */
  const within = <T extends string>(named: T[] | undefined, parent: T[] | undefined, element: string, what: string, parentPath: string): void => {
    const outside = named?.find((v) => parent !== undefined && !parent.includes(v));
    if (outside !== undefined) throw new FhirConsentError(element, `${outside} is not among the ${what} of ${parentPath}: a nested rule narrows its parent, it cannot widen it`);
  };

  const walk = (p: Json, path: string, inherited: Scope, root: boolean, parent?: { permit: boolean; path: string }): void => {
    for (const unsupported of ["data", "dataPeriod"]) {
      if (p[unsupported] !== undefined) throw new FhirConsentError(`${path}.${unsupported}`, "rules about specific record instances or data periods cannot be represented: CareLedger grants cover data classes");
    }
    list(p.action, `${path}.action`).forEach((a, i) => {
      for (const c of codings(a, `${path}.action[${i}]`)) {
        if (c.system !== CONSENT_ACTION || !ACTIONS.has(c.code ?? "")) throw new FhirConsentError(`${path}.action[${i}]`, `${c.code} is not an access action (access, use, disclose)`);
      }
    });
    let decision = p.type;
    if (decision === undefined) {
      if (!root) throw new FhirConsentError(`${path}.type`, "a nested provision must say permit or deny");
      // Under OPTIN the root rule states what is permitted; under OPTOUT, HL7's examples (Emergency)
      // use the root rule as the permitted exception to the overall deny.
      if (!policy) throw new FhirConsentError(`${path}.type`, "without a policyRule the root provision must say permit or deny");
      decision = "permit";
    }
    if (decision !== "permit" && decision !== "deny") throw new FhirConsentError(`${path}.type`, `${JSON.stringify(decision)} is not permit or deny`);
    const actors = list(p.actor, `${path}.actor`).map((a, i) => {
      const element = `${path}.actor[${i}].reference`;
      const named = referenceOf(isObject(a) ? a.reference : undefined);
      if (named === undefined) throw new FhirConsentError(element, "an actor must reference who it is (a reference, or a urn:careledger:account or urn:careledger:organization identifier)");
      return { reference: named.key, element, grantee: identifiedGrantee(named, element) };
    });
    const period = isObject(p.period) ? p.period : undefined;
    const purposes = purposesOf(p, path);
    const classes = classesOf(p, path, warnings);
    if (parent?.permit) {
      actors.forEach((a) => within([a.reference], inherited.actors?.map((x) => x.reference), a.element, "actors", parent.path));
      within(purposes, inherited.purposes, `${path}.purpose`, "purposes", parent.path);
      within(classes, inherited.classes, path, "data classes", parent.path);
    }
    const scope: Scope = {
      actors: actors.length ? actors : inherited.actors,
      purposes: purposes ?? inherited.purposes,
      classes: classes ?? inherited.classes,
      from: period?.start !== undefined ? Math.max(fhirTime(period.start, `${path}.period.start`, false), inherited.from ?? 0) : inherited.from,
      until: period?.end !== undefined ? Math.min(fhirTime(period.end, `${path}.period.end`, true), inherited.until ?? Infinity) : inherited.until,
    };
    const children = list(p.provision, `${path}.provision`).map((child, i) => {
      if (!isObject(child)) throw new FhirConsentError(`${path}.provision[${i}]`, "must be an object");
      return child;
    });
    if (decision === "deny") {
      if (!root) throw new FhirConsentError(`${path}.type`, "a deny exception inside a permit cannot be represented by permit-only grants: write the permit without what it denies");
    } else if (children.some((c) => c.type === "permit")) {
      // A permit with nested permits is their common scope: only the nested rules grant.
    } else {
      if (!scope.actors) throw new FhirConsentError(`${path}.actor`, "a permit without actors would apply to anyone: CareLedger grants name their grantee");
      let purposes = scope.purposes;
      if (!purposes) {
        if (!options.defaultPurposes) throw new FhirConsentError(`${path}.purpose`, "the permit names no purpose (FHIR: every purpose): name them, or pass defaultPurposes");
        purposes = [...options.defaultPurposes];
        warnings.push(`${path}.purpose: none named; granted for ${purposes.join(", ")} (defaultPurposes)`);
      }
      let classes = scope.classes;
      if (!classes) {
        classes = [...GENERAL_DATA_CLASSES];
        warnings.push(`${path}: no data class named; granted the general classes only (sensitive classes are never implied)`);
      }
      let until = scope.until;
      if (until === undefined) {
        if (options.defaultValidUntil === undefined) throw new FhirConsentError(`${path}.period.end`, "a grant needs an end: give the period an end, or pass defaultValidUntil");
        until = toSeconds("defaultValidUntil", options.defaultValidUntil);
      }
      for (const actor of scope.actors) {
        const grantee = actor.grantee ?? options.resolveActor(actor.reference, actor.element);
        if (grantee === undefined) throw new FhirConsentError(actor.element, `${actor.reference} is not known to resolveActor`);
        let key: string;
        try {
          key = granteeKey(actor.element, grantee);
        } catch (err) {
          throw new FhirConsentError(actor.element, `resolveActor gave ${actor.reference} a grantee that is not one (${(err as Error).message})`);
        }
        const g: FhirConsentGrant = { grantee, classes: [...classes], purposes: [...purposes], validFrom: scope.from ?? 0, validUntil: until, element: path };
        const i = grants.findIndex((x) => granteeKey("grantee", x.grantee) === key);
        if (i < 0) {
          grants.push(g);
          continue;
        }
        // One slot per grantee: two rules for the same grantee merge only when the result is exactly
        // their union (same period, and the same purposes or the same classes).
        const same = grants[i];
        const eq = (a: readonly string[], b: readonly string[]) => [...a].sort().join() === [...b].sort().join();
        const union = (a: readonly string[], b: readonly string[]) => [...new Set([...a, ...b])];
        if (same.validFrom !== g.validFrom || same.validUntil !== g.validUntil) {
          throw new FhirConsentError(path, `${actor.reference} already has a grant from ${same.element} with another period: one grant per grantee`);
        }
        if (eq(same.purposes, g.purposes)) grants[i] = { ...same, classes: union(same.classes, g.classes) as DataClassName[] };
        else if (eq(same.classes, g.classes)) grants[i] = { ...same, purposes: union(same.purposes, g.purposes) as PurposeName[] };
        else throw new FhirConsentError(path, `${actor.reference} already has a grant from ${same.element} with other classes and purposes: one grant per grantee cannot hold both`);
      }
    }
    children.forEach((child, i) => walk(child, `${path}.provision[${i}]`, scope, false, { permit: decision === "permit", path }));
  };
  walk(resource.provision, "provision", {}, true);
  if (grants.length === 0) throw new FhirConsentError("provision", "the Consent permits nothing: there is no grant to make");
  return { id: typeof resource.id === "string" ? resource.id : undefined, patient: patientRef, ...(patientAccount !== undefined ? { patientAccount } : {}), performers, grants, warnings };
}
