/**
 * Near-duplicate detection with MinHash signatures and LSH banding.
 *
 * Only what the author wrote is compared (`shingleContent`): links, @mentions and retweet markers are
 * dropped, styled letters (𝗯𝗼𝗹𝗱, ｆｕｌｌｗｉｄｔｈ: normalize.ts foldStyledLetters) are read as plain ones, every number
 * reads as one word (a campaign's copies change their amounts and prices), and a text with fewer than `minDistinctiveWords` distinctive words never joins a cluster,
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
 *
 * Cost per text on the simulated posts, whose templated texts make many candidates (session 3,
 * ~23 µs of CPU per post on this machine): scanning and verifying candidates and inserting the
 * band entries ~55%, `shingleContent` ~25%, the signature ~15% (a WebAssembly SIMD kernel,
 * minhashKernel.ts). A candidate met in several bands is compared once, the comparison counts two
 * 16-bit positions per 32-bit XOR without branches. (Reusing the signature of an identical content
 * text was measured and dropped: with the kernel, the Map lookup cost more than it saved.)
 * bench/nearDuplicatesSpeed.ts measures it against the previous
 * implementation (bench/baselines/nearDuplicatesV1.ts), whose decisions it keeps except for the banding.
 */

import { createRng } from '../random';
import { STOPWORDS } from '../topics/terms';
import { foldStyledLetters, HASHTAG_SOURCE, isAscii, MENTION_SOURCE, URL_SOURCE } from './normalize';
import { fmix32, hashInts, murmur32 } from './hash';
import { createMinHashKernel } from './minhashKernel';

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
   * Texts the index makes room for up front (default 1024); past it, its arrays double. A caller that knows how many
   * texts come (preprocess: the partition's record count) saves the doubling's copies and its unused half: at 36k
   * posts, 25 MB of typed arrays instead of 43.
   */
  initialCapacity?: number;
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
  // Styled letters are the letters they stand for (normalize.ts foldStyledLetters, as preprocess writes them):
  // 𝗜𝗻𝘀𝘁𝗮𝗴𝗿𝗮𝗺, Ｉｎｓｔａ and ⓘⓝⓢⓣⓐ are how a campaign keeps its copies from looking alike. (Full NFKC on every
  // non-ASCII text cost 45% of the speed on real tweets.)
  let t = foldStyledLetters(text)
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc]/g, "'");
  // Each replacement runs only when the text holds a character its pattern needs (a link needs '/' or
  // "www.", a mention '@', a tag '#' or '＃'): the same result, without running the costly Unicode
  // patterns over the many posts that have none. (These prerequisites follow URL_SOURCE, MENTION_SOURCE
  // and HASHTAG_SOURCE in normalize.ts and BARE_LINK_SOURCE above: revisit them if those change.)
  const hasSlash = t.includes('/');
  if (hasSlash || t.includes('@') || t.includes('www.')) t = t.replace(LINK_OR_MENTION_RE, ' ');
  if (hasSlash) t = t.replace(/\bh\/t\b/g, ' ');
  if (t.includes('#') || t.includes('＃')) t = t.replace(HASHTAG_RE, (tag) => ` ${TAG_MARK}${tag.slice(1)} `);
  const tokens = splitWords(t);
  const words: string[] = [];
  const distinct = new Set<string>();
  let distinctiveWords = 0;
  for (const raw of tokens) {
    if (raw.length === 0) continue;
    const isTag = raw.charCodeAt(0) === TAG_MARK_CODE;
    let word = isTag ? raw.slice(TAG_MARK.length) : raw;
    if (word.charCodeAt(0) === APOSTROPHE || word.charCodeAt(word.length - 1) === APOSTROPHE) word = word.replace(/^'+|'+$/g, '');
    if (word.length === 0 || MARKERS.has(word)) continue;
    // Every number is one word: a campaign's copies differ in their amounts, prices and counts ("buy 2500 followers
    // for $9" / "buy 5000 followers for $15"), and a number never counts as distinctive content anyway.
    words.push(isDigits(word) ? '0' : word);
    if (isTag || distinct.has(word) || STOPWORDS.has(word)) continue;
    distinct.add(word);
    if (word.length < 2 || PHATIC_WORDS.has(word)) continue;
    const ascii = isAscii(word);
    if (ascii ? !hasAsciiLetter(word) : !HAS_LETTER_RE.test(word)) continue;
    distinctiveWords += !ascii && UNSPACED_SCRIPT_RE.test(word) ? Math.floor(word.length / 2) : 1;
  }
  return { text: words.join(' '), distinctiveWords };
}

/** Whether a code point is part of a word: a letter, mark or number, an apostrophe, or TAG_MARK. */
const WORD_CODE_POINT_RE = /^[\p{L}\p{M}\p{N}'\ue000]$/u;
/** per BMP code unit: 0 = not classified yet, 1 = word character, 2 = separator */
const bmpClass = new Uint8Array(0x10000);
const astralIsWord = new Map<number, boolean>();

function isWordCodePoint(cp: number): boolean {
  if (cp < 0x10000) {
    let c = bmpClass[cp];
    if (c === 0) bmpClass[cp] = c = WORD_CODE_POINT_RE.test(String.fromCharCode(cp)) ? 1 : 2;
    return c === 1;
  }
  let w = astralIsWord.get(cp);
  if (w === undefined) astralIsWord.set(cp, (w = WORD_CODE_POINT_RE.test(String.fromCodePoint(cp))));
  return w;
}

/**
 * The maximal runs of word code points (see isWordCodePoint): `text.split(/[^\p{L}\p{M}\p{N}'\ue000]+/u)` without its
 * empty strings, several times faster because each code point's class is looked up in a table
 * instead of matched against Unicode property classes. A lone surrogate is a separator, as there.
 */
function splitWords(text: string): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i < text.length;) {
    const cu = text.charCodeAt(i);
    let cp = cu;
    let width = 1;
    if (cu >= 0xd800 && cu <= 0xdbff && i + 1 < text.length) {
      const lo = text.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        cp = ((cu - 0xd800) << 10) + (lo - 0xdc00) + 0x10000;
        width = 2;
      }
    }
    const word = cp < 0xd800 || cp > 0xdfff ? isWordCodePoint(cp) : false;
    if (word) {
      if (start === -1) start = i;
    } else if (start !== -1) {
      out.push(text.slice(start, i));
      start = -1;
    }
    i += width;
  }
  if (start !== -1) out.push(text.slice(start));
  return out;
}

const TAG_MARK_CODE = TAG_MARK.charCodeAt(0);
const APOSTROPHE = 39;

/** Whether a word is ASCII digits only. */
function isDigits(word: string): boolean {
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Whether an ASCII word has a letter (a lowercased word: a-z; A-Z too, as HAS_LETTER_RE would say). */
function hasAsciiLetter(word: string): boolean {
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i) | 0x20;
    if (c >= 97 && c <= 122) return true;
  }
  return false;
}

/** The text that is shingled: `shingleContent(text).text`. */
export function normalizeForShingles(text: string): string {
  return shingleContent(text).text;
}

/**
 * Writes the 32-bit hashes of `norm`'s shingles into `out` (grown when too small; the possibly new
 * buffer is returned with the count), so the index hashes every post into one reused buffer.
 */
function hashNormalizedInto(norm: string, shingle: ShingleOptions, seed: number, out: Uint32Array): { out: Uint32Array; count: number } {
  if (norm.length === 0) return { out, count: 0 };
  const size = Math.max(1, shingle.size | 0);
  if (shingle.kind === 'char') {
    const count = Math.max(1, norm.length - size + 1);
    if (out.length < count) out = new Uint32Array(Math.max(count, out.length * 2));
    for (let i = 0; i < count; i++) out[i] = murmur32(norm, seed, i, Math.min(norm.length, i + size));
    return { out, count };
  }
  const words = norm.split(' ');
  const wordHashes = new Uint32Array(words.length);
  for (let i = 0; i < words.length; i++) wordHashes[i] = murmur32(words[i], seed);
  const count = Math.max(1, words.length - size + 1);
  if (out.length < count) out = new Uint32Array(Math.max(count, out.length * 2));
  for (let i = 0; i < count; i++) out[i] = hashInts(wordHashes, i, Math.min(words.length, i + size), seed ^ 0x5bd1e995);
  return { out, count };
}

function hashNormalized(norm: string, shingle: ShingleOptions, seed: number): Uint32Array {
  const { out, count } = hashNormalizedInto(norm, shingle, seed, new Uint32Array(0));
  return out.length === count ? out : out.slice(0, count);
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
 * `useKernel` (default true) computes the same values with the WebAssembly SIMD kernel
 * (minhashKernel.ts) when numHashes is a multiple of 8; false always runs the JavaScript loop.
 */
export function createMinHasher(numHashes: number, shingle: ShingleOptions, seed: number, useKernel = true): MinHasher {
  if (!(numHashes >= 1)) throw new Error(`numHashes must be at least 1 (got ${numHashes})`);
  const rng = createRng(seed);
  const a = new Int32Array(numHashes);
  const b = new Int32Array(numHashes);
  for (let i = 0; i < numHashes; i++) {
    a[i] = Math.floor(rng.next() * 4294967296) | 1 | 0;
    b[i] = Math.floor(rng.next() * 4294967296) | 0;
  }
  const shingleSeed = Math.floor(rng.next() * 4294967296) | 0;
  // The WebAssembly SIMD kernel computes the same values ~6x faster; the loop below is the fallback
  // (no SIMD, or numHashes not a multiple of 8) and the definition.
  const kernel = useKernel ? createMinHashKernel(a, b) : null;
  let shingleBuf: Uint32Array = new Uint32Array(256);
  let shingleView = new Int32Array(shingleBuf.buffer); // signed view: the minima are taken as signed 32-bit values
  // h_i(x) = fmix32(a_i·x + b_i); the same expression for each hash function of a pass
  const signatureOfNormalized = (norm: string, out: Int32Array): number => {
    if (kernel) {
      // a text of L characters has at most L shingles (of either kind), so the buffer never reallocates
      const { count } = hashNormalizedInto(norm, shingle, shingleSeed, kernel.shingleBuffer(Math.max(1, norm.length)));
      kernel.signature(count, out);
      return count;
    }
    const hashed = hashNormalizedInto(norm, shingle, shingleSeed, shingleBuf);
    if (hashed.out !== shingleBuf) {
      shingleBuf = hashed.out;
      shingleView = new Int32Array(shingleBuf.buffer);
    }
    const x = shingleView;
    const n = hashed.count;
    // The definition the kernel reproduces; a fallback only (no WebAssembly SIMD, or numHashes not a multiple of 8),
    // so it stays the plain loop. Minima are taken as signed 32-bit values, like the kernel's.
    for (let i = 0; i < numHashes; i++) {
      const ai = a[i];
      const bi = b[i];
      let min = 0x7fffffff;
      for (let j = 0; j < n; j++) {
        const h = fmix32(Math.imul(ai, x[j]) + bi) | 0;
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
 * Default P(candidate) for a pair exactly at the threshold. 0.98 rather than 0.99: at 128 hashes and
 * threshold 0.7 that is 25 bands of 5 rows (0.9899) instead of 32 of 4 (0.9998), and a pair at
 * Jaccard 0.5, typical of two different posts from one of the simulated generator's templates,
 * becomes a candidate with probability 0.55 instead of 0.87. A missed pair rarely splits a cluster,
 * since a cluster is joined through any of its members. Chosen on the generator's planted campaigns
 * at 5,000 posts/day, seeds 1, 2 and 5 (not the seeds the tests and bench report), over hash seeds
 * 1–6: mean precision 0.9930 vs 0.9928 and recall 0.9564 vs 0.9564, at ~1.5x the speed. Checked
 * afterwards: seeds 21 and 3 and the real tweets' removals are unchanged (bench/nearDuplicatesSpeed.ts,
 * `npm run bench -- --only spam`).
 */
export const CANDIDATE_RECALL_AT_THRESHOLD = 0.98;

/**
 * Picks (bands, rows) with bands·rows ≤ numHashes: the most rows per band (fewest false
 * candidates, i.e. least verification work) such that a pair exactly at the threshold still
 * becomes a candidate with probability ≥ `recallAtThreshold`. Recall is what matters because
 * every candidate is verified against the signature afterwards; a false candidate only costs one
 * comparison.
 */
export function chooseBands(numHashes: number, threshold: number, recallAtThreshold = CANDIDATE_RECALL_AT_THRESHOLD): { bands: number; rows: number } {
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

/** An open-addressing table of `size` slots, each an (int32 key, head entry) pair; head -1 = empty. */
function newTable(size: number): Int32Array {
  const t = new Int32Array(2 * size);
  for (let i = 1; i < t.length; i += 2) t[i] = -1;
  return t;
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
  const initialCapacity = options.initialCapacity ?? 1024;
  if (!(Number.isSafeInteger(initialCapacity) && initialCapacity >= 1)) throw new Error(`initialCapacity must be a positive integer (got ${initialCapacity})`);
  const { bands, rows } =
    options.bands !== undefined ? { bands: options.bands, rows: Math.floor(numHashes / options.bands) } : chooseBands(numHashes, threshold);
  if (!(bands >= 1 && rows >= 1)) throw new Error(`bands must be between 1 and numHashes=${numHashes} (got ${options.bands})`);

  const hasher = createMinHasher(numHashes, shingle, seed);
  const sigBuf = new Int32Array(numHashes);
  const bandKeys = new Uint32Array(bands);
  const bandSlots = new Int32Array(bands);

  const ids: string[] = [];
  let capacity = initialCapacity;
  let sigs = new Uint16Array(capacity * numHashes + 1); // +1: whole 32-bit words in `sigs32` whatever numHashes
  let sigs32 = new Uint32Array(sigs.buffer, 0, sigs.length >> 1);
  let parent = new Int32Array(capacity);
  let clusterSize = new Int32Array(capacity);
  let minMember = new Int32Array(capacity);
  let nextEntry = new Int32Array(capacity * bands); // linked list of (doc, band) entries within a bucket
  let empty = new Uint8Array(capacity);

  // open-addressing table: bucket key (band-salted hash of the band's rows) → most recent entry
  // Key and head of a slot side by side (table[2·slot], table[2·slot + 1]): one cache line per probe,
  // which matters once the table outgrows the caches (25k texts × 25 bands).
  let tableSize = 4096;
  let table = newTable(tableSize);
  let tableUsed = 0;

  const grow = () => {
    const c = capacity * 2;
    const s = new Uint16Array(c * numHashes + 1);
    s.set(sigs);
    sigs = s;
    sigs32 = new Uint32Array(sigs.buffer, 0, sigs.length >> 1);
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
    const vs = new Int32Array(c);
    vs.set(visitStamp);
    visitStamp = vs;
    capacity = c;
  };

  const slotOf = (key: number): number => {
    const mask = tableSize - 1;
    let slot = fmix32(key) & mask;
    key |= 0;
    while (table[2 * slot + 1] !== -1 && table[2 * slot] !== key) slot = (slot + 1) & mask;
    return slot;
  };

  const rehash = () => {
    const old = table;
    tableSize *= 2;
    table = newTable(tableSize);
    for (let i = 0; i < old.length; i += 2) {
      if (old[i + 1] === -1) continue;
      const slot = slotOf(old[i]);
      table[2 * slot] = old[i];
      table[2 * slot + 1] = old[i + 1];
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
  const words = numHashes >> 1; // signature positions in pairs: one 32-bit word holds two 16-bit values
  const oddTail = numHashes & 1;
  /**
   * Whether the signature estimate of the Jaccard similarity between the 16-bit signature at
   * `q[qo, qo + numHashes)` (q32 is the same buffer as 32-bit words) and that of the indexed text `y`
   * reaches the threshold. Both offsets are whole words when numHashes is even (the default).
   */
  const meetsThreshold = (q: Uint16Array, q32: Uint32Array, qo: number, y: number): boolean => {
    const oy = y * numHashes;
    let mismatches = 0;
    if (oddTail === 0) {
      // Two positions per 32-bit XOR, counted without branches: (half + 0xffff) >>> 16 is 1 when the
      // 16-bit half differs and 0 when it agrees. A data-dependent branch per position is mispredicted
      // about half the time on the many near-miss candidates of templated posts.
      const wq = qo >> 1;
      const wy = oy >> 1;
      for (let start = 0; start < words; start += 8) {
        const end = Math.min(words, start + 8);
        for (let i = start; i < end; i++) {
          const d = q32[wq + i] ^ sigs32[wy + i];
          mismatches += (((d & 0xffff) + 0xffff) >>> 16) + (((d >>> 16) + 0xffff) >>> 16);
        }
        // Once more positions disagree than the threshold allows, the rest cannot change the answer.
        if (earlyExit && mismatches > maxMismatches) return false;
      }
    } else {
      for (let i = 0; i < numHashes; i++) if (q[qo + i] !== sigs[oy + i] && ++mismatches > maxMismatches && earlyExit) return false;
    }
    if (earlyExit) return mismatches <= maxMismatches;
    return correctedEstimate(numHashes - mismatches, numHashes) >= threshold;
  };

  const computeBandKeys = (sig: Int32Array) => {
    for (let b = 0; b < bands; b++) bandKeys[b] = hashInts(sig, b * rows, (b + 1) * rows, b + 0x9747b28c);
  };

  // A text that shares several bands with the new one is met once per band; the first meeting decides
  // (a later comparison would give the same answer), so later ones are skipped. `visitStamp[d]` is the
  // number of the scan that last met text d.
  let visitStamp = new Int32Array(capacity);
  let scanNumber = 0;

  /**
   * Calls `visit` once for each earlier text sharing a bucket with the texts whose band keys are in
   * `bandKeys`, among at most maxBucketScan entries per bucket (most recent first).
   */
  const scanCandidates = (visit: (doc: number) => void) => {
    const stamp = ++scanNumber;
    for (let b = 0; b < bands; b++) {
      const slot = slotOf(bandKeys[b]);
      let entry = table[2 * slot + 1];
      for (let seen = 0; entry !== -1 && seen < maxBucketScan; seen++) {
        const other = (entry / bands) | 0;
        if (visitStamp[other] !== stamp) {
          visitStamp[other] = stamp;
          visit(other);
        }
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
      const off = doc * numHashes;
      // Too little distinctive content: kept out of every bucket, so it never joins or seeds a cluster.
      if (content.distinctiveWords < minDistinctiveWords || hasher.signatureOfNormalized(content.text, sig) === 0) {
        empty[doc] = 1;
        return { index: doc, duplicateOf: null };
      }
      for (let i = 0; i < numHashes; i++) sigs[off + i] = sig[i] & 0xffff;
      computeBandKeys(sig);
      // Room for this text's buckets first, so the slots found while scanning stay valid for inserting.
      while ((tableUsed + bands) * 2 > tableSize) rehash();
      let firstMatch = -1;
      let root = doc;
      const stamp = ++scanNumber;
      // The scan of `scanCandidates`, written out: no closure per text, and each band's slot is found once.
      for (let b = 0; b < bands; b++) {
        const slot = slotOf(bandKeys[b]);
        bandSlots[b] = slot;
        let entry = table[2 * slot + 1];
        for (let seen = 0; entry !== -1 && seen < maxBucketScan; seen++) {
          const other = (entry / bands) | 0;
          entry = nextEntry[entry];
          if (visitStamp[other] === stamp) continue;
          visitStamp[other] = stamp;
          if (find(other) === root) continue;
          if (meetsThreshold(sigs, sigs32, off, other)) {
            if (firstMatch === -1 || other < firstMatch) firstMatch = other;
            union(doc, other);
            root = find(doc);
          }
        }
      }
      for (let b = 0; b < bands; b++) {
        const key = bandKeys[b];
        let slot = bandSlots[b];
        // An empty slot found for a new key may since have been taken by another band's new key.
        if (table[2 * slot + 1] !== -1 && table[2 * slot] !== (key | 0)) slot = slotOf(key);
        const entry = doc * bands + b;
        if (table[2 * slot + 1] === -1) {
          table[2 * slot] = key | 0;
          tableUsed++;
          nextEntry[entry] = -1;
        } else {
          nextEntry[entry] = table[2 * slot + 1];
        }
        table[2 * slot + 1] = entry;
      }
      return { index: doc, duplicateOf: firstMatch === -1 ? null : ids[firstMatch] };
    },
    query(text) {
      const sig = new Int32Array(numHashes);
      const content = shingleContent(text);
      if (content.distinctiveWords < minDistinctiveWords || hasher.signatureOfNormalized(content.text, sig) === 0) return [];
      computeBandKeys(sig);
      const q = new Uint16Array(numHashes + oddTail);
      const q32 = new Uint32Array(q.buffer);
      for (let i = 0; i < numHashes; i++) q[i] = sig[i] & 0xffff;
      const found: number[] = [];
      scanCandidates((other) => {
        if (meetsThreshold(q, q32, 0, other)) found.push(other);
      });
      return found.sort((x, y) => x - y).map((d) => ids[d]);
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
