import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, storageConfigSchema } from '../../lib/config';
import { createDb } from '../../lib/db';
import type { DatasetRef } from '../../lib/schema';
import { connectStack, type Stack } from '../../lib/stack';
import { socialSensePipeline, type PipelineInput, type PipelineSummary } from '../../workflows/pipeline';
import { startWorkers } from '../../workers/worker';
import { copyServingModels, resetBenchDatabase } from '../../bench/benchDatabase';
import { preprocessPartition } from '../../activities/preprocess';
import { requireStack, uniqueId } from '../helpers/stack';
import { FailureType } from '../../lib/failures';

/**
 * The stage pool (workers/threadPool.ts) against the real stack: a pipeline run on a worker whose
 * file import, preprocess, features, scoring and profile update run on 2 threads gives exactly what a
 * run with them inline gives.
 * Each run gets a fresh database of its own: the stages skip work the catalog already records
 * (onceForOutput), so a second run against one database would compare a run with a lookup.
 */
let team: Stack;
const runs: Array<{ name: string; url: string; stack: Stack; workers: Awaited<ReturnType<typeof startWorkers>>; taskQueue: string }> = [];
const suffix = crypto.randomUUID().slice(0, 8);

async function startRun(name: string, threads: number) {
  const url = await resetBenchDatabase(team.databaseUrl, `socialsense_it_${name}_${suffix}`);
  await copyServingModels(team.db, url);
  const stack = await connectStack({ ...process.env, DATABASE_URL: url });
  const taskQueue = uniqueId(`test-stage-pool-${name}`);
  const workers = await startWorkers({
    connection: stack.nativeConnection,
    namespace: stack.namespace,
    taskQueue,
    deps: { store: stack.store, db: stack.db },
    threads,
    threadDeps: { databaseUrl: url, storage: parseConfig(storageConfigSchema) },
  });
  const run = { name, url, stack, workers, taskQueue };
  runs.push(run);
  return run;
}

beforeAll(async () => {
  team = await requireStack();
});

afterAll(async () => {
  for (const r of runs) {
    await r.workers.stop();
    await r.stack.close();
  }
  const admin = createDb(team.databaseUrl, 1);
  try {
    for (const r of runs) await admin.query(`DROP DATABASE IF EXISTS ${new URL(r.url).pathname.slice(1)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  await team?.close();
});

const scoreRows = async (stack: Stack, runKey: string) =>
  (
    await stack.db.query(
      `SELECT post_id, partition, lang, sentiment_label, sentiment_compound, sentiment_model, topic, hashtags
       FROM post_scores WHERE run_key = $1 ORDER BY post_id`,
      [runKey],
    )
  ).rows;

describe('the stage pool', () => {
  it('runs preprocess and features on its threads with the same results as inline, and a failing or aborted task reports why', async () => {
    const input: PipelineInput = { source: 'simulated', posts: 400, days: 2, date: '2026-11-18', seed: 23 };
    const pooled = await startRun('pool', 2);
    const inline = await startRun('inline', 0);
    expect(pooled.workers.pool?.threads).toBe(2);
    expect(inline.workers.pool).toBeNull();

    const execute = (r: (typeof runs)[number]) =>
      r.stack.client.workflow.execute(socialSensePipeline, { taskQueue: r.taskQueue, workflowId: uniqueId(`stage-pool-${r.name}`), args: [input] });
    const a: PipelineSummary = await execute(pooled);
    const b: PipelineSummary = await execute(inline);

    // Every preprocess, features, score and profile task of the pooled run went through the threads.
    expect(a.datasets.clean).toHaveLength(2);
    expect(pooled.workers.pool!.completed).toBe(4 * a.datasets.clean.length);

    expect(a.postsIn).toBeGreaterThan(700);
    expect(a.counts).toEqual(b.counts);
    expect(a.sentiment).toEqual(b.sentiment);
    expect(a.models).toEqual(b.models);
    // Same bytes: the clean and features objects are deterministic in their input, wherever computed.
    expect(a.datasets.clean.map((r) => r.sha256)).toEqual(b.datasets.clean.map((r) => r.sha256));
    expect(a.datasets.features.map((r) => r.sha256)).toEqual(b.datasets.features.map((r) => r.sha256));
    const rowsA = await scoreRows(pooled.stack, a.runKey);
    expect(rowsA).toHaveLength(a.scored);
    expect(rowsA).toEqual(await scoreRows(inline.stack, b.runKey));

    // A stage that fails in a thread fails the task with the error the stage gives inline.
    const missing: DatasetRef = {
      uri: pooled.stack.store.uri(`posts/source=nowhere/date=2026-11-18/${suffix}.ndjson.gz`),
      format: 'ndjson.gz',
      schema: 'post.v1',
      records: 1,
      bytes: 1,
      sha256: `missing-${suffix}`,
    };
    const failing = { runKey: 'stage-pool-missing', source: 'nowhere', date: '2026-11-18', inputs: [missing] };
    const inlineError = await preprocessPartition({ store: pooled.stack.store, db: pooled.stack.db }, failing).then(
      () => null,
      (err: Error) => err,
    );
    expect(inlineError).toBeInstanceOf(Error);
    await expect(pooled.workers.pool!.run({ stage: 'preprocess', input: failing })).rejects.toThrow(inlineError!.message);
    // An aborted task (a cancelled activity) rejects with the abort's reason, and the pool keeps serving.
    const controller = new AbortController();
    const reason = new Error('cancelled by the test');
    const aborted = pooled.workers.pool!.run(
      { stage: 'features', input: { runKey: a.runKey, source: 'simulated', date: '2026-11-18', clean: a.datasets.clean[0] } },
      controller.signal,
    );
    controller.abort(reason);
    await expect(aborted).rejects.toBe(reason);
    const again = await pooled.workers.pool!.run({
      stage: 'features',
      input: { runKey: a.runKey, source: 'simulated', date: '2026-11-18', clean: a.datasets.clean[0] },
    });
    expect(again.features.sha256).toBe(a.datasets.features[0].sha256);
  }, 240_000);

  it('imports a messy export on its threads as inline: same partitions, quarantine, scores and profiles; a bad file fails the same way', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socialsense-pool-file-'));
    try {
      // Shapes people export: a BOM and `;` (European Excel), 64-bit ids, Mastodon HTML, a NUL, an Excel
      // serial date, a day/month date, a row without text, and two days.
      const file = path.join(dir, 'export.csv');
      const rows = [
        'id;text;created_at;author_id;author_handle;followers',
        '1861234567890123457;"<p>Loving the <a href=""https://example.social/tags/launch"">#launch</a> today</p>";2026-11-18T09:00:00Z;9007199254740993;ana;120',
        '1861234567890123458;"nul\u0000inside, still a good day";2026-11-18T10:30:00Z;9007199254740994;ben;7',
        '1861234567890123459;excel serial date, terrible service;46344.5;9007199254740995;cy;0',
        '1861234567890123460;;2026-11-18T11:00:00Z;9007199254740996;dee;3',
        '1861234567890123461;second day, fine;19/11/2026 08:15;9007199254740993;ana;121',
        '1861234567890123462;another one on the 19th, great;20/11/2026 08:15;9007199254740994;ben;8',
      ];
      fs.writeFileSync(file, '\ufeff' + rows.join('\n') + '\n');
      const pooled = await startRun('poolfile', 2);
      const inline = await startRun('inlinefile', 0);
      const before = pooled.workers.pool!.completed;
      const input: PipelineInput = { source: 'file', file: { path: file } };
      const execute = (r: (typeof runs)[number]) =>
        r.stack.client.workflow.execute(socialSensePipeline, { taskQueue: r.taskQueue, workflowId: uniqueId(`stage-pool-file-${r.name}`), args: [input] });
      const a: PipelineSummary = await execute(pooled);
      const b: PipelineSummary = await execute(inline);
      // the import and 4 stages per partition ran on the threads
      expect(pooled.workers.pool!.completed - before).toBe(1 + 4 * 3);
      // the Excel serial 46344.5 is the 18th; 19/11 and 20/11 are day/month; the row without text is quarantined
      expect(a.datasets.clean.map((c) => [c.uri.match(/date=([\d-]+)/)![1], c.records])).toEqual([
        ['2026-11-18', 3],
        ['2026-11-19', 1],
        ['2026-11-20', 1],
      ]);
      expect(a.counts).toMatchObject({ collected: 6, quarantinedAtCollect: 1, quarantinedAtPreprocess: 0, duplicates: 0 });
      expect(a.scored).toBe(5);
      expect(a.counts).toEqual(b.counts);
      expect(a.postsIn).toBe(b.postsIn);
      expect(a.datasets.clean.map((r) => r.sha256)).toEqual(b.datasets.clean.map((r) => r.sha256));
      const rowsA = await scoreRows(pooled.stack, a.runKey);
      expect(rowsA).toEqual(await scoreRows(inline.stack, b.runKey));
      // the 64-bit ids survive the thread boundary as strings, digit for digit
      expect(rowsA.map((r) => r.post_id)).toEqual(
        ['1861234567890123457', '1861234567890123458', '1861234567890123459', '1861234567890123461', '1861234567890123462'].map((id) => `file:${id}`),
      );
      const profiles = async (r: (typeof runs)[number]) => (await r.stack.db.query(`SELECT user_id, profile FROM user_profile_state ORDER BY user_id`)).rows;
      const profilesA = await profiles(pooled);
      expect(profilesA.map((p) => p.user_id)).toEqual(['file:9007199254740993', 'file:9007199254740994', 'file:9007199254740995']);
      expect(profilesA).toEqual(await profiles(inline));

      // A file the worker cannot read fails on a thread with the inline error's type, message and retryability.
      const missing = { path: path.join(dir, 'missing.csv'), runKey: 'stage-pool-missing-file' };
      let err: unknown;
      await pooled.workers.pool!.run({ stage: 'importFile', input: missing }).catch((e: unknown) => (err = e));
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect((err as ApplicationFailure).type).toBe(FailureType.InvalidInput);
      expect((err as ApplicationFailure).nonRetryable).toBe(true);
      expect((err as Error).message).toBe(`file not found: ${missing.path} (the path is read by the worker)`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
