import type { Command } from 'commander';
import { installRuntime } from '../../lib/runtime';
import { connectStack } from '../../lib/stack';
import { formatSummary, runPipeline, withLocalWorkers } from '../pipelineRun';
import { dateOption, intOption, mappingOption, yesterdayUtc } from '../options';
import type { PipelineInput } from '../../workflows/pipeline';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run the pipeline on the configured stack (TEMPORAL_ADDRESS, DATABASE_URL, S3_*) and follow it to the end')
    .option('--source <name>', 'simulated | file | a platform (see `socialsense sources`)', 'simulated')
    .option('--posts <n>', 'simulated posts per day', intOption)
    .option('--days <n>', 'days in the window ending at --date', intOption, 1)
    .option('--date <YYYY-MM-DD>', 'last day of the window (default: yesterday, UTC)', dateOption)
    .option('--query <q>', 'platform query / hashtag / page / subreddit')
    .option('--file <path>', 'for --source file: a CSV, TSV or JSONL file (optionally .gz)')
    .option('--map <field=column>', 'for --source file: map a post field to a column (repeatable)', mappingOption)
    .option('--platform <name>', 'for --source file: platform prefix of the post ids', 'file')
    .option('--languages <codes>', 'keep only these languages, e.g. en,es')
    .option('--no-worker', 'do not run a worker in this process (a worker fleet is polling the queues)')
    .option('--json', 'print the summary as one JSON object')
    .action(async (opts) => {
      installRuntime();
      const stack = await connectStack();
      try {
        const date = opts.date ?? yesterdayUtc();
        const input: PipelineInput = {
          source: opts.source,
          date,
          days: opts.days,
          posts: opts.posts,
          query: opts.query,
          languages: opts.languages ? String(opts.languages).split(',') : null,
          file: opts.file ? { path: opts.file, mapping: opts.map, platform: opts.platform } : undefined,
        };
        const go = () => runPipeline(stack, input);
        const { workflowId, summary } = opts.worker ? await withLocalWorkers(stack, go) : await go();
        if (opts.json) process.stdout.write(JSON.stringify({ workflowId, ...summary }) + '\n');
        else console.log(formatSummary(summary, { workflowId, uiUrl: stack.uiUrl }));
      } finally {
        await stack.close();
      }
    });
}
