import crypto from 'node:crypto';
import type { Worker } from '@temporalio/worker';
import { loadDotEnv } from '../../lib/config';
import { connectStack, type Stack } from '../../lib/stack';
import { startWorkers } from '../../workers/worker';

/**
 * The real local stack (Temporal dev server, MinIO, Postgres) that `npm test` brings up.
 * A missing service fails the test with the reason; integration tests never skip.
 */
export async function requireStack(): Promise<Stack> {
  loadDotEnv();
  try {
    return await connectStack();
  } catch (err) {
    throw new Error(`integration tests need the local stack (run scripts/services.sh up, or npm test which does it): ${(err as Error).message}`);
  }
}

/** Workers on a task queue of their own, so tests never hand work to some other running worker. */
export async function startTestWorkers(stack: Stack, name: string): Promise<{ taskQueue: string; workers: Worker[]; stop(): Promise<void> }> {
  const taskQueue = `test-${name}-${crypto.randomUUID().slice(0, 8)}`;
  const local = await startWorkers({ connection: stack.nativeConnection, namespace: stack.namespace, taskQueue, deps: { store: stack.store, db: stack.db } });
  return { taskQueue, ...local };
}

export const uniqueId = (prefix: string) => `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
