/**
 * Helpers of the review tests (test/gateway/review-*.test.ts): the gateway fixture of fixtures.ts on one
 * PGlite database per file, signed requests sent by hand, grants, and extra records to ingest.
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { openDatabase, type Database } from "../../gateway/db";
import { gatewayRequestDomain, signGatewayRequest, type SignRequestOptions } from "../../sdk/exchange/request";
import { commitment, gatewayChain, PATIENT_ID, startGateway } from "./fixtures";

export type Fixture = Awaited<ReturnType<typeof startGateway>>;
export const HOSPITAL = 1n;
const YEAR = 365 * 86_400;

/** A gateway over a fresh chain fixture and the file's database. */
export async function reviewGateway(db: Database): Promise<Fixture> {
  return startGateway(await loadFixture(gatewayChain), db);
}

export async function reviewDatabase(): Promise<Database> {
  return openDatabase();
}

/** Sends a request signed by `signer` and returns status and JSON. */
export async function signedFetch(
  f: Fixture,
  signer: Parameters<typeof signGatewayRequest>[0],
  target: string,
  options: Partial<SignRequestOptions> & { domain?: ReturnType<typeof gatewayRequestDomain>; origin?: string } = {},
): Promise<{ status: number; body: any }> {
  const signed = await signGatewayRequest(signer, options.domain ?? f.gateway.domain, { gateway: options.origin ?? f.origin, method: "GET", target, purpose: "TREAT", ...options });
  const body = options.body as string | undefined;
  const res = await fetch((options.origin ?? f.origin) + target, {
    method: options.method ?? "GET",
    headers: { ...signed.headers, ...(body === undefined ? {} : { "content-type": "application/fhir+json" }) },
    body,
  });
  const text = await res.text();
  return { status: res.status, body: text === "" ? undefined : JSON.parse(text) };
}

/** The patient grants `orgId` the classes for the purposes, for a year. */
export async function grant(f: Fixture, orgId: bigint, classes: string[], purposes: string[]): Promise<void> {
  const patient = await f.as(f.patient);
  const now = (await f.patient.provider!.getBlock("latest"))!.timestamp;
  await (await patient.consent.grant({ grantee: { organization: orgId }, classes: classes as never, purposes: purposes as never, validUntil: now + YEAR, commitment: commitment() })).wait();
}

/** A transaction Bundle of `resources` (each posted as a create). */
export function bundleOf(...resources: Record<string, unknown>[]): object {
  return {
    resourceType: "Bundle",
    type: "transaction",
    entry: resources.map((resource) => ({ fullUrl: `urn:uuid:${resource.id as string}`, resource, request: { method: "POST", url: resource.resourceType } })),
  };
}

/** A social-history Observation (smoking status) of the fixture's patient: stored, but in no data class. */
export function smokingStatus(id = `${PATIENT_ID}-smoking`): Record<string, unknown> {
  return {
    resourceType: "Observation",
    id,
    status: "final",
    category: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "social-history" }] }],
    code: { coding: [{ system: "http://loinc.org", code: "72166-2", display: "Tobacco smoking status" }] },
    subject: { reference: `Patient/${PATIENT_ID}` },
    effectiveDateTime: "2026-11-30T09:00:00Z",
    valueCodeableConcept: { coding: [{ system: "http://snomed.info/sct", code: "449868002", display: "Smokes tobacco daily" }] },
  };
}

/** The receipts of GET /receipts as `disclosures.verifyReceipt` takes them. */
export function asReceipt(r: any) {
  return { ...r.receipt, holderOrgId: BigInt(r.receipt.holderOrgId), permittedAtBlock: BigInt(r.receipt.permittedAtBlock) };
}
