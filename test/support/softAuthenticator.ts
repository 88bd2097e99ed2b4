/**
 * A software WebAuthn authenticator for the tests: a P-256 key from node:crypto that answers
 * `navigator.credentials.get` as a platform authenticator does — real authenticator data (the RP id's
 * hash, flags UP and UV, a signature counter) and client data (`webauthn.get`, the challenge in
 * base64url, an origin), signed over `authenticatorData ‖ sha256(clientDataJSON)` and DER-encoded.
 * `tamper` makes it answer wrongly (a cleared flag, another type or challenge) for the refusal tests.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { concat, hexlify, toBeHex } from "ethers";
import { base64url, fromBase64url, type PasskeyPublicKey, type WebAuthnAssertion } from "../../sdk";

export const FLAG_UP = 0x01;
export const FLAG_UV = 0x04;

/** How to answer wrongly, for refusal tests. */
export interface Tamper {
  /** The flags byte instead of UP | UV. */
  readonly flags?: number;
  /** The client data's type instead of `webauthn.get`. */
  readonly type?: string;
  /** The challenge written in the client data instead of the one asked for. */
  readonly challenge?: Uint8Array;
}

export class SoftAuthenticator {
  readonly publicKey: PasskeyPublicKey;
  readonly rpId: string;
  readonly origin: string;
  /** The challenges it was asked to sign, in order. */
  readonly challenges: Uint8Array[] = [];
  /** The next assertion's tampering (cleared after it). */
  tamper: Tamper | undefined;
  readonly #privateKey: KeyObject;
  #counter = 0;

  constructor(options: { rpId?: string; origin?: string } = {}) {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = publicKey.export({ format: "jwk" });
    this.publicKey = { x: hexlify(fromBase64url(jwk.x!)), y: hexlify(fromBase64url(jwk.y!)) };
    this.#privateKey = privateKey;
    this.rpId = options.rpId ?? "portal.careledger.test";
    this.origin = options.origin ?? `https://${this.rpId}`;
  }

  /** The authenticator's answer to `challenge` (as an `assert` function: `(c) => auth.assert(c)`). */
  assert = async (challenge: Uint8Array): Promise<WebAuthnAssertion> => {
    this.challenges.push(challenge);
    const t = this.tamper ?? {};
    this.tamper = undefined;
    const rpIdHash = createHash("sha256").update(this.rpId).digest();
    const authenticatorData = concat([rpIdHash, toBeHex(t.flags ?? FLAG_UP | FLAG_UV, 1), toBeHex(++this.#counter, 4)]);
    const clientDataJSON = JSON.stringify({
      type: t.type ?? "webauthn.get",
      challenge: base64url(t.challenge ?? challenge),
      origin: this.origin,
      crossOrigin: false,
    });
    const clientDataHash = createHash("sha256").update(clientDataJSON).digest();
    const signed = Buffer.concat([Buffer.from(authenticatorData.slice(2), "hex"), clientDataHash]);
    const signature = sign("sha256", signed, { key: this.#privateKey, dsaEncoding: "der" });
    return { authenticatorData, clientDataJSON, signature: hexlify(signature) };
  };
}
