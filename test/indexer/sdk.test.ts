/**
 * The SDK reading its histories from an indexer (`CareLedger.connect(runner, { indexer })`, sdk/core/indexer.ts,
 * the indexer's `GET /logs`), on PGlite and PostgreSQL, over a real socket: every history method gives
 * the same results as reading the chain alone — with the indexer at the head (no log read from the node at
 * all), behind it (the rest read from the node), paged one log at a time — and, when the indexer cannot
 * answer (stopped, halted), the node's; an indexer of another chain, or a query it refuses, is thrown.
 */
import { loadFixture, mine } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import type { FastifyInstance } from "fastify";
import hre from "hardhat";
import { JsonRpcProvider, type JsonRpcPayload, type JsonRpcResult } from "ethers";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CareLedger, CareLedgerError, IndexerUnavailableError, ValidationError, writeAddressBook, type IndexerOptions } from "../../sdk";
import { freePort } from "../../gateway/net";
import { buildIndexerApi } from "../../indexer/api";
import { openIndexerDatabase } from "../../indexer/db";
import { Indexer } from "../../indexer/sync";
import { scratchDatabase } from "../support/databases";
import { rejection } from "../support/rejection";
import { runLines } from "../support/tasks";
import { CODE, DAY, HOSPITAL, submissionOf, suiteFixture, today, USD, type SuiteFixture } from "../support/suiteFixture";
import { activity, LOCAL, servedIndexer, suiteOf } from "./support";

/** Consent, records, participants and claims activity: a grant, accesses and records in three rounds, and a paid claim. */
async function historySuite() {
  const f = await suiteFixture();
  for (const tag of ["a", "b", "c"]) await activity(f, tag);
  const insurer = await CareLedger.connect(f.insurerAdmin, { addressBook: f.book });
  await (await insurer.claims.fund({ planId: 1n, amount: 10_000n * USD })).wait();
  const hospital = await CareLedger.connect(f.hospitalAdmin, { addressBook: f.book });
  const serviceDate = (await today()) - DAY;
  const evidence = await (await hospital.records.anchor({ resource: { resourceType: "Encounter", id: "visit-1", status: "finished" } })).wait();
  const submitted = await (await hospital.claims.submit(submissionOf(1n, f.patient.address, serviceDate, evidence.commitment, [{ code: CODE.VISIT, units: 1, charged: 1_000n * USD }]))).wait();
  return { ...f, claimId: submitted.claimId };
}

/** Every history the SDK reads from logs, for the suite's patient, organizations, records and claim. */
async function histories(cl: CareLedger, f: SuiteFixture & { claimId: string }) {
  const anchored = await f.records.queryFilter(f.records.filters.RecordAnchored());
  return {
    accessLog: await cl.consent.accessLog(f.patient.address),
    grants: await cl.consent.grants(f.patient.address),
    history: await cl.consent.history(f.patient.address),
    delegates: await cl.consent.delegates(f.patient.address),
    members: await cl.participants.members(HOSPITAL),
    claim: await cl.claims.history(f.claimId),
    claims: await cl.claims.list({ planId: 1n, member: f.patient.address }),
    records: await Promise.all(anchored.map((e) => cl.records.history(e.args.recordId))),
    anchoring: await Promise.all(anchored.map((e) => cl.records.anchoringOrganizations(e.args.commitment))),
  };
}

/** A JSON-RPC provider on the Hardhat network that counts the node's eth_getLogs. */
class CountingProvider extends JsonRpcProvider {
  logQueries = 0;
  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const list = Array.isArray(payload) ? payload : [payload];
    const out: JsonRpcResult[] = [];
    for (const p of list) {
      if (p.method === "eth_getLogs") this.logQueries++;
      out.push({ id: p.id, result: await hre.network.provider.send(p.method, p.params as unknown[]) } as JsonRpcResult);
    }
    return out;
  }
}

for (const kind of ["PGlite", "PostgreSQL"] as const) {
  describe(`the SDK's histories from the indexer (${kind})`, function () {
    this.timeout(120_000);
    let f: SuiteFixture & { claimId: string };
    let drop: () => Promise<void>;
    let indexer: Indexer;
    let app: FastifyInstance;
    let url: string;
    let node: CountingProvider;
    /** `GET /logs` requests the indexer answered. */
    let logRequests = 0;

    const connect = (indexerOption?: string | IndexerOptions) => CareLedger.connect(node, { addressBook: f.book, ...(indexerOption === undefined ? {} : { indexer: indexerOption }) });

    beforeEach(async function () {
      f = await loadFixture(historySuite);
      ({ indexer, app, url, close: drop } = await servedIndexer(f, kind, LOCAL, (u) => void (u.startsWith("/logs") && logRequests++)));
      node = new CountingProvider(undefined, undefined, { staticNetwork: true, cacheTimeout: -1 });
    });
    afterEach(async function () {
      await drop?.();
    });

    it("gives every history exactly as the chain does, and reads no log from the node when the indexer is at the head", async function () {
      const fromChain = await histories(await connect(), f);
      expect(node.logQueries).to.be.greaterThan(0);
      expect(fromChain.accessLog).to.have.length(6);
      expect(fromChain.claim.submitter).to.not.equal(undefined);
      node.logQueries = 0;
      const fromIndexer = await histories(await connect(url), f);
      expect(node.logQueries, "eth_getLogs sent to the node").to.equal(0);
      expect(fromIndexer).to.deep.equal(fromChain);
    });

    it("reads the blocks the indexer has not reached from the node: new events are there, each once", async function () {
      await activity(f, "d");
      await mine(3);
      const fromChain = await histories(await connect(), f);
      node.logQueries = 0;
      const fromIndexer = await histories(await connect(url), f);
      expect(node.logQueries, "the tail is read from the node").to.be.greaterThan(0);
      expect(fromIndexer).to.deep.equal(fromChain);
      expect(fromIndexer.accessLog).to.have.length(8);
      // Caught up, the indexer answers it all again.
      await indexer.catchUp();
      node.logQueries = 0;
      expect(await histories(await connect(url), f)).to.deep.equal(fromChain);
      expect(node.logQueries).to.equal(0);
    });

    it("pages through the indexer's answer (one log a page) to the same result", async function () {
      const fromChain = await histories(await connect(), f);
      expect(await histories(await connect({ url, pageSize: 1 }), f)).to.deep.equal(fromChain);
    });

    it("reads the node when the indexer cannot answer (stopped, halted), and says so", async function () {
      const fromChain = await histories(await connect(), f);
      const passedOver: IndexerUnavailableError[] = [];
      const cl = await connect({ url, timeoutMs: 5_000, onUnavailable: (e) => passedOver.push(e) });
      // Halted: a reorganization deeper than its window is no answer to vouch for (503).
      const haltedDb = await scratchDatabase(kind, openIndexerDatabase);
      try {
        const shallow = await Indexer.open(hre.ethers.provider, haltedDb.db, suiteOf(f), { ...LOCAL, window: 1 });
        await shallow.catchUp();
        await haltedDb.db.pool.query("UPDATE indexed_blocks SET hash = '0x' || repeat('ab', 32)");
        await rejection(shallow.catchUp());
        expect(shallow.status().halted).to.be.a("string");
        const haltedApp = buildIndexerApi({ db: haltedDb.db, indexer: shallow, chainId: f.chainId, consentRegistry: f.book.contracts.ConsentRegistry });
        const port = await freePort();
        await haltedApp.listen({ host: "127.0.0.1", port });
        try {
          const onHalted = await connect({ url: `http://127.0.0.1:${port}`, onUnavailable: (e) => passedOver.push(e) });
          expect(await histories(onHalted, f)).to.deep.equal(fromChain);
          expect(passedOver.at(-1)!.message).to.match(/halted/);
        } finally {
          await haltedApp.close();
        }
      } finally {
        await haltedDb.drop();
      }
      passedOver.length = 0;
      await app.close();
      node.logQueries = 0;
      expect(await histories(cl, f)).to.deep.equal(fromChain);
      expect(node.logQueries).to.be.greaterThan(0);
      expect(passedOver.length).to.be.greaterThan(0);
      expect(passedOver[0]).to.be.instanceOf(IndexerUnavailableError);
      expect(passedOver[0].code).to.equal("INDEXER_UNAVAILABLE");
      expect(passedOver[0].message).to.include(url);
    });

    it("throws for an indexer of another chain, and for a query it refuses", async function () {
      const otherDb = await scratchDatabase(kind, openIndexerDatabase);
      try {
        const other = await Indexer.open(hre.ethers.provider, otherDb.db, { ...suiteOf(f), chainId: 11155111n }, LOCAL);
        await other.catchUp();
        const otherApp = buildIndexerApi({ db: otherDb.db, indexer: other, chainId: 11155111n, consentRegistry: f.book.contracts.ConsentRegistry });
        const port = await freePort();
        await otherApp.listen({ host: "127.0.0.1", port });
        try {
          const cl = await connect(`http://127.0.0.1:${port}`);
          const err = await rejection(cl.consent.accessLog(f.patient.address));
          expect(err).to.be.instanceOf(CareLedgerError);
          expect((err as CareLedgerError).code).to.equal("INDEXER_MISMATCH");
          expect(err.message).to.match(/indexes chain 11155111, not chain 31337/);
        } finally {
          await otherApp.close();
        }
      } finally {
        await otherDb.drop();
      }
      // A contract the indexer does not follow: its answer names why.
      const cl = await CareLedger.connect(node, { addressBook: f.book, addresses: { ConsentRegistry: await f.token.getAddress() }, indexer: url });
      const refused = await rejection(cl.consent.accessLog(f.patient.address));
      expect((refused as CareLedgerError).code).to.equal("INDEXER_REFUSED");
      expect(refused.message).to.match(/address: .* is not a contract of the suite this indexer follows/);
    });

    it("answers the history tasks (--indexer) as from the node, through the indexer", async function () {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "careledger-tasks-"));
      const previous = process.env.CARELEDGER_DEPLOYMENTS_DIR;
      writeAddressBook(f.book, dir);
      process.env.CARELEDGER_DEPLOYMENTS_DIR = dir;
      try {
        const anchored = await f.records.queryFilter(f.records.filters.RecordAnchored());
        const tasks: [string, Record<string, unknown>][] = [
          ["consent:history", { patient: f.patient.address, access: true }],
          ["consent:history", { patient: f.patient.address, access: false }],
          ["claims:list", { plan: "1", member: f.patient.address }],
          ["claims:status", { claim: f.claimId }],
          ["claims:eob", { claim: f.claimId, response: false }],
          ["records:history", { record: anchored[0].args.recordId }],
        ];
        for (const [task, args] of tasks) {
          // An EOB says when it was made: that is the one thing told apart.
          const lines = async (a: Record<string, unknown>) => (await runLines(task, a)).map((l) => l.replace(/"created": "[^"]+"/g, '"created": "…"'));
          const fromNode = await lines(args);
          expect(fromNode.length, task).to.be.greaterThan(0);
          const before = logRequests;
          expect(await lines({ ...args, indexer: url }), task).to.deep.equal(fromNode);
          expect(logRequests, `${task} asked the indexer`).to.be.greaterThan(before);
        }
      } finally {
        if (previous === undefined) delete process.env.CARELEDGER_DEPLOYMENTS_DIR;
        else process.env.CARELEDGER_DEPLOYMENTS_DIR = previous;
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it("checks the indexer option before reading anything (ValidationError naming the field)", async function () {
      for (const [option, field] of [
        ["not a url", "indexer.url"],
        ["ftp://127.0.0.1/", "indexer.url"],
        [{ url, timeoutMs: 0 }, "indexer.timeoutMs"],
        [{ url, pageSize: 5_001 }, "indexer.pageSize"],
      ] as const) {
        const err = await rejection(connect(option as string | IndexerOptions));
        expect(err, JSON.stringify(option)).to.be.instanceOf(ValidationError);
        expect(err.message).to.include(field);
      }
    });
  });
}
