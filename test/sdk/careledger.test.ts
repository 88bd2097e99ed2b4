import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import hre from "hardhat";
import { CareLedger, CareLedgerError, parseAddressBook, readAddressBook, UnsupportedChainError, ValidationError, writeAddressBook } from "../../sdk";
import { deployFixture } from "../support/fixtures";

async function rejection(p: Promise<unknown>): Promise<CareLedgerError> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(CareLedgerError);
    return err as CareLedgerError;
  }
  throw new Error("expected a rejection");
}

describe("CareLedger.connect", function () {
  let dir: string;
  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "careledger-book-"));
  });
  afterEach(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("takes the addresses from the address book of the connected chain", async function () {
    const { book, deployer } = await loadFixture(deployFixture);
    writeAddressBook(book, dir);
    const cl = await CareLedger.connect(deployer, { addressBookDir: dir });
    expect(cl.chainId).to.equal(31337n);
    expect(cl.addresses).to.deep.equal(book.contracts);
    expect(cl.fromBlock).to.equal(book.deploymentBlock);
    expect(cl.participants.address).to.equal(book.contracts.ParticipantRegistry);
    expect(cl.governance.address).to.equal(book.contracts.AccessManager);
  });

  it("connects a read-only Provider as well as a Signer", async function () {
    const { book } = await loadFixture(deployFixture);
    const cl = await CareLedger.connect(hre.ethers.provider, { addressBook: book, fromBlock: 0 });
    expect(cl.fromBlock).to.equal(0);
    expect(await cl.participants.organizationCount()).to.equal(0n);
  });

  it("lets explicit addresses override the book", async function () {
    const { book, deployer } = await loadFixture(deployFixture);
    const cl = await CareLedger.connect(deployer, { addresses: { ...book.contracts }, addressBookDir: dir });
    expect(cl.addresses).to.deep.equal(book.contracts);
    expect(cl.fromBlock).to.equal(0);
  });

  it("refuses a chain it has no addresses for, saying how to get them", async function () {
    const { deployer } = await loadFixture(deployFixture);
    const err = await rejection(CareLedger.connect(deployer, { addressBookDir: dir }));
    expect(err).to.be.instanceOf(UnsupportedChainError);
    expect(err.code).to.equal("UNSUPPORTED_CHAIN");
    expect(err.message).to.equal(
      "CareLedger has no addresses for chain 31337: no address for AccessManager: deploy with `npm run deploy -- --network <name>`, or pass options.addresses",
    );
  });

  it("refuses an address book written for another chain", async function () {
    const { book, deployer } = await loadFixture(deployFixture);
    const err = await rejection(CareLedger.connect(deployer, { addressBook: { ...book, chainId: 11155111 } }));
    expect(err.message).to.contain("the address book given is for chain 11155111");
  });

  it("refuses addresses with no contract behind them", async function () {
    const { book, deployer, outsider } = await loadFixture(deployFixture);
    const err = await rejection(CareLedger.connect(deployer, { addressBook: book, addresses: { ParticipantRegistry: outsider.address } }));
    expect(err).to.be.instanceOf(UnsupportedChainError);
    expect(err.message).to.contain(`there is no contract at ${outsider.address} (ParticipantRegistry)`);
  });

  it("names the explicit address that is not one", async function () {
    const { book, deployer } = await loadFixture(deployFixture);
    const err = await rejection(CareLedger.connect(deployer, { addressBook: book, addresses: { AccessManager: "0xabc" } }));
    expect(err).to.be.instanceOf(ValidationError);
    expect((err as ValidationError).field).to.equal("addresses.AccessManager");
  });

  it("refuses a Signer that has no Provider", async function () {
    const err = await rejection(CareLedger.connect(hre.ethers.Wallet.createRandom()));
    expect(err.code).to.equal("NO_PROVIDER");
  });

  describe("address books", function () {
    it("round-trips through a file and reads nothing for an unknown chain", async function () {
      const { book } = await loadFixture(deployFixture);
      const file = writeAddressBook(book, path.join(dir, "nested"));
      expect(path.basename(file)).to.equal("31337.json");
      expect(readAddressBook(31337, path.join(dir, "nested"))).to.deep.equal(book);
      expect(readAddressBook(1, dir)).to.equal(undefined);
    });

    it("reports a corrupt file and names a malformed field", async function () {
      const { book } = await loadFixture(deployFixture);
      fs.writeFileSync(path.join(dir, "5.json"), "{ not json");
      expect(() => readAddressBook(5, dir)).to.throw(CareLedgerError, /5\.json is not valid JSON/);
      const bad = (patch: object) => () => parseAddressBook({ ...book, ...patch });
      expect(bad({ chainId: "x" })).to.throw(ValidationError, /^addressBook\.chainId/);
      expect(bad({ version: 1 })).to.throw(ValidationError, /^addressBook\.version/);
      expect(bad({ deploymentBlock: null })).to.throw(ValidationError, /^addressBook\.deploymentBlock/);
      expect(bad({ contracts: undefined })).to.throw(ValidationError, /^addressBook\.contracts/);
      expect(bad({ contracts: { ...book.contracts, ParticipantRegistry: "0x1" } })).to.throw(ValidationError, /^addressBook\.contracts\.ParticipantRegistry/);
      expect(() => parseAddressBook(null)).to.throw(ValidationError, /^addressBook:/);
    });
  });
});
