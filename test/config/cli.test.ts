import { expect } from "chai";
import { ConfigurationError, isCareLedgerError, isHardhatCli, oneLine, presentCliErrors } from "../../config/cli";
import { ContractRevertError, ValidationError } from "../../sdk";

const CLI = ["node", "/p/node_modules/hardhat/internal/cli/bootstrap.js", "claims:status"];

/** Runs `fn` with console.error captured; returns what was printed. */
function captured(argv: string[], fn: () => void): unknown[][] {
  const printed: unknown[][] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void printed.push(args);
  const restore = presentCliErrors(argv);
  try {
    fn();
  } finally {
    restore();
    console.error = original;
  }
  return printed;
}

describe("config/cli: known errors in one line", function () {
  it("knows Hardhat's CLI from Hardhat used as a library", function () {
    expect(isHardhatCli(CLI)).to.equal(true);
    expect(isHardhatCli(["node", "/p/node_modules/mocha/bin/mocha.js"])).to.equal(false);
    expect(isHardhatCli(["node"])).to.equal(false);
  });

  it("CareLedger's errors and configuration errors are known; a plain Error is not", function () {
    expect(isCareLedgerError(new ValidationError("org", "give --org"))).to.equal(true);
    expect(isCareLedgerError(new ContractRevertError("UnknownOrganization", { orgId: 9n }, "0x", "unknown organization 9"))).to.equal(true);
    expect(isCareLedgerError(new ConfigurationError("RPC_URL is not set"))).to.equal(true);
    expect(isCareLedgerError(Object.assign(new Error("x"), { code: "CALL_EXCEPTION" }))).to.equal(false);
    expect(oneLine(new ConfigurationError("a\nb"))).to.equal("Error CONFIGURATION: a");
  });

  it("replaces Hardhat's headline and trace by one line for a known error, and leaves a bug's report whole", function () {
    const known = new ValidationError("org", "give --org <id>");
    expect(captured(CLI, () => (console.error("An unexpected error occurred:"), console.error(known)))).to.deep.equal([["Error INVALID_INPUT: org: give --org <id>"]]);
    const bug = new TypeError("x is undefined");
    expect(captured(CLI, () => (console.error("An unexpected error occurred:"), console.error(bug)))).to.deep.equal([["An unexpected error occurred:"], [bug]]);
    expect(captured(CLI, () => console.error("any", "other", 1))).to.deep.equal([["any", "other", 1]]);
  });

  it("changes nothing outside the CLI or when traces are asked for", function () {
    const known = new ValidationError("org", "give --org <id>");
    for (const argv of [["node", "/p/test.js"], [...CLI, "--verbose"], [...CLI, "--show-stack-traces"]]) {
      expect(captured(argv, () => (console.error("An unexpected error occurred:"), console.error(known)))).to.deep.equal([["An unexpected error occurred:"], [known]]);
    }
  });
});
