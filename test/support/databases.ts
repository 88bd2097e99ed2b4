/**
 * A fresh database for a test: embedded PGlite in memory, or a new database on the machine's PostgreSQL
 * server (127.0.0.1:5432), dropped after. `open` brings the schema (the gateway's or the indexer's).
 */
import pg from "pg";
import type { Database, DatabaseOptions } from "../../gateway/db";

export const PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres";
export type DatabaseKind = "PGlite" | "PostgreSQL";

export async function scratchDatabase(
  kind: DatabaseKind,
  open: (options: DatabaseOptions) => Promise<Database>,
): Promise<{ db: Database; url: string | undefined; drop: () => Promise<void> }> {
  if (kind === "PGlite") {
    const db = await open({});
    return { db, url: undefined, drop: () => db.close() };
  }
  const name = `careledger_t_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: PG_ADMIN });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = `postgres://postgres@127.0.0.1:5432/${name}`;
  const db = await open({ url });
  return {
    db,
    url,
    drop: async () => {
      await db.close().catch(() => undefined);
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}
