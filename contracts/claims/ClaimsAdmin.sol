// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IClaimsEngine} from "../interfaces/IClaimsEngine.sol";
import {IParticipantRegistry} from "../interfaces/IParticipantRegistry.sol";

/// @title ClaimsAdmin
/// @notice The ClaimsEngine's plan administration (plans, benefit rules, enrollment, prior
/// authorizations), as an external library the engine delegate-calls: it keeps the engine under
/// the 24,576-byte code limit while the hot paths (submission, settlement) stay in the engine.
/// @dev Runs in the engine's context: `msg.sender` is the engine's caller, events are the engine's.
library ClaimsAdmin {
    /// @notice A benefit's hot fields in one slot: fee (12 bytes), copay (12), coinsuranceBps (2),
    /// priorAuth, review, hasCap (1 each). The per-claim cap lives in `caps`, read only when set.
    struct BenefitSlot {
        uint96 fee;
        uint96 copay;
        uint16 coinsuranceBps;
        bool priorAuth;
        bool review;
        bool hasCap;
    }

    /// @notice The engine's plan-administration state.
    struct PlanBook {
        mapping(address token => bool) allowedTokens;
        mapping(uint64 planId => IClaimsEngine.PlanTerms) plans;
        mapping(uint64 planId => mapping(bytes32 code => BenefitSlot)) benefits;
        mapping(uint64 planId => mapping(bytes32 code => uint96)) caps;
        mapping(uint64 planId => mapping(address member => IClaimsEngine.Enrollment)) enrollments;
        mapping(uint64 authId => IClaimsEngine.Authorization) authorizations;
        mapping(uint64 providerOrg => address) payees;
        uint64 planCount;
        uint64 authCount;
    }

    /// @notice The most benefit rules one call may set.
    uint256 internal constant MAX_BATCH = 50;
    /// @notice 100% in basis points.
    uint16 internal constant MAX_BPS = 10_000;

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
            book.benefits[planId][code] = BenefitSlot({
                fee: b.fee,
                copay: b.copay,
                coinsuranceBps: b.coinsuranceBps,
                priorAuth: b.priorAuth,
                review: b.review,
                hasCap: b.perClaimCap != 0
            });
            book.caps[planId][code] = b.perClaimCap;
            emit IClaimsEngine.BenefitSet(planId, code, b);
        }
    }

    /// @notice See {IClaimsEngine-setPayee}.
    function setPayee(PlanBook storage book, IParticipantRegistry registry, address payee) external {
        (bool active, uint64 orgId, IParticipantRegistry.OrgKind kind) = registry.isActiveMember(msg.sender);
        if (!active || kind != IParticipantRegistry.OrgKind.Provider || !registry.membershipOf(msg.sender).isAdmin) {
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
}
