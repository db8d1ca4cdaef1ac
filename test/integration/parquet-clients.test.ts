/**
 * A run's clean and features zones, read from MinIO by clients that are not our code: pyarrow
 * (S3FileSystem) and DuckDB (read_parquet over s3:// with httpfs), through scripts/open-run-data.py,
 * the snippet README.md shows. What they read is checked against post_scores.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../lib/paths';
import type { Stack } from '../../lib/stack';
import { socialSensePipeline } from '../../workflows/pipeline';
import { requireStack, startTestWorkers, uniqueId } from '../helpers/stack';

const run = promisify(execFile);
const python = path.join(process.env.SOCIALSENSE_DATA_DIR ?? path.join(projectRoot, '.data'), 'venv', 'bin', 'python');

let stack: Stack;
let workers: Awaited<ReturnType<typeof startTestWorkers>>;

beforeAll(async () => {
  // Never skipped: a missing venv fails with the command that makes it.
  if (!fs.existsSync(python)) throw new Error(`no Python venv with pyarrow and duckdb at ${python}: run scripts/setup.sh (it creates it)`);
  stack = await requireStack();
  workers = await startTestWorkers(stack, 'parquet-clients');
});

afterAll(async () => {
  await workers?.stop();
  await stack?.close();
});

interface ClientView {
  pyarrow: {
    clean: { rows: number; ids: string[]; types: Record<string, string> };
    features: {
      types: Record<string, string>;
      rows: Array<{
        id: string;
        created_at: string;
        hashtags: string[];
        sentiment_compound: number | null;
        sentiment_label: string | null;
        sentiment_model: string | null;
        topic: number | null;
      }>;
    };
  };
  duckdb: Array<{ sentiment_label: string | null; posts: number; created_at: string; hashtags: string }>;
  /** the first and last created_at, fetched into Python datetimes by DuckDB */
  duckdbTimes: { first: string; last: string };
}

describe("a run's Parquet, read by pyarrow and DuckDB", () => {
  it('has the rows and types of post_scores', async () => {
    const runKey = uniqueId('pipeline-parquet');
    const summary = await stack.client.workflow.execute(socialSensePipeline, {
      taskQueue: workers.taskQueue,
      workflowId: runKey,
      args: [{ source: 'simulated', posts: 150, days: 2, date: '2026-11-18', seed: 11 }],
    });
    const { clean, features } = summary.datasets;
    expect(features.map((r) => r.format)).toEqual(['parquet', 'parquet']);
    expect(clean.every((r) => r.uri.endsWith('.parquet'))).toBe(true);

    const { stdout } = await run(
      python,
      [path.join(projectRoot, 'scripts', 'open-run-data.py'), ...clean.map((r) => r.uri), '--', ...features.map((r) => r.uri)],
      {
        env: { ...process.env, S3_ENDPOINT: process.env.S3_ENDPOINT!, S3_ACCESS_KEY: process.env.S3_ACCESS_KEY!, S3_SECRET_KEY: process.env.S3_SECRET_KEY! },
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const view = JSON.parse(stdout) as ClientView;

    const { rows: scored } = await stack.db.query(
      `SELECT post_id, created_at, hashtags, sentiment_compound, sentiment_label, sentiment_model, topic FROM post_scores WHERE run_key = $1 ORDER BY post_id`,
      [runKey],
    );
    expect(scored.length).toBe(summary.scored);
    expect(scored.length).toBeGreaterThan(200);

    // Types as another client sees them: a UTC timestamp, lists of strings, flat author and sentiment columns.
    for (const types of [view.pyarrow.clean.types, view.pyarrow.features.types]) {
      expect(types.created_at).toBe('timestamp[ms, tz=UTC]');
      for (const list of ['hashtags', 'mentions', 'urls']) expect(types[list]).toMatch(/^list<\w+: string>$/);
      expect(types).toMatchObject({ id: 'string', author_id: 'string', author_handle: 'string', author_followers: 'int64', metrics_likes: 'double' });
    }
    expect(view.pyarrow.features.types).toMatchObject({ sentiment_compound: 'double', sentiment_label: 'string', sentiment_model: 'string', topic: 'int32' });

    // Rows: the same posts, each with the time, hashtags and sentiment post_scores has.
    const rows = [...view.pyarrow.features.rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    expect(rows.map((r) => r.id)).toEqual(scored.map((r) => r.post_id));
    expect([...view.pyarrow.clean.ids].sort()).toEqual(scored.map((r) => r.post_id));
    expect(view.pyarrow.clean.rows).toBe(scored.length);
    rows.forEach((r, i) => {
      const pg = scored[i];
      expect(new Date(r.created_at).getTime()).toBe((pg.created_at as Date).getTime());
      expect(r.created_at).toMatch(/\+00:00$/); // a UTC instant, not a naive time
      expect(r.hashtags).toEqual(pg.hashtags);
      // post_scores keeps the compound as real (float4, read back as its shortest decimal): the Parquet double
      // rounds to the same float4
      const float4 = (v: number | null) => (v === null ? null : Math.fround(v));
      expect(float4(r.sentiment_compound)).toBe(float4(pg.sentiment_compound));
      expect([r.sentiment_label, r.sentiment_model, r.topic]).toEqual([pg.sentiment_label, pg.sentiment_model, pg.topic]);
    });
    expect(rows.some((r) => r.hashtags.length > 0)).toBe(true);

    // DuckDB over s3:// directly: the counts per label are post_scores', with typed columns.
    const pgByLabel = new Map<string | null, number>();
    for (const r of scored) pgByLabel.set(r.sentiment_label, (pgByLabel.get(r.sentiment_label) ?? 0) + 1);
    expect(new Map(view.duckdb.map((d) => [d.sentiment_label, d.posts]))).toEqual(pgByLabel);
    for (const d of view.duckdb) expect([d.created_at, d.hashtags]).toEqual(['TIMESTAMP WITH TIME ZONE', 'VARCHAR[]']);
    // the instants themselves, as Python datetimes (what a data scientist's fetchall() gives): post_scores' first and last
    const times = scored.map((r) => (r.created_at as Date).getTime());
    expect(new Date(view.duckdbTimes.first).getTime()).toBe(Math.min(...times));
    expect(new Date(view.duckdbTimes.last).getTime()).toBe(Math.max(...times));
  }, 240_000);
});
