import type { Db } from '../lib/db';
import { withTransaction } from '../lib/db';
import type { ObjectStore } from '../lib/objectStore';
import { readAllRecords } from '../lib/datasets';
import type { DatasetRef, Engagement } from '../lib/schema';
import { createAuthorRecommender } from '../models/recommend/authors';
import { volumeTrends } from '../models/trends/termTrends';
import { engagementProbabilities } from '../models/users/engagement';
import { computeProfiles } from '../models/users/profile';
import { nearestSegment } from '../models/users/segments';
import type { FeaturedPost } from '../models/pipeline/features';
import { forEachSlice, heartbeat } from './heartbeat';
import { activityOf, keyAuthorsInPlace, profileInputs } from './userModelInputs';
import { createServingModels } from './servingModels';

/**
 * The insights activity: I/O around the user, recommendation and trend models (models/users,
 * models/recommend/authors.ts, models/trends/termTrends.ts). It reads the window's features and
 * engagements, applies the serving versions, and replaces the rows of `user_insights` and `term_trends`.
 */

export interface InsightsInput {
  runKey: string;
  /** the window's posts with their features, one ref per day */
  features: DatasetRef[];
  engagements: DatasetRef[];
  /** hashtags with fewer posts in the window get no trend rows */
  minTermPosts?: number;
}

export interface InsightsResult {
  users: number;
  terms: number;
  trendingTerms: string[];
  models: Record<string, number | null>;
}

export function createInsightActivities(deps: { store: ObjectStore; db: Db }) {
  const { store, db } = deps;
  const serving = createServingModels(deps);
  return {
    /**
     * Applies the serving user, recommendation and trend models to the window and replaces the
     * insight rows people query: per user (profile, segment, engagement probability, bot-likeness,
     * recommendations) and per hashtag and day (volume, trend flag, forecast band).
     */
    async scoreInsights(input: InsightsInput): Promise<InsightsResult> {
      const posts: FeaturedPost[] = [];
      for (const ref of input.features) for (const p of await readAllRecords<FeaturedPost>(store, ref)) posts.push(p);
      const engagements: Engagement[] = [];
      for (const ref of input.engagements) for (const e of await readAllRecords<Engagement>(store, ref)) engagements.push(e);
      keyAuthorsInPlace(posts, engagements);
      heartbeat({ posts: posts.length });
      const inputs = profileInputs(posts, engagements);
      const profiles = computeProfiles(inputs.posts, inputs.engagements);
      const handles = new Map(posts.map((p) => [p.author.id, p.author.handle]));
      const [segments, engagement, recommender] = await Promise.all([serving.segments(), serving.engagement(), serving.recommender()]);
      const activity = activityOf(posts, engagements);
      const probability = engagement ? engagementProbabilities(engagement.model, activity) : new Map<string, number>();
      const recommend = createAuthorRecommender(recommender?.model ?? null, posts, engagements);

      const userRows = profiles.map((profile) => {
        const s = segments ? nearestSegment(segments.model, profile) : null;
        const recommendations = recommend(profile.userId, 10);
        return {
          user_id: profile.userId,
          handle: handles.get(profile.userId) ?? null,
          profile,
          segment: s,
          segment_name: s === null ? null : segments!.model.names[s],
          engagement_probability: probability.get(profile.userId) ?? null,
          bot_likeness: profile.botLikeness,
          recommendations,
        };
      });
      // Days the window collected, from the catalog: a day without any partition was not collected.
      const { rows: dayRows } = await db.query<{ day: string }>(
        `SELECT DISTINCT to_char(partition_date, 'YYYY-MM-DD') AS day FROM datasets WHERE uri = ANY($1) AND partition_date IS NOT NULL`,
        [input.features.map((r) => r.uri)],
      );
      const trendRows = posts.length
        ? volumeTrends(
            posts,
            input.minTermPosts ?? 5,
            dayRows.map((r) => r.day),
          )
        : [];

      await withTransaction(db, async (client) => {
        await client.query(`DELETE FROM user_insights WHERE run_key = $1`, [input.runKey]);
        await forEachSlice(userRows, 1000, async (batch) => {
          await client.query(
            `INSERT INTO user_insights (user_id, run_key, handle, profile, segment, segment_name, engagement_probability, bot_likeness, recommendations)
             SELECT t.user_id, $1, t.handle, t.profile, t.segment, t.segment_name, t.engagement_probability, t.bot_likeness, t.recommendations
             FROM jsonb_to_recordset($2::jsonb) AS t(user_id text, handle text, profile jsonb, segment int, segment_name text,
                  engagement_probability real, bot_likeness real, recommendations jsonb)
             ON CONFLICT (user_id) DO UPDATE SET run_key = EXCLUDED.run_key, handle = EXCLUDED.handle, profile = EXCLUDED.profile,
               segment = EXCLUDED.segment, segment_name = EXCLUDED.segment_name, engagement_probability = EXCLUDED.engagement_probability,
               bot_likeness = EXCLUDED.bot_likeness, recommendations = EXCLUDED.recommendations, updated_at = now()`,
            [input.runKey, JSON.stringify(batch)],
          );
        });
        await forEachSlice(trendRows, 2000, async (batch) => {
          await client.query(
            `INSERT INTO term_trends (term, kind, day, volume, trend_flag, score, forecast, forecast_low, forecast_high, run_key)
             SELECT t.term, t.kind, t.day, t.volume, t.flag, t.score, t.forecast, t.low, t.high, $1
             FROM jsonb_to_recordset($2::jsonb) AS t(term text, kind text, day date, volume int, flag boolean, score real, forecast real, low real, high real)
             ON CONFLICT (term, kind, day) DO UPDATE SET volume = EXCLUDED.volume, trend_flag = EXCLUDED.trend_flag, score = EXCLUDED.score,
               forecast = EXCLUDED.forecast, forecast_low = EXCLUDED.forecast_low, forecast_high = EXCLUDED.forecast_high, run_key = EXCLUDED.run_key`,
            [input.runKey, JSON.stringify(batch)],
          );
        });
      });
      return {
        users: userRows.length,
        terms: new Set(trendRows.map((r) => `${r.kind}:${r.term}`)).size,
        trendingTerms: [...new Set(trendRows.filter((r) => r.flag).map((r) => (r.kind === 'hashtag' ? `#${r.term}` : r.term)))].slice(0, 20),
        models: { segments: segments?.version ?? null, engagement: engagement?.version ?? null, recommender: recommender?.version ?? null },
      };
    },
  };
}
