/**
 * The near-duplicate spam filter on real tweets: how many ordinary posts it removes.
 *
 * The SemEval tweets (all three files, each tweet once) are ordinary posts, so everything the filter
 * removes from them is a candidate false positive. Real data does repeat itself, though (manual
 * retweets "RT @x: …", headlines that many feed accounts post verbatim, copy-pasted fan messages), so
 * every removed post is also sorted into:
 *   - retweet: the text is a manual retweet or quote ("RT @x", "via @x", "@x: …" at the start);
 *   - copy: it shares a verbatim run of content words (no function words, links or mentions) with
 *     another member of its cluster (6 words, or all of the shorter post's): text that was copied,
 *     not written twice independently;
 *   - lookAlike: neither; posts that only resemble each other. These are the false positives.
 * `falsePositiveRate` = lookAlike / posts; `removedShare` = removed / posts is the raw upper bound.
 *
 * Partitions are what the pipeline filters within: the posts of one UTC day (created_at from the
 * Snowflake ids, as the file importer maps them), and, as a second view, fixed-size partitions of the
 * posts in time order (the benchmark's 33,334-post days).
 *
 * It also measures the filter's speed on one simulated partition with and without the early exit in
 * the signature comparison (the results must be identical) and its precision and recall on the
 * generator's planted campaigns.
 *
 *   npx tsx bench/spamFalsePositives.ts [dataDir]
 */
import fs from 'node:fs';
import path from 'node:path';
import { simulateNetwork } from '../activities/collect/simulated/generator';
import { preprocessPosts, SPAM_CLUSTER_SIZE } from '../models/pipeline/preprocess';
import { sharedDataDir } from '../lib/paths';
import type { Post } from '../lib/schema';
import { readTableAll, requireColumns } from '../lib/tabular';
import { findNearDuplicates } from '../models/text/nearDuplicates';
import { extractTerms } from '../models/topics/terms';
import { normalizeText } from '../models/text/normalize';
import { precisionRecall } from '../models/users/bots';
import { collectPosts } from './corpus';
import { isMain, runStandalone } from './standalone';

const FILES = ['sentiment-train.tsv', 'sentiment-dev.tsv', 'topics-dev.tsv'];
/** posts per fixed-size partition: the benchmark corpus's posts per day */
export const FIXED_PARTITION = 33_334;
/** consecutive identical content words that mark a copy */
export const COPY_RUN_WORDS = 6;

export type RemovedKind = 'retweet' | 'copy' | 'lookAlike';

export interface PartitionedResult {
  partitioning: string;
  partitions: number;
  posts: number;
  removed: number;
  removedShare: number;
  byKind: Record<RemovedKind, number>;
  falsePositiveRate: number;
}

export interface SpamBench {
  realTweets: PartitionedResult & {
    files: string[];
    fixedSize: PartitionedResult;
    /** up to 20 removed look-alikes (the false positives), with their cluster's first text */
    lookAlikeExamples: Array<{ text: string; clusterFirst: string }>;
    /** up to 10 of the largest removed clusters, first 3 texts each */
    largestClusters: Array<{ size: number; kinds: Partial<Record<RemovedKind, number>>; texts: string[] }>;
  };
  simulated: { postsPerDay: number; seeds: number[]; precision: number; recall: number; removed: number; posts: number };
  throughput: { posts: number; postsPerSecond: number; postsPerSecondWithoutEarlyExit: number; earlyExitSpeedup: number; identical: boolean };
  seconds: number;
}

const RETWEET_RE = /(?:^|[\s"“'])(?:rt|mt)\s*:?\s*@\w|\bvia\s+@\w|^["“']*@\w+\s*:/i;

/** Longest run of consecutive equal tokens (dynamic programming over the two token lists). */
export function longestCommonRun(a: readonly string[], b: readonly string[]): number {
  let best = 0;
  let prev = new Int32Array(b.length + 1);
  let cur = new Int32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1] + 1 : 0;
      if (cur[j] > best) best = cur[j];
    }
    [prev, cur] = [cur, prev];
  }
  return best;
}

/** Why a removed post was removed, judged against the other members of its cluster (at most 50 of them). */
export function classifyRemoved(text: string, others: readonly string[]): RemovedKind {
  if (RETWEET_RE.test(text)) return 'retweet';
  // Content words (the topic model's terms: no links, mentions, numbers or function words), so a
  // shared run means shared wording, and the judgement does not depend on how the filter shingles.
  const words = extractTerms(text);
  for (const other of others.slice(0, 50)) {
    const ow = extractTerms(other);
    const needed = Math.min(COPY_RUN_WORDS, words.length, ow.length);
    if (needed > 0 && longestCommonRun(words, ow) >= needed) return 'copy';
  }
  return 'lookAlike';
}

interface Removal {
  text: string;
  kind: RemovedKind;
  cluster: string[];
}

/** Runs preprocess's spam filter on each partition and classifies what it removed. */
function filterPartitions(partitions: Post[][], partitioning: string): { result: PartitionedResult; removals: Removal[] } {
  const removals: Removal[] = [];
  let posts = 0;
  for (const partition of partitions) {
    // preprocess normalises in place; a copy keeps the caller's posts for the other partitioning
    const { spam, clean } = preprocessPosts(partition.map((p) => ({ ...p })));
    posts += clean.length + spam.length;
    const byCluster = new Map<string, string[]>();
    for (const s of spam) {
      const key = /cluster (\S+)\)/.exec(s.reason)?.[1] ?? s.post.id;
      (byCluster.get(key) ?? byCluster.set(key, []).get(key)!).push(s.post.text);
    }
    for (const texts of byCluster.values()) {
      texts.forEach((text, i) =>
        removals.push({
          text,
          kind: classifyRemoved(
            text,
            texts.filter((_, j) => j !== i),
          ),
          cluster: texts,
        }),
      );
    }
  }
  const byKind: Record<RemovedKind, number> = { retweet: 0, copy: 0, lookAlike: 0 };
  for (const r of removals) byKind[r.kind]++;
  const round = (x: number) => Number(x.toFixed(5));
  return {
    result: {
      partitioning,
      partitions: partitions.length,
      posts,
      removed: removals.length,
      removedShare: round(removals.length / Math.max(1, posts)),
      byKind,
      falsePositiveRate: round(byKind.lookAlike / Math.max(1, posts)),
    },
    removals,
  };
}

async function loadTweets(dataDir: string): Promise<{ files: string[]; posts: Post[] } | { skipped: string }> {
  const dir = path.join(dataDir, 'semeval');
  const files = FILES.map((f) => path.join(dir, f)).filter((f) => fs.existsSync(f));
  if (files.length === 0) return { skipped: `no SemEval files in ${dir} (set SOCIALSENSE_SHARED_DATA to the shared data folder)` };
  const seen = new Set<string>();
  const records: Array<{ id: string; text: string }> = [];
  for (const file of files) {
    const rows = await readTableAll(file);
    requireColumns(file, rows, ['id', 'text']);
    for (const r of rows) {
      if (seen.has(r.id)) continue; // topics-dev shares most of its ids with sentiment-dev
      seen.add(r.id);
      records.push({ id: r.id, text: r.text });
    }
  }
  const { posts } = collectPosts(records, ['id', 'text'], 'x');
  // The tweets are English; giving the language skips detection, which plays no part in the filter.
  for (const p of posts) p.lang = 'en';
  return { files: files.map((f) => path.basename(f)), posts };
}

function simulatedQuality(postsPerDay: number, seeds: number[]): SpamBench['simulated'] {
  const predicted: boolean[] = [];
  const truth: boolean[] = [];
  for (const seed of seeds) {
    const day = simulateNetwork({ days: 1, postsPerDay, seed }).days[0];
    const bot = new Map(day.truth.map((t) => [t.id, t.bot]));
    const { clean, spam } = preprocessPosts(day.posts);
    for (const p of clean) {
      predicted.push(false);
      truth.push(bot.get(p.id)!);
    }
    for (const s of spam) {
      predicted.push(true);
      truth.push(bot.get(s.post.id)!);
    }
  }
  const pr = precisionRecall(predicted, truth);
  return {
    postsPerDay,
    seeds,
    precision: Number(pr.precision.toFixed(4)),
    recall: Number(pr.recall.toFixed(4)),
    removed: predicted.filter(Boolean).length,
    posts: predicted.length,
  };
}

/** One simulated partition the size of a benchmark day, timed with and without the early exit (median of 3 each, interleaved). */
function filterThroughput(postsPerDay = 25_000): SpamBench['throughput'] {
  const day = simulateNetwork({ days: 1, postsPerDay, users: 5000, seed: 7 }).days[0];
  const items = day.posts.flatMap((p, i) => (day.truth[i].malformed ? [] : [{ id: `${String(p.id)}#${i}`, text: normalizeText(String(p.text)) }]));
  const time = (earlyExit: boolean) => {
    const t0 = performance.now();
    const result = findNearDuplicates(items, { earlyExit });
    return { ms: performance.now() - t0, result };
  };
  time(true); // JIT warm-up
  const fast: number[] = [];
  const full: number[] = [];
  let identical = true;
  for (let r = 0; r < 3; r++) {
    const a = time(true);
    const b = time(false);
    fast.push(a.ms);
    full.push(b.ms);
    identical &&= JSON.stringify(a.result) === JSON.stringify(b.result);
  }
  const median = (xs: number[]) => xs.sort((x, y) => x - y)[1];
  const perSecond = (ms: number) => Math.round(items.length / (ms / 1000));
  return {
    posts: items.length,
    postsPerSecond: perSecond(median(fast)),
    postsPerSecondWithoutEarlyExit: perSecond(median(full)),
    earlyExitSpeedup: Number((median(full) / median(fast)).toFixed(2)),
    identical,
  };
}

export async function benchSpamFalsePositives(dataDir: string = sharedDataDir()): Promise<SpamBench | { skipped: string }> {
  const t0 = performance.now();
  const loaded = await loadTweets(dataDir);
  if ('skipped' in loaded) return loaded;
  const byDay = new Map<string, Post[]>();
  for (const p of loaded.posts) {
    const day = p.created_at.slice(0, 10);
    (byDay.get(day) ?? byDay.set(day, []).get(day)!).push(p);
  }
  const ordered = [...loaded.posts].sort((a, b) => a.created_at.localeCompare(b.created_at));
  const fixed: Post[][] = [];
  for (let i = 0; i < ordered.length; i += FIXED_PARTITION) fixed.push(ordered.slice(i, i + FIXED_PARTITION));

  const days = filterPartitions([...byDay.values()], `one partition per UTC day of created_at (Snowflake id time), cluster size >= ${SPAM_CLUSTER_SIZE}`);
  const sized = filterPartitions(fixed, `fixed partitions of ${FIXED_PARTITION} posts in time order, cluster size >= ${SPAM_CLUSTER_SIZE}`);
  const clusters = new Map<string[], Removal[]>();
  for (const r of days.removals) (clusters.get(r.cluster) ?? clusters.set(r.cluster, []).get(r.cluster)!).push(r);
  const largestClusters = [...clusters.values()]
    .sort((a, b) => b.length - a.length)
    .slice(0, 10)
    .map((rs) => {
      const kinds: Partial<Record<RemovedKind, number>> = {};
      for (const r of rs) kinds[r.kind] = (kinds[r.kind] ?? 0) + 1;
      return { size: rs.length, kinds, texts: rs.slice(0, 3).map((r) => r.text) };
    });
  return {
    realTweets: {
      files: loaded.files,
      ...days.result,
      fixedSize: sized.result,
      lookAlikeExamples: days.removals
        .filter((r) => r.kind === 'lookAlike')
        .slice(0, 20)
        .map((r) => ({ text: r.text, clusterFirst: r.cluster[0] })),
      largestClusters,
    },
    simulated: simulatedQuality(5000, [21, 3]),
    throughput: filterThroughput(),
    seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
  };
}

/** The rows bench/results.ts puts in latest.md. */
export function spamMarkdown(r: SpamBench): string {
  const row = (x: PartitionedResult) =>
    `| ${x.partitioning} | ${x.partitions} | ${x.posts.toLocaleString('en-US')} | ${x.removed} (${(x.removedShare * 100).toFixed(2)}%) | ${x.byKind.retweet} | ${x.byKind.copy} | ${x.byKind.lookAlike} | ${(x.falsePositiveRate * 100).toFixed(3)}% |`;
  return [
    `Real tweets (${r.realTweets.files.join(', ')}, each id once): what the spam filter removes from ordinary posts`,
    '',
    '| partitions | count | posts | removed | retweets | verbatim copies | look-alikes | falsePositiveRate |',
    '|---|---|---|---|---|---|---|---|',
    row(r.realTweets),
    row(r.realTweets.fixedSize),
    '',
    `Simulated planted campaigns (${r.simulated.postsPerDay} posts/day, seeds ${r.simulated.seeds.join(', ')}): precision ${r.simulated.precision}, recall ${r.simulated.recall}`,
    '',
    `Filter speed on one simulated partition of ${r.throughput.posts.toLocaleString('en-US')} posts (one core): ${r.throughput.postsPerSecond.toLocaleString('en-US')} posts/s; without the early exit ${r.throughput.postsPerSecondWithoutEarlyExit.toLocaleString('en-US')} posts/s (${r.throughput.earlyExitSpeedup}×, identical results: ${r.throughput.identical})`,
  ].join('\n');
}

if (isMain(import.meta.url)) await runStandalone('spam', benchSpamFalsePositives, spamMarkdown);
