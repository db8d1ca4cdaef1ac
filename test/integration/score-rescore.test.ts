/**
 * A retrain's rescoring (scorePosts with `rescore`) on the real Postgres: it replaces only the scores of the rows its
 * run still owns, whatever part of the day they are in, and never the content or the owner of a row another run took
 * over meanwhile. Found by a retrain that read a day's inputs while a newer import of that day landed: the retrain
 * wrote the first file's texts back over the edited ones.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createScoreActivities, type ScoreInput, type ScoreResult } from '../../activities/score';
import { openRecordWriter } from '../../lib/datasets';
import type { Stack } from '../../lib/stack';
import type { FeaturedPost } from '../../models/pipeline/features';
import { testFeaturedPost } from '../helpers/posts';
import { requireStack, uniqueId } from '../helpers/stack';
import { topicModelFor, topicVersionOf } from '../../cli/report/queries/topics';

let stack: Stack;
const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const tag = crypto.randomUUID().slice(0, 8);
const day = 'rescoretest/2026-10-03';

beforeAll(async () => {
  stack = await requireStack();
});
afterAll(async () => {
  await stack?.db.query(`DELETE FROM post_score_runs WHERE post_id LIKE $1`, [`rescoretest:${tag}-%`]);
  await stack?.db.query(`DELETE FROM post_scores WHERE post_id LIKE $1`, [`rescoretest:${tag}-%`]);
  await stack?.close();
});

const id = (n: number) => `rescoretest:${tag}-${n}`;
const post = (n: number, text: string, compound: number, topic: number): FeaturedPost =>
  testFeaturedPost(
    id(n),
    text,
    { sentiment: { compound, label: compound > 0 ? 'positive' : 'negative', model: compound > 0.5 ? 'classifier.v2' : 'lexicon.v1' }, topic },
    { author: { id: `author-${n}`, handle: `h${n}`, followers: null, created_at: null }, created_at: new Date(Date.UTC(2026, 9, 3) + n * 1000).toISOString() },
  );

let dataset = 0;
async function score(input: Omit<ScoreInput, 'features'>, rows: FeaturedPost[]): Promise<ScoreResult> {
  const w = openRecordWriter<FeaturedPost>(stack.store, `test/score-rescore/${tag}/${dataset++}.parquet`, 'post-features.v1');
  await w.write(rows);
  const features = await w.close();
  const acts = createScoreActivities({ store: stack.store, db: stack.db });
  return (await new MockActivityEnvironment(undefined, { logger: silent }).run(acts.scorePosts, { ...input, features })) as ScoreResult;
}

const table = async () =>
  (
    await stack.db.query(
      `SELECT post_id, run_key, partition, text, sentiment_compound AS compound, sentiment_model AS model, topic, topic_model FROM post_scores WHERE post_id LIKE $1 ORDER BY post_id`,
      [`rescoretest:${tag}-%`],
    )
  ).rows;
const claims = async () =>
  (await stack.db.query(`SELECT run_key, post_id, partition FROM post_score_runs WHERE post_id LIKE $1 ORDER BY run_key, post_id`, [`rescoretest:${tag}-%`]))
    .rows;

describe('a rescore', () => {
  it('replaces the scores of the rows its run still owns, in every part of the day, and nothing of a row another run took over', async () => {
    const first = uniqueId('import-first');
    const newer = uniqueId('import-newer');
    // the first import: posts 1–2 in part 0 of the day, 3 in part 1
    await score({ runKey: first, partition: `${day}/part-0`, topicModel: 'topics.v1' }, [post(1, 'one', 0.1, 1), post(2, 'two', 0.1, 1)]);
    await score({ runKey: first, partition: `${day}/part-1`, topicModel: 'topics.v1' }, [post(3, 'three', 0.1, 1)]);
    // the rows say which model their topic ids are of, before what the run's summary says
    expect(await topicModelFor(stack.db, { runKey: first, finishedAt: null, summary: { models: { topics: 'topics.v9' } } })).toEqual({
      version: 1,
      basis: 'posts',
    });
    // a newer import of the day takes post 2 over with an edited text
    expect(await score({ runKey: newer, partition: day, topicModel: 'topics.v2' }, [post(2, 'two, edited', 0.2, 2)])).toMatchObject({
      scored: 1,
      mergedFrom: [{ runKey: first, posts: 1 }],
    });
    const claimsBefore = await claims();

    // the retrain rescores the first import's day from its (old) features with the new models
    const rescored = await score({ runKey: first, partition: day, rescore: true, topicModel: 'topics.v7' }, [
      post(1, 'one', 0.9, 7),
      post(2, 'two', 0.9, 7),
      post(3, 'three', 0.9, 7),
    ]);
    expect(rescored).toEqual({ scored: 2, quarantined: 0, quarantine: null, mergedFrom: [] });
    expect(await table()).toEqual([
      { post_id: id(1), run_key: first, partition: `${day}/part-0`, text: 'one', compound: 0.9, model: 'classifier.v2', topic: 7, topic_model: 'topics.v7' },
      // the newer import's row: its text, its scores, its owner, its topic model
      { post_id: id(2), run_key: newer, partition: day, text: 'two, edited', compound: 0.2, model: 'lexicon.v1', topic: 2, topic_model: 'topics.v2' },
      { post_id: id(3), run_key: first, partition: `${day}/part-1`, text: 'three', compound: 0.9, model: 'classifier.v2', topic: 7, topic_model: 'topics.v7' },
    ]);
    // no claim added, moved or removed
    expect(await claims()).toEqual(claimsBefore);
    // each run's topics are named with the model most of its posts carry now
    expect(await topicModelFor(stack.db, { runKey: first, finishedAt: null, summary: null })).toEqual({ version: 7, basis: 'posts' });
    expect(await topicModelFor(stack.db, { runKey: newer, finishedAt: null, summary: null })).toEqual({ version: 2, basis: 'posts' });
  });

  it('names topic model versions the ways runs and rows wrote them', () => {
    const versions = [
      topicVersionOf('topics.v3'),
      topicVersionOf(3),
      topicVersionOf({ version: 12 }),
      topicVersionOf('topics.vx'),
      topicVersionOf(null),
      topicVersionOf('3'),
    ];
    expect(versions).toEqual([3, 3, 12, null, null, null]);
  });

  it('of another day, or by a run that owns nothing, changes nothing', async () => {
    const run = uniqueId('import-day');
    await score({ runKey: run, partition: day }, [post(10, 'ten', 0.1, 1)]);
    const before = await table();
    expect(await score({ runKey: run, partition: 'rescoretest/2026-10-04', rescore: true }, [post(10, 'ten', 0.9, 7)])).toMatchObject({ scored: 0 });
    expect(await score({ runKey: uniqueId('nobody'), partition: day, rescore: true }, [post(10, 'ten', 0.9, 7)])).toMatchObject({ scored: 0 });
    expect(await table()).toEqual(before);
  });
});
