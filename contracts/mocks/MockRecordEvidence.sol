// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IRecordEvidence} from "../interfaces/IRecordEvidence.sol";

/// @notice A record registry stand-in for the claims tests: each commitment's anchoring
/// organization and retraction flag are set directly.
contract MockRecordEvidence is IRecordEvidence {
    struct Status {
        uint64 orgId;
        bool retracted;
    }

    mapping(bytes32 commitment => Status) private _status;
    mapping(bytes32 root => mapping(bytes32 commitment => uint64 orgId)) private _leaves;

    /// @notice Sets what {commitmentStatus} answers for `commitment`.
    function setStatus(bytes32 commitment, uint64 orgId, bool retracted) external {
        _status[commitment] = Status(orgId, retracted);
    }

    /// @notice Makes `commitment` a leaf of batch `root` anchored by `orgId` (any proof is accepted).
    function setBatchLeaf(bytes32 root, bytes32 commitment, uint64 orgId) external {
        _leaves[root][commitment] = orgId;
    }

    /// @inheritdoc IRecordEvidence
    function evidenceStatus(bytes32 commitment, bytes32 root, bytes32[] calldata) external view returns (uint64 orgId, bool retracted) {
        Status memory s = _status[commitment];
        if (s.orgId != 0 || root == bytes32(0)) return (s.orgId, s.retracted);
        return (_leaves[root][commitment], false);
    }

    /// @inheritdoc IRecordEvidence
    function commitmentStatus(bytes32 commitment) external view returns (uint64 orgId, bool retracted) {
        Status memory s = _status[commitment];
        return (s.orgId, s.retracted);
    }
}
