/**
 * Start-up recovery of ingest: a batch stored but not known to be anchored (the gateway stopped, or the
 * chain did not answer, between storing and anchoring) is looked up on chain and marked anchored, or
 * anchored again from its stored records and salts — the same leaves in the same order, so the same root.
 * Later versions (amendments) likewise: found on chain, or amended again with the same commitment.
 */
import type { CareLedger } from "../sdk/careledger";
import type { RecordRow, RecordStore } from "./store";

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

/** Whether organization `orgId` holds `commitment` on chain as one of its record versions. */
export async function versionHeld(careledger: CareLedger, commitment: string, orgId: bigint): Promise<boolean> {
  return (await careledger.records.recordVersion(commitment, orgId)) !== undefined;
}

/**
 * Anchors one later version: registers the version it supersedes when that was a batch leaf never
 * registered, then amends the record. Idempotent: a version the chain already holds is left as it is.
 */
export async function amendOnChain(careledger: CareLedger, row: RecordRow, previous: RecordRow, orgId: bigint): Promise<void> {
  if (await versionHeld(careledger, row.commitment, orgId)) return;
  const batchLeaf = previous.version === 1 && previous.root !== previous.commitment;
  const genesisProof = batchLeaf ? { root: previous.root, orgId, recordId: previous.recordId, version: 1, commitment: previous.commitment, proof: [...previous.proof] } : undefined;
  try {
    await (await careledger.records.amend({ recordId: row.recordId, supersedes: previous.version, commitment: row.commitment, ...(genesisProof ? { genesisProof } : {}) })).wait();
  } catch (err) {
    // Another instance may have anchored it meanwhile: the chain decides.
    if (!(await versionHeld(careledger, row.commitment, orgId))) throw err;
  }
}

/**
 * Anchors (or finds anchored) every later version stored but not known to be anchored, but those in
 * `skip` (being anchored by this process's ingest right now), each once the version it supersedes is
 * anchored. A version the chain will never take — the record was amended on chain past the version it
 * supersedes, outside this gateway — is marked refused (kept, never served, not retried). Returns the
 * commitments it settled.
 */
export async function recoverPendingAmendments(careledger: CareLedger, store: RecordStore, orgId: bigint, skip: ReadonlySet<string> = new Set()): Promise<string[]> {
  const settled: string[] = [];
  for (const { row, previous } of await store.pendingAmendments()) {
    if (skip.has(row.commitment) || previous.state !== "anchored") continue;
    try {
      await amendOnChain(careledger, row, previous, orgId);
    } catch (err) {
      // Another writer may have anchored this very version meanwhile: the chain decides, read after the failure.
      const current = await careledger.records.currentVersion(row.recordId, orgId).catch(() => undefined);
      if (await versionHeld(careledger, row.commitment, orgId)) {
        await store.markAnchored(row.commitment);
        settled.push(row.commitment);
        continue;
      }
      if (current !== undefined && current >= row.version) {
        await store.refuse(row.seq, `the chain holds version ${current} of record ${row.recordId}: it was amended outside this gateway, so version ${row.version} can never be anchored`);
        continue;
      }
      throw err;
    }
    await store.markAnchored(row.commitment);
    settled.push(row.commitment);
  }
  return settled;
}
