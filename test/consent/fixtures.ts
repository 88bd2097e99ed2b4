/**
 * The consent tests' fixture: the suite deployed through the real Ignition module, with a hospital
 * (org 1: hospitalAdmin, doctor, nurse), a lab (org 2: labAdmin) and an insurer (org 3: insurerAdmin).
 */
import hre from "hardhat";
import { accountGrantee, ALL_CLASSES_MASK, ALL_PURPOSES_MASK, consentDomain, DATA_CLASSES, OrgKind, organizationGrantee, PURPOSES, type GrantRequest } from "../../sdk";
import { ApproveAllWallet__factory, ConsentRegistry__factory, DisclosureLog__factory, OwnedWallet__factory } from "../../typechain-types";
import { deployFixture, PROFILE } from "../support/fixtures";

export const HOSPITAL = 1n;
export const LAB = 2n;
export const INSURER = 3n;
export const COMMITMENT = "0x" + "c0".repeat(32);
export const RECORD = "0x" + "5e".repeat(32);
export const ZERO32 = "0x" + "00".repeat(32);
export const YEAR = 365 * 86_400;
/** A delegation's scope as wide as it goes: every class and purpose, as a full representative (the patient's choice). */
export const FULL_SCOPE = [ALL_CLASSES_MASK, ALL_PURPOSES_MASK, true] as const;

/** A mask of data classes by name. */
export const classes = (...names: (keyof typeof DATA_CLASSES)[]): number => names.reduce((m, n) => (m | (1 << DATA_CLASSES[n])) >>> 0, 0);
/** A mask of purposes by name. */
export const purposes = (...names: (keyof typeof PURPOSES)[]): number => names.reduce((m, n) => m | (1 << PURPOSES[n]), 0);

export async function consentFixture() {
  const f = await deployFixture();
  const r = f.registry.connect(f.registrar);
  await r.registerOrganization(OrgKind.Provider, PROFILE, f.hospitalAdmin.address);
  await r.registerOrganization(OrgKind.Lab, PROFILE, f.labAdmin.address);
  await r.registerOrganization(OrgKind.Insurer, PROFILE, f.insurerAdmin.address);
  await f.registry.connect(f.hospitalAdmin).addMember(HOSPITAL, f.doctor.address, false);
  await f.registry.connect(f.hospitalAdmin).addMember(HOSPITAL, f.nurse.address, false);
  const consent = ConsentRegistry__factory.connect(f.book.contracts.ConsentRegistry, f.patient);
  const [delegate, relayer, patient2, stranger] = f.signers.slice(10, 14);
  const { chainId } = await hre.ethers.provider.getNetwork();
  const domain = consentDomain(chainId, f.book.contracts.ConsentRegistry);
  const approveAll = await new ApproveAllWallet__factory(f.outsider).deploy();
  const owned = await new OwnedWallet__factory(f.outsider).deploy(patient2.address);
  return { ...f, consent, delegate, relayer, patient2, stranger, chainId, domain, approveAll, owned, accountGrantee, organizationGrantee };
}

export const PHARMACY = 4n;

/**
 * The DisclosureLog tests' fixture: the consent fixture plus a pharmacy (org 4: pharmacist), and
 * the suite's DisclosureLog connected to the hospital's doctor (its gateway's account).
 */
export async function disclosureFixture() {
  const f = await consentFixture();
  const pharmacist = f.signers[14];
  await f.registry.connect(f.registrar).registerOrganization(OrgKind.Pharmacy, PROFILE, pharmacist.address);
  const log = DisclosureLog__factory.connect(f.book.contracts.DisclosureLog, f.doctor);
  return { ...f, log, pharmacist };
}

/** The latest block's timestamp. */
export async function now(): Promise<number> {
  return (await hre.ethers.provider.getBlock("latest"))!.timestamp;
}

/**
 * A signed-grant request of `patient` to `grantee` for labs and treatment, valid a year past
 * `deadline`, at nonce and epoch 0 — the request every signature test starts from; `over` changes it.
 */
export function labsGrantRequest(patient: string, grantee: string, deadline: bigint, over: Partial<GrantRequest> = {}): GrantRequest {
  return {
    patient,
    grantee,
    classes: classes("labs"),
    purposes: purposes("TREAT"),
    validFrom: 0,
    validUntil: Number(deadline) + YEAR,
    commitment: COMMITMENT,
    nonce: 0n,
    epoch: 0n,
    deadline,
    ...over,
  };
}
