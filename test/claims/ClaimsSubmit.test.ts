import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre from "hardhat";
import { ClaimStatus, claimIdOf, OrgKind, type ClaimSubmission } from "../../sdk";
import { PROFILE } from "../support/fixtures";
import { claimsEvent, claimsFixture, CODE, DAY, HOSPITAL, LAB, sub, USD, YEAR, type ClaimsFixture } from "./fixtures";
import { claimState } from "../support/suiteFixture";

/** Submits `s` as `from` (default: the doctor) and returns the claim id with its adjudication event args. */
async function submit(f: ClaimsFixture, s: ClaimSubmission, from = f.doctor) {
  const id = claimIdOf(s);
  const rc = await (await f.claims.connect(from).submit(sub(s))).wait();
  const ev = claimsEvent(f.claims, rc, "ClaimAdjudicated", "ClaimPended")!;
  return { id, ev, rc };
}

const outcome = (o: { allowed: bigint; deductible: bigint; copay: bigint; coinsurance: bigint; plan: bigint; reason: bigint }) => [
  o.allowed,
  o.deductible,
  o.copay,
  o.coinsurance,
  o.plan,
  Number(o.reason),
];

describe("ClaimsEngine: submission and adjudication", function () {
  describe("the cost-sharing year", function () {
    it("splits $300, $1,200, $2,000 and $400 as 300/0, 400/800, 300/1,700, 0/400, paying exactly the plan's share, and resets next plan year", async function () {
      const f = await loadFixture(claimsFixture);
      const { claims, token, payee, planId, patient, start } = f;
      const engine = await claims.getAddress();
      const cases = [
        { charged: 300n, deductible: 300n, coinsurance: 0n, plan: 0n },
        { charged: 1_200n, deductible: 200n, coinsurance: 200n, plan: 800n },
        { charged: 2_000n, deductible: 0n, coinsurance: 300n, plan: 1_700n },
        { charged: 400n, deductible: 0n, coinsurance: 0n, plan: 400n },
      ];
      for (const c of cases) {
        const s = await f.submission({ lines: [f.line(CODE.VISIT, c.charged * USD)] });
        const [payeeBefore, engineBefore] = [await token.balanceOf(payee.address), await token.balanceOf(engine)];
        const tx = claims.connect(f.doctor).submit(sub(s));
        const id = claimIdOf(s);
        await expect(tx)
          .to.emit(claims, "ClaimAdjudicated")
          .withArgs(id, ClaimStatus.Approved, hre.ethers.ZeroAddress, c.plan * USD, (c.deductible + c.coinsurance) * USD, [
            [c.charged * USD, c.deductible * USD, 0n, c.coinsurance * USD, c.plan * USD, 0n],
          ]);
        if (c.plan > 0n) await expect(tx).to.emit(claims, "ClaimPaid").withArgs(id, planId, payee.address, c.plan * USD);
        else await expect(tx).not.to.emit(claims, "ClaimPaid");
        expect((await token.balanceOf(payee.address)) - payeeBefore).to.equal(c.plan * USD);
        expect(engineBefore - (await token.balanceOf(engine))).to.equal(c.plan * USD);
        const state = await claimState(claims, id);
        expect([Number(state.status), state.planPaid]).to.deep.equal([ClaimStatus.Approved, c.plan * USD]);
      }
      const acc = await claims.accumulators(planId, patient.address, 0);
      expect([acc.deductibleMet, acc.outOfPocketMet, acc.benefitPaid]).to.deep.equal([500n * USD, 1_000n * USD, 2_900n * USD]);
      expect((await claims.funds(planId)).balance).to.equal((100_000n - 2_900n) * USD);

      // The next plan year starts afresh.
      await time.increaseTo(start + YEAR + DAY);
      const s = await f.submission({ serviceDate: start + YEAR, lines: [f.line(CODE.VISIT, 700n * USD)] });
      const { ev } = await submit(f, s);
      expect(outcome(ev!.args.outcomes[0])).to.deep.equal([700n * USD, 500n * USD, 0n, 40n * USD, 160n * USD, 0]);
      const next = await claims.accumulators(planId, patient.address, 1);
      expect([next.deductibleMet, next.outOfPocketMet, next.benefitPaid]).to.deep.equal([500n * USD, 540n * USD, 160n * USD]);
    });

    it("records the SDK's view of the claim: history, record and on-chain hash agree", async function () {
      const f = await loadFixture(claimsFixture);
      const s = await f.submission({ lines: [f.line(CODE.VISIT, 1_200n * USD), f.line(CODE.XRAY, 250n * USD, 2)] });
      const { id } = await submit(f, s);
      const r = await f.sdk.claims.record(id);
      // visit: 500 deductible, 700 x 20% = 140; x-ray: ceiling 200, copay 25, 175 x 20% = 35
      expect(r.allowed).to.deep.equal([1_200n * USD, 200n * USD]);
      expect([r.deductible, r.memberShare]).to.deep.equal([500n * USD, 700n * USD]);
      const h = await f.sdk.claims.history(id);
      expect(h.outcomes.map((o) => [o.copay, o.plan])).to.deep.equal([
        [0n, 560n * USD],
        [25n * USD, 140n * USD],
      ]);
    });
  });

  describe("eligibility and filing", function () {
    it("covers services on the first and last day of coverage and denies the days outside (CARC 27)", async function () {
      const f = await loadFixture(claimsFixture);
      const { claims, adjuster, planId, member2, start } = f;
      const from = start + 50 * DAY;
      const until = start + 60 * DAY;
      await claims.connect(adjuster).enroll(planId, member2.address, from, until);
      for (const [date, status, reason] of [
        [from - DAY, ClaimStatus.Denied, 27],
        [from, ClaimStatus.Approved, 0],
        [until, ClaimStatus.Approved, 0],
        [until + DAY, ClaimStatus.Denied, 27],
      ] as const) {
        const s = await f.submission({ member: member2.address, serviceDate: date });
        const { ev } = await submit(f, s);
        expect(Number(ev!.args.status)).to.equal(status);
        expect(Number(ev!.args.outcomes[0].reason)).to.equal(reason);
      }
    });

    it("denies a service before the plan's start, and a member never enrolled (CARC 27)", async function () {
      const f = await loadFixture(claimsFixture);
      await f.claims.connect(f.adjuster).enroll(f.planId, f.member2.address, 1, f.start + YEAR);
      const before = await submit(f, await f.submission({ member: f.member2.address, serviceDate: f.start - DAY }));
      expect([Number(before.ev!.args.status), Number(before.ev!.args.outcomes[0].reason)]).to.deep.equal([ClaimStatus.Denied, 27]);
      const stranger = await submit(f, await f.submission({ member: f.outsider.address }));
      expect([Number(stranger.ev!.args.status), stranger.ev!.args.planTotal]).to.deep.equal([ClaimStatus.Denied, 0n]);
    });

    it("accepts a claim filed on the last second of the filing window and denies one filed a second later (CARC 29)", async function () {
      const f = await loadFixture(claimsFixture);
      const today = (await time.latest()) - ((await time.latest()) % DAY);
      const d1 = today - 80 * DAY;
      const onTime = await f.submission({ serviceDate: d1 });
      const late = await f.submission({ serviceDate: d1, lines: [f.line(CODE.VISIT, 301n * USD)] });
      await time.setNextBlockTimestamp(d1 + 90 * DAY);
      expect(Number((await submit(f, onTime)).ev!.args.status)).to.equal(ClaimStatus.Approved);
      await time.setNextBlockTimestamp(d1 + 90 * DAY + 1);
      const { ev } = await submit(f, late);
      expect([Number(ev!.args.status), Number(ev!.args.outcomes[0].reason), ev!.args.planTotal]).to.deep.equal([ClaimStatus.Denied, 29, 0n]);
    });
  });

  describe("prior authorization", function () {
    async function authorized(f: ClaimsFixture, maxAmount: bigint, from: number, until: number, member = f.patient.address) {
      await f.claims.connect(f.adjuster).authorize(f.planId, member, CODE.MRI, maxAmount, from, until);
      return BigInt(await f.claims.authorization(1).then(() => 1));
    }

    it("denies a line that needs an authorization and has none (CARC 197)", async function () {
      const f = await loadFixture(claimsFixture);
      const { ev } = await submit(f, await f.submission({ lines: [f.line(CODE.MRI, 800n * USD)] }));
      expect([Number(ev!.args.status), outcome(ev!.args.outcomes[0])]).to.deep.equal([ClaimStatus.Denied, [0n, 0n, 0n, 0n, 0n, 197]]);
    });

    it("allows a line within a valid authorization and consumes it", async function () {
      const f = await loadFixture(claimsFixture);
      const s0 = await f.submission();
      const authId = await authorized(f, 1_000n * USD, s0.serviceDate, s0.serviceDate + 30 * DAY);
      const { ev } = await submit(f, await f.submission({ authId, lines: [f.line(CODE.MRI, 800n * USD)] }));
      expect([Number(ev!.args.status), ev!.args.outcomes[0].allowed]).to.deep.equal([ClaimStatus.Approved, 800n * USD]);
      expect((await f.claims.authorization(authId)).remaining).to.equal(200n * USD);
    });

    it("allows only what remains of an authorization (partial), then nothing once exhausted (CARC 197)", async function () {
      const f = await loadFixture(claimsFixture);
      const s0 = await f.submission();
      const authId = await authorized(f, 500n * USD, s0.serviceDate - DAY, s0.serviceDate);
      const partial = await submit(f, await f.submission({ authId, lines: [f.line(CODE.MRI, 800n * USD)] }));
      expect([Number(partial.ev!.args.status), partial.ev!.args.outcomes[0].allowed, Number(partial.ev!.args.outcomes[0].reason)]).to.deep.equal([ClaimStatus.Partial, 500n * USD, 197]);
      const exhausted = await submit(f, await f.submission({ authId, lines: [f.line(CODE.MRI, 100n * USD)] }));
      expect([Number(exhausted.ev!.args.status), outcome(exhausted.ev!.args.outcomes[0])]).to.deep.equal([ClaimStatus.Denied, [0n, 0n, 0n, 0n, 0n, 197]]);
    });

    it("denies a service outside the authorization's window, and an authorization for someone else or another code (CARC 197)", async function () {
      const f = await loadFixture(claimsFixture);
      const s0 = await f.submission();
      await f.claims.connect(f.adjuster).authorize(f.planId, f.patient.address, CODE.MRI, 1_000n * USD, s0.serviceDate - 20 * DAY, s0.serviceDate - 10 * DAY);
      await f.claims.connect(f.adjuster).authorize(f.planId, f.patient.address, CODE.MRI, 1_000n * USD, s0.serviceDate + DAY, s0.serviceDate + 10 * DAY);
      await f.claims.connect(f.adjuster).authorize(f.planId, f.member2.address, CODE.MRI, 1_000n * USD, 0, s0.serviceDate);
      await f.claims.connect(f.adjuster).authorize(f.planId, f.patient.address, CODE.XRAY, 1_000n * USD, 0, s0.serviceDate);
      await f.claims.connect(f.insurerAdmin).createPlan(f.terms);
      await f.claims.connect(f.insurerAdmin).authorize(2, f.patient.address, CODE.MRI, 1_000n * USD, 0, s0.serviceDate);
      for (const authId of [1n, 2n, 3n, 4n, 5n]) {
        const { ev } = await submit(f, await f.submission({ authId, lines: [f.line(CODE.MRI, 800n * USD + authId)] }));
        expect(Number(ev!.args.outcomes[0].reason)).to.equal(197);
      }
    });
  });

  describe("caps and codes", function () {
    it("allows part of a claim up to the annual cap (CARC 119, partial)", async function () {
      const f = await loadFixture(claimsFixture);
      await f.claims.connect(f.insurerAdmin).createPlan({ ...f.terms, deductible: 0n, outOfPocketMax: 0n, annualCap: 1_000n * USD });
      await f.claims.connect(f.insurerAdmin).setBenefits(2, [CODE.VISIT], [{ fee: 5_000n * USD, copay: 0n, coinsuranceBps: 0, priorAuth: false, review: false, perClaimCap: 0n, costSharing: 0 }]);
      await f.claims.connect(f.insurerAdmin).enroll(2, f.patient.address, f.start, f.start + YEAR);
      await f.claims.connect(f.insurerAdmin).fund(2, 5_000n * USD);
      const { ev } = await submit(f, await f.submission({ planId: 2n, lines: [f.line(CODE.VISIT, 1_200n * USD)] }));
      expect([Number(ev!.args.status), outcome(ev!.args.outcomes[0])]).to.deep.equal([ClaimStatus.Partial, [1_000n * USD, 0n, 0n, 0n, 1_000n * USD, 119]]);
    });

    it("limits a line to its per-claim cap (CARC 119) and denies a code the plan does not cover (CARC 96)", async function () {
      const f = await loadFixture(claimsFixture);
      await f.claims.connect(f.insurerAdmin).setBenefits(f.planId, [CODE.VISIT], [{ fee: 5_000n * USD, copay: 0n, coinsuranceBps: 2000, priorAuth: false, review: false, perClaimCap: 0n, costSharing: 0 }]);
      const { ev } = await submit(f, await f.submission({ lines: [f.line(CODE.CAPPED, 800n * USD), f.line(CODE.UNKNOWN, 50n * USD)] }));
      expect(Number(ev!.args.status)).to.equal(ClaimStatus.Partial);
      expect([ev!.args.outcomes[0].allowed, Number(ev!.args.outcomes[0].reason)]).to.deep.equal([300n * USD, 119]);
      expect(outcome(ev!.args.outcomes[1])).to.deep.equal([0n, 0n, 0n, 0n, 0n, 96]);
    });

    it("pends a line whose code needs review, and a claim above the auto-approval limit, reserving the exposure without touching the member's accumulators", async function () {
      const f = await loadFixture(claimsFixture);
      const review = await submit(f, await f.submission({ lines: [f.line(CODE.REVIEW, 600n * USD)] }));
      expect(review.ev!.name).to.equal("ClaimPended");
      expect(review.ev!.args.exposure).to.equal(80n * USD); // 600: deductible 500, 20% of 100
      const big = await submit(f, await f.submission({ lines: [f.line(CODE.VISIT, 15_000n * USD, 3)] }));
      expect(big.ev!.name).to.equal("ClaimPended");
      // The pended review claim applied nothing, so 15,000 is previewed against untouched
      // accumulators: deductible 500, 20% of 14,500 = 2,900 but only 500 left of the OOP max -> plan 14,000
      expect(big.ev!.args.exposure).to.equal(14_000n * USD);
      expect(Number((await f.claims.claim(big.id)).status)).to.equal(ClaimStatus.Pended);
      const funds = await f.claims.funds(f.planId);
      expect(funds.reserved).to.equal(80n * USD + 14_000n * USD);
      const acc = await f.claims.accumulators(f.planId, f.patient.address, 0);
      expect([acc.deductibleMet, acc.outOfPocketMet, acc.benefitPaid]).to.deep.equal([0n, 0n, 0n]);
    });
  });

  describe("who may submit", function () {
    it("accepts the provider's members and the plan's insurer on the provider's behalf", async function () {
      const f = await loadFixture(claimsFixture);
      await submit(f, await f.submission(), f.hospitalAdmin);
      await submit(f, await f.submission({ lines: [f.line(CODE.VISIT, 301n * USD)] }), f.adjuster);
    });

    it("refuses an outsider, a lab member billing as a provider, another provider's member, and an intermediate contract", async function () {
      const f = await loadFixture(claimsFixture);
      const { claims } = f;
      const s = await f.submission();
      await expect(claims.connect(f.outsider).submit(sub(s))).to.be.revertedWithCustomError(claims, "NotAuthorizedSubmitter").withArgs(f.outsider.address, HOSPITAL, f.planId);
      // A lab bills as itself, never as the hospital; the hospital's members never bill as the lab.
      await expect(claims.connect(f.labAdmin).submit(sub(s))).to.be.revertedWithCustomError(claims, "NotAuthorizedSubmitter").withArgs(f.labAdmin.address, HOSPITAL, f.planId);
      const labClaim = await f.submission({ providerOrg: LAB });
      await expect(claims.connect(f.doctor).submit(sub(labClaim))).to.be.revertedWithCustomError(claims, "NotAuthorizedSubmitter").withArgs(f.doctor.address, LAB, f.planId);
      // An insurer or a researcher organization's admin never bills as itself.
      const researcher = f.signers[15];
      await f.registry.connect(f.registrar).registerOrganization(OrgKind.Researcher, PROFILE, researcher.address);
      const researcherOrg = await f.registry.organizationCount();
      const own = await f.submission({ providerOrg: researcherOrg, evidence: await f.anchored(researcherOrg) });
      await expect(claims.connect(researcher).submit(sub(own))).to.be.revertedWithCustomError(claims, "NotAuthorizedSubmitter").withArgs(researcher.address, researcherOrg, f.planId);
      const data = claims.interface.encodeFunctionData("submit", [sub(s)]);
      await expect(f.intermediary.forward(await claims.getAddress(), data))
        .to.be.revertedWithCustomError(claims, "NotAuthorizedSubmitter")
        .withArgs(await f.intermediary.getAddress(), HOSPITAL, f.planId);
    });

    it("lets labs and pharmacies name a payee and bill their own claims", async function () {
      const f = await loadFixture(claimsFixture);
      const labPayee = f.signers[16];
      await expect(f.claims.connect(f.labAdmin).setPayee(labPayee.address)).to.emit(f.claims, "PayeeSet").withArgs(LAB, labPayee.address);
      const lab = await submit(f, await f.submission({ providerOrg: LAB, lines: [f.line(CODE.XRAY, 100n * USD)] }), f.labAdmin);
      expect(lab.ev!.name).to.equal("ClaimAdjudicated");
      // $100 x-ray: all deductible ($100 of $500), so the plan pays nothing yet, but the claim is the lab's.
      expect(await f.token.balanceOf(labPayee.address)).to.equal(0n);
      const pharmacyAdmin = f.signers[17];
      await f.registry.connect(f.registrar).registerOrganization(OrgKind.Pharmacy, PROFILE, pharmacyAdmin.address);
      const pharmacy = await f.registry.organizationCount();
      await f.claims.connect(pharmacyAdmin).setPayee(pharmacyAdmin.address);
      const rx = await submit(f, await f.submission({ providerOrg: pharmacy, evidence: await f.anchored(pharmacy), lines: [f.line(CODE.VISIT, 1_000n * USD)] }), pharmacyAdmin);
      // $1,000: deductible $400 left, 20% of $600 = $120 -> the pharmacy is paid $480.
      expect(rx.ev!.args.planTotal).to.equal(480n * USD);
      expect(await f.token.balanceOf(pharmacyAdmin.address)).to.equal(480n * USD);
    });

    it("refuses a suspended provider's members", async function () {
      const f = await loadFixture(claimsFixture);
      await f.registry.connect(f.pauser).suspendOrganization(HOSPITAL);
      await expect(f.claims.connect(f.doctor).submit(sub(await f.submission()))).to.be.revertedWithCustomError(f.claims, "NotAuthorizedSubmitter");
    });
  });

  describe("evidence and shape", function () {
    it("refuses evidence never anchored, anchored by another organization, or retracted (no phantom billing)", async function () {
      const f = await loadFixture(claimsFixture);
      const { claims } = f;
      const never = hre.ethers.id("never anchored");
      await expect(claims.connect(f.doctor).submit(sub(await f.submission({ evidence: never })))).to.be.revertedWithCustomError(claims, "EvidenceNotAnchored").withArgs(never, HOSPITAL);
      const byLab = await f.anchored(LAB);
      await expect(claims.connect(f.doctor).submit(sub(await f.submission({ evidence: byLab })))).to.be.revertedWithCustomError(claims, "EvidenceNotAnchored").withArgs(byLab, HOSPITAL);
      const retracted = await f.anchored(HOSPITAL, true);
      await expect(claims.connect(f.doctor).submit(sub(await f.submission({ evidence: retracted })))).to.be.revertedWithCustomError(claims, "EvidenceRetracted").withArgs(retracted);
    });

    it("refuses evidence for a provider organization 0 (never anchored)", async function () {
      const f = await loadFixture(claimsFixture);
      const s = await f.submission({ providerOrg: 0n, evidence: hre.ethers.id("x") });
      await expect(f.claims.connect(f.adjuster).submit(sub(s))).to.be.revertedWithCustomError(f.claims, "EvidenceNotAnchored").withArgs(hre.ethers.id("x"), 0);
    });

    it("refuses a claim with no lines or more than 20, a future service date, and an unknown plan", async function () {
      const f = await loadFixture(claimsFixture);
      const { claims } = f;
      await expect(claims.connect(f.doctor).submit(sub(await f.submission({ lines: [] })))).to.be.revertedWithCustomError(claims, "InvalidBatch").withArgs(0, 20);
      const many = Array.from({ length: 21 }, (_, i) => f.line(CODE.VISIT, BigInt(i + 1)));
      await expect(claims.connect(f.doctor).submit(sub(await f.submission({ lines: many })))).to.be.revertedWithCustomError(claims, "InvalidBatch").withArgs(21, 20);
      const now = await time.latest();
      const future = now - (now % DAY) + DAY;
      await expect(claims.connect(f.doctor).submit(sub(await f.submission({ serviceDate: future })))).to.be.revertedWithCustomError(claims, "ServiceDateInFuture").withArgs(future);
      await expect(claims.connect(f.doctor).submit(sub(await f.submission({ planId: 9n })))).to.be.revertedWithCustomError(claims, "UnknownPlan").withArgs(9);
    });

    it("refuses a provider that has not named a payee", async function () {
      const f = await loadFixture(claimsFixture);
      const other = f.signers[14];
      await f.registry.connect(f.registrar).registerOrganization(OrgKind.Provider, PROFILE, other.address);
      const s = await f.submission({ providerOrg: 4n });
      await expect(f.claims.connect(other).submit(sub(s))).to.be.revertedWithCustomError(f.claims, "PayeeNotSet").withArgs(4);
    });
  });

  describe("duplicates", function () {
    it("moves nothing for the same claim sent again by someone else, and names the original", async function () {
      const f = await loadFixture(claimsFixture);
      const s = await f.submission({ lines: [f.line(CODE.VISIT, 900n * USD)] });
      const { id } = await submit(f, s);
      const before = await f.token.balanceOf(f.payee.address);
      const again = { ...s, evidence: await f.anchored() };
      await expect(f.claims.connect(f.adjuster).submit(sub(again))).to.be.revertedWithCustomError(f.claims, "DuplicateClaim").withArgs(id);
      expect(await f.token.balanceOf(f.payee.address)).to.equal(before);
      const once = await f.sdk.claims.submitOnce(again);
      expect(once).to.deep.include({ claimId: id, duplicate: true });
    });
  });

  describe("pause", function () {
    it("stops submission, with or without an evidence proof", async function () {
      const f = await loadFixture(claimsFixture);
      await f.claims.connect(f.pauser).pause();
      await expect(f.claims.connect(f.doctor).submit(sub(await f.submission()))).to.be.revertedWithCustomError(f.claims, "EnforcedPause");
      await expect(f.claims.connect(f.doctor).submitWithProof(sub(await f.submission()), hre.ethers.ZeroHash, [])).to.be.revertedWithCustomError(f.claims, "EnforcedPause");
    });
  });

  describe("claim", function () {
    it("reports an unknown claim", async function () {
      const f = await loadFixture(claimsFixture);
      await expect(f.claims.claim(hre.ethers.ZeroHash)).to.be.revertedWithCustomError(f.claims, "UnknownClaim").withArgs(hre.ethers.ZeroHash);
    });
  });
});
