import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { FeaturedPost } from '../../models/pipeline/features';
import { createScoreActivities, type ScoreResult } from '../../activities/score';
import { readNdjson, writeNdjson } from '../../lib/datasets';
import { createDb, withTransaction } from '../../lib/db';
import { insertRefusingBadRows, isPgDataError, rethrowDataErrorAsNonRetryable } from '../../lib/pgDataErrors';
import type { Stack } from '../../lib/stack';
import { socialSensePipeline } from '../../workflows/pipeline';
import { requireStack, startTestWorkers, uniqueId } from '../helpers/stack';

/**
 * The score stage's fallback on the real Postgres: a record that still cannot be stored (sanitising
 * upstream bypassed, a timestamp Postgres cannot hold) is quarantined with the Postgres message, the
 * rest of the partition is stored, and the activity succeeds on its first attempt instead of retrying.
 */
let stack: Stack;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'socialsense-score-'));
const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

beforeAll(async () => {
  stack = await requireStack();
});
afterAll(async () => {
  await stack?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const tag = crypto.randomUUID().slice(0, 8);
function post(n: string, over: Partial<FeaturedPost> = {}, label = 'positive'): FeaturedPost {
  return {
    id: `scoretest:${tag}-${n}`,
    platform: 'scoretest',
    author: { id: `author-${n}`, handle: `h${n}`, followers: null, created_at: null },
    text: `post ${n} is fine`,
    lang: 'en',
    created_at: '2026-10-01T10:00:00.000Z',
    url: null,
    metrics: { likes: 0, reposts: 0, replies: 0, views: null },
    reply_to: null,
    repost_of: null,
    hashtags: ['ok'],
    mentions: [],
    urls: [],
    features: { sentiment: { compound: 0.5, label: label as 'positive', model: 'lexicon.v1' }, topic: null },
    ...over,
  };
}

describe('scorePosts stores what Postgres accepts and quarantines what it refuses', () => {
  it('bisects a batch with an out-of-range timestamp, a NUL, a lone surrogate and a bad label; the good rows are stored once', async () => {
    const good = ['g1', 'g2', 'g3', 'g4', 'g5', 'g6', 'g7'].map((n) => post(n));
    const bad = [
      post('year0', { created_at: '0000-01-01T00:00:00Z' }),
      post('nul', { text: 'before\u0000after' }),
      post('surrogate', { text: 'truncated retweet \ud83c' }),
      post('label', {}, 'great'),
    ];
    // Bad rows spread through the batch, so bisecting has to find each one.
    const rows = [good[0], bad[0], good[1], good[2], bad[1], good[3], good[4], bad[2], good[5], bad[3], good[6]];
    const features = await writeNdjson(stack.store, `test/score-fallback/${tag}/features.ndjson.gz`, rows, 'post-features.v1');
    const runKey = uniqueId('score-fallback');
    const acts = createScoreActivities({ store: stack.store, db: stack.db });
    const input = { runKey, partition: 'scoretest/2026-10-01', features };

    const env = new MockActivityEnvironment({ attempt: 1 }, { logger: silent });
    const result = (await env.run(acts.scorePosts, input)) as ScoreResult; // resolves on the first attempt: nothing for Temporal to retry
    expect(result.scored).toBe(7);
    expect(result.quarantined).toBe(4);
    expect(result.mergedFrom).toEqual([]);

    const stored = await stack.db.query(`SELECT post_id, run_key FROM post_scores WHERE post_id LIKE $1 ORDER BY post_id`, [`scoretest:${tag}-%`]);
    expect(stored.rows.map((r) => r.post_id)).toEqual(good.map((p) => p.id).sort());
    expect(new Set(stored.rows.map((r) => r.run_key))).toEqual(new Set([runKey]));

    const quarantined = await readNdjson<{ reason: string; record: FeaturedPost }>(stack.store, result.quarantine!);
    const reasonOf = Object.fromEntries(quarantined.map((q) => [q.record.id.split('-').pop(), q.reason]));
    expect(Object.keys(reasonOf).sort()).toEqual(['label', 'nul', 'surrogate', 'year0']);
    expect(reasonOf.year0).toMatch(/date\/time field value out of range.*SQLSTATE 22008/);
    expect(reasonOf.nul).toMatch(/unsupported Unicode escape sequence.*SQLSTATE 22P05/);
    expect(reasonOf.surrogate).toMatch(/surrogate.*SQLSTATE 22P0\d/);
    expect(reasonOf.label).toMatch(/check constraint.*SQLSTATE 23514/);
    // the whole post is kept, so it can be fixed and re-imported
    expect(quarantined.find((q) => q.record.id.endsWith('year0'))!.record.created_at).toBe('0000-01-01T00:00:00Z');
    const catalogued = await stack.db.query(`SELECT stage, run_key, records FROM datasets WHERE uri = $1`, [result.quarantine!.uri]);
    expect(catalogued.rows[0]).toEqual({ stage: 'quarantine', run_key: runKey, records: 4 });

    // A retry (or a repeated run) gives the same answer and duplicates nothing.
    const again = (await new MockActivityEnvironment({ attempt: 2 }, { logger: silent }).run(acts.scorePosts, input)) as ScoreResult;
    expect(again).toMatchObject({ scored: 7, quarantined: 4, mergedFrom: [] });
    const count = await stack.db.query(`SELECT count(*)::int AS n FROM post_scores WHERE post_id LIKE $1`, [`scoretest:${tag}-%`]);
    expect(count.rows[0].n).toBe(7);
    const claims = await stack.db.query(`SELECT count(*)::int AS n FROM post_score_runs WHERE run_key = $1`, [runKey]);
    expect(claims.rows[0].n).toBe(7);
  });

  it('a partition where every row is refused stores nothing and quarantines all of them, without failing', async () => {
    const rows = [post('all1', { created_at: '0000-01-01T00:00:00Z' }), post('all2', { text: '\u0000' })];
    const features = await writeNdjson(stack.store, `test/score-fallback/${tag}/all-bad.ndjson.gz`, rows, 'post-features.v1');
    const acts = createScoreActivities({ store: stack.store, db: stack.db });
    const result = (await new MockActivityEnvironment(undefined, { logger: silent }).run(acts.scorePosts, {
      runKey: uniqueId('score-all-bad'),
      partition: 'scoretest/2026-10-01',
      features,
    })) as ScoreResult;
    expect(result).toMatchObject({ scored: 0, quarantined: 2 });
  });

  it('connection errors stay retryable: they are thrown as they are, not quarantined and not marked non-retryable', async () => {
    const features = await writeNdjson(stack.store, `test/score-fallback/${tag}/conn.ndjson.gz`, [post('conn')], 'post-features.v1');
    const unreachable = createDb('postgres://postgres@127.0.0.1:1/socialsense', 1);
    try {
      const acts = createScoreActivities({ store: stack.store, db: unreachable });
      const err = await new MockActivityEnvironment(undefined, { logger: silent })
        .run(acts.scorePosts, { runKey: uniqueId('score-conn'), partition: 'scoretest/2026-10-01', features })
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(err).toBeInstanceOf(Error);
      expect((err as { code?: string }).code).toBe('ECONNREFUSED');
      expect(err).not.toBeInstanceOf(ApplicationFailure);
    } finally {
      await unreachable.end();
    }
  });
});

describe('scorePosts ownership: a run replaces only its own rows', () => {
  it('a re-run drops its own posts it no longer produces, never a post another run also scored', async () => {
    const acts = createScoreActivities({ store: stack.store, db: stack.db });
    const R = uniqueId('own-r');
    const S = uniqueId('own-s');
    const ids = (...ns: string[]) => ns.map((n) => `scoretest:${tag}-own${n}`);
    const score = async (runKey: string, ns: string[]) => {
      const features = await writeNdjson(
        stack.store,
        `test/score-fallback/${tag}/${runKey}-${ns.join('')}.ndjson.gz`,
        ns.map((n) => post(`own${n}`)),
        'post-features.v1',
      );
      return (await new MockActivityEnvironment(undefined, { logger: silent }).run(acts.scorePosts, {
        runKey,
        partition: 'scoretest/2026-10-01',
        features,
      })) as ScoreResult;
    };
    const rows = async () =>
      (await stack.db.query(`SELECT post_id, run_key FROM post_scores WHERE post_id = ANY($1) ORDER BY post_id`, [ids('1', '2', '3')])).rows.map(
        (r) => `${r.post_id.split('-').pop()}:${r.run_key === R ? 'R' : r.run_key === S ? 'S' : '?'}`,
      );
    const claims = async (runKey: string) => (await stack.db.query(`SELECT count(*)::int AS n FROM post_score_runs WHERE run_key = $1`, [runKey])).rows[0].n;

    expect(await score(R, ['1', '2', '3'])).toMatchObject({ scored: 3, mergedFrom: [] });
    expect(await score(S, ['3'])).toMatchObject({ scored: 1, mergedFrom: [{ runKey: R, posts: 1 }] });
    expect(await rows()).toEqual(['own1:R', 'own2:R', 'own3:S']);
    // R again without post 3: S scored it too, so it stays (with S's scores); R's claim on it goes.
    expect(await score(R, ['1', '2'])).toMatchObject({ scored: 2, mergedFrom: [] });
    expect(await rows()).toEqual(['own1:R', 'own2:R', 'own3:S']);
    expect([await claims(R), await claims(S)]).toEqual([2, 1]);
    // R again without post 2: only R had it, so the row goes with R's claim.
    expect(await score(R, ['1'])).toMatchObject({ scored: 1 });
    expect(await rows()).toEqual(['own1:R', 'own3:S']);
    expect(await claims(R)).toBe(1);
  });

  it('a later run that re-scores a post replaces every column of its row: a corrected time, author and platform win', async () => {
    const acts = createScoreActivities({ store: stack.store, db: stack.db });
    const first = uniqueId('cols-a');
    const second = uniqueId('cols-b');
    const id = `${tag}-cols1`;
    const score = async (runKey: string, p: FeaturedPost) => {
      const features = await writeNdjson(stack.store, `test/score-fallback/${tag}/${runKey}.ndjson.gz`, [p], 'post-features.v1');
      return (await new MockActivityEnvironment(undefined, { logger: silent }).run(acts.scorePosts, {
        runKey,
        partition: `scoretest/${p.created_at.slice(0, 10)}`,
        features,
      })) as ScoreResult;
    };
    await score(first, post('cols1', { text: 'wrong day, wrong author' }));
    const corrected = post('cols1', {
      text: 'the corrected row',
      created_at: '2026-10-05T08:30:00.000Z',
      author: { id: 'author-fixed', handle: 'fixed', followers: null, created_at: null },
      features: { sentiment: { compound: -0.6, label: 'negative', model: 'lexicon.v1' }, topic: 4 },
    });
    expect(await score(second, corrected)).toMatchObject({ scored: 1, mergedFrom: [{ runKey: first, posts: 1 }] });
    const { rows } = await stack.db.query(
      `SELECT run_key, partition, platform, author_id, created_at, text, sentiment_label, topic FROM post_scores WHERE post_id = $1`,
      [`scoretest:${id}`],
    );
    expect(rows).toEqual([
      {
        run_key: second,
        partition: 'scoretest/2026-10-05',
        platform: 'scoretest',
        author_id: 'scoretest:author-fixed', // features of bare ids are keyed by platform when scored
        created_at: new Date('2026-10-05T08:30:00Z'),
        text: 'the corrected row',
        sentiment_label: 'negative',
        topic: 4,
      },
    ]);
  });
});

describe('Postgres data errors', () => {
  it('classifies by SQLSTATE class: 22 and 23 are data errors, connection and lock errors are not', () => {
    expect(['22008', '22P05', '22P02', '22021', '23502', '23514'].map((code) => isPgDataError({ code }))).toEqual([true, true, true, true, true, true]);
    expect(['08006', '57P01', '40P01', '55P03', '53300', 'ECONNREFUSED', undefined].map((code) => isPgDataError({ code }))).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(isPgDataError(null)).toBe(false);
  });

  it('an error no retry can fix becomes a non-retryable InvalidInput failure naming what failed; others pass through', async () => {
    const err = await rethrowDataErrorAsNonRetryable('reading the year', () => stack.db.query(`SELECT '0000-01-01T00:00:00Z'::timestamptz`)).catch((e) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect({ type: err.type, nonRetryable: err.nonRetryable }).toEqual({ type: 'InvalidInput', nonRetryable: true });
    expect(err.message).toMatch(/^reading the year: Postgres refused the data: date\/time field value out of range/);

    const transient = Object.assign(new Error('Connection terminated unexpectedly'), { code: '08006' });
    await expect(rethrowDataErrorAsNonRetryable('x', () => Promise.reject(transient))).rejects.toBe(transient);
  });

  it('insertRefusingBadRows rethrows a connection error from the middle of a batch instead of quarantining rows', async () => {
    const lost = Object.assign(new Error('Connection terminated unexpectedly'), { code: '08006' });
    const err = await withTransaction(stack.db, (client) =>
      insertRefusingBadRows(client, [1, 2, 3, 4], async (batch) => {
        if (batch.length < 4) throw lost; // after the first (data) failure, the server goes away
        throw Object.assign(new Error('invalid input syntax'), { code: '22P02' });
      }),
    ).catch((e) => e);
    expect(err).toBe(lost);
  });
});

describe('the pipeline keeps its accounting when a post cannot be stored', () => {
  let workers: Awaited<ReturnType<typeof startTestWorkers>>;
  beforeAll(async () => {
    workers = await startTestWorkers(stack, 'score-fallback');
  });
  afterAll(async () => {
    await workers?.stop();
  });

  it('a file with a year-0 timestamp: the good rows are scored, the bad one is quarantined with its reason, postsIn balances', async () => {
    const file = path.join(tmp, `year0-${tag}.csv`);
    fs.writeFileSync(
      file,
      [
        'id,text,created_at',
        `${tag}-1,Nice morning by the lake,2026-10-01T07:00:00Z`,
        `${tag}-2,Year zero is not a date,0000-01-01T00:00:00Z`,
        `${tag}-3,Rain again on the commute,2026-10-01T09:00:00Z`,
      ].join('\n') + '\n',
    );
    const summary = await stack.client.workflow.execute(socialSensePipeline, {
      taskQueue: workers.taskQueue,
      workflowId: uniqueId('pipeline-year0'),
      args: [{ source: 'file', file: { path: file } }],
    });
    expect(summary).toMatchObject({ postsIn: 3, scored: 2, quarantined: 1 });
    expect(summary.postsIn).toBe(summary.scored + summary.filtered + summary.quarantined);
    // Whichever stage catches it (an import rule or Postgres at scoring), the reason names the timestamp.
    const reasons = (await Promise.all(summary.datasets.quarantine.map((ref) => readNdjson<{ reason: string }>(stack.store, ref)))).flat().map((q) => q.reason);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/0000-01-01|out of range|implausible|timestamp/i);
  }, 120_000);
});
