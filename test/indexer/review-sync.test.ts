/**
 * Outside review of the indexer's sync (indexer/sync.ts): attacks on its reorganization handling, its
 * resume point, its two-instance conflict path and its decoding. "FINDING: …" tests fail against the code
 * reviewed (a confirmed problem); "HOLDS: …" tests are attacks that did not break it.
 */
import { loadFixture, mine, takeSnapshot, type SnapshotRestorer } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import fc from "fast-check";
import { BrowserProvider, isAddress, type Eip1193Provider } from "ethers";
import hre from "hardhat";
import { CareLedger } from "../../sdk";
import type { Database } from "../../gateway/db";
import { openIndexerDatabase } from "../../indexer/db";
import { SUITE_INTERFACES } from "../../indexer/decode";
import { Indexer, IndexerHaltedError, type IndexerOptions } from "../../indexer/sync";
import { scratchDatabase, scratchDatabasePerTest } from "../support/databases";
import { rejection } from "../support/rejection";
import type { SuiteFixture } from "../support/suiteFixture";
import { activity, hookedTransactions, LOCAL, onChain, stored, suiteOf, suiteWithActivity } from "./support";

/** One logged access: one block holding one AccessLogged event. */
async function access(f: SuiteFixture, ref: string) {
  const doctor = await CareLedger.connect(f.doctor, { addressBook: f.book });
  await (await doctor.consent.logAccess({ patient: f.patient.address, dataClass: "labs", purpose: "TREAT", recordRef: "0x" + ref.padEnd(64, "0") })).wait();
}

const count = async (db: Database, sql: string) => Number((await db.pool.query(sql)).rows[0].n);

/**
 * The in-process node behind an EIP-1193 wrapper: `hooks.afterGetLogs` runs once after the next
 * `eth_getLogs` answered (a reorganization while a batch is read), `hooks.syncing` makes the node answer as
 * one restarted and syncing from genesis (head 0, no blocks). `cache` is ethers' own (250 ms by default).
 */
function wrappedNode(cache: boolean) {
  const hooks: { afterGetLogs?: () => Promise<void>; syncing?: boolean } = {};
  const node: Eip1193Provider = {
    request: async ({ method, params }: { method: string; params?: unknown[] | Record<string, unknown> }) => {
      if (hooks.syncing && method === "eth_blockNumber") return "0x0";
      if (hooks.syncing && method === "eth_getBlockByNumber") return null;
      const out = await hre.network.provider.request({ method, params: params as unknown[] });
      if (method === "eth_getLogs" && hooks.afterGetLogs !== undefined) {
        const h = hooks.afterGetLogs;
        hooks.afterGetLogs = undefined;
        await h();
      }
      return out;
    },
  };
  const provider = new BrowserProvider(node, undefined, cache ? {} : { cacheTimeout: -1 });
  return { provider, hooks };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const kind of ["PGlite", "PostgreSQL"] as const) {
  describe(`indexer review (${kind})`, function () {
    this.timeout(180_000);
    let db: Database;
    scratchDatabasePerTest(kind, openIndexerDatabase, (d) => (db = d));

    it("FINDING (fixed): a 2-block reorganization (window 256) halts the indexer when its last batch was wider than the window and the window held no event", async function () {
      const f = await loadFixture(suiteWithActivity);
      // The defaults (window 256, batchBlocks 2,000), confirmations 0 as on a local chain.
      const indexer = await Indexer.open(hre.ethers.provider, db, suiteOf(f), LOCAL);
      await indexer.catchUp();
      const h = await hre.ethers.provider.getBlockNumber();
      await mine(298);
      const fork = await takeSnapshot();
      await mine(2);
      await indexer.catchUp(); // one batch of 300 blocks: only its last block's hash is kept
      await fork.restore(); // two blocks replaced, far within the 256-block window
      await activity(f, "b");
      const err = await indexer.catchUp().then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(err?.message, "a 2-deep reorganization within the window halted the indexer").to.equal(undefined);
      expect(await stored(db, h)).to.deep.equal(await onChain(f, undefined, h));
    });

    it("FINDING (fixed): ethers' 250 ms request cache defeats the 'block changed while its range was read' check: a stale event is stored and caughtUp reported", async function () {
      const f = await loadFixture(suiteWithActivity);
      const { provider, hooks } = wrappedNode(true); // a BrowserProvider / JsonRpcProvider as constructed by default
      const indexer = await Indexer.open(provider, db, suiteOf(f), LOCAL);
      await indexer.catchUp();
      const h = await hre.ethers.provider.getBlockNumber();
      const fork = await takeSnapshot();
      await access(f, "5ade"); // chain A: block H+1 holds an AccessLogged
      // While the batch is read the block is replaced by an empty one (chain B, same length).
      hooks.afterGetLogs = async () => {
        await fork.restore();
        await mine(1);
      };
      await pause(300); // past the cache of the last catchUp
      const r = await indexer.catchUp();
      expect(await stored(db, h), `catchUp reported caught up (${JSON.stringify(r)}) with events of a chain that is gone`).to.deep.equal(await onChain(f, undefined, h));
    });

    it("FINDING (fixed): after another instance moved on, an instance never goes on: it kept its stale resume point and every later step conflicted again", async function () {
      // Fixed: every step starts from the database's resume point (and a store that finds it moved is
      // not stored, the instance reloading it), so a second instance follows the first.
      const f = await loadFixture(suiteWithActivity);
      const a = await Indexer.open(hre.ethers.provider, db, suiteOf(f), LOCAL);
      const b = await Indexer.open(hre.ethers.provider, db, suiteOf(f), LOCAL);
      await a.catchUp();
      await activity(f, "c");
      const again = await b.catchUp().then(
        () => undefined,
        (e: unknown) => (e as { code?: string }).code ?? String(e),
      );
      expect(again, "the second instance is stuck").to.equal(undefined);
      expect(await stored(db)).to.deep.equal(await onChain(f));
      expect(b.status().events).to.equal(await count(db, "SELECT count(*) AS n FROM events"));
    });

    it("FINDING (fixed): a node restarted and syncing from genesis (head 0, no blocks) halts the indexer for good, as if a reorganization deeper than the window", async function () {
      const f = await loadFixture(suiteWithActivity);
      const { provider, hooks } = wrappedNode(false);
      const indexer = await Indexer.open(provider, db, suiteOf(f), LOCAL);
      await indexer.catchUp();
      hooks.syncing = true;
      const during = await indexer.step().then(
        (r) => r.kind,
        (e: unknown) => e as Error,
      );
      hooks.syncing = false;
      await activity(f, "d");
      expect(during, "a node failure halted the indexer").not.to.be.instanceOf(IndexerHaltedError);
      await indexer.catchUp();
      expect(await stored(db)).to.deep.equal(await onChain(f));
    });

    it("HOLDS: decoding is exact: every stored event's args re-encode (Interface.encodeEventLog) to its log's very topics and data; subjects lower-case", async function () {
      const f = await loadFixture(suiteWithActivity);
      await Indexer.open(hre.ethers.provider, db, suiteOf(f), LOCAL).then((i) => i.catchUp());
      const rows = (await db.pool.query("SELECT * FROM events ORDER BY block_number, log_index")).rows;
      const logs = await hre.ethers.provider.getLogs({ address: Object.values(f.book.contracts), fromBlock: f.book.deploymentBlock, toBlock: "latest" });
      expect(rows.length).to.equal(logs.length); // every log of the suite is one of its events
      const names = new Set<string>();
      rows.forEach((row, i) => {
        const log = logs[i];
        const iface = SUITE_INTERFACES[row.contract as keyof typeof SUITE_INTERFACES];
        const fragment = iface.getEvent(log.topics[0])!;
        const values = fragment.inputs.map((input) => row.args[input.name]);
        const encoded = iface.encodeEventLog(fragment, values);
        expect([encoded.topics, encoded.data], `${row.contract}.${row.event}`).to.deep.equal([[...log.topics], log.data]);
        expect(Object.keys(row.args).sort()).to.deep.equal(fragment.inputs.map((x) => x.name).sort()); // (jsonb orders keys its own way)
        // Hex lower-case but addresses, which keep ethers' checksums (as the SDK reads them from the chain).
        expect(JSON.stringify(row.args).match(/0x[0-9a-fA-F]*/g)?.filter((h) => h !== h.toLowerCase() && !(h.length === 42 && isAddress(h))) ?? []).to.deep.equal([]);
        for (const col of ["patient", "claim_id", "record_id"]) if (row[col] !== null) expect(row[col]).to.equal(row[col].toLowerCase());
        names.add(`${row.contract}.${row.event}`);
      });
      expect(names.size).to.be.greaterThan(15);
    });

    it("HOLDS: a reorganization while a batch is read (uncached provider) is retried, never stored", async function () {
      const f = await loadFixture(suiteWithActivity);
      const { provider, hooks } = wrappedNode(false);
      const indexer = await Indexer.open(provider, db, suiteOf(f), LOCAL);
      await indexer.catchUp();
      const fork = await takeSnapshot();
      await access(f, "5ade");
      hooks.afterGetLogs = async () => {
        await fork.restore();
        await mine(1);
      };
      expect((await indexer.step()).kind).to.equal("retry");
      await indexer.catchUp();
      expect(await stored(db)).to.deep.equal(await onChain(f));
      // A reorg to a longer chain while a multi-range read is under way (maxBlocks 1), too.
      const fork2 = await takeSnapshot();
      await activity(f, "e");
      const slow = await Indexer.open(provider, db, suiteOf(f), { ...LOCAL, logs: { maxBlocks: 1, retries: 0, backoffMs: 260 } });
      hooks.afterGetLogs = async () => {
        await fork2.restore();
        await access(f, "0dd");
        await mine(5);
      };
      await slow.catchUp();
      expect(await stored(db)).to.deep.equal(await onChain(f));
      expect(slow.status().events).to.equal((await onChain(f)).length);
    });

    it("HOLDS: confirmations 3 with reorganizations shallower than them: nothing rolled back, stored = eth_getLogs to head − 3", async function () {
      const f = await loadFixture(suiteWithActivity);
      const options = { ...LOCAL, confirmations: 3, batchBlocks: 2 };
      const indexer = await Indexer.open(hre.ethers.provider, db, suiteOf(f), options);
      await indexer.catchUp();
      for (const tag of ["f1", "f2", "f3"]) {
        const fork = await takeSnapshot();
        await access(f, tag + "1");
        await access(f, tag + "2");
        await fork.restore(); // 2 deep < 3 confirmations
        await access(f, tag + "3");
        await mine(1);
        const r = await indexer.catchUp();
        expect(r.rollbacks).to.equal(0);
        expect(await stored(db)).to.deep.equal(await onChain(f, (await hre.ethers.provider.getBlockNumber()) - 3));
      }
    });

    it("HOLDS: window 1 keeps one block hash; pruning keeps indexed_blocks within the window; status().events follows rollbacks and restarts", async function () {
      const f = await loadFixture(suiteWithActivity);
      const one = await Indexer.open(hre.ethers.provider, db, suiteOf(f), { ...LOCAL, window: 1, batchBlocks: 3 });
      await one.catchUp();
      expect(await count(db, "SELECT count(*) AS n FROM indexed_blocks")).to.equal(1);
      expect(await stored(db)).to.deep.equal(await onChain(f));
      // A window of 5 with batches of 2: every row in (tip − 5, tip].
      const five = await Indexer.open(hre.ethers.provider, db, suiteOf(f), { ...LOCAL, window: 5, batchBlocks: 2 });
      const fork = await takeSnapshot();
      await activity(f, "ee");
      await five.catchUp();
      const tip = five.status().nextBlock - 1;
      expect(await count(db, `SELECT count(*) AS n FROM indexed_blocks WHERE number <= ${tip - 5} OR number > ${tip}`)).to.equal(0);
      await fork.restore();
      await mine(2);
      expect((await five.catchUp()).rollbacks).to.equal(1);
      expect(await stored(db)).to.deep.equal(await onChain(f));
      const n = await count(db, "SELECT count(*) AS n FROM events");
      expect([five.status().events, (await Indexer.open(hre.ethers.provider, db, suiteOf(f), LOCAL)).status().events]).to.deep.equal([n, n]);
    });

    it("HOLDS: a reorganization as deep as the window + more halts loudly, and a restarted instance halts too rather than serve the stale rows", async function () {
      const f = await loadFixture(suiteWithActivity);
      const options = { ...LOCAL, window: 4, batchBlocks: 1 };
      const indexer = await Indexer.open(hre.ethers.provider, db, suiteOf(f), options);
      await indexer.catchUp();
      const fork = await takeSnapshot();
      await activity(f, "dd");
      await mine(4);
      await indexer.catchUp();
      await fork.restore();
      await activity(f, "bb");
      await mine(5);
      expect(await rejection(indexer.catchUp())).to.be.instanceOf(IndexerHaltedError);
      const restarted = await Indexer.open(hre.ethers.provider, db, suiteOf(f), options);
      expect(await rejection(restarted.catchUp())).to.be.instanceOf(IndexerHaltedError);
    });
  });
}

describe("indexer review (PostgreSQL): two instances stepping at once", function () {
  this.timeout(180_000);
  it("HOLDS: two instances stepping concurrently on one database: one stores, the other stores nothing and tries again, nothing twice", async function () {
    const { db, url, drop } = await scratchDatabase("PostgreSQL", openIndexerDatabase);
    const db2 = await openIndexerDatabase({ url });
    try {
      const f = await loadFixture(suiteWithActivity);
      let conflicts = 0;
      for (let round = 0; round < 4; round++) {
        const a = await Indexer.open(hre.ethers.provider, db, suiteOf(f), { ...LOCAL, batchBlocks: 7 });
        const b = await Indexer.open(hre.ethers.provider, db2, suiteOf(f), { ...LOCAL, batchBlocks: 5 });
        const results = await Promise.all([a.step(), b.step(), a.step(), b.step()]);
        // The loser of a race stores nothing and is told to try again (it reloads the resume point).
        conflicts += results.filter((r) => r.kind === "retry" && r.reason.includes("another indexer")).length;
        await activity(f, `c${round}`);
      }
      await (await Indexer.open(hre.ethers.provider, db, suiteOf(f), LOCAL)).catchUp();
      expect(await stored(db)).to.deep.equal(await onChain(f));
      expect(conflicts, "the race was run").to.be.greaterThan(0);
    } finally {
      await db2.close();
      await drop();
    }
  });
});

describe("indexer review (PostgreSQL): a rollback racing a store", function () {
  this.timeout(180_000);
  it("HOLDS: one instance's rollback racing another's store transaction waits for it, and leaves nothing of the replaced chain", async function () {
    const { db, url, drop } = await scratchDatabase("PostgreSQL", openIndexerDatabase);
    const db2 = await openIndexerDatabase({ url });
    try {
      const f = await loadFixture(suiteWithActivity);
      let gate: Promise<void> | undefined;
      let release: () => void = () => undefined;
      let reached: () => void = () => undefined;
      const atGate = new Promise<void>((r) => (reached = r));
      // The store pauses after its UPDATE of the resume point (holding its row lock), before COMMIT.
      const gated = hookedTransactions(db, {
        after: async (sql) => {
          if (gate === undefined || !sql.startsWith("UPDATE indexer_state")) return;
          reached();
          await gate;
        },
      });
      const a = await Indexer.open(hre.ethers.provider, gated, suiteOf(f), LOCAL);
      await a.catchUp();
      const fork = await takeSnapshot();
      await mine(2);
      await a.catchUp();
      const b = await Indexer.open(hre.ethers.provider, db2, suiteOf(f), LOCAL);
      await activity(f, "ab"); // chain A
      gate = new Promise<void>((r) => (release = r));
      const storing = a.step();
      await atGate;
      await fork.restore(); // chain B replaces the two blocks a's batch continues from
      await activity(f, "cd");
      await mine(3);
      const rolling = b.step(); // rolls back: its DELETEs run now, its UPDATE waits for a's lock
      await pause(700);
      const waiting = await db2.pool.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()");
      release();
      gate = undefined;
      const [s, r] = await Promise.allSettled([storing, rolling]);
      expect([s.status, r.status === "fulfilled" ? r.value.kind : String(r.reason), waiting.rows[0].n]).to.deep.equal(["fulfilled", "rolledBack", 1]);
      // Since the review, the rollback locks the resume point's row first: it waits for the store to commit,
      // then deletes its batch too, so nothing of chain A is left above the resume point…
      const next = Number((await db.pool.query("SELECT next_block FROM indexer_state")).rows[0].next_block);
      expect(await count(db, `SELECT count(*) AS n FROM events WHERE block_number >= ${next}`)).to.equal(0);
      // …and the next catchUp reads chain B.
      await b.catchUp();
      expect(await stored(db)).to.deep.equal(await onChain(f));
    } finally {
      await db2.close();
      await drop();
    }
  });
});

describe("[property] indexer review (PGlite): property over random mining, snapshots, reverts, steps and restarts", function () {
  this.timeout(600_000);
  type Action =
    | { t: "mine"; k: number }
    | { t: "emit"; n: number }
    | { t: "snap" }
    | { t: "restore"; i: number }
    | { t: "step" }
    | { t: "restart" }
    | { t: "catchUp" }
    | { t: "reorgWhileReading"; i: number; k: number };
  const w = <T,>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });
  const action: fc.Arbitrary<Action> = fc.oneof(
    w(2, fc.record({ t: fc.constant("mine" as const), k: fc.integer({ min: 1, max: 4 }) })),
    w(3, fc.record({ t: fc.constant("emit" as const), n: fc.integer({ min: 1, max: 2 }) })),
    w(3, fc.record({ t: fc.constant("snap" as const) })),
    w(3, fc.record({ t: fc.constant("restore" as const), i: fc.nat() })),
    w(3, fc.record({ t: fc.constant("step" as const) })),
    w(1, fc.record({ t: fc.constant("restart" as const) })),
    w(2, fc.record({ t: fc.constant("catchUp" as const) })),
    w(2, fc.record({ t: fc.constant("reorgWhileReading" as const), i: fc.nat(), k: fc.integer({ min: 0, max: 3 }) })),
  );


  it("HOLDS: after every catchUp, events = eth_getLogs to the resume point (head − confirmations ≤ it ≤ head), once each, right hash; status().events agrees", async function () {
    const db = await openIndexerDatabase();
    let serial = 0;
    const stats = { runs: 0, checks: 0, rollbacks: 0, retries: 0, inconsistent: 0, restores: 0 };
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(action, { minLength: 8, maxLength: 24 }),
          fc.integer({ min: 1, max: 6 }),
          fc.integer({ min: 0, max: 2 }),
          async (actions, batchBlocks, confirmations) => {
            const f = await loadFixture(suiteWithActivity);
            await db.pool.query("TRUNCATE events, indexed_blocks, indexer_state");
            const { provider, hooks } = wrappedNode(false);
            const options: IndexerOptions = { ...LOCAL, batchBlocks, confirmations };
            const open = () => Indexer.open(provider, db, suiteOf(f), options);
            let indexer = await open();
            const snaps: SnapshotRestorer[] = [];
            stats.runs++;
            const check = async () => {
              stats.checks++;
              stats.rollbacks += (await indexer.catchUp()).rollbacks;
              const head = await hre.ethers.provider.getBlockNumber();
              // Stored to its resume point: at least head − confirmations, at most the head (a chain that got
              // shorter after a block was read leaves that block, still canonical, with fewer confirmations).
              const tip = indexer.status().nextBlock - 1;
              expect(tip).to.be.within(Math.max(f.book.deploymentBlock - 1, head - confirmations), Math.max(f.book.deploymentBlock - 1, head));
              const oracle = await onChain(f, tip);
              const have = await stored(db);
              const extra = have.filter((e) => !oracle.includes(e));
              const missing = oracle.filter((e) => !have.includes(e));
              expect({ extra, missing, twice: have.length - new Set(have).size }, `head ${head}, nextBlock ${indexer.status().nextBlock}`).to.deep.equal({ extra: [], missing: [], twice: 0 });
              expect(have).to.deep.equal(oracle);
              expect(indexer.status().events).to.equal(oracle.length);
            };
            for (const a of [...actions, { t: "catchUp" } as Action]) {
              switch (a.t) {
                case "mine":
                  await mine(a.k);
                  break;
                case "emit":
                  for (let j = 0; j < a.n; j++) await access(f, (++serial).toString(16));
                  break;
                case "snap":
                  snaps.push(await takeSnapshot());
                  break;
                case "restore":
                  if (snaps.length > 0) {
                    const i = a.i % snaps.length;
                    await snaps[i].restore();
                    stats.restores++;
                    snaps.length = i + 1; // later snapshots are gone with the blocks after it
                  }
                  break;
                case "reorgWhileReading":
                  if (snaps.length > 0) {
                    const i = a.i % snaps.length;
                    const k = a.k;
                    const s = snaps[i];
                    snaps.length = i + 1;
                    hooks.afterGetLogs = async () => {
                      await s.restore();
                      if (k > 0) await access(f, (++serial).toString(16));
                      if (k > 1) await mine(k);
                    };
                    // A node that lost the batch's last block mid-read is refused (NODE_INCONSISTENT): documented, retried.
                    const r = await indexer.step().catch((e: unknown) => {
                      if ((e as { code?: string }).code !== "NODE_INCONSISTENT") throw e;
                      stats.inconsistent++;
                    });
                    if (r?.kind === "retry") stats.retries++;
                    if (r?.kind === "rolledBack") stats.rollbacks++;
                    hooks.afterGetLogs = undefined;
                  }
                  break;
                case "step":
                  if ((await indexer.step()).kind === "rolledBack") stats.rollbacks++;
                  break;
                case "restart":
                  indexer = await open();
                  break;
                case "catchUp":
                  await check();
                  break;
              }
            }
          },
        ),
        { numRuns: Number(process.env.REVIEW_RUNS ?? 30), seed: process.env.REVIEW_SEED === undefined ? undefined : Number(process.env.REVIEW_SEED) },
      );
      console.log(`      property: ${JSON.stringify(stats)}`);
    } finally {
      await db.close();
    }
  });
});
