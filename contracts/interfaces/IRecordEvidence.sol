// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IRecordEvidence
/// @notice The one question the claims contract asks the record registry: was this commitment
/// anchored (as a single anchor), by which organization, and has that version been retracted?
/// The record registry implements it; claims depend only on it.
interface IRecordEvidence {
    /// @notice Who anchored `commitment` as a single anchor, and whether that version is retracted.
    /// @return orgId The anchoring organization, or 0 when the commitment was never anchored singly.
    /// @return retracted Whether the anchoring organization marked that version entered-in-error.
    function commitmentStatus(bytes32 commitment) external view returns (uint64 orgId, bool retracted);
}
