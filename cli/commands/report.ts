import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { connectReadSide } from '../../lib/stack';
import { buildReport, storeReport } from '../report/build';
import { fmtWindow } from '../report/format';

/** A run key as a file name: workflow ids may hold characters a file system does not like. */
export const reportFileName = (runKey: string) => `report-${runKey.replace(/[^A-Za-z0-9._-]+/g, '_')}.html`;

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('write the HTML report of a run (self-contained: charts inline, opens offline) and store it beside the run in the object store')
    .option('--run <runKey>', 'the run to report on (default: the latest completed run)')
    .option('--out <file>', 'where to write the page (default: report-<run>.html in the current directory)')
    .action(async (opts: { run?: string; out?: string }) => {
      const side = await connectReadSide({ store: true });
      try {
        const report = await buildReport(side.db, { runKey: opts.run });
        const file = path.resolve(opts.out ?? reportFileName(report.runKey));
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, report.html);
        await side.store!.ensureBucket();
        const uri = await storeReport(side.store!, report);
        const charts = report.sections.reduce((n, s) => n + s.charts.length, 0);
        const empty = report.sections.filter((s) => s.empty).map((s) => s.id);
        const { from, to } = report.data.run;
        console.log(`report of run ${report.runKey} (${fmtWindow(from, to)}): ${charts} charts${empty.length ? `; no data yet for ${empty.join(', ')}` : ''}`);
        console.log(`  file:   ${file}`);
        console.log(`  stored: ${uri}`);
      } finally {
        await side.close();
      }
    });
}
