/**
 * `npm run indexer`: follows the suite's events on one chain into a database and serves the query API
 * (indexer/api.ts), configured from the environment (.env.example, "Indexer"). Embedded PGlite in
 * INDEXER_DATA_DIR by default, PostgreSQL when DATABASE_URL is set. It catches up, then polls; a node
 * that fails is asked again at the next poll (nothing half stored); a reorganization deeper than its
 * window halts the sync and `/ready` answers 503 until it is re-indexed into a new database. Gateways post
 * their disclosure receipts to it and patients read them (indexer/receipts.ts), signed for INDEXER_ORIGIN;
 * the nonces of those requests are pruned every minute. Prints one line on a configuration error, never a
 * stack trace.
 */
import "dotenv/config";
import { JsonRpcProvider } from "ethers";
import { envInteger as integer, envVar, runService } from "../config/env";
import { CareLedger } from "../sdk/careledger";
import { originOf } from "../sdk/exchange/request";
import { pruneNonces } from "../gateway/auth";
import { buildIndexerApi } from "./api";
import { openIndexerDatabase } from "./db";
import { INDEXER_NONCES } from "./receipts";
import { Indexer, IndexerHaltedError } from "./sync";


async function main(onStop: (stop: (signal: string) => Promise<void>) => void): Promise<void> {
  const rpcUrl = envVar("INDEXER_RPC_URL") ?? envVar("LOCALHOST_RPC_URL") ?? "http://127.0.0.1:8545";
  const host = envVar("INDEXER_HOST") ?? "127.0.0.1";
  const port = integer("INDEXER_PORT", 8090, 0, 65535);
  // What requests to it are signed for: its public origin (behind a proxy, the proxy's https origin).
  const rawOrigin = envVar("INDEXER_ORIGIN") ?? `http://${host}:${port}`;
  let origin: string;
  try {
    origin = originOf(rawOrigin, "INDEXER_ORIGIN");
  } catch {
    throw new Error(`INDEXER_ORIGIN=${rawOrigin} is not an http(s) origin (scheme://host[:port])`);
  }
  const pollMs = integer("INDEXER_POLL_MS", 2_000, 100, 3_600_000);
  const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
  const careledger = await CareLedger.connect(provider);
  // A development chain (31337) settles at once; a public one is read 12 blocks behind its head.
  const confirmations = integer("INDEXER_CONFIRMATIONS", careledger.chainId === 31337n ? 0 : 12, 0, 10_000);
  const databaseUrl = envVar("DATABASE_URL");
  const db = await openIndexerDatabase({ url: databaseUrl, dataDir: databaseUrl === undefined ? (envVar("INDEXER_DATA_DIR") ?? ".indexer/pglite") : undefined });
  const indexer = await Indexer.open(provider, db, { chainId: careledger.chainId, addresses: careledger.addresses, fromBlock: careledger.fromBlock }, {
    confirmations,
    window: integer("INDEXER_WINDOW", 256, 1, 1_000_000),
    log: (line) => console.log(line),
  });
  const app = buildIndexerApi({ db, indexer, chainId: careledger.chainId, consentRegistry: careledger.addresses.ConsentRegistry, careledger, origin, logger: true });
  const pruning = setInterval(() => void pruneNonces(db, INDEXER_NONCES).catch(() => undefined), 60_000);
  const address = await app.listen({ host, port });
  console.log(`CareLedger indexer of chain ${careledger.chainId} from block ${careledger.fromBlock} (${db.kind}; confirmations ${confirmations}) at ${address} (origin ${origin})`);
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  const poll = async () => {
    try {
      await indexer.catchUp();
    } catch (err) {
      if (err instanceof IndexerHaltedError) {
        console.error(`indexer: halted: ${err.message}`);
        return;
      }
      console.error(`indexer: ${(err as Error).message ?? String(err)}; trying again in ${pollMs} ms`);
    }
    if (!stopping) timer = setTimeout(() => void poll(), pollMs);
  };
  void poll();
  onStop(async (signal) => {
    stopping = true;
    clearTimeout(timer);
    clearInterval(pruning);
    console.log(`${signal}: stopping`);
    await app.close();
    await db.close();
  });
}

if (require.main === module) runService("indexer", main);
