/**
 * User segments: k-means++ on standardised profile features, with k chosen by silhouette.
 *
 * Heavy-tailed counts (posts per day, engagement) are log1p-transformed before z-scoring;
 * otherwise one celebrity would be a segment of their own and everyone else another. The
 * silhouette is computed on a seeded sample so choosing k stays O(sample² · d) however many users
 * there are. Segments are named from their centroid's z-scores (how far the segment sits from the
 * population on each feature), by a short list of rules that read like an analyst's labels, with
 * a generic "high X, low Y" fallback.
 */

import { createRng, type Rng } from '../random';
import type { UserProfile } from './profile';

// ---------------------------------------------------------------------------------------------
// k-means++

export interface KMeansResult {
  k: number;
  assignments: Int32Array;
  /** k × d, row-major, in the space the data was given in */
  centroids: Float64Array;
  /** sum of squared distances to the assigned centroid */
  inertia: number;
}

function sqDist(x: Float64Array, i: number, c: Float64Array, j: number, d: number): number {
  let s = 0;
  const oi = i * d;
  const oj = j * d;
  for (let f = 0; f < d; f++) {
    const diff = x[oi + f] - c[oj + f];
    s += diff * diff;
  }
  return s;
}

/** k-means++ seeding (Arthur & Vassilvitskii 2007): each next centre drawn with probability ∝ squared distance to the nearest chosen one. */
function seedCentroids(x: Float64Array, n: number, d: number, k: number, rng: Rng): Float64Array {
  const c = new Float64Array(k * d);
  const nearest = new Float64Array(n).fill(Infinity);
  let pick = rng.int(n);
  for (let j = 0; j < k; j++) {
    c.set(x.subarray(pick * d, pick * d + d), j * d);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const dist = sqDist(x, i, c, j, d);
      if (dist < nearest[i]) nearest[i] = dist;
      total += nearest[i];
    }
    if (j + 1 === k) break;
    if (total === 0) {
      pick = rng.int(n); // fewer distinct points than k: duplicates are unavoidable
      continue;
    }
    let r = rng.next() * total;
    pick = n - 1;
    for (let i = 0; i < n; i++) {
      r -= nearest[i];
      if (r < 0) {
        pick = i;
        break;
      }
    }
  }
  return c;
}

function lloyd(x: Float64Array, n: number, d: number, k: number, c: Float64Array, maxIter: number): KMeansResult {
  const assignments = new Int32Array(n).fill(-1);
  const sums = new Float64Array(k * d);
  const counts = new Int32Array(k);
  let inertia = 0;
  for (let iter = 0; iter < maxIter; iter++) {
    let changed = 0;
    inertia = 0;
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bestDist = Infinity;
      for (let j = 0; j < k; j++) {
        const dist = sqDist(x, i, c, j, d);
        if (dist < bestDist) {
          bestDist = dist;
          best = j;
        }
      }
      inertia += bestDist;
      if (assignments[i] !== best) {
        assignments[i] = best;
        changed++;
      }
    }
    if (changed === 0) break;
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const j = assignments[i];
      counts[j]++;
      for (let f = 0; f < d; f++) sums[j * d + f] += x[i * d + f];
    }
    for (let j = 0; j < k; j++) {
      if (counts[j] === 0) {
        // an emptied cluster restarts at the point worst served by its centroid
        let worst = 0;
        let worstDist = -1;
        for (let i = 0; i < n; i++) {
          const dist = sqDist(x, i, c, assignments[i], d);
          if (dist > worstDist) {
            worstDist = dist;
            worst = i;
          }
        }
        c.set(x.subarray(worst * d, worst * d + d), j * d);
        assignments[worst] = j;
        continue;
      }
      for (let f = 0; f < d; f++) c[j * d + f] = sums[j * d + f] / counts[j];
    }
  }
  return { k, assignments, centroids: c, inertia };
}

/** Best of `restarts` seeded k-means++ runs by inertia. `x` is n × d row-major. */
export function kmeans(x: Float64Array, n: number, d: number, k: number, opts: { seed?: number; restarts?: number; maxIter?: number } = {}): KMeansResult {
  if (k < 1 || k > n) throw new Error(`k must be between 1 and the number of points (${n}); got ${k}`);
  const rng = createRng(opts.seed ?? 1);
  let best: KMeansResult | null = null;
  for (let r = 0; r < (opts.restarts ?? 4); r++) {
    const result = lloyd(x, n, d, k, seedCentroids(x, n, d, k, rng), opts.maxIter ?? 100);
    if (!best || result.inertia < best.inertia) best = result;
  }
  return best!;
}

/**
 * Mean silhouette (Rousseeuw 1987) over at most `sample` points drawn with the seed; distances are
 * computed against the same sample, which is an unbiased enough estimate for choosing k.
 */
export function silhouetteScore(
  x: Float64Array,
  n: number,
  d: number,
  assignments: ArrayLike<number>,
  k: number,
  opts: { sample?: number; seed?: number } = {},
): number {
  const sampleSize = Math.min(n, opts.sample ?? 2000);
  const idx =
    sampleSize === n
      ? Array.from({ length: n }, (_, i) => i)
      : createRng(opts.seed ?? 1)
          .shuffle(Array.from({ length: n }, (_, i) => i))
          .slice(0, sampleSize);
  const m = idx.length;
  const sums = new Float64Array(k);
  const sizes = new Int32Array(k);
  for (const i of idx) sizes[assignments[i]]++;
  let total = 0;
  for (let a = 0; a < m; a++) {
    const i = idx[a];
    sums.fill(0);
    for (let b = 0; b < m; b++) {
      if (a === b) continue;
      const j = idx[b];
      let s = 0;
      for (let f = 0; f < d; f++) {
        const diff = x[i * d + f] - x[j * d + f];
        s += diff * diff;
      }
      sums[assignments[j]] += Math.sqrt(s);
    }
    const own = assignments[i];
    if (sizes[own] <= 1) continue; // silhouette of a singleton is 0 by convention
    const within = sums[own] / (sizes[own] - 1);
    let nearest = Infinity;
    for (let c = 0; c < k; c++) if (c !== own && sizes[c] > 0) nearest = Math.min(nearest, sums[c] / sizes[c]);
    if (nearest === Infinity) continue;
    total += (nearest - within) / Math.max(nearest, within);
  }
  return m > 0 ? total / m : 0;
}

// ---------------------------------------------------------------------------------------------
// Profiles → features

export interface SegmentFeature {
  name: string;
  /** words used in fallback segment names */
  label: string;
  value(p: UserProfile): number | null;
  /** log1p for heavy-tailed non-negative counts and rates */
  log: boolean;
}

export const SEGMENT_FEATURES: SegmentFeature[] = [
  { name: 'postsPerDay', label: 'posting', value: (p) => p.postsPerDay, log: true },
  { name: 'engagementReceivedPerPost', label: 'reach', value: (p) => p.engagementReceivedPerPost, log: true },
  { name: 'engagementsGivenPerDay', label: 'engagement given', value: (p) => p.engagementsGivenPerDay, log: true },
  { name: 'followerRatio', label: 'follower ratio', value: (p) => p.followerRatio, log: true },
  { name: 'hourEntropy', label: 'around-the-clock activity', value: (p) => p.hourEntropy, log: false },
  { name: 'nearDuplicateRatio', label: 'duplicate posting', value: (p) => p.nearDuplicateRatio, log: false },
  { name: 'meanSentiment', label: 'sentiment', value: (p) => p.meanSentiment, log: false },
  { name: 'botLikeness', label: 'bot-likeness', value: (p) => p.botLikeness, log: false },
];

export interface Segmentation {
  k: number;
  features: string[];
  /** segment per input row */
  assignments: Int32Array;
  /** per segment: mean of each feature in its original units (unknown values left out) */
  centroids: Record<string, number>[];
  /** per segment: centroid z-score per feature (distance from the population mean in standard deviations) */
  zScores: Record<string, number>[];
  names: string[];
  sizes: number[];
  silhouette: number;
  silhouetteByK: Record<number, number>;
  /** the standardisation the centroids live in: per feature, in the transformed (log1p where flagged) space */
  standardization: Standardization;
  /** centroids in standardised units, k rows in feature order (what nearest-centroid assignment uses) */
  standardizedCentroids: number[][];
}

/** Per feature (transformed space): mean and standard deviation for z-scores, median to impute unknown values. */
export interface Standardization {
  mean: number[];
  std: number[];
  median: number[];
  /** z-scores are clipped to ±clipZ (absent: no clipping, as in artifacts written before clipping) */
  clipZ?: number;
}

/**
 * z-scores are clipped to ±3 before clustering. Without it a small, extreme group (bots: near-
 * duplicate ratio and bot-likeness 5+ standard deviations out) dominates every distance, and the
 * silhouette chose k = 2 (that group vs everyone else). On five simulated networks (7–14 days,
 * 150–500 posts/day) clipping raised ARI against the planted segments from
 * 0.10/0.10/0.39/0.10/0.43 to 0.71/0.67/0.40/0.61/0.60 (`eval segments`).
 */
export const DEFAULT_CLIP_Z = 3;

export interface SegmentOptions {
  /** clip standardised values to ±clipZ (default DEFAULT_CLIP_Z; Infinity turns it off) */
  clipZ?: number;
  kMin?: number;
  kMax?: number;
  seed?: number;
  restarts?: number;
  /** points used for the silhouette when choosing k */
  silhouetteSample?: number;
}

/**
 * Segments rows of raw feature values (NaN = unknown). Unknown values are imputed with the
 * feature's median before standardising, so they pull towards the middle rather than to zero.
 */
export function segmentRows(
  rows: readonly (readonly number[])[],
  features: readonly { name: string; label?: string; log?: boolean }[],
  opts: SegmentOptions = {},
): Segmentation {
  const n = rows.length;
  const d = features.length;
  const kMin = Math.max(1, opts.kMin ?? 2);
  const kMax = Math.min(opts.kMax ?? 8, n - 1);
  if (n < 3 || kMax < kMin) throw new Error(`need more users than segments to segment (got ${n} users, k from ${kMin})`);
  const seed = opts.seed ?? 1;

  const x = new Float64Array(n * d);
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  const medians = new Float64Array(d);
  for (let f = 0; f < d; f++) {
    const known: number[] = [];
    for (let i = 0; i < n; i++) if (Number.isFinite(rows[i][f])) known.push(transformFeature(rows[i][f], features[f].log));
    known.sort((a, b) => a - b);
    const median = known.length ? known[known.length >> 1] : 0;
    medians[f] = median;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const v = Number.isFinite(rows[i][f]) ? transformFeature(rows[i][f], features[f].log) : median;
      x[i * d + f] = v;
      sum += v;
    }
    mean[f] = sum / n;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (x[i * d + f] - mean[f]) ** 2;
    std[f] = Math.sqrt(ss / n) || 1; // a constant feature contributes nothing instead of NaN
    for (let i = 0; i < n; i++) x[i * d + f] = (x[i * d + f] - mean[f]) / std[f];
  }
  const clip = opts.clipZ ?? DEFAULT_CLIP_Z;
  if (!(clip > 0)) throw new Error(`clipZ must be > 0 (got ${clip})`);
  for (let i = 0; i < x.length; i++) x[i] = Math.max(-clip, Math.min(clip, x[i]));

  let best: { result: KMeansResult; silhouette: number } | null = null;
  const silhouetteByK: Record<number, number> = {};
  for (let k = kMin; k <= kMax; k++) {
    const result = kmeans(x, n, d, k, { seed: seed + k, restarts: opts.restarts ?? 4 });
    const s = k === 1 ? 0 : silhouetteScore(x, n, d, result.assignments, k, { sample: opts.silhouetteSample, seed });
    silhouetteByK[k] = s;
    if (!best || s > best.silhouette) best = { result, silhouette: s };
  }
  const { result, silhouette } = best!;
  const k = result.k;

  const sizes = new Array(k).fill(0);
  for (let i = 0; i < n; i++) sizes[result.assignments[i]]++;
  const centroids: Record<string, number>[] = [];
  const zScores: Record<string, number>[] = [];
  for (let c = 0; c < k; c++) {
    const centroid: Record<string, number> = {};
    const z: Record<string, number> = {};
    for (let f = 0; f < d; f++) {
      let sum = 0;
      let count = 0;
      for (let i = 0; i < n; i++) {
        if (result.assignments[i] !== c || !Number.isFinite(rows[i][f])) continue;
        sum += rows[i][f];
        count++;
      }
      centroid[features[f].name] = count > 0 ? sum / count : NaN;
      z[features[f].name] = result.centroids[c * d + f];
    }
    centroids.push(centroid);
    zScores.push(z);
  }
  const labels = Object.fromEntries(features.map((f) => [f.name, f.label ?? f.name]));
  return {
    k,
    features: features.map((f) => f.name),
    assignments: result.assignments,
    centroids,
    zScores,
    names: nameSegments(zScores, centroids, labels),
    sizes,
    silhouette,
    silhouetteByK,
    standardization: { mean: [...mean], std: [...std], median: [...medians], clipZ: clip },
    standardizedCentroids: Array.from({ length: k }, (_, c) => Array.from(result.centroids.subarray(c * d, c * d + d))),
  };
}

/**
 * Rows of raw feature values (NaN = unknown) as an n × d row-major matrix of z-scores under a
 * given standardisation: transformed like the fit (log1p where flagged), unknown values imputed
 * with the fit's median, clipped like the fit. Throws when the row width differs from the standardisation's.
 */
export function standardizeRows(
  rows: readonly (readonly number[])[],
  features: readonly { name?: string; log?: boolean }[],
  st: Standardization,
): Float64Array {
  const d = features.length;
  if (st.mean.length !== d || st.std.length !== d) throw new Error(`standardisation has ${st.mean.length} features, rows have ${d}`);
  const x = new Float64Array(rows.length * d);
  rows.forEach((row, i) => {
    if (row.length !== d) throw new Error(`row ${i} has ${row.length} values, expected ${d}`);
    for (let f = 0; f < d; f++) {
      const v = Number.isFinite(row[f]) ? transformFeature(row[f], features[f].log) : (st.median[f] ?? st.mean[f]);
      const z = (v - st.mean[f]) / (st.std[f] || 1);
      x[i * d + f] = st.clipZ === undefined ? z : Math.max(-st.clipZ, Math.min(st.clipZ, z));
    }
  });
  return x;
}

/** Index of the nearest centroid (squared Euclidean, first on ties) for each row of an n × d matrix. */
export function nearestCentroids(x: Float64Array, n: number, d: number, centroids: readonly (readonly number[])[]): Int32Array {
  if (centroids.length === 0) throw new Error('no centroids to assign to');
  for (const c of centroids) if (c.length !== d) throw new Error(`a centroid has ${c.length} coordinates, rows have ${d}`);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestDist = Infinity;
    centroids.forEach((c, s) => {
      let dist = 0;
      for (let f = 0; f < d; f++) dist += (x[i * d + f] - c[f]) ** 2;
      if (dist < bestDist) [best, bestDist] = [s, dist];
    });
    out[i] = best;
  }
  return out;
}

/** A stored segmentation, as the registry's `segments` versions hold it (JSON). */
export interface SegmentsArtifact {
  features: string[];
  /** standardisation used when the centroids were fitted */
  mean: number[];
  std: number[];
  /** per-feature median that stands in for an unknown value (absent in artifacts written before it: the mean) */
  median?: number[];
  /** z-scores are clipped to ±clipZ (absent in artifacts written before clipping: no clipping) */
  clipZ?: number;
  /** centroids in standardised units */
  centroids: number[][];
  names: string[];
}

/**
 * The segment (index into `artifact.names`) of one user's profile under a stored segmentation. The
 * same standardisation (median for unknown values, ±clipZ) and distance as the fit and the promotion
 * gate, so a user lands in the segment the gate measured.
 */
export function nearestSegment(artifact: SegmentsArtifact, profile: UserProfile): number {
  const row = SEGMENT_FEATURES.map((f) => {
    const v = f.value(profile);
    return v === null || !Number.isFinite(v) ? Number.NaN : v;
  });
  const st = { mean: artifact.mean, std: artifact.std, median: artifact.median ?? artifact.mean, clipZ: artifact.clipZ };
  return nearestCentroids(standardizeRows([row], SEGMENT_FEATURES, st), 1, SEGMENT_FEATURES.length, artifact.centroids)[0];
}

/**
 * Baseline segmentation an analyst would make without a model: k groups by quantiles of overall
 * activity (the sum of the rows' z-scores on the features named in `activity`; default posting
 * and engagement given). Rows are an n × d matrix of z-scores in `features` order.
 */
export function activityQuantileSegments(
  x: Float64Array,
  n: number,
  features: readonly { name: string }[],
  k: number,
  activity: readonly string[] = ['postsPerDay', 'engagementsGivenPerDay'],
): Int32Array {
  const d = features.length;
  const cols = activity.map((name) => features.findIndex((f) => f.name === name));
  if (cols.some((c) => c < 0)) throw new Error(`activity features ${activity.join(', ')} are not all among ${features.map((f) => f.name).join(', ')}`);
  if (!(k >= 1 && Number.isInteger(k))) throw new Error(`k must be a positive integer (got ${k})`);
  const score = Array.from({ length: n }, (_, i) => cols.reduce((s, c) => s + x[i * d + c], 0));
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => score[a] - score[b] || a - b);
  const out = new Int32Array(n);
  order.forEach((i, rank) => (out[i] = Math.min(k - 1, Math.floor((rank * k) / n))));
  return out;
}

export function transformFeature(v: number, log: boolean | undefined): number {
  return log ? Math.log1p(Math.max(0, v)) : v;
}

export function segmentProfiles(profiles: readonly UserProfile[], opts: SegmentOptions & { features?: SegmentFeature[] } = {}): Segmentation {
  const features = opts.features ?? SEGMENT_FEATURES;
  const rows = profiles.map((p) => features.map((f) => f.value(p) ?? NaN));
  return segmentRows(rows, features, opts);
}

// ---------------------------------------------------------------------------------------------
// Naming

const HIGH = 0.5;

/**
 * Names from centroid z-scores. Rules are checked in order; the first that fits names the
 * segment. Features a rule needs but the data lacks count as average (z = 0). Duplicate names get
 * the segment's most distinctive other trait appended.
 */
export function nameSegments(
  zScores: readonly Record<string, number>[],
  centroids: readonly Record<string, number>[],
  labels: Record<string, string> = {},
): string[] {
  const names = zScores.map((z, c) => {
    const g = (f: string) => z[f] ?? 0;
    const raw = (f: string) => centroids[c][f];
    if (g('botLikeness') > 1 && (raw('botLikeness') ?? 0) >= 0.4) return 'likely bots';
    if (g('nearDuplicateRatio') > 1 && (raw('nearDuplicateRatio') ?? 0) >= 0.3) return 'copy-paste posters';
    if (g('engagementReceivedPerPost') > 1 && g('postsPerDay') > -HIGH) return 'influencers';
    if (g('postsPerDay') > HIGH && g('engagementsGivenPerDay') > HIGH) return 'active conversationalists';
    if (g('postsPerDay') > HIGH) return 'prolific broadcasters';
    if (g('engagementsGivenPerDay') > HIGH && g('postsPerDay') <= 0) return 'engaged lurkers';
    if (g('meanSentiment') < -1) return 'negative voices';
    if (g('meanSentiment') > 1) return 'positive voices';
    const values = Object.values(z);
    if (values.every((v) => Math.abs(v) < HIGH)) return 'typical users';
    if (values.every((v) => v < HIGH) && (g('postsPerDay') < -HIGH || g('engagementsGivenPerDay') < -HIGH)) return 'occasional users';
    return traitPhrase(z, labels, 2);
  });
  const count = (list: string[]) => {
    const m = new Map<string, number>();
    for (const name of list) m.set(name, (m.get(name) ?? 0) + 1);
    return m;
  };
  const first = count(names);
  const refined = names.map((name, c) => (first.get(name)! > 1 ? `${name} (${traitPhrase(zScores[c], labels, 1)})` : name));
  const second = count(refined);
  const used = new Map<string, number>();
  return refined.map((name) => {
    if (second.get(name)! === 1) return name;
    const i = (used.get(name) ?? 0) + 1;
    used.set(name, i);
    return `${name} ${i}`;
  });
}

function traitPhrase(z: Record<string, number>, labels: Record<string, string>, count: number): string {
  return Object.entries(z)
    .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]))
    .slice(0, count)
    .map(([f, v]) => `${v >= 0 ? 'high' : 'low'} ${labels[f] ?? f}`)
    .join(', ');
}
