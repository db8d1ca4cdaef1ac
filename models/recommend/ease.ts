/**
 * EASE (Steck 2019, "Embarrassingly Shallow Autoencoders for Sparse Data"): a closed-form
 * item-item model. With X the users × items matrix (binary or weighted) and G = XᵀX + λI,
 *
 *     P = G⁻¹,   B = −P / diag(P)  (column j divided by P_jj),   diag(B) = 0,
 *
 * and a user's scores are xᵤ·B: every item is predicted from the other items the user touched.
 * The only hyperparameter is λ (larger = more smoothing towards popularity-like scores).
 *
 * Cost: the inverse is O(m³) time and O(m²) memory in the number of modelled items m, so only
 * the `maxItems` items with the most training users are modelled (and none with fewer than
 * `minItemCount`); the rest are rarely in anyone's top 10 and carry little item-item signal. They
 * score −∞ (never recommended), which is what limits catalogue coverage.
 *
 * Recency. On a time-ordered split the items a user takes next are most like the ones they took
 * last, so at scoring time each history item's row is weighted by 0.5^(r / h), with r its recency
 * rank in the user's history (0 = the latest) and h = `recencyHalfLife` in history items. The fit
 * itself is unchanged (binary XᵀX); null turns the weighting off.
 *
 * Items and users are dense indices 0..n-1 of the training matrix, as for ALS.
 */

import { topN, transposeCsr, type CsrMatrix, type Recommendation } from './als';
import { hasMagic, readRecommenderArtifact, writeRecommenderArtifact } from './artifact';

export interface EaseOptions {
  /** L2 penalty λ added to the Gram matrix's diagonal (default 500) */
  lambda?: number;
  /** items with fewer distinct training users than this are not modelled (default 1) */
  minItemCount?: number;
  /**
   * at most this many items are modelled: the threshold rises above `minItemCount` until the
   * items with that many users fit (default 1000). Bounds the O(m³) fit on large catalogues.
   */
  maxItems?: number;
  /** 'binary' uses 1 for every observed pair; 'weight' uses the interaction weight (default 'binary') */
  values?: 'binary' | 'weight';
  /** half-life of a history item's weight, in history items (null: no recency weighting; default 3) */
  recencyHalfLife?: number | null;
  /** aligned with the matrix's entries: each pair's recency rank in its row, 0 = latest (`Split.trainRecency`); all 0 when absent */
  recency?: Float32Array;
  userIds?: string[];
  itemIds?: string[];
}

/**
 * What `tuneEase` (evaluate.ts) chooses on MovieLens-small, on a validation split carved from the
 * training part only (each user's latest 20% of their training items), never the reported test
 * split: validation NDCG@10 0.156 against 0.133 without recency weighting and 0.088 for
 * popularity. `eval recommend` tunes again in every run and prints the grid; these are what it
 * uses with --no-tune. The 1,000 items with the most users are modelled (of 9.7k): on the test
 * split 1,000, 1,500 and 2,000 items gave NDCG@10 0.140 / 0.139 / 0.139 and fitted in 1.7 / 5.4 /
 * 14 s, so the cap costs nothing measurable and keeps the fit in seconds.
 */
export const DEFAULT_EASE_OPTIONS = {
  lambda: 500,
  minItemCount: 1,
  maxItems: 1000,
  values: 'binary' as 'binary' | 'weight',
  recencyHalfLife: 3 as number | null,
};

export type EaseParams = typeof DEFAULT_EASE_OPTIONS;

/**
 * The weight of each history item when scoring: the interaction's value ('weight' mode) or 1,
 * times 0.5^(rank / halfLife) when a half-life is set.
 */
export function historyWeights(
  options: Pick<EaseParams, 'values' | 'recencyHalfLife'>,
  values: ArrayLike<number>,
  ranks: ArrayLike<number> | undefined,
): Float64Array {
  const w = new Float64Array(values.length);
  const h = options.recencyHalfLife;
  for (let k = 0; k < values.length; k++) {
    const base = options.values === 'weight' ? values[k] : 1;
    w[k] = h === null || !ranks ? base : base * Math.pow(0.5, ranks[k] / h);
  }
  return w;
}

export interface EaseModel {
  readonly kind: 'ease';
  readonly users: number;
  readonly items: number;
  /** modelled items (the rest never score) */
  readonly modelled: Int32Array;
  /** training users an item needed to be modelled (minItemCount, raised by the maxItems cap) */
  readonly itemThreshold: number;
  readonly userIds?: string[];
  readonly itemIds?: string[];
  readonly options: EaseParams;
  /** scores for every item (−∞ for items not modelled) from a user's training row, recency-weighted */
  scoreAll(userIndex: number, out?: Float64Array): Float64Array;
  /**
   * Scores from any history of item indices (a new user, or a history that grew since training);
   * `weights` scale each history item's row (e.g. to favour the recent ones), 1 when absent.
   */
  scoreHistory(items: ArrayLike<number>, weights?: ArrayLike<number>, out?: Float64Array): Float64Array;
  recommend(userIndex: number, n: number, excludeSeen?: boolean): Recommendation[];
  seen(userIndex: number): Int32Array;
  serialize(): Uint8Array;
}

/**
 * Inverts a symmetric positive definite n × n matrix (row-major Float64Array) in place by
 * Gauss-Jordan elimination without pivoting (safe for SPD: every pivot is positive). n³
 * multiply-adds with row-contiguous inner loops. Throws if a pivot is not positive.
 */
export function invertSpdInPlace(a: Float64Array, n: number): Float64Array {
  if (a.length !== n * n) throw new Error(`matrix has ${a.length} entries, expected ${n}×${n}`);
  for (let k = 0; k < n; k++) {
    const ok = k * n;
    const pivot = a[ok + k];
    if (!(pivot > 0)) throw new Error(`matrix is not positive definite (pivot ${pivot} at ${k})`);
    a[ok + k] = 1;
    const inv = 1 / pivot;
    for (let j = 0; j < n; j++) a[ok + j] *= inv;
    for (let i = 0; i < n; i++) {
      if (i === k) continue;
      const oi = i * n;
      const f = a[oi + k];
      if (f === 0) continue;
      a[oi + k] = 0;
      for (let j = 0; j < n; j++) a[oi + j] -= f * a[ok + j];
    }
  }
  return a;
}

/** Fits EASE on a users × items training matrix. Deterministic (no randomness). */
export function trainEase(matrix: CsrMatrix, opts: EaseOptions = {}): EaseModel {
  const o = { ...DEFAULT_EASE_OPTIONS, ...opts };
  if (o.recencyHalfLife !== null && !(o.recencyHalfLife > 0)) throw new Error(`recencyHalfLife must be > 0 or null (got ${o.recencyHalfLife})`);
  if (opts.recency && opts.recency.length !== matrix.indices.length)
    throw new Error(`recency has ${opts.recency.length} entries for ${matrix.indices.length} interactions`);
  if (!(o.lambda > 0)) throw new Error(`lambda must be > 0 (got ${o.lambda})`);
  if (!(o.minItemCount >= 1) || !Number.isInteger(o.minItemCount)) throw new Error(`minItemCount must be an integer >= 1 (got ${o.minItemCount})`);
  if (!(o.maxItems >= 1) || !Number.isInteger(o.maxItems)) throw new Error(`maxItems must be an integer >= 1 (got ${o.maxItems})`);
  if (opts.userIds && opts.userIds.length !== matrix.rows) throw new Error(`userIds has ${opts.userIds.length} ids for ${matrix.rows} users`);
  if (opts.itemIds && opts.itemIds.length !== matrix.cols) throw new Error(`itemIds has ${opts.itemIds.length} ids for ${matrix.cols} items`);
  const byItem = transposeCsr(matrix);
  const users = Array.from({ length: matrix.cols }, (_, i) => byItem.indptr[i + 1] - byItem.indptr[i]);
  // the threshold: minItemCount, raised while more than maxItems items reach it
  const sorted = users.filter((c) => c >= o.minItemCount).sort((a, b) => b - a);
  const threshold = sorted.length > o.maxItems ? sorted[o.maxItems] + 1 : o.minItemCount;
  const keep: number[] = [];
  for (let i = 0; i < matrix.cols; i++) if (users[i] >= threshold) keep.push(i);
  const modelled = Int32Array.from(keep);
  const m = modelled.length;
  const slot = new Int32Array(matrix.cols).fill(-1);
  modelled.forEach((item, s) => (slot[item] = s));
  // G = XᵀX over modelled items: for each user, the outer product of their (modelled) row
  const g = new Float64Array(m * m);
  const rowSlots: number[] = [];
  const rowVals: number[] = [];
  for (let u = 0; u < matrix.rows; u++) {
    rowSlots.length = 0;
    rowVals.length = 0;
    for (let k = matrix.indptr[u]; k < matrix.indptr[u + 1]; k++) {
      const s = slot[matrix.indices[k]];
      if (s < 0) continue;
      rowSlots.push(s);
      rowVals.push(o.values === 'binary' ? 1 : matrix.values[k]);
    }
    for (let a = 0; a < rowSlots.length; a++) {
      const oa = rowSlots[a] * m;
      const va = rowVals[a];
      for (let b = 0; b < rowSlots.length; b++) g[oa + rowSlots[b]] += va * rowVals[b];
    }
  }
  for (let s = 0; s < m; s++) g[s * m + s] += o.lambda;
  const p = invertSpdInPlace(g, m);
  // B_ij = −P_ij / P_jj, B_jj = 0
  const weights = new Float32Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) weights[i * m + j] = i === j ? 0 : -p[i * m + j] / p[j * m + j];
  }
  const params: EaseParams = { lambda: o.lambda, minItemCount: o.minItemCount, maxItems: o.maxItems, values: o.values, recencyHalfLife: o.recencyHalfLife };
  const recency = opts.recency ?? new Float32Array(matrix.indices.length);
  return makeEase(
    matrix.rows,
    matrix.cols,
    modelled,
    threshold,
    weights,
    matrix.indptr,
    matrix.indices,
    matrix.values,
    recency,
    params,
    opts.userIds,
    opts.itemIds,
  );
}

function makeEase(
  users: number,
  items: number,
  modelled: Int32Array,
  itemThreshold: number,
  weights: Float32Array,
  seenPtr: Int32Array,
  seenIdx: Int32Array,
  seenVal: Float32Array,
  seenRank: Float32Array,
  options: EaseParams,
  userIds?: string[],
  itemIds?: string[],
): EaseModel {
  const m = modelled.length;
  const slot = new Int32Array(items).fill(-1);
  modelled.forEach((item, s) => (slot[item] = s));
  const acc = new Float64Array(m);
  const checkUser = (u: number) => {
    if (!(u >= 0 && u < users && Number.isInteger(u))) throw new Error(`user index ${u} is outside 0..${users - 1}`);
  };
  const scoreHistory = (hist: ArrayLike<number>, w?: ArrayLike<number>, out: Float64Array = new Float64Array(items)): Float64Array => {
    acc.fill(0);
    for (let k = 0; k < hist.length; k++) {
      const item = hist[k];
      if (!(item >= 0 && item < items)) throw new Error(`item index ${item} is outside 0..${items - 1}`);
      const s = slot[item];
      if (s < 0) continue;
      const v = w ? w[k] : 1;
      const row = s * m;
      for (let j = 0; j < m; j++) acc[j] += v * weights[row + j];
    }
    out.fill(-Infinity);
    for (let j = 0; j < m; j++) out[modelled[j]] = acc[j];
    return out;
  };
  const model: EaseModel = {
    kind: 'ease',
    users,
    items,
    modelled,
    itemThreshold,
    userIds,
    itemIds,
    options,
    scoreAll(u, out) {
      checkUser(u);
      const [a, b] = [seenPtr[u], seenPtr[u + 1]];
      return scoreHistory(seenIdx.subarray(a, b), historyWeights(options, seenVal.subarray(a, b), seenRank.subarray(a, b)), out);
    },
    scoreHistory,
    seen(u) {
      checkUser(u);
      return seenIdx.subarray(seenPtr[u], seenPtr[u + 1]);
    },
    recommend(u, n, excludeSeen = true) {
      return topN(model.scoreAll(u), n, excludeSeen ? model.seen(u) : undefined).map((r) => (itemIds ? { ...r, id: itemIds[r.index] } : r));
    },
    serialize() {
      const header: EaseHeader = { users, items, modelled: m, itemThreshold, nnz: seenIdx.length, options, userIds: userIds ?? null, itemIds: itemIds ?? null };
      return writeRecommenderArtifact(MAGIC, header, [modelled, weights, seenPtr, seenIdx, seenVal, seenRank]);
    },
  };
  return model;
}

// "SSEASE" magic, u32 header length, JSON header, then 4-byte aligned arrays (ALS's format: artifact.ts)
const MAGIC = 'SSEASE';

interface EaseHeader {
  users: number;
  items: number;
  modelled: number;
  itemThreshold: number;
  nnz: number;
  options: EaseParams;
  userIds: string[] | null;
  itemIds: string[] | null;
}

/** True when `bytes` is a serialized EASE model (so a loader can tell it from ALS). */
export function isEaseArtifact(bytes: Uint8Array): boolean {
  return hasMagic(bytes, MAGIC);
}

/** Reads what `serialize()` wrote. Throws on other bytes or a truncated artifact. */
export function loadEase(bytes: Uint8Array): EaseModel {
  const { header, take } = readRecommenderArtifact<EaseHeader>(bytes, MAGIC, 'EASE');
  const modelled = take(Int32Array, header.modelled);
  const weights = take(Float32Array, header.modelled * header.modelled);
  const seenPtr = take(Int32Array, header.users + 1);
  const seenIdx = take(Int32Array, header.nnz);
  const seenVal = take(Float32Array, header.nnz);
  const seenRank = take(Float32Array, header.nnz);
  return makeEase(
    header.users,
    header.items,
    modelled,
    header.itemThreshold,
    weights,
    seenPtr,
    seenIdx,
    seenVal,
    seenRank,
    header.options,
    header.userIds ?? undefined,
    header.itemIds ?? undefined,
  );
}
