/**
 * Attack class: access through intermediate contracts. Every privileged, patient-side and
 * organization-admin path of the suite is reached through contracts/test/Intermediary.sol by the
 * very wallet that holds the power. The contracts see the intermediary as the caller, so every
 * call is refused with the named error carrying the intermediary's address: no power passes
 * through a contract. The few permissionless calls (cancelSignatures, appointDelegate) act for the
 * intermediary itself and leave the wallet's own state untouched.
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import type { BaseContract } from "ethers";
import { accountGrantee, claimIdOf, OrgKind } from "../../sdk";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { CODE, COMMITMENT, commitmentN, DAY, HOSPITAL, INSURER, rec, sub, submissionOf, suiteFixture, today, USD } from "../support/suiteFixture";
import { PROFILE } from "../support/fixtures";
import { FULL_SCOPE } from "../consent/fixtures";

async function intermediateFixture() {
  const f = await suiteFixture();
  const { consent, records, claims, doctor, patient, insurerAdmin, delegate } = f;
  await consent.connect(patient).grant(patient.address, accountGrantee(doctor.address), 1 << 4, 1, 0, (await today()) + 30 * DAY, COMMITMENT);
  await consent.connect(patient).appointDelegate(delegate.address, (await today()) + 30 * DAY, ...FULL_SCOPE);
  await claims.connect(insurerAdmin).fund(1n, 10_000n * USD);
  const day = await today();
  const claimOn = async (n: number, code: string, charged: bigint) => {
    const evidence = commitmentN(n, "intermediate");
    await records.connect(doctor).anchor(evidence);
    const s = submissionOf(1n, patient.address, day, evidence, [{ code, units: 1, charged }]);
    await claims.connect(doctor).submit(sub(s));
    return { s, id: claimIdOf(s) };
  };
  const approved = await claimOn(1, CODE.VISIT, 300n * USD);
  const pended = await claimOn(2, CODE.REVIEW, 300n * USD);
  const denied = await claimOn(3, CODE.UNKNOWN, 300n * USD);
  const appealed = await claimOn(4, CODE.UNKNOWN, 400n * USD);
  const sdk = (await f.connect(f.deployer)).claims;
  await claims.connect(patient).appeal(appealed.id, rec(await sdk.record(appealed.id)));
  const records_ = { approved: await sdk.record(approved.id), pended: await sdk.record(pended.id), denied: await sdk.record(denied.id), appealed: await sdk.record(appealed.id) };
  /** The state any of the paths could touch. */
  const stateOf = async () =>
    JSON.stringify(
      [
        await consent.grantOf(patient.address, accountGrantee(doctor.address)),
        await consent.grantOf(patient.address, accountGrantee(f.outsider.address)),
        await consent.delegationOf(patient.address, delegate.address),
        await consent.breakGlassOptedOut(patient.address),
        await consent.breakGlassOf(patient.address, doctor.address),
        await consent.breakGlassWindow(),
        await records.recordVersion(HOSPITAL, commitmentN(1, "intermediate")),
        await records.recordVersion(HOSPITAL, commitmentN(100, "via")),
        await claims.planCount(),
        await claims.funds(1n),
        await claims.payeeOf(HOSPITAL),
        await claims.isTokenAllowed(f.outsider.address),
        await claims.enrollment(1n, f.outsider.address),
        ...(await Promise.all([approved.id, pended.id, denied.id, appealed.id].map((id) => claims.claim(id)))),
        await f.registry.organizationCount(),
        await f.registry.organization(HOSPITAL),
        await f.registry.membershipOf(f.outsider.address),
        await consent.paused(),
        await records.paused(),
        await claims.paused(),
      ],
      (_, v) => (typeof v === "bigint" ? v.toString() : v),
    );
  return { ...f, approved, pended, denied, appealed, records_, stateOf };
}

type F = Awaited<ReturnType<typeof intermediateFixture>>;

interface Path {
  name: string;
  target: (f: F) => BaseContract;
  as: (f: F) => HardhatEthersSigner;
  call: (f: F) => [string, unknown[]];
  error: string;
  args: (f: F, via: string) => unknown[];
}

const INTER = (f: F) => f.intermediary.target as string;

const PATHS: Path[] = [
  // consent: patient-side
  { name: "consent.grant by the patient", target: (f) => f.consent, as: (f) => f.patient, call: (f) => ["grant", [f.patient.address, accountGrantee(f.outsider.address), 1, 1, 0, 4_000_000_000, COMMITMENT]], error: "NotPatientOrDelegate", args: (f, v) => [v, f.patient.address] },
  { name: "consent.grant by the patient's delegate", target: (f) => f.consent, as: (f) => f.delegate, call: (f) => ["grant", [f.patient.address, accountGrantee(f.outsider.address), 1, 1, 0, 4_000_000_000, COMMITMENT]], error: "NotPatientOrDelegate", args: (f, v) => [v, f.patient.address] },
  { name: "consent.revoke by the patient", target: (f) => f.consent, as: (f) => f.patient, call: (f) => ["revoke", [f.patient.address, accountGrantee(f.doctor.address)]], error: "NotPatientOrDelegate", args: (f, v) => [v, f.patient.address] },
  { name: "consent.setBreakGlassOptOut by the patient", target: (f) => f.consent, as: (f) => f.patient, call: (f) => ["setBreakGlassOptOut", [f.patient.address, true]], error: "NotPatientOrRepresentative", args: (f, v) => [v, f.patient.address] },
  { name: "consent.removeDelegate by the patient", target: (f) => f.consent, as: (f) => f.patient, call: (f) => ["removeDelegate", [f.patient.address, f.delegate.address]], error: "NotPatientOrSelf", args: (f, v) => [v, f.patient.address, f.delegate.address] },
  // consent: provider-side
  { name: "consent.breakGlass by the doctor", target: (f) => f.consent, as: (f) => f.doctor, call: (f) => ["breakGlass", [f.patient.address, 1, "0x" + "11".repeat(32), 3600]], error: "NotActiveProvider", args: (_f, v) => [v] },
  { name: "consent.logAccess by the granted doctor", target: (f) => f.consent, as: (f) => f.doctor, call: (f) => ["logAccess", [f.patient.address, COMMITMENT, 4, 0]], error: "AccessNotPermitted", args: (f, v) => [f.patient.address, v, 4, 0] },
  // consent: governance
  { name: "consent.setBreakGlassWindow by the configurator", target: (f) => f.consent, as: (f) => f.deployer, call: () => ["setBreakGlassWindow", [3600]], error: "AccessManagedUnauthorized", args: (_f, v) => [v] },
  { name: "consent.pause by the pauser", target: (f) => f.consent, as: (f) => f.pauser, call: () => ["pause", []], error: "AccessManagedUnauthorized", args: (_f, v) => [v] },
  // records
  { name: "records.anchor by the doctor", target: (f) => f.records, as: (f) => f.doctor, call: () => ["anchor", [commitmentN(100, "via")]], error: "NotAnchoringMember", args: (_f, v) => [v, 0, 0] },
  { name: "records.amend by the doctor", target: (f) => f.records, as: (f) => f.doctor, call: () => ["amend", [commitmentN(1, "intermediate"), 1, commitmentN(101, "via")]], error: "NotAnchoringMember", args: (_f, v) => [v, 0, 0] },
  { name: "records.retract by the doctor", target: (f) => f.records, as: (f) => f.doctor, call: () => ["retract", [commitmentN(1, "intermediate"), 1]], error: "NotAnchoringMember", args: (_f, v) => [v, 0, 0] },
  { name: "records.anchorBatch by the doctor", target: (f) => f.records, as: (f) => f.doctor, call: () => ["anchorBatch", [commitmentN(102, "via"), 2]], error: "NotAnchoringMember", args: (_f, v) => [v, 0, 0] },
  { name: "records.pause by the pauser", target: (f) => f.records, as: (f) => f.pauser, call: () => ["pause", []], error: "AccessManagedUnauthorized", args: (_f, v) => [v] },
  // claims: insurer
  { name: "claims.createPlan by the insurer admin", target: (f) => f.claims, as: (f) => f.insurerAdmin, call: (f) => ["createPlan", [f.terms]], error: "NotInsurerAdmin", args: (_f, v) => [v] },
  { name: "claims.setBenefits by the insurer admin", target: (f) => f.claims, as: (f) => f.insurerAdmin, call: () => ["setBenefits", [1n, [CODE.VISIT], [{ fee: 1n, copay: 0n, coinsuranceBps: 0, priorAuth: false, review: false, perClaimCap: 0n, costSharing: 0 }]]], error: "NotInsurerStaff", args: (_f, v) => [v, INSURER] },
  { name: "claims.enroll by the insurer admin", target: (f) => f.claims, as: (f) => f.insurerAdmin, call: (f) => ["enroll", [1n, f.outsider.address, 1, 2]], error: "NotInsurerStaff", args: (_f, v) => [v, INSURER] },
  { name: "claims.authorize by the adjuster", target: (f) => f.claims, as: (f) => f.adjuster, call: (f) => ["authorize", [1n, f.patient.address, CODE.VISIT, 1n, 0, 1]], error: "NotInsurerStaff", args: (_f, v) => [v, INSURER] },
  { name: "claims.withdraw by the insurer admin", target: (f) => f.claims, as: (f) => f.insurerAdmin, call: (f) => ["withdraw", [1n, 1n, f.insurerAdmin.address]], error: "NotInsurerStaff", args: (_f, v) => [v, INSURER] },
  { name: "claims.decide by the adjuster", target: (f) => f.claims, as: (f) => f.adjuster, call: (f) => ["decide", [f.pended.id, rec(f.records_.pended), [{ allowed: 0n, reason: 50 }]]], error: "NotInsurerStaff", args: (_f, v) => [v, INSURER] },
  { name: "claims.resolveAppeal by the adjuster", target: (f) => f.claims, as: (f) => f.adjuster, call: (f) => ["resolveAppeal", [f.appealed.id, rec(f.records_.appealed), [{ allowed: 400n * USD, reason: 0 }]]], error: "NotInsurerStaff", args: (_f, v) => [v, INSURER] },
  // claims: provider and member
  { name: "claims.setPayee by the hospital admin", target: (f) => f.claims, as: (f) => f.hospitalAdmin, call: (f) => ["setPayee", [f.hospitalAdmin.address]], error: "NotProviderAdmin", args: (_f, v) => [v] },
  { name: "claims.submit by the doctor", target: (f) => f.claims, as: (f) => f.doctor, call: (f) => ["submit", [sub({ ...f.approved.s, serviceDate: f.approved.s.serviceDate - DAY })]], error: "NotAuthorizedSubmitter", args: (_f, v) => [v, HOSPITAL, 1n] },
  { name: "claims.submitCorrection by the doctor", target: (f) => f.claims, as: (f) => f.doctor, call: (f) => ["submitCorrection", [sub({ ...f.approved.s, lines: [{ code: CODE.VISIT, units: 1, charged: 250n * USD }] }), f.approved.id, rec(f.records_.approved)]], error: "NotClaimProvider", args: (f, v) => [v, f.approved.id] },
  { name: "claims.appeal by the member", target: (f) => f.claims, as: (f) => f.patient, call: (f) => ["appeal", [f.denied.id, rec(f.records_.denied)]], error: "NotAppellant", args: (f, v) => [v, f.denied.id] },
  { name: "claims.appeal by the provider's doctor", target: (f) => f.claims, as: (f) => f.doctor, call: (f) => ["appeal", [f.denied.id, rec(f.records_.denied)]], error: "NotAppellant", args: (f, v) => [v, f.denied.id] },
  // claims: governance
  { name: "claims.setTokenAllowed by the configurator", target: (f) => f.claims, as: (f) => f.deployer, call: (f) => ["setTokenAllowed", [f.outsider.address, true]], error: "AccessManagedUnauthorized", args: (_f, v) => [v] },
  { name: "claims.pause by the pauser", target: (f) => f.claims, as: (f) => f.pauser, call: () => ["pause", []], error: "AccessManagedUnauthorized", args: (_f, v) => [v] },
  // participants
  { name: "registry.registerOrganization by the registrar", target: (f) => f.registry, as: (f) => f.registrar, call: (f) => ["registerOrganization", [OrgKind.Lab, PROFILE, f.outsider.address]], error: "AccessManagedUnauthorized", args: (_f, v) => [v] },
  { name: "registry.suspendOrganization by the pauser", target: (f) => f.registry, as: (f) => f.pauser, call: () => ["suspendOrganization", [HOSPITAL]], error: "AccessManagedUnauthorized", args: (_f, v) => [v] },
  { name: "registry.addMember by the hospital admin", target: (f) => f.registry, as: (f) => f.hospitalAdmin, call: (f) => ["addMember", [HOSPITAL, f.outsider.address, false]], error: "NotOrganizationAdmin", args: (_f, v) => [v, HOSPITAL] },
];

describe("Attack: access through intermediate contracts", function () {
  for (const path of PATHS) {
    it(`refuses ${path.name} through an intermediary`, async function () {
      const f = await loadFixture(intermediateFixture);
      const target = path.target(f);
      const [fn, args] = path.call(f);
      const data = target.interface.encodeFunctionData(fn, args);
      const before = await f.stateOf();
      await expect(f.intermediary.connect(path.as(f)).forward(target.target, data))
        .to.be.revertedWithCustomError(target, path.error)
        .withArgs(...path.args(f, INTER(f)));
      expect(await f.stateOf()).to.equal(before);
    });
  }

  it("the wallet itself may take each consent path the intermediary could not (the refusals are about the caller)", async function () {
    const f = await loadFixture(intermediateFixture);
    await expect(f.consent.connect(f.patient).setBreakGlassOptOut(f.patient.address, true)).to.emit(f.consent, "BreakGlassOptOutSet");
    await expect(f.consent.connect(f.doctor).logAccess(f.patient.address, COMMITMENT, 4, 0)).to.emit(f.consent, "AccessLogged");
  });

  it("permissionless calls through an intermediary act for the intermediary, never for the wallet behind it", async function () {
    const f = await loadFixture(intermediateFixture);
    const via = INTER(f);
    await f.intermediary.connect(f.patient).forward(f.consent.target, f.consent.interface.encodeFunctionData("cancelSignatures"));
    expect(await f.consent.signatureEpoch(f.patient.address)).to.equal(0n);
    expect(await f.consent.signatureEpoch(via)).to.equal(1n);
    await f.intermediary.connect(f.patient).forward(f.consent.target, f.consent.interface.encodeFunctionData("appointDelegate", [f.outsider.address, (await today()) + DAY, ...FULL_SCOPE]));
    expect((await f.consent.delegationOf(f.patient.address, f.outsider.address)).until).to.equal(0n);
    await expect(f.consent.connect(f.outsider).revoke(f.patient.address, accountGrantee(f.doctor.address)))
      .to.be.revertedWithCustomError(f.consent, "NotPatientOrDelegate")
      .withArgs(f.outsider.address, f.patient.address);
  });
});
