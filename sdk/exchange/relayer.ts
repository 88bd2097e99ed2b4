/**
 * A relayer's client: hands a patient's signed consent action to a relayer (`npm run relayer`), which
 * checks it, pays its gas and submits it, then follows it to its end. Every refusal is a
 * {@link RelayerError} carrying the relayer's stable problem `code`, the offending `field` and, for a call
 * the contract would refuse, the custom error's name (decoded by the relayer with the SDK's table).
 */
import { CareLedgerError } from "../errors";
import { actionBody, type ActionBinding, type RelayAction } from "./relayActions";

/** Where an action is: recorded, sent (its transaction), mined (its result), or settled without it. */
export type ActionStatus = "accepted" | "submitted" | "confirmed" | "failed";

/** An action as the relayer reports it (`GET /actions/{id}`). */
export interface RelayedAction {
  /** Its id: the EIP-712 digest the patient signed. */
  readonly id: string;
  readonly kind: string;
  readonly patient: string;
  readonly status: ActionStatus;
  /** Its transaction, once submitted (the last one, when it was sent again). */
  readonly txHash?: string;
  /** The block it was mined in, once confirmed. */
  readonly blockNumber?: number;
  /** What it did, decoded from the receipt (e.g. the grant's terms, the delegation). */
  readonly result?: Readonly<Record<string, unknown>>;
  /**
   * Why it failed: a stable code (`NONCE_CONSUMED` when another submitter spent the signature first,
   * `REVERTED`, `SIGNATURE_CANCELLED` …) and, for a revert, the contract's error name.
   */
  readonly reason?: { readonly code: string; readonly message: string; readonly errorName?: string };
  readonly acceptedAt: string;
  readonly updatedAt: string;
}

/** A problem the relayer answered with (`application/problem+json`). */
export interface RelayerProblem {
  readonly status: number;
  readonly code: string;
  readonly title?: string;
  readonly detail?: string;
  readonly field?: string;
  readonly errorName?: string;
  readonly args?: Readonly<Record<string, unknown>>;
}

/**
 * A relayer's refusal or failure. `code` is the relayer's (e.g. `INVALID_INPUT`, `INVALID_SIGNATURE`,
 * `SIGNATURE_EXPIRED`, `WRONG_CHAIN`, `WRONG_CONTRACT`, `RATE_LIMITED`, `RELAYER_UNDERFUNDED`,
 * `GAS_CAP_EXCEEDED`, or the contract's error as a code such as `SIGNATURE_CANCELLED`), `RELAYER_UNREACHABLE`
 * when it could not be reached, `ACTION_FAILED` when {@link RelayerClient.waitFor} saw the action fail,
 * `TIMEOUT` when it did not end in time.
 */
export class RelayerError extends CareLedgerError {
  /** The HTTP status (0 when the relayer could not be reached). */
  readonly status: number;
  /** The offending field of the body, when one is to blame. */
  readonly field?: string;
  /** The contract's custom error, when the call would revert (or did). */
  readonly errorName?: string;
  /** Seconds to wait before trying again (429, 503). */
  readonly retryAfter?: number;
  /** The action, for `ACTION_FAILED` and `TIMEOUT`. */
  readonly action?: RelayedAction;

  constructor(code: string, message: string, details: { status: number; field?: string; errorName?: string; retryAfter?: number; action?: RelayedAction; cause?: unknown }) {
    super(code, message, { cause: details.cause });
    this.status = details.status;
    this.field = details.field;
    this.errorName = details.errorName;
    this.retryAfter = details.retryAfter;
    this.action = details.action;
  }
}

/** Options of {@link RelayerClient}. */
export interface RelayerClientOptions {
  /** The fetch to use (default the global one). */
  readonly fetch?: typeof fetch;
}

/** The typed client of one relayer. */
export class RelayerClient {
  readonly #url: string;
  readonly #fetch: typeof fetch;

  /** @param url the relayer's origin, e.g. `https://relayer.example` */
  constructor(url: string, options: RelayerClientOptions = {}) {
    this.#url = url.replace(/\/+$/, "");
    this.#fetch = options.fetch ?? fetch;
  }

  async #call(method: "GET" | "POST", path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    let res: Response;
    try {
      res = await this.#fetch(this.#url + path, { method, headers: body === undefined ? {} : { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      throw new RelayerError("RELAYER_UNREACHABLE", `the relayer at ${this.#url} could not be reached: ${(err as Error).message}`, { status: 0, cause: err });
    }
    let json: unknown;
    try {
      json = await res.json();
    } catch {
      json = undefined;
    }
    if (res.status >= 400) {
      const p = (json ?? {}) as Partial<RelayerProblem>;
      const retry = Number(res.headers.get("retry-after"));
      throw new RelayerError(p.code ?? "RELAYER_REFUSED", p.detail ?? p.title ?? `the relayer answered ${res.status}`, {
        status: res.status,
        field: p.field,
        errorName: p.errorName,
        retryAfter: Number.isFinite(retry) && retry > 0 ? retry : undefined,
      });
    }
    return { status: res.status, json };
  }

  /**
   * Hands a signed action to the relayer, bound to what it was signed for (`binding`, e.g.
   * `{ chainId: careledger.chainId, verifyingContract: careledger.addresses.ConsentRegistry }`; for an
   * `accountExecute`, `{ chainId, verifyingContract: account }`). A patient whose account is not deployed
   * yet sends its first passkey and salt (`options.account`): the relayer deploys it with this action.
   * Posting the same signed action again gives the same action (it is paid for once).
   * @returns the action as recorded (`accepted`, or further along when it was posted before)
   * @throws {RelayerError} with the relayer's code, and the field or the contract's error to blame
   */
  async relay(action: RelayAction, binding: ActionBinding, options: Parameters<typeof actionBody>[2] = {}): Promise<RelayedAction> {
    const { json } = await this.#call("POST", "/actions", actionBody(action, binding, options));
    return json as RelayedAction;
  }

  /** The action `id` now. @throws {RelayerError} `NOT_FOUND` when the relayer has no such action */
  async status(id: string): Promise<RelayedAction> {
    if (!/^0x[0-9a-fA-F]{64}$/.test(id)) throw new RelayerError("INVALID_INPUT", `id: ${JSON.stringify(id)} is not an action id (0x and 64 hex digits)`, { status: 0, field: "id" });
    return (await this.#call("GET", `/actions/${id.toLowerCase()}`)).json as RelayedAction;
  }

  /**
   * Waits until the action is confirmed (polling every `intervalMs`, default 500, for at most `timeoutMs`, default 120 s).
   * @throws {RelayerError} `ACTION_FAILED` (with the reason's code and error name) when it failed; `TIMEOUT`
   */
  async waitFor(id: string, options: { intervalMs?: number; timeoutMs?: number } = {}): Promise<RelayedAction> {
    const end = Date.now() + (options.timeoutMs ?? 120_000);
    for (;;) {
      const action = await this.status(id);
      if (action.status === "confirmed") return action;
      if (action.status === "failed") {
        throw new RelayerError("ACTION_FAILED", `${action.kind} ${id} failed: ${action.reason?.code ?? "unknown"}: ${action.reason?.message ?? ""}`, { status: 200, errorName: action.reason?.errorName, action });
      }
      if (Date.now() >= end) throw new RelayerError("TIMEOUT", `${action.kind} ${id} is still ${action.status}`, { status: 200, action });
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 500));
    }
  }
}
