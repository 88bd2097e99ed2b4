/**
 * What may leave: for each stored resource, decided on chain at one block for the whole request — the
 * requester's standing in the participant registry and the patient's consent for every data class of the
 * resource and the request's purpose. The patient reads their own records without a grant (right of
 * access). Every resource released gets one receipt per data class, written before the response leaves.
 */
import { accessNonces, accessReference } from "../sdk/consent/encoding";
import { ALL_CLASSES_MASK, classMask, purposeMask } from "../sdk/consent/vocab";
import type { CareLedger } from "../sdk/careledger";
import { attachEvidence } from "../sdk/exchange/evidence";
import { ValidationError } from "../sdk/errors";
import { UNCLASSIFIED_DATA_CLASS } from "../sdk/exchange/receipts";
import type { Block } from "ethers";
import type { Authenticated } from "./auth";
import { Batcher, withTimeout } from "./batch";
import { chainDown, databaseDown, GatewayError } from "./fhir";
import type { NewDisclosure, ReceiptStore, ReleasedReceipt } from "./receipts";
import type { RecordRow, RecordStore } from "./store";


/** A decision for one request: the block it was taken at and who is asking. */
export interface Decision {
  readonly block: bigint;
  /** The block's hash: the state read at it never changes, so reads at it are asked once (see {@link BlockReads}). */
  readonly blockHash: string;
  /** The block's time (seconds): a delegation is in force while its `until` is after it. */
  readonly blockTime: number;
  readonly requester: string;
  /** The requester's organization when it is an active member (0n when it is not). */
  readonly orgId: bigint;
  readonly active: boolean;
  /** Whether the holding organization itself is suspended at `block`. */
  readonly holderSuspended: boolean;
}

/** The chain cannot be read to decide: nothing is released. */
function consentUnreadable(): GatewayError {
  return chainDown(", so consent cannot be checked");
}

function purposeMaskOf(purposes: readonly string[]): number {
  return purposes.length === 0 ? 0 : purposeMask("purposes", purposes);
}

/** The bit positions set in a class mask. */
export function classBits(mask: number): number[] {
  const out: number[] = [];
  for (let bit = 0; bit < 32; bit++) if ((mask >>> bit) & 1) out.push(bit);
  return out;
}

/** How many recent blocks' answers are kept, and how many answers one block keeps at most. */
const KEEP_BLOCKS = 4;
const MAX_ANSWERS_PER_BLOCK = 100_000;
/**
 * How long a read of the chain may take before the requests waiting on it are refused (503) and it is
 * forgotten: a node that never answers one read must not stall every request after it.
 */
export const CHAIN_READ_TIMEOUT_MS = 5_000;
/** How long a request waits on a read at its block that another request started, before asking itself. */
export const JOIN_PATIENCE_MS = 1_000;

/**
 * State reads at a block, asked of the chain once: the state at a block hash never changes, so the
 * same question at the same block (a requester's standing, a patient's consent for a class and purpose,
 * a record's status) has the same answer for every request decided there. Answers are kept for the
 * last few blocks only; a read that fails, or does not answer within `timeoutMs`, is forgotten, so the
 * next request asks again.
 */
export class BlockReads {
  readonly #blocks = new Map<string, Map<string, Entry>>();
  readonly #timeoutMs: number;
  readonly #patienceMs: number;

  /**
   * @param timeoutMs how long one read may take before it fails (and is forgotten)
   * @param patienceMs how long a request waits on a read another request started before it asks again
   *   itself (the fresh read then replaces it): a read that hangs costs the requests after it this much
   */
  constructor(timeoutMs: number = CHAIN_READ_TIMEOUT_MS, patienceMs: number = JOIN_PATIENCE_MS) {
    this.#timeoutMs = timeoutMs;
    this.#patienceMs = patienceMs;
  }

  read<T>(blockHash: string, question: string, ask: () => Promise<T>): Promise<T> {
    let answers = this.#blocks.get(blockHash);
    if (answers === undefined) {
      answers = new Map();
      this.#blocks.set(blockHash, answers);
      for (const old of this.#blocks.keys()) {
        if (this.#blocks.size <= KEEP_BLOCKS) break;
        this.#blocks.delete(old);
      }
    }
    const known = answers.get(question);
    if (known === undefined) return this.#ask(answers, question, ask);
    if (known.settled) return known.answer as Promise<T>;
    // Under way: wait a little for it, then ask again rather than share a read that may never answer.
    const kept = answers;
    let timer: NodeJS.Timeout | undefined;
    const impatient = new Promise<typeof IMPATIENT>((resolve) => {
      timer = setTimeout(() => resolve(IMPATIENT), this.#patienceMs);
    });
    return Promise.race([known.answer as Promise<T>, impatient])
      .then((v) => (v === IMPATIENT ? this.#ask(kept, question, ask) : v))
      .finally(() => clearTimeout(timer));
  }

  #ask<T>(answers: Map<string, Entry>, question: string, ask: () => Promise<T>): Promise<T> {
    const answer = withTimeout(ask(), this.#timeoutMs);
    if (answers.size < MAX_ANSWERS_PER_BLOCK || answers.has(question)) {
      const entry: Entry = { answer, settled: false };
      answers.set(question, entry);
      answer.then(
        () => {
          entry.settled = true;
        },
        () => {
          if (answers.get(question) === entry) answers.delete(question);
        },
      );
    }
    return answer;
  }
}

/** A read kept by {@link BlockReads}: its answer, and whether it has come. */
interface Entry {
  readonly answer: Promise<unknown>;
  settled: boolean;
}

const IMPATIENT = Symbol("impatient");

export class Releaser {
  readonly #careledger: CareLedger;
  readonly #store: RecordStore;
  readonly #receipts: ReceiptStore;
  readonly #orgId: bigint;
  readonly #reads = new BlockReads();
  /**
   * The chain's latest block, read once for the requests that arrived while the last read was under
   * way (gateway/batch.ts): every request is decided at a block read after it arrived.
   */
  readonly #latest: Batcher<null, Block>;

  constructor(careledger: CareLedger, store: RecordStore, receipts: ReceiptStore, holderOrgId: bigint) {
    this.#careledger = careledger;
    const provider = careledger.runner.provider ?? (careledger.runner as unknown as NonNullable<CareLedger["runner"]["provider"]>);
    this.#latest = new Batcher(
      async (waiting) => {
        const latest = await provider.getBlock("latest");
        if (latest === null) throw new Error("no latest block");
        return waiting.map(() => latest);
      },
      // A read that hangs fails its own round after the timeout; rounds after it go on beside it.
      { inFlight: 2, timeoutMs: CHAIN_READ_TIMEOUT_MS },
    );
    this.#store = store;
    this.#receipts = receipts;
    this.#orgId = holderOrgId;
  }

  /** Pins the request to the chain's current block and reads the requester's standing there. */
  async decide(auth: Authenticated): Promise<Decision> {
    let decision: Decision;
    try {
      const latest = await this.#latest.submit(null);
      const block = BigInt(latest.number);
      const blockHash = latest.hash;
      if (blockHash === null) throw new Error("the latest block has no hash");
      const requester = auth.request.requester;
      const [m, holder] = await Promise.all([
        this.#reads.read(blockHash, `member:${requester}`, () => this.#careledger.participants.isActiveMember(requester, { blockTag: block })),
        this.#reads.read(blockHash, "holder", () => this.#careledger.participants.organization(this.#orgId, { blockTag: block })),
      ]);
      decision = { block, blockHash, blockTime: latest.timestamp, requester, orgId: m.orgId, active: m.active, holderSuspended: holder.suspended };
    } catch {
      throw consentUnreadable();
    }
    // A suspended holder releases nothing: its receipts could not be anchored, so nothing it released
    // could be accounted for.
    if (decision.holderSuspended) throw new GatewayError(503, "transient", `this gateway's organization ${this.#orgId} is suspended at block ${decision.block}: it releases nothing`);
    return decision;
  }

  /**
   * Which of `rows` the decision permits (in order): the requester's own (or delegated) records, and,
   * for an active member, those the patient's consent permits for every class; never a retracted
   * version, nor a superseded one unless `options.superseded` (a record's history, asked for by version).
   * Anything else is left out silently (no answer tells what is held).
   * @throws {GatewayError} 503 when the chain cannot be read
   */
  async permitted(decision: Decision, purpose: number, rows: readonly RecordRow[], options: { superseded?: boolean } = {}): Promise<RecordRow[]> {
    const { block, blockHash, requester } = decision;
    const ask = <T>(question: string, read: () => Promise<T>) => this.#reads.read(blockHash, question, read);
    // The patient's own records, and a delegate's within its scope (the right of access, exercised by
    // the patient or for the patient), need no grant.
    const scopeOf = (patient: string) =>
      ask(`delegation:${patient}:${requester}`, () =>
        this.#careledger.consent.delegation(patient, requester, { blockTag: block }).then((d) =>
          d.until > decision.blockTime && d.classes.length > 0 ? { classes: classMask("classes", d.classes), purposes: purposeMaskOf(d.purposes) } : undefined,
        ),
      );
    const own = async (row: RecordRow): Promise<boolean> => {
      if (row.patient === requester.toLowerCase()) return true;
      const scope = await scopeOf(row.patient);
      return scope !== undefined && row.classes !== 0 && (row.classes & ~scope.classes) === 0 && ((scope.purposes >>> purpose) & 1) === 1;
    };
    const allows = (patient: string, dataClass: number): Promise<boolean> =>
      ask(`permitted:${patient}:${requester}:${dataClass}:${purpose}`, () =>
        this.#careledger.consent.isPermitted({ patient, accessor: requester, dataClass, purpose }, { blockTag: block }),
      );
    const releasable = async (row: RecordRow): Promise<boolean> => {
      if (row.shredded) return false;
      let allowed = await own(row);
      // Anyone else needs standing (an active member; silently nothing otherwise, so that the answer
      // tells a stranger nothing about what is held) and the patient's consent for every class.
      if (!allowed && decision.active && row.withheld === null && row.classes !== 0 && (row.classes & ~ALL_CLASSES_MASK) === 0) {
        allowed = (await Promise.all(classBits(row.classes).map((c) => allows(row.patient, c)))).every(Boolean);
      }
      return allowed && (await this.#current(decision, row, options.superseded === true));
    };
    let verdicts: boolean[];
    try {
      verdicts = await Promise.all(rows.map(releasable));
    } catch {
      throw consentUnreadable();
    }
    return rows.filter((_, i) => verdicts[i]);
  }

  /**
   * Which of a record's earlier versions `rows` the decision permits, for vread and history: none unless
   * the record's current version (`current`) is permitted too, so that what the holder says of the record
   * now (its classes, e.g. a result labelled sensitive since; its patient) governs every version of it.
   */
  async permittedVersions(decision: Decision, purpose: number, rows: readonly RecordRow[], current: RecordRow | undefined): Promise<RecordRow[]> {
    if (current === undefined || current.state !== "anchored" || (await this.permitted(decision, purpose, [current])).length === 0) return [];
    return this.permitted(decision, purpose, rows, { superseded: true });
  }

  /**
   * Whether the chain holds the row's version as current (or, with `superseded`, as any version) and not
   * retracted at the decision's block (its holder may retract or amend it).
   */
  async #current(decision: Decision, row: RecordRow, superseded: boolean): Promise<boolean> {
    const { block, blockHash } = decision;
    const status = await this.#reads.read(blockHash, `status:${row.commitment}`, () => this.#careledger.records.commitmentStatus(row.commitment, this.#orgId, { blockTag: block }));
    if (status.retracted) return false;
    // A batch leaf never registered on its own was neither amended nor retracted (both register it first).
    if (!status.anchored || superseded) return true;
    const current = await this.#reads.read(blockHash, `version:${row.recordId}`, () => this.#careledger.records.currentVersion(row.recordId, this.#orgId, { blockTag: block }));
    return current <= row.version;
  }

  /**
   * Opens the permitted rows, writes their receipts durably (and spends the request's nonce with them, if
   * it is not spent yet), and only then returns the resources with their evidence attached. Rows whose
   * content is gone (shredded) are left out.
   * @throws {GatewayError} 503 when the database cannot open the records or write the receipts; 409 when
   *   the request's nonce was spent before (nothing written or released)
   */
  async release(auth: Authenticated, decision: Decision, rows: readonly RecordRow[]): Promise<object[]> {
    let contents;
    try {
      contents = await this.#store.contents(rows);
    } catch {
      throw databaseDown();
    }
    // One disclosure per patient the response is about (a search or $everything is about one).
    const disclosures = new Map<string, NewDisclosure & { receipts: ReleasedReceipt[] }>();
    const out: object[] = [];
    const nonces = accessNonces(rows.length);
    for (const [i, row] of rows.entries()) {
      const c = contents.get(row.seq);
      if (c === undefined) continue;
      let disclosure = disclosures.get(row.patient);
      if (disclosure === undefined) {
        disclosure = {
          requestDigest: auth.digest,
          requester: auth.request.requester,
          holderOrgId: this.#orgId,
          patient: row.patient,
          purpose: auth.request.purpose,
          permittedAtBlock: decision.block,
          request: auth.request,
          signature: auth.signature,
          receipts: [],
        };
        disclosures.set(row.patient, disclosure);
      }
      const ref = accessReference({ salt: c.salt, recordId: row.recordId }, nonces[i]);
      // The version released, so that the patient can tie the receipt to it (vread gives that version's salt).
      const resourceRef = `${row.resourceType}/${row.id}/_history/${row.version}`;
      const classes = row.classes === 0 ? [UNCLASSIFIED_DATA_CLASS] : classBits(row.classes);
      for (const dataClass of classes) {
        disclosure.receipts.push({ accessRef: ref.recordRef, accessNonce: ref.nonce, recordId: row.recordId, resourceRef, dataClass });
      }
      out.push(
        attachEvidence(c.resource, {
          salt: c.salt,
          proof: { root: row.root, orgId: this.#orgId, recordId: row.recordId, version: row.version, commitment: row.commitment, proof: row.proof },
        }),
      );
    }
    // A receipt that could never be anchored is never written (the store refuses it), and nothing is released
    // for it. A request whose nonce is not spent yet spends it with its receipts: none are written, and
    // nothing is released, for a request served before (409).
    const { request } = auth;
    try {
      const written = await this.#receipts.insert([...disclosures.values()], auth.nonceSpent ? undefined : { requester: request.requester, nonce: request.nonce, expiresAt: request.expiresAt });
      if (written) auth.nonceSpent = true;
    } catch (err) {
      if (err instanceof ValidationError || err instanceof GatewayError) throw err;
      throw databaseDown();
    }
    return out;
  }
}
