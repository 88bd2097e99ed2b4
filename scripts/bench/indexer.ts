/**
 * The indexer's benchmark (the indexer phase of `npm run bench`, issue 15): `reports/indexer.json`.
 *
 * On the in-process Hardhat network, the suite is deployed and a chain of `events` (default 1,000,000)
 * accesses is made by AccessLogFlood (contracts/test): ConsentRegistry's `AccessLogged`, its exact
 * signature, emitted `perTx` to a transaction for `patients` patients, with `gapBlocks` empty blocks mined
 * after each transaction so that the history spans many blocks as a real one does. The indexer is told the
 * generator is the suite's ConsentRegistry and decodes its logs with the registry's interface, as it
 * decodes the registry's. Then, on embedded PGlite (on disk, as `npm run indexer` keeps it) and on the
 * machine's PostgreSQL (`CARELEDGER_BENCH_DATABASE_URL`, default postgres://postgres@127.0.0.1:5432/postgres;
 * a database created and dropped for the run; reported absent when it cannot be reached):
 *
 * - `catchUpEventsPerSecond`: the indexer (indexer/sync.ts, as shipped) catching up from the deployment
 *   block to the head: events stored per second of wall clock;
 * - `accessLogPage.p50Ms` / `.p99Ms`: `GET /patients/{address}/access-log?_count=50` over HTTP on
 *   127.0.0.1, for random patients, half first pages and half the page after (by its cursor), one at a time;
 * - `chainAccessLog.medianMs`: the same patients' access log read by the SDK from the node alone, in bounded
 *   ranges (`consent.accessLog`: the whole log, since a chain read has no pages), in the same run;
 * - `speedup`: that median over the indexer page's p50 (goal ≥ 100 at 1,000,000 events);
 * - `sdkIndexerAccessLog.medianMs`: the whole log read by the SDK given the indexer (`{ indexer: url }`).
 *
 * `CARELEDGER_BENCH_INDEXER_EVENTS` makes a smaller chain for a quick run.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { CareLedger } from "../../sdk";
import { createScratchDatabase, type Database } from "../../gateway/db";
import { freePort } from "../../gateway/net";
import { buildIndexerApi } from "../../indexer/api";
import { openIndexerDatabase } from "../../indexer/db";
import { Indexer, type IndexedSuite } from "../../indexer/sync";
import { AccessLogFlood__factory } from "../../typechain-types";
import { deploySuite } from "../deploy";

export interface IndexerBenchOptions {
  /** Accesses on the chain (default 1,000,000). */
  readonly events?: number;
  /** Patients they are spread over (default 1,000: a thousand accesses each at a million). */
  readonly patients?: number;
  /** Accesses a transaction (default 4,000: under the 16,777,216 gas a transaction may use since Osaka). */
  readonly perTx?: number;
  /** Empty blocks after each transaction (default 500). */
  readonly gapBlocks?: number;
  /** Access-log pages asked for on each database (default 200). */
  readonly samples?: number;
  /** Chain reads of a whole access log (default 5). */
  readonly chainSamples?: number;
  /** The PostgreSQL server to measure on (a database is created and dropped there). */
  readonly postgresUrl?: string;
}

const PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/postgres";

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
const median = (xs: readonly number[]) => percentile([...xs].sort((a, b) => a - b), 50);
const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

/** A random number generator with a seed, so that every run asks for the same patients. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export async function runIndexerBench(hre: HardhatRuntimeEnvironment, log: (line: string) => void, options: IndexerBenchOptions = {}): Promise<Record<string, number | string>> {
  const { events = 1_000_000, patients = 1_000, perTx = 4_000, gapBlocks = 500, samples = 200, chainSamples = 5 } = options;
  const [deployer, accessor] = await hre.ethers.getSigners();
  const { book } = await deploySuite(hre, { addressBookDir: null, log: () => undefined });
  const flood = await new AccessLogFlood__factory(deployer).deploy();
  await flood.waitForDeployment();
  const floodAddress = await flood.getAddress();

  // The chain: `events` accesses, `perTx` to a transaction, `gapBlocks` empty blocks after each.
  const made = performance.now();
  for (let first = 0; first < events; first += perTx) {
    const count = Math.min(perTx, events - first);
    await (await flood.flood(first, count, patients, accessor.address)).wait();
    if (gapBlocks > 0) await hre.network.provider.send("hardhat_mine", ["0x" + gapBlocks.toString(16)]);
    if ((first / perTx) % 40 === 39) log(`  chain: ${(first + count).toLocaleString("en-US")} accesses…`);
  }
  const head = await hre.ethers.provider.getBlockNumber();
  log(`chain: ${events.toLocaleString("en-US")} accesses for ${patients.toLocaleString("en-US")} patients over ${(head - book.deploymentBlock).toLocaleString("en-US")} blocks, made in ${round((performance.now() - made) / 1000, 1)} s`);

  const suite: IndexedSuite = { chainId: BigInt(book.chainId), addresses: { ...book.contracts, ConsentRegistry: floodAddress }, fromBlock: book.deploymentBlock };
  const random = seeded(20261206);
  const asked = Array.from({ length: samples }, () => Math.floor(random() * patients));
  const patientAddress = new Map<number, string>();
  const patientOf = async (n: number) => {
    if (!patientAddress.has(n)) patientAddress.set(n, await flood.patientOf(n));
    return patientAddress.get(n)!;
  };

  const report: Record<string, number | string> = { events, patients, blocks: head - book.deploymentBlock, eventsPerPatient: Math.floor(events / patients) };
  const measured = new Map<string, { pageP50: number; url: string; close: () => Promise<void> }>();

  const onDatabase = async (kind: "pglite" | "postgres", db: Database, keys: string) => {
    const indexer = await Indexer.open(hre.ethers.provider, db, suite, { confirmations: 0, batchBlocks: 2_000, log: () => undefined });
    const started = performance.now();
    let last = started;
    for (;;) {
      const step = await indexer.step();
      if (step.kind === "caughtUp") break;
      if (step.kind !== "stored") throw new Error(`the indexer did not store a batch of a chain nobody changes: ${JSON.stringify(step)}`);
      if (performance.now() - last > 15_000) {
        last = performance.now();
        log(`  ${kind}: ${indexer.status().percent}% (${indexer.status().events.toLocaleString("en-US")} events)`);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const stored = indexer.status().events;
    if (stored < events) throw new Error(`the indexer stored ${stored} events of ${events}`);
    report[`catchUpEventsPerSecond${keys}`] = Math.round(stored / seconds);
    report[`catchUpSeconds${keys}`] = round(seconds, 1);
    log(`${kind}: caught up ${stored.toLocaleString("en-US")} events in ${round(seconds, 1)} s: ${Math.round(stored / seconds).toLocaleString("en-US")} events/s`);

    const app = buildIndexerApi({ db, indexer, chainId: suite.chainId, consentRegistry: floodAddress });
    const port = await freePort();
    await app.listen({ host: "127.0.0.1", port });
    const url = `http://127.0.0.1:${port}`;
    const times: number[] = [];
    for (let i = 0; i < samples; i++) {
      const patient = await patientOf(asked[i]);
      let at = `${url}/patients/${patient}/access-log?_count=50`;
      const second = i % 2 === 1 && events / patients > 50;
      if (second) {
        // The page after the first, by its cursor (not timed: the first page is the other half).
        const first = (await (await fetch(at)).json()) as { link: { relation: string; url: string }[] };
        at = first.link.find((l) => l.relation === "next")!.url;
      }
      const t = performance.now();
      const res = await fetch(at);
      const body = (await res.json()) as { entry?: unknown[] };
      times.push(performance.now() - t);
      if (res.status !== 200 || body.entry?.length !== Math.min(50, Math.floor(events / patients) - (second ? 50 : 0))) {
        throw new Error(`GET ${at}: ${res.status}, ${body.entry?.length} entries`);
      }
    }
    times.sort((a, b) => a - b);
    report[`accessLogPage${keys}.p50Ms`] = round(percentile(times, 50));
    report[`accessLogPage${keys}.p99Ms`] = round(percentile(times, 99));
    log(`${kind}: an access-log page of 50: p50 ${round(percentile(times, 50))} ms, p99 ${round(percentile(times, 99))} ms (${samples} pages)`);
    measured.set(kind, { pageP50: percentile(times, 50), url, close: () => app.close() });
  };

  const pgliteDir = fs.mkdtempSync(path.join(os.tmpdir(), "careledger-indexer-bench-"));
  const pglite = await openIndexerDatabase({ dataDir: pgliteDir });
  const closers: (() => Promise<void>)[] = [async () => pglite.close(), async () => fs.promises.rm(pgliteDir, { recursive: true, force: true })];
  try {
    await onDatabase("pglite", pglite, "");
    const admin = options.postgresUrl ?? PG_DEFAULT;
    const scratch = await createScratchDatabase(admin, "careledger_bench").catch((err: unknown) => {
      log(`postgres: not measured (${admin.replace(/\/\/[^@]*@/, "//…@")} cannot be reached: ${(err as Error).message})`);
      return undefined;
    });
    if (scratch !== undefined) {
      const pg = await openIndexerDatabase({ url: scratch.url });
      closers.unshift(async () => pg.close(), scratch.drop);
      await onDatabase("postgres", pg, ".postgres");
    }
    for (const m of measured.values()) closers.unshift(m.close);

    // The SDK: from the node alone (bounded ranges), and given the indexer, for the same patients.
    const viaChain = await CareLedger.connect(hre.ethers.provider, { addressBook: book, addresses: { ConsentRegistry: floodAddress } });
    const viaIndexer = await CareLedger.connect(hre.ethers.provider, { addressBook: book, addresses: { ConsentRegistry: floodAddress }, indexer: measured.get("pglite")!.url });
    const chainTimes: number[] = [];
    const indexerTimes: number[] = [];
    for (let i = 0; i < chainSamples; i++) {
      const patient = await patientOf(asked[i]);
      let t = performance.now();
      const fromChain = await viaChain.consent.accessLog(patient);
      chainTimes.push(performance.now() - t);
      t = performance.now();
      const fromIndexer = await viaIndexer.consent.accessLog(patient);
      indexerTimes.push(performance.now() - t);
      if (fromChain.length !== Math.floor(events / patients) || JSON.stringify(fromChain, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)) !== JSON.stringify(fromIndexer, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))) {
        throw new Error(`patient ${asked[i]}: the access log read through the indexer differs from the chain's`);
      }
    }
    report["chainAccessLog.medianMs"] = round(median(chainTimes));
    report["sdkIndexerAccessLog.medianMs"] = round(median(indexerTimes));
    report.speedup = round(median(chainTimes) / measured.get("pglite")!.pageP50, 1);
    if (measured.has("postgres")) report["speedup.postgres"] = round(median(chainTimes) / measured.get("postgres")!.pageP50, 1);
    log(
      `SDK, a whole access log (${Math.floor(events / patients)} entries): from the node ${round(median(chainTimes))} ms, given the indexer ${round(median(indexerTimes))} ms; ` +
        `speedup of an indexer page over the node's read: ${report.speedup}×${measured.has("postgres") ? ` (PostgreSQL ${report["speedup.postgres"]}×)` : ""} (goal ≥ 100×)`,
    );
    report.setting =
      `in-process Hardhat network; ${perTx.toLocaleString("en-US")} accesses a transaction, ${gapBlocks} empty blocks after each; indexer batches of 2,000 blocks, confirmations 0; ` +
      `pages over HTTP on 127.0.0.1 one at a time, ${samples} per database (half first pages, half second); PGlite on disk; ${os.cpus().length} CPUs`;
  } finally {
    for (const close of closers) await close().catch(() => undefined);
  }
  return report;
}
