import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApplicationFailure, CancelledFailure, type Logger } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { LocalObjectStore } from '../../lib/objectStore';
import { readNdjson } from '../../lib/datasets';
import type { Post, Quarantined } from '../../lib/schema';
import type { CollectProgress, Env } from '../../activities/collect/connector';
import { createPlatformCollectActivities, describeSources, type PlatformCollectInput } from '../../activities/collect/platformActivities';
import { createConnectorRegistry } from '../../activities/collect/platforms';
import type { CollectResult } from '../../activities/collect/types';

/**
 * Every connector against a local server that answers with the platform's documented JSON shapes.
 * "Now" is pinned so rate-limit resets and X's 7-day search horizon are deterministic.
 */

const NOW = Date.parse('2026-11-22T12:00:00Z');
const SINCE = '2026-11-20';
const UNTIL = '2026-11-22';
const SINCE_MS = Date.parse('2026-11-20T00:00:00Z');
const UNTIL_MS = Date.parse('2026-11-22T00:00:00Z');
const HOUR = 3_600_000;

// ---------------------------------------------------------------------------------------------
// A shared synthetic timeline: 30 posts two hours apart, newest first, straddling the window.
// Posts 2..25 fall inside [SINCE, UNTIL); post 7 arrives broken and must be quarantined.

interface Seed {
  i: number;
  t: number;
  author: number;
  text: string;
  broken: boolean;
}
const T0 = Date.parse('2026-11-22T03:00:00Z');
const HANDLES = ['alice', 'bob', 'carol', 'dave'];
const seeds: Seed[] = Array.from({ length: 30 }, (_, i) => ({
  i,
  t: T0 - i * 2 * HOUR,
  author: i % 4,
  text: `Post ${i} about #climate with @bob https://example.org/a${i}`,
  broken: i === 7,
}));
/** Older posts past the end of the shared timeline, for listings that go on beyond the window. */
const olderSeeds: Seed[] = [
  ...seeds,
  ...Array.from({ length: 10 }, (_, k) => ({ i: 30 + k, t: T0 - (30 + k) * 2 * HOUR, author: (30 + k) % 4, text: `Old post ${30 + k}`, broken: false })),
];
const inWindow = (t: number) => t >= SINCE_MS && t < UNTIL_MS;
const BROKEN_IN_WINDOW = seeds.filter((s) => s.broken && inWindow(s.t)).length;

const isoMs = (t: number) => new Date(t).toISOString();
/** Graph API style: 2026-11-21T23:00:00+0000 */
const graphTime = (t: number) => new Date(t).toISOString().replace(/\.\d{3}Z$/, '+0000');

// ---------------------------------------------------------------------------------------------
// The mock server: routes per platform, faults injected by request kind and ordinal.

type Kind = 'listing' | 'auth' | 'other';
interface Req {
  method: string;
  url: URL;
  headers: http.IncomingHttpHeaders;
  body: string;
}
interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** sent as-is instead of JSON */
  raw?: string;
}
type Fault = Reply | 'destroy' | 'hang';

class MockApi {
  server!: http.Server;
  base = '';
  requests: Array<{ kind: Kind; method: string; url: URL; headers: http.IncomingHttpHeaders }> = [];
  /** page keys of listing requests answered 200, in order */
  served: string[] = [];
  private counts: Record<Kind, number> = { listing: 0, auth: 0, other: 0 };
  private faults: Array<{ kind: Kind; from: number; to: number; fault: Fault }> = [];
  state: Record<string, unknown> = {};

  constructor(readonly fx: Fixture) {}

  async start() {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => this.handle({ method: req.method ?? 'GET', url: new URL(req.url ?? '/', this.base), headers: req.headers, body }, req, res));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop() {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** `fault` answers this kind's requests number from..to, counted from now (1 = the next one) */
  fail(kind: Kind, from: number, fault: Fault, to = Infinity) {
    const base = this.counts[kind];
    this.faults.push({ kind, from: base + from, to: base + to, fault });
  }
  clearFaults() {
    this.faults = [];
  }
  count(kind: Kind) {
    return this.counts[kind];
  }

  private handle(req: Req, incoming: http.IncomingMessage, res: http.ServerResponse) {
    const kind = this.fx.kind(req);
    const n = ++this.counts[kind];
    this.requests.push({ kind, method: req.method, url: req.url, headers: req.headers });
    const fault = this.faults.find((f) => f.kind === kind && n >= f.from && n <= f.to)?.fault;
    if (fault === 'destroy') return void incoming.socket.destroy();
    if (fault === 'hang') return;
    const reply = fault ?? this.fx.route(req, this);
    if (!fault && kind === 'listing' && (reply.status ?? 200) === 200) this.served.push(this.fx.pageKey(req.url));
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/json; charset=utf-8', ...reply.headers });
    res.end(reply.raw ?? JSON.stringify(reply.body ?? {}));
  }
}

interface Fixture {
  name: string;
  query: string;
  /** a query the platform has nothing for */
  emptyQuery: string;
  env(base: string): Env;
  /** credential values that must never show up in heartbeats, results or messages */
  secrets: string[];
  kind(req: Req): Kind;
  route(req: Req, api: MockApi): Reply;
  pageKey(url: URL): string;
  /** post ids the collection must produce (valid records inside the window) */
  expectedIds(api: MockApi): string[];
  rateLimit: { kind: Kind; reply: Reply; delayMs: number };
  unauthorized: { kind: Kind; reply: Reply; envVar: string };
}

const searchKey = (url: URL, drop: string[] = []) => {
  const p = new URLSearchParams(url.searchParams);
  for (const d of ['access_token', ...drop]) p.delete(d);
  p.sort();
  return `${url.pathname}?${p}`;
};

// ---------------------------------------------------------------------------------------------
// X API v2

const X_TOKEN = 'x-secret-bearer';
const tweetId = (s: Seed) => String(1860000000000000000n + BigInt(s.i));
const xUser = (a: number) => ({
  id: `100${a}`,
  name: HANDLES[a].toUpperCase(),
  username: HANDLES[a],
  created_at: '2015-03-01T10:00:00.000Z',
  public_metrics: { followers_count: 10 * a + 5, following_count: 3, tweet_count: 99, listed_count: 0, like_count: 4 },
});
function tweet(s: Seed) {
  const t: Record<string, unknown> = {
    id: tweetId(s),
    text: s.text,
    author_id: `100${s.author}`,
    created_at: isoMs(s.t),
    lang: 'en',
    conversation_id: tweetId(s),
    edit_history_tweet_ids: [tweetId(s)],
    public_metrics: { retweet_count: s.i, reply_count: 1, like_count: 2 * s.i, quote_count: 0, bookmark_count: 0, impression_count: 100 + s.i },
    entities: {
      hashtags: [{ start: 13, end: 21, tag: 'climate' }],
      mentions: [{ start: 27, end: 31, username: 'bob', id: '1001' }],
      urls: [{ start: 32, end: 55, url: 'https://t.co/abc', expanded_url: `https://example.org/a${s.i}`, display_url: `example.org/a${s.i}` }],
    },
  };
  if (s.i % 5 === 3) t.referenced_tweets = [{ type: 'replied_to', id: tweetId(seeds[s.i - 1]) }];
  if (s.broken) delete t.created_at;
  return t;
}
const xRate = (remaining: number) => ({
  'x-rate-limit-limit': '450',
  'x-rate-limit-remaining': String(remaining),
  'x-rate-limit-reset': String(NOW / 1000 + 900),
});

const xFixture: Fixture = {
  name: 'x',
  query: 'climate -is:retweet',
  emptyQuery: 'nothing-matches-this',
  env: (base) => ({ X_BEARER_TOKEN: X_TOKEN, X_API_BASE_URL: base }),
  secrets: [X_TOKEN],
  kind: (req) => (req.url.pathname === '/2/tweets/search/recent' ? 'listing' : 'other'),
  pageKey: (url) => searchKey(url),
  route(req) {
    if (req.headers.authorization !== `Bearer ${X_TOKEN}`) {
      return { status: 401, body: { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized' } };
    }
    if (req.url.pathname === '/2/tweets') return { body: { data: [{ id: '20', text: 'just setting up my twttr', edit_history_tweet_ids: ['20'] }] } };
    const p = req.url.searchParams;
    const max = Number(p.get('max_results'));
    const start = Date.parse(p.get('start_time') ?? '');
    const end = Date.parse(p.get('end_time') ?? '');
    if (!(max >= 10 && max <= 100) || Number.isNaN(start) || Number.isNaN(end) || !/Z$/.test(p.get('start_time')!)) {
      return {
        status: 400,
        body: {
          errors: [{ parameters: { max_results: [String(max)] }, message: 'bad parameters' }],
          title: 'Invalid Request',
          detail: 'One or more parameters to your request was invalid.',
          type: 'https://api.twitter.com/2/problems/invalid-request',
        },
      };
    }
    if (!p.get('tweet.fields')?.includes('public_metrics') || p.get('expansions') !== 'author_id') return { status: 400, body: { title: 'Invalid Request' } };
    const all = p.get('query') === 'nothing-matches-this' ? [] : seeds.filter((s) => s.t >= start && s.t < end);
    const offset = p.get('next_token') ? Number(p.get('next_token')!.slice(3)) : 0;
    const page = all.slice(offset, offset + 5);
    const nextToken = offset + 5 < all.length ? `b26${offset + 5}` : undefined;
    const body: Record<string, unknown> = {
      meta: {
        result_count: page.length,
        ...(page.length ? { newest_id: tweetId(page[0]), oldest_id: tweetId(page.at(-1)!) } : {}),
        ...(nextToken ? { next_token: nextToken } : {}),
      },
    };
    if (page.length) {
      body.data = page.map(tweet);
      body.includes = { users: [...new Set(page.map((s) => s.author))].map(xUser) };
    }
    return { headers: xRate(440), body };
  },
  expectedIds: () => seeds.filter((s) => !s.broken && inWindow(s.t)).map((s) => `x:${tweetId(s)}`),
  rateLimit: {
    kind: 'listing',
    reply: { status: 429, headers: xRate(0), body: { title: 'Too Many Requests', detail: 'Too Many Requests', type: 'about:blank', status: 429 } },
    delayMs: 901_000,
  },
  unauthorized: {
    kind: 'listing',
    reply: { status: 401, body: { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized' } },
    envVar: 'X_BEARER_TOKEN',
  },
};

// ---------------------------------------------------------------------------------------------
// Facebook Graph API: Page posts with embedded comments; one short (empty) page mid-stream

const FB_TOKEN = 'fb-secret-page-token';
const FB_PAGE = '104958162837';
const fbPostId = (s: Seed) => `${FB_PAGE}_${9000 + s.i}`;
const fbCommentCount = (s: Seed) => (s.i === 4 ? 5 : s.i % 3);
function fbComments(s: Seed) {
  return Array.from({ length: fbCommentCount(s) }, (_, c) => {
    const comment: Record<string, unknown> = {
      id: `${9000 + s.i}_${c}`,
      message: `Comment ${c} on ${s.i} #climate`,
      created_time: graphTime(s.t + (c + 1) * 10 * 60_000),
      like_count: c,
      comment_count: 0,
      permalink_url: `https://www.facebook.com/${FB_PAGE}/posts/${9000 + s.i}?comment_id=${c}`,
    };
    if (c !== 1) comment.from = { id: `55${c}`, name: `Commenter ${c}` }; // Graph hides some commenters
    return comment;
  });
}
const fbErr = (code: number, message: string, sub?: number) => ({
  error: { message, type: 'OAuthException', code, ...(sub ? { error_subcode: sub } : {}), fbtrace_id: 'AbC123' },
});
const fbUrl = (base: string, p: string, params: Record<string, string>) => `${base}/v21.0${p}?${new URLSearchParams({ access_token: FB_TOKEN, ...params })}`;

const facebookFixture: Fixture = {
  name: 'facebook',
  query: FB_PAGE,
  emptyQuery: 'EmptyPage',
  env: (base) => ({ FACEBOOK_ACCESS_TOKEN: FB_TOKEN, FACEBOOK_GRAPH_BASE_URL: `${base}/v21.0` }),
  secrets: [FB_TOKEN],
  kind: (req) => (/\/posts$/.test(req.url.pathname) ? 'listing' : 'other'),
  pageKey: (url) => searchKey(url),
  route(req, api) {
    const p = req.url.searchParams;
    if (p.get('access_token') !== FB_TOKEN) return { status: 400, body: fbErr(190, 'Invalid OAuth access token - Cannot parse access token') };
    const path = req.url.pathname.replace(/^\/v21\.0/, '');
    if (path === '/me') return { body: { id: FB_PAGE, name: 'Climate Page' } };
    const posts = /^\/([^/]+)\/posts$/.exec(path);
    if (posts) {
      if (!p.get('fields')?.includes('comments')) return { status: 400, body: fbErr(100, '(#100) fields must ask for comments') };
      const since = Number(p.get('since')) * 1000;
      const until = Number(p.get('until')) * 1000;
      const all = posts[1] === 'EmptyPage' ? [] : seeds.filter((s) => s.t >= since && s.t < until);
      const after = p.get('after') ?? 'p0';
      const offset = Number(after.slice(1).replace('.', ''));
      const params = { fields: p.get('fields')!, limit: p.get('limit')!, since: p.get('since')!, until: p.get('until')! };
      if (offset === 4 && !after.endsWith('.')) {
        // Graph may answer a short or even empty page in the middle: only a missing `next` ends the list
        return { body: { data: [], paging: { cursors: { before: 'p4', after: 'p4.' }, next: fbUrl(api.base, path, { ...params, after: 'p4.' }) } } };
      }
      const page = all.slice(offset, offset + 4);
      const more = offset + 4 < all.length;
      return {
        headers: {
          'x-business-use-case-usage': JSON.stringify({
            [FB_PAGE]: [{ type: 'pages', call_count: 5, total_cputime: 1, total_time: 1, estimated_time_to_regain_access: 0 }],
          }),
        },
        body: {
          data: page.map((s) => {
            const comments = fbComments(s);
            const post: Record<string, unknown> = {
              id: fbPostId(s),
              message: s.text,
              created_time: graphTime(s.t),
              permalink_url: `https://www.facebook.com/${FB_PAGE}/posts/${9000 + s.i}`,
              from: { id: FB_PAGE, name: 'Climate Page' },
              status_type: 'mobile_status_update',
              shares: { count: s.i },
              reactions: { data: [], summary: { total_count: 3 * s.i, viewer_reaction: 'NONE' } },
              comments: {
                data: comments.slice(0, 2),
                paging: {
                  cursors: { before: 'c0', after: 'c2' },
                  ...(comments.length > 2 ? { next: fbUrl(api.base, `/${fbPostId(s)}/comments`, { after: 'c2', limit: '2' }) } : {}),
                },
                summary: { order: 'chronological', total_count: comments.length, can_comment: true },
              },
            };
            if (s.broken) delete post.created_time;
            return post;
          }),
          paging: {
            cursors: { before: `p${offset}`, after: `p${offset + 4}` },
            ...(more ? { next: fbUrl(api.base, path, { ...params, after: `p${offset + 4}` }) } : {}),
          },
        },
      };
    }
    const comments = /^\/([^/]+)\/comments$/.exec(path);
    if (comments) {
      const s = seeds.find((x) => fbPostId(x) === comments[1]);
      if (!s) return { status: 400, body: fbErr(100, 'Unsupported get request', 33) };
      const all = fbComments(s);
      const offset = Number((p.get('after') ?? 'c0').slice(1));
      const more = offset + 2 < all.length;
      return {
        body: {
          data: all.slice(offset, offset + 2),
          paging: {
            cursors: { before: `c${offset}`, after: `c${offset + 2}` },
            ...(more ? { next: fbUrl(api.base, `/${comments[1]}/comments`, { after: `c${offset + 2}` }) } : {}),
          },
        },
      };
    }
    return { status: 400, body: fbErr(100, 'Unknown path') };
  },
  expectedIds: () => {
    const ids: string[] = [];
    for (const s of seeds.filter((x) => inWindow(x.t))) {
      if (!s.broken) ids.push(`facebook:${fbPostId(s)}`);
      for (const c of fbComments(s)) if (inWindow(Date.parse(String(c.created_time)))) ids.push(`facebook:${c.id}`);
    }
    return ids;
  },
  rateLimit: {
    kind: 'listing',
    reply: {
      status: 400,
      headers: {
        'x-business-use-case-usage': JSON.stringify({
          [FB_PAGE]: [{ type: 'pages', call_count: 100, total_cputime: 40, total_time: 40, estimated_time_to_regain_access: 5 }],
        }),
      },
      body: fbErr(32, 'Page request limit reached'),
    },
    delayMs: 301_000,
  },
  unauthorized: {
    kind: 'listing',
    reply: { status: 400, body: fbErr(190, 'Error validating access token: Session has expired on Friday, 20-Nov-26.', 463) },
    envVar: 'FACEBOOK_ACCESS_TOKEN',
  },
};

// ---------------------------------------------------------------------------------------------
// Instagram Graph API: hashtag search → recent_media; own media and comments

const IG_TOKEN = 'ig-secret-token';
const IG_USER = '17841400000000001';
const IG_HASHTAG = '17843853986012965';
const igMediaId = (s: Seed) => `1790${String(s.i).padStart(4, '0')}`;
function igMedia(s: Seed, own: boolean) {
  const m: Record<string, unknown> = {
    id: igMediaId(s),
    caption: s.text,
    media_type: 'IMAGE',
    media_url: `https://scontent.example/${s.i}.jpg`,
    permalink: `https://www.instagram.com/p/C${s.i}x/`,
    timestamp: graphTime(s.t),
    like_count: 7 * s.i,
    comments_count: own ? s.i % 2 : 3,
  };
  if (own) Object.assign(m, { username: 'climate_org', owner: { id: IG_USER } });
  if (s.broken) delete m.timestamp;
  return m;
}
const igComments = (s: Seed) =>
  Array.from({ length: s.i % 2 }, (_, c) => ({
    id: `1801${s.i}${c}`,
    text: `Nice @climate_org #${c}`,
    timestamp: graphTime(s.t + 5 * 60_000),
    username: 'fan',
    from: { id: '178414999', username: 'fan' },
    like_count: 1,
  }));
const igUrl = (base: string, p: string, params: Record<string, string>) => `${base}/v21.0${p}?${new URLSearchParams({ access_token: IG_TOKEN, ...params })}`;

const instagramFixture: Fixture = {
  name: 'instagram',
  query: '#climate',
  emptyQuery: '#nothinghere',
  env: (base) => ({ INSTAGRAM_ACCESS_TOKEN: IG_TOKEN, INSTAGRAM_USER_ID: IG_USER, INSTAGRAM_GRAPH_BASE_URL: `${base}/v21.0` }),
  secrets: [IG_TOKEN],
  kind: (req) => (/\/(recent_media|media)$/.test(req.url.pathname) ? 'listing' : 'other'),
  pageKey: (url) => searchKey(url),
  route(req, api) {
    const p = req.url.searchParams;
    if (p.get('access_token') !== IG_TOKEN) return { status: 400, body: fbErr(190, 'Invalid OAuth access token') };
    const path = req.url.pathname.replace(/^\/v21\.0/, '');
    if (path === '/ig_hashtag_search') {
      if (p.get('user_id') !== IG_USER) return { status: 400, body: fbErr(100, 'user_id is required') };
      const q = p.get('q');
      return { body: { data: q === 'climate' ? [{ id: IG_HASHTAG }] : q === 'nothinghere' ? [{ id: '17800000000000000' }] : [] } };
    }
    if (path === `/${IG_USER}`) return { body: { id: IG_USER, username: 'climate_org' } };
    const recent = /^\/(\d+)\/recent_media$/.exec(path);
    const own = path === `/${IG_USER}/media`;
    if (recent || own) {
      if (Number(p.get('limit')) > 50) return { status: 400, body: fbErr(100, 'limit must be at most 50') };
      const all = own ? olderSeeds : recent?.[1] === IG_HASHTAG ? seeds : [];
      const offset = Number((p.get('after') ?? 'a0').slice(1));
      const page = all.slice(offset, offset + 5);
      const more = offset + 5 < all.length;
      const params = Object.fromEntries([...p].filter(([k]) => k !== 'access_token' && k !== 'after'));
      return {
        body: {
          data: page.map((s) => igMedia(s, own)),
          paging: {
            cursors: { before: `a${offset}`, after: `a${offset + 5}` },
            ...(more ? { next: igUrl(api.base, path, { ...params, after: `a${offset + 5}` }) } : {}),
          },
        },
      };
    }
    const comments = /^\/(\d+)\/comments$/.exec(path);
    if (comments) {
      const s = olderSeeds.find((x) => igMediaId(x) === comments[1]);
      return { body: { data: s ? igComments(s) : [], paging: { cursors: { before: 'x', after: 'y' } } } };
    }
    return { status: 400, body: fbErr(100, 'Unknown path') };
  },
  expectedIds: () => seeds.filter((s) => !s.broken && inWindow(s.t)).map((s) => `instagram:${igMediaId(s)}`),
  rateLimit: {
    kind: 'listing',
    reply: {
      status: 403,
      headers: {
        'x-business-use-case-usage': JSON.stringify({
          [IG_USER]: [{ type: 'instagram', call_count: 100, total_cputime: 1, total_time: 1, estimated_time_to_regain_access: 5 }],
        }),
      },
      body: fbErr(4, 'Application request limit reached'),
    },
    delayMs: 301_000,
  },
  unauthorized: {
    kind: 'other',
    reply: { status: 401, body: fbErr(190, 'Error validating access token: The user has not authorized application.', 458) },
    envVar: 'INSTAGRAM_ACCESS_TOKEN',
  },
};

// ---------------------------------------------------------------------------------------------
// Mastodon tag timeline: Snowflake ids, Link paging, X-RateLimit-* with ISO resets

const MASTO_TOKEN = 'masto-secret-token';
const mastoId = (s: Seed) => ((BigInt(s.t) << 16n) + BigInt(s.i)).toString();
function status(s: Seed, base: string) {
  const host = new URL(base).host;
  const st: Record<string, unknown> = {
    id: mastoId(s),
    created_at: isoMs(s.t),
    in_reply_to_id: s.i % 5 === 3 ? mastoId(seeds[s.i - 1]) : null,
    in_reply_to_account_id: null,
    sensitive: false,
    spoiler_text: '',
    visibility: 'public',
    language: 'en',
    uri: `${base}/users/${HANDLES[s.author]}/statuses/${mastoId(s)}`,
    url: `${base}/@${HANDLES[s.author]}/${mastoId(s)}`,
    replies_count: 1,
    reblogs_count: s.i,
    favourites_count: 2 * s.i,
    edited_at: null,
    content:
      `<p>Post ${s.i} about <a href="${base}/tags/climate" class="mention hashtag" rel="tag">#<span>climate</span></a> with ` +
      `<span class="h-card"><a href="${base}/@bob" class="u-url mention">@<span>bob</span></a></span> ` +
      // Mastodon hides the scheme and shortens long link texts with invisible/ellipsis spans; the text reads as the full URL.
      `<a href="https://example.org/a${s.i}" rel="nofollow noopener" target="_blank"><span class="invisible">https://</span><span class="">example.org/a${s.i}</span><span class="invisible"></span></a> &amp; more</p>` +
      `<p>Long read: <a href="https://example.org/reports/2026/heat-${s.i}-summary" rel="nofollow noopener" target="_blank"><span class="invisible">https://</span><span class="ellipsis">example.org/reports/2026/heat-</span><span class="invisible">${s.i}-summary</span></a></p>`,
    reblog: null,
    account: {
      id: `11${s.author}`,
      username: HANDLES[s.author],
      acct: s.author === 3 ? `${HANDLES[3]}@other.example` : HANDLES[s.author],
      display_name: HANDLES[s.author],
      created_at: '2022-11-01T00:00:00.000Z',
      followers_count: 40 + s.author,
      url: `${base}/@${HANDLES[s.author]}`,
    },
    media_attachments: [],
    mentions: [{ id: '111', username: 'bob', url: `${base}/@bob`, acct: 'bob' }],
    tags: [{ name: 'climate', url: `${base}/tags/climate` }],
    emojis: [],
    card: null,
    poll: null,
  };
  if (s.broken) st.created_at = 'yesterday-ish';
  void host;
  return st;
}
const mastoRate = (remaining: number) => ({
  'x-ratelimit-limit': '300',
  'x-ratelimit-remaining': String(remaining),
  'x-ratelimit-reset': new Date(NOW + 300_000).toISOString(),
});

const mastodonFixture: Fixture = {
  name: 'mastodon',
  query: '#climate',
  emptyQuery: 'nothinghere',
  env: (base) => ({ MASTODON_BASE_URL: base, MASTODON_ACCESS_TOKEN: MASTO_TOKEN }),
  secrets: [MASTO_TOKEN],
  kind: (req) => (req.url.pathname.startsWith('/api/v1/timelines/tag/') ? 'listing' : 'other'),
  pageKey: (url) => searchKey(url),
  route(req, api) {
    if (req.headers.authorization && req.headers.authorization !== `Bearer ${MASTO_TOKEN}`)
      return { status: 401, body: { error: 'The access token is invalid' } };
    if (req.url.pathname === '/api/v2/instance') return { body: { domain: new URL(api.base).host, title: 'Mock' } };
    if (req.url.pathname === '/api/v1/accounts/verify_credentials') return { body: { id: '1', username: 'collector', acct: 'collector' } };
    const tag = /^\/api\/v1\/timelines\/tag\/([^/]+)$/.exec(req.url.pathname)?.[1];
    if (!tag) return { status: 404, body: { error: 'Record not found' } };
    const p = req.url.searchParams;
    const limit = Math.min(Number(p.get('limit') ?? 20), 40);
    const maxId = p.get('max_id') ? BigInt(p.get('max_id')!) : null;
    const all = tag === 'climate' ? seeds.filter((s) => maxId === null || BigInt(mastoId(s)) < maxId) : [];
    const page = all.slice(0, Math.min(limit, 5));
    const headers: Record<string, string> = mastoRate(250);
    if (page.length) {
      const u = `${api.base}/api/v1/timelines/tag/${tag}`;
      headers.link = `<${u}?limit=${limit}&max_id=${mastoId(page.at(-1)!)}>; rel="next", <${u}?limit=${limit}&min_id=${mastoId(page[0])}>; rel="prev"`;
    }
    return { headers, body: page.map((s) => status(s, api.base)) };
  },
  expectedIds: (api) => seeds.filter((s) => !s.broken && inWindow(s.t)).map((s) => `mastodon:${new URL(api.base).host}/${mastoId(s)}`),
  rateLimit: { kind: 'listing', reply: { status: 429, headers: mastoRate(0), body: { error: 'Too many requests' } }, delayMs: 301_000 },
  unauthorized: { kind: 'listing', reply: { status: 401, body: { error: 'The access token is invalid' } }, envVar: 'MASTODON_ACCESS_TOKEN' },
};

// ---------------------------------------------------------------------------------------------
// Bluesky: app-password session, searchPosts by window, depth limit of 8 hits per query

const BSKY_PASSWORD = 'abcd-efgh-ijkl-mnop';
const BSKY_DEPTH = 8;
const bskyUri = (s: Seed) => `at://did:plc:author${s.author}/app.bsky.feed.post/3kz${String(s.i).padStart(4, '0')}`;
function postView(s: Seed) {
  const text = s.text;
  const bytes = (str: string) => Buffer.byteLength(str, 'utf8');
  const tagAt = text.indexOf('#climate');
  const menAt = text.indexOf('@bob');
  const urlAt = text.indexOf('https://');
  const record: Record<string, unknown> = {
    $type: 'app.bsky.feed.post',
    text,
    createdAt: isoMs(s.t),
    langs: ['en'],
    facets: [
      {
        index: { byteStart: bytes(text.slice(0, tagAt)), byteEnd: bytes(text.slice(0, tagAt + 8)) },
        features: [{ $type: 'app.bsky.richtext.facet#tag', tag: 'climate' }],
      },
      {
        index: { byteStart: bytes(text.slice(0, menAt)), byteEnd: bytes(text.slice(0, menAt + 4)) },
        features: [{ $type: 'app.bsky.richtext.facet#mention', did: 'did:plc:author1' }],
      },
      {
        index: { byteStart: bytes(text.slice(0, urlAt)), byteEnd: bytes(text) },
        features: [{ $type: 'app.bsky.richtext.facet#link', uri: `https://example.org/a${s.i}` }],
      },
    ],
  };
  if (s.i % 5 === 3) record.reply = { root: { uri: bskyUri(seeds[s.i - 1]), cid: 'bafyroot' }, parent: { uri: bskyUri(seeds[s.i - 1]), cid: 'bafyparent' } };
  // broken: a time that cannot be read (a post view without createdAt is dated by its indexedAt, so that is not broken)
  if (s.broken) record.createdAt = 'sometime last week';
  return {
    uri: bskyUri(s),
    cid: `bafyreib${s.i}`,
    author: {
      did: `did:plc:author${s.author}`,
      handle: `${HANDLES[s.author]}.bsky.social`,
      displayName: HANDLES[s.author],
      labels: [],
      createdAt: '2023-05-01T00:00:00.000Z',
    },
    record,
    replyCount: 1,
    repostCount: s.i,
    likeCount: 2 * s.i,
    quoteCount: 0,
    indexedAt: isoMs(s.t + 1000),
    labels: [],
  };
}
const bskyRate = (remaining: number) => ({
  'ratelimit-limit': '3000',
  'ratelimit-remaining': String(remaining),
  'ratelimit-reset': String(NOW / 1000 + 300),
  'ratelimit-policy': '3000;w=300',
});
const bskySortAt = (s: Seed) => Math.min(s.broken ? Infinity : s.t, s.t + 1000);

const blueskyFixture: Fixture = {
  name: 'bluesky',
  query: 'climate lang:en',
  emptyQuery: 'nothinghere lang:en',
  env: (base) => ({
    BLUESKY_HANDLE: 'collector.bsky.social',
    BLUESKY_APP_PASSWORD: BSKY_PASSWORD,
    BLUESKY_SERVICE_URL: base,
    BLUESKY_WINDOW_HOURS: '24',
    BLUESKY_SEARCH_DEPTH: String(BSKY_DEPTH),
  }),
  secrets: [BSKY_PASSWORD, 'acc-', 'ref-'],
  kind: (req) =>
    req.url.pathname === '/xrpc/app.bsky.feed.searchPosts' ? 'listing' : req.url.pathname.startsWith('/xrpc/com.atproto.server.') ? 'auth' : 'other',
  pageKey: (url) => searchKey(url),
  route(req, api) {
    const st = api.state as { access?: string; refresh?: string; n?: number; expireAfter?: number; searches?: number };
    const issue = () => {
      st.n = (st.n ?? 0) + 1;
      st.access = `acc-${st.n}`;
      st.refresh = `ref-${st.n}`;
      return { accessJwt: st.access, refreshJwt: st.refresh, handle: 'collector.bsky.social', did: 'did:plc:collector', active: true };
    };
    const bearer = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
    switch (req.url.pathname) {
      case '/xrpc/com.atproto.server.createSession': {
        const b = JSON.parse(req.body || '{}');
        if (b.identifier !== 'collector.bsky.social' || b.password !== BSKY_PASSWORD)
          return { status: 401, body: { error: 'AuthenticationRequired', message: 'Invalid identifier or password' } };
        return { body: issue() };
      }
      case '/xrpc/com.atproto.server.refreshSession':
        if (bearer !== st.refresh) return { status: 400, body: { error: 'ExpiredToken', message: 'Token has expired' } };
        return { body: issue() };
      case '/xrpc/com.atproto.server.getSession':
        if (bearer !== st.access) return { status: 400, body: { error: 'ExpiredToken', message: 'Token has expired' } };
        return { body: { handle: 'collector.bsky.social', did: 'did:plc:collector' } };
      case '/xrpc/app.bsky.feed.searchPosts': {
        st.searches = (st.searches ?? 0) + 1;
        if (bearer !== st.access || (st.expireAfter !== undefined && st.searches > st.expireAfter)) {
          st.expireAfter = undefined;
          st.access = 'revoked';
          return { status: 400, body: { error: 'ExpiredToken', message: 'Token has expired' } };
        }
        const p = req.url.searchParams;
        if (p.get('lang') !== 'en' || p.get('q') === null || Number(p.get('limit')) > 100 || p.get('sort') !== 'latest')
          return { status: 400, body: { error: 'InvalidRequest', message: 'bad params' } };
        const since = Date.parse(p.get('since')!);
        const until = Date.parse(p.get('until')!);
        const all = p.get('q') === 'climate' ? seeds.filter((s) => bskySortAt(s) >= since && bskySortAt(s) < until).slice(0, BSKY_DEPTH) : [];
        const offset = Number(p.get('cursor') ?? 0);
        const page = all.slice(offset, offset + 5);
        const more = offset + 5 < all.length;
        return { headers: bskyRate(2900), body: { posts: page.map(postView), hitsTotal: all.length, ...(more ? { cursor: String(offset + 5) } : {}) } };
      }
    }
    return { status: 404, body: { error: 'MethodNotImplemented', message: 'Method Not Implemented' } };
  },
  expectedIds: () => seeds.filter((s) => !s.broken && inWindow(s.t)).map((s) => `bluesky:${bskyUri(s)}`),
  rateLimit: {
    kind: 'listing',
    reply: { status: 429, headers: bskyRate(0), body: { error: 'RateLimitExceeded', message: 'Rate Limit Exceeded' } },
    delayMs: 301_000,
  },
  unauthorized: {
    kind: 'auth',
    reply: { status: 401, body: { error: 'AuthenticationRequired', message: 'Invalid identifier or password' } },
    envVar: 'BLUESKY_APP_PASSWORD',
  },
};

// ---------------------------------------------------------------------------------------------
// Reddit: OAuth token, /r/{sub}/new listings, X-Ratelimit-* in seconds

const REDDIT_SECRET = 'reddit-secret-xyz';
const REDDIT_UA = 'linux:socialsense-test:0.1.0 (by /u/tester)';
const redditName = (s: Seed) => `t3_1h${s.i.toString(36).padStart(4, '0')}`;
function redditChild(s: Seed) {
  const d: Record<string, unknown> = {
    id: redditName(s).slice(3),
    name: redditName(s),
    title: `Post ${s.i} about #climate`,
    selftext: s.i % 2 ? `Discussion with u/bob and https://example.org/a${s.i}` : '',
    is_self: s.i % 2 === 1,
    url: s.i % 2 ? `https://www.reddit.com/r/climate/comments/${s.i}/` : `https://example.org/link${s.i}`,
    author: HANDLES[s.author],
    author_fullname: `t2_${HANDLES[s.author]}`,
    subreddit: 'climate',
    created_utc: s.t / 1000,
    permalink: `/r/climate/comments/${redditName(s).slice(3)}/post_${s.i}/`,
    score: s.i - 3,
    ups: Math.max(0, s.i - 3),
    num_comments: s.i % 4,
    num_crossposts: 0,
    over_18: false,
  };
  if (s.broken) delete d.created_utc;
  return { kind: 't3', data: d };
}
const redditRate = (remaining: number) => ({
  'x-ratelimit-used': String(600 - remaining),
  'x-ratelimit-remaining': `${remaining}.0`,
  'x-ratelimit-reset': '300',
});

const redditFixture: Fixture = {
  name: 'reddit',
  query: 'r/climate',
  emptyQuery: 'emptysub',
  env: (base) => ({
    REDDIT_CLIENT_ID: 'client-id-1',
    REDDIT_CLIENT_SECRET: REDDIT_SECRET,
    REDDIT_AUTH_BASE_URL: base,
    REDDIT_API_BASE_URL: base,
    REDDIT_USER_AGENT: REDDIT_UA,
  }),
  secrets: [REDDIT_SECRET, 'reddit-access-'],
  kind: (req) => (req.url.pathname === '/api/v1/access_token' ? 'auth' : /^\/r\/[^/]+\/new$/.test(req.url.pathname) ? 'listing' : 'other'),
  pageKey: (url) => searchKey(url),
  route(req, api) {
    const st = api.state as { tokens?: number };
    if (req.headers['user-agent'] !== REDDIT_UA) return { status: 429, body: { message: 'Too Many Requests', error: 429 } }; // what Reddit does to generic agents
    if (req.url.pathname === '/api/v1/access_token') {
      const basic = Buffer.from(String(req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString();
      if (basic !== `client-id-1:${REDDIT_SECRET}`) return { status: 401, body: { message: 'Unauthorized', error: 401 } };
      if (new URLSearchParams(req.body).get('grant_type') !== 'client_credentials') return { body: { error: 'unsupported_grant_type' } };
      st.tokens = (st.tokens ?? 0) + 1;
      return { body: { access_token: `reddit-access-${st.tokens}`, token_type: 'bearer', expires_in: 86400, scope: '*' } };
    }
    if (req.headers.authorization !== `bearer reddit-access-${st.tokens}`) return { status: 401, body: { message: 'Unauthorized', error: 401 } };
    const sub = /^\/r\/([^/]+)\/new$/.exec(req.url.pathname)?.[1];
    if (!sub) return { status: 404, body: { message: 'Not Found', error: 404 } };
    const p = req.url.searchParams;
    if (p.get('limit') !== '100') return { status: 400, body: { message: 'Bad Request', error: 400 } };
    const all = sub === 'climate' ? olderSeeds : [];
    const after = p.get('after');
    const offset = after ? all.findIndex((s) => redditName(s) === after) + 1 : 0;
    const page = all.slice(offset, offset + 5);
    const more = offset + 5 < all.length;
    return {
      headers: redditRate(500),
      body: {
        kind: 'Listing',
        data: {
          after: more ? redditName(page.at(-1)!) : null,
          dist: page.length,
          modhash: '',
          geo_filter: null,
          children: page.map(redditChild),
          before: null,
        },
      },
    };
  },
  expectedIds: () => seeds.filter((s) => !s.broken && inWindow(s.t)).map((s) => `reddit:${redditName(s)}`),
  rateLimit: { kind: 'listing', reply: { status: 429, headers: redditRate(0), body: { message: 'Too Many Requests', error: 429 } }, delayMs: 301_000 },
  unauthorized: { kind: 'auth', reply: { status: 401, body: { message: 'Unauthorized', error: 401 } }, envVar: 'REDDIT_CLIENT_SECRET' },
};

const fixtures = [xFixture, facebookFixture, instagramFixture, mastodonFixture, blueskyFixture, redditFixture];

// ---------------------------------------------------------------------------------------------
// Running the activity the way a worker would, attempt by attempt

const silentLogger: Logger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

interface Attempt {
  result?: CollectResult;
  error?: unknown;
  beats: CollectProgress[];
}

async function attempt(
  acts: ReturnType<typeof createPlatformCollectActivities>,
  input: PlatformCollectInput,
  opts: { heartbeatDetails?: unknown; attempt?: number; onBeat?: (p: CollectProgress, env: MockActivityEnvironment) => void } = {},
): Promise<Attempt> {
  // heartbeat details reach the next attempt through the payload converter: JSON, not the same object
  const details = opts.heartbeatDetails === undefined ? undefined : JSON.parse(JSON.stringify(opts.heartbeatDetails));
  const env = new MockActivityEnvironment({ heartbeatDetails: details, attempt: opts.attempt ?? 1 }, { logger: silentLogger });
  const beats: CollectProgress[] = [];
  env.on('heartbeat', (d: CollectProgress) => {
    beats.push(JSON.parse(JSON.stringify(d)));
    opts.onBeat?.(d, env);
  });
  try {
    return { result: await env.run(acts.collectPlatform, input), beats };
  } catch (error) {
    return { error, beats };
  }
}

async function storedPosts(store: LocalObjectStore, result: CollectResult): Promise<Post[]> {
  const out: Post[] = [];
  for (const part of result.partitions) {
    const posts = await readNdjson<Post>(store, part.posts);
    for (const p of posts) expect(p.created_at.slice(0, 10)).toBe(part.date);
    out.push(...posts);
  }
  return out;
}

/** the env var each connector reads its first request's base URL from */
const BASE_URL_SETTING: Record<string, string> = {
  x: 'X_API_BASE_URL',
  facebook: 'FACEBOOK_GRAPH_BASE_URL',
  instagram: 'INSTAGRAM_GRAPH_BASE_URL',
  mastodon: 'MASTODON_BASE_URL',
  bluesky: 'BLUESKY_SERVICE_URL',
  reddit: 'REDDIT_AUTH_BASE_URL',
};

function expectFailure(error: unknown, type: string, nonRetryable: boolean): ApplicationFailure {
  expect(error).toBeInstanceOf(ApplicationFailure);
  const f = error as ApplicationFailure;
  expect({ type: f.type, nonRetryable: f.nonRetryable, message: f.message }).toMatchObject({ type, nonRetryable });
  return f;
}

const noSecrets = (fx: Fixture, ...values: unknown[]) => {
  const text = JSON.stringify(values, (_k, v) => (v instanceof Error ? v.message : v));
  for (const s of fx.secrets) expect(text).not.toContain(s);
};

// ---------------------------------------------------------------------------------------------

describe.each(fixtures)('$name connector', (fx) => {
  let api: MockApi;
  let dir: string;
  let store: LocalObjectStore;
  let acts: ReturnType<typeof createPlatformCollectActivities>;
  const input = (query = fx.query): PlatformCollectInput => ({ source: fx.name, query, since: SINCE, until: UNTIL });

  beforeEach(async () => {
    api = new MockApi(fx);
    await api.start();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), `collect-${fx.name}-`));
    store = new LocalObjectStore(dir);
    await store.ensureBucket();
    acts = createPlatformCollectActivities({ store, env: fx.env(api.base), now: () => NOW, httpTimeoutMs: 2_000 });
  });
  afterEach(async () => {
    await api.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('collects several pages into per-day partitions, every post once, the broken record quarantined', async () => {
    const { result, error, beats } = await attempt(acts, input());
    expect(error).toBeUndefined();
    const expected = fx.expectedIds(api);
    const posts = await storedPosts(store, result!);
    expect(posts.map((p) => p.id).sort()).toEqual([...expected].sort());
    expect(new Set(posts.map((p) => p.id)).size).toBe(posts.length);
    for (const p of posts) {
      expect(p.platform).toBe(fx.name);
      expect(Date.parse(p.created_at)).toBeGreaterThanOrEqual(SINCE_MS);
      expect(Date.parse(p.created_at)).toBeLessThan(UNTIL_MS);
      expect(p).not.toHaveProperty('raw');
    }
    expect(result!.partitions.map((p) => p.date)).toEqual(['2026-11-20', '2026-11-21']);
    // raw rows line up with post rows and hold the platform JSON
    for (const part of result!.partitions) {
      const raw = await readNdjson<unknown>(store, part.raw!);
      expect(raw.length).toBe(part.posts.records);
      const mapped = raw.map(
        (r) =>
          createConnectorRegistry()
            .get(fx.name)!
            .toPost(r, { env: fx.env(api.base), query: fx.query }).id,
      );
      expect(mapped).toEqual((await readNdjson<Post>(store, part.posts)).map((p) => p.id));
    }
    expect(result!.counts).toEqual({ in: expected.length + BROKEN_IN_WINDOW, quarantined: BROKEN_IN_WINDOW });
    const quarantined = await readNdjson<Quarantined>(store, result!.quarantine!);
    expect(quarantined).toHaveLength(1);
    expect(quarantined[0].reason).toMatch(/created|timestamp|not a valid post|cannot map/i);
    expect(quarantined[0].record).toBeTruthy();
    // several pages, a heartbeat after each, and no scratch left behind
    expect(api.served.length).toBeGreaterThanOrEqual(3);
    expect(beats.at(-1)).toMatchObject({ done: true, page: api.served.length });
    expect((await store.list('collect-runs/')).filter((k) => k.includes('/page-'))).toEqual([]);
    noSecrets(fx, beats, result);
  });

  it('returns no partitions when the platform answers an empty page', async () => {
    const { result, error } = await attempt(acts, input(fx.emptyQuery));
    expect(error).toBeUndefined();
    expect(result).toMatchObject({ partitions: [], quarantine: null, counts: { in: 0, quarantined: 0 } });
  });

  it('turns a rate limit into a RateLimited failure whose nextRetryDelay is the announced reset', async () => {
    api.fail(fx.rateLimit.kind, fx.rateLimit.kind === 'listing' ? 2 : 1, fx.rateLimit.reply, fx.rateLimit.kind === 'listing' ? 2 : 1);
    const first = await attempt(acts, input());
    const f = expectFailure(first.error, 'RateLimited', false);
    expect(f.nextRetryDelay).toBe(fx.rateLimit.delayMs);
    noSecrets(fx, f.message, first.beats);
    // the retry the server schedules after the delay picks up where the heartbeat left off
    const second = await attempt(acts, input(), { heartbeatDetails: first.beats.at(-1), attempt: 2 });
    expect(second.error).toBeUndefined();
    expect((await storedPosts(store, second.result!)).length).toBe(fx.expectedIds(api).length);
    expect(new Set(api.served).size).toBe(api.served.length);
  });

  it('retries a 500 and the retry completes from the heartbeat', async () => {
    api.fail('listing', 2, { status: 500, body: { error: 'Internal Server Error' } }, 2);
    const first = await attempt(acts, input());
    const f = expectFailure(first.error, 'PlatformUnavailable', false);
    expect(f.message).toMatch(/HTTP 500/);
    expect(first.beats.at(-1)).toMatchObject({ page: 1, done: false });
    const second = await attempt(acts, input(), { heartbeatDetails: first.beats.at(-1), attempt: 2 });
    expect(second.error).toBeUndefined();
    const posts = await storedPosts(store, second.result!);
    expect(posts.map((p) => p.id).sort()).toEqual(fx.expectedIds(api).sort());
    expect(new Set(api.served).size).toBe(api.served.length);
  });

  it('fails non-retryably on 401 and names the env var to fix', async () => {
    api.fail(fx.unauthorized.kind, 1, fx.unauthorized.reply);
    const { error } = await attempt(acts, input());
    const f = expectFailure(error, 'BadCredentials', true);
    expect(f.message).toContain(fx.unauthorized.envVar);
    noSecrets(fx, f.message);
  });

  it('fails non-retryably when the host of the base URL does not resolve, naming the setting to check', async () => {
    // .invalid never resolves (RFC 2606): a typo in a base URL, which retries over hours would not fix
    const typo = createPlatformCollectActivities({ store, env: fx.env('http://socialsense-typo.invalid'), now: () => NOW, httpTimeoutMs: 2_000 });
    const { error } = await attempt(typo, input());
    const f = expectFailure(error, 'ConfigError', true);
    expect(f.message).toContain('the host socialsense-typo.invalid does not resolve (ENOTFOUND)');
    expect(f.message).toContain(`check ${BASE_URL_SETTING[fx.name]}`);
    noSecrets(fx, f.message);
  });

  it('reports malformed JSON as a retryable error that says what was received', async () => {
    api.fail('listing', 2, { raw: '{"data": [{"id": "17', headers: { 'content-type': 'application/json' } }, 2);
    const { error, beats } = await attempt(acts, input());
    const f = expectFailure(error, 'MalformedResponse', false);
    expect(f.message).toContain('{\\"data\\": [{\\"id\\": \\"17');
    expect(f.message).toMatch(/not JSON/);
    expect(beats.at(-1)).toMatchObject({ page: 1 });
    // the third attempt still answered by a page that is not JSON: a wrong base URL, said at once, not hours of retries
    api.clearFaults();
    api.fail('listing', 1, { raw: '<html><body>Sign in to the Wi-Fi</body></html>', headers: { 'content-type': 'text/html' } }, 1);
    const third = await attempt(acts, input(), { attempt: 3 });
    const c = expectFailure(third.error, 'ConfigError', true);
    expect(c.message).toMatch(/not JSON .*on attempt 3 of this collection: not a passing proxy page but a wrong base URL .*; check [A-Z_]+_URL$/);
  });

  it('resumes after being killed mid-collection: no gaps, no duplicates, no page fetched twice', async () => {
    api.fail('listing', 3, 'destroy'); // the connection dies from the third page on, like a crashed proxy
    const first = await attempt(acts, input());
    expectFailure(first.error, 'NetworkError', false);
    const last = first.beats.at(-1)!;
    expect(last).toMatchObject({ page: 2, done: false });
    const servedBefore = [...api.served];
    api.clearFaults();

    const second = await attempt(acts, input(), { heartbeatDetails: last, attempt: 2 });
    expect(second.error).toBeUndefined();
    expect(second.beats[0]).toMatchObject({ page: 2 }); // started from the heartbeat, not from page 1
    const after = api.served.slice(servedBefore.length);
    for (const key of after) expect(servedBefore).not.toContain(key);
    expect(new Set(api.served).size).toBe(api.served.length);
    const posts = await storedPosts(store, second.result!);
    expect(posts.map((p) => p.id).sort()).toEqual(fx.expectedIds(api).sort());
    expect(second.result!.counts.quarantined).toBe(BROKEN_IN_WINDOW);
  });
});

// ---------------------------------------------------------------------------------------------
// What is particular to each platform

describe('platform specifics', () => {
  let api: MockApi;
  let dir: string;
  let store: LocalObjectStore;
  const setup = async (fx: Fixture, env: (base: string) => Env = fx.env, extra: { httpTimeoutMs?: number } = {}) => {
    api = new MockApi(fx);
    await api.start();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), `collect-${fx.name}-`));
    store = new LocalObjectStore(dir);
    return createPlatformCollectActivities({ store, env: env(api.base), now: () => NOW, httpTimeoutMs: extra.httpTimeoutMs ?? 2_000 });
  };
  afterEach(async () => {
    await api?.stop();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('cancelled after the 2nd heartbeat, the next attempt continues from it', async () => {
    const acts = await setup(mastodonFixture);
    const input = { source: 'mastodon', query: 'climate', since: SINCE, until: UNTIL };
    const first = await attempt(acts, input, { onBeat: (p, env) => p.page === 2 && env.cancel() });
    expect(first.error).toBeInstanceOf(CancelledFailure);
    expect(first.beats.at(-1)).toMatchObject({ page: 2 });
    const servedBefore = api.served.length;
    expect(servedBefore).toBe(2);
    const second = await attempt(acts, input, { heartbeatDetails: first.beats.at(-1), attempt: 2 });
    expect(second.error).toBeUndefined();
    expect(new Set(api.served).size).toBe(api.served.length);
    const posts = await storedPosts(store, second.result!);
    expect(posts.map((p) => p.id).sort()).toEqual(mastodonFixture.expectedIds(api).sort());
  });

  it('a retry whose heartbeat never reached the server resumes from the stored checkpoint', async () => {
    const acts = await setup(redditFixture);
    api.fail('listing', 3, { status: 503, body: { message: 'Service Unavailable', error: 503 } }, 3);
    const input = { source: 'reddit', query: 'climate', since: SINCE, until: UNTIL };
    const first = await attempt(acts, input);
    expectFailure(first.error, 'PlatformUnavailable', false);
    const second = await attempt(acts, input, { attempt: 2 }); // no heartbeat details at all
    expect(second.error).toBeUndefined();
    expect(new Set(api.served).size).toBe(api.served.length);
    expect((await storedPosts(store, second.result!)).length).toBe(redditFixture.expectedIds(api).length);
  });

  it('a retry after the work finished returns the same result without fetching again', async () => {
    const acts = await setup(xFixture);
    const input = { source: 'x', query: 'climate', since: SINCE, until: UNTIL };
    const first = await attempt(acts, input);
    const requests = api.requests.length;
    const again = await attempt(acts, input, { heartbeatDetails: first.beats.at(-1), attempt: 2 });
    expect(again.result).toEqual(first.result);
    expect(api.requests.length).toBe(requests);
  });

  it('X: clamps to the 7-day search horizon, refuses older windows, keeps the clamped bounds in the cursor', async () => {
    const acts = await setup(xFixture);
    const clamped = await attempt(acts, { source: 'x', query: 'climate', since: '2026-11-01', until: UNTIL });
    expect(clamped.error).toBeUndefined();
    const starts = new Set(api.requests.filter((r) => r.kind === 'listing').map((r) => r.url.searchParams.get('start_time')));
    expect([...starts]).toEqual(['2026-11-15T12:01:00Z']);
    const old = await attempt(acts, { source: 'x', query: 'climate', since: '2026-11-01', until: '2026-11-10' });
    expect(expectFailure(old.error, 'InvalidQuery', true).message).toMatch(/last 7 days/);
  });

  it('X: a request that hangs becomes a retryable timeout', async () => {
    const acts = await setup(xFixture, xFixture.env, { httpTimeoutMs: 300 });
    api.fail('listing', 1, 'hang');
    const { error } = await attempt(acts, { source: 'x', query: 'climate', since: SINCE, until: UNTIL });
    expect(expectFailure(error, 'PlatformTimeout', false).message).toMatch(/did not answer within 0.3s/);
  });

  it('X: an invalid query is non-retryable and names the query', async () => {
    const acts = await setup(xFixture);
    api.fail('listing', 1, {
      status: 400,
      body: {
        errors: [{ parameters: { query: ['(climate'] }, message: 'There were errors processing your request: missing )' }],
        title: 'Invalid Request',
        detail: 'One or more parameters to your request was invalid.',
      },
    });
    const { error } = await attempt(acts, { source: 'x', query: '(climate', since: SINCE, until: UNTIL });
    const f = expectFailure(error, 'InvalidQuery', true);
    expect(f.message).toContain('"(climate"');
    expect(f.message).toContain('missing )');
  });

  it('Facebook: follows paging.next through an empty page and fetches the rest of long comment threads', async () => {
    const acts = await setup(facebookFixture);
    const { result } = await attempt(acts, { source: 'facebook', query: `https://www.facebook.com/${FB_PAGE}`, since: SINCE, until: UNTIL });
    const posts = await storedPosts(store, result!);
    expect(api.served.some((k) => k.includes('after=p4.'))).toBe(true);
    expect(api.requests.some((r) => r.url.pathname.endsWith(`${fbPostId(seeds[4])}/comments`))).toBe(true);
    const thread = posts.filter((p) => p.reply_to === `facebook:${fbPostId(seeds[4])}`);
    expect(thread).toHaveLength(5);
    expect(thread.find((p) => p.id.endsWith('_1'))!.author.id).toBe(`unknown:facebook:${9000 + 4}_1`);
    const post = posts.find((p) => p.id === `facebook:${fbPostId(seeds[3])}`)!;
    expect(post).toMatchObject({ metrics: { likes: 9, reposts: 3, replies: 0 }, hashtags: ['climate'], mentions: ['bob'], author: { id: FB_PAGE } });
  });

  it('Instagram: looks the hashtag up once (kept in the cursor), and collects own media with comments', async () => {
    const acts = await setup(instagramFixture);
    api.fail('listing', 3, 'destroy');
    const first = await attempt(acts, { source: 'instagram', query: '#climate', since: SINCE, until: UNTIL });
    api.clearFaults();
    await attempt(acts, { source: 'instagram', query: '#climate', since: SINCE, until: UNTIL }, { heartbeatDetails: first.beats.at(-1), attempt: 2 });
    expect(api.requests.filter((r) => r.url.pathname.endsWith('/ig_hashtag_search'))).toHaveLength(1);

    const own = await attempt(acts, { source: 'instagram', query: 'me', since: SINCE, until: UNTIL });
    expect(own.error).toBeUndefined();
    const posts = await storedPosts(store, own.result!);
    const comments = posts.filter((p) => p.reply_to !== null);
    expect(comments.length).toBe(seeds.filter((s) => inWindow(s.t + 5 * 60_000) && s.i % 2 === 1).length);
    expect(posts.find((p) => p.reply_to === null)!.author).toMatchObject({ id: IG_USER, handle: 'climate_org' });
    // own media come newest first: paging stopped once a page predated the window
    expect(api.requests.filter((r) => r.url.pathname.endsWith(`/${IG_USER}/media`)).length).toBe(7);
  });

  it('Instagram: an unknown hashtag is a non-retryable invalid query', async () => {
    const acts = await setup(instagramFixture);
    const { error } = await attempt(acts, { source: 'instagram', query: '#nosuchtag', since: SINCE, until: UNTIL });
    expect(expectFailure(error, 'InvalidQuery', true).message).toMatch(/no hashtag #nosuchtag/);
  });

  it('Mastodon: starts at the until Snowflake, maps HTML, stops after the window, and explains a 401 without a token', async () => {
    const acts = await setup(mastodonFixture, (base) => ({ MASTODON_BASE_URL: base }));
    const { result } = await attempt(acts, { source: 'mastodon', query: 'climate', since: SINCE, until: UNTIL });
    const firstReq = api.requests.find((r) => r.kind === 'listing')!;
    expect(firstReq.url.searchParams.get('max_id')).toBe((BigInt(UNTIL_MS) << 16n).toString());
    expect(firstReq.url.searchParams.get('limit')).toBe('40');
    expect(firstReq.headers.authorization).toBeUndefined();
    // 24 posts in the window, 5 per page: stops at the first page entirely before `since`
    expect(api.served.length).toBeLessThanOrEqual(6);
    const posts = await storedPosts(store, result!);
    const p = posts.find((x) => x.id.endsWith(`/${mastoId(seeds[3])}`))!;
    expect(p.text).toBe('Post 3 about #climate with @bob https://example.org/a3 & more\n\nLong read: https://example.org/reports/2026/heat-3-summary');
    expect(p).toMatchObject({
      hashtags: ['climate'],
      mentions: ['bob'],
      urls: ['https://example.org/a3', 'https://example.org/reports/2026/heat-3-summary'],
      reply_to: `mastodon:${new URL(api.base).host}/${mastoId(seeds[2])}`,
    });

    api.fail('listing', 1, { status: 401, body: { error: 'This API requires an authenticated user' } });
    const { error } = await attempt(acts, { source: 'mastodon', query: 'climate', since: SINCE, until: '2026-11-21' });
    expect(expectFailure(error, 'BadCredentials', true).message).toMatch(/set MASTODON_ACCESS_TOKEN .*read:statuses/);
  });

  it('Bluesky: walks windows, narrows a window deeper than search goes, and refreshes an expired session', async () => {
    const acts = await setup(blueskyFixture);
    (api.state as { expireAfter?: number }).expireAfter = 2;
    const { result, error } = await attempt(acts, { source: 'bluesky', query: 'climate lang:en', since: SINCE, until: UNTIL });
    expect(error).toBeUndefined();
    const posts = await storedPosts(store, result!);
    expect(posts.map((p) => p.id).sort()).toEqual(blueskyFixture.expectedIds(api).sort());
    const auth = api.requests.filter((r) => r.kind === 'auth').map((r) => r.url.pathname.split('.').pop());
    expect(auth).toEqual(['createSession', 'refreshSession']);
    const windows = new Set(
      api.requests.filter((r) => r.kind === 'listing').map((r) => `${r.url.searchParams.get('since')}..${r.url.searchParams.get('until')}`),
    );
    expect(windows.has('2026-11-21T00:00:00.000Z..2026-11-22T00:00:00.000Z')).toBe(true);
    expect(windows.has('2026-11-20T00:00:00.000Z..2026-11-21T00:00:00.000Z')).toBe(true);
    expect([...windows].some((w) => w.startsWith('2026-11-21T00:00:00.000Z..2026-11-21T') && !w.endsWith('22T00:00:00.000Z'))).toBe(true); // narrowed
    const reply = posts.find((p) => p.id === `bluesky:${bskyUri(seeds[3])}`)!;
    expect(reply).toMatchObject({
      reply_to: `bluesky:${bskyUri(seeds[2])}`,
      hashtags: ['climate'],
      mentions: ['bob'],
      urls: ['https://example.org/a3'],
      lang: 'en',
    });
  });

  it('Reddit: sends the unique User-Agent everywhere, refetches an expired token, and stops after the window', async () => {
    const acts = await setup(redditFixture);
    const input = { source: 'reddit', query: 'climate', since: SINCE, until: UNTIL };
    api.fail('listing', 2, { status: 401, body: { message: 'Unauthorized', error: 401 } }, 2);
    const { result, error } = await attempt(acts, input);
    expect(error).toBeUndefined();
    expect(api.requests.every((r) => r.headers['user-agent'] === REDDIT_UA)).toBe(true);
    expect(api.requests.filter((r) => r.kind === 'auth')).toHaveLength(2);
    expect(api.served.length).toBe(7); // 5 per page; page 7 lies entirely before `since`, so page 8 is never asked for
    const posts = await storedPosts(store, result!);
    const link = posts.find((p) => p.id === `reddit:${redditName(seeds[2])}`)!;
    expect(link).toMatchObject({ urls: ['https://example.org/link2'], metrics: { likes: 0, replies: 2 }, author: { id: 't2_carol', handle: 'carol' } });
    const self = posts.find((p) => p.id === `reddit:${redditName(seeds[3])}`)!;
    expect(self.text).toBe('Post 3 about #climate\n\nDiscussion with u/bob and https://example.org/a3');
    expect(self.mentions).toEqual(['bob']);
  });

  it('refuses unknown sources, missing credentials and bad windows non-retryably', async () => {
    const acts = await setup(xFixture, () => ({}));
    const unknown = await attempt(acts, { source: 'myspace', query: 'x', since: SINCE, until: UNTIL });
    expect(expectFailure(unknown.error, 'UnknownSource', true).message).toMatch(/x, facebook, instagram, mastodon, bluesky, reddit/);
    const missing = await attempt(acts, { source: 'bluesky', query: 'x', since: SINCE, until: UNTIL });
    expect(expectFailure(missing.error, 'MissingCredentials', true).message).toMatch(/BLUESKY_HANDLE.*BLUESKY_APP_PASSWORD/);
    const acts2 = createPlatformCollectActivities({ store, env: xFixture.env(api.base), now: () => NOW });
    const bad = await attempt(acts2, { source: 'x', query: 'x', since: UNTIL, until: SINCE });
    expect(expectFailure(bad.error, 'InvalidInput', true).message).toMatch(/must be before/);
    const noZone = await attempt(acts2, { source: 'x', query: 'x', since: '2026-11-20T00:00', until: UNTIL });
    expect(expectFailure(noZone.error, 'InvalidInput', true).message).toMatch(/since must be/);
  });

  it('lists every source with configured / missing / reachable, without leaking credentials', async () => {
    api = new MockApi(mastodonFixture);
    await api.start();
    const env = { ...xFixture.env(api.base), MASTODON_BASE_URL: api.base };
    // one server cannot be every platform: X's probe gets a 401 here, which must read as unreachable, not crash
    const rows = await describeSources(env, { probe: true, now: () => NOW, timeoutMs: 2_000 });
    const by = Object.fromEntries(rows.map((r) => [r.name, r]));
    expect(Object.keys(by)).toEqual(['x', 'facebook', 'instagram', 'mastodon', 'bluesky', 'reddit', 'simulated', 'file']);
    expect(by.mastodon).toMatchObject({ configured: true, missing: [], reachable: true });
    expect(by.x).toMatchObject({ configured: true, reachable: false });
    expect(by.bluesky).toMatchObject({ configured: false, missing: ['BLUESKY_HANDLE', 'BLUESKY_APP_PASSWORD'], reachable: null });
    expect(by.reddit.missing).toEqual(['REDDIT_CLIENT_ID', 'REDDIT_CLIENT_SECRET']);
    expect(JSON.stringify(rows)).not.toContain(X_TOKEN);
    const quick = await describeSources(env);
    expect(quick.find((r) => r.name === 'x')).toMatchObject({ configured: true, reachable: null });
  });
});
