// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IClaimsEngine} from "./IClaimsEngine.sol";
import {IParticipantRegistry} from "../participants/IParticipantRegistry.sol";
import {IRecordEvidence} from "../records/IRecordEvidence.sol";
import {Adjudication} from "./Adjudication.sol";
import {ClaimsEscrow} from "./ClaimsEscrow.sol";
import {ClaimsPlans} from "./ClaimsPlans.sol";

/// @title ClaimsCore
/// @notice The claims engine's adjudication, settlement and retirement of claims, written once as
/// internal functions over the engine's {ClaimsPlans.PlanBook}: used by the engine (submissions,
/// corrections, resubmissions) and by the {ClaimsLifecycle} library (decisions, appeal
/// resolutions, voids), which runs in the engine's context.
/// @dev Settlement writes all state before any token transfer; its callers hold the engine's
/// reentrancy guard.
library ClaimsCore {
    using SafeCast for uint256;

    /// @dev Rules: the plan's rules decide. Decide: an adjuster's amounts. Appeal: an adjuster's
    /// amounts, which may only grow; cost sharing applies to the increment.
    enum Mode {
        Rules,
        Decide,
        Appeal
    }

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
        uint256 authUsed;
        uint256 planTotal;
        uint256 memberTotal;
        uint256 deductibleTotal;
        uint256 allowedTotal;
        uint256 year;
        Adjudication.Terms terms;
        Adjudication.Totals acc;
        IClaimsEngine.LineDecision[] decisions; // an adjuster's, one per line (Decide, Appeal)
        uint96[] prior; // each line's allowed amount before the appeal (Appeal)
        uint96[] allowed; // each line's allowed amount, as adjudicated so far
        // What the mode makes of a line's ceiling (the rules' authorization, or an adjuster's
        // decision): a pointer, so that the engine's code holds the rules' only.
        function(Ctx memory, IClaimsEngine.Line calldata, uint256, ClaimsPlans.BenefitSlot memory, uint256, uint16) pure returns (uint256, uint16, uint256) decideLine;
        uint256 capLeft; // what is left of the current line's per-claim cap
    }

    /// @dev How a submission relates to earlier ones and to its evidence: the claim it corrects
    /// (0 for a first submission), that claim's service key, what the plan had committed for the
    /// service over that claim's chain, whether an adjuster decided or was to decide that claim (its
    /// correction then goes to an adjuster too); and the batch (0 for none) and inclusion proof of
    /// its evidence.
    struct Link {
        bytes32 replaces;
        bytes32 replacedKey;
        uint96 credit;
        bool reviewed;
        bytes32 root;
        bytes32[] proof;
    }

    /// @notice The most lines one claim may have.
    uint256 internal constant MAX_LINES = 20;

    /// @notice Checks, adjudicates and records a submission, then pays (or pends) it (see {Link}).
    function submit(
        ClaimsPlans.PlanBook storage book,
        IParticipantRegistry registry,
        IRecordEvidence evidence,
        IClaimsEngine.Submission calldata s,
        Link memory link
    ) internal returns (bytes32 claimId, IClaimsEngine.ClaimStatus status, uint96 planTotal) {
        IClaimsEngine.PlanTerms memory p = ClaimsPlans.requirePlan(book, s.planId);
        bytes32 replaces = link.replaces;
        uint96 credit = link.credit;
        // A correction's sender was checked as a member of the billing organization when the
        // claim it replaces was retired.
        if (replaces == bytes32(0)) _requireSubmitter(registry, s, p.insurerOrgId);
        _checkEvidence(book, evidence, s, link);
        _checkSubmission(book, s);
        claimId = _claimId(book, s, replaces, link.replacedKey);
        emit IClaimsEngine.ClaimSubmitted(claimId, s.planId, s.member, msg.sender, s);
        if (replaces != bytes32(0)) emit IClaimsEngine.ClaimCorrected(claimId, replaces, credit);
        Ctx memory c = context(book, p, s.planId, s.member, s.serviceDate, Mode.Rules);
        c.decideLine = _byRules;
        if (c.denyReason == 0) _loadAuthorization(book, c, s.authId, s.member);
        (IClaimsEngine.LineOutcome[] memory out, uint96[] memory allowed) = adjudicateLines(book, c, s.lines, new IClaimsEngine.LineDecision[](0), new uint96[](0));
        planTotal = c.planTotal.toUint96();
        if (c.authUsed != 0) {
            book.authorizations[s.authId].remaining = uint96(c.authRemaining);
            emit IClaimsEngine.AuthorizationUsed(s.authId, claimId, uint96(c.authUsed));
        }
        IClaimsEngine.ClaimRecord memory rec = _newRecord(s, uint96(c.authUsed), credit, planTotal, allowed);
        // A correction or resubmission of a claim an adjuster decided (or was to decide) pends: the
        // rules alone never undo an adjuster's decision.
        if (c.review || link.reviewed || planTotal > p.autoApprovalLimit) {
            _pend(book, claimId, planTotal, rec, out);
            return (claimId, IClaimsEngine.ClaimStatus.Pended, planTotal);
        }
        status = statusOf(c);
        commitAccumulators(book, c, s.member);
        rec.decidedAt = uint40(block.timestamp);
        rec.deductible = c.deductibleTotal.toUint96();
        rec.memberShare = c.memberTotal.toUint96();
        book.claims[claimId] = IClaimsEngine.Claim(status, hashOf(rec));
        emit IClaimsEngine.ClaimAdjudicated(claimId, status, address(0), planTotal, rec.memberShare, out);
        ClaimsEscrow.settle(book, s.planId, claimId, s.providerOrg, p.token, planTotal, credit, 0);
    }

    /// @notice See {IClaimsEngine-submitCorrection}: retires `replaces`, then submits the corrected
    /// claim ({ClaimsCore-submit}) with what the plan had committed for the service over the chain,
    /// the replaced claim's service key, and whether an adjuster decided it or was to decide it (the
    /// correction then pends for an adjuster too): its {ClaimsCore-Link}. The engine applies
    /// `nonReentrant` and `whenNotPaused`.
    function correct(
        ClaimsPlans.PlanBook storage book,
        IParticipantRegistry registry,
        IRecordEvidence evidence,
        IClaimsEngine.Submission calldata s,
        bytes32 replaces,
        IClaimsEngine.ClaimRecord calldata original
    ) internal returns (bytes32, IClaimsEngine.ClaimStatus, uint96) {
        Link memory link;
        link.replaces = replaces;
        link.reviewed = original.adjuster != address(0) || book.claims[replaces].status == IClaimsEngine.ClaimStatus.Pended;
        link.credit = retire(book, registry, replaces, original, IClaimsEngine.ClaimStatus.Replaced);
        if (original.planId != s.planId || original.member != s.member || original.providerOrg != s.providerOrg) {
            revert IClaimsEngine.CorrectionMismatch(replaces);
        }
        link.replacedKey = serviceKey(s.planId, s.member, s.providerOrg, original.serviceDate, original.lines);
        return submit(book, registry, evidence, s, link);
    }

    /// @notice Retires a claim its provider corrects or voids: its accumulators are reversed (a
    /// pended claim applied none; its exposure is released), its authorization given back, its
    /// citation of its evidence released, its status set. Returns what the plan had committed for
    /// the service over the claim's chain (for a pended claim, the credit it carried from the claim
    /// it replaced).
    function retire(
        ClaimsPlans.PlanBook storage book,
        IParticipantRegistry registry,
        bytes32 claimId,
        IClaimsEngine.ClaimRecord calldata r,
        IClaimsEngine.ClaimStatus retiredAs
    ) internal returns (uint96 committed) {
        IClaimsEngine.Claim storage o = requireClaim(book, claimId);
        IClaimsEngine.ClaimStatus st = o.status;
        if (st == IClaimsEngine.ClaimStatus.Appealed || st == IClaimsEngine.ClaimStatus.Replaced || st == IClaimsEngine.ClaimStatus.Voided) {
            revert IClaimsEngine.InvalidClaimStatus(claimId, st);
        }
        // The ABI encoding of a calldata record equals that of its memory copy (ClaimsCore.hashOf).
        if (bytes31(keccak256(abi.encode(r))) != o.recordHash) revert IClaimsEngine.RecordMismatch(claimId);
        (bool active, uint64 orgId, ) = registry.isActiveMember(msg.sender);
        if (!active || orgId != r.providerOrg) revert IClaimsEngine.NotClaimProvider(msg.sender, claimId);
        if (st == IClaimsEngine.ClaimStatus.Pended) {
            ClaimsEscrow.unreserve(book, r.planId, r.planPaid);
            committed = r.credit;
        } else {
            committed = r.planPaid;
            reverseAccumulators(book, r.planId, r, committed);
        }
        if (r.authUsed != 0) returnAuthorization(book, r.authId, claimId, r.authUsed);
        // Once no live claim cites the evidence, it may back another member's claims (e.g. after a
        // claim billed to the wrong member is voided); the same member's correction cites it again.
        --book.evidence[evidenceKey(r.providerOrg, r.evidence)].live;
        o.status = retiredAs;
    }

    /// @notice Eligibility and the member's accumulators for the service date's plan year.
    function context(
        ClaimsPlans.PlanBook storage book,
        IClaimsEngine.PlanTerms memory p,
        uint64 planId,
        address member,
        uint40 serviceDate,
        Mode mode
    ) internal view returns (Ctx memory c) {
        c.planId = planId;
        c.serviceDate = serviceDate;
        c.mode = mode;
        c.terms = Adjudication.Terms(p.deductible, p.outOfPocketMax, p.annualCap);
        if (mode == Mode.Rules) {
            IClaimsEngine.Enrollment memory e = book.enrollments[planId][member];
            if (serviceDate < Adjudication.dayOf(p.start) || !Adjudication.isCovered(e.start, e.end, serviceDate)) {
                c.denyReason = Adjudication.CARC_NOT_COVERED_ON_DATE;
            } else if (!Adjudication.isTimely(serviceDate, p.filingWindow, block.timestamp)) {
                c.denyReason = Adjudication.CARC_TIMELY_FILING;
            }
            if (c.denyReason != 0) return c;
        }
        // An adjuster may pay a claim the rules denied for coverage; before the plan's start, its
        // year is the plan's first.
        c.year = planYear(p, serviceDate);
        IClaimsEngine.Accumulators memory a = book.accumulators[planId][member][c.year];
        c.acc = Adjudication.Totals(a.deductibleMet, a.outOfPocketMet, a.benefitPaid);
    }

    /// @notice The plan year of `date` (0 for a date before the plan's start).
    function planYear(IClaimsEngine.PlanTerms memory p, uint256 date) internal pure returns (uint256) {
        if (date < p.start) return 0;
        return Adjudication.planYear(p.start, p.yearStartMonth, p.yearStartDay, date);
    }

    /// @notice Adjudicates every line of a claim (see {IClaimsEngine-LineOutcome}) and sums the
    /// totals into `c`. `prior` (appeals) holds each line's allowed amount before the appeal.
    function adjudicateLines(
        ClaimsPlans.PlanBook storage book,
        Ctx memory c,
        IClaimsEngine.Line[] calldata lines,
        IClaimsEngine.LineDecision[] memory decisions,
        uint96[] memory prior
    ) internal view returns (IClaimsEngine.LineOutcome[] memory out, uint96[] memory allowed) {
        uint256 n = lines.length;
        out = new IClaimsEngine.LineOutcome[](n);
        allowed = new uint96[](n);
        c.decisions = decisions;
        c.prior = prior;
        c.allowed = allowed;
        for (uint256 i; i < n; ++i) {
            if (c.denyReason != 0) {
                out[i].reason = c.denyReason;
                c.anyReason = true;
                continue;
            }
            Adjudication.Share memory sh = _adjudicateLine(book, c, lines, i);
            out[i] = IClaimsEngine.LineOutcome({
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

    /// @notice decide (Mode.Decide, on a pended claim) and resolveAppeal (Mode.Appeal, by another
    /// adjuster): checks, adjudicates the adjuster's amounts, writes the claim, pays.
    function adjusterStep(
        ClaimsPlans.PlanBook storage book,
        IParticipantRegistry registry,
        bytes32 claimId,
        IClaimsEngine.ClaimRecord calldata r,
        IClaimsEngine.LineDecision[] calldata decisions,
        Mode mode
    ) internal {
        IClaimsEngine.Claim memory cl = requireClaim(book, claimId);
        IClaimsEngine.ClaimStatus expected = mode == Mode.Decide ? IClaimsEngine.ClaimStatus.Pended : IClaimsEngine.ClaimStatus.Appealed;
        if (cl.status != expected) revert IClaimsEngine.InvalidClaimStatus(claimId, cl.status);
        if (mode == Mode.Appeal && r.adjuster == msg.sender) revert IClaimsEngine.SameAdjuster(msg.sender);
        IClaimsEngine.ClaimRecord memory rec = verifyRecord(claimId, cl.recordHash, r);
        uint64 planId = r.planId;
        IClaimsEngine.PlanTerms memory p = book.plans[planId];
        ClaimsPlans.requireStaff(registry, p.insurerOrgId);
        if (decisions.length != r.lines.length) revert IClaimsEngine.InvalidBatch(decisions.length, r.lines.length);
        Ctx memory c = context(book, p, planId, r.member, r.serviceDate, mode);
        c.decideLine = _byAdjuster;
        (IClaimsEngine.LineOutcome[] memory out, uint96[] memory allowed) = adjudicateLines(book, c, r.lines, decisions, rec.allowed);
        commitAccumulators(book, c, r.member);
        rec.allowed = allowed;
        if (mode == Mode.Decide && rec.authUsed != 0) _keepAuthorization(book, claimId, rec, r.lines);
        _recordDecision(book, claimId, rec, c, out, p.token);
    }

    /// @notice Writes the member's accumulators for the claim's plan year.
    function commitAccumulators(ClaimsPlans.PlanBook storage book, Ctx memory c, address member) internal {
        if (c.denyReason != 0 || (c.memberTotal == 0 && c.planTotal == 0)) return;
        book.accumulators[c.planId][member][c.year] = IClaimsEngine.Accumulators({
            deductibleMet: c.acc.deductibleMet.toUint80(),
            outOfPocketMet: c.acc.outOfPocketMet.toUint80(),
            benefitPaid: c.acc.benefitPaid.toUint80()
        });
    }

    /// @notice Reverses what a retired claim applied to its member's plan-year accumulators: its
    /// deductible, its member share, and `planShare` from the benefit paid.
    function reverseAccumulators(ClaimsPlans.PlanBook storage book, uint64 planId, IClaimsEngine.ClaimRecord calldata r, uint96 planShare) internal {
        if (r.deductible == 0 && r.memberShare == 0 && planShare == 0) return;
        IClaimsEngine.Accumulators storage a = book.accumulators[planId][r.member][planYear(book.plans[planId], r.serviceDate)];
        a.deductibleMet -= uint80(r.deductible);
        a.outOfPocketMet -= uint80(r.memberShare);
        a.benefitPaid -= uint80(planShare);
    }

    /// @notice A claim's status from its reasons: Approved without any, Denied when nothing was allowed, else Partial.
    function statusOf(Ctx memory c) internal pure returns (IClaimsEngine.ClaimStatus) {
        if (!c.anyReason) return IClaimsEngine.ClaimStatus.Approved;
        return c.allowedTotal == 0 ? IClaimsEngine.ClaimStatus.Denied : IClaimsEngine.ClaimStatus.Partial;
    }

    /// @notice Gives `amount` of authorization `authId` back from claim `claimId`.
    function returnAuthorization(ClaimsPlans.PlanBook storage book, uint64 authId, bytes32 claimId, uint96 amount) internal {
        book.authorizations[authId].remaining += amount;
        emit IClaimsEngine.AuthorizationReturned(authId, claimId, amount);
    }

    /// @notice The claim, or a revert with {IClaimsEngine-UnknownClaim}.
    function requireClaim(ClaimsPlans.PlanBook storage book, bytes32 claimId) internal view returns (IClaimsEngine.Claim storage c) {
        c = book.claims[claimId];
        if (c.status == IClaimsEngine.ClaimStatus.None) revert IClaimsEngine.UnknownClaim(claimId);
    }

    /// @notice A memory copy of `r`, checked against the claim's record hash.
    function verifyRecord(bytes32 claimId, bytes31 expected, IClaimsEngine.ClaimRecord calldata r)
        internal
        pure
        returns (IClaimsEngine.ClaimRecord memory rec)
    {
        // Records are only ever hashed with one allowed amount per line, so a matching hash also
        // proves the two arrays have the same length.
        rec = r;
        if (hashOf(rec) != expected) revert IClaimsEngine.RecordMismatch(claimId);
    }

    /// @notice A record's `recordHash`: the first 31 bytes of the keccak256 of its ABI encoding
    /// (the claim's status takes the slot's last byte).
    /// @dev The ABI encoding of a calldata record equals that of its memory copy: callers holding
    /// a calldata record hash `abi.encode(r)` the same way.
    function hashOf(IClaimsEngine.ClaimRecord memory rec) internal pure returns (bytes31) {
        return bytes31(keccak256(abi.encode(rec)));
    }

    /// @notice The key of a service: keccak256(abi.encode(planId, member, providerOrg,
    /// serviceDate, the sum modulo 2^256 of keccak256(abi.encode(code, units, charged)) over its
    /// lines)), the same whatever the order of the lines. The sum is a multiset hash: a collision
    /// could only make a provider's own second claim look like its first (the key holds the
    /// provider, member, plan and day), never let a service be paid twice.
    function serviceKey(uint64 planId, address member, uint64 providerOrg, uint40 serviceDate, IClaimsEngine.Line[] calldata lines)
        internal
        pure
        returns (bytes32)
    {
        uint256 n = lines.length;
        uint256 sum;
        for (uint256 i; i < n; ++i) {
            IClaimsEngine.Line calldata line = lines[i];
            unchecked {
                sum += uint256(keccak256(abi.encode(line.code, line.units, line.charged)));
            }
        }
        return keccak256(abi.encode(planId, member, providerOrg, serviceDate, sum));
    }

    /// @dev Who may submit: a member of the billing organization, or of the plan's insurer.
    function _requireSubmitter(IParticipantRegistry registry, IClaimsEngine.Submission calldata s, uint64 insurerOrg) private view {
        (bool active, uint64 orgId, IParticipantRegistry.OrgKind kind) = registry.isActiveMember(msg.sender);
        if (!active || !((orgId == s.providerOrg && ClaimsPlans.isBilling(kind)) || orgId == insurerOrg)) {
            revert IClaimsEngine.NotAuthorizedSubmitter(msg.sender, s.providerOrg, s.planId);
        }
    }

    /// @notice The key of organization `orgId`'s evidence commitment `commitment` in the book.
    function evidenceKey(uint64 orgId, bytes32 commitment) internal pure returns (bytes32) {
        return keccak256(abi.encode(orgId, commitment));
    }

    /// @dev The evidence: anchored by the billing organization (singly, or in a batch of its own
    /// whose proof is given now or was given for an earlier claim of the organization: its binding
    /// exists, and anchors are never removed), not retracted by it, and backing one member's claims
    /// only while any live claim of that organization cites it (another organization's anchor of
    /// the same commitment is its own: bound apart).
    function _checkEvidence(ClaimsPlans.PlanBook storage book, IRecordEvidence evidence, IClaimsEngine.Submission calldata s, Link memory link) private {
        (bool anchored, bool retracted) = evidence.evidenceStatus(s.providerOrg, s.evidence, link.root, link.proof);
        bytes32 key = evidenceKey(s.providerOrg, s.evidence);
        ClaimsPlans.EvidenceUse memory use = book.evidence[key];
        if (!anchored && use.member == address(0)) revert IClaimsEngine.EvidenceNotAnchored(s.evidence, s.providerOrg);
        if (retracted) revert IClaimsEngine.EvidenceRetracted(s.evidence);
        if (use.member != s.member && use.live != 0) revert IClaimsEngine.EvidenceOfAnotherMember(s.evidence, use.member);
        // At most one live claim per submission transaction: 2^32 of them cannot be paid for.
        unchecked {
            book.evidence[key] = ClaimsPlans.EvidenceUse(s.member, use.live + 1);
        }
    }

    /// @dev The lines, the date and the payee.
    function _checkSubmission(ClaimsPlans.PlanBook storage book, IClaimsEngine.Submission calldata s) private view {
        uint256 n = s.lines.length;
        if (n == 0 || n > MAX_LINES) revert IClaimsEngine.InvalidBatch(n, MAX_LINES);
        if (s.serviceDate % 1 days != 0) revert IClaimsEngine.ServiceDateNotDay(s.serviceDate);
        if (s.serviceDate > block.timestamp) revert IClaimsEngine.ServiceDateInFuture(s.serviceDate);
        if (book.payees[s.providerOrg] == address(0)) revert IClaimsEngine.PayeeNotSet(s.providerOrg);
    }

    /// @dev The claim id of a submission, refusing a service already billed.
    function _claimId(ClaimsPlans.PlanBook storage book, IClaimsEngine.Submission calldata s, bytes32 replaces, bytes32 replacedKey)
        private
        view
        returns (bytes32)
    {
        // A service is billed once: its first claim's id is its key. A correction may take a key
        // no claim ever had, or resubmit the very service of the claim it replaces (a denied claim
        // sent again once its cause is fixed), under an id of its own; no other.
        bytes32 key = serviceKey(s.planId, s.member, s.providerOrg, s.serviceDate, s.lines);
        if (book.claims[key].status == IClaimsEngine.ClaimStatus.None) return key;
        if (replaces == bytes32(0) || key != replacedKey) revert IClaimsEngine.DuplicateClaim(key);
        return keccak256(abi.encode(key, replaces));
    }

    /// @dev The record of a submission as the rules adjudicated it, before it is decided.
    function _newRecord(IClaimsEngine.Submission calldata s, uint96 authUsed, uint96 credit, uint96 planTotal, uint96[] memory allowed)
        private
        pure
        returns (IClaimsEngine.ClaimRecord memory rec)
    {
        rec.planId = s.planId;
        rec.member = s.member;
        rec.providerOrg = s.providerOrg;
        rec.serviceDate = s.serviceDate;
        rec.evidence = s.evidence;
        rec.authId = s.authId;
        rec.authUsed = authUsed;
        rec.credit = credit;
        rec.planPaid = planTotal;
        rec.lines = s.lines;
        rec.allowed = allowed;
    }

    /// @dev Pends a claim: nothing reaches the member's accumulators until an adjuster decides; its
    /// plan share (the exposure) is reserved in escrow, and the authorization the rules used is held.
    function _pend(
        ClaimsPlans.PlanBook storage book,
        bytes32 claimId,
        uint96 exposure,
        IClaimsEngine.ClaimRecord memory rec,
        IClaimsEngine.LineOutcome[] memory preview
    ) private {
        book.claims[claimId] = IClaimsEngine.Claim(IClaimsEngine.ClaimStatus.Pended, hashOf(rec));
        ClaimsEscrow.reserve(book, rec.planId, exposure);
        emit IClaimsEngine.ClaimPended(claimId, exposure, preview);
    }

    /// @dev Writes an adjuster's decision on the claim and pays: on a pended claim, its total
    /// (releasing the pended exposure); on appeal, the increment, exactly once.
    function _recordDecision(
        ClaimsPlans.PlanBook storage book,
        bytes32 claimId,
        IClaimsEngine.ClaimRecord memory rec,
        Ctx memory c,
        IClaimsEngine.LineOutcome[] memory out,
        address token
    ) private {
        uint96 previous = rec.planPaid;
        bool decideMode = c.mode == Mode.Decide;
        IClaimsEngine.ClaimStatus status;
        if (decideMode) status = statusOf(c);
        else status = c.allowedTotal == 0 ? IClaimsEngine.ClaimStatus.Upheld : IClaimsEngine.ClaimStatus.Overturned;
        uint96 planTotal = decideMode ? c.planTotal.toUint96() : (previous + c.planTotal).toUint96();
        rec.adjuster = msg.sender;
        rec.decidedAt = uint40(block.timestamp);
        rec.planPaid = planTotal;
        rec.deductible = (rec.deductible + c.deductibleTotal).toUint96();
        rec.memberShare = (rec.memberShare + c.memberTotal).toUint96();
        book.claims[claimId] = IClaimsEngine.Claim(status, hashOf(rec));
        emit IClaimsEngine.ClaimAdjudicated(claimId, status, msg.sender, planTotal, rec.memberShare, out);
        if (decideMode) ClaimsEscrow.settle(book, c.planId, claimId, rec.providerOrg, token, planTotal, rec.credit, previous);
        else ClaimsEscrow.settle(book, c.planId, claimId, rec.providerOrg, token, uint96(c.planTotal), 0, 0);
    }

    /// @dev A pended claim held what the rules used of its authorization; once decided it keeps
    /// what its lines of the authorized code were allowed, at most that, and gives the rest back.
    function _keepAuthorization(
        ClaimsPlans.PlanBook storage book,
        bytes32 claimId,
        IClaimsEngine.ClaimRecord memory rec,
        IClaimsEngine.Line[] calldata lines
    ) private {
        IClaimsEngine.Authorization storage a = book.authorizations[rec.authId];
        bytes32 code = a.code;
        uint256 kept;
        for (uint256 i; i < lines.length; ++i) {
            if (lines[i].code == code) kept += rec.allowed[i];
        }
        // solhint-disable-next-line gas-strict-inequalities
        if (kept >= rec.authUsed) return;
        returnAuthorization(book, rec.authId, claimId, rec.authUsed - uint96(kept));
        rec.authUsed = uint96(kept);
    }

    /// @dev Loads the claim's prior authorization when it is for this plan and member and the
    /// service date lies in its window; otherwise lines that need one are denied (CARC 197).
    function _loadAuthorization(ClaimsPlans.PlanBook storage book, Ctx memory c, uint64 authId, address member) private view {
        if (authId == 0) return;
        IClaimsEngine.Authorization storage a = book.authorizations[authId];
        if (a.member != member || a.planId != c.planId) return;
        if (c.serviceDate < Adjudication.dayOf(a.validFrom) || c.serviceDate > a.validUntil) return;
        c.authValid = true;
        c.authCode = a.code;
        c.authRemaining = a.remaining;
    }

    function _adjudicateLine(ClaimsPlans.PlanBook storage book, Ctx memory c, IClaimsEngine.Line[] calldata lines, uint256 i)
        private
        view
        returns (Adjudication.Share memory sh)
    {
        ClaimsPlans.BenefitSlot memory b = book.benefits[c.planId][lines[i].code];
        (uint256 a, uint16 reason, uint256 copay) = _lineAllowed(book, c, lines, i, b);
        sh = Adjudication.shareCost(a, copay, b.coinsuranceBps, b.costSharing == IClaimsEngine.CostSharing.CopayOnly, c.terms, c.acc);
        if (sh.reason == 0) sh.reason = reason;
    }

    /// @dev A line's allowed amount before cost sharing, its reduction reason, and its copay.
    function _lineAllowed(
        ClaimsPlans.PlanBook storage book,
        Ctx memory c,
        IClaimsEngine.Line[] calldata lines,
        uint256 i,
        ClaimsPlans.BenefitSlot memory b
    ) private view returns (uint256 a, uint16 reason, uint256 copay) {
        IClaimsEngine.Line calldata line = lines[i];
        c.capLeft = b.hasCap ? _capLeft(book.caps[c.planId][line.code], lines, i, c.allowed) : 0;
        (a, reason) = Adjudication.ceiling(line.charged, line.units, b.fee, b.hasCap, c.capLeft);
        return c.decideLine(c, line, i, b, a, reason);
    }

    /// @dev The rules: a code marked for review pends the claim; prior authorization applies.
    function _byRules(
        Ctx memory c,
        IClaimsEngine.Line calldata line,
        uint256,
        ClaimsPlans.BenefitSlot memory b,
        uint256 a,
        uint16 reason
    ) private pure returns (uint256, uint16, uint256) {
        if (b.review) c.review = true;
        if (b.priorAuth && a != 0) (a, reason) = _applyAuthorization(c, a, reason, c.authValid && c.authCode == line.code);
        return (a, reason, b.copay);
    }

    /// @dev An adjuster's decision within the adjuster's ceiling: the fee schedule (or the charge,
    /// for a code without a fee), within what is left of the per-claim cap; on appeal, no less
    /// than before, and without a second copay.
    function _byAdjuster(
        Ctx memory c,
        IClaimsEngine.Line calldata line,
        uint256 i,
        ClaimsPlans.BenefitSlot memory b,
        uint256 a,
        uint16
    ) private pure returns (uint256, uint16, uint256) {
        if (b.fee == 0) a = b.hasCap && c.capLeft < line.charged ? c.capLeft : line.charged;
        uint256 floor = c.mode == Mode.Appeal ? c.prior[i] : 0;
        uint16 reason;
        (a, reason) = _applyDecision(c.decisions[i], a, floor, i);
        // The copay was charged when the line was first allowed.
        return (a, reason, floor != 0 ? 0 : b.copay);
    }

    /// @dev What is left of a code's per-claim cap for line `i`: the cap less what the claim's
    /// earlier lines of the same code allowed (a claim has at most MAX_LINES lines).
    function _capLeft(uint256 cap, IClaimsEngine.Line[] calldata lines, uint256 i, uint96[] memory allowed) private pure returns (uint256) {
        bytes32 code = lines[i].code;
        uint256 used;
        for (uint256 j; j < i; ++j) {
            if (lines[j].code == code) used += allowed[j];
        }
        return cap > used ? cap - used : 0;
    }

    function _applyAuthorization(Ctx memory c, uint256 a, uint16 reason, bool authApplies) private pure returns (uint256, uint16) {
        (uint256 granted, uint256 consumed, uint16 r) = Adjudication.authorize(a, authApplies, authApplies ? c.authRemaining : 0);
        c.authRemaining -= consumed;
        c.authUsed += consumed;
        return (granted, r != 0 ? r : reason);
    }

    /// @dev Checks an adjuster's amount against the ceiling (and, on appeal, the earlier amount)
    /// and returns the increment to cost-share with its reason.
    function _applyDecision(IClaimsEngine.LineDecision memory d, uint256 ceilingAmount, uint256 floor, uint256 i) private pure returns (uint256, uint16) {
        if (d.allowed > ceilingAmount || d.allowed < floor || (d.allowed < ceilingAmount && d.reason == 0)) revert IClaimsEngine.InvalidDecision(i);
        return (d.allowed - floor, d.allowed < ceilingAmount ? d.reason : 0);
    }
}
