/**
 * MinHash signatures in WebAssembly SIMD: the same values as the JavaScript loop in
 * nearDuplicates.ts `createMinHasher` (out[i] = min over shingles x of fmix32(a_i·x + b_i), signed
 * 32-bit), eight hash functions per pass in two 128-bit vectors. On the simulated posts it computes a
 * 128-value signature ~6x faster than the JavaScript loop (2.5 vs 16 µs per post; session 3), which
 * was ~40% of near-duplicate detection. Source: minhashKernel.wat next to this file (its header says
 * how the bytes below were built).
 */

const MINHASH_WASM =
  'AGFzbQEAAAABCgFgBn9/f39/fwADAgEABQMBAAEHFAIGbWVtb3J5AgAHbWluaGFzaAAACu0CAeoCAwJ/C3sBf0HrlK+veP0RIRFBtdzKlXz9ESESIAAgAUECdGohE0EAIQYCQANAIAYgBU8NASACIAZBAnRq/QAEACEIIAMgBkECdGr9AAQAIQkgAiAGQQJ0av0ABBAhCiADIAZBAnRq/QAEECELQf////8H/REhDEH/////B/0RIQ0gACEHAkADQCAHIBNPDQEgB/0JAgAhECAIIBD9tQEgCf2uASEOIAogEP21ASAL/a4BIQ8gDiAOQRD9rQH9USEOIA8gD0EQ/a0B/VEhDyAOIBH9tQEhDiAPIBH9tQEhDyAOIA5BDf2tAf1RIQ4gDyAPQQ39rQH9USEPIA4gEv21ASEOIA8gEv21ASEPIA4gDkEQ/a0B/VEhDiAPIA9BEP2tAf1RIQ8gDCAO/bYBIQwgDSAP/bYBIQ0gB0EEaiEHDAALCyAEIAZBAnRqIAz9CwQAIAQgBkECdGogDf0LBBAgBkEIaiEGDAALCws=';

let compiled: WebAssembly.Module | null | undefined;

/** The compiled kernel, or null where WebAssembly SIMD is unavailable (callers then use JavaScript). */
function kernelModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(Buffer.from(MINHASH_WASM, 'base64'));
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

export interface MinHashKernel {
  /**
   * Room for `count` 32-bit shingle hashes: the returned array (a view of the kernel's memory, valid
   * until the next call of `shingleBuffer`) is where `signature` reads them from.
   */
  shingleBuffer(count: number): Uint32Array;
  /** out[i] = min over the first `count` values x of shingleBuffer of fmix32(a[i]·x + b[i]), for all numHashes positions */
  signature(count: number, out: Int32Array): void;
}

const PAGE = 65536;

/**
 * A kernel for fixed multipliers `a` and offsets `b` (one per hash function; their length must be
 * a multiple of 8), or null when WebAssembly SIMD is unavailable or the length does not fit.
 */
export function createMinHashKernel(a: Int32Array, b: Int32Array): MinHashKernel | null {
  const k = a.length;
  if (k === 0 || k % 8 !== 0 || b.length !== k) return null;
  const module = kernelModule();
  if (!module) return null;
  const instance = new WebAssembly.Instance(module, {});
  const memory = instance.exports.memory as WebAssembly.Memory;
  const minhash = instance.exports.minhash as (x: number, n: number, a: number, b: number, out: number, k: number) => void;
  // layout: a | b | out | shingles
  const aAt = 0;
  const bAt = 4 * k;
  const outAt = 8 * k;
  const xAt = 12 * k;
  const need = (count: number) => xAt + 4 * count;
  if (memory.buffer.byteLength < need(1024)) memory.grow(Math.ceil((need(1024) - memory.buffer.byteLength) / PAGE));
  new Int32Array(memory.buffer, aAt, k).set(a);
  new Int32Array(memory.buffer, bAt, k).set(b);
  let shingles = new Uint32Array(memory.buffer, xAt, (memory.buffer.byteLength - xAt) >> 2);
  let out32 = new Int32Array(memory.buffer, outAt, k);
  return {
    shingleBuffer(count) {
      if (count > shingles.length) {
        memory.grow(Math.ceil((need(count) - memory.buffer.byteLength) / PAGE));
        shingles = new Uint32Array(memory.buffer, xAt, (memory.buffer.byteLength - xAt) >> 2);
        out32 = new Int32Array(memory.buffer, outAt, k);
      }
      return shingles;
    },
    signature(count, out) {
      minhash(xAt, count, aAt, bAt, outAt, k);
      out.set(out32);
    },
  };
}
