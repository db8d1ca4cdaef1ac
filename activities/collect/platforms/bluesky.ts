import type { ApplicationFailure } from '@temporalio/common';
import { FailureType, transientFailure } from '../../../lib/failures';
import { sha256 } from '../../../lib/datasets';
import type { Post } from '../../../lib/schema';
import type { Connector, ConnectorContext, Cursor, Env } from '../connector';
import { apiUrl, badCredentials, errorDetail, invalidQuery, rateLimitHeaders, type HttpReply } from '../http';
import { knownCount, obj, optStr, optUtcIso, str, utcIso, type Json } from './mapping';

/**
 * Bluesky post search: app.bsky.feed.searchPosts with an app-password session
 * (com.atproto.server.createSession, renewed with refreshSession when the access token expires).
 *
 * Search stops returning a cursor after roughly 10,000 hits per query, so [since, until) is walked as
 * windows from the newest back, `BLUESKY_WINDOW_HOURS` wide; a window that hits the depth limit is
 * narrowed to end at the oldest post seen and continued, so a busy hour loses nothing either.
 * Sessions live in memory only (never in heartbeats): a retried attempt on the same worker reuses them.
 */

const HANDLE = 'BLUESKY_HANDLE';
const PASSWORD = 'BLUESKY_APP_PASSWORD';
const DEFAULT_SERVICE = 'https://bsky.social';
const HOUR = 3_600_000;

const serviceUrl = (env: Env) => env.BLUESKY_SERVICE_URL?.trim() || DEFAULT_SERVICE;
const windowMs = (env: Env) => Math.max(1, Number(env.BLUESKY_WINDOW_HOURS) || 6) * HOUR;
/** Below the ~10k the service stops at, so the narrowing starts before hits are lost. */
const depthLimit = (env: Env) => Math.max(1, Number(env.BLUESKY_SEARCH_DEPTH) || 9_000);

interface Session {
  accessJwt: string;
  refreshJwt: string;
  did: string;
  handle: string;
}

/** One search window: [lo, hi), the API cursor inside it, hits so far and the oldest sort time seen. */
interface BskyCursor {
  lo: string;
  hi: string;
  c: string | null;
  n: number;
  oldest: string | null;
  [key: string]: Cursor;
}

const TOKEN_ERRORS = new Set(['ExpiredToken', 'InvalidToken']);
const errName = (reply: HttpReply) => String((reply.body as Json | null)?.error ?? '');

function authFailure(reply: HttpReply): ApplicationFailure {
  const name = errName(reply);
  const hint =
    name === 'AuthFactorTokenRequired'
      ? 'the account asks for a 2FA code: use an app password (Settings → Privacy and security → App passwords), not the account password'
      : `HTTP ${reply.status}: ${errorDetail(reply.body)}; use the handle (or DID) and an app password from Settings → Privacy and security → App passwords`;
  return badCredentials('Bluesky', [HANDLE, PASSWORD], hint);
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * When a post view was written, and the field that says so: `record.createdAt` (what the author's client wrote), else
 * `indexedAt`, which every app.bsky.feed.defs#postView has. Used by the connector and the file importer alike.
 */
export function blueskyPostTime(view: Json): { value: unknown; field: string } {
  const written = (view.record as Json | undefined)?.createdAt;
  return written === undefined || written === null
    ? { value: view.indexedAt, field: 'indexedAt, as record.createdAt,' }
    : { value: written, field: 'record.createdAt' };
}

export function createBlueskyConnector(): Connector {
  const sessions = new Map<string, Session>();
  const sessionKey = (env: Env) => sha256(`${serviceUrl(env)}\n${env[HANDLE]}\n${env[PASSWORD]}`);

  async function xrpc(
    ctx: ConnectorContext,
    method: 'GET' | 'POST',
    nsid: string,
    opts: { params?: Record<string, string | number | null | undefined>; json?: unknown; bearer?: string; query?: string; acceptTokenErrors?: boolean },
  ) {
    return ctx.http.json<Json>({
      platform: 'Bluesky',
      url: apiUrl(serviceUrl(ctx.env), `/xrpc/${nsid}`, opts.params ?? {}),
      hostSetting: 'BLUESKY_SERVICE_URL',
      method,
      json: opts.json,
      headers: opts.bearer ? { authorization: `Bearer ${opts.bearer}` } : {},
      credentials: [HANDLE, PASSWORD],
      query: opts.query,
      rateLimit: rateLimitHeaders.unixSeconds('ratelimit'),
      interpret: (reply) => {
        if (reply.status < 400) return undefined;
        if (TOKEN_ERRORS.has(errName(reply))) {
          if (opts.acceptTokenErrors) return 'accept';
          sessions.delete(sessionKey(ctx.env));
          return transientFailure(FailureType.SessionExpired, 'Bluesky refused a session it had just renewed; will retry with a new one');
        }
        if (reply.status === 401 || errName(reply) === 'AuthFactorTokenRequired' || errName(reply) === 'AuthenticationRequired') return authFailure(reply);
        if (reply.status === 400 && errName(reply) === 'BadQueryString' && opts.query !== undefined)
          return invalidQuery('Bluesky', opts.query, errorDetail(reply.body));
        return undefined;
      },
    });
  }

  async function createSession(ctx: ConnectorContext): Promise<Session> {
    const reply = await xrpc(ctx, 'POST', 'com.atproto.server.createSession', {
      json: { identifier: ctx.env[HANDLE]!.trim().replace(/^@/, ''), password: ctx.env[PASSWORD] },
    });
    const s = reply.body;
    const session = {
      accessJwt: str(s.accessJwt, 'accessJwt'),
      refreshJwt: str(s.refreshJwt, 'refreshJwt'),
      did: String(s.did ?? ''),
      handle: String(s.handle ?? ''),
    };
    sessions.set(sessionKey(ctx.env), session);
    return session;
  }

  async function renewSession(ctx: ConnectorContext, old: Session): Promise<Session> {
    const reply = await xrpc(ctx, 'POST', 'com.atproto.server.refreshSession', { bearer: old.refreshJwt, acceptTokenErrors: true });
    if (reply.status >= 400) return createSession(ctx); // the refresh token expired too
    const s = reply.body;
    const session = { ...old, accessJwt: str(s.accessJwt, 'accessJwt'), refreshJwt: str(s.refreshJwt, 'refreshJwt') };
    sessions.set(sessionKey(ctx.env), session);
    return session;
  }

  /** Calls with the current session, renewing it once if the access token has expired. */
  async function authed(ctx: ConnectorContext, nsid: string, params: Record<string, string | number | null | undefined>, query?: string) {
    let session = sessions.get(sessionKey(ctx.env)) ?? (await createSession(ctx));
    let reply = await xrpc(ctx, 'GET', nsid, { params, bearer: session.accessJwt, query, acceptTokenErrors: true });
    if (reply.status >= 400) {
      session = await renewSession(ctx, session);
      reply = await xrpc(ctx, 'GET', nsid, { params, bearer: session.accessJwt, query });
    }
    return { reply, session };
  }

  /** `climate lang:en` → q "climate" with the lang parameter. */
  function splitQuery(query: string): { q: string; lang: string | null } {
    let lang: string | null = null;
    const q = query
      .replace(/(^|\s)lang:([A-Za-z-]{2,8})(?=\s|$)/g, (_m, pre: string, l: string) => {
        lang = l;
        return pre;
      })
      .trim();
    return { q, lang };
  }

  return {
    name: 'bluesky',
    queryHelp: 'a Bluesky search query (Lucene-like), optionally with lang:xx, e.g. "climate lang:en"',
    credentials: [
      { env: HANDLE, description: 'account handle (e.g. alice.bsky.social) or DID' },
      { env: PASSWORD, description: 'an app password (Settings → Privacy and security → App passwords), not the account password' },
      { env: 'BLUESKY_SERVICE_URL', description: `PDS / entryway URL (default ${DEFAULT_SERVICE})`, optional: true },
      { env: 'BLUESKY_WINDOW_HOURS', description: 'width of the search windows (default 6)', optional: true },
    ],
    isConfigured: (env) => Boolean(env[HANDLE]?.trim() && env[PASSWORD]?.trim()),

    async fetchPage(ctx, cursor) {
      const { q, lang } = splitQuery(ctx.query);
      if (!q) throw invalidQuery('Bluesky', ctx.query, 'the search text is empty');
      const since = ctx.since.getTime();
      const W = windowMs(ctx.env);
      const c: BskyCursor =
        cursor === null
          ? { lo: iso(Math.max(since, ctx.until.getTime() - W)), hi: ctx.until.toISOString(), c: null, n: 0, oldest: null }
          : (cursor as BskyCursor);

      const { reply } = await authed(
        ctx,
        'app.bsky.feed.searchPosts',
        { q, sort: 'latest', since: c.lo, until: c.hi, lang, limit: 100, cursor: c.c },
        ctx.query,
      );
      const posts = Array.isArray(reply.body.posts) ? (reply.body.posts as Json[]) : [];
      let oldest = c.oldest ? Date.parse(c.oldest) : Infinity;
      for (const p of posts) {
        // the service filters on sortAt = min(indexedAt, createdAt)
        const t = Math.min(Date.parse(String((p.record as Json | undefined)?.createdAt)), Date.parse(String(p.indexedAt)));
        if (Number.isFinite(t)) oldest = Math.min(oldest, t);
      }
      const n = c.n + posts.length;
      const apiCursor = optStr(reply.body.cursor);
      let next: BskyCursor | null;
      if (apiCursor && posts.length > 0) {
        next = { ...c, c: apiCursor, n, oldest: Number.isFinite(oldest) ? iso(oldest) : null };
      } else if (n >= depthLimit(ctx.env) && Number.isFinite(oldest) && oldest + 1 < Date.parse(c.hi) && oldest >= Date.parse(c.lo)) {
        // the window is deeper than search goes: continue it below the oldest post seen (+1 ms, `until` is exclusive)
        next = { lo: c.lo, hi: iso(oldest + 1), c: null, n: 0, oldest: null };
      } else {
        const hi = Date.parse(c.lo);
        next = hi <= since ? null : { lo: iso(Math.max(since, hi - W)), hi: c.lo, c: null, n: 0, oldest: null };
      }
      return { items: posts, next };
    },

    toPost(item): Post {
      const p = obj(item, 'post view');
      const uri = str(p.uri, 'uri');
      const record = obj(p.record, 'record');
      const author = obj(p.author, 'author');
      const handle = optStr(author.handle) ?? '';
      const text = typeof record.text === 'string' ? record.text : '';
      const hashtags: string[] = Array.isArray(record.tags) ? (record.tags as unknown[]).map(String) : [];
      const mentions: string[] = [];
      const urls: string[] = [];
      for (const facet of Array.isArray(record.facets) ? (record.facets as Json[]) : []) {
        for (const f of Array.isArray(facet.features) ? (facet.features as Json[]) : []) {
          const type = String(f.$type ?? '');
          if (type.endsWith('#tag') && f.tag) hashtags.push(String(f.tag));
          else if (type.endsWith('#mention') && f.did) {
            // facets carry the DID; the handle is the text the facet spans, when we can read it
            const idx = facet.index as Json | undefined;
            const span = idx ? Buffer.from(text, 'utf8').subarray(Number(idx.byteStart), Number(idx.byteEnd)).toString('utf8') : '';
            mentions.push(span.startsWith('@') ? span.slice(1) : String(f.did));
          } else if (type.endsWith('#link') && f.uri) urls.push(String(f.uri));
        }
      }
      const reply = (record.reply ?? null) as Json | null;
      const parentUri = optStr((reply?.parent as Json | undefined)?.uri);
      const rkey = uri.split('/').pop();
      const langs = Array.isArray(record.langs) ? (record.langs as unknown[]) : [];
      const time = blueskyPostTime(p);
      return {
        id: `bluesky:${uri}`,
        platform: 'bluesky',
        author: { id: str(author.did, 'author.did'), handle, followers: null, created_at: optUtcIso(author.createdAt) },
        text,
        lang: typeof langs[0] === 'string' ? langs[0] : null,
        created_at: utcIso(time.value, time.field),
        url: handle && rkey ? `https://bsky.app/profile/${handle}/post/${rkey}` : null,
        metrics: { likes: knownCount(p.likeCount), reposts: knownCount(p.repostCount, p.quoteCount), replies: knownCount(p.replyCount), views: null },
        reply_to: parentUri ? `bluesky:${parentUri}` : null,
        repost_of: null,
        hashtags: [...new Set(hashtags)],
        mentions: [...new Set(mentions)],
        urls: [...new Set(urls)],
      };
    },

    async probe(ctx) {
      const { reply, session } = await authed(ctx, 'com.atproto.server.getSession', {});
      return { reachable: true, detail: `session for @${String(reply.body.handle ?? session.handle)} on ${new URL(serviceUrl(ctx.env)).host}` };
    },
  };
}
