import os from 'node:os';
import { describe, expect, it } from 'vitest';
import type { EndToEndResult } from '../../bench/endToEnd';
import { costPoint, endToEndSpeedups, renderMarkdown, type BenchResults } from '../../bench/results';
import { parseOptions } from '../../bench/run';

/** An end-to-end result with the figures these tests read; the rest is filler of the right shape. */
function run(workers: number, threads: number, postsPerSecond: number, extra: Partial<EndToEndResult> = {}): EndToEndResult {
  const posts = 10_000;
  return {
    workflowId: `bench-w${workers}t${threads}`,
    workers,
    threads,
    posts,
    partitions: 1,
    wallSeconds: posts / postsPerSecond,
    postsPerSecond,
    orchestrationShare: 0.02,
    idleShare: 0.01,
    retryShare: 0,
    summary: { postsIn: posts, scored: 9000, filtered: 900, quarantined: 100 },
    activities: {},
    retries: [],
    servingModels: [],
    featureModels: null,
    cpuSeconds: { workers: Array.from({ length: workers }, () => 4), services: { temporal: 1, minio: 1, postgres: 1 }, machine: 12 },
    peakRssMb: 500,
    peakRssMbByWorker: Array.from({ length: workers }, () => 500),
    memoryPeaks: [],
    orchestration: { wallMs: 1000, activityMsOnPath: 980, orchestrationMs: 20, largestGaps: [], pathLength: 4 },
    ...extra,
  };
}

describe('bench end-to-end configurations', () => {
  it('runs 1 × 1, 2 × 1 and 1 × all cores by default, and reads processes x threads lists', () => {
    expect(parseOptions([]).e2eConfigs).toEqual([
      { workers: 1, threads: 1 },
      { workers: 2, threads: 1 },
      { workers: 1, threads: os.availableParallelism() },
    ]);
    expect(parseOptions(['--threads', '6']).e2eConfigs.at(-1)).toEqual({ workers: 1, threads: 6 });
    expect(parseOptions(['--e2e-configs', '1x1,3x2']).e2eConfigs).toEqual([
      { workers: 1, threads: 1 },
      { workers: 3, threads: 2 },
    ]);
    expect(parseOptions(['--workers', '1,3']).e2eConfigs).toEqual([
      { workers: 1, threads: 1 },
      { workers: 3, threads: 1 },
    ]);
    expect(() => parseOptions(['--e2e-configs', '2*1'])).toThrow(/processes x threads/);
    // 0 threads: the stages on the worker's main thread (worker --threads 0), what --profile can see
    expect(parseOptions(['--e2e-configs', '1x0,2x0']).e2eConfigs).toEqual([
      { workers: 1, threads: 0 },
      { workers: 2, threads: 0 },
    ]);
    expect(() => parseOptions(['--e2e-configs', '0x1'])).toThrow(/processes >= 1/);
    expect(() => parseOptions(['--e2e-configs', '1x1', '--workers', '2'])).toThrow(/either --e2e-configs or --workers/);
    expect(parseOptions([]).costSizes).toEqual([1000, 10_000, 100_000, 1_000_000]);
    expect(parseOptions(['--quick']).costSizes).toEqual([1000, 10_000]);
    expect(parseOptions(['--cost-sizes', '500,2000']).costSizes).toEqual([500, 2000]);
  });

  it('computes speedup over single-threaded processes and threadSpeedup over one process', () => {
    const runs = [run(1, 1, 1000), run(2, 1, 1800), run(1, 2, 1500)];
    expect(endToEndSpeedups(runs)).toEqual({ speedup: 1.8, threadSpeedup: 1.5 });
    // the order of the runs does not matter, and a failed run is left out
    expect(endToEndSpeedups([run(1, 2, 1500), { workers: 2, threads: 1, error: 'boom' }, run(1, 1, 1000)])).toEqual({ speedup: null, threadSpeedup: 1.5 });
    // without the 1 × 1 baseline there is no ratio
    expect(endToEndSpeedups([run(2, 1, 1800), run(1, 2, 1500)])).toEqual({ speedup: null, threadSpeedup: null });
  });

  it('derives the cost-curve figures per post from a run', () => {
    const p = costPoint(
      run(1, 2, 2000, {
        posts: 4000,
        wallSeconds: 2,
        cpuSeconds: { workers: [3], services: { temporal: 1, minio: null, postgres: 1 }, machine: 6 },
        peakRssMb: 400,
      }),
    );
    expect(p).toEqual({
      posts: 4000,
      partitions: 1,
      threads: 2,
      wallSeconds: 2,
      postsPerSecond: 2000,
      cpuMsPerPost: 0.75,
      machineCpuMsPerPost: 1.5,
      peakRssMb: 400,
      peakRssKiBPerPost: 102.4, // 400 MiB × 1024 / 4000 posts
      orchestrationShare: 0.02,
      retries: 0,
    });
    expect(
      costPoint(
        run(1, 2, 2000, { cpuSeconds: { workers: [null], services: { temporal: null, minio: null, postgres: null }, machine: null }, peakRssMb: null }),
      ),
    ).toMatchObject({
      cpuMsPerPost: null,
      machineCpuMsPerPost: null,
      peakRssKiBPerPost: null,
    });
  });

  it('renders the runs with processes × threads, both speedups and the cost table', () => {
    const runs = [run(1, 1, 1000), run(2, 1, 1800, { peakRssMbByWorker: [510, 520], peakRssMb: 520 })];
    const doc: BenchResults = {
      startedAt: '2026-11-30T00:00:00Z',
      seconds: 1,
      machine: { cpus: 2, memoryGiB: 24, node: 'v20', loadAverage: [0, 0, 0] },
      options: {},
      throughput: { realTweets: { skipped: 'x' }, simulated: { skipped: 'x' } },
      endToEnd: { posts: 10_000, runs, ...endToEndSpeedups(runs) },
      quality: { skipped: 'x' },
      cost: { threads: 2, points: [costPoint(run(1, 2, 2000, { posts: 1000 })), { posts: 1_000_000, error: 'timeout\nstack' }] },
    };
    const md = renderMarkdown(doc);
    expect(md).toMatch(/^\| 2 × 1 \| 10,000 \|.*\| 510, 520 \|$/m);
    expect(md).toContain('speedup (most single-threaded worker processes / 1 × 1): 1.8; threadSpeedup (1 process, most threads / 1 × 1): n/a');
    expect(md).toContain('## Cost curve');
    expect(md).toMatch(/^\| 1,000 \| 1 \| 5\.0 \| 2,000 \| 4\.000 \|/m);
    expect(md).toContain('| 1,000,000 | failed: timeout |');
  });
});
