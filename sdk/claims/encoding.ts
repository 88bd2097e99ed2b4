/**
 * The claim encodings (procedure codes, service keys, claim ids, record hashes, the structs the
 * contract takes, line outcomes), written once and shared by the contract tests, tasks, scripts and
 * demo.
 */
import { AbiCoder, decodeBytes32String, encodeBytes32String, keccak256, toUtf8Bytes } from "ethers";
import { ValidationError } from "../errors";
import type { ClaimHistory, ClaimRecord, ClaimSubmission, LineOutcome } from "./types";
import { CODE_SYSTEMS } from "./vocab";

const coder = AbiCoder.defaultAbiCoder();
const LINE_TUPLE = "tuple(bytes32 code,uint32 units,uint96 charged)";
const RECORD_TUPLE = `tuple(uint64 planId,address member,uint64 providerOrg,uint40 serviceDate,bytes32 evidence,address adjuster,uint40 decidedAt,uint64 authId,uint96 authUsed,uint96 credit,uint96 planPaid,uint96 deductible,uint96 memberShare,${LINE_TUPLE}[] lines,uint96[] allowed)`;

/**
 * The on-chain form of a procedure code: `"<alias>:<code>"` as a bytes32 string (no descriptions).
 * A code too long for that (over 31 bytes with its alias) is stored as 0xff followed by the last
 * 31 bytes of keccak256("<alias>:<code>"): still opaque and deterministic, but not reversible.
 * @param system a FHIR code system URI from {@link CODE_SYSTEMS}, or an alias such as `"sct"`
 * @throws {ValidationError} for an unknown system, or a code that is not a short token
 */
export function procedureCode(system: string, code: string, field = "code"): string {
  const alias = CODE_SYSTEMS[system] ?? (Object.values(CODE_SYSTEMS).includes(system) ? system : undefined);
  if (!alias) throw new ValidationError(`${field}.system`, `${JSON.stringify(system)} is not a code system CareLedger maps (${Object.keys(CODE_SYSTEMS).join(", ")})`);
  if (typeof code !== "string" || !/^[A-Za-z0-9.\-]{1,64}$/.test(code)) throw new ValidationError(`${field}.code`, `${JSON.stringify(code)} is not a code (1 to 64 letters, digits, '.', '-')`);
  const text = `${alias}:${code}`;
  if (toUtf8Bytes(text).length <= 31) return encodeBytes32String(text);
  return "0xff" + keccak256(toUtf8Bytes(text)).slice(4);
}

/**
 * Reads an on-chain procedure code back into its system alias and code (`{ alias: "sct", code: "185345009" }`);
 * a hashed long code comes back as `{ alias: "", code: <hex>, hashed: true }`.
 */
export function parseProcedureCode(value: string): { alias: string; system?: string; code: string; hashed?: boolean } {
  if (value.toLowerCase().startsWith("0xff")) return { alias: "", code: value.toLowerCase(), hashed: true };
  const text = decodeBytes32String(value);
  const i = text.indexOf(":");
  const alias = i < 0 ? "" : text.slice(0, i);
  const system = Object.keys(CODE_SYSTEMS).find((k) => CODE_SYSTEMS[k] === alias);
  return { alias, system, code: i < 0 ? text : text.slice(i + 1) };
}

/**
 * The key of a service, the same whatever the order of the lines: keccak256(abi.encode(planId,
 * member, providerOrg, serviceDate, Σ keccak256(abi.encode(code, units, charged)) mod 2^256)).
 * The engine bills a service once: a claim whose key any claim ever had is refused with
 * `DuplicateClaim`, unless it resubmits the very service of the claim it replaces.
 */
export function serviceKeyOf(s: Pick<ClaimSubmission, "planId" | "member" | "providerOrg" | "serviceDate" | "lines">): string {
  const sum = s.lines.reduce((t, l) => (t + BigInt(keccak256(coder.encode(["bytes32", "uint32", "uint96"], [l.code, l.units, l.charged])))) % 2n ** 256n, 0n);
  return keccak256(coder.encode(["uint64", "address", "uint64", "uint40", "uint256"], [s.planId, s.member, s.providerOrg, s.serviceDate, sum]));
}

/**
 * The claim id of a submission: its service key ({@link serviceKeyOf}); for a claim that
 * resubmits the very service of the claim `replaces` (a denied claim sent again once its cause is
 * fixed), keccak256(abi.encode(serviceKey, replaces)). A correction to another service has that
 * service's key.
 */
export function claimIdOf(s: Pick<ClaimSubmission, "planId" | "member" | "providerOrg" | "serviceDate" | "lines">, replaces?: string): string {
  const key = serviceKeyOf(s);
  if (replaces === undefined || BigInt(replaces) === 0n) return key;
  return keccak256(coder.encode(["bytes32", "bytes32"], [key, replaces]));
}

/** The `recordHash` of a claim record, as the contract computes it: the first 31 bytes of its keccak256 (a `bytes31`). */
export function recordHashOf(r: ClaimRecord): string {
  const hash = keccak256(
    coder.encode(
      [RECORD_TUPLE],
      [
        [
          r.planId,
          r.member,
          r.providerOrg,
          r.serviceDate,
          r.evidence,
          r.adjuster,
          r.decidedAt,
          r.authId,
          r.authUsed,
          r.credit,
          r.planPaid,
          r.deductible,
          r.memberShare,
          r.lines.map((l) => [l.code, l.units, l.charged]),
          r.allowed,
        ],
      ],
    ),
  );
  return hash.slice(0, 64);
}

/** Sums line outcomes, line by line. */
export function sumOutcomes(a: readonly LineOutcome[], b: readonly LineOutcome[]): LineOutcome[] {
  return b.map((o, i) => {
    const p = a[i];
    if (!p) return o;
    return {
      allowed: p.allowed + o.allowed,
      deductible: p.deductible + o.deductible,
      copay: p.copay + o.copay,
      coinsurance: p.coinsurance + o.coinsurance,
      plan: p.plan + o.plan,
      reason: o.reason !== 0 ? o.reason : p.reason,
    };
  });
}

/** A line outcome from the contract's struct (an event's `outcomes` or `preview`). */
export function outcomeOf(o: { allowed: bigint; deductible: bigint; copay: bigint; coinsurance: bigint; plan: bigint; reason: bigint | number }): LineOutcome {
  return { allowed: o.allowed, deductible: o.deductible, copay: o.copay, coinsurance: o.coinsurance, plan: o.plan, reason: Number(o.reason) };
}

/** Rebuilds a claim's record from its history. */
export function recordFromHistory(h: ClaimHistory): ClaimRecord {
  const s = h.submission;
  const decided = h.adjudications.length > 0;
  // A pended claim's record holds the rules' preview amounts; it applied no cost sharing.
  const outcomes = decided ? h.outcomes : h.preview ?? [];
  return {
    planId: s.planId,
    member: s.member,
    providerOrg: s.providerOrg,
    serviceDate: s.serviceDate,
    evidence: s.evidence,
    adjuster: h.adjuster,
    decidedAt: h.decidedAt,
    authId: s.authId,
    authUsed: h.authUsed,
    credit: h.credit,
    planPaid: decided ? h.planTotal : (h.exposure ?? 0n),
    deductible: decided ? outcomes.reduce((sum, o) => sum + o.deductible, 0n) : 0n,
    memberShare: decided ? h.memberTotal : 0n,
    lines: s.lines,
    allowed: outcomes.map((o) => o.allowed),
  };
}

/** The struct the contract takes for a submission (without its `evidenceProof`, sent beside it). */
export function toSubmissionStruct(s: ClaimSubmission) {
  const { evidenceProof: _proof, ...claim } = s;
  return { ...claim, lines: s.lines.map((l) => ({ ...l })) };
}

/** The struct the contract takes for a record. */
export function toRecordStruct(r: ClaimRecord) {
  return { ...r, lines: r.lines.map((l) => ({ ...l })), allowed: [...r.allowed] };
}
