// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

// The SMTChecker does not model custom errors (it reports "does not yet implement type error" and
// lets the path continue), so this harness refuses with plain `require`s, as the engine's
// `revert X(...)` does. A model keeps one state variable per book it proves (max-states-count).
// solhint-disable gas-custom-errors, gas-strict-inequalities, max-states-count

/// @title EscrowModel — the claims engine's per-plan escrow, for the SMTChecker
/// @notice Not deployed. A verification harness: one plan's `Funds{balance, reserved, queueHead,
/// queueTail}` and its payment queue (abstracted to its length and its total, see `thenPayHead`),
/// its parked payments and what its providers owe it back (`owedBack`), both summed over providers,
/// with the same transitions as `ClaimsEscrow`, the engine's one library that moves money: `settle`,
/// `reserve` / `unreserve`, `recordOverpayment`, `recoup`, `fund` / `repay` / `_drain` / `withdraw` / `releaseParked`
/// (token transfers become changes of `_held`, the engine's token balance; access control, events
/// and the claim records are left out: they do not move money). `npm run smt` has the compiler's
/// SMTChecker (CHC engine, z3) prove every `assert` below for every sequence of calls, and that no
/// subtraction underflows (`_owed` included).
/// Amounts are any values (no ranges assumed): the proofs hold for every amount and every order.
/// Plans are independent (every money path reads and writes `funds[planId]` of one plan only), so
/// one plan is the whole model.
/// A queued payment the token refuses (`refused`: a blocklisted payee) is parked: it leaves the
/// queue and the escrow like a payment, and the engine keeps holding it until it is released.
/// Recoupment: what a provider owes the plan back (after a correction that pays less than was
/// committed, or a void of a paid claim) is offset against the next payments to that provider, at
/// settlement and when a queued payment is drained (`ClaimsEscrow.recoup`), or repaid directly. An
/// offset is a payment of the plan for a claim, settled by the provider's debt: its money never
/// leaves the escrow, so it is booked as paid (`_payments` is gross) and as recovered.
/// @dev Ghost variables (`_deposits`, `_payments`, `_withdrawals`, `_pended`, `_queued`,
/// `_delivered`, `_recoveries`, `_offsets`, `_repaid`, `_overpaid`) are the observer's books; the
/// engine keeps none of them.
/// The books are proved by induction, and the tool checks both halves: the constructor asserts
/// them of the initial state (the base case), and every step starts from a state where they hold
/// (`step`'s `require(_balanced())`, the induction hypothesis) and `_conserved()` asserts them again
/// after it (the inductive step). Hence they hold after every sequence of calls, so the hypothesis
/// never refuses a reachable state: this model reaches exactly the states it would reach without
/// it, and every other `assert` and underflow check is proved for all of them. (Left to find the
/// invariant itself, z3's CHC engine does not within its time limit over this many variables.)
contract EscrowModel {
    // The engine's state for one plan (IClaimsEngine.Funds) and its queue.
    // Widened to uint256 (the engine's uint96/uint32 fields revert on overflow through SafeCast and
    // checked arithmetic; overflow is not what is proved here, and narrow types slow the solver).
    uint256 private _balance;
    uint256 private _reserved;
    uint256 private _queueLength; // queueTail - queueHead: the engine's `queueHead != queueTail` is `_queueLength != 0`
    uint256 private _parked; // PlanBook.parked[planId][*], summed over the plan's providers
    uint256 private _owed; // PlanBook.owedBack[planId][*], summed over the plan's providers

    // The world and the observer's books.
    uint256 private _held; // the engine's token balance (one plan: all of it)
    uint256 private _deposits;
    uint256 private _payments; // gross: what the plan settled for claims (delivered, parked or offset)
    uint256 private _withdrawals;
    uint256 private _pended; // exposure of pended claims not yet decided
    uint256 private _queued; // queued payments not yet paid
    uint256 private _delivered; // payments that reached a payee (at once, drained, or released from parking)
    uint256 private _recoveries; // what providers gave back of what they owed: offsets and repayments
    uint256 private _offsets; // payments settled by what their provider owed (never left the escrow)
    uint256 private _repaid; // repayments into the escrow
    uint256 private _overpaid; // overpayments booked as owed back

    /// @dev The base case: the books balance in the initial state.
    constructor() {
        assert(_balanced());
    }

    /// @dev One step of the induction: from a state where the books balance (the hypothesis; every
    /// reachable state, see the contract's notes), the step keeps them balanced.
    modifier step() {
        require(_balanced());
        _;
        _conserved();
    }

    /// @dev One iteration of `ClaimsEscrow._drain`, after the step's body: settles the oldest queued
    /// payment, `amount`, when the balance covers what is due after offsetting what its provider
    /// owes (`owedOfProvider`, `ClaimsEscrow.recoup`); otherwise the drain stops. The entry leaves
    /// the queue in full: the offset stays in the escrow, what is due is paid.
    /// The queue's entries are abstracted: `amount` is any value that is part of the queued total
    /// (the engine reads it from `queue[planId][head]`; that an entry is part of the total is a fact
    /// about a sum over the queue, which the CHC engine cannot infer, so it is ASSUMED here and
    /// checked by the suite's stateful property tests on the real engine); so is `owedOfProvider`
    /// part of the owed total (the engine reads `owedBack[planId][providerOrg]`; ASSUMED likewise).
    /// The engine's loop repeats this step at most `max` times; the invariants hold after each
    /// step, hence after any number of them.
    /// A payment the token refuses (`refused`, the `trySafeTransfer` that returned false) is parked
    /// instead: the engine keeps the tokens, for the provider. (Nothing due, the engine makes no
    /// transfer: paying or parking zero, as here, moves nothing.)
    /// A modifier, not a private function: the SMTChecker inlines it, where a function would need a
    /// summary relating every book before and after it, which z3 does not find in time.
    modifier thenPayHead(uint256 amount, uint256 owedOfProvider, bool refused) {
        _;
        if (_queueLength != 0) {
            uint256 off = owedOfProvider < amount ? owedOfProvider : amount;
            uint256 due = amount - off;
            if (_balance >= due) {
                require(amount <= _queued && owedOfProvider <= _owed);
                uint256 reservedBefore = _reserved;
                uint256 queuedBefore = _queued;
                _balance -= due;
                _reserved -= amount;
                _queued -= amount;
                --_queueLength; // ++queueHead
                _owed -= off; // ClaimsEscrow.recoup
                _offsets += off;
                _recoveries += off;
                _payments += amount;
                if (refused) {
                    _parked += due; // parked[planId][providerOrg] += due
                } else {
                    _held -= due;
                    _delivered += due;
                }
                // The entry leaves the queue in full, its reservation with it.
                assert(_reserved + amount == reservedBefore && _queued + amount == queuedBefore);
            }
        }
    }

    /// @notice `ClaimsEscrow.fund`: anyone deposits; queued payments are then paid (first step).
    function fund(uint96 amount, uint96 headAmount, uint96 headOwed, bool refused) external step thenPayHead(headAmount, headOwed, refused) {
        require(amount != 0);
        _balance += amount;
        _held += amount;
        _deposits += amount;
    }

    /// @notice `ClaimsEscrow.payQueued`: anyone pays queued payments, oldest first (one step).
    function payQueued(uint96 headAmount, uint96 headOwed, bool refused) external step thenPayHead(headAmount, headOwed, refused) {}

    /// @notice `ClaimsEscrow.repay`: anyone pays into the plan's escrow what a provider owes it, at
    /// most all of it (`owedOfProvider`, read from `owedBack[planId][providerOrg]`; that it is part
    /// of the owed total is ASSUMED, as in `thenPayHead`); queued payments are then paid (first
    /// step; the head's provider may be the one that repaid, its owed part is `headOwed` then).
    function repay(
        uint96 amount,
        uint96 owedOfProvider,
        uint96 headAmount,
        uint96 headOwed,
        bool refused
    ) external step thenPayHead(headAmount, headOwed, refused) {
        require(amount != 0 && amount <= owedOfProvider && owedOfProvider <= _owed);
        _balance += amount;
        _held += amount;
        _owed -= amount;
        _recoveries += amount;
        _repaid += amount;
    }

    /// @notice `ClaimsEscrow.releaseParked`: anyone pays one provider's parked amount, all of it, to
    /// its current payee. `amount` is that provider's part of the parked total (the engine reads it
    /// from `parked[planId][providerOrg]`; that it is part of the total is ASSUMED, as in `thenPayHead`).
    function releaseParked(uint96 amount) external step {
        require(amount != 0); // NothingParked
        require(amount <= _parked);
        uint256 balanceBefore = _balance;
        uint256 reservedBefore = _reserved;
        _parked -= amount;
        _held -= amount;
        _delivered += amount;
        // A release moves parked money only: no plan's escrow or reservation changes.
        assert(_balance == balanceBefore && _reserved == reservedBefore);
    }

    /// @notice `ClaimsEscrow.reserve` (from `ClaimsCore._pend`): a pended claim's exposure is reserved.
    function pend(uint96 exposure) external step {
        _reserved += exposure;
        _pended += exposure;
    }

    /// @notice `ClaimsEscrow.unreserve` (from `ClaimsCore.retire`): a pended claim its provider
    /// corrects or voids gives its exposure back. No money moves.
    function unreserve(uint96 exposure) external step {
        require(exposure <= _pended); // a claim releases at most the exposure it reserved
        uint256 balanceBefore = _balance;
        _reserved -= exposure;
        _pended -= exposure;
        assert(_balance == balanceBefore);
    }

    /// @notice `ClaimsEscrow.recordOverpayment`: a correction that pays less than was committed, or a
    /// void of a paid claim, books what the provider owes back. No money moves.
    function recordOverpayment(uint96 amount) external step {
        _owed += amount;
        _overpaid += amount;
    }

    /// @notice `ClaimsEscrow.settle`: releases `release` of pended exposure; books `credit - total`
    /// as owed back when the claim now pays less than was committed; else offsets what the provider
    /// owes (`owedOfProvider`, read from `owedBack[planId][providerOrg]`; that it is part of the owed
    /// total is ASSUMED, as in `thenPayHead`) against `total - credit` (`ClaimsEscrow.recoup`), then
    /// pays the rest in full when no older payment waits and the balance covers it, else queues it
    /// in full. A payment is never shrunk: only the provider's debt reduces what is paid or queued.
    function settle(uint96 total, uint96 credit, uint96 release, uint96 owedOfProvider) external step {
        require(release <= _pended); // a claim releases at most the exposure it reserved
        require(owedOfProvider <= _owed);
        uint256 settledBefore = _delivered + _queued + _offsets;
        _reserved -= release;
        _pended -= release;
        uint256 amount;
        if (total < credit) {
            _owed += credit - total; // ClaimsEscrow.recordOverpayment
            _overpaid += credit - total;
        } else {
            amount = total - credit;
        }
        if (amount != 0) {
            // ClaimsEscrow.recoup: the offset stays in the escrow, a payment recovered at once.
            uint256 off = owedOfProvider < amount ? owedOfProvider : amount;
            _owed -= off;
            _offsets += off;
            _recoveries += off;
            _payments += off;
            uint256 rest = amount - off;
            if (rest != 0) {
                // Only unreserved escrow pays at once (the engine: `balance >= uint256(reserved) + amount`).
                if (_queueLength == 0 && _balance >= _reserved + rest) {
                    _balance -= rest;
                    _held -= rest;
                    _payments += rest;
                    _delivered += rest;
                    // A payment made at once leaves every reservation covered.
                    assert(_balance >= _reserved);
                } else {
                    ++_queueLength; // queue[planId][queueTail++] = rest
                    _reserved += rest;
                    _queued += rest;
                }
            }
        }
        // Paid at once, queued or offset, in full: never less (the provider's debt reduces what is
        // paid or queued, nothing else).
        assert(_delivered + _queued + _offsets == settledBefore + amount);
    }

    /// @notice `ClaimsEscrow.withdraw`: the insurer takes only what is not reserved.
    function withdraw(uint96 amount) external step {
        require(amount != 0);
        uint256 available = _balance > _reserved ? _balance - _reserved : 0;
        require(amount <= available);
        _balance -= amount;
        _held -= amount;
        _withdrawals += amount;
        // What stays covers every reservation.
        assert(_balance >= _reserved);
    }

    /// @dev Money is conserved (the books of `_balanced`, asserted one by one): the engine holds
    /// exactly the escrow plus the parked payments; the escrow is deposits plus recoveries minus
    /// (gross) payments minus withdrawals; every payment reached its payee, is parked, or was
    /// offset; every recovery is an offset or a repayment; what is owed back is what was booked
    /// minus what was recovered; reservations are exactly the pended exposure and the queue.
    function _conserved() private view {
        assert(_held == _balance + _parked);
        assert(_deposits + _recoveries == _balance + _payments + _withdrawals);
        assert(_payments == _delivered + _parked + _offsets);
        assert(_recoveries == _offsets + _repaid);
        assert(_overpaid == _owed + _recoveries);
        assert(_reserved == _pended + _queued);
    }

    /// @dev The books of `_conserved`, as one condition.
    function _balanced() private view returns (bool) {
        return
            _held == _balance + _parked &&
            _deposits + _recoveries == _balance + _payments + _withdrawals &&
            _payments == _delivered + _parked + _offsets &&
            _recoveries == _offsets + _repaid &&
            _overpaid == _owed + _recoveries &&
            _reserved == _pended + _queued;
    }
}
