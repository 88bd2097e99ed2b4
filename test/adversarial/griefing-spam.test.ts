/**
 * Attack class: griefing by spam. Outsiders are refused at the first check; registered members who
 * spam anchors, batches or claims pay for every write themselves, and an honest user's state and
 * gas are exactly what they would have been without the spam (every loop is bounded, every write
 * keyed by its author). A member org that copies another's pending commitment (front-running an
 * anchor) only creates a record attributed to itself, useless as the victim's claim evidence; the
 * victim re-salts and goes on (reported as a bounded griefing vector).
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ClaimsClient, claimIdOf, OrgKind } from "../../sdk";
import { PROFILE } from "../support/fixtures";
import { claimState, CODE, commitmentN, HOSPITAL, LAB, sub, submissionOf, suiteFixture, today, USD } from "../support/suiteFixture";

const CLINIC = 5n;

async function spamFixture() {
  const f = await suiteFixture();
  const clinicAdmin = f.signers[18];
  await f.registry.connect(f.registrar).registerOrganization(OrgKind.Provider, PROFILE, clinicAdmin.address);
  await f.claims.connect(clinicAdmin).setPayee(clinicAdmin.address);
  await f.claims.connect(f.insurerAdmin).fund(1n, 500_000n * USD);
  const evidence = commitmentN(1, "honest");
  await f.records.connect(f.doctor).anchor(evidence);
  const clinicEvidence = commitmentN(1, "clinic");
  await f.records.connect(clinicAdmin).anchor(clinicEvidence);
  return { ...f, clinicAdmin, evidence, clinicEvidence, day: await today() };
}

const gasOf = async (tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>) => (await (await tx).wait())!.gasUsed;

describe("Attack: griefing by spam anchors, batches and claims", function () {
  it("an outsider's spam is refused at the first check and writes nothing", async function () {
    const { records, claims, outsider, patient, evidence, day } = await loadFixture(spamFixture);
    await expect(records.connect(outsider).anchor(commitmentN(9, "spam"))).to.be.revertedWithCustomError(records, "NotAnchoringMember").withArgs(outsider.address, 0, 0);
    await expect(records.connect(outsider).anchorBatch(commitmentN(9, "spam"), 1)).to.be.revertedWithCustomError(records, "NotAnchoringMember").withArgs(outsider.address, 0, 0);
    const s = submissionOf(1n, patient.address, day, evidence, [{ code: CODE.VISIT, units: 1, charged: 100n * USD }]);
    await expect(claims.connect(outsider).submit(sub(s))).to.be.revertedWithCustomError(claims, "NotAuthorizedSubmitter").withArgs(outsider.address, HOSPITAL, 1n);
    for (const org of [0n, HOSPITAL, LAB]) {
      expect((await records.recordVersion(org, commitmentN(9, "spam"))).orgId).to.equal(0n);
      expect((await records.batch(org, commitmentN(9, "spam"))).orgId).to.equal(0n);
    }
    await expect(claims.claim(claimIdOf(s))).to.be.revertedWithCustomError(claims, "UnknownClaim");
  });

  it("a member's 100 spam anchors cost it a fresh slot each, and leave the honest anchor's gas and state unchanged", async function () {
    const { records, doctor, labAdmin } = await loadFixture(spamFixture);
    const honest = commitmentN(2, "honest");
    const baseline = await gasOf(records.connect(doctor).anchor(honest));
    const { records: again } = await loadFixture(spamFixture);
    let spent = 0n;
    for (let i = 0; i < 100; i++) {
      const gas = await gasOf(again.connect(labAdmin).anchor(commitmentN(i, "spam")));
      expect(gas > 22_100n, "each spam anchor pays for its own new slot").to.equal(true);
      spent += gas;
    }
    expect(spent > 100n * 22_100n).to.equal(true);
    expect(await gasOf(again.connect(doctor).anchor(honest))).to.equal(baseline);
    const v = await again.recordVersion(HOSPITAL, honest);
    expect([v.orgId, v.version]).to.deep.equal([HOSPITAL, 1n]);
  });

  it("spam batches cost the same whatever leaf count they claim, and register nothing without a valid proof", async function () {
    const { records, labAdmin, outsider } = await loadFixture(spamFixture);
    const small = await gasOf(records.connect(labAdmin).anchorBatch(commitmentN(1, "root"), 1));
    const huge = await gasOf(records.connect(labAdmin).anchorBatch(commitmentN(2, "root"), 2n ** 32n - 1n));
    expect(huge - small < 200n, `a maximal leaf count costs no more than a few calldata bytes (${small} vs ${huge})`).to.equal(true);
    const victim = commitmentN(3, "honest");
    await expect(records.connect(outsider).registerBatchRecord(LAB, commitmentN(2, "root"), victim, []))
      .to.be.revertedWithCustomError(records, "InvalidInclusionProof")
      .withArgs(commitmentN(2, "root"), victim);
    expect((await records.recordVersion(LAB, victim)).orgId).to.equal(0n);
  });

  it("a member copying the hospital's pending commitment gains a statement of its own: the hospital's anchor still succeeds, as the hospital's, and backs its claim", async function () {
    const { records, claims, doctor, labAdmin, patient, day } = await loadFixture(spamFixture);
    const pending = commitmentN(4, "honest");
    await records.connect(labAdmin).anchor(pending); // front-run: the lab saw the hospital's anchor in the mempool
    await expect(records.connect(doctor).anchor(pending)).to.emit(records, "RecordAnchored").withArgs(pending, pending, HOSPITAL, 1);
    expect([(await records.recordVersion(HOSPITAL, pending)).orgId, (await records.recordVersion(LAB, pending)).orgId]).to.deep.equal([HOSPITAL, LAB]);
    // The squatter's retraction withdraws its own statement only.
    await records.connect(labAdmin).retract(pending, 1);
    expect(await records.commitmentStatus(HOSPITAL, pending)).to.deep.equal([true, false]);
    const s = submissionOf(1n, patient.address, day, pending, [{ code: CODE.VISIT, units: 1, charged: 100n * USD }]);
    await expect(claims.connect(doctor).submit(sub(s))).to.emit(claims, "ClaimSubmitted");
  });

  it("another provider's spam claims for other members leave the honest claim's gas and outcome unchanged", async function () {
    const { claims, doctor, clinicAdmin, patient, patient2, evidence, clinicEvidence, day } = await loadFixture(spamFixture);
    const honest = submissionOf(1n, patient.address, day, evidence, [{ code: CODE.VISIT, units: 1, charged: 300n * USD }]);
    const baseline = await gasOf(claims.connect(doctor).submit(sub(honest)));
    const baseState = await claimState(claims, claimIdOf(honest));
    // The same record but for the time it was decided (the spam took blocks).
    const recordOf = async (engine: typeof claims) => ({ ...(await new ClaimsClient(engine).record(claimIdOf(honest))), decidedAt: 0 });
    const baseRecord = await recordOf(claims);
    const { claims: again } = await loadFixture(spamFixture);
    for (let i = 0; i < 30; i++) {
      const spam = submissionOf(1n, patient2.address, day - i * 86_400, clinicEvidence, [{ code: CODE.VISIT, units: 1, charged: BigInt(100 + i) * USD }]);
      await again.connect(clinicAdmin).submit(sub({ ...spam, providerOrg: CLINIC }));
    }
    expect(await gasOf(again.connect(doctor).submit(sub(honest)))).to.equal(baseline);
    const state = await claimState(again, claimIdOf(honest));
    expect([state.status, state.planPaid, await recordOf(again)]).to.deep.equal([baseState.status, baseState.planPaid, baseRecord]);
  });

  it("a duplicate of the hospital's claim by another provider is a different claim: it cannot pre-empt the hospital's", async function () {
    const { claims, doctor, clinicAdmin, labAdmin, patient, evidence, clinicEvidence, day } = await loadFixture(spamFixture);
    const lines = [{ code: CODE.VISIT, units: 1, charged: 300n * USD }];
    const hospital = submissionOf(1n, patient.address, day, evidence, lines);
    const copy = { ...hospital, providerOrg: CLINIC, evidence: clinicEvidence };
    await claims.connect(clinicAdmin).submit(sub(copy));
    expect(claimIdOf(copy)).to.not.equal(claimIdOf(hospital));
    await expect(claims.connect(doctor).submit(sub(hospital))).to.emit(claims, "ClaimSubmitted").withArgs(claimIdOf(hospital), 1n, patient.address, doctor.address, (v: unknown) => v !== undefined);
    // Nor can the clinic or the lab file in the hospital's name, or lean on the hospital's evidence.
    await expect(claims.connect(clinicAdmin).submit(sub({ ...hospital, serviceDate: day - 86_400 }))).to.be.revertedWithCustomError(claims, "NotAuthorizedSubmitter").withArgs(clinicAdmin.address, HOSPITAL, 1n);
    await expect(claims.connect(labAdmin).submit(sub({ ...hospital, serviceDate: day - 86_400 }))).to.be.revertedWithCustomError(claims, "NotAuthorizedSubmitter").withArgs(labAdmin.address, HOSPITAL, 1n);
    await expect(claims.connect(clinicAdmin).submit(sub({ ...copy, evidence, serviceDate: day - 86_400 }))).to.be.revertedWithCustomError(claims, "EvidenceNotAnchored").withArgs(evidence, CLINIC);
  });

  it("the same claim submitted twice is refused by DuplicateClaim before any money moves", async function () {
    const { claims, doctor, patient, evidence, day, token, payee } = await loadFixture(spamFixture);
    const s = submissionOf(1n, patient.address, day, evidence, [{ code: CODE.VISIT, units: 1, charged: 300n * USD }]);
    await claims.connect(doctor).submit(sub(s));
    const paid = await token.balanceOf(payee.address);
    const funds = await claims.funds(1n);
    await expect(claims.connect(doctor).submit(sub(s))).to.be.revertedWithCustomError(claims, "DuplicateClaim").withArgs(claimIdOf(s));
    expect(await token.balanceOf(payee.address)).to.equal(paid);
    expect(await claims.funds(1n)).to.deep.equal(funds);
  });

  it("anyone may call payQueued, but on an empty queue it moves nothing, and it is bounded by MAX_BATCH", async function () {
    const { claims, outsider } = await loadFixture(spamFixture);
    const before = await claims.funds(1n);
    await expect(claims.connect(outsider).payQueued(1n, 50)).to.not.emit(claims, "ClaimPaid");
    expect(await claims.funds(1n)).to.deep.equal(before);
    await expect(claims.connect(outsider).payQueued(1n, 51)).to.be.revertedWithCustomError(claims, "InvalidBatch").withArgs(51, 50);
  });

  it("a provider front-running another's break-glass reference cannot burn it: references are single-use per organization", async function () {
    // A provider that sees another's break-glass in the mempool and sends the same reference first opens only
    // its own (logged, attributable) access; the victim's opening with that reference still goes through.
    const { consent, doctor, clinicAdmin, patient } = await loadFixture(spamFixture);
    const ref = commitmentN(1, "reason");
    await consent.connect(clinicAdmin).breakGlass(patient.address, 1, ref, 60); // the front-runner
    await expect(consent.connect(doctor).breakGlass(patient.address, 1, ref, 3600)).to.emit(consent, "BreakGlassOpened");
    expect(await consent.isPermitted(patient.address, doctor.address, 0, 1)).to.equal(true);
    // Within one organization the reference stays single-use.
    await expect(consent.connect(doctor).breakGlass(patient.address, 1, ref, 3600)).to.be.revertedWithCustomError(consent, "ReasonAlreadyUsed").withArgs(1n, ref);
  });
});
