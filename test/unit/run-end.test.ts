import { describe, expect, it } from 'vitest';
import { ActivityFailure, ApplicationFailure, CancelledFailure, ChildWorkflowFailure, RetryState, TimeoutFailure, TimeoutType } from '@temporalio/common';
import { runEndOf } from '../../workflows/runEnd';

// The failure shapes a workflow's catch block receives, built as the SDK builds them from history events.
const activity = (cause: Error) => new ActivityFailure('activity failed', 'preprocess', 'a1', RetryState.CANCEL_REQUESTED, 'socialsense', cause);
const child = (cause: Error) => new ChildWorkflowFailure('default', { workflowId: 'collect-1', runId: 'r1' }, 'collect', RetryState.CANCEL_REQUESTED, cause);

describe('runEndOf: how a run that threw is recorded', () => {
  it('a cancellation is `cancelled`, however it reached the workflow', () => {
    expect(runEndOf(new CancelledFailure('Workflow cancelled')).status).toBe('cancelled');
    expect(runEndOf(activity(new CancelledFailure('Activity cancelled'))).status).toBe('cancelled');
    expect(runEndOf(child(new CancelledFailure('Child Workflow cancelled'))).status).toBe('cancelled');
  });

  it('everything else is `failed`, with the root cause', () => {
    expect(runEndOf(ApplicationFailure.nonRetryable('file not found: /x.csv', 'InvalidInput'))).toEqual({
      status: 'failed',
      error: 'InvalidInput: file not found: /x.csv',
    });
    const timedOut = runEndOf(activity(new TimeoutFailure('activity heartbeat timeout', undefined, TimeoutType.HEARTBEAT)));
    expect(timedOut.status).toBe('failed');
    expect(timedOut.error).toMatch(/^Timeout/);
    expect(runEndOf(child(ApplicationFailure.create({ message: 'bad partition', type: 'InvalidInput' }))).status).toBe('failed');
    expect(runEndOf(new Error('boom')).status).toBe('failed');
  });

  it('a cancellation keeps its root cause too', () => {
    expect(runEndOf(activity(new CancelledFailure('Activity cancelled'))).error).toMatch(/Cancel/);
  });
});
