// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {IConsentRegistry} from "./IConsentRegistry.sol";
import {IParticipantRegistry} from "../participants/IParticipantRegistry.sol";
import {ManagedPausable} from "../governance/ManagedPausable.sol";
import {ConsentVocabulary as V} from "./ConsentVocabulary.sol";

/// @title ConsentRegistry
/// @notice Patient-controlled consent with signed grants, delegates, break-glass and an access log.
/// @dev Design notes (gas and security):
/// - One (patient, grantee) pair is one slot ({Grant}); the consent document's commitment lives in
///   the {ConsentGranted} event only. A first grant costs one new slot and one event.
/// - A grantee is one `bytes32` key: an account is its address (top 12 bytes zero), an organization
///   is `ORGANIZATION_TAG | orgId` (top byte 0x01), so the two can never collide.
/// - Membership is asked of the participant registry at access time, so a suspended organization's
///   members lose access in the block the suspension lands. A grant to an organization id that is
///   not registered yet is inert (no member can act under it); the SDK refuses to send one.
/// - Signatures: EIP-712 (ERC-5267 `eip712Domain`), types `Grant` and `Revocation` with distinct
///   typehashes, so a grant signature can never be used as a revocation. The signer is always the
///   patient named in the request (EOA via ECDSA, which refuses malleable and malformed signatures,
///   else the patient's ERC-1271 account): a wallet that approves everything can only sign for itself.
///   Replay protection lives in the grant's own slot: each (patient, grantee) pair has a nonce that
///   every change to the pair (signed or not) increments, and a signed request must carry it. So a
///   signature is used once, dies with any later decision about the same pair, and signatures about
///   different grantees can be relayed in any order. Cancelling every outstanding signature at once
///   is a per-patient epoch that each signature carries ({cancelSignatures} increments it).
///   Why not OZ `Nonces`: its separate per-signer slot costs 22,100 gas on a patient's first signed
///   grant, which measured 83,655 gas against the 80,000 budget; the pair nonce costs nothing extra
///   (the slot is written anyway) and the epoch is one cold read.
/// - Only the patient, or a delegate the patient appointed (with an expiry and a scope), can grant or
///   revoke; no role of the AccessManager can. A delegate grants within its scope and term, never to
///   itself; sensitive classes and the break-glass opt-out are the patient's or a full
///   representative's alone. Delegates cannot appoint delegates.
/// - Pause stops grants, signed grants, delegate appointments, break-glass openings and access
///   logging ({logAccess}; {isPermitted}, a view, does not read the pause flag: docs/consent.md).
///   Revocations, delegate removal, cancelling signatures and opting out of break-glass always work.
contract ConsentRegistry is IConsentRegistry, ManagedPausable, EIP712 {
    /// @notice Per-patient settings.
    /// @dev One slot: epoch (8 bytes) + breakGlassOptOut (1) + optOuts (4), the count of opt-outs
    /// that ends every earlier break-glass opening.
    struct PatientSettings {
        uint64 epoch;
        bool breakGlassOptOut;
        uint32 optOuts;
    }

    /// @notice The version of this contract's interface and storage semantics; the EIP-712 domain version.
    string public constant VERSION = "2.0.0";

    /// @notice The EIP-712 type of a signed grant.
    // solhint-disable gas-small-strings
    bytes32 public constant GRANT_TYPEHASH = keccak256(
        "Grant(address patient,bytes32 grantee,uint32 classes,uint8 purposes,uint40 validFrom,uint40 validUntil,bytes32 commitment,uint64 nonce,uint64 epoch,uint256 deadline)"
    );

    /// @notice The EIP-712 type of a signed revocation.
    bytes32 public constant REVOCATION_TYPEHASH =
        keccak256("Revocation(address patient,bytes32 grantee,uint64 nonce,uint64 epoch,uint256 deadline)");

    /// @notice The EIP-712 type of a signed appointment of a delegate.
    bytes32 public constant DELEGATION_TYPEHASH = keccak256(
        "Delegation(address patient,address delegate,uint40 until,uint32 classes,uint8 purposes,bool representative,uint64 nonce,uint64 epoch,uint256 deadline)"
    );

    /// @notice The EIP-712 type of a signed removal of a delegate.
    bytes32 public constant DELEGATE_REMOVAL_TYPEHASH =
        keccak256("DelegateRemoval(address patient,address delegate,uint64 nonce,uint64 epoch,uint256 deadline)");
    // solhint-enable gas-small-strings

    /// @notice The break-glass window at deployment, in seconds.
    uint40 public constant DEFAULT_BREAK_GLASS_WINDOW = 4 hours;

    /// @notice The longest break-glass window governance may set, in seconds.
    uint40 public constant MAX_BREAK_GLASS_WINDOW = 24 hours;

    IParticipantRegistry private immutable _REGISTRY;

    mapping(address patient => mapping(bytes32 grantee => Grant)) private _grants;
    mapping(address patient => mapping(address delegate => Delegation)) private _delegates;
    mapping(address patient => mapping(address accessor => BreakGlass)) private _breakGlass;
    mapping(address patient => PatientSettings) private _patients;
    /// @dev Keyed by the opening provider organization: one organization cannot burn another's reference.
    mapping(uint64 orgId => mapping(bytes32 reasonRef => bool used)) private _usedReasons;
    uint40 private _breakGlassWindow;

    /// @dev Reverts unless `msg.sender` is `patient` or a delegate of `patient` in force.
    modifier onlyPatientOrDelegate(address patient) {
        _checkPatientOrDelegate(patient);
        _;
    }

    /// @param authority The suite's AccessManager.
    /// @param registry The participant registry.
    constructor(address authority, IParticipantRegistry registry)
        ManagedPausable(authority)
        EIP712("CareLedger ConsentRegistry", VERSION)
    {
        _REGISTRY = registry;
        _breakGlassWindow = DEFAULT_BREAK_GLASS_WINDOW;
        emit BreakGlassWindowSet(DEFAULT_BREAK_GLASS_WINDOW);
    }

    /// @inheritdoc IConsentRegistry
    function grant(
        address patient,
        bytes32 grantee,
        uint32 classes,
        uint8 purposes,
        uint40 validFrom,
        uint40 validUntil,
        bytes32 commitment
    ) external whenNotPaused onlyPatientOrDelegate(patient) {
        _grant(patient, grantee, classes, purposes, validFrom, validUntil, commitment, msg.sender);
    }

    /// @inheritdoc IConsentRegistry
    function revoke(address patient, bytes32 grantee) external onlyPatientOrDelegate(patient) {
        _revoke(patient, grantee, msg.sender);
    }

    /// @inheritdoc IConsentRegistry
    function grantBySig(GrantRequest calldata request, bytes calldata signature) external whenNotPaused {
        bytes32 structHash = keccak256(
            abi.encode(
                GRANT_TYPEHASH,
                request.patient,
                request.grantee,
                request.classes,
                request.purposes,
                request.validFrom,
                request.validUntil,
                request.commitment,
                request.nonce,
                request.epoch,
                request.deadline
            )
        );
        _checkSignature(request.patient, request.grantee, structHash, request.nonce, request.epoch, request.deadline, signature);
        _grant(
            request.patient,
            request.grantee,
            request.classes,
            request.purposes,
            request.validFrom,
            request.validUntil,
            request.commitment,
            request.patient
        );
    }

    /// @inheritdoc IConsentRegistry
    function revokeBySig(RevocationRequest calldata request, bytes calldata signature) external {
        bytes32 structHash = keccak256(
            abi.encode(
                REVOCATION_TYPEHASH, request.patient, request.grantee, request.nonce, request.epoch, request.deadline
            )
        );
        _checkSignature(request.patient, request.grantee, structHash, request.nonce, request.epoch, request.deadline, signature);
        _revoke(request.patient, request.grantee, request.patient);
    }

    /// @inheritdoc IConsentRegistry
    function cancelSignatures() external returns (uint64 epoch) {
        epoch = ++_patients[msg.sender].epoch;
        emit SignaturesCancelled(msg.sender, epoch);
    }

    /// @inheritdoc IConsentRegistry
    function appointDelegate(address delegate, uint40 until, uint32 classes, uint8 purposes, bool representative) external whenNotPaused {
        _appoint(msg.sender, delegate, until, classes, purposes, representative);
    }

    /// @inheritdoc IConsentRegistry
    function appointDelegateBySig(DelegationRequest calldata request, bytes calldata signature) external whenNotPaused {
        bytes32 structHash = keccak256(
            abi.encode(
                DELEGATION_TYPEHASH,
                request.patient,
                request.delegate,
                request.until,
                request.classes,
                request.purposes,
                request.representative,
                request.nonce,
                request.epoch,
                request.deadline
            )
        );
        _checkFresh(request.patient, request.epoch, request.deadline);
        _checkDelegationNonce(request.patient, request.delegate, request.nonce);
        _checkSigner(request.patient, structHash, signature);
        _appoint(request.patient, request.delegate, request.until, request.classes, request.purposes, request.representative);
    }

    /// @inheritdoc IConsentRegistry
    function removeDelegate(address patient, address delegate) external {
        if (msg.sender != patient && msg.sender != delegate) revert NotPatientOrSelf(msg.sender, patient, delegate);
        _remove(patient, delegate, msg.sender);
    }

    /// @inheritdoc IConsentRegistry
    function removeDelegateBySig(DelegateRemovalRequest calldata request, bytes calldata signature) external {
        bytes32 structHash = keccak256(
            abi.encode(DELEGATE_REMOVAL_TYPEHASH, request.patient, request.delegate, request.nonce, request.epoch, request.deadline)
        );
        _checkFresh(request.patient, request.epoch, request.deadline);
        _checkDelegationNonce(request.patient, request.delegate, request.nonce);
        _checkSigner(request.patient, structHash, signature);
        _remove(request.patient, request.delegate, request.patient);
    }

    /// @inheritdoc IConsentRegistry
    function setBreakGlassOptOut(address patient, bool optedOut) external {
        if (msg.sender != patient) {
            Delegation memory d = _delegates[patient][msg.sender];
            if (!(d.representative && d.until > block.timestamp)) revert NotPatientOrRepresentative(msg.sender, patient);
        }
        PatientSettings storage settings = _patients[patient];
        settings.breakGlassOptOut = optedOut;
        if (optedOut) ++settings.optOuts;
        emit BreakGlassOptOutSet(patient, optedOut, msg.sender);
    }

    /// @inheritdoc IConsentRegistry
    function breakGlass(address patient, uint8 reasonCode, bytes32 reasonRef, uint40 duration)
        external
        whenNotPaused
        returns (uint40 until)
    {
        if (patient == address(0)) revert InvalidPatient(patient);
        (bool active, uint64 orgId, IParticipantRegistry.OrgKind kind) = _REGISTRY.isActiveMember(msg.sender);
        if (!active || kind != IParticipantRegistry.OrgKind.Provider) revert NotActiveProvider(msg.sender);
        PatientSettings memory settings = _patients[patient];
        if (settings.breakGlassOptOut) revert BreakGlassOptedOut(patient);
        if (!V.isReasonCode(reasonCode)) revert InvalidReasonCode(reasonCode);
        if (reasonRef == bytes32(0) || _usedReasons[orgId][reasonRef]) revert ReasonAlreadyUsed(orgId, reasonRef);
        uint40 window = _breakGlassWindow;
        if (duration == 0 || duration > window) revert InvalidBreakGlassDuration(duration, window);
        _usedReasons[orgId][reasonRef] = true;
        until = uint40(block.timestamp) + duration;
        _breakGlass[patient][msg.sender] = BreakGlass({orgId: orgId, until: until, optOuts: settings.optOuts});
        emit BreakGlassOpened(patient, msg.sender, orgId, reasonCode, reasonRef, until);
    }

    /// @inheritdoc IConsentRegistry
    function setBreakGlassWindow(uint40 window) external restricted {
        if (window == 0 || window > MAX_BREAK_GLASS_WINDOW) revert InvalidBreakGlassWindow(window);
        _breakGlassWindow = window;
        emit BreakGlassWindowSet(window);
    }

    /// @inheritdoc IConsentRegistry
    function logAccess(address patient, bytes32 recordRef, uint8 dataClass, uint8 purpose)
        external
        whenNotPaused
        returns (uint64 orgId)
    {
        if (recordRef == bytes32(0)) revert EmptyRecordRef();
        if (!V.isDataClass(dataClass)) revert InvalidDataClass(dataClass);
        if (!V.isPurpose(purpose)) revert InvalidPurpose(purpose);
        bool permitted;
        (permitted, orgId) = _decide(patient, msg.sender, dataClass, purpose);
        if (!permitted) revert AccessNotPermitted(patient, msg.sender, dataClass, purpose);
        emit AccessLogged(patient, msg.sender, orgId, dataClass, purpose, recordRef, uint40(block.timestamp));
    }

    /// @inheritdoc IConsentRegistry
    function isPermitted(address patient, address accessor, uint8 dataClass, uint8 purpose)
        external
        view
        returns (bool permitted)
    {
        (permitted, ) = _decide(patient, accessor, dataClass, purpose);
    }

    /// @inheritdoc IConsentRegistry
    function grantOf(address patient, bytes32 grantee) external view returns (Grant memory) {
        return _grants[patient][grantee];
    }

    /// @inheritdoc IConsentRegistry
    function delegationOf(address patient, address delegate) external view returns (Delegation memory) {
        return _delegates[patient][delegate];
    }

    /// @inheritdoc IConsentRegistry
    function breakGlassOf(address patient, address accessor) external view returns (BreakGlass memory) {
        return _breakGlass[patient][accessor];
    }

    /// @inheritdoc IConsentRegistry
    function breakGlassOptedOut(address patient) external view returns (bool) {
        return _patients[patient].breakGlassOptOut;
    }

    /// @inheritdoc IConsentRegistry
    function optOutsOf(address patient) external view returns (uint32) {
        return _patients[patient].optOuts;
    }

    /// @inheritdoc IConsentRegistry
    function reasonUsed(uint64 orgId, bytes32 reasonRef) external view returns (bool) {
        return _usedReasons[orgId][reasonRef];
    }

    /// @inheritdoc IConsentRegistry
    function breakGlassWindow() external view returns (uint40) {
        return _breakGlassWindow;
    }

    /// @inheritdoc IConsentRegistry
    function nonces(address patient, bytes32 grantee) external view returns (uint64) {
        return _grants[patient][grantee].nonce;
    }

    /// @inheritdoc IConsentRegistry
    function signatureEpoch(address patient) external view returns (uint64) {
        return _patients[patient].epoch;
    }

    /// @inheritdoc IConsentRegistry
    function participantRegistry() external view returns (IParticipantRegistry) {
        return _REGISTRY;
    }

    /// @inheritdoc IConsentRegistry
    function accountGrantee(address account) external pure returns (bytes32) {
        return V.accountKey(account);
    }

    /// @inheritdoc IConsentRegistry
    function organizationGrantee(uint64 orgId) external pure returns (bytes32) {
        return V.organizationKey(orgId);
    }

    function _grant(
        address patient,
        bytes32 grantee,
        uint32 classes,
        uint8 purposes,
        uint40 validFrom,
        uint40 validUntil,
        bytes32 commitment,
        address by
    ) private {
        _checkGrantee(patient, grantee);
        if (!V.isClassMask(classes)) revert InvalidDataClasses(classes);
        if (!V.isPurposeMask(purposes)) revert InvalidPurposes(purposes);
        if (!(validUntil > validFrom && validUntil > block.timestamp)) {
            revert InvalidValidity(validFrom, validUntil, block.timestamp);
        }
        if (by != patient) _checkDelegateGrant(patient, grantee, classes, purposes, validUntil, by);
        if (commitment == bytes32(0)) revert EmptyCommitment();
        Grant storage g = _grants[patient][grantee];
        _grants[patient][grantee] = Grant({
            classes: classes,
            purposes: purposes,
            validFrom: validFrom,
            validUntil: validUntil,
            nonce: g.nonce + 1
        });
        emit ConsentGranted(patient, grantee, by, classes, purposes, validFrom, validUntil, commitment);
    }

    function _revoke(address patient, bytes32 grantee, address by) private {
        Grant storage g = _grants[patient][grantee];
        if (g.validUntil == 0) revert GrantNotFound(patient, grantee);
        _grants[patient][grantee] = Grant({classes: 0, purposes: 0, validFrom: 0, validUntil: 0, nonce: g.nonce + 1});
        emit ConsentRevoked(patient, grantee, by);
    }

    /// @dev Appoints `delegate` for `patient` (see {IConsentRegistry-appointDelegate}); the pair's nonce moves on.
    function _appoint(address patient, address delegate, uint40 until, uint32 classes, uint8 purposes, bool representative) private {
        if (delegate == address(0) || delegate == patient) revert InvalidDelegate(delegate);
        if (!(until > block.timestamp)) revert InvalidDelegateExpiry(until, block.timestamp);
        if (!V.isClassMask(classes) || !V.isPurposeMask(purposes) || (!representative && classes & V.SENSITIVE_CLASSES != 0)) {
            revert InvalidDelegateScope(classes, purposes, representative);
        }
        Delegation storage d = _delegates[patient][delegate];
        _delegates[patient][delegate] = Delegation({until: until, classes: classes, purposes: purposes, representative: representative, nonce: d.nonce + 1});
        emit DelegateAppointed(patient, delegate, until, classes, purposes, representative);
    }

    /// @dev Removes `delegate` of `patient`, keeping the pair's nonce (moved on): a signed appointment
    /// made before never applies again.
    function _remove(address patient, address delegate, address by) private {
        Delegation storage d = _delegates[patient][delegate];
        if (d.until == 0) revert DelegateNotFound(patient, delegate);
        _delegates[patient][delegate] = Delegation({until: 0, classes: 0, purposes: 0, representative: false, nonce: d.nonce + 1});
        emit DelegateRemoved(patient, delegate, by);
    }

    /// @dev Checks a request signed by `patient` about its pair with `grantee`: deadline, epoch, the
    /// pair's nonce (which the grant or revocation then increments) and the signature itself.
    function _checkSignature(
        address patient,
        bytes32 grantee,
        bytes32 structHash,
        uint64 nonce,
        uint64 epoch,
        uint256 deadline,
        bytes calldata signature
    ) private view {
        _checkFresh(patient, epoch, deadline);
        uint64 current = _grants[patient][grantee].nonce;
        if (nonce != current) revert InvalidNonce(patient, grantee, nonce, current);
        _checkSigner(patient, structHash, signature);
    }

    /// @dev A signed request's patient, deadline and epoch.
    function _checkFresh(address patient, uint64 epoch, uint256 deadline) private view {
        if (patient == address(0)) revert InvalidPatient(patient);
        if (block.timestamp > deadline) revert SignatureExpired(deadline, block.timestamp);
        uint64 currentEpoch = _patients[patient].epoch;
        if (epoch != currentEpoch) revert SignatureCancelled(patient, epoch, currentEpoch);
    }

    /// @dev A signed appointment's or removal's nonce: the (patient, delegate) pair's, which the
    /// appointment or removal then increments.
    function _checkDelegationNonce(address patient, address delegate, uint64 nonce) private view {
        uint64 current = _delegates[patient][delegate].nonce;
        if (nonce != current) revert InvalidDelegationNonce(patient, delegate, nonce, current);
    }

    /// @dev Reverts with {InvalidSignature} unless `signature` is `patient`'s over `structHash`.
    function _checkSigner(address patient, bytes32 structHash, bytes calldata signature) private view {
        bytes32 digest = _hashTypedDataV4(structHash);
        // ECDSA first: an EOA patient's signature is checked without touching its (cold) account.
        (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecoverCalldata(digest, signature);
        if (err == ECDSA.RecoverError.NoError && recovered == patient) return;
        if (!SignatureChecker.isValidERC1271SignatureNowCalldata(patient, digest, signature)) {
            revert InvalidSignature(patient);
        }
    }

    /// @dev The access decision, and the organization it was made under (0 for an account grant).
    function _decide(address patient, address accessor, uint8 dataClass, uint8 purpose)
        private
        view
        returns (bool permitted, uint64 orgId)
    {
        // Shifts past the type's width give 0, which no grant covers: unassigned values are refused.
        uint32 classBit = uint32(1) << dataClass;
        uint8 purposeBit = uint8(1) << purpose;
        if (_covers(_grants[patient][V.accountKey(accessor)], classBit, purposeBit)) return (true, 0);
        bool active;
        (active, orgId, ) = _REGISTRY.isActiveMember(accessor);
        if (!active) return (false, 0);
        if (_covers(_grants[patient][V.organizationKey(orgId)], classBit, purposeBit)) return (true, orgId);
        if (purpose != V.ETREAT || classBit & V.GENERAL_CLASSES == 0) return (false, orgId);
        BreakGlass memory bg = _breakGlass[patient][accessor];
        PatientSettings memory settings = _patients[patient];
        permitted = bg.orgId == orgId && block.timestamp < bg.until && !settings.breakGlassOptOut && bg.optOuts == settings.optOuts;
    }

    function _covers(Grant storage g, uint32 classBit, uint8 purposeBit) private view returns (bool) {
        Grant memory m = g;
        return m.classes & classBit != 0 && m.purposes & purposeBit != 0 && !(m.validFrom > block.timestamp)
            && block.timestamp < m.validUntil;
    }

    /// @dev A delegate's grant: within the scope and term the patient gave it, never to itself.
    function _checkDelegateGrant(address patient, bytes32 grantee, uint32 classes, uint8 purposes, uint40 validUntil, address delegate) private view {
        if (grantee == V.accountKey(delegate)) revert DelegateGrantsToItself(delegate);
        Delegation memory d = _delegates[patient][delegate];
        if (classes & ~d.classes != 0 || purposes & ~d.purposes != 0) {
            revert DelegateScopeExceeded(delegate, classes, purposes, d.classes, d.purposes);
        }
        if (validUntil > d.until) revert DelegateGrantOutlivesDelegation(delegate, validUntil, d.until);
    }

    function _checkPatientOrDelegate(address patient) private view {
        if (msg.sender != patient && !(_delegates[patient][msg.sender].until > block.timestamp)) {
            revert NotPatientOrDelegate(msg.sender, patient);
        }
    }

    function _checkGrantee(address patient, bytes32 grantee) private pure {
        uint256 key = uint256(grantee);
        if (key >> 160 == 0) {
            if (key == 0 || address(uint160(key)) == patient) revert InvalidGrantee(grantee);
        } else if (key >> 64 != V.ORGANIZATION_TAG >> 64 || uint64(key) == 0) {
            revert InvalidGrantee(grantee);
        }
    }
}
