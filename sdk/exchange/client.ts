/**
 * The exchange client: asks an organization's gateway for records, signing every request, and
 * verifies every resource it receives against the chain before handing it over — anchored, by the
 * organization asked, this exact content, the current version, not retracted. Anything that does not
 * verify is refused with an {@link ExchangeError}; nothing unverified reaches the caller.
 */
import type { Signer, TypedDataDomain } from "ethers";
import { CareLedgerError, ValidationError } from "../errors";
import { requireAddress, requireId } from "../core/validate";
import type { ParticipantsClient } from "../participants/client";
import { profileCommitment } from "../participants/encoding";
import type { RecordsClient } from "../records/client";
import type { DisclosuresClient } from "../consent/disclosures";
import type { VerificationResult } from "../records/types";
import { classifyResource } from "../consent/resourceClasses";
import { detachEvidence } from "./evidence";
import { ExchangeError } from "./errors";
import { checkPatientReceipt, type PatientReceipt, type ReceiptsPage } from "./patientReceipts";

export { ExchangeError, type PatientReceipt, type ReceiptsPage };
import { gatewayRequestDomain, originOf, signGatewayRequest } from "./request";

/** A resource received and verified against the chain. */
export interface VerifiedResource<T extends object = Record<string, unknown>> {
  /** The resource exactly as anchored (the evidence extension taken off). */
  readonly resource: T;
  readonly verification: VerificationResult;
}

/** A page of a search or `$everything`. */
export interface VerifiedPage {
  readonly resources: readonly VerifiedResource[];
  /** The gateway's notice that results are limited by consent (every page carries it). */
  readonly notice?: string;
  /** The path of the next page (sign and fetch it with {@link ExchangeClient.next}). */
  readonly next?: string;
}

/** Where a gateway is and whose it is. */
export interface GatewayTarget {
  /** The gateway's base URL, e.g. `https://gateway.northgate.example`. */
  readonly url: string;
  /** The organization that holds the records: every resource must be anchored by it. */
  readonly orgId: bigint | number | string;
}

/** Options of a read. */
export interface ExchangeOptions {
  /** The purpose of use (`TREAT`, `HRESCH`, … or a bit position). */
  readonly purpose: string | number;
}

export class ExchangeClient {
  readonly #signer: Signer | undefined;
  readonly #records: RecordsClient;
  readonly #participants: ParticipantsClient;
  readonly #disclosures: DisclosuresClient;
  readonly #domain: TypedDataDomain;

  constructor(runner: Signer | undefined, chainId: bigint, consentRegistry: string, records: RecordsClient, participants: ParticipantsClient, disclosures: DisclosuresClient) {
    this.#signer = runner;
    this.#records = records;
    this.#participants = participants;
    this.#disclosures = disclosures;
    this.#domain = gatewayRequestDomain(chainId, consentRegistry);
  }

  /** The EIP-712 domain requests are signed in (the chain and the consent registry enforced). */
  get domain(): TypedDataDomain {
    return this.#domain;
  }

  /**
   * The gateway of organization `orgId`, from its published profile (`gateway`: the URL), checked
   * against the profile commitment the registry holds.
   * @throws {ExchangeError} `PROFILE_MISMATCH` when the profile is not the one committed; `NO_GATEWAY` when it names none
   */
  async gatewayOf(orgId: bigint | number | string, profile: Record<string, unknown>): Promise<GatewayTarget> {
    const id = requireId("orgId", orgId);
    const org = await this.#participants.organization(id);
    if (profileCommitment(profile) !== org.metadata) {
      throw new ExchangeError("PROFILE_MISMATCH", `the profile given is not organization ${id}'s: its commitment differs from the registry's`, { status: 0 });
    }
    if (typeof profile.gateway !== "string") throw new ExchangeError("NO_GATEWAY", `organization ${id}'s profile names no gateway`, { status: 0 });
    return { url: originOf(profile.gateway, "profile.gateway"), orgId: id };
  }

  /**
   * Sends one signed request and returns the gateway's JSON answer.
   * @throws {ExchangeError} with the gateway's OperationOutcome for any refusal (`GATEWAY_REFUSED`), or
   *   `GATEWAY_UNREACHABLE` when it cannot be reached
   */
  async send(gateway: string, method: string, target: string, options: ExchangeOptions & { body?: object }): Promise<unknown> {
    return this.#send(gateway, method, target, options, "gateway");
  }

  /** {@link send}, to a gateway or an indexer (`service`, as its errors name it). */
  async #send(gateway: string, method: string, target: string, options: ExchangeOptions & { body?: object }, service: "gateway" | "indexer"): Promise<unknown> {
    const signer = this.#signer;
    if (signer === undefined) throw new CareLedgerError("NO_SIGNER", "requests to a gateway are signed: connect the SDK with a Signer");
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const signed = await signGatewayRequest(signer, this.#domain, { gateway, method, target, body, purpose: options.purpose });
    const url = new URL(target, originOf(gateway, "gateway")).toString();
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { ...signed.headers, accept: "application/fhir+json", ...(body === undefined ? {} : { "content-type": "application/fhir+json" }) },
        body,
      });
    } catch (err) {
      throw new ExchangeError("GATEWAY_UNREACHABLE", `the ${service} at ${gateway} cannot be reached`, { status: 0, cause: err });
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ExchangeError("GATEWAY_REFUSED", `the ${service} answered ${response.status} with a body that is not JSON`, { status: response.status });
    }
    if (!response.ok) {
      const outcome = json as ExchangeError["outcome"];
      const first = outcome?.issue?.[0];
      throw new ExchangeError("GATEWAY_REFUSED", `the ${service} refused (${response.status} ${first?.code ?? ""}): ${first?.diagnostics ?? "no reason given"}`, { status: response.status, outcome });
    }
    return json;
  }

  /**
   * Verifies one released resource against the chain, for the organization asked: it must be the
   * record's current version, or with `options.superseded` any version the chain holds (never retracted).
   */
  async verify(released: object, orgId: bigint, options: { superseded?: boolean } = {}): Promise<VerifiedResource & { problem?: string }> {
    const ref = `${(released as { resourceType?: string }).resourceType}/${(released as { id?: string }).id}`;
    let detached;
    try {
      detached = detachEvidence(released);
    } catch (err) {
      return { resource: released as Record<string, unknown>, verification: { status: "not-anchored" }, problem: `${ref}: ${(err as Error).message}` };
    }
    const { resource, evidence } = detached;
    if (evidence === undefined) return { resource: resource as Record<string, unknown>, verification: { status: "unverifiable-salt-missing" }, problem: `${ref} came without its evidence` };
    if (evidence.proof.orgId !== orgId) {
      return { resource: resource as Record<string, unknown>, verification: { status: "not-anchored" }, problem: `${ref} claims organization ${evidence.proof.orgId}, not ${orgId}` };
    }
    const verification = await this.#records.verify(resource, evidence.salt, evidence.proof, { orgId });
    const accepted = verification.status === "anchored" || (options.superseded === true && verification.status === "superseded");
    const problem = accepted ? undefined : `${ref} is ${verification.status}`;
    return { resource: resource as Record<string, unknown>, verification, problem };
  }

  async #verifyAll(released: readonly object[], orgId: bigint, options: { superseded?: boolean } = {}): Promise<VerifiedResource[]> {
    const checked = await Promise.all(released.map((r) => this.verify(r, orgId, options)));
    const refused = checked.filter((c) => c.problem !== undefined);
    if (refused.length > 0) {
      throw notVerified(`refused ${refused.length} resource(s) that do not verify against the chain: ${refused.map((r) => r.problem).join("; ")}`, refused, (r) => r.problem as string);
    }
    return checked.map(({ resource, verification }) => ({ resource, verification }));
  }

  /**
   * Reads one resource and verifies it.
   * @throws {ExchangeError} `GATEWAY_REFUSED` (with the OperationOutcome) or `RECORD_NOT_VERIFIED`
   */
  async read(target: GatewayTarget, type: string, id: string, options: ExchangeOptions): Promise<VerifiedResource> {
    const orgId = requireId("orgId", target.orgId);
    const json = (await this.send(target.url, "GET", `/fhir/${encodeURIComponent(type)}/${encodeURIComponent(id)}`, options)) as object;
    const [verified] = await this.#verifyAll([json], orgId);
    const got = verified.resource as { resourceType?: unknown; id?: unknown };
    if (got.resourceType !== type || got.id !== id) {
      throw notVerified(`asked for ${type}/${id}, received ${String(got.resourceType)}/${String(got.id)}: refused`, [verified], () => `not ${type}/${id}`);
    }
    return verified;
  }

  /**
   * Reads one version of a resource (FHIR vread), the current one or one it superseded, and verifies it:
   * `verification.status` is `anchored` (current) or `superseded` (with the current version number).
   * @throws {ExchangeError} `GATEWAY_REFUSED` (with the OperationOutcome) or `RECORD_NOT_VERIFIED` (a retracted
   *   version, or not the version asked)
   */
  async vread(target: GatewayTarget, type: string, id: string, version: number, options: ExchangeOptions): Promise<VerifiedResource> {
    const orgId = requireId("orgId", target.orgId);
    if (!Number.isSafeInteger(version) || version < 1) throw new ValidationError("version", "is not a version (1 or more)");
    const json = (await this.send(target.url, "GET", `/fhir/${encodeURIComponent(type)}/${encodeURIComponent(id)}/_history/${version}`, options)) as object;
    const [verified] = await this.#verifyAll([json], orgId, { superseded: true });
    const got = verified.resource as { resourceType?: unknown; id?: unknown };
    const v = verified.verification as { version?: number };
    if (got.resourceType !== type || got.id !== id || v.version !== version) {
      throw notVerified(`asked for version ${version} of ${type}/${id}, received version ${String(v.version)} of ${String(got.resourceType)}/${String(got.id)}: refused`, [verified], () => `not version ${version} of ${type}/${id}`);
    }
    return verified;
  }

  /**
   * Every version of a record the signer may have (FHIR history), newest first, each verified: `anchored`
   * for the current version, `superseded` (with the current version number) for the others. Versions out
   * of order or sent twice are refused.
   * @throws {ExchangeError} `GATEWAY_REFUSED` or `RECORD_NOT_VERIFIED`
   */
  async history(target: GatewayTarget, type: string, id: string, options: ExchangeOptions): Promise<VerifiedResource[]> {
    const orgId = requireId("orgId", target.orgId);
    const bundle = (await this.send(target.url, "GET", `/fhir/${encodeURIComponent(type)}/${encodeURIComponent(id)}/_history`, options)) as { type?: unknown; entry?: { resource?: object }[] };
    if (bundle.type !== "history") throw notVerified(`asked for the history of ${type}/${id}, received a ${String(bundle.type)} Bundle: refused`, [], () => "not a history");
    const versions = await this.#verifyAll(
      (bundle.entry ?? []).filter((e) => e.resource !== undefined).map((e) => e.resource as object),
      orgId,
      { superseded: true },
    );
    const wrong = versions.filter((r) => (r.resource as { resourceType?: unknown }).resourceType !== type || (r.resource as { id?: unknown }).id !== id);
    if (wrong.length > 0) throw notVerified(`refused ${wrong.length} resource(s) that are not versions of ${type}/${id}`, wrong, () => `not ${type}/${id}`);
    const numbers = versions.map((r) => (r.verification as { version?: number }).version ?? 0);
    if (!numbers.every((n, i) => i === 0 || n < numbers[i - 1])) {
      throw notVerified(`the history of ${type}/${id} is not its versions newest first, each once (versions ${numbers.join(", ")}): refused`, versions, () => "out of order");
    }
    // One record: every version of the same record id, and only the newest may be current.
    const recordIds = new Set(versions.map((r) => (r.verification as { recordId?: string }).recordId));
    const current = versions.filter((r, i) => r.verification.status === "anchored" && i > 0);
    if (recordIds.size > 1 || current.length > 0) {
      throw notVerified(
        `the history of ${type}/${id} holds versions of ${recordIds.size} records (${[...recordIds].join(", ")}), or a current version below the newest: refused`,
        versions,
        () => "not one record's versions",
      );
    }
    return versions;
  }

  /**
   * One page of a search by patient, every resource verified.
   * @throws {ExchangeError} `GATEWAY_REFUSED` or `RECORD_NOT_VERIFIED`
   */
  async search(target: GatewayTarget, type: string, params: ExchangeOptions & { patient: string; count?: number }): Promise<VerifiedPage> {
    const q = new URLSearchParams({ patient: params.patient });
    if (params.count !== undefined) q.set("_count", String(params.count));
    const patient = params.patient.startsWith("Patient/") ? params.patient : `Patient/${params.patient}`;
    return this.#about(patient, type, await this.next(target, `/fhir/${encodeURIComponent(type)}?${q.toString()}`, params));
  }

  /** The page, once every resource is of `type` (when given) and about `patient`; else refused. */
  #about(patient: string, type: string | undefined, page: VerifiedPage): VerifiedPage {
    const strangers = page.resources.filter((r) => {
      const res = r.resource as { resourceType?: unknown; id?: unknown };
      if (type !== undefined && res.resourceType !== type) return true;
      if (res.resourceType === "Patient") return `Patient/${String(res.id)}` !== patient;
      const c = classifyResource(res);
      return (c.released ? c.patient : undefined) !== patient && patientOf(res) !== patient;
    });
    if (strangers.length > 0) {
      throw notVerified(`refused ${strangers.length} resource(s) that are not ${type ?? "resources"} of ${patient}`, strangers, () => `not about ${patient}`);
    }
    return page;
  }

  /**
   * One page of a patient's `$everything`, every resource verified.
   * @throws {ExchangeError} `GATEWAY_REFUSED` or `RECORD_NOT_VERIFIED`
   */
  async everything(target: GatewayTarget, patientId: string, params: ExchangeOptions & { count?: number }): Promise<VerifiedPage> {
    const q = params.count === undefined ? "" : `?_count=${params.count}`;
    return this.#about(`Patient/${patientId}`, undefined, await this.next(target, `/fhir/Patient/${encodeURIComponent(patientId)}/$everything${q}`, params));
  }

  /**
   * The page at `path` (a searchset's next link), every resource verified.
   * @throws {ExchangeError} `GATEWAY_REFUSED` or `RECORD_NOT_VERIFIED`
   */
  async next(target: GatewayTarget, path: string, options: ExchangeOptions): Promise<VerifiedPage> {
    const orgId = requireId("orgId", target.orgId);
    if (typeof path !== "string" || !path.startsWith("/")) throw new ValidationError("path", "is not a path on the gateway");
    const bundle = (await this.send(target.url, "GET", path, options)) as {
      entry?: { resource?: object; search?: { mode?: string } }[];
      link?: { relation?: string; url?: string }[];
    };
    const matches = (bundle.entry ?? []).filter((e) => e.search?.mode !== "outcome" && e.resource !== undefined).map((e) => e.resource as object);
    const outcome = (bundle.entry ?? []).find((e) => e.search?.mode === "outcome")?.resource as { issue?: { diagnostics?: string }[] } | undefined;
    const nextUrl = bundle.link?.find((l) => l.relation === "next")?.url;
    const resources = await this.#verifyAll(matches, orgId);
    return { resources, notice: outcome?.issue?.[0]?.diagnostics, next: nextUrl === undefined ? undefined : new URL(nextUrl).pathname + new URL(nextUrl).search };
  }

  /**
   * The signer's own disclosure receipts from a holder's gateway (the signer is the patient), a page at a
   * time, oldest first, each checked: its fields, that it is the signer's and the holder's asked, its
   * proof against the root the holder anchored on chain, and the requester's signature over the request.
   * @param options `count` receipts a page (default the gateway's, at most 100); `next` a page's next path;
   *   `overdueAfterSeconds` how long a receipt may stay pending before it is `overdue` (default 3,600)
   * @throws {ExchangeError} `GATEWAY_REFUSED` or `GATEWAY_UNREACHABLE`; `RECEIPT_INVALID` naming the receipt
   *   for one that is malformed, another patient's or another holder's
   */
  async receipts(target: GatewayTarget, options: { count?: number; next?: string; overdueAfterSeconds?: number } = {}): Promise<ReceiptsPage> {
    const orgId = requireId("orgId", target.orgId);
    const signer = this.#signer;
    if (signer === undefined) throw new CareLedgerError("NO_SIGNER", "requests to a gateway are signed: connect the SDK with a Signer");
    const patient = (await signer.getAddress()).toLowerCase();
    let path: string;
    if (options.next !== undefined) {
      if (typeof options.next !== "string" || !options.next.startsWith("/receipts?")) throw new ValidationError("next", "is not a next path of /receipts");
      path = options.next;
    } else {
      if (options.count !== undefined && (!Number.isSafeInteger(options.count) || options.count < 1 || options.count > 100)) throw new ValidationError("count", `${options.count} is not 1 to 100`);
      path = `/receipts?patient=${patient}${options.count === undefined ? "" : `&_count=${options.count}`}`;
    }
    // The purpose of a patient's own request: the right of access is not a purpose of use, and TREAT is what the gateway logs it under.
    const overdueAfter = options.overdueAfterSeconds ?? 3_600;
    if (!Number.isSafeInteger(overdueAfter) || overdueAfter < 0) throw new ValidationError("overdueAfterSeconds", `${options.overdueAfterSeconds} is not a whole number of seconds`);
    const page = (await this.send(target.url, "GET", path, { purpose: "TREAT" })) as { receipts?: unknown; next?: unknown };
    if (!Array.isArray(page?.receipts)) throw new ExchangeError("RECEIPT_INVALID", "the gateway's answer holds no receipts list", { status: 200 });
    const from = { patient, holder: orgId, origin: originOf(target.url, "target.url"), indexed: false };
    const receipts: PatientReceipt[] = [];
    for (const [i, raw] of (page.receipts as Record<string, unknown>[]).entries()) receipts.push(await checkPatientReceipt({ domain: this.#domain, disclosures: this.#disclosures }, raw, i, from, overdueAfter));
    const next = typeof page.next === "string" ? new URL(page.next, originOf(target.url, "target.url")) : undefined;
    return { receipts, next: next === undefined ? undefined : next.pathname + next.search };
  }

  /**
   * A patient's disclosure receipts from an indexer that holds the gateways' receipts (indexer/receipts.ts,
   * `GET /patients/{patient}/receipts`): every holder's in one place, a page at a time, oldest anchoring first.
   * The request is signed by the signer, who is the patient, or a delegate of `options.patient` (the indexer
   * answers a representative with every receipt and a limited delegate with those of its delegation's classes).
   * Each receipt is checked as {@link receipts} checks a gateway's: its fields, that it is the patient's, its
   * proof against the root its holder — the receipt's own `holderOrgId`, any organization — anchored on chain
   * (the SDK's node asked, not the indexer), and the requester's signature over the request. What cannot be
   * checked of a receipt that did not come from its holder's gateway: that the request named that holder's
   * gateway (`request.origin` is not compared with anything, so `requestVerified` says the requester signed
   * this request, for this purpose, to some gateway of this deployment — not to which), and whether the indexer
   * holds every receipt the holders wrote (it answers those posted to it whose root it has seen anchored).
   * @param indexerUrl the indexer's URL (its origin is what the request is signed for)
   * @param options `count` receipts a page (1 to 500, default the indexer's, 50); `next` a page's next path;
   *   `patient` the patient, when the signer is their delegate; `overdueAfterSeconds` as for {@link receipts}
   * @throws {ExchangeError} `GATEWAY_REFUSED` (the indexer's refusal: 403 for anyone but the patient and a
   *   delegate in force) or `GATEWAY_UNREACHABLE`; `RECEIPT_INVALID` naming the receipt for one that is
   *   malformed or another patient's
   */
  async indexedReceipts(indexerUrl: string, options: { count?: number; next?: string; patient?: string; overdueAfterSeconds?: number } = {}): Promise<ReceiptsPage> {
    const signer = this.#signer;
    if (signer === undefined) throw new CareLedgerError("NO_SIGNER", "requests to an indexer are signed: connect the SDK with a Signer");
    const origin = originOf(indexerUrl, "indexerUrl");
    const patient = (options.patient === undefined ? await signer.getAddress() : requireAddress("patient", options.patient)).toLowerCase();
    const base = `/patients/${patient}/receipts`;
    let path: string;
    if (options.next !== undefined) {
      if (typeof options.next !== "string" || !options.next.startsWith(`${base}?`)) throw new ValidationError("next", `is not a next path of ${base}`);
      path = options.next;
    } else {
      if (options.count !== undefined && (!Number.isSafeInteger(options.count) || options.count < 1 || options.count > 500)) throw new ValidationError("count", `${options.count} is not 1 to 500`);
      path = base + (options.count === undefined ? "" : `?_count=${options.count}`);
    }
    const overdueAfter = options.overdueAfterSeconds ?? 3_600;
    if (!Number.isSafeInteger(overdueAfter) || overdueAfter < 0) throw new ValidationError("overdueAfterSeconds", `${options.overdueAfterSeconds} is not a whole number of seconds`);
    // Any purpose reads one's own receipts (the right of access); TREAT as for a gateway's.
    const page = (await this.#send(origin, "GET", path, { purpose: "TREAT" }, "indexer")) as { receipts?: unknown; next?: unknown };
    if (!Array.isArray(page?.receipts)) throw new ExchangeError("RECEIPT_INVALID", "the indexer's answer holds no receipts list", { status: 200 });
    const from = { patient, holder: undefined, origin: undefined, indexed: true };
    const receipts: PatientReceipt[] = [];
    for (const [i, raw] of (page.receipts as Record<string, unknown>[]).entries()) receipts.push(await checkPatientReceipt({ domain: this.#domain, disclosures: this.#disclosures }, raw, i, from, overdueAfter));
    let next: string | undefined;
    if (typeof page.next === "string") {
      const url = new URL(page.next, origin);
      if (url.origin !== origin || url.pathname !== base) throw new ExchangeError("RECEIPT_INVALID", `the indexer's next link ${JSON.stringify(page.next)} is not a page of ${base}`, { status: 200 });
      next = url.pathname + url.search;
    }
    return { receipts, next };
  }

  /**
   * Posts a transaction Bundle to the holder's own gateway (members of the holding organization only):
   * POST entries create records; a PUT of an id stored before sends its next version (a correction),
   * with `request.ifMatch: 'W/"<version>"'` to refuse it (412) unless that is still the current version.
   * @returns the transaction-response Bundle (each entry's status, versioned location and etag)
   * @throws {ExchangeError} `GATEWAY_REFUSED` with the OperationOutcome naming the element
   */
  async ingest(gateway: string, bundle: object): Promise<{ entry?: { response?: { status?: string; location?: string; etag?: string } }[] }> {
    return (await this.send(gateway, "POST", "/fhir", { purpose: "HOPERAT", body: bundle })) as { entry?: { response?: { status?: string; location?: string; etag?: string } }[] };
  }
}

/** `RECORD_NOT_VERIFIED`: the resources refused, each with what verification found and `problem`. */
function notVerified<R extends { resource: object; verification: VerificationResult }>(message: string, refused: readonly R[], problem: (r: R) => string): ExchangeError {
  return new ExchangeError("RECORD_NOT_VERIFIED", message, {
    status: 200,
    refused: refused.map((r) => {
      const res = r.resource as { resourceType?: unknown; id?: unknown };
      return { reference: `${String(res.resourceType)}/${String(res.id)}`, verification: r.verification, problem: problem(r) };
    }),
  });
}

/** The patient reference a resource names in `subject`, `patient` or `beneficiary` (withheld resources too), as written. */
export function patientOf(resource: Record<string, unknown>): string | undefined {
  for (const key of ["subject", "patient", "beneficiary"]) {
    const ref = (resource[key] as { reference?: unknown } | undefined)?.reference;
    if (typeof ref === "string") return ref;
  }
  return undefined;
}
