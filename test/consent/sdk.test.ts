import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre from "hardhat";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  accessReference,
  CareLedger,
  consentDocumentCommitment,
  ContractRevertError,
  errorCode,
  fromFhirConsent,
  newSalt,
  recordCommitment,
  REVERT_MESSAGES,
  ValidationError,
} from "../../sdk";
import { ConsentRegistry__factory } from "../../typechain-types";
import { consentFixture, HOSPITAL, now, RECORD, YEAR } from "../consent/fixtures";

const COMMITMENT = "0x" + "c0".repeat(32);
const FAR = 4_102_444_800; // 2100-01-01

async function sdkFixture() {
  const f = await loadFixture(consentFixture);
  const as = (signer: Parameters<typeof f.connect>[0]) => f.connect(signer);
  const patientCl = await as(f.patient);
  const doctorCl = await as(f.doctor);
  return { ...f, as, patientCl, doctorCl };
}

/** Awaits `p` and returns the error it throws. */
async function thrown(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a throw");
}

describe("SDK consent client", function () {
  describe("grant / revoke", function () {
    it("grants by names and decodes the result from the receipt", async function () {
      const { patientCl, patient, doctor } = await sdkFixture();
      const until = (await now()) + YEAR;
      const r = await (await patientCl.consent.grant({ grantee: { account: doctor.address }, classes: ["labs", "medications"], purposes: ["TREAT"], validUntil: until, commitment: COMMITMENT })).wait();
      expect(r.patient).to.equal(patient.address);
      expect(r.grantee).to.deep.equal({ kind: "account", account: doctor.address });
      expect(r.classes).to.deep.equal(["medications", "labs"]);
      expect(r.purposes).to.deep.equal(["TREAT"]);
      expect(r.validUntil).to.equal(until);
      expect(r.by).to.equal(patient.address);
      expect(await patientCl.consent.isPermitted({ patient: patient.address, accessor: doctor.address, dataClass: "labs", purpose: "TREAT" })).to.equal(true);
      const state = await patientCl.consent.grantOf(patient.address, doctor.address);
      expect(state?.classes).to.deep.equal(["medications", "labs"]);
      const { granteeKey } = await (await patientCl.consent.revoke({ grantee: doctor.address })).wait();
      expect(granteeKey).to.equal(state?.granteeKey);
      expect(await patientCl.consent.grantOf(patient.address, doctor.address)).to.equal(undefined);
    });

    it("refuses bad input before sending, naming the field", async function () {
      const { patientCl, patient, doctor } = await sdkFixture();
      const until = (await now()) + YEAR;
      const base = { grantee: { account: doctor.address }, classes: ["labs"] as const, purposes: ["TREAT"] as const, validUntil: until, commitment: COMMITMENT };
      const cases: [Record<string, unknown>, string][] = [
        [{ classes: ["labz"] }, "classes[0]"],
        [{ purposes: [] }, "purposes"],
        [{ purposes: ["MARKETING"] }, "purposes[0]"],
        [{ validUntil: until - 2 * YEAR }, "validUntil"],
        [{ validFrom: until + 10 }, "validUntil"],
        [{ validUntil: "tomorrow" }, "validUntil"],
        [{ commitment: "0x12" }, "commitment"],
        [{ grantee: { organization: 99 } }, "grantee.organization"],
        [{ grantee: patient.address }, "grantee"],
        [{ grantee: "someone" }, "grantee"],
        [{ patient: "0x12" }, "patient"],
      ];
      for (const [over, field] of cases) {
        const err = await thrown(patientCl.consent.grant({ ...base, ...over } as never));
        expect(err, JSON.stringify(over)).to.be.instanceOf(ValidationError);
        expect((err as ValidationError).field, JSON.stringify(over)).to.equal(field);
      }
    });

    it("turns a refusal into a typed error with its arguments and a sentence", async function () {
      const { as, outsider, patient, doctor } = await sdkFixture();
      const cl = await as(outsider);
      const err = await thrown(cl.consent.grant({ patient: patient.address, grantee: doctor.address, classes: ["labs"], purposes: ["TREAT"], validUntil: (await now()) + YEAR, commitment: COMMITMENT }));
      expect(err).to.be.instanceOf(ContractRevertError);
      expect((err as ContractRevertError).errorName).to.equal("NotPatientOrDelegate");
      expect((err as ContractRevertError).code).to.equal("NOT_PATIENT_OR_DELEGATE");
      expect((err as ContractRevertError).args).to.deep.equal({ caller: outsider.address, patient: patient.address });
      expect(err.message).to.contain("only the patient or a delegate");
    });

    it("a read-only client refuses writes", async function () {
      const { book } = await sdkFixture();
      const ro = await CareLedger.connect(hre.ethers.provider, { addressBook: book });
      const err = await thrown(ro.consent.cancelSignatures());
      expect((err as unknown as { code: string }).code).to.equal("READ_ONLY");
    });
  });

  describe("signed grants through a relayer", function () {
    it("a patient with no ETH signs; a relayer submits; the patient revokes the same way", async function () {
      const { as, relayer, doctor, book } = await sdkFixture();
      const wallet = hre.ethers.Wallet.createRandom().connect(hre.ethers.provider);
      const patientCl = await CareLedger.connect(wallet, { addressBook: book });
      const relayerCl = await as(relayer);
      const deadline = (await now()) + 3600;
      const signed = await patientCl.consent.signGrant({ grantee: { account: doctor.address }, classes: ["labs"], purposes: ["TREAT"], validUntil: deadline + YEAR, commitment: COMMITMENT }, { deadline });
      expect(signed.request.nonce).to.equal(0n);
      const applied = await (await relayerCl.consent.submitGrant(signed)).wait();
      expect(applied.by).to.equal(wallet.address);
      expect(await hre.ethers.provider.getBalance(wallet.address)).to.equal(0n);
      const rev = await patientCl.consent.signRevoke({ grantee: doctor.address }, { deadline });
      expect(rev.request.nonce).to.equal(1n);
      await (await relayerCl.consent.submitRevoke(rev)).wait();
      expect(await relayerCl.consent.isPermitted({ patient: wallet.address, accessor: doctor.address, dataClass: "labs", purpose: "TREAT" })).to.equal(false);
      const err = await thrown(relayerCl.consent.submitRevoke(rev));
      expect((err as ContractRevertError).errorName).to.equal("InvalidNonce");
    });

    it("cancelling outstanding signatures makes a stale one fail with SignatureCancelled", async function () {
      const { patientCl, as, relayer, doctor, patient } = await sdkFixture();
      const deadline = (await now()) + 3600;
      const signed = await patientCl.consent.signGrant({ grantee: doctor.address, classes: ["labs"], purposes: ["TREAT"], validUntil: deadline + YEAR, commitment: COMMITMENT }, { deadline });
      const { epoch } = await (await patientCl.consent.cancelSignatures()).wait();
      expect(epoch).to.equal(1n);
      expect(await patientCl.consent.epoch(patient.address)).to.equal(1n);
      const err = await thrown((await as(relayer)).consent.submitGrant(signed));
      expect((err as ContractRevertError).errorName).to.equal("SignatureCancelled");
      expect((err as ContractRevertError).args).to.deep.equal({ patient: patient.address, epoch: 0n, currentEpoch: 1n });
    });

    it("refuses an expired, cancelled or used signature before sending anything, with the contract's own error", async function () {
      const { patientCl, as, relayer, doctor, patient } = await sdkFixture();
      const relayerCl = await as(relayer);
      // Ten minutes: the chain's clock follows the wall clock, and a loaded machine must not expire the first signature.
      const deadline = (await now()) + 600;
      const sign = () => patientCl.consent.signGrant({ grantee: doctor.address, classes: ["labs"], purposes: ["TREAT"], validUntil: deadline + YEAR, commitment: COMMITMENT }, { deadline });
      // A gas limit given skips the node's estimate: only the SDK's own check stands before a failing transaction.
      const refused = async (p: Promise<unknown>, name: string) => {
        const sent = await hre.ethers.provider.getTransactionCount(relayer.address);
        const err = (await thrown(p)) as ContractRevertError;
        expect([err.errorName, err.code]).to.deep.equal([name, errorCode(name)]);
        expect(await hre.ethers.provider.getTransactionCount(relayer.address), "nothing sent").to.equal(sent);
        return err;
      };
      const used = await sign();
      await (await relayerCl.consent.submitGrant(used)).wait();
      const replay = await refused(relayerCl.consent.submitGrant(used, { gasLimit: 300_000 }), "InvalidNonce");
      expect(replay.args).to.deep.include({ nonce: 0n, currentNonce: 1n });
      const stale = await sign();
      await (await patientCl.consent.cancelSignatures()).wait();
      await refused(relayerCl.consent.submitGrant(stale, { gasLimit: 300_000 }), "SignatureCancelled");
      const revocation = await patientCl.consent.signRevoke({ grantee: doctor.address }, { deadline });
      await time.increaseTo(deadline + 1);
      const expired = await refused(relayerCl.consent.submitRevoke(revocation, { gasLimit: 300_000 }), "SignatureExpired");
      expect(expired.args.deadline).to.equal(BigInt(deadline));
      expect(await relayerCl.consent.isPermitted({ patient: patient.address, accessor: doctor.address, dataClass: "labs", purpose: "TREAT" })).to.equal(true);
    });

    it("refuses a deadline in the past before signing", async function () {
      const { patientCl, doctor } = await sdkFixture();
      const err = await thrown(patientCl.consent.signGrant({ grantee: doctor.address, classes: ["labs"], purposes: ["TREAT"], validUntil: (await now()) + YEAR, commitment: COMMITMENT }, { deadline: 1 }));
      expect((err as ValidationError).field).to.equal("deadline");
    });
  });

  describe("access references", function () {
    it("logs an access under a fresh reference that only the record's salt and the nonce tie to the record", async function () {
      const { as, doctor, patient, patientCl } = await sdkFixture();
      await (await patientCl.consent.grant({ grantee: doctor.address, classes: ["labs"], purposes: ["TREAT"], validUntil: (await now()) + YEAR, commitment: COMMITMENT })).wait();
      const salt = newSalt();
      const recordId = recordCommitment({ resourceType: "Observation", id: "x" }, salt);
      const cl = await as(doctor);
      const first = await (await cl.consent.logAccess({ patient: patient.address, record: { salt, recordId }, dataClass: "labs", purpose: "TREAT" })).wait();
      const second = await (await cl.consent.logAccess({ patient: patient.address, record: { salt, recordId }, dataClass: "labs", purpose: "TREAT" })).wait();
      // Never the record's id, never the same twice; recomputed from the salt and the nonce.
      expect([first.recordRef, second.recordRef]).to.not.include(recordId);
      expect(first.recordRef).to.not.equal(second.recordRef);
      expect(accessReference({ salt, recordId }, first.nonce!).recordRef).to.equal(first.recordRef);
      expect(accessReference({ salt: newSalt(), recordId }, first.nonce!).recordRef).to.not.equal(first.recordRef);
      expect((await cl.consent.accessLog(patient.address)).map((a) => a.recordRef)).to.deep.equal([first.recordRef, second.recordRef]);
      expect(() => accessReference({ salt, recordId: "0x12" })).to.throw(ValidationError, /^recordId/);
      expect(() => accessReference({ salt: "0x12", recordId })).to.throw(ValidationError, /^salt/);
    });
  });

  describe("delegates, break-glass, access log and history", function () {
    it("rebuilds grants, the accounting of disclosures and the history from events", async function () {
      const { patientCl, doctorCl, as, patient, doctor, delegate, nurse, deployer } = await sdkFixture();
      const until = (await now()) + YEAR;
      await (await patientCl.consent.appointDelegate({ delegate: delegate.address, until, classes: ["labs", "vitals"], purposes: ["TREAT"] })).wait();
      expect(await patientCl.consent.delegates(patient.address)).to.deep.equal([{ delegate: delegate.address, until, classes: ["labs", "vitals"], purposes: ["TREAT"], representative: false }]);
      const delegateCl = await as(delegate);
      await (await delegateCl.consent.grant({ patient: patient.address, grantee: { organization: HOSPITAL }, classes: ["labs"], purposes: ["TREAT"], validUntil: until, commitment: COMMITMENT })).wait();
      await (await patientCl.consent.grant({ grantee: nurse.address, classes: ["vitals"], purposes: ["TREAT"], validUntil: until, commitment: COMMITMENT })).wait();
      await (await patientCl.consent.revoke({ grantee: nurse.address })).wait();
      const logged = await (await doctorCl.consent.logAccess({ patient: patient.address, recordRef: RECORD, dataClass: "labs", purpose: "TREAT" })).wait();
      expect(logged).to.include({ accessor: doctor.address, orgId: HOSPITAL, dataClass: "labs", purpose: "TREAT", recordRef: RECORD });
      const refused = await thrown(doctorCl.consent.logAccess({ patient: patient.address, recordRef: RECORD, dataClass: "mentalHealth", purpose: "TREAT" }));
      expect((refused as ContractRevertError).errorName).to.equal("AccessNotPermitted");
      expect((refused as ContractRevertError).args).to.deep.equal({ patient: patient.address, accessor: doctor.address, dataClass: 16n, purpose: 0n });
      await (await (await as(deployer)).consent.setBreakGlassWindow(3600)).wait();
      expect(await patientCl.consent.breakGlassWindow()).to.equal(3600);
      const bg = await (await doctorCl.consent.breakGlass({ patient: patient.address, reason: "LIFE_THREATENING", reasonRef: consentDocumentCommitment({ note: "justification" }, newSalt()), duration: 600 })).wait();
      expect(bg).to.include({ orgId: HOSPITAL, reason: "LIFE_THREATENING" });
      await (await doctorCl.consent.logAccess({ patient: patient.address, recordRef: RECORD, dataClass: "imaging", purpose: "ETREAT" })).wait();

      const grants = await patientCl.consent.grants(patient.address);
      expect(grants).to.have.length(1);
      expect(grants[0]).to.include({ grantedBy: delegate.address, commitment: COMMITMENT, inForce: true });
      expect(grants[0].grantee).to.deep.equal({ kind: "organization", orgId: HOSPITAL });
      const log = await patientCl.consent.accessLog(patient.address);
      for (const a of log) expect(a.at).to.equal((await hre.ethers.provider.getBlock(a.blockNumber))!.timestamp);
      expect(log.map((a) => [a.accessor, a.orgId, a.dataClass, a.purpose])).to.deep.equal([
        [doctor.address, HOSPITAL, "labs", "TREAT"],
        [doctor.address, HOSPITAL, "imaging", "ETREAT"],
      ]);
      const history = await patientCl.consent.history(patient.address);
      expect(history.map((h) => h.event)).to.deep.equal(["DelegateAppointed", "ConsentGranted", "ConsentGranted", "ConsentRevoked", "AccessLogged", "BreakGlassOpened", "AccessLogged"]);
      expect(history[1].details).to.include({ by: delegate.address });
      expect(history[1].details.classes).to.deep.equal(["labs"]);
      expect(history[5].details.reason).to.equal("LIFE_THREATENING");

      await (await patientCl.consent.setBreakGlassOptOut({ optedOut: true })).wait();
      expect(await patientCl.consent.isPermitted({ patient: patient.address, accessor: doctor.address, dataClass: "imaging", purpose: "ETREAT" })).to.equal(false);
      await (await patientCl.consent.removeDelegate({ delegate: delegate.address })).wait();
      expect((await patientCl.consent.delegation(patient.address, delegate.address)).until).to.equal(0);
      expect(await patientCl.consent.delegates(patient.address)).to.deep.equal([]);
      expect((await patientCl.consent.history(patient.address)).map((h) => h.event).slice(-2)).to.deep.equal(["BreakGlassOptOutSet", "DelegateRemoved"]);
    });

    it("pause stops access and grants; revocation still works", async function () {
      const { patientCl, doctorCl, as, pauser, patient, doctor } = await sdkFixture();
      await (await patientCl.consent.grant({ grantee: doctor.address, classes: ["labs"], purposes: ["TREAT"], validUntil: (await now()) + YEAR, commitment: COMMITMENT })).wait();
      const p = await as(pauser);
      await (await p.consent.pause()).wait();
      const err = await thrown(doctorCl.consent.logAccess({ patient: patient.address, recordRef: RECORD, dataClass: "labs", purpose: "TREAT" }));
      expect((err as ContractRevertError).errorName).to.equal("EnforcedPause");
      await (await patientCl.consent.revoke({ grantee: doctor.address })).wait();
      await (await p.consent.unpause()).wait();
    });

    it("validates break-glass, access and delegate input, naming the field", async function () {
      const { doctorCl, patient } = await sdkFixture();
      const fields: [() => Promise<unknown>, string][] = [
        [() => doctorCl.consent.breakGlass({ patient: patient.address, reason: "BORED" as never, reasonRef: RECORD, duration: 60 }), "reason"],
        [() => doctorCl.consent.breakGlass({ patient: patient.address, reason: 1, reasonRef: "0x00", duration: 60 }), "reasonRef"],
        [() => doctorCl.consent.breakGlass({ patient: patient.address, reason: 1, reasonRef: RECORD, duration: 0 }), "duration"],
        [() => doctorCl.consent.logAccess({ patient: patient.address, recordRef: RECORD, dataClass: "dna" as never, purpose: "TREAT" }), "dataClass"],
        [() => doctorCl.consent.isPermitted({ patient: patient.address, accessor: "x", dataClass: "labs", purpose: "TREAT" }), "accessor"],
        [() => doctorCl.consent.appointDelegate({ delegate: patient.address, until: 1, classes: ["labs"], purposes: ["TREAT"] }), "until"],
        [() => doctorCl.consent.appointDelegate({ delegate: patient.address, until: FAR, classes: ["labs", "hiv"], purposes: ["TREAT"] }), "classes"],
        [() => doctorCl.consent.appointDelegate({ delegate: patient.address, until: FAR, classes: [], purposes: ["TREAT"] }), "classes"],
        [() => doctorCl.consent.appointDelegate({ delegate: patient.address, until: FAR, classes: ["labs"], purposes: ["TREAT"], representative: "yes" as never }), "representative"],
        [() => doctorCl.consent.setBreakGlassWindow(-1), "window"],
        [() => doctorCl.consent.setBreakGlassOptOut({ optedOut: "yes" as never }), "optedOut"],
      ];
      for (const [p, field] of fields) expect(((await thrown(p())) as ValidationError).field).to.equal(field);
    });
  });

  describe("FHIR import into grants", function () {
    it("maps the HL7 signature example (its author a recipient) and refuses to grant its long-expired period", async function () {
      const { patientCl, doctor } = await sdkFixture();
      const resource = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "fixtures", "fhir", "consent", "Consent-consent-example-signature.json"), "utf8"));
      // As published its nested rule names the data's author, not a recipient: the author made a recipient of the root.
      resource.provision.actor.push({ role: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", code: "IRCP" }] }, reference: { reference: "Practitioner/xcda-author" } });
      const mapped = fromFhirConsent(resource, { resolveActor: () => ({ account: doctor.address }), defaultPurposes: ["TREAT"] });
      const commitment = consentDocumentCommitment(resource, newSalt());
      const err = await thrown(patientCl.consent.grant({ ...mapped.grants[0], commitment }));
      expect((err as ValidationError).field).to.equal("validUntil");
      const fresh = { ...mapped.grants[0], validFrom: await now(), validUntil: (await now()) + YEAR, commitment };
      const r = await (await patientCl.consent.grant(fresh)).wait();
      expect(r.classes).to.deep.equal(mapped.grants[0].classes);
    });
  });

  it("has a sentence for every custom error of the ConsentRegistry", function () {
    for (const item of ConsentRegistry__factory.abi) {
      if (item.type === "error") expect(REVERT_MESSAGES, item.name).to.have.property(item.name);
    }
  });

  it("reads the EIP-712 domain from the contract (ERC-5267)", async function () {
    const { patientCl, domain } = await sdkFixture();
    expect(await patientCl.consent.domain()).to.deep.equal({ ...domain, chainId: BigInt(domain.chainId!) });
    await time.increase(1);
  });
});
