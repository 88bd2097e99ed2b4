/**
 * The Merkle engine: the same leaves, root and proofs as `@openzeppelin/merkle-tree`'s
 * `StandardMerkleTree` (double-hashed `abi.encode` leaves, sorted leaves, sorted pairs, the same
 * array layout), verifiable by OpenZeppelin's `MerkleProof`, built an order of magnitude faster.
 *
 * How: leaves are ABI-encoded straight into the keccak engine's I/O buffer (no hex strings, no
 * per-node objects); the whole tree lives in one flat `Uint8Array` of `(2n - 1) × 32` bytes in
 * StandardMerkleTree's layout (node `i` has children `2i + 1` and `2i + 2`, leaves at the end, in
 * reverse sorted order); leaves are sorted by a native 64-bit typed-array sort on (first 4 bytes of
 * the hash, value index), with the rare equal prefixes settled by a full comparison. Proofs are
 * read from the array one at a time, or streamed by {@link FastMerkleTree.proofs}, so no caller ever
 * needs every proof in memory at once.
 */
import { ValidationError } from "../../errors";
import { leafEncoder, type LeafEncoder } from "./abi";
import { keccakEngine } from "./keccak";

/** Progress of a build: the phase and how far it is. */
export interface BuildProgress {
  readonly phase: "leaves" | "sort" | "nodes";
  readonly done: number;
  readonly total: number;
}

/** Options of {@link FastMerkleTree.of}. */
export interface BuildOptions {
  /** Sort the leaves by hash, as StandardMerkleTree does by default (default true). */
  readonly sortLeaves?: boolean;
  /** Called every 65,536 items of each phase, and at the end of it. */
  readonly onProgress?: (progress: BuildProgress) => void;
}

/** The dump format of `@openzeppelin/merkle-tree` (`StandardMerkleTree.load` reads it). */
export interface StandardMerkleTreeDump {
  readonly format: "standard-v1";
  readonly leafEncoding: string[];
  readonly tree: string[];
  readonly values: { value: unknown[]; treeIndex: number }[];
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const PROGRESS_STEP = 65_536;

/** `0x` + hex of 32 bytes of `bytes` at `offset`. */
function hex32(bytes: Uint8Array, offset: number): string {
  let s = "0x";
  for (let i = 0; i < 32; i++) s += HEX[bytes[offset + i]];
  return s;
}

/** Compares 32 bytes at `a` and `b` (both in `bytes`) as big-endian numbers. */
function compare32(x: Uint8Array, a: number, y: Uint8Array, b: number): number {
  for (let i = 0; i < 32; i++) {
    const d = x[a + i] - y[b + i];
    if (d !== 0) return d;
  }
  return 0;
}

function bytes32Of(field: string, value: string): Uint8Array {
  if (typeof value !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(value)) throw new ValidationError(field, `${JSON.stringify(value)} is not 32 bytes of hex`);
  return Uint8Array.from(Buffer.from(value.slice(2), "hex"));
}

/** Hashes the sorted pair (a, b) into `out` at `outOffset` with the engine. */
function hashPair(x: Uint8Array, a: number, y: Uint8Array, b: number, out: Uint8Array, outOffset: number): void {
  const k = keccakEngine();
  const io = k.io;
  if (compare32(x, a, y, b) <= 0) {
    for (let i = 0; i < 32; i++) io[i] = x[a + i];
    for (let i = 0; i < 32; i++) io[32 + i] = y[b + i];
  } else {
    for (let i = 0; i < 32; i++) io[i] = y[b + i];
    for (let i = 0; i < 32; i++) io[32 + i] = x[a + i];
  }
  k.hash(64);
  for (let i = 0; i < 32; i++) out[outOffset + i] = io[i];
}

/**
 * A StandardMerkleTree-compatible tree held in one flat byte array.
 *
 * ```ts
 * const tree = FastMerkleTree.of(values, ["uint256", "address", "bytes32", "uint32", "bytes32"]);
 * tree.root;            // same as StandardMerkleTree.of(values, encoding).root
 * tree.getProof(7);     // same as StandardMerkleTree's getProof(7)
 * for (const { index, proof } of tree.proofs()) { ... } // one proof at a time
 * ```
 */
export class FastMerkleTree {
  /** The ABI types of a leaf. */
  readonly leafEncoding: readonly string[];
  /** The values the tree was built from (the caller's array, not copied). */
  readonly values: readonly (readonly unknown[])[];
  /** The nodes, 32 bytes each, in StandardMerkleTree's order (node 0 is the root). */
  readonly nodes: Uint8Array;
  /** For each value index, its node index. */
  readonly treeIndices: Uint32Array;

  private constructor(leafEncoding: readonly string[], values: readonly (readonly unknown[])[], nodes: Uint8Array, treeIndices: Uint32Array) {
    this.leafEncoding = leafEncoding;
    this.values = values;
    this.nodes = nodes;
    this.treeIndices = treeIndices;
  }

  /**
   * Builds the tree of `values` (each an array of values matching `leafEncoding`).
   * @throws {ValidationError} when there are no values, a type is not static, or a value does not fit its type
   */
  static of(values: readonly (readonly unknown[])[], leafEncoding: readonly string[], options: BuildOptions = {}): FastMerkleTree {
    const encoder = leafEncoder(leafEncoding);
    const n = values.length;
    if (!Array.isArray(values) || n === 0) throw new ValidationError("values", "a Merkle tree needs at least one leaf");
    if (n > 0x7fffffff) throw new ValidationError("values", "too many leaves for one tree");
    const progress = options.onProgress;
    const leaves = FastMerkleTree.#hashLeaves(values, encoder, progress);
    const order = options.sortLeaves === false ? identity(n) : sortedOrder(leaves, n, progress);
    const nodes = new Uint8Array((2 * n - 1) * 32);
    const treeIndices = new Uint32Array(n);
    const last = 2 * n - 2;
    for (let k = 0; k < n; k++) {
      const valueIndex = order[k];
      const t = last - k;
      treeIndices[valueIndex] = t;
      nodes.set(leaves.subarray(valueIndex * 32, valueIndex * 32 + 32), t * 32);
    }
    for (let i = n - 2, done = 0; i >= 0; i--, done++) {
      hashPair(nodes, (2 * i + 1) * 32, nodes, (2 * i + 2) * 32, nodes, i * 32);
      if (progress && done % PROGRESS_STEP === 0) progress({ phase: "nodes", done, total: n - 1 });
    }
    progress?.({ phase: "nodes", done: n - 1, total: n - 1 });
    return new FastMerkleTree(encoder.types, values, nodes, treeIndices);
  }

  static #hashLeaves(values: readonly (readonly unknown[])[], encoder: LeafEncoder, progress?: (p: BuildProgress) => void): Uint8Array {
    const k = keccakEngine();
    const io = k.io;
    const n = values.length;
    const leaves = new Uint8Array(n * 32);
    for (let i = 0; i < n; i++) {
      encoder.encode(values[i], io, 0, i);
      k.hash(encoder.size);
      k.hash(32);
      const o = i * 32;
      for (let j = 0; j < 32; j++) leaves[o + j] = io[j];
      if (progress && i % PROGRESS_STEP === 0) progress({ phase: "leaves", done: i, total: n });
    }
    progress?.({ phase: "leaves", done: n, total: n });
    return leaves;
  }

  /**
   * The leaf hash of `values` under `leafEncoding`: `keccak256(keccak256(abi.encode(values)))`.
   * @throws {ValidationError} when a value does not fit its type
   */
  static leafHash(leafEncoding: readonly string[], values: readonly unknown[]): string {
    const encoder = leafEncoder(leafEncoding);
    const k = keccakEngine();
    encoder.encode(values, k.io, 0);
    k.hash(encoder.size);
    k.hash(32);
    return hex32(k.io, 0);
  }

  /**
   * The root a proof leads to from `leaf` (both hex), folding sorted pairs as `MerkleProof.processProof`.
   * @throws {ValidationError} when the leaf or a proof element is not 32 bytes of hex
   */
  static processProof(leaf: string, proof: readonly string[]): string {
    const acc = bytes32Of("leaf", leaf);
    proof.forEach((p, i) => {
      const sibling = bytes32Of(`proof[${i}]`, p);
      hashPair(acc, 0, sibling, 0, acc, 0);
    });
    return hex32(acc, 0);
  }

  /**
   * Whether `proof` shows `values` as a leaf of the tree with `root` (as `StandardMerkleTree.verify`).
   * @throws {ValidationError} when an argument is malformed
   */
  static verify(root: string, leafEncoding: readonly string[], values: readonly unknown[], proof: readonly string[]): boolean {
    const r = bytes32Of("root", root);
    return FastMerkleTree.processProof(FastMerkleTree.leafHash(leafEncoding, values), proof) === hex32(r, 0);
  }

  /** The number of leaves. */
  get length(): number {
    return this.treeIndices.length;
  }

  /** The root, `0x` + 32 bytes of hex. */
  get root(): string {
    return hex32(this.nodes, 0);
  }

  /** The number of hashes in the longest proof. */
  get depth(): number {
    return Math.floor(Math.log2(2 * this.length - 1));
  }

  /** The value at `index` (in the caller's order). */
  at(index: number): readonly unknown[] | undefined {
    return this.values[index];
  }

  /** The leaf hash of the value at `index`. @throws {ValidationError} for an index out of range */
  leafHashAt(index: number): string {
    return hex32(this.nodes, this.#treeIndex(index) * 32);
  }

  /**
   * The proof of the value at `index`, as StandardMerkleTree's `getProof(index)` gives it.
   * @throws {ValidationError} for an index out of range
   */
  getProof(index: number): string[] {
    const proof: string[] = [];
    for (let i = this.#treeIndex(index); i > 0; i = (i - 1) >> 1) proof.push(hex32(this.nodes, (i % 2 === 1 ? i + 1 : i - 1) * 32));
    return proof;
  }

  /** The proof of the value at `index` as one byte array (32 bytes per element). */
  getProofBytes(index: number): Uint8Array {
    const nodes: number[] = [];
    for (let i = this.#treeIndex(index); i > 0; i = (i - 1) >> 1) nodes.push(i % 2 === 1 ? i + 1 : i - 1);
    const out = new Uint8Array(nodes.length * 32);
    nodes.forEach((node, j) => out.set(this.nodes.subarray(node * 32, node * 32 + 32), j * 32));
    return out;
  }

  /** Streams `{ index, value, leaf, proof }` for every value in the caller's order, one at a time. */
  *proofs(): Generator<{ index: number; value: readonly unknown[]; leaf: string; proof: string[] }> {
    for (let index = 0; index < this.length; index++) {
      yield { index, value: this.values[index], leaf: this.leafHashAt(index), proof: this.getProof(index) };
    }
  }

  /** StandardMerkleTree's dump format, for `StandardMerkleTree.load` (holds every node as hex: small trees). */
  dump(): StandardMerkleTreeDump {
    const tree: string[] = [];
    for (let i = 0; i < this.nodes.length; i += 32) tree.push(hex32(this.nodes, i));
    return {
      format: "standard-v1",
      leafEncoding: [...this.leafEncoding],
      tree,
      values: this.values.map((value, i) => ({ value: [...value], treeIndex: this.treeIndices[i] })),
    };
  }

  #treeIndex(index: number): number {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) throw new ValidationError("index", `${index} is not a leaf index (0 to ${this.length - 1})`);
    return this.treeIndices[index];
  }
}

function identity(n: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order;
}

/**
 * The value indices in ascending order of leaf hash, equal hashes in value order (a stable sort,
 * as StandardMerkleTree's `Array.prototype.sort`).
 */
function sortedOrder(leaves: Uint8Array, n: number, progress?: (p: BuildProgress) => void): Uint32Array {
  progress?.({ phase: "sort", done: 0, total: n });
  // One 64-bit key per leaf: high word = first 4 bytes of the hash (big-endian), low word = index.
  const keys = new BigUint64Array(n);
  const words = new Uint32Array(keys.buffer);
  for (let i = 0; i < n; i++) {
    const o = i * 32;
    words[2 * i] = i;
    words[2 * i + 1] = ((leaves[o] << 24) | (leaves[o + 1] << 16) | (leaves[o + 2] << 8) | leaves[o + 3]) >>> 0;
  }
  keys.sort();
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = words[2 * i];
  // Settle runs of equal 4-byte prefixes by the whole hash (then by index, already the key order).
  for (let a = 0; a < n; ) {
    let b = a + 1;
    while (b < n && words[2 * b + 1] === words[2 * a + 1]) b++;
    if (b - a > 1) {
      const run = Array.from(order.subarray(a, b)).sort((x, y) => compare32(leaves, x * 32, leaves, y * 32) || x - y);
      order.set(run, a);
    }
    a = b;
  }
  progress?.({ phase: "sort", done: n, total: n });
  return order;
}
