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
    /// @param orgId The organization asked about (the record's holder; for a claim, the billing organization), a
    /// participant-registry id.
    /// @param commitment The salted commitment of a record version (never PHI).
    /// @return anchored True when `orgId` anchored `commitment` singly (or registered it from one of its batches).
    /// @return retracted True when `orgId` retracted that version.
    function commitmentStatus(uint64 orgId, bytes32 commitment) external view returns (bool anchored, bool retracted);

    /// @notice Whether organization `orgId` anchored `commitment` singly (then as
    /// {commitmentStatus}) or, failing that, in its batch `root` as a version-1 leaf that `proof`
    /// shows (never retracted: a batch leaf is retracted by registering it first). `root` 0 asks
    /// for a single anchor only.
    /// @param orgId The organization asked about (for a claim, the billing organization), a participant-registry
    /// id.
    /// @param commitment The salted commitment of a record version (never PHI); in a batch, a record's first
    /// version.
    /// @param root The Merkle root of a batch `orgId` anchored, or 0 for a single anchor only.
    /// @param proof The inclusion proof of the leaf `(chain id, registry, commitment, 1, commitment)` in `root`
    /// (sibling hashes, OpenZeppelin sorted pairs), no longer than the batch's depth; unused when the commitment is
    /// anchored singly.
    /// @return anchored True when `orgId` anchored `commitment` singly, or `proof` shows it in its batch `root`.
    /// @return retracted True when `orgId` retracted its single anchor of `commitment` (false for a batch leaf).
    function evidenceStatus(uint64 orgId, bytes32 commitment, bytes32 root, bytes32[] calldata proof) external view returns (bool anchored, bool retracted);
}
