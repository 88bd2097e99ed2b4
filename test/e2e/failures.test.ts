/**
 * Failure behaviour over JSON-RPC, against a `hardhat node` of the test's own: a node that goes away
 * mid-batch, a dropped transaction, a replaced transaction, a nonce gap, a transaction that reverts in
 * the middle of a batch of claims. Each failure is made deterministically with the node's own methods
 * (evm_setAutomine / evm_mine, hardhat_dropTransaction, a same-nonce replacement, an explicit nonce)
 * and, for "the node goes away", with a loopback proxy between the task and the node that stops
 * answering after forwarding a chosen transaction. Every test checks the typed error, that the task
 * resumes where it stopped, and that nothing was submitted twice.
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { hexlify, JsonRpcProvider, randomBytes } from "ethers";
import {
  CareLedger,
  claimIdOf,
  fromFhirClaim,
  NodeUnreachableError,
  NonceGapError,
  planFromJson,
  readAddressBook,
  readClaimsFile,
  TransactionDroppedError,
  TransactionReplacedError,
  type ClaimSubmission,
} from "../../sdk";
import { MockStablecoin__factory } from "../../typechain-types";
import { devWallet, freePort, hardhat, ROOT, startNode, type LocalNode } from "./node";

const RAYMON = path.resolve(ROOT, "../shared/fixtures/fhir/claims/Raymon_Kris_ca5da59f-0a70-470d-8b20-a1c847ff9010.json");
const PLAN = path.resolve(ROOT, "test/fixtures/plans/demo-plan.json");

/** Account indexes of the dev mnemonic. */
const DEPLOYER = 0;
const HOSPITAL_ADMIN = 3;
const INSURER_ADMIN = 4;
const DOCTOR = 6; // the task's signer (--from 6)
const PATIENT = 7;
const PAYEE = 8;
const NURSE = 9; // another hospital member: retracts evidence, sends the SDK-level failures

/**
 * A JSON-RPC proxy on a free loopback port. `afterSend(n)` runs after the n-th transaction was
 * forwarded to the node and answered; returning "down" makes the proxy drop that answer (the client
 * sees its connection reset) and every later request, until `up()`.
 */
class RpcProxy {
  down = false;
  sends = 0;
  afterSend?: (n: number) => Promise<"down" | void>;
  #server?: http.Server;
  url = "";

  constructor(readonly target: string) {}

  async start(): Promise<void> {
    const port = await freePort();
    this.#server = http.createServer((req, res) => {
      if (this.down) return void req.socket.destroy();
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        void (async () => {
          const body = Buffer.concat(chunks).toString();
          const calls = ([] as { method?: string }[]).concat(JSON.parse(body) as { method?: string });
          const isSend = calls.some((c) => c.method === "eth_sendTransaction" || c.method === "eth_sendRawTransaction");
          const answer = await fetch(this.target, { method: "POST", headers: { "content-type": "application/json" }, body }).then((r) => r.text());
          if (isSend && this.afterSend && (await this.afterSend(++this.sends)) === "down") {
            this.down = true;
            return void req.socket.destroy();
          }
          if (this.down) return void req.socket.destroy();
          res.writeHead(200, { "content-type": "application/json" }).end(answer);
        })().catch(() => req.socket.destroy());
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(port, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${port}`;
  }

  up(): void {
    this.down = false;
    this.sends = 0;
    this.afterSend = undefined;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}

/** Runs a task asynchronously; `onStderr` sees its stderr as it comes. */
function runTask(args: string[], env: NodeJS.ProcessEnv, onStderr?: (text: string) => void): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const e = { ...process.env, ...env };
    delete e.HARDHAT_NETWORK;
    const child = spawn("npx", ["hardhat", ...args], { cwd: ROOT, env: e });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
      onStderr?.(stderr);
    });
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

const jsonLines = (out: string) =>
  out
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe("[e2e] failures: node loss, dropped, replaced and gapped transactions, reverts mid-batch", function () {
  this.timeout(300_000);
  let node: LocalNode | undefined;
  let proxy: RpcProxy | undefined;
  let dir: string;
  let deploymentId: string;
  let provider: JsonRpcProvider;
  let book: NonNullable<ReturnType<typeof readAddressBook>>;
  let planId: bigint;
  const wallet = (i: number) => devWallet(i, provider);
  const sdk = (i: number) => CareLedger.connect(wallet(i), { addressBook: book });
  const rpc = (method: string, params: unknown[] = []) => provider.send(method, params);
  /** The claims of Raymon's bundle, in the order the task submits them (by service date). */
  let claims: { claim: Record<string, unknown>; submission: (evidence: string) => ClaimSubmission }[];

  /** Anchors a fresh evidence commitment as the hospital (the nurse) and returns it. */
  async function anchorEvidence(): Promise<string> {
    const commitment = hexlify(randomBytes(32));
    await (await (await sdk(NURSE)).records.anchor({ commitment })).wait();
    return commitment;
  }

  /** Writes `picked` as an NDJSON claims file and its evidence map; returns their paths and claim ids. */
  async function claimsFile(name: string, picked: typeof claims) {
    const evidence: Record<string, string> = {};
    for (const c of picked) evidence[String(c.claim.id)] = await anchorEvidence();
    const file = path.join(dir, `${name}.ndjson`);
    fs.writeFileSync(file, picked.map((c) => JSON.stringify(c.claim)).join("\n") + "\n");
    const evidenceFile = path.join(dir, `${name}.evidence.json`);
    fs.writeFileSync(evidenceFile, JSON.stringify(evidence));
    const ids = picked.map((c) => claimIdOf(c.submission(evidence[String(c.claim.id)])));
    return { file, evidenceFile, evidence, ids };
  }

  /** How many ClaimSubmitted events each claim id has on chain. */
  async function submittedCounts(ids: string[]): Promise<number[]> {
    const reader = await CareLedger.connect(provider, { addressBook: book });
    const c = reader.claims.contract;
    return Promise.all(ids.map(async (id) => (await c.queryFilter(c.filters.ClaimSubmitted(id), book.deploymentBlock ?? 0)).length));
  }

  const taskEnv = (url: string): NodeJS.ProcessEnv => ({ LOCALHOST_RPC_URL: url, CARELEDGER_DEPLOYMENTS_DIR: dir, CARELEDGER_DEPLOYMENT_ID: deploymentId });
  const submitArgs = (f: { file: string; evidenceFile: string }) => [
    "claims:submit",
    "--file",
    f.file,
    "--plan",
    String(planId),
    "--provider",
    "1",
    "--member",
    wallet(PATIENT).address,
    "--evidence",
    f.evidenceFile,
    "--from",
    String(DOCTOR),
    "--network",
    "localhost",
  ];

  before(async function () {
    const port = await freePort();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "careledger-failures-"));
    deploymentId = `e2e-failures-31337-${port}`;
    node = await startNode(port);
    provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true, pollingInterval: 50, cacheTimeout: -1 });
    const r = hardhat(["run", "scripts/deploy.ts", "--network", "localhost"], taskEnv(node.url));
    expect(r.status, r.stderr + r.stdout).to.equal(0);
    book = readAddressBook(31337, dir)!;

    // The world: a hospital (doctor, nurse), an insurer with the demo plan, funded; the patient enrolled.
    const registrar = await sdk(DEPLOYER);
    await (await registrar.participants.registerOrganization({ kind: "provider", metadata: { name: "Failures Hospital" }, admin: wallet(HOSPITAL_ADMIN).address })).wait();
    await (await registrar.participants.registerOrganization({ kind: "insurer", metadata: { name: "Failures Insurer" }, admin: wallet(INSURER_ADMIN).address })).wait();
    const hospital = await sdk(HOSPITAL_ADMIN);
    await (await hospital.participants.addMember({ orgId: 1, account: wallet(DOCTOR).address })).wait();
    await (await hospital.participants.addMember({ orgId: 1, account: wallet(NURSE).address })).wait();
    await (await hospital.claims.setPayee({ payee: wallet(PAYEE).address })).wait();
    const token = await new MockStablecoin__factory(wallet(DEPLOYER)).deploy();
    await token.waitForDeployment();
    await (await registrar.claims.setTokenAllowed({ token: await token.getAddress(), allowed: true })).wait();
    await (await token.mint(wallet(INSURER_ADMIN).address, 10n ** 12n)).wait();
    const insurer = await sdk(INSURER_ADMIN);
    const { terms, benefits } = planFromJson(JSON.parse(fs.readFileSync(PLAN, "utf8")), await token.getAddress());
    ({ planId } = await insurer.claims.createPlanWithBenefits({ terms, benefits }));
    await (await insurer.claims.fund({ planId, amount: 500_000n * 10n ** 6n })).wait();
    await (await insurer.claims.enroll({ planId, member: wallet(PATIENT).address, start: "1980-01-01", end: "2030-12-31" })).wait();

    // Claims that stand alone in an NDJSON file (a pharmacy claim needs its Bundle's MedicationRequest).
    claims = readClaimsFile(RAYMON)
      .filter(({ claim }) => (claim as Record<string, unknown>).prescription === undefined)
      .map(({ claim, reference }) => ({
        claim: claim as Record<string, unknown>,
        submission: (evidence: string) =>
          fromFhirClaim(claim, { resolve: { member: () => wallet(PATIENT).address, provider: () => 1n, plan: () => planId, evidence: () => evidence, reference } }),
      }))
      .sort((a, b) => a.submission(hexlify(randomBytes(32))).serviceDate - b.submission(hexlify(randomBytes(32))).serviceDate);
  });

  after(async function () {
    // ethers' own wait() of a transaction the SDK already reported (dropped, replaced) still listens
    // for blocks: stop its listeners and let a request in flight finish before destroying the provider.
    await provider?.removeAllListeners();
    await new Promise((resolve) => setTimeout(resolve, 300));
    provider?.destroy();
    await proxy?.stop();
    await node?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    if (deploymentId) fs.rmSync(path.join(ROOT, "ignition", "deployments", deploymentId), { recursive: true, force: true });
  });

  afterEach(async function () {
    // Whatever a test did to mining, the next one starts with automine on and an empty pool.
    if (node) {
      await rpc("evm_setAutomine", [true]);
      await rpc("evm_mine");
    }
  });

  describe("the SDK surfaces a typed error", function () {
    it("for a transaction the node dropped: TRANSACTION_DROPPED, and nothing happened on chain", async function () {
      const nurse = await sdk(NURSE);
      const commitment = hexlify(randomBytes(32));
      await rpc("evm_setAutomine", [false]);
      const handle = await nurse.records.anchor({ commitment });
      expect(await rpc("hardhat_dropTransaction", [handle.hash])).to.equal(true);
      const err = await handle.wait().catch((e: unknown) => e);
      expect(err).to.be.instanceOf(TransactionDroppedError);
      expect(err).to.include({ code: "TRANSACTION_DROPPED", hash: handle.hash });
      await rpc("evm_setAutomine", [true]);
      expect(await nurse.records.recordVersion(commitment, 1)).to.equal(undefined);
      // Sending it again works, once.
      await (await nurse.records.anchor({ commitment })).wait();
      expect((await nurse.records.recordVersion(commitment, 1))?.version).to.equal(1);
    });

    it("for a transaction replaced by another with the same nonce and a higher fee: TRANSACTION_REPLACED", async function () {
      const nurseWallet = wallet(NURSE);
      const nurse = await sdk(NURSE);
      const commitment = hexlify(randomBytes(32));
      await rpc("evm_setAutomine", [false]);
      const handle = await nurse.records.anchor({ commitment });
      const sent = handle.response;
      // The operator cancels it: a transfer of nothing to itself, same nonce, double the fees.
      const cancel = await nurseWallet.sendTransaction({
        to: nurseWallet.address,
        value: 0,
        nonce: sent.nonce,
        maxFeePerGas: sent.maxFeePerGas! * 2n,
        maxPriorityFeePerGas: sent.maxPriorityFeePerGas! * 2n + 1n,
      });
      await rpc("evm_mine");
      const err = await handle.wait().catch((e: unknown) => e);
      expect(err).to.be.instanceOf(TransactionReplacedError);
      expect(err).to.include({ code: "TRANSACTION_REPLACED", hash: handle.hash });
      const replaced = err as TransactionReplacedError;
      // ethers' replacement detection names the transaction mined in its place and why.
      expect([replaced.replacement, replaced.reason]).to.deep.equal([cancel.hash, "cancelled"]);
      expect(await nurse.records.recordVersion(commitment, 1)).to.equal(undefined);
    });

    it("for a transaction sent with a nonce ahead of the sender's: NONCE_GAP, naming the missing nonce", async function () {
      const nurse = await sdk(NURSE);
      const next = await provider.getTransactionCount(wallet(NURSE).address, "pending");
      // A node that mines on arrival refuses it at once...
      const refused = await nurse.records.anchor({ commitment: hexlify(randomBytes(32)) }, { nonce: next + 1 }).catch((e: unknown) => e);
      expect(refused).to.be.instanceOf(NonceGapError);
      expect(refused).to.include({ code: "NONCE_GAP", nonce: next + 1, expected: next, hash: undefined });
      // ...a node with a pool queues it, and the handle reports the gap instead of waiting forever.
      await rpc("evm_setAutomine", [false]);
      const handle = await nurse.records.anchor({ commitment: hexlify(randomBytes(32)) }, { nonce: next + 1 });
      const err = await handle.wait().catch((e: unknown) => e);
      expect(err).to.be.instanceOf(NonceGapError);
      expect(err).to.include({ code: "NONCE_GAP", hash: handle.hash, nonce: next + 1, expected: next });
      expect(await rpc("hardhat_dropTransaction", [handle.hash])).to.equal(true);
    });

    it("for a node that goes away, before sending and while waiting: NODE_UNREACHABLE", async function () {
      const away = new RpcProxy(node!.url);
      await away.start();
      const through = new JsonRpcProvider(away.url, 31337, { staticNetwork: true, pollingInterval: 50, cacheTimeout: -1 });
      try {
        const nurse = await CareLedger.connect(devWallet(NURSE, through), { addressBook: book });
        // Sent while the node is there, mined never: the node goes away while the handle waits.
        await rpc("evm_setAutomine", [false]);
        const handle = await nurse.records.anchor({ commitment: hexlify(randomBytes(32)) });
        away.down = true;
        const lost = await handle.wait().catch((e: unknown) => e);
        expect(lost).to.be.instanceOf(NodeUnreachableError);
        expect(lost).to.include({ code: "NODE_UNREACHABLE" });
        // And nothing can be sent while it is away.
        const refused = await nurse.records.anchor({ commitment: hexlify(randomBytes(32)) }).catch((e: unknown) => e);
        expect(refused).to.be.instanceOf(NodeUnreachableError);
        expect(refused).to.include({ code: "NODE_UNREACHABLE" });
      } finally {
        through.destroy();
        await away.stop();
      }
    });
  });

  describe("claims:submit resumes where it stopped and submits nothing twice", function () {
    it("when the node goes away mid-batch with a claim still pending", async function () {
      const f = await claimsFile("away", claims.slice(0, 4));
      proxy = new RpcProxy(node!.url);
      await proxy.start();
      const nonceBefore = await provider.getTransactionCount(wallet(DOCTOR).address);
      // Claim 1 is mined on arrival; then mining stops, so claim 2 reaches the node and waits in its
      // pool, and the node goes away before its answer reaches the task.
      proxy.afterSend = async (n) => {
        if (n === 1) await rpc("evm_setAutomine", [false]);
        return n === 2 ? "down" : undefined;
      };
      const stopped = await runTask(submitArgs(f), taskEnv(proxy.url));
      expect(stopped.status, stopped.stdout + stopped.stderr).to.not.equal(0);
      expect(stopped.stderr + stopped.stdout, stopped.stderr).to.contain("NODE_UNREACHABLE");
      const printed = jsonLines(stopped.stdout);
      expect(printed[0]).to.include({ claimId: f.ids[0] });
      expect(printed[printed.length - 1]).to.include({ claimId: f.ids[1], error: "NODE_UNREACHABLE" });
      expect(await submittedCounts(f.ids)).to.deep.equal([1, 0, 0, 0]); // claim 2 is pending, not mined

      // The node is back. The resumed run waits for the pending claim, then skips it.
      proxy.up();
      let mined = false;
      const resumed = await runTask(submitArgs(f), taskEnv(proxy.url), (err) => {
        if (!mined && err.includes("waiting for 1 pending transaction")) {
          mined = true;
          void rpc("evm_setAutomine", [true]).then(() => rpc("evm_mine"));
        }
      });
      expect(resumed.status, resumed.stderr).to.equal(0);
      expect(mined).to.equal(true);
      const out = jsonLines(resumed.stdout);
      expect(out.map((o) => [o.claimId, o.skipped === true])).to.deep.equal([
        [f.ids[0], true],
        [f.ids[1], true],
        [f.ids[2], false],
        [f.ids[3], false],
      ]);
      expect(await submittedCounts(f.ids)).to.deep.equal([1, 1, 1, 1]);
      // Four claims, four transactions from the doctor: none was sent twice.
      expect(await provider.getTransactionCount(wallet(DOCTOR).address)).to.equal(nonceBefore + 4);
    });

    it("when a claim reverts on chain in the middle of the batch", async function () {
      const f = await claimsFile("revert", claims.slice(4, 8));
      const nonceBefore = await provider.getTransactionCount(wallet(DOCTOR).address);
      const nurse = await sdk(NURSE);
      const second = f.evidence[String(claims[5].claim.id)];
      // Claim 2 waits in the pool; meanwhile its evidence is retracted by a transaction with a higher
      // fee, mined first in the same block: claim 2 passed its gas estimate and reverts on chain.
      proxy = proxy ?? new RpcProxy(node!.url);
      proxy.up();
      proxy.afterSend = async (n) => {
        if (n === 1) await rpc("evm_setAutomine", [false]);
        if (n === 2) {
          await nurse.records.retract({ commitment: second, reason: "enteredInError" }, { maxPriorityFeePerGas: 10n ** 10n, maxFeePerGas: 10n ** 11n });
          await rpc("evm_mine");
          await rpc("evm_setAutomine", [true]);
        }
      };
      const stopped = await runTask(submitArgs(f), taskEnv(proxy.url));
      proxy.up();
      expect(stopped.status, stopped.stdout + stopped.stderr).to.not.equal(0);
      const printed = jsonLines(stopped.stdout);
      expect(printed, stopped.stdout + stopped.stderr).to.have.length(2);
      expect(printed[0]).to.include({ claimId: f.ids[0] });
      expect(printed[1]).to.include({ claimId: f.ids[1], error: "EVIDENCE_RETRACTED", errorName: "EvidenceRetracted" });
      expect(await submittedCounts(f.ids)).to.deep.equal([1, 0, 0, 0]);
      expect(await provider.getTransactionCount(wallet(DOCTOR).address)).to.equal(nonceBefore + 2); // the reverted one used a nonce

      // The provider anchors the corrected record and points claim 2 at it; the run resumes at claim 2.
      f.evidence[String(claims[5].claim.id)] = await anchorEvidence();
      fs.writeFileSync(f.evidenceFile, JSON.stringify(f.evidence));
      const resumed = await runTask(submitArgs(f), taskEnv(node!.url));
      expect(resumed.status, resumed.stderr).to.equal(0);
      expect(jsonLines(resumed.stdout).map((o) => [o.claimId, o.skipped === true])).to.deep.equal([
        [f.ids[0], true],
        [f.ids[1], false],
        [f.ids[2], false],
        [f.ids[3], false],
      ]);
      expect(await submittedCounts(f.ids)).to.deep.equal([1, 1, 1, 1]);
      expect(await provider.getTransactionCount(wallet(DOCTOR).address)).to.equal(nonceBefore + 5);
    });
  });

  describe("records:anchor resumes and anchors a batch once", function () {
    it("when the node goes away after the batch was sent: the salts survive, the same root is found, nothing is sent again", async function () {
      const bundleFile = path.join(dir, "bundle.ndjson");
      const resources = [0, 1, 2].map((i) => ({ resourceType: "Observation", id: `obs-${i}`, status: "final", code: { text: `test ${i}` } }));
      fs.writeFileSync(bundleFile, resources.map((r) => JSON.stringify(r)).join("\n") + "\n");
      const args = ["records:anchor", "--file", bundleFile, "--from", String(DOCTOR), "--network", "localhost"];
      const nonceBefore = await provider.getTransactionCount(wallet(DOCTOR).address);
      proxy!.up();
      // The anchor transaction reaches the node and waits in its pool; the node's answer is lost.
      proxy!.afterSend = async () => "down";
      await rpc("evm_setAutomine", [false]);
      const stopped = await runTask(args, taskEnv(proxy!.url));
      expect(stopped.status, stopped.stdout + stopped.stderr).to.not.equal(0);
      expect(stopped.stderr + stopped.stdout, stopped.stderr).to.contain("NODE_UNREACHABLE");
      const saltsFile = path.join(dir, "bundle.salts.json");
      const salts = JSON.parse(fs.readFileSync(saltsFile, "utf8")) as { root: string; items: { salt: string }[] };
      expect(salts.items).to.have.length(3);
      expect(fs.statSync(saltsFile).mode & 0o777).to.equal(0o600);

      proxy!.up();
      let mined = false;
      const resumed = await runTask(args, taskEnv(proxy!.url), (err) => {
        if (!mined && err.includes("waiting for 1 pending transaction")) {
          mined = true;
          void rpc("evm_setAutomine", [true]).then(() => rpc("evm_mine"));
        }
      });
      expect(resumed.status, resumed.stderr).to.equal(0);
      expect(mined).to.equal(true);
      const [summary] = jsonLines(resumed.stdout);
      expect(summary, resumed.stdout + resumed.stderr).to.not.equal(undefined);
      expect(summary).to.include({ root: salts.root, leafCount: 3, skipped: true });
      const again = JSON.parse(fs.readFileSync(saltsFile, "utf8")) as { root: string; tx: string; items: { salt: string }[] };
      expect(again.items.map((i) => i.salt)).to.deep.equal(salts.items.map((i) => i.salt));
      expect(again.tx).to.equal(summary.tx);
      expect(await provider.getTransactionCount(wallet(DOCTOR).address)).to.equal(nonceBefore + 1);
      // A third run finds the batch anchored and sends nothing.
      const third = await runTask(args, taskEnv(node!.url));
      expect(third.status, third.stderr).to.equal(0);
      expect(jsonLines(third.stdout)[0]).to.include({ root: salts.root, skipped: true });
      expect(await provider.getTransactionCount(wallet(DOCTOR).address)).to.equal(nonceBefore + 1);
    });
  });
});
