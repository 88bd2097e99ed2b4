/**
 * Managing a passkey account: a second passkey (phone and laptop), removal (never the last), guardians,
 * recovery after a delay that any passkey cancels; every privileged path refused to a wallet and to an
 * intermediate contract; the ERC-4337 entry point's paths (validateUserOp, ERC-7821 execute).
 */
import { impersonateAccount, loadFixture, setBalance, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre from "hardhat";
import { AbiCoder, concat, ZeroAddress } from "ethers";
import {
  accountGrantee,
  addGuardianCall,
  addPasskeyCall,
  breakGlassOptOutCall,
  cancelRecoveryCall,
  RECOVERY_DELAY_SECONDS,
  removeGuardianCall,
  removePasskeyCall,
} from "../../sdk";
import { accountsFixture, DAY } from "./fixture";
import { SoftAuthenticator } from "../support/softAuthenticator";

const ENTRY_POINT = "0x433709009B8330FDa32311DF1C2AFA402eD8D009";
const OFF_CURVE = { x: "0x" + "01".repeat(32), y: "0x" + "02".repeat(32) };

async function withGuardian() {
  const f = await loadFixture(accountsFixture);
  const [guardian, guardian2] = f.signers.slice(15, 17);
  await f.run([addGuardianCall(f.address, guardian.address), addGuardianCall(f.address, guardian2.address)]);
  const newPhone = new SoftAuthenticator();
  return { ...f, guardian, guardian2, newPhone };
}

describe("PatientAccount management", function () {
  describe("passkeys", function () {
    it("adds a second passkey (the laptop), which then signs grants and batches", async function () {
      const f = await loadFixture(accountsFixture);
      const { x, y } = f.laptop.publicKey;
      const signed = await f.sign([addPasskeyCall(f.address, f.laptop.publicKey)]);
      await expect(f.account.executeBySig(signed.calls, signed.nonce, signed.deadline, signed.signature)).to.emit(f.account, "PasskeyAdded").withArgs(x, y);
      expect(await f.client.isPasskey(f.laptop.publicKey)).to.equal(true);
      await f.run([breakGlassOptOutCall(f.book.contracts.ConsentRegistry, f.address, true)], f.laptop);
      const { CareLedger } = await import("../../sdk");
      const ledger = await CareLedger.connect(f.signerOf(f.laptop), { addressBook: f.book });
      const grant = await ledger.consent.signGrant(
        { grantee: accountGrantee(f.doctor.address), classes: ["labs"], purposes: ["TREAT"], validUntil: (await time.latest()) + 86_400, commitment: "0x" + "c0".repeat(32) },
        { deadline: await f.deadline() },
      );
      await (await f.relayerLedger.consent.submitGrant(grant)).wait();
      expect(await f.consent.isPermitted(f.address, f.doctor.address, 4, 0)).to.equal(true);
    });

    it("removes a passkey, whose signatures are then refused for batches and grants", async function () {
      const f = await loadFixture(accountsFixture);
      await f.run([addPasskeyCall(f.address, f.laptop.publicKey)]);
      const signed = await f.sign([removePasskeyCall(f.address, f.phone.publicKey)], f.laptop);
      await expect(f.account.executeBySig(signed.calls, signed.nonce, signed.deadline, signed.signature))
        .to.emit(f.account, "PasskeyRemoved")
        .withArgs(f.phone.publicKey.x, f.phone.publicKey.y);
      expect(await f.client.isPasskey(f.phone.publicKey)).to.equal(false);
      const stale = await f.sign([breakGlassOptOutCall(f.book.contracts.ConsentRegistry, f.address, true)]);
      await expect(f.account.executeBySig(stale.calls, stale.nonce, stale.deadline, stale.signature)).to.be.revertedWithCustomError(f.account, "InvalidExecutionSignature");
      const grant = await f.patientLedger.consent.signGrant(
        { grantee: accountGrantee(f.doctor.address), classes: ["labs"], purposes: ["TREAT"], validUntil: (await time.latest()) + 86_400, commitment: "0x" + "c0".repeat(32) },
        { deadline: await f.deadline() },
      );
      await expect(f.consent.connect(f.relayer).grantBySig(grant.request, grant.signature)).to.be.revertedWithCustomError(f.consent, "InvalidSignature").withArgs(f.address);
    });

    it("refuses to remove the last passkey, an unknown one, to add one twice or a point off the curve", async function () {
      const f = await loadFixture(accountsFixture);
      const self = await hre.ethers.getImpersonatedSigner(f.address);
      await setBalance(f.address, 10n ** 18n);
      const a = f.account.connect(self);
      const { x, y } = f.phone.publicKey;
      await expect(a.removePasskey(x, y)).to.be.revertedWithCustomError(a, "LastPasskey").withArgs(x, y);
      await expect(a.removePasskey(f.laptop.publicKey.x, f.laptop.publicKey.y)).to.be.revertedWithCustomError(a, "UnknownPasskey").withArgs(f.laptop.publicKey.x, f.laptop.publicKey.y);
      await expect(a.addPasskey(x, y)).to.be.revertedWithCustomError(a, "PasskeyAlreadyAdded").withArgs(x, y);
      await expect(a.addPasskey(OFF_CURVE.x, OFF_CURVE.y)).to.be.revertedWithCustomError(a, "InvalidPasskey").withArgs(OFF_CURVE.x, OFF_CURVE.y);
    });
  });

  describe("privileged functions refuse anyone but the account and the entry point", function () {
    const calls = (f: Awaited<ReturnType<typeof accountsFixture>>) =>
      [
        f.account.interface.encodeFunctionData("addPasskey", [f.laptop.publicKey.x, f.laptop.publicKey.y]),
        f.account.interface.encodeFunctionData("removePasskey", [f.phone.publicKey.x, f.phone.publicKey.y]),
        f.account.interface.encodeFunctionData("addGuardian", [f.stranger.address]),
        f.account.interface.encodeFunctionData("removeGuardian", [f.stranger.address]),
        f.account.interface.encodeFunctionData("execute", ["0x01" + "00".repeat(31), AbiCoder.defaultAbiCoder().encode(["tuple(address,uint256,bytes)[]"], [[]])]),
      ] as const;

    it("from a wallet", async function () {
      const f = await loadFixture(accountsFixture);
      for (const data of calls(f)) {
        await expect(f.stranger.sendTransaction({ to: f.address, data })).to.be.revertedWithCustomError(f.account, "AccountUnauthorized").withArgs(f.stranger.address);
      }
    });

    it("from an intermediate contract", async function () {
      const f = await loadFixture(accountsFixture);
      const via = await f.intermediary.getAddress();
      for (const data of calls(f)) {
        await expect(f.intermediary.forward(f.address, data)).to.be.revertedWithCustomError(f.account, "AccountUnauthorized").withArgs(via);
      }
    });
  });

  describe("guardians", function () {
    it("are added and removed by the account, with events", async function () {
      const f = await loadFixture(accountsFixture);
      const [guardian] = f.signers.slice(15, 16);
      const add = await f.sign([addGuardianCall(f.address, guardian.address)]);
      await expect(f.account.executeBySig(add.calls, add.nonce, add.deadline, add.signature)).to.emit(f.account, "GuardianAdded").withArgs(guardian.address);
      expect(await f.client.isGuardian(guardian.address)).to.equal(true);
      const remove = await f.sign([removeGuardianCall(f.address, guardian.address)]);
      await expect(f.account.executeBySig(remove.calls, remove.nonce, remove.deadline, remove.signature)).to.emit(f.account, "GuardianRemoved").withArgs(guardian.address);
      expect(await f.client.isGuardian(guardian.address)).to.equal(false);
    });

    it("refuses the zero address, the account itself, a guardian twice, and removing a stranger", async function () {
      const f = await withGuardian();
      const self = await hre.ethers.getImpersonatedSigner(f.address);
      await setBalance(f.address, 10n ** 18n);
      const a = f.account.connect(self);
      await expect(a.addGuardian(ZeroAddress)).to.be.revertedWithCustomError(a, "InvalidGuardian").withArgs(ZeroAddress);
      await expect(a.addGuardian(f.address)).to.be.revertedWithCustomError(a, "InvalidGuardian").withArgs(f.address);
      await expect(a.addGuardian(f.guardian.address)).to.be.revertedWithCustomError(a, "GuardianAlreadyAdded").withArgs(f.guardian.address);
      await expect(a.removeGuardian(f.stranger.address)).to.be.revertedWithCustomError(a, "UnknownGuardian").withArgs(f.stranger.address);
    });
  });

  describe("recovery", function () {
    it("adds the guardian's proposed passkey after the delay, not before; the new passkey then signs", async function () {
      const f = await withGuardian();
      const { x, y } = f.newPhone.publicKey;
      const proposal = f.account.connect(f.guardian).proposeRecovery(x, y);
      const readyAt = (await time.latest()) + 1 + RECOVERY_DELAY_SECONDS;
      await expect(proposal).to.emit(f.account, "RecoveryProposed").withArgs(f.guardian.address, x, y, readyAt);
      expect(await f.client.pendingRecovery()).to.deep.equal({ passkey: { x, y }, guardian: f.guardian.address, readyAt });
      await time.setNextBlockTimestamp(readyAt - 1);
      await expect(f.account.completeRecovery()).to.be.revertedWithCustomError(f.account, "RecoveryNotReady").withArgs(readyAt, readyAt - 1);
      await time.setNextBlockTimestamp(readyAt);
      await expect(f.account.connect(f.stranger).completeRecovery()).to.emit(f.account, "RecoveryCompleted").withArgs(f.guardian.address, x, y);
      expect(await f.client.pendingRecovery()).to.equal(undefined);
      await f.run([removePasskeyCall(f.address, f.phone.publicKey)], f.newPhone);
      expect(await f.client.isPasskey(f.phone.publicKey)).to.equal(false);
    });

    it("completes through the SDK: a guardian proposes, anyone completes", async function () {
      const f = await withGuardian();
      const guardianClient = new (await import("../../sdk")).PatientAccountClient(f.account.connect(f.guardian));
      const { readyAt } = await (await guardianClient.proposeRecovery(f.newPhone.publicKey)).wait();
      await time.increaseTo(readyAt);
      const { passkey } = await (await f.client.completeRecovery()).wait();
      expect(passkey).to.deep.equal(f.newPhone.publicKey);
    });

    it("is cancelled by any existing passkey within the delay", async function () {
      const f = await withGuardian();
      const { x, y } = f.newPhone.publicKey;
      await f.account.connect(f.guardian).proposeRecovery(x, y);
      const cancel = await f.sign([cancelRecoveryCall(f.address)]);
      await expect(f.account.executeBySig(cancel.calls, cancel.nonce, cancel.deadline, cancel.signature))
        .to.emit(f.account, "RecoveryCancelled")
        .withArgs(f.guardian.address, x, y, f.address);
      await time.increase(RECOVERY_DELAY_SECONDS + 1);
      await expect(f.account.completeRecovery()).to.be.revertedWithCustomError(f.account, "NoRecoveryPending");
      expect(await f.client.isPasskey(f.newPhone.publicKey)).to.equal(false);
    });

    it("is cancelled by the guardian who proposed it, and by removing that guardian; not by removing another", async function () {
      const f = await withGuardian();
      const { x, y } = f.newPhone.publicKey;
      await f.account.connect(f.guardian).proposeRecovery(x, y);
      await expect(f.account.connect(f.guardian).cancelRecovery()).to.emit(f.account, "RecoveryCancelled").withArgs(f.guardian.address, x, y, f.guardian.address);
      await f.account.connect(f.guardian).proposeRecovery(x, y);
      await f.run([removeGuardianCall(f.address, f.guardian2.address)]);
      expect((await f.client.pendingRecovery())?.guardian).to.equal(f.guardian.address);
      const remove = await f.sign([removeGuardianCall(f.address, f.guardian.address)]);
      await expect(f.account.executeBySig(remove.calls, remove.nonce, remove.deadline, remove.signature))
        .to.emit(f.account, "RecoveryCancelled")
        .withArgs(f.guardian.address, x, y, f.address);
      expect(await f.client.pendingRecovery()).to.equal(undefined);
    });

    it("refuses a proposal by a non-guardian, a second pending one, a known passkey or a point off the curve", async function () {
      const f = await withGuardian();
      const { x, y } = f.newPhone.publicKey;
      await expect(f.account.connect(f.stranger).proposeRecovery(x, y)).to.be.revertedWithCustomError(f.account, "UnknownGuardian").withArgs(f.stranger.address);
      const intermediary = await f.intermediary.getAddress();
      await expect(f.intermediary.forward(f.address, f.account.interface.encodeFunctionData("proposeRecovery", [x, y])))
        .to.be.revertedWithCustomError(f.account, "UnknownGuardian")
        .withArgs(intermediary);
      await expect(f.account.connect(f.guardian).proposeRecovery(f.phone.publicKey.x, f.phone.publicKey.y)).to.be.revertedWithCustomError(f.account, "PasskeyAlreadyAdded");
      await expect(f.account.connect(f.guardian).proposeRecovery(OFF_CURVE.x, OFF_CURVE.y)).to.be.revertedWithCustomError(f.account, "InvalidPasskey");
      await f.account.connect(f.guardian).proposeRecovery(x, y);
      const readyAt = (await f.client.pendingRecovery())!.readyAt;
      await expect(f.account.connect(f.guardian2).proposeRecovery(f.laptop.publicKey.x, f.laptop.publicKey.y))
        .to.be.revertedWithCustomError(f.account, "RecoveryAlreadyPending")
        .withArgs(f.guardian.address, readyAt);
    });

    it("refuses a cancellation by anyone else, or with nothing pending", async function () {
      const f = await withGuardian();
      await expect(f.account.connect(f.guardian).cancelRecovery()).to.be.revertedWithCustomError(f.account, "NoRecoveryPending");
      await f.account.connect(f.guardian).proposeRecovery(f.newPhone.publicKey.x, f.newPhone.publicKey.y);
      await expect(f.account.connect(f.guardian2).cancelRecovery()).to.be.revertedWithCustomError(f.account, "NotRecoveryCanceller").withArgs(f.guardian2.address, f.guardian.address);
      await expect(f.intermediary.forward(f.address, f.account.interface.encodeFunctionData("cancelRecovery")))
        .to.be.revertedWithCustomError(f.account, "NotRecoveryCanceller")
        .withArgs(await f.intermediary.getAddress(), f.guardian.address);
    });

    it("is cancelled by any change of the passkeys: the proposed one added by the patient, or any removed", async function () {
      const f = await withGuardian();
      const { x, y } = f.newPhone.publicKey;
      await f.account.connect(f.guardian).proposeRecovery(x, y);
      const add = await f.sign([addPasskeyCall(f.address, f.newPhone.publicKey)]);
      await expect(f.account.executeBySig(add.calls, add.nonce, add.deadline, add.signature)).to.emit(f.account, "RecoveryCancelled").withArgs(f.guardian.address, x, y, f.address);
      expect(await f.client.pendingRecovery()).to.equal(undefined);
      await time.increase(RECOVERY_DELAY_SECONDS);
      await expect(f.account.completeRecovery()).to.be.revertedWithCustomError(f.account, "NoRecoveryPending");
      // Proposed again (another key), then a passkey removed: cancelled too.
      const third = new SoftAuthenticator();
      await f.account.connect(f.guardian2).proposeRecovery(third.publicKey.x, third.publicKey.y);
      const remove = await f.sign([removePasskeyCall(f.address, f.newPhone.publicKey)]);
      await expect(f.account.executeBySig(remove.calls, remove.nonce, remove.deadline, remove.signature))
        .to.emit(f.account, "RecoveryCancelled")
        .withArgs(f.guardian2.address, third.publicKey.x, third.publicKey.y, f.address);
      // With nothing pending, a change cancels nothing.
      const again = await f.sign([addPasskeyCall(f.address, third.publicKey)]);
      await expect(f.account.executeBySig(again.calls, again.nonce, again.deadline, again.signature)).to.not.emit(f.account, "RecoveryCancelled");
    });

    it("expires a week after it is ready: completion refused, and another guardian's proposal replaces it", async function () {
      const f = await withGuardian();
      const { x, y } = f.newPhone.publicKey;
      await f.account.connect(f.guardian).proposeRecovery(x, y);
      const readyAt = (await f.client.pendingRecovery())!.readyAt;
      const window = Number(await f.account.RECOVERY_WINDOW());
      expect(window).to.equal(7 * DAY);
      // Within the window another guardian cannot propose; one second before it closes it can still be completed.
      await time.increaseTo(Number(readyAt) + window - 2);
      await expect(f.account.connect(f.guardian2).proposeRecovery(f.laptop.publicKey.x, f.laptop.publicKey.y)).to.be.revertedWithCustomError(f.account, "RecoveryAlreadyPending");
      await time.increaseTo(Number(readyAt) + window);
      await expect(f.account.completeRecovery())
        .to.be.revertedWithCustomError(f.account, "RecoveryExpired")
        .withArgs(Number(readyAt) + window, Number(readyAt) + window + 1);
      const third = new SoftAuthenticator();
      await expect(f.account.connect(f.guardian2).proposeRecovery(third.publicKey.x, third.publicKey.y))
        .to.emit(f.account, "RecoveryCancelled")
        .withArgs(f.guardian.address, x, y, f.guardian2.address)
        .and.to.emit(f.account, "RecoveryProposed");
      await time.increase(RECOVERY_DELAY_SECONDS);
      await f.account.completeRecovery();
      expect(await f.client.isPasskey(third.publicKey)).to.equal(true);
      expect(await f.client.isPasskey(f.newPhone.publicKey)).to.equal(false);
    });

    it("completes within its window, to the second before it closes", async function () {
      const f = await withGuardian();
      const { x, y } = f.newPhone.publicKey;
      await f.account.connect(f.guardian).proposeRecovery(x, y);
      const readyAt = (await f.client.pendingRecovery())!.readyAt;
      await time.setNextBlockTimestamp(Number(readyAt) + 7 * DAY - 1);
      await expect(f.account.completeRecovery()).to.emit(f.account, "RecoveryCompleted").withArgs(f.guardian.address, x, y);
    });
  });

  describe("the ERC-4337 entry point", function () {
    async function withEntryPoint() {
      const f = await withGuardian();
      await impersonateAccount(ENTRY_POINT);
      await setBalance(ENTRY_POINT, 10n ** 18n);
      const entryPoint = await hre.ethers.getSigner(ENTRY_POINT);
      return { ...f, entryPoint, viaEntryPoint: f.account.connect(entryPoint) };
    }

    it("validates a user operation signed by a passkey (0), and refuses another signature (1)", async function () {
      const f = await withEntryPoint();
      const userOpHash = "0x" + "42".repeat(32);
      const userOp = { sender: f.address, nonce: 0n, initCode: "0x", callData: "0x", accountGasLimits: "0x" + "00".repeat(32), preVerificationGas: 0n, gasFees: "0x" + "00".repeat(32), paymasterAndData: "0x", signature: await f.phoneSigner.signDigest(userOpHash) };
      expect(await f.viaEntryPoint.validateUserOp.staticCall(userOp, userOpHash, 0n)).to.equal(0n);
      expect(await f.viaEntryPoint.validateUserOp.staticCall({ ...userOp, signature: await f.signerOf(f.laptop).signDigest(userOpHash) }, userOpHash, 0n)).to.equal(1n);
    });

    it("manages the account and executes ERC-7821 batches (as the account itself may), and cancels a pending recovery", async function () {
      const f = await withEntryPoint();
      await expect(f.viaEntryPoint.addPasskey(f.laptop.publicKey.x, f.laptop.publicKey.y)).to.emit(f.account, "PasskeyAdded");
      const call = breakGlassOptOutCall(f.book.contracts.ConsentRegistry, f.address, true);
      const batch = AbiCoder.defaultAbiCoder().encode(["tuple(address,uint256,bytes)[]"], [[[call.target, 0n, call.data]]]);
      await expect(f.viaEntryPoint.execute(concat(["0x01", "0x" + "00".repeat(31)]), batch)).to.emit(f.consent, "BreakGlassOptOutSet").withArgs(f.address, true, f.address);
      // The account itself may run an ERC-7821 batch too (a signed batch calling execute on the account).
      const optIn = breakGlassOptOutCall(f.book.contracts.ConsentRegistry, f.address, false);
      const nested = AbiCoder.defaultAbiCoder().encode(["tuple(address,uint256,bytes)[]"], [[[optIn.target, 0n, optIn.data]]]);
      const selfBatch = f.account.interface.encodeFunctionData("execute", [concat(["0x01", "0x" + "00".repeat(31)]), nested]);
      const signed = await f.sign([{ target: f.address, value: 0n, data: selfBatch }]);
      await expect(f.account.executeBySig(signed.calls, signed.nonce, signed.deadline, signed.signature)).to.emit(f.consent, "BreakGlassOptOutSet").withArgs(f.address, false, f.address);
      await f.account.connect(f.guardian).proposeRecovery(f.newPhone.publicKey.x, f.newPhone.publicKey.y);
      await expect(f.viaEntryPoint.cancelRecovery()).to.emit(f.account, "RecoveryCancelled").withArgs(f.guardian.address, f.newPhone.publicKey.x, f.newPhone.publicKey.y, ENTRY_POINT);
    });
  });
});
