/**
 * A patient's passkey account with the consent registry: a passkey-signed grant relayed through the SDK's
 * own signGrant/submitGrant (ERC-1271 through ERC-7739), and the account's signed batches
 * (executeBySig) — with every refusal: replay, expiry, another chain, another account of the same
 * passkey, malformed WebAuthn assertions.
 */
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre from "hardhat";
import { hashMessage, TypedDataEncoder, ZeroHash } from "ethers";
import {
  accountGrantee,
  breakGlassOptOutCall,
  CareLedger,
  encodeMultiSignature,
  executeDigest,
  grantDigest,
  PasskeySigner,
  PatientAccountClient,
  type GrantParams,
} from "../../sdk";
import { PatientAccount__factory } from "../../typechain-types";
import { accountsFixture } from "./fixture";
import { rejection } from "../support/rejection";

const ERC1271_MAGIC = "0x1626ba7e";
const LABS_FOR_TREATMENT = { classes: ["labs"], purposes: ["TREAT"] } as const;

describe("PatientAccount", function () {
  async function grantParams(doctor: string): Promise<GrantParams> {
    return { grantee: accountGrantee(doctor), ...LABS_FOR_TREATMENT, validUntil: (await time.latest()) + 365 * 86_400, commitment: "0x" + "c0".repeat(32) };
  }

  describe("a passkey-signed grant (ERC-1271 through ERC-7739)", function () {
    it("is accepted by grantBySig through the SDK's signGrant and submitGrant, relayed, the patient holding no ETH", async function () {
      const f = await loadFixture(accountsFixture);
      expect(await hre.ethers.provider.getBalance(f.address)).to.equal(0n);
      const signed = await f.patientLedger.consent.signGrant(await grantParams(f.doctor.address), { deadline: await f.deadline() });
      expect(signed.request.patient).to.equal(f.address);
      expect(f.phone.challenges).to.have.length(1);
      const { patient, by } = await (await f.relayerLedger.consent.submitGrant(signed)).wait();
      expect([patient, by]).to.deep.equal([f.address, f.address]);
      expect(await f.consent.isPermitted(f.address, f.doctor.address, 4, 0)).to.equal(true);
      expect(await hre.ethers.provider.getBalance(f.address)).to.equal(0n);
    });

    it("answers ERC-1271 for the grant's digest, and for a message signed as ERC-7739's PersonalSign", async function () {
      const f = await loadFixture(accountsFixture);
      const signed = await f.patientLedger.consent.signGrant(await grantParams(f.doctor.address), { deadline: await f.deadline() });
      expect(await f.account.isValidSignature(grantDigest(f.domain, signed.request), signed.signature)).to.equal(ERC1271_MAGIC);
      const message = "I, the patient, asked for my records on 6 December";
      expect(await f.account.isValidSignature(hashMessage(message), await f.phoneSigner.signMessage(message))).to.equal(ERC1271_MAGIC);
      expect(await f.account.isValidSignature(hashMessage("another message"), await f.phoneSigner.signMessage(message))).to.equal("0xffffffff");
    });

    it("refuses a grant signed for another account of the same passkey (no cross-account replay)", async function () {
      const f = await loadFixture(accountsFixture);
      const { account: other } = await f.factoryClient.deployIfNeeded({ passkey: f.phone.publicKey, salt: 1n });
      // The phone signs, nested in account A's domain, a grant whose patient is account B.
      const params = { ...(await grantParams(f.doctor.address)), patient: other };
      const signed = await f.patientLedger.consent.signGrant(params, { deadline: await f.deadline() });
      await expect(f.consent.connect(f.relayer).grantBySig(signed.request, signed.signature))
        .to.be.revertedWithCustomError(f.consent, "InvalidSignature")
        .withArgs(other);
    });

    it("refuses the passkey's raw signature of the grant digest (not nested by ERC-7739)", async function () {
      const f = await loadFixture(accountsFixture);
      const signed = await f.patientLedger.consent.signGrant(await grantParams(f.doctor.address), { deadline: await f.deadline() });
      const raw = await f.phoneSigner.signDigest(grantDigest(f.domain, signed.request));
      await expect(f.consent.connect(f.relayer).grantBySig(signed.request, raw)).to.be.revertedWithCustomError(f.consent, "InvalidSignature").withArgs(f.address);
    });

    it("is signed for the account's predicted address before it exists, and the first relayed action deploys it", async function () {
      const f = await loadFixture(accountsFixture);
      const predicted = await f.factoryClient.predictAddress(f.laptop.publicKey, 7n);
      expect(await hre.ethers.provider.getCode(predicted)).to.equal("0x");
      const ledger = await CareLedger.connect(f.signerOf(f.laptop, predicted), { addressBook: f.book });
      const signed = await ledger.consent.signGrant(await grantParams(f.doctor.address), { deadline: await f.deadline() });
      const { account, created } = await f.factoryClient.deployIfNeeded({ passkey: f.laptop.publicKey, salt: 7n });
      expect(account).to.equal(predicted);
      expect((await created!.wait()).account).to.equal(predicted);
      await (await f.relayerLedger.consent.submitGrant(signed)).wait();
      expect(await f.consent.isPermitted(predicted, f.doctor.address, 4, 0)).to.equal(true);
    });
  });

  describe("executeBySig", function () {
    it("runs a batch the passkey signed, relayed: the patient opts out of break-glass on the consent registry", async function () {
      const f = await loadFixture(accountsFixture);
      const signed = await f.sign([breakGlassOptOutCall(f.book.contracts.ConsentRegistry, f.address, true)]);
      await expect(f.account.executeBySig(signed.calls, signed.nonce, signed.deadline, signed.signature))
        .to.emit(f.account, "ExecutedBySig")
        .withArgs(0n, f.relayer.address, 1n)
        .and.to.emit(f.consent, "BreakGlassOptOutSet")
        .withArgs(f.address, true, f.address);
      expect(await f.client.nonce()).to.equal(1n);
    });

    it("sends value from the account's own balance, and keeps separate nonce sequences by key", async function () {
      const f = await loadFixture(accountsFixture);
      await f.deployer.sendTransaction({ to: f.address, value: 1000n });
      const signed = await f.client.signExecute(f.phoneSigner, { calls: [{ target: f.stranger.address, value: 400n }], deadline: await f.deadline(), key: 5n });
      expect(signed.nonce).to.equal(5n << 64n);
      await expect((await f.client.submitExecute(signed)).response).to.changeEtherBalances([f.address, f.stranger], [-400n, 400n]);
      expect(await f.client.nonce(5n)).to.equal((5n << 64n) + 1n);
      expect(await f.client.nonce()).to.equal(0n);
    });

    it("refuses the replay of a used batch", async function () {
      const f = await loadFixture(accountsFixture);
      const signed = await f.sign([breakGlassOptOutCall(f.book.contracts.ConsentRegistry, f.address, true)]);
      await f.client.submitExecute(signed);
      await expect(f.account.executeBySig(signed.calls, signed.nonce, signed.deadline, signed.signature))
        .to.be.revertedWithCustomError(f.account, "InvalidAccountNonce")
        .withArgs(f.address, 1n);
    });

    it("refuses a batch signed for a nonce ahead of the account's", async function () {
      const f = await loadFixture(accountsFixture);
      const signed = await f.sign([breakGlassOptOutCall(f.book.contracts.ConsentRegistry, f.address, true)], f.phone, { nonce: 3n });
      await expect(f.account.executeBySig(signed.calls, signed.nonce, signed.deadline, signed.signature))
        .to.be.revertedWithCustomError(f.account, "InvalidAccountNonce")
        .withArgs(f.address, 0n);
    });

    it("refuses a batch past its deadline", async function () {
      const f = await loadFixture(accountsFixture);
      const signed = await f.sign([breakGlassOptOutCall(f.book.contracts.ConsentRegistry, f.address, true)]);
      await time.setNextBlockTimestamp(signed.deadline + 1n);
      await expect(f.account.executeBySig(signed.calls, signed.nonce, signed.deadline, signed.signature))
        .to.be.revertedWithCustomError(f.account, "ExecutionExpired")
        .withArgs(signed.deadline, signed.deadline + 1n);
    });

    it("refuses a batch signed for another chain", async function () {
      const f = await loadFixture(accountsFixture);
      const calls = [breakGlassOptOutCall(f.book.contracts.ConsentRegistry, f.address, true)];
      const deadline = await f.deadline();
      const signature = await f.signerOf(f.phone, f.address, { chainId: 1n }).signExecute({ calls, nonce: 0n, deadline });
      await expect(f.account.executeBySig(calls, 0n, deadline, signature))
        .to.be.revertedWithCustomError(f.account, "InvalidExecutionSignature")
        .withArgs(executeDigest(f.chainId, f.address, { calls, nonce: 0n, deadline }));
    });

    it("refuses a batch signed for account A when presented to account B of the same passkey", async function () {
      const f = await loadFixture(accountsFixture);
      const { account: b } = await f.factoryClient.deployIfNeeded({ passkey: f.phone.publicKey, salt: 1n });
      const accountB = PatientAccount__factory.connect(b, f.relayer);
      const signed = await f.sign([breakGlassOptOutCall(f.book.contracts.ConsentRegistry, b, true)]);
      await expect(accountB.executeBySig(signed.calls, signed.nonce, signed.deadline, signed.signature))
        .to.be.revertedWithCustomError(accountB, "InvalidExecutionSignature")
        .withArgs(executeDigest(f.chainId, b, signed));
      expect((await rejection(new PatientAccountClient(accountB).submitExecute(signed))).message).to.match(/signed\.account/);
    });

    it("refuses an empty batch and one over MAX_CALLS", async function () {
      const f = await loadFixture(accountsFixture);
      const deadline = await f.deadline();
      await expect(f.account.executeBySig([], 0n, deadline, "0x")).to.be.revertedWithCustomError(f.account, "InvalidBatchSize").withArgs(0n, 16n);
      const call = breakGlassOptOutCall(f.book.contracts.ConsentRegistry, f.address, true);
      await expect(f.account.executeBySig(Array(17).fill(call), 0n, deadline, "0x")).to.be.revertedWithCustomError(f.account, "InvalidBatchSize").withArgs(17n, 16n);
    });

    it("refuses a batch whose signature does not decode, or is empty", async function () {
      const f = await loadFixture(accountsFixture);
      const calls = [breakGlassOptOutCall(f.book.contracts.ConsentRegistry, f.address, true)];
      const deadline = await f.deadline();
      const digest = executeDigest(f.chainId, f.address, { calls, nonce: 0n, deadline });
      for (const signature of ["0x", "0x" + "ab".repeat(100), encodeMultiSignature("0x" + "11".repeat(84), "0x1234")]) {
        await expect(f.account.executeBySig(calls, 0n, deadline, signature)).to.be.revertedWithCustomError(f.account, "InvalidExecutionSignature").withArgs(digest);
      }
    });

    it("bubbles up a failing call's own error, and nothing of the batch stays", async function () {
      const f = await loadFixture(accountsFixture);
      const signed = await f.sign([
        breakGlassOptOutCall(f.book.contracts.ConsentRegistry, f.address, true),
        { target: f.address, value: 0n, data: f.account.interface.encodeFunctionData("removePasskey", [f.phone.publicKey.x, f.phone.publicKey.y]) },
      ]);
      await expect(f.account.executeBySig(signed.calls, signed.nonce, signed.deadline, signed.signature))
        .to.be.revertedWithCustomError(f.account, "LastPasskey")
        .withArgs(f.phone.publicKey.x, f.phone.publicKey.y);
      expect(await f.client.nonce()).to.equal(0n);
    });

    describe("refuses a malformed WebAuthn assertion", function () {
      const cases = [
        { name: "user presence (UP) cleared", tamper: { flags: 0x04 } },
        { name: "user verification (UV) cleared", tamper: { flags: 0x01 } },
        { name: "backed up (BS) but not backup-eligible (BE)", tamper: { flags: 0x15 } },
        { name: "type webauthn.create", tamper: { type: "webauthn.create" } },
        { name: "another challenge", tamper: { challenge: new Uint8Array(32).fill(7) } },
      ];
      for (const { name, tamper } of cases) {
        it(`with ${name}`, async function () {
          const f = await loadFixture(accountsFixture);
          const b = await f.tampered([breakGlassOptOutCall(f.book.contracts.ConsentRegistry, f.address, true)], tamper);
          await expect(f.account.executeBySig(b.calls, b.nonce, b.deadline, b.signature))
            .to.be.revertedWithCustomError(f.account, "InvalidExecutionSignature")
            .withArgs(executeDigest(f.chainId, f.address, b));
        });
      }

      it("and the SDK refuses it before anything is sent, naming the field", async function () {
        const f = await loadFixture(accountsFixture);
        f.phone.tamper = { flags: 0x04 };
        expect((await rejection(f.sign([breakGlassOptOutCall(f.book.contracts.ConsentRegistry, f.address, true)]))).message).to.match(/assertion\.authenticatorData/);
      });
    });
  });

  describe("the implementation", function () {
    it("can never be initialized, nor a clone initialized twice", async function () {
      const f = await loadFixture(accountsFixture);
      const implementation = PatientAccount__factory.connect(await f.factory.implementation(), f.stranger);
      await expect(implementation.initialize(f.laptop.publicKey.x, f.laptop.publicKey.y)).to.be.revertedWithCustomError(implementation, "InvalidInitialization");
      await expect(f.account.connect(f.stranger).initialize(f.laptop.publicKey.x, f.laptop.publicKey.y)).to.be.revertedWithCustomError(f.account, "InvalidInitialization");
      expect(await implementation.webAuthnVerifier()).to.equal(f.verifierAddress);
      expect(await f.account.webAuthnVerifier()).to.equal(f.verifierAddress);
    });

    it("accepts no signature for itself (its only signer is the zero address)", async function () {
      const f = await loadFixture(accountsFixture);
      const implementation = PatientAccount__factory.connect(await f.factory.implementation(), f.stranger);
      const digest = TypedDataEncoder.hash({ name: "x" }, { M: [{ name: "v", type: "uint256" }] }, { v: 1 });
      const zeroSigner = encodeMultiSignature("0x" + "00".repeat(20), "0x" + "00".repeat(65));
      expect(await implementation.isValidSignature(digest, zeroSigner)).to.equal("0xffffffff");
      expect(await implementation.threshold()).to.equal(1n);
      expect(await implementation.getSignerCount()).to.equal(1n);
    });

    it("refuses a verifier without code", async function () {
      const f = await loadFixture(accountsFixture);
      const deploy = new PatientAccount__factory(f.deployer).deploy(f.stranger.address);
      await expect(deploy).to.be.revertedWithCustomError(new PatientAccount__factory(f.deployer), "InvalidVerifier").withArgs(f.stranger.address);
    });

    it("answers ERC-7739's detection request", async function () {
      const f = await loadFixture(accountsFixture);
      expect(await f.account.isValidSignature("0x" + "7739".repeat(16), "0x")).to.equal("0x77390001");
      expect(await f.account.isValidSignature(ZeroHash, "0x")).to.equal("0xffffffff");
      expect(new PasskeySigner({ account: f.address, passkey: f.phone.publicKey, verifier: f.verifierAddress, assert: f.phone.assert })).to.be.instanceOf(PasskeySigner);
    });
  });
});
