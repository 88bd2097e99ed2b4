import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { createHash } from "node:crypto";
import { fromFhirConsent, FhirConsentError, ValidationError, type FromFhirConsentOptions, type GranteeInput } from "../../sdk";

const DIR = path.join(__dirname, "..", "fixtures", "fhir", "consent");
const load = (name: string): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(DIR, `Consent-consent-example-${name}.json`), "utf8"));

const PRACTITIONER_13 = "0x00000000000000000000000000000000000000a1";
const XCDA_AUTHOR = "0x00000000000000000000000000000000000000a2";
const ACTORS: Record<string, GranteeInput> = {
  "Organization/f001": { organization: 1 },
  "Practitioner/13": { account: PRACTITIONER_13 },
  "Practitioner/xcda-author": { account: XCDA_AUTHOR },
};
const options: FromFhirConsentOptions = { resolveActor: (ref) => ACTORS[ref] };
const GENERAL = ["demographics", "conditions", "medications", "allergies", "labs", "vitals", "imaging", "procedures", "immunizations", "notes", "encounters", "carePlans", "claims"];
const FAR = 4_102_444_800; // 2100-01-01

/** Asserts that mapping refuses, naming `element`. */
function refuses(resource: unknown, element: string, opts: FromFhirConsentOptions = options): FhirConsentError {
  try {
    fromFhirConsent(resource, opts);
  } catch (err) {
    expect(err).to.be.instanceOf(FhirConsentError);
    expect(err).to.be.instanceOf(ValidationError);
    expect((err as FhirConsentError).field).to.equal(element);
    expect((err as FhirConsentError).message.startsWith(`${element}: `)).to.equal(true);
    return err as FhirConsentError;
  }
  throw new Error(`expected a refusal naming ${element}`);
}

/** A minimal active privacy Consent with one root provision. */
function consent(provision: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    resourceType: "Consent",
    status: "active",
    scope: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentscope", code: "patient-privacy" }] },
    category: [{ coding: [{ system: "http://loinc.org", code: "59284-0" }] }],
    patient: { reference: "Patient/1" },
    policyRule: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "OPTIN" }] },
    provision,
    ...extra,
  };
}
/** A provision actor as R4 requires it: a role (here HL7's "information recipient") and a reference. */
const actorOf = (reference: string) => ({ role: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", code: "IRCP" }] }, reference: { reference } });
const ORG_ACTOR = actorOf("Organization/f001");
const TREAT = [{ system: "http://terminology.hl7.org/CodeSystem/v3-ActReason", code: "TREAT" }];
const PERIOD = { start: "2030-01-01", end: "2030-12-31" };

describe("fromFhirConsent", function () {
  describe("the six HL7 R4 examples", function () {
    it("are the unmodified HL7 files listed in SOURCES.md", function () {
      const sources = fs.readFileSync(path.join(DIR, "SOURCES.md"), "utf8");
      for (const name of ["basic", "notThis", "smartonfhir", "pkb", "signature", "Emergency"]) {
        const file = `Consent-consent-example-${name}.json`;
        const sha = createHash("sha256").update(fs.readFileSync(path.join(DIR, file))).digest("hex");
        expect(sources, file).to.contain(`| ${file} | consent-example-${name} |`);
        expect(sources, file).to.contain(sha);
      }
    });

    it("basic: refused at provision.actor (a permit for anyone names no grantee)", function () {
      refuses(load("basic"), "provision.actor");
    });

    it("notThis: refused at provision.data (rules about one record instance are not data classes)", function () {
      refuses(load("notThis"), "provision.data");
    });

    it("smartonfhir: refused at provision.provision[0].actor (the permitted app is not named)", function () {
      refuses(load("smartonfhir"), "provision.provision[0].actor");
    });

    it("pkb: refused at provision.purpose, and with default purposes at provision.provision[0].type (nested rules without permit/deny)", function () {
      refuses(load("pkb"), "provision.purpose");
      refuses(load("pkb"), "provision.provision[0].type", { ...options, defaultPurposes: ["TREAT"], defaultValidUntil: FAR });
    });

    it("Emergency: refused at provision.period.end, and with an end at provision.provision[0].type (a deny inside a permit)", function () {
      refuses(load("Emergency"), "provision.period.end");
      const err = refuses(load("Emergency"), "provision.provision[0].type", { ...options, defaultValidUntil: FAR });
      expect(err.message).to.contain("deny");
    });

    it("signature: refused at the nested author actor (a rule about who wrote the data is not a grantee, and not among the root's actors)", function () {
      const err = refuses(load("signature"), "provision.provision[0].actor[0].reference", { ...options, defaultPurposes: ["TREAT"] });
      expect(err.message).to.contain("narrows its parent");
    });

    it("smartonfhir with its app named: the nested permit narrows the root, medications only; the proxy performer is reported", function () {
      const r = load("smartonfhir");
      (r.provision as Record<string, unknown>).actor = [ORG_ACTOR];
      const out = fromFhirConsent(r, { ...options, defaultPurposes: ["TREAT"] });
      expect(out.performers).to.deep.equal(["RelatedPerson/peter"]);
      expect(out.grants.map((g) => [g.classes, g.element])).to.deep.equal([[["medications"], "provision.provision[0]"]]);
      expect(out.grants[0].validUntil - out.grants[0].validFrom).to.equal(30 * 60 + 1);
    });

    describe("variants: what each example grants once made expressible, never more", function () {
      const strip = (r: Record<string, unknown>) => JSON.parse(JSON.stringify(r)) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
      it("basic with a recipient: the general classes for the period (no class named), nothing sensitive", function () {
        const r = strip(load("basic"));
        r.provision.actor = [ORG_ACTOR];
        const out = fromFhirConsent(r, { ...options, defaultPurposes: ["TREAT"] });
        expect(out.grants).to.deep.equal([{ grantee: { organization: 1 }, classes: GENERAL, purposes: ["TREAT"], validFrom: 0 /* 1964: before 1970, so from the start */, validUntil: Date.UTC(2016, 0, 2) / 1000, element: "provision" }]);
      });
      it("notThis without its instance rule: still refused (a permit for anyone names no grantee)", function () {
        const r = strip(load("notThis"));
        delete r.provision.data;
        refuses(r, "provision.actor", { ...options, defaultPurposes: ["TREAT"], defaultValidUntil: FAR });
      });
      it("pkb with its nested rules typed permit: refused at the first nested label beyond the root's (PSY under normal confidentiality)", function () {
        const r = strip(load("pkb"));
        (r.provision.provision as Record<string, unknown>[]).forEach((n) => (n.type = "permit"));
        const err = refuses(r, "provision.provision[0]", { ...options, defaultPurposes: ["TREAT"], defaultValidUntil: FAR });
        expect(err.message).to.contain("mentalHealth is not among the data classes of provision");
      });
      it("Emergency without its deny: ETREAT for the organization, the general classes only", function () {
        const r = strip(load("Emergency"));
        delete r.provision.provision;
        const out = fromFhirConsent(r, { ...options, defaultValidUntil: FAR });
        expect(out.grants).to.deep.equal([{ grantee: { organization: 1 }, classes: GENERAL, purposes: ["ETREAT"], validFrom: 0, validUntil: FAR, element: "provision" }]);
      });
      it("signature with the author as a recipient of the root: clinical notes for both, as the nested rule says", function () {
        const r = strip(load("signature"));
        r.provision.actor.push(actorOf("Practitioner/xcda-author"));
        const out = fromFhirConsent(r, { ...options, defaultPurposes: ["TREAT"] });
        const from = Date.UTC(2015, 9, 10) / 1000;
        const until = Date.UTC(2016, 9, 11) / 1000; // the end date is inclusive: the grant ends at the next midnight
        expect(out.grants).to.deep.equal([{ grantee: { account: XCDA_AUTHOR }, classes: ["notes"], purposes: ["TREAT"], validFrom: from, validUntil: until, element: "provision.provision[0]" }]);
      });
      it("smartonfhir with the app and a second nested permit: the union of the nested rules, not the root's general classes", function () {
        const r = strip(load("smartonfhir"));
        r.provision.actor = [ORG_ACTOR];
        r.provision.provision.push({ type: "permit", class: [{ system: "http://hl7.org/fhir/resource-types", code: "AllergyIntolerance" }] });
        const out = fromFhirConsent(r, { ...options, defaultPurposes: ["TREAT"] });
        expect(out.grants.map((g) => g.classes)).to.deep.equal([["medications", "allergies"]]);
      });
    });
  });

  describe("mapping rules", function () {
    it("maps actors, purposes, resource-type classes, sensitivity labels and the period", function () {
      const out = fromFhirConsent(
        consent({
          actor: [ORG_ACTOR],
          purpose: [...TREAT, { system: "http://terminology.hl7.org/CodeSystem/v3-ActReason", code: "HPAYMT" }],
          class: [{ system: "http://hl7.org/fhir/resource-types", code: "MedicationRequest" }, { system: "http://hl7.org/fhir/resource-types", code: "Immunization" }],
          securityLabel: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "PSY" }],
          action: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentaction", code: "access" }] }],
          period: { start: "2030-01-01T10:00:00+02:00", end: "2030-01-01T12:00:00Z" },
        }),
        options,
      );
      expect(out.grants).to.deep.equal([
        {
          grantee: { organization: 1 },
          classes: ["medications", "immunizations", "mentalHealth"],
          purposes: ["TREAT", "HPAYMT"],
          validFrom: Date.UTC(2030, 0, 1, 8) / 1000,
          validUntil: Date.UTC(2030, 0, 1, 12) / 1000 + 1,
          element: "provision",
        },
      ]);
      expect(out.warnings).to.deep.equal([]);
    });

    it("a root deny with nested permits maps the permits (deny everything except…)", function () {
      const out = fromFhirConsent(
        consent({ type: "deny", period: PERIOD, provision: [{ type: "permit", actor: [ORG_ACTOR], purpose: TREAT, class: [{ system: "http://hl7.org/fhir/resource-types", code: "Condition" }] }] }),
        options,
      );
      expect(out.grants).to.have.length(1);
      expect(out.grants[0]).to.include({ element: "provision.provision[0]", validFrom: Date.UTC(2030, 0, 1) / 1000 });
      expect(out.grants[0].classes).to.deep.equal(["conditions"]);
    });

    it("narrows a permit by its nested permits: the app named at the root, MedicationRequest nested → medications only", function () {
      const MEDS = [{ system: "http://hl7.org/fhir/resource-types", code: "MedicationRequest" }];
      const out = fromFhirConsent(consent({ actor: [ORG_ACTOR], purpose: TREAT, period: PERIOD, provision: [{ type: "permit", class: MEDS }] }), options);
      expect(out.grants.map((g) => [g.classes, g.purposes, g.element])).to.deep.equal([[["medications"], ["TREAT"], "provision.provision[0]"]]);
      expect(out.warnings).to.deep.equal([]);
    });

    it("refuses a nested rule that would reach beyond its parent: another actor, class or purpose", function () {
      const COND = [{ system: "http://hl7.org/fhir/resource-types", code: "Condition" }];
      const base = { actor: [ORG_ACTOR], purpose: TREAT, period: PERIOD, class: COND };
      const other = actorOf("Practitioner/13");
      refuses(consent({ ...base, provision: [{ type: "permit", actor: [other] }] }), "provision.provision[0].actor[0].reference");
      refuses(consent({ ...base, provision: [{ type: "permit", class: [{ system: "http://hl7.org/fhir/resource-types", code: "Procedure" }] }] }), "provision.provision[0]");
      refuses(consent({ ...base, provision: [{ type: "permit", purpose: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ActReason", code: "HPAYMT" }] }] }), "provision.provision[0].purpose");
      // A sensitive class under a parent that names none (FHIR: all data) narrows it: granted as named.
      const psy = fromFhirConsent(consent({ actor: [ORG_ACTOR], purpose: TREAT, period: PERIOD, provision: [{ type: "permit", securityLabel: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "PSY" }] }] }), options);
      expect(psy.grants.map((g) => g.classes)).to.deep.equal([["mentalHealth"]]);
    });

    it("merges two nested rules for one grantee into their exact union, cuts a nested period to its parent's, and refuses what one grant cannot hold", function () {
      const COND = [{ system: "http://hl7.org/fhir/resource-types", code: "Condition" }];
      const PROC = [{ system: "http://hl7.org/fhir/resource-types", code: "Procedure" }];
      const HPAYMT = [{ system: "http://terminology.hl7.org/CodeSystem/v3-ActReason", code: "HPAYMT" }];
      const root = { actor: [ORG_ACTOR], purpose: [...TREAT, ...HPAYMT], period: PERIOD };
      // A nested period wider than the root's is cut to it: same period, same purposes → classes merge.
      const merged = fromFhirConsent(consent({ ...root, provision: [{ type: "permit", class: COND }, { type: "permit", class: PROC, period: { start: "2029-01-01", end: "2031-06-30" } }] }), options);
      expect(merged.grants).to.have.length(1);
      expect(merged.grants[0].classes).to.deep.equal(["conditions", "procedures"]);
      expect(merged.grants[0].validFrom).to.equal(Date.UTC(2030, 0, 1) / 1000);
      // Same classes → purposes merge.
      const both = fromFhirConsent(consent({ ...root, provision: [{ type: "permit", class: COND, purpose: TREAT }, { type: "permit", class: COND, purpose: HPAYMT }] }), options);
      expect(both.grants[0].purposes).to.deep.equal(["TREAT", "HPAYMT"]);
      refuses(consent({ ...root, provision: [{ type: "permit", class: COND }, { type: "permit", class: COND, period: { start: "2030-03-01", end: "2030-06-30" } }] }), "provision.provision[1]");
      refuses(consent({ ...root, provision: [{ type: "permit", class: COND, purpose: TREAT }, { type: "permit", purpose: HPAYMT, class: PROC }] }), "provision.provision[1]");
    });

    it("uses defaultValidUntil for a permit without an end", function () {
      const out = fromFhirConsent(consent({ actor: [ORG_ACTOR], purpose: TREAT }), { ...options, defaultValidUntil: new Date(FAR * 1000) });
      expect(out.grants[0]).to.include({ validFrom: 0, validUntil: FAR });
    });

    const cases: [string, Record<string, unknown>, string][] = [
      ["a resource that is not a Consent", { resourceType: "Patient" }, "resourceType"],
      ["an inactive Consent", consent({}, { status: "inactive" }), "status"],
      ["a research consent", consent({}, { scope: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentscope", code: "research" }] } }), "scope"],
      ["a Consent without a patient", consent({}, { patient: {} }), "patient.reference"],
      ["an unknown policy", consent({}, { policyRule: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "OPTINR" }] } }), "policyRule"],
      ["a Consent without provision", consent({}, { provision: undefined }), "provision"],
      ["a root without type or policy rule (a policy by URI only)", consent({ actor: [ORG_ACTOR] }, { policyRule: undefined, policy: [{ uri: "https://example.org/privacy-policy" }] }), "provision.type"],
      ["a type that is not permit or deny", consent({ type: "maybe" }), "provision.type"],
      ["a root deny with nothing permitted", consent({ type: "deny", actor: [ORG_ACTOR] }), "provision"],
      ["an unknown actor", consent({ actor: [actorOf("Practitioner/nobody")], purpose: TREAT, period: PERIOD }), "provision.actor[0].reference"],
      ["an actor without reference", consent({ actor: [{ role: ORG_ACTOR.role }], purpose: TREAT, period: PERIOD }), "provision.actor[0].reference"],
      ["an unknown purpose", consent({ actor: [ORG_ACTOR], purpose: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ActReason", code: "HMARKT" }] }), "provision.purpose[0]"],
      ["an ambiguous resource type", consent({ actor: [ORG_ACTOR], class: [{ system: "http://hl7.org/fhir/resource-types", code: "Observation" }] }), "provision.class[0]"],
      ["an unmapped document code", consent({ actor: [ORG_ACTOR], code: [{ coding: [{ system: "http://loinc.org", code: "1-8" }] }] }), "provision.code[0]"],
      ["a restricted confidentiality label", consent({ actor: [ORG_ACTOR], securityLabel: [{ system: "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", code: "R" }] }), "provision.securityLabel[0]"],
      ["a non-access action", consent({ actor: [ORG_ACTOR], action: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentaction", code: "correct" }] }] }), "provision.action[0]"],
      ["a partial date", consent({ actor: [ORG_ACTOR], purpose: TREAT, period: { end: "2030" } }), "provision.period.end"],
      ["an impossible date", consent({ actor: [ORG_ACTOR], purpose: TREAT, period: { start: "2030-13-45" } }), "provision.period.start"],
      ["a non-string date", consent({ actor: [ORG_ACTOR], purpose: TREAT, period: { start: 2030 } }), "provision.period.start"],
      ["a data period", consent({ actor: [ORG_ACTOR], dataPeriod: PERIOD }), "provision.dataPeriod"],
      ["a nested rule that is not an object", consent({ actor: [ORG_ACTOR], purpose: TREAT, period: PERIOD, provision: ["x"] }), "provision.provision[0]"],
      ["an element that is not an array", consent({ actor: ORG_ACTOR }), "provision.actor"],
      ["a concept that is not a CodeableConcept", consent({ actor: [ORG_ACTOR], action: ["access"] }), "provision.action[0]"],
    ];
    for (const [what, resource, element] of cases) {
      it(`refuses ${what}, naming ${element}`, function () {
        refuses(resource, element);
      });
    }

    it("refuses a resolved grantee that is not one, naming the actor", function () {
      refuses(consent({ actor: [ORG_ACTOR], purpose: TREAT, period: PERIOD }), "provision.actor[0].reference", { resolveActor: () => ({ organization: 0 }) });
    });
  });
});
