/**
 * A signed request to an organization's gateway: the EIP-712 typed data a requester signs for every
 * HTTP request, how it travels (two headers), and how a gateway checks it. Written once, here, for
 * the gateway, the SDK's exchange client, the tests and the demo.
 *
 * The signature binds the HTTP method, the path and query exactly as sent, a hash of the body, the
 * gateway's origin, the chain and the deployment (the domain's `chainId` and `verifyingContract`, the
 * consent registry whose grants the gateway enforces), the purpose of use, a validity window of at
 * most five minutes, and a 32-byte nonce the gateway stores so that a request is never served twice.
 */
import { concat, getBytes, hexlify, isHexString, keccak256, randomBytes, recoverAddress, toUtf8Bytes, TypedDataEncoder, type Signer, type TypedDataDomain } from "ethers";
import { keccakEngine, type Keccak256 } from "../records/merkle/keccak";
import { ValidationError } from "../errors";
import { requireAddress } from "../core/validate";
import { purposeOf } from "../consent/vocab";

/** The EIP-712 domain name of gateway requests (the version is {@link GATEWAY_REQUEST_VERSION}). */
export const GATEWAY_REQUEST_DOMAIN_NAME = "CareLedger Gateway";
/** The EIP-712 domain version of gateway requests. */
export const GATEWAY_REQUEST_VERSION = "1";
/** The longest validity window a gateway accepts, in seconds (issued-at to expiry). */
export const MAX_REQUEST_LIFETIME = 300;
/** How far in the future a request's issued-at may be, in seconds (clock skew between hosts). */
export const MAX_CLOCK_SKEW = 30;
/** The header carrying the signed fields that are not read off the request itself (base64url JSON). */
export const REQUEST_HEADER = "x-careledger-request";
/** The header carrying the signature (0x-hex, 65 bytes for an account key, up to {@link MAX_SIGNATURE_BYTES} for ERC-1271). */
export const SIGNATURE_HEADER = "x-careledger-signature";
/**
 * The longest signature a request may carry (a smart account's, ERC-1271: 63 owners' ECDSA signatures, and
 * within Node's 16 kB of headers): what a gateway accepts, and what an indexer takes in a receipt, alike.
 */
export const MAX_SIGNATURE_BYTES = 4_096;

/** The EIP-712 types of a gateway request. */
export const GATEWAY_REQUEST_TYPES: Record<string, { name: string; type: string }[]> = {
  GatewayRequest: [
    { name: "requester", type: "address" },
    { name: "method", type: "string" },
    { name: "target", type: "string" },
    { name: "bodyHash", type: "bytes32" },
    { name: "origin", type: "string" },
    { name: "purpose", type: "uint8" },
    { name: "issuedAt", type: "uint64" },
    { name: "expiresAt", type: "uint64" },
    { name: "nonce", type: "bytes32" },
  ],
};

/** One gateway request, as signed. */
export interface GatewayRequest {
  /** The signing account: an externally owned account, or a smart account that answers ERC-1271. */
  readonly requester: string;
  /** The HTTP method, upper case. */
  readonly method: string;
  /** The path and query exactly as sent (e.g. `/fhir/Observation?patient=Patient%2F1&_count=20`). */
  readonly target: string;
  /** keccak256 of the body's bytes ({@link bodyHash}); the hash of no bytes for a request without one. */
  readonly bodyHash: string;
  /** The gateway's origin (`scheme://host[:port]`), so a request made for one gateway is refused by any other. */
  readonly origin: string;
  /** The purpose of use, as a bit position of `PURPOSES`. */
  readonly purpose: number;
  /** Seconds since the epoch. */
  readonly issuedAt: number;
  /** Seconds since the epoch; at most {@link MAX_REQUEST_LIFETIME} after `issuedAt`. */
  readonly expiresAt: number;
  /** 32 random bytes, never reused. */
  readonly nonce: string;
}

/** The fields of a request that travel in {@link REQUEST_HEADER} (the rest is the HTTP request itself). */
export interface RequestHeaderFields {
  readonly requester: string;
  readonly origin: string;
  readonly chainId: string;
  readonly purpose: number;
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly nonce: string;
}

/** The domain of gateway requests on one deployment: the chain and the consent registry enforced. */
export function gatewayRequestDomain(chainId: bigint | number, consentRegistry: string): TypedDataDomain {
  return {
    name: GATEWAY_REQUEST_DOMAIN_NAME,
    version: GATEWAY_REQUEST_VERSION,
    chainId: BigInt(chainId),
    verifyingContract: requireAddress("consentRegistry", consentRegistry),
  };
}

/** keccak256 of a request body's bytes (a string is taken as UTF-8); the hash of no bytes when absent. */
export function bodyHash(body?: string | Uint8Array | null): string {
  if (body === undefined || body === null) return keccak256(new Uint8Array());
  return keccak256(typeof body === "string" ? new TextEncoder().encode(body) : body);
}

/**
 * The origin of a URL (`scheme://host[:port]`, as the WHATWG URL parser writes it).
 * @throws {ValidationError} naming `field` when it is not an http(s) URL
 */
export function originOf(url: string, field = "url"): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ValidationError(field, `${JSON.stringify(url)} is not a URL`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new ValidationError(field, `${JSON.stringify(url)} is not an http(s) URL`);
  return parsed.origin;
}

function requireSeconds(field: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) throw new ValidationError(field, `${JSON.stringify(value)} is not a time in seconds`);
  return value;
}

/**
 * Checks a request's fields and returns them normalized (checksummed requester, upper-case method).
 * @throws {ValidationError} naming the field
 */
export function requireGatewayRequest(r: unknown): GatewayRequest {
  if (r === null || typeof r !== "object") throw new ValidationError("request", "is not an object");
  const q = r as Record<string, unknown>;
  const method = q.method;
  if (typeof method !== "string" || !/^[A-Za-z]+$/.test(method)) throw new ValidationError("request.method", `${JSON.stringify(method)} is not an HTTP method`);
  if (typeof q.target !== "string" || !q.target.startsWith("/")) throw new ValidationError("request.target", `${JSON.stringify(q.target)} is not a path (it starts with /)`);
  if (typeof q.bodyHash !== "string" || !isHexString(q.bodyHash, 32)) throw new ValidationError("request.bodyHash", "is not 0x + 32 bytes");
  if (typeof q.origin !== "string" || originOf(q.origin, "request.origin") !== q.origin) throw new ValidationError("request.origin", `${JSON.stringify(q.origin)} is not an origin (scheme://host[:port], no path)`);
  const issuedAt = requireSeconds("request.issuedAt", q.issuedAt);
  const expiresAt = requireSeconds("request.expiresAt", q.expiresAt);
  if (expiresAt <= issuedAt) throw new ValidationError("request.expiresAt", "is not after issuedAt");
  if (expiresAt - issuedAt > MAX_REQUEST_LIFETIME) throw new ValidationError("request.expiresAt", `is more than ${MAX_REQUEST_LIFETIME} s after issuedAt`);
  if (typeof q.nonce !== "string" || !isHexString(q.nonce, 32)) throw new ValidationError("request.nonce", "is not 0x + 32 bytes");
  return {
    requester: requireAddress("request.requester", q.requester),
    method: method.toUpperCase(),
    target: q.target,
    bodyHash: q.bodyHash.toLowerCase(),
    origin: q.origin,
    purpose: purposeOf("request.purpose", q.purpose),
    issuedAt,
    expiresAt,
    nonce: q.nonce.toLowerCase(),
  };
}

/** The request type's encoder, built once (ethers builds one per `TypedDataEncoder.hash`). */
const REQUEST_ENCODER = TypedDataEncoder.from(GATEWAY_REQUEST_TYPES);
/** Domain separators by domain (a gateway serves one domain: its chain and deployment). */
const DOMAIN_SEPARATORS = new Map<string, string>();

function domainSeparator(domain: TypedDataDomain): string {
  // The whole domain, unknown keys included (ethers refuses those, and so must a remembered answer).
  const key = JSON.stringify(domain, (_, v: unknown) => (typeof v === "bigint" ? `${v}n` : v));
  let separator = DOMAIN_SEPARATORS.get(key);
  if (separator === undefined) {
    separator = TypedDataEncoder.hashDomain(domain);
    if (DOMAIN_SEPARATORS.size >= 64) DOMAIN_SEPARATORS.clear();
    DOMAIN_SEPARATORS.set(key, separator);
  }
  return separator;
}

/**
 * The EIP-712 digest of a request: what the signature signs, and what a disclosure receipt names
 * (`TypedDataEncoder.hash(domain, GATEWAY_REQUEST_TYPES, request)`, with the encoder and the domain's
 * separator kept between requests).
 */
export function requestDigest(domain: TypedDataDomain, request: GatewayRequest): string {
  const r = requireGatewayRequest(request);
  // Without Buffer, or with a UTF-16 surrogate in a string (Buffer and ethers encode a lone one differently:
  // ethers' answer, or its refusal, is the one signed), ethers encodes.
  if (typeof Buffer === "undefined" || SURROGATE.test(r.method) || SURROGATE.test(r.target) || SURROGATE.test(r.origin)) {
    return keccak256(concat(["0x1901", domainSeparator(domain), REQUEST_ENCODER.hash(r)]));
  }
  // The same bytes as ethers' encoder writes (compared in test/gateway/fastpaths.test.ts), in one buffer
  // hashed by the SDK's keccak engine: a gateway computes one a request.
  const k = keccakEngine();
  const struct = Buffer.alloc(320);
  struct.write(REQUEST_TYPE_HASH, 0, "hex");
  struct.write(r.requester.slice(2), 44, "hex");
  hashUtf8Into(k, r.method, struct, 64);
  hashUtf8Into(k, r.target, struct, 96);
  struct.write(r.bodyHash.slice(2), 128, "hex");
  hashUtf8Into(k, r.origin, struct, 160);
  struct[223] = r.purpose;
  struct.writeBigUInt64BE(BigInt(r.issuedAt), 248);
  struct.writeBigUInt64BE(BigInt(r.expiresAt), 280);
  struct.write(r.nonce.slice(2), 288, "hex");
  const message = Buffer.alloc(66);
  message[0] = 0x19;
  message[1] = 0x01;
  message.write(domainSeparator(domain).slice(2), 2, "hex");
  hashInto(k, struct, message, 34);
  hashInto(k, message, message, 0);
  return "0x" + message.toString("hex", 0, 32);
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** keccak256(GatewayRequest's EIP-712 type string), without 0x. */
const REQUEST_TYPE_HASH = keccak256(toUtf8Bytes(REQUEST_ENCODER.encodeType("GatewayRequest"))).slice(2);

/** Writes keccak256(`data`) at `out[at, at + 32)`. */
function hashInto(k: Keccak256, data: Uint8Array, out: Uint8Array, at: number): void {
  if (data.length > k.maxInput) {
    out.set(getBytes(keccak256(data)), at);
    return;
  }
  k.io.set(data, 0);
  k.hash(data.length);
  out.set(k.io.subarray(0, 32), at);
}

/** Writes keccak256 of `text`'s UTF-8 bytes at `out[at, at + 32)` (an EIP-712 `string`). */
function hashUtf8Into(k: Keccak256, text: string, out: Uint8Array, at: number): void {
  hashInto(k, Buffer.from(text, "utf8"), out, at);
}

/** Options of {@link signGatewayRequest}. */
export interface SignRequestOptions {
  /** The gateway's URL or origin. */
  readonly gateway: string;
  readonly method: string;
  /** The path and query as they will be sent. */
  readonly target: string;
  readonly body?: string | Uint8Array | null;
  /** A purpose name (`TREAT`, `HRESCH`, …) or bit position. */
  readonly purpose: string | number;
  /** Seconds since the epoch (default: now). */
  readonly now?: number;
  /** Seconds the request stays valid (default 120, at most {@link MAX_REQUEST_LIFETIME}). */
  readonly lifetime?: number;
  /** The signing account when it is not the signer's own (a smart account the signer controls, ERC-1271). */
  readonly requester?: string;
}

/** A signed request and the two headers that carry it. */
export interface SignedGatewayRequest {
  readonly request: GatewayRequest;
  readonly signature: string;
  readonly digest: string;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Signs one request for a gateway.
 * @throws {ValidationError} naming the field
 */
export async function signGatewayRequest(signer: Signer, domain: TypedDataDomain, options: SignRequestOptions): Promise<SignedGatewayRequest> {
  const lifetime = options.lifetime ?? 120;
  if (!Number.isSafeInteger(lifetime) || lifetime < 1 || lifetime > MAX_REQUEST_LIFETIME) {
    throw new ValidationError("lifetime", `${JSON.stringify(lifetime)} is not 1 to ${MAX_REQUEST_LIFETIME} seconds`);
  }
  const issuedAt = options.now ?? Math.floor(Date.now() / 1000);
  const request = requireGatewayRequest({
    requester: options.requester ?? (await signer.getAddress()),
    method: options.method,
    target: options.target,
    bodyHash: bodyHash(options.body),
    origin: originOf(options.gateway, "gateway"),
    purpose: options.purpose,
    issuedAt,
    expiresAt: issuedAt + lifetime,
    nonce: hexlify(randomBytes(32)),
  });
  const signature = await signer.signTypedData(domain, GATEWAY_REQUEST_TYPES, request);
  return { request, signature, digest: requestDigest(domain, request), headers: requestHeaders(request, BigInt(domain.chainId as bigint), signature) };
}

/** The two headers that carry a signed request. */
export function requestHeaders(request: GatewayRequest, chainId: bigint, signature: string): Record<string, string> {
  const fields: RequestHeaderFields = {
    requester: request.requester,
    origin: request.origin,
    chainId: chainId.toString(),
    purpose: request.purpose,
    issuedAt: request.issuedAt,
    expiresAt: request.expiresAt,
    nonce: request.nonce,
  };
  return { [REQUEST_HEADER]: Buffer.from(JSON.stringify(fields), "utf8").toString("base64url"), [SIGNATURE_HEADER]: signature };
}

/**
 * Reads the two headers of a signed request.
 * @throws {ValidationError} naming the header or the field
 */
export function readRequestHeaders(headers: Record<string, string | string[] | undefined>): { fields: RequestHeaderFields; signature: string } {
  const raw = headers[REQUEST_HEADER];
  const signature = headers[SIGNATURE_HEADER];
  if (typeof raw !== "string" || raw === "") throw new ValidationError(REQUEST_HEADER, "is missing: every request is signed (see docs/gateway.md)");
  if (typeof signature !== "string" || !isHexString(signature) || getBytes(signature).length === 0) {
    throw new ValidationError(SIGNATURE_HEADER, "is missing or not 0x-hex");
  }
  if ((signature.length - 2) / 2 > MAX_SIGNATURE_BYTES) throw new ValidationError(SIGNATURE_HEADER, `is longer than ${MAX_SIGNATURE_BYTES} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, "base64url").toString("utf8"));
  } catch {
    throw new ValidationError(REQUEST_HEADER, "is not base64url JSON");
  }
  if (parsed === null || typeof parsed !== "object") throw new ValidationError(REQUEST_HEADER, "is not a JSON object");
  const f = parsed as Record<string, unknown>;
  if (typeof f.chainId !== "string" || !/^[0-9]{1,30}$/.test(f.chainId)) throw new ValidationError(`${REQUEST_HEADER}.chainId`, "is not a chain id (decimal string)");
  return { fields: f as unknown as RequestHeaderFields, signature };
}

/**
 * The account an externally owned signature recovers to for a request (for an ERC-1271 requester it
 * is not the requester: the gateway then asks the requester's contract).
 */
export function recoverRequestSigner(domain: TypedDataDomain, request: GatewayRequest, signature: string): string | undefined {
  try {
    return recoverAddress(requestDigest(domain, request), signature);
  } catch {
    return undefined;
  }
}
