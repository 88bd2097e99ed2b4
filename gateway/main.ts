/**
 * `npm run gateway`: runs one organization's gateway, configured from the environment (.env.example,
 * "Gateway"). Embedded PGlite in GATEWAY_DATA_DIR by default, PostgreSQL when DATABASE_URL is set.
 * On SIGTERM/SIGINT it stops taking requests, finishes those in flight, anchors every receipt written,
 * publishes the anchored receipts to the indexer (when GATEWAY_INDEXER_URL is set) for a bounded time, and
 * exits. Prints one line on a configuration error, never a stack trace.
 */
import "dotenv/config";
import { JsonRpcProvider, Wallet } from "ethers";
import { envInteger, envVar as readVar, runService } from "../config/env";
import { CareLedger } from "../sdk/careledger";
import { AnchorWorker } from "./anchor";
import { openDatabase } from "./db";
import { LocalKeyProvider } from "./keys";
import { indexerOrigin, PublishError, ReceiptPublisher } from "./publish";
import { buildGateway } from "./server";
import { pruneNonces } from "./auth";

/** The gateway's settings, read from the environment. */
export interface GatewayConfig {
  readonly rpcUrl: string;
  readonly signerKey: string;
  readonly masterKey: string;
  readonly host: string;
  readonly port: number;
  readonly origin: string;
  readonly databaseUrl?: string;
  readonly dataDir: string;
  readonly anchorIntervalMs: number;
  readonly anchorMaxReceipts: number;
  /** The indexer receipts are published to (its origin); without one, nothing is published. */
  readonly indexerUrl?: string;
  readonly bodyLimit: number;
  readonly rateLimit: { readonly perRequester: number; readonly perAddress: number };
}


/** How long a stop waits for the indexer to take the last receipts anchored (they are published at the next start otherwise). */
const PUBLISH_AT_STOP_MS = 10_000;

function required(name: string, what: string, env: NodeJS.ProcessEnv): string {
  const v = readVar(name, env);
  if (v === undefined) throw new Error(`${name} is not set: ${what} (see .env.example, "Gateway")`);
  return v;
}

/** Reads the gateway's configuration (from `env`, default the process's). @throws {Error} naming the variable, in one line */
export function gatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const envVar = (name: string) => readVar(name, env);
  const integer = (name: string, fallback: number, min: number, max: number) => envInteger(name, fallback, min, max, env);
  const host = envVar("GATEWAY_HOST") ?? "127.0.0.1";
  const port = integer("GATEWAY_PORT", 8080, 0, 65535);
  const signerKey = required("GATEWAY_SIGNER_KEY", "the private key of a member of the holding organization (it anchors records and receipts)", env);
  if (!/^0x[0-9a-fA-F]{64}$/.test(signerKey)) throw new Error("GATEWAY_SIGNER_KEY is not 0x + 64 hex digits");
  const indexerUrl = envVar("GATEWAY_INDEXER_URL");
  return {
    rpcUrl: envVar("GATEWAY_RPC_URL") ?? envVar("LOCALHOST_RPC_URL") ?? "http://127.0.0.1:8545",
    signerKey,
    masterKey: required("GATEWAY_MASTER_KEY", "the organization's master key, 32 bytes of hex, which wraps every record's data key", env),
    host,
    port,
    origin: envVar("GATEWAY_ORIGIN") ?? `http://${host}:${port}`,
    databaseUrl: envVar("DATABASE_URL"),
    dataDir: envVar("GATEWAY_DATA_DIR") ?? ".gateway/pglite",
    anchorIntervalMs: integer("GATEWAY_ANCHOR_INTERVAL_MS", 5_000, 100, 3_600_000),
    anchorMaxReceipts: integer("GATEWAY_ANCHOR_MAX_RECEIPTS", 1_024, 1, 65_536),
    indexerUrl: indexerUrl === undefined ? undefined : indexerOrigin(indexerUrl, "GATEWAY_INDEXER_URL"),
    bodyLimit: integer("GATEWAY_BODY_LIMIT", 5 * 1024 * 1024, 1024, 512 * 1024 * 1024),
    rateLimit: {
      perRequester: integer("GATEWAY_RATE_LIMIT", 600, 1, 10_000_000),
      perAddress: integer("GATEWAY_ADDRESS_RATE_LIMIT", 6_000, 1, 10_000_000),
    },
  };
}

async function main(onStop: (stop: (signal: string) => Promise<void>) => void): Promise<void> {
  const config = gatewayConfig();
  // No cache of identical calls (ethers' default keeps one 250 ms): two anchorings in a row would read the
  // same pending nonce and the second would be refused.
  const provider = new JsonRpcProvider(config.rpcUrl, undefined, { staticNetwork: true, pollingInterval: 250, cacheTimeout: -1 });
  const signer = new Wallet(config.signerKey, provider);
  const careledger = await CareLedger.connect(signer);
  const db = await openDatabase({ url: config.databaseUrl, dataDir: config.databaseUrl === undefined ? config.dataDir : undefined });
  const keys = new LocalKeyProvider(config.masterKey);
  const gateway = await buildGateway({ careledger, db, keys, origin: config.origin, bodyLimit: config.bodyLimit, rateLimit: config.rateLimit, logger: { level: "info" } });
  await gateway.recoverPending();
  const worker = new AnchorWorker(careledger, db, gateway.orgId, {
    intervalMs: config.anchorIntervalMs,
    maxReceipts: config.anchorMaxReceipts,
    recover: () => gateway.recoverPending(),
    onError: (err) => gateway.app.log.warn({ err: (err as Error).message }, "anchoring round failed; receipts kept for the next round"),
  });
  gateway.receipts.onWritten((n) => worker.written(n));
  worker.start();
  const publisher =
    config.indexerUrl === undefined
      ? undefined
      : new ReceiptPublisher(signer, db, gateway.orgId, gateway.domain, config.indexerUrl, {
          // A root the indexer does not have is checked against the chain: behind it, or an anchoring a reorganization dropped.
          anchors: careledger.disclosures,
          onError: (err) => {
            // The indexer's word, never a receipt: roots and codes only (its diagnostics name what it refused).
            if (!(err instanceof PublishError)) return gateway.app.log.warn({ err: (err as Error).message }, "publishing round failed; receipts kept for the next round");
            const fields = { code: err.code, root: err.root, status: err.status, issue: err.issueCode, diagnostics: err.diagnostics };
            if (err.code === "INDEXER_REFUSED" || err.code === "INDEXER_UNAUTHORIZED" || err.code === "ROOT_INCOMPLETE") gateway.app.log.error(fields, err.message);
            else gateway.app.log.warn(fields, err.message);
          },
        });
  publisher?.start();
  const pruning = setInterval(() => void pruneNonces(db).catch(() => undefined), 60_000);
  const address = await gateway.app.listen({ host: config.host, port: config.port });
  console.log(
    `CareLedger gateway of organization ${gateway.orgId} at ${config.origin} (listening on ${address}, ${db.kind}, chain ${careledger.chainId}, ${publisher === undefined ? "receipts not published" : `receipts published to ${publisher.origin}`})`,
  );
  onStop(async (signal) => {
    console.log(`${signal}: finishing requests in flight and anchoring every receipt`);
    clearInterval(pruning);
    await gateway.app.close();
    await worker.stop().catch((err) => console.error(`receipts left for the next start: ${(err as Error).message}`));
    if (publisher !== undefined) {
      console.log(`publishing the anchored receipts to ${publisher.origin} (at most ${PUBLISH_AT_STOP_MS / 1000} s)`);
      const left = await publisher.stop(PUBLISH_AT_STOP_MS).catch(() => undefined);
      if (left !== 0) console.error(`${left ?? "some"} anchored root(s) not yet published to ${publisher.origin}: published at the next start`);
    }
    await db.close();
  });
}

if (require.main === module) runService("gateway", main);
