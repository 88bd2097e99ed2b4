#!/usr/bin/env node
// The SDK as an npm package, in dist/. `npm run build` compiles the contracts (artifacts/, typechain-types/)
// and then runs this script, which:
//   1. empties dist/ (a file of a renamed or deleted source must not ship) and runs `tsc -p tsconfig.build.json`
//      (CommonJS + .d.ts for sdk/ and typechain-types/);
//   2. writes the ES module entries (dist/esm/index.mjs, dist/esm/factories.mjs) over the CommonJS build, so
//      that `import` and `require` load the same classes (`instanceof` holds across both);
//   3. writes dist/factories.js (+ .d.ts): the typechain factories and contract types of the suite's
//      contracts and interfaces (never contracts/test/'s doubles and harnesses, nor verification/'s model), as `careledger/factories`;
//   4. writes dist/abi/<Name>.json: the ABI of each of those contracts, as `careledger/abi/<Name>.json`;
//   5. mirrors every .d.ts as an ES module declaration (.d.mts) under dist/esm/, relative imports rewritten
//      to `.mjs`: TypeScript reads a .d.ts of this package as CommonJS, whose `import ... from "ethers"`
//      resolves to ethers' CommonJS declarations; an ES module consumer (`module: node16`/`nodenext`)
//      gets ethers' ES module declarations, and its own Provider or Wallet would then not be assignable
//      to the SDK's. The .d.mts tree resolves ethers the way the consumer does;
//   6. copies the address books of public chains (deployments/<chainId>.json, not 31337) into dist/.
//
// `node scripts/build-package.js --prepare` is npm's `prepare` (package.json), which npm runs on `npm ci`
// and `npm install` in this repository, on `npm pack`/`npm publish`, for a git dependency (in npm's clone)
// and for a folder dependency (in the folder). See prepareAction below for what it does in each case.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { spawnSync } = require("node:child_process");

const root = path.resolve(__dirname, "..");
const dist = path.join(root, "dist");

/** The interfaces the package exposes (factories, ABIs) besides the address book's suite: `I<Name>` beside its part's contracts. */
const INTERFACE_SOURCE = /^contracts\/(?!test\/|verification\/)[a-z]+\/I[A-Z]\w*\.sol$/;

/** npm commands that install this repository's own dependencies (and run its `prepare` afterwards). */
const OWN_INSTALL_COMMANDS = new Set(["ci", "install", "install-test", "install-ci-test", "update"]);

/**
 * What `prepare` does, from where it runs and npm's environment:
 * - `skip` where there are no sources (an unpacked package linked or packed from a folder: it is built);
 * - `skip` on this repository's own `npm ci` / `npm install` (npm sets INIT_CWD to the folder it was
 *   started in and npm_command to the command): dist/ is not needed to develop or test here —
 *   `npm run build` makes it, and the package test builds it itself — so a clean `npm ci` does not
 *   pay a full build (the contracts through the IR pipeline with solc-js take minutes);
 * - `build` otherwise: `npm pack`/`npm publish` here (a tarball holds the current code), a git
 *   dependency (npm clones, runs `npm install` in the clone — skipped by the rule above, INIT_CWD is the
 *   clone — then packs it, running `prepare` with INIT_CWD the integrator's project: that one builds),
 *   a folder dependency linked to a checkout (INIT_CWD is the integrator's project), `npm run prepare`.
 * @param {{ root: string, env: NodeJS.ProcessEnv, hasSources: boolean }} where
 * @returns {{ action: "build" | "skip", reason: string }}
 */
function prepareAction({ root: dir, env, hasSources }) {
  if (!hasSources) return { action: "skip", reason: "no sources here: a built package" };
  const initCwd = env.INIT_CWD ? realpath(env.INIT_CWD) : undefined;
  if (initCwd === realpath(dir) && OWN_INSTALL_COMMANDS.has(env.npm_command ?? "")) {
    return { action: "skip", reason: `\`npm ${env.npm_command}\` in the repository itself: run \`npm run build\` when you need dist/` };
  }
  return { action: "build", reason: env.npm_command ? `\`npm ${env.npm_command}\` from ${initCwd ?? "?"}` : "asked directly" };
}

function realpath(p) {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

function hasSources(dir) {
  return fs.existsSync(path.join(dir, "sdk", "index.ts")) && fs.existsSync(path.join(dir, "hardhat.config.ts"));
}

function prepare() {
  const { action, reason } = prepareAction({ root, env: process.env, hasSources: hasSources(root) });
  console.log(`careledger prepare: ${action === "build" ? "building dist/" : "not building dist/"} (${reason})`);
  // npm hides a dependency's script output (and all of its inner `npm install` for a git dependency):
  // CARELEDGER_PREPARE_LOG names a file that gets one JSON line per decision (the package test reads it).
  if (process.env.CARELEDGER_PREPARE_LOG) {
    fs.appendFileSync(process.env.CARELEDGER_PREPARE_LOG, `${JSON.stringify({ action, reason, dir: root, command: process.env.npm_command ?? null })}\n`);
  }
  if (action === "skip") return;
  // Through the package manager that runs us (npm, or pnpm/yarn for their git dependencies).
  const execPath = process.env.npm_execpath;
  const [cmd, args] = execPath && /\.[cm]?js$/.test(execPath) ? [process.execPath, [execPath, "run", "build"]] : [execPath || "npm", ["run", "build"]];
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", shell: process.platform === "win32" && !/\.[cm]?js$/.test(cmd) });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

function write(file, text) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

function walk(dir, out = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

/** A POSIX relative module specifier from `fromDir` to `target` (without extension). */
function specifier(fromDir, target) {
  const rel = path.relative(fromDir, target).split(path.sep).join("/");
  return rel.startsWith(".") ? rel : `./${rel}`;
}

/**
 * The contracts the package exposes: the address book's suite, the passkey accounts' contracts (the verifier and
 * the factory the book names, and the account they create), then every interface, each with its artifact.
 */
function exposedContracts() {
  const { ACCOUNT_CONTRACTS, SUITE_CONTRACTS } = require(path.join(dist, "sdk", "core", "addressBook.js"));
  const artifacts = walk(path.join(root, "artifacts"))
    .filter((f) => f.endsWith(".json") && !f.endsWith(".dbg.json") && !f.includes(`${path.sep}build-info${path.sep}`))
    .map((f) => ({ file: f, artifact: JSON.parse(fs.readFileSync(f, "utf8")) }))
    .filter(({ artifact }) => artifact._format && artifact.contractName && Array.isArray(artifact.abi));
  const byName = (name) => {
    const found = artifacts.filter(({ artifact }) => artifact.contractName === name);
    if (found.length !== 1) throw new Error(`build-package: ${found.length} artifacts named ${name} (expected one): compile first`);
    return found[0].artifact;
  };
  const interfaces = artifacts
    .map(({ artifact }) => artifact)
    .filter((a) => INTERFACE_SOURCE.test(a.sourceName) && a.bytecode === "0x")
    .map((a) => a.contractName)
    .sort();
  const names = [...SUITE_CONTRACTS, ...ACCOUNT_CONTRACTS, "PatientAccount", ...interfaces];
  return names.map((name) => {
    const artifact = byName(name);
    if (/^contracts\/(test|verification)\//.test(artifact.sourceName)) throw new Error(`build-package: ${name} is a mock or a harness`);
    return { name, artifact };
  });
}

/**
 * Locates `<Name>__factory` and the `<Name>` contract type in tsc's output of typechain-types/, under
 * the folder of the contract's source (typechain mirrors contracts/; a stale copy of a moved contract
 * left in typechain-types/ by an earlier compile is not it).
 */
function typechainFiles(name, sourceName) {
  const factories = path.join(dist, "typechain-types", "factories");
  const folder = path.join(factories, path.dirname(sourceName)) + path.sep;
  const found = walk(factories).filter((f) => path.basename(f) === `${name}__factory.js` && f.startsWith(folder));
  if (found.length !== 1) throw new Error(`build-package: ${found.length} typechain factories named ${name}__factory`);
  const factory = found[0].slice(0, -".js".length);
  const type = path.join(dist, "typechain-types", path.relative(factories, path.dirname(factory)), name);
  if (!fs.existsSync(`${type}.d.ts`)) throw new Error(`build-package: no typechain type ${name} beside its factory`);
  return { factory, type };
}

/** dist/factories.js + .d.ts and dist/abi/<Name>.json. */
function writeFactoriesAndAbis() {
  const contracts = exposedContracts();
  const js = ['"use strict";', "// Generated by scripts/build-package.js: the suite's typechain factories (no mocks).", 'Object.defineProperty(exports, "__esModule", { value: true });'];
  const dts = ["// Generated by scripts/build-package.js: the suite's typechain factories and contract types (no mocks)."];
  for (const { name, artifact } of contracts) {
    const { factory, type } = typechainFiles(name, artifact.sourceName);
    js.push(`exports.${name}__factory = require(${JSON.stringify(specifier(dist, factory))}).${name}__factory;`);
    dts.push(`export { ${name}__factory } from ${JSON.stringify(specifier(dist, factory))};`);
    dts.push(`export type { ${name}, ${name}Interface } from ${JSON.stringify(specifier(dist, type))};`);
    write(path.join(dist, "abi", `${name}.json`), `${JSON.stringify(artifact.abi, null, 2)}\n`);
  }
  write(path.join(dist, "factories.js"), `${js.join("\n")}\n`);
  write(path.join(dist, "factories.d.ts"), `${dts.join("\n")}\n`);
  return contracts.map((c) => c.name);
}

/**
 * The .d.mts twin of one .d.ts: same text, relative specifiers pointing at the twins (`.mjs`, which
 * TypeScript maps to `.d.mts`). Specifiers tsc writes: `from "./x"`, `import("./x")`, a folder's index.
 */
function toModuleDeclaration(text, file) {
  const dir = path.dirname(file);
  return text.replace(/(\bfrom\s+|\bimport\s*\(\s*|^import\s+)(["'])(\.{1,2}\/[^"']*)\2/gm, (_m, head, quote, spec) => {
    const target = path.resolve(dir, spec.replace(/\.js$/, ""));
    let resolved;
    if (fs.existsSync(`${target}.d.ts`)) resolved = `${spec.replace(/\.js$/, "")}.mjs`;
    else if (fs.existsSync(path.join(target, "index.d.ts"))) resolved = `${spec.replace(/\/$/, "")}/index.mjs`;
    else throw new Error(`build-package: ${path.relative(root, file)} imports ${spec}, which has no declaration`);
    return `${head}${quote}${resolved}${quote}`;
  });
}

function writeModuleDeclarations() {
  const esm = path.join(dist, "esm");
  let count = 0;
  for (const file of walk(dist)) {
    if (!file.endsWith(".d.ts") || file.startsWith(esm + path.sep)) continue;
    const twin = path.join(esm, path.relative(dist, file)).replace(/\.d\.ts$/, ".d.mts");
    write(twin, toModuleDeclaration(fs.readFileSync(file, "utf8"), file));
    count++;
  }
  return count;
}

function build() {
  fs.rmSync(dist, { recursive: true, force: true });
  const tsc = spawnSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);

  // ES module entries over the CommonJS build (one copy of every class), and their declarations.
  write(path.join(dist, "esm", "index.mjs"), 'export * from "../sdk/index.js";\n');
  write(path.join(dist, "esm", "factories.mjs"), 'export * from "../factories.js";\n');
  const exposed = writeFactoriesAndAbis();
  const declarations = writeModuleDeclarations();
  write(path.join(dist, "esm", "index.d.mts"), 'export * from "./sdk/index.mjs";\n');
  // (dist/esm/factories.d.mts is the twin of dist/factories.d.ts.)

  const books = path.join(root, "deployments");
  fs.mkdirSync(path.join(dist, "deployments"), { recursive: true });
  for (const file of fs.existsSync(books) ? fs.readdirSync(books) : []) {
    if (/^\d+\.json$/.test(file) && file !== "31337.json") fs.copyFileSync(path.join(books, file), path.join(dist, "deployments", file));
  }
  console.log(
    `Built the SDK into ${path.relative(process.cwd(), dist) || "."}/: CommonJS sdk/index.js (+ .d.ts), ES module esm/index.mjs ` +
      `(+ ${declarations} .d.mts), factories and ABIs of ${exposed.join(", ")}`,
  );
}

if (require.main === module) {
  if (process.argv.includes("--prepare")) prepare();
  else build();
}

module.exports = { prepareAction, toModuleDeclaration, OWN_INSTALL_COMMANDS };
