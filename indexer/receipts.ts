/**
 * The gateways' disclosure receipts, held by the indexer (issue 15: "a patient's own disclosure receipts
 * (from the gateways) are returned only to a request signed by that patient or a delegate in scope"), so
 * that a patient reads every holder's from one place. What the routes (indexer/api.ts) call, each part
 * testable without HTTP:
 *
 * - {@link readReceiptsBody}: a `POST /receipts` body, every entry checked by the SDK (sdk/exchange/receipts.ts:
 *   its fields as `receiptValues` checks them, its leaf under its root by its proof) — a 400 naming the element;
 * - {@link requireHolderMember}: the signer an active member of every entry's holder, read from the chain — a 403;
 * - {@link storeReceipts}: every root anchored by its holder in the events stored — else a 409 (`not-found`),
 *   the publisher posting again once the indexer has seen the anchoring — then all of them stored in one
 *   statement, an entry stored before counted as known;
 * - {@link readerScope}: who may read a patient's receipts — the patient, or a delegate whose delegation is in
 *   force at the indexer's head (a representative: all; a limited delegate: its classes) — else a 403 that
 *   says nothing of the receipts;
 * - {@link receiptsPage}: a page of them, oldest anchoring first, each only while its root's anchoring by its
 *   holder is in the stored events (joined at every read: a rolled-back anchoring hides its receipts until it
 *   is indexed again).
 */
import type { CareLedger } from "../sdk/careledger";
import { isBytes32, requireBytes32 } from "../sdk/core/validate";
import { DATA_CLASSES, type DataClassName } from "../sdk/consent/codes";
import { ValidationError } from "../sdk/errors";
import { MAX_RECEIPTS_PER_ROOT, receiptFromJson, receiptLeaf, verifyReceiptProof, type DisclosureReceipt } from "../sdk/exchange/receipts";
import { MAX_SIGNATURE_BYTES, requestDigest, requireGatewayRequest } from "../sdk/exchange/request";
import { contractAccepts, recoverSigner } from "../gateway/auth";
import { getAddress, type TypedDataDomain } from "ethers";
import { chainDown, GatewayError } from "../gateway/fhir";
import type { Database } from "../gateway/db";
import { SUITE_INTERFACES } from "./decode";

/** The indexer's nonce table (migration 1797206400000): the gateway's is `request_nonces`, and they may share a database. */
export const INDEXER_NONCES = "indexer_request_nonces";
/** Most entries one `POST /receipts` carries. */
export const MAX_RECEIPTS_PER_POST = 1_024;
/** Largest `POST /receipts` body in bytes: 1,024 entries of the longest proofs are under 3 MiB. */
export const RECEIPTS_BODY_LIMIT = 4 * 1024 * 1024;
/** Most hashes in a receipt's proof: the depth of a tree of {@link MAX_RECEIPTS_PER_ROOT} leaves. */
export const MAX_PROOF_LENGTH = Math.ceil(Math.log2(MAX_RECEIPTS_PER_ROOT));
/** Longest resource reference (`Observation/<id>/_history/<version>`; a FHIR id is at most 64 characters). */
const MAX_RESOURCE_LENGTH = 256;
/** Longest signature: 0x and 2,048 bytes (an ERC-1271 account's signature is any length). */
const SIGNATURE = new RegExp(`^0x(?:[0-9a-fA-F]{2}){1,${MAX_SIGNATURE_BYTES}}$`);
/** An ISO 8601 date-time with its offset, as the gateway writes `at` (`Date.toISOString()`). */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** The keys of one entry: the gateway's `GET /receipts` element without `anchored`. */
const ENTRY_KEYS = ["receipt", "root", "proof", "accessNonce", "recordId", "resource", "request", "signature", "at"] as const;
/** The keys of an entry's receipt (sdk/exchange/receipts.ts `DisclosureReceipt`). */
const RECEIPT_KEYS = ["requestDigest", "requester", "holderOrgId", "patient", "accessRef", "dataClass", "purpose", "permittedAtBlock"] as const;

/** One posted entry, checked. */
export interface PostedReceipt {
  /** Its place in the body (what a refusal names). */
  readonly index: number;
  readonly receipt: DisclosureReceipt;
  /** The root, lower-case. */
  readonly root: string;
  /** The receipt's leaf, computed from the receipt (never taken from the poster). */
  readonly leaf: string;
  /** The entry as posted. */
  readonly entry: Readonly<Record<string, unknown>>;
}

/** A receipt as the indexer answers it: the entry as posted, and where its root was anchored. */
export interface IndexedReceipt {
  readonly entry: Readonly<Record<string, unknown>>;
  readonly leaf: string;
  readonly blockNumber: number;
  readonly logIndex: number;
  readonly txHash: string;
  /** Seconds since the epoch. */
  readonly time: number;
}

/** Where the DisclosureLog's anchorings are in `events`: its address (lower-case) and its event's topic. */
export interface AnchoringEvents {
  readonly address: string;
  readonly topic0: string;
}

/** The anchorings of the suite at `addresses` (its DisclosureLog's DisclosuresAnchored). */
export function anchoringEvents(addresses: { readonly DisclosureLog: string }): AnchoringEvents {
  return { address: addresses.DisclosureLog.toLowerCase(), topic0: SUITE_INTERFACES.DisclosureLog.getEvent("DisclosuresAnchored")!.topicHash.toLowerCase() };
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** Refuses a key of `value` not among `keys`, naming it under `prefix`. */
function onlyKeys(value: Record<string, unknown>, keys: readonly string[], prefix: string): void {
  for (const key of Object.keys(value)) {
    if (!keys.includes(key)) throw new ValidationError(`${prefix}${key}`, `is not a field here (${keys.join(", ")})`);
  }
}

/** One entry checked; its element named relative to the entry. @throws {ValidationError} */
function readEntry(raw: unknown, index: number): PostedReceipt {
  if (!isObject(raw)) throw new ValidationError("", "is not an entry (an object: receipt, root, proof, accessNonce, recordId, resource, request, signature, at)");
  onlyKeys(raw, ENTRY_KEYS, "");
  if (isObject(raw.receipt)) onlyKeys(raw.receipt, RECEIPT_KEYS, "receipt.");
  const receipt = receiptFromJson(raw.receipt, "receipt");
  const root = requireBytes32("root", raw.root);
  if (!Array.isArray(raw.proof)) throw new ValidationError("proof", "is not an array of 32-byte hashes");
  if (raw.proof.length > MAX_PROOF_LENGTH) throw new ValidationError("proof", `has ${raw.proof.length} hashes: a root of at most ${MAX_RECEIPTS_PER_ROOT} receipts needs at most ${MAX_PROOF_LENGTH}`);
  for (const field of ["accessNonce", "recordId"] as const) if (!isBytes32(raw[field])) throw new ValidationError(field, `${JSON.stringify(raw[field])} is not 32 bytes of hex`);
  if (typeof raw.resource !== "string" || raw.resource.length === 0 || raw.resource.length > MAX_RESOURCE_LENGTH) {
    throw new ValidationError("resource", `is not a resource reference (1 to ${MAX_RESOURCE_LENGTH} characters)`);
  }
  requireGatewayRequest(raw.request);
  if (typeof raw.signature !== "string" || !SIGNATURE.test(raw.signature)) throw new ValidationError("signature", `is not 0x-hex (1 to ${MAX_SIGNATURE_BYTES} bytes)`);
  if (typeof raw.at !== "string" || !DATE_TIME.test(raw.at) || Number.isNaN(Date.parse(raw.at))) throw new ValidationError("at", `${JSON.stringify(raw.at)} is not an ISO 8601 date-time`);
  // PostgreSQL's jsonb holds no NUL character (and no resource, reference or request has one).
  if (JSON.stringify(raw).includes("\\u0000")) throw new ValidationError("", "holds a NUL character");
  if (!verifyReceiptProof(receipt, raw.proof as string[], root)) throw new ValidationError("proof", `does not lead from the receipt's leaf to its root ${root}`);
  return { index, receipt, root, leaf: receiptLeaf(receipt), entry: raw };
}

/**
 * A `POST /receipts` body (`{ "receipts": [entry, …] }`, 1 to {@link MAX_RECEIPTS_PER_POST} entries), every
 * entry checked: exactly the fields of the gateway's `GET /receipts` element without `anchored`, each as the
 * SDK checks it, and its proof leading from the receipt's leaf to its root.
 * @throws {GatewayError} 400 (`invalid`) naming the element (`receipts[3].proof`, `receipts[0].receipt.patient`);
 *   413 (`too-costly`) over {@link MAX_RECEIPTS_PER_POST} entries
 */
export function readReceiptsBody(body: unknown): PostedReceipt[] {
  if (!isObject(body)) throw new GatewayError(400, "invalid", 'the body is not { "receipts": [entry, …] }');
  for (const key of Object.keys(body)) if (key !== "receipts") throw new GatewayError(400, "invalid", `${key}: not a field of the body (receipts)`, key);
  const entries = body.receipts;
  if (!Array.isArray(entries) || entries.length === 0) throw new GatewayError(400, "invalid", "receipts: is not an array of 1 or more entries", "receipts");
  if (entries.length > MAX_RECEIPTS_PER_POST) {
    throw new GatewayError(413, "too-costly", `receipts: ${entries.length} entries is more than one request carries (${MAX_RECEIPTS_PER_POST}): post them in several`, "receipts");
  }
  return entries.map((raw, i) => {
    try {
      return readEntry(raw, i);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      const element = `receipts[${i}]${err.field === "" ? "" : `.${err.field}`}`;
      throw new GatewayError(400, "invalid", `${element}: ${err.message.slice(err.field.length + 2)}`, element);
    }
  });
}

/**
 * Checks that every entry's request is the one its receipt names — it hashes (EIP-712, `domain`) to the
 * receipt's `requestDigest`, for its requester and purpose — and that the entry's signature is the
 * requester's over it (an account's key, or ERC-1271 for a smart account, asked on chain): a holder cannot
 * pin a receipt on a request its requester never signed, and no later, correct entry is shadowed by a wrong
 * one stored first.
 * @throws {GatewayError} 400 naming `receipts[i].request` or `receipts[i].signature`; 503 when the chain
 *   cannot be read for a smart account's answer
 */
export async function requireRequestsSigned(careledger: CareLedger, domain: TypedDataDomain, entries: readonly PostedReceipt[]): Promise<void> {
  for (const e of entries) {
    const request = requireGatewayRequest(e.entry.request);
    const element = (field: string) => `receipts[${e.index}].${field}`;
    const refuse = (field: string, why: string) => new GatewayError(400, "invalid", `${element(field)}: ${why}`, element(field));
    if (requestDigest(domain, request) !== e.receipt.requestDigest) throw refuse("request", "does not hash to the receipt's requestDigest (on this chain and deployment)");
    if (request.requester.toLowerCase() !== e.receipt.requester.toLowerCase()) throw refuse("request", "names another requester than the receipt's");
    if (request.purpose !== e.receipt.purpose) throw refuse("request", "names another purpose than the receipt's");
    const signature = e.entry.signature as string;
    if (recoverSigner(e.receipt.requestDigest, signature) === getAddress(request.requester)) continue;
    let accepted: boolean;
    try {
      accepted = await contractAccepts(careledger, request.requester, e.receipt.requestDigest, signature);
    } catch {
      throw chainDown(" to check a smart account's signature", "nothing is stored");
    }
    if (!accepted) throw refuse("signature", "is not the requester's signature over the request");
  }
}

/**
 * Checks that `poster` is an active member of every entry's holder, on chain now.
 * @throws {GatewayError} 403 (`forbidden`) naming the first entry's `receipt.holderOrgId` it is not a member
 *   of; 503 when the chain cannot be read
 */
export async function requireHolderMember(careledger: CareLedger, poster: string, entries: readonly PostedReceipt[]): Promise<void> {
  let member;
  try {
    member = await careledger.participants.isActiveMember(poster);
  } catch {
    throw chainDown(" to check the poster's membership", "nothing is stored");
  }
  const stranger = entries.find((e) => !member.active || member.orgId !== e.receipt.holderOrgId);
  if (stranger !== undefined) {
    const element = `receipts[${stranger.index}].receipt.holderOrgId`;
    throw new GatewayError(403, "forbidden", `${element}: only an active member of organization ${stranger.receipt.holderOrgId} posts its receipts, and ${poster} is not one`, element);
  }
}

/**
 * Stores the entries, in one transaction, once each root is anchored by its holder in the events stored (and
 * each receipt's consent was checked no later than that anchoring); an entry stored before (the same root and
 * leaf) is known, and left as it was.
 * @returns how many were stored and how many were known
 * @throws {GatewayError} 409 (`not-found`) naming `receipts[i].root` when a root is not (yet) anchored by the
 *   receipt's holder in the events stored; 400 naming `receipts[i].receipt.permittedAtBlock` when consent was
 *   "checked" after the root was anchored; nothing stored either way
 */
export async function storeReceipts(db: Database, anchorings: AnchoringEvents, entries: readonly PostedReceipt[], poster: string): Promise<{ stored: number; known: number }> {
  return db.transaction(async (client) => {
    const roots = [...new Set(entries.map((e) => e.root))];
    const anchored = await client.query<{ root: string; org_id: string; block_number: string }>(
      "SELECT topic2 AS root, org_id, block_number FROM events WHERE address = $1 AND topic0 = $2 AND topic2 = ANY($3::text[])",
      [anchorings.address, anchorings.topic0, roots],
    );
    const blockOf = new Map(anchored.rows.map((r) => [`${r.org_id}:${r.root}`, BigInt(r.block_number)]));
    for (const e of entries) {
      const block = blockOf.get(`${e.receipt.holderOrgId}:${e.root}`);
      if (block === undefined) {
        const element = `receipts[${e.index}].root`;
        throw new GatewayError(409, "not-found", `${element}: ${e.root} is not anchored by organization ${e.receipt.holderOrgId} in the blocks indexed yet: post it again later`, element);
      }
      if (e.receipt.permittedAtBlock > block) {
        const element = `receipts[${e.index}].receipt.permittedAtBlock`;
        throw new GatewayError(400, "invalid", `${element}: consent "checked" at block ${e.receipt.permittedAtBlock}, after its root was anchored at block ${block}`, element);
      }
    }
    const r = await client.query(
      `INSERT INTO indexed_receipts (root, leaf, holder_org_id, patient, data_class, entry, posted_by)
       SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::smallint[], $6::jsonb[], $7::text[])
       ON CONFLICT (root, leaf) DO NOTHING`,
      [
        entries.map((e) => e.root),
        entries.map((e) => e.leaf.toLowerCase()),
        entries.map((e) => e.receipt.holderOrgId.toString()),
        entries.map((e) => e.receipt.patient.toLowerCase()),
        entries.map((e) => e.receipt.dataClass),
        entries.map((e) => JSON.stringify(e.entry)),
        entries.map(() => poster.toLowerCase()),
      ],
    );
    const stored = r.rowCount ?? 0;
    return { stored, known: entries.length - stored };
  });
}

/** Which of a patient's receipts a reader sees: all, or those of these data classes (bit positions). */
export type ReaderScope = { readonly all: true } | { readonly all: false; readonly classes: readonly number[] };

/**
 * Who may read `patient`'s receipts: the patient (all of them); a delegate whose delegation, read at the
 * chain's latest block, is in force at that block's time — a representative all of them, a limited delegate those
 * of its delegation's classes (never an unclassified one, 255). The refusal is the same whether or not the
 * patient has receipts: it is decided before any is read.
 * @throws {GatewayError} 403 (`forbidden`) for anyone else; 503 when the chain cannot be read
 */
export async function readerScope(careledger: CareLedger, patient: string, reader: string): Promise<ReaderScope> {
  if (reader.toLowerCase() === patient.toLowerCase()) return { all: true };
  let delegation;
  let latest;
  try {
    // The chain's latest block, not the indexer's head: a removal, or a term run out, takes effect in its own
    // block, whatever the indexer has reached.
    latest = await careledger.runner.provider!.getBlock("latest");
    if (latest === null) throw new Error("no latest block");
    delegation = await careledger.consent.delegation(patient, reader, { blockTag: latest.number });
  } catch {
    throw chainDown(" to check the reader's delegation", "nothing is answered");
  }
  if (!(delegation.until > latest.timestamp)) {
    throw new GatewayError(403, "forbidden", `a patient's receipts are read by the patient, or a delegate of the patient in force at block ${latest.number}: ${reader} is neither`);
  }
  if (delegation.representative) return { all: true };
  return { all: false, classes: delegation.classes.map((c: DataClassName) => DATA_CLASSES[c]) };
}

interface ReceiptRow {
  entry: Record<string, unknown>;
  leaf: string;
  block_number: string;
  log_index: number;
  tx_hash: string;
  block_time: string;
}

/**
 * A page of `patient`'s receipts in `scope`, after `after`, oldest anchoring first (the block and log of its
 * root's DisclosuresAnchored by its holder, then its leaf); one more than `count` says a next page exists.
 * A receipt whose root's anchoring by its holder is not in the stored events is not answered.
 */
export async function receiptsPage(
  db: Database,
  anchorings: AnchoringEvents,
  patient: string,
  scope: ReaderScope,
  after: { block: number; log: number; leaf: string } | undefined,
  count: number,
): Promise<IndexedReceipt[]> {
  const values: unknown[] = [patient.toLowerCase(), anchorings.address, anchorings.topic0];
  const where = ["r.patient = $1"];
  if (!scope.all) {
    values.push(scope.classes);
    where.push(`r.data_class = ANY($${values.length}::smallint[])`);
  }
  if (after !== undefined) {
    values.push(after.block, after.log, after.leaf);
    where.push(`(e.block_number, e.log_index, r.leaf) > ($${values.length - 2}, $${values.length - 1}, $${values.length})`);
  }
  values.push(count + 1);
  const r = await db.pool.query<ReceiptRow>(
    `SELECT r.entry, r.leaf, e.block_number, e.log_index, e.tx_hash, e.block_time
     FROM indexed_receipts r
     JOIN events e ON e.address = $2 AND e.topic0 = $3 AND e.topic2 = r.root AND e.org_id = r.holder_org_id
     WHERE ${where.join(" AND ")}
     ORDER BY e.block_number, e.log_index, r.leaf LIMIT $${values.length}`,
    values,
  );
  return r.rows.map((row) => ({
    entry: row.entry,
    leaf: row.leaf,
    blockNumber: Number(row.block_number),
    logIndex: row.log_index,
    txHash: row.tx_hash,
    time: Number(row.block_time),
  }));
}
