#!/usr/bin/env node
/**
 * `npm test`: the whole suite, each test once, and the coverage gate.
 *
 *   1. the [e2e], [gas] and [property] tests, on uninstrumented code: the end-to-end ones drive separate
 *      `hardhat node` / Anvil processes, CLI processes and installed packages, which coverage cannot
 *      instrument, the gas checks compare figures instrumented code would not reproduce, and the stateful
 *      property tests take thousands of random steps, several times slower instrumented (.solcover.js);
 *   2. every other test, on the in-process Hardhat network under solidity-coverage, then the gate: 100%
 *      of the statements, branches, functions and lines of the suite's contracts (`npm run coverage`,
 *      .solcover.js).
 *
 * Both steps run even when the first fails; Mocha's account of any failed test is repeated after both
 * (a log cut to its last lines still shows it), and the closing line sums them ("tests: N passed, N failed,
 * N skipped", the line CI reads) and the exit code is non-zero if either failed.
 *
 * `npm test -- <files or hardhat test options>` runs just those, uninstrumented (`hardhat test …`).
 */
"use strict";
const { spawn } = require("child_process");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const NPX = process.platform === "win32" ? "npx.cmd" : "npx";
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";
const SUMMARY = /^tests: (\d+) passed, (\d+) failed, (\d+) skipped$/m;

/**
 * Mocha's account of the failed tests in `output` ("N failing" and each failure with its error and
 * stack), up to the coverage table or the summary line that follows it, at most 8,000 characters.
 */
function failuresIn(output) {
  const start = output.search(/^ {2}\d+ failing$/m);
  if (start === -1) return undefined;
  const rest = output.slice(start);
  const end = rest.search(/^(-{5,}|> Istanbul|tests: \d+ passed)/m);
  const section = (end === -1 ? rest : rest.slice(0, end)).trimEnd();
  return section.length > 8000 ? `${section.slice(0, 8000)}\n  … (cut; the whole account is above)` : section;
}

/** Runs a command in the project, echoing its output, and resolves with its exit code and summary line. */
function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ["inherit", "pipe", "inherit"] });
    let output = "";
    child.stdout.on("data", (chunk) => {
      process.stdout.write(chunk);
      output += chunk.toString();
    });
    child.on("close", (code, signal) => {
      const m = output.slice(-4096).match(SUMMARY);
      resolve({ code: code ?? 1, signal, counts: m ? m.slice(1, 4).map(Number) : undefined, failures: failuresIn(output) });
    });
  });
}

async function main() {
  const args = process.argv.slice(2);
  if (args.length > 0) {
    const { code } = await run(NPX, ["hardhat", "test", ...args]);
    process.exit(code);
  }
  // The uninstrumented tests first: they use the build `hardhat compile` made (CI's lint step), which coverage's
  // instrumented build would overwrite (a whole recompile of the IR pipeline after it, minutes on CI).
  const steps = [
    { name: "the end-to-end, gas and property tests", ...(await run(NPX, ["hardhat", "test", "--grep", "\\[(e2e|gas|property)\\]"])) },
    { name: "the suite under coverage, and the coverage gate", ...(await run(NPM, ["run", "--silent", "coverage"])) },
  ];
  const totals = [0, 0, 0];
  let failed = false;
  for (const step of steps) {
    if (step.counts) step.counts.forEach((n, i) => (totals[i] += n));
    if (step.code !== 0) {
      failed = true;
      // A step that stopped before its tests ran (a compile error, a coverage shortfall) counts as one failure.
      if (!step.counts || step.counts[1] === 0) totals[1] += 1;
      console.error(`npm test: ${step.name} failed (exit ${step.signal ?? step.code})`);
    }
  }
  // Repeated last, where a log cut to its end still shows them: which tests failed, and how.
  for (const step of steps) {
    if (step.failures) process.stdout.write(`\nnpm test: what failed in ${step.name}:\n${step.failures}\n`);
  }
  process.stdout.write(`\ntests: ${totals[0]} passed, ${totals[1]} failed, ${totals[2]} skipped\n`);
  process.exit(failed ? 1 : 0);
}

main();
