/**
 * Start-up recovery of ingest: a batch stored but not known to be anchored (the gateway stopped, or the
 * chain did not answer, between storing and anchoring) is looked up on chain and marked anchored, or
 * anchored again from its stored records and salts — the same leaves in the same order, so the same root.
 */
import type { CareLedger } from "../sdk/careledger";
import type { RecordStore } from "./store";

/** Whether the chain holds `root` as a batch of `orgId`. */
export async function batchHeld(careledger: CareLedger, root: string, orgId: bigint): Promise<boolean> {
  return (await careledger.records.batch(root, orgId)).leafCount > 0;
}

/**
 * Anchors (or finds anchored) every pending batch but those in `skip` (being anchored by this process's
 * ingest right now). Returns the roots it settled. Run at start and by every anchoring round.
 */
export async function recoverPendingBatches(careledger: CareLedger, store: RecordStore, orgId: bigint, skip: ReadonlySet<string> = new Set()): Promise<string[]> {
  const settled: string[] = [];
  for (const root of await store.pendingRoots()) {
    if (skip.has(root)) continue;
    const held = await batchHeld(careledger, root, orgId);
    if (!held) {
      const contents = await store.batchContents(root);
      const batch = careledger.records.buildBatch(contents.map((c) => ({ resource: c.resource, salt: c.salt })));
      if (batch.root !== root) throw new Error(`pending batch ${root} rebuilds to ${batch.root}: its records changed; it is left pending`);
      try {
        await (await careledger.records.anchorBatch(batch)).wait();
      } catch (err) {
        // Another instance may have anchored it meanwhile: the chain decides.
        if (!(await batchHeld(careledger, root, orgId))) throw err;
      }
    }
    await store.markAnchored(root);
    settled.push(root);
  }
  return settled;
}
