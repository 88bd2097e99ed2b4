/**
 * Review: a read's nonce spent with its receipts (commit ef8d734). Reads authenticate with
 * `{ spend: false }` and spend their nonce in the statement that writes their receipts (ReceiptStore),
 * or alone (spendNonce) before a refusal or an answer without receipts. "FINDING:" tests fail on the
 * code reviewed (both fixed since: "FINDING (fixed)"); "HOLDS:" tests are attacks that did not break an invariant.
 */
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { NONCE_KEPT_SECONDS, NonceBook, pruneNonces } from "../../gateway/auth";
import { openDatabase, type Database } from "../../gateway/db";
import { LocalKeyProvider } from "../../gateway/keys";
import { ReceiptStore, type NewDisclosure } from "../../gateway/receipts";
import { buildGateway, type Gateway } from "../../gateway/server";
import { signGatewayRequest } from "../../sdk/exchange/request";
import { freePort } from "../e2e/node";
import { disclosureOf, emptyDatabase, gatewayChain, MASTER_KEY, PATIENT_ID, startGateway } from "./fixtures";
import { bundleOf, gatewayPerTest, scratchDatabase, smokingStatus, type Fixture } from "./review-support";

const glucose = `/fhir/Observation/${PATIENT_ID}-glucose`;
const search = `/fhir/Observation?patient=Patient/${PATIENT_ID}`;
const receiptCount = async (db: Database) => Number((await db.pool.query("SELECT count(*) AS n FROM receipts")).rows[0].n);
const nonceRows = async (db: Database) => Number((await db.pool.query("SELECT count(*) AS n FROM request_nonces")).rows[0].n);

type Signer = Parameters<typeof signGatewayRequest>[0];
async function sign(f: Fixture, signer: Signer, target: string, options: { method?: string; body?: string } = {}) {
  return signGatewayRequest(signer, f.gateway.domain, { gateway: f.origin, method: options.method ?? "GET", target, purpose: "TREAT", ...(options.body === undefined ? {} : { body: options.body }) });
}
/** Sends the same signed request (its headers) to `origin`; returns status and body text. */
async function send(origin: string, signed: { headers: Record<string, string> }, target: string, options: { method?: string; body?: string } = {}) {
  const res = await fetch(origin + target, {
    method: options.method ?? "GET",
    headers: { ...signed.headers, ...(options.body === undefined ? {} : { "content-type": "application/fhir+json" }) },
    body: options.body,
  });
  return { status: res.status, text: await res.text() };
}
/** Marks a signed request's nonce spent, as another instance (or an earlier copy) would have. */
async function spendAhead(db: Database, request: { requester: string; nonce: string; expiresAt: number }) {
  await db.pool.query("INSERT INTO request_nonces (requester, nonce, expires_at) VALUES ($1, $2, to_timestamp($3))", [request.requester.toLowerCase(), request.nonce, request.expiresAt]);
}

describe("review: a read's nonce spent with its receipts", function () {
  this.timeout(300_000);

  describe("on PGlite, one gateway", function () {
    let f: Fixture;
    gatewayPerTest((g) => (f = g));

    it("FINDING (fixed): a read answered so late that its nonce could have been spent and pruned meanwhile is refused (409), nothing written; one answered late but inside the kept window is served", async function () {
      // The window is checked when a request arrives; a read's nonce is spent only when it is answered.
      // The book prunes a nonce NONCE_KEPT_SECONDS after its request expired (by the database's clock),
      // so a copy stalled past that could find its first copy's nonce gone and be served again. Now no
      // nonce that could have been pruned is ever spent (NONCE_SPENDABLE, the database's clock). Here the
      // stall is a gateway whose clock is behind: it takes in a request that, by the database's clock,
      // expired long ago — exactly where a copy stalled that long stands when it is answered.
      const real = Math.floor(Date.now() / 1000);
      const port = await freePort();
      const origin = `http://127.0.0.1:${port}`;
      const lateBy = (seconds: number) => buildGateway({ careledger: f.labCl, db: f.db, keys: new LocalKeyProvider(MASTER_KEY), origin, now: () => real - seconds });
      const served = async (lag: number) => {
        const late: Gateway = await lateBy(lag);
        await late.app.listen({ host: "127.0.0.1", port });
        try {
          const signed = await signGatewayRequest(f.patient, late.domain, { gateway: origin, method: "GET", target: glucose, purpose: "TREAT", now: real - lag - 50, lifetime: 300 });
          const before = await receiptCount(f.db);
          const res = await send(origin, signed, glucose);
          return { status: res.status, receipts: (await receiptCount(f.db)) - before, nonceKept: (await f.db.pool.query("SELECT 1 FROM request_nonces WHERE nonce = $1", [signed.request.nonce])).rowCount };
        } finally {
          await late.app.close();
        }
      };
      // Expired 150 s before the database's now: within the kept window (390 s), served and spent.
      expect(await served(400)).to.deep.equal({ status: 200, receipts: 1, nonceKept: 1 });
      // Expired 450 s before: it could have been spent and pruned; refused, nothing written or spent.
      expect(await served(700)).to.deep.equal({ status: 409, receipts: 0, nonceKept: 0 });
      // The nonce book refuses it too (a request that writes).
      const expired = Math.floor(Date.now() / 1000) - NONCE_KEPT_SECONDS - 30;
      expect(await new NonceBook(f.db).spend(f.patient.address, "0x" + "9e".repeat(32), expired)).to.equal(false);
      expect(await new NonceBook(f.db).spend(f.patient.address, "0x" + "9f".repeat(32), expired + 60)).to.equal(true);
      expect(await pruneNonces(f.db)).to.equal(0);
    });

    it("HOLDS: a read whose nonce another instance spent first is 409 on every read route, and writes no receipt", async function () {
      const before = await receiptCount(f.db);
      const statuses: Record<string, number> = {};
      for (const target of [glucose, `${glucose}/_history/1`, `${glucose}/_history`, search, `/fhir/Patient/${PATIENT_ID}/$everything`]) {
        const signed = await sign(f, f.patient, target);
        await spendAhead(f.db, signed.request);
        statuses[target] = (await send(f.origin, signed, target)).status;
      }
      expect(Object.values(statuses)).to.deep.equal([409, 409, 409, 409, 409]);
      expect(await receiptCount(f.db)).to.equal(before);
    });

    it("HOLDS: writes spend their nonce before acting (DELETE and POST with a nonce spent are 409 and change nothing; GET /receipts replayed is 409)", async function () {
      // A shred whose nonce was spent before: refused before the record is touched.
      const del = await sign(f, f.labAdmin, glucose, { method: "DELETE" });
      await spendAhead(f.db, del.request);
      expect((await send(f.origin, del, glucose, { method: "DELETE" })).status).to.equal(409);
      expect((await f.gateway.store.get("Observation", `${PATIENT_ID}-glucose`))?.shredded).to.equal(false);
      // An ingest whose nonce was spent before: nothing stored.
      const body = JSON.stringify(bundleOf(smokingStatus()));
      const post = await sign(f, f.labAdmin, "/fhir", { method: "POST", body });
      await spendAhead(f.db, post.request);
      expect((await send(f.origin, post, "/fhir", { method: "POST", body })).status).to.equal(409);
      expect(await f.gateway.store.get("Observation", `${PATIENT_ID}-smoking`)).to.equal(undefined);
      // A refused write (403: a patient is no member) still spends its nonce: its replay is 409.
      const refused = await sign(f, f.patient, glucose, { method: "DELETE" });
      expect((await send(f.origin, refused, glucose, { method: "DELETE" })).status).to.equal(403);
      expect((await send(f.origin, refused, glucose, { method: "DELETE" })).status).to.equal(409);
      // GET /receipts (a signed read that writes no receipts) spends first.
      const target = `/receipts?patient=${f.patient.address}`;
      const receipts = await sign(f, f.patient, target);
      expect((await send(f.origin, receipts, target)).status).to.equal(200);
      expect((await send(f.origin, receipts, target)).status).to.equal(409);
    });

    it("HOLDS: refusals with nothing released spend the nonce (410 shredded, 404 history, an empty page, a bad cursor): every replay is 409", async function () {
      const d = await sign(f, f.labAdmin, `/fhir/Observation/${PATIENT_ID}-bp`, { method: "DELETE" });
      expect((await send(f.origin, d, `/fhir/Observation/${PATIENT_ID}-bp`, { method: "DELETE" })).status).to.equal(200);
      const cases = [
        { signer: f.patient, target: `/fhir/Observation/${PATIENT_ID}-bp`, first: 410 },
        { signer: f.patient, target: `/fhir/Observation/${PATIENT_ID}-bp/_history`, first: 404 },
        { signer: f.doctor, target: search, first: 200 }, // no grant: a page with zero permitted rows
        { signer: f.patient, target: `${search}&_cursor=forged`, first: 400 },
      ];
      const before = await receiptCount(f.db);
      const out = [];
      for (const c of cases) {
        const signed = await sign(f, c.signer, c.target);
        const a = await send(f.origin, signed, c.target);
        const b = await send(f.origin, signed, c.target);
        out.push([a.status, b.status]);
        if (c.first === 200) expect((JSON.parse(a.text).entry ?? []).filter((e: { resource: { resourceType: string } }) => e.resource.resourceType !== "OperationOutcome")).to.deep.equal([]);
      }
      expect(out).to.deep.equal(cases.map((c) => [c.first, 409]));
      expect(await receiptCount(f.db)).to.equal(before);
    });

    it("HOLDS: when the database refuses the receipts, the read fails closed (503 OperationOutcome, no record, no stack trace), its nonce spent alone", async function () {
      await f.db.pool.query(
        "CREATE FUNCTION review_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by review'; END $$; CREATE TRIGGER review_refuse BEFORE INSERT ON disclosures FOR EACH ROW EXECUTE FUNCTION review_refuse()",
      );
      try {
        const signed = await sign(f, f.patient, search);
        const res = await send(f.origin, signed, search);
        expect(res.status).to.equal(503);
        const body = JSON.parse(res.text);
        expect(body.resourceType).to.equal("OperationOutcome");
        expect(res.text).not.to.contain("Lovelace");
        expect(res.text).not.to.contain("glucose");
        expect(res.text).not.to.match(/refused by review|at .*\.ts:\d+/);
        expect(await receiptCount(f.db)).to.equal(0);
        await f.db.pool.query("DROP TRIGGER review_refuse ON disclosures; DROP FUNCTION review_refuse()");
        expect((await send(f.origin, signed, search)).status).to.equal(409);
      } finally {
        await f.db.pool.query("DROP TRIGGER IF EXISTS review_refuse ON disclosures; DROP FUNCTION IF EXISTS review_refuse()");
      }
    });

    it("HOLDS: the receipts listener is told exactly what was written, under a storm of copies, replays and refusals", async function () {
      let told = 0;
      f.gateway.receipts.onWritten((n) => (told += n));
      const before = await receiptCount(f.db);
      const requests = await Promise.all([search, glucose, `${glucose}/_history`, `/fhir/Patient/${PATIENT_ID}/$everything`].map((t) => sign(f, f.patient, t).then((s) => ({ s, t }))));
      const statuses = await Promise.all(requests.flatMap(({ s, t }) => Array.from({ length: 6 }, () => send(f.origin, s, t).then((r) => r.status))));
      expect(statuses.filter((s) => s === 200)).to.have.length(4);
      expect(statuses.filter((s) => s === 409)).to.have.length(20);
      expect(told).to.equal((await receiptCount(f.db)) - before).and.to.be.greaterThan(0);
    });
  });

  describe("on PGlite, with a per-requester rate limit", function () {
    let db: Database;
    let f: Fixture | undefined;
    before(async function () {
      db = await openDatabase();
    });
    after(async function () {
      await db.close();
    });
    afterEach(async function () {
      await f?.close();
      f = undefined;
    });

    it("FINDING (fixed): anyone holding one captured read can spend its requester's rate limit by replaying it (each 409 takes a token), locking the requester out (429)", async function () {
      f = await startGateway(await loadFixture(gatewayChain), db, { rateLimit: { perRequester: 3, perAddress: 10_000 } });
      const captured = await sign(f, f.patient, glucose);
      expect((await send(f.origin, captured, glucose)).status).to.equal(200);
      // An eavesdropper (a proxy's log, a shared trace) replays the used request: each is refused 409 ...
      const replays = [];
      for (let i = 0; i < 5; i++) replays.push((await send(f.origin, captured, glucose)).status);
      expect(replays).to.deep.equal([409, 409, 409, 409, 409]);
      // ... yet the patient's own fresh request is now throttled. Before ef8d734, a replay was refused at its
      // nonce, before the requester's bucket was touched.
      const fresh = await sign(f, f.patient, glucose);
      const res = await send(f.origin, fresh, glucose);
      expect(res.status, "the requester's fresh request after replays of an old one by someone else").to.equal(200);
    });

    it("HOLDS: copies of one read racing each other, one through the receipts statement and the others through the nonce book (429), answer at most one of them", async function () {
      f = await startGateway(await loadFixture(gatewayChain), db, { rateLimit: { perRequester: 1, perAddress: 10_000 } });
      const fx = f;
      const signed = await sign(fx, fx.patient, search);
      const statuses = await Promise.all(Array.from({ length: 8 }, () => send(fx.origin, signed, search).then((r) => r.status)));
      const answered = statuses.filter((s) => s !== 409);
      expect(answered, JSON.stringify(statuses)).to.have.length(1);
      expect(answered[0]).to.be.oneOf([200, 429]);
      expect((await receiptCount(fx.db)) > 0).to.equal(answered[0] === 200);
      expect(await nonceRows(fx.db)).to.equal(2); // the ingest's and this request's
    });
  });

  describe("on PostgreSQL, two gateway instances on one database", function () {
    let scratch: Awaited<ReturnType<typeof scratchDatabase>>;
    let db1: Database;
    let db2: Database;
    before(async function () {
      scratch = await scratchDatabase();
      db1 = await openDatabase({ url: scratch.url });
      db2 = await openDatabase({ url: scratch.url });
    });
    after(async function () {
      await db1?.close().catch(() => undefined);
      await db2?.close().catch(() => undefined);
      await scratch?.drop();
    });

    it("HOLDS: the same read sent to both instances at once, one instance releasing (receipts statement) and the other throttling (nonce book), is answered at most once, ten times over", async function () {
      const f = await startGateway(await loadFixture(gatewayChain), db1);
      const port = await freePort();
      // The second instance: same origin (behind one load balancer), same database, a rate limit of 1 a minute.
      const second: Gateway = await buildGateway({ careledger: f.labCl, db: db2, keys: new LocalKeyProvider(MASTER_KEY), origin: f.origin, rateLimit: { perRequester: 1, perAddress: 10_000 } });
      await second.app.listen({ host: "127.0.0.1", port });
      const origin2 = `http://127.0.0.1:${port}`;
      try {
        // Spend the patient's one token at the second instance: its copies are refused 429 (the nonce book).
        const warm = await sign(f, f.patient, glucose);
        expect((await send(origin2, warm, glucose)).status).to.equal(200);
        const perResponse = 4; // the patient's four classified Observations, one receipt each at least
        const outcomes: string[] = [];
        for (let round = 0; round < 10; round++) {
          const signed = await sign(f, f.patient, search);
          const before = await receiptCount(db1);
          const statuses = await Promise.all(Array.from({ length: 6 }, (_, i) => send(i % 2 === 0 ? f.origin : origin2, signed, search).then((r) => r.status)));
          const answered = statuses.filter((s) => s !== 409);
          expect(answered, JSON.stringify(statuses)).to.have.length(1);
          const written = (await receiptCount(db1)) - before;
          if (answered[0] === 200) expect(written).to.be.at.least(perResponse);
          else expect([answered[0], written]).to.deep.equal([429, 0]);
          outcomes.push(String(answered[0]));
        }
        // Both orders were seen, or at least the race ran; report what won.
        console.log(`      winners over 10 rounds: ${outcomes.join(" ")}`);
      } finally {
        await second.app.close();
        await f.close();
      }
    });

    it("HOLDS: ReceiptStore on two instances, with the nonce book, a refused round and the same nonce twice in a round: each nonce writes one response at most, and the listeners count what was written", async function () {
      await emptyDatabase(db1);
      const s1 = new ReceiptStore(db1);
      const s2 = new ReceiptStore(db2);
      const book = new NonceBook(db2);
      let told = 0;
      s1.onWritten((n) => (told += n));
      s2.onWritten((n) => (told += n));
      const requester = "0x" + "a1".repeat(20);
      const expiresAt = Math.floor(Date.now() / 1000) + 300;
      const nonce = (k: number) => ({ requester, nonce: "0x" + k.toString(16).padStart(64, "0"), expiresAt });
      const refused = (first: number, n: number): NewDisclosure => {
        const d = disclosureOf(first, n);
        return { ...d, receipts: d.receipts.map((r, k) => (k === n - 1 ? { ...r, resourceRef: "Observation/\u0000" } : r)) };
      };
      const wins = new Map<number, number>();
      let deadlocks = 0;
      for (let round = 0; round < 5; round++) {
        const base = round * 1000;
        const tasks: { k: number; p: Promise<unknown> }[] = [];
        for (let j = 0; j < 6; j++) {
          const k = base + j;
          const id = base * 10 + j * 10 + 1;
          tasks.push({ k, p: s1.insert([j === 0 ? refused(id, 2) : disclosureOf(id, 2)], nonce(k)) });
          tasks.push({ k, p: s1.insert([disclosureOf(id + 3, 1)], nonce(k)) });
          tasks.push({ k, p: s2.insert([disclosureOf(id + 5, 3)], nonce(k)) });
          tasks.push({ k, p: book.spend(requester, nonce(k).nonce, expiresAt) });
        }
        const settled = await Promise.allSettled(tasks.map((t) => t.p));
        settled.forEach((r, i) => {
          if (r.status === "fulfilled" && r.value === true) wins.set(tasks[i].k, (wins.get(tasks[i].k) ?? 0) + 1);
          if (r.status !== "rejected") return;
          const reason = r.reason as { code?: string; status?: number; message?: string };
          if (reason.code === "40P01") deadlocks++;
          else if (reason.status !== 409 && !String(reason.message).match(/invalid byte sequence|0x00|unsupported Unicode/)) throw reason;
        });
      }
      if (deadlocks > 0) console.log(`      nonce book rounds refused as deadlocks: ${deadlocks}`);
      for (const [k, n] of wins) expect(n, `nonce ${k}`).to.equal(1);
      expect(wins.size + deadlocks).to.be.at.least(30);
      expect(told).to.equal(await receiptCount(db1));
      expect(Number((await db1.pool.query("SELECT count(*) AS n FROM request_nonces")).rows[0].n)).to.equal(wins.size);
    });
  });
});
