/**
 * What the ConsentRegistry's custom errors mean, in sentences a person can act on.
 */
import { dataClassName, purposeName } from "../consent/codes";
import { arg as s, type MessageTable } from "./base";

/** The ConsentRegistry's errors, by name. */
export const CONSENT_MESSAGES: MessageTable = {
  // ConsentRegistry
  InvalidPatient: (a) => `${s(a.patient)} is not a patient account: name the patient whose consent this is`,
  InvalidGrantee: (a) => `${s(a.grantee)} is not a grantee: use accountGrantee(address) for one account (not the patient) or organizationGrantee(orgId) for an organization`,
  InvalidDataClasses: (a) => `data classes mask ${s(a.classes)} is empty or names an unassigned class: use the names in DATA_CLASSES`,
  InvalidPurposes: (a) => `purposes mask ${s(a.purposes)} is empty or names an unassigned purpose: use TREAT, ETREAT, HPAYMT, HOPERAT, HRESCH or PUBHLTH`,
  InvalidValidity: (a) => `the validity window ${s(a.validFrom)}..${s(a.validUntil)} is empty or already over (now ${s(a.nowTime)}): validUntil must be after validFrom and in the future`,
  EmptyCommitment: () => "a grant must carry the salted commitment of its consent document (consentDocumentCommitment(resource, salt))",
  NotPatientOrDelegate: (a) => `${s(a.caller)} is neither patient ${s(a.patient)} nor a delegate of theirs in force: only the patient or a delegate the patient appointed may do this`,
  GrantNotFound: (a) => `patient ${s(a.patient)} has no grant to ${s(a.grantee)}: nothing to revoke`,
  SignatureExpired: (a) => `the signature's deadline ${s(a.deadline)} has passed (now ${s(a.nowTime)}): ask the patient to sign again`,
  InvalidDelegationNonce: (a) => `the signature carries nonce ${s(a.nonce)} but the delegation of ${s(a.delegate)} by ${s(a.patient)} is at nonce ${s(a.currentNonce)}: the signature was used, or the delegation changed since; sign again`,
  InvalidNonce: (a) => `the signature carries nonce ${s(a.nonce)} but the grant of ${s(a.patient)} to ${s(a.grantee)} is at nonce ${s(a.currentNonce)}: the signature was used, or the grant changed since; sign again`,
  SignatureCancelled: (a) => `patient ${s(a.patient)} cancelled the signatures of epoch ${s(a.epoch)} (now ${s(a.currentEpoch)}): ask the patient to sign again`,
  InvalidSignature: (a) => `the signature is not patient ${s(a.patient)}'s (wrong signer, malformed, or refused by the patient's smart account)`,
  InvalidDelegate: (a) => `${s(a.delegate)} cannot be a delegate: use another account than the zero address or the patient`,
  InvalidDelegateExpiry: (a) => `a delegate's term must end in the future (until ${s(a.until)}, now ${s(a.nowTime)})`,
  InvalidDelegateScope: (a) => `a delegation's scope (classes ${s(a.classes)}, purposes ${s(a.purposes)}) must name assigned classes and purposes, and sensitive classes only for a full representative (representative ${s(a.representative)})`,
  DelegateScopeExceeded: (a) => `delegate ${s(a.delegate)} may grant classes ${s(a.scopeClasses)} for purposes ${s(a.scopePurposes)} only, not classes ${s(a.classes)} for purposes ${s(a.purposes)}: ask the patient`,
  DelegateGrantOutlivesDelegation: (a) => `delegate ${s(a.delegate)}'s grant would last until ${s(a.validUntil)}, beyond its delegation's end ${s(a.delegationUntil)}`,
  DelegateGrantsToItself: (a) => `delegate ${s(a.delegate)} cannot grant to its own account: only the patient can`,
  NotPatientOrRepresentative: (a) => `${s(a.caller)} is neither patient ${s(a.patient)} nor a full representative in force: only they set the break-glass opt-out`,
  DelegateNotFound: (a) => `${s(a.delegate)} is not a delegate of patient ${s(a.patient)}`,
  NotPatientOrSelf: (a) => `${s(a.caller)} may not remove delegate ${s(a.delegate)} of ${s(a.patient)}: only the patient or the delegate itself may`,
  NotActiveProvider: (a) => `${s(a.caller)} is not an active member of a provider organization: only providers can open break-glass access`,
  BreakGlassOptedOut: (a) => `patient ${s(a.patient)} has opted out of break-glass access`,
  InvalidReasonCode: (a) => `${s(a.code)} is not a break-glass reason code: use one of BREAK_GLASS_REASONS`,
  ReasonAlreadyUsed: (a) => `the justification reference ${s(a.reasonRef)} is zero or was already used by organization ${s(a.orgId)}: every break-glass opening needs its own written justification`,
  InvalidBreakGlassDuration: (a) => `break-glass duration ${s(a.duration)} s is zero or longer than the governance window of ${s(a.window)} s`,
  InvalidBreakGlassWindow: (a) => `break-glass window ${s(a.window)} s is zero or longer than the 24-hour maximum`,
  InvalidDataClass: (a) => `data class ${s(a.dataClass)} is not an assigned class: use the names in DATA_CLASSES`,
  InvalidPurpose: (a) => `purpose ${s(a.purpose)} is not an assigned purpose: use TREAT, ETREAT, HPAYMT, HOPERAT, HRESCH or PUBHLTH`,
  EmptyRecordRef: () => "the record reference is zero: pass the record's pseudonymous reference (never PHI)",
  AccessNotPermitted: (a) =>
    `${s(a.accessor)} may not access the ${dataClassName(a.dataClass as number) ?? `class ${s(a.dataClass)}`} of patient ${s(a.patient)} for ${purposeName(a.purpose as number) ?? `purpose ${s(a.purpose)}`}: there is no grant in force, the organization is not active, or break-glass does not cover it`,
  InvalidShortString: () => "a short string is malformed",
  StringTooLong: (a) => `the string ${s(a.str)} is too long`,
};
