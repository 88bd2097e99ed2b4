/**
 * A patient's passkey account as an ethers `Signer`: every SDK function that signs typed data for the
 * patient (`careledger.consent.signGrant`, `signRevoke`, `signAppointDelegate`…) works with it unchanged.
 * It signs through an injected authenticator ({@link AssertFunction}: `navigator.credentials.get` in the
 * browser, a software authenticator in tests) and answers as its account does: ERC-7739-nested for
 * another application's typed data, raw for the account's own digests. It never sends a transaction:
 * a relayer submits what it signed.
 */
import { AbstractSigner, concat, getBytes, type Provider, type TransactionRequest, type TypedDataDomain, type TypedDataField } from "ethers";
import { CareLedgerError, ValidationError } from "../errors";
import { requireAddress } from "../core/validate";
import { accountDomain, executeDigest, nestPersonalMessage, nestTypedData, type ExecuteRequest } from "./typedData";
import { checkAssertion, encodeMultiSignature, encodeWebAuthnSignature, passkeySigner, requirePasskey, type AssertFunction, type PasskeyPublicKey } from "./webauthn";

/** What a {@link PasskeySigner} signs for. */
export interface PasskeySignerOptions {
  /** The patient's account (deployed, or its predicted address: `PatientAccountFactoryClient.predictAddress`). */
  readonly account: string;
  /** The passkey's public key, one of the account's passkeys. */
  readonly passkey: PasskeyPublicKey;
  /** The WebAuthn verifier the account checks passkeys with (`webAuthnVerifier()`, the address book's `WebAuthnVerifier`). */
  readonly verifier: string;
  /** The authenticator that signs a challenge. */
  readonly assert: AssertFunction;
  /** The chain id (default: the provider's). */
  readonly chainId?: bigint | number;
}

/** An ethers Signer whose key is a passkey of a PatientAccount. */
export class PasskeySigner extends AbstractSigner {
  /** The account this signer signs for: its address is the signer's address. */
  readonly account: string;
  /** The passkey that signs. */
  readonly passkey: PasskeyPublicKey;
  /** The passkey as an ERC-7913 signer (`verifier ‖ x ‖ y`). */
  readonly erc7913Signer: string;
  readonly #options: PasskeySignerOptions;

  /**
   * @param options the account, its passkey, the verifier and the authenticator
   * @param provider where the consent and account clients read nonces and the chain id
   * @throws {ValidationError} naming the option
   */
  constructor(options: PasskeySignerOptions, provider: Provider | null = null) {
    super(provider);
    if (typeof options?.assert !== "function") throw new ValidationError("assert", "must be a function (challenge) => Promise<WebAuthnAssertion>");
    this.account = requireAddress("account", options.account);
    this.passkey = requirePasskey("passkey", options.passkey);
    this.erc7913Signer = passkeySigner(options.verifier, this.passkey);
    this.#options = options;
  }

  /** The same signer, reading through `provider`. */
  connect(provider: Provider | null): PasskeySigner {
    return new PasskeySigner(this.#options, provider);
  }

  /** The account's address. */
  async getAddress(): Promise<string> {
    return this.account;
  }

  /**
   * Never: a passkey account holds no ETH and sends nothing; a relayer submits what it signed
   * (`consent.submitGrant`, `PatientAccountClient.submitExecute`).
   * @throws {CareLedgerError} `PASSKEY_CANNOT_SEND`
   */
  async signTransaction(_tx: TransactionRequest): Promise<string> {
    throw new CareLedgerError("PASSKEY_CANNOT_SEND", "a passkey account does not send transactions: sign the action and let a relayer submit it");
  }

  /** A message signed as ERC-7739's `PersonalSign` in the account's domain (ERC-1271 `isValidSignature(hashMessage(message), sig)`). */
  async signMessage(message: string | Uint8Array): Promise<string> {
    return this.signDigest(nestPersonalMessage(message, accountDomain(await this.chainId(), this.account)));
  }

  /**
   * Another application's typed data (a consent grant…), nested by ERC-7739 in the account's domain:
   * the signature its ERC-1271 check accepts for `TypedDataEncoder.hash(domain, types, value)`.
   * @throws {ValidationError} naming the field, when the types cannot be nested or the authenticator's answer is not for this digest
   */
  async signTypedData(domain: TypedDataDomain, types: Record<string, TypedDataField[]>, value: Record<string, unknown>): Promise<string> {
    const nested = nestTypedData(domain, types, value, accountDomain(await this.chainId(), this.account));
    return concat([await this.signDigest(nested.digest), nested.suffix]);
  }

  /** A signed batch of calls for the account's `executeBySig`. */
  async signExecute(request: ExecuteRequest): Promise<string> {
    return this.signDigest(executeDigest(await this.chainId(), this.account, request));
  }

  /**
   * `digest` signed as the account checks its own digests (`executeBySig`, an ERC-4337 user operation's hash):
   * the assertion for the challenge `digest`, as `abi.encode([signer], [WebAuthnAuth])`.
   * @throws {ValidationError} naming the assertion's field when the authenticator's answer would be refused
   */
  async signDigest(digest: string): Promise<string> {
    const challenge = getBytes(digest);
    const assertion = await this.#options.assert(challenge);
    checkAssertion(assertion, challenge);
    return encodeMultiSignature(this.erc7913Signer, encodeWebAuthnSignature(assertion));
  }

  /**
   * The chain the account is on: the option, else the provider's.
   * @throws {CareLedgerError} `NO_PROVIDER` when there is neither
   */
  async chainId(): Promise<bigint> {
    if (this.#options.chainId !== undefined) return BigInt(this.#options.chainId);
    if (!this.provider) throw new CareLedgerError("NO_PROVIDER", "a PasskeySigner needs a provider or the chainId option");
    return (await this.provider.getNetwork()).chainId;
  }
}
