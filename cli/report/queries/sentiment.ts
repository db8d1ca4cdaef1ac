/** Sentiment of a run's posts per UTC day and topic. */
import type { Db } from '../../../lib/db';
import { otherModelName, RUN_POSTS_OF_MODEL, topicName, topicTerms, type TopicModelRef } from './topics';

export interface SentimentDay {
  day: string;
  topic: number | null;
  topicName: string;
  posts: number;
  /** mean compound of the posts with sentiment; null when none has any */
  meanSentiment: number | null;
  positive: number;
  neutral: number;
  negative: number;
  /** posts without sentiment: their language has no sentiment model (null label) */
  notScored: number;
}

/** Posts and mean compound sentiment per UTC day and topic of the run's posts. */
export async function sentimentByDay(db: Db, runKey: string, model: TopicModelRef): Promise<SentimentDay[]> {
  const m = model;
  const labels = new Map((await topicTerms(db, m.version)).map((t) => [t.topic, t.label]));
  const { rows } = await db.query<{
    day: string;
    topic: number | null;
    other: string | null;
    posts: number;
    mean: number | null;
    positive: number;
    neutral: number;
    negative: number;
    not_scored: number;
  }>(
    `SELECT (created_at AT TIME ZONE 'UTC')::date::text AS day, topic, other, count(*)::int AS posts, avg(sentiment_compound)::float8 AS mean,
            count(*) FILTER (WHERE sentiment_label = 'positive')::int AS positive,
            count(*) FILTER (WHERE sentiment_label = 'neutral')::int AS neutral,
            count(*) FILTER (WHERE sentiment_label = 'negative')::int AS negative,
            count(*) FILTER (WHERE sentiment_label IS NULL)::int AS not_scored
     FROM ${RUN_POSTS_OF_MODEL} AS run_posts GROUP BY 1, 2, 3 ORDER BY 1, 3 NULLS FIRST, 2 NULLS LAST`,
    [runKey, m.version],
  );
  return rows.map((r) => ({
    day: r.day,
    topic: r.topic,
    topicName: r.other === null ? topicName(r.topic, labels) : otherModelName(r.other),
    posts: r.posts,
    meanSentiment: r.mean,
    positive: r.positive,
    neutral: r.neutral,
    negative: r.negative,
    notScored: r.not_scored,
  }));
}

/** The same per day over all topics. */
export function sentimentTotals(days: readonly SentimentDay[]): SentimentDay[] {
  const out = new Map<string, SentimentDay>();
  for (const d of days) {
    const t = out.get(d.day) ?? {
      day: d.day,
      topic: null,
      topicName: 'all topics',
      posts: 0,
      meanSentiment: 0,
      positive: 0,
      neutral: 0,
      negative: 0,
      notScored: 0,
    };
    // weighted sum over the posts with sentiment until divided below
    t.meanSentiment = (t.meanSentiment ?? 0) + (d.meanSentiment ?? 0) * (d.posts - d.notScored);
    t.posts += d.posts;
    t.positive += d.positive;
    t.neutral += d.neutral;
    t.negative += d.negative;
    t.notScored += d.notScored;
    out.set(d.day, t);
  }
  return [...out.values()].map((t) => ({ ...t, meanSentiment: t.posts > t.notScored ? (t.meanSentiment ?? 0) / (t.posts - t.notScored) : null }));
}
