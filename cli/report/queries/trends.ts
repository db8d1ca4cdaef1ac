/** Trending terms of a run's days: top and emerging terms with their daily series and forecast bands. */
import type { Db } from '../../../lib/db';
import { addDays } from '../../../lib/dates';
import { RUN_POSTS, RUN_SOURCE_SQL, type RunInfo } from './runs';

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

/**
 * Whether the term_trends row written by run `col` is of the source `param` (null: any). Rows are written by the
 * retrain of one source (activities/insights.ts), keyed by day alone: a file import's report once showed the trends
 * of the simulated posts of its days, which a retrain had written.
 */
const OF_SOURCE_SQL = (col: string, param: string) => `(${param}::text IS NULL OR ${col} IN (SELECT run_key FROM runs WHERE ${RUN_SOURCE_SQL} = ${param}))`;

const TERM_SUMMARY_SQL = `
  SELECT term, kind, sum(volume)::int AS total,
         coalesce(sum(volume) FILTER (WHERE day = $2::date), 0)::int AS last_volume,
         count(*) FILTER (WHERE trend_flag)::int AS flagged_days,
         coalesce(max(score) FILTER (WHERE trend_flag), max(score))::float8 AS score,
         max(forecast) FILTER (WHERE day = $2::date)::float8 AS forecast,
         max(forecast_low) FILTER (WHERE day = $2::date)::float8 AS forecast_low,
         max(forecast_high) FILTER (WHERE day = $2::date)::float8 AS forecast_high
  FROM term_trends WHERE day BETWEEN $1::date AND $2::date AND kind = ANY($3::text[]) AND ${OF_SOURCE_SQL('run_key', '$5')}
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
export async function trends(
  db: Db,
  run: Pick<RunInfo, 'runKey' | 'from' | 'to' | 'source'>,
  opts: { limit?: number; kinds?: TermKind[] } = {},
): Promise<Trends> {
  const limit = opts.limit ?? 10;
  const kinds = opts.kinds ?? ['hashtag', 'term', 'topic'];
  const { from, to } = run;
  if (!from || !to) return { source: 'none', from, to, historyFrom: null, top: [], emerging: [], series: [] };
  const historyFrom = addDays(to, -(HISTORY_DAYS - 1)) < from ? addDays(to, -(HISTORY_DAYS - 1)) : from;
  const top = (await db.query<TermSummaryRow>(`${TERM_SUMMARY_SQL} ORDER BY total DESC, term LIMIT $4`, [from, to, kinds, limit, run.source])).rows.map(
    toTermSummary,
  );
  if (top.length > 0) {
    const emerging = (
      await db.query<TermSummaryRow>(`${TERM_SUMMARY_SQL} HAVING bool_or(trend_flag) ORDER BY score DESC NULLS LAST, last_volume DESC, term LIMIT $4`, [
        from,
        to,
        kinds,
        limit,
        run.source,
      ])
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
       WHERE t.day BETWEEN $1::date AND $2::date AND ${OF_SOURCE_SQL('t.run_key', '$5')} ORDER BY t.term, t.kind, t.day`,
      [historyFrom, to, wanted.map((w) => w.term), wanted.map((w) => w.kind), run.source],
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
    .map(([term, t]) => ({
      term,
      kind: 'hashtag',
      total: t.total,
      lastVolume: t.last,
      trending: false,
      flaggedDays: 0,
      score: null,
      forecast: null,
      forecastLow: null,
      forecastHigh: null,
    }));
  const series: TermDay[] = rows.map((r) => ({
    term: r.term,
    kind: 'hashtag',
    day: r.day,
    volume: r.volume,
    trendFlag: false,
    score: null,
    forecast: null,
    forecastLow: null,
    forecastHigh: null,
  }));
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
