/**
 * The gateway's database: PostgreSQL when a URL is given (`DATABASE_URL`), else embedded PGlite (real
 * PostgreSQL compiled to WebAssembly, in process, no set-up), served to the same `pg` driver over a
 * loopback socket by `@electric-sql/pglite-socket` — so there is one SQL dialect, one driver and one
 * migration tool (node-pg-migrate, run at open) for both.
 */
import path from "path";
import pg from "pg";
import type { runner as MigrationRunner } from "node-pg-migrate/dist/bundle/index";

/** An open database. */
export interface Database {
  readonly pool: pg.Pool;
  readonly kind: "postgres" | "pglite";
  /** Runs `fn` in one transaction (BEGIN … COMMIT, ROLLBACK when it throws). */
  transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Options of {@link openDatabase}. */
export interface DatabaseOptions {
  /** A PostgreSQL connection string; without one, an embedded PGlite database. */
  readonly url?: string;
  /** PGlite's data folder (default: in memory, gone when the process ends). */
  readonly dataDir?: string;
  /** Most connections to PostgreSQL (default 10; PGlite has one). */
  readonly maxConnections?: number;
  /**
   * The schema's migrations: a folder of node-pg-migrate SQL files and the table recording which ran
   * (default the gateway's: gateway/migrations, `pgmigrations`). The indexer keeps its own (indexer/db.ts),
   * so that both may share one database.
   */
  readonly migrations?: { readonly dir: string; readonly table: string };
  /**
   * How often an embedded PGlite database vacuums the tables that need it, in milliseconds (default
   * {@link PGLITE_VACUUM_INTERVAL_MS}; 0: never). PostgreSQL's own autovacuum does this for a server.
   */
  readonly vacuumIntervalMs?: number;
}

/**
 * How often an embedded database looks for tables to vacuum: PGlite is one process with no autovacuum
 * launcher (its `autovacuum` setting says on, and nothing ever runs), so without this every updated or
 * deleted row (a receipt bound to its root, a pruned nonce) would stay in its table and indexes for good.
 */
export const PGLITE_VACUUM_INTERVAL_MS = 60_000;

/**
 * Vacuums and analyzes the tables autovacuum would at its default thresholds: more dead rows than 50 + 20%
 * of the live ones, or more rows changed since the last analysis than 50 + 10% of them. One table at a
 * time; a vacuum visits only the pages changed since the last one. Returns the tables it vacuumed.
 */
export async function vacuumDue(pool: pg.Pool): Promise<string[]> {
  // The session's counts reach the statistics when it next reports them: now, not up to a second later.
  await pool.query("SELECT pg_stat_force_next_flush()");
  const due = await pool.query<{ schemaname: string; relname: string }>(
    "SELECT schemaname, relname FROM pg_stat_user_tables WHERE n_dead_tup > 50 + 0.2 * n_live_tup OR n_mod_since_analyze > 50 + 0.1 * n_live_tup ORDER BY n_dead_tup DESC",
  );
  const done: string[] = [];
  for (const t of due.rows) {
    await pool.query(`VACUUM (ANALYZE) ${pg.escapeIdentifier(t.schemaname)}.${pg.escapeIdentifier(t.relname)}`);
    done.push(t.relname);
  }
  return done;
}

const GATEWAY_MIGRATIONS = { dir: path.join(__dirname, "migrations"), table: "pgmigrations" };

async function migrate(pool: pg.Pool, migrations: { readonly dir: string; readonly table: string }): Promise<void> {
  // node-pg-migrate is an ES module; Node 20 loads it with require().
  const { runner } = require("node-pg-migrate") as { runner: typeof MigrationRunner };
  const client = await pool.connect();
  try {
    await runner({
      dbClient: client,
      dir: migrations.dir,
      direction: "up",
      migrationsTable: migrations.table,
      count: Infinity,
      log: () => undefined,
      noLock: false,
    });
  } finally {
    client.release();
  }
}

function withTransactions(pool: pg.Pool, kind: Database["kind"], close: () => Promise<void>): Database {
  return {
    pool,
    kind,
    async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      // A connection that breaks mid-transaction (the server restarted, the session ended) fails the
      // statement under way; its client's own error event must not end the process.
      const ignore = () => undefined;
      client.on("error", ignore);
      let broken: Error | undefined;
      try {
        await client.query("BEGIN");
        const out = await fn(client);
        await client.query("COMMIT");
        return out;
      } catch (err) {
        // A connection that cannot roll back is broken: it is ended, not handed to the next caller (the
        // server rolls back what it had of the transaction when the session ends).
        await client.query("ROLLBACK").catch((e: unknown) => (broken = e instanceof Error ? e : new Error(String(e))));
        throw err;
      } finally {
        client.off("error", ignore);
        client.release(broken);
      }
    },
    close,
  };
}

/** Whether `err` is a statement the server refused (it carries a SQLSTATE), not a broken connection. */
export function isRefusal(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code);
}

/** Makes `pool.query` keep its client when the server refuses a statement, and end it only when the connection broke. */
function keepClientOnRefusal(pool: pg.Pool): void {
  const query = async (...args: Parameters<pg.PoolClient["query"]>) => {
    const client = await pool.connect();
    const ignore = () => undefined;
    client.on("error", ignore);
    let broken: Error | undefined;
    try {
      return await (client.query as (...a: unknown[]) => Promise<unknown>)(...args);
    } catch (err) {
      if (!isRefusal(err)) broken = err instanceof Error ? err : new Error(String(err));
      throw err;
    } finally {
      client.off("error", ignore);
      client.release(broken);
    }
  };
  (pool as unknown as { query: typeof query }).query = query;
}

/**
 * Opens the database and brings its schema up to date.
 * @throws when the database cannot be reached or a migration fails
 */
export async function openDatabase(options: DatabaseOptions = {}): Promise<Database> {
  if (options.url !== undefined) {
    const pool = new pg.Pool({ connectionString: options.url, max: options.maxConnections ?? 10 });
    // A dropped connection is reported on the query that needed it; an idle client's error must not end the process.
    pool.on("error", () => undefined);
    try {
      await migrate(pool, options.migrations ?? GATEWAY_MIGRATIONS);
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
    return withTransactions(pool, "postgres", () => pool.end());
  }
  const { PGlite } = require("@electric-sql/pglite") as typeof import("@electric-sql/pglite");
  const { PGLiteSocketServer } = require("@electric-sql/pglite-socket") as typeof import("@electric-sql/pglite-socket");
  const db = await PGlite.create(options.dataDir);
  // PGlite keeps its files in memory (or in a folder through memory): a new WAL segment written full of
  // zeros, 8 kB at a time, grows its 16 MB buffer step by step, each step a copy of all of it. Without the
  // zeros the segment is made at its size at once; every write is still written and flushed as before.
  await db.exec("SET wal_init_zero = off");
  // PGlite is one database session, shared by every socket connection and protected by no password: the
  // server admits one connection, and the pool keeps its one client connected for the process's life (no
  // idle timeout), so no other local process can get into the gateway's session (a temporary table of its
  // own would shadow the nonce book). A statement PostgreSQL refuses leaves that connection healthy, so
  // the client is kept (pg's Pool.query would end it, and the server would refuse the next connection
  // while it was still closing the old one: the request after any SQL error would fail too).
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 1 });
  await server.start();
  const [host, port] = server.getServerConn().split(":");
  const pool = new pg.Pool({ host, port: Number(port), user: "postgres", database: "postgres", max: 1, idleTimeoutMillis: 0 });
  keepClientOnRefusal(pool);
  pool.on("error", () => undefined);
  // Vacuums in the background, between statements (the pool has one connection): one failing is tried again next time.
  const every = options.vacuumIntervalMs ?? PGLITE_VACUUM_INTERVAL_MS;
  let vacuuming: Promise<unknown> = Promise.resolve();
  const timer =
    every > 0
      ? setInterval(() => {
          vacuuming = vacuuming.then(() => vacuumDue(pool)).catch(() => undefined);
        }, every).unref()
      : undefined;
  const close = async () => {
    if (timer !== undefined) clearInterval(timer);
    await vacuuming;
    await pool.end().catch(() => undefined);
    await server.stop().catch(() => undefined);
    await db.close().catch(() => undefined);
  };
  try {
    await migrate(pool, options.migrations ?? GATEWAY_MIGRATIONS);
  } catch (err) {
    await close();
    throw err;
  }
  return withTransactions(pool, "pglite", close);
}

/**
 * A new, empty database on the PostgreSQL server of `serverUrl` (a connection string to any database of
 * it), named `<prefix>_<pid>_<time>_<random>`, and how to drop it: for benchmarks and tests.
 */
export async function createScratchDatabase(serverUrl: string, prefix: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
