// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IRecordEvidence
/// @notice The one question the claims contract asks the record registry: was this commitment
/// anchored (singly, or in a batch whose inclusion proof is given), by which organization, and
/// has that version been retracted? The record registry implements it; claims depend only on it.
interface IRecordEvidence {
    /// @notice Who anchored `commitment` as a single anchor, and whether that version is retracted.
    /// @return orgId The anchoring organization, or 0 when the commitment was never anchored singly.
    /// @return retracted Whether the anchoring organization marked that version entered-in-error.
    function commitmentStatus(bytes32 commitment) external view returns (uint64 orgId, bool retracted);

    /// @notice The organization that anchored batch `root` when `proof` shows `commitment` is one
    /// of its version-1 leaves (retracted when that organization registered the leaf and retracted
    /// it), whoever anchored the commitment singly since; otherwise as {commitmentStatus} (`root` 0
    /// asks for a single anchor only).
    /// @return orgId The anchoring organization, or 0 when neither anchor is shown.
    /// @return retracted Whether the anchoring organization marked that version entered-in-error.
    function evidenceStatus(bytes32 commitment, bytes32 root, bytes32[] calldata proof) external view returns (uint64 orgId, bool retracted);
}
