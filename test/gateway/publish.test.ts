/**
 * The receipt publisher (gateway/publish.ts) against a small receiver on 127.0.0.1 that checks what it is sent
 * as the indexer will (the SDK's signed-request checks over the raw body, origin, purpose HOPERAT, the gateway's
 * signer, a fresh nonce; every entry's proof against its root) and stores each receipt once. Anchored roots are
 * published whole, once, in chunks, stamped only after every chunk was accepted; nothing unanchored leaves;
 * every failure keeps the root for a later round (never a receipt dropped); a crash before the stamp and two
 * publishers on one database re-send, and the receiver sees the same entries; another indexer instance (a
 * rebuilt database, another address) is sent every root again; a root the indexer does not have never keeps the
 * later ones back (the chain asked: behind it, or its anchoring dropped and re-anchored). On PGlite and PostgreSQL.
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { loadFixture, takeSnapshot } from "@nomicfoundation/hardhat-network-helpers";
import Fastify, { type FastifyInstance } from "fastify";
import type { TypedDataDomain } from "ethers";
import { gatewayConfig } from "../../gateway/main";
import { openDatabase, type Database } from "../../gateway/db";
import { MAX_RECEIPTS_PER_PUBLICATION, PublishError, ReceiptPublisher, type PublishOptions } from "../../gateway/publish";
import { freePort } from "../../gateway/net";
import { ValidationError } from "../../sdk/errors";
import { purposeOf } from "../../sdk/consent/vocab";
import { receiptLeaf, verifyReceiptProof } from "../../sdk/exchange/receipts";
import { bodyHash, readRequestHeaders, recoverRequestSigner, requestDigest, requireGatewayRequest } from "../../sdk/exchange/request";
import { scratchDatabase } from "../support/databases";
import { eventually } from "../support/eventually";
import { rejection } from "../support/rejection";
import { gatewayChain, LAB, PATIENT_ID, signedFetch, startGateway } from "./fixtures";

type Fixture = Awaited<ReturnType<typeof startGateway>>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Entry = Record<string, any>;

const ENTRY_KEYS = ["accessNonce", "at", "proof", "receipt", "recordId", "request", "resource", "root", "signature"];
const RECEIPT_KEYS = ["accessRef", "dataClass", "holderOrgId", "patient", "permittedAtBlock", "purpose", "requestDigest", "requester"];
const HOPERAT = purposeOf("purpose", "HOPERAT");

/** What the receiver is told to answer for the next requests: an OperationOutcome, no answer, a dropped connection, or "ok" (200). */
type Failure = { status: number; code: string; diagnostics: string } | "hang" | "drop" | "ok";
const NOT_FOUND: Failure = { status: 409, code: "not-found", diagnostics: "root not in the blocks indexed yet" };
const DUPLICATE: Failure = { status: 409, code: "duplicate", diagnostics: "this request (its nonce) was seen before" };
const DOWN: Failure = { status: 500, code: "exception", diagnostics: "the indexer failed to answer" };
const MALFORMED: Failure = { status: 400, code: "invalid", diagnostics: "receipts[0].receipt.dataClass: 77 is not a data class" };

/** One request the receiver took (its signature checked), and what it answered. */
interface Taken {
  readonly nonce: string;
  readonly digest: string;
  readonly entries: Entry[];
  answered: number | "hang" | "drop";
}

/** A stand-in for the indexer's `POST /receipts` and `GET /status`, checking every request as the indexer does. */
class Receiver {
  readonly taken: Taken[] = [];
  /** What the receiver refused, and why: a test expects none. */
  readonly refused: string[] = [];
  /** Each receipt stored once, by root and leaf. */
  readonly stored = new Map<string, Entry>();
  /** Milliseconds every answer waits (to make two publishers overlap). */
  delayMs = 0;
  /** The indexer instance `GET /status` and every 200 name (none when undefined: an indexer from before instances). */
  instance: string | undefined = "instance-1";
  /** The instance `POST /receipts`' 200 names, when not `instance` (its database replaced under a round). */
  answeredInstance: string | undefined;
  /** `GET /status` requests answered. */
  statusAsked = 0;
  #failures: Failure[] = [];
  #statusFailures: { status: number; code: string; diagnostics: string }[] = [];
  #hung: (() => void)[] = [];

  private constructor(
    readonly app: FastifyInstance,
    readonly origin: string,
  ) {}

  static async start(domain: TypedDataDomain, signer: string): Promise<Receiver> {
    const port = await freePort();
    const app = Fastify({ forceCloseConnections: true, bodyLimit: 16 * 1024 * 1024 });
    const r = new Receiver(app, `http://127.0.0.1:${port}`);
    app.removeAllContentTypeParsers();
    app.addContentTypeParser("application/json", { parseAs: "buffer" }, (_req, body, done) => done(null, body));
    app.get("/status", async (_req, reply) => {
      r.statusAsked++;
      const failure = r.#statusFailures.shift();
      if (failure !== undefined) {
        return reply.code(failure.status).send({ resourceType: "OperationOutcome", issue: [{ severity: "error", code: failure.code, diagnostics: failure.diagnostics }] });
      }
      return reply.code(200).send({ fromBlock: 0, nextBlock: 1, ...(r.instance === undefined ? {} : { instance: r.instance }) });
    });
    app.post("/receipts", async (req, reply) => {
      const refuse = (status: number, why: string) => {
        r.refused.push(why);
        return reply.code(status).send({ resourceType: "OperationOutcome", issue: [{ severity: "error", code: "security", diagnostics: why }] });
      };
      const raw = req.body as Buffer;
      let taken: Taken;
      try {
        const { fields, signature } = readRequestHeaders(req.headers);
        if (fields.chainId !== BigInt(domain.chainId as bigint).toString()) return refuse(401, `signed for chain ${fields.chainId}`);
        if (fields.origin !== r.origin) return refuse(401, `signed for ${fields.origin}, not ${r.origin}`);
        const request = requireGatewayRequest({ ...fields, method: req.method, target: req.url, bodyHash: bodyHash(raw) });
        if (request.purpose !== HOPERAT) return refuse(401, `purpose ${request.purpose}, not HOPERAT`);
        const now = Math.floor(Date.now() / 1000);
        if (now < request.issuedAt - 30 || now > request.expiresAt) return refuse(401, "outside its validity window");
        if (recoverRequestSigner(domain, request, signature)?.toLowerCase() !== signer.toLowerCase()) return refuse(401, "not signed by the gateway's signer");
        const digest = requestDigest(domain, request);
        if (r.taken.some((t) => t.nonce === request.nonce || t.digest === digest)) {
          return reply.code(409).send({ resourceType: "OperationOutcome", issue: [{ severity: "error", code: "duplicate", diagnostics: "replayed" }] });
        }
        const body = JSON.parse(raw.toString("utf8")) as { receipts: Entry[] };
        if (!Array.isArray(body.receipts) || body.receipts.length < 1 || body.receipts.length > MAX_RECEIPTS_PER_PUBLICATION) return refuse(400, "not 1 to 1,024 receipts");
        for (const e of body.receipts) {
          if (JSON.stringify(Object.keys(e).sort()) !== JSON.stringify(ENTRY_KEYS)) return refuse(400, `entry keys ${Object.keys(e).sort().join(",")}`);
          if (JSON.stringify(Object.keys(e.receipt).sort()) !== JSON.stringify(RECEIPT_KEYS)) return refuse(400, `receipt keys ${Object.keys(e.receipt).sort().join(",")}`);
          if (e.receipt.holderOrgId !== LAB.toString()) return refuse(400, `holder ${e.receipt.holderOrgId}`);
          const receipt = { ...e.receipt, holderOrgId: BigInt(e.receipt.holderOrgId), permittedAtBlock: BigInt(e.receipt.permittedAtBlock) };
          if (!verifyReceiptProof(receipt, e.proof, e.root)) return refuse(400, `a receipt not under root ${e.root}`);
        }
        taken = { nonce: request.nonce, digest, entries: body.receipts, answered: 200 };
      } catch (err) {
        return refuse(400, (err as Error).message);
      }
      r.taken.push(taken);
      if (r.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, r.delayMs));
      const failure = r.#failures.shift();
      if (failure === "hang") {
        taken.answered = "hang";
        await new Promise<void>((resolve) => r.#hung.push(resolve));
        return reply.code(503).send({});
      }
      if (failure === "drop") {
        taken.answered = "drop";
        reply.hijack();
        req.raw.socket.destroy();
        return;
      }
      if (failure !== undefined && failure !== "ok") {
        taken.answered = failure.status;
        return reply.code(failure.status).send({ resourceType: "OperationOutcome", issue: [{ severity: "error", code: failure.code, diagnostics: failure.diagnostics }] });
      }
      let stored = 0;
      for (const e of taken.entries) {
        const key = `${e.root}/${receiptLeaf({ ...e.receipt, holderOrgId: BigInt(e.receipt.holderOrgId), permittedAtBlock: BigInt(e.receipt.permittedAtBlock) })}`;
        if (r.stored.has(key)) {
          expect(r.stored.get(key), "a receipt sent again differs from the one stored").to.deep.equal(e);
        } else {
          r.stored.set(key, e);
          stored++;
        }
      }
      const instance = r.answeredInstance ?? r.instance;
      return reply.code(200).send({ stored, known: taken.entries.length - stored, ...(instance === undefined ? {} : { instance }) });
    });
    await app.listen({ host: "127.0.0.1", port });
    return r;
  }

  /** The next requests are answered with `failures`, in order (after their checks). */
  fail(...failures: Failure[]): void {
    this.#failures.push(...failures);
  }

  /** The next `GET /status` requests are answered with `failures`, in order. */
  failStatus(...failures: { status: number; code: string; diagnostics: string }[]): void {
    this.#statusFailures.push(...failures);
  }

  /** Requests answered 200. */
  accepted(): Taken[] {
    return this.taken.filter((t) => t.answered === 200);
  }

  async close(): Promise<void> {
    for (const release of this.#hung.splice(0)) release();
    await this.app.close();
  }
}

/** The patient reads everything: one response's receipts written (one per released resource and class). */
async function released(f: Fixture): Promise<number> {
  const before = await f.gateway.receipts.unrootedCount();
  const patient = await f.as(f.patient);
  await patient.exchange.everything(f.target, PATIENT_ID, { purpose: "TREAT" });
  return (await f.gateway.receipts.unrootedCount()) - before;
}

/** Receipts written, then anchored under one root: the root. */
async function anchoredRoot(f: Fixture): Promise<string> {
  await released(f);
  const round = await f.worker.round();
  expect(round.anchored).to.have.length(1);
  return round.anchored[0];
}

/** The patient's own `GET /receipts` answer (every receipt), as the gateway sends it. */
async function ownReceipts(f: Fixture): Promise<Entry[]> {
  const res = await signedFetch(f, f.patient, `/receipts?patient=${f.patient.address}&_count=100`);
  expect(res.status).to.equal(200);
  return res.body.receipts as Entry[];
}

async function published(db: Database): Promise<Record<string, boolean>> {
  const rows = (await db.pool.query<{ root: string; published_at: Date | null }>("SELECT root, published_at FROM disclosure_roots WHERE state = 'anchored'")).rows;
  return Object.fromEntries(rows.map((r) => [r.root, r.published_at !== null]));
}

/** Each anchored root's indexer instance, when it is stamped published (null when not). */
async function publishedTo(db: Database): Promise<Record<string, string | null>> {
  const rows = (await db.pool.query<{ root: string; published_at: Date | null; published_to: string | null }>("SELECT root, published_at, published_to FROM disclosure_roots WHERE state = 'anchored'")).rows;
  return Object.fromEntries(rows.map((r) => [r.root, r.published_at === null ? null : r.published_to]));
}

const withoutAnchored = ({ anchored: _anchored, ...entry }: Entry) => entry;

for (const kind of ["PGlite", "PostgreSQL"] as const) {
  describe(`gateway (${kind}): receipts published to an indexer`, function () {
    this.timeout(120_000);
    let db: Database;
    let url: string | undefined;
    let drop: () => Promise<void>;
    let f: Fixture;
    let receiver: Receiver;
    let errors: unknown[];
    const publisher = (options: PublishOptions = {}, on: Database = db) =>
      new ReceiptPublisher(f.labAdmin, on, LAB, f.gateway.domain, receiver.origin, { onError: (e) => errors.push(e), ...options });

    before(async function () {
      ({ db, url, drop } = await scratchDatabase(kind, openDatabase));
    });
    after(async function () {
      await drop();
    });
    beforeEach(async function () {
      f = await startGateway(await loadFixture(gatewayChain), db);
      receiver = await Receiver.start(f.gateway.domain, f.labAdmin.address);
      errors = [];
    });
    afterEach(async function () {
      await receiver.close();
      await f.close();
      expect(receiver.refused, "requests the receiver refused").to.deep.equal([]);
    });

    it("publishes every receipt of an anchored root once, as GET /receipts shows it, in one signed request, and stamps the root; a published root is not sent again", async function () {
      const root = await anchoredRoot(f);
      const p = publisher();
      const round = await p.round();
      const own = await ownReceipts(f);
      expect(own.length).to.be.greaterThan(1);
      expect(round).to.deep.equal({ published: [root], sent: own.length, failures: [], more: false });
      expect(receiver.taken).to.have.length(1);
      // Each entry is one element of the gateway's own answer, without `anchored`, in leaf order.
      expect(receiver.taken[0].entries).to.deep.equal(own.map(withoutAnchored));
      expect(receiver.stored.size).to.equal(own.length);
      expect(await published(db)).to.deep.equal({ [root]: true });
      expect(await p.unpublishedCount()).to.equal(0);

      expect(await p.round()).to.deep.equal({ published: [], sent: 0, failures: [], more: false });
      expect(await publisher().flush(1_000)).to.equal(0);
      expect(receiver.taken).to.have.length(1);
      expect(errors).to.deep.equal([]);
    });

    it("sends nothing unanchored: neither receipts not yet bound nor a root whose transaction failed", async function () {
      const first = await anchoredRoot(f);
      await released(f);
      // The next root is bound and recorded as `sending`, but the chain refuses it (the log is paused).
      const pauser = await f.as(f.pauser);
      await (await pauser.disclosures.pause()).wait();
      expect((await f.worker.round().catch(() => ({ anchored: [] }))).anchored).to.deep.equal([]);
      await released(f);
      const p = publisher();
      expect((await p.round()).published).to.deep.equal([first]);
      expect(new Set(receiver.taken.flatMap((t) => t.entries.map((e) => e.root)))).to.deep.equal(new Set([first]));
      const sending = (await db.pool.query<{ root: string }>("SELECT root FROM disclosure_roots WHERE state = 'sending'")).rows.map((r) => r.root);
      expect(sending).to.have.length(1);
      expect(await f.gateway.receipts.unrootedCount()).to.be.greaterThan(0);
      expect((await p.round()).published).to.deep.equal([]);

      // Once anchored, it is published, and then the receipts written since.
      await (await pauser.disclosures.unpause()).wait();
      await f.worker.flush();
      const round = await p.round();
      expect(round.published[0]).to.equal(sending[0]);
      expect(round.published).to.have.length(2);
      expect(receiver.stored.size).to.equal((await ownReceipts(f)).length);
    });

    it("sends a root in chunks of maxPerRequest, in leaf order, each signed anew, and stamps it only after the last chunk was accepted", async function () {
      const root = await anchoredRoot(f);
      const own = (await ownReceipts(f)).map(withoutAnchored);
      expect(own.length).to.be.greaterThan(4);
      const p = publisher({ maxPerRequest: 2 });
      // The second chunk fails: the first was stored, the root is not stamped.
      receiver.fail("ok", DOWN);
      const failing = await p.round();
      expect(failing.published).to.deep.equal([]);
      expect(failing.stoppedBy?.code).to.equal("INDEXER_UNAVAILABLE");
      expect(receiver.taken.map((t) => t.answered)).to.deep.equal([200, 500]);
      expect(await published(db)).to.deep.equal({ [root]: false });
      // The next round sends the whole root again, from its first leaf.
      receiver.taken.length = 0;
      receiver.stored.clear();
      const round = await p.round();
      expect(round).to.deep.include({ published: [root], sent: own.length });
      const sizes = receiver.taken.map((t) => t.entries.length);
      expect(sizes).to.deep.equal(Array.from({ length: Math.ceil(own.length / 2) }, (_, i) => Math.min(2, own.length - 2 * i)));
      expect(receiver.taken.flatMap((t) => t.entries)).to.deep.equal(own);
      expect(new Set(receiver.taken.map((t) => t.nonce)).size).to.equal(receiver.taken.length);
      expect(await published(db)).to.deep.equal({ [root]: true });
    });

    it("keeps a root unpublished when the indexer is behind (409 not-found, the chain holding the root), fails (500), drops the connection or does not answer in time, and sends it again the next round with a fresh nonce", async function () {
      const root = await anchoredRoot(f);
      const p = publisher({ timeoutMs: 300, anchors: f.labCl.disclosures });
      const cases: [Failure, string, number][] = [
        [NOT_FOUND, "INDEXER_BEHIND", 409],
        [DOWN, "INDEXER_UNAVAILABLE", 500],
        ["drop", "INDEXER_UNAVAILABLE", 0],
        ["hang", "INDEXER_UNAVAILABLE", 0],
      ];
      for (const [failure, code, status] of cases) {
        receiver.fail(failure);
        const round = await p.round();
        expect(round.published, `after ${JSON.stringify(failure)}`).to.deep.equal([]);
        expect(round.stoppedBy).to.be.instanceOf(PublishError);
        expect(round.stoppedBy).to.deep.include({ code, status, root });
        expect(await published(db)).to.deep.equal({ [root]: false });
      }
      expect(errors.map((e) => (e as PublishError).code)).to.deep.equal(cases.map((c) => c[1]));
      expect((errors[0] as PublishError).diagnostics).to.equal(NOT_FOUND.diagnostics);
      expect((errors[3] as PublishError).message).to.contain("did not answer within 300 ms");
      expect((await p.round()).published).to.deep.equal([root]);
      expect(receiver.taken.map((t) => t.answered)).to.deep.equal([409, 500, "drop", "hang", 200]);
      expect(new Set(receiver.taken.map((t) => t.nonce)).size).to.equal(5);
      expect(receiver.stored.size).to.equal(receiver.taken[4].entries.length);
    });

    it("sets a root the indexer does not have (409 not-found) aside for the back-off and publishes the later roots in the same round; sends it again after the back-off, which doubles while the indexer still does not have it", async function () {
      const [first, second, third] = [await anchoredRoot(f), await anchoredRoot(f), await anchoredRoot(f)];
      receiver.fail(NOT_FOUND);
      const p = publisher({ backoff: { minMs: 500, maxMs: 10_000 } });
      const round = await p.round();
      expect(round.published).to.deep.equal([second, third]);
      expect(round.stoppedBy).to.equal(undefined);
      expect(round.failures).to.have.length(1);
      expect(round.failures[0]).to.deep.include({ code: "INDEXER_BEHIND", status: 409, issueCode: "not-found", diagnostics: NOT_FOUND.diagnostics, root: first });
      expect(errors).to.deep.equal(round.failures);
      expect(await published(db)).to.deep.equal({ [first]: false, [second]: true, [third]: true });
      // Within its back-off it is left alone; after it, sent again.
      expect(await p.round()).to.deep.equal({ published: [], sent: 0, failures: [], more: false });
      await new Promise((resolve) => setTimeout(resolve, 550));
      receiver.fail(NOT_FOUND);
      expect((await p.round()).failures.map((e) => [e.code, e.root])).to.deep.equal([["INDEXER_BEHIND", first]]);
      // Not found twice in a row: 1,000 ms now.
      await new Promise((resolve) => setTimeout(resolve, 550));
      expect(await p.round()).to.deep.equal({ published: [], sent: 0, failures: [], more: false });
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect((await p.round()).published).to.deep.equal([first]);
      expect(receiver.taken.map((t) => t.answered)).to.deep.equal([409, 200, 200, 409, 200]);
      expect(await p.unpublishedCount()).to.equal(0);
    });

    it("with the chain at hand, stops the round at a root the indexer does not have but the chain holds (the indexer is behind it, so behind every later root), correcting the root's block from the chain", async function () {
      const [first, second] = [await anchoredRoot(f), await anchoredRoot(f)];
      const block = async () => String((await db.pool.query("SELECT block_number FROM disclosure_roots WHERE root = $1", [first])).rows[0].block_number);
      const onChain = (await f.labCl.disclosures.anchorOf(first, LAB))!.blockNumber.toString();
      expect(await block()).to.equal(onChain);
      // As if a reorganization had moved the anchoring to another block.
      await db.pool.query("UPDATE disclosure_roots SET block_number = block_number - 1 WHERE root = $1", [first]);
      receiver.fail(NOT_FOUND);
      const p = publisher({ anchors: f.labCl.disclosures });
      const round = await p.round();
      expect(round.published).to.deep.equal([]);
      expect(round.stoppedBy).to.be.instanceOf(PublishError);
      expect(round.stoppedBy).to.deep.include({ code: "INDEXER_BEHIND", status: 409, issueCode: "not-found", root: first });
      expect(round.failures).to.deep.equal([round.stoppedBy]);
      expect(receiver.taken).to.have.length(1);
      expect(await published(db)).to.deep.equal({ [first]: false, [second]: false });
      expect(await block()).to.equal(onChain);
      // Not set aside: the next round starts with it.
      expect((await p.round()).published).to.deep.equal([first, second]);
    });

    it("with a chain that cannot be read (failing, or not answering in time), sets a root the indexer does not have aside and goes on, saying why the chain was not asked", async function () {
      const [first, second] = [await anchoredRoot(f), await anchoredRoot(f)];
      receiver.fail(NOT_FOUND);
      const p = publisher({
        anchors: {
          anchorOf: async () => {
            throw new Error("the node did not answer");
          },
        },
      });
      const round = await p.round();
      expect(round.published).to.deep.equal([second]);
      expect(round.stoppedBy).to.equal(undefined);
      expect(round.failures.map((e) => [e.code, e.root])).to.deep.equal([["INDEXER_BEHIND", first]]);
      expect(round.failures[0].message).to.contain("the chain could not be asked whether it still holds the root's anchoring: the node did not answer");
      expect(await published(db)).to.deep.equal({ [first]: false, [second]: true });
      // A node that does not answer is not waited for longer than a request.
      const third = await anchoredRoot(f);
      receiver.fail(NOT_FOUND);
      const hanging = publisher({ timeoutMs: 200, anchors: { anchorOf: () => new Promise(() => undefined) } });
      const started = Date.now();
      const next = await hanging.round();
      expect(Date.now() - started).to.be.lessThan(2_000);
      expect(next.published).to.deep.equal([third]);
      expect(next.failures.map((e) => [e.code, e.root])).to.deep.equal([["INDEXER_BEHIND", first]]);
      expect(next.failures[0].message).to.contain("the node did not answer within 200 ms");
    });

    it("moves a root the indexer does not have and whose anchoring the chain no longer holds (a reorganization dropped it) back to sending, publishes the later roots, and publishes it once the anchoring worker anchored it again", async function () {
      await released(f);
      const fork = await takeSnapshot();
      const lost = (await f.worker.round()).anchored[0];
      // The block anchoring it is reorganized away; the gateway's database still holds the root as anchored.
      await fork.restore();
      expect(await f.labCl.disclosures.anchorOf(lost, LAB)).to.equal(undefined);
      const later = await anchoredRoot(f);
      const state = async () => (await db.pool.query("SELECT state, published_at FROM disclosure_roots WHERE root = $1", [lost])).rows[0];
      expect(await state()).to.deep.equal({ state: "anchored", published_at: null });
      receiver.fail(NOT_FOUND);
      const p = publisher({ anchors: f.labCl.disclosures });
      const round = await p.round();
      expect(round.published).to.deep.equal([later]);
      expect(round.stoppedBy).to.equal(undefined);
      expect(round.failures).to.have.length(1);
      expect(round.failures[0]).to.deep.include({ code: "ROOT_UNANCHORED", status: 409, issueCode: "not-found", diagnostics: NOT_FOUND.diagnostics, root: lost });
      expect(round.failures[0].message).to.contain("the root is back to sending");
      expect(errors).to.deep.equal(round.failures);
      expect(await state()).to.deep.equal({ state: "sending", published_at: null });
      // GET /receipts no longer says its receipts are anchored; nothing of it is sent while it is not.
      const own = await ownReceipts(f);
      expect(new Set(own.filter((e) => e.root === lost).map((e) => e.anchored))).to.deep.equal(new Set([false]));
      expect(await p.round()).to.deep.equal({ published: [], sent: 0, failures: [], more: false });
      // The anchoring worker anchors it again (a sending root is re-sent): then it is published.
      await f.worker.flush();
      expect((await f.labCl.disclosures.anchorOf(lost, LAB))?.orgId).to.equal(LAB);
      expect((await state()).state).to.equal("anchored");
      expect((await p.round()).published).to.deep.equal([lost]);
      expect(receiver.stored.size).to.equal((await ownReceipts(f)).length);
      expect(new Set((await ownReceipts(f)).map((e) => e.anchored))).to.deep.equal(new Set([true]));
      expect(errors).to.have.length(1);
    });

    it("signs anew at once when the indexer says the nonce was seen before (409 duplicate)", async function () {
      const root = await anchoredRoot(f);
      receiver.fail(DUPLICATE);
      expect((await publisher().round()).published).to.deep.equal([root]);
      expect(receiver.taken.map((t) => t.answered)).to.deep.equal([409, 200]);
      expect(receiver.taken[0].nonce).not.to.equal(receiver.taken[1].nonce);
      expect(errors).to.deep.equal([]);
    });

    it("keeps a refused root (400) unpublished, reports the indexer's diagnostics, publishes the other roots, and sends it again after the long back-off", async function () {
      const first = await anchoredRoot(f);
      const second = await anchoredRoot(f);
      receiver.fail(MALFORMED);
      const p = publisher({ backoff: { refusedMs: 1_000 } });
      const round = await p.round();
      expect(round.published).to.deep.equal([second]);
      expect(round.stoppedBy).to.equal(undefined);
      expect(errors).to.have.length(1);
      const refused = errors[0] as PublishError;
      expect(refused).to.be.instanceOf(PublishError);
      expect(refused).to.deep.include({ code: "INDEXER_REFUSED", status: 400, issueCode: "invalid", diagnostics: MALFORMED.diagnostics, root: first });
      expect(refused.message).to.contain(MALFORMED.diagnostics);
      expect(await published(db)).to.deep.equal({ [first]: false, [second]: true });
      // Within the back-off it is left alone; after it, sent again (never dropped).
      expect(await p.round()).to.deep.equal({ published: [], sent: 0, failures: [], more: false });
      expect(await p.unpublishedCount()).to.equal(1);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      expect((await p.round()).published).to.deep.equal([first]);
      expect(await p.unpublishedCount()).to.equal(0);
    });

    it("stops the round when the indexer does not take the gateway's signature (401), leaving every root for later", async function () {
      const first = await anchoredRoot(f);
      const second = await anchoredRoot(f);
      receiver.fail({ status: 401, code: "security", diagnostics: "signer is not a member of organization 2" });
      const round = await publisher().round();
      expect(round.published).to.deep.equal([]);
      expect(round.stoppedBy).to.deep.include({ code: "INDEXER_UNAUTHORIZED", status: 401, root: first });
      expect(receiver.taken).to.have.length(1);
      expect(await published(db)).to.deep.equal({ [first]: false, [second]: false });
    });

    it("re-sends a root after a crash between the indexer's 200 and the stamp, and the receiver sees the same entries", async function () {
      const root = await anchoredRoot(f);
      // The stamp never lands, as if the process died right after the indexer answered.
      await db.pool.query(`CREATE FUNCTION crash_before_stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'crashed before the stamp'; END $$`);
      await db.pool.query("CREATE TRIGGER crash BEFORE UPDATE OF published_at ON disclosure_roots FOR EACH ROW EXECUTE FUNCTION crash_before_stamp()");
      try {
        expect((await rejection(publisher().round())).message).to.contain("crashed before the stamp");
      } finally {
        await db.pool.query("DROP TRIGGER crash ON disclosure_roots");
        await db.pool.query("DROP FUNCTION crash_before_stamp()");
      }
      expect(await published(db)).to.deep.equal({ [root]: false });
      expect(receiver.accepted()).to.have.length(1);
      // Restarted: the root is sent again, whole; the receiver already holds every receipt of it.
      const again = publisher();
      expect((await again.round()).published).to.deep.equal([root]);
      const [before, after] = receiver.accepted();
      expect(after.entries).to.deep.equal(before.entries);
      expect(receiver.stored.size).to.equal(before.entries.length);
      expect(await published(db)).to.deep.equal({ [root]: true });
    });

    it("leaves each root published when two publishers on one database both publish it", async function () {
      const roots = [await anchoredRoot(f), await anchoredRoot(f), await anchoredRoot(f)];
      const other = url === undefined ? db : await openDatabase({ url });
      try {
        receiver.delayMs = 30;
        const [a, b] = await Promise.all([publisher({ maxPerRequest: 3 }).round(), publisher({ maxPerRequest: 3 }, other).round()]);
        expect(new Set([...a.published, ...b.published])).to.deep.equal(new Set(roots));
        expect(await published(db)).to.deep.equal(Object.fromEntries(roots.map((r) => [r, true])));
        // Both sent (each root at least once, some twice); the receiver stored each receipt once.
        expect([a.sent > 0, b.sent > 0]).to.deep.equal([true, true]);
        expect(receiver.stored.size).to.equal((await ownReceipts(f)).length);
        expect(errors).to.deep.equal([]);
      } finally {
        if (other !== db) await other.close();
      }
    });

    it("sends every root again once the indexer answers as another instance (its database rebuilt), stamping each with the instance that took it; a root stamped before instances were recorded is sent once more", async function () {
      const roots = [await anchoredRoot(f), await anchoredRoot(f)];
      const p = publisher();
      expect((await p.round()).published).to.deep.equal(roots);
      expect(await publishedTo(db)).to.deep.equal({ [roots[0]]: "instance-1", [roots[1]]: "instance-1" });
      const sent = receiver.accepted().flatMap((t) => t.entries);
      // The indexer's database is replaced: a new instance, holding none of them.
      receiver.instance = "instance-2";
      receiver.stored.clear();
      receiver.taken.length = 0;
      expect(await p.round()).to.deep.equal({ published: roots, sent: sent.length, failures: [], more: false });
      expect(receiver.taken.flatMap((t) => t.entries)).to.deep.equal(sent);
      expect(receiver.stored.size).to.equal(sent.length);
      expect(await publishedTo(db)).to.deep.equal({ [roots[0]]: "instance-2", [roots[1]]: "instance-2" });
      // Held by the instance there is now: nothing is sent again, by this publisher or another.
      expect(await p.round()).to.deep.equal({ published: [], sent: 0, failures: [], more: false });
      expect(await publisher().flush(1_000)).to.equal(0);
      expect(receiver.taken).to.have.length(2);
      // A root stamped before this gateway recorded instances (migration 1797292800000) names none: sent once more.
      await db.pool.query("UPDATE disclosure_roots SET published_to = NULL WHERE root = $1", [roots[1]]);
      expect((await p.round()).published).to.deep.equal([roots[1]]);
      expect(await publishedTo(db)).to.deep.equal({ [roots[0]]: "instance-2", [roots[1]]: "instance-2" });
      expect(receiver.stored.size).to.equal(sent.length);
      expect(receiver.statusAsked).to.equal(5);
      expect(errors).to.deep.equal([]);
    });

    it("sends every root to another indexer (a new GATEWAY_INDEXER_URL) and stamps it with that indexer's instance; one that names no instance is known by its origin", async function () {
      const root = await anchoredRoot(f);
      expect((await publisher().round()).published).to.deep.equal([root]);
      const other = await Receiver.start(f.gateway.domain, f.labAdmin.address);
      try {
        other.instance = "other-1";
        const elsewhere = () => new ReceiptPublisher(f.labAdmin, db, LAB, f.gateway.domain, other.origin, { onError: (e) => errors.push(e) });
        expect((await elsewhere().round()).published).to.deep.equal([root]);
        expect(other.accepted().flatMap((t) => t.entries)).to.deep.equal(receiver.accepted().flatMap((t) => t.entries));
        expect(await publishedTo(db)).to.deep.equal({ [root]: "other-1" });
        expect((await elsewhere().round()).published).to.deep.equal([]);

        // An indexer from before instances: known by its origin, so the same address is the same indexer …
        other.instance = undefined;
        expect((await elsewhere().round()).published).to.deep.equal([root]);
        expect(await publishedTo(db)).to.deep.equal({ [root]: other.origin });
        expect((await elsewhere().round()).published).to.deep.equal([]);
        // … and another address another one (the first receiver, naming none now either).
        receiver.instance = undefined;
        expect((await publisher().round()).published).to.deep.equal([root]);
        expect(await publishedTo(db)).to.deep.equal({ [root]: receiver.origin });
        expect(other.accepted()).to.have.length(2);
        expect(receiver.accepted()).to.have.length(2);
        expect(other.refused).to.deep.equal([]);
        expect(errors).to.deep.equal([]);
      } finally {
        await other.close();
      }
    });

    it("stops the round, stamping nothing, when the indexer's 200 names another instance than its status did (replaced under the round), and sends every root to the new one the next round", async function () {
      const roots = [await anchoredRoot(f), await anchoredRoot(f)];
      receiver.answeredInstance = "instance-2";
      const p = publisher();
      const round = await p.round();
      expect(round.published).to.deep.equal([]);
      expect(round.stoppedBy).to.be.instanceOf(PublishError);
      expect(round.stoppedBy).to.deep.include({ code: "INDEXER_CHANGED", status: 200, root: roots[0] });
      expect(round.stoppedBy?.message).to.contain('as instance "instance-2", but the round started with instance "instance-1"');
      expect(receiver.taken).to.have.length(1);
      expect(await publishedTo(db)).to.deep.equal({ [roots[0]]: null, [roots[1]]: null });
      receiver.instance = "instance-2";
      receiver.answeredInstance = undefined;
      expect((await p.round()).published).to.deep.equal(roots);
      expect(await publishedTo(db)).to.deep.equal({ [roots[0]]: "instance-2", [roots[1]]: "instance-2" });
      // An indexer that named no instance at the round's start and names one in its answer (upgraded under it): changed too.
      const third = await anchoredRoot(f);
      receiver.instance = undefined;
      receiver.answeredInstance = "instance-3";
      expect((await p.round()).stoppedBy).to.deep.include({ code: "INDEXER_CHANGED", root: roots[0] });
      expect(await publishedTo(db)).to.deep.equal({ [roots[0]]: null, [roots[1]]: null, [third]: null });
      expect(errors.map((e) => (e as PublishError).code)).to.deep.equal(["INDEXER_CHANGED", "INDEXER_CHANGED"]);
    });

    it("asks the indexer which instance it is at the start of every round and backs off, sending nothing, when it does not answer or names no usable instance", async function () {
      const root = await anchoredRoot(f);
      receiver.failStatus({ status: 503, code: "transient", diagnostics: "the indexer is starting" });
      const p = publisher();
      const down = await p.round();
      expect(down).to.deep.include({ published: [], sent: 0, more: true });
      expect(down.stoppedBy).to.deep.include({ code: "INDEXER_UNAVAILABLE", status: 503, issueCode: "transient", diagnostics: "the indexer is starting", root: undefined });
      receiver.instance = "";
      const unnamed = await p.round();
      expect(unnamed.stoppedBy).to.deep.include({ code: "INDEXER_UNAVAILABLE", status: 200, root: undefined });
      expect(unnamed.stoppedBy?.message).to.contain('without an "instance" of 1 to 256 characters');
      expect(receiver.taken).to.deep.equal([]);
      expect(await publishedTo(db)).to.deep.equal({ [root]: null });
      receiver.instance = "instance-1";
      expect((await p.round()).published).to.deep.equal([root]);
      expect(receiver.statusAsked).to.equal(3);
      expect(errors.map((e) => (e as PublishError).code)).to.deep.equal(["INDEXER_UNAVAILABLE", "INDEXER_UNAVAILABLE"]);
    });

    it("runs rounds on its own once started, backing off while the indexer fails, and on stop publishes what is left within a bounded wait", async function () {
      const first = await anchoredRoot(f);
      receiver.fail(DOWN, NOT_FOUND);
      const p = publisher({ intervalMs: 50, backoff: { minMs: 50, maxMs: 200 } });
      p.start();
      try {
        expect(await eventually(async () => (await published(db))[first] === true, { withinMs: 10_000 }), "never published").to.equal(true);
        expect(receiver.taken.map((t) => t.answered)).to.deep.equal([500, 409, 200]);
        // Anchored at the last moment: the stop publishes it.
        const last = await anchoredRoot(f);
        expect(await p.stop(5_000)).to.equal(0);
        expect((await published(db))[last]).to.equal(true);
      } finally {
        await p.stop(0);
      }
      // An indexer that does not answer a round under way: the stop gives up after its wait, the root kept.
      const kept = await anchoredRoot(f);
      receiver.fail("hang", "hang", "hang");
      const hanging = publisher({ intervalMs: 20, timeoutMs: 60_000 });
      hanging.start();
      expect(await eventually(() => receiver.taken.some((t) => t.answered === "hang")), "no round started").to.equal(true);
      const started = Date.now();
      expect(await hanging.stop(400)).to.equal(1);
      expect(Date.now() - started).to.be.lessThan(3_000);
      expect((await published(db))[kept]).to.equal(false);
      expect((errors[errors.length - 1] as PublishError).message).to.contain("had not answered when the time to publish was up");
    });
  });
}

describe("gateway: the receipt publisher's configuration", function () {
  const env = { GATEWAY_SIGNER_KEY: "0x" + "11".repeat(32), GATEWAY_MASTER_KEY: "0x" + "4b".repeat(32) };

  it("publishes nothing without GATEWAY_INDEXER_URL, and takes the indexer's origin when it is set", function () {
    expect(gatewayConfig(env).indexerUrl).to.equal(undefined);
    expect(gatewayConfig({ ...env, GATEWAY_INDEXER_URL: "  " }).indexerUrl).to.equal(undefined);
    expect(gatewayConfig({ ...env, GATEWAY_INDEXER_URL: "https://Indexer.example:8443/" }).indexerUrl).to.equal("https://indexer.example:8443");
  });

  it("refuses a malformed GATEWAY_INDEXER_URL in one line naming it", function () {
    for (const value of ["indexer.example", "ftp://indexer.example", "https://indexer.example/api", "https://indexer.example/?x=1", "https://user:pw@indexer.example"]) {
      const err = (() => {
        try {
          gatewayConfig({ ...env, GATEWAY_INDEXER_URL: value });
        } catch (e) {
          return e as Error;
        }
        throw new Error(`${value} was taken`);
      })();
      expect(err, value).to.be.instanceOf(ValidationError);
      expect(err.message, value).to.match(/^GATEWAY_INDEXER_URL: /);
      expect(err.message).not.to.contain("\n");
    }
  });

  it("refuses a publisher that would send more than 1,024 receipts a request", async function () {
    const db = { pool: {} } as unknown as Database;
    const make = (maxPerRequest: number) => () => new ReceiptPublisher({} as never, db, LAB, {}, "http://127.0.0.1:1", { maxPerRequest });
    expect(make(MAX_RECEIPTS_PER_PUBLICATION + 1)).to.throw(ValidationError, /maxPerRequest/);
    expect(make(0)).to.throw(ValidationError, /maxPerRequest/);
    expect(make(MAX_RECEIPTS_PER_PUBLICATION)).not.to.throw();
  });
});

describe("[e2e] gateway: a malformed GATEWAY_INDEXER_URL at start", function () {
  const env = { GATEWAY_SIGNER_KEY: "0x" + "11".repeat(32), GATEWAY_MASTER_KEY: "0x" + "4b".repeat(32) };

  it("npm run gateway exits 1, printing one line naming the variable and no trace", function () {
    this.timeout(120_000);
    const root = path.join(__dirname, "../..");
    const r = spawnSync(process.execPath, [require.resolve("ts-node/dist/bin.js"), "--transpile-only", "gateway/main.ts"], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env, GATEWAY_INDEXER_URL: "indexer.example:8080" },
      encoding: "utf8",
      timeout: 110_000,
    });
    expect(r.status, r.stderr).to.equal(1);
    expect(r.stderr.trim().split("\n")).to.have.length(1);
    expect(r.stderr.trim()).to.match(/^gateway: GATEWAY_INDEXER_URL: "indexer\.example:8080" is not/);
  });
});
