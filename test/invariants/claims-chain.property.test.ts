/**
 * Property of one service's chain of claims (fast-check, fixed seed): for ANY random chain on ONE
 * service of one provider under one well-funded plan — a first submission, then corrections up or
 * down (other codes, units and charges, a reviewed code that pends, a code without a benefit, an
 * MRI on a prior authorization, a plan share of 0), resubmissions of the same lines, attempts to go
 * back to lines an earlier link billed (refused: a service is billed once), voids, adjuster
 * decisions on pended claims (approve, partial, deny), and appeals with their resolution
 * (overturn, raise, uphold) — after every step:
 *   1. (cash the provider's payee received for the chain) - (what the provider currently owes the
 *      plan back) = what the live claim commits: its `planPaid` (its credit while pended; 0 once
 *      voided). In the terms of the ledger: the gross payments settled for the chain (cash plus
 *      offsets against what the provider owed) - the offsets - owedBack = planPaid. (The offsets
 *      are not subtracted from the cash itself: an offset is a payment the provider never received
 *      in cash, made by reducing its debt — subtracting it from the cash too would count it twice.)
 *   2. the events agree: gross settled - booked as owed back = planPaid; owedBack = booked - offset;
 *   3. no single step transfers to the payee more than the live claim's plan share;
 *   4. the escrow lost exactly the cash (offsets never leave it), nothing is queued, only a pended
 *      claim's exposure is reserved, and the engine holds exactly the plan's balance;
 *   5. the member's accumulators hold exactly the live claim's cost sharing (nothing while pended
 *      or after a void), and the prior authorization lacks exactly what the live claim holds of it:
 *      every retired claim gave back all it applied and all it used.
 * At the end the provider repays what it still owes, and its net cash is exactly the final claim's
 * `planPaid`. The reviewer's scenario — a $1,000 visit paid, corrected to a claim paying nothing and
 * back with another unit count, five times — is a fixed example of the same checks.
 *
 * The seed is fixed (CHAIN_SEED to change it, CHAIN_RUNS for more runs); on failure fast-check
 * prints it with the shrunk chain.
 */
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import fc from "fast-check";
import type { ContractTransactionReceipt, TransactionReceipt } from "ethers";
import { claimIdOf, ClaimStatus, lineCeiling, recordHashOf, serviceKeyOf, type BenefitRule, type ClaimLine, type ClaimSubmission } from "../../sdk";
import { claimsFixture, CODE, DAY, HOSPITAL, rec, sub, USD } from "../claims/fixtures";
import { claimState } from "../support/suiteFixture";

const SEED = Number(process.env.CHAIN_SEED ?? 20261122);
const RUNS = Number(process.env.CHAIN_RUNS ?? 70);
const MAX_STEPS = 12;
/** CHAIN_STATS=1 prints how often each kind of step ran and what money moved (to see what a seed exercises). */
const STATS: Map<string, number> | undefined = process.env.CHAIN_STATS ? new Map() : undefined;
const tally = (k: string) => STATS?.set(k, (STATS.get(k) ?? 0) + 1);
/** What the fixture deposited in its plan: $100,000, far more than any chain can cost. */
const ESCROW = 100_000n * USD;
/** The codes a chain uses: a $5,000-fee visit, a $100 x-ray with a $25 copay, a reviewed code (pends), a code without a benefit (denied, CARC 96), and a $2,000 MRI that needs the prior authorization every claim of the chain names. */
const CODES = [CODE.VISIT, CODE.XRAY, CODE.REVIEW, CODE.UNKNOWN, CODE.MRI];
/** The chain's prior authorization for MRIs: $2,500, so that two MRI lines exhaust it (CARC 197). */
const AUTH_MAX = 2_500n * USD;

async function chainFixture() {
  const f = await claimsFixture();
  const now = await time.latest();
  const issued = await (await f.claims.connect(f.insurerAdmin).authorize(f.planId, f.patient.address, CODE.MRI, AUTH_MAX, now - 30 * DAY, now + 30 * DAY)).wait();
  const authId = f.claims.interface.parseLog(issued!.logs[0])!.args.authId as bigint;
  const benefits = new Map<string, Required<BenefitRule>>();
  for (const code of CODES) benefits.set(code, await f.sdk.claims.benefit(f.planId, code));
  // The SDK's claims clients: the doctor's (corrections, voids) and the provider's payee account (repayment).
  const doctorClaims = await f.sdkAs(f.doctor);
  const payeeClaims = await f.sdkAs(f.payee);
  return { ...f, benefits, doctorClaims, payeeClaims, authId };
}

type F = Awaited<ReturnType<typeof chainFixture>>;

type LineSpec = { code: number; units: number; cents: number };
type Step =
  | { kind: "correct"; lines: LineSpec[] }
  | { kind: "resubmit" } // the same lines again: a correction of the very service it replaces
  | { kind: "revisit"; k: number } // the lines of an earlier link of the chain: billed before, refused
  | { kind: "void" }
  | { kind: "decide"; mode: "approve" | "partial" | "deny" }
  | { kind: "appeal"; byMember: boolean; mode: "overturn" | "raise" | "uphold" };

/** The chain as the test follows it: the live claim, and the ghost books from its receipts' events. */
interface Chain {
  f: F;
  s: ClaimSubmission; // the live claim's submission
  live: string;
  billed: { key: string; lines: readonly ClaimLine[] }[]; // every service the chain billed, first to last
  gross: bigint; // ClaimPaid + OverpaymentRecovered for the chain's claims
  offsets: bigint; // OverpaymentRecovered
  recorded: bigint; // OverpaymentRecorded
  trail: string[]; // the steps so far, for the failure messages
}

const lineOf = (l: LineSpec): ClaimLine => ({ code: CODES[l.code], units: l.units, charged: BigInt(l.cents) * (USD / 100n) });
const isRetirable = (s: ClaimStatus) => s !== ClaimStatus.Appealed && s !== ClaimStatus.Replaced && s !== ClaimStatus.Voided;

async function statusOf(c: Chain): Promise<ClaimStatus> {
  return Number((await c.f.claims.claim(c.live)).status) as ClaimStatus;
}

/**
 * Books a step's receipt (all its claims events must be about the chain's live claim or the one it
 * replaced; nothing may be queued or parked) and checks every invariant.
 */
async function after(c: Chain, what: string, receipt: ContractTransactionReceipt | TransactionReceipt | null | undefined, cashBefore: bigint): Promise<void> {
  const { f } = c;
  c.trail.push(what);
  tally(what.replace(/\(.*$/, "") + (what.startsWith("decide") || what.startsWith("resolve") ? what.slice(what.indexOf("(")) : ""));
  const at = `after ${c.trail.join(" → ")}`;
  for (const log of receipt?.logs ?? []) {
    if (log.address.toLowerCase() !== (f.claims.target as string).toLowerCase()) continue;
    const e = f.claims.interface.parseLog(log);
    if (!e) continue;
    expect(["PaymentQueued", "PaymentParked"], `${at}: a well-funded plan pays at once`).to.not.include(e.name);
    const amount = e.args.amount as bigint;
    if (e.args.amount !== undefined) tally(`event ${e.name}`);
    if (e.name === "ClaimPaid") c.gross += amount;
    if (e.name === "OverpaymentRecovered") {
      c.gross += amount;
      c.offsets += amount;
    }
    if (e.name === "OverpaymentRecorded") c.recorded += amount;
    if (["ClaimPaid", "OverpaymentRecovered", "OverpaymentRecorded"].includes(e.name)) expect(e.args.claimId, `${at}: ${e.name} names the live claim`).to.equal(c.live);
  }
  const on = await claimState(f.claims, c.live);
  const status = Number(on.status) as ClaimStatus;
  // (Not the record of a voided claim: the SDK cannot rebuild it when the claim used the authorization, see the known defect below.)
  const record = status === ClaimStatus.Voided ? undefined : await f.sdk.claims.record(c.live);
  const committed = status === ClaimStatus.Pended ? record!.credit : on.planPaid;
  if (status === ClaimStatus.Voided) expect(on.planPaid, `${at}: a voided claim commits nothing`).to.equal(0n);
  const owed = await f.claims.owedBack(f.planId, HOSPITAL);
  const cash = await f.token.balanceOf(f.payee.address);
  // 1. The provider's position: cash received less what it owes back is what the live claim commits.
  expect(cash - owed, `${at}: cash - owedBack = planPaid`).to.equal(committed);
  expect(c.gross - c.offsets - owed, `${at}: gross settled - offsets - owedBack = planPaid`).to.equal(committed);
  // 2. The events agree with the state.
  expect(c.gross - c.recorded, `${at}: gross settled - booked as owed back = planPaid`).to.equal(committed);
  expect(owed, `${at}: owedBack = booked - offset`).to.equal(c.recorded - c.offsets);
  expect(cash, `${at}: the cash is what ClaimPaid says`).to.equal(c.gross - c.offsets);
  // 3. No step pays more than the live claim's plan share (nothing while it is pended or voided).
  const share = status === ClaimStatus.Pended || status === ClaimStatus.Voided ? 0n : on.planPaid;
  expect(cash - cashBefore <= share, `${at}: this step paid ${cash - cashBefore}, more than the plan share ${share}`).to.equal(true);
  // 4. The escrow: only cash leaves it; nothing queued; a pended claim's exposure reserved.
  const funds = await f.claims.funds(f.planId);
  expect(funds.balance, `${at}: the escrow lost exactly the cash`).to.equal(ESCROW - cash);
  expect(funds.queueTail - funds.queueHead, `${at}: nothing queued`).to.equal(0n);
  expect(funds.reserved, `${at}: only a pended claim's exposure is reserved`).to.equal(status === ClaimStatus.Pended ? on.planPaid : 0n);
  expect(await f.token.balanceOf(await f.claims.getAddress()), `${at}: the engine holds the plan's balance`).to.equal(funds.balance);
  // 5. The member's accumulators hold exactly the live claim's cost sharing, and the authorization what the live claim holds of it.
  const applies = status !== ClaimStatus.Pended && status !== ClaimStatus.Voided;
  const auth = await f.claims.authorization(f.authId);
  expect(auth.remaining, `${at}: the authorization lacks exactly what the live claim holds`).to.equal(AUTH_MAX - (record?.authUsed ?? 0n));
  const acc = await f.claims.accumulators(f.planId, f.patient.address, await f.claims.planYearOf(f.planId, c.s.serviceDate));
  expect([acc.deductibleMet, acc.outOfPocketMet, acc.benefitPaid], `${at}: accumulators = the live claim's cost sharing`).to.deep.equal(
    applies ? [record!.deductible, record!.memberShare, on.planPaid] : [0n, 0n, 0n],
  );
}

const cashOf = (c: Chain) => c.f.token.balanceOf(c.f.payee.address);

async function submitFirst(f: F, daysAgo: number, lines: ClaimLine[]): Promise<Chain> {
  const today = (await time.latest()) - ((await time.latest()) % DAY);
  const s = await f.submission({ serviceDate: today - daysAgo * DAY, authId: f.authId, lines });
  const c: Chain = { f, s, live: claimIdOf(s), billed: [{ key: serviceKeyOf(s), lines }], gross: 0n, offsets: 0n, recorded: 0n, trail: [] };
  const receipt = await (await f.claims.connect(f.doctor).submit(sub(s))).wait();
  await after(c, `submit(${show(lines)})`, receipt, 0n);
  return c;
}

/**
 * The provider corrects the live claim, on the same evidence, through the SDK (which rebuilds the
 * original's record and computes the new id). A service is billed once: lines the chain never
 * billed take their service key as the id, the live claim's own lines (a resubmission) an id of
 * their own; the lines of an earlier link are refused (DuplicateClaim) and nothing changes.
 */
async function correct(c: Chain, lines: readonly ClaimLine[], what = `correct(${show(lines)})`): Promise<void> {
  const { f } = c;
  const s: ClaimSubmission = { ...c.s, lines };
  const before = await cashOf(c);
  const replaces = c.live;
  const key = serviceKeyOf(s);
  const liveKey = serviceKeyOf(c.s);
  if (key !== liveKey && c.billed.some((b) => b.key === key)) {
    const record = rec(await f.sdk.claims.record(replaces));
    await expect(f.claims.connect(f.doctor).submitCorrection(sub(s), replaces, record)).to.be.revertedWithCustomError(f.claims, "DuplicateClaim").withArgs(key);
    return after(c, `${what}: refused, billed before`, undefined, before);
  }
  const result = await (await f.doctorClaims.submitCorrection({ replaces, submission: s })).wait();
  const expected = key === liveKey ? claimIdOf(s, replaces) : key;
  const corrected = result.receipt.logs.map((l) => f.claims.interface.parseLog(l)).find((e) => e?.name === "ClaimCorrected");
  expect([result.claimId, corrected?.args.claimId, corrected?.args.replaces], "the correction's id (the SDK's, the event's)").to.deep.equal([expected, expected, replaces]);
  c.live = result.claimId;
  c.s = s;
  c.billed.push({ key, lines });
  await after(c, what, result.receipt, before);
}

async function voidLive(c: Chain): Promise<void> {
  const before = await cashOf(c);
  const result = await (await c.f.doctorClaims.voidClaim({ claimId: c.live })).wait();
  await after(c, "void", result.receipt, before);
}

/** The adjuster's decision on each line: its ceiling (approve), half of it (partial, CARC 50), or nothing (deny, CARC 50). */
async function decide(c: Chain, mode: "approve" | "partial" | "deny"): Promise<void> {
  const { f } = c;
  const record = await f.sdk.claims.record(c.live);
  const decisions = record.lines.map((l) => {
    const ceiling = lineCeiling(l, f.benefits.get(l.code)!);
    return mode === "approve" ? { allowed: ceiling, reason: 0 } : { allowed: mode === "partial" ? ceiling / 2n : 0n, reason: 50 };
  });
  const before = await cashOf(c);
  const receipt = await (await f.claims.connect(f.adjuster).decide(c.live, rec(record), decisions)).wait();
  await after(c, `decide(${mode})`, receipt, before);
}

/** The member or the doctor appeals; an adjuster other than the one who decided resolves: every line to its ceiling, halfway there (CARC 50), or as it was. */
async function appealAndResolve(c: Chain, byMember: boolean, mode: "overturn" | "raise" | "uphold"): Promise<void> {
  const { f } = c;
  let before = await cashOf(c);
  const appealed = await (await f.claims.connect(byMember ? f.patient : f.doctor).appeal(c.live, rec(await f.sdk.claims.record(c.live)))).wait();
  await after(c, `appeal(${byMember ? "member" : "doctor"})`, appealed, before);
  const record = await f.sdk.claims.record(c.live);
  const decisions = record.lines.map((l, i) => {
    const ceiling = lineCeiling(l, f.benefits.get(l.code)!);
    const prior = record.allowed[i];
    const allowed = mode === "overturn" ? ceiling : mode === "raise" ? (prior + ceiling) / 2n : prior;
    return { allowed, reason: allowed < ceiling ? 50 : 0 };
  });
  const resolver = record.adjuster === f.adjuster.address ? f.adjuster2 : f.adjuster;
  before = await cashOf(c);
  const receipt = await (await f.claims.connect(resolver).resolveAppeal(c.live, rec(record), decisions)).wait();
  await after(c, `resolveAppeal(${mode})`, receipt, before);
}

/** Runs a step when the live claim allows it (a step that does not apply is skipped). Returns false once the chain has ended (voided). */
async function run(c: Chain, step: Step): Promise<boolean> {
  const status = await statusOf(c);
  if (status === ClaimStatus.Voided) return false;
  if (step.kind === "correct" && isRetirable(status)) await correct(c, step.lines.map(lineOf));
  else if (step.kind === "resubmit" && isRetirable(status)) await correct(c, c.s.lines, "resubmit");
  else if (step.kind === "revisit" && isRetirable(status) && c.billed.length > 1) await correct(c, c.billed[step.k % (c.billed.length - 1)].lines, `revisit(#${step.k % (c.billed.length - 1)})`);
  else if (step.kind === "void" && isRetirable(status)) await voidLive(c);
  else if (step.kind === "decide" && status === ClaimStatus.Pended) await decide(c, step.mode);
  else if (step.kind === "appeal" && (status === ClaimStatus.Partial || status === ClaimStatus.Denied)) await appealAndResolve(c, step.byMember, step.mode);
  return true;
}

/** The end of a chain: a pended claim is decided as the rules previewed, the provider repays what it owes, and its net cash is the final claim's planPaid. */
async function settleUp(c: Chain): Promise<void> {
  const { f } = c;
  if ((await statusOf(c)) === ClaimStatus.Pended) await decide(c, "approve");
  const owed = await f.claims.owedBack(f.planId, HOSPITAL);
  tally(owed > 0n ? "end: repaid" : "end: nothing owed");
  if (owed > 0n) {
    const before = await cashOf(c);
    const repaid = await (await f.payeeClaims.repay({ planId: f.planId, providerOrg: HOSPITAL, amount: owed })).wait();
    expect(repaid.amount).to.equal(owed);
    const event = repaid.receipt.logs.map((l) => f.claims.interface.parseLog(l)).find((e) => e?.name === "OverpaymentRepaid");
    expect(event?.args.toArray(), "OverpaymentRepaid(plan, provider, from, amount)").to.deep.equal([f.planId, HOSPITAL, f.payee.address, owed]);
    expect(before - (await cashOf(c)), "the provider paid back exactly what it owed").to.equal(owed);
  }
  const on = await claimState(f.claims, c.live);
  expect(await f.claims.owedBack(f.planId, HOSPITAL), "nothing is owed any more").to.equal(0n);
  expect(await cashOf(c), `net cash = the final claim's planPaid (${c.trail.join(" → ")})`).to.equal(on.planPaid);
  expect((await f.claims.funds(f.planId)).balance, "the escrow paid the service exactly once").to.equal(ESCROW - on.planPaid);
}

function show(lines: readonly ClaimLine[]): string {
  const names = new Map(CODES.map((code, i) => [code, ["visit", "xray", "review", "unknown", "mri"][i]]));
  return lines.map((l) => `${names.get(l.code)} ${l.units}u $${Number(l.charged) / Number(USD)}`).join(", ");
}

// ------------------------------------------------------------------ arbitraries

// Charges in cents: small ones (under the $500 deductible: a plan share of 0) and large ones.
const lineArb: fc.Arbitrary<LineSpec> = fc.record({
  code: fc.constantFrom(0, 0, 0, 1, 2, 3, 4),
  units: fc.integer({ min: 1, max: 3 }),
  cents: fc.oneof(fc.integer({ min: 0, max: 50_000 }), fc.integer({ min: 50_000, max: 300_000 })),
});
const linesArb = fc.array(lineArb, { minLength: 1, maxLength: 2 });
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: linesArb.map((lines) => ({ kind: "correct" as const, lines })) },
  { weight: 1, arbitrary: fc.constant({ kind: "resubmit" as const }) },
  { weight: 1, arbitrary: fc.nat().map((k) => ({ kind: "revisit" as const, k })) },
  { weight: 1, arbitrary: fc.constant({ kind: "void" as const }) }, // ends the chain
  { weight: 3, arbitrary: fc.constantFrom("approve" as const, "partial" as const, "deny" as const).map((mode) => ({ kind: "decide" as const, mode })) },
  { weight: 3, arbitrary: fc.record({ byMember: fc.boolean(), mode: fc.constantFrom("overturn" as const, "raise" as const, "uphold" as const) }).map((x) => ({ kind: "appeal" as const, ...x })) },
);

describe("[property] ClaimsEngine: one service's chain of claims (property)", function () {
  this.timeout(300_000);

  it(`pays the service once through any chain of corrections, voids, decisions and appeals: cash - owedBack = planPaid after every step, and after repaying, net cash = planPaid (seed ${SEED}, ${RUNS} runs of up to ${MAX_STEPS} steps)`, async function () {
    await fc.assert(
      fc.asyncProperty(fc.nat(10), linesArb, fc.array(stepArb, { minLength: 1, maxLength: MAX_STEPS, size: "max" }), async (daysAgo, first, steps) => {
        const f = await loadFixture(chainFixture);
        const c = await submitFirst(f, daysAgo, first.map(lineOf));
        for (const step of steps) if (!(await run(c, step))) break;
        await settleUp(c);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    if (STATS) console.log(Object.fromEntries([...STATS].sort()));
  });

  it("pays a $1,000 visit once when it is corrected to a claim paying nothing and back with another unit count, five times (the reviewer's scenario)", async function () {
    const f = await loadFixture(chainFixture);
    const visit = (units: number, dollars: bigint) => [f.line(CODE.VISIT, dollars * USD, units)];
    // Deductible 500, then 20% coinsurance on 500: the plan pays 400.
    const c = await submitFirst(f, 0, visit(1, 1_000n));
    expect((await claimState(f.claims, c.live)).planPaid).to.equal(400n * USD);
    for (let cycle = 0; cycle < 5; cycle++) {
      await correct(c, visit(10 + cycle, 500n)); // all deductible: the plan's share is 0, and the 400 is owed back (each link bills other lines: a service is billed once)
      expect((await claimState(f.claims, c.live)).planPaid).to.equal(0n);
      expect(await f.claims.owedBack(f.planId, HOSPITAL)).to.equal(400n * USD);
      await correct(c, visit(2 + cycle, 1_000n)); // 400 due again, all of it offset against what is owed
      expect((await claimState(f.claims, c.live)).planPaid).to.equal(400n * USD);
      expect(await f.claims.owedBack(f.planId, HOSPITAL)).to.equal(0n);
    }
    expect(c.offsets, "each way back up was recouped in full").to.equal(5n * 400n * USD);
    expect(await cashOf(c), "exactly one payment's worth").to.equal(400n * USD);
    await settleUp(c);
  });

  // Found while writing this property (fixed in the SDK): retiring a claim gives its authorization
  // back without rewriting its record hash, so the record of a voided claim still holds what it used.
  it("rebuilds the record of a voided claim that used a prior authorization (claims.record)", async function () {
    const f = await loadFixture(chainFixture);
    const s = await f.submission({ authId: f.authId, lines: [f.line(CODE.MRI, 1_500n * USD)] });
    await (await f.claims.connect(f.doctor).submit(sub(s))).wait();
    const id = claimIdOf(s);
    const record = await f.sdk.claims.record(id);
    expect(record.authUsed).to.equal(1_500n * USD);
    await (await f.doctorClaims.voidClaim({ claimId: id })).wait();
    expect(recordHashOf(record), "the hash on chain still commits the record as it was").to.equal((await f.claims.claim(id)).recordHash);
    expect(await f.sdk.claims.record(id)).to.deep.equal(record);
  });
});
