import { ApplicationFailure, CancellationScope, executeChild, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { IoActivities, MlActivities } from '../activities';
import type { DatasetRef } from '../lib/schema';
import { collect, yesterday, type CollectInput } from './collect';
import { mapConcurrently } from './concurrency';
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
    filteredSpam: number;
  };
  sentiment: Record<'negative' | 'neutral' | 'positive', number>;
  topHashtags: Array<{ hashtag: string; posts: number }>;
  /** the model versions that scored the posts */
  models: { sentiment: string; topics: string | null };
  /** one entry per (source, day) partition, in date order */
  datasets: { partitions: DatasetRef[]; clean: DatasetRef[]; features: DatasetRef[]; quarantine: DatasetRef[] };
}

/** Partitions processed at once; each is an independent preprocess → features → score chain. */
const PARTITION_CONCURRENCY = 8;

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
    const languages = input.languages ?? null;
    // Partitions (source × day) are the unit of parallelism: more workers, more partitions at once.
    const perPartition = await mapConcurrently(collected.partitions, PARTITION_CONCURRENCY, async (p) => {
      const pre = await ml.preprocess({ runKey, source, date: p.date, inputs: [p.posts], languages });
      const { features, models } = await ml.extractFeatures({ runKey, source, date: p.date, clean: pre.clean });
      const partition = `${source}/${p.date}`;
      const scored = await ml.scorePosts({ runKey, partition, features });
      // Added after the first release: runs recorded before it replay without this step.
      if (patched('incremental-user-profiles')) {
        await ml.updateUserProfiles({ partition, features, engagements: collected.extras?.[`engagements:${p.date}`] ?? null });
      }
      return { pre, features, scored, models };
    });
    const sum = (f: (r: (typeof perPartition)[number]) => number) => perPartition.reduce((acc, r) => acc + f(r), 0);
    const overview = await catalog.summarizeRun({ runKey });
    const summary: PipelineSummary = {
      runKey,
      source,
      date,
      postsIn: collected.counts.in,
      quarantined: collected.counts.quarantined + sum((r) => r.pre.counts.quarantined),
      filtered: sum((r) => r.pre.counts.duplicates + r.pre.counts.filteredLanguage + r.pre.counts.filteredSpam),
      scored: sum((r) => r.scored.scored),
      counts: {
        collected: collected.counts.in,
        quarantinedAtCollect: collected.counts.quarantined,
        quarantinedAtPreprocess: sum((r) => r.pre.counts.quarantined),
        duplicates: sum((r) => r.pre.counts.duplicates),
        filteredLanguage: sum((r) => r.pre.counts.filteredLanguage),
        filteredSpam: sum((r) => r.pre.counts.filteredSpam),
      },
      sentiment: overview.sentiment,
      topHashtags: overview.topHashtags,
      models: perPartition[0]?.models ?? { sentiment: 'lexicon.v1', topics: null },
      datasets: {
        partitions: collected.partitions.map((p) => p.posts),
        clean: perPartition.map((r) => r.pre.clean),
        features: perPartition.map((r) => r.features),
        quarantine: [collected.quarantine, ...perPartition.map((r) => r.pre.quarantine)].filter((q): q is DatasetRef => q !== null),
      },
    };
    if (overview.scored !== summary.scored) {
      throw ApplicationFailure.nonRetryable(`post_scores holds ${overview.scored} rows for ${runKey}, the stages scored ${summary.scored}`, 'AccountingError');
    }
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
