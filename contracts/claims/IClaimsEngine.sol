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
    /// @param token The ERC-20 settlement token.
    /// @param allowed True when it was allowed, false when it was removed.
    // solhint-disable-next-line gas-indexed-events
    event TokenAllowed(address indexed token, bool allowed);
    /// @notice Emitted when an insurer creates a plan.
    /// @param planId The new plan's id.
    /// @param insurerOrgId The participant-registry id of the insurer organization that owns the plan.
    /// @param token The plan's settlement token.
    /// @param terms The plan's terms as stored (with `insurerOrgId` set).
    event PlanCreated(uint64 indexed planId, uint64 indexed insurerOrgId, address indexed token, PlanTerms terms);
    /// @notice Emitted when a plan's benefit rule for `code` is set.
    /// @param planId The plan's id.
    /// @param code The opaque procedure code.
    /// @param benefit The code's new rule (amounts in the plan token's base units, coinsurance in basis points).
    event BenefitSet(uint64 indexed planId, bytes32 indexed code, Benefit benefit);
    /// @notice Emitted when a provider organization names the account its payments go to.
    /// @param providerOrg The billing organization's participant-registry id.
    /// @param payee The account its payments now go to.
    event PayeeSet(uint64 indexed providerOrg, address indexed payee);
    /// @notice Emitted when `amount` is deposited into a plan's escrow.
    /// @param planId The plan's id.
    /// @param from The depositor.
    /// @param amount The deposit in the plan token's base units.
    // solhint-disable-next-line gas-indexed-events
    event PlanFunded(uint64 indexed planId, address indexed from, uint256 amount);
    /// @notice Emitted when the insurer withdraws unreserved funds.
    /// @param planId The plan's id.
    /// @param to The account that received the funds.
    /// @param amount The amount in the plan token's base units.
    // solhint-disable-next-line gas-indexed-events
    event FundsWithdrawn(uint64 indexed planId, address indexed to, uint256 amount);
    /// @notice Emitted when a member is enrolled (or the coverage period changed).
    /// @param planId The plan's id.
    /// @param member The member's account.
    /// @param start The first day of coverage, unix seconds.
    /// @param end The last day of coverage, unix seconds, inclusive.
    // solhint-disable-next-line gas-indexed-events
    event MemberEnrolled(uint64 indexed planId, address indexed member, uint40 start, uint40 end);
    /// @notice Emitted when a prior authorization is issued.
    /// @param authId The new authorization's id.
    /// @param planId The plan's id.
    /// @param member The member's account.
    /// @param code The opaque procedure code authorized.
    /// @param maxAmount The most it allows over all claims, in the plan token's base units.
    /// @param validFrom The first service date it covers, unix seconds.
    /// @param validUntil The last service date it covers, unix seconds, inclusive.
    event AuthorizationIssued(uint64 indexed authId, uint64 indexed planId, address indexed member, bytes32 code, uint96 maxAmount, uint40 validFrom, uint40 validUntil);
    /// @notice Emitted when the rules use `amount` of prior authorization `authId` for claim `claimId`.
    /// @param authId The authorization's id.
    /// @param claimId The claim that used it.
    /// @param amount The amount used, in the plan token's base units.
    // solhint-disable-next-line gas-indexed-events
    event AuthorizationUsed(uint64 indexed authId, bytes32 indexed claimId, uint96 amount);
    /// @notice Emitted when claim `claimId` gives `amount` of authorization `authId` back: it was
    /// corrected or voided, or decided for less than the rules had held for it.
    /// @param authId The authorization's id.
    /// @param claimId The claim that gave it back.
    /// @param amount The amount given back, in the plan token's base units.
    // solhint-disable-next-line gas-indexed-events
    event AuthorizationReturned(uint64 indexed authId, bytes32 indexed claimId, uint96 amount);
    /// @notice Emitted when a claim is received, with the submission as sent.
    /// @param claimId The claim's id.
    /// @param planId The plan's id.
    /// @param member The member's account.
    /// @param submitter The account that sent the claim (a member of the billing organization or of the insurer).
    /// @param submission The submission as sent (its lines, evidence commitment and amounts in the plan token's
    /// base units).
    event ClaimSubmitted(bytes32 indexed claimId, uint64 indexed planId, address indexed member, address submitter, Submission submission);
    /// @notice Emitted when a corrected claim replaces `replaces`, on which the plan had committed `credit`.
    /// @param claimId The new claim's id.
    /// @param replaces The id of the claim it replaces.
    /// @param credit What the plan had committed for the service over the replaced chain, in the plan token's base
    /// units.
    // solhint-disable-next-line gas-indexed-events
    event ClaimCorrected(bytes32 indexed claimId, bytes32 indexed replaces, uint96 credit);
    /// @notice Emitted when a claim is adjudicated (by the rules, an adjuster, or on appeal).
    /// `outcomes` are increments over the claim's earlier outcomes (on appeal, what the overturn
    /// adds); sum them for the claim's figures. `planTotal` is the plan's share for the claim in
    /// total after this step, `memberTotal` the member's.
    /// @param claimId The claim's id.
    /// @param status The claim's new status.
    /// @param adjuster The adjuster who decided (zero when the rules did).
    /// @param planTotal The plan's share for the claim in total after this step, in the plan token's base units.
    /// @param memberTotal The member's share (deductible, copays and coinsurance) in total after this step, in the
    /// plan token's base units.
    /// @param outcomes One {LineOutcome} per line: this step's increments.
    event ClaimAdjudicated(bytes32 indexed claimId, ClaimStatus indexed status, address indexed adjuster, uint96 planTotal, uint96 memberTotal, LineOutcome[] outcomes);
    /// @notice Emitted when a claim pends for an adjuster, with what the rules would decide.
    /// @param claimId The claim's id.
    /// @param exposure The plan's share the rules computed, reserved in escrow, in the plan token's base units.
    /// @param preview One {LineOutcome} per line: what the rules would decide now.
    event ClaimPended(bytes32 indexed claimId, uint96 exposure, LineOutcome[] preview);
    /// @notice Emitted when the plan pays `amount` for a claim to the provider's payee.
    /// @param claimId The claim's id.
    /// @param planId The plan's id.
    /// @param payee The provider's payee that received the payment.
    /// @param amount The amount paid, in the plan token's base units (after any recoupment).
    event ClaimPaid(bytes32 indexed claimId, uint64 indexed planId, address indexed payee, uint96 amount);
    /// @notice Emitted when a payment waits in the plan's queue for funds (it will be paid in full).
    /// @param claimId The claim's id.
    /// @param planId The plan's id.
    /// @param position The payment's position in the plan's queue.
    /// @param amount The amount due, in the plan token's base units.
    // solhint-disable-next-line gas-indexed-events
    event PaymentQueued(bytes32 indexed claimId, uint64 indexed planId, uint32 position, uint96 amount);
    /// @notice Emitted when the token refuses a queued payment to the provider's payee (a blocklisted
    /// payee): the payment leaves the queue and the plan's escrow and is parked for the provider,
    /// held by the engine until {releaseParked}. The plan has settled the claim.
    /// @param claimId The claim's id.
    /// @param planId The plan's id.
    /// @param providerOrg The provider organization's participant-registry id.
    /// @param payee The payee the token refused.
    /// @param amount The amount parked, in the plan token's base units.
    event PaymentParked(bytes32 indexed claimId, uint64 indexed planId, uint64 indexed providerOrg, address payee, uint96 amount);
    /// @notice Emitted when a provider's parked payments of a plan are paid to its current payee.
    /// @param planId The plan's id.
    /// @param providerOrg The provider organization's participant-registry id.
    /// @param payee The provider's current payee, which received the amount.
    /// @param amount The amount released, in the plan token's base units.
    // solhint-disable-next-line gas-indexed-events
    event ParkedPaymentReleased(uint64 indexed planId, uint64 indexed providerOrg, address indexed payee, uint256 amount);
    /// @notice Emitted when a member or provider appeals a decision.
    /// @param claimId The claim's id.
    /// @param appellant The account that appealed: the claim's member, or a member of its provider organization.
    event ClaimAppealed(bytes32 indexed claimId, address indexed appellant);
    /// @notice Emitted when a corrected claim pays less than what the plan had committed for the
    /// service, or a claim is voided: the provider owes `amount` back.
    /// @param claimId The corrected claim's id (or the voided claim's).
    /// @param planId The plan's id.
    /// @param providerOrg The provider organization's participant-registry id.
    /// @param amount The amount now owed back, in the plan token's base units.
    event OverpaymentRecorded(bytes32 indexed claimId, uint64 indexed planId, uint64 indexed providerOrg, uint96 amount);
    /// @notice Emitted when `amount` the provider owed back is offset against a payment due for
    /// `claimId` (recoupment): that much of the payment stays in the plan's escrow.
    /// @param claimId The claim whose payment was offset.
    /// @param planId The plan's id.
    /// @param providerOrg The provider organization's participant-registry id.
    /// @param amount The amount recovered, in the plan token's base units.
    event OverpaymentRecovered(bytes32 indexed claimId, uint64 indexed planId, uint64 indexed providerOrg, uint96 amount);
    /// @notice Emitted when `from` repays `amount` of what provider `providerOrg` owes plan `planId` into its escrow.
    /// @param planId The plan's id.
    /// @param providerOrg The provider organization's participant-registry id.
    /// @param from The account that repaid.
    /// @param amount The amount repaid, in the plan token's base units.
    event OverpaymentRepaid(uint64 indexed planId, uint64 indexed providerOrg, address indexed from, uint256 amount);
    /// @notice Emitted when the provider voids its claim (billed in error); `owed` is what the plan
    /// had committed for it, now owed back.
    /// @param claimId The voided claim's id.
    /// @param by The member of the provider organization who voided it.
    /// @param owed What the plan had committed for the service, now owed back, in the plan token's base units.
    // solhint-disable-next-line gas-indexed-events
    event ClaimVoided(bytes32 indexed claimId, address indexed by, uint96 owed);

    /// @notice `token` is not on the settlement allowlist.
    /// @param token The token.
    error TokenNotAllowed(address token);
    /// @notice `account` is not an active member of insurer organization `orgId` (or not an admin when one is needed).
    /// @param account The caller.
    /// @param orgId The insurer organization's participant-registry id.
    error NotInsurerStaff(address account, uint64 orgId);
    /// @notice `account` is not an active admin of an insurer organization.
    /// @param account The caller.
    error NotInsurerAdmin(address account);
    /// @notice `account` is not an active admin of a provider organization.
    /// @param account The caller.
    error NotProviderAdmin(address account);
    /// @notice `account` may not submit for provider `providerOrg` in plan `planId`.
    /// @param account The caller.
    /// @param providerOrg The billing organization's participant-registry id.
    /// @param planId The plan's id.
    error NotAuthorizedSubmitter(address account, uint64 providerOrg, uint64 planId);
    /// @notice Plan `planId` does not exist.
    /// @param planId The plan id given.
    error UnknownPlan(uint64 planId);
    /// @notice A plan term is unusable (`field` names it).
    /// @param field The name of the term (e.g. `start`, `filingWindow`, `yearStartDay`).
    error InvalidPlanTerms(string field);
    /// @notice A benefit rule is unusable (`field` names it).
    /// @param code The opaque procedure code of the rule.
    /// @param field The name of the field (`code`, `coinsuranceBps` or `copay`).
    error InvalidBenefit(bytes32 code, string field);
    /// @notice A batch has `length` items; the bound is `max` (and the arrays must be the same length).
    /// @param length The number of items given (for {payQueued}, its `max`).
    /// @param max The bound (for a decision, the claim's number of lines).
    error InvalidBatch(uint256 length, uint256 max);
    /// @notice A zero amount.
    error ZeroAmount();
    /// @notice The zero address where an account is needed.
    error ZeroAddress();
    /// @notice `received` arrived for a deposit of `expected`: fee-on-transfer tokens are refused.
    /// @param token The plan's token.
    /// @param expected The amount sent, in the token's base units.
    /// @param received The amount the engine's balance grew by.
    error FeeOnTransferRefused(address token, uint256 expected, uint256 received);
    /// @notice The withdrawal of `requested` exceeds the unreserved funds `available`.
    /// @param planId The plan's id.
    /// @param requested The amount asked for, in the plan token's base units.
    /// @param available The unreserved funds, `balance - reserved` (0 when `reserved` exceeds `balance`).
    error InsufficientUnreservedFunds(uint64 planId, uint256 requested, uint256 available);
    /// @notice A coverage or authorization window ends before it starts.
    /// @param start The window's start, unix seconds.
    /// @param end The window's end, unix seconds.
    error InvalidWindow(uint40 start, uint40 end);
    /// @notice Authorization `authId` does not exist.
    /// @param authId The authorization id given.
    error UnknownAuthorization(uint64 authId);
    /// @notice Provider organization `providerOrg` has not named a payee.
    /// @param providerOrg The billing organization's participant-registry id.
    error PayeeNotSet(uint64 providerOrg);
    /// @notice The evidence commitment is not anchored by the billing organization `orgId` (singly, or in
    /// a batch of its own whose proof was given).
    /// @param evidence The evidence commitment.
    /// @param orgId The billing organization's participant-registry id.
    error EvidenceNotAnchored(bytes32 evidence, uint64 orgId);
    /// @notice The evidence commitment was retracted (entered in error).
    /// @param evidence The evidence commitment.
    error EvidenceRetracted(bytes32 evidence);
    /// @notice The evidence commitment already backs the claims of another member, `member`.
    /// @param evidence The evidence commitment.
    /// @param member The member whose live claims it backs.
    error EvidenceOfAnotherMember(bytes32 evidence, address member);
    /// @notice The service date lies in the future.
    /// @param serviceDate The service date, unix seconds.
    error ServiceDateInFuture(uint40 serviceDate);
    /// @notice The same claim (plan, member, provider, service date, lines) exists: `claimId`.
    /// @param claimId The id of the first claim of the service.
    error DuplicateClaim(bytes32 claimId);
    /// @notice Claim `claimId` does not exist.
    /// @param claimId The claim id given.
    error UnknownClaim(bytes32 claimId);
    /// @notice Claim `claimId` is `status`, which does not allow this step.
    /// @param claimId The claim's id.
    /// @param status The claim's current status.
    error InvalidClaimStatus(bytes32 claimId, ClaimStatus status);
    /// @notice The record passed does not match the claim's `recordHash`.
    /// @param claimId The claim's id.
    error RecordMismatch(bytes32 claimId);
    /// @notice Line `index`'s decision is unusable (allowed above the ceiling, a reduction without a reason, fewer allowed than before on appeal).
    /// @param index The line's index, 0-based.
    error InvalidDecision(uint256 index);
    /// @notice `account` may not appeal claim `claimId` (only its member or its provider's members).
    /// @param account The caller.
    /// @param claimId The claim's id.
    error NotAppellant(address account, bytes32 claimId);
    /// @notice The appeal window closed at `deadline`.
    /// @param claimId The claim's id.
    /// @param deadline The end of the appeal window, unix seconds (`decidedAt + appealWindow`).
    error AppealWindowClosed(bytes32 claimId, uint256 deadline);
    /// @notice The adjuster who decided the claim may not resolve its appeal.
    /// @param adjuster The caller, who made the claim's last decision.
    error SameAdjuster(address adjuster);
    /// @notice The corrected claim is not for the same plan, member and provider as the one it replaces.
    /// @param replaces The id of the claim it would replace.
    error CorrectionMismatch(bytes32 replaces);
    /// @notice Nothing is parked for provider `providerOrg` in plan `planId`.
    /// @param planId The plan's id.
    /// @param providerOrg The provider organization's participant-registry id.
    error NothingParked(uint64 planId, uint64 providerOrg);
    /// @notice `account` is not an active member of the provider organization that billed claim `claimId`.
    /// @param account The caller.
    /// @param claimId The claim's id.
    error NotClaimProvider(address account, bytes32 claimId);
    /// @notice The service date is not a day (midnight UTC).
    /// @param serviceDate The service date, unix seconds.
    error ServiceDateNotDay(uint40 serviceDate);
    /// @notice A repayment of `amount` exceeds what provider `providerOrg` owes plan `planId` (`owed`).
    /// @param planId The plan's id.
    /// @param providerOrg The provider organization's participant-registry id.
    /// @param amount The repayment, in the plan token's base units.
    /// @param owed What the provider owes the plan, in the plan token's base units.
    error RepaymentExceedsOwed(uint64 planId, uint64 providerOrg, uint256 amount, uint256 owed);

    /// @notice Adds `token` to (or removes it from) the settlement allowlist. Configurator role: anyone else
    /// is refused by the AccessManager (`AccessManagedUnauthorized`); the zero address with {ZeroAddress}.
    /// @param token The ERC-20 settlement token (a stablecoin contract); not the zero address.
    /// @param allowed True to allow plans to be created on `token`, false to remove it (plans already created on it
    /// keep it: the allowlist is checked when a plan is created).
    function setTokenAllowed(address token, bool allowed) external;

    /// @notice Creates a plan owned by the caller's insurer organization. Caller: an admin of an
    /// active insurer. Reverts with {TokenNotAllowed}, {InvalidPlanTerms}, {NotInsurerAdmin}.
    /// @param terms The plan's fixed terms ({PlanTerms}): an allowlisted token; the deductible, out-of-pocket
    /// maximum, annual cap (0 = none) and auto-approval limit (the most the plan pays on a claim without an
    /// adjuster) in the token's base units; `start` in unix seconds; the month and day plan years begin; the filing
    /// and appeal windows in seconds. `insurerOrgId` is ignored: the plan belongs to the caller's organization.
    /// @return planId The new plan's id (ids start at 1).
    function createPlan(PlanTerms calldata terms) external returns (uint64 planId);

    /// @notice Sets benefit rules for up to `MAX_BATCH` codes. Caller: an active member of the plan's insurer.
    /// @param planId The plan whose rules are set (its insurer must be the caller's organization).
    /// @param codes The opaque procedure codes, one per rule (`"<alias>:<code>"` as bytes32, e.g. `cpt:62264`, or
    /// `0xff` followed by a hash for a longer code; never zero, never a description): 1 to `MAX_BATCH` of them.
    /// @param benefits The rule of each code, in the order of `codes` and as many: the allowed fee per unit (0 =
    /// not covered), the copay and the per-claim cap (0 = none) in the plan token's base units, the coinsurance in
    /// basis points (at most 10,000), the prior-authorization and review flags, and the copay design. Each replaces
    /// the code's earlier rule.
    function setBenefits(uint64 planId, bytes32[] calldata codes, Benefit[] calldata benefits) external;

    /// @notice Names the account that receives the caller's organization's payments. Caller: an
    /// admin of an organization that bills (a provider, a lab or a pharmacy).
    /// @param payee The account, not zero, that receives the plan payments for the claims of the caller's
    /// organization (replacing any earlier payee); parked payments go to it too ({releaseParked}).
    function setPayee(address payee) external;

    /// @notice Deposits `amount` of the plan's token (anyone may fund a plan), then pays up to
    /// `DRAIN_ON_FUND` queued payments (a payment the token refuses to deliver is parked, see
    /// {PaymentParked}: a payee never makes a deposit revert). Refused while paused and for
    /// fee-on-transfer tokens.
    /// @param planId The plan whose escrow receives the deposit.
    /// @param amount The deposit in the plan token's base units, not zero, taken from the caller (who must have
    /// approved the engine for it).
    function fund(uint64 planId, uint256 amount) external;

    /// @notice Withdraws unreserved funds to `to`. Caller: an admin of the plan's insurer. Refused while paused.
    /// @param planId The plan whose escrow pays out.
    /// @param amount The amount in the plan token's base units: not zero and at most the unreserved funds,
    /// `balance - reserved` ({InsufficientUnreservedFunds}).
    /// @param to The account, not zero, that receives the tokens.
    function withdraw(uint64 planId, uint256 amount, address to) external;

    /// @notice Enrolls `member` from `start` to `end` (days inclusive), or changes the period. Caller: insurer staff.
    /// @param planId The plan that covers the member.
    /// @param member The member's account (pseudonymous; not zero): the `member` of its claims, who may appeal
    /// them.
    /// @param start The first day of coverage, unix seconds (a time within a day covers that whole day).
    /// @param end The last day of coverage, unix seconds, inclusive: a service date (midnight UTC) up to `end` is
    /// covered. Not zero and not before `start`.
    function enroll(uint64 planId, address member, uint40 start, uint40 end) external;

    /// @notice Issues a prior authorization. Caller: insurer staff.
    /// @param planId The plan the authorization is for (a claim under another plan cannot use it).
    /// @param member The member it is for (another member's claim cannot use it).
    /// @param code The opaque procedure code it authorizes (lines of other codes do not consume it).
    /// @param maxAmount The most it allows over every claim that uses it, in the plan token's base units (not
    /// zero): lines of `code` consume it by what they are allowed, and a corrected or voided claim gives its share
    /// back.
    /// @param validFrom The first service date it covers, unix seconds (a time within a day covers that whole day).
    /// @param validUntil The last service date it covers, unix seconds, inclusive (not before `validFrom`).
    /// @return authId The new authorization's id (ids start at 1), which a {Submission} cites as `authId`.
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
    /// @param s The claim ({Submission}): the plan; the member; the billing organization's id (a provider, lab or
    /// pharmacy); the service date (unix seconds, midnight UTC); the prior authorization's id (0 for none); the
    /// evidence, the salted commitment of a record the billing organization anchored in the record registry (never
    /// PHI); and 1 to `MAX_LINES` lines (opaque code, units, charged amount in the plan token's base units).
    /// @return claimId The claim's id: its service key, the keccak256 of (plan, member, provider, service date, the
    /// lines in any order), the same whoever submits it.
    /// @return status `Pended` when the claim waits for an adjuster, otherwise the rules' decision: `Approved`,
    /// `Partial` or `Denied`.
    /// @return planTotal The plan's share of the claim in the token's base units; for a pended claim, the exposure
    /// reserved in escrow until an adjuster decides. Of a share settled now, what the provider owes the plan is
    /// recouped first and the rest paid or queued.
    function submit(Submission calldata s) external returns (bytes32 claimId, ClaimStatus status, uint96 planTotal);

    /// @notice As {submit}, for evidence anchored in a Merkle batch: `proof` shows the evidence
    /// commitment is a version-1 leaf of batch `root`, anchored by the billing organization (no
    /// separate registration first). Later claims (corrections) of the same member may cite it
    /// without the proof.
    /// @param s The claim, as for {submit}; its `evidence` is a leaf of batch `root`.
    /// @param root The Merkle root of a batch the billing organization anchored in the record registry that holds
    /// the evidence commitment as a version-1 leaf.
    /// @param proof The leaf's inclusion proof in `root` (sibling hashes, OpenZeppelin sorted pairs), no longer
    /// than the batch's depth.
    /// @return claimId The claim's id, as for {submit}.
    /// @return status The claim's status, as for {submit}.
    /// @return planTotal The plan's share of the claim in the token's base units, as for {submit}.
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
    /// @param s The corrected claim, or the same service resubmitted: the same plan, member and provider as the
    /// original ({CorrectionMismatch}). No proof is taken: its evidence is anchored singly by the billing
    /// organization, or already cited by that organization's claims.
    /// @param replaces The id of the claim it replaces, which must not be appealed, replaced or voided.
    /// @param original The {ClaimRecord} of `replaces`, as rebuilt from its events; it must hash to the claim's
    /// `recordHash` ({RecordMismatch}).
    /// @return claimId The new claim's id: its service key, or `keccak256(abi.encode(serviceKey, replaces))` when
    /// it resubmits the very service of the claim it replaces.
    /// @return status `Pended` (always when an adjuster decided, or was to decide, the original), otherwise the
    /// rules' decision.
    /// @return planTotal The new claim's plan share in the token's base units, before the credit: the plan pays
    /// `planTotal - credit`, or books the shortfall as owed back by the provider (for a pended claim, its
    /// exposure).
    function submitCorrection(Submission calldata s, bytes32 replaces, ClaimRecord calldata original)
        external
        returns (bytes32 claimId, ClaimStatus status, uint96 planTotal);

    /// @notice Voids a claim billed in error: it is retired as by a correction (accumulators
    /// reversed, authorization given back, a pended claim's exposure released, its evidence free for
    /// another member once no live claim cites it) and what the plan had committed for the service
    /// is owed back. Caller: an active member of the provider organization
    /// that billed it. Refused for appealed, replaced and voided claims, and while paused.
    /// @param claimId The claim billed in error.
    /// @param record Its {ClaimRecord}, as rebuilt from its events (checked against its `recordHash`).
    function voidClaim(bytes32 claimId, ClaimRecord calldata record) external;

    /// @notice Repays `amount` of what provider `providerOrg` owes plan `planId` into the plan's
    /// escrow, from the caller (anyone, usually the provider), then pays up to `DRAIN_ON_FUND`
    /// queued payments as {fund} does. Reverts with {RepaymentExceedsOwed}, {ZeroAmount},
    /// {FeeOnTransferRefused}, and while paused.
    /// @param planId The plan owed; its escrow receives the repayment.
    /// @param providerOrg The provider organization (participant-registry id) whose debt is reduced.
    /// @param amount The repayment in the plan token's base units: not zero, at most {owedBack}, taken from the
    /// caller (who must have approved the engine for it).
    function repay(uint64 planId, uint64 providerOrg, uint256 amount) external;

    /// @notice An adjuster (insurer staff) decides a pended claim line by line and the plan pays.
    /// A pended claim has applied nothing to the member's accumulators: the adjuster's amounts are
    /// cost-shared now, against the member's accumulators as they stand. The authorization the
    /// rules reserved for it is kept up to what the decided lines of its code allow, the rest is
    /// given back. As in {submit}, a payment due at once to a payee the token refuses reverts the decision.
    /// @param claimId The pended claim.
    /// @param record Its {ClaimRecord}, as rebuilt from its events (checked against its `recordHash`).
    /// @param decisions One {LineDecision} per line, in the order of the record's lines: the allowed amount in the
    /// token's base units, at most the line's ceiling, and the CARC of any reduction below it.
    function decide(bytes32 claimId, ClaimRecord calldata record, LineDecision[] calldata decisions) external;

    /// @notice The member or a member of the provider organization appeals a partial or denied
    /// claim within the appeal window. Works while paused.
    /// @param claimId The `Partial` or `Denied` claim appealed.
    /// @param record Its {ClaimRecord}, as rebuilt from its events (checked against its `recordHash`); its
    /// `decidedAt` starts the appeal window.
    function appeal(bytes32 claimId, ClaimRecord calldata record) external;

    /// @notice An adjuster other than the one who decided resolves an appeal. Allowed amounts may
    /// only grow; the difference is cost-shared and paid exactly once. Refused while paused.
    /// @param claimId The `Appealed` claim.
    /// @param record Its {ClaimRecord}, as rebuilt from its events (checked against its `recordHash`); its
    /// `adjuster` may not resolve the appeal.
    /// @param decisions One {LineDecision} per line, in the order of the record's lines: the line's new allowed
    /// amount in total (not the increment) in the token's base units, no less than before and at most the ceiling,
    /// with the CARC of any reduction that remains.
    function resolveAppeal(bytes32 claimId, ClaimRecord calldata record, LineDecision[] calldata decisions) external;

    /// @notice Pays up to `max` (≤ `MAX_BATCH`) queued payments of a plan, oldest first, stopping at
    /// the first the escrow cannot cover in full; what the provider owes the plan is offset first
    /// (see {OverpaymentRecovered}), a payment the token refuses to deliver is parked (see
    /// {PaymentParked}) and the next one is tried. Anyone may call it. Refused while paused.
    /// @param planId The plan whose queue is paid.
    /// @param max The most queued payments to settle in this call: 1 to `MAX_BATCH`.
    /// @return paid the number of payments that left the queue (paid, parked, or offset in full
    /// against what their provider owed)
    function payQueued(uint64 planId, uint256 max) external returns (uint256 paid);

    /// @notice Pays everything parked for provider `providerOrg` in plan `planId` to the provider's
    /// CURRENT payee ({payeeOf}), in one transfer. Anyone may call it (it can pay no one else); a
    /// provider whose payee is blocked names another with {setPayee} first. Reverts with
    /// {NothingParked} when nothing is parked, with the token's error when it still refuses the
    /// payee (the amount stays parked), and while paused.
    /// @param planId The plan whose payments were parked.
    /// @param providerOrg The provider organization (participant-registry id) they are owed to.
    function releaseParked(uint64 planId, uint64 providerOrg) external;

    /// @notice Whether `token` may settle plans.
    /// @param token An ERC-20 token contract.
    /// @return True when `token` is on the settlement allowlist (plans may be created on it).
    function isTokenAllowed(address token) external view returns (bool);

    /// @notice Plan `planId`'s terms. Reverts with {UnknownPlan}.
    /// @param planId The plan's id.
    /// @return The plan's {PlanTerms} (amounts in its token's base units, times and windows in seconds), with
    /// `insurerOrgId` the insurer organization that owns it.
    function plan(uint64 planId) external view returns (PlanTerms memory);

    /// @notice The number of plans (the highest id).
    /// @return How many plans were created: plan ids run from 1 to this.
    function planCount() external view returns (uint64);

    /// @notice The benefit rule of `code` in `planId` (all zero when not covered).
    /// @param planId The plan's id.
    /// @param code The opaque procedure code.
    /// @return The code's {Benefit}: fee per unit, copay and per-claim cap in the plan token's base units,
    /// coinsurance in basis points, the flags and the copay design.
    function benefit(uint64 planId, bytes32 code) external view returns (Benefit memory);

    /// @notice The plan's escrow.
    /// @param planId The plan's id.
    /// @return The plan's {Funds}: `balance` and `reserved` in the plan token's base units, and the queue's head
    /// and tail positions (`queueTail - queueHead` payments wait).
    function funds(uint64 planId) external view returns (Funds memory);

    /// @notice `member`'s coverage in `planId` (zero when never enrolled).
    /// @param planId The plan's id.
    /// @param member The member's account.
    /// @return The coverage period ({Enrollment}): `start` and `end` in unix seconds, days inclusive.
    function enrollment(uint64 planId, address member) external view returns (Enrollment memory);

    /// @notice `member`'s accumulators in plan year `year` (0 = the plan year holding the plan's start).
    /// @param planId The plan's id.
    /// @param member The member's account.
    /// @param year The plan year, 0-based ({planYearOf}).
    /// @return The member's totals for that plan year in the plan token's base units ({Accumulators}): the
    /// deductible met, the out-of-pocket met (deductible, copays and coinsurance), and the benefit the plan paid
    /// (against the annual cap).
    function accumulators(uint64 planId, address member, uint256 year) external view returns (Accumulators memory);

    /// @notice The plan year (0-based) of `date` in plan `planId` (0 for a date before the plan's start).
    /// @param planId The plan's id (an unknown plan reverts with {UnknownPlan}).
    /// @param date A time in unix seconds, such as a service date.
    /// @return The 0-based plan year holding `date`: the `year` of {accumulators}.
    function planYearOf(uint64 planId, uint40 date) external view returns (uint256);

    /// @notice Authorization `authId`. Reverts with {UnknownAuthorization}.
    /// @param authId The authorization's id.
    /// @return The {Authorization}: member, plan and code; `validFrom` and `validUntil` in unix seconds (service
    /// dates from the day of `validFrom` through `validUntil`); `maxAmount` and what `remaining` of it, in the plan
    /// token's base units.
    function authorization(uint64 authId) external view returns (Authorization memory);

    /// @notice Claim `claimId`. Reverts with {UnknownClaim}.
    /// @param claimId The claim's id.
    /// @return The claim's status and `recordHash` ({Claim}); the rest of the claim is in its {ClaimRecord},
    /// rebuilt from its events.
    function claim(bytes32 claimId) external view returns (Claim memory);

    /// @notice The account provider organization `orgId` is paid at (zero when unset).
    /// @param orgId The billing organization's participant-registry id.
    /// @return The account its payments go to (its claims are refused with {PayeeNotSet} until it names one).
    function payeeOf(uint64 orgId) external view returns (address);

    /// @notice What the engine holds for provider `providerOrg` from plan `planId`'s payments the
    /// token refused to deliver (see {releaseParked}).
    /// @param planId The plan's id.
    /// @param providerOrg The provider organization's participant-registry id.
    /// @return The parked amount in the plan token's base units (0 when nothing is parked).
    function parked(uint64 planId, uint64 providerOrg) external view returns (uint256);

    /// @notice What provider `providerOrg` owes plan `planId` back from corrected and voided claims,
    /// not yet recouped or repaid.
    /// @param planId The plan's id.
    /// @param providerOrg The provider organization's participant-registry id.
    /// @return The amount owed back in the plan token's base units (0 when none).
    function owedBack(uint64 planId, uint64 providerOrg) external view returns (uint256);
}
