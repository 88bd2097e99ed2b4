/**
 * Passkeys as the account's contracts see them: a P-256 public key as an ERC-7913 signer (the WebAuthn
 * verifier's address, then `x ‖ y`), and a WebAuthn assertion as the `WebAuthnAuth` signature
 * OpenZeppelin's `ERC7913WebAuthnVerifier` decodes, wrapped in `MultiSignerERC7913`'s
 * `abi.encode(bytes[] signers, bytes[] signatures)`. Pure functions, shared by the SDK and the tests.
 */
import { AbiCoder, concat, dataLength, decodeBase64, encodeBase64, getBytes, hexlify, isBytesLike, toBeHex, toUtf8Bytes, toUtf8String, type BytesLike } from "ethers";
import { ValidationError } from "../errors";
import { requireAddress } from "../core/validate";

/** The order of P-256 (secp256r1). */
export const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
/** The largest `s` OpenZeppelin's `P256` accepts (signatures are low-s: `s <= N / 2`). */
export const P256_HALF_N = P256_N / 2n;

/** A passkey's P-256 public key, as its two 32-byte coordinates (hex). */
export interface PasskeyPublicKey {
  readonly x: string;
  readonly y: string;
}

/**
 * What an authenticator returns for `navigator.credentials.get` (`AuthenticatorAssertionResponse`),
 * as bytes: in the browser, `new Uint8Array(response.authenticatorData)` and so on.
 */
export interface WebAuthnAssertion {
  /** The authenticator data: rpIdHash (32 bytes), flags (1), signature counter (4), extensions. */
  readonly authenticatorData: BytesLike;
  /** The client data JSON, as its UTF-8 bytes or as the string. */
  readonly clientDataJSON: BytesLike | string;
  /** The ECDSA signature, DER-encoded as WebAuthn gives it (or 64 bytes `r ‖ s`). */
  readonly signature: BytesLike;
}

/**
 * An authenticator: asked to sign `challenge` (the 32-byte digest the account checks), it answers with
 * an assertion. In the browser it calls `navigator.credentials.get({ publicKey: { challenge, allowCredentials } })`.
 */
export type AssertFunction = (challenge: Uint8Array) => Promise<WebAuthnAssertion>;

const coder = AbiCoder.defaultAbiCoder();
/** `WebAuthn.WebAuthnAuth`'s fields, encoded as the verifier reads them: the struct's head at offset 0 (no outer offset word). */
const WEBAUTHN_AUTH = ["bytes32", "bytes32", "uint256", "uint256", "bytes", "string"];

/**
 * Checks a passkey's public key: two 32-byte coordinates.
 * @throws {ValidationError} naming `field`
 */
export function requirePasskey(field: string, key: unknown): PasskeyPublicKey {
  const k = key as Partial<PasskeyPublicKey> | null | undefined;
  if (typeof k !== "object" || k === null) throw new ValidationError(field, "a passkey's public key is { x, y }, two 32-byte hex coordinates");
  for (const c of ["x", "y"] as const) {
    const v = k[c];
    if (typeof v !== "string" || !isBytesLike(v) || dataLength(v) !== 32) throw new ValidationError(`${field}.${c}`, `${JSON.stringify(v)} is not a 32-byte hex coordinate`);
  }
  return { x: hexlify(k.x as string), y: hexlify(k.y as string) };
}

/**
 * The passkey as an ERC-7913 signer of the account: `verifier ‖ x ‖ y` (84 bytes).
 * @throws {ValidationError} naming `verifier` or `passkey`
 */
export function passkeySigner(verifier: string, passkey: PasskeyPublicKey): string {
  const key = requirePasskey("passkey", passkey);
  return concat([requireAddress("verifier", verifier), key.x, key.y]);
}

/**
 * A passkey's public key from its SubjectPublicKeyInfo (DER), as the browser's
 * `AuthenticatorAttestationResponse.getPublicKey()` returns it for a P-256 credential: the last 65 bytes
 * are the uncompressed point `04 ‖ x ‖ y`.
 * @throws {ValidationError} naming `spki`
 */
export function passkeyFromSpki(spki: BytesLike): PasskeyPublicKey {
  const der = bytesOf("spki", spki);
  const point = der.slice(der.length - 65);
  // The id-ecPublicKey / prime256v1 SPKI of an uncompressed point is 91 bytes.
  if (der.length !== 91 || der[0] !== 0x30 || point[0] !== 0x04) throw new ValidationError("spki", "not the SubjectPublicKeyInfo of an uncompressed P-256 key (91 bytes)");
  return { x: hexlify(point.slice(1, 33)), y: hexlify(point.slice(33, 65)) };
}

/** `bytes` in base64url without padding, as WebAuthn writes the challenge in the client data. */
export function base64url(bytes: BytesLike): string {
  return encodeBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The bytes of a base64url string (padding optional). */
export function fromBase64url(text: string): Uint8Array {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  return decodeBase64(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
}

/**
 * The `(r, s)` of an ECDSA signature, DER-encoded (`30 len 02 rlen r 02 slen s`) or as 64 bytes `r ‖ s`,
 * with `s` normalised to the low half of the curve order, which OpenZeppelin's `P256` requires.
 * @throws {ValidationError} naming `field` when it is neither
 */
export function signatureRS(field: string, signature: BytesLike): { r: bigint; s: bigint } {
  const b = bytesOf(field, signature);
  let r: bigint;
  let s: bigint;
  if (b.length === 64) {
    r = BigInt(hexlify(b.slice(0, 32)));
    s = BigInt(hexlify(b.slice(32)));
  } else {
    const bad = () => new ValidationError(field, "not a DER-encoded ECDSA signature (30 len 02 r 02 s) nor 64 bytes r ‖ s");
    if (b.length < 8 || b[0] !== 0x30 || b[1] !== b.length - 2 || b[2] !== 0x02) throw bad();
    const rLen = b[3];
    const sAt = 4 + rLen;
    if (rLen < 1 || rLen > 33 || sAt + 2 > b.length || b[sAt] !== 0x02) throw bad();
    const sLen = b[sAt + 1];
    if (sLen < 1 || sLen > 33 || sAt + 2 + sLen !== b.length) throw bad();
    r = BigInt(hexlify(b.slice(4, sAt)));
    s = BigInt(hexlify(b.slice(sAt + 2)));
  }
  if (r === 0n || r >= P256_N || s === 0n || s >= P256_N) throw new ValidationError(field, "r and s must lie in 1..N-1 of P-256");
  return { r, s: s > P256_HALF_N ? P256_N - s : s };
}

/**
 * Encodes an assertion as OpenZeppelin's `WebAuthn.WebAuthnAuth` (`abi.encode` of its fields, which is how
 * `WebAuthn.tryDecodeAuth` reads it from calldata): `r`, low `s`,
 * and the byte offsets of `"challenge":"` and `"type":"` in the client data. Checks the encoding only; the
 * contents (challenge, type, flags) are the account's to judge — see {@link checkAssertion}.
 * @throws {ValidationError} naming the assertion's field
 */
export function encodeWebAuthnSignature(assertion: WebAuthnAssertion): string {
  const authenticatorData = bytesOf("assertion.authenticatorData", assertion.authenticatorData);
  const clientData = clientDataBytes(assertion.clientDataJSON);
  const { r, s } = signatureRS("assertion.signature", assertion.signature);
  const challengeIndex = indexOf(clientData, toUtf8Bytes('"challenge":"'));
  const typeIndex = indexOf(clientData, toUtf8Bytes('"type":"'));
  if (challengeIndex < 0) throw new ValidationError("assertion.clientDataJSON", 'has no "challenge"');
  if (typeIndex < 0) throw new ValidationError("assertion.clientDataJSON", 'has no "type"');
  return coder.encode(WEBAUTHN_AUTH, [toBeHex(r, 32), toBeHex(s, 32), challengeIndex, typeIndex, authenticatorData, toUtf8String(clientData)]);
}

/**
 * Refuses, before anything is sent, an assertion the account would refuse: not for `challenge`, not of
 * type `webauthn.get`, or without user presence (UP) and verification (UV).
 * @throws {ValidationError} naming the assertion's field
 */
export function checkAssertion(assertion: WebAuthnAssertion, challenge: BytesLike): void {
  const flags = bytesOf("assertion.authenticatorData", assertion.authenticatorData)[32];
  if (flags === undefined) throw new ValidationError("assertion.authenticatorData", "shorter than 37 bytes");
  if ((flags & 0x05) !== 0x05) throw new ValidationError("assertion.authenticatorData", "the authenticator did not verify the user (flags UP and UV)");
  let client: { type?: unknown; challenge?: unknown };
  try {
    client = JSON.parse(toUtf8String(clientDataBytes(assertion.clientDataJSON))) as typeof client;
  } catch {
    throw new ValidationError("assertion.clientDataJSON", "is not JSON");
  }
  if (client.type !== "webauthn.get") throw new ValidationError("assertion.clientDataJSON", `type ${JSON.stringify(client.type)} is not "webauthn.get"`);
  if (client.challenge !== base64url(challenge)) throw new ValidationError("assertion.clientDataJSON", "its challenge is not the digest asked for");
}

/**
 * One passkey's signature as `MultiSignerERC7913` takes it: `abi.encode(bytes[] signers, bytes[] signatures)`.
 * @param signer the passkey's ERC-7913 signer ({@link passkeySigner})
 * @param signature its `WebAuthnAuth` ({@link encodeWebAuthnSignature})
 */
export function encodeMultiSignature(signer: string, signature: string): string {
  return coder.encode(["bytes[]", "bytes[]"], [[signer], [signature]]);
}

function clientDataBytes(value: BytesLike | string): Uint8Array {
  if (typeof value === "string" && !isBytesLike(value)) return toUtf8Bytes(value);
  return bytesOf("assertion.clientDataJSON", value);
}

function bytesOf(field: string, value: unknown): Uint8Array {
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (!isBytesLike(value)) throw new ValidationError(field, "is not bytes (a Uint8Array, an ArrayBuffer or 0x-hex)");
  return getBytes(value);
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
