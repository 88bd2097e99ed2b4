/**
 * Records at rest: each record is sealed with AES-256-GCM under its own data key, and the data key is
 * wrapped by the organization's master key through a {@link KeyProvider} — a small interface a KMS or
 * an HSM can implement (wrap, unwrap). The built-in provider holds a master key from the environment.
 * Deleting a record's wrapped key (crypto-shredding) leaves nothing that can open it.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "crypto";

/** What wraps and unwraps data keys. `context` is bound to the wrapping (authenticated, not secret). */
export interface KeyProvider {
  /** Names the master key, stored beside each wrapped key (for rotation). */
  readonly keyId: string;
  wrap(dataKey: Buffer, context: string): Promise<Buffer>;
  unwrap(wrapped: Buffer, context: string, keyId: string): Promise<Buffer>;
}

const IV = 12;
const TAG = 16;

/** AES-256-GCM of `plaintext` under `key`, bound to `aad`: iv ‖ tag ‖ ciphertext. */
export function seal(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const iv = randomBytes(IV);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

/**
 * Opens what {@link seal} sealed.
 * @throws when the key, the associated data or any byte is wrong
 */
export function open(key: Buffer, sealed: Buffer, aad: string): Buffer {
  const decipher = createDecipheriv("aes-256-gcm", key, sealed.subarray(0, IV));
  decipher.setAAD(Buffer.from(aad, "utf8"));
  decipher.setAuthTag(sealed.subarray(IV, IV + TAG));
  return Buffer.concat([decipher.update(sealed.subarray(IV + TAG)), decipher.final()]);
}

/** A fresh 256-bit data key. */
export function newDataKey(): Buffer {
  return randomBytes(32);
}

/** A master key held in memory (from `GATEWAY_MASTER_KEY`: 32 bytes, hex). */
export class LocalKeyProvider implements KeyProvider {
  readonly keyId: string;
  readonly #key: Buffer;

  /** @throws {Error} when the key is not 32 bytes of hex */
  constructor(masterKeyHex: string, keyId = "local-1") {
    const hex = masterKeyHex.startsWith("0x") ? masterKeyHex.slice(2) : masterKeyHex;
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error("the master key is not 32 bytes of hex (64 hex digits)");
    this.#key = Buffer.from(hex, "hex");
    this.keyId = keyId;
  }

  async wrap(dataKey: Buffer, context: string): Promise<Buffer> {
    return seal(this.#key, dataKey, `wrap:${context}`);
  }

  async unwrap(wrapped: Buffer, context: string, keyId: string): Promise<Buffer> {
    if (keyId !== this.keyId) throw new Error(`the record's key was wrapped by master key ${keyId}, not ${this.keyId}`);
    return open(this.#key, wrapped, `wrap:${context}`);
  }
}

/**
 * A paging cursor: a position (a row's sequence number) sealed under the organization's key, so a
 * requester learns nothing from it (not how many records were passed over, nor how many are held).
 */
export async function sealCursor(keys: KeyProvider, seq: bigint): Promise<string> {
  const raw = Buffer.alloc(8);
  raw.writeBigUInt64BE(seq);
  return (await keys.wrap(raw, "cursor")).toString("base64url");
}

/** The position a {@link sealCursor} cursor holds (0n for none). @throws {Error} for anything else */
export async function openCursor(keys: KeyProvider, cursor: string | undefined): Promise<bigint> {
  if (cursor === undefined) return 0n;
  const raw = await keys.unwrap(Buffer.from(cursor, "base64url"), "cursor", keys.keyId);
  if (raw.length !== 8) throw new Error("not a cursor");
  return raw.readBigUInt64BE(0);
}
