/**
 * Attack class: gas exhaustion with maximal batches under the per-transaction gas cap (2^24 =
 * 16,777,216, EIP-7825). Each bounded input at its maximum — the biggest claim (MAX_LINES lines,
 * every line on its own benefit, through submission, a line-by-line decision, an appeal and its
 * resolution), the biggest benefit table write (MAX_BATCH codes), the biggest queue payment
 * (MAX_BATCH payments) and the drain after a deposit (DRAIN_ON_FUND), the deepest Merkle proof a
 * uint32 batch can have — stays under the cap, and one past each bound is refused by the bound's
 * named error, not by running out of gas. The suite is the one Ignition deploys (claims read their
 * evidence from the real record registry).
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre from "hardhat";
import { claimIdOf, procedureCode, type ClaimLine } from "../../sdk";
import { BENEFIT, claimState, CODE, commitmentN, rec, sub, submissionOf, suiteFixture, today, USD } from "../support/suiteFixture";

const GAS_CAP = 16_777_216n;
const MAX_LINES = 20;
const MAX_BATCH = 50;

async function gasFixture() {
  const f = await suiteFixture();
  const evidence = commitmentN(1, "gas");
  await f.records.connect(f.doctor).anchor(evidence);
  const codes = Array.from({ length: MAX_BATCH }, (_, i) => procedureCode("sct", `9000${i}`));
  return { ...f, evidence, codes, day: await today() };
}

async function gasOf(tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>): Promise<bigint> {
  return (await (await tx).wait())!.gasUsed;
}

describe("Attack: gas exhaustion with maximal batches", function () {
  it("the bounds are the ones the engine publishes", async function () {
    const { claims } = await loadFixture(gasFixture);
    expect(await claims.MAX_LINES()).to.equal(BigInt(MAX_LINES));
    expect(await claims.MAX_BATCH()).to.equal(BigInt(MAX_BATCH));
    expect(await claims.DRAIN_ON_FUND()).to.equal(8n);
  });

  it("the biggest benefit table write (MAX_BATCH codes) stays under the cap; one more is refused by InvalidBatch", async function () {
    const { claims, insurerAdmin, codes } = await loadFixture(gasFixture);
    const gas = await gasOf(claims.connect(insurerAdmin).setBenefits(1n, codes, codes.map(() => BENEFIT)));
    expect(gas < GAS_CAP, `setBenefits(${MAX_BATCH}) used ${gas}`).to.equal(true);
    const more = [...codes, procedureCode("sct", "99999")];
    await expect(claims.connect(insurerAdmin).setBenefits(1n, more, more.map(() => BENEFIT)))
      .to.be.revertedWithCustomError(claims, "InvalidBatch")
      .withArgs(MAX_BATCH + 1, MAX_BATCH);
    await expect(claims.connect(insurerAdmin).setBenefits(1n, codes, codes.slice(1).map(() => BENEFIT)))
      .to.be.revertedWithCustomError(claims, "InvalidBatch")
      .withArgs(MAX_BATCH, MAX_BATCH);
  });

  it("the biggest claim (MAX_LINES lines on distinct benefits) stays under the cap through submission, decision, appeal and resolution", async function () {
    const { claims, insurerAdmin, adjuster, adjuster2, doctor, patient, codes, evidence, day, connect } = await loadFixture(gasFixture);
    const client = (await connect(doctor)).claims;
    const reviewCodes = codes.slice(0, MAX_LINES);
    await claims.connect(insurerAdmin).setBenefits(1n, reviewCodes, reviewCodes.map(() => ({ ...BENEFIT, review: true })));
    await claims.connect(insurerAdmin).fund(1n, 100_000n * USD);
    const lines: ClaimLine[] = reviewCodes.map((code, i) => ({ code, units: 1, charged: BigInt(500 + i) * USD }));
    const s = submissionOf(1n, patient.address, day, evidence, lines);
    const id = claimIdOf(s);
    const gases: Record<string, bigint> = {};
    gases.submit = await gasOf(claims.connect(doctor).submit(sub(s)));
    const record = await client.record(id);
    // Deny every line: the adjuster's line-by-line path (not the as-previewed shortcut).
    gases.decide = await gasOf(claims.connect(adjuster).decide(id, rec(record), lines.map(() => ({ allowed: 0n, reason: 50 }))));
    const denied = await client.record(id);
    gases.appeal = await gasOf(claims.connect(patient).appeal(id, rec(denied)));
    gases.resolveAppeal = await gasOf(claims.connect(adjuster2).resolveAppeal(id, rec(denied), lines.map((l) => ({ allowed: l.charged, reason: 0 }))));
    for (const [step, gas] of Object.entries(gases)) expect(gas < GAS_CAP, `${step} of a ${MAX_LINES}-line claim used ${gas}`).to.equal(true);
    expect((await claims.claim(id)).status).to.equal(7n); // Overturned
  });

  it("a claim of MAX_LINES + 1 lines is refused by InvalidBatch", async function () {
    const { claims, doctor, patient, codes, evidence, day } = await loadFixture(gasFixture);
    const lines: ClaimLine[] = codes.slice(0, MAX_LINES + 1).map((code) => ({ code, units: 1, charged: 100n * USD }));
    await expect(claims.connect(doctor).submit(sub(submissionOf(1n, patient.address, day, evidence, lines))))
      .to.be.revertedWithCustomError(claims, "InvalidBatch")
      .withArgs(MAX_LINES + 1, MAX_LINES);
    await expect(claims.connect(doctor).submit(sub(submissionOf(1n, patient.address, day, evidence, []))))
      .to.be.revertedWithCustomError(claims, "InvalidBatch")
      .withArgs(0, MAX_LINES);
  });

  it("the biggest queue payment (MAX_BATCH payments) stays under the cap, a deposit drains at most DRAIN_ON_FUND, and max + 1 is refused", async function () {
    const { claims, insurerAdmin, doctor, patient, evidence, day, token, payee } = await loadFixture(gasFixture);
    // Nothing deposited in plan 1: every approved claim queues (one evidence may back many claims).
    const n = MAX_BATCH + 10;
    for (let i = 0; i < n; i++) await claims.connect(doctor).submit(sub(submissionOf(1n, patient.address, day, evidence, [{ code: CODE.VISIT, units: 1, charged: BigInt(1_000 + i) * USD }])));
    const queued = await claims.funds(1n);
    expect(queued.queueTail - queued.queueHead).to.equal(BigInt(n));
    expect(await token.balanceOf(payee.address), "the payee held nothing before").to.equal(0n);
    const fundTx = await claims.connect(insurerAdmin).fund(1n, 200_000n * USD);
    const fundRc = (await fundTx.wait())!;
    expect(fundRc.logs.filter((l) => claims.interface.parseLog(l)?.name === "ClaimPaid").length, "a deposit drains at most DRAIN_ON_FUND").to.equal(8);
    await expect(claims.payQueued(1n, MAX_BATCH + 1)).to.be.revertedWithCustomError(claims, "InvalidBatch").withArgs(MAX_BATCH + 1, MAX_BATCH);
    await expect(claims.payQueued(1n, 0)).to.be.revertedWithCustomError(claims, "InvalidBatch").withArgs(0, MAX_BATCH);
    const before = await token.balanceOf(payee.address);
    const gas = await gasOf(claims.payQueued(1n, MAX_BATCH));
    expect(gas < GAS_CAP, `payQueued(${MAX_BATCH}) used ${gas}`).to.equal(true);
    const after = await claims.funds(1n);
    expect(after.queueTail - after.queueHead).to.equal(BigInt(n - 8 - MAX_BATCH));
    const last = await Promise.all([n - 2, n - 1].map((i) => claimState(claims, claimIdOf(submissionOf(1n, patient.address, day, evidence, [{ code: CODE.VISIT, units: 1, charged: BigInt(1_000 + i) * USD }])))));
    expect(after.reserved, "only the two still queued stay reserved").to.equal(last[0].planPaid + last[1].planPaid);
    // Money conserved: what left the plan is exactly what the payee received (it held nothing before); the engine holds the rest.
    expect((await token.balanceOf(payee.address)) - before, "the 50 payments").to.be.greaterThan(0n);
    expect(after.balance + (await token.balanceOf(payee.address))).to.equal(200_000n * USD);
    expect(await token.balanceOf(await claims.getAddress())).to.equal(after.balance);
  });

  it("the deepest proof a uint32 batch can have (32 levels) registers well under the cap", async function () {
    const { records, doctor, outsider } = await loadFixture(gasFixture);
    const c = commitmentN(7, "deep");
    const proof = Array.from({ length: 32 }, (_, i) => commitmentN(i, "sibling"));
    const root = proof.reduce((h, sib) => hre.ethers.keccak256(BigInt(h) < BigInt(sib) ? hre.ethers.concat([h, sib]) : hre.ethers.concat([sib, h])), await records.leafHash(c, 1, c));
    await records.connect(doctor).anchorBatch(root, 2n ** 32n - 1n);
    const gas = await gasOf(records.connect(outsider).registerBatchRecord(1n, root, c, proof));
    expect(gas < 200_000n, `a 32-level registration used ${gas}`).to.equal(true);
    expect((await records.recordVersion(1n, c)).orgId).to.equal(1n);
  });

  it("bounds a proof by its batch's depth: a 1,000-level proof is refused by name before any hashing", async function () {
    // A batch's depth is ceil(log2(leafCount)), at most 32 (a batch holds at most 2^32 - 1 leaves).
    const { records, doctor, outsider } = await loadFixture(gasFixture);
    const c = commitmentN(8, "deep");
    const proof = Array.from({ length: 1_000 }, (_, i) => commitmentN(i, "deep-sibling"));
    const root = proof.reduce((h, sib) => hre.ethers.keccak256(BigInt(h) < BigInt(sib) ? hre.ethers.concat([h, sib]) : hre.ethers.concat([sib, h])), await records.leafHash(c, 1, c));
    await records.connect(doctor).anchorBatch(root, 2);
    await expect(records.connect(outsider).registerBatchRecord(1n, root, c, proof)).to.be.revertedWithCustomError(records, "ProofTooLong").withArgs(root, 1_000, 1);
    // Anchored with the leaf count such a tree would need (2^32 - 1: depth 32), it is still too long.
    const wide = hre.ethers.keccak256(root);
    await records.connect(doctor).anchorBatch(wide, 2 ** 32 - 1);
    await expect(records.connect(outsider).registerBatchRecord(1n, wide, c, proof)).to.be.revertedWithCustomError(records, "ProofTooLong").withArgs(wide, 1_000, 32);
  });
});
