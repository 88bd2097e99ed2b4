import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre from "hardhat";
import { CostSharing, FUNCTION_ROLES } from "../../sdk";
import { FeeOnTransferToken__factory, NonStandardToken__factory } from "../../typechain-types";
import { claimsFixture, CODE, DAY, HOSPITAL, INSURER, USD } from "./fixtures";

describe("ClaimsEngine: governance, plans, funding, members", function () {
  describe("governance wiring", function () {
    it("restricts exactly the functions FUNCTION_ROLES lists to their roles in the suite's deployment", async function () {
      const { manager, suiteClaims } = await loadFixture(claimsFixture);
      for (const [fn, role] of Object.entries(FUNCTION_ROLES.ClaimsEngine)) {
        const selector = suiteClaims.interface.getFunction(fn as "pause")!.selector;
        expect(await manager.getTargetFunctionRole(await suiteClaims.getAddress(), selector)).to.equal({ CONFIGURATOR: 3n, PAUSER: 2n }[role]);
      }
    });

    it("wires the suite's engine to the participant registry and to a record-evidence contract", async function () {
      const { suiteClaims, claims, registry, evidence, book } = await loadFixture(claimsFixture);
      expect(await suiteClaims.registry()).to.equal(await registry.getAddress());
      expect(await suiteClaims.recordEvidence()).to.not.equal(hre.ethers.ZeroAddress);
      expect(book.contracts.ClaimsEngine).to.equal(await suiteClaims.getAddress());
      expect(await claims.recordEvidence()).to.equal(await evidence.getAddress());
      expect(await claims.VERSION()).to.equal("2.0.0");
      expect([await claims.MAX_LINES(), await claims.MAX_BATCH(), await claims.DRAIN_ON_FUND()]).to.deep.equal([20n, 50n, 8n]);
    });
  });

  describe("setTokenAllowed", function () {
    it("lets the configurator add and remove a settlement token", async function () {
      const { claims, deployer, outsider } = await loadFixture(claimsFixture);
      await expect(claims.connect(deployer).setTokenAllowed(outsider.address, true)).to.emit(claims, "TokenAllowed").withArgs(outsider.address, true);
      expect(await claims.isTokenAllowed(outsider.address)).to.equal(true);
      await expect(claims.connect(deployer).setTokenAllowed(outsider.address, false)).to.emit(claims, "TokenAllowed").withArgs(outsider.address, false);
      expect(await claims.isTokenAllowed(outsider.address)).to.equal(false);
    });

    it("refuses the zero address", async function () {
      const { claims, deployer } = await loadFixture(claimsFixture);
      await expect(claims.connect(deployer).setTokenAllowed(hre.ethers.ZeroAddress, true)).to.be.revertedWithCustomError(claims, "ZeroAddress");
    });

    it("refuses an outsider, the pauser and an intermediate contract", async function () {
      const { claims, outsider, pauser, intermediary } = await loadFixture(claimsFixture);
      for (const who of [outsider, pauser]) {
        await expect(claims.connect(who).setTokenAllowed(outsider.address, true))
          .to.be.revertedWithCustomError(claims, "AccessManagedUnauthorized")
          .withArgs(who.address);
      }
      const data = claims.interface.encodeFunctionData("setTokenAllowed", [outsider.address, true]);
      await expect(intermediary.forward(await claims.getAddress(), data))
        .to.be.revertedWithCustomError(claims, "AccessManagedUnauthorized")
        .withArgs(await intermediary.getAddress());
    });
  });

  describe("createPlan", function () {
    it("creates a plan owned by the caller's insurer, ignoring the insurer id passed", async function () {
      const { claims, insurerAdmin, terms } = await loadFixture(claimsFixture);
      const tx = claims.connect(insurerAdmin).createPlan({ ...terms, insurerOrgId: 77n });
      await expect(tx).to.emit(claims, "PlanCreated");
      expect(await claims.planCount()).to.equal(2n);
      const p = await claims.plan(2);
      expect([p.token, p.insurerOrgId, p.deductible, p.outOfPocketMax, p.start, p.annualCap, p.autoApprovalLimit, p.filingWindow, p.appealWindow]).to.deep.equal([
        terms.token, INSURER, terms.deductible, terms.outOfPocketMax, BigInt(terms.start), 0n, terms.autoApprovalLimit, BigInt(terms.filingWindow), BigInt(terms.appealWindow),
      ]);
    });

    it("refuses an insurer's non-admin member, a provider admin, an outsider and an intermediate contract", async function () {
      const { claims, adjuster, hospitalAdmin, outsider, intermediary, terms } = await loadFixture(claimsFixture);
      for (const who of [adjuster, hospitalAdmin, outsider]) {
        await expect(claims.connect(who).createPlan(terms)).to.be.revertedWithCustomError(claims, "NotInsurerAdmin").withArgs(who.address);
      }
      const data = claims.interface.encodeFunctionData("createPlan", [terms]);
      await expect(intermediary.forward(await claims.getAddress(), data))
        .to.be.revertedWithCustomError(claims, "NotInsurerAdmin")
        .withArgs(await intermediary.getAddress());
    });

    it("refuses a suspended insurer's admin", async function () {
      const { claims, registry, pauser, insurerAdmin, terms } = await loadFixture(claimsFixture);
      await registry.connect(pauser).suspendOrganization(INSURER);
      await expect(claims.connect(insurerAdmin).createPlan(terms)).to.be.revertedWithCustomError(claims, "NotInsurerAdmin");
    });

    it("refuses a token that is not allowed and unusable terms, naming them", async function () {
      const { claims, insurerAdmin, terms, outsider } = await loadFixture(claimsFixture);
      const ci = claims.connect(insurerAdmin);
      await expect(ci.createPlan({ ...terms, token: outsider.address })).to.be.revertedWithCustomError(claims, "TokenNotAllowed").withArgs(outsider.address);
      await expect(ci.createPlan({ ...terms, start: 0 })).to.be.revertedWithCustomError(claims, "InvalidPlanTerms").withArgs("start");
      await expect(ci.createPlan({ ...terms, filingWindow: 0 })).to.be.revertedWithCustomError(claims, "InvalidPlanTerms").withArgs("filingWindow");
      await expect(ci.createPlan({ ...terms, appealWindow: 0 })).to.be.revertedWithCustomError(claims, "InvalidPlanTerms").withArgs("appealWindow");
      for (const yearStartMonth of [0, 13]) {
        await expect(ci.createPlan({ ...terms, yearStartMonth })).to.be.revertedWithCustomError(claims, "InvalidPlanTerms").withArgs("yearStartMonth");
      }
      for (const [yearStartMonth, yearStartDay] of [[1, 0], [2, 29], [4, 31], [12, 32]]) {
        await expect(ci.createPlan({ ...terms, yearStartMonth, yearStartDay })).to.be.revertedWithCustomError(claims, "InvalidPlanTerms").withArgs("yearStartDay");
      }
      for (const [yearStartMonth, yearStartDay] of [[2, 28], [4, 30], [12, 31], [1, 31]]) {
        await expect(ci.createPlan({ ...terms, yearStartMonth, yearStartDay })).to.emit(claims, "PlanCreated");
      }
    });

    it("reports an unknown plan", async function () {
      const { claims } = await loadFixture(claimsFixture);
      await expect(claims.plan(9)).to.be.revertedWithCustomError(claims, "UnknownPlan").withArgs(9);
    });
  });

  describe("setBenefits", function () {
    it("sets rules that insurer staff can read back, one event per code", async function () {
      const { claims, adjuster, planId } = await loadFixture(claimsFixture);
      const rule = { fee: 10n, copay: 2n, coinsuranceBps: 500, priorAuth: true, review: true, perClaimCap: 9n, costSharing: 0 };
      await expect(claims.connect(adjuster).setBenefits(planId, [CODE.UNKNOWN], [rule]))
        .to.emit(claims, "BenefitSet")
        .withArgs(planId, CODE.UNKNOWN, [10n, 2n, 500n, true, true, 9n, 0n]);
      const b = await claims.benefit(planId, CODE.UNKNOWN);
      expect([b.fee, b.copay, b.coinsuranceBps, b.priorAuth, b.review, b.perClaimCap, b.costSharing]).to.deep.equal([10n, 2n, 500n, true, true, 9n, 0n]);
      await claims.connect(adjuster).setBenefits(planId, [CODE.UNKNOWN], [{ ...rule, coinsuranceBps: 0, costSharing: CostSharing.CopayOnly }]);
      expect((await claims.benefit(planId, CODE.UNKNOWN)).costSharing).to.equal(BigInt(CostSharing.CopayOnly));
    });

    it("refuses a copay-only benefit with coinsurance and a deductible-then-coinsurance benefit with a copay", async function () {
      const { claims, adjuster, planId } = await loadFixture(claimsFixture);
      const rule = { fee: 10n, copay: 2n, coinsuranceBps: 500, priorAuth: false, review: false, perClaimCap: 0n, costSharing: CostSharing.CopayOnly };
      await expect(claims.connect(adjuster).setBenefits(planId, [CODE.UNKNOWN], [rule])).to.be.revertedWithCustomError(claims, "InvalidBenefit").withArgs(CODE.UNKNOWN, "coinsuranceBps");
      await expect(claims.connect(adjuster).setBenefits(planId, [CODE.UNKNOWN], [{ ...rule, costSharing: CostSharing.DeductibleCoinsurance }]))
        .to.be.revertedWithCustomError(claims, "InvalidBenefit")
        .withArgs(CODE.UNKNOWN, "copay");
      await expect(claims.connect(adjuster).setBenefits(planId, [CODE.UNKNOWN], [{ ...rule, copay: 0n, costSharing: CostSharing.DeductibleCoinsurance }])).to.emit(claims, "BenefitSet");
    });

    it("refuses batches that are empty, too long or of unequal lengths", async function () {
      const { claims, insurerAdmin, planId } = await loadFixture(claimsFixture);
      const rule = { fee: 1n, copay: 0n, coinsuranceBps: 0, priorAuth: false, review: false, perClaimCap: 0n, costSharing: 0 };
      const ci = claims.connect(insurerAdmin);
      await expect(ci.setBenefits(planId, [], [])).to.be.revertedWithCustomError(claims, "InvalidBatch").withArgs(0, 50);
      const many = Array.from({ length: 51 }, (_, i) => hre.ethers.zeroPadValue(hre.ethers.toBeHex(i + 1), 32));
      await expect(ci.setBenefits(planId, many, many.map(() => rule))).to.be.revertedWithCustomError(claims, "InvalidBatch").withArgs(51, 50);
      await expect(ci.setBenefits(planId, [CODE.UNKNOWN], [rule, rule])).to.be.revertedWithCustomError(claims, "InvalidBatch").withArgs(1, 50);
    });

    it("refuses a zero code and a coinsurance above 100%", async function () {
      const { claims, insurerAdmin, planId } = await loadFixture(claimsFixture);
      const rule = { fee: 1n, copay: 0n, coinsuranceBps: 0, priorAuth: false, review: false, perClaimCap: 0n, costSharing: 0 };
      const ci = claims.connect(insurerAdmin);
      await expect(ci.setBenefits(planId, [hre.ethers.ZeroHash], [rule])).to.be.revertedWithCustomError(claims, "InvalidBenefit").withArgs(hre.ethers.ZeroHash, "code");
      await expect(ci.setBenefits(planId, [CODE.UNKNOWN], [{ ...rule, coinsuranceBps: 10_001 }]))
        .to.be.revertedWithCustomError(claims, "InvalidBenefit")
        .withArgs(CODE.UNKNOWN, "coinsuranceBps");
    });

    it("refuses anyone but the plan's insurer staff, and an unknown plan", async function () {
      const { claims, hospitalAdmin, outsider, planId, insurerAdmin } = await loadFixture(claimsFixture);
      const rule = { fee: 1n, copay: 0n, coinsuranceBps: 0, priorAuth: false, review: false, perClaimCap: 0n, costSharing: 0 };
      for (const who of [hospitalAdmin, outsider]) {
        await expect(claims.connect(who).setBenefits(planId, [CODE.UNKNOWN], [rule])).to.be.revertedWithCustomError(claims, "NotInsurerStaff").withArgs(who.address, INSURER);
      }
      await expect(claims.connect(insurerAdmin).setBenefits(5, [CODE.UNKNOWN], [rule])).to.be.revertedWithCustomError(claims, "UnknownPlan").withArgs(5);
    });
  });

  describe("setPayee", function () {
    it("lets a provider admin name its organization's payee", async function () {
      const { claims, hospitalAdmin, outsider } = await loadFixture(claimsFixture);
      await expect(claims.connect(hospitalAdmin).setPayee(outsider.address)).to.emit(claims, "PayeeSet").withArgs(HOSPITAL, outsider.address);
      expect(await claims.payeeOf(HOSPITAL)).to.equal(outsider.address);
    });

    it("refuses a provider's non-admin member, an insurer admin, an outsider, and the zero address", async function () {
      const { claims, doctor, insurerAdmin, outsider, hospitalAdmin } = await loadFixture(claimsFixture);
      for (const who of [doctor, insurerAdmin, outsider]) {
        await expect(claims.connect(who).setPayee(outsider.address)).to.be.revertedWithCustomError(claims, "NotProviderAdmin").withArgs(who.address);
      }
      await expect(claims.connect(hospitalAdmin).setPayee(hre.ethers.ZeroAddress)).to.be.revertedWithCustomError(claims, "ZeroAddress");
    });
  });

  describe("enroll", function () {
    it("enrolls a member for a period and changes it", async function () {
      const { claims, adjuster, planId, member2 } = await loadFixture(claimsFixture);
      await expect(claims.connect(adjuster).enroll(planId, member2.address, 100, 200)).to.emit(claims, "MemberEnrolled").withArgs(planId, member2.address, 100, 200);
      expect(await claims.enrollment(planId, member2.address)).to.deep.equal([100n, 200n]);
      await claims.connect(adjuster).enroll(planId, member2.address, 100, 150);
      expect(await claims.enrollment(planId, member2.address)).to.deep.equal([100n, 150n]);
    });

    it("refuses the zero address, a period ending before it starts or at zero, and non-staff", async function () {
      const { claims, adjuster, planId, member2, outsider } = await loadFixture(claimsFixture);
      const ca = claims.connect(adjuster);
      await expect(ca.enroll(planId, hre.ethers.ZeroAddress, 1, 2)).to.be.revertedWithCustomError(claims, "ZeroAddress");
      await expect(ca.enroll(planId, member2.address, 3, 2)).to.be.revertedWithCustomError(claims, "InvalidWindow").withArgs(3, 2);
      await expect(ca.enroll(planId, member2.address, 0, 0)).to.be.revertedWithCustomError(claims, "InvalidWindow").withArgs(0, 0);
      await expect(claims.connect(outsider).enroll(planId, member2.address, 1, 2)).to.be.revertedWithCustomError(claims, "NotInsurerStaff").withArgs(outsider.address, INSURER);
    });
  });

  describe("authorize", function () {
    it("issues numbered authorizations", async function () {
      const { claims, adjuster, planId, patient } = await loadFixture(claimsFixture);
      await expect(claims.connect(adjuster).authorize(planId, patient.address, CODE.MRI, 500n * USD, 10, 20))
        .to.emit(claims, "AuthorizationIssued")
        .withArgs(1, planId, patient.address, CODE.MRI, 500n * USD, 10, 20);
      const a = await claims.authorization(1);
      expect([a.member, a.validFrom, a.validUntil, a.code, a.planId, a.remaining, a.maxAmount]).to.deep.equal([patient.address, 10n, 20n, CODE.MRI, planId, 500n * USD, 500n * USD]);
    });

    it("refuses the zero address, a zero amount, an inverted window and non-staff; reports an unknown authorization", async function () {
      const { claims, adjuster, planId, patient, doctor } = await loadFixture(claimsFixture);
      const ca = claims.connect(adjuster);
      await expect(ca.authorize(planId, hre.ethers.ZeroAddress, CODE.MRI, 1, 1, 2)).to.be.revertedWithCustomError(claims, "ZeroAddress");
      await expect(ca.authorize(planId, patient.address, CODE.MRI, 0, 1, 2)).to.be.revertedWithCustomError(claims, "ZeroAmount");
      await expect(ca.authorize(planId, patient.address, CODE.MRI, 1, 3, 2)).to.be.revertedWithCustomError(claims, "InvalidWindow").withArgs(3, 2);
      await expect(claims.connect(doctor).authorize(planId, patient.address, CODE.MRI, 1, 1, 2)).to.be.revertedWithCustomError(claims, "NotInsurerStaff");
      await expect(claims.authorization(4)).to.be.revertedWithCustomError(claims, "UnknownAuthorization").withArgs(4);
    });
  });

  describe("fund", function () {
    it("lets anyone deposit, moving exactly the amount into the plan's escrow", async function () {
      const { claims, token, outsider, planId } = await loadFixture(claimsFixture);
      await token.mint(outsider.address, 50n * USD);
      await token.connect(outsider).approve(await claims.getAddress(), 50n * USD);
      await expect(claims.connect(outsider).fund(planId, 50n * USD)).to.emit(claims, "PlanFunded").withArgs(planId, outsider.address, 50n * USD);
      await expect(claims.connect(outsider).fund(planId, 0)).to.be.revertedWithCustomError(claims, "ZeroAmount");
      expect((await claims.funds(planId)).balance).to.equal(100_050n * USD);
      expect(await token.balanceOf(await claims.getAddress())).to.equal(100_050n * USD);
    });

    it("refuses an unknown plan and a paused engine", async function () {
      const { claims, insurerAdmin, pauser, planId } = await loadFixture(claimsFixture);
      await expect(claims.connect(insurerAdmin).fund(7, 1)).to.be.revertedWithCustomError(claims, "UnknownPlan").withArgs(7);
      await claims.connect(pauser).pause();
      await expect(claims.connect(insurerAdmin).fund(planId, 1)).to.be.revertedWithCustomError(claims, "EnforcedPause");
    });

    it("refuses a fee-on-transfer token by the balance change", async function () {
      const { claims, deployer, insurerAdmin, terms } = await loadFixture(claimsFixture);
      const fee = await new FeeOnTransferToken__factory(deployer).deploy();
      await claims.setTokenAllowed(await fee.getAddress(), true);
      await claims.connect(insurerAdmin).createPlan({ ...terms, token: await fee.getAddress() });
      await fee.mint(insurerAdmin.address, 1000n);
      await fee.connect(insurerAdmin).approve(await claims.getAddress(), 1000n);
      await expect(claims.connect(insurerAdmin).fund(2, 1000n))
        .to.be.revertedWithCustomError(claims, "FeeOnTransferRefused")
        .withArgs(await fee.getAddress(), 1000n, 990n);
    });

    it("settles in a token whose transfers return nothing, and refuses one that returns false", async function () {
      const { claims, deployer, insurerAdmin, terms } = await loadFixture(claimsFixture);
      const odd = await new NonStandardToken__factory(deployer).deploy();
      await claims.setTokenAllowed(await odd.getAddress(), true);
      await claims.connect(insurerAdmin).createPlan({ ...terms, token: await odd.getAddress() });
      await odd.mint(insurerAdmin.address, 1000n);
      await odd.connect(insurerAdmin).approve(await claims.getAddress(), 1000n);
      await claims.connect(insurerAdmin).fund(2, 400n);
      expect(await odd.balanceOf(await claims.getAddress())).to.equal(400n);
      await claims.connect(insurerAdmin).withdraw(2, 100n, insurerAdmin.address);
      expect(await odd.balanceOf(insurerAdmin.address)).to.equal(700n);
      await odd.setMode(1);
      await expect(claims.connect(insurerAdmin).fund(2, 100n)).to.be.revertedWithCustomError(claims, "SafeERC20FailedOperation").withArgs(await odd.getAddress());
      await expect(claims.connect(insurerAdmin).withdraw(2, 100n, insurerAdmin.address))
        .to.be.revertedWithCustomError(claims, "SafeERC20FailedOperation")
        .withArgs(await odd.getAddress());
    });
  });

  describe("withdraw", function () {
    it("lets an insurer admin withdraw unreserved funds", async function () {
      const { claims, token, insurerAdmin, outsider, planId } = await loadFixture(claimsFixture);
      await expect(claims.connect(insurerAdmin).withdraw(planId, 40_000n * USD, outsider.address))
        .to.emit(claims, "FundsWithdrawn")
        .withArgs(planId, outsider.address, 40_000n * USD);
      expect(await token.balanceOf(outsider.address)).to.equal(40_000n * USD);
      expect((await claims.funds(planId)).balance).to.equal(60_000n * USD);
    });

    it("refuses more than the unreserved funds, zero, and the zero address", async function () {
      const { claims, insurerAdmin, outsider, planId } = await loadFixture(claimsFixture);
      const ci = claims.connect(insurerAdmin);
      await expect(ci.withdraw(planId, 100_001n * USD, outsider.address))
        .to.be.revertedWithCustomError(claims, "InsufficientUnreservedFunds")
        .withArgs(planId, 100_001n * USD, 100_000n * USD);
      await expect(ci.withdraw(planId, 0, outsider.address)).to.be.revertedWithCustomError(claims, "ZeroAmount");
      await expect(ci.withdraw(planId, 1, hre.ethers.ZeroAddress)).to.be.revertedWithCustomError(claims, "ZeroAddress");
    });

    it("refuses insurer staff who are not admins, outsiders, an intermediate contract, and a paused engine", async function () {
      const { claims, adjuster, outsider, intermediary, insurerAdmin, pauser, planId } = await loadFixture(claimsFixture);
      for (const who of [adjuster, outsider]) {
        await expect(claims.connect(who).withdraw(planId, 1, who.address)).to.be.revertedWithCustomError(claims, "NotInsurerStaff").withArgs(who.address, INSURER);
      }
      const data = claims.interface.encodeFunctionData("withdraw", [planId, 1, outsider.address]);
      await expect(intermediary.forward(await claims.getAddress(), data))
        .to.be.revertedWithCustomError(claims, "NotInsurerStaff")
        .withArgs(await intermediary.getAddress(), INSURER);
      await claims.connect(pauser).pause();
      await expect(claims.connect(insurerAdmin).withdraw(planId, 1, outsider.address)).to.be.revertedWithCustomError(claims, "EnforcedPause");
    });
  });

  describe("pause and unpause", function () {
    it("are the pauser's; outsiders and intermediate contracts are refused", async function () {
      const { claims, pauser, outsider, intermediary } = await loadFixture(claimsFixture);
      await expect(claims.connect(outsider).pause()).to.be.revertedWithCustomError(claims, "AccessManagedUnauthorized").withArgs(outsider.address);
      await expect(intermediary.forward(await claims.getAddress(), claims.interface.encodeFunctionData("pause")))
        .to.be.revertedWithCustomError(claims, "AccessManagedUnauthorized")
        .withArgs(await intermediary.getAddress());
      await claims.connect(pauser).pause();
      expect(await claims.paused()).to.equal(true);
      await expect(claims.connect(outsider).unpause()).to.be.revertedWithCustomError(claims, "AccessManagedUnauthorized");
      await claims.connect(pauser).unpause();
      expect(await claims.paused()).to.equal(false);
    });
  });

  describe("time", function () {
    it("runs the fixture's plan from a midnight 100 days ago", async function () {
      const { start } = await loadFixture(claimsFixture);
      expect(start % DAY).to.equal(0);
      expect((await time.latest()) - start).to.be.greaterThan(100 * DAY - 1);
    });
  });
});
