/**
 * Scoring of burst alarms against labelled anomaly windows (in the spirit of the Numenta Anomaly
 * Benchmark, but with plain, explainable numbers instead of NAB's sigmoid weights), and of volume
 * forecasts against the seasonal naive forecast.
 */
import { mase, rollingForecast, seasonalNaive } from './forecast';
import { HOUR_MS } from './series';

export interface AnomalyWindow {
  /** inclusive bounds, epoch ms */
  start: number;
  end: number;
  /**
   * the labelled anomaly instant inside the window, if known; lead times are measured to it.
   * Default: the window's midpoint (NAB centres its windows on the labelled point).
   */
  point?: number;
  /**
   * every labelled anomaly instant inside the window, ascending (a window can hold several). The
   * delay after the label is measured from the latest of them at or before the first alarm.
   */
  points?: readonly number[];
}

export interface DetectionInput {
  /** alarm times, epoch ms, any order */
  alarms: readonly number[];
  windows: readonly AnomalyWindow[];
}

export interface DetectionScore {
  windows: number;
  detectedWindows: number;
  /** alarm groups after merging alarms closer than `mergeMs` */
  alarmGroups: number;
  /** groups whose first alarm lies inside a window */
  truePositiveGroups: number;
  /** share of windows with at least one alarm inside (1 when there are no windows) */
  windowRecall: number;
  /** truePositiveGroups / alarmGroups (1 when there are no alarms: nothing false was said) */
  alarmPrecision: number;
  f1: number;
  /**
   * minutes from the first alarm inside a detected window to the window's labelled anomaly point,
   * averaged over detected windows: positive = warned before the labelled instant. null: none detected.
   */
  meanLeadMinutes: number | null;
  /** minutes from the window start to its first alarm, averaged over detected windows */
  meanDelayMinutes: number | null;
  /**
   * minutes from the labelled anomaly instant to the first alarm inside its window, averaged over
   * detected windows: the detection delay after the anomaly itself. With several labels in a window,
   * from the latest label at or before the alarm; an alarm before every label counts negative (early).
   * null: none detected.
   */
  meanDelayAfterLabelMinutes: number | null;
  /**
   * minutes from each window's start to its (first) labelled instant, averaged over all windows: the
   * meanDelayMinutes that a detector alarming exactly at every labelled instant would get.
   */
  meanLabelOffsetMinutes: number | null;
}

/**
 * Alarms closer than `mergeMs` to the first alarm of the current group join that group; the group is
 * represented by its first alarm. Anchoring on the group's first alarm (rather than chaining gaps)
 * means an alarm raised every bucket for a day still counts as 24 hourly alarms, not one.
 */
export function mergeAlarms(times: readonly number[], mergeMs = HOUR_MS): number[] {
  const sorted = [...times].sort((a, b) => a - b);
  const groups: number[] = [];
  for (const t of sorted) if (groups.length === 0 || t - groups[groups.length - 1] >= mergeMs) groups.push(t);
  return groups;
}

interface Tally {
  windows: number;
  detected: number;
  groups: number;
  tpGroups: number;
  leadSum: number;
  delaySum: number;
  afterLabelSum: number;
  offsetSum: number;
}

function tally(input: DetectionInput, mergeMs: number): Tally {
  const inside = (t: number) => input.windows.some((w) => t >= w.start && t <= w.end);
  const groups = mergeAlarms(input.alarms, mergeMs);
  const sorted = [...input.alarms].sort((a, b) => a - b);
  let detected = 0;
  let leadSum = 0;
  let delaySum = 0;
  let afterLabelSum = 0;
  let offsetSum = 0;
  for (const w of input.windows) {
    const point = w.point ?? w.points?.[0] ?? (w.start + w.end) / 2;
    offsetSum += (point - w.start) / 60_000;
    const first = sorted.find((t) => t >= w.start && t <= w.end);
    if (first === undefined) continue;
    detected++;
    leadSum += (point - first) / 60_000;
    delaySum += (first - w.start) / 60_000;
    const labels = w.points && w.points.length > 0 ? w.points : [point];
    const before = labels.filter((p) => p <= first);
    afterLabelSum += (first - (before.length > 0 ? Math.max(...before) : Math.min(...labels))) / 60_000;
  }
  return {
    windows: input.windows.length,
    detected,
    groups: groups.length,
    tpGroups: groups.filter(inside).length,
    leadSum,
    delaySum,
    afterLabelSum,
    offsetSum,
  };
}

function finish(t: Tally): DetectionScore {
  const windowRecall = t.windows === 0 ? 1 : t.detected / t.windows;
  const alarmPrecision = t.groups === 0 ? 1 : t.tpGroups / t.groups;
  const f1 = windowRecall + alarmPrecision === 0 ? 0 : (2 * windowRecall * alarmPrecision) / (windowRecall + alarmPrecision);
  return {
    windows: t.windows,
    detectedWindows: t.detected,
    alarmGroups: t.groups,
    truePositiveGroups: t.tpGroups,
    windowRecall,
    alarmPrecision,
    f1,
    meanLeadMinutes: t.detected === 0 ? null : t.leadSum / t.detected,
    meanDelayMinutes: t.detected === 0 ? null : t.delaySum / t.detected,
    meanDelayAfterLabelMinutes: t.detected === 0 ? null : t.afterLabelSum / t.detected,
    meanLabelOffsetMinutes: t.windows === 0 ? null : t.offsetSum / t.windows,
  };
}

export function scoreDetections(input: DetectionInput, mergeMs = HOUR_MS): DetectionScore {
  return finish(tally(input, mergeMs));
}

/**
 * Scores several series at once. `overall` pools the counts (windows, groups) over all series before
 * dividing, so a series with many windows weighs more, as in NAB.
 */
export function scoreDetectionsPooled(inputs: readonly DetectionInput[], mergeMs = HOUR_MS): { overall: DetectionScore; perSeries: DetectionScore[] } {
  const tallies = inputs.map((i) => tally(i, mergeMs));
  const sum: Tally = { windows: 0, detected: 0, groups: 0, tpGroups: 0, leadSum: 0, delaySum: 0, afterLabelSum: 0, offsetSum: 0 };
  for (const t of tallies) for (const key of Object.keys(sum) as (keyof Tally)[]) sum[key] += t[key];
  return { overall: finish(sum), perSeries: tallies.map(finish) };
}

export interface ForecastEvalOptions {
  seasonality: number;
  horizon?: number;
  /** share of each series used to fit (default 0.25, about two weeks of NAB's two months) */
  trainShare?: number;
  /** interval level whose empirical coverage is reported (default 0.9) */
  level?: number;
}

export interface ForecastScore {
  /** Holt-Winters rolling-origin MASE */
  mase: number;
  /** the seasonal naive forecast's MASE over the same targets (≈ 1 when the test span behaves like the training span) */
  seasonalNaiveMase: number;
  /** share of observed test values inside the prediction interval (missing values are not counted) */
  coverage: number;
  trainLength: number;
  testLength: number;
}

/**
 * Rolling-origin forecast evaluation of one series: fit on the first `trainShare`, forecast every later
 * bucket `horizon` steps ahead, scale the MAE by the training span's seasonal naive MAE (MASE).
 */
export function evaluateForecast(values: ArrayLike<number>, opts: ForecastEvalOptions): ForecastScore {
  const horizon = opts.horizon ?? 1;
  const m = opts.seasonality;
  const trainLength = Math.floor(values.length * (opts.trainShare ?? 0.25));
  const rf = rollingForecast(values, { seasonality: m, horizon, trainLength, level: opts.level ?? 0.9 });
  const test = Array.prototype.slice.call(values, trainLength) as number[];
  const train = Array.prototype.slice.call(values, 0, trainLength) as number[];
  const naive = seasonalNaive(values, m).subarray(trainLength);
  let covered = 0;
  let observed = 0;
  for (let i = trainLength; i < values.length; i++) {
    if (Number.isNaN(values[i])) continue;
    observed++;
    if (values[i] >= rf.lower[i] && values[i] <= rf.upper[i]) covered++;
  }
  return {
    mase: mase(test, rf.forecast.subarray(trainLength), train, m),
    seasonalNaiveMase: mase(test, naive, train, m),
    coverage: covered / Math.max(1, observed),
    trainLength,
    testLength: test.length,
  };
}

/** Forecast scores per series and their means (MASE is scale-free, so a plain mean is meaningful). */
export function evaluateForecasts(
  series: readonly ArrayLike<number>[],
  opts: ForecastEvalOptions,
): { mase: number; seasonalNaiveMase: number; coverage: number; perSeries: ForecastScore[] } {
  const perSeries = series.map((s) => evaluateForecast(s, opts));
  const mean = (f: (s: ForecastScore) => number) => perSeries.reduce((a, s) => a + f(s), 0) / Math.max(1, perSeries.length);
  return { mase: mean((s) => s.mase), seasonalNaiveMase: mean((s) => s.seasonalNaiveMase), coverage: mean((s) => s.coverage), perSeries };
}
