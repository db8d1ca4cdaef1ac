import { z } from 'zod';
import { PLATFORM_NAME, PLATFORM_NAME_RULE, POST_ID } from './platformName';

/** Canonical post (post.v1): every source maps its platform JSON to this shape. */
export const authorSchema = z.object({
  id: z.string().min(1),
  handle: z.string(),
  followers: z.number().int().nonnegative().nullable().default(null),
  created_at: z.string().nullable().default(null),
});

export const metricsSchema = z.object({
  likes: z.number().nonnegative().default(0),
  reposts: z.number().nonnegative().default(0),
  replies: z.number().nonnegative().default(0),
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
  metrics: metricsSchema.default({ likes: 0, reposts: 0, replies: 0, views: null }),
  reply_to: z.string().nullable().default(null),
  repost_of: z.string().nullable().default(null),
  hashtags: z.array(z.string()).default([]),
  mentions: z.array(z.string()).default([]),
  urls: z.array(z.string()).default([]),
  /** The platform's JSON, verbatim. Only kept in the raw zone; dropped from clean data. */
  raw: z.unknown().optional(),
});

export type Post = z.infer<typeof postSchema>;
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
  format: 'ndjson.gz' | 'json' | 'bin';
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
