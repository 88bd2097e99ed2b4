/**
 * Outside review of bounded log reads (sdk/core/logs.ts readLogs, ManagedClient.logs, CareLedger.connect's
 * `logs`). "FINDING:" tests state the expected behaviour and fail on the reviewed commit; "HOLDS:" tests
 * record what was checked and holds.
 */
import { loadFixture, mine } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import {
  BrowserProvider,
  JsonRpcProvider,
  makeError,
  type Eip1193Provider,
} from "ethers";
import hre from "hardhat";
import http from "node:http";
import type { AddressInfo } from "node:net";
import {
  CareLedger,
  CareLedgerError,
  isRangeRefusal,
  NodeUnreachableError,
  readLogs,
} from "../../sdk";
import { consentFixture, HOSPITAL } from "../consent/fixtures";
import { rejection } from "../support/rejection";

type Req = { method: string; params?: unknown[] | Record<string, unknown> };
type Filter = { fromBlock: string; toBlock: string };

/** The in-process node behind `hook`, which may throw or answer for eth_getLogs; every request counted. */
function wrapped(
  hook: (filter: Filter) => void,
  onRequest: (method: string) => Promise<void> | void = () => {},
  options: { cacheTimeout?: number } = {},
) {
  const calls: Record<string, number> = {};
  const logRanges: [number, number][] = [];
  const node: Eip1193Provider = {
    request: async ({ method, params }: Req) => {
      calls[method] = (calls[method] ?? 0) + 1;
      await onRequest(method);
      if (method === "eth_getLogs") {
        const [filter] = params as Filter[];
        logRanges.push([
          Number(BigInt(filter.fromBlock)),
          Number(BigInt(filter.toBlock)),
        ]);
        hook(filter);
      }
      return hre.network.provider.request({
        method,
        params: params as unknown[],
      });
    },
  };
  return {
    provider: new BrowserProvider(node, undefined, options),
    calls,
    logRanges,
  };
}

/** A grant, 1,200 blocks, an access logged, a revocation. */
async function history() {
  const f = await consentFixture();
  const patient = await CareLedger.connect(f.patient, { addressBook: f.book });
  const doctor = await CareLedger.connect(f.doctor, { addressBook: f.book });
  const until =
    (await hre.ethers.provider.getBlock("latest"))!.timestamp + 365 * 86_400;
  await (
    await patient.consent.grant({
      grantee: { organization: HOSPITAL },
      classes: ["labs"],
      purposes: ["TREAT"],
      validUntil: until,
      commitment: "0x" + "c0".repeat(32),
    })
  ).wait();
  await mine(1_200);
  await (
    await doctor.consent.logAccess({
      patient: f.patient.address,
      dataClass: "labs",
      purpose: "TREAT",
      recordRef: "0x" + "a1".repeat(32),
    })
  ).wait();
  const accessBlock = await hre.ethers.provider.getBlockNumber();
  await (
    await patient.consent.revoke({ grantee: { organization: HOSPITAL } })
  ).wait();
  return { ...f, accessBlock };
}

/** A query over blocks that refuses, as `refuse` says, and otherwise returns the block numbers it covers. */
function fakeQuery(refuse: (a: number, b: number) => Error | undefined) {
  const asked: [number, number][] = [];
  const query = async (a: number, b: number) => {
    asked.push([a, b]);
    const err = refuse(a, b);
    if (err) throw err;
    return [a, b];
  };
  return { asked, query };
}

const rpcError = (message: string, code: number, data?: unknown) =>
  Object.assign(new Error(message), { error: { code, message, data } });

describe("review: bounded log reads", function () {
  this.timeout(120_000);

  describe("classification of node errors", function () {
    it("FINDING: Infura's current range refusal (-32602 'range N exceeds limit of M') and Tenderly's ('range N is bigger than range limit M', in data.payload) are range refusals", function () {
      expect(
        isRangeRefusal(
          rpcError("range 1000000 exceeds limit of 10000", -32602),
        ),
        "Infura",
      ).to.equal(true);
      expect(
        isRangeRefusal(
          rpcError("invalid params", -32602, {
            error_id: "4ed94073",
            payload: "range 9009594 is bigger than range limit 2000",
          }),
        ),
        "Tenderly",
      ).to.equal(true);
    });

    it("FINDING: a history over an Infura-style limit is read (halved), not retried at the refused size and thrown", async function () {
      // The node allows 2,000 blocks and says so in Infura's words; the read asks 10,000 (the default).
      const { asked, query } = fakeQuery((a, b) =>
        b - a + 1 > 2_000
          ? rpcError(`range ${b - a + 1} exceeds limit of 2000`, -32602)
          : undefined,
      );
      const err = await readLogs({} as never, query, 0, 9_999, {
        retries: 1,
        backoffMs: 260,
      }).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err?.message, `asked ${JSON.stringify(asked)}`).to.equal(
        undefined,
      );
    });

    it("FINDING: errors that are not about the query's size (quota spent, block past the node's head, reversed range, batch too large) are not taken as range refusals", function () {
      const notSize = [
        "Monthly capacity limit exceeded. Visit https://dashboard.alchemyapi.io/settings/billing to upgrade your scaling policy for continued service.", // Alchemy, 403/-32600
        "block range extends beyond current head block: requested 50162452, head 50162449", // publicnode / geth behind a load balancer
        "invalid block range params", // geth, reth: from > to after resolving tags
        "batch limit exceeded", // geth --rpc.batch-request-limit
      ];
      const wrong = notSize.filter((m) => isRangeRefusal(rpcError(m, -32600)));
      expect(wrong).to.deep.equal([]);
    });

    it("FINDING: a spent quota is not halved down to single blocks: one query per try, and the error is thrown", async function () {
      const quota = () =>
        rpcError(
          "Monthly capacity limit exceeded. Visit https://dashboard.alchemyapi.io/settings/billing to upgrade your scaling policy for continued service.",
          -32600,
        );
      const { asked, query } = fakeQuery(quota);
      await rejection(
        readLogs({} as never, query, 0, 9_999, { retries: 0, backoffMs: 260 }),
      );
      expect(asked.length, `asked ${JSON.stringify(asked)}`).to.equal(1);
    });

    it("FINDING: a refusal ethers wrapped (its message carries the request payload) is a refusal whatever the JSON-RPC id, e.g. id 429", function () {
      // Exactly what ethers' JsonRpcApiProvider.getRpcError builds for an eth_getLogs error: the payload's id is in the message.
      const wrap = (id: number) =>
        makeError("could not coalesce error", "UNKNOWN_ERROR", {
          error: {
            code: -32005,
            message: "query returned more than 10000 results",
          },
          payload: {
            id,
            jsonrpc: "2.0",
            method: "eth_getLogs",
            params: [{ fromBlock: "0x0", toBlock: "0x270f" }],
          },
        });
      expect(isRangeRefusal(wrap(428)), "id 428").to.equal(true);
      expect(
        isRangeRefusal(wrap(429)),
        "id 429 reads as a rate limit ('\\b429\\b')",
      ).to.equal(true);
    });

    it("HOLDS: words of Alchemy (free tier, 400), QuickNode (413 body in an ethers SERVER_ERROR), Erigon 3.5, reth, Moonbeam, morph are refusals; Alchemy CU/s and a node behind ('retry later') are not", function () {
      const refusals = [
        "You can make eth_getLogs requests with up to a 500 block range. Based on your parameters, this block range should work: [0x1a30dfd, 0x1a30ff0]",
        "query block range exceeds server limit, narrow your filter: 1000",
        "query returns too many logs, narrow your filter: 20000",
        "query exceeds max results 20000, retry with the range 25766988-25775072",
        "block range is too wide (maximum 1024)",
        "block range is larger than max block range, block range = 5120, max block range = 5000",
      ];
      for (const m of refusals)
        expect(isRangeRefusal(rpcError(m, -32602)), m).to.equal(true);
      const quicknode = makeError(
        "server response 413 Payload Too Large",
        "SERVER_ERROR",
        {
          info: {
            requestUrl: "https://x.quiknode.pro/k/",
            responseBody:
              '{"jsonrpc":"2.0","id":56,"error":{"code":-32614,"message":"eth_getLogs is limited to a 10,000 range"}}',
            responseStatus: "413 Payload Too Large",
          },
        } as never,
      );
      expect(isRangeRefusal(quicknode), "QuickNode 413").to.equal(true);
      for (const m of [
        "Your app has exceeded its compute units per second capacity. If you have retries enabled, you can safely ignore this message.",
        "block 50162452 is beyond the latest block 50162448 of this node, retry later",
      ])
        expect(isRangeRefusal(rpcError(m, 429)), m).to.equal(false);
    });
  });

  describe("refusals no range can avoid, and retries", function () {
    it("FINDING: a one-block range refused for too many results is thrown at once (no retries), as a CareLedgerError", async function () {
      const f = await loadFixture(history);
      // Erigon 3.5's --rpc.logs.maxresults: the block is refused however small the range.
      const node = wrapped((filter) => {
        const [a, b] = [
          Number(BigInt(filter.fromBlock)),
          Number(BigInt(filter.toBlock)),
        ];
        if (a <= f.accessBlock && f.accessBlock <= b)
          throw Object.assign(
            new Error("query returns too many logs, narrow your filter: 20000"),
            { code: -32602 },
          );
      });
      const cl = await CareLedger.connect(node.provider, {
        addressBook: f.book,
        logs: { retries: 2, backoffMs: 260 },
      });
      const err = await rejection(cl.consent.accessLog(f.patient.address));
      const single = node.logRanges.filter(
        ([a, b]) => a === b && a === f.accessBlock,
      ).length;
      expect(
        { single, typed: err instanceof CareLedgerError },
        err.message.slice(0, 200),
      ).to.deep.equal({ single: 1, typed: true });
    });

    it("FINDING: retries that are not a finite count (NaN, e.g. Number(process.env.X) unset) are refused, not retried forever", async function () {
      let stop = false;
      const query = async () => {
        if (stop) return [];
        throw Object.assign(new Error("socket hang up"), {
          code: "ECONNRESET",
        });
      };
      const outcome = await Promise.race([
        readLogs({} as never, query, 0, 10, {
          retries: Number.NaN,
          backoffMs: 260,
        }).then(
          () => "resolved",
          () => "rejected",
        ),
        new Promise((resolve) =>
          setTimeout(() => resolve("still retrying after 3 s"), 3_000),
        ),
      ]);
      stop = true; // let a loop that never gives up end
      expect(outcome).to.equal("rejected");
    });

    it("HOLDS: a node that cannot be reached is a NodeUnreachableError naming its URL, after the retries", async function () {
      const f = await loadFixture(history);
      const server = http.createServer((req, res) => {
        let body = "";
        req.on("data", (c) => (body += c));
        req.on("end", async () => {
          const payload = JSON.parse(body);
          const one = async (p: {
            id: number;
            method: string;
            params: unknown[];
          }) => {
            try {
              return {
                jsonrpc: "2.0",
                id: p.id,
                result: await hre.network.provider.request({
                  method: p.method,
                  params: p.params,
                }),
              };
            } catch (e) {
              return {
                jsonrpc: "2.0",
                id: p.id,
                error: { code: -32000, message: (e as Error).message },
              };
            }
          };
          const out = Array.isArray(payload)
            ? await Promise.all(payload.map(one))
            : await one(payload);
          res.setHeader("content-type", "application/json");
          res.end(JSON.stringify(out));
        });
      });
      await new Promise<void>((resolve) =>
        server.listen(0, "127.0.0.1", resolve),
      );
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const provider = new JsonRpcProvider(url, undefined, {
        staticNetwork: true,
      });
      const cl = await CareLedger.connect(provider, {
        addressBook: f.book,
        logs: { retries: 1, backoffMs: 260 },
      });
      expect(await cl.consent.accessLog(f.patient.address)).to.have.length(1);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const err = await rejection(cl.consent.accessLog(f.patient.address));
      provider.destroy();
      expect(err).to.be.instanceOf(NodeUnreachableError);
      expect((err as NodeUnreachableError).url).to.equal(url);
    });
  });

  describe("heads and ranges", function () {
    /** consent.history through a node whose head moves on with each eth_blockNumber; the distinct toBlocks its eth_getLogs asked. */
    async function headsOfOneHistory(options: { cacheTimeout?: number }) {
      const f = await loadFixture(history);
      await mine(8);
      const head = await hre.ethers.provider.getBlockNumber();
      let seen = 0;
      const ranges: number[] = [];
      const node: Eip1193Provider = {
        request: async ({ method, params }: Req) => {
          if (method === "eth_blockNumber")
            return "0x" + (head - 7 + Math.min(seen++, 7)).toString(16);
          if (method === "eth_getLogs")
            ranges.push(Number(BigInt((params as Filter[])[0].toBlock)));
          return hre.network.provider.request({
            method,
            params: params as unknown[],
          });
        },
      };
      const cl = await CareLedger.connect(
        new BrowserProvider(node, undefined, options),
        { addressBook: f.book },
      );
      await cl.consent.history(f.patient.address);
      return [...new Set(ranges)];
    }

    it("FINDING: one history reads all its event lists up to one head, even through a provider that does not cache eth_blockNumber (cacheTimeout: -1) while the chain moves on", async function () {
      expect(
        await headsOfOneHistory({ cacheTimeout: -1 }),
        "toBlocks of the 8 lists",
      ).to.have.length(1);
    });

    it("HOLDS: with ethers' default 250 ms cache, the parallel lists of one history share one eth_blockNumber, so one head", async function () {
      expect(await headsOfOneHistory({})).to.have.length(1);
    });

    it("HOLDS: on a local node where the whole range fits, a history sends one eth_getLogs per list and one eth_blockNumber", async function () {
      const f = await loadFixture(history);
      const node = wrapped(() => {});
      const cl = await CareLedger.connect(node.provider, {
        addressBook: f.book,
      });
      node.calls.eth_getLogs = 0;
      node.calls.eth_blockNumber = 0;
      const h = await cl.consent.history(f.patient.address);
      expect(h.map((e) => e.event)).to.deep.equal([
        "ConsentGranted",
        "AccessLogged",
        "ConsentRevoked",
      ]);
      expect({
        getLogs: node.calls.eth_getLogs,
        blockNumber: node.calls.eth_blockNumber,
      }).to.deep.equal({ getLogs: 8, blockNumber: 1 });
    });

    it("HOLDS: fromBlock after toBlock gives [] without a query; a toBlock past the head reads up to the head on Hardhat", async function () {
      const f = await loadFixture(history);
      const node = wrapped(() => {});
      const cl = await CareLedger.connect(node.provider, {
        addressBook: f.book,
      });
      node.calls.eth_getLogs = 0;
      expect(
        await cl.consent.accessLog(f.patient.address, {
          fromBlock: 100,
          toBlock: 50,
        }),
      ).to.deep.equal([]);
      expect(node.calls.eth_getLogs).to.equal(0);
      const head = await hre.ethers.provider.getBlockNumber();
      let past: unknown;
      try {
        past = (
          await cl.consent.accessLog(f.patient.address, { toBlock: head + 50 })
        ).length;
      } catch (e) {
        past = (e as Error).message.slice(0, 300);
      }
      expect(past).to.equal(1);
    });

    it("FINDING (cost): a limit the node stated is remembered: the next history through the same client asks within it", async function () {
      const f = await loadFixture(history);
      let refused = 0;
      const node = wrapped((filter) => {
        if (
          Number(BigInt(filter.toBlock) - BigInt(filter.fromBlock)) + 1 >
          1_000
        ) {
          refused++;
          throw Object.assign(new Error("query exceeds max block range 1000"), {
            code: -32602,
          });
        }
      });
      const cl = await CareLedger.connect(node.provider, {
        addressBook: f.book,
      });
      await cl.consent.history(f.patient.address);
      const first = refused;
      await new Promise((resolve) => setTimeout(resolve, 300)); // past ethers' 250 ms cache of the answers above
      await cl.consent.history(f.patient.address);
      expect({ first: first > 0, second: refused - first }).to.deep.equal({
        first: true,
        second: 0,
      });
    });
  });
});
