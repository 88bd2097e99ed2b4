// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IClaimsEngine} from "./IClaimsEngine.sol";
import {IParticipantRegistry} from "../participants/IParticipantRegistry.sol";
import {ClaimsAdmin} from "./ClaimsAdmin.sol";
import {ClaimsCore} from "./ClaimsCore.sol";

/// @title ClaimsLifecycle
/// @notice What happens to a ClaimsEngine claim after its submission, but for corrections and
/// resubmissions (the engine runs those itself, {ClaimsCore-correct}, for their gas): adjusters'
/// decisions and appeal resolutions, and the provider's voids; an external library the engine
/// delegate-calls (for the engine's code size). Adjudication, settlement and retirement are
/// {ClaimsCore}'s, the same code the engine's submission runs.
/// @dev No service is paid twice through any chain of corrections: a claim's `planPaid` is what
/// the plan has committed for the service over its whole chain, net of what was booked as owed
/// back; a correction is credited with exactly that, and what the provider owes is recouped from
/// its next payments under the plan (or repaid).
library ClaimsLifecycle {
    /// @notice See {IClaimsEngine-decide} (`appeal` false) and {IClaimsEngine-resolveAppeal}
    /// (`appeal` true). The engine applies `nonReentrant` and `whenNotPaused`.
    function adjusterStep(
        ClaimsAdmin.PlanBook storage book,
        IParticipantRegistry registry,
        bytes32 claimId,
        IClaimsEngine.ClaimRecord calldata record,
        IClaimsEngine.LineDecision[] calldata decisions,
        bool appeal
    ) external {
        ClaimsCore.adjusterStep(book, registry, claimId, record, decisions, appeal ? ClaimsCore.Mode.Appeal : ClaimsCore.Mode.Decide);
    }

    /// @notice See {IClaimsEngine-voidClaim}. The engine applies `nonReentrant` and `whenNotPaused`.
    function voidClaim(ClaimsAdmin.PlanBook storage book, IParticipantRegistry registry, bytes32 claimId, IClaimsEngine.ClaimRecord calldata record) external {
        uint96 owed = ClaimsCore.retire(book, registry, claimId, record, IClaimsEngine.ClaimStatus.Voided);
        emit IClaimsEngine.ClaimVoided(claimId, msg.sender, owed);
        if (owed != 0) ClaimsCore.recordOverpayment(book, record.planId, claimId, record.providerOrg, owed);
    }
}
