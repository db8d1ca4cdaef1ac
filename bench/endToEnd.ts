/**
 * End to end on the local stack: a JSONL file of simulated posts through collect(file) → preprocess →
 * features → score, run by N separate worker processes (`socialsense worker --threads T`) on a task
 * queue of the benchmark's own. Reports wall time, posts/s, the orchestration share from the workflow
 * histories (bench/orchestration.ts), where the time and CPU went, and the workers' peak memory.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { Stack } from '../lib/stack';
import { socialSensePipeline, type PipelineSummary } from '../workflows/pipeline';
import { spawnCli } from '../test/helpers/cli';
import { RECOMMENDED_MALLOC_ARENA_MAX } from '../workers/threadPool';
import { copyServingModels, resetBenchDatabase } from './benchDatabase';
import { analyseOrchestration, spansFromHistory, type ActivitySpan, type OrchestrationAnalysis } from './orchestration';
import { summarizeProfiles, type ProfileSummary } from './profile';
import { cpuSeconds, machineCpuSeconds, peakRssMb, sampleRss, serviceCpuSeconds, type ServiceName } from './processStats';

export interface EndToEndOptions {
  /** JSONL file of flat post records (bench/corpus.ts) */
  file: string;
  posts: number;
  workers: number;
  /** stage-pool threads per worker process (`worker --threads`) */
  threads: number;
  /** the benchmark's own task queue prefix, so no other worker takes its tasks */
  taskQueue: string;
  timeoutMs?: number;
  /** CPU-profile the worker processes into this folder (emptied first) and summarise the profiles */
  profileDir?: string;
  /** copy the team's serving models into the benchmark database (default true) */
  copyServingModels?: boolean;
  progress?: (msg: string) => void;
}

export interface EndToEndResult {
  workflowId: string;
  workers: number;
  /** stage-pool threads per worker process */
  threads: number;
  posts: number;
  partitions: number;
  /** pipeline workflow start → completion, from its history */
  wallSeconds: number;
  postsPerSecond: number;
  orchestrationShare: number;
  idleShare: number;
  /** the part of orchestrationShare spent before retried activities (see bench/orchestration.ts) */
  retryShare: number;
  summary: Pick<PipelineSummary, 'postsIn' | 'scored' | 'filtered' | 'quarantined'>;
  /** seconds per activity type: summed over all its executions, and on the critical path */
  activities: Record<string, { count: number; seconds: number; onPathSeconds: number; maxAttempt: number }>;
  /** activity attempts after the first, with why the previous attempt failed (outages show up here) */
  retries: Array<{ activityType: string; attempt: number; lastFailure: string }>;
  /** models copied from the team registry, and which ones the features stage used */
  servingModels: string[];
  featureModels: unknown;
  /** CPU seconds during the run: each worker process, the services, and the whole machine (other users included) */
  cpuSeconds: { workers: Array<number | null>; services: Record<ServiceName, number | null>; machine: number | null };
  /** the largest peak resident set (VmHWM, threads included) over the worker processes, MiB */
  peakRssMb: number | null;
  /** MALLOC_ARENA_MAX the workers ran with: what docker-compose.yml and `npm run worker` set, unless the bench's own environment sets it */
  mallocArenaMax?: string;
  /** each worker process's peak resident set, MiB */
  peakRssMbByWorker: Array<number | null>;
  /** per worker process: when its memory peaked (seconds into the run) and which of its activities were running then */
  memoryPeaks: Array<{ peakMb: number | null; atSeconds: number | null; during: string[] }>;
  /** with profileDir: where each worker process spent its CPU */
  profiles?: ProfileSummary[];
  orchestration: Pick<OrchestrationAnalysis, 'wallMs' | 'activityMsOnPath' | 'orchestrationMs'> & {
    /** the largest gaps on the critical path: where the orchestration time went */
    largestGaps: Array<{ before: string; ms: number }>;
    pathLength: number;
  };
}

const round = (x: number, d = 3) => Number(x.toFixed(d));

async function collectSpans(stack: Stack, workflowId: string): Promise<{ startMs: number; endMs: number; activities: ActivitySpan[] }> {
  const spans = spansFromHistory(workflowId, await stack.client.workflow.getHandle(workflowId).fetchHistory());
  const activities = [...spans.activities];
  for (const child of spans.children) activities.push(...(await collectSpans(stack, child)).activities);
  return { startMs: spans.startMs, endMs: spans.endMs, activities };
}

async function awaitWithProgress(
  handle: WorkflowHandle<typeof socialSensePipeline>,
  timeoutMs: number,
  progress: (msg: string) => void,
): Promise<PipelineSummary> {
  const t0 = performance.now();
  const result = handle.result();
  let settled = false;
  result.then(
    () => (settled = true),
    () => (settled = true),
  );
  while (!settled) {
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, 10_000))]);
    if (settled) break;
    const elapsed = (performance.now() - t0) / 1000;
    if (elapsed * 1000 > timeoutMs) {
      await handle.terminate(`benchmark timeout after ${Math.round(elapsed)} s`).catch(() => undefined);
      throw new Error(
        `the end-to-end run ${handle.workflowId} did not finish within ${Math.round(timeoutMs / 1000)} s (terminated); raise --e2e-timeout or lower --e2e-posts`,
      );
    }
    const done = new Map<string, number>();
    for (const a of spansFromHistory(handle.workflowId, await handle.fetchHistory()).activities) done.set(a.activityType, (done.get(a.activityType) ?? 0) + 1);
    progress(`  ${Math.round(elapsed)} s: ${done.size ? [...done].map(([k, v]) => `${k} ${v}`).join(', ') : 'collecting'}`);
  }
  return result;
}

/** Graceful stop (running activities finish), forced after a grace period so a stuck worker cannot hang the benchmark. */
async function stopWorker(w: ReturnType<typeof spawnCli>, graceMs = 30_000): Promise<void> {
  const timer = setTimeout(() => w.child.kill('SIGKILL'), graceMs);
  try {
    await w.stop('SIGTERM');
  } finally {
    clearTimeout(timer);
  }
}

export async function runEndToEnd(stack: Stack, opts: EndToEndOptions): Promise<EndToEndResult> {
  const progress = opts.progress ?? (() => {});
  const queue = `${opts.taskQueue}-w${opts.workers}t${opts.threads}`;
  const databaseUrl = await resetBenchDatabase(stack.databaseUrl);
  const servingModels = opts.copyServingModels === false ? [] : await copyServingModels(stack.db, databaseUrl);
  // Workers are started as the shipped launchers start them (workers/threadPool.ts RECOMMENDED_MALLOC_ARENA_MAX).
  const mallocArenaMax = process.env.MALLOC_ARENA_MAX || String(RECOMMENDED_MALLOC_ARENA_MAX);
  const env = {
    ...process.env,
    MALLOC_ARENA_MAX: mallocArenaMax,
    TEMPORAL_TASK_QUEUE: queue,
    DATABASE_URL: databaseUrl,
    ...(opts.profileDir
      ? {
          // --cpu-prof is not allowed in NODE_OPTIONS; a preloaded module starts the same profiler.
          NODE_OPTIONS: [process.env.NODE_OPTIONS, `--import ${new URL('./cpuProfileHook.mjs', import.meta.url).href}`].filter(Boolean).join(' '),
          SOCIALSENSE_CPU_PROFILE_DIR: opts.profileDir,
        }
      : {}),
  };
  if (opts.profileDir) {
    fs.mkdirSync(opts.profileDir, { recursive: true });
    for (const f of fs.readdirSync(opts.profileDir)) if (f.endsWith('.cpuprofile')) fs.rmSync(path.join(opts.profileDir, f));
  }
  const workers = Array.from({ length: opts.workers }, () => spawnCli(['worker', '--threads', String(opts.threads)], env));
  let result: EndToEndResult;
  let rssSampler: ReturnType<typeof sampleRss> | null = null;
  try {
    await Promise.all(workers.map((w) => w.waitFor(/worker started/, 120_000)));
    const cpu0 = workers.map((w) => cpuSeconds(w.child.pid!));
    rssSampler = sampleRss(workers.map((w) => w.child.pid!));
    const services0 = serviceCpuSeconds();
    const machine0 = machineCpuSeconds();

    const workflowId = `bench-${queue}`;
    progress(`end to end: ${opts.posts} posts, ${opts.workers} worker process(es) × ${opts.threads} thread(s), workflow ${workflowId}`);
    const clientT0 = performance.now();
    const handle = await stack.client.workflow.start(socialSensePipeline, {
      workflowId,
      taskQueue: queue,
      args: [{ source: 'file', file: { path: opts.file, format: 'jsonl', platform: 'bench' } }],
      memo: { stage: 'pipeline', source: 'file', benchmark: true },
    });
    const summary = await awaitWithProgress(handle, opts.timeoutMs ?? 30 * 60_000, progress);
    const clientSeconds = (performance.now() - clientT0) / 1000;

    const cpu1 = workers.map((w) => cpuSeconds(w.child.pid!));
    const services1 = serviceCpuSeconds();
    const machine1 = machineCpuSeconds();
    const rss = workers.map((w) => peakRssMb(w.child.pid!));
    const rssPeaks = rssSampler.stop();

    const { startMs, endMs, activities } = await collectSpans(stack, workflowId);
    const analysis = analyseOrchestration(activities, startMs, endMs);
    const wallSeconds = Number.isFinite(analysis.wallMs) ? analysis.wallMs / 1000 : clientSeconds;
    const diff = (a: number | null, b: number | null) => (a === null || b === null ? null : round(b - a, 1));
    const gaps = analysis.path.map((p) => ({
      before: p.attempt > 1 ? `${p.activityType} (attempt ${p.attempt})` : p.activityType,
      ms: Math.round(p.gapBeforeMs),
    }));
    const tailMs = analysis.path.length ? endMs - (startMs + analysis.path.reduce((s, p) => s + p.ms + p.gapBeforeMs, 0)) : analysis.wallMs;
    gaps.push({ before: '(workflow completion)', ms: Math.round(tailMs) });
    gaps.sort((a, b) => b.ms - a.ms);

    result = {
      workflowId,
      workers: opts.workers,
      threads: opts.threads,
      posts: summary.postsIn,
      partitions: summary.datasets.partitions.length,
      wallSeconds: round(wallSeconds, 2),
      postsPerSecond: Math.round(summary.postsIn / wallSeconds),
      orchestrationShare: round(analysis.orchestrationShare, 4),
      idleShare: round(analysis.idleShare, 4),
      retryShare: round(analysis.retryShare, 4),
      summary: { postsIn: summary.postsIn, scored: summary.scored, filtered: summary.filtered, quarantined: summary.quarantined },
      activities: Object.fromEntries(
        Object.entries(analysis.byType).map(([k, v]) => [
          k,
          { count: v.count, seconds: round(v.totalMs / 1000, 2), onPathSeconds: round(v.onPathMs / 1000, 2), maxAttempt: v.maxAttempt },
        ]),
      ),
      retries: activities.filter((a) => a.attempt > 1).map((a) => ({ activityType: a.activityType, attempt: a.attempt, lastFailure: a.lastFailure ?? '' })),
      servingModels,
      featureModels: (activities.find((a) => a.activityType === 'extractFeatures')?.result as { models?: unknown } | undefined)?.models ?? null,
      cpuSeconds: {
        workers: cpu0.map((c, i) => diff(c, cpu1[i])),
        services: Object.fromEntries((Object.keys(services0) as ServiceName[]).map((k) => [k, diff(services0[k], services1[k])])) as Record<
          ServiceName,
          number | null
        >,
        machine: diff(machine0, machine1),
      },
      peakRssMb: rss.some((r) => r !== null) ? Math.max(...rss.filter((r): r is number => r !== null)) : null,
      peakRssMbByWorker: rss,
      mallocArenaMax,
      memoryPeaks: rssPeaks.map((p) => ({
        peakMb: p.peakMb,
        atSeconds: p.atMs === null ? null : round((p.atMs - startMs) / 1000, 1),
        during:
          p.atMs === null
            ? []
            : activities.filter((a) => a.identity?.startsWith(`${p.pid}@`) && a.startedMs <= p.atMs! && a.completedMs >= p.atMs!).map((a) => a.activityType),
      })),
      orchestration: {
        wallMs: Math.round(analysis.wallMs),
        activityMsOnPath: Math.round(analysis.activityMsOnPath),
        orchestrationMs: Math.round(analysis.orchestrationMs),
        largestGaps: gaps.slice(0, 5),
        pathLength: analysis.path.length,
      },
    };
  } catch (err) {
    const tail = workers.map((w, i) => `worker ${i + 1}: ${w.output().slice(-1500)}`).join('\n');
    throw new Error(`${(err as Error).message}\n${tail}`);
  } finally {
    rssSampler?.stop();
    await Promise.all(workers.map((w) => stopWorker(w)));
  }
  // The profiles are written as the worker processes exit.
  if (opts.profileDir) result.profiles = summarizeProfiles(opts.profileDir);
  return result;
}
