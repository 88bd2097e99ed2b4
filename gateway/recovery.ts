/**
 * Start-up recovery of ingest: a batch stored but not known to be anchored (the gateway stopped, or the
 * chain did not answer, between storing and anchoring) is looked up on chain and marked anchored, or
 * anchored again from its stored records and salts — the same leaves in the same order, so the same root.
 */
import type { CareLedger } from "../sdk/careledger";
import type { RecordStore } from "./store";

/** Anchors (or finds anchored) every pending batch. Returns the roots it settled. */
export async function recoverPendingBatches(careledger: CareLedger, store: RecordStore, orgId: bigint): Promise<string[]> {
  const settled: string[] = [];
  for (const root of await store.pendingRoots()) {
    const held = await careledger.records.batch(root, orgId).then(
      (b) => b.leafCount > 0,
      () => false,
    );
    if (!held) {
      const contents = await store.batchContents(root);
      const batch = careledger.records.buildBatch(contents.map((c) => ({ resource: c.resource, salt: c.salt })));
      if (batch.root !== root) throw new Error(`pending batch ${root} rebuilds to ${batch.root}: its records changed; it is left pending`);
      await (await careledger.records.anchorBatch(batch)).wait();
    }
    await store.markAnchored(root);
    settled.push(root);
  }
  return settled;
}
