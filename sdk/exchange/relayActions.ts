/**
 * Signed consent actions as a relayer takes them over HTTP (`POST /actions`): the one JSON form of a
 * signed grant, revocation, appointment or removal of a delegate, written by {@link actionBody} and read
 * back, every field checked and named, by {@link actionFromJson} — the same function the relayer runs
 * before it pays for anything, so a client and the relayer cannot disagree on the encoding. The action's
 * id is its EIP-712 digest ({@link actionDigest}): the same signed action posted twice is one action.
 */
import { TypedDataEncoder, type TypedDataDomain } from "ethers";
import { ValidationError } from "../errors";
import { requireAddress, requireBoolean, requireBytes32 } from "../core/validate";
import { MAX_SIGNATURE_BYTES } from "./request";
import type { SignedDelegateRemoval, SignedDelegation, SignedGrant, SignedRevocation } from "../consent/params";
import { DELEGATE_REMOVAL_TYPES, DELEGATION_TYPES, GRANT_TYPES, REVOCATION_TYPES } from "../consent/typedData";
import type { TypedDataField } from "ethers";

/** The consent actions a relayer submits, each the registry's `…BySig` entry. */
export const CONSENT_ACTION_KINDS = ["grant", "revoke", "appointDelegate", "removeDelegate"] as const;
/** A consent action's kind. */
export type ConsentActionKind = (typeof CONSENT_ACTION_KINDS)[number];

/** A signed consent action: its kind and the SDK's signed request (`ConsentClient.signGrant` …). */
export type SignedAction =
  | { readonly kind: "grant"; readonly signed: SignedGrant }
  | { readonly kind: "revoke"; readonly signed: SignedRevocation }
  | { readonly kind: "appointDelegate"; readonly signed: SignedDelegation }
  | { readonly kind: "removeDelegate"; readonly signed: SignedDelegateRemoval };

/** What the request was signed for: the registry's chain and address (its EIP-712 domain). */
export interface ActionBinding {
  readonly chainId: bigint;
  readonly verifyingContract: string;
}

/** The JSON body of `POST /actions`: whole numbers above 2^53 as decimal strings. */
export interface ActionBody {
  readonly kind: string;
  readonly request: Readonly<Record<string, string | number | boolean>>;
  readonly signature: string;
  readonly domain: { readonly chainId: string; readonly verifyingContract: string };
}

/** The EIP-712 types of each kind (written once, in consent/typedData.ts). */
export const ACTION_TYPES: Readonly<Record<ConsentActionKind, Record<string, TypedDataField[]>>> = {
  grant: GRANT_TYPES,
  revoke: REVOCATION_TYPES,
  appointDelegate: DELEGATION_TYPES,
  removeDelegate: DELEGATE_REMOVAL_TYPES,
};

const isKind = (k: unknown): k is ConsentActionKind => typeof k === "string" && (CONSENT_ACTION_KINDS as readonly string[]).includes(k);

/** `action`'s JSON body for a relayer, bound to the registry it was signed for. */
export function actionBody(action: SignedAction, binding: ActionBinding): ActionBody {
  const request: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(action.signed.request)) request[k] = typeof v === "bigint" ? v.toString() : (v as string | number | boolean);
  return { kind: action.kind, request, signature: action.signed.signature, domain: { chainId: binding.chainId.toString(), verifyingContract: binding.verifyingContract } };
}

/** The digest the patient signed for `action` under `domain`: the action's id at a relayer. */
export function actionDigest(domain: TypedDataDomain, action: SignedAction): string {
  return TypedDataEncoder.hash(domain, ACTION_TYPES[action.kind], action.signed.request);
}

/** A whole number from 0 to 2^bits-1, given as a number or a decimal string. @throws {ValidationError} naming `field` */
export function requireUint(field: string, value: unknown, bits: number): bigint {
  const ok = (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) || (typeof value === "string" && /^(0|[1-9][0-9]{0,77})$/.test(value));
  const n = ok ? BigInt(value as string | number) : -1n;
  if (n < 0n || n >= 1n << BigInt(bits)) throw new ValidationError(field, `${JSON.stringify(value)} is not a whole number from 0 to 2^${bits}-1`);
  return n;
}

/** A signature: 0x-hex bytes, 1 to {@link MAX_SIGNATURE_BYTES} of them (65 for an account key; more for ERC-1271). @throws {ValidationError} */
export function requireSignature(field: string, value: unknown): string {
  if (typeof value !== "string" || !/^0x(?:[0-9a-fA-F]{2})+$/.test(value) || (value.length - 2) / 2 > MAX_SIGNATURE_BYTES) {
    throw new ValidationError(field, `is not 0x and 1 to ${MAX_SIGNATURE_BYTES} bytes of hex`);
  }
  return value.toLowerCase();
}

function requireObject(field: string, value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new ValidationError(field, "is not a JSON object");
  return value as Record<string, unknown>;
}

/** Refuses any member of `o` not named in `fields` (a typo would otherwise be signed over nothing). */
function onlyFields(path: string, o: Record<string, unknown>, fields: readonly string[]): void {
  for (const k of Object.keys(o)) if (!fields.includes(k)) throw new ValidationError(`${path}.${k}`, `is not a field here (${fields.join(", ")})`);
}

/** The request of `kind`, each field checked against its EIP-712 type and named `request.<field>`. */
function requestOf(kind: ConsentActionKind, raw: unknown): Record<string, unknown> {
  const r = requireObject("request", raw);
  const fields = ACTION_TYPES[kind][Object.keys(ACTION_TYPES[kind])[0]];
  onlyFields("request", r, fields.map((f) => f.name));
  const out: Record<string, unknown> = {};
  for (const { name, type } of fields) {
    const field = `request.${name}`;
    const v = r[name];
    if (v === undefined) throw new ValidationError(field, "is missing");
    if (type === "address") out[name] = requireAddress(field, v);
    else if (type === "bytes32") out[name] = requireBytes32(field, v, { allowZero: name === "commitment" }).toLowerCase();
    else if (type === "bool") out[name] = requireBoolean(field, v);
    else {
      const bits = Number(type.slice(4));
      const n = requireUint(field, v, bits);
      // The numbers the SDK's request types keep as numbers (uint8 … uint40); counters and deadlines as bigints.
      out[name] = bits <= 40 ? Number(n) : n;
    }
  }
  return out;
}

/**
 * Reads a `POST /actions` body: the kind, the request checked field by field, the signature, and the
 * domain it claims to be signed for (checked against the relayer's own by the caller).
 * @throws {ValidationError} naming the offending field (`kind`, `request.deadline`, `signature`, `domain.chainId` …)
 */
export function actionFromJson(body: unknown): SignedAction & { readonly binding: ActionBinding } {
  const b = requireObject("body", body);
  onlyFields("body", b, ["kind", "request", "signature", "domain"]);
  if (!isKind(b.kind)) throw new ValidationError("kind", `${JSON.stringify(b.kind)} is not one of ${CONSENT_ACTION_KINDS.join(", ")}`);
  const request = requestOf(b.kind, b.request);
  const signature = requireSignature("signature", b.signature);
  const d = requireObject("domain", b.domain);
  onlyFields("domain", d, ["chainId", "verifyingContract"]);
  const binding = { chainId: requireUint("domain.chainId", d.chainId, 256), verifyingContract: requireAddress("domain.verifyingContract", d.verifyingContract) };
  return { kind: b.kind, signed: { request, signature }, binding } as unknown as SignedAction & { binding: ActionBinding };
}

/** The patient who signed `action` (whose gas the relayer pays, and whose allowance it counts). */
export function actionPatient(action: SignedAction): string {
  return action.signed.request.patient;
}
