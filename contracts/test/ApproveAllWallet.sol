// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";

/// @notice A hostile (or broken) ERC-1271 account that approves every signature for every hash.
/// The tests use it to prove that such an account can only ever sign for itself.
contract ApproveAllWallet is IERC1271 {
    /// @notice Calls `target` with `data` (so the wallet can act as a patient) and bubbles up reverts.
    function execute(address target, bytes calldata data) external returns (bytes memory) {
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

    /// @inheritdoc IERC1271
    function isValidSignature(bytes32, bytes calldata) external pure returns (bytes4) {
        return IERC1271.isValidSignature.selector;
    }
}
