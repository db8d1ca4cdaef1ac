/**
 * What earliness costs on labelled series: the price, in false alarms, of a first alarm soon after a
 * window's start.
 *
 * NAB (Lavin & Ahmad, "Evaluating Real-time Anomaly Detection Algorithms – the Numenta Anomaly
 * Benchmark", ICMLA 2015) makes each window 10% of the series length divided by its number of
 * anomalies, centred on the labelled instant. On the Twitter-volume series that puts the label
 * ~16–33 hours after the window starts, while the counts before the label are mostly ordinary. A
 * detector that alarms early in a window therefore alarms on ordinary counts, and does so outside
 * windows too.
 *
 * The frontier uses a deliberately generous rule. It alarms on every bucket above `k` times the
 * median of its hour of the week, and that median is taken from the series' own normal buckets,
 * the whole series included (it sees the future). For each k it records the mean delay from window
 * start to the first alarm and the false alarms per day that the delay costs. A causal detector with
 * the same sensitivity cannot do better on both at once.
 */
import { mergeAlarms, scoreDetectionsPooled } from './evaluate';
import { HOUR_MS } from './series';
import { falseAlarmsPerDay, normalDays, normalMask, type LabelledSeries } from './tuning';

export interface EarlinessPoint {
  /** alarm when a bucket's count exceeds this multiple of its hour-of-week median */
  multiplier: number;
  windowRecall: number;
  /** mean minutes from window start to the first alarm inside it, over detected windows (null: none) */
  meanDelayMinutes: number | null;
  /** windows whose first alarm came within 60 minutes of their start */
  windowsWithin1h: number;
  windows: number;
  /** merged (1 h) alarm groups outside every window, per day of normal data */
  falseAlarmsPerDay: number;
}

/** Default multipliers: from barely above the weekly norm to clearly unusual. */
export const DEFAULT_EARLINESS_MULTIPLIERS: readonly number[] = [1.25, 1.5, 2, 3, 5];

const WEEK_HOURS = 7 * 24;

/** Median of each hour of the week (0 = Thursday 00:00 UTC, the epoch's weekday) over the normal buckets; NaN where none. */
function hourOfWeekMedians(s: LabelledSeries, mask: Uint8Array): Float64Array {
  const byHour: number[][] = Array.from({ length: WEEK_HOURS }, () => []);
  for (let i = 0; i < s.values.length; i++) {
    if (!mask[i]) continue;
    byHour[Math.floor((s.start + i * s.bucketMs) / HOUR_MS) % WEEK_HOURS].push(s.values[i]);
  }
  return Float64Array.from(byHour, (xs) => {
    if (xs.length === 0) return NaN;
    xs.sort((a, b) => a - b);
    const mid = xs.length >> 1;
    return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
  });
}

/**
 * The earliness frontier of labelled count series (see the module comment), pooled over the series.
 * @param series labelled series (the same shape `leaveOneSeriesOut` takes); NaN buckets are skipped
 * @param multipliers each > 0
 * @throws RangeError for no series or a multiplier ≤ 0
 */
export function earlinessFrontier(series: readonly LabelledSeries[], multipliers: readonly number[] = DEFAULT_EARLINESS_MULTIPLIERS): EarlinessPoint[] {
  if (series.length === 0) throw new RangeError('the earliness frontier needs at least one labelled series');
  for (const k of multipliers) if (!(k > 0)) throw new RangeError(`multipliers must be positive, got ${k}`);
  const prepared = series.map((s) => {
    const mask = normalMask(s);
    return { s, medians: hourOfWeekMedians(s, mask), days: normalDays(s, mask) };
  });
  return multipliers.map((k) => {
    let falseAlarms = 0;
    let days = 0;
    const inputs = prepared.map(({ s, medians, days: d }) => {
      const buckets: number[] = [];
      for (let i = 0; i < s.values.length; i++) {
        const v = s.values[i];
        const median = medians[Math.floor((s.start + i * s.bucketMs) / HOUR_MS) % WEEK_HOURS];
        // A median of 0 (a quiet hour) would make every post an alarm: one post above it is the floor.
        if (!Number.isNaN(v) && !Number.isNaN(median) && v > k * Math.max(median, 1)) buckets.push(i);
      }
      const times = buckets.map((i) => s.start + i * s.bucketMs);
      // False alarms counted as merged groups, as the detectors' are: one long excursion is one alarm.
      const groups = new Set(mergeAlarms(times));
      falseAlarms +=
        falseAlarmsPerDay(
          s,
          buckets.filter((i) => groups.has(s.start + i * s.bucketMs)),
        ) * d;
      days += d;
      return { alarms: times, windows: s.windows };
    });
    const score = scoreDetectionsPooled(inputs).overall;
    let within = 0;
    for (const { alarms, windows } of inputs) {
      for (const w of windows) {
        const first = alarms.find((t) => t >= w.start && t <= w.end);
        if (first !== undefined && first - w.start <= HOUR_MS) within++;
      }
    }
    return {
      multiplier: k,
      windowRecall: score.windowRecall,
      meanDelayMinutes: score.meanDelayMinutes,
      windowsWithin1h: within,
      windows: score.windows,
      falseAlarmsPerDay: days > 0 ? falseAlarms / days : 0,
    };
  });
}
