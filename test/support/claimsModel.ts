/**
 * A small TypeScript model of the claims rules (no prior authorization, no review), written
 * independently of the contract: the Synthea reconciliation and the property test hold the
 * contract against it to the smallest token unit.
 */
export interface ModelBenefit {
  readonly fee: bigint;
  readonly copay: bigint;
  readonly coinsuranceBps: bigint;
  /** The copay-only design: the deductible waived (the plan refuses coinsurance with it). */
  readonly copayOnly?: boolean;
}

export interface ModelPlan {
  readonly start: number;
  /** The month and day plan years begin on (default January 1). */
  readonly yearStartMonth?: number;
  readonly yearStartDay?: number;
  readonly deductible: bigint;
  readonly outOfPocketMax: bigint;
  readonly annualCap: bigint;
  readonly benefits: ReadonlyMap<string, ModelBenefit>;
}

export interface ModelLine {
  readonly code: string;
  readonly units: number;
  readonly charged: bigint;
}

export interface ModelOutcome {
  allowed: bigint;
  deductible: bigint;
  copay: bigint;
  coinsurance: bigint;
  plan: bigint;
  reason: number;
}

const min = (...v: bigint[]) => v.reduce((a, b) => (b < a ? b : a));

export class ClaimsModel {
  /** member|year → accumulators */
  readonly accumulators = new Map<string, { deductibleMet: bigint; outOfPocketMet: bigint; benefitPaid: bigint }>();

  constructor(readonly plan: ModelPlan) {}

  acc(member: string, year: number) {
    const key = `${member.toLowerCase()}|${year}`;
    let a = this.accumulators.get(key);
    if (!a) this.accumulators.set(key, (a = { deductibleMet: 0n, outOfPocketMet: 0n, benefitPaid: 0n }));
    return a;
  }

  /** The plan year of `date`: civil years (UTC) from the plan's year start, read off JavaScript's calendar. */
  year(date: number): number {
    const month = this.plan.yearStartMonth ?? 1;
    const day = this.plan.yearStartDay ?? 1;
    const began = (t: number) => {
      const d = new Date(t * 1000);
      const m = d.getUTCMonth() + 1;
      return m > month || (m === month && d.getUTCDate() >= day) ? d.getUTCFullYear() : d.getUTCFullYear() - 1;
    };
    return date < this.plan.start ? 0 : began(date) - began(this.plan.start);
  }

  /** Adjudicates a covered, timely claim by the rules, committing the accumulators unless `commit` is false (a preview). */
  adjudicate(member: string, serviceDate: number, lines: readonly ModelLine[], commit = true): { outcomes: ModelOutcome[]; planTotal: bigint; memberTotal: bigint } {
    const p = this.plan;
    const stored = this.acc(member, this.year(serviceDate));
    const a = commit ? stored : { ...stored };
    const outcomes = lines.map((l) => {
      const b = p.benefits.get(l.code);
      if (!b || b.fee === 0n) return { allowed: 0n, deductible: 0n, copay: 0n, coinsurance: 0n, plan: 0n, reason: 96 };
      let allowed = min(l.charged, b.fee * BigInt(l.units));
      let oopLeft = p.outOfPocketMax > a.outOfPocketMet ? p.outOfPocketMax - a.outOfPocketMet : 0n;
      const dedLeft = p.deductible > a.deductibleMet && !b.copayOnly ? p.deductible - a.deductibleMet : 0n;
      const deductible = min(allowed, dedLeft, oopLeft);
      oopLeft -= deductible;
      const copay = min(b.copay, allowed - deductible, oopLeft);
      oopLeft -= copay;
      const coinsurance = min(((allowed - deductible - copay) * b.coinsuranceBps) / 10_000n, oopLeft);
      const member = deductible + copay + coinsurance;
      let plan = allowed - member;
      let reason = 0;
      if (p.annualCap !== 0n) {
        const capLeft = p.annualCap > a.benefitPaid ? p.annualCap - a.benefitPaid : 0n;
        if (plan > capLeft) {
          allowed -= plan - capLeft;
          plan = capLeft;
          reason = 119;
        }
      }
      a.deductibleMet += deductible;
      a.outOfPocketMet += member;
      a.benefitPaid += plan;
      return { allowed, deductible, copay, coinsurance, plan, reason };
    });
    return {
      outcomes,
      planTotal: outcomes.reduce((s, o) => s + o.plan, 0n),
      memberTotal: outcomes.reduce((s, o) => s + o.deductible + o.copay + o.coinsurance, 0n),
    };
  }
}
