import { inputDigest } from '../../lib/datasets';
import type { Post } from '../../lib/schema';
import { postTime } from '../../lib/timestamps';
import type { Connector } from './connector';
import { blueskyPostTime, createBlueskyConnector } from './platforms/bluesky';
import { facebookConnector } from './platforms/facebook';
import { instagramConnector } from './platforms/instagram';
import { count, knownCount, scoreAsLikes, DELETED_TEXTS, optStr, textEntities, unknownAuthor, type Json } from './platforms/mapping';
import { mastodonConnector } from './platforms/mastodon';
import { createRedditConnector } from './platforms/reddit';
import { xConnector } from './platforms/x';
import { parseHtmlContent } from '../../models/text/html';
import { repairLatin1MojibakeDeep } from '../../models/text/latin1Mojibake';

/**
 * The record shapes of JSON exports that the file importer recognises without a column mapping, in one table.
 * Each recogniser says whether a JSON record has its shape and turns the record into posts. Where a connector
 * already maps the platform's JSON (activities/collect/platforms), the recogniser wraps the record the way that
 * connector stores it in the raw zone and calls its `toPost`, so a platform's JSON is read one way everywhere.
 *
 * | shape | what a record (one JSONL line, or one element of a .json array) looks like |
 * |---|---|
 * | twarc2 | one X API v2 response: `data` (tweets), with or without `includes.users` and `meta`; one line holds many posts |
 * | x-v2 | the X connector's raw `{ data: tweet, includes: { users } }`, or a flattened tweet (`author_id`, `author`) |
 * | twitter-v1.1 | a v1.1 tweet: `id_str` (and a numeric `id`), `full_text`/`text`, nested `user` |
 * | twitter-v1.1-search | a whole v1.1 `search/tweets` response: `statuses` (v1.1 tweets) and `search_metadata`; one record holds many posts |
 * | mastodon | a Status: `id`, `content` (HTML), `created_at`, `account.{id,acct}`; ids are `host/id` when the record shows which instance issued them (`uri`/`url`), else bare |
 * | activitypub | Mastodon's archive `outbox.json` (`orderedItems` of `Create` activities with a `Note`: `content` HTML, `published`, `attributedTo`), or such activities/Notes one per line; boosts (`Announce`) are quarantined: the archive holds no text of them |
 * | bluesky | a PostView (`uri`, `record.text`, `record.createdAt`, `author.did`), a feed item `{ post }`, a repo record `{ uri, value }`, or a whole getAuthorFeed / searchPosts / listRecords response |
 * | reddit | a Pushshift dump line (`author`, `body` or `title`+`selftext`, `created_utc` number or string), a listing child `{ kind: t1/t3, data }`, or a whole Listing |
 * | facebook | a Graph post or comment (`id`, `message`, `created_time`, `from`), the connector's `{ kind, post/comment }`, or a Graph `{ data: [...] }` page |
 * | instagram | a Graph media (`caption`, `timestamp`, `media_type`), a Graph page of them (`{ data: [...], paging }`) or the connector's `{ kind: media/comment }` |
 * | x-archive | an X account archive's `data/tweets.js` item `{ tweet }` (the file's `window.YTD.tweets.part0 = ` is dropped by the reader); author: the archive's owner |
 * | facebook-archive | a Facebook "Download Your Information" post (`timestamp`, `data[].post`, `attachments`) or comments file (`comments_v2[]`, `data[].comment`); Meta's byte-per-character text repaired |
 * | instagram-archive | an Instagram "Download Your Information" post (`media[]` with `uri`, `creation_timestamp`, `title`) or comment (`string_map_data.Comment`, `comments_reels_comments[]`); text repaired as for Facebook |
 *
 * Post ids keep the platform's native id under the import's platform prefix (`file:` unless told otherwise); the
 * creation time is read with lib/timestamps (all forms, plausibility checked) whatever the connector would do.
 */

export type ShapeResult = { post: Post; raw: unknown } | { reason: string; raw: unknown };

export interface ShapeContext {
  /** prefix of post ids (`file` unless the import says otherwise) */
  platform: string;
  /** epoch ms for the plausibility check; default Date.now() */
  now?: number;
  /**
   * The Mastodon instance that served the records (a Mastodon stream's host), which issued their ids: a status
   * federated from elsewhere names only its origin in `uri`/`url`, while its id is this instance's
   */
  mastodonInstance?: string;
}

export interface FileShape {
  name: string;
  /** the platform whose export or API response this is: a stream without `--platform` names its posts by it */
  platform: string;
  matches(record: Json): boolean;
  /** the posts a record holds (one, or many for a whole API response), each mapped or with the reason it is not */
  posts(record: Json, ctx: ShapeContext): ShapeResult[];
  /** what a record lacks for this shape (its first missing or mistyped field), or null when that is not known */
  problem?(record: Json): string | null;
  /**
   * False when a record this shape takes holds nothing that only `platform` writes (a flat export whose columns
   * happen to be id, text, created_at, author_id): a stream without `--platform` then names it as any flat record,
   * not after the platform. Absent: every record the shape takes is the platform's.
   */
  isPlatformsOwn?(record: Json): boolean;
}

const isObj = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);
const arr = (v: unknown): Json[] => (Array.isArray(v) ? (v.filter(isObj) as Json[]) : []);
const isText = (v: unknown): v is string => typeof v === 'string';

/**
 * A platform id as a string. Strings are kept as they are; a JSON number is only accepted when it is exact
 * (the importer parses 64-bit integers as digit strings, so a number here is small); never `Number(bigId)`.
 */
export function idString(v: unknown, what = 'id'): string {
  if (typeof v === 'string' && v.trim() !== '') return v.trim();
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  if (typeof v === 'number') throw new Error(`${what} ${v} is not an exact integer (a 64-bit id that lost precision)`);
  throw new Error(`${what} is missing`);
}

/** Moves a connector's post under the import's prefix: `x:123` → `file:123` (also reply_to and repost_of). */
function rebase(post: Post, connector: string, platform: string): Post {
  const move = (id: string | null) => (id && id.startsWith(`${connector}:`) ? `${platform}:${id.slice(connector.length + 1)}` : id);
  return { ...post, id: move(post.id)!, platform, reply_to: move(post.reply_to), repost_of: move(post.repost_of) };
}

/**
 * Maps one item: the time is read first with lib/timestamps (so every form and the plausibility check apply),
 * then `map` builds the post; a thrown error or an empty text quarantines the item with the reason.
 */
function one(raw: unknown, time: unknown, timeField: string, ctx: ShapeContext, map: () => Post): ShapeResult {
  const t = postTime(time, { now: ctx.now, where: timeField });
  if (!t.ok) return { reason: time === undefined || time === null ? `no time (${timeField} is missing)` : t.reason, raw };
  let post: Post;
  try {
    post = map();
  } catch (err) {
    return { reason: (err as Error).message, raw };
  }
  if (!post.text.trim()) return { reason: 'no text (the record has no text, message or caption)', raw };
  return { post: { ...post, created_at: t.iso }, raw };
}

const env = {};
const viaConnector = (connector: Connector, item: unknown, platform: string, e: Record<string, string> = env) =>
  rebase(connector.toPost(item, { env: e, query: '' }), connector.name, platform);

// ---------------------------------------------------------------- X / Twitter

const looksLikeV2Tweet = (t: Json) =>
  isText(t.id) && isText(t.text) && ('author_id' in t || 'edit_history_tweet_ids' in t || 'public_metrics' in t) && !isObj(t.user);

/**
 * Fields of an X API v2 tweet (https://docs.x.com/x-api/fundamentals/data-dictionary) that a generic export with an
 * `author_id` column does not have. `edit_history_tweet_ids` is returned on every v2 tweet since 2022.
 */
const X_V2_ONLY_FIELDS = ['edit_history_tweet_ids', 'public_metrics', 'conversation_id', 'referenced_tweets', 'entities', 'reply_settings', '__twarc'];

const twarc2: FileShape = {
  name: 'twarc2',
  platform: 'x',
  // `includes` and `meta` are optional: a response saved without expansions, or cut down to its `data`, is still tweets
  matches: (r) => Array.isArray(r.data) && arr(r.data).some(looksLikeV2Tweet),
  posts(r, ctx) {
    const users = new Map(arr((r.includes as Json | undefined)?.users).map((u) => [String(u.id), u]));
    return arr(r.data).map((t) => {
      const user = users.get(String(t.author_id));
      const item = { data: t, includes: { users: user ? [user] : [] } };
      return one(item, t.created_at, 'created_at', ctx, () => viaConnector(xConnector, item, ctx.platform));
    });
  },
};

const xV2: FileShape = {
  name: 'x-v2',
  platform: 'x',
  problem(r0) {
    const r = isObj(r0.data) ? r0.data : r0;
    if (r.id === undefined || r.id === null) return 'no id (id is missing)';
    if (!isText(r.id)) return `id ${String(r.id)} is a ${Array.isArray(r.id) ? 'list' : typeof r.id}, not a string (X API v2 ids are strings)`;
    if (!isText(r.text) || !r.text.trim()) return 'no text (text is missing or empty)';
    if (r.created_at === undefined || r.created_at === null) return 'no time (created_at is missing)';
    return null;
  },
  matches: (r) => (isObj(r.data) && looksLikeV2Tweet(r.data)) || (looksLikeV2Tweet(r) && 'created_at' in r),
  // the connector's `{data, includes}`, a flattened tweet with its `author` expanded, or any field only X writes
  isPlatformsOwn: (r) => isObj(r.data) || isObj(r.author) || X_V2_ONLY_FIELDS.some((f) => f in r),
  posts(r, ctx) {
    // the connector's raw shape, or a tweet flattened by `twarc2 flatten` (its author expanded as `author`)
    const item = isObj(r.data) ? r : { data: r, includes: { users: isObj(r.author) ? [r.author] : [] } };
    return [one(item, (item.data as Json).created_at, 'created_at', ctx, () => viaConnector(xConnector, item, ctx.platform))];
  },
};

function tweetV1(t: Json, platform: string): Post {
  const id = idString(t.id_str ?? t.id, 'tweet id');
  const user = isObj(t.user) ? t.user : null;
  if (!user) throw new Error('tweet has no user');
  const authorId = idString(user.id_str ?? user.id, 'user.id');
  const handle = optStr(user.screen_name) ?? '';
  const rt = isObj(t.retweeted_status) ? t.retweeted_status : null;
  const fullText = (x: Json) => String((x.extended_tweet as Json | undefined)?.full_text ?? x.full_text ?? x.text ?? '');
  const rtHandle = rt && isObj(rt.user) ? optStr(rt.user.screen_name) : null;
  // a retweet's own text is cut at 140 characters; the retweeted status has it whole
  const text = rt ? `RT @${rtHandle ?? ''}: ${fullText(rt)}` : fullText(t);
  const entities = ((t.extended_tweet as Json | undefined)?.entities ?? t.entities ?? {}) as Json;
  const replyTo = t.in_reply_to_status_id_str ?? t.in_reply_to_status_id;
  const createdAt = postTime(user.created_at);
  return {
    id: `${platform}:${id}`,
    platform,
    author: {
      id: authorId,
      handle,
      followers: typeof user.followers_count === 'number' ? count(user.followers_count) : null,
      created_at: createdAt.ok ? createdAt.iso : null,
    },
    text,
    lang: optStr(t.lang),
    created_at: '', // set by `one`
    url: handle ? `https://x.com/${handle}/status/${id}` : null,
    metrics: { likes: knownCount(t.favorite_count), reposts: knownCount(t.retweet_count, t.quote_count), replies: knownCount(t.reply_count), views: null },
    reply_to: replyTo !== undefined && replyTo !== null ? `${platform}:${idString(replyTo, 'in_reply_to_status_id')}` : null,
    repost_of: rt ? `${platform}:${idString(rt.id_str ?? rt.id, 'retweeted_status.id')}` : null,
    hashtags: arr(entities.hashtags).map((h) => String(h.text)),
    mentions: arr(entities.user_mentions).map((m) => String(m.screen_name)),
    urls: arr(entities.urls).map((u) => String(u.expanded_url ?? u.url)),
  };
}

const twitterV1: FileShape = {
  name: 'twitter-v1.1',
  platform: 'x',
  matches: (r) =>
    isObj(r.user) &&
    ('id_str' in r || 'id' in r) &&
    (isText(r.full_text) || isText(r.text) || isObj(r.extended_tweet)) &&
    ('screen_name' in r.user || 'id_str' in r.user),
  posts: (r, ctx) => [one(r, r.created_at, 'created_at', ctx, () => tweetV1(r, ctx.platform))],
};

/** A whole v1.1 `search/tweets` response saved as one document: `statuses` (v1.1 tweets) and `search_metadata`. */
const twitterV1Search: FileShape = {
  name: 'twitter-v1.1-search',
  platform: 'x',
  matches: (r) => Array.isArray(r.statuses) && arr(r.statuses).some((t) => twitterV1.matches(t)),
  posts: (r, ctx) => arr(r.statuses).flatMap((t) => twitterV1.posts(t, ctx)),
};

// ---------------------------------------------------------------- Mastodon

/**
 * The instance that issued a status's `id` (Mastodon ids are local to the instance that served the status), or null
 * when the record does not say: the host of `uri`/`url` when they end in that id (a status of that instance), else
 * the account's instance when the account is local there (`acct` without a domain).
 */
function mastodonHost(s: Json): string | null {
  const id = String(s.id);
  for (const u of [s.uri, s.url]) {
    if (!isText(u)) continue;
    try {
      const url = new URL(u);
      if (url.pathname.split('/').filter(Boolean).pop() === id) return url.host;
    } catch {
      // not a URL: try the next
    }
  }
  const account = isObj(s.account) ? s.account : {};
  if (isText(account.acct) && !account.acct.includes('@') && isText(account.url)) {
    try {
      return new URL(account.url).host;
    } catch {
      return null;
    }
  }
  return null;
}

const NO_HOST = 'host.invalid';

const mastodon: FileShape = {
  name: 'mastodon',
  platform: 'mastodon',
  problem(r) {
    if (r.id === undefined || r.id === null) return 'no id (id is missing)';
    if (!isText(r.content)) return 'no text (content is missing)';
    if (!isObj(r.account)) return 'no author (account is missing)';
    if (r.created_at === undefined || r.created_at === null) return 'no time (created_at is missing)';
    return null;
  },
  matches: (r) => isText(r.content) && isObj(r.account) && ('acct' in r.account || 'username' in r.account) && 'id' in r,
  posts(r, ctx) {
    const status = { ...r, id: idString(r.id, 'status id'), account: { ...(r.account as Json), id: idString((r.account as Json).id, 'account.id') } };
    const host = mastodonHost(status) ?? ctx.mastodonInstance ?? null;
    return [
      one(r, r.created_at, 'created_at', ctx, () => {
        const post = viaConnector(mastodonConnector, status, ctx.platform, { MASTODON_BASE_URL: `https://${host ?? NO_HOST}` });
        if (host) return post;
        // the record does not say which instance issued its ids: keep them bare rather than name a wrong one
        const bare = (v: string | null) => (v ? v.replace(`${ctx.platform}:${NO_HOST}/`, `${ctx.platform}:`).replace(`${NO_HOST}/`, '') : v);
        return {
          ...post,
          id: bare(post.id)!,
          reply_to: bare(post.reply_to),
          repost_of: bare(post.repost_of),
          author: { ...post.author, id: bare(post.author.id)! },
        };
      }),
    ];
  },
};

// ---------------------------------------------------------------- ActivityPub (Mastodon's "Request your archive" outbox.json)

/** `https://host/users/alice/statuses/123` → `host/123`, the form Mastodon post ids take everywhere here. */
function apId(url: unknown, what: string): string {
  const u = new URL(idString(url, what));
  return `${u.host}/${u.pathname.split('/').filter(Boolean).pop() ?? ''}`;
}

/** `https://host/users/alice` → `alice@host`. */
const apHandle = (actor: string) => {
  try {
    const u = new URL(actor);
    return `${u.pathname.split('/').filter(Boolean).pop()}@${u.host}`;
  } catch {
    return actor;
  }
};

const isNote = (o: unknown): o is Json => isObj(o) && (o.type === 'Note' || o.type === 'Question' || o.type === 'Article') && isText(o.content);

/** Notes of an outbox document, of Create activities, or Notes themselves; an Announce (a boost) has no text of its own. */
function apItems(r: Json): Json[] {
  if (Array.isArray(r.orderedItems)) return arr(r.orderedItems).flatMap(apItems);
  if ((r.type === 'Create' || r.type === 'Announce') && 'object' in r) return [r];
  return isNote(r) ? [r] : [];
}

function apNote(note: Json, platform: string): Post {
  const html = parseHtmlContent(String(note.content ?? ''));
  const summary = optStr(note.summary);
  const actor = idString(note.attributedTo, 'attributedTo');
  const tags = arr(note.tag);
  const langs = isObj(note.contentMap) ? Object.keys(note.contentMap) : [];
  return {
    id: `${platform}:${apId(note.id, 'id')}`,
    platform,
    author: { id: actor, handle: apHandle(actor), followers: null, created_at: null },
    text: [summary, html.text].filter(Boolean).join('\n\n'),
    lang: langs[0] ?? null,
    created_at: '',
    url: optStr(note.url) ?? optStr(note.id),
    metrics: { likes: null, reposts: null, replies: null, views: null },
    reply_to: isText(note.inReplyTo) ? `${platform}:${apId(note.inReplyTo, 'inReplyTo')}` : null,
    repost_of: null,
    hashtags: [...new Set([...tags.filter((t) => t.type === 'Hashtag').map((t) => String(t.name).replace(/^#/, '').toLowerCase()), ...html.hashtags])],
    mentions: [...new Set([...tags.filter((t) => t.type === 'Mention').map((t) => String(t.name).replace(/^@/, '')), ...html.mentions])],
    urls: html.links,
  };
}

const activityPub: FileShape = {
  name: 'activitypub',
  platform: 'mastodon',
  matches: (r) => apItems(r).length > 0,
  posts: (r, ctx) =>
    apItems(r).map((a) => {
      if (a.type === 'Announce')
        return { reason: `a boost (Announce) of ${String(isObj(a.object) ? a.object.id : a.object)}: the export holds no text of it`, raw: a };
      const note = isNote(a.object) ? a.object : isNote(a) ? a : null;
      if (!note) return { reason: `an ActivityPub ${String(a.type)} without a Note`, raw: a };
      return one(a, note.published, 'published', ctx, () => apNote(note, ctx.platform));
    }),
};

// ---------------------------------------------------------------- Bluesky

const bluesky = createBlueskyConnector();
const isPostView = (p: unknown): boolean => isObj(p) && isText(p.uri) && p.uri.startsWith('at://') && isObj(p.record) && isObj(p.author);
const isRepoRecord = (p: unknown): boolean => isObj(p) && isText(p.uri) && p.uri.startsWith('at://') && isObj(p.value) && isText((p.value as Json).text);

/** Every post view in a record: a post view, a feed item, a repo record, or a whole response holding them. */
function postViews(r: Json): Json[] {
  if (isPostView(r)) return [r];
  if (isPostView(r.post)) return [r.post as Json];
  if (isRepoRecord(r)) {
    // com.atproto.repo.listRecords: the author is the DID in at://did/app.bsky.feed.post/rkey
    const did = (r.uri as string).slice('at://'.length).split('/')[0];
    return [{ uri: r.uri, cid: r.cid, record: r.value, author: { did, handle: '' } }];
  }
  const list = Array.isArray(r.feed) ? r.feed : Array.isArray(r.posts) ? r.posts : Array.isArray(r.records) ? r.records : [];
  return (list as unknown[]).filter(isObj).flatMap((x) => postViews(x));
}

const blueskyShape: FileShape = {
  name: 'bluesky',
  platform: 'bluesky',
  matches: (r) => postViews(r).length > 0,
  posts: (r, ctx) =>
    postViews(r).map((p) => {
      const time = blueskyPostTime(p);
      return one(p, time.value, time.field, ctx, () => viaConnector(bluesky, p, ctx.platform));
    }),
};

// ---------------------------------------------------------------- Reddit / Pushshift

const reddit = createRedditConnector();

/**
 * A Reddit author's id: `author_fullname` (t2_…), else `u/<username>` when the dump names a live account (older
 * Pushshift dumps carry only `author`; usernames are unique on Reddit and never reused), else null (deleted).
 */
function redditAuthorId(d: Json): string | null {
  const handle = optStr(d.author);
  return optStr(d.author_fullname) ?? (handle && !DELETED_TEXTS.has(handle) ? `u/${handle}` : null);
}

function redditComment(d: Json, platform: string): Post {
  const name = fullname(d, 't1');
  const body = String(d.body ?? '');
  if (DELETED_TEXTS.has(body.trim())) throw new Error(`no text (the comment was ${body.trim().slice(1, -1)})`);
  const authorId = redditAuthorId(d);
  const handle = optStr(d.author) ?? '';
  return {
    id: `${platform}:${name}`,
    platform,
    author: authorId
      ? { id: authorId, handle, followers: null, created_at: null }
      : { ...unknownAuthor(`${platform}:${name}`), handle: DELETED_TEXTS.has(handle) ? '' : handle },
    text: body,
    lang: null,
    created_at: '',
    url: optStr(d.permalink) ? `https://www.reddit.com${d.permalink}` : null,
    metrics: { likes: scoreAsLikes(d.score), reposts: null, replies: null, views: null },
    reply_to: optStr(d.parent_id) ? `${platform}:${d.parent_id}` : null,
    repost_of: null,
    ...textEntities(body),
  };
}

/** A Reddit fullname (`t1_abc`): `name`, or the id with its kind prefix (some exports already carry it in `id`). */
function fullname(d: Json, kind: 't1' | 't3'): string {
  const name = optStr(d.name);
  if (name) return name;
  const id = idString(d.id, kind === 't1' ? 'comment id' : 'post id');
  return /^t\d_/.test(id) ? id : `${kind}_${id}`;
}

/** Listing children, Pushshift lines and whole Listings → `{ kind, data }` children. */
function redditChildren(r: Json): { kind: string; data: Json }[] {
  if (r.kind === 'Listing' && isObj(r.data)) return arr(r.data.children).flatMap(redditChildren);
  if ((r.kind === 't1' || r.kind === 't3') && isObj(r.data)) return [{ kind: r.kind, data: r.data }];
  if (isText(r.author) && 'created_utc' in r && 'id' in r) {
    if (isText(r.body)) return [{ kind: 't1', data: r }];
    if (isText(r.title) || isText(r.selftext)) return [{ kind: 't3', data: r }];
  }
  return [];
}

const redditShape: FileShape = {
  name: 'reddit',
  platform: 'reddit',
  matches: (r) => redditChildren(r).length > 0,
  posts(r, ctx) {
    return redditChildren(r).map((child) => {
      const d = child.data;
      return one(child, d.created_utc ?? d.created, 'created_utc', ctx, () => {
        if (child.kind === 't1') return redditComment(d, ctx.platform);
        // the connector wants a name and epoch seconds; Pushshift may give neither as such
        const seconds = postTime(d.created_utc ?? d.created);
        const data = {
          ...d,
          // the connector reads the author's id from author_fullname: a dump without it names the username
          author_fullname: redditAuthorId(d),
          name: fullname(d, 't3'),
          created_utc: seconds.ok ? seconds.ms / 1000 : d.created_utc,
        };
        return viaConnector(reddit, { kind: 't3', data }, ctx.platform);
      });
    });
  },
};

// ---------------------------------------------------------------- Facebook / Instagram (Graph API)

/** The items of a saved Graph API page (`{ data: [...], paging }`) that `isItem` takes; none when `r` is no page. */
const graphPageItems = (r: Json, isItem: (item: Json) => boolean): Json[] => (Array.isArray(r.data) && isObj(r.paging ?? {}) ? arr(r.data).filter(isItem) : []);

const isGraphObject = (r: Json) =>
  'id' in r && 'created_time' in r && ('message' in r || 'story' in r || 'from' in r || 'permalink_url' in r || 'status_type' in r);

function facebookItems(r: Json): Json[] {
  // the connector's comment names its post (`post_id`); Instagram's, the same wrapper otherwise, its media (`media_id`)
  if ((r.kind === 'post' && isObj(r.post)) || (r.kind === 'comment' && isObj(r.comment) && !('media_id' in r))) return [r];
  if (isGraphObject(r)) return [{ kind: 'post', post: { ...r, id: idString(r.id, 'post id') } }];
  return graphPageItems(r, isGraphObject).map((p) => ({ kind: 'post', post: { ...p, id: idString(p.id, 'post id') } }));
}

const facebook: FileShape = {
  name: 'facebook',
  platform: 'facebook',
  matches: (r) => facebookItems(r).length > 0,
  posts: (r, ctx) =>
    facebookItems(r).map((item) => {
      const inner = (item.post ?? item.comment) as Json;
      return one(item, inner.created_time, 'created_time', ctx, () => viaConnector(facebookConnector, item, ctx.platform));
    }),
};

const isGraphMedia = (r: Json) => 'id' in r && 'timestamp' in r && ('caption' in r || 'media_type' in r);

function instagramItems(r: Json): Json[] {
  if ((r.kind === 'media' && isObj(r.media)) || (r.kind === 'comment' && isObj(r.comment))) return [r];
  if (isGraphMedia(r)) return [{ kind: 'media', media: { ...r, id: idString(r.id, 'media id') } }];
  // a saved page of GET /{ig-user-id}/media or /{hashtag-id}/recent_media
  return graphPageItems(r, isGraphMedia).map((m) => ({ kind: 'media', media: { ...m, id: idString(m.id, 'media id') } }));
}

const instagram: FileShape = {
  name: 'instagram',
  platform: 'instagram',
  matches: (r) => instagramItems(r).length > 0,
  posts: (r, ctx) =>
    instagramItems(r).map((item) => {
      const inner = (item.media ?? item.comment) as Json;
      return one(item, inner.timestamp, 'timestamp', ctx, () => viaConnector(instagramConnector, item, ctx.platform));
    }),
};

// ---------------------------------------------------------------- Account archives (one's own posts, downloaded)

/**
 * The author of an account archive's posts: the account the archive belongs to, which its post file does not name
 * (X keeps it in account.js, Meta in another folder). One author for all of them, per id prefix: `--platform` tells
 * two people's archives apart.
 */
export const archiveOwner = (platform: string): Post['author'] => ({ id: `unknown:${platform}:archive-owner`, handle: '', followers: null, created_at: null });

/** An id for an archive item that has none (Meta's posts): `a` and a digest of the item, the same in every download. */
const archiveItemId = (item: Json) => `a${inputDigest(item)}`;

function fromArchiveItem(platform: string, id: string, text: string, urls: string[]): Post {
  const entities = textEntities(text);
  return {
    id: `${platform}:${id}`,
    platform,
    author: archiveOwner(platform),
    text,
    lang: null,
    created_at: '', // set by `one`
    url: null,
    metrics: { likes: null, reposts: null, replies: null, views: null },
    reply_to: null,
    repost_of: null,
    hashtags: entities.hashtags,
    mentions: entities.mentions,
    urls: [...new Set([...urls, ...entities.urls])],
  };
}

/** X's account archive, `data/tweets.js`: `{ "tweet": { id_str, full_text, created_at, entities, … } }`, no `user`. */
const xArchive: FileShape = {
  name: 'x-archive',
  platform: 'x',
  matches: (r) => isObj(r.tweet) && ('id_str' in r.tweet || 'id' in r.tweet) && (isText(r.tweet.full_text) || isText(r.tweet.text)) && !isObj(r.tweet.user),
  posts(r, ctx) {
    const t = r.tweet as Json;
    return [
      one(r, t.created_at, 'tweet.created_at', ctx, () => ({
        ...tweetV1({ ...t, user: { id_str: 'owner' } }, ctx.platform),
        author: archiveOwner(ctx.platform),
      })),
    ];
  },
};

/**
 * Facebook's "Download Your Information": `your_facebook_activity/posts/your_posts_1.json`, an array of
 * `{ timestamp (epoch s), data: [{ post }], title, attachments: [{ data: [{ external_context: { url } }] }] }`, and
 * `comments_and_reactions/comments.json`, `{ comments_v2: [{ timestamp, data: [{ comment: { timestamp, comment, author }
 * }], title, attachments? }] }` (one's own comments and replies; a sticker or GIF comment has `comment: ""`). Without
 * ids, text written as UTF-8 bytes one per character (models/text/latin1Mojibake repairs it).
 */
const facebookArchive: FileShape = {
  name: 'facebook-archive',
  platform: 'facebook',
  matches: (r) =>
    Array.isArray(r.comments_v2) ||
    (typeof r.timestamp === 'number' && !('id' in r) && (Array.isArray(r.data) || Array.isArray(r.attachments) || isText(r.title))),
  posts(r0, ctx) {
    if (Array.isArray(r0.comments_v2)) return arr(r0.comments_v2).flatMap((item) => facebookArchive.posts(item, ctx));
    const r = repairLatin1MojibakeDeep(r0);
    const entries = arr(r.data);
    const comment = entries.map((d) => d.comment).find(isObj);
    const text = entries
      .map((d) => (isText(d.post) ? d.post : isObj(d.comment) && isText(d.comment.comment) ? d.comment.comment : ''))
      .filter((t) => t.trim() !== '')
      .join('\n');
    const urls = arr(r.attachments)
      .flatMap((a) => arr(a.data))
      .map((d) => (isObj(d.external_context) ? d.external_context.url : undefined))
      .filter(isText);
    const what = comment ? 'a comment without words: a sticker, GIF or photo' : 'a post without words';
    if (!text) return [{ reason: `no text (${what}${isText(r.title) ? `: "${r.title}"` : ''})`, raw: r }];
    return [one(r, r.timestamp ?? comment?.timestamp, 'timestamp', ctx, () => fromArchiveItem(ctx.platform, archiveItemId(r0), text, urls))];
  },
};

/**
 * Instagram's "Download Your Information": `your_instagram_activity/content/posts_1.json`, an array of
 * `{ media: [{ uri, creation_timestamp, title }], title?, creation_timestamp? }` (a single photo keeps its caption and
 * time on its media item, a carousel on the post), and the comments one wrote, `comments/post_comments_1.json`, an
 * array of `{ string_map_data: { Comment: { value }, "Media Owner": { value }, Time: { timestamp } } }`, or
 * `reels_comments.json`, `{ comments_reels_comments: [the same] }`. No ids; text written as Meta's exports write it
 * (see facebookArchive).
 */
const instagramArchive: FileShape = {
  name: 'instagram-archive',
  platform: 'instagram',
  matches: (r) =>
    (Array.isArray(r.media) && arr(r.media).some((m) => 'uri' in m && 'creation_timestamp' in m) && !('id' in r)) ||
    (isObj(r.string_map_data) && isObj(r.string_map_data.Comment)) ||
    Array.isArray(r.comments_reels_comments),
  posts(r0, ctx) {
    if (Array.isArray(r0.comments_reels_comments)) return arr(r0.comments_reels_comments).flatMap((item) => instagramArchive.posts(item, ctx));
    const r = repairLatin1MojibakeDeep(r0);
    if (isObj(r.string_map_data)) {
      const fields = r.string_map_data;
      const value = (k: string) => (isObj(fields[k]) ? fields[k].value : undefined);
      const text = isText(value('Comment')) ? (value('Comment') as string) : '';
      const time = isObj(fields.Time) ? fields.Time.timestamp : undefined;
      if (!text.trim()) return [{ reason: 'no text (a comment without words)', raw: r }];
      return [one(r, time, 'string_map_data.Time.timestamp', ctx, () => fromArchiveItem(ctx.platform, archiveItemId(r0), text, []))];
    }
    const media = arr(r.media);
    const text = [r.title, ...media.map((m) => m.title)].find((t): t is string => isText(t) && t.trim() !== '') ?? '';
    const time = r.creation_timestamp ?? media.find((m) => m.creation_timestamp !== undefined)?.creation_timestamp;
    if (!text) return [{ reason: 'no text (a post without a caption)', raw: r }];
    return [one(r, time, 'creation_timestamp', ctx, () => fromArchiveItem(ctx.platform, archiveItemId(r0), text, []))];
  },
};

/** The recognisers, most specific first: the first one that matches a record maps it. */
export const fileShapes: readonly FileShape[] = [
  twarc2,
  xV2,
  twitterV1,
  twitterV1Search,
  xArchive,
  mastodon,
  activityPub,
  blueskyShape,
  redditShape,
  facebook,
  instagram,
  facebookArchive,
  instagramArchive,
];

/** The first recogniser whose shape the record has, or null. */
export function recogniseRecord(record: Json): FileShape | null {
  return fileShapes.find((s) => s.matches(record)) ?? null;
}

/**
 * Why a record that no recogniser takes is not a post of the file's shape `shapeName` (the shape decided from the
 * file's sample): the shape's own account of a missing or mistyped field (`problem`), else the reason its mapping
 * gives when applied anyway (an unparseable or implausible time from lib/timestamps, a missing id, no text), else a
 * note that its fields do not match that shape. Never throws; the record is to be quarantined with the result.
 */
export function shapeProblem(record: Json, shapeName: string, ctx: ShapeContext): string {
  const shape = fileShapes.find((s) => s.name === shapeName);
  if (!shape) return 'not in any recognised shape';
  const known = shape.problem?.(record) ?? null;
  if (known) return known;
  try {
    const failed = shape.posts(record, ctx).find((r): r is { reason: string; raw: unknown } => 'reason' in r);
    if (failed) return failed.reason;
  } catch (err) {
    return `not in the file's ${shape.name} shape: ${(err as Error).message}`;
  }
  return `not in the file's ${shape.name} shape: its fields do not match that export's`;
}

/**
 * The most common recognised shape of a sample (ties: the more specific, earlier in `fileShapes`), or null.
 */
export function dominantShape(sample: readonly Json[]): string | null {
  const counts = new Map<string, number>();
  for (const r of sample) {
    const name = recogniseRecord(r)?.name;
    if (name) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  let best: string | null = null;
  for (const s of fileShapes) if ((counts.get(s.name) ?? 0) > (best ? counts.get(best)! : 0)) best = s.name;
  return best;
}

/**
 * Whether a sample of a file's JSON records is in recognised shapes: true when at least half of them match a
 * recogniser (a file is one export; a few odd lines are quarantined, not a reason to give up the shape).
 */
export function sampleIsRecognised(sample: readonly Json[]): { recognised: boolean; shapes: string[] } {
  const names = sample.map((r) => recogniseRecord(r)?.name ?? null);
  const hits = names.filter(Boolean) as string[];
  return { recognised: sample.length > 0 && hits.length * 2 >= sample.length, shapes: [...new Set(hits)] };
}
