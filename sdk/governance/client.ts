/**
 * The `governance` client: the suite's AccessManager, for operators. Roles with an execution delay
 * (on real networks) schedule their calls here and execute them once the delay has passed.
 */
import type { Overrides } from "ethers";
import type { AccessManager } from "../../typechain-types/@openzeppelin/contracts/access/manager/AccessManager";
import { ValidationError } from "../errors";
import { read } from "../core/read";
import { eventIn, send, type TxHandle } from "../core/tx";
import { requireAddress } from "../core/validate";
import { Role, type RoleName } from "./roles";

/** A call to a managed contract, as `contract.fn.populateTransaction(...)` returns it. */
export interface ManagedCall {
  readonly to: string;
  readonly data: string;
}

/** The typed client of the suite's AccessManager. */
export class GovernanceClient {
  /** The typechain contract, for the AccessManager functions this client does not wrap. */
  readonly contract: AccessManager;

  constructor(contract: AccessManager) {
    this.contract = contract;
  }

  /** The AccessManager's address. */
  get address(): string {
    return this.contract.target as string;
  }

  /**
   * Whether `account` holds `role`, and with which execution delay (seconds).
   * @throws {ValidationError} when `account` is not an address
   */
  async hasRole(role: RoleName, account: string): Promise<{ isMember: boolean; executionDelay: number }> {
    const a = requireAddress("account", account);
    const [isMember, executionDelay] = await read(() => this.contract.hasRole(Role[role], a), this.contract.runner);
    return { isMember, executionDelay: Number(executionDelay) };
  }

  /**
   * Whether `caller` may make `call` now (`immediate`), or only after scheduling it `delay` seconds ahead.
   * @throws {ValidationError} when `caller` is not an address
   */
  async canCall(caller: string, call: ManagedCall): Promise<{ immediate: boolean; delay: number }> {
    const c = requireAddress("caller", caller);
    const [immediate, delay] = await read(() => this.contract.canCall(c, call.to, call.data.slice(0, 10)), this.contract.runner);
    return { immediate, delay: Number(delay) };
  }

  /**
   * Grants `role` to `account`; every call it makes under that role will need scheduling
   * `executionDelay` seconds ahead. Caller: the admin (scheduled, if the admin has a delay).
   * @throws {ValidationError} for a bad account or delay
   * @throws {ContractRevertError} e.g. `AccessManagerUnauthorizedAccount`
   */
  async grantRole(
    params: { role: RoleName; account: string; executionDelay?: number },
    overrides: Overrides = {},
  ): Promise<TxHandle<{ role: RoleName; account: string; executionDelay: number }>> {
    const account = requireAddress("account", params.account);
    const executionDelay = params.executionDelay ?? 0;
    if (!Number.isInteger(executionDelay) || executionDelay < 0 || executionDelay > 0xffffffff) {
      throw new ValidationError("executionDelay", `${executionDelay} is not a number of seconds (0 to 4294967295)`);
    }
    return send(() => this.contract.grantRole(Role[params.role], account, executionDelay, overrides), () => ({ role: params.role, account, executionDelay }), this.contract.runner);
  }

  /**
   * The connected signer gives up `role` (for the admin: after handing it to a multisig or timelock).
   * @throws {ContractRevertError} e.g. `AccessManagerBadConfirmation`
   */
  async renounceRole(params: { role: RoleName; self: string }, overrides: Overrides = {}): Promise<TxHandle<{ role: RoleName }>> {
    const self = requireAddress("self", params.self);
    return send(() => this.contract.renounceRole(Role[params.role], self, overrides), () => ({ role: params.role }), this.contract.runner);
  }

  /**
   * Schedules a delayed call; `when` 0 means as soon as the caller's delay allows.
   * @returns a handle whose `wait()` gives the operation id and the time it becomes executable
   * @throws {ContractRevertError} e.g. `AccessManagerUnauthorizedCall`, `AccessManagerAlreadyScheduled`
   */
  async schedule(call: ManagedCall, when = 0, overrides: Overrides = {}): Promise<TxHandle<{ operationId: string; readyAt: number }>> {
    const to = requireAddress("call.to", call.to);
    return send(
      () => this.contract.schedule(to, call.data, when, overrides),
      (receipt) => {
        const e = eventIn(this.contract, receipt, "OperationScheduled");
        return { operationId: e.args.operationId as string, readyAt: Number(e.args.schedule) };
      },
      this.contract.runner,
    );
  }

  /**
   * Cancels a call `caller` scheduled. Allowed to the caller itself, the admin, and the guardian
   * of the call's role (the pauser guards the registrar and configurator roles).
   * @throws {ContractRevertError} e.g. `AccessManagerUnauthorizedCancel`, `AccessManagerNotScheduled`
   */
  async cancel(caller: string, call: ManagedCall, overrides: Overrides = {}): Promise<TxHandle<{ operationId: string }>> {
    const c = requireAddress("caller", caller);
    const to = requireAddress("call.to", call.to);
    return send(
      () => this.contract.cancel(c, to, call.data, overrides),
      (receipt) => ({ operationId: eventIn(this.contract, receipt, "OperationCanceled").args.operationId as string }),
      this.contract.runner,
    );
  }

  /**
   * Executes a call scheduled earlier (or an immediate one) through the AccessManager.
   * @throws {ContractRevertError} e.g. `AccessManagerNotReady`, or the target's own error
   */
  async execute(call: ManagedCall, overrides: Overrides = {}): Promise<TxHandle<Record<string, never>>> {
    const to = requireAddress("call.to", call.to);
    return send(() => this.contract.execute(to, call.data, overrides), () => ({}), this.contract.runner);
  }
}
