// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IConsentRegistry} from "../consent/IConsentRegistry.sol";

/// @notice Test helper: `isPermitted` for every (patient, accessor) and a chosen list of
/// (class, purpose) pairs in one call, with the timestamp the answers hold at (the suite property
/// test samples general, sensitive and unassigned classes without paying for the whole grid).
contract PermissionProbe {
    function permissions(
        IConsentRegistry consent,
        address[] calldata patients,
        address[] calldata accessors,
        uint8[] calldata classes,
        uint8[] calldata purposes
    ) external view returns (uint256 at, bool[] memory out) {
        uint256 nc = classes.length;
        uint256 nu = purposes.length;
        uint256 na = accessors.length;
        out = new bool[](patients.length * na * nc * nu);
        for (uint256 i; i < out.length; ++i) {
            // i = ((p * na + a) * nc + c) * nu + u
            out[i] = consent.isPermitted(patients[i / (nu * nc * na)], accessors[(i / (nu * nc)) % na], classes[(i / nu) % nc], purposes[i % nu]);
        }
        at = block.timestamp;
    }
}
