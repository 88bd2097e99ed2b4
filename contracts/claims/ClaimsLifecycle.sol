// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IClaimsEngine} from "./IClaimsEngine.sol";
import {IParticipantRegistry} from "../participants/IParticipantRegistry.sol";
import {ClaimsCore} from "./ClaimsCore.sol";
import {ClaimsEscrow} from "./ClaimsEscrow.sol";
import {ClaimsPlans} from "./ClaimsPlans.sol";

/// @title ClaimsLifecycle
/// @notice What happens to a ClaimsEngine claim after its submission, but for corrections and
/// resubmissions (the engine runs those itself, {ClaimsCore-correct}, for their gas): members' and providers'
/// appeals, adjusters'
/// decisions and appeal resolutions, and the provider's voids; an external library the engine
/// delegate-calls (for the engine's code size). Adjudication, settlement and retirement are
/// {ClaimsCore}'s, the same code the engine's submission runs.
/// @dev No service is paid twice through any chain of corrections: a claim's `planPaid` is what
/// the plan has committed for the service over its whole chain, net of what was booked as owed
/// back; a correction is credited with exactly that, and what the provider owes is recouped from
/// its next payments under the plan (or repaid).
library ClaimsLifecycle {
    /// @notice See {IClaimsEngine-decide} (`onAppeal` false) and {IClaimsEngine-resolveAppeal}
    /// (`onAppeal` true). The engine applies `nonReentrant` and `whenNotPaused`.
    function adjusterStep(
        ClaimsPlans.PlanBook storage book,
        IParticipantRegistry registry,
        bytes32 claimId,
        IClaimsEngine.ClaimRecord calldata record,
        IClaimsEngine.LineDecision[] calldata decisions,
        bool onAppeal
    ) external {
        ClaimsCore.adjusterStep(book, registry, claimId, record, decisions, onAppeal ? ClaimsCore.Mode.Appeal : ClaimsCore.Mode.Decide);
    }

    /// @notice See {IClaimsEngine-voidClaim}. The engine applies `nonReentrant` and `whenNotPaused`.
    function voidClaim(ClaimsPlans.PlanBook storage book, IParticipantRegistry registry, bytes32 claimId, IClaimsEngine.ClaimRecord calldata record) external {
        uint96 owed = ClaimsCore.retire(book, registry, claimId, record, IClaimsEngine.ClaimStatus.Voided);
        emit IClaimsEngine.ClaimVoided(claimId, msg.sender, owed);
        if (owed != 0) ClaimsEscrow.recordOverpayment(book, record.planId, claimId, record.providerOrg, owed);
    }

    /// @notice See {IClaimsEngine-appeal}.
    /// @dev The record is checked against the claim's `recordHash` as the engine checks it (the ABI
    /// encoding of a calldata record equals that of its memory copy).
    function appeal(ClaimsPlans.PlanBook storage book, IParticipantRegistry registry, bytes32 claimId, IClaimsEngine.ClaimRecord calldata record) external {
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
}
