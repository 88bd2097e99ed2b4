/**
 * What the ParticipantRegistry's custom errors mean, in sentences a person can act on.
 */
import { arg as s, type MessageTable } from "./base";

/** The ParticipantRegistry's errors, by name. */
export const PARTICIPANT_MESSAGES: MessageTable = {
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
};
