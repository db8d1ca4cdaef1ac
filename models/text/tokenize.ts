/**
 * Social-text tokenizer: one left-to-right pass of a single precompiled regex, with the flags
 * (negation scope, elongation, ALL CAPS) decided as each token is emitted. It is the one
 * tokenizer of the project: sentiment, the classifier and topic terms all read its tokens.
 *
 * Words are whole words in every script: letters, combining marks (Devanagari matras and
 * viramas, Tamil vowel signs, Arabic harakat, decomposed accents) and the zero-width (non-)joiners
 * that Indic and Persian spelling puts inside words. Scripts written without spaces between words
 * (Thai, Lao, Khmer, Myanmar, Chinese, Japanese) are cut into words by ICU's dictionary-based
 * word segmentation (Intl.Segmenter), since a run of their letters is a phrase, not a word.
 */
import emojiRegex from 'emoji-regex';
import { HASHTAG_SOURCE, MENTION_SOURCE, URL_SOURCE } from './normalize';

export type TokenKind = 'url' | 'mention' | 'hashtag' | 'emoji' | 'emoticon' | 'number' | 'word' | 'punct';

export interface Token {
  /** exactly as written */
  text: string;
  /**
   * The form to look things up by: lowercased, letters repeated 3+ times cut to 2 ("soooo" → "soo"),
   * typographic apostrophes made ASCII; hashtags without '#', mentions without '@'; URLs as written;
   * emoticons with repeated mouths collapsed (":)))" → ":)").
   */
  norm: string;
  kind: TokenKind;
  /** offset of `text` in the input */
  start: number;
  /**
   * A word or hashtag inside a negation scope: after not/never/n't/… up to the next clause
   * punctuation. Emoji, emoticons and other tokens never are: negation applies to words
   * ("not again :(" denies nothing the emoticon says).
   */
  negated: boolean;
  /** a letter was repeated 3+ times */
  elongated: boolean;
  /** a word of 2+ letters written in capitals (emphasis, or an acronym: the scorer decides) */
  allCaps: boolean;
  /** hashtags only: the tag split at case changes, lowercased ("#BlackLivesMatter" → black, lives, matter) */
  parts?: string[];
  /**
   * Elongated words and hashtags only: the spellings to look the word up by, most likely first
   * (see elongationForms): "happyyyy" → happyy, happy; "goooood" → good, god. The first is `norm`.
   */
  forms?: string[];
}

// Western emoticons (eyes, optional tear/nose, mouth) and their mirrored forms, hearts and a few
// kaomoji. Letter mouths (:D :P xD) must not run into a letter or digit, so "3:30" and "xDecimal"
// stay plain text; faces that start with a letter or digit need a non-word character before them.
const EMOTICON_SOURCE = [
  String.raw`(?:[<>}\]]|(?<![\p{L}\p{N}])[3O0])?[:;=]['’]?[-o^]?(?:[)\]}(\[{|\\/*@$#]+|[dDpPoOsSxX03](?![\p{L}\p{N}]))`,
  String.raw`(?<![\p{L}\p{N}])[)(\]\[{}]+[-o^]?['’]?[:;=](?![\p{L}\p{N}(\[{])`,
  String.raw`(?<![\p{L}\p{N}])[xX][dDpP]+(?![\p{L}\p{N}])`,
  String.raw`(?<![\p{L}\p{N}])8-?[)D](?![\p{L}\p{N}])`,
  String.raw`<\/?3+`,
  String.raw`\^[_.-]?\^|-_+-|(?<![\p{L}\p{N}])(?:[oO0][_.][oO0]|[tT]_+[tT]|>_+<|;_+;)(?![\p{L}\p{N}])|\\[om]\/`,
].join('|');

// The emoji alternative only recognises where an emoji starts; emoji-regex (which cannot share
// the 'u' flag the rest needs) then measures the full sequence, ZWJ families and flags included.
const EMOJI_START_SOURCE = String.raw`[\p{Extended_Pictographic}\p{Regional_Indicator}]|[#*0-9]\uFE0F?\u20E3`;

const NUMBER_SOURCE = String.raw`[$€£]?\p{N}+(?:[.,:/]\p{N}+)+%?|[$€£]\p{N}+%?|\p{N}+%`;
// ZWNJ/ZWJ (U+200C/U+200D) join letters inside Persian and Indic words ("می‌خواهم"); only between letters.
const WORD_SOURCE = String.raw`[\p{L}\p{M}\p{N}]+(?:[-'’_\u200C\u200D][\p{L}\p{M}\p{N}]+)*`;
const PUNCT_SOURCE = String.raw`[!?]+|\.{2,}|…+|\S`;

// Fast path: a word starting with a letter that no URL (h, w) or emoticon (x, o, t: "xD", "o_O",
// "T_T") can start with is a plain word; trying it first skips the other alternatives for most tokens.
const PLAIN_WORD_SOURCE = String.raw`(?=[a-gi-np-su-vyzA-GI-NP-SU-VYZ])${WORD_SOURCE}`;

// Group order matters: URLs before anything that could eat "http:", emoticons before punctuation,
// keycap emoji before numbers and hashtags.
const TOKEN_RE = new RegExp(
  `(${PLAIN_WORD_SOURCE})|(${URL_SOURCE})|(${MENTION_SOURCE})|(${EMOJI_START_SOURCE})|(${HASHTAG_SOURCE})|(${EMOTICON_SOURCE})|(${NUMBER_SOURCE})|(${WORD_SOURCE})|(${PUNCT_SOURCE})`,
  'gu',
);
const EMOJI_STICKY_RE = new RegExp(emojiRegex().source, 'y');

const ELONGATION_RE = /(\p{L})\1{2,}/gu;
const ELONGATION_TEST_RE = /(\p{L})\1{2}/u;
const EMOTICON_REPEAT_RE = /([)(\][DdPp3}{|])\1+/g;
// Marks belong to the letter before them; scripts without case ("#मतदान") fall through to the last branch whole.
const CAMEL_PART_RE = /\p{Lu}+(?=\p{Lu}\p{Ll})|\p{Lu}?[\p{Ll}\p{M}]+|\p{Lu}[\p{Lu}\p{M}]*|\p{N}+|[\p{L}\p{M}]+/gu;
const HAS_LOWER_RE = /\p{Ll}/u;
const UPPER_RUN_RE = /\p{Lu}.*\p{Lu}/u;
const ONLY_DIGITS_RE = /^\p{N}+$/u;
const APOSTROPHE_RE = /’/g;
// skin tones and the text/emoji presentation selectors do not change what an emoji says
// eslint-disable-next-line no-misleading-character-class -- the selectors are matched on their own, on purpose
const EMOJI_VARIANT_RE = /[\u{1F3FB}-\u{1F3FF}\uFE0E\uFE0F]/gu;
// tag characters (subdivision flags such as England's) and everything after the first ZWJ
// (gender, hair, "on fire") refine an emoji without changing what it says
const EMOJI_REFINEMENT_RE = /[\u{E0020}-\u{E007F}]|\u200D.*$/gu;
// Scripts written without spaces between words: their letter runs are cut by Intl.Segmenter.
const NO_SPACE_SCRIPT_RE = /[\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
// 'und': ICU chooses the dictionary by script, so one segmenter serves every such script.
const WORD_SEGMENTER = new Intl.Segmenter('und', { granularity: 'word' });
/** Elongated words with more repeated-letter runs than this get only the all-two and all-one forms. */
const MAX_FORM_RUNS = 4;

/** Words that open a negation scope; forms with "n't" are recognised by their ending as well. */
export const NEGATORS: ReadonlySet<string> = new Set([
  'not',
  'no',
  'never',
  'none',
  'nobody',
  'nothing',
  'nowhere',
  'neither',
  'nor',
  'cannot',
  'without',
  'nope',
  'nah',
  'aint',
  'arent',
  'cant',
  'couldnt',
  'didnt',
  'doesnt',
  'dont',
  'hadnt',
  'hasnt',
  'havent',
  'isnt',
  'mightnt',
  'mustnt',
  'neednt',
  'shant',
  'shouldnt',
  'wasnt',
  'werent',
  'wont',
  'wouldnt',
  'dnt',
  'doesn',
  'isn',
  'wasn',
  'aren',
  'couldn',
  'wouldn',
  'shouldn',
  'hasn',
  'haven',
]);

/**
 * A screen in front of NEGATORS, indexed by a word's first letter and length (up to 15): a word whose pair no negator
 * has is not one, and is answered without hashing the string (isNegator runs on every word).
 */
const NEGATOR_SHAPES = new Uint8Array(128 * 16);
const shapeOf = (norm: string) => ((norm.charCodeAt(0) & 127) << 4) | Math.min(norm.length, 15);
for (const w of NEGATORS) NEGATOR_SHAPES[shapeOf(w)] = 1;

export function isNegator(norm: string): boolean {
  if (norm.endsWith("n't")) return true;
  return norm.charCodeAt(0) < 128 && NEGATOR_SHAPES[shapeOf(norm)] === 1 && NEGATORS.has(norm);
}

/** Clause punctuation closes a negation scope ("not good, great" negates only "good"). */
function closesScope(text: string): boolean {
  const c = text.charCodeAt(0);
  // . , : ; ! ? …
  return c === 46 || c === 44 || c === 58 || c === 59 || c === 33 || c === 63 || c === 0x2026;
}

/**
 * The base emoji that an emoji token's `norm` refines: without skin tones, presentation
 * selectors, tag characters and anything joined after the first ZWJ ("🤦🏽‍♂️" → "🤦",
 * "❤️‍🔥" → "❤"). Keycaps and flags have no refinement and come back unchanged.
 */
export function emojiBase(emoji: string): string {
  return emoji.replace(EMOJI_VARIANT_RE, '').replace(EMOJI_REFINEMENT_RE, '');
}

/**
 * The spellings an elongated word may stand for, most likely first. Each run of 3+ equal letters
 * is cut to two letters or to one (a word's own double letters are never cut): "happyyyy" →
 * happyy, happy; "goooood" → good, god; "blesseddd" → blessedd, blessed. Forms with fewer runs cut
 * to one come first. Input: a lowercased word; a word without such runs comes back alone.
 */
export function elongationForms(word: string): string[] {
  const runs = [...word.matchAll(ELONGATION_RE)];
  if (runs.length === 0) return [word];
  const r = Math.min(runs.length, MAX_FORM_RUNS);
  const masks = Array.from({ length: 1 << r }, (_, i) => i);
  if (runs.length > MAX_FORM_RUNS) masks.splice(1, masks.length - 2); // all two, all one
  masks.sort((a, b) => bitCount(a) - bitCount(b) || a - b);
  const forms: string[] = [];
  for (const mask of masks) {
    let out = '';
    let last = 0;
    runs.forEach((m, j) => {
      const one = runs.length > MAX_FORM_RUNS ? mask !== 0 : ((mask >> j) & 1) === 1;
      out += word.slice(last, m.index) + (one ? m[1] : m[1] + m[1]);
      last = m.index + m[0].length;
    });
    out += word.slice(last);
    if (!forms.includes(out)) forms.push(out);
  }
  return forms;
}

function bitCount(x: number): number {
  let n = 0;
  for (; x; x &= x - 1) n++;
  return n;
}

function hashtagParts(tag: string): string[] {
  const parts = tag.match(CAMEL_PART_RE);
  if (parts === null) return [tag.toLowerCase()];
  for (let i = 0; i < parts.length; i++) parts[i] = parts[i].toLowerCase();
  return parts;
}

function isAllCaps(text: string): boolean {
  return !HAS_LOWER_RE.test(text) && UPPER_RUN_RE.test(text);
}

/**
 * ELONGATION_TEST_RE.test(norm), answered without the regex for nearly every word: a letter repeated three times in
 * the BMP is three equal code units in a row, so a word without such a run (and without surrogates, whose letters
 * the regex sees as whole code points) cannot match.
 */
function hasElongation(norm: string): boolean {
  let prev = -1;
  let run = 0;
  for (let i = 0; i < norm.length; i++) {
    const c = norm.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) return ELONGATION_TEST_RE.test(norm);
    run = c === prev ? run + 1 : 1;
    if (run === 3) return ELONGATION_TEST_RE.test(norm);
    prev = c;
  }
  return false;
}

/**
 * A 'word' token (both the fast path and the regex path of tokenize make them here). `ascii`: what asciiWordEnd
 * learnt while scanning an ASCII word (its capitals, small letters and runs), so none of it is scanned again; null
 * for a word from the regex.
 */
export function wordToken(raw: string, start: number, negated: boolean, ascii: AsciiScan | null): Token {
  let norm = ascii === null || ascii.upper > 0 ? raw.toLowerCase() : raw;
  let elongated = false;
  let forms: string[] | undefined;
  if (ascii === null && norm.indexOf('’') >= 0) norm = norm.replace(APOSTROPHE_RE, "'");
  if ((ascii === null || ascii.run3) && hasElongation(norm)) {
    elongated = true;
    forms = elongationForms(norm);
    norm = forms[0];
  }
  // isAllCaps on ASCII: no small letter and two capitals (then norm, lowercased, differs from raw)
  const allCaps = ascii === null ? norm !== raw && isAllCaps(raw) : ascii.lower === 0 && ascii.upper >= 2;
  const token: Token = { text: raw, norm, kind: 'word', start, negated, elongated, allCaps };
  if (forms !== undefined) token.forms = forms;
  return token;
}

/** What asciiWordEnd saw in the word it measured (each caller owns one, reused word after word). */
export interface AsciiScan {
  upper: number;
  lower: number;
  /** a character (case folded) repeated three times in a row */
  run3: boolean;
  /** the word has a joiner ("-", "'", "_") between letters or digits ("don't", "well-known") */
  joined: boolean;
  /** the token is digits only: a 'number', not a 'word' (its norm is itself) */
  digits: boolean;
  /**
   * 32-bit FNV-1a (Fowler/Noll/Vo) hash of the word's code units lowercased (`c | 0x20`, which leaves digits as
   * they are), i.e. of its `norm` when neither `run3` nor `joined`; lets the lexicon screen a word before making
   * its string.
   */
  hash: number;
}

/** A fresh AsciiScan, for a caller of asciiWordEnd. */
export function newAsciiScan(): AsciiScan {
  return { upper: 0, lower: 0, run3: false, joined: false, digits: false, hash: 0 };
}

// ASCII letters and digits: 1 for the letters that start TOKEN_RE's plain-word alternative (see PLAIN_WORD_SOURCE),
// 2 for h, o, t, w, x, with which a URL or an emoticon may start instead, 3 for digits (a number, a keycap emoji, an
// emoticon such as "8)" or "3:", or a word such as "2nd").
const LETTER_START = new Uint8Array(128);
for (const c of 'abcdefgijklmnpqrsuvyzABCDEFGIJKLMNPQRSUVYZ') LETTER_START[c.charCodeAt(0)] = 1;
for (const c of 'hotwxHOTWX') LETTER_START[c.charCodeAt(0)] = 2;
for (const c of '0123456789') LETTER_START[c.charCodeAt(0)] = 3;

/** Whether the ASCII word text[pos, end) followed by text[end] may begin a URL ("http:", "https:", "www.", any case). */
function mayStartUrl(text: string, pos: number, end: number): boolean {
  // (no inner closures here: tsx wraps each in a naming call, costly on this hot path)
  const len = end - pos;
  const next = text.charCodeAt(end);
  const c0 = text.charCodeAt(pos) | 0x20;
  if (c0 === 104) {
    if (next !== 58 || !(len === 4 || (len === 5 && (text.charCodeAt(pos + 4) | 0x20) === 115))) return false;
    return (text.charCodeAt(pos + 1) | 0x20) === 116 && (text.charCodeAt(pos + 2) | 0x20) === 116 && (text.charCodeAt(pos + 3) | 0x20) === 112;
  }
  return len === 3 && next === 46 && c0 === 119 && (text.charCodeAt(pos + 1) | 0x20) === 119 && (text.charCodeAt(pos + 2) | 0x20) === 119;
}

/** Whether the ASCII word text[pos, end) may be (the start of) a letter emoticon: "xD", "XP", "xDD", or a lone "o"/"O". */
function mayBeLetterEmoticon(text: string, pos: number, end: number): boolean {
  const c = text.charCodeAt(pos) | 0x20;
  if (c === 111) return end - pos === 1;
  if (c !== 120 || end - pos < 2) return false;
  for (let i = pos + 1; i < end; i++) {
    const d = text.charCodeAt(i) | 0x20;
    if (d !== 100 && d !== 112) return false;
  }
  return true;
}

function isAsciiAlnum(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57);
}

/**
 * The end of the ASCII word (or digits-only number) token that TOKEN_RE matches at `pos`, or -1 when the regex must
 * decide. The token starts with an ASCII letter or digit, runs over ASCII letters and digits, and is followed by the
 * end of the text or by an ASCII character that cannot continue it.
 * - A letter that no URL or emoticon starts with (PLAIN_WORD_SOURCE, the regex's first alternative) or a digit also
 *   takes joiners ("-", "'", "_") followed by an ASCII letter or digit ("don't", "2-1"), as WORD_SOURCE does. So do
 *   h, o, t, w, x once the first part has two or more letters and is no letter emoticon ("that's"; not "xD-", "T_T").
 * - h, o, t, w, x: the regex decides when the word may begin a URL ("http:", "www.") or be a letter emoticon ("xD",
 *   "o.O", "O:)").
 * - Digits: the regex decides when they may begin a keycap emoji (a character outside ASCII follows), an emoticon
 *   ("3:", "0=", "0_o", "8)", "8-)", "8D") or a number of NUMBER_SOURCE ("3.5", "10:30", "1/2", "50%"); otherwise a run of
 *   digits alone is a 'number' (`scan.digits`) and one with letters or joiners a word ("2nd").
 * - Anything else (a letter outside ASCII, a combining mark, "’", a joiner followed by a character outside ASCII)
 *   goes to the regex as well.
 * Fills `scan`.
 */
export function asciiWordEnd(text: string, pos: number, scan: AsciiScan): number {
  const c = text.charCodeAt(pos);
  const start = c < 128 ? LETTER_START[c] : 0;
  if (start === 0) return -1;
  const n = text.length;
  let upper = c <= 90 ? 1 : 0;
  let lower = 1 - upper;
  let prev = c | 0x20;
  let hash = Math.imul(0x811c9dc5 ^ prev, 0x01000193);
  let run = 1;
  let run3 = false;
  let joined = false;
  let j = pos + 1;
  if (start === 3) {
    upper = 0;
    lower = 0;
    const next = j < n ? text.charCodeAt(j) : 32;
    if (next >= 128) return -1;
    if ((c === 51 || c === 48) && (next === 58 || next === 59 || next === 61)) return -1;
    if (c === 48 && (next === 95 || next === 46)) return -1; // "0_o", "0.o"
    if (c === 56 && (next === 45 || next === 41 || next === 68)) return -1;
    // the digits, then what follows them
    while (j < n && text.charCodeAt(j) >= 48 && text.charCodeAt(j) <= 57) {
      hash = Math.imul(hash ^ text.charCodeAt(j), 0x01000193);
      j++;
    }
    prev = -1;
    if (j < n) {
      const d = text.charCodeAt(j);
      if (d === 37 || d >= 128) return -1;
      if ((d === 46 || d === 44 || d === 58 || d === 47) && j + 1 < n) {
        const e = text.charCodeAt(j + 1);
        if (e >= 128 || (e >= 48 && e <= 57)) return -1;
      }
    }
  }
  for (; j < n; j++) {
    const d = text.charCodeAt(j);
    if (d >= 97 && d <= 122) lower++;
    else if (d >= 65 && d <= 90) upper++;
    else if (d < 48 || d > 57) {
      if ((d !== 45 && d !== 39 && d !== 95) || j + 1 >= n || !isAsciiAlnum(text.charCodeAt(j + 1))) break;
      if (start === 2 && !joined && (j - pos < 2 || mayBeLetterEmoticon(text, pos, j))) break;
      joined = true;
    }
    const folded = d | 0x20;
    hash = Math.imul(hash ^ folded, 0x01000193);
    run = folded === prev ? run + 1 : 1;
    if (run === 3) run3 = true;
    prev = folded;
  }
  if (j < n) {
    const next = text.charCodeAt(j);
    if (next >= 128) return -1;
    // a joiner here is not followed by an ASCII letter or digit (else the loop took it)
    if ((next === 45 || next === 39 || next === 95) && (start === 2 || (j + 1 < n && text.charCodeAt(j + 1) >= 128))) return -1;
  }
  if (start === 2 && !joined && (mayStartUrl(text, pos, j) || mayBeLetterEmoticon(text, pos, j))) return -1;
  scan.upper = upper;
  scan.lower = lower;
  scan.run3 = run3;
  scan.joined = joined;
  scan.digits = start === 3 && upper + lower === 0 && !joined;
  scan.hash = hash;
  return j;
}

// ASCII punctuation that only PUNCT_SOURCE's `\S` can take, one character, whatever follows: no other alternative
// (emoticon, number, entity, keycap) starts with it.
const LONE_PUNCT = new Uint8Array(128);
for (const ch of `,"&'/~%+|\``) LONE_PUNCT[ch.charCodeAt(0)] = 1;

function isAsciiSpaceOrEnd(text: string, i: number): boolean {
  if (i >= text.length) return true;
  const c = text.charCodeAt(i);
  return c === 32 || (c >= 9 && c <= 13);
}

/**
 * The end of the punctuation token TOKEN_RE matches at `pos` when only its punctuation alternative can match there,
 * else -1: a run of "!" and "?", a run of "." (two or more are one token, one is `\S`), or one of LONE_PUNCT; "-" not
 * followed by "_" ("-_-"); "*" not followed by a character outside ASCII (a keycap); ":", ";", "=" followed by
 * whitespace or the end (no emoticon mouth); "(" and ")" followed by whitespace, the end, or a letter or digit other
 * than "o"/"O" (no emoticon such as "(:" or "(o:").
 */
export function asciiPunctEnd(text: string, pos: number): number {
  const c = text.charCodeAt(pos);
  if (c >= 128) return -1;
  if (LONE_PUNCT[c] === 1) return pos + 1;
  let j = pos + 1;
  if (c === 33 || c === 63) {
    while (j < text.length && (text.charCodeAt(j) === 33 || text.charCodeAt(j) === 63)) j++;
    return j;
  }
  if (c === 46) {
    while (j < text.length && text.charCodeAt(j) === 46) j++;
    return j;
  }
  if (c === 45) return j < text.length && text.charCodeAt(j) === 95 ? -1 : j;
  if (c === 42) return j < text.length && text.charCodeAt(j) >= 128 ? -1 : j;
  if (c === 58 || c === 59 || c === 61) return isAsciiSpaceOrEnd(text, j) ? j : -1;
  if (c === 40 || c === 41) {
    if (isAsciiSpaceOrEnd(text, j)) return j;
    const d = text.charCodeAt(j);
    return isAsciiAlnum(d) && d !== 111 && d !== 79 ? j : -1;
  }
  return -1;
}

/**
 * The end of the URL TOKEN_RE matches at `pos` (URL_SOURCE: "http://", "https://" or "www." as written, then up to
 * the last character that may end a URL), or -1 when the regex must decide (a character outside ASCII in the run,
 * or no URL here).
 */
export function asciiUrlEnd(text: string, pos: number): number {
  let j: number;
  if (text.startsWith('http://', pos)) j = pos + 7;
  else if (text.startsWith('https://', pos)) j = pos + 8;
  else if (text.startsWith('www.', pos)) j = pos + 4;
  else return -1;
  const body = j;
  const n = text.length;
  // [^\s<>"'“”‘’]*
  for (; j < n; j++) {
    const c = text.charCodeAt(j);
    if (c >= 128) return -1;
    if (c === 32 || (c >= 9 && c <= 13) || c === 60 || c === 62 || c === 34 || c === 39) break;
  }
  // then back to the last character that is not [.,;:!?)\]}] (the regex backtracks the same way)
  while (j > body && URL_TRAILING[text.charCodeAt(j - 1)] === 1) j--;
  return j > body ? j : -1;
}
const URL_TRAILING = new Uint8Array(128);
for (const ch of '.,;:!?)]}') URL_TRAILING[ch.charCodeAt(0)] = 1;

function isMentionChar(c: number): boolean {
  return isAsciiAlnum(c) || c === 95;
}

/**
 * The end of the mention TOKEN_RE matches at `pos` ("@", MENTION_SOURCE: not after a letter, digit, "_" or "@"; then
 * [A-Za-z0-9_]+ with "."-joined parts), or -1 when the regex must decide (after a character outside ASCII, or no
 * mention here).
 */
export function asciiMentionEnd(text: string, pos: number): number {
  if (text.charCodeAt(pos) !== 64) return -1;
  if (pos > 0) {
    const p = text.charCodeAt(pos - 1);
    if (p >= 128 || isMentionChar(p) || p === 64) return -1;
  }
  const n = text.length;
  let j = pos + 1;
  while (j < n && isMentionChar(text.charCodeAt(j))) j++;
  if (j === pos + 1) return -1;
  while (j + 1 < n && text.charCodeAt(j) === 46 && isMentionChar(text.charCodeAt(j + 1))) {
    j += 2;
    while (j < n && isMentionChar(text.charCodeAt(j))) j++;
  }
  return j;
}

/** Splits a (preferably normalized, see normalizeText) post into tokens with emphasis and negation flags. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const scope: NegationScope = { negated: false };
  const scan = newAsciiScan();
  let pos = 0;
  while (pos < text.length) {
    // Fast path, for most tokens: skip ASCII whitespace (no token starts there), and take an ASCII word or a common
    // punctuation mark without running the regex, when it is provably the token TOKEN_RE would match at this position
    // (test/unit/text-fast-paths.test.ts compares it with the previous tokenizer on the shared data's tweets and fuzz).
    const c = text.charCodeAt(pos);
    if (c === 32 || (c >= 9 && c <= 13)) {
      pos++;
      continue;
    }
    const end = asciiWordEnd(text, pos, scan);
    if (end > 0 && scan.digits) {
      const raw = text.slice(pos, end);
      tokens.push({ text: raw, norm: raw, kind: 'number', start: pos, negated: false, elongated: false, allCaps: false });
      pos = end;
      continue;
    }
    if (end > 0) {
      const token = wordToken(text.slice(pos, end), pos, scope.negated, scan);
      tokens.push(token);
      if (isNegator(token.norm)) scope.negated = true;
      pos = end;
      continue;
    }
    const punctEnd = asciiPunctEnd(text, pos);
    if (punctEnd > 0) {
      const raw = text.slice(pos, punctEnd);
      // the punctuation that closes a scope is itself outside it
      if (scope.negated && closesScope(raw)) scope.negated = false;
      tokens.push({ text: raw, norm: raw, kind: 'punct', start: pos, negated: false, elongated: false, allCaps: false });
      pos = punctEnd;
      continue;
    }
    const urlEnd = c === 104 || c === 119 ? asciiUrlEnd(text, pos) : -1;
    if (urlEnd > 0) {
      const raw = text.slice(pos, urlEnd);
      tokens.push({ text: raw, norm: raw, kind: 'url', start: pos, negated: false, elongated: false, allCaps: false });
      pos = urlEnd;
      continue;
    }
    const mentionEnd = c === 64 ? asciiMentionEnd(text, pos) : -1;
    if (mentionEnd > 0) {
      const raw = text.slice(pos, mentionEnd);
      tokens.push({ text: raw, norm: raw.slice(1).toLowerCase(), kind: 'mention', start: pos, negated: false, elongated: false, allCaps: false });
      pos = mentionEnd;
      continue;
    }
    pos = regexTokens(text, pos, scope, tokens);
    if (pos < 0) break;
  }
  return tokens;
}

/** Whether the tokens being emitted are inside a negation scope (see Token.negated); updated as tokens are emitted. */
export interface NegationScope {
  negated: boolean;
}

/**
 * The general path of tokenize at `pos` (which is not ASCII whitespace): TOKEN_RE's match there, pushed to `tokens` as
 * one token (several for a run of a spaceless script), with `scope` updated. Returns the position after the match, or
 * -1 when nothing more matches. Used by tokenize and by the lexicon's own scan (models/sentiment/lexicon.ts) for
 * whatever the ASCII fast paths do not take, so that both make the same tokens.
 */
export function regexTokens(text: string, pos: number, scope: NegationScope, tokens: Token[]): number {
  const re = TOKEN_RE;
  re.lastIndex = pos;
  const m = re.exec(text);
  if (m === null) return -1;
  pos = re.lastIndex;
  const start = m.index;
  let raw = m[0];
  let kind: TokenKind;
  let norm: string;
  let elongated = false;
  const allCaps = false;
  let parts: string[] | undefined;
  let forms: string[] | undefined;
  // (the fast path m[1] starts with an ASCII letter: a run of a spaceless script comes through m[8])
  if (m[8] !== undefined && NO_SPACE_SCRIPT_RE.test(raw)) {
    pushSegmentedWords(tokens, raw, start, scope.negated);
    return pos;
  }
  if (m[1] !== undefined || m[8] !== undefined) {
    if (m[8] === undefined || !ONLY_DIGITS_RE.test(raw)) {
      const token = wordToken(raw, start, scope.negated, null);
      tokens.push(token);
      if (isNegator(token.norm)) scope.negated = true;
      return pos;
    }
    kind = 'number';
    norm = raw.toLowerCase();
  } else if (m[2] !== undefined) {
    kind = 'url';
    norm = raw;
  } else if (m[3] !== undefined) {
    kind = 'mention';
    norm = raw.slice(1).toLowerCase();
  } else if (m[4] !== undefined) {
    EMOJI_STICKY_RE.lastIndex = start;
    const e = EMOJI_STICKY_RE.exec(text);
    if (e !== null) {
      raw = e[0];
      pos = start + raw.length;
      kind = 'emoji';
      norm = raw.replace(EMOJI_VARIANT_RE, '');
    } else {
      kind = 'punct';
      norm = raw;
    }
  } else if (m[5] !== undefined) {
    kind = 'hashtag';
    const tag = raw.slice(1);
    parts = hashtagParts(tag);
    norm = tag.toLowerCase();
    if (hasElongation(norm)) {
      elongated = true;
      forms = elongationForms(norm);
      norm = forms[0];
    }
  } else if (m[6] !== undefined) {
    kind = 'emoticon';
    norm = raw.replace(EMOTICON_REPEAT_RE, '$1').replace('’', "'");
  } else if (m[7] !== undefined) {
    kind = 'number';
    norm = raw;
  } else {
    kind = 'punct';
    norm = raw;
    // the punctuation that closes a scope is itself outside it
    if (scope.negated && closesScope(raw)) scope.negated = false;
  }
  // (words were emitted above, by wordToken; of the rest only hashtags can be negated)
  const token: Token = { text: raw, norm, kind, start, negated: scope.negated && kind === 'hashtag', elongated, allCaps };
  if (parts !== undefined) token.parts = parts;
  if (forms !== undefined) token.forms = forms;
  tokens.push(token);
  return pos;
}

/** Words of a letter run in a script without spaces, each a 'word' token at its own offset. */
function pushSegmentedWords(tokens: Token[], raw: string, start: number, negated: boolean): void {
  for (const seg of WORD_SEGMENTER.segment(raw)) {
    if (seg.isWordLike !== true) continue;
    const text = seg.segment;
    tokens.push({ text, norm: text.toLowerCase(), kind: 'word', start: start + seg.index, negated, elongated: false, allCaps: false });
  }
}
