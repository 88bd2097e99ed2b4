/**
 * Errors as data. Every custom error of every CareLedger contract (and of the AccessManager that
 * governs them, and the standard ERC-20 errors of the settlement tokens) decodes into one {@link ContractRevertError} carrying a stable `code`, the error's
 * name and arguments, and a sentence a person can act on (the sentences are kept by domain, beside
 * this file). Whatever else a call threw is mapped to the SDK's typed errors where it can be.
 */
import { ErrorFragment, Interface, type Result } from "ethers";
import { AccessManager__factory } from "../../typechain-types/factories/@openzeppelin/contracts/access/manager/AccessManager__factory";
import { IERC20Errors__factory } from "../../typechain-types/factories/@openzeppelin/contracts/interfaces/draft-IERC6093.sol/IERC20Errors__factory";
import { PatientAccount__factory } from "../../typechain-types/factories/contracts/accounts/PatientAccount__factory";
import { PatientAccountFactory__factory } from "../../typechain-types/factories/contracts/accounts/PatientAccountFactory__factory";
import { ClaimsEscrow__factory } from "../../typechain-types/factories/contracts/claims/ClaimsEscrow__factory";
import { ClaimsLifecycle__factory } from "../../typechain-types/factories/contracts/claims/ClaimsLifecycle__factory";
import { ClaimsPlans__factory } from "../../typechain-types/factories/contracts/claims/ClaimsPlans__factory";
import { ConsentRegistry__factory } from "../../typechain-types/factories/contracts/consent/ConsentRegistry__factory";
import { DisclosureLog__factory } from "../../typechain-types/factories/contracts/consent/DisclosureLog__factory";
import { ClaimsEngine__factory } from "../../typechain-types/factories/contracts/claims/ClaimsEngine__factory";
import { ParticipantRegistry__factory } from "../../typechain-types/factories/contracts/participants/ParticipantRegistry__factory";
import { RecordRegistry__factory } from "../../typechain-types/factories/contracts/records/RecordRegistry__factory";
import { CareLedgerError, ContractRevertError, findRevertData, type ErrorArgs, type MessageTable } from "./base";
import { ACCOUNT_MESSAGES } from "./accounts";
import { CLAIM_MESSAGES } from "./claims";
import { CONSENT_MESSAGES } from "./consent";
import { DISCLOSURE_MESSAGES } from "./disclosures";
import { GOVERNANCE_MESSAGES } from "./governance";
import { findInsufficientFunds, findTransportFailure, messagesOf, NodeUnreachableError, NONCE_TOO_HIGH, NonceGapError, TransactionReplacedError } from "./network";
import { PARTICIPANT_MESSAGES } from "./participants";
import { RECORD_MESSAGES } from "./records";
import { TOKEN_MESSAGES } from "./tokens";

/**
 * One sentence per custom error, by name. A test checks that every error in every suite ABI has
 * one, so a new error cannot ship without an explanation.
 */
export const REVERT_MESSAGES: MessageTable = {
  ...PARTICIPANT_MESSAGES,
  ...RECORD_MESSAGES,
  ...CLAIM_MESSAGES,
  ...CONSENT_MESSAGES,
  ...DISCLOSURE_MESSAGES,
  ...GOVERNANCE_MESSAGES,
  ...TOKEN_MESSAGES,
  ...ACCOUNT_MESSAGES,
};

const PANIC_REASONS: Readonly<Record<number, string>> = {
  0x01: "an assertion failed",
  0x11: "an arithmetic operation overflowed or underflowed",
  0x12: "division by zero",
  0x21: "a value is out of range for its enum (for example an unknown organization kind)",
  0x32: "an array index is out of bounds",
};

/**
 * The ABIs whose errors the SDK decodes: every suite contract, the AccessManager, and the standard
 * ERC-20 errors (IERC20Errors) a settlement token raises when it refuses a transfer.
 */
function suiteErrorInterface(): Interface {
  const seen = new Map<string, ErrorFragment>();
  const suite = [
    ParticipantRegistry__factory,
    AccessManager__factory,
    ConsentRegistry__factory,
    DisclosureLog__factory,
    RecordRegistry__factory,
    ClaimsEngine__factory,
    ClaimsEscrow__factory,
    ClaimsLifecycle__factory,
    ClaimsPlans__factory,
    IERC20Errors__factory,
    PatientAccount__factory,
    PatientAccountFactory__factory,
  ];
  for (const { abi } of suite) {
    for (const item of abi) {
      if (item.type !== "error") continue;
      const fragment = ErrorFragment.from(item);
      seen.set(fragment.format("sighash"), fragment);
    }
  }
  return new Interface([...seen.values()]);
}

let errorInterface: Interface | undefined;

/** The interface holding every custom error of the suite (built once). */
export function suiteErrors(): Interface {
  return (errorInterface ??= suiteErrorInterface());
}

function namedArgs(fragment: ErrorFragment, result: Result): ErrorArgs {
  const out: ErrorArgs = {};
  fragment.inputs.forEach((input, i) => {
    out[input.name || `arg${i}`] = result[i];
  });
  return out;
}

/**
 * Decodes revert data into a {@link ContractRevertError}. Unknown selectors give `UnknownRevert`.
 * @param data the revert data, `0x` + 4-byte selector + ABI-encoded arguments
 */
export function decodeRevertData(data: string, cause?: unknown): ContractRevertError {
  const iface = suiteErrors();
  const selector = data.slice(0, 10).toLowerCase();
  if (selector === "0x08c379a0") {
    const [reason] = iface.getAbiCoder().decode(["string"], "0x" + data.slice(10));
    return new ContractRevertError("Error", { reason }, data, `reverted: ${String(reason)}`, cause);
  }
  if (selector === "0x4e487b71") {
    const [code] = iface.getAbiCoder().decode(["uint256"], "0x" + data.slice(10));
    const reason = PANIC_REASONS[Number(code)] ?? `panic code ${String(code)}`;
    return new ContractRevertError("Panic", { code }, data, `the contract panicked: ${reason}`, cause);
  }
  const fragment = iface.getError(selector);
  if (!fragment) {
    return new ContractRevertError("UnknownRevert", { selector }, data, `reverted with an error this SDK does not know (${selector})`, cause);
  }
  const args = namedArgs(fragment, iface.decodeErrorResult(fragment, data));
  const explain = REVERT_MESSAGES[fragment.name];
  const sentence = explain ? explain(args) : `reverted with ${fragment.name}`;
  return new ContractRevertError(fragment.name, args, data, `${fragment.name}: ${sentence}`, cause);
}

/**
 * Converts whatever a contract call threw into a {@link ContractRevertError} when it carries
 * revert data, a {@link TransactionReplacedError} or a {@link NodeUnreachableError} when the node
 * replaced the transaction or could not be reached, an {@link InsufficientFundsError} when the sender
 * cannot pay for it, and returns it unchanged otherwise (user rejections…).
 */
export function toCareLedgerError(err: unknown): unknown {
  if (err instanceof CareLedgerError) return err;
  const data = findRevertData(err);
  if (data) return decodeRevertData(data, err);
  const replaced = err as { code?: unknown; hash?: unknown; reason?: unknown; replacement?: { hash?: unknown } };
  if (replaced?.code === "TRANSACTION_REPLACED") return new TransactionReplacedError(String(replaced.hash), String(replaced.reason ?? "unknown"), replaced.replacement?.hash as string | undefined, err);
  const funds = findInsufficientFunds(err);
  if (funds) return funds;
  const gap = NONCE_TOO_HIGH.exec(messagesOf(err));
  if (gap) return new NonceGapError(undefined, Number(gap[2]), Number(gap[1]), err);
  const transport = findTransportFailure(err);
  return transport ? new NodeUnreachableError(transport, err) : err;
}

/**
 * Runs `fn` and rethrows any revert as a typed {@link ContractRevertError}.
 * @throws {ContractRevertError} when the call reverted
 */
export async function withDecodedErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toCareLedgerError(err);
  }
}
