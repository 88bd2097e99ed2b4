#!/usr/bin/env node
/**
 * `npm run mutation [-- <Target>...]`: mutation testing, one contract at a time.
 *
 * SuMo (`sumo mutate`, minimal rules, standard operators) generates the mutants of a target; they are
 * judged by scripts/mutation-judge.ts, which runs many mutants in one Hardhat process (compile in
 * process, fresh network and modules, the target's own test files with --bail) instead of SuMo's two
 * Hardhat processes per mutant. For each target (default: all of sumo-config.js TARGETS, smallest core
 * contract first) the fates go to sumo/<Target>/results.csv (gitignored), the survivors with their
 * change and its context to sumo/<Target>/live/, and the counts into reports/mutation.json.
 *
 *   --jobs <N>            judge in N copies of the project side by side (.sumo/workers/, gitignored)
 *   --recheck <Target>…   re-test only the survivors of the last run (sumo/<Target>/live/) against the
 *                         current tests; the report keeps both figures apart
 *   --progress <Target>…  what a full run still under way (or stopped) has judged so far
 *   --sample <N> [--seed <S>] <Target>…
 *                         a seeded random sample of N of the target's mutants, with its 95% Wilson
 *                         interval as `<Target>.sample.*`; a full run supersedes it
 *
 * The judge writes each mutant over the contract in place and puts the original back after each
 * mutant and when it is interrupted; this script recompiles the original sources at the end.
 *
 * A full run keeps every fate as it is judged in reports/mutation-progress/<Target>.jsonl, headed by a
 * fingerprint of the sources that decide fates (every contract, the target's test files and every
 * project module they import, hardhat.config.ts, package-lock.json). A full run started again under
 * the same fingerprint judges only the mutants not yet judged, so a long run can be stopped and go on in
 * a later session from a commit of that file (in a clone of the commit its header names, when the
 * sources have changed since); under another fingerprint it starts over. The file is
 * removed when the run completes (its figures are then in reports/mutation.json).
 *
 * Survivors judged equivalent (no test can tell them from the original) are listed, each with its
 * reason, in reports/mutation-equivalents.json ({ "<Target>": { "<mutant id>": "reason" } }), checked
 * in and reviewed like code. The script reads it after a full run or a recheck: `<Target>.equivalentJudged`
 * counts the listed mutants still alive, and `<Target>.finalScoreExcludingJudgedEquivalent` leaves them
 * out; a listed mutant that was killed, or that the run did not produce, is reported (the list is stale).
 */
const { spawn, spawnSync } = require("child_process");
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const { TARGETS } = require(path.join(ROOT, "sumo-config.js"));
const REPORT = path.join(ROOT, "reports", "mutation.json");
const EQUIVALENTS = path.join(ROOT, "reports", "mutation-equivalents.json");
const RESULTS = path.join(ROOT, ".sumo", "results");
const PROGRESS = path.join(ROOT, "reports", "mutation-progress");
const ORDER = ["ParticipantRegistry", "RecordRegistry", "DisclosureLog", "ConsentRegistry", "ClaimsEngine", "ClaimsCore", "ClaimsLifecycle", "ClaimsPlans", "ClaimsEscrow", "Adjudication"];
const NPX = process.platform === "win32" ? "npx.cmd" : "npx";
/** Mutants per judge process: bounds the memory one process gathers from re-loading the tests. */
const CHUNK = 40;

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

/** The judged-equivalent mutants of `name` (id → reason), from reports/mutation-equivalents.json. */
function readEquivalents(name, file = EQUIVALENTS) {
  const all = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : {};
  const listed = all[name] ?? {};
  for (const [id, reason] of Object.entries(listed)) {
    if (typeof reason !== "string" || reason.trim() === "") throw new Error(`${path.relative(ROOT, file)}: ${name} ${id} has no reason`);
  }
  return listed;
}

/**
 * The score of a run once its judged equivalents are left out: `killed` of `killed + live` mutants
 * tested, `liveIds` the survivors, `equivalents` the judged-equivalent list (id → reason). Listed
 * mutants that are not among the survivors are returned as `stale` (killed since, or not generated).
 */
function scoreWithEquivalents(killed, live, liveIds, equivalents) {
  const alive = new Set(liveIds);
  const judged = Object.keys(equivalents).filter((id) => alive.has(id));
  const stale = Object.keys(equivalents).filter((id) => !alive.has(id));
  const denominator = killed + live - judged.length;
  return {
    equivalentJudged: judged.length,
    finalScoreExcludingJudgedEquivalent: denominator === 0 ? null : round(killed / denominator),
    stale,
  };
}

/** Writes the judged-equivalent figures of `name` into `report` and warns about a stale list. */
function applyEquivalents(report, name, base, killed, live, liveIds) {
  const { equivalentJudged, finalScoreExcludingJudgedEquivalent, stale } = scoreWithEquivalents(killed, live, liveIds, readEquivalents(name));
  report[`${base}.equivalentJudged`] = equivalentJudged;
  report[`${base}.finalScoreExcludingJudgedEquivalent`] = finalScoreExcludingJudgedEquivalent;
  if (stale.length > 0) console.warn(`${name}: listed as equivalent but not alive in this run (update reports/mutation-equivalents.json): ${stale.join(", ")}`);
}

/** Relative `import … from "./x"`, `import("./x")` and `require("./x")` specifiers of a TypeScript or JavaScript source. */
function relativeImports(source) {
  return [...source.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*|import\s+)["'](\.{1,2}\/[^"']+)["']/g)].map((m) => m[1]);
}

/** The project file a relative specifier names: as written, or with .ts/.js/.json, or its folder's index. */
function resolveModule(from, specifier) {
  const base = path.resolve(path.dirname(from), specifier);
  const candidates = [base, `${base}.ts`, `${base}.js`, `${base}.json`, path.join(base, "index.ts"), path.join(base, "index.js")];
  return candidates.find((file) => fs.existsSync(file) && fs.statSync(file).isFile());
}

/**
 * What decides the fates of `name`'s mutants (absolute paths): every contract, the target's test files and
 * the project modules they import (transitively), hardhat.config.ts and package-lock.json.
 */
function fingerprintFiles(name) {
  const files = new Set();
  const walkContracts = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const child = path.join(dir, entry.name);
      if (entry.isDirectory()) walkContracts(child);
      else if (entry.name.endsWith(".sol")) files.add(child);
    }
  };
  walkContracts(path.join(ROOT, "contracts"));
  const queue = TARGETS[name].tests.map((test) => path.join(ROOT, "test", test)).filter((file) => fs.existsSync(file));
  queue.push(path.join(ROOT, "hardhat.config.ts"));
  while (queue.length > 0) {
    const file = queue.pop();
    if (files.has(file)) continue;
    files.add(file);
    if (!/\.(ts|js)$/.test(file)) continue;
    for (const specifier of relativeImports(fs.readFileSync(file, "utf8"))) {
      const resolved = resolveModule(file, specifier);
      // Not node_modules (package-lock.json stands for it), nor what a build writes from the contracts
      // (typechain-types/, artifacts/: during a run they hold a mutant's build).
      const generated = resolved !== undefined && /^(node_modules|typechain-types|artifacts|cache)\//.test(path.relative(ROOT, resolved).split(path.sep).join("/"));
      if (resolved !== undefined && !generated && !resolved.includes(`${path.sep}node_modules${path.sep}`)) queue.push(resolved);
    }
  }
  files.add(path.join(ROOT, "package-lock.json"));
  return [...files].sort();
}

/** The sha-256 of {@link fingerprintFiles}' files, names and contents. */
function sourcesFingerprint(name) {
  const hash = require("crypto").createHash("sha256");
  for (const file of fingerprintFiles(name)) {
    hash.update(`${path.relative(ROOT, file)}\0`);
    hash.update(fs.readFileSync(file));
    hash.update("\0");
  }
  return hash.digest("hex");
}

function progressFile(name) {
  return path.join(PROGRESS, `${name}.jsonl`);
}

/**
 * The fates judged so far by a full run of `name` under `fingerprint` (id → { status, seconds, failed }),
 * from reports/mutation-progress/<name>.jsonl; empty, and the file started afresh, when there is none or it
 * was judged under other sources.
 */
function readProgress(name, fingerprint, file = progressFile(name)) {
  const judged = new Map();
  if (fs.existsSync(file)) {
    const [header, ...rows] = fs.readFileSync(file, "utf8").split("\n").filter(Boolean);
    if (JSON.parse(header).sources === fingerprint) {
      for (const row of rows) {
        try {
          const fate = JSON.parse(row);
          judged.set(fate.id, fate);
        } catch {
          // a line cut short when the run was stopped: that mutant is judged again
        }
      }
      return judged;
    }
    console.log(`${name}: reports/mutation-progress/${name}.jsonl was judged under other sources; starting over`);
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const commit = spawnSync("git", ["rev-parse", "HEAD"], { cwd: ROOT, encoding: "utf8" }).stdout.trim();
  fs.writeFileSync(file, `${JSON.stringify({ target: name, sources: fingerprint, commit })}\n`);
  return judged;
}

function contractFile(name) {
  return path.join(ROOT, "contracts", TARGETS[name].contract);
}

/**
 * Every mutant of `name`, generated by `sumo mutate` with sumo-config.js, in SuMo's order:
 * [{ id, operator, startLine, original, replace, source }].
 */
function generate(name) {
  // SuMo checks the build directory before it generates anything: build the original first.
  const built = spawnSync(NPX, ["hardhat", "compile", "--quiet"], { cwd: ROOT, stdio: "inherit" });
  if (built.status !== 0) throw new Error(`the original sources do not compile (exit ${built.status})`);
  const run = spawnSync(NPX, ["sumo", "mutate"], { cwd: ROOT, stdio: "inherit", env: { ...process.env, SUMO_TARGET: name } });
  if (run.status !== 0) throw new Error(`sumo mutate for ${name} exited with ${run.status}`);
  const prefix = `${path.basename(TARGETS[name].contract)}-`;
  return readCsv(path.join(RESULTS, "generated.csv")).map((row) => ({
    id: row.Hash,
    operator: row.Operator,
    startLine: Number(row.StartLine),
    original: row.Original,
    replace: row.Replacement,
    source: fs.readFileSync(path.join(RESULTS, "mutants", `${prefix}${row.Hash}.sol`), "utf8"),
  }));
}

/**
 * A copy of the project for a side-by-side judge: its files as they are on disk (tracked or new, not
 * ignored), but docs and reports; node_modules by link.
 */
function makeWorker(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  const listed = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" });
  if (listed.status !== 0) throw new Error("--jobs needs a git checkout: it copies the files git lists");
  const files = listed.stdout.split("\0").filter((f) => f !== "" && !/^(docs|reports)\//.test(f) && fs.existsSync(path.join(ROOT, f)));
  for (const file of files) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, file), path.join(dir, file));
  }
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
}

/** Runs `script` in `cwd` through the shell; resolves with its exit code. */
function sh(script, cwd) {
  return new Promise((resolve) => spawn("sh", ["-c", script], { cwd, stdio: "inherit" }).on("exit", resolve));
}

/**
 * Judges `mutants` of target `name` with scripts/mutation-judge.ts, in `jobs` copies of the project
 * side by side, CHUNK mutants per Hardhat process. Returns Map id → { status, seconds, failed }.
 */
async function judgeAll(name, mutants, jobs, progress) {
  const target = TARGETS[name];
  const tests = target.tests.map((test) => path.join("test", test)).filter((test) => fs.existsSync(path.join(ROOT, test)));
  const workDir = path.join(ROOT, ".sumo", "judge");
  fs.rmSync(workDir, { recursive: true, force: true });
  fs.mkdirSync(workDir, { recursive: true });
  const results = new Map();
  const shards = Array.from({ length: jobs }, (_, i) => mutants.filter((_, k) => k % jobs === i));
  await Promise.all(
    shards.map(async (shard, i) => {
      const cwd = jobs === 1 ? ROOT : path.join(ROOT, ".sumo", "workers", `w${i}`);
      if (jobs > 1) makeWorker(cwd);
      const out = path.join(workDir, `${name}-w${i}.jsonl`);
      for (let c = 0; c < shard.length; c += CHUNK) {
        const file = path.join(workDir, `${name}-w${i}-c${c / CHUNK}.json`);
        const chunk = shard.slice(c, c + CHUNK).map(({ id, source }) => ({ id, source }));
        fs.writeFileSync(file, JSON.stringify({ contract: target.contract, tests, mutants: chunk }));
        const keep = progress === undefined ? "" : `MUTATION_PROGRESS='${progress}' `;
        const code = await sh(`MUTATION_JOBS='${file}' MUTATION_OUT='${out}' ${keep}${NPX} hardhat run scripts/mutation-judge.ts`, cwd);
        if (code !== 0) throw new Error(`the mutation judge of ${name} (worker ${i}, chunk ${c / CHUNK}) exited with ${code}`);
      }
      if (!fs.existsSync(out)) return;
      for (const line of fs.readFileSync(out, "utf8").split("\n").filter(Boolean)) {
        const row = JSON.parse(line);
        results.set(row.id, row);
      }
    }),
  );
  const missing = mutants.filter((m) => !results.has(m.id));
  if (missing.length > 0) throw new Error(`${missing.length} mutants of ${name} were not judged (${missing[0].id}, …)`);
  return results;
}

/**
 * The change a mutant makes to `base`, with up to 80 characters of context on each side, so that it
 * can be applied again after unrelated edits elsewhere in the contract.
 */
function patchOf(base, mutated) {
  let p = 0;
  while (p < base.length && p < mutated.length && base[p] === mutated[p]) p++;
  let q = 0;
  while (q < base.length - p && q < mutated.length - p && base[base.length - 1 - q] === mutated[mutated.length - 1 - q]) q++;
  const from = Math.max(0, p - 80);
  const to = Math.min(base.length, base.length - q + 80);
  return {
    before: base.slice(from, p),
    old: base.slice(p, base.length - q),
    new: mutated.slice(p, mutated.length - q),
    after: base.slice(base.length - q, to),
  };
}

/** `mutant` applied to today's `original`: by its patch when its context is found exactly once. */
function applyMutant(mutant, original) {
  const { before, old, after } = mutant.patch;
  const anchor = before + old + after;
  const at = original.indexOf(anchor);
  if (at !== -1 && original.indexOf(anchor, at + 1) === -1) {
    return original.slice(0, at) + before + mutant.patch.new + after + original.slice(at + anchor.length);
  }
  throw new Error(`mutant ${mutant.id}: its context is no longer in the contract exactly once; run the target again`);
}

/**
 * Writes the fates of `mutants` to sumo/<name>/<csvName> and the survivors, with their change and its
 * context, to sumo/<name>/live/ (what --recheck reads); returns the counts.
 */
function record(name, mutants, results, csvName) {
  const target = TARGETS[name];
  const original = fs.readFileSync(contractFile(name), "utf8");
  const out = path.join(ROOT, "sumo", name);
  const liveDir = path.join(out, "live");
  fs.rmSync(liveDir, { recursive: true, force: true });
  fs.mkdirSync(liveDir, { recursive: true });
  const lines = ["Hash$Operator$StartLine$Status$Seconds$FirstFailure"];
  const counts = { killed: 0, live: 0, stillborn: 0 };
  const liveIds = [];
  for (const mutant of mutants) {
    const { status, seconds, failed } = results.get(mutant.id);
    counts[status] += 1;
    if (status === "live") liveIds.push(mutant.id);
    lines.push([mutant.id, mutant.operator, mutant.startLine, status, seconds, (failed ?? "").replace(/[$\n]/g, " ")].join("$"));
    if (status === "live") {
      const { id, operator, startLine, replace } = mutant;
      const live = { id, operator, startLine, original: mutant.original, replace, patch: patchOf(original, mutant.source) };
      fs.writeFileSync(path.join(liveDir, `${path.basename(target.contract)}-${id}.json`), `${JSON.stringify(live, null, 2)}\n`);
    }
  }
  fs.writeFileSync(path.join(out, csvName), `${lines.join("\n")}\n`);
  return { counts, liveIds };
}

/** A deterministic pseudo-random generator (mulberry32), so that a sample is the same for the same seed. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The 95% Wilson score interval of `k` successes in `n` trials. */
function wilson(k, n) {
  if (n === 0) return [0, 1];
  const z = 1.96;
  const p = k / n;
  const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / (1 + (z * z) / n);
  return [round(Math.max(0, centre - half)), round(Math.min(1, centre + half))];
}

/** Every mutant of one target; returns its counts. A full run replaces the target's earlier figures. */
async function runFull(name, jobs) {
  const started = Date.now();
  const mutants = generate(name);
  const progress = progressFile(name);
  const judged = readProgress(name, sourcesFingerprint(name));
  const remaining = mutants.filter((m) => !judged.has(m.id));
  if (judged.size > 0) console.log(`${name}: ${mutants.length - remaining.length} of ${mutants.length} mutants already judged under these sources (reports/mutation-progress); judging the other ${remaining.length}`);
  const results = await judgeAll(name, remaining, jobs, progress);
  for (const m of mutants) if (!results.has(m.id)) results.set(m.id, judged.get(m.id));
  const { counts, liveIds } = record(name, mutants, results, "results.csv");
  const tested = counts.killed + counts.live;
  const result = {
    generated: mutants.length,
    tested,
    ...counts,
    score: tested === 0 ? null : round(counts.killed / tested),
    minutes: round((Date.now() - started) / 60_000),
    jobs,
  };
  const report = readReport();
  for (const key of Object.keys(report)) if (key.startsWith(`${name}.`)) delete report[key];
  for (const [key, value] of Object.entries(result)) report[`${name}.${key}`] = value;
  applyEquivalents(report, name, name, counts.killed, counts.live, liveIds);
  writeReport(report);
  fs.rmSync(progress, { force: true });
  return result;
}

/** What a full run of `name` under way or stopped has judged so far, under today's sources. */
function showProgress(name) {
  const file = progressFile(name);
  if (!fs.existsSync(file)) return { judged: 0, note: "no full run under way" };
  const [header, ...rows] = fs.readFileSync(file, "utf8").split("\n").filter(Boolean);
  const current = JSON.parse(header).sources === sourcesFingerprint(name);
  const counts = { killed: 0, live: 0, stillborn: 0 };
  const live = [];
  for (const row of rows) {
    try {
      const fate = JSON.parse(row);
      counts[fate.status] += 1;
      if (fate.status === "live") live.push(fate.id);
    } catch {
      // a line cut short
    }
  }
  return { judged: counts.killed + counts.live + counts.stillborn, ...counts, live, current };
}

/** A seeded random sample of `size` of the target's mutants; returns its counts and score. */
async function runSample(name, size, seed, jobs) {
  const started = Date.now();
  const all = generate(name);
  // Fisher–Yates with the seeded generator over the mutants in file-name order, then the first `size`.
  const order = [...all].sort((a, b) => (a.id < b.id ? -1 : 1));
  const next = random(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const picked = order.slice(0, Math.min(size, order.length));
  const { counts } = record(name, picked, await judgeAll(name, picked, jobs), "sample.csv");
  const tested = counts.killed + counts.live;
  const [low, high] = wilson(counts.killed, tested);
  const result = {
    seed,
    size: picked.length,
    tested,
    ...counts,
    score: tested === 0 ? null : round(counts.killed / tested),
    ci95Low: low,
    ci95High: high,
    minutes: round((Date.now() - started) / 60_000),
  };
  const report = readReport();
  report[`${name}.generated`] = all.length;
  for (const [key, value] of Object.entries(result)) report[`${name}.sample.${key}`] = value;
  writeReport(report);
  return { generated: all.length, ...result };
}

/** Re-tests the survivors of the last full run (or, without one, the last sample) of one target against the current tests. */
async function recheck(name, jobs) {
  const liveDir = path.join(ROOT, "sumo", name, "live");
  if (!fs.existsSync(liveDir)) throw new Error(`no previous run of ${name} (sumo/${name}/live is missing)`);
  const original = fs.readFileSync(contractFile(name), "utf8");
  const survivors = fs
    .readdirSync(liveDir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((entry) => JSON.parse(fs.readFileSync(path.join(liveDir, entry), "utf8")));
  const mutants = survivors.map((mutant) => ({ id: mutant.id, source: applyMutant(mutant, original) }));
  const results = await judgeAll(name, mutants, jobs);
  const killedNow = mutants.filter((m) => results.get(m.id).status === "killed").map((m) => m.id);
  const stillLive = mutants.filter((m) => results.get(m.id).status !== "killed").map((m) => m.id);
  for (const mutant of survivors) console.log(`recheck ${name} ${mutant.id} (${mutant.operator} line ${mutant.startLine}): ${results.get(mutant.id).status}`);
  const report = readReport();
  const full = report[`${name}.killed`] !== undefined && report[`${name}.live`] !== undefined;
  const base = full ? name : `${name}.sample`;
  const killed = report[`${base}.killed`];
  const live = report[`${base}.live`];
  if (killed === undefined || live === undefined) throw new Error(`reports/mutation.json has no full run or sample of ${name}`);
  report[`${base}.recheck.killed`] = killedNow.length;
  report[`${base}.recheck.live`] = stillLive.length;
  report[`${base}.finalScore`] = round((killed + killedNow.length) / (killed + live));
  applyEquivalents(report, name, base, killed + killedNow.length, stillLive.length, stillLive);
  writeReport(report);
  fs.writeFileSync(path.join(ROOT, "sumo", name, "recheck.json"), `${JSON.stringify({ killed: killedNow, live: stillLive }, null, 2)}\n`);
  return { killed: killedNow, live: stillLive };
}

async function main() {
  // Mutants compile without the IR pipeline (hardhat.config.ts): the same source, in a third of the
  // time. Set here, for this run's own processes only (the module is also required by tests).
  process.env.CARELEDGER_MUTATION_BUILD = "1";
  const args = process.argv.slice(2);
  const option = (flag, fallback) => {
    const at = args.indexOf(flag);
    if (at === -1) return fallback;
    const value = Number(args[at + 1]);
    if (!Number.isInteger(value) || value <= 0) throw new Error(`${flag} needs a positive whole number, got ${args[at + 1]}`);
    args.splice(at, 2);
    return value;
  };
  const sampleSize = option("--sample", null);
  const seed = option("--seed", 7);
  const jobs = option("--jobs", 1);
  const mode = args.includes("--recheck") ? "recheck" : args.includes("--progress") ? "progress" : sampleSize !== null ? "sample" : "full";
  const names = args.filter((a) => !a.startsWith("--"));
  const targets = names.length > 0 ? names : ORDER;
  for (const name of targets) {
    if (TARGETS[name] === undefined) throw new Error(`unknown target ${name}; one of ${ORDER.join(", ")}`);
  }
  if (mode === "progress") {
    for (const name of targets) console.log(`${name}: ${JSON.stringify(showProgress(name))}`);
    return;
  }
  try {
    for (const name of targets) {
      console.log(`\n=== ${mode}: ${name} ===`);
      const result =
        mode === "full" ? await runFull(name, jobs) : mode === "sample" ? await runSample(name, sampleSize, seed, jobs) : await recheck(name, jobs);
      console.log(`=== ${name}: ${JSON.stringify(result)} ===`);
    }
  } finally {
    // Leave the build matching the original sources, not the last mutant (and through the IR pipeline).
    spawnSync(NPX, ["hardhat", "compile", "--quiet"], { cwd: ROOT, stdio: "inherit", env: { ...process.env, CARELEDGER_MUTATION_BUILD: undefined } });
  }
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}

module.exports = { readEquivalents, scoreWithEquivalents, sourcesFingerprint, fingerprintFiles, readProgress };
