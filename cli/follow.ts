import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowStartOptions } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType, TypedSearchAttributes } from '@temporalio/common';
// CommonJS (protobufjs): the namespace is the default export's property, not a named ESM export.
import proto from '@temporalio/proto';
import type { Workflow } from '@temporalio/workflow';
import { recordRunQueued } from '../lib/catalog';
import type { Db } from '../lib/db';
import { logger } from '../lib/logger';
import { causeChain, chainMessage } from '../lib/failures';

/** Registered by scripts/services.sh and the embedded stack; they make runs easy to find in the Temporal UI. */
const keys = {
  stage: defineSearchAttributeKey('SocialSenseStage', SearchAttributeType.KEYWORD),
  source: defineSearchAttributeKey('SocialSenseSource', SearchAttributeType.KEYWORD),
  date: defineSearchAttributeKey('SocialSenseDate', SearchAttributeType.KEYWORD),
};

export interface RunLabels {
  stage: string;
  source?: string;
  date?: string;
}

/**
 * The catalog entry of a workflow that records itself as a run under its workflow id (the pipeline, a retrain; not a
 * stream, whose windows are the runs): startOrAttach writes it as `queued` when it starts one (lib/catalog recordRunQueued).
 */
export interface QueuedRun {
  db: Db;
  kind: string;
  input: unknown;
}

/**
 * Starts a workflow under a business-key id, or attaches to the run already going under that id:
 * starting the same thing twice is not an error, it is the same run. The labels go into the memo
 * and, where the server knows them, into search attributes. With `run`, a workflow it starts is
 * recorded in `runs` as `queued` at once, so the id it returns can be looked up before a worker takes it.
 */
export async function startOrAttach<W extends Workflow>(client: Client, workflow: W, opts: WorkflowStartOptions<W>, labels?: RunLabels, run?: QueuedRun) {
  const memo = { ...opts.memo, ...labels };
  const typedSearchAttributes = labels
    ? new TypedSearchAttributes(
        Object.entries(labels)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => ({ key: keys[k as keyof RunLabels], value: String(v) })),
      )
    : undefined;
  const start = (withAttributes: boolean) =>
    client.workflow.start(workflow, { ...opts, memo, ...(withAttributes && typedSearchAttributes ? { typedSearchAttributes } : {}) });
  const queued = async (handle: Awaited<ReturnType<typeof start>>) => {
    // The run goes ahead without the row (the worker writes it when it starts): a catalog hiccup only delays its listing.
    if (run)
      await recordRunQueued(run.db, {
        runKey: opts.workflowId,
        workflowId: opts.workflowId,
        runId: handle.firstExecutionRunId,
        kind: run.kind,
        input: run.input,
      }).catch((err: unknown) => logger.warn({ err: (err as Error).message, workflowId: opts.workflowId }, 'could not record the run as queued'));
    return handle;
  };
  try {
    try {
      return await queued(await start(true));
    } catch (err) {
      // A server where nobody registered our search attributes still runs the workflow, just less findable.
      if (!unregisteredSearchAttributes(err)) throw err;
      logger.warn(
        { err: chainMessage(err) },
        'search attributes not registered on this server; run scripts/services.sh up or register SocialSenseStage/Source/Date',
      );
      return await queued(await start(false));
    }
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return client.workflow.getHandle<W>(opts.workflowId);
    throw err;
  }
}

/**
 * Whether starting a workflow failed because the server has no mapping for a search attribute it was given. The
 * client's error says only "Failed to start Workflow"; the server's words ("Namespace nb has no mapping defined for
 * search attribute SocialSenseSource") are in its cause.
 */
export function unregisteredSearchAttributes(err: unknown): boolean {
  return causeChain(err).some((e) => /search attribute/i.test(String((e as { message?: unknown } | null)?.message ?? '')));
}

/** How long a started run may wait before the CLI looks for a worker on its task queue. */
export const NO_WORKER_CHECK_MS = 5_000;

/**
 * After `delayMs`, asks Temporal which workers polled `taskQueue` for workflow tasks (DescribeTaskQueue; the server
 * keeps pollers of the last 5 minutes) and calls `warn` when there are none: a run started with `--no-worker` and no
 * worker anywhere otherwise waits in Temporal without a word. A check that fails says nothing: it is a courtesy.
 * @returns cancels the check (call it when the run settles first)
 */
export function warnWhenNoWorker(client: Client, taskQueue: string, warn: (message: string) => void, delayMs = NO_WORKER_CHECK_MS): () => void {
  const timer = setTimeout(() => {
    client.workflowService
      .describeTaskQueue({
        namespace: client.options.namespace,
        taskQueue: { name: taskQueue },
        taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      })
      .then((d) => {
        if ((d.pollers ?? []).length === 0)
          warn(
            `no worker is polling task queue "${taskQueue}": the run waits in Temporal until one does; start one with \`socialsense worker\` (or run without --no-worker)`,
          );
      })
      .catch(() => undefined);
  }, delayMs);
  timer.unref();
  return () => clearTimeout(timer);
}

/** How often a followed run's workflows are looked at for activities that are retrying. */
export const RETRY_CHECK_MS = 5_000;

/**
 * Every `intervalMs`, describes the workflows `ids` (a run and its children; one not started yet or gone is skipped)
 * and calls `warn` once per attempt of each pending activity that has failed before: a run retrying a transient fault
 * (a platform out of reach, a service restarting) otherwise shows nothing for minutes while it waits between attempts.
 * @returns stops the checks
 */
export function reportRetries(client: Client, ids: readonly string[], warn: (message: string) => void, intervalMs = RETRY_CHECK_MS): () => void {
  const told = new Set<string>();
  let busy = false;
  const check = async () => {
    if (busy) return;
    busy = true;
    try {
      for (const id of ids) {
        const d = await client.workflow
          .getHandle(id)
          .describe()
          .catch(() => null);
        for (const a of d?.raw.pendingActivities ?? []) {
          const failure = a.lastFailure?.message;
          if (!failure || !a.attempt || a.attempt < 2) continue;
          const key = `${id}/${a.activityId}/${a.attempt}`;
          if (told.has(key)) continue;
          told.add(key);
          const of = a.maximumAttempts ? ` of ${a.maximumAttempts}` : '';
          warn(`retrying ${a.activityType?.name ?? 'an activity'} (attempt ${a.attempt}${of}): ${failure}`);
        }
      }
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void check(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
