/**
 * Text clean-up for social posts before anything else looks at them, and the entity patterns
 * (URL, @mention, #hashtag) that the tokenizer shares so both agree on what an entity is.
 */

import { sanitizeText } from './sanitize';

// Entities and escapes are decoded in ONE regex pass so that decoded output is never re-decoded:
// "&amp;lt;" must become "&lt;", and "\u0026amp;" must become "&amp;", as the author typed them.
const ESCAPE_RE = /&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z][a-zA-Z0-9]{1,7}));|\\(?:u([0-9a-fA-F]{4})|(["'\\/]))/g;

// The entities that occur in scraped tweets; anything else is left as written.
const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  copy: '©',
  reg: '®',
  trade: '™',
  euro: '€',
  pound: '£',
};

function codePointOrSelf(code: number, whole: string): string {
  // Invalid or NUL code points would corrupt the text; keep what was written instead.
  if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return whole;
  return String.fromCodePoint(code);
}

function decodeOne(whole: string, dec?: string, hex?: string, name?: string, u4?: string, literal?: string): string {
  if (dec !== undefined) return codePointOrSelf(Number.parseInt(dec, 10), whole);
  if (hex !== undefined) return codePointOrSelf(Number.parseInt(hex, 16), whole);
  if (name !== undefined) return NAMED_ENTITIES[name.toLowerCase()] ?? whole;
  // "\ud83d\ude02" decodes unit by unit; the two halves end up adjacent and form the pair again.
  if (u4 !== undefined) return String.fromCharCode(Number.parseInt(u4, 16));
  return literal ?? whole;
}

const WHITESPACE_RE = /\s+/g;
// Whitespace that collapsing would change: any but a single space, or two spaces in a row.
const COLLAPSIBLE_RE = /[^\S ]| {2}/;
// Text made only of code points below U+0300 (ASCII, Latin-1, Latin Extended, IPA) is already in NFC: the combining
// marks start at U+0300 and nothing below it decomposes (test/unit/text-fast-paths.test.ts checks every such pair).
const MAY_CHANGE_UNDER_NFC_RE = /[^\u0000-\u02ff]/;

/**
 * Letters and digits in the styles that "fancy text" generators offer: Mathematical Alphanumeric Symbols (U+1D400–
 * U+1D7FF: 𝗯𝗼𝗹𝗱, 𝘪𝘵𝘢𝘭𝘪𝘤, 𝓈𝒸𝓇𝒾𝓅𝓉, 𝔣𝔯𝔞𝔨𝔱𝔲𝔯, 𝕕𝕠𝕦𝕓𝕝𝕖, 𝚖𝚘𝚗𝚘), the Letterlike Symbols that fill their gaps (ℂ ℍ ℕ ℙ ℚ ℝ ℤ ℊ ℋ ℌ ℐ ℑ ℒ
 * ℓ ℛ ℜ ℬ ℭ ℯ ℰ ℱ ℳ ℴ ℎ ℨ), fullwidth letters and digits (Ａ–Ｚ, ａ–ｚ, ０–９) and circled letters (Ⓐ–ⓩ). Their Unicode
 * compatibility decomposition (NFKC) is the plain letter. Fullwidth punctuation, ™, ² and the like are left as written.
 */
const STYLED_LETTER_RE =
  /[\u{1D400}-\u{1D7FF}\u2102\u210A-\u2113\u2115\u2119-\u211D\u2124\u2128\u212C\u212D\u212F-\u2131\u2133\u2134\uFF10-\uFF19\uFF21-\uFF3A\uFF41-\uFF5A\u24B6-\u24E9]/gu;

/**
 * `text` with styled letters and digits (STYLED_LETTER_RE) written as the plain ones they stand for, so that "I 𝗹𝗼𝘃𝗲
 * this" scores, searches and counts as "I love this". The same text when it has none.
 */
export function foldStyledLetters(text: string): string {
  if (isAscii(text)) return text;
  STYLED_LETTER_RE.lastIndex = 0;
  return STYLED_LETTER_RE.test(text) ? text.replace(STYLED_LETTER_RE, (c) => c.normalize('NFKC')) : text;
}

/** Options of normalizeText. */
export interface NormalizeOptions {
  /**
   * Decode entities and backslash escapes (default true). False for text that htmlToText already decoded, so that
   * "&amp;lt;" in HTML, which reads "&lt;", is not decoded a second time into "<".
   */
  decode?: boolean;
}

/** Whether every UTF-16 code unit of `s` is ASCII (< 128): the cue for the text modules' ASCII fast paths. */
export function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 128) return false;
  return true;
}

/**
 * Decodes HTML entities (named, &#NNN; and &#xHH;) and the literal backslash escapes found in the
 * SemEval dumps (\u2019, \u002c, \", \\), removes what Postgres/JSON cannot hold and control characters
 * (sanitizeText: decoding "\u0000" or "\ud83c" must not bring them back), writes styled letters as plain ones
 * (foldStyledLetters: 𝗯𝗼𝗹𝗱, ｆｕｌｌｗｉｄｔｈ), applies Unicode NFC and collapses
 * whitespace runs to one space.
 */
export function normalizeText(text: string, options: NormalizeOptions = {}): string {
  const decode = options.decode ?? true;
  const decoded = decode && (text.indexOf('&') >= 0 || text.indexOf('\\') >= 0) ? text.replace(ESCAPE_RE, decodeOne) : text;
  // Each step is skipped when it provably changes nothing, so clean text costs a few scans and no copies.
  let out = sanitizeText(decoded);
  if (MAY_CHANGE_UNDER_NFC_RE.test(out)) out = foldStyledLetters(out).normalize('NFC');
  if (COLLAPSIBLE_RE.test(out)) out = out.replace(WHITESPACE_RE, ' ');
  return out.trim();
}

// Patterns shared with the tokenizer (which embeds their sources in its combined regex); all need the 'u' flag.
// The lookbehinds stop "me@example.com" from yielding a mention and "a#b" from yielding a hashtag.
export const URL_SOURCE = String.raw`(?:https?:\/\/|www\.)[^\s<>"'“”‘’]*[^\s<>"'“”‘’.,;:!?…)\]}]`;
export const MENTION_SOURCE = String.raw`(?<![\p{L}\p{N}_@])@[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*`;
// A hashtag needs at least one non-digit ("#1" is a ranking, not a hashtag).
export const HASHTAG_SOURCE = String.raw`(?<![\p{L}\p{N}_&#])[#＃][\p{L}\p{M}\p{N}_]*[\p{L}\p{M}_][\p{L}\p{M}\p{N}_]*`;

const ENTITY_RE = new RegExp(`(${URL_SOURCE})|(${MENTION_SOURCE})|(${HASHTAG_SOURCE})`, 'giu');
// What every match of ENTITY_RE starts with: the literal prefix of each alternative.
const ENTITY_START_RE = /https?:\/\/|www\.|[@#＃]/iu;

export interface Entities {
  hashtags: string[];
  mentions: string[];
  urls: string[];
}

/**
 * Hashtags and mentions lowercased without their sigil, URLs as written (minus trailing sentence
 * punctuation); each list deduplicated, in order of first appearance. URLs are matched first so a
 * "#fragment" or "@" inside a URL is not taken for a hashtag or mention.
 */
export function extractEntities(text: string): Entities {
  const hashtags: string[] = [];
  const mentions: string[] = [];
  const urls: string[] = [];
  // Most posts have no entity at all; this finds every place where one could start (same flags as ENTITY_RE).
  if (!ENTITY_START_RE.test(text)) return { hashtags, mentions, urls };
  const seen = new Set<string>();
  ENTITY_RE.lastIndex = 0;
  for (let m = ENTITY_RE.exec(text); m !== null; m = ENTITY_RE.exec(text)) {
    if (m[1] !== undefined) {
      if (!seen.has('u' + m[1])) {
        seen.add('u' + m[1]);
        urls.push(m[1]);
      }
    } else if (m[2] !== undefined) {
      const v = m[2].slice(1).toLowerCase();
      if (!seen.has('m' + v)) {
        seen.add('m' + v);
        mentions.push(v);
      }
    } else if (m[3] !== undefined) {
      const v = m[3].slice(1).toLowerCase();
      if (!seen.has('h' + v)) {
        seen.add('h' + v);
        hashtags.push(v);
      }
    }
  }
  return { hashtags, mentions, urls };
}
