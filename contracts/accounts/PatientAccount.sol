// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Account} from "@openzeppelin/contracts/account/Account.sol";
import {ERC7821} from "@openzeppelin/contracts/account/extensions/draft-ERC7821.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {LowLevelCall} from "@openzeppelin/contracts/utils/LowLevelCall.sol";
import {NoncesKeyed} from "@openzeppelin/contracts/utils/NoncesKeyed.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {P256} from "@openzeppelin/contracts/utils/cryptography/P256.sol";
import {AbstractSigner} from "@openzeppelin/contracts/utils/cryptography/signers/AbstractSigner.sol";
import {MultiSignerERC7913} from "@openzeppelin/contracts/utils/cryptography/signers/MultiSignerERC7913.sol";
import {ERC7739} from "@openzeppelin/contracts/utils/cryptography/signers/draft-ERC7739.sol";
import {IPatientAccount} from "./IPatientAccount.sol";

/// @title PatientAccount
/// @notice A patient's passkey account: OpenZeppelin's ERC-4337 `Account`, signed for by any one of a
/// set of ERC-7913 WebAuthn signers (`MultiSignerERC7913`, threshold one), answering ERC-1271 through
/// ERC-7739, executing ERC-7821 batches for the entry point and EIP-712 signed batches for a relayer.
/// @dev Deployed once as the implementation of {PatientAccountFactory}'s clones (EIP-1167); each clone
/// is initialized with its first passkey in the transaction that creates it. The implementation itself
/// can never be initialized and its only signer (the zero address) can never sign.
contract PatientAccount is
    IPatientAccount,
    Account,
    EIP712,
    ERC7739,
    MultiSignerERC7913,
    ERC7821,
    NoncesKeyed,
    Initializable
{
    /// @notice The version of the account's EIP-712 domain.
    string public constant VERSION = "1";

    /// @notice How long a guardian's proposed passkey waits before it may take effect: the time the
    /// patient has to cancel it with any of their passkeys.
    uint48 public constant RECOVERY_DELAY = 2 days;

    /// @notice How long, once ready, a guardian's proposed passkey may be completed: after it, the
    /// proposal is stale (the patient's devices and guardians may have changed) and another may replace it.
    uint48 public constant RECOVERY_WINDOW = 7 days;

    /// @notice The most calls one signed batch may hold.
    uint256 public constant MAX_CALLS = 16;

    // solhint-disable gas-small-strings
    /// @notice The EIP-712 type of one call of a signed batch.
    bytes32 public constant CALL_TYPEHASH = keccak256("Call(address target,uint256 value,bytes data)");

    /// @notice The EIP-712 type of a signed batch.
    bytes32 public constant EXECUTE_TYPEHASH =
        keccak256("Execute(Call[] calls,uint256 nonce,uint256 deadline)Call(address target,uint256 value,bytes data)");
    // solhint-enable gas-small-strings

    /// @dev The ERC-7913 verifier of WebAuthn assertions; in the implementation's code, shared by every clone.
    address private immutable _VERIFIER;

    mapping(address guardian => bool) private _guardians;
    Recovery private _recovery;

    /// @param verifier The ERC-7913 WebAuthn verifier (OpenZeppelin's `ERC7913WebAuthnVerifier`).
    constructor(address verifier)
        EIP712("CareLedger PatientAccount", VERSION)
        MultiSignerERC7913(_noSigner(), 1)
    {
        if (verifier.code.length == 0) revert InvalidVerifier(verifier);
        _VERIFIER = verifier;
        _disableInitializers();
    }

    /// @inheritdoc IPatientAccount
    function initialize(bytes32 x, bytes32 y) external initializer {
        _addPasskey(x, y);
    }

    /// @inheritdoc IPatientAccount
    function executeBySig(Call[] calldata calls, uint256 nonce, uint256 deadline, bytes calldata signature) external {
        if (block.timestamp > deadline) revert ExecutionExpired(deadline, block.timestamp);
        uint256 count = calls.length;
        if (count == 0 || count > MAX_CALLS) revert InvalidBatchSize(count, MAX_CALLS);
        bytes32[] memory callHashes = new bytes32[](count);
        for (uint256 i = 0; i < count; ++i) {
            callHashes[i] = keccak256(abi.encode(CALL_TYPEHASH, calls[i].target, calls[i].value, keccak256(calls[i].data)));
        }
        bytes32 digest = _hashTypedDataV4(
            keccak256(abi.encode(EXECUTE_TYPEHASH, keccak256(abi.encodePacked(callHashes)), nonce, deadline))
        );
        if (!_rawSignatureValidation(digest, signature)) revert InvalidExecutionSignature(digest);
        _useCheckedNonce(address(this), nonce);
        emit ExecutedBySig(nonce, msg.sender, count);
        for (uint256 i = 0; i < count; ++i) {
            if (!LowLevelCall.callNoReturn(calls[i].target, calls[i].value, calls[i].data)) LowLevelCall.bubbleRevert();
        }
    }

    /// @inheritdoc IPatientAccount
    function addPasskey(bytes32 x, bytes32 y) external onlyEntryPointOrSelf {
        _addPasskey(x, y);
        if (_recovery.readyAt != 0) _cancelRecovery();
    }

    /// @inheritdoc IPatientAccount
    function removePasskey(bytes32 x, bytes32 y) external onlyEntryPointOrSelf {
        bytes memory signer = _signerOf(x, y);
        if (!isSigner(signer)) revert UnknownPasskey(x, y);
        if (getSignerCount() == 1) revert LastPasskey(x, y);
        bytes[] memory signers = new bytes[](1);
        signers[0] = signer;
        _removeSigners(signers);
        emit PasskeyRemoved(x, y);
        if (_recovery.readyAt != 0) _cancelRecovery();
    }

    /// @inheritdoc IPatientAccount
    function addGuardian(address guardian) external onlyEntryPointOrSelf {
        if (guardian == address(0) || guardian == address(this)) revert InvalidGuardian(guardian);
        if (_guardians[guardian]) revert GuardianAlreadyAdded(guardian);
        _guardians[guardian] = true;
        emit GuardianAdded(guardian);
    }

    /// @inheritdoc IPatientAccount
    function removeGuardian(address guardian) external onlyEntryPointOrSelf {
        if (!_guardians[guardian]) revert UnknownGuardian(guardian);
        delete _guardians[guardian];
        emit GuardianRemoved(guardian);
        if (_recovery.guardian == guardian) _cancelRecovery();
    }

    /// @inheritdoc IPatientAccount
    function proposeRecovery(bytes32 x, bytes32 y) external {
        if (!_guardians[msg.sender]) revert UnknownGuardian(msg.sender);
        Recovery memory pending = _recovery;
        if (pending.readyAt != 0) {
            if (block.timestamp < uint256(pending.readyAt) + RECOVERY_WINDOW) {
                revert RecoveryAlreadyPending(pending.guardian, pending.readyAt);
            }
            _cancelRecovery();
        }
        _checkNewPasskey(x, y);
        uint48 readyAt = uint48(block.timestamp) + RECOVERY_DELAY;
        _recovery = Recovery({x: x, y: y, guardian: msg.sender, readyAt: readyAt});
        emit RecoveryProposed(msg.sender, x, y, readyAt);
    }

    /// @inheritdoc IPatientAccount
    function cancelRecovery() external {
        address guardian = _recovery.guardian;
        if (guardian == address(0)) revert NoRecoveryPending();
        if (msg.sender != guardian && msg.sender != address(this) && msg.sender != address(entryPoint())) {
            revert NotRecoveryCanceller(msg.sender, guardian);
        }
        _cancelRecovery();
    }

    /// @inheritdoc IPatientAccount
    function completeRecovery() external {
        Recovery memory pending = _recovery;
        if (pending.readyAt == 0) revert NoRecoveryPending();
        if (block.timestamp < pending.readyAt) revert RecoveryNotReady(pending.readyAt, block.timestamp);
        uint256 expiredAt = uint256(pending.readyAt) + RECOVERY_WINDOW;
        if (block.timestamp + 1 > expiredAt) revert RecoveryExpired(expiredAt, block.timestamp);
        delete _recovery;
        _addPasskey(pending.x, pending.y);
        emit RecoveryCompleted(pending.guardian, pending.x, pending.y);
    }

    /// @inheritdoc IPatientAccount
    function isPasskey(bytes32 x, bytes32 y) external view returns (bool) {
        return isSigner(_signerOf(x, y));
    }

    /// @inheritdoc IPatientAccount
    function isGuardian(address guardian) external view returns (bool) {
        return _guardians[guardian];
    }

    /// @inheritdoc IPatientAccount
    function pendingRecovery() external view returns (Recovery memory) {
        return _recovery;
    }

    /// @inheritdoc IPatientAccount
    function webAuthnVerifier() external view returns (address) {
        return _VERIFIER;
    }

    /// @notice One passkey signs: a patient's devices are equals. Fixed, so that verifying a signature
    /// reads no threshold from storage; removing the last passkey is refused by {removePasskey}.
    function threshold() public pure override returns (uint64) {
        return 1;
    }

    /// @dev The signature check of every path (ERC-4337, ERC-1271 through ERC-7739, {executeBySig}):
    /// OpenZeppelin's multi-signer over ERC-7913 signers.
    function _rawSignatureValidation(bytes32 hash, bytes calldata signature)
        internal
        view
        override(AbstractSigner, MultiSignerERC7913)
        returns (bool)
    {
        return super._rawSignatureValidation(hash, signature);
    }

    /// @dev ERC-7821 batches from the entry point (ERC-4337 user operations) as well as from the account itself.
    function _erc7821AuthorizedExecutor(address caller, bytes32 mode, bytes calldata executionData)
        internal
        view
        override
        returns (bool)
    {
        return caller == address(entryPoint()) || super._erc7821AuthorizedExecutor(caller, mode, executionData);
    }

    /// @dev Adds the passkey `(x, y)` after {_checkNewPasskey}.
    function _addPasskey(bytes32 x, bytes32 y) private {
        _checkNewPasskey(x, y);
        bytes[] memory signers = new bytes[](1);
        signers[0] = _signerOf(x, y);
        _addSigners(signers);
        emit PasskeyAdded(x, y);
    }

    /// @dev Deletes the pending recovery and says who cancelled it.
    function _cancelRecovery() private {
        Recovery memory pending = _recovery;
        delete _recovery;
        emit RecoveryCancelled(pending.guardian, pending.x, pending.y, msg.sender);
    }

    /// @dev Reverts unless `(x, y)` is on the curve and not yet a passkey of the account.
    function _checkNewPasskey(bytes32 x, bytes32 y) private view {
        if (!P256.isValidPublicKey(x, y)) revert InvalidPasskey(x, y);
        if (isSigner(_signerOf(x, y))) revert PasskeyAlreadyAdded(x, y);
    }

    /// @dev The passkey `(x, y)` as an ERC-7913 signer: the verifier's address, then the key.
    function _signerOf(bytes32 x, bytes32 y) private view returns (bytes memory) {
        return abi.encodePacked(_VERIFIER, x, y);
    }

    /// @dev The implementation's only signer: the zero address, for which no signature ever verifies
    /// (ECDSA recovers no zero address; it has no code to answer ERC-1271). `MultiSignerERC7913`'s
    /// constructor needs a signer to reach its threshold; clones start with none and get their passkey
    /// from {initialize}.
    function _noSigner() private pure returns (bytes[] memory signers) {
        signers = new bytes[](1);
        signers[0] = abi.encodePacked(address(0));
    }
}
