/**
 * The one suite fixture: deploys through the real Ignition module (so the tests check the wiring
 * that ships), with distinct registrar and pauser accounts, and names every signer by its part.
 */
import hre from "hardhat";
import { deploySuite, type DeployOptions } from "../../scripts/deploy";
import { CareLedger } from "../../sdk";
import { AccessManager__factory, ClaimsEngine__factory, Intermediary__factory, ParticipantRegistry__factory } from "../../typechain-types";

export async function deployFixtureWith(options: DeployOptions = {}) {
  const signers = await hre.ethers.getSigners();
  const [deployer, registrar, pauser, hospitalAdmin, labAdmin, insurerAdmin, doctor, nurse, outsider, patient] = signers;
  const { book } = await deploySuite(hre, {
    addressBookDir: null,
    registrar: registrar.address,
    pauser: pauser.address,
    log: () => undefined,
    ...options,
  });
  const manager = AccessManager__factory.connect(book.contracts.AccessManager, deployer);
  const registry = ParticipantRegistry__factory.connect(book.contracts.ParticipantRegistry, deployer);
  const intermediary = await new Intermediary__factory(outsider).deploy();
  const claims = ClaimsEngine__factory.connect(book.contracts.ClaimsEngine, deployer);
  const connect = (signer: (typeof signers)[number]) => CareLedger.connect(signer, { addressBook: book });
  return { book, manager, registry, claims, intermediary, connect, signers, deployer, registrar, pauser, hospitalAdmin, labAdmin, insurerAdmin, doctor, nurse, outsider, patient };
}

/** The suite, deployed with the default (zero) execution delays. */
export async function deployFixture() {
  return deployFixtureWith();
}

/** A commitment standing for an organization's published profile. */
export const PROFILE = "0x" + "ab".repeat(32);
