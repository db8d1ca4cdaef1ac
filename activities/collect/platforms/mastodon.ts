import type { ApplicationFailure } from '@temporalio/common';
import { FailureType, permanentFailure } from '../../../lib/failures';
import type { Post } from '../../../lib/schema';
import type { Connector, ConnectorContext, Env } from '../connector';
import { apiUrl, badCredentials, cursorParams, invalidQuery, rateLimitHeaders, type HttpReply } from '../http';
import { count, knownCount, hashtagOf, obj, optStr, optUtcIso, str, utcIso, type Json } from './mapping';
import { parseHtmlContent } from '../../../models/text/html';

/**
 * Mastodon hashtag timeline: GET /api/v1/timelines/tag/:hashtag, newest first, up to 40 per page,
 * paged by the `Link` header's rel="next" (a max_id). Status ids are Snowflakes (milliseconds << 16),
 * so the first request starts at `until` instead of paging down from now, and paging stops once a page
 * lies entirely before `since`. Ids are local to the instance, so post ids carry its host.
 */

const TOKEN = 'MASTODON_ACCESS_TOKEN';
const BASE = 'MASTODON_BASE_URL';
/** The instance read when MASTODON_BASE_URL is unset or empty, by the REST connector and the stream alike. */
export const DEFAULT_BASE = 'https://mastodon.social';
const PAGE = 40;

/** The configured instance's base URL: MASTODON_BASE_URL (trimmed) unless empty, else DEFAULT_BASE. */
export const baseUrl = (env: Env) => env[BASE]?.trim() || DEFAULT_BASE;
const hostOf = (env: Env) => new URL(baseUrl(env)).host;

/** The smallest status id created at or after `ms`: Mastodon ids are (milliseconds << 16) | sequence. */
export const snowflakeAt = (ms: number): string => (BigInt(ms) << 16n).toString();

/** `<https://…?max_id=1>; rel="next", <https://…?min_id=9>; rel="prev"` → the next URL. */
export function linkNext(header: string | null): string | null {
  if (!header) return null;
  for (const part of header.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?([^";]+)"?/.exec(part.trim());
    if (m && m[2].split(/\s+/).includes('next')) return m[1];
  }
  return null;
}

function interpret(env: Env) {
  return (reply: HttpReply): ApplicationFailure | undefined => {
    if (reply.status !== 401) return undefined;
    const host = hostOf(env);
    if (!env[TOKEN]) {
      return permanentFailure(
        FailureType.BadCredentials,
        `${host} does not show tag timelines without logging in (HTTP 401): set ${TOKEN} to an access token with the read:statuses scope (Preferences → Development → New application)`,
      );
    }
    return badCredentials('Mastodon', [TOKEN, BASE], `HTTP 401 from ${host}: the token is invalid, revoked, or for another instance`);
  };
}

async function get(ctx: ConnectorContext, path: string, params: Record<string, string | number | undefined>, query: string | undefined = ctx.query) {
  const token = ctx.env[TOKEN]?.trim();
  return ctx.http.json<unknown>({
    platform: 'Mastodon',
    url: apiUrl(baseUrl(ctx.env), path, params),
    headers: token ? { authorization: `Bearer ${token}` } : {},
    credentials: token ? [TOKEN] : [TOKEN, BASE],
    hostSetting: BASE,
    permission: 'the read:statuses scope',
    query,
    rateLimit: rateLimitHeaders.isoTime('x-ratelimit'),
    interpret: interpret(ctx.env),
  });
}

export const mastodonConnector: Connector = {
  name: 'mastodon',
  queryHelp: 'a hashtag, e.g. "climate" or "#climate", on the instance in MASTODON_BASE_URL',
  instance: { of: hostOf, default: new URL(DEFAULT_BASE).host, setting: BASE },
  credentials: [
    { env: BASE, description: `instance URL (default ${DEFAULT_BASE})`, optional: true },
    { env: TOKEN, description: 'access token with read:statuses; only needed on instances that hide public timelines', optional: true },
  ],
  isConfigured: () => true,

  async fetchPage(ctx, cursor) {
    const tag = hashtagOf(ctx.query);
    if (!tag) throw invalidQuery('Mastodon', ctx.query, 'expected one hashtag (letters, digits, underscore)');
    const params = cursor === null ? { limit: PAGE, max_id: snowflakeAt(ctx.until.getTime()) } : (cursor as Record<string, string>);
    const reply = await get(ctx, `/api/v1/timelines/tag/${encodeURIComponent(tag)}`, params);
    if (!Array.isArray(reply.body)) throw new Error('Mastodon tag timeline did not return a list');
    const statuses = reply.body as Json[];
    if (cursor === null && statuses.length === 0 && !ctx.env[TOKEN]) {
      ctx.log.info(`no public posts for #${tag} on ${hostOf(ctx.env)}; instances that restrict public timelines answer an empty list until ${TOKEN} is set`);
    }
    const newest = Math.max(...statuses.map((s) => Date.parse(String(s.created_at))).filter(Number.isFinite));
    const next = linkNext(reply.headers.get('link'));
    const pastWindow = statuses.length > 0 && newest < ctx.since.getTime();
    return { items: statuses, next: next && statuses.length > 0 && !pastWindow ? cursorParams(next) : null };
  },

  toPost(item, ctx): Post {
    const s = obj(item, 'status');
    const host = hostOf(ctx.env);
    const id = str(s.id, 'status id');
    // A boost carries the boosted status; its text and entities are the content.
    const content = s.reblog && typeof s.reblog === 'object' ? (s.reblog as Json) : s;
    const account = obj(s.account, 'account');
    // Status content is HTML; the shared converter (also used by preprocess for imported HTML) makes it plain text
    // and names its links, leaving out mention and hashtag links.
    const html = parseHtmlContent(typeof content.content === 'string' ? content.content : '');
    const spoiler = optStr(content.spoiler_text);
    const text = [spoiler, html.text].filter(Boolean).join('\n\n');
    const tags = Array.isArray(content.tags) ? (content.tags as Json[]) : [];
    const mentions = Array.isArray(content.mentions) ? (content.mentions as Json[]) : [];
    const card = (content.card ?? null) as Json | null;
    const urls = [...html.links];
    if (card?.url && !urls.includes(String(card.url))) urls.push(String(card.url));
    return {
      id: `mastodon:${host}/${id}`,
      platform: 'mastodon',
      author: {
        id: `${host}/${str(account.id, 'account.id')}`,
        handle: optStr(account.acct) ?? optStr(account.username) ?? '',
        followers: typeof account.followers_count === 'number' ? count(account.followers_count) : null,
        created_at: optUtcIso(account.created_at),
      },
      text,
      lang: optStr(content.language),
      created_at: utcIso(s.created_at),
      url: optStr(content.url) ?? optStr(content.uri),
      // A boost's own counts: the boosted status's likes and boosts are the original's, counted again on every boost
      metrics: { likes: knownCount(s.favourites_count), reposts: knownCount(s.reblogs_count), replies: knownCount(s.replies_count), views: null },
      reply_to: optStr(s.in_reply_to_id) ? `mastodon:${host}/${s.in_reply_to_id}` : null,
      repost_of: s.reblog && typeof s.reblog === 'object' ? `mastodon:${host}/${str(content.id, 'reblog.id')}` : null,
      hashtags: tags.map((t) => String(t.name)),
      mentions: mentions.map((m) => String(m.acct ?? m.username)),
      urls,
    };
  },

  async probe(ctx) {
    if (ctx.env[TOKEN]?.trim()) {
      const me = (await get(ctx, '/api/v1/accounts/verify_credentials', {}, undefined)).body as Json;
      return { reachable: true, detail: `token accepted for @${String(me.acct ?? me.username)} on ${hostOf(ctx.env)}` };
    }
    const inst = (await get(ctx, '/api/v2/instance', {}, undefined)).body as Json;
    return { reachable: true, detail: `${String(inst.domain ?? hostOf(ctx.env))} reachable, no token (public timelines only)` };
  },
};
