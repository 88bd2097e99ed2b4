/**
 * Outside review of issue 15's new indexer parts: the projections and their queries (indexer/projections.ts,
 * GET /claims, /grants, /members/{address}/eob, /patients/{address}/consents) and the receipts held by the
 * indexer (indexer/receipts.ts, POST /receipts, GET /patients/{address}/receipts), used as their users would and
 * attacked. "FINDING: …" tests fail against the code reviewed (each a confirmed problem: the failure is the
 * proof); "HOLDS: …" tests are attacks and invariants that did not break it.
 */
import { expect } from "chai";
import type { DataClassName } from "../../sdk/consent/codes";
import hre from "hardhat";
import {
  loadFixture,
  mine,
  takeSnapshot,
  time,
} from "@nomicfoundation/hardhat-network-helpers";
import {
  CareLedger,
  ClaimStatus,
  grantStatusAt,
  GRANT_STATUSES,
} from "../../sdk";
import { openDatabase, type Database } from "../../gateway/db";
import { rejection } from "../support/rejection";
import {
  CODE,
  COMMITMENT,
  DAY,
  HOSPITAL,
  INSURER,
  LAB as SUITE_LAB,
  submissionOf,
  suiteFixture,
  today,
  USD,
  YEAR,
} from "../support/suiteFixture";
import {
  receiptFromJson,
  receiptLeaf,
  UNCLASSIFIED_DATA_CLASS,
} from "../../sdk/exchange/receipts";
import { requestHeaders, signGatewayRequest } from "../../sdk/exchange/request";
import {
  gatewayChain,
  grant,
  PATIENT_ID,
  signedFetch,
  startGateway,
} from "../gateway/fixtures";
import { bundleOf, smokingStatus } from "../gateway/review-support";
import { LOCAL, servedIndexer } from "./support";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** The refusal's status, resource type, issue code and element. */
const refusal = (r: { status: number; body: Json }) => [
  r.status,
  r.body?.resourceType,
  r.body?.issue?.[0]?.code,
  r.body?.issue?.[0]?.expression,
];

/** A small suite for the projections: a pended claim, an approved one, and a grant to the hospital. */
async function claimsAndGrants() {
  const f = await suiteFixture();
  const [hospital, insurer, patient] = await Promise.all(
    [f.hospitalAdmin, f.insurerAdmin, f.patient].map((s) =>
      CareLedger.connect(s, { addressBook: f.book }),
    ),
  );
  await (
    await insurer.claims.fund({ planId: 1n, amount: 100_000n * USD })
  ).wait();
  const evidence = (
    await (
      await hospital.records.anchor({
        resource: {
          resourceType: "Encounter",
          id: "visit-r",
          status: "finished",
        },
      })
    ).wait()
  ).commitment;
  const submit = async (code: string, daysAgo: number) =>
    (
      await (
        await hospital.claims.submit(
          submissionOf(
            1n,
            f.patient.address,
            (await today()) - daysAgo * DAY,
            evidence,
            [{ code, units: 1, charged: 500n * USD }],
          ),
        )
      ).wait()
    ).claimId;
  const pended = await submit(CODE.REVIEW, 2);
  const approved = await submit(CODE.VISIT, 3);
  const now = await time.latest();
  await (
    await patient.consent.grant({
      grantee: { organization: HOSPITAL },
      classes: ["labs"],
      purposes: ["TREAT"],
      validUntil: now + YEAR,
      commitment: COMMITMENT,
    })
  ).wait();
  return { ...f, ids: { pended, approved } };
}

for (const kind of ["PGlite", "PostgreSQL"] as const) {
  describe(`review (issue 15): the projections and their queries (${kind})`, function () {
    this.timeout(300_000);

    it("FINDING (fixed): answers claims, grants, EOBs and Consents from a chain that is gone (200) while its sync has halted, where it should refuse (503) as /logs and /ready do", async function () {
      const f = await loadFixture(claimsAndGrants);
      const served = await servedIndexer(f, kind, { ...LOCAL, window: 3 });
      try {
        const get = async (path: string) => {
          const res = await fetch(served.url + path);
          return { status: res.status, body: (await res.json()) as Json };
        };
        const adjuster = await CareLedger.connect(f.adjuster, {
          addressBook: f.book,
        });
        const patient = await CareLedger.connect(f.patient, {
          addressBook: f.book,
        });
        const fork = await takeSnapshot();
        await mine(10);
        // On the fork that will be gone: the pended claim denied, the hospital's grant revoked.
        await (
          await adjuster.claims.decide({
            claimId: f.ids.pended,
            decisions: [{ deny: 50 }],
          })
        ).wait();
        await (
          await patient.consent.revoke({ grantee: { organization: HOSPITAL } })
        ).wait();
        await served.indexer.catchUp();
        await fork.restore();
        await mine(20);
        await rejection(served.indexer.catchUp());
        expect(served.indexer.status().halted, "the sync halted").to.be.a(
          "string",
        );
        expect((await get("/ready")).status).to.equal(503);
        // The chain as it is: the claim pended, the grant in force.
        expect(Number((await f.claims.claim(f.ids.pended)).status)).to.equal(
          ClaimStatus.Pended,
        );
        const observed: Record<string, unknown> = {};
        for (const path of [
          `/claims?plan=1`,
          `/grants?patient=${f.patient.address}&status=${GRANT_STATUSES.join(",")}`,
          `/members/${f.patient.address}/eob`,
          `/patients/${f.patient.address}/consents`,
        ]) {
          const r = await get(path);
          observed[path] =
            r.status === 200
              ? (r.body.claims?.map((c: Json) => c.status) ??
                r.body.grants?.map((g: Json) => g.status) ??
                r.body.entry?.map((e: Json) => e.resource.status))
              : r.status;
        }
        // Observed: 200 with the gone fork's statuses (the claim "denied", the grant "revoked"); expected: 503 for each.
        expect(observed).to.deep.equal({
          [`/claims?plan=1`]: 503,
          [`/grants?patient=${f.patient.address}&status=${GRANT_STATUSES.join(",")}`]: 503,
          [`/members/${f.patient.address}/eob`]: 503,
          [`/patients/${f.patient.address}/consents`]: 503,
        });
      } finally {
        await served.close();
      }
    });

    it("FINDING (fixed): answers 500 'failed to answer' for a plan, provider or member filter beyond PostgreSQL's bigint, where it should refuse it (400) naming the parameter", async function () {
      const f = await loadFixture(claimsAndGrants);
      const served = await servedIndexer(f, kind);
      try {
        const observed: Record<string, unknown[]> = {};
        const expected: Record<string, unknown[]> = {};
        for (const [path, parameter] of [
          ["/claims?plan=9999999999999999999", "plan"],
          ["/claims?provider=9223372036854775808", "provider"],
          [
            `/members/${f.patient.address}/eob?provider=9999999999999999999`,
            "provider",
          ],
        ] as const) {
          const res = await fetch(served.url + path);
          const body = await res.json();
          observed[path] = refusal({ status: res.status, body });
          expected[path] = [400, "OperationOutcome", "invalid", [parameter]];
          expect(JSON.stringify(body)).not.to.match(
            /bigint|out of range|SELECT|at \//,
          );
        }
        expect(observed).to.deep.equal(expected);
      } finally {
        await served.close();
      }
    });

    it("FINDING (fixed): takes an impossible date (2026-02-30) as 2 March instead of refusing it (400) naming the parameter", async function () {
      const f = await loadFixture(claimsAndGrants);
      const served = await servedIndexer(f, kind);
      try {
        const res = await fetch(`${served.url}/claims?until=2026-02-30`);
        const body = (await res.json()) as Json;
        // Observed: 200 (the claims submitted before 2026-03-02T00:00:00Z).
        expect(refusal({ status: res.status, body })).to.deep.equal([
          400,
          "OperationOutcome",
          "invalid",
          ["until"],
        ]);
      } finally {
        await served.close();
      }
    });

    it("HOLDS: SQL-ish, huge and repeated parameters are refused naming them, and nothing of the statement or the stack leaks", async function () {
      const f = await loadFixture(claimsAndGrants);
      const served = await servedIndexer(f, kind);
      try {
        const cases: [string, string][] = [
          ["/claims?status=pended'%20OR%20'1'='1", "status"],
          ["/claims?member=0x0'%3BDROP%20TABLE%20x--", "member"],
          ["/claims?plan=1&plan=2", "plan"],
          ["/claims?since=1e9", "since"],
          ["/claims?until=2026-02-30T99:99:99Z", "until"],
          ["/claims?_count=99999999999999999999", "_count"],
          [`/grants?grantee=org:18446744073709551616`, "grantee"],
          [`/grants?grantee=org:1%20OR%201=1`, "grantee"],
          [`/grants?class=labs)--`, "class"],
          [`/grants?purpose=${"x".repeat(5000)}`, "purpose"],
          [`/grants?status=active,${"revoked,".repeat(200)}bogus`, "status"],
          [
            `/patients/${f.patient.address}/consents?patient=${f.patient2.address}`,
            "patient",
          ],
          [`/members/${"0x" + "Ab".repeat(20)}/eob`, "member"],
          [
            `/grants?_cursor=${Buffer.from(JSON.stringify({ b: 1, l: 0, q: "x' OR 1=1" })).toString("base64url")}`,
            "_cursor",
          ],
        ];
        for (const [path, parameter] of cases) {
          const res = await fetch(served.url + path);
          const body = await res.json();
          expect(refusal({ status: res.status, body }), path).to.deep.equal([
            400,
            "OperationOutcome",
            "invalid",
            [parameter],
          ]);
          expect(JSON.stringify(body), path).not.to.match(
            /SELECT|FROM|grant_history|claim_states|\.ts:|at \//,
          );
        }
        expect(
          (await served.db.pool.query("SELECT count(*)::int AS n FROM events"))
            .rows[0].n,
        ).to.be.greaterThan(0);
      } finally {
        await served.close();
      }
    });

    it("HOLDS: after a correction of a pended claim, a void of the correction, an appeal upheld and a revoke-then-regrant, every claim's status is the engine's, every grant's the SDK's grantStatusAt, and every EOB the SDK's from the node, paged one at a time", async function () {
      const f = await loadFixture(claimsAndGrants);
      const [hospital, adjuster, adjuster2, patient] = await Promise.all(
        [f.hospitalAdmin, f.adjuster, f.adjuster2, f.patient].map((s) =>
          CareLedger.connect(s, { addressBook: f.book }),
        ),
      );
      const evidence = (
        await (
          await hospital.records.anchor({
            resource: {
              resourceType: "Encounter",
              id: "visit-c",
              status: "finished",
            },
          })
        ).wait()
      ).commitment;
      // The pended claim corrected (the correction pends too), the correction voided.
      const correction = (
        await (
          await hospital.claims.submitCorrection({
            replaces: f.ids.pended,
            submission: submissionOf(
              1n,
              f.patient.address,
              (await today()) - 2 * DAY,
              evidence,
              [{ code: CODE.REVIEW, units: 1, charged: 400n * USD }],
            ),
          })
        ).wait()
      ).claimId;
      await (await hospital.claims.voidClaim({ claimId: correction })).wait();
      // A claim denied by the adjuster, appealed, upheld.
      const denied = (
        await (
          await hospital.claims.submit(
            submissionOf(
              1n,
              f.patient.address,
              (await today()) - 4 * DAY,
              evidence,
              [{ code: CODE.REVIEW, units: 1, charged: 500n * USD }],
            ),
          )
        ).wait()
      ).claimId;
      await (
        await adjuster.claims.decide({
          claimId: denied,
          decisions: [{ deny: 50 }],
        })
      ).wait();
      await (await patient.claims.appeal({ claimId: denied })).wait();
      await (
        await adjuster2.claims.resolveAppeal({
          claimId: denied,
          decisions: [{ deny: 50 }],
        })
      ).wait();
      // The insurer's grant revoked, then granted anew (the first is revoked, the second in force); one ending at the chain's time.
      const now = await time.latest();
      await (
        await patient.consent.grant({
          grantee: { organization: INSURER },
          classes: ["claims"],
          purposes: ["TREAT"],
          validUntil: now + YEAR,
          commitment: COMMITMENT,
        })
      ).wait();
      await (
        await patient.consent.revoke({ grantee: { organization: INSURER } })
      ).wait();
      await (
        await patient.consent.grant({
          grantee: { organization: INSURER },
          classes: ["claims"],
          purposes: ["TREAT"],
          validUntil: now + YEAR,
          commitment: COMMITMENT,
        })
      ).wait();
      await (
        await patient.consent.grant({
          grantee: { organization: SUITE_LAB },
          classes: ["labs"],
          purposes: ["TREAT"],
          validUntil: now + 10 * DAY,
          commitment: COMMITMENT,
        })
      ).wait();
      await time.increase(10 * DAY);
      await mine(1);
      const served = await servedIndexer(f, kind);
      try {
        const pages = async (path: string, items: (b: Json) => Json[]) => {
          const out: Json[] = [];
          let at: string | null = path;
          while (at !== null) {
            const res = await fetch(
              at.startsWith("http") ? at : served.url + at,
            );
            const body = (await res.json()) as Json;
            expect(res.status, JSON.stringify(body)).to.equal(200);
            out.push(...items(body));
            at =
              body.resourceType === "Bundle"
                ? (body.link.find((l: Json) => l.relation === "next")?.url ??
                  null)
                : body.next;
          }
          return out;
        };
        const claims = await pages("/claims?_count=1", (b) => b.claims);
        const submitted = await f.claims.queryFilter(
          f.claims.filters.ClaimSubmitted(),
        );
        expect(claims.map((c) => c.claimId)).to.deep.equal(
          submitted.map((e) => e.args.claimId),
        );
        for (const c of claims)
          expect(c.statusCode, c.claimId).to.equal(
            Number((await f.claims.claim(c.claimId)).status),
          );
        expect(claims.find((c) => c.claimId === correction).status).to.equal(
          "voided",
        );
        expect(claims.find((c) => c.claimId === f.ids.pended).status).to.equal(
          "replaced",
        );
        expect(claims.find((c) => c.claimId === denied).status).to.equal(
          "upheld on appeal",
        );
        const chainNow = await time.latest();
        const grants = await pages(
          `/grants?patient=${f.patient.address}&status=${GRANT_STATUSES.join(",")}&_count=1`,
          (b) => b.grants,
        );
        for (const g of grants) {
          const later = grants.some(
            (h) =>
              h.granteeKey === g.granteeKey &&
              (h.blockNumber > g.blockNumber ||
                (h.blockNumber === g.blockNumber && h.logIndex > g.logIndex)),
          );
          expect(g.status, `${g.granteeKey}@${g.blockNumber}`).to.equal(
            grantStatusAt(g, chainNow, {
              revoked: g.revokedInBlock !== undefined,
              superseded: later && g.revokedInBlock === undefined,
            }),
          );
        }
        expect(grants.map((g) => g.status)).to.include.members([
          "revoked",
          "active",
          "expired",
        ]);
        const reader = await CareLedger.connect(hre.ethers.provider, {
          addressBook: f.book,
        });
        const eobs = await pages(
          `/members/${f.patient.address}/eob?_count=1`,
          (b) => b.entry,
        );
        expect(eobs).to.have.length(submitted.length);
        for (const e of eobs) {
          const id = `0x${e.resource.id}`;
          const plan = await reader.claims.plan(
            (await reader.claims.claim(id)).planId,
          );
          expect(e.resource, id).to.deep.equal(
            JSON.parse(
              JSON.stringify(
                await reader.claims.toExplanationOfBenefit(id, {
                  created: e.resource.created,
                  insurerOrgId: plan.insurerOrgId,
                }),
              ),
            ),
          );
        }
      } finally {
        await served.close();
      }
    });
  });
}

type Gateway = Awaited<ReturnType<typeof startGateway>>;
type Signer = Gateway["patient"];

for (const kind of ["PGlite", "PostgreSQL"] as const) {
  describe(`review (issue 15): the receipts the indexer holds (${kind})`, function () {
    this.timeout(300_000);
    let g: Gateway;
    /** The patient appoints `g.delegate`, limited to `classes` for 30 days, and `g.patient2` a representative (labs) for `representativeFor` seconds. */
    const appointDelegates = async (classes: DataClassName[], representativeFor: number) => {
      const patient = await g.as(g.patient);
      const now = await time.latest();
      await (await patient.consent.appointDelegate({ delegate: g.delegate.address, until: now + 30 * DAY, classes, purposes: ["TREAT"] })).wait();
      await (await patient.consent.appointDelegate({ delegate: g.patient2.address, until: now + representativeFor, classes: ["labs"], purposes: ["TREAT"], representative: true })).wait();
    };
    let gatewayDb: Database;
    let served: Awaited<ReturnType<typeof servedIndexer>>;
    /** The lab gateway's own GET /receipts entries, without `anchored`. */
    let entries: Json[];

    /** A request to `base` signed by `signer`. */
    const call = async (
      base: string,
      signer: Signer,
      method: "GET" | "POST",
      target: string,
      body?: string,
      purpose?: string,
    ) => {
      const signed = await signGatewayRequest(signer, g.gateway.domain, {
        gateway: base,
        method,
        target,
        body,
        purpose: purpose ?? (method === "POST" ? "HOPERAT" : "TREAT"),
      });
      const res = await fetch(base + target, {
        method,
        headers: {
          ...signed.headers,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body,
      });
      const text = await res.text();
      return {
        status: res.status,
        body: text === "" ? undefined : JSON.parse(text),
      };
    };
    const post = (base: string, list: readonly Json[]) =>
      call(
        base,
        g.labAdmin,
        "POST",
        "/receipts",
        JSON.stringify({ receipts: list }),
      );
    const read = (base: string, signer: Signer, patient: string, query = "") =>
      call(base, signer, "GET", `/patients/${patient}/receipts${query}`);
    const leafOf = (e: Json) =>
      receiptLeaf(receiptFromJson(e.receipt)).toLowerCase();
    const gatewayEntries = async (): Promise<Json[]> => {
      const res = await signedFetch(
        g,
        g.patient,
        `/receipts?patient=${g.patient.address}&_count=100`,
      );
      expect(res.status).to.equal(200);
      return res.body.receipts.map(({ anchored, ...entry }: Json) => {
        expect(anchored).to.equal(true);
        return entry;
      });
    };
    let snapshot: Awaited<ReturnType<typeof takeSnapshot>>;

    before(async function () {
      const chain = await loadFixture(gatewayChain);
      served = await servedIndexer(chain, kind);
      gatewayDb =
        served.databaseUrl === undefined
          ? await openDatabase()
          : await openDatabase({ url: served.databaseUrl });
      g = await startGateway(chain, gatewayDb);
      await g.labCl.exchange.ingest(g.origin, bundleOf(smokingStatus()));
      const patient = await g.as(g.patient);
      await patient.exchange.everything(g.target, PATIENT_ID, {
        purpose: "TREAT",
      });
      await g.worker.flush();
      await grant(g, 1n, ["labs"], ["TREAT"]);
      const doctor = await g.as(g.doctor);
      await doctor.exchange.search(g.target, "Observation", {
        patient: `Patient/${PATIENT_ID}`,
        purpose: "TREAT",
      });
      await g.worker.flush();
      entries = await gatewayEntries();
      expect(new Set(entries.map((e) => e.root)).size).to.equal(2);
      await served.indexer.catchUp();
    });
    after(async function () {
      await g?.close();
      await gatewayDb?.close();
      await served?.close();
    });
    beforeEach(async function () {
      snapshot = await takeSnapshot();
      expect((await post(served.url, entries)).status).to.equal(200);
    });
    afterEach(async function () {
      await snapshot.restore();
      await served.db.pool.query("TRUNCATE indexed_receipts");
      await served.indexer.catchUp();
    });

    it("FINDING (fixed): a delegate the patient removed on chain (or whose term ran out) goes on reading the patient's receipts until the indexer has indexed the block: the removal is not effective in its block", async function () {
      const patient = await g.as(g.patient);
      await appointDelegates(["labs"], 2 * DAY);
      await served.indexer.catchUp();
      expect(
        (await read(served.url, g.delegate, g.patient.address)).status,
      ).to.equal(200);
      expect(
        (await read(served.url, g.patient2, g.patient.address)).status,
      ).to.equal(200);
      // The patient removes the limited delegate; the representative's term runs out. The indexer has not read
      // these blocks yet (as it is 12 blocks behind by default on a public chain, or stalled, or halted).
      await (
        await patient.consent.removeDelegate({ delegate: g.delegate.address })
      ).wait();
      await time.increase(3 * DAY);
      await mine(1);
      expect(
        (
          await patient.consent.delegation(
            g.patient.address,
            g.delegate.address,
          )
        ).until,
      ).to.equal(0);
      const removed = await read(served.url, g.delegate, g.patient.address);
      const expired = await read(served.url, g.patient2, g.patient.address);
      // Observed: 200 with the receipts (the labs ones to the removed delegate, every one to the expired representative).
      expect({
        removed: [removed.status, removed.body?.receipts?.length],
        expired: [expired.status, expired.body?.receipts?.length],
      }).to.deep.equal({
        removed: [403, undefined],
        expired: [403, undefined],
      });
    });

    it("FINDING (fixed): the receipts are answered (200) from a chain that is gone once the sync has halted, a receipt whose anchoring the chain no longer has among them", async function () {
      const shallow = await servedIndexer(g, kind, { ...LOCAL, window: 3 });
      try {
        expect((await post(shallow.url, entries)).status).to.equal(200);
        const fork = await takeSnapshot();
        const roots = new Set(entries.map((e) => e.root));
        const doctor = await g.as(g.doctor);
        await doctor.exchange.read(
          g.target,
          "Observation",
          `${PATIENT_ID}-glucose`,
          { purpose: "TREAT" },
        );
        await g.worker.flush();
        await mine(10);
        await shallow.indexer.catchUp();
        const fresh = (await gatewayEntries()).filter(
          (e) => !roots.has(e.root),
        );
        expect((await post(shallow.url, fresh)).body).to.deep.include({
          stored: 1,
          known: 0,
        });
        await fork.restore();
        await mine(20);
        await rejection(shallow.indexer.catchUp());
        expect(shallow.indexer.status().halted).to.be.a("string");
        const r = await read(shallow.url, g.patient, g.patient.address);
        const gone = r.body?.receipts?.filter(
          (x: Json) => x.root === fresh[0].root,
        ).length;
        // Observed: 200, the gone anchoring's receipt among them; expected: 503, as /logs and /ready answer.
        expect({ status: r.status, gone }).to.deep.equal({
          status: 503,
          gone: undefined,
        });
      } finally {
        await shallow.close();
      }
    });

    it("FINDING (fixed): a patient paging through their receipts across a reorganization is handed the same receipt twice (no rollback count, no refusal of the stale cursor)", async function () {
      const roots = new Set((await gatewayEntries()).map((e) => e.root));
      const doctor = await g.as(g.doctor);
      // Two more receipts (the doctor reads two results), under a third root: anchored, indexed, posted.
      await doctor.exchange.search(g.target, "Observation", {
        patient: `Patient/${PATIENT_ID}`,
        purpose: "TREAT",
      });
      const fork = await takeSnapshot();
      await g.worker.flush();
      await served.indexer.catchUp();
      const fresh = (await gatewayEntries()).filter((e) => !roots.has(e.root));
      expect(fresh).to.have.length(2);
      expect((await post(served.url, fresh)).body).to.deep.include({
        stored: 2,
        known: 0,
      });
      // Page 1 ends on the first receipt of the third root.
      const first = await read(
        served.url,
        g.patient,
        g.patient.address,
        `?_count=${entries.length + 1}`,
      );
      expect(first.status).to.equal(200);
      expect(first.body.receipts.at(-1).root).to.equal(fresh[0].root);
      // A reorganization: the anchoring is dropped, and the lab anchors the root again a few blocks later.
      await fork.restore();
      await mine(3);
      await (
        await g.labCl.disclosures.anchor({ root: fresh[0].root, count: 2 })
      ).wait();
      await served.indexer.catchUp();
      // Fixed: the stale cursor is refused (409, naming it), and the reader starts again from the first page.
      const second = await call(served.url, g.patient, "GET", first.body.next);
      expect(refusal(second)).to.deep.equal([409, "OperationOutcome", "conflict", ["_cursor"]]);
      const again = await read(served.url, g.patient, g.patient.address, "?_count=500");
      const seen = again.body.receipts.map(leafOf);
      const twice = seen.filter((leaf: string, i: number) => seen.indexOf(leaf) !== i);
      expect({ twice, total: seen.length }).to.deep.equal({
        twice: [],
        total: entries.length + 2,
      });
    });

    it("FINDING (fixed): an entry whose request or signature is not the requester's (not what the receipt's requestDigest hashes) is stored as 'verified by the SDK', and the holder's correct entry posted after it is only 'known' and never replaces it", async function () {
      await served.db.pool.query("TRUNCATE indexed_receipts");
      const target =
        entries.find((e) => e.receipt.requester === g.doctor.address) ??
        entries[0];
      const other = entries.find((e) => e.signature !== target.signature)!;
      // A gateway fault (or a tampered publication): another request's signature, and a request that is not the one hashed.
      const broken = {
        ...target,
        signature: other.signature,
        request: { ...target.request, nonce: other.request.nonce },
      };
      const r = await post(served.url, [broken]);
      const fixed = await post(served.url, [target]);
      const stored = (
        await served.db.pool.query(
          "SELECT entry FROM indexed_receipts WHERE leaf = $1",
          [leafOf(target)],
        )
      ).rows[0]?.entry;
      const patient = await g.as(g.patient);
      const sdk = (
        await patient.exchange.indexedReceipts(served.url, { count: 100 })
      ).receipts.find((x) => x.receipt.accessRef === target.receipt.accessRef);
      // Observed: 200 stored, the fix "known", the SDK's requestVerified false for good.
      expect({
        first: refusal(r)
          .slice(0, 1)
          .concat(r.body?.issue?.[0]?.expression ?? []),
        fixedStored: stored?.signature === target.signature,
        requestVerified: sdk?.requestVerified,
        fixed: { stored: fixed.body.stored, known: fixed.body.known },
      }).to.deep.equal({
        // The entry carries another request (and its signature): the request is what does not hash to the digest.
        first: [400, "receipts[0].request"],
        fixedStored: true,
        requestVerified: true,
        fixed: { stored: 1, known: 0 },
      });
    });

    it("HOLDS: another organization's gateway cannot post the lab's receipts nor pass them as its own; a stranger, another patient and a delegate of another patient read nothing; a receipts cursor is refused elsewhere", async function () {
      // The hospital's doctor posts the lab's entries: refused (403) naming the holder; as the hospital's own (holderOrgId changed): the proof fails (400).
      const asHospital = entries.map((e) => ({
        ...e,
        receipt: { ...e.receipt, holderOrgId: "1" },
      }));
      const byDoctor = await call(
        served.url,
        g.doctor,
        "POST",
        "/receipts",
        JSON.stringify({ receipts: entries }),
      );
      expect(refusal(byDoctor)).to.deep.equal([
        403,
        "OperationOutcome",
        "forbidden",
        ["receipts[0].receipt.holderOrgId"],
      ]);
      const asOwn = await call(
        served.url,
        g.hospitalAdmin,
        "POST",
        "/receipts",
        JSON.stringify({ receipts: asHospital }),
      );
      expect(refusal(asOwn)).to.deep.equal([
        400,
        "OperationOutcome",
        "invalid",
        ["receipts[0].proof"],
      ]);
      expect(
        Number(
          (
            await served.db.pool.query(
              "SELECT count(*) AS n FROM indexed_receipts WHERE holder_org_id <> 2",
            )
          ).rows[0].n,
        ),
      ).to.equal(0);
      // Readers: a stranger and the other patient are refused for the patient; a delegate of patient2 is no delegate of the patient.
      const patient2 = await g.as(g.patient2);
      await (
        await patient2.consent.appointDelegate({
          delegate: g.delegate.address,
          until: (await time.latest()) + 30 * DAY,
          classes: ["labs"],
          purposes: ["TREAT"],
          representative: true,
        })
      ).wait();
      await served.indexer.catchUp();
      for (const signer of [
        g.stranger,
        g.patient2,
        g.delegate,
        g.doctor,
        g.labAdmin,
      ]) {
        expect(
          refusal(await read(served.url, signer, g.patient.address)),
          signer.address,
        ).to.deep.equal([403, "OperationOutcome", "forbidden", undefined]);
      }
      expect(
        (await read(served.url, g.delegate, g.patient2.address)).body,
      ).to.deep.equal({ receipts: [], next: null });
      // A receipts cursor on /claims, /grants and the other patient's receipts: refused naming it.
      const first = await read(
        served.url,
        g.patient,
        g.patient.address,
        "?_count=1",
      );
      const cursor = new URL(first.body.next, served.url).searchParams.get(
        "_cursor",
      );
      for (const path of [
        `/claims?_cursor=${cursor}`,
        `/grants?_cursor=${cursor}`,
        `/events?_cursor=${cursor}`,
      ]) {
        const res = await fetch(served.url + path);
        expect(
          refusal({ status: res.status, body: await res.json() }),
          path,
        ).to.deep.equal([400, "OperationOutcome", "invalid", ["_cursor"]]);
      }
      expect(
        refusal(
          await read(
            served.url,
            g.patient2,
            g.patient2.address,
            `?_cursor=${cursor}`,
          ),
        ),
      ).to.deep.equal([400, "OperationOutcome", "invalid", ["_cursor"]]);
      // A requester's signed request carried in a receipt (what every reader of the receipts sees), replayed at the indexer: refused.
      const carried = entries.find(
        (e) =>
          e.receipt.requester.toLowerCase() === g.patient.address.toLowerCase(),
      );
      const replayHeaders = requestHeaders(
        carried.request,
        g.chainId,
        carried.signature,
      );
      for (const path of [
        `/patients/${g.patient.address}/receipts`,
      ]) {
        const res = await fetch(served.url + path, { headers: replayHeaders });
        expect(
          refusal({ status: res.status, body: await res.json() }),
          path,
        ).to.deep.equal([401, "OperationOutcome", "security", ["origin"]]);
      }
      // A claims cursor on the receipts: refused.
      const claimsCursor = Buffer.from(
        JSON.stringify({ b: 1, l: 0, q: "x" }),
      ).toString("base64url");
      expect(
        refusal(
          await read(
            served.url,
            g.patient,
            g.patient.address,
            `?_cursor=${claimsCursor}`,
          ),
        ),
      ).to.deep.equal([400, "OperationOutcome", "invalid", ["_cursor"]]);
    });

    it("HOLDS: per patient, every receipt once and none of another's, on every page size; a limited delegate never sees an unclassified or sensitive receipt, a representative sees exactly the patient's", async function () {
      const all = async (signer: Signer, patient: string, count: number) => {
        const out: Json[] = [];
        let at: string | null = `/patients/${patient}/receipts?_count=${count}`;
        while (at !== null) {
          const r = await call(served.url, signer, "GET", at);
          expect(r.status).to.equal(200);
          out.push(...r.body.receipts);
          at = r.body.next;
        }
        return out;
      };
      const mineOnly = entries.filter(
        (e) =>
          e.receipt.patient.toLowerCase() === g.patient.address.toLowerCase(),
      );
      for (const count of [1, 2, 3, 500]) {
        const got = await all(g.patient, g.patient.address, count);
        expect(got.map(leafOf).sort(), `count ${count}`).to.deep.equal(
          mineOnly.map(leafOf).sort(),
        );
        expect(new Set(got.map(leafOf)).size).to.equal(got.length);
      }
      await appointDelegates(["labs", "vitals", "demographics"], 30 * DAY);
      await served.indexer.catchUp();
      const limited = await all(g.delegate, g.patient.address, 2);
      expect(limited.map((r) => r.receipt.dataClass)).not.to.include.members([
        UNCLASSIFIED_DATA_CLASS,
        18,
      ]);
      expect(limited.length).to.equal(
        mineOnly.filter((e) => [0, 4, 5].includes(e.receipt.dataClass)).length,
      );
      expect(
        (await all(g.patient2, g.patient.address, 3)).map(leafOf).sort(),
      ).to.deep.equal(mineOnly.map(leafOf).sort());
    });
  });
}
