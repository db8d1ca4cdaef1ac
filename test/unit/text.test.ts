import { describe, expect, it } from 'vitest';
import { detectLanguage, filterByLanguage } from '../../models/text/language';
import { extractEntities, normalizeText } from '../../models/text/normalize';
import { tokenize, type Token } from '../../models/text/tokenize';

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
    expect(detectLanguage("REELZ is going to broadcast Miss USA tomorrow, finally someone is brave enough to step up. NBC's liberal ways has got to go!!!")).toBe('en');
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
