import { describe, expect, it } from 'vitest';
import { ActivityFailure, ApplicationFailure, CancelledFailure, ChildWorkflowFailure, RetryState, TerminatedFailure, TimeoutFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import {
  accountingError,
  causeChain,
  chainMessage,
  configError,
  describeFailure,
  FailureType,
  invalidInput,
  permanentFailure,
  rootCause,
  rootMessage,
  transientFailure,
} from '../../lib/failures';

// The chains Temporal builds: a workflow's catch sees child → activity → cause; the client sees WorkflowFailedError on top.
const activity = (name: string, cause: Error) => new ActivityFailure('Activity task failed', name, '1', RetryState.NON_RETRYABLE_FAILURE, 'worker@host', cause);
const child = (cause: Error) =>
  new ChildWorkflowFailure('default', { workflowId: 'run-1-collect', runId: 'r' }, 'collect', RetryState.NON_RETRYABLE_FAILURE, cause);

describe('the root cause of a failed run (what runs.error stores)', () => {
  it('walks through the child workflow and the activity to the application failure, with its type and activity', () => {
    const err = child(activity('importFile', ApplicationFailure.nonRetryable('file not found: /data/x.csv (the path is read by the worker)', 'InvalidInput')));
    expect(err.message).toBe('Child Workflow execution failed'); // what used to be stored
    expect(rootCause(err)).toEqual({ type: 'InvalidInput', message: 'file not found: /data/x.csv (the path is read by the worker)', activity: 'importFile' });
    expect(describeFailure(err)).toBe('InvalidInput: file not found: /data/x.csv (the path is read by the worker) (activity importFile)');
  });

  it('a failure raised by workflow code itself has no activity', () => {
    const err = child(ApplicationFailure.nonRetryable('date must be YYYY-MM-DD, got "24/11/2026"', 'InvalidInput'));
    expect(describeFailure(err)).toBe('InvalidInput: date must be YYYY-MM-DD, got "24/11/2026"');
    expect(describeFailure(ApplicationFailure.nonRetryable('post accounting does not add up', 'AccountingError'))).toBe(
      'AccountingError: post accounting does not add up',
    );
  });

  it('stops at the first failure below the wrappers: its own causes are detail', () => {
    // An activity error whose cause chain goes deeper (e.g. a rewritten S3 error that kept the original)
    const inner = ApplicationFailure.create({ message: 'Valid and authorized credentials required', type: 'S3Error' });
    const named = ApplicationFailure.create({
      message: 'S3 at http://127.0.0.1:9000 rejected the credentials: check S3_ACCESS_KEY and S3_SECRET_KEY',
      type: 'BadCredentials',
      cause: inner,
    });
    expect(describeFailure(child(activity('preprocess', named)))).toBe(
      'BadCredentials: S3 at http://127.0.0.1:9000 rejected the credentials: check S3_ACCESS_KEY and S3_SECRET_KEY (activity preprocess)',
    );
  });

  it('leaves out the generic type Error: a plain error thrown in an activity shows its message', () => {
    const err = activity('scorePosts', ApplicationFailure.create({ message: 'Connection terminated unexpectedly', type: 'Error' }));
    expect(describeFailure(err)).toBe('Connection terminated unexpectedly (activity scorePosts)');
    expect(describeFailure(new Error('plain'))).toBe('plain');
    expect(describeFailure(new TypeError('x is undefined'))).toBe('TypeError: x is undefined');
  });

  it('names timeouts, cancellations and terminations', () => {
    expect(describeFailure(activity('preprocess', new TimeoutFailure('activity Heartbeat timeout', undefined, 'HEARTBEAT')))).toBe(
      'Timeout (HEARTBEAT): activity Heartbeat timeout (activity preprocess)',
    );
    expect(describeFailure(child(new CancelledFailure('Workflow cancelled')))).toBe('Cancelled: Workflow cancelled');
    expect(describeFailure(new WorkflowFailedError('operator stop', new TerminatedFailure('operator stop'), RetryState.NON_RETRYABLE_FAILURE))).toBe(
      'Terminated: operator stop',
    );
  });

  it('reads a client-side WorkflowFailedError the same way as the workflow catch block does', () => {
    const err = new WorkflowFailedError(
      'Workflow execution failed',
      child(activity('importFile', ApplicationFailure.nonRetryable('file is empty: /x.csv: nothing to import', 'InvalidInput'))),
      RetryState.NON_RETRYABLE_FAILURE,
    );
    expect(describeFailure(err)).toBe('InvalidInput: file is empty: /x.csv: nothing to import (activity importFile)');
  });

  it('never returns an empty text', () => {
    expect(describeFailure(undefined)).toBe('undefined');
    expect(describeFailure('a string was thrown')).toBe('a string was thrown');
    expect(describeFailure(ApplicationFailure.create({ message: '', type: 'X' }))).toMatch(/^X: ./);
  });
});

describe('the cause chain (one walk for the catalog, the workflows and the CLI)', () => {
  it('lists the error and its causes outermost first, and stops on a cycle', () => {
    const inner = ApplicationFailure.nonRetryable('file is empty: /x.csv', 'InvalidInput');
    const mid = activity('importFile', inner);
    const outer = child(mid);
    expect(causeChain(outer)).toEqual([outer, mid, inner]);
    const a = new Error('a') as Error & { cause?: unknown };
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(causeChain(b)).toEqual([b, a]);
    expect(causeChain(undefined)).toEqual([]);
  });

  it('gives the terminal the reason first, then the wrappers above it, outermost first', () => {
    const err = new WorkflowFailedError(
      'Workflow execution failed',
      child(activity('importFile', ApplicationFailure.nonRetryable('file is empty: /x.csv', 'InvalidInput'))),
      RetryState.NON_RETRYABLE_FAILURE,
    );
    expect(chainMessage(err)).toBe('file is empty: /x.csv (Workflow execution failed ← Child Workflow execution failed ← Activity task failed)');
    expect(rootMessage(err)).toBe('file is empty: /x.csv');
    expect(chainMessage(new Error('plain'))).toBe('plain');
    // the client gives a terminated workflow's reason as the message of both links: shown once, and called a termination
    const terminated = (reason?: string) =>
      new WorkflowFailedError(
        reason ?? 'Workflow execution terminated',
        new TerminatedFailure(reason ?? 'Workflow execution terminated'),
        RetryState.NON_RETRYABLE_FAILURE,
      );
    expect(chainMessage(terminated('operator: wrong file'))).toBe('terminated: operator: wrong file');
    expect(chainMessage(terminated())).toBe('terminated: no reason given');
    expect(
      chainMessage(new WorkflowFailedError('Workflow execution failed', child(new TerminatedFailure('stuck import')), RetryState.NON_RETRYABLE_FAILURE)),
    ).toBe('terminated: stuck import (Workflow execution failed ← Child Workflow execution failed)');
    // a message repeated further up, not by the link just above, stays: the links between say where
    expect(chainMessage(new WorkflowFailedError('same', activity('x', new Error('same')), RetryState.NON_RETRYABLE_FAILURE))).toBe(
      'same (same ← Activity task failed)',
    );
    expect(chainMessage('thrown text')).toBe('thrown text');
  });
});

describe('the failure constructors', () => {
  it('give the type strings retry policies and the catalog match on, and the right retry flag', () => {
    for (const [f, type] of [
      [invalidInput('bad date'), 'InvalidInput'],
      [configError('no brokers'), 'ConfigError'],
      [accountingError('counts differ'), 'AccountingError'],
      [permanentFailure(FailureType.PagingStuck, 'same cursor twice'), 'PagingStuck'],
    ] as const) {
      expect(f).toBeInstanceOf(ApplicationFailure);
      expect(f.type).toBe(type);
      expect(f.nonRetryable).toBe(true);
    }
    const limited = transientFailure(FailureType.RateLimited, 'rate limit reached', { nextRetryDelay: 61_000, details: [{ platform: 'X' }] });
    expect(limited).toMatchObject({ type: 'RateLimited', nonRetryable: false, nextRetryDelay: 61_000, details: [{ platform: 'X' }] });
    expect(describeFailure(invalidInput('bad date'))).toBe('InvalidInput: bad date');
  });
});
