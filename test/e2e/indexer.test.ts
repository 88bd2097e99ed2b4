/**
 * The indexer as it is run (`npm run indexer`'s program, indexer/main.ts, a process of its own over
 * embedded PGlite in a data folder), on each real EVM client (a `hardhat node` and Anvil): it catches up
 * with the suite's events, serves them, is killed with SIGKILL, and after a restart goes on where it
 * stopped — every event the chain holds stored once, none lost, none twice.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CareLedger, OrgKind } from "../../sdk";
import { SUITE_INTERFACES } from "../../indexer/decode";
import { eventually } from "../support/eventually";
import { CHAIN_CLIENTS, devWallet, freePort, hardhat, spawnProcess, startTestChain, type SpawnedProcess, type TestChain } from "./node";

const YEAR = 365 * 86_400;

async function startIndexer(env: NodeJS.ProcessEnv): Promise<SpawnedProcess> {
  const tsNode = require.resolve("ts-node/dist/bin.js");
  return spawnProcess("indexer", process.execPath, [tsNode, "--transpile-only", "indexer/main.ts"], "CareLedger indexer of chain", { timeoutMs: 90_000, env });
}

for (const client of CHAIN_CLIENTS) {
  describe(`[e2e] the indexer as a process (${client})`, function () {
    this.timeout(300_000);
    let chain: TestChain | undefined;
    let indexer: SpawnedProcess | undefined;
    let dataDir: string;

    after(async function () {
      await indexer?.stop();
      await chain?.close();
      if (dataDir !== undefined) fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it("catches up, serves what the chain holds, and after a SIGKILL goes on where it stopped: nothing lost, nothing twice", async function () {
      chain = await startTestChain({ client });
      const deployed = hardhat(["run", "scripts/deploy.ts", "--network", "localhost"], chain.env);
      expect(deployed.status, deployed.stderr + deployed.stdout).to.equal(0);
      const w = (i: number) => devWallet(i, chain!.provider);
      const [registrar, hospitalAdmin, doctor, patient] = [0, 3, 6, 9].map(w);
      const as = (signer: ReturnType<typeof w>) => CareLedger.connect(signer, { addressBookDir: chain!.dir });
      await (await (await as(registrar)).participants.registerOrganization({ kind: OrgKind.Provider, admin: hospitalAdmin.address, metadata: { name: "Riverside" } })).wait();
      await (await (await as(hospitalAdmin)).participants.addMember({ orgId: 1n, account: doctor.address })).wait();
      const p = await as(patient);
      const d = await as(doctor);
      const until = (await chain.provider.getBlock("latest"))!.timestamp + YEAR;
      await (await p.consent.grant({ grantee: { organization: 1n }, classes: ["labs"], purposes: ["TREAT"], validUntil: until, commitment: "0x" + "c0".repeat(32) })).wait();
      const access = async (n: number) => {
        for (let i = 0; i < n; i++) await (await d.consent.logAccess({ patient: patient.address, dataClass: "labs", purpose: "TREAT", recordRef: "0x" + (i + 1).toString(16).padStart(64, "a") })).wait();
      };
      await access(3);

      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "careledger-indexer-"));
      const port = await freePort();
      const env = { ...chain.env, INDEXER_PORT: String(port), INDEXER_DATA_DIR: dataDir, INDEXER_POLL_MS: "200", DATABASE_URL: "" };
      const api = `http://127.0.0.1:${port}`;
      const oracle = async () => {
        const sdk = await CareLedger.connect(chain!.provider, { addressBookDir: chain!.dir });
        const byAddress = new Map(Object.entries(sdk.addresses).map(([name, a]) => [a.toLowerCase(), name as keyof typeof SUITE_INTERFACES]));
        const logs = await chain!.provider.getLogs({ address: [...byAddress.keys()], fromBlock: sdk.fromBlock, toBlock: "latest" });
        return logs.filter((l) => SUITE_INTERFACES[byAddress.get(l.address.toLowerCase())!].parseLog({ topics: [...l.topics], data: l.data }) !== null).map((l) => `${l.blockNumber}:${l.index}`);
      };
      const served = async () => {
        const out: string[] = [];
        let next: string | null = "/events?_count=500";
        while (next !== null) {
          const body = (await (await fetch(api + next)).json()) as { events: { blockNumber: number; logIndex: number }[]; next: string | null };
          out.push(...body.events.map((e) => `${e.blockNumber}:${e.logIndex}`));
          next = body.next;
        }
        return out;
      };
      const caughtUp = async () => {
        const head = await chain!.provider.getBlockNumber();
        return eventually(async () => ((await (await fetch(`${api}/status`)).json()) as { nextBlock: number }).nextBlock > head, { withinMs: 60_000, everyMs: 100 });
      };

      indexer = await startIndexer(env);
      expect(await caughtUp(), indexer.log()).to.equal(true);
      expect(await served()).to.deep.equal(await oracle());
      expect((await fetch(`${api}/ready`)).status).to.equal(200);

      // Killed: no chance to close its database. More happens on chain meanwhile.
      const stoppedAt = ((await (await fetch(`${api}/status`)).json()) as { nextBlock: number; fromBlock: number });
      await indexer.kill("SIGKILL");
      await access(4);
      indexer = await startIndexer(env);
      expect(await caughtUp(), indexer.log()).to.equal(true);
      // It resumed where it stopped, not from the deployment block.
      const stored = [...indexer.log().matchAll(/blocks (\d+)–(\d+) stored/g)].map((m) => Number(m[1]));
      expect(stored[0], indexer.log()).to.equal(stoppedAt.nextBlock);
      const after = await served();
      expect(after).to.deep.equal(await oracle());
      expect(new Set(after).size).to.equal(after.length);
      const log = (await (await fetch(`${api}/patients/${patient.address}/access-log`)).json()) as { entry: unknown[] };
      expect(log.entry).to.have.length(7);
    });
  });
}
