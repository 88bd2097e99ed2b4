/**
 * Review of the receipts-per-response change (disclosures table, anchoring by whole rows, hand-encoded
 * request digest, careledger.exchange.receipts). Each `FINDING` test asserts the correct behaviour and fails
 * on the code reviewed; each `HOLDS` test is an attack tried that the code resisted.
 *
 * The migration and anchoring-race tests use the PostgreSQL server at 127.0.0.1:5432 (user postgres), in a
 * scratch database of their own, dropped afterwards.
 */
import { expect } from "chai";
import fs from "fs";
import pg from "pg";
import { TypedDataEncoder } from "ethers";
import { AnchorWorker } from "../../gateway/anchor";
import { openDatabase, type Database } from "../../gateway/db";
import { ReceiptStore, type NewDisclosure, type StoredReceipt } from "../../gateway/receipts";
import { ExchangeError } from "../../sdk/exchange/client";
import { GATEWAY_REQUEST_TYPES, gatewayRequestDomain, requestDigest, requireGatewayRequest, signGatewayRequest } from "../../sdk/exchange/request";
import type { CareLedger } from "../../sdk/careledger";
import { disclosureOf, PATIENT_ID, pglitePerTest } from "./fixtures";
import { gatewayPerTest, grant, HOSPITAL, migrateUp, MIGRATIONS, PG_ADMIN, scratchDatabase, type Fixture } from "./review-support";
import { eventually } from "../support/eventually";

const hex = (byte: string, n: number) => "0x" + byte.repeat(n);

/** An old (pre-upgrade) receipt row, as the first migration's `receipts` table holds it. */
const OLD_INSERT = `INSERT INTO receipts (request_digest, requester, holder_org_id, patient, access_ref, access_nonce, record_id, resource_ref, data_class, purpose, permitted_at_block, request, signature)
  VALUES ($1, $2, 2, $3, $4, $5, $6, $7, 1, 0, 40, '{}'::jsonb, $8)`;
const oldReceipt = (i: number) => [hex("d" + i, 32), hex("a1", 20), hex("b1", 20), hex("c" + i, 32), hex("e" + i, 32), hex("7" + i, 32), `Observation/o-${i}`, hex("5a", 65)];

/** Waits until some session of database `name` waits on a lock (the migration blocked on DROP TABLE receipts). */
async function untilBlockedOnLock(name: string): Promise<void> {
  const admin = new pg.Client(PG_ADMIN);
  await admin.connect();
  try {
    for (let i = 0; i < 200; i++) {
      const r = await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'", [name]);
      if (r.rows[0].n > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error("the migration never waited on a lock");
  } finally {
    await admin.end();
  }
}

/** A response's receipts for the store tests (holder 1). */
const disclosure = (first: number, n: number, patient = hex("b1", 20)): NewDisclosure => disclosureOf(first, n, { holderOrgId: 1n, patient });

/** A CareLedger stand-in for the anchoring worker: every root counts as already on chain (no transaction). */
const chainHoldingEverything = { disclosures: { anchorOf: async () => ({ orgId: 1n, count: 1, anchoredAt: 1, blockNumber: 1n }) } } as unknown as CareLedger;

describe("review: disclosure receipts per response", function () {
  this.timeout(180_000);

  describe("migration 1796342400000 on a live PostgreSQL shared by instances (upgrade)", function () {
    let scratch: Awaited<ReturnType<typeof scratchDatabase>>;
    beforeEach(async function () {
      scratch = await scratchDatabase();
      await migrateUp(scratch.url, 1);
    });
    afterEach(async function () {
      await scratch.drop();
    });

    /**
     * An instance of the previous version (`old`, after `setUp`) has a transaction under way (`inFlight`) as this
     * version opens the database and migrates it; the old one commits once the migration waits on it; `check`
     * reads the upgraded database.
     */
    async function upgradeDuring(setUp: (old: pg.Client) => Promise<void>, inFlight: (old: pg.Client) => Promise<void>, check: (db: Database) => Promise<void>): Promise<void> {
      const old = new pg.Client({ connectionString: scratch.url });
      await old.connect();
      try {
        await setUp(old);
        await old.query("BEGIN");
        await inFlight(old);
        const upgrading = openDatabase({ url: scratch.url });
        await untilBlockedOnLock(scratch.name);
        await old.query("COMMIT");
        const db = await upgrading;
        try {
          await check(db);
        } finally {
          await db.close();
        }
      } finally {
        await old.end();
      }
    }

    it("FINDING: keeps a receipt an old instance commits while the migration runs (rolling upgrade, shared database)", async function () {
      await upgradeDuring(
        (old) => old.query(OLD_INSERT, oldReceipt(0)).then(() => undefined),
        // The old instance serves a response: its receipt's transaction is under way as the new instance migrates;
        // once it commits, the receipt is durable and the old instance releases the response.
        (old) => old.query(OLD_INSERT, oldReceipt(1)).then(() => undefined),
        async (db) => {
          const rows = (await db.pool.query("SELECT resource_ref FROM receipts ORDER BY seq")).rows.map((r) => r.resource_ref);
          expect(rows, "every receipt committed is kept").to.deep.equal(["Observation/o-0", "Observation/o-1"]);
        },
      );
    });

    it("FINDING: never leaves a receipt unrooted that an old instance bound to a root while the migration ran (it would be bound twice)", async function () {
      const root = hex("99", 32);
      await upgradeDuring(
        (old) => old.query(OLD_INSERT, oldReceipt(0)).then(() => undefined),
        // The old instance's anchoring worker binds it as the new instance migrates.
        async (old) => {
          await old.query("UPDATE receipts SET root = $1, leaf_index = 0, proof = '[]'::jsonb WHERE seq = 1", [root]);
          await old.query("INSERT INTO disclosure_roots (root, count, state) VALUES ($1, 1, 'sending')", [root]);
        },
        async (db) => {
          const rows = (await db.pool.query("SELECT root FROM receipts")).rows;
          expect(rows).to.have.length(1);
          expect(rows[0].root, "the receipt keeps the root it was bound to (else the next round binds it under a second root)").to.equal(root);
        },
      );
    });

    it("FINDING: a /receipts paging cursor handed out before the upgrade (an old receipt's seq) neither repeats nor skips receipts after it", async function () {
      const old = new pg.Client({ connectionString: scratch.url });
      await old.connect();
      try {
        for (const i of [0, 1, 2]) await old.query(OLD_INSERT, oldReceipt(i));
      } finally {
        await old.end();
      }
      const db = await openDatabase({ url: scratch.url });
      try {
        // Before the upgrade, the patient's first page (count 2) ended at receipt seq 2: the next link's cursor holds 2.
        const next = await new ReceiptStore(db).forPatient(hex("b1", 20), 2n, 10);
        expect(next.map((r) => r.resourceRef), "the next page after o-1").to.deep.equal(["Observation/o-2"]);
      } finally {
        await db.close();
      }
    });

    it("HOLDS: up then down then up keeps every receipt, rooted and unrooted, in order", async function () {
      const old = new pg.Client({ connectionString: scratch.url });
      await old.connect();
      try {
        for (const i of [0, 1, 2]) await old.query(OLD_INSERT, oldReceipt(i));
        await old.query("UPDATE receipts SET root = $1, leaf_index = seq - 1, proof = '[\"0x01\"]'::jsonb WHERE seq <= 2", [hex("99", 32)]);
      } finally {
        await old.end();
      }
      const db = await openDatabase({ url: scratch.url });
      try {
        await new ReceiptStore(db).insert([disclosure(10, 3)]);
        const before = (await db.pool.query("SELECT resource_ref, root, leaf_index FROM receipts ORDER BY seq")).rows;
        expect(before.map((r) => r.resource_ref)).to.deep.equal(["Observation/o-0", "Observation/o-1", "Observation/o-2", "Observation/o-10", "Observation/o-11", "Observation/o-12"]);
        const { runner } = require("node-pg-migrate") as { runner: (o: object) => Promise<unknown> };
        const client = await db.pool.connect();
        try {
          // Down to before 1796342400000 (the migrations after it first), and up again.
          const after = fs.readdirSync(MIGRATIONS).filter((m) => m >= "1796342400000").length;
          await runner({ dbClient: client, dir: MIGRATIONS, direction: "down", migrationsTable: "pgmigrations", count: after, log: () => undefined });
          const down = (await client.query("SELECT resource_ref, root, leaf_index FROM receipts ORDER BY seq")).rows;
          expect(down).to.deep.equal(before);
          await runner({ dbClient: client, dir: MIGRATIONS, direction: "up", migrationsTable: "pgmigrations", count: after, log: () => undefined });
          const up = (await client.query("SELECT resource_ref, root, leaf_index FROM receipts ORDER BY seq")).rows;
          expect(up).to.deep.equal(before);
        } finally {
          client.release();
        }
      } finally {
        await db.close();
      }
    });
  });

  describe("anchoring worker's nudge (PostgreSQL, receipts written during a bind)", function () {
    let scratch: Awaited<ReturnType<typeof scratchDatabase>>;
    let db: Database;
    beforeEach(async function () {
      scratch = await scratchDatabase();
      db = await openDatabase({ url: scratch.url });
    });
    afterEach(async function () {
      await db.close();
      await scratch.drop();
    });

    it("FINDING: starts the next round at once when a root's worth was written while a round was binding", async function () {
      const store = new ReceiptStore(db);
      let duringBind: (() => Promise<void>) | undefined;
      // The database as the worker sees it: another request's receipts commit just after the bind's SELECT.
      const watched: Database = {
        ...db,
        transaction: (fn) =>
          db.transaction((tx) => {
            const proxy = new Proxy(tx, {
              get(target, prop, receiver) {
                if (prop !== "query") return Reflect.get(target, prop, receiver);
                return async (...args: unknown[]) => {
                  const r = await (target.query as (...a: unknown[]) => Promise<unknown>)(...args);
                  if (typeof args[0] === "string" && args[0].includes("FOR UPDATE SKIP LOCKED") && duringBind !== undefined) {
                    const h = duringBind;
                    duringBind = undefined;
                    await h();
                  }
                  return r;
                };
              },
            });
            return fn(proxy);
          }),
      };
      const worker = new AnchorWorker(chainHoldingEverything, watched, 1n, { intervalMs: 3_600_000, maxReceipts: 4 });
      store.onWritten((n) => worker.written(n));
      duringBind = () => store.insert([disclosure(100, 4)]).then(async () => {
        await store.insert([disclosure(200, 4)]);
      });
      await store.insert([disclosure(1, 4)]); // a root's worth: a round starts
      await eventually(async () => (await store.unrootedCount()) === 0);
      // 8 receipts (two roots' worth) were written and counted during the first round: they must not wait for the interval (an hour here).
      expect(await store.unrootedCount()).to.equal(0);
      await worker.stop();
    });

    it("FINDING: after a restart (or another instance's writes) with roots' worth waiting, a round that bound a full root starts the next at once", async function () {
      const store = new ReceiptStore(db);
      // Written before this process started (or by another instance): not counted by this worker.
      for (const first of [1, 10, 20]) await store.insert([disclosure(first, 4)]);
      const worker = new AnchorWorker(chainHoldingEverything, db, 1n, { intervalMs: 3_600_000, maxReceipts: 4 });
      store.onWritten((n) => worker.written(n));
      expect((await worker.round()).bound).to.equal(4);
      await eventually(async () => (await store.unrootedCount()) === 0);
      // Two roots' worth still waited after the first round: they must not wait for the interval (an hour here).
      expect(await store.unrootedCount()).to.equal(0);
      await worker.stop();
    });

    it("HOLDS: two workers on one database bind every receipt to exactly one root, rows never split", async function () {
      const store = new ReceiptStore(db);
      const sizes = [3, 1, 5, 2, 7, 1, 1, 4, 6, 2, 3, 9];
      let first = 1;
      for (const n of sizes) {
        await store.insert([disclosure(first, n)]);
        first += n;
      }
      const db2 = await openDatabase({ url: scratch.url });
      try {
        const a = new AnchorWorker(chainHoldingEverything, db, 1n, { intervalMs: 3_600_000, maxReceipts: 6 });
        const b = new AnchorWorker(chainHoldingEverything, db2, 1n, { intervalMs: 3_600_000, maxReceipts: 6 });
        await Promise.all([a.flush(), b.flush()]);
        expect(await store.unrootedCount()).to.equal(0);
        const roots = (await db.pool.query("SELECT root, count FROM disclosure_roots")).rows;
        const rows = (await db.pool.query("SELECT root, cardinality(access_refs) AS n, leaf_offset FROM disclosures")).rows;
        for (const r of roots) {
          const under = rows.filter((x) => x.root === r.root);
          expect(under.reduce((s, x) => s + Number(x.n), 0), "a root's count is its receipts").to.equal(r.count);
          const leaves = under.flatMap((x) => Array.from({ length: Number(x.n) }, (_, k) => x.leaf_offset + k)).sort((p, q) => p - q);
          expect(leaves).to.deep.equal(Array.from({ length: r.count }, (_, k) => k));
        }
        expect(rows.every((x) => roots.some((r) => r.root === x.root))).to.equal(true);
      } finally {
        await db2.close();
      }
    });
  });

  describe("ReceiptStore paging (PGlite)", function () {
    let db: Database;
    pglitePerTest((d) => (db = d));

    it("HOLDS: pages of any size neither skip nor repeat a receipt, rows of many receipts and other patients interleaved", async function () {
      const store = new ReceiptStore(db);
      const other = hex("b2", 20);
      const sizes = [3, 1, 5, 2, 7, 1, 1, 4];
      let first = 1;
      const expected: string[] = [];
      for (const n of sizes) {
        await store.insert([disclosure(first, n), disclosure(first + 1000, 2, other)]);
        for (let k = 0; k < n; k++) expected.push(`Observation/o-${first + k}`);
        first += n;
      }
      for (const limit of [1, 2, 3, 4, 6, 7, 24, 25, 100]) {
        const seen: StoredReceipt[] = [];
        let after = 0n;
        for (let guard = 0; guard < 100; guard++) {
          const page = await store.forPatient(hex("b1", 20), after, limit);
          const shown = page.slice(0, limit);
          seen.push(...shown);
          if (page.length <= limit) break;
          after = shown[shown.length - 1].seq;
        }
        expect(seen.map((r) => r.resourceRef), `limit ${limit}`).to.deep.equal(expected);
      }
    });
  });

  describe("request digest (sdk/exchange/request.ts) against ethers' TypedDataEncoder", function () {
    const domain = gatewayRequestDomain(31337n, hex("12", 20));
    const base = { requester: hex("ab", 20), method: "GET", bodyHash: hex("AB", 32), origin: "http://127.0.0.1:8080", purpose: 0, issuedAt: 1_800_000_000, expiresAt: 1_800_000_100, nonce: hex("CD", 32) };

    it("HOLDS: the same digest for unicode, NUL, uppercase hex and targets around the keccak engine's 16 KiB buffer", function () {
      for (const target of ["/😀é/ü?x=ß", "/\u0000", "/" + "a".repeat(16_382), "/" + "a".repeat(16_383), "/" + "a".repeat(16_384), "/" + "é".repeat(8_191) + "a", "/" + "\u00ff".repeat(300)]) {
        const r = requireGatewayRequest({ ...base, target });
        expect(requestDigest(domain, r), target.slice(0, 20)).to.equal(TypedDataEncoder.hash(domain, GATEWAY_REQUEST_TYPES, r));
      }
    });

    it("FINDING: the same digest as TypedDataEncoder for a target holding a lone surrogate, or refuses it (never a digest ethers would not sign)", function () {
      for (const target of ["/a\uDC00b", "/a\uD800b"]) {
        const r = requireGatewayRequest({ ...base, target });
        let ethersDigest: string | Error;
        try {
          ethersDigest = TypedDataEncoder.hash(domain, GATEWAY_REQUEST_TYPES, r);
        } catch (err) {
          ethersDigest = err as Error;
        }
        let ours: string | Error;
        try {
          ours = requestDigest(domain, r);
        } catch (err) {
          ours = err as Error;
        }
        if (typeof ethersDigest === "string") expect(ours, JSON.stringify(target)).to.equal(ethersDigest);
        else expect(ours, `${JSON.stringify(target)}: ethers refuses it`).to.be.instanceOf(Error);
      }
      // Three different targets must not share one digest (one signature would then sign all three).
      const digests = ["/a\uDC00b", "/a\uD800b", "/a\uFFFDb"].map((target) => {
        try {
          return requestDigest(domain, requireGatewayRequest({ ...base, target }));
        } catch {
          return undefined;
        }
      });
      const given = digests.filter((d) => d !== undefined);
      expect(new Set(given).size, "distinct requests, distinct digests").to.equal(given.length);
    });
  });

  describe("careledger.exchange.receipts against a dishonest holder", function () {
    let f: Fixture;
    gatewayPerTest((g) => (f = g));

    /** The doctor searches the patient's labs (granted): one disclosure row, not yet bound. */
    async function released(): Promise<void> {
      await grant(f, HOSPITAL, ["labs"], ["TREAT"]);
      const doctor = await f.as(f.doctor);
      await doctor.exchange.search(f.target, "Observation", { patient: `Patient/${PATIENT_ID}`, purpose: "TREAT" });
      expect(Number((await f.db.pool.query("SELECT count(*) AS n FROM disclosures")).rows[0].n)).to.equal(1);
    }

    it("HOLDS: a patient sees their receipts verified, and another holder's or patient's receipt is refused", async function () {
      await released();
      await f.worker.flush();
      const patient = await f.as(f.patient);
      const page = await patient.exchange.receipts(f.target);
      expect(page.receipts.length).to.be.greaterThan(0);
      for (const r of page.receipts) expect(r).to.deep.include({ status: "verified", requestVerified: true });
      // Asked of another organization's id, the lab's receipts are refused.
      const refused = await patient.exchange.receipts({ ...f.target, orgId: HOSPITAL }).catch((e) => e);
      expect(refused).to.be.instanceOf(ExchangeError);
      expect(refused.code).to.equal("RECEIPT_INVALID");
    });

    it("HOLDS: every resource released (a searchset and the patient's $everything) has exactly one receipt per data class, each under exactly one root", async function () {
      await grant(f, HOSPITAL, ["labs", "vitals", "hiv"], ["TREAT"]);
      const doctor = await f.as(f.doctor);
      const search = await doctor.exchange.search(f.target, "Observation", { patient: `Patient/${PATIENT_ID}`, purpose: "TREAT" });
      const patient = await f.as(f.patient);
      const everything = await patient.exchange.everything(f.target, PATIENT_ID, { purpose: "TREAT" });
      await f.worker.flush();
      const rows = (await f.db.pool.query("SELECT r.requester, r.resource_ref, r.data_class, r.root, r.access_ref FROM receipts r ORDER BY seq")).rows;
      for (const [who, page] of [
        [f.doctor.address, search],
        [f.patient.address, everything],
      ] as const) {
        for (const { resource } of page.resources) {
          const stored = (await f.gateway.store.get((resource as { resourceType: string }).resourceType, (resource as { id: string }).id))!;
          const ref = `${stored.resourceType}/${stored.id}/_history/${stored.version}`;
          const classes = stored.classes === 0 ? null : Array.from({ length: 32 }, (_, b) => b).filter((b) => (stored.classes >>> b) & 1);
          const mine = rows.filter((r) => r.requester === who.toLowerCase() && r.resource_ref === ref);
          if (classes !== null) expect(mine.map((r) => r.data_class), ref).to.deep.equal(classes);
          else expect(mine, ref).to.have.length(1);
          expect(new Set(mine.map((r) => r.access_ref)).size, "one access reference a release").to.equal(1);
        }
        expect(rows.filter((r) => r.requester === who.toLowerCase()).length).to.be.greaterThan(0);
      }
      const roots = (await f.db.pool.query("SELECT root, count, state FROM disclosure_roots")).rows;
      for (const r of roots) {
        expect(r.state).to.equal("anchored");
        expect(rows.filter((x) => x.root === r.root)).to.have.length(r.count);
      }
      expect(rows.every((x) => x.root !== null)).to.equal(true);
    });

    it("FINDING: does not call a receipt's request verified when the receipt's purpose is not the purpose the requester signed", async function () {
      await released();
      // The holder records (and anchors) the disclosure under another purpose than the one asked (TREAT = 0).
      await f.db.pool.query("UPDATE disclosures SET purpose = 1");
      await f.worker.flush();
      const patient = await f.as(f.patient);
      const page = await patient.exchange.receipts(f.target).catch((e) => e);
      if (page instanceof ExchangeError) return expect(page.code).to.equal("RECEIPT_INVALID");
      expect(page).to.not.be.instanceOf(Error);
      for (const r of page.receipts) {
        expect(r.receipt.purpose).to.equal(1);
        expect(r.request.purpose).to.equal(0);
        expect(r.requestVerified, "the requester signed another purpose than the receipt's").to.equal(false);
      }
    });

    it("FINDING: does not call a receipt's request verified when the request was signed for another gateway", async function () {
      await released();
      // A request the doctor signed for another holder's gateway, shown as the one this holder served.
      const elsewhere = await signGatewayRequest(f.doctor, f.gateway.domain, { gateway: "https://gateway.elsewhere.example", method: "GET", target: `/fhir/Observation?patient=Patient/${PATIENT_ID}`, purpose: "TREAT" });
      await f.db.pool.query("UPDATE disclosures SET request = $1::jsonb, signature = $2, request_digest = $3", [JSON.stringify(elsewhere.request), elsewhere.signature, elsewhere.digest]);
      await f.worker.flush();
      const patient = await f.as(f.patient);
      const page = await patient.exchange.receipts(f.target).catch((e) => e);
      if (page instanceof ExchangeError) return expect(page.code).to.equal("RECEIPT_INVALID");
      expect(page).to.not.be.instanceOf(Error);
      for (const r of page.receipts) {
        expect(r.request.origin).to.equal("https://gateway.elsewhere.example");
        expect(r.requestVerified, `a request made to ${r.request.origin}, not to ${f.origin}`).to.equal(false);
      }
    });

    it("FINDING: does not call verified a receipt whose consent block comes after the block its root was anchored in", async function () {
      await released();
      // The holder states consent was checked at a block far in the future of the anchor (no such decision could precede the anchor).
      await f.db.pool.query("UPDATE disclosures SET permitted_at_block = 999999999");
      await f.worker.flush();
      const patient = await f.as(f.patient);
      const head = await f.patient.provider!.getBlockNumber();
      const page = await patient.exchange.receipts(f.target).catch((e) => e);
      if (page instanceof ExchangeError) return expect(page.code).to.equal("RECEIPT_INVALID");
      expect(page).to.not.be.instanceOf(Error);
      for (const r of page.receipts) {
        expect(r.receipt.permittedAtBlock > BigInt(head)).to.equal(true);
        expect(r.status, `permitted at block ${r.receipt.permittedAtBlock}, the chain is at ${head}`).to.not.equal("verified");
      }
    });

    it("FINDING: a malformed proof from the gateway is RECEIPT_INVALID naming the receipt, not a bare ValidationError", async function () {
      await released();
      await f.worker.flush();
      // A gateway that hands over a malformed proof (its proofs are rebuilt, not stored: it is made to).
      const store = f.gateway.receipts as unknown as { forPatient: (...a: unknown[]) => Promise<StoredReceipt[]> };
      const forPatient = store.forPatient.bind(store);
      store.forPatient = async (...a: unknown[]) => (await forPatient(...a)).map((r, i) => (i === 0 ? { ...r, proof: ["0x12"] } : r));
      const patient = await f.as(f.patient);
      const err = await patient.exchange.receipts(f.target).catch((e) => e);
      expect(err).to.be.instanceOf(ExchangeError);
      expect(err.code).to.equal("RECEIPT_INVALID");
      expect(err.message).to.contain("receipts[0]");
    });

    it("FINDING: a receipt without its record id or access nonce is RECEIPT_INVALID (not the strings \"null\")", async function () {
      await released();
      await f.worker.flush();
      // The schema refuses NULL elements ...
      const refused = await f.db.pool.query("UPDATE disclosures SET record_ids[1] = NULL, access_nonces[1] = NULL").catch((e) => e);
      expect(refused, "the schema refuses a receipt without its record id").to.be.instanceOf(Error);
      expect(refused.message).to.contain("disclosures_no_null_receipt_field");
      // ... and a holder whose gateway hands them over as null anyway is refused by the SDK.
      const store = f.gateway.receipts as unknown as { forPatient: (...a: unknown[]) => Promise<StoredReceipt[]> };
      const forPatient = store.forPatient.bind(store);
      store.forPatient = async (...a: unknown[]) => (await forPatient(...a)).map((r, i) => (i === 0 ? ({ ...r, recordId: null, accessNonce: null } as unknown as StoredReceipt) : r));
      const patient = await f.as(f.patient);
      const got = await patient.exchange.receipts(f.target).catch((e) => e);
      if (got instanceof ExchangeError) return expect(got.code).to.equal("RECEIPT_INVALID");
      expect(got).to.not.be.instanceOf(Error);
      expect(got.receipts[0].recordId, "a record id").to.match(/^0x[0-9a-f]{64}$/);
      expect(got.receipts[0].accessNonce, "an access nonce").to.match(/^0x[0-9a-f]{64}$/);
    });
  });
});
