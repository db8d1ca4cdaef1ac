import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { MlActivities } from '../activities';
import { FailureType } from '../lib/failures';
import { mlQueueFor } from './taskQueues';

/**
 * The CPU-bound activities (preprocess, features, score, profiles) as the pipeline and the stream's
 * `streamWindow` call them: on the ML queue derived from the calling workflow's own queue. A function,
 * not a constant, because the queue is only known inside a running workflow.
 */
export const mlActivities = () =>
  proxyActivities<MlActivities>({
    taskQueue: mlQueueFor(workflowInfo().taskQueue),
    startToCloseTimeout: '1 hour',
    // Long CPU stages heartbeat between slices; a worker that dies is noticed within this, not the hour.
    heartbeatTimeout: '20 seconds',
    retry: {
      initialInterval: '2 seconds',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      maximumAttempts: 10,
      nonRetryableErrorTypes: [FailureType.InvalidInput],
    },
  });
