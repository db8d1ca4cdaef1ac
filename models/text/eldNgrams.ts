/**
 * Nito-ELD (npm `eld`, Apache-2.0, github.com/nitotm/efficient-language-detector-js) scoring over
 * its own n-gram database, compiled into typed arrays.
 *
 * `eld.detect()` spends its time in JavaScript objects: each word is re-encoded into a string of
 * "byte characters", every 4-byte n-gram becomes an object key, and every n-gram's languages are
 * walked with `for…in`. That is ~4,000 tweets/s on one core here. The model itself is a plain sum
 * of per-language n-gram scores, so this module loads the same database once into an open-addressing
 * table (packed n-gram key → run of (language, score) pairs) and scores a text in one pass over its
 * UTF-16 code units, with no allocation per n-gram. The result is the one `eld.detect()` gives for
 * the same text (test/unit/language-id.test.ts checks every post of the multilingual sample, raw and
 * stripped, and texts that hit each rule below against `eld` itself; all 20,632 SemEval dev tweets
 * agreed too when this was written).
 *
 * What is replicated from eld 2.1.0 `languageDetector.js` (text cleanup off, the default):
 * - the first 1,000 UTF-16 units; non-letters (Unicode L, BMP only) are word separators, except the
 *   apostrophes ' ` ’ that end a run of separators (eld's `separators` regex with its look-behind);
 * - lower case as `String.prototype.toLowerCase` gives it (including final sigma and İ → i̇);
 * - UTF-8 bytes, each mapped to one character by eld's `dictionary` (ASCII stays itself); a word
 *   ends at a space, and reading stops at the first space after 350 bytes or after 380 bytes;
 * - n-grams: 4 bytes with a stride of 3 in the first 70 bytes of a word, a leading space on the
 *   word's first n-gram, the word's last (up to) 4 bytes plus a trailing space; each distinct n-gram
 *   counts once; a language's score is the sum over the text's n-grams of (database score + 53);
 * - the language with the highest score wins, the lower index on a tie, none when all scores are 0.
 */
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../lib/paths';
import { fmix32 } from './hash';

/** eld subtracts this from every stored score to keep its files small ("baseNgramScore"). */
const BASE_NGRAM_SCORE = 53;
const MAX_TEXT_UNITS = 1000;
const CUT_AFTER_BYTES = 350;
const ENFORCE_CUT_AFTER_BYTES = 380;
const MAX_WORD_BYTES = 70;
/** Longest n-gram in eld's databases: space + 4 bytes + space. Longer keys are never found. */
const MAX_KEY_CHARS = 6;

/**
 * Database sizes eld ships. `extrasmall` (49,553 n-grams) is the one SocialSense uses: on the
 * labelled sample and the SemEval tweets it is as accurate as `large` (245,106 n-grams) while it
 * loads in a fifth of the time and holds a sixth of the memory (bench/README.md, "Language identification").
 */
export type EldDatabaseSize = 'extrasmall' | 'small' | 'medium' | 'large';

export interface EldModel {
  /** ISO 639-1 code per language index, in eld's order */
  readonly languages: readonly string[];
  readonly size: EldDatabaseSize;
  /** number of distinct n-grams in the database */
  readonly ngrams: number;
  /**
   * Scores `text` into `scores` (length `languages.length`, overwritten) and returns the index of
   * the best language, or -1 when no n-gram of the text is known. `scores` may be reused across calls.
   */
  score(text: string, scores: Int32Array): number;
}

interface EldNgramsData {
  type: string;
  languages: Record<number, string>;
  ngrams: Record<string, Record<number, number>>;
}

/** Where npm puts eld's n-gram files; its package `exports` do not expose them, so they are read as files. */
export function eldNgramsFile(size: EldDatabaseSize): string {
  return path.join(projectRoot, 'node_modules', 'eld', 'src', 'ngrams', `${size}.js`);
}

/**
 * Reads one of eld's n-gram files (an ES module of one object literal, `export const ngramsData = {…}`)
 * and compiles it. Evaluated as an expression rather than imported so that the ~30 MB of JavaScript
 * objects can be collected once compiled (an imported module's exports live as long as the process).
 * @throws Error naming the file and the fix when eld is not installed or its file format changed
 */
export function loadEldModel(size: EldDatabaseSize = 'extrasmall'): EldModel {
  const file = eldNgramsFile(size);
  let source: string;
  try {
    source = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`language identification needs eld's n-gram file ${file} (run npm install): ${(err as Error).message}`);
  }
  const marker = 'export const ngramsData =';
  const at = source.indexOf(marker);
  if (at < 0) throw new Error(`${file} no longer starts its data with "${marker}": eld's file format changed; pin eld to 2.1.x`);
  // The package's own data file, read from node_modules like any import of it would be.
  let literal = source.slice(at + marker.length).trimEnd();
  if (literal.endsWith(';')) literal = literal.slice(0, -1);
  const data = new Function(`return (${literal});`)() as EldNgramsData;
  return compileEldModel(data, size);
}

const DICTIONARY = buildDictionary();

/** eld's `dictionary`: the character that stands for each UTF-8 byte ≥ 0x80 in its n-gram keys. */
function buildDictionary(): Uint8Array {
  // Copied from eld 2.1.0 src/dictionary.js, bytes 0x80–0xFF (bytes below 0x80 stand for themselves).
  const high = 'M2RJOP{ä>âüé_QáôëåõèïZû}à3ùÉYîí]|)ÿ~1VDT48FIK7WS/EB5;NCê*X=^:[Hò  ¢!(,ß øó    Uö6@ÀÁ <ýG-Añú    $Læ?0"#%&+ì9.ç µ                ';
  if (high.length !== 128) throw new Error('eld dictionary must have 128 high-byte entries');
  const d = new Uint8Array(256);
  for (let b = 0; b < 128; b++) d[b] = b;
  for (let b = 0; b < 128; b++) d[128 + b] = high.charCodeAt(b);
  return d;
}

/** Whether the UTF-16 code unit `c` is a letter (\p{L}, BMP); surrogate halves are not. */
export function isBmpLetter(c: number): boolean {
  return LETTER_BMP[c] === 1;
}

function isApostrophe(c: number): boolean {
  return c === 0x27 || c === 0x60 || c === 0x2019;
}

const LETTER_BMP = buildLetterTable();

/** 1 for BMP code units that are letters (\p{L}); surrogates, marks, digits, symbols are separators. */
function buildLetterTable(): Uint8Array {
  const t = new Uint8Array(65536);
  const re = /\p{L}/u;
  for (let c = 0; c < 65536; c++) {
    if (c >= 0xd800 && c < 0xe000) continue;
    if (c < 128 ? (c >= 65 && c <= 90) || (c >= 97 && c <= 122) : re.test(String.fromCharCode(c))) t[c] = 1;
  }
  return t;
}

function compileEldModel(data: EldNgramsData, size: EldDatabaseSize): EldModel {
  const languages: string[] = [];
  for (const [i, code] of Object.entries(data.languages)) languages[Number(i)] = code;
  const nLangs = languages.length;
  const keys = Object.keys(data.ngrams);
  let cap = 1;
  while (cap < keys.length * 2) cap <<= 1;
  const mask = cap - 1;
  // key = hi (up to 16 bits) · 2^32 + lo; hi = -1 marks an empty slot
  const slotHi = new Int32Array(cap).fill(-1);
  const slotLo = new Uint32Array(cap);
  const slotStart = new Int32Array(cap);
  const slotCount = new Uint8Array(cap);
  let entries = 0;
  for (const k of keys) for (const _ in data.ngrams[k]) entries++;
  const entryLang = new Uint8Array(entries);
  const entryScore = new Uint16Array(entries);
  let e = 0;
  for (const k of keys) {
    if (k.length > MAX_KEY_CHARS) throw new Error(`eld n-gram "${k}" is longer than ${MAX_KEY_CHARS} characters`);
    let hi = 0;
    let lo = 0;
    for (let i = 0; i < k.length; i++) {
      const c = k.charCodeAt(i);
      if (c > 255) throw new Error(`eld n-gram "${k}" has a character above U+00FF`);
      hi = ((hi << 8) | (lo >>> 24)) & 0xffff;
      lo = ((lo << 8) | c) >>> 0;
    }
    let slot = fmix32(lo ^ Math.imul(hi + k.length, 0x9e3779b1)) & mask;
    while (slotHi[slot] !== -1) slot = (slot + 1) & mask;
    slotHi[slot] = hi;
    slotLo[slot] = lo;
    slotStart[slot] = e;
    const langs = data.ngrams[k];
    let n = 0;
    for (const l in langs) {
      entryLang[e] = Number(l);
      entryScore[e] = langs[l] + BASE_NGRAM_SCORE;
      e++;
      n++;
    }
    if (n > 255) throw new Error(`eld n-gram "${k}" has more than 255 languages`);
    slotCount[slot] = n;
  }

  // Per-call scratch, reused: one call at a time per model (JavaScript is single-threaded; each worker thread loads its own).
  const wordBytes = new Uint8Array(4 * MAX_TEXT_UNITS + 8);
  const seenCap = 1024;
  const seenHi = new Int32Array(seenCap);
  const seenLo = new Uint32Array(seenCap);
  const seenLen = new Uint8Array(seenCap);
  const seenStamp = new Uint32Array(seenCap);
  let stamp = 0;
  let scoresRef: Int32Array = new Int32Array(nLangs);

  /** Adds the n-gram wordBytes[from, to) (with optional leading/trailing space) once per text. */
  function addNgram(from: number, to: number, lead: boolean, trail: boolean): void {
    const len = to - from + (lead ? 1 : 0) + (trail ? 1 : 0);
    if (len > MAX_KEY_CHARS) return; // not in any database (eld counts it, but it scores nothing)
    let hi = 0;
    let lo = lead ? 32 : 0;
    for (let i = from; i < to; i++) {
      hi = ((hi << 8) | (lo >>> 24)) & 0xffff;
      lo = ((lo << 8) | wordBytes[i]) >>> 0;
    }
    if (trail) {
      hi = ((hi << 8) | (lo >>> 24)) & 0xffff;
      lo = ((lo << 8) | 32) >>> 0;
    }
    const h = fmix32(lo ^ Math.imul(hi + len, 0x9e3779b1));
    // once per text: eld collects n-grams as object keys
    let s = h & (seenCap - 1);
    while (seenStamp[s] === stamp) {
      if (seenHi[s] === hi && seenLo[s] === lo && seenLen[s] === len) return;
      s = (s + 1) & (seenCap - 1);
    }
    seenStamp[s] = stamp;
    seenHi[s] = hi;
    seenLo[s] = lo;
    seenLen[s] = len;
    let slot = h & mask;
    for (;;) {
      const sh = slotHi[slot];
      if (sh === -1) return;
      // keys of different lengths pack differently (no zero bytes), so hi/lo equality is key equality
      if (sh === hi && slotLo[slot] === lo) break;
      slot = (slot + 1) & mask;
    }
    const scores = scoresRef;
    const end = slotStart[slot] + slotCount[slot];
    for (let i = slotStart[slot]; i < end; i++) scores[entryLang[i]] += entryScore[i];
  }

  function endWord(len: number): void {
    if (len === 0) return;
    const capped = len > MAX_WORD_BYTES ? MAX_WORD_BYTES : len;
    let j = 0;
    for (; j + 4 < capped; j += 3) addNgram(j, j + 4, j === 0, false);
    addNgram(capped - 4 > 0 ? capped - 4 : 0, len, j === 0, true);
  }

  function score(text: string, scores: Int32Array): number {
    if (scores.length !== nLangs) throw new Error(`scores must have ${nLangs} entries (one per eld language), got ${scores.length}`);
    scores.fill(0);
    scoresRef = scores;
    stamp++;
    if (stamp === 0xffffffff) {
      seenStamp.fill(0);
      stamp = 1;
    }
    const n = text.length < MAX_TEXT_UNITS ? text.length : MAX_TEXT_UNITS;
    let len = 0; // bytes of the current word
    let countBytes = 0;
    let i = 0;
    // leading separators (eld trims them); leading apostrophes stay, as in eld
    let pendingSpace = false;
    let sawWord = false;
    outer: while (i < n) {
      const c = text.charCodeAt(i);
      if (LETTER_BMP[c] === 1 || (isApostrophe(c) && apostropheKept(text, i, n))) {
        if (pendingSpace && sawWord) {
          // the single space eld leaves between words
          endWord(len);
          len = 0;
          if (countBytes > CUT_AFTER_BYTES) break;
          countBytes++;
          if (countBytes > ENFORCE_CUT_AFTER_BYTES) break;
        }
        pendingSpace = false;
        sawWord = true;
        // lower case exactly as toLowerCase() on the whole text would give it
        const lower = lowerAt(text, i, n);
        for (let k = 0; k < lower.length; k++) {
          const u = lower.charCodeAt(k);
          if (u < 0x80) {
            wordBytes[len++] = u;
            countBytes++;
          } else if (u < 0x800) {
            wordBytes[len++] = DICTIONARY[0xc0 | (u >> 6)];
            wordBytes[len++] = DICTIONARY[0x80 | (u & 0x3f)];
            countBytes += 2;
          } else {
            wordBytes[len++] = DICTIONARY[0xe0 | (u >> 12)];
            wordBytes[len++] = DICTIONARY[0x80 | ((u >> 6) & 0x3f)];
            wordBytes[len++] = DICTIONARY[0x80 | (u & 0x3f)];
            countBytes += 3;
          }
          if (countBytes > ENFORCE_CUT_AFTER_BYTES) break outer;
        }
      } else {
        pendingSpace = true;
      }
      i++;
    }
    endWord(len);
    let best = -1;
    let bestScore = 0;
    for (let l = 0; l < nLangs; l++) {
      if (scores[l] > bestScore) {
        bestScore = scores[l];
        best = l;
      }
    }
    return best;
  }

  return { languages, size, ngrams: keys.length, score };
}

/**
 * eld's separator regex `[^L]+(?<!['`’])` replaces a run of non-letters except the apostrophes at
 * its end: an apostrophe is kept when only apostrophes follow it up to the next letter (or the end).
 */
function apostropheKept(text: string, i: number, n: number): boolean {
  // the run must either be apostrophes only (then nothing matches) or end in this apostrophe block
  let j = i + 1;
  while (j < n && isApostrophe(text.charCodeAt(j))) j++;
  if (j < n && LETTER_BMP[text.charCodeAt(j)] !== 1) return false; // more separators follow: this one is replaced
  return true;
}

const SINGLE_LOWER = new Map<number, string>();

/** The lower case of text[i] as whole-string toLowerCase() gives it (final sigma depends on context). */
function lowerAt(text: string, i: number, n: number): string {
  const c = text.charCodeAt(i);
  if (c < 0x80) return c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : text[i];
  if (c === 0x3a3) {
    // Unicode Final_Sigma: after a letter and not before one
    const before = i > 0 && LETTER_BMP[text.charCodeAt(i - 1)] === 1;
    const after = i + 1 < n && LETTER_BMP[text.charCodeAt(i + 1)] === 1;
    return before && !after ? 'ς' : 'σ';
  }
  let l = SINGLE_LOWER.get(c);
  if (l === undefined) {
    l = String.fromCharCode(c).toLowerCase();
    SINGLE_LOWER.set(c, l);
  }
  return l;
}
