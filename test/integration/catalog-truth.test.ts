import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import { reconcileRuns } from '../../lib/catalog';
import { loadConfig } from '../../lib/config';
import { freePort } from '../../lib/net';
import { createObjectStore, ObjectStoreConfigError } from '../../lib/objectStore';
import type { Stack } from '../../lib/stack';
import { collect } from '../../workflows/collect';
import { socialSensePipeline } from '../../workflows/pipeline';
import { runCli } from '../helpers/cli';
import { requireStack, startTestWorkers, uniqueId } from '../helpers/stack';

let stack: Stack;
let workers: Awaited<ReturnType<typeof startTestWorkers>>;
beforeAll(async () => {
  stack = await requireStack();
  workers = await startTestWorkers(stack, 'catalog-truth');
});
afterAll(async () => {
  await workers?.stop();
  await stack?.close();
});

const runRow = async (runKey: string) =>
  (await stack.db.query('SELECT status, error, finished_at IS NOT NULL AS finished FROM runs WHERE run_key = $1', [runKey])).rows[0] as
    { status: string; error: string | null; finished: boolean } | undefined;

async function waitForRunRow(runKey: string, timeoutMs = 60_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
    if ((await runRow(runKey))?.status === 'running') return;
  }
  throw new Error(`run ${runKey} was not recorded as running within ${timeoutMs} ms`);
}

describe('runs.error holds the root cause, not the wrapper', () => {
  it('a file the worker cannot find: the importFile failure with its type, raised two levels down (child workflow → activity)', async () => {
    const runKey = uniqueId('pipeline-missing-file');
    const missing = `/nonexistent/${runKey}/posts.csv`;
    const err = await stack.client.workflow
      .execute(socialSensePipeline, {
        taskQueue: workers.taskQueue,
        workflowId: runKey,
        args: [{ source: 'file', file: { path: missing }, date: '2026-01-05' }],
      })
      .catch((e) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const row = await runRow(runKey);
    expect(row).toMatchObject({ status: 'failed', finished: true });
    expect(row!.error).not.toMatch(/Child Workflow execution failed/);
    expect(row!.error).toBe(`InvalidInput: file not found: ${missing} (the path is read by the worker) (activity importFile)`);
  });

  it('an empty file: the same shape, with the message the activity raised', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socialsense-catalog-'));
    const empty = path.join(dir, 'empty.csv');
    fs.writeFileSync(empty, '');
    try {
      const runKey = uniqueId('pipeline-empty-file');
      await stack.client.workflow
        .execute(socialSensePipeline, {
          taskQueue: workers.taskQueue,
          workflowId: runKey,
          args: [{ source: 'file', file: { path: empty }, date: '2026-01-06' }],
        })
        .catch((e) => e);
      expect((await runRow(runKey))!.error).toBe(`InvalidInput: file is empty: ${empty}: nothing to import (activity importFile)`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('runs that Temporal closed behind the workflow’s back are reconciled when runs are listed', () => {
  it('a terminated run shows as running until listed, then as failed with the termination reason; a running one is left alone', async () => {
    const runKey = uniqueId('pipeline-terminated');
    const handle = await stack.client.workflow.start(socialSensePipeline, {
      taskQueue: workers.taskQueue,
      workflowId: runKey,
      args: [{ source: 'simulated', posts: 3000, days: 2, date: '2026-09-20', seed: crypto.randomInt(1e9) }],
    });
    await waitForRunRow(runKey);
    // Still running: reconciling leaves it as it is.
    expect((await reconcileRuns(stack.db, stack.client)).map((r) => r.runKey)).not.toContain(runKey);
    expect((await runRow(runKey))!.status).toBe('running');

    await handle.terminate('stopped by the operator (test)');
    // The workflow never reaches its catch block, so nothing else would ever correct the row.
    expect((await handle.describe()).status.name).toBe('TERMINATED');
    expect((await runRow(runKey))!.status).toBe('running');

    const listed = await runCli(['runs', '--json', '--limit', '500']);
    expect(listed.code, listed.stderr).toBe(0);
    const out = JSON.parse(listed.stdout) as {
      runs: Array<{ runKey: string; status: string; error: string | null }>;
      reconciled: Array<{ runKey: string }>;
      warning: string | null;
    };
    expect(out.warning).toBeNull();
    expect(out.reconciled.map((r) => r.runKey)).toContain(runKey);
    expect(out.runs.find((r) => r.runKey === runKey)).toMatchObject({ status: 'failed', error: 'Terminated: stopped by the operator (test)' });
    expect(await runRow(runKey)).toEqual({ status: 'failed', error: 'Terminated: stopped by the operator (test)', finished: true });
    // Listing again changes nothing: only `running` rows are looked at.
    expect((await reconcileRuns(stack.db, stack.client)).map((r) => r.runKey)).not.toContain(runKey);
  }, 120_000);

  it('a run past its execution timeout is marked failed with a Timeout', async () => {
    const runKey = uniqueId('pipeline-timed-out');
    const handle = await stack.client.workflow.start(socialSensePipeline, {
      taskQueue: workers.taskQueue,
      workflowId: runKey,
      workflowExecutionTimeout: '4 seconds',
      // Far more work than 4 s allow (~10 s at the benchmark's end-to-end rate): with 6,000 posts the run sometimes
      // completed in time on a fresh machine. Its activities stop once their heartbeats find the workflow closed.
      args: [{ source: 'simulated', posts: 60_000, days: 3, date: '2026-09-24', seed: crypto.randomInt(1e9) }],
    });
    await waitForRunRow(runKey);
    let status = '';
    for (let i = 0; i < 150 && status !== 'TIMED_OUT'; i++) {
      status = (await handle.describe()).status.name;
      if (status !== 'TIMED_OUT') await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe('TIMED_OUT');
    expect((await runRow(runKey))!.status).toBe('running');
    const changed = await reconcileRuns(stack.db, stack.client);
    expect(changed.find((r) => r.runKey === runKey)).toEqual({
      runKey,
      status: 'failed',
      error: 'Timeout: the workflow ran past its execution timeout and Temporal closed it',
    });
    expect((await runRow(runKey))!.status).toBe('failed');
  }, 120_000);

  it('a run whose workflow was cancelled without recording its end is closed as cancelled, not failed', async () => {
    // The collect workflow records no run of its own: a cancelled one stands for a pipeline whose catch block never
    // ran (its worker was gone when the cancel was processed, its recording activity failed). Cancelled while it sleeps
    // in its import's heartbeats, so it is CANCELLED by the time the activity notices.
    const runKey = uniqueId('pipeline-cancelled-behind');
    const handle = await stack.client.workflow.start(collect, {
      taskQueue: workers.taskQueue,
      workflowId: runKey,
      args: [{ source: 'simulated', posts: 60_000, days: 3, date: '2026-09-26', seed: crypto.randomInt(1e9), runKey }],
    });
    await stack.db.query(`INSERT INTO runs (run_key, workflow_id, run_id, kind, status) VALUES ($1, $1, $2, 'pipeline', 'running')`, [
      runKey,
      handle.firstExecutionRunId,
    ]);
    await handle.cancel();
    await handle.result().catch(() => undefined);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    const changed = await reconcileRuns(stack.db, stack.client);
    expect(changed.find((r) => r.runKey === runKey)).toEqual({ runKey, status: 'cancelled', error: 'Cancelled: Workflow canceled' });
    expect(await runRow(runKey)).toMatchObject({ status: 'cancelled', finished: true });
  }, 120_000);

  it('a run whose workflow Temporal does not know is closed with that explanation', async () => {
    const runKey = uniqueId('pipeline-ghost');
    await stack.db.query(`INSERT INTO runs (run_key, workflow_id, run_id, kind, status) VALUES ($1, $1, NULL, 'pipeline', 'running')`, [runKey]);
    const changed = await reconcileRuns(stack.db, stack.client);
    expect(changed.find((r) => r.runKey === runKey)).toEqual({
      runKey,
      status: 'failed',
      error: 'the workflow is unknown to Temporal (deleted, past its retention, or run on a server that is gone)',
    });
  });

  it('without a reachable Temporal, runs are still listed, with a warning that "running" may be stale', async () => {
    const listed = await runCli(['runs', '--json', '--limit', '3'], { env: { ...process.env, TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}` } });
    expect(listed.code, listed.stderr).toBe(0);
    const out = JSON.parse(listed.stdout);
    expect(out.runs.length).toBeGreaterThan(0);
    expect(out.reconciled).toEqual([]);
    expect(out.warning).toMatch(/^statuses not checked against Temporal .*"running" may be stale$/);
  }, 60_000);
});

describe('bad S3 settings name the variable to fix (against the shared MinIO)', () => {
  const config = () => loadConfig();
  const wrong = `wrong-${crypto.randomUUID()}`;

  async function failure(p: Promise<unknown>): Promise<ObjectStoreConfigError> {
    const err = await p.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ObjectStoreConfigError);
    // never the value of a credential, wrong or right
    expect((err as Error).message).not.toContain(wrong);
    expect((err as Error).message).not.toContain(config().S3_SECRET_KEY!);
    return err as ObjectStoreConfigError;
  }

  it('a wrong access key: S3_ACCESS_KEY, on start (ensureBucket) and on every operation', async () => {
    const store = createObjectStore({ ...config(), S3_ACCESS_KEY: wrong });
    const onStart = await failure(store.ensureBucket());
    expect(onStart.variable).toBe('S3_ACCESS_KEY');
    expect(onStart.message).toMatch(
      /^S3 at http:\/\/127\.0\.0\.1:\d+ does not know the access key \(InvalidAccessKeyId: .*\): check S3_ACCESS_KEY \(checking the bucket\)$/,
    );
    expect((await failure(store.get('posts/x.ndjson.gz'))).variable).toBe('S3_ACCESS_KEY');
    expect((await failure(store.put('tmp/x', Buffer.from('x')))).variable).toBe('S3_ACCESS_KEY');
    expect((await failure(store.list('posts/'))).variable).toBe('S3_ACCESS_KEY');
    // a HEAD answer has no body: S3 cannot say which key is wrong, so both are named
    const head = await failure(store.exists('posts/x.ndjson.gz'));
    expect(head.variable).toBe('S3_ACCESS_KEY and S3_SECRET_KEY');
    expect(head.message).toMatch(/Valid and authorized credentials required\): check S3_ACCESS_KEY and S3_SECRET_KEY/);
  });

  it('a wrong secret key: S3_SECRET_KEY', async () => {
    const store = createObjectStore({ ...config(), S3_SECRET_KEY: wrong });
    const onStart = await failure(store.ensureBucket());
    expect(onStart.variable).toBe('S3_SECRET_KEY');
    expect(onStart.message).toMatch(/SignatureDoesNotMatch: .*check S3_SECRET_KEY/);
    expect((await failure(store.get('posts/x.ndjson.gz'))).variable).toBe('S3_SECRET_KEY');
  });

  it('an endpoint where nothing listens: S3_ENDPOINT (retryable: an outage looks the same)', async () => {
    const store = createObjectStore({ ...config(), S3_ENDPOINT: `http://127.0.0.1:${await freePort()}` });
    const err = await failure(store.ensureBucket());
    expect(err.variable).toBe('S3_ENDPOINT');
    expect(err.name).toBe('StorageUnreachable');
    expect(err.message).toMatch(/^cannot reach S3 at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED: .*is S3_ENDPOINT right\?/);
  });

  it('a bucket that does not exist: S3_BUCKET', async () => {
    const bucket = `missing-${crypto.randomUUID().slice(0, 8)}`;
    const err = await failure(createObjectStore({ ...config(), S3_BUCKET: bucket }).get('posts/x.ndjson.gz'));
    expect(err.variable).toBe('S3_BUCKET');
    expect(err.message).toContain(`has no bucket "${bucket}"`);
  });

  it('the CLI stops with one line naming the variable, not the bare S3 text', async () => {
    const res = await runCli(['run', '--no-worker', '--date', '2020-01-01'], { env: { ...process.env, S3_SECRET_KEY: wrong } });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^error: S3 at http:\/\/127\.0\.0\.1:\d+ rejected the signature .*check S3_SECRET_KEY/m);
    expect(res.stderr).not.toContain(wrong);
    expect(res.stdout).toBe('');
  }, 60_000);
});
