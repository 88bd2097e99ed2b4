/**
 * A stateful property test: random sequences of anchors, amendments (current, stale and future
 * versions), retractions, batch anchors and registrations of batch records, suspensions and
 * reinstatements, pauses and unpauses, by members of every kind and by
 * outsiders, run against the RecordRegistry and against a small model of version chains and
 * retractions, kept per organization as the registry keeps them (organizations anchor the same
 * commitments and roots, and only their own count for them). After every step the commitment it
 * touched, and after every sequence every commitment's state and every record's current version,
 * must equal the model's. Fixed seed (printed on failure by fast-check); modest run count.
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import fc from "fast-check";
import hre from "hardhat";
import { FastMerkleTree } from "../../sdk";
import type { RecordRegistry } from "../../typechain-types";
import { batchOf, HOSPITAL, LAB, PHARMACY, recordsFixture } from "../records/fixtures";

const SEED = 4_2026_11;
const NUM_RUNS = Number(process.env.PROPERTY_RUNS ?? 20);

type Fixture = Awaited<ReturnType<typeof recordsFixture>>;
type Signer = Fixture["doctor"];

interface Actor {
  readonly signer: Signer;
  /** The organization, 0n for an outsider or a non-anchoring kind (the insurer). */
  readonly orgId: bigint;
  readonly anchoring: boolean;
}

interface VersionModel {
  readonly orgId: bigint;
  readonly version: number;
  retracted: boolean;
}

/** The key of an organization's commitment, record or root: everything is kept per organization. */
const k = (orgId: bigint, x: string) => `${orgId}:${x}`;

interface Model {
  /** Every anchored commitment, by organization: k(orgId, commitment). */
  readonly versions: Map<string, VersionModel>;
  /** k(orgId, recordId) → current version. */
  readonly heads: Map<string, number>;
  /** Suspended organizations. */
  readonly suspended: Set<bigint>;
  /** Whether the registry is paused (anchoring and amending stop; retraction goes on). */
  paused: boolean;
  /** Anchored batches: k(orgId, root) → organization, root and the commitments of its (first-version) leaves. */
  readonly batches: Map<string, { readonly orgId: bigint; readonly root: string; readonly tree: FastMerkleTree; readonly commitments: readonly string[] }>;
}

interface Real {
  readonly f: Fixture;
  readonly records: RecordRegistry;
  readonly actors: readonly Actor[];
}

/** A commitment from a small space, so that duplicates happen. */
const commitment = (seed: number) => hre.ethers.keccak256(hre.ethers.toBeHex(seed + 1, 32));

/** Runs `tx` and returns the custom error name and arguments, or undefined when it succeeded. */
async function outcome(records: RecordRegistry, tx: Promise<unknown>): Promise<[string, unknown[]] | undefined> {
  try {
    await (await (tx as Promise<{ wait(): Promise<unknown> }>)).wait();
    return undefined;
  } catch (err) {
    const data = (err as { data?: string }).data;
    if (typeof data !== "string") throw err;
    const parsed = records.interface.parseError(data);
    if (!parsed) throw err;
    return [parsed.name, [...parsed.args]];
  }
}

/** The error the registry must give for `actor`'s membership, or undefined when it may anchor. */
function membershipError(m: Model, actor: Actor): [string, unknown[]] | undefined {
  if (!actor.anchoring) return ["NotAnchoringMember", [actor.signer.address]];
  if (m.suspended.has(actor.orgId)) return ["AnchoringOrganizationSuspended", [actor.orgId, actor.signer.address]];
  return undefined;
}

function expectOutcome(got: [string, unknown[]] | undefined, want: [string, unknown[]] | undefined): void {
  if (want === undefined) {
    expect(got, `expected success, got ${got?.[0]}`).to.equal(undefined);
    return;
  }
  expect(got?.[0]).to.equal(want[0]);
  want[1].forEach((arg, i) => expect(got![1][i]).to.equal(arg));
}

class AnchorCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly actor: number, readonly seed: number) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const actor = r.actors[this.actor];
    const c = commitment(this.seed);
    const got = await outcome(r.records, r.records.connect(actor.signer).anchor(c));
    // Another organization's anchor of the same commitment is its own: only the actor's counts.
    const existing = m.versions.get(k(actor.orgId, c));
    const want =
      (m.paused ? (["EnforcedPause", []] as [string, unknown[]]) : undefined) ??
      membershipError(m, actor) ??
      (existing ? (["CommitmentAlreadyAnchored", [c, actor.orgId]] as [string, unknown[]]) : undefined);
    expectOutcome(got, want);
    if (!want) {
      m.versions.set(k(actor.orgId, c), { orgId: actor.orgId, version: 1, retracted: false });
      m.heads.set(k(actor.orgId, c), 1);
    }
    await checkOne(m, r, actor.orgId, c, c);
  }
  toString = () => `anchor(actor ${this.actor}, c${this.seed})`;
}

class AmendCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly actor: number, readonly pick: number, readonly delta: number, readonly seed: number) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const actor = r.actors[this.actor];
    const ids = [...m.heads.keys()].map((key) => key.slice(key.indexOf(":") + 1));
    // Pick a known record (of any organization: another's is refused), or (one time in five) any
    // commitment, which may be a later version or unknown.
    const recordId = ids.length > 0 && this.pick % 5 !== 0 ? ids[this.pick % ids.length] : commitment(this.pick % 24);
    const current = m.heads.get(k(actor.orgId, recordId));
    const supersedes = Math.max(1, (current ?? 1) + this.delta);
    const c = commitment(this.seed);
    const got = await outcome(r.records, r.records.connect(actor.signer).amend(recordId, supersedes, c));
    const existing = m.versions.get(k(actor.orgId, c));
    let want: [string, unknown[]] | undefined = m.paused ? ["EnforcedPause", []] : undefined;
    want ??= membershipError(m, actor);
    if (!want && current === undefined) want = ["UnknownRecord", [actor.orgId, recordId]];
    if (!want && supersedes !== current) want = ["StaleVersion", [recordId, supersedes, current]];
    if (!want && existing) want = ["CommitmentAlreadyAnchored", [c, actor.orgId]];
    expectOutcome(got, want);
    if (!want) {
      m.versions.set(k(actor.orgId, c), { orgId: actor.orgId, version: current! + 1, retracted: false });
      m.heads.set(k(actor.orgId, recordId), current! + 1);
    }
    await checkOne(m, r, actor.orgId, c, recordId);
  }
  toString = () => `amend(actor ${this.actor}, pick ${this.pick}, delta ${this.delta}, c${this.seed})`;
}

class RetractCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly actor: number, readonly seed: number, readonly reason: number) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const actor = r.actors[this.actor];
    const c = commitment(this.seed);
    const got = await outcome(r.records, r.records.connect(actor.signer).retract(c, this.reason));
    // Only the actor's own anchor of `c` can be retracted: another organization's is out of reach.
    const v = m.versions.get(k(actor.orgId, c));
    let want: [string, unknown[]] | undefined = membershipError(m, actor);
    if (!want && !v) want = ["CommitmentNotAnchored", [actor.orgId, c]];
    if (!want && v!.retracted) want = ["AlreadyRetracted", [c]];
    expectOutcome(got, want);
    if (!want) v!.retracted = true;
    for (const org of ORGS) await checkOne(m, r, org, c);
  }
  toString = () => `retract(actor ${this.actor}, c${this.seed}, reason ${this.reason})`;
}

class SuspensionCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly org: bigint) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const { registry, pauser, registrar } = r.f;
    if (m.suspended.has(this.org)) {
      await (await registry.connect(registrar).reinstateOrganization(this.org)).wait();
      m.suspended.delete(this.org);
    } else {
      await (await registry.connect(pauser).suspendOrganization(this.org)).wait();
      m.suspended.add(this.org);
    }
  }
  toString = () => `toggle suspension of org ${this.org}`;
}

/** The anchoring organizations of the fixture. */
const ORGS = [HOSPITAL, LAB, PHARMACY];

/** Organization `orgId`'s commitment `c` (and its record's head) equals the model's. */
async function checkOne(m: Model, r: Real, orgId: bigint, c: string, recordId?: string): Promise<void> {
  const v = m.versions.get(k(orgId, c));
  const onChain = await r.records.recordVersion(orgId, c);
  expect([onChain.orgId, Number(onChain.version), onChain.retracted], c).to.deep.equal(v ? [v.orgId, v.version, v.retracted] : [0n, 0, false]);
  const head = recordId === undefined ? undefined : m.heads.get(k(orgId, recordId));
  if (head !== undefined) expect(Number(await r.records.currentVersion(orgId, recordId!))).to.equal(head);
}

class AnchorBatchCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly actor: number, readonly seeds: readonly number[]) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const actor = r.actors[this.actor];
    const commitments = this.seeds.map(commitment);
    const tree = batchOf(commitments, r.f.chainId, r.f.book.contracts.RecordRegistry);
    const got = await outcome(r.records, r.records.connect(actor.signer).anchorBatch(tree.root, commitments.length));
    const existing = m.batches.get(k(actor.orgId, tree.root));
    let want: [string, unknown[]] | undefined = m.paused ? ["EnforcedPause", []] : undefined;
    want ??= membershipError(m, actor);
    if (!want && existing) want = ["BatchAlreadyAnchored", [tree.root, actor.orgId]];
    expectOutcome(got, want);
    if (!want) m.batches.set(k(actor.orgId, tree.root), { orgId: actor.orgId, root: tree.root, tree, commitments });
  }
  toString = () => `anchorBatch(actor ${this.actor}, [${this.seeds.map((s) => `c${s}`).join(", ")}])`;
}

class RegisterBatchRecordCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number, readonly leaf: number) {}
  check = (m: Readonly<Model>) => m.batches.size > 0;
  async run(m: Model, r: Real): Promise<void> {
    const b = [...m.batches.values()][this.pick % m.batches.size];
    const i = this.leaf % b.commitments.length;
    const c = b.commitments[i];
    const got = await outcome(r.records, r.records.connect(r.f.outsider).registerBatchRecord(b.orgId, b.root, c, b.tree.getProof(i)));
    const existing = m.versions.get(k(b.orgId, c));
    let want: [string, unknown[]] | undefined = m.paused ? ["EnforcedPause", []] : undefined;
    if (!want && existing) want = ["CommitmentAlreadyAnchored", [c, b.orgId]];
    expectOutcome(got, want);
    if (!want) {
      m.versions.set(k(b.orgId, c), { orgId: b.orgId, version: 1, retracted: false });
      m.heads.set(k(b.orgId, c), 1);
    }
    await checkOne(m, r, b.orgId, c, c);
  }
  toString = () => `registerBatchRecord(batch ${this.pick}, leaf ${this.leaf})`;
}

class PauseCommand implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const records = r.records.connect(r.f.pauser);
    await (await (m.paused ? records.unpause() : records.pause())).wait();
    m.paused = !m.paused;
    expect(await r.records.paused()).to.equal(m.paused);
  }
  toString = () => "toggle pause";
}

/** Every commitment's state and every record's current version equal the model's. */
async function checkState(m: Model, r: Real): Promise<void> {
  for (const [key, v] of m.versions) {
    const c = key.slice(key.indexOf(":") + 1);
    const onChain = await r.records.recordVersion(v.orgId, c);
    expect([onChain.orgId, Number(onChain.version), onChain.retracted], key).to.deep.equal([v.orgId, v.version, v.retracted]);
    expect(await r.records.commitmentStatus(v.orgId, c)).to.deep.equal([true, v.retracted]);
  }
  for (const [key, head] of m.heads) {
    const [org, id] = [BigInt(key.slice(0, key.indexOf(":"))), key.slice(key.indexOf(":") + 1)];
    expect(Number(await r.records.currentVersion(org, id))).to.equal(head);
  }
  // Every organization's batches are its own: each answers for its organization only.
  for (const b of m.batches.values()) expect((await r.records.batch(b.orgId, b.root)).orgId).to.equal(b.orgId);
}

describe("[property] records: stateful property (model of version chains and retractions)", function () {
  it("keeps the registry equal to the model under random sequences of operations", async function () {
    const actorIndex = fc.integer({ min: 0, max: 5 });
    const seed = fc.integer({ min: 0, max: 23 });
    const commands = [
      fc.tuple(actorIndex, seed).map(([a, s]) => new AnchorCommand(a, s)),
      fc.tuple(actorIndex, fc.nat(100), fc.integer({ min: -1, max: 1 }), seed).map(([a, p, d, s]) => new AmendCommand(a, p, d, s)),
      fc.tuple(actorIndex, seed, fc.integer({ min: 1, max: 4 })).map(([a, s, reason]) => new RetractCommand(a, s, reason)),
      fc.constantFrom(HOSPITAL, LAB).map((org) => new SuspensionCommand(org)),
      fc.constant(null).map(() => new PauseCommand()),
      fc.tuple(actorIndex, fc.array(seed, { minLength: 1, maxLength: 3 })).map(([a, seeds]) => new AnchorBatchCommand(a, seeds)),
      fc.tuple(fc.nat(10), fc.nat(10)).map(([p, l]) => new RegisterBatchRecordCommand(p, l)),
    ];
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 25 }), async (cmds) => {
        const f = await loadFixture(recordsFixture);
        const actors: Actor[] = [
          { signer: f.doctor, orgId: HOSPITAL, anchoring: true },
          { signer: f.nurse, orgId: HOSPITAL, anchoring: true },
          { signer: f.labAdmin, orgId: LAB, anchoring: true },
          { signer: f.pharmacist, orgId: PHARMACY, anchoring: true },
          { signer: f.insurerAdmin, orgId: 3n, anchoring: false },
          { signer: f.outsider, orgId: 0n, anchoring: false },
        ];
        const model: Model = { versions: new Map(), heads: new Map(), suspended: new Set(), paused: false, batches: new Map() };
        const real: Real = { f, records: f.records, actors };
        await fc.asyncModelRun(() => ({ model, real }), cmds);
        await checkState(model, real);
      }),
      { seed: SEED, numRuns: NUM_RUNS, verbose: true },
    );
  });
});
