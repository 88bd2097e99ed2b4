/**
 * Attack class: hostile tokens. A fee-on-transfer token is refused at the deposit; a token that
 * returns false is refused by SafeERC20; a token that returns nothing (USDT-like) works. A
 * blocklisting token (USDC-like) that blocks a provider's payee: a payment due at once makes the
 * whole step revert (nothing recorded, nothing moved, only that provider's own claim is affected);
 * a queued payment the token refuses is PARKED for its provider (it leaves the queue and the plan's
 * escrow, the engine holds it), the drain goes on with the next payment, so a blocked payee never
 * holds another provider's money and never makes a deposit revert. Anyone releases the parked sum
 * to the provider's current payee once the provider has re-pointed it (a suspended provider after
 * its reinstatement). No token is ever lost: the engine holds the plans' escrows plus what is parked.
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { claimIdOf, OrgKind } from "../../sdk";
import { BlocklistToken__factory, FeeOnTransferToken__factory, NonStandardToken__factory } from "../../typechain-types";
import { claimsFixture, CODE, sub, USD } from "../claims/fixtures";
import { PROFILE } from "../support/fixtures";
import { planIn } from "../support/tokenPlans";
import { claimState } from "../support/suiteFixture";

const CLINIC = 4n;

async function blocklistFixture() {
  const f = await claimsFixture();
  const token = await new BlocklistToken__factory(f.deployer).deploy();
  const planId = await planIn(f, token);
  const [clinicAdmin, clinicPayee, newPayee] = f.signers.slice(14, 17);
  await f.registry.connect(f.registrar).registerOrganization(OrgKind.Provider, PROFILE, clinicAdmin.address);
  await f.claims.connect(clinicAdmin).setPayee(clinicPayee.address);
  const engine = await f.claims.getAddress();
  const visit = async (org: bigint, charged: bigint) => f.submission({ planId, providerOrg: org, lines: [f.line(CODE.VISIT, charged)] });
  /** Every balance that money could leak to or from. */
  const balances = async () => Promise.all([engine, f.payee.address, clinicPayee.address, newPayee.address, f.insurerAdmin.address].map((a) => token.balanceOf(a)));
  return { ...f, token, planId, clinicAdmin, clinicPayee, newPayee, engine, visit, balances };
}

describe("Attack: hostile tokens", function () {
  describe("fee-on-transfer and non-standard tokens", function () {
    it("a fee-on-transfer deposit is refused with the amounts, and nothing moves", async function () {
      const f = await loadFixture(claimsFixture);
      const token = await new FeeOnTransferToken__factory(f.deployer).deploy();
      const planId = await planIn(f, token);
      const before = await token.balanceOf(f.insurerAdmin.address);
      await expect(f.claims.connect(f.insurerAdmin).fund(planId, 1_000n * USD))
        .to.be.revertedWithCustomError(f.claims, "FeeOnTransferRefused")
        .withArgs(await token.getAddress(), 1_000n * USD, 990n * USD);
      expect(await token.balanceOf(f.insurerAdmin.address)).to.equal(before);
      expect((await f.claims.funds(planId)).balance).to.equal(0n);
    });

    it("a token whose transfers return false is refused by SafeERC20; one that returns nothing works", async function () {
      const f = await loadFixture(claimsFixture);
      const token = await new NonStandardToken__factory(f.deployer).deploy();
      const planId = await planIn(f, token as never);
      await f.claims.connect(f.insurerAdmin).fund(planId, 1_000n * USD);
      expect((await f.claims.funds(planId)).balance).to.equal(1_000n * USD);
      await token.setMode(1);
      await expect(f.claims.connect(f.insurerAdmin).fund(planId, 1_000n * USD))
        .to.be.revertedWithCustomError(f.claims, "SafeERC20FailedOperation")
        .withArgs(await token.getAddress());
      await expect(f.claims.connect(f.insurerAdmin).withdraw(planId, 1_000n * USD, f.insurerAdmin.address))
        .to.be.revertedWithCustomError(f.claims, "SafeERC20FailedOperation")
        .withArgs(await token.getAddress());
      expect((await f.claims.funds(planId)).balance).to.equal(1_000n * USD);
    });
  });

  describe("a blocklisting token", function () {
    it("a payment due at once to a blocked payee reverts the submission: nothing recorded, nothing moved", async function () {
      const { claims, token, planId, payee, doctor, insurerAdmin, visit, balances } = await loadFixture(blocklistFixture);
      await claims.connect(insurerAdmin).fund(planId, 10_000n * USD);
      await token.setBlocked(payee.address, true);
      const s = await visit(1n, 3_000n * USD);
      const before = await balances();
      await expect(claims.connect(doctor).submit(sub(s))).to.be.revertedWithCustomError(token, "Blocked").withArgs(payee.address);
      expect(await balances()).to.deep.equal(before);
      await expect(claims.claim(claimIdOf(s))).to.be.revertedWithCustomError(claims, "UnknownClaim").withArgs(claimIdOf(s));
    });

    it("the blocked provider re-points its payee and is paid; other providers were never affected", async function () {
      const { claims, token, planId, payee, doctor, hospitalAdmin, clinicAdmin, clinicPayee, newPayee, insurerAdmin, visit } = await loadFixture(blocklistFixture);
      await claims.connect(insurerAdmin).fund(planId, 10_000n * USD);
      await token.setBlocked(payee.address, true);
      const clinic = await visit(CLINIC, 3_000n * USD);
      await claims.connect(clinicAdmin).submit(sub(clinic));
      expect(await token.balanceOf(clinicPayee.address)).to.equal(2_000n * USD);
      await claims.connect(hospitalAdmin).setPayee(newPayee.address);
      await claims.connect(doctor).submit(sub(await visit(1n, 1_000n * USD)));
      expect(await token.balanceOf(newPayee.address)).to.equal(1_000n * USD);
      expect((await claims.funds(planId)).balance).to.equal(7_000n * USD);
    });

    it("a deposit that covers a blocked head parks it instead of reverting; no money is lost", async function () {
      const { claims, token, planId, payee, doctor, insurerAdmin, visit, engine } = await loadFixture(blocklistFixture);
      const s = await visit(1n, 3_000n * USD);
      await claims.connect(doctor).submit(sub(s));
      const owed = (await claimState(claims, claimIdOf(s))).planPaid;
      await claims.connect(insurerAdmin).fund(planId, owed - 1n); // not enough: stays queued
      await token.setBlocked(payee.address, true);
      await expect(claims.connect(insurerAdmin).fund(planId, 1n))
        .to.emit(claims, "PaymentParked")
        .withArgs(claimIdOf(s), planId, 1n, payee.address, owed)
        .and.not.to.emit(claims, "ClaimPaid");
      // The plan has settled the claim: nothing queued, nothing reserved, the amount is parked for the provider.
      expect(await claims.funds(planId)).to.deep.equal([0n, 0n, 1n, 1n]);
      expect(await claims.parked(planId, 1n)).to.equal(owed);
      expect(await token.balanceOf(engine)).to.equal(owed);
      expect(await token.balanceOf(payee.address)).to.equal(0n);
    });

    it("a blocked head is parked and the clinic behind it is paid by the same deposit, to the unit", async function () {
      const { claims, token, planId, payee, doctor, clinicAdmin, clinicPayee, insurerAdmin, visit, balances } = await loadFixture(blocklistFixture);
      const hospital = await visit(1n, 3_000n * USD);
      const clinic = await visit(CLINIC, 1_000n * USD);
      await claims.connect(doctor).submit(sub(hospital)); // queued first ($2,000)
      await claims.connect(clinicAdmin).submit(sub(clinic)); // queued second ($1,000: the OOP max is met)
      await token.setBlocked(payee.address, true);
      const [engineBefore, payeeBefore, clinicBefore, newBefore, insurerBefore] = await balances();
      await expect(claims.connect(insurerAdmin).fund(planId, 5_000n * USD))
        .to.emit(claims, "PaymentParked")
        .withArgs(claimIdOf(hospital), planId, 1n, payee.address, 2_000n * USD)
        .and.to.emit(claims, "ClaimPaid")
        .withArgs(claimIdOf(clinic), planId, clinicPayee.address, 1_000n * USD);
      expect(await balances()).to.deep.equal([engineBefore + 4_000n * USD, payeeBefore, clinicBefore + 1_000n * USD, newBefore, insurerBefore - 5_000n * USD]);
      expect(await claims.funds(planId)).to.deep.equal([2_000n * USD, 0n, 2n, 2n]);
      expect(await claims.parked(planId, 1n)).to.equal(2_000n * USD);
      expect(await claims.parked(planId, CLINIC)).to.equal(0n);
      // The engine holds the escrow plus what is parked; the parked sum is not the insurer's to withdraw.
      expect(engineBefore + 4_000n * USD).to.equal((await claims.funds(planId)).balance + (await claims.parked(planId, 1n)));
      await expect(claims.connect(insurerAdmin).withdraw(planId, 2_000n * USD + 1n, insurerAdmin.address))
        .to.be.revertedWithCustomError(claims, "InsufficientUnreservedFunds")
        .withArgs(planId, 2_000n * USD + 1n, 2_000n * USD);
    });

    it("payQueued parks a blocked payment, goes on with the next one, and counts both", async function () {
      const { claims, token, planId, payee, doctor, clinicAdmin, clinicPayee, insurerAdmin, outsider, visit, engine } = await loadFixture(blocklistFixture);
      // Nothing funded: every share queues. Eight clinic payments, the hospital's, one more clinic payment.
      const clinics = [await visit(CLINIC, 3_000n * USD)];
      for (let i = 1n; i < 8n; i++) clinics.push(await visit(CLINIC, 100n * USD + i));
      for (const c of clinics) await claims.connect(clinicAdmin).submit(sub(c));
      const hospital = await visit(1n, 1_000n * USD);
      await claims.connect(doctor).submit(sub(hospital));
      const last = await visit(CLINIC, 200n * USD);
      await claims.connect(clinicAdmin).submit(sub(last));
      const eight = 2_000n * USD + 700n * USD + 28n; // the OOP max was met by the first: the plan pays the rest in full
      const total = eight + 1_000n * USD + 200n * USD;
      expect((await claims.funds(planId)).reserved).to.equal(total);
      await token.setBlocked(payee.address, true);
      await claims.connect(insurerAdmin).fund(planId, total); // the deposit's drain pays DRAIN_ON_FUND = 8
      expect(await token.balanceOf(clinicPayee.address)).to.equal(eight);
      expect(await claims.funds(planId)).to.deep.equal([1_200n * USD, 1_200n * USD, 8n, 10n]);
      expect(await claims.connect(outsider).payQueued.staticCall(planId, 2)).to.equal(2n);
      await expect(claims.connect(outsider).payQueued(planId, 2))
        .to.emit(claims, "PaymentParked")
        .withArgs(claimIdOf(hospital), planId, 1n, payee.address, 1_000n * USD)
        .and.to.emit(claims, "ClaimPaid")
        .withArgs(claimIdOf(last), planId, clinicPayee.address, 200n * USD);
      expect(await token.balanceOf(clinicPayee.address)).to.equal(eight + 200n * USD);
      expect(await claims.parked(planId, 1n)).to.equal(1_000n * USD);
      expect(await token.balanceOf(engine)).to.equal(1_000n * USD);
      expect(await claims.funds(planId)).to.deep.equal([0n, 0n, 10n, 10n]);
    });

    it("the provider re-points its payee and anyone releases exactly the parked sum to it; while still blocked, the release reverts and the sum stays", async function () {
      const { claims, token, planId, payee, doctor, hospitalAdmin, clinicAdmin, insurerAdmin, newPayee, outsider, visit, balances } = await loadFixture(blocklistFixture);
      await claims.connect(doctor).submit(sub(await visit(1n, 3_000n * USD))); // $2,000 queued
      await claims.connect(clinicAdmin).submit(sub(await visit(CLINIC, 1_000n * USD)));
      await token.setBlocked(payee.address, true);
      await claims.connect(insurerAdmin).fund(planId, 3_000n * USD);
      // A later payment of the same provider is parked too, and adds up.
      await claims.connect(doctor).submit(sub(await visit(1n, 700n * USD))); // $700 (OOP met): escrow is empty, so it queues
      await claims.connect(insurerAdmin).fund(planId, 700n * USD);
      expect(await claims.parked(planId, 1n)).to.equal(2_700n * USD);
      await expect(claims.connect(outsider).releaseParked(planId, 1n)).to.be.revertedWithCustomError(token, "Blocked").withArgs(payee.address);
      expect(await claims.parked(planId, 1n)).to.equal(2_700n * USD);
      await claims.connect(hospitalAdmin).setPayee(newPayee.address);
      const [engineBefore, payeeBefore, clinicBefore, newBefore, insurerBefore] = await balances();
      const fundsBefore = await claims.funds(planId);
      await expect(claims.connect(outsider).releaseParked(planId, 1n))
        .to.emit(claims, "ParkedPaymentReleased")
        .withArgs(planId, 1n, newPayee.address, 2_700n * USD);
      expect(await balances()).to.deep.equal([engineBefore - 2_700n * USD, payeeBefore, clinicBefore, newBefore + 2_700n * USD, insurerBefore]);
      expect(await claims.parked(planId, 1n)).to.equal(0n);
      expect(await claims.funds(planId)).to.deep.equal(fundsBefore);
      expect(await token.balanceOf(await claims.getAddress())).to.equal(fundsBefore.balance);
      await expect(claims.connect(outsider).releaseParked(planId, 1n)).to.be.revertedWithCustomError(claims, "NothingParked").withArgs(planId, 1n);
    });

    it("a suspended provider's payment is parked too, and released after its reinstatement and a new payee", async function () {
      const { claims, token, planId, payee, doctor, hospitalAdmin, insurerAdmin, registry, pauser, registrar, newPayee, outsider, visit } = await loadFixture(blocklistFixture);
      const s = await visit(1n, 3_000n * USD);
      await claims.connect(doctor).submit(sub(s));
      await token.setBlocked(payee.address, true);
      await registry.connect(pauser).suspendOrganization(1n);
      await expect(claims.connect(hospitalAdmin).setPayee(newPayee.address)).to.be.revertedWithCustomError(claims, "NotProviderAdmin").withArgs(hospitalAdmin.address);
      await expect(claims.connect(insurerAdmin).fund(planId, 2_000n * USD)).to.emit(claims, "PaymentParked").withArgs(claimIdOf(s), planId, 1n, payee.address, 2_000n * USD);
      await expect(claims.connect(outsider).releaseParked(planId, 1n)).to.be.revertedWithCustomError(token, "Blocked").withArgs(payee.address);
      await registry.connect(registrar).reinstateOrganization(1n);
      await claims.connect(hospitalAdmin).setPayee(newPayee.address);
      await expect(claims.connect(outsider).releaseParked(planId, 1n)).to.emit(claims, "ParkedPaymentReleased").withArgs(planId, 1n, newPayee.address, 2_000n * USD);
      expect(await token.balanceOf(newPayee.address)).to.equal(2_000n * USD);
      expect(await token.balanceOf(await claims.getAddress())).to.equal(0n);
      expect(await claims.funds(planId)).to.deep.equal([0n, 0n, 1n, 1n]);
    });

    it("releaseParked refuses when nothing is parked (any plan, any provider) and while paused", async function () {
      const { claims, token, planId, payee, doctor, hospitalAdmin, insurerAdmin, newPayee, outsider, pauser, visit } = await loadFixture(blocklistFixture);
      await expect(claims.connect(outsider).releaseParked(planId, 1n)).to.be.revertedWithCustomError(claims, "NothingParked").withArgs(planId, 1n);
      await expect(claims.connect(outsider).releaseParked(99n, 7n)).to.be.revertedWithCustomError(claims, "NothingParked").withArgs(99n, 7n);
      await claims.connect(doctor).submit(sub(await visit(1n, 3_000n * USD)));
      await token.setBlocked(payee.address, true);
      await claims.connect(insurerAdmin).fund(planId, 2_000n * USD);
      await claims.connect(hospitalAdmin).setPayee(newPayee.address);
      await claims.connect(pauser).pause();
      await expect(claims.connect(outsider).releaseParked(planId, 1n)).to.be.revertedWithCustomError(claims, "EnforcedPause");
      expect(await claims.parked(planId, 1n)).to.equal(2_000n * USD);
      await claims.connect(pauser).unpause();
      await claims.connect(outsider).releaseParked(planId, 1n);
      expect(await token.balanceOf(newPayee.address)).to.equal(2_000n * USD);
    });

    it("a withdrawal to a blocked address reverts and keeps the escrow; one to another address goes through", async function () {
      const { claims, token, planId, insurerAdmin, outsider } = await loadFixture(blocklistFixture);
      await claims.connect(insurerAdmin).fund(planId, 1_000n * USD);
      await token.setBlocked(outsider.address, true);
      await expect(claims.connect(insurerAdmin).withdraw(planId, 400n * USD, outsider.address)).to.be.revertedWithCustomError(token, "Blocked").withArgs(outsider.address);
      expect((await claims.funds(planId)).balance).to.equal(1_000n * USD);
      await claims.connect(insurerAdmin).withdraw(planId, 400n * USD, insurerAdmin.address);
      expect((await claims.funds(planId)).balance).to.equal(600n * USD);
    });
  });
});
