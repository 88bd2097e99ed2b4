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

    /// @notice `createAccountAndCall` was asked to call `target`, which is neither the account it
    /// creates nor the consent registry.
    error UnsafeTarget(address target);

    /// @notice Creates the account of the passkey `(x, y)` and `salt`, initialized with that passkey, or
    /// returns it if it already exists. Anyone may call it (a relayer, for the patient).
    /// @dev Reverts with `InvalidPasskey` (from the account) when `(x, y)` is not a P-256 point.
    /// @return account The account's address, {predictAddress}.
    function createAccount(bytes32 x, bytes32 y, uint256 salt) external returns (address account);

    /// @notice Creates the account of the passkey `(x, y)` and `salt` unless it exists ({createAccount}),
    /// then calls `target` with `data` from the factory: the first relayed action of a patient, in the
    /// transaction that deploys their account (a consent `…BySig` whose signature the new account checks,
    /// or the account's own `executeBySig`). Anyone may call it.
    /// @dev `target` must be the account itself or the consent registry ({consentRegistry}), else
    /// `UnsafeTarget`: the factory holds nothing and no role, and stays no general forwarder. The call
    /// carries no value; its revert is bubbled up unchanged (the registry's or the account's own error).
    /// @return account The account's address, {predictAddress}.
    /// @return result What the call returned.
    function createAccountAndCall(bytes32 x, bytes32 y, uint256 salt, address target, bytes calldata data)
        external
        returns (address account, bytes memory result);

    /// @notice The consent registry {createAccountAndCall} may call besides the account.
    function consentRegistry() external view returns (address);

    /// @notice The address of the account of the passkey `(x, y)` and `salt`, deployed or not.
    function predictAddress(bytes32 x, bytes32 y, uint256 salt) external view returns (address);

    /// @notice The account implementation every account is a clone of.
    function implementation() external view returns (address);
}
