/**
 * Errors as data. Every custom error of every CareLedger contract (and of the AccessManager that
 * governs them) decodes into one {@link ContractRevertError} carrying a stable `code`, the error's
 * name and arguments, and a sentence a person can act on. Bad input is refused before anything is
 * sent, with a {@link ValidationError} that names the field.
 */
import { ErrorFragment, Interface, type Result } from "ethers";
import {
  AccessManager__factory,
  ClaimsAdmin__factory,
  ClaimsLifecycle__factory,
  ConsentRegistry__factory,
  ClaimsEngine__factory,
  ParticipantRegistry__factory,
  RecordRegistry__factory,
} from "../typechain-types";

/** The base class of every error the SDK throws. */
export class CareLedgerError extends Error {
  /** A stable, machine-readable code, e.g. `NOT_ORGANIZATION_ADMIN` or `INVALID_INPUT`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Input refused before any transaction was sent. `field` names the offending parameter. */
export class ValidationError extends CareLedgerError {
  /** The parameter that is wrong, as the caller named it (e.g. `admin`, `orgId`, `metadata`). */
  readonly field: string;

  constructor(field: string, message: string) {
    super("INVALID_INPUT", `${field}: ${message}`);
    this.field = field;
  }
}

/** The connected chain has no CareLedger address book and no addresses were given. */
export class UnsupportedChainError extends CareLedgerError {
  readonly chainId: bigint;

  constructor(chainId: bigint, detail: string) {
    super("UNSUPPORTED_CHAIN", `CareLedger has no addresses for chain ${chainId}: ${detail}`);
    this.chainId = chainId;
  }
}

/** A contract call or transaction reverted with a custom error, a `require` string or a panic. */
export class ContractRevertError extends CareLedgerError {
  /** The custom error's name (`NotOrganizationAdmin`), or `Error` / `Panic` / `UnknownRevert`. */
  readonly errorName: string;
  /** The decoded arguments, by name (positional names `arg0`… where the ABI has none). */
  readonly args: Readonly<Record<string, unknown>>;
  /** The raw revert data. */
  readonly data: string;

  constructor(errorName: string, args: Record<string, unknown>, data: string, message: string, cause?: unknown) {
    super(errorCode(errorName), message, { cause });
    this.errorName = errorName;
    this.args = Object.freeze({ ...args });
    this.data = data;
  }
}

/** Turns an error name into its stable code: `NotOrganizationAdmin` → `NOT_ORGANIZATION_ADMIN`. */
export function errorCode(errorName: string): string {
  return errorName
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z])([A-Z][a-z])/g, "$1_$2")
    .toUpperCase();
}

type Args = Record<string, unknown>;
const s = (v: unknown): string => String(v);

/**
 * One sentence per custom error, by name. A test checks that every error in every suite ABI has
 * one, so a new error cannot ship without an explanation.
 */
/** `IClaimsEngine.ClaimStatus` in words, by value (as `ClaimStatus` in sdk/claims.ts, which imports this module). */
const CLAIM_STATUS_NAMES = ["unknown", "pended", "approved", "partly approved", "denied", "under appeal", "upheld on appeal", "overturned on appeal", "replaced", "voided"];

export const REVERT_MESSAGES: Readonly<Record<string, (a: Args) => string>> = {
  // ParticipantRegistry
  UnknownOrganization: (a) => `organization ${s(a.orgId)} is not registered: check the id (participants.organizationCount() gives the highest)`,
  InvalidOrganizationKind: (a) => `organization kind ${s(a.kind)} is not one of provider, lab, pharmacy, insurer, researcher, regulator`,
  EmptyMetadata: () => "the profile commitment is zero: publish the organization's profile and pass its commitment (profileCommitment(profile))",
  InvalidAccount: (a) => `${s(a.account)} cannot be a member: use a real account address`,
  AlreadyMember: (a) => `${s(a.account)} already belongs to organization ${s(a.orgId)}: an account belongs to one organization at most; remove it there first`,
  AlreadyAdmin: (a) => `${s(a.account)} is already an admin of organization ${s(a.orgId)}`,
  NotMember: (a) => `${s(a.account)} is not a member of organization ${s(a.orgId)}`,
  NotOrganizationAdmin: (a) => `${s(a.caller)} is not an admin of organization ${s(a.orgId)}: ask one of its admins to do this, or the registrar to appoint you`,
  OrganizationIsSuspended: (a) => `organization ${s(a.orgId)} is suspended: the registrar must reinstate it first`,
  OrganizationNotSuspended: (a) => `organization ${s(a.orgId)} is not suspended, so there is nothing to reinstate`,
  LastAdmin: (a) => `${s(a.account)} is the last admin of organization ${s(a.orgId)}: make another member an admin first`,
  // RecordRegistry
  ZeroCommitment: () => "a commitment, record id or batch root of zero was given: compute it with records.commit(resource) or records.buildBatch(items)",
  CommitmentAlreadyAnchored: (a) => `organization ${s(a.orgId)} already anchored commitment ${s(a.commitment)}: a version is anchored once; verify it instead`,
  CommitmentNotAnchored: (a) => `organization ${s(a.orgId)} never anchored commitment ${s(a.commitment)} singly: only the organization that anchored a version retracts it; if it is in the organization's batch, pass its proof so it is registered first`,
  UnknownRecord: (a) => `${s(a.recordId)} is not the id of a record of organization ${s(a.orgId)} (a record's id is the commitment of its first version; only its organization amends it; register a batch record with its proof first)`,
  StaleVersion: (a) => `record ${s(a.recordId)} is at version ${s(a.current)}, not ${s(a.superseded)}: someone amended it meanwhile; read its history and supersede version ${s(a.current)}`,
  NotAnchoringMember: (a) => `${s(a.account)} is not a member of a provider, lab or pharmacy (organization ${s(a.orgId)}, kind ${s(a.kind)}): only they anchor records`,
  AnchoringOrganizationSuspended: (a) => `organization ${s(a.orgId)} of ${s(a.account)} is suspended: the registrar must reinstate it first`,
  AlreadyRetracted: (a) => `the version ${s(a.commitment)} is already retracted`,
  InvalidRetractionReason: (a) => `retraction reason ${s(a.reason)} is not one of enteredInError, wrongPatient, duplicate, other`,
  EmptyBatch: () => "a batch needs at least one record",
  BatchAlreadyAnchored: (a) => `organization ${s(a.orgId)} already anchored batch root ${s(a.root)}`,
  UnknownBatch: (a) => `organization ${s(a.orgId)} anchored no batch ${s(a.root)}: check the proofs file belongs to this chain, registry and organization`,
  InvalidInclusionProof: (a) => `the proof does not show ${s(a.commitment)} as a first version in batch ${s(a.root)}: use the proof written for this record`,
  ProofTooLong: (a) => `the proof has ${s(a.length)} siblings, more than batch ${s(a.root)} has levels (${s(a.depth)}): use the proof written for this record`,
  // ClaimsEngine
  TokenNotAllowed: (a) => `${s(a.token)} is not on the settlement allowlist: the configurator must allow it (claims.setTokenAllowed)`,
  NotInsurerStaff: (a) => `${s(a.account)} is not an active member (or, for withdrawals, an admin) of insurer organization ${s(a.orgId)}, which owns this plan`,
  NotInsurerAdmin: (a) => `${s(a.account)} is not an admin of an active insurer organization: only insurer admins create plans`,
  NotProviderAdmin: (a) => `${s(a.account)} is not an admin of an active provider organization: only provider admins name their payee`,
  NotAuthorizedSubmitter: (a) => `${s(a.account)} may not submit for provider ${s(a.providerOrg)} in plan ${s(a.planId)}: submit as an active member of that provider, or of the plan's insurer`,
  UnknownPlan: (a) => `plan ${s(a.planId)} does not exist: check the id (claims.planCount() gives the highest)`,
  InvalidPlanTerms: (a) => `the plan term ${s(a.field)} is not usable: plans need a start date, a filing window and an appeal window`,
  InvalidBenefit: (a) => `the benefit rule for code ${s(a.code)} has an unusable ${s(a.field)} (codes must be non-zero, coinsurance at most 10,000 bps)`,
  InvalidBatch: (a) => `the batch has ${s(a.length)} items where the bound is ${s(a.max)} (and paired arrays must have equal lengths): split it or fix the lengths`,
  ZeroAmount: () => "the amount is zero: give a positive amount",
  ZeroAddress: () => "the zero address is not allowed here",
  FeeOnTransferRefused: (a) => `${s(a.token)} delivered ${s(a.received)} for a deposit of ${s(a.expected)}: fee-on-transfer tokens cannot settle plans`,
  InsufficientUnreservedFunds: (a) => `plan ${s(a.planId)} has ${s(a.available)} unreserved, less than the ${s(a.requested)} requested: queued and pended claims keep the rest`,
  InvalidWindow: (a) => `the period ends (${s(a.end)}) before it starts (${s(a.start)})`,
  UnknownAuthorization: (a) => `prior authorization ${s(a.authId)} does not exist`,
  PayeeNotSet: (a) => `provider organization ${s(a.providerOrg)} has not named a payee: one of its admins must call claims.setPayee first`,
  EvidenceNotAnchored: (a) => `the evidence commitment ${s(a.evidence)} is not anchored by the billing organization ${s(a.orgId)}: anchor the record first (or pass its batch's proof)`,
  EvidenceRetracted: (a) => `the evidence commitment ${s(a.evidence)} was retracted as entered-in-error: submit with the corrected record's commitment`,
  ServiceDateInFuture: (a) => `the service date ${s(a.serviceDate)} is in the future: a claim is filed after the service`,
  DuplicateClaim: (a) => `this service was already billed as claim ${s(a.claimId)}: check its status (claims.claim) and correct it (claims.submitCorrection) instead of billing it again`,
  UnknownClaim: (a) => `claim ${s(a.claimId)} does not exist`,
  InvalidClaimStatus: (a) => `claim ${s(a.claimId)} is ${CLAIM_STATUS_NAMES[Number(a.status)] ?? `in status ${s(a.status)}`}, which does not allow this step`,
  RecordMismatch: (a) => `the record given for claim ${s(a.claimId)} does not match the one on chain: rebuild it with claims.record(claimId)`,
  InvalidDecision: (a) => `the decision on line ${s(a.index)} is not usable: the allowed amount must be at most the line's ceiling (and, on appeal, at least the earlier amount), with a reason code when it is reduced`,
  NotAppellant: (a) => `${s(a.account)} may not appeal claim ${s(a.claimId)}: only its member or a member of its provider organization may`,
  AppealWindowClosed: (a) => `the appeal window of claim ${s(a.claimId)} closed at ${s(a.deadline)}`,
  SameAdjuster: (a) => `${s(a.adjuster)} decided this claim and may not resolve its appeal: another adjuster must`,
  CorrectionMismatch: (a) => `a corrected claim must be for the same plan, member and provider as claim ${s(a.replaces)}`,
  NothingParked: (a) => `nothing is parked for provider ${s(a.providerOrg)} in plan ${s(a.planId)}: no payment of it was refused by the token (claims.parked shows the amount)`,
  EvidenceOfAnotherMember: (a) => `the evidence ${s(a.evidence)} already backs the claims of member ${s(a.member)}: cite the record of this member's own service`,
  NotClaimProvider: (a) => `${s(a.account)} may not correct or void claim ${s(a.claimId)}: only an active member of the provider organization that billed it may`,
  ServiceDateNotDay: (a) => `the service date ${s(a.serviceDate)} is not a day: send midnight UTC (claims take "YYYY-MM-DD"), so that one visit is one claim`,
  RepaymentExceedsOwed: (a) => `a repayment of ${s(a.amount)} is more than provider ${s(a.providerOrg)} owes plan ${s(a.planId)} (${s(a.owed)}): claims.owedBack shows the amount`,
  SafeERC20FailedOperation: (a) => `the token ${s(a.token)} refused the transfer (it returned false)`,
  ReentrancyGuardReentrantCall: () => "a call tried to re-enter a settlement in progress and was refused",
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
  AccessNotPermitted: (a) => `${s(a.accessor)} may not access data class ${s(a.dataClass)} of patient ${s(a.patient)} for purpose ${s(a.purpose)}: there is no grant in force, the organization is not active, or break-glass does not cover it`,
  InvalidShortString: () => "a short string is malformed",
  StringTooLong: (a) => `the string ${s(a.str)} is too long`,
  // AccessManaged / Pausable (every suite contract)
  AccessManagedUnauthorized: (a) => `${s(a.caller)} has no role that allows this call: ask the suite's admin to grant the role (see FUNCTION_ROLES)`,
  AccessManagedRequiredDelay: (a) => `${s(a.caller)} must schedule this call ${s(a.delay)} s ahead through the AccessManager (governance.schedule) and execute it after the delay`,
  AccessManagedInvalidAuthority: (a) => `${s(a.authority)} is not a valid AccessManager`,
  EnforcedPause: () => "the contract is paused: the pauser must unpause it before this can be done",
  ExpectedPause: () => "the contract is not paused",
  // AccessManager
  AccessManagerAlreadyScheduled: (a) => `operation ${s(a.operationId)} is already scheduled: wait for it and execute it, or cancel it`,
  AccessManagerNotScheduled: (a) => `operation ${s(a.operationId)} was not scheduled: your role carries an execution delay, so schedule it first (governance.schedule) and execute it after the delay`,
  AccessManagerNotReady: (a) => `operation ${s(a.operationId)} is scheduled but its delay has not passed yet: try again after the scheduled time`,
  AccessManagerExpired: (a) => `operation ${s(a.operationId)} expired before it was executed: schedule it again`,
  AccessManagerLockedRole: (a) => `role ${s(a.roleId)} cannot be changed (it is a built-in role)`,
  AccessManagerLockedFunction: (a) => `function ${s(a.selector)} of the AccessManager cannot be reassigned`,
  AccessManagerBadConfirmation: () => "renouncing a role needs the caller's own address as confirmation",
  AccessManagerUnauthorizedAccount: (a) => `${s(a.msgsender)} lacks role ${s(a.roleId)} needed for this AccessManager operation`,
  AccessManagerUnauthorizedCall: (a) => `${s(a.caller)} may not call ${s(a.selector)} on ${s(a.target)}: ask the admin for the role mapped to it`,
  AccessManagerUnauthorizedConsume: (a) => `only ${s(a.target)} itself may consume its scheduled operations`,
  AccessManagerUnauthorizedCancel: (a) => `${s(a.msgsender)} may not cancel ${s(a.caller)}'s scheduled call ${s(a.selector)} on ${s(a.target)}`,
  AccessManagerInvalidInitialAdmin: (a) => `${s(a.initialAdmin)} cannot be the initial admin`,
  SafeCastOverflowedUintDowncast: (a) => `the value ${s(a.value)} does not fit in ${s(a.bits)} bits`,
  AddressEmptyCode: (a) => `${s(a.target)} has no code: is the address right for this chain?`,
  FailedCall: () => "the forwarded call failed without a reason",
  InsufficientBalance: (a) => `the balance ${s(a.balance)} is below the ${s(a.needed)} this call sends`,
};

const PANIC_REASONS: Readonly<Record<number, string>> = {
  0x01: "an assertion failed",
  0x11: "an arithmetic operation overflowed or underflowed",
  0x12: "division by zero",
  0x21: "a value is out of range for its enum (for example an unknown organization kind)",
  0x32: "an array index is out of bounds",
};

/** The ABIs whose errors the SDK decodes: every suite contract and the AccessManager. */
function suiteErrorInterface(): Interface {
  const seen = new Map<string, ErrorFragment>();
  const suite = [
    ParticipantRegistry__factory,
    AccessManager__factory,
    ConsentRegistry__factory,
    RecordRegistry__factory,
    ClaimsEngine__factory,
    ClaimsAdmin__factory,
    ClaimsLifecycle__factory,
  ];
  for (const { abi } of suite) {
    for (const item of abi) {
      if (item.type !== "error") continue;
      const fragment = ErrorFragment.from(item);
      seen.set(fragment.format("sighash"), fragment);
    }
  }
  return new Interface([...seen.values()]);
}

let errorInterface: Interface | undefined;

/** The interface holding every custom error of the suite (built once). */
export function suiteErrors(): Interface {
  return (errorInterface ??= suiteErrorInterface());
}

/** Finds revert data (`0x…`) anywhere in an ethers / Hardhat / JSON-RPC error chain. */
export function findRevertData(err: unknown, depth = 0): string | undefined {
  if (depth > 6 || err === null || typeof err !== "object") return undefined;
  const e = err as Record<string, unknown>;
  const data = e.data;
  if (typeof data === "string" && /^0x([0-9a-fA-F]{2})*$/.test(data) && data.length >= 10) return data;
  if (data && typeof data === "object") {
    const nested = (data as Record<string, unknown>).data;
    if (typeof nested === "string" && /^0x([0-9a-fA-F]{2})*$/.test(nested) && nested.length >= 10) return nested;
  }
  for (const key of ["error", "info", "cause", "receipt"]) {
    const found = findRevertData(e[key], depth + 1);
    if (found) return found;
  }
  return undefined;
}

function namedArgs(fragment: ErrorFragment, result: Result): Args {
  const out: Args = {};
  fragment.inputs.forEach((input, i) => {
    out[input.name || `arg${i}`] = result[i];
  });
  return out;
}

/**
 * Decodes revert data into a {@link ContractRevertError}. Unknown selectors give `UnknownRevert`.
 * @param data the revert data, `0x` + 4-byte selector + ABI-encoded arguments
 */
export function decodeRevertData(data: string, cause?: unknown): ContractRevertError {
  const iface = suiteErrors();
  const selector = data.slice(0, 10).toLowerCase();
  if (selector === "0x08c379a0") {
    const [reason] = iface.getAbiCoder().decode(["string"], "0x" + data.slice(10));
    return new ContractRevertError("Error", { reason }, data, `reverted: ${String(reason)}`, cause);
  }
  if (selector === "0x4e487b71") {
    const [code] = iface.getAbiCoder().decode(["uint256"], "0x" + data.slice(10));
    const reason = PANIC_REASONS[Number(code)] ?? `panic code ${String(code)}`;
    return new ContractRevertError("Panic", { code }, data, `the contract panicked: ${reason}`, cause);
  }
  const fragment = iface.getError(selector);
  if (!fragment) {
    return new ContractRevertError("UnknownRevert", { selector }, data, `reverted with an error this SDK does not know (${selector})`, cause);
  }
  const args = namedArgs(fragment, iface.decodeErrorResult(fragment, data));
  const explain = REVERT_MESSAGES[fragment.name];
  const sentence = explain ? explain(args) : `reverted with ${fragment.name}`;
  return new ContractRevertError(fragment.name, args, data, `${fragment.name}: ${sentence}`, cause);
}

/**
 * Converts whatever a contract call threw into a {@link ContractRevertError} when it carries
 * revert data, a {@link TransactionReplacedError} or a {@link NodeUnreachableError} when the node
 * replaced the transaction or could not be reached, and returns it unchanged otherwise (user rejections…).
 */
export function toCareLedgerError(err: unknown): unknown {
  if (err instanceof CareLedgerError) return err;
  const data = findRevertData(err);
  if (data) return decodeRevertData(data, err);
  const replaced = err as { code?: unknown; hash?: unknown; reason?: unknown; replacement?: { hash?: unknown } };
  if (replaced?.code === "TRANSACTION_REPLACED") return new TransactionReplacedError(String(replaced.hash), String(replaced.reason ?? "unknown"), replaced.replacement?.hash as string | undefined, err);
  const gap = NONCE_TOO_HIGH.exec(messagesOf(err));
  if (gap) return new NonceGapError(undefined, Number(gap[2]), Number(gap[1]), err);
  const transport = findTransportFailure(err);
  return transport ? new NodeUnreachableError(transport, err) : err;
}

/**
 * Runs `fn` and rethrows any revert as a typed {@link ContractRevertError}.
 * @throws {ContractRevertError} when the call reverted
 */
export async function withDecodedErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toCareLedgerError(err);
  }
}

// ------------------------------------------------------------------------------------------ transport and transaction failures

/** The JSON-RPC node could not be reached (refused, reset, timed out): nothing is known about the last request. */
export class NodeUnreachableError extends CareLedgerError {
  constructor(detail: string, cause?: unknown) {
    super("NODE_UNREACHABLE", `the node could not be reached (${detail}): check the RPC URL and the node, then run the same command again (writes are idempotent)`, { cause });
  }
}

/** A sent transaction the node no longer knows, whose nonce was not used: it will never be mined. */
export class TransactionDroppedError extends CareLedgerError {
  /** The dropped transaction's hash. */
  readonly hash: string;

  constructor(hash: string, cause?: unknown) {
    super("TRANSACTION_DROPPED", `transaction ${hash} was dropped before it was mined: nothing it would have done happened; send it again`, { cause });
    this.hash = hash;
  }
}

/** Another transaction with the same sender and nonce was mined instead of this one. */
export class TransactionReplacedError extends CareLedgerError {
  /** The replaced transaction's hash. */
  readonly hash: string;
  /** The transaction mined in its place, when known. */
  readonly replacement?: string;
  /** `repriced` (same call, higher fee), `cancelled` (nothing sent), `replaced` (another call), or `unknown`. */
  readonly reason: string;

  constructor(hash: string, reason: string, replacement?: string, cause?: unknown) {
    super(
      "TRANSACTION_REPLACED",
      `transaction ${hash} was replaced (${reason})${replacement ? ` by ${replacement}` : ""}: check the state on chain before sending it again`,
      { cause },
    );
    this.hash = hash;
    this.reason = reason;
    this.replacement = replacement;
  }
}

/** A transaction whose nonce is ahead of its sender's next nonce: it waits for a missing one and is not mined. */
export class NonceGapError extends CareLedgerError {
  /** The transaction's hash; undefined when the node refused it outright (a node that mines on arrival queues nothing). */
  readonly hash?: string;
  /** The transaction's nonce. */
  readonly nonce: number;
  /** The sender's next nonce: the one that is missing. */
  readonly expected: number;

  constructor(hash: string | undefined, nonce: number, expected: number, cause?: unknown) {
    super(
      "NONCE_GAP",
      `${hash ? `transaction ${hash}` : "the transaction"} has nonce ${nonce} but its sender's next nonce is ${expected}: it cannot be mined until nonces ${expected}..${nonce - 1} are used; send them or use nonce ${expected}`,
      { cause },
    );
    this.hash = hash;
    this.nonce = nonce;
    this.expected = expected;
  }
}

/** A transaction reverted on chain and the revert could not be reproduced to decode it. */
export class TransactionRevertedError extends CareLedgerError {
  readonly hash: string;

  constructor(hash: string, cause?: unknown) {
    super("TRANSACTION_REVERTED", `transaction ${hash} was mined but reverted; the state changed since, so the reason could not be decoded`, { cause });
    this.hash = hash;
  }
}

const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENOTFOUND", "EAI_AGAIN", "UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT"]);
const UNREACHABLE_TEXT = /ECONNREFUSED|ECONNRESET|socket hang up|other side closed|fetch failed|Cannot connect to the network|network error|connection refused/i;

/** The transport failure in an error chain (ethers, Hardhat, undici, Node), as a short detail, or undefined. */
export function findTransportFailure(err: unknown, depth = 0): string | undefined {
  if (depth > 6 || err === null || typeof err !== "object") return undefined;
  const e = err as Record<string, unknown>;
  if (typeof e.code === "string" && UNREACHABLE_CODES.has(e.code)) return e.code;
  if (e.code === "NETWORK_ERROR" || e.code === "TIMEOUT") return String(e.code);
  // By message only for errors a library raised (they carry a code, an error number or a cause):
  // a bare Error whose text merely mentions a refusal is left as it is.
  const raisedByLibrary = e.code !== undefined || e.number !== undefined || e.cause !== undefined;
  if (raisedByLibrary && typeof e.message === "string" && UNREACHABLE_TEXT.test(e.message) && findRevertData(err) === undefined) {
    return (UNREACHABLE_TEXT.exec(e.message) as RegExpExecArray)[0];
  }
  for (const key of ["cause", "error", "parent", "info"]) {
    const found = findTransportFailure(e[key], depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** Hardhat's refusal of a transaction whose nonce is ahead ("Nonce too high. Expected nonce to be 2 but got 3"). */
const NONCE_TOO_HIGH = /nonce too high\. expected nonce to be (\d+) but got (\d+)/i;

/** Every message in an error chain, joined. */
function messagesOf(err: unknown, depth = 0): string {
  if (depth > 6 || err === null || typeof err !== "object") return "";
  const e = err as Record<string, unknown>;
  const own = typeof e.message === "string" ? e.message : "";
  return [own, ...["cause", "error", "info", "data"].map((k) => messagesOf(e[k], depth + 1))].join("\n");
}
