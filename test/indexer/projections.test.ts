/**
 * The indexer's projections (indexer/migrations/1797120000000_projections.sql, indexer/projections.ts) and
 * the query API over them, on PGlite and PostgreSQL over a real socket: claims with their status now
 * (each equal to what the engine stores), filtered and paged; a member's ExplanationOfBenefits equal to
 * the SDK's from the node; a patient's grants with their status at chain time (active, expiring soon, not
 * yet active, expired, revoked, superseded), filtered and paged, and as FHIR Consents that read back as
 * the same grants; refusals naming the parameter; and a rolled-back block taken out of every projection.
 */
import { loadFixture, mine, takeSnapshot, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre from "hardhat";
import { accountGrantee, CareLedger, ClaimStatus, claimStatusName, fromFhirConsent, granteeKey, GRANT_STATUSES, grantStatusAt, organizationGrantee } from "../../sdk";
import { fhirIssues } from "../../sdk/core/fhirValidation";
import type { Indexer } from "../../indexer/sync";
import type { Database } from "../../gateway/db";
import { CODE, COMMITMENT, DAY, HOSPITAL, INSURER, LAB, submissionOf, suiteFixture, today, USD, YEAR } from "../support/suiteFixture";
import { servedIndexer } from "./support";

/** Claims in every state the engine has, over two plans and two members, and grants in every status. */
async function projectedSuite() {
  const f = await suiteFixture();
  const [hospital, insurer, adjuster, adjuster2, patient, patient2] = await Promise.all(
    [f.hospitalAdmin, f.insurerAdmin, f.adjuster, f.adjuster2, f.patient, f.patient2].map((s) => CareLedger.connect(s, { addressBook: f.book })),
  );
  const rival = await CareLedger.connect(f.rivalAdmin, { addressBook: f.book });
  await (await insurer.claims.fund({ planId: 1n, amount: 100_000n * USD })).wait();
  await (await rival.claims.fund({ planId: 2n, amount: 100_000n * USD })).wait();
  // Each member's claims cite a record of that member's own service.
  const evidenceOf = new Map<string, string>();
  for (const [member, id] of [[f.patient.address, "visit-1"], [f.patient2.address, "visit-2"]]) {
    evidenceOf.set(member, (await (await hospital.records.anchor({ resource: { resourceType: "Encounter", id, status: "finished" } })).wait()).commitment);
  }
  const evidence = evidenceOf.get(f.patient.address)!;
  let n = 0;
  const submit = async (planId: bigint, member: string, code: string, charged = 500n * USD) =>
    (await (await hospital.claims.submit(submissionOf(planId, member, (await today()) - DAY - DAY * n++, evidenceOf.get(member)!, [{ code, units: 1, charged }]))).wait()).claimId;

  const oldPended = await submit(1n, f.patient.address, CODE.REVIEW);
  await time.increase(40 * DAY);
  const ids = {
    oldPended,
    approved: await submit(1n, f.patient.address, CODE.VISIT),
    pended: await submit(1n, f.patient.address, CODE.REVIEW),
    denied: await submit(1n, f.patient.address, CODE.UNKNOWN),
    overturned: await submit(1n, f.patient.address, CODE.REVIEW),
    voided: await submit(1n, f.patient.address, CODE.VISIT, 200n * USD),
    replaced: await submit(1n, f.patient.address, CODE.VISIT, 300n * USD),
    otherMember: await submit(1n, f.patient2.address, CODE.VISIT),
    otherPlan: await submit(2n, f.patient.address, CODE.VISIT),
    correction: "",
  };
  await (await adjuster.claims.decide({ claimId: ids.overturned, decisions: [{ deny: 50 }] })).wait();
  await (await patient.claims.appeal({ claimId: ids.overturned })).wait();
  await (await adjuster2.claims.resolveAppeal({ claimId: ids.overturned, decisions: [{ approve: true }] })).wait();
  await (await hospital.claims.voidClaim({ claimId: ids.voided })).wait();
  ids.correction = (
    await (
      await hospital.claims.submitCorrection({
        replaces: ids.replaced,
        submission: submissionOf(1n, f.patient.address, (await today()) - 20 * DAY, evidence, [{ code: CODE.VISIT, units: 1, charged: 250n * USD }]),
      })
    ).wait()
  ).claimId;

  // Grants: the patient's in every status, and one of another patient's to the same organization.
  const now = await time.latest();
  const grant = async (who: CareLedger, grantee: object, classes: string[], purposes: string[], validUntil: number, validFrom?: number) =>
    (await who.consent.grant({ grantee: grantee as never, classes: classes as never, purposes: purposes as never, validUntil, validFrom, commitment: COMMITMENT })).wait();
  await grant(patient, { organization: HOSPITAL }, ["labs", "medications"], ["TREAT"], now + YEAR);
  await grant(patient, { account: f.doctor.address }, ["labs"], ["TREAT"], now + 12 * DAY);
  await grant(patient, { organization: LAB }, ["genomics"], ["HRESCH"], now + YEAR, now + 20 * DAY);
  await grant(patient, { organization: INSURER }, ["claims"], ["TREAT"], now + YEAR);
  await (await patient.consent.revoke({ grantee: { organization: INSURER } })).wait();
  await grant(patient, { account: f.delegate.address }, ["vitals"], ["TREAT"], now + 2 * DAY);
  await grant(patient, { account: f.patient2.address }, ["immunizations"], ["TREAT"], now + YEAR);
  await grant(patient, { account: f.patient2.address }, ["immunizations", "vitals"], ["TREAT", "HRESCH"], now + YEAR);
  await grant(patient2, { organization: HOSPITAL }, ["labs"], ["TREAT"], now + YEAR);
  await time.increase(3 * DAY);
  await mine(1);
  return { ...f, ids };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

for (const kind of ["PGlite", "PostgreSQL"] as const) {
  describe(`indexer projections and their queries (${kind})`, function () {
    this.timeout(180_000);
    let f: Awaited<ReturnType<typeof projectedSuite>>;
    let base: string;
    let indexer: Indexer;
    let db: Database;
    let close: () => Promise<void>;
    const get = async (path: string): Promise<{ status: number; body: Json }> => {
      const res = await fetch(base + path);
      return { status: res.status, body: await res.json() };
    };
    /** Every page of `path`, following `next` (a JSON `next` path, or a Bundle's next link). */
    const all = async (path: string, items: (body: Json) => Json[]): Promise<{ items: Json[]; pages: number }> => {
      const out: Json[] = [];
      let at: string | null = path;
      let pages = 0;
      while (at !== null) {
        const r = await get(at);
        expect(r.status, `${at}: ${JSON.stringify(r.body)}`).to.equal(200);
        out.push(...items(r.body));
        const next: string | undefined = r.body.resourceType === "Bundle" ? r.body.link.find((l: Json) => l.relation === "next")?.url : r.body.next;
        at = next === undefined || next === null ? null : next.startsWith("http") ? next.slice(base.length) : next;
        if (++pages > 60) throw new Error("no end of pages");
      }
      return { items: out, pages };
    };

    beforeEach(async function () {
      f = await loadFixture(projectedSuite);
      ({ url: base, indexer, db, close } = await servedIndexer(f, kind, { confirmations: 0, window: 8 }));
    });
    afterEach(async function () {
      await close?.();
    });

    it("lists every claim once with the status the engine stores, filtered by plan, member, provider, status and time, and paged", async function () {
      const listed = (await all("/claims?_count=3", (b) => b.claims)).items;
      const submitted = await f.claims.queryFilter(f.claims.filters.ClaimSubmitted());
      expect(listed.map((c) => c.claimId)).to.deep.equal(submitted.map((e) => e.args.claimId));
      for (const c of listed) {
        const stored = Number((await f.claims.claim(c.claimId)).status);
        expect(c.statusCode, c.claimId).to.equal(stored);
        expect(c.status).to.equal(claimStatusName(stored));
      }
      const statusOf = (id: string) => listed.find((c) => c.claimId === id).statusCode;
      const k = f.ids;
      expect([k.oldPended, k.approved, k.pended, k.denied, k.overturned, k.voided, k.replaced, k.correction].map(statusOf)).to.deep.equal([
        ClaimStatus.Pended,
        ClaimStatus.Approved,
        ClaimStatus.Pended,
        ClaimStatus.Denied,
        ClaimStatus.Overturned,
        ClaimStatus.Voided,
        ClaimStatus.Replaced,
        ClaimStatus.Approved,
      ]);

      // "Every pended claim of plan 1 submitted more than 30 days ago."
      const monthAgo = (await time.latest()) - 30 * DAY;
      const old = await get(`/claims?plan=1&status=pended&until=${monthAgo}`);
      expect(old.body.claims.map((c: Json) => c.claimId)).to.deep.equal([k.oldPended]);
      const recentPended = await get(`/claims?plan=1&status=Pended&since=${new Date(monthAgo * 1000).toISOString().slice(0, 10)}`);
      expect(recentPended.body.claims.map((c: Json) => c.claimId)).to.deep.equal([k.pended]);

      const pick = async (q: string) => (await all(`/claims?${q}&_count=2`, (b) => b.claims)).items.map((c) => c.claimId);
      expect(await pick("plan=2")).to.deep.equal([k.otherPlan]);
      expect(await pick(`member=${f.patient2.address}`)).to.deep.equal([k.otherMember]);
      expect(await pick(`member=${f.patient.address.toLowerCase()}&plan=1&status=denied,voided`)).to.deep.equal([k.denied, k.voided]);
      expect(await pick(`provider=${HOSPITAL}&status=replaced`)).to.deep.equal([k.replaced]);
      expect(await pick("provider=9")).to.deep.equal([]);
    });

    it("answers a member's ExplanationOfBenefits as FHIR, each equal to the SDK's from the node", async function () {
      const k = f.ids;
      const bundle = await all(`/members/${f.patient.address}/eob?_count=4`, (b) => b.entry);
      const reader = await CareLedger.connect(hre.ethers.provider, { addressBook: f.book });
      const mine = (await f.claims.queryFilter(f.claims.filters.ClaimSubmitted(undefined, undefined, f.patient.address))).map((e) => e.args.claimId);
      expect(bundle.items.map((e) => `0x${e.resource.id}`)).to.deep.equal(mine);
      expect(bundle.pages).to.equal(Math.ceil(mine.length / 4));
      for (const entry of bundle.items) {
        const id = `0x${entry.resource.id}`;
        const plan = await reader.claims.plan((await reader.claims.claim(id)).planId);
        const fromNode = await reader.claims.toExplanationOfBenefit(id, { created: entry.resource.created, insurerOrgId: plan.insurerOrgId });
        expect(entry.resource, id).to.deep.equal(JSON.parse(JSON.stringify(fromNode)));
        expect(fhirIssues(entry.resource), id).to.deep.equal([]);
        expect(entry.fullUrl).to.equal(`${base}/ExplanationOfBenefit/${entry.resource.id}`);
      }
      const voided = bundle.items.find((e) => `0x${e.resource.id}` === k.voided).resource;
      expect(voided.status).to.equal("cancelled");
      const pended = await get(`/members/${f.patient.address}/eob?status=pended&plan=1`);
      expect(pended.body.entry.map((e: Json) => `0x${e.resource.id}`)).to.deep.equal([k.oldPended, k.pended]);
    });

    it("lists a patient's grants with their status at chain time, filtered and paged, superseded ones only when asked", async function () {
      const p = f.patient.address;
      const { items } = await all(`/grants?patient=${p}&_count=2`, (b) => b.grants);
      const status = (grantee: string) => items.filter((g) => g.granteeKey === grantee).map((g) => g.status);
      expect(status(organizationGrantee(HOSPITAL))).to.deep.equal(["active"]);
      expect(status(accountGrantee(f.doctor.address))).to.deep.equal(["expiring-soon"]);
      expect(status(organizationGrantee(LAB))).to.deep.equal(["not-yet-active"]);
      expect(status(organizationGrantee(INSURER))).to.deep.equal(["revoked"]);
      expect(status(accountGrantee(f.delegate.address))).to.deep.equal(["expired"]);
      expect(status(accountGrantee(f.patient2.address))).to.deep.equal(["active"]);
      expect(items).to.have.length(6);
      // Each status is the SDK's rule (grantStatusAt) at the chain's time, whatever SQL computed it.
      const chainNow = await time.latest();
      const history = (await get(`/grants?patient=${p}&status=${GRANT_STATUSES.join(",")}`)).body.grants;
      for (const g of history) {
        const later = history.some((h: Json) => h.granteeKey === g.granteeKey && h.blockNumber > g.blockNumber);
        expect(g.status, g.granteeKey).to.equal(grantStatusAt(g, chainNow, { revoked: g.revokedInBlock !== undefined, superseded: later }));
      }
      const revoked = items.find((g) => g.status === "revoked");
      expect(revoked.revokedInBlock).to.be.greaterThan(revoked.blockNumber);

      // The SDK's current grants (latest per grantee, not revoked) are the ones listed here as neither revoked nor superseded.
      const reader = await CareLedger.connect(hre.ethers.provider, { addressBook: f.book });
      const current = (await reader.consent.grants(p)).map((g) => `${g.granteeKey}:${g.blockNumber}:${g.inForce}`).sort();
      expect(items.filter((g) => g.status !== "revoked").map((g) => `${g.granteeKey}:${g.blockNumber}:${g.inForce}`).sort()).to.deep.equal(current);

      const superseded = (await get(`/grants?patient=${p}&status=superseded`)).body.grants;
      expect(superseded.map((g: Json) => [g.granteeKey, g.classes])).to.deep.equal([[accountGrantee(f.patient2.address), ["immunizations"]]]);
      const byClass = (await get(`/grants?patient=${p}&class=vitals&status=active,expired,superseded`)).body.grants.map((g: Json) => g.granteeKey);
      expect(byClass).to.deep.equal([accountGrantee(f.delegate.address), accountGrantee(f.patient2.address)]);
      const byPurpose = (await get(`/grants?patient=${p}&purpose=HRESCH`)).body.grants.map((g: Json) => g.granteeKey);
      expect(byPurpose).to.deep.equal([organizationGrantee(LAB), accountGrantee(f.patient2.address)]);
      // An organization sees who granted it what.
      const toHospital = (await get(`/grants?grantee=org:${HOSPITAL}`)).body.grants.map((g: Json) => g.patient);
      expect(toHospital).to.deep.equal([f.patient.address, f.patient2.address]);
      expect((await get(`/grants?grantee=${granteeKey("g", { organization: HOSPITAL })}`)).body.grants).to.have.length(2);
      expect((await get(`/grants?grantee=${f.doctor.address}`)).body.grants).to.have.length(1);
      expect((await get(`/grants?patient=${p}`)).body.chainTime).to.equal(await time.latest());
    });

    it("answers a patient's grants as FHIR Consents: valid, in the grants' order and status, the ones in force reading back as the same grants", async function () {
      const p = f.patient.address;
      const every = "status=" + GRANT_STATUSES.join(",");
      const grants = (await get(`/grants?patient=${p}&${every}`)).body.grants;
      const bundle = await all(`/patients/${p}/consents?${every}&_count=3`, (b) => b.entry);
      expect(bundle.items).to.have.length(grants.length).and.to.have.length.greaterThan(6);
      const now = await time.latest();
      bundle.items.forEach((entry, i) => {
        const g = grants[i];
        const c = entry.resource;
        expect([c.resourceType, c.id, entry.fullUrl]).to.deep.equal(["Consent", `${g.blockNumber}-${g.logIndex}`, `${base}/Consent/${g.blockNumber}-${g.logIndex}`]);
        expect(c.status, g.status).to.equal(["active", "expiring-soon", "not-yet-active"].includes(g.status) ? "active" : "inactive");
        expect(fhirIssues(c), c.id).to.deep.equal([]);
        expect(c.patient.identifier.value.toLowerCase()).to.equal(p.toLowerCase());
        if (c.status !== "active") return;
        // A Consent in force reads back (the SDK's import) as the grant it came from.
        const back = fromFhirConsent(c, { resolveActor: () => undefined });
        expect(back.grants).to.have.length(1);
        const r = back.grants[0];
        expect([granteeKey("grantee", r.grantee), r.classes, r.purposes, r.validFrom, r.validUntil]).to.deep.equal([g.granteeKey, g.classes, g.purposes, g.validFrom, g.validUntil]);
        expect(g.validUntil).to.be.greaterThan(now);
      });
    });

    it("refuses malformed parameters naming them, and a cursor of another query", async function () {
      const bad: [string, string][] = [
        ["/grants?status=lapsed", "status"],
        ["/grants?class=x-rays", "class"],
        ["/grants?purpose=MARKETING", "purpose"],
        ["/grants?grantee=org:zero", "grantee"],
        ["/grants?grantee=0x1234", "grantee"],
        ["/grants?patient=someone", "patient"],
        ["/grants?plan=1", "plan"],
        ["/claims?status=paid-twice", "status"],
        ["/claims?plan=-1", "plan"],
        ["/claims?until=yesterday", "until"],
        ["/claims?_count=0", "_count"],
        [`/members/${f.patient.address}/eob?member=${f.patient.address}`, "member"],
        ["/patients/nobody/consents", "patient"],
      ];
      for (const [path, parameter] of bad) {
        const r = await get(path);
        expect(r.status, path).to.equal(400);
        expect(r.body.resourceType, path).to.equal("OperationOutcome");
        expect(r.body.issue[0].expression, path).to.deep.equal([parameter]);
      }
      const first = await get("/claims?plan=1&_count=1");
      const cursor = new URL(first.body.next, base).searchParams.get("_cursor");
      expect((await get("/claims?plan=1&_count=1&_cursor=" + cursor)).status).to.equal(200);
      for (const other of ["/claims?plan=2", "/claims?plan=1&status=pended", `/grants?patient=${f.patient.address}`, `/members/${f.patient.address}/eob?plan=1`]) {
        const r = await get(`${other}&_cursor=${cursor}`);
        expect(r.status, other).to.equal(400);
        expect(r.body.issue[0].expression).to.deep.equal(["_cursor"]);
      }
    });

    it("takes a rolled-back block out of every projection: a decision and a revocation undone, the statuses before them answered", async function () {
      const k = f.ids;
      const adjuster = await CareLedger.connect(f.adjuster, { addressBook: f.book });
      const patient = await CareLedger.connect(f.patient, { addressBook: f.book });
      const before = await takeSnapshot();
      await (await adjuster.claims.decide({ claimId: k.pended, decisions: [{ deny: 50 }] })).wait();
      await (await patient.consent.revoke({ grantee: { organization: HOSPITAL } })).wait();
      await indexer.catchUp();
      const statusOf = async (id: string) => (await get(`/claims?plan=1&_count=50`)).body.claims.find((c: Json) => c.claimId === id).status;
      const hospitalGrant = async () => (await get(`/grants?patient=${f.patient.address}&grantee=org:${HOSPITAL}&status=active,revoked`)).body.grants.map((g: Json) => g.status);
      expect(await statusOf(k.pended)).to.equal("denied");
      expect(await hospitalGrant()).to.deep.equal(["revoked"]);
      await before.restore();
      await mine(3);
      await indexer.catchUp();
      expect(await statusOf(k.pended)).to.equal("pended");
      expect(await hospitalGrant()).to.deep.equal(["active"]);
    });

    it("answers 500 (not 'unavailable') when a statement fails for itself, and 503 once its database is down", async function () {
      expect((await get("/claims")).status).to.equal(200);
      await db.pool.query("DROP VIEW claim_states");
      const broken = await get("/claims");
      expect([broken.status, broken.body.resourceType, broken.body.issue[0].code]).to.deep.equal([500, "OperationOutcome", "exception"]);
      expect(JSON.stringify(broken.body)).not.to.match(/claim_states|at \//);
      await db.close();
      const down = await get("/grants");
      expect([down.status, down.body.issue[0].code]).to.deep.equal([503, "transient"]);
    });
  });
}
