// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IRecordEvidence} from "../records/IRecordEvidence.sol";

/// @notice A record registry stand-in for the claims tests: each organization's anchors and
/// retraction flags are set directly.
contract MockRecordEvidence is IRecordEvidence {
    struct Status {
        bool anchored;
        bool retracted;
    }

    mapping(uint64 orgId => mapping(bytes32 commitment => Status)) private _status;
    mapping(uint64 orgId => mapping(bytes32 root => mapping(bytes32 commitment => bool))) private _leaves;

    /// @notice Sets what {commitmentStatus} answers for `orgId`'s `commitment` (`orgId` 0: unset).
    function setStatus(bytes32 commitment, uint64 orgId, bool retracted) external {
        _status[orgId][commitment] = Status(orgId != 0, retracted);
    }

    /// @notice Makes `commitment` a leaf of organization `orgId`'s batch `root` (any proof is accepted).
    function setBatchLeaf(bytes32 root, bytes32 commitment, uint64 orgId) external {
        _leaves[orgId][root][commitment] = true;
    }

    /// @inheritdoc IRecordEvidence
    function evidenceStatus(uint64 orgId, bytes32 commitment, bytes32 root, bytes32[] calldata) external view returns (bool anchored, bool retracted) {
        Status memory s = _status[orgId][commitment];
        if (s.anchored) return (true, s.retracted);
        return (_leaves[orgId][root][commitment], false);
    }

    /// @inheritdoc IRecordEvidence
    function commitmentStatus(uint64 orgId, bytes32 commitment) external view returns (bool anchored, bool retracted) {
        Status memory s = _status[orgId][commitment];
        return (s.anchored, s.retracted);
    }
}
