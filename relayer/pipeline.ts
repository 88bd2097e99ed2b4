/**
 * What the relayer checks before it pays for anything, in order, each refusal a problem with a stable
 * code (relayer/problem.ts) and nothing recorded or paid:
 *
 * 1. the kind is one it submits, and the body is that kind's, field by field (the SDK's reader names the field);
 * 2. the action is bound to this chain and this registry, or for `accountExecute` the account it names (`WRONG_CHAIN`, `WRONG_CONTRACT`);
 * — an action recorded before is answered as it stands (the same signed action is one action) —
 * 3. the relayer can pay (`RELAYER_UNDERFUNDED` below its floor);
 * 4. the deadline has not passed at the latest block (`SIGNATURE_EXPIRED`); the account's passkey and salt, when
 *    sent, predict the patient's address (`ACCOUNT_MISMATCH`); the kind's own checks (`GRANTEE_NOT_REGISTERED`);
 * 5. the signature is the patient's, as the contract checks it: ECDSA, else ERC-1271 at the latest block, asked of the
 *    account as the action's transaction will create it when it has no code yet (`INVALID_SIGNATURE`);
 * 6. the exact call succeeds at the latest block (else the contract's error, decoded by the SDK: `SIGNATURE_CANCELLED`,
 *    `INVALID_NONCE`, `NOT_ACTIVE_…`), and its gas is within the cap (`GAS_CAP_EXCEEDED`).
 */
import type { Wallet } from "ethers";
import { CareLedgerError, ValidationError } from "../sdk/errors";
import type { ActionKind, KindContext } from "./kinds";
import { chainUnavailable, invalidInput, RelayerProblem, wouldRevert } from "./problem";
import { simulate } from "./sender";
import { checkDeployment } from "./accounts";

/** An action that passed the checks that need no chain (1, 2). */
export interface ReadAction {
  readonly kind: ActionKind;
  readonly action: unknown;
  readonly id: string;
  readonly patient: string;
}

/** Checks 1 and 2. @throws {RelayerProblem} */
export function readAction(ctx: KindContext & { chainId: bigint }, kinds: ReadonlyMap<string, ActionKind>, body: unknown): ReadAction {
  const name = body !== null && typeof body === "object" ? (body as { kind?: unknown }).kind : undefined;
  const kind = typeof name === "string" ? kinds.get(name) : undefined;
  if (kind === undefined) throw new RelayerProblem(400, "INVALID_INPUT", `kind: ${JSON.stringify(name)} is not one of ${[...kinds.keys()].join(", ")}`, { field: "kind" });
  let action: unknown;
  try {
    action = kind.read(body);
  } catch (err) {
    if (err instanceof ValidationError) throw invalidInput(err);
    throw err;
  }
  const binding = kind.binding(action);
  if (binding.chainId !== ctx.chainId) {
    throw new RelayerProblem(422, "WRONG_CHAIN", `the action is signed for chain ${binding.chainId}; this relayer submits to chain ${ctx.chainId}`, { field: "domain.chainId" });
  }
  const expected = kind.contract?.(ctx, action) ?? String(ctx.domain.verifyingContract);
  if (binding.verifyingContract.toLowerCase() !== expected.toLowerCase()) {
    throw new RelayerProblem(422, "WRONG_CONTRACT", `the action is signed for the contract at ${binding.verifyingContract}; this relayer submits it to ${expected}`, { field: "domain.verifyingContract" });
  }
  return { kind, action, id: kind.id(ctx, action), patient: kind.patient(action) };
}

/** Checks 3 to 6. @throws {RelayerProblem} */
export async function checkBeforePaying(ctx: KindContext, sender: Wallet, read: ReadAction, money: { floor: bigint; gasCap: bigint }): Promise<void> {
  const { kind, action } = read;
  let balance: bigint;
  let now: number;
  try {
    const [b, block] = await Promise.all([ctx.provider.getBalance(sender.address), ctx.provider.getBlock("latest")]);
    balance = b;
    now = block!.timestamp;
  } catch {
    throw chainUnavailable("to check the action");
  }
  if (balance < money.floor) {
    throw new RelayerProblem(503, "RELAYER_UNDERFUNDED", `the relayer's balance is below its floor (${money.floor} wei): it pays for nothing until its operator tops it up`, { headers: { "retry-after": "60" } });
  }
  const deadline = kind.deadline(action);
  if (deadline !== undefined && BigInt(now) > deadline) {
    throw new RelayerProblem(422, "SIGNATURE_EXPIRED", `the signature's deadline ${deadline} has passed (the latest block's time is ${now})`, { field: "request.deadline", errorName: "SignatureExpired" });
  }
  const deployment = kind.deployment?.(action);
  try {
    if (deployment !== undefined) await checkDeployment(ctx, read.patient, deployment);
    await kind.check?.(ctx, action);
  } catch (err) {
    if (err instanceof RelayerProblem) throw err;
    throw chainUnavailable("to check the action");
  }
  let signed: boolean;
  try {
    signed = await kind.verify(ctx, action);
  } catch (err) {
    if (err instanceof RelayerProblem) throw err;
    throw chainUnavailable("to check the signature");
  }
  if (!signed) throw new RelayerProblem(422, "INVALID_SIGNATURE", `the signature is not ${kind.patient(action)}'s over this action (neither its key's nor accepted by its account, ERC-1271)`, { field: "signature", errorName: "InvalidSignature" });
  const call = await kind.transaction(ctx, action);
  let gas: bigint;
  try {
    const revert = await simulate(ctx, sender.address, call);
    if (revert !== undefined) throw wouldRevert(revert);
    gas = await ctx.provider.estimateGas({ from: sender.address, to: call.to, data: call.data });
  } catch (err) {
    if (err instanceof RelayerProblem) throw err;
    if (err instanceof CareLedgerError && err.code !== "NODE_UNREACHABLE") throw new RelayerProblem(422, err.code, err.message);
    throw chainUnavailable("to simulate the call");
  }
  if (gas > money.gasCap) throw new RelayerProblem(422, "GAS_CAP_EXCEEDED", `the call needs ${gas} gas, more than this relayer pays for one action (${money.gasCap})`);
}
