/**
 * The gas benchmark: `npm run bench`.
 *
 * Deploys the suite on the in-process network, runs each part's operations, reads gas from the
 * receipts, and writes `reports/gas.json` as one flat object `{ "<operation>": gasUsed }`. The
 * floor (one new storage slot plus one event, measured by GasFloor in the same run) is reported as
 * `floor.slotAndEvent`, and every figure is printed as a ratio to it, beside its budget.
 * It reports; it does not fail on a budget (budgets are goals, read from the report).
 *
 * Then the Merkle engine against OpenZeppelin's (`reports/merkle.json`, scripts/bench/merkle.ts) and
 * the gateway's gas per disclosure, its throughput against raw serving and its ingest rate
 * (`reports/gateway.json`, scripts/bench/gateway.ts and throughput.ts; `CARELEDGER_BENCH_SECONDS` sets
 * the seconds of each load run, default 10; `CARELEDGER_BENCH_DATABASE_URL` measures it on that
 * PostgreSQL server, in a database created and dropped for the run, instead of PGlite;
 * `CARELEDGER_BENCH_PROFILE=<dir>` writes a CPU profile of each load run there).
 * Then the indexer at a million events (`reports/indexer.json`, scripts/bench/indexer.ts;
 * `CARELEDGER_BENCH_INDEXER_EVENTS` for a smaller chain).
 * `CARELEDGER_BENCH=gateway npm run bench` runs only the phases named (comma-separated: gas, merkle,
 * gateway, indexer; default all four).
 */
import * as fs from "node:fs";
import { Session } from "node:inspector";
import * as path from "node:path";
import hre from "hardhat";
import { HDNodeWallet, parseEther, type ContractTransactionResponse } from "ethers";
import { deploySuite } from "./deploy";
import type { BenchContext, Measurement, PartBench } from "./bench/context";
import { benchParticipants } from "./bench/participants";
import { benchRecords } from "./bench/records";
import { runMerkleBench } from "./bench/merkle";
import { benchClaims } from "./bench/claims";
import { benchConsent } from "./bench/consent";
import { benchDisclosures } from "./bench/disclosures";
import { benchAccounts } from "./bench/accounts";
import { runGatewayBench } from "./bench/gateway";
import { runIndexerBench } from "./bench/indexer";
import { envVar } from "../config/env";
import { GasFloor__factory, ViewProbe__factory } from "../typechain-types";

/** Every part's benchmark, in the order they are reported. */
const PARTS: readonly PartBench[] = [benchParticipants, benchConsent, benchRecords, benchClaims, benchDisclosures, benchAccounts];

/** The phases of `npm run bench`, in order. */
const PHASES = ["gas", "merkle", "gateway", "indexer"] as const;

/** The phases `CARELEDGER_BENCH` names (comma-separated), all of them when it is unset. */
export function benchPhases(value: string | undefined = envVar("CARELEDGER_BENCH")): Set<(typeof PHASES)[number]> {
  if (value === undefined) return new Set(PHASES);
  const names = value.split(",").map((p) => p.trim()).filter((p) => p !== "");
  const unknown = names.filter((p) => !(PHASES as readonly string[]).includes(p));
  if (names.length === 0 || unknown.length > 0) throw new Error(`CARELEDGER_BENCH=${JSON.stringify(value)}: name phases among ${PHASES.join(", ")}, separated by commas`);
  return new Set(names as (typeof PHASES)[number][]);
}

async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<bigint> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("transaction dropped");
  return receipt.gasUsed;
}

/** Runs every part's benchmark and returns the flat report (floor first). */
export async function runBench(): Promise<{ report: Record<string, number>; rows: Measurement[] }> {
  const [deployer] = await hre.ethers.getSigners();
  const signers = await hre.ethers.getSigners();
  const { book } = await deploySuite(hre, { addressBookDir: null, registrar: signers[1].address, pauser: signers[2].address, log: () => undefined });
  const floor = await new GasFloor__factory(deployer).deploy();
  const probe = await new ViewProbe__factory(deployer).deploy();
  // The first write to the floor's mapping pays for a new slot, exactly like the anchors it stands for.
  const floorGas = await gasOf(floor.store("0x" + "01".repeat(32), 1));
  const ctx: BenchContext = {
    hre,
    book,
    probe,
    gasOf,
    coldView: (target, data) => probe.measure(target, data),
    fresh: async (n) => {
      const wallets = Array.from({ length: n }, () => HDNodeWallet.createRandom().connect(hre.ethers.provider));
      for (const w of wallets) await (await deployer.sendTransaction({ to: w.address, value: parseEther("100") })).wait();
      return wallets;
    },
  };
  const rows: Measurement[] = [{ key: "floor.slotAndEvent", gas: floorGas }];
  for (const part of PARTS) rows.push(...(await part(ctx)));
  const report = Object.fromEntries(rows.map((r) => [r.key, Number(r.gas)]));
  return { report, rows };
}

function printTable(rows: readonly Measurement[]): void {
  const floor = Number(rows[0].gas);
  const lines = rows.map((r) => {
    const gas = Number(r.gas);
    const budget = r.budget === undefined ? "" : r.budget.toLocaleString("en-US");
    const verdict = r.budget === undefined ? "" : gas <= r.budget ? "within" : "OVER";
    return [r.key, gas.toLocaleString("en-US"), (gas / floor).toFixed(2) + "×", budget, verdict];
  });
  const header = ["operation", "gas", "vs floor", "budget", ""];
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  console.log(fmt(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const l of lines) console.log(fmt(l));
}

async function main(): Promise<void> {
  const phases = benchPhases();
  if (phases.has("gas")) {
    const { report, rows } = await runBench();
    const out = path.join(hre.config.paths.root, "reports", "gas.json");
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify(report, null, 2) + "\n");
    // The budgets the issues set, beside the figures, for the generated docs/gas.md.
    const budgets = Object.fromEntries(rows.filter((r) => r.budget !== undefined).map((r) => [r.key, r.budget]));
    fs.writeFileSync(path.join(path.dirname(out), "gas-budgets.json"), JSON.stringify(budgets, null, 2) + "\n");
    printTable(rows);
    console.log(`\nWrote ${path.relative(process.cwd(), out)}`);
  }
  // Second phase: the Merkle engine against OpenZeppelin's StandardMerkleTree (reports/merkle.json).
  if (phases.has("merkle")) {
    console.log("\nMerkle engine:");
    await runMerkleBench(hre.config.paths.root);
  }
  // Third phase: the gateway's gas per disclosure, anchoring roots of 1, 64 and 1,024 receipts, then its
  // throughput against raw serving and its ingest rate (reports/gateway.json).
  if (phases.has("gateway")) {
    console.log("\nGateway (DisclosureLog.anchorDisclosures):");
    const seconds = envVar("CARELEDGER_BENCH_SECONDS");
    if (seconds !== undefined && !(Number.isSafeInteger(Number(seconds)) && Number(seconds) >= 1)) throw new Error(`CARELEDGER_BENCH_SECONDS=${seconds} is not a whole number of seconds`);
    const databaseUrl = envVar("CARELEDGER_BENCH_DATABASE_URL");
    const profileDir = envVar("CARELEDGER_BENCH_PROFILE");
    await runGatewayBench(hre, console.log, {
      ...(seconds === undefined ? {} : { seconds: Number(seconds) }),
      ...(databaseUrl === undefined ? {} : { databaseUrl }),
      ...(profileDir === undefined ? {} : { around: cpuProfiles(profileDir) }),
    });
  }
  // Fourth phase: the indexer at a million events — catch-up speed, an access-log page on PGlite and on
  // PostgreSQL, and the SDK's chain read of the same (reports/indexer.json, scripts/bench/indexer.ts).
  if (phases.has("indexer")) {
    console.log("\nIndexer:");
    const events = envVar("CARELEDGER_BENCH_INDEXER_EVENTS");
    if (events !== undefined && !(Number.isSafeInteger(Number(events)) && Number(events) >= 1_000)) throw new Error(`CARELEDGER_BENCH_INDEXER_EVENTS=${events} is not a whole number of at least 1,000`);
    const report = await runIndexerBench(hre, console.log, {
      ...(events === undefined ? {} : { events: Number(events) }),
      ...(envVar("CARELEDGER_BENCH_DATABASE_URL") === undefined ? {} : { postgresUrl: envVar("CARELEDGER_BENCH_DATABASE_URL") }),
    });
    const out = path.join(hre.config.paths.root, "reports", "indexer.json");
    fs.writeFileSync(out, JSON.stringify(report, null, 2) + "\n");
    console.log(`Wrote ${path.relative(process.cwd(), out)}`);
  }
}

/**
 * `CARELEDGER_BENCH_PROFILE=<dir>`: a CPU profile of this process (the gateway, its database and the chain)
 * during each measured load run, written as `<dir>/<run>-<n>.cpuprofile` (open it in Chrome DevTools).
 */
function cpuProfiles(dir: string): (run: string, phase: "start" | "end") => Promise<void> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) => session.post(method, params, (err, result) => (err ? reject(err) : resolve(result))));
  const taken = new Map<string, number>();
  fs.mkdirSync(dir, { recursive: true });
  return async (run, phase) => {
    if (phase === "start") {
      await post("Profiler.enable");
      await post("Profiler.start");
      return;
    }
    const { profile } = (await post("Profiler.stop")) as { profile: object };
    const n = (taken.get(run) ?? 0) + 1;
    taken.set(run, n);
    fs.writeFileSync(path.join(dir, `${run}-${n}.cpuprofile`), JSON.stringify(profile));
  };
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
