/**
 * scorePosts leaves a post_scores row whose values did not change as it is (no new row version: its
 * xmin stays), while still renewing the run's claim on it, so the stale-claim clean-up, the merge
 * accounting and a later run's take-over behave as before. On the real Postgres.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createScoreActivities, type ScoreResult } from '../../activities/score';
import { openRecordWriter } from '../../lib/datasets';
import type { Stack } from '../../lib/stack';
import type { FeaturedPost } from '../../models/pipeline/features';
import { requireStack, uniqueId } from '../helpers/stack';

let stack: Stack;
const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const tag = crypto.randomUUID().slice(0, 8);
const partition = 'unchangedtest/2026-10-02';

beforeAll(async () => {
  stack = await requireStack();
});
afterAll(async () => {
  await stack?.db.query(`DELETE FROM post_score_runs WHERE post_id LIKE $1`, [`unchangedtest:${tag}-%`]);
  await stack?.db.query(`DELETE FROM post_scores WHERE post_id LIKE $1`, [`unchangedtest:${tag}-%`]);
  await stack?.close();
});

function post(n: number, over: Partial<FeaturedPost> = {}): FeaturedPost {
  return {
    id: `unchangedtest:${tag}-${n}`,
    platform: 'unchangedtest',
    author: { id: `author-${n}`, handle: `h${n}`, followers: null, created_at: null },
    text: `post ${n}`,
    lang: 'en',
    created_at: new Date(Date.UTC(2026, 9, 2) + n * 1000).toISOString(),
    url: null,
    metrics: { likes: 0, reposts: 0, replies: 0, views: null },
    reply_to: null,
    repost_of: null,
    hashtags: [`t${n}`],
    mentions: [],
    urls: [],
    features: { sentiment: { compound: 0.25, label: 'positive', model: 'lexicon.v1' }, topic: n },
    ...over,
  };
}

let dataset = 0;
async function score(runKey: string, rows: FeaturedPost[]): Promise<ScoreResult> {
  const w = openRecordWriter<FeaturedPost>(stack.store, `test/score-unchanged/${tag}/${dataset++}.parquet`, 'post-features.v1');
  await w.write(rows);
  const features = await w.close();
  const acts = createScoreActivities({ store: stack.store, db: stack.db });
  return (await new MockActivityEnvironment(undefined, { logger: silent }).run(acts.scorePosts, { runKey, partition, features })) as ScoreResult;
}

/** post id → its row version (xmin), run, text and scored_at */
async function rows(): Promise<Map<string, { xmin: string; run_key: string; text: string; scored_at: Date }>> {
  const { rows } = await stack.db.query(`SELECT post_id, xmin::text AS xmin, run_key, text, scored_at FROM post_scores WHERE post_id LIKE $1`, [
    `unchangedtest:${tag}-%`,
  ]);
  return new Map(rows.map((r) => [r.post_id as string, r]));
}

/** run key → post ids it claims, with the claim's scored_at */
async function claims(): Promise<Array<{ run_key: string; post_id: string; scored_at: Date }>> {
  const { rows } = await stack.db.query(`SELECT run_key, post_id, scored_at FROM post_score_runs WHERE post_id LIKE $1 ORDER BY run_key, post_id`, [
    `unchangedtest:${tag}-%`,
  ]);
  return rows;
}

describe('scorePosts on rows whose values did not change', () => {
  it('keeps unchanged rows, renews their claims, updates changed ones, deletes stale ones, and lets a later run take a row over', async () => {
    const r1 = uniqueId('unchanged-a');
    const id = (n: number) => `unchangedtest:${tag}-${n}`;
    expect(await score(r1, [post(1), post(2), post(3)])).toMatchObject({ scored: 3, quarantined: 0, mergedFrom: [] });
    const first = await rows();
    const firstClaims = await claims();
    expect([...first.keys()].sort()).toEqual([id(1), id(2), id(3)]);
    expect(firstClaims.map((c) => c.post_id)).toEqual([id(1), id(2), id(3)]);

    // A retry on the same data: no row gets a new version, every claim is renewed.
    expect(await score(r1, [post(1), post(2), post(3)])).toMatchObject({ scored: 3, quarantined: 0, mergedFrom: [] });
    const retried = await rows();
    for (const n of [1, 2, 3]) {
      expect(retried.get(id(n))!.xmin).toBe(first.get(id(n))!.xmin);
      expect(retried.get(id(n))!.scored_at).toEqual(first.get(id(n))!.scored_at);
    }
    const retriedClaims = await claims();
    expect(retriedClaims.map((c) => c.post_id)).toEqual([id(1), id(2), id(3)]);
    for (let i = 0; i < 3; i++) expect(retriedClaims[i].scored_at.getTime()).toBeGreaterThan(firstClaims[i].scored_at.getTime());

    // A re-run where post 2 changed and post 3 is gone: 2 is rewritten, 1 kept as it is, 3 (stale, only this run's) deleted.
    expect(await score(r1, [post(1), post(2, { text: 'post 2, corrected' })])).toMatchObject({ scored: 2, quarantined: 0, mergedFrom: [] });
    const rerun = await rows();
    expect([...rerun.keys()].sort()).toEqual([id(1), id(2)]);
    expect(rerun.get(id(1))!.xmin).toBe(first.get(id(1))!.xmin);
    expect(rerun.get(id(2))!.xmin).not.toBe(first.get(id(2))!.xmin);
    expect(rerun.get(id(2))!.text).toBe('post 2, corrected');
    expect(rerun.get(id(2))!.scored_at.getTime()).toBeGreaterThan(first.get(id(2))!.scored_at.getTime());
    expect((await claims()).map((c) => [c.run_key, c.post_id])).toEqual([
      [r1, id(1)],
      [r1, id(2)],
    ]);

    // A later run with the same values for post 1: the row is this run's now (run_key differs, so it is updated),
    // the earlier run keeps its claim, and the merge is reported.
    const r2 = uniqueId('unchanged-b');
    expect(await score(r2, [post(1)])).toMatchObject({ scored: 1, quarantined: 0, mergedFrom: [{ runKey: r1, posts: 1 }] });
    const later = await rows();
    expect(later.get(id(1))!.run_key).toBe(r2);
    expect(later.get(id(1))!.xmin).not.toBe(first.get(id(1))!.xmin);
    expect(later.get(id(2))!.run_key).toBe(r1);
    expect((await claims()).map((c) => [c.run_key, c.post_id]).sort()).toEqual(
      [
        [r1, id(1)],
        [r1, id(2)],
        [r2, id(1)],
      ].sort(),
    );
  });
  it('does the same on the jsonb path, which takes a whole chunk when one of its rows is refused', async () => {
    const r1 = uniqueId('unchanged-json');
    const id = (n: number) => `unchangedtest:${tag}-${n}`;
    const good = [post(11), post(12)];
    const bad = post(13, { features: { sentiment: { compound: 0.5, label: 'ecstatic' as 'positive', model: 'lexicon.v1' }, topic: 1 } });
    expect(await score(r1, [...good, bad])).toMatchObject({ scored: 2, quarantined: 1 });
    const first = await rows();
    const firstClaims = (await claims()).filter((c) => c.run_key === r1);
    expect(firstClaims.map((c) => c.post_id)).toEqual([id(11), id(12)]);

    expect(await score(r1, [post(11), post(12, { text: 'post 12, corrected' }), bad])).toMatchObject({ scored: 2, quarantined: 1, mergedFrom: [] });
    const again = await rows();
    expect(again.get(id(11))!.xmin).toBe(first.get(id(11))!.xmin);
    expect(again.get(id(12))!.xmin).not.toBe(first.get(id(12))!.xmin);
    expect(again.get(id(12))!.text).toBe('post 12, corrected');
    expect(again.has(id(13))).toBe(false);
    const againClaims = (await claims()).filter((c) => c.run_key === r1);
    expect(againClaims.map((c) => c.post_id)).toEqual([id(11), id(12)]);
    for (let i = 0; i < 2; i++) expect(againClaims[i].scored_at.getTime()).toBeGreaterThan(firstClaims[i].scored_at.getTime());
  });
});
