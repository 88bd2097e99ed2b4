import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre from "hardhat";
import { buildReceiptTree, FUNCTION_ROLES, MAX_RECEIPTS_PER_ROOT, OrgKind, receiptLeaf, Role } from "../../sdk";
import { receiptN, receipts } from "../exchange/fixtures";
import { PROFILE } from "../support/fixtures";
import { disclosureFixture, HOSPITAL, INSURER, LAB, PHARMACY, ZERO32 } from "./fixtures";

const ROOT = "0x" + "77".repeat(32);
const MAX = 65_536;

/** The fixture plus a tree of 5 receipts of the hospital, anchored by the doctor. */
async function anchoredFixture() {
  const f = await disclosureFixture();
  const rs = receipts(5);
  const tree = buildReceiptTree(rs);
  await f.log.anchorDisclosures(tree.root, tree.count);
  return { ...f, rs, tree };
}

describe("DisclosureLog", function () {
  describe("deployment", function () {
    it("names its participant registry, its version and the most receipts a root may hold (the SDK's figure)", async function () {
      const { log, book } = await loadFixture(disclosureFixture);
      expect(await log.participants()).to.equal(book.contracts.ParticipantRegistry);
      expect(await log.version()).to.equal("1.0.0");
      expect(await log.MAX_RECEIPTS_PER_ROOT()).to.equal(BigInt(MAX));
      expect(MAX_RECEIPTS_PER_ROOT).to.equal(MAX);
    });

    it("accounts for every state-changing function: pause and unpause by role, anchoring by membership", async function () {
      const { log } = await loadFixture(disclosureFixture);
      const writes: string[] = [];
      log.interface.forEachFunction((fn) => {
        if (!fn.constant) writes.push(fn.name);
      });
      // AccessManaged's own setter is authorized by the manager itself; anchoring asks the participant registry.
      expect(writes.sort()).to.deep.equal(["anchorDisclosures", "pause", "setAuthority", "unpause"]);
      expect(Object.keys(FUNCTION_ROLES.DisclosureLog).sort()).to.deep.equal(["pause", "unpause"]);
    });
  });

  describe("anchorDisclosures", function () {
    it("anchors a root for the caller's organization: one slot with the organization, count, time and block, and an event", async function () {
      const { log, doctor } = await loadFixture(disclosureFixture);
      expect(await log.anchorDisclosures.staticCall(ROOT, 1024)).to.equal(HOSPITAL);
      await time.increase(3_600);
      const tx = log.anchorDisclosures(ROOT, 1024);
      await expect(tx).to.emit(log, "DisclosuresAnchored").withArgs(HOSPITAL, ROOT, 1024, doctor.address);
      const receipt = await (await tx).wait();
      const block = await hre.ethers.provider.getBlock(receipt!.blockNumber);
      const a = await log.anchorOf(HOSPITAL, ROOT);
      expect([a.orgId, a.count, a.anchoredAt, a.blockNumber]).to.deep.equal([HOSPITAL, 1024n, BigInt(block!.timestamp), BigInt(receipt!.blockNumber)]);
      expect(receipt!.logs).to.have.length(1);
    });

    it("lets any member of a provider, a lab or a pharmacy anchor, each for its own organization", async function () {
      const { log, nurse, labAdmin, pharmacist } = await loadFixture(disclosureFixture);
      const roots = [1, 2, 3].map((n) => hre.ethers.id(`root ${n}`));
      await expect(log.connect(nurse).anchorDisclosures(roots[0], 3)).to.emit(log, "DisclosuresAnchored").withArgs(HOSPITAL, roots[0], 3, nurse.address);
      await expect(log.connect(labAdmin).anchorDisclosures(roots[1], 2)).to.emit(log, "DisclosuresAnchored").withArgs(LAB, roots[1], 2, labAdmin.address);
      await expect(log.connect(pharmacist).anchorDisclosures(roots[2], 1)).to.emit(log, "DisclosuresAnchored").withArgs(PHARMACY, roots[2], 1, pharmacist.address);
      const orgs = [HOSPITAL, LAB, PHARMACY];
      expect((await Promise.all(roots.map((r, i) => log.anchorOf(orgs[i], r)))).map((a) => [a.orgId, a.count])).to.deep.equal([
        [HOSPITAL, 3n],
        [LAB, 2n],
        [PHARMACY, 1n],
      ]);
    });

    it("takes from 1 to MAX_RECEIPTS_PER_ROOT receipts and refuses 0 and one more, with the count and the bound", async function () {
      const { log, doctor } = await loadFixture(disclosureFixture);
      await expect(log.anchorDisclosures(ROOT, 0)).to.be.revertedWithCustomError(log, "ReceiptCountOutOfRange").withArgs(0, MAX);
      await expect(log.anchorDisclosures(ROOT, MAX + 1)).to.be.revertedWithCustomError(log, "ReceiptCountOutOfRange").withArgs(MAX + 1, MAX);
      await expect(log.anchorDisclosures(ROOT, 2 ** 32 - 1)).to.be.revertedWithCustomError(log, "ReceiptCountOutOfRange").withArgs(2 ** 32 - 1, MAX);
      expect((await log.anchorOf(HOSPITAL, ROOT)).orgId).to.equal(0n);
      await expect(log.anchorDisclosures(ROOT, MAX)).to.emit(log, "DisclosuresAnchored").withArgs(HOSPITAL, ROOT, MAX, doctor.address);
      const other = hre.ethers.id("a root of one");
      await expect(log.anchorDisclosures(other, 1)).to.emit(log, "DisclosuresAnchored");
      expect((await log.anchorOf(HOSPITAL, other)).count).to.equal(1n);
    });

    it("refuses a zero root", async function () {
      const { log } = await loadFixture(disclosureFixture);
      await expect(log.anchorDisclosures(ZERO32, 1)).to.be.revertedWithCustomError(log, "ZeroRoot");
    });

    it("refuses a root its own organization anchored before, from any of its members, naming that organization, and keeps the first anchor", async function () {
      const { log, doctor, nurse, labAdmin } = await loadFixture(disclosureFixture);
      await log.anchorDisclosures(ROOT, 8);
      const first = await log.anchorOf(HOSPITAL, ROOT);
      for (const who of [doctor, nurse]) {
        await expect(log.connect(who).anchorDisclosures(ROOT, 9)).to.be.revertedWithCustomError(log, "RootAlreadyAnchored").withArgs(ROOT, HOSPITAL);
      }
      expect(await log.anchorOf(HOSPITAL, ROOT)).to.deep.equal(first);
      // The lab's second anchoring of its own root names the lab.
      const labRoot = hre.ethers.id("lab root");
      await log.connect(labAdmin).anchorDisclosures(labRoot, 1);
      await expect(log.connect(labAdmin).anchorDisclosures(labRoot, 2)).to.be.revertedWithCustomError(log, "RootAlreadyAnchored").withArgs(labRoot, LAB);
    });

    it("keeps anchors per organization: another organization anchoring a holder's root first stops nobody, and each anchor is its own", async function () {
      const { log, doctor, labAdmin, pharmacist } = await loadFixture(disclosureFixture);
      // The lab copies the hospital's pending root (from the mempool, say) and anchors it first.
      await expect(log.connect(labAdmin).anchorDisclosures(ROOT, 9)).to.emit(log, "DisclosuresAnchored").withArgs(LAB, ROOT, 9, labAdmin.address);
      expect((await log.anchorOf(HOSPITAL, ROOT)).orgId).to.equal(0n);
      // The hospital's own anchoring still succeeds, under the hospital, with the hospital's count.
      await time.increase(60);
      const tx = log.anchorDisclosures(ROOT, 8);
      await expect(tx).to.emit(log, "DisclosuresAnchored").withArgs(HOSPITAL, ROOT, 8, doctor.address);
      const receipt = await (await tx).wait();
      const block = await hre.ethers.provider.getBlock(receipt!.blockNumber);
      const [hospital, lab] = await Promise.all([log.anchorOf(HOSPITAL, ROOT), log.anchorOf(LAB, ROOT)]);
      expect([hospital.orgId, hospital.count, hospital.anchoredAt, hospital.blockNumber]).to.deep.equal([HOSPITAL, 8n, BigInt(block!.timestamp), BigInt(receipt!.blockNumber)]);
      expect([lab.orgId, lab.count]).to.deep.equal([LAB, 9n]);
      expect(lab.blockNumber).to.be.lessThan(hospital.blockNumber);
      // A third organization too; and each one's second anchoring is refused, naming itself.
      await expect(log.connect(pharmacist).anchorDisclosures(ROOT, 1)).to.emit(log, "DisclosuresAnchored").withArgs(PHARMACY, ROOT, 1, pharmacist.address);
      await expect(log.anchorDisclosures(ROOT, 8)).to.be.revertedWithCustomError(log, "RootAlreadyAnchored").withArgs(ROOT, HOSPITAL);
      await expect(log.connect(labAdmin).anchorDisclosures(ROOT, 8)).to.be.revertedWithCustomError(log, "RootAlreadyAnchored").withArgs(ROOT, LAB);
      await expect(log.connect(pharmacist).anchorDisclosures(ROOT, 8)).to.be.revertedWithCustomError(log, "RootAlreadyAnchored").withArgs(ROOT, PHARMACY);
      expect((await log.anchorOf(LAB, ROOT)).count).to.equal(9n);
    });

    it("refuses a non-member, from a wallet and from a contract", async function () {
      const { log, outsider, patient, intermediary } = await loadFixture(disclosureFixture);
      for (const who of [outsider, patient]) {
        await expect(log.connect(who).anchorDisclosures(ROOT, 1)).to.be.revertedWithCustomError(log, "NotDisclosingMember").withArgs(who.address, 0, OrgKind.None);
      }
      const data = log.interface.encodeFunctionData("anchorDisclosures", [ROOT, 1]);
      await expect(intermediary.forward(log.target, data)).to.be.revertedWithCustomError(log, "NotDisclosingMember").withArgs(intermediary.target, 0, OrgKind.None);
      expect((await log.anchorOf(0, ROOT)).orgId).to.equal(0n);
    });

    it("refuses members of insurers, researchers and regulators: they hold no records to disclose", async function () {
      const { log, registry, registrar, insurerAdmin, signers } = await loadFixture(disclosureFixture);
      await expect(log.connect(insurerAdmin).anchorDisclosures(ROOT, 1)).to.be.revertedWithCustomError(log, "NotDisclosingMember").withArgs(insurerAdmin.address, INSURER, OrgKind.Insurer);
      for (const [i, kind] of [OrgKind.Researcher, OrgKind.Regulator].entries()) {
        const admin = signers[15 + i];
        await registry.connect(registrar).registerOrganization(kind, PROFILE, admin.address);
        const orgId = await registry.organizationCount();
        await expect(log.connect(admin).anchorDisclosures(ROOT, 1)).to.be.revertedWithCustomError(log, "NotDisclosingMember").withArgs(admin.address, orgId, kind);
      }
    });

    it("refuses a member of a suspended organization from the block of the suspension, and takes it back once reinstated", async function () {
      const { log, registry, pauser, registrar, doctor } = await loadFixture(disclosureFixture);
      await registry.connect(pauser).suspendOrganization(HOSPITAL);
      await expect(log.anchorDisclosures(ROOT, 1)).to.be.revertedWithCustomError(log, "DisclosingOrganizationSuspended").withArgs(HOSPITAL, doctor.address);
      await registry.connect(registrar).reinstateOrganization(HOSPITAL);
      await expect(log.anchorDisclosures(ROOT, 1)).to.emit(log, "DisclosuresAnchored").withArgs(HOSPITAL, ROOT, 1, doctor.address);
    });

    it("asks who the caller is before looking at what it sends", async function () {
      const { log, outsider, registry, pauser, doctor } = await loadFixture(disclosureFixture);
      await expect(log.connect(outsider).anchorDisclosures(ZERO32, 0)).to.be.revertedWithCustomError(log, "NotDisclosingMember");
      await registry.connect(pauser).suspendOrganization(HOSPITAL);
      await expect(log.anchorDisclosures(ZERO32, 0)).to.be.revertedWithCustomError(log, "DisclosingOrganizationSuspended").withArgs(HOSPITAL, doctor.address);
    });

    it("is refused while paused, and anchors again once unpaused", async function () {
      const { log, pauser, doctor } = await loadFixture(disclosureFixture);
      await log.connect(pauser).pause();
      await expect(log.anchorDisclosures(ROOT, 1)).to.be.revertedWithCustomError(log, "EnforcedPause");
      await log.connect(pauser).unpause();
      await expect(log.anchorDisclosures(ROOT, 1)).to.emit(log, "DisclosuresAnchored").withArgs(HOSPITAL, ROOT, 1, doctor.address);
    });

    it("puts nothing on chain but the root, the count, ids and addresses", async function () {
      const { log } = await loadFixture(disclosureFixture);
      const tx = await log.anchorDisclosures(ROOT, 7);
      const receipt = await tx.wait();
      expect(hre.ethers.dataLength(tx.data)).to.equal(4 + 32 + 32);
      expect(receipt!.logs[0].topics).to.have.length(4);
      expect(hre.ethers.dataLength(receipt!.logs[0].data)).to.equal(32);
    });
  });

  describe("anchorOf", function () {
    it("is all zero for a root never anchored, and for an organization that did not anchor a root another one did", async function () {
      const { log, tree } = await loadFixture(anchoredFixture);
      expect((await log.anchorOf(HOSPITAL, tree.root)).orgId).to.equal(HOSPITAL);
      for (const [orgId, root] of [
        [HOSPITAL, ROOT],
        [LAB, tree.root],
        [0n, tree.root],
      ] as const) {
        const a = await log.anchorOf(orgId, root);
        expect([a.orgId, a.count, a.anchoredAt, a.blockNumber], `${orgId} ${root}`).to.deep.equal([0n, 0n, 0n, 0n]);
      }
    });
  });

  describe("verifyReceipt", function () {
    it("accepts every receipt of an anchored root with the proof the SDK built", async function () {
      const { log, rs, tree } = await loadFixture(anchoredFixture);
      for (let i = 0; i < rs.length; i++) {
        expect(tree.leaves[i]).to.equal(receiptLeaf(rs[i]));
        expect(await log.verifyReceipt(HOSPITAL, tree.root, [...tree.proofs[i]], receiptLeaf(rs[i])), `receipt ${i}`).to.equal(true);
      }
    });

    for (const n of [1, 2, 64]) {
      it(`accepts the SDK's proofs in a root of ${n} receipt(s)`, async function () {
        const { log } = await loadFixture(disclosureFixture);
        const rs = receipts(n, { permittedAtBlock: 77n });
        const tree = buildReceiptTree(rs);
        await log.anchorDisclosures(tree.root, n);
        for (const i of [0, n - 1, n >> 1]) expect(await log.verifyReceipt(HOSPITAL, tree.root, [...tree.proofs[i]], tree.leaves[i])).to.equal(true);
      });
    }

    it("is false under a root that is not anchored, even with a proof that leads to it, until it is", async function () {
      const { log, rs, labAdmin } = await loadFixture(anchoredFixture);
      const other = buildReceiptTree(receipts(5, { holderOrgId: LAB }));
      expect(await log.verifyReceipt(LAB, other.root, [...other.proofs[0]], other.leaves[0])).to.equal(false);
      const single = buildReceiptTree([rs[0]]);
      expect(single.proofs[0]).to.deep.equal([]);
      expect(await log.verifyReceipt(HOSPITAL, single.root, [], single.leaves[0])).to.equal(false);
      await log.connect(labAdmin).anchorDisclosures(other.root, 5);
      expect(await log.verifyReceipt(LAB, other.root, [...other.proofs[0]], other.leaves[0])).to.equal(true);
    });

    it("is false for an organization that did not anchor the root, though another did: it asks about the organization named", async function () {
      const { log, labAdmin } = await loadFixture(disclosureFixture);
      const rs = receipts(4);
      const tree = buildReceiptTree(rs);
      const [proof, leaf] = [[...tree.proofs[1]], receiptLeaf(rs[1])];
      // The lab copies the hospital's root and anchors it first: the hospital's receipts are not verified by that.
      await log.connect(labAdmin).anchorDisclosures(tree.root, tree.count);
      expect(await log.verifyReceipt(HOSPITAL, tree.root, proof, leaf)).to.equal(false);
      // The contract cannot read the holder from a leaf: asked about the lab it says yes, which is why a
      // verifier names the receipt's own holderOrgId (the hospital here), as the SDK does.
      expect(rs[1].holderOrgId).to.equal(HOSPITAL);
      expect(await log.verifyReceipt(LAB, tree.root, proof, leaf)).to.equal(true);
      // The hospital anchors its own root all the same, and its receipts verify under it.
      await log.anchorDisclosures(tree.root, tree.count);
      expect(await log.verifyReceipt(HOSPITAL, tree.root, proof, leaf)).to.equal(true);
      expect(await log.verifyReceipt(PHARMACY, tree.root, proof, leaf)).to.equal(false);
    });

    it("is false for a leaf that is not under the root: another receipt, one changed field, the leaf of another root", async function () {
      const { log, rs, tree } = await loadFixture(anchoredFixture);
      const proof = [...tree.proofs[2]];
      expect(await log.verifyReceipt(HOSPITAL, tree.root, proof, receiptLeaf(receiptN(5)))).to.equal(false);
      expect(await log.verifyReceipt(HOSPITAL, tree.root, proof, receiptLeaf({ ...rs[2], holderOrgId: LAB }))).to.equal(false);
      expect(await log.verifyReceipt(HOSPITAL, tree.root, proof, receiptLeaf({ ...rs[2], permittedAtBlock: rs[2].permittedAtBlock + 1n }))).to.equal(false);
      expect(await log.verifyReceipt(HOSPITAL, tree.root, proof, tree.leaves[3])).to.equal(false);
      expect(await log.verifyReceipt(HOSPITAL, tree.root, proof, ZERO32)).to.equal(false);
    });

    it("is false for a wrong proof: another receipt's, cut short, one element longer, one element changed, none", async function () {
      const { log, tree } = await loadFixture(anchoredFixture);
      const leaf = tree.leaves[1];
      const proof = [...tree.proofs[1]];
      expect(await log.verifyReceipt(HOSPITAL, tree.root, proof, leaf)).to.equal(true);
      expect(await log.verifyReceipt(HOSPITAL, tree.root, [...tree.proofs[4]], leaf)).to.equal(false);
      expect(await log.verifyReceipt(HOSPITAL, tree.root, proof.slice(1), leaf)).to.equal(false);
      expect(await log.verifyReceipt(HOSPITAL, tree.root, [...proof, ROOT], leaf)).to.equal(false);
      expect(await log.verifyReceipt(HOSPITAL, tree.root, [ROOT, ...proof.slice(1)], leaf)).to.equal(false);
      expect(await log.verifyReceipt(HOSPITAL, tree.root, [], leaf)).to.equal(false);
    });

    it("also accepts an internal node with its shorter proof: the verifier computes the leaf from the receipt", async function () {
      const { log, tree } = await loadFixture(anchoredFixture);
      // Node 1 is the root's left child; its proof is its sibling, node 2.
      const [node1, node2] = [tree.dump.tree[1], tree.dump.tree[2]];
      expect(await log.verifyReceipt(HOSPITAL, tree.root, [node2], node1)).to.equal(true);
      expect(tree.leaves).to.not.include(node1);
    });
  });

  describe("pause and unpause", function () {
    it("are wired to the pauser role, as FUNCTION_ROLES says", async function () {
      const { log, manager } = await loadFixture(disclosureFixture);
      for (const [fn, role] of Object.entries(FUNCTION_ROLES.DisclosureLog)) {
        expect(await manager.getTargetFunctionRole(log.target, log.interface.getFunction(fn as "pause")!.selector)).to.equal(Role[role]);
      }
    });

    it("belong to the pauser, and pausing stops anchoring but not reading", async function () {
      const { log, pauser, rs, tree } = await loadFixture(anchoredFixture);
      await expect(log.connect(pauser).pause()).to.emit(log, "Paused").withArgs(pauser.address);
      expect(await log.paused()).to.equal(true);
      expect(await log.verifyReceipt(HOSPITAL, tree.root, [...tree.proofs[0]], receiptLeaf(rs[0]))).to.equal(true);
      expect((await log.anchorOf(HOSPITAL, tree.root)).orgId).to.equal(HOSPITAL);
      await expect(log.connect(pauser).unpause()).to.emit(log, "Unpaused").withArgs(pauser.address);
      expect(await log.paused()).to.equal(false);
    });

    it("refuse anyone else, from a wallet and from a contract", async function () {
      const { log, outsider, registrar, doctor, pauser, intermediary } = await loadFixture(disclosureFixture);
      for (const who of [outsider, registrar, doctor]) {
        await expect(log.connect(who).pause()).to.be.revertedWithCustomError(log, "AccessManagedUnauthorized").withArgs(who.address);
        await expect(log.connect(who).unpause()).to.be.revertedWithCustomError(log, "AccessManagedUnauthorized").withArgs(who.address);
      }
      for (const data of [log.interface.encodeFunctionData("pause"), log.interface.encodeFunctionData("unpause")]) {
        await expect(intermediary.connect(pauser).forward(log.target, data)).to.be.revertedWithCustomError(log, "AccessManagedUnauthorized").withArgs(intermediary.target);
      }
    });
  });
});
