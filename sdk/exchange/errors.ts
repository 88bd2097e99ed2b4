/** The exchange client's error: a gateway's (or an indexer's) refusal, or a resource or receipt that did not verify. */
import { CareLedgerError } from "../errors";
import type { VerificationResult } from "../records/types";

/** A refusal by the gateway (its OperationOutcome), or a resource that did not verify. */
export class ExchangeError extends CareLedgerError {
  /** The HTTP status (0 when the gateway could not be reached; 200 for a resource that did not verify). */
  readonly status: number;
  /** The OperationOutcome the gateway answered with, when it did. */
  readonly outcome?: { issue?: { severity?: string; code?: string; diagnostics?: string; expression?: string[] }[] };
  /** For `RECORD_NOT_VERIFIED`: each refused resource and what verification found. */
  readonly refused?: readonly { readonly reference: string; readonly verification?: VerificationResult; readonly problem: string }[];

  constructor(
    code: string,
    message: string,
    details: { status: number; outcome?: ExchangeError["outcome"]; refused?: ExchangeError["refused"]; cause?: unknown },
  ) {
    super(code, message, { cause: details.cause });
    this.status = details.status;
    this.outcome = details.outcome;
    this.refused = details.refused;
  }
}
