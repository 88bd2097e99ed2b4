/** Runs Hardhat tasks in-process and collects what they print. */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import hre from "hardhat";
import { writeAddressBook } from "../../sdk";
import { deployFixture } from "./fixtures";

/**
 * Runs a task in-process and returns the lines it printed with console.log; what it writes to stderr
 * (progress bars, warnings) is silenced.
 */
export async function runLines(task: string, args: Record<string, unknown>): Promise<string[]> {
  const lines: string[] = [];
  const log = console.log;
  const err = process.stderr.write.bind(process.stderr);
  console.log = (...parts: unknown[]) => void lines.push(parts.map(String).join(" "));
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    await hre.run(task, args);
  } finally {
    console.log = log;
    process.stderr.write = err;
  }
  return lines;
}

/** Runs a task and returns the JSON lines it printed. */
export async function run(task: string, args: Record<string, unknown>): Promise<Record<string, unknown>[]> {
  return (await runLines(task, args)).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The message a promise rejects with. */
export async function failure(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => "(no failure)",
    (e: Error) => e.message,
  );
}


/**
 * For the tasks' tests: before each test, deploys the suite (through the fixture), writes its address
 * book into a fresh folder and points CARELEDGER_DEPLOYMENTS_DIR at it, as an operator's `.env` would;
 * after each, removes the folder and restores the variable.
 * @returns where the folder is, once a test runs
 */
export function useDeployedAddressBook(): { readonly dir: string } {
  const state = { dir: "" };
  const previous = process.env.CARELEDGER_DEPLOYMENTS_DIR;
  beforeEach(async function () {
    const { book } = await loadFixture(deployFixture);
    state.dir = fs.mkdtempSync(path.join(os.tmpdir(), "careledger-tasks-"));
    writeAddressBook(book, state.dir);
    process.env.CARELEDGER_DEPLOYMENTS_DIR = state.dir;
  });
  afterEach(function () {
    fs.rmSync(state.dir, { recursive: true, force: true });
    if (previous === undefined) delete process.env.CARELEDGER_DEPLOYMENTS_DIR;
    else process.env.CARELEDGER_DEPLOYMENTS_DIR = previous;
  });
  return state;
}
