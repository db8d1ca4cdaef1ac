/**
 * Offline evaluation of recommenders on a time-ordered split: for each user, the latest
 * interactions are held out and the model, trained on everything earlier, must rank them in its
 * top k. Holding out each user's *latest* items (not random ones) is what serving looks like: the
 * model never sees the future it is scored on.
 *
 * Metrics, averaged over users with at least one held-out item:
 *  - NDCG@k with binary relevance: Σ_{hits at rank r} 1/log2(r + 1), divided by the ideal DCG of
 *    min(|held out|, k) hits;
 *  - Recall@k = hits / min(|held out|, k) (the normalisation of Liang et al. 2018, so a user with
 *    50 held-out items can still reach 1);
 *  - catalogue coverage = share of the catalogue's items that appear in at least one top-k list.
 */

import { csrFromTriples, topN, trainAls, type AlsOptions, type CsrMatrix } from './als';
import { DEFAULT_EASE_OPTIONS, historyWeights, trainEase, type EaseParams } from './ease';
import { trainPopularity } from './popularity';
import { historyWeightsFor, recommenderMethod, scoreHistory, type ItemRecommender } from './recommender';

export interface Interaction {
  user: string;
  item: string;
  /** interaction strength (a rating, a count); 1 when absent */
  weight?: number;
  /** any increasing number (epoch seconds or ms); input order when absent */
  time?: number;
}

/** Interactions with dense user and item indices. */
export interface InteractionLog {
  userIds: string[];
  itemIds: string[];
  user: Int32Array;
  item: Int32Array;
  weight: Float32Array;
  time: Float64Array;
}

export function indexInteractions(rows: Iterable<Interaction>): InteractionLog {
  const userIndex = new Map<string, number>();
  const itemIndex = new Map<string, number>();
  const userIds: string[] = [];
  const itemIds: string[] = [];
  const user: number[] = [];
  const item: number[] = [];
  const weight: number[] = [];
  const time: number[] = [];
  let order = 0;
  for (const r of rows) {
    let u = userIndex.get(r.user);
    if (u === undefined) {
      userIndex.set(r.user, (u = userIds.length));
      userIds.push(r.user);
    }
    let i = itemIndex.get(r.item);
    if (i === undefined) {
      itemIndex.set(r.item, (i = itemIds.length));
      itemIds.push(r.item);
    }
    user.push(u);
    item.push(i);
    weight.push(r.weight ?? 1);
    time.push(r.time ?? order);
    order++;
  }
  return {
    userIds,
    itemIds,
    user: Int32Array.from(user),
    item: Int32Array.from(item),
    weight: Float32Array.from(weight),
    time: Float64Array.from(time),
  };
}

export interface Split {
  /** users × items training weights (repeated pairs summed) */
  train: CsrMatrix;
  /** per user, the held-out item indices, sorted (empty for users with nothing held out) */
  test: Int32Array[];
  /**
   * Aligned with `train.indices`: how recent each training pair is within its user's training
   * items, 0 = the latest (ties broken by item index, as the split itself)
   */
  trainRecency: Float32Array;
  trainInteractions: number;
  testInteractions: number;
}

export interface SplitOptions {
  /** share of each user's distinct items held out, latest first (default 0.2) */
  holdoutFraction?: number;
  /** hold out exactly the last k items instead of a fraction */
  lastK?: number;
  /** users with fewer distinct items than this keep everything in training (default 2) */
  minInteractions?: number;
}

/**
 * Per-user time-ordered split. Repeated (user, item) pairs are merged first (weights summed, time
 * = the latest), so an item is either in training or held out, never both.
 */
export function timeOrderedSplit(log: InteractionLog, opts: SplitOptions = {}): Split {
  const fraction = opts.holdoutFraction ?? 0.2;
  const minInteractions = opts.minInteractions ?? 2;
  const U = log.userIds.length;
  const merged = csrFromTriples(U, log.itemIds.length, log.user, log.item, log.weight);
  // latest time per merged (user, item) pair: a second pass over the sorted rows
  const latest = new Float64Array(merged.indices.length).fill(-Infinity);
  for (let k = 0; k < log.user.length; k++) {
    const u = log.user[k];
    const pos = lowerBound(merged.indices, merged.indptr[u], merged.indptr[u + 1], log.item[k]);
    if (log.time[k] > latest[pos]) latest[pos] = log.time[k];
  }
  const tr: number[] = [];
  const tc: number[] = [];
  const tv: number[] = [];
  const tRank: number[] = [];
  const test: Int32Array[] = [];
  let testInteractions = 0;
  for (let u = 0; u < U; u++) {
    const start = merged.indptr[u];
    const end = merged.indptr[u + 1];
    const n = end - start;
    let hold = 0;
    if (n >= minInteractions) hold = opts.lastK !== undefined ? Math.min(opts.lastK, n - 1) : Math.max(1, Math.floor(n * fraction));
    // latest last; ties broken by item index so the split is deterministic
    const order = Array.from({ length: n }, (_, k) => start + k).sort((a, b) => latest[a] - latest[b] || merged.indices[a] - merged.indices[b]);
    const held: number[] = [];
    order.forEach((pos, rank) => {
      if (rank >= n - hold) held.push(merged.indices[pos]);
      else {
        tr.push(u);
        tc.push(merged.indices[pos]);
        tv.push(merged.values[pos]);
        tRank.push(n - hold - 1 - rank);
      }
    });
    test.push(Int32Array.from(held).sort());
    testInteractions += held.length;
  }
  // pairs are unique here, so a second CSR over the same (row, col) pairs lines the ranks up with `train`
  return {
    train: csrFromTriples(U, log.itemIds.length, tr, tc, tv),
    trainRecency: csrFromTriples(U, log.itemIds.length, tr, tc, tRank).values,
    test,
    trainInteractions: tr.length,
    testInteractions,
  };
}

/**
 * The interactions of `log` that fall in the training part of `split` (held-out pairs removed),
 * with the same user and item indices and their original times: what a validation split is carved
 * from, so tuning never sees the test split.
 */
export function trainingLog(log: InteractionLog, split: Split): InteractionLog {
  const keep: number[] = [];
  for (let k = 0; k < log.user.length; k++) if (!isRelevant(split.test[log.user[k]], log.item[k])) keep.push(k);
  return {
    userIds: log.userIds,
    itemIds: log.itemIds,
    user: Int32Array.from(keep, (k) => log.user[k]),
    item: Int32Array.from(keep, (k) => log.item[k]),
    weight: Float32Array.from(keep, (k) => log.weight[k]),
    time: Float64Array.from(keep, (k) => log.time[k]),
  };
}

/** the sorted item indices of one user's training row */
export function trainRow(m: CsrMatrix, u: number): Int32Array {
  return m.indices.subarray(m.indptr[u], m.indptr[u + 1]);
}

function lowerBound(a: Int32Array, lo: number, hi: number, x: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function isRelevant(relevant: Int32Array, item: number): boolean {
  const pos = lowerBound(relevant, 0, relevant.length, item);
  return pos < relevant.length && relevant[pos] === item;
}

/** Binary-relevance NDCG@k of a ranked list against a sorted set of relevant items. */
export function ndcgAtK(ranked: ArrayLike<number>, relevant: Int32Array, k: number): number {
  if (relevant.length === 0) return 0;
  let dcg = 0;
  for (let r = 0; r < Math.min(k, ranked.length); r++) if (isRelevant(relevant, ranked[r])) dcg += 1 / Math.log2(r + 2);
  let ideal = 0;
  for (let r = 0; r < Math.min(k, relevant.length); r++) ideal += 1 / Math.log2(r + 2);
  return dcg / ideal;
}

/** hits in the top k / min(k, |relevant|) */
export function recallAtK(ranked: ArrayLike<number>, relevant: Int32Array, k: number): number {
  if (relevant.length === 0) return 0;
  let hits = 0;
  for (let r = 0; r < Math.min(k, ranked.length); r++) if (isRelevant(relevant, ranked[r])) hits++;
  return hits / Math.min(k, relevant.length);
}

export interface RankingMetrics {
  k: number;
  ndcg: number;
  recall: number;
  coverage: number;
  /** users evaluated (those with held-out items) */
  users: number;
}

/**
 * Scores a recommender: `recommend(user, k)` returns item indices best first (already excluding
 * the user's training items). Coverage is over the `catalogue` items (default: all columns).
 */
export function evaluateRanking(
  split: Split,
  recommend: (user: number, k: number) => ArrayLike<number>,
  opts: { k?: number; catalogue?: number } = {},
): RankingMetrics {
  const k = opts.k ?? 10;
  const catalogue = opts.catalogue ?? split.train.cols;
  const shown = new Uint8Array(split.train.cols);
  let ndcg = 0;
  let recall = 0;
  let users = 0;
  for (let u = 0; u < split.test.length; u++) {
    const relevant = split.test[u];
    if (relevant.length === 0) continue;
    const ranked = recommend(u, k);
    for (let r = 0; r < Math.min(k, ranked.length); r++) shown[ranked[r]] = 1;
    ndcg += ndcgAtK(ranked, relevant, k);
    recall += recallAtK(ranked, relevant, k);
    users++;
  }
  let covered = 0;
  for (let i = 0; i < shown.length; i++) covered += shown[i];
  return { k, ndcg: users ? ndcg / users : 0, recall: users ? recall / users : 0, coverage: catalogue ? covered / catalogue : 0, users };
}

export type RecommenderMethod = 'als' | 'ease';

export interface RecommenderComparison {
  method: RecommenderMethod;
  model: RankingMetrics;
  baseline: RankingMetrics;
  trainSeconds: number;
  users: number;
  items: number;
  interactions: number;
  trainInteractions: number;
  testInteractions: number;
  /** the model trained on the split's training part (ALS or EASE) */
  recommender: ItemRecommender;
  /** the split both were scored on: the gate scores the serving version on the same one */
  split: Split;
}

export interface CompareOptions {
  /** default 'ease' */
  method?: RecommenderMethod;
  als?: AlsOptions;
  ease?: Partial<EaseParams>;
  split?: SplitOptions;
  k?: number;
}

/** Fits the chosen method on a split's training part (ids carried for serving and the gate). */
export function fitRecommender(log: InteractionLog, split: Split, opts: Pick<CompareOptions, 'method' | 'als' | 'ease'> = {}): ItemRecommender {
  const ids = { itemIds: log.itemIds, userIds: log.userIds };
  return (opts.method ?? 'ease') === 'als'
    ? trainAls(split.train, { ...opts.als, ...ids })
    : trainEase(split.train, { ...opts.ease, recency: split.trainRecency, ...ids });
}

/**
 * Splits, trains the recommender (EASE by default, or ALS) and the popularity baseline on the
 * training part, and scores both on the held-out part.
 */
export function compareWithPopularity(log: InteractionLog, opts: CompareOptions = {}): RecommenderComparison {
  const split = timeOrderedSplit(log, opts.split);
  const t0 = performance.now();
  const recommender = fitRecommender(log, split, opts);
  const trainSeconds = (performance.now() - t0) / 1000;
  const popularity = trainPopularity(split.train);
  const k = opts.k ?? 10;
  const scores = new Float64Array(log.itemIds.length);
  const model = evaluateRanking(split, (u, n) => topN(recommender.scoreAll(u, scores), n, recommender.seen(u)).map((r) => r.index), { k });
  const baseline = evaluateRanking(split, (u, n) => popularity.recommend(n, trainRow(split.train, u)).map((r) => r.index), { k });
  return {
    method: recommenderMethod(recommender),
    model,
    baseline,
    trainSeconds,
    users: log.userIds.length,
    items: log.itemIds.length,
    interactions: log.user.length,
    trainInteractions: split.trainInteractions,
    testInteractions: split.testInteractions,
    recommender,
    split,
  };
}

/**
 * Scores a recommender trained elsewhere (the serving version, on an earlier window) on `split`,
 * whose items are `itemIds`: each user's training items are mapped to the model's own item ids
 * and scored as a history (ALS folds it in, EASE sums its rows, recency-weighted the way the model
 * was configured). Items the model does not know cannot be recommended; held-out items it does not
 * know count as misses. Throws when the model carries no item ids.
 */
export function evaluateOnSplit(model: ItemRecommender, split: Split, itemIds: readonly string[], opts: { k?: number } = {}): RankingMetrics {
  if (!model.itemIds) throw new Error('the model carries no item ids, so it cannot be scored on other data');
  if (itemIds.length !== split.train.cols) throw new Error(`${itemIds.length} item ids for a split of ${split.train.cols} items`);
  const own = new Map(model.itemIds.map((id, i) => [id, i]));
  const toModel = Int32Array.from(itemIds, (id) => own.get(id) ?? -1);
  const modelScores = new Float64Array(model.items);
  const scores = new Float64Array(itemIds.length);
  return evaluateRanking(
    split,
    (u, n) => {
      const [a, b] = [split.train.indptr[u], split.train.indptr[u + 1]];
      const hist: number[] = [];
      const values: number[] = [];
      const ranks: number[] = [];
      for (let p = a; p < b; p++) {
        const m = toModel[split.train.indices[p]];
        if (m < 0) continue;
        hist.push(m);
        values.push(split.train.values[p]);
        ranks.push(split.trainRecency[p]);
      }
      scoreHistory(model, hist, historyWeightsFor(model, values, ranks), modelScores);
      for (let i = 0; i < scores.length; i++) scores[i] = toModel[i] >= 0 ? modelScores[toModel[i]] : -Infinity;
      return topN(scores, n, split.train.indices.subarray(a, b)).map((r) => r.index);
    },
    { k: opts.k },
  );
}

export interface EaseTuning {
  /** how the validation split was made */
  validation: string;
  /** every grid point with its validation NDCG@k */
  grid: Array<{ lambda: number; minItemCount: number; recencyHalfLife: number | null; ndcg: number }>;
  best: EaseParams;
  /** popularity's validation NDCG@k, for scale */
  popularityNdcg: number;
  seconds: number;
}

export const DEFAULT_EASE_GRID = { lambda: [200, 500, 1000], minItemCount: [1], recencyHalfLife: [3, 5, 10, null] as Array<number | null> };

/**
 * Chooses EASE's λ, item threshold and recency half-life (the item cap `maxItems` is fixed) on a validation split carved from the
 * TRAINING part of `split` only: each user's latest share (the same `holdoutFraction`) of their
 * training items. The test split plays no part. One fit per (λ, threshold); the half-life only
 * changes scoring, so it costs no refit.
 */
export function tuneEase(
  log: InteractionLog,
  split: Split,
  opts: { grid?: Partial<typeof DEFAULT_EASE_GRID>; split?: SplitOptions; k?: number; maxItems?: number } = {},
): EaseTuning {
  const maxItems = opts.maxItems ?? DEFAULT_EASE_OPTIONS.maxItems;
  const t0 = performance.now();
  const grid = { ...DEFAULT_EASE_GRID, ...opts.grid };
  const k = opts.k ?? 10;
  const val = timeOrderedSplit(trainingLog(log, split), opts.split);
  const popularity = trainPopularity(val.train);
  const popularityNdcg = evaluateRanking(val, (u, n) => popularity.recommend(n, trainRow(val.train, u)).map((r) => r.index), { k }).ndcg;
  const out = new Float64Array(log.itemIds.length);
  const points: EaseTuning['grid'] = [];
  for (const minItemCount of grid.minItemCount) {
    for (const lambda of grid.lambda) {
      const model = trainEase(val.train, { lambda, minItemCount, maxItems, recencyHalfLife: null });
      for (const recencyHalfLife of grid.recencyHalfLife) {
        const ndcg = evaluateRanking(
          val,
          (u, n) => {
            const [a, b] = [val.train.indptr[u], val.train.indptr[u + 1]];
            const w = historyWeights({ values: 'binary', recencyHalfLife }, val.train.values.subarray(a, b), val.trainRecency.subarray(a, b));
            return topN(model.scoreHistory(val.train.indices.subarray(a, b), w, out), n, val.train.indices.subarray(a, b)).map((r) => r.index);
          },
          { k },
        ).ndcg;
        points.push({ lambda, minItemCount, recencyHalfLife, ndcg });
      }
    }
  }
  const top = points.reduce((a, b) => (b.ndcg > a.ndcg ? b : a));
  return {
    validation: `each user's latest ${(opts.split?.holdoutFraction ?? 0.2) * 100}% of their training items (the test split is not used)`,
    grid: points,
    best: { lambda: top.lambda, minItemCount: top.minItemCount, maxItems, recencyHalfLife: top.recencyHalfLife, values: 'binary' },
    popularityNdcg,
    seconds: (performance.now() - t0) / 1000,
  };
}
