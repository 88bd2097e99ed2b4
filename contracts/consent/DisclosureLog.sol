// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IParticipantRegistry} from "../participants/IParticipantRegistry.sol";
import {IDisclosureLog} from "./IDisclosureLog.sol";
import {ManagedPausable} from "../governance/ManagedPausable.sol";

/// @title DisclosureLog
/// @notice Merkle roots of disclosure receipts, anchored by the organizations that hold and release
/// records: one slot and one event per root, whatever the number of receipts under it.
/// @dev Who may anchor is asked of the ParticipantRegistry on every write, so that a suspension
/// takes effect in the same block. Storage: one slot per anchored root, keyed by (organization, root),
/// as the RecordRegistry keeps its batches: one organization's anchor never stands in another's way.
contract DisclosureLog is IDisclosureLog, ManagedPausable {
    /// @notice The most receipts one root may hold. The count is the holder's statement (the chain
    /// cannot check it); the bound keeps it a plausible one. The gateway anchors a root every few
    /// seconds or every 1,024 receipts, 64 times below it; a root of 65,536 receipts has proofs of at
    /// most 16 hashes, which any verifier checks cheaply, and its tree (131,071 nodes, 4 MiB) builds off
    /// chain in a fraction of a second. A count beyond it is a gateway fault: refused, not recorded.
    uint32 public constant MAX_RECEIPTS_PER_ROOT = 65_536;

    /// @dev The version of this contract's interface and storage semantics ({version}).
    string private constant _VERSION = "1.0.0";

    /// @dev The participant registry (immutable: a new registry means a new deployment).
    IParticipantRegistry private immutable _PARTICIPANTS;

    mapping(uint64 orgId => mapping(bytes32 root => DisclosureAnchor)) private _anchors;

    /// @param authority The suite's AccessManager.
    /// @param participantRegistry The ParticipantRegistry whose active providers, labs and pharmacies may anchor.
    constructor(address authority, IParticipantRegistry participantRegistry) ManagedPausable(authority) {
        _PARTICIPANTS = participantRegistry;
    }

    /// @inheritdoc IDisclosureLog
    function anchorDisclosures(bytes32 root, uint32 count) external whenNotPaused returns (uint64 orgId) {
        orgId = _requireDisclosingMember();
        if (root == bytes32(0)) revert ZeroRoot();
        if (count == 0 || count > MAX_RECEIPTS_PER_ROOT) revert ReceiptCountOutOfRange(count, MAX_RECEIPTS_PER_ROOT);
        DisclosureAnchor storage a = _anchors[orgId][root];
        if (a.orgId != 0) revert RootAlreadyAnchored(root, orgId);
        a.orgId = orgId;
        a.count = count;
        a.anchoredAt = uint48(block.timestamp);
        a.blockNumber = uint64(block.number);
        emit DisclosuresAnchored(orgId, root, count, msg.sender);
    }

    /// @inheritdoc IDisclosureLog
    function anchorOf(uint64 orgId, bytes32 root) external view returns (DisclosureAnchor memory) {
        return _anchors[orgId][root];
    }

    /// @inheritdoc IDisclosureLog
    function verifyReceipt(uint64 orgId, bytes32 root, bytes32[] calldata proof, bytes32 leaf) external view returns (bool) {
        return _anchors[orgId][root].orgId != 0 && MerkleProof.verifyCalldata(proof, root, leaf);
    }

    /// @inheritdoc IDisclosureLog
    function participants() external view returns (IParticipantRegistry) {
        return _PARTICIPANTS;
    }

    /// @inheritdoc IDisclosureLog
    function version() external pure returns (string memory) {
        return _VERSION;
    }

    /// @dev The caller's organization, which must be an active provider, lab or pharmacy (the kinds
    /// that anchor records in the RecordRegistry).
    function _requireDisclosingMember() private view returns (uint64 orgId) {
        (bool active, uint64 id, IParticipantRegistry.OrgKind kind) = _PARTICIPANTS.isActiveMember(msg.sender);
        if (
            kind != IParticipantRegistry.OrgKind.Provider && kind != IParticipantRegistry.OrgKind.Lab
                && kind != IParticipantRegistry.OrgKind.Pharmacy
        ) revert NotDisclosingMember(msg.sender, id, kind);
        if (!active) revert DisclosingOrganizationSuspended(id, msg.sender);
        return id;
    }
}
