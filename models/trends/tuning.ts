/**
 * Choosing the count burst detector's settings without looking at the series it is scored on:
 * leave-one-series-out. For each held-out series, every candidate setting is run on the other
 * series, its threshold is calibrated there to a stated false-alarm rate per day (on their buckets
 * outside the labelled windows), and the setting with the best pooled f1 on them is kept; only then
 * is the held-out series scored, with that setting and that threshold.
 */
import { alarmsAt, calibrateThreshold, countBurstOptionsFor, scoreCountBursts, type CountBurstOptions } from './countBurst';
import { DAY_MS } from './series';
import { scoreDetectionsPooled, type AnomalyWindow } from './evaluate';

export interface LabelledSeries {
  key: string;
  /** start of bucket 0, epoch ms */
  start: number;
  bucketMs: number;
  /** counts per bucket, NaN = missing */
  values: ArrayLike<number>;
  windows: readonly AnomalyWindow[];
}

export interface TuningGrid {
  /** model settings to try (window lengths, memories, …), each completed by countBurstOptionsFor */
  models: ReadonlyArray<Partial<CountBurstOptions>>;
  /** false-alarm rates per day to calibrate the threshold to */
  falseAlarmsPerDay: readonly number[];
}

/**
 * The grid `eval trends` searches. Small on purpose (each fold tries every cell on four series):
 * single-bucket scoring (fastest alarm), plus 3- and 12-bucket windows (15 min, 1 h at 5-minute
 * buckets) for surges that build up; a level that remembers one or three days; and rates from one
 * false alarm in 100 days to one in five days (NAB labels three or four anomalies in two months).
 */
export const DEFAULT_TUNING_GRID: TuningGrid = {
  models: [
    { windows: [1], levelDays: 1 },
    { windows: [1, 3, 12], levelDays: 1 },
    { windows: [1], levelDays: 3 },
    { windows: [1, 3, 12], levelDays: 3 },
  ],
  falseAlarmsPerDay: [0.01, 0.02, 0.03, 0.05, 0.1, 0.2],
};

export interface ChosenSettings {
  /** the model setting (as given in the grid) */
  model: Partial<CountBurstOptions>;
  /** the false-alarm rate the threshold was calibrated to */
  targetFalseAlarmsPerDay: number;
  /** the calibrated surprise threshold (−log10 tail probability) */
  threshold: number;
}

export interface Fold {
  heldOut: string;
  chosen: ChosenSettings;
  /** pooled f1 of the chosen settings on the training series */
  trainF1: number;
  /** false alarms per day the threshold achieved on the training series' normal buckets */
  trainFalseAlarmsPerDay: number;
  /** the same on the held-out series (what a user would see) */
  heldOutFalseAlarmsPerDay: number;
  /** alarm bucket indices on the held-out series */
  alarms: number[];
}

/** 1 for each observed bucket outside every window (the data known to be normal). */
export function normalMask(s: Pick<LabelledSeries, 'start' | 'bucketMs' | 'values' | 'windows'>): Uint8Array {
  const out = new Uint8Array(s.values.length);
  for (let i = 0; i < out.length; i++) {
    if (Number.isNaN(s.values[i])) continue;
    const t = s.start + i * s.bucketMs;
    out[i] = s.windows.some((w) => t >= w.start && t <= w.end) ? 0 : 1;
  }
  return out;
}

interface Scored {
  model: Partial<CountBurstOptions>;
  options: ReturnType<typeof countBurstOptionsFor>;
  /** per series: the detector's scores (threshold-free) */
  scores: Float64Array[];
}

/** Scores depend on the model setting only, not on the threshold or the fold: compute them once. */
function scoreGrid(series: readonly LabelledSeries[], grid: TuningGrid): Scored[] {
  if (grid.models.length === 0 || grid.falseAlarmsPerDay.length === 0) throw new RangeError('the tuning grid is empty');
  const bucketMs = series[0].bucketMs;
  const other = series.find((s) => s.bucketMs !== bucketMs);
  if (other) throw new RangeError(`${other.key}: bucket size ${other.bucketMs} ms differs from ${bucketMs} ms`);
  return grid.models.map((model) => {
    const options = countBurstOptionsFor(bucketMs, model);
    return { model, options, scores: series.map((s) => scoreCountBursts(s.values, { ...options, threshold: Infinity }).scores) };
  });
}

interface Choice {
  k: number;
  chosen: ChosenSettings;
  f1: number;
  falseAlarmsPerDay: number;
}

/** The grid cell with the best pooled f1 on the series `train` (indices), threshold calibrated on them. */
function choose(
  series: readonly LabelledSeries[],
  masks: readonly Uint8Array[],
  scored: readonly Scored[],
  grid: TuningGrid,
  train: readonly number[],
): Choice {
  let best: Choice | null = null;
  // Ties keep the earlier cell: fewer false alarms per day first, then the earlier model in the grid.
  for (const rate of grid.falseAlarmsPerDay) {
    for (let k = 0; k < scored.length; k++) {
      const { warmup, refractory } = scored[k].options;
      const c = calibrateThreshold(
        train.map((i) => ({ scores: scored[k].scores[i], normal: masks[i], bucketMs: series[i].bucketMs })),
        rate,
        warmup,
        refractory,
      );
      const f1 = scoreDetectionsPooled(
        train.map((i) => ({
          alarms: alarmsAt(scored[k].scores[i], c.threshold, warmup, refractory).map((b) => series[i].start + b * series[i].bucketMs),
          windows: series[i].windows,
        })),
      ).overall.f1;
      if (!best || f1 > best.f1 + 1e-12)
        best = { k, chosen: { model: scored[k].model, targetFalseAlarmsPerDay: rate, threshold: c.threshold }, f1, falseAlarmsPerDay: c.falseAlarmsPerDay };
    }
  }
  return best!;
}

/**
 * The settings the grid search picks on these labelled series (all of them): what a deployment
 * would use. Never report a score on the same series; see leaveOneSeriesOut.
 * @throws RangeError for no series, mixed bucket sizes or an empty grid
 */
export function tuneSettings(
  series: readonly LabelledSeries[],
  grid: TuningGrid = DEFAULT_TUNING_GRID,
): ChosenSettings & { trainF1: number; trainFalseAlarmsPerDay: number } {
  if (series.length === 0) throw new RangeError('tuning needs at least one labelled series');
  const c = choose(
    series,
    series.map(normalMask),
    scoreGrid(series, grid),
    grid,
    series.map((_, i) => i),
  );
  return { ...c.chosen, trainF1: c.f1, trainFalseAlarmsPerDay: c.falseAlarmsPerDay };
}

/**
 * Leave-one-series-out tuning and scoring: for each series, `tuneSettings` on all the others, then
 * that setting and threshold on it. The held-out series' labels are used for nothing but its score.
 * @param series at least two labelled series with the same bucket size
 * @returns one fold per series, in input order
 * @throws RangeError for fewer than two series, mixed bucket sizes or an empty grid
 */
export function leaveOneSeriesOut(series: readonly LabelledSeries[], grid: TuningGrid = DEFAULT_TUNING_GRID): Fold[] {
  if (series.length < 2) throw new RangeError(`leave-one-series-out needs at least 2 series, got ${series.length}`);
  const scored = scoreGrid(series, grid);
  const masks = series.map(normalMask);
  return series.map((held, h) => {
    const c = choose(
      series,
      masks,
      scored,
      grid,
      series.map((_, i) => i).filter((i) => i !== h),
    );
    const { warmup, refractory } = scored[c.k].options;
    const alarms = alarmsAt(scored[c.k].scores[h], c.chosen.threshold, warmup, refractory);
    return {
      heldOut: held.key,
      chosen: c.chosen,
      trainF1: c.f1,
      trainFalseAlarmsPerDay: c.falseAlarmsPerDay,
      heldOutFalseAlarmsPerDay: falseAlarmsPerDay(held, alarms),
      alarms,
    };
  });
}

/**
 * False alarms per day of a series: alarms (bucket indices) in its normal buckets (observed, outside
 * every window) divided by the days those buckets cover. 0 when it has no normal bucket.
 */
export function falseAlarmsPerDay(s: Pick<LabelledSeries, 'start' | 'bucketMs' | 'values' | 'windows'>, alarms: readonly number[]): number {
  const mask = normalMask(s);
  const days = normalDays(s, mask);
  if (days === 0) return 0;
  let falseAlarms = 0;
  for (const i of alarms) if (mask[i]) falseAlarms++;
  return falseAlarms / days;
}

/** Days covered by a series' normal buckets (observed, outside every window). */
export function normalDays(s: Pick<LabelledSeries, 'start' | 'bucketMs' | 'values' | 'windows'>, mask: Uint8Array = normalMask(s)): number {
  let normal = 0;
  for (const m of mask) normal += m;
  return (normal * s.bucketMs) / DAY_MS;
}
