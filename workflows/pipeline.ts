import { ApplicationFailure, CancellationScope, executeChild, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { IoActivities, MlActivities } from '../activities';
import type { DatasetRef } from '../lib/schema';
import { collect, yesterday, type CollectInput } from './collect';
import { mlQueueFor } from './taskQueues';

export interface PipelineInput extends Omit<CollectInput, 'runKey'> {
  /** keep only these languages (ISO 639-1); default: keep all */
  languages?: string[] | null;
}

export interface PipelineSummary {
  runKey: string;
  source: string;
  date: string;
  postsIn: number;
  quarantined: number;
  filtered: number;
  scored: number;
  counts: {
    collected: number;
    quarantinedAtCollect: number;
    quarantinedAtPreprocess: number;
    duplicates: number;
    filteredLanguage: number;
  };
  sentiment: Record<'negative' | 'neutral' | 'positive', number>;
  topHashtags: Array<{ hashtag: string; posts: number }>;
  datasets: { partitions: DatasetRef[]; clean: DatasetRef; features: DatasetRef; quarantine: DatasetRef[] };
}

const catalog = proxyActivities<IoActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 20 },
});

const mlActivities = () =>
  proxyActivities<MlActivities>({
    taskQueue: mlQueueFor(workflowInfo().taskQueue),
    startToCloseTimeout: '1 hour',
    // Long CPU stages heartbeat between slices; a worker that dies is noticed within this, not the hour.
    heartbeatTimeout: '20 seconds',
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10, nonRetryableErrorTypes: ['InvalidInput'] },
  });

/** The end-to-end run: collect → preprocess → features → score. Moves references, never rows. */
export async function socialSensePipeline(input: PipelineInput = {}): Promise<PipelineSummary> {
  const runKey = workflowInfo().workflowId;
  const source = input.source ?? 'simulated';
  const date = input.date ?? yesterday();
  const ml = mlActivities();
  await catalog.recordRunStart({ runKey, kind: 'pipeline', input });
  try {
    const collected = await executeChild(collect, {
      workflowId: `${runKey}-collect`,
      args: [{ ...input, source, date, runKey }],
    });
    const pre = await ml.preprocess({ runKey, source, date, inputs: collected.partitions.map((p) => p.posts), languages: input.languages ?? null });
    const { features } = await ml.extractFeatures({ runKey, source, date, clean: pre.clean });
    const scores = await ml.scorePosts({ runKey, features });
    const summary: PipelineSummary = {
      runKey,
      source,
      date,
      postsIn: collected.counts.in,
      quarantined: collected.counts.quarantined + pre.counts.quarantined,
      filtered: pre.counts.duplicates + pre.counts.filteredLanguage,
      scored: scores.scored,
      counts: {
        collected: collected.counts.in,
        quarantinedAtCollect: collected.counts.quarantined,
        quarantinedAtPreprocess: pre.counts.quarantined,
        duplicates: pre.counts.duplicates,
        filteredLanguage: pre.counts.filteredLanguage,
      },
      sentiment: scores.sentiment,
      topHashtags: scores.topHashtags,
      datasets: {
        partitions: collected.partitions.map((p) => p.posts),
        clean: pre.clean,
        features,
        quarantine: [collected.quarantine, pre.quarantine].filter((q): q is DatasetRef => q !== null),
      },
    };
    if (summary.postsIn !== summary.scored + summary.filtered + summary.quarantined) {
      // Accounting is the pipeline's promise that nothing is lost silently; a gap is a bug, not a retryable fault.
      throw ApplicationFailure.nonRetryable(`post accounting does not add up: ${JSON.stringify(summary.counts)} scored=${summary.scored}`, 'AccountingError');
    }
    await catalog.recordRunEnd({ runKey, status: 'completed', summary });
    return summary;
  } catch (err) {
    // Recorded even when the run was cancelled, so the catalog never shows a dead run as running.
    await CancellationScope.nonCancellable(() =>
      catalog.recordRunEnd({ runKey, status: 'failed', error: String((err as Error).message ?? err) }),
    );
    throw err;
  }
}
