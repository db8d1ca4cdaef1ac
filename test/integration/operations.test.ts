import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../../lib/stack';
import { backfill, pauseSignal, progressQuery, resumeSignal } from '../../workflows/backfill';
import { runCli } from '../helpers/cli';
import { requireStack, startTestWorkers, uniqueId } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await requireStack();
});
afterAll(async () => {
  await stack?.close();
});

describe('the nightly retraining Schedule from the CLI', () => {
  // A queue of its own: whatever the Schedule starts here is never picked up by a real worker.
  const queue = uniqueId('test-schedule');
  const env = { ...process.env, TEMPORAL_TASK_QUEUE: queue };
  const cli = (...args: string[]) => runCli(['schedule', ...args], { env });

  afterAll(async () => {
    await cli('delete');
    for await (const wf of stack.client.workflow.list({ query: `TaskQueue = '${queue}' AND ExecutionStatus = 'Running'` })) {
      await stack.client.workflow.getHandle(wf.workflowId, wf.runId).terminate('schedule test cleanup');
    }
  });

  it('is created, then updated in place, with overlap skip and a catch-up window', async () => {
    const created = await cli('apply');
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(new RegExp(`^created ${queue}-nightly-retrain: "0 2 \\* \\* \\*" UTC`));
    const updated = await cli('apply', '--cron', '30 3 * * *', '--timezone', 'Europe/Berlin');
    expect(updated.stdout).toMatch(/^updated /);
    const d = JSON.parse((await cli('describe', '--json')).stdout);
    expect(d).toMatchObject({ scheduleId: `${queue}-nightly-retrain`, paused: false, timezone: 'Europe/Berlin', overlap: 'SKIP', catchupWindowMs: 86_400_000, workflowType: 'nightlyRetrain' });
    expect(d.calendars[0].hour).toEqual([{ start: 3, end: 3, step: 1 }]);
    expect(new Date(d.nextRuns[0]).getUTCMinutes()).toBe(30);
  });

  it('pauses, resumes, triggers and backfills', async () => {
    await cli('pause', '--note', 'maintenance');
    expect(JSON.parse((await cli('describe', '--json')).stdout)).toMatchObject({ paused: true, note: 'maintenance' });
    await cli('resume');
    expect(JSON.parse((await cli('describe', '--json')).stdout).paused).toBe(false);
    expect((await cli('trigger')).code).toBe(0);
    const backfilled = await cli('backfill', '--from', '2026-10-01', '--to', '2026-10-02');
    expect(backfilled.code, backfilled.stderr).toBe(0);
    // trigger + two backfilled nights: at least one run started (overlap skip keeps the rest waiting behind it)
    let actions: unknown[] = [];
    for (let i = 0; i < 40 && actions.length === 0; i++) {
      actions = JSON.parse((await cli('describe', '--json')).stdout).recentRuns;
      if (actions.length === 0) await new Promise((r) => setTimeout(r, 250));
    }
    expect(actions.length).toBeGreaterThan(0);
  });
});

describe('backfill', () => {
  it('--follow --json runs every day once; running it again skips them all', async () => {
    const env = { ...process.env, TEMPORAL_TASK_QUEUE: uniqueId('test-backfill') };
    const year = 2000 + Math.floor(Math.random() * 20);
    const args = ['backfill', '--from', `${year}-05-01`, '--to', `${year}-05-04`, '--posts', '30', '--concurrency', '2', '--follow', '--json'];
    const first = await runCli(args, { env });
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ daysTotal: 4, daysDone: 4, daysSkipped: 0, daysFailed: 0 });
    const second = await runCli(args, { env });
    expect(JSON.parse(second.stdout)).toMatchObject({ daysTotal: 4, daysDone: 0, daysSkipped: 4, daysFailed: 0 });
  }, 180_000);

  it('reports progress, and pause holds new days back until resume', async () => {
    const workers = await startTestWorkers(stack, 'backfill-signals');
    try {
      const year = 1980 + Math.floor(Math.random() * 20);
      const handle = await stack.client.workflow.start(backfill, {
        taskQueue: workers.taskQueue,
        workflowId: uniqueId('backfill-signals'),
        args: [{ from: `${year}-03-01`, to: `${year}-03-04`, concurrency: 1, pipeline: { posts: 400 } }],
      });
      await handle.signal(pauseSignal);
      let progress = await handle.query(progressQuery);
      for (let i = 0; i < 200 && (progress.daysRunning > 0 || !progress.paused); i++) {
        await new Promise((r) => setTimeout(r, 250));
        progress = await handle.query(progressQuery);
      }
      expect(progress.paused).toBe(true);
      const held = progress.daysDone;
      expect(held).toBeLessThan(4);
      await new Promise((r) => setTimeout(r, 2000));
      expect((await handle.query(progressQuery)).daysDone).toBe(held);
      await handle.signal(resumeSignal);
      const result = await handle.result();
      expect(result).toMatchObject({ daysTotal: 4, daysDone: 4, daysFailed: 0, paused: false });
    } finally {
      await workers.stop();
    }
  }, 180_000);
});
