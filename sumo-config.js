/**
 * SuMo (@morenabarboni/sumo) configuration for `npm run mutation`.
 *
 * SuMo reads this one file, so the target is chosen by the SUMO_TARGET environment variable
 * (set by scripts/mutation.js): every contract except the target is listed in skipContracts, and
 * every test file except the target's own tests is listed in skipTests, so each mutant of a
 * contract is compiled by Hardhat (solc from the npm `solc` package, as hardhat.config.ts arranges)
 * and judged by the tests of that contract only (`hardhat test --bail <files>`).
 */
const fs = require("fs");
const path = require("path");

/** Contract under mutation → the test files that judge its mutants (relative to test/). */
const TARGETS = {
  ParticipantRegistry: {
    contract: "participants/ParticipantRegistry.sol",
    tests: ["participants/ParticipantRegistry.test.ts", "participants/ParticipantRegistry.edges.test.ts"],
  },
  ConsentRegistry: {
    contract: "consent/ConsentRegistry.sol",
    tests: [
      "consent/ConsentRegistry.test.ts",
      "consent/breakGlass.test.ts",
      "consent/signatures.test.ts",
      "consent/delegationSignatures.test.ts",
      "consent/ConsentRegistry.edges.test.ts",
    ],
  },
  RecordRegistry: {
    contract: "records/RecordRegistry.sol",
    tests: ["records/RecordRegistry.test.ts", "records/RecordRegistry.edges.test.ts"],
  },
  // The access log's batched entry point: its own tests and the SDK client's (decoded refusals, verification).
  DisclosureLog: {
    contract: "consent/DisclosureLog.sol",
    tests: ["consent/DisclosureLog.test.ts", "consent/disclosures.sdk.test.ts", "consent/DisclosureLog.edges.test.ts"],
  },
  // The engine and its library share one set: the library runs in the engine's context (plans, funding,
  // appeals, the payment queue), and the hostile-token and reentrancy campaigns are where a refused
  // transfer, parking and the reentrancy guard are exercised.
  ClaimsEngine: {
    contract: "claims/ClaimsEngine.sol",
    tests: [
      "claims/ClaimsSubmit.test.ts",
      "claims/ClaimsDecisions.test.ts",
      "claims/ClaimsCorrections.test.ts",
      "claims/ClaimsPlans.test.ts",
      "adversarial/hostile-tokens.test.ts",
      "adversarial/reentrancy-token-hooks.test.ts",
      "claims/ClaimsEngine.edges.test.ts",
    ],
  },
  // Adjudication and settlement (ClaimsCore, internal: compiled into the engine and the lifecycle
  // library) and what follows a submission (ClaimsLifecycle): the engine's whole claims suite.
  ClaimsCore: {
    contract: "claims/ClaimsCore.sol",
    tests: [
      "claims/ClaimsSubmit.test.ts",
      "claims/ClaimsDecisions.test.ts",
      "claims/ClaimsCorrections.test.ts",
      "adversarial/hostile-tokens.test.ts",
      "adversarial/reentrancy-token-hooks.test.ts",
      "claims/ClaimsEngine.edges.test.ts",
    ],
  },
  ClaimsLifecycle: {
    contract: "claims/ClaimsLifecycle.sol",
    tests: ["claims/ClaimsDecisions.test.ts", "claims/ClaimsCorrections.test.ts", "adversarial/reentrancy-token-hooks.test.ts", "claims/ClaimsEngine.edges.test.ts"],
  },
  // Plan administration: the plan, benefit, payee, enrollment and authorization tests, and the
  // submissions that read what it wrote (plan years, benefit slots, authorizations).
  ClaimsPlans: {
    contract: "claims/ClaimsPlans.sol",
    tests: ["claims/ClaimsPlans.test.ts", "claims/ClaimsSubmit.test.ts", "claims/ClaimsPlans.edges.test.ts"],
  },
  // Every movement of money: funding, withdrawals, settlement, the queue, parking, recoupment and
  // repayment, through the whole claims suite and the hostile-token and reentrancy campaigns.
  ClaimsEscrow: {
    contract: "claims/ClaimsEscrow.sol",
    tests: [
      "claims/ClaimsPlans.test.ts",
      "claims/ClaimsSubmit.test.ts",
      "claims/ClaimsDecisions.test.ts",
      "claims/ClaimsCorrections.test.ts",
      "adversarial/hostile-tokens.test.ts",
      "adversarial/reentrancy-token-hooks.test.ts",
      "claims/ClaimsPlans.edges.test.ts",
      "claims/ClaimsEngine.edges.test.ts",
    ],
  },
  Adjudication: {
    contract: "claims/Adjudication.sol",
    // The harness tests its functions; the engine's submission tests judge the constants the engine reads (CARC 27, 29).
    tests: ["claims/Adjudication.test.ts", "claims/ClaimsSubmit.test.ts", "claims/Adjudication.edges.test.ts"],
  },
};

/** Every file under `dir` whose name ends with one of `exts`, relative to `dir`, with "/" separators. */
function filesUnder(dir, exts) {
  const out = [];
  const walk = (rel) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(child);
      else if (exts.some((ext) => entry.name.endsWith(ext))) out.push(child);
    }
  };
  walk("");
  return out.sort();
}

const targetName = process.env.SUMO_TARGET || "ParticipantRegistry";
const target = TARGETS[targetName];
if (target === undefined) {
  throw new Error(`SUMO_TARGET=${targetName} is not one of ${Object.keys(TARGETS).join(", ")}`);
}

const root = __dirname;
const skipContracts = filesUnder(path.join(root, "contracts"), [".sol"]).filter((file) => file !== target.contract);
// SuMo's own glob for tests is **/*.{js,sol,ts,py}; skip every one of them but the target's tests.
const skipTests = filesUnder(path.join(root, "test"), [".js", ".sol", ".ts", ".py"]).filter(
  (file) => !target.tests.includes(file),
);

module.exports = {
  buildDir: "artifacts",
  contractsDir: "contracts",
  testDir: "test",
  skipContracts,
  skipTests,
  testingTimeOutInSec: 600,
  network: "none",
  testingFramework: "hardhat",
  minimal: true,
  tce: false,
  // Not read by SuMo; used by scripts/mutation.js.
  TARGETS,
  target: targetName,
};
