/**
 * Short-horizon volume forecasts with prediction intervals.
 *
 * Model: additive Holt-Winters (level, damped-free trend, seasonal index per bucket of the season) on
 * log1p(volume). Counts are multiplicative in nature (a busy hour is "3× the night", not "+300"), and
 * the log makes that additive and roughly stabilises the variance. Smoothing parameters are chosen by
 * one-step squared error on the training span only. Intervals are empirical quantiles of the model's
 * own h-step errors on the training span (no normality assumption: volume errors are skewed).
 *
 * Missing values (NaN: nothing was collected) are skipped, not learnt as zeros: at a missing bucket
 * the state moves on by its own forecast (level + trend, seasonal index kept), it adds nothing to the
 * fitting error or the interval quantiles, and forecasts for it are still made.
 */

export type Transform = 'log1p' | 'none';

export interface HoltWintersParams {
  /** buckets per season, e.g. 288 for a daily cycle of 5-minute buckets; 0 or 1 = no seasonality */
  seasonality: number;
  alpha: number;
  beta: number;
  gamma: number;
  transform: Transform;
}

const forward = (t: Transform, x: number) => (t === 'log1p' ? Math.log1p(Math.max(0, x)) : x);
const backward = (t: Transform, y: number) => (t === 'log1p' ? Math.max(0, Math.expm1(y)) : y);

/**
 * Runs the Holt-Winters filter over `values` and, for every origin i (after seeing values[0..i]),
 * records the `horizon`-step-ahead forecast for index i + horizon, in transformed space.
 * Returns forecasts indexed by target (NaN where no origin was available) and the one-step SSE
 * over targets >= `scoreFrom`.
 */
function filter(values: ArrayLike<number>, p: HoltWintersParams, horizon: number, scoreFrom: number) {
  const n = values.length;
  const m = p.seasonality > 1 ? p.seasonality : 0;
  const out = new Float64Array(n).fill(NaN);
  const season = new Float64Array(Math.max(1, m));
  const seasonKnown = new Uint8Array(Math.max(1, m));
  // Initial state from the first season: level = the mean of its observed values (of the first
  // observed value when it has none), seasonal indices = their deviations from it.
  const init = Math.min(n, Math.max(1, m));
  let level = 0;
  let observed = 0;
  for (let i = 0; i < init; i++) {
    if (Number.isNaN(values[i])) continue;
    level += forward(p.transform, values[i]);
    observed++;
  }
  if (observed > 0) level /= observed;
  else
    for (let i = 0; i < n; i++)
      if (!Number.isNaN(values[i])) {
        level = forward(p.transform, values[i]);
        break;
      }
  for (let i = 0; i < (m ? init : 0); i++) {
    if (Number.isNaN(values[i])) continue;
    season[i] = forward(p.transform, values[i]) - level;
    seasonKnown[i] = 1;
  }
  let trend = 0;
  let sse = 0;
  for (let i = 0; i < n; i++) {
    const missing = Number.isNaN(values[i]);
    const slot = m ? i % m : 0;
    if (missing) {
      // No observation: carry the state forward by its own forecast.
      level += trend;
    } else {
      const y = forward(p.transform, values[i]);
      // A slot first seen after the first season starts at its own residual, i.e. adds no surprise.
      if (m && !seasonKnown[slot]) {
        season[slot] = y - level - trend;
        seasonKnown[slot] = 1;
      }
      const s = m ? season[slot] : 0;
      const predicted = level + trend + s;
      if (i >= scoreFrom && i > 0) sse += (y - predicted) ** 2;
      const prevLevel = level;
      level = p.alpha * (y - s) + (1 - p.alpha) * (level + trend);
      trend = p.beta * (level - prevLevel) + (1 - p.beta) * trend;
      if (m) season[slot] = p.gamma * (y - level) + (1 - p.gamma) * s;
    }
    const target = i + horizon;
    if (target < n) out[target] = level + horizon * trend + (m ? season[target % m] : 0);
  }
  return { forecast: out, sse };
}

export interface FitOptions {
  seasonality: number;
  transform?: Transform;
  /** candidate values; the defaults span slow to fast adaptation */
  alphas?: readonly number[];
  betas?: readonly number[];
  gammas?: readonly number[];
}

/**
 * Grid search of (α, β, γ) minimising one-step squared error on `train`, skipping the first season
 * (it only initialises the state). A grid rather than an optimiser: the surface is flat and
 * multi-modal, and 60 filter passes over two weeks of 5-minute buckets take milliseconds.
 */
export function fitHoltWinters(train: ArrayLike<number>, opts: FitOptions): HoltWintersParams {
  const transform = opts.transform ?? 'log1p';
  const alphas = opts.alphas ?? [0.05, 0.1, 0.2, 0.4, 0.7];
  const betas = opts.betas ?? [0, 0.01];
  const gammas = opts.gammas ?? [0.05, 0.1, 0.2, 0.4, 0.6, 0.8];
  const m = opts.seasonality > 1 ? opts.seasonality : 0;
  let best: HoltWintersParams = { seasonality: opts.seasonality, alpha: alphas[0], beta: betas[0], gamma: gammas[0], transform };
  let bestSse = Infinity;
  for (const alpha of alphas) {
    for (const beta of betas) {
      for (const gamma of m ? gammas : [0]) {
        const p = { seasonality: opts.seasonality, alpha, beta, gamma, transform };
        const { sse } = filter(train, p, 1, Math.max(1, m));
        if (sse < bestSse) {
          bestSse = sse;
          best = p;
        }
      }
    }
  }
  return best;
}

export interface RollingForecast {
  /** forecast[i] = forecast of values[i] made at origin i - horizon (NaN before `from`) */
  forecast: Float64Array;
  lower: Float64Array;
  upper: Float64Array;
  /** first index with a forecast */
  from: number;
  params: HoltWintersParams;
}

export interface RollingForecastOptions {
  seasonality: number;
  /** buckets ahead (default 1) */
  horizon?: number;
  /** length of the span used to fit parameters and interval quantiles; forecasts start after it */
  trainLength: number;
  /** nominal coverage of the prediction interval (default 0.9) */
  level?: number;
  transform?: Transform;
}

/**
 * Rolling-origin forecasts: parameters and error quantiles are fitted once on values[0..trainLength),
 * then the filter runs through the rest, each forecast using only the values before its origin.
 */
export function rollingForecast(values: ArrayLike<number>, opts: RollingForecastOptions): RollingForecast {
  const horizon = opts.horizon ?? 1;
  const level = opts.level ?? 0.9;
  if (!Number.isInteger(horizon) || horizon < 1) throw new Error(`horizon must be a positive integer, got ${horizon}`);
  if (!(level > 0 && level < 1)) throw new Error(`level must be in (0, 1), got ${level}`);
  const m = opts.seasonality > 1 ? opts.seasonality : 0;
  if (opts.trainLength < 2 * Math.max(1, m)) {
    throw new Error(`need at least two seasons (${2 * Math.max(1, m)} buckets) to fit, got ${opts.trainLength}`);
  }
  const train = Array.prototype.slice.call(values, 0, opts.trainLength) as number[];
  const params = fitHoltWinters(train, { seasonality: opts.seasonality, transform: opts.transform });
  const { forecast: raw } = filter(values, params, horizon, 0);

  // In-sample h-step errors (transformed space) after the initialising season give the quantiles.
  const errors: number[] = [];
  for (let i = Math.max(1, m) + horizon; i < opts.trainLength; i++) {
    if (!Number.isNaN(values[i]) && Number.isFinite(raw[i])) errors.push(forward(params.transform, values[i]) - raw[i]);
  }
  if (errors.length === 0) throw new Error(`no observed values after the first season of the ${opts.trainLength}-bucket training span: nothing to fit on`);
  errors.sort((a, b) => a - b);
  const qLo = quantileSorted(errors, (1 - level) / 2);
  const qHi = quantileSorted(errors, (1 + level) / 2);

  const n = values.length;
  const forecast = new Float64Array(n).fill(NaN);
  const lower = new Float64Array(n).fill(NaN);
  const upper = new Float64Array(n).fill(NaN);
  const from = Math.max(opts.trainLength, horizon);
  for (let i = from; i < n; i++) {
    forecast[i] = backward(params.transform, raw[i]);
    lower[i] = backward(params.transform, raw[i] + qLo);
    upper[i] = backward(params.transform, raw[i] + qHi);
  }
  return { forecast, lower, upper, from, params };
}

/** Linear-interpolated quantile of an ascending array (type 7, as R and numpy default). */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * Seasonal naive forecast for every index: the value one season earlier (NaN for the first season).
 * For any horizon up to one season it is the same number whatever the origin.
 */
export function seasonalNaive(values: ArrayLike<number>, seasonality: number): Float64Array {
  const m = Math.max(1, seasonality);
  const out = new Float64Array(values.length).fill(NaN);
  for (let i = m; i < values.length; i++) out[i] = values[i - m];
  return out;
}

/**
 * Mean absolute scaled error (Hyndman & Koehler 2006): MAE of the forecast over the pairs where both
 * are finite, divided by the in-sample MAE of the seasonal naive forecast on `train` (over the pairs
 * one season apart that were both observed; missing values are NaN).
 * < 1: better than seasonal naive was on the training data. Infinity if train is perfectly periodic.
 */
export function mase(actual: ArrayLike<number>, forecast: ArrayLike<number>, train: ArrayLike<number>, seasonality: number): number {
  if (actual.length !== forecast.length) throw new Error(`actual has ${actual.length} values, forecast ${forecast.length}`);
  const m = Math.max(1, seasonality);
  if (train.length <= m) throw new Error(`train needs more than ${m} values to scale MASE, got ${train.length}`);
  let scale = 0;
  let pairs = 0;
  for (let i = m; i < train.length; i++) {
    const d = Math.abs(train[i] - train[i - m]);
    if (Number.isNaN(d)) continue;
    scale += d;
    pairs++;
  }
  if (pairs === 0) throw new Error(`train has no two observed values one season (${m}) apart to scale MASE`);
  scale /= pairs;
  let err = 0;
  let count = 0;
  for (let i = 0; i < actual.length; i++) {
    if (Number.isFinite(actual[i]) && Number.isFinite(forecast[i])) {
      err += Math.abs(actual[i] - forecast[i]);
      count++;
    }
  }
  if (count === 0) return NaN;
  return scale === 0 ? (err === 0 ? 0 : Infinity) : err / count / scale;
}
