/**
 * Review: classification bypasses. classifyResource decides a resource's classes from its type, its
 * top-level category, its labels and the codes in it; what a contained resource is (its type, its
 * category) is never looked at, so a resource that would be withheld on its own travels inside a general
 * one. Each test fails on the code reviewed.
 */
import { expect } from "chai";
import { classifyResource } from "../../sdk/consent/resourceClasses";
import { PATIENT_ID } from "./fixtures";
import { bundleOf, grant, HOSPITAL, gatewayPerTest, signedFetch, type Fixture } from "./review-support";

/** A PHQ-9 depression screening result: a survey Observation, withheld on its own (no class names surveys). */
const phq9 = (id: string) => ({
  resourceType: "Observation",
  id,
  status: "final",
  category: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "survey" }] }],
  code: { coding: [{ system: "http://loinc.org", code: "44261-6", display: "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]" }] },
  subject: { reference: `Patient/${PATIENT_ID}` },
  valueInteger: 23,
});

/** A lab report that carries the PHQ-9 result as a contained resource. */
const labReportWithContainedSurvey = {
  resourceType: "DiagnosticReport",
  id: `${PATIENT_ID}-panel`,
  status: "final",
  category: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/v2-0074", code: "LAB" }] }],
  code: { coding: [{ system: "http://loinc.org", code: "24323-8", display: "Comprehensive metabolic 2000 panel - Serum or Plasma" }] },
  subject: { reference: `Patient/${PATIENT_ID}` },
  contained: [{ ...phq9("phq9"), subject: { reference: `Patient/${PATIENT_ID}` } }],
  result: [{ reference: "#phq9" }],
};

describe("review: classification", function () {
  this.timeout(180_000);

  it("withholds a general resource whose contained resource would be withheld on its own (a survey inside a lab report)", function () {
    expect(classifyResource(phq9("alone")).released, "the PHQ-9 result on its own").to.equal(false);
    const c = classifyResource(labReportWithContainedSurvey);
    expect(c.released, `the same result inside a LAB DiagnosticReport is released as ${c.released ? c.classes.join(", ") : "-"}`).to.equal(false);
  });

  it("reads ICD-10-CM codes given by the code system's OID (urn:oid:2.16.840.1.113883.6.90) as the same code system", function () {
    const condition = {
      resourceType: "Condition",
      id: "c1",
      subject: { reference: "Patient/p1" },
      code: { coding: [{ system: "urn:oid:2.16.840.1.113883.6.90", code: "F20.9", display: "Schizophrenia, unspecified" }] },
    };
    const c = classifyResource(condition);
    expect(c.released && c.classes).to.deep.equal(["conditions", "mentalHealth"]);
  });

  it("reads the most common HIV tests by their LOINC code as hiv (29893-5 HIV 1 Ab by immunoassay, 10351-5 HIV 1 RNA viral load)", function () {
    for (const code of ["29893-5", "10351-5"]) {
      const obs = {
        resourceType: "Observation",
        id: "o1",
        status: "final",
        category: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "laboratory" }] }],
        code: { coding: [{ system: "http://loinc.org", code }] },
        subject: { reference: "Patient/p1" },
      };
      const c = classifyResource(obs);
      expect(c.released && c.classes, `LOINC ${code}`).to.deep.equal(["labs", "hiv"]);
    }
  });

  it("reads a SNOMED CT-coded mental disorder (as Synthea and US Core problem lists write them) as mentalHealth", function () {
    const condition = {
      resourceType: "Condition",
      id: "c2",
      subject: { reference: "Patient/p1" },
      code: { coding: [{ system: "http://snomed.info/sct", code: "370143000", display: "Major depressive disorder (disorder)" }] },
    };
    const c = classifyResource(condition);
    expect(c.released && c.classes).to.deep.equal(["conditions", "mentalHealth"]);
  });

  describe("through the gateway", function () {
    let f: Fixture;
    gatewayPerTest((g) => (f = g));

    it("does not release a depression screening to a labs-only grantee because it is contained in a lab report", async function () {
      await f.labCl.exchange.ingest(f.origin, bundleOf(labReportWithContainedSurvey));
      await grant(f, HOSPITAL, ["labs"], ["TREAT"]);
      const res = await signedFetch(f, f.doctor, `/fhir/DiagnosticReport/${PATIENT_ID}-panel`);
      // Not released: a refusal reads as "not held here, or not for you" (404), as for any id.
      expect(res.status, `released: ${JSON.stringify(res.body?.contained ?? res.body).slice(0, 160)}`).to.equal(404);
    });
  });
});
