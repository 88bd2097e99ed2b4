/** The suite with some activity for the indexer's tests, and what the indexer is told of it. */
import hre from "hardhat";
import { CareLedger } from "../../sdk";
import type { IndexedSuite } from "../../indexer/sync";
import { COMMITMENT, HOSPITAL, suiteFixture, YEAR, type SuiteFixture } from "../support/suiteFixture";

export const suiteOf = (f: SuiteFixture): IndexedSuite => ({ chainId: f.chainId, addresses: f.book.contracts, fromBlock: f.book.deploymentBlock });

/** A grant, two logged accesses and an anchored record: consent, records and participants events over a few blocks. */
export async function activity(f: SuiteFixture, tag: string) {
  const patient = await CareLedger.connect(f.patient, { addressBook: f.book });
  const doctor = await CareLedger.connect(f.doctor, { addressBook: f.book });
  const lab = await CareLedger.connect(f.labAdmin, { addressBook: f.book });
  const until = (await hre.ethers.provider.getBlock("latest"))!.timestamp + YEAR;
  await (await patient.consent.grant({ grantee: { organization: HOSPITAL }, classes: ["labs"], purposes: ["TREAT"], validUntil: until, commitment: COMMITMENT })).wait();
  for (const k of ["1", "2"]) {
    await (await doctor.consent.logAccess({ patient: f.patient.address, dataClass: "labs", purpose: "TREAT", recordRef: "0x" + (tag + k).padEnd(64, "0") })).wait();
  }
  await (await lab.records.anchor({ resource: { resourceType: "Observation", id: `o-${tag}`, status: "final" } })).wait();
}

export async function suiteWithActivity() {
  const f = await suiteFixture();
  await activity(f, "a");
  return f;
}

