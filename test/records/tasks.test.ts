import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre from "hardhat";
import { writeAddressBook } from "../../sdk";
import { readResources } from "../../tasks/records";
import { recordsFixture } from "./fixtures";

const BUNDLE = path.resolve(hre.config.paths.root, "..", "shared", "fixtures", "fhir", "claims", "Raymon_Kris_ca5da59f-0a70-470d-8b20-a1c847ff9010.json");

/** Runs a task and returns what it printed with console.log (parsed JSON lines) and console.error. */
async function run(name: string, args: Record<string, unknown>): Promise<{ out: unknown[]; err: string }> {
  const out: unknown[] = [];
  let err = "";
  const log = console.log;
  const error = console.error;
  const write = process.stderr.write.bind(process.stderr);
  console.log = (line: string) => out.push(JSON.parse(line));
  console.error = (line: string) => (err += line);
  process.stderr.write = ((chunk: string) => ((err += chunk), true)) as typeof process.stderr.write;
  try {
    await hre.run(name, args);
  } finally {
    console.log = log;
    console.error = error;
    process.stderr.write = write;
  }
  return { out, err };
}

/** The message a task's promise rejects with (fails the test when it resolves). */
const failure = async (p: Promise<unknown>) => p.then(() => expect.fail("expected the task to fail"), (err: Error) => err.message);

async function tasksFixture() {
  const f = await recordsFixture();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "careledger-records-"));
  writeAddressBook(f.book, dir);
  return { ...f, dir };
}

describe("records tasks", function () {
  let saved: string | undefined;
  before(() => (saved = process.env.CARELEDGER_DEPLOYMENTS_DIR));
  after(() => (saved === undefined ? delete process.env.CARELEDGER_DEPLOYMENTS_DIR : (process.env.CARELEDGER_DEPLOYMENTS_DIR = saved)));

  it("anchors a whole Bundle as one batch, writes the proofs and salts files, warns about the salts, and verifies", async function () {
    const { dir, doctor, labAdmin } = await loadFixture(tasksFixture);
    process.env.CARELEDGER_DEPLOYMENTS_DIR = dir;
    const { out, err } = await run("records:anchor", { file: BUNDLE, out: dir, from: doctor.address });
    const summary = out[0] as { root: string; leafCount: number; proofsFile: string; saltsFile: string };
    expect(summary.leafCount).to.equal(122);
    expect(err).to.match(/#{30}\] nodes/);
    expect(err).to.match(/WARNING: .*salts are the secret that keeps the records private/);
    const proofs = JSON.parse(fs.readFileSync(summary.proofsFile, "utf8"));
    const salts = JSON.parse(fs.readFileSync(summary.saltsFile, "utf8"));
    expect(proofs).to.deep.include({ format: "careledger-record-proofs-v1", root: summary.root, leafCount: 122 });
    expect(proofs.items).to.have.length(122);
    expect(salts.items).to.have.length(122);
    expect(fs.statSync(summary.saltsFile).mode & 0o777).to.equal(0o600);
    expect(JSON.stringify(proofs)).to.not.include("Raymon");
    // Run again over a salts file someone opened up: resumed (same root, nothing sent twice), and tightened.
    fs.chmodSync(summary.saltsFile, 0o644);
    const again = (await run("records:anchor", { file: BUNDLE, out: dir, from: doctor.address })).out[0] as { root: string; skipped?: boolean };
    expect([again.root, again.skipped]).to.deep.equal([summary.root, true]);
    expect(fs.statSync(summary.saltsFile).mode & 0o777).to.equal(0o600);

    const resources = readResources(BUNDLE);
    const resourceFile = path.join(dir, "resource.json");
    fs.writeFileSync(resourceFile, JSON.stringify(resources[5]));
    const verified = await run("records:verify", { file: resourceFile, salt: summary.saltsFile, proof: summary.proofsFile, from: labAdmin.address });
    expect(verified.out[0]).to.deep.include({ status: "anchored", via: "batch", orgId: "1", root: summary.root });
    const single = path.join(dir, "proof.json");
    const item = proofs.items[5];
    fs.writeFileSync(single, JSON.stringify({ root: proofs.root, ...item }));
    expect((await run("records:verify", { file: resourceFile, salt: salts.items[5].salt, proof: single })).out[0]).to.deep.include({ status: "anchored" });
    expect((await run("records:verify", { file: resourceFile })).out[0]).to.deep.equal({ status: "unverifiable-salt-missing" });
    fs.writeFileSync(resourceFile, JSON.stringify({ ...resources[5], id: "changed" }));
    expect((await run("records:verify", { file: resourceFile, salt: salts.items[5].salt, proof: summary.proofsFile })).out[0]).to.deep.include({ status: "not-anchored" });
  });

  it("anchors NDJSON and a single resource, and shows a record's history", async function () {
    const { dir, doctor, connect } = await loadFixture(tasksFixture);
    process.env.CARELEDGER_DEPLOYMENTS_DIR = dir;
    const ndjson = path.join(dir, "obs.ndjson");
    const obs = (id: string) => JSON.stringify({ resourceType: "Observation", id, status: "final", code: { text: "heart rate" } });
    fs.writeFileSync(ndjson, `${obs("1")}\n\n${obs("2")}\n`);
    expect((await run("records:anchor", { file: ndjson, from: doctor.address })).out[0]).to.deep.include({ leafCount: 2 });
    expect(fs.existsSync(path.join(dir, "obs.proofs.json"))).to.equal(true);
    const one = path.join(dir, "one.json");
    fs.writeFileSync(one, '{"resourceType":"Patient","id":"p"}');
    expect((await run("records:anchor", { file: one, from: doctor.address })).out[0]).to.deep.include({ leafCount: 1 });

    const hospital = await connect(doctor);
    const { recordId, salt } = await (await hospital.records.anchor({ resource: { resourceType: "Observation", id: "h", value: 1 } })).wait();
    await (await hospital.records.amend({ recordId, supersedes: 1, resource: { resourceType: "Observation", id: "h", value: 2 }, salt: salt! })).wait();
    await (await hospital.records.retract({ resource: { resourceType: "Observation", id: "h", value: 2 }, salt: salt!, reason: "enteredInError" })).wait();
    const { out } = await run("records:history", { record: recordId });
    const h = out[0] as { versions: { version: number; orgId: string; retracted: boolean; reason: string }[] };
    expect(h.versions.map((v) => [v.version, v.orgId, v.retracted, v.reason])).to.deep.equal([
      [1, "1", false, "None"],
      [2, "1", true, "EnteredInError"],
    ]);
  });

  it("validates every resource as FHIR R4 first: the first invalid one is refused naming its entry and element, and nothing is anchored", async function () {
    const { dir, doctor } = await loadFixture(tasksFixture);
    process.env.CARELEDGER_DEPLOYMENTS_DIR = dir;
    const bundle = path.join(dir, "mixed.json");
    const good = { resourceType: "Observation", id: "ok", status: "final", code: { text: "heart rate" } };
    const entries = [good, { resourceType: "Observation", id: "no-code", status: "final" }, { id: "typeless" }].map((resource) => ({ resource }));
    fs.writeFileSync(bundle, JSON.stringify({ resourceType: "Bundle", type: "collection", entry: entries }));
    const before = await hre.ethers.provider.getTransactionCount(doctor.address);
    expect(await failure(run("records:anchor", { file: bundle, from: doctor.address }))).to.equal("mixed.json entry[1] (Observation/no-code): Observation.code: Missing required property");
    fs.writeFileSync(bundle, JSON.stringify({ resourceType: "Bundle", type: "collection", entry: [entries[0], entries[2]] }));
    expect(await failure(run("records:anchor", { file: bundle, from: doctor.address }))).to.equal("mixed.json entry[1]: resourceType: is missing: not a FHIR resource");
    const notFhir = path.join(dir, "notes.json");
    fs.writeFileSync(notFhir, JSON.stringify({ note: "not FHIR" }));
    expect(await failure(run("records:anchor", { file: notFhir, from: doctor.address }))).to.equal("notes.json entry[0]: resourceType: is missing: not a FHIR resource");
    expect(await hre.ethers.provider.getTransactionCount(doctor.address)).to.equal(before);
    expect(fs.readdirSync(dir).filter((f) => /^(mixed|notes)\.(salts|proofs)\./.test(f))).to.deep.equal([]);
  });

  it("never overwrites a salts file that is not this batch's: another batch's salts, or any other file, are kept and the anchoring refused", async function () {
    const { dir, doctor } = await loadFixture(tasksFixture);
    process.env.CARELEDGER_DEPLOYMENTS_DIR = dir;
    const file = path.join(dir, "labs.json");
    const obs = (id: string) => ({ resourceType: "Observation", id, status: "final", code: { text: "heart rate" } });
    fs.writeFileSync(file, JSON.stringify(obs("1")));
    const first = (await run("records:anchor", { file, from: doctor.address })).out[0] as { root: string };
    const salts = path.join(dir, "labs.salts.json");
    const kept = fs.readFileSync(salts, "utf8");
    // The same file name, other resources: the first batch's salts must survive.
    fs.writeFileSync(file, JSON.stringify(obs("2")));
    const before = await hre.ethers.provider.getTransactionCount(doctor.address);
    expect(await failure(run("records:anchor", { file, from: doctor.address }))).to.equal(
      `--out: ${salts} holds the salts of another batch (root ${first.root}), not of these resources; it is kept as it is (it may hold the only salts of records anchored before): move it away or pass --out <another folder>`,
    );
    fs.writeFileSync(path.join(dir, "other.salts.json"), "my notes");
    fs.writeFileSync(path.join(dir, "other.json"), JSON.stringify(obs("3")));
    expect(await failure(run("records:anchor", { file: path.join(dir, "other.json"), from: doctor.address }))).to.match(/other\.salts\.json exists and is not a salts file records:anchor wrote; it is kept/);
    expect([fs.readFileSync(salts, "utf8"), fs.readFileSync(path.join(dir, "other.salts.json"), "utf8")]).to.deep.equal([kept, "my notes"]);
    expect(await hre.ethers.provider.getTransactionCount(doctor.address)).to.equal(before);
    // Elsewhere, the new batch anchors.
    const elsewhere = fs.mkdtempSync(path.join(dir, "out-"));
    expect((await run("records:anchor", { file, out: elsewhere, from: doctor.address })).out[0]).to.deep.include({ leafCount: 1 });
  });

  it("refuses files that hold no resources, naming the file", function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "careledger-bad-"));
    const cases: [string, RegExp][] = [
      ["[1,2]", /not a FHIR resource or Bundle/],
      ['{"resourceType":"Bundle","entry":[]}', /has no entries/],
      ['{"resourceType":"Bundle","entry":[{}]}', /entry 0 has no resource/],
      ["not json\n", /line 1 does not parse/],
      ["1\n2\n", /line 1 is not a resource/],
      ["\n\n", /holds no resources/],
    ];
    for (const [text, error] of cases) {
      const file = path.join(dir, "bad.json");
      fs.writeFileSync(file, text);
      expect(() => readResources(file)).to.throw(error);
    }
  });
});
