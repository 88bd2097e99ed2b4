/**
 * Outside review of issue 15, parts 5 and 6: the SDK reading its histories from an indexer
 * (`CareLedger.connect(runner, { indexer })`, sdk/core/indexer.ts, ManagedClient.logs) and the indexer's
 * `GET /logs`. Each `FINDING (fixed):` test states what an integrator would expect and failed on the product
 * as it was reviewed (each now passes: sdk/core/indexer.ts checks every answer against its query, keeps its
 * own URL's path and query, takes only the cursor of a next link, reads a rollback between pages as no
 * answer; ManagedClient.logs checks the range first); each `HOLDS:` test is something tried that holds.
 *
 * The claim under review: every history method returns exactly what it returns without an indexer, in every
 * situation (at head, behind, paging, stopped, halted, rolled back, another chain, a contract not followed).
 */
import { loadFixture, mine } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre from "hardhat";
import * as http from "node:http";
import { CareLedger, CareLedgerError, IndexerUnavailableError, ValidationError, type IndexerOptions } from "../../sdk";
import { freePort } from "../../gateway/net";
import { buildIndexerApi } from "../../indexer/api";
import { openIndexerDatabase } from "../../indexer/db";
import { Indexer } from "../../indexer/sync";
import { scratchDatabase } from "../support/databases";
import { rejection } from "../support/rejection";
import { suiteFixture, type SuiteFixture } from "../support/suiteFixture";
import { activity, LOCAL, servedIndexer, suiteOf } from "./support";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { writeAddressBook } from "../../sdk";
import { runLines } from "../support/tasks";

/** A small HTTP server answering with `handle`; it records every path asked. */
async function fakeServer(handle: (req: http.IncomingMessage) => Promise<{ status: number; body: string; type?: string }>) {
  const paths: string[] = [];
  const server = http.createServer((req, res) => {
    paths.push(req.url ?? "");
    handle(req).then(
      (r) => {
        res.writeHead(r.status, { "content-type": r.type ?? "application/json" });
        res.end(r.body);
      },
      (err) => {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end(String(err));
      },
    );
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${port}`, port, paths, close: () => new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  }) };
}

/** The suite with one round of activity (a grant, two accesses, a record) and a second patient with none. */
async function reviewSuite() {
  const f = await suiteFixture();
  await activity(f, "a");
  return f;
}

describe("review: the SDK's histories from an indexer (issue 15, parts 5 and 6)", function () {
  this.timeout(120_000);
  let f: SuiteFixture;
  let drop: () => Promise<void>;
  let indexer: Indexer;
  let url: string;
  const servers: { close: () => Promise<void> }[] = [];

  const connect = (indexerOption?: string | IndexerOptions) =>
    CareLedger.connect(f.patient, { addressBook: f.book, ...(indexerOption === undefined ? {} : { indexer: indexerOption }) });

  /** GET `path` of the real indexer, as JSON. */
  const real = async (path: string) => {
    const res = await fetch(url + path);
    return { status: res.status, json: (await res.json()) as { chainId: string; head: number; logs: unknown[]; next: string | null } };
  };

  beforeEach(async function () {
    f = await loadFixture(reviewSuite);
    ({ indexer, url, close: drop } = await servedIndexer(f, "PGlite"));
  });
  afterEach(async function () {
    for (const s of servers.splice(0)) await s.close();
    await drop?.();
  });

  // ---------------------------------------------------------------------------------------------------------
  // Ranges
  // ---------------------------------------------------------------------------------------------------------

  it("FINDING (fixed): a history read from a block after the head (an integrator polling 'what is new since my last read') throws INDEXER_REFUSED instead of giving []", async function () {
    const head = await hre.ethers.provider.getBlockNumber();
    const next = { fromBlock: head + 1 };
    // Without an indexer: nothing new yet.
    const plain = await connect();
    expect(await plain.consent.accessLog(f.patient.address, next)).to.deep.equal([]);
    expect(await plain.consent.history(f.patient.address, next)).to.deep.equal([]);
    expect(await plain.consent.grants(f.patient.address, next)).to.deep.equal([]);
    // With one: the SDK sends fromBlock = head + 1, toBlock = head, which /logs refuses (400) and the SDK throws.
    const withIndexer = await connect(url);
    const results = await Promise.allSettled([
      withIndexer.consent.accessLog(f.patient.address, next),
      withIndexer.consent.history(f.patient.address, next),
      withIndexer.consent.grants(f.patient.address, next),
    ]);
    const failures = results.flatMap((r) => (r.status === "rejected" ? [String((r.reason as Error).message)] : []));
    expect(failures, "the same read that gives [] from the node").to.deep.equal([]);
  });

  it("FINDING (fixed): an explicit range with toBlock before fromBlock gives [] without an indexer and throws INDEXER_REFUSED with one", async function () {
    const range = { fromBlock: 20, toBlock: 10 };
    expect(await (await connect()).consent.accessLog(f.patient.address, range)).to.deep.equal([]);
    const withIndexer = await connect(url);
    const out = await withIndexer.consent.accessLog(f.patient.address, range).catch((e: Error) => e);
    expect(out, "the node's answer for the same range").to.deep.equal([]);
  });

  it("FINDING (fixed): a negative fromBlock is a ValidationError naming fromBlock without an indexer, but INDEXER_REFUSED (the indexer's 400) with one", async function () {
    const range = { fromBlock: -1 };
    const plain = await rejection((await connect()).consent.accessLog(f.patient.address, range));
    expect(plain).to.be.instanceOf(ValidationError);
    const withIndexer = await rejection((await connect(url)).consent.accessLog(f.patient.address, range));
    expect(withIndexer.constructor.name, withIndexer.message).to.equal(plain.constructor.name);
  });

  it("HOLDS: an explicit toBlock inside the history, and a fromBlock between events, give the node's answer", async function () {
    await activity(f, "b");
    await indexer.catchUp();
    await activity(f, "c");
    const head = await hre.ethers.provider.getBlockNumber();
    const plain = await connect();
    const withIndexer = await connect({ url, pageSize: 1 });
    const all = await plain.consent.accessLog(f.patient.address);
    for (const range of [
      { toBlock: all[1].blockNumber },
      { fromBlock: all[1].blockNumber, toBlock: all[3].blockNumber },
      { fromBlock: all[2].blockNumber },
      { fromBlock: head, toBlock: head },
      { fromBlock: all[3].blockNumber, toBlock: "latest" as const },
    ]) {
      expect(await withIndexer.consent.accessLog(f.patient.address, range), JSON.stringify(range)).to.deep.equal(await plain.consent.accessLog(f.patient.address, range));
      expect(await withIndexer.consent.history(f.patient.address, range), JSON.stringify(range)).to.deep.equal(await plain.consent.history(f.patient.address, range));
    }
  });

  // ---------------------------------------------------------------------------------------------------------
  // Where the SDK sends its requests
  // ---------------------------------------------------------------------------------------------------------

  it("FINDING (fixed): an indexer URL with a path (behind a reverse proxy, https://host/indexer) is not honoured: the SDK asks /logs at the host's root, gets the proxy's 404 page and silently reads the node", async function () {
    // A reverse proxy serving the indexer under /indexer/ and an HTML 404 elsewhere (as nginx does).
    const proxy = await fakeServer(async (req) => {
      if (req.url?.startsWith("/indexer/")) {
        const r = await fetch(url + req.url.slice("/indexer".length));
        return { status: r.status, body: await r.text() };
      }
      return { status: 404, body: "<html><body><h1>404 Not Found</h1></body></html>", type: "text/html" };
    });
    servers.push(proxy);
    const passedOver: string[] = [];
    const cl = await connect({ url: `${proxy.url}/indexer`, onUnavailable: (e) => passedOver.push(e.message) });
    expect(await cl.consent.accessLog(f.patient.address)).to.deep.equal(await (await connect()).consent.accessLog(f.patient.address));
    expect({ asked: proxy.paths.map((p) => p.split("?")[0]), passedOver }).to.deep.equal({ asked: ["/indexer/logs"], passedOver: [] });
  });

  it("FINDING (fixed): the SDK follows a `next` link to another host, sending the patient's address (topic1) there", async function () {
    const other = await fakeServer(async (req) => {
      const r = await fetch(url + (req.url ?? ""));
      return { status: r.status, body: await r.text() };
    });
    servers.push(other);
    // An indexer (or a proxy in front of it) whose next links point elsewhere.
    const indexerish = await fakeServer(async (req) => {
      const r = await real(req.url ?? "");
      if (r.json.next !== null) r.json.next = other.url + r.json.next;
      return { status: r.status, body: JSON.stringify(r.json) };
    });
    servers.push(indexerish);
    const cl = await connect({ url: indexerish.url, pageSize: 1 });
    await cl.consent.accessLog(f.patient.address);
    const patientTopic = "0x" + f.patient.address.slice(2).toLowerCase().padStart(64, "0");
    expect(
      other.paths.filter((p) => p.includes(patientTopic)),
      "requests with the patient's address sent to a host other than the indexer's",
    ).to.deep.equal([]);
  });

  it("FINDING (fixed): an endless chain of `next` links (the same link again, empty pages) is followed without bound", async function () {
    let asked = 0;
    const head = await hre.ethers.provider.getBlockNumber();
    const loop = await fakeServer(async () => {
      asked++;
      return { status: 200, body: JSON.stringify({ chainId: f.chainId.toString(), head, logs: [], next: asked < 300 ? "/logs?again=1" : null }) };
    });
    servers.push(loop);
    const cl = await connect({ url: loop.url });
    await cl.consent.accessLog(f.patient.address).catch(() => undefined);
    expect(asked < 300, `${asked} pages asked for one history, the same next link every time`).to.equal(true);
  });

  // ---------------------------------------------------------------------------------------------------------
  // What the indexer answers
  // ---------------------------------------------------------------------------------------------------------

  it("FINDING (fixed): a reorganization between two pages gives a history mixing both forks: an access the chain no longer has is in the patient's access log", async function () {
    const sdk = (signer: typeof f.doctor) => CareLedger.connect(signer, { addressBook: f.book });
    const doctor = await sdk(f.doctor);
    const access = async (tag: string) =>
      (await doctor.consent.logAccess({ patient: f.patient.address, dataClass: "labs", purpose: "TREAT", recordRef: "0x" + tag.padEnd(64, "0") })).wait();
    const fork = (await hre.network.provider.send("evm_snapshot", [])) as string;
    await access("a1"); // the fork that will be dropped: two accesses in two blocks
    await access("a2");
    await indexer.catchUp();
    let pages = 0;
    const realFetch = globalThis.fetch;
    globalThis.fetch = (async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
      if (String(input).includes("/logs?")) {
        pages++;
        // After the page holding "a1" (the activity's two accesses, then a1): the chain reorganizes under the
        // read, to three other accesses, and the indexer rolls back and follows it.
        if (pages === 4) {
          globalThis.fetch = realFetch;
          await hre.network.provider.send("evm_revert", [fork]);
          for (const t of ["b1", "b2", "b3"]) await access(t);
          const r = await indexer.catchUp();
          expect(r.rollbacks, "the indexer rolled back").to.equal(1);
        }
      }
      return realFetch(input, init);
    }) as typeof fetch;
    let log;
    try {
      log = await (await connect({ url, pageSize: 1 })).consent.accessLog(f.patient.address);
    } finally {
      globalThis.fetch = realFetch;
    }
    expect(pages).to.be.greaterThan(3);
    const gone: string[] = [];
    for (const r of log) if ((await hre.ethers.provider.getTransactionReceipt(r.txHash)) === null) gone.push(`${r.recordRef} in block ${r.blockNumber}`);
    expect(gone, "accesses returned that are not on the chain").to.deep.equal([]);
  });

  it("FINDING (fixed): an indexer answer with a chainId that is not a number escapes as a plain SyntaxError (neither INDEXER_UNAVAILABLE with the node's answer nor a CareLedgerError)", async function () {
    const bad = await fakeServer(async (req) => {
      const r = await real(req.url ?? "");
      return { status: 200, body: JSON.stringify({ ...r.json, chainId: "hardhat" }) };
    });
    servers.push(bad);
    const out = await (await connect(bad.url)).consent.accessLog(f.patient.address).catch((e: Error) => e);
    expect(out, out instanceof Error ? `${out.constructor.name}: ${out.message}` : "").to.satisfy((o: unknown) => Array.isArray(o) || o instanceof CareLedgerError);
  });

  it("FINDING (fixed): logs the query did not ask for (an indexer that ignores topic1) are taken as they come: another patient's accesses appear in this patient's access log", async function () {
    // An indexer that does not filter on topic1 (an older or broken version): the SDK does not check the
    // logs against the topics it asked for, their address, or the block range.
    const sloppy = await fakeServer(async (req) => {
      const u = new URL(req.url ?? "", "http://x");
      u.searchParams.delete("topic1");
      const r = await real(u.pathname + u.search);
      return { status: r.status, body: JSON.stringify(r.json) };
    });
    servers.push(sloppy);
    const nodeAnswer = await (await connect()).consent.accessLog(f.patient2.address);
    expect(nodeAnswer).to.deep.equal([]);
    const fromIndexer = await (await connect(sloppy.url)).consent.accessLog(f.patient2.address);
    expect(fromIndexer.map((r) => r.patient), "patients in patient2's access log").to.deep.equal([]);
  });

  it("HOLDS: answers of the wrong shape (head a string, a topic a number, a 200 that is not JSON, a 503) fall back to the node's answer and are reported", async function () {
    const expected = await (await connect()).consent.accessLog(f.patient.address);
    const variants: ((j: Record<string, unknown>) => { status: number; body: string; type?: string })[] = [
      (j) => ({ status: 200, body: JSON.stringify({ ...j, head: String(j.head) }) }),
      (j) => ({ status: 200, body: JSON.stringify({ ...j, logs: (j.logs as Record<string, unknown>[]).map((l) => ({ ...l, topics: [1] })) }) }),
      () => ({ status: 200, body: "<html>", type: "text/html" }),
      () => ({ status: 503, body: JSON.stringify({ resourceType: "OperationOutcome" }) }),
    ];
    for (const [i, v] of variants.entries()) {
      const s = await fakeServer(async (req) => v((await real(req.url ?? "")).json as unknown as Record<string, unknown>));
      servers.push(s);
      const passedOver: IndexerUnavailableError[] = [];
      expect(await (await connect({ url: s.url, onUnavailable: (e) => passedOver.push(e) })).consent.accessLog(f.patient.address), `variant ${i}`).to.deep.equal(expected);
      expect(passedOver, `variant ${i}`).to.have.length(1);
    }
  });

  it("HOLDS: an indexer that never answers is passed over after timeoutMs", async function () {
    const hang = await fakeServer(() => new Promise(() => undefined));
    servers.push(hang);
    const expected = await (await connect()).consent.accessLog(f.patient.address);
    const started = Date.now();
    const passedOver: string[] = [];
    expect(await (await connect({ url: hang.url, timeoutMs: 300, onUnavailable: (e) => passedOver.push(e.message) })).consent.accessLog(f.patient.address)).to.deep.equal(expected);
    expect(Date.now() - started).to.be.below(5_000);
    expect(passedOver[0]).to.match(/no answer in 300 ms/);
  });

  it("HOLDS: paging one log a page while the indexer moves on between pages ends where the first page did, and equals the node's answer", async function () {
    await activity(f, "b");
    await indexer.catchUp();
    const realFetch = globalThis.fetch;
    let pages = 0;
    globalThis.fetch = (async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
      if (String(input).includes("/logs?") && ++pages === 2) {
        await activity(f, "c");
        await indexer.catchUp();
      }
      return realFetch(input, init);
    }) as typeof fetch;
    let paged;
    const last = await hre.ethers.provider.getBlockNumber();
    try {
      paged = await (await connect({ url, pageSize: 1 })).consent.accessLog(f.patient.address, { toBlock: last });
    } finally {
      globalThis.fetch = realFetch;
    }
    expect(paged).to.deep.equal(await (await connect()).consent.accessLog(f.patient.address, { toBlock: last }));
    expect(paged).to.have.length(4);
  });

  it("HOLDS: /logs refuses injection and malformed parameters with a 400 naming them, and a cursor of another query", async function () {
    const a = f.book.contracts.ConsentRegistry;
    const t = "0x" + "ab".repeat(32);
    for (const [q, name] of [
      [`address=${a}&topic0=${t}'%20OR%201=1--`, "topic0"],
      [`address=${a}&topic0=${t}&topic1=${t},`, "topic1"],
      [`address=${a}'--`, "address"],
      [`address=${a}&topic1=${t}`, "topic0"],
      [`address=${a}&topic0=${t}&fromBlock=1e3`, "fromBlock"],
      [`address=${a}&topic0=${t}&fromBlock=-1`, "fromBlock"],
      [`address=${a}&topic0=${t}&toBlock=99999999999999999999`, "toBlock"],
      [`address=${a}&topic0=${t}&_count=5001`, "_count"],
      [`address=${a}&topic4=${t}`, "topic4"],
      [`address=${a}&topic0=${t}&topic0=${t}`, "topic0"],
      [`address=${a}&topic0=${t}&_cursor=eyJiIjoxLCJsIjowLCJxIjoieCJ9`, "_cursor"],
    ] as const) {
      const res = await fetch(`${url}/logs?${q}`);
      expect(res.status, q).to.equal(400);
      expect(JSON.stringify(await res.json()), q).to.include(name);
    }
    // Many topics (one position, OR'ed): answered, bounded by the URL length the server accepts.
    const many = Array.from({ length: 150 }, (_, i) => "0x" + i.toString(16).padStart(64, "0")).join(",");
    const res = await fetch(`${url}/logs?address=${a}&topic0=${t}&topic1=${many}`);
    expect(res.status).to.equal(200);
  });

  it("HOLDS: the indexer behind by a few blocks, with events in the block right after its head and in its head block: every history as the node's", async function () {
    await activity(f, "b");
    const midway = await hre.ethers.provider.getBlockNumber();
    await activity(f, "c");
    await mine(2);
    // An indexer stopped at a block holding events (midway): the rest from the node, each once.
    const { db: db2, drop: drop2 } = await scratchDatabase("PGlite", openIndexerDatabase);
    try {
      const behind = await Indexer.open(hre.ethers.provider, db2, suiteOf(f), { ...LOCAL, batchBlocks: 1 });
      while (behind.status().nextBlock <= midway) await behind.step();
      expect(behind.status().nextBlock).to.equal(midway + 1);
      const api = buildIndexerApi({ db: db2, indexer: behind, chainId: f.chainId, consentRegistry: f.book.contracts.ConsentRegistry });
      const port = await freePort();
      await api.listen({ host: "127.0.0.1", port });
      try {
        const plain = await connect();
        const cl = await connect({ url: `http://127.0.0.1:${port}`, pageSize: 1 });
        expect(await cl.consent.accessLog(f.patient.address)).to.deep.equal(await plain.consent.accessLog(f.patient.address));
        expect(await cl.consent.history(f.patient.address)).to.deep.equal(await plain.consent.history(f.patient.address));
        expect(await cl.consent.grants(f.patient.address)).to.deep.equal(await plain.consent.grants(f.patient.address));
      } finally {
        await api.close();
      }
    } finally {
      await drop2();
    }
  });
  it("HOLDS: a history task with an indexer that cannot be reached prints the node's answer and warns once on stderr", async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "careledger-review-"));
    const previous = process.env.CARELEDGER_DEPLOYMENTS_DIR;
    writeAddressBook(f.book, dir);
    process.env.CARELEDGER_DEPLOYMENTS_DIR = dir;
    const warnings: string[] = [];
    const error = console.error;
    try {
      const args = { patient: f.patient.address, access: false };
      const fromNode = await runLines("consent:history", args);
      console.error = (...parts: unknown[]) => void warnings.push(parts.map(String).join(" "));
      const down = `http://127.0.0.1:${await freePort()}`;
      expect(await runLines("consent:history", { ...args, indexer: down })).to.deep.equal(fromNode);
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.match(/^warning: the indexer at .* could not answer/);
    } finally {
      console.error = error;
      if (previous === undefined) delete process.env.CARELEDGER_DEPLOYMENTS_DIR;
      else process.env.CARELEDGER_DEPLOYMENTS_DIR = previous;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
