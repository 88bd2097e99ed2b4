/**
 * The integrator's path over JSON-RPC, on each real EVM client a test chain can be (test/e2e/node.ts):
 * a `hardhat node` and Anvil. Deploying (scripts/deploy.ts, `npm run deploy`, `--test-token`, not twice),
 * onboarding with the SDK over HTTP and decoding a refusal must not depend on the client, nor must
 * the sentence for a sender that cannot pay (Anvil's refusal names no amounts: the SDK works them out). And
 * `--test-token` refuses a chain that is not 31337 before anything is deployed, which only Anvil can
 * show here (a `hardhat node`'s chain id is fixed by the config).
 */
import { expect } from "chai";
import * as fs from "node:fs";
import { formatEther, JsonRpcProvider, Wallet } from "ethers";
import { CareLedger, ContractRevertError, InsufficientFundsError, OrgKind, readAddressBook, type AddressBook } from "../../sdk";
import { CHAIN_CLIENTS, devWallet, hardhat, startTestChain, type TestChain } from "./node";

for (const client of CHAIN_CLIENTS) {
  describe(`[e2e] the integrator's path over JSON-RPC (${client})`, function () {
    this.timeout(300_000);
    let chain: TestChain | undefined;
    let dir: string;
    let env: NodeJS.ProcessEnv;
    let provider: JsonRpcProvider;
    let book: AddressBook;
    const wallet = (i: number) => devWallet(i, provider);

    before(async function () {
      chain = await startTestChain({ client });
      ({ dir, env, provider } = chain);
    });

    after(async function () {
      await chain?.close();
    });

    it("deploys through scripts/deploy.ts and writes the address book", async function () {
      const r = hardhat(["run", "scripts/deploy.ts", "--network", "localhost"], env);
      expect(r.status, r.stderr + r.stdout).to.equal(0);
      expect(r.stdout).to.contain("Deploying CareLedger to chain 31337");
      book = readAddressBook(31337, dir)!;
      expect(book.chainId).to.equal(31337);
      for (const address of Object.values(book.contracts)) expect(await provider.getCode(address)).not.to.equal("0x");
    });

    it("deploys an allow-listed test stablecoin on request (--test-token), once, for trying claims without the demo", async function () {
      const r = hardhat(["deploy", "--test-token", "--network", "localhost"], env);
      expect(r.status, r.stderr + r.stdout).to.equal(0);
      const withToken = readAddressBook(31337, dir)!;
      expect(withToken.contracts).to.deep.equal(book.contracts);
      expect(withToken.testToken).to.match(/^0x[0-9a-fA-F]{40}$/);
      const cl = await CareLedger.connect(wallet(0), { addressBookDir: dir });
      expect(await cl.claims.isTokenAllowed(withToken.testToken!)).to.equal(true);
      const again = hardhat(["deploy", "--test-token", "--network", "localhost"], env);
      expect(again.stdout).to.contain(`The test token is already deployed at ${withToken.testToken}`);
      expect(readAddressBook(31337, dir)).to.deep.equal(withToken);
      book = withToken;
    });

    it("does not deploy twice", async function () {
      const before = await provider.getBlockNumber();
      const r = hardhat(["run", "scripts/deploy.ts", "--network", "localhost"], env);
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.contain("is already deployed on chain 31337");
      expect(readAddressBook(31337, dir)).to.deep.equal(book);
      expect(await provider.getBlockNumber()).to.equal(before);
    });

    it("onboards an organization and a member with the SDK over HTTP", async function () {
      const registrar = await CareLedger.connect(wallet(0), { addressBookDir: dir });
      const { orgId } = await (await registrar.participants.registerOrganization({ kind: "provider", metadata: { name: "E2E Hospital" }, admin: wallet(3).address })).wait();
      expect(orgId).to.equal(1n);
      const admin = await CareLedger.connect(wallet(3), { addressBookDir: dir });
      await (await admin.participants.addMember({ orgId, account: wallet(6).address })).wait();

      const reader = await CareLedger.connect(provider, { addressBookDir: dir });
      expect(await reader.participants.isActiveMember(wallet(6).address)).to.deep.equal({ active: true, orgId, kind: OrgKind.Provider });
      expect((await reader.participants.members(orgId)).map((m) => m.account).sort()).to.deep.equal([wallet(3).address, wallet(6).address].sort());
    });

    it("decodes a refusal over HTTP into the typed error", async function () {
      const admin = await CareLedger.connect(wallet(3), { addressBookDir: dir });
      const err = await admin.participants.addMember({ orgId: 1, account: wallet(6).address }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ContractRevertError);
      expect((err as ContractRevertError).errorName).to.equal("AlreadyMember");
      expect((err as ContractRevertError).args).to.deep.equal({ account: wallet(6).address, orgId: 1n });
    });

    it("names the account and its shortfall when the sender cannot pay, over HTTP (InsufficientFundsError), and sends nothing", async function () {
      const broke = Wallet.createRandom().connect(provider);
      const cl = await CareLedger.connect(broke, { addressBookDir: dir });
      // A patient's own grant: a call that would succeed, but for the gas.
      const validUntil = (await provider.getBlock("latest"))!.timestamp + 86_400;
      const err = await cl.consent.grant({ grantee: book.contracts.AccessManager, classes: ["labs"], purposes: ["TREAT"], validUntil, commitment: "0x" + "11".repeat(32) }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(InsufficientFundsError);
      const funds = err as InsufficientFundsError;
      expect([funds.code, funds.account, funds.balance]).to.deep.equal(["INSUFFICIENT_FUNDS", broke.address, 0n]);
      expect(funds.required! > 0n && funds.shortfall === funds.required, funds.message).to.equal(true);
      expect(funds.message).to.equal(`account ${broke.address} cannot pay for this transaction: it holds 0.0 ETH and needs ${formatEther(funds.required!)} ETH for gas and value, ${formatEther(funds.shortfall!)} ETH short; fund it and send again (nothing was sent)`);
      expect(await provider.getTransactionCount(broke.address)).to.equal(0);
    });

    it("runs the operator's tasks against the node", async function () {
      const added = hardhat(["participants:add-member", "--org", "1", "--account", wallet(7).address, "--from", "3", "--network", "localhost"], env);
      expect(added.status, added.stderr).to.equal(0);
      expect(JSON.parse(added.stdout.trim().split("\n").pop()!)).to.include({ orgId: "1", account: wallet(7).address, isAdmin: false });
      const shown = hardhat(["participants:show", "--org", "1", "--network", "localhost"], env);
      expect(shown.status, shown.stderr).to.equal(0);
      const org = JSON.parse(shown.stdout.trim().split("\n").pop()!);
      expect([org.kind, org.memberCount]).to.deep.equal(["provider", 3]);
    });

    it("tells an operator which variable to set for a network that is not configured", function () {
      const r = hardhat(["run", "scripts/deploy.ts", "--network", "sepolia"], { SEPOLIA_RPC_URL: "" });
      expect(r.status).not.to.equal(0);
      expect(r.stderr + r.stdout).to.contain("SEPOLIA_RPC_URL is not set: copy .env.example to .env");
    });
  });
}

describe("[e2e] --test-token refuses a chain that is not 31337 (anvil, chain 1337)", function () {
  this.timeout(120_000);
  let chain: TestChain | undefined;

  before(async function () {
    chain = await startTestChain({ client: "anvil", chainId: 1337 });
  });

  after(async function () {
    await chain?.close();
  });

  it("exits 1 with one line naming the chain and --test-token, and deploys nothing", async function () {
    const { env, provider, dir, journal } = chain!;
    expect(Number((await provider.getNetwork()).chainId)).to.equal(1337);
    const r = hardhat(["deploy", "--test-token", "--network", "localhost"], env);
    const out = `${r.stdout}\n${r.stderr}`.replace(/\u001b\[[0-9;]*m/g, "").split("\n").filter((l) => l.trim() !== "");
    expect(r.status, out.join("\n")).to.equal(1);
    expect(out, "one line, no stack trace").to.have.length(1);
    expect(out[0]).to.equal(
      "Error USAGE: --test-token deploys a test stablecoin on a local chain (31337) only; chain 1337 is not one: allow a real stablecoin there (claims.setTokenAllowed)",
    );
    expect(fs.readdirSync(dir), "no address book").to.deep.equal([]);
    expect(fs.existsSync(journal), "no Ignition journal").to.equal(false);
    expect(await provider.getBlockNumber(), "no transaction").to.equal(0);
  });
});
