/**
 * Popularity baseline: every user gets the items most users interacted with, minus what they
 * have already seen. Any personalised model has to beat this to be worth serving; on
 * time-ordered splits it is often surprisingly hard to beat.
 */

import { topN, type CsrMatrix, type Recommendation } from './als';

export interface PopularityModel {
  /** per item: number of distinct users who interacted with it in training */
  readonly counts: Float64Array;
  readonly itemIds?: string[];
  scoreAll(): Float64Array;
  /** top n items, skipping `exclude` (sorted item indices, e.g. the user's training items) */
  recommend(n: number, exclude?: ArrayLike<number>): Recommendation[];
}

export function trainPopularity(matrix: CsrMatrix, opts: { itemIds?: string[] } = {}): PopularityModel {
  const counts = new Float64Array(matrix.cols);
  for (let k = 0; k < matrix.indices.length; k++) counts[matrix.indices[k]]++;
  const { itemIds } = opts;
  return {
    counts,
    itemIds,
    scoreAll: () => counts,
    recommend(n, exclude) {
      return topN(counts, n, exclude).map((r) => (itemIds ? { ...r, id: itemIds[r.index] } : r));
    },
  };
}
