/**
 * Outside review of the relayer (relayer/): what it can be made to pay for, how its problem codes read
 * when the node misbehaves, its allowance against many patients, its idempotency against JSON spellings,
 * and the embedded database's single connection held across chain calls. PGlite only (the default).
 */
import { expect } from "chai";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { Wallet, type Provider } from "ethers";
import { actionBody, CareLedger, organizationGrantee, RelayerError, signGrantRequest, type SignedAction } from "../../sdk";
import { OwnedWallet__factory } from "../../typechain-types";
import { openRelayerDatabase } from "../../relayer/db";
import type { Database } from "../../gateway/db";
import { scratchDatabasePerTest } from "../support/databases";
import { suiteFixture, type SuiteFixture } from "../support/suiteFixture";
import { servedRelayer, signedGrant } from "./support";

const refusal = (p: Promise<unknown>) => p.then(() => expect.fail("not refused"), (e: unknown) => e as RelayerError);

/**
 * hre's provider, with `call` (eth_call) failing as a node that is down or rate-limiting would while
 * `state.callsFail`, and `estimateGas` delayed by `state.estimateDelayMs`. Everything else passes through.
 */
function flakyProvider(state: { callsFail: boolean; estimateDelayMs: number }): Provider {
  const base = hre.ethers.provider as unknown as Record<string | symbol, unknown>;
  const proxy: Provider = new Proxy(base, {
    get(target, prop) {
      if (prop === "provider") return proxy;
      if (prop === "call" && state.callsFail) {
        return async () => {
          throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8545"), { code: "ECONNREFUSED" });
        };
      }
      if (prop === "estimateGas" && state.estimateDelayMs > 0) {
        return async (tx: unknown) => {
          await new Promise((r) => setTimeout(r, state.estimateDelayMs));
          return (target.estimateGas as (t: unknown) => Promise<bigint>).call(target, tx);
        };
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  }) as unknown as Provider;
  return proxy;
}

describe("[e2e] review: relayer", function () {
  this.timeout(120_000);
  let db: Database;
  let f: SuiteFixture;
  let served: Awaited<ReturnType<typeof servedRelayer>> | undefined;
  scratchDatabasePerTest("PGlite", openRelayerDatabase, (d) => (db = d));
  beforeEach(async function () {
    f = await loadFixture(suiteFixture);
  });
  afterEach(async function () {
    await served?.close();
    served = undefined;
  });
  const balance = (address: string) => hre.ethers.provider.getBalance(address);

  it("FIXED: a grant to an organization id that is not registered (the SDK refuses to sign it) is refused before paying (GRANTEE_NOT_REGISTERED)", async function () {
    served = await servedRelayer(f, db);
    const s = served;
    // The SDK's own signGrant refuses this grantee (ConsentClient: "organization 999 is not registered").
    const base = await signedGrant(f, f.patient, 1n);
    const request = { ...(base.signed.request as unknown as Record<string, unknown>), grantee: organizationGrantee(999n) };
    const signature = await signGrantRequest(f.patient, f.domain, request as never);
    const action = { kind: "grant", signed: { request, signature } } as unknown as SignedAction;
    const before = await balance(s.wallet.address);
    const outcome = await s.client.relay(action, s.binding).then(
      async (a) => ({ code: "ACCEPTED", status: (await s.client.waitFor(a.id, { intervalMs: 50 }).catch((e: RelayerError) => e.action ?? { status: "failed" })).status }),
      (e: RelayerError) => ({ code: e.code, status: "refused" }),
    );
    const paid = before - (await balance(s.wallet.address));
    // A latent grant that lights up for whoever is registered as organization 999 later, paid by the relayer.
    expect({ outcome, paid: paid > 0n }, "the relayer should refuse, as the SDK does, a grant to an unregistered organization").to.deep.equal({
      outcome: { code: "GRANTEE_NOT_REGISTERED", status: "refused" },
      paid: false,
    });
  });

  it("FIXED: a node failing eth_call during the ERC-1271 check was answered INVALID_SIGNATURE (422, final); now CHAIN_UNAVAILABLE (503, retry)", async function () {
    const state = { callsFail: false, estimateDelayMs: 0 };
    const provider = flakyProvider(state);
    const careledger = await CareLedger.connect(provider, { addressBook: f.book });
    const funded = await (await import("./support")).fundedWallet(f);
    const wallet = funded.connect(provider) as unknown as Wallet;
    served = await servedRelayer(f, db, { careledger, wallet });
    const s = served;
    const account = await new OwnedWallet__factory(f.deployer).deploy(f.patient2.address);
    const action = await signedGrant(f, f.patient2, 1n, { patientAccount: await account.getAddress() });
    state.callsFail = true;
    const err = await refusal(s.client.relay(action, s.binding));
    state.callsFail = false;
    // The very same action is accepted once the node answers again: the signature was never invalid.
    const ok = await s.client.relay(action, s.binding);
    expect(ok.status).to.equal("accepted");
    expect({ code: err.code, status: err.status }, "a node outage must not be reported as a forged signature").to.deep.equal({ code: "CHAIN_UNAVAILABLE", status: 503 });
  });

  it("FIXED: the per-patient allowance is bypassed with fresh keys (allowance 1, five unfunded keys, five transactions paid): the relayer's own allowance bounds them", async function () {
    served = await servedRelayer(f, db, { perPatient: { actions: 1, windowSeconds: 3_600 }, overall: { actions: 1, windowSeconds: 3_600 } });
    const s = served;
    const before = await hre.ethers.provider.getTransactionCount(s.wallet.address);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const sybil = Wallet.createRandom().connect(hre.ethers.provider);
      // A grant to the attacker's own other key: valid, inert for the suite, and paid by the relayer.
      const a = await signedGrant(f, sybil, Wallet.createRandom().address).catch(() => undefined);
      const action = a ?? (await signedGrant(f, sybil, 1n));
      const r = await s.client.relay(action, s.binding).catch((e: RelayerError) => e);
      if (!(r instanceof RelayerError)) ids.push(r.id);
    }
    for (const id of ids) await s.client.waitFor(id, { intervalMs: 50 });
    const paid = (await hre.ethers.provider.getTransactionCount(s.wallet.address)) - before;
    expect(paid, "nothing but the per-address rate limit bounds what anyone with fresh keys makes the relayer pay").to.be.at.most(1);
  });

  it("FIXED: on the embedded database, one slow chain call of the sender blocked every request that reads the database (GET /actions/{id}, /ready): the claim is its own short transaction", async function () {
    const state = { callsFail: false, estimateDelayMs: 0 };
    const provider = flakyProvider(state);
    const careledger = await CareLedger.connect(provider, { addressBook: f.book });
    const wallet = (await (await import("./support")).fundedWallet(f)).connect(provider) as unknown as Wallet;
    served = await servedRelayer(f, db, { careledger, wallet, start: false });
    const s = served;
    const first = await s.client.relay(await signedGrant(f, f.patient, 1n), s.binding);
    // The node answers eth_estimateGas slowly (4 s) — a loaded public endpoint.
    state.estimateDelayMs = 4_000;
    s.relayer.sender.start();
    await new Promise((r) => setTimeout(r, 500)); // the sender has claimed the action and waits on the node, its row transaction open
    const t0 = Date.now();
    const res = await fetch(`${s.url}/actions/${first.id}`);
    const elapsed = Date.now() - t0;
    state.estimateDelayMs = 0;
    expect(res.status).to.equal(200);
    expect(elapsed, "a status read waited for the sender's chain call (the single PGlite connection is held by its claim transaction)").to.be.below(1_000);
  });

  it("HOLDS: the same signed grant in different JSON spellings (address case, numbers as strings or numbers, signature case) is one action, paid once", async function () {
    served = await servedRelayer(f, db);
    const s = served;
    const action = await signedGrant(f, f.patient, 1n);
    const body = actionBody(action, s.binding) as unknown as { kind: string; request: Record<string, unknown>; signature: string; domain: Record<string, unknown> };
    const spelled = {
      ...body,
      request: Object.fromEntries(
        Object.entries(body.request).map(([k, v]) => [k, k === "patient" ? String(v).toLowerCase() : typeof v === "number" ? String(v) : /^[0-9]+$/.test(String(v)) && Number(v) < 2 ** 53 ? Number(v) : v]),
      ),
      signature: "0x" + body.signature.slice(2).toUpperCase(),
      domain: { chainId: Number(body.domain.chainId), verifyingContract: String(body.domain.verifyingContract).toLowerCase() },
    };
    const post = async (b: unknown) => (await fetch(`${s.url}/actions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(b) })).json() as Promise<{ id: string }>;
    const [a, b] = [await post(body), await post(spelled)];
    expect(b.id).to.equal(a.id);
    await s.client.waitFor(a.id, { intervalMs: 50 });
    expect(await hre.ethers.provider.getTransactionCount(s.wallet.address)).to.equal(1);
  });
});
