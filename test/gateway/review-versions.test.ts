/**
 * Outside review of versions of stored records (corrections): a lab integrator sending corrections, a
 * doctor and a patient reading, a malicious gateway answering the SDK, concurrent writers and crashes.
 * "FINDING:" tests state the expected behaviour and fail on the code reviewed; "HOLDS:" tests pass.
 */
import { expect } from "chai";
import { LocalKeyProvider } from "../../gateway/keys";
import { buildGateway } from "../../gateway/server";
import { ExchangeError } from "../../sdk";
import { attachEvidence } from "../../sdk/exchange/evidence";
import { LAB, MASTER_KEY, PATIENT_ID } from "./fixtures";
import { bundleOf, gatewayPerTest, grant, HOSPITAL, signedFetch, type Fixture } from "./review-support";
import { amendOutside, GLUCOSE, glucose, rowsOf, stored, updatesOf, withAmendFailing } from "./versions-support";

const HBA1C = `${PATIENT_ID}-hba1c`;


const value = (r: { resource: object }) => (r.resource as { valueQuantity?: { value?: number } }).valueQuantity?.value;

describe("review: record versions", function () {
  this.timeout(180_000);
  let f: Fixture;
  gatewayPerTest((g) => (f = g));

  it("FINDING: a superseded version is not released to a requester the current version's (sensitive) classes are not granted to", async function () {
    // The lab corrects the glucose result: it is part of an HIV work-up, labelled HIV (a sensitive class).
    await grant(f, HOSPITAL, ["labs"], ["TREAT"]);
    await f.labCl.exchange.ingest(f.origin, updatesOf(stored(GLUCOSE, f, (r) => (r.meta = { security: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "HIV" }] }))));
    // The current version is withheld from the doctor (labs granted, HIV not) ...
    expect((await signedFetch(f, f.doctor, `/fhir/Observation/${GLUCOSE}`)).status).to.equal(404);
    // ... and so must be the same result's earlier version, by vread and in the history.
    const vread = await signedFetch(f, f.doctor, `/fhir/Observation/${GLUCOSE}/_history/1`);
    const history = await signedFetch(f, f.doctor, `/fhir/Observation/${GLUCOSE}/_history`);
    expect([vread.status, history.status]).to.deep.equal([404, 404]);
  });

  it("FINDING: a patient's receipt says which version of a record was disclosed (a vread of version 1 after a correction)", async function () {
    await grant(f, HOSPITAL, ["labs"], ["TREAT"]);
    await f.labCl.exchange.ingest(f.origin, updatesOf(glucose(105, f)));
    const doctor = await f.as(f.doctor);
    await doctor.exchange.vread(f.target, "Observation", GLUCOSE, 1, { purpose: "TREAT" });
    const patient = await f.as(f.patient);
    const page = await patient.exchange.receipts(f.target, { count: 100 });
    const last = page.receipts[page.receipts.length - 1];
    // With only "Observation/<id>", the patient ties it (accessReference with the salt $everything gives) to no
    // record: $everything holds version 2's salt, the receipt was made with version 1's.
    expect(last.resource).to.equal(`Observation/${GLUCOSE}/_history/1`);
  });

  it("FINDING: a Patient version never moves whose records they are: a correction naming another account is refused (409), and later ingests keep the patient's account", async function () {
    const stranger = f.nonMember;
    const patientV2 = stored(PATIENT_ID, f, (r) => (r.identifier = [{ system: "urn:careledger:account", value: stranger.address }]));
    const err = (await f.labCl.exchange.ingest(f.origin, updatesOf(patientV2)).catch((e) => e)) as ExchangeError;
    expect([err.status, err.outcome?.issue?.[0]?.expression?.[0]]).to.deep.equal([409, "Bundle.entry[0].resource.identifier"]);
    expect((await rowsOf(f, PATIENT_ID)).map((r) => r.state)).to.deep.equal(["anchored"]);
    // A new result of Patient/p-ada: the patient the gateway serves is still the one with f.patient's account.
    await f.labCl.exchange.ingest(f.origin, bundleOf(stored(GLUCOSE, f, (r) => (r.id = `${PATIENT_ID}-glucose-2`))));
    const [row] = await rowsOf(f, `${PATIENT_ID}-glucose-2`);
    const strangerRead = await signedFetch(f, stranger, `/fhir/Observation/${PATIENT_ID}-glucose-2`);
    expect([row.patient, strangerRead.status]).to.deep.equal([f.patient.address.toLowerCase(), 404]);
  });

  it("FINDING: a Patient version pending or refused does not decide whose records later ingests are (the latest anchored one does)", async function () {
    // A pending version 2 of the Patient naming another account, written as an instance of an earlier release could have.
    const v1 = (await f.db.pool.query("SELECT * FROM records WHERE fhir_id = $1", [PATIENT_ID])).rows[0];
    await f.db.pool.query(
      `INSERT INTO records (resource_type, fhir_id, patient_ref, patient, classes, withheld, record_id, commitment, version, batch_root, proof, state)
       VALUES ('Patient', $1, $2, $3, $4, $5, $6, $7, 2, $7, '[]'::jsonb, 'pending')`,
      [PATIENT_ID, v1.patient_ref, f.nonMember.address.toLowerCase(), v1.classes, v1.withheld, v1.record_id, "0x" + "7a".repeat(32)],
    );
    await f.labCl.exchange.ingest(f.origin, bundleOf(stored(GLUCOSE, f, (r) => (r.id = `${PATIENT_ID}-glucose-3`))));
    const [row] = await rowsOf(f, `${PATIENT_ID}-glucose-3`);
    expect(row.patient).to.equal(f.patient.address.toLowerCase());
  });

  it("FINDING: a record shredded while a correction of it is being checked stays shredded (the correction is refused, nothing revives it)", async function () {
    // The lab's DELETE (crypto-shredding, e.g. an erasure request) lands while the PUT is checking the chain.
    const records = f.labCl.records;
    const status = records.commitmentStatus.bind(records);
    let shredded = false;
    records.commitmentStatus = async (c, org, o) => {
      if (!shredded) {
        shredded = true;
        expect((await signedFetch(f, f.labAdmin, `/fhir/Observation/${GLUCOSE}`, { method: "DELETE" })).status).to.equal(200);
      }
      return status(c, org, o);
    };
    let out: unknown;
    try {
      out = await f.labCl.exchange.ingest(f.origin, updatesOf(glucose(105, f))).catch((e) => e);
    } finally {
      records.commitmentStatus = status;
    }
    expect(shredded).to.equal(true);
    const read = await signedFetch(f, f.patient, `/fhir/Observation/${GLUCOSE}`);
    expect([(out as ExchangeError).status, read.status, (await rowsOf(f, GLUCOSE)).filter((r) => !r.shredded).length]).to.deep.equal([409, 410, 0]);
  });

  it("FINDING: a PUT whose request.url is not Type/id (a conditional update) is refused, not stored as a new record", async function () {
    const correction = glucose(120, f);
    delete correction.id;
    const bundle = { resourceType: "Bundle", type: "transaction", entry: [{ resource: correction, request: { method: "PUT", url: "Observation?code=http://loinc.org|2339-0&patient=Patient/p-ada" } }] };
    const out = (await f.labCl.exchange.ingest(f.origin, bundle).catch((e) => e)) as ExchangeError & { entry?: unknown };
    const stored = Number((await f.db.pool.query("SELECT count(*) FROM records WHERE resource_type = 'Observation'")).rows[0].count);
    // Expected: 400 naming request.url, nothing stored. Found: "201 Created" under a random id, the wrong result still current.
    expect([out.status, out.outcome?.issue?.[0]?.expression?.[0], stored]).to.deep.equal([400, "Bundle.entry[0].request.url", 4]);
  });

  it("FINDING: exchange.history refuses a 'history' that mixes in a version of another record (another record id)", async function () {
    await f.labCl.exchange.ingest(f.origin, updatesOf(glucose(105, f)));
    const genuine = await signedFetch(f, f.patient, `/fhir/Observation/${GLUCOSE}/_history`);
    // The holder anchors another record with the same FHIR id (value 50) and passes it off as version 1.
    const forged = glucose(50, f);
    const anchored = await (await f.labCl.records.anchor({ resource: forged })).wait();
    const c = anchored as unknown as { commitment: string; salt?: string; recordId: string };
    const released = attachEvidence(forged, { salt: c.salt!, proof: { root: c.commitment, orgId: LAB, recordId: c.recordId, version: 1, commitment: c.commitment, proof: [] } });
    const malicious = { resourceType: "Bundle", type: "history", entry: [{ resource: genuine.body.entry[0].resource }, { resource: released }] };
    const patient = (await f.as(f.patient)).exchange;
    patient.send = async () => malicious;
    const got = await patient.history(f.target, "Observation", GLUCOSE, { purpose: "TREAT" }).catch((e) => e);
    expect(got).to.be.instanceOf(ExchangeError, `accepted versions ${JSON.stringify(Array.isArray(got) ? got.map((g) => [value(g), g.verification.status, (g.verification as { recordId?: string }).recordId]) : got, (_, v) => (typeof v === "bigint" ? v.toString() : v))}`);
    expect((got as ExchangeError).code).to.equal("RECORD_NOT_VERIFIED");
  });

  it("FINDING: a pending version another writer anchored meanwhile is marked anchored, not refused, by the recovery round", async function () {
    await grant(f, HOSPITAL, ["labs"], ["TREAT"]);
    expect(((await withAmendFailing(f, () => f.labCl.exchange.ingest(f.origin, updatesOf(glucose(105, f))).catch((e) => e))) as ExchangeError).status).to.equal(503);
    const v2 = (await f.db.pool.query("SELECT record_id, commitment FROM records WHERE fhir_id = $1 AND version = 2", [GLUCOSE])).rows[0];
    // Two writers (a second instance on the database, or this instance's ingest still amending a Bundle's later
    // entries): this round's amendment loses the race (its registerBatchRecord reverts), and the other writer's
    // amendment of the same version is mined between this round's two reads of the chain.
    const records = f.labCl.records;
    const amend = records.amend.bind(records);
    const current = records.currentVersion.bind(records);
    records.amend = async () => {
      throw new Error("execution reverted: CommitmentAlreadyAnchored");
    };
    let other = false;
    records.currentVersion = async (recordId, org, o) => {
      if (!other) {
        other = true;
        records.amend = amend;
        await amendOutside(f, GLUCOSE, v2.commitment);
      }
      return current(recordId, org, o);
    };
    try {
      await f.gateway.recoverPending().catch(() => undefined);
    } finally {
      records.amend = amend;
      records.currentVersion = current;
    }
    expect(other).to.equal(true);
    expect(await f.labCl.records.recordVersion(v2.commitment, LAB)).to.not.equal(undefined);
    await f.gateway.recoverPending();
    expect((await rowsOf(f, GLUCOSE)).map((r) => r.state)).to.deep.equal(["anchored", "anchored"]);
    const doctor = await f.as(f.doctor);
    expect(value(await doctor.exchange.read(f.target, "Observation", GLUCOSE, { purpose: "TREAT" }))).to.equal(105);
  });

  it("HOLDS: two PUTs of one id at once: one is version 2, the other refused (409), and the winner is served", async function () {
    await grant(f, HOSPITAL, ["labs"], ["TREAT"]);
    const results = await Promise.all([105, 110].map((v) => f.labCl.exchange.ingest(f.origin, updatesOf(glucose(v, f))).then(() => 200, (e: ExchangeError) => e.status)));
    expect([...results].sort()).to.deep.equal([200, 409]);
    expect((await rowsOf(f, GLUCOSE)).map((r) => [r.version, r.state, r.superseded])).to.deep.equal([
      [1, "anchored", true],
      [2, "anchored", false],
    ]);
    const doctor = await f.as(f.doctor);
    const read = await doctor.exchange.read(f.target, "Observation", GLUCOSE, { purpose: "TREAT" });
    expect(value(read)).to.equal(results[0] === 200 ? 105 : 110);
  });

  it("HOLDS: an anchoring round running while a Bundle's corrections are being amended amends each once; both end anchored", async function () {
    const records = f.labCl.records;
    const amend = records.amend.bind(records);
    let rounds = 0;
    const settled: string[] = [];
    records.amend = async (p, o) => {
      if (rounds++ === 0) settled.push(...(await f.gateway.recoverPending()));
      return amend(p, o);
    };
    try {
      await f.labCl.exchange.ingest(f.origin, updatesOf(glucose(105, f), stored(HBA1C, f, (r) => ((r as { valueQuantity: { value: number } }).valueQuantity.value = 5.9))));
    } finally {
      records.amend = amend;
    }
    expect(settled.length).to.equal(1);
    for (const id of [GLUCOSE, HBA1C]) expect((await rowsOf(f, id)).map((r) => [r.version, r.state])).to.deep.equal([[1, "anchored"], [2, "anchored"]]);
  });

  it("HOLDS: a version left pending by a stop (crash) is anchored by the next instance's recovery on the same database", async function () {
    await withAmendFailing(f, () => f.labCl.exchange.ingest(f.origin, updatesOf(glucose(105, f))).catch(() => undefined));
    // The process stopped after storing: a new instance starts on the same database.
    const again = await buildGateway({ careledger: f.labCl, db: f.db, keys: new LocalKeyProvider(MASTER_KEY), origin: f.origin });
    expect((await again.recoverPending()).length).to.equal(1);
    expect((await rowsOf(f, GLUCOSE)).map((r) => [r.state, r.superseded])).to.deep.equal([["anchored", true], ["anchored", false]]);
  });

  it("HOLDS: more than 100 corrections in one Bundle are refused (400) before anything is stored or sent", async function () {
    const many = Array.from({ length: 101 }, (_, i) => stored(GLUCOSE, f, (r) => (r.id = `${PATIENT_ID}-g${i}`)));
    await f.labCl.exchange.ingest(f.origin, bundleOf(...many));
    const err = (await f.labCl.exchange.ingest(f.origin, updatesOf(...many)).catch((e) => e)) as ExchangeError;
    expect([err.status, err.outcome?.issue?.[0]?.expression?.[0]]).to.deep.equal([400, "Bundle.entry"]);
    expect(Number((await f.db.pool.query("SELECT count(*) FROM records WHERE version > 1")).rows[0].count)).to.equal(0);
  });

  it("HOLDS: odd vread and history paths answer an OperationOutcome, never a stack trace", async function () {
    for (const path of [`/fhir/Observation/${GLUCOSE}/_history/`, `/fhir/Observation/${GLUCOSE}/_history/9999999999`, `/fhir/Observation/${GLUCOSE}/_history/1x`, `/fhir/Nope/${GLUCOSE}/_history`, `/fhir/Observation/${GLUCOSE}/_history/1/more`]) {
      const res = await signedFetch(f, f.patient, path);
      expect([path, res.body?.resourceType, JSON.stringify(res.body).includes(" at ")]).to.deep.equal([path, "OperationOutcome", false]);
      expect(res.status).to.be.within(400, 499);
    }
  });
});
