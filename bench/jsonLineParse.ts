/**
 * The file importer's JSON parse per line (activities/collect/file.ts `parseJsonKeepingBigInts`) against plain
 * `JSON.parse` on the same lines, for the line shapes real exports have:
 * - X API v2 / Mastodon: ids as strings of 18-19 digits (`"id":"1790…"`), nothing to keep exact;
 * - X API v1.1: ids as numbers past 2^53 beside their `id_str` (the lossless parse is needed);
 * - the bench's flat simulated posts: 14-digit ids.
 *
 *   npx tsx bench/jsonLineParse.ts [--lines 50000] [--rounds 5]
 *
 * Reported per shape: µs per line for each (the fastest of `--rounds`, the two taking turns) and their ratio.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { parseJsonKeepingBigInts } from '../activities/collect/file';

const text = (i: number) => `post number ${i} about the match tonight #football with friends`;

/** One line of each shape, the i-th of its file. */
export const LINE_SHAPES: Record<string, (i: number) => string> = {
  xV2: (i) =>
    JSON.stringify({
      id: String(1790000000000000000n + BigInt(i)),
      text: text(i),
      author_id: String(1200000000000000000n + BigInt(i % 5000)),
      created_at: '2026-11-11T11:03:59.835Z',
      conversation_id: String(1790000000000000000n + BigInt(i)),
      public_metrics: { like_count: i % 7, retweet_count: i % 3, reply_count: 0, quote_count: 0 },
    }),
  mastodon: (i) =>
    JSON.stringify({
      id: String(109000000000000000n + BigInt(i)),
      created_at: '2026-11-11T11:03:59.835Z',
      content: `<p>${text(i)}</p>`,
      account: { id: String(108000000000000000n + BigInt(i % 5000)), username: `user${i % 5000}`, followers_count: 120 },
      favourites_count: i % 7,
      reblogs_count: i % 3,
    }),
  // numbers past 2^53 are written as JSON writes them in the file: digits, not rounded
  xV1: (i) =>
    JSON.stringify({ id: 0, id_str: String(1790000000000000000n + BigInt(i)), text: text(i), created_at: 'Wed Nov 11 11:03:59 +0000 2026' }).replace(
      '"id":0',
      `"id":${1790000000000000000n + BigInt(i)}`,
    ),
  simulated: (i) =>
    JSON.stringify({ id: String(20261111000000 + i), text: text(i), created_at: '2026-11-11T11:03:59.835Z', author_id: `u${i % 5000}`, followers: 400 }),
};

function microsPerLine(lines: readonly string[], parse: (s: string) => unknown): number {
  const t0 = process.hrtime.bigint();
  for (const l of lines) parse(l);
  return Number(process.hrtime.bigint() - t0) / 1000 / lines.length;
}

export function measureJsonLineParse(opts: { lines: number; rounds: number }) {
  return Object.entries(LINE_SHAPES).map(([shape, make]) => {
    const lines = Array.from({ length: opts.lines }, (_, i) => make(i));
    let keeping = Infinity;
    let plain = Infinity;
    for (let r = 0; r < opts.rounds; r++) {
      keeping = Math.min(keeping, microsPerLine(lines, parseJsonKeepingBigInts));
      plain = Math.min(plain, microsPerLine(lines, JSON.parse));
    }
    return { shape, keepingMicrosPerLine: +keeping.toFixed(3), jsonParseMicrosPerLine: +plain.toFixed(3), ratio: +(keeping / plain).toFixed(2) };
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const opts = new Command().option('--lines <n>', 'lines per shape', Number, 50_000).option('--rounds <n>', 'rounds', Number, 5).parse().opts();
  console.table(measureJsonLineParse({ lines: opts.lines, rounds: opts.rounds }));
}
