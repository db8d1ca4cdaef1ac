/**
 * Streaming benchmark (issue 15), on the local stack and the local Kafka broker:
 * - ingest: a back-log of posts in a topic drained by one stream (in-process workers): posts per second
 *   into the store (batches written) and into post_scores (scored);
 * - latency: posts produced at a steady rate into a running stream, produce → row in post_scores, p50/p99;
 * - alerts: a planted burst (posts of a new hashtag, created now) after 15 minutes of ordinary traffic, with
 *   1-minute buckets: seconds from producing its first post to its alert being recorded.
 *
 *   npm run bench -- --only stream          (or: npx tsx bench/stream.ts [--posts 30000])
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { closeProducers, ensureTopic, publishJson, resolveBrokers } from '../activities/collect/stream/kafka';
import { loadDotEnv } from '../lib/config';
import { projectRoot } from '../lib/paths';
import { connectStack, type Stack } from '../lib/stack';
import { startWorkers } from '../workers/worker';
import { stream, stopStreamSignal, type StreamInput } from '../workflows/stream';
import { postV1 } from '../test/helpers/streamFixtures';
import { quantileSorted } from '../models/trends/forecast';

export interface StreamBenchResult {
  client: string;
  broker: string;
  ingest: { posts: number; writtenPerSecond: number; scoredPerSecond: number; batches: number; seconds: number };
  latency: { posts: number; ratePerSecond: number; p50Ms: number; p99Ms: number; maxMs: number };
  alert: { bucketSeconds: number; detectedAfterSeconds: number | null; afterBucketCloseSeconds: number | null; key: string };
}

const round = (x: number, d = 1) => Number(x.toFixed(d));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the broker with scripts/services.sh when KAFKA_BROKERS is unset (and says so). */
function ensureKafka(log: (m: string) => void): string[] {
  loadDotEnv();
  if (!process.env.KAFKA_BROKERS) {
    log('starting the Kafka broker (scripts/services.sh up kafka)');
    const r = spawnSync('bash', [path.join(projectRoot, 'scripts', 'services.sh'), 'up', 'kafka'], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error('could not start Kafka: see .data/logs/kafka.log');
    delete process.env.KAFKA_BROKERS;
    loadDotEnv();
  }
  return resolveBrokers(null);
}

async function waitForResult(stack: Stack, id: string) {
  return stack.client.workflow.getHandle<typeof stream>(id).result();
}

export async function runStreamBench(
  opts: { posts?: number; latencyPosts?: number; rate?: number; progress?: (m: string) => void } = {},
): Promise<StreamBenchResult> {
  const log = opts.progress ?? ((m: string) => process.stderr.write(`[stream bench] ${m}\n`));
  const brokers = ensureKafka(log);
  const stack = await connectStack();
  const taskQueue = `bench-stream-${Date.now().toString(36)}`;
  const workers = await startWorkers({ connection: stack.nativeConnection, namespace: stack.namespace, taskQueue, deps: { store: stack.store, db: stack.db } });
  const tag = Date.now().toString(36);
  try {
    // 1. Ingest: drain a back-log.
    const n = opts.posts ?? 30_000;
    const ingestTopic = `bench-ingest-${tag}`;
    const platform = `bi${tag}`;
    await ensureTopic(brokers, ingestTopic);
    const t0 = Date.now() - 3 * 3600_000;
    log(`producing ${n} posts to ${ingestTopic}`);
    await publishJson(
      brokers,
      ingestTopic,
      Array.from({ length: n }, (_, i) => postV1(platform, i, { at: t0 + i * 300 })),
    );
    const ingestId = `bench-stream-ingest-${tag}`;
    const started = Date.now();
    const ingestInput: StreamInput = {
      source: 'kafka',
      topic: ingestTopic,
      brokers,
      windowSeconds: 5,
      batchMessages: 5000,
      idleExitSeconds: 5,
      bucketMinutes: 0,
    };
    await stack.client.workflow.start(stream, { workflowId: ingestId, taskQueue, args: [ingestInput] });
    const done = await waitForResult(stack, ingestId);
    const { rows: ing } = await stack.db.query(
      `SELECT extract(epoch FROM max(written_at))*1000 AS written, extract(epoch FROM max(scored_at))*1000 AS scored, count(*)::int AS batches FROM stream_batches WHERE stream_id = $1`,
      [ingestId],
    );
    const ingest = {
      posts: done.posts,
      writtenPerSecond: round(done.posts / ((Number(ing[0].written) - started) / 1000)),
      scoredPerSecond: round(done.scored / ((Number(ing[0].scored) - started) / 1000)),
      batches: ing[0].batches,
      seconds: round((Date.now() - started) / 1000),
    };
    log(`ingest: ${JSON.stringify(ingest)}`);

    // 2. Latency: a steady rate into a running stream.
    const latencyPosts = opts.latencyPosts ?? 3000;
    const rate = opts.rate ?? 200;
    const latTopic = `bench-latency-${tag}`;
    const latPlatform = `bl${tag}`;
    await ensureTopic(brokers, latTopic);
    const latId = `bench-stream-latency-${tag}`;
    await stack.client.workflow.start(stream, {
      workflowId: latId,
      taskQueue,
      args: [{ source: 'kafka', topic: latTopic, brokers, windowSeconds: 1, batchMessages: 2000, idleExitSeconds: 8, bucketMinutes: 0 }],
    });
    await sleep(3000); // the consumer joins its group
    const producedAt = new Map<string, number>();
    const chunk = Math.max(1, Math.round(rate / 10));
    log(`producing ${latencyPosts} posts at ${rate}/s to a running stream`);
    for (let i = 0; i < latencyPosts; i += chunk) {
      const t = Date.now();
      const values = Array.from({ length: Math.min(chunk, latencyPosts - i) }, (_, k) => postV1(latPlatform, i + k, { at: t }));
      await publishJson(brokers, latTopic, values);
      for (const v of values) producedAt.set(v.id, t);
      const wait = t + 100 - Date.now();
      if (wait > 0) await sleep(wait);
    }
    await waitForResult(stack, latId);
    const { rows: lat } = await stack.db.query(`SELECT post_id, extract(epoch FROM scored_at)*1000 AS at FROM post_scores WHERE post_id LIKE $1`, [
      `${latPlatform}:%`,
    ]);
    const delays = lat.map((r) => Number(r.at) - producedAt.get(r.post_id)!).sort((a, b) => a - b);
    const latency = {
      posts: delays.length,
      ratePerSecond: rate,
      p50Ms: Math.round(quantileSorted(delays, 0.5)),
      p99Ms: Math.round(quantileSorted(delays, 0.99)),
      maxMs: Math.round(delays.at(-1) ?? NaN),
    };
    log(`latency: ${JSON.stringify(latency)}`);

    // 3. Alert: 15 minutes of ordinary traffic (1-minute buckets), then a burst of a new hashtag.
    const alertTopic = `bench-alert-${tag}`;
    const alertPlatform = `ba${tag}`;
    await ensureTopic(brokers, alertTopic);
    const bucket = 60_000;
    const now = Date.now();
    const history = Array.from({ length: 15 * 20 }, (_, i) =>
      postV1(alertPlatform, i, {
        at: now - 15 * bucket + Math.floor(i / 20) * bucket + (i % 20) * 2000,
        hashtags: [['harbour', 'market', 'bread', 'tram'][i % 4]],
      }),
    );
    await publishJson(brokers, alertTopic, history);
    const alertId = `bench-stream-alert-${tag}`;
    await stack.client.workflow.start(stream, {
      workflowId: alertId,
      taskQueue,
      args: [{ source: 'kafka', topic: alertTopic, brokers, windowSeconds: 2, bucketMinutes: 1, alertWarmup: 6 }],
    });
    await sleep(8000); // history consumed and scored
    // Planted 2 s into a bucket: the burst's bucket must close (58 s later) before it can be judged, so this is
    // close to the worst case; `afterBucketClose` is the detector's own part.
    await sleep((bucket + 2000 - (Date.now() % bucket)) % bucket);
    const key = `burst${tag}`;
    const burstAt = Date.now();
    const bucketEnd = Math.floor(burstAt / bucket) * bucket + bucket;
    log('planting a burst');
    await publishJson(
      brokers,
      alertTopic,
      Array.from({ length: 40 }, (_, i) => postV1(alertPlatform, 10_000 + i, { at: Date.now(), author: `b${i % 5}`, hashtags: [key] })),
    );
    let detectedAfterSeconds: number | null = null;
    let afterBucketCloseSeconds: number | null = null;
    for (let waited = 0; waited < 240_000 && detectedAfterSeconds === null; waited += 500) {
      const { rows } = await stack.db.query(`SELECT extract(epoch FROM detected_at)*1000 AS at FROM stream_alerts WHERE stream_id = $1 AND key = $2`, [
        alertId,
        key,
      ]);
      if (rows[0]) {
        detectedAfterSeconds = round((Number(rows[0].at) - burstAt) / 1000);
        afterBucketCloseSeconds = round((Number(rows[0].at) - bucketEnd) / 1000);
      } else await sleep(500);
    }
    await stack.client.workflow.getHandle(alertId).signal(stopStreamSignal);
    await waitForResult(stack, alertId);
    const alert = { bucketSeconds: bucket / 1000, detectedAfterSeconds, afterBucketCloseSeconds, key };
    log(`alert: ${JSON.stringify(alert)}`);
    return { client: 'kafkajs 2.2.4', broker: 'Apache Kafka 4.1.1 (KRaft, one node, -Xmx512m)', ingest, latency, alert };
  } finally {
    await closeProducers();
    await workers.stop();
    await stack.close();
  }
}

export function renderStreamBench(r: StreamBenchResult): string {
  return [
    '',
    `## Streaming (${r.client} → ${r.broker})`,
    '',
    '| figure | value |',
    '|---|---|',
    `| ingest: back-log of ${r.ingest.posts} posts into the store | ${r.ingest.writtenPerSecond} posts/s written, ${r.ingest.scoredPerSecond} posts/s scored (${r.ingest.batches} batches, ${r.ingest.seconds} s) |`,
    `| latency: produce → post_scores at ${r.latency.ratePerSecond} posts/s (${r.latency.posts} posts) | p50 ${r.latency.p50Ms} ms, p99 ${r.latency.p99Ms} ms, max ${r.latency.maxMs} ms |`,
    `| alert: first post of a planted burst (2 s into its ${r.alert.bucketSeconds} s bucket) → its alert | ${r.alert.detectedAfterSeconds ?? 'not detected'} s (${r.alert.afterBucketCloseSeconds ?? '–'} s after the bucket closed) |`,
    '',
  ].join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const posts = process.argv.includes('--posts') ? Number(process.argv[process.argv.indexOf('--posts') + 1]) : undefined;
  const r = await runStreamBench({ posts });
  process.stdout.write(JSON.stringify(r, null, 2) + '\n' + renderStreamBench(r));
  process.exit(0);
}
