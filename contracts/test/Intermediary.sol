// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @notice A contract that forwards any call, used by the tests to prove that a privileged function
/// refuses an intermediate contract (the caller it sees is this contract, not the wallet behind it).
contract Intermediary {
    /// @notice Calls `target` with `data` and bubbles up its revert data unchanged.
    function forward(address target, bytes calldata data) external returns (bytes memory) {
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, bytes memory ret) = target.call(data);
        if (!ok) {
            // Bubbles the callee's revert data unchanged, so tests see the target's custom error.
            // solhint-disable-next-line no-inline-assembly
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        return ret;
    }
}
