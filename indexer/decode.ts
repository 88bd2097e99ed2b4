/**
 * Decoding the suite's logs, with the contracts' own interfaces (typechain's, as the SDK's clients use):
 * every event of every part, its arguments as JSON (integers as decimal strings, addresses checksummed as
 * ethers gives them, bytes as hex, structs as objects by field name, arrays as arrays), and the subjects
 * queries filter on (addresses there lower-case).
 */
import { Interface, Result, type Log, type ParamType } from "ethers";
import { AccessManager__factory } from "../typechain-types/factories/@openzeppelin/contracts/access/manager/AccessManager__factory";
import { ClaimsEngine__factory } from "../typechain-types/factories/contracts/claims/ClaimsEngine__factory";
import { ConsentRegistry__factory } from "../typechain-types/factories/contracts/consent/ConsentRegistry__factory";
import { DisclosureLog__factory } from "../typechain-types/factories/contracts/consent/DisclosureLog__factory";
import { ParticipantRegistry__factory } from "../typechain-types/factories/contracts/participants/ParticipantRegistry__factory";
import { RecordRegistry__factory } from "../typechain-types/factories/contracts/records/RecordRegistry__factory";
import type { SuiteAddresses } from "../sdk/core/addressBook";

/** The interface of each contract of the suite. */
export const SUITE_INTERFACES: { readonly [name in keyof SuiteAddresses]: Interface } = {
  AccessManager: AccessManager__factory.createInterface() as unknown as Interface,
  ParticipantRegistry: ParticipantRegistry__factory.createInterface() as unknown as Interface,
  ConsentRegistry: ConsentRegistry__factory.createInterface() as unknown as Interface,
  RecordRegistry: RecordRegistry__factory.createInterface() as unknown as Interface,
  ClaimsEngine: ClaimsEngine__factory.createInterface() as unknown as Interface,
  DisclosureLog: DisclosureLog__factory.createInterface() as unknown as Interface,
};

/** A JSON value. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** One decoded event, as the indexer stores it. */
export interface DecodedEvent {
  readonly blockNumber: number;
  readonly logIndex: number;
  readonly blockHash: string;
  readonly txHash: string;
  readonly contract: keyof SuiteAddresses;
  readonly event: string;
  readonly args: { [name: string]: Json };
  /** The patient (or plan member) it is about, lower-case. */
  readonly patient: string | null;
  /** The organization it is about (orgId, providerOrg, insurerOrgId). */
  readonly orgId: string | null;
  readonly claimId: string | null;
  readonly recordId: string | null;
  readonly planId: string | null;
  /** The log as the node gave it: the emitting contract (lower-case), its transaction's index, topics and data. */
  readonly address: string;
  readonly txIndex: number;
  readonly topics: readonly string[];
  readonly data: string;
}

/** `value` of type `param` as JSON. */
function toJson(param: ParamType, value: unknown): Json {
  if (param.isArray()) return (value as unknown[]).map((v) => toJson(param.arrayChildren, v));
  if (param.isTuple()) {
    const out: { [key: string]: Json } = {};
    param.components.forEach((c, i) => (out[c.name === "" ? String(i) : c.name] = toJson(c, (value as Result)[i])));
    return out;
  }
  if (typeof value === "bigint") return value.toString();
  return value as string | boolean;
}

const PATIENT_ARGS = ["patient", "member"];
const ORG_ARGS = ["orgId", "providerOrg", "insurerOrgId"];

/**
 * Decodes `log` of the suite's contract `contract`.
 * @returns undefined for a log that is none of the contract's events (it is not indexed)
 */
export function decodeLog(contract: keyof SuiteAddresses, log: Log): DecodedEvent | undefined {
  const parsed = SUITE_INTERFACES[contract].parseLog({ topics: [...log.topics], data: log.data });
  if (parsed === null) return undefined;
  const args: { [name: string]: Json } = {};
  parsed.fragment.inputs.forEach((input, i) => (args[input.name] = toJson(input, parsed.args[i])));
  const first = (names: readonly string[]) => {
    for (const n of names) if (typeof args[n] === "string") return args[n] as string;
    return null;
  };
  const patient = first(PATIENT_ARGS);
  return {
    blockNumber: log.blockNumber,
    logIndex: log.index,
    blockHash: log.blockHash,
    txHash: log.transactionHash,
    contract,
    event: parsed.name,
    args,
    patient: patient === null ? null : patient.toLowerCase(),
    orgId: first(ORG_ARGS),
    claimId: first(["claimId"]),
    recordId: first(["recordId"]),
    planId: first(["planId"]),
    address: log.address.toLowerCase(),
    txIndex: log.transactionIndex,
    topics: log.topics.map((t) => t.toLowerCase()),
    data: log.data.toLowerCase(),
  };
}
