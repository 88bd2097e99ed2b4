/**
 * The relay wire form of a passkey account's batch and of an account's deployment, without a chain:
 * what `actionBody` writes, `actionFromJson` reads back to the same action, whose id is the digest the
 * passkey signed (`executeDigest`); a refused member is named.
 */
import { expect } from "chai";
import { getAddress } from "ethers";
import { actionBody, actionDigest, actionFromJson, actionPatient, consentDomain, executeDigest, type AccountExecuteAction } from "../../sdk";

const REGISTRY = getAddress("0x0000000000000000000000000000000000000c01");
const KEY = { x: "0x" + "11".repeat(32), y: "0x" + "22".repeat(32) };
const batch: AccountExecuteAction = {
  kind: "accountExecute",
  signed: { account: getAddress("0x00000000000000000000000000000000000000aa"), calls: [{ target: REGISTRY, value: 5n, data: "0xabcdef" }], nonce: (3n << 64n) | 2n, deadline: 1_900_000_000n, signature: "0x" + "ee".repeat(70) },
};

describe("relay wire form: accountExecute and the account's deployment", function () {
  it("reads back what it writes, with the deployment, and names the account as the patient", function () {
    const body = JSON.parse(JSON.stringify(actionBody(batch, { chainId: 31337n, verifyingContract: batch.signed.account }, { account: { passkey: KEY, salt: 4n } })));
    expect(body.request.calls).to.deep.equal([{ target: REGISTRY, value: "5", data: "0xabcdef" }]);
    expect(body.account).to.deep.equal({ passkey: KEY, salt: "4" });
    const read = actionFromJson(body);
    expect(read.kind).to.equal("accountExecute");
    expect(read.account).to.deep.equal({ passkey: KEY, salt: 4n });
    expect(read.binding).to.deep.equal({ chainId: 31337n, verifyingContract: batch.signed.account });
    expect(actionPatient(read)).to.equal(batch.signed.account);
    expect(actionDigest(consentDomain(31337n, REGISTRY), read)).to.equal(executeDigest(31337n, batch.signed.account, batch.signed));
  });

  it("names the offending member", function () {
    const body = actionBody(batch, { chainId: 1n, verifyingContract: batch.signed.account }) as unknown as Record<string, unknown>;
    const field = (b: unknown) => {
      try {
        actionFromJson(b);
      } catch (err) {
        return (err as { field: string }).field;
      }
      return "accepted";
    };
    expect(field({ ...body, account: { passkey: KEY, salt: "x" } })).to.equal("account.salt");
    expect(field({ ...body, account: { passkey: KEY, pepper: 1 } })).to.equal("account.pepper");
    expect(field({ ...body, request: { ...(body.request as object), calls: "0x" } })).to.equal("request.calls");
    expect(field({ ...body, request: { ...(body.request as object), account: "0x12" } })).to.equal("request.account");
    expect(field({ ...body, request: { ...(body.request as object), calls: Array(17).fill((body.request as { calls: unknown[] }).calls[0]) } })).to.equal("request.calls");
  });
});
