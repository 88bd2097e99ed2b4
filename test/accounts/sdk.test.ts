/**
 * The SDK's passkey encodings alone: DER signatures to (r, low s), SPKI keys, base64url, ERC-7739 nesting
 * in explicit mode (checked by the account on chain), the assertion checks, and the inputs refused by name.
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { generateKeyPairSync } from "node:crypto";
import { TypedDataEncoder, toBeHex } from "ethers";
import { base64url, checkAssertion, fromBase64url, P256_HALF_N, P256_N, PasskeySigner, passkeyFromSpki, requireCalls, signatureRS, type WebAuthnAssertion } from "../../sdk";
import { accountsFixture } from "./fixture";
import { rejection } from "../support/rejection";
import { SoftAuthenticator } from "../support/softAuthenticator";

const der = (r: bigint, s: bigint) => {
  const int = (n: bigint) => {
    let hex = n.toString(16);
    if (hex.length % 2) hex = "0" + hex;
    if (parseInt(hex.slice(0, 2), 16) >= 0x80) hex = "00" + hex;
    return "02" + toBeHex(hex.length / 2, 1).slice(2) + hex;
  };
  const body = int(r) + int(s);
  return "0x30" + toBeHex(body.length / 2, 1).slice(2) + body;
};

describe("SDK passkey encodings", function () {
  describe("signatureRS", function () {
    it("reads DER and 64-byte signatures and normalises s to the low half", function () {
      expect(signatureRS("sig", der(5n, 7n))).to.deep.equal({ r: 5n, s: 7n });
      expect(signatureRS("sig", der(5n, P256_N - 7n))).to.deep.equal({ r: 5n, s: 7n });
      expect(signatureRS("sig", der(P256_N - 1n, P256_HALF_N))).to.deep.equal({ r: P256_N - 1n, s: P256_HALF_N });
      expect(signatureRS("sig", toBeHex(5n, 32) + toBeHex(P256_HALF_N + 1n, 32).slice(2))).to.deep.equal({ r: 5n, s: P256_N - P256_HALF_N - 1n });
    });

    it("refuses what is not a signature, naming the field", function () {
      for (const bad of ["0x3006020105020107ff", "0x300602010503010700", "0x1234", der(0n, 1n), der(1n, P256_N), "nonsense"]) {
        expect(() => signatureRS("assertion.signature", bad), bad).to.throw(/assertion\.signature/);
      }
    });
  });

  it("reads a P-256 key from its SubjectPublicKeyInfo, and refuses another key", function () {
    const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = publicKey.export({ format: "jwk" });
    const key = passkeyFromSpki(publicKey.export({ format: "der", type: "spki" }));
    expect(key.x).to.equal("0x" + Buffer.from(fromBase64url(jwk.x!)).toString("hex"));
    expect(key.y).to.equal("0x" + Buffer.from(fromBase64url(jwk.y!)).toString("hex"));
    const ed = generateKeyPairSync("ed25519").publicKey.export({ format: "der", type: "spki" });
    expect(() => passkeyFromSpki(ed)).to.throw(/spki/);
  });

  it("writes base64url without padding and reads it back", function () {
    const bytes = new Uint8Array([251, 255, 190, 1]);
    expect(base64url(bytes)).to.equal("-_--AQ");
    expect([...fromBase64url("-_--AQ")]).to.deep.equal([...bytes]);
  });

  describe("checkAssertion", function () {
    const challenge = new Uint8Array(32).fill(9);
    async function assertion(tamper = {}): Promise<WebAuthnAssertion> {
      const auth = new SoftAuthenticator();
      auth.tamper = tamper;
      return auth.assert(challenge);
    }
    it("accepts a good assertion and refuses each defect by field", async function () {
      checkAssertion(await assertion(), challenge);
      expect(() => checkAssertion({ ...(assertionSync), authenticatorData: "0x00" }, challenge)).to.throw(/authenticatorData: shorter/);
      for (const [tamper, message] of [
        [{ flags: 0x01 }, /UP and UV/],
        [{ type: "webauthn.create" }, /webauthn\.get/],
        [{ challenge: new Uint8Array(32) }, /challenge/],
      ] as const) {
        expect(() => checkAssertion(assertionSync, challenge)).to.not.throw();
        const a = await assertion(tamper);
        expect(() => checkAssertion(a, challenge)).to.throw(message);
      }
      expect(() => checkAssertion({ ...assertionSync, clientDataJSON: "{" }, challenge)).to.throw(/clientDataJSON: is not JSON/);
    });
    let assertionSync: WebAuthnAssertion;
    before(async function () {
      assertionSync = await assertion();
    });
  });

  it("refuses batches that are empty, too long, or carry a bad call, naming the call's field", function () {
    expect(() => requireCalls([])).to.throw(/calls: a batch/);
    expect(() => requireCalls(Array(17).fill({ target: "0x" + "11".repeat(20) }))).to.throw(/calls: a batch/);
    expect(() => requireCalls([{ target: "0x12" }])).to.throw(/calls\[0\]\.target/);
    expect(() => requireCalls([{ target: "0x" + "11".repeat(20), value: -1n }])).to.throw(/calls\[0\]\.value/);
    expect(() => requireCalls([{ target: "0x" + "11".repeat(20), data: "0x1" }])).to.throw(/calls\[0\]\.data/);
  });

  describe("PasskeySigner", function () {
    it("nests typed data whose type does not sort first in ERC-7739's explicit mode, which the account accepts", async function () {
      const f = await loadFixture(accountsFixture);
      const domain = { name: "Another app", version: "3", chainId: f.chainId, verifyingContract: f.book.contracts.ConsentRegistry };
      const types = { Note: [{ name: "author", type: "Author" }, { name: "text", type: "string" }], Author: [{ name: "wallet", type: "address" }] };
      const value = { author: { wallet: f.address }, text: "second opinion requested" };
      const signature = await f.phoneSigner.signTypedData(domain, types, value);
      expect(await f.account.isValidSignature(TypedDataEncoder.hash(domain, types, value), signature)).to.equal("0x1626ba7e");
      expect((await rejection(f.phoneSigner.signTypedData(domain, { TypedDataSign: [{ name: "a", type: "uint256" }] }, { a: 1 }))).message).to.match(/types/);
      expect((await rejection(f.phoneSigner.signTypedData(domain, { A: [{ name: "a", type: "Missing" }] }, { a: 1 }))).message).to.match(/types: not EIP-712/);
    });

    it("never sends a transaction, needs a chain id, and refuses bad options by name", async function () {
      const f = await loadFixture(accountsFixture);
      expect((await rejection(f.phoneSigner.sendTransaction({ to: f.stranger.address }))).message).to.match(/PASSKEY_CANNOT_SEND|does not send/);
      const offline = new PasskeySigner({ account: f.address, passkey: f.phone.publicKey, verifier: f.verifierAddress, assert: f.phone.assert });
      expect((await rejection(offline.signMessage("hi"))).message).to.match(/provider or the chainId/);
      expect(await offline.connect(f.phoneSigner.provider).getAddress()).to.equal(f.address);
      expect(() => new PasskeySigner({ account: f.address, passkey: f.phone.publicKey, verifier: f.verifierAddress, assert: undefined as never })).to.throw(/assert/);
      expect(() => new PasskeySigner({ account: "0x12", passkey: f.phone.publicKey, verifier: f.verifierAddress, assert: f.phone.assert })).to.throw(/account/);
      expect(() => new PasskeySigner({ account: f.address, passkey: null as never, verifier: f.verifierAddress, assert: f.phone.assert })).to.throw(/passkey/);
      expect((await rejection(f.client.signExecute(f.signerOf(f.phone, f.stranger.address), { calls: [{ target: f.stranger.address }], deadline: 1 }))).message).to.match(/signer/);
    });
  });
});
