import { inspect } from 'node:util';
import { Command, CommanderError } from 'commander';
import { maskSecrets } from '../lib/secrets';
import { printLine } from './terminalText';
import { ConfigError, loadDotEnv } from '../lib/config';
import { registerBackfill } from './commands/backfill';
import { registerDemo } from './commands/demo';
import { registerEval } from './commands/eval';
import { registerInsights } from './commands/insights';
import { registerReport } from './commands/report';
import { registerModels } from './commands/models';
import { registerRetrain } from './commands/retrain';
import { registerRun } from './commands/run';
import { registerRuns } from './commands/runs';
import { registerSchedule } from './commands/schedule';
import { registerServices } from './commands/services';
import { registerSources } from './commands/sources';
import { registerWorker } from './commands/worker';
import { registerApi } from './commands/api';
import { registerStream } from './commands/stream';
import { registerProduce } from './commands/produce';
import { registerAlerts } from './commands/alerts';

export function buildProgram(): Command {
  const program = new Command('socialsense')
    .description('Social media analytics on durable Temporal workflows: collect → preprocess → features → train → score')
    .showHelpAfterError();
  registerDemo(program);
  registerRun(program);
  registerEval(program);
  registerRetrain(program);
  registerModels(program);
  registerBackfill(program);
  registerSchedule(program);
  registerServices(program);
  registerSources(program);
  registerWorker(program);
  registerReport(program);
  registerInsights(program);
  registerRuns(program);
  registerApi(program);
  registerStream(program);
  registerProduce(program);
  registerAlerts(program);
  return program;
}

/** A failed workflow's message is generic; the reason is at the bottom of its cause chain. */
function explain(err: unknown): string {
  const messages: string[] = [];
  for (let e = err as { message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.message) messages.push(e.message);
  }
  return messages.length > 1 ? `${messages.at(-1)} (${messages.slice(0, -1).join(' ← ')})` : (messages[0] ?? String(err));
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
    const message = err instanceof ConfigError ? err.message : `error: ${explain(err)}`;
    // A platform's error text can echo a credential or carry escape sequences: masked, then terminal-safe.
    printLine(maskSecrets(message), process.stderr);
    if (process.env.DEBUG) printLine(maskSecrets(inspect(err)), process.stderr);
    process.exitCode = process.exitCode || 2;
  }
}
