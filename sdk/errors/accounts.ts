/**
 * What the passkey accounts' custom errors mean (PatientAccount, and the OpenZeppelin account, signer,
 * nonce and ERC-7821 errors it inherits; PatientAccountFactory), in sentences a person can act on.
 */
import { arg as s, type MessageTable } from "./base";

/** The passkey accounts' errors, by name. */
export const ACCOUNT_MESSAGES: MessageTable = {
  // PatientAccount
  InvalidPasskey: (a) => `(${s(a.x)}, ${s(a.y)}) is not a P-256 public key: take the passkey's key from its registration (passkeyFromSpki(response.getPublicKey()))`,
  PasskeyAlreadyAdded: (a) => `the passkey ${s(a.x)} already signs for this account`,
  UnknownPasskey: (a) => `the passkey ${s(a.x)} does not sign for this account: check accounts.at(account).isPasskey(passkey)`,
  LastPasskey: (a) => `the passkey ${s(a.x)} is the account's last one: add another passkey (or let a guardian recover one) before removing it`,
  InvalidGuardian: (a) => `${s(a.guardian)} cannot be a guardian: not the zero address, nor the account itself`,
  GuardianAlreadyAdded: (a) => `${s(a.guardian)} is already a guardian of this account`,
  UnknownGuardian: (a) => `${s(a.guardian)} is not a guardian of this account: the patient appoints guardians first`,
  RecoveryAlreadyPending: (a) => `guardian ${s(a.guardian)} already proposed a passkey, which may take effect from ${s(a.readyAt)}: complete or cancel it first`,
  NoRecoveryPending: () => "no recovery is pending: a guardian proposes one first",
  RecoveryNotReady: (a) => `the proposed passkey may take effect only from ${s(a.readyAt)} (it is ${s(a.currentTime)}): wait for the delay, during which the patient may cancel it`,
  RecoveryExpired: (a) => `the proposed passkey could be added only until ${s(a.expiredAt)} (it is ${s(a.currentTime)}): a guardian proposes it again`,
  NotRecoveryCanceller: (a) => `${s(a.caller)} may not cancel the recovery guardian ${s(a.guardian)} proposed: the patient (a batch signed by a passkey) or that guardian may`,
  ExecutionExpired: (a) => `the signed batch expired at ${s(a.deadline)} (it is ${s(a.currentTime)}): have the passkey sign it again`,
  InvalidBatchSize: (a) => `a signed batch holds ${s(a.count)} calls; it must hold 1 to ${s(a.max)}`,
  InvalidExecutionSignature: (a) => `the signature is not one of the account's passkeys' over the batch ${s(a.digest)}: signed for another account, chain or batch, by a removed passkey, or a malformed WebAuthn assertion`,
  InvalidVerifier: (a) => `${s(a.verifier)} has no code: it cannot be the WebAuthn verifier`,
  // OpenZeppelin's Account, Nonces, Initializable, MultiSignerERC7913 and ERC-7821/7579
  AccountUnauthorized: (a) => `${s(a.sender)} may not manage this account: only the account itself (a batch its passkey signed) or the ERC-4337 entry point may`,
  InvalidAccountNonce: (a) => `the batch's nonce is not the account's next one (${s(a.currentNonce)}): it was used already, or another batch must come first; sign with accounts.at(account).nonce()`,
  InvalidInitialization: () => "the account is initialized already (or is the implementation, which never is)",
  NotInitializing: () => "the account is not being initialized",
  MultiSignerERC7913AlreadyExists: (a) => `the signer ${s(a.signer)} already signs for this account`,
  MultiSignerERC7913InvalidSigner: (a) => `the signer ${s(a.signer)} is shorter than 20 bytes`,
  MultiSignerERC7913NonexistentSigner: (a) => `the signer ${s(a.signer)} does not sign for this account`,
  MultiSignerERC7913UnreachableThreshold: (a) => `${s(a.signers)} signers cannot reach the threshold ${s(a.threshold)}`,
  MultiSignerERC7913ZeroThreshold: () => "the threshold of signers cannot be zero",
  UnsupportedExecutionMode: () => "the ERC-7821 execution mode is not supported: use a batch (0x01) with the default execution type",
  ERC7579DecodingError: () => "the ERC-7821 batch does not decode",
  ERC7579UnsupportedExecType: (a) => `the ERC-7579 execution type ${s(a.execType)} is not supported`,
  OutOfRangeAccess: () => "an index past the end of a list was asked for",
  // PatientAccountFactory (OpenZeppelin's Clones)
  FailedDeployment: () => "the account could not be created",
  UnsafeTarget: (a) => `the factory calls only the account it creates or the consent registry, not ${s(a.target)}`,
};
