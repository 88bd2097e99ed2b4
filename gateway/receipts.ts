/**
 * Disclosure receipts: one per released resource and data class, written durably before the response
 * leaves, then bound to a Merkle root and anchored on chain by the holder (gateway/anchor.ts).
 */
import type pg from "pg";
import type { Database } from "./db";
import type { GatewayRequest } from "../sdk/exchange/request";

/** A receipt to write. */
export interface NewReceipt {
  readonly requestDigest: string;
  readonly requester: string;
  readonly holderOrgId: bigint;
  readonly patient: string;
  readonly accessRef: string;
  readonly accessNonce: string;
  readonly recordId: string;
  readonly resourceRef: string;
  readonly dataClass: number;
  readonly purpose: number;
  readonly permittedAtBlock: bigint;
  readonly request: GatewayRequest;
  readonly signature: string;
}

/** A stored receipt, with its root and proof once bound to one. */
export interface StoredReceipt extends NewReceipt {
  readonly seq: bigint;
  readonly root: string | null;
  readonly leafIndex: number | null;
  readonly proof: string[] | null;
  /** Whether its root is on chain. */
  readonly anchored: boolean;
  readonly createdAt: Date;
}

interface Row {
  seq: string;
  request_digest: string;
  requester: string;
  holder_org_id: string;
  patient: string;
  access_ref: string;
  access_nonce: string;
  record_id: string;
  resource_ref: string;
  data_class: number;
  purpose: number;
  permitted_at_block: string;
  request: GatewayRequest;
  signature: string;
  root: string | null;
  leaf_index: number | null;
  proof: string[] | null;
  anchored: boolean | null;
  created_at: Date;
}

export function toReceipt(r: Row): StoredReceipt {
  return {
    seq: BigInt(r.seq),
    requestDigest: r.request_digest,
    requester: r.requester,
    holderOrgId: BigInt(r.holder_org_id),
    patient: r.patient,
    accessRef: r.access_ref,
    accessNonce: r.access_nonce,
    recordId: r.record_id,
    resourceRef: r.resource_ref,
    dataClass: r.data_class,
    purpose: r.purpose,
    permittedAtBlock: BigInt(r.permitted_at_block),
    request: r.request,
    signature: r.signature,
    root: r.root,
    leafIndex: r.leaf_index,
    proof: r.proof,
    anchored: r.anchored === true,
    createdAt: r.created_at,
  };
}

export const RECEIPT_COLUMNS =
  "r.seq, r.request_digest, r.requester, r.holder_org_id, r.patient, r.access_ref, r.access_nonce, r.record_id, r.resource_ref, r.data_class, r.purpose, r.permitted_at_block, r.request, r.signature, r.root, r.leaf_index, r.proof, r.created_at";

export class ReceiptStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Writes receipts in one transaction; resolves once they are durable. */
  async insert(receipts: readonly NewReceipt[]): Promise<void> {
    if (receipts.length === 0) return;
    await this.#db.transaction(async (client) => {
      for (const r of receipts) await insertOne(client, r);
    });
  }

  /** A patient's receipts after `after`, oldest first; up to `limit + 1` (the extra one says a next page exists). */
  async forPatient(patient: string, after: bigint, limit: number): Promise<StoredReceipt[]> {
    const r = await this.#db.pool.query<Row>(
      `SELECT ${RECEIPT_COLUMNS}, (d.state = 'anchored') AS anchored FROM receipts r LEFT JOIN disclosure_roots d ON d.root = r.root
       WHERE r.patient = $1 AND r.seq > $2 ORDER BY r.seq LIMIT $3`,
      [patient.toLowerCase(), after.toString(), limit + 1],
    );
    return r.rows.map(toReceipt);
  }

  /** How many receipts are not yet bound to a root. */
  async unrootedCount(): Promise<number> {
    const r = await this.#db.pool.query<{ n: string }>("SELECT count(*) AS n FROM receipts WHERE root IS NULL");
    return Number(r.rows[0].n);
  }
}

async function insertOne(client: pg.PoolClient, r: NewReceipt): Promise<void> {
  await client.query(
    `INSERT INTO receipts (request_digest, requester, holder_org_id, patient, access_ref, access_nonce, record_id, resource_ref, data_class, purpose, permitted_at_block, request, signature)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [
      r.requestDigest,
      r.requester.toLowerCase(),
      r.holderOrgId.toString(),
      r.patient.toLowerCase(),
      r.accessRef,
      r.accessNonce,
      r.recordId,
      r.resourceRef,
      r.dataClass,
      r.purpose,
      r.permittedAtBlock.toString(),
      JSON.stringify(r.request),
      r.signature,
    ],
  );
}
