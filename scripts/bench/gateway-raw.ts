/**
 * The throughput benchmark's baseline, and only the benchmark's: the same reads served **raw** from the
 * same record store, with no authentication, no on-chain decision and no receipts. It is what the
 * gateway would cost if it enforced nothing, so `enforced / raw` is the share of throughput enforcement
 * keeps. Never shipped (it lives in scripts/bench/, not gateway/): it releases anything to anyone.
 *
 * It does everything else the gateway does for a read: checks the type and id, reads the page of rows
 * (`RecordStore.page`) or the row (`RecordStore.get`), opens and decrypts them (`RecordStore.contents`),
 * attaches the same evidence extension and serializes the same searchset Bundle (`searchset`), so the
 * bodies are the ones the gateway sends, byte for byte in size.
 */
import Fastify, { type FastifyInstance, type FastifyReply } from "fastify";
import { attachEvidence } from "../../sdk/exchange/evidence";
import { GatewayError, operationOutcome, searchset, SERVED_TYPES } from "../../gateway/fhir";
import { openCursor, sealCursor, type KeyProvider } from "../../gateway/keys";
import type { RecordRow, RecordStore } from "../../gateway/store";

const FHIR_JSON = "application/fhir+json";
const ID = /^[A-Za-z0-9\-.]{1,64}$/;

function send(reply: FastifyReply, status: number, body: object): FastifyReply {
  return reply.code(status).type(FHIR_JSON).send(body);
}

function servedType(type: string): string {
  if (!(SERVED_TYPES as readonly string[]).includes(type)) throw new GatewayError(404, "not-supported", `no resource type ${JSON.stringify(type)}`, "type");
  return type;
}

function fhirId(id: string, expression = "id"): string {
  if (!ID.test(id)) throw new GatewayError(400, "invalid", `${JSON.stringify(id)} is not a FHIR id`, expression);
  return id;
}

/**
 * A Fastify app serving `GET /fhir/{type}/{id}` and `GET /fhir/{type}?patient=…&_count=…&_cursor=…`
 * from `store` without any check: the baseline the gateway's enforced routes are measured against.
 * `orgId` is the holding organization named in the evidence; `origin` the base of `fullUrl`s; `keys`
 * seal its paging cursors as the gateway's are sealed.
 */
export function buildRawApp(store: RecordStore, keys: KeyProvider, orgId: bigint, origin: string): FastifyInstance {
  const app = Fastify({ logger: false });
  app.setErrorHandler((error: unknown, _req, reply) => {
    if (error instanceof GatewayError) return send(reply, error.status, operationOutcome("error", error.code, error.message, error.expression));
    return send(reply, 500, operationOutcome("error", "exception", "raw baseline failed"));
  });

  const open = async (rows: readonly RecordRow[]): Promise<object[]> => {
    const contents = await store.contents(rows);
    const out: object[] = [];
    for (const row of rows) {
      const c = contents.get(row.seq);
      if (c === undefined) continue;
      out.push(attachEvidence(c.resource, { salt: c.salt, proof: { root: row.root, orgId, recordId: row.recordId, version: row.version, commitment: row.commitment, proof: row.proof } }));
    }
    return out;
  };

  app.get<{ Params: { type: string; id: string } }>("/fhir/:type/:id", async (req, reply) => {
    const type = servedType(req.params.type);
    const id = fhirId(req.params.id);
    const row = await store.get(type, id);
    if (row === undefined || row.state !== "anchored" || row.shredded) throw new GatewayError(404, "not-found", `${type}/${id} is not held here`);
    const [resource] = await open([row]);
    return send(reply, 200, resource);
  });

  app.get<{ Params: { type: string }; Querystring: Record<string, string> }>("/fhir/:type", async (req, reply) => {
    const type = servedType(req.params.type);
    const q = req.query;
    const patient = q.patient ?? "";
    const ref = `Patient/${fhirId(patient.startsWith("Patient/") ? patient.slice("Patient/".length) : patient, "patient")}`;
    const count = q._count === undefined ? 20 : Number(q._count);
    if (!Number.isInteger(count) || count < 1 || count > 100) throw new GatewayError(400, "invalid", "_count is not 1 to 100", "_count");
    const cursor = await openCursor(keys, q._cursor);
    const rows = await store.page({ patientRef: ref, resourceType: type }, cursor, count);
    const more = rows.length > count;
    const page = more ? rows.slice(0, count) : rows;
    const resources = await open(page.filter((r) => !r.shredded));
    let next: string | undefined;
    if (more) {
      const url = new URL(req.url, origin);
      url.searchParams.set("_cursor", await sealCursor(keys, page[page.length - 1].seq));
      next = url.pathname + url.search;
    }
    return send(reply, 200, searchset(origin, resources, { self: req.url, next }));
  });

  return app;
}
