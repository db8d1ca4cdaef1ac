import { isCancellation } from '@temporalio/workflow';
import { describeFailure } from '../lib/failures';
import type { RunEndStatus } from '../lib/catalog';

/**
 * What the catalog records for a run whose workflow threw `err`: `cancelled` when the run was cancelled (the
 * Web UI's Cancel, `temporal workflow cancel`, a cancelled parent: the SDK's isCancellation, which also sees a
 * cancellation through the activity or child failure it reached the workflow as), else `failed`; with the root
 * cause in both cases (lib/failures describeFailure).
 */
export function runEndOf(err: unknown): { status: Exclude<RunEndStatus, 'completed'>; error: string } {
  return { status: isCancellation(err) ? 'cancelled' : 'failed', error: describeFailure(err) };
}
