/**
 * scorePosts' bulk path (COPY into a temp table, then one INSERT … ON CONFLICT per chunk) on the real
 * Postgres: every value arrives as written, whatever characters COPY's text format has to escape; a
 * partition larger than one chunk is stored whole, from a Parquet features dataset; a refused row in one
 * chunk sends only that chunk to the bisecting fallback.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createScoreActivities, type ScoreResult } from '../../activities/score';
import { openRecordWriter, readNdjson } from '../../lib/datasets';
import type { Stack } from '../../lib/stack';
import type { FeaturedPost } from '../../models/pipeline/features';
import { testFeaturedPost } from '../helpers/posts';
import { requireStack, uniqueId } from '../helpers/stack';

let stack: Stack;
const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const tag = crypto.randomUUID().slice(0, 8);

beforeAll(async () => {
  stack = await requireStack();
});
afterAll(async () => {
  await stack?.db.query(`DELETE FROM post_score_runs WHERE post_id LIKE $1`, [`copytest:${tag}-%`]);
  await stack?.db.query(`DELETE FROM post_scores WHERE post_id LIKE $1`, [`copytest:${tag}-%`]);
  await stack?.close();
});

function post(n: number, over: Partial<FeaturedPost> = {}): FeaturedPost {
  const features: FeaturedPost['features'] = {
    sentiment: { compound: (n % 200) / 100 - 1, label: n % 2 ? 'positive' : 'negative', model: 'lexicon.v1' },
    topic: n % 7,
  };
  return {
    ...testFeaturedPost(`copytest:${tag}-${String(n).padStart(6, '0')}`, `post ${n}`, features, {
      author: { id: `author-${n % 97}`, handle: `h${n}`, followers: null, created_at: null },
      created_at: new Date(Date.UTC(2026, 9, 1) + n * 1000).toISOString(),
    }),
    ...over,
  };
}

/** Scores `rows` as the partition copytest/`date`, from a features dataset in `format`. */
async function score(rows: FeaturedPost[], name: string, format: 'parquet' | 'ndjson.gz', date: string): Promise<ScoreResult> {
  const w = openRecordWriter<FeaturedPost>(stack.store, `test/score-copy/${tag}/${name}.${format}`, 'post-features.v1');
  await w.write(rows);
  const features = await w.close();
  const acts = createScoreActivities({ store: stack.store, db: stack.db });
  return (await new MockActivityEnvironment(undefined, { logger: silent }).run(acts.scorePosts, {
    runKey: uniqueId('score-copy'),
    partition: `copytest/${date}`,
    features,
  })) as ScoreResult;
}

async function stored(ids: string[]) {
  const { rows } = await stack.db.query(
    `SELECT post_id, platform, author_id, created_at, text, lang, hashtags, sentiment_compound, sentiment_label, sentiment_model, topic
     FROM post_scores WHERE post_id = ANY($1) ORDER BY post_id`,
    [ids],
  );
  return rows;
}

describe('scorePosts through COPY', () => {
  it('stores every value as written: the characters COPY escapes, array syntax in hashtags, unicode, nulls', async () => {
    const tricky = [
      post(1, {
        text: 'tab\there, newline\nthere, return\r, backslash \\ and \\N and \\. alone',
        hashtags: ['a,b', 'say "hi"', 'back\\slash', '{brace}', 'NULL', ''],
      }),
      post(2, { text: '', lang: null, author: { id: 'tab\tauthor', handle: 'x', followers: null, created_at: null } }),
      post(3, { text: 'émoji 🎉 東京 עברית', hashtags: ['東京', '🎉'] }),
      post(4, { features: { sentiment: { compound: null, label: null, model: null }, topic: null } }),
      post(5, { text: '\\', hashtags: ['\\'] }),
    ];
    const result = await score(tricky, 'tricky', 'ndjson.gz', '2026-10-01');
    expect(result).toMatchObject({ scored: tricky.length, quarantined: 0 });
    const rows = await stored(tricky.map((p) => p.id));
    expect(rows).toEqual(
      tricky.map((p) => ({
        post_id: p.id,
        platform: p.platform,
        author_id: `${p.platform}:${p.author.id}`, // scoring keys a bare author id by platform
        created_at: new Date(p.created_at),
        text: p.text,
        lang: p.lang,
        hashtags: p.hashtags,
        sentiment_compound: p.features.sentiment.compound === null ? null : rows.find((r) => r.post_id === p.id)!.sentiment_compound,
        sentiment_label: p.features.sentiment.label,
        sentiment_model: p.features.sentiment.model,
        topic: p.features.topic,
      })),
    );
    for (const p of tricky) {
      const r = rows.find((x) => x.post_id === p.id)!;
      if (p.features.sentiment.compound !== null) expect(Math.fround(r.sentiment_compound)).toBe(Math.fround(p.features.sentiment.compound));
    }
  });

  it('stores a partition of several chunks from Parquet; a refused row falls back for its chunk only and is quarantined', async () => {
    const rows = Array.from({ length: 23_456 }, (_, i) => post(100_000 + i));
    rows[15_000] = post(100_000 + 15_000, { features: { sentiment: { compound: 0.1, label: 'great' as 'positive', model: 'lexicon.v1' }, topic: 1 } });
    const result = await score(rows, 'many', 'parquet', '2026-10-02');
    expect(result).toMatchObject({ scored: rows.length - 1, quarantined: 1 });
    const { rows: counted } = await stack.db.query(`SELECT count(*)::int AS n FROM post_scores WHERE post_id = ANY($1)`, [rows.map((p) => p.id)]);
    expect(counted[0].n).toBe(rows.length - 1);
    const quarantined = await readNdjson<{ reason: string; record: FeaturedPost }>(stack.store, result.quarantine!);
    expect(quarantined.map((q) => q.record)).toEqual([rows[15_000]]);
    expect(quarantined[0].reason).toMatch(/check constraint.*SQLSTATE 23514/);
    // spot checks across the chunks
    const sample = [0, 9_999, 10_000, 19_999, 20_000, 23_455].map((i) => rows[i]);
    const back = await stored(sample.map((p) => p.id));
    expect(back.map((r) => [r.post_id, r.text, r.topic, r.created_at.toISOString()])).toEqual(
      sample.map((p) => [p.id, p.text, p.features.topic, p.created_at]),
    );
  });
});
