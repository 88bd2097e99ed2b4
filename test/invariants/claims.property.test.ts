/**
 * Stateful property test of the claims engine against a TypeScript model (fast-check
 * `fc.commands` + `fc.asyncModelRun`). Random sequences of submissions, deposits, withdrawals,
 * adjuster decisions and queue payments on a thin plan must keep four invariants after every step:
 *   1. escrow = deposits - settlements - withdrawals, per plan (and the engine holds exactly that);
 *   2. no claim is settled twice (what a claim received never exceeds what the plan committed);
 *   3. member cost sharing never exceeds the out-of-pocket maximum;
 *   4. claim states only move forward.
 * The seed is fixed; on failure fast-check prints it with the shrunk command sequence.
 */
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import fc from "fast-check";
import { claimIdOf, ClaimStatus, type ClaimSubmission } from "../../sdk";
import { ClaimsModel, type ModelBenefit } from "../support/claimsModel";
import { claimsFixture, CODE, DAY, rec, sub, USD } from "../claims/support";

const PLAN = 2n;
const SEED = 20261121;
const RUNS = Number(process.env.CLAIMS_PROPERTY_RUNS ?? 12);

async function propertyFixture() {
  const f = await claimsFixture();
  const terms = { ...f.terms, deductible: 100n * USD, outOfPocketMax: 400n * USD, autoApprovalLimit: 10_000n * USD };
  await f.claims.connect(f.insurerAdmin).createPlan(terms);
  const rule = (fee: bigint, review = false) => ({ fee, copay: 10n * USD, coinsuranceBps: 2000, priorAuth: false, review, perClaimCap: 0n });
  await f.claims.connect(f.insurerAdmin).setBenefits(PLAN, [CODE.VISIT, CODE.REVIEW], [rule(1_000n * USD), rule(1_000n * USD, true)]);
  for (const m of [f.patient, f.member2]) await f.claims.connect(f.insurerAdmin).enroll(PLAN, m.address, f.start, f.start + 300 * DAY);
  const today = (await time.latest()) - ((await time.latest()) % DAY);
  return { ...f, today, terms };
}

type F = Awaited<ReturnType<typeof propertyFixture>>;

interface Model {
  rules: ClaimsModel;
  deposits: bigint;
  settlements: bigint;
  withdrawals: bigint;
  reserved: bigint;
  queue: { id: string; amount: bigint }[];
  claims: Map<string, { status: ClaimStatus; committed: bigint; received: bigint; s: ClaimSubmission; preview?: { outcomes: { deductible: bigint; copay: bigint; coinsurance: bigint; plan: bigint; allowed: bigint }[] } }>;
}

interface Real {
  f: F;
}

const benefits = new Map<string, ModelBenefit>([
  [CODE.VISIT, { fee: 1_000n * USD, copay: 10n * USD, coinsuranceBps: 2000n }],
  [CODE.REVIEW, { fee: 1_000n * USD, copay: 10n * USD, coinsuranceBps: 2000n }],
]);

/** Applies a transaction's ClaimPaid events to the model (settlements, per-claim receipts, the queue). */
function applyPayments(m: Model, f: F, logs: readonly { topics: readonly string[]; data: string }[]) {
  for (const l of logs) {
    const e = (() => {
      try {
        return f.claims.interface.parseLog(l);
      } catch {
        return null;
      }
    })();
    if (e?.name !== "ClaimPaid") continue;
    const id = e.args.claimId as string;
    const amount = e.args.amount as bigint;
    m.settlements += amount;
    m.claims.get(id)!.received += amount;
    if (m.queue[0]?.id === id && m.queue[0].amount === amount) {
      m.queue.shift();
      m.reserved -= amount;
    }
  }
}

/** Pays the model's queue in order while escrow covers the head, up to `max` (what the engine must do). */
function expectedDrain(m: Model, max: number): number {
  let balance = m.deposits - m.settlements - m.withdrawals;
  let n = 0;
  for (const q of m.queue) {
    if (n >= max || balance < q.amount) break;
    balance -= q.amount;
    n++;
  }
  return n;
}

async function checkInvariants(m: Model, f: F) {
  const funds = await f.claims.funds(PLAN);
  const escrow = m.deposits - m.settlements - m.withdrawals;
  expect(funds.balance, "escrow = deposits - settlements - withdrawals").to.equal(escrow);
  expect(funds.reserved).to.equal(m.reserved);
  // Plan 1 of the fixture holds its own 100,000; the engine holds exactly the sum of the plans' escrows.
  const plan1 = (await f.claims.funds(1)).balance;
  expect(await f.token.balanceOf(await f.claims.getAddress())).to.equal(plan1 + escrow);
  for (const [id, c] of m.claims) {
    const on = await f.claims.claim(id);
    expect(Number(on.status), `claim ${id} moves forward`).to.be.gte(c.status);
    c.status = Number(on.status);
    expect(c.received <= on.planPaid || on.status === BigInt(ClaimStatus.Pended), "no claim paid more than committed").to.equal(true);
    if (c.status !== ClaimStatus.Pended && !m.queue.some((q) => q.id === id)) expect(c.received, "a settled claim received exactly its share, once").to.equal(on.planPaid);
  }
  for (const member of [f.patient.address, f.member2.address]) {
    const a = await f.claims.accumulators(PLAN, member, 0);
    expect(a.outOfPocketMet <= 400n * USD, "cost sharing within the OOP max").to.equal(true);
    const expected = m.rules.acc(member, 0);
    expect([a.deductibleMet, a.outOfPocketMet, a.benefitPaid], "accumulators as the model's").to.deep.equal([expected.deductibleMet, expected.outOfPocketMet, expected.benefitPaid]);
  }
}

class SubmitCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly member: number, readonly review: boolean, readonly charged: bigint, readonly daysAgo: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const { f } = r;
    const s = await f.submission({
      planId: PLAN,
      member: this.member === 0 ? f.patient.address : f.member2.address,
      serviceDate: f.today - this.daysAgo * DAY,
      lines: [f.line(this.review ? CODE.REVIEW : CODE.VISIT, this.charged)],
    });
    const id = claimIdOf(s);
    if (m.claims.has(id)) {
      await expect(f.claims.connect(f.doctor).submit(sub(s))).to.be.revertedWithCustomError(f.claims, "DuplicateClaim").withArgs(id);
      return checkInvariants(m, f);
    }
    const rc = await (await f.claims.connect(f.doctor).submit(sub(s))).wait();
    if (this.review) {
      // Pending applies the rules' cost sharing at once and reserves the plan's share.
      const preview = m.rules.adjudicate(s.member, s.serviceDate, s.lines);
      m.claims.set(id, { status: ClaimStatus.Pended, committed: preview.planTotal, received: 0n, s, preview });
      m.reserved += preview.planTotal;
    } else {
      const { planTotal } = m.rules.adjudicate(s.member, s.serviceDate, s.lines);
      m.claims.set(id, { status: ClaimStatus.Approved, committed: planTotal, received: 0n, s });
      const escrow = m.deposits - m.settlements - m.withdrawals;
      if (planTotal > 0n && (m.queue.length > 0 || escrow < planTotal)) {
        m.queue.push({ id, amount: planTotal });
        m.reserved += planTotal;
      }
    }
    applyPayments(m, f, rc!.logs);
    await checkInvariants(m, f);
  }
  toString = () => `submit(member ${this.member}, ${this.review ? "review" : "visit"}, ${this.charged}, -${this.daysAgo}d)`;
}

class FundCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly amount: bigint) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const drained = expectedDrain({ ...m, deposits: m.deposits + this.amount }, 8);
    const rc = await (await r.f.claims.connect(r.f.insurerAdmin).fund(PLAN, this.amount)).wait();
    m.deposits += this.amount;
    const before = m.queue.length;
    applyPayments(m, r.f, rc!.logs);
    expect(before - m.queue.length).to.equal(drained);
    await checkInvariants(m, r.f);
  }
  toString = () => `fund(${this.amount})`;
}

class WithdrawCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly amount: bigint) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const escrow = m.deposits - m.settlements - m.withdrawals;
    const available = escrow > m.reserved ? escrow - m.reserved : 0n;
    const tx = r.f.claims.connect(r.f.insurerAdmin).withdraw(PLAN, this.amount, r.f.insurerAdmin.address);
    if (this.amount > available) {
      await expect(tx).to.be.revertedWithCustomError(r.f.claims, "InsufficientUnreservedFunds").withArgs(PLAN, this.amount, available);
    } else {
      await (await tx).wait();
      m.withdrawals += this.amount;
    }
    await checkInvariants(m, r.f);
  }
  toString = () => `withdraw(${this.amount})`;
}

class DecideCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number, readonly deny: boolean) {}
  check = (m: Readonly<Model>) => [...m.claims.values()].some((c) => c.status === ClaimStatus.Pended);
  async run(m: Model, r: Real) {
    const pended = [...m.claims.entries()].filter(([, c]) => c.status === ClaimStatus.Pended);
    const [id, c] = pended[this.pick % pended.length];
    const record = await r.f.sdk.claims.record(id);
    // Approve as previewed (nothing re-adjudicated), or deny (the preview's cost sharing is reversed).
    const rc = await (await r.f.claims.connect(r.f.adjuster).decide(id, rec(record), [this.deny ? { allowed: 0n, reason: 50 } : { allowed: record.allowed[0], reason: 0 }])).wait();
    m.reserved -= c.committed;
    if (this.deny) {
      const year = Math.floor((c.s.serviceDate - m.rules.plan.start) / (365 * DAY));
      const a = m.rules.acc(c.s.member, year);
      for (const o of c.preview!.outcomes) {
        a.deductibleMet -= o.deductible;
        a.outOfPocketMet -= o.deductible + o.copay + o.coinsurance;
        a.benefitPaid -= o.plan;
      }
    }
    const planTotal = this.deny ? 0n : c.committed;
    c.committed = planTotal;
    const escrow = m.deposits - m.settlements - m.withdrawals;
    if (planTotal > 0n && (m.queue.length > 0 || escrow < planTotal)) {
      m.queue.push({ id, amount: planTotal });
      m.reserved += planTotal;
    }
    applyPayments(m, r.f, rc!.logs);
    await checkInvariants(m, r.f);
  }
  toString = () => `decide(#${this.pick}, ${this.deny ? "deny" : "approve"})`;
}

class PayQueuedCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly max: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const drained = expectedDrain(m, this.max);
    const rc = await (await r.f.claims.connect(r.f.outsider).payQueued(PLAN, this.max)).wait();
    const before = m.queue.length;
    applyPayments(m, r.f, rc!.logs);
    expect(before - m.queue.length).to.equal(drained);
    await checkInvariants(m, r.f);
  }
  toString = () => `payQueued(${this.max})`;
}

const amount = (lo: number, hi: number) => fc.integer({ min: lo, max: hi }).map((v) => BigInt(v) * USD);
const commands = fc.commands(
  [
    fc.tuple(fc.integer({ min: 0, max: 1 }), fc.boolean(), amount(1, 1_500), fc.integer({ min: 0, max: 30 })).map(([m, rv, c, d]) => new SubmitCommand(m, rv, c, d)),
    amount(1, 2_000).map((a) => new FundCommand(a)),
    amount(1, 1_000).map((a) => new WithdrawCommand(a)),
    fc.tuple(fc.nat(), fc.boolean()).map(([p, d]) => new DecideCommand(p, d)),
    fc.integer({ min: 1, max: 4 }).map((n) => new PayQueuedCommand(n)),
  ],
  { maxCommands: 14 },
);

describe("ClaimsEngine invariants (stateful property test)", function () {
  it("keeps escrow conserved, pays no claim twice, caps cost sharing at the OOP max, and moves claims only forward", async function () {
    this.timeout(600_000);
    await fc.assert(
      fc.asyncProperty(commands, async (cmds) => {
        const f = await loadFixture(propertyFixture);
        const model: Model = {
          rules: new ClaimsModel({ start: f.start, deductible: 100n * USD, outOfPocketMax: 400n * USD, annualCap: 0n, benefits }),
          deposits: 0n,
          settlements: 0n,
          withdrawals: 0n,
          reserved: 0n,
          queue: [],
          claims: new Map(),
        };
        await fc.asyncModelRun(() => ({ model, real: { f } }), cmds);
      }),
      { seed: SEED, numRuns: RUNS, verbose: 1 },
    );
  });
});
