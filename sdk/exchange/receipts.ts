/**
 * Disclosure receipts: what a record holder's gateway writes for every resource it releases, and
 * the Merkle tree whose root it anchors in the DisclosureLog. Written once, here, on the SDK's Merkle
 * engine: the gateway, the tests, the benchmark and a patient's verifier all encode receipts with
 * these functions.
 *
 * A receipt's leaf is OpenZeppelin StandardMerkleTree's leaf over {@link RECEIPT_LEAF_TYPES}:
 * `keccak256(bytes.concat(keccak256(abi.encode(values))))`, so a tree built here is the tree
 * `StandardMerkleTree.of(receipts.map(receiptValues), RECEIPT_LEAF_TYPES)` builds (same root, same
 * proofs), and its proofs verify with OpenZeppelin's `MerkleProof` (the DisclosureLog's `verifyReceipt`).
 *
 * ```ts
 * const { root, count, proofs } = buildReceiptTree(receipts);
 * await (await careledger.disclosures.anchor({ root, count })).wait();
 * verifyReceiptProof(receipts[3], proofs[3], root);   // true, off chain
 * ```
 */
import { ValidationError } from "../errors";
import { requireAddress, requireBytes32, requireId } from "../core/validate";
import { dataClassName, purposeName } from "../consent/codes";
import { FastMerkleTree, type StandardMerkleTreeDump } from "../records/merkle";

/** One disclosure: who asked, which holder released what of which patient, for which purpose, checked at which block. */
export interface DisclosureReceipt {
  /** bytes32: the EIP-712 digest of the requester's signed gateway request. */
  requestDigest: string;
  /** The address that signed the request (an EOA or an ERC-1271 account). */
  requester: string;
  /** The organization that released the resource (the holder, the one that anchors the root). */
  holderOrgId: bigint;
  /** The patient's address. */
  patient: string;
  /** bytes32: the unlinkable access reference (`accessReference(...).recordRef`), never the record's id. */
  accessRef: string;
  /**
   * The consent data class, as its bit position (`DATA_CLASSES`), or {@link UNCLASSIFIED_DATA_CLASS} for a
   * record in no class released to its own patient (or the patient's delegate) under the right of access.
   */
  dataClass: number;
  /** The purpose of use, as its bit position (`PURPOSES`). */
  purpose: number;
  /** The block at which the requester's standing and the patient's consent were checked. */
  permittedAtBlock: bigint;
}

/**
 * The data class a receipt names for a record that belongs to no consent class (a survey, a social
 * history) released to its own patient, or the patient's delegate, under the right of access: such a
 * record is never released under a grant.
 */
export const UNCLASSIFIED_DATA_CLASS = 255;

/** The ABI types of a receipt's leaf, in {@link receiptValues} order. */
export const RECEIPT_LEAF_TYPES = ["bytes32", "address", "uint64", "address", "bytes32", "uint8", "uint8", "uint64"] as const;

/** A receipt's leaf values, in {@link RECEIPT_LEAF_TYPES} order. */
export type ReceiptValues = [requestDigest: string, requester: string, holderOrgId: bigint, patient: string, accessRef: string, dataClass: number, purpose: number, permittedAtBlock: bigint];

/** The most receipts one root may hold: `DisclosureLog.MAX_RECEIPTS_PER_ROOT()`. */
export const MAX_RECEIPTS_PER_ROOT = 65_536;

const MAX_UINT64 = (1n << 64n) - 1n;

/** A receipt built into a tree: its root, every receipt's leaf and proof, and the tree's dump. */
export interface ReceiptTree {
  /** The Merkle root, what the holder anchors. */
  readonly root: string;
  /** The number of receipts (the `count` anchored with the root). */
  readonly count: number;
  /** Each receipt's leaf, in the order the receipts were given. */
  readonly leaves: readonly string[];
  /** Each receipt's proof, in the order the receipts were given: what the gateway hands the patient with the receipt. */
  readonly proofs: readonly (readonly string[])[];
  /**
   * The tree in `@openzeppelin/merkle-tree`'s dump format (`StandardMerkleTree.load(dump)` reads it).
   * Integers are decimal strings, so that `JSON.stringify` writes it as it is.
   */
  readonly dump: StandardMerkleTreeDump;
}

/** The block number, a whole number from 0 to 2^64-1. @throws {ValidationError} naming `field` */
function requireBlock(field: string, value: unknown): bigint {
  if (typeof value === "bigint" || (typeof value === "number" && Number.isSafeInteger(value))) {
    const n = BigInt(value);
    if (n >= 0n && n <= MAX_UINT64) return n;
  }
  throw new ValidationError(field, `${JSON.stringify(String(value))} is not a block number (0 to 2^64-1)`);
}

/** A bit position of a closed vocabulary. @throws {ValidationError} naming `field` */
function requireCode(field: string, value: unknown, nameOf: (position: number) => string | undefined, what: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || nameOf(value) === undefined) {
    throw new ValidationError(field, `${JSON.stringify(value)} is not ${what}`);
  }
  return value;
}

const dataClassOf = (c: number) => (c === UNCLASSIFIED_DATA_CLASS ? "unclassified" : dataClassName(c));
const DATA_CLASS_WANTED = "a data class bit position (DATA_CLASSES) or UNCLASSIFIED_DATA_CLASS";

/** The leaf values of `r`, each field checked and named `<prefix>.<field>`. */
function valuesOf(r: unknown, prefix: string): ReceiptValues {
  if (r === null || typeof r !== "object") throw new ValidationError(prefix, "is not a disclosure receipt");
  const x = r as Record<string, unknown>;
  return [
    requireBytes32(`${prefix}.requestDigest`, x.requestDigest),
    requireAddress(`${prefix}.requester`, x.requester),
    requireId(`${prefix}.holderOrgId`, x.holderOrgId),
    requireAddress(`${prefix}.patient`, x.patient),
    requireBytes32(`${prefix}.accessRef`, x.accessRef),
    requireCode(`${prefix}.dataClass`, x.dataClass, dataClassOf, DATA_CLASS_WANTED),
    requireCode(`${prefix}.purpose`, x.purpose, purposeName, "a purpose bit position (PURPOSES)"),
    requireBlock(`${prefix}.permittedAtBlock`, x.permittedAtBlock),
  ];
}

/**
 * Checks the receipts of one response as {@link receiptValues} checks each (the same fields, the same
 * errors): what they share (request, requester, holder, patient, purpose, block) once, and each one's
 * access reference and data class. A gateway checks every response's receipts before it writes them.
 * @throws {ValidationError} naming the field (`receipt.accessRef`, …)
 */
export function checkReceipts(shared: Omit<DisclosureReceipt, "accessRef" | "dataClass">, receipts: readonly Pick<DisclosureReceipt, "accessRef" | "dataClass">[]): void {
  if (receipts.length === 0) return;
  valuesOf({ ...shared, accessRef: receipts[0].accessRef, dataClass: receipts[0].dataClass }, "receipt");
  for (let i = 1; i < receipts.length; i++) {
    requireBytes32("receipt.accessRef", receipts[i].accessRef);
    requireCode("receipt.dataClass", receipts[i].dataClass, dataClassOf, DATA_CLASS_WANTED);
  }
}

/** A whole number written in decimal (no sign, no leading zero, no spaces): how JSON carries a receipt's uint64s. */
function requireDecimal(field: string, value: unknown, what: string): bigint {
  if (typeof value !== "string" || !/^(0|[1-9][0-9]{0,19})$/.test(value)) throw new ValidationError(field, `${JSON.stringify(value)} is not ${what} written as a decimal string`);
  return BigInt(value);
}

/**
 * A receipt from its JSON form, as a gateway's `GET /receipts` and the indexer hand it over: the fields of
 * {@link DisclosureReceipt} with `holderOrgId` and `permittedAtBlock` as decimal strings. Every field is
 * checked as {@link receiptValues} checks it, and named `<field>.<name>`; keys it does not know are not read.
 * @throws {ValidationError} naming the field (`receipt.holderOrgId`, …)
 */
export function receiptFromJson(value: unknown, field = "receipt"): DisclosureReceipt {
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new ValidationError(field, "is not a disclosure receipt (an object)");
  const x = value as Record<string, unknown>;
  const receipt: DisclosureReceipt = {
    requestDigest: x.requestDigest as string,
    requester: x.requester as string,
    holderOrgId: requireDecimal(`${field}.holderOrgId`, x.holderOrgId, "an organization id"),
    patient: x.patient as string,
    accessRef: x.accessRef as string,
    dataClass: x.dataClass as number,
    purpose: x.purpose as number,
    permittedAtBlock: requireDecimal(`${field}.permittedAtBlock`, x.permittedAtBlock, "a block number"),
  };
  valuesOf(receipt, field);
  return receipt;
}

/**
 * A receipt's leaf values in {@link RECEIPT_LEAF_TYPES} order (what `StandardMerkleTree.of` takes),
 * every field checked: the digest and the access reference 32 bytes and not zero, the addresses
 * addresses (checksummed) and not zero, the organization an id, the class and the purpose assigned
 * positions of the consent vocabularies, the block a uint64.
 * @throws {ValidationError} naming the field (`receipt.requester`, …)
 */
export function receiptValues(r: DisclosureReceipt): ReceiptValues {
  return valuesOf(r, "receipt");
}

/**
 * A receipt's leaf: `keccak256(bytes.concat(keccak256(abi.encode(receiptValues(r)))))`, as
 * StandardMerkleTree computes it. Compute it from the receipt: never take a leaf from the party you check.
 * @throws {ValidationError} naming the field
 */
export function receiptLeaf(r: DisclosureReceipt): string {
  return FastMerkleTree.leafHash(RECEIPT_LEAF_TYPES, receiptValues(r));
}

/**
 * The Merkle tree of `receipts` on the SDK's engine, nothing computed beyond it: its `root`, and receipt
 * `i`'s proof when asked (`getProof(i)`, in the order given). What a gateway anchors with (the root) and
 * rebuilds a root's proofs with when a patient or an indexer asks for them; {@link buildReceiptTree} gives
 * every leaf, proof and the dump at once.
 * @throws {ValidationError} `receipts` when there are none or more than {@link MAX_RECEIPTS_PER_ROOT};
 *   `receipts[i].<field>` for a malformed receipt
 */
export function receiptTree(receipts: readonly DisclosureReceipt[]): FastMerkleTree {
  if (!Array.isArray(receipts) || receipts.length === 0) throw new ValidationError("receipts", "a root covers at least one receipt");
  if (receipts.length > MAX_RECEIPTS_PER_ROOT) {
    throw new ValidationError("receipts", `${receipts.length} receipts is more than one root may hold (${MAX_RECEIPTS_PER_ROOT}): anchor them under several roots`);
  }
  return FastMerkleTree.of(
    receipts.map((r, i) => valuesOf(r, `receipts[${i}]`)),
    RECEIPT_LEAF_TYPES,
  );
}

/**
 * Builds the Merkle tree of `receipts`: the root to anchor, the count, every receipt's leaf and
 * proof (in the order given), and the tree's dump to keep beside them.
 * @throws {ValidationError} `receipts` when there are none or more than {@link MAX_RECEIPTS_PER_ROOT};
 *   `receipts[i].<field>` for a malformed receipt
 */
export function buildReceiptTree(receipts: readonly DisclosureReceipt[]): ReceiptTree {
  const tree = receiptTree(receipts);
  const leaves: string[] = [];
  const proofs: string[][] = [];
  for (const { leaf, proof } of tree.proofs()) {
    leaves.push(leaf);
    proofs.push(proof);
  }
  const dump = tree.dump();
  return {
    root: tree.root,
    count: receipts.length,
    leaves,
    proofs,
    dump: { ...dump, values: dump.values.map(({ value, treeIndex }) => ({ value: value.map((v) => (typeof v === "bigint" ? v.toString() : v)), treeIndex })) },
  };
}

/**
 * Whether `proof` shows `receipt` under `root`, computed off chain (as OpenZeppelin's `MerkleProof`
 * does on chain). It does not say whether the root is anchored, nor by whom: `disclosures.verifyReceipt` does.
 * @throws {ValidationError} naming the receipt's field, `root`, `proof` or `proof[i]`
 */
export function verifyReceiptProof(receipt: DisclosureReceipt, proof: readonly string[], root: string): boolean {
  const values = receiptValues(receipt);
  const r = requireBytes32("root", root);
  if (!Array.isArray(proof)) throw new ValidationError("proof", "is not an array of 32-byte hashes");
  return FastMerkleTree.verify(r, RECEIPT_LEAF_TYPES, values, proof);
}
