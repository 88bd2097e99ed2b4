// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IPatientAccountFactory
/// @notice Creates patients' passkey accounts at addresses known before they exist (CREATE2 clones of
/// one implementation): a patient's address follows from their first passkey and a salt, so consent
/// can be signed for it before it is deployed, and the first relayed action deploys it.
interface IPatientAccountFactory {
    /// @notice A passkey account was created at `account` for the passkey `(x, y)` and `salt`.
    // solhint-disable-next-line gas-indexed-events
    event AccountCreated(address indexed account, bytes32 x, bytes32 y, uint256 salt);

    /// @notice Creates the account of the passkey `(x, y)` and `salt`, initialized with that passkey, or
    /// returns it if it already exists. Anyone may call it (a relayer, for the patient).
    /// @dev Reverts with `InvalidPasskey` (from the account) when `(x, y)` is not a P-256 point.
    /// @return account The account's address, {predictAddress}.
    function createAccount(bytes32 x, bytes32 y, uint256 salt) external returns (address account);

    /// @notice The address of the account of the passkey `(x, y)` and `salt`, deployed or not.
    function predictAddress(bytes32 x, bytes32 y, uint256 salt) external view returns (address);

    /// @notice The account implementation every account is a clone of.
    function implementation() external view returns (address);
}
