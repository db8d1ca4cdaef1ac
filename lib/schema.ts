import { z } from 'zod';
import { PLATFORM_NAME, PLATFORM_NAME_RULE, POST_ID } from './platformName';

/** Canonical post (post.v1): every source maps its platform JSON to this shape. */
export const authorSchema = z.object({
  id: z.string().min(1),
  handle: z.string(),
  followers: z.number().int().nonnegative().nullable().default(null),
  created_at: z.string().nullable().default(null),
});

/**
 * Engagement counts as the platform or export gave them; null where the input has none (a CSV without such a column,
 * a tweet requested without public_metrics): not 0, which would pull a mean down with posts never counted.
 */
export const metricsSchema = z.object({
  likes: z.number().nonnegative().nullable().default(null),
  reposts: z.number().nonnegative().nullable().default(null),
  replies: z.number().nonnegative().nullable().default(null),
  views: z.number().nonnegative().nullable().default(null),
});

export const postSchema = z.object({
  /** `platform:native_id`; the platform part follows the same rule as `platform` (lib/platformName.ts) */
  id: z.string().regex(POST_ID, `id must look like "platform:native_id", the platform being ${PLATFORM_NAME_RULE}`),
  platform: z.string().regex(PLATFORM_NAME, `platform must be ${PLATFORM_NAME_RULE}`),
  author: authorSchema,
  text: z.string(),
  lang: z.string().nullable().default(null),
  created_at: z.string().datetime({ offset: true, message: 'created_at must be an ISO-8601 timestamp' }),
  url: z.string().nullable().default(null),
  metrics: metricsSchema.default({ likes: null, reposts: null, replies: null, views: null }),
  reply_to: z.string().nullable().default(null),
  repost_of: z.string().nullable().default(null),
  hashtags: z.array(z.string()).default([]),
  mentions: z.array(z.string()).default([]),
  urls: z.array(z.string()).default([]),
  /** The platform's JSON, verbatim. Only kept in the raw zone; dropped from clean data. */
  raw: z.unknown().optional(),
});

export type Post = z.infer<typeof postSchema>;

// The exact pattern postSchema's `created_at` check uses (zod's own, with the same options).
const CREATED_AT_PATTERN = z.regexes.datetime({ offset: true, local: false, precision: null });

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
const nullableString = (v: unknown): v is string | null | undefined => v === undefined || v === null || typeof v === 'string';
const count = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** A copy of a string array, [] for undefined, or null when `v` is anything else. */
function stringList(v: unknown): string[] | null {
  if (v === undefined) return [];
  if (!Array.isArray(v)) return null;
  const out = new Array<string>(v.length);
  for (let i = 0; i < v.length; i++) {
    const s = v[i];
    if (typeof s !== 'string') return null;
    out[i] = s;
  }
  return out;
}

/**
 * `postSchema.safeParse(record).data` for a valid record, computed without zod's general machinery (~10x faster, it
 * is the hot path of preprocess); `null` when the record is not a valid post.v1, or is not a plain object (then ask
 * `postSchema.safeParse` for the verdict and its messages). The result is what zod returns, key for key and in the
 * same key order: a fresh object (nothing shared with `record`), unknown keys dropped, defaults filled in, `raw`
 * present exactly when `record` has that key. test/unit/post-fast-validator.test.ts checks that it accepts exactly
 * what postSchema accepts, and returns equal objects, on valid records and on every kind of invalid field.
 */
export function parsePostFast(record: unknown): Post | null {
  if (!isPlainObject(record)) return null;
  const { id, platform, author, text, lang, created_at, url, metrics, reply_to, repost_of } = record;
  if (typeof id !== 'string' || !POST_ID.test(id)) return null;
  if (typeof platform !== 'string' || !PLATFORM_NAME.test(platform)) return null;
  if (!isPlainObject(author)) return null;
  const { id: authorId, handle, followers, created_at: authorCreated } = author;
  if (typeof authorId !== 'string' || authorId.length < 1 || typeof handle !== 'string') return null;
  if (!(followers === undefined || followers === null || (Number.isSafeInteger(followers) && (followers as number) >= 0))) return null;
  if (!nullableString(authorCreated)) return null;
  if (typeof text !== 'string' || !nullableString(lang) || !nullableString(url) || !nullableString(reply_to) || !nullableString(repost_of)) return null;
  if (typeof created_at !== 'string' || !CREATED_AT_PATTERN.test(created_at)) return null;
  let m: Post['metrics'];
  if (metrics === undefined) m = { likes: null, reposts: null, replies: null, views: null };
  else {
    if (!isPlainObject(metrics)) return null;
    const { likes, reposts, replies, views } = metrics;
    const optionalCount = (v: unknown) => v === undefined || v === null || count(v);
    if (!optionalCount(likes) || !optionalCount(reposts) || !optionalCount(replies) || !optionalCount(views)) return null;
    m = {
      likes: (likes as number | null | undefined) ?? null,
      reposts: (reposts as number | null | undefined) ?? null,
      replies: (replies as number | null | undefined) ?? null,
      views: (views as number | null | undefined) ?? null,
    };
  }
  const hashtags = stringList(record.hashtags);
  const mentions = stringList(record.mentions);
  const urls = stringList(record.urls);
  if (hashtags === null || mentions === null || urls === null) return null;
  const post: Post = {
    id,
    platform,
    author: { id: authorId, handle, followers: (followers as number | null | undefined) ?? null, created_at: authorCreated ?? null },
    text,
    lang: lang ?? null,
    created_at,
    url: url ?? null,
    metrics: m,
    reply_to: reply_to ?? null,
    repost_of: repost_of ?? null,
    hashtags,
    mentions,
    urls,
  };
  if ('raw' in record) post.raw = record.raw;
  return post;
}
export type Author = z.infer<typeof authorSchema>;

export const engagementKinds = ['like', 'reply', 'repost'] as const;
export type EngagementKind = (typeof engagementKinds)[number];

export const engagementSchema = z.object({
  user_id: z.string().min(1),
  post_id: z.string().min(1),
  kind: z.enum(engagementKinds),
  at: z.string(),
});
export type Engagement = z.infer<typeof engagementSchema>;

export const sentimentLabels = ['negative', 'neutral', 'positive'] as const;
export type SentimentLabel = (typeof sentimentLabels)[number];

/** A pointer to a dataset in the object store; the only thing workflows pass around. */
export interface DatasetRef {
  uri: string;
  /** 'parquet': the columnar layouts of lib/postColumns.ts (clean and features zones) */
  format: 'ndjson.gz' | 'parquet' | 'json' | 'bin';
  schema: string;
  records: number;
  bytes: number;
  sha256: string;
}

/** A record that could not be accepted, kept with the reason so nothing is lost silently. */
export interface Quarantined {
  reason: string;
  line?: number;
  record: unknown;
}
