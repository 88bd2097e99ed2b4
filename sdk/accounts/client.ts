/**
 * The clients of a patient's passkey account and of the factory that creates it: predict and create
 * (deploy-if-needed), read its passkeys, guardians and pending recovery, build the calls that manage it,
 * have its passkey sign a batch and relay that batch — the patient holds no ETH.
 */
import { isBytesLike, isHexString, type ContractRunner, type Overrides, type TransactionReceipt } from "ethers";
import type { PatientAccount } from "../../typechain-types/contracts/accounts/PatientAccount";
import type { PatientAccountFactory } from "../../typechain-types/contracts/accounts/PatientAccountFactory";
import { ConsentRegistry__factory } from "../../typechain-types/factories/contracts/consent/ConsentRegistry__factory";
import { PatientAccount__factory } from "../../typechain-types/factories/contracts/accounts/PatientAccount__factory";
import { PatientAccountFactory__factory } from "../../typechain-types/factories/contracts/accounts/PatientAccountFactory__factory";
import { ValidationError } from "../errors";
import { requireSigner } from "../core/client";
import { read } from "../core/read";
import { eventIn, send, TxHandle } from "../core/tx";
import { requireAddress, requireTime, type TimeInput } from "../core/validate";
import type { PasskeySigner } from "./signer";
import type { AccountCall, ExecuteRequest } from "./typedData";
import { requirePasskey, type PasskeyPublicKey } from "./webauthn";

/** The most calls one signed batch may hold (the contract's `MAX_CALLS`). */
export const MAX_ACCOUNT_CALLS = 16;
/** How long a guardian's proposed passkey waits before it may take effect (the contract's `RECOVERY_DELAY`), in seconds. */
export const RECOVERY_DELAY_SECONDS = 2 * 24 * 3600;

const MAX_UINT192 = (1n << 192n) - 1n;
const accountInterface = PatientAccount__factory.createInterface();

/** A batch the account's passkey signed, ready for a relayer. */
export interface SignedExecution extends ExecuteRequest {
  readonly calls: AccountCall[];
  readonly account: string;
  readonly signature: string;
}

/** What a batch to sign says: its calls, its deadline, and which nonce sequence it uses. */
export interface ExecuteParams {
  readonly calls: readonly { readonly target: string; readonly value?: bigint | number; readonly data?: string }[];
  readonly deadline: TimeInput;
  /** The nonce sequence (default 0); batches of different keys do not wait for each other. */
  readonly key?: bigint | number;
  /** The full keyed nonce (default: read from the account, or 0 while it is not deployed). */
  readonly nonce?: bigint;
}

/** A pending recovery, as `pendingRecovery()` gives it; undefined when none. */
export interface PendingRecovery {
  readonly passkey: PasskeyPublicKey;
  readonly guardian: string;
  /** When it may take effect, in seconds since the epoch. */
  readonly readyAt: number;
}

/**
 * Checks the calls of a batch: 1 to {@link MAX_ACCOUNT_CALLS}, each an address, a value and hex data.
 * @throws {ValidationError} naming `calls[i].<field>`
 */
export function requireCalls(calls: ExecuteParams["calls"]): AccountCall[] {
  if (!Array.isArray(calls) || calls.length === 0 || calls.length > MAX_ACCOUNT_CALLS) {
    throw new ValidationError("calls", `a batch holds 1 to ${MAX_ACCOUNT_CALLS} calls`);
  }
  return calls.map((c, i) => {
    const value = c.value ?? 0n;
    if (!((typeof value === "bigint" && value >= 0n) || (typeof value === "number" && Number.isSafeInteger(value) && value >= 0))) {
      throw new ValidationError(`calls[${i}].value`, `${String(value)} is not an amount of wei`);
    }
    const data = c.data ?? "0x";
    if (!isHexString(data) || !isBytesLike(data)) throw new ValidationError(`calls[${i}].data`, `${JSON.stringify(data)} is not 0x-hex bytes`);
    return { target: requireAddress(`calls[${i}].target`, c.target), value: BigInt(value), data };
  });
}

/** The call, from the account to itself, that adds `passkey`. */
export function addPasskeyCall(account: string, passkey: PasskeyPublicKey): AccountCall {
  const k = requirePasskey("passkey", passkey);
  return selfCall(account, accountInterface.encodeFunctionData("addPasskey", [k.x, k.y]));
}

/** The call, from the account to itself, that removes `passkey` (never the last one). */
export function removePasskeyCall(account: string, passkey: PasskeyPublicKey): AccountCall {
  const k = requirePasskey("passkey", passkey);
  return selfCall(account, accountInterface.encodeFunctionData("removePasskey", [k.x, k.y]));
}

/** The call, from the account to itself, that appoints `guardian`. */
export function addGuardianCall(account: string, guardian: string): AccountCall {
  return selfCall(account, accountInterface.encodeFunctionData("addGuardian", [requireAddress("guardian", guardian)]));
}

/** The call, from the account to itself, that removes `guardian` (and a recovery it proposed). */
export function removeGuardianCall(account: string, guardian: string): AccountCall {
  return selfCall(account, accountInterface.encodeFunctionData("removeGuardian", [requireAddress("guardian", guardian)]));
}

/** The call, from the account to itself, that cancels the pending recovery. */
export function cancelRecoveryCall(account: string): AccountCall {
  return selfCall(account, accountInterface.encodeFunctionData("cancelRecovery"));
}

/** The call that sets the account's break-glass opt-out on the consent registry at `consentRegistry`. */
export function breakGlassOptOutCall(consentRegistry: string, account: string, optedOut: boolean): AccountCall {
  if (typeof optedOut !== "boolean") throw new ValidationError("optedOut", "must be true or false");
  const data = ConsentRegistry__factory.createInterface().encodeFunctionData("setBreakGlassOptOut", [requireAddress("account", account), optedOut]);
  return { target: requireAddress("consentRegistry", consentRegistry), value: 0n, data };
}

function selfCall(account: string, data: string): AccountCall {
  return { target: requireAddress("account", account), value: 0n, data };
}

/** The typed client of one PatientAccount. */
export class PatientAccountClient {
  /** The typechain contract, for calls the client does not wrap. */
  readonly contract: PatientAccount;

  /** @param contract the account, connected to a Signer (a relayer, a guardian) or a Provider (reads) */
  constructor(contract: PatientAccount) {
    this.contract = contract;
  }

  /**
   * The client of the account at `account`, through `runner`.
   * @throws {ValidationError} naming `account`
   */
  static at(account: string, runner: ContractRunner): PatientAccountClient {
    return new PatientAccountClient(PatientAccount__factory.connect(requireAddress("account", account), runner));
  }

  /** The account's address. */
  get address(): string {
    return this.contract.target as string;
  }

  /** Whether `passkey` signs for the account. */
  async isPasskey(passkey: PasskeyPublicKey): Promise<boolean> {
    const k = requirePasskey("passkey", passkey);
    return read(() => this.contract.isPasskey(k.x, k.y), this.contract.runner);
  }

  /** Whether `guardian` is a guardian of the account. */
  async isGuardian(guardian: string): Promise<boolean> {
    const g = requireAddress("guardian", guardian);
    return read(() => this.contract.isGuardian(g), this.contract.runner);
  }

  /** The pending recovery, or undefined when none. */
  async pendingRecovery(): Promise<PendingRecovery | undefined> {
    const r = await read(() => this.contract.pendingRecovery(), this.contract.runner);
    if (r.readyAt === 0n) return undefined;
    return { passkey: { x: r.x, y: r.y }, guardian: r.guardian, readyAt: Number(r.readyAt) };
  }

  /** The next nonce of sequence `key` (0 while the account is not deployed). */
  async nonce(key: bigint | number = 0n): Promise<bigint> {
    const k = BigInt(key);
    if (k < 0n || k > MAX_UINT192) throw new ValidationError("key", `${String(key)} is not a nonce key (0 to 2^192-1)`);
    const provider = this.contract.runner?.provider;
    if (provider && (await read(() => provider.getCode(this.address), this.contract.runner)) === "0x") return k << 64n;
    return read(() => this.contract["nonces(address,uint192)"](this.address, k), this.contract.runner);
  }

  /**
   * The account's passkey (`signer`) signs a batch for a relayer ({@link submitExecute}). Needs no gas.
   * @throws {ValidationError} naming the field
   */
  async signExecute(signer: PasskeySigner, params: ExecuteParams): Promise<SignedExecution> {
    if (signer.account !== this.address) throw new ValidationError("signer", `signs for ${signer.account}, not for this account ${this.address}`);
    const calls = requireCalls(params.calls);
    const deadline = BigInt(requireTime("deadline", params.deadline));
    const nonce = params.nonce ?? (await this.nonce(params.key ?? 0n));
    const signature = await signer.signExecute({ calls, nonce, deadline });
    return { account: this.address, calls, nonce, deadline, signature };
  }

  /**
   * Submits a signed batch; the connected signer (the relayer) pays the gas.
   * @throws {ContractRevertError} e.g. `InvalidExecutionSignature`, `InvalidAccountNonce`, `ExecutionExpired`, or a call's own error
   */
  async submitExecute(signed: SignedExecution, overrides: Overrides = {}): Promise<TxHandle<{ nonce: bigint; relayer: string }>> {
    const relayer = requireSigner(this.contract.runner);
    if (requireAddress("signed.account", signed.account) !== this.address) throw new ValidationError("signed.account", `is ${signed.account}, not this account ${this.address}`);
    const calls = requireCalls(signed.calls);
    return send(
      () => this.contract.executeBySig(calls, signed.nonce, signed.deadline, signed.signature, overrides),
      (receipt) => this.#executed(receipt),
      relayer,
    );
  }

  /**
   * A guardian (the connected signer) proposes `passkey` for a patient who lost theirs.
   * @throws {ContractRevertError} e.g. `UnknownGuardian`, `RecoveryAlreadyPending`, `InvalidPasskey`
   */
  async proposeRecovery(passkey: PasskeyPublicKey, overrides: Overrides = {}): Promise<TxHandle<{ readyAt: number }>> {
    const k = requirePasskey("passkey", passkey);
    return send(
      () => this.contract.proposeRecovery(k.x, k.y, overrides),
      (receipt) => ({ readyAt: Number(eventIn(this.contract, receipt, "RecoveryProposed").args.readyAt) }),
      requireSigner(this.contract.runner),
    );
  }

  /**
   * Adds the pending recovery's passkey once its delay has passed; anyone may submit it.
   * @throws {ContractRevertError} e.g. `NoRecoveryPending`, `RecoveryNotReady`
   */
  async completeRecovery(overrides: Overrides = {}): Promise<TxHandle<{ passkey: PasskeyPublicKey }>> {
    return send(
      () => this.contract.completeRecovery(overrides),
      (receipt) => {
        const e = eventIn(this.contract, receipt, "RecoveryCompleted");
        return { passkey: { x: e.args.x as string, y: e.args.y as string } };
      },
      requireSigner(this.contract.runner),
    );
  }

  #executed(receipt: TransactionReceipt): { nonce: bigint; relayer: string } {
    const e = eventIn(this.contract, receipt, "ExecutedBySig");
    return { nonce: e.args.nonce as bigint, relayer: e.args.relayer as string };
  }
}

/** The typed client of the PatientAccountFactory. */
export class PatientAccountFactoryClient {
  /** The typechain contract. */
  readonly contract: PatientAccountFactory;

  /** @param contract the factory, connected to a Signer (a relayer, to create) or a Provider (to predict) */
  constructor(contract: PatientAccountFactory) {
    this.contract = contract;
  }

  /**
   * The client of the factory at `factory`, through `runner`.
   * @throws {ValidationError} naming `factory`
   */
  static at(factory: string, runner: ContractRunner): PatientAccountFactoryClient {
    return new PatientAccountFactoryClient(PatientAccountFactory__factory.connect(requireAddress("factory", factory), runner));
  }

  /** The address of the account of `passkey` and `salt`, deployed or not. */
  async predictAddress(passkey: PasskeyPublicKey, salt: bigint | number = 0n): Promise<string> {
    const k = requirePasskey("passkey", passkey);
    return read(() => this.contract.predictAddress(k.x, k.y, requireSalt(salt)), this.contract.runner);
  }

  /**
   * Creates the account of `passkey` and `salt` unless it exists; the connected signer (a relayer) pays.
   * Resolves with the account's address, and the creation's handle when it was sent.
   * @throws {ContractRevertError} e.g. `InvalidPasskey`
   */
  async deployIfNeeded(params: { passkey: PasskeyPublicKey; salt?: bigint | number }, overrides: Overrides = {}): Promise<{ account: string; created?: TxHandle<{ account: string }> }> {
    const relayer = requireSigner(this.contract.runner);
    const k = requirePasskey("passkey", params.passkey);
    const salt = requireSalt(params.salt ?? 0n);
    const account = await this.predictAddress(k, salt);
    const provider = relayer.provider;
    if (provider && (await read(() => provider.getCode(account), relayer)) !== "0x") return { account };
    const created = await send(
      () => this.contract.createAccount(k.x, k.y, salt, overrides),
      (receipt) => ({ account: eventIn(this.contract, receipt, "AccountCreated").args.account as string }),
      relayer,
    );
    return { account, created };
  }
}

function requireSalt(salt: unknown): bigint {
  if ((typeof salt === "bigint" && salt >= 0n && salt < 1n << 256n) || (typeof salt === "number" && Number.isSafeInteger(salt) && salt >= 0)) return BigInt(salt);
  throw new ValidationError("salt", `${String(salt)} is not a salt (a whole number, 0 to 2^256-1)`);
}
