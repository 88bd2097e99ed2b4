// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IPatientAccount
/// @notice A patient's smart account, signed for by WebAuthn passkeys (P-256) instead of a seed
/// phrase. Any one of the patient's passkeys signs (a phone and a laptop are equals); the account
/// answers ERC-1271 through ERC-7739 (a signature is bound to this account and to the asking
/// application's EIP-712 domain, so it cannot be replayed on another account of the same passkey),
/// so the consent registry's `*BySig` functions accept a passkey-signed request unchanged.
/// A relayer operates the account for the patient, who holds no ETH: {executeBySig} runs a batch of
/// calls the patient signed (EIP-712 `Execute`, with a nonce and a deadline). Guardians the patient
/// appointed may propose a new passkey after the patient lost theirs; it takes effect only after
/// {RECOVERY_DELAY}, during which any of the patient's passkeys may cancel it.
/// @dev A passkey is kept as an ERC-7913 signer: the WebAuthn verifier's address followed by the
/// public key's coordinates `x ‖ y` (84 bytes).
interface IPatientAccount {
    /// @notice One call of a signed batch (EIP-712 type `Call`).
    struct Call {
        address target;
        uint256 value;
        bytes data;
    }

    /// @notice A new passkey a guardian proposed, pending until `readyAt`.
    /// @dev `guardian` (20 bytes) and `readyAt` (6 bytes) share one slot, on purpose; the key takes two.
    struct Recovery {
        bytes32 x;
        bytes32 y;
        address guardian;
        uint48 readyAt;
    }

    /// @notice The passkey `(x, y)` now signs for the account.
    event PasskeyAdded(bytes32 indexed x, bytes32 y);

    /// @notice The passkey `(x, y)` no longer signs for the account.
    event PasskeyRemoved(bytes32 indexed x, bytes32 y);

    /// @notice `guardian` may now propose a new passkey (account recovery).
    event GuardianAdded(address indexed guardian);

    /// @notice `guardian` may no longer propose a new passkey.
    event GuardianRemoved(address indexed guardian);

    /// @notice `guardian` proposed the passkey `(x, y)`; it may be added from `readyAt` on.
    // solhint-disable-next-line gas-indexed-events
    event RecoveryProposed(address indexed guardian, bytes32 x, bytes32 y, uint48 readyAt);

    /// @notice The recovery `guardian` proposed, of the passkey `(x, y)`, was cancelled by `by`
    /// (the account itself, that guardian, or the account removing that guardian).
    // solhint-disable-next-line gas-indexed-events
    event RecoveryCancelled(address indexed guardian, bytes32 x, bytes32 y, address by);

    /// @notice The recovery `guardian` proposed took effect: the passkey `(x, y)` signs for the account.
    event RecoveryCompleted(address indexed guardian, bytes32 x, bytes32 y);

    /// @notice `relayer` submitted a batch of `calls` calls the account's passkey signed, with `nonce`.
    // solhint-disable-next-line gas-indexed-events
    event ExecutedBySig(uint256 indexed nonce, address indexed relayer, uint256 calls);

    /// @notice `(x, y)` is not a point of the P-256 curve: no passkey has it.
    error InvalidPasskey(bytes32 x, bytes32 y);

    /// @notice The passkey `(x, y)` already signs for the account.
    error PasskeyAlreadyAdded(bytes32 x, bytes32 y);

    /// @notice The passkey `(x, y)` does not sign for the account.
    error UnknownPasskey(bytes32 x, bytes32 y);

    /// @notice `(x, y)` is the account's last passkey: removing it would lock the patient out.
    error LastPasskey(bytes32 x, bytes32 y);

    /// @notice `guardian` cannot be a guardian: the zero address, or the account itself.
    error InvalidGuardian(address guardian);

    /// @notice `guardian` is already a guardian of the account.
    error GuardianAlreadyAdded(address guardian);

    /// @notice `guardian` is not a guardian of the account.
    error UnknownGuardian(address guardian);

    /// @notice `guardian` already proposed a passkey, which may take effect from `readyAt`.
    error RecoveryAlreadyPending(address guardian, uint48 readyAt);

    /// @notice No recovery is pending.
    error NoRecoveryPending();

    /// @notice The pending recovery takes effect only from `readyAt`; it is `currentTime`.
    error RecoveryNotReady(uint48 readyAt, uint256 currentTime);

    /// @notice The pending recovery could be completed only until `expiredAt`; it is `currentTime`.
    error RecoveryExpired(uint256 expiredAt, uint256 currentTime);

    /// @notice `caller` may not cancel the pending recovery proposed by `guardian`.
    error NotRecoveryCanceller(address caller, address guardian);

    /// @notice The signed batch expired at `deadline`; it is `currentTime`.
    error ExecutionExpired(uint256 deadline, uint256 currentTime);

    /// @notice A signed batch holds `count` calls; it must hold from 1 to `max`.
    error InvalidBatchSize(uint256 count, uint256 max);

    /// @notice The signature is not one of the account's passkeys' over the batch's EIP-712 `digest`.
    error InvalidExecutionSignature(bytes32 digest);

    /// @notice `verifier` has no code: it cannot be the WebAuthn verifier.
    error InvalidVerifier(address verifier);

    /// @notice Sets the account's first passkey; called once, by the factory, in the transaction that
    /// creates the account.
    /// @dev Reverts with `InvalidInitialization` when called again, or on the implementation;
    /// {InvalidPasskey} when `(x, y)` is not on the curve.
    function initialize(bytes32 x, bytes32 y) external;

    /// @notice Runs `calls` in order, as the account, if one of its passkeys signed them (EIP-712 type
    /// `Execute(Call[] calls,uint256 nonce,uint256 deadline)` in the account's own domain, which binds
    /// the chain id and the account's address). Anyone may submit: the relayer pays the gas.
    /// The account's management functions are reached by calls to the account itself.
    /// @param nonce A keyed nonce of the account (`nonces(account, key)`, key in the upper 192 bits),
    /// used once.
    /// @dev Reverts with {ExecutionExpired}, {InvalidBatchSize}, `InvalidAccountNonce`,
    /// {InvalidExecutionSignature}, or with a failing call's own revert data.
    function executeBySig(Call[] calldata calls, uint256 nonce, uint256 deadline, bytes calldata signature) external;

    /// @notice Adds the passkey `(x, y)`, e.g. the patient's laptop beside their phone. A pending recovery
    /// is cancelled: a patient who signs with a passkey is not locked out.
    /// @dev Only the account itself (a signed batch) or the ERC-4337 entry point. Reverts with
    /// `AccountUnauthorized`, {InvalidPasskey}, {PasskeyAlreadyAdded}.
    function addPasskey(bytes32 x, bytes32 y) external;

    /// @notice Removes the passkey `(x, y)` (a lost or replaced device); never the last one. A pending
    /// recovery is cancelled (it could otherwise bring back the very passkey removed).
    /// @dev Only the account itself or the entry point. Reverts with `AccountUnauthorized`,
    /// {UnknownPasskey}, {LastPasskey}.
    function removePasskey(bytes32 x, bytes32 y) external;

    /// @notice Appoints `guardian` (a relative, a clinic's recovery desk, another account), who may then
    /// propose a new passkey should the patient lose theirs.
    /// @dev Only the account itself or the entry point. Reverts with `AccountUnauthorized`,
    /// {InvalidGuardian}, {GuardianAlreadyAdded}.
    function addGuardian(address guardian) external;

    /// @notice Removes `guardian`; a recovery it proposed and still pending is cancelled with it.
    /// @dev Only the account itself or the entry point. Reverts with `AccountUnauthorized`, {UnknownGuardian}.
    function removeGuardian(address guardian) external;

    /// @notice A guardian proposes the passkey `(x, y)` for a patient who lost theirs. It may be added by
    /// {completeRecovery} from {RECOVERY_DELAY} on, for {RECOVERY_WINDOW}; until then any of the account's
    /// passkeys may cancel it, and any change of its passkeys does. A proposal past its window is replaced.
    /// @dev Only a guardian. Reverts with {UnknownGuardian} (the caller), {RecoveryAlreadyPending},
    /// {InvalidPasskey}, {PasskeyAlreadyAdded}.
    function proposeRecovery(bytes32 x, bytes32 y) external;

    /// @notice Cancels the pending recovery.
    /// @dev The account itself (a batch signed by a passkey), the entry point, or the guardian who
    /// proposed it. Reverts with {NoRecoveryPending}, {NotRecoveryCanceller}.
    function cancelRecovery() external;

    /// @notice Adds the passkey of the pending recovery once its delay has passed and before its window
    /// closes. Anyone may call it.
    /// @dev Reverts with {NoRecoveryPending}, {RecoveryNotReady}, {RecoveryExpired}.
    function completeRecovery() external;

    /// @notice Whether the passkey `(x, y)` signs for the account.
    function isPasskey(bytes32 x, bytes32 y) external view returns (bool);

    /// @notice Whether `guardian` is a guardian of the account.
    function isGuardian(address guardian) external view returns (bool);

    /// @notice The pending recovery (all zero when none).
    function pendingRecovery() external view returns (Recovery memory);

    /// @notice The ERC-7913 WebAuthn verifier every passkey of the account is checked by.
    function webAuthnVerifier() external view returns (address);
}
