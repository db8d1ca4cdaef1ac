/**
 * Memory and speed of the file importer (activities/collect/file.ts `importFile`) against the buffering importer it
 * replaced (bench/baselines/importFileV1.ts), on the same simulated files, in one run.
 *
 *   npx tsx bench/importMemory.ts [--sizes 100000,300000] [--formats jsonl,json] [--impls v1,v2] [--rounds 1] [--max-partition-posts N]
 *
 * Each import runs in a child process of its own, so its peak resident set (the kernel's maxrss,
 * `process.resourceUsage().maxRSS`, not a sampled value) is that import's alone. The objects go to a LocalObjectStore
 * in a temporary folder and the catalog is a Db that accepts the rows: the figures are the importer's, not MinIO's.
 * Reported per (format, size, importer): posts/s, posts per CPU second (user + system of the child, all its threads:
 * steadier than wall time on a loaded machine), peak RSS, peak RSS above the child's RSS before the import, and
 * that growth per MB of input. A bounded importer's growth stays flat as the file grows; the old one grows with it.
 * With `--rounds N` the importers take turns N times on each file (v1, v2, v1, v2, …) and the median posts/s and the
 * highest peak are reported, so a load change on a shared machine hits both alike.
 * Inputs: the bench's simulated corpus (bench/corpus.ts, JSONL under .data/bench/), and for `json` the same records
 * as one top-level JSON array (written next to it once).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Db } from '../lib/db';
import { LocalObjectStore } from '../lib/objectStore';
import { ensureSimulatedCorpus } from './corpus';

type Impl = 'v1' | 'v2';
type Format = 'jsonl' | 'json';

interface ChildResult {
  impl: Impl;
  posts: number;
  partitions: number;
  seconds: number;
  /** user + system CPU seconds of the whole process during the import (main thread and zlib's thread pool) */
  cpuSeconds: number;
  rssBeforeMb: number;
  peakRssMb: number;
}

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

async function child(impl: Impl, file: string, maxPartitionPosts: number | undefined): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'socialsense-import-memory-'));
  try {
    const store = new LocalObjectStore(path.join(tmp, 'objects'));
    const db = { query: async () => ({ rows: [] }) } as unknown as Db;
    const importer =
      impl === 'v1'
        ? (await import('./baselines/importFileV1')).createFileCollectActivitiesV1({ store, db })
        : (await import('../activities/collect/file')).createFileCollectActivities({ store, db });
    const rssBefore = process.memoryUsage().rss;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const result = await importer.importFile({
      path: file,
      runKey: 'bench-import-memory',
      platform: 'bench',
      ...(maxPartitionPosts ? { maxPartitionPosts } : {}),
    });
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const out: ChildResult = {
      impl,
      posts: result.counts.in - result.counts.quarantined,
      partitions: result.partitions.length,
      seconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      rssBeforeMb: mb(rssBefore),
      peakRssMb: mb(process.resourceUsage().maxRSS * 1024),
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** The JSONL file's records as one top-level JSON array (pretty enough that each record is on its own line). */
async function asJsonArray(jsonl: string): Promise<string> {
  const out = jsonl.replace(/\.jsonl$/, '.array.json');
  if (fs.existsSync(out)) return out;
  const tmp = `${out}.${process.pid}.tmp`;
  const w = fs.createWriteStream(tmp);
  w.write('[\n');
  let first = true;
  for await (const line of readline.createInterface({ input: fs.createReadStream(jsonl), crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    if (!w.write(`${first ? '' : ',\n'}${line}`)) await new Promise((r) => w.once('drain', r));
    first = false;
  }
  w.write('\n]\n');
  await new Promise<void>((resolve, reject) => w.end((err?: Error | null) => (err ? reject(err) : resolve())));
  fs.renameSync(tmp, out);
  return out;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') {
    const max = process.argv[5] ? Number(process.argv[5]) : undefined;
    await child(process.argv[3] as Impl, process.argv[4], max);
    return;
  }
  const sizes = (arg('sizes') ?? '100000,300000').split(',').map(Number);
  const formats = (arg('formats') ?? 'jsonl,json').split(',') as Format[];
  const impls = (arg('impls') ?? 'v1,v2').split(',') as Impl[];
  const maxPartitionPosts = arg('max-partition-posts');
  const rounds = Number(arg('rounds') ?? 1);
  const self = fileURLToPath(import.meta.url);
  const tsx = path.join(path.dirname(self), '..', 'node_modules', '.bin', 'tsx');
  console.log(
    `load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}, ${os.cpus().length} cores`,
  );
  const ratios: string[] = [];
  console.log('| format | posts | input MB | importer | posts/s | posts per CPU s | peak RSS MB | growth MB | growth per input MB | partitions |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const format of formats) {
    for (const size of sizes) {
      const corpus = await ensureSimulatedCorpus({ posts: size });
      const file = format === 'json' ? await asJsonArray(corpus.file) : corpus.file;
      const inputMb = mb(fs.statSync(file).size);
      const runs = new Map<Impl, ChildResult[]>(impls.map((impl) => [impl, []]));
      for (let round = 0; round < rounds; round++) {
        for (const impl of impls) {
          const args = [self, '--child', impl, file, ...(maxPartitionPosts ? [maxPartitionPosts] : [])];
          const text = execFileSync(tsx, args, { encoding: 'utf8', maxBuffer: 16 * 2 ** 20, stdio: ['ignore', 'pipe', 'inherit'] });
          runs.get(impl)!.push(JSON.parse(text.trim().split('\n').pop()!) as ChildResult);
        }
      }
      const figures = new Map<Impl, { rate: number; perCpu: number; growth: number }>();
      for (const impl of impls) {
        const rs = runs.get(impl)!;
        const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
        const rate = median(rs.map((r) => r.posts / r.seconds));
        const perCpu = median(rs.map((r) => r.posts / r.cpuSeconds));
        const worst = rs.reduce((a, b) => (b.peakRssMb - b.rssBeforeMb > a.peakRssMb - a.rssBeforeMb ? b : a));
        const growth = worst.peakRssMb - worst.rssBeforeMb;
        figures.set(impl, { rate, perCpu, growth });
        console.log(
          `| ${format} | ${worst.posts} | ${inputMb} | ${impl} | ${Math.round(rate)} | ${Math.round(perCpu)} | ${worst.peakRssMb} | ${growth.toFixed(1)} | ${(growth / inputMb).toFixed(2)} | ${worst.partitions} |`,
        );
      }
      const v1 = figures.get('v1');
      const v2 = figures.get('v2');
      if (v1 && v2) {
        ratios.push(
          `${format} ${sizeLabel(size)}: v2/v1 posts/s ×${(v2.rate / v1.rate).toFixed(2)}, posts per CPU s ×${(v2.perCpu / v1.perCpu).toFixed(2)}, memory growth ×${(v2.growth / v1.growth).toFixed(2)}`,
        );
      }
    }
  }
  if (ratios.length > 0) console.log(`\n${ratios.join('\n')}`);
}

const sizeLabel = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`);

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
