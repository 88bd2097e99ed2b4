/**
 * Tests written to kill the mutants of DisclosureLog that survived its main suite (SuMo, see
 * docs/mutation.md): `msg.sender` → `tx.origin` in the membership question, in the suspended
 * organization's error and in the event's `by`. Every gateway account of the main suite was a wallet,
 * where `msg.sender` and `tx.origin` are one: here the caller is a contract, a member or not, driven by
 * a wallet whose standing is the opposite.
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { OrgKind } from "../../sdk";
import { disclosureFixture, HOSPITAL } from "./fixtures";

const ROOT = "0x" + "77".repeat(32);

/** The fixture plus the intermediary (a contract) made a member of the hospital: a gateway running as a smart account. */
async function contractMemberFixture() {
  const f = await disclosureFixture();
  await f.registry.connect(f.hospitalAdmin).addMember(HOSPITAL, f.intermediary.target, false);
  const anchor = f.log.interface.encodeFunctionData("anchorDisclosures", [ROOT, 3]);
  return { ...f, anchor };
}

describe("DisclosureLog (mutation-killing tests)", function () {
  it("a hospital's member contract anchors, driven by a wallet of no standing, and is named as the account that anchored", async function () {
    const { log, intermediary, outsider, anchor } = await loadFixture(contractMemberFixture);
    await expect(intermediary.connect(outsider).forward(log.target, anchor)).to.emit(log, "DisclosuresAnchored").withArgs(HOSPITAL, ROOT, 3, intermediary.target);
    expect((await log.anchorOf(HOSPITAL, ROOT)).orgId).to.equal(HOSPITAL);
  });

  it("a contract of no standing is refused, though a member's wallet drives it", async function () {
    const { log, intermediary, doctor } = await loadFixture(disclosureFixture);
    const anchor = log.interface.encodeFunctionData("anchorDisclosures", [ROOT, 3]);
    await expect(intermediary.connect(doctor).forward(log.target, anchor)).to.be.revertedWithCustomError(log, "NotDisclosingMember").withArgs(intermediary.target, 0, OrgKind.None);
  });

  it("names the suspended organization's member contract, not the wallet driving it", async function () {
    const { log, registry, pauser, intermediary, outsider, anchor } = await loadFixture(contractMemberFixture);
    await registry.connect(pauser).suspendOrganization(HOSPITAL);
    await expect(intermediary.connect(outsider).forward(log.target, anchor)).to.be.revertedWithCustomError(log, "DisclosingOrganizationSuspended").withArgs(HOSPITAL, intermediary.target);
  });
});
