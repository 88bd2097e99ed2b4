/**
 * Signed (EIP-712) appointments and removals of delegates (issue 12, point 1: "both signed and
 * direct forms"): a patient who holds no ETH appoints or removes a delegate and a relayer submits
 * it. Every signature here is tested for replay, expiry, another chain, another deployment, another
 * type, a cancelled epoch, another signer and ERC-1271 accounts; the scope rules of a direct
 * appointment apply unchanged; the SDK refuses a stale signature before sending anything.
 */
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre from "hardhat";
import type { HDNodeWallet } from "ethers";
import {
  CareLedger,
  ContractRevertError,
  consentDomain,
  signDelegateRemovalRequest,
  signDelegationRequest,
  signGrantRequest,
  ValidationError,
  type DelegateRemovalRequest,
  type DelegationRequest,
} from "../../sdk";
import { ConsentRegistry__factory } from "../../typechain-types";
import { classes, COMMITMENT, consentFixture, now, purposes, YEAR } from "./fixtures";

const LABS = classes("labs");
const TREAT = purposes("TREAT");

/** The fixture plus a patient who holds no ETH and signs with a fresh key. */
async function delegationSigFixture() {
  const f = await loadFixture(consentFixture);
  const wallet: HDNodeWallet = hre.ethers.Wallet.createRandom();
  const deadline = BigInt((await now()) + 3600);
  const until = (await now()) + YEAR;
  const appointment = (over: Partial<DelegationRequest> = {}): DelegationRequest => ({
    patient: wallet.address,
    delegate: f.delegate.address,
    until,
    classes: LABS,
    purposes: TREAT,
    representative: false,
    nonce: 0n,
    epoch: 0n,
    deadline,
    ...over,
  });
  const removal = (over: Partial<DelegateRemovalRequest> = {}): DelegateRemovalRequest => ({
    patient: wallet.address,
    delegate: f.delegate.address,
    nonce: 1n,
    epoch: 0n,
    deadline,
    ...over,
  });
  const relayed = f.consent.connect(f.relayer);
  return { ...f, wallet, deadline, until, appointment, removal, relayed };
}

describe("ConsentRegistry signed delegations", function () {
  describe("appointDelegateBySig", function () {
    it("appoints a delegate for a patient who holds no ETH, relayed by someone else; the delegate then grants within its scope", async function () {
      const { relayed, consent, wallet, domain, appointment, delegate, until, accountGrantee, doctor } = await loadFixture(delegationSigFixture);
      expect(await hre.ethers.provider.getBalance(wallet.address)).to.equal(0n);
      const r = appointment();
      await expect(relayed.appointDelegateBySig(r, await signDelegationRequest(wallet, domain, r)))
        .to.emit(consent, "DelegateAppointed")
        .withArgs(wallet.address, delegate.address, until, LABS, TREAT, false);
      const d = await consent.delegationOf(wallet.address, delegate.address);
      expect([d.until, d.classes, d.purposes, d.representative, d.nonce]).to.deep.equal([BigInt(until), BigInt(LABS), BigInt(TREAT), false, 1n]);
      await expect(consent.connect(delegate).grant(wallet.address, accountGrantee(doctor.address), LABS, TREAT, 0, until, COMMITMENT)).to.emit(consent, "ConsentGranted");
      // Beyond its scope: refused as for a directly appointed delegate.
      await expect(consent.connect(delegate).grant(wallet.address, accountGrantee(doctor.address), classes("labs", "medications"), TREAT, 0, until, COMMITMENT)).to.be.revertedWithCustomError(
        consent,
        "DelegateScopeExceeded",
      );
    });

    it("refuses the replay of a used signature, and of any signature after the delegate is removed", async function () {
      const { relayed, consent, wallet, domain, appointment, delegate } = await loadFixture(delegationSigFixture);
      const r = appointment();
      const sig = await signDelegationRequest(wallet, domain, r);
      await relayed.appointDelegateBySig(r, sig);
      await expect(relayed.appointDelegateBySig(r, sig)).to.be.revertedWithCustomError(consent, "InvalidDelegationNonce").withArgs(wallet.address, delegate.address, 0, 1);
      // Removed by the delegate itself: the nonce moves on and is kept, so the old appointment never applies again.
      await consent.connect(delegate).removeDelegate(wallet.address, delegate.address);
      expect((await consent.delegationOf(wallet.address, delegate.address)).nonce).to.equal(2n);
      await expect(relayed.appointDelegateBySig(r, sig)).to.be.revertedWithCustomError(consent, "InvalidDelegationNonce").withArgs(wallet.address, delegate.address, 0, 2);
      expect((await consent.delegationOf(wallet.address, delegate.address)).until).to.equal(0n);
    });

    it("a direct appointment moves the pair's nonce: an outstanding signed appointment is refused", async function () {
      const { relayed, consent, patient, domain, appointment, delegate } = await loadFixture(delegationSigFixture);
      const r = appointment({ patient: patient.address });
      const sig = await signDelegationRequest(patient, domain, r);
      await consent.connect(patient).appointDelegate(delegate.address, r.until, LABS, TREAT, false);
      await expect(relayed.appointDelegateBySig(r, sig)).to.be.revertedWithCustomError(consent, "InvalidDelegationNonce").withArgs(patient.address, delegate.address, 0, 1);
    });

    it("accepts a signature at its deadline exactly, and refuses it one second later", async function () {
      const { relayed, consent, wallet, domain, appointment, stranger } = await loadFixture(delegationSigFixture);
      const t = (await now()) + 100;
      const r1 = appointment({ deadline: BigInt(t) });
      await time.setNextBlockTimestamp(t);
      await expect(relayed.appointDelegateBySig(r1, await signDelegationRequest(wallet, domain, r1))).to.emit(consent, "DelegateAppointed");
      const r2 = appointment({ delegate: stranger.address, deadline: BigInt(t + 1) });
      await time.setNextBlockTimestamp(t + 2);
      await expect(relayed.appointDelegateBySig(r2, await signDelegationRequest(wallet, domain, r2))).to.be.revertedWithCustomError(consent, "SignatureExpired").withArgs(t + 1, t + 2);
    });

    it("refuses a signature made for another chain id, another deployment, or as another type", async function () {
      const { relayed, consent, wallet, domain, appointment, book, manager, registry, deployer, chainId } = await loadFixture(delegationSigFixture);
      const r = appointment();
      await expect(relayed.appointDelegateBySig(r, await signDelegationRequest(wallet, consentDomain(1n, book.contracts.ConsentRegistry), r)))
        .to.be.revertedWithCustomError(consent, "InvalidSignature")
        .withArgs(wallet.address);
      const other = await new ConsentRegistry__factory(deployer).deploy(await manager.getAddress(), await registry.getAddress());
      const elsewhere = await signDelegationRequest(wallet, consentDomain(chainId, await other.getAddress()), r);
      await expect(relayed.appointDelegateBySig(r, elsewhere)).to.be.revertedWithCustomError(consent, "InvalidSignature").withArgs(wallet.address);
      await expect(other.connect(deployer).appointDelegateBySig(r, elsewhere)).to.emit(other, "DelegateAppointed");
      // A removal's signature, or a grant's over the same fields where they coincide, is not an appointment's.
      const asRemoval = await signDelegateRemovalRequest(wallet, domain, { patient: r.patient, delegate: r.delegate, nonce: r.nonce, epoch: r.epoch, deadline: r.deadline });
      await expect(relayed.appointDelegateBySig(r, asRemoval)).to.be.revertedWithCustomError(consent, "InvalidSignature").withArgs(wallet.address);
      const asGrant = await signGrantRequest(wallet, domain, {
        patient: r.patient,
        grantee: hre.ethers.zeroPadValue(r.delegate, 32),
        classes: r.classes,
        purposes: r.purposes,
        validFrom: 0,
        validUntil: r.until,
        commitment: COMMITMENT,
        nonce: r.nonce,
        epoch: r.epoch,
        deadline: r.deadline,
      });
      await expect(relayed.appointDelegateBySig(r, asGrant)).to.be.revertedWithCustomError(consent, "InvalidSignature").withArgs(wallet.address);
    });

    it("refuses a signature the patient cancelled, another signer's, and a tampered request", async function () {
      const { relayed, consent, wallet, domain, appointment, outsider } = await loadFixture(delegationSigFixture);
      const r = appointment();
      await expect(relayed.appointDelegateBySig(r, await signDelegationRequest(outsider, domain, r))).to.be.revertedWithCustomError(consent, "InvalidSignature").withArgs(wallet.address);
      const sig = await signDelegationRequest(wallet, domain, r);
      // A wider scope or a longer term than signed is another message.
      await expect(relayed.appointDelegateBySig({ ...r, classes: classes("labs", "medications") }, sig)).to.be.revertedWithCustomError(consent, "InvalidSignature");
      await expect(relayed.appointDelegateBySig({ ...r, until: r.until + 1 }, sig)).to.be.revertedWithCustomError(consent, "InvalidSignature");
      await expect(relayed.appointDelegateBySig({ ...r, representative: true }, sig)).to.be.revertedWithCustomError(consent, "InvalidSignature");
      // The patient cancels: an epoch signed before is refused, even with no ETH spent on it.
      const patient = await hre.ethers.getImpersonatedSigner(wallet.address);
      await hre.network.provider.send("hardhat_setBalance", [wallet.address, "0xde0b6b3a7640000"]);
      await consent.connect(patient).cancelSignatures();
      await expect(relayed.appointDelegateBySig(r, sig)).to.be.revertedWithCustomError(consent, "SignatureCancelled").withArgs(wallet.address, 0, 1);
    });

    it("applies the scope rules of a direct appointment: no sensitive classes without the representative flag, never to the patient itself, not while paused", async function () {
      const { relayed, consent, wallet, domain, appointment, pauser } = await loadFixture(delegationSigFixture);
      const sensitive = appointment({ classes: classes("labs", "mentalHealth") });
      await expect(relayed.appointDelegateBySig(sensitive, await signDelegationRequest(wallet, domain, sensitive)))
        .to.be.revertedWithCustomError(consent, "InvalidDelegateScope")
        .withArgs(sensitive.classes, TREAT, false);
      const self = appointment({ delegate: wallet.address });
      await expect(relayed.appointDelegateBySig(self, await signDelegationRequest(wallet, domain, self))).to.be.revertedWithCustomError(consent, "InvalidDelegate").withArgs(wallet.address);
      const zeroPatient = appointment({ patient: hre.ethers.ZeroAddress });
      await expect(relayed.appointDelegateBySig(zeroPatient, "0x")).to.be.revertedWithCustomError(consent, "InvalidPatient").withArgs(hre.ethers.ZeroAddress);
      const representative = appointment({ classes: classes("labs", "mentalHealth"), representative: true });
      await consent.connect(pauser).pause();
      await expect(relayed.appointDelegateBySig(representative, await signDelegationRequest(wallet, domain, representative))).to.be.revertedWithCustomError(consent, "EnforcedPause");
      await consent.connect(pauser).unpause();
      await expect(relayed.appointDelegateBySig(representative, await signDelegationRequest(wallet, domain, representative)))
        .to.emit(consent, "DelegateAppointed")
        .withArgs(wallet.address, representative.delegate, representative.until, representative.classes, TREAT, true);
    });

    it("a smart-account patient appoints with its owner's key (ERC-1271), and nobody else's", async function () {
      const { relayed, consent, owned, appointment, domain, patient2, outsider } = await loadFixture(delegationSigFixture);
      const r = appointment({ patient: await owned.getAddress() });
      await expect(relayed.appointDelegateBySig(r, await signDelegationRequest(outsider, domain, r))).to.be.revertedWithCustomError(consent, "InvalidSignature").withArgs(await owned.getAddress());
      await expect(relayed.appointDelegateBySig(r, await signDelegationRequest(patient2, domain, r))).to.emit(consent, "DelegateAppointed");
    });
  });

  describe("removeDelegateBySig", function () {
    async function appointedBySig() {
      const f = await loadFixture(delegationSigFixture);
      const r = f.appointment();
      await f.relayed.appointDelegateBySig(r, await signDelegationRequest(f.wallet, f.domain, r));
      return f;
    }

    it("removes a delegate for the patient, relayed, even while paused; its grants stop being makeable", async function () {
      const { relayed, consent, wallet, domain, removal, delegate, pauser, accountGrantee, doctor, until } = await loadFixture(appointedBySig);
      await consent.connect(pauser).pause();
      const r = removal();
      await expect(relayed.removeDelegateBySig(r, await signDelegateRemovalRequest(wallet, domain, r)))
        .to.emit(consent, "DelegateRemoved")
        .withArgs(wallet.address, delegate.address, wallet.address);
      await consent.connect(pauser).unpause();
      expect((await consent.delegationOf(wallet.address, delegate.address)).nonce).to.equal(2n);
      await expect(consent.connect(delegate).grant(wallet.address, accountGrantee(doctor.address), LABS, TREAT, 0, until, COMMITMENT)).to.be.revertedWithCustomError(consent, "NotPatientOrDelegate");
    });

    it("refuses replay, a stale nonce, expiry, another signer, another deployment's domain and a delegate that is not one", async function () {
      const { relayed, consent, wallet, domain, removal, delegate, outsider, chainId, stranger } = await loadFixture(appointedBySig);
      const r = removal();
      const sig = await signDelegateRemovalRequest(wallet, domain, r);
      await expect(relayed.removeDelegateBySig(r, await signDelegateRemovalRequest(outsider, domain, r))).to.be.revertedWithCustomError(consent, "InvalidSignature").withArgs(wallet.address);
      await expect(relayed.removeDelegateBySig(r, await signDelegateRemovalRequest(wallet, consentDomain(chainId, stranger.address), r))).to.be.revertedWithCustomError(consent, "InvalidSignature");
      const late = removal({ deadline: BigInt(await now()) });
      await expect(relayed.removeDelegateBySig(late, await signDelegateRemovalRequest(wallet, domain, late))).to.be.revertedWithCustomError(consent, "SignatureExpired");
      await relayed.removeDelegateBySig(r, sig);
      await expect(relayed.removeDelegateBySig(r, sig)).to.be.revertedWithCustomError(consent, "InvalidDelegationNonce").withArgs(wallet.address, delegate.address, 1, 2);
      const again = removal({ nonce: 2n });
      await expect(relayed.removeDelegateBySig(again, await signDelegateRemovalRequest(wallet, domain, again))).to.be.revertedWithCustomError(consent, "DelegateNotFound").withArgs(wallet.address, delegate.address);
    });
  });

  describe("SDK", function () {
    it("signs with the patient's key, relays with another, and refuses stale signatures and bad input before sending", async function () {
      const { book, patient, relayer, delegate, consent } = await loadFixture(delegationSigFixture);
      const asPatient = await CareLedger.connect(patient, { addressBook: book });
      const asRelayer = await CareLedger.connect(relayer, { addressBook: book });
      const until = (await now()) + YEAR;
      const signed = await asPatient.consent.signAppointDelegate({ delegate: delegate.address, until, classes: ["labs"], purposes: ["TREAT"] }, { deadline: (await now()) + 600 });
      expect(signed.request).to.deep.include({ patient: patient.address, nonce: 0n, epoch: 0n, representative: false });
      const appointed = await (await asRelayer.consent.submitAppointDelegate(signed)).wait();
      expect(appointed).to.deep.include({ patient: patient.address, delegate: delegate.address, until, representative: false });
      expect(await asRelayer.consent.delegationNonce(patient.address, delegate.address)).to.equal(1n);
      // A used signature is refused by the SDK with the contract's own error, before anything is sent.
      const sent = await hre.ethers.provider.getTransactionCount(relayer.address);
      const stale = await asRelayer.consent.submitAppointDelegate(signed).catch((e: unknown) => e);
      expect(stale).to.be.instanceOf(ContractRevertError);
      expect((stale as ContractRevertError).errorName).to.equal("InvalidDelegationNonce");
      expect(await hre.ethers.provider.getTransactionCount(relayer.address)).to.equal(sent);
      // Bad input names its field.
      const bad = await asPatient.consent.signAppointDelegate({ delegate: delegate.address, until, classes: ["mentalHealth"], purposes: ["TREAT"] }, { deadline: (await now()) + 600 }).catch((e: unknown) => e);
      expect(bad).to.be.instanceOf(ValidationError);
      expect((bad as ValidationError).field).to.equal("classes");
      const self = await asPatient.consent.signAppointDelegate({ delegate: patient.address, until, classes: ["labs"], purposes: ["TREAT"] }, { deadline: (await now()) + 600 }).catch((e: unknown) => e);
      expect((self as ValidationError).field).to.equal("delegate");
      // The removal, signed and relayed.
      const removal = await asPatient.consent.signRemoveDelegate({ delegate: delegate.address }, { deadline: (await now()) + 600 });
      expect(removal.request.nonce).to.equal(1n);
      expect(await (await asRelayer.consent.submitRemoveDelegate(removal)).wait()).to.deep.include({ patient: patient.address, delegate: delegate.address });
      expect((await consent.delegationOf(patient.address, delegate.address)).until).to.equal(0n);
    });
  });
});
