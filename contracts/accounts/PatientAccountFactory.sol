// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {IPatientAccountFactory} from "./IPatientAccountFactory.sol";
import {PatientAccount} from "./PatientAccount.sol";

/// @title PatientAccountFactory
/// @notice Deterministic passkey accounts: EIP-1167 clones of one {PatientAccount} implementation,
/// created with CREATE2 and initialized in the same transaction.
/// @dev The CREATE2 salt is `keccak256(abi.encode(x, y, salt))`: an address belongs to one first
/// passkey, so nobody can take a patient's address with another key, and creating it early (front-run)
/// creates the very account the patient expects.
contract PatientAccountFactory is IPatientAccountFactory {
    address private immutable _IMPLEMENTATION;
    address private immutable _CONSENT_REGISTRY;

    /// @param verifier The ERC-7913 WebAuthn verifier every account checks passkeys with.
    /// @param consentRegistry The consent registry whose signed actions {createAccountAndCall} may submit.
    constructor(address verifier, address consentRegistry) {
        _IMPLEMENTATION = address(new PatientAccount(verifier));
        _CONSENT_REGISTRY = consentRegistry;
    }

    /// @inheritdoc IPatientAccountFactory
    function createAccount(bytes32 x, bytes32 y, uint256 salt) external returns (address account) {
        account = _createAccount(x, y, salt);
    }

    /// @inheritdoc IPatientAccountFactory
    function createAccountAndCall(bytes32 x, bytes32 y, uint256 salt, address target, bytes calldata data)
        external
        returns (address account, bytes memory result)
    {
        account = _createAccount(x, y, salt);
        if (target != account && target != _CONSENT_REGISTRY) revert UnsafeTarget(target);
        result = Address.functionCall(target, data);
    }

    /// @inheritdoc IPatientAccountFactory
    function consentRegistry() external view returns (address) {
        return _CONSENT_REGISTRY;
    }

    /// @inheritdoc IPatientAccountFactory
    function predictAddress(bytes32 x, bytes32 y, uint256 salt) external view returns (address) {
        return Clones.predictDeterministicAddress(_IMPLEMENTATION, _create2Salt(x, y, salt));
    }

    /// @inheritdoc IPatientAccountFactory
    function implementation() external view returns (address) {
        return _IMPLEMENTATION;
    }

    /// @dev Creates and initializes the account of `(x, y)` and `salt` unless it exists; returns its address.
    function _createAccount(bytes32 x, bytes32 y, uint256 salt) private returns (address account) {
        bytes32 create2Salt = _create2Salt(x, y, salt);
        account = Clones.predictDeterministicAddress(_IMPLEMENTATION, create2Salt);
        if (account.code.length == 0) {
            Clones.cloneDeterministic(_IMPLEMENTATION, create2Salt);
            PatientAccount(payable(account)).initialize(x, y);
            emit AccountCreated(account, x, y, salt);
        }
    }

    /// @dev The CREATE2 salt of the account of the passkey `(x, y)` and `salt`.
    function _create2Salt(bytes32 x, bytes32 y, uint256 salt) private pure returns (bytes32) {
        return keccak256(abi.encode(x, y, salt));
    }
}
