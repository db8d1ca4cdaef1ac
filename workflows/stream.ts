import {
  CancellationScope,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  executeChild,
  isCancellation,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { IoActivities } from '../activities';
import type { AlertRecord, StreamBatch, StreamSourceKind, StreamSpec } from '../activities/stream';
import { accountingError, invalidInput, NON_RETRYABLE_TYPES } from '../lib/failures';
import { runEndOf } from './runEnd';
import { mlActivities } from './mlActivities';

/**
 * A live stream's lifecycle (issue 15): read a micro-batch (every window or every N messages) from Kafka,
 * Bluesky Jetstream or Mastodon's streaming API, run one `streamWindow` pipeline per closed batch
 * (preprocess → features → score, the pipeline's stages), then look for trend alerts. Long-running:
 * it continues as new every `batchesPerRun` batches. Control: the `status` query, the `stop` signal.
 * After a worker crash the read activity is retried on another worker and resumes from the positions
 * stored in Postgres (activities/stream.ts explains the exactly-once steps).
 */

/**
 * Where to read is the read activity's StreamSpec, every field optional (the workflow id is the stream
 * id). Defaults: source `kafka`; Kafka topic `socialsense.posts` (so `{}` from the Web UI streams that
 * topic); brokers the worker's KAFKA_BROKERS; consumer group `socialsense-<workflow id>`.
 */
export interface StreamInput extends Partial<Omit<StreamSpec, 'streamId'>> {
  /** micro-batch window, seconds (default 60) */
  windowSeconds?: number;
  /** the most messages in one micro-batch (default 5000) */
  batchMessages?: number;
  /** stop after this many messages (default: never) */
  maxPosts?: number | null;
  /** stop when nothing arrived for this many seconds (default: never) */
  idleExitSeconds?: number | null;
  /** alert bucket, minutes (default 5); 0 turns alerts off */
  bucketMinutes?: number;
  /** alert detector: observed buckets before alerts can fire (default 6), z to beat (default 4), fewest posts (default 5) */
  alertWarmup?: number;
  alertThreshold?: number;
  alertMinPosts?: number;
  /** publish scores and alerts to this Kafka topic */
  sinkTopic?: string | null;
  languages?: string[] | null;
  /** batches before continuing as new (default 100) */
  batchesPerRun?: number;
  /** carried over continue-as-new; not for people to set */
  carry?: StreamStatus;
}

export interface StreamStatus {
  streamId: string;
  source: StreamSourceKind;
  state: 'running' | 'stopping' | 'stopped';
  /** why it stopped: stop signal, max-posts, idle-exit */
  reason: string | null;
  batches: number;
  messages: number;
  posts: number;
  scored: number;
  filtered: number;
  quarantined: number;
  alerts: number;
  lastSeq: number;
  lastBatchAt: string | null;
  /** messages waiting in the consumer's buffer at the last cut */
  buffered: number;
  reconnects: number;
  skipped: Record<string, number>;
  recentAlerts: Array<Pick<AlertRecord, 'kind' | 'key' | 'bucketStart' | 'posts' | 'baseline' | 'score'>>;
}

export const streamStatusQuery = defineQuery<StreamStatus>('status');
/** Stops reading; the batch in flight is finished, then the workflow returns its status. */
export const stopStreamSignal = defineSignal('stop');

export interface StreamWindowInput {
  streamId: string;
  batch: StreamBatch;
  source: string;
  languages?: string[] | null;
  sinkTopic?: string | null;
  brokers?: string[] | null;
}

export interface StreamWindowResult {
  runKey: string;
  postsIn: number;
  scored: number;
  filtered: number;
  quarantined: number;
}

const io = proxyActivities<IoActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 20, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
});

const reader = proxyActivities<IoActivities>({
  // A read waits at most a window or the idle time; heartbeats say the consumer is alive meanwhile.
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
});

/** One closed micro-batch through preprocess → features → score (→ user profiles), like a pipeline run's partitions. */
export async function streamWindow(input: StreamWindowInput): Promise<StreamWindowResult> {
  const { batch, source } = input;
  const runKey = batch.runKey;
  const ml = mlActivities();
  await io.recordRunStart({ runKey, kind: 'stream-window', input: { streamId: input.streamId, seq: batch.seq, ranges: batch.ranges } });
  try {
    let scored = 0;
    let filtered = 0;
    let quarantined = batch.counts.quarantined;
    for (const p of batch.partitions) {
      const pre = await ml.preprocess({ runKey, source, date: p.date, inputs: [p.posts], languages: input.languages ?? null });
      const { features, models } = await ml.extractFeatures({ runKey, source, date: p.date, clean: pre.clean });
      const partition = `${source}/${p.date}`;
      const result = await ml.scorePosts({ runKey, partition, features, topicModel: models.topics });
      await ml.updateUserProfiles({ partition, features, engagements: null });
      scored += result.scored;
      filtered += pre.counts.duplicates + pre.counts.filteredLanguage + pre.counts.filteredSpam;
      quarantined += pre.counts.quarantined + (result.quarantined ?? 0);
    }
    if (input.sinkTopic) await io.publishStreamScores({ runKey, sinkTopic: input.sinkTopic, brokers: input.brokers ?? null });
    const summary: StreamWindowResult = { runKey, postsIn: batch.counts.posts + batch.counts.quarantined, scored, filtered, quarantined };
    if (summary.postsIn !== scored + filtered + quarantined) {
      throw accountingError(`stream batch ${batch.seq}: post accounting does not add up: ${JSON.stringify(summary)}`);
    }
    await io.recordRunEnd({ runKey, status: 'completed', summary });
    return summary;
  } catch (err) {
    await CancellationScope.nonCancellable(() => io.recordRunEnd({ runKey, ...runEndOf(err) }));
    throw err;
  }
}

/** The Kafka topic a stream reads when its input names none. */
export const DEFAULT_STREAM_TOPIC = 'socialsense.posts';

/** Pipelines of closed windows running at once while the next window is read. */
const WINDOWS_IN_FLIGHT = 2;

export async function stream(input: StreamInput = {}): Promise<StreamStatus> {
  const info = workflowInfo();
  const streamId = info.workflowId;
  const source: StreamSourceKind = input.source ?? 'kafka';
  if (!['kafka', 'jetstream', 'mastodon'].includes(source)) throw invalidInput(`unknown stream source "${source}": use kafka, jetstream or mastodon`);
  const windowMs = Math.max(1, input.windowSeconds ?? 60) * 1000;
  const bucketMs = (input.bucketMinutes ?? 5) * 60_000;
  const status: StreamStatus = input.carry ?? {
    streamId,
    source,
    state: 'running',
    reason: null,
    batches: 0,
    messages: 0,
    posts: 0,
    scored: 0,
    filtered: 0,
    quarantined: 0,
    alerts: 0,
    lastSeq: 0,
    lastBatchAt: null,
    buffered: 0,
    reconnects: 0,
    skipped: {},
    recentAlerts: [],
  };
  setHandler(streamStatusQuery, () => status);
  let readScope: CancellationScope | null = null;
  setHandler(stopStreamSignal, () => {
    if (status.state !== 'running') return;
    status.state = 'stopping';
    status.reason = 'stopped';
    readScope?.cancel();
  });
  const spec: StreamSpec = {
    streamId,
    source,
    topic: source === 'kafka' ? (input.topic ?? DEFAULT_STREAM_TOPIC) : null,
    brokers: input.brokers ?? null,
    group: input.group ?? null,
    url: input.url ?? null,
    hashtag: input.hashtag ?? null,
    platform: input.platform ?? null,
  };
  const storeSource = source === 'kafka' ? 'kafka' : source === 'jetstream' ? 'bluesky' : 'mastodon';

  const detect = async (final: boolean) => {
    if (bucketMs <= 0) return;
    const fresh = await io.detectStreamAlerts({
      streamId,
      bucketMs,
      now: Date.now(),
      final,
      sinkTopic: input.sinkTopic ?? null,
      brokers: input.brokers ?? null,
      warmup: input.alertWarmup,
      threshold: input.alertThreshold,
      minPosts: input.alertMinPosts,
    });
    status.alerts += fresh.length;
    status.recentAlerts = [
      ...fresh.map((a) => ({ kind: a.kind, key: a.key, bucketStart: a.bucketStart, posts: a.posts, baseline: a.baseline, score: a.score })),
      ...status.recentAlerts,
    ].slice(0, 10);
  };

  const inflight: Array<Promise<void>> = [];
  const runWindow = async (batch: StreamBatch) => {
    const r = await executeChild(streamWindow, {
      // Business key: a batch handed out again (after a crash) is the same run.
      workflowId: batch.runKey,
      args: [{ streamId, batch, source: storeSource, languages: input.languages ?? null, sinkTopic: input.sinkTopic ?? null, brokers: input.brokers ?? null }],
    });
    await io.markStreamBatchScored({ streamId, seq: batch.seq });
    status.scored += r.scored;
    status.filtered += r.filtered;
    status.quarantined += r.quarantined - batch.counts.quarantined;
    await detect(false);
  };

  const perRun = input.batchesPerRun ?? 100;
  let batchesThisRun = 0;
  let loops = 0;
  const idleExitMs = input.idleExitSeconds != null ? input.idleExitSeconds * 1000 : Infinity;
  // With alerts on, an empty read returns every window, so a bucket that closes in a quiet spell is still examined.
  const readIdleMs = Math.min(idleExitMs, bucketMs > 0 ? windowMs : Math.max(windowMs, 60_000));
  let idleSince = Date.now();
  let detectedBucket = bucketMs > 0 ? Math.floor(Date.now() / bucketMs) : 0;
  while (status.state === 'running') {
    const remaining = input.maxPosts != null ? input.maxPosts - status.messages : Infinity;
    if (remaining <= 0) {
      status.reason = 'max-posts';
      break;
    }
    if (batchesThisRun >= perRun || loops >= 4 * perRun) break; // continue as new below
    loops++;
    readScope = new CancellationScope();
    let result;
    try {
      result = await readScope.run(() =>
        reader.readStreamBatch({
          ...spec,
          afterSeq: status.lastSeq,
          windowMs,
          maxMessages: Math.max(1, Math.min(input.batchMessages ?? 5000, remaining)),
          idleMs: readIdleMs,
        }),
      );
    } catch (err) {
      if (isCancellation(err) && status.state !== 'running') break;
      throw err;
    } finally {
      readScope = null;
    }
    status.buffered = result.buffered;
    status.reconnects = result.reconnects;
    status.skipped = result.skipped;
    if (result.batch) {
      const batch = result.batch;
      status.lastSeq = batch.seq;
      status.batches++;
      batchesThisRun++;
      status.messages += batch.counts.messages;
      status.posts += batch.counts.posts;
      status.quarantined += batch.counts.quarantined;
      status.lastBatchAt = new Date(Date.now()).toISOString();
      const p = runWindow(batch);
      inflight.push(p);
      void p.finally(() => inflight.splice(inflight.indexOf(p), 1)).catch(() => undefined);
      idleSince = Date.now();
      if (inflight.length >= WINDOWS_IN_FLIGHT) await inflight[0];
    } else if (Date.now() - idleSince >= idleExitMs) {
      status.reason = 'idle-exit';
      break;
    } else if (bucketMs > 0 && Math.floor(Date.now() / bucketMs) > detectedBucket && inflight.length === 0) {
      detectedBucket = Math.floor(Date.now() / bucketMs);
      await detect(false);
    }
  }
  await Promise.all(inflight);
  await condition(() => inflight.length === 0);
  const ending = status.state !== 'running' || status.reason !== null;
  if (!ending) {
    // A long stream keeps its history small: the same stream, a fresh run, counts carried.
    await continueAsNew<typeof stream>({ ...input, carry: status });
  }
  await CancellationScope.nonCancellable(async () => {
    await detect(true);
    await io.closeStreamSource({ streamId });
  });
  status.state = 'stopped';
  return status;
}
