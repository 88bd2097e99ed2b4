/**
 * The gateway's receipt publisher (gateway/publish.ts) and the indexer's receipts (indexer/receipts.ts)
 * together, on PGlite and PostgreSQL over real sockets: the lab's gateway releases records, anchors their
 * receipts, and publishes them to a real indexer, which refuses them while it has not indexed the root's
 * anchoring (the publisher keeps the root and tries again) and stores them once it has; the patient then reads
 * through the SDK, from the indexer alone, every receipt the gateway holds, each verified against the chain.
 */
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { openDatabase, type Database } from "../../gateway/db";
import { PublishError, ReceiptPublisher } from "../../gateway/publish";
import { gatewayChain, grant, LAB, PATIENT_ID, startGateway } from "../gateway/fixtures";
import { servedIndexer } from "./support";

const HOSPITAL = 1n;

for (const kind of ["PGlite", "PostgreSQL"] as const) {
  describe(`receipts published by a gateway to an indexer, read by the patient (${kind})`, function () {
    this.timeout(300_000);

    it("publishes each anchored root once the indexer has its anchoring, and the patient reads every receipt from the indexer, verified", async function () {
      const chain = await loadFixture(gatewayChain);
      const served = await servedIndexer(chain, kind);
      const gatewayDb: Database = served.databaseUrl === undefined ? await openDatabase() : await openDatabase({ url: served.databaseUrl });
      const g = await startGateway(chain, gatewayDb);
      const errors: PublishError[] = [];
      const publisher = new ReceiptPublisher(g.labAdmin, gatewayDb, g.gateway.orgId, g.gateway.domain, served.url, {
        backoff: { minMs: 0 },
        onError: (err) => errors.push(err as PublishError),
      });
      try {
        const patient = await g.as(g.patient);
        expect((await patient.exchange.everything(g.target, PATIENT_ID, { purpose: "TREAT" })).resources.length).to.be.greaterThan(0);
        await grant(g, HOSPITAL, ["labs"], ["TREAT"]);
        const doctor = await g.as(g.doctor);
        await doctor.exchange.search(g.target, "Observation", { patient: `Patient/${PATIENT_ID}`, purpose: "TREAT" });
        await g.worker.flush();

        // The indexer has not read the anchoring yet: refused as behind, nothing stamped, nothing stored.
        const early = await publisher.round();
        expect(early.published).to.deep.equal([]);
        expect(errors.map((e) => e.code)).to.deep.equal(["INDEXER_BEHIND"]);
        expect((await served.db.pool.query("SELECT count(*) AS n FROM indexed_receipts")).rows[0].n).to.equal("0");
        const unpublished = async () => (await gatewayDb.pool.query("SELECT root FROM disclosure_roots WHERE state = 'anchored' AND published_at IS NULL")).rows.length;
        expect(await unpublished()).to.be.greaterThan(0);

        await served.indexer.catchUp();
        await publisher.round();
        expect(await unpublished()).to.equal(0);

        // The patient's receipts, from the indexer alone, are the gateway's own, each verified against the chain.
        const fromGateway = await patient.exchange.receipts(g.target, { count: 100 });
        const fromIndexer = [];
        let page = await patient.exchange.indexedReceipts(served.url, { count: 3 });
        fromIndexer.push(...page.receipts);
        while (page.next !== undefined) {
          page = await patient.exchange.indexedReceipts(served.url, { next: page.next });
          fromIndexer.push(...page.receipts);
        }
        const key = (r: { root: string | null; receipt: { accessRef: string; dataClass: number; requester: string } }) => `${r.root}:${r.receipt.accessRef}:${r.receipt.dataClass}:${r.receipt.requester}`;
        expect(fromIndexer.map(key).sort()).to.deep.equal(fromGateway.receipts.map(key).sort());
        expect(fromIndexer.map((r) => [r.status, r.receipt.holderOrgId])).to.deep.equal(fromIndexer.map(() => ["verified", LAB]));
        expect(new Set(fromIndexer.map((r) => r.receipt.requester))).to.deep.equal(new Set([g.patient.address, g.doctor.address]));

        // Published once: another round sends nothing, and a root sent again (a crash before its stamp) stores nothing twice.
        const rows = Number((await served.db.pool.query("SELECT count(*) AS n FROM indexed_receipts")).rows[0].n);
        expect((await publisher.round()).published).to.deep.equal([]);
        await gatewayDb.pool.query("UPDATE disclosure_roots SET published_at = NULL");
        await publisher.round();
        expect(Number((await served.db.pool.query("SELECT count(*) AS n FROM indexed_receipts")).rows[0].n)).to.equal(rows);
        expect(errors.map((e) => e.code)).to.deep.equal(["INDEXER_BEHIND"]);
      } finally {
        await publisher.stop();
        await g.close();
        await gatewayDb.close();
        await served.close();
      }
    });
  });
}
