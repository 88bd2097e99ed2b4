/**
 * The gateway's fast paths give the answers of the slow ones they replace: signature recovery by
 * libsecp256k1 (gateway/auth.ts `recoverSigner`) against ethers' `recoverAddress`; the request digest
 * with a kept encoder and domain separator against `TypedDataEncoder.hash`; ethers' keccak256 with
 * hash-wasm's module registered against its own; remembered address checks
 * against ethers' `getAddress`; chain reads asked once per block hash (gateway/release.ts `BlockReads`);
 * concurrent requests' nonces and receipts written in rounds (gateway/batch.ts), each caller with its
 * own answer, a nonce spent once. How receipts are stored: test/gateway/receipts.test.ts.
 */
import { expect } from "chai";
import fc from "fast-check";
import { concat, getAddress, hexlify, keccak256, toUtf8Bytes, recoverAddress, SigningKey, toBeHex, TypedDataEncoder, Wallet, ZeroAddress } from "ethers";
import { NonceBook, recoverSigner } from "../../gateway/auth";
import { Batcher } from "../../gateway/batch";
import { openDatabase, type Database } from "../../gateway/db";
import { BlockReads } from "../../gateway/release";
import { ValidationError } from "../../sdk/errors";
import { ACCESS_REFERENCE_DOMAIN, accessReference } from "../../sdk/consent/encoding";
import { useWasmKeccakInEthers } from "../../sdk/records/merkle/keccak";
import { requireAddress } from "../../sdk/core/validate";
import { GATEWAY_REQUEST_TYPES, gatewayRequestDomain, requestDigest, requireGatewayRequest, type GatewayRequest } from "../../sdk/exchange/request";
import { rejection } from "../support/rejection";

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => hexlify(b));
/** A private key: 32 random bytes below the group order (SigningKey refuses the rest). */
const privateKey = bytes32.filter((k) => BigInt(k) > 0n && BigInt(k) < 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n);
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** What ethers answers for a signature over a digest (undefined where it throws). */
function ethersSigner(digest: string, signature: string): string | undefined {
  try {
    return recoverAddress(digest, signature);
  } catch {
    return undefined;
  }
}

describe("gateway: fast paths answer as the slow ones", function () {
  describe("recoverSigner (libsecp256k1) and ethers' recoverAddress", function () {
    it("recover the signer of any digest from its 65-byte and its 64-byte (EIP-2098) signature", function () {
      fc.assert(
        fc.property(privateKey, bytes32, (key, digest) => {
          const sig = new SigningKey(key).sign(digest);
          const signer = new Wallet(key).address;
          expect(recoverSigner(digest, sig.serialized)).to.equal(signer);
          expect(recoverSigner(digest, sig.compactSerialized)).to.equal(signer);
          expect(ethersSigner(digest, sig.serialized)).to.equal(signer);
        }),
        { numRuns: 200 },
      );
    });

    it("agree on every malformed or altered signature: a flipped byte, a high s, a zero r, any length, any v", function () {
      const altered = fc.record({
        key: privateKey,
        digest: bytes32,
        byte: fc.nat({ max: 64 }),
        bit: fc.nat({ max: 7 }),
      });
      fc.assert(
        fc.property(altered, ({ key, digest, byte, bit }) => {
          const sig = new SigningKey(key).sign(digest);
          const raw = Uint8Array.from(Buffer.from(sig.serialized.slice(2), "hex"));
          raw[byte] ^= 1 << bit;
          const flipped = hexlify(raw);
          expect(recoverSigner(digest, flipped), `flipped ${flipped}`).to.equal(ethersSigner(digest, flipped));
          // The malleated twin (s → n − s, parity flipped), which some libraries refuse and others accept.
          const high = sig.r + toBeHex(N - BigInt(sig.s), 32).slice(2) + (sig.v === 27 ? "1c" : "1b");
          expect(recoverSigner(digest, high), "high s").to.equal(ethersSigner(digest, high));
        }),
        { numRuns: 200 },
      );
      const digest = "0x" + "11".repeat(32);
      for (const bad of ["0x", "0x00", "0x" + "00".repeat(65), "0x" + "ff".repeat(65), "0x" + "00".repeat(64), "not hex", "0x" + "12".repeat(66)]) {
        expect(recoverSigner(digest, bad), bad).to.equal(ethersSigner(digest, bad));
      }
      expect(recoverSigner(digest, "0x" + "00".repeat(65))).to.equal(undefined);
      expect(recoverSigner("0x1234", new SigningKey("0x" + "01".repeat(32)).sign(digest).serialized)).to.equal(undefined);
    });
  });

  it("computes a request's digest as TypedDataEncoder.hash does, for any request and deployment", function () {
    const request = fc.record({
      requester: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => getAddress(hexlify(b))).filter((a) => a !== ZeroAddress),
      method: fc.oneof(fc.constantFrom("GET", "POST"), fc.stringMatching(/^[A-Za-z]{1,12}$/)),
      target: fc.oneof(
        fc.constantFrom("/fhir/Observation/a", "/fhir/Observation?patient=Patient/p&_count=20", "/fhir"),
        fc.string({ unit: "binary", maxLength: 200 }).map((t) => `/${t}`),
        // Past the keccak engine's 16 KiB buffer.
        fc.string({ minLength: 16_380, maxLength: 16_400 }).map((t) => `/${t}`),
      ),
      bodyHash: bytes32,
      origin: fc.constantFrom("https://gateway.northgate.example", "http://127.0.0.1:8080"),
      purpose: fc.nat({ max: 5 }),
      issuedAt: fc.integer({ min: 1_700_000_000, max: 1_900_000_000 }),
      lifetime: fc.integer({ min: 1, max: 300 }),
      nonce: bytes32,
    });
    const domain = fc.record({ chainId: fc.constantFrom(1n, 31337n, 11155111n), contract: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => getAddress(hexlify(b))).filter((a) => a !== ZeroAddress) });
    fc.assert(
      fc.property(request, domain, (r, d) => {
        const req: GatewayRequest = requireGatewayRequest({ ...r, expiresAt: r.issuedAt + r.lifetime });
        const dom = gatewayRequestDomain(d.chainId, d.contract);
        expect(requestDigest(dom, req)).to.equal(TypedDataEncoder.hash(dom, GATEWAY_REQUEST_TYPES, req));
      }),
      { numRuns: 150 },
    );
  });

  it("hashes as ethers' own keccak256 once hash-wasm's is registered in ethers, inputs past its buffer included", function () {
    const own = keccak256._;
    expect(useWasmKeccakInEthers()).to.equal("wasm");
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ minLength: 16_000, maxLength: 17_000 })), (data) => {
        expect(keccak256(data)).to.equal(hexlify(own(data)));
      }),
      { numRuns: 300 },
    );
    expect(useWasmKeccakInEthers(), "registered once").to.equal("wasm");
  });

  it("makes an access reference from the same bytes as before (domain ‖ salt ‖ record id ‖ nonce), ids in any case", function () {
    fc.assert(
      fc.property(bytes32, bytes32, bytes32, fc.boolean(), (salt, recordId, nonce, upper) => {
        const id = upper ? "0x" + recordId.slice(2).toUpperCase() : recordId;
        const expected = keccak256(concat([toUtf8Bytes(ACCESS_REFERENCE_DOMAIN), salt, recordId, nonce]));
        expect(accessReference({ salt, recordId: id }, nonce)).to.deep.equal({ recordRef: expected, nonce });
      }),
      { numRuns: 200 },
    );
  });

  it("checks addresses as ethers' getAddress does, however often the same one is asked", function () {
    const a = "0x52908400098527886E0F7030069857D2E4169EE7"; // EIP-55's own example
    for (let i = 0; i < 3; i++) {
      expect(requireAddress("a", a.toLowerCase())).to.equal(a);
      expect(requireAddress("a", a)).to.equal(a);
    }
    // A bad checksum (one letter's case changed) is refused though the address was checked before.
    expect(() => requireAddress("a", a.replace("E0F", "e0F"))).to.throw(ValidationError, "is not an address");
    expect(() => requireAddress("a", ZeroAddress)).to.throw(ValidationError, "zero address");
    expect(requireAddress("a", ZeroAddress, { allowZero: true })).to.equal(ZeroAddress);
    expect(() => requireAddress("a", "0x1234")).to.throw(ValidationError, "is not an address");
    expect(() => requireAddress("a", 12)).to.throw(ValidationError, "is not an address");
    // Past the remembered window, answers are still ethers' answers.
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), (b) => {
        const lower = hexlify(b);
        const expected = getAddress(lower);
        if (expected === ZeroAddress) return;
        expect(requireAddress("a", lower)).to.equal(expected);
        expect(requireAddress("a", expected)).to.equal(expected);
      }),
      { numRuns: 5_000 },
    );
  });

  describe("BlockReads", function () {
    const hashA = "0x" + "aa".repeat(32);
    const hashB = "0x" + "bb".repeat(32);

    it("asks each question once per block hash, and again at another block", async function () {
      const reads = new BlockReads();
      let asked = 0;
      const ask = async () => ++asked;
      const [x, y] = await Promise.all([reads.read(hashA, "q", ask), reads.read(hashA, "q", ask)]);
      expect([x, y, asked]).to.deep.equal([1, 1, 1]);
      expect(await reads.read(hashA, "other", ask)).to.equal(2);
      expect(await reads.read(hashB, "q", ask)).to.equal(3);
      expect(await reads.read(hashA, "q", ask)).to.equal(1);
    });

    it("forgets a read that failed, so the next request asks the chain again", async function () {
      const reads = new BlockReads();
      let calls = 0;
      const failing = async () => {
        calls++;
        throw new Error("chain down");
      };
      expect((await rejection(reads.read(hashA, "q", failing))).message).to.equal("chain down");
      await new Promise((resolve) => setImmediate(resolve));
      expect(await reads.read(hashA, "q", async () => "answered")).to.equal("answered");
      expect(calls).to.equal(1);
    });

    it("asks again for a request that waited its patience on another request's read, and later ones share the fresh read", async function () {
      const reads = new BlockReads(60_000, 30);
      let asked = 0;
      const hung = reads.read(hashA, "q", () => {
        asked++;
        return new Promise<string>(() => undefined);
      });
      void hung;
      const follower = await reads.read(hashA, "q", async () => {
        asked++;
        return "fresh";
      });
      expect([follower, asked]).to.deep.equal(["fresh", 2]);
      expect(await reads.read(hashA, "q", async () => "third")).to.equal("fresh");
      // An answer that comes within the patience is shared: asked once.
      let once = 0;
      const slow = () => {
        once++;
        return new Promise<string>((resolve) => setTimeout(() => resolve("slow"), 5));
      };
      expect(await Promise.all([reads.read(hashB, "q", slow), reads.read(hashB, "q", slow)])).to.deep.equal(["slow", "slow"]);
      expect(once).to.equal(1);
    });

    it("forgets a read that does not answer in time, so a hung read is not shared by every later request", async function () {
      const reads = new BlockReads(50);
      const hung = reads.read(hashA, "q", () => new Promise<string>(() => undefined));
      expect((await rejection(hung)).name).to.equal("TimeoutError");
      expect(await reads.read(hashA, "q", async () => "answered")).to.equal("answered");
    });

    it("keeps the answers of the last four blocks only", async function () {
      const reads = new BlockReads();
      let asked = 0;
      const ask = async () => ++asked;
      const hashes = [1, 2, 3, 4, 5].map((i) => "0x" + i.toString(16).padStart(64, "0"));
      for (const h of hashes) await reads.read(h, "q", ask);
      expect(asked).to.equal(5);
      await reads.read(hashes[4], "q", ask);
      await reads.read(hashes[1], "q", ask);
      expect(asked, "blocks 2 to 5 are kept").to.equal(5);
      await reads.read(hashes[0], "q", ask);
      expect(asked, "block 1 was forgotten").to.equal(6);
    });
  });

  describe("Batcher (group commit)", function () {
    it("answers each caller with its own answer or its own error, in one round for those who came together", async function () {
      const rounds: number[][] = [];
      const b = new Batcher<number, number>(async (xs) => {
        rounds.push([...xs]);
        return xs.map((x) => (x < 0 ? new Error(`negative ${x}`) : x * 2));
      });
      const settled = await Promise.allSettled([b.submit(1), b.submit(-2), b.submit(3)]);
      expect(settled.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message))).to.deep.equal([2, "negative -2", 6]);
      expect(rounds).to.deep.equal([[1, -2, 3]]);
    });

    it("fails every caller of a round that throws, and the next round runs", async function () {
      let fail = true;
      const b = new Batcher<number, number>(async (xs) => {
        if (fail) throw new Error("database down");
        return [...xs];
      });
      const settled = await Promise.allSettled([b.submit(1), b.submit(2)]);
      expect(settled.map((r) => r.status)).to.deep.equal(["rejected", "rejected"]);
      fail = false;
      expect(await b.submit(3)).to.equal(3);
    });

    it("starts a round only after its callers arrived: those who come while one runs wait for the next", async function () {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const rounds: string[][] = [];
      const b = new Batcher<string, string>(async (xs) => {
        rounds.push([...xs]);
        if (rounds.length === 1) await gate;
        return [...xs];
      });
      const first = b.submit("a");
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      const later = [b.submit("b"), b.submit("c")];
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(rounds, "one round at a time").to.deep.equal([["a"]]);
      release();
      expect(await Promise.all([first, ...later])).to.deep.equal(["a", "b", "c"]);
      expect(rounds).to.deep.equal([["a"], ["b", "c"]]);
    });

    it("fails a round that does not answer in time, and the rounds after it go on", async function () {
      let rounds = 0;
      const b = new Batcher<number, number>(
        async (xs) => {
          rounds++;
          if (rounds === 1) await new Promise(() => undefined); // a lost answer: never settles
          return [...xs];
        },
        { timeoutMs: 50 },
      );
      const hung = b.submit(1);
      await new Promise((resolve) => setTimeout(resolve, 5));
      const next = b.submit(2);
      const error = await rejection(hung);
      expect([error.name, error.message]).to.deep.equal(["TimeoutError", "no answer within 50 ms"]);
      expect(await next).to.equal(2);
    });

    it("refuses a round that answers fewer inputs than it was given", async function () {
      const b = new Batcher<number, number>(async () => [1]);
      const settled = await Promise.allSettled([b.submit(1), b.submit(2)]);
      expect(settled.map((r) => (r.status === "rejected" ? (r.reason as Error).message : "resolved"))).to.deep.equal(["a round answered 1 of 2 inputs", "a round answered 1 of 2 inputs"]);
    });
  });

  describe("NonceBook", function () {
    let db: Database;
    before(async function () {
      db = await openDatabase();
    });
    after(async function () {
      await db.close();
    });

    it("spends a nonce once: a request racing its own replay in one round, and a replay in a later round", async function () {
      const book = new NonceBook(db);
      const requester = Wallet.createRandom().address;
      const nonce = "0x" + "ab".repeat(32);
      const expiresAt = Math.floor(Date.now() / 1000) + 300;
      const together = await Promise.all([book.spend(requester, nonce, expiresAt), book.spend(requester.toLowerCase(), nonce, expiresAt), book.spend(requester, "0x" + "cd".repeat(32), expiresAt)]);
      expect(together).to.deep.equal([true, false, true]);
      expect(await book.spend(requester, nonce, expiresAt)).to.equal(false);
      // Another instance's book on the same database knows it too.
      expect(await new NonceBook(db).spend(requester, nonce, expiresAt)).to.equal(false);
      expect(Number((await db.pool.query("SELECT count(*) AS n FROM request_nonces")).rows[0].n)).to.equal(2);
    });
  });
});
