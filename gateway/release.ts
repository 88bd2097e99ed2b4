/**
 * What may leave: for each stored resource, decided on chain at one block for the whole request — the
 * requester's standing in the participant registry and the patient's consent for every data class of the
 * resource and the request's purpose. The patient reads their own records without a grant (right of
 * access). Every resource released gets one receipt per data class, written before the response leaves.
 */
import { accessReference } from "../sdk/consent/encoding";
import { ALL_CLASSES_MASK, classMask, purposeMask } from "../sdk/consent/vocab";
import type { CareLedger } from "../sdk/careledger";
import { attachEvidence } from "../sdk/exchange/evidence";
import { receiptValues, UNCLASSIFIED_DATA_CLASS } from "../sdk/exchange/receipts";
import type { Authenticated } from "./auth";
import { GatewayError } from "./fhir";
import type { NewReceipt, ReceiptStore } from "./receipts";
import type { RecordRow, RecordStore } from "./store";


/** A decision for one request: the block it was taken at and who is asking. */
export interface Decision {
  readonly block: bigint;
  /** The block's time (seconds): a delegation is in force while its `until` is after it. */
  readonly blockTime: number;
  readonly requester: string;
  /** The requester's organization when it is an active member (0n when it is not). */
  readonly orgId: bigint;
  readonly active: boolean;
  /** Whether the holding organization itself is suspended at `block`. */
  readonly holderSuspended: boolean;
}

function chainDown(): GatewayError {
  return new GatewayError(503, "transient", "the chain cannot be read, so consent cannot be checked: nothing is released");
}

function storeDown(): GatewayError {
  return new GatewayError(503, "transient", "the gateway's database is unavailable: nothing is released");
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

export class Releaser {
  readonly #careledger: CareLedger;
  readonly #store: RecordStore;
  readonly #receipts: ReceiptStore;
  readonly #orgId: bigint;

  constructor(careledger: CareLedger, store: RecordStore, receipts: ReceiptStore, holderOrgId: bigint) {
    this.#careledger = careledger;
    this.#store = store;
    this.#receipts = receipts;
    this.#orgId = holderOrgId;
  }

  /** Pins the request to the chain's current block and reads the requester's standing there. */
  async decide(auth: Authenticated): Promise<Decision> {
    let decision: Decision;
    try {
      const provider = this.#careledger.runner.provider ?? (this.#careledger.runner as unknown as NonNullable<CareLedger["runner"]["provider"]>);
      const latest = await provider.getBlock("latest");
      if (latest === null) throw new Error("no latest block");
      const block = BigInt(latest.number);
      const [m, holder] = await Promise.all([
        this.#careledger.participants.isActiveMember(auth.request.requester, { blockTag: block }),
        this.#careledger.participants.organization(this.#orgId, { blockTag: block }),
      ]);
      decision = { block, blockTime: latest.timestamp, requester: auth.request.requester, orgId: m.orgId, active: m.active, holderSuspended: holder.suspended };
    } catch {
      throw chainDown();
    }
    // A suspended holder releases nothing: its receipts could not be anchored, so nothing it released
    // could be accounted for.
    if (decision.holderSuspended) throw new GatewayError(503, "transient", `this gateway's organization ${this.#orgId} is suspended at block ${decision.block}: it releases nothing`);
    return decision;
  }

  /**
   * Which of `rows` the decision permits (in order): the requester's own (or delegated) records, and,
   * for an active member, those the patient's consent permits for every class; never a retracted or
   * superseded version. Anything else is left out silently (no answer tells what is held).
   * @throws {GatewayError} 503 when the chain cannot be read
   */
  async permitted(decision: Decision, purpose: number, rows: readonly RecordRow[]): Promise<RecordRow[]> {
    // The patient's own records, and a delegate's within its scope (the right of access, exercised by
    // the patient or for the patient), need no grant.
    const delegations = new Map<string, Promise<{ classes: number; purposes: number } | undefined>>();
    const scopeOf = (patient: string) => {
      let p = delegations.get(patient);
      if (p === undefined) {
        p = this.#careledger.consent.delegation(patient, decision.requester, { blockTag: decision.block }).then((d) =>
          d.until > decision.blockTime && d.classes.length > 0 ? { classes: classMask("classes", d.classes), purposes: purposeMaskOf(d.purposes) } : undefined,
        );
        delegations.set(patient, p);
      }
      return p;
    };
    const ownOrDelegated = new Set<bigint>();
    try {
      for (const row of rows) {
        if (row.patient === decision.requester.toLowerCase()) ownOrDelegated.add(row.seq);
        else {
          const scope = await scopeOf(row.patient);
          if (scope !== undefined && row.classes !== 0 && (row.classes & ~scope.classes) === 0 && ((scope.purposes >>> purpose) & 1) === 1) ownOrDelegated.add(row.seq);
        }
      }
    } catch {
      throw chainDown();
    }
    const own = (row: RecordRow) => ownOrDelegated.has(row.seq);
    const cache = new Map<string, Promise<boolean>>();
    const allows = (patient: string, dataClass: number): Promise<boolean> => {
      const key = `${patient}:${dataClass}`;
      let p = cache.get(key);
      if (p === undefined) {
        p = this.#careledger.consent.isPermitted({ patient, accessor: decision.requester, dataClass, purpose }, { blockTag: decision.block });
        cache.set(key, p);
      }
      return p;
    };
    const out: RecordRow[] = [];
    try {
      for (const row of rows) {
        if (row.shredded) continue;
        let allowed = own(row);
        // Anyone else needs standing (an active member; silently nothing otherwise, so that the answer
        // tells a stranger nothing about what is held) and the patient's consent for every class.
        if (!allowed && decision.active && row.withheld === null && row.classes !== 0 && (row.classes & ~ALL_CLASSES_MASK) === 0) {
          allowed = (await Promise.all(classBits(row.classes).map((c) => allows(row.patient, c)))).every(Boolean);
        }
        if (allowed && (await this.#current(row))) out.push(row);
      }
    } catch {
      throw chainDown();
    }
    return out;
  }

  /** Whether the chain still holds the row's version as current and not retracted (its holder may retract or amend it). */
  async #current(row: RecordRow): Promise<boolean> {
    const status = await this.#careledger.records.commitmentStatus(row.commitment, this.#orgId);
    if (status.retracted) return false;
    // A batch leaf never registered on its own was neither amended nor retracted (both register it first).
    if (!status.anchored) return true;
    return (await this.#careledger.records.currentVersion(row.recordId, this.#orgId)) <= row.version;
  }

  /**
   * Opens the permitted rows, writes their receipts durably, and only then returns the resources with
   * their evidence attached. Rows whose content is gone (shredded) are left out.
   * @throws {GatewayError} 503 when the database cannot open the records or write the receipts
   */
  async release(auth: Authenticated, decision: Decision, rows: readonly RecordRow[]): Promise<object[]> {
    let contents;
    try {
      contents = await this.#store.contents(rows);
    } catch {
      throw storeDown();
    }
    const receipts: NewReceipt[] = [];
    const out: object[] = [];
    for (const row of rows) {
      const c = contents.get(row.seq);
      if (c === undefined) continue;
      const classes = row.classes === 0 ? [UNCLASSIFIED_DATA_CLASS] : classBits(row.classes);
      for (const dataClass of classes) {
        const ref = accessReference({ salt: c.salt, recordId: row.recordId });
        receipts.push({
          requestDigest: auth.digest,
          requester: auth.request.requester,
          holderOrgId: this.#orgId,
          patient: row.patient,
          accessRef: ref.recordRef,
          accessNonce: ref.nonce,
          recordId: row.recordId,
          resourceRef: `${row.resourceType}/${row.id}`,
          dataClass,
          purpose: auth.request.purpose,
          permittedAtBlock: decision.block,
          request: auth.request,
          signature: auth.signature,
        });
      }
      out.push(
        attachEvidence(c.resource, {
          salt: c.salt,
          proof: { root: row.root, orgId: this.#orgId, recordId: row.recordId, version: row.version, commitment: row.commitment, proof: row.proof },
        }),
      );
    }
    // A receipt that could never be anchored is never written, and nothing is released for it.
    for (const r of receipts) receiptValues(r);
    try {
      await this.#receipts.insert(receipts);
    } catch {
      throw storeDown();
    }
    return out;
  }
}
