/** The message at the bottom of a failure chain (workflow → child → activity → application error). */
export function rootMessage(err: unknown): string {
  let e = err as { cause?: unknown; message?: string };
  while (e?.cause) e = e.cause as typeof e;
  return e?.message ?? String(err);
}

/** The innermost cause of a failure chain, and what kind of failure it is. */
export interface RootCause {
  /** the ApplicationFailure type (`InvalidInput`, `AccountingError`, `Error` for a plain error), or `Timeout`, `Cancelled`, `Terminated` */
  type: string;
  message: string;
  /** the activity the cause was raised in, when it came from one */
  activity: string | null;
}

// Failures that only say where something failed, never what: the cause below them is the story.
const WRAPPERS = new Set(['ChildWorkflowFailure', 'ActivityFailure', 'WorkflowFailedError', 'NexusOperationFailure']);

/**
 * Walks `err.cause` through the wrappers (workflow → child workflow → activity) to the failure that
 * code raised: the first ApplicationFailure, timeout, cancellation or termination below them. That
 * failure's own causes (e.g. the S3 error behind a message naming S3_ACCESS_KEY) are detail, not the
 * root cause. Pure and deterministic: safe in workflow code. Reads the failure classes by shape, so it
 * also works on failures that crossed a payload boundary or were built by tests.
 */
export function rootCause(err: unknown): RootCause {
  let activity: string | null = null;
  let e = err as { cause?: unknown; message?: string; name?: string; type?: string | null; activityType?: string; timeoutType?: string } | undefined;
  for (let depth = 0; e && depth < 32 && WRAPPERS.has(e.name ?? '') && e.cause; depth++) {
    if (typeof e.activityType === 'string') activity = e.activityType;
    e = e.cause as typeof e;
  }
  const name = e?.name ?? 'Error';
  const type =
    name === 'TimeoutFailure'
      ? `Timeout${e?.timeoutType ? ` (${e.timeoutType})` : ''}`
      : name === 'CancelledFailure'
        ? 'Cancelled'
        : name === 'TerminatedFailure'
          ? 'Terminated'
          : (e?.type ?? (name === 'ApplicationFailure' ? 'Error' : name));
  return { type, message: e?.message || String(err), activity };
}

/**
 * What a run's `error` column and a failure list show: the root cause with its type and where it was
 * raised, e.g. `InvalidInput: file is empty: /x.csv (activity importFile)`. The generic type `Error`
 * is left out (it says nothing), as is the chain of wrappers (`Child Workflow execution failed`, …).
 */
export function describeFailure(err: unknown): string {
  const c = rootCause(err);
  const where = c.activity ? ` (activity ${c.activity})` : '';
  return `${c.type === 'Error' ? '' : `${c.type}: `}${c.message}${where}`;
}
