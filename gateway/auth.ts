/**
 * Who is asking: every request is signed by the requester's account (sdk/exchange/request.ts). The
 * gateway rebuilds the signed request from what it actually received — method, path and query, body,
 * its own origin, its chain and deployment — checks the validity window, checks the signature (an
 * account key, or ERC-1271 for a smart account), and spends the nonce, so no request is served twice.
 * A request that only reads may leave its nonce to be spent with its receipts, in the one statement that
 * writes them (gateway/receipts.ts): still durable before anything leaves, at one database round instead of two.
 */
import { getAddress, getBytes, keccak256, Signature, type TypedDataDomain } from "ethers";
import { ecdsaRecover } from "secp256k1";
import { IERC1271__factory } from "../typechain-types/factories/@openzeppelin/contracts/interfaces/IERC1271__factory";
import type { CareLedger } from "../sdk/careledger";
import { ValidationError } from "../sdk/errors";
import {
  bodyHash,
  MAX_CLOCK_SKEW,
  MAX_REQUEST_LIFETIME,
  readRequestHeaders,
  requestDigest,
  requireGatewayRequest,
  type GatewayRequest,
} from "../sdk/exchange/request";
import { Batcher } from "./batch";
import type { Database } from "./db";
import { chainDown, databaseDown, GatewayError } from "./fhir";

/** ERC-1271's answer for a valid signature. */
const ERC1271_MAGIC = "0x1626ba7e";

/** A request whose signature was checked, and whose nonce is spent (or is to be spent before it is answered). */
export interface Authenticated {
  readonly request: GatewayRequest;
  readonly digest: string;
  readonly signature: string;
  /**
   * Whether its nonce is spent: {@link authenticate} spends it unless told to leave it to the answer, which
   * then spends it with its receipts or by {@link spendNonce}, before anything is sent.
   */
  nonceSpent: boolean;
}

/** The answer to a request whose nonce was spent before (or could have been, and pruned since). */
export function duplicateRequest(): GatewayError {
  return new GatewayError(
    409,
    "duplicate",
    "this request (its nonce) was served before, or expired so long ago while it was being answered that it could have been: a request is never served twice; sign a new one",
    "nonce",
  );
}

/**
 * Seconds a nonce is kept after its request expires ({@link pruneNonces}): a whole request lifetime and the
 * clock skew allowed, and a minute. A nonce whose request expired longer ago than this, by the database's
 * clock, is never spent (it could have been spent and pruned): `NONCE_SPENDABLE` in both statements that
 * spend one (here and gateway/receipts.ts), so that an answer stalled past the pruning is not served twice.
 */
export const NONCE_KEPT_SECONDS = MAX_REQUEST_LIFETIME + MAX_CLOCK_SKEW + 60;

/** The SQL condition, on an expiry `e` (seconds), under which a nonce may still be spent. */
export const NONCE_SPENDABLE = (e: string) => `to_timestamp(${e}) >= now() - interval '${NONCE_KEPT_SECONDS} seconds'`;

/** What a request must be checked against. */
export interface AuthContext {
  readonly careledger: CareLedger;
  readonly domain: TypedDataDomain;
  readonly origin: string;
  readonly nonces: NonceBook;
  /** Seconds since the epoch (tests move it). */
  readonly now: () => number;
}

/**
 * The account an externally owned signature over `digest` recovers to, or undefined: what ethers'
 * `recoverAddress` answers (the signature parsed by ethers' `Signature.from`, the same 65- and 64-byte
 * forms accepted), with the public key recovered by libsecp256k1 (the `secp256k1` package's native
 * binding): under 0.1 ms instead of about 2 ms here (`throughput.crypto.recoverMicros.*` in
 * reports/gateway.json), and recovery was most of what a signed request cost the gateway.
 * test/gateway/fastpaths.test.ts holds the two to the same answers.
 */
export function recoverSigner(digest: string, signature: string): string | undefined {
  try {
    const sig = Signature.from(signature);
    const compact = new Uint8Array(64);
    compact.set(getBytes(sig.r), 0);
    compact.set(getBytes(sig.s), 32);
    const publicKey = ecdsaRecover(compact, sig.yParity, getBytes(digest), false);
    return getAddress("0x" + keccak256(publicKey.subarray(1)).slice(26));
  } catch {
    return undefined;
  }
}

function refuse(message: string, expression?: string): never {
  throw new GatewayError(401, "security", message, expression);
}

/**
 * Whether `account`'s contract accepts `signature` over `digest` (ERC-1271): false when it has no code, reverts
 * or answers anything but the magic value.
 * @throws when the node does not answer (the signature is neither accepted nor refused)
 */
export async function contractAccepts(careledger: CareLedger, account: string, digest: string, signature: string): Promise<boolean> {
  const provider = careledger.runner.provider ?? (careledger.runner as unknown as NonNullable<typeof careledger.runner.provider>);
  const code = await provider.getCode(account);
  if (code === "0x") return false;
  try {
    return (await IERC1271__factory.connect(account, provider).isValidSignature(digest, signature)) === ERC1271_MAGIC;
  } catch (err) {
    // The account refused (it reverted, or answered no magic value it could decode): not accepted. Anything
    // else is the node failing to answer, which says nothing of the signature: the caller fails closed (503).
    const code = (err as { code?: unknown }).code;
    if (code === "CALL_EXCEPTION" || code === "BAD_DATA") return false;
    throw err;
  }
}

/**
 * Checks a request's signature, window and nonce.
 * @param options.spend false to leave the nonce unspent (`nonceSpent` false): for a request that changes
 *   nothing before it is answered, whose answer then spends it ({@link spendNonce}, or with its receipts)
 * @throws {GatewayError} 401 (security) for a missing, malformed, forged, expired, wrong-chain,
 *   wrong-origin or wrong-deployment signature; 409 (duplicate) for a request served before
 */
export async function authenticate(
  ctx: AuthContext,
  http: { method: string; url: string; headers: Record<string, string | string[] | undefined>; rawBody?: Buffer },
  options: { spend?: boolean } = {},
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
  const recovered = recoverSigner(digest, signature);
  if (recovered !== request.requester) {
    let accepted = false;
    try {
      accepted = await contractAccepts(ctx.careledger, request.requester, digest, signature);
    } catch {
      throw chainDown(" to check a contract account's signature");
    }
    if (!accepted) refuse("the signature is not the requester's over this request (method, path and query, body, origin, chain, deployment, purpose, window and nonce)");
  }
  const auth: Authenticated = { request, digest, signature, nonceSpent: false };
  if (options.spend !== false) await spendNonce(ctx, auth);
  return auth;
}

/**
 * Spends the request's nonce, if it is not spent yet.
 * @throws {GatewayError} 409 (duplicate) when it was spent before; 503 when the database cannot spend it
 */
export async function spendNonce(ctx: Pick<AuthContext, "nonces">, auth: Authenticated): Promise<void> {
  if (auth.nonceSpent) return;
  let spent: boolean;
  try {
    spent = await ctx.nonces.spend(auth.request.requester, auth.request.nonce, auth.request.expiresAt);
  } catch {
    throw databaseDown();
  }
  if (!spent) throw duplicateRequest();
  auth.nonceSpent = true;
}

/** A nonce's key: its requester (any case) and the nonce, as the book's unique key holds them. */
export function nonceKey(x: { requester: string; nonce: string }): string {
  return `${x.requester.toLowerCase()}:${x.nonce}`;
}

/** The gateway's nonce table (gateway/migrations): the default of {@link NonceBook} and {@link pruneNonces}. */
export const REQUEST_NONCES = "request_nonces";

/** `table`, checked to be a plain SQL name (it is written into statements, never taken from a request). */
function nonceTable(table: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(table)) throw new Error(`${JSON.stringify(table)} is not a nonce table's name`);
  return table;
}

/**
 * The nonces of requests served, shared by every instance on the database: spending one is durable
 * before the request is served, and a nonce is spent once. Concurrent requests' nonces are written
 * together, one statement a round (gateway/batch.ts).
 */
export class NonceBook {
  readonly #batcher: Batcher<{ requester: string; nonce: string; expiresAt: number }, boolean>;

  /**
   * @param table the nonce table (default the gateway's, `request_nonces`): a service that shares the
   *   gateway's database keeps its own (the indexer's `indexer_request_nonces`), with the same columns
   */
  constructor(db: Database, table: string = REQUEST_NONCES) {
    const into = nonceTable(table);
    this.#batcher = new Batcher(async (inputs) => {
      // The same nonce twice in one round (a request racing its own replay): the first is the one tried.
      const first = new Map<string, number>();
      const keys = inputs.map(nonceKey);
      keys.forEach((key, i) => {
        if (!first.has(key)) first.set(key, i);
      });
      const tried = [...first.values()].map((i) => inputs[i]);
      // Named (per table): parsed and planned once per connection.
      const r = await db.pool.query<{ requester: string; nonce: string }>({
        name: `careledger-spend-nonces-${into}`,
        text: `INSERT INTO ${into} (requester, nonce, expires_at)
         SELECT q, n, to_timestamp(e) FROM unnest($1::text[], $2::text[], $3::float8[]) AS t(q, n, e) WHERE ${NONCE_SPENDABLE("e")}
         ON CONFLICT DO NOTHING RETURNING requester, nonce`,
        values: [tried.map((x) => x.requester.toLowerCase()), tried.map((x) => x.nonce), tried.map((x) => x.expiresAt)],
      });
      const spent = new Set(r.rows.map((row) => `${row.requester}:${row.nonce}`));
      return keys.map((key, i) => first.get(key) === i && spent.has(key));
    });
  }

  /** Spends `nonce` of `requester` (kept until `expiresAt`, seconds); false when it was spent before. */
  spend(requester: string, nonce: string, expiresAt: number): Promise<boolean> {
    return this.#batcher.submit({ requester, nonce, expiresAt });
  }
}

/**
 * Deletes the nonces of requests long expired, by the database's clock and with a margin of a whole
 * request lifetime and the clock skew allowed: an instance whose clock runs ahead never prunes a nonce
 * that another instance would still accept a request for.
 * @param table the nonce table (default the gateway's, `request_nonces`; see {@link NonceBook})
 */
export async function pruneNonces(db: Database, table: string = REQUEST_NONCES): Promise<number> {
  const r = await db.pool.query(`DELETE FROM ${nonceTable(table)} WHERE expires_at < now() - ($1::int * interval '1 second')`, [NONCE_KEPT_SECONDS]);
  return r.rowCount ?? 0;
}
