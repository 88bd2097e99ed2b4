/**
 * The records' vocabulary and types: retraction reasons, commitments, proofs, versions, what
 * verification finds, and the parameters of the records client.
 */
import type { BuildProgress } from "./merkle";

/** Why a version was retracted, as `IRecordRegistry.RetractionReason`. Never reorder. */
export enum RetractionReason {
  None = 0,
  EnteredInError = 1,
  WrongPatient = 2,
  Duplicate = 3,
  Other = 4,
}

/** What verification concludes about a record. */
/**
 * What {@link RecordsClient.verify} found. `proof-mismatch`: the proof handed in names another record
 * or version than the chain holds for the commitment (or a first version whose record id is not its
 * commitment): refused, never taken for the record's identity.
 */
export type RecordStatus = "anchored" | "superseded" | "retracted" | "not-anchored" | "proof-mismatch" | "unverifiable-salt-missing";

/** A record's identifiers, as {@link RecordsClient.commit} computes them. */
export interface RecordCommitment {
  /** The record's id: the commitment of its first version. */
  readonly recordId: string;
  /** This version's commitment. */
  readonly commitment: string;
  /** The record's salt: the secret that keeps the record private. Keep it off chain, with the record. */
  readonly salt: string;
}

/** One record's proof of inclusion in a batch (what the proofs file holds for each record). */
export interface RecordProof {
  /** The batch's Merkle root. */
  readonly root: string;
  /**
   * The organization that anchored the batch (batches are kept per organization). Set on the proofs
   * of a batch once anchored ({@link RecordsClient.anchorBatch}); when absent, readers look it up
   * from the chain's events and refuse an answer if more than one organization anchored the root.
   */
  readonly orgId?: bigint;
  readonly recordId: string;
  readonly version: number;
  readonly commitment: string;
  /** The sibling hashes, leaf to root (OpenZeppelin MerkleProof order). */
  readonly proof: readonly string[];
}

/** One anchored version, as the registry holds it. */
export interface RecordVersionInfo {
  readonly recordId: string;
  readonly commitment: string;
  readonly version: number;
  /** The organization that anchored this version. */
  readonly orgId: bigint;
  /** When it was anchored (seconds since the epoch; for a batch, the batch's time). */
  readonly anchoredAt: number;
  readonly retracted: boolean;
  readonly reason: RetractionReason;
  /** When it was retracted (0 when it was not). */
  readonly retractedAt: number;
}

/** One anchored version as the registry holds it, keyed by commitment (its record id is in its events). */
export type AnchoredVersion = Omit<RecordVersionInfo, "recordId">;

/** The answer of {@link RecordsClient.verify}. */
export interface VerificationResult {
  readonly status: RecordStatus;
  /** How the anchor was found: a single anchor (or a registered batch record), or a batch proof. */
  readonly via?: "single" | "batch";
  readonly recordId?: string;
  readonly commitment?: string;
  /** The version the resource is. */
  readonly version?: number;
  /** The record's current version (when known). */
  readonly currentVersion?: number;
  /** The organization that anchored this version. */
  readonly orgId?: bigint;
  /** When this version was anchored (seconds since the epoch). */
  readonly anchoredAt?: number;
  /** The batch root, when found through a batch proof. */
  readonly root?: string;
  /** The retraction, when the version is retracted. */
  readonly retraction?: { readonly reason: RetractionReason; readonly at: number };
}

/** Progress of a batch: committing the resources, then building the tree. */
export interface RecordBatchProgress {
  readonly phase: "commit" | BuildProgress["phase"];
  readonly done: number;
  readonly total: number;
}

/** One item of a batch: a resource and, optionally, its salt (a fresh one is drawn otherwise). */
export interface RecordBatchItem {
  readonly resource: object;
  readonly salt?: string;
}

/** Parameters of {@link RecordsClient.anchor}: a resource (committed here) or a commitment. */
export type AnchorParams = { readonly resource: object; readonly salt?: string } | { readonly commitment: string };

/** Parameters of {@link RecordsClient.amend}. */
export interface AmendParams {
  /** The record's id (the commitment of its first version). */
  readonly recordId: string;
  /** The version this one supersedes: the current one, or the call reverts with `StaleVersion`. */
  readonly supersedes: number;
  /** The new version's resource and the record's salt... */
  readonly resource?: object;
  readonly salt?: string;
  /** ...or its commitment. */
  readonly commitment?: string;
  /** When the record was anchored in a batch and never registered: its proof, registered first. */
  readonly genesisProof?: RecordProof;
}

/** Parameters of {@link RecordsClient.retract}. */
export interface RetractParams {
  /** The version's commitment, or its resource and salt. */
  readonly commitment?: string;
  readonly resource?: object;
  readonly salt?: string;
  readonly reason: RetractionReason | keyof typeof RetractionReason | Uncapitalize<keyof typeof RetractionReason>;
  /** When the version was anchored in a batch and never registered: its proof, registered first. */
  readonly proof?: RecordProof;
}
