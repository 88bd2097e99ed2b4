/**
 * CareLedger's own FHIR identifier systems, written once: the SDK's FHIR outputs, the gateway and the
 * tests all name accounts and organizations with these.
 */

/** The identifier system of an Ethereum account (`value`: the 0x address), e.g. on a Patient. */
export const ACCOUNT_SYSTEM = "urn:careledger:account";
/** The identifier system of an organization of the participant registry (`value`: its id, decimal). */
export const ORG_SYSTEM = "urn:careledger:organization";
/** The identifier system of a transaction (`value`: the 32-byte hex hash; its chain is the resource's `meta.source`). */
export const TRANSACTION_SYSTEM = "urn:careledger:transaction";
/** The identifier system of a document by its salted commitment (`value`: the 32-byte hex commitment; the document itself stays off chain). */
export const COMMITMENT_SYSTEM = "urn:careledger:commitment";
