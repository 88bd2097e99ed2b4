/**
 * The indexer's database: the same as the gateway's (gateway/db.ts) — PostgreSQL by URL (`DATABASE_URL`),
 * else embedded PGlite — with the indexer's own migrations (indexer/migrations, recorded in
 * `indexer_migrations`), so that an indexer and a gateway may share one database.
 */
import path from "path";
import { openDatabase, type Database, type DatabaseOptions } from "../gateway/db";

export const INDEXER_MIGRATIONS = { dir: path.join(__dirname, "migrations"), table: "indexer_migrations" } as const;

/** Opens the indexer's database and brings its schema up to date. */
export function openIndexerDatabase(options: Omit<DatabaseOptions, "migrations"> = {}): Promise<Database> {
  return openDatabase({ ...options, migrations: INDEXER_MIGRATIONS });
}
