/**
 * The records tests' fixture: the suite with a hospital (org 1, provider), a lab (2), an insurer
 * (3), a pharmacy (4); the doctor and nurse belong to the hospital. Helpers build commitments and
 * batches with the SDK's encodings, so the tests check the encodings the SDK ships.
 */
import hre from "hardhat";
import { FastMerkleTree, OrgKind, RECORD_LEAF_ENCODING, recordCommitment, recordLeafValues } from "../../sdk";
import { RecordRegistry__factory } from "../../typechain-types";
import { deployFixture, PROFILE } from "../support/fixtures";

/** Org ids of the onboarded organizations. */
export const HOSPITAL = 1n;
export const LAB = 2n;
export const INSURER = 3n;
export const PHARMACY = 4n;

/** A deterministic salt for test record `n`. */
export function saltOf(n: number): string {
  return hre.ethers.zeroPadValue(hre.ethers.toBeHex(0x5a17n * 1000n + BigInt(n)), 32);
}

/** A small FHIR-like resource. */
export function observation(id: string, value: number): Record<string, unknown> {
  return { resourceType: "Observation", id, status: "final", code: { text: "Hemoglobin A1c" }, valueQuantity: { value, unit: "%" } };
}

/** The commitment of test record `n` with `value`. */
export function commitmentOf(n: number, value = 5.4): string {
  return recordCommitment(observation(`obs-${n}`, value), saltOf(n));
}

export async function recordsFixture() {
  const f = await deployFixture();
  const r = f.registry.connect(f.registrar);
  const pharmacist = f.signers[10];
  await r.registerOrganization(OrgKind.Provider, PROFILE, f.hospitalAdmin.address);
  await r.registerOrganization(OrgKind.Lab, PROFILE, f.labAdmin.address);
  await r.registerOrganization(OrgKind.Insurer, PROFILE, f.insurerAdmin.address);
  await r.registerOrganization(OrgKind.Pharmacy, PROFILE, pharmacist.address);
  await f.registry.connect(f.hospitalAdmin).addMember(HOSPITAL, f.doctor.address, false);
  await f.registry.connect(f.hospitalAdmin).addMember(HOSPITAL, f.nurse.address, false);
  const records = RecordRegistry__factory.connect(f.book.contracts.RecordRegistry, f.deployer);
  const chainId = (await hre.ethers.provider.getNetwork()).chainId;
  return { ...f, records, pharmacist, chainId };
}

/** A tree of first-version leaves for `commitments` on `registry` / `chainId`. */
export function batchOf(commitments: readonly string[], chainId: bigint, registry: string): FastMerkleTree {
  return FastMerkleTree.of(
    commitments.map((c) => recordLeafValues({ chainId, registry, recordId: c, version: 1, commitment: c })),
    RECORD_LEAF_ENCODING,
  );
}

/** Awaits `promise`, requires it to reject with an instance of `type` whose message matches `message`. */
export async function expectRejected(promise: Promise<unknown>, type: abstract new (...args: never[]) => Error, message: RegExp): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  if (!(caught instanceof type)) throw new Error(`expected a rejection with ${type.name}, got ${caught === undefined ? "a fulfilment" : String(caught)}`);
  if (!message.test(caught.message)) throw new Error(`expected the message to match ${message}, got "${caught.message}"`);
}
