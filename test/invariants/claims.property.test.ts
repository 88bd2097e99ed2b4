/**
 * Stateful property test of the claims engine against a TypeScript model (fast-check
 * `fc.commands` + `fc.asyncModelRun`). Random sequences of submissions, deposits, withdrawals,
 * adjuster decisions, queue payments, a blocklisting token blocking and unblocking the provider's
 * payee, and releases of parked payments on a thin plan must keep four invariants after every step:
 *   1. escrow = deposits - settlements - withdrawals, per plan; the engine holds exactly the escrow
 *      plus what is parked; the payee received exactly what was delivered to it;
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
import { BlocklistToken__factory } from "../../typechain-types";
import { claimsFixture, CODE, DAY, HOSPITAL, rec, sub, USD } from "../claims/support";

const PLAN = 2n;
const SEED = 20261121;
const RUNS = Number(process.env.CLAIMS_PROPERTY_RUNS ?? 30);

async function propertyFixture() {
  const f = await claimsFixture();
  // The plan settles in a USDC-like token that can block the provider's payee.
  const blockToken = await new BlocklistToken__factory(f.deployer).deploy();
  await f.claims.connect(f.deployer).setTokenAllowed(await blockToken.getAddress(), true);
  await blockToken.mint(f.insurerAdmin.address, 1_000_000n * USD);
  await blockToken.connect(f.insurerAdmin).approve(await f.claims.getAddress(), 1_000_000n * USD);
  const terms = { ...f.terms, token: await blockToken.getAddress(), deductible: 100n * USD, outOfPocketMax: 400n * USD, autoApprovalLimit: 10_000n * USD };
  await f.claims.connect(f.insurerAdmin).createPlan(terms);
  const rule = (fee: bigint, review = false) => ({ fee, copay: 10n * USD, coinsuranceBps: 2000, priorAuth: false, review, perClaimCap: 0n });
  await f.claims.connect(f.insurerAdmin).setBenefits(PLAN, [CODE.VISIT, CODE.REVIEW], [rule(1_000n * USD), rule(1_000n * USD, true)]);
  for (const m of [f.patient, f.member2]) await f.claims.connect(f.insurerAdmin).enroll(PLAN, m.address, f.start, f.start + 300 * DAY);
  const today = (await time.latest()) - ((await time.latest()) % DAY);
  return { ...f, today, terms, blockToken };
}

type F = Awaited<ReturnType<typeof propertyFixture>>;

interface Model {
  rules: ClaimsModel;
  deposits: bigint;
  settlements: bigint;
  withdrawals: bigint;
  reserved: bigint;
  queue: { id: string; amount: bigint }[];
  blocked: boolean; // the token refuses transfers to the provider's payee
  parked: bigint; // queued payments the token refused, held for the provider
  delivered: bigint; // what reached the payee
  claims: Map<string, { status: ClaimStatus; committed: bigint; received: bigint; s: ClaimSubmission; preview?: { outcomes: { deductible: bigint; copay: bigint; coinsurance: bigint; plan: bigint; allowed: bigint }[] } }>;
}

interface Real {
  f: F;
}

const benefits = new Map<string, ModelBenefit>([
  [CODE.VISIT, { fee: 1_000n * USD, copay: 10n * USD, coinsuranceBps: 2000n }],
  [CODE.REVIEW, { fee: 1_000n * USD, copay: 10n * USD, coinsuranceBps: 2000n }],
]);

/** Applies a transaction's ClaimPaid and PaymentParked events to the model (settlements, per-claim receipts, the queue, what is parked). */
function applyPayments(m: Model, f: F, logs: readonly { topics: readonly string[]; data: string }[]) {
  for (const l of logs) {
    const e = (() => {
      try {
        return f.claims.interface.parseLog(l);
      } catch {
        return null;
      }
    })();
    if (e?.name !== "ClaimPaid" && e?.name !== "PaymentParked") continue;
    const id = e.args.claimId as string;
    const amount = e.args.amount as bigint;
    // The token refuses the blocked payee: a queued payment is parked, never delivered, and only then.
    expect(e.name, "parked exactly when the payee is blocked").to.equal(m.blocked ? "PaymentParked" : "ClaimPaid");
    if (e.name === "PaymentParked") m.parked += amount;
    else m.delivered += amount;
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

/** Whether a share due now is paid at once: nothing waits in the queue and the UNRESERVED escrow covers it. */
function paysAtOnce(m: Readonly<Model>, planTotal: bigint): boolean {
  return planTotal > 0n && m.queue.length === 0 && m.deposits - m.settlements - m.withdrawals >= m.reserved + planTotal;
}

async function checkInvariants(m: Model, f: F) {
  const funds = await f.claims.funds(PLAN);
  const escrow = m.deposits - m.settlements - m.withdrawals;
  expect(funds.balance, "escrow = deposits - settlements - withdrawals").to.equal(escrow);
  expect(funds.reserved).to.equal(m.reserved);
  // Plan 1 of the fixture holds its own 100,000 (another token); in this plan's token the engine holds the escrow plus what is parked.
  const engine = await f.claims.getAddress();
  expect(await f.token.balanceOf(engine)).to.equal((await f.claims.funds(1)).balance);
  expect(await f.claims.parked(PLAN, HOSPITAL), "parked as the model's").to.equal(m.parked);
  expect(await f.blockToken.balanceOf(engine), "the engine holds the escrow plus what is parked").to.equal(escrow + m.parked);
  expect(await f.blockToken.balanceOf(f.payee.address), "the payee received what was delivered").to.equal(m.delivered);
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
    if (!this.review) {
      // A payment due at once to a blocked payee reverts the submission: nothing is recorded.
      const { planTotal } = m.rules.adjudicate(s.member, s.serviceDate, s.lines, false);
      if (m.blocked && paysAtOnce(m, planTotal)) {
        await expect(f.claims.connect(f.doctor).submit(sub(s))).to.be.revertedWithCustomError(f.blockToken, "Blocked").withArgs(f.payee.address);
        return checkInvariants(m, f);
      }
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
      if (planTotal > 0n && !paysAtOnce(m, planTotal)) {
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
    const decide = () => r.f.claims.connect(r.f.adjuster).decide(id, rec(record), [this.deny ? { allowed: 0n, reason: 50 } : { allowed: record.allowed[0], reason: 0 }]);
    // The decision releases the claim's exposure first; a payment due at once to a blocked payee reverts it.
    if (!this.deny && m.blocked && c.committed > 0n && paysAtOnce({ ...m, reserved: m.reserved - c.committed }, c.committed)) {
      await expect(decide()).to.be.revertedWithCustomError(r.f.blockToken, "Blocked").withArgs(r.f.payee.address);
      return checkInvariants(m, r.f);
    }
    const rc = await (await decide()).wait();
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
    if (planTotal > 0n && !paysAtOnce(m, planTotal)) {
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

class BlockCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly blocked: boolean) {}
  check = () => true;
  async run(m: Model, r: Real) {
    await r.f.blockToken.setBlocked(r.f.payee.address, this.blocked);
    m.blocked = this.blocked;
    await checkInvariants(m, r.f);
  }
  toString = () => (this.blocked ? "block(payee)" : "unblock(payee)");
}

class ReleaseParkedCommand implements fc.AsyncCommand<Model, Real> {
  /** @param unblockFirst the payee is cleared first (as a provider re-pointing its payee would) */
  constructor(readonly unblockFirst: boolean) {}
  check = () => true;
  async run(m: Model, r: Real) {
    if (this.unblockFirst && m.blocked) {
      await r.f.blockToken.setBlocked(r.f.payee.address, false);
      m.blocked = false;
    }
    const tx = () => r.f.claims.connect(r.f.outsider).releaseParked(PLAN, HOSPITAL);
    if (m.parked === 0n) await expect(tx()).to.be.revertedWithCustomError(r.f.claims, "NothingParked").withArgs(PLAN, HOSPITAL);
    else if (m.blocked) await expect(tx()).to.be.revertedWithCustomError(r.f.blockToken, "Blocked").withArgs(r.f.payee.address);
    else {
      await expect(tx()).to.emit(r.f.claims, "ParkedPaymentReleased").withArgs(PLAN, HOSPITAL, r.f.payee.address, m.parked);
      m.delivered += m.parked;
      m.parked = 0n;
    }
    await checkInvariants(m, r.f);
  }
  toString = () => `releaseParked(${this.unblockFirst ? "after unblocking" : "as is"})`;
}

const amount = (lo: number, hi: number) => fc.integer({ min: lo, max: hi }).map((v) => BigInt(v) * USD);
const submitArb = fc.tuple(fc.integer({ min: 0, max: 1 }), fc.boolean(), amount(1, 1_500), fc.integer({ min: 0, max: 30 })).map(([m, rv, c, d]) => new SubmitCommand(m, rv, c, d));
const fundArb = amount(1, 2_000).map((a) => new FundCommand(a));
// Submissions and deposits are listed more than once: they are what fills and drains the queue.
const commands = fc.commands(
  [
    submitArb,
    submitArb,
    submitArb,
    fundArb,
    fundArb,
    amount(1, 1_000).map((a) => new WithdrawCommand(a)),
    fc.tuple(fc.nat(), fc.boolean()).map(([p, d]) => new DecideCommand(p, d)),
    fc.integer({ min: 1, max: 4 }).map((n) => new PayQueuedCommand(n)),
    fc.boolean().map((b) => new BlockCommand(b)),
    fc.boolean().map((u) => new ReleaseParkedCommand(u)),
  ],
  { maxCommands: 20, size: "+1" },
);

describe("ClaimsEngine invariants (stateful property test)", function () {
  it("keeps escrow conserved, pays no claim twice, caps cost sharing at the OOP max, and moves claims only forward", async function () {
    this.timeout(600_000);
    await fc.assert(
      // Half the runs start with the payee blocked, so that queued payments get parked and released.
      fc.asyncProperty(fc.boolean(), commands, async (startBlocked, cmds) => {
        const f = await loadFixture(propertyFixture);
        await f.blockToken.setBlocked(f.payee.address, startBlocked);
        const model: Model = {
          rules: new ClaimsModel({ start: f.start, deductible: 100n * USD, outOfPocketMax: 400n * USD, annualCap: 0n, benefits }),
          deposits: 0n,
          settlements: 0n,
          withdrawals: 0n,
          reserved: 0n,
          queue: [],
          blocked: startBlocked,
          parked: 0n,
          delivered: 0n,
          claims: new Map(),
        };
        await fc.asyncModelRun(() => ({ model, real: { f } }), cmds);
      }),
      { seed: SEED, numRuns: RUNS, verbose: 1 },
    );
  });
});
