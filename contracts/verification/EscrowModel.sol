// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

// The SMTChecker does not model custom errors (it reports "does not yet implement type error" and
// lets the path continue), so this harness refuses with plain `require`s, as the engine's
// `revert X(...)` does.
// solhint-disable gas-custom-errors, gas-strict-inequalities

/// @title EscrowModel — the claims engine's per-plan escrow, for the SMTChecker
/// @notice Not deployed. A verification harness: one plan's `Funds{balance, reserved, queueHead,
/// queueTail}` and its payment queue (abstracted to its length and its total, see `_payHead`), its
/// parked payments (summed over providers), with the same transitions as `ClaimsEngine._settle`,
/// `ClaimsEngine._pend` and `ClaimsAdmin.fund` / `_drain` / `withdraw` / `releaseParked` (token transfers become
/// changes of `_held`, the engine's token balance; access control, events and the claim records are
/// left out: they do not move money). `npm run smt` has the compiler's SMTChecker (CHC engine, z3)
/// prove every `assert` below for every sequence of calls, and that no subtraction underflows.
/// Amounts are any values (no ranges assumed): the proofs hold for every amount and every order.
/// Plans are independent (every money path reads and writes `funds[planId]` of one plan only), so
/// one plan is the whole model.
/// A queued payment the token refuses (`refused`: a blocklisted payee) is parked: it leaves the
/// queue and the escrow like a payment, and the engine keeps holding it until it is released.
/// @dev Ghost variables (`_deposits`, `_payments`, `_withdrawals`, `_pended`, `_queued`,
/// `_delivered`) are the observer's books; the engine keeps none of them.
contract EscrowModel {
    // The engine's state for one plan (IClaimsEngine.Funds) and its queue.
    // Widened to uint256 (the engine's uint96/uint32 fields revert on overflow through SafeCast and
    // checked arithmetic; overflow is not what is proved here, and narrow types slow the solver).
    uint256 private _balance;
    uint256 private _reserved;
    uint256 private _queueLength; // queueTail - queueHead: the engine's `queueHead != queueTail` is `_queueLength != 0`
    uint256 private _parked; // PlanBook.parked[planId][*], summed over the plan's providers

    // The world and the observer's books.
    uint256 private _held; // the engine's token balance (one plan: all of it)
    uint256 private _deposits;
    uint256 private _payments;
    uint256 private _withdrawals;
    uint256 private _pended; // exposure of pended claims not yet decided
    uint256 private _queued; // queued payments not yet paid
    uint256 private _delivered; // payments that reached a payee (at once, drained, or released from parking)

    /// @notice `ClaimsAdmin.fund`: anyone deposits; queued payments are then paid (first step).
    function fund(uint96 amount, uint96 headAmount, bool refused) external {
        require(amount != 0);
        _balance += amount;
        _held += amount;
        _deposits += amount;
        _payHead(headAmount, refused);
        _conserved();
    }

    /// @notice `ClaimsAdmin.payQueued`: anyone pays queued payments, oldest first (one step).
    function payQueued(uint96 headAmount, bool refused) external {
        _payHead(headAmount, refused);
        _conserved();
    }

    /// @notice `ClaimsAdmin.releaseParked`: anyone pays one provider's parked amount, all of it, to
    /// its current payee. `amount` is that provider's part of the parked total (the engine reads it
    /// from `parked[planId][providerOrg]`; that it is part of the total is ASSUMED, as for `_payHead`).
    function releaseParked(uint96 amount) external {
        require(amount != 0); // NothingParked
        require(amount <= _parked);
        uint256 balanceBefore = _balance;
        uint256 reservedBefore = _reserved;
        _parked -= amount;
        _held -= amount;
        _delivered += amount;
        // A release moves parked money only: no plan's escrow or reservation changes.
        assert(_balance == balanceBefore && _reserved == reservedBefore);
        _conserved();
    }

    /// @notice `ClaimsEngine._pend`: a pended claim's exposure is reserved.
    function pend(uint96 exposure) external {
        _reserved += exposure;
        _pended += exposure;
        _conserved();
    }

    /// @notice `ClaimsEngine._settle`: releases `release` of pended exposure, then pays
    /// `total - credit` in full when no older payment waits and the balance covers it, else queues
    /// it in full. A payment is never shrunk.
    function settle(uint96 total, uint96 credit, uint96 release) external {
        require(release <= _pended); // a claim releases at most the exposure it reserved
        uint256 paymentsBefore = _payments;
        uint256 queuedBefore = _queued;
        _reserved -= release;
        _pended -= release;
        uint256 amount = total > credit ? total - credit : 0;
        if (amount != 0) {
            // Only unreserved escrow pays at once (the engine: `balance >= uint256(reserved) + amount`).
            // solhint-disable-next-line gas-strict-inequalities
            if (_queueLength == 0 && _balance >= _reserved + amount) {
                _balance -= amount;
                _held -= amount;
                _payments += amount;
                _delivered += amount;
                // A payment made at once leaves every reservation covered.
                assert(_balance >= _reserved);
            } else {
                ++_queueLength; // queue[planId][queueTail++] = amount
                _reserved += amount;
                _queued += amount;
            }
        }
        // Paid in full or queued in full, never less, never both.
        assert((_payments - paymentsBefore) + (_queued - queuedBefore) == amount);
        _conserved();
    }

    /// @notice `ClaimsAdmin.withdraw`: the insurer takes only what is not reserved.
    function withdraw(uint96 amount) external {
        require(amount != 0);
        uint256 available = _balance > _reserved ? _balance - _reserved : 0;
        require(amount <= available);
        _balance -= amount;
        _held -= amount;
        _withdrawals += amount;
        // What stays covers every reservation.
        assert(_balance >= _reserved);
        _conserved();
    }

    /// @dev One iteration of `ClaimsAdmin._drain`: pays the oldest queued payment, `amount`, in full
    /// when the balance covers it (otherwise the drain stops). The queue's entries are abstracted:
    /// `amount` is any value that is part of the queued total (the engine reads it from
    /// `queue[planId][head]`; that an entry is part of the total is a fact about a sum over the queue,
    /// which the CHC engine cannot infer, so it is ASSUMED here and checked by the suite's stateful
    /// property tests on the real engine). The engine's loop repeats this step at most `max` times;
    /// the invariants hold after each step, hence after any number of them.
    /// A payment the token refuses (`refused`, the `trySafeTransfer` that returned false) is parked
    /// instead: the engine keeps the tokens, for the provider.
    function _payHead(uint256 amount, bool refused) private {
        if (_queueLength == 0 || _balance < amount) return;
        require(amount <= _queued);
        _balance -= amount;
        _reserved -= amount;
        _queued -= amount;
        --_queueLength; // ++queueHead
        _payments += amount;
        if (refused) {
            _parked += amount; // parked[planId][providerOrg] += amount
        } else {
            _held -= amount;
            _delivered += amount;
        }
    }

    /// @dev Money is conserved: the engine holds exactly the escrow plus the parked payments; the
    /// escrow is deposits minus payments minus withdrawals; every payment reached its payee or is
    /// parked; reservations are exactly the pended exposure and the queue.
    function _conserved() private view {
        assert(_held == _balance + _parked);
        assert(_payments == _delivered + _parked);
        assert(_deposits == _balance + _payments + _withdrawals);
        assert(_reserved == _pended + _queued);
    }
}
