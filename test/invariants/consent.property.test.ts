/**
 * Stateful property test: random sequences of grants, revocations, delegations, break-glass,
 * opt-outs, suspensions, pauses and time jumps (including jumps onto the exact second a grant,
 * delegate term or break-glass ends) are run against the ConsentRegistry and against a small
 * TypeScript model; after every step `isPermitted` is compared for every (patient, accessor,
 * class, purpose), unassigned classes and purposes included.
 *
 * Seed fixed (CONSENT_PROPERTY_SEED to change it), runs modest (CONSENT_PROPERTY_RUNS); fast-check
 * prints the seed and the shrunk command sequence on failure.
 */
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import fc from "fast-check";
import hre from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { accountGrantee, DATA_CLASSES, GENERAL_CLASSES_MASK, organizationGrantee, PURPOSES, SENSITIVE_CLASSES_MASK } from "../../sdk";
import { ConsentProbe__factory, type ConsentProbe, type ConsentRegistry, type ParticipantRegistry } from "../../typechain-types";
import { COMMITMENT, consentFixture, now } from "../consent/fixtures";

/** Under solidity-coverage every call is instrumented (about 50 times slower): one short run there. */
const COVERAGE = (hre as unknown as { __SOLIDITY_COVERAGE_RUNNING?: boolean }).__SOLIDITY_COVERAGE_RUNNING === true;
const SEED = Number(process.env.CONSENT_PROPERTY_SEED ?? 20261121);
const RUNS = Number(process.env.CONSENT_PROPERTY_RUNS ?? (COVERAGE ? 1 : 6));
const MAX_COMMANDS = COVERAGE ? 6 : 25;
const CLASS_COUNT = 22; // 0..21: every assigned class and the unassigned 13..15 and 21
const PURPOSE_COUNT = 7; // 0..6: every purpose and the unassigned 6
const ETREAT = PURPOSES.ETREAT;
const WINDOW = 4 * 3600;
const ASSIGNED_CLASSES = Object.values(DATA_CLASSES);
const ASSIGNED_PURPOSES = Object.values(PURPOSES);

interface Grant {
  classes: number;
  purposes: number;
  from: number;
  until: number;
}

interface Model {
  now: number;
  paused: boolean;
  suspended: Set<number>;
  grants: Map<string, Grant>; // `${patient}|${granteeKey}`
  delegates: Map<string, Delegation>; // `${patient}|${delegate}`
  breakGlass: Map<string, { orgId: number; until: number }>; // `${patient}|${accessor}`
  optOut: Set<number>;
  reasons: number;
}

interface Real {
  consent: ConsentRegistry;
  registry: ParticipantRegistry;
  probe: ConsentProbe;
  patients: HardhatEthersSigner[];
  accessors: HardhatEthersSigner[]; // doctor (org 1), nurse (org 1), labAdmin (org 2), outsider
  delegates: HardhatEthersSigner[];
  pauser: HardhatEthersSigner;
  registrar: HardhatEthersSigner;
}

/** The organization of each accessor (0: none) and whether it is a provider. */
const ACCESSOR_ORG = [1, 1, 2, 0];
const PROVIDER_ORGS = new Set([1]);
/** Grantees: the four accessors' accounts, then organizations 1 and 2. */
const GRANTEE_COUNT = 6;

function granteeOf(r: Real, g: number): string {
  return g < 4 ? accountGrantee(r.accessors[g].address) : organizationGrantee(g - 3);
}

function covers(g: Grant | undefined, c: number, u: number, t: number): boolean {
  return !!g && c < 32 && ((g.classes >>> c) & 1) === 1 && ((g.purposes >> u) & 1) === 1 && g.from <= t && t < g.until;
}

function modelPermitted(m: Model, r: Real, p: number, a: number, c: number, u: number, t: number): boolean {
  const patient = r.patients[p].address;
  if (covers(m.grants.get(`${patient}|${accountGrantee(r.accessors[a].address)}`), c, u, t)) return true;
  const org = ACCESSOR_ORG[a];
  if (org === 0 || m.suspended.has(org)) return false;
  if (covers(m.grants.get(`${patient}|${organizationGrantee(org)}`), c, u, t)) return true;
  if (u !== ETREAT || ((GENERAL_CLASSES_MASK >>> c) & 1) !== 1 || m.optOut.has(p)) return false;
  const bg = m.breakGlass.get(`${patient}|${r.accessors[a].address}`);
  return !!bg && bg.orgId === org && t < bg.until;
}

/** The caller of a patient-side action: 0 the patient, 1 its first delegate candidate, 2 the second. */
function callerOf(r: Real, p: number, via: number): HardhatEthersSigner {
  return via === 0 ? r.patients[p] : r.delegates[via - 1];
}

function authorized(m: Model, r: Real, p: number, via: number, t: number): boolean {
  return via === 0 || (delegationOf(m, r, p, via)?.until ?? 0) > t;
}

/** A patient's appointment of a delegate: its term and scope. */
interface Delegation {
  until: number;
  classes: number;
  purposes: number;
  representative: boolean;
}

function delegationOf(m: Model, r: Real, p: number, via: number): Delegation | undefined {
  return via === 0 ? undefined : m.delegates.get(`${r.patients[p].address}|${r.delegates[via - 1].address}`);
}

/** Why the contract refuses a delegate's grant (undefined: within its scope and term). Grantees are never the delegates themselves. */
function delegateRefusal(d: Delegation | undefined, classes: number, purposes: number, until: number): string | undefined {
  if (d === undefined) return undefined;
  if ((classes & ~d.classes) !== 0 || (purposes & ~d.purposes) !== 0) return "DelegateScopeExceeded";
  return until > d.until ? "DelegateGrantOutlivesDelegation" : undefined;
}

/** Sends `tx` in the next block at exactly model.now + 1; expects `error` (a custom error name) or success. */
async function step(m: Model, r: Real, tx: () => Promise<unknown>, error?: string): Promise<void> {
  const t = m.now + 1;
  await time.setNextBlockTimestamp(t);
  if (error) {
    await expect(tx()).to.be.revertedWithCustomError(r.consent, error);
  } else {
    await tx();
  }
  // A refused transaction may or may not have been mined (at t): follow the chain.
  m.now = await now();
}

async function checkAll(m: Model, r: Real): Promise<void> {
  // One probe call per (patient, accessor): the node keeps a trace per call, so smaller calls keep memory flat.
  for (let p = 0; p < r.patients.length; p++)
    for (let a = 0; a < r.accessors.length; a++) {
      const [at, answers] = await r.probe.permissions(await r.consent.getAddress(), [r.patients[p].address], [r.accessors[a].address], CLASS_COUNT, PURPOSE_COUNT);
      let i = 0;
      for (let c = 0; c < CLASS_COUNT; c++)
        for (let u = 0; u < PURPOSE_COUNT; u++) {
          const expected = modelPermitted(m, r, p, a, c, u, Number(at));
          if (answers[i++] !== expected) {
            throw new Error(`isPermitted(patient ${p}, accessor ${a}, class ${c}, purpose ${u}) at ${at}: chain ${!expected}, model ${expected}`);
          }
        }
    }
}

type Cmd = fc.AsyncCommand<Model, Real>;
const cmd = (name: string, run: (m: Model, r: Real) => Promise<void>): Cmd => ({
  check: () => true,
  run: async (m, r) => {
    await run(m, r);
    await checkAll(m, r);
  },
  toString: () => name,
});

const mask = (positions: number[]) => positions.reduce((acc, b) => (acc | (1 << b)) >>> 0, 0);
const p = fc.integer({ min: 0, max: 1 });
const via = fc.integer({ min: 0, max: 2 });

const commands = [
  fc
    .record({
      p,
      via,
      g: fc.integer({ min: 0, max: GRANTEE_COUNT - 1 }),
      classes: fc.subarray(ASSIGNED_CLASSES, { minLength: 1 }),
      purposes: fc.subarray(ASSIGNED_PURPOSES, { minLength: 1 }),
      fromOffset: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 3 * 86_400 })),
      duration: fc.integer({ min: 2, max: 3 * 86_400 }),
    })
    .map((x) =>
      cmd(`grant(${JSON.stringify(x)})`, async (m, r) => {
        const from = x.fromOffset < 0 ? 0 : m.now + x.fromOffset;
        const until = (from === 0 ? m.now : from) + x.duration;
        const t = m.now + 1;
        const error = m.paused
          ? "EnforcedPause"
          : !authorized(m, r, x.p, x.via, t)
            ? "NotPatientOrDelegate"
            : delegateRefusal(delegationOf(m, r, x.p, x.via), mask(x.classes), mask(x.purposes), until);
        const patient = r.patients[x.p].address;
        const grantee = granteeOf(r, x.g);
        await step(m, r, () => r.consent.connect(callerOf(r, x.p, x.via)).grant(patient, grantee, mask(x.classes), mask(x.purposes), from, until, COMMITMENT), error);
        if (!error) m.grants.set(`${patient}|${grantee}`, { classes: mask(x.classes), purposes: mask(x.purposes), from, until });
      }),
    ),
  fc.record({ p, via, g: fc.integer({ min: 0, max: GRANTEE_COUNT - 1 }) }).map((x) =>
    cmd(`revoke(${JSON.stringify(x)})`, async (m, r) => {
      const patient = r.patients[x.p].address;
      const grantee = granteeOf(r, x.g);
      const key = `${patient}|${grantee}`;
      const error = !authorized(m, r, x.p, x.via, m.now + 1) ? "NotPatientOrDelegate" : !m.grants.has(key) ? "GrantNotFound" : undefined;
      await step(m, r, () => r.consent.connect(callerOf(r, x.p, x.via)).revoke(patient, grantee), error);
      if (!error) m.grants.delete(key);
    }),
  ),
  fc
    .record({
      p,
      d: fc.integer({ min: 0, max: 1 }),
      duration: fc.integer({ min: 1, max: 2 * 86_400 }),
      // Mostly wide scopes (so that delegates' grants flow), sometimes narrow ones.
      classes: fc.oneof(fc.constant(ASSIGNED_CLASSES), fc.subarray(ASSIGNED_CLASSES, { minLength: 1 })),
      purposes: fc.oneof(fc.constant(ASSIGNED_PURPOSES), fc.subarray(ASSIGNED_PURPOSES, { minLength: 1 })),
      representative: fc.boolean(),
    })
    .map((x) =>
      cmd(`appointDelegate(${JSON.stringify(x)})`, async (m, r) => {
        const until = m.now + 1 + x.duration;
        const d: Delegation = { until, classes: mask(x.classes), purposes: mask(x.purposes), representative: x.representative };
        const error = m.paused ? "EnforcedPause" : !d.representative && (d.classes & SENSITIVE_CLASSES_MASK) !== 0 ? "InvalidDelegateScope" : undefined;
        await step(m, r, () => r.consent.connect(r.patients[x.p]).appointDelegate(r.delegates[x.d].address, until, d.classes, d.purposes, d.representative), error);
        if (!error) m.delegates.set(`${r.patients[x.p].address}|${r.delegates[x.d].address}`, d);
      }),
    ),
  fc.record({ p, d: fc.integer({ min: 0, max: 1 }), byDelegate: fc.boolean() }).map((x) =>
    cmd(`removeDelegate(${JSON.stringify(x)})`, async (m, r) => {
      const key = `${r.patients[x.p].address}|${r.delegates[x.d].address}`;
      const error = m.delegates.has(key) ? undefined : "DelegateNotFound";
      const caller = x.byDelegate ? r.delegates[x.d] : r.patients[x.p];
      await step(m, r, () => r.consent.connect(caller).removeDelegate(r.patients[x.p].address, r.delegates[x.d].address), error);
      if (!error) m.delegates.delete(key);
    }),
  ),
  fc.record({ a: fc.integer({ min: 0, max: 3 }), p, duration: fc.integer({ min: 1, max: WINDOW }) }).map((x) =>
    cmd(`breakGlass(${JSON.stringify(x)})`, async (m, r) => {
      const org = ACCESSOR_ORG[x.a];
      const error = m.paused
        ? "EnforcedPause"
        : !PROVIDER_ORGS.has(org) || m.suspended.has(org)
          ? "NotActiveProvider"
          : m.optOut.has(x.p)
            ? "BreakGlassOptedOut"
            : undefined;
      const ref = "0x" + (++m.reasons).toString(16).padStart(64, "0");
      await step(m, r, () => r.consent.connect(r.accessors[x.a]).breakGlass(r.patients[x.p].address, 1, ref, x.duration), error);
      if (!error) m.breakGlass.set(`${r.patients[x.p].address}|${r.accessors[x.a].address}`, { orgId: org, until: m.now + x.duration });
    }),
  ),
  // Out and back in at once (the patient itself): openings made before must stay ended.
  fc.record({ p }).map((x) =>
    cmd(`optOutAndBackIn(${JSON.stringify(x)})`, async (m, r) => {
      const patient = r.patients[x.p];
      await step(m, r, () => r.consent.connect(patient).setBreakGlassOptOut(patient.address, true), undefined);
      await step(m, r, () => r.consent.connect(patient).setBreakGlassOptOut(patient.address, false), undefined);
      m.optOut.delete(x.p);
      for (const k of [...m.breakGlass.keys()]) if (k.startsWith(`${patient.address}|`)) m.breakGlass.delete(k);
    }),
  ),
  fc.record({ p, via, optedOut: fc.boolean() }).map((x) =>
    cmd(`setBreakGlassOptOut(${JSON.stringify(x)})`, async (m, r) => {
      // The patient's alone, or a full representative's in force.
      const d = delegationOf(m, r, x.p, x.via);
      const error = x.via === 0 || (d !== undefined && d.representative && d.until > m.now + 1) ? undefined : "NotPatientOrRepresentative";
      await step(m, r, () => r.consent.connect(callerOf(r, x.p, x.via)).setBreakGlassOptOut(r.patients[x.p].address, x.optedOut), error);
      if (!error) {
        // Opting out ends every opening on the patient for good (opting back in revives none).
        if (x.optedOut) {
          m.optOut.add(x.p);
          for (const k of [...m.breakGlass.keys()]) if (k.startsWith(`${r.patients[x.p].address}|`)) m.breakGlass.delete(k);
        } else m.optOut.delete(x.p);
      }
    }),
  ),
  fc.integer({ min: 1, max: 2 }).map((org) =>
    cmd(`toggleSuspension(${org})`, async (m, r) => {
      if (m.suspended.has(org)) {
        await step(m, r, () => r.registry.connect(r.registrar).reinstateOrganization(org));
        m.suspended.delete(org);
      } else {
        await step(m, r, () => r.registry.connect(r.pauser).suspendOrganization(org));
        m.suspended.add(org);
      }
    }),
  ),
  fc.constant(
    cmd("togglePause", async (m, r) => {
      await step(m, r, () => (m.paused ? r.consent.connect(r.pauser).unpause() : r.consent.connect(r.pauser).pause()));
      m.paused = !m.paused;
    }),
  ),
  fc.integer({ min: 1, max: 2 * 86_400 }).map((n) =>
    cmd(`timeJump(${n})`, async (m) => {
      m.now += n;
      await time.increaseTo(m.now);
    }),
  ),
  fc.record({ k: fc.nat(), before: fc.boolean() }).map((x) =>
    cmd(`jumpToBoundary(${JSON.stringify(x)})`, async (m) => {
      // Onto the exact second something starts or ends (or the second before it).
      const ends = [...m.grants.values()].flatMap((g) => [g.from, g.until]).concat([...m.delegates.values()].map((d) => d.until), [...m.breakGlass.values()].map((b) => b.until));
      const future = [...new Set(ends.map((e) => e - (x.before ? 1 : 0)))].filter((e) => e > m.now).sort((a, b) => a - b);
      if (future.length === 0) return;
      m.now = future[x.k % future.length];
      await time.increaseTo(m.now);
    }),
  ),
];

describe("[property] ConsentRegistry property: isPermitted equals the model after every step", function () {
  this.timeout(600_000);

  it(`holds for random sequences (seed ${SEED}, ${RUNS} runs)`, async function () {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: MAX_COMMANDS, size: "max" }), async (cmds) => {
        const f = await loadFixture(consentFixture);
        const probe = await new ConsentProbe__factory(f.deployer).deploy();
        const real: Real = {
          consent: f.consent,
          registry: f.registry,
          probe,
          patients: [f.patient, f.patient2],
          accessors: [f.doctor, f.nurse, f.labAdmin, f.outsider],
          delegates: [f.delegate, f.stranger],
          pauser: f.pauser,
          registrar: f.registrar,
        };
        const model: Model = { now: await now(), paused: false, suspended: new Set(), grants: new Map(), delegates: new Map(), breakGlass: new Map(), optOut: new Set(), reasons: 0 };
        await checkAll(model, real);
        await fc.asyncModelRun(() => ({ model, real }), cmds);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
  });
});
