// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IParticipantRegistry} from "../interfaces/IParticipantRegistry.sol";
import {IRecordEvidence} from "../interfaces/IRecordEvidence.sol";
import {IRecordRegistry} from "../interfaces/IRecordRegistry.sol";
import {ManagedPausable} from "../governance/ManagedPausable.sol";

/// @title RecordRegistry
/// @notice Salted commitments of health records: single anchors with version chains and
/// retractions, and Merkle batch anchors. Only commitments, ids, codes and times are stored.
/// @dev Who may anchor is asked of the ParticipantRegistry on every write, so that a suspension
/// takes effect in the same block. Storage: one slot per anchored version (keyed by commitment;
/// the genesis entry also holds the record's current version) and one slot per batch.
contract RecordRegistry is IRecordRegistry, ManagedPausable {
    /// @notice The version of this contract's interface and storage semantics.
    string public constant VERSION = "1.0.0";

    /// @dev The participant registry (immutable: a new registry means a new deployment).
    IParticipantRegistry private immutable _PARTICIPANTS;

    mapping(bytes32 commitment => RecordVersion) private _versions;
    mapping(bytes32 root => Batch) private _batches;

    /// @param authority The suite's AccessManager.
    /// @param participantRegistry The ParticipantRegistry whose active providers, labs and pharmacies may anchor.
    constructor(address authority, IParticipantRegistry participantRegistry) ManagedPausable(authority) {
        _PARTICIPANTS = participantRegistry;
    }

    /// @inheritdoc IRecordRegistry
    function anchor(bytes32 commitment) external whenNotPaused returns (bytes32 recordId) {
        uint64 orgId = _requireAnchoringMember();
        _requireNew(commitment);
        _versions[commitment] = RecordVersion({
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
        RecordVersion storage genesis = _versions[recordId];
        if (genesis.version != 1) revert UnknownRecord(recordId);
        uint32 current = genesis.headVersion;
        if (supersededVersion != current) revert StaleVersion(recordId, supersededVersion, current);
        _requireNew(commitment);
        version = current + 1;
        genesis.headVersion = version;
        _versions[commitment] = RecordVersion({
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
        RecordVersion storage v = _versions[commitment];
        uint64 anchoringOrgId = v.orgId;
        if (anchoringOrgId == 0) revert CommitmentNotAnchored(commitment);
        uint64 orgId = _requireAnchoringMember();
        if (orgId != anchoringOrgId) revert NotAnchoringOrganization(msg.sender, orgId, commitment, anchoringOrgId);
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
        uint64 existing = _batches[root].orgId;
        if (existing != 0) revert BatchAlreadyAnchored(root, existing);
        _batches[root] = Batch({orgId: orgId, anchoredAt: uint40(block.timestamp), leafCount: leafCount});
        emit BatchAnchored(root, orgId, leafCount);
    }

    /// @inheritdoc IRecordRegistry
    function registerBatchRecord(bytes32 root, bytes32 commitment, bytes32[] calldata proof) external whenNotPaused {
        Batch memory b = _batches[root];
        if (b.orgId == 0) revert UnknownBatch(root);
        uint256 depth = _depth(b.leafCount);
        if (proof.length > depth) revert ProofTooLong(root, proof.length, depth);
        if (!MerkleProof.verifyCalldata(proof, root, _leaf(commitment, 1, commitment))) {
            revert InvalidInclusionProof(root, commitment);
        }
        _requireNew(commitment);
        _versions[commitment] = RecordVersion({
            orgId: b.orgId,
            anchoredAt: b.anchoredAt,
            version: 1,
            headVersion: 1,
            retracted: false,
            reason: RetractionReason.None,
            retractedAt: 0
        });
        emit BatchRecordRegistered(root, commitment, b.orgId);
    }

    /// @inheritdoc IRecordRegistry
    function verifyInclusion(bytes32 root, bytes32 recordId, uint32 version, bytes32 commitment, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        Batch memory b = _batches[root];
        if (b.orgId == 0 || proof.length > _depth(b.leafCount)) return false;
        return MerkleProof.verifyCalldata(proof, root, _leaf(recordId, version, commitment));
    }

    /// @inheritdoc IRecordRegistry
    function leafHash(bytes32 recordId, uint32 version, bytes32 commitment) external view returns (bytes32) {
        return _leaf(recordId, version, commitment);
    }

    /// @inheritdoc IRecordEvidence
    function commitmentStatus(bytes32 commitment) external view returns (uint64 orgId, bool retracted) {
        RecordVersion storage v = _versions[commitment];
        return (v.orgId, v.retracted);
    }

    /// @inheritdoc IRecordEvidence
    function evidenceStatus(bytes32 commitment, bytes32 root, bytes32[] calldata proof) external view returns (uint64 orgId, bool retracted) {
        RecordVersion storage v = _versions[commitment];
        // A storage pointer: a claim citing a single anchor (root 0) reads only the batch's organization.
        Batch storage b = _batches[root];
        uint64 batchOrg = b.orgId;
        // A valid proof (no longer than the batch's depth) shows the batch's organization, whoever
        // anchored the leaf singly since; a retraction counts when that organization registered and
        // retracted it.
        if (batchOrg == 0 || proof.length > _depth(b.leafCount) || !MerkleProof.verifyCalldata(proof, root, _leaf(commitment, 1, commitment))) {
            return (v.orgId, v.retracted);
        }
        return (batchOrg, v.orgId == batchOrg && v.retracted);
    }

    /// @inheritdoc IRecordRegistry
    function recordVersion(bytes32 commitment) external view returns (RecordVersion memory) {
        return _versions[commitment];
    }

    /// @inheritdoc IRecordRegistry
    function currentVersion(bytes32 recordId) external view returns (uint32) {
        RecordVersion storage genesis = _versions[recordId];
        if (genesis.version != 1) revert UnknownRecord(recordId);
        return genesis.headVersion;
    }

    /// @inheritdoc IRecordRegistry
    function batch(bytes32 root) external view returns (Batch memory) {
        return _batches[root];
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

    /// @dev Reverts unless `commitment` is non-zero and was never anchored.
    function _requireNew(bytes32 commitment) private view {
        if (commitment == bytes32(0)) revert ZeroCommitment();
        uint64 existing = _versions[commitment].orgId;
        if (existing != 0) revert CommitmentAlreadyAnchored(commitment, existing);
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
