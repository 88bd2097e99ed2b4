/**
 * `npm run indexer`: follows the suite's events on one chain into a database and serves the query API
 * (indexer/api.ts), configured from the environment (.env.example, "Indexer"). Embedded PGlite in
 * INDEXER_DATA_DIR by default, PostgreSQL when DATABASE_URL is set. It catches up, then polls; a node
 * that fails is asked again at the next poll (nothing half stored); a reorganization deeper than its
 * window halts the sync and `/ready` answers 503 until it is re-indexed into a new database. Prints one
 * line on a configuration error, never a stack trace.
 */
import "dotenv/config";
import { JsonRpcProvider } from "ethers";
import { envInteger as integer, envVar, runService } from "../config/env";
import { CareLedger } from "../sdk/careledger";
import { buildIndexerApi } from "./api";
import { openIndexerDatabase } from "./db";
import { Indexer, IndexerHaltedError } from "./sync";


async function main(onStop: (stop: (signal: string) => Promise<void>) => void): Promise<void> {
  const rpcUrl = envVar("INDEXER_RPC_URL") ?? envVar("LOCALHOST_RPC_URL") ?? "http://127.0.0.1:8545";
  const host = envVar("INDEXER_HOST") ?? "127.0.0.1";
  const port = integer("INDEXER_PORT", 8090, 0, 65535);
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
  const app = buildIndexerApi({ db, indexer, chainId: careledger.chainId, consentRegistry: careledger.addresses.ConsentRegistry, logger: true });
  const address = await app.listen({ host, port });
  console.log(`CareLedger indexer of chain ${careledger.chainId} from block ${careledger.fromBlock} (${db.kind}; confirmations ${confirmations}) at ${address}`);
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
    console.log(`${signal}: stopping`);
    await app.close();
    await db.close();
  });
}

if (require.main === module) runService("indexer", main);
