/**
 * The SDK's one entry: `CareLedger.connect(runner, options?)`.
 */
import type { Provider, Signer } from "ethers";
import { AccessManager__factory } from "../typechain-types/factories/@openzeppelin/contracts/access/manager/AccessManager__factory";
import { ClaimsEngine__factory } from "../typechain-types/factories/contracts/claims/ClaimsEngine__factory";
import { ConsentRegistry__factory } from "../typechain-types/factories/contracts/consent/ConsentRegistry__factory";
import { DisclosureLog__factory } from "../typechain-types/factories/contracts/consent/DisclosureLog__factory";
import { ParticipantRegistry__factory } from "../typechain-types/factories/contracts/participants/ParticipantRegistry__factory";
import { RecordRegistry__factory } from "../typechain-types/factories/contracts/records/RecordRegistry__factory";
import { ACCOUNT_CONTRACTS, addressBookDirs, addressBookPath, findAddressBook, SUITE_CONTRACTS, type AccountAddresses, type AddressBook, type SuiteAddresses } from "./core/addressBook";
import { PatientAccountClient, PatientAccountFactoryClient } from "./accounts/client";
import { PatientAccountFactory__factory } from "../typechain-types/factories/contracts/accounts/PatientAccountFactory__factory";
import { CareLedgerError, UnsupportedChainError } from "./errors";
import { ClaimsClient } from "./claims/client";
import { ConsentClient } from "./consent/client";
import { DisclosuresClient } from "./consent/disclosures";
import { ExchangeClient } from "./exchange/client";
import { GovernanceClient } from "./governance/client";
import { ParticipantsClient } from "./participants/client";
import { RecordsClient } from "./records/client";
import { IndexerSource, type IndexerOptions } from "./core/indexer";
import { checkLogOptions, type LogReadOptions } from "./core/logs";
import { read } from "./core/read";
import { requireAddress } from "./core/validate";

/** Options of {@link CareLedger.connect}. */
export interface ConnectOptions {
  /** Explicit addresses; they override the address book's, contract by contract. */
  readonly addresses?: Partial<SuiteAddresses>;
  /** An address book to use instead of reading `deployments/<chainId>.json`. */
  readonly addressBook?: AddressBook;
  /**
   * The folder holding `<chainId>.json` address books. Default: `CARELEDGER_DEPLOYMENTS_DIR`, then the
   * current project's `./deployments` (where `npm run deploy` writes), then the package's own books.
   */
  readonly addressBookDir?: string;
  /** The first block to read events from (default: the address book's deployment block, else 0). */
  readonly fromBlock?: number;
  /**
   * How histories read event logs: in ranges of at most `maxBlocks` blocks (default 10,000), halved when the
   * node refuses one as too large, with `retries` tries and `backoffMs` back-off after other failures
   * (sdk/core/logs.ts). Set `maxBlocks` to your endpoint's limit to skip the refusals.
   */
  readonly logs?: LogReadOptions;
  /**
   * An indexer of this deployment (`npm run indexer`; its URL, or {@link IndexerOptions}): histories (access
   * logs, claim histories, record versions, members…) are read from it up to the last block it holds, the
   * rest from the node, with the same types and results as from the node alone; when it cannot answer,
   * from the node (sdk/core/indexer.ts).
   */
  readonly indexer?: string | IndexerOptions;
  /** The passkey accounts' contracts, overriding the address book's (`accounts`). */
  readonly accounts?: AccountAddresses;
}

/** Patients' passkey accounts on a deployment: the factory, the WebAuthn verifier, and a client per account. */
export interface PasskeyAccounts {
  /** The WebAuthn verifier's address (a `PasskeySigner`'s `verifier`). */
  readonly verifier: string;
  /** The factory: predict an account's address, create it if needed. */
  readonly factory: PatientAccountFactoryClient;
  /** The client of the account at `account`, through the connection's runner. */
  at(account: string): PatientAccountClient;
}

/** A connection to one deployment of the CareLedger suite. */
export class CareLedger {
  /** The connected chain's id. */
  readonly chainId: bigint;
  /** The addresses in use. */
  readonly addresses: SuiteAddresses;
  /** The first block of the deployment, where event queries start. */
  readonly fromBlock: number;
  /** The Signer (writes and reads) or Provider (reads only) everything is connected with. */
  readonly runner: Signer | Provider;
  /** Organizations and members. */
  readonly participants: ParticipantsClient;
  /** The suite's AccessManager: roles, scheduling of delayed calls. */
  readonly governance: GovernanceClient;
  /** Record anchoring: commitments, versions, retractions, Merkle batches, verification. */
  readonly records: RecordsClient;
  /** Plans, funding, members, prior authorizations, claims, decisions and appeals. */
  readonly claims: ClaimsClient;
  /** Patient consent: grants, signatures, delegates, break-glass, access checks and the access log. */
  readonly consent: ConsentClient;
  /** The access log's batched entry point: record holders anchor their gateways' disclosure receipts; anyone verifies one. */
  readonly disclosures: DisclosuresClient;
  /** Records from other organizations' gateways: signed requests, every resource verified against the chain. */
  readonly exchange: ExchangeClient;

  /** The indexer histories are read from, when one was given to `connect`. */
  readonly indexer: IndexerSource | undefined;

  /** Patients' passkey accounts, when the address book (or `options.accounts`) names their contracts. */
  readonly accounts: PasskeyAccounts | undefined;

  private constructor(runner: Signer | Provider, chainId: bigint, addresses: SuiteAddresses, fromBlock: number, logs: LogReadOptions = {}, indexer?: IndexerSource, accounts?: AccountAddresses) {
    this.runner = runner;
    this.chainId = chainId;
    this.addresses = addresses;
    this.fromBlock = fromBlock;
    this.participants = new ParticipantsClient(ParticipantRegistry__factory.connect(addresses.ParticipantRegistry, runner), fromBlock);
    this.governance = new GovernanceClient(AccessManager__factory.connect(addresses.AccessManager, runner));
    this.records = new RecordsClient(RecordRegistry__factory.connect(addresses.RecordRegistry, runner), chainId, fromBlock);
    this.claims = new ClaimsClient(ClaimsEngine__factory.connect(addresses.ClaimsEngine, runner), fromBlock);
    this.consent = new ConsentClient(ConsentRegistry__factory.connect(addresses.ConsentRegistry, runner), fromBlock);
    this.disclosures = new DisclosuresClient(DisclosureLog__factory.connect(addresses.DisclosureLog, runner), fromBlock);
    this.indexer = indexer;
    this.accounts = accounts && {
      verifier: accounts.WebAuthnVerifier,
      factory: new PatientAccountFactoryClient(PatientAccountFactory__factory.connect(accounts.PatientAccountFactory, runner)),
      at: (account: string) => PatientAccountClient.at(account, runner),
    };
    for (const client of [this.participants, this.records, this.claims, this.consent, this.disclosures]) {
      client.logOptions = logs;
      client.indexer = indexer;
    }
    const signer = typeof (runner as Signer).signTypedData === "function" ? (runner as Signer) : undefined;
    this.exchange = new ExchangeClient(signer, chainId, addresses.ConsentRegistry, this.records, this.participants, this.disclosures);
  }

  /**
   * Connects to the suite on the runner's chain, with addresses from the address book for that
   * chain id, or from `options`.
   * @param runner any ethers v6 Signer (to write) or Provider (to read)
   * @throws {UnsupportedChainError} when there are no addresses for the chain (naming the places it
   *   looked), or no code at them
   * @throws {NodeUnreachableError} `NODE_UNREACHABLE` when the node does not answer (naming its URL)
   * @throws {ValidationError} when an explicit address is not an address, or `indexer` not an indexer's URL
   * @throws {CareLedgerError} `NO_PROVIDER` when a Signer has no Provider
   */
  static async connect(runner: Signer | Provider, options: ConnectOptions = {}): Promise<CareLedger> {
    const provider = "provider" in runner && runner.provider ? runner.provider : (runner as Provider);
    if (typeof (provider as Provider).getNetwork !== "function") {
      throw new CareLedgerError("NO_PROVIDER", "the Signer is not connected to a Provider: use signer.connect(provider)");
    }
    if (options.logs !== undefined) checkLogOptions(options.logs);
    const { chainId } = await read(() => provider.getNetwork(), provider);
    const dirs = options.addressBook ? [] : addressBookDirs(options.addressBookDir);
    const book = options.addressBook ?? findAddressBook(chainId, dirs)?.book;
    if (book && BigInt(book.chainId) !== chainId) {
      throw new UnsupportedChainError(chainId, `the address book given is for chain ${book.chainId}`);
    }
    const merged: Record<string, string> = {};
    for (const name of SUITE_CONTRACTS) {
      const explicit = options.addresses?.[name];
      const value = explicit ?? book?.contracts[name];
      if (value === undefined) {
        const looked = book ? "" : ` (no address book: looked for ${dirs.map((d) => addressBookPath(chainId, d)).join(", ")})`;
        throw new UnsupportedChainError(
          chainId,
          `no address for ${name}${looked}: deploy the suite to this chain (in a CareLedger checkout: \`npm run deploy -- --network <name>\`, which writes deployments/<chainId>.json there), or pass options.addressBook, options.addressBookDir (or CARELEDGER_DEPLOYMENTS_DIR) or options.addresses`,
        );
      }
      merged[name] = requireAddress(`addresses.${name}`, value);
    }
    const addresses = merged as unknown as SuiteAddresses;
    if ((await read(() => provider.getCode(addresses.ParticipantRegistry), provider)) === "0x") {
      throw new UnsupportedChainError(chainId, `there is no contract at ${addresses.ParticipantRegistry} (ParticipantRegistry): is the node the one you deployed to?`);
    }
    const indexer = options.indexer === undefined ? undefined : new IndexerSource(options.indexer, chainId);
    const accountBook = options.accounts ?? book?.accounts;
    const accounts = accountBook && (Object.fromEntries(ACCOUNT_CONTRACTS.map((name) => [name, requireAddress(`accounts.${name}`, accountBook[name])])) as unknown as AccountAddresses);
    return new CareLedger(runner, chainId, addresses, options.fromBlock ?? book?.deploymentBlock ?? 0, options.logs, indexer, accounts);
  }
}
