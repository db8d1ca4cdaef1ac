import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatSentiment, sentimentInsights } from '../../cli/commands/insights';
import { buildReport } from '../../cli/report/build';
import { formatSummary } from '../../cli/pipelineRun';
import type { Stack } from '../../lib/stack';
import { socialSensePipeline } from '../../workflows/pipeline';
import { requireStack, startTestWorkers, uniqueId } from '../helpers/stack';

/**
 * Issue 10 §3 "Other languages" through the real pipeline (Temporal + MinIO + Postgres): German posts get no
 * sentiment (NULL label, compound and model in post_scores), are counted as notScored in the run summary, and are
 * shown as "not scored" in the report; English posts of the same file are scored as before.
 */

let stack: Stack;
let workers: Awaited<ReturnType<typeof startTestWorkers>>;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'socialsense-not-scored-'));

beforeAll(async () => {
  stack = await requireStack();
  workers = await startTestWorkers(stack, 'not-scored');
});

afterAll(async () => {
  await workers?.stop();
  await stack?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('posts in a language without a sentiment model', () => {
  it('are stored with null sentiment, counted as notScored and shown as "not scored"', async () => {
    // unique ids: post_scores keeps one row per post id across runs
    const p = uniqueId('ns');
    const file = path.join(tmp, 'mixed.csv');
    fs.writeFileSync(
      file,
      [
        'id,author_id,created_at,text',
        // case 02-german-article-die
        `${p}g1,demo_jonas,2024-05-08T07:00:00Z,Die Kinder spielen im Garten und die Sonne scheint`,
        `${p}g2,demo_lena,2024-05-08T07:30:00Z,Die Bahn fährt heute nach Plan`,
        `${p}g3,demo_paul,2024-05-08T08:00:00Z,Die neue Bibliothek öffnet am Montag`,
        // case 01-negated-emoticon
        `${p}e1,demo_kim,2024-05-08T09:00:00Z,not again :(`,
        `${p}e2,demo_lou,2024-05-08T09:10:00Z,no wifi again 😡`,
        `${p}e3,demo_max,2024-05-08T09:20:00Z,I love the new library so much`,
      ].join('\n') + '\n',
    );
    const summary = await stack.client.workflow.execute(socialSensePipeline, {
      taskQueue: workers.taskQueue,
      workflowId: uniqueId('not-scored'),
      args: [{ source: 'file', file: { path: file } }],
    });
    expect(summary).toMatchObject({ postsIn: 6, scored: 6, filtered: 0, quarantined: 0 });
    expect(summary.sentiment.notScored).toBe(3);
    expect(summary.sentiment.negative + summary.sentiment.neutral + summary.sentiment.positive).toBe(3);

    const { rows } = await stack.db.query<{
      post_id: string;
      lang: string | null;
      sentiment_label: string | null;
      sentiment_compound: number | null;
      sentiment_model: string | null;
    }>('SELECT post_id, lang, sentiment_label, sentiment_compound, sentiment_model FROM post_scores WHERE post_id LIKE $1 ORDER BY post_id', [`file:${p}%`]);
    expect(rows.map((r) => r.post_id)).toEqual(['e1', 'e2', 'e3', 'g1', 'g2', 'g3'].map((s) => `file:${p}${s}`));
    for (const r of rows.filter((r) => r.post_id.includes(`${p}g`))) {
      expect(r).toMatchObject({ lang: 'de', sentiment_label: null, sentiment_compound: null, sentiment_model: null });
    }
    for (const r of rows.filter((r) => r.post_id.includes(`${p}e`))) {
      expect(['negative', 'neutral', 'positive']).toContain(r.sentiment_label);
      expect(r.sentiment_model).toMatch(/^(lexicon|classifier)\.v\d+$/);
    }
    // the lexicon's compound is stored whatever labels the post: both complaints are below zero
    expect(rows.filter((r) => r.post_id.includes(`${p}e`)).map((r) => Math.sign(r.sentiment_compound!))).toEqual([-1, -1, 1]);

    const text = formatSummary(summary, { workflowId: summary.runKey, uiUrl: null });
    expect(text).toMatch(/not scored 50\.0% \(3 posts in languages without a sentiment model\)/);
    // none of the six posts has a hashtag: the line says so instead of standing empty
    expect(text.split('\n')).toContain('  top hashtags  none (no scored post has a hashtag)');

    const report = await buildReport(stack.db, { runKey: summary.runKey });
    const day = report.data.sentimentTotals.find((t) => t.day === '2024-05-08')!;
    expect(day).toMatchObject({ posts: 6, notScored: 3 });
    expect(day.positive + day.neutral + day.negative).toBe(3);
    expect(report.html).toContain('Not scored');
    expect(report.html).toContain('not scored: no sentiment model for the post’s language');

    const table = formatSentiment(await sentimentInsights(stack.db, { runKey: summary.runKey }));
    expect(table).toMatch(/NEGATIVE {2}NOT SCORED\n/);
    // the mean mood is over the 3 scored posts only (the German ones have no compound)
    expect(table).toMatch(/2024-05-08 +6 +\S+ +\d+% +\d+% +\d+% +50%$/m);
    const mean = report.data.sentimentTotals[0].meanSentiment!;
    const compounds = rows.filter((r) => r.sentiment_compound !== null).map((r) => r.sentiment_compound!);
    expect(compounds).toHaveLength(3);
    expect(mean).toBeCloseTo(compounds.reduce((a, b) => a + b, 0) / 3, 5);
  });
});
