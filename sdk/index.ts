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
  findTransportFailure,
  NodeUnreachableError,
  NonceGapError,
  REVERT_MESSAGES,
  suiteErrors,
  toCareLedgerError,
  TransactionDroppedError,
  TransactionReplacedError,
  TransactionRevertedError,
  UnsupportedChainError,
  ValidationError,
  withDecodedErrors,
} from "./errors";
export { canonicalJson, profileCommitment } from "./encoding";
export {
  CONSENT_DOCUMENT_DOMAIN,
  consentDocumentCommitment,
  newSalt,
  RECORD_COMMITMENT_DOMAIN,
  RECORD_LEAF_ENCODING,
  recordCommitment,
  recordLeafHash,
  recordLeafValues,
  requireSalt,
  saltedCommitment,
  type RecordLeafFields,
} from "./encoding";
export {
  FastMerkleTree,
  jsKeccakEngine,
  keccakEngine,
  leafEncoder,
  type BuildOptions,
  type BuildProgress,
  type Keccak256,
  type LeafEncoder,
  type StandardMerkleTreeDump,
} from "./merkle";
export {
  RecordBatch,
  RecordsClient,
  RetractionReason,
  type AmendParams,
  type AnchoredVersion,
  type AnchorParams,
  type RecordBatchItem,
  type RecordBatchProgress,
  type RecordCommitment,
  type RecordProof,
  type RecordStatus,
  type RecordVersionInfo,
  type RetractParams,
  type VerificationResult,
} from "./records";
export {
  CARC,
  ClaimsClient,
  ClaimStatus,
  claimIdOf,
  CODE_SYSTEMS,
  dayTimestamp,
  lineCeiling,
  parseProcedureCode,
  planFromJson,
  procedureCode,
  recordFromHistory,
  recordHashOf,
  sumOutcomes,
  toRecordStruct,
  toSubmissionStruct,
  toUnits,
  validateSubmission,
  type AdjudicationResult,
  type BenefitRule,
  type ClaimHistory,
  type ClaimLine,
  type ClaimRecord,
  type ClaimState,
  type ClaimSubmission,
  type LineDecisionInput,
  type LineOutcome,
  type PlanFile,
  type PlanTerms,
} from "./claims";
export {
  claimResponseFrom,
  claimsIn,
  explanationOfBenefitFrom,
  fromFhirClaim,
  readClaimsFile,
  toClaimResponse,
  toExplanationOfBenefit,
  type FhirClaimResolver,
  type FhirOutputOptions,
  type FhirReference,
  type FhirResource,
  type FromFhirClaimOptions,
} from "./fhir/claim";
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
export { ManagedClient, requireSigner, type PausableContract } from "./client";
export { waitForPendingTransactions } from "./tx";
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
  consentDomain,
  CONSENT_DOMAIN_NAME,
  CONSENT_DOMAIN_VERSION,
  GRANT_TYPES,
  grantDigest,
  REVOCATION_TYPES,
  revocationDigest,
  signGrantRequest,
  signRevocationRequest,
  type GrantRequest,
  type RevocationRequest,
  type TypedDataSigner,
} from "./consentTypedData";
export { fromFhirConsent, FhirConsentError, type FhirConsentGrant, type FhirConsentImport, type FromFhirConsentOptions } from "./fhir/consent";
