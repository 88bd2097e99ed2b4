/**
 * Every deployable contract of the suite stays under EIP-170's 24,576-byte limit on deployed code, with
 * a margin: a change that eats the margin is seen here, before a deployment fails on a real chain.
 * "[gas]": compiled as shipped (through the IR pipeline where hardhat.config.ts says so), which
 * `npm run coverage`'s instrumented code is not (.solcover.js leaves it out).
 */
import { expect } from "chai";
import hre from "hardhat";

/** EIP-170: the most bytes of code a contract may deploy. */
const EIP170_LIMIT = 24_576;
/** What must stay free under the limit: room for a fix without a redesign. */
const MARGIN = 256;
/** Test doubles and proof harnesses, never deployed by the suite. */
const NOT_SHIPPED = /^contracts\/(test|verification)\//;

describe("[gas] deployed contract sizes", function () {
  it(`every shipped contract at least ${MARGIN} bytes under EIP-170's ${EIP170_LIMIT}`, async function () {
    const sizes: Record<string, number> = {};
    for (const name of await hre.artifacts.getAllFullyQualifiedNames()) {
      if (!name.startsWith("contracts/") || NOT_SHIPPED.test(name)) continue;
      const { deployedBytecode } = await hre.artifacts.readArtifact(name);
      const bytes = (deployedBytecode.length - 2) / 2;
      if (bytes > 0) sizes[name] = bytes;
    }
    expect(Object.keys(sizes).some((n) => n.endsWith(":ClaimsEngine")), "the engine is among them").to.equal(true);
    const over = Object.entries(sizes)
      .filter(([, bytes]) => bytes > EIP170_LIMIT - MARGIN)
      .map(([name, bytes]) => `${name}: ${bytes} bytes (limit ${EIP170_LIMIT}, margin ${MARGIN})`);
    expect(over).to.deep.equal([]);
  });
});
