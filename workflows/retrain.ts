import { CancellationScope, executeChild, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { IoActivities, MlActivities } from '../activities';
import type { TrainOutcome } from '../activities/train';
import type { InsightsResult } from '../activities/insights';
import type { DatasetRef } from '../lib/schema';
import { addDays, ISO_DAY, yesterday } from '../lib/dates';
import { describeFailure, FailureType, invalidInput, permanentFailure } from '../lib/failures';
import { runEndOf } from './runEnd';
import { backfill } from './backfill';
import { mapConcurrently } from './concurrency';
import { mlQueueFor } from './taskQueues';

export interface RetrainInput {
  /** last day of the training window, YYYY-MM-DD; default: yesterday */
  date?: string;
  /** days in the window */
  days?: number;
  source?: string;
  /** simulated posts per day, for days the window still has to collect */
  posts?: number;
  /** a platform source's query, for days the window still has to collect (cli/commands/backfill.ts windowCollectionOf) */
  query?: string;
  /** a federated platform's non-default instance (PipelineInput.instance) */
  instance?: string;
  /** labelled TSV (`text`, `label`) for the sentiment classifier; default: SemEval train in the shared data */
  sentimentTrainFile?: string | null;
  /** topics of the topic model */
  topics?: number;
}

export interface RetrainSummary {
  runKey: string;
  /** `daysFailed`: days of the window that could not be collected (the models trained without them), with the first error */
  window: { from: string; to: string; source: string; daysFailed?: number; firstFailure?: string };
  models: TrainOutcome[];
  failures: Array<{ model: string; error: string }>;
  rescored: number;
  insights: InsightsResult;
}

const catalog = proxyActivities<IoActivities>({ startToCloseTimeout: '1 minute', retry: { maximumAttempts: 20, maximumInterval: '30 seconds' } });

const retry = {
  initialInterval: '5 seconds',
  backoffCoefficient: 2,
  maximumInterval: '2 minutes',
  maximumAttempts: 5,
  nonRetryableErrorTypes: [FailureType.InvalidInput],
};

/**
 * The shortest window a retrain trains on, in days: a shorter one is widened to this (histories before the CLI and the
 * API refused shorter ones replay with it). Few days give the trainers and the promotion gate too few posts to judge.
 */
export const MIN_RETRAIN_DAYS = 3;

/** How long a training activity may go without a heartbeat before Temporal takes its worker for lost. */
const TRAINING_HEARTBEAT_TIMEOUT = '5 minutes';

/**
 * The catalog's note on a retrain in which `failedModels` of the `models` it trains failed, e.g.
 * "1 of 5 models failed to train: topics: socket hang up (activity trainTopics)".
 */
export function modelFailuresText(failures: RetrainSummary['failures'], failedModels: number, models: number): string {
  return `${failedModels} of ${models} models failed to train: ${failures.map((f) => `${f.model}: ${f.error}`).join('; ')}`;
}

/** What the nightly Schedule starts: retrain on the last N days, evaluate, promote if better, rescore. */
export async function nightlyRetrain(input: RetrainInput = {}): Promise<RetrainSummary> {
  const runKey = workflowInfo().workflowId;
  const to = input.date ?? yesterday();
  if (!ISO_DAY.test(to)) throw invalidInput(`date must be YYYY-MM-DD, got "${to}"`);
  const days = Math.max(MIN_RETRAIN_DAYS, input.days ?? 7);
  const from = addDays(to, 1 - days);
  const source = input.source ?? 'simulated';
  const mlQueue = mlQueueFor(workflowInfo().taskQueue);
  // A worker with a stage pool trains on its training pool and heartbeats every 2 s meanwhile (workers/trainingTask.ts),
  // so a worker that dies mid-training is noticed in TRAINING_HEARTBEAT_TIMEOUT, not at the 1-hour start-to-close.
  // Before the patch training could not heartbeat at all. An inline worker (`--threads 0`, the embedded demo) still
  // computes on its main thread, between heartbeats a training step holds: the timeout leaves room for long steps.
  const heartbeats = patched('training-heartbeats') ? { heartbeatTimeout: TRAINING_HEARTBEAT_TIMEOUT } : {};
  const training = proxyActivities<MlActivities>({ taskQueue: mlQueue, startToCloseTimeout: '1 hour', ...heartbeats, retry });
  const scoring = proxyActivities<MlActivities>({ taskQueue: mlQueue, startToCloseTimeout: '1 hour', heartbeatTimeout: '30 seconds', retry });

  await catalog.recordRunStart({ runKey, kind: 'retrain', input });
  try {
    // Every day of the window must have gone through the pipeline; days already done are skipped. Imported files
    // cannot be collected again: their window is what was imported (patched: histories before this had no such branch).
    const imported = source === 'file' && patched('retrain-file-window-as-imported');
    let windowFailures: Pick<RetrainSummary['window'], 'daysFailed' | 'firstFailure'> = {};
    if (!imported) {
      // only what was given: a retrain without query or instance starts the child it always started
      const collection = {
        ...(input.posts ? { posts: input.posts } : {}),
        ...(input.query ? { query: input.query } : {}),
        ...(input.instance ? { instance: input.instance } : {}),
      };
      const window = await executeChild(backfill, {
        workflowId: `${runKey}-window`,
        args: [{ from, to, source, concurrency: 2, pipeline: Object.keys(collection).length > 0 ? collection : undefined }],
      });
      // Days that could not be collected: none collected is a failed retrain (it said "completed" and rescored older
      // posts), some is said in the summary. Histories before the patch went on without looking.
      if (window.daysFailed > 0 && patched('retrain-window-failures')) {
        const first = window.failed[0];
        const firstFailure = first ? `${first.date}: ${first.error}` : undefined;
        if (window.daysFailed === window.daysTotal)
          throw invalidInput(`every day of the window ${from} … ${to} failed to collect${firstFailure ? ` (${firstFailure})` : ''}: nothing to train on`);
        windowFailures = { daysFailed: window.daysFailed, ...(firstFailure ? { firstFailure } : {}) };
      }
    }
    const data = await catalog.trainingInputs({ source, from, to });
    if (data.features.length === 0)
      throw invalidInput(
        `no scored posts from ${source} between ${from} and ${to}${imported ? ": a file's posts are on their own days; pass --date and --days that cover them (the run summaries' datasets name the days)" : ''}`,
      );

    // Each training activity with the models it trains (the user models are two), as the registry names them.
    const jobs: Array<[string[], () => Promise<TrainOutcome | TrainOutcome[]>]> = [
      [['sentiment'], () => training.trainSentiment({ runKey, trainFile: input.sentimentTrainFile ?? null })],
      [['topics'], () => training.trainTopics({ runKey, features: data.features, k: input.topics, truth: data.truth })],
    ];
    if (data.engagements.length > 0) {
      jobs.push([['recommender'], () => training.trainRecommender({ runKey, features: data.features, engagements: data.engagements })]);
      jobs.push([
        ['segments', 'engagement'],
        () => training.trainUserModels({ runKey, features: data.features, engagements: data.engagements, truthUsers: data.truthUsers }),
      ]);
    }
    // One model failing to train must not keep the others from improving.
    const settled = await Promise.allSettled(jobs.map(([, run]) => run()));
    const models = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value].flat() : []));
    const failed = jobs.flatMap(([names], i) => {
      const s = settled[i];
      return s.status === 'rejected' ? [{ names, reason: s.reason as unknown }] : [];
    });
    const failures = failed.map(({ names, reason }) => ({ model: names.join(' and '), error: describeFailure(reason) }));
    const failureNote = modelFailuresText(failures, failed.flatMap(({ names }) => names).length, jobs.flatMap(([names]) => names).length);
    if (models.length === 0) throw permanentFailure(FailureType.TrainingFailed, failureNote);

    // Rescore the window with whatever serves now; each partition keeps the run key that owns its rows.
    const rescored = await mapConcurrently(data.clean, 4, async (c) => {
      const { features, models } = await scoring.extractFeatures({ runKey: c.runKey, source, date: c.date, clean: c.ref });
      // rescore: only the scores of the rows that run still owns (a newer import of the day keeps its rows)
      return {
        features,
        models,
        scored: (await scoring.scorePosts({ runKey: c.runKey, partition: `${source}/${c.date}`, features, rescore: true, topicModel: models.topics })).scored,
      };
    });
    // Each rescored run's summary names its rescored features and counts its new scores, so the datasets a data
    // scientist opens from it hold what the dashboard shows (they kept the scores of before the retrain).
    if (patched('rescore-in-run-summaries')) {
      const byRun = new Map<string, Array<{ clean: string; features: DatasetRef }>>();
      data.clean.forEach((c, i) => byRun.set(c.runKey, [...(byRun.get(c.runKey) ?? []), { clean: c.ref.uri, features: rescored[i].features }]));
      for (const [owner, partitions] of byRun) await catalog.recordRescore({ runKey: owner, by: runKey, partitions, models: rescored[0].models });
    }
    const insights = await scoring.scoreInsights({ runKey, features: rescored.map((r) => r.features), engagements: data.engagements });
    const summary: RetrainSummary = {
      runKey,
      window: { from, to, source, ...windowFailures },
      models,
      failures,
      rescored: rescored.reduce((a, r) => a + r.scored, 0),
      insights,
    };
    // Completed, since the other models did improve; but the catalog says which did not, so `socialsense runs` and
    // the API show it beside the status instead of a bare "completed".
    await catalog.recordRunEnd({
      runKey,
      status: 'completed',
      summary,
      ...(failures.length > 0 ? { error: failureNote } : {}),
    });
    return summary;
  } catch (err) {
    await CancellationScope.nonCancellable(() => catalog.recordRunEnd({ runKey, ...runEndOf(err) }));
    throw err;
  }
}
