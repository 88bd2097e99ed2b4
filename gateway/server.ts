/**
 * The gateway's HTTP server (Fastify): a FHIR R4 REST subset in `application/fhir+json` in front of the
 * organization's record store. Routes are thin: authentication (gateway/auth.ts), the on-chain decision
 * and the receipts (gateway/release.ts), the store (gateway/store.ts) and ingest (gateway/ingest.ts) own
 * the work. Every refusal is an OperationOutcome; nothing is released when the chain or the database
 * cannot be reached (503).
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { TypedDataDomain } from "ethers";
import type { CareLedger } from "../sdk/careledger";
import { CareLedgerError, ValidationError } from "../sdk/errors";
import { gatewayRequestDomain, originOf } from "../sdk/exchange/request";
import { authenticate, NonceBook, spendNonce, type Authenticated } from "./auth";
import type { Database } from "./db";
import { capabilityStatement, chainDown, databaseDown, FHIR_ID, GatewayError, historyBundle, operationOutcome, searchset, SERVED_TYPES } from "./fhir";
import { ingest } from "./ingest";
import { openCursor as openSealedCursor, sealCursor, type KeyProvider } from "./keys";
import { RateLimiter } from "./limits";
import { receiptEntry, ReceiptStore } from "./receipts";
import { recoverPendingAmendments, recoverPendingBatches } from "./recovery";
import { Releaser, type Decision } from "./release";
import { RecordStore, type RecordRow } from "./store";
import { useWasmKeccakInEthers } from "../sdk/records/merkle/keccak";

/** Options of {@link buildGateway}. */
export interface GatewayOptions {
  /** The suite, connected with a signer that is an active member of the holding organization. */
  readonly careledger: CareLedger;
  readonly db: Database;
  readonly keys: KeyProvider;
  /** The gateway's public origin (what requesters sign), e.g. `https://gateway.northgate.example`. */
  readonly origin: string;
  /** Largest request body in bytes (default 5 MiB). */
  readonly bodyLimit?: number;
  /** Fastify's logger options (default: off). Bodies, queries and headers are never logged. */
  readonly logger?: boolean | { level: string };
  /** Seconds since the epoch (tests move it). */
  readonly now?: () => number;
  /**
   * Requests a minute per requester (after its signature is checked) and per client address (before
   * anything is parsed); over either, 429 with Retry-After. Default: no limit (`npm run gateway` sets them).
   */
  readonly rateLimit?: { readonly perRequester: number; readonly perAddress: number };
}

/** A built gateway: the Fastify app and what it was built with. */
export interface Gateway {
  readonly app: FastifyInstance;
  readonly orgId: bigint;
  readonly domain: TypedDataDomain;
  readonly store: RecordStore;
  readonly receipts: ReceiptStore;
  /** Anchors the ingested batches left pending (the anchoring worker runs it every round). */
  recoverPending(): Promise<string[]>;
}

const FHIR_JSON = "application/fhir+json";
const MAX_COUNT = 100;
const DEFAULT_COUNT = 20;

declare module "fastify" {
  interface FastifyRequest {
    rawBody?: Buffer;
  }
}

function requireServedType(type: string): string {
  if (!(SERVED_TYPES as readonly string[]).includes(type)) throw new GatewayError(404, "not-supported", `this gateway serves no resource type ${JSON.stringify(type)}`, "type");
  return type;
}

function requireFhirId(id: string, expression = "id"): string {
  if (!FHIR_ID.test(id)) throw new GatewayError(400, "invalid", `${JSON.stringify(id)} is not a FHIR id (1 to 64 of A-Z a-z 0-9 - .)`, expression);
  return id;
}

/** The query parameters of a search, refused when unknown. */
function searchParams(query: Record<string, string | string[] | undefined>, allowed: readonly string[]): { count: number; cursor: string | undefined; values: Record<string, string> } {
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) {
    if (!allowed.includes(key) && key !== "_count" && key !== "_cursor") {
      throw new GatewayError(400, "not-supported", `search parameter ${JSON.stringify(key)} is not supported here (supported: ${[...allowed, "_count", "_cursor"].join(", ")})`, key);
    }
    if (typeof value !== "string") throw new GatewayError(400, "invalid", `search parameter ${key} is given more than once`, key);
    values[key] = value;
  }
  let count = DEFAULT_COUNT;
  if (values._count !== undefined) {
    if (!/^[0-9]{1,4}$/.test(values._count) || Number(values._count) < 1 || Number(values._count) > MAX_COUNT) {
      throw new GatewayError(400, "invalid", `_count ${JSON.stringify(values._count)} is not 1 to ${MAX_COUNT}`, "_count");
    }
    count = Number(values._count);
  }
  return { count, cursor: values._cursor, values };
}

/** `Patient/<id>` from a `patient` search value (`Patient/<id>` or `<id>`). */
function patientRef(value: string | undefined): string {
  if (value === undefined) throw new GatewayError(400, "invalid", "a search names the patient: ?patient=Patient/<id>", "patient");
  const id = value.startsWith("Patient/") ? value.slice("Patient/".length) : value;
  return `Patient/${requireFhirId(id, "patient")}`;
}

function send(reply: FastifyReply, status: number, body: object, type = FHIR_JSON): FastifyReply {
  return reply.code(status).type(type).send(body);
}

/**
 * Builds the gateway (not listening yet: `app.listen`, or `app.inject` in tests).
 * @throws {GatewayError} when the signer is not an active member of an organization
 */
export async function buildGateway(options: GatewayOptions): Promise<Gateway> {
  const { careledger, db, keys } = options;
  // Every request is hashed several times (its EIP-712 digest, addresses, access references).
  useWasmKeccakInEthers();
  const origin = originOf(options.origin, "origin");
  const signer = careledger.runner as { getAddress?: () => Promise<string> };
  if (typeof signer.getAddress !== "function") throw new CareLedgerError("NO_SIGNER", "the gateway's CareLedger connection needs a Signer (a member of the holding organization)");
  const holder = await careledger.participants.isActiveMember(await signer.getAddress());
  if (!holder.active) throw new CareLedgerError("NOT_A_MEMBER", `the gateway's signer ${await signer.getAddress()} is not an active member of an organization: it cannot anchor records or receipts`);
  const domain = gatewayRequestDomain(careledger.chainId, careledger.addresses.ConsentRegistry);
  const store = new RecordStore(db, keys);
  // Never the reference (an id is PHI): that one failed, so an operator looks.
  store.onIntegrityFailure = () => app.log.error("a stored record failed its integrity check (changed without the key): it was not released");
  const receipts = new ReceiptStore(db);
  const releaser = new Releaser(careledger, store, receipts, holder.orgId);
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  /** Roots of ingested batches being anchored by this process right now (recovery leaves them alone). */
  const anchoring = new Set<string>();
  const authCtx = { careledger, domain, origin, nonces: new NonceBook(db), now };

  const app = Fastify({
    bodyLimit: options.bodyLimit ?? 5 * 1024 * 1024,
    // A client has 30 s to send a whole request and 10 s of silence before its socket is closed.
    requestTimeout: 30_000,
    connectionTimeout: 10_000,
    // A HEAD would run the GET's decision and write its receipts, and send nothing: not offered.
    exposeHeadRoutes: false,
    logger:
      options.logger === undefined || options.logger === false
        ? false
        : {
            level: typeof options.logger === "object" ? options.logger.level : "info",
            // The route's pattern only (`/fhir/:type/:id`): no ids, no query (patient references), no
            // headers (signatures), no bodies (records).
            serializers: {
              req: (req: { method: string; routeOptions?: { url?: string } }) => ({ method: req.method, route: req.routeOptions?.url ?? "(no route)" }),
              res: (res: { statusCode: number }) => ({ status: res.statusCode }),
            },
          },
  });

  // Only JSON bodies, whose bytes are hashed into the signature (a text/plain body would be parsed unsigned).
  app.removeAllContentTypeParsers();
  for (const type of [FHIR_JSON, "application/json"]) {
    app.addContentTypeParser(type, { parseAs: "buffer" }, (req, body, done) => {
      req.rawBody = body as Buffer;
      try {
        done(null, JSON.parse((body as Buffer).toString("utf8")));
      } catch {
        done(new GatewayError(400, "invalid", "the body is not JSON"), undefined);
      }
    });
  }

  app.setErrorHandler((error: unknown, _req, reply) => {
    if (error instanceof GatewayError) {
      for (const [name, value] of Object.entries(error.headers ?? {})) reply.header(name, value);
      return send(reply, error.status, operationOutcome("error", error.code, error.message, error.expression));
    }
    if (error instanceof ValidationError) return send(reply, 400, operationOutcome("error", "invalid", error.message, error.field));
    const e = error as { code?: string; statusCode?: number; message?: string };
    if (e.code === "FST_ERR_CTP_BODY_TOO_LARGE") return send(reply, 413, operationOutcome("error", "too-costly", `the body is larger than this gateway accepts (${options.bodyLimit ?? 5 * 1024 * 1024} bytes)`));
    if (e.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") return send(reply, 415, operationOutcome("error", "not-supported", `send ${FHIR_JSON}`));
    if (typeof e.statusCode === "number" && e.statusCode >= 400 && e.statusCode < 500) {
      return send(reply, e.statusCode, operationOutcome("error", "invalid", "the request is malformed"));
    }
    reply.log.error({ code: e.code }, "unexpected error");
    return send(reply, 500, operationOutcome("error", "exception", "the gateway failed to answer; nothing was released"));
  });
  app.setNotFoundHandler((_req, reply) => send(reply, 404, operationOutcome("error", "not-found", "no such endpoint: see GET /fhir/metadata")));

  const base = origin;
  const perRequester = options.rateLimit === undefined ? undefined : new RateLimiter(options.rateLimit.perRequester);
  const perAddress = options.rateLimit === undefined ? undefined : new RateLimiter(options.rateLimit.perAddress);
  const throttle = (limiter: RateLimiter | undefined, key: string, who: string) => {
    const wait = limiter?.take(key) ?? 0;
    if (wait > 0) throw new GatewayError(429, "throttled", `too many requests from ${who}: try again in ${wait} s`, undefined, { "retry-after": String(wait) });
  };
  if (perAddress !== undefined) {
    app.addHook("onRequest", async (req) => throttle(perAddress, req.ip, "this address"));
  }
  const signed = async (req: FastifyRequest): Promise<Authenticated> => {
    const auth = await authenticate(authCtx, { method: req.method, url: req.url, headers: req.headers, rawBody: req.rawBody });
    throttle(perRequester, auth.request.requester, auth.request.requester);
    return auth;
  };
  /**
   * A request that only reads: its nonce is left to its answer, whose receipts spend it in the statement
   * that writes them (one database round where there were two); an answer that wrote none (a refusal, an
   * empty page) spends it alone. Either way it is durable before anything is sent, and a request served
   * before is answered 409, whatever it would have been answered.
   */
  const readOnly = async <T>(req: FastifyRequest, answer: (auth: Authenticated) => Promise<T>): Promise<T> => {
    const auth = await authenticate(authCtx, { method: req.method, url: req.url, headers: req.headers, rawBody: req.rawBody }, { spend: false });
    const requester = auth.request.requester;
    let took = false;
    try {
      throttle(perRequester, requester, requester);
      took = true;
      const out = await answer(auth);
      await spendNonce(authCtx, auth);
      return out;
    } catch (err) {
      try {
        await spendNonce(authCtx, auth);
      } catch (spent) {
        err = spent;
      }
      // A replay of a request served before is not its requester's: it takes none of their allowance
      // (else anyone holding one captured request could keep its requester throttled).
      if (took && err instanceof GatewayError && err.code === "duplicate") perRequester?.giveBack(requester);
      throw err;
    }
  };
  const loadRows = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      throw databaseDown();
    }
  };

  app.get("/health", async (_req, reply) => reply.send({ status: "ok" }));
  app.get("/ready", async (_req, reply) => {
    const provider = careledger.runner.provider;
    const checks = await Promise.allSettled([db.pool.query("SELECT 1"), provider === null ? Promise.reject(new Error("no provider")) : provider.getBlockNumber()]);
    const ok = checks.every((c) => c.status === "fulfilled");
    return reply.code(ok ? 200 : 503).send({ status: ok ? "ready" : "unavailable", database: checks[0].status === "fulfilled", chain: checks[1].status === "fulfilled" });
  });

  app.get("/fhir/metadata", async (_req, reply) => send(reply, 200, capabilityStatement(base, { name: "CareLedger gateway", version: "0.1.0" })));

  // Cursors are opaque (gateway/keys.ts).
  const openCursor = async (cursor: string | undefined): Promise<bigint> => {
    try {
      return await openSealedCursor(keys, cursor);
    } catch {
      throw new GatewayError(400, "invalid", "_cursor is not a cursor this gateway gave", "_cursor");
    }
  };
  /** Rows read per round while filling a page, and the most rounds: a page costs at most this much reading. */
  const SCAN = 100;
  const MAX_SCAN_ROUNDS = 20;

  /**
   * A page of what the requester may have: permitted rows are gathered, from `cursor` on, until there are
   * `count` of them and one more (so that a next link means a next permitted resource, and a page that
   * releases nothing has no next link), then released and receipted.
   */
  const pageOut = async (auth: Authenticated, filter: { patientRef: string; resourceType?: string }, cursor: string | undefined, count: number) => {
    let after = await openCursor(cursor);
    const decision = await releaser.decide(auth);
    const permitted: RecordRow[] = [];
    let exhausted = false;
    for (let round = 0; round < MAX_SCAN_ROUNDS && permitted.length <= count && !exhausted; round++) {
      // As many rows as the page still needs (all of them may be permitted), then whole rounds.
      const want = round === 0 ? count + 1 : SCAN;
      const rows = await loadRows(() => store.page(filter, after, want - 1));
      exhausted = rows.length < want;
      if (rows.length > 0) after = rows[rows.length - 1].seq;
      permitted.push(...(await releaser.permitted(decision, auth.request.purpose, rows)));
    }
    const page = permitted.slice(0, count);
    const resources = await releaser.release(auth, decision, page);
    // More permitted rows, or a scan that stopped at its bound before the end: a next page.
    const nextAfter = permitted.length > count ? page[page.length - 1].seq : !exhausted ? after : undefined;
    return { resources, next: nextAfter === undefined ? undefined : await sealCursor(keys, nextAfter) };
  };
  const nextLink = (req: FastifyRequest, cursor: string | undefined): string | undefined => {
    if (cursor === undefined) return undefined;
    const url = new URL(req.url, base);
    url.searchParams.set("_cursor", cursor);
    return url.pathname + url.search;
  };

  app.get<{ Params: { type: string; id: string } }>("/fhir/Patient/:id/$everything", async (req, reply) => {
    const id = requireFhirId(req.params.id);
    const { count, cursor } = searchParams(req.query as Record<string, string>, []);
    const { resources, next } = await readOnly(req, (auth) => pageOut(auth, { patientRef: `Patient/${id}` }, cursor, count));
    return send(reply, 200, searchset(base, resources, { self: req.url, next: nextLink(req, next) }));
  });

  /** One answer for "not held here" and "not for you", so that a refusal tells nobody which ids exist. */
  const notHeldOrNotPermitted = (type: string, id: string, decision: Decision) =>
    new GatewayError(
      404,
      "not-found",
      `${type}/${id} is not held here, or the patient's consent does not permit ${decision.requester} to receive it for this purpose (decided at block ${decision.block})`,
    );

  /**
   * One version of a record to the requester — the current one (`current` undefined), or an earlier one
   * (vread) released only with the record's `current` version permitted too — or a refusal that tells
   * nobody which ids exist.
   */
  const readOne = async (auth: Authenticated, type: string, id: string, row: RecordRow | undefined, current?: RecordRow): Promise<object> => {
    const decision = await releaser.decide(auth);
    // One answer for "not held here" and "not for you" (and, to anyone but the patient or the holder's
    // members, for "shredded"), so that a refusal tells nobody which ids exist.
    const notHere = notHeldOrNotPermitted(type, id, decision);
    if (row === undefined || row.state !== "anchored") throw notHere;
    if (row.shredded) {
      const insider = row.patient === decision.requester.toLowerCase() || (decision.active && decision.orgId === holder.orgId);
      if (insider) throw new GatewayError(410, "deleted", `${type}/${id} was deleted (crypto-shredded): it can no longer be read or verified`);
      throw notHere;
    }
    const allowed = current === undefined ? await releaser.permitted(decision, auth.request.purpose, [row]) : await releaser.permittedVersions(decision, auth.request.purpose, [row], current);
    const [resource] = allowed.length === 0 ? [] : await releaser.release(auth, decision, allowed);
    if (resource === undefined) throw notHere;
    return resource;
  };

  app.get<{ Params: { type: string; id: string } }>("/fhir/:type/:id", async (req, reply) => {
    const type = requireServedType(req.params.type);
    const id = requireFhirId(req.params.id);
    const { row, resource } = await readOnly(req, async (auth) => {
      const row = await loadRows(() => store.get(type, id));
      return { row: row!, resource: await readOne(auth, type, id, row) };
    });
    return send(reply.header("etag", `W/"${row.version}"`), 200, resource);
  });

  /** vread: one version of a record, the current one or one it superseded (never a retracted one). */
  app.get<{ Params: { type: string; id: string; vid: string } }>("/fhir/:type/:id/_history/:vid", async (req, reply) => {
    const type = requireServedType(req.params.type);
    const id = requireFhirId(req.params.id);
    if (!/^[1-9][0-9]{0,8}$/.test(req.params.vid)) throw new GatewayError(400, "invalid", `${JSON.stringify(req.params.vid)} is not a version (1 or more)`, "vid");
    const version = Number(req.params.vid);
    const resource = await readOnly(req, async (auth) => {
      const [row, current] = await loadRows(() => Promise.all([store.version(type, id, version), store.get(type, id)]));
      return readOne(auth, type, id, row, current);
    });
    return send(reply.header("etag", `W/"${version}"`), 200, resource);
  });

  /**
   * history: the versions of a record the requester may have, newest first (at most `_count`, default 20),
   * as a history Bundle, each released and receipted as a read of it would be; none unless the current
   * version is permitted to the requester.
   */
  app.get<{ Params: { type: string; id: string } }>("/fhir/:type/:id/_history", async (req, reply) => {
    const type = requireServedType(req.params.type);
    const id = requireFhirId(req.params.id);
    const { count, cursor } = searchParams(req.query as Record<string, string>, []);
    if (cursor !== undefined) throw new GatewayError(400, "not-supported", "a history is not paged: ask for the newest _count versions (at most 100)", "_cursor");
    const { allowed, resources } = await readOnly(req, async (auth) => {
      const [rows, current] = await loadRows(() => Promise.all([store.history(type, id), store.get(type, id)]));
      const decision = await releaser.decide(auth);
      const live = rows.filter((r) => !r.shredded).slice(0, count);
      const allowed = live.length === 0 ? [] : await releaser.permittedVersions(decision, auth.request.purpose, live, current);
      if (allowed.length === 0) {
        throw notHeldOrNotPermitted(type, id, decision);
      }
      return { allowed, resources: await releaser.release(auth, decision, allowed) };
    });
    return send(reply, 200, historyBundle(base, resources, allowed.map((r) => r.version), { self: req.url }));
  });

  app.get<{ Params: { type: string } }>("/fhir/:type", async (req, reply) => {
    const type = requireServedType(req.params.type);
    const { count, cursor, values } = searchParams(req.query as Record<string, string>, ["patient"]);
    const ref = patientRef(values.patient);
    const { resources, next } = await readOnly(req, (auth) => pageOut(auth, { patientRef: ref, resourceType: type }, cursor, count));
    return send(reply, 200, searchset(base, resources, { self: req.url, next: nextLink(req, next) }));
  });

  app.post("/fhir", async (req, reply) => {
    const auth = await signed(req);
    const out = await ingest({ careledger, db, store, holderOrgId: holder.orgId, anchoring }, auth, req.body);
    return send(reply, 200, out);
  });

  /**
   * Crypto-shredding (a member of the holding organization): the record's sealed content, data key and
   * salt are destroyed; the row stays (nothing is deleted), the record reads as gone (410) and verifies
   * as unverifiable, never as tampered. Its anchor on chain is untouched.
   */
  app.delete<{ Params: { type: string; id: string } }>("/fhir/:type/:id", async (req, reply) => {
    const type = requireServedType(req.params.type);
    const id = requireFhirId(req.params.id);
    const auth = await signed(req);
    let member;
    try {
      member = await careledger.participants.isActiveMember(auth.request.requester);
    } catch {
      throw chainDown(" to check the requester's standing", "nothing is changed");
    }
    if (!member.active || member.orgId !== holder.orgId) throw new GatewayError(403, "forbidden", `only active members of organization ${holder.orgId} shred its records`);
    const row = await loadRows(() => store.get(type, id));
    if (row === undefined) throw new GatewayError(404, "not-found", `${type}/${id} is not held here`);
    if (row.shredded) throw new GatewayError(410, "deleted", `${type}/${id} was shredded before`);
    await loadRows(() => store.shred(type, id));
    return send(reply, 200, operationOutcome("information", "informational", `${type}/${id} is shredded: its content, data key and salt are destroyed`));
  });

  /** A patient's own disclosure receipts, with their roots and proofs (JSON, see docs/gateway.md). */
  app.get("/receipts", async (req, reply) => {
    const { count, cursor, values } = searchParams(req.query as Record<string, string>, ["patient"]);
    const auth = await signed(req);
    const patient = values.patient;
    if (patient === undefined || patient.toLowerCase() !== auth.request.requester.toLowerCase()) {
      throw new GatewayError(403, "forbidden", "a patient reads their own receipts: ?patient=<the signing account>", "patient");
    }
    const after = await openCursor(cursor);
    const rows = await loadRows(() => receipts.forPatient(patient, after, count));
    const more = rows.length > count;
    const page = more ? rows.slice(0, count) : rows;
    return reply.code(200).type("application/json").send({
      receipts: page.map((r) => ({ ...receiptEntry(r), anchored: r.anchored })),
      next: more ? nextLink(req, await sealCursor(keys, page[page.length - 1].seq)) : undefined,
    });
  });

  const recoverPending = async () => [
    ...(await recoverPendingBatches(careledger, store, holder.orgId, anchoring)),
    ...(await recoverPendingAmendments(careledger, store, holder.orgId, anchoring)),
  ];
  return { app, orgId: holder.orgId, domain, store, receipts, recoverPending };
}
