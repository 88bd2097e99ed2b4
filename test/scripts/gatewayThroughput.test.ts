/**
 * reports/gateway.json holds the gateway's throughput against raw serving and its ingest rate, as
 * `CARELEDGER_BENCH=gateway npm run bench` writes them (scripts/bench/throughput.ts). Read from the
 * committed report, never measured here: a timed test on a shared machine would flake.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";

const REPORT = path.resolve(__dirname, "..", "..", "reports", "gateway.json");

describe("reports/gateway.json: the gateway's throughput and ingest rate", function () {
  const report = JSON.parse(fs.readFileSync(REPORT, "utf8")) as Record<string, number | string>;
  const num = (key: string): number => {
    expect(report, `reports/gateway.json has no ${key} (run \`CARELEDGER_BENCH=gateway npm run bench\`)`).to.have.property(key);
    expect(report[key], key).to.be.a("number");
    return report[key] as number;
  };

  it("has both ratios, each enforced ÷ raw requests per second, in (0, 1.5]", function () {
    for (const [ratio, kind] of [["throughput.searchsetRatio", "searchset"], ["throughput.readRatio", "read"]] as const) {
      const r = num(ratio);
      expect(r, ratio).to.be.greaterThan(0).and.at.most(1.5);
      expect(r, `${ratio} is enforced ÷ raw`).to.be.closeTo(num(`throughput.${kind}.enforced.rps`) / num(`throughput.${kind}.raw.rps`), 0.011);
    }
  });

  it("reports each ratio as the median of its rounds (raw and enforced runs alternating)", function () {
    const rounds = num("throughput.rounds");
    expect(rounds).to.be.at.least(3);
    for (const key of ["throughput.searchsetRatio", "throughput.readRatio"]) {
      const listed = String(report[`${key}.rounds`]).split(", ").map(Number);
      expect(listed, `${key}.rounds`).to.have.length(rounds);
      const sorted = [...listed].sort((a, b) => a - b);
      expect(num(key), `${key} is the median of ${listed.join(", ")}`).to.be.closeTo(sorted[Math.floor(rounds / 2)], 0.011);
    }
  });

  it("has requests per second and p50 ≤ p99 latency for enforced and raw searchsets and reads", function () {
    for (const kind of ["searchset", "read"]) {
      for (const mode of ["enforced", "raw"]) {
        const key = `throughput.${kind}.${mode}`;
        expect(num(`${key}.rps`), `${key}.rps`).to.be.greaterThan(0);
        expect(num(`${key}.p50Ms`), `${key}.p50Ms`).to.be.at.least(0).and.at.most(num(`${key}.p99Ms`));
      }
    }
    expect(num("throughput.connections")).to.equal(50);
    expect(num("throughput.searchsetSize")).to.equal(20);
    expect(num("throughput.seconds")).to.be.at.least(10);
    expect(report["throughput.setting"]).to.be.a("string").and.to.match(/in-process Hardhat network/);
  });

  it("has the ingest rate, in resources per second, for Bundles of 100 and 1,000", function () {
    expect(num("ingest.resourcesPerSecond.100")).to.be.greaterThan(0);
    expect(num("ingest.resourcesPerSecond.1000")).to.be.greaterThan(0);
    expect(num("ingest.resourcesPerSecond")).to.equal(num("ingest.resourcesPerSecond.1000"));
  });
});
