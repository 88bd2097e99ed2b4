/**
 * Cross-contract invariants: ONE stateful property test (fast-check `fc.commands` +
 * `fc.asyncModelRun`) driving random sequences across the whole suite as deployed by Ignition —
 * participants (suspensions), consent (direct and signed grants and revocations, cancelled
 * signatures, delegations, break-glass, opt-outs, logged access), records (anchors, amendments,
 * retractions, batches), claims (two plans of two insurers: funding, withdrawals, submissions on
 * anchored evidence, pended decisions, appeals and their resolution, queue payments, corrections
 * and voids by the provider — up, down to nothing and back — with what it owes recouped from its
 * next payments or repaid), pauses of every contract, time jumps, and hostile callers (outsiders,
 * members of the wrong organization, insurer staff correcting or voiding a provider's claim,
 * directly and through an intermediate contract) — and checking after every step:
 *   1. money is conserved per plan, with recoupment, from the receipts' events alone (ghost books):
 *      deposits - payments + recoveries - withdrawals = `funds(plan).balance`, where payments are
 *      the gross claim payments the plan settled (paid at once, drained, parked, and offsets
 *      against what the provider owed: OverpaymentRecovered) and recoveries are those offsets plus
 *      repayments (OverpaymentRepaid); what the provider owes is what was booked as owed back less
 *      what was recovered or repaid; the engine's token balance is the sum of the plans' balances
 *      plus what is parked; and balance, `reserved` (queued + pended exposure), the queue, what is
 *      parked and what is owed back are the model's;
 *   2. nothing is settled twice: every money event of a step is the one the model predicts, in
 *      order (an overpayment booked, an offset, a payment at once when the queue is empty and the
 *      unreserved escrow covers it, else queued; drains in order), and over each chain of
 *      corrections what the plan settled for the service plus what waits in its queue, less what
 *      was booked as owed back for it, is exactly what its live claim commits (its plan share; a
 *      pended claim the credit it carries; 0 once voided);
 *   3. nobody accesses without permission at that block: `logAccess` succeeds iff the model says
 *      permitted, and `isPermitted` equals the model for every (patient, accessor, class, purpose);
 *   4. no unprivileged caller changed anything: every hostile command reverts with the expected
 *      custom error and a snapshot of the suite's state is identical before and after;
 *   5. history only grows: record versions, retractions, consent nonces and signature epochs,
 *      claim states and the suite's total event count only move forward.
 *
 * Fixed seed (SUITE_FUZZ_SEED to change it, printed by fast-check on failure with the shrunk
 * sequence); a modest run count by default, `npm run fuzz` (SUITE_FUZZ_RUNS) for a long campaign.
 */
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import fc from "fast-check";
import hre from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { BaseContract, Log } from "ethers";
import {
  accountGrantee,
  ClaimStatus,
  claimIdOf,
  DATA_CLASSES,
  FastMerkleTree,
  GENERAL_CLASSES_MASK,
  organizationGrantee,
  PURPOSES,
  RECORD_LEAF_ENCODING,
  recordLeafValues,
  serviceKeyOf,
  signGrantRequest,
  signRevocationRequest,
  type ClaimSubmission,
  type GrantRequest,
  type RevocationRequest,
} from "../../sdk";
import { bookEvent, openBooks, type EscrowBooks } from "../support/escrowBooks";
import { PermissionProbe__factory, type PermissionProbe } from "../../typechain-types";
import { claimState, CODE, COMMITMENT, commitmentN, DAY, HOSPITAL, INSURER, LAB, rec, RIVAL, sub, submissionOf, suiteFixture, USD, type SuiteFixture } from "../support/suiteFixture";
import { FULL_SCOPE } from "../consent/fixtures";

/** Under solidity-coverage every call is instrumented (about 50 times slower): one short run there. */
const COVERAGE = (hre as unknown as { __SOLIDITY_COVERAGE_RUNNING?: boolean }).__SOLIDITY_COVERAGE_RUNNING === true;
const SEED = Number(process.env.SUITE_FUZZ_SEED ?? 20261121);
const FUZZ_RUNS = process.env.SUITE_FUZZ_RUNS ? Number(process.env.SUITE_FUZZ_RUNS) : undefined;
const RUNS = FUZZ_RUNS ?? (COVERAGE ? 1 : 6);
const MAX_COMMANDS = FUZZ_RUNS ? 60 : COVERAGE ? 8 : 40;
const CLASS_COUNT = 22; // logAccess draws from 0..21: every assigned class and the unassigned 13..15 and 21
const PURPOSE_COUNT = 7; // 0..6: every purpose and the unassigned 6
/** After every step isPermitted is compared for every (patient, accessor) on a sample: general, sensitive and unassigned classes; treatment, emergency, payment and an unassigned purpose. */
const PROBE_CLASSES = [0, 4, 12, 13, 16, 20];
const PROBE_PURPOSES = [0, 1, 2, 6];
const ETREAT = PURPOSES.ETREAT;
const ASSIGNED_CLASSES: number[] = Object.values(DATA_CLASSES);
const ASSIGNED_PURPOSES: number[] = Object.values(PURPOSES);
const PLANS = [1n, 2n] as const;
/** SUITE_FUZZ_STATS=1 prints how many steps of each kind ran, and how many transactions of each kind were refused with which error (to see what a seed exercises). */
const STATS: string[] | undefined = process.env.SUITE_FUZZ_STATS ? [] : undefined;
let stepName = "";

type Signer = HardhatEthersSigner;

interface Grant {
  classes: number;
  purposes: number;
  from: number;
  until: number;
}

interface SignedRequest {
  kind: "grant" | "revoke";
  p: number;
  grantee: string;
  request: GrantRequest | RevocationRequest;
  signature: string;
}

/** A plan's books kept from the receipts' events only (never from the model). */
/** A plan's books, from the events (test/support/escrowBooks.ts). */
type Ghost = EscrowBooks;

/** A plan's escrow as the model predicts it. */
interface PlanBook {
  balance: bigint;
  reserved: bigint; // queued payments (pended exposure is summed from the claims)
  queue: { id: string; amount: bigint }[];
  owed: bigint; // what the hospital owes the plan back
  parked: bigint; // the hospital's parked payments (queued payments the token refused)
  ghost: Ghost;
}

interface ClaimModel {
  planId: bigint;
  status: ClaimStatus;
  s: ClaimSubmission;
  exposure: bigint; // reserved while pended
  credit: bigint; // what the chain it replaced had committed (its record's credit)
  root: string; // the first claim of its chain of corrections
  adjusted?: boolean; // an adjuster decided it: its corrections pend for an adjuster too
}

/** A money event: [name, claim id ("" for a repayment), amount]. */
type Effect = readonly [string, string, bigint];

interface Model {
  now: number;
  paused: { consent: boolean; records: boolean; claims: boolean };
  suspended: Set<bigint>;
  // consent
  grants: Map<string, Grant>; // `${patient}|${grantee}`
  nonces: Map<string, bigint>;
  epochs: Map<string, bigint>; // patient → epoch
  delegates: Map<string, number>; // `${patient}|${delegate}` → until
  breakGlass: Map<string, { orgId: bigint; until: number }>; // `${patient}|${accessor}`
  optOut: Set<string>;
  reasons: number;
  signed: SignedRequest[];
  // records
  // Kept per organization, as the registry keeps them: keyed by vk(orgId, commitment / recordId / root).
  versions: Map<string, { orgId: bigint; commitment: string; version: number; retracted: boolean; recordId: string }>;
  heads: Map<string, number>; // vk(orgId, recordId) → current version
  batches: Map<string, { orgId: bigint; root: string; tree: FastMerkleTree; commitments: string[] }>;
  counter: number;
  // claims
  plans: Map<bigint, PlanBook>;
  claims: Map<string, ClaimModel>;
  /** Evidence commitment → the member its claims are for, and how many of them are live (neither replaced nor voided). */
  evidenceUse: Map<string, { member: string; live: number }>;
  /** Per claim, from the events: gross payments settled for it (paid, parked, offset), and what it booked as owed back. */
  gross: Map<string, bigint>;
  owedBy: Map<string, bigint>;
  /** The last on-chain status seen per claim (states only move forward). */
  seen: Map<string, ClaimStatus>;
  // history
  events: number;
}

interface Real {
  f: SuiteFixture;
  probe: PermissionProbe;
  sdk: Awaited<ReturnType<SuiteFixture["connect"]>>;
  patients: Signer[];
  /** Accessors: doctor (org 1, provider), hospitalAdmin (org 1), labAdmin (org 2, lab), adjuster (org 3, insurer), outsider. */
  accessors: Signer[];
  accessorOrg: bigint[];
  /** Grantees: the doctor's, the lab admin's and the outsider's accounts, organizations 1 and 2. */
  grantees: string[];
  contracts: BaseContract[];
}

// ------------------------------------------------------------------ helpers

const key = (...parts: (string | number | bigint)[]) => parts.join("|");
const mask = (positions: number[]) => positions.reduce((acc, b) => (acc | (1 << b)) >>> 0, 0);

function covers(g: Grant | undefined, c: number, u: number, t: number): boolean {
  return !!g && c < 32 && ((g.classes >>> c) & 1) === 1 && ((g.purposes >> u) & 1) === 1 && g.from <= t && t < g.until;
}

/** The consent rule, written independently of the contract: account grant, organization grant, break-glass. */
function modelPermitted(m: Model, r: Real, p: number, a: number, c: number, u: number, t: number): boolean {
  const patient = r.patients[p].address;
  if (covers(m.grants.get(key(patient, accountGrantee(r.accessors[a].address))), c, u, t)) return true;
  const org = r.accessorOrg[a];
  if (org === 0n || m.suspended.has(org)) return false;
  if (covers(m.grants.get(key(patient, organizationGrantee(org))), c, u, t)) return true;
  if (u !== ETREAT || c >= 32 || ((GENERAL_CLASSES_MASK >>> c) & 1) !== 1 || m.optOut.has(patient)) return false;
  const bg = m.breakGlass.get(key(patient, r.accessors[a].address));
  return !!bg && bg.orgId === org && t < bg.until;
}

const min = (a: bigint, b: bigint) => (a < b ? a : b);
const MONEY_EVENTS = ["OverpaymentRecorded", "OverpaymentRecovered", "ClaimPaid", "PaymentQueued", "PaymentParked", "OverpaymentRepaid"];
/** A claim a provider may still correct or void (not appealed, replaced or voided). */
const isLive = (s: ClaimStatus) => s !== ClaimStatus.Replaced && s !== ClaimStatus.Voided && s !== ClaimStatus.Appealed;

/** Whether `signer` is an active member of `org` in the model (org 0: never). */
const active = (m: Model, org: bigint) => org !== 0n && !m.suspended.has(org);

/** Sends `tx` in the next block at exactly model.now + 1; expects `error` on `on` (with `args` when given) or success (its claims events go to the ghost books). Returns the receipt's logs. */
async function step(m: Model, r: Real, tx: () => Promise<{ wait(): Promise<{ logs: readonly Log[] } | null> }>, on?: BaseContract, error?: string, args?: unknown[]): Promise<readonly Log[]> {
  await time.setNextBlockTimestamp(m.now + 1);
  let logs: readonly Log[] = [];
  if (error) {
    STATS?.push(`${stepName} refused: ${error}`);
    const assertion = expect(tx()).to.be.revertedWithCustomError(on!, error);
    await (args ? assertion.withArgs(...args) : assertion);
  } else {
    const rc = await (await tx()).wait();
    logs = rc!.logs;
    bookEvents(m, r, logs);
  }
  // A refused transaction is not mined: follow the chain.
  m.now = await time.latest();
  return logs;
}

/** The ClaimsEngine's events in `logs`, parsed. */
function parse(r: Real, logs: readonly Log[]) {
  const engine = (r.f.claims.target as string).toLowerCase();
  return logs.filter((l) => l.address.toLowerCase() === engine).flatMap((l) => {
    const e = r.f.claims.interface.parseLog(l);
    return e ? [e] : [];
  });
}

/** The ghost books, from a receipt's events: each plan's money, and per claim what was settled for it and what it booked as owed back. */
function bookEvents(m: Model, r: Real, logs: readonly Log[]): void {
  for (const e of parse(r, logs)) {
    const book = e.args.planId === undefined ? undefined : m.plans.get(e.args.planId as bigint);
    if (!book) continue;
    const g = book.ghost;
    if (e.name === "ClaimPaid" || e.name === "PaymentParked") expect(e.args.payee, `${e.name} pays the hospital's payee`).to.equal(r.f.payee.address);
    if (e.args.providerOrg !== undefined) expect(e.args.providerOrg, `${e.name} names the hospital`).to.equal(HOSPITAL);
    bookEvent(g, e, m.gross, m.owedBy);
  }
}

/** The exposure of a plan's pended claims (reserved in its escrow besides the queue). */
const pendedExposure = (m: Model, planId: bigint) => [...m.claims.values()].filter((c) => c.planId === planId && c.status === ClaimStatus.Pended).reduce((s, c) => s + c.exposure, 0n);

/**
 * What the engine must do with a claim's plan share `total` against the chain's `credit` (its
 * pended exposure already released in the model): book `credit - total` as owed back, or offset
 * what the provider owes against `total - credit` and pay the rest at once when nothing waits and
 * the unreserved escrow covers it, else queue it in full.
 */
function settle(m: Model, planId: bigint, id: string, total: bigint, credit: bigint): Effect[] {
  const book = m.plans.get(planId)!;
  const fx: Effect[] = [];
  let amount = 0n;
  if (total < credit) {
    book.owed += credit - total;
    fx.push(["OverpaymentRecorded", id, credit - total]);
  } else amount = total - credit;
  if (amount > 0n && book.owed > 0n) {
    const offset = min(book.owed, amount);
    book.owed -= offset;
    amount -= offset;
    fx.push(["OverpaymentRecovered", id, offset]);
  }
  if (amount === 0n) return fx;
  if (book.queue.length === 0 && book.balance >= book.reserved + pendedExposure(m, planId) + amount) {
    book.balance -= amount;
    fx.push(["ClaimPaid", id, amount]);
  } else {
    book.queue.push({ id, amount });
    book.reserved += amount;
    fx.push(["PaymentQueued", id, amount]);
  }
  return fx;
}

/** Pays a plan's queue in order while its escrow covers the head net of what the provider owes, up to `max` (the token here never refuses the payee). */
function drain(m: Model, planId: bigint, max: number): Effect[] {
  const book = m.plans.get(planId)!;
  const fx: Effect[] = [];
  for (let n = 0; n < max && book.queue.length > 0; n++) {
    const q = book.queue[0];
    const offset = min(book.owed, q.amount);
    const due = q.amount - offset;
    if (book.balance < due) break;
    book.queue.shift();
    book.balance -= due;
    book.reserved -= q.amount;
    if (offset > 0n) {
      book.owed -= offset;
      fx.push(["OverpaymentRecovered", q.id, offset]);
    }
    if (due > 0n) fx.push(["ClaimPaid", q.id, due]);
  }
  return fx;
}

/** The receipt's money events must be the model's, in order. */
function expectEffects(r: Real, logs: readonly Log[], expected: Effect[], what: string): void {
  const got = parse(r, logs)
    .filter((e) => MONEY_EVENTS.includes(e.name))
    .map((e) => [e.name, e.name === "OverpaymentRepaid" ? "" : (e.args.claimId as string), e.args.amount as bigint]);
  expect(got, `${what}: money events as the model's`).to.deep.equal(expected);
  for (const [name] of expected) STATS?.push(`event ${name}`);
}


/** What the chain of a claim has committed, as a correction or a void is credited with it: its plan share, or a pended claim's carried credit. */
async function committedOf(m: Model, r: Real, id: string): Promise<bigint> {
  const c = m.claims.get(id)!;
  return c.status === ClaimStatus.Pended ? c.credit : (await claimState(r.f.claims, id)).planPaid;
}

/** The suite's observable state, for the hostile commands' before/after comparison. */
async function snapshot(m: Model, r: Real): Promise<string> {
  const { f } = r;
  const out: unknown[] = [];
  for (const planId of PLANS) out.push(await f.claims.funds(planId), await f.claims.owedBack(planId, HOSPITAL), await f.claims.parked(planId, HOSPITAL));
  for (const a of [await f.claims.getAddress(), f.payee.address, f.insurerAdmin.address, f.rivalAdmin.address, f.outsider.address]) out.push(await f.token.balanceOf(a));
  for (const id of m.claims.keys()) out.push(await f.claims.claim(id));
  for (const v of m.versions.values()) out.push(await f.records.recordVersion(v.orgId, v.commitment));
  for (const b of m.batches.values()) out.push(await f.records.batch(b.orgId, b.root));
  for (const p of r.patients) {
    for (const g of r.grantees) out.push(await f.consent.grantOf(p.address, g));
    for (const a of r.accessors) out.push(await f.consent.breakGlassOf(p.address, a.address));
    for (const d of [f.delegate, f.outsider, f.doctor]) out.push(await f.consent.delegationOf(p.address, d.address));
    out.push(await f.consent.signatureEpoch(p.address), await f.consent.breakGlassOptedOut(p.address));
  }
  for (let org = 1n; org <= 4n; org++) out.push(await f.registry.organization(org));
  for (const a of [...r.accessors, f.adjuster2, f.rivalAdjuster, f.rivalAdmin]) out.push(await f.registry.membershipOf(a.address));
  out.push(await f.consent.paused(), await f.records.paused(), await f.claims.paused(), await f.registry.paused());
  out.push(await f.consent.breakGlassWindow(), await f.registry.organizationCount(), await f.claims.planCount(), await f.claims.payeeOf(HOSPITAL));
  return JSON.stringify(out, (_, v) => (typeof v === "bigint" ? v.toString() : v));
}

async function eventCount(r: Real): Promise<number> {
  const logs = await hre.ethers.provider.getLogs({ fromBlock: 0, toBlock: "latest", address: await Promise.all(r.contracts.map((c) => c.getAddress())) });
  return logs.length;
}

/** Every invariant, after every step. */
async function checkAll(m: Model, r: Real): Promise<void> {
  const { f } = r;
  // 1. Money, per plan: the conservation law with recoupment from the events alone, then the model's escrow.
  let total = 0n;
  for (const planId of PLANS) {
    const book = m.plans.get(planId)!;
    const g = book.ghost;
    const funds = await f.claims.funds(planId);
    const parked = await f.claims.parked(planId, HOSPITAL);
    const owed = await f.claims.owedBack(planId, HOSPITAL);
    expect(funds.balance, `plan ${planId}: deposits - payments + recoveries - withdrawals = balance`).to.equal(g.deposits - g.payments + g.recoveries - g.withdrawals);
    expect(g.recoveries, `plan ${planId}: recoveries = offsets + repayments`).to.equal(g.offsets + g.repaid);
    expect(owed, `plan ${planId}: owed back = booked - offset - repaid`).to.equal(g.recorded - g.offsets - g.repaid);
    expect(parked, `plan ${planId}: parked as the events say`).to.equal(g.parked);
    expect(funds.balance, `plan ${planId}: balance as the model's`).to.equal(book.balance);
    expect(funds.reserved, `plan ${planId}: reserved = queued + pended exposure`).to.equal(book.reserved + pendedExposure(m, planId));
    expect(funds.queueTail - funds.queueHead, `plan ${planId}: queue length`).to.equal(BigInt(book.queue.length));
    expect(owed, `plan ${planId}: owed back as the model's`).to.equal(book.owed);
    expect(parked, `plan ${planId}: parked as the model's`).to.equal(book.parked);
    total += funds.balance + parked;
  }
  expect(await f.token.balanceOf(await f.claims.getAddress()), "the engine holds exactly the plans' balances plus what is parked").to.equal(total);
  // 2. Claims: states as the model's and only forward; over each chain, the service committed once.
  const chains = new Map<string, string[]>();
  for (const [id, c] of m.claims) {
    const on = await claimState(f.claims, id);
    const status = Number(on.status) as ClaimStatus;
    expect(status, `claim ${id} only moves forward`).to.be.gte(m.seen.get(id) ?? ClaimStatus.None);
    m.seen.set(id, status);
    expect(status, `claim ${id}: status as the model's`).to.equal(c.status);
    if (c.status === ClaimStatus.Pended) expect(on.planPaid, `pended claim ${id}: planPaid is its exposure`).to.equal(c.exposure);
    chains.set(c.root, [...(chains.get(c.root) ?? []), id]);
  }
  for (const id of [...m.gross.keys(), ...m.owedBy.keys()]) expect(m.claims.has(id), `money moved for an unknown claim ${id}`).to.equal(true);
  for (const [root, ids] of chains) {
    const live = ids.filter((id) => m.claims.get(id)!.status !== ClaimStatus.Replaced);
    expect(live.length, `chain ${root} has one live claim`).to.equal(1);
    const committed = await committedOf(m, r, live[0]);
    const settled = ids.reduce((t, id) => t + (m.gross.get(id) ?? 0n) - (m.owedBy.get(id) ?? 0n), 0n);
    const queued = m.plans.get(m.claims.get(root)!.planId)!.queue.filter((q) => ids.includes(q.id)).reduce((t, q) => t + q.amount, 0n);
    expect(settled + queued, `chain ${root}: settled + queued - owed back = what its live claim commits (paid once)`).to.equal(committed);
  }
  // 3. Permissions, for every (patient, accessor, class, purpose), at the block the probe ran in.
  const [at, answers] = await r.probe.permissions(await f.consent.getAddress(), r.patients.map((s) => s.address), r.accessors.map((s) => s.address), PROBE_CLASSES, PROBE_PURPOSES);
  let i = 0;
  for (let pi = 0; pi < r.patients.length; pi++)
    for (let a = 0; a < r.accessors.length; a++)
      for (const c of PROBE_CLASSES)
        for (const u of PROBE_PURPOSES) {
          const expected = modelPermitted(m, r, pi, a, c, u, Number(at));
          if (answers[i++] !== expected) throw new Error(`isPermitted(patient ${pi}, accessor ${a}, class ${c}, purpose ${u}) at ${at}: chain ${!expected}, model ${expected}`);
        }
  // 5. History only grows: versions, retractions, heads, nonces, epochs, event count.
  for (const [key, v] of m.versions) {
    const on = await f.records.recordVersion(v.orgId, v.commitment);
    expect([on.orgId, Number(on.version), on.retracted], `record version ${key}`).to.deep.equal([v.orgId, v.version, v.retracted]);
  }
  for (const [key, head] of m.heads) {
    const [org, id] = unkey(key);
    expect(Number(await f.records.currentVersion(org, id)), `current version of ${key}`).to.equal(head);
  }
  for (const [k, n] of m.nonces) {
    const [patient, grantee] = k.split("|");
    expect(await f.consent.nonces(patient, grantee), `nonce ${k}`).to.equal(n);
  }
  for (const p of r.patients) expect(await f.consent.signatureEpoch(p.address)).to.equal(m.epochs.get(p.address) ?? 0n);
  const events = await eventCount(r);
  expect(events, "the event history only grows").to.be.gte(m.events);
  m.events = events;
}

// ------------------------------------------------------------------ commands

type Cmd = fc.AsyncCommand<Model, Real>;
const cmd = (name: string, run: (m: Model, r: Real) => Promise<void>, check: (m: Readonly<Model>) => boolean = () => true): Cmd => ({
  check,
  run: async (m, r) => {
    stepName = name.replace(/\(.*$/, "");
    await run(m, r);
    await checkAll(m, r);
    if (STATS) STATS.push(name.replace(/\(.*$/, ""));
  },
  toString: () => name,
});

const pick = <T>(xs: readonly T[], k: number): T => xs[k % xs.length];
const p = fc.integer({ min: 0, max: 1 });

/** The caller of a patient-side action: the patient, the delegate, or the outsider (a hostile caller when not appointed). */
function patientSide(m: Model, r: Real, pi: number, via: number): { caller: Signer; ok: boolean } {
  const patient = r.patients[pi].address;
  if (via === 0) return { caller: r.patients[pi], ok: true };
  const caller = via === 1 ? r.f.delegate : r.f.outsider;
  return { caller, ok: (m.delegates.get(key(patient, caller.address)) ?? 0) > m.now + 1 };
}

const consentCommands = [
  fc
    .record({ p, via: fc.integer({ min: 0, max: 2 }), g: fc.nat(4), classes: fc.subarray(ASSIGNED_CLASSES, { minLength: 1 }), purposes: fc.subarray(ASSIGNED_PURPOSES, { minLength: 1 }), from: fc.integer({ min: -1, max: 2 * DAY }), duration: fc.integer({ min: 2, max: 3 * DAY }) })
    .map((x) =>
      cmd(`grant(${JSON.stringify(x)})`, async (m, r) => {
        const patient = r.patients[x.p].address;
        const grantee = r.grantees[x.g];
        const from = x.from < 0 ? 0 : m.now + x.from;
        const until = Math.max(from, m.now) + x.duration;
        const { caller, ok } = patientSide(m, r, x.p, x.via);
        // Delegates are appointed as full representatives (every class and purpose): bound by their term, and never granting to themselves.
        const delegateUntil = x.via === 0 ? undefined : m.delegates.get(key(patient, (caller as HardhatEthersSigner).address));
        const error = m.paused.consent
          ? "EnforcedPause"
          : !ok
            ? "NotPatientOrDelegate"
            : delegateUntil !== undefined && grantee === accountGrantee((caller as HardhatEthersSigner).address)
              ? "DelegateGrantsToItself"
              : delegateUntil !== undefined && until > delegateUntil
                ? "DelegateGrantOutlivesDelegation"
                : undefined;
        await step(m, r, () => r.f.consent.connect(caller).grant(patient, grantee, mask(x.classes), mask(x.purposes), from, until, COMMITMENT), r.f.consent, error);
        if (!error) {
          m.grants.set(key(patient, grantee), { classes: mask(x.classes), purposes: mask(x.purposes), from, until });
          m.nonces.set(key(patient, grantee), (m.nonces.get(key(patient, grantee)) ?? 0n) + 1n);
        }
      }),
    ),
  fc.record({ p, via: fc.integer({ min: 0, max: 2 }), g: fc.nat(4) }).map((x) =>
    cmd(`revoke(${JSON.stringify(x)})`, async (m, r) => {
      const patient = r.patients[x.p].address;
      const grantee = r.grantees[x.g];
      const { caller, ok } = patientSide(m, r, x.p, x.via);
      const error = !ok ? "NotPatientOrDelegate" : !m.grants.has(key(patient, grantee)) ? "GrantNotFound" : undefined;
      await step(m, r, () => r.f.consent.connect(caller).revoke(patient, grantee), r.f.consent, error);
      if (!error) {
        m.grants.delete(key(patient, grantee));
        m.nonces.set(key(patient, grantee), (m.nonces.get(key(patient, grantee)) ?? 0n) + 1n);
      }
    }),
  ),
  // A patient signs a grant or a revocation for the current nonce and epoch; it is kept for a relayer to use later (or never).
  fc.record({ p, g: fc.nat(4), revoke: fc.boolean(), classes: fc.subarray(ASSIGNED_CLASSES, { minLength: 1 }), life: fc.integer({ min: 1, max: 2 * DAY }) }).map((x) =>
    cmd(`sign(${JSON.stringify(x)})`, async (m, r) => {
      const signer = r.patients[x.p];
      const grantee = r.grantees[x.g];
      const nonce = m.nonces.get(key(signer.address, grantee)) ?? 0n;
      const epoch = m.epochs.get(signer.address) ?? 0n;
      const deadline = BigInt(m.now + x.life);
      if (x.revoke) {
        const request: RevocationRequest = { patient: signer.address, grantee, nonce, epoch, deadline };
        m.signed.push({ kind: "revoke", p: x.p, grantee, request, signature: await signRevocationRequest(signer, r.f.domain, request) });
      } else {
        const request: GrantRequest = { patient: signer.address, grantee, classes: mask(x.classes), purposes: 1, validFrom: 0, validUntil: m.now + 3 * DAY, commitment: COMMITMENT, nonce, epoch, deadline };
        m.signed.push({ kind: "grant", p: x.p, grantee, request, signature: await signGrantRequest(signer, r.f.domain, request) });
      }
    }),
  ),
  // A relayer submits a kept signature: fresh ones apply, replayed, stale (nonce moved), cancelled and expired ones are refused.
  fc.nat().map((k) =>
    cmd(
      `relay(#${k})`,
      async (m, r) => {
        const s = pick(m.signed, k);
        const patient = r.patients[s.p].address;
        const t = m.now + 1;
        const nonce = m.nonces.get(key(patient, s.grantee)) ?? 0n;
        const epoch = m.epochs.get(patient) ?? 0n;
        const relayed = r.f.consent.connect(r.f.relayer);
        let error: string | undefined;
        let args: unknown[] | undefined;
        if (s.kind === "grant" && m.paused.consent) error = "EnforcedPause";
        else if (BigInt(t) > s.request.deadline) [error, args] = ["SignatureExpired", [s.request.deadline, t]];
        else if (s.request.epoch !== epoch) [error, args] = ["SignatureCancelled", [patient, s.request.epoch, epoch]];
        else if (s.request.nonce !== nonce) [error, args] = ["InvalidNonce", [patient, s.grantee, s.request.nonce, nonce]];
        else if (s.kind === "grant" && (s.request as GrantRequest).validUntil <= t) error = "InvalidValidity";
        else if (s.kind === "revoke" && !m.grants.has(key(patient, s.grantee))) error = "GrantNotFound";
        await step(m, r, () => (s.kind === "grant" ? relayed.grantBySig(s.request as GrantRequest, s.signature) : relayed.revokeBySig(s.request as RevocationRequest, s.signature)), r.f.consent, error, args);
        if (error) return;
        m.nonces.set(key(patient, s.grantee), nonce + 1n);
        if (s.kind === "grant") {
          const g = s.request as GrantRequest;
          m.grants.set(key(patient, s.grantee), { classes: g.classes, purposes: g.purposes, from: g.validFrom, until: g.validUntil });
        } else m.grants.delete(key(patient, s.grantee));
      },
      (m) => m.signed.length > 0,
    ),
  ),
  p.map((pi) =>
    cmd(`cancelSignatures(${pi})`, async (m, r) => {
      const patient = r.patients[pi];
      await step(m, r, () => r.f.consent.connect(patient).cancelSignatures());
      m.epochs.set(patient.address, (m.epochs.get(patient.address) ?? 0n) + 1n);
    }),
  ),
  fc.record({ p, d: fc.integer({ min: 0, max: 1 }), duration: fc.integer({ min: 1, max: 2 * DAY }), remove: fc.boolean() }).map((x) =>
    cmd(`delegate(${JSON.stringify(x)})`, async (m, r) => {
      const patient = r.patients[x.p];
      const d = x.d === 0 ? r.f.delegate : r.f.outsider;
      const k = key(patient.address, d.address);
      if (x.remove) {
        const error = m.delegates.has(k) ? undefined : "DelegateNotFound";
        await step(m, r, () => r.f.consent.connect(patient).removeDelegate(patient.address, d.address), r.f.consent, error);
        m.delegates.delete(k);
      } else {
        const until = m.now + 1 + x.duration;
        await step(m, r, () => r.f.consent.connect(patient).appointDelegate(d.address, until, ...FULL_SCOPE), r.f.consent, m.paused.consent ? "EnforcedPause" : undefined);
        if (!m.paused.consent) m.delegates.set(k, until);
      }
    }),
  ),
  fc.record({ a: fc.nat(4), p, duration: fc.integer({ min: 1, max: 4 * 3600 }) }).map((x) =>
    cmd(`breakGlass(${JSON.stringify(x)})`, async (m, r) => {
      const patient = r.patients[x.p].address;
      const org = r.accessorOrg[x.a];
      const accessor = r.accessors[x.a];
      const error = m.paused.consent ? "EnforcedPause" : org !== HOSPITAL || !active(m, org) ? "NotActiveProvider" : m.optOut.has(patient) ? "BreakGlassOptedOut" : undefined;
      const ref = hre.ethers.toBeHex(++m.reasons, 32);
      await step(m, r, () => r.f.consent.connect(accessor).breakGlass(patient, 1, ref, x.duration), r.f.consent, error);
      if (!error) m.breakGlass.set(key(patient, accessor.address), { orgId: org, until: m.now + x.duration });
    }),
  ),
  fc.record({ p, via: fc.integer({ min: 0, max: 2 }), optedOut: fc.boolean() }).map((x) =>
    cmd(`setBreakGlassOptOut(${JSON.stringify(x)})`, async (m, r) => {
      const patient = r.patients[x.p].address;
      const { caller, ok } = patientSide(m, r, x.p, x.via);
      await step(m, r, () => r.f.consent.connect(caller).setBreakGlassOptOut(patient, x.optedOut), r.f.consent, ok ? undefined : "NotPatientOrRepresentative");
      if (ok && x.optedOut) {
        // Opting out ends every opening on the patient for good (opting back in revives none).
        m.optOut.add(patient);
        for (const k of [...m.breakGlass.keys()]) if (k.startsWith(key(patient, ""))) m.breakGlass.delete(k);
      } else if (ok) m.optOut.delete(patient);
    }),
  ),
  // Logged access succeeds iff the model permits it at that block.
  fc.record({ a: fc.nat(4), p, c: fc.integer({ min: 0, max: CLASS_COUNT - 1 }), u: fc.integer({ min: 0, max: PURPOSE_COUNT - 1 }) }).map((x) =>
    cmd(`logAccess(${JSON.stringify(x)})`, async (m, r) => {
      const patient = r.patients[x.p].address;
      const accessor = r.accessors[x.a];
      const assignedC = ASSIGNED_CLASSES.includes(x.c);
      const assignedU = ASSIGNED_PURPOSES.includes(x.u);
      const permitted = modelPermitted(m, r, x.p, x.a, x.c, x.u, m.now + 1);
      let error: string | undefined;
      let args: unknown[] | undefined;
      if (m.paused.consent) error = "EnforcedPause";
      else if (!assignedC) [error, args] = ["InvalidDataClass", [x.c]];
      else if (!assignedU) [error, args] = ["InvalidPurpose", [x.u]];
      else if (!permitted) [error, args] = ["AccessNotPermitted", [patient, accessor.address, x.c, x.u]];
      const logs = await step(m, r, () => r.f.consent.connect(accessor).logAccess(patient, COMMITMENT, x.c, x.u), r.f.consent, error, args);
      if (!error) expect(logs.length, "one AccessLogged event").to.equal(1);
    }),
  ),
];

/** The anchoring organization of an actor index: 0 doctor (hospital), 1 labAdmin (lab), 2 adjuster (insurer, refused), 3 outsider (refused). */
const ANCHORERS = (r: Real) => [r.f.doctor, r.f.labAdmin, r.f.adjuster, r.f.outsider];
const ANCHOR_ORG = [HOSPITAL, LAB, INSURER, 0n];
/** The model's key of an organization's commitment, record or root (the registry keeps each per organization). */
const vk = (orgId: bigint, x: string) => `${orgId}:${x}`;
const unkey = (key: string): [bigint, string] => [BigInt(key.slice(0, key.indexOf(":"))), key.slice(key.indexOf(":") + 1)];

function anchoringError(m: Model, who: number): [string, unknown[]] | undefined {
  const org = ANCHOR_ORG[who];
  if (who >= 2) return ["NotAnchoringMember", []];
  if (m.suspended.has(org)) return ["AnchoringOrganizationSuspended", [org]];
  return undefined;
}

const recordCommands = [
  fc.record({ who: fc.nat(3), reuse: fc.boolean(), k: fc.nat() }).map((x) =>
    cmd(`anchor(${JSON.stringify(x)})`, async (m, r) => {
      // Reusing a commitment another organization anchored is allowed (its anchor is its own).
      const existing = [...m.versions.values()].map((v) => v.commitment);
      const c = x.reuse && existing.length > 0 ? pick(existing, x.k) : commitmentN(++m.counter);
      const who = ANCHORERS(r)[x.who];
      const org = ANCHOR_ORG[x.who];
      const refused = m.paused.records ? (["EnforcedPause", []] as [string, unknown[]]) : anchoringError(m, x.who);
      const error = refused ?? (m.versions.has(vk(org, c)) ? (["CommitmentAlreadyAnchored", [c, org]] as [string, unknown[]]) : undefined);
      await step(m, r, () => r.f.records.connect(who).anchor(c), r.f.records, error?.[0]);
      if (!error) {
        m.versions.set(vk(org, c), { orgId: org, commitment: c, version: 1, retracted: false, recordId: c });
        m.heads.set(vk(org, c), 1);
      }
    }),
  ),
  fc.record({ who: fc.nat(3), k: fc.nat(), stale: fc.boolean() }).map((x) =>
    cmd(
      `amend(${JSON.stringify(x)})`,
      async (m, r) => {
        // Any organization's record: only its own organization amends it (UnknownRecord for another).
        const [owner, recordId] = unkey(pick([...m.heads.keys()], x.k));
        const org = ANCHOR_ORG[x.who];
        const head = m.heads.get(vk(org, recordId));
        const superseded = head === undefined ? m.heads.get(vk(owner, recordId))! : x.stale && head > 1 ? head - 1 : head;
        const c = commitmentN(++m.counter);
        const refused = m.paused.records ? (["EnforcedPause", []] as [string, unknown[]]) : anchoringError(m, x.who);
        const error =
          refused ??
          (head === undefined
            ? (["UnknownRecord", [org, recordId]] as [string, unknown[]])
            : superseded !== head
              ? (["StaleVersion", [recordId, superseded, head]] as [string, unknown[]])
              : undefined);
        await step(m, r, () => r.f.records.connect(ANCHORERS(r)[x.who]).amend(recordId, superseded, c), r.f.records, error?.[0], error?.[0] === "StaleVersion" || error?.[0] === "UnknownRecord" ? error[1] : undefined);
        if (!error) {
          m.versions.set(vk(org, c), { orgId: org, commitment: c, version: head! + 1, retracted: false, recordId });
          m.heads.set(vk(org, recordId), head! + 1);
        }
      },
      (m) => m.heads.size > 0,
    ),
  ),
  fc.record({ who: fc.nat(3), k: fc.nat() }).map((x) =>
    cmd(
      `retract(${JSON.stringify(x)})`,
      async (m, r) => {
        // Any organization's version: only the organization's own anchor of it can be retracted.
        const c = pick([...m.versions.values()], x.k).commitment;
        const org = ANCHOR_ORG[x.who];
        const v = m.versions.get(vk(org, c));
        let error = anchoringError(m, x.who);
        if (!error && v === undefined) error = ["CommitmentNotAnchored", [org, c]];
        if (!error && v!.retracted) error = ["AlreadyRetracted", [c]];
        // Retraction narrows: it goes on while the registry is paused.
        await step(m, r, () => r.f.records.connect(ANCHORERS(r)[x.who]).retract(c, 1), r.f.records, error?.[0], error && error[0] !== "NotAnchoringMember" && error[0] !== "AnchoringOrganizationSuspended" ? error[1] : undefined);
        if (!error) v!.retracted = true;
      },
      (m) => m.versions.size > 0,
    ),
  ),
  // A batch of two fresh leaves anchored by the hospital or the lab; anyone may then register a leaf with its proof.
  fc.record({ who: fc.nat(1), register: fc.boolean(), k: fc.nat() }).map((x) =>
    cmd(`batch(${JSON.stringify(x)})`, async (m, r) => {
      const registry = await r.f.records.getAddress();
      if (x.register && m.batches.size > 0) {
        const b = pick([...m.batches.values()], x.k);
        const i = x.k % b.commitments.length;
        const c = b.commitments[i];
        const error = m.paused.records ? "EnforcedPause" : m.versions.has(vk(b.orgId, c)) ? "CommitmentAlreadyAnchored" : undefined;
        await step(m, r, () => r.f.records.connect(r.f.outsider).registerBatchRecord(b.orgId, b.root, c, b.tree.getProof(i)), r.f.records, error);
        if (!error) {
          m.versions.set(vk(b.orgId, c), { orgId: b.orgId, commitment: c, version: 1, retracted: false, recordId: c });
          m.heads.set(vk(b.orgId, c), 1);
        }
        return;
      }
      const commitments = [commitmentN(++m.counter, "leaf"), commitmentN(++m.counter, "leaf")];
      const tree = FastMerkleTree.of(commitments.map((c) => recordLeafValues({ chainId: r.f.chainId, registry, recordId: c, version: 1, commitment: c })), RECORD_LEAF_ENCODING);
      const refused = m.paused.records ? "EnforcedPause" : anchoringError(m, x.who)?.[0];
      await step(m, r, () => r.f.records.connect(ANCHORERS(r)[x.who]).anchorBatch(tree.root, 2), r.f.records, refused);
      if (!refused) m.batches.set(vk(ANCHOR_ORG[x.who], tree.root), { orgId: ANCHOR_ORG[x.who], root: tree.root, tree, commitments });
    }),
  ),
];

/** The staff that may act on a plan: [admin, adjuster, second adjuster]. */
const staffOf = (r: Real, planId: bigint): Signer[] => [...r.f.staff[Number(planId) as 1 | 2]];
const insurerOf = (planId: bigint) => (planId === 1n ? INSURER : RIVAL);

/**
 * The evidence a claim step for `member` uses: mostly one of the hospital's live versions that
 * backs no other member's claims (so that claims flow), sometimes (2 in 5; 1 in 10 when
 * `mostlyLive`) any version the model knows (another organization's, retracted, another member's)
 * or a never-anchored commitment.
 */
function evidenceFor(m: Model, member: string, ev: number, mostlyLive = false): string {
  const live = [...m.versions.values()].filter((v) => v.orgId === HOSPITAL && !v.retracted && (backerOf(m, v.commitment) ?? member) === member).map((v) => v.commitment);
  const known = [...m.versions.values()].map((v) => v.commitment);
  const bad = mostlyLive ? (ev % 10 === 9 ? 4 : ev % 10 === 8 ? 3 : 0) : ev % 5;
  return bad === 4 || known.length === 0 ? commitmentN(ev, "never") : bad === 3 || live.length === 0 ? pick(known, ev) : pick(live, ev);
}

/**
 * The submission checks on evidence and duplicates, in the engine's order, and the id of the claim
 * it makes. Evidence: anchored by the hospital, not retracted, backing one member's claims only. A
 * service is billed once: a first submission's id is its key, refused when any claim ever had it;
 * a correction of `replaces` takes a key no claim ever had, or resubmits the very service of the
 * claim it replaces under an id of its own (keccak256(key, replaces)).
 */
function submissionOutcome(m: Model, s: ClaimSubmission, replaces?: string): { error: [string, unknown[]] } | { id: string } {
  // Only the billing organization's own anchor counts (another's anchor of the same commitment is its own).
  const v = m.versions.get(vk(s.providerOrg, s.evidence));
  if (v === undefined) return { error: ["EvidenceNotAnchored", [s.evidence, s.providerOrg]] };
  if (v.retracted) return { error: ["EvidenceRetracted", [s.evidence]] };
  const backs = backerOf(m, s.evidence);
  if (backs !== undefined && backs !== s.member) return { error: ["EvidenceOfAnotherMember", [s.evidence, backs]] };
  const key = serviceKeyOf(s);
  if (!m.claims.has(key)) return { id: key };
  if (replaces !== undefined && key === serviceKeyOf(m.claims.get(replaces)!.s)) return { id: claimIdOf(s, replaces) };
  return { error: ["DuplicateClaim", [key]] };
}

/**
 * Records a claim the engine just adjudicated or pended (its events in `logs`) and returns what the
 * engine must do with its money. `reviewed`: it corrects a claim an adjuster decided or was to
 * decide, so it pends whatever its code.
 */
function recordNewClaim(m: Model, r: Real, logs: readonly Log[], id: string, s: ClaimSubmission, credit: bigint, root: string, reviewed = false): Effect[] {
  const events = parse(r, logs);
  const pended = events.find((e) => e.name === "ClaimPended" && e.args.claimId === id);
  if (pended) {
    if (!reviewed) expect(s.lines[0].code, "only the reviewed code pends").to.equal(CODE.REVIEW);
    m.claims.set(id, { planId: s.planId, status: ClaimStatus.Pended, s, exposure: pended.args.exposure as bigint, credit, root });
    cite(m, s);
    return [];
  }
  expect(s.lines[0].code, "a reviewed code pends").to.not.equal(CODE.REVIEW);
  expect(reviewed, "a correction of a claim an adjuster decided pends").to.equal(false);
  const adjudicated = events.find((e) => e.name === "ClaimAdjudicated" && e.args.claimId === id)!;
  const status = Number(adjudicated.args.status) as ClaimStatus;
  if (s.lines[0].code === CODE.UNKNOWN) expect(status, "a code without a benefit is denied").to.equal(ClaimStatus.Denied);
  m.claims.set(id, { planId: s.planId, status, s, exposure: 0n, credit, root });
  cite(m, s);
  return settle(m, s.planId, id, adjudicated.args.planTotal as bigint, credit);
}

/** The member whose claims evidence backs while a live claim cites it (undefined when none does). */
function backerOf(m: Model, commitment: string): string | undefined {
  const use = m.evidenceUse.get(commitment);
  return use !== undefined && use.live > 0 ? use.member : undefined;
}

/** A new claim cites its evidence: bound to its member (again, once no live claim cited it for another). */
function cite(m: Model, s: ClaimSubmission): void {
  const use = m.evidenceUse.get(s.evidence);
  if (use === undefined || (use.live === 0 && use.member !== s.member)) m.evidenceUse.set(s.evidence, { member: s.member, live: 1 });
  else use.live++;
}

/** Retires a claim its provider corrected or voided: a pended one's exposure is released, its citation of its evidence ends. */
function retire(m: Model, id: string, as: ClaimStatus): void {
  const c = m.claims.get(id)!;
  c.status = as;
  c.exposure = 0n;
  m.evidenceUse.get(c.s.evidence)!.live--;
}

/** Who corrects or voids: the hospital's doctor or admin (refused while the hospital is suspended), the plan's adjuster or admin (insurer staff: refused), the lab's admin (another provider: refused). */
function correctorOf(m: Model, r: Real, planId: bigint, by: number): { who: Signer; provider: boolean } {
  const who = [r.f.doctor, r.f.hospitalAdmin, staffOf(r, planId)[1], staffOf(r, planId)[0], r.f.labAdmin][by];
  return { who, provider: by < 2 && active(m, HOSPITAL) };
}

const liveClaims = (m: Readonly<Model>) => [...m.claims.entries()].filter(([, c]) => isLive(c.status));

const claimCommands = [
  fc.record({ plan: fc.nat(1), amount: fc.integer({ min: 1, max: 2_000 }) }).map((x) =>
    cmd(`fund(${JSON.stringify(x)})`, async (m, r) => {
      const planId = PLANS[x.plan];
      const amount = BigInt(x.amount) * USD;
      const book = m.plans.get(planId)!;
      const logs = await step(m, r, () => r.f.claims.connect(staffOf(r, planId)[0]).fund(planId, amount), r.f.claims, m.paused.claims ? "EnforcedPause" : undefined);
      if (m.paused.claims) return;
      book.balance += amount;
      // Up to DRAIN_ON_FUND queued payments follow the deposit, in order, while escrow covers the head net of what the provider owes.
      expectEffects(r, logs, drain(m, planId, 8), "fund");
    }),
  ),
  fc.record({ plan: fc.nat(1), amount: fc.integer({ min: 1, max: 1_500 }), by: fc.nat(1) }).map((x) =>
    cmd(`withdraw(${JSON.stringify(x)})`, async (m, r) => {
      const planId = PLANS[x.plan];
      const amount = BigInt(x.amount) * USD;
      const book = m.plans.get(planId)!;
      const staff = staffOf(r, planId)[x.by]; // the admin, or an adjuster (staff, not admin: refused)
      const reserved = book.reserved + pendedExposure(m, planId);
      const available = book.balance > reserved ? book.balance - reserved : 0n;
      let error: string | undefined;
      let args: unknown[] | undefined;
      if (m.paused.claims) error = "EnforcedPause";
      else if (!active(m, insurerOf(planId)) || x.by !== 0) [error, args] = ["NotInsurerStaff", [staff.address, insurerOf(planId)]];
      else if (amount > available) [error, args] = ["InsufficientUnreservedFunds", [planId, amount, available]];
      await step(m, r, () => r.f.claims.connect(staff).withdraw(planId, amount, staff.address), r.f.claims, error, args);
      if (!error) book.balance -= amount;
    }),
  ),
  fc
    .record({ plan: fc.nat(1), member: fc.nat(1), code: fc.constantFrom(0, 0, 1, 2), charged: fc.integer({ min: 1, max: 1_500 }), daysAgo: fc.nat(3), ev: fc.nat(), by: fc.constantFrom(0, 0, 0, 1, 2) })
    .map((x) =>
      cmd(`submit(${JSON.stringify(x)})`, async (m, r) => {
        const planId = PLANS[x.plan];
        const code = [CODE.VISIT, CODE.REVIEW, CODE.UNKNOWN][x.code];
        const day = m.now + 1 - ((m.now + 1) % DAY) - x.daysAgo * DAY;
        const member = r.patients[x.member].address;
        const s = submissionOf(planId, member, day, evidenceFor(m, member, x.ev), [{ code, units: 1, charged: BigInt(x.charged) * USD }]);
        const outcome = submissionOutcome(m, s);
        const by = [r.f.doctor, r.f.labAdmin, staffOf(r, planId)[1]][x.by]; // the hospital's doctor, the lab (wrong organization), the plan's adjuster
        const byOrg = [HOSPITAL, LAB, insurerOf(planId)][x.by];
        let error: string | undefined;
        let args: unknown[] | undefined;
        if (m.paused.claims) error = "EnforcedPause";
        else if (x.by === 1 || !active(m, byOrg)) [error, args] = ["NotAuthorizedSubmitter", [by.address, HOSPITAL, planId]];
        else if ("error" in outcome) [error, args] = outcome.error;
        const logs = await step(m, r, () => r.f.claims.connect(by).submit(sub(s)), r.f.claims, error, args);
        if (error || "error" in outcome) return;
        expectEffects(r, logs, recordNewClaim(m, r, logs, outcome.id, s, 0n, outcome.id), "submit");
      }),
    ),
  fc.record({ k: fc.nat(), deny: fc.boolean(), by: fc.nat(2) }).map((x) =>
    cmd(
      `decide(${JSON.stringify(x)})`,
      async (m, r) => {
        const [id, c] = pick([...m.claims.entries()].filter(([, c]) => c.status === ClaimStatus.Pended), x.k);
        const record = await r.sdk.claims.record(id);
        expect(record.credit, "a pended claim's record carries its chain's credit").to.equal(c.credit);
        // The plan's adjuster, the other insurer's adjuster (wrong organization), or the hospital's doctor.
        const other = c.planId === 1n ? 2n : 1n;
        const by = [staffOf(r, c.planId)[1], staffOf(r, other)[1], r.f.doctor][x.by];
        const decisions = [x.deny ? { allowed: 0n, reason: 50 } : { allowed: record.allowed[0], reason: 0 }];
        let error: string | undefined;
        let args: unknown[] | undefined;
        if (m.paused.claims) error = "EnforcedPause";
        else if (x.by !== 0 || !active(m, insurerOf(c.planId))) [error, args] = ["NotInsurerStaff", [by.address, insurerOf(c.planId)]];
        const before = x.by !== 0 ? await snapshot(m, r) : "";
        const logs = await step(m, r, () => r.f.claims.connect(by).decide(id, rec(record), decisions), r.f.claims, error, args);
        if (error) {
          if (x.by !== 0) expect(await snapshot(m, r), "a refused decision changed nothing").to.equal(before);
          return;
        }
        c.exposure = 0n;
        const adjudicated = parse(r, logs).find((e) => e.name === "ClaimAdjudicated")!;
        c.status = Number(adjudicated.args.status) as ClaimStatus;
        c.adjusted = true;
        const planTotal = adjudicated.args.planTotal as bigint;
        // Cost-shared now, against the accumulators as they stand: the allowed amount splits between the plan and the member; a denial pays nothing.
        expect(planTotal + (adjudicated.args.memberTotal as bigint), "plan + member = the allowed amount decided").to.equal(decisions[0].allowed);
        expectEffects(r, logs, settle(m, c.planId, id, planTotal, c.credit), "decide");
      },
      (m) => [...m.claims.values()].some((c) => c.status === ClaimStatus.Pended),
    ),
  ),
  fc.record({ k: fc.nat(), by: fc.nat(2) }).map((x) =>
    cmd(
      `appeal(${JSON.stringify(x)})`,
      async (m, r) => {
        const [id, c] = pick([...m.claims.entries()].filter(([, c]) => c.status === ClaimStatus.Denied || c.status === ClaimStatus.Partial), x.k);
        const record = await r.sdk.claims.record(id);
        const member = r.patients.find((s) => s.address === c.s.member)!;
        const by = [member, r.f.doctor, r.f.outsider][x.by];
        const state = await claimState(r.f.claims, id);
        const deadline = BigInt(state.decidedAt) + 30n * BigInt(DAY);
        let error: string | undefined;
        let args: unknown[] | undefined;
        if ((x.by === 1 && !active(m, HOSPITAL)) || x.by === 2) [error, args] = ["NotAppellant", [by.address, id]];
        else if (BigInt(m.now + 1) > deadline) [error, args] = ["AppealWindowClosed", [id, deadline]];
        const before = x.by === 2 ? await snapshot(m, r) : "";
        await step(m, r, () => r.f.claims.connect(by).appeal(id, rec(record)), r.f.claims, error, args);
        if (x.by === 2) expect(await snapshot(m, r), "a refused appeal changed nothing").to.equal(before);
        if (!error) c.status = ClaimStatus.Appealed;
      },
      (m) => [...m.claims.values()].some((c) => c.status === ClaimStatus.Denied || c.status === ClaimStatus.Partial),
    ),
  ),
  fc.record({ k: fc.nat(), overturn: fc.boolean(), by: fc.nat(2) }).map((x) =>
    cmd(
      `resolveAppeal(${JSON.stringify(x)})`,
      async (m, r) => {
        const [id, c] = pick([...m.claims.entries()].filter(([, c]) => c.status === ClaimStatus.Appealed), x.k);
        const record = await r.sdk.claims.record(id);
        // A fresh member of the plan's staff resolves (by 0); by 1: the adjuster who decided it (refused); by 2: the other insurer's staff (refused).
        const staff = staffOf(r, c.planId);
        const fresh = staff.find((s) => s.address !== record.adjuster)!;
        const same = staff.find((s) => s.address === record.adjuster);
        const by = x.by === 1 && same ? same : x.by === 2 ? staffOf(r, c.planId === 1n ? 2n : 1n)[1] : fresh;
        const line = record.lines[0];
        const schedule = 1_000n * USD * BigInt(line.units);
        const ceiling = line.code === CODE.UNKNOWN ? line.charged : line.charged < schedule ? line.charged : schedule;
        const decisions = [x.overturn ? { allowed: ceiling, reason: 0 } : { allowed: record.allowed[0], reason: record.allowed[0] < ceiling ? 50 : 0 }];
        let error: string | undefined;
        let args: unknown[] | undefined;
        if (m.paused.claims) error = "EnforcedPause";
        else if (by.address === record.adjuster) [error, args] = ["SameAdjuster", [by.address]];
        else if (x.by === 2 || !active(m, insurerOf(c.planId))) [error, args] = ["NotInsurerStaff", [by.address, insurerOf(c.planId)]];
        const previous = (await claimState(r.f.claims, id)).planPaid;
        const logs = await step(m, r, () => r.f.claims.connect(by).resolveAppeal(id, rec(record), decisions), r.f.claims, error, args);
        if (error) return;
        const adjudicated = parse(r, logs).find((e) => e.name === "ClaimAdjudicated")!;
        c.status = Number(adjudicated.args.status) as ClaimStatus;
        c.adjusted = true;
        // The appeal pays only its increment (no credit): the new plan total less what the claim committed before.
        expectEffects(r, logs, settle(m, c.planId, id, (adjudicated.args.planTotal as bigint) - previous, 0n), "resolveAppeal");
      },
      (m) => [...m.claims.values()].some((c) => c.status === ClaimStatus.Appealed),
    ),
  ),
  fc.record({ plan: fc.nat(1), max: fc.integer({ min: 1, max: 4 }) }).map((x) =>
    cmd(`payQueued(${JSON.stringify(x)})`, async (m, r) => {
      const planId = PLANS[x.plan];
      const logs = await step(m, r, () => r.f.claims.connect(r.f.outsider).payQueued(planId, x.max), r.f.claims, m.paused.claims ? "EnforcedPause" : undefined);
      if (!m.paused.claims) expectEffects(r, logs, drain(m, planId, x.max), "payQueued");
    }),
  ),
  // The provider corrects a live claim: other units and charges (up, or down to a plan share of nothing), the reviewed code (pends), a code without a benefit (denied), the same lines (a resubmission), or its chain's first lines (billed before: refused unless they are the replaced claim's); insurer staff and another provider are refused.
  fc
    .record({
      k: fc.nat(),
      by: fc.constantFrom(0, 0, 0, 0, 1, 1, 2, 3, 4),
      code: fc.constantFrom(0, 0, 1, 2, 3, 4),
      units: fc.integer({ min: 1, max: 3 }),
      charged: fc.oneof(fc.integer({ min: 1, max: 150 }), fc.integer({ min: 400, max: 1_500 })),
      ev: fc.nat(),
    })
    .map((x) =>
      cmd(
        `correct(${JSON.stringify(x)})`,
        async (m, r) => {
          const [id, c] = pick(liveClaims(m), x.k);
          const { who, provider } = correctorOf(m, r, c.planId, x.by);
          const lines = x.code === 3 ? c.s.lines : x.code === 4 ? m.claims.get(c.root)!.s.lines : [{ code: [CODE.VISIT, CODE.REVIEW, CODE.UNKNOWN][x.code], units: x.units, charged: BigInt(x.charged) * USD }];
          // Mostly the claim's own evidence (one record backs the service's corrections), sometimes another.
          const s: ClaimSubmission = { ...c.s, evidence: x.ev % 2 === 0 ? c.s.evidence : evidenceFor(m, c.s.member, x.ev, true), lines };
          const outcome = submissionOutcome(m, s, id);
          const record = await r.sdk.claims.record(id);
          const credit = await committedOf(m, r, id);
          let error: string | undefined;
          let args: unknown[] | undefined;
          if (m.paused.claims) error = "EnforcedPause";
          else if (!provider) [error, args] = ["NotClaimProvider", [who.address, id]];
          else if ("error" in outcome) [error, args] = outcome.error;
          const before = error === "NotClaimProvider" ? await snapshot(m, r) : "";
          const logs = await step(m, r, () => r.f.claims.connect(who).submitCorrection(sub(s), id, rec(record)), r.f.claims, error, args);
          if (error === "NotClaimProvider") expect(await snapshot(m, r), "a refused correction changed nothing").to.equal(before);
          if (error || "error" in outcome) return;
          const corrected = parse(r, logs).find((e) => e.name === "ClaimCorrected")!;
          expect([corrected.args.claimId, corrected.args.replaces, corrected.args.credit], "credited with what the chain committed").to.deep.equal([outcome.id, id, credit]);
          const reviewed = c.status === ClaimStatus.Pended || c.adjusted === true;
          retire(m, id, ClaimStatus.Replaced);
          expectEffects(r, logs, recordNewClaim(m, r, logs, outcome.id, s, credit, c.root, reviewed), "correct");
        },
        (m) => liveClaims(m).length > 0,
      ),
    ),
  // The provider voids a live claim billed in error: what its chain committed is owed back; insurer staff and another provider are refused.
  fc.record({ k: fc.nat(), by: fc.constantFrom(0, 0, 0, 1, 1, 2, 3, 4) }).map((x) =>
    cmd(
      `void(${JSON.stringify(x)})`,
      async (m, r) => {
        const [id, c] = pick(liveClaims(m), x.k);
        const { who, provider } = correctorOf(m, r, c.planId, x.by);
        const record = await r.sdk.claims.record(id);
        const owed = await committedOf(m, r, id);
        let error: string | undefined;
        let args: unknown[] | undefined;
        if (m.paused.claims) error = "EnforcedPause";
        else if (!provider) [error, args] = ["NotClaimProvider", [who.address, id]];
        const before = error === "NotClaimProvider" ? await snapshot(m, r) : "";
        const logs = await step(m, r, () => r.f.claims.connect(who).voidClaim(id, rec(record)), r.f.claims, error, args);
        if (error === "NotClaimProvider") expect(await snapshot(m, r), "a refused void changed nothing").to.equal(before);
        if (error) return;
        const voided = parse(r, logs).find((e) => e.name === "ClaimVoided")!;
        expect([voided.args.claimId, voided.args.by, voided.args.owed], "ClaimVoided(id, by, owed)").to.deep.equal([id, who.address, owed]);
        expect((await claimState(r.f.claims, id)).planPaid, "a voided claim commits nothing").to.equal(0n);
        retire(m, id, ClaimStatus.Voided);
        m.plans.get(c.planId)!.owed += owed;
        expectEffects(r, logs, owed > 0n ? [["OverpaymentRecorded", id, owed]] : [], "void");
      },
      (m) => liveClaims(m).length > 0,
    ),
  ),
  // Anyone (here the outsider) repays part of what the hospital owes a plan (k = 1..4 quarters, at least 1 unit), more than it owes (k = 0), or nothing (k = 5).
  fc.record({ plan: fc.nat(1), k: fc.nat(5) }).map((x) =>
    cmd(`repay(${JSON.stringify(x)})`, async (m, r) => {
      const planId = PLANS[x.plan];
      const book = m.plans.get(planId)!;
      const quarter = (book.owed * BigInt(x.k)) / 4n;
      const amount = x.k === 0 ? book.owed + 1n : x.k === 5 ? 0n : quarter > 0n ? quarter : 1n;
      let error: string | undefined;
      let args: unknown[] | undefined;
      if (m.paused.claims) error = "EnforcedPause";
      else if (amount === 0n) error = "ZeroAmount";
      else if (amount > book.owed) [error, args] = ["RepaymentExceedsOwed", [planId, HOSPITAL, amount, book.owed]];
      const logs = await step(m, r, () => r.f.claims.connect(r.f.outsider).repay(planId, HOSPITAL, amount), r.f.claims, error, args);
      if (error) return;
      book.owed -= amount;
      book.balance += amount;
      expectEffects(r, logs, [["OverpaymentRepaid", "", amount], ...drain(m, planId, 8)], "repay");
    }, (m) => m.plans.get(PLANS[x.plan])!.owed > 0n || x.k === 0 || x.k === 5),
  ),
];

/** Hostile calls: each must revert with exactly this error and leave the suite's state unchanged. */
type Hostile = (m: Model, r: Real) => { name: string; on: BaseContract; tx: () => Promise<{ wait(): Promise<{ logs: readonly Log[] } | null> }>; error: string; args: unknown[] } | undefined;
const HOSTILE: Hostile[] = [
  (m, r) => ({
    name: "outsider grants for a patient",
    on: r.f.consent,
    tx: () => r.f.consent.connect(r.f.relayer).grant(r.f.patient.address, accountGrantee(r.f.relayer.address), 1, 1, 0, m.now + DAY, COMMITMENT),
    error: m.paused.consent ? "EnforcedPause" : "NotPatientOrDelegate",
    args: m.paused.consent ? [] : [r.f.relayer.address, r.f.patient.address],
  }),
  (m, r) => ({ name: "doctor revokes a patient's grant", on: r.f.consent, tx: () => r.f.consent.connect(r.f.doctor).revoke(r.f.patient.address, accountGrantee(r.f.doctor.address)), error: "NotPatientOrDelegate", args: [r.f.doctor.address, r.f.patient.address] }),
  (m, r) => (m.paused.consent ? undefined : { name: "lab breaks the glass", on: r.f.consent, tx: () => r.f.consent.connect(r.f.labAdmin).breakGlass(r.f.patient.address, 1, hre.ethers.toBeHex(10_000 + m.reasons, 32), 60), error: "NotActiveProvider", args: [r.f.labAdmin.address] }),
  (m, r) => ({ name: "outsider sets the break-glass window", on: r.f.consent, tx: () => r.f.consent.connect(r.f.outsider).setBreakGlassWindow(60), error: "AccessManagedUnauthorized", args: [r.f.outsider.address] }),
  (m, r) => ({ name: "patient pauses consent", on: r.f.consent, tx: () => r.f.consent.connect(r.f.patient).pause(), error: "AccessManagedUnauthorized", args: [r.f.patient.address] }),
  (m, r) => ({ name: "outsider removes a patient's delegate", on: r.f.consent, tx: () => r.f.consent.connect(r.f.relayer).removeDelegate(r.f.patient.address, r.f.delegate.address), error: "NotPatientOrSelf", args: [r.f.relayer.address, r.f.patient.address, r.f.delegate.address] }),
  (m, r) => ({ name: "the insurer's adjuster anchors a record", on: r.f.records, tx: () => r.f.records.connect(r.f.adjuster).anchor(commitmentN(999_999, "hostile")), error: m.paused.records ? "EnforcedPause" : "NotAnchoringMember", args: m.paused.records ? [] : [r.f.adjuster.address, INSURER, 4] }),
  (m, r) => {
    const mine = [...m.versions.values()].find((v) => v.orgId === HOSPITAL && !v.retracted && !m.versions.has(vk(LAB, v.commitment)));
    if (!mine || m.suspended.has(LAB)) return undefined;
    return { name: "the lab retracts the hospital's record", on: r.f.records, tx: () => r.f.records.connect(r.f.labAdmin).retract(mine.commitment, 1), error: "CommitmentNotAnchored", args: [LAB, mine.commitment] };
  },
  (m, r) => ({ name: "outsider pauses the records", on: r.f.records, tx: () => r.f.records.connect(r.f.outsider).pause(), error: "AccessManagedUnauthorized", args: [r.f.outsider.address] }),
  (m, r) => (m.paused.claims ? undefined : { name: "the doctor withdraws a plan's escrow", on: r.f.claims, tx: () => r.f.claims.connect(r.f.doctor).withdraw(1n, 1n, r.f.doctor.address), error: "NotInsurerStaff", args: [r.f.doctor.address, INSURER] }),
  (m, r) => (m.paused.claims ? undefined : { name: "the rival insurer withdraws plan 1", on: r.f.claims, tx: () => r.f.claims.connect(r.f.rivalAdmin).withdraw(1n, 1n, r.f.rivalAdmin.address), error: "NotInsurerStaff", args: [r.f.rivalAdmin.address, INSURER] }),
  (m, r) => ({ name: "the rival insurer enrolls in plan 1", on: r.f.claims, tx: () => r.f.claims.connect(r.f.rivalAdjuster).enroll(1n, r.f.outsider.address, 1, 2), error: "NotInsurerStaff", args: [r.f.rivalAdjuster.address, INSURER] }),
  (m, r) => ({ name: "the hospital sets plan 2's benefits", on: r.f.claims, tx: () => r.f.claims.connect(r.f.hospitalAdmin).setBenefits(2n, [CODE.VISIT], [{ fee: 1n, copay: 0n, coinsuranceBps: 0, priorAuth: false, review: false, perClaimCap: 0n, costSharing: 0 }]), error: "NotInsurerStaff", args: [r.f.hospitalAdmin.address, RIVAL] }),
  // Labs and pharmacies bill (and name payees) like providers; an insurer does not, and a provider's non-admin member may not.
  (m, r) => ({ name: "the insurer's admin sets a payee", on: r.f.claims, tx: () => r.f.claims.connect(r.f.insurerAdmin).setPayee(r.f.insurerAdmin.address), error: "NotProviderAdmin", args: [r.f.insurerAdmin.address] }),
  (m, r) => ({ name: "the doctor sets the hospital's payee", on: r.f.claims, tx: () => r.f.claims.connect(r.f.doctor).setPayee(r.f.doctor.address), error: "NotProviderAdmin", args: [r.f.doctor.address] }),
  (m, r) => ({ name: "the insurer allows a token", on: r.f.claims, tx: () => r.f.claims.connect(r.f.insurerAdmin).setTokenAllowed(r.f.outsider.address, true), error: "AccessManagedUnauthorized", args: [r.f.insurerAdmin.address] }),
  (m, r) => ({ name: "the doctor suspends the insurer", on: r.f.registry, tx: () => r.f.registry.connect(r.f.doctor).suspendOrganization(INSURER), error: "AccessManagedUnauthorized", args: [r.f.doctor.address] }),
  (m, r) => ({ name: "the hospital admin adds a member to the lab", on: r.f.registry, tx: () => r.f.registry.connect(r.f.hospitalAdmin).addMember(LAB, r.f.outsider.address, true), error: "NotOrganizationAdmin", args: [r.f.hospitalAdmin.address, LAB] }),
  // Through an intermediate contract: the patient's and the doctor's own powers do not pass through it.
  (m, r) => ({
    name: "a patient's grant through an intermediary",
    on: r.f.consent,
    tx: () => r.f.intermediary.connect(r.f.patient).forward(r.f.consent.target, r.f.consent.interface.encodeFunctionData("grant", [r.f.patient.address, accountGrantee(r.f.outsider.address), 1, 1, 0, m.now + DAY, COMMITMENT])),
    error: m.paused.consent ? "EnforcedPause" : "NotPatientOrDelegate",
    args: m.paused.consent ? [] : [r.f.intermediary.target, r.f.patient.address],
  }),
  (m, r) => ({
    name: "the doctor's anchor through an intermediary",
    on: r.f.records,
    tx: () => r.f.intermediary.connect(r.f.doctor).forward(r.f.records.target, r.f.records.interface.encodeFunctionData("anchor", [commitmentN(999_998, "hostile")])),
    error: m.paused.records ? "EnforcedPause" : "NotAnchoringMember",
    args: m.paused.records ? [] : [r.f.intermediary.target, 0n, 0],
  }),
  // Only the billing provider corrects or voids its claims: not the insurer, not through an intermediary.
  (m, r) => {
    const [id] = liveClaims(m)[0] ?? [];
    if (!id || m.paused.claims) return undefined;
    return { name: "the insurer's admin voids the hospital's claim", on: r.f.claims, tx: async () => r.f.claims.connect(r.f.insurerAdmin).voidClaim(id, rec(await r.sdk.claims.record(id))), error: "NotClaimProvider", args: [r.f.insurerAdmin.address, id] };
  },
  (m, r) => {
    const [id] = liveClaims(m)[0] ?? [];
    if (!id || m.paused.claims) return undefined;
    return {
      name: "the doctor's void through an intermediary",
      on: r.f.claims,
      tx: async () => r.f.intermediary.connect(r.f.doctor).forward(r.f.claims.target, r.f.claims.interface.encodeFunctionData("voidClaim", [id, rec(await r.sdk.claims.record(id))])),
      error: "NotClaimProvider",
      args: [r.f.intermediary.target, id],
    };
  },
  (m, r) => ({
    name: "the insurer admin's withdrawal through an intermediary",
    on: r.f.claims,
    tx: () => r.f.intermediary.connect(r.f.insurerAdmin).forward(r.f.claims.target, r.f.claims.interface.encodeFunctionData("withdraw", [1n, 1n, r.f.insurerAdmin.address])),
    error: m.paused.claims ? "EnforcedPause" : "NotInsurerStaff",
    args: m.paused.claims ? [] : [r.f.intermediary.target, INSURER],
  }),
];

const hostileCommand = fc.nat().map((k) =>
  cmd(`hostile(#${k % HOSTILE.length})`, async (m, r) => {
    const h = HOSTILE[k % HOSTILE.length](m, r);
    if (!h) return;
    const before = await snapshot(m, r);
    await step(m, r, h.tx, h.on, h.error, h.args.length > 0 ? h.args : undefined);
    expect(await snapshot(m, r), `${h.name}: nothing changed`).to.equal(before);
  }),
);

const governanceCommands = [
  fc.constantFrom(HOSPITAL, LAB, INSURER, RIVAL).map((org) =>
    cmd(`toggleSuspension(${org})`, async (m, r) => {
      if (m.suspended.has(org)) {
        await step(m, r, () => r.f.registry.connect(r.f.registrar).reinstateOrganization(org));
        m.suspended.delete(org);
      } else {
        await step(m, r, () => r.f.registry.connect(r.f.pauser).suspendOrganization(org));
        m.suspended.add(org);
      }
    }),
  ),
  fc.constantFrom("consent" as const, "records" as const, "claims" as const).map((which) =>
    cmd(`togglePause(${which})`, async (m, r) => {
      const c = { consent: r.f.consent, records: r.f.records, claims: r.f.claims }[which].connect(r.f.pauser);
      await step(m, r, () => (m.paused[which] ? c.unpause() : c.pause()));
      m.paused[which] = !m.paused[which];
    }),
  ),
  fc.constant(
    cmd("heal", async (m, r) => {
      // Reinstates every suspended organization and unpauses every paused contract (so that long runs keep flowing).
      for (const org of [...m.suspended]) {
        await step(m, r, () => r.f.registry.connect(r.f.registrar).reinstateOrganization(org));
        m.suspended.delete(org);
      }
      for (const which of ["consent", "records", "claims"] as const) {
        if (!m.paused[which]) continue;
        await step(m, r, () => ({ consent: r.f.consent, records: r.f.records, claims: r.f.claims })[which].connect(r.f.pauser).unpause());
        m.paused[which] = false;
      }
    }),
  ),
  fc.oneof(fc.integer({ min: 1, max: 6 * 3600 }), fc.integer({ min: DAY, max: 3 * DAY }), fc.constant(31 * DAY)).map((n) =>
    cmd(`timeJump(${n})`, async (m) => {
      m.now += n;
      await time.increaseTo(m.now);
    }),
  ),
];

/** Claims steps, break-glass, opt-outs and healing (reinstate all, unpause all) weigh double, submissions four times, corrections five, voids four, decisions and hostile calls three times, so that decisions, appeals, corrections and attacks come up in short runs. */
/** Standing grants: the patient to the hospital (all classes, treatment and payment), the second patient to the lab admin's account (labs and sensitive classes, treatment). */
const STANDING = (f: SuiteFixture): [Signer, string, number, number][] => [
  [f.patient, organizationGrantee(HOSPITAL), ASSIGNED_CLASSES.reduce((a, c) => (a | (1 << c)) >>> 0, 0), (1 << PURPOSES.TREAT) | (1 << PURPOSES.HPAYMT)],
  [f.patient2, accountGrantee(f.labAdmin.address), mask([DATA_CLASSES.labs, DATA_CLASSES.hiv, DATA_CLASSES.genomics]), 1 << PURPOSES.TREAT],
];

/**
 * Three records anchored by the hospital, a $600 deposit (short: queues form early) in each plan
 * and a $300 visit paid by each (so that claims can flow, and be corrected or voided, from the
 * first step); the outsider holds tokens to repay what the hospital owes.
 */
const SEEDED = [1, 2, 3].map((n) => commitmentN(n, "seeded"));
const SEED_DEPOSIT = 600n * USD;
async function propertyFixture() {
  const f = await suiteFixture();
  for (const c of SEEDED) await f.records.connect(f.doctor).anchor(c);
  for (const planId of PLANS) await f.claims.connect(f.staff[Number(planId) as 1 | 2][0]).fund(planId, SEED_DEPOSIT);
  const yesterday = (await time.latest()) - ((await time.latest()) % DAY) - DAY;
  const seededClaims: { planId: bigint; id: string; s: ClaimSubmission; paid: bigint }[] = [];
  for (const planId of PLANS) {
    const s = submissionOf(planId, f.patient.address, yesterday, SEEDED[Number(planId) - 1], [{ code: CODE.VISIT, units: 1, charged: 300n * USD }]);
    const rc = await (await f.claims.connect(f.doctor).submit(sub(s))).wait();
    const paid = rc!.logs.map((l) => f.claims.interface.parseLog(l)).find((e) => e?.name === "ClaimPaid")!.args.amount as bigint;
    seededClaims.push({ planId, id: claimIdOf(s), s, paid });
  }
  // Anyone may repay what the hospital owes a plan: here the outsider, holding the plans' token.
  await f.token.mint(f.outsider.address, 1_000_000n * USD);
  await f.token.connect(f.outsider).approve(await f.claims.getAddress(), 1_000_000n * USD);
  // Standing consents, so that suspensions, pauses and time jumps meet live grants from the first step.
  const until = (await time.latest()) + 20 * DAY;
  for (const [who, grantee, classes, purposes] of STANDING(f)) await f.consent.connect(who).grant(who.address, grantee, classes, purposes, 0, until, COMMITMENT);
  const probe = await new PermissionProbe__factory(f.deployer).deploy();
  return { ...f, probe, standingUntil: until, seededClaims };
}

const BREAK_GLASS = consentCommands[6];
const OPT_OUT = consentCommands[7];
const SUBMIT = claimCommands[2];
const DECIDE = claimCommands[3];
const CORRECT = claimCommands[7];
const VOID = claimCommands[8];
const allCommands = [
  ...consentCommands,
  BREAK_GLASS,
  OPT_OUT,
  SUBMIT,
  SUBMIT,
  DECIDE,
  CORRECT,
  CORRECT,
  CORRECT,
  VOID,
  VOID,
  ...recordCommands,
  ...claimCommands,
  ...claimCommands,
  hostileCommand,
  hostileCommand,
  hostileCommand,
  ...governanceCommands,
  governanceCommands[2],
];

describe("[property] Suite invariants across participants, consent, records and claims (stateful property test)", function () {
  this.timeout(FUZZ_RUNS ? 0 : 600_000);

  it(`conserves money per plan, settles nothing twice, permits no access the model refuses, lets no hostile caller change anything, and only grows history (seed ${SEED}, ${RUNS} runs of up to ${MAX_COMMANDS} steps)`, async function () {
    await fc.assert(
      fc.asyncProperty(fc.commands(allCommands, { maxCommands: MAX_COMMANDS, size: "max" }), async (cmds) => {
        const f = await loadFixture(propertyFixture);
        const real: Real = {
          f,
          probe: f.probe,
          sdk: await f.connect(f.deployer),
          patients: [f.patient, f.patient2],
          accessors: [f.doctor, f.hospitalAdmin, f.labAdmin, f.adjuster, f.outsider],
          accessorOrg: [HOSPITAL, HOSPITAL, LAB, INSURER, 0n],
          grantees: [accountGrantee(f.doctor.address), accountGrantee(f.labAdmin.address), accountGrantee(f.outsider.address), organizationGrantee(HOSPITAL), organizationGrantee(LAB)],
          contracts: [f.registry, f.consent, f.records, f.claims],
        };
        const model: Model = {
          now: await time.latest(),
          paused: { consent: false, records: false, claims: false },
          suspended: new Set(),
          grants: new Map(STANDING(f).map(([who, grantee, classes, purposes]) => [key(who.address, grantee), { classes, purposes, from: 0, until: f.standingUntil }])),
          nonces: new Map(STANDING(f).map(([who, grantee]) => [key(who.address, grantee), 1n])),
          epochs: new Map(),
          delegates: new Map(),
          breakGlass: new Map(),
          optOut: new Set(),
          reasons: 0,
          signed: [],
          versions: new Map(SEEDED.map((c) => [vk(HOSPITAL, c), { orgId: HOSPITAL, commitment: c, version: 1, retracted: false, recordId: c }])),
          heads: new Map(SEEDED.map((c) => [vk(HOSPITAL, c), 1])),
          batches: new Map(),
          counter: 0,
          plans: new Map(
            f.seededClaims.map(({ planId, paid }) => [
              planId,
              {
                balance: SEED_DEPOSIT - paid,
                reserved: 0n,
                queue: [],
                owed: 0n,
                parked: 0n,
                // The fixture's deposit and payment predate the model: their events are booked here.
                ghost: openBooks(SEED_DEPOSIT, paid),
              },
            ]),
          ),
          claims: new Map(f.seededClaims.map(({ planId, id, s }) => [id, { planId, status: ClaimStatus.Approved, s, exposure: 0n, credit: 0n, root: id }])),
          // The fixture's claims cited the first two seeded records for the first patient.
          evidenceUse: f.seededClaims.reduce((use, { s }) => use.set(s.evidence, { member: s.member, live: (use.get(s.evidence)?.live ?? 0) + 1 }), new Map<string, { member: string; live: number }>()),
          gross: new Map(f.seededClaims.map(({ id, paid }) => [id, paid])),
          owedBy: new Map(),
          seen: new Map(),
          events: 0,
        };
        await checkAll(model, real);
        await fc.asyncModelRun(() => ({ model, real }), cmds);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    if (STATS) console.log(`${STATS.length} steps:`, Object.fromEntries([...new Set(STATS)].map((k) => [k, STATS.filter((s) => s === k).length])));
  });
});
