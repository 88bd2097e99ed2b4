/**
 * The gateway tests' fixture: the suite on the in-process chain with a hospital (org 1: hospitalAdmin,
 * doctor, nurse), a lab (org 2: labAdmin, the gateway's signer), an insurer (org 3) and a research
 * institute (org 4: researcher); Northgate Lab's gateway listening on a real socket at 127.0.0.1 over
 * an embedded PGlite database (or PostgreSQL when `url` is given), holding one patient's records
 * ingested through the SDK.
 */
import { randomBytes } from "crypto";
import hre from "hardhat";
import { CareLedger, OrgKind } from "../../sdk";
import { ACCOUNT_SYSTEM } from "../../sdk/core/fhirSystems";
import { AnchorWorker } from "../../gateway/anchor";
import { openDatabase, type Database } from "../../gateway/db";
import type { NewDisclosure } from "../../gateway/receipts";
import { LocalKeyProvider } from "../../gateway/keys";
import { buildGateway, type Gateway, type GatewayOptions } from "../../gateway/server";
import { gatewayRequestDomain, signGatewayRequest, type SignRequestOptions } from "../../sdk/exchange/request";
import { consentFixture } from "../consent/fixtures";
import { freePort } from "../e2e/node";

export const LAB = 2n;
export const RESEARCH = 4n;
export const MASTER_KEY = "0x" + "4b".repeat(32);
export const PATIENT_ID = "p-ada";

/** One patient's records as a lab's system posts them: the patient, two lab results, a vital sign, an HIV test. */
export function labBundle(account: string, patientId = PATIENT_ID): object {
  const patientRef = { reference: `urn:uuid:${patientId}` };
  const observation = (id: string, category: string, loinc: string, display: string, value: number, unit: string) => ({
    fullUrl: `urn:uuid:${id}`,
    resource: {
      resourceType: "Observation",
      id,
      status: "final",
      category: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: category }] }],
      code: { coding: [{ system: "http://loinc.org", code: loinc, display }] },
      subject: patientRef,
      effectiveDateTime: "2026-11-30T09:00:00Z",
      valueQuantity: { value, unit, system: "http://unitsofmeasure.org", code: unit },
    },
    request: { method: "POST", url: "Observation" },
  });
  return {
    resourceType: "Bundle",
    type: "transaction",
    entry: [
      {
        fullUrl: `urn:uuid:${patientId}`,
        resource: {
          resourceType: "Patient",
          id: patientId,
          identifier: [{ system: ACCOUNT_SYSTEM, value: account }],
          name: [{ family: "Lovelace", given: ["Ada"] }],
          birthDate: "1985-12-10",
        },
        request: { method: "POST", url: "Patient" },
      },
      observation(`${patientId}-glucose`, "laboratory", "2339-0", "Glucose [Mass/volume] in Blood", 95, "mg/dL"),
      observation(`${patientId}-hba1c`, "laboratory", "4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", 5.4, "%"),
      observation(`${patientId}-bp`, "vital-signs", "8480-6", "Systolic blood pressure", 118, "mm[Hg]"),
      {
        ...observation(`${patientId}-hiv`, "laboratory", "75622-1", "HIV 1 and 2 tests - Meaning of Interpretation", 0, "1"),
        resource: {
          ...observation(`${patientId}-hiv`, "laboratory", "75622-1", "HIV 1 and 2 tests - Meaning of Interpretation", 0, "1").resource,
          meta: { security: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "HIV" }] },
        },
      },
    ],
  };
}

/** The chain's part, for `loadFixture`: the suite, the organizations, the research institute. */
export async function gatewayChain() {
  const f = await consentFixture();
  const [researcher, nonMember] = f.signers.slice(14, 16);
  await f.registry.connect(f.registrar).registerOrganization(OrgKind.Researcher, "0x" + "ab".repeat(32), researcher.address);
  return { ...f, researcher, nonMember, chainId: (await hre.ethers.provider.getNetwork()).chainId };
}

/** Empties the gateway's tables (the database outlives a test; the chain is reverted by loadFixture). */
export async function emptyDatabase(db: Database): Promise<void> {
  await db.pool.query("TRUNCATE records, disclosures, request_nonces, disclosure_roots RESTART IDENTITY");
}

/** For a describe: one embedded PGlite database, opened before its tests, emptied before each, closed after. */
export function pglitePerTest(use: (db: Database) => void): void {
  let db: Database;
  before(async function () {
    db = await openDatabase();
    use(db);
  });
  after(async function () {
    await db.close();
  });
  beforeEach(async function () {
    await emptyDatabase(db);
  });
}

/**
 * A response's receipts for the receipt store's tests: `n` released Observations numbered from `first`
 * (never 0: a zero access reference is no receipt), classes cycling 0–2, the rest from `overrides`.
 */
export function disclosureOf(first: number, n: number, overrides: Partial<NewDisclosure> = {}): NewDisclosure {
  return {
    requestDigest: "0x" + first.toString(16).padStart(64, "d"),
    requester: "0x" + "a1".repeat(20),
    holderOrgId: 2n,
    patient: "0x" + "b1".repeat(20),
    purpose: 0,
    permittedAtBlock: 42n,
    request: { requester: "0x" + "a1".repeat(20), nonce: String(first) } as unknown as NewDisclosure["request"],
    signature: "0x" + "5a".repeat(65),
    receipts: Array.from({ length: n }, (_, k) => ({
      accessRef: "0x" + (first + k).toString(16).padStart(64, "0"),
      accessNonce: "0x" + (first + k).toString(16).padStart(64, "e"),
      recordId: "0x" + (first + k).toString(16).padStart(64, "7"),
      resourceRef: `Observation/o-${first + k}`,
      dataClass: (first + k) % 3,
    })),
    ...overrides,
  };
}

/**
 * Northgate Lab's gateway on `db` (emptied first) over the chain fixture `f`, listening on a real socket,
 * holding the patient's records ingested through the SDK.
 */
export async function startGateway(f: Awaited<ReturnType<typeof gatewayChain>>, db: Database, options: Pick<GatewayOptions, "rateLimit"> = {}) {
  await emptyDatabase(db);
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const labCl = await CareLedger.connect(f.labAdmin, { addressBook: f.book });
  const gateway: Gateway = await buildGateway({ careledger: labCl, db, keys: new LocalKeyProvider(MASTER_KEY), origin, ...options });
  await gateway.app.listen({ host: "127.0.0.1", port });
  const worker = new AnchorWorker(labCl, db, gateway.orgId, { intervalMs: 60_000, recover: () => gateway.recoverPending() });
  const as = (signer: (typeof f.signers)[number]) => CareLedger.connect(signer, { addressBook: f.book });
  const ingested = await labCl.exchange.ingest(origin, labBundle(f.patient.address));
  const target = { url: origin, orgId: LAB };
  return { ...f, origin, port, db, gateway, worker, labCl, as, ingested, target, close: () => gateway.app.close() };
}

/** A random 32-byte hex string (a consent document commitment for the tests). */
export function commitment(): string {
  return "0x" + randomBytes(32).toString("hex");
}

/** Sends a request signed by `signer` (options override any signed field; `send` changes what is sent after signing) and returns status, JSON and headers. */
export async function signedFetch(
  f: { readonly origin: string; readonly gateway: Gateway },
  signer: Parameters<typeof signGatewayRequest>[0],
  target: string,
  options: Partial<SignRequestOptions> & {
    domain?: ReturnType<typeof gatewayRequestDomain>;
    origin?: string;
    send?: { target?: string; body?: string; method?: string; headers?: Record<string, string> };
  } = {},
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<{ status: number; body: any; headers: Record<string, string> }> {
  const origin = options.origin ?? f.origin;
  const signed = await signGatewayRequest(signer, options.domain ?? f.gateway.domain, { gateway: origin, method: "GET", target, purpose: "TREAT", ...options });
  const body = options.send?.body ?? (options.body as string | undefined);
  const res = await fetch(origin + (options.send?.target ?? target), {
    method: options.send?.method ?? options.method ?? "GET",
    headers: { ...signed.headers, ...(body === undefined ? {} : { "content-type": "application/fhir+json" }), ...options.send?.headers },
    body,
  });
  const text = await res.text();
  return { status: res.status, body: text === "" ? undefined : JSON.parse(text), headers: Object.fromEntries(res.headers.entries()) };
}

/** The patient grants organization `orgId` the classes for the purposes, for a year. */
export async function grant(f: { readonly patient: Awaited<ReturnType<typeof gatewayChain>>["patient"]; as: (s: Awaited<ReturnType<typeof gatewayChain>>["patient"]) => Promise<CareLedger> }, orgId: bigint, classes: string[], purposes: string[]): Promise<void> {
  const patient = await f.as(f.patient);
  const now = (await f.patient.provider!.getBlock("latest"))!.timestamp;
  await (await patient.consent.grant({ grantee: { organization: orgId }, classes: classes as never, purposes: purposes as never, validUntil: now + 365 * 86_400, commitment: commitment() })).wait();
}
