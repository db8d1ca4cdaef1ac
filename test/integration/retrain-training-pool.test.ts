/**
 * A retrain on a worker with a stage pool (`socialsense worker`, threads ≥ 1): its training and insights activities run
 * on the worker's training pool (workers/trainingTask.ts), where the main thread heartbeats while a thread computes,
 * and the workflow gives them a heartbeat timeout, so a worker that dies mid-training is noticed in minutes instead of
 * at the 1-hour start-to-close timeout (it was: a nightly retrain stalled for an hour after a deploy).
 * A fresh database of its own, as test/integration/stage-pool.test.ts does.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, storageConfigSchema } from '../../lib/config';
import { createDb } from '../../lib/db';
import { connectStack, type Stack } from '../../lib/stack';
import { nightlyRetrain, type RetrainSummary } from '../../workflows/retrain';
import { startWorkers } from '../../workers/worker';
import { copyServingModels, resetBenchDatabase } from '../../bench/benchDatabase';
import { writeSentimentTrainSample } from '../helpers/sharedData';
import { requireStack, uniqueId } from '../helpers/stack';

let team: Stack;
let stack: Stack;
let url: string;
let workers: Awaited<ReturnType<typeof startWorkers>>;
let summary: RetrainSummary;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'socialsense-training-pool-'));
const runKey = uniqueId('retrain-pool');
const taskQueue = uniqueId('test-training-pool');

beforeAll(async () => {
  team = await requireStack();
  url = await resetBenchDatabase(team.databaseUrl, `socialsense_it_trainpool_${crypto.randomUUID().slice(0, 8)}`);
  await copyServingModels(team.db, url);
  stack = await connectStack({ ...process.env, DATABASE_URL: url });
  workers = await startWorkers({
    connection: stack.nativeConnection,
    namespace: stack.namespace,
    taskQueue,
    deps: { store: stack.store, db: stack.db },
    threads: 1,
    threadDeps: { databaseUrl: url, storage: parseConfig(storageConfigSchema) },
  });
  writeSentimentTrainSample(tmp);
  summary = await stack.client.workflow.execute(nightlyRetrain, {
    taskQueue,
    workflowId: runKey,
    args: [{ date: '2026-11-10', days: 3, posts: 150, sentimentTrainFile: path.join(tmp, 'train.tsv') }],
  });
}, 300_000);

afterAll(async () => {
  await workers?.stop();
  await stack?.close();
  const admin = createDb(team.databaseUrl, 1);
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${new URL(url).pathname.slice(1)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  await team?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('a retrain on a worker with a stage pool', () => {
  it('trains every model and computes insights on the training pool, not on the main thread', async () => {
    expect(summary.failures).toEqual([]);
    expect(summary.models.map((m) => m.name).sort()).toEqual(['engagement', 'recommender', 'segments', 'sentiment', 'topics']);
    // trainSentiment, trainTopics, trainRecommender, trainUserModels and scoreInsights: one task each
    expect(workers.trainingPool!.completed).toBe(5);
    expect(summary.insights.users).toBeGreaterThan(0);
    const { rows } = await stack.db.query<{ user_id: string }>(`SELECT user_id FROM user_insights ORDER BY user_id LIMIT 3`);
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.user_id).toMatch(/^simulated:u\d+$/); // computed in a thread with authors keyed by platform
  });

  it('gives every training activity a heartbeat timeout, so a lost worker is noticed in minutes', async () => {
    const scheduled: Array<{ type: string; heartbeatSeconds: number }> = [];
    const history = await stack.client.workflow.getHandle(runKey).fetchHistory();
    for (const event of history.events ?? []) {
      const a = event.activityTaskScheduledEventAttributes;
      if (a?.activityType?.name && /^train[A-Z]/.test(a.activityType.name) && a.activityType.name !== 'trainingInputs')
        scheduled.push({ type: a.activityType.name, heartbeatSeconds: Number(a.heartbeatTimeout?.seconds ?? 0) });
    }
    expect(scheduled.map((s) => s.type).sort(), JSON.stringify(scheduled)).toEqual(['trainRecommender', 'trainSentiment', 'trainTopics', 'trainUserModels']);
    for (const s of scheduled) expect(s.heartbeatSeconds).toBe(300);
  });
});
