/**
 * keccak-256 for the Merkle engine, fast enough for a million leaves.
 *
 * Measured on the project's 2-core machines (hashes of 64 bytes per second): `@noble/hashes` and
 * `ethers.keccak256` (pure JS) 75,000–200,000; `hash-wasm`'s public `createKeccak` API ≈ 500,000
 * (the WebAssembly is fast; its JavaScript wrapper allocates and makes three calls per hash); the
 * same hash-wasm WebAssembly module called once per hash through its one-shot `Hash_Calculate`
 * export, reading and writing its I/O buffer in place, ≈ 1,000,000. The engine uses the latter: the
 * module is hash-wasm's own audited binary (hash-wasm is pinned to an exact version in
 * package.json), instantiated here synchronously. If it cannot be found or fails its self-test,
 * the engine falls back to ethers' keccak256 (same results, slower) and says so in `backend`.
 */
import * as fs from "node:fs";
import { getBytes, keccak256 } from "ethers";

/** A keccak-256 engine working in place on one I/O buffer. */
export interface Keccak256 {
  /** Which implementation runs: hash-wasm's WebAssembly module, or ethers' pure-JS fallback. */
  readonly backend: "wasm" | "js";
  /** The I/O buffer: write the input at offset 0, call {@link Keccak256.hash}, read the digest at 0..32. */
  readonly io: Uint8Array;
  /** The largest input {@link Keccak256.hash} accepts, in bytes. */
  readonly maxInput: number;
  /** Hashes `io[0, length)` and writes the 32-byte digest to `io[0, 32)`. */
  hash(length: number): void;
}

/** keccak256("") — the engine's self-test. */
const EMPTY_DIGEST = "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470";
const IO_SIZE = 16 * 1024;

interface HashWasmExports {
  readonly memory: { readonly buffer: ArrayBuffer };
  Hash_GetBuffer(): number;
  Hash_Calculate(length: number, bits: number, padding: number): void;
}

/** The part of the WebAssembly API used here (the project's TypeScript lib has no DOM types). */
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: object) => { readonly exports: unknown };
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** Loads hash-wasm's SHA-3/Keccak module (Keccak is SHA-3 with padding byte 0x01). */
function loadWasm(): Keccak256 | undefined {
  try {
    const source = fs.readFileSync(require.resolve("hash-wasm/dist/index.umd.js"), "utf8");
    const m = /var name\$(\w*) = "sha3";\s*var data\$\1 = "([A-Za-z0-9+/=]+)"/.exec(source);
    if (!m) return undefined;
    const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
    if (!wasm) return undefined;
    const instance = new wasm.Instance(new wasm.Module(Buffer.from(m[2], "base64")), {});
    const ex = instance.exports as unknown as HashWasmExports;
    const io = new Uint8Array(ex.memory.buffer, ex.Hash_GetBuffer(), IO_SIZE);
    const engine: Keccak256 = {
      backend: "wasm",
      io,
      maxInput: IO_SIZE,
      hash(length: number): void {
        ex.Hash_Calculate(length, 256, 0x01);
      },
    };
    engine.hash(0);
    return hex(io.subarray(0, 32)) === EMPTY_DIGEST ? engine : undefined;
  } catch {
    return undefined;
  }
}

function loadJs(): Keccak256 {
  const io = new Uint8Array(IO_SIZE);
  return {
    backend: "js",
    io,
    maxInput: IO_SIZE,
    hash(length: number): void {
      io.set(getBytes(keccak256(io.subarray(0, length))), 0);
    },
  };
}

let engine: Keccak256 | undefined;

/**
 * The process's keccak-256 engine (created once). Not re-entrant: callers must finish reading the
 * digest before the next call, which the synchronous Merkle engine always does.
 */
export function keccakEngine(): Keccak256 {
  return (engine ??= loadWasm() ?? loadJs());
}

/** The pure-JS engine, for tests that compare both backends. */
export function jsKeccakEngine(): Keccak256 {
  return loadJs();
}

let ethersRegistered = false;

/**
 * Makes ethers' `keccak256` (and so its typed-data hashes, checksums and ids) use hash-wasm's module,
 * in an instance of its own (never the Merkle engine's buffer), with ethers' own function for inputs
 * past the module's buffer: the same digests, about ten times faster for short inputs
 * (`throughput.crypto.keccak128Micros.*` in reports/gateway.json). Process-wide, through ethers'
 * `keccak256.register`; for a service's process (the gateway), not for a library to do behind its
 * user's back. Returns which implementation ethers now uses.
 */
export function useWasmKeccakInEthers(): "wasm" | "js" {
  if (ethersRegistered) return "wasm";
  const wasm = loadWasm();
  if (wasm === undefined) return "js";
  const js = keccak256._;
  keccak256.register((data: Uint8Array): Uint8Array => {
    if (data.length > wasm.maxInput) return js(data);
    wasm.io.set(data, 0);
    wasm.hash(data.length);
    return wasm.io.slice(0, 32);
  });
  ethersRegistered = true;
  return "wasm";
}
