/**
 * The operator's and integrator's path over JSON-RPC, end to end: a `hardhat node` of the test's
 * own, the suite deployed through scripts/deploy.ts, the whole demo (every SDK client) over HTTP,
 * and every Hardhat task through the real CLI. The node is always stopped.
 */
import { expect } from "chai";
import { JsonRpcProvider } from "ethers";
import * as fs from "node:fs";
import * as path from "node:path";
import { CareLedger, ClaimStatus, claimStatusName, claimsIn, readAddressBook, toUnits, type AddressBook } from "../../sdk";
import { MockStablecoin__factory } from "../../typechain-types";
import { devWallet, hardhat, ROOT, startTestChain, type TestChain } from "./node";

const BUNDLE = path.join(ROOT, "test", "fixtures", "fhir", "synthea", "Raymon_Kris_ca5da59f-0a70-470d-8b20-a1c847ff9010.json");
const PLAN = path.join(ROOT, "test", "fixtures", "plans", "demo-plan.json");

describe("[e2e] every client and every task over JSON-RPC", function () {
  this.timeout(600_000);
  let chain: TestChain | undefined;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let provider: JsonRpcProvider;
  let book: AddressBook;
  const wallet = (i: number) => devWallet(i, provider);
  const address = (i: number) => wallet(i).address;

  /** Runs a task against the node as account `from` and returns the JSON lines it printed. */
  function task(args: string[], from?: number): Record<string, unknown>[] {
    const r = hardhat([...args, ...(from === undefined ? [] : ["--from", String(from)]), "--network", "localhost"], env);
    expect(r.status, `${args.join(" ")}\n${r.stderr}\n${r.stdout}`).to.equal(0);
    return r.stdout
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  before(async function () {
    chain = await startTestChain();
    ({ dir, env, provider } = chain);
    const r = hardhat(["run", "scripts/deploy.ts", "--network", "localhost"], env);
    expect(r.status, r.stderr).to.equal(0);
    book = readAddressBook(31337, dir)!;
  });

  after(async function () {
    await chain?.close();
  });

  it("tells the whole demo story over HTTP, through every SDK client", function () {
    const r = hardhat(["run", "scripts/demo.ts", "--network", "localhost"], env);
    expect(r.status, r.stderr + r.stdout).to.equal(0);
    expect(r.stdout).to.contain("Found CareLedger 0.1.0 already deployed on chain 31337");
    expect(r.stdout).to.match(/21 claims: \d+ approved and paid straight through/);
    expect(r.stdout).to.contain("A researcher without consent is refused: ACCESS_NOT_PERMITTED.");
    expect(r.stdout).to.contain("The original lab result: superseded (version 1");
    expect(r.stdout).to.contain("A record whose salt was deleted (crypto-shredded): unverifiable-salt-missing.");
    expect(r.stdout).to.match(/plan paid \$0\.00 because of the deductible: Raymon pays \$[\d,.]+ \(deductible\)/);
    expect(r.stdout).not.to.contain("(s)");
    // The ids it created, for following up with the tasks: every claim (21 and the correction) reads back.
    const ids = JSON.parse(fs.readFileSync(path.join(dir, "demo-localhost.json"), "utf8")) as { chainId: number; organizations: { kind: string; members: string[] }[]; patient: string; claims: string[]; batch: { root: string }; records: { amended: string } };
    expect(r.stdout).to.contain(`Every id the story created (organizations, accounts, the plan, claims, the batch root): `);
    expect([ids.chainId, ids.organizations.map((o) => o.kind), ids.claims.length]).to.deep.equal([31337, ["provider", "lab", "insurer", "researcher"], 22]);
    const [status] = task(["claims:status", "--claim", ids.claims[0]]);
    expect((status.submission as { member: string }).member).to.equal(ids.patient);
    const [amended] = task(["records:history", "--record", ids.records.amended]);
    expect((amended.versions as unknown[]).length).to.equal(2);
  });

  it("runs every participants:, consent:, records:, claims: and governance: task against the node", async function () {
    // Accounts of the node: 0 deployer (registrar, pauser, configurator), 10 hospital admin,
    // 11 insurer admin, 12 doctor, 13 and 14 adjusters, 15 patient, 19 the future admin multisig.
    const profile = path.join(dir, "hospital.json");
    fs.writeFileSync(profile, JSON.stringify({ name: "E2E Hospital", licence: "E2E-1" }));
    const [hospital] = task(["participants:register", "--kind", "provider", "--metadata", profile, "--admin", address(10)], 0);
    const [insurer] = task(["participants:register", "--kind", "insurer", "--metadata", "0x" + "12".repeat(32), "--admin", address(11)], 0);
    const H = String(hospital.orgId);
    const I = String(insurer.orgId);
    task(["participants:add-member", "--org", H, "--account", address(12)], 10);
    task(["participants:add-member", "--org", I, "--account", address(13)], 11);
    task(["participants:add-member", "--org", I, "--account", address(14)], 11);
    const [shown] = task(["participants:show", "--org", H]);
    expect(shown.memberCount).to.equal(2);

    // Consent: the patient grants, the doctor's access is checked and logged, the patient revokes.
    const doc = path.join(dir, "consent.json");
    fs.writeFileSync(doc, JSON.stringify({ resourceType: "Consent", status: "active", note: "e2e" }));
    const [granted] = task(["consent:grant", "--grantee", `org:${H}`, "--classes", "labs,medications", "--purposes", "TREAT", "--until", "2030-01-01", "--document", doc], 15);
    expect(granted.salt).to.match(/^0x[0-9a-f]{64}$/);
    const check = () => task(["consent:check", "--patient", address(15), "--accessor", address(12), "--class", "labs", "--purpose", "TREAT"])[0].permitted;
    expect(check()).to.equal(true);
    const [logged] = task(["consent:log", "--patient", address(15), "--record", "0x" + "ab".repeat(32), "--class", "labs", "--purpose", "TREAT"], 12);
    expect(logged.accessor).to.equal(address(12));
    const [disclosures] = task(["consent:history", "--patient", address(15), "--access"]);
    expect((disclosures.accessLog as unknown[]).length).to.equal(1);
    const [history] = task(["consent:history", "--patient", address(15)]);
    expect((history.grants as unknown[]).length).to.equal(1);
    task(["consent:revoke", "--grantee", `org:${H}`], 15);
    expect(check()).to.equal(false);

    // Records: the doctor anchors the bundle as one batch; a third party verifies one resource.
    const bundleCopy = path.join(dir, "bundle.json");
    fs.copyFileSync(BUNDLE, bundleCopy);
    const [anchored] = task(["records:anchor", "--file", bundleCopy, "--out", dir], 12);
    expect(anchored.leafCount).to.equal(122);
    const resource = (JSON.parse(fs.readFileSync(BUNDLE, "utf8")) as { entry: { resource: { resourceType: string } }[] }).entry.find(
      (e) => e.resource.resourceType === "Observation",
    )!.resource;
    const resourceFile = path.join(dir, "observation.json");
    fs.writeFileSync(resourceFile, JSON.stringify(resource));
    const [verified] = task(["records:verify", "--file", resourceFile, "--salt", String(anchored.saltsFile), "--proof", String(anchored.proofsFile)]);
    expect([verified.status, verified.version, verified.orgId]).to.deep.equal(["anchored", 1, H]);

    // Claims: a token the configurator allows, a plan from its file, funding, enrollment, the
    // bundle's claims with evidence anchored by the hospital, then a decision, an appeal, an EOB.
    const deployer = await CareLedger.connect(wallet(0), { addressBook: book });
    const token = await new MockStablecoin__factory(wallet(0)).deploy();
    await token.waitForDeployment();
    await (await deployer.claims.setTokenAllowed({ token: await token.getAddress(), allowed: true })).wait();
    await (await token.mint(address(11), toUnits("100000"))).wait();
    const [plan] = task(["claims:plan", "--file", PLAN, "--token", await token.getAddress()], 11);
    const P = String(plan.planId);
    task(["claims:fund", "--plan", P, "--amount", "50000.00"], 11);
    task(["claims:enroll", "--plan", P, "--member", address(15), "--start", "1980-01-01", "--end", "2030-12-31"], 13);
    const [authorized] = task(["claims:authorize", "--plan", P, "--member", address(15), "--system", "sct", "--code", "428191000124101", "--max", "1.00", "--valid-from", "2000-01-01", "--valid-until", "2000-01-02"], 13);
    expect(authorized.authId).to.equal("1");
    await (await (await CareLedger.connect(wallet(10), { addressBook: book })).claims.setPayee({ payee: address(10) })).wait();
    const doctor = await CareLedger.connect(wallet(12), { addressBook: book });
    const evidence: Record<string, string> = {};
    for (const { claim } of claimsIn(fs.readFileSync(BUNDLE, "utf8"))) {
      const { commitment } = await (await doctor.records.anchor({ resource: claim })).wait();
      evidence[String(claim.id)] = commitment;
    }
    const [versions] = task(["records:history", "--record", Object.values(evidence)[0]]);
    expect((versions.versions as { version: number; orgId: string }[]).map((v) => [v.version, v.orgId])).to.deep.equal([[1, H]]);
    const evidenceFile = path.join(dir, "evidence.json");
    fs.writeFileSync(evidenceFile, JSON.stringify(evidence));
    const submitArgs = ["claims:submit", "--file", BUNDLE, "--plan", P, "--provider", H, "--member", address(15), "--evidence", evidenceFile];
    const first = task(submitArgs, 12);
    expect(first).to.have.length(21);
    const again = task(submitArgs, 12);
    expect(again.map((r) => [r.claimId, r.skipped])).to.deep.equal(first.map((r) => [r.claimId, true]));
    const pended = first.find((r) => r.status === claimStatusName(ClaimStatus.Pended))!;
    const partial = first.find((r) => r.status === claimStatusName(ClaimStatus.Partial) || r.status === claimStatusName(ClaimStatus.Denied))!;
    expect(task(["claims:decide", "--claim", String(pended.claimId)], 13)[0].status).to.equal(claimStatusName(ClaimStatus.Approved));
    task(["claims:appeal", "--claim", String(partial.claimId)], 12);
    expect(task(["claims:decide", "--claim", String(partial.claimId), "--appeal"], 14)[0].status).to.equal(claimStatusName(ClaimStatus.Overturned));
    expect(task(["claims:status", "--claim", String(partial.claimId)])[0].status).to.equal(claimStatusName(ClaimStatus.Overturned));
    const eobFile = path.join(dir, "eob.json");
    task(["claims:eob", "--claim", String(partial.claimId), "--out", eobFile]);
    expect(JSON.parse(fs.readFileSync(eobFile, "utf8")).resourceType).to.equal("ExplanationOfBenefit");

    // Governance: suspend the hospital (its doctor loses access at once), then hand the admin role over.
    task(["participants:suspend", "--org", H], 0);
    expect((await deployer.participants.isActiveMember(address(12))).active).to.equal(false);
    const [handed] = task(["governance:handover", "--to", address(19), "--delay", "86400"], 0);
    expect(handed.newAdmin).to.equal(address(19));
    const [roles] = task(["governance:roles", "--account", address(0)]);
    expect((roles.roles as Record<string, { isMember: boolean }>).ADMIN.isMember).to.equal(false);
  });
});
