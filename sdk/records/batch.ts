/**
 * A batch of records built off chain (commitments, salts and the Merkle tree over their leaves), and
 * the checks of the record proofs its readers hand back.
 */
import { ValidationError } from "../errors";
import { requireBytes32, requireId } from "../core/validate";
import type { FastMerkleTree } from "./merkle";
import type { RecordProof } from "./types";

/**
 * A batch built off chain: the resources' commitments and salts and the Merkle tree over their
 * leaves. Proofs are read one at a time ({@link RecordBatch.proof}) or streamed ({@link RecordBatch.proofs}).
 */
export class RecordBatch {
  /** The tree (StandardMerkleTree-compatible). */
  readonly tree: FastMerkleTree;
  /** Each item's commitment (= its recordId: batch items are first versions). */
  readonly commitments: readonly string[];
  /** Each item's salt: the secrets that keep the records private. */
  readonly salts: readonly string[];
  /** The organization that anchored the batch, once {@link RecordsClient.anchorBatch} has (carried by its proofs). */
  orgId?: bigint;

  constructor(tree: FastMerkleTree, commitments: readonly string[], salts: readonly string[], orgId?: bigint) {
    this.tree = tree;
    this.commitments = commitments;
    this.salts = salts;
    this.orgId = orgId;
  }

  /** The batch's Merkle root. */
  get root(): string {
    return this.tree.root;
  }

  /** The number of records. */
  get length(): number {
    return this.tree.length;
  }

  /** The proof of item `index`. @throws {ValidationError} for an index out of range */
  proof(index: number): RecordProof {
    const proof = this.tree.getProof(index);
    const commitment = this.commitments[index];
    return { root: this.root, ...(this.orgId === undefined ? {} : { orgId: this.orgId }), recordId: commitment, version: 1, commitment, proof };
  }

  /** Streams every item's proof with its salt, one at a time. */
  *proofs(): Generator<RecordProof & { readonly index: number; readonly salt: string }> {
    for (let index = 0; index < this.length; index++) yield { index, salt: this.salts[index], ...this.proof(index) };
  }
}

/** A version number, 1 to 2^32-1. @throws {ValidationError} naming `field` */
export function requireVersion(field: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1 || value > 0xffffffff) {
    throw new ValidationError(field, `${JSON.stringify(value)} is not a version (1 to 2^32-1)`);
  }
  return value;
}

/** A record proof, checked field by field. @throws {ValidationError} naming the field */
export function requireProof(field: string, p: unknown): RecordProof {
  if (p === null || typeof p !== "object") throw new ValidationError(field, "is not a record proof");
  const r = p as Record<string, unknown>;
  const proof = r.proof;
  if (!Array.isArray(proof)) throw new ValidationError(`${field}.proof`, "is not an array of 32-byte hashes");
  return {
    root: requireBytes32(`${field}.root`, r.root),
    ...(r.orgId === undefined ? {} : { orgId: requireId(`${field}.orgId`, r.orgId as bigint) }),
    recordId: requireBytes32(`${field}.recordId`, r.recordId),
    version: requireVersion(`${field}.version`, r.version),
    commitment: requireBytes32(`${field}.commitment`, r.commitment),
    proof: proof.map((h, i) => requireBytes32(`${field}.proof[${i}]`, h, { allowZero: true })),
  };
}
