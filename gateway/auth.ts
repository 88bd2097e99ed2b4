/**
 * Who is asking: every request is signed by the requester's account (sdk/exchange/request.ts). The
 * gateway rebuilds the signed request from what it actually received — method, path and query, body,
 * its own origin, its chain and deployment — checks the validity window, checks the signature (an
 * account key, or ERC-1271 for a smart account), and spends the nonce, so no request is served twice.
 */
import type { TypedDataDomain } from "ethers";
import { IERC1271__factory } from "../typechain-types/factories/@openzeppelin/contracts/interfaces/IERC1271__factory";
import type { CareLedger } from "../sdk/careledger";
import { ValidationError } from "../sdk/errors";
import {
  bodyHash,
  MAX_CLOCK_SKEW,
  MAX_REQUEST_LIFETIME,
  readRequestHeaders,
  recoverRequestSigner,
  requestDigest,
  requireGatewayRequest,
  type GatewayRequest,
} from "../sdk/exchange/request";
import type { Database } from "./db";
import { GatewayError } from "./fhir";

/** ERC-1271's answer for a valid signature. */
const ERC1271_MAGIC = "0x1626ba7e";

/** A request whose signature and nonce were checked. */
export interface Authenticated {
  readonly request: GatewayRequest;
  readonly digest: string;
  readonly signature: string;
}

/** What a request must be checked against. */
export interface AuthContext {
  readonly careledger: CareLedger;
  readonly domain: TypedDataDomain;
  readonly origin: string;
  readonly db: Database;
  /** Seconds since the epoch (tests move it). */
  readonly now: () => number;
}

function refuse(message: string, expression?: string): never {
  throw new GatewayError(401, "security", message, expression);
}

/** Whether `account`'s contract accepts `signature` over `digest` (ERC-1271). */
async function contractAccepts(careledger: CareLedger, account: string, digest: string, signature: string): Promise<boolean> {
  const provider = careledger.runner.provider ?? (careledger.runner as unknown as NonNullable<typeof careledger.runner.provider>);
  const code = await provider.getCode(account);
  if (code === "0x") return false;
  try {
    return (await IERC1271__factory.connect(account, provider).isValidSignature(digest, signature)) === ERC1271_MAGIC;
  } catch {
    return false;
  }
}

/**
 * Checks a request's signature, window and nonce.
 * @throws {GatewayError} 401 (security) for a missing, malformed, forged, expired, wrong-chain,
 *   wrong-origin or wrong-deployment signature; 409 (duplicate) for a request served before
 */
export async function authenticate(
  ctx: AuthContext,
  http: { method: string; url: string; headers: Record<string, string | string[] | undefined>; rawBody?: Buffer },
): Promise<Authenticated> {
  let fields;
  let signature: string;
  try {
    ({ fields, signature } = readRequestHeaders(http.headers));
  } catch (err) {
    if (err instanceof ValidationError) refuse(err.message, err.field);
    throw err;
  }
  if (fields.chainId !== BigInt(ctx.domain.chainId as bigint).toString()) {
    refuse(`the request was signed for chain ${fields.chainId}; this gateway serves chain ${BigInt(ctx.domain.chainId as bigint)}`, "chainId");
  }
  if (fields.origin !== ctx.origin) refuse(`the request was signed for ${JSON.stringify(fields.origin)}; this gateway is ${ctx.origin}`, "origin");
  let request: GatewayRequest;
  try {
    request = requireGatewayRequest({
      requester: fields.requester,
      method: http.method,
      target: http.url,
      bodyHash: bodyHash(http.rawBody),
      origin: ctx.origin,
      purpose: fields.purpose,
      issuedAt: fields.issuedAt,
      expiresAt: fields.expiresAt,
      nonce: fields.nonce,
    });
  } catch (err) {
    if (err instanceof ValidationError) refuse(err.message, err.field);
    throw err;
  }
  const now = ctx.now();
  if (request.issuedAt > now + MAX_CLOCK_SKEW) refuse(`the request is issued at ${request.issuedAt}, in the future (now ${now})`, "issuedAt");
  if (now >= request.expiresAt) refuse(`the request expired at ${request.expiresAt} (now ${now}): sign a new one`, "expiresAt");
  const digest = requestDigest(ctx.domain, request);
  const recovered = recoverRequestSigner(ctx.domain, request, signature);
  if (recovered !== request.requester) {
    let accepted = false;
    try {
      accepted = await contractAccepts(ctx.careledger, request.requester, digest, signature);
    } catch {
      throw new GatewayError(503, "transient", "the chain cannot be read to check a contract account's signature: nothing is released");
    }
    if (!accepted) refuse("the signature is not the requester's over this request (method, path and query, body, origin, chain, deployment, purpose, window and nonce)");
  }
  let spent: boolean;
  try {
    const r = await ctx.db.pool.query(
      "INSERT INTO request_nonces (requester, nonce, expires_at) VALUES ($1, $2, to_timestamp($3)) ON CONFLICT DO NOTHING",
      [request.requester.toLowerCase(), request.nonce, request.expiresAt],
    );
    spent = (r.rowCount ?? 0) === 1;
  } catch {
    throw new GatewayError(503, "transient", "the gateway's database is unavailable: nothing is released");
  }
  if (!spent) throw new GatewayError(409, "duplicate", "this request (its nonce) was served before: a request is never served twice; sign a new one", "nonce");
  return { request, digest, signature };
}

/**
 * Deletes the nonces of requests long expired, by the database's clock and with a margin of a whole
 * request lifetime and the clock skew allowed: an instance whose clock runs ahead never prunes a nonce
 * that another instance would still accept a request for.
 */
export async function pruneNonces(db: Database): Promise<number> {
  const margin = MAX_REQUEST_LIFETIME + MAX_CLOCK_SKEW + 60;
  const r = await db.pool.query("DELETE FROM request_nonces WHERE expires_at < now() - ($1::int * interval '1 second')", [margin]);
  return r.rowCount ?? 0;
}
