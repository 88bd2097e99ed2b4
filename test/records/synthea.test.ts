/**
 * Every resource of the three Synthea patient bundles in ../shared/fixtures/fhir/claims (see the
 * SOURCES.md there; the files are large, so they are read in place, resolved from the repo root)
 * anchored as ONE batch, each verified with its own proof on chain and off chain.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import hre from "hardhat";
import { RECORD_LEAF_ENCODING, recordLeafValues } from "../../sdk";
import { HOSPITAL, recordsFixture } from "./fixtures";

const FIXTURES = path.resolve(hre.config.paths.root, "..", "shared", "fixtures", "fhir", "claims");
const BUNDLES = [
  "Raymon_Kris_ca5da59f-0a70-470d-8b20-a1c847ff9010.json",
  "Parker_Casper_6d0c6969-6843-47e1-9921-d9bf11b1df31.json",
  "Bob965_Keeling57_3f6fd0bb-6cd3-eb3f-4401-cd38ace25f2b.json",
];

function resources(): Record<string, unknown>[] {
  return BUNDLES.flatMap((file) => {
    const bundle = JSON.parse(fs.readFileSync(path.join(FIXTURES, file), "utf8")) as { resourceType: string; entry: { resource: Record<string, unknown> }[] };
    expect(bundle.resourceType).to.equal("Bundle");
    return bundle.entry.map((e) => e.resource);
  });
}

async function syntheaFixture() {
  const f = await recordsFixture();
  const all = resources();
  const hospital = await f.connect(f.doctor);
  const result = await (await hospital.records.anchorBatch(all.map((resource) => ({ resource })))).wait();
  const verifier = await f.connect(f.outsider);
  return { ...f, all, result, verifier };
}

describe("records: the three Synthea bundles in one batch", function () {
  it("anchors every resource of the three bundles as one batch, with the same root as StandardMerkleTree", async function () {
    const { all, result, chainId, book } = await loadFixture(syntheaFixture);
    expect(all.length).to.equal(238 + 467 + 122);
    expect(result).to.deep.include({ leafCount: all.length, orgId: HOSPITAL });
    const values = result.batch.commitments.map((c) => recordLeafValues({ chainId, registry: book.contracts.RecordRegistry, recordId: c, version: 1, commitment: c }));
    expect(StandardMerkleTree.of(values, [...RECORD_LEAF_ENCODING]).root).to.equal(result.root);
  });

  it("verifies each resource with its own proof, on chain and off chain", async function () {
    const { all, result, records, verifier } = await loadFixture(syntheaFixture);
    let checked = 0;
    for (const p of result.batch.proofs()) {
      expect(p.orgId, "a proof of an anchored batch names its organization").to.equal(HOSPITAL);
      expect(await records.verifyInclusion(HOSPITAL, p.root, p.recordId, p.version, p.commitment, [...p.proof]), `resource ${p.index}`).to.equal(true);
      expect(verifier.records.verifyProofOffline(p), `resource ${p.index}`).to.equal(true);
      expect(verifier.records.commit(all[p.index], { salt: p.salt }).commitment).to.equal(p.commitment);
      if (p.index % 97 === 0) {
        expect(await verifier.records.verify(all[p.index], p.salt, p)).to.deep.include({ status: "anchored", via: "batch", orgId: HOSPITAL });
      }
      checked++;
    }
    expect(checked).to.equal(all.length);
  });

  it("does not verify a resource with one changed byte, nor with another resource's proof", async function () {
    const { all, result, verifier } = await loadFixture(syntheaFixture);
    const i = all.findIndex((r) => r.resourceType === "Observation");
    const changed = JSON.parse(JSON.stringify(all[i]).replace(/"status":"(\w)/, (_m, c: string) => `"status":"${c === "x" ? "y" : "x"}`));
    expect((await verifier.records.verify(changed, result.batch.salts[i], result.batch.proof(i))).status).to.equal("not-anchored");
    expect((await verifier.records.verify(all[i], result.batch.salts[i], result.batch.proof(i + 1))).status).to.equal("not-anchored");
  });
});
