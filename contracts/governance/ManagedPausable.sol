// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

/// @title ManagedPausable
/// @notice The base of every CareLedger contract: its privileged functions are `restricted` by the
/// suite's one `AccessManager` (which maps each selector to a role and applies that role's execution
/// delay), and it can be paused and unpaused by whoever the manager allows (the pauser role).
abstract contract ManagedPausable is AccessManaged, Pausable {
    constructor(address authority) AccessManaged(authority) {}

    /// @notice Stops the operations each contract marks as pausable. Pauser role.
    function pause() external restricted {
        _pause();
    }

    /// @notice Resumes the paused operations. Pauser role.
    function unpause() external restricted {
        _unpause();
    }
}
