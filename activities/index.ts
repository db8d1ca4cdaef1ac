import type { Db } from '../lib/db';
import type { ObjectStore } from '../lib/objectStore';
import { createCatalogActivities } from './catalog';
import { createFileCollectActivities } from './collect/file';
import { createPlatformCollectActivities, type PlatformCollectInput } from './collect/platformActivities';
import { createSimulatedCollectActivities } from './collect/simulated/activity';
import type { CollectResult } from './collect/types';
import { recordDataset } from '../lib/catalog';
import { createFeatureActivities } from './features';
import { createInsightActivities } from './insights';
import { createProfileActivities } from './profiles';
import { createTrainingActivities } from './train';
import { createPreprocessActivities } from './preprocess';
import { createScoreActivities } from './score';
import { createStreamActivities } from './stream';
import { Context } from '@temporalio/activity';
import type { StagePool, StageResult, StageTask } from '../workers/threadPool';
import { TRAINING_METHODS, type TrainingActivities, type TrainingMethod } from '../workers/trainingTask';
import type { PreprocessInput, PreprocessResult } from './preprocess';
import type { FeaturesInput, FeaturesResult } from './features';
import type { ScoreInput, ScoreResult } from './score';
import type { ProfileUpdateInput, ProfileUpdateResult } from './profiles';
import type { FileImportInput } from './collect/file';
import { withHeartbeat } from './heartbeat';

export interface ActivityDeps {
  store: ObjectStore;
  db: Db;
}

/** Platform collection, with its partitions entered in the catalog like every other source's. */
function createCatalogedPlatformActivities(deps: ActivityDeps) {
  const platform = createPlatformCollectActivities({ store: deps.store });
  return {
    async collectPlatform(input: PlatformCollectInput & { runKey: string }): Promise<CollectResult> {
      const { runKey, ...collectInput } = input;
      const result = await platform.collectPlatform(collectInput);
      for (const p of result.partitions) {
        if (p.raw) await recordDataset(deps.db, { ref: p.raw, stage: 'raw', source: result.source, date: p.date, runKey, meta: { query: result.query } });
        await recordDataset(deps.db, {
          ref: p.posts,
          stage: 'posts',
          source: result.source,
          date: p.date,
          runKey,
          inputs: p.raw ? [p.raw.uri] : [],
          meta: { query: result.query },
        });
      }
      if (result.quarantine) await recordDataset(deps.db, { ref: result.quarantine, stage: 'quarantine', source: result.source, runKey });
      return result;
    },
  };
}

/**
 * I/O-bound activities: collection and the catalog. They run on the `socialsense` task queue. With
 * `pool`, importFile parses on the stage pool's threads: a million-record file makes a few hundred MiB of
 * short-lived garbage, which the main thread's heap (sized by V8 for the whole machine) kept uncollected
 * for a minute after the import, the worker's largest resident set (measured, bench/README.md).
 */
export function createIoActivities(deps: ActivityDeps, opts: { pool?: StagePool | null } = {}) {
  const pool = opts.pool;
  return {
    ...createCatalogActivities(deps),
    ...createSimulatedCollectActivities(deps),
    ...createFileCollectActivities(deps),
    ...(pool ? { importFile: (input: FileImportInput): Promise<CollectResult> => onPool(pool, { stage: 'importFile', input }) } : {}),
    ...createCatalogedPlatformActivities(deps),
    ...createStreamActivities(deps),
  };
}

/**
 * Runs a pool task for the current activity: heartbeats while it waits, aborts it on cancellation, and counts it in
 * the worker's metrics (`--metrics-port`, beside Temporal's own): `socialsense_stage_tasks` by stage and outcome
 * (completed, failed, cancelled) and `socialsense_stage_task_seconds`, a histogram of how long tasks take, waiting
 * for a free thread included.
 */
async function onPool<T extends StageTask>(pool: StagePool, task: T): Promise<StageResult<T>> {
  const ctx = Context.current();
  const started = performance.now();
  const record = (outcome: 'completed' | 'failed' | 'cancelled') => {
    const meter = ctx.metricMeter.withTags({ stage: task.stage });
    meter.createCounter('socialsense_stage_tasks', 'tasks', 'stage pool tasks by stage and outcome').add(1, { outcome });
    meter
      .createHistogram('socialsense_stage_task_seconds', 'float', 's', 'stage pool task duration, queueing included')
      .record((performance.now() - started) / 1000);
  };
  try {
    const result = await withHeartbeat(() => pool.run(task, ctx.cancellationSignal), 2000);
    record('completed');
    return result;
  } catch (err) {
    record(ctx.cancellationSignal.aborted ? 'cancelled' : 'failed');
    throw err;
  }
}

/**
 * preprocess, extractFeatures, scorePosts and updateUserProfiles on the stage pool's threads
 * (workers/threadPool.ts): the stages that hold a partition's posts, so the main thread's heap stays the
 * size of Temporal's work. The activity on the main thread only waits: it heartbeats meanwhile (the event
 * loop is free, so heartbeats leave on time however long the stage computes), and a cancellation aborts
 * the thread's task.
 */
function createPooledStageActivities(pool: StagePool) {
  return {
    preprocess: (input: PreprocessInput): Promise<PreprocessResult> => onPool(pool, { stage: 'preprocess', input }),
    extractFeatures: (input: FeaturesInput): Promise<FeaturesResult> => onPool(pool, { stage: 'features', input }),
    scorePosts: (input: ScoreInput): Promise<ScoreResult> => onPool(pool, { stage: 'score', input }),
    updateUserProfiles: (input: ProfileUpdateInput): Promise<ProfileUpdateResult> => onPool(pool, { stage: 'profiles', input }),
  };
}

/**
 * The retrain's training and insights activities on the training pool's threads (workers/trainingTask.ts): the
 * activity heartbeats every 2 s while a thread computes, so a worker that dies mid-training is noticed at the
 * heartbeat timeout instead of the 1-hour start-to-close timeout.
 */
function createPooledTrainingActivities(pool: StagePool): TrainingActivities {
  const onTrainingPool =
    <M extends TrainingMethod>(method: M) =>
    (input: Parameters<TrainingActivities[M]>[0]) =>
      onPool(pool, { stage: 'train', input: { method, input } }) as ReturnType<TrainingActivities[M]>;
  return Object.fromEntries(TRAINING_METHODS.map((m) => [m, onTrainingPool(m)])) as unknown as TrainingActivities;
}

/**
 * CPU-bound stages. They run on the `socialsense-ml` task queue. With `pool`, the partition stages
 * (preprocess, features, scoring, profiles) compute on its threads, and with `trainingPool` the retrain's training
 * and insights; without, inline on the calling thread (tests, the embedded demo).
 */
export function createMlActivities(deps: ActivityDeps, opts: { pool?: StagePool | null; trainingPool?: StagePool | null } = {}) {
  return {
    ...createPreprocessActivities(deps),
    ...createFeatureActivities(deps),
    ...createScoreActivities(deps),
    ...createTrainingActivities(deps),
    ...createInsightActivities(deps),
    ...createProfileActivities(deps),
    ...(opts.pool ? createPooledStageActivities(opts.pool) : {}),
    ...(opts.trainingPool ? createPooledTrainingActivities(opts.trainingPool) : {}),
  };
}

export type IoActivities = ReturnType<typeof createIoActivities>;
export type MlActivities = ReturnType<typeof createMlActivities>;
