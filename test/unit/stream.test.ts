import { describe, expect, it } from 'vitest';
import { readJetstreamFrame } from '../../activities/collect/stream/jetstream';
import { mastodonStreamBase, parseSse } from '../../activities/collect/stream/mastodonSse';
import { mastodonConnector } from '../../activities/collect/platforms/mastodon';
import { MessageBuffer, rangesOf, type StreamMessage } from '../../activities/collect/stream/microBatch';
import { messageToPosts, parseMessage } from '../../activities/collect/stream/records';
import { backoffMs } from '../../activities/collect/stream/source';
import { detectStreamAlerts, type AlertPost } from '../../models/trends/alerts';
import { durationSeconds, streamIdFor } from '../../cli/commands/stream';
import { postV1 } from '../helpers/streamFixtures';

const msg = (partition: string, offset: number | string, value = '{}'): StreamMessage => ({ partition, offset: String(offset), value, receivedAt: Date.now() });

describe('micro-batching', () => {
  it('cuts a batch at N messages, keeping the rest for the next one', async () => {
    const b = new MessageBuffer();
    b.push([0, 1, 2, 3, 4].map((o) => msg('0', o)));
    const first = await b.take({ max: 3, windowMs: 10_000, idleMs: 10_000 });
    expect(first.messages.map((m) => m.offset)).toEqual(['0', '1', '2']);
    expect(b.size).toBe(2);
  });

  it('closes a partial batch when its window ends, and reports idle only when nothing is buffered', async () => {
    const b = new MessageBuffer();
    b.push([msg('1', 7)]);
    const t0 = Date.now();
    const r = await b.take({ max: 100, windowMs: 150, idleMs: 50 });
    expect(r).toMatchObject({ idle: false });
    expect(r.messages).toHaveLength(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    const empty = await b.take({ max: 100, windowMs: 150, idleMs: 60 });
    expect(empty).toEqual({ messages: [], idle: true });
  });

  it('drops messages at or before the stored position, and duplicates of one position', async () => {
    const b = new MessageBuffer();
    b.setStored('0', '10');
    b.push([msg('0', 9), msg('0', 10), msg('0', 11), msg('0', 11), msg('1', 3)]);
    const r = await b.take({ max: 3, windowMs: 50, idleMs: 1000 });
    expect(r.messages.map((m) => `${m.partition}/${m.offset}`)).toEqual(['0/11', '1/3']);
  });

  it('re-cuts a planned batch exactly (same ranges) even when more has arrived', async () => {
    const b = new MessageBuffer();
    b.push([0, 1, 2, 3, 4, 5].map((o) => msg('2', o)));
    b.push([msg('0', 40), msg('0', 41)]);
    const plan = [
      { partition: '0', from: '40', to: '40' },
      { partition: '2', from: '1', to: '3' },
    ];
    const r = await b.take({ max: 1, windowMs: 10, idleMs: 1000, plan });
    expect(rangesOf(r.messages)).toEqual(plan);
    expect(b.size).toBe(4); // 2/0 (before the plan: dropped later by the stored position), 2/4, 2/5, 0/41
  });

  it('ranges are per partition, numeric (big offsets exact), sorted', () => {
    expect(rangesOf([msg('10', '9007199254740993'), msg('2', 5), msg('10', '9007199254740992'), msg('2', 3)])).toEqual([
      { partition: '2', from: '3', to: '5' },
      { partition: '10', from: '9007199254740992', to: '9007199254740993' },
    ]);
  });

  it('rethrows a source failure and returns on abort', async () => {
    const b = new MessageBuffer();
    b.fail(new Error('broker refused'));
    await expect(b.take({ max: 1, windowMs: 1000, idleMs: 1000 })).rejects.toThrow('broker refused');
    const c = new MessageBuffer();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    const t0 = Date.now();
    await c.take({ max: 1, windowMs: 10_000, idleMs: 10_000, signal: ac.signal });
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('reconnect backoff grows, is capped and jittered', () => {
    expect(backoffMs(0)).toBeGreaterThanOrEqual(200);
    expect(backoffMs(0)).toBeLessThanOrEqual(300);
    expect(backoffMs(3)).toBeGreaterThanOrEqual(1600);
    expect(backoffMs(40, 30_000)).toBeLessThanOrEqual(36_000);
  });
});

describe('stream messages to posts', () => {
  const now = Date.parse('2026-11-30T12:00:00Z');
  it('keeps a valid post.v1 as it is, quarantines an invalid one with the field', () => {
    const p = postV1('demo', 1, { at: now - 1000, hashtags: ['x'] });
    const [ok] = messageToPosts(p, { platform: 'kafka', flatPlatform: 'kafka', fallbackId: 'fallback', now });
    expect('post' in ok && ok.post.id).toBe('demo:1');
    const [bad] = messageToPosts({ ...p, created_at: 'soon' }, { platform: 'kafka', flatPlatform: 'kafka', fallbackId: 'fallback', now });
    expect('reason' in bad && bad.reason).toMatch(/^not a valid post\.v1: created_at/);
  });

  it('maps a flat record by its columns; a record without an id gets its position as id', () => {
    const [r] = messageToPosts(
      { full_text: 'hello world', timestamp: '2026-11-30T11:00:00Z', screen_name: 'bob' },
      { platform: 'kafka', flatPlatform: 'kafka', fallbackId: 'topic-1-42', now },
    );
    expect('post' in r && [r.post.id, r.post.text, r.post.author.handle, r.post.created_at]).toEqual([
      'kafka:topic-1-42',
      'hello world',
      'bob',
      '2026-11-30T11:00:00.000Z',
    ]);
    const [none] = messageToPosts({ a: 1 }, { platform: 'kafka', flatPlatform: 'kafka', fallbackId: 'x', now });
    expect('reason' in none && none.reason).toMatch(/no text column found/);
  });

  it('maps raw platform JSON through the file importer’s recognisers (a Bluesky repo record)', () => {
    const [r] = messageToPosts(
      { uri: 'at://did:plc:z/app.bsky.feed.post/3kq', value: { text: 'from the firehose', createdAt: '2026-11-30T11:59:00Z' } },
      { platform: 'bluesky', flatPlatform: 'bluesky', fallbackId: 'x', now },
    );
    expect('post' in r && r.post.text).toBe('from the firehose');
    expect('post' in r && r.post.id.startsWith('bluesky:')).toBe(true);
  });

  it('parses messages: empty, not an object, invalid JSON, big integers kept exact', () => {
    expect(parseMessage(null)).toEqual({ reason: 'empty message (a tombstone or no value)' });
    expect(parseMessage('[1]')).toMatchObject({ reason: expect.stringMatching(/^not a JSON object/) });
    expect(parseMessage('{"a":')).toMatchObject({ reason: expect.stringMatching(/^invalid JSON/) });
    expect(parseMessage(Buffer.from('{"id":1790000000000000001}'))).toEqual({ record: { id: '1790000000000000001' } });
  });
});

describe('platform JSON on a Kafka topic without --platform', () => {
  const tweet = {
    data: { id: '1862531234567899999', text: 'aurora tonight #aurora', author_id: '42', created_at: '2026-11-29T10:00:00.000Z' },
    includes: { users: [{ id: '42', username: 'bob', name: 'Bob' }] },
  };
  const status = {
    id: '115000000000000777',
    created_at: '2026-11-29T10:00:00.000Z',
    content: '<p>aurora here too</p>',
    uri: 'https://mastodon.social/users/ann/statuses/115000000000000777',
    account: { id: '7', acct: 'ann', username: 'ann', url: 'https://mastodon.social/@ann' },
  };
  const reddit = { kind: 't3', data: { name: 't3_kk', title: 'Aurora photos', selftext: '', author: 'rd', author_fullname: 't2_rd', created_utc: 1764410400 } };
  const flat = { text: 'a plain message', created_at: '2026-11-29T10:00:00Z', user: 'carl' };
  const idsOf = (platform?: string) =>
    [tweet, status, reddit, flat].map((r, i) => {
      const [x] = messageToPosts(r, { platform, flatPlatform: 'kafka', fallbackId: `t-0-${i}`, now: Date.UTC(2026, 10, 30) });
      return 'post' in x ? x.post.id : x.reason;
    });

  it('names each post by the platform its JSON is from, as its connector does, and a flat record by the topic', () => {
    expect(idsOf()).toEqual(['x:1862531234567899999', 'mastodon:mastodon.social/115000000000000777', 'reddit:t3_kk', 'kafka:t-0-3']);
  });

  it('names a flat record with an author_id column by the topic, and a flattened X tweet by X (it has fields only X writes)', () => {
    const at = '2026-11-29T10:00:00Z';
    const name = (r: Record<string, unknown>, platform?: string) => {
      const [x] = messageToPosts(r, { platform, flatPlatform: 'kafka', fallbackId: 'f', now: Date.UTC(2026, 10, 30) });
      return 'post' in x ? [x.post.id, x.post.author.id] : x.reason;
    };
    // a CRM or survey export: nothing in it says X (it was named x: because the X recogniser reads author_id)
    expect(name({ id: '501', text: 'loving it', created_at: at, author_id: 'u9' })).toEqual(['kafka:501', 'u9']);
    expect(name({ id: '502', text: 'loving it', created_at: at, author_id: '9', lang: 'en' })).toEqual(['kafka:502', '9']);
    // what `twarc2 flatten` and the v2 API write carry X's own fields
    const v2 = { id: '1862531234567800001', text: 'aurora', created_at: at, author_id: '42' };
    expect(name({ ...v2, edit_history_tweet_ids: ['1862531234567800001'] })).toEqual(['x:1862531234567800001', '42']);
    expect(name({ ...v2, public_metrics: { like_count: 1 } })[0]).toBe('x:1862531234567800001');
    expect(name({ ...v2, conversation_id: '1862531234567800001' })[0]).toBe('x:1862531234567800001');
    expect(name({ ...v2, author: { id: '42', username: 'bob' } })).toEqual(['x:1862531234567800001', '42']);
    // --platform names all of them
    expect(name({ id: '503', text: 'loving it', created_at: at, author_id: 'u9' }, 'crm')[0]).toBe('crm:503');
  });

  it('--platform still names every post', () => {
    expect(idsOf('brk')).toEqual(['brk:1862531234567899999', 'brk:mastodon.social/115000000000000777', 'brk:t3_kk', 'brk:t-0-3']);
  });
});

describe('Mastodon statuses on a stream of one instance', () => {
  // What mastodon.social's streaming API sends: a local status (uri on the instance itself) and one federated from
  // fosstodon.org (uri and url on its origin, id and account.id this instance's own)
  const status = (id: string, uri: string, account: Record<string, string>) => ({
    id,
    created_at: '2026-11-29T10:00:00.000Z',
    content: '<p>Northern lights tonight <a href="https://x/tags/aurora">#aurora</a></p>',
    uri,
    url: uri,
    account,
    tags: [{ name: 'aurora' }],
  });
  const local = status('115000000000000998', 'https://mastodon.social/users/ann/statuses/115000000000000998', {
    id: '778',
    acct: 'ann',
    username: 'ann',
    url: 'https://mastodon.social/@ann',
  });
  const remote = status('115000000000000999', 'https://fosstodon.org/users/bob/statuses/113999', {
    id: '777',
    acct: 'bob@fosstodon.org',
    username: 'bob',
    url: 'https://fosstodon.org/@bob',
  });
  const ids = (r: ReturnType<typeof messageToPosts>) => r.map((x) => ('post' in x ? [x.post.id, x.post.author.id] : x.reason));

  it("give a federated status the stream's instance, as the REST connector on that instance does", () => {
    expect(ids(messageToPosts(remote, { platform: 'mastodon', flatPlatform: 'mastodon', fallbackId: 'f', mastodonInstance: 'mastodon.social' }))).toEqual([
      ['mastodon:mastodon.social/115000000000000999', 'mastodon.social/777'],
    ]);
    expect(ids(messageToPosts(local, { platform: 'mastodon', flatPlatform: 'mastodon', fallbackId: 'f', mastodonInstance: 'mastodon.social' }))).toEqual([
      ['mastodon:mastodon.social/115000000000000998', 'mastodon.social/778'],
    ]);
  });

  it("a boost carries the boosted text and links to it, with the boost's own counts, not the original's again", () => {
    const boost = {
      ...status('115000000000001000', 'https://mastodon.social/users/dave/statuses/115000000000001000/activity', {
        id: '779',
        acct: 'dave',
        username: 'dave',
        url: 'https://mastodon.social/@dave',
      }),
      content: '',
      favourites_count: 0,
      reblogs_count: 0,
      replies_count: 0,
      reblog: { ...local, favourites_count: 40, reblogs_count: 12, replies_count: 3 },
    };
    const [r] = messageToPosts(boost, { platform: 'mastodon', flatPlatform: 'mastodon', fallbackId: 'f', mastodonInstance: 'mastodon.social' });
    expect('post' in r && r.post).toMatchObject({
      text: 'Northern lights tonight #aurora',
      repost_of: 'mastodon:mastodon.social/115000000000000998',
      author: { id: 'mastodon.social/779' },
      metrics: { likes: 0, reposts: 0, replies: 0 },
    });
  });

  it('keep ids bare when nothing says which instance issued them (a status on a Kafka topic)', () => {
    expect(ids(messageToPosts(remote, { platform: 'mastodon', flatPlatform: 'mastodon', fallbackId: 'f' }))).toEqual([['mastodon:115000000000000999', '777']]);
    // a status of its own instance still says which: its uri ends in its id
    expect(ids(messageToPosts(local, { platform: 'mastodon', flatPlatform: 'mastodon', fallbackId: 'f' }))).toEqual([
      ['mastodon:mastodon.social/115000000000000998', 'mastodon.social/778'],
    ]);
  });
});

describe('the Mastodon instance a stream reads', () => {
  it('is the one the REST connector reads, unless the stream names its own', () => {
    const cases: Array<[NodeJS.ProcessEnv, string]> = [
      [{}, 'https://mastodon.social'],
      // an empty setting is unset for both (the stream read it as the URL "" before)
      [{ MASTODON_BASE_URL: '' }, 'https://mastodon.social'],
      [{ MASTODON_BASE_URL: '  ' }, 'https://mastodon.social'],
      [{ MASTODON_BASE_URL: ' https://fosstodon.org/ ' }, 'https://fosstodon.org'],
      [{ MASTODON_BASE_URL: 'https://social.example:8443' }, 'https://social.example:8443'],
    ];
    for (const [env, base] of cases) {
      expect(mastodonStreamBase(undefined, env), JSON.stringify(env)).toBe(base);
      expect(mastodonStreamBase(null, env)).toBe(base);
      // the same host as the REST connector's instance, which is part of a run's identity
      expect(new URL(mastodonStreamBase(undefined, env)).host).toBe(mastodonConnector.instance!.of(env));
    }
    expect(mastodonStreamBase('https://hachyderm.io/', { MASTODON_BASE_URL: 'https://fosstodon.org' })).toBe('https://hachyderm.io');
  });
});

describe('platform stream frames', () => {
  it('Jetstream: post creates kept with time_us, others skipped, broken ones given a reason', () => {
    const base = { did: 'did:plc:a', time_us: 1725911162329308 };
    const create = readJetstreamFrame(
      JSON.stringify({
        ...base,
        kind: 'commit',
        commit: {
          rev: 'r',
          operation: 'create',
          collection: 'app.bsky.feed.post',
          rkey: 'k1',
          cid: 'c',
          record: { text: 'hi', createdAt: '2026-01-01T00:00:00Z' },
        },
      }),
    );
    expect(create).toEqual({
      post: {
        offset: '1725911162329308',
        value: JSON.stringify({ uri: 'at://did:plc:a/app.bsky.feed.post/k1', cid: 'c', value: { text: 'hi', createdAt: '2026-01-01T00:00:00Z' } }),
      },
    });
    expect(readJetstreamFrame(JSON.stringify({ ...base, kind: 'identity', identity: {} }))).toEqual({ skip: 'identity', offset: '1725911162329308' });
    expect(
      readJetstreamFrame(JSON.stringify({ ...base, kind: 'commit', commit: { operation: 'update', collection: 'app.bsky.feed.post', rkey: 'k1' } })),
    ).toEqual({ skip: 'update', offset: '1725911162329308' });
    expect(
      readJetstreamFrame(JSON.stringify({ ...base, kind: 'commit', commit: { operation: 'create', collection: 'app.bsky.graph.follow', rkey: 'f' } })),
    ).toEqual({ skip: 'commit:app.bsky.graph.follow', offset: '1725911162329308' });
    expect(readJetstreamFrame('nope')).toMatchObject({ reason: expect.stringMatching(/^invalid JSON frame/) });
    expect(readJetstreamFrame(JSON.stringify({ kind: 'commit' }))).toEqual({ reason: 'event without a numeric time_us' });
  });

  it('SSE: events split across chunks, comments ignored, multi-line data joined', () => {
    const a = parseSse(':thump\n\nevent: update\ndata: {"id":"1"}\n\nevent: delete\ndata: 12');
    expect(a.events).toEqual([{ event: 'update', data: '{"id":"1"}' }]);
    const b = parseSse(a.rest + '3\n\nevent: update\r\ndata: {"a":\r\ndata: 1}\r\n\r\n');
    expect(b.events).toEqual([
      { event: 'delete', data: '123' },
      { event: 'update', data: '{"a":\n1}' },
    ]);
    expect(b.rest).toBe('');
  });
});

describe('trend alerts on stream buckets', () => {
  const B = 5 * 60_000;
  const background = (buckets: number, perBucket: number): AlertPost[] =>
    Array.from({ length: buckets * perBucket }, (_, i) => ({
      id: `b${i}`,
      author: `u${i % 7}`,
      createdAt: Math.floor(i / perBucket) * B + (i % perBucket) * 1000,
      hashtags: ['daily'],
      terms: ['coffee'],
      topic: 1,
    }));
  const burst = (bucket: number, authors: string[], tag = 'quake'): AlertPost[] =>
    authors.map((a, i) => ({
      id: `q${bucket}-${i}`,
      author: a,
      createdAt: bucket * B + i * 1000,
      hashtags: [tag, 'daily'],
      terms: i % 2 ? ['shaking', 'coffee'] : ['shaking'],
      topic: 2,
    }));

  it('alerts on a planted burst with the baseline it beat and the drivers’ shares of the excess', () => {
    const posts = [...background(20, 6), ...burst(20, ['ana', 'ana', 'ana', 'ana', 'ben', 'ben', 'cy', 'dee'])];
    const alerts = detectStreamAlerts(posts, { start: 0, watermark: 21 * B });
    const quake = alerts.find((a) => a.kind === 'hashtag' && a.key === 'quake')!;
    expect(quake).toMatchObject({ bucketStart: 20 * B, posts: 8, baseline: 0, excess: 8, ratio: 9 });
    expect(quake.score).toBeGreaterThan(4);
    expect(quake.explanation.drivers.authors).toEqual([
      { key: 'ana', posts: 4, baseline: 0, share: 0.5 },
      { key: 'ben', posts: 2, baseline: 0, share: 0.25 },
      { key: 'cy', posts: 1, baseline: 0, share: 0.125 },
      { key: 'dee', posts: 1, baseline: 0, share: 0.125 },
    ]);
    expect(quake.explanation.drivers.terms[0]).toEqual({ key: 'shaking', posts: 8, baseline: 0, share: 1 });
    expect(quake.explanation.summary).toMatch(/^#quake: 8 posts in 5 min against a usual 0 \(9×, z=[\d.]+ over 4\); top author ana with 50% of the excess$/);
    // the steady hashtag rose from 6 to 14 (log scale: not a burst), and the term "shaking" is its own alert
    expect(alerts.some((a) => a.key === 'daily')).toBe(false);
    expect(alerts.map((a) => `${a.kind}:${a.key}`).sort()).toEqual(['hashtag:quake', 'term:shaking', 'topic:topic:2']);
  });

  it('a driver that is usual for the key gets no share of the excess', () => {
    const usual = Array.from({ length: 20 * 4 }, (_, i) => ({
      id: `s${i}`,
      author: 'regular',
      createdAt: Math.floor(i / 4) * B,
      hashtags: ['quake'],
      terms: [],
      topic: null,
    }));
    const posts = [
      ...usual,
      ...Array.from({ length: 36 }, (_, i) => ({
        id: `n${i}`,
        author: i < 4 ? 'regular' : `new${i % 4}`,
        createdAt: 20 * B + i,
        hashtags: ['quake'],
        terms: [],
        topic: null,
      })),
    ];
    const [a] = detectStreamAlerts(posts, { start: 0, watermark: 21 * B });
    expect(a).toMatchObject({ key: 'quake', posts: 36, baseline: 4, excess: 32 });
    expect(a.explanation.drivers.authors.find((d) => d.key === 'regular')).toEqual({ key: 'regular', posts: 4, baseline: 4, share: 0 });
    expect(a.explanation.drivers.authors[0]).toEqual({ key: 'new0', posts: 8, baseline: 0, share: 0.25 });
  });

  it('stays quiet: during warm-up, below the post floor, on steady volume, and for buckets not yet closed', () => {
    expect(detectStreamAlerts([...background(3, 6), ...burst(3, Array(20).fill('a'))], { start: 0, watermark: 4 * B })).toEqual([]);
    expect(detectStreamAlerts([...background(20, 6), ...burst(20, ['a', 'b', 'c', 'd'])], { start: 0, watermark: 21 * B })).toEqual([]);
    expect(detectStreamAlerts(background(30, 6), { start: 0, watermark: 30 * B })).toEqual([]);
    expect(detectStreamAlerts([...background(20, 6), ...burst(20, Array(10).fill('a'))], { start: 0, watermark: 20 * B })).toEqual([]);
  });

  it('honours its options and refuses a bad span', () => {
    const posts = [...background(4, 6), ...burst(4, Array(6).fill('a'))];
    expect(detectStreamAlerts(posts, { start: 0, watermark: 5 * B }, { warmup: 2, minPosts: 6, threshold: undefined }).map((a) => a.key)).toContain('quake');
    expect(() => detectStreamAlerts(posts, { start: 10, watermark: 0 })).toThrow(RangeError);
    expect(() => detectStreamAlerts(posts, { start: 0, watermark: 1 }, { bucketMs: 0 })).toThrow(RangeError);
  });
});

describe('stream command options', () => {
  it('durations and stream ids', () => {
    expect(durationSeconds('60s')).toBe(60);
    expect(durationSeconds('5m')).toBe(300);
    expect(durationSeconds('250ms')).toBe(0.25);
    expect(durationSeconds('2')).toBe(2);
    expect(() => durationSeconds('soon')).toThrow(/expected a duration/);
    expect(() => durationSeconds('0s')).toThrow(/expected a duration/);
    expect(streamIdFor({ from: 'kafka', topic: 'posts.v1', group: 'g 1' })).toBe('stream-kafka-posts.v1-g_1');
    expect(streamIdFor({ from: 'mastodon', hashtag: 'climate' })).toBe('stream-mastodon-climate');
    expect(streamIdFor({ from: 'jetstream', id: 'mine' })).toBe('mine');
  });
});
