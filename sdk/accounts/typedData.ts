/**
 * The passkey account's EIP-712 typed data, written once: its own domain, the signed batch
 * (`Execute`) that {@link PatientAccountClient.submitExecute} relays, and ERC-7739's nesting of another
 * application's typed data (`TypedDataSign`) or of a plain message (`PersonalSign`), which is how the
 * account answers ERC-1271 for that application without the signature being replayable on another
 * account of the same passkey.
 */
import { concat, hashMessage, keccak256, solidityPacked, toUtf8Bytes, TypedDataEncoder, ZeroHash, type TypedDataDomain, type TypedDataField } from "ethers";
import { ValidationError } from "../errors";

/** The EIP-712 domain name of a PatientAccount. */
export const ACCOUNT_DOMAIN_NAME = "CareLedger PatientAccount";
/** The EIP-712 domain version of a PatientAccount (its `VERSION`). */
export const ACCOUNT_DOMAIN_VERSION = "1";

/** The EIP-712 types of a signed batch of calls. */
export const EXECUTE_TYPES: Record<string, TypedDataField[]> = {
  Execute: [
    { name: "calls", type: "Call[]" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
  Call: [
    { name: "target", type: "address" },
    { name: "value", type: "uint256" },
    { name: "data", type: "bytes" },
  ],
};

/** One call of a signed batch, as the contract's `Call`. */
export interface AccountCall {
  readonly target: string;
  readonly value: bigint;
  readonly data: string;
}

/** A signed batch's message, as the contract's `executeBySig` arguments. */
export interface ExecuteRequest {
  readonly calls: readonly AccountCall[];
  /** A keyed nonce of the account: `key << 64 | sequence` (`nonces(account, key)`). */
  readonly nonce: bigint;
  /** The last second at which it may be submitted. */
  readonly deadline: bigint;
}

/**
 * The account's EIP-712 domain, as its `eip712Domain()` gives it (with the zero salt ERC-7739 encodes).
 * The chain id and the account's address bind every signature to this account on this chain.
 */
export function accountDomain(chainId: bigint | number, account: string): Required<Pick<TypedDataDomain, "name" | "version" | "chainId" | "verifyingContract" | "salt">> {
  return { name: ACCOUNT_DOMAIN_NAME, version: ACCOUNT_DOMAIN_VERSION, chainId: BigInt(chainId), verifyingContract: account, salt: ZeroHash };
}

/** The digest a passkey signs for a batch (the account's own domain, without the salt it does not use). */
export function executeDigest(chainId: bigint | number, account: string, request: ExecuteRequest): string {
  const { salt: _salt, ...domain } = accountDomain(chainId, account);
  return TypedDataEncoder.hash(domain, EXECUTE_TYPES, { calls: request.calls.map((c) => ({ ...c })), nonce: request.nonce, deadline: request.deadline });
}

/** What ERC-7739 appends to a signature over an application's typed data, and the digest the passkey signs. */
export interface NestedTypedData {
  /** The digest the passkey signs: the application's domain over `TypedDataSign(contents, account domain)`. */
  readonly digest: string;
  /** `appSeparator ‖ contentsHash ‖ contentsDescr ‖ uint16(contentsDescr.length)`, appended to the signature. */
  readonly suffix: string;
}

/**
 * ERC-7739's nesting of an application's typed data (`domain`, `types`, `value`, e.g. a consent grant)
 * in the account's domain: the `TypedDataSign` digest the passkey signs and the suffix the account
 * needs to rebuild it from the application's hash. The descriptor is in implicit mode when the contents'
 * type sorts first among its types, else in explicit mode (`types ‖ name`), as ERC-7739 requires.
 * @throws {ValidationError} naming `types` when they are not one EIP-712 struct with its dependencies
 */
export function nestTypedData(
  domain: TypedDataDomain,
  types: Record<string, TypedDataField[]>,
  value: Record<string, unknown>,
  account: ReturnType<typeof accountDomain>,
): NestedTypedData {
  let encoder: TypedDataEncoder;
  try {
    encoder = TypedDataEncoder.from(types);
  } catch (err) {
    throw new ValidationError("types", `not EIP-712 types: ${(err as Error).message}`);
  }
  const contentsName = encoder.primaryType;
  if (contentsName === "TypedDataSign" || /[\s,()]/.test(contentsName)) throw new ValidationError("types", `${contentsName} cannot be nested by ERC-7739`);
  const sorted = Object.keys(types)
    .sort()
    .map((name) => `${name}(${types[name].map((f) => `${f.type} ${f.name}`).join(",")})`)
    .join("");
  const contentsDescr = sorted.startsWith(`${contentsName}(`) ? sorted : sorted + contentsName;
  const descrBytes = toUtf8Bytes(contentsDescr);
  if (descrBytes.length > 0xffff) throw new ValidationError("types", "too long for ERC-7739 (over 65,535 bytes)");

  const nestedTypes: Record<string, TypedDataField[]> = {
    TypedDataSign: [
      { name: "contents", type: contentsName },
      { name: "name", type: "string" },
      { name: "version", type: "string" },
      { name: "chainId", type: "uint256" },
      { name: "verifyingContract", type: "address" },
      { name: "salt", type: "bytes32" },
    ],
    ...types,
  };
  const digest = TypedDataEncoder.hash(domain, nestedTypes, { contents: value, ...account });
  const appSeparator = TypedDataEncoder.hashDomain(domain);
  const contentsHash = encoder.hash(value);
  const suffix = solidityPacked(["bytes32", "bytes32", "bytes", "uint16"], [appSeparator, contentsHash, descrBytes, descrBytes.length]);
  return { digest, suffix };
}

/**
 * ERC-7739's nesting of a plain message (`personal_sign`): the `PersonalSign(bytes prefixed)` digest in the
 * account's domain, which the passkey signs; the signature is then used as it is.
 */
export function nestPersonalMessage(message: string | Uint8Array, account: ReturnType<typeof accountDomain>): string {
  const structHash = keccak256(concat([keccak256(toUtf8Bytes("PersonalSign(bytes prefixed)")), hashMessage(message)]));
  const { salt: _salt, ...domain } = account;
  return keccak256(concat(["0x1901", TypedDataEncoder.hashDomain(domain), structHash]));
}
