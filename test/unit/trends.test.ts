import { describe, expect, it } from 'vitest';
import { createRng } from '../../models/random';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { evaluateTrends, readVolumeCsv } from '../../cli/eval/trends';
import { BurstDetector, burstOptionsFor, detectBursts, fixedThresholdAlarms } from '../../models/trends/burst';
import { evaluateForecast, mergeAlarms, scoreDetections, scoreDetectionsPooled, type AnomalyWindow } from '../../models/trends/evaluate';
import { mase, quantileSorted, rollingForecast, seasonalNaive } from '../../models/trends/forecast';
import { alarmsAt, calibrateThreshold, CountBurstDetector, countBurstOptionsFor, falseAlarmRate, scoreCountBursts } from '../../models/trends/countBurst';
import { logGamma, logNegBinomialUpperTail, logPoissonUpperTail, poissonQuantile, tailSurprise } from '../../models/trends/countTail';
import { earlinessFrontier } from '../../models/trends/earliness';
import { falseAlarmsPerDay, leaveOneSeriesOut, normalMask, type LabelledSeries } from '../../models/trends/tuning';
import type { Rng } from '../../models/random';
import { bucketCounts, bucketTime, coveredBuckets, HOUR_MS, missingCount, regularize, volumeSeriesByKey } from '../../models/trends/series';

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
  it('regularizes (time, value) rows, keeping their phase and marking gaps missing, not zero', () => {
    const s = regularize([30_000, 330_000, 930_000], [4, 5, 6], 5 * MIN);
    expect(s.start).toBe(30_000);
    expect(Array.from(s.values)).toEqual([4, 5, NaN, 6]);
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
    // delay after the label: from the latest label at or before the first in-window alarm (120)
    expect(scoreDetections({ alarms, windows: [{ ...windows[0], point: 110 * MIN, points: [110 * MIN, 190 * MIN] }] }).meanDelayAfterLabelMinutes).toBeCloseTo(
      10,
      12,
    );
    expect(scoreDetections({ alarms, windows: [{ ...windows[0], points: [105 * MIN, 115 * MIN] }] }).meanDelayAfterLabelMinutes).toBeCloseTo(5, 12);
    // an alarm before every label is early (negative)
    expect(scoreDetections({ alarms, windows: [{ ...windows[0], point: 150 * MIN }] }).meanDelayAfterLabelMinutes).toBeCloseTo(-30, 12);
    // alarms exactly at the labels would be this long after the window starts: 50 and 30 minutes
    expect(
      scoreDetections({
        alarms,
        windows: [
          { ...windows[0], point: 150 * MIN },
          { ...windows[1], point: 530 * MIN },
        ],
      }).meanLabelOffsetMinutes,
    ).toBeCloseTo(40, 12);
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

describe('missing data is not zero volume', () => {
  /** the series with buckets [from, from + n) replaced by `fill` (NaN = missing, 0 = a zero-filled outage) */
  const withGap = (values: Float64Array, from: number, n: number, fill: number) => {
    const out = values.slice();
    out.fill(fill, from, from + n);
    return out;
  };

  it('bucket counts: buckets outside the collected spans are missing, a collected empty bucket is 0', () => {
    const s = bucketCounts([1 * MIN, 6 * MIN, 31 * MIN], {
      bucketMs: 5 * MIN,
      start: 0,
      end: 40 * MIN,
      covered: [
        { start: 0, end: 15 * MIN },
        { start: 25 * MIN, end: 40 * MIN },
      ],
    });
    // bucket 2 (10–15) was collected and empty; 3 and 4 (15–25) were not collected
    expect(Array.from(s.values)).toEqual([1, 1, 0, NaN, NaN, 0, 1, 0]);
    expect(missingCount(s.values)).toBe(2);
    // a bucket only partly inside a span would read as a dip: it is missing too
    expect(Array.from(coveredBuckets({ start: 0, bucketMs: 10 }, 4, [{ start: 5, end: 30 }]))).toEqual([0, 1, 1, 0]);
    const byKey = volumeSeriesByKey(
      [
        { key: '#a', time: 0 },
        { key: '#b', time: 11 * MIN },
      ],
      {
        bucketMs: 5 * MIN,
        covered: [
          { start: 0, end: 5 * MIN },
          { start: 10 * MIN, end: 15 * MIN },
        ],
      },
    );
    expect(Array.from(byKey.get('#a')!.values)).toEqual([1, NaN, 0]);
    expect(Array.from(byKey.get('#b')!.values)).toEqual([0, NaN, 1]);
  });

  it('a gap of 6 buckets and a return to the normal level raise no alarm; the gap gets no score', () => {
    const values = dailyVolume(8, 1);
    const gapStart = 5 * PER_DAY + 3;
    const { alarms, scores } = detectBursts(withGap(values, gapStart, 6, NaN));
    expect(alarms).toEqual([]);
    expect(Array.from(scores.subarray(gapStart, gapStart + 6)).every(Number.isNaN)).toBe(true);
    expect(Number.isFinite(scores[gapStart + 6])).toBe(true);
  });

  it.each([
    ['5-minute buckets, a 2-hour outage', 5 * MIN, 24],
    ['5-minute buckets, a 6-hour outage', 5 * MIN, 72],
    ['hourly buckets, a 3-day outage', HOUR_MS, 72],
  ])('%s: zero-filled it raises false alarms after the outage, missing it raises none', (_, bucketMs, gap) => {
    const perDay = Math.round((24 * 60 * MIN) / bucketMs);
    const rng = createRng(2);
    const values = Float64Array.from({ length: 9 * perDay }, (_, i) => {
      const mean = 100 * (1 + 0.5 * Math.sin((2 * Math.PI * i) / perDay));
      return Math.max(0, Math.round(mean + Math.sqrt(mean) * rng.normal()));
    });
    const gapStart = 5 * perDay + 3;
    const options = burstOptionsFor(bucketMs);
    const zeroFilled = detectBursts(withGap(values, gapStart, gap, 0), options).alarms;
    expect(zeroFilled.length).toBeGreaterThan(0); // the outage dragged the baseline down
    expect(zeroFilled.every((a) => a.index >= gapStart + gap)).toBe(true); // ... and the return looked like a burst
    expect(detectBursts(withGap(values, gapStart, gap, NaN), options).alarms).toEqual([]);
  });

  it('a real burst right after a gap is still flagged', () => {
    const values = withGap(dailyVolume(8, 1), 5 * PER_DAY + 3, 6, NaN);
    const burstStart = 5 * PER_DAY + 9;
    for (let i = burstStart; i < burstStart + 24; i++) values[i] *= 3;
    const { alarms } = detectBursts(values);
    expect(alarms).toHaveLength(1);
    expect(alarms[0].index - burstStart).toBeGreaterThanOrEqual(0);
    expect(alarms[0].index - burstStart).toBeLessThanOrEqual(8); // as fast as without a gap (3x within 8 buckets)
  });

  it('real zeros and the same positions missing give different baselines', () => {
    const values = dailyVolume(4, 7);
    const from = 3 * PER_DAY;
    const next = from + 36;
    /** the volume the detector expects at bucket `index` after seeing the buckets before it (a NaN push asks without changing state) */
    const baselineAt = (series: Float64Array, index: number) => {
      const detector = new BurstDetector();
      for (let i = 0; i < index; i++) detector.push(series[i]);
      return detector.push(NaN).baseline;
    };
    const full = baselineAt(values, next);
    const zeros = baselineAt(withGap(values, from, 36, 0), next);
    const missing = baselineAt(withGap(values, from, 36, NaN), next);
    // three hours of real silence lower what is expected next (by ~12%: the clipped update limits
    // how fast the level follows); three hours unobserved leave it where it was
    expect(zeros).toBeLessThan(0.92 * full);
    expect(Math.abs(missing - full) / full).toBeLessThan(0.01);
    // the fixed-threshold baseline leaves missing warm-up buckets out of its mean instead of counting zeros
    // [10, 11, 12, 11] observed: mean 11, sd 0.816, threshold 13.45, so 14 alarms; the same four
    // buckets zero-filled would give mean 5.5, sd 5.9, threshold 23 and hide it
    expect(fixedThresholdAlarms([10, 11, 12, 11, NaN, NaN, NaN, NaN, 14], { warmup: 8, refractory: 2 }).map((a) => a.index)).toEqual([8]);
    expect(fixedThresholdAlarms([10, 11, 12, 11, 0, 0, 0, 0, 14], { warmup: 8, refractory: 2 })).toEqual([]);
    expect(fixedThresholdAlarms([10, 11, 12, 11, NaN, NaN, NaN, NaN, NaN, 14], { warmup: 8, refractory: 2 }).map((a) => a.index)).toEqual([9]);
  });

  it('reads a NAB-style CSV with missing timestamps as missing, not zero, and evaluates it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nab-gaps-'));
    const start = Date.UTC(2015, 2, 1, 0, 2, 53);
    const values = dailyVolume(9, 8);
    const skipped = new Set([300, 301, 302, 303, 304, 305, 900]);
    const rows = ['timestamp,value'];
    values.forEach((v, i) => {
      if (!skipped.has(i)) rows.push(`${new Date(start + i * 5 * MIN).toISOString().slice(0, 19).replace('T', ' ')},${v}`);
    });
    const file = path.join(dir, 'Twitter_volume_TEST.csv');
    fs.writeFileSync(file, rows.join('\n') + '\n');
    const series = await readVolumeCsv(file);
    expect(series.bucketMs).toBe(5 * MIN);
    expect(series.start).toBe(start);
    expect(series.values.length).toBe(values.length);
    expect([...skipped].map((i) => series.values[i])).toEqual([NaN, NaN, NaN, NaN, NaN, NaN, NaN]);
    expect(missingCount(series.values)).toBe(7);
    expect(series.values[299]).toBe(values[299]);
    const labels = path.join(dir, 'labels.json');
    fs.writeFileSync(labels, JSON.stringify({ windows: { 'realTweets/Twitter_volume_TEST.csv': [['2015-03-04 00:00:00', '2015-03-04 06:00:00']] } }));
    const result = await evaluateTrends({ series: [file], labels });
    expect(result.perSeries[0].missingBuckets).toBe(7);
    expect(result.perSeries[0].alarms).toEqual([]); // nothing happened in the series but the gaps
    expect(Number.isFinite(result.mase)).toBe(true);
    expect(result.coverage).toBeGreaterThan(0.8);
  });

  it('a Holt-Winters forecast with missing points stays close to the full-data forecast', () => {
    const m = 24;
    const rng = createRng(9);
    const full = Float64Array.from({ length: 20 * m }, (_, i) =>
      Math.max(0, Math.round(200 * (1 + 0.5 * Math.sin((2 * Math.PI * i) / m)) + 10 * rng.normal())),
    );
    // two 6-bucket outages (one in the training span) and three single missing buckets
    const drop = [
      ...Array.from({ length: 6 }, (_, k) => 3 * m + 5 + k),
      ...Array.from({ length: 6 }, (_, k) => 15 * m + 10 + k),
      2 * m + 2,
      11 * m + 20,
      17 * m + 1,
    ];
    const gapped = full.slice();
    const zeroed = full.slice();
    for (const i of drop) {
      gapped[i] = NaN;
      zeroed[i] = 0;
    }
    const opts = { seasonality: m, trainLength: 6 * m, level: 0.9 };
    const a = rollingForecast(full, opts);
    const b = rollingForecast(gapped, opts);
    const c = rollingForecast(zeroed, opts);
    const relative = (f: Float64Array) => {
      let max = 0;
      let sum = 0;
      for (let i = opts.trainLength; i < full.length; i++) {
        const r = Math.abs(f[i] - a.forecast[i]) / a.forecast[i];
        max = Math.max(max, r);
        sum += r;
      }
      return { max, mean: sum / (full.length - opts.trainLength) };
    };
    const missing = relative(b.forecast);
    expect(missing.mean).toBeLessThan(0.02);
    expect(missing.max).toBeLessThan(0.15);
    // the forecast right after the second outage: missing ≈ full data; zero-filled learnt the zeros
    const after = 15 * m + 16;
    expect(Math.abs(b.forecast[after] - a.forecast[after]) / a.forecast[after]).toBeLessThan(0.03);
    expect(c.forecast[after]).toBeLessThan(0.5 * a.forecast[after]);
    expect(relative(c.forecast).mean).toBeGreaterThan(0.05);
    // the interval is learnt from observed errors only
    const last = full.length - 1;
    expect(Math.abs(b.upper[last] - b.lower[last] - (a.upper[last] - a.lower[last]))).toBeLessThan(0.15 * (a.upper[last] - a.lower[last]));
    // MASE scales by observed pairs only
    expect(Number.isFinite(evaluateForecast(gapped, { seasonality: m, trainShare: 0.3 }).mase)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Count burst detector (negative binomial surprise, daily × weekly seasonality, calibrated threshold)

/** Poisson draw: Knuth's product of uniforms below 30, a rounded normal above (error < 1% there). */
function poisson(rng: Rng, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * rng.normal()));
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rng.next();
  while (p > limit) {
    k++;
    p *= rng.next();
  }
  return k;
}

/** Gamma(shape, scale 1) draw (Marsaglia & Tsang; shape < 1 by the u^(1/shape) boost). */
function gamma(rng: Rng, shape: number): number {
  if (shape < 1) return gamma(rng, shape + 1) * Math.pow(rng.next(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.next();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** Negative binomial draw with the given mean and dispersion φ (variance mean + φ·mean²): a gamma-Poisson mixture. */
const negBinomial = (rng: Rng, mean: number, phi: number) => poisson(rng, mean * gamma(rng, 1 / phi) * phi);

/** exact tails by summing the pmf (fine for small x) */
function poissonTailBySum(x: number, m: number): number {
  let s = 0;
  for (let i = 0; i < x; i++) s += Math.exp(-m + i * Math.log(m) - logGamma(i + 1));
  return 1 - s;
}
function nbTailBySum(x: number, m: number, phi: number): number {
  const k = 1 / phi;
  const p = k / (k + m);
  let pmf = Math.pow(p, k);
  let s = 0;
  for (let i = 0; i < x; i++) {
    s += pmf;
    pmf *= ((i + k) / (i + 1)) * (1 - p);
  }
  return 1 - s;
}

describe('count tails', () => {
  it.each([
    [1, 0.5],
    [5, 2],
    [10, 3],
    [20, 10],
    [3, 10],
    [130, 100],
  ])('Poisson P(X >= %d | mean %d) matches the summed pmf', (x, m) => {
    expect(Math.exp(logPoissonUpperTail(x, m))).toBeCloseTo(poissonTailBySum(x, m), 10);
  });
  it('Poisson quantiles: the smallest count whose CDF reaches q (values from summing the pmf)', () => {
    expect([poissonQuantile(0.05, 41), poissonQuantile(0.95, 41)]).toEqual([31, 52]);
    expect([poissonQuantile(0.05, 2.5), poissonQuantile(0.95, 2.5)]).toEqual([0, 5]);
    expect([poissonQuantile(0.05, 1000), poissonQuantile(0.95, 1000)]).toEqual([948, 1052]);
    expect(poissonQuantile(0.5, 1e-3)).toBe(0);
    expect(poissonQuantile(0.95, 0)).toBe(0);
    // by definition: P(X <= x) >= q and P(X <= x - 1) < q
    for (const [q, m] of [
      [0.05, 7.3],
      [0.5, 30],
      [0.95, 123.4],
    ]) {
      const x = poissonQuantile(q, m);
      expect(1 - poissonTailBySum(x + 1, m)).toBeGreaterThanOrEqual(q);
      expect(1 - poissonTailBySum(x, m)).toBeLessThan(q);
    }
    expect(() => poissonQuantile(1, 5)).toThrow(RangeError);
    expect(() => poissonQuantile(0.5, -1)).toThrow(RangeError);
  });
  it.each([
    [1, 0.5, 0.3],
    [5, 2, 0.5],
    [10, 3, 1],
    [20, 10, 0.1],
    [150, 100, 0.05],
    [3, 10, 0.2],
  ])('negative binomial P(X >= %d | mean %d, φ %d) matches the summed pmf', (x, m, phi) => {
    expect(Math.exp(logNegBinomialUpperTail(x, m, phi))).toBeCloseTo(nbTailBySum(x, m, phi), 10);
  });
  it('is 1 at x <= 0, tends to Poisson as φ → 0, stays finite far in the tail, and rejects bad input', () => {
    expect(logNegBinomialUpperTail(0, 5, 0.2)).toBe(0);
    expect(logNegBinomialUpperTail(12, 5, 1e-7)).toBeCloseTo(logPoissonUpperTail(12, 5), 4);
    // overdispersion makes the same excess less surprising
    expect(tailSurprise(150, 100, 0.05)).toBeLessThan(tailSurprise(150, 100, 0));
    const far = tailSurprise(5000, 100, 0.05);
    expect(Number.isFinite(far)).toBe(true);
    expect(far).toBeGreaterThan(300);
    expect(() => logPoissonUpperTail(3, 0)).toThrow(RangeError);
    expect(() => logNegBinomialUpperTail(3, 2, -1)).toThrow(RangeError);
  });
});

describe('count burst detector', () => {
  const DAY = 288;
  /** Poisson counts around a daily cycle (mean `base`, night at a third of the peak) */
  const poissonDaily = (days: number, seed: number, base = 20) => {
    const rng = createRng(seed);
    return Float64Array.from({ length: days * DAY }, (_, i) => poisson(rng, base * (1 + 0.5 * Math.sin((2 * Math.PI * i) / DAY))));
  };

  it.each([
    [5, 1],
    [3, 2],
  ])('Poisson series: a planted %dx two-hour burst is flagged within %d buckets, nothing before it', (factor, k) => {
    const rng = createRng(40 + factor);
    const start = 8 * DAY + 100;
    const values = Float64Array.from({ length: 10 * DAY }, (_, i) => {
      const mean = 20 * (1 + 0.5 * Math.sin((2 * Math.PI * i) / DAY));
      return poisson(rng, i >= start && i < start + 24 ? factor * mean : mean);
    });
    const { alarms } = scoreCountBursts(values, countBurstOptionsFor(5 * MIN));
    const hit = alarms.find((a) => a >= start);
    expect(hit).toBeDefined();
    expect(hit! - start).toBeLessThanOrEqual(k);
    expect(alarms.filter((a) => a < start)).toEqual([]);
  });

  it('a weekly pattern: the regular Monday peak raises no alarm once learnt; without the weekly factor it does', () => {
    // 6 weeks; day 0 of every week ("Monday") carries 2.5x the traffic of the other days
    const rng = createRng(11);
    const values = Float64Array.from({ length: 42 * DAY }, (_, i) => {
      const day = Math.floor(i / DAY);
      const mean = 20 * (day % 7 === 0 ? 2.5 : 1) * (1 + 0.5 * Math.sin((2 * Math.PI * i) / DAY));
      return poisson(rng, mean);
    });
    const mondaysFromWeek3 = (alarms: number[]) => alarms.filter((a) => a >= 21 * DAY && Math.floor(a / DAY) % 7 === 0);
    // The model alone (self-normalisation off, which would also learn that Mondays surprise it), at
    // a raw surprise of 6 (a one-in-a-million excess per bucket under the fitted model):
    const weekly = scoreCountBursts(values, countBurstOptionsFor(5 * MIN, { weekly: true, normaliseDays: 0, threshold: 6 }));
    const daily = scoreCountBursts(values, countBurstOptionsFor(5 * MIN, { weekly: false, normaliseDays: 0, threshold: 6 }));
    expect(mondaysFromWeek3(weekly.alarms)).toEqual([]);
    expect(mondaysFromWeek3(daily.alarms).length).toBeGreaterThan(0);
    // ... and with the defaults
    expect(mondaysFromWeek3(scoreCountBursts(values, countBurstOptionsFor(5 * MIN)).alarms)).toEqual([]);
    // and the weekly model expects the Monday peak: μ on a late Monday ≈ 2.5x μ on a late Tuesday
    const mondayNoon = 35 * DAY + DAY / 2;
    expect(weekly.expected[mondayNoon] / weekly.expected[mondayNoon + DAY]).toBeGreaterThan(1.8);
  });

  it('NB overdispersed noise: a threshold calibrated to 0.2 false alarms/day on 30 days keeps the next 30 within 0.2 ± 0.15', () => {
    const rng = createRng(21);
    const values = Float64Array.from({ length: 62 * DAY }, (_, i) => negBinomial(rng, 30 * (1 + 0.5 * Math.sin((2 * Math.PI * i) / DAY)), 0.3));
    const o = countBurstOptionsFor(5 * MIN);
    const { scores } = scoreCountBursts(values, { ...o, threshold: Infinity });
    const first = Uint8Array.from({ length: values.length }, (_, i) => (i < 32 * DAY ? 1 : 0));
    const second = Uint8Array.from({ length: values.length }, (_, i) => (i >= 32 * DAY ? 1 : 0));
    const c = calibrateThreshold([{ scores, normal: first, bucketMs: 5 * MIN }], 0.2, o.warmup, o.refractory);
    expect(c.falseAlarmsPerDay).toBeLessThanOrEqual(0.2);
    const later = falseAlarmRate([{ scores, normal: second, bucketMs: 5 * MIN }], c.threshold, o.warmup, o.refractory);
    expect(later.normalDays).toBeCloseTo(30, 6);
    expect(later.falseAlarmsPerDay).toBeLessThanOrEqual(0.35);
    // the calibration is tight: a slightly lower threshold breaks the target on the calibration span
    expect(falseAlarmRate([{ scores, normal: first, bucketMs: 5 * MIN }], c.threshold - 0.05, o.warmup, o.refractory).falseAlarmsPerDay).toBeGreaterThan(0.2);
    // the dispersion is measured: with the same expectations, Poisson tails are far more surprised by this noise
    const nb = scoreCountBursts(values, { ...o, windows: [1], threshold: Infinity, normaliseDays: 0 });
    const poissonScores = Float64Array.from(values, (x, i) => (i < 2 * DAY ? NaN : tailSurprise(x, nb.expected[i], 0)));
    const q99 = (xs: Float64Array) => {
      const sorted = Array.from(xs.subarray(2 * DAY))
        .filter(Number.isFinite)
        .sort((a, b) => a - b);
      return sorted[Math.floor(0.99 * (sorted.length - 1))];
    };
    // a calibrated NB has a 1-in-100 surprise of about 2 (−log10 0.01)
    expect(q99(nb.scores)).toBeGreaterThan(1.5);
    expect(q99(nb.scores)).toBeLessThan(3);
    expect(q99(poissonScores)).toBeGreaterThan(2 * q99(nb.scores));
  });

  it('missing buckets: no score, no alarm, no update; zero-filled, a day-long outage blinds it to the burst after it', () => {
    const rng = createRng(3);
    const gapStart = 5 * DAY + 3;
    const gap = DAY;
    const burst = gapStart + gap + 24; // two hours after collection resumes, traffic triples for two hours
    const values = Float64Array.from({ length: 9 * DAY }, (_, i) =>
      poisson(rng, (i >= burst && i < burst + 24 ? 3 : 1) * 20 * (1 + 0.5 * Math.sin((2 * Math.PI * i) / DAY))),
    );
    const gapped = values.slice().fill(NaN, gapStart, gapStart + gap);
    const zeroed = values.slice().fill(0, gapStart, gapStart + gap);
    const o = countBurstOptionsFor(5 * MIN);
    const missing = scoreCountBursts(gapped, o);
    const zero = scoreCountBursts(zeroed, o);
    const full = scoreCountBursts(values, o);
    expect(Array.from(missing.scores.subarray(gapStart, gapStart + gap)).every(Number.isNaN)).toBe(true);
    // missing: the expectation after the gap is what it would have been with the data (within 10%),
    // and the burst is flagged within 2 buckets, with no other alarm
    const after = gapStart + gap;
    expect(Math.abs(missing.expected[after] - full.expected[after]) / full.expected[after]).toBeLessThan(0.1);
    expect(missing.alarms.filter((a) => a >= gapStart)).toHaveLength(1);
    expect(missing.alarms[missing.alarms.length - 1] - burst).toBeGreaterThanOrEqual(0);
    expect(missing.alarms[missing.alarms.length - 1] - burst).toBeLessThanOrEqual(2);
    // zero-filled: a day of "silence" drags the expectation below half and inflates the noise
    // estimate, so the same burst no longer stands out
    expect(zero.expected[after]).toBeLessThan(0.5 * full.expected[after]);
    expect(zero.alarms.filter((a) => a >= burst && a < burst + 24)).toEqual([]);
    // streaming and batch agree, and a negative count is refused
    const d = new CountBurstDetector(o);
    expect(Array.from(gapped, (v) => d.push(v).score)).toEqual(Array.from(missing.scores));
    expect(() => new CountBurstDetector(o).push(-1)).toThrow(/count must be >= 0/);
    expect(() => countBurstOptionsFor(5 * MIN, { windows: [0] })).toThrow(RangeError);
  });

  it('alarmsAt applies warm-up (observed buckets) and refractory like the detector', () => {
    expect(alarmsAt([NaN, 5, 5, 1, 5, 5, 5], 4, 1, 2)).toEqual([2, 5]);
    const values = poissonDaily(4, 5);
    const o = countBurstOptionsFor(5 * MIN, { threshold: 2 });
    const r = scoreCountBursts(values, o);
    expect(alarmsAt(r.scores, 2, o.warmup, o.refractory)).toEqual(r.alarms);
  });
});

describe('leave-one-series-out tuning', () => {
  const DAY = 288;
  const t0 = Date.UTC(2015, 1, 26);
  /** a Poisson series with planted bursts and a window around each */
  function labelled(key: string, seed: number, bursts: number[], factor = 4): LabelledSeries {
    const rng = createRng(seed);
    const set = new Set(bursts.flatMap((b) => Array.from({ length: 12 }, (_, k) => b + k)));
    const values = Float64Array.from({ length: 12 * DAY }, (_, i) =>
      poisson(rng, (set.has(i) ? factor : 1) * 15 * (1 + 0.5 * Math.sin((2 * Math.PI * i) / DAY))),
    );
    const windows = bursts.map((b) => ({ start: t0 + (b - 36) * 5 * MIN, end: t0 + (b + 36) * 5 * MIN, point: t0 + b * 5 * MIN }));
    return { key, start: t0, bucketMs: 5 * MIN, values, windows };
  }
  const grid = { models: [{ windows: [1] }, { windows: [1, 3, 12] }], falseAlarmsPerDay: [0.05, 0.2] };
  const series = [labelled('a', 1, [4 * DAY, 8 * DAY]), labelled('b', 2, [5 * DAY + 50, 9 * DAY]), labelled('c', 3, [6 * DAY + 10, 10 * DAY])];

  it('scores each series with settings chosen on the others only: its own labels change nothing in its fold', () => {
    const folds = leaveOneSeriesOut(series, grid);
    expect(folds.map((f) => f.heldOut)).toEqual(['a', 'b', 'c']);
    // move series a's windows somewhere else: a's own fold is unchanged (alarms, settings, threshold) ...
    const moved = [{ ...series[0], windows: [{ start: t0 + 2 * DAY * 5 * MIN, end: t0 + (2 * DAY + 72) * 5 * MIN }] }, series[1], series[2]];
    const again = leaveOneSeriesOut(moved, grid);
    expect(again[0].chosen).toEqual(folds[0].chosen);
    expect(again[0].alarms).toEqual(folds[0].alarms);
    // ... while the folds that train on a see the change in their training figures
    expect(again[1].trainF1 !== folds[1].trainF1 || again[1].trainFalseAlarmsPerDay !== folds[1].trainFalseAlarmsPerDay).toBe(true);
    // every planted burst is caught
    for (const [i, f] of folds.entries()) {
      for (const w of series[i].windows) expect(f.alarms.some((a) => t0 + a * 5 * MIN >= w.start && t0 + a * 5 * MIN <= w.end)).toBe(true);
      expect(f.trainFalseAlarmsPerDay).toBeLessThanOrEqual(f.chosen.targetFalseAlarmsPerDay);
    }
    expect(() => leaveOneSeriesOut([series[0]], grid)).toThrow(/at least 2/);
  });

  it('false alarms per day count alarms outside every window over the observed days outside them', () => {
    const values = new Float64Array(2 * DAY).fill(1);
    values[DAY + 5] = NaN;
    const s: LabelledSeries = { key: 'x', start: 0, bucketMs: 5 * MIN, values, windows: [{ start: 0, end: 12 * HOUR_MS - 1 }] };
    const mask = normalMask(s);
    expect(mask[0]).toBe(0);
    expect(mask[DAY + 5]).toBe(0);
    expect(mask[DAY + 6]).toBe(1);
    // 1.5 days outside the window minus one missing bucket; alarms at 0 (in the window) and two outside
    expect(falseAlarmsPerDay(s, [0, DAY, DAY + 100])).toBeCloseTo(2 / (1.5 - 1 / DAY), 12);
  });
});

describe('earliness frontier', () => {
  // Two weeks of 5-minute buckets at 10 posts each; one window of a day starting at day 7, 00:00 UTC.
  const bucketMs = 5 * 60_000;
  const start = Date.UTC(2015, 2, 2);
  const values = new Float64Array(14 * 288).fill(10);
  const window = { start: start + 7 * 86_400_000, end: start + 8 * 86_400_000 };
  const w0 = 7 * 288;
  // Inside the window: 15 at 2 h after its start, 40 at 6 h; outside: one 25 on day 2 and a missing bucket.
  values[w0 + 24] = 15;
  values[w0 + 72] = 40;
  values[2 * 288 + 10] = 25;
  values[3 * 288] = NaN;
  const series: LabelledSeries[] = [{ key: 's', start, bucketMs, values, windows: [window] }];

  it('gives, per multiplier, the delay to the first alarm in a window and the false alarms per normal day', () => {
    const [k1, k2, k3] = earlinessFrontier(series, [1.2, 2, 3]);
    // 1.2 × 10: the 15 (120 min), and the 25 outside. Normal buckets: 13 days, less the missing one and the
    // bucket at the window's end (window bounds are inclusive).
    const normalDays = (13 * 288 - 2) / 288;
    expect(k1).toMatchObject({ multiplier: 1.2, windowRecall: 1, meanDelayMinutes: 120, windowsWithin1h: 0, windows: 1 });
    expect(k1.falseAlarmsPerDay).toBeCloseTo(1 / normalDays, 10);
    // 2 × 10: only the 40 (360 min) and the 25
    expect(k2).toMatchObject({ meanDelayMinutes: 360 });
    expect(k2.falseAlarmsPerDay).toBeCloseTo(1 / normalDays, 10);
    // 3 × 10: the 40 only, no false alarm
    expect(k3).toMatchObject({ meanDelayMinutes: 360, falseAlarmsPerDay: 0 });
  });

  it('counts a window whose first alarm is within an hour of its start, and refuses bad input', () => {
    const early = Float64Array.from(values);
    early[w0 + 6] = 50; // 30 min after the window start
    const [p] = earlinessFrontier([{ ...series[0], values: early }], [2]);
    expect(p).toMatchObject({ meanDelayMinutes: 30, windowsWithin1h: 1 });
    expect(() => earlinessFrontier([], [2])).toThrow(RangeError);
    expect(() => earlinessFrontier(series, [0])).toThrow(/positive/);
  });
});
