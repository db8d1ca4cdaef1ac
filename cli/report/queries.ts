import { datasetFields, type DatasetRow } from '../../lib/catalog';
import type { Db } from '../../lib/db';
import { servingOrTrainedBy, type ModelVersion } from '../../lib/registry';

/**
 * The read side for people: plain SQL over the catalog and insight tables (db/migrations 001, 002).
 * Everything here is read-only and returns plain JSON-able objects, so the HTML report, the
 * `insights` terminal tables and `--json` all show the same numbers from the same functions.
 */

// ---------------------------------------------------------------------------------------------
// Runs

export interface RunInfo {
  runKey: string;
  kind: string;
  status: string;
  startedAt: string;
  finishedAt: string | null;
  input: Record<string, unknown>;
  summary: Record<string, unknown> | null;
  /** first and last UTC day of the run's posts (from its scores, else from its input); null when unknown */
  from: string | null;
  to: string | null;
  /** posts of this run in post_scores */
  posts: number;
}

export class RunNotFoundError extends Error {
  override name = 'RunNotFoundError';
}

interface RunRow {
  run_key: string;
  kind: string;
  status: string;
  started_at: Date;
  finished_at: Date | null;
  input: Record<string, unknown> | null;
  summary: Record<string, unknown> | null;
}

/**
 * The posts a run scored, with their current scores: post_score_runs keeps every run that scored a post
 * (post_scores.run_key only names the last one), so a report on an earlier run keeps the rows a later
 * run merged. Binds the run key as $1.
 */
const RUN_POSTS = '(SELECT p.* FROM post_score_runs r JOIN post_scores p USING (post_id) WHERE r.run_key = $1)';

const RUN_COLUMNS = 'run_key, kind, status, started_at, finished_at, input, summary';

export async function recentRuns(db: Db, limit = 5): Promise<Array<{ runKey: string; kind: string; status: string; startedAt: string }>> {
  const { rows } = await db.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs ORDER BY started_at DESC LIMIT $1`, [limit]);
  return rows.map((r) => ({ runKey: r.run_key, kind: r.kind, status: r.status, startedAt: r.started_at.toISOString() }));
}

function describeRecent(runs: Awaited<ReturnType<typeof recentRuns>>): string {
  if (runs.length === 0) return 'there are no runs yet; start one with `socialsense run`';
  return `recent runs: ${runs.map((r) => `${r.runKey} (${r.status}, ${r.startedAt.slice(0, 10)})`).join(', ')}`;
}

const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/**
 * The run a report or an insight is about: `runKey` when given, else the latest completed run that
 * scored posts (a retrain or a run whose posts a later run re-scored has nothing to show), else the
 * latest completed run of any kind.
 */
export async function findRun(db: Db, runKey?: string | null): Promise<RunInfo> {
  let row: RunRow | undefined;
  if (runKey) {
    row = (await db.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs WHERE run_key = $1`, [runKey])).rows[0];
    if (!row) throw new RunNotFoundError(`run "${runKey}" does not exist; ${describeRecent(await recentRuns(db))}`);
  } else {
    row = (
      await db.query<RunRow>(
        `SELECT ${RUN_COLUMNS} FROM runs r
         WHERE status = 'completed'
         ORDER BY EXISTS (SELECT 1 FROM post_score_runs p WHERE p.run_key = r.run_key) DESC, finished_at DESC NULLS LAST, started_at DESC
         LIMIT 1`,
      )
    ).rows[0];
    if (!row) throw new RunNotFoundError(`no completed run yet; ${describeRecent(await recentRuns(db))}`);
  }
  const span = (
    await db.query<{ from: string | null; to: string | null; posts: number }>(
      `SELECT min((created_at AT TIME ZONE 'UTC')::date)::text AS "from", max((created_at AT TIME ZONE 'UTC')::date)::text AS "to", count(*)::int AS posts
       FROM ${RUN_POSTS} AS run_posts`,
      [row.run_key],
    )
  ).rows[0];
  let { from, to } = span;
  if (!to) {
    // No scored posts (yet): the window the run was asked for.
    const input = row.input ?? {};
    const date = (row.summary?.date ?? input.date) as string | undefined;
    if (typeof date === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(date)) {
      to = date;
      from = addDays(date, -(Math.max(1, Number(input.days) || 1) - 1));
    }
  }
  return {
    runKey: row.run_key,
    kind: row.kind,
    status: row.status,
    startedAt: row.started_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
    input: row.input ?? {},
    summary: row.summary,
    from,
    to,
    posts: span.posts,
  };
}

// ---------------------------------------------------------------------------------------------
// Topics

export interface TopicModelRef {
  version: number | null;
  /**
   * why this version: the run's summary names it ('run'), it was serving when the run finished
   * ('at-run'), it serves now ('serving'), or it is the newest with terms ('latest')
   */
  basis: 'run' | 'at-run' | 'serving' | 'latest' | 'none';
}

/** The version in a run summary's `models.topics` (a number, or an object with `version`), if any. */
function summaryTopicVersion(summary: Record<string, unknown> | null | undefined): number | null {
  const t = (summary?.models as Record<string, unknown> | undefined)?.topics;
  const v = typeof t === 'object' && t !== null ? (t as Record<string, unknown>).version : t;
  return Number.isInteger(v) ? (v as number) : null;
}

/**
 * The topic model whose ids the run's posts carry. post_scores does not record it, so: the version
 * the run's summary names, else the one serving when the run finished, else the one serving now,
 * else the newest version with terms.
 */
export async function topicModelFor(db: Db, run: Pick<RunInfo, 'runKey' | 'finishedAt' | 'summary'>): Promise<TopicModelRef> {
  const recorded = summaryTopicVersion(run.summary);
  if (recorded !== null) return { version: recorded, basis: 'run' };
  const { rows } = await db.query<{ version: number; basis: TopicModelRef['basis'] }>(
    `(SELECT version, 'at-run' AS basis, 1 AS rank FROM models
        WHERE name = 'topics' AND status IN ('serving', 'retired') AND promoted_at <= coalesce($1::timestamptz, now())
        ORDER BY promoted_at DESC LIMIT 1)
     UNION ALL (SELECT version, 'serving', 2 FROM models WHERE name = 'topics' AND status = 'serving')
     UNION ALL (SELECT max(model_version), 'latest', 3 FROM topic_terms HAVING count(*) > 0)
     ORDER BY rank LIMIT 1`,
    [run.finishedAt],
  );
  return rows[0] ? { version: rows[0].version, basis: rows[0].basis } : { version: null, basis: 'none' };
}

export interface TopicTerms {
  topic: number;
  label: string;
  terms: string[];
  weights: number[];
}

export async function topicTerms(db: Db, version: number | null): Promise<TopicTerms[]> {
  if (version === null) return [];
  const { rows } = await db.query<TopicTerms>(`SELECT topic, label, terms, weights FROM topic_terms WHERE model_version = $1 ORDER BY topic`, [version]);
  return rows.map((r) => ({ topic: r.topic, label: r.label, terms: r.terms, weights: r.weights.map(Number) }));
}

/** A topic's name for people: its label when the model described it, else its id; posts without a topic are "all posts". */
export function topicName(topic: number | null, labels: ReadonlyMap<number, string>): string {
  if (topic === null) return 'all posts (no topic)';
  const label = labels.get(topic);
  return label ? `${topic}: ${label}` : `topic ${topic}`;
}

export interface TopicSummary extends Partial<Omit<TopicTerms, 'topic'>> {
  topic: number | null;
  name: string;
  posts: number;
  share: number;
  /** mean compound of the posts with sentiment; null when none has any (all "not scored") */
  meanSentiment: number | null;
  positive: number;
  negative: number;
}

/** Posts and sentiment per topic of the run, with each topic's terms when the model described them; biggest first. */
export async function topicSummary(db: Db, runKey: string, model: TopicModelRef): Promise<TopicSummary[]> {
  const m = model;
  const terms = await topicTerms(db, m.version);
  const byTopic = new Map(terms.map((t) => [t.topic, t]));
  const labels = new Map(terms.map((t) => [t.topic, t.label]));
  const { rows } = await db.query<{ topic: number | null; posts: number; mean: number | null; positive: number; negative: number }>(
    `SELECT topic, count(*)::int AS posts, avg(sentiment_compound)::float8 AS mean,
            count(*) FILTER (WHERE sentiment_label = 'positive')::int AS positive,
            count(*) FILTER (WHERE sentiment_label = 'negative')::int AS negative
     FROM ${RUN_POSTS} AS run_posts GROUP BY topic ORDER BY posts DESC, topic NULLS LAST`,
    [runKey],
  );
  const total = rows.reduce((s, r) => s + r.posts, 0);
  return rows.map((r) => ({
    ...byTopic.get(r.topic ?? -1),
    topic: r.topic,
    name: topicName(r.topic, labels),
    posts: r.posts,
    share: total ? r.posts / total : 0,
    meanSentiment: r.mean,
    positive: r.positive,
    negative: r.negative,
  }));
}

// ---------------------------------------------------------------------------------------------
// Sentiment

export interface SentimentDay {
  day: string;
  topic: number | null;
  topicName: string;
  posts: number;
  /** mean compound of the posts with sentiment; null when none has any */
  meanSentiment: number | null;
  positive: number;
  neutral: number;
  negative: number;
  /** posts without sentiment: their language has no sentiment model (null label) */
  notScored: number;
}

/** Posts and mean compound sentiment per UTC day and topic of the run's posts. */
export async function sentimentByDay(db: Db, runKey: string, model: TopicModelRef): Promise<SentimentDay[]> {
  const m = model;
  const labels = new Map((await topicTerms(db, m.version)).map((t) => [t.topic, t.label]));
  const { rows } = await db.query<{ day: string; topic: number | null; posts: number; mean: number | null; positive: number; neutral: number; negative: number; not_scored: number }>(
    `SELECT (created_at AT TIME ZONE 'UTC')::date::text AS day, topic, count(*)::int AS posts, avg(sentiment_compound)::float8 AS mean,
            count(*) FILTER (WHERE sentiment_label = 'positive')::int AS positive,
            count(*) FILTER (WHERE sentiment_label = 'neutral')::int AS neutral,
            count(*) FILTER (WHERE sentiment_label = 'negative')::int AS negative,
            count(*) FILTER (WHERE sentiment_label IS NULL)::int AS not_scored
     FROM ${RUN_POSTS} AS run_posts GROUP BY 1, 2 ORDER BY 1, 2 NULLS LAST`,
    [runKey],
  );
  return rows.map((r) => ({
    day: r.day,
    topic: r.topic,
    topicName: topicName(r.topic, labels),
    posts: r.posts,
    meanSentiment: r.mean,
    positive: r.positive,
    neutral: r.neutral,
    negative: r.negative,
    notScored: r.not_scored,
  }));
}

/** The same per day over all topics. */
export function sentimentTotals(days: readonly SentimentDay[]): SentimentDay[] {
  const out = new Map<string, SentimentDay>();
  for (const d of days) {
    const t = out.get(d.day) ?? { day: d.day, topic: null, topicName: 'all topics', posts: 0, meanSentiment: 0, positive: 0, neutral: 0, negative: 0, notScored: 0 };
    // weighted sum over the posts with sentiment until divided below
    t.meanSentiment = (t.meanSentiment ?? 0) + (d.meanSentiment ?? 0) * (d.posts - d.notScored);
    t.posts += d.posts;
    t.positive += d.positive;
    t.neutral += d.neutral;
    t.negative += d.negative;
    t.notScored += d.notScored;
    out.set(d.day, t);
  }
  return [...out.values()].map((t) => ({ ...t, meanSentiment: t.posts > t.notScored ? (t.meanSentiment ?? 0) / (t.posts - t.notScored) : null }));
}

// ---------------------------------------------------------------------------------------------
// Trends

export type TermKind = 'hashtag' | 'topic' | 'term';

export interface TermSummary {
  term: string;
  kind: TermKind;
  /** volume over the run's days */
  total: number;
  /** volume on the run's last day */
  lastVolume: number;
  /** flagged as trending on some day of the run */
  trending: boolean;
  flaggedDays: number;
  /** the detector's highest score on a flagged day (else on any day) */
  score: number | null;
  /** the forecast made on the run's last day for the day after, with its band */
  forecast: number | null;
  forecastLow: number | null;
  forecastHigh: number | null;
}

export interface TermDay {
  term: string;
  kind: TermKind;
  day: string;
  volume: number;
  trendFlag: boolean;
  score: number | null;
  forecast: number | null;
  forecastLow: number | null;
  forecastHigh: number | null;
}

export interface Trends {
  /** term_trends (the trend model's output), or hashtag counts of the run's posts when the model has not written any */
  source: 'term_trends' | 'post_scores' | 'none';
  from: string | null;
  to: string | null;
  /** first day of the series shown for context (up to HISTORY_DAYS before the run's last day) */
  historyFrom: string | null;
  top: TermSummary[];
  emerging: TermSummary[];
  /** daily series of the terms in `top` and `emerging` */
  series: TermDay[];
}

export const HISTORY_DAYS = 28;

const TERM_SUMMARY_SQL = `
  SELECT term, kind, sum(volume)::int AS total,
         coalesce(sum(volume) FILTER (WHERE day = $2::date), 0)::int AS last_volume,
         count(*) FILTER (WHERE trend_flag)::int AS flagged_days,
         coalesce(max(score) FILTER (WHERE trend_flag), max(score))::float8 AS score,
         max(forecast) FILTER (WHERE day = $2::date)::float8 AS forecast,
         max(forecast_low) FILTER (WHERE day = $2::date)::float8 AS forecast_low,
         max(forecast_high) FILTER (WHERE day = $2::date)::float8 AS forecast_high
  FROM term_trends WHERE day BETWEEN $1::date AND $2::date AND kind = ANY($3::text[])
  GROUP BY term, kind`;

interface TermSummaryRow {
  term: string;
  kind: TermKind;
  total: number;
  last_volume: number;
  flagged_days: number;
  score: number | null;
  forecast: number | null;
  forecast_low: number | null;
  forecast_high: number | null;
}

const toTermSummary = (r: TermSummaryRow): TermSummary => ({
  term: r.term,
  kind: r.kind,
  total: r.total,
  lastVolume: r.last_volume,
  trending: r.flagged_days > 0,
  flaggedDays: r.flagged_days,
  score: r.score,
  forecast: r.forecast,
  forecastLow: r.forecast_low,
  forecastHigh: r.forecast_high,
});

/**
 * Top terms (most volume over the run's days) and emerging ones (flagged as trending on one of
 * those days, strongest first) with their daily series and forecast bands. term_trends is keyed by
 * (term, kind, day), not by run, so a run's trends are the rows of its days, whichever run wrote them.
 */
export async function trends(db: Db, run: Pick<RunInfo, 'runKey' | 'from' | 'to'>, opts: { limit?: number; kinds?: TermKind[] } = {}): Promise<Trends> {
  const limit = opts.limit ?? 10;
  const kinds = opts.kinds ?? ['hashtag', 'term', 'topic'];
  const { from, to } = run;
  if (!from || !to) return { source: 'none', from, to, historyFrom: null, top: [], emerging: [], series: [] };
  const historyFrom = addDays(to, -(HISTORY_DAYS - 1)) < from ? addDays(to, -(HISTORY_DAYS - 1)) : from;
  const top = (await db.query<TermSummaryRow>(`${TERM_SUMMARY_SQL} ORDER BY total DESC, term LIMIT $4`, [from, to, kinds, limit])).rows.map(toTermSummary);
  if (top.length > 0) {
    const emerging = (
      await db.query<TermSummaryRow>(`${TERM_SUMMARY_SQL} HAVING bool_or(trend_flag) ORDER BY score DESC NULLS LAST, last_volume DESC, term LIMIT $4`, [from, to, kinds, limit])
    ).rows.map(toTermSummary);
    const wanted = [...top, ...emerging];
    const { rows } = await db.query<{
      term: string;
      kind: TermKind;
      day: string;
      volume: number;
      trend_flag: boolean;
      score: number | null;
      forecast: number | null;
      forecast_low: number | null;
      forecast_high: number | null;
    }>(
      `SELECT t.term, t.kind, t.day::text AS day, t.volume, t.trend_flag, t.score::float8 AS score,
              t.forecast::float8 AS forecast, t.forecast_low::float8 AS forecast_low, t.forecast_high::float8 AS forecast_high
       FROM term_trends t JOIN unnest($3::text[], $4::text[]) AS w(term, kind) ON w.term = t.term AND w.kind = t.kind
       WHERE t.day BETWEEN $1::date AND $2::date ORDER BY t.term, t.kind, t.day`,
      [historyFrom, to, wanted.map((w) => w.term), wanted.map((w) => w.kind)],
    );
    const series = rows.map((r) => ({
      term: r.term,
      kind: r.kind,
      day: r.day,
      volume: r.volume,
      trendFlag: r.trend_flag,
      score: r.score,
      forecast: r.forecast,
      forecastLow: r.forecast_low,
      forecastHigh: r.forecast_high,
    }));
    return { source: 'term_trends', from, to, historyFrom, top, emerging, series: dedupe(series) };
  }
  if (!kinds.includes('hashtag')) return { source: 'none', from, to, historyFrom, top: [], emerging: [], series: [] };
  // No trend model output yet: what the run's own posts say about hashtags (no flags, no forecasts).
  const { rows } = await db.query<{ term: string; day: string; volume: number }>(
    `WITH counts AS (
       SELECT h AS term, (created_at AT TIME ZONE 'UTC')::date::text AS day, count(*)::int AS volume
       FROM ${RUN_POSTS} AS run_posts, unnest(hashtags) AS h GROUP BY 1, 2),
     top AS (SELECT term FROM counts GROUP BY term ORDER BY sum(volume) DESC, term LIMIT $2)
     SELECT c.term, c.day, c.volume FROM counts c JOIN top USING (term) ORDER BY c.term, c.day`,
    [run.runKey, limit],
  );
  if (rows.length === 0) return { source: 'none', from, to, historyFrom, top: [], emerging: [], series: [] };
  const totals = new Map<string, { total: number; last: number }>();
  for (const r of rows) {
    const t = totals.get(r.term) ?? { total: 0, last: 0 };
    t.total += r.volume;
    if (r.day === to) t.last += r.volume;
    totals.set(r.term, t);
  }
  const fallbackTop: TermSummary[] = [...totals]
    .sort((a, b) => b[1].total - a[1].total || a[0].localeCompare(b[0]))
    .map(([term, t]) => ({ term, kind: 'hashtag', total: t.total, lastVolume: t.last, trending: false, flaggedDays: 0, score: null, forecast: null, forecastLow: null, forecastHigh: null }));
  const series: TermDay[] = rows.map((r) => ({ term: r.term, kind: 'hashtag', day: r.day, volume: r.volume, trendFlag: false, score: null, forecast: null, forecastLow: null, forecastHigh: null }));
  return { source: 'post_scores', from, to, historyFrom: from, top: fallbackTop, emerging: [], series };
}

function dedupe(series: TermDay[]): TermDay[] {
  const seen = new Set<string>();
  return series.filter((d) => {
    const k = `${d.kind}\u0000${d.term}\u0000${d.day}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

// ---------------------------------------------------------------------------------------------
// Users: segments and recommendations

/** Profile traits shown to people, in this order; other numeric profile fields are kept in `traits` for --json. */
export const SEGMENT_TRAITS: Array<{ key: string; label: string; short: string; digits: number; percent?: boolean }> = [
  { key: 'postsPerDay', label: 'Posts / day', short: 'Posts/day', digits: 2 },
  { key: 'engagementReceivedPerPost', label: 'Engagement / post', short: 'Reactions/post', digits: 1 },
  { key: 'engagementsGivenPerDay', label: 'Interactions given / day', short: 'Interacts/day', digits: 2 },
  { key: 'followerRatio', label: 'Follower ratio', short: 'Follower ratio', digits: 1 },
  { key: 'meanSentiment', label: 'Avg sentiment', short: 'Sentiment', digits: 2 },
  { key: 'hourEntropy', label: 'Hour spread (bits)', short: 'Hour spread', digits: 2 },
  { key: 'nearDuplicateRatio', label: 'Duplicate posts', short: 'Duplicates', digits: 0, percent: true },
  { key: 'engagementProbability', label: 'Engagement prob.', short: 'Will engage', digits: 0, percent: true },
  { key: 'botLikeness', label: 'Bot-likeness', short: 'Bot-like', digits: 0, percent: true },
];

export interface Segment {
  segment: number | null;
  name: string;
  users: number;
  share: number;
  /** mean of each numeric profile field over the segment's users (plus engagementProbability, botLikeness) */
  traits: Record<string, number>;
  /** (segment mean − mean of all users) / standard deviation over all users, per trait */
  traitZ: Record<string, number>;
  /** topics the segment posts about most (mean share of the users' topic mix) */
  topTopics: Array<{ topic: number; name: string; label: string | null; share: number }>;
}

export interface Segments {
  /** 'run': users this run updated; 'latest': the run updated none, so every user's latest profile */
  scope: 'run' | 'latest' | 'none';
  users: number;
  updatedAt: string | null;
  segments: Segment[];
}

/** The users in scope for a run: those it updated, else (the run wrote no profiles) everyone's latest state. */
async function userScope(db: Db, runKey: string): Promise<{ scope: 'run' | 'latest' | 'none'; users: number; updatedAt: string | null }> {
  const { rows } = await db.query<{ run: number; all: number; run_updated: Date | null; all_updated: Date | null }>(
    `SELECT count(*) FILTER (WHERE run_key = $1)::int AS run, count(*)::int AS all,
            max(updated_at) FILTER (WHERE run_key = $1) AS run_updated, max(updated_at) AS all_updated
     FROM user_insights`,
    [runKey],
  );
  const r = rows[0];
  if (r.run > 0) return { scope: 'run', users: r.run, updatedAt: r.run_updated?.toISOString() ?? null };
  if (r.all > 0) return { scope: 'latest', users: r.all, updatedAt: r.all_updated?.toISOString() ?? null };
  return { scope: 'none', users: 0, updatedAt: null };
}

const SCOPE_SQL = `(SELECT * FROM user_insights WHERE $2::boolean OR run_key = $1)`;

/** Users per segment with the segment's average traits and how far each is from the average user. */
export async function userSegments(db: Db, runKey: string, model: TopicModelRef): Promise<Segments> {
  const scope = await userScope(db, runKey);
  if (scope.scope === 'none') return { ...scope, segments: [] };
  const params = [runKey, scope.scope === 'latest'];
  // Numeric profile fields as (user, key, value), with the two scored columns as traits too.
  const values = `
    values AS (
      SELECT u.user_id, coalesce(u.segment_name, 'unsegmented') AS name, e.key, (e.value #>> '{}')::float8 AS v
      FROM ${SCOPE_SQL} u, jsonb_each(u.profile) e
      WHERE jsonb_typeof(e.value) = 'number' AND e.key NOT IN ('engagementProbability', 'botLikeness')
      UNION ALL SELECT u.user_id, coalesce(u.segment_name, 'unsegmented'), 'engagementProbability', u.engagement_probability FROM ${SCOPE_SQL} u WHERE u.engagement_probability IS NOT NULL
      UNION ALL SELECT u.user_id, coalesce(u.segment_name, 'unsegmented'), 'botLikeness', coalesce(u.bot_likeness, (u.profile->>'botLikeness')::float8)
        FROM ${SCOPE_SQL} u WHERE u.bot_likeness IS NOT NULL OR jsonb_typeof(u.profile->'botLikeness') = 'number')`;
  const [sizes, means, mix] = await Promise.all([
    db.query<{ name: string; segment: number | null; users: number }>(
      `SELECT coalesce(segment_name, 'unsegmented') AS name, min(segment) AS segment, count(*)::int AS users
       FROM ${SCOPE_SQL} u GROUP BY 1 ORDER BY users DESC, name`,
      params,
    ),
    db.query<{ name: string | null; key: string; mean: number; sd: number | null }>(
      `WITH ${values}
       SELECT name, key, avg(v)::float8 AS mean, NULL::float8 AS sd FROM values GROUP BY name, key
       UNION ALL SELECT NULL, key, avg(v)::float8, stddev_pop(v)::float8 FROM values GROUP BY key`,
      params,
    ),
    db.query<{ name: string; topic: string; share: number }>(
      `SELECT coalesce(u.segment_name, 'unsegmented') AS name, e.key AS topic, sum((e.value #>> '{}')::float8)::float8 AS share
       FROM ${SCOPE_SQL} u, jsonb_each(CASE WHEN jsonb_typeof(u.profile->'topicMix') = 'object' THEN u.profile->'topicMix' ELSE '{}'::jsonb END) e
       WHERE jsonb_typeof(e.value) = 'number' GROUP BY 1, 2`,
      params,
    ),
  ]);
  const overall = new Map<string, { mean: number; sd: number | null }>();
  const bySegment = new Map<string, Record<string, number>>();
  for (const m of means.rows) {
    if (m.name === null) overall.set(m.key, { mean: m.mean, sd: m.sd });
    else (bySegment.get(m.name) ?? bySegment.set(m.name, {}).get(m.name)!)[m.key] = m.mean;
  }
  const sizeOf = new Map(sizes.rows.map((s) => [s.name, s.users]));
  const labels = new Map((await topicTerms(db, model.version)).map((t) => [t.topic, t.label]));
  const mixBySegment = new Map<string, Segment['topTopics']>();
  for (const r of mix.rows) {
    const topic = Number(r.topic);
    if (!Number.isInteger(topic)) continue;
    const list = mixBySegment.get(r.name) ?? mixBySegment.set(r.name, []).get(r.name)!;
    // mean over all the segment's users, those without a topic mix counting as zero
    list.push({ topic, name: topicName(topic, labels), label: labels.get(topic) ?? null, share: r.share / Math.max(1, sizeOf.get(r.name) ?? 1) });
  }
  const total = scope.users;
  const segments = sizes.rows.map((s): Segment => {
    const traits = bySegment.get(s.name) ?? {};
    const traitZ: Record<string, number> = {};
    for (const [k, v] of Object.entries(traits)) {
      const o = overall.get(k);
      traitZ[k] = o && o.sd ? (v - o.mean) / o.sd : 0;
    }
    const topTopics = (mixBySegment.get(s.name) ?? [])
      .sort((a, b) => b.share - a.share || a.topic - b.topic)
      .slice(0, 3);
    return { segment: s.segment, name: s.name, users: s.users, share: total ? s.users / total : 0, traits, traitZ, topTopics };
  });
  return { ...scope, segments };
}

export interface Recommendation {
  item: string;
  kind: string;
  score: number | null;
}

export interface UserRecommendations {
  userId: string;
  handle: string | null;
  segmentName: string | null;
  engagementProbability: number | null;
  botLikeness: number | null;
  recommendations: Recommendation[];
  updatedAt: string;
  runKey: string;
}

interface UserRow {
  user_id: string;
  handle: string | null;
  segment_name: string | null;
  engagement_probability: number | null;
  bot_likeness: number | null;
  recommendations: unknown;
  updated_at: Date;
  run_key: string;
}

function normalizeRecommendations(value: unknown, limit: number): Recommendation[] {
  if (!Array.isArray(value)) return [];
  return value.slice(0, limit).map((r) => {
    const o = (r && typeof r === 'object' ? r : { item: r }) as Record<string, unknown>;
    return { item: String(o.item ?? o.id ?? ''), kind: String(o.kind ?? 'item'), score: typeof o.score === 'number' ? o.score : null };
  });
}

const toUserRecommendations = (r: UserRow, limit: number): UserRecommendations => ({
  userId: r.user_id,
  handle: r.handle,
  segmentName: r.segment_name,
  engagementProbability: r.engagement_probability,
  botLikeness: r.bot_likeness,
  recommendations: normalizeRecommendations(r.recommendations, limit),
  updatedAt: r.updated_at.toISOString(),
  runKey: r.run_key,
});

const USER_COLUMNS = 'user_id, handle, segment_name, engagement_probability, bot_likeness, recommendations, updated_at, run_key';

/** One user's latest recommendations; null when the user has no insights row. Accepts the user id or the handle (with or without @). */
export async function recommendationsFor(db: Db, user: string, limit = 10): Promise<UserRecommendations | null> {
  const { rows } = await db.query<UserRow>(
    `SELECT ${USER_COLUMNS} FROM user_insights WHERE user_id = $1 OR lower(handle) = lower(ltrim($1, '@')) ORDER BY (user_id = $1) DESC LIMIT 1`,
    [user],
  );
  return rows[0] ? toUserRecommendations(rows[0], limit) : null;
}

/** A few users of the run's scope with recommendations, the likeliest to engage first, one per segment before repeating a segment. */
export async function exampleRecommendations(db: Db, runKey: string, opts: { users?: number; perUser?: number } = {}): Promise<UserRecommendations[]> {
  const scope = await userScope(db, runKey);
  if (scope.scope === 'none') return [];
  const { rows } = await db.query<UserRow>(
    `SELECT ${USER_COLUMNS} FROM (
       SELECT u.*, row_number() OVER (PARTITION BY segment_name ORDER BY engagement_probability DESC NULLS LAST, user_id) AS nth
       FROM ${SCOPE_SQL} u WHERE jsonb_typeof(recommendations) = 'array' AND jsonb_array_length(recommendations) > 0) x
     ORDER BY nth, engagement_probability DESC NULLS LAST, user_id LIMIT $3`,
    [runKey, scope.scope === 'latest', opts.users ?? 6],
  );
  return rows.map((r) => toUserRecommendations(r, opts.perUser ?? 3));
}

// ---------------------------------------------------------------------------------------------
// About the run: lineage and models

export interface LineageDataset {
  uri: string;
  stage: string;
  source: string | null;
  partitionDate: string | null;
  schema: string;
  format: string;
  records: number;
  bytes: number;
  inputs: string[];
  createdAt: string;
  /** the run that (last) wrote it; another run's key when this run reused an identical dataset */
  runKey: string | null;
  /** steps from the run's own outputs up its inputs: 0 = written or named by the run */
  depth: number;
}

const STAGE_ORDER = ['raw', 'posts', 'quarantine', 'clean', 'features', 'scores'];
const LINEAGE_DEPTH = 6;

/** Every `uri` string inside a run summary (its datasets: partitions, clean, features, quarantine…). */
function urisIn(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) urisIn(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'uri' && typeof v === 'string') out.push(v);
      else urisIn(v, out);
    }
  }
  return out;
}

/**
 * The run's datasets in pipeline order, each with the datasets it was derived from: those catalogued
 * under the run, those its summary names (dataset keys are content-addressed, so a re-run reuses an
 * identical dataset another run wrote), and their inputs up to the raw data.
 */
export async function runLineage(db: Db, runKey: string, summary?: Record<string, unknown> | null): Promise<LineageDataset[]> {
  const named = urisIn(summary?.datasets ?? summary ?? null);
  const { rows } = await db.query<Omit<DatasetRow, 'id' | 'sha256'> & { depth: number }>(
    `WITH RECURSIVE lineage(uri, depth) AS (
       SELECT uri, 0 FROM datasets WHERE run_key = $1
       UNION SELECT unnest($2::text[]), 0
       UNION SELECT unnest(d.inputs), l.depth + 1 FROM lineage l JOIN datasets d ON d.uri = l.uri WHERE l.depth < $4
     )
     SELECT d.uri, d.stage, d.source, d.partition_date::text AS partition_date, d.schema, d.format, d.records, d.bytes, d.inputs,
            d.created_at, d.run_key, min(l.depth)::int AS depth
     FROM datasets d JOIN lineage l USING (uri)
     GROUP BY d.uri
     ORDER BY array_position($3::text[], d.stage) NULLS LAST, d.stage, d.partition_date NULLS LAST, d.uri`,
    [runKey, named, STAGE_ORDER, LINEAGE_DEPTH],
  );
  return rows.map((r) => ({
    ...datasetFields(r),
    inputs: r.inputs,
    createdAt: r.created_at.toISOString(),
    runKey: r.run_key,
    depth: r.depth,
  }));
}

/** A registry version as the report shows it. */
export interface ReportModelVersion extends Omit<ModelVersion, 'createdAt' | 'promotedAt' | 'lineage'> {
  createdAt: string;
  promotedAt: string | null;
  /** trained by the run the report is about */
  trainedByRun: boolean;
}

/** The versions serving now, and every version the run trained (promoted or not). */
export async function modelVersions(db: Db, runKey: string): Promise<ReportModelVersion[]> {
  return (await servingOrTrainedBy(db, runKey)).map(({ lineage: _lineage, ...m }) => ({
    ...m,
    metrics: m.metrics ?? {},
    params: m.params ?? {},
    createdAt: m.createdAt.toISOString(),
    promotedAt: m.promotedAt?.toISOString() ?? null,
    trainedByRun: m.runKey === runKey,
  }));
}

/** Models named by the posts themselves (post_scores.sentiment_model), for runs scored before the registry knew them. */
export async function sentimentModelsUsed(db: Db, runKey: string): Promise<Array<{ model: string; posts: number }>> {
  const { rows } = await db.query<{ model: string; posts: number }>(
    `SELECT sentiment_model AS model, count(*)::int AS posts FROM ${RUN_POSTS} AS run_posts WHERE sentiment_model IS NOT NULL GROUP BY 1 ORDER BY posts DESC`,
    [runKey],
  );
  return rows;
}
