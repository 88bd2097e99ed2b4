import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre from "hardhat";
import { BlocklistToken__factory, ClaimsEngine__factory, ClaimsEscrow__factory, ClaimsLifecycle__factory, ClaimsPlans__factory } from "../../typechain-types";
import { planIn } from "../support/tokenPlans";
import {
  claimIdOf,
  ContractRevertError,
  lineCeiling,
  parseProcedureCode,
  planFromJson,
  procedureCode,
  recordHashOf,
  REVERT_MESSAGES,
  ValidationError,
} from "../../sdk";
import { claimsFixture, CODE, USD } from "./fixtures";

describe("claims SDK", function () {
  it("explains every custom error of the claims contracts in one sentence", function () {
    for (const abi of [ClaimsEngine__factory.abi, ClaimsPlans__factory.abi, ClaimsEscrow__factory.abi, ClaimsLifecycle__factory.abi]) {
      for (const item of abi) if (item.type === "error") expect(REVERT_MESSAGES, item.name).to.have.property(item.name);
    }
  });

  it("computes claim ids and record hashes exactly as the contract does", async function () {
    const f = await loadFixture(claimsFixture);
    const s = await f.submission();
    await f.claims.connect(f.doctor).submit({ ...s, lines: s.lines.map((l) => ({ ...l })) });
    const id = claimIdOf(s);
    const state = await f.claims.claim(id);
    expect(recordHashOf(f.ruleRecord(s, [300n * USD], 300n * USD, 300n * USD, 0n, 0n, { decidedAt: await time.latest() }))).to.equal(state.recordHash);
  });

  it("surfaces a duplicate's original claim id from the revert", async function () {
    const f = await loadFixture(claimsFixture);
    const s = await f.submission();
    const client = await f.sdkAs(f.doctor);
    const { claimId } = await (await client.submit(s)).wait();
    try {
      await client.submit({ ...s, evidence: await f.anchored() });
      expect.fail("a duplicate must be refused");
    } catch (err) {
      expect(err).to.be.instanceOf(ContractRevertError);
      expect((err as ContractRevertError).errorName).to.equal("DuplicateClaim");
      expect((err as ContractRevertError).args.claimId).to.equal(claimId);
      expect((err as ContractRevertError).message).to.match(/already billed as claim/);
    }
  });

  it("refuses bad input before sending, naming the field", async function () {
    const f = await loadFixture(claimsFixture);
    const client = await f.sdkAs(f.doctor);
    const s = await f.submission();
    const field = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (err) {
        expect(err).to.be.instanceOf(ValidationError);
        return (err as ValidationError).field;
      }
      return "none";
    };
    expect(await field(client.submit({ ...s, lines: [] }))).to.equal("lines");
    expect(await field(client.submit({ ...s, member: "0x12" }))).to.equal("member");
    expect(await field(client.submit({ ...s, lines: [{ ...s.lines[0], units: 0 }] }))).to.equal("lines[0].units");
    expect(await field(client.submit({ ...s, lines: [{ ...s.lines[0], charged: -1n }] }))).to.equal("lines[0].charged");
    expect(await field(client.createPlan({ ...f.terms, filingWindow: 0 }))).to.equal("filingWindow");
    expect(await field(client.setBenefits({ planId: 1, benefits: [{ code: CODE.VISIT, fee: 1n, coinsuranceBps: 10_001 }] }))).to.equal("benefits[0].coinsuranceBps");
    expect(await field(client.enroll({ planId: 1, member: f.patient.address, start: "2026-02-01", end: "2026-01-01" }))).to.equal("end");
    expect(await field(client.payQueued({ planId: 1, max: 51 }))).to.equal("max");
    expect(await field(client.decide({ claimId: "0x12" }))).to.equal("claimId");
    expect(await field(client.releaseParked({ planId: 0, providerOrg: 1 }))).to.equal("planId");
    expect(await field(client.releaseParked({ planId: 1, providerOrg: "x" }))).to.equal("providerOrg");
    expect(await field(client.parked(1, -1))).to.equal("providerOrg");
  });

  it("parks and releases through the client: fund and payQueued count parked payments, releaseParked decodes the release", async function () {
    const f = await loadFixture(claimsFixture);
    const token = await new BlocklistToken__factory(f.deployer).deploy();
    const planId = await planIn(f, token);
    const doctor = await f.sdkAs(f.doctor);
    const insurer = await f.sdkAs(f.insurerAdmin);
    const outsider = await f.sdkAs(f.outsider);
    // Nothing funded: nine payments queue, $2,000 then eight of $100 and a few units (the OOP max is met).
    await (await doctor.submit(await f.submission({ planId, lines: [f.line(CODE.VISIT, 3_000n * USD)] }))).wait();
    for (let i = 1n; i <= 8n; i++) await (await doctor.submit(await f.submission({ planId, lines: [f.line(CODE.VISIT, 100n * USD + i)] }))).wait();
    const total = 2_800n * USD + 36n;
    await token.setBlocked(f.payee.address, true);
    const funded = await (await insurer.fund({ planId, amount: total })).wait(); // the drain takes DRAIN_ON_FUND = 8, all parked
    expect([funded.queuedPaid, funded.queuedParked]).to.deep.equal([0, 8]);
    const queued = await (await outsider.payQueued({ planId, max: 5 })).wait();
    expect([queued.paid, queued.parked]).to.deep.equal([0, 1]);
    expect(await outsider.parked(planId, 1)).to.equal(total);
    await (await (await f.sdkAs(f.hospitalAdmin)).setPayee({ payee: f.outsider.address })).wait();
    const released = await (await outsider.releaseParked({ planId, providerOrg: 1 })).wait();
    expect([released.planId, released.providerOrg, released.payee, released.amount]).to.deep.equal([planId, 1n, f.outsider.address, total]);
    expect(await token.balanceOf(f.outsider.address)).to.equal(total);
    try {
      await outsider.releaseParked({ planId, providerOrg: 1 });
      expect.fail("released twice");
    } catch (err) {
      expect(err).to.be.instanceOf(ContractRevertError);
      expect((err as ContractRevertError).errorName).to.equal("NothingParked");
      expect((err as ContractRevertError).message).to.contain("nothing is parked for provider 1");
    }
  });

  it("reads plans, funds, accumulators, authorizations and payees through the client", async function () {
    const f = await loadFixture(claimsFixture);
    const c = f.sdk.claims;
    expect((await c.plan(1)).deductible).to.equal(500n * USD);
    expect(await c.planCount()).to.equal(1n);
    expect(await c.isTokenAllowed(await f.token.getAddress())).to.equal(true);
    expect((await c.funds(1)).withdrawable).to.equal(100_000n * USD);
    expect((await c.enrollment(1, f.patient.address)).start).to.equal(f.start);
    await (await (await f.sdkAs(f.doctor)).submit(await f.submission())).wait();
    expect((await c.accumulators(1, f.patient.address, (await hre.ethers.provider.getBlock("latest"))!.timestamp)).deductibleMet).to.equal(300n * USD);
    const { authId } = await (await (await f.sdkAs(f.adjuster)).authorize({ planId: 1, member: f.patient.address, code: CODE.MRI, maxAmount: 5n, validFrom: 1, validUntil: 2 })).wait();
    expect((await c.authorization(authId)).remaining).to.equal(5n);
    expect(await c.payeeOf(1)).to.equal(f.payee.address);
    expect(await c.owedBack(1, 1)).to.equal(0n);
    expect((await c.benefit(1, CODE.MRI)).priorAuth).to.equal(true);
    const [id] = (await c.contract.queryFilter(c.contract.filters.ClaimSubmitted())).map((e) => e.args.claimId);
    expect((await c.toClaimResponse(id)).resourceType).to.equal("ClaimResponse");
    expect((await c.toExplanationOfBenefit(id)).resourceType).to.equal("ExplanationOfBenefit");
  });

  it("funds through the client, approving the token when the allowance is short", async function () {
    const f = await loadFixture(claimsFixture);
    await f.token.mint(f.outsider.address, 10n * USD);
    const r = await (await (await f.sdkAs(f.outsider)).fund({ planId: 1, amount: 10n * USD })).wait();
    expect(r.amount).to.equal(10n * USD);
    expect((await f.claims.funds(1)).balance).to.equal(100_010n * USD);
  });

  it("creates a plan from a plan file in one call", async function () {
    const f = await loadFixture(claimsFixture);
    const file = { deductible: "100.00", outOfPocketMax: "1000", autoApprovalLimit: 500, start: "2026-01-01", filingWindowDays: 90, appealWindowDays: 30, benefits: [{ system: "sct", code: "1", fee: "10.50", coinsurancePercent: 20 }] };
    const { terms, benefits } = planFromJson(file, await f.token.getAddress());
    expect([terms.deductible, benefits[0].fee, benefits[0].coinsuranceBps]).to.deep.equal([100n * USD, 10_500_000n, 2000]);
    const { planId } = await (await f.sdkAs(f.insurerAdmin)).createPlanWithBenefits({ terms, benefits });
    expect((await f.claims.benefit(planId, procedureCode("sct", "1"))).fee).to.equal(10_500_000n);
    expect(() => planFromJson({ ...file, benefits: [] }, f.outsider.address)).to.throw(ValidationError);
    expect(() => planFromJson({ ...file, filingWindowDays: 0 }, f.outsider.address)).to.throw(ValidationError);
    expect(() => planFromJson({ ...file, benefits: [{ ...file.benefits[0], coinsurancePercent: 101 }] }, f.outsider.address)).to.throw(ValidationError);
  });

  it("encodes codes reversibly, hashes long ones, and computes an adjuster's ceiling", function () {
    expect(parseProcedureCode(procedureCode("http://www.ama-assn.org/go/cpt", "62264"))).to.deep.equal({ alias: "cpt", system: "http://www.ama-assn.org/go/cpt", code: "62264" });
    const long = procedureCode("sct", "1597AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    expect(long.startsWith("0xff")).to.equal(true);
    expect(parseProcedureCode(long).hashed).to.equal(true);
    expect(() => procedureCode("urn:x", "1")).to.throw(ValidationError);
    expect(() => procedureCode("sct", "a b")).to.throw(ValidationError);
    expect(lineCeiling({ code: CODE.VISIT, units: 2, charged: 500n }, { fee: 100n })).to.equal(200n);
    expect(lineCeiling({ code: CODE.VISIT, units: 1, charged: 500n }, { fee: 0n, perClaimCap: 50n })).to.equal(50n);
  });
});
