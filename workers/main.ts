import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import { logger } from '../lib/logger';
import { connectStack } from '../lib/stack';
import { createWorkers } from './worker';

export interface WorkerProcessOptions {
  metricsPort?: number;
}

/** Forwards the SDK's logs (which carry workflow/run/activity ids in their meta) to our JSON logger. */
function installRuntime(opts: WorkerProcessOptions): void {
  const level = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;
  Runtime.install({
    logger: new DefaultLogger('INFO', (entry: LogEntry) => logger[level[entry.level]]({ ...entry.meta }, entry.message)),
    // SIGINT/SIGTERM make the runtime shut workers down gracefully: no new tasks, running ones finish.
    shutdownSignals: ['SIGINT', 'SIGTERM'],
    telemetryOptions: opts.metricsPort ? { metrics: { prometheus: { bindAddress: `127.0.0.1:${opts.metricsPort}` } } } : undefined,
  });
}

export async function run(opts: WorkerProcessOptions = {}): Promise<void> {
  installRuntime(opts);
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
