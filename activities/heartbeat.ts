import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Context } from '@temporalio/activity';

function activityContext(): Context | null {
  try {
    return Context.current();
  } catch {
    return null; // called outside an activity (unit tests, benchmarks)
  }
}

/**
 * Walks a large array in slices, heartbeating between them. CPU-bound stages would otherwise hold the
 * event loop for seconds: no heartbeat would leave, so a lost worker would go unnoticed until the
 * start-to-close timeout, and a cancellation could not be delivered.
 */
export async function forEachSlice<T>(items: readonly T[], size: number, fn: (slice: readonly T[], offset: number) => void | Promise<void>): Promise<void> {
  const ctx = activityContext();
  for (let offset = 0; offset < items.length; offset += size) {
    await fn(items.slice(offset, offset + size), offset);
    if (ctx) {
      ctx.heartbeat({ offset: Math.min(offset + size, items.length), total: items.length });
      await yieldToEventLoop();
      // Throws CancelledFailure once the workflow has cancelled this activity.
      if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
    }
  }
}

export function heartbeat(details?: unknown): void {
  activityContext()?.heartbeat(details);
}

/**
 * Heartbeats on a timer while `fn` waits on I/O (a lock, a long query), where no loop is there to
 * heartbeat from. A worker that dies still stops the timer, so a lost worker is still noticed.
 */
export async function withHeartbeat<T>(fn: () => Promise<T>, everyMs = 5000): Promise<T> {
  const ctx = activityContext();
  if (!ctx) return fn();
  const timer = setInterval(() => ctx.heartbeat(), everyMs);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}
