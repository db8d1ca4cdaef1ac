/**
 * `eval trends`: scores burst alarms against labelled anomaly windows (NAB realTweets format) and volume
 * forecasts against the seasonal naive forecast.
 *
 * The default detector is the count burst detector (models/trends/countBurst.ts: negative binomial
 * surprise of the count given a daily × weekly seasonal expectation, threshold calibrated to a
 * false-alarm rate per day). With two or more series it is evaluated leave-one-series-out: each
 * series is scored with the settings and threshold chosen on the others (models/trends/tuning.ts),
 * and the chosen settings of every fold are printed. The fixed mean + 3 sd threshold and the seasonal
 * naive forecast are computed in the same run as baselines.
 */
import { printEval } from './output';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { readTableAll, requireColumns } from '../../lib/tabular';
import { burstOptionsFor, detectBursts, fixedThresholdAlarms, type BurstOptions } from '../../models/trends/burst';
import { countBurstOptionsFor, scoreCountBursts } from '../../models/trends/countBurst';
import { evaluateForecasts, scoreDetectionsPooled, type AnomalyWindow, type DetectionScore } from '../../models/trends/evaluate';
import { earlinessFrontier, type EarlinessPoint } from '../../models/trends/earliness';
import { DAY_MS, bucketTime, missingCount, regularize, type VolumeSeries } from '../../models/trends/series';
import {
  DEFAULT_TUNING_GRID,
  falseAlarmsPerDay,
  leaveOneSeriesOut,
  normalDays,
  type ChosenSettings,
  type LabelledSeries,
  type TuningGrid,
} from '../../models/trends/tuning';

/** 'nb': the count burst detector (default); 'ewma': the earlier log-volume EWMA z-score; 'fixed': mean + 3 sd */
export type TrendDetector = 'nb' | 'ewma' | 'fixed';

export interface TrendsEvalOptions {
  /** CSV files with `timestamp,value` (UTC timestamps like 2015-02-26 21:42:53) */
  series: string[];
  /** labels.json in NAB's format: { windows: { "realTweets/<file>": [[start, end], ...] }, labels?: {...} } */
  labels: string;
  /** detector to evaluate (default 'nb') */
  detector?: TrendDetector;
  /** overrides of the 'ewma' detector's defaults */
  detectorOptions?: BurstOptions;
  /** the 'nb' detector's tuning grid (default DEFAULT_TUNING_GRID) */
  grid?: TuningGrid;
  /** forecast horizon in buckets (default 1) */
  horizon?: number;
}

/** Detection figures of one detector over the series (pooled) */
export interface DetectionSummary extends Pick<
  DetectionScore,
  'windowRecall' | 'alarmPrecision' | 'f1' | 'meanLeadMinutes' | 'meanDelayMinutes' | 'meanDelayAfterLabelMinutes' | 'meanLabelOffsetMinutes'
> {
  /** alarms outside every window per day of data outside the windows */
  falseAlarmsPerDay: number;
}

export interface TrendSeriesResult extends DetectionScore {
  key: string;
  buckets: number;
  /** buckets no row fell in: missing, not zero (skipped by the detector and the forecast) */
  missingBuckets: number;
  falseAlarmsPerDay: number;
  mase: number;
  seasonalNaiveMase: number;
  coverage: number;
  /** alarm times, UTC "YYYY-MM-DD HH:MM:SS" like the input */
  alarms: string[];
  /** 'nb' with leave-one-series-out: the settings chosen on the other series and used here */
  chosen?: ChosenSettings;
}

export interface TrendsFold extends ChosenSettings {
  heldOut: string;
  /** pooled f1 of the chosen settings on the other series */
  trainF1: number;
  /** false alarms per day achieved on the other series' data outside windows */
  trainFalseAlarmsPerDay: number;
  /** the same on the held-out series */
  heldOutFalseAlarmsPerDay: number;
}

export interface TrendsEvalResult extends DetectionSummary {
  detector: TrendDetector;
  /** how the reported detector's settings relate to the scored series */
  protocol: 'leave-one-series-out' | 'default settings';
  series: number;
  /** 'nb' with leave-one-series-out: one fold per series */
  folds: TrendsFold[] | null;
  /** mean over series of the Holt-Winters rolling-origin MASE */
  mase: number;
  /** the same for the seasonal naive forecast (≈ 1) */
  seasonalNaiveMase: number;
  /** mean share of test values inside the 90% prediction interval */
  coverage: number;
  horizon: number;
  /** computed in the same run */
  baselines: {
    fixedThreshold: DetectionSummary & {
      perSeries: Array<{ key: string; f1: number; windowRecall: number; alarmPrecision: number; meanDelayMinutes: number | null; falseAlarmsPerDay: number }>;
    };
    seasonalNaive: { mase: number };
  };
  /**
   * What a first alarm soon after a window's start costs on these series: for a rule that alarms above
   * k × the hour-of-week median (models/trends/earliness.ts), the mean delay and the false alarms per day.
   */
  earlinessFrontier: EarlinessPoint[];
  seconds: number;
  perSeries: TrendSeriesResult[];
}

/** "2015-03-03 04:37:53.000000" or ISO-8601; no zone means UTC. */
export function parseUtc(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text.trim());
  if (!m) return NaN;
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  const utc = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] ?? 0), ms);
  if (!m[8] || m[8] === 'Z') return utc;
  const sign = m[8][0] === '-' ? -1 : 1;
  const digits = m[8].slice(1).replace(':', '');
  return utc - sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
}

const formatUtc = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

/** The key NAB's labels.json uses for a data file. */
export const labelKey = (file: string) => `realTweets/${path.basename(file)}`;

interface Labels {
  windows: Record<string, unknown>;
  labels?: Record<string, unknown>;
}

function readLabels(file: string): Labels {
  if (!fs.existsSync(file)) throw new Error(`labels file not found: ${path.resolve(file)}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message})`);
  }
  const windows = (parsed as Labels | null)?.windows;
  if (typeof windows !== 'object' || windows === null) {
    throw new Error(`${file}: expected an object with "windows": { "realTweets/<file>.csv": [[start, end], ...] }`);
  }
  return parsed as Labels;
}

function windowsFor(labels: Labels, labelsFile: string, seriesFile: string): AnomalyWindow[] {
  const key = labelKey(seriesFile);
  const raw = labels.windows[key];
  if (raw === undefined) {
    throw new Error(`${labelsFile}: no anomaly windows for ${seriesFile}; expected the key "${key}" under "windows"`);
  }
  const bad = () => new Error(`${labelsFile}: windows of "${key}" must be a list of [start, end] UTC timestamps`);
  if (!Array.isArray(raw)) throw bad();
  const points = (Array.isArray(labels.labels?.[key]) ? (labels.labels![key] as unknown[]) : []).map((p) => parseUtc(String(p)));
  return raw.map((w) => {
    if (!Array.isArray(w) || w.length !== 2) throw bad();
    const start = parseUtc(String(w[0]));
    const end = parseUtc(String(w[1]));
    if (!Number.isFinite(start) || !Number.isFinite(end) || end < start) throw bad();
    const inside = points.filter((p) => p >= start && p <= end).sort((a, b) => a - b);
    return inside.length === 0 ? { start, end } : { start, end, point: inside[0], points: inside };
  });
}

/** Reads a `timestamp,value` CSV onto a regular grid whose step is the most common gap between rows. */
export async function readVolumeCsv(file: string): Promise<VolumeSeries> {
  const rows = await readTableAll(file);
  requireColumns(file, rows, ['timestamp', 'value']);
  const times = new Float64Array(rows.length);
  const values = new Float64Array(rows.length);
  rows.forEach((r, i) => {
    times[i] = parseUtc(r.timestamp);
    values[i] = Number(r.value);
    if (!Number.isFinite(times[i])) throw new Error(`${file}: data row ${i + 1} has an unreadable timestamp "${r.timestamp}" (want YYYY-MM-DD HH:MM:SS, UTC)`);
    if (!Number.isFinite(values[i]) || values[i] < 0) throw new Error(`${file}: data row ${i + 1} has value "${r.value}"; want a count >= 0`);
  });
  if (rows.length < 2) throw new Error(`${file}: needs at least 2 rows to know the bucket size`);
  const gaps = new Map<number, number>();
  for (let i = 1; i < times.length; i++) {
    const g = times[i] - times[i - 1];
    if (g > 0) gaps.set(g, (gaps.get(g) ?? 0) + 1);
  }
  if (gaps.size === 0) throw new Error(`${file}: all rows have the same timestamp`);
  const bucketMs = [...gaps].sort((a, b) => b[1] - a[1])[0][0];
  return regularize(times, values, bucketMs);
}

export async function evaluateTrends(opts: TrendsEvalOptions): Promise<TrendsEvalResult> {
  const started = performance.now();
  if (opts.series.length === 0) throw new Error('give at least one --series file');
  const detector = opts.detector ?? 'nb';
  if (detector !== 'nb' && detector !== 'ewma' && detector !== 'fixed') throw new Error(`detector must be nb, ewma or fixed, got ${String(detector)}`);
  const horizon = opts.horizon ?? 1;
  if (!Number.isInteger(horizon) || horizon < 1) throw new Error(`--horizon must be a positive integer, got ${horizon}`);
  const labels = readLabels(opts.labels);
  // Check every key before the slow part, so a wrong file list fails at once.
  const windows = opts.series.map((file) => windowsFor(labels, opts.labels, file));
  const series = await Promise.all(opts.series.map(readVolumeCsv));
  const bucketMs = series[0].bucketMs;
  const mismatch = series.findIndex((s) => s.bucketMs !== bucketMs);
  if (mismatch >= 0)
    throw new Error(
      `${opts.series[mismatch]}: bucket size ${series[mismatch].bucketMs / 60_000} min differs from ${bucketMs / 60_000} min of ${opts.series[0]}`,
    );
  const seasonality = Math.round(DAY_MS / bucketMs);
  if (series.some((s) => s.values.length < 4 * seasonality)) throw new Error('every series needs at least 4 days of buckets (2 to fit, the rest to test)');
  const labelled: LabelledSeries[] = series.map((s, i) => ({ key: labelKey(opts.series[i]), start: s.start, bucketMs, values: s.values, windows: windows[i] }));

  // Alarms (bucket indices) of the reported detector, and the folds that chose its settings.
  let folds: TrendsFold[] | null = null;
  let chosen: Array<ChosenSettings | undefined> = series.map(() => undefined);
  let alarmIdx: number[][];
  const ewma = { ...burstOptionsFor(bucketMs), ...opts.detectorOptions };
  const fixedIdx = series.map((s) => fixedThresholdAlarms(s.values, { warmup: ewma.warmup, refractory: ewma.refractory }).map((a) => a.index));
  if (detector === 'nb' && series.length >= 2) {
    const result = leaveOneSeriesOut(labelled, opts.grid ?? DEFAULT_TUNING_GRID);
    folds = result.map((f) => ({
      heldOut: f.heldOut,
      ...f.chosen,
      threshold: round(f.chosen.threshold),
      trainF1: round(f.trainF1),
      trainFalseAlarmsPerDay: round(f.trainFalseAlarmsPerDay),
      heldOutFalseAlarmsPerDay: round(f.heldOutFalseAlarmsPerDay),
    }));
    chosen = result.map((f) => ({ ...f.chosen, threshold: round(f.chosen.threshold) }));
    alarmIdx = result.map((f) => f.alarms);
  } else if (detector === 'nb') {
    alarmIdx = series.map((s) => scoreCountBursts(s.values, countBurstOptionsFor(bucketMs)).alarms);
  } else if (detector === 'ewma') {
    alarmIdx = series.map((s) => detectBursts(s.values, ewma).alarms.map((a) => a.index));
  } else {
    alarmIdx = fixedIdx;
  }
  const times = (idx: number[][]) => idx.map((list, i) => list.map((b) => bucketTime(series[i], b)));
  const alarmTimes = times(alarmIdx);
  const detection = scoreDetectionsPooled(alarmTimes.map((alarms, i) => ({ alarms, windows: windows[i] })));
  const fixed = scoreDetectionsPooled(times(fixedIdx).map((alarms, i) => ({ alarms, windows: windows[i] })));
  const falseRates = alarmIdx.map((idx, i) => falseAlarmsPerDay(labelled[i], idx));
  const fixedFalseRates = fixedIdx.map((idx, i) => falseAlarmsPerDay(labelled[i], idx));
  const forecasts = evaluateForecasts(
    series.map((s) => s.values),
    { seasonality, horizon },
  );

  return {
    detector,
    protocol: folds ? 'leave-one-series-out' : 'default settings',
    series: series.length,
    ...summarise(detection.overall, pooledRate(labelled, alarmIdx)),
    folds,
    mase: round(forecasts.mase),
    seasonalNaiveMase: round(forecasts.seasonalNaiveMase),
    coverage: round(forecasts.coverage),
    horizon,
    baselines: {
      fixedThreshold: {
        ...summarise(fixed.overall, pooledRate(labelled, fixedIdx)),
        perSeries: fixed.perSeries.map((d, i) => ({
          key: labelled[i].key,
          f1: round(d.f1),
          windowRecall: round(d.windowRecall),
          alarmPrecision: round(d.alarmPrecision),
          meanDelayMinutes: roundOrNull(d.meanDelayMinutes),
          falseAlarmsPerDay: round(fixedFalseRates[i]),
        })),
      },
      seasonalNaive: { mase: round(forecasts.seasonalNaiveMase) },
    },
    earlinessFrontier: earlinessFrontier(labelled).map((e) => ({
      ...e,
      windowRecall: round(e.windowRecall),
      meanDelayMinutes: roundOrNull(e.meanDelayMinutes),
      falseAlarmsPerDay: round(e.falseAlarmsPerDay, 3),
    })),
    seconds: round((performance.now() - started) / 1000, 2),
    perSeries: series.map((s, i) => ({
      key: labelled[i].key,
      buckets: s.values.length,
      missingBuckets: missingCount(s.values),
      ...detection.perSeries[i],
      ...summarise(detection.perSeries[i], falseRates[i]),
      mase: round(forecasts.perSeries[i].mase),
      seasonalNaiveMase: round(forecasts.perSeries[i].seasonalNaiveMase),
      coverage: round(forecasts.perSeries[i].coverage),
      alarms: alarmTimes[i].map(formatUtc),
      ...(chosen[i] ? { chosen: chosen[i] } : {}),
    })),
  };
}

/** False alarms per day pooled over series: all false alarms over all normal days. */
function pooledRate(series: readonly LabelledSeries[], alarms: readonly number[][]): number {
  let falseAlarms = 0;
  let days = 0;
  series.forEach((s, i) => {
    const rate = falseAlarmsPerDay(s, alarms[i]);
    const days_ = normalDays(s);
    falseAlarms += rate * days_;
    days += days_;
  });
  return days > 0 ? falseAlarms / days : 0;
}

function summarise(d: DetectionScore, falseRate: number): DetectionSummary {
  return {
    windowRecall: round(d.windowRecall),
    alarmPrecision: round(d.alarmPrecision),
    f1: round(d.f1),
    meanLeadMinutes: roundOrNull(d.meanLeadMinutes),
    meanDelayMinutes: roundOrNull(d.meanDelayMinutes),
    meanDelayAfterLabelMinutes: roundOrNull(d.meanDelayAfterLabelMinutes),
    meanLabelOffsetMinutes: roundOrNull(d.meanLabelOffsetMinutes),
    falseAlarmsPerDay: round(falseRate),
  };
}

const round = (x: number, digits = 4) => Number(x.toFixed(digits));
const roundOrNull = (x: number | null) => (x === null ? null : round(x, 1));

function formatText(r: TrendsEvalResult): string {
  const f = r.baselines.fixedThreshold;
  const na = (x: number | null) => (x === null ? 'n/a' : String(x));
  const lines = [
    `trends: ${r.series} series, detector ${r.detector} (${r.protocol}), forecast horizon ${r.horizon} bucket(s)`,
    `                          detector   baseline: fixed mean + 3 sd`,
    `windowRecall              ${String(r.windowRecall).padEnd(10)} ${f.windowRecall}`,
    `alarmPrecision            ${String(r.alarmPrecision).padEnd(10)} ${f.alarmPrecision}`,
    `f1                        ${String(r.f1).padEnd(10)} ${f.f1}`,
    `falseAlarmsPerDay         ${String(r.falseAlarmsPerDay).padEnd(10)} ${f.falseAlarmsPerDay}`,
    `meanDelayMinutes          ${na(r.meanDelayMinutes).padEnd(10)} ${na(f.meanDelayMinutes)}  (after window start; alarms exactly at the labels: ${na(r.meanLabelOffsetMinutes)})`,
    `meanDelayAfterLabel       ${na(r.meanDelayAfterLabelMinutes).padEnd(10)} ${na(f.meanDelayAfterLabelMinutes)}  (minutes after the labelled instant)`,
    `mase                      ${r.mase} Holt-Winters, ${r.baselines.seasonalNaive.mase} seasonal naive (90% interval coverage ${r.coverage})`,
    `earliness cost            ${r.earlinessFrontier
      .map((e) => `k ${e.multiplier}: delay ${na(e.meanDelayMinutes)} min, ${e.windowsWithin1h}/${e.windows} within 1 h, ${e.falseAlarmsPerDay} FA/day`)
      .join('; ')}`,
    `                          (a rule alarming above k × the hour-of-week median of the whole series: what a first alarm near each window's start costs in false alarms)`,
    `seconds                   ${r.seconds}`,
    ...r.perSeries
      .filter((s) => s.missingBuckets > 0)
      .map((s) => `missing          ${s.key}: ${s.missingBuckets} of ${s.buckets} buckets have no row (treated as missing, not as zero)`),
    '',
    'series                                   windows  alarms  recall  precision  f1      delay(min)  FA/day  mase   chosen on the other series',
    ...r.perSeries.map(
      (s) =>
        `${s.key.padEnd(40)} ${`${s.detectedWindows}/${s.windows}`.padStart(7)} ${String(s.alarmGroups).padStart(7)}  ${s.windowRecall
          .toFixed(2)
          .padStart(
            6,
          )}  ${s.alarmPrecision.toFixed(2).padStart(9)}  ${s.f1.toFixed(2).padStart(6)}  ${na(s.meanDelayMinutes).padStart(10)}  ${s.falseAlarmsPerDay.toFixed(3).padStart(6)}  ${s.mase.toFixed(3)}  ${
          s.chosen ? `${JSON.stringify(s.chosen.model)} at ${s.chosen.targetFalseAlarmsPerDay}/day (threshold ${s.chosen.threshold})` : ''
        }`,
    ),
  ];
  return lines.join('\n') + '\n';
}

export function registerTrendsEval(evalCmd: Command): void {
  evalCmd
    .command('trends')
    .description('score burst alarms against labelled anomaly windows and volume forecasts against seasonal naive')
    .requiredOption('--series <files...>', 'CSV files with timestamp,value (UTC)')
    .requiredOption('--labels <file>', 'labels.json with anomaly windows keyed by realTweets/<file name>')
    .option(
      '--detector <name>',
      'nb (default: the count burst detector, tuned leave-one-series-out), ewma (the earlier z-score detector) or fixed (the mean + 3 sd baseline)',
    )
    .option('--horizon <n>', 'forecast horizon in buckets (default 1)')
    .option('--json', 'print one JSON object')
    .action(async (o: { series: string[]; labels: string; detector?: string; horizon?: string; json?: boolean }) => {
      const result = await evaluateTrends({
        series: o.series,
        labels: o.labels,
        detector: o.detector as TrendDetector | undefined,
        horizon: o.horizon === undefined ? undefined : Number(o.horizon),
      });
      printEval(result, o.json, formatText);
    });
}
