import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre from "hardhat";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { accessReference, writeAddressBook } from "../../sdk";
import { consentFixture, RECORD } from "./fixtures";

/** The consent fixture with its address book written where the tasks read it. */
async function taskFixture() {
  const f = await consentFixture();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "careledger-consent-tasks-"));
  writeAddressBook(f.book, dir);
  return { ...f, dir };
}

/** Runs a task and returns the JSON lines it printed. */
async function run(dir: string, name: string, args: Record<string, unknown>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const log = console.log;
  const before = process.env.CARELEDGER_DEPLOYMENTS_DIR;
  process.env.CARELEDGER_DEPLOYMENTS_DIR = dir;
  console.log = (line: string) => lines.push(line);
  try {
    await hre.run(name, args);
  } finally {
    console.log = log;
    if (before === undefined) delete process.env.CARELEDGER_DEPLOYMENTS_DIR;
    else process.env.CARELEDGER_DEPLOYMENTS_DIR = before;
  }
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

const SALT = "0x" + "5a".repeat(32);

/** The message a task's promise rejects with (fails the test when it resolves). */
const failure = async (p: Promise<unknown>) => p.then(() => expect.fail("expected the task to fail"), (err: Error) => err.message);

describe("consent tasks", function () {
  it("grant, check, log, history and revoke from the command line", async function () {
    const { dir, patient, doctor, nurse } = await loadFixture(taskFixture);
    const doc = path.join(dir, "consent.json");
    fs.writeFileSync(doc, JSON.stringify({ resourceType: "Consent", status: "active" }));
    const [granted] = await run(dir, "consent:grant", { grantee: "org:1", classes: "labs,medications", purposes: "TREAT", until: "2099-01-01", document: doc, from: "9" });
    expect(granted).to.include({ patient: patient.address, by: patient.address, validUntil: Date.UTC(2099, 0, 1) / 1000 });
    expect(granted.salt).to.match(/^0x[0-9a-f]{64}$/);
    // The salt went to disk (0600) before the grant was sent; a re-run of the same document reuses it.
    const saltFile = `${doc}.salt.json`;
    expect(granted.saltFile).to.equal(saltFile);
    expect(JSON.parse(fs.readFileSync(saltFile, "utf8"))).to.include({ format: "careledger-consent-salt-v1", salt: granted.salt, commitment: granted.commitment });
    expect(fs.statSync(saltFile).mode & 0o777).to.equal(0o600);
    fs.chmodSync(saltFile, 0o644);
    const [again] = await run(dir, "consent:grant", { grantee: "org:1", classes: "labs,medications", purposes: "TREAT", until: "2099-01-01", document: doc, from: "9" });
    expect([again.salt, again.commitment]).to.deep.equal([granted.salt, granted.commitment]);
    expect(fs.statSync(saltFile).mode & 0o777).to.equal(0o600);
    const [check] = await run(dir, "consent:check", { patient: patient.address, accessor: doctor.address, class: "labs", purpose: "TREAT" });
    expect(check.permitted).to.equal(true);
    const [logged] = await run(dir, "consent:log", { patient: patient.address, recordId: RECORD, salt: SALT, class: "labs", purpose: "TREAT", from: doctor.address });
    expect(logged).to.include({ accessor: doctor.address, orgId: "1", dataClass: "labs" });
    expect(logged.recordRef).to.equal(accessReference({ salt: SALT, recordId: RECORD }, logged.nonce as string).recordRef);
    expect(await failure(run(dir, "consent:log", { patient: patient.address, recordId: RECORD, class: "labs", purpose: "TREAT", from: doctor.address }))).to.match(/^salt: /);
    await run(dir, "consent:grant", { grantee: nurse.address, classes: "vitals", purposes: "TREAT", until: "4102444800", start: "2020-01-01T00:00:00Z", commitment: "0x" + "c0".repeat(32), from: "9" });
    const [history] = await run(dir, "consent:history", { patient: patient.address, access: false });
    expect((history.grants as unknown[]).length).to.equal(2);
    expect((history.history as { event: string }[]).map((h) => h.event)).to.deep.equal(["ConsentGranted", "ConsentGranted", "AccessLogged", "ConsentGranted"]);
    const [access] = await run(dir, "consent:history", { patient: patient.address, access: true });
    expect((access.accessLog as unknown[]).length).to.equal(1);
    const [revoked] = await run(dir, "consent:revoke", { grantee: "org:1", from: "9" });
    expect(revoked.by).to.equal(patient.address);
    const [after] = await run(dir, "consent:check", { patient: patient.address, accessor: doctor.address, class: "labs", purpose: "TREAT" });
    expect(after.permitted).to.equal(false);
  });

  it("appoints a scoped delegate from the command line, which grants within its scope only, and removes it", async function () {
    const { dir, patient, delegate, signers } = await loadFixture(taskFixture);
    const delegateIndex = String(signers.findIndex((x) => x.address === delegate.address));
    expect(await failure(run(dir, "consent:delegate", { delegate: delegate.address, until: "2099-01-01", classes: "labs,hiv", purposes: "TREAT", representative: false, remove: false, from: "9" }))).to.match(/^classes: hiv/);
    const [appointed] = await run(dir, "consent:delegate", { delegate: delegate.address, until: "2099-01-01", classes: "labs,vitals", purposes: "TREAT", representative: false, remove: false, from: "9" });
    expect(appointed).to.deep.include({ patient: patient.address, delegate: delegate.address, classes: ["labs", "vitals"], purposes: ["TREAT"], representative: false });
    await run(dir, "consent:grant", { grantee: "org:1", classes: "labs", purposes: "TREAT", until: "2098-01-01", commitment: "0x" + "c0".repeat(32), patient: patient.address, from: delegateIndex });
    expect(await failure(run(dir, "consent:grant", { grantee: "org:1", classes: "medications", purposes: "TREAT", until: "2098-01-01", commitment: "0x" + "c0".repeat(32), patient: patient.address, from: delegateIndex }))).to.match(/^DelegateScopeExceeded: /);
    const [removed] = await run(dir, "consent:delegate", { delegate: delegate.address, representative: false, remove: true, from: "9" });
    expect(removed).to.include({ patient: patient.address, delegate: delegate.address });
  });

  it("writes a consent document's salt before sending, and never overwrites the salt of another content of the document", async function () {
    const { dir } = await loadFixture(taskFixture);
    const doc = path.join(dir, "consent-2.json");
    fs.writeFileSync(doc, JSON.stringify({ resourceType: "Consent", status: "active" }));
    // Refused by the SDK before sending (a past end date): the salt file is there all the same.
    expect(await failure(run(dir, "consent:grant", { grantee: "org:1", classes: "labs", purposes: "TREAT", until: "2001-01-01", document: doc, from: "9" }))).to.match(/validUntil/);
    const kept = JSON.parse(fs.readFileSync(`${doc}.salt.json`, "utf8"));
    expect(kept.salt).to.match(/^0x[0-9a-f]{64}$/);
    fs.writeFileSync(doc, JSON.stringify({ resourceType: "Consent", status: "active", scope: "changed" }));
    expect(await failure(run(dir, "consent:grant", { grantee: "org:1", classes: "labs", purposes: "TREAT", until: "2099-01-01", document: doc, from: "9" }))).to.match(/^document: .*salt of another content/);
    expect(JSON.parse(fs.readFileSync(`${doc}.salt.json`, "utf8")).salt).to.equal(kept.salt);
  });

  it("refuses a grant without a commitment and a bad date, naming the option", async function () {
    const { dir } = await loadFixture(taskFixture);
    expect(await failure(run(dir, "consent:grant", { grantee: "org:1", classes: "labs", purposes: "TREAT", until: "2099-01-01", from: "9" }))).to.match(/^commitment: /);
    expect(await failure(run(dir, "consent:grant", { grantee: "org:1", classes: "labs", purposes: "TREAT", until: "soon", commitment: "0x" + "c0".repeat(32), from: "9" }))).to.match(/^--until: /);
  });
});
