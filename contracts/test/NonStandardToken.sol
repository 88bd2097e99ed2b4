// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @notice A token whose transfers return nothing (like USDT) in mode 0, or return false without
/// moving anything in mode 1. SafeERC20 must accept the first and refuse the second.
contract NonStandardToken {
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;
    uint8 public mode;

    function decimals() external pure returns (uint8) {
        return 6;
    }

    function setMode(uint8 mode_) external {
        mode = mode_;
    }

    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
    }

    function approve(address spender, uint256 amount) external {
        allowance[msg.sender][spender] = amount;
    }

    function transfer(address to, uint256 amount) external {
        _move(msg.sender, to, amount);
    }

    function transferFrom(address from, address to, uint256 amount) external {
        allowance[from][msg.sender] -= amount;
        _move(from, to, amount);
    }

    function _move(address from, address to, uint256 amount) private {
        if (mode == 1) {
            // A token that returns false from transfer: only assembly can return from inside a helper.
            // solhint-disable-next-line no-inline-assembly
            assembly ("memory-safe") {
                mstore(0, 0)
                return(0, 32)
            }
        }
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
    }
}
