/**
 * What the DisclosureLog's custom errors mean, in sentences a person can act on.
 */
import { arg as s, type MessageTable } from "./base";

/** The DisclosureLog's errors, by name. */
export const DISCLOSURE_MESSAGES: MessageTable = {
  // DisclosureLog
  ZeroRoot: () => "a root of zero was given: anchor the root buildReceiptTree(receipts) computed",
  ReceiptCountOutOfRange: (a) => `${s(a.count)} receipts is not a count one root may hold (1 to ${s(a.max)}): give the number of receipts under the root, and split larger sets into several roots`,
  RootAlreadyAnchored: (a) =>
    `root ${s(a.root)} is already anchored by your organization (${s(a.orgId)}): these receipts are on chain and there is nothing to do (disclosures.anchorOf(root, orgId) says when and in which block)`,
  NotDisclosingMember: (a) => `${s(a.account)} is not a member of a provider, lab or pharmacy (organization ${s(a.orgId)}, kind ${s(a.kind)}): only organizations that hold records anchor their disclosures; send from the gateway's member account`,
  DisclosingOrganizationSuspended: (a) => `organization ${s(a.orgId)} of ${s(a.account)} is suspended: it may not disclose records until the registrar reinstates it`,
};
