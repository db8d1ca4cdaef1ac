import { logger } from '../lib/logger';
import { installRuntime } from '../lib/runtime';
import { connectStack } from '../lib/stack';
import { createWorkers } from './worker';

export interface WorkerProcessOptions {
  metricsPort?: number;
}

export async function run(opts: WorkerProcessOptions = {}): Promise<void> {
  installRuntime({ level: 'INFO', metricsPort: opts.metricsPort });
  const stack = await connectStack();
  const workers = await createWorkers({ connection: stack.nativeConnection, namespace: stack.namespace, taskQueue: stack.taskQueue, deps: { store: stack.store, db: stack.db } });
  logger.info({ taskQueue: stack.taskQueue, metricsPort: opts.metricsPort ?? null, pid: process.pid }, 'worker started');
  try {
    await Promise.all(workers.map((w) => w.run()));
  } finally {
    await stack.close();
    logger.info('worker stopped');
  }
}
