/**
 * The read side of the `claims` client: the allowlist, plans and their benefit rules, escrow funds,
 * enrollments, accumulators and authorizations as the engine holds them; a claim's state, record and
 * history rebuilt from its events and checked against the hash on chain; and a claim's outcome as
 * FHIR (ClaimResponse, ExplanationOfBenefit).
 */
import type { ClaimsEngine } from "../../typechain-types/contracts/claims/ClaimsEngine";
import { CareLedgerError, ValidationError } from "../errors";
import { ManagedClient } from "../core/client";
import { requireAddress, requireBytes32, requireId, type TimeInput } from "../core/validate";
import { recordFromHistory, recordHashOf } from "./encoding";
import { claimHistoryFrom, claimStateFrom } from "./history";
import { claimResponseFrom, explanationOfBenefitFrom, type FhirOutputOptions, type FhirResource } from "./fhir";
import { claimStatusOf, requireTime } from "./rules";
import type { BenefitRule, ClaimFilter, ClaimHistory, ClaimListing, ClaimRecord, ClaimState, PlanTerms } from "./types";
import { ClaimStatus, type CostSharing } from "./vocab";

/** The reads of the ClaimsEngine contract; {@link ClaimsClient} adds the writes. */
export class ClaimsReader extends ManagedClient<ClaimsEngine> {
  /**
   * @param contract the engine, connected to a Signer (for writes) or a Provider (reads only)
   * @param fromBlock the first block to read events from (the deployment block)
   */
  constructor(contract: ClaimsEngine, fromBlock = 0) {
    super(contract, fromBlock);
  }

  /** Whether a token may settle plans. */
  async isTokenAllowed(token: string): Promise<boolean> {
    return this.read(() => this.contract.isTokenAllowed(requireAddress("token", token)));
  }

  /** A plan's terms. @throws {ContractRevertError} `UnknownPlan` */
  async plan(planId: bigint | number | string): Promise<Required<PlanTerms>> {
    const p = await this.read(() => this.contract.plan(requireId("planId", planId)));
    return {
      token: p.token,
      insurerOrgId: p.insurerOrgId,
      deductible: p.deductible,
      outOfPocketMax: p.outOfPocketMax,
      start: Number(p.start),
      yearStartMonth: Number(p.yearStartMonth),
      yearStartDay: Number(p.yearStartDay),
      annualCap: p.annualCap,
      autoApprovalLimit: p.autoApprovalLimit,
      filingWindow: Number(p.filingWindow),
      appealWindow: Number(p.appealWindow),
    };
  }

  /** The number of plans. */
  async planCount(): Promise<bigint> {
    return this.read(() => this.contract.planCount());
  }

  /** A code's benefit rule in a plan (fee 0n when not covered). */
  async benefit(planId: bigint | number | string, code: string): Promise<Required<BenefitRule>> {
    const b = await this.read(() => this.contract.benefit(requireId("planId", planId), requireBytes32("code", code)));
    return { code, fee: b.fee, copay: b.copay, coinsuranceBps: Number(b.coinsuranceBps), priorAuth: b.priorAuth, review: b.review, perClaimCap: b.perClaimCap, costSharing: Number(b.costSharing) as CostSharing };
  }

  /** A plan's escrow: balance, reserved (queued + pended), withdrawable, queue positions. */
  async funds(planId: bigint | number | string): Promise<{ balance: bigint; reserved: bigint; withdrawable: bigint; queueHead: number; queueTail: number }> {
    const f = await this.read(() => this.contract.funds(requireId("planId", planId)));
    return { balance: f.balance, reserved: f.reserved, withdrawable: f.balance > f.reserved ? f.balance - f.reserved : 0n, queueHead: Number(f.queueHead), queueTail: Number(f.queueTail) };
  }

  /** A member's coverage period (zeros when never enrolled). */
  async enrollment(planId: bigint | number | string, member: string): Promise<{ start: number; end: number }> {
    const e = await this.read(() => this.contract.enrollment(requireId("planId", planId), requireAddress("member", member)));
    return { start: Number(e.start), end: Number(e.end) };
  }

  /** A member's accumulators for the plan year holding `date` (unix seconds or "YYYY-MM-DD"). */
  async accumulators(planId: bigint | number | string, member: string, date: TimeInput): Promise<{ year: number; deductibleMet: bigint; outOfPocketMet: bigint; benefitPaid: bigint }> {
    const plan = await this.plan(planId);
    const t = requireTime("date", date);
    if (t < plan.start) throw new ValidationError("date", "is before the plan's start");
    const year = await this.planYearOf(planId, t);
    const a = await this.read(() => this.contract.accumulators(requireId("planId", planId), requireAddress("member", member), year));
    return { year, deductibleMet: a.deductibleMet, outOfPocketMet: a.outOfPocketMet, benefitPaid: a.benefitPaid };
  }

  /** The plan year (0-based; civil years from the plan's year start) holding `date` (unix seconds or "YYYY-MM-DD"), as the engine computes it. */
  async planYearOf(planId: bigint | number | string, date: TimeInput): Promise<number> {
    const t = requireTime("date", date);
    return Number(await this.read(() => this.contract.planYearOf(requireId("planId", planId), t)));
  }

  /** A prior authorization. @throws {ContractRevertError} `UnknownAuthorization` */
  async authorization(authId: bigint | number | string): Promise<{ member: string; planId: bigint; code: string; remaining: bigint; maxAmount: bigint; validFrom: number; validUntil: number }> {
    const a = await this.read(() => this.contract.authorization(requireId("authId", authId)));
    return { member: a.member, planId: a.planId, code: a.code, remaining: a.remaining, maxAmount: a.maxAmount, validFrom: Number(a.validFrom), validUntil: Number(a.validUntil) };
  }

  /**
   * A claim's state: status and record hash from the chain, the rest from its record (rebuilt
   * from events and checked against the hash). A voided claim's `planPaid` is 0n and its
   * `decidedAt` the time of the void.
   * @throws {ContractRevertError} `UnknownClaim`
   * @throws {CareLedgerError} `RECORD_MISMATCH` (see {@link record}); `EVENT_MISSING` when the claim's
   * events are before the client's `fromBlock`
   */
  async claim(claimId: string): Promise<ClaimState> {
    const { stored, h } = await this.#verified(claimId);
    const voidedAt = h.voided ? await this.#blockTime(h.voided.blockNumber) : undefined;
    return claimStateFrom(h, stored.status, voidedAt);
  }

  /** What the chain stores for a claim: its status and record hash. @throws {ContractRevertError} `UnknownClaim` */
  protected async stored(claimId: string): Promise<{ status: ClaimStatus; recordHash: string }> {
    const c = await this.read(() => this.contract.claim(requireBytes32("claimId", claimId)));
    return { status: Number(c.status) as ClaimStatus, recordHash: c.recordHash };
  }

  async #blockTime(blockNumber: number): Promise<number> {
    const block = await this.block(blockNumber);
    if (!block) throw new CareLedgerError("EVENT_MISSING", `block ${blockNumber} is not available from the provider`);
    return block.timestamp;
  }

  async #verified(claimId: string): Promise<{ id: string; stored: { status: ClaimStatus; recordHash: string }; h: ClaimHistory; record: ClaimRecord }> {
    const id = requireBytes32("claimId", claimId);
    // The chain first: an unknown claim is the contract's `UnknownClaim`; a known one whose events
    // this client does not read (its fromBlock is after them) is said to be so, never "unknown".
    const stored = await this.stored(id);
    const h = await this.history(id).catch((err: unknown) => {
      if (err instanceof CareLedgerError && err.code === "UNKNOWN_CLAIM") {
        throw new CareLedgerError("EVENT_MISSING", `claim ${id} is on chain (${ClaimStatus[stored.status]}) but its ClaimSubmitted event is not in the logs read from block ${this.fromBlock}: read from the deployment block (the address book's deploymentBlock)`);
      }
      throw err;
    });
    const record = recordFromHistory(h);
    if (recordHashOf(record) !== stored.recordHash) {
      throw new CareLedgerError("RECORD_MISMATCH", `the events of claim ${id} do not reproduce its record hash: is fromBlock (${this.fromBlock}) before the claim?`);
    }
    return { id, stored, h, record };
  }

  /** The account a provider organization is paid at (zero address when unset). */
  async payeeOf(providerOrg: bigint | number | string): Promise<string> {
    return this.read(() => this.contract.payeeOf(requireId("providerOrg", providerOrg)));
  }

  /** What the engine holds for a provider from a plan's payments the token refused to deliver (see {@link releaseParked}). */
  async parked(planId: bigint | number | string, providerOrg: bigint | number | string): Promise<bigint> {
    return this.read(() => this.contract.parked(requireId("planId", planId), requireId("providerOrg", providerOrg)));
  }

  /** What a provider owes a plan back from corrected and voided claims, not yet recouped or repaid. */
  async owedBack(planId: bigint | number | string, providerOrg: bigint | number | string): Promise<bigint> {
    return this.read(() => this.contract.owedBack(requireId("planId", planId), requireId("providerOrg", providerOrg)));
  }

  /**
   * The claims submitted since the deployment, oldest first, selected by plan, provider, member and
   * status (statuses as the chain holds them now). Submissions are read from their events (plan and
   * member are indexed); each listed claim's status is read from the chain.
   * @throws {ValidationError} naming the filter field that is wrong
   */
  async list(filter: ClaimFilter = {}): Promise<ClaimListing[]> {
    const planId = filter.planId === undefined ? undefined : requireId("planId", filter.planId);
    const providerOrg = filter.providerOrg === undefined ? undefined : requireId("providerOrg", filter.providerOrg);
    const member = filter.member === undefined ? undefined : requireAddress("member", filter.member);
    const wanted =
      filter.status === undefined
        ? undefined
        : new Set((Array.isArray(filter.status) ? filter.status : [filter.status]).map((v, i) => claimStatusOf(Array.isArray(filter.status) ? `status[${i}]` : "status", v)));
    const c = this.contract;
    const submitted = await this.logs(c.filters.ClaimSubmitted(undefined, planId, member));
    const out: ClaimListing[] = [];
    for (const e of submitted) {
      const s = e.args.submission;
      if (providerOrg !== undefined && s.providerOrg !== providerOrg) continue;
      const { status } = await this.stored(e.args.claimId);
      if (wanted && !wanted.has(status)) continue;
      out.push({ claimId: e.args.claimId, planId: s.planId, member: s.member, providerOrg: s.providerOrg, serviceDate: Number(s.serviceDate), submittedInBlock: e.blockNumber, status });
    }
    return out;
  }

  /**
   * A claim's full history from its events: the submission, every adjudication (outcomes summed
   * per line), payments and queueing, appeals. The basis of {@link record} and of the FHIR outputs.
   * @throws {CareLedgerError} `UNKNOWN_CLAIM` when no submission event exists
   */
  async history(claimId: string): Promise<ClaimHistory> {
    const id = requireBytes32("claimId", claimId);
    const c = this.contract;
    const head = await this.head();
    const [submitted] = await this.logs(c.filters.ClaimSubmitted(id), this.fromBlock, head);
    if (!submitted) throw new CareLedgerError("UNKNOWN_CLAIM", `claim ${id} has no ClaimSubmitted event since block ${this.fromBlock}`);
    const [corrected, replacedBy, pended, adjudicated, paid, queued, appealed, parked, owed, recovered, voided, authUsed, authReturned] = await this.read(() =>
      Promise.all([
        this.logs(c.filters.ClaimCorrected(id), this.fromBlock, head),
        this.logs(c.filters.ClaimCorrected(undefined, id), this.fromBlock, head),
        this.logs(c.filters.ClaimPended(id), this.fromBlock, head),
        this.logs(c.filters.ClaimAdjudicated(id), this.fromBlock, head),
        this.logs(c.filters.ClaimPaid(id), this.fromBlock, head),
        this.logs(c.filters.PaymentQueued(id), this.fromBlock, head),
        this.logs(c.filters.ClaimAppealed(id), this.fromBlock, head),
        this.logs(c.filters.PaymentParked(id), this.fromBlock, head),
        this.logs(c.filters.OverpaymentRecorded(id), this.fromBlock, head),
        this.logs(c.filters.OverpaymentRecovered(id), this.fromBlock, head),
        this.logs(c.filters.ClaimVoided(id), this.fromBlock, head),
        this.logs(c.filters.AuthorizationUsed(undefined, id), this.fromBlock, head),
        this.logs(c.filters.AuthorizationReturned(undefined, id), this.fromBlock, head),
      ]),
    );
    const last = adjudicated[adjudicated.length - 1];
    const decidedAt = last ? await this.#blockTime(last.blockNumber) : 0;
    return claimHistoryFrom(
      id,
      { submitted, corrected, replacedBy, pended, adjudicated, paid, queued, appealed, parked, owed, recovered, voided, authUsed, authReturned },
      decidedAt,
    );
  }

  /**
   * A claim's record (the facts whose hash is on chain), rebuilt from its events and checked
   * against the on-chain `recordHash`.
   * @throws {ContractRevertError} `UnknownClaim`
   * @throws {CareLedgerError} `RECORD_MISMATCH` when the events do not reproduce the hash;
   * `EVENT_MISSING` when they are before the client's `fromBlock`
   */
  async record(claimId: string): Promise<ClaimRecord> {
    return (await this.#verified(claimId)).record;
  }

  /** The claim's outcome as a FHIR R4 ClaimResponse (see `sdk/claims/fhir.ts`). @throws {ContractRevertError} `UnknownClaim` */
  async toClaimResponse(claimId: string, options: FhirOutputOptions = {}): Promise<FhirResource> {
    const [h, state] = await Promise.all([this.history(claimId), this.claim(claimId)]);
    const plan = await this.plan(state.planId);
    return claimResponseFrom(h, state, { insurerOrgId: plan.insurerOrgId, ...options });
  }

  /** The claim's outcome as a FHIR R4 ExplanationOfBenefit (see `sdk/claims/fhir.ts`). @throws {ContractRevertError} `UnknownClaim` */
  async toExplanationOfBenefit(claimId: string, options: FhirOutputOptions = {}): Promise<FhirResource> {
    const [h, state] = await Promise.all([this.history(claimId), this.claim(claimId)]);
    const plan = await this.plan(state.planId);
    return explanationOfBenefitFrom(h, state, { insurerOrgId: plan.insurerOrgId, ...options });
  }
}
