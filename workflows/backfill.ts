import {
  CancellationScope,
  ContinueAsNew,
  ParentClosePolicy,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  executeChild,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { IoActivities } from '../activities';
import { addDays, dayRange, ISO_DAY, yesterday } from '../lib/dates';
import { describeFailure, invalidInput } from '../lib/failures';
import { socialSensePipeline, type PipelineInput } from './pipeline';
import { runEndOf } from './runEnd';
import { pipelineRunKey } from './runIdentity';

export interface BackfillInput {
  /** first day, YYYY-MM-DD; default: 7 days before `to` */
  from?: string;
  /** last day, YYYY-MM-DD; default: yesterday */
  to?: string;
  source?: string;
  /** pipelines running at once */
  concurrency?: number;
  /** attempts per day before it is reported as failed */
  dayAttempts?: number;
  /** extra pipeline input applied to every day (e.g. posts, query) */
  pipeline?: Omit<PipelineInput, 'date' | 'days' | 'source'>;
  /** days a single run handles before it continues as new (keeps histories small) */
  daysPerRun?: number;
  /** carried across continue-as-new; not for people to set */
  carry?: BackfillProgress & { next: string };
}

export interface BackfillProgress {
  daysTotal: number;
  daysDone: number;
  daysSkipped: number;
  daysFailed: number;
  daysRunning: number;
  posts: number;
  failed: Array<{ date: string; error: string }>;
  paused: boolean;
  cancelled: boolean;
}

export type BackfillResult = BackfillProgress;

export const progressQuery = defineQuery<BackfillProgress>('progress');
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
/** Stops starting new days; the days running finish, then the backfill returns what it did. */
export const cancelSignal = defineSignal('cancel');

const catalog = proxyActivities<IoActivities>({ startToCloseTimeout: '1 minute', retry: { maximumAttempts: 20, maximumInterval: '30 seconds' } });

/** Workflow id of one day's pipeline before run ids carried their input's digest (histories recorded then replay with it). */
export const legacyDayWorkflowId = (source: string, date: string) => `pipeline-${source}-${date}`;

/**
 * Workflow id of one day's pipeline: the same id as `socialsense run` gives the same input (source,
 * day, posts, query…), so a day done by either is skipped by the other, and days run with different
 * options are different runs instead of being skipped as done.
 */
export const dayWorkflowId = (source: string, date: string, pipeline: BackfillInput['pipeline'] = {}) => pipelineRunKey({ ...pipeline, source, date, days: 1 });

/**
 * One pipeline per day from `from` to `to`, at most `concurrency` at a time, resumable and restartable.
 *
 * A backfill people start (not the window of a retrain, which is part of that retrain's row) is a row of `runs`, kind
 * `backfill`: `running` from its first execution, then `completed`, `cancelled` (the cancel signal: the days running
 * finish, the rest are not started) or `failed` (a day failed all its attempts, or the backfill itself failed), with
 * its progress as the summary. The row carries no run id: a backfill continues as new every `daysPerRun` days, and the
 * catalog follows the workflow id's latest execution (lib/catalog reconcileRuns).
 */
export async function backfill(input: BackfillInput = {}): Promise<BackfillResult> {
  // Histories recorded before backfills had rows replay without these activity calls.
  const recorded = !workflowInfo().parent && patched('backfill-in-runs');
  const runKey = workflowInfo().workflowId;
  const recordStart = async () => {
    if (recorded && !input.carry) await catalog.recordRunStart({ runKey, kind: 'backfill', input, followsContinueAsNew: true });
  };
  try {
    const progress = await backfillDays(input, recordStart);
    if (recorded) await catalog.recordRunEnd({ runKey, ...backfillEnd(progress), summary: progress });
    return progress;
  } catch (err) {
    // Continuing as new is not an end: the next execution goes on under the same row.
    if (recorded && !(err instanceof ContinueAsNew)) await CancellationScope.nonCancellable(() => catalog.recordRunEnd({ runKey, ...runEndOf(err) }));
    throw err;
  }
}

/** How a backfill that returned ended: cancelled by its signal, failed when a day failed all its attempts, else completed. */
export function backfillEnd(progress: BackfillProgress): { status: 'completed' | 'failed' | 'cancelled'; error?: string } {
  if (progress.daysFailed > 0) {
    const first = progress.failed[0];
    const failed = `${progress.daysFailed} of ${progress.daysTotal} days failed${first ? ` (${first.date}: ${first.error})` : ''}`;
    return { status: 'failed', error: progress.cancelled ? `cancelled; ${failed}` : failed };
  }
  if (progress.cancelled) {
    const started = progress.daysDone + progress.daysSkipped + progress.daysFailed;
    return { status: 'cancelled', error: `cancelled with ${progress.daysTotal - started} of ${progress.daysTotal} days not started` };
  }
  return { status: 'completed' };
}

/** The days of a backfill; `started` runs once its query and signals answer, before the range is checked. */
async function backfillDays(input: BackfillInput, started: () => Promise<void>): Promise<BackfillResult> {
  const to = input.to ?? yesterday();
  const from = input.from ?? addDays(to, -6);
  const valid = ISO_DAY.test(from) && ISO_DAY.test(to) && from <= to;
  const all = valid ? dayRange(from, to) : [];
  const progress: BackfillProgress = input.carry
    ? { ...input.carry, daysRunning: 0 }
    : { daysTotal: all.length, daysDone: 0, daysSkipped: 0, daysFailed: 0, daysRunning: 0, posts: 0, failed: [], paused: false, cancelled: false };

  // Before any activity: a progress query must be answered from the first moment the workflow runs.
  setHandler(progressQuery, () => progress);
  setHandler(pauseSignal, () => void (progress.paused = true));
  setHandler(resumeSignal, () => void (progress.paused = false));
  setHandler(cancelSignal, () => void (progress.cancelled = true));
  await started();

  for (const [name, value] of [
    ['from', from],
    ['to', to],
  ]) {
    if (!ISO_DAY.test(value)) throw invalidInput(`${name} must be YYYY-MM-DD, got "${value}"`);
  }
  if (from > to) throw invalidInput(`from (${from}) is after to (${to})`);
  const source = input.source ?? 'simulated';
  const concurrency = Math.max(1, input.concurrency ?? 4);
  const dayAttempts = Math.max(1, input.dayAttempts ?? 2);
  const daysPerRun = Math.max(concurrency, input.daysPerRun ?? 60);
  const pending = all.filter((d) => d >= (input.carry?.next ?? from));

  // Added after the first release: backfills recorded before it replay with the old day ids.
  const idOf = patched('run-ids-with-input-digest') ? (d: string) => dayWorkflowId(source, d, input.pipeline) : (d: string) => legacyDayWorkflowId(source, d);

  // Days already completed by any earlier run (this backfill or another) are skipped, not redone.
  const thisRun = pending.slice(0, daysPerRun);
  const done = new Set(await catalog.completedRuns(thisRun.map(idOf)));

  const runDay = async (date: string): Promise<void> => {
    progress.daysRunning++;
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          const summary = await executeChild(socialSensePipeline, {
            workflowId: idOf(date),
            args: [{ ...input.pipeline, source, date, days: 1 }],
            memo: { stage: 'pipeline', source, date, backfill: workflowInfo().workflowId },
            // A day that is running when this run continues as new must not be killed with it.
            parentClosePolicy: ParentClosePolicy.ABANDON,
          });
          progress.daysDone++;
          progress.posts += summary.postsIn;
          return;
        } catch (err) {
          if (attempt >= dayAttempts) {
            progress.daysFailed++;
            progress.failed.push({ date, error: describeFailure(err) });
            return;
          }
        }
      }
    } finally {
      progress.daysRunning--;
    }
  };

  const running = new Set<Promise<void>>();
  for (const date of thisRun) {
    if (done.has(idOf(date))) {
      progress.daysSkipped++;
      continue;
    }
    await condition(() => (running.size < concurrency && !progress.paused) || progress.cancelled);
    if (progress.cancelled) break;
    const p: Promise<void> = runDay(date).finally(() => running.delete(p));
    running.add(p);
  }
  await Promise.all(running);

  const rest = pending.slice(thisRun.length);
  if (rest.length > 0 && !progress.cancelled) {
    await continueAsNew<typeof backfill>({ ...input, from, to, carry: { ...progress, next: rest[0] } });
  }
  return progress;
}
