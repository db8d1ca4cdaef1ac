import os from 'node:os';
import type { Command } from 'commander';
import { portOption, wholeNumberOption } from '../options';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run a worker for the configured stack until SIGINT/SIGTERM (graceful: running activities finish)')
    .option('--metrics-port <port>', 'serve Prometheus metrics from the Temporal runtime on 127.0.0.1:<port>/metrics', portOption)
    .option(
      '--threads <n>',
      `worker threads for the stages that parse or hold many posts (file import, preprocess, features, scoring, profiles); also the ML activity slots. 0 runs them on the main thread, one at a time (default: the cores available, ${os.availableParallelism()})`,
      wholeNumberOption(0, 256, 'threads'),
    )
    .action(async (opts: { metricsPort?: number; threads?: number }) => {
      const { run } = await import('../../workers/main');
      await run(opts);
    });
}
