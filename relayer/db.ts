/**
 * The relayer's database: the gateway's (gateway/db.ts) — PostgreSQL by URL (`DATABASE_URL`), else embedded
 * PGlite — with the relayer's own migrations (relayer/migrations, recorded in `relayer_migrations`), so a
 * relayer may share a database with a gateway or an indexer, and several relayers share one.
 */
import path from "path";
import { openDatabase, type Database, type DatabaseOptions } from "../gateway/db";

export const RELAYER_MIGRATIONS = { dir: path.join(__dirname, "migrations"), table: "relayer_migrations" } as const;

/** Opens the relayer's database and brings its schema up to date. */
export function openRelayerDatabase(options: Omit<DatabaseOptions, "migrations"> = {}): Promise<Database> {
  return openDatabase({ ...options, migrations: RELAYER_MIGRATIONS });
}
