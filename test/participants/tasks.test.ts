import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import hre from "hardhat";
import { profileCommitment } from "../../sdk";
import { failure, run, useDeployedAddressBook } from "../support/tasks";

describe("participants:* tasks", function () {
  const books = useDeployedAddressBook();

  it("registers from a profile file, adds a member, suspends, and shows the result", async function () {
    const [, registrar, pauser, hospitalAdmin, , , doctor] = await hre.ethers.getSigners();
    const profile = { name: "General Hospital", licence: "H-77" };
    const file = path.join(books.dir, "profile.json");
    fs.writeFileSync(file, JSON.stringify(profile));

    const [registered] = await run("participants:register", { kind: "provider", metadata: file, admin: hospitalAdmin.address, from: registrar.address });
    expect([registered.orgId, registered.kind, registered.admin, registered.metadata]).to.deep.equal(["1", "provider", hospitalAdmin.address, profileCommitment(profile)]);

    // An account option takes an index, like --from: account 6 is the doctor.
    const [added] = await run("participants:add-member", { org: "1", account: "6", admin: false, from: "3" });
    expect([added.orgId, added.account, added.isAdmin]).to.deep.equal(["1", doctor.address, false]);

    const [suspended] = await run("participants:suspend", { org: "1", from: pauser.address });
    expect(suspended.suspended).to.equal(true);

    const [org, account] = await run("participants:show", { org: "1", account: "6" });
    expect([org.kind, org.suspended, org.memberCount]).to.deep.equal(["provider", true, 2]);
    expect((org.members as { account: string }[]).map((m) => m.account).sort()).to.deep.equal([hospitalAdmin.address, doctor.address].sort());
    expect([account.orgId, account.kind, account.active]).to.deep.equal(["1", "provider", false]);
  });

  it("accepts a commitment as metadata and refuses what is neither a commitment nor a file", async function () {
    const [, registrar, , hospitalAdmin] = await hre.ethers.getSigners();
    const [r] = await run("participants:register", { kind: "lab", metadata: "0x" + "ee".repeat(32), admin: hospitalAdmin.address, from: "1" });
    expect(r.kind).to.equal("lab");
    expect(await failure(run("participants:register", { kind: "lab", metadata: "nowhere.json", admin: registrar.address, from: "1" }))).to.equal("--metadata: nowhere.json is neither a 32-byte hex commitment nor a JSON profile file");
  });

  it("names what is wrong: an unknown signer, a missing selector, a refused call", async function () {
    const [, , , hospitalAdmin] = await hre.ethers.getSigners();
    expect(await failure(run("participants:suspend", { org: "1", from: "0x000000000000000000000000000000000000dead" }))).to.match(/^from: 0x0+dead is not one of this network's \d+ accounts$/);
    expect(await failure(run("participants:show", {}))).to.equal("org: give --org <id> or --account <address>");
    expect(await failure(run("participants:show", { account: "999" }))).to.match(/^account: 999 is not one of this network's \d+ accounts$/);
    expect(await failure(run("participants:register", { kind: "provider", metadata: "0x" + "ee".repeat(32), admin: hospitalAdmin.address, from: "8" }))).to.match(/^AccessManagedUnauthorized: 0x[0-9a-fA-F]{40} has no role that allows this call/);
  });

  it("--help marks the required options (no brackets) apart from the optional ones", async function () {
    const printed: string[] = [];
    const log = console.log;
    console.log = (line?: unknown) => void printed.push(String(line ?? ""));
    try {
      await hre.run("help", { scopeOrTask: "participants:register" });
    } finally {
      console.log = log;
    }
    const usage = printed.find((l) => l.startsWith("Usage:")) ?? "";
    expect(usage).to.match(/ --admin <STRING> /).and.match(/ --kind <STRING> /).and.match(/ --metadata <STRING>/).and.match(/\[--from <STRING>\]/);
  });
});
