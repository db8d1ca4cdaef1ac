/**
 * post_scores write shapes, measured against each other in one process on a scratch database of the
 * team's Postgres (created, migrated and dropped here): `npx tsx bench/scoreWrites.ts [rows] [rounds] [preload]`.
 *
 * Each variant stores the same `rows` posts (random 19-digit ids, as the platforms give) in chunks of
 * 10k (a partition), the way scorePosts' COPY path does (COPY into a text temp table, one INSERT … SELECT per chunk),
 * into emptied tables, then scores them again under the same run (a retry) and under a second run (a
 * merge), each phase ending with scorePosts' merged-from and stale-claim queries. The tables start
 * with `preload` rows of another run (kept between variants: each variant's rows are deleted and
 * vacuumed away), so the indexes are as deep as a team database's. Variants are interleaved round by round so the machine's load (other helpers) hits each alike;
 * the figure is rows/s per phase and the ratio to `current`.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { createDb } from '../lib/db';
import { databaseUrlFor, resetBenchDatabase } from './benchDatabase';
import {
  CLAIMS_FROM_T,
  DELETE_STALE_SQL,
  MERGED_FROM_SQL,
  MERGE_FROM_T,
  SCORE_IN_COLUMNS,
  SCORE_IN_TYPED,
  copyLines,
  type ScoreRow,
} from '../activities/score';

const ROWS = Number(process.argv[2] ?? 60_000);
const ROUNDS = Number(process.argv[3] ?? 3);
/** rows of other runs already in the tables, so the indexes have a realistic depth */
const PRELOAD = Number(process.argv[4] ?? 200_000);
const CHUNK = 10_000;
const DB = 'socialsense_bench_pgwrites';
const PARTITION = 'twitter/2026-10-01';

// The shape before this change (session 3 COPY path): claims from the RETURNING of the upsert, no order.
const OLD_MERGE = `
   stored AS (
     INSERT INTO post_scores (post_id, run_key, partition, platform, author_id, created_at, text, lang, hashtags,
                              sentiment_compound, sentiment_label, sentiment_model, topic)
     SELECT t.post_id, $1, $2, t.platform, t.author_id, t.created_at, t.text, t.lang, t.hashtags, t.compound, t.label, t.model, t.topic
     FROM t
     ON CONFLICT (post_id) DO UPDATE SET run_key = EXCLUDED.run_key, partition = EXCLUDED.partition, platform = EXCLUDED.platform,
       author_id = EXCLUDED.author_id, created_at = EXCLUDED.created_at, text = EXCLUDED.text, lang = EXCLUDED.lang,
       hashtags = EXCLUDED.hashtags, sentiment_compound = EXCLUDED.sentiment_compound,
       sentiment_label = EXCLUDED.sentiment_label, sentiment_model = EXCLUDED.sentiment_model,
       topic = EXCLUDED.topic, scored_at = now()
     RETURNING post_id
   )
   INSERT INTO post_score_runs (run_key, post_id, partition)
   SELECT $1, post_id, $2 FROM stored
   ON CONFLICT (run_key, post_id) DO UPDATE SET partition = EXCLUDED.partition, scored_at = now()`;
const OLD_T = `SELECT post_id, platform, author_id, created_at::timestamptz AS created_at, text, lang, hashtags::text[] AS hashtags,
              compound::real AS compound, label, model, topic::int AS topic FROM score_in`;

interface Variant {
  name: string;
  /** the statement after COPY, $1 run key, $2 partition */
  sql: string;
  /** whether post_scores_run (run_key, partition) exists */
  runIndex: boolean;
}

const variants: Variant[] = [
  { name: 'current (before)', sql: `WITH t AS (${OLD_T}),${OLD_MERGE}`, runIndex: true },
  { name: 'sorted by post_id only', sql: `WITH t AS (${OLD_T} ORDER BY post_id),${OLD_MERGE}`, runIndex: true },
  { name: 'new statement', sql: `WITH t AS (${SCORE_IN_TYPED}),${MERGE_FROM_T}${CLAIMS_FROM_T}`, runIndex: true },
  { name: 'new statement, no post_scores_run', sql: `WITH t AS (${SCORE_IN_TYPED}),${MERGE_FROM_T}${CLAIMS_FROM_T}`, runIndex: false },
];

function rand19(): string {
  return `1${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}`;
}

function makeRows(n: number, prefix = 'twitter'): ScoreRow[] {
  const base = Date.UTC(2026, 9, 1);
  return Array.from({ length: n }, (_, i) => ({
    post_id: `${prefix}:${rand19()}`,
    platform: 'twitter',
    author_id: `u${i % 5000}`,
    created_at: new Date(base + Math.floor(Math.random() * 86_400_000)).toISOString(),
    text: `post number ${i} about something people say on a platform, with a few more words #tag${i % 50}`,
    lang: 'en',
    hashtags: [`tag${i % 50}`],
    compound: (i % 200) / 100 - 1,
    label: i % 3 === 0 ? 'negative' : i % 3 === 1 ? 'neutral' : 'positive',
    model: 'lexicon.v1',
    topic: i % 12,
  }));
}

async function main() {
  const teamUrl = process.env.DATABASE_URL;
  if (!teamUrl) throw new Error('DATABASE_URL is not set (source .env)');
  const url = await resetBenchDatabase(teamUrl, DB);
  const db = createDb(url, 2);
  const mine = makeRows(ROWS);
  const old = makeRows(PRELOAD, 'preload');
  const results = new Map<string, Record<string, number[]>>();
  try {
    const scoreAll = async (v: Variant, runKey: string, rows: ScoreRow[] = mine) => {
      const client = await db.connect();
      try {
        await client.query('BEGIN');
        await client.query(`CREATE TEMP TABLE IF NOT EXISTS score_in (${SCORE_IN_COLUMNS}) ON COMMIT DROP`);
        const t0 = performance.now();
        for (let i = 0; i < rows.length; i += CHUNK) {
          await client.query('TRUNCATE score_in');
          await pipeline(Readable.from(copyLines(rows.slice(i, i + CHUNK))), client.query(copyFrom('COPY score_in FROM STDIN')));
          await client.query(v.sql, [runKey, PARTITION]);
        }
        await client.query(MERGED_FROM_SQL, [runKey, PARTITION]);
        await client.query(DELETE_STALE_SQL, [runKey, PARTITION]);
        await client.query('COMMIT');
        return rows.length / ((performance.now() - t0) / 1000);
      } finally {
        client.release();
      }
    };
    if (PRELOAD > 0) {
      const t0 = performance.now();
      await scoreAll(variants[0], 'run-old', old);
      process.stderr.write(`preloaded ${PRELOAD} rows in ${Math.round(performance.now() - t0)} ms\n`);
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const v of variants) {
        await db.query(`DELETE FROM post_score_runs WHERE run_key <> 'run-old'`);
        await db.query(`DELETE FROM post_scores WHERE run_key <> 'run-old'`);
        await db.query(v.runIndex ? 'CREATE INDEX IF NOT EXISTS post_scores_run ON post_scores (run_key, partition)' : 'DROP INDEX IF EXISTS post_scores_run');
        await db.query('VACUUM ANALYZE post_scores');
        await db.query('VACUUM ANALYZE post_score_runs');
        const r = results.get(v.name) ?? { fresh: [], retry: [], merge: [] };
        r.fresh.push(await scoreAll(v, 'run-a'));
        r.retry.push(await scoreAll(v, 'run-a'));
        r.merge.push(await scoreAll(v, 'run-b'));
        results.set(v.name, r);
        const { rows: n } = await db.query(`SELECT (SELECT count(*) FROM post_scores)::int AS s, (SELECT count(*) FROM post_score_runs)::int AS c`);
        if (n[0].s !== ROWS + PRELOAD || n[0].c !== 2 * ROWS + PRELOAD)
          throw new Error(`${v.name}: ${n[0].s} post_scores rows, ${n[0].c} claims; expected ${ROWS + PRELOAD} and ${2 * ROWS + PRELOAD}`);
        process.stderr.write(
          `round ${round + 1} ${v.name}: ${JSON.stringify(Object.fromEntries(Object.entries(r).map(([k, a]) => [k, Math.round(a[a.length - 1])])))}\n`,
        );
      }
    }
  } finally {
    await db.end();
    const admin = createDb(teamUrl, 1);
    await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
  const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const base = results.get(variants[0].name)!;
  console.log(`| variant (${ROWS} rows over ${PRELOAD}, ${ROUNDS} rounds, median) | fresh rows/s | retry (same run) rows/s | merge (second run) rows/s |`);
  console.log('|---|---|---|---|');
  for (const [name, r] of results) {
    const cell = (k: string) => `${Math.round(median(r[k]))} (${(median(r[k]) / median(base[k])).toFixed(2)}x)`;
    console.log(`| ${name} | ${cell('fresh')} | ${cell('retry')} | ${cell('merge')} |`);
  }
  void databaseUrlFor;
}

await main();
