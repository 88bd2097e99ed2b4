/**
 * Outside review of the passkey accounts: recovery against passkey removal and additions, the stale
 * pending slot, and a few attacks that hold (front-run createAccount, the implementation, relayed
 * cross-account replay, a batch re-entering itself).
 */
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { addGuardianCall, addPasskeyCall, removePasskeyCall } from "../../sdk";
import { PatientAccount__factory } from "../../typechain-types";
import { accountsFixture, DAY } from "./fixture";
import { SoftAuthenticator } from "../support/softAuthenticator";

async function withGuardians() {
  const f = await loadFixture(accountsFixture);
  const [guardian, guardian2] = f.signers.slice(15, 17);
  await f.run([addGuardianCall(f.address, guardian.address), addGuardianCall(f.address, guardian2.address)]);
  return { ...f, guardian, guardian2, newPhone: new SoftAuthenticator() };
}

describe("review: PatientAccount", function () {
  it("FIXED: a passkey the patient removed comes back through a stale recovery proposal (any change of the passkeys cancels a pending recovery; a proposal expires a week after it is ready)", async function () {
    const f = await withGuardians();
    const { x, y } = f.newPhone.publicKey;
    // The guardian proposes the patient's new phone; the patient adds it themselves with the old phone meanwhile.
    await f.account.connect(f.guardian).proposeRecovery(x, y);
    await f.run([addPasskeyCall(f.address, f.newPhone.publicKey)]);
    // Months later the new phone is stolen: the patient removes its passkey with the old phone.
    await time.increase(90 * DAY);
    await f.run([removePasskeyCall(f.address, f.newPhone.publicKey)]);
    expect(await f.client.isPasskey(f.newPhone.publicKey)).to.equal(false);
    // Anyone (the thief) completes the three-month-old proposal: the stolen phone's passkey is back.
    await f.account.connect(f.stranger).completeRecovery().catch(() => undefined);
    expect(await f.client.isPasskey(f.newPhone.publicKey), "the removed (stolen) passkey was re-added by completeRecovery").to.equal(false);
  });

  it("FIXED: a proposal of a passkey the patient added themselves can never complete, yet holds the single slot: another guardian cannot propose (adding the passkey cancels the proposal)", async function () {
    const f = await withGuardians();
    const { x, y } = f.newPhone.publicKey;
    await f.account.connect(f.guardian).proposeRecovery(x, y);
    await f.run([addPasskeyCall(f.address, f.newPhone.publicKey)]);
    await time.increase(3 * DAY);
    await expect(f.account.completeRecovery()).to.be.revertedWithCustomError(f.account, "NoRecoveryPending");
    // The patient later loses both devices; the first guardian is unreachable; the second guardian tries to help.
    const third = new SoftAuthenticator();
    const proposal = f.account.connect(f.guardian2).proposeRecovery(third.publicKey.x, third.publicKey.y);
    await expect(proposal, "a dead proposal (its key already a passkey) still blocks every other guardian").to.not.be.reverted;
  });

  it("HOLDS: createAccount front-run by a stranger creates the patient's own account with the patient's passkey", async function () {
    const f = await loadFixture(accountsFixture);
    const victim = new SoftAuthenticator();
    const predicted = await f.factory.predictAddress(victim.publicKey.x, victim.publicKey.y, 7n);
    await f.factory.connect(f.stranger).createAccount(victim.publicKey.x, victim.publicKey.y, 7n);
    const account = PatientAccount__factory.connect(predicted, f.stranger);
    expect(await account.isPasskey(victim.publicKey.x, victim.publicKey.y)).to.equal(true);
    expect(await account.getSignerCount()).to.equal(1n);
    await expect(account.initialize(f.laptop.publicKey.x, f.laptop.publicKey.y)).to.be.revertedWithCustomError(account, "InvalidInitialization");
    // The same call again neither reverts nor changes the account.
    await f.factory.connect(f.stranger).createAccount(victim.publicKey.x, victim.publicKey.y, 7n);
    expect(await account.getSignerCount()).to.equal(1n);
  });

  it("HOLDS: the implementation cannot be initialized (nobody takes it over)", async function () {
    const f = await loadFixture(accountsFixture);
    const impl = PatientAccount__factory.connect(await f.factory.implementation(), f.stranger);
    await expect(impl.initialize(f.laptop.publicKey.x, f.laptop.publicKey.y)).to.be.revertedWithCustomError(impl, "InvalidInitialization");
  });

  it("HOLDS: a batch signed for one account of a passkey is refused by its other account (same passkey, another salt)", async function () {
    const f = await loadFixture(accountsFixture);
    const { account: other } = await f.factoryClient.deployIfNeeded({ passkey: f.phone.publicKey, salt: 1n });
    const signed = await f.sign([addGuardianCall(other, f.stranger.address)]);
    const otherAccount = PatientAccount__factory.connect(other, f.relayer);
    await expect(otherAccount.executeBySig(signed.calls, signed.nonce, signed.deadline, signed.signature)).to.be.revertedWithCustomError(otherAccount, "InvalidExecutionSignature");
  });

  it("HOLDS: a signed batch that re-enters executeBySig with itself cannot spend its nonce twice", async function () {
    const f = await loadFixture(accountsFixture);
    const inner = await f.sign([addGuardianCall(f.address, f.stranger.address)], f.phone, { nonce: 0n });
    const reenter = { target: f.address, value: 0n, data: f.account.interface.encodeFunctionData("executeBySig", [inner.calls, inner.nonce, inner.deadline, inner.signature]) };
    const outer = await f.sign([reenter], f.phone, { nonce: 1n });
    await f.account.executeBySig(inner.calls, inner.nonce, inner.deadline, inner.signature);
    await expect(f.account.executeBySig(outer.calls, outer.nonce, outer.deadline, outer.signature)).to.be.reverted;
    expect(await f.account.isGuardian(f.stranger.address)).to.equal(true);
  });
});
