// Frozen copy of models/text/tokenize.ts as it was before the issue-12 speed work (2026-11-30), kept as the
// reference that the optimised code must agree with (test/unit/text-fast-paths.test.ts; the lexicon and preprocess baselines build on it) and as a bench baseline.
// Do not edit: it is the old behaviour.
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
import { HASHTAG_SOURCE, MENTION_SOURCE, URL_SOURCE } from './normalizeV1';

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
const EMOTICON_REPEAT_RE = /([)(\]\[DdPp3}{|])\1+/g;
// Marks belong to the letter before them; scripts without case ("#मतदान") fall through to the last branch whole.
const CAMEL_PART_RE = /\p{Lu}+(?=\p{Lu}\p{Ll})|\p{Lu}?[\p{Ll}\p{M}]+|\p{Lu}[\p{Lu}\p{M}]*|\p{N}+|[\p{L}\p{M}]+/gu;
const HAS_LOWER_RE = /\p{Ll}/u;
const UPPER_RUN_RE = /\p{Lu}.*\p{Lu}/u;
const ONLY_DIGITS_RE = /^\p{N}+$/u;
const APOSTROPHE_RE = /’/g;
// skin tones and the text/emoji presentation selectors do not change what an emoji says
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

export function isNegator(norm: string): boolean {
  return NEGATORS.has(norm) || norm.endsWith("n't");
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

/** Splits a (preferably normalized, see normalizeText) post into tokens with emphasis and negation flags. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let negated = false;
  const re = TOKEN_RE;
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const start = m.index;
    let raw = m[0];
    let kind: TokenKind;
    let norm: string;
    let elongated = false;
    let allCaps = false;
    let parts: string[] | undefined;
    let forms: string[] | undefined;
    // (the fast path m[1] starts with an ASCII letter: a run of a spaceless script comes through m[8])
    if (m[8] !== undefined && NO_SPACE_SCRIPT_RE.test(raw)) {
      pushSegmentedWords(tokens, raw, start, negated);
      continue;
    }
    if (m[1] !== undefined || m[8] !== undefined) {
      norm = raw.toLowerCase();
      if (m[8] !== undefined && ONLY_DIGITS_RE.test(raw)) {
        kind = 'number';
      } else {
        kind = 'word';
        if (norm.indexOf('’') >= 0) norm = norm.replace(APOSTROPHE_RE, "'");
        if (ELONGATION_TEST_RE.test(norm)) {
          elongated = true;
          forms = elongationForms(norm);
          norm = forms[0];
        }
        allCaps = norm !== raw && isAllCaps(raw);
      }
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
        re.lastIndex = start + raw.length;
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
      if (ELONGATION_TEST_RE.test(norm)) {
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
      if (negated && closesScope(raw)) negated = false;
    }
    const token: Token = { text: raw, norm, kind, start, negated: negated && (kind === 'word' || kind === 'hashtag'), elongated, allCaps };
    if (parts !== undefined) token.parts = parts;
    if (forms !== undefined) token.forms = forms;
    tokens.push(token);
    if (kind === 'word' && isNegator(norm)) negated = true;
  }
  return tokens;
}

/** Words of a letter run in a script without spaces, each a 'word' token at its own offset. */
function pushSegmentedWords(tokens: Token[], raw: string, start: number, negated: boolean): void {
  for (const seg of WORD_SEGMENTER.segment(raw)) {
    if (seg.isWordLike !== true) continue;
    const text = seg.segment;
    tokens.push({ text, norm: text.toLowerCase(), kind: 'word', start: start + seg.index, negated, elongated: false, allCaps: false });
  }
}
