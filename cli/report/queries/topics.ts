/** Topics of a run's posts: which topic model labelled them, its terms, and posts and sentiment per topic. */
import type { Db } from '../../../lib/db';
import { RUN_POSTS, type RunInfo } from './runs';

export interface TopicModelRef {
  version: number | null;
  /**
   * why this version: the run's posts carry it ('posts': post_scores.topic_model, most of them), the run's summary
   * names it ('run'), it was serving when the run finished ('at-run'), it serves now ('serving'), or it is the newest
   * with terms ('latest')
   */
  basis: 'posts' | 'run' | 'at-run' | 'serving' | 'latest' | 'none';
}

/** The version of a topic model name as features and post_scores write it (`topics.v3`), a bare number, or an object with `version`. */
export function topicVersionOf(t: unknown): number | null {
  const v = typeof t === 'object' && t !== null ? (t as Record<string, unknown>).version : typeof t === 'string' ? /^topics\.v(\d+)$/.exec(t)?.[1] : t;
  const n = typeof v === 'string' ? Number(v) : v;
  return Number.isInteger(n) ? (n as number) : null;
}

/**
 * The topic model whose ids the run's posts carry: the one most of its posts record (post_scores.topic_model; a
 * retrain rescores only its window, so an older run's rows keep their own model's ids), else the version the run's
 * summary names, else the one serving when the run finished, else the one serving now, else the newest version with
 * terms (rows scored before post_scores recorded it).
 */
export async function topicModelFor(db: Db, run: Pick<RunInfo, 'runKey' | 'finishedAt' | 'summary'>): Promise<TopicModelRef> {
  const { rows: onPosts } = await db.query<{ topic_model: string }>(
    `SELECT topic_model FROM ${RUN_POSTS} AS run_posts WHERE topic_model IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 DESC LIMIT 1`,
    [run.runKey],
  );
  const fromPosts = topicVersionOf(onPosts[0]?.topic_model);
  if (fromPosts !== null) return { version: fromPosts, basis: 'posts' };
  const recorded = topicVersionOf((run.summary?.models as Record<string, unknown> | undefined)?.topics);
  if (recorded !== null) return { version: recorded, basis: 'run' };
  const { rows } = await db.query<{ version: number; basis: TopicModelRef['basis'] }>(
    `(SELECT version, 'at-run' AS basis, 1 AS rank FROM models
        WHERE name = 'topics' AND status IN ('serving', 'retired') AND promoted_at <= coalesce($1::timestamptz, now())
        ORDER BY promoted_at DESC LIMIT 1)
     UNION ALL (SELECT version, 'serving', 2 FROM models WHERE name = 'topics' AND status = 'serving')
     UNION ALL (SELECT max(model_version), 'latest', 3 FROM topic_terms HAVING count(*) > 0)
     ORDER BY rank LIMIT 1`,
    [run.finishedAt],
  );
  return rows[0] ? { version: rows[0].version, basis: rows[0].basis } : { version: null, basis: 'none' };
}

export interface TopicTerms {
  topic: number;
  label: string;
  terms: string[];
  weights: number[];
}

export async function topicTerms(db: Db, version: number | null): Promise<TopicTerms[]> {
  if (version === null) return [];
  const { rows } = await db.query<TopicTerms>(`SELECT topic, label, terms, weights FROM topic_terms WHERE model_version = $1 ORDER BY topic`, [version]);
  return rows.map((r) => ({ topic: r.topic, label: r.label, terms: r.terms, weights: r.weights.map(Number) }));
}

/**
 * The run's posts ($1) as one topic model (version $2) sees them: `other` is the model of a post another topic model
 * labelled (a retrain rescored the days of a run that shared it), whose `topic` is then null, since its id means
 * nothing in this model; else null.
 */
export const RUN_POSTS_OF_MODEL = `(SELECT p.post_id, p.created_at, p.sentiment_label, p.sentiment_compound,
    CASE WHEN p.topic IS NOT NULL AND p.topic_model IS NOT NULL AND p.topic_model <> 'topics.v' || $2::text THEN p.topic_model END AS other,
    CASE WHEN p.topic_model IS NULL OR p.topic_model = 'topics.v' || $2::text THEN p.topic END AS topic
  FROM ${RUN_POSTS} AS p)`;

/** What a row of posts that another topic model labelled is called. */
export const otherModelName = (model: string) => `labelled by another topic model (${model})`;

/** A topic's name for people: its label when the model described it, else its id; posts without a topic are "all posts". */
export function topicName(topic: number | null, labels: ReadonlyMap<number, string>): string {
  if (topic === null) return 'all posts (no topic)';
  const label = labels.get(topic);
  return label ? `${topic}: ${label}` : `topic ${topic}`;
}

export interface TopicSummary extends Partial<Omit<TopicTerms, 'topic'>> {
  /** null: posts without a topic, or (with `otherModel`) posts another topic model labelled */
  topic: number | null;
  name: string;
  /** the posts of this row carry the topic ids of this other model (`topics.v4`), which mean nothing in `model`'s terms */
  otherModel?: string;
  posts: number;
  share: number;
  /** mean compound of the posts with sentiment; null when none has any (all "not scored") */
  meanSentiment: number | null;
  positive: number;
  negative: number;
}

/**
 * Posts and sentiment per topic of the run, with each topic's terms when the model described them; biggest first.
 * A topic id means something only in its model: posts another topic model labelled (a retrain rescored the days of
 * another run that shared them) are counted in a row of their own per model, not under `model`'s ids.
 */
export async function topicSummary(db: Db, runKey: string, model: TopicModelRef): Promise<TopicSummary[]> {
  const m = model;
  const terms = await topicTerms(db, m.version);
  const byTopic = new Map(terms.map((t) => [t.topic, t]));
  const labels = new Map(terms.map((t) => [t.topic, t.label]));
  const { rows } = await db.query<{ topic: number | null; other: string | null; posts: number; mean: number | null; positive: number; negative: number }>(
    `SELECT topic, other, count(*)::int AS posts, avg(sentiment_compound)::float8 AS mean,
            count(*) FILTER (WHERE sentiment_label = 'positive')::int AS positive,
            count(*) FILTER (WHERE sentiment_label = 'negative')::int AS negative
     FROM ${RUN_POSTS_OF_MODEL} AS labelled
     GROUP BY 1, 2 ORDER BY other NULLS FIRST, posts DESC, topic NULLS LAST`,
    [runKey, m.version],
  );
  const total = rows.reduce((s, r) => s + r.posts, 0);
  return rows.map((r) => ({
    ...(r.other === null ? byTopic.get(r.topic ?? -1) : {}),
    topic: r.topic,
    ...(r.other === null ? {} : { otherModel: r.other }),
    name: r.other === null ? topicName(r.topic, labels) : otherModelName(r.other),
    posts: r.posts,
    share: total ? r.posts / total : 0,
    meanSentiment: r.mean,
    positive: r.positive,
    negative: r.negative,
  }));
}
