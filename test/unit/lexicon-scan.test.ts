import { describe, expect, it } from 'vitest';
import { scoreSentiment as scoreV1 } from '../../bench/baselines/lexiconV1';
import { tokenize as tokenizeV1 } from '../../bench/baselines/tokenizeV1';
import { createLexiconScorer, domainLexicon, scoreSentiment } from '../../models/sentiment/lexicon';
import { fuzzTexts } from '../helpers/textFuzz';
import { tokenize } from '../../models/text/tokenize';

/**
 * The lexicon's own scan (issue 12: ASCII words, digits, punctuation, URLs and mentions read straight from the
 * characters, words looked up by the hash computed while scanning) and the tokenizer's fast paths that it shares
 * decide token boundaries by hand where TOKEN_RE used to. Dense random strings over the characters at those
 * boundaries (joiners, emoticon letters and digits, entity starts, characters outside ASCII next to ASCII ones) must
 * give exactly the tokens of the frozen tokenizer and exactly the scores of the frozen lexicon.
 */

// single characters and short pieces that sit on the fast paths' boundaries
const ALPHABET = [
  'a',
  'e',
  'n',
  'I',
  'h',
  'o',
  'O',
  't',
  'T',
  'w',
  'x',
  'X',
  'D',
  'p',
  'P',
  'd',
  's',
  'S',
  '0',
  '1',
  '3',
  '8',
  '9',
  ' ',
  ' ',
  ' ',
  '\t',
  '-',
  "'",
  '_',
  '.',
  ',',
  ':',
  ';',
  '=',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  '<',
  '>',
  '^',
  '\\',
  '/',
  '*',
  '%',
  '$',
  '&',
  '+',
  '|',
  '~',
  '`',
  '"',
  '!',
  '?',
  '@',
  '#',
  'http://',
  'https://',
  'www.',
  'ttp',
  'http:',
  'xD',
  'T_T',
  'o_O',
  '0_0',
  '8-)',
  '3:',
  ':)',
  '(:',
  '’',
  'é',
  '\u0301',
  '٣',
  'Ⅻ',
  '😀',
  '\u20e3',
  '\ufe0f',
  '\u00a0',
  '…',
  '“',
  '中',
  'not',
  'no',
  'never',
  'but',
  'kind',
  'of',
  'least',
  'at',
  'very',
  'so',
  'this',
  'the',
  'thank',
  'you',
  'good',
  'bad',
  'happy',
  'GOOD',
  'sooo',
  "n't",
  'wait',
  'cant',
  'can',
  'lit',
  'sick',
];

const texts = fuzzTexts(60_000, 12, ALPHABET, 10);
const domain = domainLexicon({ sick: 3, happy: -2, so: 1.5, no: 0.5, wait: -1, the: 1, '!': 1, ':': 0.5, '0': 1, lit: 2.5 });

describe('lexicon scan and tokenizer fast paths on boundary strings', () => {
  it('makes the tokens of the frozen tokenizer', () => {
    let first: string | null = null;
    for (const t of texts) {
      if (JSON.stringify(tokenize(t)) !== JSON.stringify(tokenizeV1(t))) {
        first = t;
        break;
      }
    }
    expect(first).toBeNull();
  });

  it('gives the scores of the frozen lexicon, with and without a domain lexicon', () => {
    const scorer = createLexiconScorer(domain);
    let nonzero = 0;
    for (const t of texts) {
      const v1 = scoreV1(t);
      expect(scoreSentiment(t), t).toStrictEqual(v1);
      expect(scorer.score(t), t).toStrictEqual(scoreV1(t, domain));
      if (v1.compound !== 0) nonzero++;
    }
    // the strings do reach the scoring rules
    expect(nonzero).toBeGreaterThan(10_000);
  });

  it('scorers own their state: interleaved scorers give each their own results', () => {
    const plain = createLexiconScorer();
    const withDomain = createLexiconScorer(domain);
    for (const t of texts.slice(0, 2000)) {
      const a = plain.score(t);
      const b = withDomain.score(t);
      expect(a).toStrictEqual(scoreV1(t));
      expect(b).toStrictEqual(scoreV1(t, domain));
    }
  });
});
