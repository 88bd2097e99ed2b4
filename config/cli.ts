/**
 * How the command line reports an error: one line, the error's own message, exit code 1.
 *
 * Hardhat 2 prints a stack trace under every error on a Linux machine without a display (it takes
 * such a machine for a CI server) — that is, on every operator's server — and heads CareLedger's own
 * errors "An unexpected error occurred:". For the errors whose message is the whole story — Hardhat's
 * own argument and network errors, CareLedger's typed errors ({@link CareLedgerError} and its kinds:
 * an unknown organization, input the SDK refused, a revert it decoded) and configuration errors
 * ({@link ConfigurationError}: a missing `.env` variable, an unknown network) and a task's unusable
 * argument ({@link UsageError}: a file that is not what the option takes) — the CLI prints one
 * line instead: `Error <CODE>: <message>`. Anything else (a bug) keeps Hardhat's report with its
 * trace. `--verbose` or `--show-stack-traces` keep the trace for every error.
 *
 * Hardhat offers no hook for its error report, so {@link presentCliErrors} wraps `console.error` in
 * the CLI process only (not when Hardhat is used as a library, and never inside a task's own run):
 * the report is the last thing the CLI writes before it exits.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { envVar } from "./env";

/** A configuration problem the operator fixes in `.env` or on the command line. */
export class ConfigurationError extends Error {
  /** A stable code, like the SDK's errors. */
  readonly code = "CONFIGURATION";

  constructor(message: string) {
    super(message);
    this.name = "ConfigurationError";
  }
}

/** A command's argument that cannot be used (a file that is not what the option takes, a date that does not parse). */
export class UsageError extends Error {
  readonly code = "USAGE";

  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Whether this process is Hardhat's command line (`npx hardhat …`), not Hardhat used as a library. */
export function isHardhatCli(argv: readonly string[] = process.argv): boolean {
  const entry = argv[1];
  if (entry === undefined) return false;
  let real = entry;
  try {
    real = fs.realpathSync(entry);
  } catch {
    // a path that does not exist is not Hardhat's CLI
  }
  return /[\\/]hardhat[\\/]internal[\\/]cli[\\/](bootstrap|cli)\.js$/.test(real) || path.basename(real) === "hardhat";
}

/** Whether the command line asked for traces. */
export function wantsTraces(argv: readonly string[] = process.argv): boolean {
  return argv.includes("--verbose") || argv.includes("--show-stack-traces") || envVar("HARDHAT_VERBOSE") === "true" || envVar("HARDHAT_SHOW_STACK_TRACES") === "true";
}

interface Coded {
  readonly code?: unknown;
  readonly message: string;
  readonly _isHardhatError?: boolean;
  readonly _isHardhatPluginError?: boolean;
}

/** Hardhat's own errors: the CLI has already printed their message line. */
function isHardhatError(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const c = e as Error & Coded;
  return c._isHardhatError === true || c._isHardhatPluginError === true;
}

/**
 * CareLedger's own errors (the SDK's, by their base class's name on the prototype chain, so that
 * this file needs no SDK import, and configuration errors): their message says what to do.
 */
export function isCareLedgerError(e: unknown): e is Error & { code: string } {
  if (!(e instanceof Error) || typeof (e as Coded).code !== "string") return false;
  if (e instanceof ConfigurationError || e instanceof UsageError) return true;
  for (let p = Object.getPrototypeOf(e) as object | null; p !== null && p !== Error.prototype; p = Object.getPrototypeOf(p) as object | null) {
    if ((p as { constructor?: { name?: string } }).constructor?.name === "CareLedgerError") return true;
  }
  return false;
}

/** The one line the CLI prints for a CareLedger error. */
export function oneLine(e: Error & { code: string }): string {
  return `Error ${e.code}: ${e.message.split("\n")[0]}`;
}

const UNEXPECTED = /An unexpected error occurred/;

/**
 * In Hardhat's CLI, and unless traces were asked for, reports known errors in one line (see the file's
 * comment). Returns a function that puts `console.error` back (for tests).
 */
export function presentCliErrors(argv: readonly string[] = process.argv): () => void {
  if (!isHardhatCli(argv) || wantsTraces(argv)) return () => undefined;
  const original = console.error;
  let heldHeadline: unknown[] | undefined;
  console.error = (...args: unknown[]): void => {
    if (args.length === 1 && typeof args[0] === "string" && UNEXPECTED.test(args[0])) {
      heldHeadline = args; // printed below unless the error that follows is a known one
      return;
    }
    const held = heldHeadline;
    heldHeadline = undefined;
    if (args.length === 1 && isCareLedgerError(args[0])) return original(oneLine(args[0]));
    if (args.length === 1 && isHardhatError(args[0])) return; // its message line is already out
    if (held) original(...held);
    original(...args);
  };
  return () => {
    console.error = original;
  };
}
