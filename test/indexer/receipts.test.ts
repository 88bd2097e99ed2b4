/**
 * The indexer holds the gateways' disclosure receipts (issue 15: "a patient's own disclosure receipts (from the
 * gateways) are returned only to a request signed by that patient or a delegate in scope"), on PGlite and on
 * PostgreSQL (where the gateway and the indexer share one database: the indexer's tables and nonce book are its
 * own), over real sockets. The receipts are real: the lab's gateway (test/gateway/fixtures.ts) releases the
 * patient's records to the patient (every class, and one record in no class) and the hospital's lab results to
 * its doctor, anchors them in two rounds on the in-process chain, and its own `GET /receipts` entries (without
 * `anchored`) are what its signer posts to the indexer.
 *
 * POST /receipts: stored once (a repeat is known), refused with the exact status and element — unsigned,
 * forged, expired, replayed, another chain, another deployment, another origin, another purpose, a poster who is
 * no member of the holder, a tampered receipt or proof, a root not anchored (yet, or by another organization),
 * too many entries, too large a body — storing nothing. GET /patients/{address}/receipts: the patient's, every
 * receipt once in anchoring order, page by page, and verified by the SDK's `indexedReceipts`; a limited delegate
 * its classes, a representative all, an expired or removed delegate and a stranger refused alike; a rolled-back
 * anchoring hides its receipts until it is indexed again; a database down is a 503.
 */
import { expect } from "chai";
import hre from "hardhat";
import { loadFixture, mine, takeSnapshot, time, type SnapshotRestorer } from "@nomicfoundation/hardhat-network-helpers";
import { pruneNonces } from "../../gateway/auth";
import { openDatabase, type Database } from "../../gateway/db";
import { INDEXER_NONCES, RECEIPTS_BODY_LIMIT, MAX_RECEIPTS_PER_POST } from "../../indexer/receipts";
import type { Indexer } from "../../indexer/sync";
import { buildReceiptTree, receiptFromJson, receiptLeaf, UNCLASSIFIED_DATA_CLASS } from "../../sdk/exchange/receipts";
import { gatewayRequestDomain, signGatewayRequest } from "../../sdk/exchange/request";
import { ExchangeError } from "../../sdk/exchange/client";
import { DisclosureLog__factory } from "../../typechain-types";
import { gatewayChain, grant, LAB, PATIENT_ID, signedFetch, startGateway } from "../gateway/fixtures";
import { bundleOf, smokingStatus } from "../gateway/review-support";
import { servedIndexer } from "./support";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
type Gateway = Awaited<ReturnType<typeof startGateway>>;
type Signer = Gateway["patient"];

const HOSPITAL = 1n;
const DAY = 86_400;
const LABS = 4;
const VITALS = 5;
const HIV = 18;
const DEMOGRAPHICS = 0;
const ANSWER_FIELDS = ["anchoredInBlock", "anchoredAt", "anchorTx"];

/** An answered receipt without what the indexer adds: the entry as posted. */
const entryOf = (r: Json) => Object.fromEntries(Object.entries(r).filter(([k]) => !ANSWER_FIELDS.includes(k)));
const leafOf = (e: Json) => receiptLeaf(receiptFromJson(e.receipt)).toLowerCase();

for (const kind of ["PGlite", "PostgreSQL"] as const) {
  describe(`indexer: the gateways' disclosure receipts (${kind})`, function () {
    this.timeout(300_000);
    let g: Gateway;
    let gatewayDb: Database;
    let db: Database;
    let indexer: Indexer;
    let base: string;
    let close: () => Promise<void>;
    /** The lab gateway's own GET /receipts entries, without `anchored`, in its order. */
    let entries: Json[];
    let snapshot: SnapshotRestorer;
    let dbClosed = false;

    /** A request to the indexer signed by `signer` (the options change what is signed or what is sent). */
    const call = async (
      signer: Signer,
      method: "GET" | "POST",
      target: string,
      o: {
        body?: string;
        purpose?: string;
        domain?: ReturnType<typeof gatewayRequestDomain>;
        origin?: string;
        now?: number;
        requester?: string;
        unsigned?: boolean;
        headers?: Record<string, string>;
      } = {},
    ): Promise<{ status: number; body: Json; headers: Record<string, string> }> => {
      const signed = await signGatewayRequest(signer, o.domain ?? g.gateway.domain, {
        gateway: o.origin ?? base,
        method,
        target,
        body: o.body,
        purpose: o.purpose ?? (method === "POST" ? "HOPERAT" : "TREAT"),
        now: o.now,
        requester: o.requester,
      });
      const headers = o.headers ?? (o.unsigned === true ? {} : signed.headers);
      const res = await fetch(base + target, { method, headers: { ...headers, ...(o.body === undefined ? {} : { "content-type": "application/json" }) }, body: o.body });
      const text = await res.text();
      return { status: res.status, body: text === "" ? undefined : JSON.parse(text), headers: signed.headers };
    };
    const post = (signer: Signer, list: readonly Json[], o: Parameters<typeof call>[3] = {}) => call(signer, "POST", "/receipts", { body: JSON.stringify({ receipts: list }), ...o });
    const read = (signer: Signer, patient: string, query = "", o: Parameters<typeof call>[3] = {}) => call(signer, "GET", `/patients/${patient}/receipts${query}`, o);
    /** Every receipt of `patient` read by `signer`, following `next` (pages of `count`). */
    const readAll = async (signer: Signer, patient: string, count: number): Promise<{ receipts: Json[]; pages: number }> => {
      const out: Json[] = [];
      let at: string | null = `/patients/${patient}/receipts?_count=${count}`;
      let pages = 0;
      while (at !== null) {
        const r = await call(signer, "GET", at);
        expect(r.status, JSON.stringify(r.body)).to.equal(200);
        out.push(...r.body.receipts);
        at = r.body.next;
        if (++pages > 50) throw new Error("no end of pages");
      }
      return { receipts: out, pages };
    };
    const stored = async () => Number((await db.pool.query("SELECT count(*) AS n FROM indexed_receipts")).rows[0].n);
    /** The refusal's status, that it is an OperationOutcome, its issue code and the element it names. */
    const refusal = (r: { status: number; body: Json }) => [r.status, r.body?.resourceType, r.body?.issue?.[0]?.code, r.body?.issue?.[0]?.expression];
    /** The gateway's own answer to the patient: its entries without `anchored` (all of them anchored). */
    const gatewayEntries = async (): Promise<Json[]> => {
      const res = await signedFetch(g, g.patient, `/receipts?patient=${g.patient.address}&_count=100`);
      expect(res.status).to.equal(200);
      return res.body.receipts.map(({ anchored, ...entry }: Json) => {
        expect(anchored, entry.resource).to.equal(true);
        return entry;
      });
    };

    before(async function () {
      const chain = await loadFixture(gatewayChain);
      ({ db, indexer, url: base, close } = await (async () => {
        const s = await servedIndexer(chain, kind);
        // On PostgreSQL the gateway keeps its tables in the indexer's database: one database for both.
        gatewayDb = s.databaseUrl === undefined ? await openDatabase() : await openDatabase({ url: s.databaseUrl });
        return s;
      })());
      g = await startGateway(chain, gatewayDb);
      // The patient reads all their records (a social-history one in no class among them): one root.
      await g.labCl.exchange.ingest(g.origin, bundleOf(smokingStatus()));
      const patient = await g.as(g.patient);
      expect((await patient.exchange.everything(g.target, PATIENT_ID, { purpose: "TREAT" })).resources).to.have.length(6);
      await g.worker.flush();
      // The hospital's doctor reads the lab results under the patient's consent: a second root, later.
      await grant(g, HOSPITAL, ["labs"], ["TREAT"]);
      const doctor = await g.as(g.doctor);
      expect((await doctor.exchange.search(g.target, "Observation", { patient: `Patient/${PATIENT_ID}`, purpose: "TREAT" })).resources).to.have.length(2);
      await g.worker.flush();
      entries = await gatewayEntries();
      // Patient, two lab results, a vital sign, the HIV test (labs and hiv), the smoking status (no class); the doctor's two.
      expect(entries.map((e) => e.receipt.dataClass).sort((a, b) => a - b)).to.deep.equal([DEMOGRAPHICS, LABS, LABS, LABS, LABS, LABS, VITALS, HIV, UNCLASSIFIED_DATA_CLASS]);
      expect(new Set(entries.map((e) => e.root)).size).to.equal(2);
      await indexer.catchUp();
    });

    after(async function () {
      await g?.close();
      await gatewayDb?.close();
      await close?.();
    });

    beforeEach(async function () {
      snapshot = await takeSnapshot();
    });

    afterEach(async function () {
      await snapshot.restore();
      if (dbClosed) return;
      await db.pool.query("TRUNCATE indexed_receipts");
      await indexer.catchUp();
    });

    describe("POST /receipts", function () {
      it("stores the receipts a holder's gateway posts once their roots are anchored, and a repeat is known, not stored twice", async function () {
        expect((await post(g.labAdmin, entries.slice(0, 3))).body).to.deep.include({ stored: 3, known: 0 });
        const all = await post(g.labAdmin, entries);
        expect([all.status, all.body.stored, all.body.known]).to.deep.equal([200, entries.length - 3, 3]);
        expect((await post(g.labAdmin, entries)).body).to.deep.include({ stored: 0, known: entries.length });
        expect(await stored()).to.equal(entries.length);
        const rows = (await db.pool.query("SELECT root, leaf, holder_org_id, patient, data_class, entry, posted_by FROM indexed_receipts")).rows;
        for (const e of entries) {
          const row = rows.find((r) => r.root === e.root.toLowerCase() && r.leaf === leafOf(e));
          expect(row, e.resource).to.not.equal(undefined);
          expect([row.holder_org_id, row.patient, row.data_class, row.posted_by]).to.deep.equal([LAB.toString(), g.patient.address.toLowerCase(), e.receipt.dataClass, g.labAdmin.address.toLowerCase()]);
          expect(row.entry).to.deep.equal(e);
        }
      });

      it("spends its nonces in the indexer's own book, which it prunes (the gateway's, request_nonces, is the gateway's)", async function () {
        const r = await post(g.labAdmin, entries.slice(0, 1));
        expect(r.status).to.equal(200);
        const nonce = JSON.parse(Buffer.from(r.headers["x-careledger-request"], "base64url").toString()).nonce;
        const spent = await db.pool.query(`SELECT requester FROM ${INDEXER_NONCES} WHERE nonce = $1`, [nonce]);
        expect(spent.rows.map((x) => x.requester)).to.deep.equal([g.labAdmin.address.toLowerCase()]);
        if (kind === "PostgreSQL") expect((await gatewayDb.pool.query("SELECT count(*)::int AS n FROM request_nonces WHERE nonce = $1", [nonce])).rows[0].n).to.equal(0);
        await db.pool.query(`INSERT INTO ${INDEXER_NONCES} (requester, nonce, expires_at) VALUES ('0xold', '0x01', now() - interval '1 day')`);
        expect(await pruneNonces(db, INDEXER_NONCES)).to.equal(1);
        const kept = (await db.pool.query(`SELECT nonce FROM ${INDEXER_NONCES}`)).rows.map((x) => x.nonce);
        expect(kept).to.include(nonce).and.not.to.include("0x01");
        expect(await pruneNonces(db, "request_nonces; DROP TABLE events").catch((e: Error) => e.message)).to.match(/not a nonce table/);
      });

      it("refuses a request whose signature does not hold (401), or that was served before (409), storing nothing", async function () {
        const body = JSON.stringify({ receipts: entries });
        const now = Math.floor(Date.now() / 1000);
        const cases: [string, Parameters<typeof call>[3], Signer, number, string | undefined][] = [
          ["unsigned", { unsigned: true }, g.labAdmin, 401, "x-careledger-request"],
          ["forged: signed by another key for the lab's signer", { requester: g.labAdmin.address }, g.doctor, 401, undefined],
          ["expired", { now: now - 400 }, g.labAdmin, 401, "expiresAt"],
          ["for another chain", { domain: gatewayRequestDomain(1n, g.book.contracts.ConsentRegistry) }, g.labAdmin, 401, "chainId"],
          ["for another deployment (consent registry)", { domain: gatewayRequestDomain(g.chainId, g.book.contracts.RecordRegistry) }, g.labAdmin, 401, undefined],
          ["for another origin (the gateway's)", { origin: g.origin }, g.labAdmin, 401, "origin"],
        ];
        for (const [what, o, signer, status, expression] of cases) {
          const r = await call(signer, "POST", "/receipts", { body, ...o });
          expect(refusal(r), what).to.deep.equal([status, "OperationOutcome", "security", expression === undefined ? undefined : [expression]]);
        }
        expect(await stored()).to.equal(0);
        const first = await post(g.labAdmin, entries.slice(0, 1));
        expect(first.status).to.equal(200);
        const replayed = await call(g.labAdmin, "POST", "/receipts", { body: JSON.stringify({ receipts: entries.slice(0, 1) }), headers: first.headers });
        expect(refusal(replayed)).to.deep.equal([409, "OperationOutcome", "duplicate", ["nonce"]]);
        expect(await stored()).to.equal(1);
      });

      it("refuses a poster who is not an active member of the holder (403): a stranger, a member of another organization, a request for another purpose", async function () {
        for (const [who, signer] of [
          ["no member", g.stranger],
          ["the hospital's doctor", g.doctor],
        ] as const) {
          const r = await post(signer, entries);
          expect(refusal(r), who).to.deep.equal([403, "OperationOutcome", "forbidden", ["receipts[0].receipt.holderOrgId"]]);
        }
        const treat = await post(g.labAdmin, entries, { purpose: "TREAT" });
        expect(refusal(treat)).to.deep.equal([403, "OperationOutcome", "forbidden", ["purpose"]]);
        // Another member of the lab posts them, until the lab removes it.
        const registry = g.registry.connect(g.labAdmin);
        await (await registry.addMember(LAB, g.nonMember.address, false)).wait();
        expect((await post(g.nonMember, entries)).body).to.deep.include({ stored: entries.length, known: 0 });
        await db.pool.query("TRUNCATE indexed_receipts");
        await (await registry.removeMember(LAB, g.nonMember.address)).wait();
        expect(refusal(await post(g.nonMember, entries))).to.deep.equal([403, "OperationOutcome", "forbidden", ["receipts[0].receipt.holderOrgId"]]);
        expect(await stored()).to.equal(0);
      });

      it("refuses an entry that does not verify (400), naming its element, and stores none of the body", async function () {
        const changed = (i: number, change: (e: Json) => void) => {
          const list = structuredClone(entries);
          change(list[i]);
          return list;
        };
        const otherClass = (c: number) => (c === LABS ? VITALS : LABS);
        const cases: [string, Json[], string][] = [
          ["a receipt's class changed (its leaf is no longer under its root)", changed(2, (e) => (e.receipt.dataClass = otherClass(e.receipt.dataClass))), "receipts[2].proof"],
          ["a receipt's requester changed", changed(4, (e) => (e.receipt.requester = g.stranger.address)), "receipts[4].proof"],
          ["a proof's hash changed", changed(2, (e) => (e.proof[0] = "0x" + "ab".repeat(32))), "receipts[2].proof"],
          ["a proof cut short", changed(3, (e) => e.proof.pop()), "receipts[3].proof"],
          ["a proof's hash malformed", changed(2, (e) => (e.proof[0] = "0x12")), "receipts[2].proof[0]"],
          ["a malformed requester", changed(1, (e) => (e.receipt.requester = "0x1234")), "receipts[1].receipt.requester"],
          ["an organization as a number", changed(0, (e) => (e.receipt.holderOrgId = Number(LAB))), "receipts[0].receipt.holderOrgId"],
          ["a class outside the vocabulary", changed(0, (e) => (e.receipt.dataClass = 99)), "receipts[0].receipt.dataClass"],
          ["anchored left in", changed(0, (e) => (e.anchored = true)), "receipts[0].anchored"],
          ["a field the receipt does not have", changed(5, (e) => (e.receipt.note = "x")), "receipts[5].receipt.note"],
          ["no request", changed(3, (e) => delete e.request), "receipts[3].request"],
          ["a request with no nonce", changed(3, (e) => delete e.request.nonce), "receipts[3].request.nonce"],
          ["no signature", changed(6, (e) => (e.signature = "")), "receipts[6].signature"],
          ["a time that is none", changed(7, (e) => (e.at = "yesterday")), "receipts[7].at"],
          ["a root that is not 32 bytes", changed(8, (e) => (e.root = "0x00")), "receipts[8].root"],
          ["a resource with a NUL", changed(8, (e) => (e.resource = "Observation/\u0000")), "receipts[8]"],
          ["an entry that is no object", [...entries.slice(0, 2), "receipt"], "receipts[2]"],
        ];
        for (const [what, list, expression] of cases) {
          const r = await post(g.labAdmin, list);
          expect(refusal(r), what).to.deep.equal([400, "OperationOutcome", "invalid", [expression]]);
          expect(JSON.stringify(r.body), what).not.to.match(/ at \/|\.ts:/);
        }
        for (const [what, body, expression] of [
          ["no receipts", JSON.stringify({ receipts: [] }), ["receipts"]],
          ["receipts not a list", JSON.stringify({ receipts: entries[0] }), ["receipts"]],
          ["another field", JSON.stringify({ receipts: entries, more: 1 }), ["more"]],
          ["a list", JSON.stringify(entries), undefined],
          ["no JSON", "{receipts", undefined],
        ] as const) {
          const r = await call(g.labAdmin, "POST", "/receipts", { body });
          expect(refusal(r), what).to.deep.equal([400, "OperationOutcome", "invalid", expression]);
        }
        expect(await stored()).to.equal(0);
      });

      it("answers 409 not-found naming a root the holder has not anchored (yet, or only another organization has), storing nothing; the same body is stored once the lab's anchoring is indexed", async function () {
        // A new root over three of the patient's real receipts: valid proofs, a root nobody anchored.
        const some = entries.slice(0, 3);
        const tree = buildReceiptTree(some.map((e) => receiptFromJson(e.receipt)));
        const fresh = some.map((e, i) => ({ ...e, root: tree.root, proof: tree.proofs[i] }));
        const body = [entries[3], ...fresh];
        const notYet = [409, "OperationOutcome", "not-found", ["receipts[1].root"]];
        expect(refusal(await post(g.labAdmin, body))).to.deep.equal(notYet);
        // The hospital anchors the root, for the hospital: not the lab's anchoring.
        const doctor = await g.as(g.doctor);
        await (await doctor.disclosures.anchor({ root: tree.root, count: tree.count })).wait();
        await indexer.catchUp();
        expect(refusal(await post(g.labAdmin, body))).to.deep.equal(notYet);
        // The lab anchors it: on chain, not yet in the events stored.
        await (await g.labCl.disclosures.anchor({ root: tree.root, count: tree.count })).wait();
        expect(refusal(await post(g.labAdmin, body))).to.deep.equal(notYet);
        expect(await stored()).to.equal(0);
        await indexer.catchUp();
        expect((await post(g.labAdmin, body)).body).to.deep.include({ stored: 4, known: 0 });
      });

      it("refuses a receipt whose consent was 'checked' after its root was anchored (400), though its proof holds", async function () {
        const late = { ...receiptFromJson(entries[0].receipt), permittedAtBlock: BigInt(await hre.ethers.provider.getBlockNumber()) + 100n };
        const tree = buildReceiptTree([late]);
        await (await g.labCl.disclosures.anchor({ root: tree.root, count: 1 })).wait();
        await indexer.catchUp();
        const entry = { ...entries[0], receipt: { ...entries[0].receipt, permittedAtBlock: late.permittedAtBlock.toString() }, root: tree.root, proof: tree.proofs[0] };
        expect(refusal(await post(g.labAdmin, [entries[1], entry]))).to.deep.equal([400, "OperationOutcome", "invalid", ["receipts[1].receipt.permittedAtBlock"]]);
        expect(await stored()).to.equal(0);
      });

      it(`refuses more than ${MAX_RECEIPTS_PER_POST} entries, and a body over ${RECEIPTS_BODY_LIMIT} bytes (413), storing nothing`, async function () {
        const many = Array.from({ length: MAX_RECEIPTS_PER_POST + 1 }, (_, i) => entries[i % entries.length]);
        const body = JSON.stringify({ receipts: many });
        expect(body.length).to.be.lessThan(RECEIPTS_BODY_LIMIT);
        expect(refusal(await call(g.labAdmin, "POST", "/receipts", { body }))).to.deep.equal([413, "OperationOutcome", "too-costly", ["receipts"]]);
        const huge = JSON.stringify({ receipts: entries, pad: "x".repeat(RECEIPTS_BODY_LIMIT) });
        expect(refusal(await call(g.labAdmin, "POST", "/receipts", { body: huge }))).to.deep.equal([413, "OperationOutcome", "too-costly", undefined]);
        const exactly = Array.from({ length: MAX_RECEIPTS_PER_POST }, (_, i) => entries[i % entries.length]);
        expect((await post(g.labAdmin, exactly)).body).to.deep.include({ stored: entries.length, known: MAX_RECEIPTS_PER_POST - entries.length });
      });
    });

    describe("GET /patients/{address}/receipts", function () {
      beforeEach(async function () {
        expect((await post(g.labAdmin, entries)).status).to.equal(200);
      });

      it("answers the patient every receipt once, oldest anchoring first (then by leaf), with where it was anchored, a page at a time", async function () {
        const log = DisclosureLog__factory.connect(g.book.contracts.DisclosureLog, hre.ethers.provider);
        const anchorings = await log.queryFilter(log.filters.DisclosuresAnchored(LAB));
        const anchorOf = new Map<string, { block: number; index: number; tx: string; time: number }>();
        for (const a of anchorings) anchorOf.set(a.args.root.toLowerCase(), { block: a.blockNumber, index: a.index, tx: a.transactionHash, time: (await a.getBlock()).timestamp });
        const expected = [...entries].sort((x, y) => {
          const [a, b] = [anchorOf.get(x.root.toLowerCase())!, anchorOf.get(y.root.toLowerCase())!];
          return a.block - b.block || a.index - b.index || (leafOf(x) < leafOf(y) ? -1 : 1);
        });
        const { receipts, pages } = await readAll(g.patient, g.patient.address, 1);
        expect(pages).to.equal(entries.length);
        expect(receipts.map(entryOf)).to.deep.equal(expected);
        for (const r of receipts) {
          const a = anchorOf.get(r.root.toLowerCase())!;
          expect([r.anchoredInBlock, r.anchoredAt, r.anchorTx]).to.deep.equal([a.block, a.time, a.tx]);
        }
        // One page of all of them, and pages of four, say the same; the last page has no next.
        const whole = await read(g.patient, g.patient.address.toLowerCase());
        expect([whole.status, whole.body.next, whole.body.receipts]).to.deep.equal([200, null, receipts]);
        expect((await readAll(g.patient, g.patient.address, 4)).receipts).to.deep.equal(receipts);
        // Another patient reads their own: none of these.
        expect((await read(g.patient2, g.patient2.address)).body).to.deep.equal({ receipts: [], next: null });
        // A cursor is bound to its patient; a malformed parameter is named.
        const first = await read(g.patient, g.patient.address, "?_count=1");
        const cursor = new URL(first.body.next, base).searchParams.get("_cursor");
        const other = await read(g.patient2, g.patient2.address, `?_cursor=${cursor}`);
        expect(refusal(other)).to.deep.equal([400, "OperationOutcome", "invalid", ["_cursor"]]);
        expect(refusal(await read(g.patient, "nobody"))).to.deep.equal([400, "OperationOutcome", "invalid", ["patient"]]);
        expect(refusal(await read(g.patient, g.patient.address, "?_count=0"))).to.deep.equal([400, "OperationOutcome", "invalid", ["_count"]]);
        expect(refusal(await read(g.patient, g.patient.address, "?patient=x"))).to.deep.equal([400, "OperationOutcome", "invalid", ["patient"]]);
      });

      it("hands the SDK's indexedReceipts what it verifies against the chain: every receipt verified, the same the gateway hands over; a tampered one refuted", async function () {
        const patient = await g.as(g.patient);
        const first = await patient.exchange.indexedReceipts(base, { count: 4 });
        const second = await patient.exchange.indexedReceipts(base, { next: first.next });
        const third = await patient.exchange.indexedReceipts(base, { next: second.next });
        expect(third.next).to.equal(undefined);
        const all = [...first.receipts, ...second.receipts, ...third.receipts];
        expect(all.map((r) => [r.status, r.requestVerified, r.receipt.holderOrgId])).to.deep.equal(all.map(() => ["verified", true, LAB]));
        const fromGateway = await patient.exchange.receipts(g.target, { count: 100 });
        const key = (r: { receipt: { accessRef: string; dataClass: number }; root: string | null }) => `${r.root}:${r.receipt.accessRef}:${r.receipt.dataClass}`;
        expect(all.map(key).sort()).to.deep.equal(fromGateway.receipts.map(key).sort());
        for (const r of all) expect(r.anchoredAt).to.be.a("number");
        // The indexer is not trusted: a receipt it changes no longer verifies.
        const target = entries.find((e) => e.receipt.dataClass === VITALS);
        await db.pool.query("UPDATE indexed_receipts SET entry = jsonb_set(entry, '{receipt,dataClass}', $1::jsonb) WHERE leaf = $2", [String(LABS), leafOf(target)]);
        const after = (await patient.exchange.indexedReceipts(base, { count: 100 })).receipts;
        expect(after.filter((r) => r.status === "refuted").map((r) => r.resource)).to.deep.equal([target.resource]);
        // What the SDK sends is checked first.
        expect(await patient.exchange.indexedReceipts(base, { count: 0 }).catch((e) => e.field)).to.equal("count");
        expect(await patient.exchange.indexedReceipts(base, { next: "/events?_cursor=x" }).catch((e) => e.field)).to.equal("next");
      });

      it("answers a delegate what its delegation covers, read at the chain's latest block: a limited delegate its classes, a representative every receipt", async function () {
        const patient = await g.as(g.patient);
        const now = await time.latest();
        await (await patient.consent.appointDelegate({ delegate: g.delegate.address, until: now + 30 * DAY, classes: ["labs"], purposes: ["TREAT"] })).wait();
        await (await patient.consent.appointDelegate({ delegate: g.patient2.address, until: now + 30 * DAY, classes: ["labs", "hiv"], purposes: ["TREAT"], representative: true })).wait();
        // Not indexed yet: the delegation is read from the chain, where it is in force in its block.
        const limited = (await readAll(g.delegate, g.patient.address, 2)).receipts;
        expect(limited.map((r) => r.receipt.dataClass)).to.deep.equal(entries.filter((e) => e.receipt.dataClass === LABS).map(() => LABS));
        const delegate = await g.as(g.delegate);
        const viaSdk = await delegate.exchange.indexedReceipts(base, { patient: g.patient.address, count: 100 });
        expect(viaSdk.receipts.map((r) => [r.status, r.receipt.dataClass])).to.deep.equal(limited.map(() => ["verified", LABS]));
        const everything = (await readAll(g.patient2, g.patient.address, 100)).receipts;
        expect(everything.map(entryOf)).to.deep.equal((await readAll(g.patient, g.patient.address, 100)).receipts.map(entryOf));
        expect(everything.map((r) => r.receipt.dataClass)).to.include.members([UNCLASSIFIED_DATA_CLASS, HIV, DEMOGRAPHICS, VITALS]);
      });

      it("refuses alike (403, nothing said of the receipts) a stranger, a removed delegate and an expired one", async function () {
        const patient = await g.as(g.patient);
        const strangerOwn = await read(g.stranger, g.patient.address);
        const strangerNone = await read(g.stranger, g.patient2.address);
        expect(refusal(strangerOwn)).to.deep.equal([403, "OperationOutcome", "forbidden", undefined]);
        // The same answer about a patient with receipts and one with none.
        expect(strangerNone.body).to.deep.equal(strangerOwn.body);
        const now = await time.latest();
        await (await patient.consent.appointDelegate({ delegate: g.delegate.address, until: now + 30 * DAY, classes: ["labs"], purposes: ["TREAT"] })).wait();
        await (await patient.consent.appointDelegate({ delegate: g.patient2.address, until: now + 2 * DAY, classes: ["labs"], purposes: ["TREAT"], representative: true })).wait();
        await indexer.catchUp();
        expect((await read(g.delegate, g.patient.address)).status).to.equal(200);
        expect((await read(g.patient2, g.patient.address)).status).to.equal(200);
        await (await patient.consent.removeDelegate({ delegate: g.delegate.address })).wait();
        await time.increase(3 * DAY);
        await mine(1);
        await indexer.catchUp();
        for (const [who, signer] of [
          ["removed", g.delegate],
          ["expired", g.patient2],
        ] as const) {
          const r = await read(signer, g.patient.address);
          expect(refusal(r), who).to.deep.equal([403, "OperationOutcome", "forbidden", undefined]);
        }
        const delegate = await g.as(g.delegate);
        const err = await delegate.exchange.indexedReceipts(base, { patient: g.patient.address }).catch((e) => e);
        expect(err).to.be.instanceOf(ExchangeError);
        expect([err.code, err.status]).to.deep.equal(["GATEWAY_REFUSED", 403]);
      });

      it("refuses an unsigned, replayed or misdirected read", async function () {
        expect(refusal(await read(g.patient, g.patient.address, "", { unsigned: true }))).to.deep.equal([401, "OperationOutcome", "security", ["x-careledger-request"]]);
        expect(refusal(await read(g.patient, g.patient.address, "", { origin: g.origin }))).to.deep.equal([401, "OperationOutcome", "security", ["origin"]]);
        const first = await read(g.patient, g.patient.address);
        expect(first.status).to.equal(200);
        const replayed = await read(g.patient, g.patient.address, "", { headers: first.headers });
        expect(refusal(replayed)).to.deep.equal([409, "OperationOutcome", "duplicate", ["nonce"]]);
      });

      it("hides the receipts of an anchoring rolled back until it is indexed again", async function () {
        const before = (await readAll(g.patient, g.patient.address, 100)).receipts;
        const roots = new Set(entries.map((e) => e.root));
        const fork = await takeSnapshot();
        // The doctor reads again: a receipt under a third root, anchored, indexed, posted.
        const doctor = await g.as(g.doctor);
        await doctor.exchange.read(g.target, "Observation", `${PATIENT_ID}-glucose`, { purpose: "TREAT" });
        await g.worker.flush();
        await indexer.catchUp();
        const fresh = (await gatewayEntries()).filter((e) => !roots.has(e.root));
        expect(fresh).to.have.length(1);
        expect((await post(g.labAdmin, fresh)).body).to.deep.include({ stored: 1, known: 0 });
        const withFresh = (await readAll(g.patient, g.patient.address, 100)).receipts;
        expect(withFresh.map(entryOf)).to.deep.equal([...before.map(entryOf), fresh[0]]);
        // The block anchoring it is rolled back: the receipt is kept, and not answered.
        await fork.restore();
        await indexer.catchUp();
        expect((await readAll(g.patient, g.patient.address, 100)).receipts).to.deep.equal(before);
        expect(await stored()).to.equal(entries.length + 1);
        // Another organization's anchoring of the same root is not the lab's: still not answered.
        await (await doctor.disclosures.anchor({ root: fresh[0].root, count: 1 })).wait();
        await indexer.catchUp();
        expect((await readAll(g.patient, g.patient.address, 100)).receipts).to.deep.equal(before);
        // The lab anchors the root again on the chain as it now is: answered again, where it now is.
        const again = await (await g.labCl.disclosures.anchor({ root: fresh[0].root, count: 1 })).wait();
        await indexer.catchUp();
        const back = (await readAll(g.patient, g.patient.address, 100)).receipts;
        expect(back.map(entryOf)).to.deep.equal([...before.map(entryOf), fresh[0]]);
        expect(back.at(-1).anchorTx).to.equal(again.receipt.hash);
      });

      it("answers 503 once its database is down (last: the database stays down)", async function () {
        await db.close();
        dbClosed = true;
        expect(refusal(await read(g.patient, g.patient.address))).to.deep.equal([503, "OperationOutcome", "transient", undefined]);
        expect(refusal(await post(g.labAdmin, entries))).to.deep.equal([503, "OperationOutcome", "transient", undefined]);
      });
    });
  });
}
