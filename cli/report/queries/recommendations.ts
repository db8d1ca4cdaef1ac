/** Recommendations per user as stored by the insights activity: one user's, or a few examples of a run's scope. */
import { RETRAIN_HINT } from '../nextSteps';
import type { Db } from '../../../lib/db';
import { USER_SCOPE_SQL, userScope } from './runs';

export interface Recommendation {
  item: string;
  kind: string;
  score: number | null;
}

export interface UserRecommendations {
  userId: string;
  handle: string | null;
  segmentName: string | null;
  engagementProbability: number | null;
  botLikeness: number | null;
  recommendations: Recommendation[];
  updatedAt: string;
  runKey: string;
}

interface UserRow {
  user_id: string;
  handle: string | null;
  segment_name: string | null;
  engagement_probability: number | null;
  bot_likeness: number | null;
  recommendations: unknown;
  updated_at: Date;
  run_key: string;
}

function normalizeRecommendations(value: unknown, limit: number): Recommendation[] {
  if (!Array.isArray(value)) return [];
  return value.slice(0, limit).map((r) => {
    const o = (r && typeof r === 'object' ? r : { item: r }) as Record<string, unknown>;
    return { item: String(o.item ?? o.id ?? ''), kind: String(o.kind ?? 'item'), score: typeof o.score === 'number' ? o.score : null };
  });
}

const toUserRecommendations = (r: UserRow, limit: number): UserRecommendations => ({
  userId: r.user_id,
  handle: r.handle,
  segmentName: r.segment_name,
  engagementProbability: r.engagement_probability,
  botLikeness: r.bot_likeness,
  recommendations: normalizeRecommendations(r.recommendations, limit),
  updatedAt: r.updated_at.toISOString(),
  runKey: r.run_key,
});

const USER_COLUMNS = 'user_id, handle, segment_name, engagement_probability, bot_likeness, recommendations, updated_at, run_key';

/**
 * The ids in `table` (user_insights or user_profile_state) that `user` can mean: the author key itself (`x:12`), or
 * the bare id a platform gives (`12`, `u123`: every key ending in `:<user>`), the exact key first; at most 6.
 * Authors are keyed by platform (lib/platformName.ts authorKey), so one bare id can name several people.
 */
async function userIdsMatching(db: Db, table: 'user_insights' | 'user_profile_state', user: string): Promise<string[]> {
  const { rows } = await db.query<{ user_id: string }>(
    `SELECT user_id FROM ${table} WHERE user_id = $1 OR right(user_id, length($1) + 1) = ':' || $1 ORDER BY (user_id = $1) DESC, user_id LIMIT 6`,
    [user],
  );
  return rows.map((r) => r.user_id);
}

/** The one id `matches` (userIdsMatching) settles on: the exact key, or the only candidate; null when none or several. */
const settled = (user: string, matches: string[]): string | null => (matches[0] === user || matches.length === 1 ? (matches[0] ?? null) : null);

/**
 * One user's latest recommendations; null when no user with insights is meant (or a bare id names several: see
 * whyNoRecommendations). Accepts the author key (`x:12`), the platform's bare id when one author has it (`12`), or
 * the handle (with or without @).
 */
export async function recommendationsFor(db: Db, user: string, limit = 10): Promise<UserRecommendations | null> {
  const id = settled(user, await userIdsMatching(db, 'user_insights', user));
  const { rows } = await db.query<UserRow>(
    `SELECT ${USER_COLUMNS} FROM user_insights WHERE user_id = $1 OR lower(handle) = lower(ltrim($2, '@'))
     ORDER BY (user_id = $1) DESC, user_id LIMIT 1`,
    [id ?? user, user],
  );
  return rows[0] ? toUserRecommendations(rows[0], limit) : null;
}

/**
 * Why `user` (an id or handle, as recommendationsFor takes it) has no recommendations, as one sentence that says
 * what to do: recommendations, segments and engagement come from the models a retrain trains and applies
 * (workflows/retrain.ts), so a user every run has profiled still has none until one ran.
 */
export async function whyNoRecommendations(db: Db, user: string): Promise<string> {
  const withInsights = await userIdsMatching(db, 'user_insights', user);
  const profiled = await userIdsMatching(db, 'user_profile_state', user);
  const several = withInsights.length > 1 && withInsights[0] !== user ? withInsights : profiled.length > 1 && profiled[0] !== user ? profiled : null;
  if (several)
    return `"${user}" is the id of several authors (${several.join(', ')}${several.length === 6 ? ', …' : ''}): authors are keyed by platform; give the one you mean`;
  const id = settled(user, profiled);
  const { rows } = id
    ? await db.query<{ posts: number }>(`SELECT (state->>'posts')::int AS posts FROM user_profile_state WHERE user_id = $1`, [id])
    : { rows: [] };
  if (id && rows[0]) {
    // Recommendations are learned from engagements, which imported files do not carry: a retrain cannot help there.
    const { rows: sources } = await db.query<{ files: number; other: number }>(
      `SELECT count(*) FILTER (WHERE partition LIKE 'file/%')::int AS files, count(*) FILTER (WHERE partition NOT LIKE 'file/%')::int AS other
       FROM post_scores WHERE author_id = $1`,
      [id],
    );
    if (sources[0].files > 0 && sources[0].other === 0)
      return `user "${id}" has been profiled (${rows[0].posts} posts, all from imported files) but has no recommendations: they are learned from engagements (likes, reposts, replies), which imported files do not carry; collect the user's platform (\`socialsense run --source mastodon --query …\`, or simulated data), then retrain`;
    return `user "${id}" has been profiled (${rows[0].posts} posts) but has no recommendations yet: ${RETRAIN_HINT}`;
  }
  return `no user with id "${user}" has been profiled by a run, and no user with insights has that handle: ids are the authors' keys, \`platform:id\` (post_scores.author_id, e.g. x:12 or simulated:u42), or the platform's id alone when one author has it; handles are known once a retrain has computed insights`;
}

/** A few users of the run's scope with recommendations, the likeliest to engage first, one per segment before repeating a segment. */
export async function exampleRecommendations(db: Db, runKey: string, opts: { users?: number; perUser?: number } = {}): Promise<UserRecommendations[]> {
  const scope = await userScope(db, runKey);
  if (scope.scope === 'none') return [];
  const { rows } = await db.query<UserRow>(
    `SELECT ${USER_COLUMNS} FROM (
       SELECT u.*, row_number() OVER (PARTITION BY segment_name ORDER BY engagement_probability DESC NULLS LAST, user_id) AS nth
       FROM ${USER_SCOPE_SQL} u WHERE jsonb_typeof(recommendations) = 'array' AND jsonb_array_length(recommendations) > 0) x
     ORDER BY nth, engagement_probability DESC NULLS LAST, user_id LIMIT $3`,
    [runKey, scope.scope === 'latest', opts.users ?? 6],
  );
  return rows.map((r) => toUserRecommendations(r, opts.perUser ?? 3));
}
