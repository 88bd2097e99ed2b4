/**
 * Deploys the suite with Hardhat Ignition and writes `deployments/<chainId>.json`.
 *
 *   npm run deploy -- --network <name>
 *
 * Running it twice does not deploy twice: an existing address book whose contracts have code is
 * kept as it is, and an interrupted deployment resumes from Ignition's journal. On the throwaway
 * local chain (31337) an address book left behind by a restarted node is replaced; on any other
 * chain a book without code is an error (wrong endpoint?) and nothing is overwritten.
 *
 * Environment (see .env.example): REGISTRAR_ADDRESS, PAUSER_ADDRESS, CONFIGURATOR_ADDRESS,
 * REGISTRAR_EXECUTION_DELAY, CONFIGURATOR_EXECUTION_DELAY, ADMIN_EXECUTION_DELAY; CARELEDGER_DEPLOYMENTS_DIR and CARELEDGER_DEPLOYMENT_ID to keep a test's
 * deployment apart from yours. Each is read with envVar (config/env.ts): left empty, it is unset.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import CareLedgerModule from "../ignition/modules/CareLedger";
import { readAddressBook, SUITE_CONTRACTS, writeAddressBook, DEFAULT_ADDRESS_BOOK_DIR, type AddressBook, type SuiteAddresses } from "../sdk/core/addressBook";
import { requireAddress } from "../sdk/core/validate";
import { ConfigurationError } from "../config/cli";
import { envVar } from "../config/env";

/** The chain id of Hardhat's in-process network and of `hardhat node`. */
export const LOCAL_CHAIN_ID = 31337;

/** Options of {@link deploySuite}. */
export interface DeployOptions {
  /** Where to write the address book; `null` to write none (default: none on the in-process network). */
  readonly addressBookDir?: string | null;
  /** Ignition deployment id (default `careledger-<chainId>`). */
  readonly deploymentId?: string;
  /** Role holders and delays (default: from the environment, else the deployer and 0). */
  readonly registrar?: string;
  readonly pauser?: string;
  readonly configurator?: string;
  readonly registrarExecutionDelay?: number;
  readonly configuratorExecutionDelay?: number;
  readonly adminExecutionDelay?: number;
  /** Where progress goes (default: console.log). */
  readonly log?: (line: string) => void;
}

/** What {@link deploySuite} did. */
export interface DeployResult {
  readonly book: AddressBook;
  /** False when an existing deployment was found and kept. */
  readonly deployed: boolean;
  /** The address book's path, when one was written or found. */
  readonly file?: string;
}

/** An execution delay from the environment (envVar: left empty, it is unset). */
function delayFromEnv(name: string): number | undefined {
  const raw = envVar(name);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) > 0xffffffff) throw new ConfigurationError(`${name} must be a number of seconds (0 to 4294967295), not ${JSON.stringify(raw)}`);
  return Number(raw);
}

async function allHaveCode(hre: HardhatRuntimeEnvironment, book: AddressBook): Promise<boolean> {
  for (const name of SUITE_CONTRACTS) {
    if ((await hre.ethers.provider.getCode(book.contracts[name])) === "0x") return false;
  }
  return true;
}

/**
 * Deploys the suite (or finds it deployed) on `hre`'s network.
 * @throws {Error} when the chain has an address book but no code at its addresses (not 31337)
 */
export async function deploySuite(hre: HardhatRuntimeEnvironment, options: DeployOptions = {}): Promise<DeployResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const chainId = Number((await hre.ethers.provider.getNetwork()).chainId);
  const inProcess = hre.network.name === "hardhat";
  const dir =
    options.addressBookDir !== undefined ? options.addressBookDir : inProcess ? null : (envVar("CARELEDGER_DEPLOYMENTS_DIR") ?? DEFAULT_ADDRESS_BOOK_DIR);
  const deploymentId = options.deploymentId ?? envVar("CARELEDGER_DEPLOYMENT_ID") ?? `careledger-${chainId}`;

  if (dir) {
    const existing = readAddressBook(chainId, dir);
    if (existing) {
      if (await allHaveCode(hre, existing)) {
        log(`CareLedger ${existing.version} is already deployed on chain ${chainId} (block ${existing.deploymentBlock}); nothing to do.`);
        return { book: existing, deployed: false, file: path.join(dir, `${chainId}.json`) };
      }
      if (chainId !== LOCAL_CHAIN_ID) {
        throw new ConfigurationError(
          `deployments/${chainId}.json lists contracts that have no code on this endpoint: is it the right network? ` +
            `Refusing to overwrite another deployment; move the file away if you really mean to redeploy.`,
        );
      }
      log(`The local node was restarted: replacing the stale address book and Ignition journal for chain ${chainId}.`);
      fs.rmSync(path.join(dir, `${chainId}.json`), { force: true });
      fs.rmSync(path.join(hre.config.paths.ignition, "deployments", deploymentId), { recursive: true, force: true });
    }
  }

  const [deployer] = await hre.ethers.getSigners();
  if (!deployer) throw new ConfigurationError("no deployer account: set DEPLOYER_PRIVATE_KEY in .env (see .env.example)");
  const registrar = requireAddress("REGISTRAR_ADDRESS", options.registrar ?? envVar("REGISTRAR_ADDRESS") ?? deployer.address);
  const pauser = requireAddress("PAUSER_ADDRESS", options.pauser ?? envVar("PAUSER_ADDRESS") ?? deployer.address);
  const configurator = requireAddress("CONFIGURATOR_ADDRESS", options.configurator ?? envVar("CONFIGURATOR_ADDRESS") ?? deployer.address);
  const registrarExecutionDelay = options.registrarExecutionDelay ?? delayFromEnv("REGISTRAR_EXECUTION_DELAY") ?? 0;
  const configuratorExecutionDelay = options.configuratorExecutionDelay ?? delayFromEnv("CONFIGURATOR_EXECUTION_DELAY") ?? 0;
  const adminExecutionDelay = options.adminExecutionDelay ?? delayFromEnv("ADMIN_EXECUTION_DELAY") ?? 0;
  if (chainId !== LOCAL_CHAIN_ID && registrarExecutionDelay === 0 && adminExecutionDelay === 0) {
    log("Warning: no execution delays are set: on a shared network, set REGISTRAR_EXECUTION_DELAY and ADMIN_EXECUTION_DELAY (see README).");
  }

  const deploymentBlock = (await hre.ethers.provider.getBlockNumber()) + 1;
  log(`Deploying CareLedger to chain ${chainId} from ${deployer.address} (Ignition deployment ${deploymentId})…`);
  const result = await hre.ignition.deploy(CareLedgerModule, {
    deploymentId,
    displayUi: false,
    parameters: {
      CareLedger: { registrar, pauser, configurator, registrarExecutionDelay, configuratorExecutionDelay, adminExecutionDelay },
    },
  });
  const contracts: SuiteAddresses = {
    AccessManager: await result.manager.getAddress(),
    ParticipantRegistry: await result.participantRegistry.getAddress(),
    ConsentRegistry: await result.consentRegistry.getAddress(),
    RecordRegistry: await result.recordRegistry.getAddress(),
    ClaimsEngine: await result.claimsEngine.getAddress(),
    DisclosureLog: await result.disclosureLog.getAddress(),
  };
  const version: string = JSON.parse(fs.readFileSync(path.join(hre.config.paths.root, "package.json"), "utf8")).version;
  const accounts = {
    WebAuthnVerifier: await result.webAuthnVerifier.getAddress(),
    PatientAccountFactory: await result.patientAccountFactory.getAddress(),
  };
  const book: AddressBook = { chainId, version, deploymentBlock, deployedAt: new Date().toISOString(), contracts, accounts };
  const file = dir ? writeAddressBook(book, dir) : undefined;
  if (file) log(`Address book written to ${path.relative(process.cwd(), file)}`);
  return { book, deployed: true, file };
}

async function main(): Promise<void> {
  const hre = await import("hardhat");
  const { book } = await deploySuite(hre);
  console.log(JSON.stringify(book, null, 2));
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
