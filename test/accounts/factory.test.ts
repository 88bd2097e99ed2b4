/**
 * PatientAccountFactory: deterministic addresses bound to the first passkey, idempotent creation, and
 * the SDK's predict and deploy-if-needed.
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre from "hardhat";
import { AbiCoder, getCreate2Address, keccak256, solidityPacked } from "ethers";
import { PatientAccountClient } from "../../sdk";
import { PatientAccount__factory } from "../../typechain-types";
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
});
