import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { readNdjson } from '../../lib/datasets';
import type { Stack } from '../../lib/stack';
import { postSchema } from '../../lib/schema';
import { socialSensePipeline, type PipelineSummary } from '../../workflows/pipeline';
import { freePort } from '../../lib/net';
import { runCli, spawnCli } from '../helpers/cli';
import { startPrivateStack, type PrivateStack, type Service } from '../helpers/privateStack';
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
async function expectExactlyOnce(summary: PipelineSummary, runKey: string, on: Stack = stack): Promise<void> {
  const ids = new Set<string>();
  for (const ref of summary.datasets.partitions) {
    for (const p of await readNdjson<unknown>(on.store, ref)) {
      const parsed = postSchema.safeParse(p);
      if (parsed.success) ids.add(parsed.data.id);
    }
  }
  const { rows } = await on.db.query('SELECT count(*)::int AS n, count(DISTINCT post_id)::int AS d FROM post_scores WHERE run_key = $1', [runKey]);
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
        (e) =>
          preprocessIds.has(e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() ?? '') && e.activityTaskStartedEventAttributes!.attempt! >= 2,
      );
      expect(retried.length).toBeGreaterThanOrEqual(1);
      expect(retried[0].activityTaskStartedEventAttributes!.lastFailure?.timeoutFailureInfo?.timeoutType).toBeDefined();
    } finally {
      await second.stop('SIGTERM');
    }
  }, 240_000);

  it('a worker serves Prometheus metrics (its stage tasks among them), logs JSON with its ids, and stops gracefully on SIGTERM', async () => {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_TASK_QUEUE: uniqueId('test-sigterm'), LOG_LEVEL: 'info' };
    delete env.MALLOC_ARENA_MAX; // started as `socialsense worker` is, not through docker-compose or `npm run worker`
    const worker = spawnCli(['worker', '--metrics-port', String(port), '--threads', '1'], env);
    await worker.waitFor(/worker started/);
    const scrape = async (want: RegExp) => {
      let metrics = '';
      for (let i = 0; i < 40 && !want.test(metrics); i++) {
        metrics = await fetch(`http://127.0.0.1:${port}/metrics`)
          .then((r) => r.text())
          .catch(() => '');
        if (!want.test(metrics)) await new Promise((r) => setTimeout(r, 250));
      }
      return metrics;
    };
    expect(await scrape(/^temporal_\w+/m)).toMatch(/^temporal_\w+/m);
    // a run through this worker: its pooled stages are counted by stage and outcome, with their durations
    const day = `2021-0${1 + Math.floor(Math.random() * 9)}-1${Math.floor(Math.random() * 9)}`;
    const run = await runCli(['run', '--source', 'simulated', '--posts', '40', '--date', day, '--no-worker', '--json'], { env, timeoutMs: 90_000 });
    expect(run.code, run.stderr).toBe(0);
    const metrics = await scrape(/^socialsense_stage_tasks\{.*stage="profiles"/m);
    /** the value of the series `name` whose labels include every one of `labels` */
    const value = (name: string, labels: string[]) =>
      metrics
        .split('\n')
        .filter((l) => l.startsWith(`${name}{`) && labels.every((x) => l.includes(x)))
        .map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)));
    for (const stage of ['preprocess', 'features', 'score', 'profiles'])
      expect(value('socialsense_stage_tasks', [`stage="${stage}"`, 'outcome="completed"']), stage).toEqual([1]);
    expect(value('socialsense_stage_task_seconds_count', ['stage="preprocess"'])).toEqual([1]);
    const started = worker
      .output()
      .split('\n')
      .find((l) => l.includes('worker started'))!;
    expect(JSON.parse(started)).toMatchObject({ msg: 'worker started', taskQueue: expect.stringMatching(/^test-sigterm-/), metricsPort: port });
    // glibc's malloc arenas: the operator is told what to set (workers/threadPool.ts mallocArenaAdvice)
    const advice = worker
      .output()
      .split('\n')
      .find((l) => l.includes('MALLOC_ARENA_MAX is not set'));
    expect(JSON.parse(advice!)).toMatchObject({ level: 40, msg: expect.stringContaining('start the worker with MALLOC_ARENA_MAX=2') });
    expect(await worker.stop('SIGTERM')).toBe(0);
    expect(worker.output()).toMatch(/worker stopped/);
  }, 60_000);

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
      // Listed as cancelled, not failed: nothing went wrong, somebody stopped it.
      const run = await stack.db.query('SELECT status, error, finished_at IS NOT NULL AS finished FROM runs WHERE run_key = $1', [cancelledId]);
      expect(run.rows[0]).toMatchObject({ status: 'cancelled', finished: true });
      // the stage that was running when the cancel arrived (preprocess, or a later one on a fast machine)
      expect(run.rows[0].error).toMatch(/^Cancelled: ActivityFailure: Activity cancelled \(activity \w+\)$/);
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

/**
 * Outages and restarts of Postgres and MinIO, on a stack of this file's own (test/helpers/privateStack.ts):
 * stopping the shared stack's services would break every other test running against it.
 */
describe('service outages and restarts, on a private stack', () => {
  let own: PrivateStack;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'socialsense-faults-'));
  beforeAll(async () => {
    own = await startPrivateStack('faults');
  }, 180_000);
  afterAll(async () => {
    await own?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }, 120_000);

  // What a lost Postgres or MinIO looks like from inside an activity, whichever way it was lost.
  const CONNECTION_ERROR =
    /ECONNREFUSED|S3_ENDPOINT|Connection terminated|terminating connection|connection.*(closed|reset|lost)|ECONNRESET|socket hang up|the database system is (starting up|shutting down)/i;

  /** Activities of the run (any workflow of it) whose last attempt came after a failure, from the history. */
  async function retriedActivities(workflowIds: string[]): Promise<Array<{ activity: string; attempt: number; lastFailure: string }>> {
    const out: Array<{ activity: string; attempt: number; lastFailure: string }> = [];
    for (const id of workflowIds) {
      const history = await own.stack.client.workflow.getHandle(id).fetchHistory();
      const names = new Map(
        history
          .events!.filter((e) => e.activityTaskScheduledEventAttributes)
          .map((e) => [e.eventId!.toString(), e.activityTaskScheduledEventAttributes!.activityType!.name!]),
      );
      for (const e of history.events!) {
        const started = e.activityTaskStartedEventAttributes;
        if (started && (started.attempt ?? 1) >= 2) {
          out.push({
            activity: names.get(started.scheduledEventId!.toString()) ?? '?',
            attempt: started.attempt!,
            lastFailure: started.lastFailure?.message ?? '',
          });
        }
      }
    }
    return out;
  }

  /**
   * Waits until some running workflow on the private stack has `name` started (not just scheduled).
   * Fails at once, with the process's output, when the process that runs the worker has died.
   */
  async function waitForStarted(name: string, proc: ReturnType<typeof spawnCli>, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
        throw new Error(`the CLI exited (${proc.child.exitCode ?? proc.child.signalCode}) before ${name} started:\n${proc.output().slice(-3000)}`);
      }
      for await (const wf of own.stack.client.workflow.list({ query: `ExecutionStatus = 'Running'` })) {
        const d = await own.stack.client.workflow
          .getHandle(wf.workflowId, wf.runId)
          .describe()
          .catch(() => null);
        if (d?.raw.pendingActivities?.some((a) => a.activityType?.name === name && Number(a.state) === 2)) return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no ${name} activity started within ${timeoutMs} ms; the CLI's output:\n${proc.output().slice(-3000)}`);
  }

  /** Stops the services, checks that they are really gone, and starts them again. */
  async function restart(services: Service[], downForMs: number): Promise<void> {
    for (const s of services) await own.services('down', s);
    for (const s of services) expect(await own.listening(s), `${s} still answers after services.sh down`).toBe(false);
    await new Promise((r) => setTimeout(r, downForMs));
    for (const s of services) await own.services('up', s);
    for (const s of services) expect(await own.listening(s)).toBe(true);
  }

  for (const service of ['minio', 'postgres'] as const) {
    it(`${service} going away for a few seconds mid-run: the outage is seen, activities retry, and the run completes`, async () => {
      const workers = await startTestWorkers(own.stack, `outage-${service}`);
      try {
        const workflowId = uniqueId(`pipeline-${service}-outage`);
        const handle = await own.stack.client.workflow.start(socialSensePipeline, {
          taskQueue: workers.taskQueue,
          workflowId,
          args: [{ source: 'simulated', posts: 3000, days: 2, date: '2026-09-12', seed: freshSeed() }],
        });
        await waitForActivity(handle, 'preprocess', 90_000);
        await own.services('down', service);
        try {
          expect(await own.listening(service)).toBe(false);
          // Keep the service down until an activity of the run has failed on it and is waiting to retry:
          // then the outage was really seen, not slept through.
          let seen: { name: string; attempt: number; failure: string } | null = null;
          for (let i = 0; i < 600 && !seen; i++) {
            const pending = (await handle.describe()).raw.pendingActivities ?? [];
            const failed = pending.find((a) => (a.attempt ?? 1) >= 2 && a.lastFailure?.message);
            if (failed) seen = { name: failed.activityType!.name!, attempt: failed.attempt!, failure: failed.lastFailure!.message! };
            else await new Promise((r) => setTimeout(r, 100));
          }
          expect(seen, `no activity failed while ${service} was down`).not.toBeNull();
          expect(seen!.failure).toMatch(CONNECTION_ERROR);
        } finally {
          await own.services('up', service);
        }
        const summary = await handle.result();
        await expectExactlyOnce(summary, workflowId, own.stack);
        // The history keeps each activity's last attempt: the one that succeeded after the outage.
        const retried = await retriedActivities([workflowId]);
        expect(retried.length).toBeGreaterThanOrEqual(1);
        expect(retried.some((r) => CONNECTION_ERROR.test(r.lastFailure))).toBe(true);
        const run = await own.stack.db.query('SELECT status, error FROM runs WHERE run_key = $1', [workflowId]);
        expect(run.rows[0]).toEqual({ status: 'completed', error: null });
      } finally {
        await own.services('up', service);
        await workers.stop();
      }
    }, 300_000);
  }

  it('Postgres and MinIO restarted during import, scoring and profile updates: the CLI and its in-process worker survive, the run balances', async () => {
    // A CSV over three days, so there are three partitions to score and fold into profiles.
    const file = path.join(tmp, 'restarts.csv');
    const words =
      'climate energy solar wind policy city transit bike rail housing rent market jobs school health clinic nurse doctor water river flood storm heat summer winter garden farm food price coffee music concert film game team match goal coach park trail beach mountain'.split(
        ' ',
      );
    let seed = 12345;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
    const lines = ['id,text,created_at,author_id'];
    const rows = 24_000;
    for (let i = 0; i < rows; i++) {
      const text = Array.from({ length: 14 }, () => words[rand(words.length)]).join(' ') + ` #${words[rand(words.length)]} post ${i}`;
      const at = new Date(Date.parse('2026-08-01T00:00:00Z') + (i % 3) * 86_400_000 + rand(86_000) * 1000).toISOString();
      lines.push(`r${i},"${text}",${at},u${rand(900)}`);
    }
    fs.writeFileSync(file, lines.join('\n') + '\n');

    const cli = spawnCli(['run', '--source', 'file', '--file', file, '--date', '2026-08-03', '--days', '3', '--json'], { ...own.env, LOG_LEVEL: 'warn' });
    try {
      await waitForStarted('importFile', cli);
      await restart(['postgres', 'minio'], 1500);
      await waitForStarted('scorePosts', cli);
      await restart(['postgres'], 1000);
      await waitForStarted('updateUserProfiles', cli);
      await restart(['postgres', 'minio'], 1000);
      const code = await new Promise<number | null>((resolve) =>
        cli.child.exitCode !== null ? resolve(cli.child.exitCode) : cli.child.once('exit', (c) => resolve(c)),
      );
      expect(cli.output(), 'the CLI process crashed').not.toMatch(/Unhandled 'error' event|Emitted 'error' event/);
      expect(code, cli.output().slice(-3000)).toBe(0);
      // stdout and the JSON log lines on stderr are interleaved here: the summary is the line with postsIn.
      const line = cli
        .output()
        .split('\n')
        .find((l) => l.startsWith('{') && l.includes('"postsIn"'));
      expect(line, 'the --json summary line').toBeDefined();
      const summary = JSON.parse(line!) as PipelineSummary;
      expect(summary.postsIn).toBe(rows);
      expect(summary.postsIn).toBe(summary.scored + summary.filtered + summary.quarantined);
      expect(summary.datasets.partitions).toHaveLength(3);
      await expectExactlyOnce(summary, summary.runKey, own.stack);
      // Each partition's profiles were folded exactly once despite the restarts.
      const folded = await own.stack.db.query(
        `SELECT count(*)::int AS n FROM user_profile_state WHERE cardinality(folded_days) <> cardinality(ARRAY(SELECT DISTINCT unnest(folded_days)))`,
      );
      expect(folded.rows[0].n).toBe(0);
      const retried = await retriedActivities([summary.runKey, `${summary.runKey}-collect`]);
      expect(
        retried.some((r) => CONNECTION_ERROR.test(r.lastFailure)),
        JSON.stringify(retried),
      ).toBe(true);
    } finally {
      await cli.stop('SIGKILL');
    }
  }, 600_000);
});
