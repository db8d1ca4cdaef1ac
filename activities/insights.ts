import type { Db } from '../lib/db';
import { withTransaction } from '../lib/db';
import type { ObjectStore } from '../lib/objectStore';
import { readNdjson } from '../lib/datasets';
import type { DatasetRef, Engagement } from '../lib/schema';
import { topN, type AlsModel } from '../models/recommend/als';
import { blendScores, buildContentIndex } from '../models/recommend/content';
import { countBurstOptionsFor, scoreCountBursts } from '../models/trends/countBurst';
import { rollingForecast } from '../models/trends/forecast';
import { bucketCounts, DAY_MS, HOUR_MS, type TimeSpan } from '../models/trends/series';
import { engagementExamples, type ActivityData } from '../models/users/engagement';
import { computeProfiles, type UserProfile } from '../models/users/profile';
import { nearestCentroids, SEGMENT_FEATURES, standardizeRows } from '../models/users/segments';
import type { FeaturedPost } from '../models/pipeline/features';
import { forEachSlice, heartbeat } from './heartbeat';
import { activityOf, profileInputs } from './userModelInputs';
import { createServingModels, type EngagementArtifact, type SegmentsArtifact } from './servingModels';

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

export function nearestSegment(artifact: SegmentsArtifact, profile: UserProfile): number {
  // The same standardisation (median for unknown values, ±clipZ) and distance as the fit and the
  // promotion gate, so a user lands in the segment the gate measured.
  const row = SEGMENT_FEATURES.map((f) => {
    const v = f.value(profile);
    return v === null || !Number.isFinite(v) ? Number.NaN : v;
  });
  const st = { mean: artifact.mean, std: artifact.std, median: artifact.median ?? artifact.mean, clipZ: artifact.clipZ };
  return nearestCentroids(standardizeRows([row], SEGMENT_FEATURES, st), 1, SEGMENT_FEATURES.length, artifact.centroids)[0];
}

export function engagementProbabilities(artifact: EngagementArtifact, activity: ActivityData): Map<string, number> {
  const last = activity.numDays - 1;
  const ex = engagementExamples(activity, { fromDay: last, toDay: last + 1, includeUnlabelled: true });
  const out = new Map<string, number>();
  for (let i = 0; i < ex.n; i++) {
    let z = artifact.bias;
    for (let j = 0; j < ex.d; j++) z += artifact.weights[j] * ((ex.x[i * ex.d + j] - artifact.mean[j]) / (artifact.std[j] || 1));
    out.set(activity.users[ex.user[i]], 1 / (1 + Math.exp(-z)));
  }
  return out;
}

export type TrendKind = 'hashtag' | 'topic';

/** What a post counts towards: its hashtags, and its topic when a topic model labelled it. */
function trendKeys(p: FeaturedPost): Array<[TrendKind, string]> {
  const keys: Array<[TrendKind, string]> = p.hashtags.map((h) => ['hashtag', h]);
  if (p.features.topic !== null) keys.push(['topic', `topic ${p.features.topic}`]);
  return keys;
}

/** Observed hours (of 48) the forecast's two-day training span needs before it is fitted: three quarters. */
const MIN_OBSERVED_TRAINING_HOURS = 36;

/**
 * Hourly volume per hashtag and topic → per day: volume, burst flag, and the volume the forecast expected.
 *
 * A day on which nothing was collected is missing, not a day of zero volume: its hours are NaN, so the
 * burst detector and the forecast skip them (an outage is neither an event nor a new normal), and it
 * gets no row. A collected day without a given hashtag is a real 0 for that hashtag. The collected
 * days are `collectedDays` (YYYY-MM-DD, UTC; from the catalog's partitions) plus every day with a post.
 */
export function volumeTrends(posts: FeaturedPost[], minPosts: number, collectedDays: Iterable<string> = []) {
  const times = new Map<string, number[]>();
  const days = new Set<number>();
  for (const day of collectedDays) {
    const ms = Date.parse(`${day}T00:00:00Z`);
    if (Number.isNaN(ms)) throw new Error(`collected day must be YYYY-MM-DD, got "${day}"`);
    days.add(ms);
  }
  for (const p of posts) {
    const t = Date.parse(p.created_at);
    days.add(Math.floor(t / DAY_MS) * DAY_MS);
    for (const [kind, term] of trendKeys(p)) {
      const key = `${kind}\u0000${term}`;
      (times.get(key) ?? times.set(key, []).get(key)!).push(t);
    }
  }
  if (days.size === 0) return [];
  const start = Math.min(...days);
  const end = Math.max(...days) + DAY_MS;
  const covered: TimeSpan[] = [...days].map((d) => ({ start: d, end: d + DAY_MS }));
  const rows: Array<{ kind: TrendKind; term: string; day: string; volume: number; flag: boolean; score: number; forecast: number | null; low: number | null; high: number | null }> = [];
  for (const [key, ts] of times) {
    if (ts.length < minPosts) continue;
    const [kind, term] = key.split('\u0000') as [TrendKind, string];
    const series = bucketCounts(Float64Array.from(ts), { bucketMs: HOUR_MS, start, end, covered });
    const values = series.values;
    const { alarms, scores } = scoreCountBursts(values, countBurstOptionsFor(HOUR_MS));
    const alarmed = new Set(alarms.map((a) => Math.floor(a / 24)));
    // The forecast needs two daily seasons, mostly observed, to fit; earlier days get no band.
    let observedTraining = 0;
    for (let h = 0; h < Math.min(48, values.length); h++) if (!Number.isNaN(values[h])) observedTraining++;
    const fc = values.length >= 72 && observedTraining >= MIN_OBSERVED_TRAINING_HOURS ? rollingForecast(values, { seasonality: 24, trainLength: 48, level: 0.9 }) : null;
    for (let d = 0; d * 24 < values.length; d++) {
      if (!days.has(start + d * DAY_MS)) continue; // not collected: no row, rather than a row of zeros
      let volume = 0;
      let score = 0;
      let f = 0;
      let lo = 0;
      let hi = 0;
      let banded = fc !== null;
      for (let h = d * 24; h < Math.min(values.length, d * 24 + 24); h++) {
        volume += values[h];
        score = Math.max(score, Number.isFinite(scores[h]) ? scores[h] : 0);
        if (fc && h >= fc.from && Number.isFinite(fc.forecast[h])) {
          f += fc.forecast[h];
          lo += Math.max(0, fc.lower[h]);
          hi += fc.upper[h];
        } else banded = false;
      }
      rows.push({ kind, term, day: new Date(start + d * DAY_MS).toISOString().slice(0, 10), volume, flag: alarmed.has(d), score, forecast: banded ? f : null, low: banded ? lo : null, high: banded ? hi : null });
    }
  }
  return rows;
}

export interface AuthorRecommendation {
  item: string;
  /** how it was found: collaborative filtering blended with content, content alone, or popularity */
  kind: 'author' | 'author (similar content)' | 'author (popular)';
  score: number;
}

/**
 * Who to engage with. Users the serving ALS model knows get CF scores blended with the content of
 * the authors they engaged with; new users with posts of their own get the authors whose posts read
 * most like theirs; everyone else gets the window's most engaged-with authors.
 */
export function createAuthorRecommender(als: AlsModel | null, posts: FeaturedPost[], engagements: Engagement[]) {
  const authorOf = new Map(posts.map((p) => [p.id, p.author.id]));
  const textsBy = new Map<string, string[]>();
  for (const p of posts) (textsBy.get(p.author.id) ?? textsBy.set(p.author.id, []).get(p.author.id)!).push(p.text);
  const engagedWith = new Map<string, number>();
  for (const e of engagements) {
    const author = authorOf.get(e.post_id);
    if (author) engagedWith.set(author, (engagedWith.get(author) ?? 0) + 1);
  }
  const popular = [...engagedWith].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const itemIds = als?.itemIds ?? [...textsBy.keys()];
  const content = buildContentIndex(itemIds.map((id) => (textsBy.get(id) ?? []).join(' ')));
  const itemCounts = Float64Array.from(itemIds, (id) => engagedWith.get(id) ?? 0);
  const userIndex = new Map((als?.userIds ?? []).map((id, i) => [id, i]));
  const selfIndex = new Map(itemIds.map((id, i) => [id, i]));

  return (userId: string, n: number): AuthorRecommendation[] => {
    const u = userIndex.get(userId);
    const self = selfIndex.get(userId);
    if (als && u !== undefined) {
      const seen = als.seen(u);
      const blended = blendScores(als.scoreAll(u), content.scoreAll(content.profile(seen)), itemCounts, seen.length);
      const exclude = Int32Array.from(self === undefined ? seen : [...seen, self]).sort();
      return topN(blended, n, exclude).map((r) => ({ item: itemIds[r.index], kind: 'author', score: r.score }));
    }
    const own = textsBy.get(userId);
    if (own?.length) {
      const scores = content.scoreAll(content.vectorize(own.join(' ')));
      const similar = topN(scores, n, self === undefined ? undefined : Int32Array.of(self)).filter((r) => r.score > 0);
      if (similar.length > 0) return similar.map((r) => ({ item: itemIds[r.index], kind: 'author (similar content)', score: r.score }));
    }
    return popular.filter(([id]) => id !== userId).slice(0, n).map(([item, count]) => ({ item, kind: 'author (popular)', score: count }));
  };
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
      for (const ref of input.features) posts.push(...(await readNdjson<FeaturedPost>(store, ref)));
      const engagements: Engagement[] = [];
      for (const ref of input.engagements) engagements.push(...(await readNdjson<Engagement>(store, ref)));
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
      const trendRows = posts.length ? volumeTrends(posts, input.minTermPosts ?? 5, dayRows.map((r) => r.day)) : [];

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
