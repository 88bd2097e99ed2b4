// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IClaimsEngine} from "../interfaces/IClaimsEngine.sol";
import {IParticipantRegistry} from "../interfaces/IParticipantRegistry.sol";
import {IRecordEvidence} from "../interfaces/IRecordEvidence.sol";
import {ClaimsAdmin} from "./ClaimsAdmin.sol";
import {ClaimsCore} from "./ClaimsCore.sol";

/// @title ClaimsLifecycle
/// @notice What happens to a ClaimsEngine claim after its submission: adjusters' decisions and
/// appeal resolutions, and the provider's corrections, resubmissions and voids; an external
/// library the engine delegate-calls (for the engine's code size). Adjudication and settlement are
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

    /// @notice See {IClaimsEngine-submitCorrection}: retires `replaces`, then submits the corrected
    /// claim ({ClaimsCore-submit}) with what the plan had committed for the service over the chain,
    /// the replaced claim's service key, and whether an adjuster decided it or was to decide it (the
    /// correction then pends for an adjuster too): its {ClaimsCore-Link}. The engine applies
    /// `nonReentrant` and `whenNotPaused`.
    function correct(
        ClaimsAdmin.PlanBook storage book,
        IParticipantRegistry registry,
        IRecordEvidence evidence,
        IClaimsEngine.Submission calldata s,
        bytes32 replaces,
        IClaimsEngine.ClaimRecord calldata original
    ) external returns (bytes32, IClaimsEngine.ClaimStatus, uint96) {
        ClaimsCore.Link memory link;
        link.replaces = replaces;
        link.reviewed = original.adjuster != address(0) || book.claims[replaces].status == IClaimsEngine.ClaimStatus.Pended;
        link.credit = _retire(book, registry, replaces, original, IClaimsEngine.ClaimStatus.Replaced);
        if (original.planId != s.planId || original.member != s.member || original.providerOrg != s.providerOrg) {
            revert IClaimsEngine.CorrectionMismatch(replaces);
        }
        link.replacedKey = ClaimsCore.serviceKey(s.planId, s.member, s.providerOrg, original.serviceDate, original.lines);
        return ClaimsCore.submit(book, registry, evidence, s, link);
    }

    /// @notice See {IClaimsEngine-voidClaim}. The engine applies `nonReentrant` and `whenNotPaused`.
    function voidClaim(ClaimsAdmin.PlanBook storage book, IParticipantRegistry registry, bytes32 claimId, IClaimsEngine.ClaimRecord calldata record) external {
        uint96 owed = _retire(book, registry, claimId, record, IClaimsEngine.ClaimStatus.Voided);
        emit IClaimsEngine.ClaimVoided(claimId, msg.sender, owed);
        if (owed != 0) ClaimsCore.recordOverpayment(book, record.planId, claimId, record.providerOrg, owed);
    }

    /// @dev Retires a claim its provider corrects or voids: its accumulators are reversed (a
    /// pended claim applied none; its exposure is released), its authorization given back, its
    /// citation of its evidence released, its status set. Returns what the plan had committed for the service over the claim's chain (for
    /// a pended claim, the credit it carried from the claim it replaced).
    function _retire(
        ClaimsAdmin.PlanBook storage book,
        IParticipantRegistry registry,
        bytes32 claimId,
        IClaimsEngine.ClaimRecord calldata r,
        IClaimsEngine.ClaimStatus retiredAs
    ) private returns (uint96 committed) {
        IClaimsEngine.Claim storage o = ClaimsCore.requireClaim(book, claimId);
        IClaimsEngine.ClaimStatus st = o.status;
        if (st == IClaimsEngine.ClaimStatus.Appealed || st == IClaimsEngine.ClaimStatus.Replaced || st == IClaimsEngine.ClaimStatus.Voided) {
            revert IClaimsEngine.InvalidClaimStatus(claimId, st);
        }
        // The ABI encoding of a calldata record equals that of its memory copy (ClaimsCore.hashOf).
        if (bytes31(keccak256(abi.encode(r))) != o.recordHash) revert IClaimsEngine.RecordMismatch(claimId);
        (bool active, uint64 orgId, ) = registry.isActiveMember(msg.sender);
        if (!active || orgId != r.providerOrg) revert IClaimsEngine.NotClaimProvider(msg.sender, claimId);
        if (st == IClaimsEngine.ClaimStatus.Pended) {
            book.funds[r.planId].reserved -= r.planPaid;
            committed = r.credit;
        } else {
            committed = r.planPaid;
            ClaimsCore.reverseAccumulators(book, r.planId, r, committed);
        }
        if (r.authUsed != 0) ClaimsCore.returnAuthorization(book, r.authId, claimId, r.authUsed);
        ClaimsCore.releaseEvidence(book, r.evidence);
        o.status = retiredAs;
    }
}
