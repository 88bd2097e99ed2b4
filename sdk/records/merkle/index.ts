/**
 * The Merkle engine: StandardMerkleTree-compatible trees, built fast. See {@link FastMerkleTree}.
 * @packageDocumentation
 */
export { leafEncoder, type LeafEncoder } from "./abi";
export { jsKeccakEngine, keccakEngine, type Keccak256 } from "./keccak";
export { FastMerkleTree, type BuildOptions, type BuildProgress, type StandardMerkleTreeDump } from "./tree";
