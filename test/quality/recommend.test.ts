import { describe, expect, it } from 'vitest';
import { evaluateRecommend } from '../../cli/eval/recommend';
import { requireSharedData, sharedDataPath } from '../helpers/sharedData';

const ratings = sharedDataPath('movielens-small', 'ratings.csv');

describe('recommendation quality on MovieLens-small', () => {
  it('EASE reaches 1.5x popularity NDCG@10 on the time-ordered split, tuned on a validation split of the training part only', async () => {
    requireSharedData(ratings);
    const r = await evaluateRecommend({ data: ratings });
    expect(r.users).toBe(610);
    expect(r.interactions).toBe(100_836);
    expect(r.model).toBe('ease');
    // the target, against the baseline measured in the same run
    expect(r.ndcg10 / r.baseline.ndcg10).toBeGreaterThanOrEqual(1.5);
    expect(r.ratio).toBeCloseTo(r.ndcg10 / r.baseline.ndcg10, 2);
    expect(r.recall10).toBeGreaterThan(r.baseline.recall10);
    expect(r.coverage).toBeGreaterThan(r.baseline.coverage);
    // the tuning never saw the test split: its grid was scored on the validation split, and the chosen point is the grid's best there
    expect(r.tuning).not.toBeNull();
    expect(r.tuning!.validation).toMatch(/training items/);
    const chosen = r.tuning!.grid.find(
      (g) => g.lambda === r.params.lambda && g.minItemCount === r.params.minItemCount && g.recencyHalfLife === r.params.recencyHalfLife,
    )!;
    expect(chosen.ndcg).toBe(Math.max(...r.tuning!.grid.map((g) => g.ndcg)));
    // a held-out user set of the same size as before: the validation split did not shrink the test split
    expect(r.evaluatedUsers).toBe(610);
  }, 300_000);

  it('implicit ALS (the previous method) still beats popularity on the same split', async () => {
    requireSharedData(ratings);
    const r = await evaluateRecommend({ data: ratings, method: 'als' });
    expect(r.model).toBe('als');
    expect(r.tuning).toBeNull();
    expect(r.ndcg10).toBeGreaterThan(r.baseline.ndcg10);
    expect(r.recall10).toBeGreaterThan(r.baseline.recall10);
    expect(r.coverage).toBeGreaterThan(r.baseline.coverage);
  }, 300_000);
});
