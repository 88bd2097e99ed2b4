/**
 * Review: the gateway as a hospital integrator uses it, and what its SDK client accepts. Each test asserts
 * the behaviour an integrator needs (or the one docs/gateway.md promises) and fails on the code reviewed.
 */
import { expect } from "chai";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { RecordRegistry__factory } from "../../typechain-types";
import { pruneNonces } from "../../gateway/auth";
import { signGatewayRequest } from "../../sdk/exchange/request";
import { labBundle, LAB, PATIENT_ID } from "./fixtures";
import { bundleOf, grant, HOSPITAL, gatewayPerTest, signedFetch, type Fixture } from "./review-support";

/** A lab result of the fixture's patient, its subject written as `subject`. */
const labResult = (id: string, subject: string) => ({
  resourceType: "Observation",
  id,
  status: "final",
  category: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "laboratory" }] }],
  code: { coding: [{ system: "http://loinc.org", code: "2951-2", display: "Sodium [Moles/volume] in Serum or Plasma" }] },
  subject: { reference: subject },
  valueQuantity: { value: 140, unit: "mmol/L", system: "http://unitsofmeasure.org", code: "mmol/L" },
});

/** A stand-in for a gateway (a cache, a proxy, a confused or compromised instance) that answers every request with `body`. */
async function fakeGateway(body: object): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/fhir+json" });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe("review: the gateway as an integrator uses it", function () {
  this.timeout(180_000);
  let f: Fixture;
  gatewayPerTest((g) => (f = g));

  it("stops releasing a record its holder retracted on chain (wrong patient), and the rest of the search still reaches the doctor", async function () {
    const row = (await f.gateway.store.get("Observation", `${PATIENT_ID}-glucose`))!;
    await (
      await f.labCl.records.retract({
        commitment: row.commitment,
        reason: "WrongPatient",
        proof: { root: row.root, orgId: LAB, recordId: row.recordId, version: row.version, commitment: row.commitment, proof: row.proof },
      })
    ).wait();
    await grant(f, HOSPITAL, ["labs"], ["TREAT"]);
    const doctor = await f.as(f.doctor);
    const page = await doctor.exchange.search(f.target, "Observation", { patient: `Patient/${PATIENT_ID}`, purpose: "TREAT" }).catch((e: Error) => e);
    expect(page, page instanceof Error ? page.message : "").not.to.be.instanceOf(Error);
    expect((page as unknown as { resources: { resource: { id?: string } }[] }).resources.map((r) => r.resource.id)).to.deep.equal([`${PATIENT_ID}-hba1c`]);
    const receipts = await f.db.pool.query("SELECT count(*)::int AS n FROM receipts WHERE resource_ref = $1", [`Observation/${PATIENT_ID}-glucose/_history/1`]);
    expect(receipts.rows[0].n, "the retracted record was released and receipted").to.equal(0);
  });

  it("serves the records of an ingest that failed to anchor (503, 'kept pending and will be anchored when the chain answers') once the chain answers, without a restart", async function () {
    const registry = RecordRegistry__factory.connect(f.book.contracts.RecordRegistry, f.pauser);
    await (await registry.pause()).wait();
    const bundle = bundleOf(labResult(`${PATIENT_ID}-sodium`, `Patient/${PATIENT_ID}`));
    const failed = await f.labCl.exchange.ingest(f.origin, bundle).catch((e: { status?: number }) => e);
    expect((failed as { status?: number }).status).to.equal(503);
    await (await registry.unpause()).wait();
    // The integrator retries, as a 503 invites; the anchoring worker runs its rounds.
    const retried = await f.labCl.exchange.ingest(f.origin, bundle).catch((e: { status?: number; message?: string }) => e);
    await f.worker.round().catch(() => undefined);
    const patient = await f.as(f.patient);
    const read = await patient.exchange.read(f.target, "Observation", `${PATIENT_ID}-sodium`, { purpose: "TREAT" }).catch((e: { status?: number }) => e);
    expect((read as { status?: number }).status, `retry: ${(retried as { message?: string }).message ?? "ok"}`).to.equal(undefined);
  });

  it("finds a record whose subject is a versioned reference (Patient/<id>/_history/1) in the patient's $everything, or refuses it at ingest", async function () {
    const res = await f.labCl.exchange.ingest(f.origin, bundleOf(labResult(`${PATIENT_ID}-potassium`, `Patient/${PATIENT_ID}/_history/1`))).catch((e: { status?: number }) => e);
    if ((res as { status?: number }).status === 400) return; // refused at the door: fine
    const patient = await f.as(f.patient);
    const page = await patient.exchange.everything(f.target, PATIENT_ID, { purpose: "TREAT", count: 100 });
    expect(page.resources.map((r) => r.resource.id), "stored for the patient's account, but invisible to their own $everything").to.include(`${PATIENT_ID}-potassium`);
  });

  it("refuses a replayed request after another instance on the same database pruned its nonce (an instance's clock 90 s ahead)", async function () {
    await grant(f, HOSPITAL, ["labs"], ["TREAT"]);
    const now = Math.floor(Date.now() / 1000);
    const target = `/fhir/Observation/${PATIENT_ID}-glucose`;
    // Issued 100 s ago for 120 s: valid 20 s more.
    const signed = await signGatewayRequest(f.doctor, f.gateway.domain, { gateway: f.origin, method: "GET", target, purpose: "TREAT", now: now - 100, lifetime: 120 });
    expect((await fetch(f.origin + target, { headers: signed.headers })).status).to.equal(200);
    // A second instance of the organization's gateway, whose clock runs 90 s ahead, prunes as main.ts does:
    // by the database's clock, with a margin, so its own clock does not matter.
    await pruneNonces(f.db);
    const again = await fetch(f.origin + target, { headers: signed.headers });
    expect(again.status, "the same signed request served twice").to.equal(409);
  });

  it("lets a record that it stored with an empty extension array verify when released (or refuses it at ingest)", async function () {
    const res = await f.labCl.exchange.ingest(f.origin, bundleOf({ ...labResult(`${PATIENT_ID}-chloride`, `Patient/${PATIENT_ID}`), extension: [] })).catch((e: { status?: number }) => e);
    if ((res as { status?: number }).status === 400) return; // refused at the door: fine
    const patient = await f.as(f.patient);
    const read = await patient.exchange.read(f.target, "Observation", `${PATIENT_ID}-chloride`, { purpose: "TREAT" }).catch((e: Error) => e);
    expect(read instanceof Error ? read.message : "verified").to.equal("verified");
  });

  it("lets the SDK read a record whose FHIR id is '..' (valid FHIR, accepted at ingest), or refuses the id at ingest", async function () {
    const res = await f.labCl.exchange.ingest(f.origin, bundleOf(labResult("..", `Patient/${PATIENT_ID}`))).catch((e: { status?: number }) => e);
    if ((res as { status?: number }).status === 400) return; // refused at the door: fine
    const patient = await f.as(f.patient);
    const read = await patient.exchange.read(f.target, "Observation", "..", { purpose: "TREAT" }).catch((e: Error) => e);
    expect(read instanceof Error ? read.message : "read").to.equal("read");
  });

  describe("the SDK's exchange client", function () {
    it("refuses a verified resource that is not the one it asked for (read Observation/glucose, answered with Observation/hba1c)", async function () {
      const genuine = await signedFetch(f, f.patient, `/fhir/Observation/${PATIENT_ID}-hba1c`);
      expect(genuine.status).to.equal(200);
      const fake = await fakeGateway(genuine.body);
      try {
        await grant(f, HOSPITAL, ["labs"], ["TREAT"]);
        const doctor = await f.as(f.doctor);
        const got = await doctor.exchange.read({ url: fake.url, orgId: LAB }, "Observation", `${PATIENT_ID}-glucose`, { purpose: "TREAT" }).catch((e: Error) => e);
        expect(got instanceof Error ? "refused" : (got.resource as { id?: string }).id, "the client accepted another record than the one it read").to.equal("refused");
      } finally {
        await fake.close();
      }
    });

    it("refuses a searchset entry about another patient than the one searched", async function () {
      await f.labCl.exchange.ingest(f.origin, labBundle(f.patient2.address, "p-bob"));
      const bobs = await signedFetch(f, f.patient2, "/fhir/Observation/p-bob-glucose");
      expect(bobs.status).to.equal(200);
      const fake = await fakeGateway({ resourceType: "Bundle", type: "searchset", entry: [{ resource: bobs.body, search: { mode: "match" } }] });
      try {
        const doctor = await f.as(f.doctor);
        const got = await doctor.exchange.search({ url: fake.url, orgId: LAB }, "Observation", { patient: `Patient/${PATIENT_ID}`, purpose: "TREAT" }).catch((e: Error) => e);
        const ids = got instanceof Error ? "refused" : got.resources.map((r) => r.resource.id);
        expect(ids, "Bob's result handed over as Ada's").to.equal("refused");
      } finally {
        await fake.close();
      }
    });
  });
});
