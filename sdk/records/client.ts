/**
 * The `records` client: salted commitments of FHIR resources, anchored one at a time or as one
 * Merkle batch, amended, retracted and verified by anyone who holds a record, its salt and (for a
 * batch) its proof. No record content ever leaves the caller: only commitments are sent.
 *
 * ```ts
 * const { batch } = await (await careledger.records.anchorBatch(bundle.entry.map((e) => ({ resource: e.resource })))).wait();
 * const proof = batch.proof(3);               // give it, with batch.salts[3], to whoever holds the record
 * await careledger.records.verify(resource, salt, proof);   // { status: "anchored", orgId, anchoredAt, version }
 * ```
 */
import type { Overrides } from "ethers";
import type { RecordRegistry } from "../../typechain-types/contracts/records/RecordRegistry";
import { CareLedgerError, ValidationError } from "../errors";
import { ManagedClient, requireSigner } from "../core/client";
import { newSalt, requireSalt } from "../core/encoding";
import { eventIn, type TxHandle } from "../core/tx";
import { blockTagOf, requireBytes32, requireEnum, requireId } from "../core/validate";
import { RecordBatch, requireProof, requireVersion } from "./batch";
import { recordCommitment, recordLeafValues, RECORD_LEAF_ENCODING, type RecordLeafFields } from "./encoding";
import { FastMerkleTree } from "./merkle";
import {
  RetractionReason,
  type AmendParams,
  type AnchoredVersion,
  type AnchorParams,
  type RecordBatchItem,
  type RecordBatchProgress,
  type RecordCommitment,
  type RecordProof,
  type RecordStatus,
  type RecordVersionInfo,
  type RetractParams,
  type VerificationResult,
} from "./types";

/** The typed client of the RecordRegistry contract. */
export class RecordsClient extends ManagedClient<RecordRegistry> {
  /** The chain the registry is on (bound into every batch leaf). */
  readonly chainId: bigint;

  /**
   * @param contract the registry, connected to a Signer (for writes) or a Provider (reads only)
   * @param chainId the chain it is deployed on
   * @param fromBlock the first block to read events from (the deployment block)
   */
  constructor(contract: RecordRegistry, chainId: bigint, fromBlock = 0) {
    super(contract, fromBlock);
    this.chainId = chainId;
  }


  /**
   * Commits a resource: its commitment under `salt` (a fresh 256-bit salt when none is given). For a
   * first version the record id is the commitment; for a later version pass the record's `recordId`.
   * @throws {ValidationError} when the resource is not a JSON object or the salt is malformed
   */
  commit(resource: object, options: { salt?: string; recordId?: string } = {}): RecordCommitment {
    const salt = options.salt === undefined ? newSalt() : requireSalt(options.salt);
    const commitment = recordCommitment(resource, salt);
    const recordId = options.recordId === undefined ? commitment : requireBytes32("recordId", options.recordId);
    return { recordId, commitment, salt };
  }

  /** The leaf fields of `(recordId, version, commitment)` for this registry and chain. */
  leaf(recordId: string, version: number, commitment: string): RecordLeafFields {
    return { chainId: this.chainId, registry: this.address, recordId, version, commitment };
  }

  /**
   * Anchors a first version. Caller: an active member of a provider, lab or pharmacy.
   * @returns a handle whose `wait()` gives the recordId, commitment, version 1, organization and
   * (when the resource was given) the salt
   * @throws {ValidationError} for a malformed resource, salt or commitment
   * @throws {ContractRevertError} e.g. `CommitmentAlreadyAnchored`, `NotAnchoringMember`, `EnforcedPause`
   */
  async anchor(
    params: AnchorParams,
    overrides: Overrides = {},
  ): Promise<TxHandle<{ recordId: string; commitment: string; version: number; orgId: bigint; salt?: string }>> {
    let salt: string | undefined;
    let commitment: string;
    if ("resource" in params) {
      ({ commitment, salt } = this.commit(params.resource, { salt: params.salt }));
    } else {
      commitment = requireBytes32("commitment", params.commitment);
    }
    requireSigner(this.contract.runner);
    return this.send(
      () => this.contract.anchor(commitment, overrides),
      (receipt) => {
        const e = eventIn(this.contract, receipt, "RecordAnchored");
        return { recordId: e.args.recordId as string, commitment, version: 1, orgId: e.args.orgId as bigint, ...(salt ? { salt } : {}) };
      },
    );
  }

  /**
   * Anchors the next version of a record, superseding its current version. Caller: an active
   * member of the organization whose record it is (records are kept per organization). When
   * `genesisProof` is given and the record was only batch-anchored, its first version is
   * registered from the proof first (one more transaction).
   * @throws {ValidationError} for malformed input
   * @throws {ContractRevertError} e.g. `StaleVersion` (with the current version), `UnknownRecord` (not a record of the caller's organization), `CommitmentAlreadyAnchored`
   */
  async amend(
    params: AmendParams,
    overrides: Overrides = {},
  ): Promise<TxHandle<{ recordId: string; commitment: string; version: number; supersedes: number; orgId: bigint }>> {
    const recordId = requireBytes32("recordId", params.recordId);
    const supersedes = requireVersion("supersedes", params.supersedes);
    let commitment: string;
    if (params.resource !== undefined) {
      if (params.salt === undefined) throw new ValidationError("salt", "amending with a resource needs the record's salt");
      commitment = this.commit(params.resource, { salt: params.salt, recordId }).commitment;
    } else {
      commitment = requireBytes32("commitment", params.commitment);
    }
    requireSigner(this.contract.runner);
    if (params.genesisProof !== undefined) await this.#ensureRegistered(requireProof("genesisProof", params.genesisProof));
    return this.send(
      () => this.contract.amend(recordId, supersedes, commitment, overrides),
      (receipt) => {
        const e = eventIn(this.contract, receipt, "RecordAnchored");
        return { recordId, commitment, version: Number(e.args.version), supersedes, orgId: e.args.orgId as bigint };
      },
    );
  }

  /**
   * Retracts a version (entered in error, wrong patient…). Caller: an active member of the
   * organization that anchored it. Works while the registry is paused.
   * @throws {ValidationError} for malformed input or an unknown reason
   * @throws {ContractRevertError} e.g. `CommitmentNotAnchored` (not among the caller's organization's anchors), `AlreadyRetracted`
   */
  async retract(params: RetractParams, overrides: Overrides = {}): Promise<TxHandle<{ commitment: string; orgId: bigint; reason: RetractionReason }>> {
    const reason = requireEnum("reason", params.reason, RetractionReason, { exclude: [RetractionReason.None] }) as RetractionReason;
    let commitment: string;
    if (params.resource !== undefined) {
      if (params.salt === undefined) throw new ValidationError("salt", "retracting by resource needs the record's salt");
      commitment = this.commit(params.resource, { salt: params.salt }).commitment;
    } else {
      commitment = requireBytes32("commitment", params.commitment);
    }
    requireSigner(this.contract.runner);
    if (params.proof !== undefined) await this.#ensureRegistered(requireProof("proof", params.proof));
    return this.send(
      () => this.contract.retract(commitment, reason, overrides),
      (receipt) => {
        const e = eventIn(this.contract, receipt, "RecordRetracted");
        return { commitment, orgId: e.args.orgId as bigint, reason };
      },
    );
  }

  /**
   * Registers a batch-anchored first version as a single anchor (attributed to the batch's
   * organization and time), so that it can be amended, retracted and cited by claims. Anyone may.
   * @throws {ContractRevertError} e.g. `InvalidInclusionProof`, `UnknownBatch`, `CommitmentAlreadyAnchored`
   */
  async registerBatchRecord(proof: RecordProof, overrides: Overrides = {}): Promise<TxHandle<{ root: string; recordId: string; orgId: bigint }>> {
    const p = requireProof("proof", proof);
    requireSigner(this.contract.runner);
    const orgId = await this.#batchOrg(p);
    if (orgId === undefined) throw new ValidationError("proof.orgId", `no organization anchored batch ${p.root}`);
    return this.send(
      () => this.contract.registerBatchRecord(orgId, p.root, p.commitment, [...p.proof], overrides),
      (receipt) => {
        const e = eventIn(this.contract, receipt, "BatchRecordRegistered");
        return { root: p.root, recordId: p.commitment, orgId: e.args.orgId as bigint };
      },
    );
  }

  /**
   * Builds a batch off chain: commits every resource (drawing a fresh salt for each unless given)
   * and builds the Merkle tree of their leaves for this registry and chain.
   * @throws {ValidationError} for an empty batch or a malformed item (naming its index)
   */
  buildBatch(items: readonly RecordBatchItem[], options: { onProgress?: (p: RecordBatchProgress) => void } = {}): RecordBatch {
    if (!Array.isArray(items) || items.length === 0) throw new ValidationError("items", "a batch has at least one record");
    if (items.length > 0xffffffff) throw new ValidationError("items", "a batch has at most 2^32-1 records");
    const onProgress = options.onProgress;
    const commitments: string[] = new Array<string>(items.length);
    const salts: string[] = new Array<string>(items.length);
    const registry = this.address;
    const values: unknown[][] = new Array<unknown[]>(items.length);
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (item === null || typeof item !== "object") throw new ValidationError(`items[${i}]`, "is not { resource, salt? }");
      const salt = item.salt === undefined ? newSalt() : requireSalt(item.salt, `items[${i}].salt`);
      let commitment: string;
      try {
        commitment = recordCommitment(item.resource, salt);
      } catch (err) {
        throw err instanceof ValidationError ? new ValidationError(`items[${i}].${err.field}`, err.message.slice(err.field.length + 2)) : err;
      }
      commitments[i] = commitment;
      salts[i] = salt;
      values[i] = recordLeafValues({ chainId: this.chainId, registry, recordId: commitment, version: 1, commitment });
      if (onProgress && i % 1024 === 0) onProgress({ phase: "commit", done: i, total: items.length });
    }
    onProgress?.({ phase: "commit", done: items.length, total: items.length });
    const tree = FastMerkleTree.of(values, RECORD_LEAF_ENCODING, { onProgress });
    return new RecordBatch(tree, commitments, salts);
  }

  /**
   * Anchors a batch of first versions as one Merkle root. Caller: an active member of a provider,
   * lab or pharmacy. The gas does not depend on the number of records.
   * @param items the resources (with their salts, or fresh ones are drawn), or a batch already built
   * @returns a handle whose `wait()` gives the root, the leaf count, the organization and the batch
   * (salts and proofs)
   * @throws {ValidationError} for an empty batch or a malformed item
   * @throws {ContractRevertError} e.g. `BatchAlreadyAnchored`, `NotAnchoringMember`, `EnforcedPause`
   */
  async anchorBatch(
    items: readonly RecordBatchItem[] | RecordBatch,
    options: { onProgress?: (p: RecordBatchProgress) => void } = {},
    overrides: Overrides = {},
  ): Promise<TxHandle<{ root: string; leafCount: number; orgId: bigint; batch: RecordBatch }>> {
    requireSigner(this.contract.runner);
    const batch = items instanceof RecordBatch ? items : this.buildBatch(items, options);
    return this.send(
      () => this.contract.anchorBatch(batch.root, batch.length, overrides),
      (receipt) => {
        const e = eventIn(this.contract, receipt, "BatchAnchored");
        batch.orgId = e.args.orgId as bigint;
        return { root: batch.root, leafCount: Number(e.args.leafCount), orgId: batch.orgId, batch };
      },
    );
  }

  /**
   * Anchors the root of a Merkle tree built elsewhere — an OpenZeppelin `StandardMerkleTree` (or any
   * compatible tree) over {@link RECORD_LEAF_ENCODING} leaves, each `recordLeafValues({ chainId,
   * registry, recordId: commitment, version: 1, commitment })` of a `recordCommitment(resource, salt)`.
   * Proofs are then the tree's own (`tree.getProof(i)`), in a {@link RecordProof} with the root and
   * this organization. Same rules and gas as {@link anchorBatch}.
   * @throws {ValidationError} for a root that is not 32 bytes or a leaf count outside 1..2^32−1
   * @throws {ContractRevertError} e.g. `BatchAlreadyAnchored`, `NotAnchoringMember`, `EnforcedPause`
   */
  async anchorRoot(params: { root: string; leafCount: number }, overrides: Overrides = {}): Promise<TxHandle<{ root: string; leafCount: number; orgId: bigint }>> {
    requireSigner(this.contract.runner);
    const root = requireBytes32("root", params.root);
    if (!Number.isSafeInteger(params.leafCount) || params.leafCount < 1 || params.leafCount > 0xffffffff) {
      throw new ValidationError("leafCount", `${JSON.stringify(params.leafCount)} is not a number of leaves (1 to 4294967295)`);
    }
    return this.send(
      () => this.contract.anchorBatch(root, params.leafCount, overrides),
      (receipt) => {
        const e = eventIn(this.contract, receipt, "BatchAnchored");
        return { root, leafCount: Number(e.args.leafCount), orgId: e.args.orgId as bigint };
      },
    );
  }

  /**
   * Verifies a resource: is this exact content anchored, by whom, when, which version, and is it
   * the current one? Without the salt nothing can be recomputed: the answer is
   * `unverifiable-salt-missing`, never "tampered". A batch-anchored record needs its proof.
   * Records are kept per organization: the answer is about the organization that holds the record
   * (`options.orgId`, else the proof's, else the one organization that anchored the commitment or
   * root; when several did, name it). The record id and version come from the chain, never from the
   * proof: a proof that disagrees with them is refused (`proof-mismatch`), as is a batch leaf
   * claiming a later version of a record the organization did not register on chain.
   * @throws {ValidationError} for a malformed resource, salt, proof or organization
   * @throws {CareLedgerError} `AMBIGUOUS_ORGANIZATION` when several organizations anchored it and none
   * is named; `EVENT_MISSING` when a later version's anchoring event is not in the logs read (the
   * client's `fromBlock` is after the deployment block)
   */
  async verify(resource: object, salt: string | null | undefined, proof?: RecordProof, options: { orgId?: bigint | number | string } = {}): Promise<VerificationResult> {
    if (salt === undefined || salt === null || salt === "") return { status: "unverifiable-salt-missing" };
    const commitment = recordCommitment(resource, requireSalt(salt));
    const p = proof === undefined ? undefined : requireProof("proof", proof);
    // A proof counts (for its organization too) only when it is this resource's.
    const named = options.orgId === undefined ? (p?.commitment === commitment ? p.orgId : undefined) : requireId("orgId", options.orgId);
    const orgId = named ?? (await this.#soleOrg(commitment, p !== undefined && p.commitment === commitment ? p.root : undefined));
    if (orgId === undefined) return { status: "not-anchored", commitment };
    const v = await this.recordVersion(commitment, orgId);
    if (v !== undefined) {
      const recordId = v.version === 1 ? commitment : await this.#recordIdOf(commitment, orgId);
      if (p !== undefined && p.commitment === commitment && (p.recordId !== recordId || p.version !== v.version)) {
        return { status: "proof-mismatch", commitment, recordId, version: v.version };
      }
      const currentVersion = await this.currentVersion(recordId, orgId);
      const status: RecordStatus = v.retracted ? "retracted" : v.version < currentVersion ? "superseded" : "anchored";
      return {
        status,
        via: "single",
        recordId,
        commitment,
        version: v.version,
        currentVersion,
        orgId,
        anchoredAt: v.anchoredAt,
        ...(v.retracted ? { retraction: { reason: v.reason, at: v.retractedAt } } : {}),
      };
    }
    if (p === undefined || p.commitment !== commitment) return { status: "not-anchored", commitment };
    const inBatch = { ...p, orgId };
    if (!(await this.verifyInclusion(inBatch))) return { status: "not-anchored", commitment };
    const b = await this.batch(p.root, orgId);
    // A batch leaf attests its record and version only as far as the chain agrees: a first version is
    // its own record; a later one belongs to a record the organization registered on chain, and is
    // current unless the chain holds a later version.
    const genesis = p.version === 1 ? undefined : await this.recordVersion(p.recordId, orgId);
    if (p.version === 1 ? p.recordId !== commitment : genesis?.version !== 1) {
      return { status: "proof-mismatch", commitment, recordId: p.recordId, version: p.version };
    }
    const currentVersion = genesis === undefined ? p.version : Math.max(p.version, await this.currentVersion(p.recordId, orgId));
    const status: RecordStatus = p.version < currentVersion ? "superseded" : "anchored";
    return { status, via: "batch", recordId: p.recordId, commitment, version: p.version, currentVersion, orgId, anchoredAt: b.anchoredAt, root: p.root };
  }

  /**
   * Whether the registry's `verifyInclusion` accepts the proof (the root must be a batch of the
   * proof's organization, or of the one organization that anchored it).
   */
  async verifyInclusion(proof: RecordProof): Promise<boolean> {
    const p = requireProof("proof", proof);
    const orgId = await this.#batchOrg(p);
    if (orgId === undefined) return false;
    return this.read(() => this.contract.verifyInclusion(orgId, p.root, p.recordId, p.version, p.commitment, [...p.proof]));
  }

  /** Whether the proof leads from its leaf (for this registry and chain) to its root, computed off chain. */
  verifyProofOffline(proof: RecordProof): boolean {
    const p = requireProof("proof", proof);
    return FastMerkleTree.verify(p.root, RECORD_LEAF_ENCODING, recordLeafValues(this.leaf(p.recordId, p.version, p.commitment)), p.proof);
  }

  /**
   * A record's versions, oldest first, from the registry's events and state: the record of
   * `options.orgId`, else of the one organization that anchored `recordId` (several: name it).
   * Empty when the record is unknown, or was only batch-anchored and never registered (then verify
   * it with its proof).
   * @throws {CareLedgerError} `AMBIGUOUS_ORGANIZATION` when several organizations anchored `recordId` and none is named
   */
  async history(recordId: string, options: { orgId?: bigint | number | string } = {}): Promise<RecordVersionInfo[]> {
    const id = requireBytes32("recordId", recordId);
    const orgId = options.orgId === undefined ? await this.#soleOrg(id) : requireId("orgId", options.orgId);
    if (orgId === undefined) return [];
    const genesis = await this.recordVersion(id, orgId);
    if (genesis === undefined || genesis.version !== 1) return [];
    const events = await this.logs(this.contract.filters.RecordAnchored(id, undefined, orgId));
    const commitments = [id, ...events.map((e) => e.args.commitment).filter((c) => c !== id)];
    const versions = await Promise.all([...new Set(commitments)].map((c) => this.recordVersion(c, orgId)));
    return versions
      .filter((v): v is AnchoredVersion => v !== undefined)
      .map((v) => ({ recordId: id, ...v }))
      .sort((a, b) => a.version - b.version);
  }

  /** The version organization `orgId` anchored as `commitment`, or `undefined` when it anchored none singly. */
  async recordVersion(commitment: string, orgId: bigint | number | string): Promise<AnchoredVersion | undefined> {
    const c = requireBytes32("commitment", commitment);
    const org = requireId("orgId", orgId);
    const v = await this.read(() => this.contract.recordVersion(org, c));
    if (v.orgId === 0n) return undefined;
    return {
      commitment: c,
      version: Number(v.version),
      orgId: v.orgId,
      anchoredAt: Number(v.anchoredAt),
      retracted: v.retracted,
      reason: Number(v.reason) as RetractionReason,
      retractedAt: Number(v.retractedAt),
    };
  }

  /**
   * The current version of organization `orgId`'s record, now or at `options.blockTag` (a block number).
   * @throws {ContractRevertError} `UnknownRecord`
   */
  async currentVersion(recordId: string, orgId: bigint | number | string, options: { blockTag?: number | bigint } = {}): Promise<number> {
    const id = requireBytes32("recordId", recordId);
    const org = requireId("orgId", orgId);
    const blockTag = blockTagOf(options.blockTag);
    return Number(await this.read(() => this.contract.currentVersion(org, id, { blockTag })));
  }

  /** Organization `orgId`'s batch `root` (`orgId` 0n when there is none). */
  async batch(root: string, orgId: bigint | number | string): Promise<{ orgId: bigint; anchoredAt: number; leafCount: number }> {
    const r = requireBytes32("root", root);
    const org = requireId("orgId", orgId);
    const b = await this.read(() => this.contract.batch(org, r));
    return { orgId: b.orgId, anchoredAt: Number(b.anchoredAt), leafCount: Number(b.leafCount) };
  }

  /**
   * What the claims contract sees: whether organization `orgId` anchored `commitment` singly, and whether
   * it retracted it; now or at `options.blockTag` (a block number).
   */
  async commitmentStatus(commitment: string, orgId: bigint | number | string, options: { blockTag?: number | bigint } = {}): Promise<{ anchored: boolean; retracted: boolean }> {
    const c = requireBytes32("commitment", commitment);
    const org = requireId("orgId", orgId);
    const blockTag = blockTagOf(options.blockTag);
    const [anchored, retracted] = await this.read(() => this.contract.commitmentStatus(org, c, { blockTag }));
    return { anchored, retracted };
  }

  /**
   * The organizations that anchored `commitment` (singly, or registered from a batch) or, with
   * `root`, the batch `root`, from the registry's events.
   */
  async anchoringOrganizations(commitment: string, root?: string): Promise<bigint[]> {
    const c = this.contract;
    const id = requireBytes32("commitment", commitment);
    const batchRoot = root === undefined ? undefined : requireBytes32("root", root);
    const head = await this.head();
    const [single, registered, batches] = await this.read(() =>
      Promise.all([
        this.logs(c.filters.RecordAnchored(undefined, id), this.fromBlock, head),
        this.logs(c.filters.BatchRecordRegistered(undefined, id), this.fromBlock, head),
        batchRoot === undefined ? Promise.resolve([]) : this.logs(c.filters.BatchAnchored(batchRoot), this.fromBlock, head),
      ]),
    );
    const orgs = new Set<bigint>([...single, ...registered, ...batches].map((e) => e.args.orgId as bigint));
    return [...orgs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** The one organization that anchored `commitment` (or batch `root`); undefined for none. */
  async #soleOrg(commitment: string, root?: string): Promise<bigint | undefined> {
    const orgs = await this.anchoringOrganizations(commitment, root);
    if (orgs.length > 1) {
      throw new CareLedgerError(
        "AMBIGUOUS_ORGANIZATION",
        `${commitment} is anchored by organizations ${orgs.join(", ")}: records are kept per organization, so name the one that holds the record ({ orgId })`,
      );
    }
    return orgs[0];
  }

  /** The organization of a proof's batch: the proof's own, else the one that anchored the root. */
  async #batchOrg(p: RecordProof): Promise<bigint | undefined> {
    if (p.orgId !== undefined) return p.orgId;
    const c = this.contract;
    const events = await this.logs(c.filters.BatchAnchored(p.root));
    const orgs = [...new Set(events.map((e) => e.args.orgId as bigint))];
    if (orgs.length > 1) {
      throw new CareLedgerError("AMBIGUOUS_ORGANIZATION", `batch ${p.root} is anchored by organizations ${orgs.join(", ")}: give the proof's orgId (the organization that holds the record)`);
    }
    return orgs[0];
  }

  /** Registers a batch record unless its organization already anchored its commitment singly. */
  async #ensureRegistered(proof: RecordProof): Promise<void> {
    const orgId = await this.#batchOrg(proof);
    if (orgId !== undefined && (await this.recordVersion(proof.commitment, orgId)) !== undefined) return;
    await (await this.registerBatchRecord({ ...proof, ...(orgId === undefined ? {} : { orgId }) })).wait();
  }

  /** The record a later version of organization `orgId` belongs to, from its `RecordAnchored` event. */
  async #recordIdOf(commitment: string, orgId: bigint): Promise<string> {
    const [e] = await this.logs(this.contract.filters.RecordAnchored(undefined, commitment, orgId));
    if (!e) throw new CareLedgerError("EVENT_MISSING", `no RecordAnchored event for ${commitment} since block ${this.fromBlock}: read from the deployment block (the address book's deploymentBlock)`);
    return e.args.recordId;
  }
}
