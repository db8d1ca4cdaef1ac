import type { Command } from 'commander';
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type ScheduleDescription, type ScheduleHandle, type ScheduleOptions } from '@temporalio/client';
import { connectStack, type Stack } from '../../lib/stack';
import { DAY_MS, dayStartMs } from '../../lib/dates';
import { checkDateRange, cronOption, dateOption, timezoneOption } from '../options';
import { printLine } from '../terminalText';

/** One nightly Schedule per task queue: `socialsense-nightly-retrain` for the default queue. */
export const nightlyScheduleId = (taskQueue: string) => `${taskQueue}-nightly-retrain`;

export interface ScheduleSettings {
  cron: string;
  timezone: string;
  catchupWindow: string;
  taskQueue: string;
}

/** The Schedule that starts nightlyRetrain: skip a night if the previous one still runs; catch up for a day. */
export function nightlyScheduleOptions(s: ScheduleSettings): ScheduleOptions {
  return {
    scheduleId: nightlyScheduleId(s.taskQueue),
    spec: { cronExpressions: [s.cron], timezone: s.timezone },
    action: { type: 'startWorkflow', workflowType: 'nightlyRetrain', args: [{}], taskQueue: s.taskQueue, workflowId: `${s.taskQueue}-nightly-retrain` },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: s.catchupWindow },
    memo: { stage: 'retrain' },
  };
}

/** Creates the Schedule, or updates it in place when it exists: applying twice changes nothing. */
export async function applyNightlySchedule(stack: Stack, s: ScheduleSettings): Promise<'created' | 'updated'> {
  const options = nightlyScheduleOptions(s);
  const handle = stack.client.schedule.getHandle(options.scheduleId);
  try {
    await handle.update((prev) => ({ ...prev, spec: options.spec, action: options.action, policies: { ...prev.policies, ...options.policies } }));
    return 'updated';
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    await stack.client.schedule.create(options);
    return 'created';
  }
}

/** A Schedule's description as people read it (also GET /v1/schedule). */
export function describeForPeople(d: ScheduleDescription) {
  return {
    scheduleId: d.scheduleId,
    paused: d.state.paused,
    note: d.state.note ?? null,
    calendars: d.spec.calendars ?? [],
    timezone: d.spec.timezone ?? 'UTC',
    overlap: d.policies.overlap,
    catchupWindowMs: d.policies.catchupWindow,
    workflowType: d.action.type === 'startWorkflow' ? d.action.workflowType : null,
    nextRuns: d.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString()),
    recentRuns: d.info.recentActions.slice(-5).map((a) => ({ scheduledAt: a.scheduledAt.toISOString(), workflowId: a.action.workflow.workflowId })),
    runningWorkflows: d.info.runningActions.map((a) => a.workflow.workflowId),
  };
}

/**
 * Triggers the Schedule's action now with its own overlap policy (the SDK's trigger() defaults to ALLOW_ALL, which
 * started a second retrain of the same window beside a running one), and says which workflow that started.
 * @returns `started: false` with the running workflow when one of the Schedule's runs is still going
 */
export async function triggerOnce(handle: ScheduleHandle): Promise<{ started: boolean; workflowId: string | null }> {
  const before = await handle.describe();
  const running = before.info.runningActions[0];
  if (running) return { started: false, workflowId: running.workflow.workflowId };
  const seen = new Set(before.info.recentActions.map((a) => a.action.workflow.workflowId));
  await handle.trigger(ScheduleOverlapPolicy.SKIP);
  // the Schedule starts the workflow asynchronously: its id shows in the description within moments
  for (let i = 0; i < 20; i++) {
    const now = await handle.describe();
    const started = [...now.info.runningActions.map((a) => a.workflow.workflowId), ...now.info.recentActions.map((a) => a.action.workflow.workflowId)].find(
      (id) => !seen.has(id),
    );
    if (started) return { started: true, workflowId: started };
    await new Promise((r) => setTimeout(r, 250));
  }
  return { started: true, workflowId: null };
}

/** What to say when the nightly Schedule does not exist (the CLI and GET /v1/schedule). */
export const noScheduleMessage = (scheduleId: string) => `there is no Schedule ${scheduleId} yet; create it with \`socialsense schedule apply\``;

export function registerSchedule(program: Command): void {
  const schedule = program.command('schedule').description('the nightly retraining Schedule (Temporal Schedules)');
  const withStack =
    (fn: (stack: Stack, ...args: any[]) => Promise<void>) =>
    async (...args: any[]) => {
      const stack = await connectStack();
      try {
        await fn(stack, ...args);
      } catch (err) {
        // Temporal's own text names its internal workflow (temporal-sys-scheduler:…), not what to do.
        if (err instanceof ScheduleNotFoundError) throw new Error(noScheduleMessage(nightlyScheduleId(stack.taskQueue)));
        throw err;
      } finally {
        await stack.close();
      }
    };
  const handleOf = (stack: Stack) => stack.client.schedule.getHandle(nightlyScheduleId(stack.taskQueue));

  schedule
    .command('apply')
    .description('create or update the Schedule (idempotent)')
    .option('--cron <expr>', 'when to run: 5 cron fields (minute hour day-of-month month day-of-week) or @daily, @hourly, …', cronOption, '0 2 * * *')
    .option('--timezone <tz>', 'IANA time zone of the cron expression', timezoneOption, 'UTC')
    .option('--catchup-window <duration>', 'how late a missed run may still start after an outage', '1 day')
    .action(
      withStack(async (stack, opts) => {
        const outcome = await applyNightlySchedule(stack, {
          cron: opts.cron,
          timezone: opts.timezone,
          catchupWindow: opts.catchupWindow,
          taskQueue: stack.taskQueue,
        });
        printLine(`${outcome} ${nightlyScheduleId(stack.taskQueue)}: "${opts.cron}" ${opts.timezone}, overlap skip, catch-up window ${opts.catchupWindow}`);
      }),
    );
  schedule
    .command('describe')
    .option('--json', 'one JSON object')
    .action(
      withStack(async (stack, opts) => {
        const d = describeForPeople(await handleOf(stack).describe());
        if (opts.json) process.stdout.write(JSON.stringify(d) + '\n');
        else for (const [k, v] of Object.entries(d)) printLine(`${k.padEnd(18)} ${typeof v === 'object' ? JSON.stringify(v) : v}`);
      }),
    );
  schedule
    .command('pause')
    .option('--note <text>', 'why', 'paused from the CLI')
    .action(withStack(async (stack, opts) => void (await handleOf(stack).pause(opts.note))));
  schedule
    .command('resume')
    .option('--note <text>', 'why', 'resumed from the CLI')
    .action(withStack(async (stack, opts) => void (await handleOf(stack).unpause(opts.note))));
  schedule
    .command('trigger')
    .description("start a run now, unless one of the Schedule's runs is still going (its overlap policy: skip)")
    .option('--json', 'one JSON object: {workflowId, started}')
    .action(
      withStack(async (stack, opts) => {
        const outcome = await triggerOnce(handleOf(stack));
        if (opts.json) process.stdout.write(JSON.stringify(outcome) + '\n');
        else if (!outcome.started)
          printLine(`not started: ${outcome.workflowId} of this Schedule is still running (overlap policy skip); follow it with \`socialsense runs\``);
        else if (outcome.workflowId)
          printLine(
            `started ${outcome.workflowId}; follow it with \`socialsense runs\` or in the Temporal UI: ${stack.uiUrl}/namespaces/${stack.namespace}/workflows/${outcome.workflowId}`,
          );
        else printLine('triggered; the run is listed by `socialsense runs` once a worker takes it');
      }),
    );
  schedule.command('delete').action(withStack(async (stack) => void (await handleOf(stack).delete())));
  schedule
    .command('backfill')
    .description("start the runs the Schedule would have started in a past range (Temporal's schedule backfill)")
    .requiredOption('--from <YYYY-MM-DD>', 'start of the range', dateOption)
    .requiredOption('--to <YYYY-MM-DD>', 'end of the range (inclusive day)', dateOption)
    // before connecting: a reversed range is the user's typo, not the stack's problem
    .hook('preAction', (cmd) => checkDateRange(cmd, { fromFlag: '--from', from: cmd.opts().from, toFlag: '--to', to: cmd.opts().to, maxDays: 3660 }))
    .action(
      withStack(async (stack, opts) => {
        await handleOf(stack).backfill({
          start: new Date(`${opts.from}T00:00:00Z`),
          end: new Date(dayStartMs(opts.to) + DAY_MS - 1),
          overlap: ScheduleOverlapPolicy.ALLOW_ALL,
        });
        printLine(`backfill requested for ${opts.from} … ${opts.to}`);
      }),
    );
}
