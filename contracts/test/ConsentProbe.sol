// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IConsentRegistry} from "../consent/IConsentRegistry.sol";

/// @notice Test helper: every `isPermitted` answer for a grid of patients, accessors, classes and
/// purposes in one call, with the timestamp they were computed at (for the property test's model).
contract ConsentProbe {
    function permissions(
        IConsentRegistry consent,
        address[] calldata patients,
        address[] calldata accessors,
        uint8 classCount,
        uint8 purposeCount
    ) external view returns (uint256 at, bool[] memory out) {
        out = new bool[](patients.length * accessors.length * classCount * purposeCount);
        uint256 i;
        for (uint256 p; p < patients.length; ++p) {
            for (uint256 a; a < accessors.length; ++a) {
                for (uint8 c; c < classCount; ++c) {
                    for (uint8 u; u < purposeCount; ++u) {
                        out[i] = consent.isPermitted(patients[p], accessors[a], c, u);
                        ++i;
                    }
                }
            }
        }
        at = block.timestamp;
    }
}
