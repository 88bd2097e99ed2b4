import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { keccak256, toUtf8Bytes } from "ethers";
import {
  claimResponseFrom,
  ClaimStatus,
  claimsIn,
  dayTimestamp,
  explanationOfBenefitFrom,
  fromFhirClaim,
  procedureCode,
  toClaimResponse,
  toExplanationOfBenefit,
  toUnits,
  ValidationError,
  type ClaimSubmission,
  type FhirClaimResolver,
  type FhirResource,
} from "../../sdk";
import { ClaimsModel, type ModelBenefit } from "../support/claimsModel";
import { claimsEvent, claimsFixture, HOSPITAL, sub, USD } from "./fixtures";

const FIXTURES = path.resolve(__dirname, "../../../shared/fixtures/fhir/claims");
const SYNTHEA = ["Raymon_Kris_ca5da59f-0a70-470d-8b20-a1c847ff9010.json", "Parker_Casper_6d0c6969-6843-47e1-9921-d9bf11b1df31.json", "Bob965_Keeling57_3f6fd0bb-6cd3-eb3f-4401-cd38ace25f2b.json"];
const read = (name: string) => fs.readFileSync(path.join(FIXTURES, name), "utf8");
const json = (name: string) => JSON.parse(read(name)) as FhirResource;

const MEMBER = "0x00000000000000000000000000000000000000aa";
const EVIDENCE = "0x" + "ee".repeat(32);
const resolver = (over: Partial<FhirClaimResolver> = {}): FhirClaimResolver => ({
  member: () => MEMBER,
  provider: () => 1n,
  plan: () => 1n,
  evidence: () => EVIDENCE,
  ...over,
});

function expectRefused(fn: () => unknown, field: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ValidationError);
    expect((err as ValidationError).field).to.equal(field);
    return;
  }
  expect.fail(`expected a refusal naming ${field}`);
}

function claimWith(over: Record<string, unknown>): FhirResource {
  return {
    resourceType: "Claim",
    status: "active",
    type: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/claim-type", code: "professional" }] },
    use: "claim",
    patient: { reference: "Patient/1" },
    created: "2024-03-06",
    provider: { reference: "Organization/1" },
    priority: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/processpriority", code: "normal" }] },
    insurance: [{ sequence: 1, focal: true, coverage: { reference: "Coverage/1" } }],
    billablePeriod: { start: "2024-03-05T10:00:00Z" },
    item: [{ sequence: 1, productOrService: { coding: [{ system: "http://snomed.info/sct", code: "185345009" }] }, net: { value: 125.5, currency: "USD" } }],
    ...over,
  };
}

describe("FHIR Claim mapping", function () {
  describe("toUnits and dayTimestamp", function () {
    it("rounds half to even at the cent, then scales to the token's decimals", function () {
      expect(toUnits(410.20000000000005)).to.equal(410_200_000n);
      expect(toUnits(28.104000000000003)).to.equal(28_100_000n);
      expect(toUnits("0.125")).to.equal(120_000n);
      expect(toUnits("0.135")).to.equal(140_000n);
      expect(toUnits("0.1351")).to.equal(140_000n);
      expect(toUnits(1e-7)).to.equal(0n);
      expect(() => toUnits(-1)).to.throw(ValidationError);
      expect(() => toUnits("abc")).to.throw(ValidationError);
    });

    it("takes midnight UTC of the date part", function () {
      expect(dayTimestamp("1994-03-31T22:22:41+00:00")).to.equal(Date.UTC(1994, 2, 31) / 1000);
      expect(dayTimestamp(Date.UTC(2024, 0, 2, 5) / 1000)).to.equal(Date.UTC(2024, 0, 2) / 1000);
      expect(() => dayTimestamp("yesterday")).to.throw(ValidationError);
    });
  });

  describe("fromFhirClaim", function () {
    it("maps items, codes, quantity, unitPrice and net, the service date and the parties", function () {
      const s = fromFhirClaim(
        claimWith({
          item: [
            { sequence: 1, productOrService: { coding: [{ system: "http://snomed.info/sct", code: "185345009" }] }, net: { value: 125.5, currency: "USD" }, servicedDate: "2024-03-04" },
            { sequence: 2, productOrService: { coding: [{ system: "urn:other", code: "x" }, { system: "http://hl7.org/fhir/sid/cvx", code: "140" }] }, quantity: { value: 2 }, unitPrice: { value: 10, currency: "USD" }, servicedDate: "2024-03-04" },
          ],
          total: { value: 145.5, currency: "USD" },
        }),
        { resolve: resolver() },
      );
      expect(s).to.deep.equal({
        planId: 1n,
        member: s.member,
        providerOrg: 1n,
        serviceDate: Date.UTC(2024, 2, 4) / 1000,
        authId: 0n,
        evidence: EVIDENCE,
        lines: [
          { code: procedureCode("sct", "185345009"), units: 1, charged: 125_500_000n },
          { code: procedureCode("cvx", "140"), units: 2, charged: 20_000_000n },
        ],
      });
      expect(s.member.toLowerCase()).to.equal(MEMBER);
    });

    it("maps the HL7 CMS-1500 example (CPT)", function () {
      const s = fromFhirClaim(json("claim-example-cms1500-medical.json"), { resolve: resolver() });
      expect(s.lines).to.deep.equal([{ code: procedureCode("cpt", "62264"), units: 1, charged: 12_500n * USD }]);
      expect(s.serviceDate).to.equal(Date.UTC(2015, 9, 13) / 1000);
    });

    it("leaves the diagnoses out: an unpriced item pointing at a diagnosis is the diagnosis, never a line", function () {
      const encounter = { sequence: 1, productOrService: { coding: [{ system: "http://snomed.info/sct", code: "185345009" }] }, encounter: [{ reference: "Encounter/1" }] };
      const diagnosis = { sequence: 2, diagnosisSequence: [1], productOrService: { coding: [{ system: "http://snomed.info/sct", code: "444814009" }] } };
      const pricedWithDiagnosis = { ...diagnosis, sequence: 3, productOrService: { coding: [{ system: "http://snomed.info/sct", code: "117015009" }] }, net: { value: 40, currency: "USD" } };
      const s = fromFhirClaim(claimWith({ item: [encounter, diagnosis, pricedWithDiagnosis], total: { value: 165, currency: "USD" } }), { resolve: resolver() });
      expect(s.lines.map((l) => [l.code, l.charged])).to.deep.equal([
        [procedureCode("sct", "185345009"), 125_000_000n],
        [procedureCode("sct", "117015009"), 40_000_000n],
      ]);
      expectRefused(() => fromFhirClaim(claimWith({ item: [diagnosis] }), { resolve: resolver() }), "Claim.item");
    });

    it("refuses what it cannot map, naming the element", function () {
      const r = resolver();
      expectRefused(() => fromFhirClaim({ resourceType: "Patient" }, { resolve: r }), "Claim.resourceType");
      expectRefused(() => fromFhirClaim(claimWith({ use: "preauthorization" }), { resolve: r }), "Claim.use");
      expectRefused(() => fromFhirClaim(claimWith({ patient: undefined }), { resolve: r }), "Claim.patient");
      expectRefused(() => fromFhirClaim(claimWith({}), { resolve: resolver({ member: () => undefined }) }), "Claim.patient");
      expectRefused(() => fromFhirClaim(claimWith({ provider: undefined }), { resolve: r }), "Claim.provider");
      expectRefused(() => fromFhirClaim(claimWith({}), { resolve: resolver({ provider: () => undefined }) }), "Claim.provider");
      expectRefused(() => fromFhirClaim(claimWith({ insurance: [] }), { resolve: r }), "Claim.insurance");
      expectRefused(() => fromFhirClaim(claimWith({}), { resolve: resolver({ plan: () => undefined }) }), "Claim.insurance.coverage");
      expectRefused(() => fromFhirClaim(claimWith({ item: [] }), { resolve: r }), "Claim.item");
      // Not valid R4 (HL7's definitions, Medplum's validator) before anything is mapped: a missing
      // required element, a code outside its value set's type, a wrong primitive.
      expectRefused(() => fromFhirClaim(claimWith({ status: undefined }), { resolve: r }), "Claim.status");
      expectRefused(() => fromFhirClaim(claimWith({ created: "yesterday" }), { resolve: r }), "Claim.created");
      expectRefused(() => fromFhirClaim(claimWith({ item: [{ productOrService: { coding: [{ system: "http://snomed.info/sct", code: "1" }] }, net: { value: 1 } }] }), { resolve: r }), "Claim.item[0].sequence");
      expectRefused(() => fromFhirClaim(claimWith({ billablePeriod: undefined }), { resolve: r }), "Claim.billablePeriod");
      expectRefused(
        () => fromFhirClaim(claimWith({ item: [{ sequence: 1, productOrService: { coding: [{ system: "urn:local", code: "1" }] }, net: { value: 1 } }] }), { resolve: r }),
        "Claim.item[0].productOrService.coding",
      );
      expectRefused(
        () => fromFhirClaim(claimWith({ item: [{ sequence: 1, productOrService: { coding: [{ system: "http://snomed.info/sct", code: "1" }] }, net: { value: 1, currency: "EUR" } }] }), { resolve: r }),
        "Claim.item[0].net.currency",
      );
      expectRefused(
        () => fromFhirClaim(claimWith({ item: [{ sequence: 1, productOrService: { coding: [{ system: "http://snomed.info/sct", code: "1" }] }, quantity: { value: 1.5 }, net: { value: 1 } }] }), { resolve: r }),
        "Claim.item[0].quantity",
      );
      expectRefused(
        () =>
          fromFhirClaim(
            claimWith({
              item: [
                { sequence: 1, productOrService: { coding: [{ system: "http://snomed.info/sct", code: "1" }] }, net: { value: 1 }, servicedDate: "2024-01-01" },
                { sequence: 2, productOrService: { coding: [{ system: "http://snomed.info/sct", code: "2" }] }, net: { value: 1 }, servicedDate: "2024-01-02" },
              ],
            }),
            { resolve: r },
          ),
        "Claim.item.servicedDate",
      );
      expectRefused(() => fromFhirClaim(claimWith({ total: { value: 99, currency: "USD" } }), { resolve: r }), "Claim.total");
      expectRefused(() => fromFhirClaim(claimWith({ total: { value: 1, currency: "USD" } }), { resolve: r }), "Claim.total");
      expectRefused(
        () => fromFhirClaim(claimWith({ item: [{ sequence: 1, productOrService: { coding: [{ system: "http://snomed.info/sct", code: "1" }] }, encounter: [{ reference: "Encounter/1" }] }] }), { resolve: r }),
        "Claim.total",
      );
      expectRefused(
        () =>
          fromFhirClaim(claimWith({ type: { coding: [{ code: "pharmacy" }] }, prescription: { reference: "MedicationRequest/9" }, total: { value: 1, currency: "USD" } }), { resolve: r }),
        "Claim.prescription",
      );
    });

    it("reads a Claim, a Bundle and NDJSON; refuses a file without a Claim", function () {
      const one = JSON.stringify(claimWith({}));
      expect(claimsIn(one)).to.have.length(1);
      expect(claimsIn(`${one}\n${one}\n`)).to.have.length(2);
      expect(claimsIn(read(SYNTHEA[0]))).to.have.length(21);
      expect(() => claimsIn('{"resourceType":"Patient"}')).to.throw(ValidationError);
      expect(() => claimsIn("not json\n")).to.throw(ValidationError);
    });
  });

  describe("every Claim of the three Synthea bundles", function () {
    it("maps, submits and settles every claim, reconciling each line and the totals with the model to the unit", async function () {
      this.timeout(300_000);
      const f = await loadFixture(claimsFixture);
      const [m1, m2, m3] = f.signers.slice(13, 16);
      const members = [m1, m2, m3];
      const entries: { claim: FhirResource; reference: (r: string) => FhirResource | undefined; member: string }[] = [];
      SYNTHEA.forEach((file, i) => {
        for (const e of claimsIn(read(file))) entries.push({ ...e, member: members[i].address });
      });
      expect(entries).to.have.length(21 + 41 + 32);

      // Map once with placeholder plan, to learn the codes and charges; build the fee schedule from them.
      const mapped = (planId: bigint) =>
        entries.map((e) =>
          fromFhirClaim(e.claim, {
            resolve: {
              member: () => e.member,
              provider: () => HOSPITAL,
              plan: () => planId,
              evidence: (c) => keccak256(toUtf8Bytes(`synthea:${String(c.id)}`)),
              reference: e.reference,
            },
          }),
        );
      const draft = mapped(2n);
      const maxCharge = new Map<string, bigint>();
      for (const s of draft) for (const l of s.lines) maxCharge.set(l.code, (maxCharge.get(l.code) ?? 0n) > l.charged ? maxCharge.get(l.code)! : l.charged);
      const benefits = new Map<string, ModelBenefit>();
      for (const [code, max] of maxCharge) {
        const fee = max === 0n ? USD : ((max * 9n) / 10n / 10_000n) * 10_000n; // 90% of the highest charge, in whole cents
        benefits.set(code, { fee, copay: 0n, coinsuranceBps: 2000n });
      }
      const start = Date.UTC(1980, 0, 1) / 1000;
      const terms = { ...f.terms, start, yearStartMonth: 1, yearStartDay: 1, deductible: 500n * USD, outOfPocketMax: 3_000n * USD, autoApprovalLimit: 1_000_000_000n * USD, filingWindow: 60 * 365 * 86_400 };
      await f.claims.connect(f.insurerAdmin).createPlan(terms);
      const codes = [...benefits.keys()];
      for (let i = 0; i < codes.length; i += 50) {
        const chunk = codes.slice(i, i + 50);
        await f.claims.connect(f.insurerAdmin).setBenefits(2, chunk, chunk.map((c) => ({ fee: benefits.get(c)!.fee, copay: 0n, coinsuranceBps: 2000, priorAuth: false, review: false, perClaimCap: 0n, costSharing: 0 })));
      }
      for (const m of members) await f.claims.connect(f.insurerAdmin).enroll(2, m.address, start, Date.UTC(2030, 0, 1) / 1000);
      await f.claims.connect(f.insurerAdmin).fund(2, 500_000n * USD);

      const model = new ClaimsModel({ start, yearStartMonth: 1, yearStartDay: 1, deductible: terms.deductible, outOfPocketMax: terms.outOfPocketMax, annualCap: 0n, benefits });
      const submissions: ClaimSubmission[] = mapped(2n)
        .map((s, i) => ({ s, i }))
        .sort((a, b) => a.s.serviceDate - b.s.serviceDate || a.i - b.i)
        .map(({ s }) => s);
      const payeeBefore = await f.token.balanceOf(f.payee.address);
      let planTotal = 0n;
      for (const s of submissions) {
        await f.evidence.setStatus(s.evidence, HOSPITAL, false);
        const rc = await (await f.claims.connect(f.doctor).submit(sub(s))).wait();
        const ev = claimsEvent(f.claims, rc, "ClaimAdjudicated")!;
        const expected = model.adjudicate(s.member, s.serviceDate, s.lines);
        expect(Number(ev.args.status)).to.equal(ClaimStatus.Approved);
        expect(ev.args.outcomes.map((o: { allowed: bigint; deductible: bigint; copay: bigint; coinsurance: bigint; plan: bigint; reason: bigint }) => [o.allowed, o.deductible, o.copay, o.coinsurance, o.plan, Number(o.reason)])).to.deep.equal(
          expected.outcomes.map((o) => [o.allowed, o.deductible, o.copay, o.coinsurance, o.plan, o.reason]),
        );
        expect([ev.args.planTotal, ev.args.memberTotal]).to.deep.equal([expected.planTotal, expected.memberTotal]);
        planTotal += expected.planTotal;
      }
      expect(submissions).to.have.length(94);
      expect((await f.token.balanceOf(f.payee.address)) - payeeBefore).to.equal(planTotal);
      expect((await f.claims.funds(2)).balance).to.equal(500_000n * USD - planTotal);
      for (const [key, a] of model.accumulators) {
        const [member, year] = key.split("|");
        const on = await f.claims.accumulators(2, member, Number(year));
        expect([on.deductibleMet, on.outOfPocketMet, on.benefitPaid]).to.deep.equal([a.deductibleMet, a.outOfPocketMet, a.benefitPaid]);
      }
      // Submitting the bundles again sends nothing: every claim is found on chain.
      for (const s of submissions.slice(0, 5)) expect((await f.sdk.claims.submitOnce(s)).duplicate).to.equal(true);
    });
  });

  describe("ClaimResponse and ExplanationOfBenefit", function () {
    async function adjudicated() {
      const f = await claimsFixture();
      const s = await f.submission({ lines: [f.line(procedureCode("sct", "185345009"), 1_200n * USD), f.line(procedureCode("sct", "113091000"), 800n * USD)] });
      await f.claims.connect(f.doctor).submit(sub(s));
      const { claimIdOf } = await import("../../sdk");
      return { ...f, id: claimIdOf(s) };
    }

    const CATEGORIES = new Set(["submitted", "eligible", "deductible", "copay", "coinsurance", "benefit"]);

    it("produces a ClaimResponse shaped like the HL7 example, with categories and CARC reasons", async function () {
      const f = await loadFixture(adjudicated);
      const cr = await toClaimResponse(f.sdk.claims, f.id, { created: "2026-01-01" });
      const example = json("claimresponse-example.json");
      for (const key of ["resourceType", "status", "type", "use", "patient", "created", "insurer", "outcome", "item", "total", "payment"]) expect(cr, key).to.have.property(key);
      expect(Object.keys(example)).to.include.members(["resourceType", "status", "type", "use", "patient", "created", "insurer", "outcome", "item", "total", "payment"]);
      expect(cr.outcome).to.equal("complete");
      const items = cr.item as { itemSequence: number; adjudication: { category: { coding: { code: string }[] }; amount: { value: number; currency: string }; reason?: { coding: { code: string }[] } }[] }[];
      expect(items.map((i) => i.itemSequence)).to.deep.equal([1, 2]);
      for (const i of items) for (const a of i.adjudication) expect(CATEGORIES.has(a.category.coding[0].code)).to.equal(true);
      const byCat = (i: number) => Object.fromEntries(items[i].adjudication.map((a) => [a.category.coding[0].code, a]));
      // line 1: 1,200 allowed, 500 deductible (CARC 1), 140 coinsurance (CARC 2), 560 benefit
      expect(byCat(0).submitted.amount).to.deep.equal({ value: 1200, currency: "USD" });
      expect(byCat(0).deductible.amount.value).to.equal(500);
      expect(byCat(0).deductible.reason!.coding[0].code).to.equal("1");
      expect(byCat(0).coinsurance.reason!.coding[0].code).to.equal("2");
      expect(byCat(0).benefit.amount.value).to.equal(560);
      // line 2: MRI without authorization, denied with CARC 197 on the benefit
      expect(byCat(1).eligible.amount.value).to.equal(0);
      expect(byCat(1).benefit.reason!.coding[0].code).to.equal("197");
      expect((cr.payment as { amount: { value: number } }).amount.value).to.equal(560);
    });

    it("produces an ExplanationOfBenefit shaped like the HL7 example, with codes, dates and totals", async function () {
      const f = await loadFixture(adjudicated);
      const eob = await toExplanationOfBenefit(f.sdk.claims, f.id);
      const example = json("explanationofbenefit-example.json");
      for (const key of ["resourceType", "status", "type", "use", "patient", "created", "insurer", "provider", "outcome", "insurance", "item", "total"]) {
        expect(eob, key).to.have.property(key);
        expect(example, key).to.have.property(key);
      }
      const item = (eob.item as { sequence: number; productOrService: { coding: { system: string; code: string }[] }; net: { value: number } }[])[0];
      expect(item.productOrService.coding[0]).to.deep.equal({ system: "http://snomed.info/sct", code: "185345009" });
      expect(item.net.value).to.equal(1200);
      const totals = Object.fromEntries((eob.total as { category: { coding: { code: string }[] }; amount: { value: number } }[]).map((t) => [t.category.coding[0].code, t.amount.value]));
      expect(totals).to.deep.equal({ submitted: 2000, eligible: 1200, deductible: 500, copay: 0, coinsurance: 140, benefit: 560 });
    });

    it("reports a pended claim as queued, with the rules' preview", async function () {
      const f = await loadFixture(claimsFixture);
      const s = await f.submission({ lines: [f.line(procedureCode("sct", "50849002"), 600n * USD)] });
      await f.claims.connect(f.doctor).submit(sub(s));
      const { claimIdOf } = await import("../../sdk");
      const id = claimIdOf(s);
      const h = await f.sdk.claims.history(id);
      const state = await f.sdk.claims.claim(id);
      const cr = claimResponseFrom(h, state);
      expect([cr.outcome, cr.disposition]).to.deep.equal(["queued", "Pended for an adjuster's review."]);
      const eob = explanationOfBenefitFrom(h, state, { type: "institutional", decimals: 6 });
      expect((eob.type as { coding: { code: string }[] }).coding[0].code).to.equal("institutional");
    });
  });
});
