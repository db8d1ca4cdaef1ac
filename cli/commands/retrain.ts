import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { installRuntime } from '../../lib/runtime';
import { connectStack } from '../../lib/stack';
import { MIN_RETRAIN_DAYS, nightlyRetrain, type RetrainInput } from '../../workflows/retrain';
import { startOrAttach } from '../follow';
import { exitPartially, followRun } from '../pipelineRun';
import { yesterday } from '../../lib/dates';
import { dataDayOption, postsOption, sourceOption, wholeNumberOption } from '../options';

const retrainDaysOption = wholeNumberOption(MIN_RETRAIN_DAYS, 366, 'days in the training window');
import { printLine } from '../terminalText';
import { windowCollectionForCommand } from './backfill';
import { canonicalJson, fnv1a64 } from '../../workflows/runIdentity';
import { useLexiconOption } from '../../lib/domainLexicon';

/**
 * A retrain's workflow id: source and last day of the window, so one retrain per day and source runs (CLI and API);
 * a platform's query and instance (windowCollectionOf) add a digest, so another query is another retrain.
 */
export const retrainWorkflowId = (source: string, date: string, collection: { query?: string; instance?: string } = {}) =>
  `retrain-${source}-${date}${Object.keys(collection).length > 0 ? `-${fnv1a64(canonicalJson(collection)).slice(0, 8)}` : ''}`;

export function registerRetrain(program: Command): void {
  program
    .command('retrain')
    .description('what the nightly Schedule runs, now: train on the last N days, evaluate, promote if better, rescore')
    .option('--date <YYYY-MM-DD>', 'last day of the window (default: yesterday)', dataDayOption)
    .option('--days <n>', `days in the window (at least ${MIN_RETRAIN_DAYS})`, retrainDaysOption, 7)
    .option(
      '--source <name>',
      "source whose posts train the models: simulated or a platform (days not collected yet are collected), or file (the files imported for the window's days)",
      sourceOption,
      'simulated',
    )
    .option('--posts <n>', 'simulated posts per day for days not collected yet', postsOption)
    .option('--query <q>', 'for a platform source: the query of the days not collected yet (search terms, hashtag, page or subreddit)')
    .option(
      '--sentiment-train <file>',
      'labelled TSV for the sentiment classifier: columns text and label (negative, neutral or positive, in any case), at least 10 labelled rows',
    )
    .option(
      '--lexicon <file>',
      'domain lexicon: extra words with valences ("word<TAB>valence", -4..4) for the sentiment lexicon (sets SOCIALSENSE_LEXICON for this process\'s worker)',
    )
    .option('--json', 'print the summary as one JSON object')
    .option('--no-worker', 'do not run a worker in this process')
    .action(async (opts, cmd: Command) => {
      if (opts.lexicon) useLexiconOption(opts.lexicon);
      // Resolved here, as `run --file` is: the worker (another process, maybe another directory) reads it.
      const sentimentTrain: string | null = opts.sentimentTrain ? path.resolve(opts.sentimentTrain) : null;
      if (sentimentTrain && !fs.statSync(sentimentTrain, { throwIfNoEntry: false })?.isFile())
        cmd.error(`error: --sentiment-train ${opts.sentimentTrain}: no such file (${sentimentTrain})`, { exitCode: 1, code: 'socialsense.noSuchFile' });
      const collection = windowCollectionForCommand(cmd, opts.source, opts.query);
      installRuntime();
      const stack = await connectStack();
      const date = opts.date ?? yesterday();
      const input: RetrainInput = {
        date,
        days: opts.days,
        source: opts.source,
        posts: opts.posts,
        sentimentTrainFile: sentimentTrain,
        ...collection,
      };
      const workflowId = retrainWorkflowId(opts.source, date, collection);
      try {
        const go = async () =>
          (
            await startOrAttach(
              stack.client,
              nightlyRetrain,
              { workflowId, taskQueue: stack.taskQueue, args: [input] },
              { stage: 'retrain', source: opts.source, date },
              { db: stack.db, kind: 'retrain', input },
            )
          ).result();
        const summary = await followRun(stack, opts.worker, go, [workflowId]);
        // A model that failed to train leaves the old one serving: the retrain did not do all it was asked, and a
        // script or cron job must be able to tell (as `backfill` does for failed days).
        if (summary.failures.length > 0) exitPartially(`${summary.failures.map((f) => f.model).join(', ')} did not retrain; what served before still serves`);
        if (opts.json) return void process.stdout.write(JSON.stringify(summary) + '\n');
        printLine(`${workflowId}: window ${summary.window.from} … ${summary.window.to}, ${summary.rescored} posts rescored`);
        if (summary.window.daysFailed)
          printLine(
            `warning: ${summary.window.daysFailed} day(s) of the window could not be collected and were left out of training (${summary.window.firstFailure ?? 'see socialsense runs'})`,
            process.stderr,
          );
        for (const m of summary.models) {
          printLine(`  ${m.name.padEnd(12)} v${m.version} ${m.promoted ? 'PROMOTED' : 'kept old '}  ${m.reason}`);
          const c = m.challenger;
          if (c) printLine(`  ${`${c.name} (neural)`.padEnd(12)} v${c.version} ${c.promoted ? 'PROMOTED' : 'kept old '}  ${c.reason}`);
        }
        for (const f of summary.failures) printLine(`  ${f.model.padEnd(12)} FAILED  ${f.error}`);
        printLine(
          `  insights: ${summary.insights.users} users, ${summary.insights.terms} hashtags, trending: ${summary.insights.trendingTerms.slice(0, 5).join(', ') || 'none'}`,
        );
      } finally {
        await stack.close();
      }
    });
}
