/**
 * The stage pool: the stages that parse or hold many posts (the file import, preprocess, features,
 * scoring and the profile update) of a worker process run in a pool of worker threads (piscina), so one process uses the cores it is given while its main thread stays free
 * for Temporal: heartbeats, cancellations, polling and the I/O activities never wait behind a stage.
 *
 * A task carries only its JSON input. Each thread builds its own deps once (workers/stageThread.ts: a
 * pg pool and an object store from the same configuration as the worker) and returns the stage's small
 * result (dataset references and counts); rows never cross the thread boundary.
 */
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Piscina from 'piscina';
import { ApplicationFailure } from '@temporalio/common';
import { configError } from '../lib/failures';
import { dataDir, projectRoot } from '../lib/paths';
import { bundle as bundleOf, bundlingDisabled } from '../bin/bundle.mjs';
import { makeProcessTempDir, removeOrphanedTempDirs, removeProcessTempDir } from '../lib/processTempDirs';
import type { StorageConfig } from '../lib/config';
import type { PreprocessInput, PreprocessResult } from '../activities/preprocess';
import type { FeaturesInput, FeaturesResult } from '../activities/features';
import type { ScoreInput, ScoreResult } from '../activities/score';
import type { ProfileUpdateInput, ProfileUpdateResult } from '../activities/profiles';
import type { FileImportInput } from '../activities/collect/file';
import type { CollectResult } from '../activities/collect/types';
import type { TrainingTask } from './trainingTask';

/** How a thread reaches the services: the worker's own DATABASE_URL and S3_* settings. */
export interface ThreadDepsSpec {
  databaseUrl: string;
  storage: StorageConfig;
}

/** The stages a thread runs, each with its input and result (the activities of the same names). */
interface StageIo {
  importFile: { input: FileImportInput; result: CollectResult };
  preprocess: { input: PreprocessInput; result: PreprocessResult };
  features: { input: FeaturesInput; result: FeaturesResult };
  score: { input: ScoreInput; result: ScoreResult };
  profiles: { input: ProfileUpdateInput; result: ProfileUpdateResult };
  /** a retrain's training or insights activity (workers/trainingTask.ts), on the training pool */
  train: { input: TrainingTask; result: unknown };
}

export type StageName = keyof StageIo;

export type StageTask = { [S in StageName]: { stage: S; input: StageIo[S]['input'] } }[StageName];

export type StageResult<T extends StageTask> = StageIo[T['stage']]['result'];

/**
 * What a thread is sent: the stage and its input, how to reach the services, and `tmpDir`, a directory
 * of this task's own for its temporary files (the import's spill files, Parquet read buffers). The pool
 * creates it and removes it when the task settles, also when the thread was terminated midway (a
 * cancellation, running out of memory), where the stage's own clean-up never ran.
 */
export type StageThreadTask = StageTask & { deps: ThreadDepsSpec; tmpDir: string };

/** What a thread sends back: the result, or the error's fields (see stageThread.ts describeError). */
export type StageTaskOutcome =
  { ok: StageIo[StageName]['result'] } | { error: { message: string; stack: string | null; name: string; type: string | null; nonRetryable: boolean } };

export interface StagePool {
  /** threads in the pool */
  readonly threads: number;
  /** tasks the threads have finished so far (including failed ones) */
  readonly completed: number;
  /**
   * Runs one stage task on a free thread (queued while all are busy). Aborting `signal` (an activity's
   * cancellationSignal) ends the task: piscina terminates its thread and starts a fresh one.
   * @throws the stage's error, rebuilt as an ApplicationFailure with its type when it was one
   * @throws signal.reason when the signal aborted the task
   */
  run<T extends StageTask>(task: T, signal?: AbortSignal): Promise<StageResult<T>>;
  /** Stops the threads; tasks still running are ended. */
  close(): Promise<void>;
}

const THREAD_HEAP_ENV = 'SOCIALSENSE_THREAD_HEAP_MB';
/**
 * Twice what the largest partition needed, measured: preprocess holds a partition's accepted posts for the
 * near-duplicate pass, so its live heap grows with the partition, which the import splits at 100k posts
 * (SOCIALSENSE_MAX_PARTITION_POSTS). A 95k-post partition (one simulated day, 1 × 1) ran with 192 MiB;
 * ~33k-post partitions ran with 128 and ran out with 96.
 */
export const DEFAULT_THREAD_HEAP_MB = 384;

/**
 * Old-generation limit of each stage thread, in MiB (V8's maxOldGenerationSizeMb): DEFAULT_THREAD_HEAP_MB,
 * `SOCIALSENSE_THREAD_HEAP_MB` to change it, 0 for V8's default (a share of the machine's memory, 4 GiB
 * here). Without a limit V8 lets a thread's heap grow far past what it holds live before collecting.
 * A stage that does run out fails with a ConfigError that names this setting.
 * @throws ConfigError when the variable is set to something other than a whole number
 */
export function threadHeapMb(env: NodeJS.ProcessEnv = process.env): number {
  return wholeMbSetting(env, THREAD_HEAP_ENV, DEFAULT_THREAD_HEAP_MB);
}

const THREAD_YOUNG_ENV = 'SOCIALSENSE_THREAD_YOUNG_MB';
/**
 * The young generation of each stage thread, in MiB (V8's maxYoungGenerationSizeMb); 0 leaves V8's default.
 * A memory-for-CPU trade an operator can make, measured with 1M simulated posts (bench, 1 process):
 * - × 2 threads: V8's default 869 MiB peak RSS at 9,777 posts/s; 32 MiB 861 at 10,040; 16 MiB 817 at 9,224
 *   (more scavenges: +6% worker CPU);
 * - × 1 thread: 16 MiB 590 MiB at 6,929 posts/s, 32 MiB 597 at 7,154.
 * At 250k posts × 2 threads, 8 MiB saved another 90 MiB and cost 15% of the throughput.
 */
export const DEFAULT_THREAD_YOUNG_MB = 0;

/**
 * Young-generation limit of each stage thread, in MiB: `SOCIALSENSE_THREAD_YOUNG_MB`, else
 * DEFAULT_THREAD_YOUNG_MB; 0 is V8's default.
 * @throws ConfigError when the variable is set to something other than a whole number
 */
export function threadYoungMb(env: NodeJS.ProcessEnv = process.env): number {
  return wholeMbSetting(env, THREAD_YOUNG_ENV, DEFAULT_THREAD_YOUNG_MB);
}

function wholeMbSetting(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  if (!/^\d+$/.test(v.trim())) throw configError(`${name} must be a whole number of MiB (0 = V8's default), got ${JSON.stringify(v)}`);
  return Number(v.trim());
}

/**
 * The glibc malloc arenas a process with worker threads should keep to, set as `MALLOC_ARENA_MAX` before it starts
 * (glibc reads it once, so a running process cannot change it; docker-compose.yml and `npm run worker` set it).
 * glibc gives each thread that allocates natively (V8's threads, libuv's pool doing gzip, Temporal's runtime) an arena
 * of its own, up to 8 per core, and the memory freed in them stays resident. Measured, 1M simulated posts on
 * `worker --threads 2` (bench, 2026-12-01): peak RSS 757 MiB with glibc's default, 627 with 2, at the same CPU.
 */
export const RECOMMENDED_MALLOC_ARENA_MAX = 2;

/**
 * What to tell an operator who runs a worker with threads without MALLOC_ARENA_MAX, or null when it is set or does not
 * apply (no threads, or a C library other than glibc, whose allocator has no such arenas).
 * @param glibc the runtime's glibc version (process.report's header.glibcVersionRuntime), undefined when not glibc
 */
export function mallocArenaAdvice(threads: number, env: NodeJS.ProcessEnv, glibc: string | undefined): string | null {
  if (threads < 1 || !glibc || (env.MALLOC_ARENA_MAX ?? '') !== '') return null;
  return `MALLOC_ARENA_MAX is not set: with ${threads} stage thread${threads === 1 ? '' : 's'} glibc keeps up to ${8 * os.availableParallelism()} malloc arenas resident; start the worker with MALLOC_ARENA_MAX=${RECOMMENDED_MALLOC_ARENA_MAX} (measured: 130 MiB less peak RSS at 1M posts on 2 threads, same CPU)`;
}

/** Every stage once (the type makes the list complete): the prefix of its tasks' directories. */
const STAGE_NAMES: Record<StageName, true> = { importFile: true, preprocess: true, features: true, score: true, profiles: true, train: true };

/**
 * Removes the task directories (`<stage>-<pid>-*`) under `tmpRoot` whose worker process is gone (lib/processTempDirs):
 * a killed worker ran no clean-up, and an import's spill can be hundreds of MB. Called when a pool starts.
 * @returns the names removed
 */
export function removeOrphanedTaskDirs(tmpRoot: string): string[] {
  return removeOrphanedTempDirs(tmpRoot, Object.keys(STAGE_NAMES));
}

/** The default size of a worker's pool: the cores this process may use. */
export const defaultThreads = (): number => os.availableParallelism();

// From the project root, not this module: the CLI may run bundled (bin/socialsense.mjs), from .build/.
const entry = pathToFileURL(path.join(projectRoot, 'workers/stageThread.mjs')).href;

/**
 * The stage threads' code bundled as JavaScript (bin/bundle.mjs): measured end to end on 250k simulated posts, 4–9%
 * less worker CPU and 80–140 MiB less peak RSS than each thread loading it through tsx (bench/README.md, "2026-12-01").
 * @returns its file URL, or null with SOCIALSENSE_NO_BUNDLE=1 or where `.build` cannot be written (each thread then
 *   loads the TypeScript through tsx)
 * @throws Error naming SOCIALSENSE_NO_BUNDLE when it is set to something else than 1 or 0
 */
export function stageThreadBundle(env: NodeJS.ProcessEnv = process.env): string | null {
  if (bundlingDisabled(env)) return null;
  return bundleOf({ entry: 'workers/stageThread.ts', name: 'stage-thread' });
}

/**
 * @param threads pool size, at least 1
 * @param deps how each thread connects to Postgres and the object store
 * @param heapMb each thread's old-generation limit in MiB (0 = V8's default); default threadHeapMb()
 * @param youngMb each thread's young-generation limit in MiB (0 = V8's default); default threadYoungMb()
 * @param tmpRoot where each task's temporary directory is made; default the data dir's `tmp/` (lib/paths)
 * @param idleMs with a value, threads start on the first task and end after this many ms without one (the training
 *   pool: a nightly retrain's memory is given back after it); without, all threads start up front and stay
 * @param bundle the file URL of the threads' bundled code; default stageThreadBundle(); null loads the TypeScript
 *   through tsx in each thread (what a read-only install falls back to)
 */
export function createStagePool(opts: {
  threads: number;
  deps: ThreadDepsSpec;
  heapMb?: number;
  youngMb?: number;
  tmpRoot?: string;
  idleMs?: number;
  bundle?: string | null;
}): StagePool {
  if (!Number.isInteger(opts.threads) || opts.threads < 1) throw new RangeError(`a stage pool needs at least 1 thread, got ${opts.threads}`);
  const tmpRoot = opts.tmpRoot ?? path.join(dataDir(), 'tmp');
  removeOrphanedTaskDirs(tmpRoot);
  const heapMb = opts.heapMb ?? threadHeapMb();
  const youngMb = opts.youngMb ?? threadYoungMb();
  if (!Number.isInteger(heapMb) || heapMb < 0) throw new RangeError(`a stage thread's heap limit is a whole number of MiB (0 = V8's default), got ${heapMb}`);
  if (!Number.isInteger(youngMb) || youngMb < 0)
    throw new RangeError(`a stage thread's young generation is a whole number of MiB (0 = V8's default), got ${youngMb}`);
  const pool = new Piscina({
    filename: entry,
    // Started up front and kept: a thread's start (tsx, the models it loads) is paid once, not per partition.
    minThreads: opts.idleMs === undefined ? opts.threads : 0,
    maxThreads: opts.threads,
    idleTimeout: opts.idleMs ?? Number.POSITIVE_INFINITY,
    // A bounded old generation makes V8 collect a thread's garbage early instead of letting its heap
    // grow towards the process default (~4 GiB here) between major collections.
    // The young generation only when asked for (threadYoungMb): smaller saves memory for CPU.
    workerData: { bundle: opts.bundle === undefined ? stageThreadBundle() : opts.bundle },
    resourceLimits: { ...(heapMb > 0 ? { maxOldGenerationSizeMb: heapMb } : {}), ...(youngMb > 0 ? { maxYoungGenerationSizeMb: youngMb } : {}) },
  });
  return {
    threads: opts.threads,
    get completed() {
      return pool.completed;
    },
    async run(task, signal) {
      let outcome: StageTaskOutcome;
      const tmpDir = makeProcessTempDir(tmpRoot, task.stage);
      try {
        const sent: StageThreadTask = { ...task, deps: opts.deps, tmpDir };
        outcome = await pool.run(sent, { signal: signal ?? null });
      } catch (err) {
        if (signal?.aborted) throw signal.reason ?? err;
        if ((err as { code?: unknown }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
          // The same partition would run out again on a retry: say what to change instead.
          throw configError(
            `the ${task.stage} stage ran out of memory in its thread (heap limit ${heapMb > 0 ? `${heapMb} MiB` : "V8's default"}): raise ${THREAD_HEAP_ENV} (0 = V8's default) or lower SOCIALSENSE_MAX_PARTITION_POSTS so partitions are split smaller`,
          );
        }
        throw err;
      } finally {
        await removeProcessTempDir(tmpDir);
      }
      if ('ok' in outcome) return outcome.ok as StageResult<typeof task>;
      const e = outcome.error;
      if (e.type !== null) {
        const failure = ApplicationFailure.create({ message: e.message, type: e.type, nonRetryable: e.nonRetryable });
        if (e.stack) failure.stack = e.stack;
        throw failure;
      }
      const error = new Error(e.message);
      error.name = e.name;
      if (e.stack) error.stack = e.stack;
      throw error;
    },
    async close() {
      await pool.destroy();
    },
  };
}
