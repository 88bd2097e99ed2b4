// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IRecordEvidence
/// @notice The one question the claims contract asks the record registry: did organization
/// `orgId` anchor this commitment (singly, or in a batch of its own whose inclusion proof is
/// given), and has it retracted it? The record registry implements it; claims depend only on it.
/// Records are kept per organization: another organization anchoring the same commitment changes
/// nothing of this answer.
interface IRecordEvidence {
    /// @notice Whether organization `orgId` anchored `commitment` singly, and whether it retracted it.
    function commitmentStatus(uint64 orgId, bytes32 commitment) external view returns (bool anchored, bool retracted);

    /// @notice Whether organization `orgId` anchored `commitment` singly (then as
    /// {commitmentStatus}) or, failing that, in its batch `root` as a version-1 leaf that `proof`
    /// shows (never retracted: a batch leaf is retracted by registering it first). `root` 0 asks
    /// for a single anchor only.
    function evidenceStatus(uint64 orgId, bytes32 commitment, bytes32 root, bytes32[] calldata proof) external view returns (bool anchored, bool retracted);
}
