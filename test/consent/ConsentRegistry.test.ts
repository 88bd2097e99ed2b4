import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import { expect } from "chai";
import hre from "hardhat";
import { FUNCTION_ROLES, Role } from "../../sdk";
import { ConsentRegistry__factory } from "../../typechain-types";
import { classes, COMMITMENT, consentFixture, FULL_SCOPE, HOSPITAL, now, purposes, RECORD, YEAR, ZERO32 } from "./fixtures";

const LABS = classes("labs");
const TREAT = purposes("TREAT");
const C = { labs: 4, medications: 2, mentalHealth: 16, imaging: 6 };
const P = { TREAT: 0, ETREAT: 1, HPAYMT: 2, HRESCH: 4 };

/** The fixture plus a grant of labs + medications for TREAT from the patient to the doctor's account. */
async function grantedFixture() {
  const f = await loadFixture(consentFixture);
  const until = (await now()) + YEAR;
  await f.consent.grant(f.patient.address, f.accountGrantee(f.doctor.address), classes("labs", "medications"), TREAT, 0, until, COMMITMENT);
  return { ...f, until };
}

describe("ConsentRegistry", function () {
  describe("deployment", function () {
    it("knows its registry, version, EIP-712 domain (ERC-5267) and default break-glass window", async function () {
      const { consent, registry, domain } = await loadFixture(consentFixture);
      expect(await consent.participantRegistry()).to.equal(await registry.getAddress());
      expect(await consent.VERSION()).to.equal("2.0.0");
      const d = await consent.eip712Domain();
      expect([d.name, d.version, d.chainId, d.verifyingContract]).to.deep.equal([domain.name, domain.version, BigInt(domain.chainId!), domain.verifyingContract]);
      expect(await consent.breakGlassWindow()).to.equal(4n * 3600n);
    });

    it("keys organizations and accounts apart, exactly as the SDK does", async function () {
      const { consent, accountGrantee, organizationGrantee } = await loadFixture(consentFixture);
      const one = "0x0000000000000000000000000000000000000001";
      expect(await consent.accountGrantee(one)).to.equal(accountGrantee(one));
      expect(await consent.organizationGrantee(1)).to.equal(organizationGrantee(1));
      expect(organizationGrantee(1)).to.not.equal(accountGrantee(one));
    });
  });

  describe("grant", function () {
    it("grants one account, in one packed slot, and emits the commitment", async function () {
      const { consent, patient, doctor, accountGrantee } = await loadFixture(consentFixture);
      const until = (await now()) + YEAR;
      const mask = classes("labs", "medications");
      await expect(consent.grant(patient.address, accountGrantee(doctor.address), mask, TREAT, 0, until, COMMITMENT))
        .to.emit(consent, "ConsentGranted")
        .withArgs(patient.address, accountGrantee(doctor.address), patient.address, mask, TREAT, 0, until, COMMITMENT);
      const g = await consent.grantOf(patient.address, accountGrantee(doctor.address));
      expect([g.classes, g.purposes, g.validFrom, g.validUntil, g.nonce]).to.deep.equal([BigInt(mask), BigInt(TREAT), 0n, BigInt(until), 1n]);
      expect(await consent.isPermitted(patient.address, doctor.address, C.labs, P.TREAT)).to.equal(true);
      expect(await consent.isPermitted(patient.address, doctor.address, C.medications, P.TREAT)).to.equal(true);
      expect(await consent.isPermitted(patient.address, doctor.address, C.imaging, P.TREAT)).to.equal(false);
      expect(await consent.isPermitted(patient.address, doctor.address, C.labs, P.HPAYMT)).to.equal(false);
    });

    it("grants an organization: its active members are permitted, others are not", async function () {
      const { consent, patient, doctor, nurse, labAdmin, outsider, organizationGrantee } = await loadFixture(consentFixture);
      await consent.grant(patient.address, organizationGrantee(HOSPITAL), LABS, TREAT, 0, (await now()) + YEAR, COMMITMENT);
      expect(await consent.isPermitted(patient.address, doctor.address, C.labs, P.TREAT)).to.equal(true);
      expect(await consent.isPermitted(patient.address, nurse.address, C.labs, P.TREAT)).to.equal(true);
      expect(await consent.isPermitted(patient.address, labAdmin.address, C.labs, P.TREAT)).to.equal(false);
      expect(await consent.isPermitted(patient.address, outsider.address, C.labs, P.TREAT)).to.equal(false);
    });

    it("does not let an account whose address equals an organization id act as that organization", async function () {
      const { consent, patient, doctor, accountGrantee } = await loadFixture(consentFixture);
      await consent.grant(patient.address, accountGrantee("0x0000000000000000000000000000000000000001"), LABS, TREAT, 0, (await now()) + YEAR, COMMITMENT);
      expect(await consent.isPermitted(patient.address, doctor.address, C.labs, P.TREAT)).to.equal(false);
    });

    it("replaces the pair's grant when granting again, and counts the change in the pair's nonce", async function () {
      const { consent, patient, doctor, accountGrantee, until } = await grantedFixture();
      await consent.grant(patient.address, accountGrantee(doctor.address), classes("imaging"), purposes("HPAYMT"), 0, until, COMMITMENT);
      expect(await consent.isPermitted(patient.address, doctor.address, C.labs, P.TREAT)).to.equal(false);
      expect(await consent.isPermitted(patient.address, doctor.address, C.imaging, P.HPAYMT)).to.equal(true);
      expect(await consent.nonces(patient.address, accountGrantee(doctor.address))).to.equal(2n);
    });

    it("never implies a sensitive class: every general class does not permit mental health", async function () {
      const { consent, patient, doctor, accountGrantee } = await loadFixture(consentFixture);
      await consent.grant(patient.address, accountGrantee(doctor.address), 0x1fff, TREAT, 0, (await now()) + YEAR, COMMITMENT);
      expect(await consent.isPermitted(patient.address, doctor.address, C.mentalHealth, P.TREAT)).to.equal(false);
    });

    it("starts at validFrom and ends at validUntil, to the second", async function () {
      const { consent, patient, doctor, accountGrantee } = await loadFixture(consentFixture);
      // The grant's block is pinned right after the fixture's: a fixture restored long after it was
      // taken would otherwise mine the grant at wall-clock time, past `from`.
      const granted = (await now()) + 1;
      const from = granted + 100;
      const until = from + 100;
      await time.setNextBlockTimestamp(granted);
      await consent.grant(patient.address, accountGrantee(doctor.address), LABS, TREAT, from, until, COMMITMENT);
      const log = () => consent.connect(doctor).logAccess(patient.address, RECORD, C.labs, P.TREAT);
      await time.setNextBlockTimestamp(from - 1);
      await expect(log()).to.be.revertedWithCustomError(consent, "AccessNotPermitted");
      await time.setNextBlockTimestamp(from);
      await expect(log()).to.emit(consent, "AccessLogged");
      await time.setNextBlockTimestamp(until - 1);
      await expect(log()).to.emit(consent, "AccessLogged");
      await time.setNextBlockTimestamp(until);
      await expect(log()).to.be.revertedWithCustomError(consent, "AccessNotPermitted").withArgs(patient.address, doctor.address, C.labs, P.TREAT);
    });

    it("refuses every caller who is not the patient or a delegate: a stranger, the admin, the registrar, the grantee, a contract", async function () {
      const { consent, patient, doctor, deployer, registrar, pauser, outsider, intermediary, accountGrantee } = await loadFixture(consentFixture);
      const args = [patient.address, accountGrantee(doctor.address), LABS, TREAT, 0, (await now()) + YEAR, COMMITMENT] as const;
      for (const caller of [outsider, deployer, registrar, pauser, doctor]) {
        await expect(consent.connect(caller).grant(...args)).to.be.revertedWithCustomError(consent, "NotPatientOrDelegate").withArgs(caller.address, patient.address);
      }
      const data = consent.interface.encodeFunctionData("grant", [...args]);
      await expect(intermediary.forward(await consent.getAddress(), data))
        .to.be.revertedWithCustomError(consent, "NotPatientOrDelegate")
        .withArgs(await intermediary.getAddress(), patient.address);
    });

    it("refuses the zero address as patient", async function () {
      const { consent, outsider, doctor, accountGrantee } = await loadFixture(consentFixture);
      await expect(consent.connect(outsider).grant(hre.ethers.ZeroAddress, accountGrantee(doctor.address), LABS, TREAT, 0, (await now()) + YEAR, COMMITMENT))
        .to.be.revertedWithCustomError(consent, "NotPatientOrDelegate")
        .withArgs(outsider.address, hre.ethers.ZeroAddress);
    });

    it("refuses keys that are not grantees: zero, the patient itself, organization 0, mixed bits", async function () {
      const { consent, patient, accountGrantee } = await loadFixture(consentFixture);
      const until = (await now()) + YEAR;
      const bad = [ZERO32, accountGrantee(patient.address), "0x01" + "00".repeat(31), "0x02" + "00".repeat(30) + "01", "0x0100000000000000000000000000000000000001" + "00".repeat(11) + "01"];
      for (const key of bad) {
        await expect(consent.grant(patient.address, key, LABS, TREAT, 0, until, COMMITMENT)).to.be.revertedWithCustomError(consent, "InvalidGrantee").withArgs(key);
      }
    });

    it("refuses empty or unassigned data classes and purposes", async function () {
      const { consent, patient, doctor, accountGrantee } = await loadFixture(consentFixture);
      const until = (await now()) + YEAR;
      const g = accountGrantee(doctor.address);
      for (const mask of [0, 1 << 13, 2 ** 31, 1 << 21]) {
        await expect(consent.grant(patient.address, g, mask, TREAT, 0, until, COMMITMENT)).to.be.revertedWithCustomError(consent, "InvalidDataClasses").withArgs(mask);
      }
      for (const mask of [0, 1 << 6, 0x80]) {
        await expect(consent.grant(patient.address, g, LABS, mask, 0, until, COMMITMENT)).to.be.revertedWithCustomError(consent, "InvalidPurposes").withArgs(mask);
      }
    });

    it("refuses an empty or past validity window and an empty commitment", async function () {
      const { consent, patient, doctor, accountGrantee } = await loadFixture(consentFixture);
      const g = accountGrantee(doctor.address);
      const t = (await now()) + 10;
      await time.setNextBlockTimestamp(t);
      await expect(consent.grant(patient.address, g, LABS, TREAT, 0, t, COMMITMENT)).to.be.revertedWithCustomError(consent, "InvalidValidity").withArgs(0, t, t);
      await expect(consent.grant(patient.address, g, LABS, TREAT, t + 50, t + 50, COMMITMENT)).to.be.revertedWithCustomError(consent, "InvalidValidity");
      await expect(consent.grant(patient.address, g, LABS, TREAT, 0, t + 50, ZERO32)).to.be.revertedWithCustomError(consent, "EmptyCommitment");
    });

    it("is refused while paused", async function () {
      const { consent, patient, pauser, doctor, accountGrantee } = await loadFixture(consentFixture);
      await consent.connect(pauser).pause();
      await expect(consent.grant(patient.address, accountGrantee(doctor.address), LABS, TREAT, 0, (await now()) + YEAR, COMMITMENT)).to.be.revertedWithCustomError(consent, "EnforcedPause");
    });
  });

  describe("revoke", function () {
    it("ends the grant in the same block, keeping only the pair's nonce", async function () {
      const { consent, patient, doctor, accountGrantee } = await grantedFixture();
      await expect(consent.revoke(patient.address, accountGrantee(doctor.address)))
        .to.emit(consent, "ConsentRevoked")
        .withArgs(patient.address, accountGrantee(doctor.address), patient.address);
      expect(await consent.isPermitted(patient.address, doctor.address, C.labs, P.TREAT)).to.equal(false);
      const g = await consent.grantOf(patient.address, accountGrantee(doctor.address));
      expect([g.classes, g.purposes, g.validFrom, g.validUntil, g.nonce]).to.deep.equal([0n, 0n, 0n, 0n, 2n]);
      await expect(consent.connect(doctor).logAccess(patient.address, RECORD, C.labs, P.TREAT)).to.be.revertedWithCustomError(consent, "AccessNotPermitted");
    });

    it("works while paused", async function () {
      const { consent, patient, pauser, doctor, accountGrantee } = await grantedFixture();
      await consent.connect(pauser).pause();
      await expect(consent.revoke(patient.address, accountGrantee(doctor.address))).to.emit(consent, "ConsentRevoked");
    });

    it("refuses a grant that does not exist, or was already revoked", async function () {
      const { consent, patient, doctor, nurse, accountGrantee } = await grantedFixture();
      await expect(consent.revoke(patient.address, accountGrantee(nurse.address)))
        .to.be.revertedWithCustomError(consent, "GrantNotFound")
        .withArgs(patient.address, accountGrantee(nurse.address));
      await consent.revoke(patient.address, accountGrantee(doctor.address));
      await expect(consent.revoke(patient.address, accountGrantee(doctor.address))).to.be.revertedWithCustomError(consent, "GrantNotFound");
    });

    it("refuses every caller who is not the patient or a delegate, from a wallet and from a contract", async function () {
      const { consent, patient, doctor, deployer, outsider, intermediary, accountGrantee } = await grantedFixture();
      for (const caller of [outsider, deployer, doctor]) {
        await expect(consent.connect(caller).revoke(patient.address, accountGrantee(doctor.address))).to.be.revertedWithCustomError(consent, "NotPatientOrDelegate").withArgs(caller.address, patient.address);
      }
      const data = consent.interface.encodeFunctionData("revoke", [patient.address, accountGrantee(doctor.address)]);
      await expect(intermediary.forward(await consent.getAddress(), data)).to.be.revertedWithCustomError(consent, "NotPatientOrDelegate");
    });
  });

  describe("delegates", function () {
    it("a delegate grants only within the scope and term the patient gave it, never to itself", async function () {
      const { consent, patient, delegate, doctor, accountGrantee, organizationGrantee } = await loadFixture(consentFixture);
      const end = (await now()) + YEAR;
      const scope = classes("labs", "vitals");
      await expect(consent.appointDelegate(delegate.address, end, scope, purposes("TREAT"), false))
        .to.emit(consent, "DelegateAppointed")
        .withArgs(patient.address, delegate.address, end, scope, purposes("TREAT"), false);
      const d = consent.connect(delegate);
      const grant = (grantee: string, cls: number, prp: number, until: number) => d.grant(patient.address, grantee, cls, prp, 0, until, COMMITMENT);
      await expect(grant(organizationGrantee(HOSPITAL), classes("labs"), purposes("TREAT"), end)).to.emit(consent, "ConsentGranted");
      await expect(grant(organizationGrantee(HOSPITAL), classes("labs", "medications"), purposes("TREAT"), end))
        .to.be.revertedWithCustomError(consent, "DelegateScopeExceeded")
        .withArgs(delegate.address, classes("labs", "medications"), purposes("TREAT"), scope, purposes("TREAT"));
      await expect(grant(organizationGrantee(HOSPITAL), classes("labs"), purposes("TREAT", "HRESCH"), end)).to.be.revertedWithCustomError(consent, "DelegateScopeExceeded");
      await expect(grant(organizationGrantee(HOSPITAL), classes("mentalHealth"), purposes("TREAT"), end)).to.be.revertedWithCustomError(consent, "DelegateScopeExceeded");
      await expect(grant(organizationGrantee(HOSPITAL), classes("labs"), purposes("TREAT"), end + 1))
        .to.be.revertedWithCustomError(consent, "DelegateGrantOutlivesDelegation")
        .withArgs(delegate.address, end + 1, end);
      await expect(grant(accountGrantee(delegate.address), classes("labs"), purposes("TREAT"), end)).to.be.revertedWithCustomError(consent, "DelegateGrantsToItself").withArgs(delegate.address);
      // The patient itself is bound by none of it; the delegate may revoke any grant.
      await consent.grant(patient.address, accountGrantee(doctor.address), classes("mentalHealth"), purposes("TREAT", "HRESCH"), 0, end + YEAR, COMMITMENT);
      await expect(d.revoke(patient.address, accountGrantee(doctor.address))).to.emit(consent, "ConsentRevoked");
    });

    it("holds sensitive classes in a delegate's scope only for a full representative the patient appoints explicitly", async function () {
      const { consent, patient, delegate, organizationGrantee } = await loadFixture(consentFixture);
      const end = (await now()) + YEAR;
      await expect(consent.appointDelegate(delegate.address, end, classes("labs", "hiv"), purposes("TREAT"), false))
        .to.be.revertedWithCustomError(consent, "InvalidDelegateScope")
        .withArgs(classes("labs", "hiv"), purposes("TREAT"), false);
      await expect(consent.appointDelegate(delegate.address, end, 0, purposes("TREAT"), true)).to.be.revertedWithCustomError(consent, "InvalidDelegateScope");
      await expect(consent.appointDelegate(delegate.address, end, classes("labs"), 0, true)).to.be.revertedWithCustomError(consent, "InvalidDelegateScope");
      await expect(consent.appointDelegate(delegate.address, end, 2 ** 31, purposes("TREAT"), true)).to.be.revertedWithCustomError(consent, "InvalidDelegateScope");
      await expect(consent.appointDelegate(delegate.address, end, classes("labs", "hiv"), purposes("TREAT"), true)).to.emit(consent, "DelegateAppointed").withArgs(patient.address, delegate.address, end, classes("labs", "hiv"), purposes("TREAT"), true);
      await expect(consent.connect(delegate).grant(patient.address, organizationGrantee(HOSPITAL), classes("hiv"), purposes("TREAT"), 0, end, COMMITMENT)).to.emit(consent, "ConsentGranted");
    });

    it("a delegate grants and revokes for the patient until its term ends, to the second", async function () {
      const { consent, patient, delegate, doctor, accountGrantee } = await loadFixture(consentFixture);
      const end = (await now()) + 1000;
      await expect(consent.appointDelegate(delegate.address, end, ...FULL_SCOPE)).to.emit(consent, "DelegateAppointed").withArgs(patient.address, delegate.address, end, ...FULL_SCOPE);
      expect((await consent.delegationOf(patient.address, delegate.address)).until).to.equal(end);
      const asDelegate = consent.connect(delegate);
      const g = accountGrantee(doctor.address);
      await expect(asDelegate.grant(patient.address, g, LABS, TREAT, 0, end, COMMITMENT))
        .to.emit(consent, "ConsentGranted")
        .withArgs(patient.address, g, delegate.address, LABS, TREAT, 0, end, COMMITMENT);
      await time.setNextBlockTimestamp(end - 1);
      await expect(asDelegate.revoke(patient.address, g)).to.emit(consent, "ConsentRevoked").withArgs(patient.address, g, delegate.address);
      await time.setNextBlockTimestamp(end);
      await expect(asDelegate.grant(patient.address, g, LABS, TREAT, 0, end, COMMITMENT))
        .to.be.revertedWithCustomError(consent, "NotPatientOrDelegate")
        .withArgs(delegate.address, patient.address);
    });

    it("a delegate cannot appoint delegates for the patient (an appointment is always for the caller itself)", async function () {
      const { consent, patient, delegate, stranger, doctor, accountGrantee } = await loadFixture(consentFixture);
      const end = (await now()) + YEAR;
      await consent.appointDelegate(delegate.address, end, ...FULL_SCOPE);
      await expect(consent.connect(delegate).appointDelegate(stranger.address, end, ...FULL_SCOPE)).to.emit(consent, "DelegateAppointed").withArgs(delegate.address, stranger.address, end, ...FULL_SCOPE);
      expect((await consent.delegationOf(patient.address, stranger.address)).until).to.equal(0n);
      await expect(consent.connect(stranger).grant(patient.address, accountGrantee(doctor.address), LABS, TREAT, 0, (await now()) + YEAR, COMMITMENT)).to.be.revertedWithCustomError(
        consent,
        "NotPatientOrDelegate",
      );
    });

    it("refuses the zero address, the patient itself, and a term that is already over", async function () {
      const { consent, patient, delegate } = await loadFixture(consentFixture);
      await expect(consent.appointDelegate(hre.ethers.ZeroAddress, (await now()) + 10, ...FULL_SCOPE)).to.be.revertedWithCustomError(consent, "InvalidDelegate").withArgs(hre.ethers.ZeroAddress);
      await expect(consent.appointDelegate(patient.address, (await now()) + 10, ...FULL_SCOPE)).to.be.revertedWithCustomError(consent, "InvalidDelegate").withArgs(patient.address);
      const t = (await now()) + 5;
      await time.setNextBlockTimestamp(t);
      await expect(consent.appointDelegate(delegate.address, t, ...FULL_SCOPE)).to.be.revertedWithCustomError(consent, "InvalidDelegateExpiry").withArgs(t, t);
    });

    it("appointing is refused while paused; removal works while paused, by the patient or by the delegate itself", async function () {
      const { consent, patient, delegate, stranger, pauser } = await loadFixture(consentFixture);
      await consent.appointDelegate(delegate.address, (await now()) + YEAR, ...FULL_SCOPE);
      await consent.appointDelegate(stranger.address, (await now()) + YEAR, ...FULL_SCOPE);
      await consent.connect(pauser).pause();
      await expect(consent.appointDelegate(delegate.address, (await now()) + YEAR, ...FULL_SCOPE)).to.be.revertedWithCustomError(consent, "EnforcedPause");
      await expect(consent.removeDelegate(patient.address, delegate.address)).to.emit(consent, "DelegateRemoved").withArgs(patient.address, delegate.address, patient.address);
      await expect(consent.connect(stranger).removeDelegate(patient.address, stranger.address)).to.emit(consent, "DelegateRemoved").withArgs(patient.address, stranger.address, stranger.address);
      // A removed delegation keeps nothing but its nonce, moved on: no term, no scope, no representative flag.
      const removed = await consent.delegationOf(patient.address, delegate.address);
      expect([removed.until, removed.classes, removed.purposes, removed.representative, removed.nonce]).to.deep.equal([0n, 0n, 0n, false, 2n]);
    });

    it("refuses removal by anyone else (wallet, admin, contract) and of a non-delegate", async function () {
      const { consent, patient, delegate, stranger, deployer, intermediary } = await loadFixture(consentFixture);
      await consent.appointDelegate(delegate.address, (await now()) + YEAR, ...FULL_SCOPE);
      for (const caller of [stranger, deployer]) {
        await expect(consent.connect(caller).removeDelegate(patient.address, delegate.address))
          .to.be.revertedWithCustomError(consent, "NotPatientOrSelf")
          .withArgs(caller.address, patient.address, delegate.address);
      }
      const data = consent.interface.encodeFunctionData("removeDelegate", [patient.address, delegate.address]);
      await expect(intermediary.forward(await consent.getAddress(), data)).to.be.revertedWithCustomError(consent, "NotPatientOrSelf");
      await expect(consent.removeDelegate(patient.address, stranger.address)).to.be.revertedWithCustomError(consent, "DelegateNotFound").withArgs(patient.address, stranger.address);
    });
  });

  describe("suspension", function () {
    it("a suspended organization's members lose access at once, and regain it on reinstatement", async function () {
      const { consent, registry, registrar, pauser, patient, doctor, organizationGrantee } = await loadFixture(consentFixture);
      await consent.grant(patient.address, organizationGrantee(HOSPITAL), LABS, TREAT, 0, (await now()) + YEAR, COMMITMENT);
      await expect(consent.connect(doctor).logAccess(patient.address, RECORD, C.labs, P.TREAT)).to.emit(consent, "AccessLogged");
      await registry.connect(pauser).suspendOrganization(HOSPITAL);
      expect(await consent.isPermitted(patient.address, doctor.address, C.labs, P.TREAT)).to.equal(false);
      await expect(consent.connect(doctor).logAccess(patient.address, RECORD, C.labs, P.TREAT))
        .to.be.revertedWithCustomError(consent, "AccessNotPermitted")
        .withArgs(patient.address, doctor.address, C.labs, P.TREAT);
      await registry.connect(registrar).reinstateOrganization(HOSPITAL);
      expect(await consent.isPermitted(patient.address, doctor.address, C.labs, P.TREAT)).to.equal(true);
    });

    it("cuts all that flows from the organization in the same block — its grants, break-glass — and leaves the patient's grant to a person's own account to the patient", async function () {
      const { consent, registry, pauser, patient, doctor, nurse, accountGrantee, organizationGrantee } = await loadFixture(consentFixture);
      await consent.grant(patient.address, organizationGrantee(HOSPITAL), LABS, TREAT, 0, (await now()) + YEAR, COMMITMENT);
      await consent.grant(patient.address, accountGrantee(doctor.address), classes("medications"), TREAT, 0, (await now()) + YEAR, COMMITMENT);
      await consent.connect(nurse).breakGlass(patient.address, 1, "0x" + "be".repeat(32), 3600);
      expect(await consent.isPermitted(patient.address, nurse.address, C.imaging, P.ETREAT)).to.equal(true);
      await registry.connect(pauser).suspendOrganization(HOSPITAL);
      // The organization's grant and the emergency access it opened: gone, for every member.
      for (const member of [doctor, nurse]) expect(await consent.isPermitted(patient.address, member.address, C.labs, P.TREAT)).to.equal(false);
      expect(await consent.isPermitted(patient.address, nurse.address, C.imaging, P.ETREAT)).to.equal(false);
      // The grant the patient made to the doctor's own account names a person, not the organization:
      // it stands (docs/privacy.md, "Suspension"), logged under organization 0, until the patient revokes it.
      expect(await consent.isPermitted(patient.address, doctor.address, C.medications, P.TREAT)).to.equal(true);
      await expect(consent.connect(doctor).logAccess(patient.address, RECORD, C.medications, P.TREAT))
        .to.emit(consent, "AccessLogged")
        .withArgs(patient.address, doctor.address, 0, C.medications, P.TREAT, RECORD, anyValue);
      await consent.revoke(patient.address, accountGrantee(doctor.address));
      expect(await consent.isPermitted(patient.address, doctor.address, C.medications, P.TREAT)).to.equal(false);
    });

    it("a member removed from the organization loses access at once", async function () {
      const { consent, registry, hospitalAdmin, patient, nurse, organizationGrantee } = await loadFixture(consentFixture);
      await consent.grant(patient.address, organizationGrantee(HOSPITAL), LABS, TREAT, 0, (await now()) + YEAR, COMMITMENT);
      await registry.connect(hospitalAdmin).removeMember(HOSPITAL, nurse.address);
      expect(await consent.isPermitted(patient.address, nurse.address, C.labs, P.TREAT)).to.equal(false);
    });
  });

  describe("logAccess", function () {
    it("logs an access under a grant to the accessor's account (organization 0)", async function () {
      const { consent, patient, doctor } = await grantedFixture();
      const t = (await now()) + 3;
      await time.setNextBlockTimestamp(t);
      await expect(consent.connect(doctor).logAccess(patient.address, RECORD, C.labs, P.TREAT))
        .to.emit(consent, "AccessLogged")
        .withArgs(patient.address, doctor.address, 0, C.labs, P.TREAT, RECORD, t);
    });

    it("logs an access under a grant to the accessor's organization, naming it", async function () {
      const { consent, patient, nurse, organizationGrantee } = await loadFixture(consentFixture);
      await consent.grant(patient.address, organizationGrantee(HOSPITAL), LABS, TREAT, 0, (await now()) + YEAR, COMMITMENT);
      await expect(consent.connect(nurse).logAccess(patient.address, RECORD, C.labs, P.TREAT))
        .to.emit(consent, "AccessLogged")
        .withArgs(patient.address, nurse.address, HOSPITAL, C.labs, P.TREAT, RECORD, (await now()) + 1);
    });

    it("refuses, with the values, an access outside the grant's classes or purposes, or by someone else", async function () {
      const { consent, patient, doctor, outsider, intermediary } = await grantedFixture();
      await expect(consent.connect(doctor).logAccess(patient.address, RECORD, C.imaging, P.TREAT))
        .to.be.revertedWithCustomError(consent, "AccessNotPermitted")
        .withArgs(patient.address, doctor.address, C.imaging, P.TREAT);
      await expect(consent.connect(doctor).logAccess(patient.address, RECORD, C.labs, P.HRESCH))
        .to.be.revertedWithCustomError(consent, "AccessNotPermitted")
        .withArgs(patient.address, doctor.address, C.labs, P.HRESCH);
      await expect(consent.connect(outsider).logAccess(patient.address, RECORD, C.labs, P.TREAT))
        .to.be.revertedWithCustomError(consent, "AccessNotPermitted")
        .withArgs(patient.address, outsider.address, C.labs, P.TREAT);
      const data = consent.interface.encodeFunctionData("logAccess", [patient.address, RECORD, C.labs, P.TREAT]);
      await expect(intermediary.forward(await consent.getAddress(), data))
        .to.be.revertedWithCustomError(consent, "AccessNotPermitted")
        .withArgs(patient.address, await intermediary.getAddress(), C.labs, P.TREAT);
    });

    it("refuses unassigned classes and purposes and an empty record reference", async function () {
      const { consent, patient, doctor } = await grantedFixture();
      const d = consent.connect(doctor);
      for (const c of [13, 21, 40]) await expect(d.logAccess(patient.address, RECORD, c, P.TREAT)).to.be.revertedWithCustomError(consent, "InvalidDataClass").withArgs(c);
      for (const p of [6, 9]) await expect(d.logAccess(patient.address, RECORD, C.labs, p)).to.be.revertedWithCustomError(consent, "InvalidPurpose").withArgs(p);
      await expect(d.logAccess(patient.address, ZERO32, C.labs, P.TREAT)).to.be.revertedWithCustomError(consent, "EmptyRecordRef");
      expect(await consent.isPermitted(patient.address, doctor.address, 40, P.TREAT)).to.equal(false);
      expect(await consent.isPermitted(patient.address, doctor.address, C.labs, 9)).to.equal(false);
    });

    it("is refused while paused, and works again after unpause", async function () {
      const { consent, patient, doctor, pauser } = await grantedFixture();
      await consent.connect(pauser).pause();
      await expect(consent.connect(doctor).logAccess(patient.address, RECORD, C.labs, P.TREAT)).to.be.revertedWithCustomError(consent, "EnforcedPause");
      await consent.connect(pauser).unpause();
      await expect(consent.connect(doctor).logAccess(patient.address, RECORD, C.labs, P.TREAT)).to.emit(consent, "AccessLogged");
    });
  });

  describe("governance", function () {
    it("wires every FUNCTION_ROLES entry of ConsentRegistry in the AccessManager", async function () {
      const { consent, manager } = await loadFixture(consentFixture);
      for (const [fn, role] of Object.entries(FUNCTION_ROLES.ConsentRegistry)) {
        const selector = consent.interface.getFunction(fn as "pause")!.selector;
        expect(await manager.getTargetFunctionRole(await consent.getAddress(), selector), fn).to.equal(Role[role as keyof typeof Role]);
      }
    });

    it("the configurator sets the break-glass window within its bounds", async function () {
      const { consent, deployer } = await loadFixture(consentFixture);
      await expect(consent.connect(deployer).setBreakGlassWindow(24 * 3600)).to.emit(consent, "BreakGlassWindowSet").withArgs(24 * 3600);
      expect(await consent.breakGlassWindow()).to.equal(24n * 3600n);
      for (const w of [0, 24 * 3600 + 1]) await expect(consent.connect(deployer).setBreakGlassWindow(w)).to.be.revertedWithCustomError(consent, "InvalidBreakGlassWindow").withArgs(w);
    });

    it("refuses the window setter and pause to everyone else, from a wallet and from a contract", async function () {
      const { consent, outsider, patient, registrar, intermediary } = await loadFixture(consentFixture);
      for (const caller of [outsider, patient, registrar]) {
        await expect(consent.connect(caller).setBreakGlassWindow(60)).to.be.revertedWithCustomError(consent, "AccessManagedUnauthorized").withArgs(caller.address);
        await expect(consent.connect(caller).pause()).to.be.revertedWithCustomError(consent, "AccessManagedUnauthorized").withArgs(caller.address);
        await expect(consent.connect(caller).unpause()).to.be.revertedWithCustomError(consent, "AccessManagedUnauthorized").withArgs(caller.address);
      }
      for (const fn of ["pause", "unpause"] as const) {
        await expect(intermediary.forward(await consent.getAddress(), consent.interface.encodeFunctionData(fn as "pause"))).to.be.revertedWithCustomError(consent, "AccessManagedUnauthorized");
      }
      await expect(intermediary.forward(await consent.getAddress(), consent.interface.encodeFunctionData("setBreakGlassWindow", [60]))).to.be.revertedWithCustomError(
        consent,
        "AccessManagedUnauthorized",
      );
    });

    it("no role can grant on a patient's behalf", async function () {
      const { consent, deployer, registrar, pauser, patient, doctor, accountGrantee } = await loadFixture(consentFixture);
      for (const caller of [deployer, registrar, pauser]) {
        await expect(consent.connect(caller).grant(patient.address, accountGrantee(doctor.address), LABS, TREAT, 0, (await now()) + YEAR, COMMITMENT)).to.be.revertedWithCustomError(
          consent,
          "NotPatientOrDelegate",
        );
      }
    });

    it("deploys standalone with its defaults", async function () {
      const { manager, registry, deployer } = await loadFixture(consentFixture);
      const c = await new ConsentRegistry__factory(deployer).deploy(await manager.getAddress(), await registry.getAddress());
      await expect(c.deploymentTransaction()).to.emit(c, "BreakGlassWindowSet").withArgs(4 * 3600);
    });
  });
});
