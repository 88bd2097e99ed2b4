/**
 * The SDK's error sentences tell a person what to do, often by naming an SDK call: every call they name
 * must exist (a client method, `claims.submitCorrection`, or an exported function, `accountGrantee(…)`),
 * and codes are said by name (a data class, a purpose, a claim status).
 */
import { expect } from "chai";
import hre from "hardhat";
import * as sdk from "../../sdk";
import { CareLedger, REVERT_MESSAGES, decodeRevertData, suiteErrors } from "../../sdk";
import { deployFixture } from "../support/fixtures";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

/** Arguments that answer any name with a placeholder, so that every sentence can be rendered. */
const anyArgs = new Proxy({}, { get: () => 1n }) as Record<string, unknown>;

const PARTS = ["participants", "consent", "disclosures", "records", "claims", "governance"] as const;

describe("error sentences", function () {
  it("every SDK call a sentence names exists", async function () {
    const { book, deployer } = await loadFixture(deployFixture);
    const cl = await CareLedger.connect(deployer, { addressBook: book });
    const named: string[] = [];
    for (const [name, explain] of Object.entries(REVERT_MESSAGES)) {
      const text = explain(anyArgs);
      for (const m of text.matchAll(/\b(participants|consent|disclosures|records|claims|governance)\.([a-zA-Z]+)\b/g)) {
        const [, part, method] = m;
        named.push(`${part}.${method}`);
        expect(typeof (cl[part as (typeof PARTS)[number]] as unknown as Record<string, unknown>)[method], `${name} names ${part}.${method}`).to.equal("function");
      }
      for (const m of text.matchAll(/(?<![.\w])([a-z][a-zA-Z]+)\(/g)) {
        if ((PARTS as readonly string[]).includes(m[1])) continue;
        named.push(`${m[1]}()`);
        expect(typeof (sdk as Record<string, unknown>)[m[1]], `${name} names ${m[1]}()`).to.equal("function");
      }
    }
    // The check is not empty: the sentences do name calls.
    expect(named).to.include.members(["claims.claim", "claims.submitCorrection", "claims.setTokenAllowed", "consentDocumentCommitment()", "buildReceiptTree()"]);
  });

  it("AccessNotPermitted says the data class and the purpose by name", function () {
    const iface = suiteErrors();
    const data = iface.encodeErrorResult("AccessNotPermitted", ["0x" + "11".repeat(20), "0x" + "22".repeat(20), sdk.DATA_CLASSES.labs, sdk.PURPOSES.HRESCH]);
    const err = decodeRevertData(data);
    expect(err.message).to.match(/may not access the labs of patient 0x1{40} for HRESCH: /i);
    const unknown = decodeRevertData(iface.encodeErrorResult("AccessNotPermitted", ["0x" + "11".repeat(20), "0x" + "22".repeat(20), 31, 7]));
    expect(unknown.message).to.contain("the class 31 of patient").and.contain("for purpose 7:");
  });

  it("a claim's status is said in words", function () {
    const err = decodeRevertData(suiteErrors().encodeErrorResult("InvalidClaimStatus", ["0x" + "ab".repeat(32), sdk.ClaimStatus.Partial]));
    expect(err.message).to.contain("is partly approved, which does not allow this step");
    expect(sdk.claimStatusName(sdk.ClaimStatus.Overturned)).to.equal("overturned on appeal");
    expect(sdk.claimStatusName(42)).to.equal("status 42");
    void hre;
  });
});
