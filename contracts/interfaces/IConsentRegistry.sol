// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IParticipantRegistry} from "./IParticipantRegistry.sol";

/// @title IConsentRegistry
/// @notice Patient-controlled consent: a patient grants a grantee (one account, or an organization of
/// the participant registry, through any of its active members) the use of some data classes for
/// some purposes, from `validFrom` until `validUntil`. Grants and revocations can be signed off chain
/// (EIP-712) and relayed. Delegates appointed by the patient act for the patient. A member of a
/// provider organization can open time-boxed emergency access (break-glass). Every access is checked
/// at the moment it happens and logged as an event: the patient's accounting of disclosures.
/// @dev Vocabularies (data classes, purposes, reason codes, grantee keys): `ConsentVocabulary`.
/// No personal data is stored or emitted: addresses, ids, codes, times and salted commitments only.
interface IConsentRegistry {
    /// @notice One grant from a patient to a grantee: one storage slot per (patient, grantee).
    /// @dev Packed on purpose into one slot: classes (4 bytes) + purposes (1) + validFrom (5) +
    /// validUntil (5) + nonce (8) = 23 bytes. The consent document's commitment is not stored: it is
    /// carried by {ConsentGranted}, whose chain of events is the audit trail, so a grant costs one new
    /// slot. `nonce` counts the changes to the pair (every grant and revocation, signed or not); a
    /// signed request must carry the current one, so it is used once and dies with any later change.
    /// A revocation zeroes everything but the nonce. A grant is in force while
    /// `validFrom <= block.timestamp < validUntil`.
    struct Grant {
        uint32 classes;
        uint8 purposes;
        uint40 validFrom;
        uint40 validUntil;
        uint64 nonce;
    }

    /// @notice A grant signed by the patient (EIP-712 type `Grant`), submitted by anyone.
    /// @dev Calldata only, never stored: fields in the order of the EIP-712 type, not packed.
    // solhint-disable-next-line gas-struct-packing
    struct GrantRequest {
        address patient;
        bytes32 grantee;
        uint32 classes;
        uint8 purposes;
        uint40 validFrom;
        uint40 validUntil;
        bytes32 commitment;
        uint64 nonce;
        uint64 epoch;
        uint256 deadline;
    }

    /// @notice A revocation signed by the patient (EIP-712 type `Revocation`), submitted by anyone.
    struct RevocationRequest {
        address patient;
        bytes32 grantee;
        uint64 nonce;
        uint64 epoch;
        uint256 deadline;
    }

    /// @notice What a patient appointed a delegate to do: grant, for the patient, at most `classes`
    /// for at most `purposes`, and never beyond `until`, when the term ends; revoke any grant.
    /// @dev One slot: until (5 bytes) + classes (4) + purposes (1) + representative (1) + nonce (8).
    /// `representative`: a full representative the patient appointed explicitly (a parent of a minor,
    /// a legal guardian): only such a delegate may hold sensitive classes in its scope or set the
    /// break-glass opt-out. `nonce` counts the pair's appointments and removals (kept when the
    /// delegate is removed): a signed appointment or removal is for the pair's current nonce.
    struct Delegation {
        uint40 until;
        uint32 classes;
        uint8 purposes;
        bool representative;
        uint64 nonce;
    }

    /// @notice An appointment signed by the patient (EIP-712 type `Delegation`), submitted by anyone.
    /// @dev Calldata only, never stored: fields in the order of the EIP-712 type, not packed.
    // solhint-disable-next-line gas-struct-packing
    struct DelegationRequest {
        address patient;
        address delegate;
        uint40 until;
        uint32 classes;
        uint8 purposes;
        bool representative;
        uint64 nonce;
        uint64 epoch;
        uint256 deadline;
    }

    /// @notice A removal of a delegate signed by the patient (EIP-712 type `DelegateRemoval`),
    /// submitted by anyone.
    struct DelegateRemovalRequest {
        address patient;
        address delegate;
        uint64 nonce;
        uint64 epoch;
        uint256 deadline;
    }

    /// @notice Emergency access opened by `accessor` on a patient.
    /// @dev One slot: orgId (8 bytes) + until (5) + optOuts (4). In force while
    /// `block.timestamp < until`, the accessor is still an active member of `orgId`, and the patient
    /// has not opted out since it was opened: `optOuts` is the patient's count of opt-outs at the
    /// opening ({optOutsOf}), so any later opt-out ends it for good, opting back in or not.
    struct BreakGlass {
        uint64 orgId;
        uint40 until;
        uint32 optOuts;
    }

    /// @notice Emitted when a grant is made or replaced. `by` is the patient, or the delegate who
    /// granted for the patient (for a signed grant, the patient: the relayer is the transaction's sender).
    /// `commitment` is the salted commitment of the consent document (e.g. a FHIR Consent).
    event ConsentGranted(
        address indexed patient,
        bytes32 indexed grantee,
        address indexed by,
        uint32 classes,
        uint8 purposes,
        uint40 validFrom,
        uint40 validUntil,
        bytes32 commitment
    );

    /// @notice Emitted when a grant is revoked; it ends in this block.
    event ConsentRevoked(address indexed patient, bytes32 indexed grantee, address indexed by);

    /// @notice Emitted when a patient appoints (or re-appoints) a delegate until `until`, to grant at
    /// most `classes` for `purposes`; `representative` when the patient appointed a full representative.
    // solhint-disable-next-line gas-indexed-events
    event DelegateAppointed(address indexed patient, address indexed delegate, uint40 until, uint32 classes, uint8 purposes, bool representative);

    /// @notice Emitted when a delegate is removed, by the patient or by the delegate itself.
    event DelegateRemoved(address indexed patient, address indexed delegate, address indexed by);

    /// @notice Emitted when a patient cancels every outstanding signature; `epoch` is the new epoch.
    // solhint-disable-next-line gas-indexed-events
    event SignaturesCancelled(address indexed patient, uint64 epoch);

    /// @notice Emitted when emergency access is opened: the patient sees who, under which
    /// organization, why (a reason code and the commitment of the written justification), until when.
    event BreakGlassOpened(
        address indexed patient,
        address indexed accessor,
        uint64 indexed orgId,
        uint8 reasonCode,
        bytes32 reasonRef,
        uint40 until
    );

    /// @notice Emitted when a patient (or a delegate) opts out of break-glass, or back in.
    // solhint-disable-next-line gas-indexed-events
    event BreakGlassOptOutSet(address indexed patient, bool optedOut, address indexed by);

    /// @notice Emitted when governance sets the longest break-glass window.
    // solhint-disable-next-line gas-indexed-events
    event BreakGlassWindowSet(uint40 window);

    /// @notice Emitted for every permitted access: who, under which organization (0 when under a
    /// grant to the accessor's own account), which data class, which record (a pseudonymous
    /// reference, never PHI), for which purpose, when.
    event AccessLogged(
        address indexed patient,
        address indexed accessor,
        uint64 indexed orgId,
        uint8 dataClass,
        uint8 purpose,
        bytes32 recordRef,
        uint40 at
    );

    /// @notice `patient` is not a patient (the zero address).
    error InvalidPatient(address patient);

    /// @notice `grantee` is not a grantee key: neither a non-zero account other than the patient nor
    /// an organization key with a non-zero id.
    error InvalidGrantee(bytes32 grantee);

    /// @notice `classes` is empty or names an unassigned data class.
    error InvalidDataClasses(uint32 classes);

    /// @notice `purposes` is empty or names an unassigned purpose.
    error InvalidPurposes(uint8 purposes);

    /// @notice The validity window is empty or already over.
    error InvalidValidity(uint40 validFrom, uint40 validUntil, uint256 nowTime);

    /// @notice A grant must carry the commitment of its consent document.
    error EmptyCommitment();

    /// @notice `caller` is neither `patient` nor a delegate of `patient` in force.
    error NotPatientOrDelegate(address caller, address patient);

    /// @notice `patient` has no grant to `grantee` to revoke.
    error GrantNotFound(address patient, bytes32 grantee);

    /// @notice The signature's deadline has passed.
    error SignatureExpired(uint256 deadline, uint256 nowTime);

    /// @notice The signed nonce is not the current nonce of the (patient, grantee) pair: the
    /// signature was used, or the pair changed since it was made.
    error InvalidNonce(address patient, bytes32 grantee, uint64 nonce, uint64 currentNonce);

    /// @notice The signed nonce is not the current nonce of the (patient, delegate) pair: the
    /// signature was used, or the delegation changed since it was made.
    error InvalidDelegationNonce(address patient, address delegate, uint64 nonce, uint64 currentNonce);

    /// @notice The signature was made in an earlier epoch: the patient cancelled it.
    error SignatureCancelled(address patient, uint64 epoch, uint64 currentEpoch);

    /// @notice The signature is not `patient`'s (wrong signer, malformed, malleable, or refused by
    /// the patient's ERC-1271 account).
    error InvalidSignature(address patient);

    /// @notice `delegate` cannot be appointed (the zero address or the patient itself).
    error InvalidDelegate(address delegate);

    /// @notice A delegate's term must end in the future.
    error InvalidDelegateExpiry(uint40 until, uint256 nowTime);

    /// @notice A delegation's scope must name assigned classes and purposes, and sensitive classes
    /// only for a full representative.
    error InvalidDelegateScope(uint32 classes, uint8 purposes, bool representative);

    /// @notice `delegate` granted `classes` / `purposes` beyond the scope the patient gave it.
    error DelegateScopeExceeded(address delegate, uint32 classes, uint8 purposes, uint32 scopeClasses, uint8 scopePurposes);

    /// @notice `delegate` granted until `validUntil`, beyond the end of its delegation.
    error DelegateGrantOutlivesDelegation(address delegate, uint40 validUntil, uint40 delegationUntil);

    /// @notice A delegate never grants to its own account.
    error DelegateGrantsToItself(address delegate);

    /// @notice Only the patient or a full representative may do this (the break-glass opt-out).
    error NotPatientOrRepresentative(address caller, address patient);

    /// @notice `delegate` is not a delegate of `patient`.
    error DelegateNotFound(address patient, address delegate);

    /// @notice `caller` may not remove `delegate` (only the patient or the delegate itself may).
    error NotPatientOrSelf(address caller, address patient, address delegate);

    /// @notice `caller` is not an active member of a provider organization.
    error NotActiveProvider(address caller);

    /// @notice `patient` has opted out of break-glass access.
    error BreakGlassOptedOut(address patient);

    /// @notice `code` is not a break-glass reason code.
    error InvalidReasonCode(uint8 code);

    /// @notice `reasonRef` is zero or organization `orgId` already used it for an opening: every opening needs its own.
    error ReasonAlreadyUsed(uint64 orgId, bytes32 reasonRef);

    /// @notice The requested duration is zero or longer than the governance window.
    error InvalidBreakGlassDuration(uint40 duration, uint40 window);

    /// @notice The window is zero or longer than {MAX_BREAK_GLASS_WINDOW}.
    error InvalidBreakGlassWindow(uint40 window);

    /// @notice `dataClass` is not an assigned data class.
    error InvalidDataClass(uint8 dataClass);

    /// @notice `purpose` is not an assigned purpose.
    error InvalidPurpose(uint8 purpose);

    /// @notice The record reference is zero.
    error EmptyRecordRef();

    /// @notice `accessor` may not access `dataClass` of `patient` for `purpose`.
    error AccessNotPermitted(address patient, address accessor, uint8 dataClass, uint8 purpose);

    /// @notice Grants (or replaces) `patient`'s grant to `grantee`.
    /// @dev Caller: the patient or a delegate in force. Refused while paused.
    /// Reverts with {NotPatientOrDelegate}, {InvalidGrantee}, {InvalidDataClasses}, {InvalidPurposes},
    /// {InvalidValidity}, {EmptyCommitment}, `EnforcedPause`.
    function grant(
        address patient,
        bytes32 grantee,
        uint32 classes,
        uint8 purposes,
        uint40 validFrom,
        uint40 validUntil,
        bytes32 commitment
    ) external;

    /// @notice Revokes `patient`'s grant to `grantee`, effective in this block.
    /// @dev Caller: the patient or a delegate in force. Works while paused.
    /// Reverts with {NotPatientOrDelegate}, {GrantNotFound}.
    function revoke(address patient, bytes32 grantee) external;

    /// @notice Applies a grant signed by the patient (EOA or ERC-1271 account); anyone may submit it.
    /// @dev Refused while paused. Uses the pair's nonce.
    /// Reverts with {InvalidPatient}, {SignatureExpired}, {SignatureCancelled}, {InvalidNonce},
    /// {InvalidSignature} and the validation errors of {grant}.
    function grantBySig(GrantRequest calldata request, bytes calldata signature) external;

    /// @notice Applies a revocation signed by the patient; anyone may submit it. Works while paused.
    /// @dev Reverts with {InvalidPatient}, {SignatureExpired}, {SignatureCancelled}, {InvalidNonce},
    /// {InvalidSignature}, {GrantNotFound}.
    function revokeBySig(RevocationRequest calldata request, bytes calldata signature) external;

    /// @notice Cancels every signature the caller has made and not yet had submitted, by moving to
    /// the next epoch. Works while paused.
    /// @return epoch The caller's new epoch.
    function cancelSignatures() external returns (uint64 epoch);

    /// @notice Appoints `delegate` to grant for the caller, at most `classes` for `purposes` and never
    /// beyond `until`, and to revoke any grant (replacing any earlier appointment). `representative`:
    /// a full representative (a parent of a minor, a legal guardian), the only kind whose scope may
    /// hold sensitive classes and who may set the break-glass opt-out. A delegate cannot appoint
    /// delegates, nor grant to itself. Refused while paused.
    /// @dev Reverts with {InvalidDelegate}, {InvalidDelegateExpiry}, {InvalidDelegateScope}, `EnforcedPause`.
    function appointDelegate(address delegate, uint40 until, uint32 classes, uint8 purposes, bool representative) external;

    /// @notice Removes `delegate` of `patient`. Caller: the patient or the delegate itself. Works while paused.
    /// @dev Reverts with {NotPatientOrSelf}, {DelegateNotFound}.
    function removeDelegate(address patient, address delegate) external;

    /// @notice Applies an appointment signed by the patient (EOA or ERC-1271 account), as
    /// {appointDelegate} by the patient; anyone may submit it (the patient needs no gas).
    /// @dev Refused while paused. Uses the (patient, delegate) pair's nonce. Reverts with
    /// {InvalidPatient}, {SignatureExpired}, {SignatureCancelled}, {InvalidDelegationNonce},
    /// {InvalidSignature} and the validation errors of {appointDelegate}.
    function appointDelegateBySig(DelegationRequest calldata request, bytes calldata signature) external;

    /// @notice Applies a removal signed by the patient; anyone may submit it. Works while paused.
    /// @dev Reverts with {InvalidPatient}, {SignatureExpired}, {SignatureCancelled},
    /// {InvalidDelegationNonce}, {InvalidSignature}, {DelegateNotFound}.
    function removeDelegateBySig(DelegateRemovalRequest calldata request, bytes calldata signature) external;

    /// @notice Opts `patient` out of break-glass access (ending any open emergency access at once and
    /// for good: opting back in revives none of it), or back in.
    /// @dev Caller: the patient or a full representative in force. Works while paused. Reverts with
    /// {NotPatientOrRepresentative}.
    function setBreakGlassOptOut(address patient, bool optedOut) external;

    /// @notice Opens emergency access (ETREAT only, general data classes only) to `patient` for
    /// `duration` seconds. Caller: an active member of a provider organization.
    /// @dev `reasonRef` is the salted commitment of this opening's written justification and must
    /// never have been used before. Refused while paused.
    /// Reverts with {InvalidPatient}, {NotActiveProvider}, {BreakGlassOptedOut}, {InvalidReasonCode},
    /// {ReasonAlreadyUsed}, {InvalidBreakGlassDuration}, `EnforcedPause`.
    /// @return until When the access ends.
    function breakGlass(address patient, uint8 reasonCode, bytes32 reasonRef, uint40 duration) external returns (uint40 until);

    /// @notice Sets the longest break-glass opening. Configurator role.
    /// @dev Reverts with {InvalidBreakGlassWindow}, `AccessManagedUnauthorized`.
    function setBreakGlassWindow(uint40 window) external;

    /// @notice Records an access by the caller to `recordRef` of `patient`'s `dataClass` for `purpose`,
    /// after checking it is permitted. Refused while paused.
    /// @dev Reverts with {AccessNotPermitted} (carrying the values), {InvalidDataClass},
    /// {InvalidPurpose}, {EmptyRecordRef}, `EnforcedPause`.
    /// @return orgId The organization the access was permitted under (0 for a grant to the caller's account).
    function logAccess(address patient, bytes32 recordRef, uint8 dataClass, uint8 purpose) external returns (uint64 orgId);

    /// @notice Whether `accessor` may access `dataClass` of `patient` for `purpose` now: a grant to the
    /// accessor's account, a grant to the organization the accessor is an active member of, or open
    /// break-glass (ETREAT, general classes). False for unassigned classes or purposes.
    /// @dev The consent state only: it does not read the pause flag (that would cost a third cold
    /// slot on every check); the enforcement point, {logAccess}, is stopped by pause.
    function isPermitted(address patient, address accessor, uint8 dataClass, uint8 purpose) external view returns (bool);

    /// @notice The grant of `patient` to `grantee` (all zero when there is none).
    function grantOf(address patient, bytes32 grantee) external view returns (Grant memory);

    /// @notice `delegate`'s appointment by `patient` (all zero when it is not a delegate).
    function delegationOf(address patient, address delegate) external view returns (Delegation memory);

    /// @notice The emergency access `accessor` opened on `patient` (all zero when none).
    function breakGlassOf(address patient, address accessor) external view returns (BreakGlass memory);

    /// @notice Whether `patient` opted out of break-glass.
    function breakGlassOptedOut(address patient) external view returns (bool);

    /// @notice How many times `patient` opted out of break-glass: an opening made before the last
    /// opt-out (its `optOuts` below this) is ended for good.
    function optOutsOf(address patient) external view returns (uint32);

    /// @notice Whether provider organization `orgId` used `reasonRef` for a break-glass opening. References are
    /// single-use per organization, so another organization that copies a pending reference cannot burn it.
    function reasonUsed(uint64 orgId, bytes32 reasonRef) external view returns (bool);

    /// @notice The longest break-glass opening, in seconds.
    function breakGlassWindow() external view returns (uint40);

    /// @notice The nonce a signature about the (`patient`, `grantee`) pair must carry.
    function nonces(address patient, bytes32 grantee) external view returns (uint64);

    /// @notice The epoch `patient`'s signatures must carry.
    function signatureEpoch(address patient) external view returns (uint64);

    /// @notice The participant registry that answers membership at access time.
    function participantRegistry() external view returns (IParticipantRegistry);

    /// @notice The grantee key of an account.
    function accountGrantee(address account) external pure returns (bytes32);

    /// @notice The grantee key of an organization.
    function organizationGrantee(uint64 orgId) external pure returns (bytes32);
}
