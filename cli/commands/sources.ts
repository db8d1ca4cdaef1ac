import type { Command } from 'commander';
import { describeSources, instanceInput } from '../../activities/collect/platformActivities';
import { installRuntime } from '../../lib/runtime';
import { connectStack } from '../../lib/stack';
import { collect, type CollectInput } from '../../workflows/collect';
import { startOrAttach } from '../follow';
import { followRun } from '../pipelineRun';
import { addDays, isoDay } from '../../lib/dates';
import { dataDayOption, postsOption } from '../options';
import { printLine } from '../terminalText';

/** A collection's workflow id: its source, query and window, so collecting the same thing twice is one run (CLI and API). */
/** A collection's workflow id: the same (source, query, window, instance: `instanceInput`) is the same collection. */
export const collectWorkflowId = (source: string, query: string | undefined, since: string, until: string, instance?: string) =>
  `collect-${source}${instance ? `@${encodeURIComponent(instance)}` : ''}-${encodeURIComponent(query ?? 'all')}-${since}-${until}`;

export function registerSources(program: Command): void {
  program
    .command('sources')
    .description('every source, whether it is configured (credentials in the environment) and reachable')
    .option('--no-probe', 'do not contact the platforms')
    .option('--json', 'one JSON object')
    .action(async (opts: { probe: boolean; json?: boolean }) => {
      const sources = await describeSources(process.env, { probe: opts.probe });
      if (opts.json) {
        process.stdout.write(JSON.stringify({ sources }) + '\n');
        return;
      }
      const reach = (r: boolean | null) => (r === null ? '-' : r ? 'yes' : 'NO');
      printLine(`${'source'.padEnd(10)} ${'configured'.padEnd(10)} ${'reachable'.padEnd(9)} detail`);
      for (const s of sources) {
        const detail = s.missing.length ? `set ${s.missing.join(', ')}` : s.detail;
        printLine(`${s.name.padEnd(10)} ${(s.configured ? 'yes' : 'no').padEnd(10)} ${reach(s.reachable).padEnd(9)} ${detail}`);
      }
    });

  program
    .command('collect')
    .description('collect posts from one source into the raw and posts zones, and follow it to the end')
    .requiredOption('--source <name>', 'a platform (x, facebook, instagram, mastodon, bluesky, reddit), simulated or file')
    .option('--query <q>', 'search query, hashtag, page or subreddit (platforms)')
    .option('--since <YYYY-MM-DD>', 'first day (inclusive)', dataDayOption)
    .option('--until <YYYY-MM-DD>', 'end of the window (exclusive; default: today)', dataDayOption)
    .option('--max-posts <n>', 'stop after this many posts', postsOption)
    .option('--json', 'print the result as one JSON object')
    .option('--no-worker', 'do not run a worker in this process')
    .action(async (opts, cmd: Command) => {
      installRuntime();
      const until = opts.until ?? isoDay(Date.now());
      const since = opts.since ?? addDays(until, -1);
      if (since >= until)
        cmd.error(`error: --since ${since} must be before --until ${until} (--until is exclusive)`, { exitCode: 1, code: 'socialsense.invalidRange' });
      const input: CollectInput = {
        source: opts.source,
        query: opts.query,
        since,
        until,
        date: since,
        posts: opts.maxPosts,
        ...instanceInput(opts.source, process.env),
      };
      const workflowId = collectWorkflowId(opts.source, opts.query, since, until, input.instance);
      const stack = await connectStack();
      try {
        const go = async () => {
          const handle = await startOrAttach(
            stack.client,
            collect,
            { workflowId, taskQueue: stack.taskQueue, args: [{ ...input, runKey: workflowId }] },
            { stage: 'collect', source: opts.source, date: since },
          );
          return handle.result();
        };
        const result = await followRun(stack, opts.worker, go, [workflowId]);
        if (opts.json) process.stdout.write(JSON.stringify({ workflowId, ...result }) + '\n');
        else {
          printLine(`${workflowId}: ${result.counts.in} posts in ${result.partitions.length} day partition(s), ${result.counts.quarantined} quarantined`);
          for (const p of result.partitions) printLine(`  ${p.date}  ${p.posts.records} posts  ${p.posts.uri}`);
        }
      } finally {
        await stack.close();
      }
    });
}
