/**
 * What the RecordRegistry's custom errors mean, in sentences a person can act on.
 */
import { arg as s, type MessageTable } from "./base";

/** The RecordRegistry's errors, by name. */
export const RECORD_MESSAGES: MessageTable = {
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
};
