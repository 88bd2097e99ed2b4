/**
 * Tests written to kill the mutants of RecordRegistry that survived the main suite (SuMo, see
 * docs/mutation.md). The main tests drive contracts only from wallets that belong to no
 * organization, so a registry that asked about `tx.origin` instead of `msg.sender` looked the same;
 * here the caller is a contract whose organization differs from the wallet driving it. They also
 * read an amended version's retraction fields only through `retracted`, so an amendment born with a
 * retraction time looked the same: here every field of every new version is read.
 */
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { OrgKind, RetractionReason } from "../../sdk";
import { Intermediary__factory } from "../../typechain-types";
import { commitmentOf, HOSPITAL, LAB, recordsFixture } from "./fixtures";

/** The records fixture plus a forwarding contract, driven by the lab's admin, that is a member of the hospital. */
async function contractMemberFixture() {
  const f = await recordsFixture();
  const agent = await new Intermediary__factory(f.labAdmin).deploy();
  await f.registry.connect(f.hospitalAdmin).addMember(HOSPITAL, agent.target, false);
  return { ...f, agent };
}

describe("RecordRegistry (mutation-killing tests)", function () {
  it("a contract member anchors, amends, batches and retracts for its own organization, not its driver's", async function () {
    const { records, agent, labAdmin } = await loadFixture(contractMemberFixture);
    const c1 = commitmentOf(1);
    const c2 = commitmentOf(1, 6.1);
    await expect(agent.connect(labAdmin).forward(records.target, records.interface.encodeFunctionData("anchor", [c1])))
      .to.emit(records, "RecordAnchored")
      .withArgs(c1, c1, HOSPITAL, 1);
    await expect(agent.connect(labAdmin).forward(records.target, records.interface.encodeFunctionData("amend", [c1, 1, c2])))
      .to.emit(records, "RecordAnchored")
      .withArgs(c1, c2, HOSPITAL, 2);
    const root = "0x" + "78".repeat(32);
    await expect(agent.connect(labAdmin).forward(records.target, records.interface.encodeFunctionData("anchorBatch", [root, 3])))
      .to.emit(records, "BatchAnchored")
      .withArgs(root, HOSPITAL, 3);
    await expect(agent.connect(labAdmin).forward(records.target, records.interface.encodeFunctionData("retract", [c2, RetractionReason.WrongPatient])))
      .to.emit(records, "RecordRetracted")
      .withArgs(c2, HOSPITAL, RetractionReason.WrongPatient);
    expect((await records.recordVersion(HOSPITAL, c1)).orgId).to.equal(HOSPITAL);
    expect(await records.currentVersion(HOSPITAL, c1)).to.equal(2n);
    expect(await records.commitmentStatus(HOSPITAL, c2)).to.deep.equal([true, true]);
    expect((await records.batch(HOSPITAL, root)).orgId).to.equal(HOSPITAL);
    // Nothing under the driver's organization.
    expect((await records.recordVersion(LAB, c1)).orgId).to.equal(0n);
    expect((await records.recordVersion(LAB, c2)).orgId).to.equal(0n);
    expect((await records.batch(LAB, root)).orgId).to.equal(0n);
  });

  it("a contract that is no member is refused even when a member drives it", async function () {
    const { records, doctor } = await loadFixture(recordsFixture);
    const agent = await new Intermediary__factory(doctor).deploy();
    await expect(agent.forward(records.target, records.interface.encodeFunctionData("anchor", [commitmentOf(1)])))
      .to.be.revertedWithCustomError(records, "NotAnchoringMember")
      .withArgs(agent.target, 0, OrgKind.None);
    expect((await records.recordVersion(HOSPITAL, commitmentOf(1))).orgId).to.equal(0n);
  });

  it("looks a retraction up under the contract's organization, not its driver's, and names the contract when its organization is suspended", async function () {
    const { records, registry, pauser, agent, labAdmin, doctor } = await loadFixture(contractMemberFixture);
    const c1 = commitmentOf(1);
    await records.connect(labAdmin).anchor(c1);
    // Driven by the lab's admin, the hospital's contract still cannot retract the lab's version.
    await expect(agent.connect(labAdmin).forward(records.target, records.interface.encodeFunctionData("retract", [c1, RetractionReason.EnteredInError])))
      .to.be.revertedWithCustomError(records, "CommitmentNotAnchored")
      .withArgs(HOSPITAL, c1);
    expect(await records.commitmentStatus(LAB, c1)).to.deep.equal([true, false]);
    await registry.connect(pauser).suspendOrganization(HOSPITAL);
    await expect(agent.connect(doctor).forward(records.target, records.interface.encodeFunctionData("anchor", [commitmentOf(2)])))
      .to.be.revertedWithCustomError(records, "AnchoringOrganizationSuspended")
      .withArgs(HOSPITAL, agent.target);
  });

  it("a new version, anchored or amended, is stored whole: not retracted, no reason, no retraction time", async function () {
    const { records, doctor, nurse } = await loadFixture(recordsFixture);
    const c1 = commitmentOf(1);
    const c2 = commitmentOf(1, 6.1);
    await records.connect(doctor).anchor(c1);
    const anchoredAt = BigInt(await time.latest());
    await records.connect(nurse).amend(c1, 1, c2);
    const amendedAt = BigInt(await time.latest());
    const fields = (v: Awaited<ReturnType<typeof records.recordVersion>>) => [v.orgId, v.anchoredAt, v.version, v.headVersion, v.retracted, v.reason, v.retractedAt];
    expect(fields(await records.recordVersion(HOSPITAL, c1))).to.deep.equal([HOSPITAL, anchoredAt, 1n, 2n, false, 0n, 0n]);
    expect(fields(await records.recordVersion(HOSPITAL, c2))).to.deep.equal([HOSPITAL, amendedAt, 2n, 0n, false, 0n, 0n]);
  });
});
