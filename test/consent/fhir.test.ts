import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { createHash } from "node:crypto";
import fc from "fast-check";
import { getAddress, toBeHex } from "ethers";
import {
  accessAuditEvent,
  DATA_CLASSES,
  fhirIssues,
  fromFhirConsent,
  FhirConsentError,
  PURPOSES,
  SENSITIVE_DATA_CLASSES,
  toFhirConsent,
  ValidationError,
  type DataClassName,
  type FromFhirConsentOptions,
  type GranteeInput,
  type GrantRecord,
  type GrantStatus,
  type ParsedGrantee,
  type PurposeName,
  type ToFhirConsentOptions,
} from "../../sdk";
import { ACCOUNT_SYSTEM, ORG_SYSTEM } from "../../sdk/core/fhirSystems";

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

describe("toFhirConsent", function () {
  const PATIENT = getAddress("0x00000000000000000000000000000000000000c1");
  const DELEGATE = getAddress("0x00000000000000000000000000000000000000d2");
  const REGISTRY = getAddress("0x00000000000000000000000000000000000000e3");
  const ACCOUNT = getAddress("0x1234567890abcdef1234567890abcdef12345678");
  const TX = `0x${"ab".repeat(32)}`;
  const COMMITMENT = `0x${"cd".repeat(32)}`;
  const CLASSES = Object.keys(DATA_CLASSES) as DataClassName[];
  const ALL_PURPOSES = Object.keys(PURPOSES) as PurposeName[];
  const FROM = Date.UTC(2030, 0, 1) / 1000;
  const UNTIL = Date.UTC(2031, 0, 1) / 1000;
  /** The last second FHIR can write (9999-12-31T23:59:59Z): a grant may end one second later. */
  const LAST = Date.UTC(9999, 11, 31, 23, 59, 59) / 1000;
  const source = { chainId: 31337n, registry: REGISTRY } as const;
  const OPTS: ToFhirConsentOptions = { status: "active", ...source };

  /** A grant as `consent.grants` rebuilds it (granteeKey is not read by the export). */
  function grantOf(over: Partial<GrantRecord> = {}): GrantRecord {
    return {
      patient: PATIENT,
      grantee: { kind: "organization", orgId: 7n },
      granteeKey: "0x",
      classes: ["medications", "labs", "mentalHealth"],
      purposes: ["TREAT", "HPAYMT"],
      validFrom: FROM,
      validUntil: UNTIL,
      grantedBy: PATIENT,
      commitment: COMMITMENT,
      blockNumber: 12,
      txHash: TX,
      inForce: true,
      ...over,
    };
  }
  /** A copy to read or edit freely. */
  const plain = (r: unknown) => JSON.parse(JSON.stringify(r)) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** The grantee as the import gives it back. */
  const granteeOf = (g: ParsedGrantee): GranteeInput => (g.kind === "organization" ? { organization: g.orgId } : { account: g.account });
  /** A resolver that must not be asked: the export names grantees by CareLedger identifiers, which are the grantee. */
  const resolveActor = (reference: string): GranteeInput | undefined => {
    throw new Error(`resolveActor asked about ${reference}`);
  };
  /** The export, checked valid R4 by the project's validator, imported back. */
  function roundTrip(grant: GrantRecord, opts: ToFhirConsentOptions = OPTS) {
    const resource = toFhirConsent(grant, opts);
    expect(fhirIssues(resource)).to.deep.equal([]);
    return { resource, imported: fromFhirConsent(resource, { resolveActor }) };
  }
  /** What the import must give back: exactly the grant (classes and purposes in bit order, as the chain reads them). */
  const expected = (g: GrantRecord) => ({ grantee: granteeOf(g.grantee), classes: [...g.classes], purposes: [...g.purposes], validFrom: g.validFrom, validUntil: g.validUntil, element: "provision" });

  describe("round trip: fromFhirConsent(toFhirConsent(grant)) is the grant", function () {
    const inBitOrder = <T extends string>(all: readonly T[]) => (xs: readonly T[]) => all.filter((x) => xs.includes(x));
    const arbGrantee: fc.Arbitrary<ParsedGrantee> = fc.oneof(
      fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }).map((orgId) => ({ kind: "organization" as const, orgId })),
      fc.bigInt({ min: 1n, max: 2n ** 160n - 1n }).map((k) => ({ kind: "account" as const, account: getAddress(toBeHex(k, 20)) })),
    );
    const arbPeriod = fc.oneof(
      // anywhere FHIR can write, from a second to millennia
      fc.integer({ min: 0, max: LAST }).chain((from) => fc.integer({ min: from + 1, max: LAST + 1 }).map((until) => [from, until] as const)),
      // short grants near now
      fc.tuple(fc.integer({ min: 1_700_000_000, max: 2_000_000_000 }), fc.integer({ min: 1, max: 86_400 * 3 })).map(([from, d]) => [from, from + d] as const),
    );
    const arbGrant = fc
      .record({
        grantee: arbGrantee,
        classes: fc.subarray(CLASSES, { minLength: 1 }).map(inBitOrder(CLASSES)),
        purposes: fc.subarray(ALL_PURPOSES, { minLength: 1 }).map(inBitOrder(ALL_PURPOSES)),
        period: arbPeriod,
        byDelegate: fc.boolean(),
        status: fc.constantFrom<GrantStatus>("active", "not-yet-active"),
      })
      .map(({ grantee, classes, purposes, period: [validFrom, validUntil], byDelegate, status }) => ({
        grant: grantOf({ grantee, classes, purposes, validFrom, validUntil, grantedBy: byDelegate ? DELEGATE : PATIENT }),
        status,
      }));

    it("for random grants: org and account grantees, subsets of every class and purpose, any period, by the patient or a delegate", function () {
      fc.assert(
        fc.property(arbGrant, ({ grant, status }) => {
          const { imported } = roundTrip(grant, { ...OPTS, status });
          expect(imported.grants).to.deep.equal([expected(grant)]);
          expect(imported.warnings).to.deep.equal([]);
          expect(imported.patientAccount).to.equal(PATIENT);
          expect(imported.performers).to.deep.equal(grant.grantedBy === PATIENT ? [] : [`${ACCOUNT_SYSTEM}|${DELEGATE}`]);
        }),
        { numRuns: 200 },
      );
    });

    it("for each data class alone (general and sensitive) and every purpose, to an organization and to an account", function () {
      for (const grantee of [{ kind: "organization", orgId: 1n }, { kind: "account", account: ACCOUNT }] as const) {
        for (const c of CLASSES) {
          const grant = grantOf({ grantee, classes: [c], purposes: ALL_PURPOSES });
          expect(roundTrip(grant).imported.grants, c).to.deep.equal([expected(grant)]);
        }
        for (const p of ALL_PURPOSES) {
          const grant = grantOf({ grantee, classes: CLASSES, purposes: [p] });
          expect(roundTrip(grant).imported.grants, p).to.deep.equal([expected(grant)]);
        }
      }
    });

    it("at the edges of time: from the epoch, to one second, to the last second FHIR can write", function () {
      for (const [validFrom, validUntil] of [[0, 1], [FROM, FROM + 1], [0, LAST + 1], [LAST, LAST + 1]]) {
        const grant = grantOf({ validFrom, validUntil });
        expect(roundTrip(grant).imported.grants).to.deep.equal([expected(grant)]);
      }
    });
  });

  describe("the resource", function () {
    it("is a valid R4 Consent by the project's validator (which does catch a broken one)", function () {
      const resource = toFhirConsent(grantOf({ classes: CLASSES, purposes: ALL_PURPOSES, grantedBy: DELEGATE }), { ...OPTS, id: "12-0", grantedAt: FROM - 60 });
      expect(fhirIssues(resource)).to.deep.equal([]);
      const broken = JSON.parse(JSON.stringify(resource));
      delete broken.provision.actor[0].role;
      expect(fhirIssues(broken).map((i) => i.expression)).to.deep.equal(["Consent.provision.actor[0].role"]);
    });

    it("writes the mapping: status, scope, category, policy, patient, period (end = validUntil - 1, inclusive), actor, action, purposes, classes, labels, sources", function () {
      const grant = grantOf({ classes: ["medications", "labs", "mentalHealth", "genomics"], purposes: ["TREAT", "HPAYMT"] });
      const r = toFhirConsent(grant, { ...OPTS, id: "12-0", grantedAt: FROM - 60 });
      expect(r).to.deep.equal({
        resourceType: "Consent",
        id: "12-0",
        meta: { source: `eip155:31337:${REGISTRY}`, lastUpdated: "2029-12-31T23:59:00Z" },
        identifier: [{ system: "urn:careledger:transaction", value: TX }],
        status: "active",
        scope: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentscope", code: "patient-privacy" }] },
        category: [{ coding: [{ system: "http://loinc.org", code: "59284-0", display: "Patient Consent" }] }],
        patient: { type: "Patient", identifier: { system: ACCOUNT_SYSTEM, value: PATIENT } },
        dateTime: "2029-12-31T23:59:00Z",
        sourceReference: { identifier: { system: "urn:careledger:commitment", value: COMMITMENT } },
        policyRule: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "OPTIN" }] },
        provision: {
          type: "permit",
          period: { start: "2030-01-01T00:00:00Z", end: "2030-12-31T23:59:59Z" },
          actor: [{ role: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", code: "IRCP", display: "information recipient" }] }, reference: { type: "Organization", identifier: { system: ORG_SYSTEM, value: "7" } } }],
          action: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentaction", code: "access" }] }],
          purpose: [
            { system: "http://terminology.hl7.org/CodeSystem/v3-ActReason", code: "TREAT" },
            { system: "http://terminology.hl7.org/CodeSystem/v3-ActReason", code: "HPAYMT" },
          ],
          class: [
            { system: "http://hl7.org/fhir/resource-types", code: "MedicationRequest" },
            { system: "http://hl7.org/fhir/resource-types", code: "MedicationStatement" },
            { system: "http://hl7.org/fhir/resource-types", code: "MedicationAdministration" },
            { system: "http://hl7.org/fhir/resource-types", code: "MedicationDispense" },
            { system: "urn:careledger:data-class", code: "labs" },
          ],
          securityLabel: [
            { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "PSY" },
            { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "PSYTHPN" },
            { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "GDIS" },
          ],
        },
      });
    });

    it("names sensitive classes only by security labels, and general ones only by class", function () {
      const only = (element: "class" | "securityLabel") => {
        const r = plain(toFhirConsent(grantOf({ classes: CLASSES }), OPTS));
        delete r.provision[element === "class" ? "securityLabel" : "class"];
        return fromFhirConsent(r, { resolveActor }).grants[0].classes;
      };
      expect(only("class")).to.deep.equal(CLASSES.filter((c) => !SENSITIVE_DATA_CLASSES.includes(c)));
      expect(only("securityLabel")).to.deep.equal(SENSITIVE_DATA_CLASSES);
    });

    it("names the patient and the grantee by the identifiers the AuditEvents use; a delegate who granted is the performer", function () {
      const audit = (orgId: bigint, accessor: string) =>
        accessAuditEvent({ patient: PATIENT, accessor, orgId, dataClass: "labs", purpose: "TREAT", recordRef: `0x${"11".repeat(32)}`, at: FROM, blockNumber: 1, txHash: TX }, source, "1-0") as {
          agent: { who: { identifier: unknown } }[];
          entity: { what: { identifier: unknown } }[];
        };
      const fromOrg = audit(7n, ACCOUNT);
      const org = plain(toFhirConsent(grantOf(), OPTS));
      expect(org.patient.identifier).to.deep.equal(fromOrg.entity[1].what.identifier);
      expect(org.provision.actor[0].reference.identifier).to.deep.equal(fromOrg.agent[1].who.identifier);
      const acct = plain(toFhirConsent(grantOf({ grantee: { kind: "account", account: ACCOUNT } }), OPTS));
      expect(acct.provision.actor[0].reference.identifier).to.deep.equal(audit(0n, ACCOUNT).agent[0].who.identifier);

      expect(org).to.not.have.property("performer");
      const byDelegate = toFhirConsent(grantOf({ grantedBy: DELEGATE }), OPTS);
      expect(byDelegate.performer).to.deep.equal([{ identifier: { system: ACCOUNT_SYSTEM, value: DELEGATE } }]);
    });

    it("carries nothing about the patient but the account: no narrative, name, or free text", function () {
      const r = toFhirConsent(grantOf({ grantedBy: DELEGATE }), { ...OPTS, id: "1-0", grantedAt: FROM });
      expect(Object.keys(r).sort()).to.deep.equal(["category", "dateTime", "id", "identifier", "meta", "patient", "performer", "policyRule", "provision", "resourceType", "scope", "sourceReference", "status"]);
      expect(JSON.stringify(r)).to.not.match(/"(text|display|name|note)":"(?!Patient Consent|information recipient)/);
    });
  });

  describe("status", function () {
    const cases: [GrantStatus, string][] = [
      ["active", "active"],
      ["not-yet-active", "active"],
      ["expired", "inactive"],
      ["revoked", "inactive"],
    ];
    for (const [status, fhir] of cases) {
      it(`a grant that is ${status} is ${fhir}`, function () {
        const r = toFhirConsent(grantOf(), { ...OPTS, status });
        expect(r.status).to.equal(fhir);
        expect(fhirIssues(r)).to.deep.equal([]);
        // An inactive Consent grants nothing: importing it is refused, naming status.
        if (fhir === "inactive") refuses(r, "status", { resolveActor });
        else expect(fromFhirConsent(r, { resolveActor }).grants).to.have.length(1);
      });
    }

    it("a revoked grant is inactive, last updated when it was revoked, its period as granted", function () {
      const r = toFhirConsent(grantOf(), { ...OPTS, status: "revoked", grantedAt: FROM - 3600, revokedAt: FROM + 86_400 });
      expect(r).to.deep.include({ status: "inactive", dateTime: "2029-12-31T23:00:00Z", meta: { source: `eip155:31337:${REGISTRY}`, lastUpdated: "2030-01-02T00:00:00Z" } });
      expect((r.provision as { period: unknown }).period).to.deep.equal({ start: "2030-01-01T00:00:00Z", end: "2030-12-31T23:59:59Z" });
      expect(toFhirConsent(grantOf(), OPTS)).to.not.have.property("dateTime");
    });

    it("refuses what it cannot write, naming the field", function () {
      const fails = (grant: GrantRecord, opts: ToFhirConsentOptions, field: string) => {
        expect(() => toFhirConsent(grant, opts), field).to.throw(ValidationError).with.property("field", field);
      };
      fails(grantOf(), { ...OPTS, status: "inactive" as GrantStatus }, "status");
      fails(grantOf(), { ...OPTS, status: "constructor" as GrantStatus }, "status");
      fails(grantOf(), { ...OPTS, revokedAt: FROM }, "revokedAt");
      fails(grantOf(), { ...OPTS, status: "revoked", grantedAt: FROM, revokedAt: FROM - 1 }, "revokedAt");
      fails(grantOf(), { ...OPTS, id: "12/0" }, "id");
      fails(grantOf(), { ...OPTS, registry: "0x12" }, "registry");
      fails(grantOf({ validUntil: LAST + 2 }), OPTS, "grant.validUntil");
      fails(grantOf({ validUntil: FROM }), OPTS, "grant.validUntil");
      fails(grantOf({ classes: [] }), OPTS, "grant.classes");
      fails(grantOf({ purposes: [] }), OPTS, "grant.purposes");
      fails(grantOf({ txHash: "0x12" }), OPTS, "grant.txHash");
    });
  });

  describe("what the import reads for it", function () {
    const exported = () => plain(toFhirConsent(grantOf(), OPTS));
    it("a general class by urn:careledger:data-class; a sensitive one there is refused (sensitive classes are named by their labels)", function () {
      const r = exported();
      r.provision.class = [{ system: "urn:careledger:data-class", code: "vitals" }];
      delete r.provision.securityLabel;
      expect(fromFhirConsent(r, { resolveActor }).grants[0].classes).to.deep.equal(["vitals"]);
      r.provision.class = [{ system: "urn:careledger:data-class", code: "hiv" }];
      expect(refuses(r, "provision.class[0]", { resolveActor }).message).to.contain("v3-ActCode HIV");
      r.provision.class = [{ system: "urn:careledger:data-class", code: "constructor" }];
      refuses(r, "provision.class[0]", { resolveActor });
    });

    it("refuses a CareLedger identifier that names no grantee or no patient, and any other identifier-only actor", function () {
      const r = exported();
      r.provision.actor[0].reference = { identifier: { system: ORG_SYSTEM, value: "0" } };
      refuses(r, "provision.actor[0].reference.identifier.value", { resolveActor });
      r.provision.actor[0].reference = { identifier: { system: ACCOUNT_SYSTEM, value: "0x12" } };
      refuses(r, "provision.actor[0].reference.identifier.value", { resolveActor });
      r.provision.actor[0].reference = { identifier: { system: "http://hl7.org/fhir/sid/us-npi", value: "1234567893" } };
      refuses(r, "provision.actor[0].reference", { resolveActor });
      const p = exported();
      p.patient = { identifier: { system: ACCOUNT_SYSTEM, value: "nobody" } };
      refuses(p, "patient.identifier.value", { resolveActor });
      p.patient = { identifier: { system: ORG_SYSTEM, value: "7" } };
      refuses(p, "patient.reference", { resolveActor });
    });
  });
});
