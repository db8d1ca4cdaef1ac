/**
 * `npm run bench`: throughput per stage, end to end on the local stack (1 process × 1 thread, 2
 * processes × 1 thread, 1 process × all cores), the cost curve (the pipeline at 1k … 1M posts), and
 * quality on the shared data sets, all measured in one run on this machine. Writes
 * bench/results/latest.json and latest.md and prints the tables; progress goes to stderr.
 *
 *   npm run bench                        # the full run
 *   npm run bench -- --quick             # a smoke run
 *   npm run bench -- --only e2e --e2e-posts 1000000
 *   npm run bench -- --only cost --cost-sizes 1000,10000
 *
 * See bench/README.md for what each figure means.
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { intOption } from '../cli/options';
import { sharedDataDir } from '../lib/paths';
import { connectStack } from '../lib/stack';
import { ensureSimulatedCorpus, loadRealTweets, realTweetsDataset, simulatedDataset } from './corpus';
import { runEndToEnd } from './endToEnd';
import { runQuality } from './quality';
import { benchSpamFalsePositives } from './spamFalsePositives';
import { benchLanguageId } from './languageId';
import { costPoint, endToEndSpeedups, renderMarkdown, writeResults, type BenchResults, type CostSection, type EndToEndSection } from './results';
import { ensureStack } from './stackBringUp';
import { measureThroughput, type ThroughputOptions } from './throughput';
import { renderApiBench, runApiBench, type ApiBenchResult } from './api';
import { renderStreamBench, runStreamBench, type StreamBenchResult } from './stream';

const PARTS = ['throughput', 'language', 'e2e', 'cost', 'quality', 'spam', 'api', 'stream'] as const;
type Part = (typeof PARTS)[number];

/** Posts per simulated day: a month of posts is a million, one pipeline partition per day. */
const POSTS_PER_DAY = 33_334;

export interface BenchOptions {
  /** simulated posts for the per-stage throughput */
  posts: number;
  /** simulated posts for each end-to-end run */
  e2ePosts: number;
  /** end-to-end configurations: worker processes × stage-pool threads each */
  e2eConfigs: E2eConfig[];
  /** posts at each point of the cost curve (1 process × `threads`) */
  costSizes: number[];
  /** per-stage time budget on the simulated posts (one-core seconds) */
  stageSeconds: number;
  /** repeat stages on the real tweets until each took this long on one core */
  minSeconds: number;
  /** at most this many real tweets */
  realLimit: number;
  shardSize: number;
  threads: number;
  seed: number;
  e2eTimeoutSeconds: number;
  only: Part[];
  out: string;
  /** write CPU profiles of the end-to-end worker processes and summarise them */
  profile: boolean;
  quick: boolean;
}

const floatOption = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative number, got "${value}"`);
  return n;
};

const listOption = (value: string): number[] => {
  const xs = value.split(',').map((v) => intOption(v.trim()));
  if (xs.some((x) => x < 1)) throw new InvalidArgumentError(`expected whole numbers >= 1, got "${value}"`);
  return xs;
};

export interface E2eConfig {
  workers: number;
  threads: number;
}

/** `1x1,2x1,1x4`: worker processes × threads per process; `1x0` runs the stages on the worker's main thread (`worker --threads 0`), so `--profile` sees them. */
export const configsOption = (value: string): E2eConfig[] =>
  value.split(',').map((item) => {
    const m = item.trim().match(/^(\d+)x(\d+)$/);
    if (!m || Number(m[1]) < 1)
      throw new InvalidArgumentError(
        `expected configurations like 1x1,2x1,1x${os.availableParallelism()} (processes x threads, processes >= 1, threads >= 0), got "${value}"`,
      );
    return { workers: Number(m[1]), threads: Number(m[2]) };
  });

const partsOption = (value: string): Part[] => {
  const parts = value.split(',').map((p) => p.trim());
  const bad = parts.filter((p) => !(PARTS as readonly string[]).includes(p));
  if (bad.length) throw new InvalidArgumentError(`unknown part(s) ${bad.join(', ')}; choose from ${PARTS.join(', ')}`);
  return parts as Part[];
};

export function parseOptions(argv: string[]): BenchOptions {
  const program = new Command('bench')
    .description('SocialSense benchmarks: throughput per stage, end to end on the local stack, quality')
    .option('--quick', 'a ~1-minute smoke run: small sizes, quality skipped unless --only names it')
    .option('--posts <n>', 'simulated posts for the per-stage throughput (default 1000000; quick 10000)', intOption)
    .option('--e2e-posts <n>', 'simulated posts for each end-to-end run (default 250000; quick 10000)', intOption)
    .option(
      '--e2e-configs <list>',
      'end-to-end runs as processes x threads (default 1x1,2x1,1x<--threads>: scale-out over single-threaded processes, then one process using every core)',
      configsOption,
    )
    .option('--workers <list>', 'end-to-end runs of this many single-threaded worker processes each (shorthand for --e2e-configs 1x1,2x1)', listOption)
    .option('--cost-sizes <list>', 'posts at each point of the cost curve (default 1000,10000,100000,1000000; quick 1000,10000)', listOption)
    .option('--stage-seconds <s>', 'stop feeding a stage more simulated posts after this much one-core time (default 12; quick 1)', floatOption)
    .option('--min-seconds <s>', 'repeat each stage on the real tweets until it ran this long (default 1; quick 0.1)', floatOption)
    .option('--real-limit <n>', 'use at most this many real tweets (default all; quick 1000)', intOption)
    .option('--shard-size <n>', 'posts per worker thread per chunk (default 25000; quick 2500)', intOption)
    .option('--threads <n>', 'worker threads for the all-cores figures', intOption, os.availableParallelism())
    .option('--seed <n>', 'simulation seed', intOption, 7)
    .option('--e2e-timeout <s>', 'give up on an end-to-end run after this many seconds', intOption, 1800)
    .addOption(new Option('--only <parts>', `run only these parts (comma-separated: ${PARTS.join(', ')})`).argParser(partsOption))
    .option('--out <dir>', 'results folder (default bench/results; --quick: bench/results/quick, so a smoke run never replaces the recorded figures)')
    .option('--profile', 'CPU-profile the end-to-end worker processes (written under <out>/profiles)')
    .exitOverride()
    .parse(argv, { from: 'user' });
  const o = program.opts();
  const quick = Boolean(o.quick);
  const threads = o.threads as number;
  if (threads < 1) throw new InvalidArgumentError('--threads must be at least 1');
  if (o.e2eConfigs && o.workers) throw new InvalidArgumentError('give either --e2e-configs or --workers, not both');
  const e2eConfigs: E2eConfig[] = o.e2eConfigs ??
    (o.workers as number[] | undefined)?.map((workers) => ({ workers, threads: 1 })) ?? [
      { workers: 1, threads: 1 },
      { workers: 2, threads: 1 },
      { workers: 1, threads },
    ];
  return {
    posts: o.posts ?? (quick ? 10_000 : 1_000_000),
    e2ePosts: o.e2ePosts ?? (quick ? 10_000 : 250_000),
    e2eConfigs,
    costSizes: o.costSizes ?? (quick ? [1000, 10_000] : [1000, 10_000, 100_000, 1_000_000]),
    stageSeconds: o.stageSeconds ?? (quick ? 1 : 12),
    minSeconds: o.minSeconds ?? (quick ? 0.1 : 1),
    realLimit: o.realLimit ?? (quick ? 1000 : Number.MAX_SAFE_INTEGER),
    shardSize: o.shardSize ?? (quick ? 2500 : 25_000),
    threads,
    seed: o.seed,
    e2eTimeoutSeconds: o.e2eTimeout,
    only: o.only ?? (quick ? ['throughput', 'e2e'] : [...PARTS]),
    out: path.resolve(o.out ?? path.join(path.dirname(fileURLToPath(import.meta.url)), 'results', ...(quick ? ['quick'] : []))),
    profile: Boolean(o.profile),
    quick,
  };
}

const round = (x: number, d = 2) => Number(x.toFixed(d));

export async function runBench(opts: BenchOptions): Promise<BenchResults> {
  const t0 = performance.now();
  const log = (msg: string) => {
    const s = Math.round((performance.now() - t0) / 1000);
    process.stderr.write(`[bench ${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}] ${msg}\n`);
  };
  const dataDir = sharedDataDir();
  const notSelected = () => ({ skipped: `not selected (--only ${opts.only.join(',')})` });
  const days = (posts: number) => Math.max(1, Math.round(posts / POSTS_PER_DAY));
  const corpus = (posts: number) => ensureSimulatedCorpus({ posts, seed: opts.seed, days: days(posts) }, (m) => log(m));
  const results: BenchResults = {
    startedAt: new Date().toISOString(),
    seconds: 0,
    machine: {
      cpus: os.availableParallelism(),
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      loadAverage: os.loadavg().map((l) => round(l)),
    },
    options: { ...opts, realLimit: opts.realLimit === Number.MAX_SAFE_INTEGER ? 'all' : opts.realLimit, dataDir },
    throughput: { realTweets: notSelected(), simulated: notSelected() },
    endToEnd: notSelected(),
    quality: notSelected(),
    spam: notSelected(),
  };
  const attempt = async <T>(what: string, fn: () => Promise<T>): Promise<T | { error: string }> => {
    try {
      return await fn();
    } catch (err) {
      log(`${what} failed: ${(err as Error).message}`);
      return { error: (err as Error).stack ?? String(err) };
    }
  };

  if (opts.only.includes('throughput')) {
    const tp: ThroughputOptions = { threads: opts.threads, shardSize: opts.shardSize, progress: log };
    results.throughput.realTweets = await attempt('throughput on the real tweets', async () => {
      const real = await loadRealTweets(dataDir);
      if ('skipped' in real) {
        log(`real tweets: ${real.skipped}`);
        return real;
      }
      real.records = real.records.slice(0, opts.realLimit);
      log(`throughput on ${real.records.length} real tweets`);
      return measureThroughput(realTweetsDataset(real), { ...tp, minSeconds: opts.minSeconds });
    });
    results.throughput.simulated = await attempt('throughput on the simulated posts', async () => {
      const c = await corpus(opts.posts);
      log(`throughput on ${c.posts} simulated posts (${c.file}${c.generated ? `, generated in ${round(c.seconds, 1)} s` : ', reused'})`);
      return measureThroughput(simulatedDataset(c), { ...tp, stageSeconds: opts.stageSeconds });
    });
  }

  if (opts.only.includes('language')) {
    // ours against tinyld (the detector before issue 12): accuracy on the labelled sample, speed in the same run
    log('language identification: accuracy on the labelled sample, speed against tinyld');
    results.language = await attempt('language identification', () => benchLanguageId({ dataDir, minSeconds: Math.max(opts.minSeconds, 2) }));
  }

  /** The local stack for `fn`, brought up when it is down (like `npm test`) and stopped again after. */
  const onStack = async <T>(fn: (stack: Awaited<ReturnType<typeof connectStack>>) => Promise<T>): Promise<T> => {
    const services = await ensureStack({ log });
    let stack: Awaited<ReturnType<typeof connectStack>>;
    try {
      stack = await connectStack();
    } catch (err) {
      await services.stop();
      throw err;
    }
    try {
      return await fn(stack);
    } finally {
      await stack.close();
      await services.stop();
    }
  };
  const taskQueue = `bench-${Date.now().toString(36)}`;

  if (opts.only.includes('e2e')) {
    results.endToEnd = await attempt('end to end', async () => {
      const c = await corpus(opts.e2ePosts);
      const section: EndToEndSection = { posts: c.posts, runs: [], speedup: null, threadSpeedup: null };
      await onStack(async (stack) => {
        for (const { workers, threads } of opts.e2eConfigs) {
          const profileDir = path.join(opts.out, 'profiles', `w${workers}t${threads}`);
          const run = await attempt(`end to end with ${workers} worker process(es) × ${threads} thread(s)`, () =>
            runEndToEnd(stack, {
              file: c.file,
              posts: c.posts,
              workers,
              threads,
              taskQueue,
              timeoutMs: opts.e2eTimeoutSeconds * 1000,
              profileDir: opts.profile ? profileDir : undefined,
              progress: log,
            }),
          );
          section.runs.push('error' in run ? { workers, threads, error: run.error } : run);
          if (!('error' in run)) {
            log(
              `end to end, ${workers} × ${threads}: ${run.wallSeconds} s, ${run.postsPerSecond} posts/s, orchestrationShare ${run.orchestrationShare}, retries ${run.retries.length}, peak RSS ${run.peakRssMb} MiB`,
            );
          }
        }
      });
      Object.assign(section, endToEndSpeedups(section.runs));
      return section;
    });
  }

  if (opts.only.includes('cost')) {
    results.cost = await attempt('cost curve', async () => {
      const section: CostSection = { threads: opts.threads, points: [] };
      await onStack(async (stack) => {
        for (const size of opts.costSizes) {
          const point = await attempt(`cost curve at ${size} posts`, async () => {
            const c = await corpus(size);
            const run = await runEndToEnd(stack, {
              file: c.file,
              posts: c.posts,
              workers: 1,
              threads: opts.threads,
              taskQueue: `${taskQueue}-cost${size}`,
              timeoutMs: opts.e2eTimeoutSeconds * 1000,
              progress: log,
            });
            return costPoint(run);
          });
          section.points.push('error' in point ? { posts: size, error: point.error } : point);
          if (!('error' in point))
            log(
              `cost curve, ${size} posts: ${point.wallSeconds} s, ${point.postsPerSecond} posts/s, ${point.cpuMsPerPost} CPU ms/post, ${point.peakRssMb} MiB peak`,
            );
        }
      });
      return section;
    });
  }

  if (opts.only.includes('quality')) {
    results.quality = await attempt('quality', async () => {
      const q = await runQuality(dataDir, log);
      if (q.skipped) log(q.skipped);
      return q;
    });
  }

  if (opts.only.includes('spam')) {
    log('spam filter: removals from the real tweets, planted campaigns, filter speed');
    results.spam = await attempt('spam filter', () => benchSpamFalsePositives(dataDir));
  }

  if (opts.only.includes('api')) {
    // the API under load (bench/api.ts); brings the stack up like e2e when it is down
    (results as BenchResults & { api?: unknown }).api = await attempt('api load', async () => {
      const services = await ensureStack({ log });
      try {
        return await runApiBench({ progress: log });
      } finally {
        await services.stop();
      }
    });
  }

  if (opts.only.includes('stream')) {
    // Kafka → store ingest rate, produce → post_scores latency, burst → alert time (bench/stream.ts)
    (results as BenchResults & { stream?: unknown }).stream = await attempt('streaming', async () => {
      const services = await ensureStack({ log });
      try {
        return await runStreamBench({ posts: opts.quick ? 5000 : 30_000, progress: log });
      } finally {
        await services.stop();
      }
    });
  }

  results.seconds = Math.round((performance.now() - t0) / 1000);
  return results;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let opts: BenchOptions;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version') process.exit(0);
    if (!code?.startsWith('commander.')) console.error((err as Error).message);
    process.exit(2);
  }
  const results = await runBench(opts);
  const files = writeResults(opts.out, results);
  process.stdout.write(renderMarkdown(results));
  const api = (results as BenchResults & { api?: ApiBenchResult | { error: string } }).api;
  if (api && 'requestsPerSecond' in api) process.stdout.write(renderApiBench(api));
  const streamed = (results as BenchResults & { stream?: StreamBenchResult | { error: string } }).stream;
  if (streamed && 'ingest' in streamed) process.stdout.write(renderStreamBench(streamed));
  process.stderr.write(`wrote ${files.json} and ${files.markdown} (${results.seconds} s)\n`);
  // Temporal's native connections keep handles open after the work is done.
  process.exit(0);
}
