import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { createTimeSkippingEnv, rootMessage } from '../helpers/timeSkipping';
import type { IoActivities, MlActivities } from '../../activities';
import type { DatasetRef } from '../../lib/schema';
import { workflowBundle } from '../../workers/worker';
import { socialSensePipeline } from '../../workflows/pipeline';

const ref = (name: string, records: number): DatasetRef => ({
  uri: `s3://test/${name}`,
  format: 'ndjson.gz',
  schema: 'post.v1',
  records,
  bytes: 1,
  sha256: name,
});

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
});

afterAll(async () => {
  await env?.teardown();
});

/** In-memory activities: the workflow's orchestration is what is under test here. */
function fakeActivities(overrides: { preprocessFailures?: number; scored?: number } = {}) {
  const calls: string[] = [];
  const runEnds: Array<{ status: string; error?: string }> = [];
  let preprocessAttempts = 0;
  const io: Partial<IoActivities> = {
    async recordRunStart() {
      calls.push('start');
    },
    async recordRunEnd(input) {
      runEnds.push(input);
    },
    async summarizeRun() {
      return { scored: overrides.scored ?? 90, sentiment: { negative: 30, neutral: 30, positive: 30 }, topHashtags: [] };
    },
    async collectSimulated(input) {
      calls.push(`collect:${input.endDate}:${input.days}`);
      return {
        source: 'simulated',
        query: null,
        partitions: [{ date: input.endDate!, posts: ref('posts', 100), raw: null }],
        quarantine: null,
        counts: { in: 100, quarantined: 2 },
      };
    },
  };
  const ml: Partial<MlActivities> = {
    async preprocess(input) {
      preprocessAttempts++;
      if (preprocessAttempts <= (overrides.preprocessFailures ?? 0)) throw new Error('object store unavailable');
      calls.push(`preprocess:${input.inputs.map((r) => r.uri).join(',')}`);
      return {
        clean: ref('clean', 90),
        quarantine: null,
        spam: null,
        counts: { in: 98, kept: 90, duplicates: 5, quarantined: 3, filteredLanguage: 0, filteredSpam: 0 },
        languages: { en: 98 },
      };
    },
    async extractFeatures(input) {
      calls.push(`features:${input.clean.uri}`);
      return { features: ref('features', 90), models: { sentiment: 'lexicon.v1', topics: null } };
    },
    async updateUserProfiles() {
      return { updated: 3, alreadyFolded: 0 };
    },
    async scorePosts(input) {
      calls.push(`score:${input.partition}:${input.features.uri}`);
      return { scored: overrides.scored ?? 90 };
    },
  };
  return { io, ml, calls, runEnds, attempts: () => preprocessAttempts };
}

async function withWorkers<T>(fakes: ReturnType<typeof fakeActivities>, taskQueue: string, fn: () => Promise<T>): Promise<T> {
  const workflowBundleCode = await workflowBundle();
  const io = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: workflowBundleCode, activities: fakes.io });
  const ml = await Worker.create({ connection: env.nativeConnection, taskQueue: `${taskQueue}-ml`, activities: fakes.ml });
  return io.runUntil(ml.runUntil(fn()));
}

describe('socialSensePipeline (time-skipping server)', () => {
  it('passes references stage to stage and accounts for every post', async () => {
    const fakes = fakeActivities();
    const summary = await withWorkers(fakes, 'wf-ok', () =>
      env.client.workflow.execute(socialSensePipeline, { taskQueue: 'wf-ok', workflowId: 'pipeline-wf-ok', args: [{ date: '2026-11-20', days: 3 }] }),
    );
    expect(fakes.calls).toEqual([
      'start',
      'collect:2026-11-20:3',
      'preprocess:s3://test/posts',
      'features:s3://test/clean',
      'score:simulated/2026-11-20:s3://test/features',
    ]);
    expect(summary).toMatchObject({ postsIn: 100, quarantined: 5, filtered: 5, scored: 90, date: '2026-11-20', source: 'simulated' });
    expect(fakes.runEnds).toEqual([expect.objectContaining({ status: 'completed' })]);
  });

  it('retries a failing stage with backoff and completes', async () => {
    const fakes = fakeActivities({ preprocessFailures: 3 });
    const summary = await withWorkers(fakes, 'wf-retry', () =>
      env.client.workflow.execute(socialSensePipeline, { taskQueue: 'wf-retry', workflowId: 'pipeline-wf-retry', args: [{}] }),
    );
    expect(fakes.attempts()).toBe(4);
    expect(summary.scored).toBe(90);
  });

  it('fails without retrying when the accounting does not add up, and records the failure', async () => {
    const fakes = fakeActivities({ scored: 89 });
    const err = await withWorkers(fakes, 'wf-acct', () =>
      env.client.workflow.execute(socialSensePipeline, { taskQueue: 'wf-acct', workflowId: 'pipeline-wf-acct', args: [{}] }),
    ).catch((e) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err.cause as ApplicationFailure).type).toBe('AccountingError');
    expect(fakes.runEnds).toEqual([expect.objectContaining({ status: 'failed', error: expect.stringMatching(/accounting does not add up/) })]);
  });

  it('rejects bad input without retrying: file source without a path, malformed date', async () => {
    const fakes = fakeActivities();
    const noPath = await withWorkers(fakes, 'wf-input', () =>
      env.client.workflow.execute(socialSensePipeline, { taskQueue: 'wf-input', workflowId: 'pipeline-wf-input', args: [{ source: 'file' }] }),
    ).catch((e) => e);
    expect(noPath).toBeInstanceOf(WorkflowFailedError);
    expect(rootMessage(noPath)).toMatch(/source "file" needs file.path/);

    const badDate = await withWorkers(fakes, 'wf-date', () =>
      env.client.workflow.execute(socialSensePipeline, { taskQueue: 'wf-date', workflowId: 'pipeline-wf-date', args: [{ date: '24/11/2026' }] }),
    ).catch((e) => e);
    expect(rootMessage(badDate)).toMatch(/date must be YYYY-MM-DD, got "24\/11\/2026"/);
  });
});
