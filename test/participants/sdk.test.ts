import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre from "hardhat";
import { CareLedger, ContractRevertError, OrgKind, profileCommitment, ValidationError } from "../../sdk";
import { deployFixture, PROFILE } from "../support/fixtures";

const HOSPITAL_PROFILE = { name: "St. Example General Hospital", licence: "HOSP-0001", contact: "it@example.org" };

async function expectRejected<T extends Error>(p: Promise<unknown>, type: new (...a: never[]) => T): Promise<T> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(type);
    return err as T;
  }
  throw new Error("expected a rejection");
}

async function clientsFixture() {
  const f = await deployFixture();
  const asRegistrar = await f.connect(f.registrar);
  const asPauser = await f.connect(f.pauser);
  const asHospital = await f.connect(f.hospitalAdmin);
  const { orgId } = await (await asRegistrar.participants.registerOrganization({ kind: "provider", metadata: HOSPITAL_PROFILE, admin: f.hospitalAdmin.address })).wait();
  return { ...f, asRegistrar, asPauser, asHospital, orgId };
}

describe("SDK participants client", function () {
  describe("writes", function () {
    it("registers an organization and decodes the new id from the receipt", async function () {
      const { asRegistrar, labAdmin, registry } = await loadFixture(clientsFixture);
      const handle = await asRegistrar.participants.registerOrganization({ kind: OrgKind.Lab, metadata: PROFILE, admin: labAdmin.address });
      expect(handle.hash).to.match(/^0x[0-9a-f]{64}$/);
      const result = await handle.wait();
      expect([result.orgId, result.kind, result.admin, result.metadata]).to.deep.equal([2n, OrgKind.Lab, labAdmin.address, PROFILE]);
      expect(result.receipt.status).to.equal(1);
      expect((await registry.organization(2)).kind).to.equal(BigInt(OrgKind.Lab));
    });

    it("commits a profile object with RFC 8785, so any key order gives the same commitment", async function () {
      const { asHospital, orgId } = await loadFixture(clientsFixture);
      const org = await asHospital.participants.organization(orgId);
      expect(org.metadata).to.equal(profileCommitment({ contact: "it@example.org", licence: "HOSP-0001", name: "St. Example General Hospital" }));
    });

    it("manages members, admins and the organization's standing end to end", async function () {
      const { asHospital, asRegistrar, asPauser, doctor, nurse, orgId, connect } = await loadFixture(clientsFixture);
      expect((await (await asHospital.participants.addMember({ orgId, account: doctor.address })).wait()).isAdmin).to.equal(false);
      await (await asHospital.participants.addMember({ orgId, account: nurse.address, isAdmin: true })).wait();
      await (await asHospital.participants.setAdmin({ orgId, account: nurse.address, isAdmin: false })).wait();
      expect(await asHospital.participants.isActiveMember(doctor.address)).to.deep.equal({ active: true, orgId, kind: OrgKind.Provider });

      await (await asPauser.participants.suspend({ orgId })).wait();
      expect((await asHospital.participants.isActiveMember(doctor.address)).active).to.equal(false);
      await (await asRegistrar.participants.reinstate({ orgId })).wait();
      expect((await asHospital.participants.organization(orgId)).suspended).to.equal(false);

      await (await asHospital.participants.removeMember({ orgId, account: nurse.address })).wait();
      await (await (await connect(doctor)).participants.leave()).wait();
      await (await asRegistrar.participants.appointAdmin({ orgId, account: nurse.address })).wait();
      await (await asRegistrar.participants.updateMetadata({ orgId, metadata: { name: "renamed" } })).wait();

      const members = await asHospital.participants.members(orgId);
      expect(members.map((m) => [m.account, m.isAdmin]).sort()).to.deep.equal(
        [
          [(await asHospital.participants.membership(nurse.address)).account, true],
          [(await hre.ethers.getSigners())[3].address, true],
        ].sort(),
      );
      expect(await asHospital.participants.organizationCount()).to.equal(1n);
    });

    it("pauses and unpauses through the pauser", async function () {
      const { asPauser, asRegistrar, labAdmin } = await loadFixture(clientsFixture);
      await (await asPauser.participants.pause()).wait();
      const err = await expectRejected(asRegistrar.participants.registerOrganization({ kind: "lab", metadata: PROFILE, admin: labAdmin.address }), ContractRevertError);
      expect([err.errorName, err.code]).to.deep.equal(["EnforcedPause", "ENFORCED_PAUSE"]);
      await (await asPauser.participants.unpause()).wait();
      await (await asRegistrar.participants.registerOrganization({ kind: "lab", metadata: PROFILE, admin: labAdmin.address })).wait();
    });
  });

  describe("typed reverts", function () {
    it("decodes a refusal into the contract's error with its arguments", async function () {
      const { asHospital, orgId, hospitalAdmin, labAdmin, asRegistrar } = await loadFixture(clientsFixture);
      await (await asRegistrar.participants.registerOrganization({ kind: "lab", metadata: PROFILE, admin: labAdmin.address })).wait();
      const err = await expectRejected(asHospital.participants.addMember({ orgId, account: labAdmin.address }), ContractRevertError);
      expect(err.errorName).to.equal("AlreadyMember");
      expect(err.code).to.equal("ALREADY_MEMBER");
      expect(err.args).to.deep.equal({ account: labAdmin.address, orgId: 2n });
      expect(err.message).to.contain("already belongs to organization 2");
      const last = await expectRejected(asHospital.participants.leave(), ContractRevertError);
      expect(last.args).to.deep.equal({ orgId, account: hospitalAdmin.address });
    });

    it("decodes the AccessManager's refusal of an unprivileged caller", async function () {
      const { connect, outsider, labAdmin } = await loadFixture(clientsFixture);
      const asOutsider = await connect(outsider);
      const err = await expectRejected(asOutsider.participants.registerOrganization({ kind: "lab", metadata: PROFILE, admin: labAdmin.address }), ContractRevertError);
      expect(err.errorName).to.equal("AccessManagedUnauthorized");
      expect(err.args).to.deep.equal({ caller: outsider.address });
    });

    it("decodes errors of views too", async function () {
      const { asHospital } = await loadFixture(clientsFixture);
      const err = await expectRejected(asHospital.participants.organization(99), ContractRevertError);
      expect([err.errorName, err.args.orgId]).to.deep.equal(["UnknownOrganization", 99n]);
    });
  });

  describe("validation before sending", function () {
    const cases: [string, string, (c: CareLedger, admin: string) => Promise<unknown>][] = [
      ["a short hex admin", "admin", (c) => c.participants.registerOrganization({ kind: "provider", metadata: PROFILE, admin: "0x1234" })],
      ["the zero admin", "admin", (c) => c.participants.registerOrganization({ kind: "provider", metadata: PROFILE, admin: hre.ethers.ZeroAddress })],
      ["an unknown kind name", "kind", (c, a) => c.participants.registerOrganization({ kind: "hospital" as never, metadata: PROFILE, admin: a })],
      ["the None kind", "kind", (c, a) => c.participants.registerOrganization({ kind: OrgKind.None, metadata: PROFILE, admin: a })],
      ["an out-of-range kind number", "kind", (c, a) => c.participants.registerOrganization({ kind: 9 as OrgKind, metadata: PROFILE, admin: a })],
      ["empty metadata", "metadata", (c, a) => c.participants.registerOrganization({ kind: "lab", metadata: "", admin: a })],
      ["a zero commitment", "metadata", (c, a) => c.participants.registerOrganization({ kind: "lab", metadata: "0x" + "00".repeat(32), admin: a })],
      ["a short commitment", "metadata", (c, a) => c.participants.registerOrganization({ kind: "lab", metadata: "0x1234", admin: a })],
      ["an array as profile", "metadata", (c, a) => c.participants.registerOrganization({ kind: "lab", metadata: [] as never, admin: a })],
      ["org id 0", "orgId", (c, a) => c.participants.addMember({ orgId: 0, account: a })],
      ["a non-numeric org id", "orgId", (c, a) => c.participants.addMember({ orgId: "one", account: a })],
      ["an org id past uint64", "orgId", (c, a) => c.participants.addMember({ orgId: 2n ** 64n, account: a })],
      ["a fractional org id", "orgId", (c, a) => c.participants.addMember({ orgId: 1.5, account: a })],
      ["a non-address account", "account", (c) => c.participants.addMember({ orgId: 1, account: "not an address" })],
      ["a non-boolean isAdmin", "isAdmin", (c, a) => c.participants.addMember({ orgId: 1, account: a, isAdmin: "yes" as never })],
      ["a non-address to read", "account", (c) => c.participants.isActiveMember("0xnope")],
    ];
    for (const [what, field, call] of cases) {
      it(`refuses ${what}, naming ${field}, without sending anything`, async function () {
        const { asRegistrar, registrar, labAdmin } = await loadFixture(clientsFixture);
        const nonce = await hre.ethers.provider.getTransactionCount(registrar.address);
        const err = await expectRejected(call(asRegistrar, labAdmin.address), ValidationError);
        expect(err.field).to.equal(field);
        expect(err.code).to.equal("INVALID_INPUT");
        expect(err.message.startsWith(`${field}: `)).to.equal(true);
        expect(await hre.ethers.provider.getTransactionCount(registrar.address)).to.equal(nonce);
      });
    }

    it("refuses writes on a read-only connection", async function () {
      const { book, labAdmin } = await loadFixture(clientsFixture);
      const reader = await CareLedger.connect(hre.ethers.provider, { addressBook: book });
      const err = await expectRejected(reader.participants.registerOrganization({ kind: "lab", metadata: PROFILE, admin: labAdmin.address }), Error);
      expect((err as ValidationError).code).to.equal("READ_ONLY");
      expect((await reader.participants.organization(1)).kind).to.equal(OrgKind.Provider);
    });
  });
});
