/**
 * What the claims engine's custom errors mean (ClaimsEngine, ClaimsPlans, ClaimsEscrow, ClaimsLifecycle, and the
 * OpenZeppelin errors its settlement can raise), in sentences a person can act on.
 */
import { claimStatusName } from "../claims/vocab";
import { arg as s, type MessageTable } from "./base";


/** The claims engine's errors, by name. */
export const CLAIM_MESSAGES: MessageTable = {
  // ClaimsEngine
  TokenNotAllowed: (a) => `${s(a.token)} is not on the settlement allowlist: the configurator must allow it (claims.setTokenAllowed)`,
  NotInsurerStaff: (a) => `${s(a.account)} is not an active member (or, for withdrawals, an admin) of insurer organization ${s(a.orgId)}, which owns this plan`,
  NotInsurerAdmin: (a) => `${s(a.account)} is not an admin of an active insurer organization: only insurer admins create plans`,
  NotProviderAdmin: (a) => `${s(a.account)} is not an admin of an active provider organization: only provider admins name their payee`,
  NotAuthorizedSubmitter: (a) => `${s(a.account)} may not submit for provider ${s(a.providerOrg)} in plan ${s(a.planId)}: submit as an active member of that provider, or of the plan's insurer`,
  UnknownPlan: (a) => `plan ${s(a.planId)} does not exist: check the id (claims.planCount() gives the highest)`,
  InvalidPlanTerms: (a) => `the plan term ${s(a.field)} is not usable: plans need a start date, a filing window and an appeal window`,
  InvalidBenefit: (a) => `the benefit rule for code ${s(a.code)} has an unusable ${s(a.field)} (codes must be non-zero, coinsurance at most 10,000 bps)`,
  InvalidBatch: (a) => `the batch has ${s(a.length)} items where the bound is ${s(a.max)} (and paired arrays must have equal lengths): split it or fix the lengths`,
  ZeroAmount: () => "the amount is zero: give a positive amount",
  ZeroAddress: () => "the zero address is not allowed here",
  FeeOnTransferRefused: (a) => `${s(a.token)} delivered ${s(a.received)} for a deposit of ${s(a.expected)}: fee-on-transfer tokens cannot settle plans`,
  InsufficientUnreservedFunds: (a) => `plan ${s(a.planId)} has ${s(a.available)} unreserved, less than the ${s(a.requested)} requested: queued and pended claims keep the rest`,
  InvalidWindow: (a) => `the period ends (${s(a.end)}) before it starts (${s(a.start)})`,
  UnknownAuthorization: (a) => `prior authorization ${s(a.authId)} does not exist`,
  PayeeNotSet: (a) => `provider organization ${s(a.providerOrg)} has not named a payee: one of its admins must call claims.setPayee first`,
  EvidenceNotAnchored: (a) => `the evidence commitment ${s(a.evidence)} is not anchored by the billing organization ${s(a.orgId)}: anchor the record first (or pass its batch's proof)`,
  EvidenceRetracted: (a) => `the evidence commitment ${s(a.evidence)} was retracted as entered-in-error: submit with the corrected record's commitment`,
  ServiceDateInFuture: (a) => `the service date ${s(a.serviceDate)} is in the future: a claim is filed after the service`,
  DuplicateClaim: (a) => `this service was already billed as claim ${s(a.claimId)}: check its status (claims.claim) and correct it (claims.submitCorrection) instead of billing it again`,
  UnknownClaim: (a) => `claim ${s(a.claimId)} does not exist`,
  InvalidClaimStatus: (a) => `claim ${s(a.claimId)} is ${claimStatusName(a.status as number)}, which does not allow this step`,
  RecordMismatch: (a) => `the record given for claim ${s(a.claimId)} does not match the one on chain: rebuild it with claims.record(claimId)`,
  InvalidDecision: (a) => `the decision on line ${s(a.index)} is not usable: the allowed amount must be at most the line's ceiling (and, on appeal, at least the earlier amount), with a reason code when it is reduced`,
  NotAppellant: (a) => `${s(a.account)} may not appeal claim ${s(a.claimId)}: only its member or a member of its provider organization may`,
  AppealWindowClosed: (a) => `the appeal window of claim ${s(a.claimId)} closed at ${s(a.deadline)}`,
  SameAdjuster: (a) => `${s(a.adjuster)} decided this claim and may not resolve its appeal: another adjuster must`,
  CorrectionMismatch: (a) => `a corrected claim must be for the same plan, member and provider as claim ${s(a.replaces)}`,
  NothingParked: (a) => `nothing is parked for provider ${s(a.providerOrg)} in plan ${s(a.planId)}: no payment of it was refused by the token (claims.parked shows the amount)`,
  EvidenceOfAnotherMember: (a) => `the evidence ${s(a.evidence)} already backs the claims of member ${s(a.member)}: cite the record of this member's own service`,
  NotClaimProvider: (a) => `${s(a.account)} may not correct or void claim ${s(a.claimId)}: only an active member of the provider organization that billed it may`,
  ServiceDateNotDay: (a) => `the service date ${s(a.serviceDate)} is not a day: send midnight UTC (claims take "YYYY-MM-DD"), so that one visit is one claim`,
  RepaymentExceedsOwed: (a) => `a repayment of ${s(a.amount)} is more than provider ${s(a.providerOrg)} owes plan ${s(a.planId)} (${s(a.owed)}): claims.owedBack shows the amount`,
  SafeERC20FailedOperation: (a) => `the token ${s(a.token)} refused the transfer (it returned false)`,
  ReentrancyGuardReentrantCall: () => "a call tried to re-enter a settlement in progress and was refused",
};
