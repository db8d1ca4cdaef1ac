import type { Command } from 'commander';
import type { Db } from '../../lib/db';
import { fmtInt, fmtNum, fmtPct, fmtSigned, fmtTime, fmtWindow, humanizeKey, termLabel } from '../report/format';
import { RETRAIN_HINT } from '../report/nextSteps';
import { recommendationsFor, whyNoRecommendations } from '../report/queries/recommendations';
import { findRun, type RunInfo } from '../report/queries/runs';
import { SEGMENT_TRAITS, userSegments } from '../report/queries/segments';
import { sentimentByDay, sentimentTotals } from '../report/queries/sentiment';
import { topicModelFor, topicSummary } from '../report/queries/topics';
import { trends, type TermKind, type TermSummary } from '../report/queries/trends';
import { limitOption } from '../options';
import { connectReadSide, readSideHelp } from '../../lib/stack';
import { jsonLine, printLine, terminalSafe } from '../terminalText';

/**
 * `socialsense insights …`: the report's numbers in the terminal, as aligned tables, or as one JSON
 * object with --json (nothing else on stdout). Each `*Insights` function returns exactly what --json
 * prints, so scripts and tests can call them in-process.
 */

// ---------------------------------------------------------------------------------------------
// Data (what --json prints)

const runHeader = (run: RunInfo) => ({ runKey: run.runKey, from: run.from, to: run.to });

export async function trendsInsights(db: Db, opts: { runKey?: string; limit?: number; kinds?: TermKind[] } = {}) {
  const run = await findRun(db, opts.runKey);
  const t = await trends(db, run, { limit: opts.limit ?? 10, kinds: opts.kinds });
  return { ...runHeader(run), source: t.source, top: t.top, emerging: t.emerging, series: t.series };
}

export async function sentimentInsights(db: Db, opts: { runKey?: string; limit?: number } = {}) {
  const run = await findRun(db, opts.runKey);
  const topicModel = await topicModelFor(db, run);
  const [days, topics] = await Promise.all([sentimentByDay(db, run.runKey, topicModel), topicSummary(db, run.runKey, topicModel)]);
  return {
    ...runHeader(run),
    posts: run.posts,
    topicModel,
    byTopic: topics
      .slice(0, opts.limit ?? topics.length)
      .map(({ topic, name, posts, share, meanSentiment, positive, negative }) => ({ topic, name, posts, share, meanSentiment, positive, negative })),
    byDay: sentimentTotals(days).map(({ topic: _t, topicName: _n, ...d }) => d),
    byDayAndTopic: days,
  };
}

export async function topicsInsights(db: Db, opts: { runKey?: string; limit?: number } = {}) {
  const run = await findRun(db, opts.runKey);
  const topicModel = await topicModelFor(db, run);
  const topics = await topicSummary(db, run.runKey, topicModel);
  return { ...runHeader(run), topicModel, topics: topics.slice(0, opts.limit ?? topics.length) };
}

export async function segmentsInsights(db: Db, opts: { runKey?: string } = {}) {
  const run = await findRun(db, opts.runKey);
  const segments = await userSegments(db, run.runKey, await topicModelFor(db, run));
  return { ...runHeader(run), ...segments };
}

export class UnknownUserError extends Error {
  override name = 'UnknownUserError';
}

export async function recommendInsights(db: Db, opts: { user: string; limit?: number }) {
  const found = await recommendationsFor(db, opts.user, opts.limit ?? 10);
  if (!found) throw new UnknownUserError(await whyNoRecommendations(db, opts.user));
  return found;
}

// ---------------------------------------------------------------------------------------------
// Terminal tables

type Align = 'left' | 'right';
const width = (s: string) => [...s].length;

/**
 * Columns padded to their widest cell; numbers right-aligned. Every cell and header goes through
 * `terminalSafe` (cells hold handles, names and terms from posts: no escape sequence, no line break).
 */
export function formatTable(columns: Array<{ header: string; align?: Align }>, cells: string[][]): string {
  columns = columns.map((c) => ({ ...c, header: terminalSafe(c.header) }));
  const rows = cells.map((r) => r.map((c) => terminalSafe(c)));
  const widths = columns.map((c, i) => Math.max(width(c.header), ...rows.map((r) => width(r[i] ?? ''))));
  const pad = (s: string, i: number) => (columns[i].align === 'right' ? ' '.repeat(widths[i] - width(s)) + s : s + ' '.repeat(widths[i] - width(s)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => pad(c, i))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header.toUpperCase())), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n');
}

const title = (text: string, run: { runKey: string; from: string | null; to: string | null }) =>
  `${text} · run ${terminalSafe(run.runKey)} · ${fmtWindow(run.from, run.to)}`;
const noData = (why: string) => `no data yet: ${why}`;

export function formatTrends(r: Awaited<ReturnType<typeof trendsInsights>>): string {
  const out = [title('Trends', r)];
  if (r.top.length === 0)
    return [...out, noData(`hashtag volumes appear once the run has scored posts with hashtags, forecasts once the trend model has run: ${RETRAIN_HINT}`)].join(
      '\n\n',
    );
  if (r.source === 'post_scores') out.push(`(counted from the run’s posts; trend flags and forecasts appear once the trend model has run: ${RETRAIN_HINT})`);
  else out.push(`(counted over every post of these days from this source, all its runs and files; insights topics and sentiment count the run’s own posts)`);
  const range = (t: TermSummary) => (t.forecastLow === null || t.forecastHigh === null ? '–' : `${fmtInt(t.forecastLow)}–${fmtInt(t.forecastHigh)}`);
  out.push(
    `Top\n${formatTable(
      [
        { header: 'term' },
        { header: 'kind' },
        { header: 'posts', align: 'right' },
        { header: 'last day', align: 'right' },
        { header: 'tomorrow', align: 'right' },
        { header: 'range', align: 'right' },
        { header: 'status' },
      ],
      r.top.map((t) => [
        termLabel(t.term, t.kind),
        t.kind,
        fmtInt(t.total),
        fmtInt(t.lastVolume),
        fmtInt(t.forecast),
        range(t),
        t.trending ? 'trending' : r.source === 'term_trends' ? 'steady' : '–',
      ]),
    )}`,
  );
  out.push(
    r.emerging.length
      ? `Emerging (flagged as trending)\n${formatTable(
          [
            { header: 'term' },
            { header: 'last day', align: 'right' },
            { header: 'score', align: 'right' },
            { header: 'days flagged', align: 'right' },
            { header: 'tomorrow', align: 'right' },
            { header: 'range', align: 'right' },
          ],
          r.emerging.map((t) => [termLabel(t.term, t.kind), fmtInt(t.lastVolume), fmtNum(t.score, 1), String(t.flaggedDays), fmtInt(t.forecast), range(t)]),
        )}`
      : `Emerging\n${r.source === 'term_trends' ? 'nothing grew unusually fast in this period' : noData(`emerging terms appear once the trend model has flagged some: ${RETRAIN_HINT}`)}`,
  );
  return out.join('\n\n');
}

export function formatSentiment(r: Awaited<ReturnType<typeof sentimentInsights>>): string {
  const out = [title('Sentiment', r)];
  if (r.byDay.length === 0) return [...out, noData('sentiment appears once the run has scored posts')].join('\n\n');
  const share = (n: number, of: number) => fmtPct(of ? n / of : null);
  out.push(
    `By topic\n${formatTable(
      [
        { header: 'topic' },
        { header: 'posts', align: 'right' },
        { header: 'share', align: 'right' },
        { header: 'avg mood', align: 'right' },
        { header: 'positive', align: 'right' },
        { header: 'negative', align: 'right' },
      ],
      r.byTopic.map((t) => [t.name, fmtInt(t.posts), fmtPct(t.share), fmtSigned(t.meanSentiment), share(t.positive, t.posts), share(t.negative, t.posts)]),
    )}`,
  );
  out.push(
    `By day\n${formatTable(
      // "not scored": posts in a language without a sentiment model; a column only when there are any
      [
        { header: 'day' },
        { header: 'posts', align: 'right' },
        { header: 'avg mood', align: 'right' },
        { header: 'positive', align: 'right' },
        { header: 'neutral', align: 'right' },
        { header: 'negative', align: 'right' },
        ...(r.byDay.some((d) => d.notScored > 0) ? [{ header: 'not scored', align: 'right' as const }] : []),
      ],
      r.byDay.map((d) => [
        d.day,
        fmtInt(d.posts),
        fmtSigned(d.meanSentiment),
        share(d.positive, d.posts),
        share(d.neutral, d.posts),
        share(d.negative, d.posts),
        ...(r.byDay.some((x) => x.notScored > 0) ? [share(d.notScored, d.posts)] : []),
      ]),
    )}`,
  );
  return out.join('\n\n');
}

export function formatTopics(r: Awaited<ReturnType<typeof topicsInsights>>): string {
  const described = r.topics.filter((t) => t.topic !== null);
  const out = [title('Topics', r)];
  if (described.length === 0) return [...out, noData(`topics appear once a topic model has assigned the run’s posts to topics: ${RETRAIN_HINT}`)].join('\n\n');
  out.push(`topic model version ${r.topicModel.version ?? '–'} (${r.topicModel.basis})`);
  out.push(
    formatTable(
      [
        { header: '#', align: 'right' },
        { header: 'posts', align: 'right' },
        { header: 'share', align: 'right' },
        { header: 'avg mood', align: 'right' },
        { header: 'top terms' },
      ],
      described.map((t) => [
        String(t.topic),
        fmtInt(t.posts),
        fmtPct(t.share),
        fmtSigned(t.meanSentiment),
        (t.terms ?? []).slice(0, 8).join(', ') || t.label || '–',
      ]),
    ),
  );
  return out.join('\n\n');
}

export function formatSegments(r: Awaited<ReturnType<typeof segmentsInsights>>): string {
  const out = [title('Audience segments', r)];
  if (r.segments.length === 0) return [...out, noData(`segments appear once user profiles have been segmented: ${RETRAIN_HINT}`)].join('\n\n');
  out.push(
    r.scope === 'run'
      ? `${fmtInt(r.users)} people active in this run, profiles as of ${fmtTime(r.updatedAt)}`
      : `the latest profiles of ${fmtInt(r.users)} of the run’s authors (as of ${fmtTime(r.updatedAt)})`,
  );
  const traits = SEGMENT_TRAITS.filter((t) => r.segments.some((s) => Number.isFinite(s.traits[t.key])));
  const value = (v: number | undefined, t: (typeof SEGMENT_TRAITS)[number]) => (v === undefined ? '–' : t.percent ? fmtPct(v, t.digits) : fmtNum(v, t.digits));
  out.push(
    formatTable(
      [
        { header: 'segment' },
        { header: 'people', align: 'right' },
        { header: 'share', align: 'right' },
        ...traits.map((t) => ({ header: t.short, align: 'right' as Align })),
        { header: 'talks about' },
      ],
      r.segments.map((s) => [
        s.name,
        fmtInt(s.users),
        fmtPct(s.share),
        ...traits.map((t) => value(s.traits[t.key], t)),
        s.topTopics.map((t) => t.name).join('; ') || '–',
      ]),
    ),
  );
  const others = [...new Set(r.segments.flatMap((s) => Object.keys(s.traits)))].filter((k) => !SEGMENT_TRAITS.some((t) => t.key === k));
  if (others.length) out.push(`other profile averages (--json): ${others.map((k) => terminalSafe(humanizeKey(k))).join(', ')}`);
  return out.join('\n\n');
}

export function formatRecommendations(r: Awaited<ReturnType<typeof recommendInsights>>): string {
  const who = terminalSafe(r.handle ? `@${r.handle.replace(/^@/, '')} (${r.userId})` : r.userId);
  const facts = [
    r.segmentName ? `segment ${terminalSafe(r.segmentName)}` : null,
    r.engagementProbability !== null ? `engagement probability ${fmtPct(r.engagementProbability)}` : null,
    `updated ${fmtTime(r.updatedAt)} by ${terminalSafe(r.runKey)}`,
  ];
  const head = `Recommendations for ${who}\n${facts.filter(Boolean).join(' · ')}`;
  if (r.recommendations.length === 0) return `${head}\n\n${noData('this user has no recommendations yet')}`;
  return `${head}\n\n${formatTable(
    [{ header: '#', align: 'right' }, { header: 'item' }, { header: 'kind' }, { header: 'score', align: 'right' }],
    r.recommendations.map((x, i) => [String(i + 1), x.item, x.kind, fmtNum(x.score, 3)]),
  )}`;
}

// ---------------------------------------------------------------------------------------------
// Commands

/** JSON stays JSON (escaped, never stripped: scripts get the data as stored); text is made terminal-safe. */
function emit(json: boolean, data: unknown, text: () => string): void {
  if (json) process.stdout.write(jsonLine(data));
  else printLine(text());
}

/** Runs `fn` against the database; a missing run/user becomes the one-line error and exit code 2 that cli/main prints. */
const withDb =
  <O>(fn: (db: Db, opts: O) => Promise<void>) =>
  async (opts: O) => {
    const side = await connectReadSide();
    try {
      await fn(side.db, opts);
    } finally {
      await side.close();
    }
  };

const KINDS = ['hashtag', 'term', 'topic'];

export function registerInsights(program: Command): void {
  const insights = program
    .command('insights')
    .description('the report’s numbers in the terminal: trends, sentiment, topics, audience segments, recommendations (tables, or --json)');
  const common = (cmd: Command) =>
    cmd.option('--run <runKey>', 'the run (default: the latest completed run)').option('--json', 'print one JSON object and nothing else');

  common(insights.command('trends').description('top and emerging hashtags/terms with their next-day forecast bands'))
    .option('--limit <n>', 'rows per table', limitOption, 10)
    .option('--kind <kinds>', `only these kinds, comma-separated (${KINDS.join(', ')})`)
    .action(
      withDb(async (db, opts: { run?: string; json?: boolean; limit: number; kind?: string }) => {
        const kinds = opts.kind ? opts.kind.split(',').map((k) => k.trim()) : undefined;
        const bad = kinds?.filter((k) => !KINDS.includes(k)) ?? [];
        if (bad.length) throw new Error(`--kind: unknown kind ${bad.map((k) => `"${k}"`).join(', ')}; use ${KINDS.join(', ')}`);
        const r = await trendsInsights(db, { runKey: opts.run, limit: opts.limit, kinds: kinds as TermKind[] | undefined });
        emit(Boolean(opts.json), r, () => formatTrends(r));
      }),
    );

  common(insights.command('sentiment').description('sentiment per topic and per day'))
    .option('--limit <n>', 'topics to list', limitOption)
    .action(
      withDb(async (db, opts: { run?: string; json?: boolean; limit?: number }) => {
        const r = await sentimentInsights(db, { runKey: opts.run, limit: opts.limit });
        emit(Boolean(opts.json), r, () => formatSentiment(r));
      }),
    );

  common(insights.command('topics').description('topics with their top terms, size and mood'))
    .option('--limit <n>', 'topics to list', limitOption)
    .action(
      withDb(async (db, opts: { run?: string; json?: boolean; limit?: number }) => {
        const r = await topicsInsights(db, { runKey: opts.run, limit: opts.limit });
        emit(Boolean(opts.json), r, () => formatTopics(r));
      }),
    );

  common(insights.command('segments').description('audience segments with their size and average traits'))
    .option('--limit <n>', 'segments to list', limitOption)
    .action(
      withDb(async (db, opts: { run?: string; json?: boolean; limit?: number }) => {
        const r = await segmentsInsights(db, { runKey: opts.run });
        if (opts.limit !== undefined) r.segments = r.segments.slice(0, opts.limit);
        emit(Boolean(opts.json), r, () => formatSegments(r));
      }),
    );

  insights
    .command('recommend')
    .description('what to recommend to one person (their latest recommendations, best first)')
    .requiredOption('--user <id>', 'user id (platform:native_id) or handle')
    .option('--limit <n>', 'recommendations to list', limitOption, 10)
    .option('--json', 'print one JSON object and nothing else')
    .action(
      withDb(async (db, opts: { user: string; json?: boolean; limit: number }) => {
        const r = await recommendInsights(db, { user: opts.user, limit: opts.limit });
        emit(Boolean(opts.json), r, () => formatRecommendations(r));
      }),
    );
  for (const cmd of [insights, ...insights.commands]) cmd.addHelpText('after', readSideHelp);
}
