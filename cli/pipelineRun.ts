import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline as streamPipeline } from 'node:stream/promises';
import { readRecordChunks } from '../lib/datasets';
import type { ObjectStore } from '../lib/objectStore';
import type { Stack } from '../lib/stack';
import { startWorkers } from '../workers/worker';
import { checkQuarantineShare, DEFAULT_MAX_QUARANTINED_SHARE, socialSensePipeline, type PipelineInput, type PipelineSummary } from '../workflows/pipeline';
import { pipelineRunKey } from '../workflows/runIdentity';
import { reportRetries, startOrAttach, warnWhenNoWorker } from './follow';
import { printLine } from './terminalText';

/** sha256 (hex) of a file's bytes, streamed; null when this process cannot read it (a remote worker may). */
export async function fileContentDigest(file: string): Promise<string | null> {
  try {
    const hash = crypto.createHash('sha256');
    await streamPipeline(fs.createReadStream(path.resolve(file)), hash);
    return hash.digest('hex');
  } catch {
    return null;
  }
}

/**
 * The workflow id (= run key) of a pipeline run, from everything that makes its input differ
 * (workflows/runIdentity.ts): a file by its content, so the same file imported twice is one run and
 * two files of the same day are two runs.
 */
export async function pipelineWorkflowId(input: PipelineInput): Promise<string> {
  const fileDigest = input.source === 'file' && input.file?.path ? await fileContentDigest(input.file.path) : null;
  return pipelineRunKey(input, { fileDigest });
}

/**
 * Runs `fn` (which starts and follows a run) with this process's workers, or, with `worker` false, alone, warning on
 * stderr after a few seconds when no worker polls the stack's task queue (follow.ts warnWhenNoWorker). With `watch`
 * (the run's workflow ids), each retry of one of their activities is told on stderr with its cause (reportRetries).
 */
export async function followRun<T>(stack: Stack, worker: boolean, fn: () => Promise<T>, watch: readonly string[] = []): Promise<T> {
  const warn = (m: string) => printLine(`warning: ${m}`, process.stderr);
  const stops: Array<() => void> = [];
  if (watch.length > 0) stops.push(reportRetries(stack.client, watch, warn));
  if (!worker) stops.push(warnWhenNoWorker(stack.client, stack.taskQueue, warn));
  stops.push(stopFollowingOnSignal(worker));
  try {
    return worker ? await withLocalWorkers(stack, fn) : await fn();
  } finally {
    for (const stop of stops) stop();
  }
}

/** How long this process's own workers get to finish their running activities after Ctrl-C before the CLI exits. */
export const INTERRUPT_DRAIN_MS = 10_000;

/**
 * Ctrl-C (SIGINT) or SIGTERM while a command follows a run: the run is Temporal's and goes on, so the command stops
 * following and exits with 130, saying where the run is. Temporal's runtime takes those signals to drain this
 * process's workers, and the result the command waits for would otherwise keep it alive: with its own workers it
 * gets INTERRUPT_DRAIN_MS to drain them (an activity cut short is retried by Temporal), without any it exits at once.
 * A second signal exits at once.
 * @returns removes the listeners
 */
function stopFollowingOnSignal(ownWorkers: boolean): () => void {
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(130);
    interrupted = true;
    printLine(
      `interrupted (${signal}): the run goes on in Temporal; \`socialsense runs\` shows it${ownWorkers ? ', and another worker takes over what this one was doing' : ''}`,
      process.stderr,
    );
    if (!ownWorkers) process.exit(130);
    setTimeout(() => process.exit(130), INTERRUPT_DRAIN_MS).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

/** Runs workers of this process until `fn` settles, then drains them. */
export async function withLocalWorkers<T>(stack: Stack, fn: () => Promise<T>): Promise<T> {
  const local = await startWorkers({
    connection: stack.nativeConnection,
    namespace: stack.namespace,
    taskQueue: stack.taskQueue,
    deps: { store: stack.store, db: stack.db },
  });
  try {
    return await fn();
  } finally {
    await local.stop();
  }
}

export async function runPipeline(stack: Stack, input: PipelineInput, id?: string): Promise<{ workflowId: string; summary: PipelineSummary }> {
  const workflowId = id ?? (await pipelineWorkflowId(input));
  const handle = await startOrAttach(
    stack.client,
    socialSensePipeline,
    {
      workflowId,
      taskQueue: stack.taskQueue,
      args: [input],
    },
    { stage: 'pipeline', source: input.source ?? 'simulated', date: input.date },
    { db: stack.db, kind: 'pipeline', input },
  );
  return { workflowId, summary: await handle.result() };
}

export function formatSummary(summary: PipelineSummary, extra: { workflowId: string; uiUrl: string | null }): string {
  const pct = (n: number) => (summary.scored ? ((100 * n) / summary.scored).toFixed(1) : '0.0');
  const lines = [
    // A file's posts fall on their own days: the run's date says nothing about them.
    `SocialSense run ${extra.workflowId} (source ${summary.source}${summary.source === 'file' ? '' : `, up to ${summary.date}`})`,
    `  posts in      ${summary.postsIn}`,
    `  scored        ${summary.scored}`,
    `  filtered      ${summary.filtered} (duplicates ${summary.counts.duplicates}, spam ${summary.counts.filteredSpam}, other language ${summary.counts.filteredLanguage})`,
    `  quarantined   ${summary.quarantined} (kept with their reason in the quarantine zone${summary.counts.quarantinedAtScore ? `; ${summary.counts.quarantinedAtScore} refused by Postgres when scored` : ''})`,
    `  sentiment     positive ${pct(summary.sentiment.positive)}%  neutral ${pct(summary.sentiment.neutral)}%  negative ${pct(summary.sentiment.negative)}%${summary.sentiment.notScored ? `  not scored ${pct(summary.sentiment.notScored)}% (${summary.sentiment.notScored} posts in languages without a sentiment model)` : ''}`,
    `  top hashtags  ${
      summary.topHashtags
        .slice(0, 5)
        .map((h) => `#${h.hashtag} (${h.posts})`)
        .join('  ') || 'none (no scored post has a hashtag)'
    }`,
  ];
  for (const m of summary.merged ?? []) {
    lines.push(
      `  merged        ${m.posts} posts already scored by run ${m.runKey}: merged into their rows, which now carry this run's scores (nothing deleted)`,
    );
  }
  if (extra.uiUrl) lines.push(`  Temporal UI   ${extra.uiUrl}/namespaces/default/workflows/${encodeURIComponent(extra.workflowId)}`);
  return lines.join('\n');
}

/** Reasons shown with a quarantine warning: enough to see what went wrong without an S3 client. */
export const QUARANTINE_EXAMPLES = 3;

/**
 * The first `n` reasons of a run's quarantine, in the order of its quarantine datasets (streamed: a huge quarantine
 * is not read whole). Each reason names the record (line, id) and what to fix, e.g. `line 43: unparseable timestamp …`.
 */
export async function quarantineReasons(store: ObjectStore, summary: Pick<PipelineSummary, 'datasets'>, n = QUARANTINE_EXAMPLES): Promise<string[]> {
  const reasons: string[] = [];
  for (const ref of summary.datasets.quarantine) {
    for await (const chunk of readRecordChunks<{ reason?: unknown }>(store, ref, 100)) {
      for (const q of chunk) {
        if (typeof q.reason === 'string') reasons.push(q.reason);
        if (reasons.length >= n) return reasons;
      }
    }
  }
  return reasons;
}

/**
 * The CLI's side of the quarantine check: a run that quarantined more than `maxShare` of its posts
 * prints a warning on stderr, with the first few reasons (read from the quarantine zone), and makes the command
 * exit with status 3 (it completed, but its result is not to be trusted as it is). Recomputed here from the
 * summary, so attaching to a run started with another threshold still applies this command's.
 * @returns the check, also for the JSON output
 */
export async function enforceQuarantineShare(store: ObjectStore, summary: PipelineSummary, maxShare = DEFAULT_MAX_QUARANTINED_SHARE) {
  const check = checkQuarantineShare(summary.postsIn, summary.quarantined, maxShare);
  if (check.tooManyQuarantined) {
    printLine(`warning: run ${summary.runKey}: ${check.warning}`, process.stderr);
    // The reasons are a convenience: a store that cannot be read now leaves the warning as it is.
    const reasons = await quarantineReasons(store, summary).catch(() => []);
    for (const r of reasons) printLine(`  e.g. ${r}`, process.stderr);
    process.exitCode = QUARANTINE_EXIT_CODE;
  }
  return check;
}

/**
 * Warnings about how a file was read that change what its posts are (summary.read, activities/collect/file.ts):
 * ids a spreadsheet cut to scientific notation were replaced by ids made from the file.
 */
export function readWarnings(summary: Pick<PipelineSummary, 'read'>): string[] {
  const column = summary.read?.idsLostDigits;
  if (typeof column !== 'string') return [];
  return [
    `the id column "${column}" holds numbers in scientific notation (e.g. 1.86253E+18: a spreadsheet cut their digits), so its ids cannot tell posts apart; the posts got ids made from the file and line instead. Save the id column as text to keep the platform's ids`,
  ];
}

/** Exit status of a run that completed with more than the allowed share of its posts quarantined. */
export const QUARANTINE_EXIT_CODE = 3;

/**
 * Exit status of a command that ran but did not do all of it: a retrain with a model that failed to train, a backfill
 * with days that failed. Not 1, which says an option was refused and nothing ran.
 */
export const PARTIAL_EXIT_CODE = 4;

/** Ends a command that ran but did not do all of it: exit status PARTIAL_EXIT_CODE and `warning: …` on stderr (also under --json). */
export function exitPartially(what: string): void {
  process.exitCode = PARTIAL_EXIT_CODE;
  printLine(`warning: ${what} (exit status ${PARTIAL_EXIT_CODE})`, process.stderr);
}
