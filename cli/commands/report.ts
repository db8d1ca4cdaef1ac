import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { Db } from '../../lib/db';
import type { ObjectStore } from '../../lib/objectStore';
import { connectReadSide, readSideHelp } from '../../lib/stack';
import type { Report } from '../report/build';
import { fmtWindow } from '../report/format';
import { printLine } from '../terminalText';

/** A run key as a file name: workflow ids may hold characters a file system does not like. */
export const reportFileName = (runKey: string) => `report-${runKey.replace(/[^A-Za-z0-9._-]+/g, '_')}.html`;

/**
 * Builds a run's report, writes it to `file` (default: `<dir>/report-<run>.html`, dir default the current
 * directory) and stores it beside the run in the object store. Shared by `report` and `demo`.
 * @returns the report, the absolute path written and the stored object's URI
 */
export async function writeReport(
  db: Db,
  store: ObjectStore,
  opts: { runKey?: string; out?: string; dir?: string } = {},
): Promise<{ report: Report; file: string; uri: string }> {
  // Loaded here: the report's charts (vega, vega-lite) cost every other command, the worker among them, memory it does
  // not need (measured: an idle `worker --threads 2` 223 → 202 MiB RSS).
  const { buildReport, storeReport } = await import('../report/build');
  const report = await buildReport(db, { runKey: opts.runKey });
  const file = path.resolve(opts.out ?? path.join(opts.dir ?? '.', reportFileName(report.runKey)));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, report.html);
  await store.ensureBucket();
  const uri = await storeReport(store, report);
  return { report, file, uri };
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('write the HTML report of a run (self-contained: charts inline, opens offline) and store it beside the run in the object store')
    .addHelpText('after', readSideHelp)
    .option('--run <runKey>', 'the run to report on (default: the latest completed run)')
    .option('--out <file>', 'where to write the page (default: report-<run>.html in the current directory)')
    .action(async (opts: { run?: string; out?: string }) => {
      const side = await connectReadSide({ store: true });
      try {
        const { report, file, uri } = await writeReport(side.db, side.store!, { runKey: opts.run, out: opts.out });
        const charts = report.sections.reduce((n, s) => n + s.charts.length, 0);
        const empty = report.sections.filter((s) => s.empty).map((s) => s.id);
        const { from, to } = report.data.run;
        printLine(`report of run ${report.runKey} (${fmtWindow(from, to)}): ${charts} charts${empty.length ? `; no data yet for ${empty.join(', ')}` : ''}`);
        printLine(`  file:   ${file}`);
        printLine(`  stored: ${uri}`);
      } finally {
        await side.close();
      }
    });
}
