/**
 * An embedded PGlite database is vacuumed by the gateway, the indexer and the relayer (gateway/db.ts): PGlite
 * is one process with no autovacuum launcher, so without it every updated or deleted row — each receipt bound
 * to its root, each pruned nonce — would stay in its table and its indexes for good.
 */
import { expect } from "chai";
import { openDatabase, vacuumDue, type Database } from "../../gateway/db";
import { eventually } from "../support/eventually";

const dead = async (db: Database) => {
  await db.pool.query("SELECT pg_stat_force_next_flush()");
  return (await db.pool.query<{ n_dead_tup: string; last_vacuum: Date | null }>("SELECT n_dead_tup, last_vacuum FROM pg_stat_user_tables WHERE relname = 'churn'")).rows[0];
};

async function churn(db: Database): Promise<void> {
  await db.pool.query("CREATE TABLE churn (id serial PRIMARY KEY, v integer NOT NULL)");
  await db.pool.query("INSERT INTO churn (v) SELECT g FROM generate_series(1, 2000) g");
  await db.pool.query("UPDATE churn SET v = v + 1");
}

describe("gateway: an embedded database is vacuumed", function () {
  this.timeout(60_000);

  it("PGlite itself never vacuums: the dead rows of an update stay", async function () {
    const db = await openDatabase({ vacuumIntervalMs: 0 });
    try {
      await churn(db);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const d = await dead(db);
      expect(Number(d.n_dead_tup)).to.equal(2000);
      expect(d.last_vacuum).to.equal(null);
    } finally {
      await db.close();
    }
  });

  it("vacuums, in the background, the tables autovacuum would", async function () {
    const db = await openDatabase({ vacuumIntervalMs: 100 });
    try {
      await churn(db);
      expect(await eventually(async () => Number((await dead(db)).n_dead_tup) === 0, { withinMs: 20_000 }), "the dead rows removed").to.equal(true);
      expect((await dead(db)).last_vacuum).to.be.instanceOf(Date);
      // Nothing is due after it: the next look vacuums nothing.
      expect(await vacuumDue(db.pool)).to.deep.equal([]);
      // The rows themselves are all there.
      expect((await db.pool.query("SELECT count(*)::int AS n, min(v) AS lo FROM churn")).rows[0]).to.deep.equal({ n: 2000, lo: 2 });
    } finally {
      await db.close();
    }
  });

  it("vacuums only the tables past autovacuum's thresholds", async function () {
    const db = await openDatabase({ vacuumIntervalMs: 0 });
    try {
      await churn(db);
      await db.pool.query("CREATE TABLE quiet (id integer PRIMARY KEY)");
      await db.pool.query("INSERT INTO quiet SELECT g FROM generate_series(1, 1000) g");
      // Its inserts counted (they are reported to the statistics at the session's next report), then analyzed.
      await db.pool.query("SELECT pg_stat_force_next_flush()");
      await db.pool.query("SELECT 1");
      await db.pool.query("ANALYZE quiet");
      // 10 dead rows of 1,000: under 50 + 20%.
      await db.pool.query("DELETE FROM quiet WHERE id <= 10");
      const done = await vacuumDue(db.pool);
      expect(done).to.include("churn");
      expect(done).to.not.include("quiet");
    } finally {
      await db.close();
    }
  });
});
