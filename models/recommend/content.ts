/**
 * Content-based scores and the hybrid blend with collaborative filtering.
 *
 * Items are described by text or tokens (a post's words and hashtags, a movie's genres, a topic
 * id rendered as a token). TF-IDF vectors (sublinear tf, smoothed idf, L2-normalised) make item
 * similarity a cosine; a user's content profile is the weighted mean of the vectors of the items
 * they interacted with. Content scores need no interaction history on the item side, which is
 * what cold-start items lack, and only a handful of interactions on the user side.
 *
 * Blend rule (per user u and item i), with nᵤ = the user's training interactions and nᵢ = the
 * item's:
 *
 *     wᵤᵢ   = nᵤ / (nᵤ + kᵤ) · nᵢ / (nᵢ + kᵢ)
 *     score = wᵤᵢ · z(cf)ᵢ + (1 − wᵤᵢ) · z(content)ᵢ
 *
 * where z(·) standardises a score vector over all items (CF dot products and cosines live on
 * different scales). CF dominates where both sides have history; an item nobody has touched
 * (nᵢ = 0) is ranked by content alone, and a new user leans on content until their history
 * builds up. A user with no history at all gets the popularity ranking (nothing personal to go
 * on). Defaults kᵤ = 5, kᵢ = 10: CF gets half the weight at 5 user and 10 item interactions.
 */

import { topN, type AlsModel, type Recommendation } from './als';
import type { PopularityModel } from './popularity';
import { extractTerms } from '../topics/terms';

export interface SparseVector {
  /** term indices, ascending */
  indices: Int32Array;
  values: Float32Array;
}

export interface ContentIndexOptions {
  /** drop terms that occur in fewer items (default 1) */
  minDf?: number;
  /** drop terms that occur in more than this share of items (default 1: keep all) */
  maxDfRatio?: number;
  /** text → terms; default: the topic model's content words (no stopwords, links, mentions or numbers; hashtags as words) */
  tokenize?: (text: string) => string[];
}

export interface ContentIndex {
  readonly items: number;
  readonly vocabulary: ReadonlyMap<string, number>;
  readonly idf: Float64Array;
  vector(item: number): SparseVector;
  /** a new document in the index's term space (unknown terms are ignored) */
  vectorize(doc: string | readonly string[]): SparseVector;
  /** L2-normalised weighted mean of item vectors: a user's content profile */
  profile(items: ArrayLike<number>, weights?: ArrayLike<number>): SparseVector;
  /** cosine of `vec` with every item */
  scoreAll(vec: SparseVector, out?: Float64Array): Float64Array;
  similarItems(item: number, n: number): Recommendation[];
}

export function buildContentIndex(docs: readonly (string | readonly string[])[], opts: ContentIndexOptions = {}): ContentIndex {
  const tokenize = opts.tokenize ?? extractTerms;
  const tokens = docs.map((d) => (typeof d === 'string' ? tokenize(d) : d));
  const n = docs.length;
  const df = new Map<string, number>();
  for (const t of tokens) for (const term of new Set(t)) df.set(term, (df.get(term) ?? 0) + 1);
  const minDf = opts.minDf ?? 1;
  const maxDf = (opts.maxDfRatio ?? 1) * n;
  const vocabulary = new Map<string, number>();
  const idfList: number[] = [];
  for (const [term, count] of [...df].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (count < minDf || count > maxDf) continue;
    vocabulary.set(term, idfList.length);
    idfList.push(Math.log((1 + n) / (1 + count)) + 1);
  }
  const idf = Float64Array.from(idfList);
  const terms = idf.length;

  const toVector = (doc: readonly string[]): SparseVector => {
    const tf = new Map<number, number>();
    for (const term of doc) {
      const t = vocabulary.get(term);
      if (t !== undefined) tf.set(t, (tf.get(t) ?? 0) + 1);
    }
    const indices = Int32Array.from(tf.keys()).sort();
    const values = new Float32Array(indices.length);
    let norm = 0;
    for (let k = 0; k < indices.length; k++) {
      const v = (1 + Math.log(tf.get(indices[k])!)) * idf[indices[k]];
      values[k] = v;
      norm += v * v;
    }
    norm = Math.sqrt(norm);
    if (norm > 0) for (let k = 0; k < values.length; k++) values[k] /= norm;
    return { indices, values };
  };

  // items × terms (rows) and terms × items (postings, for scoring a profile against everything)
  const rows = tokens.map(toVector);
  const postingCount = new Int32Array(terms + 1);
  for (const r of rows) for (const t of r.indices) postingCount[t + 1]++;
  for (let t = 0; t < terms; t++) postingCount[t + 1] += postingCount[t];
  const fill = postingCount.slice(0, terms);
  const postItems = new Int32Array(postingCount[terms]);
  const postValues = new Float32Array(postingCount[terms]);
  rows.forEach((r, item) => {
    for (let k = 0; k < r.indices.length; k++) {
      const pos = fill[r.indices[k]]++;
      postItems[pos] = item;
      postValues[pos] = r.values[k];
    }
  });

  const scoreAll = (vec: SparseVector, out = new Float64Array(n)) => {
    out.fill(0);
    for (let k = 0; k < vec.indices.length; k++) {
      const t = vec.indices[k];
      const w = vec.values[k];
      for (let p = postingCount[t]; p < postingCount[t + 1]; p++) out[postItems[p]] += w * postValues[p];
    }
    return out;
  };

  const index: ContentIndex = {
    items: n,
    vocabulary,
    idf,
    vector: (item) => rows[item],
    vectorize: (doc) => toVector(typeof doc === 'string' ? tokenize(doc) : doc),
    profile(items, weights) {
      const acc = new Map<number, number>();
      for (let k = 0; k < items.length; k++) {
        const r = rows[items[k]];
        const w = weights ? weights[k] : 1;
        for (let j = 0; j < r.indices.length; j++) acc.set(r.indices[j], (acc.get(r.indices[j]) ?? 0) + w * r.values[j]);
      }
      const indices = Int32Array.from(acc.keys()).sort();
      const values = Float32Array.from(indices, (t) => acc.get(t)!);
      let norm = 0;
      for (const v of values) norm += v * v;
      norm = Math.sqrt(norm);
      if (norm > 0) for (let k = 0; k < values.length; k++) values[k] /= norm;
      return { indices, values };
    },
    scoreAll,
    similarItems(item, k) {
      const scores = scoreAll(rows[item]);
      scores[item] = -Infinity;
      return topN(scores, k);
    },
  };
  return index;
}

// ---------------------------------------------------------------------------------------------
// Blending

export interface BlendOptions {
  /** user interactions at which CF gets half of the user-side weight (kᵤ) */
  userShrinkage?: number;
  /** item interactions at which CF gets half of the item-side weight (kᵢ) */
  itemShrinkage?: number;
}

function standardize(x: ArrayLike<number>, out: Float64Array): Float64Array {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i] / n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (x[i] - mean) ** 2 / n;
  const sd = Math.sqrt(variance);
  for (let i = 0; i < n; i++) out[i] = sd > 0 ? (x[i] - mean) / sd : 0;
  return out;
}

/** The blend rule in the header: per-item weight between standardised CF and content scores. */
export function blendScores(
  cf: ArrayLike<number> | null,
  content: ArrayLike<number>,
  itemInteractions: ArrayLike<number>,
  userInteractions: number,
  opts: BlendOptions = {},
): Float64Array {
  const n = content.length;
  const ku = opts.userShrinkage ?? 5;
  const ki = opts.itemShrinkage ?? 10;
  const zc = standardize(content, new Float64Array(n));
  if (!cf) return zc;
  const zf = standardize(cf, new Float64Array(n));
  const userWeight = userInteractions / (userInteractions + ku);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const w = userWeight * (itemInteractions[i] / (itemInteractions[i] + ki));
    out[i] = w * zf[i] + (1 - w) * zc[i];
  }
  return out;
}

export interface HybridRecommender {
  /** a user known to the CF model, by index */
  recommendForUser(userIndex: number, n: number): Recommendation[];
  /** anyone, from their history (item indices and optional weights); an empty history gets popular items */
  recommendForHistory(items: ArrayLike<number>, n: number, weights?: ArrayLike<number>): Recommendation[];
}

/**
 * CF + content over one shared item index space (the ALS model's items = the content index's
 * items). `popularity` supplies the per-item interaction counts of the blend and the fallback for
 * users with no history.
 */
export function createHybridRecommender(parts: { als: AlsModel; content: ContentIndex; popularity: PopularityModel; blend?: BlendOptions }): HybridRecommender {
  const { als, content, popularity } = parts;
  if (content.items !== als.items) throw new Error(`content index has ${content.items} items but the CF model has ${als.items}`);
  const itemCounts = popularity.counts;
  const withIds = (recs: Recommendation[]) => (als.itemIds ? recs.map((r) => ({ ...r, id: als.itemIds![r.index] })) : recs);
  const rank = (cf: Float64Array, items: ArrayLike<number>, weights: ArrayLike<number> | undefined, n: number) => {
    const profile = content.profile(items, weights);
    const blended = blendScores(cf, content.scoreAll(profile), itemCounts, items.length, parts.blend);
    return withIds(topN(blended, n, Int32Array.from(items).sort()));
  };
  return {
    recommendForUser(u, n) {
      const seen = als.seen(u);
      return rank(als.scoreAll(u), seen, undefined, n);
    },
    recommendForHistory(items, n, weights) {
      if (items.length === 0) return withIds(popularity.recommend(n));
      return rank(als.scoreVector(als.foldInUser(items, weights)), items, weights, n);
    },
  };
}
