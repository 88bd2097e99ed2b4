/**
 * The passkey accounts' contracts in the deployment: the Ignition module deploys the WebAuthn verifier and
 * the factory, the address book names them, and `CareLedger.connect` finds them.
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre from "hardhat";
import { CareLedger, parseAddressBook } from "../../sdk";
import { accountsFixture } from "./fixture";

describe("passkey accounts in the deployment", function () {
  it("are deployed with the suite and named by its address book; connect finds them", async function () {
    const f = await loadFixture(accountsFixture);
    expect(await hre.ethers.provider.getCode(f.book.accounts!.WebAuthnVerifier)).to.not.equal("0x");
    expect(await f.factory.implementation()).to.not.equal(hre.ethers.ZeroAddress);
    expect(f.patientLedger.accounts!.verifier).to.equal(f.book.accounts!.WebAuthnVerifier);
    expect(await f.patientLedger.accounts!.factory.predictAddress(f.phone.publicKey)).to.equal(f.address);
    expect(await f.patientLedger.accounts!.at(f.address).isPasskey(f.phone.publicKey)).to.equal(true);
    expect(await (await f.factory.implementation().then((a) => hre.ethers.getContractAt("PatientAccount", a))).webAuthnVerifier()).to.equal(f.verifierAddress);
  });

  it("is absent from a connection whose address book was written before them", async function () {
    const f = await loadFixture(accountsFixture);
    const { accounts: _accounts, ...older } = f.book;
    expect((await CareLedger.connect(f.relayer, { addressBook: older })).accounts).to.equal(undefined);
    const given = await CareLedger.connect(f.relayer, { addressBook: older, accounts: f.book.accounts! });
    expect(given.accounts!.factory.contract.target).to.equal(f.book.accounts!.PatientAccountFactory);
  });

  it("an address book naming them wrongly is refused, naming the field", async function () {
    const f = await loadFixture(accountsFixture);
    expect(() => parseAddressBook({ ...f.book, accounts: { ...f.book.accounts!, PatientAccountFactory: "0x12" } })).to.throw(/addressBook\.accounts\.PatientAccountFactory/);
    expect(() => parseAddressBook({ ...f.book, accounts: "nowhere" })).to.throw(/addressBook\.accounts: is not an object/);
    expect(parseAddressBook(f.book)).to.deep.equal(f.book);
  });
});
