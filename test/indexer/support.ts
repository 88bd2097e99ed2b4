/** The suite with some activity for the indexer's tests, and what the indexer is told of it. */
import hre from "hardhat";
import { CareLedger } from "../../sdk";
import type { FastifyInstance } from "fastify";
import type { Database } from "../../gateway/db";
import { freePort } from "../../gateway/net";
import { buildIndexerApi } from "../../indexer/api";
import { openIndexerDatabase } from "../../indexer/db";
import { Indexer } from "../../indexer/sync";
import { scratchDatabase, type DatabaseKind } from "../support/databases";
import { SUITE_INTERFACES } from "../../indexer/decode";
import type { IndexedSuite, IndexerOptions } from "../../indexer/sync";
import { COMMITMENT, HOSPITAL, suiteFixture, YEAR, type SuiteFixture } from "../support/suiteFixture";

/** What the indexer's tests need of a suite fixture (suiteFixture's, or the gateway tests' gatewayChain). */
export type IndexedFixture = Pick<SuiteFixture, "chainId" | "book">;

export const suiteOf = (f: IndexedFixture): IndexedSuite => ({ chainId: f.chainId, addresses: f.book.contracts, fromBlock: f.book.deploymentBlock });

/** A grant, two logged accesses and an anchored record: consent, records and participants events over a few blocks. */
export async function activity(f: SuiteFixture, tag: string) {
  const patient = await CareLedger.connect(f.patient, { addressBook: f.book });
  const doctor = await CareLedger.connect(f.doctor, { addressBook: f.book });
  const lab = await CareLedger.connect(f.labAdmin, { addressBook: f.book });
  const until = (await hre.ethers.provider.getBlock("latest"))!.timestamp + YEAR;
  await (await patient.consent.grant({ grantee: { organization: HOSPITAL }, classes: ["labs"], purposes: ["TREAT"], validUntil: until, commitment: COMMITMENT })).wait();
  for (const k of ["1", "2"]) {
    await (await doctor.consent.logAccess({ patient: f.patient.address, dataClass: "labs", purpose: "TREAT", recordRef: "0x" + (tag + k).padEnd(64, "0") })).wait();
  }
  await (await lab.records.anchor({ resource: { resourceType: "Observation", id: `o-${tag}`, status: "final" } })).wait();
}

export async function suiteWithActivity() {
  const f = await suiteFixture();
  await activity(f, "a");
  return f;
}


/** Indexing a local chain: nothing left unread behind the head, a node's failure not retried. */
export const LOCAL: IndexerOptions = { confirmations: 0, logs: { retries: 0, backoffMs: 260 } };

/** The oracle: eth_getLogs for the suite's addresses up to `toBlock`, decoded by the contracts' interfaces. */
export async function onChain(f: SuiteFixture, toBlock?: number, after = -1) {
  const byAddress = new Map(Object.entries(f.book.contracts).map(([name, a]) => [a.toLowerCase(), name as keyof typeof SUITE_INTERFACES]));
  const to = toBlock ?? (await hre.ethers.provider.getBlockNumber());
  if (to < f.book.deploymentBlock) return [];
  const logs = await hre.ethers.provider.getLogs({ address: [...byAddress.keys()], fromBlock: Math.max(f.book.deploymentBlock, after + 1), toBlock: to });
  return logs.flatMap((l) => {
    const contract = byAddress.get(l.address.toLowerCase())!;
    const parsed = SUITE_INTERFACES[contract].parseLog({ topics: [...l.topics], data: l.data });
    return parsed === null ? [] : [`${l.blockNumber}:${l.index}:${l.blockHash}:${l.transactionHash}:${contract}.${parsed.name}`];
  });
}

export async function stored(db: Database, after = -1) {
  const rows = (await db.pool.query("SELECT block_number, log_index, block_hash, tx_hash, contract, event FROM events WHERE block_number > $1 ORDER BY block_number, log_index", [after])).rows;
  return rows.map((r) => `${r.block_number}:${r.log_index}:${r.block_hash}:${r.tx_hash}:${r.contract}.${r.event}`);
}


/**
 * `db` with a hook around every statement its transactions run: `before(client, sql)` runs before the
 * statement, `after(sql)` once it answered (a crash, or a pause, at a chosen point of a batch).
 */
export function hookedTransactions(
  db: Database,
  hooks: { before?: (client: { query: (sql: string) => Promise<unknown> }, sql: string) => Promise<void>; after?: (sql: string) => Promise<void> },
): Database {
  return {
    ...db,
    transaction: (fn) =>
      db.transaction((client) =>
        fn(
          new Proxy(client, {
            get(target, prop, receiver) {
              if (prop !== "query") return Reflect.get(target, prop, receiver);
              return async (sql: unknown, ...rest: unknown[]) => {
                if (typeof sql === "string") await hooks.before?.(target as unknown as { query: (sql: string) => Promise<unknown> }, sql);
                const out = await (target.query as (...a: unknown[]) => Promise<unknown>)(sql, ...rest);
                if (typeof sql === "string") await hooks.after?.(sql);
                return out;
              };
            },
          }) as typeof client,
        ),
      ),
  };
}

/**
 * The suite `f` indexed to the head on a fresh database of `kind`, and the query API over it on 127.0.0.1
 * (`onRequest` told of every request's URL), its origin that URL and its CareLedger connected to the
 * in-process chain (the receipts routes served); `databaseUrl` is the PostgreSQL database's (undefined on
 * PGlite); `close` stops the API and drops the database.
 */
export async function servedIndexer(
  f: IndexedFixture,
  kind: DatabaseKind,
  options: IndexerOptions = LOCAL,
  onRequest?: (url: string) => void,
): Promise<{ db: Database; databaseUrl: string | undefined; indexer: Indexer; app: FastifyInstance; url: string; close: () => Promise<void> }> {
  const { db, url: databaseUrl, drop } = await scratchDatabase(kind, openIndexerDatabase);
  const indexer = await Indexer.open(hre.ethers.provider, db, suiteOf(f), options);
  await indexer.catchUp();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const careledger = await CareLedger.connect(hre.ethers.provider, { addressBook: f.book });
  const app = buildIndexerApi({ db, indexer, chainId: f.chainId, consentRegistry: f.book.contracts.ConsentRegistry, careledger, origin: url });
  if (onRequest !== undefined) app.addHook("onRequest", async (req) => onRequest(req.url));
  await app.listen({ host: "127.0.0.1", port });
  return {
    db,
    databaseUrl,
    indexer,
    app,
    url,
    close: async () => {
      await app.close();
      await drop();
    },
  };
}
