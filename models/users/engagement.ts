/**
 * Will a user engage (like, reply or repost) tomorrow? A logistic regression on features of the
 * user's previous days, next to the baselines any model must beat: "engaged yesterday" and
 * "engagements in the last 7 days".
 *
 * Activity is kept as dense user × day count matrices (Int32Array) with per-user prefix sums,
 * so every window feature is O(1); the model is fitted by Newton's method (IRLS) with an L2
 * penalty on standardised features, which converges in a handful of iterations for the ~10
 * features used here and needs no learning rate.
 */
import { DAY_MS } from '../../lib/dates';

export interface ActivityPost {
  id: string;
  authorId: string;
  createdAt: string;
}

export interface ActivityEngagement {
  userId: string;
  postId: string;
  at: string;
}

export interface ActivityData {
  users: string[];
  /** UTC day number (days since the epoch) of column 0 */
  firstDay: number;
  numDays: number;
  /** users × days, row-major: engagements given, posts written, engagements received on own posts */
  given: Int32Array;
  posts: Int32Array;
  received: Int32Array;
}

const dayOf = (iso: string, what: string): number => {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new Error(`${what}: timestamp is not ISO-8601: ${JSON.stringify(iso)}`);
  return Math.floor(ms / DAY_MS);
};

/** Daily counts per user. Engagements on posts not in `posts` still count as given, just not as received by anyone. */
export function dailyActivity(posts: readonly ActivityPost[], engagements: readonly ActivityEngagement[]): ActivityData {
  const userIndex = new Map<string, number>();
  const users: string[] = [];
  const idx = (u: string) => {
    let i = userIndex.get(u);
    if (i === undefined) {
      i = users.length;
      userIndex.set(u, i);
      users.push(u);
    }
    return i;
  };
  const postDays = posts.map((p) => dayOf(p.createdAt, `post ${p.id}`));
  const engagementDays = engagements.map((e) => dayOf(e.at, `engagement of ${e.userId} on ${e.postId}`));
  let firstDay = Infinity;
  let lastDay = -Infinity;
  for (const d of postDays.concat(engagementDays)) {
    if (d < firstDay) firstDay = d;
    if (d > lastDay) lastDay = d;
  }
  const authorOf = new Map<string, number>();
  for (const p of posts) authorOf.set(p.id, idx(p.authorId));
  for (const e of engagements) idx(e.userId);
  const numDays = users.length === 0 ? 0 : lastDay - firstDay + 1;
  const given = new Int32Array(users.length * numDays);
  const postCounts = new Int32Array(users.length * numDays);
  const received = new Int32Array(users.length * numDays);
  posts.forEach((p, i) => postCounts[authorOf.get(p.id)! * numDays + postDays[i] - firstDay]++);
  engagements.forEach((e, i) => {
    const day = engagementDays[i] - firstDay;
    given[userIndex.get(e.userId)! * numDays + day]++;
    const author = authorOf.get(e.postId);
    if (author !== undefined) received[author * numDays + day]++;
  });
  return { users, firstDay: numDays === 0 ? 0 : firstDay, numDays, given, posts: postCounts, received };
}

export const ENGAGEMENT_FEATURES = [
  'given_1d', // log1p engagements given on the last day
  'given_7d', // log1p over the last 7 days
  'given_28d', // log1p over the last 28 days
  'active_days_7', // share of the last 7 days with any post or engagement
  'posts_7d', // log1p posts in the last 7 days
  'received_1d', // log1p engagement received on own posts on the last day (people come back to answer)
  'received_7d', // log1p engagement received on own posts in the last 7 days
  'recency', // log1p days since the last engagement given (capped at 60; 60 when never)
  'tenure', // log1p days since the first activity
  'weekday_match', // engaged on the same weekday one week earlier (weekly habits)
] as const;

export interface EngagementExamples {
  /** n × d, row-major, in ENGAGEMENT_FEATURES order */
  x: Float64Array;
  /** 1 when the user engaged on the day after the feature day */
  y: Uint8Array;
  n: number;
  d: number;
  user: Int32Array;
  /** feature day (column index into the activity matrices); the label is from day + 1 */
  day: Int32Array;
  /** baseline scores aligned with the rows */
  baselines: { engagedYesterday: Float64Array; recentActivity: Float64Array };
}

function prefixSums(m: Int32Array, users: number, days: number): Float64Array {
  const p = new Float64Array(users * (days + 1));
  for (let u = 0; u < users; u++) {
    let s = 0;
    for (let t = 0; t < days; t++) {
      s += m[u * days + t];
      p[u * (days + 1) + t + 1] = s;
    }
  }
  return p;
}

/**
 * One row per (user, feature day t) for t in [fromDay, toDay) (column indices; defaults: every day
 * that has a next day), restricted to users already active on or before t. With
 * `includeUnlabelled`, t may be the last day (the label is then 0 and meaningless): that is how
 * tomorrow's scores are produced.
 */
export function engagementExamples(a: ActivityData, opts: { fromDay?: number; toDay?: number; includeUnlabelled?: boolean } = {}): EngagementExamples {
  const U = a.users.length;
  const D = a.numDays;
  const lastFeatureDay = opts.includeUnlabelled ? D : D - 1;
  const from = Math.max(0, opts.fromDay ?? 0);
  const to = Math.min(lastFeatureDay, opts.toDay ?? lastFeatureDay);
  const pg = prefixSums(a.given, U, D);
  const pp = prefixSums(a.posts, U, D);
  const pr = prefixSums(a.received, U, D);
  const d = ENGAGEMENT_FEATURES.length;
  const rows: number[] = [];
  const users: number[] = [];
  const days: number[] = [];
  const labels: number[] = [];
  const yesterday: number[] = [];
  const recent: number[] = [];
  const firstActive = new Int32Array(U).fill(-1);
  for (let u = 0; u < U; u++)
    for (let t = 0; t < D; t++)
      if (a.given[u * D + t] > 0 || a.posts[u * D + t] > 0) {
        firstActive[u] = t;
        break;
      }
  for (let t = from; t < to; t++) {
    for (let u = 0; u < U; u++) {
      if (firstActive[u] === -1 || firstActive[u] > t) continue;
      const row = u * (D + 1);
      const win = (p: Float64Array, len: number) => p[row + t + 1] - p[row + Math.max(0, t + 1 - len)];
      let activeDays = 0;
      for (let s = Math.max(0, t - 6); s <= t; s++) if (a.given[u * D + s] > 0 || a.posts[u * D + s] > 0) activeDays++;
      let recency = 60;
      for (let s = t; s >= Math.max(0, t - 59); s--)
        if (a.given[u * D + s] > 0) {
          recency = t - s;
          break;
        }
      const given1 = win(pg, 1);
      const given7 = win(pg, 7);
      rows.push(
        Math.log1p(given1),
        Math.log1p(given7),
        Math.log1p(win(pg, 28)),
        activeDays / 7,
        Math.log1p(win(pp, 7)),
        Math.log1p(win(pr, 1)),
        Math.log1p(win(pr, 7)),
        Math.log1p(recency),
        Math.log1p(t - firstActive[u]),
        t - 6 >= 0 && a.given[u * D + t - 6] > 0 ? 1 : 0,
      );
      users.push(u);
      days.push(t);
      labels.push(t + 1 < D && a.given[u * D + t + 1] > 0 ? 1 : 0);
      yesterday.push(given1 > 0 ? 1 : 0);
      recent.push(given7);
    }
  }
  return {
    x: Float64Array.from(rows),
    y: Uint8Array.from(labels),
    n: users.length,
    d,
    user: Int32Array.from(users),
    day: Int32Array.from(days),
    baselines: { engagedYesterday: Float64Array.from(yesterday), recentActivity: Float64Array.from(recent) },
  };
}

// ---------------------------------------------------------------------------------------------
// Logistic regression

export interface LogisticModel {
  /** per feature, applied to standardised inputs */
  weights: Float64Array;
  bias: number;
  mean: Float64Array;
  std: Float64Array;
  iterations: number;
  /** P(y = 1) per row of an n × d matrix */
  predict(x: Float64Array, n: number): Float64Array;
}

function solveSymmetric(a: Float64Array, b: Float64Array, m: number): Float64Array {
  // Cholesky: the penalised Hessian is symmetric positive definite
  const l = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * m + j];
      for (let k = 0; k < j; k++) s -= l[i * m + k] * l[j * m + k];
      l[i * m + j] = i === j ? Math.sqrt(Math.max(s, 1e-12)) : s / l[j * m + j];
    }
  }
  const z = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * m + k] * z[k];
    z[i] = s / l[i * m + i];
  }
  const out = new Float64Array(m);
  for (let i = m - 1; i >= 0; i--) {
    let s = z[i];
    for (let k = i + 1; k < m; k++) s -= l[k * m + i] * out[k];
    out[i] = s / l[i * m + i];
  }
  return out;
}

/** L2-penalised logistic regression by Newton's method (the bias is not penalised). */
export function trainLogisticRegression(
  x: Float64Array,
  y: ArrayLike<number>,
  n: number,
  d: number,
  opts: { l2?: number; maxIter?: number; tol?: number } = {},
): LogisticModel {
  if (n === 0) throw new Error('no training examples');
  const l2 = opts.l2 ?? 1e-2;
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let f = 0; f < d; f++) mean[f] += x[i * d + f] / n;
  for (let i = 0; i < n; i++) for (let f = 0; f < d; f++) std[f] += (x[i * d + f] - mean[f]) ** 2 / n;
  for (let f = 0; f < d; f++) std[f] = Math.sqrt(std[f]) || 1;
  const m = d + 1; // parameters: weights then bias
  const beta = new Float64Array(m);
  const z = new Float64Array(m);
  let iterations = 0;
  for (; iterations < (opts.maxIter ?? 50); iterations++) {
    const grad = new Float64Array(m);
    const hess = new Float64Array(m * m);
    for (let i = 0; i < n; i++) {
      let eta = beta[d];
      for (let f = 0; f < d; f++) {
        z[f] = (x[i * d + f] - mean[f]) / std[f];
        eta += beta[f] * z[f];
      }
      z[d] = 1;
      const p = 1 / (1 + Math.exp(-eta));
      const r = p - y[i];
      const w = Math.max(p * (1 - p), 1e-10);
      for (let a = 0; a < m; a++) {
        grad[a] += r * z[a];
        for (let b = 0; b <= a; b++) hess[a * m + b] += w * z[a] * z[b];
      }
    }
    for (let a = 0; a < m; a++) for (let b = 0; b < a; b++) hess[b * m + a] = hess[a * m + b];
    for (let f = 0; f < d; f++) {
      grad[f] += l2 * n * beta[f];
      hess[f * m + f] += l2 * n;
    }
    const step = solveSymmetric(hess, grad, m);
    let change = 0;
    for (let a = 0; a < m; a++) {
      beta[a] -= step[a];
      change = Math.max(change, Math.abs(step[a]));
    }
    if (change < (opts.tol ?? 1e-8)) {
      iterations++;
      break;
    }
  }
  const weights = beta.slice(0, d);
  const bias = beta[d];
  return {
    weights,
    bias,
    mean,
    std,
    iterations,
    predict(xs, rows) {
      const out = new Float64Array(rows);
      for (let i = 0; i < rows; i++) {
        let eta = bias;
        for (let f = 0; f < d; f++) eta += weights[f] * ((xs[i * d + f] - mean[f]) / std[f]);
        out[i] = 1 / (1 + Math.exp(-eta));
      }
      return out;
    },
  };
}

/**
 * Area under the ROC curve by the rank-sum (Mann–Whitney) formula, ties counted half. NaN when
 * the labels contain only one class.
 */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>): number {
  const n = scores.length;
  if (labels.length !== n) throw new Error(`scores and labels differ in length: ${n} vs ${labels.length}`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let rankSumPos = 0;
  let pos = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (labels[order[k]]) {
        rankSumPos += avgRank;
        pos++;
      }
    }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return NaN;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

export interface EngagementEvaluation {
  auc: number;
  /**
   * AUC of any other scorer (e.g. the serving version) on exactly these test examples, so a
   * candidate and the model it would replace are compared on the same data
   */
  aucOf(predict: (x: Float64Array, n: number) => Float64Array): number;
  baseline: { engagedYesterday: number; recentActivity: number };
  trainExamples: number;
  testExamples: number;
  testPositiveRate: number;
  /** standardised coefficients by feature: sign and size say what drives the prediction */
  coefficients: Record<string, number>;
}

/**
 * Trains on every feature day before the last `testDays` labelled days and reports AUC on those
 * days (a forward-in-time split: the model never sees the future it is scored on).
 */
export function evaluateEngagementPrediction(
  activity: ActivityData,
  opts: { testDays?: number; l2?: number } = {},
): { model: LogisticModel; evaluation: EngagementEvaluation } {
  const labelledDays = activity.numDays - 1;
  const testDays = opts.testDays ?? 7;
  if (labelledDays < testDays + 1) throw new Error(`need at least ${testDays + 2} days of activity (got ${activity.numDays})`);
  const split = labelledDays - testDays;
  const train = engagementExamples(activity, { toDay: split });
  const test = engagementExamples(activity, { fromDay: split });
  const model = trainLogisticRegression(train.x, train.y, train.n, train.d, { l2: opts.l2 });
  const scores = model.predict(test.x, test.n);
  let positives = 0;
  for (let i = 0; i < test.n; i++) positives += test.y[i];
  return {
    model,
    evaluation: {
      auc: auc(scores, test.y),
      aucOf: (predict) => auc(predict(test.x, test.n), test.y),
      baseline: {
        engagedYesterday: auc(test.baselines.engagedYesterday, test.y),
        recentActivity: auc(test.baselines.recentActivity, test.y),
      },
      trainExamples: train.n,
      testExamples: test.n,
      testPositiveRate: test.n > 0 ? positives / test.n : 0,
      coefficients: Object.fromEntries(ENGAGEMENT_FEATURES.map((f, i) => [f, model.weights[i]])),
    },
  };
}

/**
 * The scoring function of a stored logistic model (weights on standardised inputs, the mean and
 * std it standardised with, and the feature names it was trained on). Throws when the features
 * are not ENGAGEMENT_FEATURES in order (a version trained on other features cannot score these
 * rows) or the lengths disagree.
 */
export function logisticScorer(a: {
  weights: ArrayLike<number>;
  bias: number;
  mean: ArrayLike<number>;
  std: ArrayLike<number>;
  features?: readonly string[];
}): (x: Float64Array, n: number) => Float64Array {
  const d = ENGAGEMENT_FEATURES.length;
  if (a.features && (a.features.length !== d || a.features.some((f, i) => f !== ENGAGEMENT_FEATURES[i]))) {
    throw new Error(`it was trained on features ${a.features.join(', ')}, not ${ENGAGEMENT_FEATURES.join(', ')}`);
  }
  if (a.weights.length !== d || a.mean.length !== d || a.std.length !== d)
    throw new Error(`it has ${a.weights.length} weights, ${a.mean.length} means and ${a.std.length} stds for ${d} features`);
  return (x, n) => {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let eta = a.bias;
      for (let f = 0; f < d; f++) eta += a.weights[f] * ((x[i * d + f] - a.mean[f]) / (a.std[f] || 1));
      out[i] = 1 / (1 + Math.exp(-eta));
    }
    return out;
  };
}

/** A stored engagement model, as the registry's `engagement` versions hold it (JSON): weights on standardised ENGAGEMENT_FEATURES. */
export type EngagementArtifact = Pick<LogisticModel, 'weights' | 'bias'> & { features: string[]; mean: number[]; std: number[] };

/**
 * P(engages on the day after the last day of `activity`) per user id, under a stored model (the
 * serving version's artifact). Throws like logisticScorer when the artifact's features are not
 * ENGAGEMENT_FEATURES.
 */
export function engagementProbabilities(artifact: EngagementArtifact, activity: ActivityData): Map<string, number> {
  const last = activity.numDays - 1;
  const ex = engagementExamples(activity, { fromDay: last, toDay: last + 1, includeUnlabelled: true });
  const p = logisticScorer(artifact)(ex.x, ex.n);
  const out = new Map<string, number>();
  for (let i = 0; i < ex.n; i++) out.set(activity.users[ex.user[i]], p[i]);
  return out;
}

/** P(engages on the day after the last day of `activity`) for every user active so far. */
export function predictNextDayEngagement(model: LogisticModel, activity: ActivityData): { userId: string; probability: number }[] {
  const last = activity.numDays - 1;
  const ex = engagementExamples(activity, { fromDay: last, toDay: last + 1, includeUnlabelled: true });
  const p = model.predict(ex.x, ex.n);
  return Array.from({ length: ex.n }, (_, i) => ({ userId: activity.users[ex.user[i]], probability: p[i] }));
}
