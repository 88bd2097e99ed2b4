import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");

function run(cmd: string, args: string[], cwd: string) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: 180_000, env: { ...process.env, HARDHAT_NETWORK: undefined } });
  return { status: r.status, out: (r.stdout ?? "") + (r.stderr ?? "") };
}

describe("[e2e] the built package, as an integrator's project imports it", function () {
  this.timeout(300_000);
  let consumer: string;

  before(function () {
    const build = run("npm", ["run", "build"], ROOT);
    expect(build.status, build.out).to.equal(0);
    consumer = fs.mkdtempSync(path.join(os.tmpdir(), "careledger-consumer-"));
    fs.mkdirSync(path.join(consumer, "node_modules"));
    fs.symlinkSync(ROOT, path.join(consumer, "node_modules", "careledger"), "dir");
    fs.writeFileSync(path.join(consumer, "package.json"), JSON.stringify({ name: "consumer", private: true }));
  });

  after(function () {
    fs.rmSync(consumer, { recursive: true, force: true });
  });

  const probe = `
    const out = {
      connect: typeof sdk.CareLedger.connect,
      provider: sdk.OrgKind.Provider,
      commitment: sdk.profileCommitment({ b: 1, a: 2 }),
      code: sdk.errorCode("NotOrganizationAdmin"),
      registrar: String(sdk.Role.REGISTRAR),
      validation: (() => { try { sdk.parseAddressBook(null); } catch (e) { return e instanceof sdk.ValidationError && e.field; } })(),
    };
    console.log(JSON.stringify(out));`;
  const expected = {
    connect: "function",
    provider: 1,
    commitment: "0x", // checked by pattern, then compared across module systems
    code: "NOT_ORGANIZATION_ADMIN",
    registrar: "1",
    validation: "addressBook",
  };

  function check(output: string) {
    const got = JSON.parse(output.trim().split("\n").pop()!);
    expect(got.commitment).to.match(/^0x[0-9a-f]{64}$/);
    expect({ ...got, commitment: "0x" }).to.deep.equal(expected);
    return got.commitment as string;
  }

  it("works from CommonJS (require)", function () {
    fs.writeFileSync(path.join(consumer, "cjs.cjs"), `const sdk = require("careledger");${probe}`);
    const r = run("node", ["cjs.cjs"], consumer);
    expect(r.status, r.out).to.equal(0);
    check(r.out);
  });

  it("works from an ES module (import), with the same results", function () {
    fs.writeFileSync(path.join(consumer, "cjs.cjs"), `const sdk = require("careledger");${probe}`);
    fs.writeFileSync(path.join(consumer, "esm.mjs"), `import * as sdk from "careledger";${probe}`);
    const a = check(run("node", ["cjs.cjs"], consumer).out);
    const r = run("node", ["esm.mjs"], consumer);
    expect(r.status, r.out).to.equal(0);
    expect(check(r.out)).to.equal(a);
  });

  it("ships type declarations a TypeScript consumer compiles against", function () {
    fs.writeFileSync(
      path.join(consumer, "use.ts"),
      `import { CareLedger, ContractRevertError, OrgKind, type RegisterOrganizationParams } from "careledger";
       const p: RegisterOrganizationParams = { kind: OrgKind.Lab, metadata: { name: "x" }, admin: "0x0000000000000000000000000000000000000001" };
       export async function f(signer: Parameters<typeof CareLedger.connect>[0]) {
         const cl = await CareLedger.connect(signer);
         try { const { orgId } = await (await cl.participants.registerOrganization(p)).wait(); return orgId; }
         catch (e) { if (e instanceof ContractRevertError) return e.code; throw e; }
       }`,
    );
    fs.writeFileSync(
      path.join(consumer, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { strict: true, module: "node16", moduleResolution: "node16", target: "es2022", noEmit: true, skipLibCheck: false, types: [] }, files: ["use.ts"] }),
    );
    const tsc = path.join(ROOT, "node_modules", ".bin", "tsc");
    const r = run(tsc, ["-p", "."], consumer);
    expect(r.status, r.out).to.equal(0);
  });
});
