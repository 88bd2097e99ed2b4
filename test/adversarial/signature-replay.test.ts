/**
 * Attack class: signature replay and cross-domain reuse. A relayer (or anyone who saw a patient's
 * signature) tries to use it again, on another chain, on another deployment, as the other kind of
 * request, for another grantee, after the patient cancelled its signatures, with a malleated copy;
 * and a record proof built for another registry is presented to this one. Every attempt is refused
 * with the named error, and the patient's grants, nonces and epoch are exactly as before.
 */
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre from "hardhat";
import { Signature, toBeHex, type HDNodeWallet } from "ethers";
import { consentDomain, FastMerkleTree, RECORD_LEAF_ENCODING, recordLeafValues, signGrantRequest, signRevocationRequest, type GrantRequest, type RevocationRequest } from "../../sdk";
import { ConsentRegistry__factory, RecordRegistry__factory } from "../../typechain-types";
import { classes, consentFixture, HOSPITAL, labsGrantRequest, now, YEAR } from "../consent/fixtures";
import { commitmentN } from "../support/suiteFixture";

const LABS = classes("labs");
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

async function replayFixture() {
  const f = await consentFixture();
  const wallet: HDNodeWallet = hre.ethers.Wallet.createRandom();
  const deadline = BigInt((await now()) + 3600);
  const grantee = f.accountGrantee(f.doctor.address);
  const grantRequest = (over: Partial<GrantRequest> = {}): GrantRequest => labsGrantRequest(wallet.address, grantee, deadline, over);
  const revocationRequest = (over: Partial<RevocationRequest> = {}): RevocationRequest => ({ patient: wallet.address, grantee, nonce: 1n, epoch: 0n, deadline, ...over });
  const relayed = f.consent.connect(f.relayer);
  /** The patient-side state an attack must not touch. */
  const state = async () => [await f.consent.grantOf(wallet.address, grantee), await f.consent.nonces(wallet.address, grantee), await f.consent.signatureEpoch(wallet.address)].map(String);
  return { ...f, wallet, deadline, grantee, grantRequest, revocationRequest, relayed, state };
}

describe("Attack: signature replay and cross-domain reuse", function () {
  it("a used grant signature cannot be replayed", async function () {
    const { relayed, consent, wallet, domain, grantRequest, grantee, state } = await loadFixture(replayFixture);
    const r = grantRequest();
    const sig = await signGrantRequest(wallet, domain, r);
    await relayed.grantBySig(r, sig);
    const before = await state();
    await expect(relayed.grantBySig(r, sig)).to.be.revertedWithCustomError(consent, "InvalidNonce").withArgs(wallet.address, grantee, 0, 1);
    expect(await state()).to.deep.equal(before);
  });

  it("a used revocation signature cannot be replayed to revoke a later grant", async function () {
    const { relayed, consent, wallet, domain, grantRequest, revocationRequest, grantee, doctor } = await loadFixture(replayFixture);
    await relayed.grantBySig(grantRequest(), await signGrantRequest(wallet, domain, grantRequest()));
    const rv = revocationRequest();
    const rsig = await signRevocationRequest(wallet, domain, rv);
    await relayed.revokeBySig(rv, rsig);
    const again = grantRequest({ nonce: 2n });
    await relayed.grantBySig(again, await signGrantRequest(wallet, domain, again));
    await expect(relayed.revokeBySig(rv, rsig)).to.be.revertedWithCustomError(consent, "InvalidNonce").withArgs(wallet.address, grantee, 1, 3);
    expect(await consent.isPermitted(wallet.address, doctor.address, 4, 0)).to.equal(true);
  });

  it("a signature made for another chain id is refused", async function () {
    const { relayed, consent, wallet, grantRequest, book, state } = await loadFixture(replayFixture);
    const r = grantRequest();
    const before = await state();
    await expect(relayed.grantBySig(r, await signGrantRequest(wallet, consentDomain(1n, book.contracts.ConsentRegistry), r)))
      .to.be.revertedWithCustomError(consent, "InvalidSignature")
      .withArgs(wallet.address);
    expect(await state()).to.deep.equal(before);
  });

  it("a signature made for another deployment is refused here, and one made here is refused there", async function () {
    const { relayed, consent, wallet, grantRequest, domain, chainId, manager, registry, deployer, relayer, doctor, state } = await loadFixture(replayFixture);
    const other = await new ConsentRegistry__factory(deployer).deploy(await manager.getAddress(), await registry.getAddress());
    const r = grantRequest();
    const forOther = await signGrantRequest(wallet, consentDomain(chainId, await other.getAddress()), r);
    const before = await state();
    await expect(relayed.grantBySig(r, forOther)).to.be.revertedWithCustomError(consent, "InvalidSignature").withArgs(wallet.address);
    expect(await state()).to.deep.equal(before);
    const forHere = await signGrantRequest(wallet, domain, r);
    await expect(other.connect(relayer).grantBySig(r, forHere)).to.be.revertedWithCustomError(other, "InvalidSignature").withArgs(wallet.address);
    expect(await other.isPermitted(wallet.address, doctor.address, 4, 0)).to.equal(false);
  });

  it("a grant signature presented as a revocation is refused, and the grant stays", async function () {
    const { relayed, consent, wallet, domain, grantRequest, revocationRequest, doctor, state } = await loadFixture(replayFixture);
    await relayed.grantBySig(grantRequest(), await signGrantRequest(wallet, domain, grantRequest()));
    // The patient signs a renewal at nonce 1; an attacker submits those bytes as a revocation at nonce 1.
    const renewal = grantRequest({ nonce: 1n });
    const sig = await signGrantRequest(wallet, domain, renewal);
    const before = await state();
    await expect(relayed.revokeBySig(revocationRequest({ nonce: 1n }), sig)).to.be.revertedWithCustomError(consent, "InvalidSignature").withArgs(wallet.address);
    expect(await state()).to.deep.equal(before);
    expect(await consent.isPermitted(wallet.address, doctor.address, 4, 0)).to.equal(true);
  });

  it("a revocation signature presented as a grant is refused", async function () {
    const { relayed, consent, wallet, domain, grantRequest, revocationRequest, state, doctor } = await loadFixture(replayFixture);
    const sig = await signRevocationRequest(wallet, domain, revocationRequest({ nonce: 0n }));
    const before = await state();
    await expect(relayed.grantBySig(grantRequest(), sig)).to.be.revertedWithCustomError(consent, "InvalidSignature").withArgs(wallet.address);
    expect(await state()).to.deep.equal(before);
    expect(await consent.isPermitted(wallet.address, doctor.address, 4, 0)).to.equal(false);
  });

  it("a signature for one grantee cannot be redirected to another", async function () {
    const { relayed, consent, wallet, domain, grantRequest, accountGrantee, relayer } = await loadFixture(replayFixture);
    const sig = await signGrantRequest(wallet, domain, grantRequest());
    await expect(relayed.grantBySig(grantRequest({ grantee: accountGrantee(relayer.address) }), sig)).to.be.revertedWithCustomError(consent, "InvalidSignature").withArgs(wallet.address);
    expect(await consent.isPermitted(wallet.address, relayer.address, 4, 0)).to.equal(false);
  });

  it("a signature with widened terms (classes, validity) is refused", async function () {
    const { relayed, consent, wallet, domain, grantRequest } = await loadFixture(replayFixture);
    const sig = await signGrantRequest(wallet, domain, grantRequest());
    await expect(relayed.grantBySig(grantRequest({ classes: LABS | classes("hiv") }), sig)).to.be.revertedWithCustomError(consent, "InvalidSignature").withArgs(wallet.address);
    await expect(relayed.grantBySig(grantRequest({ validUntil: Number(grantRequest().validUntil) + YEAR }), sig)).to.be.revertedWithCustomError(consent, "InvalidSignature").withArgs(wallet.address);
  });

  it("every signature made before cancelSignatures is dead, grant and revocation alike", async function () {
    const { relayed, consent, wallet, domain, grantRequest, revocationRequest, grantee, state } = await loadFixture(replayFixture);
    const g = grantRequest();
    const gsig = await signGrantRequest(wallet, domain, g);
    // The patient (who holds no ETH) cancels through a funded copy of its key.
    const funded = wallet.connect(hre.ethers.provider);
    await relayed.runner!.sendTransaction!({ to: wallet.address, value: 10n ** 17n });
    await expect(consent.connect(funded).cancelSignatures()).to.emit(consent, "SignaturesCancelled").withArgs(wallet.address, 1);
    const before = await state();
    await expect(relayed.grantBySig(g, gsig)).to.be.revertedWithCustomError(consent, "SignatureCancelled").withArgs(wallet.address, 0, 1);
    const rv = revocationRequest({ nonce: 0n });
    await expect(relayed.revokeBySig(rv, await signRevocationRequest(wallet, domain, rv))).to.be.revertedWithCustomError(consent, "SignatureCancelled").withArgs(wallet.address, 0, 1);
    expect(await state()).to.deep.equal(before);
    // A new signature at the new epoch works.
    const fresh = grantRequest({ epoch: 1n });
    await expect(relayed.grantBySig(fresh, await signGrantRequest(wallet, domain, fresh))).to.emit(consent, "ConsentGranted");
    expect(await consent.nonces(wallet.address, grantee)).to.equal(1n);
  });

  it("an expired signature is refused", async function () {
    const { relayed, consent, wallet, domain, grantRequest, deadline } = await loadFixture(replayFixture);
    const r = grantRequest();
    const sig = await signGrantRequest(wallet, domain, r);
    await time.setNextBlockTimestamp(Number(deadline) + 1);
    await expect(relayed.grantBySig(r, sig)).to.be.revertedWithCustomError(consent, "SignatureExpired").withArgs(deadline, Number(deadline) + 1);
  });

  it("a malleated (high-s) copy of a signature is refused", async function () {
    const { relayed, consent, wallet, domain, grantRequest } = await loadFixture(replayFixture);
    const r = grantRequest();
    const sig = Signature.from(await signGrantRequest(wallet, domain, r));
    const flipped = hre.ethers.concat([sig.r, toBeHex(SECP256K1_N - BigInt(sig.s), 32), sig.v === 27 ? "0x1c" : "0x1b"]);
    await expect(relayed.grantBySig(r, flipped)).to.be.revertedWithCustomError(consent, "InvalidSignature").withArgs(wallet.address);
  });

  it("a signature by someone else's key is refused", async function () {
    const { relayed, consent, wallet, domain, grantRequest, doctor } = await loadFixture(replayFixture);
    const r = grantRequest();
    await expect(relayed.grantBySig(r, await signGrantRequest(doctor, domain, r))).to.be.revertedWithCustomError(consent, "InvalidSignature").withArgs(wallet.address);
  });

  it("a record proof built for another registry or chain does not register here", async function () {
    const { book, doctor } = await loadFixture(replayFixture);
    const records = RecordRegistry__factory.connect(book.contracts.RecordRegistry, doctor);
    const c = commitmentN(1, "cross-domain");
    for (const [chainId, registryAddress] of [
      [1n, book.contracts.RecordRegistry],
      [(await hre.ethers.provider.getNetwork()).chainId, book.contracts.ConsentRegistry],
    ] as const) {
      const tree = FastMerkleTree.of([c, commitmentN(2, "cross-domain")].map((x) => recordLeafValues({ chainId, registry: registryAddress, recordId: x, version: 1, commitment: x })), RECORD_LEAF_ENCODING);
      await records.anchorBatch(tree.root, 2);
      await expect(records.registerBatchRecord(HOSPITAL, tree.root, c, tree.getProof(0))).to.be.revertedWithCustomError(records, "InvalidInclusionProof").withArgs(tree.root, c);
    }
    expect((await records.recordVersion(HOSPITAL, c)).orgId).to.equal(0n);
  });
});
