// Mocha's spec reporter, plus, at the end, the ten test files that took longest (where a slow CI run
// spends its time) and one plain closing line "N passed, N failed, N skipped" that CI reads.
"use strict";
const Mocha = require("mocha");

const SLOWEST = 10;

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const byFile = new Map();
    let started = 0;
    runner.on(Mocha.Runner.constants.EVENT_SUITE_BEGIN, (suite) => {
      if (suite.file && suite.parent && suite.parent.root) started = Date.now();
    });
    runner.on(Mocha.Runner.constants.EVENT_SUITE_END, (suite) => {
      // A file's top-level suites, hooks included; a file with several adds them up.
      if (suite.file && suite.parent && suite.parent.root) {
        byFile.set(suite.file, (byFile.get(suite.file) ?? 0) + (Date.now() - started));
      }
    });
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const { passes, failures, pending } = runner.stats;
      const slowest = [...byFile].sort((a, b) => b[1] - a[1]).slice(0, SLOWEST);
      if (slowest.length > 0) {
        const root = process.cwd() + "/";
        process.stdout.write(`\nslowest test files:\n`);
        for (const [file, ms] of slowest) {
          process.stdout.write(`  ${(ms / 1000).toFixed(1).padStart(7)} s  ${file.replace(root, "")}\n`);
        }
      }
      process.stdout.write(`\ntests: ${passes} passed, ${failures} failed, ${pending} skipped\n`);
    });
  }
}

module.exports = SummaryReporter;
