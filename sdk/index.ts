/**
 * CareLedger SDK: typed clients for the CareLedger contracts.
 *
 * ```ts
 * const careledger = await CareLedger.connect(signer);
 * const { orgId } = await (await careledger.participants.registerOrganization({ kind: "provider", metadata: profile, admin })).wait();
 * ```
 * @packageDocumentation
 */
export { CareLedger, type ConnectOptions, type PasskeyAccounts } from "./careledger";

// core/: what every part's client is built on
export {
  ACCOUNT_CONTRACTS,
  addressBookDirs,
  addressBookPath,
  DEFAULT_ADDRESS_BOOK_DIR,
  findAddressBook,
  parseAddressBook,
  readAddressBook,
  SUITE_CONTRACTS,
  writeAddressBook,
  type AccountAddresses,
  type AddressBook,
  type SuiteAddresses,
} from "./core/addressBook";
export { TxHandle, eventIn, eventsIn, send, waitForPendingTransactions, type Confirmed } from "./core/tx";
export { DEFAULT_LOG_RANGE, isRangeRefusal, readLogs, type LogReadOptions } from "./core/logs";
export { IndexerSource, IndexerUnavailableError, type IndexerLog, type IndexerOptions } from "./core/indexer";
export { ManagedClient, requireSigner, type PausableContract } from "./core/client";
export { canonicalJson, newSalt, requireSalt, saltedCommitment } from "./core/encoding";
export { requireTime as toSeconds, type TimeInput } from "./core/validate";
export { fhirIssues, requireFhirResource, type FhirIssue } from "./core/fhirValidation";

// errors/
export {
  CareLedgerError,
  ContractRevertError,
  decodeRevertData,
  errorCode,
  findRevertData,
  findInsufficientFunds,
  findTransportFailure,
  InsufficientFundsError,
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

// participants/
export {
  ParticipantsClient,
  type ActiveMembership,
  type MemberParams,
  type Membership,
  type Metadata,
  type Organization,
  type OrgParams,
  type RegisterOrganizationParams,
} from "./participants/client";
export { ORG_KIND_NAMES, OrgKind, orgKindName, type OrgKindName } from "./participants/vocab";
export { profileCommitment } from "./participants/encoding";

// consent/
export { ConsentClient } from "./consent/client";
export {
  type AccessParams,
  type AccessRecord,
  type Delegation,
  type BlockRange,
  type BreakGlassParams,
  type GranteeInput,
  type GrantParams,
  type GrantRecord,
  type GrantState,
  type GrantStatus,
  EXPIRING_SOON_SECONDS,
  GRANT_STATUSES,
  grantStatusAt,
  type HistoryEntry,
  type RevokeParams,
  type SignedGrant,
  type SignedRevocation,
  type SignedDelegation,
  type SignedDelegateRemoval,
  type SignOptions,
} from "./consent/params";
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
} from "./consent/vocab";
export {
  consentDomain,
  CONSENT_DOMAIN_NAME,
  CONSENT_DOMAIN_VERSION,
  GRANT_TYPES,
  grantDigest,
  REVOCATION_TYPES,
  revocationDigest,
  DELEGATION_TYPES,
  DELEGATE_REMOVAL_TYPES,
  signGrantRequest,
  signRevocationRequest,
  signDelegationRequest,
  signDelegateRemovalRequest,
  type GrantRequest,
  type RevocationRequest,
  type DelegationRequest,
  type DelegateRemovalRequest,
  type TypedDataSigner,
} from "./consent/typedData";
export {
  DisclosuresClient,
  type AnchorDisclosuresParams,
  type DisclosureAnchor,
  type ReceiptVerification,
  type VerifyReceiptParams,
} from "./consent/disclosures";
export { ACCESS_REFERENCE_DOMAIN, accessReference, CONSENT_DOCUMENT_DOMAIN, consentDocumentCommitment } from "./consent/encoding";
export { ACCESS_REF_SYSTEM, accessAuditEvent, DATA_CLASS_SYSTEM, type AuditSource } from "./consent/audit";
export { fromFhirConsent, FhirConsentError, type FhirConsentGrant, type FhirConsentImport, type FromFhirConsentOptions } from "./consent/fhir";
export { toFhirConsent, type ToFhirConsentOptions } from "./consent/fhirExport";
export {
  classifyResource,
  RELEASABLE_RESOURCE_TYPES,
  type ClassBasis,
  type ReleasableResource,
  type ResourceClassification,
  type WithheldResource,
} from "./consent/resourceClasses";

// records/
export { RecordsClient } from "./records/client";
export { RecordBatch } from "./records/batch";
export {
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
} from "./records/types";
export { RECORD_COMMITMENT_DOMAIN, RECORD_LEAF_ENCODING, recordCommitment, recordLeafHash, recordLeafValues, type RecordLeafFields } from "./records/encoding";
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
} from "./records/merkle";

// exchange/: records from a holder's gateway, verified; what the gateway writes and anchors
export {
  ExchangeError,
  type ExchangeOptions,
  type GatewayTarget,
  type PatientReceipt,
  type ReceiptsPage,
  type VerifiedPage,
  type VerifiedResource,
} from "./exchange/client";
export {
  buildReceiptTree,
  receiptTree,
  MAX_RECEIPTS_PER_ROOT,
  RECEIPT_LEAF_TYPES,
  receiptFromJson,
  receiptLeaf,
  checkReceipts,
  receiptValues,
  verifyReceiptProof,
  type DisclosureReceipt,
  type ReceiptTree,
  type ReceiptValues,
} from "./exchange/receipts";

// exchange/relayActions, exchange/relayer: signed consent actions and passkey accounts' batches handed to a relayer (npm run relayer), and its client
export {
  ACTION_TYPES,
  actionBody,
  actionDigest,
  actionFromJson,
  actionPatient,
  CONSENT_ACTION_KINDS,
  RELAY_ACTION_KINDS,
  type AccountDeployment,
  type AccountExecuteAction,
  type ActionBinding,
  type ActionBody,
  type CallJson,
  type ConsentActionKind,
  type ReadSignedAction,
  type RelayAction,
  type RelayActionKind,
  type SignedAction,
} from "./exchange/relayActions";
export { RelayerClient, RelayerError, type ActionStatus, type RelayedAction, type RelayerClientOptions, type RelayerProblem } from "./exchange/relayer";

// claims/
export { ClaimsClient, toClaimResponse, toExplanationOfBenefit } from "./claims/client";
export { claimHistoryFrom, claimStateFrom, claimStatusFrom, CLAIM_EVENT_KINDS, type ClaimEventLog, type ClaimEventLogs } from "./claims/history";
export { CARC, CLAIM_STATUS_NAMES, claimStatusName, ClaimStatus, CODE_SYSTEMS, COST_SHARING_NAMES, CostSharing, MAX_BATCH, MAX_LINES } from "./claims/vocab";
export {
  type AdjudicationResult,
  type BenefitRule,
  type ClaimFilter,
  type ClaimHistory,
  type ClaimListing,
  type ClaimLine,
  type ClaimRecord,
  type ClaimState,
  type ClaimSubmission,
  type LineDecisionInput,
  type LineOutcome,
  type PlanTerms,
  type PlanTermsInput,
  type ParkedRelease,
} from "./claims/types";
export {
  claimIdOf,
  parseProcedureCode,
  procedureCode,
  recordFromHistory,
  recordHashOf,
  serviceKeyOf,
  sumOutcomes,
  toRecordStruct,
  toSubmissionStruct,
} from "./claims/encoding";
export { anniversaryOf, claimStatusOf, dayTimestamp, lineCeiling, toUnits, validateSubmission } from "./claims/rules";
export { planFromJson, type PlanFile } from "./claims/planFile";
export {
  claimResponseFrom,
  claimsIn,
  explanationOfBenefitFrom,
  fromFhirClaim,
  readClaimsFile,
  type FhirClaimResolver,
  type FhirOutputOptions,
  type FhirReference,
  type FhirResource,
  type FromFhirClaimOptions,
} from "./claims/fhir";

// governance/
export { FUNCTION_ROLES, Role, ROLE_LABELS, roleId, roleName, type ManagedContractName, type RoleName } from "./governance/roles";
export { GovernanceClient, type ManagedCall } from "./governance/client";

// accounts/: patients' passkey accounts (WebAuthn, ERC-7913 signers, ERC-7739, signed batches)
export {
  addGuardianCall,
  addPasskeyCall,
  breakGlassOptOutCall,
  cancelRecoveryCall,
  MAX_ACCOUNT_CALLS,
  PatientAccountClient,
  PatientAccountFactoryClient,
  RECOVERY_DELAY_SECONDS,
  removeGuardianCall,
  removePasskeyCall,
  requireCalls,
  type ExecuteParams,
  type PendingRecovery,
  type SignedExecution,
} from "./accounts/client";
export { PasskeySigner, type PasskeySignerOptions } from "./accounts/signer";
export {
  ACCOUNT_DOMAIN_NAME,
  ACCOUNT_DOMAIN_VERSION,
  accountDomain,
  EXECUTE_TYPES,
  executeDigest,
  nestPersonalMessage,
  nestTypedData,
  type AccountCall,
  type ExecuteRequest,
  type NestedTypedData,
} from "./accounts/typedData";
export {
  base64url,
  checkAssertion,
  encodeMultiSignature,
  encodeWebAuthnSignature,
  fromBase64url,
  P256_HALF_N,
  P256_N,
  passkeyFromSpki,
  passkeySigner,
  requirePasskey,
  signatureRS,
  type AssertFunction,
  type PasskeyPublicKey,
  type WebAuthnAssertion,
} from "./accounts/webauthn";
