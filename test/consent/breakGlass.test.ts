import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre from "hardhat";
import { BREAK_GLASS_REASONS } from "../../sdk";
import { Intermediary__factory } from "../../typechain-types";
import { consentFixture, FULL_SCOPE, HOSPITAL, now, RECORD, ZERO32 } from "./fixtures";

const REASON = BREAK_GLASS_REASONS.LIFE_THREATENING;
const REF = "0x" + "be".repeat(32);
const REF2 = "0x" + "bf".repeat(32);
const ETREAT = 1;
const TREAT = 0;
const LABS = 4;
const MENTAL_HEALTH = 16;

/** The fixture with break-glass opened by the doctor on the patient for one hour. */
async function openedFixture() {
  const f = await loadFixture(consentFixture);
  const t = (await now()) + 1;
  await time.setNextBlockTimestamp(t);
  await f.consent.connect(f.doctor).breakGlass(f.patient.address, REASON, REF, 3600);
  return { ...f, until: t + 3600 };
}

describe("ConsentRegistry break-glass", function () {
  it("an active provider member opens emergency access; the patient sees the event", async function () {
    const { consent, doctor, patient } = await loadFixture(consentFixture);
    const t = (await now()) + 1;
    await time.setNextBlockTimestamp(t);
    await expect(consent.connect(doctor).breakGlass(patient.address, REASON, REF, 3600))
      .to.emit(consent, "BreakGlassOpened")
      .withArgs(patient.address, doctor.address, HOSPITAL, REASON, REF, t + 3600);
    const bg = await consent.breakGlassOf(patient.address, doctor.address);
    expect([bg.orgId, bg.until]).to.deep.equal([HOSPITAL, BigInt(t + 3600)]);
    expect(await consent.reasonUsed(HOSPITAL, REF)).to.equal(true);
    expect(await consent.reasonUsed(HOSPITAL + 1n, REF)).to.equal(false);
  });

  it("allows ETREAT on general classes only: not TREAT, not a sensitive class, not another member", async function () {
    const { consent, doctor, nurse, patient } = await openedFixture();
    expect(await consent.isPermitted(patient.address, doctor.address, LABS, ETREAT)).to.equal(true);
    expect(await consent.isPermitted(patient.address, doctor.address, LABS, TREAT)).to.equal(false);
    expect(await consent.isPermitted(patient.address, doctor.address, MENTAL_HEALTH, ETREAT)).to.equal(false);
    expect(await consent.isPermitted(patient.address, nurse.address, LABS, ETREAT)).to.equal(false);
    await expect(consent.connect(doctor).logAccess(patient.address, RECORD, LABS, ETREAT))
      .to.emit(consent, "AccessLogged")
      .withArgs(patient.address, doctor.address, HOSPITAL, LABS, ETREAT, RECORD, (await now()) + 1);
  });

  it("ends at its window's end, to the second", async function () {
    const { consent, doctor, patient, until } = await openedFixture();
    await time.setNextBlockTimestamp(until - 1);
    await expect(consent.connect(doctor).logAccess(patient.address, RECORD, LABS, ETREAT)).to.emit(consent, "AccessLogged");
    await time.setNextBlockTimestamp(until);
    await expect(consent.connect(doctor).logAccess(patient.address, RECORD, LABS, ETREAT))
      .to.be.revertedWithCustomError(consent, "AccessNotPermitted")
      .withArgs(patient.address, doctor.address, LABS, ETREAT);
  });

  it("stops at once when the provider organization is suspended", async function () {
    const { consent, registry, pauser, doctor, patient } = await openedFixture();
    await registry.connect(pauser).suspendOrganization(HOSPITAL);
    expect(await consent.isPermitted(patient.address, doctor.address, LABS, ETREAT)).to.equal(false);
  });

  it("is not carried to another organization: an accessor who moves to another provider loses it", async function () {
    const { consent, registry, registrar, doctor, patient, signers } = await openedFixture();
    await registry.connect(doctor).leaveOrganization();
    await registry.connect(registrar).registerOrganization(1, "0x" + "ab".repeat(32), signers[15].address);
    await registry.connect(signers[15]).addMember(4, doctor.address, false);
    expect((await registry.isActiveMember(doctor.address))[0]).to.equal(true);
    expect(await consent.isPermitted(patient.address, doctor.address, LABS, ETREAT)).to.equal(false);
  });

  it("is capped by the governance window", async function () {
    const { consent, doctor, patient, deployer } = await loadFixture(consentFixture);
    await expect(consent.connect(doctor).breakGlass(patient.address, REASON, REF, 4 * 3600 + 1))
      .to.be.revertedWithCustomError(consent, "InvalidBreakGlassDuration")
      .withArgs(4 * 3600 + 1, 4 * 3600);
    await expect(consent.connect(doctor).breakGlass(patient.address, REASON, REF, 0)).to.be.revertedWithCustomError(consent, "InvalidBreakGlassDuration").withArgs(0, 4 * 3600);
    await consent.connect(deployer).setBreakGlassWindow(600);
    await expect(consent.connect(doctor).breakGlass(patient.address, REASON, REF, 601)).to.be.revertedWithCustomError(consent, "InvalidBreakGlassDuration").withArgs(601, 600);
    await expect(consent.connect(doctor).breakGlass(patient.address, REASON, REF, 600)).to.emit(consent, "BreakGlassOpened");
  });

  it("needs a new justification for every opening, and a reason code from the vocabulary", async function () {
    const { consent, doctor, nurse, patient } = await openedFixture();
    await expect(consent.connect(doctor).breakGlass(patient.address, REASON, REF, 60)).to.be.revertedWithCustomError(consent, "ReasonAlreadyUsed").withArgs(HOSPITAL, REF);
    await expect(consent.connect(nurse).breakGlass(patient.address, REASON, REF, 60)).to.be.revertedWithCustomError(consent, "ReasonAlreadyUsed").withArgs(HOSPITAL, REF);
    await expect(consent.connect(nurse).breakGlass(patient.address, REASON, ZERO32, 60)).to.be.revertedWithCustomError(consent, "ReasonAlreadyUsed").withArgs(HOSPITAL, ZERO32);
    for (const code of [0, 5, 255]) {
      await expect(consent.connect(nurse).breakGlass(patient.address, code, REF2, 60)).to.be.revertedWithCustomError(consent, "InvalidReasonCode").withArgs(code);
    }
    await expect(consent.connect(doctor).breakGlass(patient.address, BREAK_GLASS_REASONS.MASS_CASUALTY, REF2, 60)).to.emit(consent, "BreakGlassOpened");
  });

  it("refuses everyone but an active provider member: lab and insurer members, outsiders, a suspended provider, a contract", async function () {
    const { consent, registry, pauser, labAdmin, insurerAdmin, outsider, doctor, patient, intermediary } = await loadFixture(consentFixture);
    for (const caller of [labAdmin, insurerAdmin, outsider]) {
      await expect(consent.connect(caller).breakGlass(patient.address, REASON, REF, 60)).to.be.revertedWithCustomError(consent, "NotActiveProvider").withArgs(caller.address);
    }
    const data = consent.interface.encodeFunctionData("breakGlass", [patient.address, REASON, REF, 60]);
    await expect(intermediary.forward(await consent.getAddress(), data)).to.be.revertedWithCustomError(consent, "NotActiveProvider").withArgs(await intermediary.getAddress());
    await registry.connect(pauser).suspendOrganization(HOSPITAL);
    await expect(consent.connect(doctor).breakGlass(patient.address, REASON, REF, 60)).to.be.revertedWithCustomError(consent, "NotActiveProvider").withArgs(doctor.address);
  });

  it("refuses the zero address as patient, and is refused while paused", async function () {
    const { consent, doctor, patient, pauser } = await loadFixture(consentFixture);
    await expect(consent.connect(doctor).breakGlass(hre.ethers.ZeroAddress, REASON, REF, 60)).to.be.revertedWithCustomError(consent, "InvalidPatient").withArgs(hre.ethers.ZeroAddress);
    await consent.connect(pauser).pause();
    await expect(consent.connect(doctor).breakGlass(patient.address, REASON, REF, 60)).to.be.revertedWithCustomError(consent, "EnforcedPause");
  });

  describe("opt-out", function () {
    it("a patient who opted out cannot be broken into, and opting out ends open access at once", async function () {
      const { consent, doctor, nurse, patient } = await openedFixture();
      await expect(consent.setBreakGlassOptOut(patient.address, true)).to.emit(consent, "BreakGlassOptOutSet").withArgs(patient.address, true, patient.address);
      expect(await consent.breakGlassOptedOut(patient.address)).to.equal(true);
      expect(await consent.isPermitted(patient.address, doctor.address, LABS, ETREAT)).to.equal(false);
      await expect(consent.connect(nurse).breakGlass(patient.address, REASON, REF2, 60)).to.be.revertedWithCustomError(consent, "BreakGlassOptedOut").withArgs(patient.address);
      // Opting back in revives nothing opened before the opt-out, still within its window.
      await consent.setBreakGlassOptOut(patient.address, false);
      expect(await consent.optOutsOf(patient.address)).to.equal(1);
      expect((await consent.breakGlassOf(patient.address, doctor.address)).optOuts).to.equal(0);
      expect(await consent.isPermitted(patient.address, doctor.address, LABS, ETREAT)).to.equal(false);
      await expect(consent.connect(doctor).logAccess(patient.address, REF2, LABS, ETREAT))
        .to.be.revertedWithCustomError(consent, "AccessNotPermitted")
        .withArgs(patient.address, doctor.address, LABS, ETREAT);
      // A new opening after opting back in is in force; the next opt-out ends it too.
      await consent.connect(nurse).breakGlass(patient.address, REASON, REF2, 60);
      expect(await consent.isPermitted(patient.address, nurse.address, LABS, ETREAT)).to.equal(true);
      await consent.setBreakGlassOptOut(patient.address, true);
      await consent.setBreakGlassOptOut(patient.address, false);
      expect(await consent.isPermitted(patient.address, nurse.address, LABS, ETREAT)).to.equal(false);
    });

    it("opting in again (never out) ends nothing", async function () {
      const { consent, doctor, patient } = await openedFixture();
      await consent.setBreakGlassOptOut(patient.address, false);
      expect(await consent.optOutsOf(patient.address)).to.equal(0);
      expect(await consent.isPermitted(patient.address, doctor.address, LABS, ETREAT)).to.equal(true);
    });

    it("is the patient's alone unless the delegate is a full representative: a scoped delegate may not set it, nor an expired representative", async function () {
      const { consent, patient, delegate, stranger } = await loadFixture(consentFixture);
      await consent.appointDelegate(delegate.address, (await now()) + 1000, FULL_SCOPE[0] & 0x1fff, FULL_SCOPE[1], false);
      await expect(consent.connect(delegate).setBreakGlassOptOut(patient.address, true)).to.be.revertedWithCustomError(consent, "NotPatientOrRepresentative").withArgs(delegate.address, patient.address);
      const end = (await now()) + 100;
      await consent.appointDelegate(stranger.address, end, ...FULL_SCOPE);
      await time.setNextBlockTimestamp(end); // the term's last second is over: refused at `until` exactly
      await expect(consent.connect(stranger).setBreakGlassOptOut(patient.address, true)).to.be.revertedWithCustomError(consent, "NotPatientOrRepresentative").withArgs(stranger.address, patient.address);
    });

    it("a full representative may set it, even while paused; nobody else may, from a wallet or a contract", async function () {
      const { consent, patient, delegate, doctor, pauser, deployer, intermediary } = await loadFixture(consentFixture);
      await consent.appointDelegate(delegate.address, (await now()) + 1000, ...FULL_SCOPE);
      await consent.connect(pauser).pause();
      await expect(consent.connect(delegate).setBreakGlassOptOut(patient.address, true)).to.emit(consent, "BreakGlassOptOutSet").withArgs(patient.address, true, delegate.address);
      for (const caller of [doctor, deployer]) {
        await expect(consent.connect(caller).setBreakGlassOptOut(patient.address, false)).to.be.revertedWithCustomError(consent, "NotPatientOrRepresentative").withArgs(caller.address, patient.address);
      }
      const data = consent.interface.encodeFunctionData("setBreakGlassOptOut", [patient.address, false]);
      await expect(intermediary.forward(await consent.getAddress(), data)).to.be.revertedWithCustomError(consent, "NotPatientOrRepresentative").withArgs(intermediary.target, patient.address);
    });

    it("a contract the patient appointed as full representative sets it itself, driven by a wallet of no standing", async function () {
      const { consent, patient, outsider } = await loadFixture(consentFixture);
      const guardian = await new Intermediary__factory(outsider).deploy();
      await consent.appointDelegate(guardian.target, (await now()) + 1000, ...FULL_SCOPE);
      const data = consent.interface.encodeFunctionData("setBreakGlassOptOut", [patient.address, true]);
      await expect(guardian.connect(outsider).forward(consent.target, data)).to.emit(consent, "BreakGlassOptOutSet").withArgs(patient.address, true, guardian.target);
    });
  });
});
