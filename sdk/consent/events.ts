/**
 * Reading the ConsentRegistry's events and structs into readable values: grants, delegations, the
 * accounting of disclosures and the history's entries.
 */
import type { EventLog } from "ethers";
import { classNames, dataClassName, parseGrantee, purposeName, purposeNames, reasonName, type DataClassName, type PurposeName } from "./vocab";
import type { AccessRecord, Delegation, GrantRecord, GrantState } from "./params";

/** Reads a delegation (a `delegationOf` struct or a DelegateAppointed event). */
export function delegationOf(r: Record<string, unknown>): Delegation {
  return { until: Number(r.until), classes: classNames(Number(r.classes)) as DataClassName[], purposes: purposeNames(Number(r.purposes)) as PurposeName[], representative: Boolean(r.representative) };
}

/** Reads a ConsentGranted event: the grant as applied, its document commitment and who granted. */
export function grantedFrom(args: Record<string, unknown>): GrantState & { commitment: string; by: string } {
  const granteeKeyHex = String(args.grantee);
  return {
    patient: String(args.patient),
    grantee: parseGrantee(granteeKeyHex),
    granteeKey: granteeKeyHex,
    classes: classNames(args.classes as bigint),
    purposes: purposeNames(args.purposes as bigint),
    validFrom: Number(args.validFrom),
    validUntil: Number(args.validUntil),
    commitment: String(args.commitment),
    by: String(args.by),
  };
}

/** A grant as the SDK lists it ({@link GrantRecord}): a ConsentGranted event's arguments, where it is, and whether it is in force. */
export function grantRecordFrom(args: Record<string, unknown>, at: { blockNumber: number; txHash: string }, inForce: boolean): GrantRecord {
  const g = grantedFrom(args);
  return {
    patient: g.patient,
    grantee: g.grantee,
    granteeKey: g.granteeKey,
    classes: g.classes,
    purposes: g.purposes,
    validFrom: g.validFrom,
    validUntil: g.validUntil,
    grantedBy: g.by,
    commitment: g.commitment,
    blockNumber: at.blockNumber,
    txHash: at.txHash,
    inForce,
  };
}

/**
 * Reads an AccessLogged event. `args` must be a plain object (`Result.toObject()`): on an ethers
 * `Result`, which is an Array, `args.at` would be `Array.prototype.at`, not the event's time.
 */
export function accessRecord(args: Record<string, unknown>, blockNumber: number, txHash: string): AccessRecord {
  const dc = Number(args.dataClass);
  const pu = Number(args.purpose);
  return {
    patient: String(args.patient),
    accessor: String(args.accessor),
    orgId: args.orgId as bigint,
    dataClass: dataClassName(dc) ?? dc,
    purpose: purposeName(pu) ?? pu,
    recordRef: String(args.recordRef),
    at: Number(args.at),
    blockNumber,
    txHash,
  };
}

/** A history entry's details: the event's arguments, with grantees, classes, purposes and reasons by name. */
export function readable(e: EventLog): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  e.fragment.inputs.forEach((input, i) => {
    const v: unknown = e.args[i];
    if (input.name === "grantee") out.grantee = parseGrantee(String(v));
    else if (input.name === "classes") out.classes = classNames(v as bigint);
    else if (input.name === "purposes") out.purposes = purposeNames(v as bigint);
    else if (input.name === "dataClass") out.dataClass = dataClassName(v as bigint) ?? Number(v);
    else if (input.name === "purpose") out.purpose = purposeName(v as bigint) ?? Number(v);
    else if (input.name === "reasonCode") out.reason = reasonName(v as bigint) ?? Number(v);
    else out[input.name] = typeof v === "bigint" && v < 2n ** 53n && input.type !== "uint256" && input.type !== "uint64" ? Number(v) : v;
  });
  return out;
}
