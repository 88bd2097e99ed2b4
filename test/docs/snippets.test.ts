/**
 * Runs the code in the docs, so that it cannot rot. In every docs/*.md page, the blocks fenced as
 * ```ts runnable are joined in page order into one async function and run against a fresh deployment.
 * `import … from "careledger"` lines become the SDK; the page's stated variables (signers named by
 * their part, and `addressBook`) are provided.
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import ts from "typescript";
import * as sdk from "../../sdk";
import { runnableBlocks } from "../support/docs";
import { deployFixture } from "../support/fixtures";
import { MockStablecoin__factory } from "../../typechain-types";

const DOCS = path.resolve(__dirname, "..", "..", "docs");
const FIXTURES = path.resolve(__dirname, "..", "fixtures");

/** Turns a page's blocks into one JavaScript async function taking the context. */
export function compilePage(blocks: readonly string[], contextNames: readonly string[]): string {
  const imported = new Set<string>();
  const body = blocks
    .join("\n")
    .replace(/^import \* as (\w+) from "(node:\w+)";\s*$/gm, 'const $1 = require("$2");')
    .replace(/^import\s*\{([^}]*)\}\s*from\s*"careledger";\s*$/gm, (_m, names: string) => {
      for (const n of names.split(",").map((x) => x.replace(/\btype\s+/, "").trim()).filter(Boolean)) imported.add(n);
      return "";
    });
  const source = `module.exports = async function (__ctx, __sdk) {
    const { ${contextNames.join(", ")} } = __ctx;
    const { ${[...imported].join(", ")} } = __sdk;
    ${body}
  };`;
  return ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS } }).outputText;
}

async function pageContext() {
  const f = await deployFixture();
  // A 6-decimals stablecoin, with some minted to the insurer's admin (a real plan uses a real one).
  const stablecoin = await new MockStablecoin__factory(f.deployer).deploy();
  await (await stablecoin.mint(f.insurerAdmin.address, 1_000_000n * 10n ** 6n)).wait();
  return {
    addressBook: f.book,
    registrar: f.registrar,
    pauser: f.pauser,
    hospitalAdmin: f.hospitalAdmin,
    labAdmin: f.labAdmin,
    insurerAdmin: f.insurerAdmin,
    doctor: f.doctor,
    nurse: f.nurse,
    patient: f.patient,
    outsider: f.outsider,
    relayer: f.signers[10],
    adjuster: f.signers[11],
    seniorAdjuster: f.signers[12],
    configurator: f.deployer,
    stablecoin: await stablecoin.getAddress(),
    planFile: path.join(FIXTURES, "plans", "demo-plan.json"),
    bundleFile: path.join(FIXTURES, "fhir", "synthea", "Raymon_Kris_ca5da59f-0a70-470d-8b20-a1c847ff9010.json"),
    provider: f.deployer.provider!,
  };
}

describe("Docs snippets", function () {
  const pages = fs.readdirSync(DOCS).filter((f) => f.endsWith(".md"));

  it("finds runnable snippets in the docs", function () {
    const counts = pages.map((p) => runnableBlocks(fs.readFileSync(path.join(DOCS, p), "utf8")).length);
    expect(counts.reduce((a, b) => a + b, 0)).to.be.greaterThan(0);
  });

  for (const page of pages) {
    const blocks = runnableBlocks(fs.readFileSync(path.join(DOCS, page), "utf8"));
    if (blocks.length === 0) continue;
    it(`runs every snippet of docs/${page} in order (${blocks.length} blocks)`, async function () {
      const ctx = await loadFixture(pageContext);
      const js = compilePage(blocks, Object.keys(ctx));
      const mod: { exports: unknown } = { exports: undefined };
      new Function("module", "require", js)(mod, require);
      const logs: string[] = [];
      const original = console.log;
      console.log = (...args: unknown[]) => logs.push(args.map(String).join(" "));
      try {
        await (mod.exports as (c: typeof ctx, s: typeof sdk) => Promise<void>)(ctx, sdk);
      } finally {
        console.log = original;
      }
      expect(logs.length, "a runnable page shows its results with console.log").to.be.greaterThan(0);
    });
  }
});
