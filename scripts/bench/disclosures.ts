import { buildReceiptTree, OrgKind } from "../../sdk";
import { DisclosureLog__factory, ParticipantRegistry__factory } from "../../typechain-types";
import type { PartBench } from "./context";
import { benchReceipts, GAS_PER_ROOT_BUDGET } from "./gateway";

/**
 * Gas of the DisclosureLog's operations: anchoring a root of 1,024 disclosure receipts (the gateway's
 * batch; per disclosure and at other sizes: reports/gateway.json), and checking one receipt of it cold.
 */
export const benchDisclosures: PartBench = async ({ hre, book, gasOf, coldView, fresh }) => {
  const [, registrar] = await hre.ethers.getSigners();
  const [gateway] = await fresh(1);
  const registry = ParticipantRegistry__factory.connect(book.contracts.ParticipantRegistry, registrar);
  await (await registry.registerOrganization(OrgKind.Provider, "0x" + "41".repeat(32), gateway.address)).wait();
  const orgId = await registry.organizationCount();
  const log = DisclosureLog__factory.connect(book.contracts.DisclosureLog, gateway);
  const tree = buildReceiptTree(benchReceipts(1024, orgId, BigInt(await hre.ethers.provider.getBlockNumber())));
  const anchor = await gasOf(log.anchorDisclosures(tree.root, tree.count));
  const proof = [...tree.proofs[0]];
  if (!(await log.verifyReceipt(orgId, tree.root, proof, tree.leaves[0]))) throw new Error("the receipt's proof does not verify");
  const verify = await coldView(book.contracts.DisclosureLog, log.interface.encodeFunctionData("verifyReceipt", [orgId, tree.root, proof, tree.leaves[0]]));
  return [
    { key: "disclosures.anchorDisclosures", gas: anchor, budget: GAS_PER_ROOT_BUDGET },
    { key: "disclosures.verifyReceipt", gas: verify },
  ];
};
