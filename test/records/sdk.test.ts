import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre from "hardhat";
import { CareLedger, CareLedgerError, ContractRevertError, FastMerkleTree, newSalt, RECORD_LEAF_ENCODING, recordCommitment, RecordBatch, recordLeafValues, REVERT_MESSAGES, RetractionReason, ValidationError } from "../../sdk";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { RecordRegistry__factory } from "../../typechain-types";
import { expectRejected, HOSPITAL, LAB, observation, recordsFixture, saltOf } from "../records/fixtures";

/** The fixture plus SDK connections for the doctor and the nurse (hospital), the lab admin, and a read-only third party. */
async function sdkFixture() {
  const f = await recordsFixture();
  const hospital = await f.connect(f.doctor);
  const nurseSdk = await f.connect(f.nurse);
  const lab = await f.connect(f.labAdmin);
  const verifier = await CareLedger.connect(hre.ethers.provider, { addressBook: f.book });
  return { ...f, hospital, nurseSdk, lab, verifier };
}

/** Awaits `promise`, requires it to reject with a ContractRevertError `name` whose args include `args`; returns the error. */
async function expectRevert(promise: Promise<unknown>, name: string, args: Record<string, unknown>): Promise<ContractRevertError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).to.be.instanceOf(ContractRevertError);
  const revert = err as ContractRevertError;
  expect(revert.errorName).to.equal(name);
  for (const [key, value] of Object.entries(args)) expect(revert.args[key], key).to.equal(value);
  return revert;
}

/** Awaits `promise`, requires it to reject with a CareLedgerError of code `AMBIGUOUS_ORGANIZATION`. */
async function expectAmbiguous(promise: Promise<unknown>): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).to.be.instanceOf(CareLedgerError);
  expect((err as CareLedgerError).code).to.equal("AMBIGUOUS_ORGANIZATION");
  expect((err as CareLedgerError).message).to.match(/name the one that holds the record|give the proof's orgId/);
}

describe("records SDK", function () {
  describe("commit", function () {
    it("salts every record: same resource, different salts, unrelated commitments; same salt, same commitment", async function () {
      const { hospital } = await loadFixture(sdkFixture);
      const r = observation("a", 1);
      const a = hospital.records.commit(r);
      const b = hospital.records.commit(r);
      expect(a.salt).to.match(/^0x[0-9a-f]{64}$/);
      expect(a.commitment).to.not.equal(b.commitment);
      expect(a.recordId).to.equal(a.commitment);
      expect(hospital.records.commit(r, { salt: a.salt }).commitment).to.equal(a.commitment);
      expect(hospital.records.commit({ ...r, id: "b" }, { salt: a.salt, recordId: a.recordId })).to.deep.include({ recordId: a.recordId });
    });

    it("is the keccak of the domain tag, the salt and the RFC 8785 canonical JSON (key order does not matter)", function () {
      const salt = saltOf(1);
      const canonical = '{"a":1,"b":[true,null,"x"]}';
      const expected = hre.ethers.keccak256(hre.ethers.concat([hre.ethers.toUtf8Bytes("CareLedger.record.v1"), salt, hre.ethers.toUtf8Bytes(canonical)]));
      expect(recordCommitment({ b: [true, null, "x"], a: 1 }, salt)).to.equal(expected);
    });

    it("refuses a resource that is not a JSON object and a malformed salt, naming the field", function () {
      expect(() => recordCommitment([1, 2] as never, saltOf(1))).to.throw(ValidationError, /^resource/);
      expect(() => recordCommitment(null as never, saltOf(1))).to.throw(ValidationError, /^resource/);
      expect(() => recordCommitment({ x: () => 1 }, saltOf(1))).to.throw(ValidationError, /^resource/);
      expect(() => recordCommitment({ x: NaN }, saltOf(1))).to.throw(ValidationError, /^resource/);
      expect(recordCommitment({ note: "undefined" }, saltOf(1))).to.match(/^0x[0-9a-f]{64}$/);
      expect(() => recordCommitment({ a: 1 }, "0x1234")).to.throw(ValidationError, /^salt/);
      expect(newSalt()).to.not.equal(newSalt());
    });
  });

  describe("anchor, amend, retract and verify", function () {
    it("anchors a resource and a third party verifies it: organization, time, version", async function () {
      const { hospital, verifier } = await loadFixture(sdkFixture);
      const r = observation("a", 1);
      const res = await (await hospital.records.anchor({ resource: r })).wait();
      expect(res).to.deep.include({ version: 1, orgId: HOSPITAL, recordId: res.commitment });
      const block = await hre.ethers.provider.getBlock(res.receipt.blockNumber);
      const v = await verifier.records.verify(r, res.salt!);
      expect(v).to.deep.equal({ status: "anchored", via: "single", recordId: res.recordId, commitment: res.commitment, version: 1, currentVersion: 1, orgId: HOSPITAL, anchoredAt: block!.timestamp });
      const byCommitment = await (await hospital.records.anchor({ commitment: recordCommitment(observation("b", 1), saltOf(2)) })).wait();
      expect(byCommitment.salt).to.equal(undefined);
    });

    it("reports superseded, then retracted, then the current version, with the history in order", async function () {
      const { hospital, nurseSdk, lab, verifier } = await loadFixture(sdkFixture);
      const v1 = observation("a", 1);
      const v2 = observation("a", 2);
      const v3 = observation("a", 3);
      const { recordId, salt } = await (await hospital.records.anchor({ resource: v1 })).wait();
      // Only the record's organization amends it: the lab is refused, the nurse (hospital) is not.
      await expectRevert(lab.records.amend({ recordId, supersedes: 1, resource: v2, salt: salt! }), "UnknownRecord", { orgId: LAB, recordId });
      const a2 = await (await nurseSdk.records.amend({ recordId, supersedes: 1, resource: v2, salt: salt! })).wait();
      expect(a2).to.deep.include({ recordId, version: 2, supersedes: 1, orgId: HOSPITAL });
      expect((await verifier.records.verify(v1, salt)).status).to.equal("superseded");
      expect(await verifier.records.verify(v2, salt)).to.deep.include({ status: "anchored", version: 2, currentVersion: 2, orgId: HOSPITAL, recordId });
      // Only the organization that anchored a version retracts it.
      await expectRevert(lab.records.retract({ resource: v2, salt: salt!, reason: "enteredInError" }), "CommitmentNotAnchored", { orgId: LAB, commitment: a2.commitment });
      await (await hospital.records.retract({ resource: v2, salt: salt!, reason: "enteredInError" })).wait();
      const retracted = await verifier.records.verify(v2, salt);
      expect(retracted).to.deep.include({ status: "retracted", version: 2, orgId: HOSPITAL });
      expect(retracted.retraction?.reason).to.equal(RetractionReason.EnteredInError);
      await (await hospital.records.amend({ recordId, supersedes: 2, commitment: recordCommitment(v3, salt!) })).wait();
      const history = await verifier.records.history(recordId);
      expect(history.map((h) => [h.version, h.orgId, h.retracted])).to.deep.equal([
        [1, HOSPITAL, false],
        [2, HOSPITAL, true],
        [3, HOSPITAL, false],
      ]);
      expect(history.every((h) => h.recordId === recordId)).to.equal(true);
      expect(await verifier.records.history(recordId, { orgId: HOSPITAL })).to.deep.equal(history);
      expect(await verifier.records.history(recordId, { orgId: LAB })).to.deep.equal([]);
      expect(await verifier.records.history(a2.commitment)).to.deep.equal([]);
      expect(await verifier.records.currentVersion(recordId, HOSPITAL)).to.equal(3);
      expect(await verifier.records.commitmentStatus(a2.commitment, HOSPITAL)).to.deep.equal({ anchored: true, retracted: true });
      expect(await verifier.records.commitmentStatus(a2.commitment, LAB)).to.deep.equal({ anchored: false, retracted: false });
      expect(await verifier.records.anchoringOrganizations(a2.commitment)).to.deep.equal([HOSPITAL]);
    });

    it("takes a record's id and version from the chain, never from the proof: a superseded version never verifies as current", async function () {
      const { hospital, verifier, records, chainId, labAdmin } = await loadFixture(sdkFixture);
      const x = [1, 2, 3].map((n) => observation("x", n));
      const { recordId: xId, salt } = await (await hospital.records.anchor({ resource: x[0] })).wait();
      await (await hospital.records.amend({ recordId: xId, supersedes: 1, resource: x[1], salt: salt! })).wait();
      await (await hospital.records.amend({ recordId: xId, supersedes: 2, resource: x[2], salt: salt! })).wait();
      // Another record whose current version is 2.
      const y = await (await hospital.records.anchor({ resource: observation("y", 1) })).wait();
      await (await hospital.records.amend({ recordId: y.recordId, supersedes: 1, resource: observation("y", 2), salt: y.salt! })).wait();
      const c2 = recordCommitment(x[1], salt!);
      expect((await verifier.records.verify(x[1], salt)).status).to.equal("superseded");
      // A proof naming record y (current at version 2), or record x at another version, is refused.
      for (const [recordId, version] of [[y.recordId, 2], [xId, 3]] as const) {
        const forged = { root: hre.ethers.id("any root"), recordId, version, commitment: c2, proof: [] };
        expect(await verifier.records.verify(x[1], salt, forged)).to.deep.include({ status: "proof-mismatch", recordId: xId, version: 2 });
      }
      // A batch leaf claiming to be a later version of the hospital's record, anchored by the lab.
      const forgedLeaf = recordCommitment(observation("x", 4), saltOf(9));
      const registry = String(records.target);
      const leaves = [
        recordLeafValues({ chainId, registry, recordId: xId, version: 4, commitment: forgedLeaf }),
        recordLeafValues({ chainId, registry, recordId: hre.ethers.id("not its commitment"), version: 1, commitment: recordCommitment(observation("z", 1), saltOf(9)) }),
      ];
      const tree = FastMerkleTree.of(leaves, RECORD_LEAF_ENCODING);
      await (await records.connect(labAdmin).anchorBatch(tree.root, 2)).wait();
      const leafProof = (i: number) => ({ root: tree.root, recordId: leaves[i][2], version: leaves[i][3], commitment: leaves[i][4], proof: tree.getProof(i) });
      expect(await verifier.records.verifyInclusion(leafProof(0))).to.equal(true);
      expect((await verifier.records.verify(observation("x", 4), saltOf(9), leafProof(0))).status).to.equal("proof-mismatch");
      expect((await verifier.records.verify(observation("z", 1), saltOf(9), leafProof(1))).status).to.equal("proof-mismatch");
      // Asked about the hospital, the lab's batch is no batch of the hospital's.
      expect(await verifier.records.verifyInclusion({ ...leafProof(0), orgId: HOSPITAL })).to.equal(false);
      expect(await verifier.records.verify(observation("x", 4), saltOf(9), leafProof(0), { orgId: HOSPITAL })).to.deep.equal({ status: "not-anchored", commitment: forgedLeaf });
    });

    it("says not-anchored for one changed byte, and unverifiable (never tampered) without the salt", async function () {
      const { hospital, verifier } = await loadFixture(sdkFixture);
      const r = observation("a", 1);
      const { salt } = await (await hospital.records.anchor({ resource: r })).wait();
      const changed = JSON.parse(JSON.stringify(r).replace('"final"', '"finak"'));
      expect((await verifier.records.verify(changed, salt)).status).to.equal("not-anchored");
      for (const gone of [undefined, null, ""]) expect(await verifier.records.verify(r, gone)).to.deep.equal({ status: "unverifiable-salt-missing" });
      expect((await verifier.records.verify(r, newSalt())).status).to.equal("not-anchored");
    });

    it("turns a stale supersession into a typed error carrying the current version", async function () {
      const { hospital, nurseSdk } = await loadFixture(sdkFixture);
      const { recordId, salt } = await (await hospital.records.anchor({ resource: observation("a", 1) })).wait();
      await (await nurseSdk.records.amend({ recordId, supersedes: 1, resource: observation("a", 2), salt: salt! })).wait();
      const err = await hospital.records.amend({ recordId, supersedes: 1, resource: observation("a", 3), salt: salt! }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(ContractRevertError);
      expect((err as ContractRevertError).errorName).to.equal("StaleVersion");
      expect((err as ContractRevertError).args.current).to.equal(2n);
      expect((err as ContractRevertError).message).to.match(/is at version 2, not 1/);
    });

    it("refuses malformed input before sending anything, naming the field", async function () {
      const { hospital, verifier } = await loadFixture(sdkFixture);
      const r = observation("a", 1);
      const id = recordCommitment(r, saltOf(1));
      await expectRejected(hospital.records.anchor({ commitment: "0x12" }), ValidationError, /^commitment/);
      await expectRejected(hospital.records.amend({ recordId: id, supersedes: 0, commitment: id }), ValidationError, /^supersedes/);
      await expectRejected(hospital.records.amend({ recordId: id, supersedes: 1, resource: r }), ValidationError, /^salt/);
      await expectRejected(hospital.records.retract({ commitment: id, reason: "none" as never }), ValidationError, /^reason/);
      await expectRejected(hospital.records.retract({ resource: r, reason: "duplicate" }), ValidationError, /^salt/);
      await expectRejected(verifier.records.anchor({ commitment: id }), Error, /connect with a Signer/);
      await expectRejected(verifier.records.verify(r, saltOf(1), { root: "0x12" } as never), ValidationError, /^proof/);
      expect(() => hospital.records.buildBatch([])).to.throw(ValidationError, /^items/);
      expect(() => hospital.records.buildBatch([{ resource: [] as never }])).to.throw(ValidationError, /^items\[0\]\.resource/);
      expect(() => hospital.records.buildBatch([{ resource: r, salt: "0x1" }])).to.throw(ValidationError, /^items\[0\]\.salt/);
    });
  });

  describe("batches", function () {
    /** A batch of five resources anchored by the hospital, with fixed salts. */
    async function batchSdkFixture() {
      const f = await sdkFixture();
      const resources = [1, 2, 3, 4, 5].map((n) => observation(`obs-${n}`, n));
      const progress: string[] = [];
      const handle = await f.hospital.records.anchorBatch(
        resources.map((resource, i) => ({ resource, salt: saltOf(i + 1) })),
        { onProgress: (p) => p.done === p.total && progress.push(p.phase) },
      );
      const result = await handle.wait();
      return { ...f, resources, result, progress };
    }

    it("anchors a batch and returns its root, count, organization, salts and per-item proofs", async function () {
      const { result, progress, resources, verifier } = await loadFixture(batchSdkFixture);
      expect(result).to.deep.include({ leafCount: 5, orgId: HOSPITAL, root: result.batch.root });
      expect(progress).to.deep.equal(["commit", "leaves", "sort", "nodes"]);
      expect(result.batch).to.be.instanceOf(RecordBatch);
      expect(result.batch.salts).to.deep.equal([1, 2, 3, 4, 5].map(saltOf));
      let n = 0;
      expect(result.batch.orgId).to.equal(HOSPITAL);
      for (const p of result.batch.proofs()) {
        expect(p.salt).to.equal(saltOf(p.index + 1));
        expect(p.orgId).to.equal(HOSPITAL);
        expect(await verifier.records.verifyInclusion(p)).to.equal(true);
        expect(verifier.records.verifyProofOffline(p)).to.equal(true);
        const v = await verifier.records.verify(resources[p.index], p.salt, p);
        expect(v).to.deep.include({ status: "anchored", via: "batch", version: 1, orgId: HOSPITAL, root: result.root });
        n++;
      }
      expect(n).to.equal(5);
    });

    it("needs the proof to verify a batch record, and refuses a proof of another record", async function () {
      const { result, resources, verifier } = await loadFixture(batchSdkFixture);
      expect((await verifier.records.verify(resources[0], saltOf(1))).status).to.equal("not-anchored");
      expect((await verifier.records.verify(resources[0], saltOf(1), result.batch.proof(1))).status).to.equal("not-anchored");
      const forged = { ...result.batch.proof(1), commitment: result.batch.commitments[0], recordId: result.batch.commitments[0] };
      expect((await verifier.records.verify(resources[0], saltOf(1), forged)).status).to.equal("not-anchored");
      expect(verifier.records.verifyProofOffline(forged)).to.equal(false);
    });

    it("lets the hospital amend a batch record (registered from its proof) and retract another; the lab can do neither", async function () {
      const { result, resources, lab, hospital, nurseSdk, verifier } = await loadFixture(batchSdkFixture);
      const proof = result.batch.proof(2);
      const amended = observation("obs-3", 33);
      // The lab's amendment registers the hospital's record (a fact the proof establishes), then is refused.
      await expectRevert(lab.records.amend({ recordId: proof.recordId, supersedes: 1, resource: amended, salt: saltOf(3), genesisProof: proof }), "UnknownRecord", {
        orgId: LAB,
        recordId: proof.recordId,
      });
      expect(await verifier.records.recordVersion(proof.commitment, HOSPITAL)).to.deep.include({ version: 1, orgId: HOSPITAL, retracted: false });
      expect(await verifier.records.recordVersion(proof.commitment, LAB)).to.equal(undefined);
      const a = await (await nurseSdk.records.amend({ recordId: proof.recordId, supersedes: 1, resource: amended, salt: saltOf(3), genesisProof: proof })).wait();
      expect(a).to.deep.include({ version: 2, orgId: HOSPITAL });
      expect((await verifier.records.verify(resources[2], saltOf(3), proof)).status).to.equal("superseded");
      expect(await verifier.records.verify(amended, saltOf(3))).to.deep.include({ status: "anchored", version: 2, recordId: proof.recordId, orgId: HOSPITAL });
      // Retracting another batch record registers it first, then retracts it; the lab is refused.
      const p4 = result.batch.proof(3);
      await expectRevert(lab.records.retract({ commitment: p4.commitment, reason: RetractionReason.WrongPatient, proof: p4 }), "CommitmentNotAnchored", { orgId: LAB, commitment: p4.commitment });
      await (await hospital.records.retract({ commitment: p4.commitment, reason: RetractionReason.WrongPatient, proof: p4 })).wait();
      expect((await verifier.records.verify(resources[3], saltOf(4), p4)).status).to.equal("retracted");
      // Registering again is a no-op for the SDK.
      await (await hospital.records.amend({ recordId: p4.recordId, supersedes: 1, commitment: recordCommitment(observation("x", 1), saltOf(4)), genesisProof: p4 })).wait();
      expect(await verifier.records.history(p4.recordId)).to.have.length(2);
      const registered = (await verifier.records.batch(result.root, HOSPITAL)).orgId;
      expect(registered).to.equal(HOSPITAL);
      expect((await verifier.records.batch(result.root, LAB)).orgId).to.equal(0n);
    });

    it("answers for the batch's organization even when another organization anchored one of its leaves singly", async function () {
      const { result, resources, lab, hospital, verifier } = await loadFixture(batchSdkFixture);
      const p = result.batch.proof(0);
      await (await lab.records.anchor({ commitment: p.commitment })).wait();
      await (await lab.records.retract({ commitment: p.commitment, reason: "duplicate" })).wait();
      // The proof names the hospital: the lab's anchor and retraction are no part of the answer.
      const v = await verifier.records.verify(resources[0], saltOf(1), p);
      expect(v).to.deep.include({ status: "anchored", via: "batch", orgId: HOSPITAL, root: result.root, version: 1 });
      expect(v).to.not.have.property("earlierBatch");
      expect(await verifier.records.verify(resources[0], saltOf(1), undefined, { orgId: LAB })).to.deep.include({ status: "retracted", via: "single", orgId: LAB });
      // A proof without its organization: the hospital's batch and the lab's single anchor both hold it, and the SDK refuses to choose.
      const { orgId: _orgId, ...bare } = p;
      await expectAmbiguous(verifier.records.verify(resources[0], saltOf(1), bare));
      expect(await verifier.records.anchoringOrganizations(p.commitment, result.root)).to.deep.equal([HOSPITAL, LAB]);
      // Without any proof only the lab's single anchor is known, and the answer names the lab.
      expect(await verifier.records.anchoringOrganizations(p.commitment)).to.deep.equal([LAB]);
      expect(await verifier.records.verify(resources[0], saltOf(1))).to.deep.include({ status: "retracted", via: "single", orgId: LAB });
      // The hospital registers its own leaf: still its own, not retracted.
      await (await hospital.records.registerBatchRecord(p)).wait();
      expect(await verifier.records.verify(resources[0], saltOf(1), p)).to.deep.include({ status: "anchored", via: "single", orgId: HOSPITAL });
      expect(await verifier.records.commitmentStatus(p.commitment, HOSPITAL)).to.deep.equal({ anchored: true, retracted: false });
      expect(await verifier.records.commitmentStatus(p.commitment, LAB)).to.deep.equal({ anchored: true, retracted: true });
    });

    it("a batch proof from anchorBatch's result carries its organization and verifies even though the lab anchored the same root first", async function () {
      const { hospital, lab, records, labAdmin, verifier } = await loadFixture(sdkFixture);
      const resources = [1, 2, 3].map((n) => observation(`sq-${n}`, n));
      const batch = hospital.records.buildBatch(resources.map((resource, i) => ({ resource, salt: saltOf(20 + i) })));
      expect(batch.proof(0)).to.not.have.property("orgId");
      // The lab copies the hospital's pending anchorBatch(root, n) and gets it mined first.
      await (await records.connect(labAdmin).anchorBatch(batch.root, batch.length)).wait();
      const result = await (await hospital.records.anchorBatch(batch)).wait();
      expect(result).to.deep.include({ root: batch.root, leafCount: 3, orgId: HOSPITAL });
      const block = await hre.ethers.provider.getBlock(result.receipt.blockNumber);
      const p = result.batch.proof(1);
      expect(p.orgId).to.equal(HOSPITAL);
      expect(await verifier.records.verifyInclusion(p)).to.equal(true);
      expect(await verifier.records.verify(resources[1], saltOf(21), p)).to.deep.equal({
        status: "anchored",
        via: "batch",
        recordId: p.commitment,
        commitment: p.commitment,
        version: 1,
        currentVersion: 1,
        orgId: HOSPITAL,
        anchoredAt: block!.timestamp,
        root: batch.root,
      });
      // The lab registers the leaf under its own organization and retracts it: the hospital's answer is unchanged.
      await (await lab.records.registerBatchRecord({ ...p, orgId: LAB })).wait();
      await (await lab.records.retract({ commitment: p.commitment, reason: "enteredInError" })).wait();
      expect(await verifier.records.verify(resources[1], saltOf(21), p)).to.deep.include({ status: "anchored", via: "batch", orgId: HOSPITAL });
      expect(await verifier.records.verify(resources[1], saltOf(21), p, { orgId: LAB })).to.deep.include({ status: "retracted", orgId: LAB });
      // A proof without its organization is ambiguous once two organizations anchored the root, unless one is named.
      const { orgId: _orgId, ...bare } = result.batch.proof(2);
      await expectAmbiguous(verifier.records.verify(resources[2], saltOf(22), bare));
      await expectAmbiguous(verifier.records.verifyInclusion(bare));
      await expectAmbiguous(hospital.records.registerBatchRecord(bare));
      expect(await verifier.records.verify(resources[2], saltOf(22), bare, { orgId: HOSPITAL })).to.deep.include({ status: "anchored", via: "batch", orgId: HOSPITAL });
      expect(await (await hospital.records.registerBatchRecord(result.batch.proof(2))).wait()).to.deep.include({ root: batch.root, recordId: bare.commitment, orgId: HOSPITAL });
    });

    it("after a squat of a single anchor, verify without an organization is ambiguous and, naming the hospital, says anchored by it", async function () {
      const { hospital, lab, verifier } = await loadFixture(sdkFixture);
      const r = observation("squatted", 1);
      const commitment = recordCommitment(r, saltOf(30));
      // The lab copies the hospital's pending anchor(commitment) and gets it mined first.
      await (await lab.records.anchor({ commitment })).wait();
      const mine = await (await hospital.records.anchor({ resource: r, salt: saltOf(30) })).wait();
      expect(mine).to.deep.include({ recordId: commitment, commitment, version: 1, orgId: HOSPITAL });
      const block = await hre.ethers.provider.getBlock(mine.receipt.blockNumber);
      await (await lab.records.retract({ commitment, reason: "wrongPatient" })).wait();
      await expectAmbiguous(verifier.records.verify(r, saltOf(30)));
      await expectAmbiguous(verifier.records.history(commitment));
      expect(await verifier.records.anchoringOrganizations(commitment)).to.deep.equal([HOSPITAL, LAB]);
      expect(await verifier.records.verify(r, saltOf(30), undefined, { orgId: HOSPITAL })).to.deep.equal({
        status: "anchored",
        via: "single",
        recordId: commitment,
        commitment,
        version: 1,
        currentVersion: 1,
        orgId: HOSPITAL,
        anchoredAt: block!.timestamp,
      });
      expect(await verifier.records.verify(r, saltOf(30), undefined, { orgId: LAB })).to.deep.include({ status: "retracted", orgId: LAB });
      expect(await verifier.records.commitmentStatus(commitment, HOSPITAL)).to.deep.equal({ anchored: true, retracted: false });
      expect((await verifier.records.history(commitment, { orgId: HOSPITAL })).map((h) => [h.version, h.orgId, h.retracted])).to.deep.equal([[1, HOSPITAL, false]]);
      // And the lab cannot amend the hospital's record: its amendment lands on its own (retracted) record.
      const a = await (await lab.records.amend({ recordId: commitment, supersedes: 1, resource: observation("squatted", 2), salt: saltOf(30) })).wait();
      expect(a).to.deep.include({ version: 2, orgId: LAB });
      expect(await verifier.records.currentVersion(commitment, HOSPITAL)).to.equal(1);
      expect((await verifier.records.verify(r, saltOf(30), undefined, { orgId: HOSPITAL })).status).to.equal("anchored");
    });

    it("bring your own tree: a root built with @openzeppelin/merkle-tree is anchored with anchorRoot, and the tree's own proofs verify", async function () {
      const { hospital, verifier, book } = await loadFixture(sdkFixture);
      const registry = book.contracts.RecordRegistry;
      const resources = Array.from({ length: 5 }, (_, i) => observation(`byo-${i}`, i));
      const salts = resources.map(() => newSalt());
      const commitments = resources.map((r, i) => recordCommitment(r, salts[i]));
      // The integrator's own tree, built with OpenZeppelin's library over the SDK's leaf encoding.
      const tree = StandardMerkleTree.of(
        commitments.map((c) => recordLeafValues({ chainId: 31337n, registry, recordId: c, version: 1, commitment: c })),
        [...RECORD_LEAF_ENCODING],
      );
      const anchored = await (await hospital.records.anchorRoot({ root: tree.root, leafCount: tree.length })).wait();
      expect(anchored).to.deep.include({ root: tree.root, leafCount: 5, orgId: HOSPITAL });
      for (let i = 0; i < resources.length; i++) {
        const proof = { root: tree.root, orgId: HOSPITAL, recordId: commitments[i], version: 1, commitment: commitments[i], proof: tree.getProof(i) };
        expect(await verifier.records.verify(resources[i], salts[i], proof)).to.deep.include({ status: "anchored", orgId: HOSPITAL, version: 1 });
      }
      // Another resource's proof does not verify this one; a bad leaf count is refused before sending.
      const wrong = { root: tree.root, orgId: HOSPITAL, recordId: commitments[1], version: 1, commitment: commitments[1], proof: tree.getProof(1) };
      expect((await verifier.records.verify(resources[0], salts[0], wrong)).status).to.not.equal("anchored");
      await expectRejected(hospital.records.anchorRoot({ root: tree.root, leafCount: 0 }), ValidationError, /^leafCount: 0 is not a number of leaves/);
      await expectRevert(hospital.records.anchorRoot({ root: tree.root, leafCount: 5 }), "BatchAlreadyAnchored", {});
    });

    it("anchors a batch built beforehand, and a second anchor of it is refused with a typed error", async function () {
      const { hospital } = await loadFixture(sdkFixture);
      const batch = hospital.records.buildBatch([{ resource: observation("z", 1) }]);
      expect((await (await hospital.records.anchorBatch(batch)).wait()).root).to.equal(batch.root);
      await expectRejected(hospital.records.anchorBatch(batch), ContractRevertError, /BatchAlreadyAnchored/);
      await expectRejected(hospital.records.registerBatchRecord({ ...batch.proof(0), root: "0x" + "99".repeat(32) }), ContractRevertError, /UnknownBatch/);
      await expectRevert(hospital.records.registerBatchRecord({ ...batch.proof(0), root: "0x" + "99".repeat(32) }), "UnknownBatch", { orgId: HOSPITAL, root: "0x" + "99".repeat(32) });
      // A proof naming another organization is asked of that organization's batches.
      await expectRevert(hospital.records.registerBatchRecord({ ...batch.proof(0), orgId: LAB }), "UnknownBatch", { orgId: LAB, root: batch.root });
    });
  });

  describe("pause", function () {
    it("lets the pauser pause and unpause through the SDK", async function () {
      const { f, pauserSdk } = await loadFixture(async function pauseFixture() {
        const f = await sdkFixture();
        return { f, pauserSdk: await f.connect(f.pauser) };
      });
      await (await pauserSdk.records.pause()).wait();
      await expectRejected(f.hospital.records.anchor({ resource: observation("p", 1) }), ContractRevertError, /EnforcedPause/);
      await (await pauserSdk.records.unpause()).wait();
      await expectRejected(f.hospital.records.pause(), ContractRevertError, /AccessManagedUnauthorized/);
    });
  });

  it("has a sentence for every RecordRegistry error", function () {
    const errors = RecordRegistry__factory.abi.filter((i) => i.type === "error").map((i) => (i as { name: string }).name);
    expect(errors.length).to.be.greaterThan(10);
    for (const name of errors) expect(REVERT_MESSAGES[name], name).to.be.a("function");
  });
});
