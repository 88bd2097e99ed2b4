import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import hre from "hardhat";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { deploySuite } from "../../scripts/deploy";
import { readAddressBook, Role, SUITE_CONTRACTS, writeAddressBook, type SuiteAddresses } from "../../sdk";
import { PatientAccount__factory, PatientAccountFactory__factory } from "../../typechain-types";

/** An address book whose every contract is `address`. */
function everyContractAt(address: string): SuiteAddresses {
  return Object.fromEntries(SUITE_CONTRACTS.map((name) => [name, address])) as unknown as SuiteAddresses;
}

const quiet = { log: () => undefined };

describe("scripts/deploy.ts", function () {
  let dir: string;
  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "careledger-deploy-"));
  });
  afterEach(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function freshChain() {
    return hre.ethers.provider.getBlockNumber();
  }

  it("deploys, writes the address book, and does not deploy twice", async function () {
    await loadFixture(freshChain);
    const first = await deploySuite(hre, { addressBookDir: dir, ...quiet });
    expect(first.deployed).to.equal(true);
    expect(first.file).to.equal(path.join(dir, "31337.json"));
    const book = readAddressBook(31337, dir);
    expect(book).to.deep.equal(first.book);
    expect(book!.version).to.equal(JSON.parse(fs.readFileSync("package.json", "utf8")).version);
    expect(book!.deploymentBlock).to.be.greaterThan(0);
    expect(await hre.ethers.provider.getCode(book!.contracts.ParticipantRegistry)).not.to.equal("0x");
    // The passkey accounts' verifier and factory, named in the book (the factory built on that verifier).
    expect(await hre.ethers.provider.getCode(book!.accounts!.WebAuthnVerifier)).not.to.equal("0x");
    const factory = PatientAccountFactory__factory.connect(book!.accounts!.PatientAccountFactory, hre.ethers.provider);
    expect(await PatientAccount__factory.connect(await factory.implementation(), hre.ethers.provider).webAuthnVerifier()).to.equal(book!.accounts!.WebAuthnVerifier);

    const blocks = await hre.ethers.provider.getBlockNumber();
    const lines: string[] = [];
    const second = await deploySuite(hre, { addressBookDir: dir, log: (l) => lines.push(l) });
    expect(second.deployed).to.equal(false);
    expect(second.book).to.deep.equal(first.book);
    expect(await hre.ethers.provider.getBlockNumber()).to.equal(blocks);
    expect(lines[0]).to.match(/^CareLedger 0\.1\.0 is already deployed on chain 31337 \(block \d+\); nothing to do\.$/);
  });

  it("reads the variables left empty (as .env.example has them) as unset: the deployer holds the roles, the deployment id is the default", async function () {
    await loadFixture(freshChain);
    const names = ["REGISTRAR_ADDRESS", "PAUSER_ADDRESS", "CONFIGURATOR_ADDRESS", "REGISTRAR_EXECUTION_DELAY", "CARELEDGER_DEPLOYMENT_ID"];
    const saved = names.map((n) => process.env[n]);
    for (const n of names) process.env[n] = n.endsWith("DELAY") ? " " : "";
    try {
      const lines: string[] = [];
      const { deployed, book } = await deploySuite(hre, { addressBookDir: dir, log: (l) => lines.push(l) });
      expect(deployed).to.equal(true);
      expect(lines.join("\n")).to.contain("(Ignition deployment careledger-31337)");
      const [deployer] = await hre.ethers.getSigners();
      const manager = await hre.ethers.getContractAt("AccessManager", book.contracts.AccessManager);
      for (const role of [Role.REGISTRAR, Role.PAUSER, Role.CONFIGURATOR]) expect((await manager.hasRole(role, deployer.address))[0], `role ${role}`).to.equal(true);
    } finally {
      names.forEach((n, i) => (saved[i] === undefined ? delete process.env[n] : (process.env[n] = saved[i])));
    }
  });

  it("replaces the stale address book a restarted local node left behind", async function () {
    await loadFixture(freshChain);
    const [, , , , , , , , stranger] = await hre.ethers.getSigners();
    writeAddressBook(
      { chainId: 31337, version: "0.0.1", deploymentBlock: 1, deployedAt: "then", contracts: everyContractAt(stranger.address) },
      dir,
    );
    const lines: string[] = [];
    const { deployed, book } = await deploySuite(hre, { addressBookDir: dir, log: (l) => lines.push(l) });
    expect(deployed).to.equal(true);
    expect(book.contracts.ParticipantRegistry).not.to.equal(stranger.address);
    expect(lines[0]).to.contain("The local node was restarted");
  });

  it("refuses to overwrite another chain's deployment whose contracts are not on this endpoint", async function () {
    const fake = {
      ...hre,
      network: { ...hre.network, name: "custom" },
      ethers: { ...hre.ethers, provider: { getNetwork: async () => ({ chainId: 11155111n }), getCode: async () => "0x" } },
    } as unknown as HardhatRuntimeEnvironment;
    const [a] = await hre.ethers.getSigners();
    writeAddressBook({ chainId: 11155111, version: "0.1.0", deploymentBlock: 9, deployedAt: "then", contracts: everyContractAt(a.address) }, dir);
    let message = "";
    await deploySuite(fake, { addressBookDir: dir, ...quiet }).catch((e: Error) => (message = e.message));
    expect(message).to.match(/^deployments\/11155111\.json lists contracts that have no code on this endpoint: is it the right network\? Refusing to overwrite/);
    expect(readAddressBook(11155111, dir)!.deploymentBlock).to.equal(9);
  });

  it("refuses an execution delay that is not a number of seconds", async function () {
    await loadFixture(freshChain);
    process.env.REGISTRAR_EXECUTION_DELAY = "one day";
    try {
      let message = "";
      await deploySuite(hre, { addressBookDir: null, ...quiet }).catch((e: Error) => (message = e.message));
      expect(message).to.equal('REGISTRAR_EXECUTION_DELAY must be a number of seconds (0 to 4294967295), not "one day"');
    } finally {
      delete process.env.REGISTRAR_EXECUTION_DELAY;
    }
  });

  it("names a role holder that is not an address", async function () {
    await loadFixture(freshChain);
    let message = "";
    await deploySuite(hre, { addressBookDir: null, pauser: "0x12", ...quiet }).catch((e: Error) => (message = e.message));
    expect(message).to.equal('PAUSER_ADDRESS: "0x12" is not an address');
  });
});
