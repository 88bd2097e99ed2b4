/**
 * What the relayer submits, as a small registry of action kinds. The pipeline (relayer/pipeline.ts and
 * relayer/sender.ts) knows nothing of any kind: it asks the kind to read a body, name its id and patient,
 * check its signature the way the chain will, build its transaction, say whether its signature was spent
 * by someone else, and decode its receipt. The four consent kinds are the registry's `…BySig` entries.
 *
 * Every kind may carry the patient account's first passkey and salt (`account`): when the account has no
 * code yet, its transaction deploys it first (relayer/accounts.ts says how, and how its signature is
 * checked before it exists). The passkey account's own signed batches are one more kind,
 * `accountExecute` (relayer/accounts.ts), registered in {@link RELAY_KINDS}.
 *
 * ## Adding a kind
 * One more {@link ActionKind} passed in `RelayerOptions.kinds`: `read` (the SDK's reader, naming the
 * field), `id` (the digest its signer signed, so a repost is the same action), `patient` (whose allowance),
 * `deadline`, `binding` and `contract` (what it must be bound to), `deployment`, `check` (refusals of
 * its own before paying), `verify` (the signature as the chain will check it), `transaction` (one
 * transaction: the pipeline's one-nonce, one-row bookkeeping), `consumed` and `result`. Nothing else
 * changes: the checks (binding, deadline, simulation, gas cap), the rate limit, the durable row and the
 * reconciliation are the pipeline's.
 */
import type { Provider, TransactionReceipt, TypedDataDomain } from "ethers";
import type { ConsentRegistry } from "../typechain-types/contracts/consent/ConsentRegistry";
import type { AccountDeployment } from "../sdk/exchange/relayActions";
import { parseGrantee } from "../sdk/consent/vocab";
import { RelayerProblem } from "./problem";
import { ACCOUNT_EXECUTE_KIND, deploymentResult, hasCode, undeployedAccepts, withDeployment } from "./accounts";
import { eventIn } from "../sdk/core/tx";
import { delegationOf, grantedFrom } from "../sdk/consent/events";
import { actionDigest, actionFromJson, type ActionBinding, type ConsentActionKind, type SignedAction } from "../sdk/exchange/relayActions";
import { contractAccepts } from "../gateway/auth";
import type { CareLedger } from "../sdk/careledger";
import { recoverAddress } from "ethers";
import { ValidationError } from "../sdk/errors";

/** What a kind works with: the suite on the relayer's chain, read through a provider. */
export interface KindContext {
  readonly careledger: CareLedger;
  readonly provider: Provider;
  readonly registry: ConsentRegistry;
  /** The consent registry's EIP-712 domain on this chain. */
  readonly domain: TypedDataDomain;
}

/** One transaction the relayer pays for: where to, and its data (built from the typechain factories). */
export interface ActionCall {
  readonly to: string;
  readonly data: string;
}

/** A kind of action the relayer submits. `A` is the action as the kind reads it. */
export interface ActionKind<A = unknown> {
  /** Its name in `POST /actions`' `kind`. */
  readonly name: string;
  /** Reads a posted (or stored) body. @throws {ValidationError} naming the field */
  read(body: unknown): A;
  /** The action's id: the digest its signer signed. */
  id(ctx: KindContext, action: A): string;
  /** The account whose action it is (its allowance, its signature). */
  patient(action: A): string;
  /** The last second at which it may be submitted, when it has one. */
  deadline(action: A): bigint | undefined;
  /** What it claims to be signed for (checked against the relayer's own chain and {@link contract}). */
  binding(action: A): ActionBinding;
  /** The contract it must be signed for (default: the consent registry). */
  contract?(ctx: KindContext, action: A): string;
  /** The patient account's first passkey and salt, when the body carries them (to deploy it first). */
  deployment?(action: A): AccountDeployment | undefined;
  /** Refusals of its own before paying (e.g. a grant to an organization that is not registered). @throws {RelayerProblem} */
  check?(ctx: KindContext, action: A): Promise<void>;
  /** Whether its signature is its signer's, checked as the contract will at the latest block. */
  verify(ctx: KindContext, action: A): Promise<boolean>;
  /** The one transaction that carries it out. */
  transaction(ctx: KindContext, action: A): Promise<ActionCall>;
  /** Whether its signature can no longer be used because its nonce was spent (by this relayer or another submitter). */
  consumed(ctx: KindContext, action: A): Promise<boolean>;
  /** What it did, from its receipt (JSON). */
  result(ctx: KindContext, receipt: TransactionReceipt): Record<string, unknown>;
}

type Posted = SignedAction & { readonly binding: ActionBinding; readonly account?: AccountDeployment };

/** ECDSA first, then ERC-1271 at the latest block: the registry's own order (ConsentRegistry._checkSigner). */
async function signedBy(ctx: KindContext, patient: string, digest: string, signature: string): Promise<boolean> {
  try {
    if (recoverAddress(digest, signature).toLowerCase() === patient.toLowerCase()) return true;
  } catch {
    // not a 65-byte ECDSA signature: an account's, perhaps
  }
  return contractAccepts(ctx.careledger, patient, digest, signature);
}

/** A consent kind: the registry's `…BySig` function, its event, and the pair nonce it spends. */
function consentKind(
  name: ConsentActionKind,
  fn: "grantBySig" | "revokeBySig" | "appointDelegateBySig" | "removeDelegateBySig",
  event: string,
  decode: (args: Record<string, unknown>) => Record<string, unknown>,
  pairNonce: (registry: ConsentRegistry, r: Record<string, unknown>) => Promise<bigint>,
): ActionKind<Posted> {
  return {
    name,
    read(body) {
      const a = actionFromJson(body);
      if (a.kind !== name) throw new ValidationError("kind", `is ${a.kind}, not ${name}`);
      return a;
    },
    id: (ctx, a) => actionDigest(ctx.domain, a).toLowerCase(),
    patient: (a) => a.signed.request.patient,
    deadline: (a) => a.signed.request.deadline,
    binding: (a) => a.binding,
    deployment: (a) => a.account,
    ...(name === "grant" ? { check: requireRegisteredGrantee } : {}),
    async verify(ctx, a) {
      const { patient } = a.signed.request;
      const digest = actionDigest(ctx.domain, a);
      if (a.account !== undefined && !(await hasCode(ctx, patient))) return undeployedAccepts(ctx, patient, a.account, digest, a.signed.signature);
      return signedBy(ctx, patient, digest, a.signed.signature);
    },
    async transaction(ctx, a) {
      const method = ctx.registry[fn] as unknown as { populateTransaction(r: unknown, s: string): Promise<{ to: string; data: string }> };
      const tx = await method.populateTransaction(a.signed.request, a.signed.signature);
      return withDeployment(ctx, a.signed.request.patient, a.account, { to: tx.to, data: tx.data });
    },
    async consumed(ctx, a) {
      const r = a.signed.request as unknown as Record<string, unknown>;
      return (await pairNonce(ctx.registry, r)) > BigInt(r.nonce as bigint);
    },
    result: (ctx, receipt) => ({ ...decode(eventIn(ctx.registry, receipt, event).args.toObject() as Record<string, unknown>), ...deploymentResult(ctx, receipt) }),
  };
}

/**
 * A grant to an organization that is not registered is refused before paying: the registry would record
 * it inert, and it would then apply to whoever gets that id (the SDK's own rule, `signGrant`).
 * @throws {RelayerProblem} 422 `GRANTEE_NOT_REGISTERED` naming `request.grantee`
 */
async function requireRegisteredGrantee(ctx: KindContext, a: Posted): Promise<void> {
  let grantee: ReturnType<typeof parseGrantee>;
  try {
    grantee = parseGrantee((a.signed.request as { grantee: string }).grantee, "request.grantee");
  } catch {
    return; // neither an account nor an organization: the simulation gives the registry's own error
  }
  if (grantee.kind !== "organization") return;
  try {
    await ctx.careledger.consent.requireOrganization(grantee.orgId);
  } catch (err) {
    if (err instanceof ValidationError) throw new RelayerProblem(422, "GRANTEE_NOT_REGISTERED", `organization ${grantee.orgId} is not registered: the relayer does not pay for a grant that would be inert`, { field: "request.grantee" });
    throw err;
  }
}

/** The consent kinds: grant, revoke, appointDelegate, removeDelegate. */
export const CONSENT_KINDS: readonly ActionKind<Posted>[] = [
  consentKind("grant", "grantBySig", "ConsentGranted", (a) => ({ ...grantedFrom(a) }), (reg, r) => reg.nonces(r.patient as string, r.grantee as string)),
  consentKind("revoke", "revokeBySig", "ConsentRevoked", (a) => ({ patient: a.patient, granteeKey: a.grantee, by: a.by }), (reg, r) => reg.nonces(r.patient as string, r.grantee as string)),
  consentKind(
    "appointDelegate",
    "appointDelegateBySig",
    "DelegateAppointed",
    (a) => ({ patient: a.patient, delegate: a.delegate, ...delegationOf(a) }),
    async (reg, r) => (await reg.delegationOf(r.patient as string, r.delegate as string)).nonce,
  ),
  consentKind(
    "removeDelegate",
    "removeDelegateBySig",
    "DelegateRemoved",
    (a) => ({ patient: a.patient, delegate: a.delegate, by: a.by }),
    async (reg, r) => (await reg.delegationOf(r.patient as string, r.delegate as string)).nonce,
  ),
];

/** Every kind this relayer submits by default: the consent kinds and `accountExecute`. */
export const RELAY_KINDS: readonly ActionKind[] = [...(CONSENT_KINDS as readonly ActionKind[]), ACCOUNT_EXECUTE_KIND as ActionKind];

/** Kinds by name. @throws {Error} when two share a name */
export function kindRegistry(kinds: readonly ActionKind[]): ReadonlyMap<string, ActionKind> {
  const map = new Map<string, ActionKind>();
  for (const k of kinds) {
    if (map.has(k.name)) throw new Error(`two action kinds are named ${k.name}`);
    map.set(k.name, k);
  }
  return map;
}
