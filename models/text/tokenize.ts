/**
 * Social-text tokenizer: one left-to-right pass of a single precompiled regex, with the flags
 * (negation scope, elongation, ALL CAPS) decided as each token is emitted.
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
  /** inside a negation scope: after not/never/n't/… up to the next clause punctuation */
  negated: boolean;
  /** a letter was repeated 3+ times */
  elongated: boolean;
  /** a word of 2+ letters written in capitals (emphasis, or an acronym: the scorer decides) */
  allCaps: boolean;
  /** hashtags only: the tag split at case changes, lowercased ("#BlackLivesMatter" → black, lives, matter) */
  parts?: string[];
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
const WORD_SOURCE = String.raw`[\p{L}\p{M}\p{N}]+(?:[-'’_][\p{L}\p{M}\p{N}]+)*`;
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
const CAMEL_PART_RE = /\p{Lu}+(?=\p{Lu}\p{Ll})|\p{Lu}?\p{Ll}+|\p{Lu}+|\p{N}+|\p{L}+/gu;
const HAS_LOWER_RE = /\p{Ll}/u;
const UPPER_RUN_RE = /\p{Lu}.*\p{Lu}/u;
const ONLY_DIGITS_RE = /^\p{N}+$/u;
const APOSTROPHE_RE = /’/g;
// skin tones and the emoji-presentation selector do not change what an emoji says
const EMOJI_VARIANT_RE = /[\u{1F3FB}-\u{1F3FF}\uFE0F]/gu;

/** Words that open a negation scope; forms with "n't" are recognised by their ending as well. */
export const NEGATORS: ReadonlySet<string> = new Set([
  'not', 'no', 'never', 'none', 'nobody', 'nothing', 'nowhere', 'neither', 'nor', 'cannot', 'without',
  'nope', 'nah', 'aint', 'arent', 'cant', 'couldnt', 'didnt', 'doesnt', 'dont', 'hadnt', 'hasnt',
  'havent', 'isnt', 'mightnt', 'mustnt', 'neednt', 'shant', 'shouldnt', 'wasnt', 'werent', 'wont',
  'wouldnt', 'dnt', 'doesn', 'isn', 'wasn', 'aren', 'couldn', 'wouldn', 'shouldn', 'hasn', 'haven',
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
    if (m[1] !== undefined || m[8] !== undefined) {
      norm = raw.toLowerCase();
      if (m[8] !== undefined && ONLY_DIGITS_RE.test(raw)) {
        kind = 'number';
      } else {
        kind = 'word';
        if (norm.indexOf('’') >= 0) norm = norm.replace(APOSTROPHE_RE, "'");
        if (ELONGATION_TEST_RE.test(norm)) {
          elongated = true;
          norm = norm.replace(ELONGATION_RE, '$1$1');
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
        norm = norm.replace(ELONGATION_RE, '$1$1');
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
    const token: Token = { text: raw, norm, kind, start, negated, elongated, allCaps };
    if (parts !== undefined) token.parts = parts;
    tokens.push(token);
    if (kind === 'word' && isNegator(norm)) negated = true;
  }
  return tokens;
}
