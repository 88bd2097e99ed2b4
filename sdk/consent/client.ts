/**
 * The `consent` client: patients grant and revoke (directly, or by signing for a relayer), appoint
 * delegates, opt out of break-glass; providers check and log access and open break-glass; anyone
 * reads a patient's grants and accounting of disclosures, rebuilt from the registry's events.
 *
 * The writes are here; the reads are {@link ConsentReader}'s, which this client extends.
 */
import type { Overrides, Result, TransactionReceipt } from "ethers";
import type { ConsentRegistry } from "../../typechain-types/contracts/consent/ConsentRegistry";
import { decodeRevertData, ValidationError } from "../errors";
import { requireSigner } from "../core/client";
import { eventIn, type TxHandle } from "../core/tx";
import { requireAddress, requireBoolean, requireBytes32, requireId } from "../core/validate";
import { accessReference } from "./encoding";
import { accessRecord, delegationOf, grantedFrom } from "./events";
import {
  toSeconds,
  type AccessParams,
  type AccessRecord,
  type AppointParams,
  type BreakGlassParams,
  type Delegation,
  type GrantParams,
  type GrantState,
  type RevokeParams,
  type SignedDelegateRemoval,
  type SignedDelegation,
  type SignedGrant,
  type SignedRevocation,
  type SignOptions,
} from "./params";
import { ConsentReader } from "./reader";
import {
  signDelegateRemovalRequest,
  signDelegationRequest,
  signGrantRequest,
  signRevocationRequest,
  type DelegateRemovalRequest,
  type DelegationRequest,
  type GrantRequest,
  type RevocationRequest,
} from "./typedData";
import {
  classMask,
  classNames,
  dataClassOf,
  GENERAL_DATA_CLASSES,
  granteeKey,
  parseGrantee,
  purposeMask,
  purposeOf,
  reasonCodeOf,
  reasonName,
  type BreakGlassReasonName,
} from "./vocab";

/**
 * A signature's nonce or epoch as given: a whole number from 0 to 2^64-1 (the registry's `uint64`).
 * @throws {ValidationError} naming `field`
 */
function requireCounter(field: string, value: unknown): bigint {
  if (value === 0 || value === 0n || value === "0") return 0n;
  try {
    return requireId(field, value);
  } catch {
    throw new ValidationError(field, `${JSON.stringify(String(value))} is not a whole number from 0 to 2^64-1`);
  }
}

/**
 * A signed request's deadline: a whole number of seconds (the registry's `uint256`).
 * @throws {ValidationError} naming `field`
 */
function requireDeadline(field: string, value: unknown): bigint {
  if ((typeof value === "bigint" && value >= 0n) || (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) || (typeof value === "string" && /^\d+$/.test(value))) return BigInt(value);
  throw new ValidationError(field, `${JSON.stringify(String(value))} is not a whole number of seconds`);
}

/** The typed client of the ConsentRegistry contract. */
export class ConsentClient extends ConsentReader {
  /**
   * @param contract the registry, connected to a Signer (for writes) or a Provider (reads only)
   * @param fromBlock the first block to read events from (the deployment block)
   */
  constructor(contract: ConsentRegistry, fromBlock = 0) {
    super(contract, fromBlock);
  }

  async #patientOf(patient: string | undefined): Promise<string> {
    if (patient !== undefined) return requireAddress("patient", patient);
    return requireAddress("patient", await requireSigner(this.contract.runner).getAddress());
  }

  /** Validates grant parameters into the contract's arguments (before anything is sent or signed). */
  async #grantArgs(params: GrantParams) {
    const patient = await this.#patientOf(params.patient);
    const grantee = granteeKey("grantee", params.grantee);
    const parsed = parseGrantee(grantee);
    if (parsed.kind === "account" && parsed.account === patient) throw new ValidationError("grantee", "a patient does not grant consent to itself");
    const classes = classMask("classes", params.classes);
    const purposes = purposeMask("purposes", params.purposes);
    const now = await this.now();
    const validFrom = params.validFrom === undefined ? now : toSeconds("validFrom", params.validFrom);
    const validUntil = toSeconds("validUntil", params.validUntil);
    if (validUntil <= validFrom) throw new ValidationError("validUntil", `must be after validFrom (${validFrom})`);
    if (validUntil <= now) throw new ValidationError("validUntil", `${validUntil} is in the past (chain time ${now})`);
    const commitment = requireBytes32("commitment", params.commitment);
    if (parsed.kind === "organization") await this.requireOrganization(parsed.orgId);
    return { patient, grantee, classes, purposes, validFrom, validUntil, commitment };
  }

  /**
   * Refuses an organization id that is not registered: a grant to it would be inert, then silently apply to
   * whoever gets that id. Used by `signGrant`, `grant` and by a relayer before it pays for a grant.
   * @throws {ValidationError} naming `grantee.organization`
   */
  async requireOrganization(orgId: bigint): Promise<void> {
    const { IParticipantRegistry__factory } = await import("../../typechain-types/factories/contracts/participants/IParticipantRegistry__factory");
    const count = await this.read(async () => IParticipantRegistry__factory.connect(await this.contract.participantRegistry(), this.contract.runner).organizationCount());
    if (orgId > count) throw new ValidationError("grantee.organization", `organization ${orgId} is not registered`);
  }

  /**
   * Grants (or replaces) a patient's consent to a grantee. Caller: the patient or a delegate.
   * @returns a handle whose `wait()` gives the grant as applied
   * @throws {ValidationError} naming the field, before anything is sent
   * @throws {ContractRevertError} e.g. `NotPatientOrDelegate`, `EnforcedPause`
   */
  async grant(params: GrantParams, overrides: Overrides = {}): Promise<TxHandle<GrantState & { commitment: string; by: string }>> {
    const a = await this.#grantArgs(params);
    requireSigner(this.contract.runner);
    return this.send(
      () => this.contract.grant(a.patient, a.grantee, a.classes, a.purposes, a.validFrom, a.validUntil, a.commitment, overrides),
      (receipt) => grantedFrom(eventIn(this.contract, receipt, "ConsentGranted").args as unknown as Record<string, unknown>),
    );
  }

  /**
   * Revokes a grant, effective in this block; works while paused. Caller: the patient or a delegate.
   * @throws {ContractRevertError} e.g. `GrantNotFound`, `NotPatientOrDelegate`
   */
  async revoke(params: RevokeParams, overrides: Overrides = {}): Promise<TxHandle<{ patient: string; granteeKey: string; by: string }>> {
    const patient = await this.#patientOf(params.patient);
    const grantee = granteeKey("grantee", params.grantee);
    requireSigner(this.contract.runner);
    return this.send(
      () => this.contract.revoke(patient, grantee, overrides),
      (receipt) => {
        const e = eventIn(this.contract, receipt, "ConsentRevoked");
        return { patient: e.args.patient as string, granteeKey: e.args.grantee as string, by: e.args.by as string };
      },
    );
  }

  async #replayFields(patient: string, grantee: string, options: SignOptions): Promise<{ nonce: bigint; epoch: bigint; deadline: bigint }> {
    return this.#replayFieldsWith(patient, options, () => this.nonce(patient, grantee));
  }

  /** A signed request's deadline (checked), the patient's epoch and the pair's nonce (read unless given). */
  async #replayFieldsWith(patient: string, options: SignOptions, pairNonce: () => Promise<bigint>): Promise<{ nonce: bigint; epoch: bigint; deadline: bigint }> {
    const deadline = BigInt(toSeconds("deadline", options.deadline));
    const given = { nonce: options.nonce === undefined ? undefined : requireCounter("nonce", options.nonce), epoch: options.epoch === undefined ? undefined : requireCounter("epoch", options.epoch) };
    if (Number(deadline) < (await this.now())) throw new ValidationError("deadline", "is in the past");
    const nonce = given.nonce ?? (await pairNonce());
    const epoch = given.epoch ?? (await this.epoch(patient));
    return { nonce, epoch, deadline };
  }

  /**
   * The connected signer, as the patient, signs a grant for a relayer to submit ({@link submitGrant}).
   * Needs no gas. For a smart-account patient, pass its address as `patient` and connect the key
   * its ERC-1271 check accepts.
   * @throws {ValidationError} naming the field
   */
  async signGrant(params: GrantParams, options: SignOptions): Promise<SignedGrant> {
    const signer = requireSigner(this.contract.runner);
    const a = await this.#grantArgs(params);
    const request: GrantRequest = { ...a, ...(await this.#replayFields(a.patient, a.grantee, options)) };
    return { request, signature: await this.read(async () => signGrantRequest(signer, await this.domain(), request)) };
  }

  /**
   * The connected signer, as the patient, signs a revocation for a relayer ({@link submitRevoke}).
   * @throws {ValidationError} naming the field
   */
  async signRevoke(params: RevokeParams, options: SignOptions): Promise<SignedRevocation> {
    const signer = requireSigner(this.contract.runner);
    const patient = await this.#patientOf(params.patient);
    const grantee = granteeKey("grantee", params.grantee);
    const request: RevocationRequest = { patient, grantee, ...(await this.#replayFields(patient, grantee, options)) };
    return { request, signature: await this.read(async () => signRevocationRequest(signer, await this.domain(), request)) };
  }

  /**
   * Refuses, before anything is sent, a signed request that the contract would refuse for its
   * deadline, the patient's signature epoch or the pair's nonce — with the very error the contract
   * gives (`SignatureExpired`, `SignatureCancelled`, `InvalidNonce`), checked in the contract's order
   * against the latest block's time and the pending state (a relayer may pipeline a grant and the
   * revocation signed for the nonce it leads to); a nonce above the pending one is left to the chain.
   */
  async #refuseStale(r: { readonly patient: string; readonly grantee: string; readonly nonce: bigint | number; readonly epoch: bigint | number; readonly deadline: bigint | number }): Promise<void> {
    const patient = requireAddress("request.patient", r.patient);
    const grantee = requireBytes32("request.grantee", r.grantee);
    await this.#refuseStaleWith(r, patient, (pending) => this.contract.nonces(patient, grantee, pending), (current) => ["InvalidNonce", [patient, grantee, r.nonce, current]]);
  }

  /**
   * The checks of {@link #refuseStale}, in the contract's order, for a request whose pair nonce
   * `pairNonce` reads (at the pending state) and whose stale nonce is refused as `nonceError`.
   */
  async #refuseStaleWith(
    r: { readonly nonce: bigint | number; readonly epoch: bigint | number; readonly deadline: bigint | number },
    patient: string,
    pairNonce: (pending: { blockTag: string }) => Promise<bigint>,
    nonceError: (current: bigint) => [string, readonly unknown[]],
  ): Promise<void> {
    const given = { nonce: requireCounter("request.nonce", r.nonce), epoch: requireCounter("request.epoch", r.epoch), deadline: requireDeadline("request.deadline", r.deadline) };
    const pending = { blockTag: "pending" };
    const [now, epoch, nonce] = await Promise.all([
      this.now(),
      this.read(() => this.contract.signatureEpoch(patient, pending)),
      this.read(() => pairNonce(pending)),
    ]);
    const refuse = (name: string, args: readonly unknown[]) => {
      throw decodeRevertData(this.contract.interface.encodeErrorResult(name, args));
    };
    if (BigInt(now) > given.deadline) refuse("SignatureExpired", [r.deadline, now]);
    if (given.epoch !== epoch) refuse("SignatureCancelled", [patient, r.epoch, epoch]);
    if (given.nonce < nonce) refuse(...nonceError(nonce));
  }

  /**
   * Submits a signed grant; the connected signer (the relayer) pays the gas. A signature whose
   * deadline has passed, or whose epoch or nonce is stale, is refused before anything is sent.
   * @throws {ContractRevertError} e.g. `InvalidSignature`, `InvalidNonce`, `SignatureExpired`, `SignatureCancelled`
   */
  async submitGrant(signed: SignedGrant, overrides: Overrides = {}): Promise<TxHandle<GrantState & { commitment: string; by: string }>> {
    requireSigner(this.contract.runner);
    await this.#refuseStale(signed.request);
    return this.send(
      () => this.contract.grantBySig(signed.request, signed.signature, overrides),
      (receipt) => grantedFrom(eventIn(this.contract, receipt, "ConsentGranted").args as unknown as Record<string, unknown>),
    );
  }

  /**
   * Submits a signed revocation; works while paused. Stale signatures are refused before sending,
   * as by {@link submitGrant}.
   * @throws {ContractRevertError} e.g. `InvalidSignature`, `GrantNotFound`, `InvalidNonce`, `SignatureExpired`, `SignatureCancelled`
   */
  async submitRevoke(signed: SignedRevocation, overrides: Overrides = {}): Promise<TxHandle<{ patient: string; granteeKey: string }>> {
    requireSigner(this.contract.runner);
    await this.#refuseStale(signed.request);
    return this.send(
      () => this.contract.revokeBySig(signed.request, signed.signature, overrides),
      (receipt) => {
        const e = eventIn(this.contract, receipt, "ConsentRevoked");
        return { patient: e.args.patient as string, granteeKey: e.args.grantee as string };
      },
    );
  }

  /** The connected signer cancels every signature it made that was not yet submitted. Works while paused. */
  async cancelSignatures(overrides: Overrides = {}): Promise<TxHandle<{ patient: string; epoch: bigint }>> {
    requireSigner(this.contract.runner);
    return this.send(
      () => this.contract.cancelSignatures(overrides),
      (receipt) => {
        const e = eventIn(this.contract, receipt, "SignaturesCancelled");
        return { patient: e.args.patient as string, epoch: e.args.epoch as bigint };
      },
    );
  }

  /**
   * The connected signer (the patient) appoints a delegate until `until`, to grant at most
   * `classes` for `purposes` (never beyond `until`, never to itself) and to revoke. Sensitive
   * classes and the break-glass opt-out need `representative: true`: a full representative the
   * patient appoints explicitly (a parent of a minor, a legal guardian), visible in the event.
   * @throws {ValidationError} naming `delegate`, `until`, `classes` or `purposes`
   * @throws {ContractRevertError} e.g. `InvalidDelegate`, `InvalidDelegateScope`, `EnforcedPause`
   */
  async appointDelegate(params: AppointParams, overrides: Overrides = {}): Promise<TxHandle<Delegation & { patient: string; delegate: string }>> {
    const a = await this.#appointArgs(params);
    requireSigner(this.contract.runner);
    return this.send(() => this.contract.appointDelegate(a.delegate, a.until, a.classes, a.purposes, a.representative, overrides), (receipt) => this.#appointed(receipt));
  }

  /**
   * The connected signer, as the patient, signs an appointment for a relayer to submit
   * ({@link submitAppointDelegate}): the patient needs no gas. Checked as {@link appointDelegate}.
   * For a smart-account patient, pass its address as `patient` and connect the key its ERC-1271
   * check accepts.
   * @throws {ValidationError} naming the field
   */
  async signAppointDelegate(params: AppointParams & { patient?: string }, options: SignOptions): Promise<SignedDelegation> {
    const signer = requireSigner(this.contract.runner);
    const patient = params.patient === undefined ? await signer.getAddress() : requireAddress("patient", params.patient);
    const a = await this.#appointArgs(params, patient);
    const request: DelegationRequest = { patient, ...a, ...(await this.#delegationReplayFields(patient, a.delegate, options)) };
    return { request, signature: await this.read(async () => signDelegationRequest(signer, await this.domain(), request)) };
  }

  /**
   * Submits a signed appointment; the connected signer (the relayer) pays the gas. A signature
   * whose deadline has passed, or whose epoch or nonce is stale, is refused before anything is sent.
   * @throws {ContractRevertError} e.g. `InvalidSignature`, `InvalidDelegationNonce`, `SignatureExpired`, `SignatureCancelled`, `InvalidDelegateScope`
   */
  async submitAppointDelegate(signed: SignedDelegation, overrides: Overrides = {}): Promise<TxHandle<Delegation & { patient: string; delegate: string }>> {
    requireSigner(this.contract.runner);
    await this.#refuseStaleDelegation(signed.request);
    return this.send(() => this.contract.appointDelegateBySig(signed.request, signed.signature, overrides), (receipt) => this.#appointed(receipt));
  }

  /**
   * The connected signer, as the patient, signs the removal of a delegate for a relayer
   * ({@link submitRemoveDelegate}).
   * @throws {ValidationError} naming the field
   */
  async signRemoveDelegate(params: { patient?: string; delegate: string }, options: SignOptions): Promise<SignedDelegateRemoval> {
    const signer = requireSigner(this.contract.runner);
    const patient = params.patient === undefined ? await signer.getAddress() : requireAddress("patient", params.patient);
    const delegate = requireAddress("delegate", params.delegate);
    const request: DelegateRemovalRequest = { patient, delegate, ...(await this.#delegationReplayFields(patient, delegate, options)) };
    return { request, signature: await this.read(async () => signDelegateRemovalRequest(signer, await this.domain(), request)) };
  }

  /**
   * Submits a signed removal of a delegate; works while paused. Stale signatures are refused
   * before sending, as by {@link submitAppointDelegate}.
   * @throws {ContractRevertError} e.g. `InvalidSignature`, `DelegateNotFound`, `InvalidDelegationNonce`, `SignatureExpired`, `SignatureCancelled`
   */
  async submitRemoveDelegate(signed: SignedDelegateRemoval, overrides: Overrides = {}): Promise<TxHandle<{ patient: string; delegate: string }>> {
    requireSigner(this.contract.runner);
    await this.#refuseStaleDelegation(signed.request);
    return this.send(
      () => this.contract.removeDelegateBySig(signed.request, signed.signature, overrides),
      (receipt) => {
        const e = eventIn(this.contract, receipt, "DelegateRemoved");
        return { patient: e.args.patient as string, delegate: e.args.delegate as string };
      },
    );
  }

  async #appointArgs(params: AppointParams, patient?: string): Promise<{ delegate: string; until: number; classes: number; purposes: number; representative: boolean }> {
    const delegate = requireAddress("delegate", params.delegate);
    if (patient !== undefined && delegate.toLowerCase() === patient.toLowerCase()) throw new ValidationError("delegate", "is the patient: a patient does not delegate to itself");
    const until = toSeconds("until", params.until);
    const classes = classMask("classes", params.classes);
    const purposes = purposeMask("purposes", params.purposes);
    const representative = requireBoolean("representative", params.representative ?? false);
    if (until <= (await this.now())) throw new ValidationError("until", "is in the past");
    const sensitive = classNames(classes).filter((c) => !(GENERAL_DATA_CLASSES as readonly string[]).includes(c));
    if (!representative && sensitive.length > 0) {
      throw new ValidationError("classes", `${sensitive.join(", ")}: sensitive classes are the patient's alone, unless the delegate is appointed as a full representative (representative: true)`);
    }
    return { delegate, until, classes, purposes, representative };
  }

  #appointed(receipt: TransactionReceipt): Delegation & { patient: string; delegate: string } {
    const e = eventIn(this.contract, receipt, "DelegateAppointed");
    return { patient: e.args.patient as string, delegate: e.args.delegate as string, ...delegationOf(e.args as unknown as Record<string, unknown>) };
  }

  async #delegationReplayFields(patient: string, delegate: string, options: SignOptions): Promise<{ nonce: bigint; epoch: bigint; deadline: bigint }> {
    return this.#replayFieldsWith(patient, options, () => this.delegationNonce(patient, delegate));
  }

  /** As {@link #refuseStale}, for a signed appointment or removal (the pair's delegation nonce). */
  async #refuseStaleDelegation(r: { readonly patient: string; readonly delegate: string; readonly nonce: bigint | number; readonly epoch: bigint | number; readonly deadline: bigint | number }): Promise<void> {
    const patient = requireAddress("request.patient", r.patient);
    const delegate = requireAddress("request.delegate", r.delegate);
    await this.#refuseStaleWith(
      r,
      patient,
      async (pending) => (await this.contract.delegationOf(patient, delegate, pending)).nonce,
      (current) => ["InvalidDelegationNonce", [patient, delegate, r.nonce, current]],
    );
  }

  /**
   * Removes a delegate. Caller: the patient (default) or the delegate itself. Works while paused.
   * @throws {ContractRevertError} e.g. `DelegateNotFound`, `NotPatientOrSelf`
   */
  async removeDelegate(params: { patient?: string; delegate: string }, overrides: Overrides = {}): Promise<TxHandle<{ patient: string; delegate: string }>> {
    const patient = await this.#patientOf(params.patient);
    const delegate = requireAddress("delegate", params.delegate);
    requireSigner(this.contract.runner);
    return this.send(() => this.contract.removeDelegate(patient, delegate, overrides), () => ({ patient, delegate }));
  }

  /**
   * Opts a patient out of break-glass (ending open emergency access at once and for good: opting
   * back in revives none of it), or back in.
   * Caller: the patient (default) or a full representative ({@link appointDelegate} `representative`).
   */
  async setBreakGlassOptOut(params: { patient?: string; optedOut: boolean }, overrides: Overrides = {}): Promise<TxHandle<{ patient: string; optedOut: boolean }>> {
    const patient = await this.#patientOf(params.patient);
    const optedOut = requireBoolean("optedOut", params.optedOut);
    requireSigner(this.contract.runner);
    return this.send(() => this.contract.setBreakGlassOptOut(patient, optedOut, overrides), () => ({ patient, optedOut }));
  }

  /**
   * Opens emergency access (ETREAT, general classes) to a patient. Caller: an active provider member.
   * @throws {ValidationError} naming the field
   * @throws {ContractRevertError} e.g. `NotActiveProvider`, `BreakGlassOptedOut`, `ReasonAlreadyUsed`
   */
  async breakGlass(params: BreakGlassParams, overrides: Overrides = {}): Promise<TxHandle<{ patient: string; accessor: string; orgId: bigint; reason: BreakGlassReasonName | number; reasonRef: string; until: number }>> {
    const patient = requireAddress("patient", params.patient);
    const reason = reasonCodeOf("reason", params.reason);
    const reasonRef = requireBytes32("reasonRef", params.reasonRef);
    if (!Number.isSafeInteger(params.duration) || params.duration <= 0) throw new ValidationError("duration", "must be a positive number of seconds");
    requireSigner(this.contract.runner);
    return this.send(
      () => this.contract.breakGlass(patient, reason, reasonRef, params.duration, overrides),
      (receipt) => {
        const e = eventIn(this.contract, receipt, "BreakGlassOpened");
        const code = Number(e.args.reasonCode);
        return { patient: e.args.patient as string, accessor: e.args.accessor as string, orgId: e.args.orgId as bigint, reason: reasonName(code) ?? code, reasonRef: e.args.reasonRef as string, until: Number(e.args.until) };
      },
    );
  }

  /** Sets the longest break-glass opening (configurator role). @throws {ContractRevertError} e.g. `InvalidBreakGlassWindow` */
  async setBreakGlassWindow(seconds: number, overrides: Overrides = {}): Promise<TxHandle<{ window: number }>> {
    if (!Number.isSafeInteger(seconds) || seconds <= 0) throw new ValidationError("window", "must be a positive number of seconds");
    requireSigner(this.contract.runner);
    return this.send(() => this.contract.setBreakGlassWindow(seconds, overrides), () => ({ window: seconds }));
  }

  /**
   * The connected signer logs an access to a patient's record; refused (with the values) when not
   * permitted. Give the `record` (its salt and id): a fresh unlinkable reference is derived
   * ({@link accessReference}) and its nonce returned. A `recordRef` made elsewhere is logged as
   * given; never pass a record's commitment or id, which would link the patient to the record.
   * @throws {ValidationError} naming the field (`recordRef` when it is a record's id in `record`)
   * @throws {ContractRevertError} `AccessNotPermitted` carrying patient, accessor, class and purpose
   */
  async logAccess(
    params: AccessParams & ({ recordRef: string; record?: undefined } | { record: { salt: string; recordId: string }; recordRef?: undefined }),
    overrides: Overrides = {},
  ): Promise<TxHandle<AccessRecord>> {
    const patient = requireAddress("patient", params.patient);
    const made = params.record !== undefined ? accessReference(params.record) : undefined;
    const recordRef = made?.recordRef ?? requireBytes32("recordRef", params.recordRef);
    const dataClass = dataClassOf("dataClass", params.dataClass);
    const purpose = purposeOf("purpose", params.purpose);
    requireSigner(this.contract.runner);
    return this.send(
      () => this.contract.logAccess(patient, recordRef, dataClass, purpose, overrides),
      (receipt) => {
        const e = eventIn(this.contract, receipt, "AccessLogged");
        const logged = accessRecord((e.args as unknown as Result).toObject(), receipt.blockNumber, receipt.hash);
        return made ? { ...logged, nonce: made.nonce } : logged;
      },
    );
  }
}
