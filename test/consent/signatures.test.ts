import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre from "hardhat";
import { concat, Signature, toBeHex, type HDNodeWallet } from "ethers";
import { consentDomain, signGrantRequest, signRevocationRequest, type GrantRequest, type RevocationRequest } from "../../sdk";
import { ConsentRegistry__factory } from "../../typechain-types";
import { classes, COMMITMENT, consentFixture, labsGrantRequest, now, purposes, YEAR } from "./fixtures";

const LABS = classes("labs");
const TREAT = purposes("TREAT");
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** The fixture plus a patient who holds no ETH and signs with a fresh key. */
async function signerFixture() {
  const f = await loadFixture(consentFixture);
  const wallet: HDNodeWallet = hre.ethers.Wallet.createRandom();
  const deadline = BigInt((await now()) + 3600);
  const grantRequest = (over: Partial<GrantRequest> = {}): GrantRequest => labsGrantRequest(wallet.address, f.accountGrantee(f.doctor.address), deadline, over);
  const revocationRequest = (over: Partial<RevocationRequest> = {}): RevocationRequest => ({
    patient: wallet.address,
    grantee: f.accountGrantee(f.doctor.address),
    nonce: 1n,
    epoch: 0n,
    deadline,
    ...over,
  });
  const relayed = f.consent.connect(f.relayer);
  return { ...f, wallet, deadline, grantRequest, revocationRequest, relayed };
}

describe("ConsentRegistry signatures", function () {
  describe("grantBySig", function () {
    it("applies a grant signed by a patient who holds no ETH, relayed by someone else", async function () {
      const { relayed, consent, wallet, domain, grantRequest, doctor } = await loadFixture(signerFixture);
      expect(await hre.ethers.provider.getBalance(wallet.address)).to.equal(0n);
      const r = grantRequest();
      await expect(relayed.grantBySig(r, await signGrantRequest(wallet, domain, r)))
        .to.emit(consent, "ConsentGranted")
        .withArgs(wallet.address, r.grantee, wallet.address, LABS, TREAT, 0, r.validUntil, COMMITMENT);
      expect(await consent.isPermitted(wallet.address, doctor.address, 4, 0)).to.equal(true);
      expect(await consent.nonces(wallet.address, r.grantee)).to.equal(1n);
    });

    it("refuses the replay of a used signature", async function () {
      const { relayed, consent, wallet, domain, grantRequest } = await loadFixture(signerFixture);
      const r = grantRequest();
      const sig = await signGrantRequest(wallet, domain, r);
      await relayed.grantBySig(r, sig);
      await expect(relayed.grantBySig(r, sig)).to.be.revertedWithCustomError(consent, "InvalidNonce").withArgs(wallet.address, r.grantee, 0, 1);
    });

    it("accepts a signature at its deadline exactly, and refuses it one second later", async function () {
      const { relayed, consent, wallet, domain, grantRequest, nurse, accountGrantee } = await loadFixture(signerFixture);
      const t = (await now()) + 100;
      const r1 = grantRequest({ deadline: BigInt(t) });
      await time.setNextBlockTimestamp(t);
      await expect(relayed.grantBySig(r1, await signGrantRequest(wallet, domain, r1))).to.emit(consent, "ConsentGranted");
      const r2 = grantRequest({ deadline: BigInt(t + 1), grantee: accountGrantee(nurse.address) });
      await time.setNextBlockTimestamp(t + 2);
      await expect(relayed.grantBySig(r2, await signGrantRequest(wallet, domain, r2)))
        .to.be.revertedWithCustomError(consent, "SignatureExpired")
        .withArgs(t + 1, t + 2);
    });

    it("refuses a signature made for another chain id", async function () {
      const { relayed, consent, wallet, grantRequest, book } = await loadFixture(signerFixture);
      const r = grantRequest();
      const sig = await signGrantRequest(wallet, consentDomain(1n, book.contracts.ConsentRegistry), r);
      await expect(relayed.grantBySig(r, sig)).to.be.revertedWithCustomError(consent, "InvalidSignature").withArgs(wallet.address);
    });

    it("refuses a signature made for another deployment", async function () {
      const { relayed, consent, wallet, grantRequest, manager, registry, deployer, chainId } = await loadFixture(signerFixture);
      const other = await new ConsentRegistry__factory(deployer).deploy(await manager.getAddress(), await registry.getAddress());
      const r = grantRequest();
      const sig = await signGrantRequest(wallet, consentDomain(chainId, await other.getAddress()), r);
      await expect(relayed.grantBySig(r, sig)).to.be.revertedWithCustomError(consent, "InvalidSignature").withArgs(wallet.address);
      await expect(other.connect(deployer).grantBySig(r, sig)).to.emit(other, "ConsentGranted");
    });

    it("refuses a signature by someone other than the patient", async function () {
      const { relayed, consent, wallet, domain, grantRequest } = await loadFixture(signerFixture);
      const r = grantRequest();
      await expect(relayed.grantBySig(r, await signGrantRequest(hre.ethers.Wallet.createRandom(), domain, r))).to.be.revertedWithCustomError(consent, "InvalidSignature").withArgs(wallet.address);
    });

    it("refuses a malleable (high-s) twin of a valid signature", async function () {
      const { relayed, consent, wallet, domain, grantRequest } = await loadFixture(signerFixture);
      const r = grantRequest();
      const sig = Signature.from(await signGrantRequest(wallet, domain, r));
      const twin = concat([sig.r, toBeHex(SECP256K1_N - BigInt(sig.s), 32), sig.v === 27 ? "0x1c" : "0x1b"]);
      await expect(relayed.grantBySig(r, twin)).to.be.revertedWithCustomError(consent, "InvalidSignature").withArgs(wallet.address);
      await expect(relayed.grantBySig(r, sig.serialized)).to.emit(consent, "ConsentGranted");
    });

    it("refuses malformed signatures: empty, short, compact (64 bytes), a bad v, all zeros", async function () {
      const { relayed, consent, wallet, domain, grantRequest } = await loadFixture(signerFixture);
      const r = grantRequest();
      const sig = Signature.from(await signGrantRequest(wallet, domain, r));
      const bad = ["0x", "0x1234", sig.compactSerialized, concat([sig.r, sig.s, "0x1d"]), "0x" + "00".repeat(65)];
      for (const b of bad) await expect(relayed.grantBySig(r, b)).to.be.revertedWithCustomError(consent, "InvalidSignature").withArgs(wallet.address);
    });

    it("refuses the zero address as patient", async function () {
      const { relayed, consent, wallet, domain, grantRequest } = await loadFixture(signerFixture);
      const r = grantRequest({ patient: hre.ethers.ZeroAddress });
      await expect(relayed.grantBySig(r, await signGrantRequest(wallet, domain, r))).to.be.revertedWithCustomError(consent, "InvalidPatient").withArgs(hre.ethers.ZeroAddress);
      await expect(relayed.grantBySig(r, "0x" + "00".repeat(65))).to.be.revertedWithCustomError(consent, "InvalidPatient");
    });

    it("refuses a stale signed grant after the patient cancelled outstanding signatures", async function () {
      const { relayed, consent, wallet, domain, grantRequest, relayer } = await loadFixture(signerFixture);
      await relayer.sendTransaction({ to: wallet.address, value: hre.ethers.parseEther("1") });
      const patient = wallet.connect(hre.ethers.provider);
      const r = grantRequest();
      const sig = await signGrantRequest(wallet, domain, r);
      await expect(consent.connect(patient).cancelSignatures()).to.emit(consent, "SignaturesCancelled").withArgs(wallet.address, 1);
      expect(await consent.signatureEpoch(wallet.address)).to.equal(1n);
      await expect(relayed.grantBySig(r, sig)).to.be.revertedWithCustomError(consent, "SignatureCancelled").withArgs(wallet.address, 0, 1);
      const fresh = grantRequest({ epoch: 1n });
      await expect(relayed.grantBySig(fresh, await signGrantRequest(wallet, domain, fresh))).to.emit(consent, "ConsentGranted");
    });

    it("a signature dies when the patient decides otherwise about the same grantee directly", async function () {
      const { relayed, consent, wallet, domain, grantRequest, relayer } = await loadFixture(signerFixture);
      await relayer.sendTransaction({ to: wallet.address, value: hre.ethers.parseEther("1") });
      const r = grantRequest();
      const sig = await signGrantRequest(wallet, domain, r);
      await consent.connect(wallet.connect(hre.ethers.provider)).grant(wallet.address, r.grantee, classes("imaging"), TREAT, 0, r.validUntil, COMMITMENT);
      await expect(relayed.grantBySig(r, sig)).to.be.revertedWithCustomError(consent, "InvalidNonce").withArgs(wallet.address, r.grantee, 0, 1);
    });

    it("signatures about different grantees can be relayed in any order", async function () {
      const { relayed, consent, wallet, domain, grantRequest, nurse, accountGrantee } = await loadFixture(signerFixture);
      const a = grantRequest();
      const b = grantRequest({ grantee: accountGrantee(nurse.address) });
      const sa = await signGrantRequest(wallet, domain, a);
      const sb = await signGrantRequest(wallet, domain, b);
      await expect(relayed.grantBySig(b, sb)).to.emit(consent, "ConsentGranted");
      await expect(relayed.grantBySig(a, sa)).to.emit(consent, "ConsentGranted");
    });

    it("is refused while paused", async function () {
      const { relayed, consent, wallet, domain, grantRequest, pauser } = await loadFixture(signerFixture);
      await consent.connect(pauser).pause();
      const r = grantRequest();
      await expect(relayed.grantBySig(r, await signGrantRequest(wallet, domain, r))).to.be.revertedWithCustomError(consent, "EnforcedPause");
    });

    it("validates the signed grant like a direct one", async function () {
      const { relayed, consent, wallet, domain, grantRequest } = await loadFixture(signerFixture);
      const r = grantRequest({ classes: 0 });
      await expect(relayed.grantBySig(r, await signGrantRequest(wallet, domain, r))).to.be.revertedWithCustomError(consent, "InvalidDataClasses").withArgs(0);
    });
  });

  describe("ERC-1271 patients", function () {
    it("a wallet that approves every signature cannot create consent for another patient", async function () {
      const { relayed, consent, approveAll, grantRequest, patient } = await loadFixture(signerFixture);
      const r = grantRequest({ patient: patient.address });
      // Whatever bytes are submitted, they are checked against the patient named in the request.
      await expect(relayed.grantBySig(r, "0x" + "11".repeat(65))).to.be.revertedWithCustomError(consent, "InvalidSignature").withArgs(patient.address);
      await expect(relayed.grantBySig(r, "0x")).to.be.revertedWithCustomError(consent, "InvalidSignature").withArgs(patient.address);
      // It can only consent for itself, and that is what the event records.
      const own = grantRequest({ patient: await approveAll.getAddress() });
      await expect(relayed.grantBySig(own, "0x")).to.emit(consent, "ConsentGranted").withArgs(await approveAll.getAddress(), own.grantee, await approveAll.getAddress(), LABS, TREAT, 0, own.validUntil, COMMITMENT);
    });

    it("a smart account accepts its owner's signature and refuses anyone else's", async function () {
      const { relayed, consent, owned, grantRequest, domain, patient2, outsider } = await loadFixture(signerFixture);
      const r = grantRequest({ patient: await owned.getAddress() });
      await expect(relayed.grantBySig(r, await signGrantRequest(outsider, domain, r))).to.be.revertedWithCustomError(consent, "InvalidSignature").withArgs(await owned.getAddress());
      await expect(relayed.grantBySig(r, await signGrantRequest(patient2, domain, r))).to.emit(consent, "ConsentGranted");
    });

    it("a smart account's patient acts directly too (the approve-all wallet executing a grant for itself)", async function () {
      const { consent, approveAll, accountGrantee, doctor } = await loadFixture(signerFixture);
      const me = await approveAll.getAddress();
      const data = consent.interface.encodeFunctionData("grant", [me, accountGrantee(doctor.address), LABS, TREAT, 0, (await now()) + YEAR, COMMITMENT]);
      await expect(approveAll.execute(await consent.getAddress(), data)).to.emit(consent, "ConsentGranted");
    });
  });

  describe("revokeBySig", function () {
    async function grantedBySig() {
      const f = await loadFixture(signerFixture);
      const r = f.grantRequest();
      await f.relayed.grantBySig(r, await signGrantRequest(f.wallet, f.domain, r));
      return f;
    }

    it("applies a revocation signed by the patient, even while paused", async function () {
      const { relayed, consent, wallet, domain, revocationRequest, pauser, doctor } = await grantedBySig();
      await consent.connect(pauser).pause();
      const r = revocationRequest();
      await expect(relayed.revokeBySig(r, await signRevocationRequest(wallet, domain, r)))
        .to.emit(consent, "ConsentRevoked")
        .withArgs(wallet.address, r.grantee, wallet.address);
      expect(await consent.isPermitted(wallet.address, doctor.address, 4, 0)).to.equal(false);
    });

    it("refuses a grant signature used as a revocation", async function () {
      const { relayed, consent, wallet, domain, grantRequest, revocationRequest } = await grantedBySig();
      const g = grantRequest({ nonce: 1n });
      const grantSig = await signGrantRequest(wallet, domain, g);
      await expect(relayed.revokeBySig(revocationRequest(), grantSig)).to.be.revertedWithCustomError(consent, "InvalidSignature").withArgs(wallet.address);
      // and the revocation signature is not a grant signature either
      const revSig = await signRevocationRequest(wallet, domain, revocationRequest());
      await expect(relayed.grantBySig(g, revSig)).to.be.revertedWithCustomError(consent, "InvalidSignature");
    });

    it("refuses the replay of a used revocation, and a revocation of nothing", async function () {
      const { relayed, consent, wallet, domain, revocationRequest, accountGrantee, nurse } = await grantedBySig();
      const r = revocationRequest();
      const sig = await signRevocationRequest(wallet, domain, r);
      await relayed.revokeBySig(r, sig);
      await expect(relayed.revokeBySig(r, sig)).to.be.revertedWithCustomError(consent, "InvalidNonce").withArgs(wallet.address, r.grantee, 1, 2);
      const none = revocationRequest({ grantee: accountGrantee(nurse.address), nonce: 0n });
      await expect(relayed.revokeBySig(none, await signRevocationRequest(wallet, domain, none)))
        .to.be.revertedWithCustomError(consent, "GrantNotFound")
        .withArgs(wallet.address, none.grantee);
    });

    it("refuses an expired, cancelled, foreign-chain or wrong-signer revocation", async function () {
      const { relayed, consent, wallet, domain, revocationRequest, relayer, book } = await grantedBySig();
      const t = (await now()) + 10;
      const late = revocationRequest({ deadline: BigInt(t) });
      const lateSig = await signRevocationRequest(wallet, domain, late);
      const foreign = await signRevocationRequest(wallet, consentDomain(5n, book.contracts.ConsentRegistry), revocationRequest());
      await expect(relayed.revokeBySig(revocationRequest(), foreign)).to.be.revertedWithCustomError(consent, "InvalidSignature");
      await expect(relayed.revokeBySig(revocationRequest(), await signRevocationRequest(relayer, domain, revocationRequest()))).to.be.revertedWithCustomError(consent, "InvalidSignature");
      await time.setNextBlockTimestamp(t + 1);
      await expect(relayed.revokeBySig(late, lateSig)).to.be.revertedWithCustomError(consent, "SignatureExpired").withArgs(t, t + 1);
      await relayer.sendTransaction({ to: wallet.address, value: hre.ethers.parseEther("1") });
      const r = revocationRequest();
      const sig = await signRevocationRequest(wallet, domain, r);
      await consent.connect(wallet.connect(hre.ethers.provider)).cancelSignatures();
      await expect(relayed.revokeBySig(r, sig)).to.be.revertedWithCustomError(consent, "SignatureCancelled").withArgs(wallet.address, 0, 1);
    });

    it("cancelling signatures works while paused", async function () {
      const { consent, pauser, patient } = await loadFixture(signerFixture);
      await consent.connect(pauser).pause();
      await expect(consent.connect(patient).cancelSignatures()).to.emit(consent, "SignaturesCancelled").withArgs(patient.address, 1);
    });
  });
});
