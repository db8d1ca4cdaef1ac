import type { Command } from 'commander';
import type { Db } from '../../lib/db';
import { connectReadSide, readSideHelp } from '../../lib/stack';
import { getModel, listModels, promoteModel, rollbackModel, type ModelVersion } from '../../lib/registry';
import { versionOption } from '../options';
import { printLine } from '../terminalText';

/** The registry needs only Postgres; no Temporal or object store. */
async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const side = await connectReadSide();
  try {
    return await fn(side.db);
  } finally {
    await side.close();
  }
}

const headline = (m: ModelVersion): string => {
  const metric = ['macroRecall', 'npmi', 'ndcg10', 'auc', 'silhouette'].find((k) => typeof m.metrics[k] === 'number');
  const value = metric ? `${metric} ${(m.metrics[metric] as number).toFixed(4)}` : '';
  const base = metric && m.baseline && typeof m.baseline[metric] === 'number' ? ` (baseline ${(m.baseline[metric] as number).toFixed(4)})` : '';
  return value + base;
};

export function registerModels(program: Command): void {
  const models = program.command('models').description('the model registry: versions, metrics, which one serves').addHelpText('after', readSideHelp);
  models
    .command('list')
    .argument('[name]', 'sentiment | topics | recommender | segments | engagement')
    .option('--json', 'one JSON object')
    .action((name: string | undefined, opts: { json?: boolean }) =>
      withDb(async (db) => {
        const rows = await listModels(db, name);
        if (opts.json) return void process.stdout.write(JSON.stringify({ models: rows }) + '\n');
        if (rows.length === 0) return printLine('no models yet: run `socialsense retrain` (or wait for the nightly Schedule)');
        for (const m of rows) printLine(`${m.name.padEnd(12)} v${String(m.version).padEnd(4)} ${m.status.padEnd(9)} ${headline(m)}`);
      }),
    );
  models
    .command('show')
    .argument('<name>')
    .argument('[version]', 'default: the serving one', versionOption)
    .action((name: string, version: number | undefined) =>
      withDb(async (db) => {
        const m = version ? await getModel(db, name, version) : (await listModels(db, name)).find((x) => x.status === 'serving');
        if (!m) {
          const known = [...new Set((await listModels(db)).map((x) => x.name))].sort();
          if (!known.includes(name))
            throw new Error(
              `unknown model "${name}": ${known.length ? `the registry holds ${known.join(', ')}` : 'no model is registered yet: run `socialsense retrain`'}`,
            );
          throw new Error(`no ${version ? `version ${version} of ` : 'serving version of '}${name}; see \`socialsense models list\``);
        }
        process.stdout.write(JSON.stringify(m, null, 2) + '\n');
      }),
    );
  models
    .command('promote')
    .argument('<name>')
    .argument('<version>', 'version to serve', versionOption)
    .action((name: string, version: number) =>
      withDb(async (db) => {
        await promoteModel(db, name, version);
        printLine(`${name} v${version} now serves; scoring picks it up on its next partition`);
      }),
    );
  models
    .command('rollback')
    .argument('<name>')
    .action((name: string) =>
      withDb(async (db) => {
        const { from, to } = await rollbackModel(db, name);
        printLine(`${name}: v${from} rejected, v${to} serves again`);
      }),
    );
  for (const sub of models.commands) sub.addHelpText('after', readSideHelp);
}
