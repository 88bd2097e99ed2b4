// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
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

    /// @param verifier The ERC-7913 WebAuthn verifier every account checks passkeys with.
    constructor(address verifier) {
        _IMPLEMENTATION = address(new PatientAccount(verifier));
    }

    /// @inheritdoc IPatientAccountFactory
    function createAccount(bytes32 x, bytes32 y, uint256 salt) external returns (address account) {
        bytes32 create2Salt = _create2Salt(x, y, salt);
        account = Clones.predictDeterministicAddress(_IMPLEMENTATION, create2Salt);
        if (account.code.length == 0) {
            Clones.cloneDeterministic(_IMPLEMENTATION, create2Salt);
            PatientAccount(payable(account)).initialize(x, y);
            emit AccountCreated(account, x, y, salt);
        }
    }

    /// @inheritdoc IPatientAccountFactory
    function predictAddress(bytes32 x, bytes32 y, uint256 salt) external view returns (address) {
        return Clones.predictDeterministicAddress(_IMPLEMENTATION, _create2Salt(x, y, salt));
    }

    /// @inheritdoc IPatientAccountFactory
    function implementation() external view returns (address) {
        return _IMPLEMENTATION;
    }

    /// @dev The CREATE2 salt of the account of the passkey `(x, y)` and `salt`.
    function _create2Salt(bytes32 x, bytes32 y, uint256 salt) private pure returns (bytes32) {
        return keccak256(abi.encode(x, y, salt));
    }
}
