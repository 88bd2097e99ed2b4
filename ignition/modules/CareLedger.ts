/**
 * The suite's deployment, resumable: one AccessManager governing every contract, the contracts,
 * the role labels, the function → role wiring from `sdk/governance/roles.ts`, and the role grants with
 * the execution delays given as parameters (0 on a local chain).
 *
 * Parameters (module `CareLedger`): `registrar`, `pauser`, `configurator` (default: the deployer),
 * `registrarExecutionDelay`, `configuratorExecutionDelay`, `adminExecutionDelay` (seconds, default 0).
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type { CallableContractFuture } from "@nomicfoundation/ignition-core";
import type { Interface } from "ethers";
import { FUNCTION_ROLES, Role, ROLE_LABELS, type ManagedContractName, type RoleName } from "../../sdk/governance/roles";
import { ClaimsEngine__factory, ConsentRegistry__factory, DisclosureLog__factory, ParticipantRegistry__factory, RecordRegistry__factory } from "../../typechain-types";

/** The interface of each managed contract, from our own typechain factories. */
const INTERFACES: Record<ManagedContractName, () => Interface> = {
  ParticipantRegistry: () => ParticipantRegistry__factory.createInterface(),
  RecordRegistry: () => RecordRegistry__factory.createInterface(),
  ClaimsEngine: () => ClaimsEngine__factory.createInterface(),
  ConsentRegistry: () => ConsentRegistry__factory.createInterface(),
  DisclosureLog: () => DisclosureLog__factory.createInterface(),
};

/** The selectors of `contract` restricted to each role, from the one table in `sdk/governance/roles.ts`. */
export function selectorsByRole(contract: ManagedContractName): Map<RoleName, string[]> {
  const iface = INTERFACES[contract]();
  const out = new Map<RoleName, string[]>();
  for (const [fn, role] of Object.entries(FUNCTION_ROLES[contract]) as [string, RoleName][]) {
    const fragment = iface.getFunction(fn);
    if (!fragment) throw new Error(`FUNCTION_ROLES names ${contract}.${fn}, which its ABI does not have`);
    out.set(role, [...(out.get(role) ?? []), fragment.selector]);
  }
  return out;
}

export default buildModule("CareLedger", (m) => {
  const deployer = m.getAccount(0);
  const registrar = m.getParameter("registrar", deployer);
  const pauser = m.getParameter("pauser", deployer);
  const configurator = m.getParameter("configurator", deployer);
  const registrarExecutionDelay = m.getParameter("registrarExecutionDelay", 0);
  const configuratorExecutionDelay = m.getParameter("configuratorExecutionDelay", 0);
  const adminExecutionDelay = m.getParameter("adminExecutionDelay", 0);

  const manager = m.contract("AccessManager", [deployer]);
  const participantRegistry = m.contract("ParticipantRegistry", [manager]);
  const consentRegistry = m.contract("ConsentRegistry", [manager, participantRegistry]);
  const recordRegistry = m.contract("RecordRegistry", [manager, participantRegistry]);
  // The access log's batched entry point: record holders anchor their gateways' disclosure receipts.
  const disclosureLog = m.contract("DisclosureLog", [manager, participantRegistry]);
  // The claims engine asks the record registry only IRecordEvidence.commitmentStatus (no phantom billing).
  // Its external libraries: plan administration, the escrow's money, and what follows a submission.
  const claimsPlans = m.library("ClaimsPlans");
  const claimsEscrow = m.library("ClaimsEscrow");
  const claimsLifecycle = m.library("ClaimsLifecycle");
  const claimsEngine = m.contract("ClaimsEngine", [manager, participantRegistry, recordRegistry], {
    libraries: { ClaimsPlans: claimsPlans, ClaimsEscrow: claimsEscrow, ClaimsLifecycle: claimsLifecycle },
  });
  // Patients' passkey accounts: OpenZeppelin's WebAuthn verifier, and the factory of accounts (which deploys
  // the account implementation it clones, and which may deploy an account and submit its first consent action
  // in one transaction). Not governed: neither has anything to administer.
  const webAuthnVerifier = m.contract("WebAuthnVerifier");
  const patientAccountFactory = m.contract("PatientAccountFactory", [webAuthnVerifier, consentRegistry]);
  const targets: Record<ManagedContractName, CallableContractFuture<string>> = {
    ParticipantRegistry: participantRegistry,
    ConsentRegistry: consentRegistry,
    RecordRegistry: recordRegistry,
    ClaimsEngine: claimsEngine,
    DisclosureLog: disclosureLog,
  };

  const wiring = [];
  for (const [name, label] of Object.entries(ROLE_LABELS) as [RoleName, string][]) {
    if (name === "ADMIN") continue; // the built-in admin role cannot be relabelled
    wiring.push(m.call(manager, "labelRole", [Role[name], label], { id: `label_${name}` }));
  }
  for (const contract of Object.keys(targets) as ManagedContractName[]) {
    for (const [role, selectors] of selectorsByRole(contract)) {
      wiring.push(
        m.call(manager, "setTargetFunctionRole", [targets[contract], selectors, Role[role]], { id: `roles_${contract}_${role}` }),
      );
    }
  }
  // The pauser guards the delayed roles: it can cancel their scheduled calls during the delay.
  wiring.push(m.call(manager, "setRoleGuardian", [Role.REGISTRAR, Role.PAUSER], { id: "guardian_REGISTRAR" }));
  wiring.push(m.call(manager, "setRoleGuardian", [Role.CONFIGURATOR, Role.PAUSER], { id: "guardian_CONFIGURATOR" }));
  wiring.push(m.call(manager, "grantRole", [Role.REGISTRAR, registrar, registrarExecutionDelay], { id: "grant_REGISTRAR" }));
  wiring.push(m.call(manager, "grantRole", [Role.PAUSER, pauser, 0], { id: "grant_PAUSER" }));
  wiring.push(m.call(manager, "grantRole", [Role.CONFIGURATOR, configurator, configuratorExecutionDelay], { id: "grant_CONFIGURATOR" }));
  // Last: the admin's own execution delay. From here on, role changes by the admin are scheduled.
  m.call(manager, "grantRole", [Role.ADMIN, deployer, adminExecutionDelay], { id: "delay_ADMIN", after: wiring });

  return { manager, participantRegistry, consentRegistry, recordRegistry, claimsEngine, disclosureLog, webAuthnVerifier, patientAccountFactory };
});
