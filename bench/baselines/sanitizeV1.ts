// Frozen copy of models/text/sanitize.ts as it was before the issue-12 speed work (2026-11-30), kept as the
// reference that the optimised code must agree with (test/unit/text-fast-paths.test.ts; the lexicon and preprocess baselines build on it) and as a bench baseline.
// Do not edit: it is the old behaviour.
/**
 * Characters that Postgres or JSON cannot hold, and those that no reader should get, removed at the edge.
 *
 * Postgres rejects U+0000 in `text` and `\u0000` in `jsonb` ("unsupported Unicode escape sequence"), and rejects
 * unpaired UTF-16 surrogates ("Unicode low surrogate must follow a high surrogate"): one such character in one post
 * used to fail the insert of a whole partition, again on every retry. Terminal escapes and other control characters
 * corrupt the CLI's tables and the report. So every string of a post is cleaned once, in preprocess, before anything
 * is stored, and what is cleaned is still scored.
 *
 * What is removed or replaced (see sanitizeText and sanitizeIdentifier for the field kinds):
 * - ANSI/ECMA-48 escape sequences, whole (`ESC [ 31m`, `ESC ] 0;title BEL`), so no "[31m" debris is left;
 * - C0 controls (U+0000–U+001F) except TAB and LF, DEL (U+007F) and C1 controls (U+0080–U+009F); the line-breaking
 *   ones (CR, VT, FF, NEL U+0085) become LF, since they separate words;
 * - unpaired surrogates become U+FFFD (a truncated emoji reads as "�", not as nothing);
 * - noncharacters (U+FDD0–U+FDEF and U+xFFFE/U+xFFFF on every plane), which are not for interchange;
 * - bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), which reorder what a reader sees of
 *   everything after them ("Trojan Source"); text keeps the bidi marks LRM/RLM/ALM, identifiers lose them too.
 * Zero-width joiners, variation selectors, emoji modifiers and all letters and marks are kept: they are valid text.
 */

// ECMA-48: CSI (ESC [ or U+009B) params intermediates final; OSC/DCS/SOS/PM/APC strings up to BEL or ST;
// and the two-character escapes (ESC followed by one intermediate-or-final byte).
const ESCAPE_SEQUENCE_RE =
  /(?:\u001b\[|\u009b)[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e]|(?:\u001b[\]PX^_]|[\u009d\u0090\u0098\u009e\u009f])[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)|\u001b[\u0020-\u002f]*[\u0030-\u007e]/g;
const LINE_BREAK_CONTROLS_RE = /\r\n?|[\u000b\u000c\u0085]/g;
const CONTROL_RE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
// Without the 'u' flag a regex sees UTF-16 code units, so a surrogate not next to its partner is matched alone.
const LONE_SURROGATE_RE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const NONCHARACTER_RE =
  /[\ufdd0-\ufdef\ufffe\uffff]|[\ud83f\ud87f\ud8bf\ud8ff\ud93f\ud97f\ud9bf\ud9ff\uda3f\uda7f\udabf\udaff\udb3f\udb7f\udbbf\udbff][\udffe\udfff]/g;
const BIDI_CONTROL_RE = /[\u202a-\u202e\u2066-\u2069]/g;
const BIDI_MARK_RE = /[\u200e\u200f\u061c]/g;
// Quick pre-check so clean strings (nearly all) cost one scan and no allocation.
const ANY_SUSPECT_RE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff\u202a-\u202e\u2066-\u2069]/;

/**
 * Cleans free text (a post's text): see the module comment for what goes. TAB and LF are kept; CR, CRLF, VT, FF and
 * NEL become LF. Returns the input itself when nothing needed cleaning. A non-string is returned unchanged.
 */
export function sanitizeText(s: string): string {
  if (typeof s !== 'string' || !ANY_SUSPECT_RE.test(s)) return s;
  return s
    .replace(ESCAPE_SEQUENCE_RE, '')
    .replace(LINE_BREAK_CONTROLS_RE, '\n')
    .replace(CONTROL_RE, '')
    .replace(NONCHARACTER_RE, '')
    .replace(LONE_SURROGATE_RE, '\ufffd')
    .replace(BIDI_CONTROL_RE, '');
}

/**
 * Cleans a one-line value that identifies or links something (ids, handles, language codes, URLs, hashtags,
 * mentions): what sanitizeText removes, plus the bidi marks (LRM, RLM, ALM), with TAB and line breaks turned into
 * spaces. Not trimmed, so an id keeps its identity apart from the removed characters.
 */
export function sanitizeIdentifier(s: string): string {
  if (typeof s !== 'string') return s;
  return sanitizeText(s)
    .replace(BIDI_MARK_RE, '')
    .replace(/[\t\n]/g, ' ');
}

/**
 * Applies sanitizeText to every string in a JSON-like value (object keys included), returning a copy only where
 * something changed. Arrays and plain objects are walked; other values are returned as they are.
 */
export function sanitizeDeep<T>(value: T): T {
  if (typeof value === 'string') return sanitizeText(value) as T;
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((v) => {
      const c = sanitizeDeep(v);
      if (c !== v) changed = true;
      return c;
    });
    return (changed ? out : value) as T;
  }
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const ck = sanitizeText(k);
      const cv = sanitizeDeep(v);
      if (ck !== k || cv !== v) changed = true;
      out[ck] = cv;
    }
    return (changed ? out : value) as T;
  }
  return value;
}

/** The first character that sanitizeText would remove or replace, or null for a clean string. */
export function findUnsafeChar(s: string): { index: number; codeUnit: string } | null {
  const cleaned = sanitizeText(s);
  if (cleaned === s) return null;
  let i = 0;
  while (i < s.length && i < cleaned.length && s[i] === cleaned[i]) i++;
  return {
    index: i,
    codeUnit: `U+${s
      .charCodeAt(Math.min(i, s.length - 1))
      .toString(16)
      .toUpperCase()
      .padStart(4, '0')}`,
  };
}
