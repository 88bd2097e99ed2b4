import { expect } from "chai";
import hre from "hardhat";
import { failure, run, useDeployedAddressBook } from "../support/tasks";

describe("governance:* tasks", function () {
  useDeployedAddressBook();

  it("hands the admin role to a multisig with a delay, and the old admin keeps nothing", async function () {
    const [deployer, , , , , , , , , , multisig] = await hre.ethers.getSigners();
    const [done] = await run("governance:handover", { to: multisig.address, delay: 86_400 });
    expect([done.newAdmin, done.executionDelay, done.renouncedBy]).to.deep.equal([multisig.address, 86_400, deployer.address]);
    const [after] = await run("governance:roles", { account: deployer.address });
    expect((after.roles as Record<string, { isMember: boolean }>).ADMIN.isMember).to.equal(false);
    const [ms] = await run("governance:roles", { account: multisig.address });
    expect((ms.roles as Record<string, unknown>).ADMIN).to.deep.equal({ isMember: true, executionDelay: 86_400 });
  });

  it("refuses a handover by an account that is not the admin", async function () {
    const [, , , , , , , , outsider, , multisig] = await hre.ethers.getSigners();
    expect(await failure(run("governance:handover", { to: multisig.address, delay: 0, from: outsider.address }))).to.equal(
      `${outsider.address} does not hold the admin role: run this as the current admin (--from)`,
    );
  });

  it("refuses a bad delay before sending", async function () {
    const [, , , , , , , , , , multisig] = await hre.ethers.getSigners();
    expect(await failure(run("governance:handover", { to: multisig.address, delay: -5 }))).to.equal("executionDelay: -5 is not a number of seconds (0 to 4294967295)");
  });
});
