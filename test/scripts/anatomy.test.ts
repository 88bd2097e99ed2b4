/**
 * The benchmark's gas anatomy (scripts/bench/anatomy.ts) splits a transaction's gas by what the EVM
 * charged for; these checks hold it to the EVM's own schedule on transactions whose costs are known.
 */
import { expect } from "chai";
import hre from "hardhat";
import { gasAnatomy, intrinsicGas } from "../../scripts/bench/anatomy";
import { GasFloor__factory, MockStablecoin__factory, ViewProbe__factory } from "../../typechain-types";

describe("gas anatomy of the benchmark", function () {
  it("prices calldata as EIP-2028 does: 21,000, then 4 per zero and 16 per non-zero byte", function () {
    expect(intrinsicGas("0x")).to.equal(21_000);
    expect(intrinsicGas("0x00ff0001")).to.equal(21_000 + 4 + 16 + 4 + 16);
  });

  it("finds a plain transfer all intrinsic, with nothing left for the interpreter", async function () {
    const [from, to] = await hre.ethers.getSigners();
    const tx = await from.sendTransaction({ to: to.address, value: 1n });
    await tx.wait();
    expect(await gasAnatomy(hre, tx.hash)).to.deep.equal({ gasUsed: 21_000, intrinsic: 21_000, storage: 0, logs: 0, accounts: 0, required: 21_000, interpreter: 0 });
  });

  it("charges a new slot 22,100 and a two-topic event with one word 1,381", async function () {
    const [deployer] = await hre.ethers.getSigners();
    const floor = await new GasFloor__factory(deployer).deploy();
    const tx = await floor.store("0x" + "ab".repeat(32), 1);
    await tx.wait();
    const a = await gasAnatomy(hre, tx.hash);
    expect(a.intrinsic).to.equal(intrinsicGas(tx.data));
    expect(a.storage).to.equal(22_100);
    expect(a.logs).to.equal(375 + 2 * 375 + 8 * 32);
    expect(a.accounts).to.equal(0);
    expect(a.required + a.interpreter).to.equal(a.gasUsed);
    expect(a.interpreter).to.be.within(1, 1_000);
  });

  it("charges the first call to another contract 2,600 and its cold slot 2,100", async function () {
    const [deployer, holder] = await hre.ethers.getSigners();
    const token = await new MockStablecoin__factory(deployer).deploy();
    const probe = await new ViewProbe__factory(deployer).deploy();
    const data = probe.interface.encodeFunctionData("measure", [await token.getAddress(), token.interface.encodeFunctionData("balanceOf", [holder.address])]);
    const tx = await deployer.sendTransaction({ to: await probe.getAddress(), data });
    await tx.wait();
    const a = await gasAnatomy(hre, tx.hash);
    expect(a.accounts).to.equal(2_600);
    expect(a.storage).to.equal(2_100);
    expect(a.logs).to.equal(0);
  });
});
