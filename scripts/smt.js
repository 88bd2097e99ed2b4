#!/usr/bin/env node
/**
 * `npm run smt`: the compiler's SMTChecker proves the money-conservation assertions of the claims
 * escrow (contracts/verification/EscrowModel.sol) with the CHC engine, for every sequence of calls.
 *
 * The npm `solc` package is WebAssembly and has no z3 linked in, so the SMTChecker is asked to use
 * the "smtlib2" solver: it hands every Horn query to the SMT callback below, which runs Debian's
 * `z3` binary on it (apt-get install -y z3). Nothing is downloaded.
 *
 * It FAILS (exit 1) unless every target is proved safe: any "might happen", "happens here",
 * unproved target, solver error or timeout is a failure. It prints one line per proved target.
 *   SMT_TIMEOUT_MS   per-query z3 timeout (default 120000)
 */
"use strict";
const { execFileSync, spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const solc = require("solc");

const ROOT = path.resolve(__dirname, "..");
const SOURCE = "contracts/verification/EscrowModel.sol";
const CONTRACT = "EscrowModel";
const TIMEOUT_MS = Number(process.env.SMT_TIMEOUT_MS || 120_000);

function requireZ3() {
  const r = spawnSync("z3", ["--version"], { encoding: "utf8" });
  if (r.error || r.status !== 0) {
    console.error("smt: z3 is not installed: apt-get install -y z3 (Debian), then run again");
    process.exit(1);
  }
  return r.stdout.trim();
}

let queries = 0;
const solverFailures = [];

/** The SMT callback: one SMT-LIB2 query (Horn clauses for CHC) in, z3's answer out. */
function smtCallback(kind, query) {
  if (kind !== "smt-query") return { error: `unexpected callback ${kind}` };
  queries++;
  // The spacer options are those solc's own z3 interface sets for CHC queries.
  const args = [
    "-in",
    "-smt2",
    `-t:${TIMEOUT_MS}`,
    "rewriter.pull_cheap_ite=true",
    "fp.spacer.q3.use_qgen=true",
    "fp.spacer.mbqi=false",
    "fp.spacer.ground_pobs=false",
  ];
  let out;
  const t0 = Date.now();
  try {
    out = execFileSync("z3", args, { input: query, encoding: "utf8", maxBuffer: 1 << 30, timeout: TIMEOUT_MS + 10_000 });
  } catch (e) {
    // z3 exits non-zero when asked for a model of an unsat formula; its answer is still on stdout.
    out = e.stdout ? String(e.stdout) : "";
    if (!/^(sat|unsat|unknown)/.test(out)) {
      solverFailures.push(String(e.message || e).split("\n")[0]);
      return { error: "z3 failed or timed out" };
    }
  }
  if (process.env.SMT_VERBOSE) console.error(`  query ${queries}: ${out.split("\n")[0]} in ${Date.now() - t0} ms`);
  if (/^unknown/.test(out)) solverFailures.push("z3 answered unknown (timeout or incomplete)");
  return { contents: out };
}

function main() {
  const z3 = requireZ3();
  const input = {
    language: "Solidity",
    sources: { [SOURCE]: { content: fs.readFileSync(path.join(ROOT, SOURCE), "utf8") } },
    settings: {
      evmVersion: "cancun",
      outputSelection: { "*": { "*": [] } },
      modelChecker: {
        engine: "chc",
        solvers: ["smtlib2"],
        contracts: { [SOURCE]: [CONTRACT] },
        targets: (process.env.SMT_TARGETS || "assert,underflow").split(","),
        invariants: ["contract"],
        showProvedSafe: true,
        showUnproved: true,
        showUnsupported: true,
        timeout: TIMEOUT_MS,
      },
    },
  };
  console.log(`smt: solc ${solc.version()}, ${z3}, CHC engine on ${SOURCE}:${CONTRACT}`);
  const started = Date.now();
  const output = JSON.parse(solc.compile(JSON.stringify(input), { smtSolver: (q) => smtCallback("smt-query", q) }));
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const messages = output.errors || [];
  const proved = [];
  const problems = [];
  const invariants = [];
  for (const m of messages) {
    const text = m.formattedMessage || m.message;
    if (m.severity === "error") problems.push(text);
    else if (/is safe|proved safe/i.test(m.message) && !/might|happens|unproved/i.test(m.message)) proved.push(m);
    else if (/inductive invariants/i.test(m.message)) invariants.push(m.message);
    else if (/Warning: SPDX|pragma/i.test(m.message)) continue;
    else problems.push(text);
  }
  for (const p of proved) {
    const where = p.sourceLocation ? ` (${lineOf(p.sourceLocation)})` : "";
    console.log(`  proved: ${p.message.split("\n")[0]}${where}`);
  }
  for (const i of invariants) console.log(`  ${i.split("\n").join("\n    ")}`);
  console.log(`smt: ${queries} z3 queries in ${seconds} s`);
  if (solverFailures.length) problems.push(...solverFailures.map((f) => `solver: ${f}`));
  if (proved.length === 0) problems.push("nothing was reported as proved: the SMTChecker did not run");
  if (problems.length) {
    console.error(`smt: FAILED — ${problems.length} target(s) not proved:\n${problems.join("\n")}`);
    process.exit(1);
  }
  console.log("smt: every target proved safe");
}

function lineOf(loc) {
  const text = fs.readFileSync(path.join(ROOT, loc.file), "utf8");
  return `${loc.file}:${text.slice(0, loc.start).split("\n").length}`;
}

main();
