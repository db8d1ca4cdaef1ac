import { describe, expect, it } from 'vitest';
import { createRng } from '../../models/random';
import { BurstDetector, detectBursts, fixedThresholdAlarms } from '../../models/trends/burst';
import {
  evaluateForecast,
  mergeAlarms,
  scoreDetections,
  scoreDetectionsPooled,
  type AnomalyWindow,
} from '../../models/trends/evaluate';
import { mase, quantileSorted, rollingForecast, seasonalNaive } from '../../models/trends/forecast';
import { bucketCounts, bucketTime, regularize, volumeSeriesByKey } from '../../models/trends/series';

const MIN = 60_000;
const PER_DAY = 288; // 5-minute buckets

/** Poisson-like counts around a daily cycle (mean ~100, night at a third of the day). */
function dailyVolume(days: number, seed: number, base = 100): Float64Array {
  const rng = createRng(seed);
  return Float64Array.from({ length: days * PER_DAY }, (_, i) => {
    const mean = base * (1 + 0.5 * Math.sin((2 * Math.PI * i) / PER_DAY));
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * rng.normal()));
  });
}

describe('volume series', () => {
  it('counts per bucket and fills empty buckets with 0', () => {
    const s = bucketCounts([0, 1, 12 * MIN, 4 * MIN], { bucketMs: 5 * MIN });
    expect(s.start).toBe(0);
    expect(Array.from(s.values)).toEqual([3, 0, 1]);
    expect(bucketTime(s, 2)).toBe(10 * MIN);
  });
  it('aligns keys on one grid', () => {
    const byKey = volumeSeriesByKey(
      [
        { key: '#a', time: 0 },
        { key: '#b', time: 11 * MIN },
        { key: '#a', time: 6 * MIN },
      ],
      { bucketMs: 5 * MIN },
    );
    expect(Array.from(byKey.get('#a')!.values)).toEqual([1, 1, 0]);
    expect(Array.from(byKey.get('#b')!.values)).toEqual([0, 0, 1]);
  });
  it('regularizes (time, value) rows, keeping their phase and filling gaps', () => {
    const s = regularize([30_000, 330_000, 930_000], [4, 5, 6], 5 * MIN);
    expect(s.start).toBe(30_000);
    expect(Array.from(s.values)).toEqual([4, 5, 0, 6]);
  });
});

describe('burst detection', () => {
  it.each([
    [5, 3],
    [3, 8],
  ])('flags a planted %dx burst within %d buckets of its start', (factor, maxDelay) => {
    // The default smoothing (chosen for precision on NAB) trades delay for precision: a 5x surge is
    // flagged within ~15 minutes, a 3x surge within ~30.
    const values = dailyVolume(6, 1);
    const start = 4 * PER_DAY + 100;
    for (let i = start; i < start + 24; i++) values[i] *= factor; // two hours
    const { alarms } = detectBursts(values);
    const hit = alarms.find((a) => a.index >= start);
    expect(hit).toBeDefined();
    expect(hit!.index - start).toBeLessThanOrEqual(maxDelay);
    expect(alarms.filter((a) => a.index < start)).toEqual([]);
    // one event, one alarm: the refractory period covers the rest of the surge
    expect(alarms.filter((a) => a.index >= start && a.index < start + 24)).toHaveLength(1);
  });
  it('raises (almost) nothing on a flat noisy series', () => {
    const rng = createRng(2);
    const flat = Float64Array.from({ length: 10 * PER_DAY }, () => Math.max(0, Math.round(20 + 4.5 * rng.normal())));
    expect(detectBursts(flat, { seasonality: 0 }).alarms.length).toBeLessThanOrEqual(1);
    expect(detectBursts(dailyVolume(10, 3)).alarms.length).toBeLessThanOrEqual(1);
  });
  it('ignores single posts in a near-silent series', () => {
    const values = new Float64Array(6 * PER_DAY);
    for (let i = 0; i < values.length; i += 37) values[i] = 1;
    expect(detectBursts(values).alarms).toEqual([]);
  });
  it('streams the same scores as the batch form', () => {
    const values = dailyVolume(3, 4);
    const detector = new BurstDetector({ warmup: 10 });
    const streamed = Array.from(values, (v) => detector.push(v).score);
    expect(streamed).toEqual(Array.from(detectBursts(values, { warmup: 10 }).scores));
  });
  it('fixed-threshold baseline: mean + 3 sd of the warm-up, with refractory', () => {
    const values = [1, 2, 3, 2, 1, 2, 3, 2, 50, 50, 1, 50];
    // warm-up of 8: mean 2, sd sqrt(4/7) → threshold 4.27
    expect(fixedThresholdAlarms(values, { warmup: 8, refractory: 2 }).map((a) => a.index)).toEqual([8, 11]);
  });
});

describe('forecasting', () => {
  it('seasonal naive scored against itself has MASE 1', () => {
    const values = dailyVolume(3, 5);
    const naive = seasonalNaive(values, PER_DAY);
    expect(mase(values.subarray(PER_DAY), naive.subarray(PER_DAY), values, PER_DAY)).toBeCloseTo(1, 12);
    expect(mase([1, 2], [1, 2], [0, 1, 0, 1], 1)).toBe(0);
  });
  it('prediction intervals cover about the nominal share of synthetic noise', () => {
    const rng = createRng(6);
    const m = 24;
    const values = Float64Array.from({ length: 80 * m }, (_, i) => 200 + 60 * Math.sin((2 * Math.PI * i) / m) + 15 * rng.normal());
    const trainLength = 30 * m;
    const rf = rollingForecast(values, { seasonality: m, trainLength, level: 0.8, transform: 'none' });
    let inside = 0;
    for (let i = trainLength; i < values.length; i++) if (values[i] >= rf.lower[i] && values[i] <= rf.upper[i]) inside++;
    const coverage = inside / (values.length - trainLength);
    expect(coverage).toBeGreaterThan(0.74);
    expect(coverage).toBeLessThan(0.86);
    // and the point forecast beats seasonal naive on the same data
    expect(evaluateForecast(values, { seasonality: m, trainShare: 0.375 }).mase).toBeLessThan(1);
  });
  it('interpolates quantiles like R type 7', () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileSorted([1, 2, 3, 4], 0.9)).toBeCloseTo(3.7, 12);
  });
});

describe('NAB-style detection metrics', () => {
  // times in minutes; windows [100, 200] and [500, 600]
  const windows: AnomalyWindow[] = [
    { start: 100 * MIN, end: 200 * MIN },
    { start: 500 * MIN, end: 600 * MIN },
  ];
  const alarms = [90, 120, 150, 185, 300, 330].map((m) => m * MIN);

  it('merges alarms closer than an hour to the first of their group', () => {
    // 90 ← 120 (30 min); 150 is 60 min after 90: new group ← 185; 300 ← 330
    expect(mergeAlarms(alarms).map((t) => t / MIN)).toEqual([90, 150, 300]);
    expect(mergeAlarms([0, 59, 118, 177].map((m) => m * MIN)).map((t) => t / MIN)).toEqual([0, 118]);
  });

  it('matches hand-computed recall, precision, f1 and lead', () => {
    const s = scoreDetections({ alarms, windows });
    expect(s.windowRecall).toBe(0.5); // window 1 has alarms, window 2 none
    expect(s.alarmGroups).toBe(3);
    expect(s.truePositiveGroups).toBe(1); // the group starting at 150; the one starting at 90 is outside
    expect(s.alarmPrecision).toBeCloseTo(1 / 3, 12);
    expect(s.f1).toBeCloseTo(0.4, 12); // 2·(1/3)(1/2) / (1/3 + 1/2)
    // first alarm inside window 1 is 120; centre 150 → 30 minutes early; 20 minutes after the start
    expect(s.meanLeadMinutes).toBeCloseTo(30, 12);
    expect(s.meanDelayMinutes).toBeCloseTo(20, 12);
    // with a labelled instant the lead is measured to it
    expect(scoreDetections({ alarms, windows: [{ ...windows[0], point: 110 * MIN }] }).meanLeadMinutes).toBeCloseTo(-10, 12);
  });

  it('pools counts over series and handles empty cases', () => {
    const pooled = scoreDetectionsPooled([
      { alarms, windows },
      { alarms: [520 * MIN], windows: [windows[1]] },
    ]);
    expect(pooled.overall.windowRecall).toBeCloseTo(2 / 3, 12);
    expect(pooled.overall.alarmPrecision).toBeCloseTo(2 / 4, 12);
    expect(pooled.overall.meanLeadMinutes).toBeCloseTo((30 + 30) / 2, 12);
    expect(pooled.perSeries[1].f1).toBe(1);
    const none = scoreDetections({ alarms: [], windows });
    expect(none.windowRecall).toBe(0);
    expect(none.alarmPrecision).toBe(1);
    expect(none.f1).toBe(0);
    expect(none.meanLeadMinutes).toBeNull();
  });
});
