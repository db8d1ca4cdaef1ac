import { Command, CommanderError } from 'commander';
import { ConfigError, loadDotEnv } from '../lib/config';
import { registerBackfill } from './commands/backfill';
import { registerDemo } from './commands/demo';
import { registerRun } from './commands/run';
import { registerSchedule } from './commands/schedule';
import { registerServices } from './commands/services';
import { registerWorker } from './commands/worker';

export function buildProgram(): Command {
  const program = new Command('socialsense')
    .description('Social media analytics on durable Temporal workflows: collect → preprocess → features → train → score')
    .showHelpAfterError();
  registerDemo(program);
  registerRun(program);
  registerBackfill(program);
  registerSchedule(program);
  registerServices(program);
  registerWorker(program);
  return program;
}

export async function main(argv = process.argv): Promise<void> {
  loadDotEnv();
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    // One clear line for the person at the terminal; the stack only when asked for.
    const message = err instanceof ConfigError ? err.message : `error: ${(err as Error).message ?? err}`;
    console.error(message);
    if (process.env.DEBUG) console.error(err);
    process.exitCode = process.exitCode || 2;
  }
}
