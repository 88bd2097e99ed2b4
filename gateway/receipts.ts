/**
 * Disclosure receipts: one per released resource and data class, written durably before the response
 * leaves, then bound to a Merkle root and anchored on chain by the holder (gateway/anchor.ts).
 */
import { Batcher } from "./batch";
import { isRefusal, type Database } from "./db";
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
  /** Concurrent responses' receipts, written together (gateway/batch.ts). */
  readonly #writes: Batcher<readonly NewReceipt[], true>;

  constructor(db: Database) {
    this.#db = db;
    this.#writes = new Batcher(async (responses) => {
      try {
        await this.#write(responses.flat());
        return responses.map(() => true as const);
      } catch (err) {
        // A broken connection leaves the statement's fate unknown: writing again could write twice.
        if (!isRefusal(err)) throw err;
        // The database refused the statement (nothing of it was written). One response's receipts
        // refused fail no other response: each is written alone.
        return Promise.all(responses.map((r) => this.#write(r).then(() => true as const, (err: unknown) => (err instanceof Error ? err : new Error(String(err))))));
      }
    });
  }

  /**
   * Writes one response's receipts, all or none, in order; resolves once they are durable. Concurrent
   * responses' receipts go to the database in one statement.
   */
  async insert(receipts: readonly NewReceipt[]): Promise<void> {
    if (receipts.length === 0) return;
    await this.#writes.submit(receipts);
  }

  /** One statement: all of `receipts` or none, in order. */
  async #write(receipts: readonly NewReceipt[]): Promise<void> {
    const column = <T>(f: (r: NewReceipt) => T): T[] => receipts.map(f);
    await this.#db.pool.query(
      `INSERT INTO receipts (request_digest, requester, holder_org_id, patient, access_ref, access_nonce, record_id, resource_ref, data_class, purpose, permitted_at_block, request, signature)
       SELECT d, q, h, p, a, n, r, f, c, u, b, j, s
       FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::integer[], $10::integer[], $11::bigint[], $12::jsonb[], $13::text[])
         WITH ORDINALITY AS t(d, q, h, p, a, n, r, f, c, u, b, j, s, i)
       ORDER BY i`,
      [
        column((r) => r.requestDigest),
        column((r) => r.requester.toLowerCase()),
        column((r) => r.holderOrgId.toString()),
        column((r) => r.patient.toLowerCase()),
        column((r) => r.accessRef),
        column((r) => r.accessNonce),
        column((r) => r.recordId),
        column((r) => r.resourceRef),
        column((r) => r.dataClass),
        column((r) => r.purpose),
        column((r) => r.permittedAtBlock.toString()),
        column((r) => JSON.stringify(r.request)),
        column((r) => r.signature),
      ],
    );
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
