// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IClaimsEngine} from "../interfaces/IClaimsEngine.sol";
import {IParticipantRegistry} from "../interfaces/IParticipantRegistry.sol";
import {IRecordEvidence} from "../interfaces/IRecordEvidence.sol";
import {ManagedPausable} from "../governance/ManagedPausable.sol";
import {Adjudication} from "../libraries/Adjudication.sol";
import {ClaimsAdmin} from "./ClaimsAdmin.sol";

/// @title ClaimsEngine
/// @notice Insurance plans as rules, their escrow, members, prior authorizations, and claims
/// adjudicated line by line and settled in the same transaction when the rules allow it.
/// @dev Money is conserved per plan: `funds.balance` = deposits - payments - withdrawals, and the
/// contract's token balance is the sum of its plans' balances plus the parked payments. A payment
/// the unreserved escrow cannot cover (or that would overtake an older queued one) is queued in
/// full, FIFO, and paid by {fund} (up to `DRAIN_ON_FUND` entries) or {payQueued} (up to
/// `MAX_BATCH`); a queued payment the token refuses to deliver is parked for its provider and
/// released by {releaseParked}. Settlement is `nonReentrant`
/// (transient storage), uses SafeERC20, and writes all state before any token transfer.
/// Line details are not stored: they are emitted and committed in one hash per claim.
contract ClaimsEngine is IClaimsEngine, ManagedPausable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /// @dev Working state of one adjudication, in memory only (keeps the stack shallow).
    // solhint-disable-next-line gas-struct-packing
    struct Ctx {
        uint64 planId;
        uint40 serviceDate;
        uint16 denyReason;
        Mode mode;
        bool authValid;
        bool review;
        bool anyReason;
        bytes32 authCode;
        uint256 authRemaining;
        uint256 planTotal;
        uint256 memberTotal;
        uint256 deductibleTotal;
        uint256 allowedTotal;
        uint256 year;
        Adjudication.Terms terms;
        Adjudication.Totals acc;
    }

    /// @dev Rules: the plan's rules decide. Decide: an adjuster's amounts. Appeal: an adjuster's
    /// amounts, which may only grow; cost sharing applies to the increment.
    enum Mode {
        Rules,
        Decide,
        Appeal
    }

    /// @notice The version of this contract's interface and storage semantics.
    string public constant VERSION = "1.0.0";
    /// @notice The most lines one claim may have.
    uint256 public constant MAX_LINES = 20;
    /// @notice The most items one batch (benefit rules, queued payments) may have.
    uint256 public constant MAX_BATCH = ClaimsAdmin.MAX_BATCH;
    /// @notice How many queued payments a deposit pays at most.
    uint256 public constant DRAIN_ON_FUND = ClaimsAdmin.DRAIN_ON_FUND;

    IParticipantRegistry private immutable REGISTRY;
    IRecordEvidence private immutable RECORD_EVIDENCE;

    ClaimsAdmin.PlanBook private _book;
    mapping(bytes32 claimId => Claim) private _claims;
    mapping(uint64 planId => mapping(uint64 providerOrg => uint256)) private _owedBack;

    /// @param authority the suite's AccessManager
    /// @param participants the participant registry (who is staff of which organization)
    /// @param evidence the record registry's evidence view (no phantom billing)
    constructor(address authority, IParticipantRegistry participants, IRecordEvidence evidence) ManagedPausable(authority) {
        REGISTRY = participants;
        RECORD_EVIDENCE = evidence;
    }

    // ---------------------------------------------------------------- governance and plans

    /// @inheritdoc IClaimsEngine
    function setTokenAllowed(address token, bool allowed) external restricted {
        if (token == address(0)) revert ZeroAddress();
        _book.allowedTokens[token] = allowed;
        emit TokenAllowed(token, allowed);
    }

    /// @inheritdoc IClaimsEngine
    function createPlan(PlanTerms calldata terms) external returns (uint64) {
        return ClaimsAdmin.createPlan(_book, REGISTRY, terms);
    }

    /// @inheritdoc IClaimsEngine
    function setBenefits(uint64 planId, bytes32[] calldata codes, Benefit[] calldata benefits) external {
        ClaimsAdmin.setBenefits(_book, REGISTRY, planId, codes, benefits);
    }

    /// @inheritdoc IClaimsEngine
    function setPayee(address payee) external {
        ClaimsAdmin.setPayee(_book, REGISTRY, payee);
    }

    // ---------------------------------------------------------------- money in and out

    /// @inheritdoc IClaimsEngine
    function fund(uint64 planId, uint256 amount) external nonReentrant whenNotPaused {
        ClaimsAdmin.fund(_book, planId, amount);
    }

    /// @inheritdoc IClaimsEngine
    function withdraw(uint64 planId, uint256 amount, address to) external nonReentrant whenNotPaused {
        ClaimsAdmin.withdraw(_book, REGISTRY, planId, amount, to);
    }

    /// @inheritdoc IClaimsEngine
    function releaseParked(uint64 planId, uint64 providerOrg) external nonReentrant whenNotPaused {
        ClaimsAdmin.releaseParked(_book, planId, providerOrg);
    }

    /// @inheritdoc IClaimsEngine
    function payQueued(uint64 planId, uint256 max) external nonReentrant whenNotPaused returns (uint256) {
        return ClaimsAdmin.payQueued(_book, planId, max);
    }

    // ---------------------------------------------------------------- members and authorizations

    /// @inheritdoc IClaimsEngine
    function enroll(uint64 planId, address member, uint40 start, uint40 end) external {
        ClaimsAdmin.enroll(_book, REGISTRY, planId, member, start, end);
    }

    /// @inheritdoc IClaimsEngine
    function authorize(uint64 planId, address member, bytes32 code, uint96 maxAmount, uint40 validFrom, uint40 validUntil)
        external
        returns (uint64)
    {
        return ClaimsAdmin.authorize(_book, REGISTRY, planId, member, code, maxAmount, validFrom, validUntil);
    }

    // ---------------------------------------------------------------- claims

    /// @inheritdoc IClaimsEngine
    function submit(Submission calldata s) external nonReentrant whenNotPaused returns (bytes32, ClaimStatus, uint96) {
        return _submit(s, bytes32(0), 0);
    }

    /// @inheritdoc IClaimsEngine
    function submitCorrection(Submission calldata s, bytes32 replaces, ClaimRecord calldata original)
        external
        nonReentrant
        whenNotPaused
        returns (bytes32, ClaimStatus, uint96)
    {
        Claim storage o = _requireClaim(replaces);
        ClaimStatus st = o.status;
        if (st == ClaimStatus.Pended || st == ClaimStatus.Appealed || st == ClaimStatus.Replaced) {
            revert InvalidClaimStatus(replaces, st);
        }
        _verifyRecord(replaces, o.recordHash, original);
        if (o.planId != s.planId || original.member != s.member || original.providerOrg != s.providerOrg) revert CorrectionMismatch(replaces);
        uint96 credit = o.planPaid;
        ClaimsAdmin.reverseAccumulators(_book, s.planId, original, credit);
        o.status = ClaimStatus.Replaced;
        return _submit(s, replaces, credit);
    }

    /// @inheritdoc IClaimsEngine
    function decide(bytes32 claimId, ClaimRecord calldata record, LineDecision[] calldata decisions) external nonReentrant whenNotPaused {
        Claim storage c = _requireClaim(claimId);
        if (c.status != ClaimStatus.Pended) revert InvalidClaimStatus(claimId, c.status);
        if (_asPreviewed(record.allowed, decisions)) _approvePended(claimId, c, record);
        else _adjusterStep(claimId, c, record, decisions, Mode.Decide);
    }

    /// @inheritdoc IClaimsEngine
    function appeal(bytes32 claimId, ClaimRecord calldata record) external {
        ClaimsAdmin.appeal(_book, _claims, REGISTRY, claimId, record);
    }

    /// @inheritdoc IClaimsEngine
    function resolveAppeal(bytes32 claimId, ClaimRecord calldata record, LineDecision[] calldata decisions)
        external
        nonReentrant
        whenNotPaused
    {
        Claim storage c = _requireClaim(claimId);
        if (c.status != ClaimStatus.Appealed) revert InvalidClaimStatus(claimId, c.status);
        if (record.adjuster == msg.sender) revert SameAdjuster(msg.sender);
        _adjusterStep(claimId, c, record, decisions, Mode.Appeal);
    }

    // ---------------------------------------------------------------- views

    /// @notice The participant registry this engine asks about organizations and members.
    function registry() external view returns (IParticipantRegistry) {
        return REGISTRY;
    }

    /// @notice The record registry this engine asks about evidence commitments.
    function recordEvidence() external view returns (IRecordEvidence) {
        return RECORD_EVIDENCE;
    }

    /// @inheritdoc IClaimsEngine
    function isTokenAllowed(address token) external view returns (bool) {
        return _book.allowedTokens[token];
    }

    /// @inheritdoc IClaimsEngine
    function plan(uint64 planId) external view returns (PlanTerms memory) {
        return _requirePlan(planId);
    }

    /// @inheritdoc IClaimsEngine
    function planCount() external view returns (uint64) {
        return _book.planCount;
    }

    /// @inheritdoc IClaimsEngine
    function benefit(uint64 planId, bytes32 code) external view returns (Benefit memory) {
        ClaimsAdmin.BenefitSlot memory b = _book.benefits[planId][code];
        return Benefit(b.fee, b.copay, b.coinsuranceBps, b.priorAuth, b.review, _book.caps[planId][code]);
    }

    /// @inheritdoc IClaimsEngine
    function funds(uint64 planId) external view returns (Funds memory) {
        return _book.funds[planId];
    }

    /// @inheritdoc IClaimsEngine
    function enrollment(uint64 planId, address member) external view returns (Enrollment memory) {
        return _book.enrollments[planId][member];
    }

    /// @inheritdoc IClaimsEngine
    function accumulators(uint64 planId, address member, uint256 year) external view returns (Accumulators memory) {
        return _book.accumulators[planId][member][year];
    }

    /// @inheritdoc IClaimsEngine
    function authorization(uint64 authId) external view returns (Authorization memory a) {
        a = _book.authorizations[authId];
        if (a.member == address(0)) revert UnknownAuthorization(authId);
    }

    /// @inheritdoc IClaimsEngine
    function claim(bytes32 claimId) external view returns (Claim memory) {
        return _requireClaim(claimId);
    }

    /// @inheritdoc IClaimsEngine
    function payeeOf(uint64 orgId) external view returns (address) {
        return _book.payees[orgId];
    }

    /// @inheritdoc IClaimsEngine
    function parked(uint64 planId, uint64 providerOrg) external view returns (uint256) {
        return _book.parked[planId][providerOrg];
    }

    /// @inheritdoc IClaimsEngine
    function owedBack(uint64 planId, uint64 providerOrg) external view returns (uint256) {
        return _owedBack[planId][providerOrg];
    }

    // ---------------------------------------------------------------- internals

    function _submit(Submission calldata s, bytes32 replaces, uint96 credit) private returns (bytes32 claimId, ClaimStatus status, uint96 planTotal) {
        PlanTerms memory p = _requirePlan(s.planId);
        claimId = _checkSubmission(s, p.insurerOrgId);
        emit ClaimSubmitted(claimId, s.planId, s.member, msg.sender, s);
        if (replaces != bytes32(0)) emit ClaimCorrected(claimId, replaces, credit);
        Ctx memory c = _context(p, s.planId, s.member, s.serviceDate, Mode.Rules);
        if (c.denyReason == 0) _loadAuthorization(c, s.authId, s.member);
        (LineOutcome[] memory out, uint96[] memory allowed) = _adjudicateLines(c, s.lines, new LineDecision[](0), new uint96[](0));
        planTotal = c.planTotal.toUint96();
        if (c.review || planTotal > p.autoApprovalLimit) {
            _commit(c, s.member, s.authId);
            _pend(claimId, s, _newRecord(s, credit, allowed), c, out);
            return (claimId, ClaimStatus.Pended, planTotal);
        }
        status = _approve(claimId, s, _newRecord(s, credit, allowed), c, out);
        _settle(s.planId, claimId, s.providerOrg, p.token, planTotal, credit, 0);
    }

    /// @dev Records a claim the rules decided (accumulators, authorization, claim, event).
    function _approve(bytes32 claimId, Submission calldata s, ClaimRecord memory rec, Ctx memory c, LineOutcome[] memory out)
        private
        returns (ClaimStatus status)
    {
        status = _status(c);
        _commit(c, s.member, s.authId);
        rec.deductible = c.deductibleTotal.toUint96();
        rec.memberShare = c.memberTotal.toUint96();
        uint96 planTotal = uint96(c.planTotal);
        _claims[claimId] = Claim(status, s.planId, uint40(block.timestamp), planTotal, status, keccak256(abi.encode(rec)));
        emit ClaimAdjudicated(claimId, status, address(0), planTotal, rec.memberShare, out);
    }

    /// @dev Pends a claim: its cost sharing and authorization are applied now (as the rules
    /// decided them), its exposure is reserved, and an adjuster decides it later.
    function _pend(bytes32 claimId, Submission calldata s, ClaimRecord memory rec, Ctx memory c, LineOutcome[] memory preview) private {
        rec.deductible = c.deductibleTotal.toUint96();
        rec.memberShare = c.memberTotal.toUint96();
        uint96 exposure = uint96(c.planTotal);
        _claims[claimId] = Claim(ClaimStatus.Pended, s.planId, 0, exposure, _status(c), keccak256(abi.encode(rec)));
        _book.funds[s.planId].reserved += exposure;
        emit ClaimPended(claimId, exposure, preview);
    }

    /// @dev Whether every decision allows exactly what the rules' preview allowed.
    function _asPreviewed(uint96[] calldata previewed, LineDecision[] calldata decisions) private pure returns (bool) {
        uint256 n = decisions.length;
        if (n != previewed.length) return false;
        for (uint256 i; i < n; ++i) {
            if (decisions[i].allowed != previewed[i]) return false;
        }
        return true;
    }

    /// @dev An adjuster approves a pended claim as the rules previewed it: nothing to re-adjudicate.
    function _approvePended(bytes32 claimId, Claim storage cl, ClaimRecord calldata r) private {
        PlanTerms storage p = _book.plans[cl.planId];
        _requireStaff(p.insurerOrgId);
        ClaimRecord memory rec = _verifyRecord(claimId, cl.recordHash, r);
        rec.adjuster = msg.sender;
        ClaimStatus status = cl.rulesStatus;
        uint96 planTotal = cl.planPaid;
        cl.status = status;
        cl.decidedAt = uint40(block.timestamp);
        cl.recordHash = keccak256(abi.encode(rec));
        emit ClaimAdjudicated(claimId, status, msg.sender, planTotal, rec.memberShare, new LineOutcome[](0));
        _settle(cl.planId, claimId, rec.providerOrg, p.token, planTotal, rec.credit, planTotal);
    }

    function _newRecord(Submission calldata s, uint96 credit, uint96[] memory allowed) private pure returns (ClaimRecord memory) {
        return ClaimRecord(s.member, s.providerOrg, s.serviceDate, address(0), s.authId, credit, 0, 0, s.lines, allowed);
    }

    /// @dev Who may submit, the evidence, the lines, the date, the payee, and duplicates.
    function _checkSubmission(Submission calldata s, uint64 insurerOrg) private view returns (bytes32 claimId) {
        _requireSubmitter(s.providerOrg, insurerOrg, s.planId);
        (uint64 anchoredBy, bool retracted) = RECORD_EVIDENCE.commitmentStatus(s.evidence);
        if (anchoredBy != s.providerOrg || anchoredBy == 0) revert EvidenceNotAnchored(s.evidence, anchoredBy);
        if (retracted) revert EvidenceRetracted(s.evidence);
        uint256 n = s.lines.length;
        if (n == 0 || n > MAX_LINES) revert InvalidBatch(n, MAX_LINES);
        if (s.serviceDate > block.timestamp) revert ServiceDateInFuture(s.serviceDate);
        if (_book.payees[s.providerOrg] == address(0)) revert PayeeNotSet(s.providerOrg);
        claimId = _claimId(s.planId, s.member, s.providerOrg, s.serviceDate, s.lines);
        if (_claims[claimId].status != ClaimStatus.None) revert DuplicateClaim(claimId);
    }

    /// @dev decide (Mode.Decide) and resolveAppeal (Mode.Appeal): checks, re-adjudicates with the
    /// adjuster's amounts, writes the claim, pays the difference.
    function _adjusterStep(bytes32 claimId, Claim storage cl, ClaimRecord calldata r, LineDecision[] calldata decisions, Mode mode)
        private
    {
        uint64 planId = cl.planId;
        PlanTerms memory p = _book.plans[planId];
        _requireStaff(p.insurerOrgId);
        ClaimRecord memory rec = _verifyRecord(claimId, cl.recordHash, r);
        if (decisions.length != r.lines.length) revert InvalidBatch(decisions.length, r.lines.length);
        Ctx memory c = _context(p, planId, r.member, r.serviceDate, mode);
        if (mode == Mode.Decide) {
            // Reverse what pending applied, then adjudicate the adjuster's amounts instead.
            c.acc.deductibleMet -= rec.deductible;
            c.acc.outOfPocketMet -= rec.memberShare;
            c.acc.benefitPaid -= cl.planPaid;
            rec.deductible = 0;
            rec.memberShare = 0;
        }
        (LineOutcome[] memory out, uint96[] memory allowed) = _adjudicateLines(c, r.lines, decisions, rec.allowed);
        _commit(c, r.member, r.authId);
        rec.allowed = allowed;
        _recordDecision(claimId, cl, rec, c, out, p.token);
    }

    /// @dev Writes an adjuster's decision on the claim and pays: on a pended claim, its total
    /// (releasing the pended exposure); on appeal, the increment, exactly once.
    function _recordDecision(
        bytes32 claimId,
        Claim storage cl,
        ClaimRecord memory rec,
        Ctx memory c,
        LineOutcome[] memory out,
        address token
    ) private {
        uint96 previous = cl.planPaid;
        bool decideMode = c.mode == Mode.Decide;
        ClaimStatus status;
        if (decideMode) status = _status(c);
        else status = c.allowedTotal == 0 ? ClaimStatus.Upheld : ClaimStatus.Overturned;
        uint96 planTotal = decideMode ? c.planTotal.toUint96() : (previous + c.planTotal).toUint96();
        rec.adjuster = msg.sender;
        rec.deductible = (rec.deductible + c.deductibleTotal).toUint96();
        rec.memberShare = (rec.memberShare + c.memberTotal).toUint96();
        cl.status = status;
        cl.decidedAt = uint40(block.timestamp);
        cl.planPaid = planTotal;
        cl.recordHash = keccak256(abi.encode(rec));
        emit ClaimAdjudicated(claimId, status, msg.sender, planTotal, rec.memberShare, out);
        if (decideMode) _settle(c.planId, claimId, rec.providerOrg, token, planTotal, rec.credit, previous);
        else _settle(c.planId, claimId, rec.providerOrg, token, uint96(c.planTotal), 0, 0);
    }

    /// @dev Eligibility and the member's accumulators for the service date's plan year.
    function _context(PlanTerms memory p, uint64 planId, address member, uint40 serviceDate, Mode mode) private view returns (Ctx memory c) {
        c.planId = planId;
        c.serviceDate = serviceDate;
        c.mode = mode;
        c.terms = Adjudication.Terms(p.deductible, p.outOfPocketMax, p.annualCap);
        if (mode == Mode.Rules) {
            Enrollment memory e = _book.enrollments[planId][member];
            if (serviceDate < p.start || !Adjudication.isCovered(e.start, e.end, serviceDate)) {
                c.denyReason = Adjudication.CARC_NOT_COVERED_ON_DATE;
            } else if (!Adjudication.isTimely(serviceDate, p.filingWindow, block.timestamp)) {
                c.denyReason = Adjudication.CARC_TIMELY_FILING;
            }
            if (c.denyReason != 0) return c;
        } else if (serviceDate < p.start) {
            // An adjuster may pay a claim the rules denied for coverage; its year is the plan's first.
            serviceDate = p.start;
        }
        c.year = Adjudication.planYear(p.start, serviceDate);
        Accumulators memory a = _book.accumulators[planId][member][c.year];
        c.acc = Adjudication.Totals(a.deductibleMet, a.outOfPocketMet, a.benefitPaid);
    }

    /// @dev Loads the claim's prior authorization when it is for this plan and member and the
    /// service date lies in its window; otherwise lines that need one are denied (CARC 197).
    function _loadAuthorization(Ctx memory c, uint64 authId, address member) private view {
        if (authId == 0) return;
        Authorization storage a = _book.authorizations[authId];
        if (a.member != member || a.planId != c.planId) return;
        if (c.serviceDate < a.validFrom || c.serviceDate > a.validUntil) return;
        c.authValid = true;
        c.authCode = a.code;
        c.authRemaining = a.remaining;
    }

    function _adjudicateLines(Ctx memory c, Line[] calldata lines, LineDecision[] memory decisions, uint96[] memory prior)
        private
        view
        returns (LineOutcome[] memory out, uint96[] memory allowed)
    {
        uint256 n = lines.length;
        out = new LineOutcome[](n);
        allowed = new uint96[](n);
        for (uint256 i; i < n; ++i) {
            if (c.denyReason != 0) {
                out[i].reason = c.denyReason;
                c.anyReason = true;
                continue;
            }
            Adjudication.Share memory sh = _adjudicateLine(c, lines[i], i, decisions, prior);
            out[i] = LineOutcome({
                allowed: uint96(sh.allowed),
                deductible: uint96(sh.deductible),
                copay: uint96(sh.copay),
                coinsurance: uint96(sh.coinsurance),
                plan: uint96(sh.plan),
                reason: sh.reason
            });
            allowed[i] = c.mode == Mode.Appeal ? prior[i] + uint96(sh.allowed) : uint96(sh.allowed);
            if (sh.reason != 0) c.anyReason = true;
            c.planTotal += sh.plan;
            c.memberTotal += sh.deductible + sh.copay + sh.coinsurance;
            c.deductibleTotal += sh.deductible;
            c.allowedTotal += sh.allowed;
        }
    }

    function _adjudicateLine(Ctx memory c, Line calldata line, uint256 i, LineDecision[] memory decisions, uint96[] memory prior)
        private
        view
        returns (Adjudication.Share memory sh)
    {
        ClaimsAdmin.BenefitSlot memory b = _book.benefits[c.planId][line.code];
        (uint256 a, uint16 reason, uint256 copay) = _lineAllowed(c, line, b, i, decisions, prior);
        sh = Adjudication.shareCost(a, copay, b.coinsuranceBps, c.terms, c.acc);
        if (sh.reason == 0) sh.reason = reason;
    }

    /// @dev A line's allowed amount before cost sharing, its reduction reason, and its copay.
    function _lineAllowed(Ctx memory c, Line calldata line, ClaimsAdmin.BenefitSlot memory b, uint256 i, LineDecision[] memory decisions, uint96[] memory prior)
        private
        view
        returns (uint256 a, uint16 reason, uint256 copay)
    {
        uint256 cap = b.hasCap ? _book.caps[c.planId][line.code] : 0;
        (a, reason) = Adjudication.ceiling(line.charged, line.units, b.fee, cap);
        copay = b.copay;
        if (c.mode == Mode.Rules) {
            if (b.review) c.review = true;
            if (b.priorAuth && a != 0) (a, reason) = _applyAuthorization(c, a, reason, c.authValid && c.authCode == line.code);
        } else {
            // The adjuster's ceiling: the fee schedule (or the charge, for a code without a fee).
            if (b.fee == 0) a = cap != 0 && cap < line.charged ? cap : line.charged;
            uint256 floor = c.mode == Mode.Appeal ? prior[i] : 0;
            (a, reason) = _applyDecision(decisions[i], a, floor, i);
            if (floor != 0) copay = 0; // the copay was charged when the line was first allowed
        }
    }

    function _applyAuthorization(Ctx memory c, uint256 a, uint16 reason, bool authApplies) private pure returns (uint256, uint16) {
        (uint256 granted, uint256 consumed, uint16 r) = Adjudication.authorize(a, authApplies, authApplies ? c.authRemaining : 0);
        c.authRemaining -= consumed;
        return (granted, r != 0 ? r : reason);
    }

    /// @dev Checks an adjuster's amount against the ceiling (and, on appeal, the earlier amount)
    /// and returns the increment to cost-share with its reason.
    function _applyDecision(LineDecision memory d, uint256 ceilingAmount, uint256 floor, uint256 i) private pure returns (uint256, uint16) {
        if (d.allowed > ceilingAmount || d.allowed < floor || (d.allowed < ceilingAmount && d.reason == 0)) revert InvalidDecision(i);
        return (d.allowed - floor, d.allowed < ceilingAmount ? d.reason : 0);
    }

    /// @dev Writes the member's accumulators and the authorization's remaining amount.
    function _commit(Ctx memory c, address member, uint64 authId) private {
        if (c.denyReason != 0) return;
        // A decision on a pended claim always writes: it reversed what pending had applied.
        if (c.memberTotal != 0 || c.planTotal != 0 || c.mode == Mode.Decide) {
            _book.accumulators[c.planId][member][c.year] = Accumulators({
                deductibleMet: c.acc.deductibleMet.toUint80(),
                outOfPocketMet: c.acc.outOfPocketMet.toUint80(),
                benefitPaid: c.acc.benefitPaid.toUint80()
            });
        }
        if (c.authValid) {
            Authorization storage a = _book.authorizations[authId];
            if (a.remaining != c.authRemaining) a.remaining = uint96(c.authRemaining);
        }
    }

    function _status(Ctx memory c) private pure returns (ClaimStatus) {
        if (!c.anyReason) return ClaimStatus.Approved;
        return c.allowedTotal == 0 ? ClaimStatus.Denied : ClaimStatus.Partial;
    }

    /// @dev Pays `total - credit` for a claim (or records an overpayment when negative), after
    /// releasing `release` of pended exposure. Pays now when no older payment waits and the
    /// unreserved escrow covers it in full; otherwise queues it in full. A payment made now uses
    /// `safeTransfer`: a payee the token refuses reverts the whole step (nothing is recorded).
    function _settle(uint64 planId, bytes32 claimId, uint64 providerOrg, address token, uint96 total, uint96 credit, uint256 release) private {
        Funds memory f = _book.funds[planId];
        f.reserved -= uint96(release);
        if (total < credit) {
            uint96 over = credit - total;
            _owedBack[planId][providerOrg] += over;
            emit OverpaymentRecorded(claimId, planId, providerOrg, over);
        }
        uint96 amount = total > credit ? total - credit : 0;
        if (amount == 0) {
            if (release != 0) _book.funds[planId] = f;
            return;
        }
        // Only unreserved escrow pays at once (`reserved` may exceed `balance`: no subtraction).
        // solhint-disable-next-line gas-strict-inequalities
        if (f.queueHead == f.queueTail && f.balance >= uint256(f.reserved) + amount) {
            f.balance -= amount;
            _book.funds[planId] = f;
            address payee = _book.payees[providerOrg];
            emit ClaimPaid(claimId, planId, payee, amount);
            IERC20(token).safeTransfer(payee, amount);
        } else {
            uint32 position = f.queueTail;
            ++f.queueTail;
            f.reserved += amount;
            _book.funds[planId] = f;
            _book.queue[planId][position] = QueuedPayment(claimId, providerOrg, amount);
            emit PaymentQueued(claimId, planId, position, amount);
        }
    }

    function _requireSubmitter(uint64 providerOrg, uint64 insurerOrg, uint64 planId) private view {
        (bool active, uint64 orgId, IParticipantRegistry.OrgKind kind) = REGISTRY.isActiveMember(msg.sender);
        bool ok = active && ((orgId == providerOrg && kind == IParticipantRegistry.OrgKind.Provider) || orgId == insurerOrg);
        if (!ok) revert NotAuthorizedSubmitter(msg.sender, providerOrg, planId);
    }

    function _requireStaff(uint64 insurerOrg) private view {
        (bool active, uint64 orgId, ) = REGISTRY.isActiveMember(msg.sender);
        if (!active || orgId != insurerOrg) revert NotInsurerStaff(msg.sender, insurerOrg);
    }

    function _requirePlan(uint64 planId) private view returns (PlanTerms storage p) {
        p = _book.plans[planId];
        if (p.token == address(0)) revert UnknownPlan(planId);
    }

    function _requireClaim(bytes32 claimId) private view returns (Claim storage c) {
        c = _claims[claimId];
        if (c.status == ClaimStatus.None) revert UnknownClaim(claimId);
    }

    function _verifyRecord(bytes32 claimId, bytes32 expected, ClaimRecord calldata r) private pure returns (ClaimRecord memory rec) {
        // Records are only ever hashed with one allowed amount per line, so a matching hash also
        // proves the two arrays have the same length.
        rec = _copyRecord(r, r.allowed);
        if (keccak256(abi.encode(rec)) != expected) revert RecordMismatch(claimId);
    }

    /// @dev A memory copy of `r` with `allowed` (one ABI encoder for every record hash).
    function _copyRecord(ClaimRecord calldata r, uint96[] memory allowed) private pure returns (ClaimRecord memory) {
        return ClaimRecord(r.member, r.providerOrg, r.serviceDate, r.adjuster, r.authId, r.credit, r.deductible, r.memberShare, r.lines, allowed);
    }

    function _claimId(uint64 planId, address member, uint64 providerOrg, uint40 serviceDate, Line[] calldata lines)
        private
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(planId, member, providerOrg, serviceDate, keccak256(abi.encode(lines))));
    }
}
