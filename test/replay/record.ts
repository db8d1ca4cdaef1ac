/**
 * Records the histories the replay tests replay: runs each entry workflow on the local stack and
 * saves its event history. Re-record only on purpose (a new workflow, or a change that is meant to
 * break replay); keep the old files so old runs stay covered. Usage: npx tsx test/replay/record.ts NAME
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { loadDotEnv } from '../../lib/config';
import { installRuntime } from '../../lib/runtime';
import { connectStack } from '../../lib/stack';
import { createWorkers } from '../../workers/worker';
import { backfill } from '../../workflows/backfill';
import { collect } from '../../workflows/collect';
import { socialSensePipeline } from '../../workflows/pipeline';
import { nightlyRetrain } from '../../workflows/retrain';

const name = process.argv[2] ?? 'current';
const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'histories');
loadDotEnv();
installRuntime();
const stack = await connectStack();
const taskQueue = `record-${Date.now()}`;
const workers = await createWorkers({ connection: stack.nativeConnection, namespace: stack.namespace, taskQueue, deps: { store: stack.store, db: stack.db } });
const running = workers.map((w) => w.run());
const runs: Array<[string, () => Promise<unknown>]> = [
  [
    'pipeline',
    () =>
      stack.client.workflow.execute(socialSensePipeline, {
        taskQueue,
        workflowId: `${taskQueue}-pipeline`,
        args: [{ posts: 60, days: 2, date: '2026-08-02', seed: 3 }],
      }),
  ],
  ['collect', () => stack.client.workflow.execute(collect, { taskQueue, workflowId: `${taskQueue}-collect`, args: [{ posts: 30, date: '2026-08-02' }] })],
  [
    'backfill',
    () =>
      stack.client.workflow.execute(backfill, {
        taskQueue,
        workflowId: `${taskQueue}-backfill`,
        args: [{ from: '2026-08-01', to: '2026-08-03', concurrency: 2, daysPerRun: 2, pipeline: { posts: 30 } }],
      }),
  ],
];
if (process.env.RECORD_RETRAIN) {
  runs.push([
    'retrain',
    () =>
      stack.client.workflow.execute(nightlyRetrain, {
        taskQueue,
        workflowId: `${taskQueue}-retrain`,
        args: [{ date: '2026-08-07', days: 7, posts: 150, sentimentTrainFile: process.env.RECORD_RETRAIN }],
      }),
  ]);
}
for (const [kind, run] of runs) {
  await run();
  const workflowId = `${taskQueue}-${kind}`;
  const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
  // The workflow id is part of what replays (child ids derive from it), so it is kept beside the history.
  fs.writeFileSync(path.join(dir, `${kind}-${name}.json`), JSON.stringify({ workflowId, history: JSON.parse(historyToJSON(history)) }));
  console.log(`recorded ${kind}-${name}.json (${history.events?.length} events)`);
}
for (const w of workers) w.shutdown();
await Promise.all(running);
await stack.close();
process.exit(0);
