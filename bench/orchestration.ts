/**
 * How much of a run's wall time Temporal orchestration takes, read from workflow histories.
 *
 * Definition (bench/README.md explains it with an example): the critical path is built backwards from
 * the end of the run: take the activity that completed last, then repeatedly the activity that
 * completed last before the current one started, until none is left. Each step lands on the activity
 * whose completion made room for the next (its predecessor in the chain, or the one that freed its
 * slot). orchestrationShare = 1 − Σ(completed − started over the path) / wall, so it counts every
 * moment on the path when no activity ran: workflow and child-workflow starts, workflow tasks,
 * task-queue dispatch, and the gap after the last activity until the workflow completed.
 */
import type { History } from '@temporalio/common/lib/proto-utils';

export interface ActivitySpan {
  workflowId: string;
  activityType: string;
  scheduledMs: number;
  startedMs: number;
  completedMs: number;
  attempt: number;
  /** the worker that ran it (`pid@host` for TypeScript workers) */
  identity?: string;
  /** why the previous attempt failed, when this is a retry */
  lastFailure?: string;
  /** the activity's result payload, decoded as JSON when possible */
  result?: unknown;
}

export interface WorkflowSpans {
  workflowId: string;
  startMs: number;
  endMs: number;
  activities: ActivitySpan[];
  /** ids of child workflows started by this workflow */
  children: string[];
}

type Timestamp = { seconds?: number | { toNumber(): number } | null; nanos?: number | null } | null | undefined;

export function timestampMs(ts: Timestamp): number {
  if (!ts) return NaN;
  const s = ts.seconds;
  const seconds = s === null || s === undefined ? 0 : typeof s === 'number' ? s : s.toNumber();
  return seconds * 1000 + (ts.nanos ?? 0) / 1e6;
}

const decodePayload = (p: { data?: Uint8Array | null } | null | undefined): unknown => {
  if (!p?.data) return undefined;
  try {
    return JSON.parse(Buffer.from(p.data).toString('utf8'));
  } catch {
    return undefined;
  }
};

/** Activity spans (completed ones) and child workflows of one workflow's history. */
export function spansFromHistory(workflowId: string, history: History): WorkflowSpans {
  const events = history.events ?? [];
  const scheduled = new Map<string, { type: string; ms: number }>();
  const started = new Map<string, { ms: number; attempt: number; identity?: string; lastFailure?: string }>();
  const activities: ActivitySpan[] = [];
  const children: string[] = [];
  let startMs = NaN;
  let endMs = NaN;
  for (const e of events) {
    const id = String(e.eventId);
    const ms = timestampMs(e.eventTime as Timestamp);
    if (e.workflowExecutionStartedEventAttributes) startMs = ms;
    if (e.workflowExecutionCompletedEventAttributes || e.workflowExecutionFailedEventAttributes) endMs = ms;
    if (e.activityTaskScheduledEventAttributes) scheduled.set(id, { type: e.activityTaskScheduledEventAttributes.activityType?.name ?? '?', ms });
    const st = e.activityTaskStartedEventAttributes;
    if (st) {
      started.set(String(st.scheduledEventId), {
        ms,
        attempt: st.attempt ?? 1,
        identity: st.identity ?? undefined,
        lastFailure: st.lastFailure?.message ?? undefined,
      });
    }
    const done = e.activityTaskCompletedEventAttributes;
    if (done) {
      const key = String(done.scheduledEventId);
      const s = scheduled.get(key);
      const start = started.get(key);
      if (s && start) {
        activities.push({
          workflowId,
          activityType: s.type,
          scheduledMs: s.ms,
          startedMs: start.ms,
          completedMs: ms,
          attempt: start.attempt,
          ...(start.identity ? { identity: start.identity } : {}),
          ...(start.lastFailure ? { lastFailure: start.lastFailure } : {}),
          result: decodePayload(done.result?.payloads?.[0]),
        });
      }
    }
    const child = e.startChildWorkflowExecutionInitiatedEventAttributes;
    if (child?.workflowId) children.push(child.workflowId);
  }
  return { workflowId, startMs, endMs, activities, children };
}

export interface OrchestrationAnalysis {
  wallMs: number;
  /** Σ(completed − started) over the critical path */
  activityMsOnPath: number;
  orchestrationMs: number;
  orchestrationShare: number;
  /** share of wall during which no activity of the run was executing at all (a lower bound of the share) */
  idleShare: number;
  /**
   * The part of orchestrationShare in gaps before retried activities: failed attempts (only an
   * activity's last attempt is in the history), the time until the failure was noticed, and backoff.
   */
  retryShare: number;
  path: Array<{ workflowId: string; activityType: string; ms: number; gapBeforeMs: number; attempt: number }>;
  /** total (not just critical-path) time per activity type, and how many ran */
  byType: Record<string, { count: number; totalMs: number; onPathMs: number; maxAttempt: number }>;
}

/** Critical-path orchestration share of a run spanning [startMs, endMs] (see the file comment). */
export function analyseOrchestration(activities: readonly ActivitySpan[], startMs: number, endMs: number): OrchestrationAnalysis {
  const wallMs = endMs - startMs;
  const byEnd = [...activities].sort((a, b) => b.completedMs - a.completedMs || a.startedMs - b.startedMs);
  const path: ActivitySpan[] = [];
  let t = endMs;
  let i = 0;
  while (true) {
    while (i < byEnd.length && byEnd[i].completedMs > t) i++;
    if (i >= byEnd.length) break;
    const a = byEnd[i];
    path.push(a);
    t = a.startedMs;
    i++;
  }
  path.reverse();
  const activityMsOnPath = path.reduce((s, a) => s + (a.completedMs - a.startedMs), 0);

  const byType: OrchestrationAnalysis['byType'] = {};
  for (const a of activities) {
    const b = (byType[a.activityType] ??= { count: 0, totalMs: 0, onPathMs: 0, maxAttempt: 1 });
    b.count++;
    b.totalMs += a.completedMs - a.startedMs;
    b.maxAttempt = Math.max(b.maxAttempt, a.attempt);
  }
  for (const a of path) byType[a.activityType].onPathMs += a.completedMs - a.startedMs;

  const gaps = path.map((a, k) => a.startedMs - (k === 0 ? startMs : path[k - 1].completedMs));
  const retryMs = path.reduce((sum, a, k) => sum + (a.attempt > 1 ? gaps[k] : 0), 0);
  return {
    wallMs,
    activityMsOnPath,
    orchestrationMs: wallMs - activityMsOnPath,
    orchestrationShare: wallMs > 0 ? 1 - activityMsOnPath / wallMs : 0,
    idleShare: wallMs > 0 ? idleMs(activities, startMs, endMs) / wallMs : 0,
    retryShare: wallMs > 0 ? retryMs / wallMs : 0,
    path: path.map((a, k) => ({
      workflowId: a.workflowId,
      activityType: a.activityType,
      ms: a.completedMs - a.startedMs,
      gapBeforeMs: gaps[k],
      attempt: a.attempt,
    })),
    byType,
  };
}

/** Time in [startMs, endMs] covered by no activity interval. */
function idleMs(activities: readonly ActivitySpan[], startMs: number, endMs: number): number {
  const spans = activities.map((a) => [Math.max(startMs, a.startedMs), Math.min(endMs, a.completedMs)] as const).filter(([s, e]) => e > s);
  spans.sort((a, b) => a[0] - b[0]);
  let covered = 0;
  let curS = -Infinity;
  let curE = -Infinity;
  for (const [s, e] of spans) {
    if (s > curE) {
      if (curE > curS) covered += curE - curS;
      curS = s;
      curE = e;
    } else curE = Math.max(curE, e);
  }
  if (curE > curS) covered += curE - curS;
  return endMs - startMs - covered;
}
