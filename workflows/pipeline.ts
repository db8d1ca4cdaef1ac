import { CancellationScope, executeChild, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { IoActivities } from '../activities';
import type { DatasetRef } from '../lib/schema';
import { collect, type CollectInput } from './collect';
import { yesterday } from '../lib/dates';
import { mapConcurrently } from './concurrency';
import { accountingError } from '../lib/failures';
import { runEndOf } from './runEnd';
import { mlActivities } from './mlActivities';

export interface PipelineInput extends Omit<CollectInput, 'runKey'> {
  /** keep only these languages (ISO 639-1); default: keep all */
  languages?: string[] | null;
  /**
   * The share of posts (0–1) that may be quarantined before the run is flagged (`tooManyQuarantined`,
   * a warning, and a non-zero exit of the CLI); default 0.5. Not part of the run's identity.
   */
  maxQuarantinedShare?: number;
}

/** Default of PipelineInput.maxQuarantinedShare. */
export const DEFAULT_MAX_QUARANTINED_SHARE = 0.5;

export interface QuarantineCheck {
  /** quarantined / postsIn (0 when nothing came in) */
  quarantineShare: number;
  /** the share is above the allowed one */
  tooManyQuarantined: boolean;
  /** one line for people when flagged */
  warning: string | null;
}

/**
 * Whether a run quarantined more than it may: a run that loses most of its rows to quarantine has
 * probably been given the wrong file, mapping or option, and must not look like a success.
 * @param maxShare allowed share in [0, 1]; the run is flagged when the share is strictly above it
 */
export function checkQuarantineShare(postsIn: number, quarantined: number, maxShare = DEFAULT_MAX_QUARANTINED_SHARE): QuarantineCheck {
  const quarantineShare = postsIn > 0 ? quarantined / postsIn : 0;
  const tooManyQuarantined = quarantineShare > maxShare;
  const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
  return {
    quarantineShare,
    tooManyQuarantined,
    warning: tooManyQuarantined
      ? `${quarantined} of ${postsIn} posts (${pct(quarantineShare)}) were quarantined, more than the allowed ${pct(maxShare)}: see the reasons in the quarantine zone (datasets.quarantine)`
      : null,
  };
}

export interface PipelineSummary {
  runKey: string;
  source: string;
  date: string;
  postsIn: number;
  quarantined: number;
  filtered: number;
  scored: number;
  counts: {
    collected: number;
    quarantinedAtCollect: number;
    quarantinedAtPreprocess: number;
    /** posts Postgres refused when their scores were written (kept with the reason) */
    quarantinedAtScore: number;
    duplicates: number;
    filteredLanguage: number;
    filteredSpam: number;
    /** posts whose text or fields the sanitiser changed (control characters, NUL, bidi overrides…); still scored */
    sanitized: number;
  };
  /** how the input was read (a file: its sniffed delimiter, columns, date order, `idsAreRowNumbers`); absent for other sources */
  read?: Record<string, unknown>;
  /** posts per sentiment label; notScored: posts in a language without a sentiment model (absent in runs recorded before it) */
  sentiment: Record<'negative' | 'neutral' | 'positive', number> & { notScored?: number };
  topHashtags: Array<{ hashtag: string; posts: number }>;
  /** the model versions that scored the posts */
  models: { sentiment: string; topics: string | null };
  /** other runs that had already scored some of this run's posts: those rows now carry this run's scores */
  merged: Array<{ runKey: string; posts: number }>;
  /** quarantined / postsIn */
  quarantineShare: number;
  /** more than `maxQuarantinedShare` of the posts were quarantined */
  tooManyQuarantined: boolean;
  warnings: string[];
  /** one entry per (source, day) partition, or per part of a day collected as several, in date order */
  datasets: { partitions: DatasetRef[]; clean: DatasetRef[]; features: DatasetRef[]; quarantine: DatasetRef[] };
}

/**
 * The `partition` label of post_scores / post_score_runs and of the profile units: `source/day`, or
 * `source/day/part-N` (N 0-based) for one part of a day collected as several parts. Each label is
 * scored by one activity, so score's clean-up of this run's stale claims (per run and label) only
 * ever sees its own part; readers take the source and day from the first two segments.
 */
export function partitionLabel(source: string, date: string, part: number | null): string {
  return part === null ? `${source}/${date}` : `${source}/${date}/part-${part}`;
}

/** Partitions (or parts) processed at once; each is an independent preprocess → features → score chain. */
const PARTITION_CONCURRENCY = 8;

const catalog = proxyActivities<IoActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 20 },
});

/** The end-to-end run: collect → preprocess → features → score. Moves references, never rows. */
export async function socialSensePipeline(input: PipelineInput = {}): Promise<PipelineSummary> {
  const runKey = workflowInfo().workflowId;
  const source = input.source ?? 'simulated';
  const date = input.date ?? yesterday();
  const ml = mlActivities();
  await catalog.recordRunStart({ runKey, kind: 'pipeline', input });
  try {
    const collected = await executeChild(collect, {
      workflowId: `${runKey}-collect`,
      args: [{ ...input, source, date, runKey }],
    });
    const languages = input.languages ?? null;
    // Partitions (source × day) are the unit of parallelism: more workers, more partitions at once. A big
    // day comes as several parts (collect assigns posts to parts by a hash of their id), each its own chain.
    const perPartition = await mapConcurrently(collected.partitions, PARTITION_CONCURRENCY, async (p) => {
      const pre = await ml.preprocess({ runKey, source, date: p.date, inputs: [p.posts], languages });
      const { features, models } = await ml.extractFeatures({ runKey, source, date: p.date, clean: pre.clean });
      // Added with parts: runs recorded before never have one, so they replay without reaching the marker.
      const part = p.part !== undefined && patched('partition-parts') ? p.part : null;
      const partition = partitionLabel(source, p.date, part);
      const scored = await ml.scorePosts({ runKey, partition, features, topicModel: models.topics });
      // Added after the first release: runs recorded before it replay without this step.
      if (patched('incremental-user-profiles')) {
        // A day's engagements are folded once, with its first part (or the whole day): never once per part.
        const engagements = part === null || part === 0 ? (collected.extras?.[`engagements:${p.date}`] ?? null) : null;
        await ml.updateUserProfiles({ partition, features, engagements });
      }
      return { pre, features, scored, models };
    });
    const sum = (f: (r: (typeof perPartition)[number]) => number) => perPartition.reduce((acc, r) => acc + f(r), 0);
    const overview = await catalog.summarizeRun({ runKey });
    // Results recorded before scoring could quarantine or merge lack those fields: they count as none.
    const quarantinedAtScore = sum((r) => r.scored.quarantined ?? 0);
    const quarantined = collected.counts.quarantined + sum((r) => r.pre.counts.quarantined) + quarantinedAtScore;
    const merged = new Map<string, number>();
    for (const r of perPartition) for (const m of r.scored.mergedFrom ?? []) merged.set(m.runKey, (merged.get(m.runKey) ?? 0) + m.posts);
    const check = checkQuarantineShare(collected.counts.in, quarantined, input.maxQuarantinedShare ?? DEFAULT_MAX_QUARANTINED_SHARE);
    const summary: PipelineSummary = {
      runKey,
      source,
      date,
      postsIn: collected.counts.in,
      quarantined,
      filtered: sum((r) => r.pre.counts.duplicates + r.pre.counts.filteredLanguage + r.pre.counts.filteredSpam),
      scored: sum((r) => r.scored.scored),
      counts: {
        collected: collected.counts.in,
        quarantinedAtCollect: collected.counts.quarantined,
        quarantinedAtPreprocess: sum((r) => r.pre.counts.quarantined),
        quarantinedAtScore,
        duplicates: sum((r) => r.pre.counts.duplicates),
        filteredLanguage: sum((r) => r.pre.counts.filteredLanguage),
        filteredSpam: sum((r) => r.pre.counts.filteredSpam),
        sanitized: sum((r) => r.pre.counts.sanitized ?? 0),
      },
      ...(collected.read ? { read: collected.read } : {}),
      sentiment: overview.sentiment,
      topHashtags: overview.topHashtags,
      models: perPartition[0]?.models ?? { sentiment: 'lexicon.v1', topics: null },
      merged: [...merged].map(([key, posts]) => ({ runKey: key, posts })),
      quarantineShare: check.quarantineShare,
      tooManyQuarantined: check.tooManyQuarantined,
      warnings: check.warning ? [check.warning] : [],
      datasets: {
        partitions: collected.partitions.map((p) => p.posts),
        clean: perPartition.map((r) => r.pre.clean),
        features: perPartition.map((r) => r.features),
        quarantine: [collected.quarantine, ...perPartition.flatMap((r) => [r.pre.quarantine, r.scored.quarantine ?? null])].filter(
          (q): q is DatasetRef => q !== null,
        ),
      },
    };
    if (overview.scored !== summary.scored) {
      throw accountingError(`post_scores holds ${overview.scored} rows for ${runKey}, the stages scored ${summary.scored}`);
    }
    if (summary.postsIn !== summary.scored + summary.filtered + summary.quarantined) {
      // Accounting is the pipeline's promise that nothing is lost silently; a gap is a bug, not a retryable fault.
      throw accountingError(`post accounting does not add up: ${JSON.stringify(summary.counts)} scored=${summary.scored}`);
    }
    await catalog.recordRunEnd({ runKey, status: 'completed', summary });
    return summary;
  } catch (err) {
    // Recorded even when the run was cancelled, so the catalog never shows a dead run as running.
    await CancellationScope.nonCancellable(() =>
      // The root cause with its type, not the wrapper's `Child Workflow execution failed`.
      catalog.recordRunEnd({ runKey, ...runEndOf(err) }),
    );
    throw err;
  }
}
