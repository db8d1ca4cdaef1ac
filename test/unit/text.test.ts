import { describe, expect, it } from 'vitest';
import { detectLanguage, filterByLanguage } from '../../models/text/language';
import { extractEntities, normalizeText } from '../../models/text/normalize';
import { tokenize, type Token } from '../../models/text/tokenize';
import { htmlToText, looksLikeHtml, parseHtmlContent } from '../../models/text/html';
import { findUnsafeChar, sanitizeDeep, sanitizeIdentifier, sanitizeText } from '../../models/text/sanitize';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const kinds = (tokens: Token[]) => tokens.map((t) => `${t.kind}:${t.norm}`);
const find = (tokens: Token[], text: string) => {
  const t = tokens.find((x) => x.text === text);
  if (t === undefined) throw new Error(`no token ${text} in ${tokens.map((x) => x.text).join(' ')}`);
  return t;
};

describe('normalizeText', () => {
  it('decodes named and numeric HTML entities once', () => {
    expect(normalizeText('Tom &amp; Jerry &lt;3 &quot;hi&quot; &#39;yo&#39; &#x1F602; &#8211;')).toBe(`Tom & Jerry <3 "hi" 'yo' 😂 –`);
    // double-encoded text keeps one level: what the author typed was "&lt;"
    expect(normalizeText('a &amp;lt; b')).toBe('a &lt; b');
    expect(normalizeText('&bogus; stays')).toBe('&bogus; stays');
  });

  it('decodes the literal backslash escapes of the SemEval files, including surrogate pairs', () => {
    expect(normalizeText('It\\u2019s here\\u002c finally')).toBe('It’s here, finally');
    expect(normalizeText('she said \\"no\\"')).toBe('she said "no"');
    expect(normalizeText('lol \\ud83d\\ude02')).toBe('lol 😂');
    // not an escape: the \o/ emoticon survives
    expect(normalizeText('yay \\o/')).toBe('yay \\o/');
  });

  it('applies NFC and collapses whitespace', () => {
    expect(normalizeText('  cafe\u0301 \n\t au   lait\u00a0 ')).toBe('café au lait');
  });
});

describe('extractEntities', () => {
  it('lowercases hashtags and mentions, keeps URLs as written, dedupes in order', () => {
    const e = extractEntities('RT @Bob_1: #BlackLivesMatter now! see https://t.co/AbC… and www.Example.com/x. #blacklivesmatter @bob_1 #1 me@mail.com');
    expect(e.hashtags).toEqual(['blacklivesmatter']);
    expect(e.mentions).toEqual(['bob_1']);
    expect(e.urls).toEqual(['https://t.co/AbC', 'www.Example.com/x']);
  });

  it('does not take a URL fragment for a hashtag', () => {
    expect(extractEntities('read http://x.com/page#section').hashtags).toEqual([]);
  });
});

describe('tokenize', () => {
  it('keeps URLs, mentions, hashtags, emoticons and emoji as single tokens', () => {
    const tokens = tokenize('@Ann see http://t.co/x #NBAFinals :) :-( <3 xD \\o/ 👍🏽 👨‍👩‍👧 🇺🇸 😂😂');
    expect(kinds(tokens)).toEqual([
      'mention:ann',
      'word:see',
      'url:http://t.co/x',
      'hashtag:nbafinals',
      'emoticon::)',
      'emoticon::-(',
      'emoticon:<3',
      'emoticon:xD',
      'emoticon:\\o/',
      'emoji:👍',
      'emoji:👨‍👩‍👧',
      'emoji:🇺🇸',
      'emoji:😂',
      'emoji:😂',
    ]);
  });

  it('splits CamelCase hashtags into words', () => {
    expect(find(tokenize('#BlackLivesMatter'), '#BlackLivesMatter').parts).toEqual(['black', 'lives', 'matter']);
    expect(find(tokenize('#NBAFinals'), '#NBAFinals').parts).toEqual(['nba', 'finals']);
    expect(find(tokenize('#happy'), '#happy').parts).toEqual(['happy']);
  });

  it('does not read times, plain letters or e-mail addresses as emoticons or mentions', () => {
    expect(kinds(tokenize('at 3:30pm xDecimal me@mail.com'))).toEqual([
      'word:at',
      'number:3:30',
      'word:pm',
      'word:xdecimal',
      'word:me',
      'punct:@',
      'word:mail',
      'punct:.',
      'word:com',
    ]);
  });

  it('normalises elongations and flags them', () => {
    const t = find(tokenize('soooo goooood'), 'soooo');
    expect(t.norm).toBe('soo');
    expect(t.elongated).toBe(true);
    expect(find(tokenize('soooo goooood'), 'goooood').norm).toBe('good');
    expect(find(tokenize('good'), 'good').elongated).toBe(false);
    expect(find(tokenize('yay :)))'), ':)))').norm).toBe(':)');
  });

  it('marks the negation scope up to clause punctuation', () => {
    const tokens = tokenize("I don't like this movie, but the music is great. Never again");
    const negated = tokens.filter((t) => t.negated).map((t) => t.text);
    expect(negated).toEqual(['like', 'this', 'movie', 'again']);
    expect(find(tokens, ',').negated).toBe(false);
  });

  it('flags ALL CAPS words of two or more letters only', () => {
    const tokens = tokenize('I am SO HAPPY A b');
    expect(tokens.filter((t) => t.allCaps).map((t) => t.text)).toEqual(['SO', 'HAPPY']);
    expect(find(tokens, 'HAPPY').norm).toBe('happy');
  });

  it('reports offsets into the input', () => {
    const text = 'hi @you 😂 ok';
    for (const t of tokenize(text)) expect(text.slice(t.start, t.start + t.text.length)).toBe(t.text);
  });
});

describe('language', () => {
  it('detects clear sentences and says null when unsure or too short', () => {
    expect(detectLanguage('I was going to watch the game tonight with my friends')).toBe('en');
    expect(detectLanguage("Bonjour tout le monde, comment ça va aujourd'hui mes amis")).toBe('fr');
    expect(detectLanguage('Ich habe heute leider keine Zeit für dich, ich muss arbeiten')).toBe('de');
    expect(detectLanguage('lol')).toBeNull();
    expect(detectLanguage('😂😂😂')).toBeNull();
    expect(detectLanguage('@someone http://t.co/abc #happy')).toBeNull();
  });

  it('is not thrown by a single foreign-looking name in an English tweet', () => {
    expect(
      detectLanguage("REELZ is going to broadcast Miss USA tomorrow, finally someone is brave enough to step up. NBC's liberal ways has got to go!!!"),
    ).toBe('en');
  });

  it('filters by language, keeps undetermined texts and counts what it drops', () => {
    const items = [
      { id: 1, text: 'I was going to watch the game tonight with my friends' },
      { id: 2, text: "Bonjour tout le monde, comment ça va aujourd'hui mes amis" },
      { id: 3, text: '😂😂😂' },
    ];
    const r = filterByLanguage(items, (x) => x.text, ['en']);
    expect(r.kept.map((x) => x.id)).toEqual([1, 3]);
    expect(r.dropped).toBe(1);
    expect(r.byLanguage).toEqual({ en: 1, fr: 1, und: 1 });
  });
});

const caseDir = (name: string) => path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'cases', name);
const readJsonLines = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('htmlToText (the one HTML converter: preprocess and the Mastodon connector)', () => {
  it('case 13: Mastodon status content becomes readable text; hashtags and the reply mention are named as such', () => {
    const statuses = readJsonLines(path.join(caseDir('13-mastodon-html-content'), 'statuses.jsonl'));
    const parsed = statuses.map((s) => parseHtmlContent(String(s.content)));
    expect(parsed.map((p) => p.text)).toEqual([
      'Heat record broken again in our town #climate',
      'Lovely morning walk, saw two herons by the river\nFeeling great #birds',
      '@demo_gardener that is awful, stay cool',
    ]);
    expect(parsed.map((p) => p.hashtags)).toEqual([['climate'], ['birds'], []]);
    expect(parsed.map((p) => p.mentions)).toEqual([[], [], ['demo_gardener']]);
    // the mention's and the hashtags' hrefs are not links
    expect(parsed.map((p) => p.links)).toEqual([[], [], []]);
    for (const p of parsed) expect(p.text).not.toMatch(/[<>]/);
  });

  it('reads Mastodon-shortened links (invisible and ellipsis spans) as the full URL, and keeps worded links as words', () => {
    const html =
      '<p>Report: <a href="https://example.com/news/2024/heat-wave-report" rel="nofollow noopener" target="_blank"><span class="invisible">https://</span>' +
      '<span class="ellipsis">example.com/news/2024/heat-wav</span><span class="invisible">e-report</span></a> and ' +
      '<a href="https://example.org/a1"><span class="invisible">https://</span><span class="">example.org/a1</span><span class="invisible"></span></a>, ' +
      'see <a href="https://example.net/article?id=1&amp;ref=2">this article</a> on <a href="https://nodejs.org/en">Node.js</a> ' +
      '(<a href="https://example.org/some/long/path">example.org/some/lo…</a>, <a href="https://docs.example.io">docs.example.io</a>).</p>';
    expect(parseHtmlContent(html)).toEqual({
      text: 'Report: https://example.com/news/2024/heat-wave-report and https://example.org/a1, see this article on Node.js (https://example.org/some/long/path, https://docs.example.io).',
      links: [
        'https://example.com/news/2024/heat-wave-report',
        'https://example.org/a1',
        'https://example.net/article?id=1&ref=2',
        'https://nodejs.org/en',
        'https://example.org/some/long/path',
        'https://docs.example.io',
      ],
      hashtags: [],
      mentions: [],
    });
  });

  it('flattens nested inline tags and decodes entities exactly once', () => {
    expect(htmlToText('<p><strong>Big <em>news</em></strong> today, <span class="x"><b>really</b></span></p>')).toBe('Big news today, really');
    expect(htmlToText('<p>Fish &amp; chips, it&#39;s &quot;great&quot; &lt;3 &#x1F600; &#128512; &apos;ok&apos;</p>')).toBe(
      `Fish & chips, it's "great" <3 😀 😀 'ok'`,
    );
    // what the author typed was "&lt;": one level of escaping is undone, not two
    expect(htmlToText('<p>write &amp;lt;p&amp;gt; here</p>')).toBe('write &lt;p&gt; here');
    expect(htmlToText('<p>a&nbsp;b</p>')).toBe('a\u00a0b');
  });

  it('turns every <br> variant into a newline and paragraphs, lists and divs into line breaks', () => {
    expect(htmlToText('a<br>b<br/>c<br />d<BR>e<br\n/>f')).toBe('a\nb\nc\nd\ne\nf');
    expect(htmlToText('<p>one<br><br>two</p>')).toBe('one\n\ntwo');
    expect(htmlToText('<p>first</p>\n  <p>second</p><p></p><p>third</p>')).toBe('first\n\nsecond\n\nthird');
    expect(htmlToText('<ul><li>one</li><li>two</li></ul><div>after</div>')).toBe('one\ntwo\n\nafter');
    // source newlines and indentation inside a paragraph are spaces, as a browser shows them
    expect(htmlToText('<p>soft\n   wrapped\tline</p>')).toBe('soft wrapped line');
  });

  it('reads Pleroma/Akkoma and Misskey markup: mentions, rel=tag hashtags and custom emoji images', () => {
    const pleroma =
      '<span class="h-card"><a class="u-url mention" data-user="9xyz" href="https://pleroma.example/users/alice" rel="ugc">@<span>alice</span></a></span> hi ' +
      '<a class="hashtag" data-tag="cats" href="https://pleroma.example/tag/cats" rel="tag ugc">#cats</a> ' +
      '<img class="emoji" alt=":blobcat:" title=":blobcat:" src="https://pleroma.example/emoji/blobcat.png"/> <img src="https://pleroma.example/photo.jpg" alt="a photo of my cat">';
    expect(parseHtmlContent(pleroma)).toEqual({ text: '@alice hi #cats :blobcat:', links: [], hashtags: ['cats'], mentions: ['alice'] });
    const misskey =
      '<p><a href="https://misskey.example/@carol" class="u-url mention">@carol@misskey.example</a> nice <a href="https://misskey.example/tags/Sunset" rel="tag">#Sunset</a>' +
      '<br><br>see <a href="https://example.com/p">https://example.com/p</a></p>';
    expect(parseHtmlContent(misskey)).toEqual({
      text: '@carol@misskey.example nice #Sunset\n\nsee https://example.com/p',
      links: ['https://example.com/p'],
      hashtags: ['sunset'],
      mentions: ['carol@misskey.example'],
    });
  });

  it('never turns script, style or template content into text', () => {
    expect(htmlToText('<p>Hello</p><script>alert("x"); document.cookie</script><style>.a { color: red }</style><p>world</p>')).toBe('Hello\n\nworld');
    expect(htmlToText('<p>a<script type="text/javascript">var s = "</p><p>";</script>b</p><template><p>hidden</p></template>')).toBe('ab');
    expect(htmlToText('<p>ok<!-- a comment --></p>')).toBe('ok');
  });

  it('keeps emoji shortcodes and emoji sequences as written', () => {
    expect(htmlToText('<p>party time :blobcat_dance: 🎉 👨‍👩‍👧 👍🏽</p>')).toBe('party time :blobcat_dance: 🎉 👨‍👩‍👧 👍🏽');
  });

  it('reads malformed markup the forgiving way and never throws', () => {
    expect(parseHtmlContent('<p>unclosed <a href="https://x.example/y">link')).toEqual({
      text: 'unclosed link',
      links: ['https://x.example/y'],
      hashtags: [],
      mentions: [],
    });
    expect(htmlToText('<p>stray </b> close and <i>open')).toBe('stray close and open');
    expect(htmlToText('')).toBe('');
    // a link whose words start with '#' is not a hashtag of several words
    expect(parseHtmlContent('<a href="https://e.example/rank">#1 ranked cafe</a>')).toEqual({
      text: '#1 ranked cafe',
      links: ['https://e.example/rank'],
      hashtags: [],
      mentions: [],
    });
    // nor is a profile link in words a mention
    expect(parseHtmlContent('<a class="u-url" href="https://e.example/@bob">Bob on the fediverse</a>')).toEqual({
      text: 'Bob on the fediverse',
      links: ['https://e.example/@bob'],
      hashtags: [],
      mentions: [],
    });
    expect(htmlToText(undefined as unknown as string)).toBe('');
    // a non-web href (javascript:, mailto:) is never a link
    expect(parseHtmlContent('<a href="javascript:alert(1)">click</a> <a href="mailto:a@b.c">mail</a>')).toEqual({
      text: 'click mail',
      links: [],
      hashtags: [],
      mentions: [],
    });
  });
});

describe('looksLikeHtml', () => {
  it('recognises post HTML from Mastodon, Pleroma, Misskey and exports', () => {
    for (const html of [
      '<p>hello</p>',
      'line<br>break',
      'line<br />break',
      '<span class="h-card">x',
      '<a href="https://e.example">e</a>',
      'text with <b>bold</b>',
      '<img src="x.png" alt=":cat:">',
    ]) {
      expect(looksLikeHtml(html), html).toBe(true);
    }
  });

  it('leaves plain text with angle brackets alone: hearts, comparisons, a literal <script> and a tag named in prose', () => {
    for (const text of ['I <3 you', 'a < b and c > d', '</3 heartbreak', '<script>alert(1)</script>', 'use the <p> tag, ok?', 'x<y', '<<<>>>', 'no markup']) {
      expect(looksLikeHtml(text), text).toBe(false);
    }
  });
});

describe('sanitizeText and sanitizeIdentifier (what Postgres and JSON cannot hold, and control characters)', () => {
  it('case 09: removes the NUL from a Reddit comment body', () => {
    const [first] = readJsonLines(path.join(caseDir('09-nul-char-in-text'), 'comments.ndjson'));
    expect(String(first.body)).toContain('\u0000');
    expect(sanitizeText(String(first.body))).toBe('Pasted from my notes app and the formatting broke anyway the new update fixed my battery drain');
  });

  it('case 10: turns the half emoji at the end of a truncated retweet into U+FFFD', () => {
    const [first] = readJsonLines(path.join(caseDir('10-lone-surrogate-truncated'), 'tweets.jsonl'));
    expect(sanitizeText(String(first.text))).toBe('RT @demo_surfer: Best waves of the season today, the whole crew showed up \ufffd');
    expect(normalizeText(String(first.text))).toBe('RT @demo_surfer: Best waves of the season today, the whole crew showed up \ufffd');
  });

  it('replaces every unpaired surrogate, high or low, anywhere, and keeps pairs', () => {
    expect(sanitizeText('\ude00 smile')).toBe('\ufffd smile');
    expect(sanitizeText('mid\ud83dle')).toBe('mid\ufffdle');
    expect(sanitizeText('\udc00\ud800')).toBe('\ufffd\ufffd');
    expect(sanitizeText('ok 😂')).toBe('ok 😂');
  });

  it('removes C0 and C1 controls and DEL, keeps TAB and LF, turns CR, VT, FF and NEL into LF', () => {
    expect(sanitizeText('a\u0000b\u0001c\u0008d\u007fe')).toBe('abcde');
    expect(sanitizeText('a\u0080b\u009fc\u0090d')).toBe('abcd');
    expect(sanitizeText('tab\there\nline')).toBe('tab\there\nline');
    expect(sanitizeText('crlf\r\nold mac\rvt\u000bff\u000cnel\u0085end')).toBe('crlf\nold mac\nvt\nff\nnel\nend');
  });

  it('removes terminal escape sequences whole, not just their ESC', () => {
    expect(sanitizeText('\u001b[31mred\u001b[0m alert')).toBe('red alert');
    expect(sanitizeText('\u001b]0;pwned\u0007title and \u001b]8;;https://evil.example\u001b\\link\u001b]8;;\u001b\\')).toBe('title and link');
    expect(sanitizeText('\u001b[2J\u001b[Hclear \u009b1;31mC1 csi \u001bcreset')).toBe('clear C1 csi reset');
    // an ESC with nothing after it still goes
    expect(sanitizeText('end\u001b')).toBe('end');
  });

  it('removes noncharacters on every plane', () => {
    expect(sanitizeText('a\ufffeb\uffffc\ufdd0d')).toBe('abcd');
    expect(sanitizeText('x\ud83f\udffey\udbff\udfffz')).toBe('xyz'); // U+1FFFE and U+10FFFF
  });

  it('keeps valid emoji sequences: ZWJ families, skin tones, variation selectors, flags, keycaps', () => {
    const emoji = '👨‍👩‍👧 👍🏽 ❤️ 🏳️‍🌈 🇺🇸 1️⃣ 🧑🏿‍💻';
    expect(sanitizeText(emoji)).toBe(emoji);
    expect(sanitizeIdentifier(emoji)).toBe(emoji);
    expect(findUnsafeChar(emoji)).toBeNull();
  });

  it('removes bidi overrides and isolates everywhere; identifiers also lose bidi marks and line breaks', () => {
    expect(sanitizeText('abc\u202edcba\u202c')).toBe('abcdcba');
    expect(sanitizeText('\u2067مرحبا\u2069 world')).toBe('مرحبا world');
    // a right-to-left mark in running text is legitimate and stays
    expect(sanitizeText('שלום\u200f world')).toBe('שלום\u200f world');
    expect(sanitizeIdentifier('\u202eevil_admin\u202c')).toBe('evil_admin');
    expect(sanitizeIdentifier('\u200fname\u200e\u061c')).toBe('name');
    expect(sanitizeIdentifier('demo\u0000user')).toBe('demouser');
    expect(sanitizeIdentifier('two\nlines\there')).toBe('two lines here');
  });

  it('leaves other text untouched, including combining marks and scripts of every kind', () => {
    for (const t of ['plain', 'café', 'cafe\u0301', 'नमस्ते दुनिया', 'สวัสดี', 'مرحبا', '中文', 'a < b', '']) {
      expect(sanitizeText(t)).toBe(t);
      expect(findUnsafeChar(t)).toBeNull();
    }
  });

  it('findUnsafeChar names the first offending code unit', () => {
    expect(findUnsafeChar('ab\u0000c')).toEqual({ index: 2, codeUnit: 'U+0000' });
    expect(findUnsafeChar('x \ud83c')).toEqual({ index: 2, codeUnit: 'U+D83C' });
  });

  it('sanitizeDeep cleans every string and key of a record, and returns the same object when nothing changed', () => {
    const dirty = { id: 'x:1\u0000', author: { handle: '\u001b[31mbob' }, tags: ['ok', 'b\ud800'], n: 3, nested: [{ 'k\u0000': null }] };
    expect(sanitizeDeep(dirty)).toEqual({ id: 'x:1', author: { handle: 'bob' }, tags: ['ok', 'b\ufffd'], n: 3, nested: [{ k: null }] });
    const clean = { id: 'x:1', tags: ['a'], deep: { v: '😂' } };
    expect(sanitizeDeep(clean)).toBe(clean);
  });

  it('normalizeText never brings back what sanitising removed: decoded escapes and entities are cleaned too', () => {
    expect(normalizeText('a \\u0000b \\ud83c c &#27;[31mred &#1;x')).toBe('a b \ufffd c red x');
    // decode: false (for text that htmlToText already decoded) leaves entities alone
    expect(normalizeText('write &lt;p&gt;', { decode: false })).toBe('write &lt;p&gt;');
  });
});
