/**
 * FHIR R4 Consent → CareLedger grants. A construct that cannot be represented by permit-only grants
 * (one per grantee, over data classes × purposes, in one period) is refused with an error naming
 * the element, never silently dropped. The import never grants more than the document says: a
 * nested provision narrows its parent (a permit with nested permits grants only what they grant,
 * each within the parent's actors, classes, purposes and period), and a nested rule that would
 * reach beyond its parent is refused. Narrowing that the mapping does on purpose (a permit that
 * names no data class covers the general classes only; sensitive classes must be named through
 * security labels) is reported in `warnings`. The decisions per element are in docs/consent.md.
 */
import { fhirIssues } from "../core/fhirValidation";
import { ValidationError } from "../errors";
import { GENERAL_DATA_CLASSES, granteeKey, PURPOSES, type DataClassName, type PurposeName } from "./vocab";
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
   * returns `undefined` when it is unknown (the Consent is then refused, naming that actor).
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
  /** The patient reference (e.g. `Patient/72`): the caller maps it to the patient's account. */
  readonly patient: string;
  /** Who consented, when not the patient (e.g. `RelatedPerson/peter`): grant as the patient's delegate. */
  readonly performers: string[];
  readonly grants: FhirConsentGrant[];
  /** Deliberate narrowings, one sentence each. */
  readonly warnings: string[];
}

type Json = Record<string, unknown>;
interface Coding {
  system?: string;
  code?: string;
}

const V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
const V3_ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
const V3_CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";
const CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope";
const CONSENT_ACTION = "http://terminology.hl7.org/CodeSystem/consentaction";
const RESOURCE_TYPES = "http://hl7.org/fhir/resource-types";
const MIME = "urn:ietf:bcp:13";
const LOINC = "http://loinc.org";

/** FHIR resource types that name one data class (Observation and DiagnosticReport are ambiguous: refused). */
const RESOURCE_CLASSES: Readonly<Record<string, DataClassName>> = {
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

/** v3-ActCode sensitivity labels → sensitive classes. */
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
  actors?: { reference: string; element: string }[];
  purposes?: PurposeName[];
  classes?: DataClassName[];
  from?: number;
  until?: number;
}

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === "object" && !Array.isArray(v);
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
    const mapped = system === RESOURCE_TYPES ? RESOURCE_CLASSES[code ?? ""] : system === MIME ? MIME_CLASSES[code ?? ""] : undefined;
    if (!mapped) throw new FhirConsentError(el, `${system}|${code} is not a CareLedger data class (resource types ${Object.keys(RESOURCE_CLASSES).join(", ")}; CDA documents)`);
    out.add(mapped);
  });
  list(p.code, `${path}.code`).forEach((c, i) => {
    named = true;
    const el = `${path}.code[${i}]`;
    for (const { system, code } of codings(c, el)) {
      const mapped = system === LOINC ? LOINC_CLASSES[code ?? ""] : undefined;
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
    const mapped = system === V3_ACT_CODE ? SENSITIVITY_CLASSES[code ?? ""] : undefined;
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
  const patientRef = isObject(resource.patient) ? resource.patient.reference : undefined;
  if (typeof patientRef !== "string") throw new FhirConsentError("patient.reference", "a Consent must name its patient");
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
    .map((p) => (isObject(p) ? p.reference : undefined))
    .filter((r): r is string => typeof r === "string" && r !== patientRef);

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
      const ref = isObject(a) && isObject(a.reference) ? a.reference.reference : undefined;
      if (typeof ref !== "string") throw new FhirConsentError(`${path}.actor[${i}].reference`, "an actor must reference who it is");
      return { reference: ref, element: `${path}.actor[${i}].reference` };
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
        const grantee = options.resolveActor(actor.reference, actor.element);
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
  return { id: typeof resource.id === "string" ? resource.id : undefined, patient: patientRef, performers, grants, warnings };
}
