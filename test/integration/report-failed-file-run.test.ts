import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRun } from '../../cli/report/queries/runs';
import { trends } from '../../cli/report/queries/trends';
import type { Stack } from '../../lib/stack';
import { requireStack } from '../helpers/stack';

/**
 * A file import that failed before it scored anything has no days: its input's `date` is only the command's default
 * (yesterday). Its report and insights used that day, and showed the posts and trends other imports had on it.
 */
let stack: Stack;
const tag = crypto.randomUUID().slice(0, 8);
const failedFile = `pipeline-file-broken.csv-${tag}`;
const failedSimulated = `pipeline-simulated-2021-05-02-${tag}`;

beforeAll(async () => {
  stack = await requireStack();
  await stack.db.query(
    `INSERT INTO runs (run_key, workflow_id, kind, status, input, error, started_at, finished_at) VALUES
     ($1, $1, 'pipeline', 'failed', '{"source":"file","date":"2021-05-01","days":1,"file":{"path":"/data/broken.csv"}}', 'InvalidInput: file is empty (activity importFile)', now(), now()),
     ($2, $2, 'pipeline', 'failed', '{"source":"simulated","date":"2021-05-02","days":2}', 'Timeout: start-to-close', now(), now())`,
    [failedFile, failedSimulated],
  );
});
afterAll(async () => {
  await stack?.db.query(`DELETE FROM runs WHERE run_key = ANY($1)`, [[failedFile, failedSimulated]]);
  await stack?.close();
});

describe('the report of a run that scored nothing', () => {
  it('a failed file import has no days, so no one else’s trends', async () => {
    const run = await findRun(stack.db, failedFile);
    expect(run).toMatchObject({ runKey: failedFile, status: 'failed', source: 'file', from: null, to: null, posts: 0 });
    expect(await trends(stack.db, run)).toMatchObject({ source: 'none', top: [], emerging: [] });
  });

  it('any other failed run keeps the window it was asked for', async () => {
    expect(await findRun(stack.db, failedSimulated)).toMatchObject({ source: 'simulated', from: '2021-05-01', to: '2021-05-02', posts: 0 });
  });
});
