/**
 * The relayer's HTTP API (Fastify, JSON): `POST /actions` takes a patient's signed consent action, checks it
 * (relayer/pipeline.ts) and records it (relayer/store.ts) before anything is paid; the sender
 * (relayer/sender.ts) submits it. `GET /actions/{id}` follows it; `GET /health`, `/ready`, `/status`.
 * Every refusal is `application/problem+json` with a stable code (relayer/problem.ts).
 */
import { hostname } from "node:os";
import Fastify, { type FastifyInstance } from "fastify";
import type { TypedDataDomain, Wallet } from "ethers";
import type { CareLedger } from "../sdk/careledger";
import { consentDomain } from "../sdk/consent/typedData";
import { isRefusal, type Database } from "../gateway/db";
import { RateLimiter } from "../gateway/limits";
import { RELAY_KINDS, kindRegistry, type ActionKind, type KindContext } from "./kinds";
import { checkBeforePaying, readAction } from "./pipeline";
import { databaseUnavailable, RelayerProblem, sendProblem } from "./problem";
import { Sender } from "./sender";
import { ActionStore, viewOf, type PatientLimit } from "./store";

/** Options of {@link buildRelayer}. */
export interface RelayerOptions {
  /** The suite on the relayer's chain (read through its provider). */
  readonly careledger: CareLedger;
  /** The relayer's own key, connected to the chain's provider: it pays, it never signs for a patient. */
  readonly wallet: Wallet;
  readonly db: Database;
  /** The kinds it submits (default the four consent kinds and `accountExecute`; relayer/kinds.ts says how to add one). */
  readonly kinds?: readonly ActionKind[];
  /** Largest body in bytes (default 64 KiB). */
  readonly bodyLimit?: number;
  /** Requests a minute per client address (default: no limit; `npm run relayer` sets one). */
  readonly perAddress?: number;
  /** A patient's allowance, shared by every instance on the database (default: none). */
  readonly perPatient?: PatientLimit;
  /** The relayer's allowance, all patients together (a new key is a new patient), shared by every instance on the database (default: none). */
  readonly overall?: PatientLimit;
  /** The most gas one action may use (default 500,000). */
  readonly gasCap?: bigint;
  /** Below this balance (wei) it refuses new actions (default 0). */
  readonly balanceFloor?: bigint;
  /** How often the sender looks for work (ms, default 1000). */
  readonly pollMs?: number;
  /** This process's name for its key's lease (default the host's name). */
  readonly instance?: string;
  /** Blocks on top of an action's before it is confirmed (default 1). */
  readonly confirmations?: number;
  /** Fastify's logger (default off). Routes and codes only: never bodies, signatures or patients. */
  readonly logger?: boolean | { level: string };
}

/** A built relayer: its app (not listening yet), its sender (not started) and its store. */
export interface Relayer {
  readonly app: FastifyInstance;
  readonly sender: Sender;
  readonly store: ActionStore;
  readonly domain: TypedDataDomain;
}

const JSON_TYPE = "application/json";
const ACTION_ID = /^0x[0-9a-f]{64}$/;

export function buildRelayer(options: RelayerOptions): Relayer {
  const { careledger, wallet, db } = options;
  const provider = wallet.provider;
  if (provider === null) throw new Error("the relayer's wallet needs a provider");
  const domain = consentDomain(careledger.chainId, careledger.addresses.ConsentRegistry);
  const ctx: KindContext & { chainId: bigint } = { careledger, provider, registry: careledger.consent.contract, domain, chainId: careledger.chainId };
  const kinds = kindRegistry(options.kinds ?? RELAY_KINDS);
  const store = new ActionStore(db);
  const money = { floor: options.balanceFloor ?? 0n, gasCap: options.gasCap ?? 500_000n };
  const bodyLimit = options.bodyLimit ?? 64 * 1024;

  const app = Fastify({
    bodyLimit,
    requestTimeout: 30_000,
    connectionTimeout: 10_000,
    exposeHeadRoutes: false,
    logger:
      options.logger === undefined || options.logger === false
        ? false
        : {
            level: typeof options.logger === "object" ? options.logger.level : "info",
            serializers: {
              req: (req: { method: string; routeOptions?: { url?: string } }) => ({ method: req.method, route: req.routeOptions?.url ?? "(no route)" }),
              res: (res: { statusCode: number }) => ({ status: res.statusCode }),
            },
          },
  });
  const log = (level: "info" | "warn" | "error", fields: Record<string, unknown>, message: string) => app.log[level](fields, message);
  const sender = new Sender(ctx, store, wallet, kinds, {
    gasCap: money.gasCap,
    pollMs: options.pollMs ?? 1_000,
    instance: options.instance ?? hostname(),
    leaseSeconds: 30,
    confirmations: options.confirmations,
    log,
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser(JSON_TYPE, { parseAs: "string" }, (_req, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(new RelayerProblem(400, "MALFORMED_BODY", "the body is not JSON"), undefined);
    }
  });
  app.setErrorHandler((error: unknown, _req, reply) => {
    if (error instanceof RelayerProblem) return sendProblem(reply, error);
    const e = error as { code?: string; statusCode?: number };
    if (e.code === "FST_ERR_CTP_BODY_TOO_LARGE") return sendProblem(reply, new RelayerProblem(413, "BODY_TOO_LARGE", `the body is larger than this relayer accepts (${bodyLimit} bytes)`));
    if (e.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE" || e.code === "FST_ERR_CTP_INVALID_CONTENT_LENGTH") return sendProblem(reply, new RelayerProblem(415, "UNSUPPORTED_MEDIA_TYPE", `send ${JSON_TYPE}`));
    if (typeof e.statusCode === "number" && e.statusCode >= 400 && e.statusCode < 500) return sendProblem(reply, new RelayerProblem(400, "MALFORMED_REQUEST", "the request is malformed"));
    if (isRefusal(error) || (error as { code?: string }).code === "ECONNREFUSED") return sendProblem(reply, databaseUnavailable());
    reply.log.error({ code: e.code }, "unexpected error");
    return sendProblem(reply, new RelayerProblem(500, "INTERNAL", "the relayer failed to answer; nothing was paid for this request"));
  });
  app.setNotFoundHandler((_req, reply) => sendProblem(reply, new RelayerProblem(404, "NO_SUCH_ENDPOINT", "no such endpoint: POST /actions, GET /actions/{id}, /health, /ready, /status")));

  if (options.perAddress !== undefined) {
    const perAddress = new RateLimiter(options.perAddress);
    app.addHook("onRequest", async (req) => {
      const wait = perAddress.take(req.ip);
      if (wait > 0) throw new RelayerProblem(429, "RATE_LIMITED", `too many requests from this address: try again in ${wait} s`, { headers: { "retry-after": String(wait) } });
    });
  }
  const stored = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof RelayerProblem) throw err;
      throw databaseUnavailable();
    }
  };

  app.post("/actions", async (req, reply) => {
    const read = readAction(ctx, kinds, req.body);
    const known = await stored(() => store.find(read.id));
    if (known !== undefined) return reply.code(200).type(JSON_TYPE).send(viewOf(known));
    await checkBeforePaying(ctx, wallet, read, money);
    const { row, created } = await stored(() => store.record({ id: read.id, kind: read.kind.name, patient: read.patient, body: req.body }, options.perPatient, options.overall));
    if (created) {
      req.log.info({ action: row.id, kind: row.kind }, "action accepted");
      sender.nudge();
    }
    return reply.code(created ? 202 : 200).type(JSON_TYPE).header("location", `/actions/${row.id}`).send(viewOf(row));
  });

  app.get<{ Params: { id: string } }>("/actions/:id", async (req, reply) => {
    const id = req.params.id.toLowerCase();
    if (!ACTION_ID.test(id)) throw new RelayerProblem(400, "INVALID_INPUT", `id: ${JSON.stringify(req.params.id)} is not an action id (0x and 64 hex digits)`, { field: "id" });
    const row = await stored(() => store.find(id));
    if (row === undefined) throw new RelayerProblem(404, "NOT_FOUND", `no action ${id} here`, { field: "id" });
    return reply.type(JSON_TYPE).send(viewOf(row));
  });

  app.get("/health", async (_req, reply) => reply.send({ status: "ok" }));
  app.get("/ready", async (_req, reply) => {
    const checks = await Promise.allSettled([db.pool.query("SELECT 1"), provider.getBlockNumber()]);
    const ok = checks.every((c) => c.status === "fulfilled");
    return reply.code(ok ? 200 : 503).send({ status: ok ? "ready" : "unavailable", database: checks[0].status === "fulfilled", chain: checks[1].status === "fulfilled" });
  });
  app.get("/status", async (_req, reply) => {
    const [balance, pending] = await Promise.all([provider.getBalance(wallet.address).catch(() => undefined), store.pending().catch(() => undefined)]);
    return reply.send({
      relayer: wallet.address,
      chainId: careledger.chainId.toString(),
      consentRegistry: careledger.addresses.ConsentRegistry,
      balance: balance?.toString() ?? null,
      balanceFloor: money.floor.toString(),
      underfunded: balance === undefined ? null : balance < money.floor,
      gasCap: money.gasCap.toString(),
      pending: pending ?? null,
      kinds: [...kinds.keys()],
    });
  });

  return { app, sender, store, domain };
}
