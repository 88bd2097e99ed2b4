/**
 * Attack class: role escalation through the AccessManager. Every role holder and every outsider
 * tries to give itself more power than it was granted, directly, through the manager's own
 * functions, and through an intermediate contract. None succeeds, and nothing changes.
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { OrgKind, Role } from "../../sdk";
import { deployFixture, PROFILE } from "../support/fixtures";

async function escalationFixture() {
  const f = await deployFixture();
  await f.registry.connect(f.registrar).registerOrganization(OrgKind.Provider, PROFILE, f.hospitalAdmin.address);
  return f;
}

describe("Attack: role escalation through the AccessManager", function () {
  it("a registrar cannot grant itself or anyone a role", async function () {
    const { manager, registrar, outsider } = await loadFixture(escalationFixture);
    for (const role of [Role.ADMIN, Role.PAUSER, Role.REGISTRAR]) {
      await expect(manager.connect(registrar).grantRole(role, outsider.address, 0))
        .to.be.revertedWithCustomError(manager, "AccessManagerUnauthorizedAccount")
        .withArgs(registrar.address, Role.ADMIN);
    }
    expect((await manager.hasRole(Role.REGISTRAR, outsider.address))[0]).to.equal(false);
  });

  it("the pauser cannot remap a function to its own role", async function () {
    const { manager, registry, pauser } = await loadFixture(escalationFixture);
    const selector = registry.interface.getFunction("registerOrganization").selector;
    await expect(manager.connect(pauser).setTargetFunctionRole(registry.target, [selector], Role.PAUSER))
      .to.be.revertedWithCustomError(manager, "AccessManagerUnauthorizedAccount")
      .withArgs(pauser.address, Role.ADMIN);
    expect(await manager.getTargetFunctionRole(registry.target, selector)).to.equal(Role.REGISTRAR);
  });

  it("an organization admin cannot schedule or execute a registrar's call", async function () {
    const { manager, registry, hospitalAdmin, outsider } = await loadFixture(escalationFixture);
    const data = registry.interface.encodeFunctionData("registerOrganization", [OrgKind.Lab, PROFILE, outsider.address]);
    const selector = data.slice(0, 10);
    await expect(manager.connect(hospitalAdmin).schedule(registry.target, data, 0))
      .to.be.revertedWithCustomError(manager, "AccessManagerUnauthorizedCall")
      .withArgs(hospitalAdmin.address, registry.target, selector);
    await expect(manager.connect(hospitalAdmin).execute(registry.target, data))
      .to.be.revertedWithCustomError(manager, "AccessManagerUnauthorizedCall")
      .withArgs(hospitalAdmin.address, registry.target, selector);
    expect(await registry.organizationCount()).to.equal(1n);
  });

  it("no one but the manager can move a contract to another authority", async function () {
    const { registry, manager, deployer, outsider } = await loadFixture(escalationFixture);
    for (const who of [deployer, outsider]) {
      await expect(registry.connect(who).setAuthority(outsider.address)).to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized").withArgs(who.address);
    }
    await expect(manager.connect(outsider).updateAuthority(registry.target, outsider.address))
      .to.be.revertedWithCustomError(manager, "AccessManagerUnauthorizedAccount")
      .withArgs(outsider.address, Role.ADMIN);
    expect(await registry.authority()).to.equal(manager.target);
  });

  it("an intermediate contract gains nothing from the roles of whoever calls it", async function () {
    const { manager, registry, intermediary, registrar, outsider } = await loadFixture(escalationFixture);
    const grant = manager.interface.encodeFunctionData("grantRole", [Role.REGISTRAR, outsider.address, 0]);
    await expect(intermediary.connect(registrar).forward(manager.target, grant))
      .to.be.revertedWithCustomError(manager, "AccessManagerUnauthorizedAccount")
      .withArgs(intermediary.target, Role.ADMIN);
    const register = registry.interface.encodeFunctionData("registerOrganization", [OrgKind.Lab, PROFILE, outsider.address]);
    await expect(intermediary.connect(registrar).forward(manager.target, manager.interface.encodeFunctionData("execute", [registry.target, register])))
      .to.be.revertedWithCustomError(manager, "AccessManagerUnauthorizedCall")
      .withArgs(intermediary.target, registry.target, register.slice(0, 10));
  });

  it("a role holder cannot renounce a role on someone else's behalf", async function () {
    const { manager, pauser, registrar } = await loadFixture(escalationFixture);
    await expect(manager.connect(pauser).renounceRole(Role.REGISTRAR, registrar.address)).to.be.revertedWithCustomError(manager, "AccessManagerBadConfirmation");
    expect((await manager.hasRole(Role.REGISTRAR, registrar.address))[0]).to.equal(true);
  });

  it("an organization admin's power stops at its own organization, and no role reaches into one", async function () {
    const { registry, registrar, hospitalAdmin, labAdmin, doctor } = await loadFixture(escalationFixture);
    await registry.connect(registrar).registerOrganization(OrgKind.Lab, PROFILE, labAdmin.address);
    await expect(registry.connect(hospitalAdmin).addMember(2, doctor.address, true))
      .to.be.revertedWithCustomError(registry, "NotOrganizationAdmin")
      .withArgs(hospitalAdmin.address, 2n);
    // Even the registrar manages members only through appointAdmin (recovery), never addMember.
    await expect(registry.connect(registrar).addMember(1, doctor.address, true))
      .to.be.revertedWithCustomError(registry, "NotOrganizationAdmin")
      .withArgs(registrar.address, 1n);
  });
});
