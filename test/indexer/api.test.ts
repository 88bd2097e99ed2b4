/**
 * The indexer's query API (indexer/api.ts) over a real socket, on PGlite and PostgreSQL: events filtered
 * and paged by keyset cursors (every event once, in order), a cursor of another query refused, malformed
 * parameters refused naming them, a patient's access log as FHIR AuditEvents equal to what the SDK reads
 * from the chain, and `/ready` failing closed once the sync halted.
 */
import { loadFixture, mine, takeSnapshot } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre from "hardhat";
import { accessAuditEvent, CareLedger } from "../../sdk";
import type { Database } from "../../gateway/db";
import { Indexer } from "../../indexer/sync";
import { rejection } from "../support/rejection";
import { suiteFixture, type SuiteFixture } from "../support/suiteFixture";
import { SUITE_INTERFACES } from "../../indexer/decode";
import { zeroPadValue } from "ethers";
import { activity, servedIndexer } from "./support";

/** The suite with three rounds of activity (six logged accesses of the patient) spread over time. */
async function busySuite() {
  const f = await suiteFixture();
  for (const tag of ["a", "b", "c"]) {
    await activity(f, tag);
    await hre.network.provider.send("evm_increaseTime", [86_400]);
  }
  return f;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

for (const kind of ["PGlite", "PostgreSQL"] as const) {
  describe(`indexer API (${kind})`, function () {
    this.timeout(120_000);
    let f: SuiteFixture;
    let db: Database;
    let drop: () => Promise<void>;
    let indexer: Indexer;
    let base: string;
    const get = async (path: string): Promise<{ status: number; body: Json }> => {
      const res = await fetch(base + path);
      return { status: res.status, body: await res.json() };
    };
    /** Every page of `path`, following `next`. */
    const pages = async (path: string, pick: (body: Json) => { items: Json[]; next: string | null }) => {
      const out: Json[] = [];
      let at: string | null = path;
      let n = 0;
      while (at !== null) {
        const r = await get(at.startsWith("http") ? at.slice(base.length) : at);
        expect(r.status, at).to.equal(200);
        const { items, next } = pick(r.body);
        out.push(...items);
        at = next;
        if (++n > 50) throw new Error("no end of pages");
      }
      return { items: out, pages: n };
    };

    beforeEach(async function () {
      f = await loadFixture(busySuite);
      ({ db, indexer, url: base, close: drop } = await servedIndexer(f, kind, { confirmations: 0, window: 4 }));
    });
    afterEach(async function () {
      await drop();
    });

    it("pages events by keyset cursors: every matching event once, in chain order, whatever the page size", async function () {
      const all = (await db.pool.query("SELECT block_number, log_index FROM events WHERE patient = $1 ORDER BY block_number, log_index", [f.patient.address.toLowerCase()])).rows.map(
        (r) => `${r.block_number}:${r.log_index}`,
      );
      expect(all.length).to.be.greaterThan(8);
      for (const count of [1, 3, 500]) {
        const { items, pages: n } = await pages(`/events?patient=${f.patient.address}&_count=${count}`, (b) => ({ items: b.events, next: b.next }));
        expect(items.map((e: Json) => `${e.blockNumber}:${e.logIndex}`), `_count=${count}`).to.deep.equal(all);
        // No empty last page: a next link means a next event.
        expect(n).to.equal(Math.ceil(all.length / count));
      }
      // Filters combine: the ConsentRegistry's AccessLogged of the patient, in a time range.
      const accesses = (await get(`/events?contract=ConsentRegistry&event=AccessLogged&patient=${f.patient.address.toLowerCase()}`)).body.events;
      expect(accesses.map((e: Json) => e.args.recordRef.slice(0, 4))).to.deep.equal(["0xa1", "0xa2", "0xb1", "0xb2", "0xc1", "0xc2"]);
      const since = accesses[2].time;
      const until = accesses[4].time;
      const window = (await get(`/events?event=AccessLogged&patient=${f.patient.address}&since=${since}&until=${new Date(until * 1000).toISOString()}`)).body.events;
      expect(window.map((e: Json) => e.args.recordRef.slice(0, 4))).to.deep.equal(["0xb1", "0xb2"]);
    });

    it("refuses a cursor of another query and malformed parameters (400 OperationOutcome naming the parameter)", async function () {
      const first = await get(`/events?patient=${f.patient.address}&_count=2`);
      const cursor = new URL(first.body.next, base).searchParams.get("_cursor")!;
      const cases: [string, string][] = [
        [`/events?event=AccessLogged&_cursor=${cursor}`, "_cursor"],
        [`/patients/${f.patient.address}/access-log?_cursor=${cursor}`, "_cursor"],
        ["/events?_cursor=not-a-cursor", "_cursor"],
        ["/events?patient=0x1234", "patient"],
        ["/events?org=-1", "org"],
        ["/events?claim=0xabc", "claim"],
        ["/events?since=yesterday", "since"],
        ["/events?_count=0", "_count"],
        ["/events?_count=501", "_count"],
        ["/events?contract=Nope", "contract"],
        ["/events?event=Transfer", "event"],
        ["/events?page=2", "page"],
        ["/events?org=1&org=2", "org"],
        ["/patients/0xnope/access-log", "patient"],
      ];
      for (const [path, parameter] of cases) {
        const r = await get(path);
        expect([r.status, r.body.resourceType, r.body.issue?.[0]?.expression], path).to.deep.equal([400, "OperationOutcome", [parameter]]);
      }
      // The same query pages on with it.
      expect((await get(`/events?patient=${f.patient.address}&_count=2&_cursor=${cursor}`)).status).to.equal(200);
    });

    it("answers a contract's logs as the node does (GET /logs), paged to the block its first page was read to", async function () {
      const registry = f.book.contracts.ConsentRegistry;
      const topic0 = SUITE_INTERFACES.ConsentRegistry.getEvent("AccessLogged")!.topicHash;
      const patientTopic = zeroPadValue(f.patient.address, 32).toLowerCase();
      const node = await hre.ethers.provider.getLogs({ address: registry, topics: [topic0, patientTopic], fromBlock: 0 });
      expect(node).to.have.length(6);
      const head = await hre.ethers.provider.getBlockNumber();
      const { items, pages: n } = await pages(`/logs?address=${registry}&topic0=${topic0}&topic1=${patientTopic},${zeroPadValue(f.patient2.address, 32)}&_count=4`, (b) => {
        expect(b.chainId).to.equal(f.chainId.toString());
        expect(b.head).to.equal(head);
        return { items: b.logs, next: b.next };
      });
      expect(n).to.equal(2);
      const asNode = (l: Json) => ({ blockNumber: l.blockNumber, blockHash: l.blockHash, transactionHash: l.transactionHash, transactionIndex: l.transactionIndex, index: l.logIndex ?? l.index, address: l.address.toLowerCase(), topics: [...l.topics], data: l.data });
      expect(items.map(asNode)).to.deep.equal(node.map(asNode));
      // Events after the first page are not in the pages after it: they end at the block the first was read to.
      const first = await get(`/logs?address=${registry}&topic0=${topic0}&_count=1`);
      expect(new URL(first.body.next, base).searchParams.get("toBlock")).to.equal(String(head));
      await activity(f, "d");
      await indexer.catchUp();
      const rest = await pages(first.body.next, (b) => ({ items: b.logs, next: b.next }));
      expect(rest.items.every((l: Json) => l.blockNumber <= head)).to.equal(true);
      expect(1 + rest.items.length).to.equal(node.length);
      // Refusals name the parameter; a cursor is bound to its query (toBlock included).
      const cursor = new URL(first.body.next, base).searchParams.get("_cursor")!;
      const cases: [string, string][] = [
        ["/logs", "address"],
        [`/logs?address=${f.book.contracts.ConsentRegistry.slice(0, 10)}`, "address"],
        [`/logs?address=${f.patient.address}&topic0=${topic0}`, "address"],
        [`/logs?address=${registry}&topic1=${patientTopic}`, "topic0"],
        [`/logs?address=${registry}&topic0=${topic0}&topic1=0x12`, "topic1"],
        [`/logs?address=${registry}&topic0=${topic0},nope`, "topic0"],
        [`/logs?address=${registry}&topic0=${topic0}&fromBlock=-1`, "fromBlock"],
        [`/logs?address=${registry}&topic0=${topic0}&fromBlock=9&toBlock=8`, "toBlock"],
        [`/logs?address=${registry}&topic0=${topic0}&_count=5001`, "_count"],
        [`/logs?address=${registry}&topic0=${topic0}&event=AccessLogged`, "event"],
        [`/logs?address=${registry}&topic0=${topic0}&toBlock=${head - 1}&_cursor=${cursor}`, "_cursor"],
        [`/logs?address=${registry}&topic0=${topic0}&_cursor=${cursor}`, "_cursor"],
      ];
      for (const [path, parameter] of cases) {
        const r = await get(path);
        expect([r.status, r.body.resourceType, r.body.issue?.[0]?.expression], path).to.deep.equal([400, "OperationOutcome", [parameter]]);
      }
    });

    it("answers a patient's access log as FHIR AuditEvents, equal to what the SDK reads from the chain, page by page", async function () {
      const sdk = await CareLedger.connect(hre.ethers.provider, { addressBook: f.book });
      const fromChain = await sdk.consent.accessLog(f.patient.address);
      expect(fromChain).to.have.length(6);
      const { items } = await pages(`/patients/${f.patient.address}/access-log?_count=4`, (b) => {
        expect(b.resourceType).to.equal("Bundle");
        return { items: b.entry, next: b.link.find((l: Json) => l.relation === "next")?.url ?? null };
      });
      const source = { chainId: f.chainId, registry: f.book.contracts.ConsentRegistry };
      expect(items.map((e: Json) => e.resource)).to.deep.equal(fromChain.map((r, i) => accessAuditEvent(r, source, items[i].resource.id)));
      expect(items[0].resource).to.deep.include({ resourceType: "AuditEvent", action: "R" });
      // Another patient's log holds none of these.
      expect((await get(`/patients/${f.patient2.address}/access-log`)).body.entry).to.deep.equal([]);
    });

    it("says where it stands, and answers /ready 503 once the sync halted (a reorganization deeper than its window)", async function () {
      expect((await get("/status")).body).to.include({ percent: 100 });
      expect((await get("/ready")).status).to.equal(200);
      const fork = await takeSnapshot();
      await mine(10);
      await activity(f, "d");
      await indexer.catchUp();
      await fork.restore();
      await activity(f, "e");
      await mine(20);
      await rejection(indexer.step());
      const ready = await get("/ready");
      expect([ready.status, ready.body.status, ready.body.halted]).to.deep.equal([503, "unavailable", indexer.status().halted]);
      expect((await get("/nowhere")).body.resourceType).to.equal("OperationOutcome");
    });
  });
}
