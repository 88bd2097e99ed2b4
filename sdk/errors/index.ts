/**
 * The SDK's errors: the classes every part throws (base.ts), the decoding of reverts into them
 * (decode.ts, with one sentence per custom error kept by domain: participants.ts, records.ts,
 * claims.ts, consent.ts, disclosures.ts, governance.ts, accounts.ts; tokens.ts for the settlement tokens' standard ERC-20 errors),
 * and failures of the connection (network.ts).
 */
export { CareLedgerError, ContractRevertError, errorCode, findRevertData, ValidationError } from "./base";
export { decodeRevertData, REVERT_MESSAGES, suiteErrors, toCareLedgerError, withDecodedErrors } from "./decode";
export {
  findInsufficientFunds,
  findTransportFailure,
  InsufficientFundsError,
  NodeUnreachableError,
  NonceGapError,
  TransactionDroppedError,
  TransactionReplacedError,
  TransactionRevertedError,
  UnsupportedChainError,
} from "./network";
