/**
 * Tests written to kill the mutants of ConsentRegistry that survived the main suite (SuMo, see
 * docs/mutation.md). The main tests refused malformed grantee keys with bits far above an address,
 * never with only bit 160 set, so reading an account key as "nothing above bit 161" instead of
 * "nothing above bit 160" looked the same. And every patient that cancelled its signatures or
 * granted directly, every delegate, and every provider member that broke the glass, was a wallet, where
 * `msg.sender` and `tx.origin` are one: here they are contracts driven by wallets of no standing.
 *
 * Judged equivalent: `return (false, 1)` for `return (false, 0)` when the accessor is not an active
 * member — the organization of a refused access is never used (logAccess reverts, isPermitted
 * drops it).
 */
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { DATA_CLASSES, PURPOSES } from "../../sdk";
import { Intermediary__factory } from "../../typechain-types";
import { consentFixture, COMMITMENT, classes, FULL_SCOPE, HOSPITAL, now, purposes, RECORD, YEAR } from "./fixtures";

describe("ConsentRegistry (mutation-killing tests)", function () {
  it("refuses a grantee key with bit 160 set above an account: it is neither an account nor an organization", async function () {
    const { consent, patient, doctor } = await loadFixture(consentFixture);
    const key = "0x0000000000000000000000" + "01" + doctor.address.slice(2).toLowerCase();
    expect(BigInt(key) >> 160n).to.equal(1n);
    await expect(consent.grant(patient.address, key, classes("labs"), purposes("TREAT"), 0, (await now()) + YEAR, COMMITMENT))
      .to.be.revertedWithCustomError(consent, "InvalidGrantee")
      .withArgs(key);
  });

  it("a smart-account patient cancels its own signatures: the event and the epoch are the account's, not its driver's", async function () {
    const { consent, outsider } = await loadFixture(consentFixture);
    const account = await new Intermediary__factory(outsider).deploy();
    await expect(account.connect(outsider).forward(consent.target, consent.interface.encodeFunctionData("cancelSignatures")))
      .to.emit(consent, "SignaturesCancelled")
      .withArgs(account.target, 1);
    expect(await consent.signatureEpoch(account.target)).to.equal(1n);
    expect(await consent.signatureEpoch(outsider.address)).to.equal(0n);
  });

  it("a smart-account patient grants directly as itself, though the wallet driving it is not the patient", async function () {
    const { consent, outsider, doctor, accountGrantee } = await loadFixture(consentFixture);
    const account = await new Intermediary__factory(outsider).deploy();
    const until = (await now()) + YEAR;
    const grant = consent.interface.encodeFunctionData("grant", [account.target, accountGrantee(doctor.address), classes("labs"), purposes("TREAT"), 0, until, COMMITMENT]);
    await expect(account.connect(outsider).forward(consent.target, grant)).to.emit(consent, "ConsentGranted");
    expect(await consent.isPermitted(account.target, doctor.address, 4, 0)).to.equal(true);
  });

  it("a contract that is a provider's member breaks the glass for its organization, in its own name, though its driver is no member", async function () {
    const { consent, registry, hospitalAdmin, outsider, patient } = await loadFixture(consentFixture);
    const agent = await new Intermediary__factory(outsider).deploy();
    await registry.connect(hospitalAdmin).addMember(HOSPITAL, agent.target, false);
    const ref = "0x" + "be".repeat(32);
    await expect(agent.connect(outsider).forward(consent.target, consent.interface.encodeFunctionData("breakGlass", [patient.address, 1, ref, 600])))
      .to.emit(consent, "BreakGlassOpened")
      .withArgs(patient.address, agent.target, HOSPITAL, 1, ref, anyValue);
    expect((await consent.breakGlassOf(patient.address, agent.target)).orgId).to.equal(HOSPITAL);
    expect(await consent.reasonUsed(HOSPITAL, ref)).to.equal(true);
  });

  it("a delegate is the account the patient appointed: its contract acts, a contract its wallet drives does not", async function () {
    const { consent, patient, delegate, doctor, accountGrantee } = await loadFixture(consentFixture);
    const guardianAccount = await new Intermediary__factory(delegate).deploy();
    const until = (await now()) + YEAR;
    await consent.connect(patient).appointDelegate(guardianAccount.target, until + 10, ...FULL_SCOPE);
    const grant = consent.interface.encodeFunctionData("grant", [patient.address, accountGrantee(doctor.address), classes("labs"), purposes("TREAT"), 0, until, COMMITMENT]);
    // The appointed contract grants, driven by a wallet that is not itself a delegate.
    await expect(guardianAccount.connect(delegate).forward(consent.target, grant)).to.emit(consent, "ConsentGranted");
    // A wallet that is a delegate cannot lend its standing to another contract.
    await consent.connect(patient).removeDelegate(patient.address, guardianAccount.target);
    await consent.connect(patient).appointDelegate(delegate.address, (await now()) + YEAR, ...FULL_SCOPE);
    const other = await new Intermediary__factory(delegate).deploy();
    await expect(other.connect(delegate).forward(consent.target, grant))
      .to.be.revertedWithCustomError(consent, "NotPatientOrDelegate")
      .withArgs(other.target, patient.address);
  });

  it("a smart-account patient acts as itself through every patient function; the events and the delegation are the account's", async function () {
    const { consent, outsider, stranger, doctor, accountGrantee } = await loadFixture(consentFixture);
    const account = await new Intermediary__factory(outsider).deploy();
    const call = (fn: string, args: unknown[]) => account.connect(outsider).forward(consent.target, consent.interface.encodeFunctionData(fn as never, args as never));
    const until = (await now()) + YEAR;
    const grantee = accountGrantee(doctor.address);
    await expect(call("grant", [account.target, grantee, classes("labs"), purposes("TREAT"), 0, until, COMMITMENT]))
      .to.emit(consent, "ConsentGranted")
      .withArgs(account.target, grantee, account.target, classes("labs"), purposes("TREAT"), anyValue, until, COMMITMENT);
    await expect(call("revoke", [account.target, grantee])).to.emit(consent, "ConsentRevoked").withArgs(account.target, grantee, account.target);
    await expect(call("setBreakGlassOptOut", [account.target, true])).to.emit(consent, "BreakGlassOptOutSet").withArgs(account.target, true, account.target);
    // The wallet driving the account may be its delegate: it is another account.
    await expect(call("appointDelegate", [outsider.address, until, ...FULL_SCOPE])).to.emit(consent, "DelegateAppointed").withArgs(account.target, outsider.address, until, ...FULL_SCOPE);
    expect([(await consent.delegationOf(account.target, outsider.address)).until, (await consent.delegationOf(outsider.address, outsider.address)).until]).to.deep.equal([BigInt(until), 0n]);
    await expect(call("removeDelegate", [account.target, outsider.address])).to.emit(consent, "DelegateRemoved").withArgs(account.target, outsider.address, account.target);
    // A contract that is neither the patient nor the delegate is refused under its own name.
    await consent.connect(stranger).appointDelegate(doctor.address, until, ...FULL_SCOPE);
    const other = await new Intermediary__factory(stranger).deploy();
    await expect(other.connect(stranger).forward(consent.target, consent.interface.encodeFunctionData("removeDelegate", [stranger.address, doctor.address])))
      .to.be.revertedWithCustomError(consent, "NotPatientOrSelf")
      .withArgs(other.target, stranger.address, doctor.address);
  });

  it("a contract delegate removes itself, driven by a wallet that is not the delegate", async function () {
    const { consent, patient, outsider } = await loadFixture(consentFixture);
    const guardian = await new Intermediary__factory(outsider).deploy();
    await consent.connect(patient).appointDelegate(guardian.target, (await now()) + YEAR, ...FULL_SCOPE);
    await expect(guardian.connect(outsider).forward(consent.target, consent.interface.encodeFunctionData("removeDelegate", [patient.address, guardian.target])))
      .to.emit(consent, "DelegateRemoved")
      .withArgs(patient.address, guardian.target, guardian.target);
    expect((await consent.delegationOf(patient.address, guardian.target)).until).to.equal(0n);
  });

  it("a stranger granting for a patient while paused is told the registry is paused", async function () {
    const { consent, pauser, outsider, patient, doctor, accountGrantee } = await loadFixture(consentFixture);
    await consent.connect(pauser).pause();
    await expect(consent.connect(outsider).grant(patient.address, accountGrantee(doctor.address), classes("labs"), purposes("TREAT"), 0, (await now()) + YEAR, COMMITMENT))
      .to.be.revertedWithCustomError(consent, "EnforcedPause");
  });

  it("a contract granted access logs it as itself, though the wallet driving it has no grant", async function () {
    const { consent, patient, outsider, accountGrantee } = await loadFixture(consentFixture);
    const app = await new Intermediary__factory(outsider).deploy();
    await consent.connect(patient).grant(patient.address, accountGrantee(String(app.target)), classes("labs"), purposes("TREAT"), 0, (await now()) + YEAR, COMMITMENT);
    const [labs, treat] = [DATA_CLASSES.labs, PURPOSES.TREAT];
    await expect(app.connect(outsider).forward(consent.target, consent.interface.encodeFunctionData("logAccess", [patient.address, RECORD, labs, treat])))
      .to.emit(consent, "AccessLogged")
      .withArgs(patient.address, app.target, 0, labs, treat, RECORD, anyValue);
  });
});
