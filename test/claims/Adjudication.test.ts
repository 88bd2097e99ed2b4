import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre from "hardhat";
import { AdjudicationHarness__factory } from "../../typechain-types";

const USD = 1_000_000n;

async function harnessFixture() {
  const [deployer] = await hre.ethers.getSigners();
  return { lib: await new AdjudicationHarness__factory(deployer).deploy() };
}

type Totals = { deductibleMet: bigint; outOfPocketMet: bigint; benefitPaid: bigint };
const terms = (deductible: bigint, outOfPocketMax: bigint, annualCap = 0n) => ({ deductible, outOfPocketMax, annualCap });
const zero: Totals = { deductibleMet: 0n, outOfPocketMet: 0n, benefitPaid: 0n };

describe("Adjudication (library)", function () {
  describe("isCovered", function () {
    it("covers the first and the last day, both inclusive, and nothing outside", async function () {
      const { lib } = await loadFixture(harnessFixture);
      const day = 86_400;
      expect(await lib.isCovered(10 * day, 20 * day, 10 * day)).to.equal(true);
      expect(await lib.isCovered(10 * day, 20 * day, 20 * day)).to.equal(true);
      expect(await lib.isCovered(10 * day, 20 * day, 9 * day)).to.equal(false);
      expect(await lib.isCovered(10 * day, 20 * day, 21 * day)).to.equal(false);
    });

    it("covers, by days, the whole first day of a period that starts in the middle of it", async function () {
      const { lib } = await loadFixture(harnessFixture);
      const day = 86_400;
      expect(await lib.isCovered(10 * day + 43_200, 20 * day, 10 * day)).to.equal(true);
      expect(await lib.isCovered(10 * day + 43_200, 20 * day, 9 * day)).to.equal(false);
      expect(await lib.dayOf(10 * day + 43_200)).to.equal(BigInt(10 * day));
    });

    it("covers nothing for a member never enrolled", async function () {
      const { lib } = await loadFixture(harnessFixture);
      expect(await lib.isCovered(0, 0, 0)).to.equal(false);
    });
  });

  describe("isTimely", function () {
    it("accepts a claim filed at the last second of the window and refuses the next", async function () {
      const { lib } = await loadFixture(harnessFixture);
      expect(await lib.isTimely(1000, 90, 1090)).to.equal(true);
      expect(await lib.isTimely(1000, 90, 1091)).to.equal(false);
    });
  });

  describe("planYear", function () {
    const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 1000;

    it("puts the last day of a calendar year in the plan's first year, and January 1 in the next", async function () {
      const { lib } = await loadFixture(harnessFixture);
      expect(await lib.planYear(day("2024-01-01"), 1, 1, day("2024-12-31"))).to.equal(0n);
      expect(await lib.planYear(day("2024-01-01"), 1, 1, day("2024-12-31") + 86_399)).to.equal(0n);
      expect(await lib.planYear(day("2024-01-01"), 1, 1, day("2025-01-01"))).to.equal(1n);
    });

    it("puts leap days in the right year, for calendar-year and anniversary plans", async function () {
      const { lib } = await loadFixture(harnessFixture);
      expect(await lib.planYear(day("2024-01-01"), 1, 1, day("2028-02-29"))).to.equal(4n);
      // An anniversary plan renewing on March 1: February 29 is the last day of its year.
      expect(await lib.planYear(day("2024-03-01"), 3, 1, day("2028-02-29"))).to.equal(3n);
      expect(await lib.planYear(day("2024-03-01"), 3, 1, day("2028-03-01"))).to.equal(4n);
      // A plan starting mid-year on a calendar-year basis has a short first year.
      expect(await lib.planYear(day("2024-07-15"), 1, 1, day("2024-12-31"))).to.equal(0n);
      expect(await lib.planYear(day("2024-07-15"), 1, 1, day("2025-01-01"))).to.equal(1n);
    });

    it("agrees with the JavaScript calendar on a century of random dates", async function () {
      const { lib } = await loadFixture(harnessFixture);
      let seed = 11;
      const rnd = (n: number) => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed % n;
      };
      const civil = (t: number) => {
        const d = new Date(t * 1000);
        return [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
      };
      const began = (t: number, m: number, dd: number) => {
        const [y, mm, d] = civil(t);
        return mm > m || (mm === m && d >= dd) ? y : y - 1;
      };
      const century = 100 * 366 * 86_400;
      for (let i = 0; i < 40; i++) {
        const start = day("2000-01-01") + rnd(century);
        const date = start + rnd(century);
        const month = 1 + rnd(12);
        const dom = 1 + rnd(28);
        const [y, m, d] = civil(date);
        expect(await lib.civilDate(date)).to.deep.equal([BigInt(y), BigInt(m), BigInt(d)]);
        expect(await lib.planYear(start, month, dom, date)).to.equal(BigInt(began(date, month, dom) - began(start, month, dom)));
      }
    });
  });

  describe("civilDate", function () {
    const civil = (t: number) => {
      const d = new Date(t * 1000);
      return [BigInt(d.getUTCFullYear()), BigInt(d.getUTCMonth() + 1), BigInt(d.getUTCDate())];
    };
    const day = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d) / 1000;

    it("agrees with the JavaScript calendar on the days around every month's turn, 1970 to 2500 (leap centuries and all)", async function () {
      const { lib } = await loadFixture(harnessFixture);
      // Each year's last day of February, March 1 and December 31, and every month's first and last day
      // in the years around the era's turns (2000, 2100, 2400): where each term of the conversion turns over.
      const dates: number[] = [];
      for (let y = 1970; y <= 2500; y++) {
        dates.push(day(y, 3, 1) - 86_400, day(y, 3, 1), day(y, 12, 31), day(y, 1, 1) + 86_399);
        if ([1999, 2000, 2001, 2099, 2100, 2101, 2399, 2400, 2401].includes(y)) {
          for (let m = 1; m <= 12; m++) dates.push(day(y, m, 1), day(y, m + 1, 1) - 1);
        }
      }
      for (const t of dates) expect(await lib.civilDate(t), new Date(t * 1000).toISOString()).to.deep.equal(civil(t));
    });

    it("agrees with the JavaScript calendar on random days to the year 9999", async function () {
      const { lib } = await loadFixture(harnessFixture);
      let seed = 2026;
      const end = day(9999, 12, 31);
      for (let i = 0; i < 300; i++) {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        const t = Math.floor((seed / 2 ** 31) * end);
        expect(await lib.civilDate(t), new Date(t * 1000).toISOString()).to.deep.equal(civil(t));
      }
    });
  });

  describe("ceiling", function () {
    it("allows the lesser of the charge and fee x units", async function () {
      const { lib } = await loadFixture(harnessFixture);
      expect(await lib.ceiling(500, 2, 100, false, 0)).to.deep.equal([200n, 0n]);
      expect(await lib.ceiling(150, 2, 100, false, 0)).to.deep.equal([150n, 0n]);
    });

    it("denies a code without a fee (CARC 96)", async function () {
      const { lib } = await loadFixture(harnessFixture);
      expect(await lib.ceiling(500, 1, 0, false, 0)).to.deep.equal([0n, 96n]);
    });

    it("limits to the per-claim cap (CARC 119) only when it binds", async function () {
      const { lib } = await loadFixture(harnessFixture);
      expect(await lib.ceiling(500, 5, 100, true, 300)).to.deep.equal([300n, 119n]);
      expect(await lib.ceiling(500, 2, 100, true, 300)).to.deep.equal([200n, 0n]);
    });
  });

  describe("authorize", function () {
    it("denies a line without a valid authorization (CARC 197)", async function () {
      const { lib } = await loadFixture(harnessFixture);
      expect(await lib.authorize(100, false, 1000)).to.deep.equal([0n, 0n, 197n]);
    });

    it("allows only what remains of an authorization (partial, CARC 197), and nothing when exhausted", async function () {
      const { lib } = await loadFixture(harnessFixture);
      expect(await lib.authorize(100, true, 60)).to.deep.equal([60n, 60n, 197n]);
      expect(await lib.authorize(100, true, 0)).to.deep.equal([0n, 0n, 197n]);
    });

    it("allows the whole line when the authorization covers it", async function () {
      const { lib } = await loadFixture(harnessFixture);
      expect(await lib.authorize(100, true, 100)).to.deep.equal([100n, 100n, 0n]);
    });
  });

  describe("shareCost", function () {
    it("splits the cost-sharing year: 300/0, 400/800, 300/1,700, 0/400", async function () {
      const { lib } = await loadFixture(harnessFixture);
      const t = terms(500n * USD, 1_000n * USD);
      let acc: Totals = zero;
      const expected = [
        [300n, 300n, 0n, 300n, 0n],
        [1_200n, 200n, 200n, 400n, 800n],
        [2_000n, 0n, 300n, 300n, 1_700n],
        [400n, 0n, 0n, 0n, 400n],
      ];
      for (const [allowed, deductible, coinsurance, member, plan] of expected) {
        const [s, after] = await lib.shareCost(allowed * USD, 0, 2000, false, t, acc);
        expect([s.allowed, s.deductible, s.copay, s.coinsurance, s.plan, s.reason]).to.deep.equal([
          allowed * USD,
          deductible * USD,
          0n,
          coinsurance * USD,
          plan * USD,
          0n,
        ]);
        expect(s.deductible + s.copay + s.coinsurance).to.equal(member * USD);
        acc = { deductibleMet: after.deductibleMet, outOfPocketMet: after.outOfPocketMet, benefitPaid: after.benefitPaid };
      }
      expect(acc).to.deep.equal({ deductibleMet: 500n * USD, outOfPocketMet: 1_000n * USD, benefitPaid: 2_900n * USD });
    });

    it("takes the copay after the deductible and coinsurance on the rest, rounding coinsurance down", async function () {
      const { lib } = await loadFixture(harnessFixture);
      const [s] = await lib.shareCost(1001, 100, 2000, false, terms(0n, 10_000n), zero);
      // 1001 - copay 100 = 901; 20% = 180.2 -> 180
      expect([s.deductible, s.copay, s.coinsurance, s.plan]).to.deep.equal([0n, 100n, 180n, 721n]);
    });

    it("stops the copay at the out-of-pocket maximum", async function () {
      const { lib } = await loadFixture(harnessFixture);
      const [s] = await lib.shareCost(1000, 100, 0, false, terms(0n, 50n), zero);
      expect([s.copay, s.plan]).to.deep.equal([50n, 950n]);
    });

    it("limits the plan's share to the annual cap and does not allow the excess (CARC 119)", async function () {
      const { lib } = await loadFixture(harnessFixture);
      const [s, after] = await lib.shareCost(1000, 0, 0, false, terms(0n, 0n, 600n), { deductibleMet: 0n, outOfPocketMet: 0n, benefitPaid: 400n });
      expect([s.allowed, s.plan, s.reason]).to.deep.equal([200n, 200n, 119n]);
      expect(after.benefitPaid).to.equal(600n);
    });

    it("leaves a line alone when the annual cap does not bind", async function () {
      const { lib } = await loadFixture(harnessFixture);
      const [s, after] = await lib.shareCost(100, 0, 0, false, terms(0n, 0n, 600n), zero);
      expect([s.allowed, s.plan, s.reason, after.benefitPaid]).to.deep.equal([100n, 100n, 0n, 100n]);
    });

    it("pays nothing once the annual cap is reached", async function () {
      const { lib } = await loadFixture(harnessFixture);
      const [s] = await lib.shareCost(1000, 0, 0, false, terms(0n, 0n, 600n), { deductibleMet: 0n, outOfPocketMet: 0n, benefitPaid: 700n });
      expect([s.allowed, s.plan, s.reason]).to.deep.equal([0n, 0n, 119n]);
    });

    it("treats accumulators above the limits as met", async function () {
      const { lib } = await loadFixture(harnessFixture);
      const [s] = await lib.shareCost(1000, 0, 2000, false, terms(100n, 100n), { deductibleMet: 200n, outOfPocketMet: 200n, benefitPaid: 0n });
      expect([s.deductible, s.coinsurance, s.plan]).to.deep.equal([0n, 0n, 1000n]);
    });

    it("charges a copay-only benefit its copay alone: the deductible is waived and there is no coinsurance", async function () {
      const { lib } = await loadFixture(harnessFixture);
      const [s, after] = await lib.shareCost(1000, 30, 0, true, terms(500n, 5000n), zero);
      expect([s.deductible, s.copay, s.coinsurance, s.plan]).to.deep.equal([0n, 30n, 0n, 970n]);
      expect([after.deductibleMet, after.outOfPocketMet]).to.deep.equal([0n, 30n]);
    });

    it("waives a copay-only benefit's copay once the out-of-pocket maximum is met", async function () {
      const { lib } = await loadFixture(harnessFixture);
      const [s] = await lib.shareCost(1000, 30, 0, true, terms(500n, 100n), { deductibleMet: 0n, outOfPocketMet: 90n, benefitPaid: 0n });
      expect([s.deductible, s.copay, s.plan]).to.deep.equal([0n, 10n, 990n]);
    });

    it("keeps member share + plan share = allowed to the unit on random inputs", async function () {
      const { lib } = await loadFixture(harnessFixture);
      let seed = 7;
      const rnd = (n: number) => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return BigInt(seed % n);
      };
      for (let i = 0; i < 25; i++) {
        const t = terms(rnd(5000), rnd(8000), rnd(3) === 0n ? 0n : rnd(20000));
        const acc = { deductibleMet: rnd(6000), outOfPocketMet: rnd(9000), benefitPaid: rnd(20000) };
        const [s] = await lib.shareCost(rnd(100000), rnd(500), rnd(10001), false, t, acc);
        expect(s.deductible + s.copay + s.coinsurance + s.plan).to.equal(s.allowed);
        const oop = t.outOfPocketMax > acc.outOfPocketMet ? t.outOfPocketMax - acc.outOfPocketMet : 0n;
        expect(s.deductible + s.copay + s.coinsurance <= oop).to.equal(true);
      }
    });
  });
});
