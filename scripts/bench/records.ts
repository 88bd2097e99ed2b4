import { FastMerkleTree, OrgKind, RECORD_LEAF_ENCODING, recordCommitment, recordLeafHash, recordLeafValues, RetractionReason } from "../../sdk";
import { ParticipantRegistry__factory, RecordRegistry__factory } from "../../typechain-types";
import { gasAnatomy } from "./anatomy";
import type { PartBench } from "./context";

/** Gas of the record registry's operations. */
export const benchRecords: PartBench = async ({ hre, book, gasOf, coldView, fresh }) => {
  const signers = await hre.ethers.getSigners();
  const registrar = signers[1];
  const [hospital, lab] = await fresh(2);
  const participants = ParticipantRegistry__factory.connect(book.contracts.ParticipantRegistry, registrar);
  await (await participants.registerOrganization(OrgKind.Provider, "0x" + "31".repeat(32), hospital.address)).wait();
  await (await participants.registerOrganization(OrgKind.Lab, "0x" + "32".repeat(32), lab.address)).wait();
  const registry = RecordRegistry__factory.connect(book.contracts.RecordRegistry, hospital);
  const hospitalOrg = (await participants.organizationCount()) - 1n;
  const chainId = (await hre.ethers.provider.getNetwork()).chainId;
  const salt = "0x" + "5a".repeat(32);
  const c1 = recordCommitment({ resourceType: "Observation", id: "bench", valueQuantity: { value: 1 } }, salt);
  const c2 = recordCommitment({ resourceType: "Observation", id: "bench", valueQuantity: { value: 2 } }, salt);

  const anchor = await gasOf(registry.anchor(c1));
  const amendTx = await registry.amend(c1, 1, c2);
  await amendTx.wait();
  // What amend must pay whatever its code: calldata, 5 cold slots (pause flag, the caller's membership and its
  // organization's standing, the record's head, the new commitment), the head update, the new slot, the event and
  // the cold call to the participant registry (see docs/records.md, "Gas").
  const amendAnatomy = await gasAnatomy(hre, amendTx.hash);
  const amend = BigInt(amendAnatomy.gasUsed);
  const retract = await gasOf(registry.retract(c1, RetractionReason.EnteredInError));

  const registryAddress = book.contracts.RecordRegistry;
  const leaves = Array.from({ length: 1024 }, (_, i) => {
    const c = recordCommitment({ resourceType: "Observation", id: `batch-${i}` }, salt);
    return recordLeafValues({ chainId, registry: registryAddress, recordId: c, version: 1, commitment: c });
  });
  const tree = FastMerkleTree.of(leaves, RECORD_LEAF_ENCODING);
  const anchorBatch = await gasOf(registry.anchorBatch(tree.root, 1024));

  // A depth-20 proof: a leaf folded with 20 siblings gives the root of a tree of 2^20 leaves.
  const leaf = recordLeafHash({ chainId, registry: registryAddress, recordId: c1, version: 1, commitment: c1 });
  const proof = Array.from({ length: 20 }, (_, i) => hre.ethers.keccak256(hre.ethers.toBeHex(i + 1, 32)));
  const root = FastMerkleTree.processProof(leaf, proof);
  await (await registry.anchorBatch(root, 1 << 20)).wait();
  if (!(await registry.verifyInclusion(hospitalOrg, root, c1, 1, c1, proof))) throw new Error("the depth-20 proof does not verify");
  const verifyInclusion = await coldView(registryAddress, registry.interface.encodeFunctionData("verifyInclusion", [hospitalOrg, root, c1, 1, c1, proof]));
  const status = await coldView(registryAddress, registry.interface.encodeFunctionData("commitmentStatus", [hospitalOrg, c1]));

  return [
    { key: "records.anchor", gas: anchor, budget: 70_000 },
    { key: "records.amend", gas: amend, budget: 65_000 },
    { key: "records.amend.required", gas: BigInt(amendAnatomy.required) },
    { key: "records.retract", gas: retract, budget: 40_000 },
    { key: "records.anchorBatch", gas: anchorBatch, budget: 75_000 },
    { key: "records.verifyInclusion", gas: verifyInclusion, budget: 30_000 },
    { key: "records.commitmentStatus", gas: status },
  ];
};
