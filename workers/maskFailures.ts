import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { maskError } from '../lib/secrets';

/**
 * Every activity failure, from any activity, is masked (lib/secrets.ts `maskError`) before the worker
 * reports it: its message, stack, details and causes are what the server stores in the workflow
 * history and shows in the UI. The connectors mask their own messages already; this covers the rest
 * (a driver error quoting a connection string, a future activity that forgets).
 */
export const maskActivityFailures: ActivityInterceptorsFactory = () => ({
  inbound: {
    async execute(input, next) {
      try {
        return await next(input);
      } catch (err) {
        throw maskError(err);
      }
    },
  },
});
