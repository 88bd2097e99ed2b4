/**
 * `npm run relayer`: pays patients' gas for their signed consent actions (relayer/server.ts), configured
 * from the environment (.env.example, "Relayer"). Embedded PGlite in RELAYER_DATA_DIR by default,
 * PostgreSQL when DATABASE_URL is set (several relayers, each with its own key, may share one). At start
 * it settles what a killed process left (relayer/sender.ts); on SIGTERM/SIGINT it stops taking requests,
 * finishes the round under way and exits — what it sent is settled at the next start. Prints one line on
 * a configuration error, never a stack trace.
 */
import "dotenv/config";
import { JsonRpcProvider, parseEther, Wallet } from "ethers";
import { envInteger, envVar as readVar, runService } from "../config/env";
import { CareLedger } from "../sdk/careledger";
import { openRelayerDatabase } from "./db";
import { buildRelayer } from "./server";

/** The relayer's settings, read from the environment. */
export interface RelayerConfig {
  readonly rpcUrl: string;
  readonly signerKey: string;
  readonly host: string;
  readonly port: number;
  readonly databaseUrl?: string;
  readonly dataDir: string;
  readonly bodyLimit: number;
  readonly perAddress: number;
  readonly perPatient: { readonly actions: number; readonly windowSeconds: number };
  readonly overall: { readonly actions: number; readonly windowSeconds: number };
  readonly gasCap: bigint;
  readonly balanceFloor: bigint;
  readonly pollMs: number;
  readonly instance?: string;
}

/** Reads the relayer's configuration (from `env`, default the process's). @throws {Error} naming the variable, in one line */
export function relayerConfig(env: NodeJS.ProcessEnv = process.env): RelayerConfig {
  const envVar = (name: string) => readVar(name, env);
  const integer = (name: string, fallback: number, min: number, max: number) => envInteger(name, fallback, min, max, env);
  const signerKey = envVar("RELAYER_SIGNER_KEY");
  if (signerKey === undefined) throw new Error('RELAYER_SIGNER_KEY is not set: the private key of the account that pays the gas (see .env.example, "Relayer")');
  if (!/^0x[0-9a-fA-F]{64}$/.test(signerKey)) throw new Error("RELAYER_SIGNER_KEY is not 0x + 64 hex digits");
  const floor = envVar("RELAYER_BALANCE_FLOOR") ?? "0.01";
  let balanceFloor: bigint;
  try {
    balanceFloor = parseEther(floor);
  } catch {
    throw new Error(`RELAYER_BALANCE_FLOOR=${floor} is not an amount of ETH (e.g. 0.05)`);
  }
  const host = envVar("RELAYER_HOST") ?? "127.0.0.1";
  return {
    rpcUrl: envVar("RELAYER_RPC_URL") ?? envVar("LOCALHOST_RPC_URL") ?? "http://127.0.0.1:8545",
    signerKey,
    host,
    port: integer("RELAYER_PORT", 8070, 0, 65535),
    databaseUrl: envVar("DATABASE_URL"),
    dataDir: envVar("RELAYER_DATA_DIR") ?? ".relayer/pglite",
    bodyLimit: integer("RELAYER_BODY_LIMIT", 64 * 1024, 1024, 1024 * 1024),
    perAddress: integer("RELAYER_ADDRESS_RATE_LIMIT", 600, 1, 10_000_000),
    perPatient: { actions: integer("RELAYER_PATIENT_RATE_LIMIT", 30, 1, 1_000_000), windowSeconds: integer("RELAYER_PATIENT_RATE_WINDOW", 3_600, 1, 31 * 86_400) },
    overall: { actions: integer("RELAYER_RATE_LIMIT", 600, 1, 100_000_000), windowSeconds: integer("RELAYER_RATE_WINDOW", 3_600, 1, 31 * 86_400) },
    gasCap: BigInt(integer("RELAYER_GAS_CAP", 500_000, 21_000, 16_777_216)),
    balanceFloor,
    pollMs: integer("RELAYER_POLL_MS", 1_000, 50, 3_600_000),
    instance: envVar("RELAYER_INSTANCE"),
  };
}

async function main(onStop: (stop: (signal: string) => Promise<void>) => void): Promise<void> {
  const config = relayerConfig();
  const provider = new JsonRpcProvider(config.rpcUrl, undefined, { staticNetwork: true, pollingInterval: 250, cacheTimeout: -1 });
  const wallet = new Wallet(config.signerKey, provider);
  const careledger = await CareLedger.connect(provider);
  const db = await openRelayerDatabase({ url: config.databaseUrl, dataDir: config.databaseUrl === undefined ? config.dataDir : undefined });
  const relayer = buildRelayer({
    careledger,
    wallet,
    db,
    bodyLimit: config.bodyLimit,
    perAddress: config.perAddress,
    perPatient: config.perPatient,
    overall: config.overall,
    gasCap: config.gasCap,
    balanceFloor: config.balanceFloor,
    pollMs: config.pollMs,
    instance: config.instance,
    logger: { level: "info" },
  });
  relayer.sender.start();
  const address = await relayer.app.listen({ host: config.host, port: config.port });
  console.log(`CareLedger relayer ${wallet.address} for the consent registry ${careledger.addresses.ConsentRegistry} on chain ${careledger.chainId} at ${address} (${db.kind})`);
  onStop(async (signal) => {
    console.log(`${signal}: finishing the round under way`);
    await relayer.app.close();
    await relayer.sender.stop();
    await db.close();
  });
}

if (require.main === module) runService("relayer", main);
