import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../../lib/stack';
import { socialSensePipeline, type PipelineInput } from '../../workflows/pipeline';
import { requireStack, startTestWorkers, uniqueId } from '../helpers/stack';

/**
 * A day over the import's split threshold (SOCIALSENSE_MAX_PARTITION_POSTS, read by importFile in
 * this process's worker) is processed as several parts, each its own preprocess → features → score
 * chain with the score label `file/DAY/part-N`, and accounts for every post like an unsplit day.
 */
let stack: Stack;
let workers: Awaited<ReturnType<typeof startTestWorkers>>;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'socialsense-parts-'));
const DAY = '2026-10-07';

const WORDS = (
  'river market coffee morning train city budget music garden school winter summer football election museum bakery ' +
  'bridge harbour concert library festival mountain weather traffic station theatre kitchen painting journey island ' +
  'forest village airport council hospital project science history language holiday evening weekend neighbour'
).split(' ');

/** `n` posts of one day with unrelated texts (no near-duplicates), plus `dups` exact re-deliveries of earlier lines. */
function writeDay(file: string, n: number, dups: number): void {
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const words = Array.from({ length: 12 }, () => WORDS[Math.floor(rand() * WORDS.length)]);
    const minute = String(i % 60).padStart(2, '0');
    const hour = String(Math.floor(i / 60) % 24).padStart(2, '0');
    lines.push(
      JSON.stringify({
        id: `p${i}`,
        text: `${words.join(' ')} number ${i}`,
        created_at: `${DAY}T${hour}:${minute}:00Z`,
        author_id: `u${i % 40}`,
        author_handle: `user${i % 40}`,
        lang: 'en',
      }),
    );
  }
  for (let d = 0; d < dups; d++) lines.push(lines[d * 7]);
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

beforeAll(async () => {
  stack = await requireStack();
  workers = await startTestWorkers(stack, 'parts');
});

afterAll(async () => {
  delete process.env.SOCIALSENSE_MAX_PARTITION_POSTS;
  await workers?.stop();
  await stack?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const runPipeline = (input: PipelineInput, workflowId: string) =>
  stack.client.workflow.execute(socialSensePipeline, { taskQueue: workers.taskQueue, workflowId, args: [input] });

const claimsByPartition = async (runKey: string) =>
  Object.fromEntries(
    (await stack.db.query(`SELECT partition, count(*)::int AS n FROM post_score_runs WHERE run_key = $1 GROUP BY 1 ORDER BY 1`, [runKey])).rows.map((r) => [
      r.partition as string,
      r.n as number,
    ]),
  );

describe('a day split into parts', () => {
  it('runs one chain per part, labels its scores per part, re-runs cleanly and counts like the unsplit day', async () => {
    const file = path.join(tmp, `day-${uniqueId('f')}.jsonl`);
    writeDay(file, 520, 12);
    const input: PipelineInput = { source: 'file', file: { path: file, format: 'jsonl', platform: 'parts' } };

    process.env.SOCIALSENSE_MAX_PARTITION_POSTS = '200';
    const splitKey = uniqueId('parts-split');
    const split = await runPipeline(input, splitKey);
    const parts = Math.ceil(532 / 200);
    expect(split.datasets.partitions).toHaveLength(parts);
    expect(split.datasets.clean).toHaveLength(parts);
    expect(split.datasets.features).toHaveLength(parts);
    expect(split.postsIn).toBe(532);
    expect(split.postsIn).toBe(split.scored + split.filtered + split.quarantined);
    // Exact re-deliveries share their twin's id, so they land in its part and are removed there.
    expect(split.counts.duplicates).toBe(12);

    // One label per part; every scored post claimed once. A shared label would have let each part's
    // score step delete the earlier parts' claims of this run as stale.
    const claims = await claimsByPartition(splitKey);
    expect(Object.keys(claims)).toEqual(Array.from({ length: parts }, (_, i) => `file/${DAY}/part-${i}`));
    expect(Object.values(claims).reduce((a, b) => a + b, 0)).toBe(split.scored);
    const { rows } = await stack.db.query(`SELECT count(*)::int AS n FROM post_scores WHERE run_key = $1`, [splitKey]);
    expect(rows[0].n).toBe(split.scored);

    // The same run again: the same claims, none deleted or doubled.
    const again = await runPipeline(input, splitKey);
    expect(again.scored).toBe(split.scored);
    expect(await claimsByPartition(splitKey)).toEqual(claims);

    // The same file as one object per day gives the same accounting.
    delete process.env.SOCIALSENSE_MAX_PARTITION_POSTS;
    const wholeKey = uniqueId('parts-whole');
    const whole = await runPipeline(input, wholeKey);
    expect(whole.datasets.partitions).toHaveLength(1);
    expect(whole.counts).toEqual(split.counts);
    expect(whole.sentiment).toEqual(split.sentiment);
    expect(await claimsByPartition(wholeKey)).toEqual({ [`file/${DAY}`]: whole.scored });
  }, 240_000);
});
