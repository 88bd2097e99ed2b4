#!/usr/bin/env node
/**
 * `npm run mutation [-- <Target>...]`: mutation testing with SuMo, one contract at a time.
 *
 * For each target (default: all of sumo-config.js TARGETS, smallest core contract first) it runs
 * `sumo test` with SUMO_TARGET set, so SuMo mutates that one contract and judges every mutant with
 * that contract's own test files; it copies SuMo's results to sumo/<Target>/ (gitignored) and
 * merges the counts into reports/mutation.json.
 *
 * `npm run mutation -- --recheck <Target>...` re-tests only the mutants that survived the last full
 * run of each target (from sumo/<Target>/live/) against the current tests, to confirm that new tests
 * kill them without re-running every mutant; the report keeps both figures apart.
 *
 * SuMo writes each mutant over the contract in place; if this script is interrupted, it puts the
 * original contract back from SuMo's baseline copy before exiting.
 */
const { spawnSync } = require("child_process");
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const { TARGETS } = require(path.join(ROOT, "sumo-config.js"));
const REPORT = path.join(ROOT, "reports", "mutation.json");
const RESULTS = path.join(ROOT, ".sumo", "results");
const BASELINE = path.join(ROOT, ".sumo", "baseline", "contracts");
const ORDER = ["ParticipantRegistry", "RecordRegistry", "ConsentRegistry", "ClaimsEngine", "ClaimsAdmin", "Adjudication"];
const NPX = process.platform === "win32" ? "npx.cmd" : "npx";

let current = null; // { contract, original } while a contract may be mutated on disk

function restoreCurrent() {
  if (current === null) return;
  const file = path.join(ROOT, "contracts", current.contract);
  if (fs.readFileSync(file, "utf8") !== current.original) {
    fs.writeFileSync(file, current.original, "utf8");
    console.error(`restored ${current.contract}`);
  }
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    restoreCurrent();
    process.exit(130);
  });
}

/** Rows of a SuMo `$`-separated CSV as objects keyed by its header. */
function readCsv(file) {
  const [header, ...rows] = fs.readFileSync(file, "utf8").split("\n").filter((line) => line.trim() !== "");
  const keys = header.replace(/;\s*$/, "").split("$");
  return rows.map((row) => Object.fromEntries(row.split("$").map((value, i) => [keys[i], value])));
}

function readReport() {
  return fs.existsSync(REPORT) ? JSON.parse(fs.readFileSync(REPORT, "utf8")) : {};
}

function writeReport(report) {
  fs.mkdirSync(path.dirname(REPORT), { recursive: true });
  const sorted = Object.fromEntries(Object.keys(report).sort().map((key) => [key, report[key]]));
  fs.writeFileSync(REPORT, `${JSON.stringify(sorted, null, 2)}\n`);
}

function round(value) {
  return Math.round(value * 10_000) / 10_000;
}

/** Full SuMo run of one target; returns its counts. */
function runFull(name) {
  const target = TARGETS[name];
  const file = path.join(ROOT, "contracts", target.contract);
  current = { contract: target.contract, original: fs.readFileSync(file, "utf8") };
  const started = Date.now();
  const run = spawnSync(NPX, ["sumo", "test"], { cwd: ROOT, stdio: "inherit", env: { ...process.env, SUMO_TARGET: name } });
  restoreCurrent();
  current = null;
  if (run.status !== 0) throw new Error(`sumo test for ${name} exited with ${run.status}`);

  const out = path.join(ROOT, "sumo", name);
  fs.rmSync(out, { recursive: true, force: true });
  fs.cpSync(RESULTS, out, { recursive: true });

  const generated = readCsv(path.join(RESULTS, "generated.csv")).length;
  const rows = readCsv(path.join(RESULTS, "results.csv"));
  const count = (status) => rows.filter((row) => row.Status === status).length;
  const killed = count("killed");
  const live = count("live");
  const result = {
    generated,
    tested: killed + live,
    killed,
    live,
    stillborn: count("stillborn"),
    timedout: count("timedout"),
    equivalent: count("equivalent") + count("redundant"),
    score: killed + live === 0 ? null : round(killed / (killed + live)),
    minutes: round((Date.now() - started) / 60_000),
  };
  const report = readReport();
  for (const [key, value] of Object.entries(result)) report[`${name}.${key}`] = value;
  writeReport(report);
  return result;
}

/** Re-tests the survivors of the last full run of one target against the current tests. */
function recheck(name) {
  const target = TARGETS[name];
  const liveDir = path.join(ROOT, "sumo", name, "live");
  if (!fs.existsSync(liveDir)) throw new Error(`no previous run of ${name} (sumo/${name}/live is missing)`);
  const file = path.join(ROOT, "contracts", target.contract);
  const original = fs.readFileSync(file, "utf8");
  const tests = target.tests.map((test) => path.join("test", test)).filter((test) => fs.existsSync(path.join(ROOT, test)));
  const survivors = [];
  const killedNow = [];
  current = { contract: target.contract, original };
  for (const entry of fs.readdirSync(liveDir).filter((f) => f.endsWith(".json")).sort()) {
    const mutant = JSON.parse(fs.readFileSync(path.join(liveDir, entry), "utf8"));
    const id = entry.replace(/^.*-(m[0-9a-f]{8})\.json$/, "$1");
    fs.writeFileSync(file, original.slice(0, mutant.start) + mutant.replace + original.slice(mutant.end), "utf8");
    const compiled = spawnSync(NPX, ["hardhat", "compile", "--quiet"], { cwd: ROOT, stdio: "inherit" });
    const tested = compiled.status === 0 ? spawnSync(NPX, ["hardhat", "test", "--bail", ...tests], { cwd: ROOT, stdio: "inherit" }) : null;
    fs.writeFileSync(file, original, "utf8");
    const status = compiled.status !== 0 ? "stillborn" : tested.status === 0 ? "live" : "killed";
    console.log(`recheck ${name} ${id} (${mutant.operator} line ${mutant.startLine}): ${status}`);
    (status === "live" ? survivors : killedNow).push(id);
  }
  current = null;

  const report = readReport();
  const killed = report[`${name}.killed`];
  const live = report[`${name}.live`];
  if (killed === undefined || live === undefined) throw new Error(`reports/mutation.json has no full run of ${name}`);
  const finalKilled = killed + killedNow.length;
  report[`${name}.recheck.killed`] = killedNow.length;
  report[`${name}.recheck.live`] = survivors.length;
  report[`${name}.finalScore`] = round(finalKilled / (killed + live));
  writeReport(report);
  fs.writeFileSync(path.join(ROOT, "sumo", name, "recheck.json"), `${JSON.stringify({ killed: killedNow, live: survivors }, null, 2)}\n`);
  return { killed: killedNow, live: survivors };
}

function main() {
  const args = process.argv.slice(2);
  const mode = args[0] === "--recheck" ? "recheck" : "full";
  const names = (mode === "recheck" ? args.slice(1) : args).filter((a) => !a.startsWith("--"));
  const targets = names.length > 0 ? names : ORDER;
  for (const name of targets) {
    if (TARGETS[name] === undefined) throw new Error(`unknown target ${name}; one of ${ORDER.join(", ")}`);
  }
  try {
    for (const name of targets) {
      console.log(`\n=== ${mode === "full" ? "SuMo" : "recheck"}: ${name} ===`);
      const result = mode === "full" ? runFull(name) : recheck(name);
      console.log(`=== ${name}: ${JSON.stringify(result)} ===`);
    }
  } finally {
    restoreCurrent();
    // Leave the build matching the original sources, not the last mutant.
    spawnSync(NPX, ["hardhat", "compile", "--quiet"], { cwd: ROOT, stdio: "inherit" });
  }
}

main();
