/**
 * Tests written to kill the mutants of the Adjudication library that survived the main suite (SuMo,
 * see docs/mutation.md). The main tests priced lines above and below the per-claim cap, never
 * exactly at it, so `allowed >= cap` (which would cut a line that is exactly at its cap and give it
 * reason 119) looked the same as `allowed > cap`; the same held for a plan share exactly equal to
 * what is left of the annual cap.
 *
 * Judged equivalent (no test can tell them apart, so none is written): `charged <= allowed` for
 * `charged < allowed` (at equality both keep the same value), `>=` for `>` in the three "what is
 * left" guards of shareCost (`max >= met ? max - met : 0` is 0 at equality either way), and `<=` for
 * `<` in `_min` (equal operands give the same minimum), and 0 for 1 in CARC_DEDUCTIBLE (with
 * CARC_COINSURANCE and CARC_COPAY, a documentary constant no code reads: a line's deductible,
 * copay and coinsurance are reported as amounts, which the EOB carries as its adjudications).
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre from "hardhat";
import { AdjudicationHarness__factory } from "../../typechain-types";

async function harnessFixture() {
  const [deployer] = await hre.ethers.getSigners();
  return { lib: await new AdjudicationHarness__factory(deployer).deploy() };
}

describe("Adjudication (mutation-killing tests)", function () {
  it("a line priced exactly at its per-claim cap is allowed in full, with no reason code", async function () {
    const { lib } = await loadFixture(harnessFixture);
    // Fee 100 x 3 units = 300 = the cap: nothing is cut, so CARC 119 must not appear.
    expect(await lib.ceiling(500, 3, 100, true, 300)).to.deep.equal([300n, 0n]);
    // Charged exactly the cap, below the fee schedule: same.
    expect(await lib.ceiling(300, 5, 100, true, 300)).to.deep.equal([300n, 0n]);
    // One unit of currency over the cap is cut to it, with CARC 119.
    expect(await lib.ceiling(301, 5, 100, true, 300)).to.deep.equal([300n, 119n]);
  });

  it("a plan share exactly equal to what is left of the annual cap is paid in full, with no reason code", async function () {
    const { lib } = await loadFixture(harnessFixture);
    const terms = { deductible: 0n, outOfPocketMax: 0n, annualCap: 600n };
    const [atCap, after] = await lib.shareCost(200, 0, 0, false, terms, { deductibleMet: 0n, outOfPocketMet: 0n, benefitPaid: 400n });
    expect([atCap.allowed, atCap.plan, atCap.reason, after.benefitPaid]).to.deep.equal([200n, 200n, 0n, 600n]);
    // A line the member pays in full once the cap is reached moves no plan money and is not cut either.
    const [memberOnly] = await lib.shareCost(100, 100, 0, false, { deductible: 0n, outOfPocketMax: 1_000n, annualCap: 600n }, { deductibleMet: 0n, outOfPocketMet: 0n, benefitPaid: 600n });
    expect([memberOnly.allowed, memberOnly.plan, memberOnly.reason]).to.deep.equal([100n, 0n, 0n]);
  });
});
