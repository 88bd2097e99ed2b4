/**
 * The indexer's query API (issue 15, part 4): what the chain says, answered from the database, a page at
 * a time with keyset cursors (no offsets: page 10,000 costs what page 1 does).
 *
 * - `GET /events?contract=&event=&patient=&org=&claim=&record=&plan=&since=&until=&_count=&_cursor=` —
 *   events, oldest first, each with its block, log index, transaction, time and decoded arguments.
 * - `GET /logs?address=&topic0=…&fromBlock=&toBlock=&_count=&_cursor=` — one contract's logs as a node's
 *   `eth_getLogs` gives them, up to the last block indexed: what the SDK reads its histories from when
 *   given an indexer (sdk/core/indexer.ts).
 * - `GET /patients/{address}/access-log?since=&until=&_count=&_cursor=` — a patient's accounting of
 *   disclosures as a FHIR searchset Bundle of AuditEvents (sdk/consent/audit.ts).
 * - `GET /claims?plan=&member=&provider=&status=&since=&until=` and `GET /grants?patient=&grantee=&class=&purpose=&status=`
 *   — claims with their status now, grants with their status at chain time (indexer/projections.ts).
 * - `GET /members/{address}/eob` and `GET /patients/{address}/consents` — the same as FHIR Bundles of
 *   ExplanationOfBenefits and Consents, mapped by the SDK.
 * - `GET /status` (progress), `GET /ready` (503 while halted or the database is down), `GET /health`.
 * - `POST /receipts` (a holder's gateway posts its disclosure receipts once anchored) and
 *   `GET /patients/{address}/receipts?_count=&_cursor=` (the patient, or a delegate in scope, reads them from
 *   every holder at once): signed requests (sdk/exchange/request.ts), checked by the gateway's `authenticate`
 *   (gateway/auth.ts) for this indexer's origin; indexer/receipts.ts.
 *
 * Everything else here is public on chain already; nothing is answered that the chain does not say. The
 * receipts are the holders' word, each under a root its holder anchored, and only the patient and their
 * delegates read them. A malformed parameter is a 400 OperationOutcome naming it; a cursor is bound to the
 * query it was given for, and refused (400) with any other.
 */
import { createHash } from "node:crypto";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { accessAuditEvent } from "../sdk/consent/audit";
import type { IndexerLog } from "../sdk/core/indexer";
import { isBytes32, requireAddress } from "../sdk/core/validate";
import { accessRecord } from "../sdk/consent/events";
import { toFhirConsent } from "../sdk/consent/fhirExport";
import { dataClassOf, granteeKey, purposeOf } from "../sdk/consent/vocab";
import { explanationOfBenefitFrom } from "../sdk/claims/fhir";
import { claimStatusOf } from "../sdk/claims/rules";
import { claimStatusName } from "../sdk/claims/vocab";
import { chainTime, claimHistories, claimsPage, grantsPage, type ClaimQuery, type GrantQuery } from "./projections";
import { GRANT_STATUSES, type GrantStatus } from "../sdk/consent/params";
import { GatewayError, operationOutcome } from "../gateway/fhir";
import { isRefusal, type Database } from "../gateway/db";
import { authenticate, NonceBook, type AuthContext } from "../gateway/auth";
import type { CareLedger } from "../sdk/careledger";
import { PURPOSES } from "../sdk/consent/codes";
import { CareLedgerError } from "../sdk/errors";
import { gatewayRequestDomain, originOf } from "../sdk/exchange/request";
import { SUITE_INTERFACES } from "./decode";
import { anchoringEvents, INDEXER_NONCES, readerScope, readReceiptsBody, RECEIPTS_BODY_LIMIT, receiptsPage, requireHolderMember, requireRequestsSigned, storeReceipts } from "./receipts";
import type { Indexer } from "./sync";

declare module "fastify" {
  interface FastifyRequest {
    /** A JSON body's bytes, as received: what a signed request's body hash is over. */
    rawBody?: Buffer;
  }
}

const FHIR_JSON = "application/fhir+json";
/** Page sizes: default and most. */
export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 500;

/** One stored event as the API answers it. */
export interface IndexedEvent {
  readonly blockNumber: number;
  readonly logIndex: number;
  readonly txHash: string;
  /** Seconds since the epoch. */
  readonly time: number;
  readonly contract: string;
  readonly event: string;
  readonly args: Record<string, unknown>;
}

interface Row {
  block_number: string;
  log_index: number;
  tx_hash: string;
  block_time: string;
  contract: string;
  event: string;
  args: Record<string, unknown>;
}

const toEvent = (r: Row): IndexedEvent => ({
  blockNumber: Number(r.block_number),
  logIndex: r.log_index,
  txHash: r.tx_hash,
  time: Number(r.block_time),
  contract: r.contract,
  event: r.event,
  args: r.args,
});

function invalid(parameter: string, message: string): GatewayError {
  return new GatewayError(400, "invalid", `${parameter}: ${message}`, parameter);
}

/** The query's filters, checked: each a column and a value. */
type Filters = { readonly column: string; readonly value: string | number }[];

/** The largest id the database holds (a signed 64-bit integer). */
const MAX_ID = 2n ** 63n - 1n;
const uint = (name: string, raw: string): string => {
  if (!/^(0|[1-9][0-9]{0,18})$/.test(raw) || BigInt(raw) > MAX_ID) throw invalid(name, `${JSON.stringify(raw)} is not a whole number from 0 to ${MAX_ID}`);
  return raw;
};
const bytes32 = (name: string, raw: string): string => {
  if (!isBytes32(raw)) throw invalid(name, `${JSON.stringify(raw)} is not 0x and 64 hex digits`);
  return raw.toLowerCase();
};
const address = (name: string, raw: string): string => {
  try {
    return requireAddress(name, raw, { allowZero: true }).toLowerCase();
  } catch {
    throw invalid(name, `${JSON.stringify(raw)} is not an account address`);
  }
};
/** A time: seconds since the epoch, or an ISO 8601 date or date-time. */
const time = (name: string, raw: string): number => {
  if (/^[0-9]{1,12}$/.test(raw)) return Number(raw);
  const date = /^(\d{4})-(\d{2})-(\d{2})(T[0-9:.]+(Z|[+-]\d{2}:\d{2}))?$/.exec(raw);
  // A day the month has (Date.parse would take 30 February as 2 March).
  const real = date !== null && Number(date[2]) >= 1 && Number(date[2]) <= 12 && Number(date[3]) >= 1 && Number(date[3]) <= new Date(Date.UTC(Number(date[1]), Number(date[2]), 0)).getUTCDate();
  const ms = real ? Date.parse(raw) : NaN;
  if (Number.isNaN(ms)) throw invalid(name, `${JSON.stringify(raw)} is not a time (seconds since the epoch, or an ISO 8601 date or date-time)`);
  return Math.floor(ms / 1000);
};

const CONTRACTS = Object.keys(SUITE_INTERFACES);
const EVENT_NAMES = new Set(Object.values(SUITE_INTERFACES).flatMap((i) => i.fragments.filter((f) => f.type === "event").map((f) => (f as unknown as { name: string }).name)));

/**
 * A query's parameters: each named in `allowed` (or `_count`, `_cursor`) and given at most once; the page
 * size checked (1 to `max`, default `fallback`).
 */
function readParams(
  query: Record<string, string | string[] | undefined>,
  allowed: readonly string[],
  fallback = DEFAULT_PAGE,
  max = MAX_PAGE,
): { one: (name: string) => string | undefined; count: number; cursor: string | undefined } {
  const one = (name: string): string | undefined => {
    const v = query[name];
    if (Array.isArray(v)) throw invalid(name, "given more than once");
    return v;
  };
  for (const name of Object.keys(query)) if (!allowed.includes(name) && name !== "_count" && name !== "_cursor") throw invalid(name, `not a parameter here (${[...allowed, "_count", "_cursor"].join(", ")})`);
  const rawCount = one("_count");
  const count = rawCount === undefined ? fallback : Number(uint("_count", rawCount));
  if (count < 1 || count > max) throw invalid("_count", `${count} is not from 1 to ${max}`);
  return { one, count, cursor: one("_cursor") };
}

/** The query's parameters, checked, in one order (the cursor is bound to them). */
function readQuery(query: Record<string, string | string[] | undefined>, allowed: readonly string[]): { filters: Filters; count: number; cursor: string | undefined } {
  const { one, count, cursor } = readParams(query, allowed);
  const filters: { column: string; value: string | number }[] = [];
  const add = (name: string, column: string, read: (n: string, raw: string) => string | number) => {
    const raw = one(name);
    if (raw !== undefined) filters.push({ column, value: read(name, raw) });
  };
  add("contract", "contract", (n, raw) => {
    if (!CONTRACTS.includes(raw)) throw invalid(n, `${JSON.stringify(raw)} is not one of the suite's contracts (${CONTRACTS.join(", ")})`);
    return raw;
  });
  add("event", "event", (n, raw) => {
    if (!EVENT_NAMES.has(raw)) throw invalid(n, `${JSON.stringify(raw)} is no event of the suite`);
    return raw;
  });
  add("patient", "patient", address);
  add("org", "org_id", uint);
  add("claim", "claim_id", bytes32);
  add("record", "record_id", bytes32);
  add("plan", "plan_id", uint);
  add("since", "since", time);
  add("until", "until", time);
  return { filters, count, cursor };
}

/** What a cursor is bound to: the route and its query, checked (not the page size). */
function queryKey(route: string, query: unknown): string {
  return createHash("sha256").update(JSON.stringify([route, query])).digest("base64url").slice(0, 16);
}

/**
 * The keyset position a cursor carries: a block and log index, and for a page of receipts the leaf after
 * them (several receipts share their root's anchoring).
 */
interface CursorPosition {
  readonly block: number;
  readonly log: number;
  readonly leaf?: string;
  /** The rollbacks the indexer had counted when it gave the cursor (a page that must not cross one). */
  readonly rollbacks?: string;
}

function openCursor(cursor: string | undefined, key: string): CursorPosition | undefined {
  if (cursor === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalid("_cursor", "not a cursor this indexer gave");
  }
  const c = parsed as { b?: unknown; l?: unknown; k?: unknown; q?: unknown; r?: unknown };
  if (!Number.isSafeInteger(c.b) || !Number.isSafeInteger(c.l) || typeof c.q !== "string" || (c.k !== undefined && !isBytes32(c.k)) || (c.r !== undefined && typeof c.r !== "string")) {
    throw invalid("_cursor", "not a cursor this indexer gave");
  }
  if (c.q !== key) throw invalid("_cursor", "a cursor of another query: page on with the query it was given for");
  return { block: c.b as number, log: c.l as number, ...(c.k === undefined ? {} : { leaf: c.k as string }), ...(c.r === undefined ? {} : { rollbacks: c.r as string }) };
}

function sealCursor(last: { blockNumber: number; logIndex: number; leaf?: string; rollbacks?: string }, key: string): string {
  const { blockNumber: b, logIndex: l, leaf: k, rollbacks: r } = last;
  return Buffer.from(JSON.stringify({ b, l, ...(k === undefined ? {} : { k }), ...(r === undefined ? {} : { r }), q: key })).toString("base64url");
}

/** The link to the page after `last` of this request's query. */
function nextLink(req: FastifyRequest, last: { blockNumber: number; logIndex: number; leaf?: string; rollbacks?: string }, key: string): string {
  const url = new URL(req.url, "http://indexer");
  url.searchParams.set("_cursor", sealCursor(last, key));
  return url.pathname + url.search;
}

/** `raw` read by `read` when given. */
function optional<T>(raw: string | undefined, read: (raw: string) => T): T | undefined {
  return raw === undefined ? undefined : read(raw);
}

/** A value of one of the SDK's vocabularies, by name or number; refused naming the parameter. */
function vocabulary<T>(name: string, raw: string, of: (field: string, value: unknown) => T): T {
  try {
    return of(name, /^[0-9]+$/.test(raw) ? Number(raw) : raw);
  } catch (err) {
    throw invalid(name, (err as Error).message.replace(/^[^:]*: /, ""));
  }
}

/** A value for JSON: big integers as decimal strings. */
function jsonSafe<T>(value: T): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));
}

const GRANT_FILTERS = ["grantee", "class", "purpose", "status"];
const CLAIM_FILTERS = ["plan", "provider", "status", "since", "until"];

/** A page of events matching `filters` after `after`, oldest first; one more than `count` says a next page exists. */
async function page(db: Database, filters: Filters, after: { block: number; log: number } | undefined, count: number): Promise<IndexedEvent[]> {
  const where: string[] = [];
  const values: unknown[] = [];
  for (const f of filters) {
    values.push(f.value);
    if (f.column === "since") where.push(`block_time >= $${values.length}`);
    else if (f.column === "until") where.push(`block_time < $${values.length}`);
    else where.push(`${f.column} = $${values.length}`);
  }
  if (after !== undefined) {
    values.push(after.block, after.log);
    where.push(`(block_number, log_index) > ($${values.length - 1}, $${values.length})`);
  }
  values.push(count + 1);
  const r = await db.pool.query<Row>(
    `SELECT block_number, log_index, tx_hash, block_time, contract, event, args FROM events ${where.length > 0 ? "WHERE " + where.join(" AND ") : ""}
     ORDER BY block_number, log_index LIMIT $${values.length}`,
    values,
  );
  return r.rows.map(toEvent);
}

/** Logs per `GET /logs` page: default and most. */
export const DEFAULT_LOG_PAGE = 1_000;
export const MAX_LOG_PAGE = 5_000;

interface LogRow {
  head: string;
  rollbacks: string;
  block_number: string | null;
  block_hash: string;
  tx_hash: string;
  tx_index: number;
  log_index: number;
  address: string;
  topic0: string;
  topic1: string | null;
  topic2: string | null;
  topic3: string | null;
  data: string;
}

/** `GET /logs`'s query, checked. */
interface LogQuery {
  readonly address: string;
  /** Per position, the topics any of which matches (none: any topic). */
  readonly topics: readonly (readonly string[] | undefined)[];
  readonly fromBlock: number;
  readonly toBlock: number | undefined;
  readonly count: number;
  readonly cursor: string | undefined;
}

const LOG_PARAMETERS = ["address", "topic0", "topic1", "topic2", "topic3", "fromBlock", "toBlock", "_count", "_cursor"];

function readLogQuery(query: Record<string, string | string[] | undefined>, addresses: readonly string[]): LogQuery {
  const one = (name: string): string | undefined => {
    const v = query[name];
    if (Array.isArray(v)) throw invalid(name, "given more than once");
    return v;
  };
  for (const name of Object.keys(query)) if (!LOG_PARAMETERS.includes(name)) throw invalid(name, `not a parameter here (${LOG_PARAMETERS.join(", ")})`);
  const rawAddress = one("address");
  if (rawAddress === undefined) throw invalid("address", "required: the contract whose logs are read");
  const contract = address("address", rawAddress);
  if (!addresses.includes(contract)) throw invalid("address", `${rawAddress} is not a contract of the suite this indexer follows`);
  if (one("topic0") === undefined) throw invalid("topic0", "required: the event whose logs are read (its signature hash)");
  const topics = [0, 1, 2, 3].map((i) => {
    const raw = one(`topic${i}`);
    return raw === undefined ? undefined : raw.split(",").map((t) => bytes32(`topic${i}`, t));
  });
  const block = (name: string): number | undefined => {
    const raw = one(name);
    return raw === undefined ? undefined : Number(uint(name, raw));
  };
  const fromBlock = block("fromBlock") ?? 0;
  const toBlock = block("toBlock");
  if (toBlock !== undefined && toBlock < fromBlock) throw invalid("toBlock", `${toBlock} is before fromBlock ${fromBlock}`);
  const rawCount = one("_count");
  const count = rawCount === undefined ? DEFAULT_LOG_PAGE : Number(uint("_count", rawCount));
  if (count < 1 || count > MAX_LOG_PAGE) throw invalid("_count", `${count} is not from 1 to ${MAX_LOG_PAGE}`);
  return { address: contract, topics, fromBlock, toBlock, count, cursor: one("_cursor") };
}

/**
 * One page of `q`'s logs after `after`, and the last block indexed, read in one statement (one snapshot):
 * `undefined` while nothing is indexed yet.
 */
async function logPage(db: Database, q: LogQuery, after: { block: number; log: number } | undefined): Promise<{ head: number; rollbacks: string; rows: LogRow[] } | undefined> {
  const values: unknown[] = [q.address, q.fromBlock];
  const where = ["address = $1", "block_number >= $2"];
  q.topics.forEach((topics, i) => {
    if (topics === undefined) return;
    values.push(topics);
    where.push(`topic${i} = ANY($${values.length}::text[])`);
  });
  if (q.toBlock !== undefined) {
    values.push(q.toBlock);
    where.push(`block_number <= $${values.length}`);
  }
  if (after !== undefined) {
    values.push(after.block, after.log);
    where.push(`(block_number, log_index) > ($${values.length - 1}, $${values.length})`);
  }
  values.push(q.count + 1);
  const r = await db.pool.query<LogRow>(
    `SELECT s.head, s.rollbacks, e.* FROM (SELECT next_block - 1 AS head, rollbacks FROM indexer_state) s
     LEFT JOIN LATERAL (
       SELECT block_number, block_hash, tx_hash, tx_index, log_index, address, topic0, topic1, topic2, topic3, data FROM events
       WHERE ${where.join(" AND ")} AND block_number <= s.head
       ORDER BY block_number, log_index LIMIT $${values.length}
     ) e ON true`,
    values,
  );
  if (r.rows.length === 0) return undefined;
  return { head: Number(r.rows[0].head), rollbacks: String(r.rows[0].rollbacks), rows: r.rows.filter((row) => row.block_number !== null) };
}

const toLog = (r: LogRow): IndexerLog => ({
  blockNumber: Number(r.block_number),
  blockHash: r.block_hash,
  transactionHash: r.tx_hash,
  transactionIndex: r.tx_index,
  logIndex: r.log_index,
  address: r.address,
  topics: [r.topic0, r.topic1, r.topic2, r.topic3].filter((t): t is string => t !== null),
  data: r.data,
});

export interface IndexerApiOptions {
  readonly db: Database;
  readonly indexer: Indexer;
  readonly chainId: bigint;
  readonly consentRegistry: string;
  /** The decimals of the plans' token, for amounts in ExplanationOfBenefits (default 6). */
  readonly tokenDecimals?: number;
  /** The base URL links are written with (default the request's own). */
  readonly base?: string;
  readonly logger?: boolean;
  /**
   * The suite, connected to the chain with the address book (a Provider is enough): what the receipts'
   * signed requests are checked against (the domain's chain and consent registry, ERC-1271 signers) and
   * posters' memberships and readers' delegations are read from. With {@link origin}, the receipts routes
   * are served; without them they are not (404), as for an API that only answers what the chain says.
   */
  readonly careledger?: CareLedger;
  /** The indexer's public origin (`scheme://host[:port]`), what signed requests to it are signed for. */
  readonly origin?: string;
  /** Seconds since the epoch, for signed requests' windows (tests move it; default the clock). */
  readonly now?: () => number;
}

/** The query API's HTTP server (not listening yet). */
export function buildIndexerApi(options: IndexerApiOptions): FastifyInstance {
  const { db, indexer } = options;
  const app = Fastify({ logger: options.logger === true ? { level: "info", serializers: { req: (req: { method: string; routeOptions?: { url?: string } }) => ({ method: req.method, route: req.routeOptions?.url }) } } : false });
  const send = (reply: FastifyReply, status: number, body: object, type = "application/json") => reply.code(status).type(type).send(body);
  // Only JSON bodies, kept as received: a signed request's body hash is over its bytes.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (req, body, done) => {
    req.rawBody = body as Buffer;
    try {
      done(null, JSON.parse((body as Buffer).toString("utf8")));
    } catch {
      done(new GatewayError(400, "invalid", "the body is not JSON"), undefined);
    }
  });
  app.setErrorHandler((error: unknown, _req, reply) => {
    if (error instanceof GatewayError) return send(reply, error.status, operationOutcome("error", error.code, error.message, error.expression), FHIR_JSON);
    const e = error as { statusCode?: number; code?: unknown };
    if (e.code === "FST_ERR_CTP_BODY_TOO_LARGE") return send(reply, 413, operationOutcome("error", "too-costly", `the body is larger than this endpoint accepts (POST /receipts: ${RECEIPTS_BODY_LIMIT} bytes)`), FHIR_JSON);
    if (e.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") return send(reply, 415, operationOutcome("error", "not-supported", "send application/json"), FHIR_JSON);
    if (typeof e.statusCode === "number" && e.statusCode >= 400 && e.statusCode < 500) return send(reply, e.statusCode, operationOutcome("error", "invalid", "the request is malformed"), FHIR_JSON);
    // A database that cannot answer (a broken connection, a server shutting down): say so, never a stack trace.
    // A statement the database refused for itself, or a fault of this code, is not the database being down.
    const code = (error as { code?: unknown }).code;
    const refused = isRefusal(error) && !/^(08|57P)/.test(String(code));
    if (!refused && !(error instanceof TypeError || error instanceof RangeError || error instanceof ReferenceError || error instanceof SyntaxError)) {
      return send(reply, 503, operationOutcome("error", "transient", "the indexer's database is unavailable: try again"), FHIR_JSON);
    }
    reply.log.error({ code }, "unexpected error");
    return send(reply, 500, operationOutcome("error", "exception", "the indexer failed to answer"), FHIR_JSON);
  });
  app.setNotFoundHandler((_req, reply) => send(reply, 404, operationOutcome("error", "not-found", "no such endpoint (GET /events, /logs, /grants, /claims, /patients/{address}/access-log, /patients/{address}/consents, /patients/{address}/receipts, /members/{address}/eob, /status; POST /receipts)"), FHIR_JSON));

  app.get("/health", async (_req, reply) => send(reply, 200, { status: "ok" }));
  /** Which database this indexer answers from (indexer_state.instance): another once it is rebuilt. */
  let instance: string | undefined;
  const instanceOf = async (): Promise<string> => (instance ??= (await db.pool.query<{ instance: string }>("SELECT instance FROM indexer_state")).rows[0].instance);
  app.get("/status", async (_req, reply) => send(reply, 200, { ...indexer.status(), instance: await instanceOf() }));
  // Once the sync has halted (a reorganization deeper than its window), what is stored may be a chain that is
  // gone: nothing but its health and standing is answered, and nothing is taken.
  app.addHook("preHandler", async (req) => {
    const halted = indexer.status().halted;
    const route = req.routeOptions.url;
    if (halted !== undefined && route !== "/health" && route !== "/status" && route !== "/ready" && route !== undefined) {
      throw new GatewayError(503, "transient", `the indexer has halted (${halted}): read the chain`);
    }
  });
  app.get("/ready", async (_req, reply) => {
    const s = indexer.status();
    const database = await db.pool.query("SELECT 1").then(
      () => true,
      () => false,
    );
    const ready = s.halted === undefined && database;
    return send(reply, ready ? 200 : 503, { status: ready ? "ready" : "unavailable", database, halted: s.halted ?? null, nextBlock: s.nextBlock, percent: s.percent });
  });

  const EVENT_FILTERS = ["contract", "event", "patient", "org", "claim", "record", "plan", "since", "until"];
  app.get("/events", async (req, reply) => {
    const { filters, count, cursor } = readQuery(req.query as Record<string, string>, EVENT_FILTERS);
    const key = queryKey("/events", filters);
    const rows = await page(db, filters, openCursor(cursor, key), count);
    const shown = rows.slice(0, count);
    const url = new URL(req.url, "http://indexer");
    if (rows.length > count) url.searchParams.set("_cursor", sealCursor(shown[shown.length - 1], key));
    return send(reply, 200, { events: shown, next: rows.length > count ? url.pathname + url.search : null });
  });

  /**
   * `GET /logs?address=&topic0=&topic1=&topic2=&topic3=&fromBlock=&toBlock=&_count=&_cursor=`: one suite
   * contract's event's logs (`topic0` is required) exactly as a node's `eth_getLogs` gives them (a topic may
   * list several, comma-separated: any of them matches), oldest first, up to the last block indexed (`head`: the blocks after it are the
   * node's to answer). The next link carries the `toBlock` this page was read to, so that a history read
   * page by page ends where its first page did.
   */
  const addresses = Object.values(indexer.suite.addresses).map((a) => a.toLowerCase());
  app.get("/logs", async (req, reply) => {
    const q = readLogQuery(req.query as Record<string, string>, addresses);
    const halted = indexer.status().halted;
    if (halted !== undefined) throw new GatewayError(503, "transient", `the indexer has halted (${halted}): read the chain`);
    const key = (toBlock: number) => queryKey("/logs", { ...q, count: undefined, cursor: undefined, toBlock });
    const after = q.cursor === undefined ? undefined : openCursor(q.cursor, key(q.toBlock ?? -1));
    const read = await logPage(db, q, after);
    if (read === undefined) throw new GatewayError(503, "transient", "the indexer has not started indexing yet: read the chain");
    const head = q.toBlock === undefined ? read.head : Math.min(q.toBlock, read.head);
    const shown = read.rows.slice(0, q.count);
    let next: string | null = null;
    if (read.rows.length > q.count) {
      const url = new URL(req.url, "http://indexer");
      url.searchParams.set("toBlock", String(head));
      url.searchParams.set("_cursor", sealCursor({ blockNumber: Number(shown[shown.length - 1].block_number), logIndex: shown[shown.length - 1].log_index }, key(head)));
      next = url.pathname + url.search;
    }
    // `rollbacks` changes when the indexer rolls back a reorganized tail: pages read across one do not agree.
    return send(reply, 200, { chainId: indexer.suite.chainId.toString(), head, rollbacks: read.rollbacks, logs: shown.map(toLog), next });
  });

  /** A FHIR searchset Bundle of `entries` (type/id and resource), with self and next links (the next page after `last`). */
  const bundle = (req: FastifyRequest, entries: readonly { type: string; id: string; resource: object }[], key: string, last: { blockNumber: number; logIndex: number } | undefined) => {
    const base = options.base ?? `${req.protocol}://${req.host}`;
    const url = new URL(req.url, base);
    const self = url.toString();
    if (last !== undefined) url.searchParams.set("_cursor", sealCursor(last, key));
    return {
      resourceType: "Bundle",
      type: "searchset",
      link: [{ relation: "self", url: self }, ...(last !== undefined ? [{ relation: "next", url: url.toString() }] : [])],
      entry: entries.map((e) => ({ fullUrl: `${base}/${e.type}/${e.id}`, resource: e.resource, search: { mode: "match" } })),
    };
  };
  /** The page shown of `rows` (read `count + 1`) and the last of it when a next page exists. */
  const paged = <T extends { blockNumber: number; logIndex: number }>(rows: readonly T[], count: number) => {
    const shown = rows.slice(0, count);
    return { shown, last: rows.length > count ? shown[shown.length - 1] : undefined };
  };

  app.get<{ Params: { patient: string } }>("/patients/:patient/access-log", async (req, reply) => {
    const patient = address("patient", req.params.patient);
    const { filters, count, cursor } = readQuery(req.query as Record<string, string>, ["since", "until"]);
    const all: Filters = [{ column: "contract", value: "ConsentRegistry" }, { column: "event", value: "AccessLogged" }, { column: "patient", value: patient }, ...filters];
    const key = queryKey("/access-log", all);
    const { shown, last } = paged(await page(db, all, openCursor(cursor, key), count), count);
    const source = { chainId: options.chainId, registry: options.consentRegistry };
    const entries = shown.map((e) => {
      const id = `${e.blockNumber}-${e.logIndex}`;
      return { type: "AuditEvent", id, resource: accessAuditEvent(accessRecord({ ...e.args, orgId: BigInt(e.args.orgId as string) }, e.blockNumber, e.txHash), source, id) };
    });
    return send(reply, 200, bundle(req, entries, key, last), FHIR_JSON);
  });

  /** `GET /grants` and a patient's `/consents`: the query checked, and the chain's time its statuses are at. */
  const grantQuery = async (query: Record<string, string>, patient?: string) => {
    const { one, count, cursor } = readParams(query, patient === undefined ? ["patient", ...GRANT_FILTERS] : GRANT_FILTERS);
    const q: GrantQuery = {
      patient: patient ?? optional(one("patient"), (raw) => address("patient", raw)),
      grantee: optional(one("grantee"), (raw) => {
        try {
          return granteeKey("grantee", /^org:/.test(raw) ? { organization: raw.slice(4) } : raw);
        } catch {
          throw invalid("grantee", `${JSON.stringify(raw)} is not a grantee: an account address, a 32-byte grantee key, or org:<organization id>`);
        }
      }),
      dataClass: optional(one("class"), (raw) => vocabulary("class", raw, dataClassOf)),
      purpose: optional(one("purpose"), (raw) => vocabulary("purpose", raw, purposeOf)),
      statuses: optional(one("status"), (raw) =>
        raw.split(",").map((s) => {
          if (!(GRANT_STATUSES as readonly string[]).includes(s)) throw invalid("status", `${JSON.stringify(s)} is not a grant status (${GRANT_STATUSES.join(", ")})`);
          return s as GrantStatus;
        }),
      ),
    };
    const now = await chainTime(db);
    if (now === undefined) throw new GatewayError(503, "transient", "the indexer has not indexed a block yet: try again");
    return { q, now, count, cursor };
  };

  /**
   * `GET /grants?patient=&grantee=&class=&purpose=&status=&_count=&_cursor=`: grants, oldest first, each
   * with its status at the chain's time (the last block indexed): active, expiring-soon (in force, ending
   * within 30 days), not-yet-active, expired, revoked, or superseded (by a later grant to the same grantee;
   * listed only when asked for). `grantee` is an account, a grantee key or `org:<id>`: an organization sees
   * who granted it what.
   */
  app.get("/grants", async (req, reply) => {
    const { q, now, count, cursor } = await grantQuery(req.query as Record<string, string>);
    const key = queryKey("/grants", q);
    const { shown, last } = paged(await grantsPage(db, q, now, openCursor(cursor, key), count), count);
    return send(reply, 200, { chainTime: now, grants: shown.map(jsonSafe), next: last === undefined ? null : nextLink(req, last, key) });
  });

  /** `GET /patients/{address}/consents?grantee=&class=&purpose=&status=`: the patient's grants as a FHIR searchset Bundle of Consents. */
  app.get<{ Params: { patient: string } }>("/patients/:patient/consents", async (req, reply) => {
    const patient = address("patient", req.params.patient);
    const { q, now, count, cursor } = await grantQuery(req.query as Record<string, string>, patient);
    const key = queryKey("/consents", q);
    const { shown, last } = paged(await grantsPage(db, q, now, openCursor(cursor, key), count), count);
    const entries = shown.map((g) => {
      const id = `${g.blockNumber}-${g.logIndex}`;
      return { type: "Consent", id, resource: toFhirConsent(g, { id, status: g.status, chainId: options.chainId, registry: options.consentRegistry, grantedAt: g.grantedAt, revokedAt: g.revokedAt }) };
    });
    return send(reply, 200, bundle(req, entries, key, last), FHIR_JSON);
  });

  /** `GET /claims` and a member's `/eob`: the query checked. */
  const claimQuery = (query: Record<string, string>, member?: string) => {
    const { one, count, cursor } = readParams(query, member === undefined ? ["member", ...CLAIM_FILTERS] : CLAIM_FILTERS);
    const q: ClaimQuery = {
      planId: optional(one("plan"), (raw) => uint("plan", raw)),
      member: member ?? optional(one("member"), (raw) => address("member", raw)),
      providerOrg: optional(one("provider"), (raw) => uint("provider", raw)),
      statuses: optional(one("status"), (raw) => raw.split(",").map((s) => vocabulary("status", s, claimStatusOf))),
      since: optional(one("since"), (raw) => time("since", raw)),
      until: optional(one("until"), (raw) => time("until", raw)),
    };
    return { q, count, cursor };
  };

  /**
   * `GET /claims?plan=&member=&provider=&status=&since=&until=&_count=&_cursor=`: claims, oldest submission
   * first, each with its status now and since when (`status` in words or the engine's names, comma-separated;
   * `since`/`until` bound the submission's time): "every pended claim of plan 7 submitted more than 30 days
   * ago" is `?plan=7&status=pended&until=<30 days ago>`.
   */
  app.get("/claims", async (req, reply) => {
    const { q, count, cursor } = claimQuery(req.query as Record<string, string>);
    const key = queryKey("/claims", q);
    const { shown, last } = paged(await claimsPage(db, q, openCursor(cursor, key), count), count);
    return send(reply, 200, { claims: shown.map((c) => ({ ...c, status: claimStatusName(c.status), statusCode: c.status })), next: last === undefined ? null : nextLink(req, last, key) });
  });

  /**
   * `GET /members/{address}/eob?plan=&provider=&status=&since=&until=`: the member's claims as a FHIR
   * searchset Bundle of ExplanationOfBenefits, each made by the SDK's mapping from the claim's history as
   * stored (created: the claim's last change).
   */
  app.get<{ Params: { member: string } }>("/members/:member/eob", async (req, reply) => {
    const member = address("member", req.params.member);
    const { q, count, cursor } = claimQuery(req.query as Record<string, string>, member);
    const key = queryKey("/eob", q);
    const { shown, last } = paged(await claimsPage(db, q, openCursor(cursor, key), count), count);
    const histories = await claimHistories(db, shown.map((c) => c.claimId));
    const entries = shown.flatMap((c) => {
      const h = histories.get(c.claimId);
      if (h === undefined) return [];
      const resource = explanationOfBenefitFrom(h.history, h.state, { insurerOrgId: h.insurerOrgId, created: new Date(h.updatedAt * 1000).toISOString(), decimals: options.tokenDecimals });
      return [{ type: "ExplanationOfBenefit", id: c.claimId.slice(2), resource }];
    });
    return send(reply, 200, bundle(req, entries, key, last), FHIR_JSON);
  });

  if (options.careledger !== undefined && options.origin !== undefined) receiptRoutes(options.careledger, originOf(options.origin, "origin"));

  /**
   * The gateways' disclosure receipts (indexer/receipts.ts, docs/indexer.md "Receipts"): every request signed
   * (sdk/exchange/request.ts) for this indexer's origin, checked by the gateway's `authenticate`, its nonce
   * spent in the indexer's own book.
   */
  function receiptRoutes(careledger: CareLedger, origin: string): void {
    if (careledger.chainId !== options.chainId) throw new CareLedgerError("INDEXER_MISMATCH", `the CareLedger given is connected to chain ${careledger.chainId}, not ${options.chainId}`);
    const auth: AuthContext = {
      careledger,
      domain: gatewayRequestDomain(careledger.chainId, careledger.addresses.ConsentRegistry),
      origin,
      nonces: new NonceBook(db, INDEXER_NONCES),
      now: options.now ?? (() => Math.floor(Date.now() / 1000)),
    };
    const anchorings = anchoringEvents(indexer.suite.addresses);
    const signed = (req: FastifyRequest) => authenticate(auth, { method: req.method, url: req.url, headers: req.headers, rawBody: req.rawBody });

    /**
     * `POST /receipts` `{ "receipts": [entry, …] }` (1 to 1,024), signed by an active member of every entry's
     * holder for healthcare operations (HOPERAT): 200 `{ stored, known }` once every entry verifies and every
     * root is anchored by its holder in the events stored, all stored in one transaction (an entry stored
     * before is known); 400 naming the element of one that does not verify; 401/409 for the signature and
     * nonce; 403 for a poster who is not a member of a holder; 409 (`not-found`) naming `receipts[i].root`
     * when a root is not anchored yet (post again later); 413 over 1,024 entries or 4 MiB; nothing stored
     * unless 200.
     */
    app.post("/receipts", { bodyLimit: RECEIPTS_BODY_LIMIT }, async (req, reply) => {
      const { request } = await signed(req);
      if (request.purpose !== PURPOSES.HOPERAT) throw new GatewayError(403, "forbidden", "receipts are posted for healthcare operations: sign the request for HOPERAT", "purpose");
      const entries = readReceiptsBody(req.body);
      await requireHolderMember(careledger, request.requester, entries);
      await requireRequestsSigned(careledger, auth.domain, entries);
      return send(reply, 200, { ...(await storeReceipts(db, anchorings, entries, request.requester)), instance: await instanceOf() });
    });

    /**
     * `GET /patients/{address}/receipts?_count=&_cursor=`, signed by the patient, or by a delegate whose
     * delegation is in force at the indexer's head (a representative: every receipt; a limited delegate: those
     * of its classes): `{ receipts: [entry + anchoredInBlock, anchoredAt, anchorTx], next }`, oldest anchoring
     * first, only receipts whose root's anchoring by their holder is in the events stored. Anyone else: 403,
     * decided before any receipt is read.
     */
    app.get<{ Params: { patient: string } }>("/patients/:patient/receipts", async (req, reply) => {
      const patient = address("patient", req.params.patient);
      const { count, cursor } = readParams(req.query as Record<string, string>, []);
      // A cursor holds the rollbacks counted when it was given: pages read across a rollback (a reorganization,
      // after which a root may be anchored again, later) would repeat or miss receipts.
      const rollbacks = (await db.pool.query<{ rollbacks: string }>("SELECT rollbacks FROM indexer_state")).rows[0]?.rollbacks ?? "0";
      const key = queryKey("/receipts", { patient });
      const after = openCursor(cursor, key);
      if (after !== undefined && after.rollbacks !== rollbacks) {
        throw new GatewayError(409, "conflict", "_cursor: the indexer rolled back a reorganized tail since this page was read: read the receipts again from the first page", "_cursor");
      }
      if (after !== undefined && after.leaf === undefined) throw invalid("_cursor", "not a cursor this indexer gave");
      const { request } = await signed(req);
      const scope = await readerScope(careledger, patient, request.requester);
      const { shown, last } = paged(await receiptsPage(db, anchorings, patient, scope, after as { block: number; log: number; leaf: string } | undefined, count), count);
      return send(reply, 200, {
        receipts: shown.map((r) => ({ ...r.entry, anchoredInBlock: r.blockNumber, anchoredAt: r.time, anchorTx: r.txHash })),
        next: last === undefined ? null : nextLink(req, { ...last, rollbacks }, key),
      });
    });
  }
  return app;
}
