import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import { AbiCoder, keccak256 } from "ethers";
import {
  buildReceiptTree,
  checkReceipts,
  DATA_CLASSES,
  MAX_RECEIPTS_PER_ROOT,
  PURPOSES,
  RECEIPT_LEAF_TYPES,
  receiptLeaf,
  receiptValues,
  ValidationError,
  verifyReceiptProof,
  type DisclosureReceipt,
} from "../../sdk";
import { addressOf, receiptN, receipts } from "./fixtures";

const TYPES = [...RECEIPT_LEAF_TYPES];
const ZERO32 = "0x" + "00".repeat(32);

describe("disclosure receipts (sdk/exchange/receipts.ts)", function () {
  describe("receiptValues and receiptLeaf", function () {
    it("lists the fields in the leaf's order, addresses checksummed and hashes in lower case", function () {
      const r = receiptN(1, { requester: addressOf("doctor").toLowerCase(), requestDigest: receiptN(1).requestDigest.toUpperCase().replace("0X", "0x") });
      expect(receiptValues(r)).to.deep.equal([
        receiptN(1).requestDigest,
        addressOf("doctor"),
        1n,
        addressOf("patient"),
        r.accessRef,
        DATA_CLASSES.labs,
        PURPOSES.TREAT,
        1_001n,
      ]);
      expect(TYPES).to.deep.equal(["bytes32", "address", "uint64", "address", "bytes32", "uint8", "uint8", "uint64"]);
    });

    it("hashes the leaf as StandardMerkleTree does: keccak256(keccak256(abi.encode(values)))", function () {
      const r = receiptN(2, { dataClass: DATA_CLASSES.genomics, purpose: PURPOSES.HRESCH, holderOrgId: (1n << 64n) - 1n, permittedAtBlock: (1n << 64n) - 1n });
      const expected = keccak256(keccak256(AbiCoder.defaultAbiCoder().encode(TYPES, receiptValues(r))));
      expect(receiptLeaf(r)).to.equal(expected);
      expect(StandardMerkleTree.of([receiptValues(r)], TYPES).leafHash(receiptValues(r))).to.equal(expected);
    });

    it("gives every field its own say in the leaf", function () {
      const base = receiptN(3);
      const changed: Partial<DisclosureReceipt>[] = [
        { requestDigest: receiptN(4).requestDigest },
        { requester: addressOf("nurse") },
        { holderOrgId: 2n },
        { patient: addressOf("patient 2") },
        { accessRef: receiptN(4).accessRef },
        { dataClass: DATA_CLASSES.medications },
        { purpose: PURPOSES.HPAYMT },
        { permittedAtBlock: 1_004n },
      ];
      const leaves = new Set([receiptLeaf(base), ...changed.map((c) => receiptLeaf({ ...base, ...c }))]);
      expect(leaves.size).to.equal(changed.length + 1);
    });

    it("refuses a malformed field before hashing anything, naming it", function () {
      const bad: [Partial<Record<keyof DisclosureReceipt, unknown>>, RegExp][] = [
        [{ requestDigest: "0x1234" }, /^receipt\.requestDigest: /],
        [{ requestDigest: ZERO32 }, /^receipt\.requestDigest: must not be zero/],
        [{ requester: "0x12" }, /^receipt\.requester: /],
        [{ requester: "0x" + "00".repeat(20) }, /^receipt\.requester: the zero address/],
        [{ holderOrgId: 0n }, /^receipt\.holderOrgId: /],
        [{ holderOrgId: 1n << 64n }, /^receipt\.holderOrgId: /],
        [{ patient: undefined }, /^receipt\.patient: /],
        [{ accessRef: ZERO32 }, /^receipt\.accessRef: must not be zero/],
        [{ dataClass: 13 }, /^receipt\.dataClass: 13 is not a data class/],
        [{ dataClass: "labs" }, /^receipt\.dataClass: /],
        [{ dataClass: 4.5 }, /^receipt\.dataClass: /],
        [{ purpose: 6 }, /^receipt\.purpose: 6 is not a purpose/],
        [{ purpose: -1 }, /^receipt\.purpose: /],
        [{ permittedAtBlock: -1n }, /^receipt\.permittedAtBlock: /],
        [{ permittedAtBlock: 1n << 64n }, /^receipt\.permittedAtBlock: /],
        [{ permittedAtBlock: 1.5 }, /^receipt\.permittedAtBlock: /],
        [{ permittedAtBlock: "7" }, /^receipt\.permittedAtBlock: /],
      ];
      for (const [over, message] of bad) {
        const r = { ...receiptN(1), ...over } as DisclosureReceipt;
        expect(() => receiptValues(r), JSON.stringify(over, (_, v) => (typeof v === "bigint" ? v.toString() : v))).to.throw(ValidationError, message);
        expect(() => receiptLeaf(r)).to.throw(ValidationError, message);
        // A response's receipts checked together (checkReceipts): the same refusal, the bad field in the
        // first receipt or, for what each has its own, in a later one.
        const { accessRef, dataClass, ...shared } = r;
        const good = { accessRef: receiptN(2).accessRef, dataClass: receiptN(2).dataClass };
        expect(() => checkReceipts(shared, [{ accessRef, dataClass }, good])).to.throw(ValidationError, message);
        if ("accessRef" in over || "dataClass" in over) expect(() => checkReceipts(shared, [good, good, { accessRef, dataClass }])).to.throw(ValidationError, message);
      }
      expect(() => checkReceipts(receiptN(1), [receiptN(1), receiptN(2), receiptN(3)])).to.not.throw();
      expect(() => receiptValues(null as never)).to.throw(ValidationError, /^receipt: is not a disclosure receipt/);
      // Whole numbers given as numbers are whole numbers.
      expect(receiptValues({ ...receiptN(1), holderOrgId: 7 as never, permittedAtBlock: 0 as never }).slice(2, 8)).to.deep.equal([7n, addressOf("patient"), receiptN(1).accessRef, 4, 0, 0n]);
    });
  });

  describe("buildReceiptTree", function () {
    for (const n of [1, 2, 3, 7, 64, 100]) {
      it(`builds the tree StandardMerkleTree builds, byte for byte, over ${n} receipt(s)`, function () {
        const rs = receipts(n);
        const built = buildReceiptTree(rs);
        const oz = StandardMerkleTree.of(rs.map(receiptValues), TYPES);
        expect(built.root).to.equal(oz.root);
        expect(built.count).to.equal(n);
        expect(built.dump.tree).to.deep.equal(oz.dump().tree);
        expect(built.dump.values.map((v) => v.treeIndex)).to.deep.equal(oz.dump().values.map((v) => v.treeIndex));
        rs.forEach((r, i) => {
          expect(built.proofs[i], `proof ${i}`).to.deep.equal(oz.getProof(i));
          expect(built.leaves[i]).to.equal(oz.leafHash(receiptValues(r)));
          expect(verifyReceiptProof(r, built.proofs[i], built.root)).to.equal(true);
          expect(StandardMerkleTree.verify(built.root, TYPES, receiptValues(r), [...built.proofs[i]])).to.equal(true);
        });
      });
    }

    it("dumps a tree that survives JSON and that StandardMerkleTree loads, validates and proves from", function () {
      const rs = receipts(9, { holderOrgId: 12n });
      const built = buildReceiptTree(rs);
      const json = JSON.stringify(built.dump);
      const loaded = StandardMerkleTree.load(JSON.parse(json));
      expect(loaded.root).to.equal(built.root);
      expect(loaded.dump().leafEncoding).to.deep.equal(TYPES);
      expect(loaded.getProof(5)).to.deep.equal(built.proofs[5]);
      expect(built.dump.values[0].value[2]).to.equal("12");
    });

    it("refuses no receipts, more than a root may hold, and a malformed receipt, naming it", function () {
      expect(() => buildReceiptTree([])).to.throw(ValidationError, /^receipts: a root covers at least one receipt/);
      expect(() => buildReceiptTree(undefined as never)).to.throw(ValidationError, /^receipts: /);
      const one = receiptN(1);
      expect(() => buildReceiptTree(new Array<DisclosureReceipt>(MAX_RECEIPTS_PER_ROOT + 1).fill(one))).to.throw(ValidationError, /^receipts: 65537 receipts is more than one root may hold \(65536\)/);
      const rs = receipts(4);
      rs[2] = { ...rs[2], purpose: 9 };
      expect(() => buildReceiptTree(rs)).to.throw(ValidationError, /^receipts\[2\]\.purpose: /);
      expect(() => buildReceiptTree([one, null as never])).to.throw(ValidationError, /^receipts\[1\]: is not a disclosure receipt/);
    });
  });

  describe("verifyReceiptProof", function () {
    it("is false for a receipt that is not under the root, a proof of another receipt, and another root", function () {
      const rs = receipts(8);
      const { root, proofs } = buildReceiptTree(rs);
      expect(verifyReceiptProof(receiptN(8), proofs[0], root)).to.equal(false);
      expect(verifyReceiptProof({ ...rs[0], purpose: PURPOSES.HOPERAT }, proofs[0], root)).to.equal(false);
      expect(verifyReceiptProof(rs[0], proofs[1], root)).to.equal(false);
      expect(verifyReceiptProof(rs[0], proofs[0].slice(1), root)).to.equal(false);
      expect(verifyReceiptProof(rs[0], proofs[0], buildReceiptTree(receipts(7)).root)).to.equal(false);
      expect(verifyReceiptProof(rs[0], proofs[0], root)).to.equal(true);
    });

    it("refuses a malformed receipt, root or proof, naming it", function () {
      const { root, proofs } = buildReceiptTree(receipts(2));
      expect(() => verifyReceiptProof({ ...receiptN(0), patient: "0x1" }, proofs[0], root)).to.throw(ValidationError, /^receipt\.patient: /);
      expect(() => verifyReceiptProof(receiptN(0), proofs[0], "0x12")).to.throw(ValidationError, /^root: /);
      expect(() => verifyReceiptProof(receiptN(0), "0x12" as never, root)).to.throw(ValidationError, /^proof: /);
      expect(() => verifyReceiptProof(receiptN(0), [proofs[0][0], "0xzz"], root)).to.throw(ValidationError, /^proof\[1\]: /);
    });
  });
});
