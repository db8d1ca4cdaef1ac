import type { ApplicationFailure } from '@temporalio/common';
import { FailureType, permanentFailure } from '../../../lib/failures';
import { DAY_MS } from '../../../lib/dates';
import type { Post } from '../../../lib/schema';
import type { Connector, ConnectorContext, Cursor, Env } from '../connector';
import { apiUrl, invalidQuery, permissionDenied, rateLimitHeaders, type HttpReply } from '../http';
import { count, knownCount, obj, optStr, optUtcIso, str, utcIso, type Json } from './mapping';

/**
 * X (Twitter) API v2 recent search: GET /2/tweets/search/recent.
 * The endpoint covers the last 7 days only and refuses an end_time less than 10 s in the past, so the
 * window is clamped to that range once and the clamped bounds travel in the cursor: a next_token is only
 * valid with the same parameters it was issued for.
 */

const PLATFORM = 'X';
const TOKEN = 'X_BEARER_TOKEN';
const RECENT_SEARCH_SPAN = 7 * DAY_MS;

const baseUrl = (env: Env) => env.X_API_BASE_URL?.trim() || 'https://api.twitter.com';

const TWEET_FIELDS = 'created_at,author_id,public_metrics,entities,lang,conversation_id,referenced_tweets,in_reply_to_user_id,note_tweet';
const USER_FIELDS = 'created_at,public_metrics,username,name';

/** One tweet in the shape of a single-tweet lookup: the tweet plus its expanded author. */
export interface XItem {
  data: Json;
  includes: { users: Json[] };
}

interface XCursor {
  start: string | null;
  end: string;
  next: string | null;
  [key: string]: Cursor;
}

/** X wants RFC 3339 without fractions. */
const rfc3339 = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

function interpret(reply: HttpReply): ApplicationFailure | undefined {
  const b = reply.body as Json | null;
  if (!b || typeof b !== 'object') return undefined;
  // The monthly post cap answers 429 too, but waiting for the 15-minute window will not help.
  if (reply.status === 429 && (b.title === 'UsageCapExceeded' || String(b.type ?? '').includes('usage-capped'))) {
    return permanentFailure(
      FailureType.QuotaExhausted,
      `X monthly post cap reached for the app behind ${TOKEN} (${String(b.detail ?? b.title)}); it resets with the billing period`,
    );
  }
  if (reply.status === 403 && String(b.reason ?? b.type ?? '').includes('client-not-enrolled')) {
    return permissionDenied(PLATFORM, [TOKEN], 'access to API v2: attach the app to a Project in the developer portal', String(b.detail ?? ''));
  }
  return undefined;
}

async function get(ctx: ConnectorContext, path: string, params: Record<string, string | number | null | undefined>, query: string | undefined = ctx.query) {
  return ctx.http.json<Json>({
    platform: PLATFORM,
    url: apiUrl(baseUrl(ctx.env), path, params),
    hostSetting: 'X_API_BASE_URL',
    headers: { authorization: `Bearer ${ctx.env[TOKEN]}` },
    credentials: [TOKEN],
    permission: 'access to the v2 search endpoint (an app in a Project with Basic access or above)',
    query,
    rateLimit: rateLimitHeaders.unixSeconds('x-rate-limit'),
    interpret,
  });
}

export const xConnector: Connector = {
  name: 'x',
  queryHelp: 'an X search query, e.g. "climate lang:en -is:retweet" (last 7 days only)',
  credentials: [
    { env: TOKEN, description: 'App-only Bearer token of an app in a Project with v2 search access' },
    { env: 'X_API_BASE_URL', description: 'API base URL (default https://api.twitter.com)', optional: true },
  ],
  isConfigured: (env) => Boolean(env[TOKEN]?.trim()),

  async fetchPage(ctx, cursor) {
    let c: XCursor;
    if (cursor === null) {
      const now = ctx.now();
      const earliest = now - RECENT_SEARCH_SPAN + 60_000;
      const latest = now - 15_000;
      if (ctx.until.getTime() <= earliest) {
        throw invalidQuery(
          PLATFORM,
          ctx.query,
          `recent search only covers the last 7 days and the window ends ${ctx.until.toISOString()}; older posts need full-archive search`,
        );
      }
      if (ctx.since.getTime() < earliest)
        ctx.log.warn('X recent search covers the last 7 days only; collecting from then', { from: new Date(earliest).toISOString() });
      const start = Math.max(ctx.since.getTime(), earliest);
      const end = Math.min(ctx.until.getTime(), latest);
      if (start >= end) return { items: [], next: null };
      c = { start: rfc3339(start), end: rfc3339(end), next: null };
    } else {
      c = cursor as XCursor;
    }

    const reply = await get(ctx, '/2/tweets/search/recent', {
      query: ctx.query,
      start_time: c.start,
      end_time: c.end,
      max_results: 100,
      expansions: 'author_id',
      'tweet.fields': TWEET_FIELDS,
      'user.fields': USER_FIELDS,
      next_token: c.next,
    });
    const body = reply.body;
    const tweets = Array.isArray(body.data) ? (body.data as Json[]) : [];
    const includes = (body.includes ?? {}) as Json;
    const users = new Map<string, Json>();
    for (const u of Array.isArray(includes.users) ? (includes.users as Json[]) : []) users.set(String(u.id), u);
    const items: XItem[] = tweets.map((t) => {
      const user = users.get(String(t.author_id));
      return { data: t, includes: { users: user ? [user] : [] } };
    });
    const meta = (body.meta ?? {}) as Json;
    const nextToken = optStr(meta.next_token);
    return { items, next: nextToken ? { ...c, next: nextToken } : null };
  },

  toPost(item): Post {
    const { data: t, includes } = obj(item, 'X item') as unknown as XItem;
    const tweet = obj(t, 'tweet');
    const id = str(tweet.id, 'tweet id');
    // includes.users lists every user a response references (authors, mentioned and replied-to users, in no promised
    // order): the author is the one whose id is the tweet's author_id; without an author_id, a lone user is taken.
    const users = (Array.isArray(includes?.users) ? includes.users : []) as Json[];
    const user = tweet.author_id !== undefined ? users.find((u) => String(u.id) === String(tweet.author_id)) : users.length === 1 ? users[0] : undefined;
    const authorId = str(user?.id ?? tweet.author_id, 'author_id');
    const handle = optStr(user?.username) ?? '';
    const pm = (tweet.public_metrics ?? {}) as Json;
    const upm = (user?.public_metrics ?? {}) as Json;
    const entities = (tweet.entities ?? {}) as Json;
    const refs = Array.isArray(tweet.referenced_tweets) ? (tweet.referenced_tweets as Json[]) : [];
    const ref = (type: string) => {
      const r = refs.find((x) => x.type === type);
      return r ? `x:${String(r.id)}` : null;
    };
    const list = (key: string) => (Array.isArray(entities[key]) ? (entities[key] as Json[]) : []);
    const note = (tweet.note_tweet ?? null) as Json | null;
    // X shortens every link to t.co in the text and gives the link itself in entities.urls (url → expanded_url);
    // a long post's links are in note_tweet.entities. The text reads the full links, as the urls list does.
    const noteLinks = Array.isArray((note?.entities as Json | undefined)?.urls) ? ((note!.entities as Json).urls as Json[]) : [];
    const links = [...list('urls'), ...noteLinks].filter((u) => typeof u.url === 'string' && u.url !== '');
    const expand = (text: string) => links.reduce((t, u) => (typeof u.expanded_url === 'string' ? t.split(String(u.url)).join(u.expanded_url) : t), text);
    return {
      id: `x:${id}`,
      platform: 'x',
      author: {
        id: authorId,
        handle,
        followers: typeof upm.followers_count === 'number' ? count(upm.followers_count) : null,
        created_at: optUtcIso(user?.created_at),
      },
      // long posts carry their full text in note_tweet; `text` is then truncated
      text: expand(typeof note?.text === 'string' ? note.text : typeof tweet.text === 'string' ? tweet.text : ''),
      lang: optStr(tweet.lang),
      created_at: utcIso(tweet.created_at),
      url: `https://x.com/${handle || 'i/web'}/status/${id}`,
      metrics: {
        likes: knownCount(pm.like_count),
        reposts: knownCount(pm.retweet_count, pm.quote_count),
        replies: knownCount(pm.reply_count),
        views: knownCount(pm.impression_count),
      },
      reply_to: ref('replied_to'),
      repost_of: ref('retweeted'),
      hashtags: list('hashtags').map((h) => String(h.tag)),
      mentions: list('mentions').map((m) => String(m.username)),
      urls: [...new Set(links.map((u) => String(u.expanded_url ?? u.url)))],
    };
  },

  async probe(ctx) {
    // A tweet lookup spends the lookup quota, not the search quota, and proves the token works.
    await get(ctx, '/2/tweets', { ids: '20' }, undefined);
    return { reachable: true, detail: `token accepted by ${new URL(baseUrl(ctx.env)).host}` };
  },
};
