/**
 * The suite's governance in one place: the AccessManager role ids and labels, and which role may
 * call which function of which contract. The Ignition module wires exactly this table; the tests
 * check every entry; the SDK uses it to explain refusals.
 *
 * The rule behind the table: actions that extend access (registering, reinstating, appointing)
 * belong to roles that carry an execution delay on real networks; actions that only narrow it
 * (pausing, suspending) belong to the pauser, which never has a delay, so an incident is contained
 * in the same block.
 */

/** AccessManager role ids. `ADMIN` is OpenZeppelin's built-in admin role (id 0). */
export const Role = {
  /** Grants and revokes roles, wires function permissions. OpenZeppelin's `ADMIN_ROLE`. */
  ADMIN: 0n,
  /** Onboards organizations, updates their profile, reinstates them, appoints recovery admins. */
  REGISTRAR: 1n,
  /** Pauses and unpauses contracts and suspends organizations: containment, never delayed. */
  PAUSER: 2n,
  /** Sets governance parameters of later contracts (windows, allowlists). */
  CONFIGURATOR: 3n,
} as const;

/** A role's name, as used in the function table and the deploy parameters. */
export type RoleName = keyof typeof Role;

/** Human labels, emitted by the AccessManager's `RoleLabel` event at deploy time. */
export const ROLE_LABELS: Readonly<Record<RoleName, string>> = {
  ADMIN: "ADMIN",
  REGISTRAR: "REGISTRAR",
  PAUSER: "PAUSER",
  CONFIGURATOR: "CONFIGURATOR",
};

/**
 * For each suite contract, the functions restricted by the AccessManager and the role allowed to
 * call them. Functions not listed are either open or checked by the contract itself (for example
 * an organization's own admins adding members).
 */
export const FUNCTION_ROLES = {
  ParticipantRegistry: {
    registerOrganization: "REGISTRAR",
    updateMetadata: "REGISTRAR",
    reinstateOrganization: "REGISTRAR",
    appointAdmin: "REGISTRAR",
    suspendOrganization: "PAUSER",
    pause: "PAUSER",
    unpause: "PAUSER",
  },
  RecordRegistry: {
    pause: "PAUSER",
    unpause: "PAUSER",
  },
  ConsentRegistry: {
    setBreakGlassWindow: "CONFIGURATOR",
    pause: "PAUSER",
    unpause: "PAUSER",
  },
  ClaimsEngine: {
    setTokenAllowed: "CONFIGURATOR",
    pause: "PAUSER",
    unpause: "PAUSER",
  },
  DisclosureLog: {
    pause: "PAUSER",
    unpause: "PAUSER",
  },
} as const satisfies Record<string, Record<string, RoleName>>;

/** The names of the suite's managed contracts. */
export type ManagedContractName = keyof typeof FUNCTION_ROLES;

/** Returns the role id for a role name. */
export function roleId(name: RoleName): bigint {
  return Role[name];
}

/** Returns the name of a role id, or `undefined` for an id the suite does not define. */
export function roleName(id: bigint): RoleName | undefined {
  return (Object.keys(Role) as RoleName[]).find((k) => Role[k] === id);
}
