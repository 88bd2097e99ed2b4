import { expect } from "chai";
import { AbiCoder, ErrorFragment, Interface } from "ethers";
import {
  ContractRevertError,
  decodeRevertData,
  errorCode,
  findRevertData,
  REVERT_MESSAGES,
  suiteErrors,
  toCareLedgerError,
  ValidationError,
} from "../../sdk";

/** A plausible value for an ABI type, so every error can be encoded and decoded. */
function sample(type: string, i: number): unknown {
  if (type === "address") return "0x" + (i + 1).toString(16).padStart(40, "0");
  if (type.startsWith("uint") || type.startsWith("int")) return BigInt(i + 7);
  if (type === "bool") return true;
  if (type === "bytes32") return "0x" + (i + 1).toString(16).padStart(64, "0");
  if (type === "bytes4") return "0xdeadbeef";
  if (/^bytes\d+$/.test(type)) return "0x" + "ab".repeat(Number(type.slice(5)));
  if (type === "bytes") return "0x1234";
  if (type === "string") return "why";
  throw new Error(`no sample for ${type}`);
}

describe("SDK errors", function () {
  const fragments = suiteErrors().fragments.filter((f): f is ErrorFragment => f.type === "error");

  it("knows at least the registry's and the AccessManager's errors", function () {
    const names = fragments.map((f) => f.name);
    for (const n of ["NotOrganizationAdmin", "AlreadyMember", "AccessManagedUnauthorized", "EnforcedPause", "AccessManagerNotScheduled"]) {
      expect(names).to.include(n);
    }
  });

  it("has a sentence a person can act on for every custom error of the suite", function () {
    const missing = fragments.map((f) => f.name).filter((n) => !REVERT_MESSAGES[n]);
    expect(missing, `errors without a message: ${missing.join(", ")}`).to.deep.equal([]);
  });

  it("decodes every custom error into a typed error with its name, code and arguments", function () {
    const iface = new Interface(fragments);
    for (const fragment of fragments) {
      const values = fragment.inputs.map((input, i) => sample(input.type, i));
      const data = iface.encodeErrorResult(fragment, values);
      const err = decodeRevertData(data);
      expect(err).to.be.instanceOf(ContractRevertError);
      expect(err.errorName).to.equal(fragment.name);
      expect(err.code).to.equal(errorCode(fragment.name));
      expect(err.data).to.equal(data);
      fragment.inputs.forEach((input, i) => {
        expect(err.args[input.name || `arg${i}`], `${fragment.name}.${input.name}`).to.equal(values[i]);
      });
      expect(err.message.startsWith(`${fragment.name}: `)).to.equal(true);
    }
  });

  it("puts the offending values into the sentence", function () {
    const iface = new Interface(fragments);
    const data = iface.encodeErrorResult("NotOrganizationAdmin", ["0x00000000000000000000000000000000000000aa", 42n]);
    const err = decodeRevertData(data);
    expect(err.message).to.equal(
      "NotOrganizationAdmin: 0x00000000000000000000000000000000000000AA is not an admin of organization 42: ask one of its admins to do this, or the registrar to appoint you",
    );
    expect(err.args).to.deep.equal({ caller: "0x00000000000000000000000000000000000000AA", orgId: 42n });
  });

  it("decodes require strings, panics and unknown errors", function () {
    const coder = AbiCoder.defaultAbiCoder();
    const reason = decodeRevertData("0x08c379a0" + coder.encode(["string"], ["nope"]).slice(2));
    expect([reason.errorName, reason.code, reason.args.reason, reason.message]).to.deep.equal(["Error", "ERROR", "nope", "reverted: nope"]);
    const panic = decodeRevertData("0x4e487b71" + coder.encode(["uint256"], [0x21]).slice(2));
    expect([panic.errorName, panic.code, panic.args.code]).to.deep.equal(["Panic", "PANIC", 0x21n]);
    expect(panic.message).to.contain("out of range for its enum");
    const oddPanic = decodeRevertData("0x4e487b71" + coder.encode(["uint256"], [0x99]).slice(2));
    expect(oddPanic.message).to.contain("panic code 153");
    const unknown = decodeRevertData("0x12345678");
    expect([unknown.errorName, unknown.code, unknown.args.selector]).to.deep.equal(["UnknownRevert", "UNKNOWN_REVERT", "0x12345678"]);
  });

  it("turns names into stable codes", function () {
    expect(errorCode("NotOrganizationAdmin")).to.equal("NOT_ORGANIZATION_ADMIN");
    expect(errorCode("AccessManagerNotScheduled")).to.equal("ACCESS_MANAGER_NOT_SCHEDULED");
    expect(errorCode("EnforcedPause")).to.equal("ENFORCED_PAUSE");
  });

  it("finds revert data nested anywhere in a provider's error", function () {
    const data = "0xd93c0665";
    expect(findRevertData({ error: { error: { data } } })).to.equal(data);
    expect(findRevertData({ info: { error: { data: { data } } } })).to.equal(data);
    expect(findRevertData({ cause: { data } })).to.equal(data);
    expect(findRevertData({ data: "0x" })).to.equal(undefined);
    expect(findRevertData("a string")).to.equal(undefined);
  });

  it("leaves errors without revert data as they are, and typed errors untouched", function () {
    const network = new Error("ECONNREFUSED");
    expect(toCareLedgerError(network)).to.equal(network);
    const typed = new ValidationError("admin", "is wrong");
    expect(toCareLedgerError(typed)).to.equal(typed);
    expect(typed.message).to.equal("admin: is wrong");
    expect(typed.code).to.equal("INVALID_INPUT");
    const decoded = toCareLedgerError({ data: "0xd93c0665" }) as ContractRevertError;
    expect(decoded.errorName).to.equal("EnforcedPause");
  });
});
