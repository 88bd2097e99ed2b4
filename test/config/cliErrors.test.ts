/**
 * The command line as an operator meets it when something is wrong: each known error is one line
 * (two at most, Hardhat's own "for more info" hint on a machine with a display), exit code 1, and no
 * stack trace unless `--verbose` or `--show-stack-traces` asks for one. Run as real `npx hardhat`
 * processes against a node of the test's own (config/cli.ts).
 */
import { expect } from "chai";
import * as path from "node:path";
import { expectOneLine, hardhat, outputLines, STACK_FRAME, startTestChain, type TestChain } from "../e2e/node";

describe("[e2e] CLI errors: one line, exit 1, a trace only when asked", function () {
  let chain: TestChain;
  /** No `.env` is read (dotenv is pointed at a file that does not exist), whatever the checkout has. */
  let env: NodeJS.ProcessEnv;

  before(async function () {
    chain = await startTestChain();
    env = { ...chain.env, DOTENV_CONFIG_PATH: path.join(chain.dir, "no-such.env"), SEPOLIA_RPC_URL: "", RPC_URL: "" };
    const deployed = hardhat(["run", "scripts/deploy.ts", "--network", "localhost"], env);
    expect(deployed.status, deployed.stderr).to.equal(0);
  });

  after(async function () {
    await chain?.close();
  });

  it("a missing argument: Hardhat's own error, in one line", function () {
    const r = hardhat(["participants:register", "--kind", "lab", "--network", "localhost"], env);
    expectOneLine(r, /^Error HH306: The '--metadata' parameter of task 'participants:register' expects a value/);
  });

  it("an unknown network names the ones this project has and the ones .env can add", function () {
    const r = hardhat(["participants:show", "--org", "1", "--network", "nosuch"], env);
    expectOneLine(r, /^Error CONFIGURATION: unknown network "nosuch": this project has hardhat, localhost; it can add sepolia \(set SEPOLIA_RPC_URL in \.env\)/);
  });

  it("a network whose .env variable is missing names the variable to set", function () {
    const r = hardhat(["participants:show", "--org", "1", "--network", "sepolia"], env);
    expectOneLine(r, /^Error CONFIGURATION: SEPOLIA_RPC_URL is not set: copy \.env\.example to \.env/);
  });

  it("an unknown organization: the SDK's typed error, in one line", function () {
    const r = hardhat(["participants:show", "--org", "999", "--network", "localhost"], env);
    expectOneLine(r, /^Error [A-Z_]+: .*\b999\b/);
  });

  it("input the SDK refuses names the field once", function () {
    const r = hardhat(["participants:show", "--network", "localhost"], env);
    expectOneLine(r, /^Error INVALID_INPUT: org: give --org <id> or --account <address>$/);
  });

  it("--show-stack-traces and --verbose keep the trace", function () {
    for (const flag of ["--show-stack-traces", "--verbose"]) {
      const r = hardhat(["participants:show", "--org", "999", "--network", "localhost", flag], env);
      expect(r.status).to.equal(1);
      expect(outputLines(r).some((l) => STACK_FRAME.test(l)), `${flag}: a stack trace`).to.equal(true);
    }
  });
});
