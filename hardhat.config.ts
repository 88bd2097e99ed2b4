import "dotenv/config";
import "@nomicfoundation/hardhat-toolbox";
import { subtask, type HardhatUserConfig } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import solc from "solc";
import { presentCliErrors } from "./config/cli";
import { envVar } from "./config/env";
import { assertRequestedNetworkConfigured, assertRequestedNetworkKnown, remoteNetworks, requestedNetwork } from "./config/networks";
import "./tasks";

// Known errors in one line on the command line (config/cli.ts); before anything below can throw.
presentCliErrors();

/**
 * The one Solidity compiler version, taken from the npm `solc` package (pinned exactly in
 * package.json) so that compiling needs no internet. Any other version would be downloaded and fail.
 */
const SOLC = "0.8.30";

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }, _hre, runSuper) => {
  if (args.solcVersion !== SOLC) return runSuper(args);
  return { compilerPath: require.resolve("solc/soljson.js"), isSolcJs: true, version: SOLC, longVersion: solc.version() };
});

assertRequestedNetworkConfigured(requestedNetwork());

/**
 * `hardhat coverage` compiles without the IR pipeline: its instrumentation makes the claims
 * adjudication too deep for the IR code generator's stack, and coverage counts source lines and
 * branches, which the pipeline does not change (its network allows contracts over the size limit).
 * Mutation runs (`npm run mutation`, which sets CARELEDGER_MUTATION_BUILD) do too, and without the
 * optimizer: a mutant of the claims code compiles in under a third of the time, the tests judge the
 * same source (no test of a mutation target reads gas), and the in-process network then allows the
 * engine's larger unoptimized code.
 */
const MUTATION_BUILD = envVar("CARELEDGER_MUTATION_BUILD") !== undefined;
const VIA_IR = !process.argv.includes("coverage") && !MUTATION_BUILD;
const OPTIMIZE = !MUTATION_BUILD;

/** The WebAuthn verifier's build, the same in every build (see its override below). */
const WEBAUTHN_VERIFIER_BUILD = { version: SOLC, settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: "cancun", viaIR: true } };

/**
 * The uninstrumented, unoptimized builds (coverage, mutation) make larger contracts, and coverage's instrumentation
 * is the heavier kind once any file is built through IR (the WebAuthn verifier is): the suite's largest deployment
 * then needs more gas than osaka lets one transaction use (EIP-7825, 2^24). Those builds run on prague, without
 * that cap (and without the P-256 precompile: the accounts' signatures are checked by OpenZeppelin's Solidity
 * fallback there; their gas is measured on osaka, by the gas tests and the benchmark).
 */
const NETWORKS = {
  hardhat: VIA_IR ? {} : { allowUnlimitedContractSize: true, hardfork: "prague", blockGasLimit: 1_000_000_000 },
  // Every variable through envVar: one left empty in .env (as .env.example has them) counts as unset.
  localhost: { url: envVar("LOCALHOST_RPC_URL") ?? "http://127.0.0.1:8545" },
  ...remoteNetworks(),
};
assertRequestedNetworkKnown(requestedNetwork(), Object.keys(NETWORKS));

const config: HardhatUserConfig = {
  solidity: {
    compilers: [{ version: SOLC, settings: { optimizer: { enabled: OPTIMIZE, runs: 200 }, evmVersion: "cancun" } }],
    overrides: {
      // The claims engine and its lifecycle library through the IR pipeline: smaller code (the
      // engine is near the 24,576-byte limit of EIP-170) and less gas a claim; docs/claims.md,
      // "Storage and gas".
      "contracts/claims/ClaimsEngine.sol": { version: SOLC, settings: { optimizer: { enabled: OPTIMIZE, runs: 1000 }, evmVersion: "cancun", viaIR: VIA_IR } },
      "contracts/claims/ClaimsLifecycle.sol": { version: SOLC, settings: { optimizer: { enabled: OPTIMIZE, runs: 1000 }, evmVersion: "cancun", viaIR: VIA_IR } },
      // OpenZeppelin's WebAuthn verifier (its P256 Solidity fallback) through the IR pipeline with the optimizer in
      // every build: without the optimizer its assembly is too deep for the stack, which coverage's and mutation's
      // builds (no optimizer; coverage keeps it for IR builds) would otherwise hit. Hardhat compiles every file of
      // the dependency graph, so OpenZeppelin's own file needs the setting as much as ours, which wraps it.
      "contracts/accounts/WebAuthnVerifier.sol": WEBAUTHN_VERIFIER_BUILD,
      "@openzeppelin/contracts/utils/cryptography/verifiers/ERC7913WebAuthnVerifier.sol": WEBAUTHN_VERIFIER_BUILD,
    },
  },
  networks: NETWORKS,
  typechain: { outDir: "typechain-types", target: "ethers-v6" },
  gasReporter: { enabled: envVar("REPORT_GAS") === "true", offline: true, currency: "USD" },
  mocha: { timeout: 120_000, reporter: "./test/support/summary-reporter.js" },
  ignition: { requiredConfirmations: 1 },
  // `npx hardhat ignition verify careledger-<chainId> --network <name>` verifies every contract of a deployment.
  etherscan: { apiKey: envVar("ETHERSCAN_API_KEY") ?? "" },
  sourcify: { enabled: false },
};

export default config;
