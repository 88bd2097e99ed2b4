/**
 * Which consent data classes a FHIR R4 resource belongs to, and which patient it is about: the
 * classification a gateway needs before it releases a resource, which it may do only when the
 * patient's consent permits *every* class returned, for the request's purpose. Pure and total:
 * {@link classifyResource} never throws, whatever it is given, and withholds what it cannot read.
 *
 * The rules (the tables are in sdk/consent/resourceCodes.ts, the same in words in docs/consent.md,
 * "Which classes a FHIR resource belongs to"). They are applied type, labels, patient, category,
 * codes, then each contained resource; the first that withholds a resource gives the reason:
 *
 * 1. **Resource type → one general class** (`RESOURCE_TYPE_RULES`): Patient and RelatedPerson
 *    are demographics, Condition conditions, the four Medication* requests and events medications,
 *    AllergyIntolerance allergies, ImagingStudy imaging, Procedure procedures, Immunization
 *    immunizations, DocumentReference and Composition notes, Encounter encounters, CarePlan, CareTeam
 *    and Goal carePlans, Claim, ClaimResponse, ExplanationOfBenefit, Coverage and
 *    CoverageEligibilityRequest/Response claims. Observation and DiagnosticReport go by their
 *    `category` (observation-category; v2-0074 and LOINC note types): a category that is in no class
 *    (social-history, survey, exam, therapy; therapy and "other" report sections), a code its code
 *    system does not have, or no category that maps, withholds the resource. Every other type is
 *    withheld: non-patient resources (Organization, Practitioner, Location, Medication, Provenance …)
 *    are not patient data, and a type nobody mapped is never released by default.
 * 2. **Sensitive classes, added on top**, from (a) `meta.security` labels (of the resource and of its
 *    contained resources) in v3-ActCode (`SENSITIVITY_LABELS`: PSY, PSYTHPN, MH, BH, EMOTDIS →
 *    mentalHealth; SUD, ETH, ETHUD, OPIOIDUD → substanceUse; HIV → hiv; SEX, STD →
 *    sexualReproductiveHealth; GDIS → genomics) and (b) the codes anywhere in the resource (every
 *    Coding outside `meta`, contained resources included): ICD-10(-CM) chapter F (F10–F19 substance
 *    use, the rest mental health), B20–B24, Z21, Z20.6, R75, O98.7 (HIV), A50–A64 and O00–O08
 *    (sexual and reproductive health), a list of SNOMED CT concepts (`SNOMED_CLASSES`: the mental
 *    disorder, substance use and HIV concepts Synthea's modules emit and the common problem-list ones,
 *    with their specific treatments) and the common LOINC HIV tests (antibody/antigen, viral load and
 *    nucleic acid, genotype: `LOINC_CLASSES`, fifty codes). **SNOMED CT coverage is that list, not the
 *    hierarchy**: SNOMED's subsumption cannot be walked offline, so an unlisted descendant of a listed
 *    disorder adds nothing, and a record holder should label its sensitive records with `meta.security`
 *    (read under (a)) rather than rely on codes. Each of
 *    these code systems is also read under its OID (`CODE_SYSTEM_OIDS`, as `urn:oid:<oid>` or bare, as
 *    converted CDA data writes it). Free text (narrative, notes, attachments) is not read: a note about
 *    a sensitive matter is protected only by its label.
 * 3. **Labels that withhold**: v3-Confidentiality V always; R unless a sensitivity label says what it
 *    restricts (a consent names classes, so it cannot name an unexplained restriction); any label
 *    CareLedger does not know (a sensitivity no class names, such as SDV or MST, and handling caveats
 *    the gateway cannot make a recipient honour). U, L, M, N and v3-ActReason HTEST are neutral.
 * 4. **The patient**: `subject`, `patient` or `beneficiary` (per type) must reference a Patient
 *    (`Patient/<id>`, an absolute URL to one, or a bundle's `urn:uuid:`/`urn:oid:` reference, which the
 *    gateway resolves); a Patient is about itself (`Patient/<id>`). No reference, a contained
 *    (`#…`), conditional (`Patient?…`), identifier-only reference, or one to another type (a Group)
 *    withholds the resource.
 * 5. **Every class is returned**, general and sensitive: the gateway releases only if consent names
 *    them all (sensitive classes are granted only by naming them).
 * 6. **Contained resources are classified too**, each by rules 1–4 (its codes are read with the
 *    container's), and the container's classes are the union: a lab report that contains a vital sign
 *    is labs and vitals. A contained resource that would be withheld on its own withholds its container,
 *    naming `contained[i]` and why: a survey Observation in a lab DiagnosticReport, an unmapped type
 *    (Specimen, QuestionnaireResponse), a record about records (Provenance), a contained Patient (known
 *    only by a local id), a resource that itself contains resources (dom-2), an R label its own labels
 *    do not explain. Its patient: contained resources often omit `subject`, and one that names no
 *    patient is about its container's patient (FHIR: a contained resource has no existence apart from
 *    its container); one that names a patient must name the container's, as written (a version suffix
 *    aside), or `#` inside a Patient; any other patient withholds the container. The providers,
 *    products and orders a resource carries (`CONTAINED_PARTS`: Organization, Practitioner, Location,
 *    Medication, ServiceRequest …), withheld alone as no patient data of a class, are read as parts of
 *    their container: no class of their own, their labels and codes read.
 *
 * Classes and the elements that gave them are about a patient's health: never log them.
 */
import { DATA_CLASSES, SENSITIVE_DATA_CLASSES, type DataClassName } from "./codes";
import {
  CODE_SYSTEM_OIDS,
  CONFIDENTIALITY,
  CONTAINED_PARTS,
  DEPRECATED_CONFIDENTIALITY_LABELS,
  ICD10_RANGES,
  ICD10_SYSTEMS,
  LOINC,
  LOINC_CLASSES,
  NEUTRAL_LABELS,
  NOT_PATIENT_DATA,
  RESOURCE_TYPE_RULES,
  SENSITIVITY_LABELS,
  SNOMED_CLASSES,
  SNOMED_CT,
  V3_ACT_CODE,
  V3_CONFIDENTIALITY,
  type CategoryTable,
  type PatientElement,
} from "./resourceCodes";

/** Which element put a class on a resource (`resourceType`, `category[0].coding[0]`, `meta.security[1]`, `code.coding[0]`). */
export interface ClassBasis {
  readonly dataClass: DataClassName;
  readonly element: string;
}

/** A resource the gateway may release to a requester whose consent names every one of its `classes`. */
export interface ReleasableResource {
  readonly released: true;
  readonly resourceType: string;
  /** The patient it is about, as written (`Patient/123`, `urn:uuid:…`), or `Patient/<id>` for a Patient. */
  readonly patient: string;
  /** Every class, general and sensitive, in bit order. */
  readonly classes: readonly DataClassName[];
  /** The sensitive ones among `classes` (granted only by naming them). */
  readonly sensitive: readonly DataClassName[];
  /** Where each class came from, one entry per element. */
  readonly basis: readonly ClassBasis[];
}

/** A resource no consent releases, naming the element that decided it. */
export interface WithheldResource {
  readonly released: false;
  /** A FHIRPath-like path (`meta.security[0]`, `category`, `resourceType`; `resource` for what is not an object). */
  readonly element: string;
  /** Why, starting with the element: `meta.security[0]: v3-Confidentiality V (very restricted) is never released`. */
  readonly reason: string;
}

/** The classification of one resource: released under its classes, or withheld with a reason. */
export type ResourceClassification = ReleasableResource | WithheldResource;

/** The resource types that can be released (each still needs its patient, category and labels to pass). */
export const RELEASABLE_RESOURCE_TYPES: readonly string[] = Object.keys(RESOURCE_TYPE_RULES).sort();

/** The deepest nesting read; deeper input is no FHIR resource and is withheld. */
const MAX_DEPTH = 64;
/** The most values read in one resource (a guard against crafted objects that share their parts). */
const MAX_NODES = 2_000_000;

type Json = Record<string, unknown>;

/** Thrown inside the module only; {@link classifyResource} turns it into a {@link WithheldResource}. */
class Withheld {
  constructor(
    readonly element: string,
    readonly why: string,
  ) {}
}

const isObject = (v: unknown): v is Json => v !== null && typeof v === "object" && !Array.isArray(v);
const own = <T>(table: Readonly<Record<string, T>>, key: string): T | undefined => (Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined);
const quote = (v: unknown): string => {
  const s = typeof v === "string" ? JSON.stringify(v) : String(v);
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
};
const kindOf = (v: unknown): string => (v === null ? "null" : Array.isArray(v) ? "an array" : `a ${typeof v}`);

function list(v: unknown, element: string): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new Withheld(element, "must be an array");
  return v;
}

function coding(v: unknown, element: string): { system: string; code: string } {
  if (!isObject(v) || typeof v.system !== "string" || typeof v.code !== "string") throw new Withheld(element, "is not a Coding with a system and a code");
  return { system: v.system, code: v.code };
}

/** An OID, as `urn:oid:` writes it (the scheme is case-insensitive) or bare, as CDA carries it. */
const OID_SYSTEM = /^(?:urn:oid:)?([0-2](?:\.(?:0|[1-9]\d*))+)$/i;

/** The code system `system` names: its canonical FHIR URI for the OIDs of {@link CODE_SYSTEM_OIDS}, else as written. */
function codeSystem(system: string): string {
  const oid = OID_SYSTEM.exec(system);
  return (oid && own(CODE_SYSTEM_OIDS, oid[1])) ?? system;
}

/** A FHIR id (R4: 1–64 of A–Z a–z 0–9 - .). */
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
/** `[base/]Type/id[/_history/vid]`. */
const TYPED_REFERENCE = /^(?:[a-z][a-z0-9+.-]*:\/\/[^?#\s]+\/)?([A-Z][A-Za-z]+)\/[A-Za-z0-9\-.]{1,64}(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;
const BUNDLE_REFERENCE = /^urn:(?:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|oid:[0-2](?:\.(?:0|[1-9]\d*))+)$/;

/** The patient `resource` is about (rule 4). */
function patientOf(resource: Json, type: string, element: PatientElement): string {
  if (element === "id") {
    if (typeof resource.id !== "string" || !FHIR_ID.test(resource.id)) throw new Withheld("id", "a Patient without a valid id cannot be matched to the requested patient");
    return `Patient/${resource.id}`;
  }
  const ref = resource[element];
  if (ref === undefined) throw new Withheld(element, `a ${type} that names no patient cannot be matched to the requested patient`);
  if (!isObject(ref)) throw new Withheld(element, "must be a Reference");
  if (ref.type !== undefined && ref.type !== "Patient") throw new Withheld(`${element}.type`, `the ${type} is about a ${quote(ref.type)}, not one patient`);
  const r = ref.reference;
  if (typeof r !== "string") {
    const logical = ref.identifier !== undefined ? "a reference by identifier only" : "a reference without `reference`";
    throw new Withheld(`${element}.reference`, `${logical} cannot be matched to the requested patient`);
  }
  if (r.startsWith("#")) throw new Withheld(`${element}.reference`, "a contained patient cannot be matched to a registered patient");
  if (r.includes("?")) throw new Withheld(`${element}.reference`, "a conditional reference names no one patient until a server resolves it");
  const typed = TYPED_REFERENCE.exec(r);
  if (typed && typed[1] !== "Patient") throw new Withheld(`${element}.reference`, `the ${type} is about a ${typed[1]}, not one patient`);
  if (!typed && !BUNDLE_REFERENCE.test(r)) throw new Withheld(`${element}.reference`, "is not a reference to a Patient (Patient/<id>, an absolute URL to one, or urn:uuid:/urn:oid:)");
  return r;
}

/** A patient reference without its version suffix (`Patient/1/_history/2` is `Patient/1`). */
const unversioned = (reference: string): string => reference.replace(/\/_history\/[A-Za-z0-9\-.]{1,64}$/, "");

/**
 * A contained resource's patient (rule 6): none named is its container's; one named must be the
 * container's, as written (a version suffix aside), or `#` (the container itself) in a Patient.
 */
function containedPatient(resource: Json, type: string, element: PatientElement, container: { type: string; patient: string }): void {
  if (element === "id") throw new Withheld("resourceType", "a contained Patient is known only by its local id: it cannot be matched to the patient its container is about");
  if (resource[element] === undefined) return; // contained resources often omit it: about the container's patient
  const ref = resource[element];
  if (container.type === "Patient" && isObject(ref) && ref.reference === "#" && (ref.type === undefined || ref.type === "Patient")) return;
  const patient = patientOf(resource, type, element);
  if (unversioned(patient) !== unversioned(container.patient)) {
    throw new Withheld(`${element}.reference`, "names a patient other than the one its container is about: a resource about one patient never carries another's");
  }
}

/** The classes of one contained resource, into `add` with paths relative to it (rule 6). */
function containedClasses(resource: unknown, container: { type: string; patient: string }, add: (c: DataClassName, element: string) => void): void {
  if (!isObject(resource)) throw new Withheld("", `is ${kindOf(resource)}, not a FHIR resource`);
  const type = resource.resourceType;
  if (typeof type !== "string" || type === "") throw new Withheld("resourceType", type === undefined ? "is missing: not a FHIR resource" : `is ${kindOf(type)}, not a resource type`);
  const rule = own(RESOURCE_TYPE_RULES, type);
  const part = rule ? undefined : own(CONTAINED_PARTS, type);
  if (!rule && !part) {
    const known = own(NOT_PATIENT_DATA, type);
    throw new Withheld("resourceType", known ? `${type} ${known}` : `${quote(type)} is not a resource type CareLedger maps to a data class, and what is unmapped is never released`);
  }
  if (resource.contained !== undefined) throw new Withheld("contained", "a contained resource cannot itself contain resources: FHIR R4 dom-2");
  labelClasses(resource, add);
  const element = rule?.patient ?? part?.patient;
  if (element) containedPatient(resource, type, element, container);
  if (!rule) return; // a part: no class of its own
  if ("dataClass" in rule) add(rule.dataClass, "resourceType");
  else categoryClasses(resource, type, rule.byCategory, add);
}

/** The classes of an Observation or a DiagnosticReport by its categories (rule 1). */
function categoryClasses(resource: Json, type: string, tables: readonly CategoryTable[], add: (c: DataClassName, element: string) => void): void {
  let mapped = false;
  list(resource.category, "category").forEach((concept, i) => {
    if (!isObject(concept)) throw new Withheld(`category[${i}]`, "must be a CodeableConcept");
    list(concept.coding, `category[${i}].coding`).forEach((c, j) => {
      const element = `category[${i}].coding[${j}]`;
      const { system, code } = coding(c, element);
      const table = tables.find((t) => t.system === codeSystem(system));
      if (!table) return; // a local or foreign category says nothing CareLedger can check
      const rule = own(table.codes, code);
      if (!rule) {
        if (table.closed) throw new Withheld(element, `${quote(code)} is not a code of ${table.name}`);
        return;
      }
      if ("withheld" in rule) throw new Withheld(element, `${table.name} ${code}: ${rule.withheld}`);
      rule.classes.forEach((n) => add(n, element));
      mapped = true;
    });
  });
  if (!mapped) {
    throw new Withheld("category", `a ${type} is classified by its category, and it has none CareLedger maps (${tables.filter((t) => t.closed).map((t) => t.name).join(", ")})`);
  }
}

/** The sensitive classes of `meta.security` labels, and whether a label restricts without saying why (rules 2a, 3). */
function labelClasses(resource: Json, add: (c: DataClassName, element: string) => void): void {
  const metas: [unknown, string][] = [[resource.meta, "meta"]];
  list(resource.contained, "contained").forEach((c, i) => metas.push([isObject(c) ? c.meta : undefined, `contained[${i}].meta`]));
  let restricted: string | undefined;
  let explained = false;
  let unknown: Withheld | undefined;
  for (const [meta, path] of metas) {
    if (meta === undefined) continue;
    if (!isObject(meta)) throw new Withheld(path, "must be an object");
    for (const [i, label] of list(meta.security, `${path}.security`).entries()) {
      const element = `${path}.security[${i}]`;
      const { system, code } = coding(label, element);
      if (system === V3_CONFIDENTIALITY) {
        const level = own(CONFIDENTIALITY, code);
        if (level === "never") throw new Withheld(element, "v3-Confidentiality V (very restricted) is never released");
        if (level === "restricted") restricted ??= element;
        const old = own(DEPRECATED_CONFIDENTIALITY_LABELS, code);
        if (old) {
          add(old, element);
          explained = true;
        } else if (!level) unknown ??= new Withheld(element, `v3-Confidentiality ${quote(code)} is not a confidentiality CareLedger knows: withheld`);
      } else if (system === V3_ACT_CODE && own(SENSITIVITY_LABELS, code)) {
        add(SENSITIVITY_LABELS[code], element);
        explained = true;
      } else if (!own(NEUTRAL_LABELS, system)?.includes(code)) {
        unknown ??= new Withheld(element, `${system === V3_ACT_CODE ? "v3-ActCode" : quote(system)} ${quote(code)} is a label no CareLedger data class names, so no consent can release it`);
      }
    }
  }
  if (unknown) throw unknown;
  if (restricted && !explained) throw new Withheld(restricted, "v3-Confidentiality R (restricted) without a sensitivity label CareLedger maps: a consent cannot name what it restricts, so it is withheld");
}

/** The ICD-10 range holding `code`, if any. */
function icdRange(code: string) {
  const c = code.toUpperCase().replace(".", "");
  if (!/^[A-Z][0-9][0-9A-Z]/.test(c)) return undefined;
  return ICD10_RANGES.find((r) => {
    const head = c.slice(0, r.from.length);
    return head.length === r.from.length && head >= r.from && head <= r.to;
  });
}

/** The sensitive classes of the codes anywhere in the resource but its `meta` (rule 2b). */
function codeClasses(resource: Json, add: (c: DataClassName, element: string) => void): void {
  let nodes = 0;
  const walk = (value: unknown, path: string, depth: number): void => {
    if (++nodes > MAX_NODES) throw new Withheld(path || "resource", `holds more than ${MAX_NODES} values: too large to classify`);
    if (depth > MAX_DEPTH) throw new Withheld(path, `is nested deeper than ${MAX_DEPTH} levels: not a FHIR resource CareLedger can read`);
    if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, `${path}[${i}]`, depth + 1));
      return;
    }
    if (!isObject(value)) return;
    if (typeof value.system === "string" && typeof value.code === "string") {
      const { code } = value;
      const system = codeSystem(value.system);
      const found = ICD10_SYSTEMS.includes(system) ? icdRange(code)?.dataClass : system === SNOMED_CT ? own(SNOMED_CLASSES, code) : system === LOINC ? own(LOINC_CLASSES, code) : undefined;
      if (found) add(found, path);
    }
    for (const key of Object.keys(value)) {
      if (key !== "meta") walk(value[key], path ? `${path}.${key}` : key, depth + 1);
    }
  };
  walk(resource, "", 0);
}

function classify(resource: unknown): ResourceClassification {
  if (!isObject(resource)) throw new Withheld("resource", `is ${kindOf(resource)}, not a FHIR resource`);
  const type = resource.resourceType;
  if (typeof type !== "string" || type === "") throw new Withheld("resourceType", type === undefined ? "is missing: not a FHIR resource" : `is ${kindOf(type)}, not a resource type`);
  const rule = own(RESOURCE_TYPE_RULES, type);
  if (!rule) {
    const known = own(NOT_PATIENT_DATA, type);
    throw new Withheld("resourceType", known ? `${type} ${known}` : `${quote(type)} is not a resource type CareLedger maps to a data class, and what is unmapped is never released`);
  }
  const basis: ClassBasis[] = [];
  const add = (dataClass: DataClassName, element: string): void => {
    if (!basis.some((b) => b.dataClass === dataClass && b.element === element)) basis.push({ dataClass, element });
  };
  labelClasses(resource, add);
  const patient = patientOf(resource, type, rule.patient);
  if ("dataClass" in rule) add(rule.dataClass, "resourceType");
  else categoryClasses(resource, type, rule.byCategory, add);
  codeClasses(resource, add);
  list(resource.contained, "contained").forEach((contained, i) => {
    const at = `contained[${i}]`;
    try {
      containedClasses(contained, { type, patient }, (dataClass, element) => add(dataClass, `${at}.${element}`));
    } catch (err) {
      if (!(err instanceof Withheld)) throw err;
      const named = isObject(contained) && typeof contained.resourceType === "string" && /^[A-Z][A-Za-z]{0,63}$/.test(contained.resourceType);
      const what = named ? `contained ${contained.resourceType as string}` : "contained resource";
      throw new Withheld(err.element ? `${at}.${err.element}` : at, `${err.why} (the ${what} is classified too, and one withheld withholds the resource that contains it)`);
    }
  });
  const present = new Set(basis.map((b) => b.dataClass));
  const classes = (Object.keys(DATA_CLASSES) as DataClassName[]).filter((n) => present.has(n));
  return { released: true, resourceType: type, patient, classes, sensitive: classes.filter((n) => SENSITIVE_DATA_CLASSES.includes(n)), basis };
}

/**
 * Which consent data classes `resource` (a FHIR R4 resource as parsed JSON) belongs to, and which
 * patient it is about; or why it is withheld. The rules are in this module's documentation. Total:
 * it never throws, whatever `resource` is (null, an array, a string, a resource with a broken
 * element); what it cannot read is withheld, naming the element.
 */
export function classifyResource(resource: unknown): ResourceClassification {
  try {
    return classify(resource);
  } catch (err) {
    let withheld = new Withheld("resource", "could not be read: not a FHIR resource CareLedger can classify");
    try {
      if (err instanceof Withheld) withheld = err;
    } catch {
      // a thrown value that cannot even be inspected (a revoked Proxy) says nothing more
    }
    return { released: false, element: withheld.element, reason: `${withheld.element}: ${withheld.why}` };
  }
}
