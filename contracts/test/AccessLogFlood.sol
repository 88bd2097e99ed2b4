// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IConsentRegistry} from "../consent/IConsentRegistry.sol";

/// @notice The indexer benchmark's generator (scripts/bench/indexer.ts): ConsentRegistry's `AccessLogged`
/// (the interface's own declaration) emitted in bulk, so that a chain with a million accesses can be made in
/// minutes. The indexer is told this contract is the ConsentRegistry and decodes its logs with the
/// registry's own interface, exactly as it decodes the registry's.
contract AccessLogFlood {
    /// @notice Emits accesses `first` to `first + count - 1`: access `i` is of patient `patientOf(i % patients)`,
    /// by `accessor`, under organization `1 + i % 7`, for data class `i % 12` and purpose `i % 5`.
    function flood(uint256 first, uint256 count, uint256 patients, address accessor) external {
        uint256 end = first + count;
        for (uint256 i = first; i < end; ++i) {
            emit IConsentRegistry.AccessLogged(patientOf(i % patients), accessor, uint64(1 + (i % 7)), uint8(i % 12), uint8(i % 5), bytes32(i), uint40(block.timestamp));
        }
    }

    /// @notice The account of patient number `n`.
    function patientOf(uint256 n) public pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encode("patient", n)))));
    }
}
