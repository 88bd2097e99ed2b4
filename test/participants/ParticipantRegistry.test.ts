import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre from "hardhat";
import { OrgKind, profileCommitment } from "../../sdk";
import { deployFixture, PROFILE } from "../support/fixtures";

const PROFILE2 = "0x" + "cd".repeat(32);
const ZERO32 = "0x" + "00".repeat(32);

/** The suite plus three registered organizations: a hospital (1), a lab (2), an insurer (3). */
async function onboardedFixture() {
  const f = await deployFixture();
  const r = f.registry.connect(f.registrar);
  await r.registerOrganization(OrgKind.Provider, PROFILE, f.hospitalAdmin.address);
  await r.registerOrganization(OrgKind.Lab, PROFILE2, f.labAdmin.address);
  await r.registerOrganization(OrgKind.Insurer, PROFILE, f.insurerAdmin.address);
  await f.registry.connect(f.hospitalAdmin).addMember(1, f.doctor.address, false);
  return f;
}

describe("ParticipantRegistry", function () {
  describe("registerOrganization", function () {
    it("registers an organization with its first admin, ids counting from 1", async function () {
      const { registry, registrar, hospitalAdmin } = await loadFixture(deployFixture);
      const tx = registry.connect(registrar).registerOrganization(OrgKind.Provider, PROFILE, hospitalAdmin.address);
      await expect(tx).to.emit(registry, "OrganizationRegistered").withArgs(1n, OrgKind.Provider, PROFILE, hospitalAdmin.address);
      await expect(tx).to.emit(registry, "MemberAdded").withArgs(1n, hospitalAdmin.address, true, registrar.address);
      const at = await time.latest();
      const org = await registry.organization(1);
      expect([org.kind, org.suspended, org.registeredAt, org.memberCount, org.adminCount, org.metadata]).to.deep.equal([
        BigInt(OrgKind.Provider), false, BigInt(at), 1n, 1n, PROFILE,
      ]);
      const m = await registry.membershipOf(hospitalAdmin.address);
      expect([m.orgId, m.kind, m.isAdmin, m.since]).to.deep.equal([1n, BigInt(OrgKind.Provider), true, BigInt(at)]);
      expect(await registry.organizationCount()).to.equal(1n);
      expect(await registry.isActiveMember(hospitalAdmin.address)).to.deep.equal([true, 1n, BigInt(OrgKind.Provider)]);
    });

    it("registers every kind", async function () {
      const { registry, registrar, signers } = await loadFixture(deployFixture);
      for (let kind = OrgKind.Provider; kind <= OrgKind.Regulator; kind++) {
        await registry.connect(registrar).registerOrganization(kind, PROFILE, signers[10 + kind].address);
        expect((await registry.organization(kind)).kind).to.equal(BigInt(kind));
      }
    });

    it("refuses the None kind", async function () {
      const { registry, registrar, hospitalAdmin } = await loadFixture(deployFixture);
      await expect(registry.connect(registrar).registerOrganization(OrgKind.None, PROFILE, hospitalAdmin.address))
        .to.be.revertedWithCustomError(registry, "InvalidOrganizationKind")
        .withArgs(0);
    });

    it("refuses a kind outside the vocabulary", async function () {
      const { registry, registrar, hospitalAdmin } = await loadFixture(deployFixture);
      const valid = registry.interface.encodeFunctionData("registerOrganization", [OrgKind.Regulator, PROFILE, hospitalAdmin.address]);
      const data = valid.slice(0, 10) + hre.ethers.zeroPadValue("0x07", 32).slice(2) + valid.slice(74);
      // ABI decoding of an out-of-range enum stops the call before any of the contract's code runs.
      await expect(registrar.sendTransaction({ to: registry.target, data, gasLimit: 200_000 })).to.be.reverted;
      expect(await registry.organizationCount()).to.equal(0n);
    });

    it("refuses an empty profile commitment", async function () {
      const { registry, registrar, hospitalAdmin } = await loadFixture(deployFixture);
      await expect(registry.connect(registrar).registerOrganization(OrgKind.Provider, ZERO32, hospitalAdmin.address)).to.be.revertedWithCustomError(
        registry,
        "EmptyMetadata",
      );
    });

    it("refuses the zero address as admin", async function () {
      const { registry, registrar } = await loadFixture(deployFixture);
      await expect(registry.connect(registrar).registerOrganization(OrgKind.Provider, PROFILE, hre.ethers.ZeroAddress))
        .to.be.revertedWithCustomError(registry, "InvalidAccount")
        .withArgs(hre.ethers.ZeroAddress);
    });

    it("refuses an admin who already belongs to an organization", async function () {
      const { registry, registrar, doctor } = await loadFixture(onboardedFixture);
      await expect(registry.connect(registrar).registerOrganization(OrgKind.Lab, PROFILE, doctor.address))
        .to.be.revertedWithCustomError(registry, "AlreadyMember")
        .withArgs(doctor.address, 1n);
    });

    it("refuses an unprivileged wallet", async function () {
      const { registry, outsider, hospitalAdmin } = await loadFixture(deployFixture);
      await expect(registry.connect(outsider).registerOrganization(OrgKind.Provider, PROFILE, hospitalAdmin.address))
        .to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized")
        .withArgs(outsider.address);
    });

    it("refuses the pauser, whose role does not include onboarding", async function () {
      const { registry, pauser, hospitalAdmin } = await loadFixture(deployFixture);
      await expect(registry.connect(pauser).registerOrganization(OrgKind.Provider, PROFILE, hospitalAdmin.address))
        .to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized")
        .withArgs(pauser.address);
    });

    it("refuses an intermediate contract", async function () {
      const { registry, intermediary, hospitalAdmin } = await loadFixture(deployFixture);
      const data = registry.interface.encodeFunctionData("registerOrganization", [OrgKind.Provider, PROFILE, hospitalAdmin.address]);
      await expect(intermediary.forward(registry.target, data))
        .to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized")
        .withArgs(intermediary.target);
    });

    it("is refused while paused", async function () {
      const { registry, registrar, pauser, hospitalAdmin } = await loadFixture(deployFixture);
      await registry.connect(pauser).pause();
      await expect(registry.connect(registrar).registerOrganization(OrgKind.Provider, PROFILE, hospitalAdmin.address)).to.be.revertedWithCustomError(
        registry,
        "EnforcedPause",
      );
    });
  });

  describe("updateMetadata", function () {
    it("replaces the profile commitment", async function () {
      const { registry, registrar } = await loadFixture(onboardedFixture);
      const next = profileCommitment({ name: "General Hospital", licence: "H-1" });
      await expect(registry.connect(registrar).updateMetadata(1, next)).to.emit(registry, "OrganizationMetadataUpdated").withArgs(1n, next);
      expect((await registry.organization(1)).metadata).to.equal(next);
    });

    it("refuses an unknown organization and an empty commitment", async function () {
      const { registry, registrar } = await loadFixture(onboardedFixture);
      await expect(registry.connect(registrar).updateMetadata(9, PROFILE2)).to.be.revertedWithCustomError(registry, "UnknownOrganization").withArgs(9n);
      await expect(registry.connect(registrar).updateMetadata(1, ZERO32)).to.be.revertedWithCustomError(registry, "EmptyMetadata");
    });

    it("refuses the organization's own admin, a wallet and an intermediate contract", async function () {
      const { registry, hospitalAdmin, intermediary } = await loadFixture(onboardedFixture);
      await expect(registry.connect(hospitalAdmin).updateMetadata(1, PROFILE2))
        .to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized")
        .withArgs(hospitalAdmin.address);
      const data = registry.interface.encodeFunctionData("updateMetadata", [1, PROFILE2]);
      await expect(intermediary.forward(registry.target, data))
        .to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized")
        .withArgs(intermediary.target);
    });
  });

  describe("suspendOrganization", function () {
    it("makes every member of the organization inactive at once, and no one else", async function () {
      const { registry, pauser, hospitalAdmin, doctor, labAdmin } = await loadFixture(onboardedFixture);
      await expect(registry.connect(pauser).suspendOrganization(1)).to.emit(registry, "OrganizationSuspended").withArgs(1n, pauser.address);
      expect(await registry.isActiveMember(hospitalAdmin.address)).to.deep.equal([false, 1n, BigInt(OrgKind.Provider)]);
      expect(await registry.isActiveMember(doctor.address)).to.deep.equal([false, 1n, BigInt(OrgKind.Provider)]);
      expect(await registry.isActiveMember(labAdmin.address)).to.deep.equal([true, 2n, BigInt(OrgKind.Lab)]);
      expect((await registry.organization(1)).suspended).to.equal(true);
    });

    it("works while the registry is paused, so an incident can be contained", async function () {
      const { registry, pauser, doctor } = await loadFixture(onboardedFixture);
      await registry.connect(pauser).pause();
      await registry.connect(pauser).suspendOrganization(1);
      expect((await registry.isActiveMember(doctor.address))[0]).to.equal(false);
    });

    it("refuses an organization already suspended and an unknown one", async function () {
      const { registry, pauser } = await loadFixture(onboardedFixture);
      await registry.connect(pauser).suspendOrganization(1);
      await expect(registry.connect(pauser).suspendOrganization(1)).to.be.revertedWithCustomError(registry, "OrganizationIsSuspended").withArgs(1n);
      await expect(registry.connect(pauser).suspendOrganization(42)).to.be.revertedWithCustomError(registry, "UnknownOrganization").withArgs(42n);
    });

    it("refuses the registrar, the organization's admin and an intermediate contract", async function () {
      const { registry, registrar, hospitalAdmin, intermediary } = await loadFixture(onboardedFixture);
      for (const who of [registrar, hospitalAdmin]) {
        await expect(registry.connect(who).suspendOrganization(1)).to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized").withArgs(who.address);
      }
      const data = registry.interface.encodeFunctionData("suspendOrganization", [1]);
      await expect(intermediary.forward(registry.target, data))
        .to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized")
        .withArgs(intermediary.target);
    });
  });

  describe("reinstateOrganization", function () {
    it("makes the members active again", async function () {
      const { registry, pauser, registrar, doctor } = await loadFixture(onboardedFixture);
      await registry.connect(pauser).suspendOrganization(1);
      await expect(registry.connect(registrar).reinstateOrganization(1)).to.emit(registry, "OrganizationReinstated").withArgs(1n, registrar.address);
      expect(await registry.isActiveMember(doctor.address)).to.deep.equal([true, 1n, BigInt(OrgKind.Provider)]);
    });

    it("refuses an organization that is not suspended, and an unknown one", async function () {
      const { registry, registrar } = await loadFixture(onboardedFixture);
      await expect(registry.connect(registrar).reinstateOrganization(1)).to.be.revertedWithCustomError(registry, "OrganizationNotSuspended").withArgs(1n);
      await expect(registry.connect(registrar).reinstateOrganization(7)).to.be.revertedWithCustomError(registry, "UnknownOrganization").withArgs(7n);
    });

    it("is refused while paused, since it widens access", async function () {
      const { registry, pauser, registrar } = await loadFixture(onboardedFixture);
      await registry.connect(pauser).suspendOrganization(1);
      await registry.connect(pauser).pause();
      await expect(registry.connect(registrar).reinstateOrganization(1)).to.be.revertedWithCustomError(registry, "EnforcedPause");
    });

    it("refuses the pauser, a wallet and an intermediate contract", async function () {
      const { registry, pauser, outsider, intermediary } = await loadFixture(onboardedFixture);
      await registry.connect(pauser).suspendOrganization(1);
      for (const who of [pauser, outsider]) {
        await expect(registry.connect(who).reinstateOrganization(1)).to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized").withArgs(who.address);
      }
      const data = registry.interface.encodeFunctionData("reinstateOrganization", [1]);
      await expect(intermediary.forward(registry.target, data))
        .to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized")
        .withArgs(intermediary.target);
    });
  });

  describe("appointAdmin", function () {
    it("adds a new account as an admin (recovery of lost admin keys)", async function () {
      const { registry, registrar, nurse } = await loadFixture(onboardedFixture);
      await expect(registry.connect(registrar).appointAdmin(1, nurse.address)).to.emit(registry, "MemberAdded").withArgs(1n, nurse.address, true, registrar.address);
      const org = await registry.organization(1);
      expect([org.memberCount, org.adminCount]).to.deep.equal([3n, 2n]);
    });

    it("promotes an existing member", async function () {
      const { registry, registrar, doctor } = await loadFixture(onboardedFixture);
      await expect(registry.connect(registrar).appointAdmin(1, doctor.address))
        .to.emit(registry, "MemberAdminChanged")
        .withArgs(1n, doctor.address, true, registrar.address);
      expect((await registry.membershipOf(doctor.address)).isAdmin).to.equal(true);
      expect((await registry.organization(1)).adminCount).to.equal(2n);
    });

    it("refuses a member of another organization, an existing admin and an unknown organization", async function () {
      const { registry, registrar, labAdmin, hospitalAdmin, nurse } = await loadFixture(onboardedFixture);
      await expect(registry.connect(registrar).appointAdmin(1, labAdmin.address)).to.be.revertedWithCustomError(registry, "AlreadyMember").withArgs(labAdmin.address, 2n);
      await expect(registry.connect(registrar).appointAdmin(1, hospitalAdmin.address))
        .to.be.revertedWithCustomError(registry, "AlreadyAdmin")
        .withArgs(hospitalAdmin.address, 1n);
      await expect(registry.connect(registrar).appointAdmin(5, nurse.address)).to.be.revertedWithCustomError(registry, "UnknownOrganization").withArgs(5n);
    });

    it("is refused while paused", async function () {
      const { registry, registrar, pauser, nurse } = await loadFixture(onboardedFixture);
      await registry.connect(pauser).pause();
      await expect(registry.connect(registrar).appointAdmin(1, nurse.address)).to.be.revertedWithCustomError(registry, "EnforcedPause");
    });

    it("refuses the organization's admin, a wallet and an intermediate contract", async function () {
      const { registry, hospitalAdmin, outsider, nurse, intermediary } = await loadFixture(onboardedFixture);
      for (const who of [hospitalAdmin, outsider]) {
        await expect(registry.connect(who).appointAdmin(1, nurse.address)).to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized").withArgs(who.address);
      }
      const data = registry.interface.encodeFunctionData("appointAdmin", [1, outsider.address]);
      await expect(intermediary.forward(registry.target, data))
        .to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized")
        .withArgs(intermediary.target);
    });
  });

  describe("addMember", function () {
    it("lets an organization's admin add a member, who is active at once", async function () {
      const { registry, hospitalAdmin, nurse } = await loadFixture(onboardedFixture);
      await expect(registry.connect(hospitalAdmin).addMember(1, nurse.address, false))
        .to.emit(registry, "MemberAdded")
        .withArgs(1n, nurse.address, false, hospitalAdmin.address);
      expect(await registry.isActiveMember(nurse.address)).to.deep.equal([true, 1n, BigInt(OrgKind.Provider)]);
      const org = await registry.organization(1);
      expect([org.memberCount, org.adminCount]).to.deep.equal([3n, 1n]);
    });

    it("adds an admin, who can then add members", async function () {
      const { registry, hospitalAdmin, nurse, outsider } = await loadFixture(onboardedFixture);
      await registry.connect(hospitalAdmin).addMember(1, nurse.address, true);
      expect((await registry.organization(1)).adminCount).to.equal(2n);
      await registry.connect(nurse).addMember(1, outsider.address, false);
      expect((await registry.membershipOf(outsider.address)).orgId).to.equal(1n);
    });

    it("refuses an account that already belongs to an organization, this one or another", async function () {
      const { registry, hospitalAdmin, labAdmin, doctor } = await loadFixture(onboardedFixture);
      await expect(registry.connect(hospitalAdmin).addMember(1, labAdmin.address, false))
        .to.be.revertedWithCustomError(registry, "AlreadyMember")
        .withArgs(labAdmin.address, 2n);
      await expect(registry.connect(hospitalAdmin).addMember(1, doctor.address, false))
        .to.be.revertedWithCustomError(registry, "AlreadyMember")
        .withArgs(doctor.address, 1n);
    });

    it("refuses the zero address", async function () {
      const { registry, hospitalAdmin } = await loadFixture(onboardedFixture);
      await expect(registry.connect(hospitalAdmin).addMember(1, hre.ethers.ZeroAddress, false))
        .to.be.revertedWithCustomError(registry, "InvalidAccount")
        .withArgs(hre.ethers.ZeroAddress);
    });

    it("refuses a plain member, an admin of another organization, the registrar and an outsider", async function () {
      const { registry, doctor, labAdmin, registrar, outsider, nurse } = await loadFixture(onboardedFixture);
      for (const who of [doctor, labAdmin, registrar, outsider]) {
        await expect(registry.connect(who).addMember(1, nurse.address, false))
          .to.be.revertedWithCustomError(registry, "NotOrganizationAdmin")
          .withArgs(who.address, 1n);
      }
    });

    it("refuses an intermediate contract deployed by an admin", async function () {
      const { registry, hospitalAdmin, nurse } = await loadFixture(onboardedFixture);
      const own = await (await hre.ethers.getContractFactory("Intermediary", hospitalAdmin)).deploy();
      const data = registry.interface.encodeFunctionData("addMember", [1, nurse.address, false]);
      await expect(own.connect(hospitalAdmin).forward(registry.target, data))
        .to.be.revertedWithCustomError(registry, "NotOrganizationAdmin")
        .withArgs(own.target, 1n);
    });

    it("is refused while the organization is suspended", async function () {
      const { registry, pauser, hospitalAdmin, nurse } = await loadFixture(onboardedFixture);
      await registry.connect(pauser).suspendOrganization(1);
      await expect(registry.connect(hospitalAdmin).addMember(1, nurse.address, false)).to.be.revertedWithCustomError(registry, "OrganizationIsSuspended").withArgs(1n);
    });

    it("is refused while paused", async function () {
      const { registry, pauser, hospitalAdmin, nurse } = await loadFixture(onboardedFixture);
      await registry.connect(pauser).pause();
      await expect(registry.connect(hospitalAdmin).addMember(1, nurse.address, false)).to.be.revertedWithCustomError(registry, "EnforcedPause");
    });
  });

  describe("removeMember", function () {
    it("removes a member, who is inactive at once and free to join another organization", async function () {
      const { registry, hospitalAdmin, labAdmin, doctor } = await loadFixture(onboardedFixture);
      await expect(registry.connect(hospitalAdmin).removeMember(1, doctor.address))
        .to.emit(registry, "MemberRemoved")
        .withArgs(1n, doctor.address, hospitalAdmin.address);
      expect(await registry.isActiveMember(doctor.address)).to.deep.equal([false, 0n, 0n]);
      expect((await registry.organization(1)).memberCount).to.equal(1n);
      await registry.connect(labAdmin).addMember(2, doctor.address, false);
      expect(await registry.isActiveMember(doctor.address)).to.deep.equal([true, 2n, BigInt(OrgKind.Lab)]);
    });

    it("removes an admin when another admin remains", async function () {
      const { registry, hospitalAdmin, nurse } = await loadFixture(onboardedFixture);
      await registry.connect(hospitalAdmin).addMember(1, nurse.address, true);
      await registry.connect(nurse).removeMember(1, hospitalAdmin.address);
      const org = await registry.organization(1);
      expect([org.memberCount, org.adminCount]).to.deep.equal([2n, 1n]);
    });

    it("refuses to remove the last admin", async function () {
      const { registry, hospitalAdmin } = await loadFixture(onboardedFixture);
      await expect(registry.connect(hospitalAdmin).removeMember(1, hospitalAdmin.address))
        .to.be.revertedWithCustomError(registry, "LastAdmin")
        .withArgs(1n, hospitalAdmin.address);
    });

    it("refuses an account that is not a member of this organization", async function () {
      const { registry, hospitalAdmin, labAdmin, outsider } = await loadFixture(onboardedFixture);
      await expect(registry.connect(hospitalAdmin).removeMember(1, labAdmin.address)).to.be.revertedWithCustomError(registry, "NotMember").withArgs(labAdmin.address, 1n);
      await expect(registry.connect(hospitalAdmin).removeMember(1, outsider.address)).to.be.revertedWithCustomError(registry, "NotMember").withArgs(outsider.address, 1n);
    });

    it("refuses an admin of another organization and a plain member", async function () {
      const { registry, labAdmin, doctor, hospitalAdmin } = await loadFixture(onboardedFixture);
      for (const who of [labAdmin, doctor]) {
        await expect(registry.connect(who).removeMember(1, hospitalAdmin.address))
          .to.be.revertedWithCustomError(registry, "NotOrganizationAdmin")
          .withArgs(who.address, 1n);
      }
    });

    it("works while paused and while suspended, since it only narrows access", async function () {
      const { registry, pauser, hospitalAdmin, doctor } = await loadFixture(onboardedFixture);
      await registry.connect(pauser).suspendOrganization(1);
      await registry.connect(pauser).pause();
      await registry.connect(hospitalAdmin).removeMember(1, doctor.address);
      expect((await registry.membershipOf(doctor.address)).orgId).to.equal(0n);
    });
  });

  describe("setAdmin", function () {
    it("promotes and demotes a member", async function () {
      const { registry, hospitalAdmin, doctor } = await loadFixture(onboardedFixture);
      await expect(registry.connect(hospitalAdmin).setAdmin(1, doctor.address, true))
        .to.emit(registry, "MemberAdminChanged")
        .withArgs(1n, doctor.address, true, hospitalAdmin.address);
      expect((await registry.organization(1)).adminCount).to.equal(2n);
      await expect(registry.connect(doctor).setAdmin(1, hospitalAdmin.address, false))
        .to.emit(registry, "MemberAdminChanged")
        .withArgs(1n, hospitalAdmin.address, false, doctor.address);
      expect((await registry.membershipOf(hospitalAdmin.address)).isAdmin).to.equal(false);
      expect((await registry.organization(1)).adminCount).to.equal(1n);
    });

    it("does nothing when the member already has that standing", async function () {
      const { registry, hospitalAdmin, doctor } = await loadFixture(onboardedFixture);
      await expect(registry.connect(hospitalAdmin).setAdmin(1, doctor.address, false)).not.to.emit(registry, "MemberAdminChanged");
      expect((await registry.organization(1)).adminCount).to.equal(1n);
    });

    it("refuses to demote the last admin", async function () {
      const { registry, hospitalAdmin } = await loadFixture(onboardedFixture);
      await expect(registry.connect(hospitalAdmin).setAdmin(1, hospitalAdmin.address, false))
        .to.be.revertedWithCustomError(registry, "LastAdmin")
        .withArgs(1n, hospitalAdmin.address);
    });

    it("refuses a non-member, a plain member and another organization's admin", async function () {
      const { registry, hospitalAdmin, labAdmin, doctor } = await loadFixture(onboardedFixture);
      await expect(registry.connect(hospitalAdmin).setAdmin(1, labAdmin.address, true)).to.be.revertedWithCustomError(registry, "NotMember").withArgs(labAdmin.address, 1n);
      await expect(registry.connect(doctor).setAdmin(1, doctor.address, true)).to.be.revertedWithCustomError(registry, "NotOrganizationAdmin").withArgs(doctor.address, 1n);
      await expect(registry.connect(labAdmin).setAdmin(1, doctor.address, true)).to.be.revertedWithCustomError(registry, "NotOrganizationAdmin").withArgs(labAdmin.address, 1n);
    });

    it("refuses promotion while paused or suspended, but allows demotion", async function () {
      const { registry, pauser, registrar, hospitalAdmin, doctor, nurse } = await loadFixture(onboardedFixture);
      await registry.connect(hospitalAdmin).addMember(1, nurse.address, true);
      await registry.connect(pauser).pause();
      await expect(registry.connect(hospitalAdmin).setAdmin(1, doctor.address, true)).to.be.revertedWithCustomError(registry, "EnforcedPause");
      await registry.connect(hospitalAdmin).setAdmin(1, nurse.address, false);
      await registry.connect(pauser).unpause();
      await registry.connect(pauser).suspendOrganization(1);
      await expect(registry.connect(hospitalAdmin).setAdmin(1, doctor.address, true)).to.be.revertedWithCustomError(registry, "OrganizationIsSuspended").withArgs(1n);
      void registrar;
    });
  });

  describe("leaveOrganization", function () {
    it("lets a member leave", async function () {
      const { registry, doctor } = await loadFixture(onboardedFixture);
      await expect(registry.connect(doctor).leaveOrganization()).to.emit(registry, "MemberRemoved").withArgs(1n, doctor.address, doctor.address);
      expect((await registry.membershipOf(doctor.address)).orgId).to.equal(0n);
    });

    it("refuses an account that belongs to no organization", async function () {
      const { registry, outsider } = await loadFixture(onboardedFixture);
      await expect(registry.connect(outsider).leaveOrganization()).to.be.revertedWithCustomError(registry, "NotMember").withArgs(outsider.address, 0n);
    });

    it("refuses the last admin", async function () {
      const { registry, labAdmin } = await loadFixture(onboardedFixture);
      await expect(registry.connect(labAdmin).leaveOrganization()).to.be.revertedWithCustomError(registry, "LastAdmin").withArgs(2n, labAdmin.address);
    });
  });

  describe("views", function () {
    it("answers isActiveMember for a non-member with zeros", async function () {
      const { registry, outsider } = await loadFixture(onboardedFixture);
      expect(await registry.isActiveMember(outsider.address)).to.deep.equal([false, 0n, 0n]);
      expect((await registry.membershipOf(outsider.address)).orgId).to.equal(0n);
    });

    it("refuses to describe an unknown organization", async function () {
      const { registry } = await loadFixture(onboardedFixture);
      await expect(registry.organization(0)).to.be.revertedWithCustomError(registry, "UnknownOrganization").withArgs(0n);
      await expect(registry.organization(4)).to.be.revertedWithCustomError(registry, "UnknownOrganization").withArgs(4n);
      expect(await registry.organizationCount()).to.equal(3n);
    });

    it("reports its version", async function () {
      const { registry } = await loadFixture(deployFixture);
      expect(await registry.VERSION()).to.equal("1.0.0");
    });
  });

  describe("pause and unpause", function () {
    it("are the pauser's", async function () {
      const { registry, pauser } = await loadFixture(deployFixture);
      await expect(registry.connect(pauser).pause()).to.emit(registry, "Paused").withArgs(pauser.address);
      await expect(registry.connect(pauser).pause()).to.be.revertedWithCustomError(registry, "EnforcedPause");
      await expect(registry.connect(pauser).unpause()).to.emit(registry, "Unpaused").withArgs(pauser.address);
      await expect(registry.connect(pauser).unpause()).to.be.revertedWithCustomError(registry, "ExpectedPause");
    });

    it("refuse the registrar, an outsider and an intermediate contract", async function () {
      const { registry, registrar, outsider, intermediary } = await loadFixture(deployFixture);
      for (const fn of ["pause", "unpause"] as const) {
        for (const who of [registrar, outsider]) {
          await expect(registry.connect(who)[fn]()).to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized").withArgs(who.address);
        }
        await expect(intermediary.forward(registry.target, registry.interface.encodeFunctionData(fn as "pause")))
          .to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized")
          .withArgs(intermediary.target);
      }
    });
  });
});
