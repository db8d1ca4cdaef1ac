/**
 * Topics of short posts by clustering their tf-idf vectors (the default topic model).
 *
 * 1. Spherical k-means (cosine) with k-means++ seeding on L2-normalised tf-idf rows finds `fineK` tight
 *    clusters: on tweets a cluster is mostly the posts about one named subject.
 * 2. Those clusters are merged into k topics by spherical k-means on their centroids (each fine
 *    cluster counts once, so a few large subjects cannot swallow the small ones; average linkage was
 *    tried and left one catch-all topic with two thirds of the posts). With k chosen by the
 *    model, every merge level of a geometric grid is scored by the mean silhouette (cosine distance)
 *    on a seeded sample of posts, and the best level wins.
 * 3. The result is stored as a DMM-format TopicModel (models/topics/topicModel.ts): per-topic term counts and
 *    topic sizes, so the artifact, inference on new posts (the DMM posterior, i.e. multinomial naive
 *    Bayes on those counts) and every consumer stay as they were.
 *
 * Posts without any vocabulary term get no topic (assignment −1) and are counted, not forced into a topic.
 * Measured on SemEval topics-dev by `eval topics` beside tf-idf + Euclidean k-means (the baseline).
 */
import { createRng } from '../random';
import { inverseDocumentFrequency, sparseKMeans, tfidfRows, type SparseRows } from './embedding';
import { TopicModel } from './topicModel';

/** k-means++ restarts of the merge step (cheap: it clusters at most a few hundred centroids) */
const MERGE_RESTARTS = 5;

export interface ClusterTopicsOptions {
  /** number of topics; omitted: chosen by silhouette within [kMin, fineK] */
  k?: number;
  /** smallest k the model may choose (default 2) */
  kMin?: number;
  /** fine clusters before merging (default defaultFineK(posts with terms); raised to k when k is larger) */
  fineK?: number;
  /** k-means++ restarts of the fine clustering, best objective kept (default 1) */
  restarts?: number;
  seed?: number;
  /** posts in the silhouette sample (default 1000) */
  silhouetteSample?: number;
  /** term strings by id, stored in the model */
  vocabulary?: readonly string[];
  /** number of term ids (default vocabulary.length, else largest id + 1) */
  vocabSize?: number;
}

export interface ClusterTopicsFit {
  model: TopicModel;
  k: number;
  /** 'given' when opts.k was passed, else 'silhouette' */
  chosenBy: 'given' | 'silhouette';
  fineK: number;
  /** mean silhouette of the chosen level on the sample (null when k was given) */
  silhouette: number | null;
  /** each merge level tried with its silhouette (empty when k was given) */
  candidates: { k: number; silhouette: number }[];
  /** topic of each post, −1 for a post with no vocabulary term */
  assignments: Int32Array;
  /** posts with no vocabulary term (assigned no topic) */
  unassigned: number;
}

/**
 * Default number of fine clusters for n posts: ⌈√n⌉ (the old rule of thumb for k), but no more than
 * one per 20 posts so that every centroid averages enough posts to be merged sensibly; at least 2, at
 * most n. Fixed a priori, not tuned on the evaluation labels. (fitClusterTopics raises it to k.)
 */
export function defaultFineK(n: number): number {
  return Math.min(n, Math.max(2, Math.min(Math.ceil(Math.sqrt(n)), Math.floor(n / 20))));
}

/**
 * Fits topics by clustering (see the module comment). `documents` are term ids (Vocabulary.encodeAll).
 * Throws when there are fewer non-empty posts than the k asked, or k < 2.
 */
export function fitClusterTopics(documents: readonly ArrayLike<number>[], opts: ClusterTopicsOptions = {}): ClusterTopicsFit {
  const seed = opts.seed ?? 1;
  let maxId = -1;
  for (const doc of documents) for (let i = 0; i < doc.length; i++) if (doc[i] > maxId) maxId = doc[i];
  const V = opts.vocabSize ?? opts.vocabulary?.length ?? maxId + 1;
  if (maxId >= V) throw new Error(`term id ${maxId} is outside the vocabulary of ${V} terms`);
  const kept = documents.map((_, d) => d).filter((d) => documents[d].length > 0);
  const n = kept.length;
  if (opts.k !== undefined && !(Number.isInteger(opts.k) && opts.k >= 2)) throw new Error(`k must be an integer >= 2, got ${opts.k}`);
  const kMin = opts.kMin ?? 2;
  if (!(Number.isInteger(kMin) && kMin >= 2)) throw new Error(`kMin must be an integer >= 2, got ${kMin}`);
  if (n < (opts.k ?? kMin)) throw new Error(`${n} posts have terms: too few for ${opts.k ?? kMin} topics`);

  const docs = kept.map((d) => documents[d]);
  const x = tfidfRows(docs, inverseDocumentFrequency(docs, V));
  const fineK = Math.min(n, Math.max(opts.fineK ?? defaultFineK(n), opts.k ?? kMin));
  const fine = sparseKMeans(x, fineK, { seed, restarts: opts.restarts ?? 1, spherical: true });
  const centroids = centroidRows(fine.centroids, V, fineK);

  const mergeTo = (k: number): Int32Array => {
    if (k >= fineK) return fine.assignments.slice();
    const groups = sparseKMeans(centroids, k, { seed, restarts: MERGE_RESTARTS, spherical: true }).assignments;
    return Int32Array.from(fine.assignments, (a) => groups[a]);
  };

  let labels: Int32Array;
  let silhouette: number | null = null;
  const candidates: { k: number; silhouette: number }[] = [];
  if (opts.k !== undefined) {
    labels = mergeTo(opts.k);
  } else {
    const sample = new CosineSample(x, opts.silhouetteSample ?? 1000, seed);
    labels = fine.assignments;
    for (const k of mergeGrid(kMin, fineK)) {
      const merged = mergeTo(k);
      const s = sample.silhouette(merged);
      candidates.push({ k: new Set(merged).size, silhouette: round(s, 4) });
      if (silhouette === null || s > silhouette) {
        silhouette = s;
        labels = merged;
      }
    }
    silhouette = round(silhouette!, 4);
  }

  // Topics numbered by decreasing size (ties: earliest first post), so topic 0 is the largest.
  const sizes = new Map<number, number>();
  for (const l of labels) sizes.set(l, (sizes.get(l) ?? 0) + 1);
  const order = [...sizes.keys()].sort((a, b) => sizes.get(b)! - sizes.get(a)! || labels.indexOf(a) - labels.indexOf(b));
  const renumber = new Map(order.map((l, i) => [l, i]));
  const k = order.length;
  const assignments = new Int32Array(documents.length).fill(-1);
  kept.forEach((d, i) => (assignments[d] = renumber.get(labels[i])!));

  const model = topicModelFromAssignments(documents, assignments, k, V, opts.vocabulary ?? null, seed);
  return {
    model,
    k,
    chosenBy: opts.k === undefined ? 'silhouette' : 'given',
    fineK,
    silhouette,
    candidates,
    assignments,
    unassigned: documents.length - n,
  };
}

/**
 * A DMM-format TopicModel from a hard clustering: per-topic term counts and topic sizes. Documents with
 * assignment −1 are left out. α = β = 0.1 (GSDMM's defaults) smooth the DMM posterior that assigns new
 * posts. Throws on an assignment outside [−1, k).
 */
export function topicModelFromAssignments(
  documents: readonly ArrayLike<number>[],
  assignments: ArrayLike<number>,
  k: number,
  vocabSize: number,
  vocabulary: readonly string[] | null,
  seed = 1,
): TopicModel {
  if (assignments.length !== documents.length) throw new Error(`${assignments.length} assignments for ${documents.length} documents`);
  const wordTopic = new Int32Array(vocabSize * k);
  const topicDocs = new Int32Array(k);
  documents.forEach((doc, d) => {
    const t = assignments[d];
    if (t === -1) return;
    if (!(Number.isInteger(t) && t >= 0 && t < k)) throw new Error(`document ${d} has topic ${t}, outside [-1, ${k})`);
    topicDocs[t]++;
    for (let i = 0; i < doc.length; i++) wordTopic[doc[i] * k + t]++;
  });
  return new TopicModel('dmm', k, vocabSize, 0.1, 0.1, seed, wordTopic, topicDocs, vocabulary, Int32Array.from(assignments));
}

/**
 * Merge levels scored by the silhouette, largest first: fineK, then ×0.7 each step while above 10
 * (k-means on the centroids and a silhouette per level stay cheap), then every k from 10 down to kMin.
 */
function mergeGrid(kMin: number, fineK: number): number[] {
  const grid: number[] = [];
  let k = fineK;
  for (; k > 10; k = Math.floor(k * 0.7)) grid.push(k);
  for (; k >= kMin; k--) grid.push(k);
  if (grid.length === 0) grid.push(fineK);
  return [...new Set(grid)];
}

/** Centroids (term-major V × k) as unit-length sparse rows. */
function centroidRows(centroids: Float64Array, V: number, k: number): SparseRows {
  const colIndex: number[] = [];
  const values: number[] = [];
  const rowStart = new Int32Array(k + 1);
  for (let j = 0; j < k; j++) {
    let norm = 0;
    for (let w = 0; w < V; w++) norm += centroids[w * k + j] ** 2;
    const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let w = 0; w < V; w++) {
      const v = centroids[w * k + j];
      if (v === 0) continue;
      colIndex.push(w);
      values.push(v * inv);
    }
    rowStart[j + 1] = colIndex.length;
  }
  return { rows: k, cols: V, rowStart, colIndex: Int32Array.from(colIndex), values: Float64Array.from(values) };
}

/**
 * A seeded sample of unit rows with their pairwise cosine distances, to score clusterings by the
 * mean silhouette (Rousseeuw 1987) in O(sample²) each.
 */
class CosineSample {
  private readonly idx: number[];
  private readonly dist: Float64Array;

  constructor(x: SparseRows, size: number, seed: number) {
    const all = Array.from({ length: x.rows }, (_, i) => i);
    this.idx = size >= x.rows ? all : createRng(seed).shuffle(all).slice(0, size);
    const m = this.idx.length;
    this.dist = new Float64Array(m * m);
    const dense = new Float64Array(x.cols);
    for (let a = 0; a < m; a++) {
      const ra = this.idx[a];
      for (let p = x.rowStart[ra]; p < x.rowStart[ra + 1]; p++) dense[x.colIndex[p]] = x.values[p];
      for (let b = a + 1; b < m; b++) {
        const rb = this.idx[b];
        let dot = 0;
        for (let p = x.rowStart[rb]; p < x.rowStart[rb + 1]; p++) dot += x.values[p] * dense[x.colIndex[p]];
        this.dist[a * m + b] = this.dist[b * m + a] = Math.max(0, 1 - dot);
      }
      for (let p = x.rowStart[ra]; p < x.rowStart[ra + 1]; p++) dense[x.colIndex[p]] = 0;
    }
  }

  /** Mean silhouette of the sample under `labels` (one per row of x); a singleton's silhouette is 0. */
  silhouette(labels: ArrayLike<number>): number {
    const m = this.idx.length;
    let k = 0;
    for (const i of this.idx) k = Math.max(k, labels[i] + 1);
    const sizes = new Int32Array(k);
    for (const i of this.idx) sizes[labels[i]]++;
    const sums = new Float64Array(k);
    let total = 0;
    for (let a = 0; a < m; a++) {
      sums.fill(0);
      for (let b = 0; b < m; b++) if (b !== a) sums[labels[this.idx[b]]] += this.dist[a * m + b];
      const own = labels[this.idx[a]];
      if (sizes[own] <= 1) continue;
      const within = sums[own] / (sizes[own] - 1);
      let nearest = Infinity;
      for (let c = 0; c < k; c++) if (c !== own && sizes[c] > 0) nearest = Math.min(nearest, sums[c] / sizes[c]);
      if (nearest === Infinity) continue;
      const spread = Math.max(nearest, within);
      if (spread > 0) total += (nearest - within) / spread;
    }
    return m === 0 ? 0 : total / m;
  }
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));
