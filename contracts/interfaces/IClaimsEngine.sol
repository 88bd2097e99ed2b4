// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IClaimsEngine
/// @notice Insurance plans as on-chain rules, funded in an allowlisted ERC-20, with members, prior
/// authorizations, claims adjudicated line by line (CARC reason codes), straight-through settlement,
/// adjuster decisions, appeals, corrected, resubmitted and voided claims, recoupment of
/// overpayments, and a FIFO queue for payments the escrow cannot cover yet.
/// @dev No PHI: codes are opaque `bytes32` identifiers from closed vocabularies (no descriptions),
/// amounts are token units, times are unix seconds, and the evidence of a claim is a salted
/// commitment anchored in the record registry. A claim's line details live in events and in one
/// hash (`recordHash`); callers pass the {ClaimRecord} back when a later step needs it.
interface IClaimsEngine {
    /// @notice Where a claim is. Values only grow: a claim never moves back to an earlier status.
    enum ClaimStatus {
        None,
        Pended,
        Approved,
        Partial,
        Denied,
        Appealed,
        Upheld,
        Overturned,
        Replaced,
        Voided
    }

    /// @notice How a benefit's copay meets the deductible. Copays and coinsurance count toward the
    /// out-of-pocket maximum, and everything is waived once it is met.
    /// - `DeductibleCopayCoinsurance`: the deductible first, then the copay, then coinsurance on the rest;
    /// - `CopayOnly`: the copay only, the deductible waived, no coinsurance (a usual office visit);
    /// - `DeductibleCoinsurance`: the deductible, then coinsurance; no copay.
    enum CostSharing {
        DeductibleCopayCoinsurance,
        CopayOnly,
        DeductibleCoinsurance
    }

    /// @notice A plan's fixed terms, chosen by its insurer at creation.
    /// @dev Stored in three slots: (token, insurerOrgId); (deductible, outOfPocketMax, start,
    /// yearStartMonth, yearStartDay); (annualCap, autoApprovalLimit, filingWindow, appealWindow).
    /// `insurerOrgId` is set by the contract from the creator's organization; the value passed to
    /// {createPlan} is ignored. Plan years are civil years (UTC) beginning every year on
    /// `yearStartMonth`/`yearStartDay` (1/1 for a calendar-year plan; February 29 is refused);
    /// plan year 0 is the one holding `start`.
    struct PlanTerms {
        address token;
        uint64 insurerOrgId;
        uint96 deductible;
        uint96 outOfPocketMax;
        uint40 start;
        uint8 yearStartMonth;
        uint8 yearStartDay;
        uint96 annualCap;
        uint96 autoApprovalLimit;
        uint32 filingWindow;
        uint32 appealWindow;
    }

    /// @notice The benefit rule of one procedure code in one plan.
    /// @dev One slot: fee (12 bytes), copay (12), coinsuranceBps (2), priorAuth (1), review (1),
    /// (hasCap (1)), costSharing (1). `fee` is the allowed amount per unit; zero means the code is
    /// not covered (CARC 96). `perClaimCap` (0 = none) is the most the plan allows for this code
    /// on one claim, over all its lines (CARC 119); it lives in its own slot, read only when set.
    /// `costSharing` is the copay design: `CopayOnly` needs `coinsuranceBps == 0`,
    /// `DeductibleCoinsurance` needs `copay == 0`.
    struct Benefit {
        uint96 fee;
        uint96 copay;
        uint16 coinsuranceBps;
        bool priorAuth;
        bool review;
        uint96 perClaimCap;
        CostSharing costSharing;
    }

    /// @notice One line of a claim: an opaque procedure code, units and the charged amount.
    struct Line {
        bytes32 code;
        uint32 units;
        uint96 charged;
    }

    /// @notice A claim as the provider (or the insurer on its behalf) submits it. `serviceDate` is
    /// a day: midnight UTC. The order of `lines` does not matter for duplicate detection.
    struct Submission {
        uint64 planId;
        address member;
        uint64 providerOrg;
        uint40 serviceDate;
        uint64 authId;
        bytes32 evidence;
        Line[] lines;
    }

    /// @notice The facts of a claim that later steps need, committed on chain as `recordHash`
    /// (the first 31 bytes of the keccak256 of its ABI encoding) and rebuilt by clients from the
    /// claim's events.
    /// @dev `evidence` is the commitment the claim cites; `adjuster` is the account that made the
    /// last decision (zero when the rules did); `decidedAt` when the claim was last decided (0
    /// while pended);
    /// `authUsed` is what the claim consumed of its prior authorization (given back when the claim
    /// is corrected or voided); `credit` is what the plan had committed for the service, over the
    /// whole chain of claims this one replaces, when it replaced them (0 for none);
    /// `planPaid` is the plan's share for the service as this claim stands: what the plan has
    /// committed (paid, queued, or offset against the provider's debt) over the claim's whole
    /// chain, net of what was booked as owed back; while the claim is pended, the exposure the
    /// rules computed, reserved in escrow (a replaced or voided claim keeps the record it had:
    /// its status says it no longer stands);
    /// `deductible` and `memberShare` are the claim's totals applied to the member's accumulators
    /// (0 while pended: a pended claim applies nothing until it is decided);
    /// `allowed[i]` is line i's allowed amount (for a pended claim, what the rules would allow).
    // Never stored (calldata, and hashed): fields in a reading order, not packed.
    // solhint-disable-next-line gas-struct-packing
    struct ClaimRecord {
        uint64 planId;
        address member;
        uint64 providerOrg;
        uint40 serviceDate;
        bytes32 evidence;
        address adjuster;
        uint40 decidedAt;
        uint64 authId;
        uint96 authUsed;
        uint96 credit;
        uint96 planPaid;
        uint96 deductible;
        uint96 memberShare;
        Line[] lines;
        uint96[] allowed;
    }

    /// @notice How one line was adjudicated. `memberShare = deductible + copay + coinsurance`;
    /// `memberShare + plan = allowed`. `reason` is the CARC of a reduction other than cost sharing
    /// (27, 29, 96, 119, 197, or an adjuster's code), 0 when there is none.
    struct LineOutcome {
        uint96 allowed;
        uint96 deductible;
        uint96 copay;
        uint96 coinsurance;
        uint96 plan;
        uint16 reason;
    }

    /// @notice An adjuster's decision on one line: the allowed amount, at most the line's ceiling
    /// (min(charged, fee x units, per-claim cap), or the charge for a code without a fee), and the
    /// CARC explaining a reduction (required whenever `allowed` is below the ceiling). Approve =
    /// the ceiling; partial approval = less, with a reason; denial = 0, with a reason.
    struct LineDecision {
        uint96 allowed;
        uint16 reason;
    }

    /// @notice A claim's state on chain, one slot: its status and the first 31 bytes of the
    /// keccak256 of its {ClaimRecord}'s ABI encoding. The record holds the rest (its plan, the
    /// plan's share, when it was decided); clients rebuild it from the claim's events and pass it
    /// back when a later step needs it.
    struct Claim {
        ClaimStatus status;
        bytes31 recordHash;
    }

    /// @notice A member's coverage period in a plan, both days inclusive.
    struct Enrollment {
        uint40 start;
        uint40 end;
    }

    /// @notice A prior authorization: this member, this code, up to `remaining` allowed, from
    /// `validFrom` to `validUntil` (inclusive).
    struct Authorization {
        address member;
        uint40 validFrom;
        uint40 validUntil;
        bytes32 code;
        uint64 planId;
        uint96 remaining;
        uint96 maxAmount;
    }

    /// @notice One member's plan-year accumulators.
    struct Accumulators {
        uint80 deductibleMet;
        uint80 outOfPocketMet;
        uint80 benefitPaid;
    }

    /// @notice A plan's escrow. `reserved` = queued payments + pended exposure; the insurer may
    /// withdraw only `balance - reserved`, and a claim is paid at once only from `balance - reserved`.
    /// `reserved` may exceed `balance` (pended exposure is reserved whether or not it is funded).
    /// Parked payments (see {releaseParked}) are no longer part of any plan's escrow.
    struct Funds {
        uint96 balance;
        uint96 reserved;
        uint32 queueHead;
        uint32 queueTail;
    }

    /// @notice One queued payment.
    struct QueuedPayment {
        bytes32 claimId;
        uint64 providerOrg;
        uint96 amount;
    }

    /// @notice Emitted when governance adds a token to, or removes it from, the settlement allowlist.
    // solhint-disable-next-line gas-indexed-events
    event TokenAllowed(address indexed token, bool allowed);
    /// @notice Emitted when an insurer creates a plan.
    event PlanCreated(uint64 indexed planId, uint64 indexed insurerOrgId, address indexed token, PlanTerms terms);
    /// @notice Emitted when a plan's benefit rule for `code` is set.
    event BenefitSet(uint64 indexed planId, bytes32 indexed code, Benefit benefit);
    /// @notice Emitted when a provider organization names the account its payments go to.
    event PayeeSet(uint64 indexed providerOrg, address indexed payee);
    /// @notice Emitted when `amount` is deposited into a plan's escrow.
    // solhint-disable-next-line gas-indexed-events
    event PlanFunded(uint64 indexed planId, address indexed from, uint256 amount);
    /// @notice Emitted when the insurer withdraws unreserved funds.
    // solhint-disable-next-line gas-indexed-events
    event FundsWithdrawn(uint64 indexed planId, address indexed to, uint256 amount);
    /// @notice Emitted when a member is enrolled (or the coverage period changed).
    // solhint-disable-next-line gas-indexed-events
    event MemberEnrolled(uint64 indexed planId, address indexed member, uint40 start, uint40 end);
    /// @notice Emitted when a prior authorization is issued.
    event AuthorizationIssued(uint64 indexed authId, uint64 indexed planId, address indexed member, bytes32 code, uint96 maxAmount, uint40 validFrom, uint40 validUntil);
    /// @notice Emitted when the rules use `amount` of prior authorization `authId` for claim `claimId`.
    // solhint-disable-next-line gas-indexed-events
    event AuthorizationUsed(uint64 indexed authId, bytes32 indexed claimId, uint96 amount);
    /// @notice Emitted when claim `claimId` gives `amount` of authorization `authId` back: it was
    /// corrected or voided, or decided for less than the rules had held for it.
    // solhint-disable-next-line gas-indexed-events
    event AuthorizationReturned(uint64 indexed authId, bytes32 indexed claimId, uint96 amount);
    /// @notice Emitted when a claim is received, with the submission as sent.
    event ClaimSubmitted(bytes32 indexed claimId, uint64 indexed planId, address indexed member, address submitter, Submission submission);
    /// @notice Emitted when a corrected claim replaces `replaces`, on which the plan had committed `credit`.
    // solhint-disable-next-line gas-indexed-events
    event ClaimCorrected(bytes32 indexed claimId, bytes32 indexed replaces, uint96 credit);
    /// @notice Emitted when a claim is adjudicated (by the rules, an adjuster, or on appeal).
    /// `outcomes` are increments over the claim's earlier outcomes (on appeal, what the overturn
    /// adds); sum them for the claim's figures. `planTotal` is the plan's share for the claim in
    /// total after this step, `memberTotal` the member's.
    event ClaimAdjudicated(bytes32 indexed claimId, ClaimStatus indexed status, address indexed adjuster, uint96 planTotal, uint96 memberTotal, LineOutcome[] outcomes);
    /// @notice Emitted when a claim pends for an adjuster, with what the rules would decide.
    event ClaimPended(bytes32 indexed claimId, uint96 exposure, LineOutcome[] preview);
    /// @notice Emitted when the plan pays `amount` for a claim to the provider's payee.
    event ClaimPaid(bytes32 indexed claimId, uint64 indexed planId, address indexed payee, uint96 amount);
    /// @notice Emitted when a payment waits in the plan's queue for funds (it will be paid in full).
    // solhint-disable-next-line gas-indexed-events
    event PaymentQueued(bytes32 indexed claimId, uint64 indexed planId, uint32 position, uint96 amount);
    /// @notice Emitted when the token refuses a queued payment to the provider's payee (a blocklisted
    /// payee): the payment leaves the queue and the plan's escrow and is parked for the provider,
    /// held by the engine until {releaseParked}. The plan has settled the claim.
    event PaymentParked(bytes32 indexed claimId, uint64 indexed planId, uint64 indexed providerOrg, address payee, uint96 amount);
    /// @notice Emitted when a provider's parked payments of a plan are paid to its current payee.
    // solhint-disable-next-line gas-indexed-events
    event ParkedPaymentReleased(uint64 indexed planId, uint64 indexed providerOrg, address indexed payee, uint256 amount);
    /// @notice Emitted when a member or provider appeals a decision.
    event ClaimAppealed(bytes32 indexed claimId, address indexed appellant);
    /// @notice Emitted when a corrected claim pays less than what the plan had committed for the
    /// service, or a claim is voided: the provider owes `amount` back.
    event OverpaymentRecorded(bytes32 indexed claimId, uint64 indexed planId, uint64 indexed providerOrg, uint96 amount);
    /// @notice Emitted when `amount` the provider owed back is offset against a payment due for
    /// `claimId` (recoupment): that much of the payment stays in the plan's escrow.
    event OverpaymentRecovered(bytes32 indexed claimId, uint64 indexed planId, uint64 indexed providerOrg, uint96 amount);
    /// @notice Emitted when `from` repays `amount` of what provider `providerOrg` owes plan `planId` into its escrow.
    event OverpaymentRepaid(uint64 indexed planId, uint64 indexed providerOrg, address indexed from, uint256 amount);
    /// @notice Emitted when the provider voids its claim (billed in error); `owed` is what the plan
    /// had committed for it, now owed back.
    // solhint-disable-next-line gas-indexed-events
    event ClaimVoided(bytes32 indexed claimId, address indexed by, uint96 owed);

    /// @notice `token` is not on the settlement allowlist.
    error TokenNotAllowed(address token);
    /// @notice `account` is not an active member of insurer organization `orgId` (or not an admin when one is needed).
    error NotInsurerStaff(address account, uint64 orgId);
    /// @notice `account` is not an active admin of an insurer organization.
    error NotInsurerAdmin(address account);
    /// @notice `account` is not an active admin of a provider organization.
    error NotProviderAdmin(address account);
    /// @notice `account` may not submit for provider `providerOrg` in plan `planId`.
    error NotAuthorizedSubmitter(address account, uint64 providerOrg, uint64 planId);
    /// @notice Plan `planId` does not exist.
    error UnknownPlan(uint64 planId);
    /// @notice A plan term is unusable (`field` names it).
    error InvalidPlanTerms(string field);
    /// @notice A benefit rule is unusable (`field` names it).
    error InvalidBenefit(bytes32 code, string field);
    /// @notice A batch has `length` items; the bound is `max` (and the arrays must be the same length).
    error InvalidBatch(uint256 length, uint256 max);
    /// @notice A zero amount.
    error ZeroAmount();
    /// @notice The zero address where an account is needed.
    error ZeroAddress();
    /// @notice `received` arrived for a deposit of `expected`: fee-on-transfer tokens are refused.
    error FeeOnTransferRefused(address token, uint256 expected, uint256 received);
    /// @notice The withdrawal of `requested` exceeds the unreserved funds `available`.
    error InsufficientUnreservedFunds(uint64 planId, uint256 requested, uint256 available);
    /// @notice A coverage or authorization window ends before it starts.
    error InvalidWindow(uint40 start, uint40 end);
    /// @notice Authorization `authId` does not exist.
    error UnknownAuthorization(uint64 authId);
    /// @notice Provider organization `providerOrg` has not named a payee.
    error PayeeNotSet(uint64 providerOrg);
    /// @notice The evidence commitment is not anchored by the billing organization `orgId` (singly, or in
    /// a batch of its own whose proof was given).
    error EvidenceNotAnchored(bytes32 evidence, uint64 orgId);
    /// @notice The evidence commitment was retracted (entered in error).
    error EvidenceRetracted(bytes32 evidence);
    /// @notice The evidence commitment already backs the claims of another member, `member`.
    error EvidenceOfAnotherMember(bytes32 evidence, address member);
    /// @notice The service date lies in the future.
    error ServiceDateInFuture(uint40 serviceDate);
    /// @notice The same claim (plan, member, provider, service date, lines) exists: `claimId`.
    error DuplicateClaim(bytes32 claimId);
    /// @notice Claim `claimId` does not exist.
    error UnknownClaim(bytes32 claimId);
    /// @notice Claim `claimId` is `status`, which does not allow this step.
    error InvalidClaimStatus(bytes32 claimId, ClaimStatus status);
    /// @notice The record passed does not match the claim's `recordHash`.
    error RecordMismatch(bytes32 claimId);
    /// @notice Line `index`'s decision is unusable (allowed above the ceiling, a reduction without a reason, fewer allowed than before on appeal).
    error InvalidDecision(uint256 index);
    /// @notice `account` may not appeal claim `claimId` (only its member or its provider's members).
    error NotAppellant(address account, bytes32 claimId);
    /// @notice The appeal window closed at `deadline`.
    error AppealWindowClosed(bytes32 claimId, uint256 deadline);
    /// @notice The adjuster who decided the claim may not resolve its appeal.
    error SameAdjuster(address adjuster);
    /// @notice The corrected claim is not for the same plan, member and provider as the one it replaces.
    error CorrectionMismatch(bytes32 replaces);
    /// @notice Nothing is parked for provider `providerOrg` in plan `planId`.
    error NothingParked(uint64 planId, uint64 providerOrg);
    /// @notice `account` is not an active member of the provider organization that billed claim `claimId`.
    error NotClaimProvider(address account, bytes32 claimId);
    /// @notice The service date is not a day (midnight UTC).
    error ServiceDateNotDay(uint40 serviceDate);
    /// @notice A repayment of `amount` exceeds what provider `providerOrg` owes plan `planId` (`owed`).
    error RepaymentExceedsOwed(uint64 planId, uint64 providerOrg, uint256 amount, uint256 owed);

    /// @notice Adds `token` to (or removes it from) the settlement allowlist. Configurator role.
    function setTokenAllowed(address token, bool allowed) external;

    /// @notice Creates a plan owned by the caller's insurer organization. Caller: an admin of an
    /// active insurer. Reverts with {TokenNotAllowed}, {InvalidPlanTerms}, {NotInsurerAdmin}.
    function createPlan(PlanTerms calldata terms) external returns (uint64 planId);

    /// @notice Sets benefit rules for up to `MAX_BATCH` codes. Caller: an active member of the plan's insurer.
    function setBenefits(uint64 planId, bytes32[] calldata codes, Benefit[] calldata benefits) external;

    /// @notice Names the account that receives the caller's organization's payments. Caller: an
    /// admin of an organization that bills (a provider, a lab or a pharmacy).
    function setPayee(address payee) external;

    /// @notice Deposits `amount` of the plan's token (anyone may fund a plan), then pays up to
    /// `DRAIN_ON_FUND` queued payments (a payment the token refuses to deliver is parked, see
    /// {PaymentParked}: a payee never makes a deposit revert). Refused while paused and for
    /// fee-on-transfer tokens.
    function fund(uint64 planId, uint256 amount) external;

    /// @notice Withdraws unreserved funds to `to`. Caller: an admin of the plan's insurer. Refused while paused.
    function withdraw(uint64 planId, uint256 amount, address to) external;

    /// @notice Enrolls `member` from `start` to `end` (days inclusive), or changes the period. Caller: insurer staff.
    function enroll(uint64 planId, address member, uint40 start, uint40 end) external;

    /// @notice Issues a prior authorization. Caller: insurer staff.
    function authorize(uint64 planId, address member, bytes32 code, uint96 maxAmount, uint40 validFrom, uint40 validUntil)
        external
        returns (uint64 authId);

    /// @notice Submits a claim: adjudicated by the rules and, when every line is decided and the
    /// plan pays no more than the auto-approval limit, paid in the same transaction from unreserved
    /// escrow (or queued in full on a shortfall); otherwise pended. What the provider owes the plan
    /// back is first offset against the payment ({OverpaymentRecovered}). A payment due at once to
    /// a payee the token refuses (a blocklisted payee) reverts the submission: nothing is recorded.
    /// Caller: an active member of the billing organization (a provider, a lab or a pharmacy), or
    /// of the plan's insurer on its behalf. The evidence must be anchored by the billing
    /// organization, not retracted, and backs the claims of one member only
    /// ({EvidenceOfAnotherMember}) while any claim citing it is live (not replaced or voided). Refused while paused; the same service (plan, member, provider,
    /// day and lines in any order) reverts with {DuplicateClaim}; a service date that is not a
    /// midnight UTC with {ServiceDateNotDay}.
    function submit(Submission calldata s) external returns (bytes32 claimId, ClaimStatus status, uint96 planTotal);

    /// @notice As {submit}, for evidence anchored in a Merkle batch: `proof` shows the evidence
    /// commitment is a version-1 leaf of batch `root`, anchored by the billing organization (no
    /// separate registration first). Later claims (corrections) of the same member may cite it
    /// without the proof.
    function submitWithProof(Submission calldata s, bytes32 root, bytes32[] calldata proof)
        external
        returns (bytes32 claimId, ClaimStatus status, uint96 planTotal);

    /// @notice Submits a corrected claim replacing `replaces`, or resubmits a denied claim once its
    /// cause is fixed (the same lines, an authorization now recorded, the enrollment loaded): the
    /// original is retired (its accumulators reversed, its authorization given back, a pended
    /// one's exposure released), the new claim adjudicated afresh, and only the difference from
    /// what the plan had committed for the service over the whole chain (`credit`) is paid; a
    /// negative difference is owed back ({OverpaymentRecorded}) and recouped from the provider's
    /// next payments under the plan. Caller: an active member of the provider organization that
    /// billed the original (not the insurer); the original must not be appealed, replaced or voided.
    function submitCorrection(Submission calldata s, bytes32 replaces, ClaimRecord calldata original)
        external
        returns (bytes32 claimId, ClaimStatus status, uint96 planTotal);

    /// @notice Voids a claim billed in error: it is retired as by a correction (accumulators
    /// reversed, authorization given back, a pended claim's exposure released, its evidence free for
    /// another member once no live claim cites it) and what the plan had committed for the service
    /// is owed back. Caller: an active member of the provider organization
    /// that billed it. Refused for appealed, replaced and voided claims, and while paused.
    function voidClaim(bytes32 claimId, ClaimRecord calldata record) external;

    /// @notice Repays `amount` of what provider `providerOrg` owes plan `planId` into the plan's
    /// escrow, from the caller (anyone, usually the provider), then pays up to `DRAIN_ON_FUND`
    /// queued payments as {fund} does. Reverts with {RepaymentExceedsOwed}, {ZeroAmount},
    /// {FeeOnTransferRefused}, and while paused.
    function repay(uint64 planId, uint64 providerOrg, uint256 amount) external;

    /// @notice An adjuster (insurer staff) decides a pended claim line by line and the plan pays.
    /// A pended claim has applied nothing to the member's accumulators: the adjuster's amounts are
    /// cost-shared now, against the member's accumulators as they stand. The authorization the
    /// rules reserved for it is kept up to what the decided lines of its code allow, the rest is
    /// given back. As in {submit}, a payment due at once to a payee the token refuses reverts the decision.
    function decide(bytes32 claimId, ClaimRecord calldata record, LineDecision[] calldata decisions) external;

    /// @notice The member or a member of the provider organization appeals a partial or denied
    /// claim within the appeal window. Works while paused.
    function appeal(bytes32 claimId, ClaimRecord calldata record) external;

    /// @notice An adjuster other than the one who decided resolves an appeal. Allowed amounts may
    /// only grow; the difference is cost-shared and paid exactly once. Refused while paused.
    function resolveAppeal(bytes32 claimId, ClaimRecord calldata record, LineDecision[] calldata decisions) external;

    /// @notice Pays up to `max` (≤ `MAX_BATCH`) queued payments of a plan, oldest first, stopping at
    /// the first the escrow cannot cover in full; a payment the token refuses to deliver is parked
    /// (see {PaymentParked}) and the next one is tried. Anyone may call it. Refused while paused.
    /// @return paid the number of payments that left the queue (paid or parked)
    function payQueued(uint64 planId, uint256 max) external returns (uint256 paid);

    /// @notice Pays everything parked for provider `providerOrg` in plan `planId` to the provider's
    /// CURRENT payee ({payeeOf}), in one transfer. Anyone may call it (it can pay no one else); a
    /// provider whose payee is blocked names another with {setPayee} first. Reverts with
    /// {NothingParked} when nothing is parked, with the token's error when it still refuses the
    /// payee (the amount stays parked), and while paused.
    function releaseParked(uint64 planId, uint64 providerOrg) external;

    /// @notice Whether `token` may settle plans.
    function isTokenAllowed(address token) external view returns (bool);

    /// @notice Plan `planId`'s terms. Reverts with {UnknownPlan}.
    function plan(uint64 planId) external view returns (PlanTerms memory);

    /// @notice The number of plans (the highest id).
    function planCount() external view returns (uint64);

    /// @notice The benefit rule of `code` in `planId` (all zero when not covered).
    function benefit(uint64 planId, bytes32 code) external view returns (Benefit memory);

    /// @notice The plan's escrow.
    function funds(uint64 planId) external view returns (Funds memory);

    /// @notice `member`'s coverage in `planId` (zero when never enrolled).
    function enrollment(uint64 planId, address member) external view returns (Enrollment memory);

    /// @notice `member`'s accumulators in plan year `year` (0 = the plan year holding the plan's start).
    function accumulators(uint64 planId, address member, uint256 year) external view returns (Accumulators memory);

    /// @notice The plan year (0-based) of `date` in plan `planId` (0 for a date before the plan's start).
    function planYearOf(uint64 planId, uint40 date) external view returns (uint256);

    /// @notice Authorization `authId`. Reverts with {UnknownAuthorization}.
    function authorization(uint64 authId) external view returns (Authorization memory);

    /// @notice Claim `claimId`. Reverts with {UnknownClaim}.
    function claim(bytes32 claimId) external view returns (Claim memory);

    /// @notice The account provider organization `orgId` is paid at (zero when unset).
    function payeeOf(uint64 orgId) external view returns (address);

    /// @notice What the engine holds for provider `providerOrg` from plan `planId`'s payments the
    /// token refused to deliver (see {releaseParked}).
    function parked(uint64 planId, uint64 providerOrg) external view returns (uint256);

    /// @notice What provider `providerOrg` owes plan `planId` back from corrected and voided claims,
    /// not yet recouped or repaid.
    function owedBack(uint64 planId, uint64 providerOrg) external view returns (uint256);
}
