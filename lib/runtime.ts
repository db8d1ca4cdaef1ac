import { DefaultLogger, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';
import { logger } from './logger';

const pinoLevel = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/**
 * Routes the Temporal SDK's logs (which carry workflow, run and activity ids) into our JSON logger on
 * stderr, and optionally serves the runtime's Prometheus metrics. Must run before any worker exists.
 */
export function installRuntime(opts: { level?: LogLevel; metricsPort?: number } = {}): void {
  Runtime.install({
    logger: new DefaultLogger(opts.level ?? 'WARN', (entry: LogEntry) => {
      // The ML queue has activities only, by design; the SDK warns about that on every start.
      if (entry.message.startsWith('No workflows registered')) return;
      logger[pinoLevel[entry.level]]({ ...entry.meta }, entry.message);
    }),
    // SIGINT/SIGTERM make the runtime shut workers down gracefully: no new tasks, running ones finish.
    shutdownSignals: ['SIGINT', 'SIGTERM'],
    telemetryOptions: {
      // The SDK's native core prints its own warnings (e.g. a slow workflow task) to stdout unless they are
      // forwarded; forwarded, they reach the logger above, on stderr, so `--json` output stays one object.
      logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} },
      ...(opts.metricsPort ? { metrics: { prometheus: { bindAddress: `127.0.0.1:${opts.metricsPort}` } } } : {}),
    },
  });
}
