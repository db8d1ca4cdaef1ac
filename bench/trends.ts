/**
 * Trend benchmark on NAB realTweets (five companies' tweet volume, 5-minute buckets, labelled anomaly
 * windows): the count burst detector evaluated leave-one-series-out (each series scored with settings
 * and a threshold chosen on the other four), beside the fixed mean + 3 sd threshold and, for the
 * forecast, the seasonal naive forecast, all from the same `eval trends` run. The earlier EWMA z-score
 * detector (its settings were picked on AAPL) is shown for comparison.
 *
 *   npx tsx bench/trends.ts [dataDir]
 */
import { isMain, runStandalone } from './standalone';
import fs from 'node:fs';
import path from 'node:path';
import { evaluateTrends, type DetectionSummary, type TrendsEvalResult } from '../cli/eval/trends';
import { sharedDataDir } from '../lib/paths';

export interface TrendsBench {
  series: string[];
  /** the count burst detector, leave-one-series-out, with its baselines from the same run */
  detector: TrendsEvalResult;
  /** the earlier EWMA z-score detector with its fixed defaults */
  ewma: DetectionSummary;
}

const detection = (r: TrendsEvalResult): DetectionSummary => ({
  windowRecall: r.windowRecall,
  alarmPrecision: r.alarmPrecision,
  f1: r.f1,
  meanLeadMinutes: r.meanLeadMinutes,
  meanDelayMinutes: r.meanDelayMinutes,
  meanDelayAfterLabelMinutes: r.meanDelayAfterLabelMinutes,
  meanLabelOffsetMinutes: r.meanLabelOffsetMinutes,
  falseAlarmsPerDay: r.falseAlarmsPerDay,
});

export async function benchTrends(dataDir: string = sharedDataDir()): Promise<TrendsBench | { skipped: string }> {
  const dir = path.join(dataDir, 'nab-tweets');
  const labels = path.join(dir, 'labels.json');
  if (!fs.existsSync(labels)) return { skipped: `${labels} not found (set SOCIALSENSE_SHARED_DATA to the shared data folder)` };
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.csv'))
    .sort();
  const all = files.map((f) => path.join(dir, f));
  return {
    series: files,
    detector: await evaluateTrends({ series: all, labels }),
    ewma: detection(await evaluateTrends({ series: all, labels, detector: 'ewma' })),
  };
}

function markdown(r: TrendsBench): string {
  const d = r.detector;
  const row = (name: string, s: DetectionSummary) =>
    `| ${name} | ${s.windowRecall} | ${s.alarmPrecision} | ${s.f1} | ${s.falseAlarmsPerDay} | ${s.meanDelayMinutes ?? 'n/a'} | ${s.meanDelayAfterLabelMinutes ?? 'n/a'} |`;
  return [
    `NAB realTweets, ${r.series.length} series (${r.series.join(', ')}); ${d.protocol}`,
    '',
    '| detector | window recall | alarm precision | f1 | false alarms / day | delay after window start (min) | delay after label (min) |',
    '|---|---|---|---|---|---|---|',
    row('count NB surprise (leave-one-series-out)', d),
    row('baseline: fixed mean + 3 sd', d.baselines.fixedThreshold),
    row('earlier: seasonal EWMA z (settings from AAPL)', r.ewma),
    '',
    `An alarm exactly at every labelled instant would come ${d.meanLabelOffsetMinutes ?? 'n/a'} min after its window's start.`,
    '',
    '| held out | chosen on the other series | threshold | f1 | false alarms / day (train → held out) |',
    '|---|---|---|---|---|',
    ...(d.folds ?? []).map(
      (f, i) =>
        `| ${f.heldOut} | ${JSON.stringify(f.model)} at ${f.targetFalseAlarmsPerDay}/day | ${f.threshold} | ${d.perSeries[i].f1} | ${f.trainFalseAlarmsPerDay} → ${f.heldOutFalseAlarmsPerDay} |`,
    ),
    '',
    '| forecast (1 bucket ahead) | MASE | 90% interval coverage |',
    '|---|---|---|',
    `| Holt-Winters on log1p | ${d.mase} | ${d.coverage} |`,
    `| baseline: seasonal naive | ${d.baselines.seasonalNaive.mase} | |`,
  ].join('\n');
}

if (isMain(import.meta.url)) await runStandalone('trends', benchTrends, markdown);
