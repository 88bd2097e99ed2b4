/**
 * The gateway as an organization runs it (`npm run gateway`'s program, gateway/main.ts, a process of
 * its own over embedded PGlite), on each real EVM client (a `hardhat node` and Anvil), spoken to over
 * HTTP by the SDK of other organizations: the flow of docs/gateway.md, a SIGKILL between releasing and
 * anchoring (every receipt anchored exactly once after the restart), and the chain's RPC down (503,
 * nothing released). Then two instances of one organization's gateway on one PostgreSQL database
 * anchoring at the same time: no receipt twice.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import pg from "pg";
import { CareLedger, OrgKind } from "../../sdk";
import { ExchangeError, type GatewayTarget, type PatientReceipt } from "../../sdk/exchange/client";
import { DisclosureLog__factory } from "../../typechain-types";
import { commitment, labBundle, MASTER_KEY, PATIENT_ID } from "../gateway/fixtures";
import { CHAIN_CLIENTS, devWallet, freePort, hardhat, spawnProcess, startTestChain, type SpawnedProcess, type TestChain } from "./node";

const YEAR = 365 * 86_400;
const PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres";

/**
 * Starts gateway/main.ts as `npm run gateway` does (without the compile step: the test run compiled),
 * as the process itself (no npx in between), so a signal reaches it and its exit is the gateway's.
 */
async function startGateway(env: NodeJS.ProcessEnv): Promise<SpawnedProcess> {
  const tsNode = require.resolve("ts-node/dist/bin.js");
  return spawnProcess("gateway", process.execPath, [tsNode, "--transpile-only", "gateway/main.ts"], "CareLedger gateway of organization", { timeoutMs: 90_000, env });
}

/** The suite on `chain` with a hospital (doctor), a lab (two members: two gateway keys) and a research institute. */
async function onboard(chain: TestChain) {
  const r = hardhat(["run", "scripts/deploy.ts", "--network", "localhost"], chain.env);
  expect(r.status, r.stderr + r.stdout).to.equal(0);
  const w = (i: number) => devWallet(i, chain.provider);
  const [registrar, hospitalAdmin, labAdmin, doctor, researcher, patient, relayer, labMember2] = [0, 3, 4, 6, 8, 9, 10, 11].map(w);
  const as = (signer: ReturnType<typeof w>) => CareLedger.connect(signer, { addressBookDir: chain.dir });
  const reg = await as(registrar);
  for (const [kind, admin] of [
    [OrgKind.Provider, hospitalAdmin],
    [OrgKind.Lab, labAdmin],
    [OrgKind.Researcher, researcher],
  ] as const) {
    await (await reg.participants.registerOrganization({ kind, admin: admin.address, metadata: { name: `org of ${admin.address}` } })).wait();
  }
  await (await (await as(hospitalAdmin)).participants.addMember({ orgId: 1n, account: doctor.address })).wait();
  await (await (await as(labAdmin)).participants.addMember({ orgId: 2n, account: labMember2.address })).wait();
  return { registrar, hospitalAdmin, labAdmin, doctor, researcher, patient, relayer, labMember2, as };
}

for (const client of CHAIN_CLIENTS) {
  describe(`[e2e] the gateway over HTTP (${client})`, function () {
    this.timeout(300_000);
    let chain: TestChain | undefined;
    let gateway: SpawnedProcess | undefined;
    let dataDir: string;
    let env: NodeJS.ProcessEnv;
    let origin: string;
    let o: Awaited<ReturnType<typeof onboard>>;
    const target = () => ({ url: origin, orgId: 2n });

    before(async function () {
      chain = await startTestChain({ client });
      o = await onboard(chain);
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "careledger-gw-"));
      const port = await freePort();
      origin = `http://127.0.0.1:${port}`;
      env = {
        ...chain.env,
        GATEWAY_RPC_URL: chain.node.url,
        GATEWAY_SIGNER_KEY: o.labAdmin.privateKey,
        GATEWAY_MASTER_KEY: MASTER_KEY,
        GATEWAY_PORT: String(port),
        GATEWAY_DATA_DIR: dataDir,
        // Receipts wait: the SIGKILL test kills the gateway between releasing and anchoring.
        GATEWAY_ANCHOR_INTERVAL_MS: "3600000",
        DATABASE_URL: "",
      };
      gateway = await startGateway(env);
    });

    after(async function () {
      await gateway?.stop();
      await chain?.close();
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it("the lab ingests; the doctor reads under consent, verified; the researcher is refused, then served after signed research consent", async function () {
      const lab = await o.as(o.labAdmin);
      const ingested = await lab.exchange.ingest(origin, labBundle(o.patient.address));
      expect(ingested.entry).to.have.length(5);
      const patient = await o.as(o.patient);
      const now = (await chain!.provider.getBlock("latest"))!.timestamp;
      await (await patient.consent.grant({ grantee: { organization: 1n }, classes: ["labs"], purposes: ["TREAT"], validUntil: now + YEAR, commitment: commitment() })).wait();
      const doctor = await o.as(o.doctor);
      const page = await doctor.exchange.search(target(), "Observation", { patient: `Patient/${PATIENT_ID}`, purpose: "TREAT" });
      expect(page.resources.map((r) => r.resource.id).sort()).to.deep.equal([`${PATIENT_ID}-glucose`, `${PATIENT_ID}-hba1c`]);
      for (const r of page.resources) expect(r.verification.status).to.equal("anchored");

      const researcher = await o.as(o.researcher);
      const refused = await researcher.exchange.read(target(), "Observation", `${PATIENT_ID}-glucose`, { purpose: "HRESCH" }).catch((e) => e);
      expect(refused).to.be.instanceOf(ExchangeError);
      expect(refused.status).to.equal(404);
      const signed = await patient.consent.signGrant(
        { grantee: { organization: 3n }, classes: ["labs"], purposes: ["HRESCH"], validUntil: now + YEAR, commitment: commitment() },
        { deadline: now + 3_600 },
      );
      await (await (await o.as(o.relayer)).consent.submitGrant(signed)).wait();
      const served = await researcher.exchange.read(target(), "Observation", `${PATIENT_ID}-glucose`, { purpose: "HRESCH" });
      expect(served.verification.status).to.equal("anchored");
      // Its structured log names routes, never ids, names, addresses of patients, salts or signatures.
      const log = gateway!.log();
      expect(log).to.contain('"route":"/fhir/:type/:id"');
      for (const secret of [PATIENT_ID, "Lovelace", o.patient.address.slice(2).toLowerCase(), signed.signature.slice(2, 40), MASTER_KEY.slice(2)]) expect(log.toLowerCase()).not.to.contain(secret.toLowerCase());
    });

    it("a gateway killed with SIGKILL between releasing and anchoring anchors every receipt exactly once after it restarts", async function () {
      const patient = await o.as(o.patient);
      const before = await receiptsOf(patient, target());
      expect(before.length).to.be.greaterThan(0);
      expect(before.every((r) => r.root === null && r.status === "pending")).to.equal(true);
      await gateway!.kill("SIGKILL");
      gateway = await startGateway({ ...env, GATEWAY_ANCHOR_INTERVAL_MS: "200" });
      let after = before;
      for (let i = 0; i < 150 && !after.every((r) => r.status === "verified"); i++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        after = await receiptsOf(patient, target());
      }
      expect(after.length).to.equal(before.length);
      // Each one's proof under a root the lab anchored, checked against the chain by the SDK.
      expect(after.map((r) => r.status)).to.deep.equal(after.map(() => "verified"));
      // Exactly once: the roots on chain count every receipt once.
      const roots = new Set(after.map((r) => r.root as string));
      let onChain = 0;
      for (const root of roots) onChain += Number((await patient.disclosures.anchorOf(root, 2n))?.count);
      expect(onChain).to.equal(after.length);
    });

    it("stops on SIGTERM only after anchoring every receipt it wrote", async function () {
      await gateway!.stop();
      gateway = await startGateway(env);
      const doctor = await o.as(o.doctor);
      await doctor.exchange.search(target(), "Observation", { patient: `Patient/${PATIENT_ID}`, purpose: "TREAT" });
      const patient = await o.as(o.patient);
      const written = await receiptsOf(patient, target());
      expect(written.some((r) => r.root === null)).to.equal(true);
      const log = () => gateway!.log();
      let said = "";
      const stopping = gateway!.stop().then(() => undefined);
      for (let i = 0; i < 200 && !said.includes("SIGTERM"); i++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        said = log();
      }
      await stopping;
      expect(said).to.contain("SIGTERM: finishing requests in flight and anchoring every receipt");
      gateway = await startGateway(env);
      const after = await receiptsOf(patient, target());
      // Fetching them wrote none (receipts are for records); every one written before the stop is anchored.
      expect(after.length).to.equal(written.length);
      expect(after.map((r) => r.status)).to.deep.equal(after.map(() => "verified"));
      let onChain = 0;
      for (const root of new Set(after.map((r) => r.root as string))) onChain += (await patient.disclosures.anchorOf(root, 2n))?.count ?? 0;
      expect(onChain).to.equal(after.length);
    });

    it("fails closed when the chain's RPC is down: 503, nothing released", async function () {
      const doctor = await o.as(o.doctor);
      const glucose = `/fhir/Observation/${PATIENT_ID}-glucose`;
      const { signGatewayRequest } = await import("../../sdk/exchange/request");
      const signed = await signGatewayRequest(o.doctor, doctor.exchange.domain, { gateway: origin, method: "GET", target: glucose, purpose: "TREAT" });
      await chain!.node.stop();
      const res = await fetch(origin + glucose, { headers: signed.headers });
      expect(res.status).to.equal(503);
      const body = (await res.json()) as { resourceType: string; issue: { code: string }[] };
      expect(body.resourceType).to.equal("OperationOutcome");
      expect(body.issue[0].code).to.equal("transient");
    });
  });
}

describe("[e2e] two instances of one organization's gateway on one PostgreSQL database", function () {
  this.timeout(300_000);
  let chain: TestChain | undefined;
  const gateways: SpawnedProcess[] = [];
  const database = `careledger_gw_${process.pid}_${Date.now()}`;

  before(async function () {
    const admin = new pg.Client({ connectionString: PG_ADMIN });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.end();
  });

  after(async function () {
    for (const g of gateways) await g.stop();
    await chain?.close();
    const admin = new pg.Client({ connectionString: PG_ADMIN });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });

  it("anchor concurrently without anchoring any receipt twice", async function () {
    chain = await startTestChain();
    const o = await onboard(chain);
    const url = `postgres://postgres@127.0.0.1:5432/${database}`;
    const ports = [await freePort(), await freePort()];
    for (const [i, key] of [o.labAdmin.privateKey, o.labMember2.privateKey].entries()) {
      gateways.push(
        await startGateway({
          ...chain.env,
          GATEWAY_RPC_URL: chain.node.url,
          GATEWAY_SIGNER_KEY: key,
          GATEWAY_MASTER_KEY: MASTER_KEY,
          GATEWAY_PORT: String(ports[i]),
          DATABASE_URL: url,
          GATEWAY_ANCHOR_INTERVAL_MS: "100",
          GATEWAY_ANCHOR_MAX_RECEIPTS: "3",
        }),
      );
    }
    // Each instance at its own origin, both on one database: what one stores, the other serves.
    const lab = await o.as(o.labAdmin);
    const patient = await o.as(o.patient);
    const origins = ports.map((p) => `http://127.0.0.1:${p}`);
    await lab.exchange.ingest(origins[0], labBundle(o.patient.address));
    for (let round = 0; round < 6; round++) {
      await Promise.all(origins.map((url) => patient.exchange.everything({ url, orgId: 2n }, PATIENT_ID, { purpose: "TREAT" })));
    }
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      let left = 1;
      for (let i = 0; i < 200 && left > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        left = Number((await db.query("SELECT count(*) AS n FROM receipts r LEFT JOIN disclosure_roots d ON d.root = r.root WHERE d.state IS DISTINCT FROM 'anchored'")).rows[0].n);
      }
      expect(left, gateways.map((g) => g.log().slice(-3000)).join("\n----\n")).to.equal(0);
      const receipts = Number((await db.query("SELECT count(*) AS n FROM receipts")).rows[0].n);
      expect(receipts).to.be.greaterThan(12);
      expect(receipts % 12).to.equal(0);
      const roots = (await db.query<{ root: string; count: number }>("SELECT root, count FROM disclosure_roots")).rows;
      let onChain = 0;
      for (const r of roots) {
        const held = await patient.disclosures.anchorOf(r.root, 2n);
        expect(held?.count).to.equal(r.count);
        onChain += held?.count ?? 0;
      }
      expect(onChain).to.equal(receipts);
      // Each root anchored once on chain; both instances took part (each with its own key).
      const log = DisclosureLog__factory.connect(patient.addresses.DisclosureLog, chain.provider);
      const events = await log.queryFilter(log.filters.DisclosuresAnchored());
      expect(events.length).to.equal(roots.length);
      expect(new Set(events.map((e) => e.args.root)).size).to.equal(roots.length);
      expect(new Set(events.map((e) => e.args.by.toLowerCase())).size).to.equal(2);
    } finally {
      await db.end();
    }
  });
});

/** Every receipt of the signer at the gateway, following next links, each checked by the SDK. */
async function receiptsOf(cl: CareLedger, target: GatewayTarget): Promise<PatientReceipt[]> {
  const out: PatientReceipt[] = [];
  let page = await cl.exchange.receipts(target, { count: 100 });
  out.push(...page.receipts);
  while (page.next !== undefined) {
    page = await cl.exchange.receipts(target, { next: page.next });
    out.push(...page.receipts);
  }
  return out;
}
