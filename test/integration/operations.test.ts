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
    expect(d).toMatchObject({
      scheduleId: `${queue}-nightly-retrain`,
      paused: false,
      timezone: 'Europe/Berlin',
      overlap: 'SKIP',
      catchupWindowMs: 86_400_000,
      workflowType: 'nightlyRetrain',
    });
    expect(d.calendars[0].hour).toEqual([{ start: 3, end: 3, step: 1 }]);
    expect(new Date(d.nextRuns[0]).getUTCMinutes()).toBe(30);
  });

  it('pauses, resumes, triggers and backfills, each operation visible in the Schedule’s state', async () => {
    const state = async () => {
      const res = await cli('describe', '--json');
      expect(res.code, res.stderr).toBe(0);
      return JSON.parse(res.stdout) as { paused: boolean; note: string | null; recentRuns: Array<{ scheduledAt: string; workflowId: string }> };
    };
    /** the recent actions once there are `n` of them (the Schedule starts workflows asynchronously) */
    const actionsOnce = async (n: number) => {
      let d = await state();
      for (let i = 0; i < 80 && d.recentRuns.length < n; i++) {
        await new Promise((r) => setTimeout(r, 250));
        d = await state();
      }
      return d;
    };
    const before = await state();
    expect(before).toMatchObject({ paused: false, recentRuns: [] });

    expect((await cli('pause', '--note', 'maintenance')).code).toBe(0);
    expect(await state()).toMatchObject({ paused: true, note: 'maintenance', recentRuns: [] });
    // the server agrees, not just our formatting of it
    expect((await stack.client.schedule.getHandle(`${queue}-nightly-retrain`).describe()).state.paused).toBe(true);

    expect((await cli('resume')).code).toBe(0);
    expect(await state()).toMatchObject({ paused: false, note: 'resumed from the CLI', recentRuns: [] });

    const triggeredAt = Date.now();
    const trigger = await cli('trigger', '--json');
    expect(trigger.code, trigger.stderr).toBe(0);
    const triggered = await actionsOnce(1);
    expect(triggered.recentRuns).toHaveLength(1);
    const [run] = triggered.recentRuns;
    expect(JSON.parse(trigger.stdout)).toEqual({ started: true, workflowId: run.workflowId }); // it says what it started
    expect(run.workflowId.startsWith(`${queue}-nightly-retrain-`)).toBe(true);
    expect(Math.abs(Date.parse(run.scheduledAt) - triggeredAt)).toBeLessThan(30_000);
    // the action really started a nightlyRetrain on this queue (no worker polls it, so it waits there)
    const started = await stack.client.workflow.getHandle(run.workflowId).describe();
    expect({ type: started.type, taskQueue: started.taskQueue, status: started.status.name }).toEqual({
      type: 'nightlyRetrain',
      taskQueue: queue,
      status: 'RUNNING',
    });
    // a second trigger while that run goes on starts nothing (the Schedule's overlap policy), and says so
    const again = await cli('trigger');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.trim()).toBe(
      `not started: ${run.workflowId} of this Schedule is still running (overlap policy skip); follow it with \`socialsense runs\``,
    );
    expect((await state()).recentRuns).toHaveLength(1);

    const backfilled = await cli('backfill', '--from', '2026-10-01', '--to', '2026-10-02');
    expect(backfilled.code, backfilled.stderr).toBe(0);
    // two nights at 03:30 Europe/Berlin (CEST, UTC+2) in the range, started beside the triggered run (backfill allows overlap)
    const after = await actionsOnce(3);
    expect(after.recentRuns.map((r) => r.scheduledAt).sort()).toEqual(['2026-10-01T01:30:00.000Z', '2026-10-02T01:30:00.000Z', run.scheduledAt].sort());
    for (const r of after.recentRuns) {
      const d = await stack.client.workflow.getHandle(r.workflowId).describe();
      expect([d.type, d.taskQueue]).toEqual(['nightlyRetrain', queue]);
    }
  }, 240_000);

  it('is deleted', async () => {
    expect((await cli('delete')).code).toBe(0);
    const gone = await cli('describe', '--json');
    expect(gone.code).toBe(2);
    expect(gone.stderr.trim()).toBe(`error: there is no Schedule ${queue}-nightly-retrain yet; create it with \`socialsense schedule apply\``);
  }, 60_000);
});

describe('backfill', () => {
  it('--follow --json runs every day once; running it again skips them all', async () => {
    const env = { ...process.env, TEMPORAL_TASK_QUEUE: uniqueId('test-backfill') };
    // Year and post count are part of the days' run identity: drawn at random, so that a database kept between
    // runs (a developer's) does not already hold these days as done.
    const year = 2004 + Math.floor(Math.random() * 20);
    const posts = String(20 + Math.floor(Math.random() * 80));
    const args = ['backfill', '--from', `${year}-05-01`, '--to', `${year}-05-04`, '--posts', posts, '--concurrency', '2', '--follow', '--json'];
    const first = await runCli(args, { env });
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ daysTotal: 4, daysDone: 4, daysSkipped: 0, daysFailed: 0 });
    const second = await runCli(args, { env });
    expect(JSON.parse(second.stdout)).toMatchObject({ daysTotal: 4, daysDone: 0, daysSkipped: 4, daysFailed: 0 });
    // the backfill is a row of `runs` (one, run twice under the same id), beside its days' pipelines
    const { rows } = await stack.db.query(
      `SELECT kind, status, error, run_id, summary FROM runs WHERE kind = 'backfill' AND input->>'from' = $1 AND input->'pipeline'->>'posts' = $2`,
      [`${year}-05-01`, posts],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ kind: 'backfill', status: 'completed', error: null, run_id: null, summary: { daysTotal: 4, daysSkipped: 4 } });
  }, 180_000);

  it('--json without --follow prints one JSON object naming the backfill it started', async () => {
    const env = { ...process.env, TEMPORAL_TASK_QUEUE: uniqueId('test-backfill-json') };
    const started = await runCli(['backfill', '--from', '2026-09-01', '--to', '2026-09-02', '--no-worker', '--json'], { env });
    expect(started.code, started.stderr).toBe(0);
    const out = JSON.parse(started.stdout);
    expect(out).toEqual({ workflowId: expect.stringMatching(/^backfill-simulated-2026-09-01-2026-09-02-/), started: true, followed: false });
    await stack.client.workflow.getHandle(out.workflowId).terminate('test done');
  });

  it('reports progress, and pause holds new days back until resume', async () => {
    const workers = await startTestWorkers(stack, 'backfill-signals');
    try {
      // Year and post count are the days' run identity: drawn at random, so a database kept between runs (a developer's)
      // has not done these days already (done days are skipped, and a backfill with all its days done ends while paused).
      const year = 1980 + Math.floor(Math.random() * 20);
      const posts = 400 + Math.floor(Math.random() * 200);
      const handle = await stack.client.workflow.start(backfill, {
        taskQueue: workers.taskQueue,
        workflowId: uniqueId('backfill-signals'),
        args: [{ from: `${year}-03-01`, to: `${year}-03-04`, concurrency: 1, pipeline: { posts } }],
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
