/**
 * Attack class: reentrancy through token hooks. The plan's token calls back into the claims engine
 * while the engine pays out (a settlement, a queue payment, a withdrawal, the drain that follows a
 * deposit), trying fund, withdraw, payQueued, releaseParked, submit, submitWithProof, repay, voidClaim and decide again mid-flight. Every guarded
 * entry point refuses with ReentrancyGuardReentrantCall; an unguarded one gains nothing; every
 * payment is made exactly once and the escrow balances to the unit.
 */
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre from "hardhat";
import type { Interface } from "ethers";
import { claimIdOf, Role } from "../../sdk";
import { ReentrantToken__factory } from "../../typechain-types";
import { claimsFixture, CODE, rec, sub, USD } from "../claims/fixtures";
import { planIn } from "../support/tokenPlans";
import { claimState } from "../support/suiteFixture";

async function reentrancyFixture() {
  const f = await claimsFixture();
  const token = await new ReentrantToken__factory(f.deployer).deploy();
  const planId = await planIn(f, token);
  const engine = await f.claims.getAddress();
  const guard = f.claims.interface.getError("ReentrancyGuardReentrantCall")!.selector;
  /** Arms the token: its next transfer out of the engine calls the engine with `data`. */
  const arm = (fn: string, args: unknown[]) => token.arm(engine, (f.claims.interface as Interface).encodeFunctionData(fn, args));
  /** The callback was attempted and refused by the guard. */
  const expectRefused = async () => {
    expect(await token.attempted(), "the hook called back").to.equal(true);
    expect(await token.succeeded(), "the reentrant call failed").to.equal(false);
    expect(await token.revertData()).to.equal(guard);
  };
  /** A $3,000 visit: the patient pays the $500 deductible and 20% of the rest (hitting the $1,000 OOP max); the plan $2,000. */
  const visit = async (charged = 3_000n * USD, daysAgo = 0) => f.submission({ planId, lines: [f.line(CODE.VISIT, charged)], serviceDate: (await f.submission()).serviceDate - daysAgo * 86_400 });
  return { ...f, token, planId, engine, arm, expectRefused, visit };
}

describe("Attack: reentrancy through token hooks", function () {
  it("a settlement's transfer cannot re-enter payQueued, submit, submitWithProof, repay or voidClaim", async function () {
    const { claims, token, planId, engine, arm, expectRefused, visit, doctor, payee, insurerAdmin, ruleRecord } = await loadFixture(reentrancyFixture);
    await claims.connect(insurerAdmin).fund(planId, 20_000n * USD);
    for (const [i, [fn, args]] of [
      ["payQueued", [planId, 1]],
      ["submit", [sub(await visit(400n * USD, 1))]],
      ["submitWithProof", [sub(await visit(401n * USD, 1)), hre.ethers.ZeroHash, []]],
      ["repay", [planId, 1n, 1n]],
      ["voidClaim", [hre.ethers.ZeroHash, rec(ruleRecord(await visit(), [0n]))]],
    ].entries() as Iterable<[number, readonly [string, readonly unknown[]]]>) {
      await arm(fn, [...args]);
      const s = await visit(3_000n * USD + BigInt(i));
      const before = await token.balanceOf(payee.address);
      await claims.connect(doctor).submit(sub(s));
      await expectRefused();
      const paid = (await claimState(claims, claimIdOf(s))).planPaid;
      expect(await token.balanceOf(payee.address), "paid once").to.equal(before + paid);
    }
    const f = await claims.funds(planId);
    expect(await token.balanceOf(engine)).to.equal(f.balance);
    expect(f.balance).to.equal(20_000n * USD - (await token.balanceOf(payee.address)));
  });

  it("a queue payment's transfer cannot re-enter payQueued or withdraw", async function () {
    const { claims, token, planId, engine, arm, expectRefused, visit, doctor, payee, insurerAdmin } = await loadFixture(reentrancyFixture);
    const s1 = await visit();
    const s2 = await visit(3_100n * USD);
    await claims.connect(doctor).submit(sub(s1)); // nothing deposited: both queue
    await claims.connect(doctor).submit(sub(s2));
    const owed = (await claimState(claims, claimIdOf(s1))).planPaid + (await claimState(claims, claimIdOf(s2))).planPaid;
    // Deposit exactly what is owed: the deposit's drain pays the queue, and the hook tries to pay it again.
    await arm("payQueued", [planId, 1]);
    await claims.connect(insurerAdmin).fund(planId, owed); // the drain pays both; the hook's payQueued is refused
    await expectRefused();
    expect(await token.balanceOf(payee.address)).to.equal(owed);
    expect((await claims.funds(planId)).queueHead).to.equal(2n);
    // Surplus deposited, then a withdrawal whose transfer tries to withdraw again.
    await claims.connect(insurerAdmin).fund(planId, 1_000n * USD);
    await token.arm(insurerAdmin.address, "0x"); // disarm the engine
    await arm("withdraw", [planId, 500n * USD, insurerAdmin.address]);
    const insurerBefore = await token.balanceOf(insurerAdmin.address);
    await claims.connect(insurerAdmin).withdraw(planId, 500n * USD, insurerAdmin.address);
    await expectRefused();
    expect(await token.balanceOf(insurerAdmin.address)).to.equal(insurerBefore + 500n * USD);
    expect((await claims.funds(planId)).balance).to.equal(500n * USD);
    expect(await token.balanceOf(engine)).to.equal(500n * USD);
  });

  it("the drain after a deposit cannot re-enter fund", async function () {
    const { claims, token, planId, engine, arm, expectRefused, visit, doctor, payee, insurerAdmin } = await loadFixture(reentrancyFixture);
    const s = await visit();
    await claims.connect(doctor).submit(sub(s));
    const owed = (await claimState(claims, claimIdOf(s))).planPaid;
    await arm("fund", [planId, 1n]);
    await claims.connect(insurerAdmin).fund(planId, owed);
    await expectRefused();
    expect(await token.balanceOf(payee.address)).to.equal(owed);
    expect(await claims.funds(planId)).to.deep.equal([0n, 0n, 1n, 1n]);
    expect(await token.balanceOf(engine)).to.equal(0n);
  });

  it("a decision's settlement cannot re-enter decide for the same claim", async function () {
    const { claims, token, planId, arm, expectRefused, submission, line, ruleRecord, doctor, adjuster, payee, insurerAdmin } = await loadFixture(reentrancyFixture);
    await claims.connect(insurerAdmin).fund(planId, 10_000n * USD);
    const s = await submission({ planId, lines: [line(CODE.REVIEW, 3_000n * USD)] });
    await claims.connect(doctor).submit(sub(s));
    const id = claimIdOf(s);
    const exposure = (await claimState(claims, id)).planPaid;
    const record = rec(ruleRecord(s, [3_000n * USD], 0n, 0n, 0n, 0n, { planPaid: exposure })); // a pended claim applied no cost sharing
    await arm("decide", [id, record, [{ allowed: 3_000n * USD, reason: 0 }]]);
    await claims.connect(adjuster).decide(id, record, [{ allowed: 3_000n * USD, reason: 0 }]);
    await expectRefused();
    expect(await token.balanceOf(payee.address)).to.equal(exposure);
    expect((await claims.funds(planId)).balance).to.equal(10_000n * USD - exposure);
  });

  it("a payment's transfer cannot re-enter releaseParked: the guard refuses before anything is read", async function () {
    const { claims, token, planId, engine, arm, expectRefused, visit, doctor, payee, insurerAdmin } = await loadFixture(reentrancyFixture);
    const guard = claims.interface.getError("ReentrancyGuardReentrantCall")!.selector;
    // From a settlement's transfer (submit) and from a queue payment's transfer (the drain of fund).
    await claims.connect(insurerAdmin).fund(planId, 10_000n * USD);
    await arm("releaseParked", [planId, 1n]);
    await claims.connect(doctor).submit(sub(await visit()));
    await expectRefused();
    const queued = await visit(3_000n * USD, 1);
    await claims.connect(insurerAdmin).withdraw(planId, (await claims.funds(planId)).balance, insurerAdmin.address);
    await claims.connect(doctor).submit(sub(queued)); // nothing unreserved: queued
    const owed = (await claimState(claims, claimIdOf(queued))).planPaid;
    await arm("releaseParked", [planId, 1n]);
    await claims.connect(insurerAdmin).fund(planId, owed);
    expect(await token.revertData()).to.equal(guard);
    await expectRefused();
    expect(await claims.parked(planId, 1n)).to.equal(0n);
    expect(await token.balanceOf(payee.address)).to.equal(2_000n * USD + owed);
    expect(await token.balanceOf(engine)).to.equal(0n);
  });

  it("a reentrant call is refused as reentrant even once the engine is paused: the guard is the outermost check of every guarded entry point", async function () {
    const { claims, token, planId, engine, visit, doctor, insurerAdmin, pauser, manager, deployer, ruleRecord } = await loadFixture(reentrancyFixture);
    // The token holds the PAUSER role: its hook pauses the engine, then calls it again.
    await manager.connect(deployer).grantRole(Role.PAUSER, await token.getAddress(), 0);
    await claims.connect(insurerAdmin).fund(planId, 50_000n * USD);
    const guard = claims.interface.getError("ReentrancyGuardReentrantCall")!.selector;
    const record = rec(ruleRecord(await visit(), [0n]));
    const calls: [string, unknown[]][] = [
      ["fund", [planId, 1n]],
      ["withdraw", [planId, 1n, insurerAdmin.address]],
      ["releaseParked", [planId, 1n]],
      ["repay", [planId, 1n, 1n]],
      ["payQueued", [planId, 1n]],
      ["submit", [sub(await visit(400n * USD, 1))]],
      ["submitWithProof", [sub(await visit(401n * USD, 1)), hre.ethers.ZeroHash, []]],
      ["submitCorrection", [sub(await visit(402n * USD, 1)), hre.ethers.ZeroHash, record]],
      ["voidClaim", [hre.ethers.ZeroHash, record]],
      ["decide", [hre.ethers.ZeroHash, record, []]],
      ["resolveAppeal", [hre.ethers.ZeroHash, record, []]],
    ];
    for (const [i, [fn, args]] of calls.entries()) {
      await token.armAfter(engine, claims.interface.encodeFunctionData("pause"), (claims.interface as Interface).encodeFunctionData(fn, args));
      await claims.connect(doctor).submit(sub(await visit(3_000n * USD + BigInt(i))));
      expect(await token.firstSucceeded(), `${fn}: the hook paused the engine`).to.equal(true);
      expect(await claims.paused()).to.equal(true);
      expect(await token.revertData(), `${fn}: refused by the guard, not the pause`).to.equal(guard);
      await claims.connect(pauser).unpause();
    }
  });

  it("a hook reaching an unguarded entry point gains nothing: the token is not an appellant", async function () {
    const { claims, token, planId, engine, visit, submission, line, doctor, insurerAdmin, ruleRecord } = await loadFixture(reentrancyFixture);
    await claims.connect(insurerAdmin).fund(planId, 10_000n * USD);
    const denied = await submission({ planId, lines: [line(CODE.UNKNOWN, 700n * USD)] });
    await claims.connect(doctor).submit(sub(denied));
    const id = claimIdOf(denied);
    expect((await claims.claim(id)).status).to.equal(4n); // Denied: appealable by the member or the provider only
    await token.arm(engine, claims.interface.encodeFunctionData("appeal", [id, rec(ruleRecord(denied, [0n], 0n, 0n, 0n, 0n, { decidedAt: await time.latest() }))]));
    await claims.connect(doctor).submit(sub(await visit()));
    expect(await token.attempted()).to.equal(true);
    expect(await token.succeeded()).to.equal(false);
    expect(await token.revertData()).to.equal(claims.interface.encodeErrorResult("NotAppellant", [await token.getAddress(), id]));
    expect((await claims.claim(id)).status).to.equal(4n);
  });
});
