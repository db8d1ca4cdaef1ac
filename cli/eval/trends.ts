/**
 * `eval trends`: runs the burst detector and the volume forecaster over labelled volume series
 * (NAB realTweets format) and scores alarms against the anomaly windows and forecasts against the
 * seasonal naive forecast.
 */
import { printEval } from './output';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { readTableAll, requireColumns } from '../../lib/tabular';
import { burstOptionsFor, detectBursts, fixedThresholdAlarms, type Alarm, type BurstOptions } from '../../models/trends/burst';
import {
  evaluateForecasts,
  scoreDetectionsPooled,
  type AnomalyWindow,
  type DetectionScore,
} from '../../models/trends/evaluate';
import { DAY_MS, bucketTime, regularize, type VolumeSeries } from '../../models/trends/series';

export type TrendDetector = 'ewma' | 'fixed';

export interface TrendsEvalOptions {
  /** CSV files with `timestamp,value` (UTC timestamps like 2015-02-26 21:42:53) */
  series: string[];
  /** labels.json in NAB's format: { windows: { "realTweets/<file>": [[start, end], ...] }, labels?: {...} } */
  labels: string;
  /** 'ewma' (default): the seasonal EWMA burst detector; 'fixed': the mean + 3 sd baseline */
  detector?: TrendDetector;
  /** overrides of the detector's defaults (the defaults are what is reported) */
  detectorOptions?: BurstOptions;
  /** forecast horizon in buckets (default 1) */
  horizon?: number;
}

export interface TrendSeriesResult extends DetectionScore {
  key: string;
  buckets: number;
  mase: number;
  seasonalNaiveMase: number;
  coverage: number;
  /** alarm times, UTC "YYYY-MM-DD HH:MM:SS" like the input */
  alarms: string[];
}

export interface TrendsEvalResult {
  detector: TrendDetector;
  series: number;
  windowRecall: number;
  alarmPrecision: number;
  f1: number;
  /** minutes between the first in-window alarm and the labelled anomaly instant (positive = earlier) */
  meanLeadMinutes: number | null;
  /** minutes between the window start and its first alarm */
  meanDelayMinutes: number | null;
  /** mean over series of the Holt-Winters rolling-origin MASE */
  mase: number;
  /** the same for the seasonal naive forecast (≈ 1) */
  seasonalNaiveMase: number;
  /** mean share of test values inside the 90% prediction interval */
  coverage: number;
  horizon: number;
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
    const point = points.find((p) => p >= start && p <= end);
    return point === undefined ? { start, end } : { start, end, point };
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
  const detector = opts.detector ?? 'ewma';
  if (detector !== 'ewma' && detector !== 'fixed') throw new Error(`detector must be ewma or fixed, got ${String(detector)}`);
  const horizon = opts.horizon ?? 1;
  if (!Number.isInteger(horizon) || horizon < 1) throw new Error(`--horizon must be a positive integer, got ${horizon}`);
  const labels = readLabels(opts.labels);
  // Check every key before the slow part, so a wrong file list fails at once.
  const windows = opts.series.map((file) => windowsFor(labels, opts.labels, file));
  const series = await Promise.all(opts.series.map(readVolumeCsv));
  const bucketMs = series[0].bucketMs;
  const mismatch = series.findIndex((s) => s.bucketMs !== bucketMs);
  if (mismatch >= 0) throw new Error(`${opts.series[mismatch]}: bucket size ${series[mismatch].bucketMs / 60_000} min differs from ${bucketMs / 60_000} min of ${opts.series[0]}`);
  const seasonality = Math.round(DAY_MS / bucketMs);
  if (series.some((s) => s.values.length < 4 * seasonality)) throw new Error('every series needs at least 4 days of buckets (2 to fit, the rest to test)');

  const detectorOptions = { ...burstOptionsFor(bucketMs), ...opts.detectorOptions };
  const alarmsOf = (s: VolumeSeries): Alarm[] =>
    detector === 'ewma'
      ? detectBursts(s.values, detectorOptions).alarms
      : fixedThresholdAlarms(s.values, { warmup: detectorOptions.warmup, refractory: detectorOptions.refractory });
  const alarmTimes = series.map((s) => alarmsOf(s).map((a) => bucketTime(s, a.index)));
  const detection = scoreDetectionsPooled(alarmTimes.map((alarms, i) => ({ alarms, windows: windows[i] })));
  const forecasts = evaluateForecasts(
    series.map((s) => s.values),
    { seasonality, horizon },
  );

  return {
    detector,
    series: series.length,
    windowRecall: round(detection.overall.windowRecall),
    alarmPrecision: round(detection.overall.alarmPrecision),
    f1: round(detection.overall.f1),
    meanLeadMinutes: roundOrNull(detection.overall.meanLeadMinutes),
    meanDelayMinutes: roundOrNull(detection.overall.meanDelayMinutes),
    mase: round(forecasts.mase),
    seasonalNaiveMase: round(forecasts.seasonalNaiveMase),
    coverage: round(forecasts.coverage),
    horizon,
    seconds: round((performance.now() - started) / 1000, 2),
    perSeries: series.map((s, i) => ({
      key: labelKey(opts.series[i]),
      buckets: s.values.length,
      ...detection.perSeries[i],
      windowRecall: round(detection.perSeries[i].windowRecall),
      alarmPrecision: round(detection.perSeries[i].alarmPrecision),
      f1: round(detection.perSeries[i].f1),
      meanLeadMinutes: roundOrNull(detection.perSeries[i].meanLeadMinutes),
      meanDelayMinutes: roundOrNull(detection.perSeries[i].meanDelayMinutes),
      mase: round(forecasts.perSeries[i].mase),
      seasonalNaiveMase: round(forecasts.perSeries[i].seasonalNaiveMase),
      coverage: round(forecasts.perSeries[i].coverage),
      alarms: alarmTimes[i].map(formatUtc),
    })),
  };
}

const round = (x: number, digits = 4) => Number(x.toFixed(digits));
const roundOrNull = (x: number | null) => (x === null ? null : round(x, 1));

function formatText(r: TrendsEvalResult): string {
  const lines = [
    `trends: ${r.series} series, detector ${r.detector}, forecast horizon ${r.horizon} bucket(s)`,
    `windowRecall     ${r.windowRecall}`,
    `alarmPrecision   ${r.alarmPrecision}`,
    `f1               ${r.f1}`,
    `meanLeadMinutes  ${r.meanLeadMinutes ?? 'n/a'} (before the labelled instant; delay after window start ${r.meanDelayMinutes ?? 'n/a'})`,
    `mase             ${r.mase} (seasonal naive ${r.seasonalNaiveMase}; 90% interval coverage ${r.coverage})`,
    `seconds          ${r.seconds}`,
    '',
    'series                                   windows  alarms  recall  precision  f1      lead(min)  mase',
    ...r.perSeries.map(
      (s) =>
        `${s.key.padEnd(40)} ${`${s.detectedWindows}/${s.windows}`.padStart(7)} ${String(s.alarmGroups).padStart(7)}  ${s.windowRecall
          .toFixed(2)
          .padStart(6)}  ${s.alarmPrecision.toFixed(2).padStart(9)}  ${s.f1.toFixed(2).padStart(6)}  ${String(s.meanLeadMinutes ?? 'n/a').padStart(9)}  ${s.mase.toFixed(3)}`,
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
    .option('--detector <name>', 'ewma (default) or fixed (the mean + 3 sd baseline)')
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
