/**
 * Review: what a requester who may see nothing learns anyway. docs/gateway.md: the consent notice is
 * "the same words whether anything was withheld or not, so the notice itself tells nothing", and "no
 * total is given (it would count what was withheld)". Each test asserts that and fails on the code reviewed.
 */
import { expect } from "chai";
import { Wallet } from "ethers";
import { PATIENT_ID } from "./fixtures";
import { gatewayPerTest, signedFetch, type Fixture } from "./review-support";

const shape = (r: { status: number; body: any }) => ({
  status: r.status,
  matches: (r.body?.entry ?? []).filter((e: any) => e.search?.mode === "match").length,
  links: (r.body?.link ?? []).map((l: any) => l.relation),
  code: r.body?.issue?.[0]?.code,
});

describe("review: what an unauthorized requester learns", function () {
  this.timeout(180_000);
  let f: Fixture;
  gatewayPerTest((g) => (f = g));

  it("answers any key that is no member the same whether the patient has records here or not (search and $everything are no existence oracle)", async function () {
    const anyone = Wallet.createRandom();
    const held = await signedFetch(f, anyone, `/fhir/Observation?patient=Patient/${PATIENT_ID}`);
    const none = await signedFetch(f, anyone, "/fhir/Observation?patient=Patient/someone-else");
    expect(shape(held), "Observation search: a patient with records vs one without").to.deep.equal(shape(none));
    const heldAll = await signedFetch(f, anyone, `/fhir/Patient/${PATIENT_ID}/$everything`);
    const noneAll = await signedFetch(f, anyone, "/fhir/Patient/someone-else/$everything");
    expect(shape(heldAll), "$everything: a patient with records vs one without").to.deep.equal(shape(noneAll));
  });

  it("pages a search that releases nothing without a next link, so paging does not count the withheld records", async function () {
    // The doctor's hospital has no grant at all: nothing may be released.
    const first = await signedFetch(f, f.doctor, `/fhir/Observation?patient=Patient/${PATIENT_ID}&_count=1`);
    expect(first.status).to.equal(200);
    expect(shape(first).matches).to.equal(0);
    const none = await signedFetch(f, f.doctor, "/fhir/Observation?patient=Patient/someone-else&_count=1");
    expect(shape(first), "a patient with 4 withheld Observations vs a patient with none").to.deep.equal(shape(none));
  });

  it("answers a member without consent the same for a record held here as for one that is not (403 vs 404 tells which ids exist)", async function () {
    const held = await signedFetch(f, f.doctor, `/fhir/Observation/${PATIENT_ID}-hiv`);
    const none = await signedFetch(f, f.doctor, `/fhir/Observation/${PATIENT_ID}-hiv2`);
    expect(held.status).to.be.oneOf([403, 404]);
    expect(held.status, "status for an existing, not permitted record vs a missing one").to.equal(none.status);
  });
});
