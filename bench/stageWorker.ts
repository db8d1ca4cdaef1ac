/**
 * Worker-thread side of the all-cores throughput measurement: one StageRunner per thread, driven by
 * messages from bench/throughput.ts (load a chunk, run a stage), answering each with its result.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createStageRunner, type StageName } from './stages';

export type StageRequest = { type: 'load'; records: unknown[] } | { type: 'run'; stage: StageName; reps: number };

const runner = createStageRunner(workerData);
parentPort!.on('message', (msg: StageRequest) => {
  try {
    parentPort!.postMessage({ ok: msg.type === 'load' ? runner.load(msg.records) : runner.run(msg.stage, msg.reps) });
  } catch (err) {
    parentPort!.postMessage({ error: (err as Error).stack ?? String(err) });
  }
});
