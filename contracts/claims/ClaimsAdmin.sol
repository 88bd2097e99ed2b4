// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IClaimsEngine} from "./IClaimsEngine.sol";
import {IParticipantRegistry} from "../participants/IParticipantRegistry.sol";

/// @title ClaimsAdmin
/// @notice The ClaimsEngine's plan administration (plans, benefit rules, enrollment, prior
/// authorizations), as an external library the engine delegate-calls: it keeps the engine under
/// the 24,576-byte code limit while the hot paths (submission, settlement) stay in the engine.
/// @dev Runs in the engine's context: `msg.sender` is the engine's caller, events are the engine's.
library ClaimsAdmin {
    using SafeERC20 for IERC20;

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

    /// @notice The engine's plan-administration state.
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


    /// @notice The most benefit rules one call may set.
    uint256 internal constant MAX_BATCH = 50;
    /// @notice How many queued payments a deposit pays at most.
    uint256 internal constant DRAIN_ON_FUND = 8;
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

    /// @notice See {IClaimsEngine-fund}. The engine applies `nonReentrant` and `whenNotPaused`.
    function fund(PlanBook storage book, uint64 planId, uint256 amount) external {
        if (amount == 0) revert IClaimsEngine.ZeroAmount();
        IERC20 token = _deposit(book, planId, amount);
        emit IClaimsEngine.PlanFunded(planId, msg.sender, amount);
        _drainAfterDeposit(book, planId, token);
    }

    /// @notice See {IClaimsEngine-repay}. The engine applies `nonReentrant` and `whenNotPaused`.
    function repay(PlanBook storage book, uint64 planId, uint64 providerOrg, uint256 amount) external {
        if (amount == 0) revert IClaimsEngine.ZeroAmount();
        uint256 owed = book.owedBack[planId][providerOrg];
        if (amount > owed) revert IClaimsEngine.RepaymentExceedsOwed(planId, providerOrg, amount, owed);
        IERC20 token = _deposit(book, planId, amount);
        book.owedBack[planId][providerOrg] = owed - amount;
        emit IClaimsEngine.OverpaymentRepaid(planId, providerOrg, msg.sender, amount);
        _drainAfterDeposit(book, planId, token);
    }

    /// @notice See {IClaimsEngine-releaseParked}. The engine applies `nonReentrant` and `whenNotPaused`.
    /// @dev A parked amount exists only for a plan that exists and a provider that named a payee
    /// (a queued payment needs both), so neither is checked again.
    function releaseParked(PlanBook storage book, uint64 planId, uint64 providerOrg) external {
        uint256 amount = book.parked[planId][providerOrg];
        if (amount == 0) revert IClaimsEngine.NothingParked(planId, providerOrg);
        book.parked[planId][providerOrg] = 0;
        address payee = book.payees[providerOrg];
        emit IClaimsEngine.ParkedPaymentReleased(planId, providerOrg, payee, amount);
        IERC20(book.plans[planId].token).safeTransfer(payee, amount);
    }

    /// @notice See {IClaimsEngine-payQueued}. The engine applies `nonReentrant` and `whenNotPaused`.
    function payQueued(PlanBook storage book, uint64 planId, uint256 max) external returns (uint256) {
        if (max == 0 || max > MAX_BATCH) revert IClaimsEngine.InvalidBatch(max, MAX_BATCH);
        return _drain(book, planId, IERC20(requirePlan(book, planId).token), max);
    }

    /// @notice See {IClaimsEngine-withdraw}. The engine applies `nonReentrant` and `whenNotPaused`.
    function withdraw(PlanBook storage book, IParticipantRegistry registry, uint64 planId, uint256 amount, address to) external {
        IClaimsEngine.PlanTerms storage p = requirePlan(book, planId);
        requireStaff(registry, p.insurerOrgId);
        if (!registry.membershipOf(msg.sender).isAdmin) revert IClaimsEngine.NotInsurerStaff(msg.sender, p.insurerOrgId);
        if (amount == 0) revert IClaimsEngine.ZeroAmount();
        if (to == address(0)) revert IClaimsEngine.ZeroAddress();
        IClaimsEngine.Funds storage f = book.funds[planId];
        uint256 available = f.balance > f.reserved ? f.balance - f.reserved : 0;
        if (amount > available) revert IClaimsEngine.InsufficientUnreservedFunds(planId, amount, available);
        f.balance -= uint96(amount);
        emit IClaimsEngine.FundsWithdrawn(planId, to, amount);
        IERC20(p.token).safeTransfer(to, amount);
    }

    /// @notice See {IClaimsEngine-appeal}. In the library (not the engine) for the engine's code size.
    /// @dev The record is checked against the claim's `recordHash` as the engine checks it (the ABI
    /// encoding of a calldata record equals that of its memory copy).
    function appeal(PlanBook storage book, IParticipantRegistry registry, bytes32 claimId, IClaimsEngine.ClaimRecord calldata record) external {
        IClaimsEngine.Claim storage c = book.claims[claimId];
        IClaimsEngine.ClaimStatus st = c.status;
        if (st == IClaimsEngine.ClaimStatus.None) revert IClaimsEngine.UnknownClaim(claimId);
        if (st != IClaimsEngine.ClaimStatus.Partial && st != IClaimsEngine.ClaimStatus.Denied) revert IClaimsEngine.InvalidClaimStatus(claimId, st);
        if (bytes31(keccak256(abi.encode(record))) != c.recordHash) revert IClaimsEngine.RecordMismatch(claimId);
        if (msg.sender != record.member) {
            (bool active, uint64 orgId, ) = registry.isActiveMember(msg.sender);
            if (!active || orgId != record.providerOrg) revert IClaimsEngine.NotAppellant(msg.sender, claimId);
        }
        uint256 deadline = uint256(record.decidedAt) + book.plans[record.planId].appealWindow;
        if (block.timestamp > deadline) revert IClaimsEngine.AppealWindowClosed(claimId, deadline);
        c.status = IClaimsEngine.ClaimStatus.Appealed;
        emit IClaimsEngine.ClaimAppealed(claimId, msg.sender);
    }

    /// @notice Offsets what provider `providerOrg` owes plan `planId` against a payment of
    /// `amount` due for `claimId` (recoupment, {IClaimsEngine-OverpaymentRecovered}); returns what
    /// is left to pay.
    function recoup(PlanBook storage book, uint64 planId, bytes32 claimId, uint64 providerOrg, uint96 amount) internal returns (uint96) {
        uint256 owed = book.owedBack[planId][providerOrg];
        if (owed == 0) return amount;
        uint96 offset = owed < amount ? uint96(owed) : amount;
        book.owedBack[planId][providerOrg] = owed - offset;
        emit IClaimsEngine.OverpaymentRecovered(claimId, planId, providerOrg, offset);
        return amount - offset;
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

    /// @dev Takes `amount` of the plan's token from the caller into the plan's escrow, measured by
    /// the balance change: a token that takes a fee is refused.
    function _deposit(PlanBook storage book, uint64 planId, uint256 amount) private returns (IERC20 token) {
        token = IERC20(requirePlan(book, planId).token);
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != amount) revert IClaimsEngine.FeeOnTransferRefused(address(token), amount, received);
        book.funds[planId].balance += SafeCast.toUint96(amount);
    }

    function _drainAfterDeposit(PlanBook storage book, uint64 planId, IERC20 token) private {
        IClaimsEngine.Funds storage f = book.funds[planId];
        if (f.queueHead != f.queueTail) _drain(book, planId, token, DRAIN_ON_FUND);
    }

    /// @dev Settles queued payments oldest first while the escrow covers the next one in full, at
    /// most `max` of them. What the provider owes the plan is offset first (recoupment: that part
    /// stays in escrow). Each leaves the queue and the plan's escrow (its reservation with it);
    /// a transfer the token refuses (a blocked payee) does not stop the drain: the amount is parked
    /// for the provider (see {IClaimsEngine-releaseParked}) and the next payment is tried.
    /// @return settled the number of payments that left the queue (paid, offset or parked)
    function _drain(PlanBook storage book, uint64 planId, IERC20 token, uint256 max) private returns (uint256 settled) {
        IClaimsEngine.Funds storage f = book.funds[planId];
        while (settled < max && f.queueHead != f.queueTail) {
            uint32 head = f.queueHead;
            IClaimsEngine.QueuedPayment memory q = book.queue[planId][head];
            uint256 owed = book.owedBack[planId][q.providerOrg];
            uint96 due = owed < q.amount ? q.amount - uint96(owed) : 0;
            if (f.balance < due) break;
            f.balance -= due;
            f.reserved -= q.amount;
            f.queueHead = head + 1;
            delete book.queue[planId][head];
            ++settled;
            recoup(book, planId, q.claimId, q.providerOrg, q.amount);
            if (due == 0) continue;
            address payee = book.payees[q.providerOrg];
            // The state above is written before the call (and the engine holds its reentrancy
            // guard); only the outcome's record follows it.
            if (token.trySafeTransfer(payee, due)) {
                emit IClaimsEngine.ClaimPaid(q.claimId, planId, payee, due);
            } else {
                book.parked[planId][q.providerOrg] += due;
                emit IClaimsEngine.PaymentParked(q.claimId, planId, q.providerOrg, payee, due);
            }
        }
    }

    /// @dev Days in `month` (1-12) of a common year (a plan year may not begin on February 29):
    /// 28 plus the month's 2-bit field of DAYS_OVER_28 (3 0 3 2 3 2 3 3 2 3 2 3, January first).
    function _daysIn(uint8 month) private pure returns (uint256) {
        return 28 + ((DAYS_OVER_28 >> (2 * uint256(month))) & 3);
    }
}
