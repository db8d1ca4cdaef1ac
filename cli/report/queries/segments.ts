/** User segments of a run's scope: sizes, average traits against the average user, and topics. */
import type { Db } from '../../../lib/db';
import { USER_SCOPE_SQL, userScope } from './runs';
import { topicName, topicTerms, type TopicModelRef } from './topics';

/** Profile traits shown to people, in this order; other numeric profile fields are kept in `traits` for --json. */
export const SEGMENT_TRAITS: Array<{ key: string; label: string; short: string; digits: number; percent?: boolean }> = [
  { key: 'postsPerDay', label: 'Posts / day', short: 'Posts/day', digits: 2 },
  { key: 'engagementReceivedPerPost', label: 'Engagement / post', short: 'Reactions/post', digits: 1 },
  { key: 'engagementsGivenPerDay', label: 'Interactions given / day', short: 'Interacts/day', digits: 2 },
  { key: 'followerRatio', label: 'Follower ratio', short: 'Follower ratio', digits: 1 },
  { key: 'meanSentiment', label: 'Avg sentiment', short: 'Sentiment', digits: 2 },
  { key: 'hourEntropy', label: 'Hour spread (bits)', short: 'Hour spread', digits: 2 },
  { key: 'nearDuplicateRatio', label: 'Duplicate posts', short: 'Duplicates', digits: 0, percent: true },
  { key: 'engagementProbability', label: 'Engagement prob.', short: 'Will engage', digits: 0, percent: true },
  { key: 'botLikeness', label: 'Bot-likeness', short: 'Bot-like', digits: 0, percent: true },
];

export interface Segment {
  segment: number | null;
  name: string;
  users: number;
  share: number;
  /** mean of each numeric profile field over the segment's users (plus engagementProbability, botLikeness) */
  traits: Record<string, number>;
  /** (segment mean − mean of all users) / standard deviation over all users, per trait */
  traitZ: Record<string, number>;
  /** topics the segment posts about most (mean share of the users' topic mix) */
  topTopics: Array<{ topic: number; name: string; label: string | null; share: number }>;
}

export interface Segments {
  /** 'run': users this run computed insights for (a retrain); 'latest': the latest insights of the run's authors */
  scope: 'run' | 'latest' | 'none';
  users: number;
  updatedAt: string | null;
  segments: Segment[];
}

/** Users per segment with the segment's average traits and how far each is from the average user. */
export async function userSegments(db: Db, runKey: string, model: TopicModelRef): Promise<Segments> {
  const scope = await userScope(db, runKey);
  if (scope.scope === 'none') return { ...scope, segments: [] };
  const params = [runKey, scope.scope === 'latest'];
  // Numeric profile fields as (user, key, value), with the two scored columns as traits too.
  const values = `
    values AS (
      SELECT u.user_id, coalesce(u.segment_name, 'unsegmented') AS name, e.key, (e.value #>> '{}')::float8 AS v
      FROM ${USER_SCOPE_SQL} u, jsonb_each(u.profile) e
      WHERE jsonb_typeof(e.value) = 'number' AND e.key NOT IN ('engagementProbability', 'botLikeness')
      UNION ALL SELECT u.user_id, coalesce(u.segment_name, 'unsegmented'), 'engagementProbability', u.engagement_probability FROM ${USER_SCOPE_SQL} u WHERE u.engagement_probability IS NOT NULL
      UNION ALL SELECT u.user_id, coalesce(u.segment_name, 'unsegmented'), 'botLikeness', coalesce(u.bot_likeness, (u.profile->>'botLikeness')::float8)
        FROM ${USER_SCOPE_SQL} u WHERE u.bot_likeness IS NOT NULL OR jsonb_typeof(u.profile->'botLikeness') = 'number')`;
  const [sizes, means, mix] = await Promise.all([
    db.query<{ name: string; segment: number | null; users: number }>(
      `SELECT coalesce(segment_name, 'unsegmented') AS name, min(segment) AS segment, count(*)::int AS users
       FROM ${USER_SCOPE_SQL} u GROUP BY 1 ORDER BY users DESC, name`,
      params,
    ),
    db.query<{ name: string | null; key: string; mean: number; sd: number | null }>(
      `WITH ${values}
       SELECT name, key, avg(v)::float8 AS mean, NULL::float8 AS sd FROM values GROUP BY name, key
       UNION ALL SELECT NULL, key, avg(v)::float8, stddev_pop(v)::float8 FROM values GROUP BY key`,
      params,
    ),
    db.query<{ name: string; topic: string; share: number }>(
      `SELECT coalesce(u.segment_name, 'unsegmented') AS name, e.key AS topic, sum((e.value #>> '{}')::float8)::float8 AS share
       FROM ${USER_SCOPE_SQL} u, jsonb_each(CASE WHEN jsonb_typeof(u.profile->'topicMix') = 'object' THEN u.profile->'topicMix' ELSE '{}'::jsonb END) e
       WHERE jsonb_typeof(e.value) = 'number' GROUP BY 1, 2`,
      params,
    ),
  ]);
  const overall = new Map<string, { mean: number; sd: number | null }>();
  const bySegment = new Map<string, Record<string, number>>();
  for (const m of means.rows) {
    if (m.name === null) overall.set(m.key, { mean: m.mean, sd: m.sd });
    else (bySegment.get(m.name) ?? bySegment.set(m.name, {}).get(m.name)!)[m.key] = m.mean;
  }
  const sizeOf = new Map(sizes.rows.map((s) => [s.name, s.users]));
  const labels = new Map((await topicTerms(db, model.version)).map((t) => [t.topic, t.label]));
  const mixBySegment = new Map<string, Segment['topTopics']>();
  for (const r of mix.rows) {
    const topic = Number(r.topic);
    if (!Number.isInteger(topic)) continue;
    const list = mixBySegment.get(r.name) ?? mixBySegment.set(r.name, []).get(r.name)!;
    // mean over all the segment's users, those without a topic mix counting as zero
    list.push({ topic, name: topicName(topic, labels), label: labels.get(topic) ?? null, share: r.share / Math.max(1, sizeOf.get(r.name) ?? 1) });
  }
  const total = scope.users;
  const segments = sizes.rows.map((s): Segment => {
    const traits = bySegment.get(s.name) ?? {};
    const traitZ: Record<string, number> = {};
    for (const [k, v] of Object.entries(traits)) {
      const o = overall.get(k);
      traitZ[k] = o && o.sd ? (v - o.mean) / o.sd : 0;
    }
    const topTopics = (mixBySegment.get(s.name) ?? []).sort((a, b) => b.share - a.share || a.topic - b.topic).slice(0, 3);
    return { segment: s.segment, name: s.name, users: s.users, share: total ? s.users / total : 0, traits, traitZ, topTopics };
  });
  return { ...scope, segments };
}
