/**
 * How the gateway stores disclosure receipts (gateway/receipts.ts, migration 1796342400000_disclosures):
 * one row per response and patient, its receipts in order; read back one per receipt (the `receipts`
 * view, `forPatient` pages) with every field as written; concurrent responses written in one statement,
 * one refused failing no other; receipts written before the migration kept with their roots and proofs;
 * and bound to roots by the anchoring worker whole responses at a time, each receipt's proof verifying.
 */
import { expect } from "chai";
import fc from "fast-check";
import fs from "fs";
import os from "os";
import path from "path";
import { AnchorWorker } from "../../gateway/anchor";
import { NonceBook } from "../../gateway/auth";
import type { GatewayError } from "../../gateway/fhir";
import { openDatabase, type Database } from "../../gateway/db";
import { MAX_RECEIPTS_PER_DISCLOSURE, ReceiptStore, receiptSeq, type NewDisclosure, type StoredReceipt } from "../../gateway/receipts";
import { buildReceiptTree, verifyReceiptProof, type DisclosureReceipt } from "../../sdk/exchange/receipts";
import { rejection } from "../support/rejection";
import { disclosureOf, emptyDatabase, pglitePerTest } from "./fixtures";
import { gatewayPerTest, type Fixture } from "./review-support";
import { eventually } from "../support/eventually";

const hex = (byte: string, n: number) => "0x" + byte.repeat(n);
const PATIENT_A = hex("b1", 20);
const PATIENT_B = hex("b2", 20);

const disclosure = disclosureOf;

/** A response the database refuses (its validation does not: a NUL in a resource reference is no valid text). */
function refusedByTheDatabase(first: number, n: number): NewDisclosure {
  const d = disclosure(first, n);
  return { ...d, receipts: d.receipts.map((r, k) => (k === n - 1 ? { ...r, resourceRef: "Observation/\u0000" } : r)) };
}

const count = async (db: Database, table: "receipts" | "disclosures") => Number((await db.pool.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);

/** Every receipt of `patient`, page by page. */
async function allPages(store: ReceiptStore, patient: string, limit: number): Promise<StoredReceipt[]> {
  const out: StoredReceipt[] = [];
  let after = 0n;
  for (;;) {
    const page = await store.forPatient(patient, after, limit);
    const shown = page.slice(0, limit);
    out.push(...shown);
    if (page.length <= limit) return out;
    after = shown[shown.length - 1].seq;
  }
}

describe("gateway: disclosure receipts as stored", function () {
  describe("ReceiptStore", function () {
    let db: Database;
    pglitePerTest((d) => (db = d));

    it("writes a response's receipts as one row, read back one per receipt, in order, every field as given", async function () {
      const store = new ReceiptStore(db);
      const d = disclosure(1, 25);
      await store.insert([d]);
      expect(await count(db, "disclosures")).to.equal(1);
      const rows = (await db.pool.query("SELECT * FROM receipts ORDER BY seq")).rows;
      expect(rows.map((r) => r.resource_ref)).to.deep.equal(d.receipts.map((r) => r.resourceRef));
      expect(rows[3]).to.deep.include({
        request_digest: d.requestDigest,
        requester: d.requester,
        access_ref: d.receipts[3].accessRef,
        access_nonce: d.receipts[3].accessNonce,
        record_id: d.receipts[3].recordId,
        data_class: d.receipts[3].dataClass,
        purpose: 0,
        permitted_at_block: "42",
        holder_org_id: "2",
        patient: PATIENT_A,
        signature: d.signature,
        root: null,
        leaf_index: null,
      });
      expect(rows[3].request).to.deep.equal(d.request);
      expect(await store.unrootedCount()).to.equal(25);
    });

    it("writes the receipts of a response about two patients as two rows, each patient reading only their own", async function () {
      const store = new ReceiptStore(db);
      await store.insert([disclosure(1, 3), disclosure(10, 2, { patient: PATIENT_B })]);
      expect(await count(db, "disclosures")).to.equal(2);
      expect((await allPages(store, PATIENT_A, 10)).map((r) => r.resourceRef)).to.deep.equal(["Observation/o-1", "Observation/o-2", "Observation/o-3"]);
      expect((await allPages(store, PATIENT_B, 10)).map((r) => r.resourceRef)).to.deep.equal(["Observation/o-10", "Observation/o-11"]);
    });

    it("writes concurrent responses together, and one response refused fails no other", async function () {
      const store = new ReceiptStore(db);
      const settled = await Promise.allSettled([
        store.insert([disclosure(200, 2)]),
        store.insert([refusedByTheDatabase(202, 2)]),
        store.insert([disclosure(204, 1)]),
      ]);
      expect(settled.map((r) => r.status)).to.deep.equal(["fulfilled", "rejected", "fulfilled"]);
      const refs = (await db.pool.query("SELECT resource_ref FROM receipts ORDER BY seq")).rows;
      expect(refs.map((r) => r.resource_ref)).to.deep.equal(["Observation/o-200", "Observation/o-201", "Observation/o-204"]);
    });

    it("writes none of a response's rows when the database refuses one, and the next query is answered", async function () {
      const store = new ReceiptStore(db);
      const batch = [disclosure(100, 1), { ...refusedByTheDatabase(101, 1), patient: PATIENT_B }, disclosure(102, 1)];
      expect((await rejection(store.insert(batch))).message).to.contain("0x00");
      // On PGlite the query after a refused one used to fail too (gateway/db.ts: two socket connections).
      expect(await count(db, "receipts")).to.equal(0);
    });

    it("writes nothing for a response that released nothing, and refuses a row of more receipts than positions hold", async function () {
      const store = new ReceiptStore(db);
      await store.insert([disclosure(1, 0)]);
      expect(await count(db, "disclosures")).to.equal(0);
      const tooMany = { ...disclosure(1, 1), receipts: Array.from({ length: MAX_RECEIPTS_PER_DISCLOSURE + 1 }, () => disclosure(1, 1).receipts[0]) };
      expect((await rejection(store.insert([tooMany]))).name).to.equal("RangeError");
      expect(await count(db, "disclosures")).to.equal(0);
    });

    it("refuses, writing nothing, a response with a receipt that could never be anchored (it would stall every root after it)", async function () {
      const store = new ReceiptStore(db);
      const bad = disclosure(1, 3);
      const receipts = [...bad.receipts];
      receipts[2] = { ...receipts[2], dataClass: 256 };
      expect((await rejection(store.insert([disclosure(10, 1), { ...bad, receipts }]))).name).to.equal("ValidationError");
      expect((await rejection(store.insert([disclosure(0, 1)]))).message).to.contain("accessRef");
      expect(await count(db, "disclosures")).to.equal(0);
    });

    describe("spending the request's nonce with its receipts", function () {
      const requester = "0x" + "a1".repeat(20);
      // Set as each test starts, not when the file is loaded: a suite run under coverage reaches these tests
      // many minutes after loading, when a time fixed then would be long expired.
      let expiresAt = 0;
      beforeEach(function () {
        expiresAt = Math.floor(Date.now() / 1000) + 300;
      });
      const nonceOf = (n: string) => ({ requester, nonce: "0x" + n.repeat(32), expiresAt });
      const nonces = async () => (await db.pool.query("SELECT requester, nonce FROM request_nonces ORDER BY nonce")).rows.map((r) => `${r.requester}:${r.nonce.slice(0, 4)}`);

      it("spends it in the statement that writes them; a nonce spent before (by the book or a response) writes nothing (409)", async function () {
        const store = new ReceiptStore(db);
        const told: number[] = [];
        store.onWritten((n) => told.push(n));
        expect(await store.insert([disclosure(1, 2)], nonceOf("01"))).to.equal(true);
        expect(await new NonceBook(db).spend(requester.toUpperCase().replace("0X", "0x"), nonceOf("01").nonce, expiresAt)).to.equal(false);
        expect(await new NonceBook(db).spend(requester, nonceOf("02").nonce, expiresAt)).to.equal(true);
        for (const n of ["01", "02"]) {
          const err = (await rejection(store.insert([disclosure(10, 3)], nonceOf(n)))) as GatewayError;
          expect([err.status, err.code, err.expression]).to.deep.equal([409, "duplicate", "nonce"]);
        }
        // A response that writes nothing spends nothing: its caller spends the nonce alone.
        expect(await store.insert([disclosure(20, 0)], nonceOf("03"))).to.equal(false);
        expect(await nonces()).to.deep.equal([`${requester}:0x01`, `${requester}:0x02`]);
        expect((await db.pool.query("SELECT resource_ref FROM receipts ORDER BY seq")).rows.map((r) => r.resource_ref)).to.deep.equal(["Observation/o-1", "Observation/o-2"]);
        expect(told).to.deep.equal([2]);
      });

      it("in one round: the same nonce twice writes once, responses without one and with others are written, one refused fails none", async function () {
        const store = new ReceiptStore(db);
        const told: number[] = [];
        store.onWritten((n) => told.push(n));
        const settled = await Promise.allSettled([
          store.insert([disclosure(1, 2), disclosure(5, 1, { patient: PATIENT_B })], nonceOf("01")),
          store.insert([disclosure(10, 2)], nonceOf("01")),
          store.insert([disclosure(20, 1)]),
          store.insert([disclosure(30, 1)], nonceOf("02")),
        ]);
        expect(settled.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as GatewayError).status))).to.deep.equal([true, 409, true, true]);
        expect((await db.pool.query("SELECT resource_ref FROM receipts ORDER BY seq")).rows.map((r) => r.resource_ref)).to.deep.equal([
          "Observation/o-1",
          "Observation/o-2",
          "Observation/o-5",
          "Observation/o-20",
          "Observation/o-30",
        ]);
        expect(told).to.deep.equal([5]);
        // A round the database refuses: each response alone; the refused one spends nothing, the others their own.
        const again = await Promise.allSettled([store.insert([refusedByTheDatabase(40, 2)], nonceOf("03")), store.insert([disclosure(50, 1)], nonceOf("04")), store.insert([disclosure(60, 1)], nonceOf("02"))]);
        expect(again.map((r) => (r.status === "fulfilled" ? r.value : ((r.reason as GatewayError).status ?? "refused")))).to.deep.equal(["refused", true, 409]);
        expect(await nonces()).to.deep.equal([`${requester}:0x01`, `${requester}:0x02`, `${requester}:0x04`]);
        expect(await new NonceBook(db).spend(requester, nonceOf("03").nonce, expiresAt)).to.equal(true);
      });
    });

    it("tells its listeners how many receipts each write made durable, and nothing for a refused one", async function () {
      const store = new ReceiptStore(db);
      const told: number[] = [];
      store.onWritten((n) => told.push(n));
      await store.insert([disclosure(1, 4), disclosure(9, 2, { patient: PATIENT_B })]);
      await rejection(store.insert([refusedByTheDatabase(20, 3)]));
      expect(told).to.deep.equal([6]);
    });

    it("pages a patient's receipts across rows of any size: each once, in order, never another patient's", async function () {
      this.timeout(120_000);
      await fc.assert(
        fc.asyncProperty(fc.array(fc.record({ n: fc.integer({ min: 1, max: 7 }), other: fc.boolean() }), { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 9 }), async (rows, limit) => {
          await emptyDatabase(db);
          const store = new ReceiptStore(db);
          let at = 1;
          const mine: string[] = [];
          for (const { n, other } of rows) {
            const d = disclosure(at, n, other ? { patient: PATIENT_B } : {});
            if (!other) mine.push(...d.receipts.map((r) => r.resourceRef));
            await store.insert([d]);
            at += n;
          }
          const read = await allPages(store, PATIENT_A, limit);
          expect(read.map((r) => r.resourceRef)).to.deep.equal(mine);
          const seqs = read.map((r) => r.seq);
          expect([...seqs].sort((a, b) => (a < b ? -1 : 1))).to.deep.equal(seqs);
          // The view's positions are the store's.
          const view = (await db.pool.query("SELECT seq FROM receipts WHERE patient = $1 ORDER BY seq", [PATIENT_A])).rows.map((r) => BigInt(r.seq));
          expect(view).to.deep.equal(seqs);
        }),
        { numRuns: 25 },
      );
    });

    it("places a row's receipts at its seq × 65,536 plus their index, and a migrated receipt at its old seq", function () {
      expect(receiptSeq(1n, 0)).to.equal(65_536n);
      expect(receiptSeq(3n, 5)).to.equal(3n * 65_536n + 5n);
      expect(receiptSeq(70_000n, 0, true)).to.equal(70_000n);
    });
  });

  describe("migration from one row per receipt", function () {
    let dir: string;
    before(function () {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "careledger-receipts-"));
    });
    after(function () {
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it("keeps every receipt written before it, with its root, leaf index and proof, in order", async function () {
      this.timeout(60_000);
      // The database as the first migration left it, holding two receipts bound to a root and one not yet.
      const { PGlite } = require("@electric-sql/pglite") as typeof import("@electric-sql/pglite");
      const first = fs.readFileSync(path.join(__dirname, "../../gateway/migrations/1764806400000_gateway.sql"), "utf8").split("-- Down Migration")[0];
      const old = await PGlite.create(dir);
      await old.exec(first);
      await old.exec("CREATE TABLE pgmigrations (id serial PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL); INSERT INTO pgmigrations (name, run_on) VALUES ('1764806400000_gateway', now())");
      const leaves: DisclosureReceipt[] = [0, 1].map((i) => ({
        requestDigest: hex("d" + i, 32),
        requester: hex("a1", 20),
        holderOrgId: 2n,
        patient: PATIENT_A,
        accessRef: hex("c" + i, 32),
        dataClass: i,
        purpose: 0,
        permittedAtBlock: 40n + BigInt(i),
      }));
      const tree = buildReceiptTree(leaves);
      const insert = `INSERT INTO receipts (request_digest, requester, holder_org_id, patient, access_ref, access_nonce, record_id, resource_ref, data_class, purpose, permitted_at_block, request, signature, root, leaf_index, proof)
        VALUES ($1, $2, 2, $3, $4, $5, $6, $7, $8, 0, $9, $10, $11, $12, $13, $14)`;
      for (const [i, l] of leaves.entries()) {
        await old.query(insert, [l.requestDigest, l.requester, l.patient, l.accessRef, hex("e" + i, 32), hex("7" + i, 32), `Observation/o-${i}`, l.dataClass, String(l.permittedAtBlock), JSON.stringify({ i }), hex("5a", 65), tree.root, i, JSON.stringify(tree.proofs[i])]);
      }
      await old.query(insert, [hex("d2", 32), hex("a1", 20), PATIENT_B, hex("c2", 32), hex("e2", 32), hex("72", 32), "Observation/o-2", 3, "44", JSON.stringify({ i: 2 }), hex("5a", 65), null, null, null]);
      await old.close();

      const db = await openDatabase({ dataDir: dir });
      try {
        const rows = (await db.pool.query("SELECT * FROM receipts ORDER BY seq")).rows;
        expect(rows.map((r) => r.resource_ref)).to.deep.equal(["Observation/o-0", "Observation/o-1", "Observation/o-2"]);
        for (const [i, l] of leaves.entries()) {
          expect(rows[i]).to.deep.include({ access_ref: l.accessRef, access_nonce: hex("e" + i, 32), record_id: hex("7" + i, 32), data_class: i, root: tree.root, leaf_index: i, permitted_at_block: String(l.permittedAtBlock) });
          expect(rows[i].request).to.deep.equal({ i });
        }
        expect(rows[2]).to.deep.include({ patient: PATIENT_B, root: null, leaf_index: null, data_class: 3 });
        // Their proofs are not stored (migration 1797379200000): rebuilt from the root's receipts, they are the ones written before.
        const store = new ReceiptStore(db);
        const served = await store.forPatient(PATIENT_A, 0n, 10);
        expect(served.map((r) => r.proof)).to.deep.equal(tree.proofs);
        for (const [i, l] of leaves.entries()) expect(verifyReceiptProof(l, served[i].proof as string[], served[i].root as string)).to.equal(true);
        expect((await store.forPatient(PATIENT_B, 0n, 10)).map((r) => [r.root, r.proof])).to.deep.equal([[null, null]]);
        expect(await store.unrootedCount()).to.equal(1);
      } finally {
        await db.close();
      }
    });
  });

  describe("binding to roots", function () {
    this.timeout(180_000);
    let f: Fixture;
    gatewayPerTest((g) => (f = g));

    it("binds whole responses, up to the most receipts a root holds, and every receipt's proof verifies on chain", async function () {
      const store = f.gateway.receipts;
      const holder = f.gateway.orgId;
      const d = (first: number, n: number) => disclosure(first, n, { holderOrgId: holder, requester: f.doctor.address.toLowerCase(), patient: f.patient.address.toLowerCase() });
      await store.insert([d(1, 3)]);
      await store.insert([d(4, 4)]);
      await store.insert([d(8, 2)]);
      await store.insert([d(10, 9)]);
      const worker = new AnchorWorker(f.labCl, f.db, holder, { intervalMs: 3_600_000, maxReceipts: 8 });
      // 3 + 4 fit in 8, 2 more would not: a response is never split.
      expect((await worker.round()).bound).to.equal(7);
      expect((await worker.round()).bound).to.equal(2);
      // A response of more than a root's worth is bound alone.
      expect((await worker.round()).bound).to.equal(9);
      expect((await worker.round()).bound).to.equal(0);
      const rows = (await f.db.pool.query("SELECT r.*, x.state FROM receipts r JOIN disclosure_roots x ON x.root = r.root ORDER BY r.seq")).rows;
      expect(rows).to.have.length(18);
      expect(rows.every((r) => r.state === "anchored")).to.equal(true);
      // Each receipt's proof, rebuilt from its root's receipts as the gateway serves it, verifies on chain.
      const served = await store.forPatient(f.patient.address, 0n, 100);
      expect(served.map((r) => r.resourceRef)).to.deep.equal(rows.map((r) => r.resource_ref));
      const patient = await f.as(f.patient);
      for (const r of served) {
        const receipt: DisclosureReceipt = { ...r, holderOrgId: r.holderOrgId, permittedAtBlock: r.permittedAtBlock };
        expect((await patient.disclosures.verifyReceipt({ receipt, proof: r.proof as string[], root: r.root as string })).verified, r.resourceRef).to.equal(true);
      }
      const roots = (await f.db.pool.query("SELECT count FROM disclosure_roots ORDER BY created_at")).rows.map((r) => r.count);
      expect(roots).to.deep.equal([7, 2, 9]);
    });

    it("reads the rows a root needs a chunk at a time, however many receipts each holds", async function () {
      const holder = f.gateway.orgId;
      const d = (first: number, n: number) => disclosure(first, n, { holderOrgId: holder, requester: f.doctor.address.toLowerCase(), patient: f.patient.address.toLowerCase() });
      // 100 responses of one receipt (more than a round's first chunk of rows), then one of 41.
      await f.gateway.receipts.insert(Array.from({ length: 100 }, (_, i) => d(i + 1, 1)));
      await f.gateway.receipts.insert([d(200, 41)]);
      const worker = new AnchorWorker(f.labCl, f.db, holder, { intervalMs: 3_600_000, maxReceipts: 70 });
      expect((await worker.round()).bound).to.equal(70);
      expect((await worker.round()).bound).to.equal(30);
      expect((await worker.round()).bound).to.equal(41);
      expect(await worker.round()).to.deep.include({ bound: 0, more: false });
      const roots = (await f.db.pool.query("SELECT root, count FROM disclosure_roots ORDER BY created_at")).rows;
      expect(roots.map((r) => r.count)).to.deep.equal([70, 30, 41]);
      // Each root's rows are its count of receipts, at consecutive leaf offsets from 0.
      for (const { root, count } of roots) {
        const rows = (await f.db.pool.query("SELECT leaf_offset, cardinality(access_refs) AS n FROM disclosures WHERE root = $1 ORDER BY leaf_offset", [root])).rows;
        let at = 0;
        for (const r of rows) {
          expect(r.leaf_offset).to.equal(at);
          at += r.n;
        }
        expect(at).to.equal(count);
      }
    });

    it("starts a round by itself once a root's worth of receipts is written, and not before", async function () {
      const worker = new AnchorWorker(f.labCl, f.db, f.gateway.orgId, { intervalMs: 3_600_000, maxReceipts: 5 });
      f.gateway.receipts.onWritten((n) => worker.written(n));
      const d = (first: number, n: number) => disclosure(first, n, { holderOrgId: f.gateway.orgId, patient: f.patient.address.toLowerCase() });
      await f.gateway.receipts.insert([d(1, 4)]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await f.gateway.receipts.unrootedCount()).to.equal(4);
      await f.gateway.receipts.insert([d(5, 3), d(8, 4)]);
      // 11 written: a round binds 4 (4 + 3 is more than 5); receipts left over, the next round starts at once
      // and binds 3, and the next the last 4 — none waits for the interval (an hour here).
      await eventually(async () => (await f.gateway.receipts.unrootedCount()) === 0);
      const counts = async () => (await f.db.pool.query("SELECT count FROM disclosure_roots ORDER BY created_at")).rows.map((r) => r.count);
      expect(await counts()).to.deep.equal([4, 3, 4]);
      await worker.stop();
      expect(await counts()).to.deep.equal([4, 3, 4]);
    });
  });
});
