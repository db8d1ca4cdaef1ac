/**
 * The stage pool: the CPU-bound stages (preprocess, features) of a worker process run in a pool of
 * worker threads (piscina), so one process uses the cores it is given while its main thread stays free
 * for Temporal: heartbeats, cancellations, polling and the I/O activities never wait behind a stage.
 *
 * A task carries only its JSON input. Each thread builds its own deps once (workers/stageThread.ts: a
 * pg pool and an object store from the same configuration as the worker) and returns the stage's small
 * result (dataset references and counts); rows never cross the thread boundary.
 */
import os from 'node:os';
import Piscina from 'piscina';
import { ApplicationFailure } from '@temporalio/common';
import { configError } from '../lib/failures';
import type { StorageConfig } from '../lib/config';
import type { PreprocessInput, PreprocessResult } from '../activities/preprocess';
import type { FeaturesInput, FeaturesResult } from '../activities/features';

/** How a thread reaches the services: the worker's own DATABASE_URL and S3_* settings. */
export interface ThreadDepsSpec {
  databaseUrl: string;
  storage: StorageConfig;
}

export type StageTask = { stage: 'preprocess'; input: PreprocessInput } | { stage: 'features'; input: FeaturesInput };

type StageResult<T extends StageTask> = T extends { stage: 'preprocess' } ? PreprocessResult : FeaturesResult;

/** What a thread sends back: the result, or the error's fields (see stageThread.ts describeError). */
export type StageTaskOutcome =
  { ok: PreprocessResult | FeaturesResult } | { error: { message: string; stack: string | null; name: string; type: string | null; nonRetryable: boolean } };

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
  const v = env[THREAD_HEAP_ENV];
  if (v === undefined || v === '') return DEFAULT_THREAD_HEAP_MB;
  if (!/^\d+$/.test(v.trim())) throw configError(`${THREAD_HEAP_ENV} must be a whole number of MiB (0 = V8's default), got ${JSON.stringify(v)}`);
  return Number(v.trim());
}

/** The default size of a worker's pool: the cores this process may use. */
export const defaultThreads = (): number => os.availableParallelism();

const entry = new URL('./stageThread.mjs', import.meta.url).href;

/**
 * @param threads pool size, at least 1
 * @param deps how each thread connects to Postgres and the object store
 * @param heapMb each thread's old-generation limit in MiB (0 = V8's default); default threadHeapMb()
 */
export function createStagePool(opts: { threads: number; deps: ThreadDepsSpec; heapMb?: number }): StagePool {
  if (!Number.isInteger(opts.threads) || opts.threads < 1) throw new RangeError(`a stage pool needs at least 1 thread, got ${opts.threads}`);
  const heapMb = opts.heapMb ?? threadHeapMb();
  if (!Number.isInteger(heapMb) || heapMb < 0) throw new RangeError(`a stage thread's heap limit is a whole number of MiB (0 = V8's default), got ${heapMb}`);
  const pool = new Piscina({
    filename: entry,
    // Started up front and kept: a thread's start (tsx, the models it loads) is paid once, not per partition.
    minThreads: opts.threads,
    maxThreads: opts.threads,
    idleTimeout: Number.POSITIVE_INFINITY,
    // A bounded old generation makes V8 collect a thread's garbage early instead of letting its heap
    // grow towards the process default (~4 GiB here) between major collections.
    ...(heapMb > 0 ? { resourceLimits: { maxOldGenerationSizeMb: heapMb } } : {}),
  });
  return {
    threads: opts.threads,
    get completed() {
      return pool.completed;
    },
    async run(task, signal) {
      let outcome: StageTaskOutcome;
      try {
        outcome = await pool.run({ ...task, deps: opts.deps }, { signal: signal ?? null });
      } catch (err) {
        if (signal?.aborted) throw signal.reason ?? err;
        if ((err as { code?: unknown }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
          // The same partition would run out again on a retry: say what to change instead.
          throw configError(
            `the ${task.stage} stage ran out of memory in its thread (heap limit ${heapMb > 0 ? `${heapMb} MiB` : "V8's default"}): raise ${THREAD_HEAP_ENV} (0 = V8's default) or lower SOCIALSENSE_MAX_PARTITION_POSTS so partitions are split smaller`,
          );
        }
        throw err;
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
