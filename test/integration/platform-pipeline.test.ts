import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snowflakeAt } from '../../activities/collect/platforms/mastodon';
import { runCli } from '../helpers/cli';
import { requireStack } from '../helpers/stack';

/**
 * A platform source through the whole pipeline, driven from the CLI: a stand-in Mastodon instance on
 * 127.0.0.1 serves the tag timeline in the documented shape (statuses, Link rel="next" paging).
 */
let server: http.Server;
let base = '';
const requests: string[] = [];
const day = '2026-11-18';
const SAYINGS = [
  'I love the new #climate plan and the solar roofs on our street',
  'Flooding again downtown, the #climate is changing faster than we think',
  'Great talk tonight on wind farms, the #climate crowd was huge',
  'Why is nobody discussing heat pumps? #climate',
  'Planted forty trees with the school today for the #climate',
  'The river is the lowest I have ever seen it #climate',
  'Bike lanes won the vote, small wins for the #climate',
];
const statuses = Array.from({ length: 7 }, (_, i) => ({
  id: String(110000000000000000n + BigInt(100 - i)),
  created_at: `${day}T${String(20 - i).padStart(2, '0')}:00:00.000Z`,
  in_reply_to_id: null,
  language: 'en',
  url: `https://masto.example/@user${i}/${i}`,
  replies_count: i,
  reblogs_count: 1,
  favourites_count: 2 * i,
  content: `<p>${SAYINGS[i].replace('#climate', '<a href="https://masto.example/tags/climate" class="mention hashtag" rel="tag">#<span>climate</span></a>').replace(' and ', ' &amp; ')}</p>`,
  reblog: null,
  account: { id: `${i % 3}`, username: `user${i % 3}`, acct: `user${i % 3}`, followers_count: 10 * i, created_at: '2022-01-01T00:00:00.000Z' },
  mentions: [],
  tags: [{ name: 'climate' }],
}));

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url!, base);
    requests.push(url.pathname + url.search);
    if (url.pathname !== '/api/v1/timelines/tag/climate') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'Record not found' }));
      return;
    }
    const maxId = url.searchParams.get('max_id');
    const rest = statuses.filter((s) => !maxId || BigInt(s.id) < BigInt(maxId));
    const page = rest.slice(0, 3);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-ratelimit-limit': '300', 'x-ratelimit-remaining': '299' };
    if (page.length) headers.link = `<${base}/api/v1/timelines/tag/climate?limit=40&max_id=${page.at(-1)!.id}>; rel="next"`;
    res.writeHead(200, headers).end(JSON.stringify(page));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('a platform source end to end', () => {
  it('socialsense run --source mastodon pages through the timeline and scores every post once', async () => {
    const result = await runCli(['run', '--source', 'mastodon', '--query', 'climate', '--date', day, '--json'], {
      env: { ...process.env, MASTODON_BASE_URL: base },
    });
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ source: 'mastodon', postsIn: 7, scored: 7, quarantined: 0, filtered: 0 });
    expect(summary.sentiment.positive).toBeGreaterThan(0);
    expect(summary.topHashtags[0]).toEqual({ hashtag: 'climate', posts: 7 });
    expect(requests.filter((r) => r.startsWith('/api/v1/timelines/tag/climate')).length).toBeGreaterThanOrEqual(3); // 3 + 3 + 1 (+ the empty end)
  });

  it("the same hashtag and day from two instances are two runs: neither deletes the other's posts", async () => {
    const other = '2026-11-19';
    const port = new URL(base).port;
    // one stand-in answering under two host names: two instances as far as SocialSense can tell
    const bases = [`http://127.0.0.1:${port}`, `http://localhost:${port}`];
    const ids: string[] = [];
    for (const instance of bases) {
      const result = await runCli(['run', '--source', 'mastodon', '--query', 'climate', '--date', other, '--days', '2', '--json'], {
        env: { ...process.env, MASTODON_BASE_URL: instance },
      });
      expect(result.code, result.stderr).toBe(0);
      const summary = JSON.parse(result.stdout);
      expect(summary).toMatchObject({ postsIn: 7, scored: 7 });
      ids.push(summary.runKey);
    }
    expect(ids[0]).not.toBe(ids[1]);
    const stack = await requireStack();
    try {
      const { rows } = await stack.db.query<{ host: string; posts: number }>(
        `SELECT split_part(split_part(post_id, ':', 2), '/', 1) AS host, count(*)::int AS posts FROM post_scores
         WHERE run_key = ANY($1) GROUP BY 1 ORDER BY 1`,
        [ids],
      );
      expect(rows).toEqual([
        { host: '127.0.0.1', posts: 7 },
        { host: 'localhost', posts: 7 },
      ]);
    } finally {
      await stack.close();
    }
  });

  it('backfill --source mastodon --query runs every day with the query (and refuses a platform without one before starting)', async () => {
    const env = { ...process.env, MASTODON_BASE_URL: base };
    const refused = await runCli(['backfill', '--source', 'mastodon', '--from', '2026-11-16', '--to', '2026-11-18', '--no-worker'], { env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/--source "mastodon" needs a query for its days/);
    const result = await runCli(
      ['backfill', '--source', 'mastodon', '--query', 'climate', '--from', '2026-11-16', '--to', '2026-11-18', '--follow', '--json'],
      {
        env,
        timeoutMs: 180_000,
      },
    );
    expect(result.code, result.stderr).toBe(0);
    const progress = JSON.parse(result.stdout);
    expect(progress).toMatchObject({ daysTotal: 3, daysFailed: 0 });
    expect(progress.daysDone + progress.daysSkipped).toBe(3);
    const stack = await requireStack();
    try {
      // the 18th's seven statuses, scored under the backfill's day run (or the earlier run of that day)
      const { rows } = await stack.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM post_scores WHERE platform = 'mastodon' AND post_id LIKE $1 AND created_at >= '2026-11-18' AND created_at < '2026-11-19'`,
        [`mastodon:127.0.0.1:${new URL(base).port}/%`],
      );
      expect(rows[0].n).toBe(7);
    } finally {
      await stack.close();
    }
  });

  it('a backfill with a day the platform refuses runs the other days, names the failed one and exits 4', async () => {
    // #aurora: two statuses a day on the 20th to the 22nd (ids are Snowflakes of their times, as Mastodon's are), and
    // the instance refuses the 21st's first page (its max_id) with 422, which no retry can change
    const days = ['2026-11-20', '2026-11-21', '2026-11-22'];
    const aurora = days.flatMap((d, i) =>
      ['09', '15'].map((hour) => ({
        ...statuses[i],
        id: snowflakeAt(Date.parse(`${d}T${hour}:00:00.000Z`)),
        created_at: `${d}T${hour}:00:00.000Z`,
        content: `<p>Aurora over the bay at ${hour}h on ${d} #aurora</p>`,
        tags: [{ name: 'aurora' }],
      })),
    );
    const refused = snowflakeAt(Date.parse('2026-11-22T00:00:00.000Z'));
    const auroraServer = http.createServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      const maxId = url.searchParams.get('max_id');
      if (url.pathname !== '/api/v1/timelines/tag/aurora' || maxId === refused) {
        res.writeHead(422, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'Validation failed: max_id is out of range' }));
        return;
      }
      const page = aurora
        .filter((s) => !maxId || BigInt(s.id) < BigInt(maxId))
        .sort((a, b) => (BigInt(b.id) > BigInt(a.id) ? 1 : -1))
        .slice(0, 3);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (page.length) headers.link = `<http://${req.headers.host}/api/v1/timelines/tag/aurora?limit=40&max_id=${page.at(-1)!.id}>; rel="next"`;
      res.writeHead(200, headers).end(JSON.stringify(page));
    });
    await new Promise<void>((r) => auroraServer.listen(0, '127.0.0.1', r));
    try {
      const instance = `http://127.0.0.1:${(auroraServer.address() as AddressInfo).port}`;
      const result = await runCli(['backfill', '--source', 'mastodon', '--query', 'aurora', '--from', days[0], '--to', days[2], '--follow', '--json'], {
        env: { ...process.env, MASTODON_BASE_URL: instance },
        timeoutMs: 180_000,
      });
      expect(result.code, result.stderr).toBe(4);
      const progress = JSON.parse(result.stdout);
      expect(progress).toMatchObject({ daysTotal: 3, daysDone: 2, daysSkipped: 0, daysFailed: 1, posts: 4 });
      expect(progress.failed).toEqual([{ date: '2026-11-21', error: expect.stringMatching(/422.*out of range|out of range.*422/) }]);
      expect(result.stderr).toMatch(/warning: 1 of 3 days failed \(2026-11-21\); run the backfill again to retry them.*\(exit status 4\)/);
      // the days that ran keep their posts: two each, under this instance
      const stack = await requireStack();
      try {
        const { rows } = await stack.db.query<{ day: string; n: number }>(
          `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(*)::int AS n FROM post_scores WHERE post_id LIKE $1 GROUP BY 1 ORDER BY 1`,
          [`mastodon:127.0.0.1:${new URL(instance).port}/%`],
        );
        expect(rows).toEqual([
          { day: '2026-11-20', n: 2 },
          { day: '2026-11-22', n: 2 },
        ]);
      } finally {
        await stack.close();
      }
    } finally {
      await new Promise<void>((r) => auroraServer.close(() => r()));
    }
  });

  it('says which credentials are missing for an unconfigured platform', async () => {
    const env = { ...process.env };
    delete env.X_BEARER_TOKEN;
    const result = await runCli(['run', '--source', 'x', '--query', 'climate', '--date', day], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/X_BEARER_TOKEN/);
  });
});
