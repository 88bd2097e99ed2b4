import { expect } from "chai";
import { benchPhases } from "../../scripts/bench";

describe("npm run bench: choosing phases (CARELEDGER_BENCH)", function () {
  it("runs every phase when unset, and only those named otherwise", function () {
    expect([...benchPhases(undefined)]).to.deep.equal(["gas", "merkle", "gateway", "indexer"]);
    expect([...benchPhases("gateway")]).to.deep.equal(["gateway"]);
    expect([...benchPhases(" gas , gateway ")]).to.deep.equal(["gas", "gateway"]);
  });

  it("refuses a phase it does not have, naming the ones it has", function () {
    expect(() => benchPhases("gas,gatway")).to.throw(/^CARELEDGER_BENCH="gas,gatway": name phases among gas, merkle, gateway, indexer/);
    expect(() => benchPhases(",")).to.throw(/^CARELEDGER_BENCH=",": /);
  });
});
