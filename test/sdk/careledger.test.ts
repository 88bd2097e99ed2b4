import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import hre from "hardhat";
import { formatEther, JsonRpcProvider, Wallet } from "ethers";
import {
  addressBookDirs,
  CareLedger,
  CareLedgerError,
  DEFAULT_ADDRESS_BOOK_DIR,
  findAddressBook,
  findInsufficientFunds,
  InsufficientFundsError,
  NodeUnreachableError,
  parseAddressBook,
  readAddressBook,
  UnsupportedChainError,
  ValidationError,
  writeAddressBook,
} from "../../sdk";
import { deployFixture } from "../support/fixtures";
import { freePort } from "../e2e/node";

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
      `CareLedger has no addresses for chain 31337: no address for AccessManager (no address book: looked for ${path.join(dir, "31337.json")}): ` +
        "deploy the suite to this chain (in a CareLedger checkout: `npm run deploy -- --network <name>`, which writes deployments/<chainId>.json there), or pass options.addressBook, options.addressBookDir (or CARELEDGER_DEPLOYMENTS_DIR) or options.addresses",
    );
  });

  it("looks in CARELEDGER_DEPLOYMENTS_DIR, then the project's ./deployments, then the package's own, and says where it looked", async function () {
    const { book, deployer } = await loadFixture(deployFixture);
    const project = fs.mkdtempSync(path.join(os.tmpdir(), "careledger-project-"));
    try {
      // An outside project: its own deployments/ is found from its working directory.
      expect(addressBookDirs(undefined, {}, project)).to.deep.equal([path.join(project, "deployments"), DEFAULT_ADDRESS_BOOK_DIR]);
      expect(addressBookDirs(undefined, { CARELEDGER_DEPLOYMENTS_DIR: dir }, project)).to.deep.equal([dir, path.join(project, "deployments"), DEFAULT_ADDRESS_BOOK_DIR]);
      expect(addressBookDirs("books", { CARELEDGER_DEPLOYMENTS_DIR: dir }, project)).to.deep.equal([path.join(project, "books")]);
      expect(findAddressBook(31337, [dir, path.join(project, "deployments")])).to.equal(undefined);
      const file = writeAddressBook(book, path.join(project, "deployments"));
      expect(findAddressBook(31337, [dir, path.join(project, "deployments")])).to.deep.equal({ book, file });
      // connect reads CARELEDGER_DEPLOYMENTS_DIR itself.
      const before = process.env.CARELEDGER_DEPLOYMENTS_DIR;
      process.env.CARELEDGER_DEPLOYMENTS_DIR = path.join(project, "deployments");
      try {
        expect((await CareLedger.connect(deployer)).addresses).to.deep.equal(book.contracts);
      } finally {
        if (before === undefined) delete process.env.CARELEDGER_DEPLOYMENTS_DIR;
        else process.env.CARELEDGER_DEPLOYMENTS_DIR = before;
      }
    } finally {
      fs.rmSync(project, { recursive: true, force: true });
    }
  });

  it("names the URL of a node that does not answer (NodeUnreachableError)", async function () {
    const url = `http://127.0.0.1:${await freePort()}`; // bound, then closed: nothing listens
    const provider = new JsonRpcProvider(url, undefined, { staticNetwork: false });
    try {
      const err = await rejection(CareLedger.connect(provider));
      expect(err).to.be.instanceOf(NodeUnreachableError);
      expect(err).to.include({ code: "NODE_UNREACHABLE", url });
      expect(err.message).to.match(new RegExp(`^the node at ${url.replace(/[.]/g, "\\.")} could not be reached \\(ECONNREFUSED\\)`));
    } finally {
      provider.destroy();
    }
  });

  it("names the account and its shortfall when the sender cannot pay (InsufficientFundsError), and sends nothing", async function () {
    const { book } = await loadFixture(deployFixture);
    const broke = Wallet.createRandom().connect(hre.ethers.provider);
    const cl = await CareLedger.connect(broke, { addressBook: book });
    // A patient's own grant: a call that would succeed, but for the gas.
    const validUntil = (await hre.ethers.provider.getBlock("latest"))!.timestamp + 86_400;
    const err = await rejection(cl.consent.grant({ grantee: book.contracts.AccessManager, classes: ["labs"], purposes: ["TREAT"], validUntil, commitment: "0x" + "11".repeat(32) }));
    expect(err).to.be.instanceOf(InsufficientFundsError);
    const funds = err as InsufficientFundsError;
    expect([funds.code, funds.account, funds.balance]).to.deep.equal(["INSUFFICIENT_FUNDS", broke.address, 0n]);
    expect(funds.required! > 0n && funds.shortfall === funds.required).to.equal(true);
    expect(funds.message).to.equal(`account ${broke.address} cannot pay for this transaction: it holds 0.0 ETH and needs ${formatEther(funds.required!)} ETH for gas and value, ${formatEther(funds.shortfall!)} ETH short; fund it and send again (nothing was sent)`);
    expect(await hre.ethers.provider.getTransactionCount(broke.address)).to.equal(0);
  });

  it("reads geth's and anvil's insufficient-funds refusals too", async function () {
    const geth = findInsufficientFunds({ code: -32000, message: "insufficient funds for gas * price + value: address 0x00000000000000000000000000000000000000Aa have 5 want 12" });
    expect([geth?.account, geth?.balance, geth?.required, geth?.shortfall]).to.deep.equal(["0x00000000000000000000000000000000000000Aa", 5n, 12n, 7n]);
    const bare = findInsufficientFunds({ error: { message: "insufficient funds for gas * price + value: have 0 want 21000000" } });
    expect([bare?.account, bare?.balance, bare?.required]).to.deep.equal([undefined, 0n, 21_000_000n]);
    // Anvil (1.7.1) names no amounts: the sender and the up-front cost come from the signed
    // transaction ethers attaches to the refused eth_sendRawTransaction.
    const sender = Wallet.createRandom();
    const raw = await sender.signTransaction({ type: 2, chainId: 31337, nonce: 0, to: sender.address, value: 5n, gasLimit: 21_000n, maxFeePerGas: 2_000_000_000n, maxPriorityFeePerGas: 1n });
    const anvil = findInsufficientFunds({ code: "INSUFFICIENT_FUNDS", transaction: raw, info: { error: { code: -32003, message: "Insufficient funds for gas * price + value" } } });
    expect([anvil?.account, anvil?.balance, anvil?.required]).to.deep.equal([sender.address, undefined, 21_000n * 2_000_000_000n + 5n]);
    const ethers = findInsufficientFunds({ code: "INSUFFICIENT_FUNDS", transaction: { from: "0x00000000000000000000000000000000000000bB" } });
    expect([ethers?.account, ethers?.balance, ethers?.message]).to.deep.equal(["0x00000000000000000000000000000000000000bB", undefined, "account 0x00000000000000000000000000000000000000bB cannot pay for this transaction for gas and value; fund it and send again (nothing was sent)"]);
    expect(findInsufficientFunds(new Error("execution reverted"))).to.equal(undefined);
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
