import type { Db } from '../lib/db';
import { withTransaction } from '../lib/db';
import type { ObjectStore } from '../lib/objectStore';
import { readNdjson } from '../lib/datasets';
import type { DatasetRef } from '../lib/schema';
import type { FeaturedPost } from './features';
import { forEachSlice } from './heartbeat';

export interface ScoreInput {
  runKey: string;
  /** `source/day`: the unit whose rows a re-run replaces */
  partition: string;
  features: DatasetRef;
}

export interface ScoreResult {
  scored: number;
}

const BATCH = 2000;

export function createScoreActivities(deps: { store: ObjectStore; db: Db }) {
  const { store, db } = deps;
  return {
    /**
     * Writes per-post results into post_scores. The partition's previous rows are replaced in one
     * transaction, so a repeated or retried run never duplicates a row and readers never see half of it.
     */
    async scorePosts(input: ScoreInput): Promise<ScoreResult> {
      const posts = await readNdjson<FeaturedPost>(store, input.features);
      await withTransaction(db, async (client) => {
        await client.query('DELETE FROM post_scores WHERE run_key = $1 AND partition = $2', [input.runKey, input.partition]);
        await forEachSlice(posts, BATCH, async (batch) => {
          await client.query(
            `INSERT INTO post_scores (post_id, run_key, partition, platform, author_id, created_at, text, lang, hashtags,
                                      sentiment_compound, sentiment_label, sentiment_model, topic)
             SELECT t.post_id, $1, $3, t.platform, t.author_id, t.created_at, t.text, t.lang,
                    ARRAY(SELECT jsonb_array_elements_text(t.hashtags)), t.compound, t.label, t.model, t.topic
             FROM jsonb_to_recordset($2::jsonb) AS t(post_id text, platform text, author_id text, created_at timestamptz,
                  text text, lang text, hashtags jsonb, compound real, label text, model text, topic int)
             ON CONFLICT (post_id) DO UPDATE SET run_key = EXCLUDED.run_key, partition = EXCLUDED.partition, text = EXCLUDED.text, lang = EXCLUDED.lang,
               hashtags = EXCLUDED.hashtags, sentiment_compound = EXCLUDED.sentiment_compound,
               sentiment_label = EXCLUDED.sentiment_label, sentiment_model = EXCLUDED.sentiment_model,
               topic = EXCLUDED.topic, scored_at = now()`,
            [
              input.runKey,
              JSON.stringify(
                batch.map((p) => ({
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
                })),
              ),
              input.partition,
            ],
          );
        });
      });
      return { scored: posts.length };
    },
  };
}
