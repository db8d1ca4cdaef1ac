import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { installRuntime } from '../../lib/runtime';
import { connectStack } from '../../lib/stack';
import { backfill, progressQuery, type BackfillInput, type BackfillProgress } from '../../workflows/backfill';
import { startOrAttach } from '../follow';
import { withLocalWorkers } from '../pipelineRun';
import { dateOption, intOption } from '../options';

export const backfillWorkflowId = (source: string, from: string, to: string) => `backfill-${source}-${from}-${to}`;

export function registerBackfill(program: Command): void {
  program
    .command('backfill')
    .description('run one pipeline per day over a date range (days already done are skipped)')
    .requiredOption('--from <YYYY-MM-DD>', 'first day', dateOption)
    .requiredOption('--to <YYYY-MM-DD>', 'last day', dateOption)
    .option('--source <name>', 'source of every day', 'simulated')
    .option('--concurrency <n>', 'days running at once', intOption, 4)
    .option('--posts <n>', 'simulated posts per day', intOption)
    .option('--follow', 'wait for the end, with a live progress bar')
    .option('--json', 'with --follow: print the result as one JSON object')
    .option('--no-worker', 'do not run a worker in this process (a worker fleet is polling the queues)')
    .action(async (opts) => {
      installRuntime();
      const stack = await connectStack();
      const workflowId = backfillWorkflowId(opts.source, opts.from, opts.to);
      const input: BackfillInput = {
        from: opts.from,
        to: opts.to,
        source: opts.source,
        concurrency: opts.concurrency,
        pipeline: opts.posts ? { posts: opts.posts } : undefined,
      };
      try {
        const handle = await startOrAttach(stack.client, backfill, {
          workflowId,
          taskQueue: stack.taskQueue,
          args: [input],
          memo: { from: opts.from, to: opts.to },
        }, { stage: 'backfill', source: opts.source });
        if (!opts.follow) {
          console.log(`started ${workflowId}; follow it with --follow or in the Temporal UI: ${stack.uiUrl}/namespaces/${stack.namespace}/workflows/${workflowId}`);
          return;
        }
        const follow = async (): Promise<BackfillProgress> => {
          const bar = opts.json || !process.stderr.isTTY ? null : new cliProgress.SingleBar(
            { format: 'backfill |{bar}| {value}/{total} days · running {running} · failed {failed} · skipped {skipped} · {posts} posts', stream: process.stderr },
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
        const result = opts.worker ? await withLocalWorkers(stack, follow) : await follow();
        if (opts.json) process.stdout.write(JSON.stringify({ workflowId, ...result }) + '\n');
        else {
          console.log(`${workflowId}: ${result.daysDone} done, ${result.daysSkipped} skipped (already done), ${result.daysFailed} failed, ${result.posts} posts`);
          for (const f of result.failed) console.log(`  failed ${f.date}: ${f.error}`);
        }
        if (result.daysFailed > 0) process.exitCode = 1;
      } finally {
        await stack.close();
      }
    });
}
