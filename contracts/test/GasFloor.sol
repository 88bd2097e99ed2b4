// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @notice The benchmark's baseline: one new `bytes32 => uint256` slot and one event, the cheapest
/// queryable anchor. Every gas figure in reports/gas.json is also reported as a ratio to it.
contract GasFloor {
    mapping(bytes32 key => uint256 value) private _values;

    // solhint-disable-next-line gas-indexed-events
    event Stored(bytes32 indexed key, uint256 value);

    function store(bytes32 key, uint256 value) external {
        _values[key] = value;
        emit Stored(key, value);
    }
}
