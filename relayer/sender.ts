/**
 * The relayer's one sender: one key, its own nonces, one transaction at a time. Each round it settles
 * what it sent (relayer/store.ts `submittedBy`) against the chain, then claims accepted actions and
 * sends them:
 *
 * 1. claim the oldest accepted action under its row lock; simulate its call again (the chain moved since
 *    it was accepted); sign its transaction with the next nonce; write the signed transaction — then let
 *    the lock go and broadcast it. A process killed before the broadcast finds it written at start.
 * 2. reconcile each submitted action: its receipt settles it (confirmed, with the decoded result; or
 *    failed); a transaction still pending is waited for; one the node does not know was never broadcast
 *    (or was dropped): when its signature was spent meanwhile by another submitter, the action is settled
 *    as such (`NONCE_CONSUMED`) and its nonce filled by a transfer to itself if a later one waits on it;
 *    else the same signed transaction is broadcast again (same nonce: it can be paid at most once).
 *
 * Nothing here knows a kind: the kinds (relayer/kinds.ts) build, check and decode.
 */
import { Transaction, type TransactionReceipt, type Wallet } from "ethers";
import { ContractRevertError, toCareLedgerError } from "../sdk/errors";
import type { ActionKind, KindContext } from "./kinds";
import type { ActionRow, ActionStore, ClaimOutcome } from "./store";

/** Options of {@link Sender}. */
export interface SenderOptions {
  /** The most gas one action may use. */
  readonly gasCap: bigint;
  /** How often it looks for work when not nudged (ms). */
  readonly pollMs: number;
  /** Which process this is (its key's lease). */
  readonly instance: string;
  /** How long its lease on the key lasts unrenewed (s). */
  readonly leaseSeconds: number;
  /** Blocks on top of an action's block before it is confirmed (default 1: the block itself). */
  readonly confirmations?: number;
  /** A line for the operator (never a signature, never a patient). */
  readonly log?: (level: "info" | "warn" | "error", fields: Record<string, unknown>, message: string) => void;
}

/** The failure of an action, as stored. */
export type Reason = { code: string; message: string; errorName?: string };

/** Why a call would revert, decoded by the SDK; undefined when it would not. */
export async function simulate(ctx: KindContext, from: string, call: { to: string; data: string }): Promise<ContractRevertError | undefined> {
  try {
    await ctx.provider.call({ from, to: call.to, data: call.data, blockTag: "latest" });
    return undefined;
  } catch (err) {
    const e = toCareLedgerError(err);
    if (e instanceof ContractRevertError) return e;
    throw e;
  }
}

export class Sender {
  readonly #ctx: KindContext;
  readonly #store: ActionStore;
  readonly #wallet: Wallet;
  readonly #kinds: ReadonlyMap<string, ActionKind>;
  readonly #options: SenderOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = true;
  #chainId: bigint | undefined;

  constructor(ctx: KindContext, store: ActionStore, wallet: Wallet, kinds: ReadonlyMap<string, ActionKind>, options: SenderOptions) {
    this.#ctx = ctx;
    this.#store = store;
    this.#wallet = wallet;
    this.#kinds = kinds;
    this.#options = options;
  }

  get address(): string {
    return this.#wallet.address;
  }

  #log(level: "info" | "warn" | "error", fields: Record<string, unknown>, message: string): void {
    this.#options.log?.(level, fields, message);
  }

  /** Starts its rounds (the first at once: what a killed process left is settled first). */
  start(): void {
    this.#stopped = false;
    this.nudge();
  }

  /** Runs a round now (or right after the one under way). */
  nudge(): void {
    if (this.#stopped) return;
    if (this.#running !== undefined) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#running = this.round()
      .catch((err: unknown) => this.#log("warn", { err: (err as Error).message }, "relaying round failed; actions kept for the next round"))
      .finally(() => {
        this.#running = undefined;
        if (this.#stopped) return;
        if (this.#again) {
          this.#again = false;
          this.nudge();
        } else this.#timer = setTimeout(() => this.nudge(), this.#options.pollMs);
      });
  }

  /** Stops after the round under way, and gives the key's lease back. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
    await this.#store.release(this.address, this.#options.instance).catch(() => undefined);
  }

  /** One round: settle what was sent, then send what was accepted. */
  async round(): Promise<void> {
    if (!(await this.#store.lease(this.address, this.#options.instance, this.#options.leaseSeconds))) {
      this.#log("error", { sender: this.address }, "another instance signs with this key: this one sends nothing until its lease ends");
      return;
    }
    await this.#store.reopenClaims(this.address);
    await this.reconcile();
    for (let i = 0; i < 64 && !this.#stopped; i++) {
      const claimed = await this.#store.claimNext(this.address);
      if (claimed === undefined) break;
      // Prepared outside any transaction (the node may be slow); written only while the claim is still ours.
      const row = await this.#store.settleClaim(claimed.id, this.address, await this.#prepare(claimed, () => this.#store.highestOpenNonce(this.address)));
      if (row === undefined) {
        this.#log("warn", { action: claimed.id }, "claim taken back while it was prepared; nothing sent");
        continue;
      }
      if (row.status === "failed") {
        this.#log("warn", { action: row.id, kind: row.kind, code: row.reason?.code }, "action failed before it was sent");
        continue;
      }
      await this.#broadcast(row);
      // Settled by a round right after this one (on a chain that mines at once, at once).
      this.#again = true;
    }
  }

  async #broadcast(row: ActionRow): Promise<void> {
    try {
      await this.#ctx.provider.broadcastTransaction(row.raw_tx!);
      this.#log("info", { action: row.id, kind: row.kind, tx: row.tx_hash, nonce: Number(row.tx_nonce) }, "action submitted");
    } catch (err) {
      // Settled by the next reconciliation (already known, mined, or to be sent again).
      this.#log("warn", { action: row.id, tx: row.tx_hash, err: (toCareLedgerError(err) as Error).message }, "broadcast not taken; reconciled next round");
    }
  }

  /** The claimed action's signed transaction, or its failure (the chain refuses it now). */
  async #prepare(row: ActionRow, highestOpen: () => Promise<number>): Promise<ClaimOutcome> {
    const kind = this.#kinds.get(row.kind);
    if (kind === undefined) return { status: "failed", reason: { code: "UNKNOWN_KIND", message: `this relayer does not submit ${row.kind}` } };
    const action = kind.read(row.body);
    const call = await kind.transaction(this.#ctx, action);
    const revert = await simulate(this.#ctx, this.address, call);
    if (revert !== undefined) return { status: "failed", reason: await this.#refused(kind, action, revert) };
    const gas = await this.#ctx.provider.estimateGas({ from: this.address, to: call.to, data: call.data });
    if (gas > this.#options.gasCap) return { status: "failed", reason: { code: "GAS_CAP_EXCEEDED", message: `it needs ${gas} gas, more than this relayer pays for one action (${this.#options.gasCap})` } };
    const gasLimit = (gas * 12n) / 10n > this.#options.gasCap ? this.#options.gasCap : (gas * 12n) / 10n;
    const [pending, open, fees] = await Promise.all([this.#ctx.provider.getTransactionCount(this.address, "pending"), highestOpen(), this.#ctx.provider.getFeeData()]);
    this.#chainId ??= (await this.#ctx.provider.getNetwork()).chainId;
    const nonce = Math.max(pending, open + 1);
    const rawTx = await this.#wallet.signTransaction({
      type: 2,
      chainId: this.#chainId,
      nonce,
      to: call.to,
      data: call.data,
      gasLimit,
      maxFeePerGas: fees.maxFeePerGas ?? fees.gasPrice ?? 0n,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas ?? 0n,
      value: 0n,
    });
    return { status: "submitted", nonce, txHash: Transaction.from(rawTx).hash!, rawTx, gasLimit };
  }

  /** A refusal's reason: `NONCE_CONSUMED` when another submitter spent the signature, else the contract's error. */
  async #refused(kind: ActionKind, action: unknown, revert: ContractRevertError): Promise<Reason> {
    if (await kind.consumed(this.#ctx, action).catch(() => false)) {
      return { code: "NONCE_CONSUMED", message: "its signature was used by another transaction (another submitter relayed it, or the patient signed another action for the same pair)", errorName: revert.errorName };
    }
    return { code: revert.code, message: revert.message, errorName: revert.errorName };
  }

  /** Settles every action this key sent against the chain (see the file's comment). */
  async reconcile(): Promise<void> {
    const rows = await this.#store.submittedBy(this.address);
    if (rows.length === 0) return;
    const provider = this.#ctx.provider;
    const head = await provider.getBlockNumber();
    const minedNonce = await provider.getTransactionCount(this.address, "latest");
    for (const row of rows) {
      const kind = this.#kinds.get(row.kind)!;
      const receipt = await provider.getTransactionReceipt(row.tx_hash!);
      if (receipt !== null) {
        if (head - receipt.blockNumber + 1 >= (this.#options.confirmations ?? 1)) await this.#settle(row, kind, receipt);
        continue;
      }
      if ((await provider.getTransaction(row.tx_hash!)) !== null) continue; // pending: wait for it
      const action = kind.read(row.body);
      if (await kind.consumed(this.#ctx, action)) {
        // Spent by another submitter while ours was not on chain: settled as such. A later transaction of
        // ours waits on this nonce: filled by a transfer to ourselves.
        await this.#store.fail(row.id, { code: "NONCE_CONSUMED", message: "its signature was used by another transaction before this relayer's reached the chain" });
        this.#log("warn", { action: row.id, kind: row.kind }, "action settled by another submitter");
        if (Number(row.tx_nonce) >= minedNonce && rows.some((r) => Number(r.tx_nonce) > Number(row.tx_nonce))) await this.#fillNonce(Number(row.tx_nonce));
        continue;
      }
      if (Number(row.tx_nonce) < minedNonce) {
        // Its nonce went to another transaction of this key (a second process on the key): send it anew.
        await this.#store.reopen(row.id);
        continue;
      }
      await this.#broadcast(row);
    }
  }

  async #settle(row: ActionRow, kind: ActionKind, receipt: TransactionReceipt): Promise<void> {
    if (receipt.status === 1) {
      await this.#store.confirm(row.id, receipt.blockNumber, kind.result(this.#ctx, receipt));
      this.#log("info", { action: row.id, kind: row.kind, tx: row.tx_hash, block: receipt.blockNumber, gasUsed: receipt.gasUsed.toString() }, "action confirmed");
      return;
    }
    const action = kind.read(row.body);
    const consumed = await kind.consumed(this.#ctx, action).catch(() => false);
    await this.#store.fail(
      row.id,
      consumed
        ? { code: "NONCE_CONSUMED", message: "its signature was used by another transaction in an earlier position; this relayer's reverted" }
        : { code: "REVERTED", message: `its transaction reverted in block ${receipt.blockNumber}` },
      receipt.blockNumber,
    );
    this.#log("warn", { action: row.id, kind: row.kind, tx: row.tx_hash, block: receipt.blockNumber }, "action's transaction reverted");
  }

  async #fillNonce(nonce: number): Promise<void> {
    const fees = await this.#ctx.provider.getFeeData();
    this.#chainId ??= (await this.#ctx.provider.getNetwork()).chainId;
    const raw = await this.#wallet.signTransaction({ type: 2, chainId: this.#chainId, nonce, to: this.address, value: 0n, gasLimit: 21_000n, maxFeePerGas: fees.maxFeePerGas ?? 0n, maxPriorityFeePerGas: fees.maxPriorityFeePerGas ?? 0n });
    await this.#ctx.provider.broadcastTransaction(raw).catch(() => undefined);
  }
}
