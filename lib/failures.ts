/**
 * The failure vocabulary: every ApplicationFailure type SocialSense raises, the constructors for the
 * common ones, and the one walk down a failure's cause chain (workflow → child → activity → the error
 * code raised) that the run catalog, the workflows and the CLI all use to say what went wrong.
 *
 * Imported by workflow code, so it must stay pure and deterministic: no Node APIs, no clock, no I/O;
 * only `@temporalio/common`, which the workflow bundle already carries.
 */
import { ApplicationFailure } from '@temporalio/common';

/**
 * The `ApplicationFailure.type` strings. Retry policies (`nonRetryableErrorTypes`), tests and the run
 * catalog's `error` column (`InvalidInput: …`) match on them, so a value is never renamed.
 */
export const FailureType = {
  // the caller's input is wrong: never retried, the message says what to fix
  /** a parameter, date, mapping or file the caller gave cannot be used */
  InvalidInput: 'InvalidInput',
  /** the worker's configuration (environment, broker addresses, instance URLs) is wrong */
  ConfigError: 'ConfigError',
  /** a collect source name no connector answers to */
  UnknownSource: 'UnknownSource',
  /** a platform connector's credentials are not set in the worker's environment */
  MissingCredentials: 'MissingCredentials',
  /** the platform rejected the credentials (HTTP 401) */
  BadCredentials: 'BadCredentials',
  /** the credentials lack a permission (HTTP 403) */
  PermissionDenied: 'PermissionDenied',
  /** the platform rejected the query (HTTP 400/404/422) */
  InvalidQuery: 'InvalidQuery',
  /** a quota that waiting minutes will not restore (e.g. X's monthly post cap) */
  QuotaExhausted: 'QuotaExhausted',
  /** any other HTTP refusal (4xx) */
  HttpError: 'HttpError',
  /** a platform returned the same paging cursor twice */
  PagingStuck: 'PagingStuck',

  // the platform or network is failing for now: retried
  /** HTTP 429 or an exhausted quota window; carries `nextRetryDelay` */
  RateLimited: 'RateLimited',
  /** HTTP 5xx/408/425 or a transient platform error */
  PlatformUnavailable: 'PlatformUnavailable',
  /** no answer within the request timeout */
  PlatformTimeout: 'PlatformTimeout',
  /** the connection failed (DNS, refused, reset) */
  NetworkError: 'NetworkError',
  /** a 2xx reply whose body is not JSON (usually a proxy or gateway page) */
  MalformedResponse: 'MalformedResponse',
  /** a session the platform had just renewed was refused again */
  SessionExpired: 'SessionExpired',

  // our own invariants
  /** post counts of a run do not add up (posts in ≠ posts out + quarantined + dropped) */
  AccountingError: 'AccountingError',
  /** every model of a retrain failed */
  TrainingFailed: 'TrainingFailed',
} as const;

export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** Types a retry policy must never retry, whatever flag the failure carries: the input or the configuration is wrong. */
export const NON_RETRYABLE_TYPES: FailureType[] = [FailureType.InvalidInput, FailureType.ConfigError];

/** A non-retryable failure of `type`; the message must say what to fix. */
export function permanentFailure(type: FailureType, message: string, ...details: unknown[]): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, type, ...details);
}

/** The caller's input is wrong (a bad date, a missing path, an unknown mapping): not retried. */
export const invalidInput = (message: string): ApplicationFailure => permanentFailure(FailureType.InvalidInput, message);

/** The worker's configuration is wrong (environment, broker addresses, instance URLs): not retried. */
export const configError = (message: string): ApplicationFailure => permanentFailure(FailureType.ConfigError, message);

/** A run's post counts do not add up: a bug, not bad luck, so it is not retried. */
export const accountingError = (message: string): ApplicationFailure => permanentFailure(FailureType.AccountingError, message);

/**
 * A failure that is retried with the policy's backoff, or after `nextRetryDelay` (ms) when the platform
 * announced when to come back.
 */
export function transientFailure(type: FailureType, message: string, opts: { nextRetryDelay?: number; details?: unknown[] } = {}): ApplicationFailure {
  return ApplicationFailure.create({ message, type, nonRetryable: false, nextRetryDelay: opts.nextRetryDelay, details: opts.details });
}

// ---------------------------------------------------------------------------------------------
// The cause chain

interface ChainLink {
  cause?: unknown;
  message?: string;
  name?: string;
  type?: string | null;
  activityType?: string;
  timeoutType?: string;
}

/** Cause chains are a few links deep (workflow → child → activity → error → its cause); a longer one is a loop. */
const MAX_CHAIN = 32;

/**
 * `err` followed by its causes, outermost first: `err`, `err.cause`, `err.cause.cause`, … Stops at a
 * non-object, a repeated link (a cycle) or after 32 links. Reads `cause` by shape, so it also walks
 * failures that crossed a payload boundary or were built by tests. The one place that walks `.cause`.
 */
export function causeChain(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (
    let e = err;
    e !== null && e !== undefined && chain.length < MAX_CHAIN && !chain.includes(e);
    e = typeof e === 'object' ? (e as ChainLink).cause : undefined
  ) {
    chain.push(e);
  }
  return chain;
}

/** The message at the bottom of a failure chain (workflow → child → activity → application error). */
export function rootMessage(err: unknown): string {
  const last = causeChain(err).at(-1) as ChainLink | undefined;
  return last?.message ?? String(err);
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
 * Walks the cause chain through the wrappers (workflow → child workflow → activity) to the failure that
 * code raised: the first ApplicationFailure, timeout, cancellation or termination below them. That
 * failure's own causes (e.g. the S3 error behind a message naming S3_ACCESS_KEY) are detail, not the
 * root cause. Pure and deterministic: safe in workflow code.
 */
export function rootCause(err: unknown): RootCause {
  let activity: string | null = null;
  let e: ChainLink | undefined;
  for (const link of causeChain(err) as ChainLink[]) {
    e = link;
    if (!(typeof link === 'object' && WRAPPERS.has(link.name ?? '') && link.cause)) break;
    if (typeof link.activityType === 'string') activity = link.activityType;
  }
  const name = (typeof e === 'object' ? e?.name : undefined) ?? 'Error';
  const type =
    name === 'TimeoutFailure'
      ? `Timeout${e?.timeoutType ? ` (${e.timeoutType})` : ''}`
      : name === 'CancelledFailure'
        ? 'Cancelled'
        : name === 'TerminatedFailure'
          ? 'Terminated'
          : ((typeof e === 'object' ? e?.type : undefined) ?? (name === 'ApplicationFailure' ? 'Error' : name));
  return { type, message: (typeof e === 'object' && e?.message) || String(err), activity };
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

/**
 * The whole chain in one line for a person at the terminal: the bottom message (the reason), then the
 * messages above it, outermost first, e.g. `file is empty: /x.csv (Workflow execution failed ← Activity
 * task failed)`. A single error is just its message. A message repeated by the link above it is shown once (the client
 * gives a terminated workflow's reason as both its WorkflowFailedError and its TerminatedFailure), and a termination
 * says so: `terminated: <reason>`.
 */
export function chainMessage(err: unknown): string {
  const chain = causeChain(err) as ChainLink[];
  const messages = chain.flatMap((e) => (typeof e === 'object' && e.message ? [e.message] : [])).filter((m, i, all) => i === 0 || m !== all[i - 1]);
  const root = chain.at(-1);
  if (typeof root === 'object' && root?.name === 'TerminatedFailure' && messages.length > 0) {
    const reason = messages.at(-1) === 'Workflow execution terminated' ? 'no reason given' : messages.at(-1);
    messages[messages.length - 1] = `terminated: ${reason}`;
  }
  return messages.length > 1 ? `${messages.at(-1)} (${messages.slice(0, -1).join(' ← ')})` : (messages[0] ?? String(err));
}
