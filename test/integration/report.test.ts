import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../../lib/stack';
import { formatTrends, recommendInsights, segmentsInsights, sentimentInsights, topicsInsights, trendsInsights } from '../../cli/commands/insights';
import { buildReport, reportChartSpecs, reportKey, type Report } from '../../cli/report/build';
import { renderSvg } from '../../cli/report/charts';
import { fmtInt } from '../../cli/report/format';
import { findRun } from '../../cli/report/queries/runs';
import { runCli } from '../helpers/cli';
import { insertReportFixture, type ReportFixture } from '../helpers/reportFixture';
import { requireStack } from '../helpers/stack';

let stack: Stack;
let fx: ReportFixture;
/** the fixture run's report, built once */
let full: Report;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'socialsense-report-'));

beforeAll(async () => {
  stack = await requireStack();
  fx = await insertReportFixture(stack.db);
  full = await buildReport(stack.db, { runKey: fx.runKey });
});

afterAll(async () => {
  await fx?.cleanup();
  await stack?.store.remove([reportKey(fx.runKey)]).catch(() => undefined);
  await stack?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** The HTML of one <section id="…">, to check what a section says. */
const sectionHtml = (html: string, id: string) => html.match(new RegExp(`<section id="${id}"[\\s\\S]*?</section>`))?.[0] ?? '';
const count = (html: string, needle: string) => html.split(needle).length - 1;

describe('report', () => {
  it('renders every section of a fully populated run: one <svg> per chart, with the run’s numbers', async () => {
    const report = full;
    const { html, sections, data } = report;
    expect(report.runKey).toBe(fx.runKey);
    expect(sections.map((s) => [s.id, s.empty])).toEqual([
      ['sentiment', false],
      ['trends', false],
      ['topics', false],
      ['segments', false],
      ['recommendations', false],
      ['about', false],
    ]);
    const charts = sections.flatMap((s) => s.charts);
    expect(charts).toEqual(['sentiment-trend', 'sentiment-mix', 'top-terms', 'term-forecasts', 'topic-sizes', 'segment-sizes', 'segment-traits']);
    expect(count(html, '<svg')).toBe(charts.length);
    for (const id of charts) expect(html, id).toMatch(new RegExp(`data-chart="${id}"><svg[^>]*>[\\s\\S]*?role-mark`));
    expect(html).not.toMatch(/no data yet/i);

    // sentiment: posts and mean per day, as the fixture wrote them
    expect(Object.fromEntries(data.sentimentTotals.map((d) => [d.day, d.posts]))).toEqual(fx.expected.postsPerDay);
    for (const d of data.sentimentTotals) expect(d.meanSentiment).toBeCloseTo(fx.expected.meanPerDay[d.day], 4);
    expect(new Set(data.sentiment.map((d) => d.topicName))).toEqual(
      new Set(['0: match · goal · league', '1: album · tour · song', '2: price · market · stocks']),
    );
    const sentiment = sectionHtml(html, 'sentiment');
    for (const n of Object.values(fx.expected.postsPerDay)) expect(sentiment).toContain(`>${fmtInt(n)}<`);
    expect(html).toContain(fmtInt(fx.expected.posts));

    // trends: the biggest term, the strongest emerging one, and tomorrow's band
    expect(data.trends.source).toBe('term_trends');
    expect(data.trends.top[0]).toMatchObject({ term: fx.expected.topTerm, total: fx.expected.topTermTotal });
    expect(data.trends.emerging[0].term).toBe(fx.expected.emergingFirst);
    expect(data.trends.top.every((t) => t.forecast !== null && t.forecastLow! <= t.forecast! && t.forecast! <= t.forecastHigh!)).toBe(true);
    expect(sectionHtml(html, 'trends')).toContain(`#${fx.expected.topTerm}</td><td class="num">${fmtInt(fx.expected.topTermTotal)}<`);

    // topics with their terms, segments with their traits, recommendations
    expect(data.topicModel).toEqual({ version: fx.topicVersion, basis: 'run' });
    expect(sectionHtml(html, 'topics')).toContain('<span class="chip"');
    expect(Object.fromEntries(data.segments.segments.map((s) => [s.name, s.users]))).toEqual(fx.expected.segmentUsers);
    const influencers = data.segments.segments.find((s) => s.name === 'influencers')!;
    expect(influencers.traits.postsPerDay).toBeCloseTo(fx.expected.influencerPostsPerDay, 6);
    expect(influencers.traitZ.engagementReceivedPerPost).toBeGreaterThan(1);
    expect(influencers.topTopics[0].name).toBe('0: match · goal · league');
    expect(sectionHtml(html, 'segments')).toContain('>6.00<'); // influencers' posts/day in the heatmap
    expect(data.examples[0].userId).toBe(fx.expected.exampleUser);
    expect(data.examples[0].recommendations[0].item).toBe(fx.expected.exampleFirstItem);
    expect(new Set(data.examples.map((u) => u.segmentName))).toEqual(new Set(Object.keys(fx.expected.segmentUsers)));

    // about: lineage with inputs, and the model versions the run trained
    expect(data.lineage).toHaveLength(fx.expected.datasets);
    expect(data.lineage.map((d) => d.stage)).toEqual(['raw', 'raw', 'posts', 'clean', 'features']);
    expect(data.lineage.find((d) => d.stage === 'features')!.inputs).toEqual([data.lineage.find((d) => d.stage === 'clean')!.uri]);
    expect(data.models.filter((m) => m.trainedByRun).map((m) => [m.name, m.status])).toEqual([
      ['recommender', 'rejected'],
      ['sentiment', 'candidate'],
      ['topics', 'candidate'],
    ]);
    const about = sectionHtml(html, 'about');
    expect(about).toContain('0.742');
    expect(about).toContain('(was 0.701)');
  });

  it('is self-contained and escapes what people wrote', async () => {
    const { html, data } = full;
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none'/);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\ssrc=|url\((?!#)|@import|href="(?!#)/i);
    // several inline SVGs in one page: every id is defined once, and every reference finds its own chart's
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
    for (const [, ref] of html.matchAll(/url\(#([^)]+)\)/g)) expect(ids).toContain(ref);
    // a handle with markup in it is shown as text
    expect(data.examples.some((u) => u.handle?.includes('<i>'))).toBe(true);
    expect(html).not.toContain('<i>typical');
    expect(html).toContain('&lt;i&gt;typical');
  });

  it('renders its charts without Vega-Lite warnings', async () => {
    for (const [id, spec] of Object.entries(reportChartSpecs(full.data))) {
      const warnings: string[] = [];
      await renderSvg(spec!, warnings);
      expect(warnings, id).toEqual([]);
    }
  });

  it('says "No data yet" for what a run does not have, rather than failing', async () => {
    const { html, sections, data } = await buildReport(stack.db, { runKey: fx.emptyRunKey });
    const byId = Object.fromEntries(sections.map((s) => [s.id, s]));
    expect(byId.sentiment.empty).toBe(false); // the two scored posts
    expect(data.run.posts).toBe(2);
    for (const id of ['trends', 'topics']) {
      expect(byId[id].empty, id).toBe(true);
      expect(byId[id].charts).toEqual([]);
      expect(sectionHtml(html, id)).toMatch(/No data yet\./);
      // and what fills it
      expect(sectionHtml(html, id)).toContain(
        ': run <code>socialsense retrain</code> (<code>--source file --date D --days N</code> for imported files; or let the nightly Schedule do it: <code>socialsense schedule apply</code>).',
      );
    }
    // users are not per run: with none of its own the run shows everyone's latest profiles, or says there are none
    // its only author ('x') has no insights: no segments, rather than everyone else's
    expect(data.segments).toMatchObject({ scope: 'none', users: 0, segments: [] });
    expect(byId.segments.empty).toBe(true);
    expect(sectionHtml(html, 'about')).toMatch(/Lineage[\s\S]*No data yet\./);
    expect(count(html, '<svg')).toBe(sections.reduce((n, s) => n + s.charts.length, 0));
  });

  it('a file run on the days of simulated insights shows its own authors and hashtags, not the simulated ones', async () => {
    // A pipeline run (it writes no user_insights itself) of a file, on a day the fixture's simulated trends cover,
    // with two authors: one the fixture profiled, one nobody did.
    const runKey = `${fx.runKey}-authors`;
    await stack.db.query(
      `INSERT INTO runs (run_key, workflow_id, kind, status, input, started_at, finished_at)
       VALUES ($1, $1, 'pipeline', 'completed', '{"source":"file"}', '2021-03-15T02:00:00Z', '2021-03-15T02:01:00Z')`,
      [runKey],
    );
    try {
      await stack.db.query(
        `INSERT INTO post_scores (post_id, run_key, partition, platform, author_id, created_at, text, hashtags, sentiment_compound, sentiment_label, sentiment_model)
         VALUES ($1 || ':1', $1, 'file/2021-03-14', 'x', $2, '2021-03-14T10:00:00Z', 'ok #mine', '{mine}', 0.2, 'positive', 'lexicon.v1'),
                ($1 || ':2', $1, 'file/2021-03-14', 'x', $1 || ':stranger', '2021-03-14T11:00:00Z', 'meh #mine', '{mine}', -0.2, 'negative', 'lexicon.v1')`,
        [runKey, fx.expected.exampleUser],
      );
      await stack.db.query(`INSERT INTO post_score_runs (run_key, post_id, partition) SELECT run_key, post_id, partition FROM post_scores WHERE run_key = $1`, [
        runKey,
      ]);
      const segments = await segmentsInsights(stack.db, { runKey });
      expect(segments).toMatchObject({ scope: 'latest', users: 1 });
      expect(segments.segments.map((s) => [s.name, s.users])).toEqual([['influencers', 1]]);
      const { html } = await buildReport(stack.db, { runKey });
      expect(sectionHtml(html, 'segments')).toContain('The latest profiles of 1 of this run’s authors');
      // the fixture's simulated term_trends cover 2021-03-14, but they are another source's: the run's own hashtags
      const t = await trendsInsights(stack.db, { runKey });
      expect(t.source).toBe('post_scores');
      expect(t.top.map((x) => [x.term, x.total])).toEqual([['mine', 2]]);
      // the simulated run itself still reads the trend model's rows
      expect((await trendsInsights(stack.db, { runKey: fx.runKey })).source).toBe('term_trends');
    } finally {
      await stack.db.query(`DELETE FROM post_score_runs WHERE run_key = $1`, [runKey]);
      await stack.db.query(`DELETE FROM post_scores WHERE run_key = $1`, [runKey]);
      await stack.db.query(`DELETE FROM runs WHERE run_key = $1`, [runKey]);
    }
  });

  it('names the recent runs when the run does not exist', async () => {
    await expect(buildReport(stack.db, { runKey: 'no-such-run' })).rejects.toThrow(
      /^run "no-such-run" does not exist; recent runs: \S+ \((completed|failed|running), \d{4}-\d\d-\d\d\)/,
    );
  });

  it('reports on the latest completed run that scored posts when no run is named', async () => {
    const { rows } = await stack.db.query(
      `SELECT run_key FROM runs r WHERE status = 'completed' AND EXISTS (SELECT 1 FROM post_scores p WHERE p.run_key = r.run_key)
       ORDER BY finished_at DESC NULLS LAST, started_at DESC LIMIT 1`,
    );
    expect((await findRun(stack.db)).runKey).toBe(rows[0].run_key);
  });
});

describe('insights', () => {
  it('return the run’s trends, sentiment, topics, segments and a user’s recommendations', async () => {
    const trends = await trendsInsights(stack.db, { runKey: fx.runKey, limit: 3 });
    expect(trends.top).toHaveLength(3);
    expect(trends.top[0]).toMatchObject({ term: fx.expected.topTerm, total: fx.expected.topTermTotal, trending: true });
    expect(trends.emerging[0].term).toBe(fx.expected.emergingFirst);
    expect(trends.series.some((d) => d.term === fx.expected.topTerm && d.day === '2021-02-15')).toBe(true); // four weeks of context

    const sentiment = await sentimentInsights(stack.db, { runKey: fx.runKey });
    expect(Object.fromEntries(sentiment.byDay.map((d) => [d.day, d.posts]))).toEqual(fx.expected.postsPerDay);
    expect(sentiment.byTopic.map((t) => t.topic)).toEqual([2, 1, 0]); // biggest first
    expect(sentiment.byTopic.reduce((n, t) => n + t.posts, 0)).toBe(fx.expected.posts);

    const topics = await topicsInsights(stack.db, { runKey: fx.runKey, limit: 2 });
    expect(topics.topics.map((t) => t.terms?.[0])).toEqual(['price', 'album']);

    const segments = await segmentsInsights(stack.db, { runKey: fx.runKey });
    expect(segments.scope).toBe('run');
    expect(segments.users).toBe(21);
    expect(segments.segments.map((s) => s.name)).toEqual(['typical users', 'influencers', 'likely bots']);
    expect(segments.segments[2].traits.botLikeness).toBeCloseTo(0.86, 5);

    const recs = await recommendInsights(stack.db, { user: fx.expected.exampleUser, limit: 2 });
    expect(recs.recommendations.map((r) => r.kind)).toEqual(['hashtag', 'account']);
    expect(recs.recommendations[0]).toMatchObject({ item: fx.expected.exampleFirstItem });
    await expect(recommendInsights(stack.db, { user: `${fx.runKey}:nobody` })).rejects.toThrow(
      `no user with id "${fx.runKey}:nobody" has been profiled by a run, and no user with insights has that handle`,
    );
  });

  it("count posts another topic model labelled apart, not under the named model's topic ids (a retrain rescored them)", async () => {
    const own = `topics.v${fx.topicVersion}`;
    const other = `topics.v${fx.topicVersion + 1}`;
    const before = await topicsInsights(stack.db, { runKey: fx.runKey });
    const ids = (
      await stack.db.query<{ post_id: string }>(`SELECT post_id FROM post_scores WHERE run_key = $1 AND topic = 2 ORDER BY post_id LIMIT 3`, [fx.runKey])
    ).rows.map((r) => r.post_id);
    expect(ids).toHaveLength(3);
    await stack.db.query(`UPDATE post_scores SET topic_model = $2 WHERE run_key = $1`, [fx.runKey, own]);
    // three posts a later retrain rescored with another topic model: their ids are that model's (here 1)
    await stack.db.query(`UPDATE post_scores SET topic_model = $2, topic = 1 WHERE post_id = ANY($1)`, [ids, other]);
    try {
      const after = await topicsInsights(stack.db, { runKey: fx.runKey });
      expect(after.topicModel).toEqual({ version: fx.topicVersion, basis: 'posts' });
      const posts = (r: typeof after) => Object.fromEntries(r.topics.map((t) => [t.otherModel ?? t.topic, t.posts]));
      const was = posts(before);
      // topic 2 lost the three, topic 1 did not gain them: they are a row of their own, named after their model
      expect(posts(after)).toEqual({ ...was, 2: was[2] - 3, [other]: 3 });
      expect(after.topics.at(-1)).toMatchObject({ topic: null, otherModel: other, name: `labelled by another topic model (${other})`, posts: 3 });
      expect(after.topics.at(-1)!.terms).toBeUndefined();
      const sentiment = await sentimentInsights(stack.db, { runKey: fx.runKey });
      expect(sentiment.byTopic.reduce((n, t) => n + t.posts, 0)).toBe(fx.expected.posts);
      const otherDays = sentiment.byDayAndTopic.filter((d) => d.topicName === `labelled by another topic model (${other})`);
      expect(otherDays.reduce((n, d) => n + d.posts, 0)).toBe(3);
    } finally {
      await stack.db.query(`UPDATE post_scores SET topic = 2 WHERE post_id = ANY($1)`, [ids]);
      await stack.db.query(`UPDATE post_scores SET topic_model = NULL WHERE run_key = $1`, [fx.runKey]);
    }
  });

  it('print as aligned tables', async () => {
    const text = formatTrends(await trendsInsights(stack.db, { runKey: fx.runKey, limit: 2 }));
    // the trend model's counts cover the window's days from every run of the source: said beside the table
    expect(text).toContain('(counted over every post of these days from this source, all its runs and files;');
    const lines = text.split('\n');
    const header = lines.findIndex((l) => /^TERM\s+KIND\s+POSTS\s+LAST DAY\s+TOMORROW\s+RANGE\s+STATUS$/.test(l));
    expect(header, text).toBeGreaterThan(0);
    expect(lines[header + 2]).toMatch(new RegExp(`^#${fx.expected.topTerm}\\s+hashtag\\s+${fmtInt(fx.expected.topTermTotal)}\\s.*trending$`));
    // right-aligned numbers end in the same column as their header
    expect(lines[header + 2].indexOf(fmtInt(fx.expected.topTermTotal)) + fmtInt(fx.expected.topTermTotal).length).toBe(
      lines[header].indexOf('POSTS') + 'POSTS'.length,
    );
    expect(text).toMatch(/Emerging \(flagged as trending\)/);
  });
});

describe('CLI', () => {
  it('socialsense report writes the file and stores the same page beside the run', async () => {
    const out = path.join(tmp, 'nested', 'report.html');
    const result = await runCli(['report', '--run', fx.runKey, '--out', out]);
    expect(result.code, result.stderr).toBe(0);
    const key = reportKey(fx.runKey);
    expect(result.stdout).toContain(`file:   ${out}`);
    expect(result.stdout).toContain(`stored: ${stack.store.uri(key)}`);
    const file = fs.readFileSync(out, 'utf8');
    expect(count(file, '<svg')).toBe(7);
    expect(await stack.store.exists(key)).toBe(true);
    expect((await stack.store.get(key)).toString('utf8')).toBe(file);
  });

  it('socialsense insights prints exactly one JSON object with --json, and a one-line error for an unknown user', async () => {
    const [json, unknown] = await Promise.all([
      runCli(['insights', 'segments', '--run', fx.runKey, '--json']),
      runCli(['insights', 'recommend', '--user', `${fx.runKey}:nobody`, '--json']),
    ]);

    expect(json.code, json.stderr).toBe(0);
    const parsed = JSON.parse(json.stdout);
    expect(parsed.runKey).toBe(fx.runKey);
    expect(parsed.segments.map((s: { users: number }) => s.users)).toEqual([14, 4, 3]);

    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr.trim()).toMatch(/^error: no user with id ".*:nobody" has been profiled by a run, and no user with insights has that handle: /);
  });
});
