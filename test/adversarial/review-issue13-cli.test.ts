/**
 * Outside review of issue 13, part B (the CLI as an operator meets it): real `npx hardhat` processes
 * against a `hardhat node` of the test's own. Each test is one finding and FAILS on the code as reviewed.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { expectOneLine, hardhat, outputLines, ROOT, startTestChain, type TestChain } from "../e2e/node";

describe("[e2e] review of issue 13: the CLI as an operator meets it (outside reviewer)", function () {
  this.timeout(300_000);
  let chain: TestChain;
  let env: NodeJS.ProcessEnv;
  let scratch: string;

  before(async function () {
    chain = await startTestChain();
    scratch = fs.mkdtempSync(path.join(chain.dir, "scratch-"));
    env = { ...chain.env, DOTENV_CONFIG_PATH: path.join(chain.dir, "no-such.env"), SEPOLIA_RPC_URL: "", RPC_URL: "" };
    const deployed = hardhat(["deploy", "--network", "localhost"], env);
    expect(deployed.status, deployed.stderr + deployed.stdout).to.equal(0);
  });

  after(async function () {
    await chain?.close();
  });

  describe("a file option naming a file that is not there, or not JSON: one line, exit 1", function () {
    it("claims:plan --file <missing>", function () {
      const r = hardhat(["claims:plan", "--file", path.join(scratch, "no-such-plan.json"), "--network", "localhost"], env);
      expectOneLine(r, /^Error [A-Z_]+: .*no-such-plan\.json/);
    });

    it("records:anchor --file <missing>", function () {
      const r = hardhat(["records:anchor", "--file", path.join(scratch, "no-such-bundle.json"), "--from", "2", "--network", "localhost"], env);
      expectOneLine(r, /^Error [A-Z_]+: .*no-such-bundle\.json/);
    });

    it("claims:submit --evidence <missing>", function () {
      const claims = path.join(scratch, "claim.ndjson");
      fs.writeFileSync(claims, "{}\n");
      const r = hardhat(["claims:submit", "--file", claims, "--plan", "1", "--provider", "1", "--member", "9", "--evidence", path.join(scratch, "no-such-evidence.json"), "--network", "localhost"], env);
      expectOneLine(r, /^Error [A-Z_]+: .*no-such-evidence\.json/);
    });

    it("participants:register --metadata <a file that is not JSON>", function () {
      const profile = path.join(scratch, "profile.json");
      fs.writeFileSync(profile, "{name: Riverside}\n");
      const r = hardhat(["participants:register", "--kind", "provider", "--metadata", profile, "--admin", "1", "--network", "localhost"], env);
      expectOneLine(r, /^Error [A-Z_]+: .*profile\.json/);
    });
  });

  it("claims:submit --plan abc: the SDK's INVALID_INPUT naming the plan, in one line (not a SyntaxError with its trace)", function () {
    const bundle = path.resolve(ROOT, "../shared/fixtures/fhir/claims/Raymon_Kris_ca5da59f-0a70-470d-8b20-a1c847ff9010.json");
    const claims = (JSON.parse(fs.readFileSync(bundle, "utf8")) as { entry: { resource: { resourceType: string; id: string } }[] }).entry.map((e) => e.resource).filter((r) => r.resourceType === "Claim");
    const evidence = path.join(scratch, "evidence.json");
    fs.writeFileSync(evidence, JSON.stringify(Object.fromEntries(claims.map((c) => [c.id, "0x" + "11".repeat(32)]))));
    const r = hardhat(["claims:submit", "--file", bundle, "--plan", "abc", "--provider", "1", "--member", "9", "--evidence", evidence, "--from", "2", "--network", "localhost"], env);
    expectOneLine(r, /^Error INVALID_INPUT: .*plan/i);
  });

  it("consent:grant --until 2030-02-30 (a day that does not exist) is refused, not granted until March 2", function () {
    const r = hardhat(["consent:grant", "--grantee", "2", "--classes", "labs", "--purposes", "TREAT", "--until", "2030-02-30", "--commitment", "0x" + "11".repeat(32), "--from", "9", "--network", "localhost"], env);
    const granted = outputLines(r).find((l) => l.startsWith("{"));
    expect(granted, "a grant was made").to.equal(undefined);
    expectOneLine(r, /^Error (USAGE|INVALID_INPUT): .*until/);
  });

  describe("an .env copied from .env.example (README: `cp .env.example .env`)", function () {
    let copied: NodeJS.ProcessEnv;

    before(function () {
      const file = path.join(chain.dir, "copied.env");
      fs.copyFileSync(path.join(ROOT, ".env.example"), file);
      // The empty values of .env.example apply to whatever the operator's shell does not set.
      copied = { DOTENV_CONFIG_PATH: file };
      for (const k of ["LOCALHOST_RPC_URL", "CARELEDGER_DEPLOYMENTS_DIR", "CARELEDGER_DEPLOYMENT_ID", "SEPOLIA_RPC_URL", "RPC_URL"]) copied[k] = undefined;
    });

    it("npm run deploy -- --network localhost deploys (CARELEDGER_DEPLOYMENT_ID= left empty counts as unset)", function () {
      const journal = path.join(ROOT, "ignition", "deployments", "careledger-31337");
      const existed = fs.existsSync(journal);
      const r = hardhat(["deploy", "--network", "localhost"], { ...copied, LOCALHOST_RPC_URL: chain.env.LOCALHOST_RPC_URL, CARELEDGER_DEPLOYMENTS_DIR: fs.mkdtempSync(path.join(chain.dir, "book-")) });
      try {
        expect(outputLines(r).join(" | ")).to.not.match(/deployment-id "" contains banned characters/);
        expect(r.status, outputLines(r).join(" | ")).to.equal(0);
      } finally {
        if (!existed) fs.rmSync(journal, { recursive: true, force: true });
      }
    });

    it("a task on --network localhost does not stop at LOCALHOST_RPC_URL= left empty (HH117)", function () {
      const r = hardhat(["participants:show", "--org", "1", "--network", "localhost"], copied);
      expect(outputLines(r).join(" | ")).to.not.match(/HH117|Empty string `` for network/);
    });
  });
});
