/**
 * Trend benchmark on NAB realTweets (five companies' tweet volume, 5-minute buckets, labelled anomaly
 * windows): the burst detector beside the fixed-threshold baseline, and the forecast beside seasonal
 * naive (MASE 1 by construction of the scale, up to train/test drift). The detector's threshold was
 * chosen on the AAPL series, so the four other series are also reported on their own (held out).
 *
 *   npx tsx bench/trends.ts [dataDir]
 */
import { isMain, runStandalone } from './standalone';
import fs from 'node:fs';
import path from 'node:path';
import { evaluateTrends, type TrendsEvalResult } from '../cli/eval/trends';
import { sharedDataDir } from '../lib/paths';

/** the series the detector's threshold was picked on (models/trends/burst.ts) */
export const TUNING_SERIES = 'Twitter_volume_AAPL.csv';

type Summary = Omit<TrendsEvalResult, 'perSeries'>;

export interface TrendsBench {
  series: string[];
  detector: TrendsEvalResult;
  /** the detector on the four series that played no part in choosing it */
  detectorHeldOut: Summary;
  fixedThreshold: Summary;
  fixedThresholdHeldOut: Summary;
}

const summary = ({ perSeries: _, ...rest }: TrendsEvalResult): Summary => rest;

export async function benchTrends(dataDir: string = sharedDataDir()): Promise<TrendsBench | { skipped: string }> {
  const dir = path.join(dataDir, 'nab-tweets');
  const labels = path.join(dir, 'labels.json');
  if (!fs.existsSync(labels)) return { skipped: `${labels} not found (set SOCIALSENSE_SHARED_DATA to the shared data folder)` };
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.csv'))
    .sort();
  const all = files.map((f) => path.join(dir, f));
  const heldOut = files.filter((f) => f !== TUNING_SERIES).map((f) => path.join(dir, f));
  return {
    series: files,
    detector: await evaluateTrends({ series: all, labels }),
    detectorHeldOut: summary(await evaluateTrends({ series: heldOut, labels })),
    fixedThreshold: summary(await evaluateTrends({ series: all, labels, detector: 'fixed' })),
    fixedThresholdHeldOut: summary(await evaluateTrends({ series: heldOut, labels, detector: 'fixed' })),
  };
}

function markdown(r: TrendsBench): string {
  const row = (name: string, s: Summary) =>
    `| ${name} | ${s.windowRecall} | ${s.alarmPrecision} | ${s.f1} | ${s.meanLeadMinutes ?? 'n/a'} | ${s.meanDelayMinutes ?? 'n/a'} |`;
  return [
    `NAB realTweets, ${r.series.length} series (${r.series.join(', ')})`,
    '',
    '| detector | window recall | alarm precision | f1 | lead (min) | delay (min) |',
    '|---|---|---|---|---|---|',
    row('seasonal EWMA z (all)', r.detector),
    row('seasonal EWMA z (held out: not AAPL)', r.detectorHeldOut),
    row('baseline: fixed mean + 3 sd (all)', r.fixedThreshold),
    row('baseline: fixed mean + 3 sd (held out)', r.fixedThresholdHeldOut),
    '',
    '| forecast (1 bucket ahead) | MASE | 90% interval coverage |',
    '|---|---|---|',
    `| Holt-Winters on log1p | ${r.detector.mase} | ${r.detector.coverage} |`,
    `| baseline: seasonal naive | ${r.detector.seasonalNaiveMase} | |`,
  ].join('\n');
}

if (isMain(import.meta.url)) await runStandalone('trends', benchTrends, markdown);
