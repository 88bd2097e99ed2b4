// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IParticipantRegistry} from "../participants/IParticipantRegistry.sol";
import {IRecordEvidence} from "./IRecordEvidence.sol";
import {IRecordRegistry} from "./IRecordRegistry.sol";
import {ManagedPausable} from "../governance/ManagedPausable.sol";

/// @title RecordRegistry
/// @notice Salted commitments of health records: single anchors with version chains and
/// retractions, and Merkle batch anchors. Only commitments, ids, codes and times are stored.
/// @dev Who may anchor is asked of the ParticipantRegistry on every write, so that a suspension
/// takes effect in the same block. Storage, per organization: one slot per anchored version (keyed
/// by commitment; the genesis entry also holds the record's current version) and one slot per batch.
contract RecordRegistry is IRecordRegistry, ManagedPausable {
    /// @notice The version of this contract's interface and storage semantics.
    string public constant VERSION = "2.0.0";

    /// @dev The participant registry (immutable: a new registry means a new deployment).
    IParticipantRegistry private immutable _PARTICIPANTS;

    mapping(uint64 orgId => mapping(bytes32 commitment => RecordVersion)) private _versions;
    mapping(uint64 orgId => mapping(bytes32 root => Batch)) private _batches;

    /// @param authority The suite's AccessManager.
    /// @param participantRegistry The ParticipantRegistry whose active providers, labs and pharmacies may anchor.
    constructor(address authority, IParticipantRegistry participantRegistry) ManagedPausable(authority) {
        _PARTICIPANTS = participantRegistry;
    }

    /// @inheritdoc IRecordRegistry
    function anchor(bytes32 commitment) external whenNotPaused returns (bytes32 recordId) {
        uint64 orgId = _requireAnchoringMember();
        mapping(bytes32 => RecordVersion) storage versions = _versions[orgId];
        _requireNew(versions, orgId, commitment);
        versions[commitment] = RecordVersion({
            orgId: orgId,
            anchoredAt: uint40(block.timestamp),
            version: 1,
            headVersion: 1,
            retracted: false,
            reason: RetractionReason.None,
            retractedAt: 0
        });
        emit RecordAnchored(commitment, commitment, orgId, 1);
        return commitment;
    }

    /// @inheritdoc IRecordRegistry
    function amend(bytes32 recordId, uint32 supersededVersion, bytes32 commitment)
        external
        whenNotPaused
        returns (uint32 version)
    {
        uint64 orgId = _requireAnchoringMember();
        mapping(bytes32 => RecordVersion) storage versions = _versions[orgId];
        RecordVersion storage genesis = versions[recordId];
        if (genesis.version != 1) revert UnknownRecord(orgId, recordId);
        uint32 current = genesis.headVersion;
        if (supersededVersion != current) revert StaleVersion(recordId, supersededVersion, current);
        _requireNew(versions, orgId, commitment);
        version = current + 1;
        genesis.headVersion = version;
        versions[commitment] = RecordVersion({
            orgId: orgId,
            anchoredAt: uint40(block.timestamp),
            version: version,
            headVersion: 0,
            retracted: false,
            reason: RetractionReason.None,
            retractedAt: 0
        });
        emit RecordAnchored(recordId, commitment, orgId, version);
    }

    /// @inheritdoc IRecordRegistry
    function retract(bytes32 commitment, RetractionReason reason) external {
        if (reason == RetractionReason.None) revert InvalidRetractionReason(reason);
        uint64 orgId = _requireAnchoringMember();
        RecordVersion storage v = _versions[orgId][commitment];
        if (v.orgId == 0) revert CommitmentNotAnchored(orgId, commitment);
        if (v.retracted) revert AlreadyRetracted(commitment);
        v.retracted = true;
        v.reason = reason;
        v.retractedAt = uint40(block.timestamp);
        emit RecordRetracted(commitment, orgId, reason);
    }

    /// @inheritdoc IRecordRegistry
    function anchorBatch(bytes32 root, uint32 leafCount) external whenNotPaused {
        uint64 orgId = _requireAnchoringMember();
        if (root == bytes32(0)) revert ZeroCommitment();
        if (leafCount == 0) revert EmptyBatch();
        Batch storage b = _batches[orgId][root];
        if (b.orgId != 0) revert BatchAlreadyAnchored(root, orgId);
        b.orgId = orgId;
        b.anchoredAt = uint40(block.timestamp);
        b.leafCount = leafCount;
        emit BatchAnchored(root, orgId, leafCount);
    }

    /// @inheritdoc IRecordRegistry
    function registerBatchRecord(uint64 orgId, bytes32 root, bytes32 commitment, bytes32[] calldata proof) external whenNotPaused {
        Batch memory b = _batches[orgId][root];
        if (b.orgId == 0) revert UnknownBatch(orgId, root);
        uint256 depth = _depth(b.leafCount);
        if (proof.length > depth) revert ProofTooLong(root, proof.length, depth);
        if (!MerkleProof.verifyCalldata(proof, root, _leaf(commitment, 1, commitment))) {
            revert InvalidInclusionProof(root, commitment);
        }
        mapping(bytes32 => RecordVersion) storage versions = _versions[orgId];
        _requireNew(versions, orgId, commitment);
        versions[commitment] = RecordVersion({
            orgId: orgId,
            anchoredAt: b.anchoredAt,
            version: 1,
            headVersion: 1,
            retracted: false,
            reason: RetractionReason.None,
            retractedAt: 0
        });
        emit BatchRecordRegistered(root, commitment, orgId);
    }

    /// @inheritdoc IRecordRegistry
    function verifyInclusion(uint64 orgId, bytes32 root, bytes32 recordId, uint32 version, bytes32 commitment, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        Batch memory b = _batches[orgId][root];
        if (b.orgId == 0 || proof.length > _depth(b.leafCount)) return false;
        return MerkleProof.verifyCalldata(proof, root, _leaf(recordId, version, commitment));
    }

    /// @inheritdoc IRecordRegistry
    function leafHash(bytes32 recordId, uint32 version, bytes32 commitment) external view returns (bytes32) {
        return _leaf(recordId, version, commitment);
    }

    /// @inheritdoc IRecordEvidence
    function commitmentStatus(uint64 orgId, bytes32 commitment) external view returns (bool anchored, bool retracted) {
        RecordVersion storage v = _versions[orgId][commitment];
        return (v.orgId != 0, v.retracted);
    }

    /// @inheritdoc IRecordEvidence
    function evidenceStatus(uint64 orgId, bytes32 commitment, bytes32 root, bytes32[] calldata proof)
        external
        view
        returns (bool anchored, bool retracted)
    {
        RecordVersion storage v = _versions[orgId][commitment];
        if (v.orgId != 0) return (true, v.retracted);
        // A storage pointer: only the batch's first slot is read, and only for a claim citing one.
        Batch storage b = _batches[orgId][root];
        if (b.orgId == 0 || proof.length > _depth(b.leafCount)) return (false, false);
        return (MerkleProof.verifyCalldata(proof, root, _leaf(commitment, 1, commitment)), false);
    }

    /// @inheritdoc IRecordRegistry
    function recordVersion(uint64 orgId, bytes32 commitment) external view returns (RecordVersion memory) {
        return _versions[orgId][commitment];
    }

    /// @inheritdoc IRecordRegistry
    function currentVersion(uint64 orgId, bytes32 recordId) external view returns (uint32) {
        RecordVersion storage genesis = _versions[orgId][recordId];
        if (genesis.version != 1) revert UnknownRecord(orgId, recordId);
        return genesis.headVersion;
    }

    /// @inheritdoc IRecordRegistry
    function batch(uint64 orgId, bytes32 root) external view returns (Batch memory) {
        return _batches[orgId][root];
    }

    /// @inheritdoc IRecordRegistry
    function participants() external view returns (IParticipantRegistry) {
        return _PARTICIPANTS;
    }

    /// @dev The caller's organization, which must be an active provider, lab or pharmacy.
    function _requireAnchoringMember() private view returns (uint64 orgId) {
        (bool active, uint64 id, IParticipantRegistry.OrgKind kind) = _PARTICIPANTS.isActiveMember(msg.sender);
        if (
            kind != IParticipantRegistry.OrgKind.Provider && kind != IParticipantRegistry.OrgKind.Lab
                && kind != IParticipantRegistry.OrgKind.Pharmacy
        ) revert NotAnchoringMember(msg.sender, id, kind);
        if (!active) revert AnchoringOrganizationSuspended(id, msg.sender);
        return id;
    }

    /// @dev Reverts unless `commitment` is non-zero and organization `orgId` (whose `versions` are
    /// given) never anchored it.
    function _requireNew(mapping(bytes32 => RecordVersion) storage versions, uint64 orgId, bytes32 commitment) private view {
        if (commitment == bytes32(0)) revert ZeroCommitment();
        if (versions[commitment].orgId != 0) revert CommitmentAlreadyAnchored(commitment, orgId);
    }

    /// @dev The depth of a batch of `leafCount` leaves: the longest proof its tree has (OpenZeppelin
    /// StandardMerkleTree keeps every leaf within ceil(log2(leafCount)) levels of the root).
    function _depth(uint32 leafCount) private pure returns (uint256) {
        return Math.log2(leafCount, Math.Rounding.Ceil);
    }

    /// @dev OpenZeppelin StandardMerkleTree's leaf over (chainid, this, recordId, version, commitment):
    /// the double hash keeps a 64-byte internal node from ever being a valid leaf.
    function _leaf(bytes32 recordId, uint32 version, bytes32 commitment) private view returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(block.chainid, address(this), recordId, version, commitment))));
    }
}
