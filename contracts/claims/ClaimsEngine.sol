// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IClaimsEngine} from "./IClaimsEngine.sol";
import {IParticipantRegistry} from "../participants/IParticipantRegistry.sol";
import {IRecordEvidence} from "../records/IRecordEvidence.sol";
import {ManagedPausable} from "../governance/ManagedPausable.sol";
import {ClaimsCore} from "./ClaimsCore.sol";
import {ClaimsEscrow} from "./ClaimsEscrow.sol";
import {ClaimsLifecycle} from "./ClaimsLifecycle.sol";
import {ClaimsPlans} from "./ClaimsPlans.sol";

/// @title ClaimsEngine
/// @notice Insurance plans as rules, their escrow, members, prior authorizations, and claims
/// adjudicated line by line and settled in the same transaction when the rules allow it;
/// corrections, resubmissions and voids with recoupment of what a provider owes back.
/// @dev Money is conserved per plan: `funds.balance` = deposits + repayments - payments -
/// withdrawals (a payment offset against what the provider owes never leaves the escrow), and the
/// contract's token balance is the sum of its plans' balances plus the parked payments. A payment
/// the unreserved escrow cannot cover (or that would overtake an older queued one) is queued in
/// full, FIFO, and paid by {fund} / {repay} (up to `DRAIN_ON_FUND` entries) or {payQueued} (up to
/// `MAX_BATCH`); a queued payment the token refuses to deliver is parked for its provider and
/// released by {releaseParked}. Settlement is `nonReentrant` (transient storage), uses SafeERC20,
/// and writes all state before any token transfer. Line details are not stored: they are emitted
/// and committed in one hash per claim. Adjudication lives in {ClaimsCore}, every
/// movement of money in {ClaimsEscrow}, plan administration in {ClaimsPlans}, and what follows a
/// submission (appeals, decisions, voids) in {ClaimsLifecycle}.
contract ClaimsEngine is IClaimsEngine, ManagedPausable, ReentrancyGuardTransient {
    /// @notice The version of this contract's interface and storage semantics.
    string public constant VERSION = "2.0.0";
    /// @notice The most lines one claim may have.
    uint256 public constant MAX_LINES = ClaimsCore.MAX_LINES;
    /// @notice The most items one batch (benefit rules, queued payments) may have.
    uint256 public constant MAX_BATCH = ClaimsPlans.MAX_BATCH;
    /// @notice How many queued payments a deposit pays at most.
    uint256 public constant DRAIN_ON_FUND = ClaimsEscrow.DRAIN_ON_FUND;

    IParticipantRegistry private immutable REGISTRY;
    IRecordEvidence private immutable RECORD_EVIDENCE;

    ClaimsPlans.PlanBook private _book;

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
        return ClaimsPlans.createPlan(_book, REGISTRY, terms);
    }

    /// @inheritdoc IClaimsEngine
    function setBenefits(uint64 planId, bytes32[] calldata codes, Benefit[] calldata benefits) external {
        ClaimsPlans.setBenefits(_book, REGISTRY, planId, codes, benefits);
    }

    /// @inheritdoc IClaimsEngine
    function setPayee(address payee) external {
        ClaimsPlans.setPayee(_book, REGISTRY, payee);
    }

    // ---------------------------------------------------------------- money in and out

    /// @inheritdoc IClaimsEngine
    function fund(uint64 planId, uint256 amount) external nonReentrant whenNotPaused {
        ClaimsEscrow.fund(_book, planId, amount);
    }

    /// @inheritdoc IClaimsEngine
    function withdraw(uint64 planId, uint256 amount, address to) external nonReentrant whenNotPaused {
        ClaimsEscrow.withdraw(_book, REGISTRY, planId, amount, to);
    }

    /// @inheritdoc IClaimsEngine
    function releaseParked(uint64 planId, uint64 providerOrg) external nonReentrant whenNotPaused {
        ClaimsEscrow.releaseParked(_book, planId, providerOrg);
    }

    /// @inheritdoc IClaimsEngine
    function repay(uint64 planId, uint64 providerOrg, uint256 amount) external nonReentrant whenNotPaused {
        ClaimsEscrow.repay(_book, planId, providerOrg, amount);
    }

    /// @inheritdoc IClaimsEngine
    function payQueued(uint64 planId, uint256 max) external nonReentrant whenNotPaused returns (uint256) {
        return ClaimsEscrow.payQueued(_book, planId, max);
    }

    // ---------------------------------------------------------------- members and authorizations

    /// @inheritdoc IClaimsEngine
    function enroll(uint64 planId, address member, uint40 start, uint40 end) external {
        ClaimsPlans.enroll(_book, REGISTRY, planId, member, start, end);
    }

    /// @inheritdoc IClaimsEngine
    function authorize(uint64 planId, address member, bytes32 code, uint96 maxAmount, uint40 validFrom, uint40 validUntil)
        external
        returns (uint64)
    {
        return ClaimsPlans.authorize(_book, REGISTRY, planId, member, code, maxAmount, validFrom, validUntil);
    }

    // ---------------------------------------------------------------- claims

    /// @inheritdoc IClaimsEngine
    function submit(Submission calldata s) external nonReentrant whenNotPaused returns (bytes32, ClaimStatus, uint96) {
        return _submit(s, ClaimsCore.Link(0, 0, 0, false, 0, new bytes32[](0)));
    }

    /// @inheritdoc IClaimsEngine
    function submitWithProof(Submission calldata s, bytes32 root, bytes32[] calldata proof)
        external
        nonReentrant
        whenNotPaused
        returns (bytes32, ClaimStatus, uint96)
    {
        return _submit(s, ClaimsCore.Link(0, 0, 0, false, root, proof));
    }

    /// @inheritdoc IClaimsEngine
    function submitCorrection(Submission calldata s, bytes32 replaces, ClaimRecord calldata original)
        external
        nonReentrant
        whenNotPaused
        returns (bytes32, ClaimStatus, uint96)
    {
        return ClaimsCore.correct(_book, REGISTRY, RECORD_EVIDENCE, s, replaces, original);
    }

    /// @inheritdoc IClaimsEngine
    function voidClaim(bytes32 claimId, ClaimRecord calldata record) external nonReentrant whenNotPaused {
        ClaimsLifecycle.voidClaim(_book, REGISTRY, claimId, record);
    }

    /// @inheritdoc IClaimsEngine
    function decide(bytes32 claimId, ClaimRecord calldata record, LineDecision[] calldata decisions) external nonReentrant whenNotPaused {
        ClaimsLifecycle.adjusterStep(_book, REGISTRY, claimId, record, decisions, false);
    }

    /// @inheritdoc IClaimsEngine
    function appeal(bytes32 claimId, ClaimRecord calldata record) external {
        ClaimsLifecycle.appeal(_book, REGISTRY, claimId, record);
    }

    /// @inheritdoc IClaimsEngine
    function resolveAppeal(bytes32 claimId, ClaimRecord calldata record, LineDecision[] calldata decisions)
        external
        nonReentrant
        whenNotPaused
    {
        ClaimsLifecycle.adjusterStep(_book, REGISTRY, claimId, record, decisions, true);
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
        return ClaimsPlans.requirePlan(_book, planId);
    }

    /// @inheritdoc IClaimsEngine
    function planCount() external view returns (uint64) {
        return _book.planCount;
    }

    /// @inheritdoc IClaimsEngine
    function benefit(uint64 planId, bytes32 code) external view returns (Benefit memory) {
        ClaimsPlans.BenefitSlot memory b = _book.benefits[planId][code];
        return Benefit(b.fee, b.copay, b.coinsuranceBps, b.priorAuth, b.review, _book.caps[planId][code], b.costSharing);
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
    function planYearOf(uint64 planId, uint40 date) external view returns (uint256) {
        return ClaimsCore.planYear(ClaimsPlans.requirePlan(_book, planId), date);
    }

    /// @inheritdoc IClaimsEngine
    function authorization(uint64 authId) external view returns (Authorization memory a) {
        a = _book.authorizations[authId];
        if (a.member == address(0)) revert UnknownAuthorization(authId);
    }

    /// @inheritdoc IClaimsEngine
    function claim(bytes32 claimId) external view returns (Claim memory) {
        return ClaimsCore.requireClaim(_book, claimId);
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
        return _book.owedBack[planId][providerOrg];
    }

    function _submit(Submission calldata s, ClaimsCore.Link memory link) private returns (bytes32, ClaimStatus, uint96) {
        return ClaimsCore.submit(_book, REGISTRY, RECORD_EVIDENCE, s, link);
    }
}
