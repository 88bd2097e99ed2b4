// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @notice Measures the gas of a view called from another contract, the way a consuming contract
/// pays for it. Called with `eth_call`, every account and slot starts cold, so the figure is the
/// cold cost: the call's own gas, without the probe's overhead around it.
contract ViewProbe {
    /// @notice Thrown when the probed call reverted; carries its revert data.
    error ProbeCallFailed(bytes returnData);

    /// @notice Staticcalls `target` with `data` and returns the gas the call consumed.
    function measure(address target, bytes calldata data) external view returns (uint256 gasUsed) {
        uint256 before = gasleft();
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, bytes memory ret) = target.staticcall(data);
        gasUsed = before - gasleft();
        if (!ok) revert ProbeCallFailed(ret);
    }
}
