/**
 * The SDK's layout (issue 13 part C): one folder per part of the suite, mirroring contracts/, beside
 * core/ and errors/; no import cycle anywhere in sdk/ (found by dependency-cruiser with the rules in
 * .dependency-cruiser.cjs: type-only and dynamic imports count, and so do index files); no file so
 * long that it holds more than one idea.
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");
const SDK = path.join(ROOT, "sdk");
const DEPCRUISE = path.join(ROOT, "node_modules", "dependency-cruiser", "bin", "dependency-cruise.mjs");
const CONFIG = path.join(ROOT, ".dependency-cruiser.cjs");

/** The most lines an SDK file may have. */
const MAX_LINES = 500;
/** Folders of contracts/ that are not parts of the suite. */
const NOT_PARTS = new Set(["test", "verification"]);
/** Folders of sdk/ that every part shares. */
const SHARED = ["core", "errors"];
/** Folders of sdk/ with no contracts/ part of their own: exchange/, the gateway's encodings (disclosure receipts) and client. */
const SDK_ONLY = ["exchange"];
/** The files at the root of sdk/: the entry and the connection. */
const ROOT_FILES = ["careledger.ts", "index.ts"];

function foldersOf(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

function sourcesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) return sourcesUnder(p);
    return d.name.endsWith(".ts") ? [p] : [];
  });
}

interface Cruise {
  readonly modules: readonly { source: string; dependencies: readonly { resolved: string; circular: boolean; cycle?: readonly { name: string }[] }[] }[];
  readonly summary: { readonly violations: readonly { rule: { name: string } }[] };
}

/** Runs dependency-cruiser over `target` (relative to `cwd`) with the project's rules. */
function cruise(cwd: string, target: string): Cruise {
  const r = spawnSync(process.execPath, [DEPCRUISE, "--config", CONFIG, "--output-type", "json", target], { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
  expect(r.status, r.stderr).to.equal(0);
  return JSON.parse(r.stdout) as Cruise;
}

/** Every cycle the cruise found, once each, as `a → b → a`. */
function cyclesIn(result: Cruise): string[] {
  const out = new Set<string>();
  for (const m of result.modules) {
    for (const d of m.dependencies) {
      if (d.circular) out.add([m.source, ...(d.cycle ?? []).map((c) => c.name)].join(" → "));
    }
  }
  return [...out].sort();
}

describe("SDK layout", function () {
  this.timeout(180_000);

  describe("folders", function () {
    it("has one folder per part of contracts/, core/, errors/ and exchange/, and nothing else", function () {
      const parts = foldersOf(path.join(ROOT, "contracts")).filter((f) => !NOT_PARTS.has(f));
      expect(parts).to.include.members(["claims", "consent", "governance", "participants", "records"]);
      expect(foldersOf(SDK)).to.deep.equal([...parts, ...SHARED, ...SDK_ONLY].sort());
    });

    it("gives every part its own client", function () {
      const parts = foldersOf(path.join(ROOT, "contracts")).filter((f) => !NOT_PARTS.has(f));
      const missing = parts.filter((p) => !fs.existsSync(path.join(SDK, p, "client.ts")));
      expect(missing, `parts without sdk/<part>/client.ts`).to.deep.equal([]);
    });

    it("keeps only the entry and the connection at the root of sdk/", function () {
      const files = fs.readdirSync(SDK, { withFileTypes: true }).filter((d) => d.isFile()).map((d) => d.name).sort();
      expect(files).to.deep.equal(ROOT_FILES);
    });
  });

  describe("file length", function () {
    it(`has no SDK file over ${MAX_LINES} lines`, function () {
      const files = sourcesUnder(SDK);
      expect(files.length).to.be.greaterThan(20);
      const long = files
        .map((f) => ({ file: path.relative(ROOT, f), lines: fs.readFileSync(f, "utf8").split("\n").length - 1 }))
        .filter((f) => f.lines > MAX_LINES)
        .map((f) => `${f.file} (${f.lines} lines)`);
      expect(long, "split these by meaning").to.deep.equal([]);
    });
  });

  describe("import cycles", function () {
    let sdk: Cruise;

    before(function () {
      sdk = cruise(ROOT, "sdk");
    });

    it("reads every SDK file and the imports between them", function () {
      const sources = sourcesUnder(SDK).map((f) => path.relative(ROOT, f).split(path.sep).join("/")).sort();
      expect(sdk.modules.map((m) => m.source).sort()).to.deep.equal(sources);
      const index = sdk.modules.find((m) => m.source === "sdk/index.ts");
      expect(index?.dependencies.map((d) => d.resolved)).to.include.members(["sdk/careledger.ts", "sdk/errors/index.ts", "sdk/claims/client.ts", "sdk/consent/client.ts"]);
    });

    it("finds no cycle anywhere in sdk/", function () {
      expect(cyclesIn(sdk), "import cycles").to.deep.equal([]);
      expect(sdk.summary.violations.filter((v) => v.rule.name === "no-circular")).to.deep.equal([]);
    });

    it("keeps errors/ at the bottom (the parts' code tables aside, which import nothing) and core/ below the parts", function () {
      const imports = (from: string) => new Set(sdk.modules.filter((m) => m.source.startsWith(from)).flatMap((m) => m.dependencies.map((d) => d.resolved.split("/")[1])));
      const outside = sdk.modules.filter((m) => m.source.startsWith("sdk/errors/")).flatMap((m) => m.dependencies.map((d) => d.resolved).filter((r) => !r.startsWith("sdk/errors/")));
      expect([...new Set(outside)].sort()).to.deep.equal(["sdk/claims/vocab.ts", "sdk/consent/codes.ts"]);
      for (const table of ["sdk/claims/vocab.ts", "sdk/consent/codes.ts"]) expect(sdk.modules.find((m) => m.source === table)?.dependencies).to.deep.equal([]);
      expect([...imports("sdk/core/")].sort()).to.deep.equal(["core", "errors"]);
      expect(sdk.summary.violations.map((v) => v.rule.name)).to.deep.equal([]);
    });

    it("reaches errors/ only through its index from the other folders", function () {
      const deep = sdk.modules
        .filter((m) => !m.source.startsWith("sdk/errors/") && m.source !== "sdk/index.ts")
        .flatMap((m) => m.dependencies.filter((d) => d.resolved.startsWith("sdk/errors/") && d.resolved !== "sdk/errors/index.ts").map((d) => `${m.source} → ${d.resolved}`));
      expect(sdk.modules.some((m) => m.dependencies.some((d) => d.resolved === "sdk/errors/index.ts"))).to.equal(true);
      expect(deep).to.deep.equal([]);
    });

    it("would find a cycle made of a type-only import and an index file", function () {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "careledger-layout-"));
      try {
        fs.mkdirSync(path.join(dir, "sdk", "part"), { recursive: true });
        fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "commonjs", moduleResolution: "node", strict: true }, include: ["sdk/**/*.ts"] }));
        fs.writeFileSync(path.join(dir, "sdk", "index.ts"), 'export { a } from "./part/a";\n');
        fs.writeFileSync(path.join(dir, "sdk", "part", "a.ts"), 'import type { B } from "./b";\nexport const a = (b: B): number => b.n;\n');
        fs.writeFileSync(path.join(dir, "sdk", "part", "b.ts"), 'import { a } from "..";\nexport interface B { n: number }\nexport const twice = (b: B): number => 2 * a(b);\n');
        const found = cruise(dir, "sdk");
        expect(cyclesIn(found)).to.have.length.greaterThan(0);
        expect(found.summary.violations.map((v) => v.rule.name)).to.include("no-circular");
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
