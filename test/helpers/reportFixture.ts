import crypto from 'node:crypto';
import { dayRange } from '../../lib/dates';
import type { Db } from '../../lib/db';
import { createRng } from '../../models/random';

/**
 * Rows in every table the report reads, under a run key of their own, as the pipeline and the
 * training code would write them: one week of scored posts in three topics, four weeks of term
 * trends with forecast bands, three audience segments with recommendations, lineage and models.
 * Dates are in 2021 so a fixture never becomes the "latest" run nor shares a day with real data,
 * and term names carry the run's suffix because term_trends is keyed by (term, kind, day).
 */

export const FIXTURE_DAYS = ['2021-03-08', '2021-03-09', '2021-03-10', '2021-03-11', '2021-03-12', '2021-03-13', '2021-03-14'];
const HISTORY_START = '2021-02-15';
const TOPICS = [
  { topic: 0, label: 'match · goal · league', terms: ['match', 'goal', 'league', 'penalty', 'keeper', 'derby'], mean: 0.35 },
  { topic: 1, label: 'album · tour · song', terms: ['album', 'tour', 'song', 'tickets', 'live', 'setlist'], mean: 0.12 },
  { topic: 2, label: 'price · market · stocks', terms: ['price', 'market', 'stocks', 'rates', 'earnings', 'dip'], mean: -0.28 },
];
const SEGMENTS = [
  { name: 'influencers', users: 4, postsPerDay: 6, engagementReceivedPerPost: 180, followerRatio: 40, meanSentiment: 0.3, botLikeness: 0.05, engagement: 0.72 },
  {
    name: 'typical users',
    users: 14,
    postsPerDay: 1.2,
    engagementReceivedPerPost: 6,
    followerRatio: 1.1,
    meanSentiment: 0.05,
    botLikeness: 0.08,
    engagement: 0.31,
  },
  {
    name: 'likely bots',
    users: 3,
    postsPerDay: 40,
    engagementReceivedPerPost: 0.4,
    followerRatio: 0.02,
    meanSentiment: 0.01,
    botLikeness: 0.86,
    engagement: 0.04,
  },
];

export interface ReportFixture {
  runKey: string;
  /** a failed run (nothing scored), with `emptyRunError` as its root cause */
  emptyRunKey: string;
  emptyRunError: string;
  /** a run somebody cancelled while it imported */
  cancelledRunKey: string;
  topicVersion: number;
  modelVersion: number;
  terms: { worldcup: string; newalbum: string; marketdip: string; summerfest: string };
  /** what the report must show */
  expected: {
    posts: number;
    postsPerDay: Record<string, number>;
    meanPerDay: Record<string, number>;
    topTerm: string;
    topTermTotal: number;
    emergingFirst: string;
    segmentUsers: Record<string, number>;
    influencerPostsPerDay: number;
    exampleUser: string;
    exampleFirstItem: string;
    datasets: number;
  };
  cleanup(): Promise<void>;
}

export async function insertReportFixture(db: Db, seed = 7): Promise<ReportFixture> {
  const suffix = crypto.randomUUID().slice(0, 6);
  const runKey = `test-report-${suffix}`;
  const emptyRunKey = `test-report-empty-${suffix}`;
  const emptyRunError = `InvalidInput: file is empty: /data/empty-${suffix}.csv: nothing to import (activity importFile)`;
  const cancelledRunKey = `test-report-cancelled-${suffix}`;
  const rng = createRng(seed);
  // Versions far above anything real; random so concurrent fixtures do not collide on (name, version).
  const topicVersion = 900_000 + (parseInt(suffix, 16) % 90_000);
  const modelVersion = topicVersion;
  const terms = { worldcup: `worldcup_${suffix}`, newalbum: `newalbum_${suffix}`, marketdip: `marketdip_${suffix}`, summerfest: `summerfest_${suffix}` };
  const uri = (path: string) => `s3://socialsense/test-report/${runKey}/${path}`;
  const cleanup = async () => {
    const keys = [runKey, emptyRunKey, cancelledRunKey];
    await db.query(`DELETE FROM post_score_runs WHERE run_key = ANY($1)`, [keys]);
    await db.query(`DELETE FROM post_scores WHERE run_key = ANY($1)`, [keys]);
    await db.query(`DELETE FROM term_trends WHERE run_key = $1 OR term = ANY($2)`, [runKey, Object.values(terms)]);
    await db.query(`DELETE FROM user_insights WHERE run_key = $1`, [runKey]);
    await db.query(`DELETE FROM topic_terms WHERE model_version = $1`, [topicVersion]);
    await db.query(`DELETE FROM models WHERE run_key = $1`, [runKey]);
    await db.query(`DELETE FROM datasets WHERE run_key = $1`, [runKey]);
    await db.query(`DELETE FROM runs WHERE run_key = ANY($1)`, [keys]);
  };
  try {
    return await insertRows();
  } catch (err) {
    await cleanup().catch(() => undefined); // a half-written fixture must not stay behind
    throw err;
  }

  async function insertRows(): Promise<ReportFixture> {
    // --- runs and lineage
    const lineage = [
      { uri: uri('raw/date=2021-03-08/a1.ndjson.gz'), stage: 'raw', date: '2021-03-08', records: 420, inputs: [] as string[] },
      { uri: uri('raw/date=2021-03-14/a1.ndjson.gz'), stage: 'raw', date: '2021-03-14', records: 465, inputs: [] },
      {
        uri: uri('posts/date=2021-03-14/b2.ndjson.gz'),
        stage: 'posts',
        date: '2021-03-14',
        records: 880,
        inputs: [uri('raw/date=2021-03-08/a1.ndjson.gz'), uri('raw/date=2021-03-14/a1.ndjson.gz')],
      },
      { uri: uri('clean/date=2021-03-14/c3.ndjson.gz'), stage: 'clean', date: '2021-03-14', records: 860, inputs: [uri('posts/date=2021-03-14/b2.ndjson.gz')] },
      {
        uri: uri('features/date=2021-03-14/d4.ndjson.gz'),
        stage: 'features',
        date: '2021-03-14',
        records: 860,
        inputs: [uri('clean/date=2021-03-14/c3.ndjson.gz')],
      },
    ];
    const summary = {
      runKey,
      source: 'simulated',
      date: '2021-03-14',
      models: { topics: topicVersion },
      datasets: { clean: { uri: lineage[3].uri }, features: { uri: lineage[4].uri } },
    };
    await db.query(
      `INSERT INTO runs (run_key, workflow_id, kind, status, input, summary, error, started_at, finished_at) VALUES
       ($1, $1, 'pipeline', 'completed', $2, $3, NULL, '2021-03-15T02:00:00Z', '2021-03-15T02:07:00Z'),
       ($4, $4, 'pipeline', 'failed', '{"date":"2021-04-20"}', NULL, $5, '2021-03-15T03:00:00Z', '2021-03-15T03:01:00Z'),
       ($6, $6, 'pipeline', 'cancelled', '{"date":"2021-04-21"}', NULL, 'Cancelled: ActivityFailure: Activity cancelled (activity importFile)',
        '2021-03-15T04:00:00Z', '2021-03-15T04:00:09Z')`,
      [
        runKey,
        JSON.stringify({ source: 'simulated', date: '2021-03-14', days: 7, posts: 120 }),
        JSON.stringify(summary),
        emptyRunKey,
        emptyRunError,
        cancelledRunKey,
      ],
    );
    for (const d of lineage) {
      await db.query(
        `INSERT INTO datasets (uri, stage, source, partition_date, schema, format, records, bytes, sha256, run_key, inputs)
       VALUES ($1, $2, 'simulated', $3, $4, 'ndjson.gz', $5, $6, $7, $8, $9)`,
        [
          d.uri,
          d.stage,
          d.date,
          d.stage === 'features' ? 'post-features.v1' : 'post.v1',
          d.records,
          d.records * 57,
          crypto.createHash('sha256').update(d.uri).digest('hex'),
          runKey,
          d.inputs,
        ],
      );
    }

    // --- scored posts: a week, three topics, each topic with its own mood that drifts over the week
    const posts: Array<{ id: string; author: string; at: string; text: string; hashtags: string[]; compound: number; label: string; topic: number }> = [];
    FIXTURE_DAYS.forEach((day, di) => {
      for (const t of TOPICS) {
        const n = 12 + di * 2 + t.topic * 4;
        for (let i = 0; i < n; i++) {
          const compound = Math.max(-1, Math.min(1, t.mean + (t.topic === 2 ? -0.03 : 0.02) * di + 0.25 * rng.normal()));
          const hour = String(rng.int(24)).padStart(2, '0');
          posts.push({
            id: `${runKey}:${day}:${t.topic}:${i}`,
            author: `${runKey}:u${rng.int(21)}`,
            at: `${day}T${hour}:15:00Z`,
            text: `${t.terms[rng.int(t.terms.length)]} ${t.terms[rng.int(t.terms.length)]}`,
            hashtags: [[terms.worldcup, terms.newalbum, terms.marketdip][t.topic]],
            compound: Math.round(compound * 1e4) / 1e4,
            label: compound >= 0.05 ? 'positive' : compound <= -0.05 ? 'negative' : 'neutral',
            topic: t.topic,
          });
        }
      }
    });
    await db.query(
      `INSERT INTO post_scores (post_id, run_key, partition, platform, author_id, created_at, text, lang, hashtags, sentiment_compound, sentiment_label, sentiment_model, topic)
     SELECT t.id, $1, 'simulated/' || to_char(t.at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), 'simulated', t.author, t.at, t.text, 'en', ARRAY(SELECT jsonb_array_elements_text(t.hashtags)), t.compound, t.label, 'lexicon.v1', t.topic
     FROM jsonb_to_recordset($2::jsonb) AS t(id text, author text, at timestamptz, text text, hashtags jsonb, compound real, label text, topic int)`,
      [runKey, JSON.stringify(posts)],
    );
    // The empty run: a few posts without hashtags or topics, and nothing else.
    await db.query(
      `INSERT INTO post_scores (post_id, run_key, partition, platform, author_id, created_at, text, hashtags, sentiment_compound, sentiment_label, sentiment_model)
     VALUES ($2 || ':1', $1, 'simulated/2021-04-20', 'simulated', 'x', '2021-04-20T10:00:00Z', 'ok', '{}', 0.2, 'positive', 'lexicon.v1'),
            ($2 || ':2', $1, 'simulated/2021-04-20', 'simulated', 'x', '2021-04-20T11:00:00Z', 'meh', '{}', -0.2, 'negative', 'lexicon.v1')`,
      [emptyRunKey, emptyRunKey],
    );
    // Which run scored which post, as scorePosts records it: the report reads a run's posts through it.
    await db.query(
      `INSERT INTO post_score_runs (run_key, post_id, partition, scored_at)
     SELECT run_key, post_id, partition, scored_at FROM post_scores WHERE run_key = ANY($1)`,
      [[runKey, emptyRunKey]],
    );

    // --- topics and models
    for (const t of TOPICS) {
      await db.query(`INSERT INTO topic_terms (model_version, topic, label, terms, weights) VALUES ($1, $2, $3, $4, $5)`, [
        topicVersion,
        t.topic,
        t.label,
        t.terms,
        t.terms.map((_, i) => Math.round((0.12 / (i + 1)) * 1e4) / 1e4),
      ]);
    }
    await db.query(
      `INSERT INTO models (name, version, status, metrics, baseline, params, artifact_uri, lineage, run_key, created_at) VALUES
       ('topics', $1, 'candidate', '{"nmi":0.612,"coherence":0.441,"k":3}', '{"nmi":0.55}', '{"k":3}', $3, '{}', $2, '2021-03-15T02:05:00Z'),
       ('sentiment', $1, 'candidate', '{"macroRecall":0.742,"accuracy":0.751}', '{"macroRecall":0.701,"accuracy":0.712}', '{}', $4, '{}', $2, '2021-03-15T02:05:00Z'),
       ('recommender', $1, 'rejected', '{"ndcg10":0.118}', '{"ndcg10":0.153}', '{}', $5, '{}', $2, '2021-03-15T02:06:00Z')`,
      [modelVersion, runKey, uri('models/topics.json'), uri('models/sentiment.json'), uri('models/recommender.json')],
    );

    // --- term trends: four weeks of daily volume; the forecast made each day is for the next day
    const series: Record<string, (i: number, n: number) => number> = {
      [terms.worldcup]: (i, n) => 120 + 15 * Math.sin(i / 2) + (i >= n - 2 ? 260 + 120 * (i - (n - 2)) : 0),
      [terms.newalbum]: (i, n) => 80 + i * 2 + (i === n - 1 ? 90 : 0),
      [terms.marketdip]: (i) => 230 - i * 3,
      [terms.summerfest]: (i) => 40 + 6 * Math.cos(i),
    };
    const history = dayRange(HISTORY_START, FIXTURE_DAYS[FIXTURE_DAYS.length - 1]);
    const trendRows: unknown[] = [];
    const totals = new Map<string, number>();
    for (const [term, f] of Object.entries(series)) {
      const volumes = history.map((_, i) => Math.round(f(i, history.length)));
      volumes.forEach((volume, i) => {
        const recent = volumes.slice(Math.max(0, i - 6), i + 1);
        const mean = recent.reduce((a, b) => a + b, 0) / recent.length;
        const sd = Math.sqrt(recent.reduce((a, b) => a + (b - mean) ** 2, 0) / recent.length) + 5;
        const prev = volumes.slice(Math.max(0, i - 7), i);
        const base = prev.length ? prev.reduce((a, b) => a + b, 0) / prev.length : volume;
        const z = (volume - base) / sd;
        const flag = i >= 7 && z > 2.5;
        trendRows.push({
          term,
          day: history[i],
          volume,
          flag,
          score: Math.round(z * 100) / 100,
          forecast: mean,
          low: mean - 1.64 * sd,
          high: mean + 1.64 * sd,
        });
        if (history[i] >= FIXTURE_DAYS[0]) totals.set(term, (totals.get(term) ?? 0) + volume);
      });
    }
    await db.query(
      `INSERT INTO term_trends (term, kind, day, volume, trend_flag, score, forecast, forecast_low, forecast_high, run_key)
     SELECT t.term, 'hashtag', t.day, t.volume, t.flag, t.score, t.forecast, greatest(0, t.low), t.high, $1
     FROM jsonb_to_recordset($2::jsonb) AS t(term text, day date, volume int, flag boolean, score real, forecast real, low real, high real)`,
      [runKey, JSON.stringify(trendRows)],
    );
    const flagged = (trendRows as Array<{ term: string; day: string; flag: boolean; score: number }>).filter((r) => r.flag && r.day >= FIXTURE_DAYS[0]);
    const emergingFirst = flagged.sort((a, b) => b.score - a.score)[0]?.term;
    const [topTerm, topTermTotal] = [...totals].sort((a, b) => b[1] - a[1])[0];

    // --- users: three segments with profiles and recommendations
    const users: unknown[] = [];
    let u = 0;
    for (const s of SEGMENTS) {
      for (let i = 0; i < s.users; i++, u++) {
        const jitter = 1 + (0.1 * (i - (s.users - 1) / 2)) / s.users;
        users.push({
          user_id: `${runKey}:u${u}`,
          // the most engaged typical user writes markup in their handle: the report must show it as text
          handle: s.name === 'typical users' && i === s.users - 1 ? `<i>typical</i>_${i}` : `${s.name.split(' ')[0].replace(/s$/, '')}_${i}`,
          segment: SEGMENTS.indexOf(s),
          segment_name: s.name,
          engagement_probability: Math.min(1, s.engagement * jitter),
          bot_likeness: s.botLikeness,
          profile: {
            posts: Math.round(s.postsPerDay * 7),
            postsPerDay: s.postsPerDay * jitter,
            engagementReceivedPerPost: s.engagementReceivedPerPost * jitter,
            engagementsGivenPerDay: s.name === 'likely bots' ? 30 : 2 * jitter,
            followerRatio: s.followerRatio,
            meanSentiment: s.meanSentiment,
            hourEntropy: s.name === 'likely bots' ? 4.5 : 2.6,
            nearDuplicateRatio: s.name === 'likely bots' ? 0.6 : 0.02,
            botLikeness: s.botLikeness,
            topicMix: s.name === 'likely bots' ? { '2': 1 } : s.name === 'influencers' ? { '0': 0.7, '1': 0.3 } : { '0': 0.3, '1': 0.5, '2': 0.2 },
            engagementsGivenByKind: { like: 3, reply: 1, repost: 0 },
          },
          recommendations: [
            { item: `#${terms.worldcup}`, kind: 'hashtag', score: 0.91 - i * 0.01 },
            { item: `@${SEGMENTS[0].name.slice(0, 5)}_${(i + 1) % 4}`, kind: 'account', score: 0.74 },
            { item: `${runKey}:2021-03-14:1:${i}`, kind: 'post', score: 0.52 },
          ],
        });
      }
    }
    await db.query(
      `INSERT INTO user_insights (user_id, run_key, handle, profile, segment, segment_name, engagement_probability, bot_likeness, recommendations, updated_at)
     SELECT t.user_id, $1, t.handle, t.profile, t.segment, t.segment_name, t.engagement_probability, t.bot_likeness, t.recommendations, '2021-03-15T02:06:30Z'
     FROM jsonb_to_recordset($2::jsonb) AS t(user_id text, handle text, profile jsonb, segment int, segment_name text, engagement_probability real, bot_likeness real, recommendations jsonb)`,
      [runKey, JSON.stringify(users)],
    );

    const postsPerDay: Record<string, number> = {};
    const sumPerDay: Record<string, number> = {};
    for (const p of posts) {
      const day = p.at.slice(0, 10);
      postsPerDay[day] = (postsPerDay[day] ?? 0) + 1;
      sumPerDay[day] = (sumPerDay[day] ?? 0) + p.compound;
    }
    const influencers = (users as Array<{ segment_name: string; profile: { postsPerDay: number }; user_id: string }>).filter(
      (x) => x.segment_name === 'influencers',
    );

    return {
      runKey,
      emptyRunKey,
      emptyRunError,
      cancelledRunKey,
      topicVersion,
      modelVersion,
      terms,
      expected: {
        posts: posts.length,
        postsPerDay,
        meanPerDay: Object.fromEntries(Object.entries(sumPerDay).map(([d, s]) => [d, s / postsPerDay[d]])),
        topTerm,
        topTermTotal,
        emergingFirst,
        segmentUsers: Object.fromEntries(SEGMENTS.map((s) => [s.name, s.users])),
        influencerPostsPerDay: influencers.reduce((a, x) => a + x.profile.postsPerDay, 0) / influencers.length,
        // the likeliest to engage of the biggest… of every segment; influencers rank first
        exampleUser: influencers[influencers.length - 1].user_id,
        exampleFirstItem: `#${terms.worldcup}`,
        datasets: lineage.length,
      },
      cleanup,
    };
  }
}
