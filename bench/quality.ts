/**
 * The four quality benchmarks (each beside its baselines, measured in the same run), called one after
 * the other. A benchmark that fails is recorded with its error and the others still run; one whose
 * data set is absent returns { skipped } by itself.
 */
import fs from 'node:fs';
import { benchRecommend, type RecommendBench } from './recommend';
import { benchSentiment, type SentimentBench } from './sentiment';
import { benchTopics, type TopicsBench } from './topics';
import { benchTrends, type TrendsBench } from './trends';

type Outcome<T> = T | { skipped: string } | { error: string };

export interface QualityResults {
  dataDir: string;
  /** set when the whole shared data folder is missing */
  skipped?: string;
  sentiment?: Outcome<SentimentBench>;
  topics?: Outcome<TopicsBench>;
  trends?: Outcome<TrendsBench>;
  recommend?: Outcome<RecommendBench>;
  /** wall seconds of each benchmark */
  seconds: Record<string, number>;
}

export async function runQuality(dataDir: string, progress: (msg: string) => void = () => {}): Promise<QualityResults> {
  const results: QualityResults = { dataDir, seconds: {} };
  if (!fs.existsSync(dataDir)) {
    results.skipped = `${dataDir} not found: quality benchmarks skipped (set SOCIALSENSE_SHARED_DATA to the shared data folder)`;
    return results;
  }
  const benches = { sentiment: benchSentiment, topics: benchTopics, trends: benchTrends, recommend: benchRecommend } as const;
  for (const [name, bench] of Object.entries(benches) as Array<[keyof typeof benches, (dir: string) => Promise<unknown>]>) {
    progress(`quality: ${name}`);
    const t0 = performance.now();
    try {
      (results as unknown as Record<string, unknown>)[name] = await bench(dataDir);
    } catch (err) {
      (results as unknown as Record<string, unknown>)[name] = { error: (err as Error).message };
    }
    results.seconds[name] = Number(((performance.now() - t0) / 1000).toFixed(1));
  }
  return results;
}
