/**
 * Closed vocabularies shared with the contracts. The numeric values are the Solidity enum values and
 * must never be reordered.
 */

/** The kind of an organization, as `IParticipantRegistry.OrgKind`. */
export enum OrgKind {
  None = 0,
  Provider = 1,
  Lab = 2,
  Pharmacy = 3,
  Insurer = 4,
  Researcher = 5,
  Regulator = 6,
}

/** The kinds an organization can be registered as, lower-case, as the tasks accept them. */
export const ORG_KIND_NAMES = ["provider", "lab", "pharmacy", "insurer", "researcher", "regulator"] as const;

/** A lower-case organization kind name. */
export type OrgKindName = (typeof ORG_KIND_NAMES)[number];

/** Returns the lower-case name of an organization kind (`"none"` for {@link OrgKind.None}). */
export function orgKindName(kind: OrgKind): OrgKindName | "none" {
  return kind === OrgKind.None ? "none" : ORG_KIND_NAMES[kind - 1];
}
