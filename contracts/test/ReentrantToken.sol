// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice A token that, on each transfer out of `target`, calls `target` back with `data` once,
/// and records whether the call succeeded and the revert data it got. Armed with a `first` call too
/// (`armAfter`), it makes that call to `target` just before (e.g. pausing it, holding the role).
contract ReentrantToken is ERC20 {
    address public callee;
    bytes public first;
    bool public firstSucceeded;
    bytes public data;
    bool public attempted;
    bool public succeeded;
    bytes public revertData;

    constructor() ERC20("Reentrant", "REE") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Arms the callback: transfers out of `target_` will call it with `data_`.
    function arm(address target_, bytes calldata data_) external {
        callee = target_;
        delete first;
        data = data_;
        attempted = false;
    }

    /// @notice Arms the callback with a call `first_` to `target_` made just before `data_`.
    function armAfter(address target_, bytes calldata first_, bytes calldata data_) external {
        callee = target_;
        first = first_;
        data = data_;
        attempted = false;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (from == callee && callee != address(0) && !attempted) {
            attempted = true;
            if (first.length != 0) {
                // solhint-disable-next-line avoid-low-level-calls
                (firstSucceeded, ) = callee.call(first);
            }
            // solhint-disable-next-line avoid-low-level-calls
            (bool ok, bytes memory ret) = callee.call(data);
            succeeded = ok;
            revertData = ret;
        }
    }
}
