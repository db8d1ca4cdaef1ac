/**
 * Count burst detector: is this bucket's count (or the count of the last few buckets) more than the
 * seasonal expectation plus count noise can explain? Online, scored from the past only.
 *
 * Expectation μ_t = level × daily[hour of day] × weekly[day of week], all in posts per bucket
 * (count space, multiplicative: a busy hour is "3× the night"). The level is an EWMA of the
 * deseasonalised count; the hourly and day-of-week factors are EWMAs of the count over the rest of
 * the model, renormalised to mean 1. Phases are relative to the first bucket (bucket 0 starts hour
 * slot 0 of day 0): seasonality is learned, not looked up in a calendar, so no time zone is needed.
 *
 * Noise: counts are negative binomial around μ (variance μ + φμ²): Poisson sampling plus the
 * overdispersion of real traffic. φ is measured, per aggregation window, as an EWMA of
 * ((X − M)² − M) / M² over past windows (X observed, M expected posts in the window), floored at
 * `minDispersion`. The surprise is −log10 P(X ≥ x | M, φ): 3 means "a 1-in-1000 excess".
 * With several window lengths (e.g. 1, 3 and 12 buckets) it is the largest: one bucket catches a
 * sudden spike at once, a longer window a surge too slow for any single bucket to stand out.
 *
 * Score: the surprise divided by the series' own usual surprise (its 0.999 quantile over the 14 days
 * before yesterday, never below the model's own 3; see `normaliseDays`). Real traffic has heavier
 * tails than any NB, and how much heavier differs by series (a news-driven AAPL far more than CRM):
 * on NAB the 1-in-1000 raw surprise ranges from ~3 (CVS) to ~30 (AAPL), so no single raw threshold
 * transfers, while the normalised score does.
 *
 * Robustness: the observation used to update level, factors and φ is clipped to μ ± clip·sd, so a
 * burst does not become "normal" behind itself and a dip drags the level down only gradually.
 * Missing buckets (NaN) are skipped: no score, no alarm, no update; the clock still advances, so the
 * hourly and weekly phases stay aligned, and windows simply cover fewer observed buckets.
 *
 * The threshold is not a constant: `calibrateThreshold` picks it so that the alarm rate on data
 * known to be normal is at most a stated number of false alarms per day.
 */
import { DAY_MS, HOUR_MS } from './series';
import { tailSurprise } from './countTail';

export interface CountBurstOptions {
  /** buckets per day (288 for 5-minute buckets) */
  bucketsPerDay: number;
  /** hour-of-day slots of the daily profile (default 24; at most bucketsPerDay) */
  dailySlots?: number;
  /** model a day-of-week factor (default true) */
  weekly?: boolean;
  /** memory of the level, in days (EWMA span; default 1, see DEFAULT_COUNT_BURST) */
  levelDays?: number;
  /** memory of each hour-of-day factor, in days (default 3) */
  dailyDays?: number;
  /** memory of each day-of-week factor, in weeks (default 3) */
  weeklyWeeks?: number;
  /** memory of the dispersion estimate, in days (default 3) */
  dispersionDays?: number;
  /** aggregation windows in buckets; the score is the largest surprise over them (default [1, 3, 12]) */
  windows?: readonly number[];
  /** floor of φ (default 0.01: at least a 10% coefficient of variation on top of Poisson) */
  minDispersion?: number;
  /** observations are clipped to μ ± clip·sd before they update the model (default 3) */
  clip?: number;
  /** window sums are clipped to M ± dispersionClip·sd before they update φ (default 6: wider than clip, or φ would miss the tails it must describe) */
  dispersionClip?: number;
  /**
   * Self-normalisation: the surprise is divided by its own `normaliseQuantile` quantile over the past
   * `normaliseDays` days of this series (never by less than the model's own value for that quantile,
   * −log10(1 − q)), so "unusual for this series" means the same on a quiet and on a busy, news-driven
   * series, whose real noise has heavier tails than any NB. 0 days = off (default 7 days, q = 0.99).
   */
  normaliseDays?: number;
  normaliseQuantile?: number;
  /** the most recent days left out of the normalisation pool (default 1: a burst in progress is not yet "usual") */
  normaliseLagDays?: number;
  /** surprises at or above this multiple of the usual one never enter the pool (default 2) */
  normaliseExclude?: number;
  /** score that raises an alarm (default 3.28, see DEFAULT_COUNT_BURST; calibrateThreshold picks one for a false-alarm rate) */
  threshold?: number;
  /** observed buckets before anything can alarm while the model forms (default 2 days) */
  warmup?: number;
  /** buckets after an alarm in which no new alarm is raised (default 6 hours) */
  refractory?: number;
}

export type ResolvedCountBurstOptions = Required<CountBurstOptions>;

/**
 * The settings `tuneSettings` (tuning.ts) picks on all five NAB realTweets series with its default
 * grid: scoring windows of 1, 3 and 12 buckets, a level remembering one day, and the threshold
 * calibrated to 0.03 false alarms per day on their data outside the labelled windows (achieved
 * 0.028; pooled f1 0.62 on those five, which is not a held-out figure). A deployment default only: `eval trends` reports leave-one-series-out figures, where each
 * series is scored with settings chosen without it.
 */
export const DEFAULT_COUNT_BURST = { windows: [1, 3, 12] as readonly number[], levelDays: 1, threshold: 3.28, falseAlarmsPerDay: 0.03 } as const;

/** Defaults for a bucket size: time constants follow the clock (see CountBurstOptions). */
export function countBurstOptionsFor(bucketMs: number, overrides: Partial<CountBurstOptions> = {}): ResolvedCountBurstOptions {
  if (!(bucketMs > 0)) throw new RangeError(`bucketMs must be positive, got ${bucketMs}`);
  const bucketsPerDay = Math.max(1, Math.round(DAY_MS / bucketMs));
  const given = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as Partial<CountBurstOptions>;
  return resolve({
    bucketsPerDay,
    warmup: 2 * bucketsPerDay,
    refractory: Math.max(1, Math.round((6 * HOUR_MS) / bucketMs)),
    ...given,
  });
}

function resolve(o: CountBurstOptions): ResolvedCountBurstOptions {
  const r: ResolvedCountBurstOptions = {
    bucketsPerDay: o.bucketsPerDay,
    dailySlots: Math.max(1, Math.min(o.dailySlots ?? 24, o.bucketsPerDay)),
    weekly: o.weekly ?? true,
    levelDays: o.levelDays ?? DEFAULT_COUNT_BURST.levelDays,
    dailyDays: o.dailyDays ?? 3,
    weeklyWeeks: o.weeklyWeeks ?? 3,
    dispersionDays: o.dispersionDays ?? 3,
    windows: [...(o.windows ?? DEFAULT_COUNT_BURST.windows)],
    minDispersion: o.minDispersion ?? 0.01,
    clip: o.clip ?? 3,
    dispersionClip: o.dispersionClip ?? 6,
    normaliseDays: o.normaliseDays ?? 14,
    normaliseQuantile: o.normaliseQuantile ?? 0.999,
    normaliseLagDays: o.normaliseLagDays ?? 1,
    normaliseExclude: o.normaliseExclude ?? 2,
    threshold: o.threshold ?? DEFAULT_COUNT_BURST.threshold,
    warmup: o.warmup ?? 2 * o.bucketsPerDay,
    refractory: o.refractory ?? Math.max(1, Math.round(o.bucketsPerDay / 4)),
  };
  if (!(Number.isInteger(r.bucketsPerDay) && r.bucketsPerDay >= 1)) throw new RangeError(`bucketsPerDay must be a positive integer, got ${r.bucketsPerDay}`);
  if (r.windows.length === 0 || r.windows.some((w) => !(Number.isInteger(w) && w >= 1)))
    throw new RangeError(`windows must be positive integers, got [${r.windows.join(', ')}]`);
  for (const k of ['levelDays', 'dailyDays', 'weeklyWeeks', 'dispersionDays', 'clip', 'dispersionClip'] as const) {
    if (!(r[k] > 0)) throw new RangeError(`${k} must be positive, got ${r[k]}`);
  }
  if (!(r.normaliseExclude > 1)) throw new RangeError(`normaliseExclude must be > 1, got ${r.normaliseExclude}`);
  if (!(r.normaliseLagDays >= 0)) throw new RangeError(`normaliseLagDays must be >= 0, got ${r.normaliseLagDays}`);
  if (!(r.normaliseDays >= 0)) throw new RangeError(`normaliseDays must be >= 0, got ${r.normaliseDays}`);
  if (!(r.normaliseQuantile > 0 && r.normaliseQuantile < 1)) throw new RangeError(`normaliseQuantile must be in (0, 1), got ${r.normaliseQuantile}`);
  if (!(r.minDispersion >= 0)) throw new RangeError(`minDispersion must be >= 0, got ${r.minDispersion}`);
  return r;
}

/** EWMA weight for a memory of `span` updates. */
const weight = (span: number) => 2 / (Math.max(1, span) + 1);

export interface CountBurstStep {
  /** largest surprise over the windows (−log10 tail probability); NaN for a missing bucket or while nothing is known */
  score: number;
  alarm: boolean;
  /** μ, the expected count of this bucket from the past only (NaN before the first observation) */
  expected: number;
}

/** Streaming form: push one bucket's count at a time (NaN = missing), get its score and alarm. */
export class CountBurstDetector {
  readonly options: ResolvedCountBurstOptions;
  private readonly daily: Float64Array;
  private readonly weeklyFactor: Float64Array;
  private readonly dispersion: Float64Array;
  private readonly ringX: Float64Array;
  private readonly ringM: Float64Array;
  private readonly ringObserved: Uint8Array;
  private readonly ringSize: number;
  private readonly aLevel: number;
  private readonly aDaily: number;
  private readonly aWeekly: number;
  private readonly aDispersion: number;
  private t = 0;
  private n = 0;
  private level = NaN;
  private lastAlarm = -Infinity;
  /** past raw surprises of the normalisation span: in arrival order (with their bucket) and sorted */
  private readonly pastTimes: number[] = [];
  private readonly pastScores: number[] = [];
  private pastHead = 0;
  private pastIn = 0;
  private readonly pastSorted: number[] = [];

  constructor(options: CountBurstOptions) {
    const o = (this.options = resolve(options));
    this.daily = new Float64Array(o.dailySlots).fill(1);
    this.weeklyFactor = new Float64Array(7).fill(1);
    this.dispersion = new Float64Array(o.windows.length).fill(o.minDispersion);
    this.ringSize = Math.max(...o.windows);
    this.ringX = new Float64Array(this.ringSize);
    this.ringM = new Float64Array(this.ringSize);
    this.ringObserved = new Uint8Array(this.ringSize);
    this.aLevel = weight(o.levelDays * o.bucketsPerDay);
    // A factor is updated by every bucket of its slot: bucketsPerDay / dailySlots visits a day.
    this.aDaily = weight((o.dailyDays * o.bucketsPerDay) / o.dailySlots);
    this.aWeekly = weight(o.weeklyWeeks * o.bucketsPerDay);
    this.aDispersion = weight(o.dispersionDays * o.bucketsPerDay);
  }

  private slots(t: number): { hour: number; day: number } {
    const { bucketsPerDay, dailySlots } = this.options;
    const inDay = t % bucketsPerDay;
    return { hour: Math.floor((inDay * dailySlots) / bucketsPerDay), day: Math.floor(t / bucketsPerDay) % 7 };
  }

  private seasonal(hour: number, day: number): number {
    return this.daily[hour] * (this.options.weekly ? this.weeklyFactor[day] : 1);
  }

  /**
   * Divides a raw surprise by the series' own usual surprise (see `normaliseDays`), then remembers it.
   * The pool holds the surprises of (t − lag − span, t − lag]: the last `normaliseLagDays` are left
   * out so that a burst in progress does not normalise itself away within a few buckets.
   */
  private normalise(t: number, raw: number): number {
    const o = this.options;
    if (!(o.normaliseDays > 0)) return raw;
    const span = o.normaliseDays * o.bucketsPerDay;
    const lag = Math.round(o.normaliseLagDays * o.bucketsPerDay);
    while (this.pastIn < this.pastTimes.length && this.pastTimes[this.pastIn] <= t - lag) {
      const x = this.pastScores[this.pastIn++];
      this.pastSorted.splice(lowerBound(this.pastSorted, x), 0, x);
    }
    while (this.pastHead < this.pastIn && this.pastTimes[this.pastHead] <= t - lag - span) {
      const old = this.pastScores[this.pastHead++];
      this.pastSorted.splice(lowerBound(this.pastSorted, old), 1);
    }
    if (this.pastHead > 4096 && this.pastHead * 2 > this.pastTimes.length) {
      this.pastTimes.splice(0, this.pastHead);
      this.pastScores.splice(0, this.pastHead);
      this.pastIn -= this.pastHead;
      this.pastHead = 0;
    }
    const floor = -Math.log10(1 - o.normaliseQuantile);
    const k = this.pastSorted.length;
    const usual = k === 0 ? floor : Math.max(floor, this.pastSorted[Math.min(k - 1, Math.floor(o.normaliseQuantile * (k - 1)))]);
    // What surprised it beyond `normaliseExclude` × usual is an event, not a sample of the usual:
    // left in, one burst would set the usual for the next two weeks and hide a second one.
    if (raw < o.normaliseExclude * usual) {
      this.pastTimes.push(t);
      this.pastScores.push(raw);
    }
    return raw / usual;
  }

  push(count: number): CountBurstStep {
    const o = this.options;
    const t = this.t++;
    const { hour, day } = this.slots(t);
    const ring = t % this.ringSize;
    const expectedNow = Number.isNaN(this.level) ? NaN : Math.max(this.level * this.seasonal(hour, day), 0);
    if (Number.isNaN(count)) {
      this.ringObserved[ring] = 0;
      return { score: NaN, alarm: false, expected: expectedNow };
    }
    if (!(count >= 0)) throw new RangeError(`bucket ${t}: a count must be >= 0 or NaN (missing), got ${count}`);
    const n = this.n++;
    if (n === 0) this.level = count / this.seasonal(hour, day);
    // A floor on μ: a quiet series (level ~0) must not make one post an extreme surprise.
    const mu = Math.max(this.level * this.seasonal(hour, day), 0.05);
    this.ringX[ring] = count;
    this.ringM[ring] = mu;
    this.ringObserved[ring] = 1;

    // Score every window from the model as it was before this bucket.
    let score = 0;
    const sums: Array<{ x: number; m: number }> = [];
    for (let k = 0; k < o.windows.length; k++) {
      let x = 0;
      let m = 0;
      for (let j = 0; j < Math.min(o.windows[k], t + 1); j++) {
        const idx = (t - j) % this.ringSize;
        if (!this.ringObserved[idx]) continue;
        x += this.ringX[idx];
        m += this.ringM[idx];
      }
      sums.push({ x, m });
      const s = tailSurprise(x, m, this.dispersion[k]);
      if (s > score) score = s;
    }
    score = this.normalise(t, score);
    const alarm = n >= o.warmup && score >= o.threshold && t - this.lastAlarm > o.refractory;
    if (alarm) this.lastAlarm = t;

    // Update from the clipped observation.
    const sd = Math.sqrt(mu + this.dispersion[0] * mu * mu);
    const clipped = Math.min(Math.max(count, mu - o.clip * sd), mu + o.clip * sd);
    // A running mean at first, so the first hours do not freeze the level at the first bucket.
    const aLevel = Math.max(this.aLevel, 1 / (n + 1));
    const s = this.seasonal(hour, day);
    const oldLevel = Math.max(this.level, 1e-9);
    this.level += aLevel * (clipped / s - this.level);
    this.daily[hour] += this.aDaily * (clipped / (oldLevel * (o.weekly ? this.weeklyFactor[day] : 1)) - this.daily[hour]);
    normalise(this.daily);
    if (o.weekly) {
      this.weeklyFactor[day] += this.aWeekly * (clipped / (oldLevel * this.daily[hour]) - this.weeklyFactor[day]);
      normalise(this.weeklyFactor);
    }
    for (let k = 0; k < o.windows.length; k++) {
      const { x, m } = sums[k];
      if (!(m > 0)) continue;
      const wsd = Math.sqrt(m + this.dispersion[k] * m * m);
      const xc = Math.min(Math.max(x, m - o.dispersionClip * wsd), m + o.dispersionClip * wsd);
      const raw = ((xc - m) ** 2 - m) / (m * m);
      const a = Math.max(this.aDispersion, 1 / (n + 1));
      this.dispersion[k] = Math.max(o.minDispersion, this.dispersion[k] + a * (raw - this.dispersion[k]));
    }
    return { score, alarm, expected: mu };
  }
}

/** Index of the first element of ascending `a` that is >= x. */
function lowerBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Scales factors to mean 1 so the level carries the volume and the factors only its shape. */
function normalise(f: Float64Array): void {
  let sum = 0;
  for (const v of f) sum += v;
  if (!(sum > 0)) return f.fill(1) as unknown as void;
  const scale = f.length / sum;
  for (let i = 0; i < f.length; i++) f[i] *= scale;
}

/**
 * Scores a whole series. `scores[i]` is bucket i's surprise (NaN for a missing bucket); alarms use
 * the options' threshold, refractory and warm-up.
 */
export function scoreCountBursts(values: ArrayLike<number>, options: CountBurstOptions): { scores: Float64Array; expected: Float64Array; alarms: number[] } {
  const d = new CountBurstDetector(options);
  const scores = new Float64Array(values.length);
  const expected = new Float64Array(values.length);
  const alarms: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const step = d.push(values[i]);
    scores[i] = step.score;
    expected[i] = step.expected;
    if (step.alarm) alarms.push(i);
  }
  return { scores, expected, alarms };
}

/**
 * Alarms from precomputed scores with another threshold (same rule as the detector: score ≥
 * threshold, after `warmup` observed buckets, at most one per `refractory` buckets). Scores do not
 * depend on the threshold, so tuning scores a series once and tries thresholds here.
 */
export function alarmsAt(scores: ArrayLike<number>, threshold: number, warmup: number, refractory: number): number[] {
  const out: number[] = [];
  let last = -Infinity;
  let observed = 0;
  for (let i = 0; i < scores.length; i++) {
    if (Number.isNaN(scores[i])) continue;
    const n = observed++;
    if (n >= warmup && scores[i] >= threshold && i - last > refractory) {
      out.push(i);
      last = i;
    }
  }
  return out;
}

export interface CalibrationSeries {
  scores: ArrayLike<number>;
  /** 1 for buckets known to be normal (observed, outside any labelled anomaly window), else 0 */
  normal: ArrayLike<number>;
  bucketMs: number;
}

export interface Calibration {
  threshold: number;
  /** false alarms per day at that threshold on the calibration data (alarms in normal buckets / normal days) */
  falseAlarmsPerDay: number;
  normalDays: number;
}

/** False alarms per day of `threshold` on the series' normal buckets (alarms counted where normal = 1). */
export function falseAlarmRate(
  series: readonly CalibrationSeries[],
  threshold: number,
  warmup: number,
  refractory: number,
): { falseAlarmsPerDay: number; normalDays: number } {
  let alarms = 0;
  let days = 0;
  for (const s of series) {
    let normalBuckets = 0;
    for (let i = 0; i < s.normal.length; i++) if (s.normal[i] && !Number.isNaN(s.scores[i])) normalBuckets++;
    days += (normalBuckets * s.bucketMs) / DAY_MS;
    for (const i of alarmsAt(s.scores, threshold, warmup, refractory)) if (s.normal[i]) alarms++;
  }
  return { falseAlarmsPerDay: days > 0 ? alarms / days : 0, normalDays: days };
}

/**
 * The lowest threshold (one of the normal buckets' own scores) whose false-alarm rate on the normal buckets of `series` is at most
 * `maxPerDay`. The rate is not strictly monotone in the threshold (a refractory period can hide an
 * alarm), so the search scans down from a threshold with no false alarm and stops at the first one
 * over the target.
 * @throws RangeError for a negative rate or no normal data
 */
export function calibrateThreshold(series: readonly CalibrationSeries[], maxPerDay: number, warmup: number, refractory: number): Calibration {
  if (!(maxPerDay >= 0)) throw new RangeError(`maxPerDay must be >= 0, got ${maxPerDay}`);
  // Candidate thresholds: the distinct scores of normal buckets (the rate changes only there), highest first.
  const candidates: number[] = [];
  for (const s of series) for (let i = 0; i < s.scores.length; i++) if (s.normal[i] && Number.isFinite(s.scores[i])) candidates.push(s.scores[i]);
  if (candidates.length === 0) throw new RangeError('no normal, observed buckets to calibrate the threshold on');
  candidates.sort((a, b) => b - a);
  // Bisection over the sorted candidates, then a short linear check around the answer.
  let lo = 0; // candidates[lo - 1] known OK (index of threshold with rate ≤ max), start: top+ε
  let hi = candidates.length;
  const ok = (idx: number) => falseAlarmRate(series, candidates[idx], warmup, refractory).falseAlarmsPerDay <= maxPerDay;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ok(mid)) lo = mid + 1;
    else hi = mid;
  }
  const threshold = lo === 0 ? candidates[0] + 0.01 : candidates[lo - 1];
  const rate = falseAlarmRate(series, threshold, warmup, refractory);
  return { threshold, ...rate };
}
