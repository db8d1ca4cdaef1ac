import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findBinary } from '../../lib/binaries';
import type { Stack } from '../../lib/stack';
import { envWithoutServices, runCli, spawnCli } from '../helpers/cli';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'socialsense-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('socialsense CLI', () => {
  it('demo --json runs on the embedded default with no services configured, and accounts for every post', async () => {
    const temporal = findBinary('temporal');
    expect(temporal, 'scripts/setup.sh puts the temporal CLI in .data/bin').toBeTruthy();
    const env = envWithoutServices({ SOCIALSENSE_ENV_FILE: '/dev/null', SOCIALSENSE_DATA_DIR: tmp, TEMPORAL_CLI_PATH: temporal! });
    const result = await runCli(['demo', '--json', '--posts', '80', '--days', '2'], { env });
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout); // stdout is exactly one JSON object
    expect(summary.embedded).toBe(true);
    expect(summary.postsIn).toBeGreaterThan(100);
    expect(summary.postsIn).toBe(summary.scored + summary.filtered + summary.quarantined);
    expect(summary.temporalUi).toBeNull(); // the embedded server stopped with the command (`demo --keep` keeps it up)
    // The embedded store is a local folder laid out like the bucket.
    expect(fs.existsSync(path.join(tmp, 'embedded', 'objects', 'socialsense', 'clean'))).toBe(true);
  });

  it('run --json goes through the configured stack', async () => {
    const result = await runCli(['run', '--json', '--posts', '50', '--date', '2026-11-01']);
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.datasets.clean[0].uri).toMatch(/^s3:\/\/socialsense\/clean\//);
    expect(summary.postsIn).toBe(summary.scored + summary.filtered + summary.quarantined);
  });

  it('names the missing variable when the stack is not configured', async () => {
    const result = await runCli(['run'], { env: envWithoutServices({ SOCIALSENSE_ENV_FILE: '/dev/null', TEMPORAL_ADDRESS: '127.0.0.1:7233' }) });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/DATABASE_URL is missing/);
    expect(result.stderr).toMatch(/S3_ENDPOINT is missing/);
    expect(result.stdout).toBe('');
  });

  it('rejects a malformed option with a message that says what is expected', async () => {
    const result = await runCli(['demo', '--posts', 'lots'], { env: envWithoutServices({ SOCIALSENSE_ENV_FILE: '/dev/null' }) });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/expected a whole number, got "lots"/);
  });
});

describe('a service that is down', () => {
  it('is named, with its setting and how to start it, not as a bare ECONNREFUSED', async () => {
    const { freePort } = await import('../../lib/net');
    const port = await freePort();
    const r = await runCli(['insights', 'trends'], { env: { ...process.env, DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/socialsense` } });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      `error: cannot reach Postgres at 127.0.0.1:${port} (DATABASE_URL): the connection was refused. Is it running? \`socialsense services up\` starts the local stack; \`socialsense services status\` shows what runs`,
    );
  });
});

describe('the nightly Schedule before it exists', () => {
  it('describe, pause and trigger say to create it, not the name of Temporal’s internal workflow', async () => {
    const queue = `no-schedule-${crypto.randomUUID().slice(0, 8)}`;
    for (const action of ['describe', 'pause', 'trigger']) {
      const r = await runCli(['schedule', action], { env: { ...process.env, TEMPORAL_TASK_QUEUE: queue } });
      expect(r.code, action).toBe(2);
      expect(r.stderr.trim(), action).toBe(`error: there is no Schedule ${queue}-nightly-retrain yet; create it with \`socialsense schedule apply\``);
    }
  });
});

/** Ends a test's CLI run: the process, the workflows it left running on its own task queue, the test's stack. */
async function stopCliRun(cli: ReturnType<typeof spawnCli>, stack: Stack, queue: string, reason: string): Promise<void> {
  cli.child.kill('SIGTERM');
  for await (const w of stack.client.workflow.list({ query: `TaskQueue = "${queue}" AND ExecutionStatus = "Running"` }))
    await stack.client.workflow
      .getHandle(w.workflowId)
      .terminate(reason)
      .catch(() => undefined);
  await stack.close();
}

describe('a run that retries', () => {
  it('tells each retry with its cause on stderr, instead of minutes of silence between attempts', async () => {
    const { requireStack } = await import('../helpers/stack');
    const { freePort } = await import('../../lib/net');
    const stack = await requireStack();
    const queue = `retrying-${crypto.randomUUID().slice(0, 8)}`;
    // A Mastodon instance nobody serves: the collect activity's connection is refused and retried (a transient fault).
    const base = `http://127.0.0.1:${await freePort()}`;
    const cli = spawnCli(['run', '--source', 'mastodon', '--query', `retry${crypto.randomInt(1e9)}`, '--date', '2026-10-21'], {
      ...process.env,
      TEMPORAL_TASK_QUEUE: queue,
      MASTODON_BASE_URL: base,
    });
    try {
      await cli.waitFor(/warning: retrying collectPlatform \(attempt 2 of 40\): /, 45_000);
      const host = new URL(base).host;
      expect(cli.output()).toContain(`warning: retrying collectPlatform (attempt 2 of 40): cannot reach Mastodon at ${host}: ECONNREFUSED; will retry`);
      // each attempt once
      expect(cli.output().match(/retrying collectPlatform \(attempt 2 of 40\)/g)).toHaveLength(1);
    } finally {
      await stopCliRun(cli, stack, queue, 'test: retries seen');
    }
  }, 90_000);
});

describe('a run nobody works on', () => {
  it('run --no-worker says within seconds that no worker polls its task queue, instead of waiting without a word', async () => {
    const { requireStack } = await import('../helpers/stack');
    const stack = await requireStack();
    const queue = `nobody-polls-${crypto.randomUUID().slice(0, 8)}`;
    const cli = spawnCli(['run', '--source', 'simulated', '--posts', String(30 + crypto.randomInt(1000)), '--date', '2026-10-20', '--no-worker'], {
      ...process.env,
      TEMPORAL_TASK_QUEUE: queue,
    });
    try {
      await cli.waitFor(new RegExp(`warning: no worker is polling task queue "${queue}": the run waits in Temporal until one does`), 30_000);
      expect(cli.output()).toContain('start one with `socialsense worker` (or run without --no-worker)');
      // the run is there meanwhile, queued under its id (the API and `runs` find it)
      const ids: string[] = [];
      for await (const w of stack.client.workflow.list({ query: `TaskQueue = "${queue}"` })) ids.push(w.workflowId);
      expect(ids).toHaveLength(1);
      expect((await stack.db.query('SELECT status FROM runs WHERE run_key = $1', [ids[0]])).rows).toEqual([{ status: 'queued' }]);
      // Ctrl-C stops following at once (exit 130) and says where the run is; the run stays queued in Temporal
      const exited = new Promise<number | null>((resolve) => cli.child.once('exit', (code) => resolve(code)));
      cli.child.kill('SIGINT');
      const code = await Promise.race([exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 5_000))]);
      expect(code).toBe(130);
      expect(cli.output()).toContain('interrupted (SIGINT): the run goes on in Temporal; `socialsense runs` shows it');
      expect((await stack.client.workflow.getHandle(ids[0]).describe()).status.name).toBe('RUNNING');
    } finally {
      await stopCliRun(cli, stack, queue, 'test: nobody works on it');
    }
  }, 60_000);
});
