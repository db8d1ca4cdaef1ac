/**
 * Regular volume series: counts per fixed time bucket, every bucket present so that index
 * arithmetic (seasonality = buckets per day, warm-up, refractory periods) means time.
 *
 * Missing is not zero. A bucket in which the collector saw nothing because it was not running (an
 * outage, a day never collected, a row absent from an export) is NaN; a bucket that was collected
 * and had no posts is 0. The detectors and the forecast skip NaN buckets instead of learning a
 * collapse in volume from them.
 */

export interface VolumeSeries {
  /** start of bucket 0, epoch milliseconds */
  start: number;
  bucketMs: number;
  /** volume per bucket; NaN = not observed (see the module comment) */
  values: Float64Array;
}

/** A span of time, epoch milliseconds, end exclusive. */
export interface TimeSpan {
  start: number;
  end: number;
}

export interface BucketOptions {
  bucketMs: number;
  /** first bucket starts here (default: the earliest time, floored to a multiple of bucketMs) */
  start?: number;
  /** exclusive end of the last bucket (default: just past the latest time) */
  end?: number;
  /**
   * When collection ran. A bucket not wholly inside one of these spans is NaN (missing): a partly
   * collected bucket would read as a dip. Omitted: every bucket was observed.
   */
  covered?: readonly TimeSpan[];
}

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export { DAY_MS } from '../../lib/dates';

function range(times: Iterable<number>, opts: BucketOptions): { start: number; length: number } {
  const { bucketMs } = opts;
  if (!(bucketMs > 0)) throw new Error(`bucketMs must be positive, got ${bucketMs}`);
  let min = Infinity;
  let max = -Infinity;
  if (opts.start === undefined || opts.end === undefined) {
    for (const t of times) {
      if (t < min) min = t;
      if (t > max) max = t;
    }
  }
  const start = opts.start ?? (Number.isFinite(min) ? Math.floor(min / bucketMs) * bucketMs : 0);
  const end = opts.end ?? (Number.isFinite(max) ? max + 1 : start);
  return { start, length: Math.max(0, Math.ceil((end - start) / bucketMs)) };
}

/**
 * Sums weights (default 1 per event, i.e. counts) per bucket. Events outside [start, end) are ignored.
 * With `covered`, buckets outside the covered spans are NaN (and events in them are not counted).
 */
export function bucketCounts(times: ArrayLike<number>, opts: BucketOptions, weights?: ArrayLike<number>): VolumeSeries {
  if (weights && weights.length !== times.length) throw new Error(`${times.length} times but ${weights.length} weights`);
  const { start, length } = range(Array.from(times), opts);
  const values = new Float64Array(length);
  for (let i = 0; i < times.length; i++) {
    const b = Math.floor((times[i] - start) / opts.bucketMs);
    if (b >= 0 && b < length) values[b] += weights ? weights[i] : 1;
  }
  if (opts.covered) {
    const observed = coveredBuckets({ start, bucketMs: opts.bucketMs }, length, opts.covered);
    for (let b = 0; b < length; b++) if (!observed[b]) values[b] = NaN;
  }
  return { start, bucketMs: opts.bucketMs, values };
}

/** 1 for each of the `length` buckets that lies wholly inside one of the spans, else 0. */
export function coveredBuckets(grid: Pick<VolumeSeries, 'start' | 'bucketMs'>, length: number, spans: readonly TimeSpan[]): Uint8Array {
  const out = new Uint8Array(length);
  for (const span of spans) {
    if (!(span.end > span.start)) continue;
    const first = Math.max(0, Math.ceil((span.start - grid.start) / grid.bucketMs));
    const last = Math.min(length, Math.floor((span.end - grid.start) / grid.bucketMs)); // exclusive
    for (let b = first; b < last; b++) out[b] = 1;
  }
  return out;
}

/** Number of missing (NaN) buckets. */
export function missingCount(values: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (Number.isNaN(values[i])) n++;
  return n;
}

/**
 * One series per key (hashtag, term, topic) over a common time range, so that series of different
 * keys line up bucket for bucket and a key that goes quiet shows zeros rather than ending early.
 */
export function volumeSeriesByKey(events: Iterable<{ key: string; time: number }>, opts: BucketOptions): Map<string, VolumeSeries> {
  const byKey = new Map<string, number[]>();
  const all: number[] = [];
  for (const { key, time } of events) {
    let list = byKey.get(key);
    if (!list) byKey.set(key, (list = []));
    list.push(time);
    all.push(time);
  }
  const { start, length } = range(all, opts);
  const common = { bucketMs: opts.bucketMs, start, end: start + length * opts.bucketMs, covered: opts.covered };
  const out = new Map<string, VolumeSeries>();
  for (const [key, times] of byKey) out.set(key, bucketCounts(times, common));
  return out;
}

/** Start time of bucket i. */
export function bucketTime(series: Pick<VolumeSeries, 'start' | 'bucketMs'>, i: number): number {
  return series.start + i * series.bucketMs;
}

/**
 * A series given as (time, value) rows, e.g. a CSV export, onto the regular grid: values falling in
 * the same bucket are summed, and a bucket no row falls in is missing (NaN), not 0: an export with a
 * hole in its timestamps did not record a zero there. The grid starts at the first row's time (not
 * floored), so exports whose rows sit at hh:m2:53 keep their own phase.
 */
export function regularize(times: ArrayLike<number>, values: ArrayLike<number>, bucketMs: number): VolumeSeries {
  if (times.length !== values.length) throw new Error(`${times.length} times but ${values.length} values`);
  if (times.length === 0) return { start: 0, bucketMs, values: new Float64Array(0) };
  let min = Infinity;
  for (let i = 0; i < times.length; i++) if (times[i] < min) min = times[i];
  const series = bucketCounts(times, { bucketMs, start: min }, values);
  const seen = new Uint8Array(series.values.length);
  for (let i = 0; i < times.length; i++) {
    const b = Math.floor((times[i] - min) / bucketMs);
    if (b >= 0 && b < seen.length) seen[b] = 1;
  }
  for (let b = 0; b < seen.length; b++) if (!seen[b]) series.values[b] = NaN;
  return series;
}
