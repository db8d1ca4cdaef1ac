/**
 * The benchmark's inputs: the real tweets (sentiment-dev.tsv) and N simulated posts from the project's
 * generator. The simulated posts are written once to a JSONL file under .data/bench/ in the flat shape
 * a user would import (the columns the file importer maps by default) and read back in chunks, so a
 * million posts never sit in memory at once. Both reach the stages as collect(file) hands them on.
 */
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { recordToPost, resolveMapping } from '../activities/collect/file';
import { createPopulation, normalizeSimulationOptions, simulateDay, simulateNetwork, simulationDates } from '../activities/collect/simulated/generator';
import { sha256 } from '../lib/datasets';
import { dataDir } from '../lib/paths';
import type { Post } from '../lib/schema';
import { readTableAll, requireColumns } from '../lib/tabular';
import type { ThroughputDataset } from './throughput';

export interface SimulatedCorpusOptions {
  posts: number;
  seed?: number;
  users?: number;
  /** days the posts are spread over: one pipeline partition per day */
  days?: number;
  /** last day, YYYY-MM-DD */
  endDate?: string;
  dir?: string;
}

export interface SimulatedCorpus {
  file: string;
  posts: number;
  days: number;
  bytes: number;
  /** false when an earlier run's file was reused */
  generated: boolean;
  seconds: number;
}

/** Columns of the JSONL records; all of them are mapped by the file importer without a mapping. */
export const SIMULATED_COLUMNS = ['id', 'text', 'created_at', 'author_id', 'author_handle', 'followers', 'lang', 'likes', 'reposts', 'replies'];

/** Expected posts per day relative to postsPerDay: bursting topics (12% of days) weigh 4, plus ~1% re-deliveries. */
const BURST_FACTOR = (1 + 3 * 0.12) * 1.01;

function resolved(opts: SimulatedCorpusOptions) {
  return {
    posts: opts.posts,
    seed: opts.seed ?? 7,
    users: opts.users ?? 5000,
    days: opts.days ?? 30,
    endDate: opts.endDate ?? '2026-11-24',
    dir: opts.dir ?? path.join(dataDir(), 'bench'),
  };
}

/**
 * A digest of a tiny simulation: changes whenever the generator's output does, so a corpus written by
 * an older generator is not reused.
 */
function generatorFingerprint(): string {
  const sample = simulateNetwork({ seed: 1, users: 20, days: 1, postsPerDay: 40 });
  return sha256(JSON.stringify(sample.days)).slice(0, 8);
}

export function simulatedCorpusPath(opts: SimulatedCorpusOptions): string {
  const o = resolved(opts);
  return path.join(o.dir, `simulated-${o.posts}-seed${o.seed}-users${o.users}-days${o.days}-${generatorFingerprint()}.jsonl`);
}

/** The flat record a user's export would hold; malformed generator records keep their broken fields. */
export function flatRecord(record: Post | Record<string, unknown>): Record<string, unknown> {
  const post = record as Partial<Post>;
  const author = (post.author ?? {}) as Partial<Post['author']>;
  return {
    id: String(post.id).replace(/^[a-z]+:/, ''),
    text: post.text,
    created_at: post.created_at,
    author_id: author.id,
    author_handle: author.handle,
    followers: author.followers,
    lang: post.lang,
    likes: post.metrics?.likes,
    reposts: post.metrics?.reposts,
    replies: post.metrics?.replies,
  };
}

/**
 * Writes exactly `posts` simulated records (day by day, so memory holds one day) unless the file
 * already exists. Written under a temporary name and renamed, so an interrupted run leaves no half file.
 */
export async function ensureSimulatedCorpus(opts: SimulatedCorpusOptions, progress: (msg: string) => void = () => {}): Promise<SimulatedCorpus> {
  const o = resolved(opts);
  if (!Number.isInteger(o.posts) || o.posts < 1) throw new Error(`posts must be a positive integer, got ${o.posts}`);
  const file = simulatedCorpusPath(opts);
  const t0 = performance.now();
  if (fs.existsSync(file)) {
    return { file, posts: o.posts, days: countDays(file), bytes: fs.statSync(file).size, generated: false, seconds: 0 };
  }
  fs.mkdirSync(o.dir, { recursive: true });
  // Twice the window: a window with fewer bursts than expected still reaches `posts`.
  const sim = normalizeSimulationOptions({
    seed: o.seed,
    users: o.users,
    endDate: o.endDate,
    days: o.days * 2,
    postsPerDay: Math.max(1, Math.round(o.posts / o.days / BURST_FACTOR)),
  });
  const users = createPopulation(sim);
  const tmp = `${file}.${process.pid}.tmp`;
  const out = fs.createWriteStream(tmp);
  // A write error reaches end()'s callback (or the pending once('drain')); this listener only keeps it from crashing the process.
  out.on('error', () => undefined);
  let written = 0;
  let days = 0;
  for (const date of simulationDates(sim)) {
    if (written >= o.posts) break;
    const day = simulateDay(sim, users, date);
    let text = '';
    for (const record of day.posts) {
      if (written >= o.posts) break;
      text += JSON.stringify(flatRecord(record)) + '\n';
      written++;
    }
    days++;
    // once() rejects on the stream's `error` (a full disk): the failure ends here instead of crashing the process
    if (!out.write(text)) await once(out, 'drain');
    progress(`simulated ${written}/${o.posts} posts (${date})`);
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  if (written < o.posts) throw new Error(`the generator produced ${written} posts in ${days} days, fewer than ${o.posts}`);
  fs.renameSync(tmp, file);
  return { file, posts: written, days, bytes: fs.statSync(file).size, generated: true, seconds: (performance.now() - t0) / 1000 };
}

function countDays(file: string): number {
  // The day of a post is the start of created_at; days are contiguous in the file, so sampling the ends suffices.
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(4096);
    fs.readSync(fd, head, 0, head.length, 0);
    const size = fs.fstatSync(fd).size;
    const tail = Buffer.alloc(Math.min(size, 4096));
    fs.readSync(fd, tail, 0, tail.length, size - tail.length);
    const day = (s: string) => (s.match(/"created_at":"(\d{4}-\d{2}-\d{2})/) ?? [])[1];
    const first = day(head.toString('utf8'));
    const last = day(tail.toString('utf8').trimEnd().split('\n').pop() ?? '');
    return first && last ? Math.round((Date.parse(last) - Date.parse(first)) / 86_400_000) + 1 : 0;
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads a JSONL file as arrays of at most `size` lines (raw strings: the consumer decides where to parse). */
export async function* readLineChunks(file: string, size: number, limit = Infinity): AsyncGenerator<string[]> {
  let chunk: string[] = [];
  let n = 0;
  const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      if (!line) continue;
      if (n++ >= limit) break;
      chunk.push(line);
      if (chunk.length === size) {
        yield chunk;
        chunk = [];
      }
    }
    if (chunk.length > 0) yield chunk;
  } finally {
    // also reached when the consumer stops early: the file is closed either way
    lines.close();
  }
}

/** The first `n` records of a dataset's chunks. */
export async function firstRecords(chunks: AsyncIterable<unknown[]>, n: number): Promise<unknown[]> {
  for await (const chunk of chunks) return chunk.slice(0, n);
  return [];
}

export interface CollectedPosts {
  posts: Post[];
  /** records collect would quarantine (e.g. the generator's deliberately malformed ones) */
  rejected: number;
}

/**
 * Records (objects or JSON lines) mapped to post.v1 exactly as the file importer maps them, `raw`
 * stripped: what collect(file) hands to preprocess.
 */
export function collectPosts(records: readonly unknown[], columns: readonly string[], platform: string): CollectedPosts {
  const mapping = resolveMapping([...columns]);
  const posts: Post[] = [];
  let rejected = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    const record = (typeof r === 'string' ? JSON.parse(r) : r) as Record<string, unknown>;
    const result = recordToPost(record, mapping, platform, `line-${i}`);
    if ('reason' in result) {
      rejected++;
      continue;
    }
    delete (result.post as Partial<Post>).raw;
    posts.push(result.post);
  }
  return { posts, rejected };
}

export interface RealTweets {
  file: string;
  /** rows of the TSV: id, label, source, text */
  records: Record<string, string>[];
  columns: string[];
}

/** sentiment-dev.tsv (SemEval-2016 4A test): real tweets; their Snowflake ids give created_at. */
export async function loadRealTweets(dataDir: string): Promise<RealTweets | { skipped: string }> {
  const file = path.join(dataDir, 'semeval', 'sentiment-dev.tsv');
  if (!fs.existsSync(file)) return { skipped: `${file} not found (set SOCIALSENSE_SHARED_DATA to the shared data folder)` };
  const records = await readTableAll(file);
  requireColumns(file, records, ['id', 'text']);
  return { file, records, columns: Object.keys(records[0]) };
}

/** The real tweets as a throughput dataset: one chunk per pass over all of them. */
export function realTweetsDataset(real: RealTweets): ThroughputDataset {
  return {
    name: 'real tweets (sentiment-dev.tsv)',
    columns: real.columns,
    platform: 'x',
    posts: real.records.length,
    async *chunks(size) {
      for (let i = 0; i < real.records.length; i += size) yield real.records.slice(i, i + size);
    },
    sampleTexts: async (n) => real.records.slice(0, n).map((r) => r.text ?? ''),
  };
}

/** The simulated corpus streamed from its file, at most `limit` posts. */
export function simulatedDataset(corpus: SimulatedCorpus, limit = corpus.posts): ThroughputDataset {
  const posts = Math.min(limit, corpus.posts);
  return {
    name: `simulated (${posts} posts)`,
    columns: SIMULATED_COLUMNS,
    platform: 'bench',
    posts,
    chunks: (size) => readLineChunks(corpus.file, size, posts),
    async sampleTexts(n) {
      const lines = (await firstRecords(readLineChunks(corpus.file, n, n), n)) as string[];
      return lines.map((line) => String((JSON.parse(line) as { text?: unknown }).text ?? ''));
    },
  };
}
