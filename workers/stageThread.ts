/**
 * The worker-thread side of the stage pool (workers/threadPool.ts): runs one stage of one
 * partition with deps of the thread's own (a pg pool and an object store built from the same
 * configuration the worker process uses), and returns the stage's small result (references and counts).
 * Loaded through workers/stageThread.mjs, which registers tsx first so this file can be TypeScript.
 */
import { ApplicationFailure } from '@temporalio/common';
import { createDb, type Db } from '../lib/db';
import { createObjectStore, type ObjectStore } from '../lib/objectStore';
import { preprocessPartition } from '../activities/preprocess';
import { extractPartitionFeatures } from '../activities/features';
import { createScoreActivities } from '../activities/score';
import { createProfileActivities } from '../activities/profiles';
import { createFileCollectActivities } from '../activities/collect/file';
import { createServingModels } from '../activities/servingModels';
import type { StageTaskOutcome, StageThreadTask, ThreadDepsSpec } from './threadPool';
import type { TrainingActivities, TrainingTask } from './trainingTask';

let deps: {
  store: ObjectStore;
  db: Db;
  serving: ReturnType<typeof createServingModels>;
  score: ReturnType<typeof createScoreActivities>;
  profiles: ReturnType<typeof createProfileActivities>;
} | null = null;

/** Built on the first task and kept for the thread's life: connections and loaded models are reused. */
function threadDeps(spec: ThreadDepsSpec) {
  if (!deps) {
    const store = createObjectStore(spec.storage);
    // Two connections: one task at a time runs in a thread; the catalog and onceForOutput's lock may overlap.
    const db = createDb(spec.databaseUrl, 2);
    deps = {
      store,
      db,
      serving: createServingModels({ store, db }),
      score: createScoreActivities({ store, db }),
      profiles: createProfileActivities({ store, db }),
    };
  }
  return deps;
}

let training: TrainingActivities | null = null;

/**
 * Runs a retrain's training or insights activity (workers/trainingTask.ts). Their modules (the neural sentiment
 * model's TensorFlow.js among them) are loaded on the first such task only, so the partition stages' threads never
 * hold them.
 */
async function runTraining(d: ReturnType<typeof threadDeps>, task: TrainingTask): Promise<unknown> {
  if (!training) {
    const [{ createTrainingActivities }, { createInsightActivities }] = await Promise.all([import('../activities/train'), import('../activities/insights')]);
    const t = createTrainingActivities({ store: d.store, db: d.db });
    const i = createInsightActivities({ store: d.store, db: d.db });
    training = {
      trainSentiment: t.trainSentiment,
      trainTopics: t.trainTopics,
      trainRecommender: t.trainRecommender,
      trainUserModels: t.trainUserModels,
      scoreInsights: i.scoreInsights,
    };
  }
  const run = training[task.method] as ((input: unknown) => Promise<unknown>) | undefined;
  if (!run) throw new Error(`unknown training activity ${JSON.stringify(task.method)}`);
  return run(task.input);
}

/**
 * Errors cross the thread boundary by structured clone, which keeps message and stack but not the
 * class: an ApplicationFailure's type and retryability are sent as fields and rebuilt on the main thread.
 */
function describeError(err: unknown): StageTaskOutcome {
  const e = err instanceof Error ? err : new Error(String(err));
  const failure = e instanceof ApplicationFailure ? e : null;
  return { error: { message: e.message, stack: e.stack ?? null, name: e.name, type: failure?.type ?? null, nonRetryable: failure?.nonRetryable ?? false } };
}

export default async function runStageTask(task: StageThreadTask): Promise<StageTaskOutcome> {
  try {
    const d = threadDeps(task.deps);
    // This thread's own copy of the environment: os.tmpdir() (the Parquet reader's buffers) is the task's
    // directory, which the pool removes when the task settles, however it ends.
    process.env.TMPDIR = task.tmpDir;
    if (task.stage === 'importFile') return { ok: await createFileCollectActivities({ store: d.store, db: d.db, tmpDir: task.tmpDir }).importFile(task.input) };
    if (task.stage === 'preprocess') return { ok: await preprocessPartition(d, task.input) };
    if (task.stage === 'features') return { ok: await extractPartitionFeatures(d, task.input) };
    if (task.stage === 'score') return { ok: await d.score.scorePosts(task.input) };
    if (task.stage === 'profiles') return { ok: await d.profiles.updateUserProfiles(task.input) };
    if (task.stage === 'train') return { ok: (await runTraining(d, task.input)) as never };
    throw new Error(`unknown stage ${JSON.stringify((task as { stage: unknown }).stage)}`);
  } catch (err) {
    return describeError(err);
  }
}
