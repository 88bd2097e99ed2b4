/**
 * Helpers of the tests of versions of stored records (test/gateway/versions.test.ts and the outside review's
 * review-versions.test.ts): the fixture's resources as the lab's system holds them, update Bundles, a
 * record's rows, and the chain refusing or taking amendments outside the gateway.
 */
import { LAB, labBundle, PATIENT_ID } from "./fixtures";
import type { Fixture } from "./review-support";

export const GLUCOSE = `${PATIENT_ID}-glucose`;

/** One of the fixture's resources as the lab's system holds it (references resolved), with `change` applied. */
export function stored(id: string, f: Fixture, change: (r: Record<string, unknown>) => void = () => undefined): Record<string, unknown> {
  const entry = (labBundle(f.patient.address) as { entry: { resource: Record<string, unknown> }[] }).entry.find((e) => e.resource.id === id)!;
  const resource = structuredClone(entry.resource) as Record<string, unknown>;
  if (resource.resourceType !== "Patient") resource.subject = { reference: `Patient/${PATIENT_ID}` };
  change(resource);
  return resource;
}

/** The fixture's glucose result with another value. */
export function glucose(value: number, f: Fixture): Record<string, unknown> {
  return stored(GLUCOSE, f, (r) => ((r as { valueQuantity: { value: number } }).valueQuantity.value = value));
}

/** A transaction Bundle that PUTs `resource` (a new version when its id is stored), with If-Match when given. */
export function updateOf(resource: Record<string, unknown>, ifMatch?: number): object {
  const url = `${resource.resourceType as string}/${resource.id as string}`;
  return { resourceType: "Bundle", type: "transaction", entry: [{ resource, request: { method: "PUT", url, ...(ifMatch === undefined ? {} : { ifMatch: `W/"${ifMatch}"` }) } }] };
}

/** A transaction Bundle that PUTs every one of `resources`. */
export function updatesOf(...resources: Record<string, unknown>[]): object {
  return {
    resourceType: "Bundle",
    type: "transaction",
    entry: resources.map((resource) => ({ resource, request: { method: "PUT", url: `${resource.resourceType as string}/${resource.id as string}` } })),
  };
}

/** The rows of record `id`, oldest version first. */
export async function rowsOf(f: Fixture, id: string): Promise<{ version: number; state: string; superseded: boolean; refusal: string | null; patient: string; shredded: boolean }[]> {
  return (
    await f.db.pool.query("SELECT version, state, superseded, refusal, patient, shredded_at IS NOT NULL AS shredded FROM records WHERE fhir_id = $1 ORDER BY version", [id])
  ).rows;
}

/** Amends version 1 of `id` on chain outside the gateway (another system of the lab), to `commitment`. */
export async function amendOutside(f: Fixture, id: string, commitment: string): Promise<void> {
  const row = (await f.db.pool.query("SELECT record_id, commitment, batch_root, proof FROM records WHERE fhir_id = $1 AND version = 1", [id])).rows[0];
  await (
    await f.labCl.records.amend({
      recordId: row.record_id,
      supersedes: 1,
      commitment,
      genesisProof: { root: row.batch_root, orgId: LAB, recordId: row.record_id, version: 1, commitment: row.commitment, proof: row.proof },
    })
  ).wait();
}

/** Runs `fn` with the chain refusing every amendment (the RPC does not answer). */
export async function withAmendFailing<T>(f: Fixture, fn: () => Promise<T>): Promise<T> {
  const records = f.labCl.records;
  const amend = records.amend.bind(records);
  records.amend = async () => {
    throw new Error("the chain did not answer");
  };
  try {
    return await fn();
  } finally {
    records.amend = amend;
  }
}
