/**
 * PatientAccountFactory: deterministic addresses bound to the first passkey, idempotent creation, and
 * the SDK's predict and deploy-if-needed.
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre from "hardhat";
import { AbiCoder, getCreate2Address, keccak256, solidityPacked } from "ethers";
import { addPasskeyCall, CareLedger, PasskeySigner, PatientAccountClient } from "../../sdk";
import { ConsentRegistry__factory, PatientAccount__factory } from "../../typechain-types";
import { accountsFixture } from "./fixture";
import { rejection } from "../support/rejection";
import { SoftAuthenticator } from "../support/softAuthenticator";

describe("PatientAccountFactory", function () {
  describe("predictAddress", function () {
    it("is the CREATE2 address of an EIP-1167 clone, salted with the passkey and the salt", async function () {
      const f = await loadFixture(accountsFixture);
      const { x, y } = f.laptop.publicKey;
      const implementation = await f.factory.implementation();
      const initCode = solidityPacked(["bytes", "address", "bytes"], ["0x3d602d80600a3d3981f3363d3d373d3d3d363d73", implementation, "0x5af43d82803e903d91602b57fd5bf3"]);
      const salt = keccak256(AbiCoder.defaultAbiCoder().encode(["bytes32", "bytes32", "uint256"], [x, y, 3n]));
      expect(await f.factory.predictAddress(x, y, 3n)).to.equal(getCreate2Address(await f.factory.getAddress(), salt, keccak256(initCode)));
    });

    it("differs by salt and by passkey", async function () {
      const f = await loadFixture(accountsFixture);
      const a = await f.factoryClient.predictAddress(f.laptop.publicKey, 0n);
      expect(await f.factoryClient.predictAddress(f.laptop.publicKey, 1n)).to.not.equal(a);
      expect(await f.factoryClient.predictAddress(new SoftAuthenticator().publicKey, 0n)).to.not.equal(a);
      expect(await f.factoryClient.predictAddress(f.phone.publicKey, 0n)).to.equal(f.address);
    });
  });

  describe("createAccount", function () {
    it("creates the predicted account with its passkey, once, and returns it again without creating", async function () {
      const f = await loadFixture(accountsFixture);
      const { x, y } = f.laptop.publicKey;
      const predicted = await f.factory.predictAddress(x, y, 0n);
      await expect(f.factory.connect(f.stranger).createAccount(x, y, 0n)).to.emit(f.factory, "AccountCreated").withArgs(predicted, x, y, 0n);
      const account = PatientAccount__factory.connect(predicted, f.stranger);
      expect(await account.isPasskey(x, y)).to.equal(true);
      expect(await account.getSignerCount()).to.equal(1n);
      expect(await f.factory.createAccount.staticCall(x, y, 0n)).to.equal(predicted);
      await expect(f.factory.connect(f.stranger).createAccount(x, y, 0n)).to.not.emit(f.factory, "AccountCreated");
      expect(await account.getSignerCount()).to.equal(1n);
    });

    it("refuses a point off the curve", async function () {
      const f = await loadFixture(accountsFixture);
      const bad = "0x" + "01".repeat(32);
      await expect(f.factory.createAccount(bad, bad, 0n)).to.be.revertedWithCustomError(PatientAccount__factory.connect(f.address, f.stranger), "InvalidPasskey").withArgs(bad, bad);
    });
  });

  describe("the SDK's deployIfNeeded", function () {
    it("creates the account once, then returns its address without sending anything", async function () {
      const f = await loadFixture(accountsFixture);
      const first = await f.factoryClient.deployIfNeeded({ passkey: f.laptop.publicKey, salt: 9 });
      expect((await first.created!.wait()).account).to.equal(first.account);
      const before = await hre.ethers.provider.getTransactionCount(f.relayer.address);
      const again = await f.factoryClient.deployIfNeeded({ passkey: f.laptop.publicKey, salt: 9 });
      expect(again).to.deep.equal({ account: first.account });
      expect(await hre.ethers.provider.getTransactionCount(f.relayer.address)).to.equal(before);
      expect(await PatientAccountClient.at(first.account, f.relayer).isPasskey(f.laptop.publicKey)).to.equal(true);
    });

    it("refuses bad input naming the field", async function () {
      const f = await loadFixture(accountsFixture);
      expect((await rejection(f.factoryClient.predictAddress({ x: "0x12", y: f.laptop.publicKey.y }))).message).to.match(/passkey\.x/);
      expect((await rejection(f.factoryClient.predictAddress(f.laptop.publicKey, -1n))).message).to.match(/salt/);
    });
  });

  describe("createAccountAndCall", function () {
    /** A grant to the hospital signed by `auth`'s passkey for its account (salt `salt`), which need not exist yet. */
    async function passkeyGrant(f: Awaited<ReturnType<typeof accountsFixture>>, auth: SoftAuthenticator, salt = 0n) {
      const account = await f.factory.predictAddress(auth.publicKey.x, auth.publicKey.y, salt);
      const signer = new PasskeySigner({ account, passkey: auth.publicKey, verifier: f.verifierAddress, assert: auth.assert }, hre.ethers.provider);
      const ledger = await CareLedger.connect(signer, { addressBook: f.book });
      const signed = await ledger.consent.signGrant({ grantee: { organization: 1n }, classes: ["labs"], purposes: ["TREAT"], validUntil: (await f.deadline(86_400)) , commitment: "0x" + "c0".repeat(32) }, { deadline: await f.deadline() });
      const data = ConsentRegistry__factory.createInterface().encodeFunctionData("grantBySig", [signed.request, signed.signature]);
      return { account, signed, data };
    }

    it("names the consent registry it was deployed with", async function () {
      const f = await loadFixture(accountsFixture);
      expect(await f.factory.consentRegistry()).to.equal(f.book.contracts.ConsentRegistry);
    });

    it("creates a new patient's account and submits the grant its passkey signed, in one transaction", async function () {
      const f = await loadFixture(accountsFixture);
      const { account, signed, data } = await passkeyGrant(f, f.laptop);
      expect(await hre.ethers.provider.getCode(account)).to.equal("0x");
      const { x, y } = f.laptop.publicKey;
      const tx = f.factory.connect(f.stranger).createAccountAndCall(x, y, 0n, f.book.contracts.ConsentRegistry, data);
      await expect(tx).to.emit(f.factory, "AccountCreated").withArgs(account, x, y, 0n);
      await expect(tx).to.emit(f.consent, "ConsentGranted");
      expect((await f.consent.grantOf(account, signed.request.grantee)).classes).to.not.equal(0n);
    });

    it("calls an account that exists already without creating it, and returns what the call returned", async function () {
      const f = await loadFixture(accountsFixture);
      const { x, y } = f.phone.publicKey;
      const data = PatientAccount__factory.createInterface().encodeFunctionData("isPasskey", [x, y]);
      const [account, result] = await f.factory.createAccountAndCall.staticCall(x, y, 0n, f.address, data);
      expect(account).to.equal(f.address);
      expect(result).to.equal(hre.ethers.AbiCoder.defaultAbiCoder().encode(["bool"], [true]));
      const signed = await f.sign([addPasskeyCall(f.address, f.laptop.publicKey)]);
      const execute = PatientAccount__factory.createInterface().encodeFunctionData("executeBySig", [signed.calls, signed.nonce, signed.deadline, signed.signature]);
      await expect(f.factory.connect(f.stranger).createAccountAndCall(x, y, 0n, f.address, execute)).to.emit(f.account, "PasskeyAdded").and.not.emit(f.factory, "AccountCreated");
      expect(await f.account.isPasskey(f.laptop.publicKey.x, f.laptop.publicKey.y)).to.equal(true);
    });

    it("refuses a target that is neither the account nor the consent registry", async function () {
      const f = await loadFixture(accountsFixture);
      const { x, y } = f.laptop.publicKey;
      for (const target of [f.stranger.address, await f.factory.getAddress(), f.address]) {
        await expect(f.factory.createAccountAndCall(x, y, 0n, target, "0x")).to.be.revertedWithCustomError(f.factory, "UnsafeTarget").withArgs(target);
      }
    });

    it("reverts with the call's own error, creating nothing", async function () {
      const f = await loadFixture(accountsFixture);
      const { account, data } = await passkeyGrant(f, f.laptop, 5n);
      const { x, y } = f.phone.publicKey; // another passkey's account: the grant's signature is not its own
      const other = await f.factory.predictAddress(x, y, 5n);
      const wrong = data.replace(account.slice(2).toLowerCase(), other.slice(2).toLowerCase());
      await expect(f.factory.createAccountAndCall(x, y, 5n, f.book.contracts.ConsentRegistry, wrong)).to.be.revertedWithCustomError(f.consent, "InvalidSignature");
      expect(await hre.ethers.provider.getCode(other)).to.equal("0x");
    });
  });
});
