import "dotenv/config";
import "@nomicfoundation/hardhat-toolbox";
import { subtask, type HardhatUserConfig } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import solc from "solc";
import { assertRequestedNetworkConfigured, remoteNetworks, requestedNetwork } from "./config/networks";
import "./tasks";

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

const config: HardhatUserConfig = {
  solidity: {
    compilers: [{ version: SOLC, settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: "cancun" } }],
    overrides: {
      // The engine is within bytes of the 24,576-byte code limit (EIP-170): optimized for size
      // (runs 50) rather than for the last few hundred gas a call; docs/claims.md, "Storage and gas".
      "contracts/claims/ClaimsEngine.sol": { version: SOLC, settings: { optimizer: { enabled: true, runs: 50 }, evmVersion: "cancun" } },
    },
  },
  networks: {
    hardhat: {},
    localhost: { url: process.env.LOCALHOST_RPC_URL ?? "http://127.0.0.1:8545" },
    ...remoteNetworks(),
  },
  typechain: { outDir: "typechain-types", target: "ethers-v6" },
  gasReporter: { enabled: process.env.REPORT_GAS === "true", offline: true, currency: "USD" },
  mocha: { timeout: 120_000, reporter: "./test/support/summary-reporter.js" },
  ignition: { requiredConfirmations: 1 },
  // `npx hardhat ignition verify careledger-<chainId> --network <name>` verifies every contract of a deployment.
  etherscan: { apiKey: process.env.ETHERSCAN_API_KEY ?? "" },
  sourcify: { enabled: false },
};

export default config;
