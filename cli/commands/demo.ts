import type { Command } from 'commander';
import { hasExternalServices } from '../../lib/config';
import { installRuntime } from '../../lib/runtime';
import { connectStack, startEmbeddedStack } from '../../lib/stack';
import { formatSummary, runPipeline, withLocalWorkers } from '../pipelineRun';
import { dateOption, intOption } from '../options';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the whole pipeline on simulated data; with no services configured it starts everything it needs itself')
    .option('--posts <n>', 'simulated posts per day', intOption, 500)
    .option('--days <n>', 'days of simulated activity', intOption, 7)
    .option('--date <YYYY-MM-DD>', 'last simulated day', dateOption, '2026-11-24')
    .option('--seed <n>', 'random seed of the simulated network', intOption, 42)
    .option('--json', 'print the summary as one JSON object')
    .action(async (opts: { posts: number; days: number; date: string; seed: number; json?: boolean }) => {
      installRuntime();
      const embedded = !hasExternalServices();
      const stack = embedded ? await startEmbeddedStack() : await connectStack();
      try {
        const input = { source: 'simulated', posts: opts.posts, days: opts.days, date: opts.date, seed: opts.seed };
        const { workflowId, summary } = await withLocalWorkers(stack, () => runPipeline(stack, input));
        if (opts.json) process.stdout.write(JSON.stringify({ workflowId, embedded, temporalUi: stack.uiUrl, ...summary }) + '\n');
        else console.log(formatSummary(summary, { workflowId, uiUrl: stack.uiUrl }) + (embedded ? '\n  (embedded stack: it stops when this command exits)' : ''));
      } finally {
        await stack.close();
      }
    });
}
