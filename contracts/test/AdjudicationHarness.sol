// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Adjudication} from "../claims/Adjudication.sol";

/// @notice Exposes the Adjudication library's pure functions to the tests, one to one.
contract AdjudicationHarness {
    function isCovered(uint256 from, uint256 until, uint256 date) external pure returns (bool) {
        return Adjudication.isCovered(from, until, date);
    }

    function isTimely(uint256 serviceDate, uint256 window, uint256 nowTs) external pure returns (bool) {
        return Adjudication.isTimely(serviceDate, window, nowTs);
    }

    function planYear(uint256 start, uint256 month, uint256 day, uint256 date) external pure returns (uint256) {
        return Adjudication.planYear(start, month, day, date);
    }

    function dayOf(uint256 t) external pure returns (uint256) {
        return Adjudication.dayOf(t);
    }

    function civilDate(uint256 t) external pure returns (uint256, uint256, uint256) {
        return Adjudication.civilDate(t);
    }

    function ceiling(uint256 charged, uint256 units, uint256 fee, bool capped, uint256 capLeft) external pure returns (uint256, uint16) {
        return Adjudication.ceiling(charged, units, fee, capped, capLeft);
    }

    function authorize(uint256 allowed, bool valid, uint256 remaining) external pure returns (uint256, uint256, uint16) {
        return Adjudication.authorize(allowed, valid, remaining);
    }

    function shareCost(
        uint256 allowed,
        uint256 copay,
        uint256 coinsuranceBps,
        bool copayOnly,
        Adjudication.Terms calldata t,
        Adjudication.Totals calldata acc
    )
        external
        pure
        returns (Adjudication.Share memory s, Adjudication.Totals memory updated)
    {
        updated = acc;
        s = Adjudication.shareCost(allowed, copay, coinsuranceBps, copayOnly, t, updated);
    }
}
