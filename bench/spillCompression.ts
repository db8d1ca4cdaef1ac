/**
 * The gzip level of the file importer's spill files (activities/collect/fileStream.ts `SPILL_GZIP_LEVEL`): the
 * spill files are uploaded as they are, so this level is what the raw and posts zones are stored at, and the import
 * pays the compression for every record twice (its raw JSON and its post.v1).
 *
 *   npx tsx bench/spillCompression.ts [--posts 100000] [--levels 1,2,4,6] [--rounds 3]
 *
 * Input: the bench's simulated corpus (bench/corpus.ts), as the importer spills it: each record's line as read (the
 * raw zone) and its post.v1 JSON (the posts zone), cut into members of SPILL_CHUNK_CHARS like PartitionSpill cuts
 * them, compressed with zlib on this thread. Reported per level: CPU µs per post (both zones; the fastest of
 * `--rounds`, all levels taking turns in each round), MB/s of input, the stored size and its ratio to level 6's.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { Command } from 'commander';
import { SPILL_CHUNK_CHARS } from '../activities/collect/fileStream';
import { collectPosts, ensureSimulatedCorpus, readLineChunks } from './corpus';

interface LevelResult {
  level: number;
  cpuMicrosPerPost: number;
  inputMBPerSecond: number;
  storedMB: number;
  sizeVsLevel6: number | null;
}

/** The members PartitionSpill would write for these lines: newline-joined, cut at SPILL_CHUNK_CHARS characters. */
function members(lines: readonly string[]): Buffer[] {
  const out: Buffer[] = [];
  let buf: string[] = [];
  let chars = 0;
  for (const line of lines) {
    buf.push(line);
    chars += line.length + 1;
    if (chars >= SPILL_CHUNK_CHARS) {
      out.push(Buffer.from(buf.join('\n') + '\n'));
      buf = [];
      chars = 0;
    }
  }
  if (buf.length > 0) out.push(Buffer.from(buf.join('\n') + '\n'));
  return out;
}

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

export async function measureSpillCompression(opts: {
  posts: number;
  levels: number[];
  rounds: number;
}): Promise<{ posts: number; inputMB: number; levels: LevelResult[] }> {
  const corpus = await ensureSimulatedCorpus({ posts: opts.posts });
  const raw: string[] = [];
  for await (const chunk of readLineChunks(corpus.file, 10_000)) raw.push(...chunk);
  const { posts } = collectPosts(raw, ['id', 'text', 'created_at', 'author_id', 'author_handle', 'followers', 'lang', 'likes', 'reposts', 'replies'], 'file');
  const input = [...members(raw), ...members(posts.map((p) => JSON.stringify(p)))];
  const inputBytes = input.reduce((n, b) => n + b.length, 0);
  const best = new Map<number, { micros: number; stored: number }>();
  for (let round = 0; round < opts.rounds; round++) {
    for (const level of opts.levels) {
      const t0 = cpuMicros();
      let stored = 0;
      for (const m of input) stored += zlib.gzipSync(m, { level }).length;
      const micros = cpuMicros() - t0;
      const prior = best.get(level);
      if (!prior || micros < prior.micros) best.set(level, { micros, stored });
    }
  }
  const level6 = best.get(6)?.stored ?? null;
  return {
    posts: raw.length,
    inputMB: inputBytes / 1e6,
    levels: opts.levels.map((level) => {
      const { micros, stored } = best.get(level)!;
      return {
        level,
        cpuMicrosPerPost: micros / raw.length,
        inputMBPerSecond: inputBytes / micros,
        storedMB: stored / 1e6,
        sizeVsLevel6: level6 === null ? null : stored / level6,
      };
    }),
  };
}

const list = (v: string) => v.split(',').map((x) => Number(x.trim()));

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const o = new Command()
    .option('--posts <n>', 'simulated posts', (v) => Number(v), 100_000)
    .option('--levels <list>', 'gzip levels to compare', list, [1, 2, 4, 6])
    .option('--rounds <n>', 'rounds (the fastest is kept)', (v) => Number(v), 3)
    .parse()
    .opts<{ posts: number; levels: number[]; rounds: number }>();
  const r = await measureSpillCompression(o);
  console.log(`${r.posts} posts, ${r.inputMB.toFixed(1)} MB of spill lines (raw + posts zones)`);
  console.log('| gzip level | CPU µs/post | input MB/s | stored MB | size vs level 6 |');
  console.log('|---|---|---|---|---|');
  for (const l of r.levels)
    console.log(
      `| ${l.level} | ${l.cpuMicrosPerPost.toFixed(1)} | ${l.inputMBPerSecond.toFixed(0)} | ${l.storedMB.toFixed(1)} | ${l.sizeVsLevel6?.toFixed(2) ?? '–'} |`,
    );
}
