/**
 * The SDK as an integrator installs it: from the tarball (`npm pack`), from a folder (a checkout) and
 * from git (`npm install git+file://…#<commit>`), each in a fresh project, and used from CommonJS and
 * from an ES module, in JavaScript and in strict TypeScript (with the consumer's own ethers objects).
 *
 * One build serves the tarball and the folder: npm builds this checkout through `prepare` when the
 * folder project installs it, and `npm pack --ignore-scripts` packs that build (`npm pack` would only
 * build again, through the same `prepare`). The git install builds in npm's own clone, as it does for an
 * integrator — minutes of solc-js — so it starts first and runs beside the other cases. Installs use
 * `--prefer-offline`: everything comes from the npm cache that this repository's `npm ci` filled.
 *
 * The tarball's project also runs the integrator guide as an integrator's own program, against a
 * `hardhat node` deployed with the README's command (the describe "the integrator guide's flow" says
 * how); that runs while the git install builds, so it adds little to the file's time.
 */
import { expect } from "chai";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as ts from "typescript";
import type { AddressBook } from "../../sdk";
import { DEV_MNEMONIC, devWallet, startTestChain, type TestChain } from "../e2e/node";
import { runnableBlocks, splitImports } from "../support/docs";

const ROOT = path.resolve(__dirname, "..", "..");
const TSC = path.join(ROOT, "node_modules", ".bin", "tsc");
const NPM_INSTALL = ["install", "--prefer-offline", "--no-audit", "--no-fund", "--foreground-scripts"];
/** The address book's suite (sdk/core/addressBook.ts SUITE_CONTRACTS) and the interfaces: what the package exposes. */
const SUITE = ["AccessManager", "ParticipantRegistry", "ConsentRegistry", "RecordRegistry", "ClaimsEngine", "DisclosureLog"];
const solidityNames = (dir: string) =>
  fs
    .readdirSync(path.join(ROOT, "contracts", dir))
    .filter((f) => f.endsWith(".sol"))
    .map((f) => f.slice(0, -".sol".length))
    .sort();
/** The interfaces, each beside its implementation in its part's folder. */
const INTERFACES = ["governance", "participants", "consent", "records", "claims", "accounts"].flatMap((part) => solidityNames(part).filter((n) => /^I[A-Z]/.test(n)));
/** The passkey accounts' contracts (sdk/core/addressBook.ts ACCOUNT_CONTRACTS) and the account they create. */
const ACCOUNTS = ["WebAuthnVerifier", "PatientAccountFactory", "PatientAccount"];
const EXPOSED = [...SUITE, ...ACCOUNTS, ...INTERFACES];
const NOT_EXPOSED = [...solidityNames("test"), ...solidityNames("verification")];

interface PrepareWhere {
  root: string;
  env: NodeJS.ProcessEnv;
  hasSources: boolean;
}
// scripts/build-package.js is plain CommonJS (npm runs it as `prepare`, before any TypeScript tooling).
const { prepareAction } = require("../../scripts/build-package.js") as { prepareAction: (where: PrepareWhere) => { action: "build" | "skip"; reason: string } };

interface Run {
  status: number | null;
  stdout: string;
  out: string;
}

/** The environment of a child: without the variables of the npm (and Hardhat) that runs this test. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) || ["INIT_CWD", "HARDHAT_NETWORK", "CARELEDGER_MUTATION_BUILD", "CARELEDGER_PREPARE_LOG"].includes(key)) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

function run(cmd: string, args: string[], cwd: string, env = childEnv()): Run {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: 300_000, env, maxBuffer: 64 << 20 });
  const stdout = r.stdout ?? "";
  return { status: r.status, stdout, out: stdout + (r.stderr ?? "") + (r.error ? `\n${r.error}` : "") };
}

/** Starts a command whose output goes to `log`; resolves when it ends. `stop()` ends it and its children. */
function runInBackground(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, log: string) {
  const fd = fs.openSync(log, "w");
  const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", fd, fd], detached: true });
  fs.closeSync(fd);
  let done = false;
  const result = new Promise<Run>((resolve) => {
    const finish = (status: number | null, error?: Error) => {
      done = true;
      const out = fs.readFileSync(log, "utf8") + (error ? `\n${error}` : "");
      resolve({ status, stdout: out, out });
    };
    child.on("error", (err) => finish(null, err));
    child.on("exit", (code) => finish(code));
  });
  const stop = () => {
    if (!done && child.pid) process.kill(-child.pid, "SIGTERM");
  };
  return { result, stop };
}

/** A fresh consumer project. */
function project(parent: string, name: string): string {
  const dir = path.join(parent, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name, version: "1.0.0", private: true }));
  return dir;
}

/**
 * A git repository holding this checkout's working tree (tracked and untracked files, not ignored
 * ones): what a clone of it would hold if the work were committed. Returns its commit.
 */
function snapshotWorkingTree(dest: string): string {
  const files = run("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], ROOT);
  expect(files.status, files.out).to.equal(0);
  for (const file of files.stdout.split("\0").filter(Boolean)) {
    const from = path.join(ROOT, file);
    if (!fs.existsSync(from)) continue; // deleted in the working tree
    fs.mkdirSync(path.dirname(path.join(dest, file)), { recursive: true });
    fs.copyFileSync(from, path.join(dest, file));
  }
  const git = (...args: string[]) => {
    const r = run("git", ["-c", "user.name=package test", "-c", "user.email=package-test@example.invalid", "-c", "commit.gpgsign=false", ...args], dest);
    expect(r.status, r.out).to.equal(0);
    return r.stdout.trim();
  };
  git("init", "-q");
  git("add", "--all");
  git("commit", "-q", "--no-verify", "-m", "working tree of the checkout under test");
  return git("rev-parse", "HEAD");
}

function prepareLog(file: string): { action: string; reason: string; dir: string; command: string | null }[] {
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)) : [];
}

/**
 * The value names sdk/index.ts exports by name (type-only exports left out): what `require` and
 * `import` must offer. `complete` is false when it also has an `export *`, whose names only a compiler knows.
 */
function indexValueNames(): { names: string[]; complete: boolean } {
  const file = path.join(ROOT, "sdk", "index.ts");
  const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022);
  const names: string[] = [];
  let complete = true;
  for (const statement of source.statements) {
    if (!ts.isExportDeclaration(statement) || statement.isTypeOnly) continue;
    if (!statement.exportClause || !ts.isNamedExports(statement.exportClause)) complete = false;
    else for (const element of statement.exportClause.elements) if (!element.isTypeOnly) names.push(element.name.text);
  }
  return { names: names.sort(), complete };
}

function lastJson(output: string): Record<string, unknown> {
  return JSON.parse(output.trim().split("\n").pop()!);
}

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// Reads one ABI and one factory, from CommonJS and from an ES module.
const ABI_PROBE_CJS = `
const { CareLedger } = require("careledger");
const { ConsentRegistry__factory } = require("careledger/factories");
const abi = require("careledger/abi/ConsentRegistry.json");
console.log(JSON.stringify({ connect: typeof CareLedger.connect, abi, factoryAbi: ConsentRegistry__factory.abi, deployable: ConsentRegistry__factory.bytecode.length > 2 }));`;
const ABI_PROBE_ESM = `
import { CareLedger } from "careledger";
import { ConsentRegistry__factory } from "careledger/factories";
import abi from "careledger/abi/ConsentRegistry.json" with { type: "json" };
console.log(JSON.stringify({ connect: typeof CareLedger.connect, abi, factoryAbi: ConsentRegistry__factory.abi, deployable: ConsentRegistry__factory.bytecode.length > 2 }));`;

describe("[e2e] the package, installed the ways an integrator installs it", function () {
  this.timeout(480_000);
  let tmp: string;
  let git: ReturnType<typeof runInBackground> | undefined;
  let gitProject: string;
  let gitSource: string;
  let folderProject: string;
  let tarballProject: string;
  let packed: { filename: string; files: { path: string }[] };
  let expectedAbi: unknown;
  const logs = { folder: "", git: "" };

  before(function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "careledger-package-"));
    logs.folder = path.join(tmp, "prepare-folder.log");
    logs.git = path.join(tmp, "prepare-git.log");

    // From git: the longest case (npm installs the repository's dev dependencies in its clone and
    // compiles everything), so it starts first.
    gitSource = path.join(tmp, "git-source");
    const commit = snapshotWorkingTree(gitSource);
    gitProject = project(tmp, "from-git");
    git = runInBackground(
      "npm",
      [...NPM_INSTALL, `git+file://${gitSource}#${commit}`],
      gitProject,
      childEnv({ CARELEDGER_PREPARE_LOG: logs.git }),
      path.join(tmp, "git-install.log"),
    );

    // From a folder (this checkout, linked): npm runs `prepare` in the folder, which builds dist/.
    folderProject = project(tmp, "from-folder");
    const folderInstall = run("npm", [...NPM_INSTALL, ROOT], folderProject, childEnv({ CARELEDGER_PREPARE_LOG: logs.folder }));
    expect(folderInstall.status, folderInstall.out).to.equal(0);
    expectedAbi = JSON.parse(fs.readFileSync(path.join(ROOT, "artifacts/contracts/consent/ConsentRegistry.sol/ConsentRegistry.json"), "utf8")).abi;

    // The tarball of that build, installed into its own project.
    const pack = run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", tmp], ROOT);
    expect(pack.status, pack.out).to.equal(0);
    [packed] = JSON.parse(pack.stdout);
    tarballProject = project(tmp, "from-tarball");
    const install = run("npm", [...NPM_INSTALL, path.join(tmp, packed.filename)], tarballProject);
    expect(install.status, install.out).to.equal(0);
  });

  after(function () {
    git?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe("prepare (npm's hook: repository installs, npm pack, git and folder dependencies)", function () {
    const root = path.join(os.tmpdir(), "careledger-checkout");
    const decide = (env: NodeJS.ProcessEnv, hasSources = true) => prepareAction({ root, env, hasSources }).action;

    it("does not build on this repository's own npm ci or npm install (npm run build does, and this test)", function () {
      for (const command of ["ci", "install", "install-ci-test"]) expect(decide({ INIT_CWD: root, npm_command: command }), command).to.equal("skip");
    });

    it("builds for npm pack and npm publish here, for a git dependency's clone and for a linked folder", function () {
      expect(decide({ INIT_CWD: root, npm_command: "pack" })).to.equal("build");
      expect(decide({ INIT_CWD: root, npm_command: "publish" })).to.equal("build");
      expect(decide({ INIT_CWD: path.join(os.tmpdir(), "integrator-app"), npm_command: "install" })).to.equal("build");
      expect(decide({ INIT_CWD: root, npm_command: "run-script" })).to.equal("build");
      expect(decide({})).to.equal("build");
    });

    it("does nothing where there are no sources (a built package linked or packed from a folder)", function () {
      expect(decide({ INIT_CWD: path.join(os.tmpdir(), "integrator-app"), npm_command: "install" }, false)).to.equal("skip");
    });
  });

  describe("from the tarball (npm pack)", function () {
    it("holds the build, the suite's Solidity sources and the prepare script; no mocks, harnesses, tests or TypeScript sources", function () {
      const files = packed.files.map((f) => f.path);
      expect(files).to.include.members([
        "package.json",
        "dist/sdk/index.js",
        "dist/sdk/index.d.ts",
        "dist/esm/index.mjs",
        "dist/esm/index.d.mts",
        "dist/esm/sdk/index.d.mts",
        "dist/factories.js",
        "dist/factories.d.ts",
        "dist/esm/factories.mjs",
        "dist/esm/factories.d.mts",
        ...EXPOSED.map((name) => `dist/abi/${name}.json`),
        "contracts/consent/IConsentRegistry.sol",
        "contracts/consent/ConsentRegistry.sol",
        "scripts/build-package.js",
      ]);
      expect(files.filter((f) => /^contracts\/(test|verification)\//.test(f))).to.deep.equal([]);
      expect(files.filter((f) => f.startsWith("dist/abi/")).sort()).to.deep.equal(EXPOSED.map((name) => `dist/abi/${name}.json`).sort());
      expect(files.filter((f) => /^(sdk|test|typechain-types|tasks|artifacts)\//.test(f) || (f.endsWith(".ts") && !f.endsWith(".d.ts")))).to.deep.equal([]);
    });

    it("declares ethers as a peer, so the integrator's one copy is the one the SDK loads", function () {
      const manifest = JSON.parse(fs.readFileSync(path.join(tarballProject, "node_modules", "careledger", "package.json"), "utf8"));
      expect(manifest.peerDependencies).to.deep.equal({ ethers: JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).devDependencies.ethers });
      expect(manifest.dependencies).to.not.have.property("ethers");
      expect(fs.existsSync(path.join(tarballProject, "node_modules", "careledger", "node_modules", "ethers"))).to.equal(false);
      const r = run("node", ["-e", 'console.log(require.resolve("ethers", { paths: [require.resolve("careledger")] }) === require.resolve("ethers"))'], tarballProject);
      expect(r.out.trim()).to.equal("true");
    });

    const probe = `
      const out = {
        connect: typeof sdk.CareLedger.connect,
        provider: sdk.OrgKind.Provider,
        commitment: sdk.profileCommitment({ b: 1, a: 2 }),
        code: sdk.errorCode("NotOrganizationAdmin"),
        registrar: String(sdk.Role.REGISTRAR),
        validation: (() => { try { sdk.parseAddressBook(null); } catch (e) { return e instanceof sdk.ValidationError && e.field; } })(),
        names: Object.keys(sdk).filter((k) => k !== "default" && k !== "__esModule").sort(),
      };
      console.log(JSON.stringify(out));`;
    const expected = {
      connect: "function",
      provider: 1,
      code: "NOT_ORGANIZATION_ADMIN",
      registrar: "1",
      validation: "addressBook",
    };

    function check(r: Run) {
      expect(r.status, r.out).to.equal(0);
      const { commitment, names, ...got } = lastJson(r.out);
      expect(commitment).to.match(/^0x[0-9a-f]{64}$/);
      expect(got).to.deep.equal(expected);
      return { commitment, names };
    }

    it("works from CommonJS (require), offering every name sdk/index.ts exports", function () {
      fs.writeFileSync(path.join(tarballProject, "probe.cjs"), `const sdk = require("careledger");${probe}`);
      const { names } = check(run("node", ["probe.cjs"], tarballProject));
      const index = indexValueNames();
      if (index.complete) expect(names).to.deep.equal(index.names);
      else expect(names).to.include.members(index.names);
    });

    it("works from an ES module (import), with the same names and results", function () {
      fs.writeFileSync(path.join(tarballProject, "probe.cjs"), `const sdk = require("careledger");${probe}`);
      fs.writeFileSync(path.join(tarballProject, "probe.mjs"), `import * as sdk from "careledger";${probe}`);
      const cjs = check(run("node", ["probe.cjs"], tarballProject));
      expect(check(run("node", ["probe.mjs"], tarballProject))).to.deep.equal(cjs);
    });

    it("exposes the factories and ABIs of the suite's contracts and interfaces, and nothing of the mocks", function () {
      const script = `
        const names = (m) => Object.keys(m).filter((k) => k !== "default" && k !== "__esModule").sort();
        const cjs = require("careledger/factories");
        const refused = (id) => { try { require(id); return "loaded"; } catch (e) { return e.code; } };
        import("careledger/factories").then((esm) => console.log(JSON.stringify({
          cjs: names(cjs),
          esm: names(esm),
          abisMatch: ${JSON.stringify(EXPOSED)}.every((n) => JSON.stringify(require("careledger/abi/" + n + ".json")) === JSON.stringify(cjs[n + "__factory"].abi)),
          mocks: ${JSON.stringify(NOT_EXPOSED)}.map((n) => refused("careledger/abi/" + n + ".json")).filter((c) => c !== "MODULE_NOT_FOUND"),
          deep: refused("careledger/dist/typechain-types"),
        })));`;
      const r = run("node", ["-e", script], tarballProject);
      expect(r.status, r.out).to.equal(0);
      const factories = EXPOSED.map((n) => `${n}__factory`).sort();
      expect(lastJson(r.out)).to.deep.equal({ cjs: factories, esm: factories, abisMatch: true, mocks: [], deep: "ERR_PACKAGE_PATH_NOT_EXPORTED" });
    });

    // The consumers pass their OWN ethers objects: under node16/nodenext an ES module consumer's ethers
    // is ethers' ES module build, whose classes are not assignable to the CommonJS build's.
    const consumer = (wrap: (body: string) => string, abiImport: string) => `
import { JsonRpcProvider, Wallet } from "ethers";
import { CareLedger, NodeUnreachableError, type ConnectOptions } from "careledger";
import { ConsentRegistry__factory, type ConsentRegistry } from "careledger/factories";
${abiImport}
${wrap(`
  const provider = new JsonRpcProvider(process.argv[2]);
  const wallet = new Wallet(Wallet.createRandom().privateKey, provider);
  const options: ConnectOptions = { fromBlock: 0 };
  const registry: ConsentRegistry = ConsentRegistry__factory.connect(wallet.address, wallet);
  const out: Record<string, unknown> = { abiEntries: abi.length, sameAbi: JSON.stringify(abi) === JSON.stringify(ConsentRegistry__factory.abi), target: registry.target === wallet.address };
  for (const [name, runner] of [["provider", provider], ["wallet", wallet]] as const) {
    try {
      await CareLedger.connect(runner, options);
      out[name] = "connected";
    } catch (e) {
      out[name] = e instanceof NodeUnreachableError ? e.code : String(e);
    }
  }
  provider.destroy();
  console.log(JSON.stringify(out));`)}
`;
    const compilerOptions = { strict: true, skipLibCheck: false, target: "es2022", resolveJsonModule: true, types: [], outDir: "out" };
    let port: number;
    before(async function () {
      port = await closedPort();
    });

    function typeCheckAndRun(dir: string, tsconfig: string, runIt: boolean) {
      const r = run(TSC, ["-p", tsconfig], dir);
      expect(r.status, r.out).to.equal(0);
      if (!runIt) return;
      // Against a port nothing listens on: the consumer's provider and wallet reach the SDK, which
      // reports the node as unreachable (an instance of the class the consumer imported).
      const node = run("node", [path.join("out", "use.js"), `http://127.0.0.1:${port}`], dir);
      expect(node.status, node.out).to.equal(0);
      expect(lastJson(node.out)).to.deep.equal({ abiEntries: (expectedAbi as unknown[]).length, sameAbi: true, target: true, provider: "NODE_UNREACHABLE", wallet: "NODE_UNREACHABLE" });
    }

    it('type-checks and runs an ES module consumer ("type": "module", nodenext, strict, skipLibCheck false) passing its own JsonRpcProvider and Wallet', function () {
      const dir = path.join(tarballProject, "esm");
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module" }));
      fs.writeFileSync(path.join(dir, "use.ts"), consumer((body) => body, 'import abi from "careledger/abi/ConsentRegistry.json" with { type: "json" };'));
      fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { ...compilerOptions, module: "nodenext", moduleResolution: "nodenext" }, files: ["use.ts"] }));
      typeCheckAndRun(dir, "tsconfig.json", true);
    });

    it("type-checks and runs a CommonJS consumer (node16, strict, skipLibCheck false) passing its own JsonRpcProvider and Wallet, and type-checks it with the classic resolution (commonjs/node)", function () {
      const dir = path.join(tarballProject, "cjs");
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(
        path.join(dir, "use.ts"),
        consumer((body) => `async function main(): Promise<void> {${body}\n}\nvoid main();`, 'import abi from "careledger/abi/ConsentRegistry.json";'),
      );
      const cjs = { ...compilerOptions, esModuleInterop: true };
      fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { ...cjs, module: "node16", moduleResolution: "node16" }, files: ["use.ts"] }));
      fs.writeFileSync(path.join(dir, "tsconfig.node10.json"), JSON.stringify({ compilerOptions: { ...cjs, module: "commonjs", moduleResolution: "node", noEmit: true }, files: ["use.ts"] }));
      typeCheckAndRun(dir, "tsconfig.json", true);
      typeCheckAndRun(dir, "tsconfig.node10.json", false);
    });

    // The integrator guide (docs/integrator.md) as an integrator runs it: its runnable blocks, in page
    // order, are the body of a program of their own, in a strict ES module project and in a strict
    // CommonJS project, compiled by tsc and run by node against a `hardhat node` deployed with the
    // README's command. test/docs/snippets.test.ts runs the same blocks in-process against the SDK's
    // sources; here the SDK is the installed tarball. Each program is a project of its own
    // (package.json, tsconfig.json) inside the tarball's project, whose node_modules hold the package
    // and the ethers it peers with, which the program imports itself.
    //
    // The guide's variables come from a prelude: the node's development accounts (the deployer holds
    // the registrar role; the patient is an account the node does not fund, as the guide says: it only
    // signs), and a provider made as the guide's last section says. `addressBook` is left undefined, so
    // each `CareLedger.connect(…, { addressBook })` of the guide reads the address book itself, as the
    // guide says an integrator's code does: the ES module through CARELEDGER_DEPLOYMENTS_DIR, the
    // CommonJS program in its own ./deployments.
    //
    // The deploy writes its address book into the test's folder (CARELEDGER_DEPLOYMENTS_DIR) and its
    // Ignition journal under a deployment id of its own (test/e2e/node.ts startTestChain): a
    // developer's deployments/31337.json and journal stay as they were. Both programs run on one node,
    // the second from a snapshot taken before the first, so both print the same. The projects compile
    // while the node starts and the suite deploys.
    describe("the integrator guide's flow, in a program of the integrator's own, against a node deployed with the README's command", function () {
      /** Account `hardhat node` does not fund (it funds the first 20 of the development mnemonic). */
      const UNFUNDED = 20;
      const ACCOUNTS = { registrar: 0, hospitalAdmin: 1, doctor: 2, nurse: 3, relayer: 4, outsider: 5, patient: UNFUNDED };
      const DEPLOY = ["run", "deploy", "--", "--network", "localhost", "--test-token"];
      const projects = { esm: "", cjs: "" };
      const compiled: Partial<Record<keyof typeof projects, ReturnType<typeof runInBackground>>> = {};
      let chain: TestChain | undefined;
      let deploy: Run;
      let localBefore: LocalDeployments;
      let snapshot: string;
      let book: AddressBook;
      let esmPrinted: string | undefined;

      interface LocalDeployments {
        books: Record<string, string>;
        journals: string[];
      }
      /** The address books in the checkout's deployments/ and the Ignition journals beside them: a developer's own. */
      function localDeployments(): LocalDeployments {
        const dir = (...p: string[]) => (fs.existsSync(path.join(ROOT, ...p)) ? fs.readdirSync(path.join(ROOT, ...p)).sort() : []);
        return {
          books: Object.fromEntries(dir("deployments").map((f) => [f, fs.readFileSync(path.join(ROOT, "deployments", f), "utf8")])),
          journals: dir("ignition", "deployments"),
        };
      }

      /** The program: the guide's imports, then the prelude and the guide's statements (in an async function for CommonJS). */
      function program(commonjs: boolean): string {
        const { imports, body } = splitImports(runnableBlocks(fs.readFileSync(path.join(ROOT, "docs", "integrator.md"), "utf8")));
        const wallets = Object.entries(ACCOUNTS).map(([name, i]) => `const ${name} = developmentAccount(${i});`);
        const prelude = [
          "const provider = new JsonRpcProvider(process.argv[2], undefined, { cacheTimeout: -1 });",
          `const developmentAccount = (i: number) => HDNodeWallet.fromPhrase(${JSON.stringify(DEV_MNEMONIC)}, undefined, \`m/44'/60'/0'/0/\${i}\`).connect(provider);`,
          ...wallets,
          "const addressBook: AddressBook | undefined = undefined;",
        ].join("\n");
        const head = ['import { HDNodeWallet, JsonRpcProvider } from "ethers";', 'import type { AddressBook } from "careledger";', ...imports].join("\n");
        return commonjs
          ? `${head}\n\nasync function main(): Promise<void> {\n${prelude}\n\n${body}}\n\nmain().catch((err: unknown) => {\n  console.error(err);\n  process.exitCode = 1;\n});\n`
          : `${head}\n\n${prelude}\n\n${body}`;
      }

      before(async function () {
        for (const kind of ["esm", "cjs"] as const) {
          const dir = (projects[kind] = path.join(tarballProject, `guide-${kind}`));
          fs.mkdirSync(dir, { recursive: true });
          const esm = kind === "esm";
          fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: `guide-${kind}`, version: "1.0.0", private: true, ...(esm ? { type: "module" } : {}) }));
          const modules = esm ? { module: "nodenext", moduleResolution: "nodenext" } : { module: "node16", moduleResolution: "node16" };
          fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { ...compilerOptions, ...modules }, files: ["main.ts"] }));
          fs.writeFileSync(path.join(dir, "main.ts"), program(!esm));
          compiled[kind] = runInBackground(TSC, ["-p", "tsconfig.json"], dir, childEnv(), path.join(tmp, `guide-${kind}-tsc.log`));
        }
        localBefore = localDeployments();
        chain = await startTestChain();
        // As on a machine without a .env: the roles are the deployer's (the node's account 0).
        const env = childEnv({ ...chain.env, DOTENV_CONFIG_PATH: path.join(chain.dir, "no.env") });
        for (const key of Object.keys(env)) if (/^(REGISTRAR|PAUSER|CONFIGURATOR)_ADDRESS$|_EXECUTION_DELAY$/.test(key)) delete env[key];
        deploy = await runInBackground("npm", DEPLOY, ROOT, env, path.join(tmp, "guide-deploy.log")).result;
        expect(deploy.status, deploy.out).to.equal(0);
        book = JSON.parse(fs.readFileSync(path.join(chain.dir, "31337.json"), "utf8"));
        snapshot = await chain.provider.send("evm_snapshot", []);
      });

      after(async function () {
        compiled.esm?.stop();
        compiled.cjs?.stop();
        await chain?.close();
      });

      it("deploys with `npm run deploy -- --network localhost --test-token` into the test's folder, leaving a developer's deployments/ and journals as they were", function () {
        expect(deploy.out).to.contain("Deployed the test stablecoin mUSD");
        expect(book.chainId).to.equal(31337);
        expect(book.testToken).to.match(/^0x[0-9a-fA-F]{40}$/);
        const ownJournal = chain!.env.CARELEDGER_DEPLOYMENT_ID!;
        expect(localDeployments()).to.deep.equal({ ...localBefore, journals: [...localBefore.journals, ownJournal].sort() });
      });

      /** Type-checks (tsc, strict) and runs the program; returns what it printed, the block times masked. */
      async function guide(kind: keyof typeof projects, env: NodeJS.ProcessEnv): Promise<string> {
        const tsc = await compiled[kind]!.result;
        expect(tsc.status, `tsc: ${tsc.out}`).to.equal(0);
        const r = await runInBackground("node", [path.join("out", "main.js"), chain!.node.url], projects[kind], env, path.join(tmp, `guide-${kind}.log`)).result;
        expect(r.status, r.out).to.equal(0);
        const lines = r.out.trim().split("\n");
        const [hospitalAdmin, doctor, nurse, outsider] = [ACCOUNTS.hospitalAdmin, ACCOUNTS.doctor, ACCOUNTS.nurse, ACCOUNTS.outsider].map((i) => devWallet(i, chain!.provider).address);
        expect(lines).to.include.members([
          `connected to chain 31337, registry at ${book.contracts.ParticipantRegistry}`,
          "Riverside is organization 1",
          `${hospitalAdmin} (admin)`,
          doctor,
          `${nurse} (admin)`,
          "doctor: active=true, organization 1, provider",
          'INVALID_INPUT account: "0x1234" is not an address',
          "patient ETH: 0",
          "labs for treatment: true",
          "ACCESS_NOT_PERMITTED",
          "anchored 1 1",
          "not-anchored",
        ]);
        expect(lines).to.include(`NOT_ORGANIZATION_ADMIN: NotOrganizationAdmin: ${outsider} is not an admin of organization 1: ask one of its admins to do this, or the registrar to appoint you`);
        expect(lines.filter((l) => l.startsWith(`${doctor} labs TREAT `)), "the patient's access log").to.have.length(1);
        return r.out.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, "<time>");
      }

      it('runs it from an ES module ("type": "module", nodenext, strict, skipLibCheck false), which finds the address book through CARELEDGER_DEPLOYMENTS_DIR', async function () {
        esmPrinted = await guide("esm", childEnv({ CARELEDGER_DEPLOYMENTS_DIR: chain!.dir }));
      });

      it("runs it from CommonJS (node16, strict, skipLibCheck false), which finds the address book in its own ./deployments, and prints what the ES module printed", async function () {
        expect(await chain!.provider.send("evm_revert", [snapshot]), "back to the deployment").to.equal(true);
        fs.mkdirSync(path.join(projects.cjs, "deployments"));
        fs.copyFileSync(path.join(chain!.dir, "31337.json"), path.join(projects.cjs, "deployments", "31337.json"));
        const env = childEnv();
        delete env.CARELEDGER_DEPLOYMENTS_DIR;
        const printed = await guide("cjs", env);
        expect(esmPrinted, "the ES module's run").to.be.a("string");
        expect(printed).to.equal(esmPrinted);
      });
    });
  });

  function abiProbe(dir: string) {
    fs.writeFileSync(path.join(dir, "abi-probe.cjs"), ABI_PROBE_CJS);
    fs.writeFileSync(path.join(dir, "abi-probe.mjs"), ABI_PROBE_ESM);
    for (const file of ["abi-probe.cjs", "abi-probe.mjs"]) {
      const r = run("node", [file], dir);
      expect(r.status, `${file}: ${r.out}`).to.equal(0);
      expect(lastJson(r.out), file).to.deep.equal({ connect: "function", abi: expectedAbi, factoryAbi: expectedAbi, deployable: true });
    }
  }

  describe("from a folder (npm install <checkout>)", function () {
    it("links the checkout, whose prepare builds dist/ there once, and loads one ABI and one factory", function () {
      expect(fs.lstatSync(path.join(folderProject, "node_modules", "careledger")).isSymbolicLink()).to.equal(true);
      expect(prepareLog(logs.folder).map(({ action, dir, command }) => ({ action, dir, command }))).to.deep.equal([{ action: "build", dir: ROOT, command: "install" }]);
      abiProbe(folderProject);
    });
  });

  describe("from git (npm install git+file://…#<commit>)", function () {
    it("builds in npm's clone (not in its inner npm install, once when npm packs the clone) and loads one ABI and one factory", async function () {
      const r = await git!.result;
      expect(r.status, r.out.slice(-4000)).to.equal(0);
      const log = prepareLog(logs.git);
      expect(log.map((l) => `${l.action} ${l.command}`), JSON.stringify(log)).to.deep.equal(["skip install", "build install"]);
      expect(new Set(log.map((l) => l.dir)).size, "both in npm's clone").to.equal(1);
      expect(log[0].dir).to.not.equal(gitSource);
      const installed = path.join(gitProject, "node_modules", "careledger");
      expect(fs.lstatSync(installed).isSymbolicLink()).to.equal(false);
      expect(fs.existsSync(path.join(installed, "sdk")), "packed by the files list: no sources").to.equal(false);
      abiProbe(gitProject);
    });
  });
});
