/**
 * The indexer following the suite (indexer/sync.ts), on PGlite and on the machine's PostgreSQL: every
 * event of every part stored once, decoded as the contracts' interfaces decode it, exactly what
 * `eth_getLogs` gives; resumed where it stopped; a reorganization deeper than one block rolled back and
 * read again; one deeper than its window halting it; a node failing mid-sync and a database failing
 * mid-batch leaving nothing half stored.
 */
import { loadFixture, mine, takeSnapshot } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { BrowserProvider, type Eip1193Provider } from "ethers";
import hre from "hardhat";
import { ValidationError } from "../../sdk";
import type { Database } from "../../gateway/db";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createScratchDatabase, openDatabase } from "../../gateway/db";
import { INDEXER_MIGRATIONS, openIndexerDatabase } from "../../indexer/db";
import { dataClassOf, purposeOf } from "../../sdk/consent/vocab";
import { Indexer, IndexerHaltedError } from "../../indexer/sync";
import { PG_ADMIN, scratchDatabasePerTest } from "../support/databases";
import { rejection } from "../support/rejection";
import { activity, hookedTransactions, LOCAL, onChain, stored, suiteOf, suiteWithActivity } from "./support";

/** The in-process node behind a wrapper whose `eth_getLogs` fails while `failing` is set (a node gone mid-sync). */
function flakyNode() {
  const state = { failing: false, refused: 0 };
  const node: Eip1193Provider = {
    request: async ({ method, params }: { method: string; params?: unknown[] | Record<string, unknown> }) => {
      if (state.failing && method === "eth_getLogs") {
        state.refused++;
        throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8545"), { code: -32603 });
      }
      return hre.network.provider.request({ method, params: params as unknown[] });
    },
  };
  return { provider: new BrowserProvider(node), state };
}


for (const kind of ["PGlite", "PostgreSQL"] as const) {
  describe(`indexer (${kind}): following the suite's events`, function () {
    this.timeout(120_000);
    let db: Database;
    scratchDatabasePerTest(kind, openIndexerDatabase, (d) => (db = d));

    it("stores every event of every part once, decoded as the contracts decode it, exactly what eth_getLogs gives", async function () {
      const f = await loadFixture(suiteWithActivity);
      const indexer = await Indexer.open(hre.ethers.provider, db, suiteOf(f), LOCAL);
      const { events } = await indexer.catchUp();
      const oracle = await onChain(f);
      expect(await stored(db)).to.deep.equal(oracle);
      expect(events).to.equal(oracle.length);
      const parts = new Set(oracle.map((o) => o.split(":").pop()!.split(".")[0]));
      expect([...parts].sort()).to.deep.equal(["AccessManager", "ClaimsEngine", "ConsentRegistry", "DisclosureLog", "ParticipantRegistry", "RecordRegistry"]);
      // An access, as the registry emitted it, with its subjects.
      const access = (await db.pool.query("SELECT args, patient, org_id, block_time FROM events WHERE event = 'AccessLogged' ORDER BY block_number LIMIT 1")).rows[0];
      expect(access.args).to.include({ patient: f.patient.address, accessor: f.doctor.address, orgId: "1", dataClass: String(dataClassOf("dataClass", "labs")), purpose: String(purposeOf("purpose", "TREAT")) });
      expect([access.patient, access.org_id]).to.deep.equal([f.patient.address.toLowerCase(), "1"]);
      expect(Number(access.block_time)).to.be.greaterThan(0);
      // A plan's terms, a struct, by field name.
      const plan = (await db.pool.query("SELECT args, plan_id, org_id FROM events WHERE event = 'PlanCreated' ORDER BY block_number LIMIT 1")).rows[0];
      expect([plan.plan_id, plan.org_id, plan.args.terms.deductible, plan.args.terms.token]).to.deep.equal(["1", "3", (100n * 1_000_000n).toString(), f.terms.token]);
      expect(indexer.status()).to.include({ percent: 100, events: oracle.length, halted: undefined });
      // Caught up: a step stores nothing.
      expect(await indexer.step()).to.deep.equal({ kind: "caughtUp", nextBlock: (await hre.ethers.provider.getBlockNumber()) + 1 });
    });

    it("indexes again, from the deployment block, a database indexed before its logs were kept whole (migration 1797033600000)", async function () {
      const f = await loadFixture(suiteWithActivity);
      // The database as the first migration left it, with an indexed event, on disk (PGlite) or on the server.
      const first = fs.mkdtempSync(path.join(os.tmpdir(), "indexer-migrations-"));
      fs.copyFileSync(path.join(INDEXER_MIGRATIONS.dir, "1796947200000_indexer.sql"), path.join(first, "1796947200000_indexer.sql"));
      const dataDir = kind === "PGlite" ? fs.mkdtempSync(path.join(os.tmpdir(), "indexer-pglite-")) : undefined;
      const scratch = kind === "PostgreSQL" ? await createScratchDatabase(PG_ADMIN, "careledger_t") : undefined;
      const where = dataDir !== undefined ? { dataDir } : { url: scratch!.url };
      try {
        const s = suiteOf(f);
        const old = await openDatabase({ ...where, migrations: { dir: first, table: INDEXER_MIGRATIONS.table } });
        await old.pool.query("INSERT INTO indexer_state (chain_id, addresses, from_block, next_block) VALUES ($1, $2, $3, $4)", [s.chainId.toString(), JSON.stringify(Object.fromEntries(Object.entries(s.addresses).map(([k, v]) => [k, v.toLowerCase()]))), s.fromBlock, s.fromBlock + 5]);
        await old.pool.query("INSERT INTO events (block_number, log_index, block_hash, tx_hash, block_time, contract, event, args) VALUES ($1, 0, '0x00', '0x00', 0, 'ConsentRegistry', 'AccessLogged', '{}')", [s.fromBlock + 1]);
        await old.close();
        const upgraded = await openIndexerDatabase(where);
        try {
          expect((await upgraded.pool.query("SELECT count(*)::int AS n FROM events")).rows[0].n).to.equal(0);
          const indexer = await Indexer.open(hre.ethers.provider, upgraded, s, LOCAL);
          expect(indexer.status().nextBlock).to.equal(s.fromBlock);
          await indexer.catchUp();
          expect(await stored(upgraded)).to.deep.equal(await onChain(f));
          const raw = (await upgraded.pool.query("SELECT address, topic0, data FROM events WHERE event = 'AccessLogged' LIMIT 1")).rows[0];
          expect(raw.address).to.equal(f.book.contracts.ConsentRegistry.toLowerCase());
          expect(raw.topic0).to.match(/^0x[0-9a-f]{64}$/);
        } finally {
          await upgraded.close();
        }
      } finally {
        await scratch?.drop();
        for (const dir of [first, dataDir]) if (dir !== undefined) await fs.promises.rm(dir, { recursive: true, force: true });
      }
    });

    it("resumes where it stopped: a second instance on the same database goes on, nothing stored twice", async function () {
      const f = await loadFixture(suiteWithActivity);
      const first = await Indexer.open(hre.ethers.provider, db, suiteOf(f), { ...LOCAL, batchBlocks: 5 });
      for (let i = 0; i < 3; i++) expect((await first.step()).kind).to.equal("stored");
      const half = first.status().nextBlock;
      await activity(f, "b");
      const second = await Indexer.open(hre.ethers.provider, db, suiteOf(f), { ...LOCAL, batchBlocks: 5 });
      expect(second.status().nextBlock).to.equal(half);
      await second.catchUp();
      expect(await stored(db)).to.deep.equal(await onChain(f));
      // Another deployment on this database is refused, naming what it indexes.
      const elsewhere = { ...f.book.contracts, ConsentRegistry: f.book.contracts.RecordRegistry };
      const other = await rejection(Indexer.open(hre.ethers.provider, db, { ...suiteOf(f), addresses: elsewhere }, LOCAL));
      expect((other as { code?: string }).code).to.equal("INDEXER_MISMATCH");
      expect(other.message).to.contain("with another ConsentRegistry");
    });

    it("rolls back a reorganization deeper than one block and reads the new chain, longer or shorter", async function () {
      const f = await loadFixture(suiteWithActivity);
      const indexer = await Indexer.open(hre.ethers.provider, db, suiteOf(f), LOCAL);
      await indexer.catchUp();
      const fork = await takeSnapshot();
      await activity(f, "c"); // four blocks of events, then indexed
      await mine(3);
      await indexer.catchUp();
      expect(await stored(db)).to.deep.equal(await onChain(f));
      // Another history from the fork on: more blocks, other events.
      await fork.restore();
      await activity(f, "d");
      await mine(6);
      const r = await indexer.catchUp();
      expect(r.rollbacks).to.equal(1);
      expect(await stored(db)).to.deep.equal(await onChain(f));
      expect((await db.pool.query("SELECT count(*)::int AS n FROM events WHERE args->>'recordRef' LIKE '0xc%'")).rows[0].n).to.equal(0);
      // And a shorter one.
      await fork.restore();
      await activity(f, "e");
      expect((await indexer.catchUp()).rollbacks).to.equal(1);
      expect(await stored(db)).to.deep.equal(await onChain(f));
      expect(indexer.status().events).to.equal((await onChain(f)).length);
    });

    it("halts, and says so, on a reorganization deeper than its window: it never answers from a chain that is gone", async function () {
      const f = await loadFixture(suiteWithActivity);
      const fork = await takeSnapshot();
      await mine(10);
      await activity(f, "7");
      const indexer = await Indexer.open(hre.ethers.provider, db, suiteOf(f), { ...LOCAL, window: 3 });
      await indexer.catchUp();
      await fork.restore();
      await activity(f, "8");
      await mine(20);
      const err = await rejection(indexer.step());
      expect(err).to.be.instanceOf(IndexerHaltedError);
      expect(err.message).to.contain("deeper than the 3 blocks kept");
      expect(indexer.status().halted).to.contain("re-index into a new database");
      expect(await rejection(indexer.step())).to.be.instanceOf(IndexerHaltedError);
    });

    it("stores nothing of a batch the node stopped answering for, and goes on where it was once the node is back", async function () {
      const f = await loadFixture(suiteWithActivity);
      const { provider, state } = flakyNode();
      const indexer = await Indexer.open(provider, db, suiteOf(f), { ...LOCAL, batchBlocks: 4 });
      expect((await indexer.step()).kind).to.equal("stored");
      const at = indexer.status().nextBlock;
      const before = await stored(db);
      state.failing = true;
      await rejection(indexer.step());
      await rejection(indexer.step());
      expect(state.refused).to.be.greaterThan(0);
      expect([indexer.status().nextBlock, await stored(db)]).to.deep.equal([at, before]);
      state.failing = false;
      // (ethers answers the same request from its cache for 250 ms, failures included)
      await new Promise((resolve) => setTimeout(resolve, 300));
      await indexer.catchUp();
      expect(await stored(db)).to.deep.equal(await onChain(f));
    });

    it("stores a batch whole or not at all when the database fails mid-batch (the session ended under it)", async function () {
      const f = await loadFixture(suiteWithActivity);
      let crash = true;
      // The session ends between the batch's events and its resume point: PostgreSQL's own end of the
      // connection (pg_terminate_backend), PGlite's a refused statement (it is one session, and lives on).
      const failing = hookedTransactions(db, {
        before: async (client, sql) => {
          if (!crash || !sql.startsWith("UPDATE indexer_state")) return;
          crash = false;
          await client.query(kind === "PostgreSQL" ? "SELECT pg_terminate_backend(pg_backend_pid())" : "SELECT 1/0");
        },
      });
      const indexer = await Indexer.open(hre.ethers.provider, failing, suiteOf(f), LOCAL);
      await rejection(indexer.step());
      expect([(await db.pool.query("SELECT count(*)::int AS n FROM events")).rows[0].n, (await db.pool.query("SELECT next_block FROM indexer_state")).rows[0].next_block]).to.deep.equal([
        0,
        String(f.book.deploymentBlock),
      ]);
      const again = await Indexer.open(hre.ethers.provider, db, suiteOf(f), LOCAL);
      await again.catchUp();
      expect(await stored(db)).to.deep.equal(await onChain(f));
    });
  });
}

describe("indexer: options", function () {
  it("refuses a window, batch or confirmation depth that is not a whole number in range, naming it", async function () {
    const db = await openIndexerDatabase();
    try {
      const f = await loadFixture(suiteWithActivity);
      for (const [field, options] of [
        ["window", { window: 0 }],
        ["batchBlocks", { batchBlocks: 1.5 }],
        ["confirmations", { confirmations: -1 }],
      ] as const) {
        const err = await rejection(Indexer.open(hre.ethers.provider, db, suiteOf(f), options));
        expect([err instanceof ValidationError, (err as ValidationError).field]).to.deep.equal([true, field]);
      }
    } finally {
      await db.close();
    }
  });
});
