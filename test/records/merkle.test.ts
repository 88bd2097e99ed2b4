import { expect } from "chai";
import hre from "hardhat";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import fc from "fast-check";
import { FastMerkleTree, jsKeccakEngine, keccakEngine, leafEncoder, RECORD_LEAF_ENCODING, ValidationError } from "../../sdk";
import { MerkleProofHarness__factory } from "../../typechain-types";

const SEED = 20261121;

/** A deterministic pseudo-random 32-byte hex value. */
function word(seed: number, i: number): string {
  return hre.ethers.keccak256(hre.ethers.toBeHex((BigInt(seed) << 32n) + BigInt(i), 32));
}

/** `n` random record leaves (chain id, registry, recordId, version, commitment). */
function recordValues(n: number, seed = 1): unknown[][] {
  const registry = hre.ethers.getAddress("0x" + word(seed, -1).slice(26));
  return Array.from({ length: n }, (_, i) => [31337n, registry, word(seed, 2 * i), 1 + (i % 3), word(seed, 2 * i + 1)]);
}

describe("FastMerkleTree", function () {
  describe("compared with @openzeppelin/merkle-tree's StandardMerkleTree", function () {
    for (const n of [1, 2, 3, 7, 33, 1024, 1025]) {
      it(`builds the same leaves, root and proofs for ${n} random record leaves`, async function () {
        const values = recordValues(n, n);
        const oz = StandardMerkleTree.of(values, [...RECORD_LEAF_ENCODING]);
        const ours = FastMerkleTree.of(values, RECORD_LEAF_ENCODING);
        expect(ours.root).to.equal(oz.root);
        expect(ours.length).to.equal(n);
        const step = n > 64 ? 37 : 1;
        for (let i = 0; i < n; i += step) {
          expect(ours.getProof(i)).to.deep.equal(oz.getProof(i));
          expect(ours.leafHashAt(i)).to.equal(oz.leafHash(values[i]));
        }
        expect(ours.getProof(n - 1)).to.deep.equal(oz.getProof(n - 1));
      });
    }

    it("dumps exactly what StandardMerkleTree dumps, and StandardMerkleTree loads it", function () {
      const values = recordValues(7, 70);
      const ours = FastMerkleTree.of(values, RECORD_LEAF_ENCODING).dump();
      const oz = StandardMerkleTree.of(values, [...RECORD_LEAF_ENCODING]).dump();
      expect(JSON.stringify(ours, (_k, v) => (typeof v === "bigint" ? v.toString() : v))).to.equal(
        JSON.stringify(oz, (_k, v) => (typeof v === "bigint" ? v.toString() : v)),
      );
      expect(() => StandardMerkleTree.load(ours as never).validate()).to.not.throw();
    });

    it("handles duplicate leaves, unsorted trees and every static type like StandardMerkleTree", function () {
      const encoding = ["uint8", "int256", "bool", "bytes4", "address", "uint256", "bytes32"];
      const base = [7, -5n, true, "0xdeadbeef", "0x000000000000000000000000000000000000dEaD", "0x" + "ff".repeat(32), word(3, 3)];
      const values = [base, [255, 2n ** 255n - 1n, false, "0x00000001", "0x" + "11".repeat(20), "123", word(3, 4)], base, [0, -(2n ** 255n), true, "0xffffffff", "0x" + "22".repeat(20), 0n, word(3, 5)]];
      for (const sortLeaves of [true, false]) {
        const oz = StandardMerkleTree.of(values, encoding, { sortLeaves });
        const ours = FastMerkleTree.of(values, encoding, { sortLeaves });
        expect(ours.root).to.equal(oz.root);
        values.forEach((_, i) => expect(ours.getProof(i)).to.deep.equal(oz.getProof(i)));
      }
    });

    it("agrees on random sets of random sizes (fast-check, fixed seed)", function () {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 0, max: 1_000_000 }), (n, seed) => {
          const values = recordValues(n, seed);
          return FastMerkleTree.of(values, RECORD_LEAF_ENCODING).root === StandardMerkleTree.of(values, [...RECORD_LEAF_ENCODING]).root;
        }),
        { seed: SEED, numRuns: 15 },
      );
    });

    it("settles leaves whose hashes share their first four bytes by the whole hash", function () {
      // Found by searching 300,000 leaves: these pairs of leaves share their first 4 bytes, and in
      // each pair the first value's hash is the larger, so sorting by prefix then index would be wrong.
      const registry = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
      const v = (i: number) => [31337n, registry, "0x" + i.toString(16).padStart(64, "0"), 1, "0x" + "ab".repeat(32)];
      const values = [25819, 197911, 48960, 252839, 7, 25819].map(v);
      const prefix = (i: number) => FastMerkleTree.leafHash(RECORD_LEAF_ENCODING, values[i]).slice(0, 10);
      expect(prefix(0)).to.equal(prefix(1));
      expect(prefix(2)).to.equal(prefix(3));
      expect(FastMerkleTree.leafHash(RECORD_LEAF_ENCODING, values[0]) > FastMerkleTree.leafHash(RECORD_LEAF_ENCODING, values[1])).to.equal(true);
      const oz = StandardMerkleTree.of(values, [...RECORD_LEAF_ENCODING]);
      const ours = FastMerkleTree.of(values, RECORD_LEAF_ENCODING);
      expect(ours.root).to.equal(oz.root);
      values.forEach((_, i) => expect(ours.getProof(i)).to.deep.equal(oz.getProof(i)));
    });
  });

  describe("proofs", function () {
    it("are verified by OpenZeppelin's MerkleProof on chain", async function () {
      const [deployer] = await hre.ethers.getSigners();
      const harness = await new MerkleProofHarness__factory(deployer).deploy();
      const values = recordValues(1025, 5);
      const tree = FastMerkleTree.of(values, RECORD_LEAF_ENCODING);
      for (const i of [0, 1, 512, 1023, 1024]) {
        expect(await harness.verify(tree.getProof(i), tree.root, tree.leafHashAt(i))).to.equal(true);
        expect(await harness.verify(tree.getProof(i), tree.root, tree.leafHashAt((i + 1) % 1025))).to.equal(false);
      }
    });

    it("stream one at a time, in the callers' order, equal to getProof and getProofBytes", function () {
      const values = recordValues(100, 6);
      const tree = FastMerkleTree.of(values, RECORD_LEAF_ENCODING);
      let count = 0;
      for (const { index, value, leaf, proof } of tree.proofs()) {
        expect(index).to.equal(count++);
        expect(value).to.equal(values[index]);
        expect(leaf).to.equal(tree.leafHashAt(index));
        expect(proof).to.deep.equal(tree.getProof(index));
        expect("0x" + Buffer.from(tree.getProofBytes(index)).toString("hex")).to.equal("0x" + proof.map((p) => p.slice(2)).join(""));
        expect(FastMerkleTree.verify(tree.root, RECORD_LEAF_ENCODING, value, proof)).to.equal(true);
      }
      expect(count).to.equal(100);
      expect(tree.at(3)).to.equal(values[3]);
      expect(tree.depth).to.equal(7);
    });

    it("fail off chain for a changed value or a proof of another leaf", function () {
      const values = recordValues(10, 7);
      const tree = FastMerkleTree.of(values, RECORD_LEAF_ENCODING);
      const changed = [...values[0]];
      changed[3] = 99;
      expect(FastMerkleTree.verify(tree.root, RECORD_LEAF_ENCODING, changed, tree.getProof(0))).to.equal(false);
      expect(FastMerkleTree.verify(tree.root, RECORD_LEAF_ENCODING, values[0], tree.getProof(1))).to.equal(false);
    });

    it("refuse an index that is not a leaf", function () {
      const tree = FastMerkleTree.of(recordValues(3), RECORD_LEAF_ENCODING);
      for (const i of [-1, 3, 1.5]) expect(() => tree.getProof(i)).to.throw(ValidationError, /index/);
    });
  });

  describe("building", function () {
    it("reports progress through each phase", function () {
      const phases: string[] = [];
      FastMerkleTree.of(recordValues(5), RECORD_LEAF_ENCODING, { onProgress: (p) => p.done === p.total && phases.push(p.phase) });
      expect(phases).to.deep.equal(["leaves", "sort", "nodes"]);
    });

    it("refuses an empty set, dynamic types and values that do not fit their type, naming them", function () {
      expect(() => FastMerkleTree.of([], RECORD_LEAF_ENCODING)).to.throw(ValidationError, /values/);
      expect(() => FastMerkleTree.of([["x"]], ["string"])).to.throw(ValidationError, /leafEncoding\[0\]/);
      expect(() => leafEncoder([])).to.throw(ValidationError, /leafEncoding/);
      for (const t of ["uint7", "uint264", "bytes33", "bytes0", "uint256[]", "tuple"]) expect(() => leafEncoder([t])).to.throw(ValidationError);
      const bad: [string, unknown][] = [
        ["uint8", 256],
        ["uint8", -1],
        ["uint256", 1.5],
        ["uint256", "12a"],
        ["int8", 128],
        ["int8", -129],
        ["address", "0x12"],
        ["address", "0x" + "zz".repeat(20)],
        ["address", 5],
        ["bool", 1],
        ["bytes4", "0x123"],
        ["bytes4", "0xgggggggg"],
        ["bytes32", "12".repeat(33)],
      ];
      for (const [type, value] of bad) expect(() => FastMerkleTree.of([[value]], [type]), `${type} ${String(value)}`).to.throw(ValidationError, /values\[0\]\[0\]/);
      expect(() => FastMerkleTree.of([[1, 2]], ["uint8"])).to.throw(ValidationError, /values\[0\]/);
      expect(() => FastMerkleTree.processProof("0x12", [])).to.throw(ValidationError, /leaf/);
      expect(() => FastMerkleTree.processProof(word(1, 1), ["0x12"])).to.throw(ValidationError, /proof\[0\]/);
    });
  });

  describe("keccak engine", function () {
    it("runs hash-wasm's WebAssembly module, and agrees with the pure-JS fallback and ethers", function () {
      const wasm = keccakEngine();
      const js = jsKeccakEngine();
      expect(wasm.backend).to.equal("wasm");
      expect(js.backend).to.equal("js");
      for (const len of [0, 1, 32, 64, 135, 136, 137, 160, 1000]) {
        const input = hre.ethers.getBytes(hre.ethers.keccak256(hre.ethers.toBeHex(len, 32))).slice(0, 1);
        const data = new Uint8Array(len).map((_, i) => (input[0] + i * 7) & 255);
        wasm.io.set(data, 0);
        wasm.hash(len);
        js.io.set(data, 0);
        js.hash(len);
        const expected = hre.ethers.keccak256(data);
        expect("0x" + Buffer.from(wasm.io.subarray(0, 32)).toString("hex")).to.equal(expected);
        expect("0x" + Buffer.from(js.io.subarray(0, 32)).toString("hex")).to.equal(expected);
      }
    });
  });
});
