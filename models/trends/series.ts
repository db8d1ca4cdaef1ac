/**
 * Regular volume series: counts per fixed time bucket, with empty buckets present as 0 so that
 * index arithmetic (seasonality = buckets per day, warm-up, refractory periods) means time.
 */

export interface VolumeSeries {
  /** start of bucket 0, epoch milliseconds */
  start: number;
  bucketMs: number;
  values: Float64Array;
}

export interface BucketOptions {
  bucketMs: number;
  /** first bucket starts here (default: the earliest time, floored to a multiple of bucketMs) */
  start?: number;
  /** exclusive end of the last bucket (default: just past the latest time) */
  end?: number;
}

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

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
 */
export function bucketCounts(times: ArrayLike<number>, opts: BucketOptions, weights?: ArrayLike<number>): VolumeSeries {
  if (weights && weights.length !== times.length) throw new Error(`${times.length} times but ${weights.length} weights`);
  const { start, length } = range(Array.from(times), opts);
  const values = new Float64Array(length);
  for (let i = 0; i < times.length; i++) {
    const b = Math.floor((times[i] - start) / opts.bucketMs);
    if (b >= 0 && b < length) values[b] += weights ? weights[i] : 1;
  }
  return { start, bucketMs: opts.bucketMs, values };
}

/**
 * One series per key (hashtag, term, topic) over a common time range, so that series of different
 * keys line up bucket for bucket and a key that goes quiet shows zeros rather than ending early.
 */
export function volumeSeriesByKey(
  events: Iterable<{ key: string; time: number }>,
  opts: BucketOptions,
): Map<string, VolumeSeries> {
  const byKey = new Map<string, number[]>();
  const all: number[] = [];
  for (const { key, time } of events) {
    let list = byKey.get(key);
    if (!list) byKey.set(key, (list = []));
    list.push(time);
    all.push(time);
  }
  const { start, length } = range(all, opts);
  const common = { bucketMs: opts.bucketMs, start, end: start + length * opts.bucketMs };
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
 * the same bucket are summed and missing buckets become 0. The grid starts at the first row's time
 * (not floored), so exports whose rows sit at hh:m2:53 keep their own phase.
 */
export function regularize(times: ArrayLike<number>, values: ArrayLike<number>, bucketMs: number): VolumeSeries {
  if (times.length !== values.length) throw new Error(`${times.length} times but ${values.length} values`);
  if (times.length === 0) return { start: 0, bucketMs, values: new Float64Array(0) };
  let min = Infinity;
  for (let i = 0; i < times.length; i++) if (times[i] < min) min = times[i];
  return bucketCounts(times, { bucketMs, start: min }, values);
}
