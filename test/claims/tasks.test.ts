import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import hre from "hardhat";
import { keccak256, toUtf8Bytes } from "ethers";
import { ClaimStatus, readClaimsFile, writeAddressBook } from "../../sdk";
import { claimsFixture, HOSPITAL } from "./support";

const RAYMON = path.resolve(__dirname, "../../../shared/fixtures/fhir/claims/Raymon_Kris_ca5da59f-0a70-470d-8b20-a1c847ff9010.json");
const PLAN = path.resolve(__dirname, "../fixtures/plans/demo-plan.json");

/** Runs a task and returns the lines it printed. */
async function run(name: string, args: Record<string, unknown>): Promise<string[]> {
  const lines: string[] = [];
  const log = console.log;
  const err = process.stderr.write.bind(process.stderr);
  console.log = (...a: unknown[]) => void lines.push(a.map(String).join(" "));
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    await hre.run(name, args);
  } finally {
    console.log = log;
    process.stderr.write = err;
  }
  return lines;
}

describe("claims tasks", function () {
  let dir: string;
  const previous = process.env.CARELEDGER_DEPLOYMENTS_DIR;

  before(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "careledger-claims-"));
    process.env.CARELEDGER_DEPLOYMENTS_DIR = dir;
  });

  after(function () {
    if (previous === undefined) delete process.env.CARELEDGER_DEPLOYMENTS_DIR;
    else process.env.CARELEDGER_DEPLOYMENTS_DIR = previous;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("creates the demo plan, funds it, enrolls the patient, submits a Synthea bundle idempotently, decides, appeals and prints an EOB", async function () {
    this.timeout(300_000);
    const f = await loadFixture(claimsFixture);
    writeAddressBook({ ...f.book, contracts: { ...f.book.contracts, ClaimsEngine: await f.claims.getAddress() } }, dir);
    const signers = await hre.ethers.getSigners();
    const idx = (a: { address: string }) => String(signers.findIndex((s) => s.address === a.address));

    const [plan] = await run("claims:plan", { file: PLAN, token: await f.token.getAddress(), from: idx(f.insurerAdmin) });
    const planId = JSON.parse(plan).planId as string;
    expect(planId).to.equal("2");
    await run("claims:fund", { plan: planId, amount: "50000.00", from: idx(f.insurerAdmin) });
    await run("claims:enroll", { plan: planId, member: f.patient.address, start: "1980-01-01", end: "2030-12-31", from: idx(f.adjuster) });

    // The evidence of each Claim, anchored by the hospital (through the mock registry here).
    const evidence: Record<string, string> = {};
    for (const { claim } of readClaimsFile(RAYMON)) {
      evidence[String(claim.id)] = keccak256(toUtf8Bytes(`raymon:${String(claim.id)}`));
      await f.evidence.setStatus(evidence[String(claim.id)], HOSPITAL, false);
    }
    const evidenceFile = path.join(dir, "evidence.json");
    fs.writeFileSync(evidenceFile, JSON.stringify(evidence));
    const args = { file: RAYMON, plan: planId, provider: "1", member: f.patient.address, evidence: evidenceFile, from: idx(f.doctor) };
    const first = (await run("claims:submit", args)).map((l) => JSON.parse(l));
    expect(first).to.have.length(21);
    expect(first.every((r) => r.skipped === undefined)).to.equal(true);
    const pended = first.filter((r) => r.status === ClaimStatus.Pended);
    const denied = first.filter((r) => r.status === ClaimStatus.Partial || r.status === ClaimStatus.Denied);
    expect(pended.length).to.be.greaterThan(0);
    expect(denied.length).to.be.greaterThan(0);
    const again = (await run("claims:submit", args)).map((l) => JSON.parse(l));
    expect(again.map((r) => [r.claimId, r.skipped])).to.deep.equal(first.map((r) => [r.claimId, true]));

    const [decided] = await run("claims:decide", { claim: pended[0].claimId, from: idx(f.adjuster), appeal: false });
    expect(JSON.parse(decided).status).to.equal(ClaimStatus.Approved);
    await run("claims:appeal", { claim: denied[0].claimId, from: idx(f.patient) });
    const [resolved] = await run("claims:decide", { claim: denied[0].claimId, from: idx(f.adjuster2), appeal: true });
    expect(JSON.parse(resolved).status).to.equal(ClaimStatus.Overturned);
    const [status] = await run("claims:status", { claim: denied[0].claimId });
    expect(JSON.parse(status).status).to.equal(ClaimStatus.Overturned);
    const eob = JSON.parse((await run("claims:eob", { claim: denied[0].claimId, response: false })).join("\n"));
    expect([eob.resourceType, eob.outcome]).to.deep.equal(["ExplanationOfBenefit", "complete"]);
    const out = path.join(dir, "cr.json");
    await run("claims:eob", { claim: denied[0].claimId, response: true, out });
    expect(JSON.parse(fs.readFileSync(out, "utf8")).resourceType).to.equal("ClaimResponse");
    const [auth] = await run("claims:authorize", {
      plan: planId,
      member: f.patient.address,
      system: "sct",
      code: "428191000124101",
      max: "900.00",
      validFrom: "2018-01-01",
      validUntil: "2018-12-31",
      from: idx(f.adjuster),
    });
    expect(JSON.parse(auth).authId).to.equal("1");
  });
});
