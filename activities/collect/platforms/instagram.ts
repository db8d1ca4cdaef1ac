import type { Post } from '../../../lib/schema';
import type { Connector, ConnectorContext, Cursor, Env } from '../connector';
import { cursorParams, invalidQuery } from '../http';
import { DEFAULT_GRAPH_BASE, graphGet, graphList, graphRest, type GraphSpec } from './graph';
import { count, knownCount, hashtagOf, obj, optStr, str, textEntities, unknownAuthor, utcIso, type Json } from './mapping';

/**
 * Instagram through the Graph API (Instagram professional accounts), two kinds of query:
 * - a hashtag ("#climate"): GET /ig_hashtag_search?user_id&q → hashtag id, then
 *   GET /{hashtag-id}/recent_media (50 per page, `after` cursor). Meta only serves the last 24 hours
 *   of a hashtag and allows 30 distinct hashtags per account per 7 days, so the hashtag id is looked up
 *   once and kept in the cursor: a retry never spends another search.
 * - "me": the business account's own media (GET /{ig-user-id}/media) and each one's comments.
 * Hashtag media do not reveal their author; see `unknownAuthor`.
 */

const TOKEN = 'INSTAGRAM_ACCESS_TOKEN';
const USER = 'INSTAGRAM_USER_ID';
const spec = (env: Env): GraphSpec & { base: string } => ({
  platform: 'Instagram',
  tokenEnv: TOKEN,
  permissions: 'instagram_basic and instagram_manage_comments (and the Instagram Public Content Access feature for hashtags)',
  baseEnv: 'INSTAGRAM_GRAPH_BASE_URL',
  base: env.INSTAGRAM_GRAPH_BASE_URL?.trim() || DEFAULT_GRAPH_BASE,
});

const HASHTAG_MEDIA_FIELDS = 'id,caption,media_type,media_url,permalink,timestamp,like_count,comments_count';
const OWN_MEDIA_FIELDS = 'id,caption,media_type,media_url,permalink,timestamp,username,owner,like_count,comments_count';
const COMMENT_FIELDS = 'id,text,timestamp,username,from,like_count,parent_id';

/**
 * The author of a media or comment that names its account only by `username` (a media saved without `owner`, a comment
 * without `from`): the account, keyed `@username` (Instagram usernames are unique, and `@` keeps the key apart from
 * numeric account ids), so one account's posts have one author, not an unknown one each.
 */
function usernameAuthor(username: string): Post['author'] {
  const handle = username.replace(/^@/, '');
  return { id: `@${handle}`, handle, followers: null, created_at: null };
}

export type InstagramItem = { kind: 'media'; media: Json } | { kind: 'comment'; media_id: string; comment: Json };

type IgCursor = { mode: 'tag'; hashtag: string; params: Record<string, string> | null } | { mode: 'me'; params: Record<string, string> };

const isOwnQuery = (q: string) => /^@?me$/i.test(q.trim());
const unixSeconds = (d: Date) => Math.floor(d.getTime() / 1000);

async function hashtagPage(ctx: ConnectorContext, c: Extract<IgCursor, { mode: 'tag' }>) {
  const s = spec(ctx.env);
  const params = c.params ?? { user_id: ctx.env[USER]!, fields: HASHTAG_MEDIA_FIELDS, limit: '50' };
  const reply = await graphGet(ctx, s, `/${encodeURIComponent(c.hashtag)}/recent_media`, params);
  const { data, next } = graphList(reply.body);
  return {
    items: data.map((media): InstagramItem => ({ kind: 'media', media })),
    next: next ? ({ mode: 'tag', hashtag: c.hashtag, params: cursorParams(next) } as Cursor) : null,
  };
}

async function ownPage(ctx: ConnectorContext, c: Extract<IgCursor, { mode: 'me' }>) {
  const s = spec(ctx.env);
  const reply = await graphGet(ctx, s, `/${encodeURIComponent(ctx.env[USER]!)}/media`, c.params);
  const { data, next } = graphList(reply.body);
  const items: InstagramItem[] = [];
  let newest = -Infinity;
  for (const media of data) {
    items.push({ kind: 'media', media });
    newest = Math.max(newest, Date.parse(String(media.timestamp)));
    if (count(media.comments_count) === 0) continue;
    const id = String(media.id);
    const first = await graphGet(ctx, s, `/${encodeURIComponent(id)}/comments`, { fields: COMMENT_FIELDS, limit: 50 }, undefined);
    const comments = await graphRest(ctx, s, first.body, `/${encodeURIComponent(id)}/comments`, { fields: COMMENT_FIELDS, limit: 50 });
    for (const comment of comments) items.push({ kind: 'comment', media_id: id, comment });
  }
  // Own media come newest first: once a whole page predates the window, nothing later can be in it.
  const pastWindow = data.length > 0 && newest < ctx.since.getTime();
  return { items, next: next && !pastWindow ? ({ mode: 'me', params: cursorParams(next) } as Cursor) : null };
}

export const instagramConnector: Connector = {
  name: 'instagram',
  queryHelp: 'a hashtag ("#climate", last 24 hours) or "me" for the business account\'s own media and their comments',
  credentials: [
    { env: TOKEN, description: 'User access token with instagram_basic, instagram_manage_comments (hashtags: Instagram Public Content Access)' },
    { env: USER, description: 'Instagram professional account id (the ig-user-id the token acts for)' },
    { env: 'INSTAGRAM_GRAPH_BASE_URL', description: `Graph API base URL with version (default ${DEFAULT_GRAPH_BASE})`, optional: true },
  ],
  isConfigured: (env) => Boolean(env[TOKEN]?.trim() && env[USER]?.trim()),

  async fetchPage(ctx, cursor) {
    if (cursor !== null) {
      const c = cursor as IgCursor;
      return c.mode === 'tag' ? hashtagPage(ctx, c) : ownPage(ctx, c);
    }
    if (isOwnQuery(ctx.query)) {
      return ownPage(ctx, {
        mode: 'me',
        params: { fields: OWN_MEDIA_FIELDS, limit: '50', since: String(unixSeconds(ctx.since)), until: String(unixSeconds(ctx.until)) },
      });
    }
    const tag = hashtagOf(ctx.query);
    if (!tag) throw invalidQuery('Instagram', ctx.query, 'expected one hashtag (letters, digits, underscore) or "me"');
    const found = await graphGet(ctx, spec(ctx.env), '/ig_hashtag_search', { user_id: ctx.env[USER], q: tag });
    const id = (graphList(found.body).data[0] as Json | undefined)?.id;
    if (!id) throw invalidQuery('Instagram', ctx.query, `no hashtag #${tag} exists on Instagram`);
    return hashtagPage(ctx, { mode: 'tag', hashtag: String(id), params: null });
  },

  toPost(item): Post {
    const it = obj(item, 'Instagram item') as unknown as InstagramItem;
    if (it.kind === 'media') {
      const m = obj(it.media, 'media');
      const id = str(m.id, 'media id');
      const text = optStr(m.caption) ?? '';
      const owner = (m.owner ?? null) as Json | null;
      const handle = optStr(m.username);
      return {
        id: `instagram:${id}`,
        platform: 'instagram',
        author: owner?.id
          ? { id: String(owner.id), handle: handle ?? '', followers: null, created_at: null }
          : handle
            ? usernameAuthor(handle)
            : unknownAuthor(`instagram:${id}`),
        text,
        lang: null,
        created_at: utcIso(m.timestamp, 'timestamp'),
        url: optStr(m.permalink),
        metrics: { likes: knownCount(m.like_count), reposts: null, replies: knownCount(m.comments_count), views: null },
        reply_to: null,
        repost_of: null,
        ...textEntities(text),
      };
    }
    if (it.kind === 'comment') {
      const c = obj(it.comment, 'comment');
      const id = str(c.id, 'comment id');
      const text = optStr(c.text) ?? '';
      const from = (c.from ?? null) as Json | null;
      const handle = optStr(from?.username) ?? optStr(c.username) ?? '';
      return {
        id: `instagram:${id}`,
        platform: 'instagram',
        author: from?.id
          ? { id: String(from.id), handle, followers: null, created_at: null }
          : handle
            ? usernameAuthor(handle)
            : unknownAuthor(`instagram:${id}`),
        text,
        lang: null,
        created_at: utcIso(c.timestamp, 'timestamp'),
        url: null,
        metrics: { likes: knownCount(c.like_count), reposts: null, replies: null, views: null },
        reply_to: `instagram:${optStr(c.parent_id) ?? str(it.media_id, 'media_id')}`,
        repost_of: null,
        ...textEntities(text),
      };
    }
    throw new Error(`unknown item kind ${JSON.stringify((it as Json).kind)}`);
  },

  async probe(ctx) {
    const reply = await graphGet(ctx, spec(ctx.env), `/${encodeURIComponent(ctx.env[USER]!)}`, { fields: 'id,username' }, undefined);
    return { reachable: true, detail: `token accepted for @${String(reply.body.username ?? reply.body.id)}` };
  },
};
