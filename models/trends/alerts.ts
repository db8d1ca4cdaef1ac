/**
 * Trend alerts for a live stream: which hashtags, terms and topics are emerging in the latest closed
 * buckets, each with an explanation a person can check.
 *
 * Detection is the project's burst detector (burst.ts `BurstDetector`, the same log-volume z-score with a
 * clipped, burst-proof baseline) run per key over the stream's buckets, with settings for minutes, not
 * days: no time-of-day profile (a stream has not seen a day yet), each bucket scored alone (λ = 1, so an
 * alert comes one bucket after the surge, not hours), a short warm-up, and a floor of `minPosts` posts so
 * a word appearing three times is never "emerging".
 *
 * Explanation: the baseline it beat is the key's mean posts per bucket over the `baselineBuckets`
 * before the alert (what a person would call "usual"); the excess is the bucket's posts minus that. The
 * drivers are the other terms, the authors and the topics of the bucket's posts with the key: each one's
 * contribution is its posts with the key in the bucket minus its own usual number with the key, and its
 * share of the excess is that contribution divided by the excess (0–1).
 */
import { BurstDetector, type BurstOptions } from './burst';

export type AlertKind = 'hashtag' | 'term' | 'topic';

export interface AlertPost {
  id: string;
  author: string;
  /** epoch ms */
  createdAt: number;
  /** lower case, without '#' */
  hashtags: readonly string[];
  /** content words (models/topics/terms `extractTerms`), hashtags excluded */
  terms: readonly string[];
  topic: number | null;
}

export interface AlertOptions {
  /** bucket length, ms (default 5 minutes) */
  bucketMs?: number;
  /** observed buckets before anything can alert (default 6) */
  warmup?: number;
  /** z-score to beat (default 4) */
  threshold?: number;
  /** the fewest posts with the key in the bucket (default 5) */
  minPosts?: number;
  /** buckets whose mean is the explanation's baseline (default 12) */
  baselineBuckets?: number;
  /** drivers listed per kind (default 5) */
  topDrivers?: number;
}

export interface Driver {
  key: string;
  /** posts with the alert's key and this driver in the alert bucket */
  posts: number;
  /** its usual posts per bucket with the key */
  baseline: number;
  /** (posts − baseline) / the alert's excess, clipped to [0, 1] */
  share: number;
}

export interface StreamAlert {
  kind: AlertKind;
  key: string;
  /** epoch ms of the bucket's start */
  bucketStart: number;
  bucketMs: number;
  posts: number;
  /** usual posts per bucket (mean over the baseline buckets) */
  baseline: number;
  /** posts − baseline */
  excess: number;
  /** (posts + 1) / (baseline + 1) */
  ratio: number;
  /** the detector's z-score */
  score: number;
  explanation: {
    summary: string;
    baseline: { postsPerBucket: number; buckets: number };
    beat: { excess: number; ratio: number; score: number; threshold: number };
    drivers: { terms: Driver[]; authors: Driver[]; topics: Driver[]; hashtags: Driver[] };
  };
}

const DEFAULTS: Required<AlertOptions> = { bucketMs: 5 * 60_000, warmup: 6, threshold: 4, minPosts: 5, baselineBuckets: 12, topDrivers: 5 };

/** The burst detector's settings for a stream's buckets (see the module comment). */
export function streamBurstOptions(o: Required<AlertOptions>): BurstOptions {
  return {
    seasonality: 0,
    smoothing: 1,
    spreadAlpha: 0.2,
    levelAlpha: 0.2,
    varianceAlpha: 0.2,
    warmup: o.warmup,
    threshold: o.threshold,
    refractory: 3,
    clip: 2,
    minSigma: 0.25,
  };
}

const keysOf = (p: AlertPost, kind: AlertKind): string[] =>
  kind === 'hashtag' ? [...new Set(p.hashtags)] : kind === 'term' ? [...new Set(p.terms)] : p.topic === null ? [] : [`topic:${p.topic}`];

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/**
 * Alerts of the closed buckets in [start, watermark).
 * @param posts the stream's posts in that span (others are ignored)
 * @param span `start`: first bucket's start (epoch ms, the stream's beginning or the look-back); `watermark`:
 *   buckets ending at or before it are closed (later posts are ignored until their bucket closes)
 * @returns every alarm in the span, oldest first (a caller records new ones and ignores those it has)
 * @throws RangeError for a non-positive bucket or a watermark before start
 */
export function detectStreamAlerts(posts: readonly AlertPost[], span: { start: number; watermark: number }, options: AlertOptions = {}): StreamAlert[] {
  // An option given as undefined keeps its default (callers pass optional settings through).
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined && v !== null));
  const o: Required<AlertOptions> = { ...DEFAULTS, ...given };
  if (!(o.bucketMs > 0)) throw new RangeError(`bucketMs must be positive, got ${o.bucketMs}`);
  if (!(span.watermark >= span.start)) throw new RangeError('watermark must not be before start');
  const n = Math.floor((span.watermark - span.start) / o.bucketMs);
  if (n <= 0) return [];
  const bucketOf = (t: number) => Math.floor((t - span.start) / o.bucketMs);
  const inSpan = posts.filter((p) => Number.isFinite(p.createdAt) && bucketOf(p.createdAt) >= 0 && bucketOf(p.createdAt) < n);
  const alerts: StreamAlert[] = [];
  for (const kind of ['hashtag', 'term', 'topic'] as const) {
    const series = new Map<string, Float64Array>();
    for (const p of inSpan) {
      for (const k of keysOf(p, kind)) {
        let s = series.get(k);
        if (!s) series.set(k, (s = new Float64Array(n)));
        s[bucketOf(p.createdAt)]++;
      }
    }
    for (const [key, values] of series) {
      let peak = 0;
      for (const v of values) if (v > peak) peak = v;
      if (peak < o.minPosts) continue; // nothing here could alert: skip the detector
      const detector = new BurstDetector(streamBurstOptions(o));
      for (let i = 0; i < n; i++) {
        const { score, alarm } = detector.push(values[i]);
        if (!alarm || values[i] < o.minPosts) continue;
        alerts.push(explain(kind, key, i, values, score, inSpan, bucketOf, span.start, o));
      }
    }
  }
  return alerts.sort((a, b) => a.bucketStart - b.bucketStart || b.score - a.score || a.key.localeCompare(b.key));
}

function explain(
  kind: AlertKind,
  key: string,
  i: number,
  values: Float64Array,
  score: number,
  posts: readonly AlertPost[],
  bucketOf: (t: number) => number,
  start: number,
  o: Required<AlertOptions>,
): StreamAlert {
  const from = Math.max(0, i - o.baselineBuckets);
  const buckets = i - from;
  let sum = 0;
  for (let j = from; j < i; j++) sum += values[j];
  const baseline = buckets > 0 ? sum / buckets : 0;
  const observed = values[i];
  const excess = observed - baseline;
  const withKey = posts.filter((p) => keysOf(p, kind).includes(key));
  const driversOf = (dKind: AlertKind | 'author'): Driver[] => {
    const now = new Map<string, number>();
    const before = new Map<string, number>();
    for (const p of withKey) {
      const b = bucketOf(p.createdAt);
      const target = b === i ? now : b >= from && b < i ? before : null;
      if (!target) continue;
      const ks = dKind === 'author' ? [p.author] : keysOf(p, dKind).filter((k) => !(dKind === kind && k === key));
      for (const k of ks) target.set(k, (target.get(k) ?? 0) + 1);
    }
    return [...now]
      .map(([k, c]) => {
        const usual = buckets > 0 ? (before.get(k) ?? 0) / buckets : 0;
        return { key: k, posts: c, baseline: round(usual), share: round(Math.min(1, Math.max(0, (c - usual) / Math.max(excess, 1e-9))), 3) };
      })
      .sort((a, b) => b.share - a.share || b.posts - a.posts || a.key.localeCompare(b.key))
      .slice(0, o.topDrivers);
  };
  const ratio = (observed + 1) / (baseline + 1);
  const drivers = { terms: driversOf('term'), authors: driversOf('author'), topics: driversOf('topic'), hashtags: driversOf('hashtag') };
  const label = kind === 'hashtag' ? `#${key}` : kind === 'topic' ? key : `"${key}"`;
  const lead = drivers.authors[0];
  const summary =
    `${label}: ${observed} posts in ${Math.round(o.bucketMs / 60_000)} min against a usual ${round(baseline)} ` +
    `(${round(ratio, 1)}×, z=${round(score, 1)} over ${o.threshold})` +
    (lead ? `; top author ${lead.key} with ${Math.round(lead.share * 100)}% of the excess` : '');
  return {
    kind,
    key,
    bucketStart: start + i * o.bucketMs,
    bucketMs: o.bucketMs,
    posts: observed,
    baseline: round(baseline),
    excess: round(excess),
    ratio: round(ratio),
    score: round(score),
    explanation: {
      summary,
      baseline: { postsPerBucket: round(baseline), buckets },
      beat: { excess: round(excess), ratio: round(ratio), score: round(score), threshold: o.threshold },
      drivers,
    },
  };
}
