import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ContractRevertError, FUNCTION_ROLES, OrgKind, Role, ROLE_LABELS, roleId, roleName, type RoleName } from "../../sdk";
import { selectorsByRole } from "../../ignition/modules/CareLedger";
import { deployFixture, deployFixtureWith, PROFILE } from "../support/fixtures";

const DAY = 86_400;

function delayedFixture() {
  return deployFixtureWith({ registrarExecutionDelay: DAY, adminExecutionDelay: 2 * DAY });
}

describe("Governance (AccessManager)", function () {
  describe("wiring", function () {
    it("maps every restricted function of every contract to the role in FUNCTION_ROLES", async function () {
      const { manager, book } = await loadFixture(deployFixture);
      for (const [contract, fns] of Object.entries(FUNCTION_ROLES)) {
        const target = book.contracts[contract as keyof typeof book.contracts];
        for (const [role, selectors] of selectorsByRole(contract as keyof typeof FUNCTION_ROLES)) {
          for (const selector of selectors) expect(await manager.getTargetFunctionRole(target, selector)).to.equal(Role[role]);
        }
        expect(Object.keys(fns).length).to.be.greaterThan(0);
      }
    });

    it("accounts for every state-changing function: restricted by role, or authorized by the contract itself", async function () {
      const { registry } = await loadFixture(deployFixture);
      // AccessManaged's own setter is authorized by the manager itself; the rest are per-organization.
      const selfAuthorized = ["setAuthority", "addMember", "removeMember", "setAdmin", "leaveOrganization"];
      const restricted = Object.keys(FUNCTION_ROLES.ParticipantRegistry);
      const writes: string[] = [];
      registry.interface.forEachFunction((f) => {
        if (!f.constant) writes.push(f.name);
      });
      expect(writes.filter((n) => !restricted.includes(n) && !selfAuthorized.includes(n))).to.deep.equal([]);
      expect(restricted.filter((n) => !writes.includes(n))).to.deep.equal([]);
    });

    it("grants the registrar and the pauser their roles, with no delay on a local chain", async function () {
      const { connect, registrar, pauser, deployer, outsider } = await loadFixture(deployFixture);
      const cl = await connect(deployer);
      expect(await cl.governance.hasRole("REGISTRAR", registrar.address)).to.deep.equal({ isMember: true, executionDelay: 0 });
      expect(await cl.governance.hasRole("PAUSER", pauser.address)).to.deep.equal({ isMember: true, executionDelay: 0 });
      expect(await cl.governance.hasRole("CONFIGURATOR", deployer.address)).to.deep.equal({ isMember: true, executionDelay: 0 });
      expect(await cl.governance.hasRole("ADMIN", deployer.address)).to.deep.equal({ isMember: true, executionDelay: 0 });
      expect((await cl.governance.hasRole("REGISTRAR", outsider.address)).isMember).to.equal(false);
    });

    it("labels every role but the built-in admin", async function () {
      const { manager, book } = await loadFixture(deployFixture);
      const events = await manager.queryFilter(manager.filters.RoleLabel(), book.deploymentBlock);
      const labels = Object.fromEntries(events.map((e) => [e.args.roleId.toString(), e.args.label]));
      for (const name of Object.keys(ROLE_LABELS) as RoleName[]) {
        if (name !== "ADMIN") expect(labels[Role[name].toString()]).to.equal(ROLE_LABELS[name]);
      }
      expect(roleId("PAUSER")).to.equal(2n);
      expect(roleName(3n)).to.equal("CONFIGURATOR");
      expect(roleName(99n)).to.equal(undefined);
    });

    it("refuses role changes by anyone but the admin", async function () {
      const { manager, registrar, outsider } = await loadFixture(deployFixture);
      await expect(manager.connect(registrar).grantRole(Role.REGISTRAR, outsider.address, 0))
        .to.be.revertedWithCustomError(manager, "AccessManagerUnauthorizedAccount")
        .withArgs(registrar.address, Role.ADMIN);
    });

    it("tells whether a caller may call now", async function () {
      const { connect, registrar, outsider, registry } = await loadFixture(deployFixture);
      const cl = await connect(registrar);
      const call = { to: await registry.getAddress(), data: registry.interface.encodeFunctionData("registerOrganization", [OrgKind.Lab, PROFILE, outsider.address]) };
      expect(await cl.governance.canCall(registrar.address, call)).to.deep.equal({ immediate: true, delay: 0 });
      expect(await cl.governance.canCall(outsider.address, call)).to.deep.equal({ immediate: false, delay: 0 });
    });
  });

  describe("execution delays", function () {
    it("are set at deploy time", async function () {
      const { connect, registrar, deployer, pauser } = await loadFixture(delayedFixture);
      const cl = await connect(deployer);
      expect(await cl.governance.hasRole("REGISTRAR", registrar.address)).to.deep.equal({ isMember: true, executionDelay: DAY });
      expect(await cl.governance.hasRole("ADMIN", deployer.address)).to.deep.equal({ isMember: true, executionDelay: 2 * DAY });
      expect((await cl.governance.hasRole("PAUSER", pauser.address)).executionDelay).to.equal(0);
    });

    it("refuse an unscheduled call, then allow it once scheduled and the delay has passed", async function () {
      const { connect, registrar, labAdmin, registry } = await loadFixture(delayedFixture);
      const cl = await connect(registrar);
      const direct = cl.participants.registerOrganization({ kind: "lab", metadata: PROFILE, admin: labAdmin.address });
      const refused = await direct.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(refused).to.be.instanceOf(ContractRevertError);
      expect((refused as ContractRevertError).errorName).to.equal("AccessManagerNotScheduled");
      expect((refused as ContractRevertError).message).to.contain("schedule it first");

      const call = { to: await registry.getAddress(), data: registry.interface.encodeFunctionData("registerOrganization", [OrgKind.Lab, PROFILE, labAdmin.address]) };
      expect(await cl.governance.canCall(registrar.address, call)).to.deep.equal({ immediate: false, delay: DAY });
      const { operationId, readyAt } = await (await cl.governance.schedule(call)).wait();
      expect(readyAt).to.equal((await time.latest()) + DAY);

      const early = await cl.governance.execute(call).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((early as ContractRevertError).errorName).to.equal("AccessManagerNotReady");
      expect((early as ContractRevertError).args.operationId).to.equal(operationId);

      await time.increaseTo(readyAt);
      await (await cl.governance.execute(call)).wait();
      expect((await registry.organization(1)).kind).to.equal(BigInt(OrgKind.Lab));
    });

    it("let the pauser, as guardian, cancel a scheduled call during the delay, and nobody else", async function () {
      const { connect, registrar, pauser, outsider, labAdmin, registry } = await loadFixture(delayedFixture);
      const call = { to: await registry.getAddress(), data: registry.interface.encodeFunctionData("registerOrganization", [OrgKind.Lab, PROFILE, labAdmin.address]) };
      const { operationId, readyAt } = await (await (await connect(registrar)).governance.schedule(call)).wait();

      const refused = await (await connect(outsider)).governance.cancel(registrar.address, call).catch((e: unknown) => e);
      expect((refused as ContractRevertError).errorName).to.equal("AccessManagerUnauthorizedCancel");

      const cancelled = await (await (await connect(pauser)).governance.cancel(registrar.address, call)).wait();
      expect(cancelled.operationId).to.equal(operationId);
      await time.increaseTo(readyAt);
      const late = await (await connect(registrar)).governance.execute(call).catch((e: unknown) => e);
      expect((late as ContractRevertError).errorName).to.equal("AccessManagerNotScheduled");
    });

    it("never delay the pauser, so an incident is contained in the same block", async function () {
      const { registry, pauser } = await loadFixture(delayedFixture);
      await expect(registry.connect(pauser).pause()).to.emit(registry, "Paused");
    });
  });
});
