import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { partOf } from '../../activities/collect/fileStream';
import { readNdjson } from '../../lib/datasets';
import type { Post } from '../../lib/schema';
import type { Stack } from '../../lib/stack';
import { socialSensePipeline } from '../../workflows/pipeline';
import { requireStack, startTestWorkers, uniqueId } from '../helpers/stack';

let stack: Stack;
let workers: Awaited<ReturnType<typeof startTestWorkers>>;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'socialsense-it-parts-'));

beforeAll(async () => {
  stack = await requireStack();
  workers = await startTestWorkers(stack, 'file-parts');
});

afterAll(async () => {
  await workers?.stop();
  await stack?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Distinct English sentences (so neither the language filter nor the near-duplicate spam filter takes them). */
function sentence(i: number): string {
  const subjects = [
    'The harbour ferry',
    'Our bakery',
    'The city council',
    'My neighbour',
    'The football club',
    'A local teacher',
    'The night market',
    'Our cycling group',
    'The old library',
    'The weather service',
    'A small bookshop',
  ];
  const verbs = [
    'announced',
    'celebrated',
    'postponed',
    'reviewed',
    'praised',
    'criticised',
    'explained',
    'organised',
    'delayed',
    'welcomed',
    'questioned',
    'shared',
  ];
  const objects = [
    'the new timetable',
    'a charity breakfast',
    'the summer festival',
    'plans for a bigger park',
    'the late trains',
    'an exhibition of photographs',
    'free lessons for children',
    'a repair cafe',
    'the price of tickets',
    'a quiet morning walk',
    'the recycling rules',
    'a bridge closure',
    'their annual report',
  ];
  return `${subjects[i % subjects.length]} ${verbs[(i * 7) % verbs.length]} ${objects[(i * 5) % objects.length]} on day ${i} with ${(i * 37) % 101} people watching`;
}

describe('a large day imported through the pipeline is processed as parts', () => {
  it('splits the day by id hash, every post is accounted for once, and a re-delivered post is de-duplicated in its part', async () => {
    const tag = uniqueId('parts').replace(/[^a-z0-9]/gi, '');
    const ids = Array.from({ length: 130 }, (_, i) => `${tag}${i + 1}`);
    const rows = ['id,text,created_at,author_id'];
    ids.forEach((id, i) => rows.push(`${id},${sentence(i)},2026-11-19T${String(i % 24).padStart(2, '0')}:10:00Z,user${i % 17}`));
    rows.push(`${ids[6]},${sentence(6)},2026-11-19T06:10:00Z,user6`); // the same post delivered twice
    rows.push(`${tag}x1,${sentence(500)},2026-11-20T09:00:00Z,user1`);
    rows.push(`${tag}x2,${sentence(501)},2026-11-20T10:00:00Z,user2`);
    const file = path.join(tmp, 'big-day.csv');
    fs.writeFileSync(file, rows.join('\n') + '\n');

    const summary = await stack.client.workflow.execute(socialSensePipeline, {
      taskQueue: workers.taskQueue,
      workflowId: uniqueId('pipeline-parts-it'),
      args: [{ source: 'file', file: { path: file, platform: 'parts', maxPartitionPosts: 50 } }],
    });
    // 131 posts on the first day → ceil(131 / 50) = 3 parts; the second day is one object
    expect(summary.datasets.partitions.map((r) => r.uri.replace(/^.*\/date=/, ''))).toEqual([
      expect.stringMatching(/^2026-11-19\/[0-9a-f]{16}\.part-0000-of-0003\.ndjson\.gz$/),
      expect.stringMatching(/^2026-11-19\/[0-9a-f]{16}\.part-0001-of-0003\.ndjson\.gz$/),
      expect.stringMatching(/^2026-11-19\/[0-9a-f]{16}\.part-0002-of-0003\.ndjson\.gz$/),
      expect.stringMatching(/^2026-11-20\/[0-9a-f]{16}\.ndjson\.gz$/),
    ]);
    // each part holds the ids its hash names, read back from MinIO
    const parts = await Promise.all(summary.datasets.partitions.slice(0, 3).map((r) => readNdjson<Post>(stack.store, r)));
    parts.forEach((part, k) => {
      expect(part.length).toBeGreaterThan(0);
      for (const p of part) expect(partOf(p.id, 3)).toBe(k);
    });
    expect(parts.flat()).toHaveLength(131);
    // nothing lost: every post is scored, filtered or quarantined, and the re-delivery is the one duplicate (it shares
    // a part with its twin; in different parts both copies would have been scored)
    expect(summary.postsIn).toBe(133);
    expect(summary.quarantined).toBe(0);
    expect(summary.scored + summary.filtered + summary.quarantined).toBe(133);
    expect(summary.counts.duplicates).toBe(1);
    const scored = await stack.db.query('SELECT count(*)::int AS n, count(DISTINCT post_id)::int AS d FROM post_scores WHERE post_id LIKE $1', [
      `parts:${tag}%`,
    ]);
    expect(scored.rows[0]).toEqual({ n: summary.scored, d: summary.scored });
    // the catalog records each part object under its day
    const catalog = await stack.db.query(`SELECT partition_date::text AS day, meta FROM datasets WHERE uri = ANY($1) ORDER BY uri`, [
      summary.datasets.partitions.map((r) => r.uri),
    ]);
    expect(catalog.rows.map((r: { day: string; meta: { part?: number; parts?: number } }) => [r.day, r.meta.part ?? null, r.meta.parts ?? null])).toEqual([
      ['2026-11-19', 0, 3],
      ['2026-11-19', 1, 3],
      ['2026-11-19', 2, 3],
      ['2026-11-20', null, null],
    ]);
  });
});
