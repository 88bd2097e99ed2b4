/**
 * A patient's accounting of disclosures as FHIR R4: each logged access (an AccessLogged event, read by
 * `consent.accessLog` or from an indexer) as an AuditEvent — who read (the accessor's account, and the
 * organization it was permitted under), when (the block's time), for what purpose (v3-ActReason), what
 * (the record's access reference, unlinkable without its salt and nonce; the data class as a security
 * label) and about whom (the patient), observed by the consent registry.
 */
import { ACCOUNT_SYSTEM, ORG_SYSTEM } from "../core/fhirSystems";
import type { AccessRecord } from "./params";

/** The identifier system of an access reference (`value`: the 32-byte hex reference). */
export const ACCESS_REF_SYSTEM = "urn:careledger:access-ref";
/** The code system of CareLedger's data classes (`code`: the class name, e.g. `labs`). */
export const DATA_CLASS_SYSTEM = "urn:careledger:data-class";

/** Where an access was logged: the consent registry's address on its chain. */
export interface AuditSource {
  readonly chainId: bigint;
  readonly registry: string;
}

/**
 * The AuditEvent of one logged access (pure).
 * @param id the resource id (an indexer uses `<block>-<log index>`)
 */
export function accessAuditEvent(record: AccessRecord, source: AuditSource, id: string): Record<string, unknown> {
  const agent: Record<string, unknown>[] = [
    { type: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/extra-security-role-type", code: "humanuser" }] }, who: { identifier: { system: ACCOUNT_SYSTEM, value: record.accessor } }, requestor: true },
  ];
  if (record.orgId !== 0n) {
    agent.push({ type: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/extra-security-role-type", code: "datacollector" }] }, who: { identifier: { system: ORG_SYSTEM, value: record.orgId.toString() } }, requestor: false });
  }
  return {
    resourceType: "AuditEvent",
    id,
    type: { system: "http://terminology.hl7.org/CodeSystem/audit-event-type", code: "rest", display: "RESTful Operation" },
    subtype: [{ system: "http://hl7.org/fhir/restful-interaction", code: "read", display: "read" }],
    action: "R",
    recorded: new Date(record.at * 1000).toISOString(),
    outcome: "0",
    purposeOfEvent: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ActReason", code: String(record.purpose) }] }],
    agent,
    source: {
      site: `eip155:${source.chainId}`,
      observer: { identifier: { system: ACCOUNT_SYSTEM, value: source.registry } },
      type: [{ system: "http://terminology.hl7.org/CodeSystem/security-source-type", code: "4", display: "Application Server" }],
    },
    entity: [
      {
        what: { identifier: { system: ACCESS_REF_SYSTEM, value: record.recordRef } },
        type: { system: "http://terminology.hl7.org/CodeSystem/audit-entity-type", code: "2", display: "System Object" },
        securityLabel: [{ system: DATA_CLASS_SYSTEM, code: String(record.dataClass) }],
        detail: [{ type: "transaction", valueString: record.txHash }],
      },
      {
        what: { identifier: { system: ACCOUNT_SYSTEM, value: record.patient } },
        type: { system: "http://terminology.hl7.org/CodeSystem/audit-entity-type", code: "1", display: "Person" },
        role: { system: "http://terminology.hl7.org/CodeSystem/object-role", code: "1", display: "Patient" },
      },
    ],
  };
}
