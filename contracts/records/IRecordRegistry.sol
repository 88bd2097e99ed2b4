// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IParticipantRegistry} from "../participants/IParticipantRegistry.sol";
import {IRecordEvidence} from "./IRecordEvidence.sol";

/// @title IRecordRegistry
/// @notice Anchors salted commitments of health records (FHIR resources), one at a time or a whole
/// batch as one Merkle root, with version chains (amendments supersede earlier versions) and
/// retractions (entered-in-error). Nothing is ever deleted. No record content is ever on chain.
/// @dev Identifiers (computed by the SDK, `sdk/encoding.ts`):
/// - `commitment = keccak256("CareLedger.record.v1" ‖ salt ‖ RFC 8785 canonical JSON of the resource)`,
///   with one 256-bit random salt per record, shared by all its versions.
/// - `recordId` = the commitment of the record's first version (its genesis). It is salted, so it
///   cannot be brute-forced or linked to a patient, and it is stable across versions.
/// - A batch leaf is OpenZeppelin's StandardMerkleTree leaf over
///   `(uint256 chainId, address registry, bytes32 recordId, uint32 version, bytes32 commitment)`:
///   `keccak256(bytes.concat(keccak256(abi.encode(...))))`. The contract always computes the leaf
///   itself from those fields (with its own chain id and address), so an internal node can never be
///   presented as a leaf, and a leaf made for another chain or deployment never verifies.
/// Everything is kept per organization: versions by (organization, commitment), batches by
/// (organization, root), and a record's versions under the organization that anchored its first.
/// Anchoring a commitment or root another organization already anchored is allowed and changes
/// nothing of the other's: a member who copies a hospital's pending `anchorBatch(root)` or
/// `anchor(commitment)` from the mempool gains a statement under its own organization, and the
/// hospital's transaction still succeeds with its records attributed to it. Readers name the
/// organization they ask about (the holder of the record).
/// Anchoring kinds: providers, labs and pharmacies author clinical records (encounters and notes,
/// results, dispensations). Insurers, researchers and regulators consume records; they do not author them.
interface IRecordRegistry is IRecordEvidence {
    /// @notice Why a version was retracted (a closed vocabulary; `None` is never a valid reason).
    enum RetractionReason {
        None,
        EnteredInError,
        WrongPatient,
        Duplicate,
        Other
    }

    /// @notice One anchored version of a record, keyed by its organization and commitment.
    /// @dev One slot: orgId (8 bytes), anchoredAt (5), version (4), headVersion (4), retracted (1),
    /// reason (1), retractedAt (5) = 28 bytes. `headVersion` is kept in the genesis entry only (the
    /// entry whose commitment is the recordId): the record's current version, so that anchoring
    /// version 1 writes one new slot and an amendment one new slot plus one update.
    // solhint-disable-next-line gas-struct-packing
    struct RecordVersion {
        uint64 orgId;
        uint40 anchoredAt;
        uint32 version;
        uint32 headVersion;
        bool retracted;
        RetractionReason reason;
        uint40 retractedAt;
    }

    /// @notice One batch anchor, keyed by its organization and Merkle root: who anchored it, when,
    /// and how many leaves it has.
    /// @dev One slot: orgId (8), anchoredAt (5), leafCount (4). The cost does not depend on the leaf count.
    struct Batch {
        uint64 orgId;
        uint40 anchoredAt;
        uint32 leafCount;
    }

    /// @notice Emitted when `commitment` is anchored as `version` of `recordId` by organization `orgId`
    /// (version 1: `recordId == commitment`).
    /// @param recordId The record's id (the commitment of its first version).
    /// @param commitment The salted commitment of this version.
    /// @param orgId The anchoring organization's participant-registry id.
    /// @param version The version number (1 for a first version).
    event RecordAnchored(bytes32 indexed recordId, bytes32 indexed commitment, uint64 indexed orgId, uint32 version);

    /// @notice Emitted when organization `orgId` retracts the version anchored as `commitment`.
    /// @param commitment The commitment of the retracted version.
    /// @param orgId The organization's participant-registry id.
    /// @param reason Why it was retracted.
    event RecordRetracted(bytes32 indexed commitment, uint64 indexed orgId, RetractionReason reason);

    /// @notice Emitted when organization `orgId` anchors a batch of `leafCount` records as `root`.
    /// @dev Nobody filters by leaf count, so it is data, not a topic.
    /// @param root The batch's Merkle root.
    /// @param orgId The anchoring organization's participant-registry id.
    /// @param leafCount The number of leaves.
    // solhint-disable-next-line gas-indexed-events
    event BatchAnchored(bytes32 indexed root, uint64 indexed orgId, uint32 leafCount);

    /// @notice Emitted when the genesis version `recordId` of batch `root` is registered as a single
    /// anchor (attributed to the batch's organization and time), so that it can be amended, retracted
    /// and cited.
    /// @param root The batch's Merkle root.
    /// @param recordId The record's id (its first version's commitment, the leaf's).
    /// @param orgId The batch's organization's participant-registry id.
    event BatchRecordRegistered(bytes32 indexed root, bytes32 indexed recordId, uint64 indexed orgId);

    /// @notice A commitment, record id or root of zero was given.
    error ZeroCommitment();

    /// @notice Organization `orgId` already anchored `commitment`: an organization anchors a commitment once.
    /// @param commitment The commitment.
    /// @param orgId The organization's participant-registry id.
    error CommitmentAlreadyAnchored(bytes32 commitment, uint64 orgId);

    /// @notice Organization `orgId` never anchored `commitment` as a single anchor (or registered it from a batch).
    /// @param orgId The organization's participant-registry id.
    /// @param commitment The commitment.
    error CommitmentNotAnchored(uint64 orgId, bytes32 commitment);

    /// @notice `recordId` is not the genesis commitment of a record of organization `orgId`.
    /// @param orgId The organization's participant-registry id.
    /// @param recordId The record id given.
    error UnknownRecord(uint64 orgId, bytes32 recordId);

    /// @notice The amendment supersedes version `superseded` of `recordId`, but its current version is `current`.
    /// @param recordId The record's id.
    /// @param superseded The version the amendment said it supersedes.
    /// @param current The record's current version.
    error StaleVersion(bytes32 recordId, uint32 superseded, uint32 current);

    /// @notice `account` is not a member of a provider, lab or pharmacy (`orgId`/`kind` are its membership, zero if none).
    /// @param account The caller.
    /// @param orgId Its organization's id (0 when none).
    /// @param kind Its organization's kind (`None` when none).
    error NotAnchoringMember(address account, uint64 orgId, IParticipantRegistry.OrgKind kind);

    /// @notice `account` belongs to organization `orgId`, which is suspended.
    /// @param orgId The caller's organization's participant-registry id.
    /// @param account The caller.
    error AnchoringOrganizationSuspended(uint64 orgId, address account);

    /// @notice The version anchored as `commitment` is already retracted.
    /// @param commitment The commitment of the version.
    error AlreadyRetracted(bytes32 commitment);

    /// @notice `None` is not a retraction reason.
    /// @param reason The reason given.
    error InvalidRetractionReason(RetractionReason reason);

    /// @notice A batch needs at least one leaf.
    error EmptyBatch();

    /// @notice Organization `orgId` already anchored batch `root`.
    /// @param root The batch's Merkle root.
    /// @param orgId The organization's participant-registry id.
    error BatchAlreadyAnchored(bytes32 root, uint64 orgId);

    /// @notice Organization `orgId` anchored no batch `root`.
    /// @param orgId The organization's participant-registry id.
    /// @param root The root given.
    error UnknownBatch(uint64 orgId, bytes32 root);

    /// @notice The proof does not show `commitment` as a genesis leaf of batch `root`.
    /// @param root The batch's Merkle root.
    /// @param commitment The commitment whose proof failed.
    error InvalidInclusionProof(bytes32 root, bytes32 commitment);

    /// @notice The proof has `length` siblings, more than the `depth` of batch `root` (its leaf count rounded
    /// up to a power of two, as a logarithm).
    /// @param root The batch's Merkle root.
    /// @param length The number of siblings in the proof.
    /// @param depth The batch's depth.
    error ProofTooLong(bytes32 root, uint256 length, uint256 depth);

    /// @notice Anchors `commitment` as version 1 of a new record of the caller's organization, whose
    /// id is `commitment` itself.
    /// @dev Caller: an active member of a provider, lab or pharmacy. Refused while paused.
    /// Reverts with {ZeroCommitment}, {CommitmentAlreadyAnchored}, {NotAnchoringMember},
    /// {AnchoringOrganizationSuspended}.
    /// @param commitment The salted commitment of the record's first version,
    /// `keccak256("CareLedger.record.v1" ‖ salt ‖ canonical JSON)` (never PHI): not zero, never anchored by the
    /// caller's organization before.
    /// @return recordId The new record's id (`commitment`).
    function anchor(bytes32 commitment) external returns (bytes32 recordId);

    /// @notice Anchors `commitment` as the next version of the caller's organization's record
    /// `recordId`, superseding version `supersededVersion`, which must be the current one
    /// (optimistic concurrency).
    /// @dev Caller: an active member of the organization that anchored the record (another
    /// organization's correction is its own record: no one supersedes another's records). Refused
    /// while paused. Reverts with {UnknownRecord}, {StaleVersion}
    /// (carrying the current version), {ZeroCommitment}, {CommitmentAlreadyAnchored}, and the membership errors.
    /// @param recordId The record's id, the commitment of its first version, anchored by the caller's organization.
    /// @param supersededVersion The version the amendment supersedes: the record's current version
    /// ({currentVersion}).
    /// @param commitment The salted commitment of the new version (with the record's salt): not zero, never
    /// anchored by the caller's organization before.
    /// @return version The new version number.
    function amend(bytes32 recordId, uint32 supersededVersion, bytes32 commitment) external returns (uint32 version);

    /// @notice Marks the version the caller's organization anchored as `commitment` as retracted,
    /// with a reason. Nothing is deleted.
    /// @dev Caller: an active member of the organization that anchored that version. Works while
    /// paused: it only withdraws a statement, and flagging an erroneous record is a safety action.
    /// Reverts with {CommitmentNotAnchored}, {AlreadyRetracted},
    /// {InvalidRetractionReason}, and the membership errors.
    /// @param commitment The commitment of the version retracted (any version of a record, not only the current
    /// one).
    /// @param reason Why: `EnteredInError`, `WrongPatient`, `Duplicate` or `Other` (not `None`).
    function retract(bytes32 commitment, RetractionReason reason) external;

    /// @notice Anchors a batch of the caller's organization: a Merkle root over `leafCount` leaves
    /// (see the leaf encoding above).
    /// @dev Caller: an active member of a provider, lab or pharmacy. Refused while paused. The cost
    /// does not depend on `leafCount`. Reverts with {ZeroCommitment} (zero root), {EmptyBatch},
    /// {BatchAlreadyAnchored}, and the membership errors.
    /// @param root The Merkle root over the batch's leaves: not zero, not already anchored by the caller's
    /// organization.
    /// @param leafCount The number of leaves, at least 1; it fixes the batch's depth, the longest proof accepted.
    function anchorBatch(bytes32 root, uint32 leafCount) external;

    /// @notice Registers the genesis leaf `commitment` of organization `orgId`'s batch `root` as a
    /// single anchor of that organization, at the batch's time, so that it can be amended, retracted
    /// or cited by claims.
    /// @dev Anyone may call it: it records a fact the proof already establishes. Refused while paused.
    /// The proof may not be longer than the batch's depth (ceil(log2(leafCount))).
    /// Reverts with {UnknownBatch}, {ProofTooLong}, {InvalidInclusionProof}, {CommitmentAlreadyAnchored}.
    /// @param orgId The participant-registry id of the organization that anchored the batch.
    /// @param root The batch's Merkle root.
    /// @param commitment The record's first-version commitment (its record id): the leaf is
    /// `(chain id, this registry, commitment, 1, commitment)`.
    /// @param proof The leaf's inclusion proof (sibling hashes, OpenZeppelin sorted pairs), at most the batch's
    /// depth long.
    function registerBatchRecord(uint64 orgId, bytes32 root, bytes32 commitment, bytes32[] calldata proof) external;

    /// @notice Whether the leaf `(chainid, this, recordId, version, commitment)` is included in
    /// organization `orgId`'s batch `root` according to `proof` (OpenZeppelin `MerkleProof`, sorted
    /// pairs). False when `orgId` anchored no batch `root`, or the proof is longer than its depth.
    /// @param orgId The participant-registry id of the organization that anchored the batch.
    /// @param root The batch's Merkle root.
    /// @param recordId The record's id (the commitment of its first version).
    /// @param version The version number in the leaf (1 for a first version).
    /// @param commitment The salted commitment of that version.
    /// @param proof The leaf's inclusion proof (sibling hashes, OpenZeppelin sorted pairs).
    /// @return True when the proof shows the leaf in organization `orgId`'s batch `root`.
    function verifyInclusion(uint64 orgId, bytes32 root, bytes32 recordId, uint32 version, bytes32 commitment, bytes32[] calldata proof)
        external
        view
        returns (bool);

    /// @notice The leaf this registry expects for `(recordId, version, commitment)` on this chain.
    /// @param recordId The record's id (the commitment of its first version).
    /// @param version The version number (1 for a first version).
    /// @param commitment The salted commitment of that version.
    /// @return The leaf,
    /// `keccak256(bytes.concat(keccak256(abi.encode(block.chainid, address(this), recordId, version, commitment))))`.
    function leafHash(bytes32 recordId, uint32 version, bytes32 commitment) external view returns (bytes32);

    /// @notice The version organization `orgId` anchored as `commitment` (all zero when it anchored
    /// none singly).
    /// @param orgId The organization's participant-registry id.
    /// @param commitment The salted commitment of a record version.
    /// @return The {RecordVersion}: the organization, when it was anchored (unix seconds), its version number, the
    /// record's current version (kept in the first version's entry only), and whether, why and when it was
    /// retracted.
    function recordVersion(uint64 orgId, bytes32 commitment) external view returns (RecordVersion memory);

    /// @notice The current version of organization `orgId`'s record `recordId`. Reverts with {UnknownRecord}.
    /// @param orgId The participant-registry id of the organization that anchored the record.
    /// @param recordId The record's id (the commitment of its first version).
    /// @return The record's current version number (1 until it is amended).
    function currentVersion(uint64 orgId, bytes32 recordId) external view returns (uint32);

    /// @notice Organization `orgId`'s batch `root` (all zero when there is none).
    /// @param orgId The organization's participant-registry id.
    /// @param root The batch's Merkle root.
    /// @return The {Batch}: the organization, when it was anchored (unix seconds), and its leaf count.
    function batch(uint64 orgId, bytes32 root) external view returns (Batch memory);

    /// @notice The participant registry that says who may anchor.
    /// @return The participant registry (fixed at deployment).
    function participants() external view returns (IParticipantRegistry);
}
