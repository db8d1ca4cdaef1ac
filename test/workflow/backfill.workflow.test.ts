import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import { createTimeSkippingEnv } from '../helpers/timeSkipping';
import type { IoActivities, MlActivities } from '../../activities';
import type { DatasetRef } from '../../lib/schema';
import { workflowBundle } from '../../workers/worker';
import { backfill, backfillEnd, cancelSignal, dayWorkflowId } from '../../workflows/backfill';

const ref = (name: string): DatasetRef => ({ uri: `s3://test/${name}`, format: 'ndjson.gz', schema: 'post.v1', records: 10, bytes: 1, sha256: name });

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

type RunStart = Parameters<IoActivities['recordRunStart']>[0];
type RunEnd = Parameters<IoActivities['recordRunEnd']>[0];

function fakes(opts: { alreadyDone?: string[]; failingDate?: string; collectMs?: number }) {
  let active = 0;
  let maxActive = 0;
  const collected: string[] = [];
  const starts: RunStart[] = [];
  const ends: RunEnd[] = [];
  const io: Partial<IoActivities> = {
    async recordRunStart(input) {
      starts.push(input);
    },
    async recordRunEnd(input) {
      ends.push(input);
    },
    async summarizeRun() {
      return { scored: 10, sentiment: { negative: 3, neutral: 3, positive: 4 }, topHashtags: [] };
    },
    async completedRuns(keys) {
      return keys.filter((k) => (opts.alreadyDone ?? []).some((d) => k.includes(`-${d}-`)));
    },
    async collectSimulated(input) {
      active++;
      maxActive = Math.max(maxActive, active);
      try {
        await new Promise((r) => setTimeout(r, opts.collectMs ?? 30));
        collected.push(input.endDate!);
        if (input.endDate === opts.failingDate) throw ApplicationFailure.nonRetryable(`no data for ${input.endDate}`, 'InvalidInput');
        return {
          source: 'simulated',
          query: null,
          partitions: [{ date: input.endDate!, posts: ref('p'), raw: null }],
          quarantine: null,
          counts: { in: 10, quarantined: 0 },
        };
      } finally {
        active--;
      }
    },
  };
  const ml: Partial<MlActivities> = {
    async preprocess() {
      return {
        clean: ref('c'),
        quarantine: null,
        spam: null,
        counts: { in: 10, kept: 10, duplicates: 0, quarantined: 0, filteredLanguage: 0, filteredSpam: 0 },
        languages: {},
      };
    },
    async extractFeatures() {
      return { features: ref('f'), models: { sentiment: 'lexicon.v1', topics: null } };
    },
    async updateUserProfiles() {
      return { updated: 1, alreadyFolded: 0 };
    },
    async scorePosts() {
      return { scored: 10 };
    },
  };
  // the backfill's own row (its days' pipelines record theirs with kind 'pipeline')
  const backfillRow = () => ({ starts: starts.filter((s) => s.kind === 'backfill'), ends: ends.filter((e) => !e.runKey.startsWith('pipeline-')) });
  return { io, ml, collected, maxActive: () => maxActive, backfillRow };
}

describe('backfill (time-skipping server)', () => {
  it('runs each day once with bounded fan-out, skips done days, reports a failed day, and continues as new', async () => {
    const f = fakes({ alreadyDone: ['2026-10-02', '2026-10-07'], failingDate: '2026-10-05' });
    const taskQueue = 'bf-main';
    const bundle = await workflowBundle();
    const io = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities: f.io });
    const ml = await Worker.create({ connection: env.nativeConnection, taskQueue: `${taskQueue}-ml`, activities: f.ml });
    const { result, firstRunId, lastRunId } = await io.runUntil(
      ml.runUntil(async () => {
        const handle = await env.client.workflow.start(backfill, {
          taskQueue,
          workflowId: 'backfill-test',
          args: [{ from: '2026-10-01', to: '2026-10-10', concurrency: 3, daysPerRun: 4, dayAttempts: 2 }],
        });
        const result = await handle.result();
        const last = await env.client.workflow.getHandle('backfill-test').describe();
        return { result, firstRunId: handle.firstExecutionRunId, lastRunId: last.runId };
      }),
    );
    expect(result).toMatchObject({ daysTotal: 10, daysDone: 7, daysSkipped: 2, daysFailed: 1, daysRunning: 0, posts: 70 });
    // the root cause, with its type and the activity that raised it, not the child workflow's wrapper
    expect(result.failed).toEqual([{ date: '2026-10-05', error: 'InvalidInput: no data for 2026-10-05 (activity collectSimulated)' }]);
    expect(f.maxActive()).toBeLessThanOrEqual(3);
    expect(f.maxActive()).toBeGreaterThan(1);
    // every day not already done was collected once, the failing one once per attempt
    const counts = Object.fromEntries([...new Set(f.collected)].map((d) => [d, f.collected.filter((x) => x === d).length]));
    expect(counts).toEqual({
      '2026-10-01': 1,
      '2026-10-03': 1,
      '2026-10-04': 1,
      '2026-10-05': 2,
      '2026-10-06': 1,
      '2026-10-08': 1,
      '2026-10-09': 1,
      '2026-10-10': 1,
    });
    expect(lastRunId).not.toBe(firstRunId); // 10 days at 4 per run: continued as new
    // one row for the whole backfill across its executions, without a run id to follow, ended as failed (a day failed)
    const row = f.backfillRow();
    expect(row.starts).toEqual([
      {
        runKey: 'backfill-test',
        kind: 'backfill',
        input: { from: '2026-10-01', to: '2026-10-10', concurrency: 3, daysPerRun: 4, dayAttempts: 2 },
        followsContinueAsNew: true,
      },
    ]);
    expect(row.ends).toEqual([
      {
        runKey: 'backfill-test',
        status: 'failed',
        error: '1 of 10 days failed (2026-10-05: InvalidInput: no data for 2026-10-05 (activity collectSimulated))',
        summary: result,
      },
    ]);
    // a day's id is the one `socialsense run` gives the same input: the day plus a digest of the options
    expect(dayWorkflowId('simulated', '2026-10-01')).toMatch(/^pipeline-simulated-2026-10-01-[0-9a-f]{12}$/);
    expect(dayWorkflowId('simulated', '2026-10-01', { posts: 300 })).not.toBe(dayWorkflowId('simulated', '2026-10-01'));
    expect(dayWorkflowId('simulated', '2026-10-01', { posts: 500 })).toBe(dayWorkflowId('simulated', '2026-10-01')); // 500 is the default
  });

  it('rejects a reversed range without retrying', async () => {
    const f = fakes({});
    const io = await Worker.create({ connection: env.nativeConnection, taskQueue: 'bf-bad', workflowBundle: await workflowBundle(), activities: f.io });
    const err = await io
      .runUntil(env.client.workflow.execute(backfill, { taskQueue: 'bf-bad', workflowId: 'backfill-bad', args: [{ from: '2026-10-05', to: '2026-10-01' }] }))
      .catch((e) => e);
    expect(String(err.cause?.message)).toMatch(/from \(2026-10-05\) is after to \(2026-10-01\)/);
    expect(f.backfillRow().ends).toEqual([{ runKey: 'backfill-bad', status: 'failed', error: 'InvalidInput: from (2026-10-05) is after to (2026-10-01)' }]);
  });

  it('a backfill cancelled by its signal ends as cancelled, with how many days it did not start; one that did every day, as completed', async () => {
    const f = fakes({ collectMs: 2_000 });
    const io = await Worker.create({ connection: env.nativeConnection, taskQueue: 'bf-cancel', workflowBundle: await workflowBundle(), activities: f.io });
    const ml = await Worker.create({ connection: env.nativeConnection, taskQueue: 'bf-cancel-ml', activities: f.ml });
    const result = await io.runUntil(
      ml.runUntil(async () => {
        const handle = await env.client.workflow.start(backfill, {
          taskQueue: 'bf-cancel',
          workflowId: 'backfill-cancel',
          args: [{ from: '2026-10-01', to: '2026-10-06', concurrency: 1 }],
        });
        await handle.signal(cancelSignal);
        return handle.result();
      }),
    );
    expect(result.cancelled).toBe(true);
    const notStarted = result.daysTotal - result.daysDone - result.daysSkipped - result.daysFailed;
    expect(notStarted).toBeGreaterThan(0);
    expect(f.backfillRow().ends).toEqual([
      { runKey: 'backfill-cancel', status: 'cancelled', error: `cancelled with ${notStarted} of 6 days not started`, summary: result },
    ]);
    expect(backfillEnd({ ...result, cancelled: false, daysDone: 6 })).toEqual({ status: 'completed' });
  });
});
