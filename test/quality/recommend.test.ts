import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateRecommend } from '../../cli/eval/recommend';
import { sharedDataDir } from '../../lib/paths';

const ratings = path.join(sharedDataDir(), 'movielens-small', 'ratings.csv');

describe.skipIf(!fs.existsSync(ratings))('recommendation quality on MovieLens-small', () => {
  it('ALS beats popularity on NDCG@10 on a time-ordered split', async () => {
    const r = await evaluateRecommend({ data: ratings });
    expect(r.users).toBe(610);
    expect(r.interactions).toBe(100_836);
    expect(r.ndcg10).toBeGreaterThan(r.baseline.ndcg10);
    expect(r.recall10).toBeGreaterThan(r.baseline.recall10);
    expect(r.coverage).toBeGreaterThan(r.baseline.coverage);
  });
});
