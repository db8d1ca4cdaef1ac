import { Context } from '@temporalio/activity';
import { invalidInput } from '../lib/failures';
import type { Db } from '../lib/db';
import { withTransaction } from '../lib/db';
import { logger } from '../lib/logger';
import type { ObjectStore } from '../lib/objectStore';
import { recordDataset } from '../lib/catalog';
import { inputDigest, writeNdjson } from '../lib/datasets';
import type { DatasetRef, Post, Quarantined } from '../lib/schema';
import { detectStreamAlerts, type AlertPost, type StreamAlert } from '../models/trends/alerts';
import { extractTerms } from '../models/topics/terms';
import { partitionKey, type CollectedPartition } from './collect/types';
import { JetstreamSource, DEFAULT_JETSTREAM_URL } from './collect/stream/jetstream';
import { KafkaSource, publishJson, resolveBrokers } from './collect/stream/kafka';
import { MastodonStreamSource, mastodonStreamBase } from './collect/stream/mastodonSse';
import { canonicalRanges, rangesOf, type PositionRange, type StreamMessage } from './collect/stream/microBatch';
import { messageToPosts, parseMessage } from './collect/stream/records';
import type { StreamSource } from './collect/stream/source';

/**
 * Streaming activities (issue 15): cut micro-batches from a live source into the store exactly once, and
 * raise trend alerts on closed buckets. The stream workflow (workflows/stream.ts) calls them in a loop.
 *
 * Exactly once, step by step (readStreamBatch):
 * 1. A `planned` row fixes the batch's positions (per partition, inclusive) before anything is written, so
 *    a consumer killed after this point re-cuts the very same batch: same object keys, same post ids.
 * 2. Posts (and the raw records, and what is quarantined) are written to the store under keys that are a
 *    digest of (stream, positions).
 * 3. One Postgres transaction marks the batch `written` and advances the stored positions.
 * 4. Only then are Kafka's offsets committed (a crash before it re-delivers messages that step 3's positions
 *    drop). A `written` batch the workflow has not seen yet is handed out again before anything new.
 * Scoring is idempotent on post id (post_scores' primary key), so even a re-run batch adds no row.
 */

export type StreamSourceKind = 'kafka' | 'jetstream' | 'mastodon';

export interface StreamSpec {
  streamId: string;
  source: StreamSourceKind;
  /** kafka */
  topic?: string | null;
  brokers?: string[] | null;
  group?: string | null;
  /** jetstream: the subscribe URL; mastodon: the instance base URL */
  url?: string | null;
  /** mastodon: a hashtag timeline instead of the public one */
  hashtag?: string | null;
  /** id prefix for raw and flat records (post.v1 keeps its own); default: the platform, or `kafka` */
  platform?: string | null;
}

export interface ReadBatchInput extends StreamSpec {
  /** batches with seq <= this were already handed to the workflow */
  afterSeq: number;
  windowMs: number;
  maxMessages: number;
  /** return an empty, idle result when nothing arrives for this long */
  idleMs: number;
}

export interface StreamBatch {
  seq: number;
  runKey: string;
  ranges: PositionRange[];
  partitions: CollectedPartition[];
  quarantine: DatasetRef | null;
  counts: { messages: number; posts: number; quarantined: number };
  /** a batch written before (a crash or a restart came between) and handed out again */
  resumed: boolean;
}

export interface ReadBatchResult {
  batch: StreamBatch | null;
  idle: boolean;
  /** messages waiting in this worker's buffer after the cut (back-log) */
  buffered: number;
  reconnects: number;
  skipped: Record<string, number>;
}

/** The live sources of this worker process, by stream id: a consumer outlives one window. */
const live = new Map<string, { source: StreamSource; config: string; lastUsed: number }>();

/** A source no activity has drained for this long is closed, so it holds no Kafka partitions another worker could read. */
const IDLE_SOURCE_MS = 120_000;
let reaper: NodeJS.Timeout | null = null;
function startReaper(): void {
  if (reaper) return;
  reaper = setInterval(() => {
    for (const [id, s] of live) {
      if (Date.now() - s.lastUsed > IDLE_SOURCE_MS) {
        live.delete(id);
        void s.source.close();
      }
    }
    if (live.size === 0 && reaper) {
      clearInterval(reaper);
      reaper = null;
    }
  }, 10_000);
  reaper.unref();
}

const defaultPlatform = (spec: StreamSpec): string =>
  spec.platform ?? (spec.source === 'jetstream' ? 'bluesky' : spec.source === 'mastodon' ? 'mastodon' : 'kafka');

/** What a stream's objects are filed under: `kafka` + topic, `bluesky` + jetstream, `mastodon` + timeline. */
function storeLabels(spec: StreamSpec): { source: string; query: string } {
  if (spec.source === 'kafka') return { source: 'kafka', query: spec.topic ?? '' };
  if (spec.source === 'jetstream') return { source: 'bluesky', query: 'jetstream' };
  return { source: 'mastodon', query: spec.hashtag ? `#${spec.hashtag}` : 'public' };
}

/** The stream's configuration without secrets, as stored in `streams.config`. */
export function publicConfig(spec: StreamSpec): Record<string, unknown> {
  return {
    topic: spec.topic ?? null,
    brokers: spec.brokers ?? null,
    group: spec.group ?? null,
    url: spec.url ?? null,
    hashtag: spec.hashtag ?? null,
    platform: defaultPlatform(spec),
  };
}

function createSource(spec: StreamSpec): StreamSource {
  switch (spec.source) {
    case 'kafka': {
      if (!spec.topic) throw invalidInput('a Kafka stream needs a topic (--topic T)');
      return new KafkaSource({ brokers: resolveBrokers(spec.brokers), topic: spec.topic, groupId: spec.group ?? `socialsense-${spec.streamId}` });
    }
    case 'jetstream':
      return new JetstreamSource(spec.url ?? process.env.JETSTREAM_URL ?? DEFAULT_JETSTREAM_URL);
    case 'mastodon':
      return new MastodonStreamSource({ baseUrl: spec.url ?? undefined, hashtag: spec.hashtag ?? null });
    default:
      throw invalidInput(`unknown stream source "${String(spec.source)}": use kafka, jetstream or mastodon`);
  }
}

async function storedPositions(db: Db, streamId: string): Promise<Map<string, string>> {
  const { rows } = await db.query(`SELECT partition, last_offset::text AS last FROM stream_offsets WHERE stream_id = $1`, [streamId]);
  return new Map(rows.map((r) => [r.partition as string, r.last as string]));
}

async function liveSource(db: Db, spec: StreamSpec): Promise<StreamSource> {
  const config = JSON.stringify(publicConfig(spec)) + spec.source;
  const have = live.get(spec.streamId);
  if (have && have.config === config) {
    have.lastUsed = Date.now();
    return have.source;
  }
  if (have) {
    live.delete(spec.streamId);
    await have.source.close();
  }
  const source = createSource(spec);
  await source.start(await storedPositions(db, spec.streamId));
  live.set(spec.streamId, { source, config, lastUsed: Date.now() });
  startReaper();
  return source;
}

/** Equal position ranges, whatever the key order (jsonb reorders an object's keys). */
const sameRanges = (a: readonly PositionRange[], b: readonly PositionRange[]): boolean =>
  a.length === b.length && a.every((r, i) => r.partition === b[i].partition && r.from === b[i].from && r.to === b[i].to);

const batchRunKey = (streamId: string, seq: number) => `${streamId}-b${String(seq).padStart(6, '0')}`;

function rowToBatch(
  streamId: string,
  row: { seq: number; ranges: PositionRange[]; result: Omit<StreamBatch, 'seq' | 'runKey' | 'ranges' | 'resumed'> },
  resumed: boolean,
): StreamBatch {
  return { seq: row.seq, runKey: batchRunKey(streamId, row.seq), ranges: canonicalRanges(row.ranges), ...row.result, resumed };
}

/** The host of the instance a Mastodon stream reads (its statuses' ids are that instance's), or undefined for a bad URL. */
function mastodonStreamHost(spec: StreamSpec): string | undefined {
  try {
    return new URL(mastodonStreamBase(spec.url)).host;
  } catch {
    return undefined; // the source refuses such a URL with a ConfigError
  }
}

/** Messages → posts by day, raw records alongside, and what cannot be a post with its reason and position. */
export function mapMessages(messages: readonly StreamMessage[], spec: StreamSpec, now = Date.now()) {
  // `--platform` names every post; without it a Kafka topic's platform JSON is named by its platform, flat records `kafka`
  const platform = spec.platform ?? (spec.source === 'kafka' ? undefined : defaultPlatform(spec));
  // a Mastodon stream's statuses carry ids of the instance it reads (MastodonStreamSource's base URL)
  const instance = spec.source === 'mastodon' ? mastodonStreamHost(spec) : undefined;
  const byDay = new Map<string, { posts: Post[]; raw: unknown[] }>();
  const quarantined: Quarantined[] = [];
  let posts = 0;
  for (const m of messages) {
    const at = `${spec.source === 'kafka' ? `${spec.topic}/${m.partition}@` : ''}${m.offset}`;
    const parsed = parseMessage(m.value);
    if ('reason' in parsed) {
      quarantined.push({ reason: `message ${at}: ${parsed.reason}`, record: m.value === null ? null : String(m.value).slice(0, 10_000) });
      continue;
    }
    // The fallback id of a record without one is its position: a re-delivered message keeps its post id.
    const fallback = spec.source === 'kafka' ? `${spec.topic}-${m.partition}-${m.offset}` : `${spec.source}-${m.offset}`;
    for (const r of messageToPosts(parsed.record, { platform, flatPlatform: defaultPlatform(spec), fallbackId: fallback, now, mastodonInstance: instance })) {
      if ('reason' in r) {
        quarantined.push({ reason: `message ${at}: ${r.reason}`, record: r.raw });
        continue;
      }
      posts++;
      const day = r.post.created_at.slice(0, 10);
      const bucket = byDay.get(day) ?? byDay.set(day, { posts: [], raw: [] }).get(day)!;
      bucket.posts.push(r.post);
      bucket.raw.push(r.raw);
    }
  }
  return { byDay, quarantined, posts };
}

export interface DetectAlertsInput {
  streamId: string;
  bucketMs: number;
  /** epoch ms: buckets ending at or before it are closed (the workflow's clock) */
  now: number;
  /** the stream is ending: its last bucket counts as closed */
  final?: boolean;
  /** buckets looked back over (default 48) */
  lookbackBuckets?: number;
  sinkTopic?: string | null;
  brokers?: string[] | null;
  warmup?: number;
  threshold?: number;
  minPosts?: number;
}

/** One alert as stored and sent (webhook, sink topic, `socialsense alerts --json`). */
export interface AlertRecord extends Omit<StreamAlert, 'bucketStart'> {
  id: number;
  streamId: string;
  bucketStart: string;
  detectedAt: string;
}

/** POSTs one alert as JSON; a few tries, then gives up with a log line (the alert is stored either way). */
export async function postWebhook(url: string, alert: AlertRecord): Promise<boolean> {
  const body = JSON.stringify({ type: 'socialsense.alert', text: alert.explanation.summary, alert });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(10_000) });
      if (res.ok) return true;
      if (res.status < 500 && res.status !== 429) break; // the receiver refuses it: a retry will not change that
    } catch {
      // network trouble: try again
    }
    await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
  }
  logger.warn({ alert: alert.id }, 'alert webhook: not delivered (ALERT_WEBHOOK_URL)');
  return false;
}

export function createStreamActivities(deps: { store: ObjectStore; db: Db }) {
  const { store, db } = deps;
  return {
    /**
     * The next micro-batch of a stream: a `written` batch the workflow has not had yet, else a new one cut from
     * the live source (every `windowMs`, or at `maxMessages`), stored exactly once (see the module comment).
     * Returns `batch: null, idle: true` when nothing arrived for `idleMs`. Heartbeats while it waits; a
     * cancelled wait stores nothing (the messages are read again later).
     */
    async readStreamBatch(input: ReadBatchInput): Promise<ReadBatchResult> {
      const ctx = Context.current();
      const { streamId } = input;
      await db.query(
        `INSERT INTO streams (stream_id, source, config) VALUES ($1, $2, $3)
         ON CONFLICT (stream_id) DO UPDATE SET config = EXCLUDED.config, updated_at = now()`,
        [streamId, input.source, publicConfig(input)],
      );
      const pending = await db.query(
        `SELECT seq, ranges, result FROM stream_batches WHERE stream_id = $1 AND status = 'written' AND seq > $2 ORDER BY seq LIMIT 1`,
        [streamId, input.afterSeq],
      );
      const source = await liveSource(db, input);
      const status = () => ({ buffered: source.buffer.size, reconnects: source.reconnects, skipped: { ...source.skipped } });
      if (pending.rows[0]) return { batch: rowToBatch(streamId, pending.rows[0], true), idle: false, ...status() };
      // What any worker stored since this source last looked: push sources (Jetstream, Mastodon) send every event to
      // every connection, so another worker's source, or a server re-sending its last event on a reconnect, leaves
      // stored positions in this buffer, which would be cut into a batch again (the stream's counts doubled).
      for (const [partition, last] of await storedPositions(db, streamId)) source.buffer.setStored(partition, last);

      const planned = await db.query(`SELECT seq, ranges FROM stream_batches WHERE stream_id = $1 AND status = 'planned' ORDER BY seq LIMIT 1`, [streamId]);
      // canonical: jsonb does not keep key order, and the ranges are part of the batch's object keys
      const plan: PositionRange[] | null = planned.rows[0] ? canonicalRanges(planned.rows[0].ranges) : null;
      const { messages, idle } = await source.buffer.take({
        max: input.maxMessages,
        windowMs: input.windowMs,
        idleMs: plan ? Math.max(input.idleMs, 30_000) : input.idleMs,
        plan,
        signal: ctx.cancellationSignal,
        onWait: () => ctx.heartbeat({ buffered: source.buffer.size }),
      });
      if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
      const rejected = source.drainRejected();
      let seq: number;
      let ranges: PositionRange[];
      if (plan && !sameRanges(rangesOf(messages), plan)) {
        // The planned messages did not all come back (a rebalance gave a partition to another consumer, or
        // retention deleted them): store only what is here, so no position advances past an unread message.
        if (messages.length === 0 && rejected.length === 0) {
          await db.query(`DELETE FROM stream_batches WHERE stream_id = $1 AND seq = $2 AND status = 'planned'`, [streamId, planned.rows[0].seq]);
          return { batch: null, idle, ...status() };
        }
        seq = planned.rows[0].seq;
        ranges = rangesOf(messages);
        await db.query(`UPDATE stream_batches SET ranges = $3 WHERE stream_id = $1 AND seq = $2`, [streamId, seq, JSON.stringify(ranges)]);
      } else if (plan) {
        seq = planned.rows[0].seq;
        ranges = plan;
      } else if (messages.length === 0 && rejected.length === 0) {
        return { batch: null, idle, ...status() };
      } else {
        ranges = rangesOf(messages);
        const next = await db.query(`SELECT coalesce(max(seq), 0) + 1 AS seq FROM stream_batches WHERE stream_id = $1`, [streamId]);
        seq = next.rows[0].seq;
        await db.query(`INSERT INTO stream_batches (stream_id, seq, status, ranges) VALUES ($1, $2, 'planned', $3)`, [streamId, seq, JSON.stringify(ranges)]);
      }
      const runKey = batchRunKey(streamId, seq);
      const { byDay, quarantined, posts } = mapMessages(messages, input);
      quarantined.push(...rejected);
      const labels = storeLabels(input);
      const digest = inputDigest({ stream: streamId, ranges, mapper: 'stream.v1' });
      const partitions: CollectedPartition[] = [];
      for (const [date, bucket] of [...byDay].sort(([a], [b]) => a.localeCompare(b))) {
        const raw = await writeNdjson(store, partitionKey('raw', labels.source, labels.query, date, digest), bucket.raw, `${labels.source}.raw.v1`);
        const postsRef = await writeNdjson(store, partitionKey('posts', labels.source, labels.query, date, digest), bucket.posts, 'post.v1');
        await recordDataset(db, { ref: raw, stage: 'raw', source: labels.source, date, runKey, meta: { stream: streamId, ranges } });
        await recordDataset(db, { ref: postsRef, stage: 'posts', source: labels.source, date, runKey, inputs: [raw.uri], meta: { stream: streamId, ranges } });
        partitions.push({ date, posts: postsRef, raw });
      }
      let quarantine: DatasetRef | null = null;
      if (quarantined.length > 0) {
        quarantine = await writeNdjson(
          store,
          `quarantine/source=${labels.source}/stream=${encodeURIComponent(streamId)}/${digest}.ndjson.gz`,
          quarantined,
          'quarantine.v1',
        );
        await recordDataset(db, { ref: quarantine, stage: 'quarantine', source: labels.source, runKey, meta: { stream: streamId, ranges } });
      }
      const result = { partitions, quarantine, counts: { messages: messages.length, posts, quarantined: quarantined.length } };
      await withTransaction(db, async (client) => {
        await client.query(`UPDATE stream_batches SET status = 'written', ranges = $3, result = $4, written_at = now() WHERE stream_id = $1 AND seq = $2`, [
          streamId,
          seq,
          JSON.stringify(ranges),
          result,
        ]);
        for (const r of ranges) {
          await client.query(
            `INSERT INTO stream_offsets (stream_id, partition, last_offset) VALUES ($1, $2, $3)
             ON CONFLICT (stream_id, partition) DO UPDATE SET last_offset = GREATEST(stream_offsets.last_offset, EXCLUDED.last_offset), updated_at = now()`,
            [streamId, r.partition, r.to],
          );
        }
      });
      for (const r of ranges) source.buffer.setStored(r.partition, r.to);
      // Best effort: Postgres holds the truth; a failed commit only means a re-read that step 3 drops.
      await source.commit(ranges).catch((err) => logger.warn({ err: (err as Error).message, streamId }, 'stream: committing offsets to the source failed'));
      return { batch: { seq, runKey, ranges, ...result, resumed: !!plan }, idle: false, ...status() };
    },

    /** Marks a batch scored (its window pipeline finished). */
    async markStreamBatchScored(input: { streamId: string; seq: number }): Promise<void> {
      await db.query(`UPDATE stream_batches SET status = 'scored', scored_at = now() WHERE stream_id = $1 AND seq = $2`, [input.streamId, input.seq]);
    },

    /** Closes this worker's live source of a stream (on stop or at the end). */
    async closeStreamSource(input: { streamId: string }): Promise<void> {
      const have = live.get(input.streamId);
      live.delete(input.streamId);
      await have?.source.close();
    },

    /**
     * Runs the trend detector (models/trends/alerts.ts) on the stream's scored posts in the look-back, records
     * the alerts it has not recorded before (one per stream, kind, key, bucket) and sends each new one to
     * ALERT_WEBHOOK_URL and the sink topic when set. Returns the new alerts.
     */
    async detectStreamAlerts(input: DetectAlertsInput): Promise<AlertRecord[]> {
      const lookback = input.lookbackBuckets ?? 48;
      const b = input.bucketMs;
      // The stream's scored posts of the look-back before its newest post (a replayed stream's posts are old).
      const { rows } = await db.query(
        `WITH mine AS (
           SELECT s.post_id, s.author_id, s.created_at, s.text, s.hashtags, s.topic
             FROM stream_batches sb
             JOIN post_score_runs r ON r.run_key = sb.stream_id || '-b' || lpad(sb.seq::text, 6, '0')
             JOIN post_scores s ON s.post_id = r.post_id
            WHERE sb.stream_id = $1 AND sb.status = 'scored')
         SELECT DISTINCT ON (post_id) * FROM mine
          WHERE created_at > (SELECT max(created_at) FROM mine) - make_interval(secs => $2 / 1000.0)`,
        [input.streamId, (lookback + 1) * b],
      );
      if (rows.length === 0) return [];
      const posts: AlertPost[] = rows.map((r) => {
        const tags = (r.hashtags as string[]).map((h) => h.replace(/^#/, '').toLowerCase());
        const tagSet = new Set(tags);
        return {
          id: r.post_id,
          author: r.author_id,
          createdAt: new Date(r.created_at).getTime(),
          hashtags: tags,
          terms: extractTerms(r.text).filter((t) => !tagSet.has(t)),
          topic: r.topic,
        };
      });
      let newest = -Infinity;
      let oldest = Infinity;
      for (const p of posts) {
        newest = Math.max(newest, p.createdAt);
        oldest = Math.min(oldest, p.createdAt);
      }
      const endOfNewest = Math.floor(newest / b) * b + b;
      // Closed buckets: those the clock has passed (up to the newest post's); at the end of a stream also the newest post's own.
      const watermark = input.final ? endOfNewest : Math.min(Math.floor(input.now / b) * b, endOfNewest);
      const start = Math.max(Math.floor(oldest / b) * b, watermark - lookback * b);
      if (watermark <= start) return [];
      const found = detectStreamAlerts(
        posts,
        { start, watermark },
        { bucketMs: b, warmup: input.warmup, threshold: input.threshold, minPosts: input.minPosts },
      );
      const fresh: AlertRecord[] = [];
      for (const a of found) {
        const ins = await db.query(
          `INSERT INTO stream_alerts (stream_id, kind, key, bucket_start, bucket_ms, posts, baseline, score, explanation)
           VALUES ($1, $2, $3, to_timestamp($4 / 1000.0), $5, $6, $7, $8, $9)
           ON CONFLICT (stream_id, kind, key, bucket_start) DO NOTHING RETURNING id, detected_at`,
          [input.streamId, a.kind, a.key, a.bucketStart, a.bucketMs, a.posts, a.baseline, a.score, a.explanation],
        );
        if (ins.rows[0])
          fresh.push({
            ...a,
            id: Number(ins.rows[0].id),
            streamId: input.streamId,
            bucketStart: new Date(a.bucketStart).toISOString(),
            detectedAt: new Date(ins.rows[0].detected_at).toISOString(),
          });
      }
      const webhook = process.env.ALERT_WEBHOOK_URL?.trim();
      if (webhook) for (const a of fresh) await postWebhook(webhook, a);
      if (input.sinkTopic && fresh.length > 0)
        await publishJson(
          resolveBrokers(input.brokers),
          input.sinkTopic,
          fresh.map((a) => ({ type: 'alert', ...a })),
          (v) => (v as AlertRecord).key,
        );
      return fresh;
    },

    /** Publishes a scored batch's post scores to the sink topic (one JSON message per post, keyed by post id). */
    async publishStreamScores(input: { runKey: string; sinkTopic: string; brokers?: string[] | null }): Promise<number> {
      const { rows } = await db.query(
        `SELECT s.post_id, s.platform, s.author_id, s.created_at, s.lang, s.hashtags, s.sentiment_compound, s.sentiment_label, s.sentiment_model, s.topic, s.scored_at
           FROM post_score_runs r JOIN post_scores s ON s.post_id = r.post_id WHERE r.run_key = $1`,
        [input.runKey],
      );
      return publishJson(
        resolveBrokers(input.brokers),
        input.sinkTopic,
        rows.map((r) => ({ type: 'score', run_key: input.runKey, ...r })),
        (v) => (v as { post_id: string }).post_id,
      );
    },
  };
}

export type StreamActivities = ReturnType<typeof createStreamActivities>;
