import { accountGrantee, BREAK_GLASS_REASONS, DATA_CLASSES, OrgKind, organizationGrantee, PURPOSES, consentDomain, signDelegationRequest, signGrantRequest, type GrantRequest } from "../../sdk";
import { ConsentRegistry__factory, ParticipantRegistry__factory } from "../../typechain-types";
import type { PartBench } from "./context";

const TREAT_MASK = 1 << PURPOSES.TREAT;
const LABS_AND_MEDS = (1 << DATA_CLASSES.labs) | (1 << DATA_CLASSES.medications);
const COMMITMENT = "0x" + "c0".repeat(32);

/**
 * Gas of the consent registry's operations. Each measured write is the realistic case: a new
 * (patient, grantee) slot for grants, a patient with no ETH whose signed grant a relayer submits,
 * an access under a grant to the accessor's own account (and, keyed `.org`, under its organization).
 */
export const benchConsent: PartBench = async ({ hre, book, gasOf, coldView, fresh }) => {
  const signers = await hre.ethers.getSigners();
  const [, registrar] = signers;
  const [patient, relayer, doctor, hospitalAdmin, nurse, other, guardian] = await fresh(7);
  const registry = ParticipantRegistry__factory.connect(book.contracts.ParticipantRegistry, registrar);
  const consent = ConsentRegistry__factory.connect(book.contracts.ConsentRegistry, patient);
  await (await registry.registerOrganization(OrgKind.Provider, "0x" + "33".repeat(32), hospitalAdmin.address)).wait();
  const orgId = await registry.organizationCount();
  await (await registry.connect(hospitalAdmin).addMember(orgId, doctor.address, false)).wait();
  await (await registry.connect(hospitalAdmin).addMember(orgId, nurse.address, false)).wait();

  const now = (await hre.ethers.provider.getBlock("latest"))!.timestamp;
  const until = now + 365 * 86_400;
  // A first grant by this patient elsewhere, so that the measured one is a typical later grant (new pair).
  await (await consent.grant(patient.address, accountGrantee(other.address), LABS_AND_MEDS, TREAT_MASK, 0, until, COMMITMENT)).wait();
  const grant = await gasOf(consent.grant(patient.address, accountGrantee(doctor.address), LABS_AND_MEDS, TREAT_MASK, 0, until, COMMITMENT));
  const grantOrg = await gasOf(consent.grant(patient.address, organizationGrantee(orgId), LABS_AND_MEDS, TREAT_MASK, 0, until, COMMITMENT));
  const replace = await gasOf(consent.grant(patient.address, accountGrantee(other.address), LABS_AND_MEDS, TREAT_MASK | 1, 0, until, COMMITMENT));
  // A delegate appointed for labs and medications, for treatment, grants within that scope (a new pair).
  await (await consent.appointDelegate(guardian.address, until, LABS_AND_MEDS, TREAT_MASK, false)).wait();
  const grantDelegate = await gasOf(consent.connect(guardian).grant(patient.address, accountGrantee(nurse.address), LABS_AND_MEDS, TREAT_MASK, 0, until, COMMITMENT));

  // A patient with no ETH signs; a relayer submits.
  const signer = hre.ethers.Wallet.createRandom();
  const domain = consentDomain((await hre.ethers.provider.getNetwork()).chainId, book.contracts.ConsentRegistry);
  const request = (grantee: string, nonce: bigint): GrantRequest => ({
    patient: signer.address, grantee, classes: LABS_AND_MEDS, purposes: TREAT_MASK, validFrom: 0, validUntil: until, commitment: COMMITMENT, nonce, epoch: 0n, deadline: BigInt(until),
  });
  const r1 = request(organizationGrantee(orgId), 0n);
  const bySig = await gasOf(consent.connect(relayer).grantBySig(r1, await signGrantRequest(signer, domain, r1)));
  const r2 = request(accountGrantee(doctor.address), 0n);
  const bySigAgain = await gasOf(consent.connect(relayer).grantBySig(r2, await signGrantRequest(signer, domain, r2)));
  // The same patient appoints a delegate by signature (a new pair), relayed.
  const appointment = { patient: signer.address, delegate: guardian.address, until, classes: LABS_AND_MEDS, purposes: TREAT_MASK, representative: false, nonce: 0n, epoch: 0n, deadline: BigInt(until) };
  const appointBySig = await gasOf(consent.connect(relayer).appointDelegateBySig(appointment, await signDelegationRequest(signer, domain, appointment)));

  const ref = "0x" + "5e".repeat(32);
  const logAccess = await gasOf(consent.connect(doctor).logAccess(patient.address, ref, DATA_CLASSES.labs, PURPOSES.TREAT));
  const logAccessOrg = await gasOf(consent.connect(nurse).logAccess(patient.address, ref, DATA_CLASSES.labs, PURPOSES.TREAT));
  const isPermitted = await coldView(book.contracts.ConsentRegistry, consent.interface.encodeFunctionData("isPermitted", [patient.address, doctor.address, DATA_CLASSES.labs, PURPOSES.TREAT]));
  const isPermittedOrg = await coldView(book.contracts.ConsentRegistry, consent.interface.encodeFunctionData("isPermitted", [patient.address, nurse.address, DATA_CLASSES.labs, PURPOSES.TREAT]));
  const breakGlass = await gasOf(consent.connect(doctor).breakGlass(other.address, BREAK_GLASS_REASONS.LIFE_THREATENING, "0x" + "be".repeat(32), 3600));
  const revoke = await gasOf(consent.revoke(patient.address, accountGrantee(doctor.address)));
  return [
    { key: "consent.grant", gas: grant, budget: 55_000 },
    { key: "consent.grant.org", gas: grantOrg, budget: 55_000 },
    { key: "consent.grant.replace", gas: replace },
    { key: "consent.grant.delegate", gas: grantDelegate, budget: 65_000 },
    { key: "consent.grantBySig", gas: bySig, budget: 80_000 },
    { key: "consent.grantBySig.again", gas: bySigAgain, budget: 65_000 },
    { key: "consent.appointDelegateBySig", gas: appointBySig },
    { key: "consent.revoke", gas: revoke, budget: 35_000 },
    { key: "consent.logAccess", gas: logAccess, budget: 35_000 },
    { key: "consent.logAccess.org", gas: logAccessOrg },
    { key: "consent.isPermitted", gas: isPermitted, budget: 8_000 },
    { key: "consent.isPermitted.org", gas: isPermittedOrg },
    { key: "consent.breakGlass", gas: breakGlass },
  ];
};
