import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { readNdjson } from '../../lib/datasets';
import { projectRoot } from '../../lib/paths';
import type { Stack } from '../../lib/stack';
import { postSchema } from '../../lib/schema';
import { socialSensePipeline, type PipelineSummary } from '../../workflows/pipeline';
import { freePort } from '../../lib/net';
import { spawnCli } from '../helpers/cli';
import { requireStack, startTestWorkers, uniqueId } from '../helpers/stack';

let stack: Stack;
// Stage outputs are cached by input digest; a fresh seed per run makes every stage do its work for real.
const freshSeed = () => Math.floor(Math.random() * 1e9);
beforeAll(async () => {
  stack = await requireStack();
});
afterAll(async () => {
  await stack?.close();
});

const services = (...args: string[]) => execFileSync('bash', [path.join(projectRoot, 'scripts', 'services.sh'), ...args], { stdio: 'pipe' });

async function waitForActivity(handle: WorkflowHandle, name: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const d = await handle.describe();
    const raw = d.raw.pendingActivities ?? [];
    if (raw.some((a) => a.activityType?.name === name && Number(a.state) === 2 /* STARTED */)) return;
    // The pipeline's stages after collect run in the parent; collect runs in a child.
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`activity ${name} did not start within ${timeoutMs} ms`);
}

/** Every valid post of the collected partitions is scored exactly once (or filtered as spam, with a count). */
async function expectExactlyOnce(summary: PipelineSummary, runKey: string): Promise<void> {
  const ids = new Set<string>();
  for (const ref of summary.datasets.partitions) {
    for (const p of await readNdjson<unknown>(stack.store, ref)) {
      const parsed = postSchema.safeParse(p);
      if (parsed.success) ids.add(parsed.data.id);
    }
  }
  const { rows } = await stack.db.query('SELECT count(*)::int AS n, count(DISTINCT post_id)::int AS d FROM post_scores WHERE run_key = $1', [runKey]);
  expect(rows[0]).toEqual({ n: summary.scored, d: summary.scored });
  // every valid, distinct post was either scored or filtered as spam (the simulated posts are all English)
  expect(summary.scored + summary.counts.filteredSpam).toBe(ids.size);
  expect(summary.postsIn).toBe(summary.scored + summary.filtered + summary.quarantined);
}

describe('faults on the real local stack', () => {
  it('a worker killed in the middle of a long activity is replaced and the run completes, every post exactly once', async () => {
    const taskQueue = uniqueId('test-kill');
    const env = { ...process.env, TEMPORAL_TASK_QUEUE: taskQueue, LOG_LEVEL: 'info' };
    const first = spawnCli(['worker'], env);
    await first.waitFor(/worker started/);
    const workflowId = uniqueId('pipeline-kill');
    const handle = await stack.client.workflow.start(socialSensePipeline, {
      taskQueue,
      workflowId,
      args: [{ source: 'simulated', posts: 12_000, days: 2, date: '2026-09-10', seed: freshSeed() }],
    });
    await waitForActivity(handle, 'preprocess', 90_000);
    await first.stop('SIGKILL');
    const second = spawnCli(['worker'], env);
    try {
      const summary = await handle.result();
      await expectExactlyOnce(summary, workflowId);
      // Only an activity's last attempt reaches the history: the preprocess that was running when the
      // worker died (whichever partition's it was) completed on a later attempt, after a timeout.
      const history = await handle.fetchHistory();
      const preprocessIds = new Set(
        history.events!.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'preprocess').map((e) => e.eventId!.toString()),
      );
      const retried = history.events!.filter(
        (e) => preprocessIds.has(e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() ?? '') && e.activityTaskStartedEventAttributes!.attempt! >= 2,
      );
      expect(retried.length).toBeGreaterThanOrEqual(1);
      expect(retried[0].activityTaskStartedEventAttributes!.lastFailure?.timeoutFailureInfo?.timeoutType).toBeDefined();
    } finally {
      await second.stop('SIGTERM');
    }
  }, 240_000);

  it('a worker serves Prometheus metrics, logs JSON with its ids, and stops gracefully on SIGTERM', async () => {
    const port = await freePort();
    const worker = spawnCli(['worker', '--metrics-port', String(port)], { ...process.env, TEMPORAL_TASK_QUEUE: uniqueId('test-sigterm'), LOG_LEVEL: 'info' });
    await worker.waitFor(/worker started/);
    let metrics = '';
    for (let i = 0; i < 40 && !metrics.includes('temporal_'); i++) {
      metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()).catch(() => '');
      if (!metrics.includes('temporal_')) await new Promise((r) => setTimeout(r, 250));
    }
    expect(metrics).toMatch(/^temporal_\w+/m);
    const started = worker.output().split('\n').find((l) => l.includes('worker started'))!;
    expect(JSON.parse(started)).toMatchObject({ msg: 'worker started', taskQueue: expect.stringMatching(/^test-sigterm-/), metricsPort: port });
    expect(await worker.stop('SIGTERM')).toBe(0);
    expect(worker.output()).toMatch(/worker stopped/);
  }, 60_000);

  for (const service of ['minio', 'postgres'] as const) {
    it(`${service} going away for a few seconds mid-run: activities retry and the run completes`, async () => {
      const workers = await startTestWorkers(stack, `outage-${service}`);
      try {
        const workflowId = uniqueId(`pipeline-${service}-outage`);
        const handle = await stack.client.workflow.start(socialSensePipeline, {
          taskQueue: workers.taskQueue,
          workflowId,
          args: [{ source: 'simulated', posts: 3000, days: 2, date: '2026-09-12', seed: freshSeed() }],
        });
        await waitForActivity(handle, 'preprocess', 90_000);
        services('down', service);
        await new Promise((r) => setTimeout(r, 4000));
        services('up', service);
        const summary = await handle.result();
        await expectExactlyOnce(summary, workflowId);
      } finally {
        services('up', service);
        await workers.stop();
      }
    }, 240_000);
  }

  it('a cancelled run stops cleanly and leaves nothing a later run would take for done', async () => {
    const workers = await startTestWorkers(stack, 'cancel');
    try {
      const input = { source: 'simulated', posts: 12_000, days: 2, date: '2026-09-14', seed: freshSeed() };
      const cancelledId = uniqueId('pipeline-cancel');
      const handle = await stack.client.workflow.start(socialSensePipeline, { taskQueue: workers.taskQueue, workflowId: cancelledId, args: [input] });
      await waitForActivity(handle, 'preprocess', 90_000);
      await handle.cancel();
      const err = await handle.result().catch((e) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect(err.cause).toBeInstanceOf(CancelledFailure);
      expect((await handle.describe()).status.name).toBe('CANCELLED');
      const run = await stack.db.query('SELECT status FROM runs WHERE run_key = $1', [cancelledId]);
      expect(run.rows[0].status).toBe('failed');
      const outputs = await stack.db.query(`SELECT count(*)::int AS n FROM datasets WHERE run_key = $1 AND stage IN ('clean', 'features')`, [cancelledId]);
      expect(outputs.rows[0].n).toBe(0);
      const rows = await stack.db.query('SELECT count(*)::int AS n FROM post_scores WHERE run_key = $1', [cancelledId]);
      expect(rows.rows[0].n).toBe(0);

      const laterId = uniqueId('pipeline-after-cancel');
      const summary = await stack.client.workflow.execute(socialSensePipeline, { taskQueue: workers.taskQueue, workflowId: laterId, args: [input] });
      await expectExactlyOnce(summary, laterId);
    } finally {
      await workers.stop();
    }
  }, 240_000);
});
