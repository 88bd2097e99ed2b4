import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const { readEquivalents, scoreWithEquivalents, fingerprintFiles, sourcesFingerprint, readProgress } = require("../../scripts/mutation.js") as {
  readEquivalents: (name: string, file?: string) => Record<string, string>;
  fingerprintFiles: (name: string) => string[];
  sourcesFingerprint: (name: string) => string;
  readProgress: (name: string, fingerprint: string, file?: string) => Map<string, { id: string; status: string }>;
  scoreWithEquivalents: (killed: number, live: number, liveIds: string[], equivalents: Record<string, string>) => { equivalentJudged: number; finalScoreExcludingJudgedEquivalent: number | null; stale: string[] };
};

describe("npm run mutation: judged equivalents come from the checked-in list", function () {
  it("requiring the script changes nothing of the process: its run alone compiles without the IR pipeline", function () {
    // A test process that required it and then compiled (an e2e node, the package build) would
    // otherwise build the claims engine over the size limit, and every later deployment would fail.
    expect(process.env.CARELEDGER_MUTATION_BUILD).to.equal(undefined);
  });

  it("leaves out of the score the listed survivors only, and names listed mutants that are no longer alive", function () {
    const r = scoreWithEquivalents(90, 10, ["m1", "m2", "m3"], { m1: "a write of the value already stored", m9: "gone" });
    expect(r).to.deep.equal({ equivalentJudged: 1, finalScoreExcludingJudgedEquivalent: 0.9091, stale: ["m9"] });
    expect(scoreWithEquivalents(0, 1, ["m1"], { m1: "x" }).finalScoreExcludingJudgedEquivalent).to.equal(null);
  });

  it("reads reports/mutation-equivalents.json, and refuses an entry without a reason", function () {
    expect(readEquivalents("ParticipantRegistry")).to.have.property("m2d4062d5");
    expect(readEquivalents("NoSuchTarget")).to.deep.equal({});
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "equivalents-")), "e.json");
    fs.writeFileSync(file, JSON.stringify({ T: { m1: " " } }));
    expect(() => readEquivalents("T", file)).to.throw(/T m1 has no reason/);
  });
});

describe("npm run mutation: a full run goes on where it stopped, under the same sources only", function () {
  const ROOT = path.resolve(__dirname, "../..");
  const rel = (files: string[]) => files.map((f) => path.relative(ROOT, f).split(path.sep).join("/"));

  it("fingerprints every contract, the target's tests and what they import, the config and the lock file; nothing a build writes", function () {
    const files = rel(fingerprintFiles("ParticipantRegistry"));
    expect(files).to.include.members([
      "contracts/participants/ParticipantRegistry.sol",
      "contracts/claims/ClaimsEngine.sol",
      "test/participants/ParticipantRegistry.test.ts",
      "test/participants/ParticipantRegistry.edges.test.ts",
      "sdk/index.ts",
      "sdk/participants/client.ts",
      "hardhat.config.ts",
      "package-lock.json",
    ]);
    expect(files.filter((f) => /^(node_modules|typechain-types|artifacts|cache)\//.test(f))).to.deep.equal([]);
    expect(files.filter((f) => f.startsWith("test/gateway/")), "another target's tests").to.deep.equal([]);
    expect(sourcesFingerprint("ParticipantRegistry")).to.match(/^[0-9a-f]{64}$/).and.equal(sourcesFingerprint("ParticipantRegistry"));
  });

  it("reads the fates judged under the same fingerprint (a line cut short is judged again), and starts over under another", function () {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "progress-")), "T.jsonl");
    expect(readProgress("T", "aa", file).size).to.equal(0);
    expect(JSON.parse(fs.readFileSync(file, "utf8").split("\n")[0])).to.include({ target: "T", sources: "aa" });
    fs.appendFileSync(file, `${JSON.stringify({ id: "m1", status: "killed" })}\n${JSON.stringify({ id: "m2", status: "live" })}\n{"id":"m3","sta`);
    expect([...readProgress("T", "aa", file).keys()]).to.deep.equal(["m1", "m2"]);
    expect(readProgress("T", "bb", file).size, "judged under other sources").to.equal(0);
    expect(fs.readFileSync(file, "utf8").trim().split("\n")).to.have.length(1);
  });
});
