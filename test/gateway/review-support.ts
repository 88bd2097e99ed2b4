/**
 * Helpers of the review tests (test/gateway/review-*.test.ts): the gateway fixture of fixtures.ts on one
 * PGlite database per file, signed requests sent by hand, grants, and extra records to ingest.
 */
import { randomBytes } from "crypto";
import path from "path";
import pg from "pg";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { openDatabase, type Database } from "../../gateway/db";
import { gatewayChain, grant, PATIENT_ID, signedFetch, startGateway } from "./fixtures";

export type Fixture = Awaited<ReturnType<typeof startGateway>>;
export const HOSPITAL = 1n;

/**
 * Registers the hooks of a review suite: one PGlite database for the file, a fresh gateway (the chain
 * fixture, its records ingested) before each test, handed to `use`, and closed after it.
 */
export function gatewayPerTest(use: (f: Fixture) => void): void {
  let db: Database;
  let f: Fixture | undefined;
  before(async function () {
    db = await openDatabase();
  });
  after(async function () {
    await db.close();
  });
  beforeEach(async function () {
    f = await startGateway(await loadFixture(gatewayChain), db);
    use(f);
  });
  afterEach(async function () {
    await f?.close();
  });
}

export { grant, signedFetch };

export const PG_ADMIN = { host: "127.0.0.1", port: 5432, user: "postgres", database: "postgres" };
export const MIGRATIONS = path.join(__dirname, "../../gateway/migrations");

/** A scratch database on the local PostgreSQL, with `migrations` migrations applied (all when undefined). */
export async function scratchDatabase(): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `careledger_review_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client(PG_ADMIN);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    name,
    url: `postgres://postgres@127.0.0.1:5432/${name}`,
    drop: async () => {
      const a = new pg.Client(PG_ADMIN);
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

/** Runs `count` migrations up (node-pg-migrate, as gateway/db.ts does). */
export async function migrateUp(url: string, count: number): Promise<void> {
  const { runner } = require("node-pg-migrate") as { runner: (o: object) => Promise<unknown> };
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await runner({ dbClient: client, dir: MIGRATIONS, direction: "up", migrationsTable: "pgmigrations", count, log: () => undefined, noLock: false });
  } finally {
    await client.end();
  }
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
