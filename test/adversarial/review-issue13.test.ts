/**
 * Outside review of issue 13 (the SDK as an integrator meets it): each test is one finding, written to
 * FAIL on the code as reviewed and to pass once the finding is fixed.
 *
 * "A node that dies in the middle of a call" is made with a loopback JSON-RPC proxy in front of the
 * in-process Hardhat network: it forwards every request until it sees the chosen JSON-RPC method, then
 * resets that connection and refuses every later one (the node is gone). The SDK is connected through the
 * proxy with an ordinary ethers JsonRpcProvider, as an integrator's program would be.
 */
import { expect } from "chai";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { JsonRpcProvider, Wallet } from "ethers";
import * as sdk from "../../sdk";
import { CareLedger, ContractRevertError, InsufficientFundsError, NodeUnreachableError, procedureCode } from "../../sdk";
import { MockStablecoin__factory } from "../../typechain-types";
import { deployFixture } from "../support/fixtures";
import { rejection } from "../support/rejection";

/** A JSON-RPC front for the in-process network that dies when it first sees `dieOn`. */
class DyingNode {
  dieOn?: string;
  dead = false;
  url = "";
  readonly #server: http.Server;

  constructor() {
    this.#server = http.createServer((req, res) => {
      if (this.dead) return void req.socket.destroy();
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        void (async () => {
          const body = JSON.parse(Buffer.concat(chunks).toString()) as { id: unknown; method: string; params?: unknown[] } | { id: unknown; method: string; params?: unknown[] }[];
          const calls = Array.isArray(body) ? body : [body];
          if (this.dieOn !== undefined && calls.some((c) => c.method === this.dieOn)) {
            this.dead = true;
            this.#server.close();
            this.#server.closeAllConnections();
            return void req.socket.destroy();
          }
          const answers = await Promise.all(
            calls.map(async (c) => {
              try {
                return { jsonrpc: "2.0", id: c.id, result: await hre.network.provider.request({ method: c.method, params: c.params ?? [] }) };
              } catch (e) {
                const err = e as { code?: number; message?: string; data?: unknown };
                return { jsonrpc: "2.0", id: c.id, error: { code: err.code ?? -32603, message: err.message ?? String(e), data: err.data } };
              }
            }),
          );
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(Array.isArray(body) ? answers : answers[0]));
        })().catch(() => req.socket.destroy());
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** What an integrator sees of an error: its class, code and first line. */
const seen = (e: Error) => `${e.constructor.name} ${(e as { code?: unknown }).code ?? ""}: ${e.message.split("\n")[0].slice(0, 160)}`;

describe("review of issue 13 (outside reviewer)", function () {
  describe("a node that dies in the middle of a documented read or write gives NodeUnreachableError, never a plain ethers error", function () {
    let node: DyingNode;
    let provider: JsonRpcProvider;

    /** A world with an organization, a member, a grant, an access, an anchored record and a submitted claim. */
    async function world() {
      const f = await deployFixture();
      const cl = (s: Parameters<typeof CareLedger.connect>[0]) => CareLedger.connect(s, { addressBook: f.book });
      const registrar = await cl(f.registrar);
      await (await registrar.participants.registerOrganization({ kind: "provider", metadata: { name: "H" }, admin: f.hospitalAdmin.address })).wait();
      await (await (await cl(f.hospitalAdmin)).participants.addMember({ orgId: 1, account: f.doctor.address })).wait();
      const now = (await hre.ethers.provider.getBlock("latest"))!.timestamp;
      await (await (await cl(f.patient)).consent.grant({ grantee: { organization: 1 }, classes: ["labs"], purposes: ["TREAT"], validUntil: now + 86_400 * 30, commitment: "0x" + "11".repeat(32) })).wait();
      const doctor = await cl(f.doctor);
      await (await doctor.consent.logAccess({ patient: f.patient.address, recordRef: "0x" + "5e".repeat(32), dataClass: "labs", purpose: "TREAT" })).wait();
      const anchored = await (await doctor.records.anchor({ commitment: "0x" + "c1".repeat(32) })).wait();
      return { ...f, recordId: anchored.recordId as string };
    }

    beforeEach(async function () {
      node = await new DyingNode().start();
      provider = new JsonRpcProvider(node.url, undefined, { cacheTimeout: -1, staticNetwork: true });
    });

    afterEach(async function () {
      provider.destroy();
      await node.stop();
    });

    it("CareLedger.connect: the node dies after eth_chainId, at eth_getCode → NodeUnreachableError naming the URL", async function () {
      const { book } = await loadFixture(world);
      node.dieOn = "eth_getCode";
      const err = await rejection(CareLedger.connect(provider, { addressBook: book }));
      expect(seen(err)).to.match(/^NodeUnreachableError NODE_UNREACHABLE/);
      expect((err as NodeUnreachableError).url).to.equal(node.url);
    });

    it("participants.members: the node dies at eth_getLogs → NodeUnreachableError", async function () {
      const { book } = await loadFixture(world);
      const reader = await CareLedger.connect(provider, { addressBook: book });
      node.dieOn = "eth_getLogs";
      const err = await rejection(reader.participants.members(1));
      expect(seen(err)).to.match(/^NodeUnreachableError NODE_UNREACHABLE/);
    });

    it("consent.history, consent.accessLog, consent.grants: the node dies at eth_getLogs → NodeUnreachableError", async function () {
      const { book, patient } = await loadFixture(world);
      const failures: string[] = [];
      for (const read of ["history", "accessLog", "grants"] as const) {
        const n = await new DyingNode().start();
        const p = new JsonRpcProvider(n.url, undefined, { cacheTimeout: -1, staticNetwork: true });
        try {
          const reader = await CareLedger.connect(p, { addressBook: book });
          n.dieOn = "eth_getLogs";
          const err = await rejection(reader.consent[read](patient.address));
          if (!(err instanceof NodeUnreachableError)) failures.push(`consent.${read}: ${seen(err)}`);
        } finally {
          p.destroy();
          await n.stop();
        }
      }
      expect(failures, "plain errors that reached the integrator").to.deep.equal([]);
    });

    it("records.history: the node dies at eth_getLogs → NodeUnreachableError", async function () {
      const { book, recordId } = await loadFixture(world);
      const reader = await CareLedger.connect(provider, { addressBook: book });
      node.dieOn = "eth_getLogs";
      const err = await rejection(reader.records.history(recordId, { orgId: 1 }));
      expect(seen(err)).to.match(/^NodeUnreachableError NODE_UNREACHABLE/);
    });

    it("claims.history: the node dies at eth_getLogs → NodeUnreachableError", async function () {
      const { book } = await loadFixture(world);
      const reader = await CareLedger.connect(provider, { addressBook: book });
      node.dieOn = "eth_getLogs";
      const err = await rejection(reader.claims.history("0x" + "ab".repeat(32)));
      expect(seen(err)).to.match(/^NodeUnreachableError NODE_UNREACHABLE/);
    });

    it("consent.grant (a write): the node dies while the SDK reads the chain's time → NodeUnreachableError", async function () {
      const { book } = await loadFixture(world);
      const patient = Wallet.createRandom().connect(provider);
      const asPatient = await CareLedger.connect(patient, { addressBook: book });
      node.dieOn = "eth_getBlockByNumber";
      const err = await rejection(asPatient.consent.grant({ grantee: { organization: 1 }, classes: ["labs"], purposes: ["TREAT"], validUntil: 4_000_000_000, commitment: "0x" + "11".repeat(32) }));
      expect(seen(err)).to.match(/^NodeUnreachableError NODE_UNREACHABLE/);
    });
  });

  describe("bad input is a ValidationError naming the field, never a SyntaxError or RangeError", function () {
    it("claims.submit with authId \"abc\" → ValidationError naming authId", async function () {
      const { book, doctor } = await loadFixture(deployFixture);
      const cl = await CareLedger.connect(doctor, { addressBook: book });
      const submission = {
        planId: 1n,
        member: doctor.address,
        providerOrg: 1n,
        serviceDate: "2026-01-05",
        authId: "abc",
        evidence: "0x" + "11".repeat(32),
        lines: [{ code: procedureCode("sct", "185345009"), units: 1, charged: 100n }],
      } as unknown as sdk.ClaimSubmission;
      const err = await rejection(cl.claims.submit(submission));
      expect(seen(err)).to.match(/^ValidationError INVALID_INPUT: authId/);
    });

    it("fromFhirClaim with a resolver returning plan 1.5 (a number, as FhirClaimResolver allows) → ValidationError, not RangeError", function () {
      const fs = require("node:fs") as typeof import("node:fs");
      const path = require("node:path") as typeof import("node:path");
      const bundle = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../../shared/fixtures/fhir/claims/Raymon_Kris_ca5da59f-0a70-470d-8b20-a1c847ff9010.json"), "utf8")) as { entry: { resource: Record<string, unknown> }[] };
      const claim = bundle.entry.map((e) => e.resource).find((r) => r.resourceType === "Claim");
      const resolve = { member: () => "0x" + "12".repeat(20), provider: () => 1, plan: () => 1.5, evidence: () => "0x" + "11".repeat(32) };
      let err: Error | undefined;
      try {
        sdk.fromFhirClaim(claim, { resolve });
      } catch (e) {
        err = e as Error;
      }
      expect(err && seen(err)).to.match(/^ValidationError INVALID_INPUT: /);
    });

    it("consent.signGrant with nonce 1.5 (a number, as the type allows) → ValidationError naming nonce", async function () {
      const { book, patient } = await loadFixture(deployFixture);
      const cl = await CareLedger.connect(patient, { addressBook: book });
      const now = (await hre.ethers.provider.getBlock("latest"))!.timestamp;
      const err = await rejection(
        cl.consent.signGrant({ grantee: book.contracts.AccessManager, classes: ["labs"], purposes: ["TREAT"], validUntil: now + 86_400, commitment: "0x" + "11".repeat(32) }, { deadline: now + 3600, nonce: 1.5 }),
      );
      expect(seen(err)).to.match(/^ValidationError INVALID_INPUT: nonce/);
    });

    it("a day that does not exist (\"2025-02-30\", \"2025-13-45\") is refused, not rolled over into another month", async function () {
      const { book, deployer } = await loadFixture(deployFixture);
      // Connected with a Provider: a start that passes validation gets READ_ONLY, one that fails INVALID_INPUT.
      const reader = await CareLedger.connect(hre.ethers.provider, { addressBook: book });
      const got: string[] = [];
      for (const start of ["2025-02-30", "2025-13-45"]) {
        const err = await rejection(reader.claims.enroll({ planId: 1, member: deployer.address, start, end: "2026-12-31" }));
        // The class, code and field (a ValidationError's message goes on after the field: "start: …").
        got.push(`${start}: ${seen(err).split(":").slice(0, 2).join(":")}`);
      }
      expect(got).to.deep.equal(["2025-02-30: ValidationError INVALID_INPUT: start", "2025-13-45: ValidationError INVALID_INPUT: start"].map((s) => s));
    });
  });

  describe("one time input (Date, seconds or \"YYYY-MM-DD\") accepted by every client (issue 13 C.13)", function () {
    // Each client is connected with a Provider: input that passes validation ends in READ_ONLY (nothing
    // can be sent), input the client refuses ends in INVALID_INPUT.
    it("consent.grant takes validUntil as \"YYYY-MM-DD\" (claims do)", async function () {
      const { book, patient } = await loadFixture(deployFixture);
      const reader = await CareLedger.connect(hre.ethers.provider, { addressBook: book });
      const err = await rejection(reader.consent.grant({ patient: patient.address, grantee: book.contracts.AccessManager, classes: ["labs"], purposes: ["TREAT"], validUntil: "2099-01-01" as never, commitment: "0x" + "11".repeat(32) }));
      expect(seen(err)).to.match(/^CareLedgerError READ_ONLY/);
    });

    it("claims.enroll takes start and end as Date (consent does)", async function () {
      const { book, deployer } = await loadFixture(deployFixture);
      const reader = await CareLedger.connect(hre.ethers.provider, { addressBook: book });
      const err = await rejection(reader.claims.enroll({ planId: 1, member: deployer.address, start: new Date("2026-01-01T00:00:00Z") as never, end: new Date("2026-12-31T00:00:00Z") as never }));
      expect(seen(err)).to.match(/^CareLedgerError READ_ONLY/);
    });

    it("the SDK exports one TimeInput that both clients' parameter types use", function () {
      // consent/params.ts: TimeInput = Date | number | bigint; claims take number | string (types.ts, client.ts).
      const fs = require("node:fs") as typeof import("node:fs");
      const claimsClient = fs.readFileSync(require.resolve("../../sdk/claims/client.ts"), "utf8");
      expect(claimsClient, "claims/client.ts uses the SDK's TimeInput").to.match(/\bTimeInput\b/);
    });
  });

  describe("limits as named constants shared with the contracts' values (issue 13 C.13)", function () {
    it("the SDK exports MAX_LINES and MAX_BATCH equal to ClaimsEngine.MAX_LINES() and MAX_BATCH()", async function () {
      const { claims } = await loadFixture(deployFixture);
      const exported = sdk as unknown as Record<string, unknown>;
      expect({ MAX_LINES: exported.MAX_LINES, MAX_BATCH: exported.MAX_BATCH }).to.deep.equal({ MAX_LINES: Number(await claims.MAX_LINES()), MAX_BATCH: Number(await claims.MAX_BATCH()) });
    });

    it("no SDK file hard-codes the contracts' limits (20 lines, 50 per batch) as bare numbers", function () {
      const fs = require("node:fs") as typeof import("node:fs");
      const files = ["../../sdk/claims/rules.ts", "../../sdk/claims/fhir.ts", "../../sdk/claims/client.ts"].map((f) => require.resolve(f));
      const bare = files.flatMap((f) =>
        fs
          .readFileSync(f, "utf8")
          .split("\n")
          .map((l, i) => ({ l, i }))
          .filter(({ l }) => /(>|<=?|===?)\s*(20|50)\b|\+=\s*50\b|\?\?\s*50\b/.test(l))
          .map(({ l, i }) => `${f.split("/sdk/")[1]}:${i + 1}: ${l.trim().slice(0, 90)}`),
      );
      expect(bare).to.deep.equal([]);
    });
  });

  describe("money: a funder's refusal by the token is named", function () {
    it("claims.fund from an account without the tokens names ERC20InsufficientBalance (the token's standard error), not UnknownRevert", async function () {
      const f = await loadFixture(deployFixture);
      const registrar = await CareLedger.connect(f.registrar, { addressBook: f.book });
      await (await registrar.participants.registerOrganization({ kind: "insurer", metadata: { name: "I" }, admin: f.insurerAdmin.address })).wait();
      const token = await new MockStablecoin__factory(f.deployer).deploy();
      await (await (await CareLedger.connect(f.deployer, { addressBook: f.book })).claims.setTokenAllowed({ token: await token.getAddress(), allowed: true })).wait();
      const insurer = await CareLedger.connect(f.insurerAdmin, { addressBook: f.book });
      const now = (await hre.ethers.provider.getBlock("latest"))!.timestamp;
      const start = now - (now % 86_400);
      const { planId } = await (
        await insurer.claims.createPlan({ token: await token.getAddress(), insurerOrgId: 0n, deductible: 0n, outOfPocketMax: 0n, start, annualCap: 0n, autoApprovalLimit: 0n, filingWindow: 86_400, appealWindow: 86_400 })
      ).wait();
      const err = await rejection(insurer.claims.fund({ planId, amount: 1_000_000n }));
      expect(err).to.be.instanceOf(ContractRevertError);
      expect((err as ContractRevertError).errorName, seen(err)).to.equal("ERC20InsufficientBalance");
    });

    it("claims.fund from a signer without ETH: InsufficientFundsError naming the account (the approval it sends first included)", async function () {
      const f = await loadFixture(deployFixture);
      const registrar = await CareLedger.connect(f.registrar, { addressBook: f.book });
      await (await registrar.participants.registerOrganization({ kind: "insurer", metadata: { name: "I" }, admin: f.insurerAdmin.address })).wait();
      const token = await new MockStablecoin__factory(f.deployer).deploy();
      await (await (await CareLedger.connect(f.deployer, { addressBook: f.book })).claims.setTokenAllowed({ token: await token.getAddress(), allowed: true })).wait();
      const insurer = await CareLedger.connect(f.insurerAdmin, { addressBook: f.book });
      const now = (await hre.ethers.provider.getBlock("latest"))!.timestamp;
      const { planId } = await (
        await insurer.claims.createPlan({ token: await token.getAddress(), insurerOrgId: 0n, deductible: 0n, outOfPocketMax: 0n, start: now - (now % 86_400), annualCap: 0n, autoApprovalLimit: 0n, filingWindow: 86_400, appealWindow: 86_400 })
      ).wait();
      const broke = Wallet.createRandom().connect(hre.ethers.provider);
      await (await token.mint(broke.address, 10n ** 9n)).wait();
      const funder = await CareLedger.connect(broke, { addressBook: f.book });
      const err = await rejection(funder.claims.fund({ planId, amount: 1_000_000n }));
      expect(err, seen(err)).to.be.instanceOf(InsufficientFundsError);
      expect((err as InsufficientFundsError).account, seen(err)).to.equal(broke.address);
      expect((err as InsufficientFundsError).shortfall, seen(err)).to.be.a("bigint");
    });
  });
});
