import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import hre from "hardhat";
import { keccak256, toUtf8Bytes } from "ethers";
import { ClaimStatus, claimIdOf, claimStatusName, ContractRevertError, readClaimsFile, writeAddressBook } from "../../sdk";
import { BlocklistToken__factory } from "../../typechain-types";
import { runLines } from "../support/tasks";
import { planIn } from "../support/tokenPlans";
import { claimsFixture, CODE, HOSPITAL, sub, USD } from "./fixtures";

const RAYMON = path.resolve(__dirname, "../../../shared/fixtures/fhir/claims/Raymon_Kris_ca5da59f-0a70-470d-8b20-a1c847ff9010.json");
const PLAN = path.resolve(__dirname, "../fixtures/plans/demo-plan.json");

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

    const [plan] = await runLines("claims:plan", { file: PLAN, token: await f.token.getAddress(), from: idx(f.insurerAdmin) });
    const planId = JSON.parse(plan).planId as string;
    expect(planId).to.equal("2");
    await runLines("claims:fund", { plan: planId, amount: "50000.00", from: idx(f.insurerAdmin) });
    await runLines("claims:enroll", { plan: planId, member: f.patient.address, start: "1980-01-01", end: "2030-12-31", from: idx(f.adjuster) });

    // The evidence of each Claim, anchored by the hospital (through the mock registry here).
    const evidence: Record<string, string> = {};
    for (const { claim } of readClaimsFile(RAYMON)) {
      evidence[String(claim.id)] = keccak256(toUtf8Bytes(`raymon:${String(claim.id)}`));
      await f.evidence.setStatus(evidence[String(claim.id)], HOSPITAL, false);
    }
    const evidenceFile = path.join(dir, "evidence.json");
    fs.writeFileSync(evidenceFile, JSON.stringify(evidence));
    const args = { file: RAYMON, plan: planId, provider: "1", member: f.patient.address, evidence: evidenceFile, from: idx(f.doctor) };
    const first = (await runLines("claims:submit", args)).map((l) => JSON.parse(l));
    expect(first).to.have.length(21);
    expect(first.every((r) => r.skipped === undefined)).to.equal(true);
    const pended = first.filter((r) => r.status === claimStatusName(ClaimStatus.Pended));
    const denied = first.filter((r) => r.status === claimStatusName(ClaimStatus.Partial) || r.status === claimStatusName(ClaimStatus.Denied));
    expect(pended.length).to.be.greaterThan(0);
    expect(denied.length).to.be.greaterThan(0);
    const again = (await runLines("claims:submit", args)).map((l) => JSON.parse(l));
    expect(again.map((r) => [r.claimId, r.skipped])).to.deep.equal(first.map((r) => [r.claimId, true]));

    const [decided] = await runLines("claims:decide", { claim: pended[0].claimId, from: idx(f.adjuster), appeal: false });
    expect(JSON.parse(decided).status).to.equal(claimStatusName(ClaimStatus.Approved));
    await runLines("claims:appeal", { claim: denied[0].claimId, from: idx(f.patient) });
    const [resolved] = await runLines("claims:decide", { claim: denied[0].claimId, from: idx(f.adjuster2), appeal: true });
    expect(JSON.parse(resolved).status).to.equal(claimStatusName(ClaimStatus.Overturned));
    const [status] = await runLines("claims:status", { claim: denied[0].claimId });
    expect(JSON.parse(status).status).to.equal("overturned on appeal");
    // Line codes as text, `SYSTEM:code`, not the bytes32 on chain.
    expect((JSON.parse(status) as { submission: { lines: { code: string }[] } }).submission.lines.map((l) => l.code)).to.satisfy((codes: string[]) => codes.every((c) => /^[A-Za-z0-9-]+:[A-Za-z0-9.-]+$/.test(c)));
    // claims:list: every claim of the plan, by status and by member, as the chain holds it now.
    const listed = (await runLines("claims:list", { plan: planId })).map((l) => JSON.parse(l) as { claimId: string; status: string; serviceDate: string; providerOrg: string });
    expect(listed.map((c) => c.claimId)).to.deep.equal(first.map((r) => r.claimId));
    expect(listed.find((c) => c.claimId === denied[0].claimId)?.status).to.equal("overturned on appeal");
    expect(listed.every((c) => /^\d{4}-\d{2}-\d{2}$/.test(c.serviceDate) && c.providerOrg === "1")).to.equal(true);
    const stillPended = pended.slice(1).map((r) => r.claimId);
    expect((await runLines("claims:list", { plan: planId, status: "pended" })).map((l) => JSON.parse(l).claimId)).to.deep.equal(stillPended);
    const appealed = (await runLines("claims:list", { member: idx(f.patient), status: "overturned-on-appeal, approved" })).map((l) => JSON.parse(l).status);
    expect(new Set(appealed)).to.deep.equal(new Set(["overturned on appeal", "approved"]));
    expect(await runLines("claims:list", { plan: planId, provider: "99" })).to.deep.equal([]);
    expect(await runLines("claims:list", { status: "paid" }).then(() => "", (err: Error) => err.message)).to.match(/^status\[0\]: "paid" is not a claim status: use one of pended, approved, partly approved/);
    const eob = JSON.parse((await runLines("claims:eob", { claim: denied[0].claimId, response: false })).join("\n"));
    expect([eob.resourceType, eob.outcome]).to.deep.equal(["ExplanationOfBenefit", "complete"]);
    const out = path.join(dir, "cr.json");
    await runLines("claims:eob", { claim: denied[0].claimId, response: true, out });
    expect(JSON.parse(fs.readFileSync(out, "utf8")).resourceType).to.equal("ClaimResponse");
    const [auth] = await runLines("claims:authorize", {
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

  it("claims:release-parked pays a provider's parked payments to its current payee, and refuses when nothing is parked", async function () {
    const f = await loadFixture(claimsFixture);
    writeAddressBook({ ...f.book, contracts: { ...f.book.contracts, ClaimsEngine: await f.claims.getAddress() } }, dir);
    const signers = await hre.ethers.getSigners();
    const idx = (a: { address: string }) => String(signers.findIndex((s) => s.address === a.address));
    const token = await new BlocklistToken__factory(f.deployer).deploy();
    const planId = await planIn(f, token);
    const s = await f.submission({ planId, lines: [f.line(CODE.VISIT, 3_000n * USD)] });
    await f.claims.connect(f.doctor).submit(sub(s)); // nothing funded: $2,000 queued
    await token.setBlocked(f.payee.address, true);
    const [funded] = await runLines("claims:fund", { plan: String(planId), amount: "2000.00", from: idx(f.insurerAdmin) });
    expect([JSON.parse(funded).queuedPaid, JSON.parse(funded).queuedParked]).to.deep.equal([0, 1]);
    expect(await f.claims.parked(planId, HOSPITAL)).to.equal(2_000n * USD);
    const [, , newPayee] = signers.slice(17);
    await f.claims.connect(f.hospitalAdmin).setPayee(newPayee.address);
    const [line] = await runLines("claims:release-parked", { planId: String(planId), providerOrg: "1", from: idx(f.outsider) });
    const out = JSON.parse(line);
    expect([out.planId, out.providerOrg, out.payee, out.amount]).to.deep.equal([String(planId), "1", newPayee.address, String(2_000n * USD)]);
    expect(await token.balanceOf(newPayee.address)).to.equal(2_000n * USD);
    expect(await f.claims.parked(planId, HOSPITAL)).to.equal(0n);
    const parked = (await f.sdk.claims.history(claimIdOf(s))).parked;
    expect(parked.map((p) => [p.payee, p.amount])).to.deep.equal([[f.payee.address, 2_000n * USD]]);
    const failure = await runLines("claims:release-parked", { planId: String(planId), providerOrg: "1", from: idx(f.outsider) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).to.be.instanceOf(ContractRevertError);
    expect((failure as ContractRevertError).errorName).to.equal("NothingParked");
  });

  it("claims:void, claims:owed, claims:repay and claims:resubmit: a claim billed in error is voided and repaid, a denied one resubmitted once authorized", async function () {
    const f = await loadFixture(claimsFixture);
    writeAddressBook({ ...f.book, contracts: { ...f.book.contracts, ClaimsEngine: await f.claims.getAddress() } }, dir);
    const signers = await hre.ethers.getSigners();
    const idx = (a: { address: string }) => String(signers.findIndex((s) => s.address === a.address));
    const paid = await f.submission({ lines: [f.line(CODE.VISIT, 1_000n * USD)] }); // the plan pays $400
    await f.claims.connect(f.doctor).submit(sub(paid));
    const [voided] = await runLines("claims:void", { claim: claimIdOf(paid), from: idx(f.doctor) });
    expect(JSON.parse(voided)).to.include({ claimId: claimIdOf(paid), status: "voided", owed: String(400n * USD) });
    const [owed] = await runLines("claims:owed", { plan: "1", provider: "1" });
    expect(JSON.parse(owed).owed).to.equal(String(400n * USD));
    await f.token.mint(f.hospitalAdmin.address, 400n * USD);
    const [repaid] = await runLines("claims:repay", { plan: "1", provider: "1", amount: "400.00", from: idx(f.hospitalAdmin) });
    expect(JSON.parse(repaid)).to.include({ repaid: String(400n * USD), owed: "0" });
    const tooMuch = await runLines("claims:repay", { plan: "1", provider: "1", amount: "0.01", from: idx(f.hospitalAdmin) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((tooMuch as { field?: string }).field).to.equal("amount");

    const mri = await f.submission({ lines: [f.line(CODE.MRI, 800n * USD)] }); // denied: no prior authorization
    await f.claims.connect(f.doctor).submit(sub(mri));
    await f.claims.connect(f.adjuster).authorize(f.planId, f.patient.address, CODE.MRI, 800n * USD, mri.serviceDate, mri.serviceDate);
    const [again] = await runLines("claims:resubmit", { claim: claimIdOf(mri), authId: "1", from: idx(f.doctor) });
    const out = JSON.parse(again);
    expect([out.replaces, out.status]).to.deep.equal([claimIdOf(mri), claimStatusName(ClaimStatus.Approved)]);
    const [status] = await runLines("claims:status", { claim: claimIdOf(mri) });
    expect(JSON.parse(status).replacedBy).to.equal(out.claimId);
    // A line's reason as its CARC with the meaning the rules give it, not a bare number.
    expect((JSON.parse(status) as { outcomes: { reason: unknown }[] }).outcomes.map((o) => o.reason)).to.deep.equal(["CARC 197 (authorization)"]);
    const [approved] = await runLines("claims:status", { claim: out.claimId });
    expect((JSON.parse(approved) as { outcomes: { reason: unknown }[] }).outcomes.map((o) => o.reason)).to.deep.equal([null]);
  });
});
