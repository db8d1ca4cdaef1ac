import { inspect } from 'node:util';
import { unreachableServiceMessage } from './unreachableService';
import { Command, CommanderError } from 'commander';
import { chainMessage } from '../lib/failures';
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
    // One clear line for the person at the terminal (a failed workflow's message is generic: the reason is
    // at the bottom of its cause chain); the stack only when asked for.
    const message = err instanceof ConfigError ? err.message : `error: ${unreachableServiceMessage(err) ?? chainMessage(err)}`;
    // A platform's error text can echo a credential or carry escape sequences: masked, then terminal-safe.
    printLine(maskSecrets(message), process.stderr);
    if (process.env.DEBUG) printLine(maskSecrets(inspect(err)), process.stderr);
    process.exitCode = process.exitCode || 2;
  }
}
