/**
 * A patient's disclosure receipts as the SDK hands them over: each one a gateway (or an indexer) answered,
 * checked against the chain (its proof under a root its holder anchored) and against its requester's signed
 * request.
 */
import type { TypedDataDomain } from "ethers";
import { ValidationError } from "../errors";
import { isBytes32 } from "../core/validate";
import type { DisclosuresClient } from "../consent/disclosures";
import { ExchangeError } from "./errors";
import { receiptFromJson, type DisclosureReceipt } from "./receipts";
import { recoverRequestSigner, requestDigest, requireGatewayRequest, type GatewayRequest } from "./request";

/**
 * One of a patient's disclosure receipts, as the holder's gateway hands it over, checked by the SDK.
 * `status`: `verified` — its proof puts it under a root the holder anchored on chain, in a block at or after
 * the one it says consent was checked at; `pending` — not yet bound to a root, or its root not yet on chain
 * (the holder anchors every few seconds); `refuted` — the gateway (or the indexer, which answers only receipts
 * it has seen anchored) says its root is anchored but the chain or the proof says otherwise, or consent was
 * "checked" after the anchor. `resource`, `recordId` and
 * `accessNonce` are the holder's word: with the record's salt (from `$everything`), `accessReference({ salt,
 * recordId }, accessNonce)` must give `receipt.accessRef`.
 */
export interface PatientReceipt {
  readonly receipt: DisclosureReceipt;
  readonly status: "verified" | "pending" | "refuted";
  /**
   * A `pending` receipt still not on chain `overdueAfterSeconds` (default 3,600) after its requester signed the
   * request (`request.issuedAt`, the requester's word, not the holder's): the holder anchors every few seconds,
   * so a receipt pending that long is one it has not anchored.
   */
  readonly overdue: boolean;
  /** When the root was anchored (seconds since the epoch), for a verified receipt. */
  readonly anchoredAt?: number;
  /** The resource released (`Observation/…`), as the holder names it. */
  readonly resource: string;
  readonly recordId: string;
  /** With the record's salt, what shows that `receipt.accessRef` is about this record. */
  readonly accessNonce: string;
  /** The request the requester signed, and its signature. */
  readonly request: GatewayRequest;
  readonly signature: string;
  /**
   * Whether `request` hashes to `receipt.requestDigest`, names the receipt's requester and purpose and this
   * gateway's origin, and its signature recovers to `receipt.requester`: the requester asked this holder, for
   * this purpose — not the holder alone. False for a smart-account requester (ERC-1271), whose signature this
   * check does not put to the account. For a receipt read from an indexer ({@link ExchangeClient.indexedReceipts})
   * the origin is not checked: nothing there says which gateway is the holder's.
   */
  readonly requestVerified: boolean;
  readonly root: string | null;
  readonly proof: readonly string[] | null;
  /** When the gateway wrote it (ISO 8601). */
  readonly at: string;
}

/** A page of a patient's receipts. */
export interface ReceiptsPage {
  readonly receipts: readonly PatientReceipt[];
  /** The path of the next page: `receipts(target, { next })`. */
  readonly next?: string;
}

/**
 * One receipt of a page, as a gateway or an indexer hands it over, checked against the chain (`ctx.domain`:
 * the requests' EIP-712 domain; `ctx.disclosures`: the DisclosureLog read). `from.holder`: the organization whose gateway was asked (undefined for an
 * indexer's: the receipt's own holder); `from.origin`: that gateway's origin, which the request must name
 * (undefined: not checked); `from.indexed`: the source says the root is anchored (an indexer answers only
 * those), so a root the chain does not hold refutes it.
 */
export async function checkPatientReceipt(
  ctx: { readonly domain: TypedDataDomain; readonly disclosures: DisclosuresClient },
  raw: Record<string, unknown>,
  i: number,
  from: { patient: string; holder: bigint | undefined; origin: string | undefined; indexed: boolean },
  overdueAfter: number,
): Promise<PatientReceipt> {
  const invalid = (why: string, cause?: unknown) => new ExchangeError("RECEIPT_INVALID", `receipts[${i}]: ${why}`, { status: 200, cause });
  let receipt: DisclosureReceipt;
  let request: GatewayRequest;
  try {
    receipt = receiptFromJson(raw?.receipt);
    request = requireGatewayRequest(raw.request);
  } catch (err) {
    throw invalid(`is not a disclosure receipt (${(err as Error).message})`, err);
  }
  const { patient } = from;
  if (receipt.patient.toLowerCase() !== patient) throw invalid(`is about ${receipt.patient}, not ${patient}`);
  if (from.holder !== undefined && receipt.holderOrgId !== from.holder) throw invalid(`was written by organization ${receipt.holderOrgId}, not ${from.holder} (the gateway asked)`);
  for (const field of ["recordId", "accessNonce"] as const) {
    if (!isBytes32(raw[field])) throw invalid(`its ${field} is not 32 bytes of hex`);
  }
  if (typeof raw.resource !== "string" || raw.resource === "") throw invalid("names no resource");
  const root = raw.root === null || raw.root === undefined ? null : raw.root;
  const proof = raw.proof === null || raw.proof === undefined ? null : raw.proof;
  if ((root === null) !== (proof === null)) throw invalid("has a root without a proof, or a proof without a root");
  const signature = typeof raw.signature === "string" ? raw.signature : "";
  // The requester asked this gateway for this disclosure: the request is the one hashed into the receipt,
  // signed by the receipt's requester, for this gateway (when known), under the receipt's purpose.
  const requestVerified =
    requestDigest(ctx.domain, request) === receipt.requestDigest.toLowerCase() &&
    request.requester.toLowerCase() === receipt.requester.toLowerCase() &&
    request.purpose === receipt.purpose &&
    (from.origin === undefined || request.origin === from.origin) &&
    recoverRequestSigner(ctx.domain, request, signature)?.toLowerCase() === receipt.requester.toLowerCase();
  let status: PatientReceipt["status"] = "pending";
  let anchoredAt: number | undefined;
  if (root !== null && proof !== null) {
    let check;
    try {
      check = await ctx.disclosures.verifyReceipt({ receipt, proof: proof as string[], root: root as string });
    } catch (err) {
      if (err instanceof ValidationError) throw invalid(`its root or proof is malformed (${err.message})`, err);
      throw err;
    }
    if (check.verified && check.blockNumber !== undefined && receipt.permittedAtBlock <= check.blockNumber) {
      status = "verified";
      anchoredAt = check.anchoredAt;
    } else if (check.anchored || raw.anchored === true || from.indexed) {
      // Anchored but not under it, or under it with consent checked after the anchor (no such decision
      // precedes it), or said to be anchored and not on chain.
      status = "refuted";
    }
  }
  return {
    receipt,
    status,
    overdue: status === "pending" && Math.floor(Date.now() / 1000) - request.issuedAt >= overdueAfter,
    anchoredAt,
    resource: raw.resource,
    recordId: raw.recordId as string,
    accessNonce: raw.accessNonce as string,
    request,
    signature,
    requestVerified,
    root: root as string | null,
    proof: proof as string[] | null,
    at: String(raw.at),
  };
}
