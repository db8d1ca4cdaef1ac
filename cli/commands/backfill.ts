import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { installRuntime } from '../../lib/runtime';
import { connectStack } from '../../lib/stack';
import { backfill, progressQuery, type BackfillInput, type BackfillProgress } from '../../workflows/backfill';
import { canonicalJson, fnv1a64 } from '../../workflows/runIdentity';
import { startOrAttach } from '../follow';
import { exitPartially, followRun } from '../pipelineRun';
import { checkDateRange, collectableSourceOption, concurrencyOption, dataDayOption, postsOption } from '../options';
import { printLine } from '../terminalText';
import { instanceInput } from '../../activities/collect/platformActivities';
import { PLATFORM_SOURCES } from '../../workflows/collect';

/** Ten years of daily runs: more is a typo (a wrong century), not a backfill. */
export const MAX_BACKFILL_DAYS = 3660;

/**
 * A backfill's id: its range and source, and a digest of the options given to every day, so a
 * backfill with other options is another run (its days have other ids too) instead of attaching to this one.
 */
export const backfillWorkflowId = (source: string, from: string, to: string, pipeline: BackfillInput['pipeline'] = {}) =>
  `backfill-${source}-${from}-${to}-${fnv1a64(canonicalJson(pipeline ?? {})).slice(0, 8)}`;

/**
 * What every day of a window (a backfill's, a retrain's) needs to collect a source again, from what a person gives:
 * a platform needs its query (every day would fail without one), only a platform takes one, and a federated platform's
 * instance comes from `env`, where the window is started (activities/collect/platformActivities.ts instanceInput).
 * @returns the pipeline input to add to every day: `query` and `instance` when they apply
 * @throws Error saying what to give or leave out
 */
export function windowCollectionOf(source: string, query: string | undefined, env: NodeJS.ProcessEnv): { query?: string; instance?: string } {
  const platform = PLATFORM_SOURCES.includes(source);
  const q = query?.trim() || undefined;
  if (platform && !q) throw new Error(`source "${source}" needs a query for its days (search terms, hashtag, page or subreddit)`);
  if (!platform && q) throw new Error(`a query is for platform sources (${PLATFORM_SOURCES.join(', ')}), not "${source}"`);
  return platform ? { query: q, ...instanceInput(source, env) } : {};
}

/** windowCollectionOf for a command: a refusal is the command's error, in its options' names (`--source`, `--query`). */
export function windowCollectionForCommand(cmd: Command, source: string, query: string | undefined): { query?: string; instance?: string } {
  try {
    return windowCollectionOf(source, query, process.env);
  } catch (err) {
    return cmd.error(`error: ${(err as Error).message.replace(/^source/, '--source').replace(/^a query/, '--query')}`);
  }
}

/**
 * A backfill's input from what a person gives (the CLI's options, the API's body) and the collection every day needs
 * (windowCollectionOf, checked before anything starts).
 */
export function backfillInputOf(
  given: { from: string; to: string; source: string; concurrency?: number; posts?: number },
  collection: { query?: string; instance?: string },
): BackfillInput {
  const pipeline = { ...(given.posts ? { posts: given.posts } : {}), ...collection };
  return {
    from: given.from,
    to: given.to,
    source: given.source,
    concurrency: given.concurrency,
    pipeline: Object.keys(pipeline).length > 0 ? pipeline : undefined,
  };
}

export function registerBackfill(program: Command): void {
  program
    .command('backfill')
    .description('run one pipeline per day over a date range (days already done are skipped)')
    .requiredOption('--from <YYYY-MM-DD>', 'first day', dataDayOption)
    .requiredOption('--to <YYYY-MM-DD>', 'last day', dataDayOption)
    .option('--source <name>', 'source of every day (one that can be collected again: simulated or a platform)', collectableSourceOption, 'simulated')
    .option('--concurrency <n>', 'days running at once', concurrencyOption, 4)
    .option('--posts <n>', 'simulated posts per day; for a platform, the most posts to fetch a day', postsOption)
    .option('--query <q>', 'for a platform source: the query of every day (search terms, hashtag, page or subreddit)')
    .option('--follow', 'wait for the end, with a live progress bar')
    .option('--json', 'print one JSON object: the result with --follow, else {workflowId, started, followed}')
    .option('--no-worker', 'do not run a worker in this process (a worker fleet is polling the queues)')
    .action(async (opts, cmd: Command) => {
      checkDateRange(cmd, { fromFlag: '--from', from: opts.from, toFlag: '--to', to: opts.to, maxDays: MAX_BACKFILL_DAYS });
      const input = backfillInputOf(opts, windowCollectionForCommand(cmd, opts.source, opts.query));
      installRuntime();
      const stack = await connectStack();
      const workflowId = backfillWorkflowId(opts.source, opts.from, opts.to, input.pipeline);
      try {
        const handle = await startOrAttach(
          stack.client,
          backfill,
          {
            workflowId,
            taskQueue: stack.taskQueue,
            args: [input],
            memo: { from: opts.from, to: opts.to },
          },
          { stage: 'backfill', source: opts.source },
        );
        if (!opts.follow) {
          // --json promises one JSON object on stdout, followed or not
          if (opts.json) process.stdout.write(JSON.stringify({ workflowId, started: true, followed: false }) + '\n');
          else
            printLine(
              `started ${workflowId}; follow it with --follow or in the Temporal UI: ${stack.uiUrl}/namespaces/${stack.namespace}/workflows/${workflowId}`,
            );
          return;
        }
        const follow = async (): Promise<BackfillProgress> => {
          const bar =
            opts.json || !process.stderr.isTTY
              ? null
              : new cliProgress.SingleBar(
                  {
                    format: 'backfill |{bar}| {value}/{total} days · running {running} · failed {failed} · skipped {skipped} · {posts} posts',
                    stream: process.stderr,
                  },
                  cliProgress.Presets.shades_classic,
                );
          const timer = setInterval(async () => {
            const p = await handle.query(progressQuery).catch(() => null);
            if (!p || !bar) return;
            if (!bar.isActive) bar.start(p.daysTotal, 0);
            bar.update(p.daysDone + p.daysSkipped + p.daysFailed, { running: p.daysRunning, failed: p.daysFailed, skipped: p.daysSkipped, posts: p.posts });
          }, 500);
          try {
            return await handle.result();
          } finally {
            clearInterval(timer);
            bar?.stop();
          }
        };
        const result = await followRun(stack, opts.worker, follow);
        if (opts.json) process.stdout.write(JSON.stringify({ workflowId, ...result }) + '\n');
        else {
          printLine(`${workflowId}: ${result.daysDone} done, ${result.daysSkipped} skipped (already done), ${result.daysFailed} failed, ${result.posts} posts`);
          for (const f of result.failed) printLine(`  failed ${f.date}: ${f.error}`);
        }
        // Days that failed all their attempts: the others' data stands, but a script or cron job must be able to tell
        // (as `retrain` does for a model that failed), also under --json.
        if (result.daysFailed > 0)
          exitPartially(
            `${result.daysFailed} of ${result.daysTotal} days failed (${result.failed.map((f) => f.date).join(', ')}); run the backfill again to retry them, done days are skipped`,
          );
      } finally {
        await stack.close();
      }
    });
}
