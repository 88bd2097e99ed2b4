/**
 * Versions of stored records: the lab's systems correct a result by PUTting its id again. The new
 * version is stored beside the old (nothing is deleted), anchored as an amendment of the record on chain,
 * served in place of the old by reads and searches, and the old stays readable by version (vread) and in
 * the record's history, verified as superseded. Refusals (stale If-Match, POST of a stored id, a record
 * amended on chain outside the gateway, shredded or still pending) store nothing; a version the chain did
 * not take when it was sent stays pending, unserved, until a round anchors it. The migration that brings
 * versions is tested on the machine's PostgreSQL (127.0.0.1:5432).
 */
import { expect } from "chai";
import fs from "fs";
import pg from "pg";
import { openDatabase } from "../../gateway/db";
import { LocalKeyProvider } from "../../gateway/keys";
import { RecordStore } from "../../gateway/store";
import { ExchangeError, RetractionReason } from "../../sdk";
import { LAB, MASTER_KEY, PATIENT_ID } from "./fixtures";
import { bundleOf, gatewayPerTest, grant, HOSPITAL, migrateUp, MIGRATIONS, scratchDatabase, signedFetch, smokingStatus, type Fixture } from "./review-support";
import { amendOutside, GLUCOSE, glucose, rowsOf, updateOf, withAmendFailing } from "./versions-support";

const value = (r: { resource: object }) => (r.resource as { valueQuantity?: { value?: number } }).valueQuantity?.value;

describe("gateway: versions of stored records (corrections)", function () {
  this.timeout(180_000);
  let f: Fixture;
  gatewayPerTest((g) => (f = g));

  it("a PUT of a stored id is its next version, amended on chain; reads and searches serve it alone, verified current", async function () {
    await grant(f, HOSPITAL, ["labs"], ["TREAT"]);
    const out = await f.labCl.exchange.ingest(f.origin, updateOf(glucose(105, f), 1));
    expect(out.entry?.[0].response).to.deep.equal({ status: "200 OK", location: `Observation/${GLUCOSE}/_history/2`, etag: 'W/"2"' });
    expect((await rowsOf(f, GLUCOSE)).map(({ version, state, superseded, refusal }) => ({ version, state, superseded, refusal }))).to.deep.equal([
      { version: 1, state: "anchored", superseded: true, refusal: null },
      { version: 2, state: "anchored", superseded: false, refusal: null },
    ]);
    const doctor = await f.as(f.doctor);
    const read = await doctor.exchange.read(f.target, "Observation", GLUCOSE, { purpose: "TREAT" });
    expect([value(read), read.verification.status, (read.verification as { version?: number }).version]).to.deep.equal([105, "anchored", 2]);
    const res = await signedFetch(f, f.doctor, `/fhir/Observation/${GLUCOSE}`);
    expect(res.headers.etag).to.equal('W/"2"');
    // A search does not even ask the chain about a superseded version: the store leaves it out.
    const v1 = (await f.db.pool.query("SELECT commitment FROM records WHERE fhir_id = $1 AND version = 1", [GLUCOSE])).rows[0].commitment;
    const records = f.labCl.records;
    const status = records.commitmentStatus.bind(records);
    const asked: string[] = [];
    records.commitmentStatus = (c, org, o) => (asked.push(c), status(c, org, o));
    let page;
    try {
      page = await doctor.exchange.search(f.target, "Observation", { patient: `Patient/${PATIENT_ID}`, purpose: "TREAT" });
    } finally {
      records.commitmentStatus = status;
    }
    expect(page.resources.filter((r) => r.resource.id === GLUCOSE).map(value)).to.deep.equal([105]);
    expect(asked.length).to.be.greaterThan(0);
    expect(asked).not.to.include(v1);
    // On chain: the batch leaf was registered as the record's first version, then amended.
    const recordId = (read.verification as { recordId: string }).recordId;
    expect(await f.labCl.records.currentVersion(recordId, LAB)).to.equal(2);
    expect((await f.labCl.records.history(recordId, { orgId: LAB })).map((v) => v.version)).to.deep.equal([1, 2]);
  });

  it("serves a superseded version by vread and every version in the history, newest first, each verified and receipted", async function () {
    await grant(f, HOSPITAL, ["labs"], ["TREAT"]);
    await f.labCl.exchange.ingest(f.origin, updateOf(glucose(105, f)));
    await f.labCl.exchange.ingest(f.origin, updateOf(glucose(110, f), 2));
    const doctor = await f.as(f.doctor);
    const disclosuresBefore = Number((await f.db.pool.query("SELECT count(*) FROM receipts")).rows[0].count);
    const first = await doctor.exchange.vread(f.target, "Observation", GLUCOSE, 1, { purpose: "TREAT" });
    expect([value(first), first.verification.status, (first.verification as { currentVersion?: number }).currentVersion]).to.deep.equal([95, "superseded", 3]);
    const second = await doctor.exchange.vread(f.target, "Observation", GLUCOSE, 2, { purpose: "TREAT" });
    expect([value(second), second.verification.status]).to.deep.equal([105, "superseded"]);
    const history = await doctor.exchange.history(f.target, "Observation", GLUCOSE, { purpose: "TREAT" });
    expect(history.map((h) => [value(h), h.verification.status])).to.deep.equal([
      [110, "anchored"],
      [105, "superseded"],
      [95, "superseded"],
    ]);
    // Two vreads of one receipt each, and a history of three; each receipt names the version released.
    const refs = (await f.db.pool.query("SELECT resource_ref FROM receipts ORDER BY seq")).rows.map((r) => r.resource_ref);
    expect(refs.length - disclosuresBefore).to.equal(5);
    expect(refs.slice(disclosuresBefore)).to.deep.equal([1, 2, 3, 2, 1].map((v) => `Observation/${GLUCOSE}/_history/${v}`));
    // The newest _count versions; a history is not paged.
    const newest = await signedFetch(f, f.doctor, `/fhir/Observation/${GLUCOSE}/_history?_count=1`);
    expect([newest.status, newest.body.type, newest.body.entry.length, newest.body.entry[0].response.etag]).to.deep.equal([200, "history", 1, 'W/"3"']);
    const paged = await signedFetch(f, f.doctor, `/fhir/Observation/${GLUCOSE}/_history?_cursor=abc`);
    expect([paged.status, paged.body.issue[0].expression]).to.deep.equal([400, ["_cursor"]]);
    // The plain read refuses a superseded version: the SDK accepts it only when asked for by version.
    const stale = await signedFetch(f, f.doctor, `/fhir/Observation/${GLUCOSE}/_history/1`);
    const verify = await doctor.exchange.verify(stale.body, LAB);
    expect([verify.verification.status, verify.problem]).to.deep.equal(["superseded", `Observation/${GLUCOSE} is superseded`]);
  });

  it("releases no version without consent: vread and history answer 404 and receipt nothing", async function () {
    await f.labCl.exchange.ingest(f.origin, updateOf(glucose(105, f)));
    const before = Number((await f.db.pool.query("SELECT count(*) FROM receipts")).rows[0].count);
    for (const target of [`/fhir/Observation/${GLUCOSE}/_history/1`, `/fhir/Observation/${GLUCOSE}/_history`, `/fhir/Observation/${GLUCOSE}/_history/9`]) {
      const res = await signedFetch(f, f.doctor, target);
      expect([target, res.status, res.body.resourceType]).to.deep.equal([target, 404, "OperationOutcome"]);
    }
    expect(Number((await f.db.pool.query("SELECT count(*) FROM receipts")).rows[0].count)).to.equal(before);
    // The patient reads every version of their own record without a grant.
    const patient = await f.as(f.patient);
    expect((await patient.exchange.history(f.target, "Observation", GLUCOSE, { purpose: "TREAT" })).map(value)).to.deep.equal([105, 95]);
    const bad = await signedFetch(f, f.patient, `/fhir/Observation/${GLUCOSE}/_history/0`);
    expect([bad.status, bad.body.issue[0].expression]).to.deep.equal([400, ["vid"]]);
  });

  it("never serves a retracted version, by vread or in the history", async function () {
    await f.labCl.exchange.ingest(f.origin, updateOf(glucose(105, f)));
    const patient = await f.as(f.patient);
    const v1 = await patient.exchange.vread(f.target, "Observation", GLUCOSE, 1, { purpose: "TREAT" });
    await (await f.labCl.records.retract({ commitment: (v1.verification as { commitment: string }).commitment, reason: RetractionReason.EnteredInError })).wait();
    const res = await signedFetch(f, f.patient, `/fhir/Observation/${GLUCOSE}/_history/1`);
    expect(res.status).to.equal(404);
    expect((await patient.exchange.history(f.target, "Observation", GLUCOSE, { purpose: "TREAT" })).map(value)).to.deep.equal([105]);
  });

  it("refuses a stale If-Match (412), a POST of a stored id (409) and an If-Match on a new id (412), naming the entry, and stores nothing", async function () {
    await f.labCl.exchange.ingest(f.origin, updateOf(glucose(105, f), 1));
    const refusals = [
      [updateOf(glucose(120, f), 1), 412, "Bundle.entry[0].request.ifMatch", "is at version 2, not 1"],
      [bundleOf(glucose(120, f)), 409, "Bundle.entry[0].resource.id", "PUT it to send a new version"],
      [updateOf(smokingStatus(), 3), 412, "Bundle.entry[0].request.ifMatch", "is not stored here"],
      [{ ...(updateOf(glucose(120, f)) as object), entry: [{ resource: glucose(120, f), request: { method: "PUT", url: "Observation/another" } }] }, 400, "Bundle.entry[0].request.url", "does not name this resource"],
      [{ ...(updateOf(glucose(120, f)) as object), entry: [{ resource: glucose(120, f), request: { method: "PUT", url: `Observation/${GLUCOSE}`, ifMatch: "2" } }] }, 400, "Bundle.entry[0].request.ifMatch", 'as W/"<version>"'],
    ] as const;
    for (const [bundle, status, expression, says] of refusals) {
      const err = (await f.labCl.exchange.ingest(f.origin, bundle).catch((e) => e)) as ExchangeError;
      expect([err.status, err.outcome?.issue?.[0]?.expression?.[0]], says).to.deep.equal([status, expression]);
      expect(err.message).to.contain(says);
    }
    expect((await rowsOf(f, GLUCOSE)).map((r) => r.version)).to.deep.equal([1, 2]);
    expect(await rowsOf(f, `${PATIENT_ID}-smoking`)).to.deep.equal([]);
  });

  it("refuses a new version of a record amended on chain outside the gateway, and stores nothing", async function () {
    await amendOutside(f, GLUCOSE, "0x" + "77".repeat(32));
    const err = (await f.labCl.exchange.ingest(f.origin, updateOf(glucose(105, f))).catch((e) => e)) as ExchangeError;
    expect([err.status, err.outcome?.issue?.[0]?.code]).to.deep.equal([409, "conflict"]);
    expect(err.message).to.contain("the chain holds version 2");
    expect((await rowsOf(f, GLUCOSE)).map((r) => r.version)).to.deep.equal([1]);
  });

  it("keeps a version the chain did not take pending and unserved (503), serves the one before, and a round anchors it", async function () {
    await grant(f, HOSPITAL, ["labs"], ["TREAT"]);
    const err = (await withAmendFailing(f, () => f.labCl.exchange.ingest(f.origin, updateOf(glucose(105, f))).catch((e) => e))) as ExchangeError;
    expect([err.status, err.outcome?.issue?.[0]?.code]).to.deep.equal([503, "transient"]);
    expect(err.message).to.contain("kept pending");
    expect((await rowsOf(f, GLUCOSE)).map((r) => [r.version, r.state, r.superseded])).to.deep.equal([
      [1, "anchored", false],
      [2, "pending", false],
    ]);
    const doctor = await f.as(f.doctor);
    expect(value(await doctor.exchange.read(f.target, "Observation", GLUCOSE, { purpose: "TREAT" }))).to.equal(95);
    // While version 2 is pending, a version 3 waits for it.
    const wait = (await f.labCl.exchange.ingest(f.origin, updateOf(glucose(110, f))).catch((e) => e)) as ExchangeError;
    expect([wait.status, wait.message.includes("still being anchored")]).to.deep.equal([409, true]);
    expect((await f.gateway.recoverPending()).length).to.equal(1);
    expect(value(await doctor.exchange.read(f.target, "Observation", GLUCOSE, { purpose: "TREAT" }))).to.equal(105);
    expect(await f.gateway.recoverPending()).to.deep.equal([]);
  });

  it("marks refused, and never retries, a pending version the chain will never take (amended past it outside the gateway)", async function () {
    await withAmendFailing(f, () => f.labCl.exchange.ingest(f.origin, updateOf(glucose(105, f))).catch(() => undefined));
    const recordId = (await f.db.pool.query("SELECT record_id FROM records WHERE fhir_id = $1 AND version = 1", [GLUCOSE])).rows[0].record_id;
    await amendOutside(f, GLUCOSE, "0x" + "78".repeat(32));
    expect(await f.gateway.recoverPending()).to.deep.equal([]);
    const [, v2] = await rowsOf(f, GLUCOSE);
    expect([v2.state, v2.refusal]).to.deep.equal(["refused", `the chain holds version 2 of record ${recordId}: it was amended outside this gateway, so version 2 can never be anchored`]);
    expect(await f.gateway.recoverPending()).to.deep.equal([]);
    // The version the chain holds is not this gateway's: it serves neither.
    expect((await signedFetch(f, f.patient, `/fhir/Observation/${GLUCOSE}`)).status).to.equal(404);
  });

  it("takes no new version of a shredded record, nor of one whose first version is still being anchored", async function () {
    expect((await signedFetch(f, f.labAdmin, `/fhir/Observation/${GLUCOSE}`, { method: "DELETE" })).status).to.equal(200);
    const shredded = (await f.labCl.exchange.ingest(f.origin, updateOf(glucose(105, f))).catch((e) => e)) as ExchangeError;
    expect([shredded.status, shredded.message.includes("was shredded")]).to.deep.equal([409, true]);
    const records = f.labCl.records;
    const anchorBatch = records.anchorBatch.bind(records);
    records.anchorBatch = async () => {
      throw new Error("the chain did not answer");
    };
    try {
      await f.labCl.exchange.ingest(f.origin, bundleOf(smokingStatus())).catch(() => undefined);
    } finally {
      records.anchorBatch = anchorBatch;
    }
    const pending = (await f.labCl.exchange.ingest(f.origin, updateOf(smokingStatus())).catch((e) => e)) as ExchangeError;
    expect([pending.status, pending.message.includes("version 1 of Observation/p-ada-smoking is still being anchored")]).to.deep.equal([409, true]);
    expect((await rowsOf(f, `${PATIENT_ID}-smoking`)).map((r) => [r.version, r.state])).to.deep.equal([[1, "pending"]]);
  });

  it("creates and corrects in one Bundle: the new records in one batch, the correction as an amendment", async function () {
    const bundle = {
      resourceType: "Bundle",
      type: "transaction",
      entry: [
        { resource: smokingStatus(), request: { method: "POST", url: "Observation" } },
        { resource: glucose(105, f), request: { method: "PUT", url: `Observation/${GLUCOSE}`, ifMatch: 'W/"1"' } },
      ],
    };
    const out = await f.labCl.exchange.ingest(f.origin, bundle);
    expect(out.entry?.map((e) => e.response?.status)).to.deep.equal(["201 Created", "200 OK"]);
    const patient = await f.as(f.patient);
    const page = await patient.exchange.search(f.target, "Observation", { patient: `Patient/${PATIENT_ID}`, purpose: "TREAT", count: 50 });
    expect(page.resources.map((r) => [r.resource.id, r.verification.status, (r.verification as { version: number }).version]).filter(([id]) => id === GLUCOSE || id === `${PATIENT_ID}-smoking`)).to.deep.equal([
      // A new version takes its place in the order of storing.
      [`${PATIENT_ID}-smoking`, "anchored", 1],
      [GLUCOSE, "anchored", 2],
    ]);
  });
});

describe("gateway: migration 1796860800000 (record versions) on PostgreSQL", function () {
  this.timeout(120_000);
  let scratch: Awaited<ReturnType<typeof scratchDatabase>>;
  beforeEach(async function () {
    scratch = await scratchDatabase();
    await migrateUp(scratch.url, 2);
  });
  afterEach(async function () {
    await scratch.drop();
  });

  const OLD_RECORD = `INSERT INTO records (resource_type, fhir_id, patient_ref, patient, classes, withheld, record_id, commitment, version, batch_root, proof, state)
    VALUES ('Observation', 'o-1', 'Patient/p', '0x${"b1".repeat(20)}', 1, NULL, '0x${"c1".repeat(32)}', '0x${"c1".repeat(32)}', 1, '0x${"99".repeat(32)}', '[]'::jsonb, $1)`;

  it("keeps every record as version 1 of itself, current, and lets a second version in beside it", async function () {
    const old = new pg.Client({ connectionString: scratch.url });
    await old.connect();
    try {
      await old.query(OLD_RECORD, ["anchored"]);
      await old.query(OLD_RECORD.replace(/'o-1'/, "'o-2'"), ["pending"]);
    } finally {
      await old.end();
    }
    const db = await openDatabase({ url: scratch.url });
    try {
      const store = new RecordStore(db, new LocalKeyProvider(MASTER_KEY));
      const row = await store.get("Observation", "o-1");
      expect([row?.version, row?.state, row?.superseded]).to.deep.equal([1, "anchored", false]);
      expect(await store.pendingRoots()).to.deep.equal(["0x" + "99".repeat(32)]);
      await db.pool.query(OLD_RECORD.replace(/, 1, '0x9/, ", 2, '0x9"), ["pending"]);
      expect((await store.pendingAmendments()).map((a) => [a.row.version, a.previous.version])).to.deep.equal([[2, 1]]);
      // A version twice is refused by the database itself.
      const twice = await db.pool.query(OLD_RECORD.replace(/, 1, '0x9/, ", 2, '0x9"), ["pending"]).catch((e) => e);
      expect(twice.code).to.equal("23505");
    } finally {
      await db.close();
    }
  });

  it("is not undone while later versions exist (nothing is deleted); undone and redone without them", async function () {
    const db = await openDatabase({ url: scratch.url });
    const { runner } = require("node-pg-migrate") as { runner: (o: object) => Promise<unknown> };
    const client = await db.pool.connect();
    const step = (direction: "up" | "down", count = 1) => runner({ dbClient: client, dir: MIGRATIONS, direction, migrationsTable: "pgmigrations", count, log: () => undefined });
    try {
      // The migrations after this one are undone first (the step down is then this one's).
      const later = fs.readdirSync(MIGRATIONS).filter((m) => m > "1796860800000_record_versions.sql").length;
      if (later > 0) await step("down", later);
      await client.query(OLD_RECORD, ["anchored"]);
      await client.query(OLD_RECORD.replace(/, 1, '0x9/, ", 2, '0x9"), ["anchored"]);
      const refused = (await step("down").catch((e) => e)) as Error;
      expect(refused.message).to.contain("nothing is deleted");
      // node-pg-migrate leaves a client it was given in the failed transaction.
      await client.query("ROLLBACK");
      expect(Number((await client.query("SELECT count(*) FROM records")).rows[0].count)).to.equal(2);
      await client.query("UPDATE records SET fhir_id = 'o-9' WHERE version = 2");
      await client.query("UPDATE records SET version = 1 WHERE fhir_id = 'o-9'");
      await step("down");
      expect((await client.query("SELECT fhir_id FROM records ORDER BY fhir_id")).rows.map((r) => r.fhir_id)).to.deep.equal(["o-1", "o-9"]);
      await step("up");
      expect((await client.query("SELECT count(*) FROM records WHERE NOT superseded")).rows[0].count).to.equal("2");
    } finally {
      client.release();
      await db.close();
    }
  });
});
