import { defaultMaxPartitionPosts } from '../activities/collect/file';
import { preprocessMemoryPosts } from '../activities/preprocess';
import { loadConfig } from '../lib/config';
import { logger } from '../lib/logger';
import { installRuntime } from '../lib/runtime';
import { connectStack } from '../lib/stack';
import { createStagePool, defaultThreads, mallocArenaAdvice } from './threadPool';
import { createTrainingPool, createWorkers } from './worker';

export interface WorkerProcessOptions {
  metricsPort?: number;
  /** stage pool threads; default: the cores this process may use (os.availableParallelism()); 0 runs the stages inline */
  threads?: number;
}

/**
 * Settings the stages read at each task, checked when the worker starts: a bad one would otherwise let the worker
 * start and poll, and then fail every run that reaches it.
 * @throws Error naming the setting and its value
 */
export function checkStageSettings(env: NodeJS.ProcessEnv = process.env): void {
  defaultMaxPartitionPosts(env);
  preprocessMemoryPosts(env);
}

export async function run(opts: WorkerProcessOptions = {}): Promise<void> {
  checkStageSettings();
  installRuntime({ level: 'INFO', metricsPort: opts.metricsPort });
  const threads = opts.threads ?? defaultThreads();
  const config = loadConfig();
  const stack = await connectStack();
  // The threads connect with the same settings this process connected with.
  const threadDeps = { databaseUrl: stack.databaseUrl, storage: config };
  const pool = threads > 0 ? createStagePool({ threads, deps: threadDeps }) : null;
  const trainingPool = threads > 0 ? createTrainingPool(threads, threadDeps) : null;
  try {
    const workers = await createWorkers({
      connection: stack.nativeConnection,
      namespace: stack.namespace,
      taskQueue: stack.taskQueue,
      deps: { store: stack.store, db: stack.db },
      pool,
      trainingPool,
    });
    logger.info({ taskQueue: stack.taskQueue, metricsPort: opts.metricsPort ?? null, pid: process.pid, threads }, 'worker started');
    const glibc = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime;
    const advice = mallocArenaAdvice(threads, process.env, glibc);
    if (advice) logger.warn(advice);
    await Promise.all(workers.map((w) => w.run()));
  } finally {
    await pool?.close();
    await trainingPool?.close();
    await stack.close();
    logger.info('worker stopped');
  }
}
