/**
 * What the consent client takes and gives: parameters, signed requests, grants, delegations, access
 * records and history entries, and the rule for times.
 */
import type { BreakGlassReasonName, DataClassName, Grantee, ParsedGrantee, PurposeName } from "./vocab";
import type { DelegateRemovalRequest, DelegationRequest, GrantRequest, RevocationRequest } from "./typedData";
import { requireTime, type TimeInput } from "../core/validate";

/** A time: the SDK's one time input (a `Date`, whole seconds since the epoch, or `"YYYY-MM-DD"`). */
export type { TimeInput };

/** A grantee as the SDK accepts it: `{ account }`, `{ organization }`, an address, or a 32-byte key. */
export type GranteeInput = Grantee | string;

/** Parameters of {@link ConsentClient.grant} and {@link ConsentClient.signGrant}. */
export interface GrantParams {
  /** The patient (default: the connected signer). A delegate names the patient it acts for. */
  readonly patient?: string;
  readonly grantee: GranteeInput;
  /** Data classes by name, e.g. `["labs", "medications"]`. Sensitive classes only when named. */
  readonly classes: readonly (DataClassName | number)[];
  /** Purposes by name, e.g. `["TREAT"]`. */
  readonly purposes: readonly (PurposeName | number)[];
  /** When the grant starts (default: the latest block's time). */
  readonly validFrom?: TimeInput;
  /** When the grant ends (exclusive): required, in the future. */
  readonly validUntil: TimeInput;
  /** The salted commitment of the consent document (see `consentDocumentCommitment`). */
  readonly commitment: string;
}

/** Parameters naming one grant. */
export interface RevokeParams {
  /** The patient (default: the connected signer). */
  readonly patient?: string;
  readonly grantee: GranteeInput;
}

/** Signature options: the deadline (required); nonce and epoch default to the chain's current ones. */
export interface SignOptions {
  /** The last second at which the signature may be submitted. */
  readonly deadline: TimeInput;
  /** The (patient, grantee) pair's nonce (default: read from the registry). */
  readonly nonce?: bigint | number;
  /** The patient's signature epoch (default: read from the registry). */
  readonly epoch?: bigint | number;
}

/** A grant signed by the patient, ready for a relayer. */
export interface SignedGrant {
  readonly request: GrantRequest;
  readonly signature: string;
}

/** A revocation signed by the patient, ready for a relayer. */
export interface SignedRevocation {
  readonly request: RevocationRequest;
  readonly signature: string;
}

/** An appointment of a delegate signed by the patient, ready for a relayer. */
export interface SignedDelegation {
  readonly request: DelegationRequest;
  readonly signature: string;
}

/** A removal of a delegate signed by the patient, ready for a relayer. */
export interface SignedDelegateRemoval {
  readonly request: DelegateRemovalRequest;
  readonly signature: string;
}

/** A grant as the registry holds it, readable. */
export interface GrantState {
  readonly patient: string;
  readonly grantee: ParsedGrantee;
  readonly granteeKey: string;
  readonly classes: DataClassName[];
  readonly purposes: PurposeName[];
  readonly validFrom: number;
  readonly validUntil: number;
}

/**
 * Where a grant stands at a time (the chain's: a block's timestamp), in words the portal and the indexer
 * show: in force (`active`, or `expiring-soon` when it ends within {@link EXPIRING_SOON_SECONDS}),
 * `not-yet-active` (its `validFrom` ahead), `expired`, `revoked` (before any later grant to the same
 * grantee), or `superseded` by a later grant to the same grantee.
 */
export const GRANT_STATUSES = ["active", "expiring-soon", "not-yet-active", "expired", "revoked", "superseded"] as const;
export type GrantStatus = (typeof GRANT_STATUSES)[number];

/** How close to its end a grant in force is said to be expiring soon: 30 days. */
export const EXPIRING_SOON_SECONDS = 30 * 86_400;

/**
 * A grant's status at `now` (seconds), given whether it was revoked and whether a later grant to the same
 * grantee superseded it (a grant revoked, then granted anew, is revoked).
 */
export function grantStatusAt(grant: { readonly validFrom: number; readonly validUntil: number }, now: number, ended: { superseded?: boolean; revoked?: boolean } = {}): GrantStatus {
  if (ended.revoked) return "revoked";
  if (ended.superseded) return "superseded";
  if (grant.validFrom > now) return "not-yet-active";
  if (grant.validUntil <= now) return "expired";
  return grant.validUntil <= now + EXPIRING_SOON_SECONDS ? "expiring-soon" : "active";
}

/** A patient's grant rebuilt from events: the latest {ConsentGranted} per grantee, not revoked since. */
export interface GrantRecord extends GrantState {
  /** Who granted: the patient, or a delegate. */
  readonly grantedBy: string;
  /** The consent document's commitment. */
  readonly commitment: string;
  readonly blockNumber: number;
  readonly txHash: string;
  /** Whether it is in force at the latest block (started, not expired). */
  readonly inForce: boolean;
}

/** What {@link ConsentClient.appointDelegate} takes. */
export interface AppointParams {
  readonly delegate: string;
  readonly until: TimeInput;
  readonly classes: readonly (DataClassName | number)[];
  readonly purposes: readonly (PurposeName | number)[];
  readonly representative?: boolean;
}

/** A delegate's appointment: its term, the scope it may grant, and whether it is a full representative. */
export interface Delegation {
  readonly until: number;
  readonly classes: DataClassName[];
  readonly purposes: PurposeName[];
  readonly representative: boolean;
}

/** One permitted access: the patient's accounting of disclosures. */
export interface AccessRecord {
  readonly patient: string;
  readonly accessor: string;
  /** The organization it was permitted under (0n for a grant to the accessor's own account). */
  readonly orgId: bigint;
  readonly dataClass: DataClassName | number;
  readonly purpose: PurposeName | number;
  /** The record's access reference ({@link accessReference}): unlinkable without the record's salt and `nonce`. */
  readonly recordRef: string;
  /** The nonce the reference was made with, when this client made it (keep it with the access). */
  readonly nonce?: string;
  /** When, seconds since the epoch. */
  readonly at: number;
  readonly blockNumber: number;
  readonly txHash: string;
}

/** One event of a patient's consent history, readable. */
export interface HistoryEntry {
  readonly event:
    | "ConsentGranted"
    | "ConsentRevoked"
    | "DelegateAppointed"
    | "DelegateRemoved"
    | "SignaturesCancelled"
    | "BreakGlassOpened"
    | "BreakGlassOptOutSet"
    | "AccessLogged";
  readonly blockNumber: number;
  readonly logIndex: number;
  readonly txHash: string;
  readonly details: Readonly<Record<string, unknown>>;
}

/** A block range for event queries (default: from the deployment block to the latest). */
export interface BlockRange {
  readonly fromBlock?: number;
  readonly toBlock?: number | "latest";
}

/** Parameters of {@link ConsentClient.breakGlass}. */
export interface BreakGlassParams {
  readonly patient: string;
  readonly reason: BreakGlassReasonName | number;
  /** The salted commitment of this opening's written justification; never reused. */
  readonly reasonRef: string;
  /** Seconds, at most the governance window. */
  readonly duration: number;
}

/** Parameters of {@link ConsentClient.isPermitted} and {@link ConsentClient.logAccess}. */
export interface AccessParams {
  readonly patient: string;
  readonly dataClass: DataClassName | number;
  readonly purpose: PurposeName | number;
}

/**
 * Seconds since the epoch of a {@link TimeInput}: the SDK's one conversion of times (`requireTime`
 * in core/validate.ts), under the name the consent client has always used.
 * @throws {ValidationError} naming `field`
 */
export const toSeconds: (field: string, value: unknown) => number = requireTime;
