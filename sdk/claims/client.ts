/**
 * The `claims` client: plans as rules, their escrow, members, prior authorizations, claims
 * adjudicated line by line and settled in the same transaction, adjuster decisions, appeals and
 * corrected claims.
 *
 * The writes are here; the reads (views, history, FHIR outputs) are {@link ClaimsReader}'s, which
 * this client extends. The claim encodings, input rules and plan files are beside it.
 */
import type { Overrides, TransactionReceipt } from "ethers";
import type { ClaimsEngine } from "../../typechain-types/contracts/claims/ClaimsEngine";
import { IERC20__factory } from "../../typechain-types/factories/@openzeppelin/contracts/token/ERC20/IERC20__factory";
import { CareLedgerError, ContractRevertError, ValidationError } from "../errors";
import { requireSigner } from "../core/client";
import { eventsIn, send, type TxHandle } from "../core/tx";
import { requireAddress, requireBoolean, requireBytes32, requireId, type TimeInput } from "../core/validate";
import { claimIdOf, outcomeOf, serviceKeyOf, toRecordStruct, toSubmissionStruct } from "./encoding";
import type { FhirOutputOptions, FhirResource } from "./fhir";
import { ClaimsReader } from "./reader";
import { lineCeiling, requireAmount, requireSeconds, requireTime, requireYearStart, validateSubmission } from "./rules";
import type { AdjudicationResult, BenefitRule, ClaimRecord, ClaimState, ClaimSubmission, LineDecisionInput, LineOutcome, ParkedRelease, PlanTermsInput } from "./types";
import { CARC, ClaimStatus, CostSharing, MAX_BATCH } from "./vocab";

/** The typed client of the ClaimsEngine contract. */
export class ClaimsClient extends ClaimsReader {
  /**
   * @param contract the engine, connected to a Signer (for writes) or a Provider (reads only)
   * @param fromBlock the first block to read events from (the deployment block)
   */
  constructor(contract: ClaimsEngine, fromBlock = 0) {
    super(contract, fromBlock);
  }

  // -------------------------------------------------------------------- governance and plans

  /** Adds a settlement token to, or removes it from, the allowlist. Configurator role. @throws {ContractRevertError} e.g. `AccessManagedUnauthorized` */
  async setTokenAllowed(params: { token: string; allowed: boolean }, overrides: Overrides = {}): Promise<TxHandle<{ token: string; allowed: boolean }>> {
    const token = requireAddress("token", params.token);
    const allowed = requireBoolean("allowed", params.allowed);
    requireSigner(this.contract.runner);
    return this.send(() => this.contract.setTokenAllowed(token, allowed, overrides), () => ({ token, allowed }));
  }

  /**
   * Creates a plan owned by the caller's insurer organization (caller: an insurer admin).
   * @returns a handle whose `wait()` gives the new `planId`
   * @throws {ValidationError} for a bad term, before anything is sent
   * @throws {ContractRevertError} e.g. `TokenNotAllowed`, `NotInsurerAdmin`
   */
  async createPlan(terms: PlanTermsInput, overrides: Overrides = {}): Promise<TxHandle<{ planId: bigint; insurerOrgId: bigint }>> {
    const t = {
      token: requireAddress("token", terms.token),
      insurerOrgId: 0n,
      deductible: requireAmount("deductible", terms.deductible),
      outOfPocketMax: requireAmount("outOfPocketMax", terms.outOfPocketMax),
      start: requireTime("start", terms.start),
      ...requireYearStart(terms.yearStartMonth, terms.yearStartDay),
      annualCap: requireAmount("annualCap", terms.annualCap),
      autoApprovalLimit: requireAmount("autoApprovalLimit", terms.autoApprovalLimit),
      filingWindow: requireSeconds("filingWindow", terms.filingWindow),
      appealWindow: requireSeconds("appealWindow", terms.appealWindow),
    };
    requireSigner(this.contract.runner);
    return this.send(
      () => this.contract.createPlan(t, overrides),
      (receipt) => {
        const [e] = eventsIn(this.contract, receipt, "PlanCreated");
        if (!e) throw new CareLedgerError("EVENT_MISSING", `transaction ${receipt.hash} emitted no PlanCreated`);
        return { planId: e.args.planId as bigint, insurerOrgId: e.args.insurerOrgId as bigint };
      },
    );
  }

  /**
   * Creates a plan and sets all its benefit rules (in batches of {@link MAX_BATCH}), waiting for each
   * transaction: one call for a plan file (see {@link planFromJson}).
   * @returns the new plan's id and the receipts' transaction hashes
   */
  async createPlanWithBenefits(params: { terms: PlanTermsInput; benefits: readonly BenefitRule[] }): Promise<{ planId: bigint; txs: string[] }> {
    const created = await (await this.createPlan(params.terms)).wait();
    const txs = [created.receipt.hash];
    for (let i = 0; i < params.benefits.length; i += MAX_BATCH) {
      const r = await (await this.setBenefits({ planId: created.planId, benefits: params.benefits.slice(i, i + MAX_BATCH) })).wait();
      txs.push(r.receipt.hash);
    }
    return { planId: created.planId, txs };
  }

  /**
   * Sets benefit rules (up to {@link MAX_BATCH} per call). Caller: insurer staff of the plan.
   * @throws {ValidationError} for a bad rule
   * @throws {ContractRevertError} e.g. `InvalidBenefit`, `NotInsurerStaff`
   */
  async setBenefits(params: { planId: bigint | number | string; benefits: readonly BenefitRule[] }, overrides: Overrides = {}): Promise<TxHandle<{ planId: bigint; count: number }>> {
    const planId = requireId("planId", params.planId);
    if (!Array.isArray(params.benefits) || params.benefits.length === 0 || params.benefits.length > MAX_BATCH) throw new ValidationError("benefits", `give 1 to ${MAX_BATCH} benefit rules per call`);
    const codes = params.benefits.map((b, i) => requireBytes32(`benefits[${i}].code`, b.code));
    const rules = params.benefits.map((b, i) => {
      const bps = b.coinsuranceBps ?? 0;
      if (!Number.isInteger(bps) || bps < 0 || bps > 10_000) throw new ValidationError(`benefits[${i}].coinsuranceBps`, `${bps} is not 0 to 10,000 basis points`);
      const costSharing = b.costSharing ?? CostSharing.DeductibleCopayCoinsurance;
      if (!Object.values(CostSharing).includes(costSharing)) throw new ValidationError(`benefits[${i}].costSharing`, `${JSON.stringify(costSharing)} is not a CostSharing design`);
      const copay = requireAmount(`benefits[${i}].copay`, b.copay ?? 0n);
      if (costSharing === CostSharing.CopayOnly && bps !== 0) throw new ValidationError(`benefits[${i}].coinsuranceBps`, "a copay-only benefit has no coinsurance");
      if (costSharing === CostSharing.DeductibleCoinsurance && copay !== 0n) throw new ValidationError(`benefits[${i}].copay`, "a deductible-then-coinsurance benefit has no copay");
      return {
        fee: requireAmount(`benefits[${i}].fee`, b.fee),
        copay,
        coinsuranceBps: bps,
        priorAuth: b.priorAuth ?? false,
        review: b.review ?? false,
        perClaimCap: requireAmount(`benefits[${i}].perClaimCap`, b.perClaimCap ?? 0n),
        costSharing,
      };
    });
    requireSigner(this.contract.runner);
    return this.send(() => this.contract.setBenefits(planId, codes, rules, overrides), () => ({ planId, count: codes.length }));
  }

  /** Names the account the caller's organization is paid at (caller: an admin of a provider, lab or pharmacy). @throws {ContractRevertError} e.g. `NotProviderAdmin` */
  async setPayee(params: { payee: string }, overrides: Overrides = {}): Promise<TxHandle<{ payee: string }>> {
    const payee = requireAddress("payee", params.payee);
    requireSigner(this.contract.runner);
    return this.send(() => this.contract.setPayee(payee, overrides), () => ({ payee }));
  }

  // -------------------------------------------------------------------- money

  /**
   * Deposits into a plan's escrow, approving the engine for the plan's token first when the
   * allowance is short (that approval is its own transaction, awaited here). Anyone may fund.
   * @throws {ContractRevertError} e.g. `FeeOnTransferRefused`, `EnforcedPause`, `UnknownPlan`
   */
  async fund(params: { planId: bigint | number | string; amount: bigint }, overrides: Overrides = {}): Promise<TxHandle<{ planId: bigint; amount: bigint; queuedPaid: number; queuedParked: number }>> {
    const planId = requireId("planId", params.planId);
    const amount = requireAmount("amount", params.amount, { allowZero: false });
    requireSigner(this.contract.runner);
    await this.#approve(planId, amount);
    return this.send(
      () => this.contract.fund(planId, amount, overrides),
      (receipt) => ({
        planId,
        amount,
        queuedPaid: eventsIn(this.contract, receipt, "ClaimPaid").length,
        queuedParked: eventsIn(this.contract, receipt, "PaymentParked").length,
      }),
    );
  }

  /** Withdraws unreserved funds (caller: an admin of the plan's insurer). @throws {ContractRevertError} e.g. `InsufficientUnreservedFunds` */
  async withdraw(params: { planId: bigint | number | string; amount: bigint; to: string }, overrides: Overrides = {}): Promise<TxHandle<{ planId: bigint; amount: bigint; to: string }>> {
    const planId = requireId("planId", params.planId);
    const amount = requireAmount("amount", params.amount, { allowZero: false });
    const to = requireAddress("to", params.to);
    requireSigner(this.contract.runner);
    return this.send(() => this.contract.withdraw(planId, amount, to, overrides), () => ({ planId, amount, to }));
  }

  /**
   * Pays up to `max` (default and at most {@link MAX_BATCH}) queued payments of a plan, oldest first (anyone). `paid` counts the payments
   * delivered, `parked` those the token refused to deliver (parked for their provider, see
   * {@link releaseParked}).
   * @throws {ContractRevertError} e.g. `InvalidBatch`
   */
  async payQueued(params: { planId: bigint | number | string; max?: number }, overrides: Overrides = {}): Promise<TxHandle<{ planId: bigint; paid: number; parked: number }>> {
    const planId = requireId("planId", params.planId);
    const max = params.max ?? MAX_BATCH;
    if (!Number.isInteger(max) || max < 1 || max > MAX_BATCH) throw new ValidationError("max", `${max} is not 1 to ${MAX_BATCH}`);
    requireSigner(this.contract.runner);
    return this.send(
      () => this.contract.payQueued(planId, max, overrides),
      (receipt) => ({ planId, paid: eventsIn(this.contract, receipt, "ClaimPaid").length, parked: eventsIn(this.contract, receipt, "PaymentParked").length }),
    );
  }

  /**
   * Pays everything parked for a provider in a plan (queued payments the token refused to deliver,
   * e.g. to a blocklisted payee) to the provider's CURRENT payee. Anyone may call it; the provider
   * names a payee the token accepts first ({@link setPayee}).
   * @throws {ValidationError} naming `planId` or `providerOrg`
   * @throws {ContractRevertError} `NothingParked`, `EnforcedPause`, or the token's own error when it still refuses the payee
   */
  async releaseParked(params: { planId: bigint | number | string; providerOrg: bigint | number | string }, overrides: Overrides = {}): Promise<TxHandle<ParkedRelease>> {
    const planId = requireId("planId", params.planId);
    const providerOrg = requireId("providerOrg", params.providerOrg);
    requireSigner(this.contract.runner);
    return this.send(
      () => this.contract.releaseParked(planId, providerOrg, overrides),
      (receipt) => {
        const [e] = eventsIn(this.contract, receipt, "ParkedPaymentReleased");
        return { planId, providerOrg, payee: e.args.payee as string, amount: e.args.amount as bigint };
      },
    );
  }

  // -------------------------------------------------------------------- members and authorizations

  /** Enrolls a member from `start` to `end` (days inclusive; a {@link TimeInput}, e.g. "YYYY-MM-DD"). Caller: insurer staff. */
  async enroll(
    params: { planId: bigint | number | string; member: string; start: TimeInput; end: TimeInput },
    overrides: Overrides = {},
  ): Promise<TxHandle<{ planId: bigint; member: string; start: number; end: number }>> {
    const planId = requireId("planId", params.planId);
    const member = requireAddress("member", params.member);
    const start = requireTime("start", params.start);
    const end = requireTime("end", params.end);
    if (end < start) throw new ValidationError("end", "the coverage ends before it starts");
    requireSigner(this.contract.runner);
    return this.send(() => this.contract.enroll(planId, member, start, end, overrides), () => ({ planId, member, start, end }));
  }

  /**
   * Issues a prior authorization, valid from `validFrom` to `validUntil` (each a {@link TimeInput}). Caller: insurer staff.
   * @returns a handle whose `wait()` gives the `authId`
   */
  async authorize(
    params: { planId: bigint | number | string; member: string; code: string; maxAmount: bigint; validFrom: TimeInput; validUntil: TimeInput },
    overrides: Overrides = {},
  ): Promise<TxHandle<{ authId: bigint }>> {
    const planId = requireId("planId", params.planId);
    const member = requireAddress("member", params.member);
    const code = requireBytes32("code", params.code);
    const maxAmount = requireAmount("maxAmount", params.maxAmount, { allowZero: false });
    const validFrom = requireTime("validFrom", params.validFrom);
    const validUntil = requireTime("validUntil", params.validUntil);
    requireSigner(this.contract.runner);
    return this.send(
      () => this.contract.authorize(planId, member, code, maxAmount, validFrom, validUntil, overrides),
      (receipt) => {
        const [e] = eventsIn(this.contract, receipt, "AuthorizationIssued");
        if (!e) throw new CareLedgerError("EVENT_MISSING", `transaction ${receipt.hash} emitted no AuthorizationIssued`);
        return { authId: e.args.authId as bigint };
      },
    );
  }

  // -------------------------------------------------------------------- claims

  /**
   * Submits a claim. The rules adjudicate it; when they decide every line and the plan pays no
   * more than the auto-approval limit, the provider is paid in the same transaction (less what the
   * provider owes the plan: `recovered`). Evidence anchored in a batch travels with its proof
   * (`evidenceProof`): one transaction, no registration first.
   * @returns a handle whose `wait()` gives the {@link AdjudicationResult}
   * @throws {ValidationError} for a bad submission, before anything is sent
   * @throws {ContractRevertError} `DuplicateClaim` (its `args.claimId` is the original claim), `EvidenceNotAnchored`, `EvidenceOfAnotherMember`, `NotAuthorizedSubmitter`…
   */
  async submit(submission: ClaimSubmission, overrides: Overrides = {}): Promise<TxHandle<AdjudicationResult>> {
    const s = validateSubmission(submission);
    requireSigner(this.contract.runner);
    const claimId = claimIdOf(s);
    const p = s.evidenceProof;
    return this.send(
      () => (p ? this.contract.submitWithProof(toSubmissionStruct(s), p.root, [...p.proof], overrides) : this.contract.submit(toSubmissionStruct(s), overrides)),
      (receipt) => this.#result(receipt, claimId),
    );
  }

  /**
   * Submits a claim unless the same claim is already on chain, in which case it sends nothing and
   * returns the existing claim's id: the basis of idempotent batch submission.
   */
  async submitOnce(submission: ClaimSubmission, overrides: Overrides = {}): Promise<{ claimId: string; duplicate: true; state: ClaimState } | { claimId: string; duplicate: false; handle: TxHandle<AdjudicationResult> }> {
    const s = validateSubmission(submission);
    const claimId = claimIdOf(s);
    const exists = await this.stored(claimId).then(
      () => true,
      (err: unknown) => {
        if (err instanceof ContractRevertError && err.errorName === "UnknownClaim") return false;
        throw err;
      },
    );
    if (exists) return { claimId, duplicate: true, state: await this.claim(claimId) };
    return { claimId, duplicate: false, handle: await this.submit(s, overrides) };
  }

  /**
   * Submits a corrected claim replacing `replaces` (its record is rebuilt from events). The plan
   * pays only the difference from what it had committed for the service over the whole chain; a
   * negative difference is owed back and recouped from the provider's next payments under the
   * plan (see {@link owedBack}, {@link repay}). Caller: a member of the provider organization
   * that billed the original.
   * @throws {ValidationError} for a bad submission, before anything is sent
   * @throws {ContractRevertError} e.g. `NotClaimProvider`, `CorrectionMismatch`, `InvalidClaimStatus`, `DuplicateClaim`
   */
  async submitCorrection(params: { replaces: string; submission: ClaimSubmission }, overrides: Overrides = {}): Promise<TxHandle<AdjudicationResult>> {
    const replaces = requireBytes32("replaces", params.replaces);
    const s = validateSubmission(params.submission);
    if (s.evidenceProof) {
      throw new ValidationError(
        "evidenceProof",
        "a correction cites evidence without a proof: the evidence its chain already cites, or a record anchored singly (register a batch record first with records.registerBatchRecord)",
      );
    }
    requireSigner(this.contract.runner);
    const original = await this.record(replaces);
    // The same service as the claim it replaces (a resubmission) takes an id of its own; another service its key.
    const sameService = serviceKeyOf(original) === serviceKeyOf(s);
    const claimId = claimIdOf(s, sameService ? replaces : undefined);
    return this.send(() => this.contract.submitCorrection(toSubmissionStruct(s), replaces, toRecordStruct(original), overrides), (receipt) => this.#result(receipt, claimId));
  }

  /**
   * Resubmits a denied claim once its cause is fixed (the enrollment loaded, the prior
   * authorization recorded): the same service and lines, with the `authId` (and, if it changed,
   * the evidence) given here, adjudicated afresh without an appeal. The history links both claims.
   * @throws {ValidationError} naming `claimId` when the claim is not denied
   * @throws {ContractRevertError} e.g. `NotClaimProvider`
   */
  async resubmit(params: { claimId: string; authId?: bigint | number | string; evidence?: string }, overrides: Overrides = {}): Promise<TxHandle<AdjudicationResult>> {
    const claimId = requireBytes32("claimId", params.claimId);
    // The claim's state first (an unknown id is refused by the contract as UnknownClaim), then its
    // history: one answer for one id, whichever read would have been quicker.
    const state = await this.claim(claimId);
    if (state.status !== ClaimStatus.Denied && state.status !== ClaimStatus.Upheld) {
      throw new ValidationError("claimId", `claim ${claimId} is ${ClaimStatus[state.status]}, not denied: correct it with submitCorrection instead`);
    }
    const h = await this.history(claimId);
    const submission = { ...h.submission, authId: params.authId === undefined ? h.submission.authId : requireId("authId", params.authId, { allowZero: true }), evidence: params.evidence ?? h.submission.evidence };
    return this.submitCorrection({ replaces: claimId, submission }, overrides);
  }

  /**
   * Voids a claim billed in error: the member's accumulators and the authorization are given
   * back, and what the plan had committed for the service is owed back (recouped from the
   * provider's next payments under the plan, or repaid with {@link repay}). Caller: a member of
   * the provider organization that billed it.
   * @returns a handle whose `wait()` gives what is now owed back for it
   * @throws {ContractRevertError} e.g. `NotClaimProvider`, `InvalidClaimStatus`
   */
  async voidClaim(params: { claimId: string }, overrides: Overrides = {}): Promise<TxHandle<{ claimId: string; owed: bigint }>> {
    const claimId = requireBytes32("claimId", params.claimId);
    requireSigner(this.contract.runner);
    const record = await this.record(claimId);
    return this.send(
      () => this.contract.voidClaim(claimId, toRecordStruct(record), overrides),
      (receipt) => {
        const [e] = eventsIn(this.contract, receipt, "ClaimVoided");
        return { claimId, owed: e.args.owed as bigint };
      },
    );
  }

  /**
   * Repays what a provider owes a plan (from corrections and voids) into the plan's escrow, from
   * the signer, approving the engine for the plan's token first when the allowance is short.
   * @throws {ValidationError} naming `amount` when it is zero or more than is owed
   * @throws {ContractRevertError} e.g. `RepaymentExceedsOwed`, `EnforcedPause`
   */
  async repay(params: { planId: bigint | number | string; providerOrg: bigint | number | string; amount: bigint }, overrides: Overrides = {}): Promise<TxHandle<{ planId: bigint; providerOrg: bigint; amount: bigint; queuedPaid: number }>> {
    const planId = requireId("planId", params.planId);
    const providerOrg = requireId("providerOrg", params.providerOrg);
    const amount = requireAmount("amount", params.amount, { allowZero: false });
    requireSigner(this.contract.runner);
    const owed = await this.owedBack(planId, providerOrg);
    if (amount > owed) throw new ValidationError("amount", `${amount} is more than provider ${providerOrg} owes plan ${planId} (${owed})`);
    await this.#approve(planId, amount);
    return this.send(
      () => this.contract.repay(planId, providerOrg, amount, overrides),
      (receipt) => ({ planId, providerOrg, amount, queuedPaid: eventsIn(this.contract, receipt, "ClaimPaid").length }),
    );
  }

  /**
   * Approves the engine for `amount` of the plan's token when the signer's allowance is short, and
   * waits for it: sent like every other write ({@link send}), so a sender that cannot pay for it is
   * named with its shortfall and the token's refusals are decoded.
   */
  async #approve(planId: bigint, amount: bigint): Promise<void> {
    const plan = await this.plan(planId);
    const owner = await requireSigner(this.contract.runner).getAddress();
    const token = IERC20__factory.connect(plan.token, this.contract.runner);
    if ((await this.read(() => token.allowance(owner, this.address))) < amount) {
      await (await send(() => token.approve(this.address, amount), () => ({}), this.contract.runner)).wait();
    }
  }

  /**
   * An adjuster decides a pended claim line by line; the amounts are cost-shared now, against
   * the member's accumulators as they stand. By default it allows what the rules previewed, with
   * the rules' reasons; `{ approve: true }` allows a line's ceiling, `{ allowed, reason }` an
   * amount, `{ deny: carc }` nothing.
   * @throws {ContractRevertError} e.g. `InvalidDecision`, `NotInsurerStaff`, `InvalidClaimStatus`
   */
  async decide(params: { claimId: string; decisions?: readonly LineDecisionInput[] }, overrides: Overrides = {}): Promise<TxHandle<AdjudicationResult>> {
    const claimId = requireBytes32("claimId", params.claimId);
    requireSigner(this.contract.runner);
    const [record, h] = await Promise.all([this.record(claimId), this.history(claimId)]);
    const preview = h.preview ?? [];
    const decisions = params.decisions
      ? await this.#decisions(claimId, record, params.decisions)
      : record.allowed.map((allowed, i) => ({ allowed, reason: preview[i]?.reason ?? 0 }));
    return this.send(() => this.contract.decide(claimId, toRecordStruct(record), decisions, overrides), (receipt) => this.#result(receipt, claimId));
  }

  /**
   * The member, or a member of the provider organization, appeals a partial or denied claim.
   * @throws {ContractRevertError} e.g. `AppealWindowClosed`, `NotAppellant`, `InvalidClaimStatus`
   */
  async appeal(params: { claimId: string }, overrides: Overrides = {}): Promise<TxHandle<{ claimId: string }>> {
    const claimId = requireBytes32("claimId", params.claimId);
    requireSigner(this.contract.runner);
    const record = await this.record(claimId);
    return this.send(() => this.contract.appeal(claimId, toRecordStruct(record), overrides), () => ({ claimId }));
  }

  /**
   * An adjuster other than the one who decided resolves an appeal (default: overturn every line to
   * its ceiling). The plan pays the difference, once.
   * @throws {ContractRevertError} e.g. `SameAdjuster`, `InvalidDecision`
   */
  async resolveAppeal(params: { claimId: string; decisions?: readonly LineDecisionInput[] }, overrides: Overrides = {}): Promise<TxHandle<AdjudicationResult>> {
    const claimId = requireBytes32("claimId", params.claimId);
    requireSigner(this.contract.runner);
    const record = await this.record(claimId);
    const decisions = await this.#decisions(claimId, record, params.decisions, record.allowed);
    return this.send(() => this.contract.resolveAppeal(claimId, toRecordStruct(record), decisions, overrides), (receipt) => this.#result(receipt, claimId));
  }

  async #decisions(claimId: string, record: ClaimRecord, inputs: readonly LineDecisionInput[] | undefined, floor?: readonly bigint[]): Promise<{ allowed: bigint; reason: number }[]> {
    if (inputs && inputs.length !== record.lines.length) throw new ValidationError("decisions", `claim ${claimId} has ${record.lines.length} lines; give one decision per line`);
    const out: { allowed: bigint; reason: number }[] = [];
    for (const [i, line] of record.lines.entries()) {
      const d = inputs?.[i] ?? { approve: true as const };
      if ("deny" in d) out.push({ allowed: floor?.[i] ?? 0n, reason: d.deny });
      else if ("allowed" in d) out.push({ allowed: requireAmount(`decisions[${i}].allowed`, d.allowed), reason: d.reason ?? 0 });
      else {
        // The per-claim cap is shared by the claim's lines of one code: what earlier lines are
        // allowed now, and (on appeal) what later lines already hold, which never shrinks.
        const same = (j: number) => record.lines[j].code === line.code;
        const earlier = out.reduce((t, o, j) => (same(j) ? t + o.allowed : t), 0n);
        const later = (floor ?? []).reduce((t, f, j) => (j > i && same(j) ? t + f : t), 0n);
        const b = await this.benefit(record.planId, line.code);
        const ceiling = lineCeiling(line, b, earlier); // the contract's ceiling for this line
        let allowed = lineCeiling(line, b, earlier + later);
        if (floor && allowed < floor[i]) allowed = floor[i];
        out.push({ allowed, reason: allowed < ceiling ? CARC.BENEFIT_MAXIMUM : 0 });
      }
    }
    return out;
  }

  #result(receipt: TransactionReceipt, claimId: string): AdjudicationResult {
    const c = this.contract;
    const mine = (name: string) => eventsIn(c, receipt, name).filter((e) => e.args.claimId === claimId);
    const adjudicated = mine("ClaimAdjudicated")[0];
    const pended = mine("ClaimPended")[0];
    const paid = mine("ClaimPaid").reduce((sum, e) => sum + (e.args.amount as bigint), 0n);
    const queued = mine("PaymentQueued").reduce((sum, e) => sum + (e.args.amount as bigint), 0n);
    const owedBack = mine("OverpaymentRecorded").reduce((sum, e) => sum + (e.args.amount as bigint), 0n);
    const recovered = mine("OverpaymentRecovered").reduce((sum, e) => sum + (e.args.amount as bigint), 0n);
    if (adjudicated) {
      return {
        claimId,
        status: Number(adjudicated.args.status) as ClaimStatus,
        planTotal: adjudicated.args.planTotal as bigint,
        memberTotal: adjudicated.args.memberTotal as bigint,
        outcomes: (adjudicated.args.outcomes as LineOutcome[]).map(outcomeOf),
        paid,
        queued,
        owedBack,
        recovered,
      };
    }
    if (!pended) throw new CareLedgerError("EVENT_MISSING", `transaction ${receipt.hash} adjudicated nothing for claim ${claimId}`);
    return { claimId, status: ClaimStatus.Pended, planTotal: pended.args.exposure as bigint, memberTotal: 0n, outcomes: (pended.args.preview as LineOutcome[]).map(outcomeOf), paid, queued, owedBack, recovered };
  }
}

/** The ClaimResponse of an on-chain claim, from its events (as {@link ClaimsClient.toClaimResponse}). @throws {ContractRevertError} `UnknownClaim` */
export async function toClaimResponse(claims: ClaimsClient, claimId: string, options: FhirOutputOptions = {}): Promise<FhirResource> {
  return claims.toClaimResponse(claimId, options);
}

/** The ExplanationOfBenefit of an on-chain claim, from its events (as {@link ClaimsClient.toExplanationOfBenefit}). @throws {ContractRevertError} `UnknownClaim` */
export async function toExplanationOfBenefit(claims: ClaimsClient, claimId: string, options: FhirOutputOptions = {}): Promise<FhirResource> {
  return claims.toExplanationOfBenefit(claimId, options);
}
