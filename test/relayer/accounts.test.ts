/**
 * Passkey accounts through the relayer over real HTTP, on PGlite and PostgreSQL (issue 16): a brand-new
 * patient — no ETH, no account — grants consent with a passkey, the action's one transaction deploying the
 * account; then adds a second passkey and signs with it (`accountExecute`), and opts out of break-glass.
 * Every refusal before paying leaves the relayer's balance as it was and records nothing.
 */
import { expect } from "chai";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import {
  actionBody,
  addPasskeyCall,
  breakGlassOptOutCall,
  CareLedger,
  consentDomain,
  organizationGrantee,
  PasskeySigner,
  PatientAccountClient,
  RelayerError,
  signGrantRequest,
  type ActionBinding,
  type RelayAction,
  type SignedAction,
} from "../../sdk";
import { openRelayerDatabase } from "../../relayer/db";
import type { Database } from "../../gateway/db";
import { scratchDatabasePerTest, type DatabaseKind } from "../support/databases";
import { eventually } from "../support/eventually";
import { SoftAuthenticator } from "../support/softAuthenticator";
import { suiteFixture, type SuiteFixture } from "../support/suiteFixture";
import { chainNow, COMMITMENT, postRaw, servedRelayer, YEAR } from "./support";

const refusal = (p: Promise<unknown>) => p.then(() => expect.fail("not refused"), (e: unknown) => e as RelayerError);

/** A new patient: a phone passkey, the account it predicts (not deployed), its signer and its view of the suite. */
export async function newPatient(f: SuiteFixture, salt = 0n) {
  const phone = new SoftAuthenticator();
  const relayerView = await CareLedger.connect(hre.ethers.provider, { addressBook: f.book });
  const account = await relayerView.accounts!.factory.predictAddress(phone.publicKey, salt);
  const verifier = f.book.accounts!.WebAuthnVerifier;
  const signerOf = (auth: SoftAuthenticator, options: { chainId?: bigint } = {}) =>
    new PasskeySigner({ account, passkey: auth.publicKey, verifier, assert: auth.assert, ...options }, hre.ethers.provider);
  const ledger = await CareLedger.connect(signerOf(phone), { addressBook: f.book });
  const client = PatientAccountClient.at(account, hre.ethers.provider);
  const deploy = { passkey: phone.publicKey, salt };
  const binding: ActionBinding = { chainId: relayerView.chainId, verifyingContract: account };
  return { phone, account, signerOf, ledger, client, deploy, binding };
}

/** A grant to organization 1 (the hospital), signed by the patient's phone. */
async function passkeyGrant(p: Awaited<ReturnType<typeof newPatient>>, options: { deadline?: number } = {}): Promise<SignedAction> {
  const now = await chainNow();
  const signed = await p.ledger.consent.signGrant(
    { grantee: { organization: 1n }, classes: ["labs"], purposes: ["TREAT"], validUntil: now + YEAR, commitment: COMMITMENT },
    { deadline: options.deadline ?? now + 3_600 },
  );
  return { kind: "grant", signed };
}

for (const kind of ["PGlite", "PostgreSQL"] as DatabaseKind[]) {
  describe(`[e2e] relayer: passkey accounts over HTTP (${kind})`, function () {
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
    const code = (address: string) => hre.ethers.provider.getCode(address);
    const registry = () => f.book.contracts.ConsentRegistry;

    it("a new patient with no ETH and no account: the first grant deploys the account; a second passkey is added and signs; break-glass opt-out", async function () {
      const s = await serve();
      const p = await newPatient(f);
      expect(await code(p.account)).to.equal("0x");
      expect(await balance(p.account)).to.equal(0n);

      // 1. The grant, with the account's first passkey and salt: deployed by the action's own transaction.
      const grant = await passkeyGrant(p);
      const accepted = await s.client.relay(grant, s.binding, { account: p.deploy });
      const done = await s.client.waitFor(accepted.id, { intervalMs: 50 });
      expect(done.status).to.equal("confirmed");
      expect(done.patient.toLowerCase()).to.equal(p.account.toLowerCase());
      expect(done.result).to.include({ patient: p.account, accountCreated: true });
      expect(await code(p.account)).to.not.equal("0x");
      expect(await p.client.isPasskey(p.phone.publicKey)).to.equal(true);
      const grantee = (grant.signed.request as { grantee: string }).grantee;
      expect((await f.consent.grantOf(p.account, grantee)).classes).to.not.equal(0n);
      const receipt = (await hre.ethers.provider.getTransactionReceipt(done.txHash!))!;
      expect(receipt.to).to.equal(f.book.accounts!.PatientAccountFactory);
      expect(await hre.ethers.provider.getTransactionCount(s.wallet.address)).to.equal(1); // one transaction

      // 2. A second passkey (the laptop), added by a batch the phone signed.
      const laptop = new SoftAuthenticator();
      const add = await p.client.signExecute(p.signerOf(p.phone), { calls: [addPasskeyCall(p.account, laptop.publicKey)], deadline: (await chainNow()) + 3_600 });
      const added = await s.client.waitFor((await s.client.relay({ kind: "accountExecute", signed: add }, p.binding)).id, { intervalMs: 50 });
      expect(added.status).to.equal("confirmed");
      expect(added.result).to.deep.include({ account: p.account, nonce: "0", calls: 1 });
      expect(added.result).to.not.have.property("accountCreated");
      expect(await p.client.isPasskey(laptop.publicKey)).to.equal(true);

      // 3. The laptop signs the break-glass opt-out.
      const optOut = await p.client.signExecute(p.signerOf(laptop), { calls: [breakGlassOptOutCall(registry(), p.account, true)], deadline: (await chainNow()) + 3_600 });
      const opted = await s.client.waitFor((await s.client.relay({ kind: "accountExecute", signed: optOut }, p.binding)).id, { intervalMs: 50 });
      expect(opted.status).to.equal("confirmed");
      expect(await f.consent.breakGlassOptedOut(p.account)).to.equal(true);
      expect(await balance(p.account)).to.equal(0n);
    });

    it("deploys an account with an accountExecute as its first action (a guardian-free passkey added before any grant)", async function () {
      const s = await serve();
      const p = await newPatient(f, 7n);
      const laptop = new SoftAuthenticator();
      const add = await p.client.signExecute(p.signerOf(p.phone), { calls: [addPasskeyCall(p.account, laptop.publicKey)], deadline: (await chainNow()) + 3_600 });
      const done = await s.client.waitFor((await s.client.relay({ kind: "accountExecute", signed: add }, p.binding, { account: p.deploy })).id, { intervalMs: 50 });
      expect(done.result).to.include({ accountCreated: true, calls: 1 });
      expect(await p.client.isPasskey(laptop.publicKey)).to.equal(true);
    });

    it("confirms the first action when someone else deployed the account after it was accepted (the factory is idempotent)", async function () {
      const s = await serve({ start: false });
      const p = await newPatient(f);
      const accepted = await s.client.relay(await passkeyGrant(p), s.binding, { account: p.deploy });
      await (await f.deployer.sendTransaction(await (await CareLedger.connect(f.deployer, { addressBook: f.book })).accounts!.factory.contract.createAccount.populateTransaction(p.phone.publicKey.x, p.phone.publicKey.y, 0n))).wait();
      s.relayer.sender.start();
      const done = await s.client.waitFor(accepted.id, { intervalMs: 50 });
      expect(done.status).to.equal("confirmed");
      expect(done.result).to.not.have.property("accountCreated");
    });

    it("sends again the very deploying transaction the node lost (same nonce, same hash): the account created and the grant confirmed once", async function () {
      const s = await serve();
      const p = await newPatient(f);
      await hre.network.provider.send("evm_setAutomine", [false]);
      const accepted = await s.client.relay(await passkeyGrant(p), s.binding, { account: p.deploy });
      expect(await eventually(async () => (await s.client.status(accepted.id)).status === "submitted")).to.equal(true);
      const submitted = await s.client.status(accepted.id);
      await hre.network.provider.send("hardhat_dropTransaction", [submitted.txHash]);
      expect(await eventually(async () => (await hre.ethers.provider.getTransaction(submitted.txHash!)) !== null)).to.equal(true);
      await hre.network.provider.send("evm_mine", []);
      const done = await s.client.waitFor(accepted.id, { intervalMs: 50 });
      expect(done.txHash).to.equal(submitted.txHash);
      expect(done.result).to.include({ accountCreated: true });
      expect(await hre.ethers.provider.getTransactionCount(s.wallet.address)).to.equal(1);
    });

    describe("refuses before paying, and records nothing", function () {
      const refusedWith = async (s: Awaited<ReturnType<typeof servedRelayer>>, post: () => Promise<unknown>, code: string, field?: string) => {
        const before = await balance(s.wallet.address);
        const err = await refusal(post());
        expect(err).to.be.instanceOf(RelayerError);
        expect({ code: err.code, field: err.field }).to.deep.equal({ code, field });
        expect(await balance(s.wallet.address)).to.equal(before);
        expect(await s.relayer.store.pending()).to.equal(0);
        return err;
      };
      /** A patient whose account the relayer deployed with a first grant. */
      const deployed = async (s: Awaited<ReturnType<typeof servedRelayer>>) => {
        const p = await newPatient(f);
        await s.client.waitFor((await s.client.relay(await passkeyGrant(p), s.binding, { account: p.deploy })).id, { intervalMs: 50 });
        return p;
      };
      const addLaptop = async (p: Awaited<ReturnType<typeof newPatient>>, over: { auth?: SoftAuthenticator; nonce?: bigint; deadline?: number; chainId?: bigint } = {}) =>
        p.client.signExecute(p.signerOf(over.auth ?? p.phone, over.chainId === undefined ? {} : { chainId: over.chainId }), {
          calls: [addPasskeyCall(p.account, new SoftAuthenticator().publicKey)],
          deadline: over.deadline ?? (await chainNow()) + 3_600,
          ...(over.nonce === undefined ? {} : { nonce: over.nonce }),
        });

      it("refuses a deployment that does not predict the patient's address (another passkey, another salt)", async function () {
        const s = await serve();
        const p = await newPatient(f);
        const grant = await passkeyGrant(p);
        await refusedWith(s, () => s.client.relay(grant, s.binding, { account: { passkey: new SoftAuthenticator().publicKey, salt: 0n } }), "ACCOUNT_MISMATCH", "account");
        await refusedWith(s, () => s.client.relay(grant, s.binding, { account: { ...p.deploy, salt: 1n } }), "ACCOUNT_MISMATCH", "account");
        expect(await code(p.account)).to.equal("0x");
      });

      it("refuses a grant for an account not deployed whose body carries no deployment, and one signed by another passkey", async function () {
        const s = await serve();
        const p = await newPatient(f);
        await refusedWith(s, async () => s.client.relay(await passkeyGrant(p), s.binding), "INVALID_SIGNATURE", "signature");
        // Another passkey signs for the patient's address: the account to be created would not accept it.
        const thief = await CareLedger.connect(p.signerOf(new SoftAuthenticator()), { addressBook: f.book });
        const now = await chainNow();
        const forged = await thief.consent.signGrant({ grantee: { organization: 1n }, classes: ["labs"], purposes: ["TREAT"], validUntil: now + YEAR, commitment: COMMITMENT }, { deadline: now + 3_600 });
        await refusedWith(s, () => s.client.relay({ kind: "grant", signed: forged }, s.binding, { account: p.deploy }), "INVALID_SIGNATURE", "signature");
        expect(await code(p.account)).to.equal("0x");
      });

      it("refuses a grant to an organization that is not registered, naming the field", async function () {
        const s = await serve();
        const now = await chainNow();
        const request = { patient: f.patient.address, grantee: organizationGrantee(999n), classes: 1, purposes: 1, validFrom: 0, validUntil: now + YEAR, commitment: COMMITMENT, nonce: 0n, epoch: 0n, deadline: BigInt(now + 3_600) };
        const signature = await signGrantRequest(f.patient, consentDomain(s.binding.chainId, registry()), request);
        await refusedWith(s, () => s.client.relay({ kind: "grant", signed: { request, signature } } as RelayAction, s.binding), "GRANTEE_NOT_REGISTERED", "request.grantee");
      });

      it("refuses an accountExecute for another chain, another account, past its deadline, with a spent nonce, or signed by a passkey not the account's", async function () {
        const s = await serve();
        const p = await deployed(s);
        const other = await deployed(s);
        const post = (signed: Awaited<ReturnType<typeof addLaptop>>, binding: ActionBinding = p.binding) => () => s.client.relay({ kind: "accountExecute", signed }, binding);

        const otherChain = await addLaptop(p, { chainId: 999n });
        await refusedWith(s, post(otherChain, { ...p.binding, chainId: 999n }), "WRONG_CHAIN", "domain.chainId");
        // Bound to one account, naming another.
        await refusedWith(s, post({ ...(await addLaptop(p)), account: other.account }), "WRONG_CONTRACT", "domain.verifyingContract");
        // Signed for the patient's account, submitted to another account of the suite.
        await refusedWith(s, post({ ...(await addLaptop(p)), account: other.account }, other.binding), "INVALID_SIGNATURE", "signature");
        await refusedWith(s, post(await addLaptop(p, { deadline: (await chainNow()) - 1 })), "SIGNATURE_EXPIRED", "request.deadline");
        await refusedWith(s, post(await addLaptop(p, { auth: new SoftAuthenticator() })), "INVALID_SIGNATURE", "signature");

        // A nonce spent by a confirmed batch, signed again: the account's own error.
        const first = await addLaptop(p);
        await s.client.waitFor((await s.client.relay({ kind: "accountExecute", signed: first }, p.binding)).id, { intervalMs: 50 });
        const replay = await refusedWith(s, post(await addLaptop(p, { nonce: first.nonce })), "INVALID_ACCOUNT_NONCE", undefined);
        expect(replay.errorName).to.equal("InvalidAccountNonce");
      });

      it("refuses an accountExecute for an account not deployed, without its deployment", async function () {
        const s = await serve();
        const p = await newPatient(f);
        await refusedWith(s, async () => s.client.relay({ kind: "accountExecute", signed: await addLaptop(p) }, p.binding), "INVALID_SIGNATURE", "signature");
      });

      it("refuses malformed account members and batches, naming the field", async function () {
        const s = await serve();
        const p = await newPatient(f);
        const grant = await passkeyGrant(p);
        const badKey = await postRaw(s.url, JSON.stringify({ ...actionBody(grant, s.binding), account: { passkey: { x: "0x12", y: p.phone.publicKey.y }, salt: "0" } }));
        expect({ status: badKey.status, code: badKey.json.code, field: badKey.json.field }).to.deep.equal({ status: 400, code: "INVALID_INPUT", field: "account.passkey.x" });
        const badSalt = await postRaw(s.url, JSON.stringify({ ...actionBody(grant, s.binding), account: { passkey: p.phone.publicKey, salt: "-1" } }));
        expect(badSalt.json.field).to.equal("account.salt");
        const batch = await addLaptop(p);
        const base = { kind: "accountExecute", signature: batch.signature, domain: { chainId: p.binding.chainId.toString(), verifyingContract: p.account } };
        const call = { target: p.account, value: "0", data: batch.calls[0].data };
        const field = async (request: unknown) => {
          const res = await postRaw(s.url, JSON.stringify({ ...base, request }));
          expect({ status: res.status, code: res.json.code }).to.deep.equal({ status: 400, code: "INVALID_INPUT" });
          return res.json.field;
        };
        expect(await field({ account: p.account, calls: [], nonce: "0", deadline: "1" })).to.equal("request.calls");
        expect(await field({ account: p.account, calls: [{ ...call, value: "-1" }], nonce: "0", deadline: "1" })).to.equal("request.calls[0].value");
        expect(await field({ account: p.account, calls: [{ ...call, data: "0x1" }], nonce: "0", deadline: "1" })).to.equal("request.calls[0].data");
        expect(await field({ account: p.account, calls: [{ ...call, target: "0x12" }], nonce: "0", deadline: "1" })).to.equal("request.calls[0].target");
        expect(await field({ account: p.account, calls: [{ ...call, extra: 1 }], nonce: "0", deadline: "1" })).to.equal("request.calls[0].extra");
        expect(await field({ account: p.account, calls: [call], deadline: "1" })).to.equal("request.nonce");
      });
    });
  });
}
