import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../api/auth/keys';
import { createDb } from '../../lib/db';
import { createLogger } from '../../lib/logger';
import { S3ObjectStore } from '../../lib/objectStore';
import type { Stack } from '../../lib/stack';
import { bearer, buildTestApi, createTestKeys, type TestKeys } from '../helpers/apiApp';
import { FIXTURE_DAYS, insertReportFixture, type ReportFixture } from '../helpers/reportFixture';
import { requireStack } from '../helpers/stack';

/**
 * What a client of the API relies on besides authorization: cursor pagination that walks every item
 * once, filters that hold for every item, ETags and 304s, the rate limit per key, security headers,
 * metrics, readiness, presigned downloads that work, OIDC tokens, and logs without keys.
 */

let stack: Stack;
let app: FastifyInstance;
let keys: TestKeys;
let fx: ReportFixture;
const logLines: string[] = [];
const taskQueue = `test-api-http-${crypto.randomUUID().slice(0, 8)}`;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  stack = await requireStack();
  fx = await insertReportFixture(stack.db);
  keys = await createTestKeys(stack, `http-${taskQueue}`);
  // every log line of this app, at the most verbose level, to check that no key ever reaches a log
  const logger = createLogger({ write: (line: string) => logLines.push(line) }, 'trace');
  app = await buildTestApi(stack, taskQueue, { logger, rateLimit: { max: 10_000, timeWindowMs: 60_000 }, downloadExpirySeconds: 2 });
});

afterAll(async () => {
  await app?.close();
  for (const c of cleanups) await c().catch(() => undefined);
  await keys?.cleanup();
  await fx?.cleanup();
  await stack?.close();
});

const viewer = () => bearer(keys.byRole.viewer.key);
const getJson = async (url: string, headers = viewer()) => {
  const res = await app.inject({ url, headers });
  expect(res.statusCode, `${url}: ${res.body.slice(0, 300)}`).toBe(200);
  return res.json();
};

/** Every item of a paginated list, following nextCursor. */
async function walk(url: string, headers = viewer()): Promise<{ items: any[]; pages: number }> {
  const items: any[] = [];
  let pages = 0;
  let cursor: string | null = null;
  do {
    const body = await getJson(`${url}${url.includes('?') ? '&' : '?'}${cursor ? `cursor=${cursor}` : ''}`, headers);
    items.push(...body.items);
    cursor = body.nextCursor;
    pages++;
  } while (cursor && pages < 100);
  return { items, pages };
}

describe('lists and filters', () => {
  it('walks every post of a run exactly once, newest first, across pages', async () => {
    const { items, pages } = await walk(`/v1/posts?run=${fx.runKey}&limit=37`);
    expect(items).toHaveLength(fx.expected.posts);
    expect(pages).toBe(Math.ceil(fx.expected.posts / 37));
    expect(new Set(items.map((p) => p.id)).size).toBe(items.length);
    for (let i = 1; i < items.length; i++) {
      const [a, b] = [items[i - 1], items[i]];
      expect(a.createdAt > b.createdAt || (a.createdAt === b.createdAt && a.id > b.id), `${a.id} before ${b.id}`).toBe(true);
    }
  });

  it('?run= lists every post the run scored, also those a later run re-scored since (as its summary counts them)', async () => {
    const { items } = await walk(`/v1/posts?run=${fx.runKey}&limit=200`);
    // a later run re-scores two of the posts (it now carries them in post_scores.run_key), and scores nothing else
    const later = `${fx.runKey}-later`;
    const taken = items.slice(0, 2).map((p) => p.id);
    const { rows } = await stack.db.query<{ post_id: string; partition: string }>(`SELECT post_id, partition FROM post_scores WHERE post_id = ANY($1)`, [
      taken,
    ]);
    await stack.db.query(`UPDATE post_scores SET run_key = $1 WHERE post_id = ANY($2)`, [later, taken]);
    for (const r of rows)
      await stack.db.query(`INSERT INTO post_score_runs (run_key, post_id, partition) VALUES ($1, $2, $3)`, [later, r.post_id, r.partition]);
    try {
      const again = await walk(`/v1/posts?run=${fx.runKey}&limit=200`);
      expect(again.items.map((p) => p.id)).toEqual(items.map((p) => p.id)); // it listed only the posts it still carried
      expect((await walk(`/v1/posts?run=${later}&limit=200`)).items.map((p) => p.id).sort()).toEqual([...taken].sort());
    } finally {
      await stack.db.query(`UPDATE post_scores SET run_key = $1 WHERE post_id = ANY($2)`, [fx.runKey, taken]);
      await stack.db.query(`DELETE FROM post_score_runs WHERE run_key = $1`, [later]);
    }
  });

  it('a cursor pages only the query that gave it out: other filters are refused, another page size is not', async () => {
    const first = await getJson(`/v1/posts?run=${fx.runKey}&from=${FIXTURE_DAYS[1]}&limit=5`);
    expect(first.nextCursor).toEqual(expect.any(String));
    const refused = await app.inject({ url: `/v1/posts?run=${fx.runKey}&from=${FIXTURE_DAYS[0]}&limit=5&cursor=${first.nextCursor}`, headers: viewer() });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.message).toMatch(/^cursor was given out for other filters: send the same parameters as the first page/);
    const next = await getJson(`/v1/posts?run=${fx.runKey}&from=${FIXTURE_DAYS[1]}&limit=7&cursor=${first.nextCursor}`);
    expect(next.items).toHaveLength(7);
    expect(next.items[0].createdAt <= first.items[4].createdAt).toBe(true);
    expect(next.items.map((p: { id: string }) => p.id)).not.toContain(first.items[4].id);
  });

  it('every filter holds for every post it returns, and returns all of them', async () => {
    const count = async (where: string, params: unknown[]) =>
      (await stack.db.query(`SELECT count(*)::int AS n FROM post_scores WHERE run_key = $1 AND ${where}`, [fx.runKey, ...params])).rows[0].n as number;
    const day = FIXTURE_DAYS[3];
    let r = await walk(`/v1/posts?run=${fx.runKey}&from=${day}&to=${day}&limit=200`);
    expect(r.items).toHaveLength(fx.expected.postsPerDay[day]);
    for (const p of r.items) expect(p.createdAt.slice(0, 10)).toBe(day);

    r = await walk(`/v1/posts?run=${fx.runKey}&from=${FIXTURE_DAYS[1]}&to=${FIXTURE_DAYS[2]}&limit=200`);
    expect(r.items).toHaveLength(fx.expected.postsPerDay[FIXTURE_DAYS[1]] + fx.expected.postsPerDay[FIXTURE_DAYS[2]]);

    r = await walk(`/v1/posts?run=${fx.runKey}&topic=1&limit=200`);
    expect(r.items.length).toBe(await count('topic = 1', []));
    expect(r.items.length).toBeGreaterThan(0);
    for (const p of r.items) expect(p.topic).toBe(1);

    r = await walk(`/v1/posts?run=${fx.runKey}&sentiment=negative&limit=200`);
    expect(r.items.length).toBe(await count(`sentiment_label = 'negative'`, []));
    for (const p of r.items) expect(p.sentiment.label).toBe('negative');

    const tag = (await stack.db.query(`SELECT h FROM post_scores, unnest(hashtags) h WHERE run_key = $1 LIMIT 1`, [fx.runKey])).rows[0].h as string;
    r = await walk(`/v1/posts?run=${fx.runKey}&hashtag=%23${encodeURIComponent(tag.toUpperCase())}&limit=200`);
    expect(r.items.length).toBe(await count('$2 = ANY(hashtags)', [tag]));
    for (const p of r.items) expect(p.hashtags).toContain(tag);

    r = await walk(`/v1/posts?run=${fx.runKey}&q=GOAL&limit=200`);
    expect(r.items.length).toBe(await count(`text ILIKE '%goal%'`, []));
    for (const p of r.items) expect(p.text.toLowerCase()).toContain('goal');

    r = await walk(`/v1/posts?run=${fx.runKey}&platform=nosuchplatform`);
    expect(r.items).toEqual([]);
    // upper case is lowered, as the CLI's --platform does: `Simulated` can only mean `simulated`
    for (const platform of ['simulated', 'Simulated', 'SIMULATED']) {
      r = await walk(`/v1/posts?run=${fx.runKey}&platform=${platform}&limit=200`);
      expect(r.items, platform).toHaveLength(fx.expected.posts);
    }

    // one author's posts (a content creator's own)
    const author = (await stack.db.query(`SELECT author_id FROM post_scores WHERE run_key = $1 GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`, [fx.runKey]))
      .rows[0].author_id as string;
    r = await walk(`/v1/posts?run=${fx.runKey}&author=${encodeURIComponent(author)}&limit=7`);
    expect(r.items.length).toBe(await count('author_id = $2', [author]));
    expect(r.items.length).toBeGreaterThan(1);
    for (const p of r.items) expect(p.authorId).toBe(author);
    expect((await walk(`/v1/posts?run=${fx.runKey}&author=nobody-${taskQueue}`)).items).toEqual([]);
  });

  it('pages through runs without repeats, and filters them by kind and status', async () => {
    const { items } = await walk('/v1/runs?limit=2&kind=pipeline');
    expect(new Set(items.map((r) => r.runKey)).size).toBe(items.length);
    for (const r of items) expect(r.kind).toBe('pipeline');
    for (let i = 1; i < items.length; i++) expect(items[i - 1].startedAt >= items[i].startedAt).toBe(true);
    // Small pages test the cursor; the fixture's run (started in 2021) may lie beyond the first 100 of them
    // on a database that other tests filled, so look for it with full pages.
    expect((await walk('/v1/runs?limit=200&kind=pipeline')).items.map((r) => r.runKey)).toContain(fx.runKey);
    const failed = (await walk('/v1/runs?limit=200&status=failed')).items;
    expect(failed.map((r) => r.runKey)).toContain(fx.emptyRunKey);
    for (const r of failed) expect(r.status).toBe('failed');
    expect(failed.find((r) => r.runKey === fx.emptyRunKey).error).toBe(fx.emptyRunError);
    const cancelled = (await walk('/v1/runs?limit=200&status=cancelled')).items;
    expect(cancelled.map((r) => r.runKey)).toContain(fx.cancelledRunKey);
    for (const r of cancelled) expect(r.status).toBe('cancelled');
    expect(failed.map((r) => r.runKey)).not.toContain(fx.cancelledRunKey);
  });

  it('one run and its report say why a run that did not complete ended', async () => {
    expect(await getJson(`/v1/runs/${fx.emptyRunKey}`)).toMatchObject({ runKey: fx.emptyRunKey, status: 'failed', error: fx.emptyRunError });
    expect(await getJson(`/v1/runs/${fx.cancelledRunKey}`)).toMatchObject({
      status: 'cancelled',
      error: 'Cancelled: ActivityFailure: Activity cancelled (activity importFile)',
    });
    expect(await getJson(`/v1/runs/${fx.runKey}`)).toMatchObject({ status: 'completed', error: null });
    const page = await app.inject({ url: `/v1/runs/${fx.emptyRunKey}/report`, headers: viewer() });
    expect(page.statusCode).toBe(200);
    // the HTML-escaped root cause, beside the status
    expect(page.body).toContain(`failed (${fx.emptyRunError})`);
    expect(page.body).toContain(`<dt>Why it ended</dt><dd><code class="small">${fx.emptyRunError}</code></dd>`);
  });

  it('datasets carry their lineage, and a download link fetches the object until it expires', async () => {
    const analyst = bearer(keys.byRole.analyst.key);
    const { items } = await walk(`/v1/datasets?run=${fx.runKey}&limit=2`, analyst);
    expect(items).toHaveLength(fx.expected.datasets);
    const posts = items.find((d) => d.stage === 'posts');
    expect(posts.lineage.inputs).toHaveLength(2);
    for (const input of posts.lineage.inputs) expect(items.find((d) => d.uri === input.uri)?.id).toBe(input.id);

    // a real object, catalogued like the pipeline does
    const key = `test-api/${taskQueue}/sample.ndjson`;
    const body = Buffer.from('{"id":"x:1","text":"hello"}\n');
    await stack.store.put(key, body, 'application/x-ndjson');
    const uri = stack.store.uri(key);
    cleanups.push(
      () => stack.store.remove([key]),
      () => stack.db.query(`DELETE FROM datasets WHERE uri = $1`, [uri]),
    );
    const { rows } = await stack.db.query(
      `INSERT INTO datasets (uri, stage, source, schema, format, records, bytes, sha256) VALUES ($1, 'test', 'simulated', 'post.v1', 'ndjson', 1, $2, 'x') RETURNING id`,
      [uri, body.length],
    );
    const link = await getJson(`/v1/datasets/${rows[0].id}/download`, analyst);
    expect(link).toMatchObject({ id: Number(rows[0].id), uri, bytes: body.length });
    const fetched = await fetch(link.url);
    expect(fetched.status).toBe(200);
    expect(Buffer.from(await fetched.arrayBuffer())).toEqual(body);
    await new Promise((r) => setTimeout(r, 3000));
    expect((await fetch(link.url)).status).toBe(403);
    expect((await app.inject({ url: '/v1/datasets/999999999999/download', headers: analyst })).statusCode).toBe(404);
  });

  it('insight endpoints answer from the same queries as the report', async () => {
    const topics = await getJson(`/v1/topics?run=${fx.runKey}`);
    expect(topics.model.version).toBe(fx.topicVersion);
    expect(topics.topics.reduce((s: number, t: { posts: number }) => s + t.posts, 0)).toBe(fx.expected.posts);
    const trends = await getJson(`/v1/trends?run=${fx.runKey}&kind=hashtag&limit=5`);
    expect(trends.top[0].term).toBe(fx.expected.topTerm);
    expect(trends.emerging[0].term).toBe(fx.expected.emergingFirst);
    expect(trends.series.some((d: { forecastLow: number | null; forecastHigh: number | null }) => d.forecastLow !== null && d.forecastHigh !== null)).toBe(
      true,
    );
    const segments = await getJson(`/v1/segments?run=${fx.runKey}`);
    expect(Object.fromEntries(segments.segments.map((s: { name: string; users: number }) => [s.name, s.users]))).toEqual(fx.expected.segmentUsers);
    const recs = await getJson(`/v1/users/${encodeURIComponent(fx.expected.exampleUser)}/recommendations?limit=3`);
    expect(recs.recommendations[0].item).toBe(fx.expected.exampleFirstItem);
    expect(recs.recommendations.length).toBeLessThanOrEqual(3);
    const models = await walk('/v1/models?name=topics&limit=1');
    expect(models.items.some((m) => m.version === fx.topicVersion)).toBe(true);
    expect((await app.inject({ url: '/v1/runs/no-such-run', headers: viewer() })).json().error).toMatchObject({ status: 404, code: 'not_found' });
    expect((await app.inject({ url: '/v1/users/nobody-here/recommendations', headers: viewer() })).statusCode).toBe(404);
  });

  it("finds a user by author key, by the platform's bare id when one author has it, and asks which when several do", async () => {
    const n = crypto.randomUUID().slice(0, 8);
    const insert = (userId: string, handle: string) =>
      stack.db.query(`INSERT INTO user_insights (user_id, run_key, handle, profile, recommendations) VALUES ($1, 'retrain-keys', $2, '{}', $3)`, [
        userId,
        handle,
        JSON.stringify([{ item: `simulated:other-${n}`, kind: 'author', score: 0.5 }]),
      ]);
    const ids = [`simulated:u${n}`, `x:${n}`, `facebook:${n}`, `mastodon:m.example/${n}`];
    for (const [i, id] of ids.entries()) await insert(id, `handle${i}-${n}`);
    cleanups.push(() => stack.db.query(`DELETE FROM user_insights WHERE user_id = ANY($1)`, [ids]));
    const get = (user: string) => app.inject({ url: `/v1/users/${encodeURIComponent(user)}/recommendations`, headers: viewer() });
    // the key itself, and the bare id one author has
    expect((await get(`x:${n}`)).json().userId).toBe(`x:${n}`);
    expect((await get(`u${n}`)).json().userId).toBe(`simulated:u${n}`);
    // a Mastodon key holds its instance: a slash, sent percent-encoded
    expect((await get(`mastodon:m.example/${n}`)).json().userId).toBe(`mastodon:m.example/${n}`);
    expect((await get(`m.example/${n}`)).json().userId).toBe(`mastodon:m.example/${n}`);
    // the bare id of an X user and a Facebook user: two people, so the answer names both keys
    const both = await get(n);
    expect(both.statusCode).toBe(404);
    expect(both.json().error.message).toBe(`"${n}" is the id of several authors (facebook:${n}, x:${n}): authors are keyed by platform; give the one you mean`);
    // the handle still finds its user
    expect((await get(`@handle1-${n}`)).json().userId).toBe(`x:${n}`);
  });

  it('an empty insight says what would fill it: a retrain', async () => {
    const nobody = `nobody-${taskQueue}`;
    const missing = await app.inject({ url: `/v1/users/${nobody}/recommendations`, headers: viewer() });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.message).toBe(
      `no user with id "${nobody}" has been profiled by a run, and no user with insights has that handle: ids are the authors' keys, \`platform:id\` (post_scores.author_id, e.g. x:12 or simulated:u42), or the platform's id alone when one author has it; handles are known once a retrain has computed insights`,
    );
    // profiled by a run (user_profile_state) but no retrain since: the message says so, and what to run
    const profiled = `profiled-${taskQueue}`;
    await stack.db.query(`INSERT INTO user_profile_state (user_id, state, profile) VALUES ($1, '{"posts": 3}', '{}')`, [profiled]);
    cleanups.push(() => stack.db.query(`DELETE FROM user_profile_state WHERE user_id = $1`, [profiled]));
    const waiting = await app.inject({ url: `/v1/users/${profiled}/recommendations`, headers: viewer() });
    expect(waiting.statusCode).toBe(404);
    expect(waiting.json().error.message).toBe(
      `user "${profiled}" has been profiled (3 posts) but has no recommendations yet: run \`socialsense retrain\` (\`--source file --date D --days N\` for imported files; or let the nightly Schedule do it: \`socialsense schedule apply\`)`,
    );
    // one whose posts all came from imported files: a retrain cannot give recommendations, and the message says why
    const importer = `imported-${taskQueue}`;
    await stack.db.query(`INSERT INTO user_profile_state (user_id, state, profile) VALUES ($1, '{"posts": 1}', '{}')`, [importer]);
    await stack.db.query(
      `INSERT INTO post_scores (post_id, run_key, partition, platform, author_id, created_at, text, hashtags, sentiment_compound, sentiment_label, sentiment_model)
       VALUES ($1, 'run-of-a-file', 'file/2021-04-20', 'file', $2, '2021-04-20T10:00:00Z', 'hi', '{}', 0, 'neutral', 'lexicon.v1')`,
      [`file:${importer}`, importer],
    );
    cleanups.push(() => stack.db.query(`DELETE FROM user_profile_state WHERE user_id = $1`, [importer]));
    cleanups.push(() => stack.db.query(`DELETE FROM post_scores WHERE author_id = $1`, [importer]));
    const fromFiles = await app.inject({ url: `/v1/users/${importer}/recommendations`, headers: viewer() });
    expect(fromFiles.json().error.message).toBe(
      `user "${importer}" has been profiled (1 posts, all from imported files) but has no recommendations: they are learned from engagements (likes, reposts, replies), which imported files do not carry; collect the user's platform (\`socialsense run --source mastodon --query …\`, or simulated data), then retrain`,
    );
    // the empty run's posts have no topic: one "all posts (no topic)" group, and the note
    const topics = await getJson(`/v1/topics?run=${fx.emptyRunKey}`);
    expect(topics.topics.map((t: { topic: number | null; posts: number }) => [t.topic, t.posts])).toEqual([[null, 2]]);
    expect(topics.note).toBe(
      'no topics yet: run `socialsense retrain` (`--source file --date D --days N` for imported files; or let the nightly Schedule do it: `socialsense schedule apply`)',
    );
    // a run with insights has no note
    expect((await getJson(`/v1/topics?run=${fx.runKey}`)).note).toBeUndefined();
  });
});

describe('HTTP behaviour', () => {
  it('answers a read with an ETag and a 304 when the client has it; a change makes a new ETag', async () => {
    const url = `/v1/runs/${fx.runKey}`;
    const first = await app.inject({ url, headers: viewer() });
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{32}"$/);
    expect(first.headers['cache-control']).toBe('private, no-cache');
    const again = await app.inject({ url, headers: { ...viewer(), 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect((await app.inject({ url, headers: { ...viewer(), 'if-none-match': `"other", W/${etag}` } })).statusCode).toBe(304);
    expect((await app.inject({ url, headers: { ...viewer(), 'if-none-match': '"other"' } })).statusCode).toBe(200);
    await stack.db.query(`UPDATE runs SET summary = summary || '{"note": "changed"}' WHERE run_key = $1`, [fx.runKey]);
    const changed = await app.inject({ url, headers: { ...viewer(), 'if-none-match': etag } });
    expect(changed.statusCode).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
  });

  it('a finished run’s report is built anew after a retrain, which changes what it shows', async () => {
    const url = `/v1/runs/${fx.runKey}/report`;
    const people = (html: string) => /kpi-label">People profiled<\/div><div class="kpi-value[^"]*" title="(\d+)"/.exec(html)?.[1];
    const first = await app.inject({ url, headers: viewer() });
    expect(people(first.body)).toBe('21');
    // what a retrain writes: insights for one more of the run's users, then its own end
    const added = `${fx.runKey}:late-user`;
    const retrainKey = `${fx.runKey}-retrain`;
    cleanups.push(
      () => stack.db.query(`DELETE FROM user_insights WHERE user_id = $1`, [added]),
      () => stack.db.query(`DELETE FROM runs WHERE run_key = $1`, [retrainKey]),
    );
    await stack.db.query(`INSERT INTO user_insights (user_id, run_key, profile, segment_name) VALUES ($1, $2, '{}', 'typical users')`, [added, fx.runKey]);
    // still the kept page: nothing in its key changed yet
    expect(people((await app.inject({ url, headers: viewer() })).body)).toBe('21');
    await stack.db.query(
      `INSERT INTO runs (run_key, workflow_id, kind, status, input, started_at, finished_at) VALUES ($1, $1, 'retrain', 'completed', '{}', now(), now())`,
      [retrainKey],
    );
    expect(people((await app.inject({ url, headers: viewer() })).body)).toBe('22');
    await stack.db.query(`DELETE FROM user_insights WHERE user_id = $1`, [added]);
  });

  it('sends security headers', async () => {
    const res = await app.inject({ url: '/v1/runs?limit=1', headers: viewer() });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('rate-limits per key: one key over its limit gets 429 while another key still gets through', async () => {
    const limited = await buildTestApi(stack, taskQueue, { rateLimit: { max: 3, timeWindowMs: 60_000 } });
    try {
      const a = bearer(keys.byRole.viewer.key);
      for (let i = 0; i < 3; i++) expect((await limited.inject({ url: '/v1/runs?limit=1', headers: a })).statusCode).toBe(200);
      const over = await limited.inject({ url: '/v1/runs?limit=1', headers: a });
      expect(over.statusCode).toBe(429);
      expect(over.json().error).toMatchObject({ status: 429, code: 'rate_limited' });
      expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
      expect((await limited.inject({ url: '/v1/runs?limit=1', headers: bearer(keys.byRole.analyst.key) })).statusCode).toBe(200);
      // without a key, requests count per client address: a flood of bad keys is cut off too
      const codes: number[] = [];
      for (let i = 0; i < 4; i++) codes.push((await limited.inject({ url: '/v1/runs', headers: bearer(`guess-${i}`) })).statusCode);
      expect(codes).toEqual([401, 401, 401, 429]);
      // health probes are never limited
      for (let i = 0; i < 5; i++) expect((await limited.inject({ url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('reports readiness of each dependency, and 503 when one is down; a request without its database is a 503', async () => {
    const ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks).toMatchObject({ postgres: { ok: true }, objectStore: { ok: true }, temporal: { ok: true } });
    const deadStore = new S3ObjectStore({ endpoint: 'http://127.0.0.1:1', accessKey: 'a', secretKey: 'b', bucket: 'socialsense' });
    const broken = await (
      await import('../../api/server')
    ).buildApi({ db: stack.db, store: deadStore, temporal: { client: stack.client, namespace: stack.namespace, taskQueue, uiUrl: null } });
    try {
      const res = await broken.inject({ url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(res.json().checks.objectStore.ok).toBe(false);
      expect(res.json().checks.objectStore.error).toMatch(/S3_ENDPOINT|ECONNREFUSED/);
      expect(res.json().checks.postgres.ok).toBe(true);
      expect((await broken.inject({ url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await broken.close();
    }
    // Postgres unreachable: readiness says so, and a keyed request is a 503 the client may retry, not a 500
    const deadDb = createDb('postgres://postgres@127.0.0.1:1/socialsense', 1);
    const noDb = await (
      await import('../../api/server')
    ).buildApi({ db: deadDb, store: stack.store, temporal: { client: stack.client, namespace: stack.namespace, taskQueue, uiUrl: null } });
    try {
      const res = await noDb.inject({ url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(res.json().checks.postgres.ok).toBe(false);
      const read = await noDb.inject({ url: '/v1/runs', headers: viewer() });
      expect(read.statusCode).toBe(503);
      expect(read.json().error).toMatchObject({ status: 503, code: 'not_available' });
    } finally {
      await noDb.close();
      await deadDb.end();
    }
  });

  it('counts requests and errors per route in /metrics', async () => {
    for (let i = 0; i < 3; i++) await app.inject({ url: '/v1/models?limit=1', headers: viewer() });
    await app.inject({ url: '/v1/models' });
    const text = (await app.inject({ url: '/metrics' })).body;
    const value = (re: RegExp) => Number(text.match(re)?.[1] ?? NaN);
    expect(value(/socialsense_api_request_duration_seconds_count\{method="GET",route="\/v1\/models",status_code="200"\} (\d+)/)).toBeGreaterThanOrEqual(3);
    expect(value(/socialsense_api_request_errors_total\{method="GET",route="\/v1\/models",status_code="401"\} (\d+)/)).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/socialsense_api_process_cpu_seconds_total/);
  });

  it('serves the OpenAPI document and the docs page', async () => {
    const doc = (await app.inject({ url: '/openapi.json' })).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const p of ['/v1/runs', '/v1/posts', '/v1/trends', '/v1/datasets/{id}/download', '/v1/backfills/{id}/pause', '/v1/keys/{id}'])
      expect(Object.keys(doc.paths)).toContain(p);
    expect(doc.paths['/v1/posts'].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['from', 'to', 'platform', 'topic', 'sentiment', 'hashtag', 'q', 'cursor']),
    );
    const docs = await app.inject({ url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger');
  });

  it('never writes a key or a token to the log', async () => {
    const oneOff = await createApiKey(stack.db, { role: 'operator', name: `http-log-${taskQueue}` });
    keys.ids.push(oneOff.id);
    await app.inject({ url: '/v1/runs?limit=1', headers: bearer(oneOff.key) });
    await app.inject({ url: '/v1/runs?limit=1', headers: bearer(oneOff.key.slice(0, -2) + 'zz') });
    await app.inject({ url: '/v1/runs?limit=1', headers: bearer(keys.revoked.key) });
    await app
      .inject({ method: 'POST', url: '/v1/keys', headers: bearer(keys.byRole.admin.key), payload: { role: 'viewer', name: `http-log-created-${taskQueue}` } })
      .then((r) => keys.ids.push(r.json().id));
    const all = logLines.join('\n');
    expect(all).toContain('/v1/runs'); // the log did record these requests
    expect(all).not.toMatch(/ssk_[0-9a-f]{16}_/);
    for (const k of [oneOff, keys.revoked, keys.byRole.admin]) expect(all).not.toContain(k.key.slice(-43));
    expect(all.toLowerCase()).not.toContain('bearer ');
  });
});

describe('OIDC bearer tokens', () => {
  const issuer = 'https://login.example.test/realms/acme';
  const audience = 'socialsense-api';
  let jwks: http.Server;
  let oidcApp: FastifyInstance;
  let signer: CryptoKey;
  let stranger: CryptoKey;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    signer = pair.privateKey as CryptoKey;
    stranger = (await generateKeyPair('ES256')).privateKey as CryptoKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    jwks = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/certs`;
    oidcApp = await buildTestApi(stack, taskQueue, { oidc: { issuer, audience, jwksUrl, rolesClaim: 'realm_access.roles' } });
  });

  afterAll(async () => {
    await oidcApp?.close();
    await new Promise((resolve) => jwks?.close(resolve));
    await stack.db.query(`DELETE FROM api_audit WHERE actor LIKE 'oidc:oidc-test-%'`);
  });

  const token = (claims: JWTPayload, opts: { key?: CryptoKey; iss?: string; aud?: string; exp?: string | number; sub?: string } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(opts.iss ?? issuer)
      .setAudience(opts.aud ?? audience)
      .setSubject(opts.sub ?? `oidc-test-${taskQueue}`)
      .setIssuedAt()
      .setExpirationTime(opts.exp ?? '5m')
      .sign(opts.key ?? signer);
  const as = async (t: string, url: string, method: 'GET' | 'POST' = 'GET', payload?: object) =>
    (await oidcApp.inject({ method, url, headers: bearer(t), payload })).statusCode;
  const roles = (...r: string[]) => ({ realm_access: { roles: [...r, 'offline_access'] } });

  it('takes the role from the configured claim and applies it like a key role', async () => {
    const analyst = await token(roles('analyst'));
    expect(await as(analyst, `/v1/datasets?run=${fx.runKey}`)).toBe(200);
    expect(await as(analyst, '/v1/keys')).toBe(403);
    const viewerToken = await token(roles('viewer'));
    expect(await as(viewerToken, '/v1/runs?limit=1')).toBe(200);
    expect(await as(viewerToken, '/v1/datasets')).toBe(403);
    // the strongest role wins
    expect(await as(await token(roles('viewer', 'admin')), '/v1/keys')).toBe(200);
    // a valid token without any SocialSense role is known but not allowed
    expect(await as(await token({ realm_access: { roles: ['offline_access'] } }), '/v1/runs')).toBe(403);
    // API keys keep working beside tokens
    expect((await oidcApp.inject({ url: '/v1/runs?limit=1', headers: viewer() })).statusCode).toBe(200);
  });

  it('refuses expired, foreign, misaddressed and unsigned tokens with 401', async () => {
    const claims = roles('admin');
    expect(await as(await token(claims, { exp: Math.floor(Date.now() / 1000) - 120 }), '/v1/runs')).toBe(401);
    expect(await as(await token(claims, { aud: 'another-api' }), '/v1/runs')).toBe(401);
    expect(await as(await token(claims, { iss: 'https://evil.example.test' }), '/v1/runs')).toBe(401);
    expect(await as(await token(claims, { key: stranger }), '/v1/runs')).toBe(401);
    const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims, iss: issuer, aud: audience, sub: 'x', exp: 9e9 })).toString('base64url')}.`;
    expect(await as(unsigned, '/v1/runs')).toBe(401);
    expect(await as('a.b.c', '/v1/runs')).toBe(401);
  });

  it('records an OIDC operator call in the audit log under the token subject', async () => {
    const sub = `oidc-test-audit-${taskQueue}`;
    expect(await as(await token(roles('operator'), { sub }), '/v1/schedule')).toBe(404); // allowed; there is no Schedule for this test's queue
    expect(await as(await token(roles('viewer'), { sub }), '/v1/runs?limit=1')).toBe(200); // a viewer read: not audited
    const { rows } = await stack.db.query(`SELECT actor, role, route, status FROM api_audit WHERE actor = $1`, [`oidc:${sub} (${sub})`]);
    expect(rows).toEqual([{ actor: `oidc:${sub} (${sub})`, role: 'operator', route: '/v1/schedule', status: 404 }]);
  });
});
