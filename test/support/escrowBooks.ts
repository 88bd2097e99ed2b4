/**
 * The observer's books of one plan's escrow, kept from the engine's events only (never from a
 * model): what the claims property tests check the conservation law against,
 *   deposits − payments + recoveries − withdrawals = balance,
 * where payments are gross (paid at once or drained, parked, or offset against what the provider
 * owed) and recoveries are offsets plus repayments. Shared by test/invariants/claims.property and
 * suite.property.
 */
import type { LogDescription } from "ethers";

export interface EscrowBooks {
  deposits: bigint; // PlanFunded
  payments: bigint; // gross: ClaimPaid + PaymentParked + OverpaymentRecovered
  recoveries: bigint; // OverpaymentRecovered + OverpaymentRepaid
  withdrawals: bigint; // FundsWithdrawn
  recorded: bigint; // OverpaymentRecorded
  offsets: bigint; // OverpaymentRecovered
  repaid: bigint; // OverpaymentRepaid
  delivered: bigint; // reached a payee: ClaimPaid + ParkedPaymentReleased
  parked: bigint; // PaymentParked − ParkedPaymentReleased
}

/** Empty books, or books opened with `deposits` and `payments` already made. */
export function openBooks(deposits = 0n, payments = 0n): EscrowBooks {
  return { deposits, payments, recoveries: 0n, withdrawals: 0n, recorded: 0n, offsets: 0n, repaid: 0n, delivered: payments, parked: 0n };
}

/** Adds `v` to `map[k]`. */
export const addTo = (map: Map<string, bigint>, k: string, v: bigint) => map.set(k, (map.get(k) ?? 0n) + v);

/**
 * Books one engine event (others are ignored): into `g`, and per claim into `gross` (what was
 * settled for it: paid, parked, offset) and `owedBy` (what it booked as owed back).
 */
export function bookEvent(g: EscrowBooks, e: LogDescription, gross: Map<string, bigint>, owedBy: Map<string, bigint>): void {
  const amount = e.args.amount as bigint;
  const id = e.args.claimId as string;
  switch (e.name) {
    case "PlanFunded":
      g.deposits += amount;
      break;
    case "FundsWithdrawn":
      g.withdrawals += amount;
      break;
    case "ClaimPaid":
      g.payments += amount;
      g.delivered += amount;
      addTo(gross, id, amount);
      break;
    case "PaymentParked":
      g.payments += amount;
      g.parked += amount;
      addTo(gross, id, amount);
      break;
    case "ParkedPaymentReleased":
      g.parked -= amount;
      g.delivered += amount;
      break;
    case "OverpaymentRecovered":
      g.payments += amount;
      g.recoveries += amount;
      g.offsets += amount;
      addTo(gross, id, amount);
      break;
    case "OverpaymentRepaid":
      g.recoveries += amount;
      g.repaid += amount;
      break;
    case "OverpaymentRecorded":
      g.recorded += amount;
      addTo(owedBy, id, amount);
      break;
  }
}
