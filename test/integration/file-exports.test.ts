import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import { RetryState } from '@temporalio/common';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readNdjson } from '../../lib/datasets';
import type { Stack } from '../../lib/stack';
import { socialSensePipeline, type PipelineInput } from '../../workflows/pipeline';
import { rootMessage } from '../../lib/failures';
import { requireStack, startTestWorkers, uniqueId } from '../helpers/stack';

/**
 * The export cases of issues 10 and 11 through the real pipeline (Temporal + MinIO + Postgres): what ends up in
 * post_scores, and that a file that is not what its name says ends the run at once with one clear message.
 */

let stack: Stack;
let workers: Awaited<ReturnType<typeof startTestWorkers>>;
const cases = path.join(__dirname, '..', 'fixtures', 'cases');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'socialsense-exports-'));

beforeAll(async () => {
  stack = await requireStack();
  workers = await startTestWorkers(stack, 'file-exports');
});

afterAll(async () => {
  await workers?.stop();
  await stack?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const runPipeline = (input: PipelineInput) =>
  stack.client.workflow.execute(socialSensePipeline, { taskQueue: workers.taskQueue, workflowId: uniqueId('file-exports'), args: [input] });

/** A run's stored scores, by post id. */
async function scoresOf(runKey: string) {
  const { rows } = await stack.db.query<{ post_id: string; author_id: string; created_at: Date; text: string }>(
    'SELECT post_id, author_id, created_at, text FROM post_scores WHERE run_key = $1 ORDER BY post_id',
    [runKey],
  );
  return rows.map((r) => ({ ...r, created_at: r.created_at.toISOString() }));
}

/** The activity failure in a workflow failure's cause chain (workflow → child workflow → activity). */
function activityFailureOf(err: unknown): { retryState?: RetryState; activityType?: string } | null {
  let e = err as { name?: string; cause?: unknown } | undefined;
  for (let i = 0; e && i < 16; i++, e = e.cause as typeof e) if (e.name === 'ActivityFailure') return e as never;
  return null;
}

describe('exports through the pipeline', () => {
  // Author ids carry their platform (`file:` for imports, lib/platformName.ts authorKey), the digits exact.
  it('case 07: Twitter v1.1 JSON keeps the 64-bit id_str values and the nested authors', async () => {
    const summary = await runPipeline({ source: 'file', file: { path: path.join(cases, '07-tweet-v1-numeric-id', 'tweets.jsonl') } });
    expect(summary).toMatchObject({ postsIn: 3, scored: 3, quarantined: 0, filtered: 0 });
    expect(summary.counts.duplicates).toBe(0);
    const rows = await scoresOf(summary.runKey);
    expect(rows.map((r) => [r.post_id, r.author_id, r.created_at])).toEqual([
      ['file:1790000000000000001', 'file:40001', '2024-05-13T12:43:51.000Z'],
      ['file:1790000000000000002', 'file:40002', '2024-05-13T12:43:51.000Z'],
      ['file:1790000000000000191', 'file:40003', '2024-05-13T12:43:51.000Z'],
    ]);
  });

  for (const mapping of [undefined, { text: 'message' }]) {
    it(`case 08: Facebook posts whose first has no message, ${mapping ? 'with' : 'without'} --map text=message`, async () => {
      const summary = await runPipeline({ source: 'file', file: { path: path.join(cases, '08-facebook-first-post-no-message', 'page_posts.jsonl'), mapping } });
      expect(summary).toMatchObject({ postsIn: 3, scored: 2, quarantined: 1 });
      const rows = await scoresOf(summary.runKey);
      expect(rows.map((r) => [r.post_id, r.author_id, r.created_at])).toEqual([
        ['file:100000000000001_200000000000002', 'file:100000000000001', '2024-05-02T11:40:00.000Z'],
        ['file:100000000000001_200000000000003', 'file:100000000000001', '2024-05-02T16:05:00.000Z'],
      ]);
      const quarantine = await readNdjson<{ reason: string }>(stack.store, summary.datasets.quarantine[0]);
      expect(quarantine.map((q) => q.reason)).toEqual([expect.stringMatching(/^line 1: no text/)]);
    });
  }

  it('case 14: a spreadsheet CSV with Excel serial dates and a BOM', async () => {
    const summary = await runPipeline({ source: 'file', file: { path: path.join(cases, '14-excel-serial-date', 'export.csv') } });
    expect(summary).toMatchObject({ postsIn: 3, scored: 3, quarantined: 0 });
    // how the file was read, in the run's result
    expect(summary.read).toEqual({ format: 'csv', delimiter: 'comma', columns: { id: 'id', text: 'text', created_at: 'created_at', author_id: 'author_id' } });
    expect(summary.counts.sanitized).toBe(0);
    const rows = await scoresOf(summary.runKey);
    expect(rows.map((r) => [r.post_id, r.author_id, r.created_at])).toEqual([
      ['file:x001', 'file:demo_shop', '2024-05-01T09:00:00.000Z'],
      ['file:x002', 'file:demo_shop', '2024-05-01T12:00:00.000Z'],
      ['file:x003', 'file:demo_shop', '2024-05-02T12:00:00.000Z'],
    ]);
  });

  it('case 16: random bytes named .csv.gz end the run within seconds with one clear, non-retried error', async () => {
    const t0 = Date.now();
    const err = await runPipeline({ source: 'file', file: { path: path.join(cases, '16-not-gzip', 'notgzip.csv.gz') } }).catch((e) => e);
    const ms = Date.now() - t0;
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(rootMessage(err)).toMatch(
      /^notgzip\.csv\.gz is not gzip \(it starts with 61 35 b6 3a .*\): it looks like binary data, not text; .*\(.*notgzip\.csv\.gz\)$/,
    );
    // one attempt: the activity failed as non-retryable instead of running out of 10 attempts
    expect(activityFailureOf(err)).toMatchObject({ activityType: 'importFile', retryState: RetryState.NON_RETRYABLE_FAILURE });
    expect(ms).toBeLessThan(20_000);
  });

  it('a truncated gzip and a workbook named .csv fail the same way, and the worker keeps serving', async () => {
    const zlib = await import('node:zlib');
    const lines = Array.from({ length: 20_000 }, (_, i) => `${i},post ${i} with enough words to need many gzip blocks ${i * 7},2024-05-01T10:00:00Z`);
    const gz = zlib.gzipSync('id,text,created_at\n' + lines.join('\n'));
    const cut = path.join(tmp, 'cut.csv.gz');
    fs.writeFileSync(cut, gz.subarray(0, Math.floor(gz.length / 2)));
    const err1 = await runPipeline({ source: 'file', file: { path: cut } }).catch((e) => e);
    expect(rootMessage(err1)).toMatch(/^cut\.csv\.gz is truncated or damaged gzip/);
    expect(activityFailureOf(err1)?.retryState).toBe(RetryState.NON_RETRYABLE_FAILURE);

    const xlsx = path.join(tmp, 'sheet.csv');
    fs.writeFileSync(xlsx, Buffer.concat([Buffer.from('PK\x03\x04\x14\x00\x06\x00'), Buffer.from('[Content_Types].xml'), Buffer.alloc(300, 1)]));
    const err2 = await runPipeline({ source: 'file', file: { path: xlsx } }).catch((e) => e);
    expect(rootMessage(err2)).toMatch(/^sheet\.csv is not a text file .*a zip archive \(an \.xlsx\/\.ods workbook is one\)/);
  });

  it('case 17: a CSV row with a stray quote is quarantined with its line; the 2 good rows are scored', async () => {
    const summary = await runPipeline({ source: 'file', file: { path: path.join(cases, '17-csv-stray-quote', 'posts.csv') } });
    expect(summary).toMatchObject({ postsIn: 3, scored: 2, quarantined: 1 });
    const rows = await scoresOf(summary.runKey);
    expect(rows.map((r) => [r.post_id, r.text, r.created_at])).toEqual([
      ['file:1', 'hello world', '2026-10-01T10:00:00.000Z'],
      ['file:3', 'bye now', '2026-10-01T12:00:00.000Z'],
    ]);
    const quarantine = await readNdjson<{ reason: string; line: number; record: string }>(stack.store, summary.datasets.quarantine[0]);
    expect(quarantine).toEqual([
      { line: 3, reason: expect.stringMatching(/^line 3: unreadable CSV row: a stray quote/), record: '2,he said "hi,2026-10-01T11:00:00Z' },
    ]);
  });
});
