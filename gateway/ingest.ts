/**
 * Ingest: the holding organization's own systems post a FHIR transaction Bundle; the gateway validates
 * every resource (Medplum's R4 validator, through the SDK), resolves each one's patient to an account,
 * classifies it into consent data classes (the SDK's table), stores it sealed, anchors the new records as
 * one Merkle batch with the SDK and keeps the salts. An entry that PUTs an id stored before is a new
 * version of that record (a correction): stored beside the versions before it and anchored as an
 * amendment of the record on chain (after registering its first version from its batch proof, once).
 * All or nothing: an invalid entry refuses the Bundle (400 naming the element) and nothing is stored or
 * anchored.
 */
import { randomUUID } from "crypto";
import { getAddress, isAddress } from "ethers";
import type { CareLedger } from "../sdk/careledger";
import { classMask } from "../sdk/consent/vocab";
import { classifyResource } from "../sdk/consent/resourceClasses";
import { ACCOUNT_SYSTEM } from "../sdk/core/fhirSystems";
import { fhirIssues } from "../sdk/core/fhirValidation";
import { patientOf } from "../sdk/exchange/client";
import { EVIDENCE_EXTENSION_URL } from "../sdk/exchange/evidence";
import type { Authenticated } from "./auth";
import type { Database } from "./db";
import { chainDown, databaseDown, FHIR_ID, GatewayError, SERVED_TYPES } from "./fhir";
import { amendOnChain, batchHeld, versionHeld } from "./recovery";
import type { NewRecord, RecordRow, RecordStore } from "./store";

/** The most entries one ingest Bundle may carry (one Merkle batch, one transaction). */
export const MAX_INGEST_ENTRIES = 10_000;


/** The path of the first empty array or object in `node` (FHIR JSON has none), or undefined. */
function emptyElement(node: unknown, at: string, depth = 0): string | undefined {
  if (depth > 64) return at;
  if (Array.isArray(node)) {
    if (node.length === 0) return at;
    for (let i = 0; i < node.length; i++) {
      const found = emptyElement(node[i], `${at}[${i}]`, depth + 1);
      if (found !== undefined) return found;
    }
  } else if (node !== null && typeof node === "object") {
    const entries = Object.entries(node as Record<string, unknown>);
    if (entries.length === 0) return at;
    for (const [key, value] of entries) {
      const found = emptyElement(value, `${at}.${key}`, depth + 1);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

interface Entry {
  fullUrl?: string;
  resource?: Record<string, unknown>;
  request?: { method?: string; url?: string; ifMatch?: string };
}

/** The most entries of one Bundle that are new versions: each is its own transaction on chain (or two). */
export const MAX_INGEST_UPDATES = 100;

function invalid(message: string, expression: string): never {
  throw new GatewayError(400, "invalid", message, expression);
}

/** Replaces every `reference` found in `refs` (urn:uuid fullUrls → Type/id), in place. */
function rewriteReferences(node: unknown, refs: Map<string, string>): void {
  if (Array.isArray(node)) {
    for (const item of node) rewriteReferences(item, refs);
  } else if (node !== null && typeof node === "object") {
    const o = node as Record<string, unknown>;
    for (const [key, value] of Object.entries(o)) {
      if (key === "reference" && typeof value === "string" && refs.has(value)) o[key] = refs.get(value);
      else rewriteReferences(value, refs);
    }
  }
}

/** The account a Patient resource names (identifier system urn:careledger:account), or undefined. */
function accountOf(patient: Record<string, unknown>): string | undefined {
  const ids = Array.isArray(patient.identifier) ? (patient.identifier as { system?: unknown; value?: unknown }[]) : [];
  const found = ids.find((i) => i?.system === ACCOUNT_SYSTEM);
  return typeof found?.value === "string" && isAddress(found.value) ? getAddress(found.value) : undefined;
}


/**
 * Validates, stores and anchors a transaction Bundle. The requester must be an active member of the
 * holding organization.
 * @returns a transaction-response Bundle
 * @throws {GatewayError} 403 for a requester outside the organization, 400 naming the element for
 *   anything invalid, 409 for a POST of an id stored before (or a new version of a record whose last
 *   version is still being anchored, was shredded, or was amended on chain outside this gateway), 412 for
 *   a request.ifMatch that is not the current version, 503 when the chain or the database is unavailable
 */
export async function ingest(
  ctx: { careledger: CareLedger; db: Database; store: RecordStore; holderOrgId: bigint; anchoring: Set<string> },
  auth: Authenticated,
  body: unknown,
): Promise<object> {
  let member;
  try {
    member = await ctx.careledger.participants.isActiveMember(auth.request.requester);
  } catch {
    throw chainDown(" to check the requester's standing", "nothing is stored");
  }
  if (!member.active || member.orgId !== ctx.holderOrgId) {
    throw new GatewayError(403, "forbidden", `only active members of organization ${ctx.holderOrgId} ingest records here; ${auth.request.requester} is not one`);
  }
  const bundle = body as { resourceType?: unknown; type?: unknown; entry?: unknown } | null;
  if (bundle === null || typeof bundle !== "object" || bundle.resourceType !== "Bundle") invalid("the body is not a FHIR Bundle", "Bundle");
  if (bundle.type !== "transaction") invalid(`Bundle.type is ${JSON.stringify(bundle.type)}: post a transaction Bundle`, "Bundle.type");
  if (!Array.isArray(bundle.entry) || bundle.entry.length === 0) invalid("the Bundle has no entries", "Bundle.entry");
  const entries = bundle.entry as Entry[];
  if (entries.length > MAX_INGEST_ENTRIES) invalid(`the Bundle has ${entries.length} entries; at most ${MAX_INGEST_ENTRIES} a transaction`, "Bundle.entry");

  // Ids and the urn:uuid references of the transaction.
  const refs = new Map<string, string>();
  const resources: { type: string; id: string; resource: Record<string, unknown>; method: "POST" | "PUT"; ifMatch?: number }[] = [];
  entries.forEach((entry, i) => {
    const at = `Bundle.entry[${i}]`;
    const resource = entry?.resource;
    if (resource === null || typeof resource !== "object" || Array.isArray(resource)) invalid("has no resource", `${at}.resource`);
    const type = resource.resourceType;
    if (typeof type !== "string" || !(SERVED_TYPES as readonly string[]).includes(type)) invalid(`resourceType ${JSON.stringify(type)} is not one this gateway serves`, `${at}.resource.resourceType`);
    const method = entry.request?.method;
    if (method !== "POST" && method !== "PUT") invalid(`request.method ${JSON.stringify(method)}: only POST (create) and PUT (create, or a new version of an id stored before) are accepted`, `${at}.request.method`);
    const uuid = typeof entry.fullUrl === "string" && entry.fullUrl.startsWith("urn:uuid:") ? entry.fullUrl.slice("urn:uuid:".length) : undefined;
    // A PUT names what it writes in request.url, exactly "Observation/abc" (no conditional update), and the
    // resource's id, when it has one, agrees with it.
    const named = method === "PUT" ? /^([A-Za-z]+)\/([^/?#]+)$/.exec(typeof entry.request?.url === "string" ? entry.request.url : "") : null;
    if (method === "PUT" && (named === null || named[1] !== type || (typeof resource.id === "string" && resource.id !== named[2]))) {
      invalid(
        `request.url ${JSON.stringify(entry.request?.url)} does not name this resource: a PUT names it as ${type}/<id>${typeof resource.id === "string" ? ` (${type}/${resource.id})` : ""}; conditional updates are not supported`,
        `${at}.request.url`,
      );
    }
    const id = typeof resource.id === "string" ? resource.id : (named?.[2] ?? uuid ?? randomUUID());
    let ifMatch: number | undefined;
    if (entry.request?.ifMatch !== undefined) {
      const m = /^W\/"([1-9][0-9]{0,8})"$/.exec(String(entry.request.ifMatch));
      if (method !== "PUT" || m === null) invalid(`request.ifMatch ${JSON.stringify(entry.request.ifMatch)}: give it on a PUT, as W/"<version>"`, `${at}.request.ifMatch`);
      ifMatch = Number(m[1]);
    }
    if (!FHIR_ID.test(id)) invalid(`${JSON.stringify(id)} is not a FHIR id this gateway stores (1 to 64 of A-Z a-z 0-9 - ., not "." or "..")`, `${at}.resource.id`);
    const empty = emptyElement(resource, `${at}.resource`);
    if (empty !== undefined) invalid("is empty, or nested too deep: FHIR JSON has no empty arrays or objects (an empty element would not survive its round trip, and the record would never verify)", empty);
    const ext = resource.extension;
    if (Array.isArray(ext) && ext.some((e) => (e as { url?: unknown })?.url === EVIDENCE_EXTENSION_URL)) {
      invalid("carries the gateway's own evidence extension: post records as your systems hold them", `${at}.resource.extension`);
    }
    if (typeof entry.fullUrl === "string") refs.set(entry.fullUrl, `${type}/${id}`);
    resources.push({ type, id, resource: { ...structuredClone(resource), id }, method, ...(ifMatch === undefined ? {} : { ifMatch }) });
  });
  const seen = new Set<string>();
  resources.forEach((r, i) => {
    const key = `${r.type}/${r.id}`;
    if (seen.has(key)) invalid(`${key} appears twice in the Bundle`, `Bundle.entry[${i}].resource.id`);
    seen.add(key);
    rewriteReferences(r.resource, refs);
    const issues = fhirIssues(r.resource);
    if (issues.length > 0) invalid(`${issues[0].message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ""}`, `Bundle.entry[${i}].resource${issues[0].expression ? `.${issues[0].expression.replace(/^[A-Za-z]+\.?/, "")}` : ""}`.replace(/\.$/, ""));
  });

  // Patients, classes and accounts.
  const accounts = new Map<string, string>();
  resources.forEach((r, i) => {
    if (r.type !== "Patient") return;
    const account = accountOf(r.resource);
    if (account === undefined) invalid(`Patient/${r.id} has no CareLedger account: add identifier { system: "${ACCOUNT_SYSTEM}", value: <0x address> }`, `Bundle.entry[${i}].resource.identifier`);
    accounts.set(`Patient/${r.id}`, account);
  });
  type Prepared = Omit<NewRecord, "recordId" | "commitment" | "version" | "root" | "proof" | "salt"> & { previous?: RecordRow };
  const prepared: Prepared[] = [];
  const client = await ctx.db.pool.connect().catch(() => {
    throw databaseDown("nothing is stored");
  });
  try {
    for (const [i, r] of resources.entries()) {
      const c = classifyResource(r.resource);
      const patientRef = r.type === "Patient" ? `Patient/${r.id}` : c.released ? c.patient : patientOf(r.resource);
      if (patientRef === undefined) invalid(c.released ? "names no patient (subject or patient)" : c.reason, `Bundle.entry[${i}].resource`);
      if (!/^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(patientRef)) invalid(`names its patient as ${JSON.stringify(patientRef)}: name it Patient/<id> (no version, no absolute URL)`, `Bundle.entry[${i}].resource`);
      const account = accounts.get(patientRef) ?? (await ctx.store.patientAccount(client, patientRef));
      if (account === undefined) invalid(`names ${patientRef}, which is neither in this Bundle nor stored here with a CareLedger account`, `Bundle.entry[${i}].resource`);
      const previous = await ctx.store.latest(client, r.type, r.id);
      const at = `Bundle.entry[${i}]`;
      if (previous === undefined && r.ifMatch !== undefined) {
        throw new GatewayError(412, "conflict", `${r.type}/${r.id} is not stored here, so it has no version ${r.ifMatch} (request.ifMatch)`, `${at}.request.ifMatch`);
      }
      if (previous !== undefined) {
        if (r.method === "POST") throw new GatewayError(409, "duplicate", `${r.type}/${r.id} is stored already: PUT it to send a new version`, `${at}.resource.id`);
        if (previous.shredded) throw new GatewayError(409, "conflict", `${r.type}/${r.id} was shredded (its content destroyed): it takes no new version`, `${at}.resource.id`);
        if (previous.state !== "anchored") {
          throw new GatewayError(409, "conflict", `version ${previous.version} of ${r.type}/${r.id} is still being anchored: send the new version once it is`, `${at}.resource.id`);
        }
        if (r.type === "Patient" && accounts.get(`Patient/${r.id}`) !== getAddress(previous.patient)) {
          throw new GatewayError(409, "conflict", `a new version of Patient/${r.id} names another CareLedger account than the one its records are held for: an account is not moved by a correction`, `${at}.resource.identifier`);
        }
        if (r.ifMatch !== undefined && r.ifMatch !== previous.version) {
          throw new GatewayError(412, "conflict", `${r.type}/${r.id} is at version ${previous.version}, not ${r.ifMatch} (request.ifMatch): read it again before you change it`, `${at}.request.ifMatch`);
        }
      }
      prepared.push({
        ...(previous === undefined ? {} : { previous }),
        resourceType: r.type,
        id: r.id,
        patientRef,
        patient: account,
        classes: c.released ? classMask("classes", c.classes) : 0,
        withheld: c.released ? null : c.reason,
        resource: r.resource,
      });
    }
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    throw databaseDown("nothing is stored");
  } finally {
    client.release();
  }
  const updates = prepared.filter((p) => p.previous !== undefined);
  if (updates.length > MAX_INGEST_UPDATES) invalid(`the Bundle has ${updates.length} new versions of stored records; at most ${MAX_INGEST_UPDATES} a transaction (each is amended on chain on its own)`, "Bundle.entry");
  // A new version is anchored as an amendment of the version the chain holds as current: the record must
  // not have been amended on chain past the version stored here (outside this gateway).
  try {
    for (const p of updates) {
      const previous = p.previous as RecordRow;
      const status = await ctx.careledger.records.commitmentStatus(previous.commitment, ctx.holderOrgId);
      const onChain = status.anchored ? await ctx.careledger.records.currentVersion(previous.recordId, ctx.holderOrgId) : 1;
      if (onChain !== previous.version || status.retracted) {
        const i = resources.findIndex((r) => r.type === p.resourceType && r.id === p.id);
        throw new GatewayError(
          409,
          "conflict",
          status.retracted
            ? `version ${previous.version} of ${p.resourceType}/${p.id} is retracted on chain: a retracted record takes no new version`
            : `the chain holds version ${onChain} of ${p.resourceType}/${p.id}, this gateway version ${previous.version}: it was amended outside this gateway`,
          `Bundle.entry[${i}].resource.id`,
        );
      }
    }
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    throw chainDown(" to check the versions on chain", "nothing is stored");
  }

  // The new records as one Merkle batch; each new version as its own amendment (its root is its commitment).
  const creates = prepared.filter((p) => p.previous === undefined);
  const batch = creates.length === 0 ? undefined : ctx.careledger.records.buildBatch(creates.map((p) => ({ resource: p.resource })));
  const records: NewRecord[] = prepared.map((p) => {
    const { previous, ...fields } = p;
    if (previous === undefined) {
      const i = creates.indexOf(p);
      const proof = batch!.proof(i);
      return { ...fields, recordId: proof.recordId, commitment: proof.commitment, version: 1, root: batch!.root, proof: [...proof.proof], salt: batch!.salts[i] };
    }
    const { commitment, salt } = ctx.careledger.records.commit(p.resource, { recordId: previous.recordId });
    return { ...fields, recordId: previous.recordId, commitment, version: previous.version + 1, root: commitment, proof: [], salt };
  });
  try {
    await ctx.db.transaction(async (tx) => {
      // What each update was decided on, again under the lock of the version it supersedes: a record
      // shredded, or given another version, meanwhile takes no new version.
      for (const [k, p] of prepared.entries()) {
        if (p.previous === undefined) continue;
        const now = await ctx.store.lockLatest(tx, p.resourceType, p.id);
        if (now === undefined || now.seq !== p.previous.seq || now.shredded || now.state !== "anchored") {
          throw new GatewayError(409, "conflict", `${p.resourceType}/${p.id} changed while this Bundle was checked (shredded, or another version sent): nothing is stored`, `Bundle.entry[${k}].resource.id`);
        }
      }
      await ctx.store.insert(tx, records);
    });
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    if ((err as { code?: string }).code === "23505") throw new GatewayError(409, "duplicate", "a resource of this Bundle was stored meanwhile by another request");
    throw databaseDown("nothing is stored");
  }
  // Stored as pending: never served until anchored; the anchoring worker anchors what is left pending
  // (the same leaves, so the same root; the same amendments) every round, and at start.
  const kept = "it is kept pending and will be anchored when the chain answers (do not post it again)";
  if (batch !== undefined) {
    ctx.anchoring.add(batch.root);
    try {
      await (await ctx.careledger.records.anchorBatch(batch)).wait();
    } catch {
      const held = await batchHeld(ctx.careledger, batch.root, ctx.holderOrgId).catch(() => false);
      if (!held) throw new GatewayError(503, "transient", `the batch could not be anchored on chain; ${kept}`);
    } finally {
      ctx.anchoring.delete(batch.root);
    }
    await ctx.store.markAnchored(batch.root);
  }
  for (const [k, r] of records.entries()) {
    const previous = prepared[k].previous;
    if (previous === undefined) continue;
    const row = { ...r, seq: 0n, state: "pending", superseded: false, shredded: false } as RecordRow;
    ctx.anchoring.add(r.commitment);
    try {
      await amendOnChain(ctx.careledger, row, previous, ctx.holderOrgId);
    } catch {
      const held = await versionHeld(ctx.careledger, r.commitment, ctx.holderOrgId).catch(() => false);
      if (!held) throw new GatewayError(503, "transient", `version ${r.version} of ${r.resourceType}/${r.id} could not be anchored on chain; ${kept}`);
    } finally {
      ctx.anchoring.delete(r.commitment);
    }
    await ctx.store.markAnchored(r.commitment);
  }
  return {
    resourceType: "Bundle",
    type: "transaction-response",
    entry: records.map((r) => ({
      response: { status: r.version === 1 ? "201 Created" : "200 OK", location: `${r.resourceType}/${r.id}/_history/${r.version}`, etag: `W/"${r.version}"` },
    })),
  };
}
