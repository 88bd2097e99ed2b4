/**
 * The organization's record store: FHIR resources sealed at rest (gateway/keys.ts), with the plain
 * metadata the gateway needs to find and authorize them (type, id, the patient they are about, their
 * consent data classes) and the evidence that anchors them (record id, commitment, batch root, proof).
 * Every version of a record is a row of its own (nothing is deleted): version 1 anchored in a Merkle
 * batch, each later one as an amendment on chain (its `root` is its own commitment, its proof empty);
 * once a later version is anchored, the versions before it are `superseded`.
 */
import type pg from "pg";
import type { Database } from "./db";
import { newDataKey, open, seal, type KeyProvider } from "./keys";

/** What a record is stored with, besides its content: where it is, whom it is about, its classes and its anchor. */
interface RecordFields {
  readonly resourceType: string;
  readonly id: string;
  readonly patientRef: string;
  readonly patient: string;
  readonly classes: number;
  readonly withheld: string | null;
  readonly recordId: string;
  readonly commitment: string;
  readonly version: number;
  readonly root: string;
  readonly proof: readonly string[];
}

/** One stored record's metadata (no content). */
export interface RecordRow extends RecordFields {
  readonly seq: bigint;
  /** `refused`: a later version the chain will never take (the record moved on outside this gateway). */
  readonly state: "pending" | "anchored" | "refused";
  readonly superseded: boolean;
  readonly shredded: boolean;
}

/** A record to store: its fields, content and salt. */
export interface NewRecord extends RecordFields {
  readonly resource: object;
  readonly salt: string;
}

const COLUMNS = "seq, resource_type, fhir_id, patient_ref, patient, classes, withheld, record_id, commitment, version, batch_root, proof, state, superseded, shredded_at";

interface Row {
  seq: string;
  resource_type: string;
  fhir_id: string;
  patient_ref: string;
  patient: string;
  classes: number;
  withheld: string | null;
  record_id: string;
  commitment: string;
  version: number;
  batch_root: string;
  proof: string[];
  state: "pending" | "anchored" | "refused";
  superseded: boolean;
  shredded_at: Date | null;
}

function toRow(r: Row): RecordRow {
  return {
    seq: BigInt(r.seq),
    resourceType: r.resource_type,
    id: r.fhir_id,
    patientRef: r.patient_ref,
    patient: r.patient,
    classes: r.classes,
    withheld: r.withheld,
    recordId: r.record_id,
    commitment: r.commitment,
    version: r.version,
    root: r.batch_root,
    proof: r.proof,
    state: r.state,
    superseded: r.superseded,
    shredded: r.shredded_at !== null,
  };
}

/**
 * The associated data each sealed record (and its wrapped key) is bound to: its place and every column
 * the release decision reads — the patient it is about, its classes, why it is withheld, its record id
 * and commitment. A row changed in the database without the key no longer opens, so it is never released.
 */
function aad(r: RecordFields): string {
  return JSON.stringify(["record.v1", r.resourceType, r.id, r.patientRef, r.patient.toLowerCase(), r.classes, r.withheld, r.recordId, r.commitment, r.version]);
}

export class RecordStore {
  readonly #db: Database;
  readonly #keys: KeyProvider;
  /** Called for each record that does not open (tampered, or sealed under another key); default: nothing. */
  onIntegrityFailure: (reference: string, err: unknown) => void = () => undefined;

  constructor(db: Database, keys: KeyProvider) {
    this.#db = db;
    this.#keys = keys;
  }

  /** Stores records (state `pending` until their batch is anchored) in the caller's transaction. */
  async insert(client: pg.PoolClient, records: readonly NewRecord[]): Promise<void> {
    for (const r of records) {
      const dataKey = newDataKey();
      const context = aad(r);
      const sealed = seal(dataKey, Buffer.from(JSON.stringify({ resource: r.resource, salt: r.salt }), "utf8"), context);
      const wrapped = await this.#keys.wrap(dataKey, context);
      await client.query(
        `INSERT INTO records (resource_type, fhir_id, patient_ref, patient, classes, withheld, record_id, commitment, version, batch_root, proof, state, sealed, wrapped_key, key_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending', $12, $13, $14)`,
        [r.resourceType, r.id, r.patientRef, r.patient.toLowerCase(), r.classes, r.withheld, r.recordId, r.commitment, r.version, r.root, JSON.stringify(r.proof), sealed, wrapped, this.#keys.keyId],
      );
    }
  }

  /**
   * Marks a batch's records (or one amendment, whose root is its commitment) anchored, and the versions
   * before each superseded, in one statement.
   */
  async markAnchored(root: string): Promise<void> {
    await this.#db.pool.query(
      `WITH done AS (UPDATE records SET state = 'anchored' WHERE batch_root = $1 AND state = 'pending' RETURNING resource_type, fhir_id, version)
       UPDATE records r SET superseded = true FROM done
        WHERE r.resource_type = done.resource_type AND r.fhir_id = done.fhir_id AND r.version < done.version AND NOT r.superseded`,
      [root],
    );
  }

  /** Marks a later version that the chain will never take `refused`, with why: kept, never served, not retried. */
  async refuse(seq: bigint, why: string): Promise<void> {
    await this.#db.pool.query("UPDATE records SET state = 'refused', refusal = $2 WHERE seq = $1 AND state = 'pending'", [seq.toString(), why]);
  }

  /** The roots of batches stored but not known to be anchored (a crash between storing and anchoring). */
  async pendingRoots(): Promise<string[]> {
    const r = await this.#db.pool.query<{ batch_root: string }>("SELECT DISTINCT batch_root FROM records WHERE state = 'pending' AND version = 1");
    return r.rows.map((x) => x.batch_root);
  }

  /** Later versions stored but not known to be anchored, oldest first, each with the version it supersedes. */
  async pendingAmendments(): Promise<{ row: RecordRow; previous: RecordRow }[]> {
    const r = await this.#db.pool.query<Row>(`SELECT ${COLUMNS} FROM records WHERE state = 'pending' AND version > 1 ORDER BY seq`);
    const out = [];
    for (const row of r.rows.map(toRow)) {
      const previous = await this.version(row.resourceType, row.id, row.version - 1);
      if (previous !== undefined) out.push({ row, previous });
    }
    return out;
  }

  /** The records of a pending batch, opened, in leaf order (to re-anchor after a crash). */
  async batchContents(root: string): Promise<{ row: RecordRow; resource: object; salt: string }[]> {
    const r = await this.#db.pool.query<Row & { sealed: Buffer; wrapped_key: Buffer; key_id: string }>(
      `SELECT ${COLUMNS}, sealed, wrapped_key, key_id FROM records WHERE batch_root = $1 ORDER BY seq`,
      [root],
    );
    const out = [];
    for (const x of r.rows) {
      const row = toRow(x);
      out.push({ row, ...(await this.#open(row, x.sealed, x.wrapped_key, x.key_id)) });
    }
    return out;
  }

  /** A record's metadata: its latest anchored version, else (none anchored yet) its latest; or undefined. */
  async get(resourceType: string, id: string): Promise<RecordRow | undefined> {
    const r = await this.#db.pool.query<Row>(
      `SELECT ${COLUMNS} FROM records WHERE resource_type = $1 AND fhir_id = $2 ORDER BY (state = 'anchored') DESC, version DESC LIMIT 1`,
      [resourceType, id],
    );
    return r.rows.length === 0 ? undefined : toRow(r.rows[0]);
  }

  /** One version of a record, whatever its state, or undefined. */
  async version(resourceType: string, id: string, version: number): Promise<RecordRow | undefined> {
    const r = await this.#db.pool.query<Row>(`SELECT ${COLUMNS} FROM records WHERE resource_type = $1 AND fhir_id = $2 AND version = $3`, [resourceType, id, version]);
    return r.rows.length === 0 ? undefined : toRow(r.rows[0]);
  }

  /** A record's anchored versions, newest first (FHIR's order for a history). */
  async history(resourceType: string, id: string): Promise<RecordRow[]> {
    const r = await this.#db.pool.query<Row>(
      `SELECT ${COLUMNS} FROM records WHERE resource_type = $1 AND fhir_id = $2 AND state = 'anchored' ORDER BY version DESC`,
      [resourceType, id],
    );
    return r.rows.map(toRow);
  }

  /** The latest version stored of a record, whatever its state (what an update supersedes), or undefined. */
  async latest(client: pg.PoolClient, resourceType: string, id: string): Promise<RecordRow | undefined> {
    const r = await client.query<Row>(`SELECT ${COLUMNS} FROM records WHERE resource_type = $1 AND fhir_id = $2 AND state <> 'refused' ORDER BY version DESC LIMIT 1`, [
      resourceType,
      id,
    ]);
    return r.rows.length === 0 ? undefined : toRow(r.rows[0]);
  }

  /**
   * The account of a stored Patient: its latest anchored version's (else, none anchored yet, its first's), or
   * undefined. A version pending or refused never decides whose records later ingests are.
   */
  async patientAccount(client: pg.PoolClient | pg.Pool, patientRef: string): Promise<string | undefined> {
    const [type, id] = patientRef.split("/");
    const r = await client.query<{ patient: string }>(
      "SELECT patient FROM records WHERE resource_type = $1 AND fhir_id = $2 AND (state = 'anchored' OR version = 1) ORDER BY (state = 'anchored') DESC, version DESC LIMIT 1",
      [type, id],
    );
    return r.rows[0]?.patient;
  }

  /**
   * A page of a patient's anchored, current records after `after` (by insertion order), of one type or all.
   * Returns up to `limit + 1` rows so the caller knows whether a next page exists.
   */
  async page(filter: { patientRef: string; resourceType?: string }, after: bigint, limit: number): Promise<RecordRow[]> {
    const params: unknown[] = [filter.patientRef, after.toString(), limit + 1];
    const byType = filter.resourceType === undefined ? "" : "AND resource_type = $4";
    if (filter.resourceType !== undefined) params.push(filter.resourceType);
    const r = await this.#db.pool.query<Row>(
      `SELECT ${COLUMNS} FROM records WHERE patient_ref = $1 AND seq > $2 AND state = 'anchored' AND NOT superseded ${byType} ORDER BY seq LIMIT $3`,
      params,
    );
    return r.rows.map(toRow);
  }

  /** The content of records (resource and salt), in the order given; shredded ones are absent. */
  async contents(rows: readonly RecordRow[]): Promise<Map<bigint, { resource: object; salt: string }>> {
    const out = new Map<bigint, { resource: object; salt: string }>();
    if (rows.length === 0) return out;
    const r = await this.#db.pool.query<{ seq: string; sealed: Buffer | null; wrapped_key: Buffer | null; key_id: string | null }>(
      "SELECT seq, sealed, wrapped_key, key_id FROM records WHERE seq = ANY($1::bigint[])",
      [rows.map((x) => x.seq.toString())],
    );
    const bySeq = new Map(r.rows.map((x) => [BigInt(x.seq), x]));
    for (const row of rows) {
      const x = bySeq.get(row.seq);
      if (x === undefined || x.sealed === null || x.wrapped_key === null || x.key_id === null) continue;
      try {
        out.set(row.seq, await this.#open(row, x.sealed, x.wrapped_key, x.key_id));
      } catch (err) {
        // A row whose columns were changed without the key (or whose key is not this provider's) does not
        // open: it is left out, never released, and reported.
        this.onIntegrityFailure(`${row.resourceType}/${row.id}`, err);
      }
    }
    return out;
  }

  async #open(row: RecordRow, sealed: Buffer, wrapped: Buffer, keyId: string): Promise<{ resource: object; salt: string }> {
    const context = aad(row);
    const dataKey = await this.#keys.unwrap(wrapped, context, keyId);
    return JSON.parse(open(dataKey, sealed, context).toString("utf8")) as { resource: object; salt: string };
  }

  /**
   * Crypto-shreds a record, every version of it: their sealed content and wrapped keys are cleared (the
   * salts with them), the rows stay with their time of shredding. Returns false when there is no such record or it was shredded before.
   */
  async shred(resourceType: string, id: string): Promise<boolean> {
    let shredded = false;
    // Again until no version is left: a version an ingest committed while this statement waited on a row
    // lock is not in its snapshot, but is in the next statement's.
    for (;;) {
      const r = await this.#db.pool.query(
        "UPDATE records SET sealed = NULL, wrapped_key = NULL, shredded_at = now() WHERE resource_type = $1 AND fhir_id = $2 AND shredded_at IS NULL",
        [resourceType, id],
      );
      if ((r.rowCount ?? 0) === 0) return shredded;
      shredded = true;
    }
  }

  /**
   * In the caller's transaction, locks the latest version of a record and returns it (whatever its state),
   * so that what an update was decided on (its version, its state, not shredded) is checked again under
   * the lock before the new version is written.
   */
  async lockLatest(client: pg.PoolClient, resourceType: string, id: string): Promise<RecordRow | undefined> {
    const r = await client.query<Row>(
      `SELECT ${COLUMNS} FROM records WHERE resource_type = $1 AND fhir_id = $2 AND state <> 'refused' ORDER BY version DESC LIMIT 1 FOR UPDATE`,
      [resourceType, id],
    );
    return r.rows.length === 0 ? undefined : toRow(r.rows[0]);
  }
}
