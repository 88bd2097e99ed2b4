// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IClaimsEngine} from "./IClaimsEngine.sol";
import {IParticipantRegistry} from "../participants/IParticipantRegistry.sol";

/// @title ClaimsPlans
/// @notice The ClaimsEngine's plan administration: plans and their benefit rules, enrollment, prior
/// authorizations, providers' payees; and the engine's state ({PlanBook}), which every claims
/// library works on. An external library the engine delegate-calls (for the engine's code size;
/// none of these is a claim's hot path).
/// @dev Runs in the engine's context: `msg.sender` is the engine's caller, events are the engine's.
library ClaimsPlans {
    /// @notice A benefit's hot fields in one slot: fee (12 bytes), copay (12), coinsuranceBps (2),
    /// priorAuth, review, hasCap, costSharing (1 each). The per-claim cap lives in `caps`, read only
    /// when set.
    struct BenefitSlot {
        uint96 fee;
        uint96 copay;
        uint16 coinsuranceBps;
        bool priorAuth;
        bool review;
        bool hasCap;
        IClaimsEngine.CostSharing costSharing;
    }

    /// @notice The member whose claims an organization's evidence commitment backs, and how many
    /// live claims (neither replaced nor voided) cite it (one slot): set by the first claim that
    /// cites it; another member's claim may cite it once none is live.
    struct EvidenceUse {
        address member;
        uint32 live;
    }

    /// @notice The engine's state: plans and their rules, members, authorizations, claims, and each
    /// plan's escrow (`funds`, `queue`, `parked`, `owedBack`: {ClaimsEscrow} alone moves money).
    struct PlanBook {
        mapping(address token => bool) allowedTokens;
        mapping(uint64 planId => IClaimsEngine.PlanTerms) plans;
        mapping(uint64 planId => mapping(bytes32 code => BenefitSlot)) benefits;
        mapping(uint64 planId => mapping(bytes32 code => uint96)) caps;
        mapping(uint64 planId => mapping(address member => IClaimsEngine.Enrollment)) enrollments;
        mapping(uint64 authId => IClaimsEngine.Authorization) authorizations;
        mapping(uint64 providerOrg => address) payees;
        mapping(uint64 planId => IClaimsEngine.Funds) funds;
        mapping(uint64 planId => mapping(uint32 position => IClaimsEngine.QueuedPayment)) queue;
        mapping(uint64 planId => mapping(address member => mapping(uint256 year => IClaimsEngine.Accumulators))) accumulators;
        uint64 planCount;
        uint64 authCount;
        mapping(uint64 planId => mapping(uint64 providerOrg => uint256)) parked;
        mapping(bytes32 claimId => IClaimsEngine.Claim) claims;
        mapping(uint64 planId => mapping(uint64 providerOrg => uint256)) owedBack;
        mapping(bytes32 orgAndCommitment => EvidenceUse) evidence;
    }

    /// @notice The most benefit rules one `setBenefits` may set, and the most queued payments one
    /// `payQueued` may settle ({ClaimsEscrow}).
    uint256 internal constant MAX_BATCH = 50;
    /// @notice 100% in basis points.
    uint16 internal constant MAX_BPS = 10_000;
    /// @notice Days over 28 of each month of a common year, two bits a month from bit 2 (see `_daysIn`).
    uint256 private constant DAYS_OVER_28 = 0x3bbeecc;

    /// @notice See {IClaimsEngine-createPlan}.
    function createPlan(PlanBook storage book, IParticipantRegistry registry, IClaimsEngine.PlanTerms calldata terms)
        external
        returns (uint64 planId)
    {
        (bool active, uint64 orgId, IParticipantRegistry.OrgKind kind) = registry.isActiveMember(msg.sender);
        if (!active || kind != IParticipantRegistry.OrgKind.Insurer || !registry.membershipOf(msg.sender).isAdmin) {
            revert IClaimsEngine.NotInsurerAdmin(msg.sender);
        }
        if (!book.allowedTokens[terms.token]) revert IClaimsEngine.TokenNotAllowed(terms.token);
        if (terms.start == 0) revert IClaimsEngine.InvalidPlanTerms("start");
        if (terms.filingWindow == 0) revert IClaimsEngine.InvalidPlanTerms("filingWindow");
        if (terms.appealWindow == 0) revert IClaimsEngine.InvalidPlanTerms("appealWindow");
        uint8 month = terms.yearStartMonth;
        if (month == 0 || month > 12) revert IClaimsEngine.InvalidPlanTerms("yearStartMonth");
        if (terms.yearStartDay == 0 || terms.yearStartDay > _daysIn(month)) revert IClaimsEngine.InvalidPlanTerms("yearStartDay");
        planId = ++book.planCount;
        IClaimsEngine.PlanTerms memory t = terms;
        t.insurerOrgId = orgId;
        book.plans[planId] = t;
        emit IClaimsEngine.PlanCreated(planId, orgId, t.token, t);
    }

    /// @notice See {IClaimsEngine-setBenefits}.
    function setBenefits(
        PlanBook storage book,
        IParticipantRegistry registry,
        uint64 planId,
        bytes32[] calldata codes,
        IClaimsEngine.Benefit[] calldata benefits
    ) external {
        requireStaff(registry, requirePlan(book, planId).insurerOrgId);
        uint256 n = codes.length;
        if (n == 0 || n > MAX_BATCH || benefits.length != n) revert IClaimsEngine.InvalidBatch(n, MAX_BATCH);
        for (uint256 i; i < n; ++i) {
            bytes32 code = codes[i];
            IClaimsEngine.Benefit calldata b = benefits[i];
            if (code == bytes32(0)) revert IClaimsEngine.InvalidBenefit(code, "code");
            if (b.coinsuranceBps > MAX_BPS) revert IClaimsEngine.InvalidBenefit(code, "coinsuranceBps");
            if (b.costSharing == IClaimsEngine.CostSharing.CopayOnly && b.coinsuranceBps != 0) revert IClaimsEngine.InvalidBenefit(code, "coinsuranceBps");
            if (b.costSharing == IClaimsEngine.CostSharing.DeductibleCoinsurance && b.copay != 0) revert IClaimsEngine.InvalidBenefit(code, "copay");
            book.benefits[planId][code] = BenefitSlot({
                fee: b.fee,
                copay: b.copay,
                coinsuranceBps: b.coinsuranceBps,
                priorAuth: b.priorAuth,
                review: b.review,
                hasCap: b.perClaimCap != 0,
                costSharing: b.costSharing
            });
            book.caps[planId][code] = b.perClaimCap;
            emit IClaimsEngine.BenefitSet(planId, code, b);
        }
    }

    /// @notice See {IClaimsEngine-setPayee}.
    function setPayee(PlanBook storage book, IParticipantRegistry registry, address payee) external {
        (bool active, uint64 orgId, IParticipantRegistry.OrgKind kind) = registry.isActiveMember(msg.sender);
        if (!active || !isBilling(kind) || !registry.membershipOf(msg.sender).isAdmin) {
            revert IClaimsEngine.NotProviderAdmin(msg.sender);
        }
        if (payee == address(0)) revert IClaimsEngine.ZeroAddress();
        book.payees[orgId] = payee;
        emit IClaimsEngine.PayeeSet(orgId, payee);
    }

    /// @notice See {IClaimsEngine-enroll}.
    function enroll(PlanBook storage book, IParticipantRegistry registry, uint64 planId, address member, uint40 start, uint40 end) external {
        requireStaff(registry, requirePlan(book, planId).insurerOrgId);
        if (member == address(0)) revert IClaimsEngine.ZeroAddress();
        if (end < start || end == 0) revert IClaimsEngine.InvalidWindow(start, end);
        book.enrollments[planId][member] = IClaimsEngine.Enrollment(start, end);
        emit IClaimsEngine.MemberEnrolled(planId, member, start, end);
    }

    /// @notice See {IClaimsEngine-authorize}.
    function authorize(
        PlanBook storage book,
        IParticipantRegistry registry,
        uint64 planId,
        address member,
        bytes32 code,
        uint96 maxAmount,
        uint40 validFrom,
        uint40 validUntil
    ) external returns (uint64 authId) {
        requireStaff(registry, requirePlan(book, planId).insurerOrgId);
        if (member == address(0)) revert IClaimsEngine.ZeroAddress();
        if (maxAmount == 0) revert IClaimsEngine.ZeroAmount();
        if (validUntil < validFrom) revert IClaimsEngine.InvalidWindow(validFrom, validUntil);
        authId = ++book.authCount;
        book.authorizations[authId] = IClaimsEngine.Authorization({
            member: member,
            validFrom: validFrom,
            validUntil: validUntil,
            code: code,
            planId: planId,
            remaining: maxAmount,
            maxAmount: maxAmount
        });
        emit IClaimsEngine.AuthorizationIssued(authId, planId, member, code, maxAmount, validFrom, validUntil);
    }

    /// @notice Whether organizations of `kind` bill claims (providers, labs, pharmacies).
    function isBilling(IParticipantRegistry.OrgKind kind) internal pure returns (bool) {
        return kind == IParticipantRegistry.OrgKind.Provider || kind == IParticipantRegistry.OrgKind.Lab || kind == IParticipantRegistry.OrgKind.Pharmacy;
    }

    /// @notice Reverts with {IClaimsEngine-NotInsurerStaff} unless the caller is an active member of `insurerOrg`.
    function requireStaff(IParticipantRegistry registry, uint64 insurerOrg) internal view {
        (bool active, uint64 orgId, ) = registry.isActiveMember(msg.sender);
        if (!active || orgId != insurerOrg) revert IClaimsEngine.NotInsurerStaff(msg.sender, insurerOrg);
    }

    /// @notice The plan, or a revert with {IClaimsEngine-UnknownPlan}.
    function requirePlan(PlanBook storage book, uint64 planId) internal view returns (IClaimsEngine.PlanTerms storage p) {
        p = book.plans[planId];
        if (p.token == address(0)) revert IClaimsEngine.UnknownPlan(planId);
    }

    /// @dev Days in `month` (1-12) of a common year (a plan year may not begin on February 29):
    /// 28 plus the month's 2-bit field of DAYS_OVER_28 (3 0 3 2 3 2 3 3 2 3 2 3, January first).
    function _daysIn(uint8 month) private pure returns (uint256) {
        return 28 + ((DAYS_OVER_28 >> (2 * uint256(month))) & 3);
    }
}
