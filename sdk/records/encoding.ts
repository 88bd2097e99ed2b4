/**
 * The records' encodings: the commitment of a record version and the leaf of a record batch.
 *
 * A record version is identified on chain by its commitment, never by its content:
 *   commitment = keccak256(utf8("CareLedger.record.v1") ‖ salt ‖ utf8(RFC 8785 canonical JSON))
 * with one 256-bit random salt per record, shared by all of the record's versions. The record's id is
 * the commitment of its first version (its genesis), so it is salted and stable across versions.
 * Batch leaves are OpenZeppelin StandardMerkleTree leaves over RECORD_LEAF_ENCODING.
 */
import { AbiCoder, keccak256 } from "ethers";
import { saltedCommitment } from "../core/encoding";

/** The domain tag hashed in front of every record commitment (it keeps them apart from any other hash). */
export const RECORD_COMMITMENT_DOMAIN = "CareLedger.record.v1";

/** The ABI types of a record batch leaf: (chainId, registry, recordId, version, commitment). */
export const RECORD_LEAF_ENCODING: readonly string[] = Object.freeze(["uint256", "address", "bytes32", "uint32", "bytes32"]);

/**
 * The commitment of one version of a record (a FHIR resource) under the record's salt.
 * @throws {ValidationError} when the resource is not a JSON object or the salt is not 32 bytes
 */
export function recordCommitment(resource: unknown, salt: string): string {
  return saltedCommitment(RECORD_COMMITMENT_DOMAIN, resource, salt, "resource");
}

/** The fields of a record batch leaf. */
export interface RecordLeafFields {
  /** The chain the registry is on. */
  readonly chainId: bigint | number;
  /** The RecordRegistry's address. */
  readonly registry: string;
  /** The record's id (the commitment of its first version). */
  readonly recordId: string;
  /** The version the leaf anchors (1 for a record's first version). */
  readonly version: number;
  /** The version's commitment. */
  readonly commitment: string;
}

/** The leaf's values in {@link RECORD_LEAF_ENCODING} order (what StandardMerkleTree.of takes). */
export function recordLeafValues(f: RecordLeafFields): [bigint, string, string, number, string] {
  return [BigInt(f.chainId), f.registry, f.recordId, f.version, f.commitment];
}

/**
 * The leaf hash: `keccak256(keccak256(abi.encode(chainId, registry, recordId, version, commitment)))`,
 * exactly as StandardMerkleTree and `RecordRegistry.leafHash` compute it.
 */
export function recordLeafHash(f: RecordLeafFields): string {
  return keccak256(keccak256(AbiCoder.defaultAbiCoder().encode(RECORD_LEAF_ENCODING as string[], recordLeafValues(f))));
}
