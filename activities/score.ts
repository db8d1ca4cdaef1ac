import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Db } from '../lib/db';
import { withTransaction } from '../lib/db';
import type { ObjectStore } from '../lib/objectStore';
import { recordDataset } from '../lib/catalog';
import { inputDigest, readRecordChunks, writeNdjson } from '../lib/datasets';
import { insertRefusingBadRows, isPgDataError, rethrowDataErrorAsNonRetryable } from '../lib/pgDataErrors';
import { authorKey } from '../lib/platformName';
import type { DatasetRef, Quarantined } from '../lib/schema';
import type { FeaturedPost } from '../models/pipeline/features';
import { forEachSlice } from './heartbeat';

export interface ScoreInput {
  runKey: string;
  /** `source/day`: the partition these posts belong to */
  partition: string;
  features: DatasetRef;
  /**
   * A retrain's rescoring of a partition this run scored before: only the scores (sentiment, topic) of the rows this
   * run still owns are replaced. A row another run took over since (a newer import of the day) keeps its content and
   * its owner, and no claim is added or removed. Without it, a retrain that read a day's inputs before a newer import
   * of that day finished wrote the old texts back over the new ones.
   */
  rescore?: boolean;
  /** the topic model the features' `topic` ids are of (FeaturesResult.models.topics, e.g. `topics.v3`): post_scores.topic_model */
  topicModel?: string | null;
}

export interface ScoreResult {
  /** posts stored in post_scores by this call */
  scored: number;
  /** posts Postgres refused (after sanitising upstream), kept with the reason in the quarantine zone */
  quarantined?: number;
  quarantine?: DatasetRef | null;
  /**
   * Other runs that had already scored some of these posts, and how many: those rows now carry this
   * run's scores (merged, updated in place); nothing of theirs was deleted.
   */
  mergedFrom?: Array<{ runKey: string; posts: number }>;
}

/** Rows per COPY batch: one COPY and one INSERT … SELECT per batch, so one chunk of the features in memory. */
const COPY_BATCH = 10_000;
/** Rows per statement of the jsonb fallback path (a batch COPY could not store, or rows it cannot carry). */
const BATCH = 2000;

export interface ScoreRow {
  post_id: string;
  platform: string;
  author_id: string;
  created_at: string;
  text: string;
  lang: string | null;
  hashtags: string[];
  /** null, with label and model: the post's language has no sentiment model ("not scored") */
  compound: number | null;
  label: string | null;
  model: string | null;
  topic: number | null;
}

const toRow = (p: FeaturedPost): ScoreRow => ({
  post_id: p.id,
  platform: p.platform,
  // features written before preprocess keyed authors hold bare ids (a rescore of an older day reads them)
  author_id: authorKey(p.platform, p.author.id),
  created_at: p.created_at,
  text: p.text,
  lang: p.lang,
  hashtags: p.hashtags,
  compound: p.features.sentiment.compound,
  label: p.features.sentiment.label,
  model: p.features.sentiment.model,
  topic: p.features.topic,
});

/**
 * The upsert into post_scores from a relation `t` of the ScoreRow columns already typed ($1 run key, $2
 * partition, $3 the topic model of the rows' topic ids), as a CTE named `stored`; CLAIMS_FROM_T completes the statement with this run's claims.
 * A row whose stored values are all the same (a retry or re-run of the same run on the same data) is
 * left as it is: no new row version, so no index entries and no dead tuple to vacuum, and its
 * scored_at stays the time it was first scored with these values. The claim is still refreshed.
 */
export const MERGE_FROM_T = `
   stored AS (
     INSERT INTO post_scores AS p (post_id, run_key, partition, platform, author_id, created_at, text, lang, hashtags,
                                   sentiment_compound, sentiment_label, sentiment_model, topic, topic_model)
     SELECT t.post_id, $1, $2, t.platform, t.author_id, t.created_at, t.text, t.lang, t.hashtags, t.compound, t.label, t.model, t.topic,
            CASE WHEN t.topic IS NULL THEN NULL ELSE $3::text END
     FROM t
     -- Every column the post carries is replaced, so the row is the post as its latest run saw it
     -- (a corrected re-import fixes its time and author too, not only its text and scores).
     ON CONFLICT (post_id) DO UPDATE SET run_key = EXCLUDED.run_key, partition = EXCLUDED.partition, platform = EXCLUDED.platform,
       author_id = EXCLUDED.author_id, created_at = EXCLUDED.created_at, text = EXCLUDED.text, lang = EXCLUDED.lang,
       hashtags = EXCLUDED.hashtags, sentiment_compound = EXCLUDED.sentiment_compound,
       sentiment_label = EXCLUDED.sentiment_label, sentiment_model = EXCLUDED.sentiment_model,
       topic = EXCLUDED.topic, topic_model = EXCLUDED.topic_model, scored_at = now()
     WHERE (p.run_key, p.partition, p.platform, p.author_id, p.created_at, p.text, p.lang, p.hashtags,
            p.sentiment_compound, p.sentiment_label, p.sentiment_model, p.topic, p.topic_model)
       IS DISTINCT FROM (EXCLUDED.run_key, EXCLUDED.partition, EXCLUDED.platform, EXCLUDED.author_id, EXCLUDED.created_at,
            EXCLUDED.text, EXCLUDED.lang, EXCLUDED.hashtags, EXCLUDED.sentiment_compound, EXCLUDED.sentiment_label,
            EXCLUDED.sentiment_model, EXCLUDED.topic, EXCLUDED.topic_model)
   )`;

/**
 * This run's claim on every post of `t`: the main INSERT of the statement that starts
 * `WITH t AS (…), stored AS (…)` (MERGE_FROM_T), so both succeed or neither. Taken from `t`, not from
 * the upsert's RETURNING, because an unchanged row returns nothing; every row of `t` is stored by
 * `stored` or the whole statement fails. With sorted input, this shape was also as fast or faster than
 * claims from RETURNING on fresh rows (bench/scoreWrites.ts; the unreferenced upsert runs whole before
 * the claims, not row by row in turn with them). scored_at defaults to now(), the transaction's
 * start: scorePosts tells this call's claims by it.
 */
export const CLAIMS_FROM_T = `
   INSERT INTO post_score_runs (run_key, post_id, partition)
   SELECT $1, t.post_id, $2 FROM t
   ON CONFLICT (run_key, post_id) DO UPDATE SET partition = EXCLUDED.partition, scored_at = now()`;

/**
 * A rescore from `t` ($1 run key, $2 partition `source/day`): the model outputs of the rows of that day (any of its
 * parts) that this run still owns, nothing else; `SELECT n` counts them. Rows another run owns, or that no longer exist, are left as they are.
 */
export const RESCORE_FROM_T = `
   rescored AS (
     UPDATE post_scores p SET sentiment_compound = t.compound, sentiment_label = t.label, sentiment_model = t.model, topic = t.topic,
       topic_model = CASE WHEN t.topic IS NULL THEN NULL ELSE $3::text END, scored_at = now()
     FROM t
     WHERE p.post_id = t.post_id AND p.run_key = $1 AND split_part(p.partition, '/part-', 1) = $2
     RETURNING 1
   )
   SELECT count(*)::int AS n FROM rescored`;

/** Where a batch goes: the statement's $1 run key, $2 partition, $3 topic model, and whether it merges or rescores. */
interface BatchTarget {
  runKey: string;
  partition: string;
  topicModel: string | null;
  rescore: boolean;
}
const targetParams = (t: BatchTarget) => [t.runKey, t.partition, t.topicModel];

/** What a batch's statement does after `WITH t AS (…),`: merge and claim (a run's scoring), or rescore (a retrain's). */
const writeFromT = (rescore: boolean) => (rescore ? RESCORE_FROM_T : `${MERGE_FROM_T}${CLAIMS_FROM_T}`);

/** Rows a batch's statement stored: all of them when merging, the owned rows it counted when rescoring. */
const storedBy = (result: pg.QueryResult, rows: number, rescore: boolean) => (rescore ? (result.rows[0].n as number) : rows);

/** The temp table COPY fills: all text, so COPY itself refuses nothing a cast would (the INSERT refuses it, with its message). */
export const SCORE_IN_COLUMNS = `post_id text, platform text, author_id text, created_at text, text text, lang text,
  hashtags text, compound text, label text, model text, topic text`;

/**
 * score_in's rows typed as ScoreRow, in post_id order: the btree indexes keyed by post_id
 * (post_scores' and post_score_runs' primary keys, post_score_runs_post) then take their new entries
 * leaf page after leaf page instead of at random (measured in bench/scoreWrites.ts).
 */
export const SCORE_IN_TYPED = `SELECT post_id, platform, author_id, created_at::timestamptz AS created_at, text, lang, hashtags::text[] AS hashtags,
         compound::real AS compound, label, model, topic::int AS topic
  FROM score_in ORDER BY post_id`;

/**
 * The fallback path, one statement of the same merge and claims as copyScores, from jsonb: used for a
 * batch COPY could not store (bisected by insertRefusingBadRows), rows COPY cannot carry, and the
 * embedded database, which has no COPY FROM STDIN.
 */
async function insertScores(client: pg.PoolClient, target: BatchTarget, rows: readonly ScoreRow[]): Promise<number> {
  const result = await client.query(
    `WITH t AS (
       SELECT j.post_id, j.platform, j.author_id, j.created_at, j.text, j.lang,
              ARRAY(SELECT jsonb_array_elements_text(j.hashtags)) AS hashtags, j.compound, j.label, j.model, j.topic
       FROM jsonb_to_recordset($4::jsonb) AS j(post_id text, platform text, author_id text, created_at timestamptz,
            text text, lang text, hashtags jsonb, compound real, label text, model text, topic int)
     ),${writeFromT(target.rescore)}`,
    [...targetParams(target), JSON.stringify(rows)],
  );
  return storedBy(result, rows.length, target.rescore);
}

/** Other runs that had claimed the posts this call claimed ($1 run key, $2 partition), with how many: ScoreResult.mergedFrom. */
export const MERGED_FROM_SQL = `SELECT o.run_key, count(*)::int AS posts
   FROM post_score_runs m JOIN post_score_runs o ON o.post_id = m.post_id AND o.run_key <> m.run_key
   WHERE m.run_key = $1 AND m.partition = $2 AND m.scored_at = now()
   GROUP BY o.run_key ORDER BY o.run_key`;

/**
 * This run's claims of this partition that this call did not renew (older scored_at: a re-run no longer
 * scores those posts), and their post_scores rows when the row is this run's and no other run claims it.
 */
export const DELETE_STALE_SQL = `WITH stale AS (
     DELETE FROM post_score_runs WHERE run_key = $1 AND partition = $2 AND scored_at < now() RETURNING post_id
   )
   DELETE FROM post_scores p USING stale s
   WHERE p.post_id = s.post_id AND p.run_key = $1
     AND NOT EXISTS (SELECT 1 FROM post_score_runs r WHERE r.post_id = p.post_id AND r.run_key <> $1)`;

/** A value in COPY's text format: backslash, tab, newline and carriage return escaped; null is \N. */
function copyText(v: string | number | null): string {
  if (v === null) return '\\N';
  return typeof v === 'number' ? String(v) : v.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

/** A Postgres text[] literal: every element double-quoted, with `"` and `\` backslash-escaped. */
const textArrayLiteral = (values: readonly string[]) => `{${values.map((v) => `"${v.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;

/**
 * Whether COPY carries the row exactly as the jsonb path would: a NUL or an unpaired surrogate cannot be
 * written as UTF-8 (Buffer.from would silently replace the surrogate), so such rows take the jsonb path,
 * where Postgres refuses them with its own message, as before.
 */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u; // in `u` mode a pair is one code point, so only an unpaired half matches

function copyable(r: ScoreRow): boolean {
  const ok = (v: string | null) => v === null || (!LONE_SURROGATE.test(v) && !v.includes('\u0000'));
  return (
    ok(r.post_id) && ok(r.platform) && ok(r.author_id) && ok(r.created_at) && ok(r.text) && ok(r.lang) && ok(r.label) && ok(r.model) && r.hashtags.every(ok)
  );
}

/** The rows as COPY text lines, 500 rows per string (one stream write each, not one per row). */
export function* copyLines(rows: readonly ScoreRow[]): Generator<string> {
  let out = '';
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    out +=
      [r.post_id, r.platform, r.author_id, r.created_at, r.text, r.lang, textArrayLiteral(r.hashtags), r.compound, r.label, r.model, r.topic]
        .map(copyText)
        .join('\t') + '\n';
    if (i % 500 === 499) {
      yield out;
      out = '';
    }
  }
  if (out) yield out;
}

/**
 * The bulk path, two statements: COPY the rows into the transaction's temp table `score_in` (text
 * columns, so COPY itself refuses nothing a cast would), then one INSERT … SELECT with the casts and
 * the same merge and claims as insertScores. A data error in either throws (the caller falls back).
 */
async function copyScores(client: pg.PoolClient, target: BatchTarget, rows: readonly ScoreRow[]): Promise<number> {
  await client.query('TRUNCATE score_in');
  await pipeline(Readable.from(copyLines(rows)), client.query(copyFrom('COPY score_in FROM STDIN')));
  return storedBy(await client.query(`WITH t AS (${SCORE_IN_TYPED}),${writeFromT(target.rescore)}`, targetParams(target)), rows.length, target.rescore);
}

/**
 * Stores one batch: the rows COPY can carry through copyScores (inside a savepoint; `canCopy` false: none), the others, and a
 * whole batch that Postgres refused for a data reason, through the jsonb path that bisects down to the
 * refused rows (lib/pgDataErrors). Returns the refused rows with the Postgres message.
 */
async function storeBatch(
  client: pg.PoolClient,
  target: BatchTarget,
  rows: readonly ScoreRow[],
  canCopy: boolean,
): Promise<{ refused: Array<{ row: ScoreRow; reason: string }>; stored: number }> {
  const bulk: ScoreRow[] = [];
  const viaJson: ScoreRow[] = [];
  let stored = 0;
  for (const r of rows) (canCopy && copyable(r) ? bulk : viaJson).push(r);
  if (bulk.length > 0) {
    await client.query('SAVEPOINT copy_scores');
    try {
      stored += await copyScores(client, target, bulk);
      await client.query('RELEASE SAVEPOINT copy_scores');
    } catch (err) {
      if (!isPgDataError(err)) throw err;
      await client.query('ROLLBACK TO SAVEPOINT copy_scores');
      await client.query('RELEASE SAVEPOINT copy_scores');
      stored = 0;
      viaJson.push(...bulk);
    }
  }
  const refused: Array<{ row: ScoreRow; reason: string }> = [];
  for (let i = 0; i < viaJson.length; i += BATCH) {
    const batch = viaJson.slice(i, i + BATCH);
    // a batch that fails is bisected and retried in halves: only what succeeded counts
    refused.push(...(await insertRefusingBadRows(client, batch, async (b) => void (stored += await insertScores(client, target, b)))));
  }
  return { refused, stored };
}

export function createScoreActivities(deps: { store: ObjectStore; db: Db }) {
  const { store, db } = deps;
  return {
    /**
     * Writes per-post results into post_scores, in one transaction (readers never see half of it).
     *
     * Ownership: a row per post id, carrying the run that scored it last; post_score_runs records every
     * run that scored it. A run only ever replaces rows: a post another run scored before is updated in
     * place and reported in `mergedFrom`, never deleted. The only rows removed are this run's own rows of
     * this partition that a re-run of it no longer scores, and only when no other run scored them too.
     * So a repeated or retried run never duplicates a row, and a later run never deletes an earlier one's.
     *
     * The features are read and stored a chunk at a time (COPY_BATCH rows): COPY into a temp table, then
     * one INSERT … ON CONFLICT from it per chunk (copyScores).
     *
     * A post Postgres refuses for a data reason (SQLSTATE 22/23: an out-of-range timestamp, a character
     * jsonb cannot hold…) is isolated by bisecting its batch on the jsonb path and quarantined with the
     * Postgres message; the rest are stored. Connection errors are thrown as they are, for Temporal to retry.
     */
    async scorePosts(input: ScoreInput): Promise<ScoreResult> {
      const rescore = input.rescore === true;
      const target: BatchTarget = { runKey: input.runKey, partition: input.partition, topicModel: input.topicModel ?? null, rescore };
      let total = 0;
      // Only the refused posts are kept, whole, for the quarantine zone.
      const refusedPosts = new Map<string, FeaturedPost>();
      const { refused, mergedFrom } = await rethrowDataErrorAsNonRetryable(`scoring ${input.partition} for ${input.runKey}`, () =>
        withTransaction(db, async (client) => {
          total = 0;
          refusedPosts.clear();
          const refused: Array<{ row: ScoreRow; reason: string }> = [];
          // The embedded database (PGlite behind pglite-socket, `socialsense demo`) does not speak COPY FROM STDIN
          // on the wire (the connection is dropped), so it keeps the jsonb path.
          const { rows: server } = await client.query(`SELECT version() AS v`);
          const canCopy = !/PGlite/i.test(server[0].v as string);
          await client.query(`CREATE TEMP TABLE IF NOT EXISTS score_in (${SCORE_IN_COLUMNS}) ON COMMIT DROP`);
          // The next chunk is read and decoded while Postgres stores this one.
          const chunks = readRecordChunks<FeaturedPost>(store, input.features, COPY_BATCH);
          let next = chunks.next();
          try {
            for (let item = await next; !item.done; item = await next) {
              const chunk = item.value;
              next = chunks.next();
              next.catch(() => {}); // observed at the loop's next await; this only avoids an early unhandled rejection
              const { refused: refusedHere, stored: storedHere } = await storeBatch(client, target, chunk.map(toRow), canCopy);
              total += storedHere;
              if (refusedHere.length > 0) {
                const ids = new Set(refusedHere.map((r) => r.row.post_id));
                for (const p of chunk) if (ids.has(p.id)) refusedPosts.set(p.id, p);
                refused.push(...refusedHere);
              }
              // heartbeat and cancellation between chunks
              await forEachSlice([chunk], 1, () => {});
            }
          } finally {
            // closes the object's stream when a batch failed half-way (queued after the pending read)
            await chunks.return(undefined).catch(() => {});
          }
          // Every claim this call wrote carries the transaction's now(): older claims of this run and partition
          // are what a re-run no longer produces. No id lists as parameters: a 100k-post partition would make
          // `NOT IN (…)` compare every pair, and a refused id may be one Postgres cannot even hold.
          // a rescore claims nothing: no run merged, nothing stale
          if (rescore) return { refused, mergedFrom: [] };
          const merged = await client.query(MERGED_FROM_SQL, [input.runKey, input.partition]);
          await client.query(DELETE_STALE_SQL, [input.runKey, input.partition]);
          return { refused, mergedFrom: merged.rows.map((r) => ({ runKey: r.run_key as string, posts: r.posts as number })) };
        }),
      );

      let quarantine: DatasetRef | null = null;
      if (refused.length > 0) {
        const records: Quarantined[] = refused.map(({ row, reason }) => ({
          reason: `post ${JSON.stringify(row.post_id)} could not be stored in post_scores: ${reason}`,
          record: refusedPosts.get(row.post_id) ?? row,
        }));
        const [source, date] = input.partition.split('/');
        // Deterministic key: a retried activity rewrites the same object.
        const digest = inputDigest({ stage: 'score.quarantine.v1', features: input.features.sha256, runKey: input.runKey });
        quarantine = await writeNdjson(store, `quarantine/stage=score/source=${source}/date=${date}/${digest}.ndjson.gz`, records, 'quarantine.v1');
        await recordDataset(db, { ref: quarantine, stage: 'quarantine', source, date, runKey: input.runKey, inputs: [input.features.uri] });
      }
      return { scored: total, quarantined: refused.length, quarantine, mergedFrom };
    },
  };
}
