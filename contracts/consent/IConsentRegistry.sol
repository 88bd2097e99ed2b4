// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IParticipantRegistry} from "../participants/IParticipantRegistry.sol";

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
    /// @param patient The patient.
    /// @param grantee The grantee key.
    /// @param by The patient, or the delegate who granted.
    /// @param classes The data classes granted, a bit mask.
    /// @param purposes The purposes of use granted, a bit mask.
    /// @param validFrom When the grant takes effect, unix seconds, inclusive.
    /// @param validUntil When it ends, unix seconds, exclusive.
    /// @param commitment The salted commitment of the consent document (never PHI).
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
    /// @param patient The patient.
    /// @param grantee The grantee key.
    /// @param by The patient, or the delegate who revoked (for a signed revocation, the patient).
    event ConsentRevoked(address indexed patient, bytes32 indexed grantee, address indexed by);

    /// @notice Emitted when a patient appoints (or re-appoints) a delegate until `until`, to grant at
    /// most `classes` for `purposes`; `representative` when the patient appointed a full representative.
    /// @param patient The patient.
    /// @param delegate The delegate's account.
    /// @param until When the delegation ends, unix seconds, exclusive.
    /// @param classes The data classes it may grant, a bit mask.
    /// @param purposes The purposes of use it may grant, a bit mask.
    /// @param representative True for a full representative.
    // solhint-disable-next-line gas-indexed-events
    event DelegateAppointed(address indexed patient, address indexed delegate, uint40 until, uint32 classes, uint8 purposes, bool representative);

    /// @notice Emitted when a delegate is removed, by the patient or by the delegate itself.
    /// @param patient The patient.
    /// @param delegate The delegate's account.
    /// @param by The patient or the delegate (for a signed removal, the patient).
    event DelegateRemoved(address indexed patient, address indexed delegate, address indexed by);

    /// @notice Emitted when a patient cancels every outstanding signature; `epoch` is the new epoch.
    /// @param patient The patient.
    /// @param epoch The patient's new epoch.
    // solhint-disable-next-line gas-indexed-events
    event SignaturesCancelled(address indexed patient, uint64 epoch);

    /// @notice Emitted when emergency access is opened: the patient sees who, under which
    /// organization, why (a reason code and the commitment of the written justification), until when.
    /// @param patient The patient.
    /// @param accessor The provider's member account that opened it.
    /// @param orgId The accessor's provider organization's participant-registry id.
    /// @param reasonCode The break-glass reason code.
    /// @param reasonRef The salted commitment of the written justification (never PHI).
    /// @param until When the access ends, unix seconds, exclusive.
    event BreakGlassOpened(
        address indexed patient,
        address indexed accessor,
        uint64 indexed orgId,
        uint8 reasonCode,
        bytes32 reasonRef,
        uint40 until
    );

    /// @notice Emitted when a patient (or a delegate) opts out of break-glass, or back in.
    /// @param patient The patient.
    /// @param optedOut True when opted out, false when opted back in.
    /// @param by The patient or its full representative.
    // solhint-disable-next-line gas-indexed-events
    event BreakGlassOptOutSet(address indexed patient, bool optedOut, address indexed by);

    /// @notice Emitted when governance sets the longest break-glass window.
    /// @param window The longest break-glass opening, in seconds.
    // solhint-disable-next-line gas-indexed-events
    event BreakGlassWindowSet(uint40 window);

    /// @notice Emitted for every permitted access: who, under which organization (0 when under a
    /// grant to the accessor's own account), which data class, which record (a pseudonymous
    /// reference, never PHI), for which purpose, when.
    /// @param patient The patient.
    /// @param accessor The account that accessed.
    /// @param orgId The organization it was permitted under (0 under a grant to the accessor's account).
    /// @param dataClass The data class, a bit position.
    /// @param purpose The purpose of use, a bit position.
    /// @param recordRef The access reference (pseudonymous, never PHI).
    /// @param at When, unix seconds.
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
    /// @param patient The patient given.
    error InvalidPatient(address patient);

    /// @notice `grantee` is not a grantee key: neither a non-zero account other than the patient nor
    /// an organization key with a non-zero id.
    /// @param grantee The grantee key given.
    error InvalidGrantee(bytes32 grantee);

    /// @notice `classes` is empty or names an unassigned data class.
    /// @param classes The class mask given.
    error InvalidDataClasses(uint32 classes);

    /// @notice `purposes` is empty or names an unassigned purpose.
    /// @param purposes The purpose mask given.
    error InvalidPurposes(uint8 purposes);

    /// @notice The validity window is empty or already over.
    /// @param validFrom The start given, unix seconds.
    /// @param validUntil The end given, unix seconds.
    /// @param nowTime The block's timestamp.
    error InvalidValidity(uint40 validFrom, uint40 validUntil, uint256 nowTime);

    /// @notice A grant must carry the commitment of its consent document.
    error EmptyCommitment();

    /// @notice `caller` is neither `patient` nor a delegate of `patient` in force.
    /// @param caller The caller.
    /// @param patient The patient.
    error NotPatientOrDelegate(address caller, address patient);

    /// @notice `patient` has no grant to `grantee` to revoke.
    /// @param patient The patient.
    /// @param grantee The grantee key.
    error GrantNotFound(address patient, bytes32 grantee);

    /// @notice The signature's deadline has passed.
    /// @param deadline The signed deadline, unix seconds.
    /// @param nowTime The block's timestamp.
    error SignatureExpired(uint256 deadline, uint256 nowTime);

    /// @notice The signed nonce is not the current nonce of the (patient, grantee) pair: the
    /// signature was used, or the pair changed since it was made.
    /// @param patient The patient.
    /// @param grantee The grantee key.
    /// @param nonce The signed nonce.
    /// @param currentNonce The pair's current nonce.
    error InvalidNonce(address patient, bytes32 grantee, uint64 nonce, uint64 currentNonce);

    /// @notice The signed nonce is not the current nonce of the (patient, delegate) pair: the
    /// signature was used, or the delegation changed since it was made.
    /// @param patient The patient.
    /// @param delegate The delegate's account.
    /// @param nonce The signed nonce.
    /// @param currentNonce The pair's current nonce.
    error InvalidDelegationNonce(address patient, address delegate, uint64 nonce, uint64 currentNonce);

    /// @notice The signature was made in an earlier epoch: the patient cancelled it.
    /// @param patient The patient.
    /// @param epoch The signed epoch.
    /// @param currentEpoch The patient's current epoch.
    error SignatureCancelled(address patient, uint64 epoch, uint64 currentEpoch);

    /// @notice The signature is not `patient`'s (wrong signer, malformed, malleable, or refused by
    /// the patient's ERC-1271 account).
    /// @param patient The patient named in the request.
    error InvalidSignature(address patient);

    /// @notice `delegate` cannot be appointed (the zero address or the patient itself).
    /// @param delegate The delegate given.
    error InvalidDelegate(address delegate);

    /// @notice A delegate's term must end in the future.
    /// @param until The end given, unix seconds.
    /// @param nowTime The block's timestamp.
    error InvalidDelegateExpiry(uint40 until, uint256 nowTime);

    /// @notice A delegation's scope must name assigned classes and purposes, and sensitive classes
    /// only for a full representative.
    /// @param classes The class mask given.
    /// @param purposes The purpose mask given.
    /// @param representative The representative flag given.
    error InvalidDelegateScope(uint32 classes, uint8 purposes, bool representative);

    /// @notice `delegate` granted `classes` / `purposes` beyond the scope the patient gave it.
    /// @param delegate The delegate.
    /// @param classes The class mask it granted.
    /// @param purposes The purpose mask it granted.
    /// @param scopeClasses The class mask of its scope.
    /// @param scopePurposes The purpose mask of its scope.
    error DelegateScopeExceeded(address delegate, uint32 classes, uint8 purposes, uint32 scopeClasses, uint8 scopePurposes);

    /// @notice `delegate` granted until `validUntil`, beyond the end of its delegation.
    /// @param delegate The delegate.
    /// @param validUntil The grant's end, unix seconds.
    /// @param delegationUntil The delegation's end, unix seconds.
    error DelegateGrantOutlivesDelegation(address delegate, uint40 validUntil, uint40 delegationUntil);

    /// @notice A delegate never grants to its own account.
    /// @param delegate The delegate.
    error DelegateGrantsToItself(address delegate);

    /// @notice Only the patient or a full representative may do this (the break-glass opt-out).
    /// @param caller The caller.
    /// @param patient The patient.
    error NotPatientOrRepresentative(address caller, address patient);

    /// @notice `delegate` is not a delegate of `patient`.
    /// @param patient The patient.
    /// @param delegate The account given.
    error DelegateNotFound(address patient, address delegate);

    /// @notice `caller` may not remove `delegate` (only the patient or the delegate itself may).
    /// @param caller The caller.
    /// @param patient The patient.
    /// @param delegate The delegate.
    error NotPatientOrSelf(address caller, address patient, address delegate);

    /// @notice `caller` is not an active member of a provider organization.
    /// @param caller The caller.
    error NotActiveProvider(address caller);

    /// @notice `patient` has opted out of break-glass access.
    /// @param patient The patient.
    error BreakGlassOptedOut(address patient);

    /// @notice `code` is not a break-glass reason code.
    /// @param code The reason code given.
    error InvalidReasonCode(uint8 code);

    /// @notice `reasonRef` is zero or organization `orgId` already used it for an opening: every opening needs its own.
    /// @param orgId The caller's organization's participant-registry id.
    /// @param reasonRef The justification's commitment given.
    error ReasonAlreadyUsed(uint64 orgId, bytes32 reasonRef);

    /// @notice The requested duration is zero or longer than the governance window.
    /// @param duration The duration given, in seconds.
    /// @param window The current window, in seconds.
    error InvalidBreakGlassDuration(uint40 duration, uint40 window);

    /// @notice The window is zero or longer than {MAX_BREAK_GLASS_WINDOW}.
    /// @param window The window given, in seconds.
    error InvalidBreakGlassWindow(uint40 window);

    /// @notice `dataClass` is not an assigned data class.
    /// @param dataClass The data class given.
    error InvalidDataClass(uint8 dataClass);

    /// @notice `purpose` is not an assigned purpose.
    /// @param purpose The purpose given.
    error InvalidPurpose(uint8 purpose);

    /// @notice The record reference is zero.
    error EmptyRecordRef();

    /// @notice `accessor` may not access `dataClass` of `patient` for `purpose`.
    /// @param patient The patient.
    /// @param accessor The caller.
    /// @param dataClass The data class, a bit position.
    /// @param purpose The purpose of use, a bit position.
    error AccessNotPermitted(address patient, address accessor, uint8 dataClass, uint8 purpose);

    /// @notice Grants (or replaces) `patient`'s grant to `grantee`.
    /// @dev Caller: the patient or a delegate in force. Refused while paused.
    /// Reverts with {NotPatientOrDelegate}, {InvalidGrantee}, {InvalidDataClasses}, {InvalidPurposes},
    /// {InvalidValidity}, {EmptyCommitment}, `EnforcedPause`.
    /// @param patient The patient's account, whose data the grant covers.
    /// @param grantee The grantee key: {accountGrantee} of one account (not the patient), or {organizationGrantee}
    /// of an organization id (any of its active members).
    /// @param classes The data classes granted, a bit mask (bit i = data class i of `ConsentVocabulary`: general
    /// classes in bits 0-12, sensitive classes in bits 16-20, granted only when named); non-empty, assigned bits
    /// only.
    /// @param purposes The purposes of use granted, a bit mask (bit i = HL7 PurposeOfUse i: TREAT 0, ETREAT 1,
    /// HPAYMT 2, HOPERAT 3, HRESCH 4, PUBHLTH 5); non-empty, assigned bits only.
    /// @param validFrom When the grant takes effect, unix seconds, inclusive (may lie in the past).
    /// @param validUntil When the grant ends, unix seconds, exclusive: after `validFrom` and in the future (for a
    /// delegate, no later than its own term).
    /// @param commitment The salted commitment of the consent document (e.g. a FHIR Consent), never the document or
    /// PHI; not zero. It is emitted in {ConsentGranted}, not stored.
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
    /// @param patient The patient whose grant is revoked.
    /// @param grantee The grantee key of the grant ({accountGrantee} or {organizationGrantee}).
    function revoke(address patient, bytes32 grantee) external;

    /// @notice Applies a grant signed by the patient (EOA or ERC-1271 account); anyone may submit it.
    /// @dev Refused while paused. Uses the pair's nonce.
    /// Reverts with {InvalidPatient}, {SignatureExpired}, {SignatureCancelled}, {InvalidNonce},
    /// {InvalidSignature} and the validation errors of {grant}.
    /// @param request The signed grant ({GrantRequest}): the arguments of {grant}, the (patient, grantee) pair's
    /// current nonce ({nonces}), the patient's signature epoch ({signatureEpoch}), and a deadline (unix seconds,
    /// inclusive).
    /// @param signature The patient's EIP-712 signature of `request`: ECDSA for an externally owned account, or
    /// what the patient's ERC-1271 account accepts.
    function grantBySig(GrantRequest calldata request, bytes calldata signature) external;

    /// @notice Applies a revocation signed by the patient; anyone may submit it. Works while paused.
    /// @dev Reverts with {InvalidPatient}, {SignatureExpired}, {SignatureCancelled}, {InvalidNonce},
    /// {InvalidSignature}, {GrantNotFound}.
    /// @param request The signed revocation ({RevocationRequest}): the patient, the grantee key, the pair's current
    /// nonce ({nonces}), the patient's signature epoch and a deadline (unix seconds, inclusive).
    /// @param signature The patient's EIP-712 signature of `request`: ECDSA for an externally owned account, or
    /// what the patient's ERC-1271 account accepts.
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
    /// @param delegate The account appointed: not zero, not the caller.
    /// @param until When the delegation ends, unix seconds, exclusive (in the future); the delegate's grants may
    /// not last beyond it.
    /// @param classes The data classes the delegate may grant, a bit mask as in {grant}; sensitive classes (bits
    /// 16-20) only for a representative.
    /// @param purposes The purposes of use the delegate may grant, a bit mask as in {grant}.
    /// @param representative True for a full representative (a parent of a minor, a legal guardian).
    function appointDelegate(address delegate, uint40 until, uint32 classes, uint8 purposes, bool representative) external;

    /// @notice Removes `delegate` of `patient`. Caller: the patient or the delegate itself. Works while paused.
    /// @dev Reverts with {NotPatientOrSelf}, {DelegateNotFound}.
    /// @param patient The patient who appointed the delegate.
    /// @param delegate The delegate removed.
    function removeDelegate(address patient, address delegate) external;

    /// @notice Applies an appointment signed by the patient (EOA or ERC-1271 account), as
    /// {appointDelegate} by the patient; anyone may submit it (the patient needs no gas).
    /// @dev Refused while paused. Uses the (patient, delegate) pair's nonce. Reverts with
    /// {InvalidPatient}, {SignatureExpired}, {SignatureCancelled}, {InvalidDelegationNonce},
    /// {InvalidSignature} and the validation errors of {appointDelegate}.
    /// @param request The signed appointment ({DelegationRequest}): the patient, the arguments of
    /// {appointDelegate}, the (patient, delegate) pair's current nonce (`delegationOf(patient, delegate).nonce`),
    /// the patient's signature epoch and a deadline (unix seconds, inclusive).
    /// @param signature The patient's EIP-712 signature of `request`: ECDSA for an externally owned account, or
    /// what the patient's ERC-1271 account accepts.
    function appointDelegateBySig(DelegationRequest calldata request, bytes calldata signature) external;

    /// @notice Applies a removal signed by the patient; anyone may submit it. Works while paused.
    /// @dev Reverts with {InvalidPatient}, {SignatureExpired}, {SignatureCancelled},
    /// {InvalidDelegationNonce}, {InvalidSignature}, {DelegateNotFound}.
    /// @param request The signed removal ({DelegateRemovalRequest}): the patient, the delegate, the pair's current
    /// nonce, the patient's signature epoch and a deadline (unix seconds, inclusive).
    /// @param signature The patient's EIP-712 signature of `request`: ECDSA for an externally owned account, or
    /// what the patient's ERC-1271 account accepts.
    function removeDelegateBySig(DelegateRemovalRequest calldata request, bytes calldata signature) external;

    /// @notice Opts `patient` out of break-glass access (ending any open emergency access at once and
    /// for good: opting back in revives none of it), or back in.
    /// @dev Caller: the patient or a full representative in force. Works while paused. Reverts with
    /// {NotPatientOrRepresentative}.
    /// @param patient The patient.
    /// @param optedOut True to opt out, false to opt back in.
    function setBreakGlassOptOut(address patient, bool optedOut) external;

    /// @notice Opens emergency access (ETREAT only, general data classes only) to `patient` for
    /// `duration` seconds. Caller: an active member of a provider organization.
    /// @dev `reasonRef` is the salted commitment of this opening's written justification and must
    /// never have been used before. Refused while paused.
    /// Reverts with {InvalidPatient}, {NotActiveProvider}, {BreakGlassOptedOut}, {InvalidReasonCode},
    /// {ReasonAlreadyUsed}, {InvalidBreakGlassDuration}, `EnforcedPause`.
    /// @param patient The patient (not zero) whose general data classes the caller may then access for ETREAT.
    /// @param reasonCode The break-glass reason code (`ConsentVocabulary`: 1 patient incapacitated, 2
    /// life-threatening, 3 time-critical care, 4 mass casualty).
    /// @param reasonRef The salted commitment of this opening's written justification (never the text, never PHI):
    /// not zero, and never used before by the caller's organization ({reasonUsed}).
    /// @param duration How long the access lasts, in seconds: 1 to {breakGlassWindow}.
    /// @return until When the access ends.
    function breakGlass(address patient, uint8 reasonCode, bytes32 reasonRef, uint40 duration) external returns (uint40 until);

    /// @notice Sets the longest break-glass opening. Configurator role.
    /// @dev Reverts with {InvalidBreakGlassWindow}, `AccessManagedUnauthorized`.
    /// @param window The longest break-glass opening, in seconds: 1 to `MAX_BREAK_GLASS_WINDOW` (24 hours).
    function setBreakGlassWindow(uint40 window) external;

    /// @notice Records an access by the caller to `recordRef` of `patient`'s `dataClass` for `purpose`,
    /// after checking it is permitted. Refused while paused.
    /// @dev Reverts with {AccessNotPermitted} (carrying the values), {InvalidDataClass},
    /// {InvalidPurpose}, {EmptyRecordRef}, `EnforcedPause`.
    /// @param patient The patient whose data the caller accesses.
    /// @param recordRef A pseudonymous access reference to the record (the SDK derives a fresh one per access from
    /// the record's salt and a random nonce): never PHI, never the record's commitment or id; not zero.
    /// @param dataClass The data class accessed, a bit position (0-12 general, 16-20 sensitive), not a mask.
    /// @param purpose The purpose of use, a bit position (TREAT 0 to PUBHLTH 5), not a mask.
    /// @return orgId The organization the access was permitted under (0 for a grant to the caller's account).
    function logAccess(address patient, bytes32 recordRef, uint8 dataClass, uint8 purpose) external returns (uint64 orgId);

    /// @notice Whether `accessor` may access `dataClass` of `patient` for `purpose` now: a grant to the
    /// accessor's account, a grant to the organization the accessor is an active member of, or open
    /// break-glass (ETREAT, general classes). False for unassigned classes or purposes.
    /// @dev The consent state only: it does not read the pause flag (that would cost a third cold
    /// slot on every check); the enforcement point, {logAccess}, is stopped by pause.
    /// @param patient The patient whose data would be accessed.
    /// @param accessor The account that would access it.
    /// @param dataClass The data class, a bit position (0-12 general, 16-20 sensitive), not a mask.
    /// @param purpose The purpose of use, a bit position (TREAT 0 to PUBHLTH 5), not a mask.
    /// @return True when the access is permitted at this block's timestamp.
    function isPermitted(address patient, address accessor, uint8 dataClass, uint8 purpose) external view returns (bool);

    /// @notice The grant of `patient` to `grantee` (zero masks and times when there is none, or it was
    /// revoked; the nonce is kept).
    /// @param patient The patient.
    /// @param grantee The grantee key ({accountGrantee} or {organizationGrantee}).
    /// @return The {Grant}: the class and purpose bit masks, `validFrom` (inclusive) and `validUntil` (exclusive)
    /// in unix seconds, and the pair's nonce (kept after a revocation).
    function grantOf(address patient, bytes32 grantee) external view returns (Grant memory);

    /// @notice `delegate`'s appointment by `patient` (zero end, scope and flag when it is not a delegate,
    /// or was removed; the nonce is kept).
    /// @param patient The patient.
    /// @param delegate The delegate's account.
    /// @return The {Delegation}: its end (`until`, unix seconds, exclusive), its scope (class and purpose bit
    /// masks), the representative flag, and the pair's nonce (kept after a removal).
    function delegationOf(address patient, address delegate) external view returns (Delegation memory);

    /// @notice The emergency access `accessor` opened on `patient` (all zero when none).
    /// @param patient The patient.
    /// @param accessor The provider's member account that opened it.
    /// @return The {BreakGlass}: the organization it was opened under, its end (`until`, unix seconds, exclusive),
    /// and the patient's opt-out count when it was opened.
    function breakGlassOf(address patient, address accessor) external view returns (BreakGlass memory);

    /// @notice Whether `patient` opted out of break-glass.
    /// @param patient The patient.
    /// @return True while `patient` is opted out of break-glass.
    function breakGlassOptedOut(address patient) external view returns (bool);

    /// @notice How many times `patient` opted out of break-glass: an opening made before the last
    /// opt-out (its `optOuts` below this) is ended for good.
    /// @param patient The patient.
    /// @return The number of times `patient` opted out.
    function optOutsOf(address patient) external view returns (uint32);

    /// @notice Whether provider organization `orgId` used `reasonRef` for a break-glass opening. References are
    /// single-use per organization, so another organization that copies a pending reference cannot burn it.
    /// @param orgId The provider organization's participant-registry id.
    /// @param reasonRef The salted commitment of a break-glass justification.
    /// @return True when the organization already opened break-glass with `reasonRef`.
    function reasonUsed(uint64 orgId, bytes32 reasonRef) external view returns (bool);

    /// @notice The longest break-glass opening, in seconds.
    /// @return The longest break-glass opening, in seconds (4 hours at deployment, at most
    /// `MAX_BREAK_GLASS_WINDOW`).
    function breakGlassWindow() external view returns (uint40);

    /// @notice The nonce a signature about the (`patient`, `grantee`) pair must carry.
    /// @param patient The patient.
    /// @param grantee The grantee key ({accountGrantee} or {organizationGrantee}).
    /// @return The pair's current nonce: how many grants and revocations the pair has had.
    function nonces(address patient, bytes32 grantee) external view returns (uint64);

    /// @notice The epoch `patient`'s signatures must carry.
    /// @param patient The patient.
    /// @return The patient's current epoch: how many times it called {cancelSignatures}.
    function signatureEpoch(address patient) external view returns (uint64);

    /// @notice The participant registry that answers membership at access time.
    /// @return The participant registry (fixed at deployment).
    function participantRegistry() external view returns (IParticipantRegistry);

    /// @notice The grantee key of an account.
    /// @param account The grantee's account.
    /// @return The key: the address left-padded with zeros (its top 12 bytes zero).
    function accountGrantee(address account) external pure returns (bytes32);

    /// @notice The grantee key of an organization.
    /// @param orgId The organization's participant-registry id.
    /// @return The key: `1 << 248 | orgId` (top byte 0x01), never equal to an account's key.
    function organizationGrantee(uint64 orgId) external pure returns (bytes32);
}
