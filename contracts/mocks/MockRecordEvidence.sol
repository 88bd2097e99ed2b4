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

    /// @notice Sets what {commitmentStatus} answers for `commitment`.
    function setStatus(bytes32 commitment, uint64 orgId, bool retracted) external {
        _status[commitment] = Status(orgId, retracted);
    }

    /// @inheritdoc IRecordEvidence
    function commitmentStatus(bytes32 commitment) external view returns (uint64 orgId, bool retracted) {
        Status memory s = _status[commitment];
        return (s.orgId, s.retracted);
    }
}
