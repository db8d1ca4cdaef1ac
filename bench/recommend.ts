/**
 * Recommendation benchmark on MovieLens-small (100,836 ratings, 610 users, 9,742 movies; ratings
 * used as implicit feedback): EASE with recency-weighted histories beside the popularity baseline
 * on a time-ordered split (each user's latest 20% of movies held out), with their NDCG ratio.
 * EASE's parameters are tuned in the same run on a validation split carved from the training part
 * only (each user's latest 20% of their training movies), so the held-out numbers are not tuned on.
 *
 *   npx tsx bench/recommend.ts [dataDir]
 */
import { isMain, runStandalone } from './standalone';
import fs from 'node:fs';
import path from 'node:path';
import { describeRecommender, evaluateRecommend, type RecommendEvalResult, type RecommendMetrics } from '../cli/eval/recommend';
import { sharedDataDir } from '../lib/paths';

export interface RecommendBenchRow extends RecommendMetrics {
  model: string;
}

export interface RecommendBench {
  data: string;
  rows: RecommendBenchRow[];
  users: number;
  items: number;
  interactions: number;
  seconds: number;
  cpuSeconds: number;
  trainSeconds: number;
  /** model NDCG@10 / popularity NDCG@10 from the same run */
  ratio: number;
  result: RecommendEvalResult;
}

export async function benchRecommend(dataDir: string = sharedDataDir()): Promise<RecommendBench | { skipped: string }> {
  const file = path.join(dataDir, 'movielens-small', 'ratings.csv');
  if (!fs.existsSync(file)) return { skipped: `${file} not found (set SOCIALSENSE_SHARED_DATA to the shared data folder)` };
  const result = await evaluateRecommend({ data: file });
  const pick = (m: RecommendMetrics) => ({ ndcg10: m.ndcg10, recall10: m.recall10, coverage: m.coverage });
  return {
    data: file,
    rows: [
      { model: describeRecommender(result), ...pick(result) },
      { model: 'baseline: popularity', ...pick(result.baseline) },
    ],
    users: result.users,
    items: result.items,
    interactions: result.interactions,
    seconds: result.seconds,
    cpuSeconds: result.cpuSeconds,
    trainSeconds: result.trainSeconds,
    ratio: result.ratio,
    result,
  };
}

function markdown(r: RecommendBench): string {
  return [
    `MovieLens-small: ${r.users} users, ${r.items} items, ${r.interactions} interactions; latest 20% per user held out`,
    '',
    '| model | NDCG@10 | Recall@10 | coverage |',
    '|---|---|---|---|',
    ...r.rows.map((row) => `| ${row.model} | ${row.ndcg10} | ${row.recall10} | ${row.coverage} |`),
    '',
    `NDCG@10 ratio to popularity: ${r.ratio}; tuned on ${r.result.tuning ? r.result.tuning.validation : 'nothing (defaults)'}`,
    `${r.seconds} s wall (fit ${r.trainSeconds} s, tuning ${r.result.tuneSeconds} s), ${r.cpuSeconds} s CPU`,
  ].join('\n');
}

if (isMain(import.meta.url)) await runStandalone('recommend', benchRecommend, markdown);
