/**
 * Tests written to kill the mutants of ParticipantRegistry that survived the main suite (SuMo, see
 * docs/mutation.md). Each one pins a behaviour the main tests exercised only from plain wallets or
 * in one order: the actor recorded in events is the immediate caller (msg.sender), never the wallet
 * behind a contract (tx.origin); the order in which governance, pause and admin checks apply; and
 * that leaving an organization only narrows access, so it works while paused or suspended.
 */
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { OrgKind, Role } from "../../sdk";
import { Intermediary__factory } from "../../typechain-types";
import { deployFixture, PROFILE } from "../support/fixtures";

const PROFILE2 = "0x" + "cd".repeat(32);

/** The suite with a hospital (1) whose admin is hospitalAdmin, and the doctor as a plain member. */
async function hospitalFixture() {
  const f = await deployFixture();
  await f.registry.connect(f.registrar).registerOrganization(OrgKind.Provider, PROFILE, f.hospitalAdmin.address);
  await f.registry.connect(f.hospitalAdmin).addMember(1, f.doctor.address, false);
  return f;
}

/** As hospitalFixture, plus a forwarding contract (driven by the nurse) that is an admin of the hospital. */
async function contractAdminFixture() {
  const f = await hospitalFixture();
  const agent = await new Intermediary__factory(f.nurse).deploy();
  await f.registry.connect(f.registrar).appointAdmin(1, agent.target);
  return { ...f, agent };
}

describe("ParticipantRegistry (mutation-killing tests)", function () {
  describe("events name the immediate caller, not the transaction's origin", function () {
    it("a contract holding the registrar role is the actor of registration, appointment and reinstatement", async function () {
      const { registry, manager, deployer, pauser, nurse, hospitalAdmin, labAdmin, doctor } = await loadFixture(hospitalFixture);
      const agent = await new Intermediary__factory(nurse).deploy();
      await manager.connect(deployer).grantRole(Role.REGISTRAR, agent.target, 0);

      const register = registry.interface.encodeFunctionData("registerOrganization", [OrgKind.Lab, PROFILE2, labAdmin.address]);
      await expect(agent.forward(registry.target, register)).to.emit(registry, "MemberAdded").withArgs(2n, labAdmin.address, true, agent.target);

      const promote = registry.interface.encodeFunctionData("appointAdmin", [1n, doctor.address]);
      await expect(agent.forward(registry.target, promote))
        .to.emit(registry, "MemberAdminChanged")
        .withArgs(1n, doctor.address, true, agent.target);

      await registry.connect(pauser).suspendOrganization(1);
      const reinstate = registry.interface.encodeFunctionData("reinstateOrganization", [1n]);
      await expect(agent.forward(registry.target, reinstate)).to.emit(registry, "OrganizationReinstated").withArgs(1n, agent.target);
      void hospitalAdmin;
    });

    it("a contract holding the pauser role is the actor of a suspension", async function () {
      const { registry, manager, deployer, nurse } = await loadFixture(hospitalFixture);
      const agent = await new Intermediary__factory(nurse).deploy();
      await manager.connect(deployer).grantRole(Role.PAUSER, agent.target, 0);
      const suspend = registry.interface.encodeFunctionData("suspendOrganization", [1n]);
      await expect(agent.forward(registry.target, suspend)).to.emit(registry, "OrganizationSuspended").withArgs(1n, agent.target);
      expect((await registry.organization(1)).suspended).to.equal(true);
    });

    it("a contract that is an organization's admin adds, promotes, demotes and removes members as itself", async function () {
      const { registry, agent, outsider, doctor } = await loadFixture(contractAdminFixture);
      // The nurse, who drives the contract, is not a member: only the contract's own membership counts.
      const add = registry.interface.encodeFunctionData("addMember", [1n, outsider.address, false]);
      await expect(agent.forward(registry.target, add)).to.emit(registry, "MemberAdded").withArgs(1n, outsider.address, false, agent.target);

      const promote = registry.interface.encodeFunctionData("setAdmin", [1n, doctor.address, true]);
      await expect(agent.forward(registry.target, promote))
        .to.emit(registry, "MemberAdminChanged")
        .withArgs(1n, doctor.address, true, agent.target);
      const demote = registry.interface.encodeFunctionData("setAdmin", [1n, doctor.address, false]);
      await expect(agent.forward(registry.target, demote))
        .to.emit(registry, "MemberAdminChanged")
        .withArgs(1n, doctor.address, false, agent.target);

      const remove = registry.interface.encodeFunctionData("removeMember", [1n, outsider.address]);
      await expect(agent.forward(registry.target, remove)).to.emit(registry, "MemberRemoved").withArgs(1n, outsider.address, agent.target);

      const org = await registry.organization(1);
      expect([org.memberCount, org.adminCount]).to.deep.equal([3n, 2n]);
    });

    it("a contract member leaves as itself, and only its own membership ends", async function () {
      const { registry, agent, nurse } = await loadFixture(contractAdminFixture);
      const leave = registry.interface.encodeFunctionData("leaveOrganization");
      await expect(agent.forward(registry.target, leave)).to.emit(registry, "MemberRemoved").withArgs(1n, agent.target, agent.target);
      expect((await registry.membershipOf(agent.target)).orgId).to.equal(0n);
      expect((await registry.membershipOf(nurse.address)).orgId).to.equal(0n);
      const org = await registry.organization(1);
      expect([org.memberCount, org.adminCount]).to.deep.equal([2n, 1n]);
    });

    it("a contract that belongs to no organization is named when it tries to leave, even when a member drives it", async function () {
      const { registry, doctor } = await loadFixture(hospitalFixture);
      const agent = await new Intermediary__factory(doctor).deploy();
      const leave = registry.interface.encodeFunctionData("leaveOrganization");
      await expect(agent.forward(registry.target, leave)).to.be.revertedWithCustomError(registry, "NotMember").withArgs(agent.target, 0n);
      expect((await registry.membershipOf(doctor.address)).orgId).to.equal(1n);
    });

    it("a wallet that drives a contract admin is not an admin itself", async function () {
      const { registry, nurse, outsider } = await loadFixture(contractAdminFixture);
      await expect(registry.connect(nurse).addMember(1, outsider.address, false))
        .to.be.revertedWithCustomError(registry, "NotOrganizationAdmin")
        .withArgs(nurse.address, 1n);
    });
  });

  describe("the order of the checks", function () {
    it("governance is checked before the pause: an outsider is told it is unauthorized, not that the registry is paused", async function () {
      const { registry, pauser, outsider, labAdmin, doctor } = await loadFixture(hospitalFixture);
      await registry.connect(pauser).pause();
      await expect(registry.connect(outsider).registerOrganization(OrgKind.Lab, PROFILE2, labAdmin.address))
        .to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized")
        .withArgs(outsider.address);
      await expect(registry.connect(outsider).reinstateOrganization(1))
        .to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized")
        .withArgs(outsider.address);
      await expect(registry.connect(outsider).appointAdmin(1, doctor.address))
        .to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized")
        .withArgs(outsider.address);
    });

    it("the pause is checked before the organization's admins: anyone adding a member while paused is told it is paused", async function () {
      const { registry, pauser, outsider, nurse } = await loadFixture(hospitalFixture);
      await registry.connect(pauser).pause();
      await expect(registry.connect(outsider).addMember(1, nurse.address, false)).to.be.revertedWithCustomError(registry, "EnforcedPause");
    });
  });

  describe("membership times", function () {
    it("records the block time as the start of a membership added by an admin or appointed by the registrar", async function () {
      const { registry, registrar, hospitalAdmin, nurse, outsider } = await loadFixture(hospitalFixture);
      await time.increase(1000);
      await registry.connect(hospitalAdmin).addMember(1, nurse.address, false);
      const added = await time.latest();
      await time.increase(1000);
      await registry.connect(registrar).appointAdmin(1, outsider.address);
      const appointed = await time.latest();
      const n = await registry.membershipOf(nurse.address);
      const o = await registry.membershipOf(outsider.address);
      expect([n.orgId, n.kind, n.isAdmin, n.since]).to.deep.equal([1n, BigInt(OrgKind.Provider), false, BigInt(added)]);
      expect([o.orgId, o.kind, o.isAdmin, o.since]).to.deep.equal([1n, BigInt(OrgKind.Provider), true, BigInt(appointed)]);
    });
  });

  describe("leaveOrganization only narrows access", function () {
    it("works while the registry is paused and while the organization is suspended", async function () {
      const { registry, pauser, doctor } = await loadFixture(hospitalFixture);
      await registry.connect(pauser).suspendOrganization(1);
      await registry.connect(pauser).pause();
      await expect(registry.connect(doctor).leaveOrganization()).to.emit(registry, "MemberRemoved").withArgs(1n, doctor.address, doctor.address);
      expect((await registry.membershipOf(doctor.address)).orgId).to.equal(0n);
      expect((await registry.organization(1)).memberCount).to.equal(1n);
    });
  });
});
