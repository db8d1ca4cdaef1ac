import { ApplicationFailure } from '@temporalio/common';
import { postSchema, type Post } from '../../../lib/schema';
import { columnsOf, parseJsonKeepingBigInts, recordToPost, resolveMapping } from '../file';
import { recogniseRecord, type ShapeResult } from '../fileShapes';
import type { Json } from '../platforms/mapping';

/**
 * How one stream message becomes posts, the way the file importer maps a record: a canonical post.v1 is
 * validated as it is; a raw platform record in a recognised export shape (fileShapes.ts: X, Mastodon Status,
 * Bluesky PostView or repo record, Reddit, Facebook, Instagram) goes through its recogniser; any other JSON
 * object is a flat export record, mapped by its column names (file.ts `resolveMapping` + `recordToPost`).
 * A stream has no sample to decide a mapping from, so each flat record is mapped on its own columns.
 */

const isObj = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);

/** Parses a message's bytes (UTF-8 JSON); big integers keep their digits. Returns the reason when it is not a JSON object. */
export function parseMessage(value: Buffer | string | null): { record: Json } | { reason: string } {
  if (value === null || value.length === 0) return { reason: 'empty message (a tombstone or no value)' };
  const text = typeof value === 'string' ? value : value.toString('utf8');
  try {
    const v = parseJsonKeepingBigInts(text);
    return isObj(v) ? { record: v } : { reason: `not a JSON object: ${text.slice(0, 80)}` };
  } catch (err) {
    return { reason: `invalid JSON: ${(err as Error).message}` };
  }
}

/** A record that claims to be post.v1: an id `platform:native`, a platform, an author object, text and created_at. */
export function looksLikePostV1(r: Json): boolean {
  return typeof r.id === 'string' && typeof r.platform === 'string' && isObj(r.author) && typeof r.text === 'string' && 'created_at' in r;
}

export interface MessageMapping {
  /** the id prefix of every post the message holds (`--platform`; post.v1 keeps its own ids); absent: see `flatPlatform` */
  platform?: string;
  /**
   * Without `platform`: raw platform JSON (an X tweet, a Mastodon status, a Reddit listing…) is named by the platform the
   * file importer's recogniser says it is from (`x:…`, `mastodon:…`), as its connector names it; a flat record gets this,
   * also one a recogniser reads but that holds nothing only its platform writes (id, text, created_at, author_id)
   */
  flatPlatform: string;
  /**
   * native id for a flat record without an id column: deterministic in the message's position (e.g.
   * `topic-partition-offset`), so a re-delivered message gets the same post id
   */
  fallbackId: string;
  /** epoch ms for the plausibility checks; default Date.now() */
  now?: number;
  /**
   * the host of the Mastodon instance that served the messages (a Mastodon stream), whose ids they carry: statuses
   * federated from elsewhere get `host/id` ids as the REST connector gives them
   */
  mastodonInstance?: string;
}

/** The posts one message holds, each mapped or with the reason it cannot be a post (never throws). */
export function messageToPosts(record: Json, m: MessageMapping): ShapeResult[] {
  const now = m.now ?? Date.now();
  if (looksLikePostV1(record)) {
    const parsed = postSchema.safeParse(record);
    if (parsed.success) {
      const { raw, ...post } = parsed.data;
      return [{ post: post as Post, raw: raw ?? record }];
    }
    return [{ reason: `not a valid post.v1: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, raw: record }];
  }
  const shape = recogniseRecord(record);
  if (shape) {
    const platform = m.platform ?? (shape.isPlatformsOwn?.(record) === false ? m.flatPlatform : shape.platform);
    return shape.posts(record, { platform, now, ...(m.mastodonInstance ? { mastodonInstance: m.mastodonInstance } : {}) });
  }
  try {
    const mapping = resolveMapping(columnsOf([record]), {}, 'message', [record]);
    const r = recordToPost(record, mapping, m.platform ?? m.flatPlatform, m.fallbackId, { now });
    if ('post' in r) {
      const { raw, ...post } = r.post;
      return [{ post: post as Post, raw }];
    }
    return [{ reason: r.reason, raw: record }];
  } catch (err) {
    // resolveMapping says which columns are missing; for a stream that is one bad message, not a failed run
    const message = err instanceof ApplicationFailure || err instanceof Error ? err.message : String(err);
    return [{ reason: message, raw: record }];
  }
}
