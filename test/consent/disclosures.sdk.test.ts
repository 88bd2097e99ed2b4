import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre from "hardhat";
import { buildReceiptTree, CareLedger, CareLedgerError, ContractRevertError, OrgKind, ValidationError, withDecodedErrors, type DisclosureReceipt } from "../../sdk";
import { receiptN, receipts } from "../exchange/fixtures";
import { expectRejected } from "../records/fixtures";
import { disclosureFixture, HOSPITAL, INSURER, LAB, ZERO32 } from "./fixtures";

/** Awaits `promise`, requires it to reject with a ContractRevertError `name` whose args include `args`; returns the error. */
async function expectRevert(promise: Promise<unknown>, name: string, args: Record<string, unknown>): Promise<ContractRevertError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).to.be.instanceOf(ContractRevertError);
  const revert = err as ContractRevertError;
  expect(revert.errorName).to.equal(name);
  expect(revert.args).to.deep.include(args);
  expect(revert.message.startsWith(`${name}: `)).to.equal(true);
  return revert;
}

/** The fixture with SDK connections: the hospital's gateway (the doctor), the lab's admin, the pauser, and a read-only verifier. */
async function sdkFixture() {
  const f = await disclosureFixture();
  const gateway = await f.connect(f.doctor);
  const labSdk = await f.connect(f.labAdmin);
  const pauserSdk = await f.connect(f.pauser);
  const verifier = await CareLedger.connect(hre.ethers.provider, { addressBook: f.book });
  // Six receipts of the hospital about the fixture's patient.
  const rs = receipts(6, { patient: f.patient.address });
  const tree = buildReceiptTree(rs);
  return { ...f, gateway, labSdk, pauserSdk, verifier, rs, tree };
}

describe("disclosures (SDK client)", function () {
  it("is the suite's DisclosureLog, from the address book", async function () {
    const { gateway, verifier, book } = await loadFixture(sdkFixture);
    expect(gateway.disclosures.address).to.equal(book.contracts.DisclosureLog);
    expect(verifier.disclosures.address).to.equal(book.contracts.DisclosureLog);
    expect(gateway.addresses.DisclosureLog).to.equal(book.contracts.DisclosureLog);
  });

  describe("anchor", function () {
    it("anchors a tree's root and decodes the organization and the account from the receipt", async function () {
      const { gateway, verifier, tree, doctor } = await loadFixture(sdkFixture);
      const res = await (await gateway.disclosures.anchor({ root: tree.root, count: tree.count })).wait();
      expect({ root: res.root, count: res.count, orgId: res.orgId, by: res.by }).to.deep.equal({ root: tree.root, count: 6, orgId: HOSPITAL, by: doctor.address });
      const block = await hre.ethers.provider.getBlock(res.receipt.blockNumber);
      expect(await verifier.disclosures.anchorOf(tree.root, HOSPITAL)).to.deep.equal({ orgId: HOSPITAL, count: 6, anchoredAt: block!.timestamp, blockNumber: BigInt(res.receipt.blockNumber) });
    });

    it("refuses malformed input before sending anything, naming the field", async function () {
      const { gateway, verifier, tree, doctor } = await loadFixture(sdkFixture);
      const nonce = await hre.ethers.provider.getTransactionCount(doctor.address);
      await expectRejected(gateway.disclosures.anchor({ root: "0x12", count: 1 }), ValidationError, /^root: /);
      await expectRejected(gateway.disclosures.anchor({ root: ZERO32, count: 1 }), ValidationError, /^root: must not be zero/);
      for (const count of [0, 65_537, 1.5, -1, Number.NaN, "3", 3n, undefined]) {
        await expectRejected(gateway.disclosures.anchor({ root: tree.root, count: count as never }), ValidationError, /^count: .* is not a number of receipts one root may hold \(1 to 65536\)/);
      }
      await expectRejected(gateway.disclosures.anchor(null as never), ValidationError, /^params: /);
      await expectRejected(verifier.disclosures.anchor({ root: tree.root, count: 6 }), CareLedgerError, /connect with a Signer/);
      expect(await hre.ethers.provider.getTransactionCount(doctor.address)).to.equal(nonce);
      expect(await verifier.disclosures.anchorOf(tree.root, HOSPITAL)).to.equal(undefined);
    });

    it("turns a root its organization anchored before into RootAlreadyAnchored, naming the organization, and saying there is nothing to do", async function () {
      const { gateway, labSdk, tree } = await loadFixture(sdkFixture);
      await (await gateway.disclosures.anchor({ root: tree.root, count: tree.count })).wait();
      const again = await expectRevert(gateway.disclosures.anchor({ root: tree.root, count: tree.count }), "RootAlreadyAnchored", { root: tree.root, orgId: HOSPITAL });
      expect(again.code).to.equal("ROOT_ALREADY_ANCHORED");
      expect(again.message).to.equal(
        `RootAlreadyAnchored: root ${tree.root} is already anchored by your organization (1): these receipts are on chain and there is nothing to do ` +
          "(disclosures.anchorOf(root, orgId) says when and in which block)",
      );
      // Another organization's anchoring of the same root is its own: not refused, and the error of its second names it.
      expect((await (await labSdk.disclosures.anchor({ root: tree.root, count: 1 })).wait()).orgId).to.equal(LAB);
      await expectRevert(labSdk.disclosures.anchor({ root: tree.root, count: 1 }), "RootAlreadyAnchored", { root: tree.root, orgId: LAB });
    });

    it("turns the membership refusals into typed errors naming the account, the organization and its kind", async function () {
      const f = await loadFixture(sdkFixture);
      const tree = f.tree;
      const insurer = await f.connect(f.insurerAdmin);
      const err = await expectRevert(insurer.disclosures.anchor({ root: tree.root, count: 1 }), "NotDisclosingMember", { account: f.insurerAdmin.address, orgId: INSURER, kind: BigInt(OrgKind.Insurer) });
      expect(err.message).to.match(/is not a member of a provider, lab or pharmacy \(organization 3, kind 4\): only organizations that hold records anchor their disclosures/);
      const outsider = await f.connect(f.outsider);
      await expectRevert(outsider.disclosures.anchor({ root: tree.root, count: 1 }), "NotDisclosingMember", { account: f.outsider.address, orgId: 0n, kind: 0n });
      await f.registry.connect(f.pauser).suspendOrganization(HOSPITAL);
      const suspended = await expectRevert(f.gateway.disclosures.anchor({ root: tree.root, count: 1 }), "DisclosingOrganizationSuspended", { orgId: HOSPITAL, account: f.doctor.address });
      expect(suspended.message).to.contain("until the registrar reinstates it");
    });

    it("is refused while the pauser has paused the log, through the SDK's pause and unpause", async function () {
      const { gateway, pauserSdk, tree } = await loadFixture(sdkFixture);
      await (await pauserSdk.disclosures.pause()).wait();
      await expectRevert(gateway.disclosures.anchor({ root: tree.root, count: tree.count }), "EnforcedPause", {});
      await expectRevert(gateway.disclosures.unpause(), "AccessManagedUnauthorized", {});
      await (await pauserSdk.disclosures.unpause()).wait();
      expect((await (await gateway.disclosures.anchor({ root: tree.root, count: tree.count })).wait()).orgId).to.equal(HOSPITAL);
    });

    it("decodes the errors its own checks keep it from sending, when the contract is called directly", async function () {
      const { gateway, tree } = await loadFixture(sdkFixture);
      const raw = gateway.disclosures.contract;
      const zero = await expectRevert(withDecodedErrors(() => raw.anchorDisclosures(ZERO32, 1)), "ZeroRoot", {});
      expect(zero.message).to.contain("buildReceiptTree(receipts)");
      const over = await expectRevert(withDecodedErrors(() => raw.anchorDisclosures(tree.root, 70_000)), "ReceiptCountOutOfRange", { count: 70_000n, max: 65_536n });
      expect(over.message).to.match(/^ReceiptCountOutOfRange: 70000 receipts is not a count one root may hold \(1 to 65536\)/);
    });
  });

  describe("anchorOf", function () {
    it("is undefined for a root nobody anchored, and refuses a malformed root or organization, naming the field", async function () {
      const { verifier, tree } = await loadFixture(sdkFixture);
      expect(await verifier.disclosures.anchorOf(tree.root, HOSPITAL)).to.equal(undefined);
      expect(await verifier.disclosures.anchorOf(ZERO32, HOSPITAL)).to.equal(undefined);
      await expectRejected(verifier.disclosures.anchorOf("0x1234", HOSPITAL), ValidationError, /^root: /);
      for (const orgId of [0n, -1, 2n ** 64n, 1.5, "x", undefined]) {
        await expectRejected(verifier.disclosures.anchorOf(tree.root, orgId as never), ValidationError, /^orgId: /);
      }
    });

    it("gives the anchor of the organization asked about, as a number or a string too, and nothing for another", async function () {
      const { gateway, verifier, tree } = await loadFixture(sdkFixture);
      await (await gateway.disclosures.anchor({ root: tree.root, count: tree.count })).wait();
      expect((await verifier.disclosures.anchorOf(tree.root, 1))?.orgId).to.equal(HOSPITAL);
      expect((await verifier.disclosures.anchorOf(tree.root, "1"))?.count).to.equal(6);
      expect(await verifier.disclosures.anchorOf(tree.root, LAB)).to.equal(undefined);
    });
  });

  describe("verifyReceipt", function () {
    it("verifies every receipt of a root its holder anchored, for a reader with no signer", async function () {
      const { gateway, verifier, rs, tree } = await loadFixture(sdkFixture);
      const { receipt } = await (await gateway.disclosures.anchor({ root: tree.root, count: tree.count })).wait();
      const anchoredAt = (await hre.ethers.provider.getBlock(receipt.blockNumber))!.timestamp;
      for (let i = 0; i < rs.length; i++) {
        expect(await verifier.disclosures.verifyReceipt({ receipt: rs[i], proof: tree.proofs[i], root: tree.root }), `receipt ${i}`).to.deep.equal({
          verified: true,
          anchored: true,
          orgMatches: true,
          included: true,
          anchoredAt,
          blockNumber: BigInt(receipt.blockNumber),
        });
      }
    });

    it("says the root is not anchored, with nothing about when, while the proof itself holds", async function () {
      const { verifier, rs, tree } = await loadFixture(sdkFixture);
      expect(await verifier.disclosures.verifyReceipt({ receipt: rs[0], proof: tree.proofs[0], root: tree.root })).to.deep.equal({ verified: false, anchored: false, orgMatches: false, included: true });
    });

    it("lets the holder anchor its root after another organization anchored it first, and the holder's receipts then verify as its own", async function () {
      const { gateway, labSdk, verifier, rs, tree } = await loadFixture(sdkFixture);
      // The lab anchors the hospital's pending root first (copied from the mempool, say): it is the lab's statement, not the hospital's.
      const { orgId } = await (await labSdk.disclosures.anchor({ root: tree.root, count: tree.count })).wait();
      expect(orgId).to.equal(LAB);
      // Not the holder's anchor: the receipt is not verified, and nothing says when, until the hospital anchors.
      expect(await verifier.disclosures.verifyReceipt({ receipt: rs[1], proof: tree.proofs[1], root: tree.root })).to.deep.equal({ verified: false, anchored: false, orgMatches: false, included: true });
      expect(await verifier.disclosures.anchorOf(tree.root, HOSPITAL)).to.equal(undefined);
      // The holder's own anchoring is not refused, and every one of its receipts verifies under its anchor.
      const res = await (await gateway.disclosures.anchor({ root: tree.root, count: tree.count })).wait();
      expect(res.orgId).to.equal(HOSPITAL);
      const anchoredAt = (await hre.ethers.provider.getBlock(res.receipt.blockNumber))!.timestamp;
      for (let i = 0; i < rs.length; i++) {
        expect(await verifier.disclosures.verifyReceipt({ receipt: rs[i], proof: tree.proofs[i], root: tree.root }), `receipt ${i}`).to.deep.equal({
          verified: true,
          anchored: true,
          orgMatches: true,
          included: true,
          anchoredAt,
          blockNumber: BigInt(res.receipt.blockNumber),
        });
      }
      // Two anchors of the same bytes, each its organization's.
      expect((await verifier.disclosures.anchorOf(tree.root, LAB))?.blockNumber).to.be.lessThan(BigInt(res.receipt.blockNumber));
    });

    it("does not make the holder's receipts verify as the copier's: a receipt names its holder, and its leaf with it", async function () {
      const { labSdk, verifier, rs, tree } = await loadFixture(sdkFixture);
      await (await labSdk.disclosures.anchor({ root: tree.root, count: tree.count })).wait();
      // The hospital's receipt, looked up under its holder: not anchored by the hospital.
      expect(await verifier.disclosures.verifyReceipt({ receipt: rs[2], proof: tree.proofs[2], root: tree.root })).to.deep.equal({ verified: false, anchored: false, orgMatches: false, included: true });
      // The same receipt claimed as the lab's: the lab's anchor is found, but the changed receipt is not under the root.
      expect(await verifier.disclosures.verifyReceipt({ receipt: { ...rs[2], holderOrgId: LAB }, proof: tree.proofs[2], root: tree.root })).to.deep.include({ verified: false, anchored: true, orgMatches: true, included: false });
      // The lab's own receipts under a root of its own verify.
      const labReceipts = receipts(3, { holderOrgId: LAB });
      const labTree = buildReceiptTree(labReceipts);
      await (await labSdk.disclosures.anchor({ root: labTree.root, count: 3 })).wait();
      expect((await verifier.disclosures.verifyReceipt({ receipt: labReceipts[2], proof: labTree.proofs[2], root: labTree.root })).verified).to.equal(true);
    });

    it("says not included for a changed receipt, another receipt's proof, or a receipt of another root", async function () {
      const { gateway, verifier, rs, tree } = await loadFixture(sdkFixture);
      await (await gateway.disclosures.anchor({ root: tree.root, count: tree.count })).wait();
      const cases: [DisclosureReceipt, readonly string[]][] = [
        [{ ...rs[0], purpose: 2 }, tree.proofs[0]],
        [{ ...rs[0], patient: receiptN(0).patient }, tree.proofs[0]],
        [rs[0], tree.proofs[1]],
        [receiptN(6, { patient: rs[0].patient }), tree.proofs[0]],
      ];
      for (const [receipt, proof] of cases) {
        expect(await verifier.disclosures.verifyReceipt({ receipt, proof, root: tree.root })).to.deep.include({ verified: false, anchored: true, orgMatches: true, included: false });
      }
      // Another holder named in a changed receipt: neither included nor the anchor's organization.
      expect(await verifier.disclosures.verifyReceipt({ receipt: { ...rs[0], holderOrgId: LAB }, proof: tree.proofs[0], root: tree.root })).to.deep.include({ verified: false, orgMatches: false, included: false });
    });

    it("refuses a malformed receipt, proof or root before asking the chain, naming the field", async function () {
      const { verifier, rs, tree } = await loadFixture(sdkFixture);
      await expectRejected(verifier.disclosures.verifyReceipt({ receipt: { ...rs[0], patient: "0x1" }, proof: tree.proofs[0], root: tree.root }), ValidationError, /^receipt\.patient: /);
      await expectRejected(verifier.disclosures.verifyReceipt({ receipt: { ...rs[0], dataClass: 14 }, proof: tree.proofs[0], root: tree.root }), ValidationError, /^receipt\.dataClass: /);
      await expectRejected(verifier.disclosures.verifyReceipt({ receipt: rs[0], proof: ["0x12"], root: tree.root }), ValidationError, /^proof\[0\]: /);
      await expectRejected(verifier.disclosures.verifyReceipt({ receipt: rs[0], proof: tree.root as never, root: tree.root }), ValidationError, /^proof: /);
      await expectRejected(verifier.disclosures.verifyReceipt({ receipt: rs[0], proof: tree.proofs[0], root: "0x" }), ValidationError, /^root: /);
      await expectRejected(verifier.disclosures.verifyReceipt(undefined as never), ValidationError, /^params: /);
    });
  });
});
