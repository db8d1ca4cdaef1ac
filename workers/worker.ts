import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createIoActivities, createMlActivities, type ActivityDeps } from '../activities';
import { IO_TASK_QUEUE, mlQueueFor } from '../workflows/taskQueues';
import { maskActivityFailures } from './maskFailures';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

let bundle: Promise<WorkflowBundleWithSourceMap> | null = null;

/** Bundling the workflow code takes seconds; one bundle serves every worker in the process. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath, logger: { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: (m) => console.error(m) } });
  return bundle;
}

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  deps: ActivityDeps;
  /** prefix for both task queues, so tests can run isolated workers against one server */
  taskQueue?: string;
  mlSlots?: number;
}

/**
 * One process polls both queues: workflows + I/O activities on `socialsense`, CPU-bound stages on
 * `socialsense-ml` with one slot. More throughput = more processes like this one, one per core.
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
      activities: createIoActivities(opts.deps),
      interceptors: { activity: [maskActivityFailures] },
      maxConcurrentActivityTaskExecutions: 8,
    }),
    Worker.create({
      connection: opts.connection,
      namespace: opts.namespace,
      taskQueue: mlQueue,
      activities: createMlActivities(opts.deps),
      interceptors: { activity: [maskActivityFailures] },
      // One CPU-bound activity per process: a Node process computes on one thread, so a second slot only
      // interleaves two activities on one event loop and delays both their heartbeats (measured: heartbeat
      // timeouts under load). Scale with one worker process per core instead.
      maxConcurrentActivityTaskExecutions: opts.mlSlots ?? 1,
    }),
  ]);
}

/** Workers of this process for a stack's queues, started; `stop()` drains them (running tasks finish). */
export async function startWorkers(stack: Pick<WorkerOptions, 'connection' | 'namespace' | 'deps'> & { taskQueue: string }): Promise<{ workers: Worker[]; stop(): Promise<void> }> {
  const workers = await createWorkers(stack);
  const running = workers.map((w) => w.run());
  return {
    workers,
    async stop() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await Promise.allSettled(running);
    },
  };
}
