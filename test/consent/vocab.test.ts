import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import {
  accountGrantee,
  ALL_CLASSES_MASK,
  ALL_PURPOSES_MASK,
  BREAK_GLASS_REASONS,
  classMask,
  classNames,
  consentDocumentCommitment,
  DATA_CLASSES,
  dataClassName,
  GENERAL_CLASSES_MASK,
  granteeKey,
  ORGANIZATION_TAG,
  organizationGrantee,
  parseGrantee,
  purposeMask,
  purposeNames,
  PURPOSES,
  reasonCodeOf,
  reasonName,
  SENSITIVE_CLASSES_MASK,
  ValidationError,
} from "../../sdk";
import { ConsentRegistry__factory } from "../../typechain-types";
import { consentFixture } from "../consent/fixtures";

/** Every `uintN internal constant NAME = value;` of the Solidity vocabulary, evaluated. */
function solidityConstants(): Map<string, bigint> {
  const src = fs.readFileSync(path.join(__dirname, "..", "..", "contracts", "consent", "ConsentVocabulary.sol"), "utf8");
  const out = new Map<string, bigint>();
  for (const [, name, expr] of src.matchAll(/uint\d+ internal constant (\w+) = ([^;]+);/g)) {
    const value = expr
      .split("|")
      .map((t) => t.trim())
      .reduce((acc, term) => {
        const shift = /^(\d+) << (\d+)$/.exec(term);
        const v = shift ? BigInt(shift[1]) << BigInt(shift[2]) : out.has(term) ? out.get(term)! : BigInt(term);
        return acc | v;
      }, 0n);
    out.set(name, value);
  }
  return out;
}

const SOL_CLASS_NAMES: Record<string, keyof typeof DATA_CLASSES> = {
  DEMOGRAPHICS: "demographics",
  CONDITIONS: "conditions",
  MEDICATIONS: "medications",
  ALLERGIES: "allergies",
  LABS: "labs",
  VITALS: "vitals",
  IMAGING: "imaging",
  PROCEDURES: "procedures",
  IMMUNIZATIONS: "immunizations",
  NOTES: "notes",
  ENCOUNTERS: "encounters",
  CARE_PLANS: "carePlans",
  CLAIMS: "claims",
  MENTAL_HEALTH: "mentalHealth",
  SUBSTANCE_USE: "substanceUse",
  HIV: "hiv",
  SEXUAL_REPRODUCTIVE_HEALTH: "sexualReproductiveHealth",
  GENOMICS: "genomics",
};

describe("consent vocabulary (SDK ↔ Solidity)", function () {
  it("the SDK's data classes, purposes, reasons, masks and tag are exactly the Solidity library's", function () {
    const sol = solidityConstants();
    for (const [solName, sdkName] of Object.entries(SOL_CLASS_NAMES)) expect(Number(sol.get(solName)), solName).to.equal(DATA_CLASSES[sdkName]);
    expect(Object.keys(DATA_CLASSES)).to.have.length(Object.keys(SOL_CLASS_NAMES).length);
    for (const p of Object.keys(PURPOSES) as (keyof typeof PURPOSES)[]) expect(Number(sol.get(p)), p).to.equal(PURPOSES[p]);
    for (const r of Object.keys(BREAK_GLASS_REASONS) as (keyof typeof BREAK_GLASS_REASONS)[]) expect(Number(sol.get(`REASON_${r}`)), r).to.equal(BREAK_GLASS_REASONS[r]);
    expect(Number(sol.get("MAX_REASON"))).to.equal(Math.max(...Object.values(BREAK_GLASS_REASONS)));
    expect(Number(sol.get("GENERAL_CLASSES"))).to.equal(GENERAL_CLASSES_MASK);
    expect(Number(sol.get("SENSITIVE_CLASSES"))).to.equal(SENSITIVE_CLASSES_MASK);
    expect(Number(sol.get("ALL_CLASSES"))).to.equal(ALL_CLASSES_MASK);
    expect(Number(sol.get("ALL_PURPOSES"))).to.equal(ALL_PURPOSES_MASK);
    expect(sol.get("ORGANIZATION_TAG")).to.equal(ORGANIZATION_TAG);
  });

  it("the contract accepts exactly the SDK's masks, and grantee keys agree", async function () {
    const { consent, patient, doctor } = await loadFixture(consentFixture);
    const until = Math.floor(Date.now() / 1000) + 10 ** 8;
    await consent.grant.staticCall(patient.address, accountGrantee(doctor.address), ALL_CLASSES_MASK, ALL_PURPOSES_MASK, 0, until, "0x" + "c0".repeat(32));
    await expect(consent.grant.staticCall(patient.address, accountGrantee(doctor.address), (ALL_CLASSES_MASK | (1 << 13)) >>> 0, 1, 0, until, "0x" + "c0".repeat(32))).to.be.revertedWithCustomError(
      consent,
      "InvalidDataClasses",
    );
    expect(await consent.organizationGrantee(42)).to.equal(organizationGrantee(42));
    expect(await consent.accountGrantee(doctor.address)).to.equal(accountGrantee(doctor.address));
    expect(ConsentRegistry__factory.createInterface().getFunction("isPermitted")).to.not.equal(null);
  });

  it("builds masks from names, case-insensitively, and names masks back", function () {
    expect(classMask("classes", ["labs", "Medications", DATA_CLASSES.hiv])).to.equal((1 << 4) | (1 << 2) | (1 << 18));
    expect(purposeMask("purposes", ["treat", "ETREAT"])).to.equal(3);
    expect(classNames(ALL_CLASSES_MASK)).to.deep.equal(Object.keys(DATA_CLASSES));
    expect(purposeNames(ALL_PURPOSES_MASK)).to.deep.equal(Object.keys(PURPOSES));
    expect(dataClassName(13)).to.equal(undefined);
    expect(reasonName(2)).to.equal("LIFE_THREATENING");
    expect(reasonCodeOf("reason", "mass_casualty")).to.equal(4);
  });

  it("refuses unknown names and empty lists, naming the field", function () {
    const field = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        expect(err).to.be.instanceOf(ValidationError);
        return (err as ValidationError).field;
      }
      throw new Error("did not throw");
    };
    expect(field(() => classMask("classes", ["labs", "labz"]))).to.equal("classes[1]");
    expect(field(() => classMask("classes", []))).to.equal("classes");
    expect(field(() => classMask("classes", "labs"))).to.equal("classes");
    expect(field(() => purposeMask("purposes", [13]))).to.equal("purposes[0]");
    expect(field(() => reasonCodeOf("reason", 0))).to.equal("reason");
    expect(field(() => granteeKey("grantee", { organization: 0 }))).to.equal("grantee");
    expect(field(() => granteeKey("grantee", 42))).to.equal("grantee");
    expect(field(() => granteeKey("grantee", "0x02" + "00".repeat(31)))).to.equal("grantee");
    expect(field(() => parseGrantee("0x" + "00".repeat(32)))).to.equal("grantee");
    expect(field(() => consentDocumentCommitment({}, "0x12"))).to.equal("salt");
    expect(field(() => consentDocumentCommitment("text", "0x" + "11".repeat(32)))).to.equal("document");
  });

  it("keys grantees and decodes them back", function () {
    const a = "0x00000000000000000000000000000000000000A1";
    expect(parseGrantee(granteeKey("g", { account: a }))).to.deep.equal({ kind: "account", account: "0x00000000000000000000000000000000000000A1" });
    expect(parseGrantee(granteeKey("g", { organization: 7n }))).to.deep.equal({ kind: "organization", orgId: 7n });
    expect(granteeKey("g", a)).to.equal(accountGrantee(a));
    expect(granteeKey("g", organizationGrantee(3))).to.equal(organizationGrantee(3));
    expect(organizationGrantee(3)).to.equal("0x0100000000000000000000000000000000000000000000000000000000000003");
  });

  it("commits a consent document with its salt: canonical, salted, deterministic", function () {
    const salt = "0x" + "11".repeat(32);
    const a = consentDocumentCommitment({ b: 1, a: [1, 2] }, salt);
    expect(consentDocumentCommitment({ a: [1, 2], b: 1 }, salt)).to.equal(a);
    expect(consentDocumentCommitment({ a: [1, 2], b: 1 }, "0x" + "12".repeat(32))).to.not.equal(a);
  });
});
