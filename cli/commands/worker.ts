import type { Command } from 'commander';
import { portOption } from '../options';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run a worker for the configured stack until SIGINT/SIGTERM (graceful: running activities finish)')
    .option('--metrics-port <port>', 'serve Prometheus metrics from the Temporal runtime on 127.0.0.1:<port>/metrics', portOption)
    .action(async (opts: { metricsPort?: number }) => {
      const { run } = await import('../../workers/main');
      await run(opts);
    });
}
