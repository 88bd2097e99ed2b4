import { OrgKind } from "../../sdk";
import { ParticipantRegistry__factory } from "../../typechain-types";
import type { PartBench } from "./context";

/** Gas of the participant registry's operations. */
export const benchParticipants: PartBench = async ({ hre, book, gasOf, coldView }) => {
  const [, registrar, , admin, member] = await hre.ethers.getSigners();
  const registry = ParticipantRegistry__factory.connect(book.contracts.ParticipantRegistry, registrar);
  // A first organization, so that the measured one pays for a non-zero counter like every later one.
  const [warmAdmin] = [hre.ethers.Wallet.createRandom().address];
  await (await registry.registerOrganization(OrgKind.Lab, "0x" + "11".repeat(32), warmAdmin)).wait();
  const register = await gasOf(registry.registerOrganization(OrgKind.Provider, "0x" + "22".repeat(32), admin.address));
  const addMember = await gasOf(registry.connect(admin).addMember(2, member.address, false));
  const isActive = await coldView(book.contracts.ParticipantRegistry, registry.interface.encodeFunctionData("isActiveMember", [member.address]));
  return [
    { key: "participants.registerOrganization", gas: register, budget: 120_000 },
    { key: "participants.addMember", gas: addMember, budget: 70_000 },
    { key: "participants.isActiveMember", gas: isActive, budget: 10_000 },
  ];
};
