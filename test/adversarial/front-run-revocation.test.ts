/**
 * Attack class: front-run revocation. A relayer holds a patient's signed grant and waits; the
 * patient changes its mind and revokes (directly, by signature, or by cancelling its signatures),
 * possibly in the same block as the relayer's transaction and ordered before it. The stale grant
 * must never resurrect access: it is refused with the named error, in any order and after pauses.
 */
import { loadFixture, mine } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre from "hardhat";
import { signGrantRequest, signRevocationRequest, type GrantRequest } from "../../sdk";
import { classes, COMMITMENT, consentFixture, FULL_SCOPE, labsGrantRequest, now, purposes } from "../consent/fixtures";

const LABS = classes("labs");
const TREAT = purposes("TREAT");
const LAB_CLASS = 4;

async function frontRunFixture() {
  const f = await consentFixture();
  const grantee = f.accountGrantee(f.doctor.address);
  const deadline = BigInt((await now()) + 7 * 86_400);
  const request = (over: Partial<GrantRequest> = {}): GrantRequest => labsGrantRequest(f.patient.address, grantee, deadline, over);
  const held = request();
  const heldSig = await signGrantRequest(f.patient, f.domain, held);
  const permitted = () => f.consent.isPermitted(f.patient.address, f.doctor.address, LAB_CLASS, 0);
  return { ...f, grantee, deadline, request, held, heldSig, permitted };
}

describe("Attack: front-run revocation of a held grant", function () {
  it("a direct grant-and-revoke by the patient kills the held signature (the nonce moved)", async function () {
    const { consent, relayer, patient, grantee, held, heldSig, permitted } = await loadFixture(frontRunFixture);
    await consent.connect(patient).grant(patient.address, grantee, LABS, TREAT, 0, held.validUntil, COMMITMENT);
    await consent.connect(patient).revoke(patient.address, grantee);
    await expect(consent.connect(relayer).grantBySig(held, heldSig)).to.be.revertedWithCustomError(consent, "InvalidNonce").withArgs(patient.address, grantee, 0, 2);
    expect(await permitted()).to.equal(false);
    expect(await consent.nonces(patient.address, grantee)).to.equal(2n);
  });

  it("cancelSignatures before the relayer acts kills the held signature", async function () {
    const { consent, relayer, patient, held, heldSig, permitted } = await loadFixture(frontRunFixture);
    await consent.connect(patient).cancelSignatures();
    await expect(consent.connect(relayer).grantBySig(held, heldSig)).to.be.revertedWithCustomError(consent, "SignatureCancelled").withArgs(patient.address, 0, 1);
    expect(await permitted()).to.equal(false);
  });

  it("in the same block, the patient's cancellation ordered first wins over the relayer's grant", async function () {
    const { consent, relayer, patient, held, heldSig, permitted } = await loadFixture(frontRunFixture);
    await hre.network.provider.send("evm_setAutomine", [false]);
    try {
      // Explicit gas limits: no estimation against the pending block; the higher tip is mined first.
      const grantTx = await consent.connect(relayer).grantBySig(held, heldSig, { gasLimit: 300_000, maxPriorityFeePerGas: 1n, maxFeePerGas: 10n ** 11n });
      const cancelTx = await consent.connect(patient).cancelSignatures({ gasLimit: 100_000, maxPriorityFeePerGas: 10n ** 9n, maxFeePerGas: 10n ** 11n });
      await mine(1);
      const cancelled = await hre.ethers.provider.getTransactionReceipt(cancelTx.hash);
      const granted = await hre.ethers.provider.getTransactionReceipt(grantTx.hash);
      expect(cancelled!.blockNumber).to.equal(granted!.blockNumber);
      expect(cancelled!.index).to.be.lessThan(granted!.index);
      expect([cancelled!.status, granted!.status]).to.deep.equal([1, 0]);
    } finally {
      await hre.network.provider.send("evm_setAutomine", [true]);
    }
    expect(await permitted()).to.equal(false);
    expect(await consent.nonces(patient.address, held.grantee)).to.equal(0n);
  });

  it("in the same block, a signed revocation relayed first wins over a stale renewal relayed after it", async function () {
    const { consent, relayer, delegate, patient, grantee, domain, request, held, heldSig, permitted } = await loadFixture(frontRunFixture);
    await consent.connect(relayer).grantBySig(held, heldSig); // nonce 0 -> 1: the doctor has access
    const renewal = request({ nonce: 1n, classes: LABS | classes("imaging") });
    const renewalSig = await signGrantRequest(patient, domain, renewal);
    const revocation = { patient: patient.address, grantee, nonce: 1n, epoch: 0n, deadline: held.deadline };
    const revocationSig = await signRevocationRequest(patient, domain, revocation);
    await hre.network.provider.send("evm_setAutomine", [false]);
    try {
      const renewTx = await consent.connect(relayer).grantBySig(renewal, renewalSig, { gasLimit: 300_000, maxPriorityFeePerGas: 1n, maxFeePerGas: 10n ** 11n });
      const revokeTx = await consent.connect(delegate).revokeBySig(revocation, revocationSig, { gasLimit: 300_000, maxPriorityFeePerGas: 10n ** 9n, maxFeePerGas: 10n ** 11n });
      await mine(1);
      expect((await hre.ethers.provider.getTransactionReceipt(revokeTx.hash))!.status).to.equal(1);
      expect((await hre.ethers.provider.getTransactionReceipt(renewTx.hash))!.status).to.equal(0);
    } finally {
      await hre.network.provider.send("evm_setAutomine", [true]);
    }
    expect(await permitted()).to.equal(false);
    expect((await consent.grantOf(patient.address, grantee)).validUntil).to.equal(0n);
    // Replayed later, the renewal is still refused: the revocation moved the nonce past it.
    await expect(consent.connect(relayer).grantBySig(renewal, renewalSig)).to.be.revertedWithCustomError(consent, "InvalidNonce").withArgs(patient.address, grantee, 1, 2);
  });

  it("a revocation goes through while the registry is paused, and the held grant stays dead after unpause", async function () {
    const { consent, relayer, patient, pauser, grantee, held, heldSig, permitted } = await loadFixture(frontRunFixture);
    await consent.connect(relayer).grantBySig(held, heldSig);
    const second = held; // the relayer kept a copy
    await consent.connect(pauser).pause();
    await expect(consent.connect(patient).revoke(patient.address, grantee)).to.emit(consent, "ConsentRevoked").withArgs(patient.address, grantee, patient.address);
    await consent.connect(pauser).unpause();
    await expect(consent.connect(relayer).grantBySig(second, heldSig)).to.be.revertedWithCustomError(consent, "InvalidNonce").withArgs(patient.address, grantee, 0, 2);
    expect(await permitted()).to.equal(false);
  });

  it("a delegate removed by the patient cannot grant, even with a transaction already signed and broadcast", async function () {
    const { consent, patient, delegate, grantee, held } = await loadFixture(frontRunFixture);
    await consent.connect(patient).appointDelegate(delegate.address, Number(held.deadline), ...FULL_SCOPE);
    await consent.connect(patient).removeDelegate(patient.address, delegate.address);
    await expect(consent.connect(delegate).grant(patient.address, grantee, LABS, TREAT, 0, held.validUntil, COMMITMENT))
      .to.be.revertedWithCustomError(consent, "NotPatientOrDelegate")
      .withArgs(delegate.address, patient.address);
    expect((await consent.grantOf(patient.address, grantee)).validUntil).to.equal(0n);
  });

  it("a revoked organization grant does not come back through the doctor's own held account grant", async function () {
    const { consent, relayer, patient, grantee, held, heldSig, organizationGrantee, permitted, doctor } = await loadFixture(frontRunFixture);
    const org = organizationGrantee(1n);
    await consent.connect(patient).grant(patient.address, org, LABS, TREAT, 0, held.validUntil, COMMITMENT);
    expect(await permitted()).to.equal(true);
    await consent.connect(patient).revoke(patient.address, org);
    await consent.connect(patient).cancelSignatures();
    await expect(consent.connect(relayer).grantBySig(held, heldSig)).to.be.revertedWithCustomError(consent, "SignatureCancelled");
    expect(await permitted()).to.equal(false);
    await expect(consent.connect(doctor).logAccess(patient.address, COMMITMENT, LAB_CLASS, 0))
      .to.be.revertedWithCustomError(consent, "AccessNotPermitted")
      .withArgs(patient.address, doctor.address, LAB_CLASS, 0);
    expect(await consent.nonces(patient.address, grantee)).to.equal(0n);
  });
});
