/**
 * The gateway over real HTTP on 127.0.0.1 (embedded PGlite, the in-process chain): records leave only
 * under consent decided on chain per resource, every release is receipted before it leaves, and the
 * receiver verifies every resource against the chain. Signatures: forged, replayed, expired, wrong
 * origin, wrong chain, wrong deployment, tampered query and body, and a smart-account requester.
 */
import { expect } from "chai";
import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { Wallet } from "ethers";
import { ContractRevertError, OrgKind, ValidationError } from "../../sdk";
import { ExchangeError } from "../../sdk/exchange/client";
import { CONSENT_NOTICE } from "../../gateway/fhir";
import { gatewayRequestDomain, signGatewayRequest } from "../../sdk/exchange/request";
import { AnchorWorker } from "../../gateway/anchor";
import { openDatabase, type Database } from "../../gateway/db";
import { scratchDatabase } from "../support/databases";
import { commitment, gatewayChain, grant, LAB, PATIENT_ID, RESEARCH, signedFetch, startGateway } from "./fixtures";

type Fixture = Awaited<ReturnType<typeof startGateway>>;
const HOSPITAL = 1n;
const YEAR = 365 * 86_400;


/** A fresh database of `kind`: PGlite in memory, or a new database on the machine's PostgreSQL server. */
const newDatabase = (kind: "PGlite" | "PostgreSQL") => scratchDatabase(kind, openDatabase);

for (const kind of ["PGlite", "PostgreSQL"] as const) {
  describe(`gateway (${kind}): records move between organizations only under consent`, function () {
    this.timeout(120_000);
    let f: Fixture;
    let db: Database;
    let drop: () => Promise<void>;

    before(async function () {
      ({ db, drop } = await newDatabase(kind));
    });

    after(async function () {
      await drop();
    });

    beforeEach(async function () {
      f = await startGateway(await loadFixture(gatewayChain), db);
    });

    afterEach(async function () {
      await f.close();
    });

    describe("ingest and metadata", function () {
      it("answers GET /fhir/metadata with a CapabilityStatement, unsigned", async function () {
        const res = await fetch(`${f.origin}/fhir/metadata`);
        expect(res.status).to.equal(200);
        expect(res.headers.get("content-type")).to.contain("application/fhir+json");
        const cs = (await res.json()) as { resourceType: string; fhirVersion: string; rest: { resource: { type: string; interaction: { code: string }[]; versioning: string }[]; interaction: { code: string }[] }[] };
        expect(cs.resourceType).to.equal("CapabilityStatement");
        expect(cs.fhirVersion).to.equal("4.0.1");
        // What the routes do: reads by version and history, searches, shredding; writes by transaction only.
        const observation = cs.rest[0].resource.find((r) => r.type === "Observation")!;
        expect([observation.interaction.map((i) => i.code), observation.versioning]).to.deep.equal([["read", "vread", "history-instance", "search-type", "delete"], "versioned"]);
        expect(cs.rest[0].interaction.map((i) => i.code)).to.deep.equal(["transaction"]);
      });

      it("stores a transaction Bundle and anchors it as one Merkle batch of the lab", async function () {
        expect(f.ingested.entry).to.have.length(5);
        for (const e of f.ingested.entry!) expect(e.response?.status).to.equal("201 Created");
        const row = await f.gateway.store.get("Observation", `${PATIENT_ID}-glucose`);
        expect(row?.state).to.equal("anchored");
        const batch = await f.labCl.records.batch(row!.root, LAB);
        expect(batch.leafCount).to.equal(5);
      });

      it("keeps records sealed at rest: no resource content in the database in the clear", async function () {
        const r = await f.db.pool.query("SELECT sealed FROM records");
        for (const x of r.rows) expect(Buffer.from(x.sealed).toString("utf8")).not.to.contain("Lovelace");
      });
    });

    describe("the doctor at Riverside asks Northgate Lab for the patient's lab results", function () {
      it("releases the lab results the patient consented to, each verified against the chain, and withholds the rest", async function () {
        await grant(f, HOSPITAL, ["labs"], ["TREAT"]);
        const doctor = await f.as(f.doctor);
        const page = await doctor.exchange.search(f.target, "Observation", { patient: `Patient/${PATIENT_ID}`, purpose: "TREAT" });
        const ids = page.resources.map((r) => r.resource.id).sort();
        // The vital sign needs `vitals`, the HIV test the sensitive class `hiv`: neither was granted.
        expect(ids).to.deep.equal([`${PATIENT_ID}-glucose`, `${PATIENT_ID}-hba1c`]);
        for (const r of page.resources) {
          expect(r.verification.status).to.equal("anchored");
          expect(r.verification.orgId).to.equal(LAB);
          expect((r.resource as { extension?: unknown }).extension).to.equal(undefined);
        }
        expect(page.notice).to.equal(CONSENT_NOTICE);
      });

      it("says the same consent notice when nothing is withheld, so its presence tells nothing", async function () {
        await grant(f, HOSPITAL, ["labs", "vitals", "hiv"], ["TREAT"]);
        const doctor = await f.as(f.doctor);
        const page = await doctor.exchange.search(f.target, "Observation", { patient: `Patient/${PATIENT_ID}`, purpose: "TREAT" });
        expect(page.resources).to.have.length(4);
        expect(page.notice).to.equal(CONSENT_NOTICE);
      });

      it("refuses a read for a purpose the patient did not consent to", async function () {
        await grant(f, HOSPITAL, ["labs"], ["TREAT"]);
        const doctor = await f.as(f.doctor);
        const err = await doctor.exchange.read(f.target, "Observation", `${PATIENT_ID}-glucose`, { purpose: "HPAYMT" }).catch((e) => e);
        expect(err).to.be.instanceOf(ExchangeError);
        // One answer for "not held" and "not for you": a refusal tells nobody which ids exist.
        expect(err.status).to.equal(404);
        expect(err.outcome.issue[0].code).to.equal("not-found");
      });

      it("honours a revocation from the block it is in: the next request is refused", async function () {
        await grant(f, HOSPITAL, ["labs"], ["TREAT"]);
        const doctor = await f.as(f.doctor);
        await doctor.exchange.read(f.target, "Observation", `${PATIENT_ID}-glucose`, { purpose: "TREAT" });
        const patient = await f.as(f.patient);
        await (await patient.consent.revoke({ grantee: { organization: HOSPITAL } })).wait();
        const err = await doctor.exchange.read(f.target, "Observation", `${PATIENT_ID}-glucose`, { purpose: "TREAT" }).catch((e) => e);
        expect(err.status).to.equal(404);
      });

      it("cuts off every member of a suspended organization in the block it is suspended", async function () {
        await grant(f, HOSPITAL, ["labs"], ["TREAT"]);
        await f.registry.connect(f.pauser).suspendOrganization(HOSPITAL);
        const doctor = await f.as(f.doctor);
        const err = await doctor.exchange.read(f.target, "Observation", `${PATIENT_ID}-glucose`, { purpose: "TREAT" }).catch((e) => e);
        expect(err.status).to.equal(404);
        expect(err.message).to.contain("does not permit");
      });

      it("refuses an account that belongs to no organization", async function () {
        await grant(f, HOSPITAL, ["labs"], ["TREAT"]);
        const stranger = await f.as(f.nonMember);
        const err = await stranger.exchange.read(f.target, "Observation", `${PATIENT_ID}-glucose`, { purpose: "TREAT" }).catch((e) => e);
        expect(err.status).to.equal(404);
        expect(err.message).to.contain("does not permit");
      });
    });

    describe("the researcher", function () {
      it("is refused with an OperationOutcome without research consent, and served once the patient signs it", async function () {
        const researcher = await f.as(f.researcher);
        const err = await researcher.exchange.read(f.target, "Observation", `${PATIENT_ID}-glucose`, { purpose: "HRESCH" }).catch((e) => e);
        expect(err).to.be.instanceOf(ExchangeError);
        expect(err.status).to.equal(404);
        expect(err.outcome.resourceType).to.equal("OperationOutcome");
        // The patient signs; anyone relays.
        const patient = await f.as(f.patient);
        const now = (await f.patient.provider!.getBlock("latest"))!.timestamp;
        const signed = await patient.consent.signGrant(
          { grantee: { organization: RESEARCH }, classes: ["labs"], purposes: ["HRESCH"], validUntil: now + YEAR, commitment: commitment() },
          { deadline: now + 3600 },
        );
        const relayer = await f.as(f.relayer);
        await (await relayer.consent.submitGrant(signed)).wait();
        const ok = await researcher.exchange.read(f.target, "Observation", `${PATIENT_ID}-glucose`, { purpose: "HRESCH" });
        expect(ok.resource.id).to.equal(`${PATIENT_ID}-glucose`);
        expect(ok.verification.status).to.equal("anchored");
      });
    });

    describe("the patient", function () {
      it("reads every own record without a grant (right of access), sensitive ones included, each verified", async function () {
        const patient = await f.as(f.patient);
        const page = await patient.exchange.everything(f.target, PATIENT_ID, { purpose: "TREAT" });
        expect(page.resources).to.have.length(5);
        for (const r of page.resources) expect(r.verification.status).to.equal("anchored");
      });

      it("pages through $everything with next links, every page signed anew", async function () {
        const patient = await f.as(f.patient);
        const first = await patient.exchange.everything(f.target, PATIENT_ID, { purpose: "TREAT", count: 2 });
        expect(first.resources).to.have.length(2);
        const second = await patient.exchange.next(f.target, first.next!, { purpose: "TREAT" });
        const third = await patient.exchange.next(f.target, second.next!, { purpose: "TREAT" });
        expect(third.next).to.equal(undefined);
        const ids = [...first.resources, ...second.resources, ...third.resources].map((r) => r.resource.id);
        expect(new Set(ids).size).to.equal(5);
      });

      it("sees every disclosure as a receipt, anchored by the lab and verified with its proof", async function () {
        await grant(f, HOSPITAL, ["labs"], ["TREAT"]);
        const doctor = await f.as(f.doctor);
        await doctor.exchange.search(f.target, "Observation", { patient: `Patient/${PATIENT_ID}`, purpose: "TREAT" });
        // Written before the response left: two resources, one class each.
        expect(await f.gateway.receipts.unrootedCount()).to.equal(2);
        const round = await f.worker.round();
        expect(round.bound).to.equal(2);
        expect(round.anchored).to.have.length(1);
        const patient = await f.as(f.patient);
        const { receipts, next } = await patient.exchange.receipts(f.target);
        expect(next).to.equal(undefined);
        expect(receipts).to.have.length(2);
        for (const r of receipts) {
          expect(r).to.deep.include({ status: "verified", requestVerified: true });
          expect(r.receipt.requester.toLowerCase()).to.equal(f.doctor.address.toLowerCase());
          expect(r.receipt.holderOrgId).to.equal(LAB);
          expect(r.resource).to.match(/^Observation\//);
        }
      });

      it("hands the patient their receipts through the SDK: pending until anchored, then verified, page by page; a holder's tampering is refuted or refused", async function () {
        await grant(f, HOSPITAL, ["labs"], ["TREAT"]);
        const doctor = await f.as(f.doctor);
        await doctor.exchange.search(f.target, "Observation", { patient: `Patient/${PATIENT_ID}`, purpose: "TREAT" });
        await doctor.exchange.read(f.target, "Observation", `${PATIENT_ID}-glucose`, { purpose: "TREAT" });
        const patient = await f.as(f.patient);
        const pending = await patient.exchange.receipts(f.target);
        expect(pending.receipts.map((r) => [r.status, r.overdue])).to.deep.equal([
          ["pending", false],
          ["pending", false],
          ["pending", false],
        ]);
        // Pending past the time the patient allows the holder to anchor: overdue.
        expect((await patient.exchange.receipts(f.target, { overdueAfterSeconds: 0 })).receipts.every((r) => r.overdue)).to.equal(true);
        expect(await patient.exchange.receipts(f.target, { overdueAfterSeconds: -1 }).catch((e) => e)).to.be.instanceOf(ValidationError);
        await f.worker.flush();
        // Pages of one: three receipts, each once, in order.
        const first = await patient.exchange.receipts(f.target, { count: 1 });
        const second = await patient.exchange.receipts(f.target, { next: first.next });
        const third = await patient.exchange.receipts(f.target, { next: second.next });
        expect(third.next).to.equal(undefined);
        const all = [...first.receipts, ...second.receipts, ...third.receipts];
        expect(all.map((r) => [r.status, r.overdue])).to.deep.equal([
          ["verified", false],
          ["verified", false],
          ["verified", false],
        ]);
        expect((await patient.exchange.receipts(f.target, { overdueAfterSeconds: 0 })).receipts.some((r) => r.overdue), "a verified receipt is never overdue").to.equal(false);
        expect(all.map((r) => r.resource)).to.deep.equal(pending.receipts.map((r) => r.resource));
        expect(new Set(all.map((r) => r.receipt.accessRef)).size).to.equal(3);
        // The holder changes a stored receipt after anchoring it: its proof no longer puts it under the root.
        // (labs, 4, told as vitals, 5)
        await f.db.pool.query("UPDATE disclosures SET data_classes[1] = 5 WHERE seq = 1");
        expect((await patient.exchange.receipts(f.target)).receipts.map((r) => r.status)).to.deep.equal(["refuted", "verified", "verified"]);
        // ... or the request its requester signed: no longer the request signed.
        await f.db.pool.query(`UPDATE disclosures SET request = jsonb_set(request, '{purpose}', '1') WHERE seq = 2`);
        expect((await patient.exchange.receipts(f.target)).receipts.map((r) => r.requestVerified)).to.deep.equal([true, true, false]);
        // ... or names another holder: refused, naming the receipt.
        await f.db.pool.query("UPDATE disclosures SET holder_org_id = 9 WHERE seq = 1");
        const refused = await patient.exchange.receipts(f.target).catch((e) => e);
        expect(refused).to.be.instanceOf(ExchangeError);
        expect(refused.code).to.equal("RECEIPT_INVALID");
        expect(refused.message).to.contain("receipts[0]").and.to.contain("organization 9");
        // The SDK checks what it sends.
        expect(await patient.exchange.receipts(f.target, { count: 0 }).catch((e) => e)).to.be.instanceOf(ValidationError);
        expect(await patient.exchange.receipts(f.target, { next: "/fhir/Observation" }).catch((e) => e)).to.be.instanceOf(ValidationError);
      });

      it("anchors its pending root although another organization anchored the same root first, and the receipts verify as the lab's", async function () {
        await grant(f, HOSPITAL, ["labs"], ["TREAT"]);
        const doctor = await f.as(f.doctor);
        await doctor.exchange.search(f.target, "Observation", { patient: `Patient/${PATIENT_ID}`, purpose: "TREAT" });
        // The root is bound and recorded as `sending`, but its transaction fails (the log is paused): it stays pending.
        const pauser = await f.as(f.pauser);
        await (await pauser.disclosures.pause()).wait();
        // The worker reports a root that fails and goes on (one failing root never stalls the others).
        const errors: unknown[] = [];
        const worker = new AnchorWorker(f.labCl, f.db, f.gateway.orgId, { intervalMs: 3_600_000, onError: (e) => errors.push(e) });
        expect((await worker.round()).anchored).to.deep.equal([]);
        const [failed] = errors;
        expect(failed).to.be.instanceOf(ContractRevertError);
        expect((failed as ContractRevertError).errorName).to.equal("EnforcedPause");
        await (await pauser.disclosures.unpause()).wait();
        const pending = (await f.db.pool.query<{ root: string; count: number; state: string }>("SELECT root, count, state FROM disclosure_roots")).rows;
        expect(pending.map((r) => [r.count, r.state])).to.deep.equal([[2, "sending"]]);
        const { root } = pending[0];
        // A hospital member copies the pending root (from the mempool, say) and anchors it first, for the hospital.
        const copy = await (await doctor.disclosures.anchor({ root, count: 2 })).wait();
        expect(copy.orgId).to.equal(HOSPITAL);
        // The lab's worker re-sends its root unchanged: the copy is not the lab's anchor, and does not stop it.
        const round = await worker.round({ resendAll: true });
        expect(round.anchored).to.deep.equal([root]);
        const held = await doctor.disclosures.anchorOf(root, LAB);
        expect(held?.orgId).to.equal(LAB);
        expect(held!.blockNumber).to.be.greaterThan(BigInt(copy.receipt.blockNumber));
        const row = (await f.db.pool.query<{ state: string; block_number: string }>("SELECT state, block_number FROM disclosure_roots WHERE root = $1", [root])).rows[0];
        expect([row.state, BigInt(row.block_number)]).to.deep.equal(["anchored", held!.blockNumber]);
        const res = await signedFetch(f, f.patient, `/receipts?patient=${f.patient.address}`);
        const receipts = res.body.receipts as any[];
        expect(receipts.map((r) => [r.root, r.anchored])).to.deep.equal([
          [root, true],
          [root, true],
        ]);
        const patient = await f.as(f.patient);
        for (const r of receipts) {
          const receipt = { ...r.receipt, holderOrgId: BigInt(r.receipt.holderOrgId), permittedAtBlock: BigInt(r.receipt.permittedAtBlock) };
          expect(receipt.holderOrgId).to.equal(LAB);
          const check = await patient.disclosures.verifyReceipt({ receipt, proof: r.proof, root });
          expect(check).to.deep.include({ verified: true, blockNumber: held!.blockNumber });
        }
      });

      it("a delegate reads for the patient within the delegation's classes, purposes and term, without a grant", async function () {
        const patient = await f.as(f.patient);
        const now = (await f.patient.provider!.getBlock("latest"))!.timestamp;
        await (await patient.consent.appointDelegate({ delegate: f.delegate.address, until: now + 30 * 86_400, classes: ["labs"], purposes: ["TREAT"] })).wait();
        const delegate = await f.as(f.delegate);
        const ok = await delegate.exchange.read(f.target, "Observation", `${PATIENT_ID}-glucose`, { purpose: "TREAT" });
        expect(ok.verification.status).to.equal("anchored");
        for (const [id, purpose] of [
          [`${PATIENT_ID}-bp`, "TREAT"], // vitals: not in its scope
          [`${PATIENT_ID}-hiv`, "TREAT"], // labs + hiv: the sensitive class is not in its scope
          [`${PATIENT_ID}-glucose`, "HRESCH"], // another purpose
        ]) {
          const err = await delegate.exchange.read(f.target, "Observation", id, { purpose }).catch((e) => e);
          expect(err.status, `${id} for ${purpose}`).to.equal(404);
        }
        await time.increase(31 * 86_400);
        const expired = await delegate.exchange.read(f.target, "Observation", `${PATIENT_ID}-glucose`, { purpose: "TREAT" }).catch((e) => e);
        expect(expired.status).to.equal(404);
      });

      it("reads only their own receipts", async function () {
        const res = await signedFetch(f, f.doctor, `/receipts?patient=${f.patient.address}`);
        expect(res.status).to.equal(403);
        expect(res.body.resourceType).to.equal("OperationOutcome");
      });
    });

    describe("signed requests", function () {
      const glucose = `/fhir/Observation/${PATIENT_ID}-glucose`;

      beforeEach(async function () {
        await grant(f, HOSPITAL, ["labs"], ["TREAT"]);
      });

      it("serves a well-signed request once, and refuses it replayed (409)", async function () {
        const signed = await signGatewayRequest(f.doctor, f.gateway.domain, { gateway: f.origin, method: "GET", target: glucose, purpose: "TREAT" });
        const first = await fetch(f.origin + glucose, { headers: signed.headers });
        expect(first.status).to.equal(200);
        const again = await fetch(f.origin + glucose, { headers: signed.headers });
        expect(again.status).to.equal(409);
        expect(((await again.json()) as any).issue[0].code).to.equal("duplicate");
      });

      // A read's nonce is spent in the statement that writes its receipts (gateway/receipts.ts), or alone
      // when it writes none: every answer, served or refused, spends it before it is sent.
      const receiptCount = async () => (await f.db.pool.query("SELECT count(*)::int AS n FROM receipts")).rows[0].n as number;
      const twice = async (target: string, signer: Parameters<typeof signGatewayRequest>[0] = f.doctor) => {
        const signed = await signGatewayRequest(signer, f.gateway.domain, { gateway: f.origin, method: "GET", target, purpose: "TREAT" });
        const first = await fetch(f.origin + target, { headers: signed.headers });
        const afterFirst = await receiptCount();
        const again = await fetch(f.origin + target, { headers: signed.headers });
        return { statuses: [first.status, again.status], code: ((await again.json()) as any).issue?.[0]?.code, written: (await receiptCount()) - afterFirst };
      };

      it("refuses replayed every read that was refused or released nothing (409), and writes no receipt for a replay", async function () {
        const refused = `/fhir/Observation/${PATIENT_ID}-no-such-record`;
        const empty = `/fhir/Condition?patient=Patient/${PATIENT_ID}`;
        const everything = `/fhir/Patient/${PATIENT_ID}/$everything`;
        const search = `/fhir/Observation?patient=Patient/${PATIENT_ID}`;
        const history = `${glucose}/_history`;
        const vread = `${glucose}/_history/1`;
        const results = [];
        for (const target of [refused, empty, everything, search, history, vread]) results.push({ target, ...(await twice(target)) });
        expect(results.map((r) => ({ target: r.target, statuses: r.statuses, code: r.code, written: r.written }))).to.deep.equal([
          { target: refused, statuses: [404, 409], code: "duplicate", written: 0 },
          { target: empty, statuses: [200, 409], code: "duplicate", written: 0 },
          { target: everything, statuses: [200, 409], code: "duplicate", written: 0 },
          { target: search, statuses: [200, 409], code: "duplicate", written: 0 },
          { target: history, statuses: [200, 409], code: "duplicate", written: 0 },
          { target: vread, statuses: [200, 409], code: "duplicate", written: 0 },
        ]);
        // A stranger's refused read is spent too.
        const stranger = await twice(glucose, Wallet.createRandom());
        expect(stranger.statuses).to.deep.equal([404, 409]);
      });

      it("serves a request sent many times at once exactly once: one 200, the others 409, one response's receipts", async function () {
        const signed = await signGatewayRequest(f.doctor, f.gateway.domain, { gateway: f.origin, method: "GET", target: `/fhir/Observation?patient=Patient/${PATIENT_ID}`, purpose: "TREAT" });
        const before = await receiptCount();
        const statuses = await Promise.all(Array.from({ length: 8 }, () => fetch(f.origin + signed.request.target, { headers: signed.headers }).then((r) => r.status)));
        expect([...statuses].sort()).to.deep.equal([200, 409, 409, 409, 409, 409, 409, 409]);
        const storm = (await receiptCount()) - before;
        // The same search once more, alone (signed anew): what one response writes.
        expect((await signedFetch(f, f.doctor, `/fhir/Observation?patient=Patient/${PATIENT_ID}`)).status).to.equal(200);
        expect({ storm, alone: (await receiptCount()) - before - storm }).to.deep.equal({ storm, alone: storm }).and.to.have.property("storm").above(0);
      });

      it("refuses an unsigned request (401)", async function () {
        const res = await fetch(f.origin + glucose);
        expect(res.status).to.equal(401);
        expect(((await res.json()) as any).issue[0].code).to.equal("security");
      });

      it("refuses a forged signature: another key signing as the doctor", async function () {
        const forger = Wallet.createRandom();
        const res = await signedFetch(f, forger, glucose, { requester: f.doctor.address });
        expect(res.status).to.equal(401);
      });

      it("refuses an expired request", async function () {
        const now = Math.floor(Date.now() / 1000);
        const res = await signedFetch(f, f.doctor, glucose, { now: now - 400, lifetime: 300 });
        expect(res.status).to.equal(401);
        expect(res.body.issue[0].diagnostics).to.contain("expired");
      });

      it("refuses a request signed for another gateway (wrong origin)", async function () {
        const res = await signedFetch(f, f.doctor, glucose, { gateway: "http://127.0.0.1:1" });
        expect(res.status).to.equal(401);
        expect(res.body.issue[0].expression).to.deep.equal(["origin"]);
      });

      it("refuses a request signed for another chain", async function () {
        const domain = gatewayRequestDomain(1n, f.book.contracts.ConsentRegistry);
        const res = await signedFetch(f, f.doctor, glucose, { domain });
        expect(res.status).to.equal(401);
        expect(res.body.issue[0].diagnostics).to.contain("chain 1");
      });

      it("refuses a request signed for another deployment (wrong contract in the domain)", async function () {
        const domain = gatewayRequestDomain(f.chainId, f.book.contracts.RecordRegistry);
        const res = await signedFetch(f, f.doctor, glucose, { domain });
        expect(res.status).to.equal(401);
      });

      it("refuses a request whose path or query was changed after signing", async function () {
        const res = await signedFetch(f, f.doctor, glucose, { send: { target: `/fhir/Observation/${PATIENT_ID}-hba1c` } });
        expect(res.status).to.equal(401);
        const q = await signedFetch(f, f.doctor, `/fhir/Observation?patient=Patient/${PATIENT_ID}`, { send: { target: `/fhir/Observation?patient=Patient/${PATIENT_ID}&_count=1` } });
        expect(q.status).to.equal(401);
      });

      it("refuses a body changed after signing", async function () {
        const res = await signedFetch(f, f.labAdmin, "/fhir", { method: "POST", body: '{"resourceType":"Bundle","type":"transaction","entry":[]}', send: { body: '{"resourceType":"Bundle","type":"transaction","entry":[{}]}' } });
        expect(res.status).to.equal(401);
      });

      it("accepts a smart account (ERC-1271) that is a member, signed by its owner's key", async function () {
        await f.registry.connect(f.hospitalAdmin).addMember(HOSPITAL, await f.owned.getAddress(), false);
        const res = await signedFetch(f, f.patient2, glucose, { requester: await f.owned.getAddress() });
        expect(res.status).to.equal(200);
        expect(res.body.id).to.equal(`${PATIENT_ID}-glucose`);
      });
    });

    describe("bad input", function () {
      it("refuses search parameters it does not support and ids that are not FHIR ids, naming them", async function () {
        const injected = await signedFetch(f, f.doctor, `/fhir/Observation?patient=${encodeURIComponent("Patient/1' OR '1'='1")}`);
        expect(injected.status).to.equal(400);
        expect(injected.body.issue[0].expression).to.deep.equal(["patient"]);
        const unknown = await signedFetch(f, f.doctor, `/fhir/Observation?patient=Patient/${PATIENT_ID}&code=1;DROP TABLE records`);
        expect(unknown.status).to.equal(400);
        expect(unknown.body.issue[0].expression).to.deep.equal(["code"]);
        const traversal = await signedFetch(f, f.doctor, "/fhir/Observation/..%2F..%2Fetc%2Fpasswd");
        expect(traversal.status).to.equal(400);
        expect(traversal.body.resourceType).to.equal("OperationOutcome");
        const type = await signedFetch(f, f.doctor, "/fhir/pg_catalog/x");
        expect(type.status).to.equal(404);
      });

      it("refuses a body over the limit (413) with an OperationOutcome", async function () {
        const big = JSON.stringify({ resourceType: "Bundle", type: "transaction", entry: [], pad: "x".repeat(6 * 1024 * 1024) });
        const res = await signedFetch(f, f.labAdmin, "/fhir", { method: "POST", body: big });
        expect(res.status).to.equal(413);
        expect(res.body.issue[0].code).to.equal("too-costly");
      });

      it("refuses invalid FHIR at the door naming the element, and stores and anchors nothing", async function () {
        const before = (await f.db.pool.query("SELECT count(*)::int AS n FROM records")).rows[0].n;
        const bad = {
          resourceType: "Bundle",
          type: "transaction",
          entry: [{ fullUrl: "urn:uuid:x1", resource: { resourceType: "Observation", id: "x1", code: { text: "glucose" }, subject: { reference: `Patient/${PATIENT_ID}` } }, request: { method: "POST", url: "Observation" } }],
        };
        const err = await f.labCl.exchange.ingest(f.origin, bad).catch((e) => e);
        expect(err.status).to.equal(400);
        expect(err.outcome.issue[0].expression).to.deep.equal(["Bundle.entry[0].resource.status"]);
        expect(err.outcome.issue[0].diagnostics).to.match(/missing required property/i);
        expect((await f.db.pool.query("SELECT count(*)::int AS n FROM records")).rows[0].n).to.equal(before);
      });

      it("lets only members of the holding organization ingest", async function () {
        const err = await (await f.as(f.doctor)).exchange.ingest(f.origin, { resourceType: "Bundle", type: "transaction", entry: [] }).catch((e) => e);
        expect(err.status).to.equal(403);
      });
    });

    describe("rate limits", function () {
      it("answers 429 with Retry-After past a requester's limit, and still serves others", async function () {
        await f.close();
        f = await startGateway(await loadFixture(gatewayChain), db, { rateLimit: { perRequester: 3, perAddress: 1_000 } });
        await grant(f, HOSPITAL, ["labs"], ["TREAT"]);
        const glucose = `/fhir/Observation/${PATIENT_ID}-glucose`;
        for (let i = 0; i < 3; i++) expect((await signedFetch(f, f.doctor, glucose)).status).to.equal(200);
        const over = await signedFetch(f, f.doctor, glucose);
        expect(over.status).to.equal(429);
        expect(over.body.issue[0].code).to.equal("throttled");
        expect(Number(over.headers["retry-after"])).to.be.greaterThan(0);
        expect((await signedFetch(f, f.patient, glucose)).status).to.equal(200);
      });

      it("limits a client address before anything is parsed or checked", async function () {
        await f.close();
        // Five a minute from 127.0.0.1: the fixture's ingest took one.
        f = await startGateway(await loadFixture(gatewayChain), db, { rateLimit: { perRequester: 1_000, perAddress: 5 } });
        const statuses = [];
        for (let i = 0; i < 6; i++) statuses.push((await fetch(`${f.origin}/fhir/Observation/x`)).status);
        expect(statuses).to.deep.equal([401, 401, 401, 401, 429, 429]);
      });
    });

    describe("crypto-shredding", function () {
      it("a lab member shreds a record: it reads as gone (410), leaves $everything, and verifies as unverifiable, never as tampered", async function () {
        const patient = await f.as(f.patient);
        const before = await patient.exchange.read(f.target, "Observation", `${PATIENT_ID}-glucose`, { purpose: "TREAT" });
        const res = await signedFetch(f, f.labAdmin, `/fhir/Observation/${PATIENT_ID}-glucose`, { method: "DELETE" });
        expect(res.status).to.equal(200);
        const again = await patient.exchange.read(f.target, "Observation", `${PATIENT_ID}-glucose`, { purpose: "TREAT" }).catch((e) => e);
        expect(again.status).to.equal(410);
        const everything = await patient.exchange.everything(f.target, PATIENT_ID, { purpose: "TREAT" });
        expect(everything.resources.map((r) => r.resource.id)).not.to.include(`${PATIENT_ID}-glucose`);
        const row = (await f.db.pool.query("SELECT sealed, wrapped_key, shredded_at FROM records WHERE fhir_id = $1", [`${PATIENT_ID}-glucose`])).rows[0];
        expect([row.sealed, row.wrapped_key]).to.deep.equal([null, null]);
        expect(row.shredded_at).to.be.instanceOf(Date);
        // Whoever kept a copy without its salt can no longer verify it: unverifiable, not tampered.
        expect((await patient.records.verify(before.resource, undefined)).status).to.equal("unverifiable-salt-missing");
        const twice = await signedFetch(f, f.labAdmin, `/fhir/Observation/${PATIENT_ID}-glucose`, { method: "DELETE" });
        expect(twice.status).to.equal(410);
      });

      it("only the holding organization's members shred", async function () {
        const res = await signedFetch(f, f.doctor, `/fhir/Observation/${PATIENT_ID}-glucose`, { method: "DELETE" });
        expect(res.status).to.equal(403);
        const byPatient = await signedFetch(f, f.patient, `/fhir/Observation/${PATIENT_ID}-glucose`, { method: "DELETE" });
        expect(byPatient.status).to.equal(403);
      });
    });

    describe("failing closed", function () {
      it("answers 503 and releases nothing when its database is down", async function () {
        await f.close();
        const own = await newDatabase(kind);
        const g = await startGateway(await loadFixture(gatewayChain), own.db);
        f = g;
        await grant(g, HOSPITAL, ["labs"], ["TREAT"]);
        await own.drop();
        const doctor = await g.as(g.doctor);
        const err = await doctor.exchange.read(g.target, "Observation", `${PATIENT_ID}-glucose`, { purpose: "TREAT" }).catch((e) => e);
        expect(err.status).to.equal(503);
        expect(err.outcome.issue[0].code).to.equal("transient");
      });
    });

    it("is not fooled into releasing by a grant to a different organization", async function () {
      await grant(f, 3n, ["labs"], ["TREAT"]);
      await mine(1);
      const doctor = await f.as(f.doctor);
      const page = await doctor.exchange.search(f.target, "Observation", { patient: `Patient/${PATIENT_ID}`, purpose: "TREAT" });
      expect(page.resources).to.have.length(0);
      expect(OrgKind.Lab).to.equal(2);
    });
  });
}
