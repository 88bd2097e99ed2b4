/**
 * The access log's batched entry point within its budget: one anchored root ≤ 75,000 gas, so ≤ 100 gas
 * a disclosure at 1,024 receipts, and reports/gateway.json (written by `npm run bench`) telling the truth.
 * "[gas]": left out of `npm run coverage`, whose instrumented contracts cost more gas (.solcover.js).
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import hre from "hardhat";
import { buildReceiptTree } from "../../sdk";
import { GAS_PER_ROOT_BUDGET, GATEWAY_SIZES, isGasKey, measureGateway } from "../../scripts/bench/gateway";
import { receipts } from "../exchange/fixtures";
import { disclosureFixture } from "./fixtures";

const REPORT = path.resolve(__dirname, "..", "..", "reports", "gateway.json");
/** The largest relative move from the report that is not a change of the report (as reports/gas.json). */
const TOLERANCE = 0.02;

describe("[gas] DisclosureLog: gas per anchored root and per disclosure", function () {
  this.timeout(300_000);

  it(`anchors a root of 1,024 receipts through the SDK in at most ${GAS_PER_ROOT_BUDGET.toLocaleString("en-US")} gas, 100 gas a disclosure`, async function () {
    const f = await loadFixture(disclosureFixture);
    const gateway = await f.connect(f.doctor);
    const tree = buildReceiptTree(receipts(1024, { patient: f.patient.address }));
    const { receipt, count } = await (await gateway.disclosures.anchor({ root: tree.root, count: tree.count })).wait();
    expect(count).to.equal(1024);
    expect(Number(receipt.gasUsed)).to.be.at.most(GAS_PER_ROOT_BUDGET);
    expect(Number(receipt.gasUsed) / 1024).to.be.at.most(100);
    // The cost does not depend on the count: a root of one receipt costs what a root of 1,024 does.
    const one = buildReceiptTree(receipts(1, { patient: f.patient.address, permittedAtBlock: 1n }));
    const single = await (await gateway.disclosures.anchor({ root: one.root, count: 1 })).wait();
    expect(Number(single.receipt.gasUsed)).to.be.closeTo(Number(receipt.gasUsed), 100);
  });

  it("measures what reports/gateway.json says, within 2%, and every root within the budget", async function () {
    const measured = await measureGateway(hre);
    // The report also holds the gateway's throughput and ingest rate (not gas: read, never re-measured, by test/scripts/gatewayThroughput.test.ts).
    const reported = Object.fromEntries(Object.entries(JSON.parse(fs.readFileSync(REPORT, "utf8")) as Record<string, number>).filter(([key]) => isGasKey(key)));
    expect(Object.keys(measured).sort(), "sizes measured vs reported (run `CARELEDGER_BENCH=gateway npm run bench`)").to.deep.equal(Object.keys(reported).sort());
    const moved = Object.keys(reported)
      .filter((key) => Math.abs(measured[key as keyof typeof measured] - reported[key]) > TOLERANCE * reported[key])
      .map((key) => `${key}: reported ${reported[key]}, measured ${measured[key as keyof typeof measured]}`);
    expect(moved, "moved more than 2% without the benchmark updating reports/gateway.json").to.deep.equal([]);
    for (const n of GATEWAY_SIZES) {
      expect(measured[`gasPerRoot.${n}`], `gasPerRoot.${n}`).to.be.at.most(GAS_PER_ROOT_BUDGET);
      expect(measured[`gasPerDisclosure.${n}`]).to.equal(Math.round((measured[`gasPerRoot.${n}`] / n) * 100) / 100);
    }
    expect(measured["gasPerDisclosure.1024"]).to.be.at.most(100);
  });
});
