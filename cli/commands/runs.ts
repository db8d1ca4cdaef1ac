import type { Command } from 'commander';
import { Client, Connection } from '@temporalio/client';
import { listRuns, reconcileRuns } from '../../lib/catalog';
import { parseConfig, temporalConfigSchema } from '../../lib/config';
import { connectReadSide } from '../../lib/stack';
import { limitOption } from '../options';
import { jsonLine, printLine } from '../terminalText';

/**
 * `socialsense runs`: the catalog's runs, newest first, after asking Temporal about every run still
 * marked `running` (a terminated or timed-out workflow never records its own end). Without a
 * reachable Temporal the list is printed as stored, with a warning that `running` may be stale.
 */
export function registerRuns(program: Command): void {
  program
    .command('runs')
    .description('list recent runs with their status and root-cause error; statuses are checked against Temporal first')
    .option('--limit <n>', 'how many runs', limitOption, 20)
    .option('--json', 'one JSON object: { runs, reconciled, warning }')
    .action(async (opts: { limit: number; json?: boolean }) => {
      const side = await connectReadSide();
      try {
        let reconciled: Awaited<ReturnType<typeof reconcileRuns>> = [];
        let warning: string | null = null;
        try {
          reconciled = await withTemporal((client) => reconcileRuns(side.db, client));
        } catch (err) {
          warning = `statuses not checked against Temporal (${(err as Error).message}); "running" may be stale`;
        }
        const runs = await listRuns(side.db, { limit: opts.limit });
        if (opts.json) return void process.stdout.write(jsonLine({ runs, reconciled, warning }));
        if (warning) printLine(`warning: ${warning}`, process.stderr);
        if (runs.length === 0) return printLine('no runs yet; start one with `socialsense run`');
        for (const r of runs) {
          printLine(`${r.startedAt.slice(0, 19).replace('T', ' ')}  ${r.kind.padEnd(8)} ${r.status.padEnd(9)} ${r.runKey}${r.error ? `  ${r.error}` : ''}`);
        }
      } finally {
        await side.close();
      }
    });
}

async function withTemporal<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const config = parseConfig(temporalConfigSchema);
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS, connectTimeout: 5000 });
  try {
    return await fn(new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }));
  } finally {
    await connection.close();
  }
}
