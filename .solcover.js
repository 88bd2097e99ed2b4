// Coverage of the suite's contracts (contracts/test/ holds test doubles and harnesses, not product). The end-to-end suite ("[e2e]")
// runs against its own separate `hardhat node`, which solidity-coverage cannot instrument, so it is
// left to `npm test`, and so is the gas report check ("[gas]"), whose figures instrumented code would not reproduce,
// and so are the stateful property tests ("[property]"): thousands of random steps, several times slower on
// instrumented code, which reach no line or branch the rest does not (the 100% holds without them; checked on
// 6 December 2026). The relayer's tests over HTTP are tagged "[e2e]" too: a service's tests, on real HTTP and
// databases, which reach no contract line test/accounts and test/consent do not, and whose passkey deployments
// cost more than coverage's chain (prague: no P-256 precompile; hardhat.config.ts) lets them do in time.
// Everything else runs under coverage.
module.exports = {
  // verification/ holds SMTChecker harnesses (npm run smt), never deployed. accounts/WebAuthnVerifier.sol is
  // OpenZeppelin's verifier under our name: no line of ours to cover.
  skipFiles: ["test/", "verification/", "accounts/WebAuthnVerifier.sol"],
  mocha: { grep: "\\[(e2e|gas|property)\\]", invert: true, timeout: 300000 },
};
