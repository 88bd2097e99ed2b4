/**
 * Address books: `deployments/<chainId>.json`, written by `scripts/deploy.ts` and read by the SDK.
 * The SDK never hard-codes an address.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { isAddress } from "ethers";
import { CareLedgerError, ValidationError } from "../errors";

/** The suite's contract addresses. */
export interface SuiteAddresses {
  readonly AccessManager: string;
  readonly ParticipantRegistry: string;
  readonly ConsentRegistry: string;
  readonly RecordRegistry: string;
  readonly ClaimsEngine: string;
  readonly DisclosureLog: string;
}

/** The names of the suite's contracts, in deployment order. */
export const SUITE_CONTRACTS = [
  "AccessManager",
  "ParticipantRegistry",
  "ConsentRegistry",
  "RecordRegistry",
  "ClaimsEngine",
  "DisclosureLog",
] as const satisfies readonly (keyof SuiteAddresses)[];

/** The passkey accounts' contracts of a deployment (issue 16): the WebAuthn verifier and the account factory. */
export interface AccountAddresses {
  /** OpenZeppelin's ERC-7913 WebAuthn verifier, which every passkey account checks passkeys with. */
  readonly WebAuthnVerifier: string;
  /** The factory of patients' passkey accounts (deterministic addresses). */
  readonly PatientAccountFactory: string;
}

/** The names of the passkey accounts' contracts, in deployment order. */
export const ACCOUNT_CONTRACTS = ["WebAuthnVerifier", "PatientAccountFactory"] as const satisfies readonly (keyof AccountAddresses)[];

/** One deployment of the suite on one chain. */
export interface AddressBook {
  /** The chain id the suite is deployed on. */
  readonly chainId: number;
  /** The suite's version (package.json `version`) at deployment. */
  readonly version: string;
  /** The block the deployment started in: the first block to read the suite's events from. */
  readonly deploymentBlock: number;
  /** When the address book was written (ISO 8601). */
  readonly deployedAt: string;
  /** The contract addresses. */
  readonly contracts: SuiteAddresses;
  /** The passkey accounts' contracts; absent from books written before they were deployed with the suite. */
  readonly accounts?: AccountAddresses;
  /**
   * On a local chain (31337) deployed with `--test-token`: an allow-listed test stablecoin (6 decimals,
   * anyone may mint) to try claims with. Never on any other chain.
   */
  readonly testToken?: string;
}

/** The package's own folder of address books (the public networks it was deployed to); the deploy script's default. */
export const DEFAULT_ADDRESS_BOOK_DIR = path.resolve(__dirname, "..", "..", "deployments");

/**
 * Where {@link findAddressBook} looks, in order: `dir` alone when given; else `CARELEDGER_DEPLOYMENTS_DIR`,
 * the current project's `./deployments` (where `npm run deploy` writes), then the package's own books.
 */
export function addressBookDirs(dir?: string, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string[] {
  if (dir !== undefined && dir !== "") return [path.resolve(cwd, dir)];
  const candidates = [env.CARELEDGER_DEPLOYMENTS_DIR?.trim(), path.join(cwd, "deployments"), DEFAULT_ADDRESS_BOOK_DIR];
  return [...new Set(candidates.filter((d): d is string => d !== undefined && d !== "").map((d) => path.resolve(cwd, d)))];
}

/**
 * The first address book for `chainId` in `dirs` (see {@link addressBookDirs}), with its path.
 * @throws {CareLedgerError} `ADDRESS_BOOK_UNREADABLE` / {@link ValidationError} as {@link readAddressBook}
 */
export function findAddressBook(chainId: bigint | number, dirs: readonly string[]): { book: AddressBook; file: string } | undefined {
  for (const dir of dirs) {
    const book = readAddressBook(chainId, dir);
    if (book) return { book, file: addressBookPath(chainId, dir) };
  }
  return undefined;
}

/** The path of the address book for `chainId` in `dir`. */
export function addressBookPath(chainId: bigint | number, dir: string = DEFAULT_ADDRESS_BOOK_DIR): string {
  return path.join(dir, `${chainId}.json`);
}

/**
 * Checks an address book's shape.
 * @throws {ValidationError} naming the field that is wrong
 */
export function parseAddressBook(value: unknown): AddressBook {
  if (value === null || typeof value !== "object") throw new ValidationError("addressBook", "is not an object");
  const book = value as Record<string, unknown>;
  if (!Number.isSafeInteger(book.chainId)) throw new ValidationError("addressBook.chainId", "is not a chain id");
  if (typeof book.version !== "string") throw new ValidationError("addressBook.version", "is not a string");
  if (!Number.isSafeInteger(book.deploymentBlock)) throw new ValidationError("addressBook.deploymentBlock", "is not a block number");
  const contracts = book.contracts as Record<string, unknown> | undefined;
  if (!contracts || typeof contracts !== "object") throw new ValidationError("addressBook.contracts", "is missing");
  for (const name of SUITE_CONTRACTS) {
    const a = contracts[name];
    if (typeof a !== "string" || !isAddress(a)) throw new ValidationError(`addressBook.contracts.${name}`, `${JSON.stringify(a)} is not an address`);
  }
  if (book.accounts !== undefined) {
    const accounts = book.accounts as Record<string, unknown> | null;
    if (!accounts || typeof accounts !== "object") throw new ValidationError("addressBook.accounts", "is not an object");
    for (const name of ACCOUNT_CONTRACTS) {
      const a = accounts[name];
      if (typeof a !== "string" || !isAddress(a)) throw new ValidationError(`addressBook.accounts.${name}`, `${JSON.stringify(a)} is not an address`);
    }
  }
  if (book.testToken !== undefined && (typeof book.testToken !== "string" || !isAddress(book.testToken))) {
    throw new ValidationError("addressBook.testToken", `${JSON.stringify(book.testToken)} is not an address`);
  }
  return value as AddressBook;
}

/**
 * Reads the address book for `chainId`, or returns `undefined` when there is none.
 * @throws {CareLedgerError} `ADDRESS_BOOK_UNREADABLE` when the file exists but is not valid JSON
 * @throws {ValidationError} when its content is malformed
 */
export function readAddressBook(chainId: bigint | number, dir?: string): AddressBook | undefined {
  const file = addressBookPath(chainId, dir);
  if (!fs.existsSync(file)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new CareLedgerError("ADDRESS_BOOK_UNREADABLE", `${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  return parseAddressBook(json);
}

/** Writes the address book for its chain into `dir` (created if needed) and returns the path. */
export function writeAddressBook(book: AddressBook, dir: string = DEFAULT_ADDRESS_BOOK_DIR): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = addressBookPath(book.chainId, dir);
  fs.writeFileSync(file, JSON.stringify(book, null, 2) + "\n");
  return file;
}
