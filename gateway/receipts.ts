/**
 * Disclosure receipts: one per released resource and data class, written durably before the response
 * leaves, then bound to a Merkle root and anchored on chain by the holder (gateway/anchor.ts).
 *
 * A response's receipts are stored together, as one `disclosures` row (the signed request once, the
 * receipts in arrays, in order): a searchset of 20 writes one row, not 20. They are read one per receipt
 * (the `receipts` view, {@link StoredReceipt}); a receipt's position is its row's `seq` × 65,536 plus its
 * place in the row, or, for a receipt migrated from the one-row-each table, its old seq ({@link receiptSeq}).
 */
import { duplicateRequest, NONCE_SPENDABLE, nonceKey } from "./auth";
import { Batcher } from "./batch";
import { isRefusal, type Database } from "./db";
import type { GatewayRequest } from "../sdk/exchange/request";
import { checkReceipts, receiptTree, type DisclosureReceipt } from "../sdk/exchange/receipts";
import type { FastMerkleTree } from "../sdk/records/merkle";

/** What one released resource adds to a disclosure: one receipt (per data class). */
export interface ReleasedReceipt {
  readonly accessRef: string;
  readonly accessNonce: string;
  readonly recordId: string;
  readonly resourceRef: string;
  readonly dataClass: number;
}

/** One response's receipts about one patient, to write: what was signed and what was released, in order. */
export interface NewDisclosure {
  readonly requestDigest: string;
  readonly requester: string;
  readonly holderOrgId: bigint;
  readonly patient: string;
  readonly purpose: number;
  readonly permittedAtBlock: bigint;
  readonly request: GatewayRequest;
  readonly signature: string;
  readonly receipts: readonly ReleasedReceipt[];
}

/** A request's nonce, spent with its response's receipts. */
export interface NonceToSpend {
  readonly requester: string;
  readonly nonce: string;
  /** Seconds since the epoch: the nonce is kept until then (and pruned after). */
  readonly expiresAt: number;
}

/** One response's disclosures to write, and the nonce to spend with them. */
interface Response {
  readonly disclosures: readonly NewDisclosure[];
  readonly nonce?: NonceToSpend;
}

/** A stored receipt, with its root and proof once bound to one. */
export interface StoredReceipt extends Omit<NewDisclosure, "receipts">, ReleasedReceipt {
  /** Its position ({@link receiptSeq}). */
  readonly seq: bigint;
  readonly root: string | null;
  readonly leafIndex: number | null;
  readonly proof: string[] | null;
  /** Whether its root is on chain. */
  readonly anchored: boolean;
  readonly createdAt: Date;
}

/** A stored disclosure (one row), its receipts in order. */
export interface StoredDisclosure extends NewDisclosure {
  readonly seq: bigint;
  /** A receipt written one row each before migration 1796342400000: its position is its seq. */
  readonly migrated: boolean;
  readonly root: string | null;
  readonly leafOffset: number | null;
  readonly anchored: boolean;
  readonly createdAt: Date;
}

/** Most receipts one disclosure row holds (the `receipts` view's positions leave 16 bits for them). */
export const MAX_RECEIPTS_PER_DISCLOSURE = 65_536;

/**
 * The position of receipt `index` of disclosure row `disclosureSeq`: ordered like the rows, then the receipts.
 * A migrated row's one receipt keeps its old seq (the rows written after it have larger seqs, so larger positions).
 */
export function receiptSeq(disclosureSeq: bigint, index: number, migrated = false): bigint {
  return migrated ? disclosureSeq : disclosureSeq * BigInt(MAX_RECEIPTS_PER_DISCLOSURE) + BigInt(index);
}

/** The columns a row's receipt leaves are computed from, and its seq and leaf offset. */
export const LEAF_COLUMNS = "d.seq, d.request_digest, d.requester, d.holder_org_id, d.patient, d.purpose, d.permitted_at_block, d.access_refs, d.data_classes, d.leaf_offset";

/** A row read with {@link LEAF_COLUMNS}. */
export interface LeafRow {
  seq: string;
  request_digest: string;
  requester: string;
  holder_org_id: string;
  patient: string;
  purpose: number;
  permitted_at_block: string;
  access_refs: string[];
  data_classes: number[];
  leaf_offset: number | null;
}

/** A row read with {@link DISCLOSURE_COLUMNS}: its leaves' columns and the rest. */
interface Row extends LeafRow {
  request: GatewayRequest;
  signature: string;
  access_nonces: string[];
  record_ids: string[];
  resource_refs: string[];
  root: string | null;
  anchored: boolean | null;
  migrated: boolean;
  created_at: Date;
}

/** The columns of a `disclosures d` row, as {@link toDisclosure} reads them (with `anchored`). */
export const DISCLOSURE_COLUMNS =
  "d.seq, d.request_digest, d.requester, d.holder_org_id, d.patient, d.purpose, d.permitted_at_block, d.request, d.signature, d.access_refs, d.access_nonces, d.record_ids, d.resource_refs, d.data_classes, d.root, d.leaf_offset, d.migrated, d.created_at";

export function toDisclosure(r: Row): StoredDisclosure {
  return {
    seq: BigInt(r.seq),
    migrated: r.migrated,
    requestDigest: r.request_digest,
    requester: r.requester,
    holderOrgId: BigInt(r.holder_org_id),
    patient: r.patient,
    purpose: r.purpose,
    permittedAtBlock: BigInt(r.permitted_at_block),
    request: r.request,
    signature: r.signature,
    receipts: r.access_refs.map((accessRef, i) => ({
      accessRef,
      accessNonce: r.access_nonces[i],
      recordId: r.record_ids[i],
      resourceRef: r.resource_refs[i],
      dataClass: r.data_classes[i],
    })),
    root: r.root,
    leafOffset: r.leaf_offset,
    anchored: r.anchored === true,
    createdAt: r.created_at,
  };
}

/** A disclosure's receipts, one by one, each with its position and leaf index (its proof is {@link withProofs}'). */
export function receiptsOf(d: StoredDisclosure): StoredReceipt[] {
  const { receipts, leafOffset, migrated, ...common } = d;
  return receipts.map((r, i) => ({
    ...common,
    ...r,
    seq: receiptSeq(d.seq, i, migrated),
    leafIndex: leafOffset === null ? null : leafOffset + i,
    proof: null,
  }));
}

/** A row's receipts as leaves (what its root's tree is built from), in order. */
export function leavesOf(r: LeafRow): DisclosureReceipt[] {
  const shared = {
    requestDigest: r.request_digest,
    requester: r.requester,
    holderOrgId: BigInt(r.holder_org_id),
    patient: r.patient,
    purpose: r.purpose,
    permittedAtBlock: BigInt(r.permitted_at_block),
  };
  return r.access_refs.map((accessRef, i) => ({ ...shared, accessRef, dataClass: r.data_classes[i] }));
}

/** How many roots' trees a database's readers keep (a tree of 1,024 receipts is about 70 KB). */
const TREES_KEPT = 64;
const trees = new WeakMap<Database, Map<string, Promise<FastMerkleTree>>>();

/**
 * The tree of `root`, rebuilt from the rows bound to it, in leaf order. Proofs are not stored: the anchoring
 * worker writes a root and each row's leaf offset only (a root of 1,024 receipts had 10 hashes a receipt to
 * write, in the same database as the requests being served), and the few readers of proofs (a patient's
 * receipts, the publisher's rounds) rebuild the root's tree once and keep it. Rows whose leaves no longer
 * rebuild their root (changed without the gateway) give proofs under the root they rebuild, which verify
 * under no anchored root: the patient's SDK and the indexer refuse them.
 */
function treeOf(db: Database, root: string): Promise<FastMerkleTree> {
  let kept = trees.get(db);
  if (kept === undefined) trees.set(db, (kept = new Map()));
  const known = kept.get(root);
  if (known !== undefined) {
    // Most recently used last.
    kept.delete(root);
    kept.set(root, known);
    return known;
  }
  const built = db.pool
    .query<LeafRow>(`SELECT ${LEAF_COLUMNS} FROM disclosures d WHERE d.root = $1 ORDER BY d.leaf_offset`, [root])
    .then((r) => receiptTree(r.rows.flatMap(leavesOf)));
  kept.set(root, built);
  built.catch(() => {
    if (kept.get(root) === built) kept.delete(root);
  });
  for (const old of kept.keys()) {
    if (kept.size <= TREES_KEPT) break;
    kept.delete(old);
  }
  return built;
}

/** `receipts` with the proofs of those bound to a root (each root's tree rebuilt once, {@link treeOf}). */
export async function withProofs(db: Database, receipts: readonly StoredReceipt[]): Promise<StoredReceipt[]> {
  const roots = [...new Set(receipts.flatMap((r) => (r.root === null ? [] : [r.root])))];
  const built = new Map(await Promise.all(roots.map(async (root) => [root, await treeOf(db, root)] as const)));
  return receipts.map((r) => (r.root === null || r.leafIndex === null ? r : { ...r, proof: (built.get(r.root) as FastMerkleTree).getProof(r.leafIndex) }));
}

/**
 * One receipt as it leaves the gateway — an element of `GET /receipts`' answer (which adds `anchored`), and
 * of the body the publisher posts to an indexer (gateway/publish.ts): the anchored leaf's fields (integers
 * over 2^53 as decimal strings), its root and proof, and the holder's word beside it (the access nonce, the
 * record, the version released, the signed request and its signature, when it was written).
 */
export interface ReceiptEntry {
  readonly receipt: {
    readonly requestDigest: string;
    readonly requester: string;
    /** Decimal string. */
    readonly holderOrgId: string;
    readonly patient: string;
    readonly accessRef: string;
    readonly dataClass: number;
    readonly purpose: number;
    /** Decimal string. */
    readonly permittedAtBlock: string;
  };
  readonly accessNonce: string;
  readonly recordId: string;
  /** The version released, `Observation/{id}/_history/{n}`. */
  readonly resource: string;
  readonly request: GatewayRequest;
  readonly signature: string;
  /** Null until the receipt is bound to a root. */
  readonly root: string | null;
  readonly proof: string[] | null;
  /** When it was written (ISO 8601). */
  readonly at: string;
}

/** A stored receipt as it leaves the gateway: the one way an entry of `GET /receipts` or of a publication is built. */
export function receiptEntry(r: StoredReceipt): ReceiptEntry {
  return {
    receipt: {
      requestDigest: r.requestDigest,
      requester: r.requester,
      holderOrgId: r.holderOrgId.toString(),
      patient: r.patient,
      accessRef: r.accessRef,
      dataClass: r.dataClass,
      purpose: r.purpose,
      permittedAtBlock: r.permittedAtBlock.toString(),
    },
    accessNonce: r.accessNonce,
    recordId: r.recordId,
    resource: r.resourceRef,
    request: r.request,
    signature: r.signature,
    root: r.root,
    proof: r.proof,
    at: r.createdAt.toISOString(),
  };
}

/**
 * The receipts of `root` whose leaf indexes are `from` to `from + limit - 1`, in leaf order (a root's rows
 * are read by `disclosures_by_root`; a row holding more receipts than `limit` is read once and sliced).
 */
export async function receiptsUnderRoot(db: Database, root: string, from: number, limit: number): Promise<StoredReceipt[]> {
  const r = await db.pool.query<Row>(
    `SELECT ${DISCLOSURE_COLUMNS}, (x.state = 'anchored') AS anchored FROM disclosures d LEFT JOIN disclosure_roots x ON x.root = d.root
     WHERE d.root = $1 AND d.leaf_offset < $2::integer + $3::integer AND d.leaf_offset + cardinality(d.access_refs) > $2::integer
     ORDER BY d.leaf_offset`,
    [root, from, limit],
  );
  return withProofs(
    db,
    r.rows.flatMap((row) => receiptsOf(toDisclosure(row))).filter((x) => x.leafIndex !== null && x.leafIndex >= from && x.leafIndex < from + limit),
  );
}

export class ReceiptStore {
  readonly #db: Database;
  /** Concurrent responses' receipts, written together (gateway/batch.ts). */
  readonly #writes: Batcher<Response, true>;
  readonly #listeners: ((receipts: number) => void)[] = [];

  constructor(db: Database) {
    this.#db = db;
    this.#writes = new Batcher(async (responses) => {
      // The same nonce twice in one round (a request racing its own replay): the first is the one tried.
      const tried = new Set<string>();
      const answers: (true | Error | undefined)[] = responses.map((r) => {
        if (r.nonce === undefined) return undefined;
        const key = nonceKey(r.nonce);
        if (tried.has(key)) return duplicateRequest();
        tried.add(key);
        return undefined;
      });
      const written = responses.filter((_, i) => answers[i] === undefined);
      try {
        const spent = await this.#write(written);
        let k = 0;
        return answers.map((a) => a ?? this.#answer(written[k], spent[k++]));
      } catch (err) {
        // A broken connection leaves the statement's fate unknown: writing again could write twice.
        if (!isRefusal(err)) throw err;
        // The database refused the statement (nothing of it was written). One response's receipts
        // refused fail no other response: each is written alone.
        return Promise.all(
          responses.map((r, i) =>
            answers[i] !== undefined
              ? (answers[i] as Error)
              : this.#write([r]).then(
                  ([spent]) => this.#answer(r, spent),
                  (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
                ),
          ),
        );
      }
    });
  }

  /** A response's answer: written, or refused for its nonce spent before. */
  #answer(response: Response, spent: boolean): true | Error {
    return response.nonce === undefined || spent ? true : duplicateRequest();
  }

  /**
   * Writes one response's receipts, all or none, in order; resolves once they are durable. Concurrent
   * responses' receipts go to the database in one statement. With `nonce` (the request's), the nonce is
   * spent in that statement too, and nothing is written if it was spent before.
   * @returns whether anything was written (and the nonce spent): not when there are no receipts
   * @throws {ValidationError} (nothing written) for a receipt that could not be anchored: a field out of its leaf type's range
   * @throws {GatewayError} 409 (nothing written) when `nonce` was spent before
   */
  async insert(disclosures: readonly NewDisclosure[], nonce?: NonceToSpend): Promise<boolean> {
    const written = disclosures.filter((d) => d.receipts.length > 0);
    if (written.length === 0) return false;
    for (const d of written) {
      if (d.receipts.length > MAX_RECEIPTS_PER_DISCLOSURE) throw new RangeError(`a disclosure holds at most ${MAX_RECEIPTS_PER_DISCLOSURE} receipts, not ${d.receipts.length}`);
      // A receipt that could never be anchored (it would stall every root after it) is never written.
      checkReceipts({ requestDigest: d.requestDigest, requester: d.requester, holderOrgId: d.holderOrgId, patient: d.patient, purpose: d.purpose, permittedAtBlock: d.permittedAtBlock }, d.receipts);
    }
    await this.#writes.submit({ disclosures: written, nonce });
    return true;
  }

  /**
   * One statement: all of the responses' disclosures or none, in order, each response's only if its nonce
   * (when it has one to spend) was not spent before; the nonces spent with them. Receipts travel as flat
   * arrays, sliced per row. Answers, per response, whether its nonce was spent here.
   */
  async #write(responses: readonly Response[]): Promise<boolean[]> {
    const disclosures = responses.flatMap((r) => r.disclosures);
    const nonces = responses.flatMap((r) => (r.nonce === undefined ? [] : [r.nonce]));
    const column = <T>(f: (d: NewDisclosure) => T): T[] => disclosures.map(f);
    const flat = <T>(f: (r: ReleasedReceipt) => T): T[] => disclosures.flatMap((d) => d.receipts.map(f));
    const from: number[] = [];
    const to: number[] = [];
    const spending: (string | null)[] = [];
    let at = 1;
    for (const r of responses) {
      for (const d of r.disclosures) {
        from.push(at);
        at += d.receipts.length;
        to.push(at - 1);
        spending.push(r.nonce === undefined ? null : r.nonce.nonce);
      }
    }
    // A named statement: parsed and planned once per connection, not once per response (it is the one
    // statement an enforced read adds to what serving costs).
    const result = await this.#db.pool.query<{ requester: string; nonce: string }>({
      name: "careledger-write-receipts",
      text: `WITH n AS (
         INSERT INTO request_nonces (requester, nonce, expires_at)
         SELECT q, n, to_timestamp(e) FROM unnest($17::text[], $18::text[], $19::float8[]) AS t(q, n, e) WHERE ${NONCE_SPENDABLE("e")}
         ON CONFLICT DO NOTHING RETURNING requester, nonce
       ), written AS (
         INSERT INTO disclosures (request_digest, requester, holder_org_id, patient, purpose, permitted_at_block, request, signature,
                                  access_refs, access_nonces, record_ids, resource_refs, data_classes)
         SELECT d, q, h, p, u, b, j, s, ($9::text[])[f:t], ($10::text[])[f:t], ($11::text[])[f:t], ($12::text[])[f:t], ($13::integer[])[f:t]
         FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::integer[], $6::bigint[], $7::jsonb[], $8::text[], $14::integer[], $15::integer[], $16::text[])
           WITH ORDINALITY AS x(d, q, h, p, u, b, j, s, f, t, nn, i)
         WHERE nn IS NULL OR EXISTS (SELECT 1 FROM n WHERE n.requester = x.q AND n.nonce = x.nn)
         ORDER BY i
       )
       SELECT requester, nonce FROM n`,
      values: [
        column((d) => d.requestDigest),
        column((d) => d.requester.toLowerCase()),
        column((d) => d.holderOrgId.toString()),
        column((d) => d.patient.toLowerCase()),
        column((d) => d.purpose),
        column((d) => d.permittedAtBlock.toString()),
        column((d) => JSON.stringify(d.request)),
        column((d) => d.signature),
        flat((r) => r.accessRef),
        flat((r) => r.accessNonce),
        flat((r) => r.recordId),
        flat((r) => r.resourceRef),
        flat((r) => r.dataClass),
        from,
        to,
        spending,
        nonces.map((x) => x.requester.toLowerCase()),
        nonces.map((x) => x.nonce),
        nonces.map((x) => x.expiresAt),
      ],
    });
    // A data-modifying WITH runs whether or not the query reads it: the disclosures are written.
    const spent = new Set(result.rows.map((row) => nonceKey(row)));
    const answers = responses.map((r) => r.nonce !== undefined && spent.has(nonceKey(r.nonce)));
    const receipts = responses.reduce((sum, r, i) => (r.nonce === undefined || answers[i] ? sum + r.disclosures.reduce((n, d) => n + d.receipts.length, 0) : sum), 0);
    if (receipts > 0) for (const listener of this.#listeners) listener(receipts);
    return answers;
  }

  /** Tells `listener` how many receipts each write made durable (the anchoring worker counts them: `AnchorWorker.written`). */
  onWritten(listener: (receipts: number) => void): void {
    this.#listeners.push(listener);
  }

  /** A patient's receipts after position `after`, oldest first; up to `limit + 1` (the extra one says a next page exists). */
  async forPatient(patient: string, after: bigint, limit: number): Promise<StoredReceipt[]> {
    // Rows from the one holding `after` on (positions grow with seq): a migrated row's position is its seq,
    // any other's its seq × MAX_RECEIPTS_PER_DISCLOSURE + index. Each row holds at least one receipt, so `limit + 2` rows are enough.
    const r = await this.#db.pool.query<Row>(
      `SELECT ${DISCLOSURE_COLUMNS}, (x.state = 'anchored') AS anchored FROM disclosures d LEFT JOIN disclosure_roots x ON x.root = d.root
       WHERE d.patient = $1
         AND d.seq >= CASE WHEN $2::bigint <= (SELECT coalesce(max(seq), 0) FROM disclosures WHERE migrated) THEN $2::bigint + 1 ELSE $2::bigint / ${MAX_RECEIPTS_PER_DISCLOSURE} END
       ORDER BY d.seq LIMIT $3`,
      [patient.toLowerCase(), after.toString(), limit + 2],
    );
    return withProofs(
      this.#db,
      r.rows
        .flatMap((row) => receiptsOf(toDisclosure(row)))
        .filter((x) => x.seq > after)
        .slice(0, limit + 1),
    );
  }

  /** How many receipts are not yet bound to a root. */
  async unrootedCount(): Promise<number> {
    const r = await this.#db.pool.query<{ n: string }>("SELECT coalesce(sum(cardinality(access_refs)), 0) AS n FROM disclosures WHERE root IS NULL");
    return Number(r.rows[0].n);
  }
}
