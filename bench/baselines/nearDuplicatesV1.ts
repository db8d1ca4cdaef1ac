/**
 * FROZEN BASELINE, not used by the pipeline: models/text/nearDuplicates.ts as it was before the
 * issue-12 speed-up (session 3), imports repointed. bench/nearDuplicatesSpeed.ts times it against the
 * current implementation in the same process, and test/unit/near-duplicates.test.ts checks that the
 * current one, with the same sketch and banding, makes exactly its decisions. Do not edit.
 */
/**
 * Near-duplicate detection with MinHash signatures and LSH banding.
 *
 * Only what the author wrote is compared (`shingleContent`): links, @mentions and retweet markers are
 * dropped, and a text with fewer than `minDistinctiveWords` distinctive words never joins a cluster,
 * so posts that share only boilerplate (a link, a mention, a tag set, "good morning") are not copies.
 *
 * Each text becomes a set of shingles (character n-grams by default: on tweet-length texts a
 * one-character edit changes at most n of ~100 character shingles but a whole run of word
 * shingles). A signature keeps, for each of `numHashes` seeded 32-bit hash functions, the
 * minimum hash over the shingles; two signatures agree at a position with probability equal to
 * the Jaccard similarity of the shingle sets. LSH splits the signature into `bands` of `rows`
 * values; texts that agree on a whole band land in the same bucket and become candidates, and a
 * candidate pair is accepted when the signature estimate of the Jaccard similarity reaches
 * `threshold`. Accepted pairs are merged with union-find, so clusters are transitive.
 *
 * Memory per indexed text is O(numHashes + bands): the signature is kept as 16-bit values
 * (b-bit minwise hashing, Li & König 2010: an accidental low-16-bit match has probability 2^-16,
 * which the estimate corrects for) and buckets live in one open-addressing table of typed arrays
 * with an intrusive linked list per bucket, so no JS object is allocated per text or per bucket.
 */

import { createRng } from '../../models/random';
import { STOPWORDS } from '../../models/topics/terms';
import { HASHTAG_SOURCE, MENTION_SOURCE, URL_SOURCE } from '../../models/text/normalize';
import { fmix32, hashInts, murmur32 } from '../../models/text/hash';

export type ShingleOptions = { kind: 'char'; size: number } | { kind: 'word'; size: number };

export interface NearDuplicateOptions {
  /** signature length; more hashes = tighter Jaccard estimate (std ≈ sqrt(J(1-J)/numHashes)) */
  numHashes?: number;
  /** LSH bands; omitted = chosen from numHashes and threshold (see `chooseBands`) */
  bands?: number;
  shingle?: ShingleOptions;
  /** minimum estimated Jaccard similarity of shingle sets for two texts to be near-duplicates */
  threshold?: number;
  seed?: number;
  /**
   * How many earlier members of one bucket a new text is compared with. Bounds the cost of huge
   * clusters (a spam campaign with 100k copies); since clusters are transitive, comparing with the
   * most recent members is enough to join the cluster.
   */
  maxBucketScan?: number;
  /**
   * A text with fewer distinctive words than this (see `shingleContent`) is indexed but never joins
   * a cluster: posts that share only boilerplate (a link, an @mention, a tag set, "good morning")
   * are not a campaign, and too little content cannot tell a copy from a coincidence.
   */
  minDistinctiveWords?: number;
  /**
   * Stop comparing two signatures as soon as the mismatches rule out the threshold (default true).
   * Exact: the accept/reject decision is the same as counting every position; false counts them all.
   */
  earlyExit?: boolean;
}

export const DEFAULT_NEAR_DUPLICATE_OPTIONS = {
  numHashes: 128,
  shingle: { kind: 'char', size: 5 } as ShingleOptions,
  threshold: 0.7,
  seed: 1,
  maxBucketScan: 64,
  minDistinctiveWords: 4,
  earlyExit: true,
} as const;

// ---------------------------------------------------------------------------------------------
// Hashing

// ---------------------------------------------------------------------------------------------
// Shingles

/**
 * Links without a scheme, as URL shorteners and some clients print them (bit.ly/3xYz, youtu.be/abc,
 * t.co/x): a dotted host name followed by a path.
 */
const BARE_LINK_SOURCE = String.raw`(?<![\p{L}\p{N}_@./])(?:[a-z0-9-]+\.)+[a-z]{2,}\/[^\s<>"'“”‘’]*`;
// URLs first, so a "#fragment" or "@" inside a link is removed with the link.
const LINK_OR_MENTION_RE = new RegExp(`${URL_SOURCE}|${BARE_LINK_SOURCE}|${MENTION_SOURCE}`, 'giu');
const HASHTAG_RE = new RegExp(HASHTAG_SOURCE, 'gu');
// A hashtag is marked with a private-use character while tokenizing, so it can be told from a word.
const TAG_MARK = '\ue000';
const NON_WORD_RE = /[^\p{L}\p{M}\p{N}'\ue000]+/gu;
const HAS_LETTER_RE = /\p{L}/u;
// Scripts written without spaces between words: one "token" is a whole phrase there.
const UNSPACED_SCRIPT_RE = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;

/**
 * Words that social posts share without sharing anything distinctive: greetings, thanks, praise,
 * calls to look or follow. They stay in the shingles (a copied greeting is still copied) but do not
 * count towards a post's distinctive content, so "good morning" or "thanks, love it" said by many
 * people is never a campaign. Nor do function words (the topic model's STOPWORDS).
 */
export const PHATIC_WORDS: ReadonlySet<string> = new Set(
  `good morning afternoon evening night nite day days today tonight tomorrow week weekend
  happy birthday bday hbd merry christmas xmas year thanks thank thx ty tysm welcome congrats congratulations
  hello hi hey hiya love loved loving lovely great nice awesome amazing cool wow best beautiful cute
  check follow followed following follower followers back retweet share shared link new post time
  friend friends guys girls fam haha hahaha hehe xoxo xx xo yay lmfao smh ikr btw`
    .split(/\s+/)
    .filter(Boolean),
);

/** Retweet and attribution markers ("RT @x:", "via @x", "cc @x", "h/t @x") and a stray "amp" from "&amp;". */
const MARKERS: ReadonlySet<string> = new Set(['rt', 'mt', 'via', 'cc', 'ht', 'amp']);

/** What a text contributes to near-duplicate detection. */
export interface ShingleContent {
  /** the words and hashtag words (without '#') in order, space-separated, markers removed: what is shingled */
  text: string;
  /**
   * distinct distinctive words: content words outside hashtags with a letter, 2+ characters, not in
   * PHATIC_WORDS; a token in a script written without spaces (Chinese, Japanese, Thai, …) counts one
   * per 2 characters, since there a token is a phrase
   */
  distinctiveWords: number;
}

/**
 * Reduces a post to what its author wrote. Links (with or without a scheme), @mentions and retweet /
 * via / cc markers are removed: copies of a post differ in exactly those (shortened links, who is
 * addressed, "RT @x:"), and unrelated posts share exactly those (the same link, the same @brand), so
 * keeping them would both hide copies and make strangers look alike.
 * Function words stay in the shingles: they carry the phrasing, which is what tells a copy from two
 * people naming the same things ("can't wait for Ed Sheeran on Saturday" / "wish I was going to Ed
 * Sheeran this Saturday" look like one template once "for, on, I, was, to, this" are gone; on the
 * SemEval tweets in 33k-post partitions, without them, and at the 0.65 threshold the planted
 * campaigns then needed, 16 removed posts were such look-alikes instead of 1).
 * Hashtags stay as words because tags are often part of the sentence ("#Tottenham boss …") and a
 * campaign's tags are part of its template, but they never count as distinctive content, so posts
 * that share a tag set and little else cannot join a campaign. Lowercased; combining marks kept so
 * words of every script stay whole.
 */
export function shingleContent(text: string): ShingleContent {
  const tokens = text
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc]/g, "'")
    .replace(LINK_OR_MENTION_RE, ' ')
    .replace(/\bh\/t\b/g, ' ')
    .replace(HASHTAG_RE, (tag) => ` ${TAG_MARK}${tag.slice(1)} `)
    .split(NON_WORD_RE);
  const words: string[] = [];
  const distinct = new Set<string>();
  let distinctiveWords = 0;
  for (const raw of tokens) {
    const isTag = raw.startsWith(TAG_MARK);
    const word = (isTag ? raw.slice(TAG_MARK.length) : raw).replace(/^'+|'+$/g, '');
    if (word.length === 0 || MARKERS.has(word)) continue;
    words.push(word);
    if (isTag || distinct.has(word) || STOPWORDS.has(word)) continue;
    distinct.add(word);
    if (word.length < 2 || !HAS_LETTER_RE.test(word) || PHATIC_WORDS.has(word)) continue;
    distinctiveWords += UNSPACED_SCRIPT_RE.test(word) ? Math.floor(word.length / 2) : 1;
  }
  return { text: words.join(' '), distinctiveWords };
}

/** The text that is shingled: `shingleContent(text).text`. */
export function normalizeForShingles(text: string): string {
  return shingleContent(text).text;
}

function hashNormalized(norm: string, shingle: ShingleOptions, seed: number): Uint32Array {
  if (norm.length === 0) return new Uint32Array(0);
  const size = Math.max(1, shingle.size | 0);
  if (shingle.kind === 'char') {
    const count = Math.max(1, norm.length - size + 1);
    const out = new Uint32Array(count);
    for (let i = 0; i < count; i++) out[i] = murmur32(norm, seed, i, Math.min(norm.length, i + size));
    return out;
  }
  const words = norm.split(' ');
  const wordHashes = new Uint32Array(words.length);
  for (let i = 0; i < words.length; i++) wordHashes[i] = murmur32(words[i], seed);
  const count = Math.max(1, words.length - size + 1);
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) out[i] = hashInts(wordHashes, i, Math.min(words.length, i + size), seed ^ 0x5bd1e995);
  return out;
}

/** 32-bit hashes of the text's shingles (with repeats). Texts shorter than one shingle yield one shingle of the whole text. */
export function shingleHashes(text: string, shingle: ShingleOptions, seed = 0): Uint32Array {
  return hashNormalized(normalizeForShingles(text), shingle, seed);
}

// ---------------------------------------------------------------------------------------------
// MinHash

export interface MinHasher {
  readonly numHashes: number;
  /** signature of a text (signed 32-bit minima: any fixed order of hash values works for MinHash) */
  signature(text: string): Int32Array;
  /** writes the signature into `out` and returns the number of shingles (0 for a text with no words: never a near-duplicate) */
  signatureInto(text: string, out: Int32Array): number;
  /** the same for a text already reduced by `normalizeForShingles` (`shingleContent(text).text`) */
  signatureOfNormalized(norm: string, out: Int32Array): number;
}

/**
 * Hash family h_i(x) = fmix32(a_i·x + b_i) with seeded odd a_i: each is a pseudo-random
 * permutation of the 32-bit space (fmix32 is a bijection), so its minimum over a set is a
 * uniformly random member. One multiply-add plus a finaliser per (shingle, hash) is the whole
 * per-text cost; the loop runs hash-major so the running minimum stays in a register.
 */
export function createMinHasher(numHashes: number, shingle: ShingleOptions, seed: number): MinHasher {
  if (!(numHashes >= 1)) throw new Error(`numHashes must be at least 1 (got ${numHashes})`);
  const rng = createRng(seed);
  const a = new Int32Array(numHashes);
  const b = new Int32Array(numHashes);
  for (let i = 0; i < numHashes; i++) {
    a[i] = Math.floor(rng.next() * 4294967296) | 1 | 0;
    b[i] = Math.floor(rng.next() * 4294967296) | 0;
  }
  const shingleSeed = Math.floor(rng.next() * 4294967296) | 0;
  const signatureOfNormalized = (norm: string, out: Int32Array): number => {
    const shingles = hashNormalized(norm, shingle, shingleSeed);
    const x = new Int32Array(shingles.buffer, shingles.byteOffset, shingles.length);
    const n = x.length;
    for (let i = 0; i < numHashes; i++) {
      const ai = a[i];
      const bi = b[i];
      let min = 0x7fffffff;
      for (let j = 0; j < n; j++) {
        let h = (Math.imul(ai, x[j]) + bi) | 0;
        h ^= h >>> 16;
        h = Math.imul(h, 0x85ebca6b);
        h ^= h >>> 13;
        h = Math.imul(h, 0xc2b2ae35);
        h ^= h >>> 16;
        if (h < min) min = h;
      }
      out[i] = min;
    }
    return n;
  };
  const signatureInto = (text: string, out: Int32Array): number => signatureOfNormalized(normalizeForShingles(text), out);
  return {
    numHashes,
    signatureInto,
    signatureOfNormalized,
    signature(text) {
      const out = new Int32Array(numHashes);
      signatureInto(text, out);
      return out;
    },
  };
}

/** Share of positions where two signatures agree: an unbiased estimate of the Jaccard similarity. */
export function estimateJaccard(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`signatures differ in length: ${a.length} vs ${b.length}`);
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return a.length === 0 ? 0 : same / a.length;
}

/** Exact Jaccard similarity of two texts' shingle sets (for tests and for checking the estimate). */
export function exactJaccard(x: string, y: string, shingle: ShingleOptions = DEFAULT_NEAR_DUPLICATE_OPTIONS.shingle): number {
  const a = new Set(shingleHashes(x, shingle));
  const b = new Set(shingleHashes(y, shingle));
  if (a.size === 0 && b.size === 0) return 0;
  let inter = 0;
  for (const h of a) if (b.has(h)) inter++;
  return inter / (a.size + b.size - inter);
}

/** P(pair with Jaccard s becomes an LSH candidate) = 1 - (1 - s^rows)^bands */
export function candidateProbability(s: number, bands: number, rows: number): number {
  return 1 - Math.pow(1 - Math.pow(s, rows), bands);
}

/**
 * Picks (bands, rows) with bands·rows ≤ numHashes: the most rows per band (fewest false
 * candidates, i.e. least verification work) such that a pair exactly at the threshold still
 * becomes a candidate with probability ≥ `recallAtThreshold`. Recall is what matters because
 * every candidate is verified against the signature afterwards; a false candidate only costs one
 * comparison.
 */
export function chooseBands(numHashes: number, threshold: number, recallAtThreshold = 0.99): { bands: number; rows: number } {
  for (let rows = numHashes; rows >= 1; rows--) {
    const bands = Math.floor(numHashes / rows);
    if (candidateProbability(threshold, bands, rows) >= recallAtThreshold) return { bands, rows };
  }
  return { bands: numHashes, rows: 1 };
}

// ---------------------------------------------------------------------------------------------
// Index

export interface AddResult {
  /** position of the text in insertion order */
  index: number;
  /** id of the first already-indexed text it was found to be a near-duplicate of, if any */
  duplicateOf: string | null;
}

export interface NearDuplicateIndex {
  readonly size: number;
  readonly bands: number;
  readonly rows: number;
  add(id: string, text: string): AddResult;
  /** ids of indexed texts that are near-duplicates of `text` (by signature estimate), without adding it */
  query(text: string): string[];
  /** cluster representative (earliest-added member) of the text at `index` */
  representative(index: number): number;
  /** clusters with at least `minSize` members (default 2), each as ids in insertion order, clusters ordered by their first member */
  clusters(minSize?: number): string[][];
  /** estimated Jaccard similarity of two indexed texts */
  similarity(i: number, j: number): number;
  id(index: number): string;
}

const SIG_BITS_CORRECTION = 1 / 65536;

/** Jaccard estimate from `same` agreeing positions of 16-bit signatures, corrected for accidental low-bit matches. */
function correctedEstimate(same: number, numHashes: number): number {
  return Math.max(0, (same / numHashes - SIG_BITS_CORRECTION) / (1 - SIG_BITS_CORRECTION));
}

/**
 * Fewest agreeing positions (of `numHashes`) whose corrected estimate reaches `threshold`; computed
 * with the very expression the full count uses, so the early exit decides exactly as it would.
 */
export function minAgreements(numHashes: number, threshold: number): number {
  for (let same = 0; same <= numHashes; same++) if (correctedEstimate(same, numHashes) >= threshold) return same;
  return numHashes + 1;
}

export function createNearDuplicateIndex(options: NearDuplicateOptions = {}): NearDuplicateIndex {
  const numHashes = options.numHashes ?? DEFAULT_NEAR_DUPLICATE_OPTIONS.numHashes;
  const threshold = options.threshold ?? DEFAULT_NEAR_DUPLICATE_OPTIONS.threshold;
  const shingle = options.shingle ?? DEFAULT_NEAR_DUPLICATE_OPTIONS.shingle;
  const seed = options.seed ?? DEFAULT_NEAR_DUPLICATE_OPTIONS.seed;
  const maxBucketScan = options.maxBucketScan ?? DEFAULT_NEAR_DUPLICATE_OPTIONS.maxBucketScan;
  const minDistinctiveWords = options.minDistinctiveWords ?? DEFAULT_NEAR_DUPLICATE_OPTIONS.minDistinctiveWords;
  const earlyExit = options.earlyExit ?? DEFAULT_NEAR_DUPLICATE_OPTIONS.earlyExit;
  if (!(threshold > 0 && threshold <= 1)) throw new Error(`threshold must be in (0, 1] (got ${threshold})`);
  if (!(minDistinctiveWords >= 0)) throw new Error(`minDistinctiveWords must be >= 0 (got ${minDistinctiveWords})`);
  const { bands, rows } =
    options.bands !== undefined ? { bands: options.bands, rows: Math.floor(numHashes / options.bands) } : chooseBands(numHashes, threshold);
  if (!(bands >= 1 && rows >= 1)) throw new Error(`bands must be between 1 and numHashes=${numHashes} (got ${options.bands})`);

  const hasher = createMinHasher(numHashes, shingle, seed);
  const sigBuf = new Int32Array(numHashes);
  const bandKeys = new Uint32Array(bands);

  const ids: string[] = [];
  let capacity = 1024;
  let sigs = new Uint16Array(capacity * numHashes);
  let parent = new Int32Array(capacity);
  let clusterSize = new Int32Array(capacity);
  let minMember = new Int32Array(capacity);
  let nextEntry = new Int32Array(capacity * bands); // linked list of (doc, band) entries within a bucket
  let empty = new Uint8Array(capacity);

  // open-addressing table: bucket key (band-salted hash of the band's rows) → most recent entry
  let tableSize = 4096;
  let tableKeys = new Uint32Array(tableSize);
  let tableHeads = new Int32Array(tableSize).fill(-1);
  let tableUsed = 0;

  const grow = () => {
    const c = capacity * 2;
    const s = new Uint16Array(c * numHashes);
    s.set(sigs);
    sigs = s;
    const p = new Int32Array(c);
    p.set(parent);
    parent = p;
    const cs = new Int32Array(c);
    cs.set(clusterSize);
    clusterSize = cs;
    const mm = new Int32Array(c);
    mm.set(minMember);
    minMember = mm;
    const ne = new Int32Array(c * bands);
    ne.set(nextEntry);
    nextEntry = ne;
    const em = new Uint8Array(c);
    em.set(empty);
    empty = em;
    capacity = c;
  };

  const slotOf = (key: number): number => {
    const mask = tableSize - 1;
    let slot = fmix32(key) & mask;
    while (tableHeads[slot] !== -1 && tableKeys[slot] !== key) slot = (slot + 1) & mask;
    return slot;
  };

  const rehash = () => {
    const oldKeys = tableKeys;
    const oldHeads = tableHeads;
    tableSize *= 2;
    tableKeys = new Uint32Array(tableSize);
    tableHeads = new Int32Array(tableSize).fill(-1);
    for (let i = 0; i < oldKeys.length; i++) {
      if (oldHeads[i] === -1) continue;
      const slot = slotOf(oldKeys[i]);
      tableKeys[slot] = oldKeys[i];
      tableHeads[slot] = oldHeads[i];
    }
  };

  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  };

  const union = (x: number, y: number): void => {
    let rx = find(x);
    let ry = find(y);
    if (rx === ry) return;
    if (clusterSize[rx] < clusterSize[ry]) [rx, ry] = [ry, rx];
    parent[ry] = rx;
    clusterSize[rx] += clusterSize[ry];
    if (minMember[ry] < minMember[rx]) minMember[rx] = minMember[ry];
  };

  const minSame = minAgreements(numHashes, threshold);
  const maxMismatches = numHashes - minSame;
  /** whether the signature estimate of the Jaccard similarity to `doc` reaches the threshold */
  const meetsThreshold = (sig: Int32Array, doc: number): boolean => {
    const off = doc * numHashes;
    if (earlyExit) {
      // Once more positions disagree than the threshold allows, the rest cannot change the answer.
      let mismatches = 0;
      for (let i = 0; i < numHashes; i++) if ((sig[i] & 0xffff) !== sigs[off + i] && ++mismatches > maxMismatches) return false;
      return true;
    }
    let same = 0;
    for (let i = 0; i < numHashes; i++) if ((sig[i] & 0xffff) === sigs[off + i]) same++;
    return correctedEstimate(same, numHashes) >= threshold;
  };

  const computeBandKeys = (sig: Int32Array) => {
    for (let b = 0; b < bands; b++) bandKeys[b] = hashInts(sig, b * rows, (b + 1) * rows, b + 0x9747b28c);
  };

  /** visits earlier texts sharing a bucket with `sig`, at most maxBucketScan per band; stops when visit returns true */
  const scanCandidates = (visit: (doc: number) => boolean | void) => {
    for (let b = 0; b < bands; b++) {
      const slot = slotOf(bandKeys[b]);
      let entry = tableHeads[slot];
      for (let seen = 0; entry !== -1 && seen < maxBucketScan; seen++) {
        if (visit((entry / bands) | 0) === true) return;
        entry = nextEntry[entry];
      }
    }
  };

  const index: NearDuplicateIndex = {
    get size() {
      return ids.length;
    },
    bands,
    rows,
    add(id, text) {
      const doc = ids.length;
      if (doc === capacity) grow();
      ids.push(id);
      parent[doc] = doc;
      clusterSize[doc] = 1;
      minMember[doc] = doc;
      const sig = sigBuf;
      const content = shingleContent(text);
      // Too little distinctive content: kept out of every bucket, so it never joins or seeds a cluster.
      const shingles = content.distinctiveWords < minDistinctiveWords ? 0 : hasher.signatureOfNormalized(content.text, sig);
      const off = doc * numHashes;
      if (shingles === 0) {
        empty[doc] = 1;
        return { index: doc, duplicateOf: null };
      }
      for (let i = 0; i < numHashes; i++) sigs[off + i] = sig[i] & 0xffff;
      computeBandKeys(sig);
      let firstMatch = -1;
      scanCandidates((other) => {
        if (find(other) === find(doc)) return;
        if (meetsThreshold(sig, other)) {
          if (firstMatch === -1 || other < firstMatch) firstMatch = other;
          union(doc, other);
        }
      });
      for (let b = 0; b < bands; b++) {
        const slot = slotOf(bandKeys[b]);
        const entry = doc * bands + b;
        if (tableHeads[slot] === -1) {
          tableKeys[slot] = bandKeys[b];
          tableUsed++;
          nextEntry[entry] = -1;
        } else {
          nextEntry[entry] = tableHeads[slot];
        }
        tableHeads[slot] = entry;
        if (tableUsed * 2 > tableSize) rehash();
      }
      return { index: doc, duplicateOf: firstMatch === -1 ? null : ids[firstMatch] };
    },
    query(text) {
      const sig = new Int32Array(numHashes);
      const content = shingleContent(text);
      if (content.distinctiveWords < minDistinctiveWords || hasher.signatureOfNormalized(content.text, sig) === 0) return [];
      computeBandKeys(sig);
      const found = new Set<number>();
      scanCandidates((other) => {
        if (!found.has(other) && meetsThreshold(sig, other)) found.add(other);
      });
      return [...found].sort((x, y) => x - y).map((d) => ids[d]);
    },
    representative(i) {
      return minMember[find(i)];
    },
    clusters(minSize = 2) {
      const byRoot = new Map<number, string[]>();
      const order: number[] = [];
      for (let d = 0; d < ids.length; d++) {
        const r = find(d);
        if (clusterSize[r] < minSize) continue;
        let members = byRoot.get(r);
        if (!members) {
          members = [];
          byRoot.set(r, members);
          order.push(r);
        }
        members.push(ids[d]);
      }
      return order.map((r) => byRoot.get(r)!);
    },
    similarity(i, j) {
      if (empty[i] || empty[j]) return 0;
      let same = 0;
      const oi = i * numHashes;
      const oj = j * numHashes;
      for (let h = 0; h < numHashes; h++) if (sigs[oi + h] === sigs[oj + h]) same++;
      return correctedEstimate(same, numHashes);
    },
    id(i) {
      return ids[i];
    },
  };
  return index;
}

export interface NearDuplicateAssignment {
  id: string;
  /** id of the earliest item of this item's cluster (the item's own id when it has no near-duplicate) */
  clusterId: string;
  clusterSize: number;
  /** true when the cluster has another member: the flag user profiles and bot scores consume */
  nearDuplicate: boolean;
  /** the other members' ids, at most `maxListed` of them (huge spam clusters would otherwise make this quadratic) */
  duplicates: string[];
}

/**
 * One-shot convenience: indexes the items in order and returns, aligned with the input, each
 * item's cluster and near-duplicates, plus the clusters of two or more.
 */
export function findNearDuplicates(
  items: readonly { id: string; text: string }[],
  options: NearDuplicateOptions & { maxListed?: number } = {},
): { assignments: NearDuplicateAssignment[]; clusters: string[][] } {
  const maxListed = options.maxListed ?? 50;
  const index = createNearDuplicateIndex(options);
  for (const item of items) index.add(item.id, item.text);
  const members = new Map<number, number[]>();
  for (let i = 0; i < items.length; i++) {
    const rep = index.representative(i);
    let list = members.get(rep);
    if (!list) members.set(rep, (list = []));
    list.push(i);
  }
  const assignments = items.map((item, i): NearDuplicateAssignment => {
    const rep = index.representative(i);
    const list = members.get(rep)!;
    const duplicates: string[] = [];
    for (const j of list) {
      if (duplicates.length >= maxListed) break;
      if (j !== i) duplicates.push(items[j].id);
    }
    return { id: item.id, clusterId: items[rep].id, clusterSize: list.length, nearDuplicate: list.length > 1, duplicates };
  });
  return { assignments, clusters: index.clusters(2) };
}
