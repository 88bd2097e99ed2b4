/**
 * Review: the throughput change (commits d200076, 46e8bef): group commit (gateway/batch.ts), chain reads
 * shared per block hash (BlockReads in gateway/release.ts), the crypto fast paths. Each test states the
 * behaviour expected and fails on the code reviewed.
 */
import { expect } from "chai";
import pg from "pg";
import { Wallet } from "ethers";
import { gatewayRequestDomain, requestDigest, requireGatewayRequest, signGatewayRequest } from "../../sdk/exchange/request";
import { PATIENT_ID } from "./fixtures";
import { grant, HOSPITAL, gatewayPerTest, signedFetch, type Fixture } from "./review-support";
import { eventually } from "../support/eventually";

const sleep = (ms: number) => new Promise<"stalled">((resolve) => setTimeout(() => resolve("stalled"), ms));

/** A call that never answers until `release` (a lost RPC response), and how many times it was made. */
function stallFirst<A extends unknown[], R>(original: (...args: A) => Promise<R>) {
  let calls = 0;
  let release!: (err: Error) => void;
  const hung = new Promise<R>((_, reject) => (release = reject));
  hung.catch(() => undefined);
  const fn = (...args: A): Promise<R> => (++calls === 1 ? hung : original(...args));
  return { fn, calls: () => calls, release: () => release(new Error("the lost response finally timed out")) };
}

describe("review: throughput (group commit, chain reads per block)", function () {
  this.timeout(180_000);
  let f: Fixture;
  gatewayPerTest((g) => (f = g));

  const target = `/fhir/Observation/${PATIENT_ID}-glucose`;

  /**
   * With `object[method]` hung on its first call (a lost RPC answer), a first request asks it (`asked`) and
   * waits; a second request must still be answered, within 8 s (`stalled`: what it waits on, if it is not).
   */
  async function servedBesideAHungRead(object: object, method: string, asked: string, stalled: (calls: number) => string): Promise<void> {
    await grant(f, HOSPITAL, ["labs"], ["TREAT"]);
    const o = object as Record<string, (...a: unknown[]) => Promise<unknown>>;
    const original = o[method];
    const stall = stallFirst(original.bind(object));
    o[method] = stall.fn;
    let first: Promise<unknown> | undefined;
    try {
      first = signedFetch(f, f.doctor, target).catch(() => undefined);
      await eventually(() => stall.calls() > 0, { withinMs: 10_000 });
      expect(stall.calls(), asked).to.equal(1);
      const second = await Promise.race([signedFetch(f, f.doctor, target), sleep(8_000)]);
      expect(second === "stalled" ? `no answer after 8 s: ${stalled(stall.calls())}` : second.status).to.equal(200);
    } finally {
      o[method] = original;
      stall.release();
      await first;
    }
  }

  it("serves a request while another request's latest-block read hangs (one lost RPC answer stalls only its own request)", async function () {
    await servedBesideAHungRead(f.labCl.runner.provider as object, "getBlock", "the first request asked for the latest block", () => "queued behind the hung round");
  });

  it("serves a request while another request's chain read at the same block hangs (a pending read is not shared forever)", async function () {
    // No transaction in between: the same block, so the same BlockReads question.
    await servedBesideAHungRead(f.labCl.participants, "isActiveMember", "the first request asked for the doctor's standing", (calls) => `waiting on the first request's hung read (asked ${calls} time(s))`);
  });

  it("lets no second client into the gateway's one PGlite session while the gateway is connected (a temp table must not shadow the nonce book)", async function () {
    await grant(f, HOSPITAL, ["labs"], ["TREAT"]);
    const signed = await signGatewayRequest(f.doctor, f.gateway.domain, { gateway: f.origin, method: "GET", target, purpose: "TREAT" });
    const send = async () => (await fetch(f.origin + target, { headers: signed.headers })).status;
    expect(await send(), "served once").to.equal(200);
    // Any local process (no password: pglite-socket has no authentication) while the pool's client is
    // still connected; with one connection allowed it was refused. PGlite is one backend session shared
    // by every socket, so what it sets or creates applies to the gateway's own statements.
    const { host, port } = f.db.pool.options as { host: string; port: number };
    const intruder = new pg.Client({ host, port, user: "postgres", database: "postgres" });
    intruder.on("error", () => undefined);
    let admitted = false;
    try {
      await intruder.connect();
      admitted = true;
      await intruder.query("CREATE TEMP TABLE request_nonces (requester text, nonce text, expires_at timestamptz)");
    } catch {
      // refused: the gateway's session is its own
    } finally {
      await intruder.end().catch(() => undefined);
    }
    const replay = await send();
    await f.db.pool.query("DROP TABLE IF EXISTS pg_temp.request_nonces").catch(() => undefined);
    expect({ admitted, replay }).to.deep.equal({ admitted: false, replay: 409 });
  });
});

describe("review: throughput (hashing fast paths)", function () {
  it("answers a request digest for a malformed domain as ethers does, whatever was hashed before (refuses an unknown domain key)", function () {
    const domain = gatewayRequestDomain(31337n, Wallet.createRandom().address);
    const request = requireGatewayRequest({
      requester: Wallet.createRandom().address,
      method: "GET",
      target: "/fhir",
      bodyHash: "0x" + "00".repeat(32),
      origin: "http://127.0.0.1:1",
      purpose: "TREAT",
      issuedAt: 1_800_000_000,
      expiresAt: 1_800_000_100,
      nonce: "0x" + "11".repeat(32),
    });
    const malformed = { ...domain, chainIdentifier: 1n } as typeof domain;
    const answer = () => {
      try {
        return requestDigest(malformed, request);
      } catch (err) {
        return `refused: ${(err as Error).message.slice(0, 40)}`;
      }
    };
    const before = answer();
    requestDigest(domain, request); // the well-formed domain's separator is now remembered
    const after = answer();
    expect({ before: before.slice(0, 8), after: after.slice(0, 8) }).to.deep.equal({ before: "refused:", after: "refused:" });
  });
});
