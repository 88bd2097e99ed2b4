import { expect } from "chai";
import { gasTable } from "../../scripts/gas-table";

describe("docs/gas.md generation", function () {
  it("renders every operation with its ratio to the floor and its budget verdict", function () {
    const md = gasTable({ "floor.slotAndEvent": 40_000, "a.fast": 20_000, "a.slow": 90_000, "a.free": 1_000 }, { "a.fast": 30_000, "a.slow": 80_000 }, { sameRoot: true, "ratio.131072": 60.456 });
    expect(md).to.contain("| `a.fast` | 20,000 | 0.50 | 30,000 | within |");
    expect(md).to.contain("| `a.slow` | 90,000 | 2.25 | 80,000 | **over** |");
    expect(md).to.contain("| `a.free` | 1,000 | 0.03 |  |  |");
    expect(md).to.contain("| `sameRoot` | true |");
    expect(md).to.contain("| `ratio.131072` | 60.46 |");
    expect(md).to.not.contain("Gateway");
  });

  it("renders the gateway's gas per disclosure when the benchmark measured it", function () {
    const md = gasTable({ "floor.slotAndEvent": 40_000 }, {}, {}, { "gasPerRoot.1024": 57_759, "gasPerDisclosure.1024": 56.405 });
    expect(md).to.contain("## Gateway: gas per disclosure (`reports/gateway.json`)");
    expect(md).to.contain("| `gasPerRoot.1024` | 57,759 |");
    expect(md).to.contain("| `gasPerDisclosure.1024` | 56.41 |");
    expect(md).to.not.contain("throughput");
  });

  it("renders the gateway's throughput and ingest rate apart from its gas", function () {
    const md = gasTable({ "floor.slotAndEvent": 40_000 }, {}, {}, { "gasPerRoot.1": 57_759, "throughput.readRatio": 0.514, "ingest.resourcesPerSecond": 1234.5, "throughput.setting": "autocannon" });
    expect(md).to.contain("## Gateway: throughput and ingest (`reports/gateway.json`)");
    expect(md).to.contain("| `throughput.readRatio` | 0.51 |");
    expect(md).to.contain("| `ingest.resourcesPerSecond` | 1,234.5 |");
    expect(md).to.contain("| `throughput.setting` | autocannon |");
    expect(md.split("## Gateway: throughput")[0]).to.not.contain("readRatio");
  });
});
