import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const { readEquivalents, scoreWithEquivalents } = require("../../scripts/mutation.js") as {
  readEquivalents: (name: string, file?: string) => Record<string, string>;
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
