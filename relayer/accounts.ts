/**
 * Patients' passkey accounts at the relayer (issue 16): the first relayed action deploys the account, and
 * the account's own signed batches (`accountExecute`) are relayed like the consent kinds.
 *
 * ## Deploying with the first action: one transaction
 * An action may carry the account's first passkey and salt (`account` in the body, the SDK's
 * `AccountDeployment`). When the patient's address has no code, the relayer checks that the factory
 * predicts that address from them (`ACCOUNT_MISMATCH` otherwise), and the action's transaction becomes
 * `factory.createAccountAndCall(x, y, salt, target, call)`: the idempotent creation, then the action's own
 * call (the registry's `…BySig`, or the account's `executeBySig`) — one transaction, one nonce, one row, so
 * the sender's crash-safety holds unchanged (there is no moment between the deployment and the action).
 * If someone else deploys the account first, the creation is skipped and the call still runs.
 *
 * ## Checking a signature for an account that does not exist yet
 * ERC-1271 cannot be asked of an address without code, and the registry checks nothing else. So the
 * relayer asks the account as it will be: it simulates (eth_call at the latest block)
 * `createAccountAndCall(x, y, salt, account, isValidSignature(digest, signature))` and reads the
 * account's answer from the returned bytes — the exact code and the exact first passkey the action's
 * transaction will create. An `accountExecute`'s signature is raw (its own EIP-712 domain, not ERC-7739),
 * so it is checked by simulating its transaction and reading `InvalidExecutionSignature`; its other
 * refusals (nonce, an inner call's error) then come from the pipeline's simulation.
 * ERC-6492 would carry the same deployment inside the signature, but the registry (OpenZeppelin's
 * `SignatureChecker`) does not unwrap it: the account must exist when the registry asks it, which the
 * one transaction gives.
 */
import { AbiCoder, ZeroAddress, type TransactionReceipt } from "ethers";
import { PatientAccount__factory } from "../typechain-types/factories/contracts/accounts/PatientAccount__factory";
import { PatientAccountFactory__factory } from "../typechain-types/factories/contracts/accounts/PatientAccountFactory__factory";
import { actionDigest, actionFromJson, type AccountDeployment, type AccountExecuteAction, type ActionBinding } from "../sdk/exchange/relayActions";
import { ValidationError } from "../sdk/errors";
import type { ActionCall, ActionKind, KindContext } from "./kinds";
import { RelayerProblem } from "./problem";
import { simulate } from "./sender";

const ERC1271_MAGIC = "0x1626ba7e";
const factoryInterface = PatientAccountFactory__factory.createInterface();
const accountInterface = PatientAccount__factory.createInterface();

/** The factory of the suite on the relayer's chain. @throws {RelayerProblem} 422 when the address book has none */
function factoryAddress(ctx: KindContext): string {
  const factory = ctx.careledger.accounts?.factory.contract.target;
  if (factory === undefined) throw new RelayerProblem(422, "ACCOUNTS_UNSUPPORTED", "this relayer's deployment has no passkey account factory: it cannot deploy an account", { field: "account" });
  return factory as string;
}

/** Whether `address` has code at the latest block. */
export async function hasCode(ctx: KindContext, address: string): Promise<boolean> {
  return (await ctx.provider.getCode(address, "latest")) !== "0x";
}

/**
 * Checks that `deployment` is the patient's: the factory predicts `patient` from its passkey and salt.
 * @throws {RelayerProblem} 422 `ACCOUNT_MISMATCH` naming `account`
 */
export async function checkDeployment(ctx: KindContext, patient: string, deployment: AccountDeployment): Promise<void> {
  const factory = PatientAccountFactory__factory.connect(factoryAddress(ctx), ctx.provider);
  const predicted = await factory.predictAddress(deployment.passkey.x, deployment.passkey.y, deployment.salt);
  if (predicted.toLowerCase() !== patient.toLowerCase()) {
    throw new RelayerProblem(422, "ACCOUNT_MISMATCH", `the account's passkey and salt predict ${predicted}, not the patient ${patient}: the relayer deploys only the patient's own account`, { field: "account" });
  }
}

/** `call` preceded by the account's deployment: the factory's `createAccountAndCall`. */
export function deployingCall(ctx: KindContext, deployment: AccountDeployment, call: ActionCall): ActionCall {
  const { x, y } = deployment.passkey;
  return { to: factoryAddress(ctx), data: factoryInterface.encodeFunctionData("createAccountAndCall", [x, y, deployment.salt, call.to, call.data]) };
}

/** The action's call, preceded by the deployment when the patient has no code yet and the body carries it. */
export async function withDeployment(ctx: KindContext, patient: string, deployment: AccountDeployment | undefined, call: ActionCall): Promise<ActionCall> {
  if (deployment === undefined || (await hasCode(ctx, patient))) return call;
  return deployingCall(ctx, deployment, call);
}

/** Whether the account `deployment` creates at `account` accepts `signature` over `digest` (ERC-1271), asked by simulation. */
export async function undeployedAccepts(ctx: KindContext, account: string, deployment: AccountDeployment, digest: string, signature: string): Promise<boolean> {
  const ask = { to: account, data: accountInterface.encodeFunctionData("isValidSignature", [digest, signature]) };
  try {
    const out = await ctx.provider.call({ ...deployingCall(ctx, deployment, ask), blockTag: "latest" });
    const [, result] = factoryInterface.decodeFunctionResult("createAccountAndCall", out) as unknown as [string, string];
    return AbiCoder.defaultAbiCoder().decode(["bytes4"], result)[0] === ERC1271_MAGIC;
  } catch (err) {
    if (err instanceof RelayerProblem) throw err;
    if ((err as { code?: string }).code === "CALL_EXCEPTION") return false;
    throw err;
  }
}

/** Whether the account created or operated by `receipt` was created by it. */
function created(ctx: KindContext, receipt: TransactionReceipt): boolean {
  const factory = ctx.careledger.accounts?.factory.contract.target;
  if (factory === undefined) return false;
  const topic = factoryInterface.getEvent("AccountCreated").topicHash;
  return receipt.logs.some((l) => l.address.toLowerCase() === String(factory).toLowerCase() && l.topics[0] === topic);
}

/** What an action did to its account: `{ accountCreated: true }` when its transaction deployed it. */
export function deploymentResult(ctx: KindContext, receipt: TransactionReceipt): Record<string, unknown> {
  return created(ctx, receipt) ? { accountCreated: true } : {};
}

type Execution = AccountExecuteAction & { readonly binding: ActionBinding; readonly account?: AccountDeployment };

/**
 * `accountExecute`: a batch the account's passkey signed (`PatientAccountClient.signExecute`), relayed to
 * the account's `executeBySig` — passkeys, guardians, recovery, the break-glass opt-out. Bound to the chain
 * and to the account (its own EIP-712 domain); its patient (allowance) is the account.
 */
export const ACCOUNT_EXECUTE_KIND: ActionKind<Execution> = {
  name: "accountExecute",
  read(body) {
    const a = actionFromJson(body);
    if (a.kind !== "accountExecute") throw new ValidationError("kind", `is ${a.kind}, not accountExecute`);
    return a as Execution;
  },
  id: (ctx, a) => actionDigest(ctx.domain, a).toLowerCase(),
  patient: (a) => a.signed.account,
  deadline: (a) => a.signed.deadline,
  binding: (a) => a.binding,
  contract: (_ctx, a) => a.signed.account,
  deployment: (a) => a.account,
  async verify(ctx, a) {
    if (a.account === undefined && !(await hasCode(ctx, a.signed.account))) return false;
    // Anyone may submit a signed batch: the simulation's sender does not matter.
    const revert = await simulate(ctx, ZeroAddress, await ACCOUNT_EXECUTE_KIND.transaction(ctx, a));
    return revert?.errorName !== "InvalidExecutionSignature";
  },
  async transaction(ctx, a) {
    const s = a.signed;
    const call = { to: s.account, data: accountInterface.encodeFunctionData("executeBySig", [s.calls, s.nonce, s.deadline, s.signature]) };
    return withDeployment(ctx, s.account, a.account, call);
  },
  async consumed(ctx, a) {
    if (!(await hasCode(ctx, a.signed.account))) return false;
    const account = PatientAccount__factory.connect(a.signed.account, ctx.provider);
    const next = await account["nonces(address,uint192)"](a.signed.account, a.signed.nonce >> 64n);
    return next > a.signed.nonce;
  },
  result(ctx, receipt) {
    const topic = accountInterface.getEvent("ExecutedBySig").topicHash;
    const log = receipt.logs.find((l) => l.topics[0] === topic);
    const e = log === undefined ? undefined : accountInterface.parseLog(log);
    return { account: log?.address, nonce: e?.args.nonce.toString(), calls: e === undefined || e === null ? undefined : Number(e.args.calls), ...deploymentResult(ctx, receipt) };
  },
};
