/**
 * `npm run deploy -- --network <name> [--test-token]`: deploys the suite with Hardhat Ignition (or finds
 * it deployed) and writes `deployments/<chainId>.json` (scripts/deploy.ts). With `--test-token`, on a
 * local chain (31337) only, it also deploys a test stablecoin the configurator allow-lists and records it
 * in the address book as `testToken`, so that an integrator can try claims without the demo.
 */
import * as path from "node:path";
import { task } from "hardhat/config";
import { UsageError } from "../config/cli";

task("deploy", "Deploys the suite (or finds it deployed) and writes deployments/<chainId>.json")
  .addFlag("testToken", "on a local chain (31337) only: also deploy an allow-listed test stablecoin (anyone may mint) and record it as testToken")
  .setAction(async (args: { testToken: boolean }, hre) => {
    const { deploySuite, LOCAL_CHAIN_ID } = await import("../scripts/deploy");
    const chainId = Number((await hre.ethers.provider.getNetwork()).chainId);
    if (args.testToken && chainId !== LOCAL_CHAIN_ID) {
      throw new UsageError(`--test-token deploys a test stablecoin on a local chain (${LOCAL_CHAIN_ID}) only; chain ${chainId} is not one: allow a real stablecoin there (claims.setTokenAllowed)`);
    }
    const { book, file } = await deploySuite(hre);
    if (!args.testToken) return void console.log(JSON.stringify(book, null, 2));
    const { CareLedger, readAddressBook, writeAddressBook } = await import("../sdk");
    const { MockStablecoin__factory } = await import("../typechain-types");
    const dir = file ? path.dirname(file) : undefined;
    const current = (dir && readAddressBook(chainId, dir)) || book;
    if (current.testToken && (await hre.ethers.provider.getCode(current.testToken)) !== "0x") {
      console.log(`The test token is already deployed at ${current.testToken}.`);
      return void console.log(JSON.stringify(current, null, 2));
    }
    const [deployer] = await hre.ethers.getSigners();
    const token = await new MockStablecoin__factory(deployer).deploy();
    await token.waitForDeployment();
    const testToken = await token.getAddress();
    const cl = await CareLedger.connect(deployer, { addressBook: current });
    await (await cl.claims.setTokenAllowed({ token: testToken, allowed: true })).wait();
    const updated = { ...current, testToken };
    if (dir) writeAddressBook(updated, dir);
    console.log(`Deployed the test stablecoin mUSD (6 decimals; mint(to, amount) is open to anyone) at ${testToken} and allowed it for plans.`);
    console.log(JSON.stringify(updated, null, 2));
  });
