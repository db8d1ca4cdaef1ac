import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { keyFromUri } from '../../lib/objectStore';
import { readNdjson } from '../../lib/datasets';
import type { Stack } from '../../lib/stack';
import { socialSensePipeline, type PipelineInput } from '../../workflows/pipeline';
import { requireStack, startTestWorkers, uniqueId } from '../helpers/stack';
import { rootMessage } from '../../lib/failures';

let stack: Stack;
let workers: Awaited<ReturnType<typeof startTestWorkers>>;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'socialsense-it-'));

beforeAll(async () => {
  stack = await requireStack();
  workers = await startTestWorkers(stack, 'pipeline');
});

afterAll(async () => {
  await workers?.stop();
  await stack?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const runPipeline = (input: PipelineInput, workflowId = uniqueId('pipeline-it')) =>
  stack.client.workflow.execute(socialSensePipeline, { taskQueue: workers.taskQueue, workflowId, args: [input] });

describe('socialSensePipeline on the real stack', () => {
  it('runs simulated data end to end into Postgres and MinIO, and a re-run duplicates nothing', async () => {
    const workflowId = uniqueId('pipeline-simulated');
    const input: PipelineInput = { source: 'simulated', posts: 120, days: 2, date: '2026-11-20', seed: 7 };
    const summary = await runPipeline(input, workflowId);

    expect(summary.postsIn).toBeGreaterThan(200);
    expect(summary.postsIn).toBe(summary.scored + summary.filtered + summary.quarantined);
    expect(summary.counts.duplicates).toBeGreaterThan(0); // the simulated source re-delivers ~1% of posts

    const { rows } = await stack.db.query('SELECT count(*)::int AS n, count(DISTINCT post_id)::int AS d FROM post_scores WHERE run_key = $1', [workflowId]);
    expect(rows[0]).toEqual({ n: summary.scored, d: summary.scored });
    const labels = await stack.db.query('SELECT sentiment_label, count(*)::int AS n FROM post_scores WHERE run_key = $1 GROUP BY 1', [workflowId]);
    const byLabel = Object.fromEntries(labels.rows.map((r) => [r.sentiment_label, r.n]));
    expect(byLabel).toEqual(Object.fromEntries(Object.entries(summary.sentiment).filter(([, n]) => n > 0)));

    // Every stage's output is an object in MinIO and a row in the catalog, with lineage.
    expect(summary.datasets.clean).toHaveLength(2); // one chain per day partition
    for (const ref of [...summary.datasets.clean, ...summary.datasets.features, ...summary.datasets.partitions]) {
      expect(ref.uri.startsWith('s3://')).toBe(true);
      expect(await stack.store.exists(keyFromUri(stack.store, ref.uri))).toBe(true);
    }
    const clean = (await Promise.all(summary.datasets.clean.map((ref) => readNdjson<{ id: string }>(stack.store, ref)))).flat();
    expect(clean).toHaveLength(summary.scored);
    const cat = await stack.db.query('SELECT stage, records, inputs FROM datasets WHERE uri = $1', [summary.datasets.features[0].uri]);
    expect(cat.rows[0]).toMatchObject({ stage: 'features', records: summary.datasets.clean[0].records, inputs: [summary.datasets.clean[0].uri] });
    const run = await stack.db.query('SELECT status, summary FROM runs WHERE run_key = $1', [workflowId]);
    expect(run.rows[0].status).toBe('completed');
    expect(run.rows[0].summary.scored).toBe(summary.scored);

    const description = await stack.client.workflow.getHandle(workflowId).describe();
    expect(description.status.name).toBe('COMPLETED');

    // Same business key again: same rows, none doubled.
    const again = await runPipeline(input, workflowId);
    expect(again.scored).toBe(summary.scored);
    const after = await stack.db.query('SELECT count(*)::int AS n FROM post_scores WHERE run_key = $1', [workflowId]);
    expect(after.rows[0].n).toBe(summary.scored);
  });

  it('imports a CSV with bad rows: they are quarantined with their reason and counted, nothing is lost', async () => {
    const file = path.join(tmp, 'posts.csv');
    fs.writeFileSync(
      file,
      [
        'post_id,body,created_at,user',
        '1,"Loving the new #ClimateAction plan, great work @ana!",2026-11-19T10:00:00Z,ana',
        '2,"This is terrible &amp; sad https://example.com/x",2026-11-19T11:00:00Z,bob',
        '3,,2026-11-19T12:00:00Z,carl',
        '4,"no time here",yesterday-ish,dan',
        '2,"This is terrible &amp; sad https://example.com/x",2026-11-19T11:00:00Z,bob',
        '5,"Another day, another #match",2026-11-20T09:30:00Z,eve',
      ].join('\n'),
    );
    const summary = await runPipeline({ source: 'file', file: { path: file, mapping: { id: 'post_id', text: 'body', author_id: 'user' } } });
    expect(summary).toMatchObject({ postsIn: 6, quarantined: 2, filtered: 1, scored: 3 });
    expect(summary.datasets.partitions).toHaveLength(2); // two days
    const quarantine = await readNdjson<{ reason: string }>(stack.store, summary.datasets.quarantine[0]);
    expect(quarantine.map((q) => q.reason)).toEqual([
      'line 4: no text (column "body" is empty or missing)',
      'line 5: unparseable timestamp "yesterday-ish" in column "created_at": not ISO 8601, RFC 2822, Twitter or epoch seconds/ms',
    ]);
    const rows = await stack.db.query('SELECT post_id, text, hashtags FROM post_scores WHERE post_id = ANY($1) ORDER BY post_id', [['file:1', 'file:2']]);
    expect(rows.rows[0].hashtags).toEqual(['climateaction']);
    expect(rows.rows[1].text).toBe('This is terrible & sad https://example.com/x');
  });

  it('quarantines malformed JSON lines and invalid records from JSONL', async () => {
    const file = path.join(tmp, 'posts.jsonl');
    fs.writeFileSync(
      file,
      [
        JSON.stringify({ id: 'a', text: 'hello world', created_at: '2026-11-19T10:00:00Z', author_id: 'x' }),
        '{"id": "b", "text": broken json',
        JSON.stringify([1, 2, 3]),
        JSON.stringify({ id: 'c', text: 'good news everyone', created_at: 1763546400, author_id: 'y' }),
      ].join('\n') + '\n',
    );
    const summary = await runPipeline({ source: 'file', file: { path: file } });
    expect(summary).toMatchObject({ postsIn: 4, quarantined: 2, scored: 2, filtered: 0 });
  });

  it('fails with a clear, non-retryable error for an empty file and for a mapping to a missing column', async () => {
    const empty = path.join(tmp, 'empty.csv');
    fs.writeFileSync(empty, '');
    const err1 = await runPipeline({ source: 'file', file: { path: empty } }).catch((e) => e);
    expect(err1).toBeInstanceOf(WorkflowFailedError);
    expect(rootMessage(err1)).toMatch(/^file is empty: .*empty\.csv: nothing to import$/);

    const csv = path.join(tmp, 'ok.csv');
    fs.writeFileSync(csv, 'id,text,created_at\n1,hi,2026-11-19T10:00:00Z\n');
    const err2 = await runPipeline({ source: 'file', file: { path: csv, mapping: { text: 'message' } } }).catch((e) => e);
    expect(err2).toBeInstanceOf(WorkflowFailedError);
    expect(rootMessage(err2)).toMatch(/mapping text=message names a column the file does not have; its columns are: id, text, created_at/);
  });
});

describe('file import of real data as it is', () => {
  it('reads the SemEval TSV files in ../shared/data without any mapping', async () => {
    const { createFileCollectActivities } = await import('../../activities/collect/file');
    const { sharedDataDir } = await import('../../lib/paths');
    const { readTableAll } = await import('../../lib/tabular');
    const importer = createFileCollectActivities({ store: stack.store, db: stack.db });
    for (const name of ['sentiment-train.tsv', 'sentiment-dev.tsv', 'topics-dev.tsv']) {
      const file = path.join(sharedDataDir(), 'semeval', name);
      const rows = (await readTableAll(file)).length;
      const result = await importer.importFile({ path: file, platform: 'x', runKey: uniqueId('semeval-import') });
      const imported = result.partitions.reduce((n, p) => n + p.posts.records, 0);
      expect(result.counts.in).toBe(rows);
      expect(imported + result.counts.quarantined).toBe(rows); // every row is a post or quarantined with its reason
      expect(imported / rows).toBeGreaterThan(0.99); // Snowflake ids give every tweet its time
      expect(result.partitions.length).toBeGreaterThan(10); // one partition per day
    }
  }, 120_000);

  it('reads gzipped NDJSON', async () => {
    const zlib = await import('node:zlib');
    const file = path.join(tmp, 'posts.ndjson.gz');
    const lines = Array.from({ length: 50 }, (_, i) =>
      JSON.stringify({
        id: `g${i}`,
        text: `gzipped post number ${i} about ${['cats', 'trains', 'soup', 'rain', 'jazz'][i % 5]} ${'!'.repeat(i % 4)}`,
        created_at: `2026-11-19T${String(i % 24).padStart(2, '0')}:00:00Z`,
        author_id: `a${i % 7}`,
      }),
    );
    fs.writeFileSync(file, zlib.gzipSync(lines.join('\n') + '\n'));
    const summary = await runPipeline({ source: 'file', file: { path: file } });
    expect(summary).toMatchObject({ postsIn: 50, quarantined: 0 });
    expect(summary.scored + summary.filtered).toBe(50);
  });
});
