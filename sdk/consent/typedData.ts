/**
 * The consent registry's EIP-712 typed data, written once and used by the SDK, the contract tests,
 * the tasks and the demo. (The consent-document commitment is `consentDocumentCommitment` in
 * `encoding.ts`, beside every other commitment.)
 */
import { TypedDataEncoder, type TypedDataDomain, type TypedDataField } from "ethers";

/** The EIP-712 domain name of the ConsentRegistry. */
export const CONSENT_DOMAIN_NAME = "CareLedger ConsentRegistry";
/** The EIP-712 domain version of the ConsentRegistry (its `VERSION`). */
export const CONSENT_DOMAIN_VERSION = "2.0.0";

/** The EIP-712 types of a signed grant. */
export const GRANT_TYPES: Record<string, TypedDataField[]> = {
  Grant: [
    { name: "patient", type: "address" },
    { name: "grantee", type: "bytes32" },
    { name: "classes", type: "uint32" },
    { name: "purposes", type: "uint8" },
    { name: "validFrom", type: "uint40" },
    { name: "validUntil", type: "uint40" },
    { name: "commitment", type: "bytes32" },
    { name: "nonce", type: "uint64" },
    { name: "epoch", type: "uint64" },
    { name: "deadline", type: "uint256" },
  ],
};

/** The EIP-712 types of a signed revocation. A distinct type: a grant signature never verifies as one. */
export const REVOCATION_TYPES: Record<string, TypedDataField[]> = {
  Revocation: [
    { name: "patient", type: "address" },
    { name: "grantee", type: "bytes32" },
    { name: "nonce", type: "uint64" },
    { name: "epoch", type: "uint64" },
    { name: "deadline", type: "uint256" },
  ],
};

/** The EIP-712 types of a signed appointment of a delegate. */
export const DELEGATION_TYPES: Record<string, TypedDataField[]> = {
  Delegation: [
    { name: "patient", type: "address" },
    { name: "delegate", type: "address" },
    { name: "until", type: "uint40" },
    { name: "classes", type: "uint32" },
    { name: "purposes", type: "uint8" },
    { name: "representative", type: "bool" },
    { name: "nonce", type: "uint64" },
    { name: "epoch", type: "uint64" },
    { name: "deadline", type: "uint256" },
  ],
};

/** The EIP-712 types of a signed removal of a delegate. */
export const DELEGATE_REMOVAL_TYPES: Record<string, TypedDataField[]> = {
  DelegateRemoval: [
    { name: "patient", type: "address" },
    { name: "delegate", type: "address" },
    { name: "nonce", type: "uint64" },
    { name: "epoch", type: "uint64" },
    { name: "deadline", type: "uint256" },
  ],
};

/** The message of a signed grant, as the contract's `GrantRequest`. */
export interface GrantRequest {
  readonly patient: string;
  readonly grantee: string;
  readonly classes: number;
  readonly purposes: number;
  readonly validFrom: number;
  readonly validUntil: number;
  readonly commitment: string;
  /** The current nonce of the (patient, grantee) pair (`nonces(patient, grantee)`). */
  readonly nonce: bigint;
  /** The patient's current signature epoch (`signatureEpoch(patient)`). */
  readonly epoch: bigint;
  /** The last second at which it may be submitted. */
  readonly deadline: bigint;
}

/** The message of a signed revocation, as the contract's `RevocationRequest`. */
export interface RevocationRequest {
  readonly patient: string;
  readonly grantee: string;
  readonly nonce: bigint;
  readonly epoch: bigint;
  readonly deadline: bigint;
}

/** The message of a signed appointment, as the contract's `DelegationRequest`. */
export interface DelegationRequest {
  readonly patient: string;
  readonly delegate: string;
  readonly until: number;
  readonly classes: number;
  readonly purposes: number;
  readonly representative: boolean;
  /** The (patient, delegate) pair's current nonce (`delegationOf(patient, delegate).nonce`). */
  readonly nonce: bigint;
  readonly epoch: bigint;
  readonly deadline: bigint;
}

/** The message of a signed removal of a delegate, as the contract's `DelegateRemovalRequest`. */
export interface DelegateRemovalRequest {
  readonly patient: string;
  readonly delegate: string;
  readonly nonce: bigint;
  readonly epoch: bigint;
  readonly deadline: bigint;
}

/** The ConsentRegistry's EIP-712 domain on `chainId` at `verifyingContract`. */
export function consentDomain(chainId: bigint | number, verifyingContract: string): TypedDataDomain {
  return { name: CONSENT_DOMAIN_NAME, version: CONSENT_DOMAIN_VERSION, chainId, verifyingContract };
}

/** The digest the patient signs for a grant. */
export function grantDigest(domain: TypedDataDomain, request: GrantRequest): string {
  return TypedDataEncoder.hash(domain, GRANT_TYPES, request);
}

/** The digest the patient signs for a revocation. */
export function revocationDigest(domain: TypedDataDomain, request: RevocationRequest): string {
  return TypedDataEncoder.hash(domain, REVOCATION_TYPES, request);
}

/** Anything that can sign EIP-712 typed data (an ethers Signer or Wallet). */
export interface TypedDataSigner {
  signTypedData(domain: TypedDataDomain, types: Record<string, TypedDataField[]>, value: Record<string, unknown>): Promise<string>;
}

/** Signs a grant request with `signer` (the patient's key, or the key behind its smart account). */
export function signGrantRequest(signer: TypedDataSigner, domain: TypedDataDomain, request: GrantRequest): Promise<string> {
  return signer.signTypedData(domain, GRANT_TYPES, { ...request });
}

/** Signs an appointment of a delegate with `signer` (the patient's key). */
export function signDelegationRequest(signer: TypedDataSigner, domain: TypedDataDomain, request: DelegationRequest): Promise<string> {
  return signer.signTypedData(domain, DELEGATION_TYPES, { ...request });
}

/** Signs a removal of a delegate with `signer` (the patient's key). */
export function signDelegateRemovalRequest(signer: TypedDataSigner, domain: TypedDataDomain, request: DelegateRemovalRequest): Promise<string> {
  return signer.signTypedData(domain, DELEGATE_REMOVAL_TYPES, { ...request });
}

/** Signs a revocation request with `signer`. */
export function signRevocationRequest(signer: TypedDataSigner, domain: TypedDataDomain, request: RevocationRequest): Promise<string> {
  return signer.signTypedData(domain, REVOCATION_TYPES, { ...request });
}

