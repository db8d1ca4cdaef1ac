import { describe, expect, it } from 'vitest';
import { precisionRecall } from '../../models/users/bots';
import { createPreprocessor, preprocessPosts, SPAM_CLUSTER_SIZE } from '../../models/pipeline/preprocess';
import type { Post } from '../../lib/schema';
import { extractFeatures } from '../../models/pipeline/features';
import { simulateNetwork } from '../../activities/collect/simulated/generator';
import { findUnsafeChar } from '../../models/text/sanitize';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

describe('preprocess', () => {
  it('quarantines invalid records with their reason, drops re-delivered ids, and normalises text', () => {
    const good = { id: 'x:1', platform: 'x', author: { id: 'a', handle: 'a' }, text: 'Fish &amp; chips #Friday @Bob', created_at: '2026-11-20T10:00:00Z' };
    const { clean, quarantined, counts } = preprocessPosts([good, { ...good }, { ...good, id: 'bad id' }, { text: 'no fields' }]);
    expect(counts).toMatchObject({ in: 4, kept: 1, duplicates: 1, quarantined: 2 });
    expect(clean[0]).toMatchObject({ text: 'Fish & chips #Friday @Bob', hashtags: ['friday'], mentions: ['bob'] });
    expect(quarantined[0].reason).toMatch(/record 3 is not a valid post.v1: id: id must look like "platform:native_id"/);
    expect(quarantined[1].reason).toMatch(/record 4 .*created_at/);
  });

  it('filters spam campaigns of the simulated network with high precision and recall, every post accounted for', () => {
    const day = simulateNetwork({ days: 1, postsPerDay: 5000, seed: 21 }).days[0];
    const { clean, spam, quarantined, counts } = preprocessPosts(day.posts);
    expect(counts.in).toBe(counts.kept + counts.duplicates + counts.quarantined + counts.filteredSpam + counts.filteredLanguage);
    const bot = new Map(day.truth.map((t) => [t.id, t.bot]));
    const ids = [...clean.map((p) => p.id), ...spam.map((s) => s.post.id)];
    const predicted = ids.map((_, i) => i >= clean.length);
    const truth = ids.map((id) => bot.get(id)!);
    const pr = precisionRecall(predicted, truth);
    expect(pr.precision).toBeGreaterThan(0.95);
    expect(pr.recall).toBeGreaterThan(0.9);
    expect(spam[0].reason).toMatch(new RegExp(`near-duplicate of \\d+ other posts`));
    expect(SPAM_CLUSTER_SIZE).toBeGreaterThanOrEqual(3);
    expect(quarantined.length).toBe(day.truth.filter((t) => t.malformed).length);
  });

  it('with a sink, hands every accepted post over in order and names the same spam as the in-memory split', () => {
    const day = simulateNetwork({ days: 1, postsPerDay: 3000, seed: 5 }).days[0];
    const inMemory = preprocessPosts(day.posts.map((p) => structuredClone(p)));
    const received: Post[] = [];
    const p = createPreprocessor(null, (post) => received.push(post));
    p.add(day.posts.map((x) => structuredClone(x)));
    const streamed = p.finish();
    expect(streamed.clean).toEqual([]); // nothing kept here: the sink has them
    expect(streamed.counts).toEqual(inMemory.counts);
    const kept = received.filter((_, i) => streamed.spamReason(i) === null);
    const spam = received.flatMap((post, i) => (streamed.spamReason(i) === null ? [] : [{ reason: streamed.spamReason(i)!, post }]));
    expect(kept).toEqual(inMemory.clean);
    expect(spam).toEqual(inMemory.spam);
    expect(spam.length).toBeGreaterThan(0);
  });

  it('scores sentiment with the lexicon when no trained model serves', () => {
    const [p] = preprocessPosts([
      { id: 'x:1', platform: 'x', author: { id: 'a', handle: 'a' }, text: 'I love this so much!', created_at: '2026-11-20T10:00:00Z' },
    ]).clean;
    const [f] = extractFeatures([p]);
    expect(f.features.sentiment).toMatchObject({ label: 'positive', model: 'lexicon.v1' });
    expect(f.features.topic).toBeNull();
  });

  it('writes styled letters (fancy-text bold, italic, script, double-struck, fullwidth, circled) as plain ones, so they score, search and count', () => {
    const post = (i: number, text: string, hashtags?: string[]) => ({
      id: `x:${i}`,
      platform: 'x',
      author: { id: 'a', handle: 'a' },
      text,
      created_at: '2026-11-20T10:00:00Z',
      ...(hashtags ? { hashtags } : {}),
    });
    const styled = [
      'I 𝗹𝗼𝘃𝗲 this phone, it is 𝗴𝗿𝗲𝗮𝘁 #𝗦𝗮𝗹𝗲', // mathematical sans-serif bold
      'I 𝘭𝘰𝘷𝘦 this phone, it is 𝘨𝘳𝘦𝘢𝘵 #𝘚𝘢𝘭𝘦', // sans-serif italic
      'I 𝓁𝑜𝓋𝑒 this phone, it is 𝑔𝓇𝑒𝒶𝓉 #𝒮𝒶𝓁𝑒', // script, with the italic and Letterlike fill-ins (ℯ is U+212F)
      'I 𝕝𝕠𝕧𝕖 this phone, it is 𝕘𝕣𝕖𝕒𝕥 #𝕊𝕒𝕝𝕖', // double-struck
      'I ｌｏｖｅ this phone, it is ｇｒｅａｔ #Ｓａｌｅ', // fullwidth
      'I ⓛⓞⓥⓔ this phone, it is ⓖⓡⓔⓐⓣ #Ⓢⓐⓛⓔ', // circled
    ];
    const { clean } = preprocessPosts(styled.map((t, i) => post(i, t)));
    expect(clean.map((p) => p.text)).toEqual(styled.map(() => expect.stringMatching(/^I love this phone, it is great #Sale$/)));
    expect(clean.map((p) => p.hashtags)).toEqual(styled.map(() => ['sale']));
    for (const f of extractFeatures(clean)) expect(f.features.sentiment?.label).toBe('positive');
    // a platform's own hashtag list, as typed; punctuation, symbols and other scripts stay as written
    const [p] = preprocessPosts([post(9, '東京、すごい！ x² ™ café №5 ½', ['𝗦𝗮𝗹𝗲', 'ＢｌａｃｋＦｒｉｄａｙ'])]).clean;
    expect(p.hashtags).toEqual(['sale', 'blackfriday']);
    expect(p.text).toBe('東京、すごい！ x² ™ café №5 ½');
  });
});

const caseDir = (name: string) => path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'cases', name);
const readJsonLines = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const post = (id: string, text: string, extra: Record<string, unknown> = {}) => ({
  id,
  platform: id.split(':')[0],
  author: { id: 'a1', handle: 'ann' },
  text,
  created_at: '2024-05-07T10:00:00Z',
  ...extra,
});

/** Every string anywhere in a value, with its path, so a test can check all fields of a post at once. */
function strings(value: unknown, at = ''): Array<[string, string]> {
  if (typeof value === 'string') return [[at, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${at}[${i}]`));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => [[`${at}.${k}#key`, k] as [string, string], ...strings(v, `${at}.${k}`)]);
  return [];
}
const unsafeFields = (value: unknown) =>
  strings(value)
    .filter(([, s]) => findUnsafeChar(s) !== null)
    .map(([p]) => p);

describe('preprocess: HTML content becomes plain text before entities are extracted', () => {
  it('case 13: Mastodon statuses imported with text=content are stored as readable text with their hashtags and mention', () => {
    const statuses = readJsonLines(path.join(caseDir('13-mastodon-html-content'), 'statuses.jsonl'));
    const records = statuses.map((s) =>
      post(`mastodon:${s.id}`, String(s.content), {
        author: { id: String((s.account as { id: string }).id), handle: String((s.account as { acct: string }).acct) },
        lang: s.language,
      }),
    );
    const { clean, counts } = preprocessPosts(records);
    expect(counts).toMatchObject({ in: 3, kept: 3, quarantined: 0 });
    expect(clean.map((p) => p.text)).toEqual([
      'Heat record broken again in our town #climate',
      'Lovely morning walk, saw two herons by the river Feeling great #birds',
      '@demo_gardener that is awful, stay cool',
    ]);
    expect(clean.map((p) => p.hashtags)).toEqual([['climate'], ['birds'], []]);
    expect(clean.map((p) => p.mentions)).toEqual([[], [], ['demo_gardener']]);
    // the mention and the hashtags are not URLs
    expect(clean.map((p) => p.urls)).toEqual([[], [], []]);
  });

  it('keeps the hrefs of worded links, reads shortened links as full URLs, and decodes HTML entities once', () => {
    const { clean } = preprocessPosts([
      post(
        'x:1',
        '<p>Read <a href="https://example.net/a?x=1&amp;y=2">this piece</a> &amp; <a href="https://example.com/long/path"><span class="invisible">https://</span><span class="ellipsis">example.com/lo</span><span class="invisible">ng/path</span></a></p>',
      ),
      post('x:2', '<p>write &amp;lt;3 to draw a heart</p>'),
    ]);
    expect(clean[0]).toMatchObject({
      text: 'Read this piece & https://example.com/long/path',
      urls: ['https://example.net/a?x=1&y=2', 'https://example.com/long/path'],
    });
    expect(clean[1].text).toBe('write &lt;3 to draw a heart');
  });

  it('reads Pleroma and Misskey markup: a remote mention shown in full is one mention, custom emoji keep their shortcode', () => {
    const { clean } = preprocessPosts([
      post(
        'misskey:1',
        '<p><a href="https://misskey.example/@carol" class="u-url mention">@carol@misskey.example</a> lovely <a href="https://misskey.example/tags/Sunset" rel="tag">#Sunset</a> tonight</p>',
      ),
      post(
        'pleroma:1',
        '<span class="h-card"><a class="u-url mention" href="https://pl.example/users/alice" rel="ugc">@<span>alice</span></a></span> great news <img class="emoji" alt=":blobcat:" src="https://pl.example/e.png"> <a class="hashtag" href="https://pl.example/tag/cats" rel="tag ugc">#cats</a>',
      ),
    ]);
    expect(clean.map((p) => p.text)).toEqual(['@carol@misskey.example lovely #Sunset tonight', '@alice great news :blobcat: #cats']);
    expect(clean.map((p) => p.mentions)).toEqual([['carol@misskey.example'], ['alice']]);
    expect(clean.map((p) => p.hashtags)).toEqual([['sunset'], ['cats']]);
    expect(clean.map((p) => p.urls)).toEqual([[], []]);
  });

  it('leaves plain text with angle brackets as written: hearts, comparisons, literal script tags and SQL', () => {
    const texts = ['I <3 this so much', 'a < b but c > d', '<script>alert(1)</script> lol', "Robert'); DROP TABLE post_scores;-- <3", 'Tom &amp; Jerry &lt;3'];
    const { clean } = preprocessPosts(texts.map((t, i) => post(`x:${i}`, t)));
    expect(clean.map((p) => p.text)).toEqual([
      'I <3 this so much',
      'a < b but c > d',
      '<script>alert(1)</script> lol',
      "Robert'); DROP TABLE post_scores;-- <3",
      'Tom & Jerry <3',
    ]);
  });
});

describe('preprocess: characters that Postgres or JSON cannot hold are removed at the edge, and the post is scored', () => {
  it('case 09: a Reddit comment body with U+0000 is kept, without the NUL', () => {
    const comments = readJsonLines(path.join(caseDir('09-nul-char-in-text'), 'comments.ndjson'));
    const records = comments.map((c) => post(`reddit:${c.id}`, String(c.body), { author: { id: String(c.author), handle: String(c.author) } }));
    const { clean, quarantined, counts } = preprocessPosts(records);
    expect(quarantined).toEqual([]);
    expect(counts).toMatchObject({ in: 3, kept: 3, quarantined: 0, sanitized: 1 });
    expect(clean[0].text).toBe('Pasted from my notes app and the formatting broke anyway the new update fixed my battery drain');
    expect(unsafeFields(clean)).toEqual([]);
    expect(JSON.stringify(clean)).not.toContain('\\u0000');
  });

  it('case 10: a truncated retweet ending in a lone high surrogate is kept, the half emoji replaced by U+FFFD', () => {
    const tweets = readJsonLines(path.join(caseDir('10-lone-surrogate-truncated'), 'tweets.jsonl'));
    const records = tweets.map((t) => post(`x:${t.id}`, String(t.text), { author: { id: String(t.author_id), handle: '' }, created_at: t.created_at }));
    const { clean, counts } = preprocessPosts(records);
    expect(counts).toMatchObject({ in: 3, kept: 3, quarantined: 0, sanitized: 1 });
    expect(clean[0].text).toBe('RT @demo_surfer: Best waves of the season today, the whole crew showed up \ufffd');
    expect(clean[0].mentions).toEqual(['demo_surfer']);
    expect(unsafeFields(clean)).toEqual([]);
    expect(JSON.stringify(clean)).not.toMatch(/\\ud[89a-f][0-9a-f]{2}/i);
  });

  it('keeps a wave of reposts (retweets, boosts) of one post: copies by design, not a campaign; copied originals still are', () => {
    const text = 'RT @nasa: The northern lights are visible tonight as far south as Kansas #aurora';
    const retweet = (i: number) =>
      post(`x:18625312345678900${String(i).padStart(2, '0')}`, text, { author: { id: `fan${i}`, handle: `fan${i}` }, repost_of: 'x:1862531234567800000' });
    const campaign = (i: number) =>
      post(
        `x:18625312345679000${String(i).padStart(2, '0')}`,
        'Claim your free crypto bonus today, limited offer for early wallet owners https://scam.example #giveaway',
        { author: { id: `bot${i}`, handle: `bot${i}` } },
      );
    const own = (i: number) => post(`x:18625312345680000${String(i).padStart(2, '0')}`, text, { author: { id: `copier${i}`, handle: `copier${i}` } });
    const { clean, spam, counts } = preprocessPosts([
      ...Array.from({ length: 60 }, (_, i) => retweet(i)),
      ...Array.from({ length: 5 }, (_, i) => campaign(i)),
      own(1),
      own(2),
    ]);
    // all 60 retweets, and the two who wrote the text themselves (two copies are not a campaign once reposts do not count)
    expect(clean).toHaveLength(62);
    expect(clean.filter((p) => p.repost_of !== null)).toHaveLength(60);
    expect(spam.map((s) => s.post.author.id).sort()).toEqual(['x:bot0', 'x:bot1', 'x:bot2', 'x:bot3', 'x:bot4']);
    expect(counts).toMatchObject({ kept: 62, filteredSpam: 5 });
    // a third copier makes the originals a campaign again, reposts or not
    const more = preprocessPosts([...Array.from({ length: 10 }, (_, i) => retweet(i)), own(1), own(2), own(3)]);
    expect(more.spam.map((s) => s.post.author.id).sort()).toEqual(['x:copier1', 'x:copier2', 'x:copier3']);
    expect(more.clean).toHaveLength(10);
  });

  it("quarantines a post whose time cannot be a post's, from any source (a stream producer's clock, a platform's bad field)", () => {
    const now = Date.UTC(2026, 10, 30, 12);
    const at = (created_at: string) => post(`k:${created_at}`, 'a perfectly fine post', { created_at });
    const { clean, quarantined } = preprocessPosts(
      [
        at('2030-01-01T00:00:00Z'), // years ahead
        at('2026-12-02T12:00:01Z'), // just over a day ahead
        at('2003-12-31T23:59:59Z'), // before 2004
        at('1999-06-01T00:00:00+02:00'),
        at('2026-12-01T11:00:00Z'), // within a day ahead: a clock a little fast
        at('2004-01-01T00:00:00Z'),
        at('2026-11-30T11:59:00-05:00'),
      ],
      null,
      now,
    );
    expect(clean.map((p) => p.created_at)).toEqual(['2026-12-01T11:00:00Z', '2004-01-01T00:00:00Z', '2026-11-30T11:59:00-05:00']);
    expect(quarantined.map((q) => q.reason)).toEqual([
      'record 1: created_at: implausible time 2030-01-01T00:00:00.000Z: more than a day in the future',
      'record 2: created_at: implausible time 2026-12-02T12:00:01.000Z: more than a day in the future',
      'record 3: created_at: implausible time 2003-12-31T23:59:59.000Z: before 2004-01-01',
      'record 4: created_at: implausible time 1999-05-31T22:00:00.000Z: before 2004-01-01',
    ]);
  });

  it('cleans every string field of a post: ids, author id and handle, lang, url, reply ids, hashtags, mentions, urls', () => {
    const hostile = post('x:h\u00001', 'fine text \u001b[31mred\u001b[0m', {
      platform: 'x',
      author: { id: 'u\u0000\ud8001', handle: '\u202eevil\u202c\u200f_\u0000admin\u001b]0;pwned\u0007', created_at: '2020-01-01T00:00:00Z\u0000' },
      lang: 'en\u0000',
      url: 'https://x.example/s/1\u0085',
      reply_to: 'x:\ud83c2',
      repost_of: 'x:3\u009b',
      hashtags: ['Tag\u0000One', '\ufffeok'],
      mentions: ['bob\u001b[0m'],
      urls: ['https://e.example/\udc00'],
      raw: { body: 'a\u0000b' },
    });
    const { clean, counts } = preprocessPosts([hostile]);
    expect(counts).toMatchObject({ kept: 1, sanitized: 1 });
    const [p] = clean;
    expect(p).toMatchObject({
      id: 'x:h1',
      author: { id: 'x:u\ufffd1', handle: 'evil_admin', created_at: '2020-01-01T00:00:00Z' },
      text: 'fine text red',
      lang: 'en',
      url: 'https://x.example/s/1 ',
      reply_to: 'x:\ufffd2',
      repost_of: 'x:3',
      hashtags: ['tagone', 'ok'],
      mentions: ['bob'],
      urls: ['https://e.example/\ufffd'],
    });
    expect(p.raw).toBeUndefined();
    expect(unsafeFields(clean)).toEqual([]);
  });

  it('keeps emoji sequences and legitimate right-to-left text; removes bidi overrides from the text', () => {
    const { clean, counts } = preprocessPosts([
      post('x:1', 'family day 👨‍👩‍👧 👍🏽 ❤️ 🏳️‍🌈'),
      post('x:2', 'مرحبا بالعالم\u200f nice'),
      post('x:3', 'invoice for \u202eexe.pdf\u202c'),
    ]);
    expect(clean.map((p) => p.text)).toEqual(['family day 👨‍👩‍👧 👍🏽 ❤️ 🏳️‍🌈', 'مرحبا بالعالم\u200f nice', 'invoice for exe.pdf']);
    expect(counts.sanitized).toBe(1);
  });

  it('quarantines, with its reason, a text that only control characters or markup made: nothing left to score', () => {
    const { clean, quarantined, counts } = preprocessPosts([
      post('x:1', '\u0000\u0001\u001b[31m\u007f'),
      post('x:2', '<p><img src="https://e.example/photo.jpg"></p>'),
      post('x:3', 'still here'),
    ]);
    expect(clean.map((p) => p.id)).toEqual(['x:3']);
    expect(counts).toMatchObject({ in: 3, kept: 1, quarantined: 2 });
    expect(quarantined.map((q) => q.reason)).toEqual([
      'record 1 (x:1): text is empty after removing markup and control characters',
      'record 2 (x:2): text is empty after removing markup and control characters',
    ]);
    expect(unsafeFields(quarantined)).toEqual([]);
  });

  it('quarantines an invalid record as valid JSON: its strings are cleaned too', () => {
    const { quarantined } = preprocessPosts([{ id: 'bad id\u0000', text: 'x\ud800', created_at: 'nope' }]);
    expect(quarantined).toHaveLength(1);
    expect(quarantined[0].reason).toMatch(/^record 1 is not a valid post.v1: id: id must look like "platform:native_id"/);
    expect(unsafeFields(quarantined)).toEqual([]);
  });

  it('keeps a 100 KB text whole', () => {
    const long = ('word ' + 'é😂 ').repeat(12_500).trim();
    const { clean } = preprocessPosts([post('x:1', long + '\u0000')]);
    expect(clean[0].text).toBe(long);
    expect(clean[0].text.length).toBeGreaterThan(100_000);
  });
});
