import { expect } from "chai";
import { JsonRpcProvider } from "ethers";
import { CareLedger, ContractRevertError, OrgKind, readAddressBook, type AddressBook } from "../../sdk";
import { devWallet, hardhat, startTestChain, type TestChain } from "./node";

describe("[e2e] the integrator's path over JSON-RPC", function () {
  this.timeout(300_000);
  let chain: TestChain | undefined;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let provider: JsonRpcProvider;
  let book: AddressBook;
  const wallet = (i: number) => devWallet(i, provider);

  before(async function () {
    chain = await startTestChain();
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
