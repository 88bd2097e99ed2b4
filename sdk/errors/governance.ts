/**
 * What the governance errors mean: those of AccessManaged and Pausable (every suite contract) and of
 * the suite's AccessManager, in sentences a person can act on.
 */
import { arg as s, type MessageTable } from "./base";

/** The errors of AccessManaged, Pausable and the AccessManager, by name. */
export const GOVERNANCE_MESSAGES: MessageTable = {
  // AccessManaged / Pausable (every suite contract)
  AccessManagedUnauthorized: (a) => `${s(a.caller)} has no role that allows this call: ask the suite's admin to grant the role (see FUNCTION_ROLES)`,
  AccessManagedRequiredDelay: (a) => `${s(a.caller)} must schedule this call ${s(a.delay)} s ahead through the AccessManager (governance.schedule) and execute it after the delay`,
  AccessManagedInvalidAuthority: (a) => `${s(a.authority)} is not a valid AccessManager`,
  EnforcedPause: () => "the contract is paused: the pauser must unpause it before this can be done",
  ExpectedPause: () => "the contract is not paused",
  // AccessManager
  AccessManagerAlreadyScheduled: (a) => `operation ${s(a.operationId)} is already scheduled: wait for it and execute it, or cancel it`,
  AccessManagerNotScheduled: (a) => `operation ${s(a.operationId)} was not scheduled: your role carries an execution delay, so schedule it first (governance.schedule) and execute it after the delay`,
  AccessManagerNotReady: (a) => `operation ${s(a.operationId)} is scheduled but its delay has not passed yet: try again after the scheduled time`,
  AccessManagerExpired: (a) => `operation ${s(a.operationId)} expired before it was executed: schedule it again`,
  AccessManagerLockedRole: (a) => `role ${s(a.roleId)} cannot be changed (it is a built-in role)`,
  AccessManagerLockedFunction: (a) => `function ${s(a.selector)} of the AccessManager cannot be reassigned`,
  AccessManagerBadConfirmation: () => "renouncing a role needs the caller's own address as confirmation",
  AccessManagerUnauthorizedAccount: (a) => `${s(a.msgsender)} lacks role ${s(a.roleId)} needed for this AccessManager operation`,
  AccessManagerUnauthorizedCall: (a) => `${s(a.caller)} may not call ${s(a.selector)} on ${s(a.target)}: ask the admin for the role mapped to it`,
  AccessManagerUnauthorizedConsume: (a) => `only ${s(a.target)} itself may consume its scheduled operations`,
  AccessManagerUnauthorizedCancel: (a) => `${s(a.msgsender)} may not cancel ${s(a.caller)}'s scheduled call ${s(a.selector)} on ${s(a.target)}`,
  AccessManagerInvalidInitialAdmin: (a) => `${s(a.initialAdmin)} cannot be the initial admin`,
  SafeCastOverflowedUintDowncast: (a) => `the value ${s(a.value)} does not fit in ${s(a.bits)} bits`,
  AddressEmptyCode: (a) => `${s(a.target)} has no code: is the address right for this chain?`,
  FailedCall: () => "the forwarded call failed without a reason",
  InsufficientBalance: (a) => `the balance ${s(a.balance)} is below the ${s(a.needed)} this call sends`,
};
