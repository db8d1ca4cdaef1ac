import type pg from 'pg';
import type { Db } from '../lib/db';
import { withTransaction } from '../lib/db';
import type { ObjectStore } from '../lib/objectStore';
import { recordDataset } from '../lib/catalog';
import { inputDigest, readNdjson, writeNdjson } from '../lib/datasets';
import { insertRefusingBadRows, rethrowDataErrorAsNonRetryable } from '../lib/pgDataErrors';
import type { DatasetRef, Quarantined } from '../lib/schema';
import type { FeaturedPost } from '../models/pipeline/features';
import { forEachSlice } from './heartbeat';

export interface ScoreInput {
  runKey: string;
  /** `source/day`: the partition these posts belong to */
  partition: string;
  features: DatasetRef;
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

const BATCH = 2000;

interface ScoreRow {
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
  author_id: p.author.id,
  created_at: p.created_at,
  text: p.text,
  lang: p.lang,
  hashtags: p.hashtags,
  compound: p.features.sentiment.compound,
  label: p.features.sentiment.label,
  model: p.features.sentiment.model,
  topic: p.features.topic,
});

/** One statement: the scores (one row per post, carrying the run that scored it last) and this run's claim on each post. */
async function insertScores(client: pg.PoolClient, runKey: string, partition: string, rows: readonly ScoreRow[]): Promise<void> {
  await client.query(
    `WITH t AS (
       SELECT * FROM jsonb_to_recordset($2::jsonb) AS t(post_id text, platform text, author_id text, created_at timestamptz,
              text text, lang text, hashtags jsonb, compound real, label text, model text, topic int)
     ), stored AS (
       INSERT INTO post_scores (post_id, run_key, partition, platform, author_id, created_at, text, lang, hashtags,
                                sentiment_compound, sentiment_label, sentiment_model, topic)
       SELECT t.post_id, $1, $3, t.platform, t.author_id, t.created_at, t.text, t.lang,
              ARRAY(SELECT jsonb_array_elements_text(t.hashtags)), t.compound, t.label, t.model, t.topic
       FROM t
       -- Every column the post carries is replaced, so the row is the post as its latest run saw it
       -- (a corrected re-import fixes its time and author too, not only its text and scores).
       ON CONFLICT (post_id) DO UPDATE SET run_key = EXCLUDED.run_key, partition = EXCLUDED.partition, platform = EXCLUDED.platform,
         author_id = EXCLUDED.author_id, created_at = EXCLUDED.created_at, text = EXCLUDED.text, lang = EXCLUDED.lang,
         hashtags = EXCLUDED.hashtags, sentiment_compound = EXCLUDED.sentiment_compound,
         sentiment_label = EXCLUDED.sentiment_label, sentiment_model = EXCLUDED.sentiment_model,
         topic = EXCLUDED.topic, scored_at = now()
       RETURNING post_id
     )
     -- scored_at defaults to now(), the transaction's start: scorePosts tells this call's claims by it
     INSERT INTO post_score_runs (run_key, post_id, partition)
     SELECT $1, post_id, $3 FROM stored
     ON CONFLICT (run_key, post_id) DO UPDATE SET partition = EXCLUDED.partition, scored_at = now()`,
    [runKey, JSON.stringify(rows), partition],
  );
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
     * A post Postgres refuses for a data reason (SQLSTATE 22/23: an out-of-range timestamp, a character
     * jsonb cannot hold…) is isolated by bisecting its batch and quarantined with the Postgres message;
     * the rest are stored. Connection errors are thrown as they are, for Temporal to retry.
     */
    async scorePosts(input: ScoreInput): Promise<ScoreResult> {
      const posts = await readNdjson<FeaturedPost>(store, input.features);
      const rows = posts.map(toRow);
      const { refused, mergedFrom } = await rethrowDataErrorAsNonRetryable(`scoring ${input.partition} for ${input.runKey}`, () =>
        withTransaction(db, async (client) => {
          const refused: Array<{ row: ScoreRow; reason: string }> = [];
          await forEachSlice(rows, BATCH, async (batch) => {
            refused.push(...(await insertRefusingBadRows(client, batch, (b) => insertScores(client, input.runKey, input.partition, b))));
          });
          // Every claim this call wrote carries the transaction's now(): older claims of this run and partition
          // are what a re-run no longer produces. No id lists as parameters: a 100k-post partition would make
          // `NOT IN (…)` compare every pair, and a refused id may be one Postgres cannot even hold.
          const merged = await client.query(
            `SELECT o.run_key, count(*)::int AS posts
             FROM post_score_runs m JOIN post_score_runs o ON o.post_id = m.post_id AND o.run_key <> m.run_key
             WHERE m.run_key = $1 AND m.partition = $2 AND m.scored_at = now()
             GROUP BY o.run_key ORDER BY o.run_key`,
            [input.runKey, input.partition],
          );
          await client.query(
            `WITH stale AS (
               DELETE FROM post_score_runs WHERE run_key = $1 AND partition = $2 AND scored_at < now() RETURNING post_id
             )
             DELETE FROM post_scores p USING stale s
             WHERE p.post_id = s.post_id AND p.run_key = $1
               AND NOT EXISTS (SELECT 1 FROM post_score_runs r WHERE r.post_id = p.post_id AND r.run_key <> $1)`,
            [input.runKey, input.partition],
          );
          return { refused, mergedFrom: merged.rows.map((r) => ({ runKey: r.run_key as string, posts: r.posts as number })) };
        }),
      );

      let quarantine: DatasetRef | null = null;
      if (refused.length > 0) {
        const byId = new Map(posts.map((p) => [p.id, p]));
        const records: Quarantined[] = refused.map(({ row, reason }) => ({ reason: `post ${JSON.stringify(row.post_id)} could not be stored in post_scores: ${reason}`, record: byId.get(row.post_id) ?? row }));
        const [source, date] = input.partition.split('/');
        // Deterministic key: a retried activity rewrites the same object.
        const digest = inputDigest({ stage: 'score.quarantine.v1', features: input.features.sha256, runKey: input.runKey });
        quarantine = await writeNdjson(store, `quarantine/stage=score/source=${source}/date=${date}/${digest}.ndjson.gz`, records, 'quarantine.v1');
        await recordDataset(db, { ref: quarantine, stage: 'quarantine', source, date, runKey: input.runKey, inputs: [input.features.uri] });
      }
      return { scored: rows.length - refused.length, quarantined: refused.length, quarantine, mergedFrom };
    },
  };
}
