// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IClaimsEngine} from "../interfaces/IClaimsEngine.sol";
import {Adjudication} from "../libraries/Adjudication.sol";
import {IParticipantRegistry} from "../interfaces/IParticipantRegistry.sol";

/// @title ClaimsAdmin
/// @notice The ClaimsEngine's plan administration (plans, benefit rules, enrollment, prior
/// authorizations), as an external library the engine delegate-calls: it keeps the engine under
/// the 24,576-byte code limit while the hot paths (submission, settlement) stay in the engine.
/// @dev Runs in the engine's context: `msg.sender` is the engine's caller, events are the engine's.
library ClaimsAdmin {
    using SafeERC20 for IERC20;

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
        mapping(uint64 planId => IClaimsEngine.Funds) funds;
        mapping(uint64 planId => mapping(uint32 position => IClaimsEngine.QueuedPayment)) queue;
        mapping(uint64 planId => mapping(address member => mapping(uint256 year => IClaimsEngine.Accumulators))) accumulators;
        uint64 planCount;
        uint64 authCount;
        // Appended last: the fields above keep their storage positions.
        mapping(uint64 planId => mapping(uint64 providerOrg => uint256)) parked;
    }

    /// @notice The most benefit rules one call may set.
    uint256 internal constant MAX_BATCH = 50;
    /// @notice How many queued payments a deposit pays at most.
    uint256 internal constant DRAIN_ON_FUND = 8;
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

    /// @notice See {IClaimsEngine-fund}. The engine applies `nonReentrant` and `whenNotPaused`.
    function fund(PlanBook storage book, uint64 planId, uint256 amount) external {
        if (amount == 0) revert IClaimsEngine.ZeroAmount();
        IERC20 token = IERC20(requirePlan(book, planId).token);
        // The deposit is measured by the balance change: a token that takes a fee is refused.
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != amount) revert IClaimsEngine.FeeOnTransferRefused(address(token), amount, received);
        IClaimsEngine.Funds storage f = book.funds[planId];
        f.balance += SafeCast.toUint96(amount);
        emit IClaimsEngine.PlanFunded(planId, msg.sender, amount);
        if (f.queueHead != f.queueTail) _drain(book, planId, token, DRAIN_ON_FUND);
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
    function appeal(
        PlanBook storage book,
        mapping(bytes32 claimId => IClaimsEngine.Claim) storage claims,
        IParticipantRegistry registry,
        bytes32 claimId,
        IClaimsEngine.ClaimRecord calldata record
    ) external {
        IClaimsEngine.Claim storage c = claims[claimId];
        IClaimsEngine.ClaimStatus st = c.status;
        if (st == IClaimsEngine.ClaimStatus.None) revert IClaimsEngine.UnknownClaim(claimId);
        if (st != IClaimsEngine.ClaimStatus.Partial && st != IClaimsEngine.ClaimStatus.Denied) revert IClaimsEngine.InvalidClaimStatus(claimId, st);
        if (keccak256(abi.encode(record)) != c.recordHash) revert IClaimsEngine.RecordMismatch(claimId);
        if (msg.sender != record.member) {
            (bool active, uint64 orgId, ) = registry.isActiveMember(msg.sender);
            if (!active || orgId != record.providerOrg) revert IClaimsEngine.NotAppellant(msg.sender, claimId);
        }
        uint256 deadline = uint256(c.decidedAt) + book.plans[c.planId].appealWindow;
        if (block.timestamp > deadline) revert IClaimsEngine.AppealWindowClosed(claimId, deadline);
        c.status = IClaimsEngine.ClaimStatus.Appealed;
        emit IClaimsEngine.ClaimAppealed(claimId, msg.sender);
    }

    /// @notice Reverses what a replaced claim applied to its member's plan-year accumulators:
    /// its deductible, its member share, and `credit` (the plan's share) from the benefit paid.
    function reverseAccumulators(PlanBook storage book, uint64 planId, IClaimsEngine.ClaimRecord calldata original, uint96 credit) external {
        if (original.deductible == 0 && original.memberShare == 0 && credit == 0) return;
        uint40 start = book.plans[planId].start;
        uint40 date = original.serviceDate < start ? start : original.serviceDate;
        IClaimsEngine.Accumulators storage a = book.accumulators[planId][original.member][Adjudication.planYear(start, date)];
        a.deductibleMet -= uint80(original.deductible);
        a.outOfPocketMet -= uint80(original.memberShare);
        a.benefitPaid -= uint80(credit);
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

    /// @dev Settles queued payments oldest first while the escrow covers the next one in full, at
    /// most `max` of them. Each leaves the queue and the plan's escrow (its reservation with it);
    /// a transfer the token refuses (a blocked payee) does not stop the drain: the amount is parked
    /// for the provider (see {IClaimsEngine-releaseParked}) and the next payment is tried.
    /// @return settled the number of payments that left the queue (paid or parked)
    function _drain(PlanBook storage book, uint64 planId, IERC20 token, uint256 max) private returns (uint256 settled) {
        IClaimsEngine.Funds storage f = book.funds[planId];
        while (settled < max && f.queueHead != f.queueTail) {
            uint32 head = f.queueHead;
            IClaimsEngine.QueuedPayment memory q = book.queue[planId][head];
            if (f.balance < q.amount) break;
            f.balance -= q.amount;
            f.reserved -= q.amount;
            f.queueHead = head + 1;
            delete book.queue[planId][head];
            ++settled;
            address payee = book.payees[q.providerOrg];
            // The state above is written before the call (and the engine holds its reentrancy
            // guard); only the outcome's record follows it.
            if (token.trySafeTransfer(payee, q.amount)) {
                emit IClaimsEngine.ClaimPaid(q.claimId, planId, payee, q.amount);
            } else {
                book.parked[planId][q.providerOrg] += q.amount;
                emit IClaimsEngine.PaymentParked(q.claimId, planId, q.providerOrg, payee, q.amount);
            }
        }
    }
}
