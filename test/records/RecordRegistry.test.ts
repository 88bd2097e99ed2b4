import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre from "hardhat";
import { OrgKind, recordLeafHash, RetractionReason } from "../../sdk";
import { batchOf, commitmentOf, HOSPITAL, INSURER, LAB, PHARMACY, recordsFixture } from "./fixtures";

const ZERO32 = "0x" + "00".repeat(32);
const ROOT = "0x" + "77".repeat(32);

/** The fixture plus record 1 anchored by the doctor (hospital) and amended by the doctor to version 2. */
async function amendedFixture() {
  const f = await recordsFixture();
  const c1 = commitmentOf(1);
  const c2 = commitmentOf(1, 6.1);
  await f.records.connect(f.doctor).anchor(c1);
  await f.records.connect(f.doctor).amend(c1, 1, c2);
  return { ...f, c1, c2 };
}

/** The fixture plus a batch of 5 first versions anchored by the hospital. */
async function batchFixture() {
  const f = await recordsFixture();
  const commitments = [1, 2, 3, 4, 5].map((n) => commitmentOf(n));
  const tree = batchOf(commitments, f.chainId, f.book.contracts.RecordRegistry);
  await f.records.connect(f.doctor).anchorBatch(tree.root, commitments.length);
  return { ...f, commitments, tree };
}

describe("RecordRegistry", function () {
  describe("deployment", function () {
    it("names its participant registry and version", async function () {
      const { records, book } = await loadFixture(recordsFixture);
      expect(await records.participants()).to.equal(book.contracts.ParticipantRegistry);
      expect(await records.VERSION()).to.equal("2.0.0");
    });
  });

  describe("anchor", function () {
    it("anchors a first version whose record id is its commitment, recording organization and time", async function () {
      const { records, doctor } = await loadFixture(recordsFixture);
      const c = commitmentOf(1);
      const tx = records.connect(doctor).anchor(c);
      await expect(tx).to.emit(records, "RecordAnchored").withArgs(c, c, HOSPITAL, 1);
      const at = await time.latest();
      const v = await records.recordVersion(HOSPITAL, c);
      expect([v.orgId, v.anchoredAt, v.version, v.headVersion, v.retracted, v.reason, v.retractedAt]).to.deep.equal([HOSPITAL, BigInt(at), 1n, 1n, false, 0n, 0n]);
      expect(await records.currentVersion(HOSPITAL, c)).to.equal(1n);
      expect(await records.commitmentStatus(HOSPITAL, c)).to.deep.equal([true, false]);
      // Kept under the hospital only: no other organization holds it.
      const other = await records.recordVersion(LAB, c);
      expect([other.orgId, other.anchoredAt, other.version, other.headVersion]).to.deep.equal([0n, 0n, 0n, 0n]);
      expect(await records.commitmentStatus(LAB, c)).to.deep.equal([false, false]);
      await expect(records.currentVersion(LAB, c)).to.be.revertedWithCustomError(records, "UnknownRecord").withArgs(LAB, c);
      expect(await records.connect(doctor).anchor.staticCall(commitmentOf(2))).to.equal(commitmentOf(2));
    });

    it("lets labs and pharmacies anchor", async function () {
      const { records, labAdmin, pharmacist } = await loadFixture(recordsFixture);
      await expect(records.connect(labAdmin).anchor(commitmentOf(1))).to.emit(records, "RecordAnchored").withArgs(commitmentOf(1), commitmentOf(1), LAB, 1);
      await expect(records.connect(pharmacist).anchor(commitmentOf(2))).to.emit(records, "RecordAnchored").withArgs(commitmentOf(2), commitmentOf(2), PHARMACY, 1);
    });

    it("refuses a commitment its own organization anchored before (by any member); another organization's anchor of it is its own", async function () {
      const { records, doctor, nurse, labAdmin } = await loadFixture(recordsFixture);
      const c = commitmentOf(1);
      await records.connect(doctor).anchor(c);
      const hospitalAt = BigInt(await time.latest());
      await expect(records.connect(doctor).anchor(c)).to.be.revertedWithCustomError(records, "CommitmentAlreadyAnchored").withArgs(c, HOSPITAL);
      await expect(records.connect(nurse).anchor(c)).to.be.revertedWithCustomError(records, "CommitmentAlreadyAnchored").withArgs(c, HOSPITAL);
      await expect(records.connect(labAdmin).anchor(c)).to.emit(records, "RecordAnchored").withArgs(c, c, LAB, 1);
      const labAt = BigInt(await time.latest());
      await expect(records.connect(labAdmin).anchor(c)).to.be.revertedWithCustomError(records, "CommitmentAlreadyAnchored").withArgs(c, LAB);
      const fields = (v: Awaited<ReturnType<typeof records.recordVersion>>) => [v.orgId, v.anchoredAt, v.version, v.headVersion, v.retracted];
      expect(fields(await records.recordVersion(HOSPITAL, c))).to.deep.equal([HOSPITAL, hospitalAt, 1n, 1n, false]);
      expect(fields(await records.recordVersion(LAB, c))).to.deep.equal([LAB, labAt, 1n, 1n, false]);
    });

    it("refuses a zero commitment", async function () {
      const { records, doctor } = await loadFixture(recordsFixture);
      await expect(records.connect(doctor).anchor(ZERO32)).to.be.revertedWithCustomError(records, "ZeroCommitment");
    });

    it("refuses a non-member, from a wallet and from a contract", async function () {
      const { records, outsider, intermediary } = await loadFixture(recordsFixture);
      await expect(records.connect(outsider).anchor(commitmentOf(1)))
        .to.be.revertedWithCustomError(records, "NotAnchoringMember")
        .withArgs(outsider.address, 0, OrgKind.None);
      const data = records.interface.encodeFunctionData("anchor", [commitmentOf(1)]);
      await expect(intermediary.forward(records.target, data))
        .to.be.revertedWithCustomError(records, "NotAnchoringMember")
        .withArgs(intermediary.target, 0, OrgKind.None);
    });

    it("refuses members of insurers (and other non-anchoring kinds)", async function () {
      const { records, registry, registrar, insurerAdmin, signers } = await loadFixture(recordsFixture);
      await expect(records.connect(insurerAdmin).anchor(commitmentOf(1)))
        .to.be.revertedWithCustomError(records, "NotAnchoringMember")
        .withArgs(insurerAdmin.address, INSURER, OrgKind.Insurer);
      for (const kind of [OrgKind.Researcher, OrgKind.Regulator]) {
        const admin = signers[11 + kind];
        await registry.connect(registrar).registerOrganization(kind, "0x" + "ab".repeat(32), admin.address);
        await expect(records.connect(admin).anchor(commitmentOf(1))).to.be.revertedWithCustomError(records, "NotAnchoringMember");
      }
    });

    it("refuses a member of a suspended organization, in the block of the suspension", async function () {
      const { records, registry, pauser, doctor } = await loadFixture(recordsFixture);
      await registry.connect(pauser).suspendOrganization(HOSPITAL);
      await expect(records.connect(doctor).anchor(commitmentOf(1)))
        .to.be.revertedWithCustomError(records, "AnchoringOrganizationSuspended")
        .withArgs(HOSPITAL, doctor.address);
    });

    it("is refused while paused", async function () {
      const { records, pauser, doctor } = await loadFixture(recordsFixture);
      await records.connect(pauser).pause();
      await expect(records.connect(doctor).anchor(commitmentOf(1))).to.be.revertedWithCustomError(records, "EnforcedPause");
    });
  });

  describe("amend", function () {
    it("lets any member of the record's organization supersede the current version", async function () {
      const { records, doctor, nurse } = await loadFixture(recordsFixture);
      const c1 = commitmentOf(1);
      const c2 = commitmentOf(1, 6.1);
      await records.connect(doctor).anchor(c1);
      await expect(records.connect(nurse).amend(c1, 1, c2)).to.emit(records, "RecordAnchored").withArgs(c1, c2, HOSPITAL, 2);
      const at = await time.latest();
      const v = await records.recordVersion(HOSPITAL, c2);
      expect([v.orgId, v.anchoredAt, v.version, v.headVersion, v.retracted]).to.deep.equal([HOSPITAL, BigInt(at), 2n, 0n, false]);
      expect(await records.currentVersion(HOSPITAL, c1)).to.equal(2n);
      expect((await records.recordVersion(HOSPITAL, c1)).orgId).to.equal(HOSPITAL);
      expect(await records.connect(doctor).amend.staticCall(c1, 2, commitmentOf(1, 7))).to.equal(3n);
    });

    it("refuses another organization: no one supersedes another's records (its correction is a record of its own)", async function () {
      const { records, doctor, labAdmin, pharmacist } = await loadFixture(recordsFixture);
      const c1 = commitmentOf(1);
      const c2 = commitmentOf(1, 6.1);
      await records.connect(doctor).anchor(c1);
      await expect(records.connect(labAdmin).amend(c1, 1, c2)).to.be.revertedWithCustomError(records, "UnknownRecord").withArgs(LAB, c1);
      await expect(records.connect(pharmacist).amend(c1, 1, c2)).to.be.revertedWithCustomError(records, "UnknownRecord").withArgs(PHARMACY, c1);
      expect(await records.currentVersion(HOSPITAL, c1)).to.equal(1n);
      expect((await records.recordVersion(LAB, c2)).orgId).to.equal(0n);
      // The lab's correction is its own record.
      await expect(records.connect(labAdmin).anchor(c2)).to.emit(records, "RecordAnchored").withArgs(c2, c2, LAB, 1);
      expect(await records.currentVersion(HOSPITAL, c1)).to.equal(1n);
      // The hospital may still use that commitment as its own version 2.
      await expect(records.connect(doctor).amend(c1, 1, c2)).to.emit(records, "RecordAnchored").withArgs(c1, c2, HOSPITAL, 2);
    });

    it("refuses a stale supersession with the current version in the error", async function () {
      const { records, doctor, c1 } = await loadFixture(amendedFixture);
      await expect(records.connect(doctor).amend(c1, 1, commitmentOf(1, 9)))
        .to.be.revertedWithCustomError(records, "StaleVersion")
        .withArgs(c1, 1, 2);
      await expect(records.connect(doctor).amend(c1, 3, commitmentOf(1, 9)))
        .to.be.revertedWithCustomError(records, "StaleVersion")
        .withArgs(c1, 3, 2);
    });

    it("refuses an unknown record, and a later version's commitment used as a record id", async function () {
      const { records, doctor, c2 } = await loadFixture(amendedFixture);
      await expect(records.connect(doctor).amend(commitmentOf(5), 1, commitmentOf(6)))
        .to.be.revertedWithCustomError(records, "UnknownRecord")
        .withArgs(HOSPITAL, commitmentOf(5));
      await expect(records.connect(doctor).amend(c2, 2, commitmentOf(6))).to.be.revertedWithCustomError(records, "UnknownRecord").withArgs(HOSPITAL, c2);
      await expect(records.currentVersion(HOSPITAL, c2)).to.be.revertedWithCustomError(records, "UnknownRecord").withArgs(HOSPITAL, c2);
    });

    it("refuses a commitment anchored before, and a zero commitment", async function () {
      const { records, doctor, c1, c2 } = await loadFixture(amendedFixture);
      await expect(records.connect(doctor).amend(c1, 2, c1)).to.be.revertedWithCustomError(records, "CommitmentAlreadyAnchored").withArgs(c1, HOSPITAL);
      await expect(records.connect(doctor).amend(c1, 2, c2)).to.be.revertedWithCustomError(records, "CommitmentAlreadyAnchored").withArgs(c2, HOSPITAL);
      await expect(records.connect(doctor).amend(c1, 2, ZERO32)).to.be.revertedWithCustomError(records, "ZeroCommitment");
    });

    it("refuses non-members (wallet and contract), insurers, suspended organizations, and while paused", async function () {
      const { records, registry, pauser, doctor, outsider, insurerAdmin, intermediary, c1 } = await loadFixture(amendedFixture);
      const c3 = commitmentOf(1, 8);
      await expect(records.connect(outsider).amend(c1, 2, c3)).to.be.revertedWithCustomError(records, "NotAnchoringMember").withArgs(outsider.address, 0, 0);
      await expect(intermediary.forward(records.target, records.interface.encodeFunctionData("amend", [c1, 2, c3])))
        .to.be.revertedWithCustomError(records, "NotAnchoringMember")
        .withArgs(intermediary.target, 0, 0);
      await expect(records.connect(insurerAdmin).amend(c1, 2, c3)).to.be.revertedWithCustomError(records, "NotAnchoringMember").withArgs(insurerAdmin.address, INSURER, OrgKind.Insurer);
      await registry.connect(pauser).suspendOrganization(HOSPITAL);
      await expect(records.connect(doctor).amend(c1, 2, c3)).to.be.revertedWithCustomError(records, "AnchoringOrganizationSuspended").withArgs(HOSPITAL, doctor.address);
      await records.connect(pauser).pause();
      await expect(records.connect(doctor).amend(c1, 2, c3)).to.be.revertedWithCustomError(records, "EnforcedPause");
    });

    it("supersedes a retracted version", async function () {
      const { records, doctor, nurse, c1, c2 } = await loadFixture(amendedFixture);
      await records.connect(nurse).retract(c2, RetractionReason.EnteredInError);
      await expect(records.connect(doctor).amend(c1, 2, commitmentOf(1, 5.9))).to.emit(records, "RecordAnchored").withArgs(c1, commitmentOf(1, 5.9), HOSPITAL, 3);
    });
  });

  describe("retract", function () {
    it("lets the anchoring organization retract a version with a reason; nothing is deleted", async function () {
      const { records, nurse, c1, c2 } = await loadFixture(amendedFixture);
      await expect(records.connect(nurse).retract(c1, RetractionReason.WrongPatient)).to.emit(records, "RecordRetracted").withArgs(c1, HOSPITAL, RetractionReason.WrongPatient);
      const at = await time.latest();
      const v = await records.recordVersion(HOSPITAL, c1);
      expect([v.orgId, v.version, v.headVersion, v.retracted, v.reason, v.retractedAt]).to.deep.equal([HOSPITAL, 1n, 2n, true, 2n, BigInt(at)]);
      expect(await records.commitmentStatus(HOSPITAL, c1)).to.deep.equal([true, true]);
      expect(await records.commitmentStatus(HOSPITAL, c2)).to.deep.equal([true, false]);
      expect(await records.currentVersion(HOSPITAL, c1)).to.equal(2n);
    });

    it("refuses another organization, a non-member (wallet and contract) and a suspended organization", async function () {
      const { records, registry, pauser, labAdmin, outsider, doctor, intermediary, c1, c2 } = await loadFixture(amendedFixture);
      // Another organization is asked about its own versions, and holds none of these.
      await expect(records.connect(labAdmin).retract(c1, 1)).to.be.revertedWithCustomError(records, "CommitmentNotAnchored").withArgs(LAB, c1);
      await expect(records.connect(labAdmin).retract(c2, 1)).to.be.revertedWithCustomError(records, "CommitmentNotAnchored").withArgs(LAB, c2);
      expect(await records.commitmentStatus(HOSPITAL, c1)).to.deep.equal([true, false]);
      await expect(records.connect(outsider).retract(c1, 1)).to.be.revertedWithCustomError(records, "NotAnchoringMember").withArgs(outsider.address, 0, 0);
      await expect(intermediary.forward(records.target, records.interface.encodeFunctionData("retract", [c1, 1])))
        .to.be.revertedWithCustomError(records, "NotAnchoringMember")
        .withArgs(intermediary.target, 0, 0);
      await registry.connect(pauser).suspendOrganization(HOSPITAL);
      await expect(records.connect(doctor).retract(c1, 1)).to.be.revertedWithCustomError(records, "AnchoringOrganizationSuspended").withArgs(HOSPITAL, doctor.address);
    });

    it("refuses an unknown commitment, a second retraction and the None reason", async function () {
      const { records, doctor, c1 } = await loadFixture(amendedFixture);
      await expect(records.connect(doctor).retract(commitmentOf(9), 1)).to.be.revertedWithCustomError(records, "CommitmentNotAnchored").withArgs(HOSPITAL, commitmentOf(9));
      await expect(records.connect(doctor).retract(c1, RetractionReason.None)).to.be.revertedWithCustomError(records, "InvalidRetractionReason").withArgs(0);
      await records.connect(doctor).retract(c1, RetractionReason.Duplicate);
      await expect(records.connect(doctor).retract(c1, RetractionReason.Other)).to.be.revertedWithCustomError(records, "AlreadyRetracted").withArgs(c1);
    });

    it("works while the registry is paused", async function () {
      const { records, pauser, doctor, c2 } = await loadFixture(amendedFixture);
      await records.connect(pauser).pause();
      await expect(records.connect(doctor).retract(c2, RetractionReason.EnteredInError)).to.emit(records, "RecordRetracted").withArgs(c2, HOSPITAL, 1);
      expect(await records.commitmentStatus(HOSPITAL, c2)).to.deep.equal([true, true]);
    });
  });

  describe("anchorBatch", function () {
    it("anchors a root with its leaf count, organization and time", async function () {
      const { records, labAdmin } = await loadFixture(recordsFixture);
      await expect(records.connect(labAdmin).anchorBatch(ROOT, 1024)).to.emit(records, "BatchAnchored").withArgs(ROOT, LAB, 1024);
      const b = await records.batch(LAB, ROOT);
      expect([b.orgId, b.anchoredAt, b.leafCount]).to.deep.equal([LAB, BigInt(await time.latest()), 1024n]);
      const none = await records.batch(HOSPITAL, ROOT);
      expect([none.orgId, none.anchoredAt, none.leafCount]).to.deep.equal([0n, 0n, 0n]);
      expect((await records.batch(LAB, ZERO32)).orgId).to.equal(0n);
    });

    it("costs the same whatever the leaf count (only the count's calldata bytes differ)", async function () {
      const { records, doctor } = await loadFixture(recordsFixture);
      const gas = async (root: string, count: number) => (await (await records.connect(doctor).anchorBatch(root, count)).wait())!.gasUsed;
      const small = await gas("0x" + "71".repeat(32), 0x01010101);
      const huge = await gas("0x" + "72".repeat(32), 0xffffffff);
      expect(small).to.equal(huge);
    });

    it("refuses a zero root, an empty batch and a root its organization anchored before (by any member); another organization's is its own", async function () {
      const { records, doctor, nurse, labAdmin } = await loadFixture(recordsFixture);
      await expect(records.connect(doctor).anchorBatch(ZERO32, 1)).to.be.revertedWithCustomError(records, "ZeroCommitment");
      await expect(records.connect(doctor).anchorBatch(ROOT, 0)).to.be.revertedWithCustomError(records, "EmptyBatch");
      await records.connect(doctor).anchorBatch(ROOT, 3);
      const hospitalAt = BigInt(await time.latest());
      await expect(records.connect(doctor).anchorBatch(ROOT, 3)).to.be.revertedWithCustomError(records, "BatchAlreadyAnchored").withArgs(ROOT, HOSPITAL);
      await expect(records.connect(nurse).anchorBatch(ROOT, 4)).to.be.revertedWithCustomError(records, "BatchAlreadyAnchored").withArgs(ROOT, HOSPITAL);
      await expect(records.connect(labAdmin).anchorBatch(ROOT, 5)).to.emit(records, "BatchAnchored").withArgs(ROOT, LAB, 5);
      await expect(records.connect(labAdmin).anchorBatch(ROOT, 5)).to.be.revertedWithCustomError(records, "BatchAlreadyAnchored").withArgs(ROOT, LAB);
      const h = await records.batch(HOSPITAL, ROOT);
      expect([h.orgId, h.anchoredAt, h.leafCount]).to.deep.equal([HOSPITAL, hospitalAt, 3n]);
      expect((await records.batch(LAB, ROOT)).leafCount).to.equal(5n);
    });

    it("refuses non-members (wallet and contract), suspended organizations, and while paused", async function () {
      const { records, registry, outsider, intermediary, pauser, doctor } = await loadFixture(recordsFixture);
      await expect(records.connect(outsider).anchorBatch(ROOT, 1)).to.be.revertedWithCustomError(records, "NotAnchoringMember").withArgs(outsider.address, 0, 0);
      await expect(intermediary.forward(records.target, records.interface.encodeFunctionData("anchorBatch", [ROOT, 1])))
        .to.be.revertedWithCustomError(records, "NotAnchoringMember")
        .withArgs(intermediary.target, 0, 0);
      await registry.connect(pauser).suspendOrganization(HOSPITAL);
      await expect(records.connect(doctor).anchorBatch(ROOT, 1)).to.be.revertedWithCustomError(records, "AnchoringOrganizationSuspended").withArgs(HOSPITAL, doctor.address);
      await records.connect(pauser).pause();
      await expect(records.connect(doctor).anchorBatch(ROOT, 1)).to.be.revertedWithCustomError(records, "EnforcedPause");
    });
  });

  describe("verifyInclusion", function () {
    it("accepts every leaf of the batch with its own proof", async function () {
      const { records, commitments, tree } = await loadFixture(batchFixture);
      for (const [i, c] of commitments.entries()) {
        expect(await records.verifyInclusion(HOSPITAL, tree.root, c, 1, c, tree.getProof(i))).to.equal(true);
      }
    });

    it("computes the same leaf as the SDK and StandardMerkleTree", async function () {
      const { records, chainId, book, tree } = await loadFixture(batchFixture);
      const c = commitmentOf(1);
      const sdkLeaf = recordLeafHash({ chainId, registry: book.contracts.RecordRegistry, recordId: c, version: 1, commitment: c });
      expect(await records.leafHash(c, 1, c)).to.equal(sdkLeaf);
      expect(tree.leafHashAt(0)).to.equal(sdkLeaf);
    });

    it("refuses an internal node presented as a leaf", async function () {
      const { records, tree } = await loadFixture(batchFixture);
      // Node 1 is an internal node (the root's left child); its proof is the root's other child.
      const internal = "0x" + Buffer.from(tree.nodes.subarray(32, 64)).toString("hex");
      const sibling = "0x" + Buffer.from(tree.nodes.subarray(64, 96)).toString("hex");
      expect(tree.depth).to.be.greaterThan(1);
      // At the hash level the pair does lead to the root: only the leaf's double hash stops it.
      const { FastMerkleTree } = await import("../../sdk");
      expect(FastMerkleTree.processProof(internal, [sibling])).to.equal(tree.root);
      for (const [r, v, c] of [
        [internal, 1, internal],
        [internal, 0, internal],
      ] as const) {
        expect(await records.verifyInclusion(HOSPITAL, tree.root, r, v, c, [sibling])).to.equal(false);
      }
    });

    it("refuses a proof from another batch", async function () {
      const { records, doctor, chainId, book, tree } = await loadFixture(batchFixture);
      const other = batchOf([6, 7, 8].map((n) => commitmentOf(n)), chainId, book.contracts.RecordRegistry);
      await records.connect(doctor).anchorBatch(other.root, 3);
      const c6 = commitmentOf(6);
      expect(await records.verifyInclusion(HOSPITAL, other.root, c6, 1, c6, other.getProof(0))).to.equal(true);
      expect(await records.verifyInclusion(HOSPITAL, tree.root, c6, 1, c6, other.getProof(0))).to.equal(false);
      expect(await records.verifyInclusion(HOSPITAL, other.root, commitmentOf(1), 1, commitmentOf(1), tree.getProof(0))).to.equal(false);
    });

    it("refuses leaves built for another chain id or another registry address", async function () {
      const { records, doctor, chainId, book, intermediary } = await loadFixture(recordsFixture);
      const cs = [1, 2, 3].map((n) => commitmentOf(n));
      for (const tree of [batchOf(cs, chainId + 1n, book.contracts.RecordRegistry), batchOf(cs, chainId, await intermediary.getAddress())]) {
        await records.connect(doctor).anchorBatch(tree.root, 3);
        expect(await records.verifyInclusion(HOSPITAL, tree.root, cs[0], 1, cs[0], tree.getProof(0))).to.equal(false);
        await expect(records.registerBatchRecord(HOSPITAL, tree.root, cs[0], tree.getProof(0))).to.be.revertedWithCustomError(records, "InvalidInclusionProof").withArgs(tree.root, cs[0]);
      }
    });

    it("refuses a resource with one changed byte, and a wrong version", async function () {
      const { records, tree } = await loadFixture(batchFixture);
      const changed = commitmentOf(1, 5.5);
      expect(await records.verifyInclusion(HOSPITAL, tree.root, changed, 1, changed, tree.getProof(0))).to.equal(false);
      expect(await records.verifyInclusion(HOSPITAL, tree.root, commitmentOf(1), 2, commitmentOf(1), tree.getProof(0))).to.equal(false);
    });

    it("answers false for a root that is not an anchored batch, and for a batch of another organization", async function () {
      const { records, chainId, book, labAdmin } = await loadFixture(recordsFixture);
      const tree = batchOf([commitmentOf(1)], chainId, book.contracts.RecordRegistry);
      expect(await records.verifyInclusion(HOSPITAL, tree.root, commitmentOf(1), 1, commitmentOf(1), [])).to.equal(false);
      await records.connect(labAdmin).anchorBatch(tree.root, 1);
      expect(await records.verifyInclusion(LAB, tree.root, commitmentOf(1), 1, commitmentOf(1), [])).to.equal(true);
      expect(await records.verifyInclusion(HOSPITAL, tree.root, commitmentOf(1), 1, commitmentOf(1), [])).to.equal(false);
      expect(await records.verifyInclusion(PHARMACY, tree.root, commitmentOf(1), 1, commitmentOf(1), [])).to.equal(false);
    });
  });

  describe("evidenceStatus", function () {
    it("tells the claims engine whether an organization anchored a batch leaf, from its proof, without registering it", async function () {
      const { records, tree } = await loadFixture(batchFixture);
      const c = commitmentOf(3);
      expect(await records.evidenceStatus(HOSPITAL, c, tree.root, tree.getProof(2))).to.deep.equal([true, false]);
      expect(await records.commitmentStatus(HOSPITAL, c)).to.deep.equal([false, false]);
      // A wrong proof, an unknown batch, or no batch at all shows no anchor.
      expect(await records.evidenceStatus(HOSPITAL, c, tree.root, tree.getProof(1))).to.deep.equal([false, false]);
      expect(await records.evidenceStatus(HOSPITAL, c, ROOT, tree.getProof(2))).to.deep.equal([false, false]);
      expect(await records.evidenceStatus(HOSPITAL, c, hre.ethers.ZeroHash, tree.getProof(2))).to.deep.equal([false, false]);
      // Nor does the hospital's batch for another organization.
      expect(await records.evidenceStatus(LAB, c, tree.root, tree.getProof(2))).to.deep.equal([false, false]);
    });

    it("answers per organization: another organization's single anchor and retraction of a batch leaf change nothing of the batch's", async function () {
      const { records, labAdmin, tree } = await loadFixture(batchFixture);
      const c = commitmentOf(3);
      await records.connect(labAdmin).anchor(c); // the lab copies the hospital's leaf once it is shown
      await records.connect(labAdmin).retract(c, RetractionReason.EnteredInError);
      expect(await records.evidenceStatus(HOSPITAL, c, tree.root, tree.getProof(2))).to.deep.equal([true, false]);
      expect(await records.evidenceStatus(HOSPITAL, c, hre.ethers.ZeroHash, [])).to.deep.equal([false, false]);
      expect(await records.evidenceStatus(LAB, c, hre.ethers.ZeroHash, [])).to.deep.equal([true, true]);
      // The lab's own single anchor answers for the lab, whatever proof is given.
      expect(await records.evidenceStatus(LAB, c, tree.root, tree.getProof(2))).to.deep.equal([true, true]);
    });

    it("answers for a registered record as commitmentStatus does, retraction included, whatever proof is given", async function () {
      const { records, doctor, tree } = await loadFixture(batchFixture);
      const c = commitmentOf(2);
      await records.registerBatchRecord(HOSPITAL, tree.root, c, tree.getProof(1));
      await records.connect(doctor).retract(c, RetractionReason.EnteredInError);
      expect(await records.commitmentStatus(HOSPITAL, c)).to.deep.equal([true, true]);
      expect(await records.evidenceStatus(HOSPITAL, c, tree.root, tree.getProof(1))).to.deep.equal([true, true]);
      expect(await records.evidenceStatus(HOSPITAL, c, hre.ethers.ZeroHash, [])).to.deep.equal([true, true]);
    });
  });

  describe("registerBatchRecord", function () {
    it("lets anyone register a batch record, attributed to the batch's organization and time", async function () {
      const { records, outsider, tree } = await loadFixture(batchFixture);
      const c = commitmentOf(3);
      const b = await records.batch(HOSPITAL, tree.root);
      const i = 2;
      await time.increase(60); // so that the batch's time differs from the registration's
      await expect(records.connect(outsider).registerBatchRecord(HOSPITAL, tree.root, c, tree.getProof(i))).to.emit(records, "BatchRecordRegistered").withArgs(tree.root, c, HOSPITAL);
      expect(BigInt(await time.latest())).to.be.greaterThan(b.anchoredAt);
      const v = await records.recordVersion(HOSPITAL, c);
      expect([v.orgId, v.anchoredAt, v.version, v.headVersion, v.retracted, v.reason, v.retractedAt]).to.deep.equal([HOSPITAL, b.anchoredAt, 1n, 1n, false, 0n, 0n]);
      expect(await records.commitmentStatus(HOSPITAL, c)).to.deep.equal([true, false]);
      expect(await records.currentVersion(HOSPITAL, c)).to.equal(1n);
      expect(await records.commitmentStatus(LAB, c)).to.deep.equal([false, false]);
    });

    it("then lets the hospital amend and retract it, and not the lab", async function () {
      const { records, labAdmin, doctor, tree } = await loadFixture(batchFixture);
      const c = commitmentOf(2);
      await records.registerBatchRecord(HOSPITAL, tree.root, c, tree.getProof(1));
      await expect(records.connect(labAdmin).amend(c, 1, commitmentOf(2, 7.7))).to.be.revertedWithCustomError(records, "UnknownRecord").withArgs(LAB, c);
      await expect(records.connect(labAdmin).retract(c, RetractionReason.EnteredInError)).to.be.revertedWithCustomError(records, "CommitmentNotAnchored").withArgs(LAB, c);
      await expect(records.connect(doctor).amend(c, 1, commitmentOf(2, 7.7))).to.emit(records, "RecordAnchored").withArgs(c, commitmentOf(2, 7.7), HOSPITAL, 2);
      await expect(records.connect(doctor).retract(c, RetractionReason.EnteredInError)).to.emit(records, "RecordRetracted").withArgs(c, HOSPITAL, 1);
    });

    it("refuses an unknown batch, a wrong proof, a record registered before and a later-version leaf", async function () {
      const { records, doctor, tree, chainId, book } = await loadFixture(batchFixture);
      const c = commitmentOf(1);
      await expect(records.registerBatchRecord(HOSPITAL, ROOT, c, tree.getProof(0))).to.be.revertedWithCustomError(records, "UnknownBatch").withArgs(HOSPITAL, ROOT);
      // The hospital's batch is no batch of the lab's.
      await expect(records.registerBatchRecord(LAB, tree.root, c, tree.getProof(0))).to.be.revertedWithCustomError(records, "UnknownBatch").withArgs(LAB, tree.root);
      await expect(records.registerBatchRecord(HOSPITAL, tree.root, c, tree.getProof(1))).to.be.revertedWithCustomError(records, "InvalidInclusionProof").withArgs(tree.root, c);
      await records.registerBatchRecord(HOSPITAL, tree.root, c, tree.getProof(0));
      await expect(records.registerBatchRecord(HOSPITAL, tree.root, c, tree.getProof(0))).to.be.revertedWithCustomError(records, "CommitmentAlreadyAnchored").withArgs(c, HOSPITAL);
      // A batch of a later version: it verifies, but cannot be registered as a first version.
      const { FastMerkleTree, RECORD_LEAF_ENCODING, recordLeafValues } = await import("../../sdk");
      const later = FastMerkleTree.of(
        [recordLeafValues({ chainId, registry: book.contracts.RecordRegistry, recordId: c, version: 2, commitment: commitmentOf(1, 9) })],
        RECORD_LEAF_ENCODING,
      );
      await records.connect(doctor).anchorBatch(later.root, 1);
      expect(await records.verifyInclusion(HOSPITAL, later.root, c, 2, commitmentOf(1, 9), [])).to.equal(true);
      await expect(records.registerBatchRecord(HOSPITAL, later.root, commitmentOf(1, 9), [])).to.be.revertedWithCustomError(records, "InvalidInclusionProof");
    });

    it("refuses a proof longer than the batch's depth (its leaf count, as anchored): no proof of another tree's shape", async function () {
      const { records, doctor, tree, commitments, chainId, book } = await loadFixture(batchFixture);
      // The deepest leaf of a tree of 5: 3 siblings (which leaf it is depends on the sorted leaf hashes).
      const deepest = [0, 1, 2, 3, 4].find((i) => tree.getProof(i).length === 3)!;
      const c = commitments[deepest];
      const proof = tree.getProof(deepest);
      // A tree of six leaves anchored as if it had two (depth 1): its real proofs are too long.
      const other = batchOf([1, 2, 3, 4, 5, 6].map((n) => commitmentOf(n, 3.3)), chainId, book.contracts.RecordRegistry);
      await records.connect(doctor).anchorBatch(other.root, 2);
      const otherProof = other.getProof(5);
      expect(otherProof.length).to.be.greaterThan(1);
      const leaf = commitmentOf(6, 3.3);
      await expect(records.registerBatchRecord(HOSPITAL, other.root, leaf, otherProof)).to.be.revertedWithCustomError(records, "ProofTooLong").withArgs(other.root, otherProof.length, 1);
      expect(await records.verifyInclusion(HOSPITAL, other.root, leaf, 1, leaf, otherProof)).to.equal(false);
      expect(await records.evidenceStatus(HOSPITAL, leaf, other.root, otherProof)).to.deep.equal([false, false]);
      // Within the depth, as anchored: 5 leaves → 3 levels; one leaf → none (the root is the leaf).
      expect(await records.verifyInclusion(HOSPITAL, tree.root, c, 1, c, proof)).to.equal(true);
      expect(await records.evidenceStatus(HOSPITAL, c, tree.root, proof)).to.deep.equal([true, false]);
      await records.registerBatchRecord(HOSPITAL, tree.root, c, proof);
      const single = batchOf([commitmentOf(7)], chainId, book.contracts.RecordRegistry);
      await records.connect(doctor).anchorBatch(single.root, 1);
      await expect(records.registerBatchRecord(HOSPITAL, single.root, commitmentOf(7), [ROOT])).to.be.revertedWithCustomError(records, "ProofTooLong").withArgs(single.root, 1, 0);
      await records.registerBatchRecord(HOSPITAL, single.root, commitmentOf(7), []);
    });

    it("refuses a record its organization anchored singly before (another's single anchor does not matter), and is refused while paused", async function () {
      const { records, doctor, labAdmin, pauser, tree } = await loadFixture(batchFixture);
      await records.connect(doctor).anchor(commitmentOf(4));
      await expect(records.registerBatchRecord(HOSPITAL, tree.root, commitmentOf(4), tree.getProof(3)))
        .to.be.revertedWithCustomError(records, "CommitmentAlreadyAnchored")
        .withArgs(commitmentOf(4), HOSPITAL);
      await records.connect(labAdmin).anchor(commitmentOf(3));
      await expect(records.registerBatchRecord(HOSPITAL, tree.root, commitmentOf(3), tree.getProof(2))).to.emit(records, "BatchRecordRegistered").withArgs(tree.root, commitmentOf(3), HOSPITAL);
      await records.connect(pauser).pause();
      await expect(records.registerBatchRecord(HOSPITAL, tree.root, commitmentOf(5), tree.getProof(4))).to.be.revertedWithCustomError(records, "EnforcedPause");
    });
  });

  describe("per organization: a squatter gains nothing", function () {
    it("the lab front-runs the hospital's anchorBatch: the hospital's still succeeds, attributed to it, and the lab's retraction changes nothing of it", async function () {
      const { records, doctor, labAdmin, chainId, book } = await loadFixture(recordsFixture);
      const commitments = [1, 2, 3, 4, 5].map((n) => commitmentOf(n));
      const tree = batchOf(commitments, chainId, book.contracts.RecordRegistry);
      // The lab copies the hospital's pending anchorBatch(root, n) from the mempool and gets it mined first.
      await expect(records.connect(labAdmin).anchorBatch(tree.root, commitments.length)).to.emit(records, "BatchAnchored").withArgs(tree.root, LAB, 5);
      await expect(records.connect(doctor).anchorBatch(tree.root, commitments.length)).to.emit(records, "BatchAnchored").withArgs(tree.root, HOSPITAL, 5);
      const hospitalAt = BigInt(await time.latest());
      const b = await records.batch(HOSPITAL, tree.root);
      expect([b.orgId, b.anchoredAt, b.leafCount]).to.deep.equal([HOSPITAL, hospitalAt, 5n]);
      expect((await records.batch(LAB, tree.root)).orgId).to.equal(LAB);
      for (const [i, c] of commitments.entries()) {
        expect(await records.verifyInclusion(HOSPITAL, tree.root, c, 1, c, tree.getProof(i))).to.equal(true);
        expect(await records.evidenceStatus(HOSPITAL, c, tree.root, tree.getProof(i))).to.deep.equal([true, false]);
      }
      // The lab registers a leaf under its own organization and retracts it: only its own statement changes.
      const c = commitments[2];
      const proof = tree.getProof(2);
      await expect(records.registerBatchRecord(LAB, tree.root, c, proof)).to.emit(records, "BatchRecordRegistered").withArgs(tree.root, c, LAB);
      await expect(records.connect(labAdmin).retract(c, RetractionReason.EnteredInError)).to.emit(records, "RecordRetracted").withArgs(c, LAB, RetractionReason.EnteredInError);
      expect(await records.evidenceStatus(LAB, c, tree.root, proof)).to.deep.equal([true, true]);
      expect(await records.evidenceStatus(HOSPITAL, c, tree.root, proof)).to.deep.equal([true, false]);
      expect(await records.commitmentStatus(HOSPITAL, c)).to.deep.equal([false, false]);
      expect(await records.verifyInclusion(HOSPITAL, tree.root, c, 1, c, proof)).to.equal(true);
      // The hospital registers the same leaf as its own, at its own batch's time, not retracted.
      await expect(records.registerBatchRecord(HOSPITAL, tree.root, c, proof)).to.emit(records, "BatchRecordRegistered").withArgs(tree.root, c, HOSPITAL);
      const v = await records.recordVersion(HOSPITAL, c);
      expect([v.orgId, v.anchoredAt, v.version, v.headVersion, v.retracted]).to.deep.equal([HOSPITAL, hospitalAt, 1n, 1n, false]);
      expect(await records.commitmentStatus(HOSPITAL, c)).to.deep.equal([true, false]);
      expect(await records.evidenceStatus(HOSPITAL, c, tree.root, proof)).to.deep.equal([true, false]);
    });

    it("the lab front-runs the hospital's anchor: the hospital's still succeeds, and the lab's retraction and amendment change nothing of it", async function () {
      const { records, doctor, labAdmin } = await loadFixture(recordsFixture);
      const c = commitmentOf(1);
      await expect(records.connect(labAdmin).anchor(c)).to.emit(records, "RecordAnchored").withArgs(c, c, LAB, 1);
      await expect(records.connect(doctor).anchor(c)).to.emit(records, "RecordAnchored").withArgs(c, c, HOSPITAL, 1);
      const hospitalAt = BigInt(await time.latest());
      expect(await records.commitmentStatus(HOSPITAL, c)).to.deep.equal([true, false]);
      const v = await records.recordVersion(HOSPITAL, c);
      expect([v.orgId, v.anchoredAt, v.version, v.headVersion]).to.deep.equal([HOSPITAL, hospitalAt, 1n, 1n]);
      await expect(records.connect(labAdmin).retract(c, RetractionReason.WrongPatient)).to.emit(records, "RecordRetracted").withArgs(c, LAB, RetractionReason.WrongPatient);
      expect(await records.commitmentStatus(LAB, c)).to.deep.equal([true, true]);
      expect(await records.commitmentStatus(HOSPITAL, c)).to.deep.equal([true, false]);
      expect(await records.evidenceStatus(HOSPITAL, c, hre.ethers.ZeroHash, [])).to.deep.equal([true, false]);
      // The lab amends its own record of that id; the hospital's stays at version 1 and amends on its own.
      const c2 = commitmentOf(1, 6.1);
      await expect(records.connect(labAdmin).amend(c, 1, c2)).to.emit(records, "RecordAnchored").withArgs(c, c2, LAB, 2);
      expect(await records.currentVersion(LAB, c)).to.equal(2n);
      expect(await records.currentVersion(HOSPITAL, c)).to.equal(1n);
      await expect(records.connect(doctor).amend(c, 1, c2)).to.emit(records, "RecordAnchored").withArgs(c, c2, HOSPITAL, 2);
      expect(await records.currentVersion(HOSPITAL, c)).to.equal(2n);
      expect(await records.commitmentStatus(HOSPITAL, c)).to.deep.equal([true, false]);
    });

    it("the lab can neither amend nor retract the hospital's record, nor register the hospital's batch leaf as its own", async function () {
      const { records, labAdmin, c1, c2, chainId, book, doctor } = await loadFixture(amendedFixture);
      const c3 = commitmentOf(1, 8);
      for (const superseded of [1, 2]) {
        await expect(records.connect(labAdmin).amend(c1, superseded, c3)).to.be.revertedWithCustomError(records, "UnknownRecord").withArgs(LAB, c1);
      }
      for (const c of [c1, c2]) {
        await expect(records.connect(labAdmin).retract(c, RetractionReason.EnteredInError)).to.be.revertedWithCustomError(records, "CommitmentNotAnchored").withArgs(LAB, c);
      }
      expect(await records.currentVersion(HOSPITAL, c1)).to.equal(2n);
      expect(await records.commitmentStatus(HOSPITAL, c1)).to.deep.equal([true, false]);
      expect(await records.commitmentStatus(HOSPITAL, c2)).to.deep.equal([true, false]);
      expect((await records.recordVersion(HOSPITAL, c3)).orgId).to.equal(0n);
      const tree = batchOf([commitmentOf(4)], chainId, book.contracts.RecordRegistry);
      await records.connect(doctor).anchorBatch(tree.root, 1);
      await expect(records.connect(labAdmin).registerBatchRecord(LAB, tree.root, commitmentOf(4), [])).to.be.revertedWithCustomError(records, "UnknownBatch").withArgs(LAB, tree.root);
      expect(await records.evidenceStatus(LAB, commitmentOf(4), tree.root, [])).to.deep.equal([false, false]);
    });
  });

  describe("pause and unpause", function () {
    it("are wired to the PAUSER role in the AccessManager, from FUNCTION_ROLES", async function () {
      const { records, manager } = await loadFixture(recordsFixture);
      const { FUNCTION_ROLES, Role } = await import("../../sdk");
      for (const [fn, role] of Object.entries(FUNCTION_ROLES.RecordRegistry)) {
        expect(await manager.getTargetFunctionRole(records.target, records.interface.getFunction(fn as "pause")!.selector)).to.equal(Role[role]);
      }
      expect(Object.keys(FUNCTION_ROLES.RecordRegistry).sort()).to.deep.equal(["pause", "unpause"]);
    });

    it("belong to the pauser", async function () {
      const { records, pauser, doctor } = await loadFixture(recordsFixture);
      await expect(records.connect(pauser).pause()).to.emit(records, "Paused").withArgs(pauser.address);
      await expect(records.connect(pauser).unpause()).to.emit(records, "Unpaused").withArgs(pauser.address);
      await expect(records.connect(doctor).anchor(commitmentOf(1))).to.emit(records, "RecordAnchored");
    });

    it("refuse anyone else, from a wallet and from a contract", async function () {
      const { records, outsider, registrar, intermediary } = await loadFixture(recordsFixture);
      for (const who of [outsider, registrar]) {
        await expect(records.connect(who).pause()).to.be.revertedWithCustomError(records, "AccessManagedUnauthorized").withArgs(who.address);
      }
      await expect(intermediary.forward(records.target, records.interface.encodeFunctionData("pause"))).to.be.revertedWithCustomError(records, "AccessManagedUnauthorized").withArgs(intermediary.target);
      await expect(intermediary.forward(records.target, records.interface.encodeFunctionData("unpause"))).to.be.revertedWithCustomError(records, "AccessManagedUnauthorized").withArgs(intermediary.target);
    });
  });

  it("stores nothing but ids, codes, times and commitments (no content in calldata or events)", async function () {
    const { records, doctor } = await loadFixture(recordsFixture);
    const tx = await records.connect(doctor).anchor(commitmentOf(1));
    const receipt = await tx.wait();
    const text = JSON.stringify({ data: tx.data, logs: receipt!.logs.map((l) => [l.data, ...l.topics]) });
    expect(Buffer.from(text.replace(/0x/g, ""), "hex").toString("latin1")).to.not.include("Hemoglobin");
    expect(tx.data.length).to.equal(2 + 2 * (4 + 32));
    expect(hre.ethers.dataLength(receipt!.logs[0].data)).to.equal(32);
  });
});
