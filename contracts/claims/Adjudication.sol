// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Adjudication
/// @notice The pure arithmetic of adjudicating one claim line, written once and tested alone:
/// eligibility dates, the fee-schedule ceiling, prior authorization, then cost sharing
/// (deductible, copay, coinsurance) stopped by the out-of-pocket maximum, then the annual cap.
/// @dev Amounts are token units (uint256 in memory; the caller narrows them for storage). Every
/// function is pure; the engine supplies state and writes the results back. Conventions:
/// - coverage: `from <= date <= until`, both inclusive (the SDK passes midnight UTC of each day);
/// - timely filing: filed at `now <= serviceDate + window`;
/// - plan years are civil years (UTC): a plan's year starts every year on the same month and day
///   (January 1 for a calendar-year plan, or an anniversary); plan year 0 is the one holding the
///   plan's start, so a plan starting mid-year has a short first year;
/// - order of cost sharing on a line: deductible first, then the copay, then coinsurance on what is
///   left; each is limited by what remains of the out-of-pocket maximum (the deductible counts
///   toward it); coinsurance rounds down to the unit, so the member never pays a fraction more.
///   A copay-only benefit (`copayOnly`) waives the deductible and has no coinsurance: the member
///   pays the copay (within the out-of-pocket maximum) and the plan the rest;
/// - the annual cap limits the plan's share; the excess is not allowed (CARC 119), so that
///   `memberShare + plan == allowed` holds exactly on every line.
library Adjudication {
    /// @notice CARC 1: deductible amount.
    uint16 internal constant CARC_DEDUCTIBLE = 1;
    /// @notice CARC 2: coinsurance amount.
    uint16 internal constant CARC_COINSURANCE = 2;
    /// @notice CARC 3: co-payment amount.
    uint16 internal constant CARC_COPAY = 3;
    /// @notice CARC 27: expenses incurred after coverage terminated (or before it began).
    uint16 internal constant CARC_NOT_COVERED_ON_DATE = 27;
    /// @notice CARC 29: the time limit for filing has expired.
    uint16 internal constant CARC_TIMELY_FILING = 29;
    /// @notice CARC 96: non-covered charge (the code is not in the plan's fee schedule).
    uint16 internal constant CARC_NON_COVERED = 96;
    /// @notice CARC 119: benefit maximum for this time period or occurrence has been reached.
    uint16 internal constant CARC_BENEFIT_MAXIMUM = 119;
    /// @notice CARC 197: precertification/authorization absent, expired or exceeded.
    uint16 internal constant CARC_AUTHORIZATION = 197;
    /// @notice Basis points in one whole.
    uint256 internal constant BPS = 10_000;
    /// @notice Days from 0000-03-01 to 1970-01-01 in the proleptic Gregorian calendar.
    uint256 private constant EPOCH_SHIFT = 719_468;
    /// @notice Days in a 400-year Gregorian era.
    uint256 private constant DAYS_PER_ERA = 146_097;

    /// @notice A plan's member cost-sharing terms. `annualCap == 0` means no cap.
    struct Terms {
        uint256 deductible;
        uint256 outOfPocketMax;
        uint256 annualCap;
    }

    /// @notice A member's plan-year accumulators.
    struct Totals {
        uint256 deductibleMet;
        uint256 outOfPocketMet;
        uint256 benefitPaid;
    }

    /// @notice One line's split. `deductible + copay + coinsurance + plan == allowed`.
    struct Share {
        uint256 allowed;
        uint256 deductible;
        uint256 copay;
        uint256 coinsurance;
        uint256 plan;
        uint16 reason;
    }

    /// @notice Whether the day `date` (midnight UTC) lies in the coverage period `[from, until]`,
    /// by days: a period starting in the middle of a day covers that day (an unset period, until = 0,
    /// covers nothing).
    function isCovered(uint256 from, uint256 until, uint256 date) internal pure returns (bool) {
        // solhint-disable-next-line gas-strict-inequalities
        return until != 0 && dayOf(from) <= date && date <= until;
    }

    /// @notice Midnight UTC of the day holding `t`.
    function dayOf(uint256 t) internal pure returns (uint256) {
        return t - (t % 1 days);
    }

    /// @notice Whether a claim for `serviceDate` filed at `nowTs` is within the filing window.
    function isTimely(uint256 serviceDate, uint256 window, uint256 nowTs) internal pure returns (bool) {
        // solhint-disable-next-line gas-strict-inequalities
        return nowTs <= serviceDate + window;
    }

    /// @notice The plan year (0-based) of `date` in a plan starting at `start` whose years begin
    /// on `month`/`day` (UTC); `date >= start`. Year 0 is the plan year holding `start`.
    function planYear(uint256 start, uint256 month, uint256 day, uint256 date) internal pure returns (uint256) {
        return yearBeginning(date, month, day) - yearBeginning(start, month, day);
    }

    /// @notice The civil year in which the plan year holding `t` began, for years beginning on
    /// `month`/`day`: `t`'s own year on or after that day, the year before otherwise.
    function yearBeginning(uint256 t, uint256 month, uint256 day) internal pure returns (uint256) {
        (uint256 y, uint256 m, uint256 d) = civilDate(t);
        // solhint-disable-next-line gas-strict-inequalities
        return m > month || (m == month && d >= day) ? y : y - 1;
    }

    /// @notice The UTC calendar date (year, month 1-12, day 1-31) of unix time `t` (Howard
    /// Hinnant's `civil_from_days`, for the proleptic Gregorian calendar; exact for every `t >= 0`).
    function civilDate(uint256 t) internal pure returns (uint256 year, uint256 month, uint256 day) {
        uint256 z = t / 1 days + EPOCH_SHIFT;
        uint256 era = z / DAYS_PER_ERA;
        uint256 doe = z - era * DAYS_PER_ERA; // day of era, [0, 146096]
        uint256 yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // year of era, [0, 399]
        uint256 doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of the year from March 1, [0, 365]
        uint256 mp = (5 * doy + 2) / 153; // month from March, [0, 11]
        day = doy - (153 * mp + 2) / 5 + 1;
        month = mp < 10 ? mp + 3 : mp - 9;
        year = yoe + era * 400 + (month < 3 ? 1 : 0);
    }

    /// @notice The fee-schedule ceiling of a line: min(charged, fee x units), limited by what is
    /// left of the code's per-claim cap (`capped`: the code has one; `capLeft`: the cap less what
    /// earlier lines of the claim allowed for the code; CARC 119). A code without a fee is not
    /// covered (CARC 96).
    function ceiling(uint256 charged, uint256 units, uint256 fee, bool capped, uint256 capLeft)
        internal
        pure
        returns (uint256 allowed, uint16 reason)
    {
        if (fee == 0) return (0, CARC_NON_COVERED);
        allowed = fee * units;
        if (charged < allowed) allowed = charged;
        if (capped && allowed > capLeft) return (capLeft, CARC_BENEFIT_MAXIMUM);
    }

    /// @notice Applies a prior authorization to a line that needs one: none or an invalid one
    /// (wrong member, code, plan, or the service outside its window) denies the line; an
    /// authorization with less remaining than `allowed` allows only what remains (exhausted = 0).
    /// Both are CARC 197. `consumed` is what the line uses of the authorization.
    function authorize(uint256 allowed, bool valid, uint256 remaining) internal pure returns (uint256 granted, uint256 consumed, uint16 reason) {
        if (!valid) return (0, 0, CARC_AUTHORIZATION);
        if (allowed > remaining) return (remaining, remaining, CARC_AUTHORIZATION);
        return (allowed, allowed, 0);
    }

    /// @notice Splits `allowed` between member and plan and updates `acc` in place.
    /// @param copay the line's copay (0 for none)
    /// @param coinsuranceBps the member's coinsurance in basis points (≤ 10,000; 0 when `copayOnly`)
    /// @param copayOnly the benefit waives the deductible (and has no coinsurance)
    function shareCost(uint256 allowed, uint256 copay, uint256 coinsuranceBps, bool copayOnly, Terms memory t, Totals memory acc)
        internal
        pure
        returns (Share memory s)
    {
        uint256 oopLeft = t.outOfPocketMax > acc.outOfPocketMet ? t.outOfPocketMax - acc.outOfPocketMet : 0;
        uint256 dedLeft = t.deductible > acc.deductibleMet && !copayOnly ? t.deductible - acc.deductibleMet : 0;
        s.deductible = _min(allowed, _min(dedLeft, oopLeft));
        uint256 rest = allowed - s.deductible;
        oopLeft -= s.deductible;
        s.copay = _min(copay, _min(rest, oopLeft));
        rest -= s.copay;
        oopLeft -= s.copay;
        s.coinsurance = _min((rest * coinsuranceBps) / BPS, oopLeft);
        uint256 member = s.deductible + s.copay + s.coinsurance;
        s.plan = allowed - member;
        s.allowed = allowed;
        if (t.annualCap != 0) {
            uint256 capLeft = t.annualCap > acc.benefitPaid ? t.annualCap - acc.benefitPaid : 0;
            if (s.plan > capLeft) {
                s.allowed -= s.plan - capLeft;
                s.plan = capLeft;
                s.reason = CARC_BENEFIT_MAXIMUM;
            }
        }
        acc.deductibleMet += s.deductible;
        acc.outOfPocketMet += member;
        acc.benefitPaid += s.plan;
    }

    function _min(uint256 a, uint256 b) private pure returns (uint256) {
        return a < b ? a : b;
    }
}
