import type { Author } from '../../../lib/schema';
import { UNKNOWN_AUTHOR_PREFIX } from '../../../lib/platformName';
import { parseTimestamp } from '../../../lib/timestamps';

/** Helpers shared by the platform → post.v1 mappings. */

export type Json = Record<string, unknown>;

export function obj(v: unknown, what: string): Json {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${what} is not an object`);
  return v as Json;
}

export function str(v: unknown, what: string): string {
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  throw new Error(`${what} is missing`);
}

export const optStr = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/**
 * An engagement count as post.v1 keeps it: the count when the record has one (a number, or a digit string as X's
 * archive writes it), null when it has none (the field was not requested or the export does not carry it).
 * `knownCount(a, b)` is their sum, null when neither is known (X's retweets + quotes).
 */
export function knownCount(...vs: unknown[]): number | null {
  let sum: number | null = null;
  for (const v of vs) {
    const n = count(v, -1);
    if (n >= 0) sum = (sum ?? 0) + n;
  }
  return sum;
}

/**
 * A Reddit score as a like count: the net votes, which Reddit lets fall below 0 (more down- than upvotes), read as 0
 * likes then; null without a score. Numbers in strings (Pushshift dumps) count.
 */
export function scoreAsLikes(score: unknown): number | null {
  const n = typeof score === 'string' && /^-?\d{1,15}$/.test(score) ? Number(score) : score;
  return typeof n === 'number' && Number.isFinite(n) ? Math.max(0, n) : null;
}

/** A non-negative count, or the fallback when the platform hides or omits it. */
export function count(v: unknown, fallback = 0): number {
  if (typeof v === 'string' && /^\d{1,15}$/.test(v)) return Number(v); // X's account archive writes counts as strings
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : fallback;
}

/**
 * Any timestamp a platform or an export sends → UTC ISO, read by lib/timestamps parseTimestamp as the file importer
 * reads times: ISO 8601 (with `Z`, `+0000` or `+00:00`), Twitter's and RFC 2822 dates, epoch seconds, milliseconds,
 * microseconds or nanoseconds (told by their size; numbers, digit strings or bigints).
 * @throws Error naming `what`, the value and why, for a missing or unreadable one
 */
export function utcIso(v: unknown, what = 'created_at'): string {
  const t = parseTimestamp(v);
  if (!t.ok) throw new Error(`${what} ${JSON.stringify(typeof v === 'bigint' ? String(v) : (v ?? null))} is not a timestamp: ${t.reason}`);
  return t.iso;
}

export const optUtcIso = (v: unknown): string | null => {
  try {
    return v === undefined || v === null ? null : utcIso(v);
  } catch {
    return null;
  }
};

/** What Reddit writes in place of a deleted or removed post's or comment's text: its API, its dumps and its data-request CSVs. */
export const DELETED_TEXTS: ReadonlySet<string> = new Set(['[deleted]', '[removed]']);

/**
 * Some APIs hide who wrote a record (hashtag media on Instagram, comments of private profiles on
 * Facebook). The post is still worth keeping for text analytics; a per-record id keeps such posts from
 * being merged into one giant fake user by the user analytics.
 */
export function unknownAuthor(itemId: string): Author {
  return { id: `${UNKNOWN_AUTHOR_PREFIX}${itemId}`, handle: '', followers: null, created_at: null };
}

// \p{M}: combining marks (Devanagari vowel signs, decomposed accents) belong to the word, as in models/text/normalize.ts.
const HASHTAG = /(?:^|[^\p{L}\p{M}\p{N}_&/])#([\p{L}\p{M}\p{N}_]*\p{L}[\p{L}\p{M}\p{N}_]*)/gu;
const MENTION = /(?:^|[^\p{L}\p{N}_./])@([A-Za-z0-9_](?:[A-Za-z0-9_.]*[A-Za-z0-9_])?)/gu;
const URL_RE = /\bhttps?:\/\/[^\s<>"'\])}]+/g;

const unique = (xs: string[]) => [...new Set(xs)];

/** Hashtags, @mentions and links found in free text, for platforms that send no structured entities. */
export function textEntities(text: string): { hashtags: string[]; mentions: string[]; urls: string[] } {
  return {
    hashtags: unique([...text.matchAll(HASHTAG)].map((m) => m[1])),
    mentions: unique([...text.matchAll(MENTION)].map((m) => m[1])),
    urls: unique([...text.matchAll(URL_RE)].map((m) => m[0].replace(/[.,;:!?]+$/, ''))),
  };
}

/** A query like "#climate" or "climate" → "climate"; anything that is not one hashtag is refused. */
export function hashtagOf(query: string): string | null {
  const tag = query.trim().replace(/^#/, '');
  return /^[\p{L}\p{M}\p{N}_]+$/u.test(tag) ? tag : null;
}
