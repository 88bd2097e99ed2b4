/**
 * Signed actions as a relayer takes them over HTTP (`POST /actions`): the one JSON form of a signed
 * grant, revocation, appointment or removal of a delegate, or a passkey account's signed batch
 * (`accountExecute`), each optionally with the account's first passkey and salt (`account`: the relayer
 * deploys the account with the action when it has no code yet), written by {@link actionBody} and read
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
import { requireCalls, type SignedExecution } from "../accounts/client";
import { executeDigest } from "../accounts/typedData";
import { requirePasskey, type PasskeyPublicKey } from "../accounts/webauthn";

/** The consent actions a relayer submits, each the registry's `…BySig` entry. */
export const CONSENT_ACTION_KINDS = ["grant", "revoke", "appointDelegate", "removeDelegate"] as const;
/** A consent action's kind. */
export type ConsentActionKind = (typeof CONSENT_ACTION_KINDS)[number];

/** Every kind a relayer submits: the consent kinds and a passkey account's signed batch (`executeBySig`). */
export const RELAY_ACTION_KINDS = [...CONSENT_ACTION_KINDS, "accountExecute"] as const;
/** A relayed action's kind. */
export type RelayActionKind = (typeof RELAY_ACTION_KINDS)[number];

/** A signed consent action: its kind and the SDK's signed request (`ConsentClient.signGrant` …). */
export type SignedAction =
  | { readonly kind: "grant"; readonly signed: SignedGrant }
  | { readonly kind: "revoke"; readonly signed: SignedRevocation }
  | { readonly kind: "appointDelegate"; readonly signed: SignedDelegation }
  | { readonly kind: "removeDelegate"; readonly signed: SignedDelegateRemoval };

/** A passkey account's signed batch (`PatientAccountClient.signExecute`), relayed to its `executeBySig`. */
export type AccountExecuteAction = { readonly kind: "accountExecute"; readonly signed: SignedExecution };

/** Any action a relayer submits. */
export type RelayAction = SignedAction | AccountExecuteAction;

/**
 * A patient's first passkey and salt (the factory's `createAccount(x, y, salt)`): sent with an action whose
 * patient account has no code yet, so that the relayer deploys it in the action's own transaction. Not
 * signed: the relayer checks that it predicts the patient's address.
 */
export interface AccountDeployment {
  readonly passkey: PasskeyPublicKey;
  readonly salt: bigint;
}

/** An action as a relayer reads it: what it claims to be bound to, and the account's deployment when sent. */
export type ReadSignedAction = RelayAction & { readonly binding: ActionBinding; readonly account?: AccountDeployment };

/**
 * What the request was signed for: the chain, and the registry (a consent kind) or the account
 * (`accountExecute`: the account's own EIP-712 domain, `{ chainId, verifyingContract: account }`).
 */
export interface ActionBinding {
  readonly chainId: bigint;
  readonly verifyingContract: string;
}

/** One call of an `accountExecute` body (the value in wei as a decimal string). */
export interface CallJson {
  readonly target: string;
  readonly value: string;
  readonly data: string;
}

/** The JSON body of `POST /actions`: whole numbers above 2^53 as decimal strings. */
export interface ActionBody {
  readonly kind: string;
  readonly request: Readonly<Record<string, string | number | boolean | readonly CallJson[]>>;
  readonly signature: string;
  readonly domain: { readonly chainId: string; readonly verifyingContract: string };
  /** The account's first passkey and salt, when it is to be deployed with this action. */
  readonly account?: { readonly passkey: PasskeyPublicKey; readonly salt: string };
}

/** The EIP-712 types of each kind (written once, in consent/typedData.ts). */
export const ACTION_TYPES: Readonly<Record<ConsentActionKind, Record<string, TypedDataField[]>>> = {
  grant: GRANT_TYPES,
  revoke: REVOCATION_TYPES,
  appointDelegate: DELEGATION_TYPES,
  removeDelegate: DELEGATE_REMOVAL_TYPES,
};

const isKind = (k: unknown): k is RelayActionKind => typeof k === "string" && (RELAY_ACTION_KINDS as readonly string[]).includes(k);

/**
 * `action`'s JSON body for a relayer, bound to what it was signed for (`binding`: the registry's chain and
 * address; for `accountExecute`, the chain and the account), with the account's first passkey and salt
 * when `options.account` is given (a patient whose account is not deployed yet).
 * @throws {ValidationError} naming `account.passkey` or `account.salt`
 */
export function actionBody(action: RelayAction, binding: ActionBinding, options: { account?: { passkey: PasskeyPublicKey; salt?: bigint | number } } = {}): ActionBody {
  const request: Record<string, string | number | boolean | readonly CallJson[]> = {};
  if (action.kind === "accountExecute") {
    const e = action.signed;
    request.account = e.account;
    request.calls = e.calls.map((c) => ({ target: c.target, value: c.value.toString(), data: c.data }));
    request.nonce = e.nonce.toString();
    request.deadline = e.deadline.toString();
  } else {
    for (const [k, v] of Object.entries(action.signed.request)) request[k] = typeof v === "bigint" ? v.toString() : (v as string | number | boolean);
  }
  const body: ActionBody = { kind: action.kind, request, signature: action.signed.signature, domain: { chainId: binding.chainId.toString(), verifyingContract: binding.verifyingContract } };
  if (options.account === undefined) return body;
  return { ...body, account: { passkey: requirePasskey("account.passkey", options.account.passkey), salt: requireUint("account.salt", typeof options.account.salt === "bigint" ? options.account.salt.toString() : (options.account.salt ?? 0), 256).toString() } };
}

/**
 * The digest the patient signed for `action`: the action's id at a relayer. A consent kind's is its
 * EIP-712 digest under the registry's `domain`; an `accountExecute`'s is the account's own
 * (`executeDigest`, on `domain.chainId`).
 */
export function actionDigest(domain: TypedDataDomain, action: RelayAction): string {
  if (action.kind === "accountExecute") return executeDigest(BigInt(domain.chainId!), action.signed.account, action.signed);
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

/** An `accountExecute` request (`{ account, calls: [{ target, value, data }], nonce, deadline }`), each field named. */
function executionOf(raw: unknown): Omit<SignedExecution, "signature"> {
  const r = requireObject("request", raw);
  onlyFields("request", r, ["account", "calls", "nonce", "deadline"]);
  const account = requireAddress("request.account", r.account);
  if (!Array.isArray(r.calls)) throw new ValidationError("request.calls", "is not a JSON array of calls");
  const calls = r.calls.map((raw, i) => {
    const c = requireObject(`request.calls[${i}]`, raw);
    onlyFields(`request.calls[${i}]`, c, ["target", "value", "data"]);
    if (typeof c.data !== "string" || !/^0x(?:[0-9a-fA-F]{2})*$/.test(c.data)) throw new ValidationError(`request.calls[${i}].data`, "is not 0x-hex bytes");
    return { target: c.target as string, value: requireUint(`request.calls[${i}].value`, c.value, 256), data: c.data.toLowerCase() };
  });
  let checked;
  try {
    checked = requireCalls(calls);
  } catch (err) {
    if (err instanceof ValidationError) throw new ValidationError(`request.${err.field}`, err.message.replace(/^[^:]*: /, ""));
    throw err;
  }
  return { account, calls: checked, nonce: requireUint("request.nonce", r.nonce, 256), deadline: requireUint("request.deadline", r.deadline, 256) };
}

/** The optional `account` member: the account's first passkey and salt. */
function deploymentOf(raw: unknown): AccountDeployment | undefined {
  if (raw === undefined) return undefined;
  const a = requireObject("account", raw);
  onlyFields("account", a, ["passkey", "salt"]);
  return { passkey: requirePasskey("account.passkey", a.passkey), salt: requireUint("account.salt", a.salt ?? 0, 256) };
}

/**
 * Reads a `POST /actions` body: the kind, the request checked field by field, the signature, the
 * domain it claims to be signed for (checked against the relayer's own by the caller), and the account's
 * deployment when given.
 * @throws {ValidationError} naming the offending field (`kind`, `request.deadline`, `signature`, `domain.chainId`, `account.passkey.x` …)
 */
export function actionFromJson(body: unknown): ReadSignedAction {
  const b = requireObject("body", body);
  onlyFields("body", b, ["kind", "request", "signature", "domain", "account"]);
  if (!isKind(b.kind)) throw new ValidationError("kind", `${JSON.stringify(b.kind)} is not one of ${RELAY_ACTION_KINDS.join(", ")}`);
  const request = b.kind === "accountExecute" ? executionOf(b.request) : requestOf(b.kind, b.request);
  const signature = requireSignature("signature", b.signature);
  const d = requireObject("domain", b.domain);
  onlyFields("domain", d, ["chainId", "verifyingContract"]);
  const binding = { chainId: requireUint("domain.chainId", d.chainId, 256), verifyingContract: requireAddress("domain.verifyingContract", d.verifyingContract) };
  const account = deploymentOf(b.account);
  const signed = b.kind === "accountExecute" ? { ...request, signature } : { request, signature };
  return { kind: b.kind, signed, binding, ...(account === undefined ? {} : { account }) } as unknown as ReadSignedAction;
}

/** The patient whose action it is (whose gas the relayer pays, and whose allowance it counts): for `accountExecute`, the account. */
export function actionPatient(action: RelayAction): string {
  return action.kind === "accountExecute" ? action.signed.account : action.signed.request.patient;
}
