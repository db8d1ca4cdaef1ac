import { ApplicationFailure } from '@temporalio/common';
import { sha256 } from '../../../lib/datasets';
import type { Post } from '../../../lib/schema';
import type { Connector, ConnectorContext, Env } from '../connector';
import { apiUrl, badCredentials, errorDetail, invalidQuery, permissionDenied, rateLimitHeaders, type HttpReply } from '../http';
import { count, knownCount, scoreAsLikes, DELETED_TEXTS, obj, optStr, str, textEntities, unknownAuthor, utcIso, type Json } from './mapping';

/**
 * Reddit: an OAuth token from /api/v1/access_token (client credentials, or the password grant for a
 * "script" app when REDDIT_USERNAME/REDDIT_PASSWORD are set), then GET /r/{sub}/new?limit=100&after=…
 * following data.after. Listings are newest first and end after about 1,000 posts, so paging stops
 * once a page lies entirely before `since`. Reddit blocks generic User-Agents; every request sends a
 * unique one (REDDIT_USER_AGENT, or one built from the app and account).
 */

const ID = 'REDDIT_CLIENT_ID';
const SECRET = 'REDDIT_CLIENT_SECRET';
const USERNAME = 'REDDIT_USERNAME';
const PASSWORD = 'REDDIT_PASSWORD';

const authBase = (env: Env) => env.REDDIT_AUTH_BASE_URL?.trim() || 'https://www.reddit.com';
const apiBase = (env: Env) => env.REDDIT_API_BASE_URL?.trim() || 'https://oauth.reddit.com';

export function redditUserAgent(env: Env): string {
  const custom = env.REDDIT_USER_AGENT?.trim();
  if (custom) return custom;
  const user = env[USERNAME]?.trim();
  return `nodejs:socialsense:0.1.0 (${user ? `by /u/${user}` : 'SocialSense collector'})`;
}

interface Token {
  value: string;
  expiresAt: number;
}

/** "climate", "r/climate", "/r/climate/" or "climate+environment" (a multi) → the path part. */
function subredditOf(query: string): string | null {
  const s = query
    .trim()
    .replace(/^\/?r\//i, '')
    .replace(/\/+$/, '');
  return /^[A-Za-z0-9_]{2,21}(\+[A-Za-z0-9_]{2,21})*$/.test(s) ? s : null;
}

export function createRedditConnector(): Connector {
  const tokens = new Map<string, Token>();
  const tokenKey = (env: Env) => sha256(`${authBase(env)}\n${env[ID]}\n${env[SECRET]}\n${env[USERNAME] ?? ''}\n${env[PASSWORD] ?? ''}`);
  const credentialEnv = (env: Env) => (env[USERNAME] ? [ID, SECRET, USERNAME, PASSWORD] : [ID, SECRET]);

  async function fetchToken(ctx: ConnectorContext): Promise<Token> {
    const env = ctx.env;
    const usePassword = Boolean(env[USERNAME]?.trim() && env[PASSWORD]);
    const reply = await ctx.http.json<Json>({
      platform: 'Reddit',
      url: apiUrl(authBase(env), '/api/v1/access_token'),
      hostSetting: 'REDDIT_AUTH_BASE_URL',
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${env[ID]}:${env[SECRET] ?? ''}`).toString('base64')}`,
        'user-agent': redditUserAgent(env),
      },
      form: usePassword ? { grant_type: 'password', username: env[USERNAME]!.trim(), password: env[PASSWORD]! } : { grant_type: 'client_credentials' },
      credentials: credentialEnv(env),
      rateLimit: rateLimitHeaders.deltaSeconds('x-ratelimit'),
      // a wrong password comes back as HTTP 200 with {"error": "invalid_grant"}
      interpret: (r) =>
        r.status === 200 && (r.body as Json | null)?.error ? badCredentials('Reddit', credentialEnv(env), `token request: ${errorDetail(r.body)}`) : undefined,
    });
    const token = { value: str(reply.body.access_token, 'access_token'), expiresAt: ctx.now() + (count(reply.body.expires_in, 3600) - 60) * 1000 };
    tokens.set(tokenKey(env), token);
    return token;
  }

  async function listing(
    ctx: ConnectorContext,
    path: string,
    params: Record<string, string | number | null | undefined>,
    query?: string,
  ): Promise<HttpReply<Json>> {
    const env = ctx.env;
    const call = async (token: Token, acceptExpired: boolean) =>
      ctx.http.json<Json>({
        platform: 'Reddit',
        url: apiUrl(apiBase(env), path, params),
        hostSetting: 'REDDIT_API_BASE_URL',
        headers: { authorization: `bearer ${token.value}`, 'user-agent': redditUserAgent(env) },
        credentials: credentialEnv(env),
        permission: 'the read scope',
        query,
        rateLimit: rateLimitHeaders.deltaSeconds('x-ratelimit'),
        interpret: (r): ApplicationFailure | 'accept' | undefined => {
          if (r.status === 401 && acceptExpired) return 'accept';
          const reason = String((r.body as Json | null)?.reason ?? '');
          if (r.status === 403 && query !== undefined) {
            return permissionDenied(
              'Reddit',
              credentialEnv(env),
              `access to r/${query}`,
              `HTTP 403${reason ? ` (${reason})` : ''}: the subreddit is private, quarantined or banned`,
            );
          }
          if (r.status === 404 && query !== undefined) return invalidQuery('Reddit', query, 'no such subreddit (HTTP 404)');
          return undefined;
        },
      });
    let token = tokens.get(tokenKey(env));
    if (!token || token.expiresAt <= ctx.now()) token = await fetchToken(ctx);
    const reply = await call(token, true);
    if (reply.status !== 401) return reply;
    return call(await fetchToken(ctx), false); // the token expired or was revoked early
  }

  return {
    name: 'reddit',
    queryHelp: 'a subreddit, e.g. "climate" or "r/climate" ("a+b" for several); the newest ~1,000 posts are reachable',
    credentials: [
      { env: ID, description: 'client id of a Reddit app (reddit.com/prefs/apps)' },
      { env: SECRET, description: 'its client secret' },
      { env: USERNAME, description: 'account for the password grant ("script" apps); client credentials are used without it', optional: true },
      { env: PASSWORD, description: "that account's password", optional: true },
      { env: 'REDDIT_USER_AGENT', description: 'unique User-Agent, e.g. "linux:socialsense:0.1.0 (by /u/you)"', optional: true },
    ],
    isConfigured: (env) => Boolean(env[ID]?.trim() && env[SECRET]?.trim()),

    async fetchPage(ctx, cursor) {
      const sub = subredditOf(ctx.query);
      if (!sub) throw invalidQuery('Reddit', ctx.query, 'expected a subreddit name such as "climate" or "r/climate"');
      const after = cursor === null ? null : String((cursor as { after: string }).after);
      const reply = await listing(ctx, `/r/${sub}/new`, { limit: 100, after, raw_json: 1 }, sub);
      const data = obj(reply.body.data, 'listing data');
      const children = Array.isArray(data.children) ? (data.children as Json[]) : [];
      const newest = Math.max(...children.map((c) => Number((c.data as Json | undefined)?.created_utc) * 1000).filter(Number.isFinite));
      const pastWindow = children.length > 0 && newest < ctx.since.getTime();
      const nextAfter = optStr(data.after);
      return { items: children, next: nextAfter && children.length > 0 && !pastWindow ? { after: nextAfter } : null };
    },

    toPost(item): Post {
      const child = obj(item, 'listing child');
      if (child.kind !== 't3') throw new Error(`expected a link (t3), got ${JSON.stringify(child.kind)}`);
      const d = obj(child.data, 'data');
      const name = str(d.name, 'name');
      const title = typeof d.title === 'string' ? d.title : '';
      // a deleted or removed post keeps its title; its body says "[removed]", which is no text
      const body = typeof d.selftext === 'string' && !DELETED_TEXTS.has(d.selftext.trim()) ? d.selftext : '';
      if (!title.trim() && !body) throw new Error(`no text (the post was ${DELETED_TEXTS.has(String(d.selftext ?? '').trim()) ? 'deleted' : 'empty'})`);
      const text = body ? `${title}\n\n${body}` : title;
      const ents = textEntities(body);
      const link = d.is_self ? null : (optStr(d.url_overridden_by_dest) ?? optStr(d.url));
      const urls = link ? [link, ...ents.urls.filter((u) => u !== link)] : ents.urls;
      const authorId = optStr(d.author_fullname);
      return {
        id: `reddit:${name}`,
        platform: 'reddit',
        // deleted accounts keep the post but lose author_fullname
        author: authorId
          ? { id: authorId, handle: optStr(d.author) ?? '', followers: null, created_at: null }
          : { ...unknownAuthor(`reddit:${name}`), handle: optStr(d.author) ?? '' },
        text,
        lang: null,
        created_at: utcIso(d.created_utc, 'created_utc'),
        url: optStr(d.permalink) ? `https://www.reddit.com${d.permalink}` : null,
        metrics: { likes: scoreAsLikes(d.score), reposts: knownCount(d.num_crossposts), replies: knownCount(d.num_comments), views: null },
        reply_to: null,
        repost_of: optStr(d.crosspost_parent) ? `reddit:${d.crosspost_parent}` : null,
        hashtags: ents.hashtags,
        mentions: [...new Set([...body.matchAll(/(?:^|[^\w/])\/?u\/([A-Za-z0-9_-]{3,20})/g)].map((m) => m[1]))],
        urls,
      };
    },

    async probe(ctx) {
      await fetchToken(ctx);
      return { reachable: true, detail: `token granted (${ctx.env[USERNAME] ? 'password grant' : 'client credentials'})` };
    },
  };
}
