import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../lib/paths';
import type { Stack } from '../../lib/stack';
import { pipelineWorkflowId, runPipeline } from '../../cli/pipelineRun';
import { findRun } from '../../cli/report/queries/runs';
import { backfill, dayWorkflowId } from '../../workflows/backfill';
import type { PipelineInput, PipelineSummary } from '../../workflows/pipeline';
import { SIMULATED_DEFAULTS } from '../../workflows/runIdentity';
import { findBinary } from '../../lib/binaries';
import { envWithoutServices, runCli } from '../helpers/cli';
import { requireStack, startTestWorkers, uniqueId } from '../helpers/stack';

/**
 * What a run owns (README "What a run owns"): a run's id is derived from its input, rows are one per
 * post carrying the run that scored it last, and every run that scored a post keeps its claim on it.
 * A later run never deletes an earlier run's rows; the same input run again is the same run and
 * duplicates nothing. Driven through the CLI (as users do) and through the client with test workers.
 */
let stack: Stack;
let workers: Awaited<ReturnType<typeof startTestWorkers>>;
let local: Stack;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'socialsense-runid-'));
const cases = path.join(projectRoot, 'test', 'fixtures', 'cases');
// The CLI's in-process worker serves a queue of its own, so no other worker (other code) takes its tasks.
const cliQueue = uniqueId('test-run-identity-cli');
const tag = crypto.randomUUID().slice(0, 8);
const usedDays = new Set<string>();
/**
 * A day that no other test of this file runs, nor any of the `windowDays` days ending at it: simulated post ids are
 * the day plus an index, so two tests on one day share posts and each sees the other's run merged. Drawn at random
 * (a fresh day on a long-lived stack too) among 5,000 from 2005 on: posts must have plausible times (2004 … tomorrow,
 * preprocess quarantines the others), and none any other test has scored posts of yet. Drawn without these checks,
 * two of this file's days met once in a CI run.
 */
const freshDay = async (windowDays = 1): Promise<string> => {
  const dayOf = (n: number) => new Date(Date.UTC(2005, 0, 1) + n * 86_400_000).toISOString().slice(0, 10);
  for (;;) {
    const n = windowDays - 1 + Math.floor(Math.random() * (5_000 - windowDays));
    const window = Array.from({ length: windowDays }, (_, i) => dayOf(n - i));
    if (window.some((d) => usedDays.has(d))) continue;
    const prefixes = window.map((d) => `simulated:${d.replaceAll('-', '')}%`);
    const { rows } = await stack.db.query(`SELECT 1 FROM post_scores WHERE post_id LIKE ANY($1::text[]) LIMIT 1`, [prefixes]);
    if (rows.length) continue;
    window.forEach((d) => usedDays.add(d));
    return window[0];
  }
};

beforeAll(async () => {
  stack = await requireStack();
  workers = await startTestWorkers(stack, 'run-identity');
  local = { ...stack, taskQueue: workers.taskQueue };
});
afterAll(async () => {
  await workers?.stop();
  await stack?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

type CliSummary = PipelineSummary & { workflowId: string };

async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return runCli(args, { env: { ...process.env, TEMPORAL_TASK_QUEUE: cliQueue, ...env }, timeoutMs: 180_000 });
}
async function cliJson(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliSummary> {
  const r = await cli([...args, '--json'], env);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

/** Posts whose rows carry `runKey` (it scored them last). */
async function carriedBy(runKey: string): Promise<string[]> {
  const { rows } = await stack.db.query(`SELECT post_id FROM post_scores WHERE run_key = $1 ORDER BY post_id`, [runKey]);
  return rows.map((r) => r.post_id);
}
/** Posts `runKey` scored that are still stored (whoever scored them last). */
async function storedOf(runKey: string): Promise<number> {
  const { rows } = await stack.db.query(`SELECT count(*)::int AS n FROM post_score_runs r JOIN post_scores p USING (post_id) WHERE r.run_key = $1`, [runKey]);
  return rows[0].n;
}
/** Posts both runs scored. */
async function shared(a: string, b: string): Promise<number> {
  const { rows } = await stack.db.query(
    `SELECT count(*)::int AS n FROM post_score_runs a JOIN post_score_runs b USING (post_id) WHERE a.run_key = $1 AND b.run_key = $2`,
    [a, b],
  );
  return rows[0].n;
}
const balanced = (s: PipelineSummary) => expect(s.postsIn).toBe(s.scored + s.filtered + s.quarantined);

describe('case 15: two files imported on the same day', () => {
  const a = path.join(cases, '15-two-files-same-day', 'campaign_a.csv');
  const b = path.join(cases, '15-two-files-same-day', 'campaign_b.csv');
  const all = ['file:a001', 'file:a002', 'file:a003', 'file:b001', 'file:b002'];

  it('both runs end with rc 0 and post_scores holds all 5 posts, each carried by the run of its file', async () => {
    const runA = await cliJson(['run', '--source', 'file', '--file', a, '--date', '2024-06-03']);
    const runB = await cliJson(['run', '--source', 'file', '--file', b, '--date', '2024-06-03']);
    expect(runA.workflowId).not.toBe(runB.workflowId);
    expect(runA).toMatchObject({ postsIn: 3, scored: 3, quarantined: 0, filtered: 0 });
    expect(runB).toMatchObject({ postsIn: 2, scored: 2, quarantined: 0, filtered: 0 });
    const { rows } = await stack.db.query(`SELECT post_id, run_key FROM post_scores WHERE post_id = ANY($1) ORDER BY post_id`, [all]);
    expect(rows).toEqual([
      ...['file:a001', 'file:a002', 'file:a003'].map((post_id) => ({ post_id, run_key: runA.workflowId })),
      ...['file:b001', 'file:b002'].map((post_id) => ({ post_id, run_key: runB.workflowId })),
    ]);
    // Each run's summary counts its own rows, not the other file's.
    expect(await storedOf(runA.workflowId)).toBe(3);
    expect(await storedOf(runB.workflowId)).toBe(2);
    expect(runB.merged.map((m) => m.runKey)).not.toContain(runA.workflowId);
    const stored = await stack.db.query(`SELECT run_key, status, (summary->>'scored')::int AS scored FROM runs WHERE run_key = ANY($1) ORDER BY run_key`, [
      [runA.workflowId, runB.workflowId],
    ]);
    expect(stored.rows).toEqual([
      { run_key: runA.workflowId, status: 'completed', scored: 3 },
      { run_key: runB.workflowId, status: 'completed', scored: 2 },
    ]);

    // The same imports without --date (as in the case's expected.txt) are the same runs: a file's
    // identity is its content, not the day it was imported.
    const againA = await cliJson(['run', '--source', 'file', '--file', a]);
    const againB = await cliJson(['run', '--source', 'file', '--file', b]);
    expect([againA.workflowId, againB.workflowId]).toEqual([runA.workflowId, runB.workflowId]);
    expect([againA.scored, againB.scored]).toEqual([3, 2]);
    const after = await stack.db.query(`SELECT count(*)::int AS n FROM post_scores WHERE post_id = ANY($1)`, [all]);
    expect(after.rows[0].n).toBe(5);
    // The stored input names no window: a file's posts are on their own days (it said the CLI's yesterday before)
    const inputOf = await stack.db.query(`SELECT input FROM runs WHERE run_key = $1`, [againA.workflowId]);
    expect(inputOf.rows[0].input).not.toHaveProperty('date');
    expect(inputOf.rows[0].input).not.toHaveProperty('days');
    expect(inputOf.rows[0].input).toMatchObject({ source: 'file', file: { path: a } });
  }, 300_000);

  it('the same file twice: one run id, no duplicate row, equal counts, nothing reported as merged', async () => {
    const file = path.join(tmp, `twice-${tag}.csv`);
    fs.writeFileSync(
      file,
      [
        'id,text,created_at',
        `${tag}-t1,First post of the import,2026-10-01T07:00:00Z`,
        `${tag}-t2,Second post of the import,2026-10-01T08:00:00Z`,
        `${tag}-t3,Third one on the next day,2026-10-02T08:00:00Z`,
      ].join('\n') + '\n',
    );
    const first = await cliJson(['run', '--source', 'file', '--file', file]);
    const second = await cliJson(['run', '--source', 'file', '--file', file]);
    expect(second.workflowId).toBe(first.workflowId);
    expect(second).toMatchObject({ postsIn: first.postsIn, scored: first.scored, quarantined: first.quarantined, filtered: first.filtered });
    expect(first.scored).toBe(3);
    expect(second.merged).toEqual([]);
    const ids = [1, 2, 3].map((i) => `file:${tag}-t${i}`);
    const rows = await stack.db.query(`SELECT count(*)::int AS n FROM post_scores WHERE post_id = ANY($1)`, [ids]);
    expect(rows.rows[0].n).toBe(3);
    const claims = await stack.db.query(`SELECT count(*)::int AS n FROM post_score_runs WHERE post_id = ANY($1)`, [ids]);
    expect(claims.rows[0].n).toBe(3); // one run, one claim per post

    // A copy of the same bytes elsewhere is the same import; a changed byte is another.
    const copy = path.join(tmp, 'copy', path.basename(file));
    fs.mkdirSync(path.dirname(copy));
    fs.copyFileSync(file, copy);
    expect(await pipelineWorkflowId({ source: 'file', file: { path: copy } })).toBe(first.workflowId);
    fs.appendFileSync(copy, `${tag}-t4,One more,2026-10-02T09:00:00Z\n`);
    expect(await pipelineWorkflowId({ source: 'file', file: { path: copy } })).not.toBe(first.workflowId);
  }, 300_000);
});

describe('runs over the same posts with different inputs', () => {
  it("different --days windows on the same date: two runs; the shorter merges into the longer one's rows and deletes none", async () => {
    const date = await freshDay(3);
    const seed = Math.floor(Math.random() * 1e9);
    const long: PipelineInput = { source: 'simulated', date, days: 3, posts: 30, seed };
    const short: PipelineInput = { ...long, days: 1 };
    const A = await runPipeline(local, long);
    const B = await runPipeline(local, short);
    expect(A.workflowId).not.toBe(B.workflowId);
    balanced(A.summary);
    balanced(B.summary);
    const overlap = await shared(A.workflowId, B.workflowId);
    expect(overlap).toBeGreaterThan(0);
    expect(overlap).toBeLessThanOrEqual(B.summary.scored);
    expect(B.summary.merged).toEqual([{ runKey: A.workflowId, posts: overlap }]);
    // Nothing of A's was deleted: every post it scored is still stored, B's now carry B.
    expect(await storedOf(A.workflowId)).toBe(A.summary.scored);
    expect(await storedOf(B.workflowId)).toBe(B.summary.scored);
    expect((await carriedBy(A.workflowId)).length).toBe(A.summary.scored - overlap);
    expect((await carriedBy(B.workflowId)).length).toBe(B.summary.scored);
    // A's report still shows every post A scored, including those B re-scored since.
    expect((await findRun(stack.db, A.workflowId)).posts).toBe(A.summary.scored);
    expect((await findRun(stack.db, B.workflowId)).posts).toBe(B.summary.scored);

    // The longer window again: the same run, idempotent, and it takes its rows back without duplicating any.
    const A2 = await runPipeline(local, long);
    expect(A2.workflowId).toBe(A.workflowId);
    expect(A2.summary).toMatchObject({ postsIn: A.summary.postsIn, scored: A.summary.scored });
    expect(A2.summary.merged).toEqual([{ runKey: B.workflowId, posts: overlap }]);
    expect((await carriedBy(A.workflowId)).length).toBe(A.summary.scored);
    const claims = await stack.db.query(`SELECT count(*)::int AS n, count(DISTINCT post_id)::int AS d FROM post_score_runs WHERE run_key = $1`, [A.workflowId]);
    expect(claims.rows[0]).toEqual({ n: A.summary.scored, d: A.summary.scored });
  }, 300_000);

  it('different --posts: two runs, the larger one merges the posts both have', async () => {
    const date = await freshDay();
    const A = await runPipeline(local, { source: 'simulated', date, posts: 20, seed: 5 });
    const B = await runPipeline(local, { source: 'simulated', date, posts: 35, seed: 5 });
    expect(A.workflowId).not.toBe(B.workflowId);
    balanced(B.summary);
    const overlap = await shared(A.workflowId, B.workflowId);
    expect(overlap).toBeGreaterThan(0);
    expect(B.summary.merged).toEqual([{ runKey: A.workflowId, posts: overlap }]);
    expect(await storedOf(A.workflowId)).toBe(A.summary.scored);
    expect(await storedOf(B.workflowId)).toBe(B.summary.scored);
  }, 300_000);

  it('different --languages: distinct runs; a filter that keeps nothing deletes nothing; the same set in another order is the same run', async () => {
    const date = await freshDay();
    const all = await runPipeline(local, { source: 'simulated', date, posts: 20, seed: 9 });
    const en = await runPipeline(local, { source: 'simulated', date, posts: 20, seed: 9, languages: ['en'] });
    const es = await runPipeline(local, { source: 'simulated', date, posts: 20, seed: 9, languages: ['es'] });
    expect(new Set([all.workflowId, en.workflowId, es.workflowId]).size).toBe(3);
    // The simulated network writes English: `en` keeps every post, `es` filters every one out.
    expect(en.summary.scored).toBe(all.summary.scored);
    expect(es.summary).toMatchObject({ scored: 0, merged: [] });
    expect(es.summary.counts.filteredLanguage).toBe(all.summary.scored);
    balanced(es.summary);
    expect(await storedOf(all.workflowId)).toBe(all.summary.scored);
    expect(await pipelineWorkflowId({ source: 'simulated', date, posts: 20, seed: 9, languages: ['es', 'EN'] })).toBe(
      await pipelineWorkflowId({ source: 'simulated', date, posts: 20, seed: 9, languages: ['en', 'es'] }),
    );
  }, 300_000);

  it('a repeated start while the run is going attaches to it; after it ended, the same id runs again idempotently', async () => {
    const input: PipelineInput = { source: 'simulated', date: await freshDay(), posts: 25, seed: 3 };
    const [one, two] = await Promise.all([runPipeline(local, input), runPipeline(local, input)]);
    expect(two.workflowId).toBe(one.workflowId);
    expect(two.summary).toEqual(one.summary);
    const executions: string[] = [];
    for await (const w of stack.client.workflow.list({ query: `WorkflowId = "${one.workflowId}"` })) executions.push(w.runId);
    expect(executions).toHaveLength(1); // attached: one execution served both starts

    const three = await runPipeline(local, input);
    expect(three.workflowId).toBe(one.workflowId);
    expect(three.summary).toMatchObject({ postsIn: one.summary.postsIn, scored: one.summary.scored, merged: [] });
    const { rows } = await stack.db.query(`SELECT count(*)::int AS n FROM post_scores WHERE run_key = $1`, [one.workflowId]);
    expect(rows[0].n).toBe(one.summary.scored);
  }, 300_000);
});

describe('backfill days share their ids with `run`', () => {
  it('a day run by `run` is skipped by a backfill with the same options, and redone by one with other options', async () => {
    const date = await freshDay();
    const day = await runPipeline(local, { source: 'simulated', date, days: 1, posts: 20, seed: SIMULATED_DEFAULTS.seed });
    const same = await stack.client.workflow.execute(backfill, {
      taskQueue: workers.taskQueue,
      workflowId: uniqueId('backfill-same'),
      args: [{ from: date, to: date, pipeline: { posts: 20 } }],
    });
    expect(same).toMatchObject({ daysTotal: 1, daysSkipped: 1, daysDone: 0 });
    const other = await stack.client.workflow.execute(backfill, {
      taskQueue: workers.taskQueue,
      workflowId: uniqueId('backfill-other'),
      args: [{ from: date, to: date, pipeline: { posts: 25 } }],
    });
    expect(other).toMatchObject({ daysTotal: 1, daysSkipped: 0, daysDone: 1 });
    const otherId = dayWorkflowId('simulated', date, { posts: 25 });
    expect(otherId).not.toBe(day.workflowId);
    expect(await storedOf(day.workflowId)).toBe(day.summary.scored); // the first day's rows are all still there
    const run = await stack.db.query(`SELECT status FROM runs WHERE run_key = $1`, [otherId]);
    expect(run.rows[0]?.status).toBe('completed');
  }, 300_000);
});

describe('user profiles fold each file of a day once', () => {
  it('an author in two files of the same day gets the posts of both; importing a file again, or a longer export repeating its posts, folds no post twice', async () => {
    const author = `${tag}-author`;
    const line = {
      p1: 'Morning walk by the sea,2024-06-03T08:00:00Z',
      p2: 'Lunch at the market,2024-06-03T12:00:00Z',
      p3: 'Evening concert downtown,2024-06-03T20:00:00Z',
      p4: 'Late swim under the stars,2024-06-03T23:00:00Z',
    };
    /** A CSV export of the author's posts `ids` (all of the same day). */
    const exportOf = (name: string, ids: Array<keyof typeof line>) => {
      const file = path.join(tmp, `profile-${name}-${tag}.csv`);
      fs.writeFileSync(file, ['id,author_id,text,created_at', ...ids.map((id) => `${tag}-${id},${author},${line[id]}`)].join('\n') + '\n');
      return file;
    };
    const one = exportOf('one', ['p1']);
    const two = exportOf('two', ['p2', 'p3']);
    const postsOf = async () =>
      (await stack.db.query(`SELECT (state->>'posts')::int AS posts FROM user_profile_state WHERE user_id = $1`, [`file:${author}`])).rows[0]?.posts;
    await runPipeline(local, { source: 'file', file: { path: one } });
    expect(await postsOf()).toBe(1);
    await runPipeline(local, { source: 'file', file: { path: two } });
    expect(await postsOf()).toBe(3); // was 1: the second file's day counted as already folded
    await runPipeline(local, { source: 'file', file: { path: one } });
    expect(await postsOf()).toBe(3);
    // A longer export of the same day repeats p1 and p2 and brings p4: only p4 is new to the profile.
    const longer = exportOf('longer', ['p1', 'p2', 'p4']);
    await runPipeline(local, { source: 'file', file: { path: longer } });
    expect(await postsOf()).toBe(4); // was 6: p1 and p2 folded a second time
    // an export with other posts of the day in another combination (p1, p2, p3: a unit never seen) adds nothing
    const again = exportOf('again', ['p1', 'p2', 'p3']);
    await runPipeline(local, { source: 'file', file: { path: again } });
    expect(await postsOf()).toBe(4);
    const folded = await stack.db.query(`SELECT post_id, unit FROM profile_folded_posts WHERE post_id LIKE $1 ORDER BY post_id`, [`file:${tag}-p%`]);
    expect(folded.rows.map((r) => r.post_id)).toEqual([`file:${tag}-p1`, `file:${tag}-p2`, `file:${tag}-p3`, `file:${tag}-p4`]);
    // each post belongs to the fold that first took it: p1 to the first file's unit
    expect(folded.rows[0].unit).toMatch(/^file\/2024-06-03#[0-9a-f]{12}$/);
    expect(folded.rows[0].unit).not.toBe(folded.rows[3].unit);
  }, 300_000);

  it('a relative --file is the file in the directory of the command, whichever directory the worker runs in', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'cwd-'));
    const name = `relative-${tag}.csv`;
    fs.writeFileSync(
      path.join(dir, name),
      [
        'id,author_id,text,created_at',
        `${tag}-r1,${tag}-rel,First light over the bay,2024-06-05T06:00:00Z`,
        `${tag}-r2,${tag}-rel,Second coffee,2024-06-05T09:00:00Z`,
      ].join('\n') + '\n',
    );
    // The test's workers run in the project root, where no such file is; the command runs in `dir`.
    const r = await runCli(['run', '--source', 'file', '--file', name, '--no-worker', '--json'], {
      env: { ...process.env, TEMPORAL_TASK_QUEUE: workers.taskQueue },
      cwd: dir,
      timeoutMs: 180_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as CliSummary;
    expect(summary.scored).toBe(2);
    expect(await carriedBy(summary.runKey)).toEqual([`file:${tag}-r1`, `file:${tag}-r2`]);
  }, 300_000);
});

describe('the demo twice on the same data folder (the embedded stack)', () => {
  it("demo --days 3 then demo --days 1: both exit 0, two runs, the second merges into the first's rows", async () => {
    const temporal = findBinary('temporal');
    expect(temporal, 'scripts/setup.sh puts the temporal CLI in .data/bin').toBeTruthy();
    const dir = fs.mkdtempSync(path.join(tmp, 'demo-'));
    const env = envWithoutServices({ SOCIALSENSE_ENV_FILE: '/dev/null', SOCIALSENSE_DATA_DIR: dir, TEMPORAL_CLI_PATH: temporal! });
    const first = await runCli(['demo', '--json', '--posts', '40', '--days', '3'], { env, timeoutMs: 240_000 });
    expect(first.code, first.stderr).toBe(0);
    const second = await runCli(['demo', '--json', '--posts', '40', '--days', '1'], { env, timeoutMs: 240_000 });
    expect(second.code, second.stderr).toBe(0); // was: "post_scores holds 226 rows for pipeline-simulated-2026-11-24, the stages scored 83"
    const A = JSON.parse(first.stdout) as CliSummary;
    const B = JSON.parse(second.stdout) as CliSummary;
    expect(B.workflowId).not.toBe(A.workflowId);
    balanced(A);
    balanced(B);
    expect(B.scored).toBeLessThan(A.scored);
    // The last day of the 3-day window is the 1-day window: B re-scored posts A had, and said so.
    expect(B.merged).toHaveLength(1);
    expect(B.merged[0].runKey).toBe(A.workflowId);
    expect(B.merged[0].posts).toBeGreaterThan(0);
    expect(B.merged[0].posts).toBeLessThanOrEqual(B.scored);
  }, 600_000);
});

describe('different queries on a platform', () => {
  let server: http.Server;
  let base = '';
  const status = (tagName: string, i: number) => ({
    id: String(120000000000000000n + BigInt(crypto.randomInt(1e9)) * 100n + BigInt(i)),
    created_at: '2026-11-18T10:00:00.000Z',
    in_reply_to_id: null,
    language: 'en',
    url: `https://masto.example/@u${i}/${i}`,
    replies_count: 0,
    reblogs_count: 0,
    favourites_count: 0,
    content: `<p>Post ${i} about the #${tagName} today</p>`,
    reblog: null,
    account: { id: `${i}`, username: `u${i}`, acct: `u${i}`, followers_count: 1, created_at: '2022-01-01T00:00:00.000Z' },
    mentions: [],
    tags: [{ name: tagName }],
  });
  const timelines: Record<string, unknown[]> = { climate: [0, 1, 2].map((i) => status('climate', i)), weather: [0, 1].map((i) => status('weather', i)) };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const url = new URL(req.url!, base);
      const name = url.pathname.match(/^\/api\/v1\/timelines\/tag\/(\w+)$/)?.[1];
      // One page per tag and no Link header: the connector stops after it.
      const page = name && timelines[name] ? timelines[name] : [];
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(page));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('--query climate and --query weather on the same day are two runs, and both keep their posts', async () => {
    const env = { MASTODON_BASE_URL: base };
    const climate = await cliJson(['run', '--source', 'mastodon', '--query', 'climate', '--date', '2026-11-18'], env);
    const weather = await cliJson(['run', '--source', 'mastodon', '--query', 'weather', '--date', '2026-11-18'], env);
    expect(climate.workflowId).not.toBe(weather.workflowId);
    expect(climate).toMatchObject({ postsIn: 3, scored: 3 });
    expect(weather).toMatchObject({ postsIn: 2, scored: 2, merged: [] });
    expect((await carriedBy(climate.workflowId)).length).toBe(3);
    expect((await carriedBy(weather.workflowId)).length).toBe(2);
  }, 300_000);
});

describe('case 18 and other platform names: validated up front, one pattern with the schema', () => {
  it('--platform p2: the 3 posts are scored under platform p2', async () => {
    const run = await cliJson(['run', '--source', 'file', '--file', path.join(cases, '18-platform-with-digit', 'posts.csv'), '--platform', 'p2']);
    expect(run).toMatchObject({ postsIn: 3, scored: 3, quarantined: 0, tooManyQuarantined: false });
    const { rows } = await stack.db.query(`SELECT post_id, platform FROM post_scores WHERE post_id = ANY($1) ORDER BY post_id`, [['p2:q1', 'p2:q2', 'p2:q3']]);
    expect(rows).toEqual([
      { post_id: 'p2:q1', platform: 'p2' },
      { post_id: 'p2:q2', platform: 'p2' },
      { post_id: 'p2:q3', platform: 'p2' },
    ]);
  }, 180_000);

  it('--platform "My Platform" is refused before anything runs, with the allowed pattern', async () => {
    const r = await cli(['run', '--source', 'file', '--file', path.join(cases, '18-platform-with-digit', 'posts.csv'), '--platform', 'My Platform']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /--platform <name>.*"My Platform" is not allowed: use a lower-case letter followed by up to 31 lower-case letters, digits, "_" or "-" \(pattern \/\^\[a-z\]\[a-z0-9_-\]\{0,31\}\$\/\)/,
    );
  });

  it('--platform X is read as x (upper case lowered): the posts are stored as x:…', async () => {
    const file = path.join(tmp, `upper-${tag}.csv`);
    fs.writeFileSync(file, ['id,text,created_at', `${tag}-u1,Upper case platform name,2026-10-01T07:00:00Z`].join('\n') + '\n');
    const run = await cliJson(['run', '--source', 'file', '--file', file, '--platform', 'X']);
    expect(run).toMatchObject({ postsIn: 1, scored: 1, quarantined: 0 });
    const { rows } = await stack.db.query(`SELECT post_id, platform FROM post_scores WHERE run_key = $1`, [run.workflowId]);
    expect(rows).toEqual([{ post_id: `x:${tag}-u1`, platform: 'x' }]);
  }, 180_000);

  it('options that cannot work together or cannot be read are refused with what to fix', async () => {
    const noFile = await cli(['run', '--source', 'file']);
    expect(noFile.code).toBe(1);
    expect(noFile.stderr).toMatch(/--source file needs --file PATH/);
    const fileElsewhere = await cli(['run', '--source', 'simulated', '--file', 'x.csv']);
    expect(fileElsewhere.code).toBe(1);
    expect(fileElsewhere.stderr).toMatch(/--file, --map and --format are for --source file, not --source simulated/);
    const lang = await cli(['run', '--languages', 'english']);
    expect(lang.code).toBe(1);
    expect(lang.stderr).toMatch(/not a language code: "english"/);
    const share = await cli(['run', '--max-quarantined', '1.5']);
    expect(share.code).toBe(1);
    expect(share.stderr).toMatch(/expected a share between 0 and 1/);
  });
});

describe('a run where most rows are quarantined', () => {
  const file = path.join(tmp, `mostly-bad-${tag}.csv`);
  beforeAll(() => {
    // 3 of 4 rows lack text.
    fs.writeFileSync(
      file,
      [
        'id,text,created_at',
        `${tag}-m1,,2026-10-01T07:00:00Z`,
        `${tag}-m2,The only post with text,2026-10-01T08:00:00Z`,
        `${tag}-m3,,2026-10-01T09:00:00Z`,
        `${tag}-m4,   ,2026-10-01T10:00:00Z`,
      ].join('\n') + '\n',
    );
  });

  it('ends with a warning on stderr, exit status 3 and the flag in the JSON summary', async () => {
    const r = await cli(['run', '--source', 'file', '--file', file, '--json']);
    expect(r.code).toBe(3);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ postsIn: 4, scored: 1, quarantined: 3, quarantineShare: 0.75, tooManyQuarantined: true });
    expect(summary.warnings).toEqual([
      '3 of 4 posts (75%) were quarantined, more than the allowed 50%: see the reasons in the quarantine zone (datasets.quarantine)',
    ]);
    expect(r.stderr).toMatch(/warning: run pipeline-file-mostly-bad-[\w.-]+: 3 of 4 posts \(75%\) were quarantined, more than the allowed 50%/);
    // the first reasons, so the fix is clear without opening the quarantine zone (rows 2, 4 and 5 of the file)
    expect(r.stderr.split('\n').filter((l) => l.startsWith('  e.g. '))).toEqual([
      '  e.g. line 2: no text (column "text" is empty or missing)',
      '  e.g. line 4: no text (column "text" is empty or missing)',
      '  e.g. line 5: no text (column "text" is empty or missing)',
    ]);
  }, 180_000);

  it('the human-readable output warns the same way', async () => {
    const r = await cli(['run', '--source', 'file', '--file', file]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/quarantined\s+3 /);
    expect(r.stderr).toMatch(/3 of 4 posts \(75%\) were quarantined/);
  }, 180_000);

  it('--max-quarantined 0.8 allows it: exit 0, no warning, no flag', async () => {
    const r = await cli(['run', '--source', 'file', '--file', file, '--json', '--max-quarantined', '0.8']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ quarantined: 3, tooManyQuarantined: false, warnings: [] });
    expect(r.stderr).not.toMatch(/were quarantined/);
  }, 180_000);
});

describe('an export whose ids a spreadsheet cut to scientific notation', () => {
  it('keeps every post, under ids made from the file, and says why on stderr and in the JSON warnings', async () => {
    const file = path.join(tmp, `excel-ids-${tag}.csv`);
    fs.writeFileSync(
      file,
      [
        'id,author_id,created_at,text',
        `1.86253E+18,${tag}ann,2026-10-02T09:00:00Z,first tweet about the late trains again`,
        `1.86253E+18,${tag}bob,2026-10-02T10:00:00Z,second one is about the weather in town`,
        `1.86253E+18,${tag}cat,2026-10-02T11:00:00Z,third talks about lunch plans with friends`,
      ].join('\n') + '\n',
    );
    const r = await cli(['run', '--source', 'file', '--file', file, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    // before: postsIn 3, scored 1, duplicates 2: two real posts gone, and the counts still balanced
    expect(summary).toMatchObject({ postsIn: 3, scored: 3, filtered: 0, quarantined: 0, read: { idsLostDigits: 'id' } });
    expect(summary.counts.duplicates).toBe(0);
    const warning =
      'the id column "id" holds numbers in scientific notation (e.g. 1.86253E+18: a spreadsheet cut their digits), so its ids cannot tell posts apart; the posts got ids made from the file and line instead. Save the id column as text to keep the platform\'s ids';
    expect(summary.warnings).toEqual([warning]);
    expect(r.stderr).toContain(`warning: run ${summary.runKey}: ${warning}`);
  }, 180_000);
});
