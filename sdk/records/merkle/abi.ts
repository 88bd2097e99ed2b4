/**
 * A fast `abi.encode` for leaves made of static ABI types (uintN, intN, address, bool, bytesN):
 * each value takes one 32-byte word, written straight into a byte buffer, with no intermediate hex
 * strings or objects. Dynamic types (string, bytes, arrays, tuples) are refused: use
 * `@openzeppelin/merkle-tree` for those (record leaves never need them).
 */
import { ValidationError } from "../../errors";

/** Writes one value's 32-byte word at `offset` of `out`. @throws {ValidationError} for a bad value */
type WordWriter = (value: unknown, out: Uint8Array, offset: number, field: string) => void;

/** A compiled leaf encoding: writes a leaf's values as `abi.encode` would. */
export interface LeafEncoder {
  /** The ABI types, as given. */
  readonly types: readonly string[];
  /** The encoded length in bytes (32 per value). */
  readonly size: number;
  /**
   * Writes `abi.encode(types, values)` at `offset` of `out`.
   * @throws {ValidationError} naming the value (`leaf[i]`) that does not fit its type
   */
  encode(values: readonly unknown[], out: Uint8Array, offset: number, leafIndex?: number): void;
}

const HEX_VALUE = (() => {
  const t = new Int8Array(128).fill(-1);
  for (let i = 0; i < 10; i++) t[48 + i] = i;
  for (let i = 0; i < 6; i++) {
    t[65 + i] = 10 + i;
    t[97 + i] = 10 + i;
  }
  return t;
})();

/** Decodes `chars` hex digits of `s` from `start` into `out` at `offset`; false when one is not hex. */
function writeHex(s: string, start: number, chars: number, out: Uint8Array, offset: number): boolean {
  for (let i = 0; i < chars; i += 2) {
    const hi = s.charCodeAt(start + i);
    const lo = s.charCodeAt(start + i + 1);
    const h = hi < 128 ? HEX_VALUE[hi] : -1;
    const l = lo < 128 ? HEX_VALUE[lo] : -1;
    if (h < 0 || l < 0) return false;
    out[offset + (i >> 1)] = (h << 4) | l;
  }
  return true;
}

function toBigInt(value: unknown, field: string): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === "string" && /^(0x[0-9a-fA-F]+|-?[0-9]+)$/.test(value)) return BigInt(value);
  throw new ValidationError(field, `${JSON.stringify(String(value))} is not an integer`);
}

/** Writes a non-negative integer below 2^256 as a big-endian word. */
function writeUint(v: bigint, out: Uint8Array, offset: number): void {
  out.fill(0, offset, offset + 32);
  if (v === 0n) return;
  if (v <= 0x1fffffffffffffn) {
    let n = Number(v);
    for (let i = 31; n > 0; i--) {
      out[offset + i] = n % 256;
      n = Math.floor(n / 256);
    }
    return;
  }
  let h = v.toString(16);
  if (h.length % 2) h = "0" + h;
  writeHex(h, 0, h.length, out, offset + 32 - h.length / 2);
}

function uintWriter(bits: number): WordWriter {
  const max = (1n << BigInt(bits)) - 1n;
  const maxNumber = bits >= 53 ? Number.MAX_SAFE_INTEGER : 2 ** bits - 1;
  return (value, out, offset, field) => {
    if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0 && value <= maxNumber) {
      out.fill(0, offset, offset + 32);
      let n = value;
      for (let i = 31; n > 0; i--) {
        out[offset + i] = n % 256;
        n = Math.floor(n / 256);
      }
      return;
    }
    const v = toBigInt(value, field);
    if (v < 0n || v > max) throw new ValidationError(field, `${v} does not fit uint${bits}`);
    writeUint(v, out, offset);
  };
}

function intWriter(bits: number): WordWriter {
  const min = -(1n << BigInt(bits - 1));
  const max = (1n << BigInt(bits - 1)) - 1n;
  return (value, out, offset, field) => {
    const v = toBigInt(value, field);
    if (v < min || v > max) throw new ValidationError(field, `${v} does not fit int${bits}`);
    writeUint(BigInt.asUintN(256, v), out, offset);
  };
}

const writeAddress: WordWriter = (value, out, offset, field) => {
  if (typeof value !== "string" || value.length !== 42 || value[0] !== "0" || (value[1] !== "x" && value[1] !== "X")) {
    throw new ValidationError(field, `${JSON.stringify(value)} is not an address`);
  }
  out.fill(0, offset, offset + 12);
  if (!writeHex(value, 2, 40, out, offset + 12)) throw new ValidationError(field, `${JSON.stringify(value)} is not an address`);
};

const writeBool: WordWriter = (value, out, offset, field) => {
  if (typeof value !== "boolean") throw new ValidationError(field, `${JSON.stringify(value)} is not a boolean`);
  out.fill(0, offset, offset + 32);
  out[offset + 31] = value ? 1 : 0;
};

function bytesWriter(size: number): WordWriter {
  return (value, out, offset, field) => {
    if (typeof value !== "string" || value.length !== 2 + 2 * size || value[0] !== "0" || (value[1] !== "x" && value[1] !== "X")) {
      throw new ValidationError(field, `${JSON.stringify(value)} is not a bytes${size} hex value`);
    }
    out.fill(0, offset + size, offset + 32);
    if (!writeHex(value, 2, 2 * size, out, offset)) throw new ValidationError(field, `${JSON.stringify(value)} is not a bytes${size} hex value`);
  };
}

function writerFor(type: string, index: number): WordWriter {
  let m: RegExpExecArray | null;
  if (type === "address") return writeAddress;
  if (type === "bool") return writeBool;
  if ((m = /^(u?)int(\d*)$/.exec(type))) {
    const bits = m[2] === "" ? 256 : Number(m[2]);
    if (bits >= 8 && bits <= 256 && bits % 8 === 0) return m[1] === "u" ? uintWriter(bits) : intWriter(bits);
  }
  if ((m = /^bytes(\d+)$/.exec(type))) {
    const size = Number(m[1]);
    if (size >= 1 && size <= 32) return bytesWriter(size);
  }
  throw new ValidationError(`leafEncoding[${index}]`, `${JSON.stringify(type)} is not a static ABI type this engine encodes (uintN, intN, address, bool, bytesN)`);
}

/**
 * Compiles a leaf encoding.
 * @throws {ValidationError} when the encoding is empty or has a type that is not static
 */
export function leafEncoder(types: readonly string[]): LeafEncoder {
  if (!Array.isArray(types) || types.length === 0) throw new ValidationError("leafEncoding", "a leaf encoding lists at least one ABI type");
  const writers = types.map((t, i) => writerFor(t, i));
  const k = writers.length;
  return {
    types: Object.freeze([...types]),
    size: 32 * k,
    encode(values, out, offset, leafIndex = 0) {
      if (!Array.isArray(values) || values.length !== k) {
        throw new ValidationError(`values[${leafIndex}]`, `a leaf has ${k} values (${types.join(", ")})`);
      }
      for (let i = 0; i < k; i++) writers[i](values[i], out, offset + 32 * i, `values[${leafIndex}][${i}]`);
    },
  };
}
