/**
 * Bounded log reads (sdk/core/logs.ts): every history the SDK reads goes through `readLogs`, in block
 * ranges a node accepts. Against a node that refuses `eth_getLogs` over 1,000 blocks (as public endpoints
 * do), the SDK's histories — consent history and access log, grants, organization members, a record's
 * versions — read exactly what they read from an unlimited node; a node failing for a moment is retried.
 */
import { loadFixture, mine } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import fc from "fast-check";
import { BrowserProvider, type Eip1193Provider } from "ethers";
import hre from "hardhat";
import { CareLedger, isRangeRefusal, NodeUnreachableError, readLogs } from "../../sdk";
import { consentFixture, HOSPITAL } from "../consent/fixtures";
import { rejection } from "../support/rejection";

const LIMIT = 1_000;

/**
 * The in-process node behind a wrapper that refuses `eth_getLogs` over `LIMIT` blocks (Infura's words) and,
 * while `failNext` > 0, fails that many log queries as a dropped connection would.
 */
function limitedNode() {
  const stats = { refused: 0, served: 0, widest: 0, failNext: 0 };
  const node: Eip1193Provider = {
    request: async ({ method, params }: { method: string; params?: unknown[] | Record<string, unknown> }) => {
      if (method === "eth_getLogs") {
        const [filter] = params as { fromBlock: string; toBlock: string }[];
        const span = Number(BigInt(filter.toBlock) - BigInt(filter.fromBlock)) + 1;
        if (stats.failNext > 0) {
          stats.failNext--;
          throw Object.assign(new Error("socket hang up"), { code: -32603 });
        }
        if (span > LIMIT) {
          stats.refused++;
          throw Object.assign(new Error(`query exceeds max block range ${LIMIT}`), { code: -32005 });
        }
        stats.served++;
        stats.widest = Math.max(stats.widest, span);
      }
      return hre.network.provider.request({ method, params: params as unknown[] });
    },
  };
  return { provider: new BrowserProvider(node), stats };
}

/** Consent, membership and record events spread over more than 6,000 blocks. */
async function spreadOut() {
  const f = await consentFixture();
  const as = (s: (typeof f.signers)[number]) => CareLedger.connect(s, { addressBook: f.book });
  const patient = await as(f.patient);
  const doctor = await as(f.doctor);
  const hospital = await as(f.hospitalAdmin);
  const lab = await as(f.labAdmin);
  const year = async () => (await hre.ethers.provider.getBlock("latest"))!.timestamp + 365 * 86_400;
  const commitment = "0x" + "c0".repeat(32);
  await (await patient.consent.grant({ grantee: { organization: HOSPITAL }, classes: ["labs"], purposes: ["TREAT"], validUntil: await year(), commitment })).wait();
  await mine(1_500);
  await (await doctor.consent.logAccess({ patient: f.patient.address, dataClass: "labs", purpose: "TREAT", recordRef: "0x" + "a1".repeat(32) })).wait();
  await (await hospital.participants.addMember({ orgId: HOSPITAL, account: f.signers[15].address })).wait();
  const anchored = await (await lab.records.anchor({ resource: { resourceType: "Observation", id: "o-1", status: "final" } })).wait();
  await mine(2_345);
  await (await lab.records.amend({ recordId: anchored.recordId, supersedes: 1, resource: { resourceType: "Observation", id: "o-1", status: "amended" }, salt: anchored.salt! })).wait();
  await (await patient.consent.revoke({ grantee: { organization: HOSPITAL } })).wait();
  await mine(2_999);
  await (await patient.consent.grant({ grantee: { organization: HOSPITAL }, classes: ["labs", "vitals"], purposes: ["TREAT"], validUntil: await year(), commitment })).wait();
  await (await doctor.consent.logAccess({ patient: f.patient.address, dataClass: "vitals", purpose: "TREAT", recordRef: "0x" + "a2".repeat(32) })).wait();
  return { ...f, recordId: anchored.recordId };
}

describe("SDK: histories read in bounded block ranges", function () {
  this.timeout(120_000);

  it("reads every history through a node that refuses log ranges over 1,000 blocks, exactly as from an unlimited node", async function () {
    const f = await loadFixture(spreadOut);
    const unlimited = await CareLedger.connect(hre.ethers.provider, { addressBook: f.book });
    const { provider, stats } = limitedNode();
    const limited = await CareLedger.connect(provider, { addressBook: f.book });
    const histories = async (cl: CareLedger) => ({
      history: await cl.consent.history(f.patient.address),
      accessLog: await cl.consent.accessLog(f.patient.address),
      grants: await cl.consent.grants(f.patient.address),
      members: await cl.participants.members(HOSPITAL),
      versions: await cl.records.history(f.recordId),
    });
    const expected = await histories(unlimited);
    expect(expected.history.map((h) => h.event)).to.deep.equal(["ConsentGranted", "AccessLogged", "ConsentRevoked", "ConsentGranted", "AccessLogged"]);
    expect(expected.versions.map((v) => v.version)).to.deep.equal([1, 2]);
    // The wrapper's node holds the same chain: anything but the ranges would show here.
    expect(await histories(limited)).to.deep.equal(expected);
    expect(stats.refused, "the SDK asked for more than the node allows, and adapted").to.be.greaterThan(0);
    expect(stats.widest).to.be.at.most(LIMIT);
    // Told the endpoint's limit, it asks within it from the start.
    const told = limitedNode();
    const within = await CareLedger.connect(told.provider, { addressBook: f.book, logs: { maxBlocks: LIMIT } });
    expect(await histories(within)).to.deep.equal(expected);
    expect(told.stats.refused).to.equal(0);
  });

  it("retries a log query the node failed for a moment, and names the node when it keeps failing", async function () {
    const f = await loadFixture(spreadOut);
    const expected = await (await CareLedger.connect(hre.ethers.provider, { addressBook: f.book })).consent.accessLog(f.patient.address);
    const { provider, stats } = limitedNode();
    const cl = await CareLedger.connect(provider, { addressBook: f.book, logs: { maxBlocks: LIMIT, backoffMs: 1, retries: 2 } });
    // Asked again after a back-off longer than the 250 ms an ethers provider keeps an answer (a failure too).
    stats.failNext = 2;
    expect(await cl.consent.accessLog(f.patient.address)).to.deep.equal(expected);
    stats.failNext = 3;
    await new Promise((resolve) => setTimeout(resolve, 300)); // past the provider's cache of the answer above
    const err = await rejection(cl.consent.accessLog(f.patient.address));
    expect(err).to.be.instanceOf(NodeUnreachableError);
  });

  describe("readLogs", function () {
    it("gives every log of the range once, in order, whatever the node's limit and the ranges asked", async function () {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 5_000 }),
          fc.integer({ min: 0, max: 8_000 }),
          fc.integer({ min: 20, max: 3_000 }),
          fc.integer({ min: 1, max: 12_000 }),
          fc.uniqueArray(fc.integer({ min: 0, max: 25_000 }), { maxLength: 60 }),
          async (from, length, limit, maxBlocks, eventBlocks) => {
            const to = from + length;
            const asked: [number, number][] = [];
            const query = async (a: number, b: number) => {
              if (b - a + 1 > limit) throw new Error(`block range is too wide (max ${limit})`);
              asked.push([a, b]);
              return eventBlocks.filter((x) => x >= a && x <= b).sort((x, y) => x - y);
            };
            const got = await readLogs({} as never, query, from, to, { maxBlocks });
            expect(got).to.deep.equal(eventBlocks.filter((x) => x >= from && x <= to).sort((x, y) => x - y));
            // The ranges served tile [from, to] exactly, each within both limits.
            let next = from;
            const gaps = asked.filter(([a, b]) => {
              const wrong = a !== next || b - a + 1 > Math.min(limit, maxBlocks);
              next = b + 1;
              return wrong;
            });
            expect([gaps, next]).to.deep.equal([[], to + 1]);
          },
        ),
        { numRuns: 60 },
      );
    });

    it("tells a range refusal from a rate limit or an outage, in the words of common nodes", function () {
      const refusals = [
        "query returned more than 10000 results",
        "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range",
        "eth_getLogs is limited to a 10,000 range",
        "block range is too wide",
        "exceed maximum block range: 5000",
        "query exceeds max block range 1000",
      ];
      for (const message of refusals) expect(isRangeRefusal({ error: { message } }), message).to.equal(true);
      for (const message of ["rate limit exceeded", "Too Many Requests", "socket hang up", "execution reverted"]) expect(isRangeRefusal(new Error(message)), message).to.equal(false);
    });
  });
});
