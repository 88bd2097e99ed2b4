/**
 * CareLedger SDK: typed clients for the CareLedger contracts.
 *
 * ```ts
 * const careledger = await CareLedger.connect(signer);
 * const { orgId } = await (await careledger.participants.registerOrganization({ kind: "provider", metadata: profile, admin })).wait();
 * ```
 * @packageDocumentation
 */
export { CareLedger, type ConnectOptions } from "./careledger";
export {
  addressBookPath,
  DEFAULT_ADDRESS_BOOK_DIR,
  parseAddressBook,
  readAddressBook,
  SUITE_CONTRACTS,
  writeAddressBook,
  type AddressBook,
  type SuiteAddresses,
} from "./addressBook";
export {
  CareLedgerError,
  ContractRevertError,
  decodeRevertData,
  errorCode,
  findRevertData,
  REVERT_MESSAGES,
  suiteErrors,
  toCareLedgerError,
  UnsupportedChainError,
  ValidationError,
  withDecodedErrors,
} from "./errors";
export { canonicalJson, profileCommitment } from "./encoding";
export { FUNCTION_ROLES, Role, ROLE_LABELS, roleId, roleName, type ManagedContractName, type RoleName } from "./governance";
export { GovernanceClient, type ManagedCall } from "./governanceClient";
export {
  ParticipantsClient,
  type ActiveMembership,
  type MemberParams,
  type Membership,
  type Metadata,
  type Organization,
  type OrgParams,
  type RegisterOrganizationParams,
} from "./participants";
export { TxHandle, eventIn, eventsIn, send, type Confirmed } from "./tx";
export { ORG_KIND_NAMES, OrgKind, orgKindName, type OrgKindName } from "./vocab";
export {
  ConsentClient,
  toSeconds,
  type AccessParams,
  type AccessRecord,
  type BlockRange,
  type BreakGlassParams,
  type GranteeInput,
  type GrantParams,
  type GrantRecord,
  type GrantState,
  type HistoryEntry,
  type RevokeParams,
  type SignedGrant,
  type SignedRevocation,
  type SignOptions,
  type TimeInput,
} from "./consent";
export {
  accountGrantee,
  ALL_CLASSES_MASK,
  ALL_PURPOSES_MASK,
  BREAK_GLASS_REASONS,
  classMask,
  classNames,
  DATA_CLASSES,
  dataClassName,
  dataClassOf,
  GENERAL_CLASSES_MASK,
  GENERAL_DATA_CLASSES,
  granteeKey,
  ORGANIZATION_TAG,
  organizationGrantee,
  parseGrantee,
  purposeMask,
  purposeName,
  purposeNames,
  purposeOf,
  PURPOSES,
  reasonCodeOf,
  reasonName,
  SENSITIVE_CLASSES_MASK,
  SENSITIVE_DATA_CLASSES,
  type BreakGlassReasonName,
  type DataClassName,
  type Grantee,
  type ParsedGrantee,
  type PurposeName,
} from "./consentVocab";
export {
  consentDocumentCommitment,
  consentDomain,
  CONSENT_DOMAIN_NAME,
  CONSENT_DOMAIN_VERSION,
  GRANT_TYPES,
  grantDigest,
  newSalt,
  REVOCATION_TYPES,
  revocationDigest,
  signGrantRequest,
  signRevocationRequest,
  type GrantRequest,
  type RevocationRequest,
  type TypedDataSigner,
} from "./consentTypedData";
export { fromFhirConsent, FhirConsentError, type FhirConsentGrant, type FhirConsentImport, type FromFhirConsentOptions } from "./fhir/consent";
