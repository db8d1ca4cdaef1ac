/**
 * Term trends: per hashtag and topic, the daily volume of a window of posts, whether the count-burst
 * detector flagged the day, and the volume a seasonal forecast expected (with its 90% band). What the
 * insights activity writes to `term_trends` and the report and API read back.
 *
 * Posts are bucketed by hour (models/trends/series.ts bucketCounts); bursts are scored on the hourly
 * counts by models/trends/countBurst.ts with the options tuned for hourly buckets; the forecast is
 * models/trends/forecast.ts rollingForecast with a 24-hour season trained on the first 48 hours.
 */
import { DAY_MS, dayStartMs, isoDay } from '../../lib/dates';
import { countBurstOptionsFor, scoreCountBursts } from './countBurst';
import { poissonQuantile } from './countTail';
import { rollingForecast } from './forecast';
import { bucketCounts, HOUR_MS, type TimeSpan } from './series';

/** What a post needs for trends: its time (ISO 8601 with zone), its hashtags, and its topic (null: none). */
export interface TrendPost {
  created_at: string;
  hashtags: readonly string[];
  features: { topic: number | null };
}

/** One term's day. */
export interface TermTrendRow {
  kind: TrendKind;
  /** the hashtag without '#', or `topic <id>` */
  term: string;
  /** YYYY-MM-DD (UTC) */
  day: string;
  /** posts that day */
  volume: number;
  /** the burst detector alarmed on an hour of the day */
  flag: boolean;
  /** the detector's highest hourly score that day (0 when none is finite) */
  score: number;
  /** the day's forecast volume and its band; null when the forecast had not enough observed history or missed an hour */
  forecast: number | null;
  low: number | null;
  high: number | null;
}

export type TrendKind = 'hashtag' | 'topic';

/** What a post counts towards: its hashtags, and its topic when a topic model labelled it. */
function trendKeys(p: TrendPost): Array<[TrendKind, string]> {
  const keys: Array<[TrendKind, string]> = p.hashtags.map((h) => ['hashtag', h]);
  if (p.features.topic !== null) keys.push(['topic', `topic ${p.features.topic}`]);
  return keys;
}

/** Nominal coverage of the forecast band (low–high). */
const BAND_LEVEL = 0.9;

/** Observed hours (of 48) the forecast's two-day training span needs before it is fitted: three quarters. */
const MIN_OBSERVED_TRAINING_HOURS = 36;

/**
 * Hourly volume per hashtag and topic → per day: volume, burst flag, and the volume the forecast expected.
 *
 * A day on which nothing was collected is missing, not a day of zero volume: its hours are NaN, so the
 * burst detector and the forecast skip them (an outage is neither an event nor a new normal), and it
 * gets no row. A collected day without a given hashtag is a real 0 for that hashtag. The collected
 * days are `collectedDays` (YYYY-MM-DD, UTC; from the catalog's partitions) plus every day with a post.
 */
export function volumeTrends(posts: readonly TrendPost[], minPosts: number, collectedDays: Iterable<string> = []): TermTrendRow[] {
  const times = new Map<string, number[]>();
  const days = new Set<number>();
  for (const day of collectedDays) {
    const ms = dayStartMs(day);
    if (Number.isNaN(ms)) throw new Error(`collected day must be YYYY-MM-DD, got "${day}"`);
    days.add(ms);
  }
  for (const p of posts) {
    const t = Date.parse(p.created_at);
    days.add(Math.floor(t / DAY_MS) * DAY_MS);
    for (const [kind, term] of trendKeys(p)) {
      const key = `${kind}\u0000${term}`;
      (times.get(key) ?? times.set(key, []).get(key)!).push(t);
    }
  }
  if (days.size === 0) return [];
  const start = Math.min(...days);
  const end = Math.max(...days) + DAY_MS;
  const covered: TimeSpan[] = [...days].map((d) => ({ start: d, end: d + DAY_MS }));
  const rows: TermTrendRow[] = [];
  for (const [key, ts] of times) {
    if (ts.length < minPosts) continue;
    const [kind, term] = key.split('\u0000') as [TrendKind, string];
    const series = bucketCounts(Float64Array.from(ts), { bucketMs: HOUR_MS, start, end, covered });
    const values = series.values;
    const { alarms, scores } = scoreCountBursts(values, countBurstOptionsFor(HOUR_MS));
    const alarmed = new Set(alarms.map((a) => Math.floor(a / 24)));
    // The forecast needs two daily seasons, mostly observed, to fit; earlier days get no band.
    let observedTraining = 0;
    for (let h = 0; h < Math.min(48, values.length); h++) if (!Number.isNaN(values[h])) observedTraining++;
    const fc =
      values.length >= 72 && observedTraining >= MIN_OBSERVED_TRAINING_HOURS
        ? rollingForecast(values, { seasonality: 24, trainLength: 48, level: BAND_LEVEL })
        : null;
    for (let d = 0; d * 24 < values.length; d++) {
      if (!days.has(start + d * DAY_MS)) continue; // not collected: no row, rather than a row of zeros
      let volume = 0;
      let score = 0;
      let f = 0;
      let lo = 0;
      let hi = 0;
      let banded = fc !== null;
      for (let h = d * 24; h < Math.min(values.length, d * 24 + 24); h++) {
        volume += values[h];
        score = Math.max(score, Number.isFinite(scores[h]) ? scores[h] : 0);
        if (fc && h >= fc.from && Number.isFinite(fc.forecast[h])) {
          f += fc.forecast[h];
          lo += Math.max(0, fc.lower[h]);
          hi += fc.upper[h];
        } else banded = false;
      }
      // A day's count varies at least as a Poisson count around its forecast: a band fitted on a flat history (two
      // days of zeros: no in-sample error at all) would otherwise claim certainty, "41 (41–41)" the day after a burst.
      if (banded && f > 0) {
        lo = Math.min(lo, poissonQuantile((1 - BAND_LEVEL) / 2, f));
        hi = Math.max(hi, poissonQuantile((1 + BAND_LEVEL) / 2, f));
      }
      rows.push({
        kind,
        term,
        day: isoDay(start + d * DAY_MS),
        volume,
        flag: alarmed.has(d),
        score,
        forecast: banded ? f : null,
        low: banded ? lo : null,
        high: banded ? hi : null,
      });
    }
  }
  return rows;
}
