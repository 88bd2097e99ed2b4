// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title ConsentVocabulary
/// @notice The closed vocabularies of consent, defined once: data classes, purposes of use,
/// break-glass reason codes, and the encoding of a grantee (an account or an organization) as one
/// 32-byte key. `sdk/consentVocab.ts` mirrors every value; a test proves both agree.
/// @dev Data classes are bit positions in a `uint32` mask. Bits 0..12 are the general classes,
/// aligned with FHIR / US Core categories; bits 16..20 are the sensitive classes (42 CFR Part 2,
/// HIV, reproductive health, genomics), kept apart so that no mask built from general classes can
/// ever include one: a sensitive class is granted only by naming it. Bits 13..15 and 21..31 are
/// unassigned and refused. Purposes are bit positions in a `uint8` mask, from HL7 PurposeOfUse.
library ConsentVocabulary {
    // ---- data classes (bit positions) ----
    uint8 internal constant DEMOGRAPHICS = 0;
    uint8 internal constant CONDITIONS = 1;
    uint8 internal constant MEDICATIONS = 2;
    uint8 internal constant ALLERGIES = 3;
    uint8 internal constant LABS = 4;
    uint8 internal constant VITALS = 5;
    uint8 internal constant IMAGING = 6;
    uint8 internal constant PROCEDURES = 7;
    uint8 internal constant IMMUNIZATIONS = 8;
    uint8 internal constant NOTES = 9;
    uint8 internal constant ENCOUNTERS = 10;
    uint8 internal constant CARE_PLANS = 11;
    uint8 internal constant CLAIMS = 12;
    uint8 internal constant MENTAL_HEALTH = 16;
    uint8 internal constant SUBSTANCE_USE = 17;
    uint8 internal constant HIV = 18;
    uint8 internal constant SEXUAL_REPRODUCTIVE_HEALTH = 19;
    uint8 internal constant GENOMICS = 20;

    /// @notice The general classes: bits 0..12.
    uint32 internal constant GENERAL_CLASSES = 0x00001FFF;
    /// @notice The sensitive classes: bits 16..20, never implied by any other class.
    uint32 internal constant SENSITIVE_CLASSES = 0x001F0000;
    /// @notice Every assigned class.
    uint32 internal constant ALL_CLASSES = GENERAL_CLASSES | SENSITIVE_CLASSES;

    // ---- purposes of use (bit positions, HL7 v3 ActReason PurposeOfUse) ----
    uint8 internal constant TREAT = 0;
    uint8 internal constant ETREAT = 1;
    uint8 internal constant HPAYMT = 2;
    uint8 internal constant HOPERAT = 3;
    uint8 internal constant HRESCH = 4;
    uint8 internal constant PUBHLTH = 5;

    /// @notice Every assigned purpose: bits 0..5.
    uint8 internal constant ALL_PURPOSES = 0x3F;

    // ---- break-glass reason codes (values; 0 is not a reason) ----
    /// @notice The patient cannot consent (unconscious, incapacitated).
    uint8 internal constant REASON_PATIENT_INCAPACITATED = 1;
    /// @notice A life- or limb-threatening emergency.
    uint8 internal constant REASON_LIFE_THREATENING = 2;
    /// @notice Care that cannot wait for consent to be obtained.
    uint8 internal constant REASON_TIME_CRITICAL_CARE = 3;
    /// @notice A mass-casualty or disaster response.
    uint8 internal constant REASON_MASS_CASUALTY = 4;
    /// @notice The highest assigned reason code.
    uint8 internal constant MAX_REASON = 4;

    // ---- grantee keys ----
    /// @notice The tag in the top byte of an organization's grantee key. Account keys have their
    /// top 12 bytes zero, so no account key can equal an organization key.
    uint256 internal constant ORGANIZATION_TAG = 1 << 248;

    /// @notice The grantee key of one account: the address, left-padded with zeros.
    function accountKey(address account) internal pure returns (bytes32) {
        return bytes32(uint256(uint160(account)));
    }

    /// @notice The grantee key of an organization of the participant registry: the tag, then the id.
    function organizationKey(uint64 orgId) internal pure returns (bytes32) {
        return bytes32(ORGANIZATION_TAG | orgId);
    }

    /// @notice Whether `classes` is a non-empty mask of assigned data classes.
    function isClassMask(uint32 classes) internal pure returns (bool) {
        return classes != 0 && classes & ~ALL_CLASSES == 0;
    }

    /// @notice Whether `purposes` is a non-empty mask of assigned purposes.
    function isPurposeMask(uint8 purposes) internal pure returns (bool) {
        return purposes != 0 && purposes & ~ALL_PURPOSES == 0;
    }

    /// @notice Whether `dataClass` is an assigned data class (a bit position).
    function isDataClass(uint8 dataClass) internal pure returns (bool) {
        return dataClass < 32 && (ALL_CLASSES >> dataClass) & 1 == 1;
    }

    /// @notice Whether `purpose` is an assigned purpose (a bit position).
    function isPurpose(uint8 purpose) internal pure returns (bool) {
        return purpose < 8 && (ALL_PURPOSES >> purpose) & 1 == 1;
    }

    /// @notice Whether `code` is an assigned break-glass reason code.
    function isReasonCode(uint8 code) internal pure returns (bool) {
        return code != 0 && code < MAX_REASON + 1;
    }
}
