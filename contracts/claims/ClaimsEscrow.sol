// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IClaimsEngine} from "./IClaimsEngine.sol";
import {IParticipantRegistry} from "../participants/IParticipantRegistry.sol";
import {ClaimsPlans} from "./ClaimsPlans.sol";

/// @title ClaimsEscrow
/// @notice Every movement of money of the ClaimsEngine, per plan, in one place: deposits (funding
/// and providers' repayments), claims' settlement (paid at once, queued, or parked when the token
/// refuses the payee), reservations for pended claims, what providers owe back and its recoupment,
/// the queue's draining, parked payments' release and the insurer's withdrawals. The conservation
/// law it keeps per plan (deposits − payments + recoveries − withdrawals = balance; the token
/// balance covers every plan's balance plus the parked payments) is proved by the SMTChecker over
/// `contracts/verification/EscrowModel.sol`, which mirrors these functions one for one
/// (`npm run smt`), and checked by the claims property tests.
/// @dev The external functions are delegate-called by the engine, which applies `nonReentrant` and
/// `whenNotPaused`; the internal ones are compiled into the engine's and {ClaimsLifecycle}'s claim
/// paths ({ClaimsCore}). State is written before any token transfer.
library ClaimsEscrow {
    using SafeERC20 for IERC20;

    /// @notice How many queued payments a deposit pays at most.
    uint256 internal constant DRAIN_ON_FUND = 8;

    /// @notice See {IClaimsEngine-fund}. The engine applies `nonReentrant` and `whenNotPaused`.
    function fund(ClaimsPlans.PlanBook storage book, uint64 planId, uint256 amount) external {
        if (amount == 0) revert IClaimsEngine.ZeroAmount();
        IERC20 token = _deposit(book, planId, amount);
        emit IClaimsEngine.PlanFunded(planId, msg.sender, amount);
        _drainAfterDeposit(book, planId, token);
    }

    /// @notice See {IClaimsEngine-repay}. The engine applies `nonReentrant` and `whenNotPaused`.
    function repay(ClaimsPlans.PlanBook storage book, uint64 planId, uint64 providerOrg, uint256 amount) external {
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
    function releaseParked(ClaimsPlans.PlanBook storage book, uint64 planId, uint64 providerOrg) external {
        uint256 amount = book.parked[planId][providerOrg];
        if (amount == 0) revert IClaimsEngine.NothingParked(planId, providerOrg);
        book.parked[planId][providerOrg] = 0;
        address payee = book.payees[providerOrg];
        emit IClaimsEngine.ParkedPaymentReleased(planId, providerOrg, payee, amount);
        IERC20(book.plans[planId].token).safeTransfer(payee, amount);
    }

    /// @notice See {IClaimsEngine-payQueued}. The engine applies `nonReentrant` and `whenNotPaused`.
    function payQueued(ClaimsPlans.PlanBook storage book, uint64 planId, uint256 max) external returns (uint256) {
        if (max == 0 || max > ClaimsPlans.MAX_BATCH) revert IClaimsEngine.InvalidBatch(max, ClaimsPlans.MAX_BATCH);
        return _drain(book, planId, IERC20(ClaimsPlans.requirePlan(book, planId).token), max);
    }

    /// @notice See {IClaimsEngine-withdraw}. The engine applies `nonReentrant` and `whenNotPaused`.
    function withdraw(ClaimsPlans.PlanBook storage book, IParticipantRegistry registry, uint64 planId, uint256 amount, address to) external {
        IClaimsEngine.PlanTerms storage p = ClaimsPlans.requirePlan(book, planId);
        ClaimsPlans.requireStaff(registry, p.insurerOrgId);
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

    /// @notice Pays `total - credit` for a claim (or records an overpayment when negative), after
    /// releasing `release` of pended exposure. What the provider owes the plan is offset first
    /// (recoupment: that part stays in escrow). The rest is paid now when no older payment waits
    /// and the unreserved escrow covers it in full; otherwise it is queued in full. A payment made
    /// now uses `safeTransfer`: a payee the token refuses reverts the whole step.
    function settle(
        ClaimsPlans.PlanBook storage book,
        uint64 planId,
        bytes32 claimId,
        uint64 providerOrg,
        address token,
        uint96 total,
        uint96 credit,
        uint256 release
    ) internal {
        IClaimsEngine.Funds storage fs = book.funds[planId];
        IClaimsEngine.Funds memory f = fs;
        uint96 reserved = f.reserved - uint96(release);
        uint96 amount;
        if (total < credit) {
            recordOverpayment(book, planId, claimId, providerOrg, credit - total);
        } else {
            amount = total - credit;
        }
        if (amount != 0) amount = recoup(book, planId, claimId, providerOrg, amount);
        // Only the fields that change are written (one slot: the first write pays for it).
        if (amount == 0) {
            if (release != 0) fs.reserved = reserved;
            return;
        }
        // Only unreserved escrow pays at once (`reserved` may exceed `balance`: no subtraction).
        // solhint-disable-next-line gas-strict-inequalities
        if (f.queueHead == f.queueTail && f.balance >= uint256(reserved) + amount) {
            fs.balance = f.balance - amount;
            if (release != 0) fs.reserved = reserved;
            address payee = book.payees[providerOrg];
            emit IClaimsEngine.ClaimPaid(claimId, planId, payee, amount);
            IERC20(token).safeTransfer(payee, amount);
        } else {
            uint32 position = f.queueTail;
            fs.reserved = reserved + amount;
            fs.queueTail = position + 1;
            book.queue[planId][position] = IClaimsEngine.QueuedPayment(claimId, providerOrg, amount);
            emit IClaimsEngine.PaymentQueued(claimId, planId, position, amount);
        }
    }

    /// @notice Reserves `amount` of plan `planId`'s escrow for a pended claim's exposure (what the plan
    /// may pay for it once an adjuster decides): only unreserved escrow pays at once or is withdrawn.
    function reserve(ClaimsPlans.PlanBook storage book, uint64 planId, uint96 amount) internal {
        book.funds[planId].reserved += amount;
    }

    /// @notice Releases `amount` reserved by {reserve} for a pended claim its provider corrects or voids.
    function unreserve(ClaimsPlans.PlanBook storage book, uint64 planId, uint96 amount) internal {
        book.funds[planId].reserved -= amount;
    }

    /// @notice Offsets what provider `providerOrg` owes plan `planId` against a payment of
    /// `amount` due for `claimId` (recoupment, {IClaimsEngine-OverpaymentRecovered}); returns what
    /// is left to pay.
    function recoup(ClaimsPlans.PlanBook storage book, uint64 planId, bytes32 claimId, uint64 providerOrg, uint96 amount) internal returns (uint96) {
        uint256 owed = book.owedBack[planId][providerOrg];
        if (owed == 0) return amount;
        uint96 offset = owed < amount ? uint96(owed) : amount;
        book.owedBack[planId][providerOrg] = owed - offset;
        emit IClaimsEngine.OverpaymentRecovered(claimId, planId, providerOrg, offset);
        return amount - offset;
    }

    /// @notice Books `amount` as owed back by `providerOrg` to plan `planId`.
    function recordOverpayment(ClaimsPlans.PlanBook storage book, uint64 planId, bytes32 claimId, uint64 providerOrg, uint96 amount) internal {
        book.owedBack[planId][providerOrg] += amount;
        emit IClaimsEngine.OverpaymentRecorded(claimId, planId, providerOrg, amount);
    }

    /// @dev Takes `amount` of the plan's token from the caller into the plan's escrow, measured by
    /// the balance change: a token that takes a fee is refused.
    function _deposit(ClaimsPlans.PlanBook storage book, uint64 planId, uint256 amount) private returns (IERC20 token) {
        token = IERC20(ClaimsPlans.requirePlan(book, planId).token);
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != amount) revert IClaimsEngine.FeeOnTransferRefused(address(token), amount, received);
        book.funds[planId].balance += SafeCast.toUint96(amount);
    }

    function _drainAfterDeposit(ClaimsPlans.PlanBook storage book, uint64 planId, IERC20 token) private {
        IClaimsEngine.Funds storage f = book.funds[planId];
        if (f.queueHead != f.queueTail) _drain(book, planId, token, DRAIN_ON_FUND);
    }

    /// @dev Settles queued payments oldest first while the escrow covers the next one in full, at
    /// most `max` of them. What the provider owes the plan is offset first (recoupment: that part
    /// stays in escrow). Each leaves the queue and the plan's escrow (its reservation with it);
    /// a transfer the token refuses (a blocked payee) does not stop the drain: the amount is parked
    /// for the provider (see {IClaimsEngine-releaseParked}) and the next payment is tried.
    /// @return settled the number of payments that left the queue (paid, offset or parked)
    function _drain(ClaimsPlans.PlanBook storage book, uint64 planId, IERC20 token, uint256 max) private returns (uint256 settled) {
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
}
