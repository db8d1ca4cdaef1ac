import type { Stack } from '../lib/stack';
import { startWorkers } from '../workers/worker';
import { socialSensePipeline, type PipelineInput, type PipelineSummary } from '../workflows/pipeline';
import { startOrAttach } from './follow';

export function pipelineWorkflowId(input: PipelineInput): string {
  return `pipeline-${input.source ?? 'simulated'}-${input.date ?? 'latest'}`;
}

/** Runs workers of this process until `fn` settles, then drains them. */
export async function withLocalWorkers<T>(stack: Stack, fn: () => Promise<T>): Promise<T> {
  const local = await startWorkers({ connection: stack.nativeConnection, namespace: stack.namespace, taskQueue: stack.taskQueue, deps: { store: stack.store, db: stack.db } });
  try {
    return await fn();
  } finally {
    await local.stop();
  }
}

export async function runPipeline(stack: Stack, input: PipelineInput, workflowId = pipelineWorkflowId(input)): Promise<{ workflowId: string; summary: PipelineSummary }> {
  const handle = await startOrAttach(stack.client, socialSensePipeline, {
    workflowId,
    taskQueue: stack.taskQueue,
    args: [input],
  }, { stage: 'pipeline', source: input.source ?? 'simulated', date: input.date });
  return { workflowId, summary: await handle.result() };
}

export function formatSummary(summary: PipelineSummary, extra: { workflowId: string; uiUrl: string | null }): string {
  const pct = (n: number) => (summary.scored ? ((100 * n) / summary.scored).toFixed(1) : '0.0');
  const lines = [
    `SocialSense run ${extra.workflowId} (source ${summary.source}, up to ${summary.date})`,
    `  posts in      ${summary.postsIn}`,
    `  scored        ${summary.scored}`,
    `  filtered      ${summary.filtered} (duplicates ${summary.counts.duplicates}, spam ${summary.counts.filteredSpam}, other language ${summary.counts.filteredLanguage})`,
    `  quarantined   ${summary.quarantined} (kept with their reason in the quarantine zone)`,
    `  sentiment     positive ${pct(summary.sentiment.positive)}%  neutral ${pct(summary.sentiment.neutral)}%  negative ${pct(summary.sentiment.negative)}%`,
    `  top hashtags  ${summary.topHashtags.slice(0, 5).map((h) => `#${h.hashtag} (${h.posts})`).join('  ')}`,
  ];
  if (extra.uiUrl) lines.push(`  Temporal UI   ${extra.uiUrl}/namespaces/default/workflows/${encodeURIComponent(extra.workflowId)}`);
  return lines.join('\n');
}
