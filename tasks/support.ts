/**
 * What every task shares: connecting the SDK with the chosen signer, and printing results.
 * The SDK is imported lazily, because typechain-types exists only after the first compile.
 */
import * as fs from "node:fs";
import { UsageError } from "../config/cli";
import { envVar } from "../config/env";
import { dayProblem, TIME_LIMIT } from "../sdk/core/calendar";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { CareLedger } from "../sdk";

/** What the history tasks' `--indexer` option says. */
export const INDEXER_OPTION = "an indexer's URL (npm run indexer) to read the history from; default CARELEDGER_INDEXER_URL, else the node";

/**
 * Connects the SDK on the task's network with the signer `from` (an index into the network's
 * accounts or an address among them; default: the first account). Address books are read from
 * CARELEDGER_DEPLOYMENTS_DIR when it is set, else from `deployments/`. Histories are read from the
 * indexer `options.indexer` (else CARELEDGER_INDEXER_URL) when one is given, from the node when it
 * cannot answer (said once on stderr).
 */
export async function connectSdk(hre: HardhatRuntimeEnvironment, from?: string, options: { indexer?: string } = {}): Promise<CareLedger> {
  const { CareLedger, ValidationError } = await import("../sdk");
  const signers = await hre.ethers.getSigners();
  let signer = signers[0];
  if (from !== undefined && from !== "") {
    const found = /^\d+$/.test(from) ? signers[Number(from)] : signers.find((s) => s.address.toLowerCase() === from.toLowerCase());
    if (!found) throw new ValidationError("from", `${from} is not one of this network's ${signers.length} accounts`);
    signer = found;
  }
  if (!signer) throw new ValidationError("from", "this network has no accounts: set DEPLOYER_PRIVATE_KEY in .env");
  const url = options.indexer ?? envVar("CARELEDGER_INDEXER_URL");
  let warned = false;
  const indexer = url === undefined ? undefined : { url, onUnavailable: (e: Error) => void (warned || ((warned = true), console.error(`warning: ${e.message}`))) };
  return CareLedger.connect(signer, { addressBookDir: envVar("CARELEDGER_DEPLOYMENTS_DIR"), ...(indexer === undefined ? {} : { indexer }) });
}

/**
 * Account options take what `--from` takes: an index into the network's accounts (`--account 3`), or
 * an address (validated by the SDK where it is used). Returns `args` with each of `fields` that holds an
 * index replaced by that account's address; `org:<id>` and addresses pass through.
 */
export async function withAccounts<T extends object>(hre: HardhatRuntimeEnvironment, args: T, fields: readonly (keyof T & string)[]): Promise<T> {
  const out = { ...args };
  const indexed = fields.filter((f) => typeof out[f] === "string" && /^\d+$/.test((out[f] as string).trim()));
  if (indexed.length === 0) return out;
  const { ValidationError } = await import("../sdk");
  const signers = await hre.ethers.getSigners();
  for (const f of indexed) {
    const i = Number((out[f] as string).trim());
    if (signers[i] === undefined) throw new ValidationError(f, `${out[f] as string} is not one of this network's ${signers.length} accounts`);
    (out as Record<string, unknown>)[f] = signers[i].address;
  }
  return out;
}

/**
 * Opens `file` for writing a secret (salts): created with mode 0600, and tightened to 0600 when it
 * already existed with wider permissions (a mode given to open applies only to a new file).
 */
export function openSecret(file: string): number {
  const fd = fs.openSync(file, "w", 0o600);
  fs.fchmodSync(fd, 0o600);
  return fd;
}

/** Prints a result as one line of JSON (bigints as decimal strings). */
export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));
}

/** Reads a metadata argument: a 32-byte hex commitment, or the path of a JSON profile to commit. */
export function readMetadata(arg: string): string | Record<string, unknown> {
  if (/^0x[0-9a-fA-F]{64}$/.test(arg)) return arg;
  if (!fs.existsSync(arg)) throw new UsageError(`--metadata: ${arg} is neither a 32-byte hex commitment nor a JSON profile file`);
  return readJsonObjectOption("metadata", arg, "a JSON profile");
}

// ------------------------------------------------------------------------------------------------
// Options, checked before anything is sent. A task reads every file, id and date option through
// these, so that an unusable one stops the command with one line naming the option (config/cli.ts).

/** How the command line spells a task's parameter: `validUntil` → `--valid-until`. */
export function optionName(param: string): string {
  return `--${param.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * The text of the file option `param` names (`--file plan.json`).
 * @throws {UsageError} naming the option and the file when it cannot be read (not there, a folder, no permission)
 */
export function readFileOption(param: string, file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT" ? "no such file" : code === "EISDIR" ? "a folder, not a file" : code === "EACCES" || code === "EPERM" ? "cannot be read (permission denied)" : `cannot be read (${code ?? (err as Error).message})`;
    throw new UsageError(`${optionName(param)}: ${file}: ${why}`);
  }
}

/**
 * The JSON value of the file option `param` names.
 * @throws {UsageError} naming the option and the file when it cannot be read or is not JSON
 */
export function readJsonOption(param: string, file: string): unknown {
  const text = readFileOption(param, file);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new UsageError(`${optionName(param)}: ${file} is not JSON (${(err as Error).message.split("\n")[0]})`);
  }
}

/**
 * {@link readJsonOption} of a file that must hold a JSON object (`what` it should be, for the message).
 * @throws {UsageError} naming the option and the file
 */
export function readJsonObjectOption(param: string, file: string, what: string): Record<string, unknown> {
  const value = readJsonOption(param, file);
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new UsageError(`${optionName(param)}: ${file} is not ${what} (a JSON object)`);
  return value as Record<string, unknown>;
}

/**
 * The id options `params` of `args` (a plan, an organization, an authorization: 1 to 2^64-1), each
 * given one checked with the SDK's `requireId` and named as the option (`--plan: "abc" is not a whole number`).
 * @returns their values as bigints (undefined for one not given)
 * @throws {ValidationError} `INVALID_INPUT` naming the first option that is not an id
 */
export async function idOptions<T extends object, K extends keyof T & string>(args: T, params: readonly K[]): Promise<{ [P in K]: T[P] extends string ? bigint : bigint | undefined }> {
  const { requireId } = await import("../sdk/core/validate");
  const out: Record<string, bigint | undefined> = {};
  for (const p of params) {
    const v = args[p];
    out[p] = v === undefined ? undefined : requireId(optionName(p), typeof v === "string" ? v.trim() : v);
  }
  return out as { [P in K]: T[P] extends string ? bigint : bigint | undefined };
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * The one parser of every date option, strict: "YYYY-MM-DD" of a day that exists (midnight UTC), an
 * ISO 8601 date-time with its zone ("2030-01-31T12:00:00Z", "2030-01-31T12:00+02:00"), or — for the
 * options whose task documents it (`seconds`) — whole seconds since the epoch. `day`: a day only
 * ("YYYY-MM-DD"). Anything else (an impossible day like 2030-02-30, "1 2", a time without its zone)
 * is refused, never rolled over or guessed.
 * @returns seconds since the epoch
 * @throws {UsageError} naming the option
 */
export function dateOption(param: string, arg: string, accepts: { seconds?: boolean; day?: boolean } = {}): number {
  const name = optionName(param);
  const given = arg.trim();
  const forms = accepts.day ? "YYYY-MM-DD" : `YYYY-MM-DD, an ISO 8601 date-time with its zone (2030-01-31T12:00:00Z)${accepts.seconds ? " or seconds since the epoch" : ""}`;
  const refuse = (why: string) => new UsageError(`${name}: ${JSON.stringify(arg)} ${why}`);
  if (accepts.seconds && /^\d+$/.test(given)) {
    const n = Number(given);
    if (!Number.isSafeInteger(n) || n >= TIME_LIMIT) throw refuse("is too far in the future (seconds since the epoch, below 2^40)");
    return n;
  }
  const m = DAY.exec(given) ?? (accepts.day ? null : DATE_TIME.exec(given));
  if (!m) throw refuse(`is not a date: give ${forms}`);
  const why = dayProblem(m[1], m[2], m[3]);
  if (why) throw refuse(why);
  let ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (m[4] !== undefined) {
    const [h, min, s] = [Number(m[4]), Number(m[5]), Number(m[6] ?? 0)];
    if (h > 23 || min > 59 || s > 59) throw refuse("is not a time of day (00:00:00 to 23:59:59)");
    const zone = m[7].toUpperCase();
    let offset = 0;
    if (zone !== "Z") {
      const [oh, om] = [Number(zone.slice(1, 3)), Number(zone.slice(4, 6))];
      if (oh > 23 || om > 59) throw refuse(`has no valid zone offset (${zone})`);
      offset = (zone[0] === "-" ? -1 : 1) * (oh * 60 + om) * 60_000;
    }
    ms += ((h * 60 + min) * 60 + s) * 1000 - offset;
  }
  const t = Math.floor(ms / 1000);
  if (t < 0 || t >= TIME_LIMIT) throw refuse("is out of range (1970 to 2^40 seconds later)");
  return t;
}
