import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { projectRoot } from '../lib/paths';
import { createIoActivities, createMlActivities, type ActivityDeps } from '../activities';
import { IO_TASK_QUEUE, mlQueueFor } from '../workflows/taskQueues';
import { maskActivityFailures } from './maskFailures';
import { createStagePool, type StagePool, type ThreadDepsSpec } from './threadPool';

export const workflowsPath = path.join(projectRoot, 'workflows/index.ts');

const bundlerScript = path.join(projectRoot, 'workers/bundleWorkflows.mjs');

let bundle: Promise<WorkflowBundleWithSourceMap> | null = null;

/**
 * Bundling the workflow code takes seconds; one bundle serves every worker in the process. It is built
 * in a child process (workers/bundleWorkflows.mjs): webpack's heap and compiled code, ~100 MiB measured,
 * would otherwise stay in this process's resident set (V8 does not give it back) for the worker's life.
 * `SOCIALSENSE_BUNDLE_IN_PROCESS=1` bundles in this process instead (the old way, kept to compare memory).
 * @throws Error with the bundler's stderr when the child fails
 */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= (process.env.SOCIALSENSE_BUNDLE_IN_PROCESS === '1' ? bundleInProcess() : bundleInChild()).catch((err) => {
    bundle = null;
    throw err;
  });
  return bundle;
}

function bundleInProcess(): Promise<WorkflowBundleWithSourceMap> {
  const quiet = () => undefined;
  return bundleWorkflowCode({ workflowsPath, logger: { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: (m) => console.error(m) } });
}

async function bundleInChild(): Promise<WorkflowBundleWithSourceMap> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'socialsense-bundle-'));
  const out = path.join(dir, 'bundle.json');
  try {
    await new Promise<void>((resolve, reject) => {
      // execArgv is left out on purpose: a --cpu-prof or loader of the parent has no business in the bundler.
      const child = spawn(process.execPath, [bundlerScript, workflowsPath, out], {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, NODE_OPTIONS: '' },
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
      child.on('error', reject);
      child.on('exit', (code, signal) =>
        code === 0
          ? resolve()
          : reject(new Error(`bundling the workflow code (${bundlerScript}) failed with ${signal ?? `exit code ${code}`}: ${stderr.trim() || 'no output'}`)),
      );
    });
    return JSON.parse(await fs.promises.readFile(out, 'utf8')) as WorkflowBundleWithSourceMap;
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}

/**
 * Workflows kept in this worker's sticky cache. The SDK's default follows the heap limit (~2,300 here,
 * ~1 MB each per its docs with reuseV8Context), which leaves a long-lived worker's memory unbounded; a
 * run needs a handful at a time (the pipeline, its collect child, ≤ 8 partition chains run as
 * activities), and an evicted workflow only replays its history on its next task.
 */
export const MAX_CACHED_WORKFLOWS = 64;

/**
 * The longest the SDK holds back an activity's heartbeats (WorkerOptions.maxHeartbeatThrottleInterval; by
 * default it sends one per min(0.8 × heartbeatTimeout, 60 s)). A cancellation reaches a running activity only in
 * a heartbeat's response, so with the defaults a cancelled import (heartbeatTimeout 2 min) went on for up to a
 * minute and uploaded its partitions after its workflow had closed. 5 s: a cancel stops the work within ~5 s, for
 * one heartbeat call per running activity every 5 s.
 */
export const MAX_HEARTBEAT_THROTTLE = '5 seconds';

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  deps: ActivityDeps;
  /** prefix for both task queues, so tests can run isolated workers against one server */
  taskQueue?: string;
  /** ML activity slots; default: the pool's threads, or 1 without a pool */
  mlSlots?: number;
  /** the stage pool preprocess and features run on (owned by the caller); none: they run inline */
  pool?: StagePool | null;
  /** the pool a retrain's training and insights run on (owned by the caller); none: they run inline */
  trainingPool?: StagePool | null;
}

/**
 * One process polls both queues: workflows + I/O activities on `socialsense`, CPU-bound stages on
 * `socialsense-ml`. With a stage pool of N threads the ML queue has N slots, one per thread: the stages
 * compute on the threads and the main thread stays free for heartbeats and I/O. Without a pool it has
 * one slot (a Node thread computes one stage at a time; a second slot would only interleave two stages
 * on one event loop and delay both their heartbeats). More processes add more cores, on more machines.
 */
export async function createWorkers(opts: WorkerOptions): Promise<Worker[]> {
  const io = opts.taskQueue ?? IO_TASK_QUEUE;
  const mlQueue = mlQueueFor(io);
  const workflowBundleCode = await workflowBundle();
  return Promise.all([
    Worker.create({
      connection: opts.connection,
      namespace: opts.namespace,
      taskQueue: io,
      workflowBundle: workflowBundleCode,
      activities: createIoActivities(opts.deps, { pool: opts.pool }),
      interceptors: { activity: [maskActivityFailures] },
      maxConcurrentActivityTaskExecutions: 8,
      maxCachedWorkflows: MAX_CACHED_WORKFLOWS,
      maxHeartbeatThrottleInterval: MAX_HEARTBEAT_THROTTLE,
    }),
    Worker.create({
      connection: opts.connection,
      namespace: opts.namespace,
      taskQueue: mlQueue,
      activities: createMlActivities(opts.deps, { pool: opts.pool, trainingPool: opts.trainingPool }),
      interceptors: { activity: [maskActivityFailures] },
      maxConcurrentActivityTaskExecutions: opts.mlSlots ?? Math.max(1, opts.pool?.threads ?? 1),
      maxHeartbeatThrottleInterval: MAX_HEARTBEAT_THROTTLE,
    }),
  ]);
}

/** How long a training thread stays after its last task: a retrain's jobs follow each other within seconds. */
export const TRAINING_THREAD_IDLE_MS = 60_000;

/**
 * The pool a retrain's training and insights activities run on (workers/trainingTask.ts). Not the stage pool: they
 * read a whole window, far more than a partition, so their threads keep V8's heap limit instead of the stage
 * threads' (threadPool.ts DEFAULT_THREAD_HEAP_MB), and they start on the first training task and end a minute after
 * the last, so a worker holds no training memory between retrains.
 */
export function createTrainingPool(threads: number, deps: ThreadDepsSpec): StagePool {
  return createStagePool({ threads, deps, heapMb: 0, youngMb: 0, idleMs: TRAINING_THREAD_IDLE_MS });
}

/**
 * Workers of this process for a stack's queues, started; `stop()` drains them (running tasks finish)
 * and then stops the stage pool. `threads` ≥ 1 with `threadDeps` runs preprocess and features on a pool
 * of that many threads; 0 or absent runs them inline (the embedded demo does: PGlite serves one
 * process through a socket of a few connections, and its object folder is this process's).
 */
export async function startWorkers(
  stack: Pick<WorkerOptions, 'connection' | 'namespace' | 'deps'> & { taskQueue: string; threads?: number; threadDeps?: ThreadDepsSpec },
): Promise<{ workers: Worker[]; pool: StagePool | null; trainingPool: StagePool | null; stop(): Promise<void> }> {
  const threads = stack.threads ?? 0;
  if (threads > 0 && !stack.threadDeps)
    throw new Error('startWorkers: threads > 0 needs threadDeps (how the threads connect to Postgres and the object store)');
  const pool = threads > 0 ? createStagePool({ threads, deps: stack.threadDeps! }) : null;
  const trainingPool = threads > 0 ? createTrainingPool(threads, stack.threadDeps!) : null;
  let workers: Worker[];
  try {
    workers = await createWorkers({ ...stack, pool, trainingPool });
  } catch (err) {
    await pool?.close();
    await trainingPool?.close();
    throw err;
  }
  const running = workers.map((w) => w.run());
  return {
    workers,
    pool,
    trainingPool,
    async stop() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await Promise.allSettled(running);
      await pool?.close();
      await trainingPool?.close();
    },
  };
}
