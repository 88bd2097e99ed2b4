/**
 * Remote networks, configured from the environment (see `.env.example`).
 *
 * A network whose variables are missing is absent from the Hardhat config. When a command asks for
 * it anyway (`--network sepolia`), {@link assertRequestedNetworkConfigured} stops with a sentence
 * naming the variable to set, instead of Hardhat's generic "network doesn't exist".
 * Secrets (the deployer key) are never printed, not even in errors.
 */
import type { HttpNetworkUserConfig } from "hardhat/types";
import { ConfigurationError } from "./cli";
import { envVar } from "./env";

/** A network that needs an RPC URL (and, to send transactions, the deployer key). */
interface RemoteNetwork {
  /** The environment variable holding the JSON-RPC URL. */
  readonly urlVariable: string;
  /** The chain id the endpoint must report, when it is fixed. */
  readonly chainId?: number;
  /** What it is, for error messages. */
  readonly description: string;
}

/** Every remote network the project knows, by Hardhat network name. */
export const REMOTE_NETWORKS: Readonly<Record<string, RemoteNetwork>> = {
  sepolia: { urlVariable: "SEPOLIA_RPC_URL", chainId: 11155111, description: "the Sepolia public testnet" },
  custom: { urlVariable: "RPC_URL", description: "any EVM JSON-RPC endpoint (an L2, a Besu/QBFT consortium chain, a remote hardhat node)" },
};

const KEY_VARIABLE = "DEPLOYER_PRIVATE_KEY";

/** Reads the network name a Hardhat command was started with (`--network X` or `HARDHAT_NETWORK`). */
export function requestedNetwork(argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const i = argv.indexOf("--network");
  if (i >= 0 && i + 1 < argv.length) return argv[i + 1];
  const inline = argv.find((a) => a.startsWith("--network="));
  if (inline) return inline.slice("--network=".length);
  return envVar("HARDHAT_NETWORK", env);
}

/** Returns the deployer accounts, validating the key's shape without ever echoing it. */
function deployerAccounts(env: NodeJS.ProcessEnv): string[] {
  const key = envVar(KEY_VARIABLE, env);
  if (!key) return [];
  const normalized = key.startsWith("0x") ? key : `0x${key}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(normalized)) {
    throw new ConfigurationError(`${KEY_VARIABLE} is not a 32-byte hex private key (its value is not shown): fix it in .env`);
  }
  return [normalized];
}

/** Builds the Hardhat `networks` entries for every remote network whose URL is set. */
export function remoteNetworks(env: NodeJS.ProcessEnv = process.env): Record<string, HttpNetworkUserConfig> {
  const out: Record<string, HttpNetworkUserConfig> = {};
  for (const [name, net] of Object.entries(REMOTE_NETWORKS)) {
    const url = envVar(net.urlVariable, env);
    if (!url) continue;
    out[name] = { url, accounts: deployerAccounts(env), ...(net.chainId ? { chainId: net.chainId } : {}) };
  }
  return out;
}

/**
 * Throws a clear error when the requested network is a known remote network whose variables are
 * not set. Called from `hardhat.config.ts` so that every command (deploy, tasks, demo) gets it.
 */
export function assertRequestedNetworkConfigured(requested: string | undefined, env: NodeJS.ProcessEnv = process.env): void {
  if (!requested) return;
  const net = REMOTE_NETWORKS[requested];
  if (!net) return;
  if (envVar(net.urlVariable, env) === undefined) {
    throw new ConfigurationError(
      `${net.urlVariable} is not set: copy .env.example to .env and set ${net.urlVariable} to the JSON-RPC URL of ${net.description}`,
    );
  }
}

/**
 * Throws a clear error when the requested network is none of the configured ones (Hardhat's own
 * "Network X doesn't exist" names none of them), listing them and the remote networks `.env` can add.
 */
export function assertRequestedNetworkKnown(requested: string | undefined, configured: readonly string[]): void {
  if (!requested || configured.includes(requested)) return;
  const addable = Object.entries(REMOTE_NETWORKS)
    .filter(([name]) => !configured.includes(name))
    .map(([name, net]) => `${name} (set ${net.urlVariable} in .env)`);
  throw new ConfigurationError(
    `unknown network ${JSON.stringify(requested)}: this project has ${configured.join(", ")}${addable.length > 0 ? `; it can add ${addable.join(", ")}` : ""}`,
  );
}
