/**
 * The inputs every client takes the same way (issue 13 C.13): one time input and its one conversion,
 * ids, the contracts' limits as named constants equal to the contracts' own, and the settlement
 * tokens' standard errors decoded with a sentence.
 */
import { expect } from "chai";
import fc from "fast-check";
import { Interface, isHexString } from "ethers";
import { isBytes32 } from "../../sdk/core/validate";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import * as sdk from "../../sdk";
import { ContractRevertError, dayTimestamp, decodeRevertData, MAX_BATCH, MAX_LINES, REVERT_MESSAGES, suiteErrors, toSeconds, ValidationError, type TimeInput } from "../../sdk";
import { toSeconds as consentToSeconds } from "../../sdk/consent/params";
import { requireTime } from "../../sdk/claims/rules";
import { deployFixture } from "../support/fixtures";

function refusal(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ValidationError);
    return err as ValidationError;
  }
  throw new Error("expected a ValidationError");
}

describe("SDK inputs", function () {
  it("takes as 32 bytes of hex exactly what ethers' isHexString(value, 32) takes (isBytes32, behind requireBytes32 and requireSalt)", function () {
    const hexChar = fc.constantFrom(..."0123456789abcdefABCDEFgxX \n".split(""));
    const candidate = fc.oneof(
      fc.string(),
      fc.string({ unit: hexChar, minLength: 62, maxLength: 67 }).map((h) => "0x" + h),
      fc.string({ unit: hexChar, minLength: 64, maxLength: 64 }).map((h) => "0x" + h),
      fc.constantFrom("0X" + "a".repeat(64), "0x" + "A".repeat(64), "0x" + "a".repeat(64) + "\n", "\n0x" + "a".repeat(64), 42, null, undefined),
    );
    fc.assert(fc.property(candidate, (v) => isBytes32(v) === (typeof v === "string" && isHexString(v, 32))), { numRuns: 5_000 });
  });

  describe("one time input", function () {
    it("takes a Date (to the second), whole seconds (number or bigint) and a day \"YYYY-MM-DD\" (midnight UTC)", function () {
      const cases: [TimeInput, number][] = [
        [new Date("2026-01-05T10:20:30.999Z"), Date.UTC(2026, 0, 5, 10, 20, 30) / 1000],
        [1_767_607_230, 1_767_607_230],
        [1_767_607_230n, 1_767_607_230],
        ["2026-01-05", Date.UTC(2026, 0, 5) / 1000],
        ["2024-02-29", Date.UTC(2024, 1, 29) / 1000],
        [0, 0],
        [2 ** 40 - 1, 2 ** 40 - 1],
      ];
      for (const [value, seconds] of cases) expect(toSeconds("t", value), String(value)).to.equal(seconds);
    });

    it("is one conversion: the consent client's and the claims client's are the SDK's", function () {
      expect(consentToSeconds).to.equal(toSeconds);
      expect(requireTime).to.equal(toSeconds);
    });

    it("refuses what is not a time, naming the field, never rolling a day over", function () {
      const bad: unknown[] = [
        "2025-02-30",
        "2025-13-45",
        "2023-02-29",
        "2025-04-31",
        "2025-00-10",
        "2025-01-00",
        "1969-12-31",
        "2025-1-5",
        "2025-01-05T10:00:00Z",
        "1767607230",
        "tomorrow",
        "",
        1.5,
        -1,
        -1n,
        2 ** 40,
        2n ** 40n,
        Number.NaN,
        Number.POSITIVE_INFINITY,
        new Date("not a date"),
        new Date(-1000),
        null,
        undefined,
        {},
      ];
      for (const value of bad) {
        const err = refusal(() => toSeconds("validUntil", value));
        expect(err.field, String(value)).to.equal("validUntil");
        expect(err.message, String(value)).to.match(/^validUntil: /);
      }
    });

    it("dayTimestamp takes a FHIR dateTime's day but refuses a day that does not exist", function () {
      expect(dayTimestamp("2024-03-05T23:59:59+05:00")).to.equal(Date.UTC(2024, 2, 5) / 1000);
      expect(dayTimestamp(new Date("2024-03-05T12:00:00Z"))).to.equal(Date.UTC(2024, 2, 5) / 1000);
      expect(dayTimestamp(BigInt(Date.UTC(2024, 2, 5, 12) / 1000))).to.equal(Date.UTC(2024, 2, 5) / 1000);
      for (const day of ["2025-02-30", "2025-02-30T00:00:00Z", "2025-13-01", "2025-03-05x"]) {
        expect(refusal(() => dayTimestamp(day, "Claim.billablePeriod.start")).field, day).to.equal("Claim.billablePeriod.start");
      }
    });
  });

  describe("ids", function () {
    it("a submission's authId that is not a whole number is a ValidationError naming authId; 0 is none", function () {
      const s = {
        planId: 1n,
        member: "0x" + "12".repeat(20),
        providerOrg: 1n,
        serviceDate: Date.UTC(2026, 0, 5) / 1000,
        authId: 0n,
        evidence: "0x" + "11".repeat(32),
        lines: [{ code: sdk.procedureCode("sct", "185345009"), units: 1, charged: 100n }],
      };
      expect(sdk.validateSubmission({ ...s, authId: "0" as never }).authId).to.equal(0n);
      expect(sdk.validateSubmission({ ...s, authId: 7 as never }).authId).to.equal(7n);
      for (const authId of ["abc", 1.5, -1, "0x"]) expect(refusal(() => sdk.validateSubmission({ ...s, authId: authId as never })).field, String(authId)).to.equal("authId");
      expect(refusal(() => sdk.validateSubmission({ ...s, serviceDate: "2026-02-30" as never })).field).to.equal("serviceDate");
      expect(refusal(() => sdk.validateSubmission({ ...s, lines: Array(MAX_LINES + 1).fill(s.lines[0]) })).message).to.contain(`1 to ${MAX_LINES} lines`);
    });
  });

  describe("limits", function () {
    it("every limit the SDK exports equals the contract's public constant", async function () {
      const { claims } = await loadFixture(deployFixture);
      expect({ MAX_LINES, MAX_BATCH }).to.deep.equal({ MAX_LINES: Number(await claims.MAX_LINES()), MAX_BATCH: Number(await claims.MAX_BATCH()) });
    });
  });

  describe("the settlement token's standard errors", function () {
    const ierc20Errors = async () => new Interface((await hre.artifacts.readArtifact("IERC20Errors")).abi);

    it("decodes every IERC20Errors error (OpenZeppelin's artifact) with a sentence", async function () {
      const iface = await ierc20Errors();
      const names: string[] = [];
      iface.forEachError((e) => {
        names.push(e.name);
        expect(suiteErrors().getError(e.selector)?.format("full"), e.name).to.equal(e.format("full"));
        expect(REVERT_MESSAGES[e.name], e.name).to.be.a("function");
      });
      expect(names).to.have.members(["ERC20InsufficientBalance", "ERC20InvalidSender", "ERC20InvalidReceiver", "ERC20InsufficientAllowance", "ERC20InvalidApprover", "ERC20InvalidSpender"]);
    });

    it("names the account, its balance and what was needed", async function () {
      const iface = await ierc20Errors();
      const account = "0x" + "ab".repeat(20);
      const err = decodeRevertData(iface.encodeErrorResult("ERC20InsufficientBalance", [account, 5n, 1_000_000n]));
      expect(err).to.be.instanceOf(ContractRevertError);
      expect([err.errorName, err.code, err.args.needed]).to.deep.equal(["ERC20InsufficientBalance", "ERC20_INSUFFICIENT_BALANCE", 1_000_000n]);
      expect(err.message).to.match(/^ERC20InsufficientBalance: 0x[aA][bB]\w+ holds 5 of the token, less than the 1000000 this transfer needs: /);
    });
  });
});
