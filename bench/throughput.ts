/**
 * Throughput per stage (posts/s) on one core (in-process) and on all cores (one worker thread per
 * core), on the same posts. Each chunk of posts is cut into one shard per core; one core runs the
 * shards one after the other, all cores run them at once, so both do exactly the same work (a
 * near-duplicate index per shard, for instance) and only the parallelism differs. The two are
 * measured chunk by chunk, interleaved, so a change in the machine's load hits both alike.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { createStageRunner, fitBenchTopicModel, STAGES, type StageName, type StageTiming, type TopicFit } from './stages';
import { firstRecords } from './corpus';
import { machineCpuSeconds } from './processStats';
import type { StageRequest } from './stageWorker';

export interface ThroughputDataset {
  name: string;
  /** the source's columns and the platform its ids get, as the file importer would map them */
  columns: readonly string[];
  platform: string;
  /** posts in the dataset (all of them, whether or not every stage consumes all) */
  posts: number;
  /** chunks of records (objects or JSON lines), in order */
  chunks(size: number): AsyncIterable<unknown[]>;
  /** texts to fit the topic model on */
  sampleTexts(n: number): Promise<string[]>;
}

export interface ThroughputOptions {
  /** worker threads for the all-cores figure; default: one per core */
  threads?: number;
  /** posts per shard (one shard per thread per chunk) */
  shardSize?: number;
  /**
   * Stop feeding a stage more chunks once its one-core time reaches this (seconds). The slow stages
   * (language, near-duplicates) would otherwise take many minutes on a million posts; every stage
   * still sees at least one chunk, and reports how many posts it was measured on.
   */
  stageSeconds?: number;
  /** Repeat each stage on a chunk until its one-core time reaches this (seconds): small datasets. */
  minSeconds?: number;
  progress?: (msg: string) => void;
}

export interface StageFigures {
  postsPerSecond: number;
  posts: number;
  seconds: number;
}

export interface StageThroughput {
  oneCore: StageFigures;
  allCores: StageFigures;
  /** allCores.postsPerSecond / oneCore.postsPerSecond */
  speedup: number;
  /**
   * `sentiment` only: its one-core posts/s over the `vaderNpm` stage's (the vader-sentiment npm port on the same
   * posts, in the same run), the figure issue 12's "50x the npm port" target is about.
   */
  ratioToVaderNpm?: number;
}

export interface ThroughputResult {
  dataset: string;
  posts: number;
  threads: number;
  shardSize: number;
  /** records the importer would reject (the generator's deliberately malformed ones) */
  rejected: number;
  topicModel: { posts: number; vocabulary: number; fitSeconds: number };
  /** wall time of the whole measurement, loading and warm-up included */
  wallSeconds: number;
  /**
   * Cores' worth of CPU that other processes used meanwhile (the machine is shared): with 2 cores,
   * anything near 1 means the all-cores figures had about one core.
   */
  otherCores: number | null;
  stages: Record<StageName, StageThroughput>;
}

/** The same operations on one in-process runner or on a set of worker threads. */
interface Pool {
  load(shards: unknown[][]): Promise<number>;
  /** per-shard timings of one stage */
  run(stage: StageName, reps: number): Promise<StageTiming[]>;
  close(): Promise<void>;
}

type RunnerOptions = Parameters<typeof createStageRunner>[0];

function inProcessPool(opts: RunnerOptions, shardsPerChunk: number): Pool {
  // One runner per shard, so a shard is loaded once per chunk as in a thread; they run one after the other.
  const runners = Array.from({ length: shardsPerChunk }, () => createStageRunner(opts));
  let loaded = 0;
  return {
    async load(shards) {
      loaded = shards.length;
      return shards.reduce((s, shard, i) => s + runners[i].load(shard).rejected, 0);
    },
    async run(stage, reps) {
      return runners.slice(0, loaded).map((r) => r.run(stage, reps));
    },
    async close() {},
  };
}

/**
 * Worker threads that run TypeScript: the thread registers tsx's loader (the same one `npm run bench`
 * and vitest start with) before importing bench/stageWorker.ts.
 */
function startWorker(opts: RunnerOptions): Worker {
  const api = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./stageWorker.ts', import.meta.url).href;
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(code, { eval: true, workerData: opts });
}

function call<T>(worker: Worker, request: StageRequest): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (msg: { ok?: T; error?: string }) => {
      worker.off('error', onError);
      if (msg.error !== undefined) reject(new Error(`stage worker: ${msg.error}`));
      else resolve(msg.ok as T);
    };
    const onError = (err: Error) => {
      worker.off('message', onMessage);
      reject(err);
    };
    worker.once('message', onMessage);
    worker.once('error', onError);
    worker.postMessage(request);
  });
}

function threadPool(opts: RunnerOptions, threads: number): Pool {
  const workers = Array.from({ length: threads }, () => startWorker(opts));
  let loaded = 0;
  return {
    async load(shards) {
      loaded = shards.length;
      const results = await Promise.all(shards.map((shard, i) => call<{ rejected: number }>(workers[i], { type: 'load', records: shard })));
      return results.reduce((s, r) => s + r.rejected, 0);
    },
    // All cores: every thread runs the stage on its shard at the same time.
    run(stage, reps) {
      return Promise.all(workers.slice(0, loaded).map((w) => call<StageTiming>(w, { type: 'run', stage, reps })));
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

function split<T>(chunk: T[], parts: number): T[][] {
  const size = Math.ceil(chunk.length / parts);
  return Array.from({ length: parts }, (_, i) => chunk.slice(i * size, (i + 1) * size)).filter((s) => s.length > 0);
}

interface Totals {
  posts: number;
  /** one core: the sum of the shards' times; all cores: per chunk, the slowest thread's time */
  ms: number;
}

const figures = (t: Totals): StageFigures => ({
  postsPerSecond: t.ms > 0 ? Math.round((t.posts * 1000) / t.ms) : 0,
  posts: t.posts,
  seconds: Number((t.ms / 1000).toFixed(4)),
});

export async function measureThroughput(dataset: ThroughputDataset, opts: ThroughputOptions = {}): Promise<ThroughputResult> {
  const threads = opts.threads ?? os.availableParallelism();
  const shardSize = opts.shardSize ?? 25_000;
  const stageMs = (opts.stageSeconds ?? Infinity) * 1000;
  const minMs = (opts.minSeconds ?? 0) * 1000;
  const progress = opts.progress ?? (() => {});

  const fit: TopicFit = fitBenchTopicModel(await dataset.sampleTexts(5000));
  const runnerOptions: RunnerOptions = { topicModel: fit.bytes, columns: dataset.columns, platform: dataset.platform };
  const one = inProcessPool(runnerOptions, threads);
  const all = threadPool(runnerOptions, threads);
  const oneTotals = Object.fromEntries(STAGES.map((s) => [s, { posts: 0, ms: 0 }])) as Record<StageName, Totals>;
  const allTotals = Object.fromEntries(STAGES.map((s) => [s, { posts: 0, ms: 0 }])) as Record<StageName, Totals>;
  let rejected = 0;
  let seen = 0;
  const cpu0 = { machine: machineCpuSeconds(), own: process.cpuUsage(), wall: performance.now() };
  try {
    // Warm-up, untimed: every runner runs every stage once on a few posts, so the JIT has compiled the
    // hot paths in each thread before anything is timed.
    const warm = split(await firstRecords(dataset.chunks(200 * threads), 200 * threads), threads);
    await one.load(warm);
    await all.load(warm);
    for (const stage of STAGES) {
      await one.run(stage, 1);
      await all.run(stage, 1);
    }
    for await (const chunk of dataset.chunks(shardSize * threads)) {
      const active = STAGES.filter((s) => oneTotals[s].posts === 0 || oneTotals[s].ms < stageMs);
      if (active.length === 0) break;
      const parts = split(chunk, threads);
      rejected += await one.load(parts);
      await all.load(parts);
      seen += chunk.length;
      for (const stage of active) {
        // Small datasets: enough repetitions that the one-core time reaches minMs (the first pass decides).
        let reps = 1;
        let oneTimings = await one.run(stage, 1);
        const firstMs = oneTimings.reduce((s, t) => s + t.ms, 0);
        if (firstMs < minMs) {
          reps = Math.ceil(minMs / Math.max(firstMs, 0.01));
          oneTimings = await one.run(stage, reps);
        }
        const allTimings = await all.run(stage, reps);
        oneTotals[stage].posts += oneTimings.reduce((s, t) => s + t.posts, 0);
        oneTotals[stage].ms += oneTimings.reduce((s, t) => s + t.ms, 0);
        allTotals[stage].posts += allTimings.reduce((s, t) => s + t.posts, 0);
        allTotals[stage].ms += Math.max(...allTimings.map((t) => t.ms));
      }
      progress(`${dataset.name}: ${seen}/${dataset.posts} posts; ${active.map((s) => `${s} ${figures(oneTotals[s]).postsPerSecond}/s`).join(', ')}`);
    }
  } finally {
    await all.close();
  }
  const wallSeconds = (performance.now() - cpu0.wall) / 1000;
  const machine = machineCpuSeconds();
  const own = process.cpuUsage(cpu0.own);
  const otherCores = machine === null || cpu0.machine === null ? null : Math.max(0, (machine - cpu0.machine - (own.user + own.system) / 1e6) / wallSeconds);
  const stages = Object.fromEntries(
    STAGES.map((s) => {
      const oneCore = figures(oneTotals[s]);
      const allCores = figures(allTotals[s]);
      return [s, { oneCore, allCores, speedup: oneCore.postsPerSecond > 0 ? Number((allCores.postsPerSecond / oneCore.postsPerSecond).toFixed(2)) : 0 }];
    }),
  ) as Record<StageName, StageThroughput>;
  const vader = stages.vaderNpm.oneCore.postsPerSecond;
  if (vader > 0) stages.sentiment.ratioToVaderNpm = Number((stages.sentiment.oneCore.postsPerSecond / vader).toFixed(1));
  return {
    dataset: dataset.name,
    posts: dataset.posts,
    threads,
    shardSize,
    rejected,
    topicModel: { posts: fit.posts, vocabulary: fit.vocabulary, fitSeconds: Number(fit.seconds.toFixed(2)) },
    wallSeconds: Number(wallSeconds.toFixed(1)),
    otherCores: otherCores === null ? null : Number(otherCores.toFixed(2)),
    stages,
  };
}
