/**
 * The relayer as an operator runs it (`npm run relayer`'s program, relayer/main.ts, a process of its own),
 * on each real EVM client (a `hardhat node` and Anvil), spoken to over HTTP by the SDK's RelayerClient:
 * a patient's signed grant relayed and confirmed; a brand-new passkey patient's first grant deploying their
 * account, then a second passkey added and a break-glass opt-out it signed (`accountExecute`); a relayer killed with SIGKILL after writing its
 * transaction — once while the transaction waits in the node's pool, once with the transaction lost (as if
 * killed before broadcasting it) — settles each action exactly once after it restarts; two instances with
 * their own keys on one PostgreSQL database submit each action once.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { addPasskeyCall, breakGlassOptOutCall, CareLedger, OrgKind, PasskeySigner, PatientAccountClient, RelayerClient, type SignedAction } from "../../sdk";
import { SoftAuthenticator } from "../support/softAuthenticator";
import { createScratchDatabase } from "../../gateway/db";
import { PG_ADMIN } from "../support/databases";
import { CHAIN_CLIENTS, devWallet, freePort, hardhat, spawnProcess, startTestChain, type SpawnedProcess, type TestChain } from "./node";

const YEAR = 365 * 86_400;
const COMMITMENT = "0x" + "c0".repeat(32);

/** Starts relayer/main.ts as `npm run relayer` does (without the compile step), as the process itself. */
async function startRelayer(env: NodeJS.ProcessEnv): Promise<SpawnedProcess> {
  const tsNode = require.resolve("ts-node/dist/bin.js");
  return spawnProcess("relayer", process.execPath, [tsNode, "--transpile-only", "relayer/main.ts"], "CareLedger relayer", { timeoutMs: 90_000, env });
}

for (const client of CHAIN_CLIENTS) {
  describe(`[e2e] the relayer over HTTP (${client})`, function () {
    this.timeout(300_000);
    let chain: TestChain | undefined;
    let relayer: SpawnedProcess | undefined;
    let dataDir: string;
    let env: NodeJS.ProcessEnv;
    let url: string;
    const w = (i: number) => devWallet(i, chain!.provider);
    const rpc = (method: string, params: unknown[] = []) => chain!.provider.send(method, params);

    /** A grant to the hospital (organization 1) signed by development account `i`, for a relayer. */
    const grantBy = async (i: number): Promise<SignedAction> => {
      const patient = await CareLedger.connect(w(i), { addressBookDir: chain!.dir });
      const now = (await chain!.provider.getBlock("latest"))!.timestamp;
      return { kind: "grant", signed: await patient.consent.signGrant({ grantee: { organization: 1n }, classes: ["labs"], purposes: ["TREAT"], validUntil: now + YEAR, commitment: COMMITMENT }, { deadline: now + 3_600 }) };
    };
    const binding = async () => {
      const c = await CareLedger.connect(chain!.provider, { addressBookDir: chain!.dir });
      return { chainId: c.chainId, verifyingContract: c.addresses.ConsentRegistry };
    };
    const until = async (what: () => Promise<boolean>, label: string) => {
      for (let i = 0; i < 300; i++) {
        if (await what()) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect.fail(`never: ${label}\n${relayer?.log() ?? ""}`);
    };

    before(async function () {
      chain = await startTestChain({ client });
      const r = hardhat(["run", "scripts/deploy.ts", "--network", "localhost"], chain.env);
      expect(r.status, r.stderr + r.stdout).to.equal(0);
      const registrar = await CareLedger.connect(w(0), { addressBookDir: chain.dir });
      await (await registrar.participants.registerOrganization({ kind: OrgKind.Provider, admin: w(3).address, metadata: { name: "hospital" } })).wait();
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "careledger-relayer-"));
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      env = { ...chain.env, RELAYER_RPC_URL: chain.node.url, RELAYER_SIGNER_KEY: w(12).privateKey, RELAYER_PORT: String(port), RELAYER_DATA_DIR: dataDir, RELAYER_POLL_MS: "200", DATABASE_URL: "" };
      relayer = await startRelayer(env);
    });

    after(async function () {
      await relayer?.stop();
      await chain?.close();
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it("relays a patient's signed grant: confirmed, paid by the relayer; its log names no patient and no signature", async function () {
      const relay = new RelayerClient(url);
      const action = await grantBy(13);
      const done = await relay.waitFor((await relay.relay(action, await binding())).id, { intervalMs: 100 });
      expect(done.status).to.equal("confirmed");
      expect((await chain!.provider.getTransaction(done.txHash!))!.from).to.equal(w(12).address);
      const log = relayer!.log().toLowerCase();
      expect(log).to.contain('"route":"/actions"');
      for (const secret of [w(13).address.slice(2), action.signed.signature.slice(2, 40)]) expect(log).not.to.contain(secret.toLowerCase());
    });

    it("a new passkey patient with no ETH: the first grant deploys the account; a second passkey is added and signs the break-glass opt-out", async function () {
      const relay = new RelayerClient(url);
      const suite = await CareLedger.connect(chain!.provider, { addressBookDir: chain!.dir });
      const [phone, laptop] = [new SoftAuthenticator(), new SoftAuthenticator()];
      const account = await suite.accounts!.factory.predictAddress(phone.publicKey, 0n);
      const signerOf = (auth: SoftAuthenticator) => new PasskeySigner({ account, passkey: auth.publicKey, verifier: suite.accounts!.verifier, assert: auth.assert }, chain!.provider);
      const patient = await CareLedger.connect(signerOf(phone), { addressBookDir: chain!.dir });
      const now = async () => (await chain!.provider.getBlock("latest"))!.timestamp;
      const signed = await patient.consent.signGrant({ grantee: { organization: 1n }, classes: ["labs"], purposes: ["TREAT"], validUntil: (await now()) + YEAR, commitment: COMMITMENT }, { deadline: (await now()) + 3_600 });
      const granted = await relay.waitFor((await relay.relay({ kind: "grant", signed }, await binding(), { account: { passkey: phone.publicKey, salt: 0n } })).id, { intervalMs: 100 });
      expect(granted).to.deep.include({ status: "confirmed" });
      expect(granted.result).to.include({ accountCreated: true, patient: account });
      expect(await chain!.provider.getCode(account)).to.not.equal("0x");

      const client = PatientAccountClient.at(account, chain!.provider);
      const onAccount = { chainId: suite.chainId, verifyingContract: account };
      const add = await client.signExecute(signerOf(phone), { calls: [addPasskeyCall(account, laptop.publicKey)], deadline: (await now()) + 3_600 });
      expect((await relay.waitFor((await relay.relay({ kind: "accountExecute", signed: add }, onAccount)).id, { intervalMs: 100 })).status).to.equal("confirmed");
      expect(await client.isPasskey(laptop.publicKey)).to.equal(true);
      const optOut = await client.signExecute(signerOf(laptop), { calls: [breakGlassOptOutCall(suite.addresses.ConsentRegistry, account, true)], deadline: (await now()) + 3_600 });
      expect((await relay.waitFor((await relay.relay({ kind: "accountExecute", signed: optOut }, onAccount)).id, { intervalMs: 100 })).status).to.equal("confirmed");
      expect(await suite.consent.contract.breakGlassOptedOut(account)).to.equal(true);
      expect(await chain!.provider.getBalance(account)).to.equal(0n);
    });

    it("a relayer killed with SIGKILL after writing its transaction settles each action exactly once after it restarts (in the pool, and lost)", async function () {
      const relay = new RelayerClient(url);
      const sentBefore = await chain!.provider.getTransactionCount(w(12).address);
      await rpc("evm_setAutomine", [false]);
      try {
        const ids: string[] = [];
        for (const [i, lose] of [
          [14, false],
          [15, true],
        ] as const) {
          const { id } = await relay.relay(await grantBy(i), await binding());
          ids.push(id);
          await until(async () => (await relay.status(id)).status === "submitted", `${id} submitted`);
          const { txHash } = await relay.status(id);
          await relayer!.kill("SIGKILL");
          // Lost: as if the relayer had died before broadcasting what it wrote.
          if (lose) await rpc(client === "anvil" ? "anvil_dropTransaction" : "hardhat_dropTransaction", [txHash]);
          relayer = await startRelayer(env);
          await until(async () => (await chain!.provider.getTransaction(txHash!)) !== null, `${txHash} in the pool`);
          await rpc("evm_mine");
          const done = await relay.waitFor(id, { intervalMs: 100 });
          expect(done.txHash).to.equal(txHash);
        }
        expect(await chain!.provider.getTransactionCount(w(12).address)).to.equal(sentBefore + 2);
      } finally {
        await rpc("evm_setAutomine", [true]);
      }
    });

    it("two instances with their own keys on one PostgreSQL database submit each action once", async function () {
      const scratch = await createScratchDatabase(PG_ADMIN, "careledger_relayer");
      const instances: { proc: SpawnedProcess; url: string }[] = [];
      try {
        for (const key of [16, 17]) {
          const port = await freePort();
          instances.push({ url: `http://127.0.0.1:${port}`, proc: await startRelayer({ ...env, DATABASE_URL: scratch.url, RELAYER_SIGNER_KEY: w(key).privateKey, RELAYER_PORT: String(port), RELAYER_INSTANCE: `i${key}`, RELAYER_POLL_MS: "100" }) });
        }
        const actions = await Promise.all([18, 19, 5, 7, 8, 9].map(grantBy));
        const b = await binding();
        // Each action posted to both instances: one row, one transaction.
        const posted = await Promise.all(actions.flatMap((a) => instances.map((i) => new RelayerClient(i.url).relay(a, b))));
        const ids = [...new Set(posted.map((p) => p.id))];
        expect(ids).to.have.length(6);
        const done = await Promise.all(ids.map((id) => new RelayerClient(instances[0].url).waitFor(id, { intervalMs: 100 })));
        expect(new Set(done.map((d) => d.txHash)).size).to.equal(6);
        const sent = (await chain!.provider.getTransactionCount(w(16).address)) + (await chain!.provider.getTransactionCount(w(17).address));
        expect(sent).to.equal(6);
      } finally {
        for (const i of instances) await i.proc.stop();
        await scratch.drop();
      }
    });
  });
}
