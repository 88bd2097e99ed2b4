/**
 * The relayer over real HTTP on 127.0.0.1, on the in-process chain, its database PGlite and PostgreSQL:
 * each consent kind relayed and confirmed with its result decoded; every refusal before paying (the
 * relayer's balance unchanged); the same signed action posted again is one action, paid once; an action
 * whose signature another submitter spent is settled as such; a transaction the node lost is sent again.
 */
import { expect } from "chai";
import hre from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { Wallet } from "ethers";
import { actionBody, actionDigest, consentDomain, RelayerError, signGrantRequest, type SignedAction } from "../../sdk";
import { ConsentRegistry__factory, OwnedWallet__factory } from "../../typechain-types";
import { openRelayerDatabase } from "../../relayer/db";
import type { Database } from "../../gateway/db";
import { scratchDatabasePerTest, type DatabaseKind } from "../support/databases";
import { eventually } from "../support/eventually";
import { suiteFixture, type SuiteFixture } from "../support/suiteFixture";
import { as, chainNow, postRaw, servedRelayer, signedGrant, YEAR } from "./support";

const refusal = (p: Promise<unknown>) => p.then(() => expect.fail("not refused"), (e: unknown) => e as RelayerError);

for (const kind of ["PGlite", "PostgreSQL"] as DatabaseKind[]) {
  describe(`[e2e] relayer: consent actions over HTTP (${kind})`, function () {
    this.timeout(120_000);
    let db: Database;
    let f: SuiteFixture;
    let served: Awaited<ReturnType<typeof servedRelayer>> | undefined;
    scratchDatabasePerTest(kind, openRelayerDatabase, (d) => (db = d));
    beforeEach(async function () {
      f = await loadFixture(suiteFixture);
    });
    afterEach(async function () {
      await served?.close();
      served = undefined;
      await hre.network.provider.send("evm_setAutomine", [true]);
    });
    const serve = async (options: Parameters<typeof servedRelayer>[2] = {}) => (served = await servedRelayer(f, db, options));
    const balance = (address: string) => hre.ethers.provider.getBalance(address);

    describe("POST /actions", function () {
      it("relays a signed grant: accepted, then confirmed with the grant decoded; the patient pays nothing", async function () {
        const s = await serve();
        const before = await balance(f.patient.address);
        const action = await signedGrant(f, f.patient, 1n);
        const accepted = await s.client.relay(action, s.binding);
        expect(accepted.status).to.equal("accepted");
        expect(accepted.id).to.equal(actionDigest(f.domain, action).toLowerCase());
        const done = await s.client.waitFor(accepted.id, { intervalMs: 50 });
        expect(done.status).to.equal("confirmed");
        expect(done.result).to.include({ patient: f.patient.address, validUntil: Number((action.signed.request as { validUntil: number }).validUntil) });
        expect(done.result!.classes).to.deep.equal(["labs"]);
        expect(done.blockNumber).to.equal((await hre.ethers.provider.getTransactionReceipt(done.txHash!))!.blockNumber);
        expect(await balance(f.patient.address)).to.equal(before);
        expect((await f.consent.grantOf(f.patient.address, (action.signed.request as { grantee: string }).grantee)).classes).to.not.equal(0n);
      });

      it("relays a revocation, an appointment and a removal of a delegate, each confirmed once", async function () {
        const s = await serve();
        const p = await as(f, f.patient);
        const now = await chainNow();
        const grant = await s.client.relay(await signedGrant(f, f.patient, 1n), s.binding);
        await s.client.waitFor(grant.id, { intervalMs: 50 });
        const revoke: SignedAction = { kind: "revoke", signed: await p.consent.signRevoke({ grantee: { organization: 1n } }, { deadline: now + 3_600 }) };
        const appoint: SignedAction = { kind: "appointDelegate", signed: await p.consent.signAppointDelegate({ delegate: f.delegate.address, until: now + YEAR, classes: ["labs"], purposes: ["TREAT"] }, { deadline: now + 3_600 }) };
        const results = [];
        for (const a of [revoke, appoint]) results.push(await s.client.waitFor((await s.client.relay(a, s.binding)).id, { intervalMs: 50 }));
        const remove: SignedAction = { kind: "removeDelegate", signed: await p.consent.signRemoveDelegate({ delegate: f.delegate.address }, { deadline: (await chainNow()) + 3_600 }) };
        results.push(await s.client.waitFor((await s.client.relay(remove, s.binding)).id, { intervalMs: 50 }));
        expect(results.map((r) => r.status)).to.deep.equal(["confirmed", "confirmed", "confirmed"]);
        expect(results[1].result).to.include({ delegate: f.delegate.address, representative: false });
        expect(results[2].result).to.include({ patient: f.patient.address, delegate: f.delegate.address });
        expect((await f.consent.delegationOf(f.patient.address, f.delegate.address)).until).to.equal(0n);
        expect(await hre.ethers.provider.getTransactionCount(s.wallet.address)).to.equal(4);
      });

      it("takes the same signed grant posted again as the same action, paid once", async function () {
        const s = await serve();
        const action = await signedGrant(f, f.patient, 1n);
        const [a, b] = await Promise.all([s.client.relay(action, s.binding), s.client.relay(action, s.binding)]);
        expect(b.id).to.equal(a.id);
        await s.client.waitFor(a.id, { intervalMs: 50 });
        const again = await s.client.relay(action, s.binding);
        expect(again).to.include({ id: a.id, status: "confirmed" });
        expect(await hre.ethers.provider.getTransactionCount(s.wallet.address)).to.equal(1);
      });

      it("relays a grant signed for a smart account whose owner signed it (ERC-1271)", async function () {
        const s = await serve();
        const account = await new OwnedWallet__factory(f.deployer).deploy(f.patient2.address);
        const action = await signedGrant(f, f.patient2, 1n, { patientAccount: await account.getAddress() });
        const done = await s.client.waitFor((await s.client.relay(action, s.binding)).id, { intervalMs: 50 });
        expect(done.result).to.include({ patient: await account.getAddress() });
      });

      describe("refuses before paying, and records nothing", function () {
        const refusedWith = async (s: Awaited<ReturnType<typeof servedRelayer>>, action: SignedAction, code: string, field?: string, binding = s.binding) => {
          const before = await balance(s.wallet.address);
          const err = await refusal(s.client.relay(action, binding));
          expect(err).to.be.instanceOf(RelayerError);
          expect({ code: err.code, field: err.field }).to.deep.equal({ code, field });
          expect(await balance(s.wallet.address)).to.equal(before);
          expect(await s.relayer.store.pending()).to.equal(0);
          return err;
        };

        it("refuses a forged signature (another key signed for the patient)", async function () {
          const s = await serve();
          const forged = await signedGrant(f, f.outsider, 1n, { patientAccount: f.patient.address });
          await refusedWith(s, forged, "INVALID_SIGNATURE", "signature");
        });

        it("refuses a signature whose deadline has passed", async function () {
          const s = await serve();
          const action = await signedGrant(f, f.patient, 1n, { deadline: (await chainNow()) + 60 });
          await time.increase(120);
          await refusedWith(s, action, "SIGNATURE_EXPIRED", "request.deadline");
        });

        it("refuses a grant signed for another chain", async function () {
          const s = await serve();
          const action = await signedGrant(f, f.patient, 1n);
          const request = action.signed.request as Parameters<typeof signGrantRequest>[2];
          const signature = await signGrantRequest(f.patient, consentDomain(1n, f.book.contracts.ConsentRegistry), request);
          await refusedWith(s, { kind: "grant", signed: { request, signature } }, "WRONG_CHAIN", "domain.chainId", { ...s.binding, chainId: 1n });
          // Claimed for this chain, it does not verify.
          await refusedWith(s, { kind: "grant", signed: { request, signature } }, "INVALID_SIGNATURE", "signature");
        });

        it("refuses a grant signed for another ConsentRegistry deployment", async function () {
          const s = await serve();
          const other = await new ConsentRegistry__factory(f.deployer).deploy(await f.manager.getAddress(), await f.registry.getAddress());
          const action = await signedGrant(f, f.patient, 1n);
          const request = action.signed.request as Parameters<typeof signGrantRequest>[2];
          const signature = await signGrantRequest(f.patient, consentDomain(f.chainId, await other.getAddress()), request);
          await refusedWith(s, { kind: "grant", signed: { request, signature } }, "WRONG_CONTRACT", "domain.verifyingContract", { ...s.binding, verifyingContract: await other.getAddress() });
          await refusedWith(s, { kind: "grant", signed: { request, signature } }, "INVALID_SIGNATURE", "signature");
        });

        it("refuses a signature the patient cancelled (cancelSignatures), with the contract's error", async function () {
          const s = await serve();
          const action = await signedGrant(f, f.patient, 1n);
          await (await (await as(f, f.patient)).consent.cancelSignatures()).wait();
          const err = await refusedWith(s, action, "SIGNATURE_CANCELLED");
          expect(err.errorName).to.equal("SignatureCancelled");
        });

        it("refuses a signature an ERC-1271 account does not accept", async function () {
          const s = await serve();
          const account = await new OwnedWallet__factory(f.deployer).deploy(f.patient2.address);
          const action = await signedGrant(f, f.outsider, 1n, { patientAccount: await account.getAddress() });
          await refusedWith(s, action, "INVALID_SIGNATURE", "signature");
        });

        it("refuses calls that would revert, with the contract's error: a revocation of no grant, an empty commitment", async function () {
          const s = await serve();
          const p = await as(f, f.patient);
          const revoke: SignedAction = { kind: "revoke", signed: await p.consent.signRevoke({ grantee: { organization: 2n } }, { deadline: (await chainNow()) + 3_600 }) };
          expect((await refusedWith(s, revoke, "GRANT_NOT_FOUND")).errorName).to.equal("GrantNotFound");
          const grant = await signedGrant(f, f.patient, 1n);
          const request = { ...(grant.signed.request as Parameters<typeof signGrantRequest>[2]), commitment: "0x" + "00".repeat(32) };
          const empty: SignedAction = { kind: "grant", signed: { request, signature: await signGrantRequest(f.patient, f.domain, request) } };
          expect((await refusedWith(s, empty, "EMPTY_COMMITMENT")).errorName).to.equal("EmptyCommitment");
        });

        it("refuses every action while its balance is below the floor (503)", async function () {
          const s = await serve({ balanceFloor: 100n * 10n ** 18n });
          const err = await refusedWith(s, await signedGrant(f, f.patient, 1n), "RELAYER_UNDERFUNDED");
          expect(err.status).to.equal(503);
          const status = (await (await fetch(`${s.url}/status`)).json()) as Record<string, unknown>;
          expect(status).to.include({ relayer: s.wallet.address, underfunded: true, pending: 0, chainId: f.chainId.toString() });
        });

        it("refuses a call over its gas cap", async function () {
          const s = await serve({ gasCap: 30_000n });
          await refusedWith(s, await signedGrant(f, f.patient, 1n), "GAS_CAP_EXCEEDED");
        });
      });

      it("refuses a patient's actions past the allowance (429), shared through the database", async function () {
        const s = await serve({ perPatient: { actions: 2, windowSeconds: 3_600 }, start: false });
        const actions = [];
        for (let i = 0; i < 3; i++) actions.push(await signedGrant(f, f.patient, Wallet.createRandom().address));
        await s.client.relay(actions[0], s.binding);
        await s.client.relay(actions[1], s.binding);
        // The same action again is not a new one: it takes nothing of the allowance.
        await s.client.relay(actions[1], s.binding);
        const err = await refusal(s.client.relay(actions[2], s.binding));
        expect({ code: err.code, status: err.status }).to.deep.equal({ code: "RATE_LIMITED", status: 429 });
        expect(err.retryAfter).to.be.within(1, 3_600);
        // Another patient has an allowance of their own.
        await s.client.relay(await signedGrant(f, f.patient2, 1n), s.binding);
      });

      it("refuses any patient's action past the relayer's own allowance (503 RELAYER_BUSY), fresh keys included", async function () {
        const s = await serve({ perPatient: { actions: 5, windowSeconds: 3_600 }, overall: { actions: 2, windowSeconds: 3_600 }, start: false });
        const first = await signedGrant(f, f.patient, 1n);
        await s.client.relay(first, s.binding);
        await s.client.relay(await signedGrant(f, f.patient2, 1n), s.binding);
        const fresh = Wallet.createRandom().connect(hre.ethers.provider);
        const err = await refusal(s.client.relay(await signedGrant(f, fresh, 1n), s.binding));
        expect({ code: err.code, status: err.status }).to.deep.equal({ code: "RELAYER_BUSY", status: 503 });
        expect(err.retryAfter).to.be.within(1, 3_600);
        // An action recorded before is answered as it stands, over the allowance or not.
        expect((await s.client.relay(first, s.binding)).status).to.equal("accepted");
      });

      it("answers malformed, oversized and unknown bodies with coded problems naming the field", async function () {
        const s = await serve({ bodyLimit: 4_096 });
        const good = actionBody(await signedGrant(f, f.patient, 1n), s.binding);
        const cases: [string, string, number, string, string | undefined][] = [
          ["{not json", "application/json", 400, "MALFORMED_BODY", undefined],
          [JSON.stringify(good), "text/plain", 415, "UNSUPPORTED_MEDIA_TYPE", undefined],
          [JSON.stringify({ ...good, padding: "x".repeat(5_000) }), "application/json", 413, "BODY_TOO_LARGE", undefined],
          [JSON.stringify({ ...good, kind: "transfer" }), "application/json", 400, "INVALID_INPUT", "kind"],
          [JSON.stringify({ ...good, request: { ...good.request, deadline: undefined } }), "application/json", 400, "INVALID_INPUT", "request.deadline"],
          [JSON.stringify({ ...good, request: { ...good.request, classes: 2 ** 40 } }), "application/json", 400, "INVALID_INPUT", "request.classes"],
          [JSON.stringify({ ...good, signature: "0x12z" }), "application/json", 400, "INVALID_INPUT", "signature"],
          [JSON.stringify({ ...good, extra: 1 }), "application/json", 400, "INVALID_INPUT", "body.extra"],
        ];
        for (const [body, type, status, code, field] of cases) {
          const r = await postRaw(s.url, body, type);
          expect({ status: r.status, code: r.json.code, field: r.json.field }, body.slice(0, 60)).to.deep.equal({ status, code, field });
          expect(r.type).to.match(/^application\/problem\+json/);
          expect(JSON.stringify(r.json)).not.to.match(/\bat .*\.ts:\d+/);
        }
        expect(await s.relayer.store.pending()).to.equal(0);
      });
    });

    describe("GET /actions/{id}", function () {
      it("answers 404 for an action it does not have and 400 for what is not an id", async function () {
        const s = await serve();
        expect((await refusal(s.client.status("0x" + "ab".repeat(32)))).code).to.equal("NOT_FOUND");
        const r = await fetch(`${s.url}/actions/nope`);
        expect(r.status).to.equal(400);
        expect(((await r.json()) as { field: string }).field).to.equal("id");
      });
    });

    describe("settling against the chain", function () {
      it("settles as NONCE_CONSUMED an accepted action whose signature another submitter spent first", async function () {
        const s = await serve({ start: false });
        const action = await signedGrant(f, f.patient, 1n);
        const accepted = await s.client.relay(action, s.binding);
        await (await (await as(f, f.relayer)).consent.submitGrant(action.signed as never)).wait();
        s.relayer.sender.start();
        const err = await refusal(s.client.waitFor(accepted.id, { intervalMs: 50 }));
        expect(err.code).to.equal("ACTION_FAILED");
        expect(err.action!.reason!.code).to.equal("NONCE_CONSUMED");
        expect(await hre.ethers.provider.getTransactionCount(s.wallet.address)).to.equal(0);
      });

      it("gives back a claim left preparing by a process of its key that stopped (nothing was signed): confirmed once", async function () {
        const s = await serve({ start: false });
        const accepted = await s.client.relay(await signedGrant(f, f.patient, 1n), s.binding);
        // A process killed while it prepared the transaction: the row claimed, nothing written or sent.
        await db.pool.query("UPDATE relayer_actions SET status = 'preparing', sender = $2 WHERE id = $1", [accepted.id, s.wallet.address.toLowerCase()]);
        expect((await s.client.status(accepted.id)).status, "answered as accepted while prepared").to.equal("accepted");
        s.relayer.sender.start();
        const done = await s.client.waitFor(accepted.id, { intervalMs: 50 });
        expect(done.status).to.equal("confirmed");
        expect(await hre.ethers.provider.getTransactionCount(s.wallet.address)).to.equal(1);
      });

      it("sends again the very transaction the node lost (same nonce, same hash): confirmed once", async function () {
        const s = await serve();
        await hre.network.provider.send("evm_setAutomine", [false]);
        const accepted = await s.client.relay(await signedGrant(f, f.patient, 1n), s.binding);
        expect(await eventually(async () => (await s.client.status(accepted.id)).status === "submitted")).to.equal(true);
        const submitted = await s.client.status(accepted.id);
        await hre.network.provider.send("hardhat_dropTransaction", [submitted.txHash]);
        // The next round finds it unknown to the node, its signature unspent: broadcast again.
        expect(await eventually(async () => (await hre.ethers.provider.getTransaction(submitted.txHash!)) !== null)).to.equal(true);
        await hre.network.provider.send("evm_mine", []);
        const done = await s.client.waitFor(accepted.id, { intervalMs: 50 });
        expect(done.txHash).to.equal(submitted.txHash);
        expect(await hre.ethers.provider.getTransactionCount(s.wallet.address)).to.equal(1);
      });
    });
  });
}

