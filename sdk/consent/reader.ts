/**
 * The read side of the `consent` client: the registry's EIP-712 domain, whether an access is
 * permitted now, grants, nonces, epochs and delegations as the registry holds them, and a patient's
 * grants, accounting of disclosures, delegates and history, rebuilt from the registry's events.
 */
import type { EventLog, Result, TypedDataDomain } from "ethers";
import type { ConsentRegistry } from "../../typechain-types/contracts/consent/ConsentRegistry";
import { ManagedClient } from "../core/client";
import { blockTagOf, requireAddress } from "../core/validate";
import { accessRecord, delegationOf, grantRecordFrom, readable } from "./events";
import type { AccessParams, AccessRecord, BlockRange, Delegation, GranteeInput, GrantRecord, GrantState, HistoryEntry } from "./params";
import { classNames, dataClassOf, granteeKey, parseGrantee, purposeNames, purposeOf } from "./vocab";

/** The reads of the ConsentRegistry contract; {@link ConsentClient} adds the writes. */
export class ConsentReader extends ManagedClient<ConsentRegistry> {
  /**
   * @param contract the registry, connected to a Signer (for writes) or a Provider (reads only)
   * @param fromBlock the first block to read events from (the deployment block)
   */
  constructor(contract: ConsentRegistry, fromBlock = 0) {
    super(contract, fromBlock);
  }

  /**
   * The latest block's time (the clock the registry checks validity and deadlines against).
   * @throws {NodeUnreachableError} `NODE_UNREACHABLE` when the node cannot be reached
   */
  protected async now(): Promise<number> {
    const block = await this.block("latest");
    return block ? block.timestamp : Math.floor(Date.now() / 1000);
  }

  /** The registry's EIP-712 domain, read from the contract (ERC-5267). */
  async domain(): Promise<TypedDataDomain> {
    const d = await this.read(() => this.contract.eip712Domain());
    return { name: d.name, version: d.version, chainId: d.chainId, verifyingContract: d.verifyingContract };
  }

  /**
   * Whether `accessor` may access `dataClass` of `patient` for `purpose` now, or at `options.blockTag`
   * (a block number: how a gateway pins every check of one request to one block, and how an auditor
   * re-checks a disclosure receipt at the block it names; past blocks need an archive node).
   * @throws {ValidationError} naming the field
   */
  async isPermitted(params: AccessParams & { accessor: string }, options: { blockTag?: number | bigint } = {}): Promise<boolean> {
    const patient = requireAddress("patient", params.patient, { allowZero: true });
    const accessor = requireAddress("accessor", params.accessor, { allowZero: true });
    const dataClass = dataClassOf("dataClass", params.dataClass);
    const purpose = purposeOf("purpose", params.purpose);
    const blockTag = blockTagOf(options.blockTag);
    return this.read(() => this.contract.isPermitted(patient, accessor, dataClass, purpose, { blockTag }));
  }

  /** The grant of `patient` to `grantee` as the registry holds it now, or `undefined`. */
  async grantOf(patient: string, grantee: GranteeInput): Promise<GrantState | undefined> {
    const p = requireAddress("patient", patient);
    const key = granteeKey("grantee", grantee);
    const g = await this.read(() => this.contract.grantOf(p, key));
    if (g.validUntil === 0n) return undefined;
    return { patient: p, grantee: parseGrantee(key), granteeKey: key, classes: classNames(g.classes), purposes: purposeNames(g.purposes), validFrom: Number(g.validFrom), validUntil: Number(g.validUntil) };
  }

  /** The nonce a signature about the (`patient`, `grantee`) pair must carry. */
  async nonce(patient: string, grantee: GranteeInput): Promise<bigint> {
    const p = requireAddress("patient", patient);
    const key = granteeKey("grantee", grantee);
    return this.read(() => this.contract.nonces(p, key));
  }

  /** The signature epoch of `patient` (incremented by `cancelSignatures`). */
  async epoch(patient: string): Promise<bigint> {
    const p = requireAddress("patient", patient);
    return this.read(() => this.contract.signatureEpoch(p));
  }

  /** `delegate`'s appointment by `patient` (`until` 0 when it is not a delegate), now or at `options.blockTag`. */
  async delegation(patient: string, delegate: string, options: { blockTag?: number | bigint } = {}): Promise<Delegation> {
    const blockTag = blockTagOf(options.blockTag);
    const d = await this.read(() => this.contract.delegationOf(requireAddress("patient", patient), requireAddress("delegate", delegate), { blockTag }));
    return delegationOf(d as unknown as Record<string, unknown>);
  }

  /** The nonce a signed appointment or removal of `delegate` by `patient` must carry now. */
  async delegationNonce(patient: string, delegate: string): Promise<bigint> {
    const d = await this.read(() => this.contract.delegationOf(requireAddress("patient", patient), requireAddress("delegate", delegate)));
    return d.nonce;
  }

  /** The longest break-glass opening, in seconds. */
  async breakGlassWindow(): Promise<number> {
    return Number(await this.read(() => this.contract.breakGlassWindow()));
  }

  /**
   * A patient's current grants, rebuilt from events: the latest grant per grantee, not revoked
   * since (the events are the audit trail: they carry each grant's document commitment, which the
   * registry does not store). `inForce` says whether it applies at the latest block.
   */
  async grants(patient: string, range: BlockRange = {}): Promise<GrantRecord[]> {
    const p = requireAddress("patient", patient);
    const from = range.fromBlock ?? this.fromBlock;
    const to = range.toBlock === undefined || range.toBlock === "latest" ? await this.head() : range.toBlock;
    const [granted, revoked] = await this.read(() =>
      Promise.all([this.logs(this.contract.filters.ConsentGranted(p), from, to), this.logs(this.contract.filters.ConsentRevoked(p), from, to)]),
    );
    const latest = new Map<string, { log: EventLog; revoked: boolean }>();
    for (const e of [...granted, ...revoked].sort((x, y) => x.blockNumber - y.blockNumber || x.index - y.index)) {
      latest.set(String(e.args.grantee), { log: e as unknown as EventLog, revoked: e.fragment.name === "ConsentRevoked" });
    }
    const now = await this.now();
    const out: GrantRecord[] = [];
    for (const { log, revoked: gone } of latest.values()) {
      if (gone) continue;
      const args = log.args as unknown as Record<string, unknown>;
      out.push(grantRecordFrom(args, { blockNumber: log.blockNumber, txHash: log.transactionHash }, Number(args.validFrom) <= now && now < Number(args.validUntil)));
    }
    return out;
  }

  /** The patient's accounting of disclosures: every logged access, oldest first. */
  async accessLog(patient: string, range: BlockRange = {}): Promise<AccessRecord[]> {
    const p = requireAddress("patient", patient);
    const logs = await this.logs(this.contract.filters.AccessLogged(p), range.fromBlock ?? this.fromBlock, range.toBlock);
    return logs.map((e) => accessRecord((e.args as unknown as Result).toObject(), e.blockNumber, e.transactionHash));
  }

  /** The patient's delegates in force with their scopes, rebuilt from events and confirmed against the registry. */
  async delegates(patient: string): Promise<(Delegation & { delegate: string })[]> {
    const p = requireAddress("patient", patient);
    const appointed = await this.logs(this.contract.filters.DelegateAppointed(p));
    const now = await this.now();
    const out: (Delegation & { delegate: string })[] = [];
    for (const d of new Set(appointed.map((e) => e.args.delegate))) {
      const delegation = await this.delegation(p, d);
      if (delegation.until > now) out.push({ delegate: d, ...delegation });
    }
    return out;
  }

  /** Everything that happened to a patient's consent, oldest first, readable. */
  async history(patient: string, range: BlockRange = {}): Promise<HistoryEntry[]> {
    const p = requireAddress("patient", patient);
    const from = range.fromBlock ?? this.fromBlock;
    const to = range.toBlock === undefined || range.toBlock === "latest" ? await this.head() : range.toBlock;
    const f = this.contract.filters;
    const lists = await this.read(() =>
      Promise.all([
        this.logs(f.ConsentGranted(p), from, to),
        this.logs(f.ConsentRevoked(p), from, to),
        this.logs(f.DelegateAppointed(p), from, to),
        this.logs(f.DelegateRemoved(p), from, to),
        this.logs(f.SignaturesCancelled(p), from, to),
        this.logs(f.BreakGlassOpened(p), from, to),
        this.logs(f.BreakGlassOptOutSet(p), from, to),
        this.logs(f.AccessLogged(p), from, to),
      ]),
    );
    const all = (lists.flat() as unknown as EventLog[]).sort((x, y) => x.blockNumber - y.blockNumber || x.index - y.index);
    return all.map((e) => ({ event: e.fragment.name as HistoryEntry["event"], blockNumber: e.blockNumber, logIndex: e.index, txHash: e.transactionHash, details: readable(e) }));
  }
}
