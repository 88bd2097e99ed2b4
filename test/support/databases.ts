/**
 * A fresh database for a test: embedded PGlite in memory, or a new database on the machine's PostgreSQL
 * server (127.0.0.1:5432), dropped after. `open` brings the schema (the gateway's or the indexer's).
 */
import { createScratchDatabase, type Database, type DatabaseOptions } from "../../gateway/db";

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
  const scratch = await createScratchDatabase(PG_ADMIN, "careledger_t");
  const db = await open({ url: scratch.url });
  return {
    db,
    url: scratch.url,
    drop: async () => {
      await db.close().catch(() => undefined);
      await scratch.drop();
    },
  };
}

/** Registers hooks giving each test of the suite a fresh database of `kind` (handed to `use`), dropped after it. */
export function scratchDatabasePerTest(kind: DatabaseKind, open: (options: DatabaseOptions) => Promise<Database>, use: (db: Database) => void): void {
  let drop: () => Promise<void> = async () => undefined;
  beforeEach(async function () {
    const scratch = await scratchDatabase(kind, open);
    drop = scratch.drop;
    use(scratch.db);
  });
  afterEach(async function () {
    await drop();
  });
}
