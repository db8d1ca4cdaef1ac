import type { Post } from '../../../lib/schema';
import type { Connector, Env } from '../connector';
import { cursorParams, invalidQuery } from '../http';
import { DEFAULT_GRAPH_BASE, graphGet, graphList, graphRest, type GraphSpec } from './graph';
import { knownCount, obj, optStr, str, textEntities, unknownAuthor, utcIso, type Json } from './mapping';

/**
 * Facebook Page posts through the Graph API: GET /{page-id}/posts with field expansion for reactions,
 * shares and the first comments, then GET /{post-id}/comments for the rest. Paging follows `paging.next`
 * and stops only when it is absent: Graph pages are often short (or empty) in the middle of a result.
 * The cursor keeps the `next` link's parameters without the token, so heartbeats never carry it.
 */

const TOKEN = 'FACEBOOK_ACCESS_TOKEN';
const spec = (env: Env): GraphSpec & { base: string } => ({
  platform: 'Facebook',
  tokenEnv: TOKEN,
  permissions: 'pages_read_engagement and pages_read_user_content on this Page (use a Page access token)',
  baseEnv: 'FACEBOOK_GRAPH_BASE_URL',
  base: env.FACEBOOK_GRAPH_BASE_URL?.trim() || DEFAULT_GRAPH_BASE,
});

const COMMENT_FIELDS = 'id,message,created_time,from{id,name},like_count,comment_count,parent{id},permalink_url';
const POST_FIELDS =
  'id,message,created_time,permalink_url,from{id,name},status_type,shares,' +
  'reactions.summary(total_count).limit(0),' +
  `comments.filter(stream).limit(100).summary(total_count){${COMMENT_FIELDS}}`;

export type FacebookItem = { kind: 'post'; post: Json } | { kind: 'comment'; post_id: string; comment: Json };

/** "SomePage", "@SomePage", "https://www.facebook.com/SomePage" or a numeric page id. */
function pageIdOf(query: string): string | null {
  let q = query.trim().replace(/^@/, '');
  const m = /^https?:\/\/(?:www\.|m\.)?facebook\.com\/([^/?#]+)/i.exec(q);
  if (m) q = m[1];
  return /^[A-Za-z0-9.\-_]+$/.test(q) ? q : null;
}

const unixSeconds = (d: Date) => Math.floor(d.getTime() / 1000);

export const facebookConnector: Connector = {
  name: 'facebook',
  queryHelp: 'a Facebook Page id or username (e.g. "NASA" or "https://facebook.com/NASA"); collects its posts and their comments',
  credentials: [
    { env: TOKEN, description: 'Page access token with pages_read_engagement and pages_read_user_content' },
    { env: 'FACEBOOK_GRAPH_BASE_URL', description: `Graph API base URL with version (default ${DEFAULT_GRAPH_BASE})`, optional: true },
  ],
  isConfigured: (env) => Boolean(env[TOKEN]?.trim()),

  async fetchPage(ctx, cursor) {
    const pageId = pageIdOf(ctx.query);
    if (!pageId) throw invalidQuery('Facebook', ctx.query, 'expected a Page id, username or facebook.com URL');
    const s = spec(ctx.env);
    const params =
      cursor === null ? { fields: POST_FIELDS, limit: 100, since: unixSeconds(ctx.since), until: unixSeconds(ctx.until) } : (cursor as Record<string, string>);
    const reply = await graphGet(ctx, s, `/${encodeURIComponent(pageId)}/posts`, params);
    const { data, next } = graphList(reply.body);
    const items: FacebookItem[] = [];
    for (const post of data) {
      items.push({ kind: 'post', post });
      const postId = String(post.id);
      const comments = await graphRest(ctx, s, post.comments as Json | undefined, `/${encodeURIComponent(postId)}/comments`, {
        fields: COMMENT_FIELDS,
        filter: 'stream',
        limit: 100,
      });
      for (const comment of comments) items.push({ kind: 'comment', post_id: postId, comment });
    }
    return { items, next: next ? cursorParams(next) : null };
  },

  toPost(item): Post {
    const it = obj(item, 'Facebook item') as unknown as FacebookItem;
    if (it.kind === 'post') {
      const p = obj(it.post, 'post');
      const id = str(p.id, 'post id');
      const text = optStr(p.message) ?? '';
      const from = (p.from ?? null) as Json | null;
      return {
        id: `facebook:${id}`,
        platform: 'facebook',
        // a Page's own posts: the Page is the author (its id is the part before "_")
        author: from?.id
          ? { id: String(from.id), handle: optStr(from.name) ?? '', followers: null, created_at: null }
          : { id: id.split('_')[0], handle: '', followers: null, created_at: null },
        text,
        lang: null,
        created_at: utcIso(p.created_time, 'created_time'),
        url: optStr(p.permalink_url),
        metrics: {
          likes: knownCount(((p.reactions as Json | undefined)?.summary as Json | undefined)?.total_count),
          reposts: knownCount((p.shares as Json | undefined)?.count),
          replies: knownCount(((p.comments as Json | undefined)?.summary as Json | undefined)?.total_count),
          views: null,
        },
        reply_to: null,
        repost_of: null,
        ...textEntities(text),
      };
    }
    if (it.kind === 'comment') {
      const c = obj(it.comment, 'comment');
      const id = str(c.id, 'comment id');
      const text = optStr(c.message) ?? '';
      const from = (c.from ?? null) as Json | null;
      const parent = (c.parent ?? null) as Json | null;
      return {
        id: `facebook:${id}`,
        platform: 'facebook',
        // Graph omits `from` for people who have not authorised the app
        author: from?.id ? { id: String(from.id), handle: optStr(from.name) ?? '', followers: null, created_at: null } : unknownAuthor(`facebook:${id}`),
        text,
        lang: null,
        created_at: utcIso(c.created_time, 'created_time'),
        url: optStr(c.permalink_url),
        metrics: { likes: knownCount(c.like_count), reposts: null, replies: knownCount(c.comment_count), views: null },
        reply_to: `facebook:${parent?.id ? String(parent.id) : str(it.post_id, 'post_id')}`,
        repost_of: null,
        ...textEntities(text),
      };
    }
    throw new Error(`unknown item kind ${JSON.stringify((it as Json).kind)}`);
  },

  async probe(ctx) {
    const reply = await graphGet(ctx, spec(ctx.env), '/me', { fields: 'id,name' }, undefined);
    return { reachable: true, detail: `token accepted for ${String(reply.body.name ?? reply.body.id ?? 'unknown')}` };
  },
};
