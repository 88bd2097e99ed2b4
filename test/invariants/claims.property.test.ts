/**
 * Stateful property test of the claims engine against a TypeScript model (fast-check
 * `fc.commands` + `fc.asyncModelRun`). Random sequences of submissions (paid by the rules or pended
 * for review), duplicate submissions, deposits, withdrawals, adjuster decisions (approve, partial,
 * deny), queue payments, corrections and voids by the provider (up, down to nothing and back),
 * repayments of what the provider owes, refused corrections and voids by insurer staff and by
 * another provider, a blocklisting token blocking and unblocking the provider's payee, and releases
 * of parked payments on a thin plan must keep these invariants after every step:
 *   1. money is conserved, with recoupment, from the events alone (ghost books): deposits - payments
 *      + recoveries - withdrawals = the plan's balance, where payments are the gross claim payments
 *      the plan settled (paid at once, drained, parked, and offsets against what the provider owed)
 *      and recoveries are those offsets plus repayments; the engine holds exactly the plans'
 *      balances plus what is parked; the payee received exactly what was delivered to it; what the
 *      provider owes is what was booked as owed back less what was recovered or repaid;
 *   2. every money event of every step is the one the model predicts, in order (recorded, recovered,
 *      paid, queued, parked, repaid), and balance, reserved, queue, owed back and parked are the model's;
 *   3. no service is paid twice: over each chain of corrections, what the plan settled for it (paid,
 *      parked, offset) plus what waits in the queue for it, less what was booked as owed back for
 *      it, is exactly what its live claim commits (its plan share; a pended claim the credit it
 *      carries; 0 once voided);
 *   4. member cost sharing is the model's (pended claims apply nothing until decided, retired
 *      claims give back what they applied) and never exceeds the out-of-pocket maximum;
 *   5. claim states are the model's and only move forward.
 * The seed is fixed (CLAIMS_PROPERTY_SEED to change it, CLAIMS_PROPERTY_RUNS for more runs, CLAIMS_PROPERTY_STATS=1
 * to see what it exercises); on failure fast-check prints it with the shrunk command sequence.
 */
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import fc from "fast-check";
import { MaxUint256, type BaseContract, type ContractTransactionResponse, type Log, type LogDescription } from "ethers";
import { claimIdOf, ClaimStatus, serviceKeyOf, type ClaimSubmission } from "../../sdk";
import { bookEvent, openBooks, type EscrowBooks } from "../support/escrowBooks";
import { ClaimsModel, type ModelBenefit } from "../support/claimsModel";
import { BlocklistToken__factory } from "../../typechain-types";
import { claimsFixture, CODE, DAY, HOSPITAL, rec, sub, USD } from "../claims/fixtures";
import { claimState } from "../support/suiteFixture";

const PLAN = 2n;
const SEED = Number(process.env.CLAIMS_PROPERTY_SEED ?? 20261121);
const RUNS = Number(process.env.CLAIMS_PROPERTY_RUNS ?? 40);
const MAX_COMMANDS = 30;
/** CLAIMS_PROPERTY_STATS=1 prints how often each step ran, how it ended, and which money events it produced. */
const STATS: Map<string, number> | undefined = process.env.CLAIMS_PROPERTY_STATS ? new Map() : undefined;
let stepName = "";
const tally = (k: string) => STATS?.set(k, (STATS.get(k) ?? 0) + 1);

async function propertyFixture() {
  const f = await claimsFixture();
  // The plan settles in a USDC-like token that can block the provider's payee.
  const blockToken = await new BlocklistToken__factory(f.deployer).deploy();
  const engine = await f.claims.getAddress();
  await f.claims.connect(f.deployer).setTokenAllowed(await blockToken.getAddress(), true);
  await blockToken.mint(f.insurerAdmin.address, 1_000_000n * USD);
  await blockToken.connect(f.insurerAdmin).approve(engine, 1_000_000n * USD);
  // Anyone may repay what a provider owes: here an outsider holding the plan's token.
  await blockToken.mint(f.outsider.address, 1_000_000n * USD);
  await blockToken.connect(f.outsider).approve(engine, MaxUint256);
  const terms = { ...f.terms, token: await blockToken.getAddress(), deductible: 100n * USD, outOfPocketMax: 400n * USD, autoApprovalLimit: 10_000n * USD };
  await f.claims.connect(f.insurerAdmin).createPlan(terms);
  const rule = (fee: bigint, review = false) => ({ fee, copay: 10n * USD, coinsuranceBps: 2000, priorAuth: false, review, perClaimCap: 0n, costSharing: 0 });
  await f.claims.connect(f.insurerAdmin).setBenefits(PLAN, [CODE.VISIT, CODE.REVIEW], [rule(1_000n * USD), rule(1_000n * USD, true)]);
  for (const m of [f.patient, f.member2]) await f.claims.connect(f.insurerAdmin).enroll(PLAN, m.address, f.start, f.start + 300 * DAY);
  const today = (await time.latest()) - ((await time.latest()) % DAY);
  return { ...f, today, terms, blockToken };
}

type F = Awaited<ReturnType<typeof propertyFixture>>;

interface ClaimModel {
  s: ClaimSubmission;
  status: ClaimStatus;
  /** `claim(id).planPaid`: the claim's plan share (its exposure while pended, 0 once voided). */
  planPaid: bigint;
  /** What the chain it replaced had committed (its record's `credit`). */
  credit: bigint;
  /** What it applied to the member's accumulators (nothing while pended). */
  applied: { deductible: bigint; memberShare: bigint };
  /** The first claim of its chain of corrections. */
  root: string;
  /** An adjuster decided it: its corrections pend for an adjuster too. */
  adjusted?: boolean;
}

/** Books kept from the events of the receipts only (never from the model). */
interface Ghost extends EscrowBooks {
  gross: Map<string, bigint>; // per claim: paid, parked, offset
  owedBy: Map<string, bigint>; // per claim: booked as owed back
}

interface Model {
  rules: ClaimsModel;
  blocked: boolean; // the token refuses transfers to the provider's payee
  balance: bigint;
  reserved: bigint; // queued payments + pended exposure
  queue: { id: string; amount: bigint }[];
  owed: bigint; // what the hospital owes the plan back
  parked: bigint;
  claims: Map<string, ClaimModel>;
  /** The last on-chain status seen per claim (states only move forward). */
  seen: Map<string, ClaimStatus>;
  ghost: Ghost;
}

interface Real {
  f: F;
}

/** A money event: [name, claim id ("" for a repayment), amount]. */
type Effect = readonly [string, string, bigint];
type Refusal = { on: BaseContract; error: string; args: unknown[] };

const benefits = new Map<string, ModelBenefit>([
  [CODE.VISIT, { fee: 1_000n * USD, copay: 10n * USD, coinsuranceBps: 2000n }],
  [CODE.REVIEW, { fee: 1_000n * USD, copay: 10n * USD, coinsuranceBps: 2000n }],
]);
const MONEY_EVENTS = new Set(["OverpaymentRecorded", "OverpaymentRecovered", "ClaimPaid", "PaymentQueued", "PaymentParked", "OverpaymentRepaid"]);
const min = (a: bigint, b: bigint) => (a < b ? a : b);
const isLive = (s: ClaimStatus) => s !== ClaimStatus.Replaced && s !== ClaimStatus.Voided && s !== ClaimStatus.Appealed;
const yearOf = (m: Model, date: number) => Math.floor((date - m.rules.plan.start) / (365 * DAY));

function cloneModel(m: Model): Model {
  const rules = new ClaimsModel(m.rules.plan);
  for (const [k, a] of m.rules.accumulators) rules.accumulators.set(k, { ...a });
  const claims = new Map([...m.claims].map(([id, c]) => [id, { ...c, applied: { ...c.applied } }]));
  return { ...m, rules, queue: m.queue.map((q) => ({ ...q })), claims };
}

function parse(f: F, logs: readonly Log[]): LogDescription[] {
  const engine = (f.claims.target as string).toLowerCase();
  return logs.filter((l) => l.address.toLowerCase() === engine).flatMap((l) => {
    const e = f.claims.interface.parseLog(l);
    return e ? [e] : [];
  });
}

function effectsOf(f: F, logs: readonly Log[]): Effect[] {
  return parse(f, logs)
    .filter((e) => MONEY_EVENTS.has(e.name))
    .map((e) => [e.name, e.name === "OverpaymentRepaid" ? "" : (e.args.claimId as string), e.args.amount as bigint] as const);
}

/** The ghost books, from a receipt's events (with each event's plan, provider and payee checked). */
function bookEvents(g: Ghost, f: F, logs: readonly Log[]): void {
  for (const e of parse(f, logs)) {
    if (!["PlanFunded", "FundsWithdrawn", "ParkedPaymentReleased", ...MONEY_EVENTS].includes(e.name)) continue;
    expect(e.args.planId, `${e.name} names the plan`).to.equal(PLAN);
    if (e.args.providerOrg !== undefined) expect(e.args.providerOrg, `${e.name} names the hospital`).to.equal(HOSPITAL);
    if (e.name === "ClaimPaid" || e.name === "PaymentParked" || e.name === "ParkedPaymentReleased") expect(e.args.payee).to.equal(f.payee.address);
    bookEvent(g, e, g.gross, g.owedBy);
  }
}

/** What the engine must do with a claim's plan share `total` against the chain's `credit`, after releasing `release` of pended exposure. */
function settle(m: Model, id: string, total: bigint, credit: bigint, release: bigint): Effect[] {
  const fx: Effect[] = [];
  m.reserved -= release;
  let amount = 0n;
  if (total < credit) {
    m.owed += credit - total;
    fx.push(["OverpaymentRecorded", id, credit - total]);
  } else amount = total - credit;
  if (amount > 0n && m.owed > 0n) {
    const offset = min(m.owed, amount);
    m.owed -= offset;
    amount -= offset;
    fx.push(["OverpaymentRecovered", id, offset]);
  }
  if (amount === 0n) return fx;
  // Paid at once only when nothing waits and the UNRESERVED escrow covers it; else queued in full.
  if (m.queue.length === 0 && m.balance >= m.reserved + amount) {
    m.balance -= amount;
    fx.push(["ClaimPaid", id, amount]);
  } else {
    m.queue.push({ id, amount });
    m.reserved += amount;
    fx.push(["PaymentQueued", id, amount]);
  }
  return fx;
}

/** Pays the queue in order while escrow covers the head net of what the provider owes, up to `max`. */
function drain(m: Model, max: number): Effect[] {
  const fx: Effect[] = [];
  for (let n = 0; n < max && m.queue.length > 0; n++) {
    const q = m.queue[0];
    const offset = min(m.owed, q.amount);
    const due = q.amount - offset;
    if (m.balance < due) break;
    m.queue.shift();
    m.balance -= due;
    m.reserved -= q.amount;
    if (offset > 0n) {
      m.owed -= offset;
      fx.push(["OverpaymentRecovered", q.id, offset]);
    }
    if (due === 0n) continue;
    if (m.blocked) m.parked += due;
    fx.push([m.blocked ? "PaymentParked" : "ClaimPaid", q.id, due]);
  }
  return fx;
}

/** Retires a claim its provider corrects or voids; returns what the chain had committed (a pended claim: the credit it carried). */
function retire(m: Model, id: string, as: ClaimStatus): bigint {
  const c = m.claims.get(id)!;
  let committed: bigint;
  if (c.status === ClaimStatus.Pended) {
    m.reserved -= c.planPaid;
    committed = c.credit;
  } else {
    committed = c.planPaid;
    const a = m.rules.acc(c.s.member, yearOf(m, c.s.serviceDate));
    a.deductibleMet -= c.applied.deductible;
    a.outOfPocketMet -= c.applied.memberShare;
    a.benefitPaid -= c.planPaid;
  }
  c.status = as;
  return committed;
}

/**
 * Adjudicates a new claim by the rules and settles it (or pends it); returns its money effects. A
 * claim pends for its reviewed code, or (`reviewed`) when it corrects a claim an adjuster decided
 * or was to decide.
 */
function adjudicate(m: Model, id: string, s: ClaimSubmission, credit: bigint, root: string, reviewed = false): Effect[] {
  if (reviewed || s.lines[0].code === CODE.REVIEW) {
    const exposure = m.rules.adjudicate(s.member, s.serviceDate, s.lines, false).planTotal;
    m.claims.set(id, { s, status: ClaimStatus.Pended, planPaid: exposure, credit, applied: { deductible: 0n, memberShare: 0n }, root });
    m.reserved += exposure;
    return [];
  }
  const out = m.rules.adjudicate(s.member, s.serviceDate, s.lines);
  const allowed = out.outcomes.reduce((t, o) => t + o.allowed, 0n);
  const status = !out.outcomes.some((o) => o.reason !== 0) ? ClaimStatus.Approved : allowed === 0n ? ClaimStatus.Denied : ClaimStatus.Partial;
  const deductible = out.outcomes.reduce((t, o) => t + o.deductible, 0n);
  m.claims.set(id, { s, status, planPaid: out.planTotal, credit, applied: { deductible, memberShare: out.memberTotal }, root });
  return settle(m, id, out.planTotal, credit, 0n);
}

/**
 * A service is billed once: the id of the claim a submission makes, or the duplicate it is. A first
 * submission's id is its service key, refused when any claim ever had that key; a correction of
 * `replaces` takes a key no claim ever had, or resubmits the very service of the claim it replaces
 * under an id of its own (keccak256(key, replaces)); any other key is a duplicate.
 */
function idOf(m: Model, s: ClaimSubmission, replaces?: string): { id: string } | { duplicate: string } {
  const key = serviceKeyOf(s);
  if (!m.claims.has(key)) return { id: key };
  if (replaces !== undefined && key === serviceKeyOf(m.claims.get(replaces)!.s)) return { id: claimIdOf(s, replaces) };
  return { duplicate: key };
}

/**
 * Runs one transaction against a copy of the model that `predict` advances: a predicted refusal
 * must revert with exactly that error (the model is left as it was); otherwise the receipt's money
 * events must be the predicted ones, in order, and the copy becomes the model. A payment due at
 * once to a blocked payee reverts the whole step (the token refuses it).
 */
async function transact(m: Model, f: F, predict: (next: Model) => Effect[] | Refusal, send: () => Promise<ContractTransactionResponse>): Promise<LogDescription[] | undefined> {
  const next = cloneModel(m);
  let p = predict(next);
  if (Array.isArray(p) && next.blocked && p.some(([name]) => name === "ClaimPaid")) p = { on: f.blockToken, error: "Blocked", args: [f.payee.address] };
  if (!Array.isArray(p)) {
    const { on, error, args } = p as Refusal;
    tally(`${stepName}: ${error}`);
    const refused = expect(send()).to.be.revertedWithCustomError(on, error);
    await (args.length > 0 ? refused.withArgs(...args) : refused);
    await checkInvariants(m, f);
    return undefined;
  }
  const rc = await (await send()).wait();
  expect(effectsOf(f, rc!.logs), "the step's money events are the model's").to.deep.equal(p);
  tally(`${stepName}: ok`);
  for (const [name] of p) tally(`event ${name}`);
  Object.assign(m, next);
  bookEvents(m.ghost, f, rc!.logs);
  await checkInvariants(m, f);
  return parse(f, rc!.logs);
}

async function checkInvariants(m: Model, f: F) {
  const g = m.ghost;
  const funds = await f.claims.funds(PLAN);
  const engine = await f.claims.getAddress();
  // 1. Conservation with recoupment, from the events alone.
  expect(funds.balance, "deposits - payments + recoveries - withdrawals = balance").to.equal(g.deposits - g.payments + g.recoveries - g.withdrawals);
  expect(await f.claims.parked(PLAN, HOSPITAL), "parked as the events say").to.equal(g.parked);
  expect(await f.blockToken.balanceOf(engine), "the engine holds the plan's balance plus what is parked").to.equal(funds.balance + g.parked);
  // Plan 1 of the fixture holds its own 100,000 in another token, untouched.
  expect(await f.token.balanceOf(engine), "plan 1's token: its balance, nothing parked").to.equal((await f.claims.funds(1)).balance + (await f.claims.parked(1, HOSPITAL)));
  expect(await f.blockToken.balanceOf(f.payee.address), "the payee received what was delivered").to.equal(g.delivered);
  const owed = await f.claims.owedBack(PLAN, HOSPITAL);
  expect(g.recoveries, "recoveries = offsets + repayments").to.equal(g.offsets + g.repaid);
  expect(owed, "owed back = booked - offset - repaid").to.equal(g.recorded - g.offsets - g.repaid);
  // 2. The model's escrow.
  expect(funds.balance, "balance as the model's").to.equal(m.balance);
  expect(funds.reserved, "reserved = queued + pended exposure").to.equal(m.reserved);
  expect(funds.queueTail - funds.queueHead, "queue length").to.equal(BigInt(m.queue.length));
  expect(owed, "owed back as the model's").to.equal(m.owed);
  expect(g.parked).to.equal(m.parked);
  // 3-5. Claims, chains, accumulators.
  const chains = new Map<string, string[]>();
  for (const [id, c] of m.claims) {
    const on = await claimState(f.claims, id);
    const status = Number(on.status) as ClaimStatus;
    expect(status, `claim ${id} moves only forward`).to.be.gte(m.seen.get(id) ?? ClaimStatus.None);
    m.seen.set(id, status);
    expect(status, `claim ${id}: status as the model's`).to.equal(c.status);
    expect(on.planPaid, `claim ${id}: planPaid as the model's`).to.equal(c.planPaid);
    chains.set(c.root, [...(chains.get(c.root) ?? []), id]);
  }
  for (const [root, ids] of chains) {
    const live = ids.filter((id) => m.claims.get(id)!.status !== ClaimStatus.Replaced);
    expect(live.length, `chain ${root} has one live claim`).to.equal(1);
    const c = m.claims.get(live[0])!;
    const committed = c.status === ClaimStatus.Pended ? c.credit : c.planPaid;
    const settled = ids.reduce((t, id) => t + (g.gross.get(id) ?? 0n) - (g.owedBy.get(id) ?? 0n), 0n);
    const queued = m.queue.filter((q) => ids.includes(q.id)).reduce((t, q) => t + q.amount, 0n);
    expect(settled + queued, `chain ${root}: settled + queued - owed back = what its live claim commits (paid once)`).to.equal(committed);
  }
  for (const member of [f.patient.address, f.member2.address]) {
    const a = await f.claims.accumulators(PLAN, member, 0);
    expect(a.outOfPocketMet <= 400n * USD, "cost sharing within the OOP max").to.equal(true);
    const expected = m.rules.acc(member, 0);
    expect([a.deductibleMet, a.outOfPocketMet, a.benefitPaid], "accumulators as the model's").to.deep.equal([expected.deductibleMet, expected.outOfPocketMet, expected.benefitPaid]);
  }
}

// ------------------------------------------------------------------ commands

type Cmd = fc.AsyncCommand<Model, Real>;
const cmd = (name: string, run: (m: Model, f: F) => Promise<unknown>, check: (m: Readonly<Model>) => boolean = () => true): Cmd => ({
  check,
  run: async (m, r) => {
    stepName = name.replace(/\(.*$/, "");
    await run(m, r.f);
  },
  toString: () => name,
});
const show = (x: object) => JSON.stringify(x);
const pick = <T>(xs: readonly T[], k: number): T => xs[k % xs.length];
const live = (m: Readonly<Model>) => [...m.claims.entries()].filter(([, c]) => isLive(c.status));
/** Pended claims an adjuster can price from the model's rules (not a code without a fee, which an adjuster prices at will). */
const pended = (m: Readonly<Model>) => [...m.claims.entries()].filter(([, c]) => c.status === ClaimStatus.Pended && c.s.lines[0].code !== CODE.UNKNOWN);
const CODES = [CODE.VISIT, CODE.REVIEW, CODE.UNKNOWN];
const usd = (n: number) => BigInt(n) * USD;

/** Everything a refused step must leave as it was. */
async function snapshot(f: F, id: string) {
  const c = await f.claims.claim(id);
  const funds = await f.claims.funds(PLAN);
  const acc = await Promise.all([f.patient.address, f.member2.address].map((a) => f.claims.accumulators(PLAN, a, 0)));
  return JSON.stringify(
    [[...c], [...funds], acc.map((a) => [...a]), await f.claims.owedBack(PLAN, HOSPITAL), await f.blockToken.balanceOf(f.payee.address)],
    (_, v) => (typeof v === "bigint" ? v.toString() : v),
  );
}

const submitArb = fc
  .record({ member: fc.nat(1), review: fc.boolean(), units: fc.integer({ min: 1, max: 3 }), charged: fc.integer({ min: 1, max: 1_500 }), daysAgo: fc.nat(30) })
  .map((x) =>
    cmd(`submit(${show(x)})`, async (m, f) => {
      const s = await f.submission({
        planId: PLAN,
        member: x.member === 0 ? f.patient.address : f.member2.address,
        serviceDate: f.today - x.daysAgo * DAY,
        lines: [f.line(x.review ? CODE.REVIEW : CODE.VISIT, usd(x.charged), x.units)],
      });
      await transact(
        m,
        f,
        (next) => {
          const n = idOf(next, s);
          return "duplicate" in n ? { on: f.claims, error: "DuplicateClaim", args: [n.duplicate] } : adjudicate(next, n.id, s, 0n, n.id);
        },
        () => f.claims.connect(f.doctor).submit(sub(s)),
      );
    }),
  );

/** A service billed before (by any claim, live or retired) billed again as a first submission, on the same or fresh evidence: refused, naming the service's key. */
const submitAgainArb = fc.record({ k: fc.nat(), fresh: fc.boolean() }).map((x) =>
  cmd(
    `submitAgain(${show(x)})`,
    async (m, f) => {
      const [, c] = pick([...m.claims.entries()], x.k);
      const s = { ...c.s, evidence: x.fresh ? await f.anchored() : c.s.evidence };
      await transact(m, f, () => ({ on: f.claims, error: "DuplicateClaim", args: [serviceKeyOf(s)] }), () => f.claims.connect(f.doctor).submit(sub(s)));
    },
    (m) => m.claims.size > 0,
  ),
);

const fundArb = fc.integer({ min: 1, max: 2_000 }).map((n) =>
  cmd(`fund(${n})`, (m, f) =>
    transact(
      m,
      f,
      (next) => {
        next.balance += usd(n);
        return drain(next, 8);
      },
      () => f.claims.connect(f.insurerAdmin).fund(PLAN, usd(n)),
    ),
  ),
);

const withdrawArb = fc.integer({ min: 1, max: 1_000 }).map((n) =>
  cmd(`withdraw(${n})`, (m, f) =>
    transact(
      m,
      f,
      (next) => {
        const available = next.balance > next.reserved ? next.balance - next.reserved : 0n;
        if (usd(n) > available) return { on: f.claims, error: "InsufficientUnreservedFunds", args: [PLAN, usd(n), available] };
        next.balance -= usd(n);
        return [];
      },
      () => f.claims.connect(f.insurerAdmin).withdraw(PLAN, usd(n), f.insurerAdmin.address),
    ),
  ),
);

/** An adjuster approves a pended claim at its ceiling, allows half (CARC 50), or denies it: cost-shared now, against the accumulators as they stand. */
const decideArb = fc.record({ k: fc.nat(), mode: fc.constantFrom("approve", "partial", "deny") }).map((x) =>
  cmd(
    `decide(${show(x)})`,
    async (m, f) => {
      const [id, c] = pick(pended(m), x.k);
      const record = await f.sdk.claims.record(id);
      expect(record.credit, "the record carries the chain's credit").to.equal(c.credit);
      const ceiling = record.allowed[0];
      const d = x.mode === "approve" ? { allowed: ceiling, reason: 0 } : x.mode === "partial" ? { allowed: ceiling / 2n, reason: 50 } : { allowed: 0n, reason: 50 };
      await transact(
        m,
        f,
        (next) => {
          const cl = next.claims.get(id)!;
          const exposure = cl.planPaid;
          const out = next.rules.adjudicate(cl.s.member, cl.s.serviceDate, [{ ...cl.s.lines[0], charged: d.allowed }]);
          cl.status = x.mode === "approve" ? ClaimStatus.Approved : x.mode === "partial" ? ClaimStatus.Partial : ClaimStatus.Denied;
          cl.adjusted = true;
          cl.planPaid = out.planTotal;
          cl.applied = { deductible: out.outcomes[0].deductible, memberShare: out.memberTotal };
          return settle(next, id, out.planTotal, cl.credit, exposure);
        },
        () => f.claims.connect(f.adjuster).decide(id, rec(record), [d]),
      );
    },
    (m) => pended(m).length > 0,
  ),
);

const payQueuedArb = fc.integer({ min: 1, max: 4 }).map((n) => cmd(`payQueued(${n})`, (m, f) => transact(m, f, (next) => drain(next, n), () => f.claims.connect(f.outsider).payQueued(PLAN, n))));

const blockArb = fc.boolean().map((b) =>
  cmd(b ? "block(payee)" : "unblock(payee)", async (m, f) => {
    await f.blockToken.setBlocked(f.payee.address, b);
    m.blocked = b;
    await checkInvariants(m, f);
  }),
);

/** Releases what is parked; `unblockFirst`: the payee is cleared first (as a provider re-pointing its payee would). */
const releaseArb = fc.boolean().map((unblockFirst) =>
  cmd(`releaseParked(${unblockFirst ? "after unblocking" : "as is"})`, async (m, f) => {
    if (unblockFirst && m.blocked) {
      await f.blockToken.setBlocked(f.payee.address, false);
      m.blocked = false;
    }
    const amount = m.parked;
    const events = await transact(
      m,
      f,
      (next) => {
        if (next.parked === 0n) return { on: f.claims, error: "NothingParked", args: [PLAN, HOSPITAL] };
        if (next.blocked) return { on: f.blockToken, error: "Blocked", args: [f.payee.address] };
        next.parked = 0n;
        return [];
      },
      () => f.claims.connect(f.outsider).releaseParked(PLAN, HOSPITAL),
    );
    if (events) expect(events.find((e) => e.name === "ParkedPaymentReleased")!.args.amount, "all that was parked is released").to.equal(amount);
  }),
);

/**
 * The provider (its doctor or its admin) corrects a live claim, on its evidence: other units and
 * charges (up, or down to a plan share of nothing), the reviewed code (pends), a code the plan
 * does not cover (denied), the same lines (a resubmission: an id of its own), or the lines of its
 * chain's first claim (a service billed before: refused unless that is the claim it replaces).
 */
const correctArb = fc
  .record({
    k: fc.nat(),
    by: fc.nat(1),
    code: fc.constantFrom(0, 0, 1, 2, 3, 4),
    units: fc.integer({ min: 1, max: 3 }),
    charged: fc.oneof(fc.integer({ min: 1, max: 150 }), fc.integer({ min: 400, max: 1_500 })),
  })
  .map((x) =>
    cmd(
      `correct(${show(x)})`,
      async (m, f) => {
        const [id, c] = pick(live(m), x.k);
        const by = [f.doctor, f.hospitalAdmin][x.by];
        const lines = x.code === 3 ? c.s.lines : x.code === 4 ? m.claims.get(c.root)!.s.lines : [f.line(CODES[x.code], usd(x.charged), x.units)];
        const s = { ...c.s, lines };
        const record = await f.sdk.claims.record(id);
        let credit = 0n;
        let newId = "";
        const events = await transact(
          m,
          f,
          (next) => {
            const n = idOf(next, s, id);
            if ("duplicate" in n) return { on: f.claims, error: "DuplicateClaim", args: [n.duplicate] };
            newId = n.id;
            const original = next.claims.get(id)!;
            const reviewed = original.status === ClaimStatus.Pended || original.adjusted === true;
            credit = retire(next, id, ClaimStatus.Replaced);
            return adjudicate(next, newId, s, credit, c.root, reviewed);
          },
          () => f.claims.connect(by).submitCorrection(sub(s), id, rec(record)),
        );
        if (events) expect(events.find((e) => e.name === "ClaimCorrected")!.args.toArray(), "ClaimCorrected(new, replaced, credit)").to.deep.equal([newId, id, credit]);
      },
      (m) => live(m).length > 0,
    ),
  );

/** The provider voids a live claim billed in error: what the chain committed is owed back. */
const voidArb = fc.record({ k: fc.nat(), by: fc.nat(1) }).map((x) =>
  cmd(
    `void(${show(x)})`,
    async (m, f) => {
      const [id] = pick(live(m), x.k);
      const by = [f.doctor, f.hospitalAdmin][x.by];
      const record = await f.sdk.claims.record(id);
      let owed = 0n;
      const events = await transact(
        m,
        f,
        (next) => {
          owed = retire(next, id, ClaimStatus.Voided);
          next.claims.get(id)!.planPaid = 0n;
          if (owed === 0n) return [];
          next.owed += owed;
          return [["OverpaymentRecorded", id, owed]];
        },
        () => f.claims.connect(by).voidClaim(id, rec(record)),
      );
      if (events) expect(events.find((e) => e.name === "ClaimVoided")!.args.toArray(), "ClaimVoided(id, by, owed)").to.deep.equal([id, by.address, owed]);
    },
    (m) => live(m).length > 0,
  ),
);

/** Anyone repays part of what the provider owes (k = 1..4 quarters, at least 1 unit; only while it owes something), more than it owes (k = 0), or nothing (k = 5). */
const repayArb = fc.nat(5).map((k) =>
  cmd(
    `repay(${k === 0 ? "more than owed" : k === 5 ? "nothing" : `${k}/4 of owed`})`,
    async (m, f) => {
      const quarter = (m.owed * BigInt(k)) / 4n;
      const amount = k === 0 ? m.owed + 1n : k === 5 ? 0n : quarter > 0n ? quarter : 1n;
      await transact(
        m,
        f,
        (next) => {
          if (amount === 0n) return { on: f.claims, error: "ZeroAmount", args: [] };
          if (amount > next.owed) return { on: f.claims, error: "RepaymentExceedsOwed", args: [PLAN, HOSPITAL, amount, next.owed] };
          next.owed -= amount;
          next.balance += amount;
          return [["OverpaymentRepaid", "", amount], ...drain(next, 8)];
        },
        () => f.claims.connect(f.outsider).repay(PLAN, HOSPITAL, amount),
      );
    },
    (m) => m.owed > 0n || k === 0 || k === 5,
  ),
);

/** Insurer staff (an adjuster, the insurer's admin) and another billing organization (the lab) may neither correct nor void the hospital's claim: nothing changes. */
const notProviderArb = fc.record({ k: fc.nat(), who: fc.nat(2), action: fc.constantFrom("correct", "void") }).map((x) =>
  cmd(
    `notProvider(${show(x)})`,
    async (m, f) => {
      const [id, c] = pick(live(m), x.k);
      const by = [f.adjuster, f.insurerAdmin, f.labAdmin][x.who];
      const record = await f.sdk.claims.record(id);
      const s = { ...c.s, lines: [f.line(CODE.VISIT, c.s.lines[0].charged + USD, c.s.lines[0].units)] };
      const before = await snapshot(f, id);
      await transact(
        m,
        f,
        () => ({ on: f.claims, error: "NotClaimProvider", args: [by.address, id] }),
        () => (x.action === "correct" ? f.claims.connect(by).submitCorrection(sub(s), id, rec(record)) : f.claims.connect(by).voidClaim(id, rec(record))),
      );
      expect(await snapshot(f, id), "a refused correction or void changed nothing").to.equal(before);
    },
    (m) => live(m).length > 0,
  ),
);

// Submissions, deposits and corrections are listed more than once: they fill and drain the queue and build chains.
const commands = fc.commands(
  [submitArb, submitArb, submitArb, submitAgainArb, fundArb, fundArb, withdrawArb, decideArb, decideArb, payQueuedArb, blockArb, releaseArb, correctArb, correctArb, correctArb, voidArb, repayArb, repayArb, notProviderArb],
  { maxCommands: MAX_COMMANDS, size: "max" },
);

describe("[property] ClaimsEngine invariants (stateful property test)", function () {
  it(`conserves money with recoupment, pays no service twice through any chain of corrections, keeps cost sharing as the model's, and moves claims only forward (seed ${SEED}, ${RUNS} runs)`, async function () {
    this.timeout(600_000);
    await fc.assert(
      // Half the runs start with the payee blocked, so that queued payments get parked and released.
      fc.asyncProperty(fc.boolean(), commands, async (startBlocked, cmds) => {
        const f = await loadFixture(propertyFixture);
        await f.blockToken.setBlocked(f.payee.address, startBlocked);
        const model: Model = {
          rules: new ClaimsModel({ start: f.start, deductible: 100n * USD, outOfPocketMax: 400n * USD, annualCap: 0n, benefits }),
          blocked: startBlocked,
          balance: 0n,
          reserved: 0n,
          queue: [],
          owed: 0n,
          parked: 0n,
          claims: new Map(),
          seen: new Map(),
          ghost: { ...openBooks(), gross: new Map(), owedBy: new Map() },
        };
        await fc.asyncModelRun(() => ({ model, real: { f } }), cmds);
      }),
      { seed: SEED, numRuns: RUNS, verbose: 1 },
    );
    if (STATS) console.log(Object.fromEntries([...STATS].sort()));
  });
});
