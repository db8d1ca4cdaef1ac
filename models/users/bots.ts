/**
 * Bot-likeness: a transparent score in [0, 1] per author, not a trained classifier. We have no
 * labelled bots, so the score is a weighted mean of per-signal sub-scores, each a logistic curve
 * whose midpoint is the value at which that signal alone looks "half bot". Every number is in
 * `BOT_SIGNALS` below, and `botScore` returns each signal's contribution so an analyst can see
 * why an account scored high.
 *
 * Signals that are unknown for an author (no follower counts, too few posts to judge timing)
 * are left out and the remaining weights renormalised, so missing data neither accuses nor
 * clears anyone.
 */

export interface BotFeatures {
  /** posts observed */
  posts: number;
  postsPerDay: number;
  /** share of posts that are near-duplicates of another post (0..1) */
  nearDuplicateRatio: number;
  /** share of posts with a link (0..1) */
  urlRate: number;
  hashtagsPerPost: number;
  /** Shannon entropy (bits) of the hour-of-day histogram; max log2(24) ≈ 4.58 = posting evenly around the clock */
  hourEntropy: number;
  /** coefficient of variation of the gaps between consecutive posts (null with fewer than MIN_INTERVALS gaps) */
  intervalCv: number | null;
  /** share of gaps shorter than a minute (null with fewer than MIN_INTERVALS gaps) */
  rapidFireRatio: number | null;
  followers: number | null;
  following: number | null;
}

/** Gaps needed before timing signals are trusted: with 2–3 posts any rhythm looks regular. */
export const MIN_INTERVALS = 5;

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

export interface BotSignal {
  weight: number;
  /** why this is a bot signal, shown next to the number */
  rationale: string;
  /** the raw value the sub-score is computed from, or null when unknown */
  value(f: BotFeatures): number | null;
  /** sub-score in [0, 1] */
  score(value: number): number;
}

export const BOT_SIGNALS: Record<string, BotSignal> = {
  nearDuplicateRatio: {
    weight: 0.25,
    rationale: 'posting the same text again and again (0.5 at 40% near-duplicate posts)',
    value: (f) => (f.posts > 0 ? f.nearDuplicateRatio : null),
    score: (v) => sigmoid((v - 0.4) / 0.08),
  },
  postsPerDay: {
    weight: 0.15,
    rationale: 'volume few people sustain (0.5 at 30 posts/day, 0.9 at ~90)',
    value: (f) => (f.posts > 0 ? f.postsPerDay : null),
    score: (v) => sigmoid((Math.log10(Math.max(v, 1e-3)) - Math.log10(30)) / 0.2),
  },
  regularity: {
    weight: 0.15,
    rationale: 'scheduled posting: gaps of nearly equal length (0.5 at gap CV 0.5; people are bursty, CV ≥ 1)',
    value: (f) => f.intervalCv,
    score: (v) => 1 - sigmoid((v - 0.5) / 0.12),
  },
  hourEntropy: {
    weight: 0.1,
    rationale: 'active around the clock, no sleep gap (0.5 at 3.9 of 4.58 bits)',
    value: (f) => (f.posts >= 2 * MIN_INTERVALS ? f.hourEntropy : null),
    score: (v) => sigmoid((v - 3.9) / 0.15),
  },
  urlRate: {
    weight: 0.1,
    rationale: 'nearly every post carries a link (0.5 at 60% of posts)',
    value: (f) => (f.posts > 0 ? f.urlRate : null),
    score: (v) => sigmoid((v - 0.6) / 0.1),
  },
  hashtagsPerPost: {
    weight: 0.1,
    rationale: 'hashtag stuffing (0.5 at 3 hashtags per post)',
    value: (f) => (f.posts > 0 ? f.hashtagsPerPost : null),
    score: (v) => sigmoid((v - 3) / 0.6),
  },
  followImbalance: {
    weight: 0.1,
    rationale: 'follows far more accounts than follow back (0.5 when following = 10 × followers)',
    value: (f) => (f.followers === null || f.following === null ? null : Math.log10(f.following + 1) - Math.log10(f.followers + 1)),
    score: (v) => sigmoid((v - 1) / 0.3),
  },
  rapidFire: {
    weight: 0.05,
    rationale: 'many posts less than a minute apart (0.5 when 30% of gaps are)',
    value: (f) => f.rapidFireRatio,
    score: (v) => sigmoid((v - 0.3) / 0.08),
  },
};

export interface BotScore {
  score: number;
  /** per signal: raw value, sub-score and the weight it carried after renormalisation */
  contributions: Record<string, { value: number; subscore: number; weight: number }>;
}

export function botScore(features: BotFeatures): BotScore {
  const contributions: BotScore['contributions'] = {};
  let totalWeight = 0;
  for (const [name, signal] of Object.entries(BOT_SIGNALS)) {
    const value = signal.value(features);
    if (value === null || !Number.isFinite(value)) continue;
    contributions[name] = { value, subscore: signal.score(value), weight: signal.weight };
    totalWeight += signal.weight;
  }
  let score = 0;
  for (const c of Object.values(contributions)) {
    c.weight /= totalWeight;
    score += c.weight * c.subscore;
  }
  return { score: totalWeight > 0 ? score : 0, contributions };
}

export interface PrecisionRecall {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  /** tp / (tp + fp); 0 when nothing was predicted positive */
  precision: number;
  /** tp / (tp + fn); 0 when there are no positives */
  recall: number;
  f1: number;
}

export function precisionRecall(predicted: ArrayLike<boolean>, truth: ArrayLike<boolean>): PrecisionRecall {
  if (predicted.length !== truth.length) throw new Error(`predicted and truth differ in length: ${predicted.length} vs ${truth.length}`);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < predicted.length; i++) {
    if (predicted[i]) truth[i] ? tp++ : fp++;
    else truth[i] ? fn++ : tn++;
  }
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { tp, fp, fn, tn, precision, recall, f1 };
}
