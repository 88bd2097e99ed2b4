/**
 * The gas report is the truth about gas: CI re-runs the benchmark (scripts/bench.ts) and fails when any
 * operation moved more than 2% from reports/gas.json — a change that moves gas updates the report in
 * the same commit (`npm run bench`) — or when an operation is over its budget (reports/gas-budgets.json).
 * "[gas]": left out of `npm run coverage`, whose instrumented contracts cost more gas (.solcover.js).
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { runBench } from "../../scripts/bench";

const REPORTS = path.resolve(__dirname, "..", "..", "reports");
/** The largest relative move from the report that is not a change of the report. */
const TOLERANCE = 0.02;

describe("[gas] the gas report matches the benchmark", function () {
  this.timeout(600_000);
  let measured: Record<string, number>;

  before(async function () {
    ({ report: measured } = await runBench());
  });

  it("every operation within 2% of reports/gas.json, and the same operations", function () {
    const reported = JSON.parse(fs.readFileSync(path.join(REPORTS, "gas.json"), "utf8")) as Record<string, number>;
    expect(Object.keys(measured).sort(), "operations measured vs reported (run `npm run bench`)").to.deep.equal(Object.keys(reported).sort());
    const moved = Object.keys(reported)
      .filter((key) => Math.abs(measured[key] - reported[key]) > TOLERANCE * reported[key])
      .map((key) => `${key}: reported ${reported[key]}, measured ${measured[key]}`);
    expect(moved, "moved more than 2% without `npm run bench` updating reports/gas.json").to.deep.equal([]);
  });

  it("every budgeted operation within its budget", function () {
    const budgets = JSON.parse(fs.readFileSync(path.join(REPORTS, "gas-budgets.json"), "utf8")) as Record<string, number>;
    const over = Object.entries(budgets)
      .filter(([key, budget]) => !(key in measured) || measured[key] > budget)
      .map(([key, budget]) => `${key}: budget ${budget}, measured ${measured[key]}`);
    expect(over).to.deep.equal([]);
  });
});
