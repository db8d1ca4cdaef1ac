import { eld } from 'eld/extrasmall';
import { describe, expect, it } from 'vitest';
import { readTableAll } from '../../lib/tabular';
import { loadEldModel } from '../../models/text/eldNgrams';
import { detectLanguage, MIN_DENSE_LETTERS, MIN_LETTERS, NON_LANGUAGE_RE } from '../../models/text/language';
import { measureEnglishCheck, measureLanguageAccuracy, readLanguageSample } from '../../bench/languageId';
import { detectLanguageTinyld } from '../../bench/tinyldLanguage';
import { requireSharedData, sharedDataPath } from '../helpers/sharedData';

const sample = readLanguageSample();

describe('the labelled multilingual sample (test/fixtures/langid/sample.tsv)', () => {
  it('has at least 20 languages with at least 25 posts each, including the hard pairs', () => {
    const counts = new Map<string, number>();
    for (const r of sample) counts.set(r.lang, (counts.get(r.lang) ?? 0) + 1);
    expect(counts.size).toBeGreaterThanOrEqual(20);
    for (const [lang, n] of counts) expect([lang, n >= 25]).toEqual([lang, true]);
    for (const lang of ['es', 'pt', 'gl', 'da', 'no', 'sv', 'id', 'ms', 'hr', 'sr', 'bs', 'cs', 'sk']) expect(counts.has(lang)).toBe(true);
    expect(new Set(sample.map((r) => r.text)).size).toBe(sample.length);
  });
});

describe('language identification is no worse than the tinyld detector it replaced', () => {
  const ours = measureLanguageAccuracy(detectLanguage, sample);
  const tinyld = measureLanguageAccuracy(detectLanguageTinyld, sample);

  it('in every language of the sample', () => {
    for (const [lang, t] of Object.entries(tinyld.perLanguage)) {
      expect({ lang, correct: ours.perLanguage[lang].correct >= t.correct, ours: ours.perLanguage[lang].correct, tinyld: t.correct }).toMatchObject({
        lang,
        correct: true,
      });
    }
  });

  it('overall: micro and macro accuracy, and fewer posts left undetected', () => {
    expect(ours.micro).toBeGreaterThanOrEqual(tinyld.micro);
    expect(ours.macro).toBeGreaterThanOrEqual(tinyld.macro);
    expect(ours.undetected).toBeLessThanOrEqual(tinyld.undetected);
  });

  it('on real English tweets: at least as many called English and no more called foreign (SemEval sentiment-dev, first 2,000)', async () => {
    const file = sharedDataPath('semeval', 'sentiment-dev.tsv');
    requireSharedData(file);
    const texts = (await readTableAll(file)).slice(0, 2000).map((r) => r.text ?? '');
    const a = measureEnglishCheck(detectLanguage, texts);
    const b = measureEnglishCheck(detectLanguageTinyld, texts);
    expect(a.english).toBeGreaterThanOrEqual(b.english);
    expect(a.foreign).toBeLessThanOrEqual(b.foreign);
  });

  it('answers only ISO 639-1 codes or null', () => {
    for (const { text } of sample) {
      const got = detectLanguage(text);
      if (got !== null) expect(got).toMatch(/^[a-z]{2}$/);
    }
  });
});

describe('the compiled n-gram table scores exactly as eld does', () => {
  it('gives eld.detect()’s language for every sample post and awkward texts', () => {
    const model = loadEldModel('extrasmall');
    const scores = new Int32Array(model.languages.length);
    const texts = [
      ...sample.map((r) => r.text),
      ...sample.map((r) => r.text.replace(NON_LANGUAGE_RE, ' ')),
      "don't 'quote' dogs' toys rock 'n' roll x'!'y hi !'",
      'ΟΔΟΣ ΣΟΦΟΚΛΕΟΥΣ ΚΑΙ ΑΘΗΝΑΣ', // final sigma depends on what follows
      'İSTANBUL İzmir Iğdır', // İ lower-cases to two code units
      'a'.repeat(100) + ' ' + 'bcd '.repeat(200), // a word over 70 bytes, a text over the 380-byte cut
      '',
      '1234 !!! 😂',
    ];
    const differing = texts.filter((t) => {
      const best = model.score(t, scores);
      return (best < 0 ? '' : model.languages[best]) !== eld.detect(t).language;
    });
    expect(differing).toEqual([]);
  });

  it('rejects a scores array of the wrong length', () => {
    const model = loadEldModel('extrasmall');
    expect(() => model.score('hello world', new Int32Array(3))).toThrow(/scores must have 60 entries/);
  });
});

describe('script fast path', () => {
  it('names the language of a script that only one language uses', () => {
    expect(detectLanguage('안녕하세요 여러분 반갑습니다')).toBe('ko');
    expect(detectLanguage('おはようございます')).toBe('ja');
    expect(detectLanguage('東京で寿司を食べました')).toBe('ja');
    expect(detectLanguage('我喜欢吃炒饭今天天气很好')).toBe('zh');
    expect(detectLanguage('สวัสดีครับ ยินดีที่ได้รู้จักทุกคน')).toBe('th');
    expect(detectLanguage('Καλημέρα σε όλους τους φίλους')).toBe('el');
    expect(detectLanguage('ΟΔΟΣ ΣΟΦΟΚΛΕΟΥΣ')).toBe('el');
    expect(detectLanguage('שלום לכולם, מה שלומכם היום')).toBe('he');
    expect(detectLanguage('გამარჯობა მეგობრებო როგორ ხართ')).toBe('ka');
    expect(detectLanguage('Բարև ձեզ, ինչպես եք այսօր')).toBe('hy');
  });
});

describe('posts without language', () => {
  it('says null for URLs, mentions, hashtags, emoji and digits only', () => {
    expect(detectLanguage('@someone http://t.co/abc #happy')).toBeNull();
    expect(detectLanguage('https://example.com/a/b?c=d @x @y')).toBeNull();
    expect(detectLanguage('#TBT #blessed #love #happyfriday')).toBeNull();
    expect(detectLanguage('😂😂😂 🔥🔥')).toBeNull();
    expect(detectLanguage('2024 10:30 +1 555 1234')).toBeNull();
    expect(detectLanguage('Go @Cubs!!! #FlyTheW http://t.co/xyz')).toBeNull();
    expect(detectLanguage('')).toBeNull();
  });
});

describe('short text rules', () => {
  it(`needs ${MIN_LETTERS} letters, or ${MIN_DENSE_LETTERS} in Han, kana or Hangul`, () => {
    expect(MIN_LETTERS).toBe(12);
    expect(MIN_DENSE_LETTERS).toBe(5);
    expect(detectLanguage('lol')).toBeNull();
    expect(detectLanguage('bonjour mes')).toBeNull(); // 10 letters
    expect(detectLanguage('hello there my friend')).toBe('en');
    // URLs and mentions do not count towards the letters
    expect(detectLanguage('bonjour @emmanuelmacron https://elysee.fr')).toBeNull();
    expect(detectLanguage('ありが')).toBeNull();
    expect(detectLanguage('ありがとう')).toBe('ja');
    expect(detectLanguage('감사')).toBeNull();
    expect(detectLanguage('감사합니다')).toBe('ko');
    expect(detectLanguage('ขอบคุณ')).toBeNull(); // Thai is alphabetic: 12 letters like Latin
  });
});

describe('mixed-script posts', () => {
  it('goes by the script that carries most of the letters', () => {
    expect(detectLanguage('Just watched 君の名は again and I am still crying')).toBe('en');
    expect(detectLanguage('Loving this song 사랑해요 ❤️ so much')).toBe('en');
    expect(detectLanguage('Netflixで新しいドラマを見てる、めっちゃ面白い')).toBe('ja');
    expect(detectLanguage('Купил новый iPhone, камера просто огонь')).toBe('ru');
    expect(detectLanguage('مبروك للفريق على الفوز الليلة #ChampionsLeague')).toBe('ar');
  });
});

describe('close pairs', () => {
  it('separates Indonesian from Malay, Serbian from Croatian, Russian from Ukrainian', () => {
    expect(detectLanguage('Aku nggak bisa datang besok, maaf banget ya')).toBe('id');
    expect(detectLanguage('Aku tak boleh datang esok, penat sangat hari ni')).toBe('ms');
    expect(detectLanguage('Vreme je lepo danas, deca se igraju napolju')).toBe('sr');
    expect(detectLanguage('Vrijeme je lijepo danas, djeca se igraju vani')).toBe('hr');
    expect(detectLanguage('Ђорђе је дошао кући рано вечерас')).toBe('sr');
    expect(detectLanguage('Що ти робиш сьогодні ввечері?')).toBe('uk');
    expect(detectLanguage('Что ты делаешь сегодня вечером?')).toBe('ru');
  });
});
