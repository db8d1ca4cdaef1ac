/**
 * 32-bit hashing shared by the near-duplicate index (shingles, MinHash) and the sentiment classifier
 * (feature hashing). MurmurHash3 (Austin Appleby, public domain: github.com/aappleby/smhasher) mixing,
 * one UTF-16 code unit or one integer per block, so no substring or byte buffer is allocated.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** MurmurHash3 finaliser: a bijection on 32-bit integers with full avalanche. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function mixBlock(h: number, k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** MurmurHash3-style 32-bit hash of s[start, end) taking one UTF-16 code unit per block (no substring allocation). */
export function murmur32(s: string, seed = 0, start = 0, end = s.length): number {
  let h = seed | 0;
  for (let i = start; i < end; i++) h = mixBlock(h, s.charCodeAt(i));
  return fmix32(h ^ (end - start));
}

export function hashInts(values: ArrayLike<number>, start: number, end: number, seed: number): number {
  let h = seed | 0;
  for (let i = start; i < end; i++) h = mixBlock(h, values[i]);
  return fmix32(h ^ (end - start));
}
