import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillWorkflowId } from '../../cli/commands/backfill';
import { pipelineWorkflowId } from '../../cli/pipelineRun';
import type { Stack } from '../../lib/stack';
import { bearer, buildTestApi, createTestKeys, type TestKeys } from '../helpers/apiApp';
import { startWorkers } from '../../workers/worker';
import { requireStack, startTestWorkers } from '../helpers/stack';

/**
 * Control calls really steer Temporal: a pipeline started through the API runs to the end on a test
 * worker under the id the CLI gives the same input, a repeated call attaches to it, and a backfill is
 * paused, resumed and cancelled through the API, each visible in its progress.
 */

let stack: Stack;
let app: FastifyInstance;
let keys: TestKeys;
let workers: Awaited<ReturnType<typeof startTestWorkers>>;
const started = new Set<string>();

// A day no other test uses (days already done are skipped by backfills, so each run needs fresh ones), within the
// days the API takes (2004-01-01 to tomorrow): 2004 … 2022.
const rand = crypto.randomInt(0, 2300);
const day = (offset: number) => new Date(Date.UTC(2004, 0, 1) + (rand * 3 + offset) * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  stack = await requireStack();
  workers = await startTestWorkers(stack, 'api-control');
  keys = await createTestKeys(stack, `control-${workers.taskQueue}`);
  app = await buildTestApi(stack, workers.taskQueue);
});

afterAll(async () => {
  await app?.close();
  for (const id of started) {
    const h = stack.client.workflow.getHandle(id);
    if ((await h.describe().catch(() => null))?.status.name === 'RUNNING') await h.terminate('api control test done').catch(() => undefined);
  }
  await workers?.stop();
  await keys?.cleanup();
  await stack?.close();
});

const operator = () => bearer(keys.byRole.operator.key);
const post = async (url: string, payload?: object) => {
  const res = await app.inject({ method: 'POST', url, headers: operator(), payload });
  if (res.statusCode === 202) started.add(res.json().workflowId);
  return res;
};

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 90_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe('control calls through the Temporal client', () => {
  it('POST /v1/runs starts the pipeline under the CLI id, attaches on repeat, and the run completes', async () => {
    const input = { source: 'simulated', date: day(0), posts: 40 };
    const first = await post('/v1/runs', input);
    expect(first.statusCode, first.body).toBe(202);
    const body = first.json();
    // the id `socialsense run --date D --posts 40` gives the same input
    const cliId = await pipelineWorkflowId({ source: 'simulated', date: day(0), days: 1, posts: 40, languages: null });
    expect(body).toMatchObject({ workflowId: cliId, started: true, status: 'started' });
    expect(body.runId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.temporalUrl).toBe(`${stack.uiUrl}/namespaces/${stack.namespace}/workflows/${encodeURIComponent(cliId)}`);

    const again = await post('/v1/runs', input);
    expect(again.statusCode).toBe(202);
    expect(again.json()).toMatchObject({ workflowId: cliId, started: false, status: 'already running' });

    const handle = stack.client.workflow.getHandle(cliId);
    const summary = await handle.result();
    expect(summary.postsIn).toBeGreaterThan(0);
    expect(summary.postsIn).toBe(summary.scored + summary.filtered + summary.quarantined);
    const description = await handle.describe();
    expect(description.taskQueue).toBe(workers.taskQueue);
    expect(description.memo).toMatchObject({ stage: 'pipeline', source: 'simulated', date: day(0) });

    const run = (await app.inject({ url: `/v1/runs/${cliId}`, headers: operator() })).json();
    expect(run).toMatchObject({ runKey: cliId, status: 'completed', posts: summary.scored });
    const posts = (await app.inject({ url: `/v1/posts?run=${cliId}&limit=5`, headers: operator() })).json();
    expect(posts.items.length).toBe(Math.min(5, summary.scored));
  });

  it('a run accepted while no worker polls is found under its id as queued; cancelled before a worker took it, it is listed as cancelled', async () => {
    // An API whose task queue has no worker yet: the run waits in Temporal.
    const queue = `test-api-queued-${crypto.randomUUID().slice(0, 8)}`;
    const idle = await buildTestApi(stack, queue);
    try {
      const res = await idle.inject({ method: 'POST', url: '/v1/runs', headers: operator(), payload: { source: 'simulated', date: day(9), posts: 30 } });
      expect(res.statusCode, res.body).toBe(202);
      const { workflowId, runId } = res.json();
      started.add(workflowId);
      const get = async () => (await idle.inject({ url: `/v1/runs/${workflowId}`, headers: operator() })).json();
      expect(await get()).toMatchObject({ runKey: workflowId, kind: 'pipeline', status: 'queued', error: null, finishedAt: null });
      const row = (await stack.db.query('SELECT run_id, input FROM runs WHERE run_key = $1', [workflowId])).rows[0];
      expect(row).toEqual({ run_id: runId, input: { source: 'simulated', date: day(9), days: 1, posts: 30, languages: null } });
      const queued = (await idle.inject({ url: '/v1/runs?status=queued&limit=200', headers: operator() })).json();
      expect(queued.items.map((r: { runKey: string }) => r.runKey)).toContain(workflowId);

      await stack.client.workflow.getHandle(workflowId).cancel();
      // A worker that starts afterwards processes the cancel first: the workflow ends before it could record anything.
      // Reading the run asks Temporal, and the row the API wrote is closed as cancelled (before, no row existed at all).
      const late = await startWorkers({
        connection: stack.nativeConnection,
        namespace: stack.namespace,
        taskQueue: queue,
        deps: { store: stack.store, db: stack.db },
      });
      try {
        await stack.client.workflow
          .getHandle(workflowId)
          .result()
          .catch(() => undefined);
        expect((await stack.client.workflow.getHandle(workflowId).describe()).status.name).toBe('CANCELLED');
        expect(await get()).toMatchObject({ runKey: workflowId, status: 'cancelled', error: 'Cancelled: Workflow canceled' });
        expect((await get()).finishedAt).not.toBeNull();
      } finally {
        await late.stop();
      }
    } finally {
      await idle.close();
    }
  });

  it('a backfill is paused, resumed and cancelled through the API', async () => {
    const from = day(1);
    const to = day(3);
    const res = await post('/v1/backfills', { from, to, posts: 20, concurrency: 1 });
    expect(res.statusCode, res.body).toBe(202);
    const id = res.json().workflowId;
    expect(id).toBe(backfillWorkflowId('simulated', from, to, { posts: 20 }));

    const progress = async () => (await app.inject({ url: `/v1/backfills/${id}`, headers: operator() })).json();
    expect((await post(`/v1/backfills/${id}/pause`)).statusCode).toBe(202);
    await until('the pause to show', async () => (await progress()).progress?.paused === true);
    expect((await progress()).outcome).toBe('paused');
    expect((await post(`/v1/backfills/${id}/resume`)).statusCode).toBe(202);
    await until('the resume to show', async () => (await progress()).progress?.paused === false);
    expect((await post(`/v1/backfills/${id}/cancel`)).statusCode).toBe(202);
    const result = await stack.client.workflow.getHandle(id).result();
    expect(result.cancelled).toBe(true);
    expect(result.daysDone + result.daysSkipped + result.daysFailed).toBeLessThan(3);
    const closed = await progress();
    expect(closed.status).toBe('COMPLETED');
    // Temporal's status is COMPLETED (the cancel signal makes it return what it did); what became of it is `outcome`
    expect(closed.outcome).toBe('cancelled');
    expect(closed.progress).toMatchObject({ cancelled: true, daysTotal: 3 });
    // a finished backfill can no longer be steered
    const late = await post(`/v1/backfills/${id}/pause`);
    expect(late.statusCode).toBe(409);
    expect(late.json().error.code).toBe('conflict');
    // and an id that is not a backfill is not found
    expect((await post(`/v1/backfills/backfill-simulated-1999-01-01-1999-01-02-00000000/pause`)).statusCode).toBe(404);
  });
});
