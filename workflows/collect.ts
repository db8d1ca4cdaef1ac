import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { IoActivities } from '../activities';
import type { CollectResult } from '../activities/collect/types';
import type { ColumnMapping, FileFormat } from '../activities/collect/file';
import { addDays, ISO_DAY, yesterday } from '../lib/dates';
import { invalidInput, NON_RETRYABLE_TYPES } from '../lib/failures';
import { SIMULATED_DEFAULTS } from './runIdentity';

export interface CollectInput {
  /** simulated | file | x | facebook | instagram | mastodon | bluesky | reddit */
  source?: string;
  /** last day collected, YYYY-MM-DD (UTC); default: yesterday */
  date?: string;
  /** days in the window ending at `date` */
  days?: number;
  /** simulated: posts per day (before bursts); platforms: the most posts to fetch */
  posts?: number;
  seed?: number;
  users?: number;
  /** platform search query, hashtag, page or subreddit */
  query?: string;
  /**
   * platforms: the instance of a federated platform (Mastodon) when not its default, as configured where the run is
   * started (activities/collect/platformActivities.ts instanceInput); part of the run's identity, and a worker
   * configured for another instance refuses the run
   */
  instance?: string;
  /** platforms: first day (inclusive); default: the window of `days` ending at `date` */
  since?: string;
  /** platforms: end of the window (exclusive); default: the day after `date` */
  until?: string;
  /** `maxPartitionPosts`: a day with more posts is stored as parts (activities/collect/file.ts; default 100,000) */
  file?: { path: string; format?: FileFormat; mapping?: ColumnMapping; platform?: string; maxPartitionPosts?: number };
  /** business key of the run this collection belongs to */
  runKey?: string;
}

const io = proxyActivities<IoActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
});

// Platforms: rate-limit waits are retries (with the reset as delay), so attempts must leave room for them.
const platforms = proxyActivities<IoActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 40 },
});

export const PLATFORM_SOURCES = ['x', 'facebook', 'instagram', 'mastodon', 'bluesky', 'reddit'];

/** Collects one source for a window of days and returns references to the stored partitions. */
export async function collect(input: CollectInput = {}): Promise<CollectResult> {
  const source = input.source ?? 'simulated';
  const date = input.date ?? yesterday();
  const days = input.days ?? 1;
  const runKey = input.runKey ?? workflowInfo().workflowId;
  if (!ISO_DAY.test(date)) throw invalidInput(`date must be YYYY-MM-DD, got "${date}"`);
  switch (source) {
    case 'simulated':
      return io.collectSimulated({
        runKey,
        endDate: date,
        days,
        postsPerDay: input.posts ?? SIMULATED_DEFAULTS.posts,
        seed: input.seed ?? SIMULATED_DEFAULTS.seed,
        users: input.users ?? SIMULATED_DEFAULTS.users,
      });
    case 'file': {
      if (!input.file?.path) throw invalidInput('source "file" needs file.path (a CSV, TSV or JSONL file the worker can read)');
      return io.importFile({ ...input.file, runKey });
    }
    default:
      if (!PLATFORM_SOURCES.includes(source)) {
        throw invalidInput(`unknown source "${source}"; known: simulated, file, ${PLATFORM_SOURCES.join(', ')}`);
      }
      if (!input.query) throw invalidInput(`source "${source}" needs a query (see \`socialsense sources\`)`);
      return platforms.collectPlatform({
        runKey,
        source,
        query: input.query,
        since: input.since ?? addDays(date, 1 - days),
        until: input.until ?? addDays(date, 1),
        maxPosts: input.posts,
        ...(input.instance ? { instance: input.instance } : {}),
      });
  }
}
