/**
 * The mutation judge: `hardhat run scripts/mutation-judge.ts`, started by scripts/mutation.js.
 *
 * It judges many mutants in ONE Hardhat process, where SuMo (and the old judge) start two per
 * mutant (`hardhat compile`, then `hardhat test`), each paying ~8 s of start-up here. For every
 * mutant listed in the jobs file it:
 *   1. writes the mutated source over the contract;
 *   2. compiles in process (`hre.run("compile")`; a compile error makes the mutant stillborn);
 *   3. resets the Hardhat network and forgets every module of this project (tests, fixtures, SDK,
 *      typechain factories) and loadFixture's snapshots, so nothing deployed or cached from the
 *      previous mutant survives;
 *   4. runs the target's test files with a fresh Mocha and `bail`, exactly the files and options
 *      `hardhat test --bail <files>` would run: any failure kills the mutant.
 * The original source is written back after each mutant and on exit. After the last mutant the
 * original itself is judged the same way, as a control: if it does not pass, state leaked from one
 * mutant to the next, and the whole chunk is refused (the process exits non-zero).
 *
 * Input  (env MUTATION_JOBS):   JSON { contract, original, tests: [path], mutants: [{ id, source }] }
 * Output (env MUTATION_OUT):    one JSON line per mutant { id, status, seconds, failed? } (appended);
 *        (env MUTATION_PROGRESS, optional): the same line appended there too (a full run's progress file)
 */
import fs from "fs";
import path from "path";
import hre from "hardhat";
import Mocha from "mocha";

interface Jobs {
  contract: string; // path of the contract under contracts/
  tests: string[]; // test files, relative to the project root
  mutants: { id: string; source: string }[];
}

const ROOT = hre.config.paths.root;
const NODE_MODULES = `${path.sep}node_modules${path.sep}`;

/** Mocha reporter that prints nothing and remembers the first failing test's title. */
function quietReporter(failed: string[]) {
  return class Quiet extends Mocha.reporters.Base {
    constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
      super(runner, options);
      runner.on(Mocha.Runner.constants.EVENT_TEST_FAIL, (test, error) =>
        failed.push(`${test.fullTitle()}: ${String(error?.message ?? error).split("\n")[0]}`),
      );
    }
  };
}

/** Forgets every module that could hold state from the previous mutant. */
function forgetProjectModules(): void {
  for (const key of Object.keys(require.cache)) {
    const ours = key.startsWith(ROOT) && !key.includes(NODE_MODULES);
    if (ours || key.includes(`hardhat-network-helpers${path.sep}`)) delete require.cache[key];
  }
}

async function runTests(tests: string[]): Promise<{ failures: number; failed: string[] }> {
  const failed: string[] = [];
  const mocha = new Mocha({ ...hre.config.mocha, bail: true, reporter: quietReporter(failed) });
  for (const file of tests) mocha.addFile(path.resolve(ROOT, file));
  await mocha.loadFilesAsync();
  const failures = await new Promise<number>((resolve) => mocha.run(resolve));
  mocha.dispose();
  return { failures, failed };
}

async function judge(jobs: Jobs, source: string): Promise<{ status: string; failed?: string; compileSeconds: number }> {
  const file = path.join(hre.config.paths.sources, jobs.contract);
  fs.writeFileSync(file, source, "utf8");
  const started = Date.now();
  const compileSeconds = () => Math.round((Date.now() - started) / 100) / 10;
  try {
    // With typechain: the tests deploy through its factories, which carry the mutant's bytecode.
    await hre.run("compile", { quiet: true });
  } catch (error) {
    return { status: "stillborn", failed: String((error as Error).message).split("\n")[0], compileSeconds: compileSeconds() };
  }
  const compiled = compileSeconds();
  await hre.network.provider.request({ method: "hardhat_reset", params: [] });
  forgetProjectModules();
  const { failures, failed } = await runTests(jobs.tests);
  return failures === 0 ? { status: "live", compileSeconds: compiled } : { status: "killed", failed: failed[0], compileSeconds: compiled };
}

/** Takes this chunk's fates out of the progress file again (when the control fails they are void). */
function forgetFates(ids: string[]): void {
  const progress = process.env.MUTATION_PROGRESS;
  if (!progress || !fs.existsSync(progress)) return;
  const voided = new Set(ids);
  const idOf = (line: string): string | undefined => {
    try {
      return (JSON.parse(line) as { id?: string }).id;
    } catch {
      return undefined;
    }
  };
  const [header, ...rows] = fs.readFileSync(progress, "utf8").split("\n").filter(Boolean);
  const kept = rows.filter((line) => !voided.has(idOf(line) ?? ""));
  fs.writeFileSync(progress, `${[header, ...kept].join("\n")}\n`);
}

async function main(): Promise<void> {
  const jobsFile = process.env.MUTATION_JOBS;
  const outFile = process.env.MUTATION_OUT;
  if (jobsFile === undefined || outFile === undefined) throw new Error("set MUTATION_JOBS and MUTATION_OUT");
  const jobs = JSON.parse(fs.readFileSync(jobsFile, "utf8")) as Jobs;
  const file = path.join(hre.config.paths.sources, jobs.contract);
  const original = fs.readFileSync(file, "utf8");
  const restore = () => fs.writeFileSync(file, original, "utf8");
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      restore();
      process.exit(130);
    });
  }
  try {
    for (const mutant of jobs.mutants) {
      const started = Date.now();
      const result = await judge(jobs, mutant.source);
      const line = { id: mutant.id, ...result, seconds: Math.round((Date.now() - started) / 100) / 10 };
      fs.appendFileSync(outFile, `${JSON.stringify(line)}\n`);
      if (process.env.MUTATION_PROGRESS) fs.appendFileSync(process.env.MUTATION_PROGRESS, `${JSON.stringify(line)}\n`);
      console.log(`${jobs.contract} ${mutant.id}: ${result.status} (${line.seconds} s, compile ${result.compileSeconds} s)`);
    }
    const control = await judge(jobs, original);
    if (control.status !== "live") {
      forgetFates(jobs.mutants.map((m) => m.id));
      throw new Error(`control: the original ${jobs.contract} did not pass after this chunk (${control.failed}); its fates are void`);
    }
  } finally {
    restore();
    await hre.run("compile", { quiet: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
