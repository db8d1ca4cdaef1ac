import { describe, expect, it } from 'vitest';
import { emptyLexiconDetail as emptyDetailV1, scoreSentiment as scoreV1, scoreTokens as scoreTokensV1 } from '../../bench/baselines/lexiconV1';
import { domainLexicon, emptyLexiconDetail, lexicalForm, scoreSentiment, scoreTokens } from '../../models/sentiment/lexicon';
import { normalizeText } from '../../models/text/normalize';
import { tokenize } from '../../models/text/tokenize';
import { fuzzTexts, sharedTweetTexts } from '../helpers/textFuzz';

/**
 * The lexicon scorer was sped up (issue 12: one word-table lookup per word instead of five, the tokenizer's ASCII
 * fast path, normalizeText's skips). Its scores must be exactly those of the previous implementation, kept as
 * bench/baselines/lexiconV1.ts: compound, shares and label, and the per-item detail the classifier reads, with and
 * without a domain lexicon.
 */

const dev = sharedTweetTexts('sentiment-dev.tsv');
const fuzz = fuzzTexts(10_000, 3);
// words that the domain overrides or adds, including a booster, a negator, a phrase word and punctuation
const domain = domainLexicon({ sick: 3, happy: -2, so: 1.5, no: 0.5, wait: -1, the: 1, '!': 1, lit: 2.5, '😂': -3 });

describe('optimised lexicon = lexiconV1', () => {
  it('gives identical scores on every real dev tweet and on random texts', () => {
    expect(dev.length).toBeGreaterThan(20_000);
    let differ = 0;
    let first = '';
    for (const text of [...dev, ...fuzz]) {
      if (JSON.stringify(scoreSentiment(text)) !== JSON.stringify(scoreV1(text))) {
        if (differ++ === 0) first = text;
      }
    }
    expect(first).toBe('');
    expect(differ).toBe(0);
    // the scores are not all trivial: both signs occur
    const compounds = dev.map((t) => scoreSentiment(t).compound);
    expect(compounds.filter((c) => c > 0.43).length).toBeGreaterThan(3000);
    expect(compounds.filter((c) => c < 0).length).toBeGreaterThan(2000);
  });

  it('gives identical scores with a domain lexicon', () => {
    for (const text of [...dev.slice(0, 5000), ...fuzz.slice(0, 5000)]) {
      expect(scoreSentiment(text, domain), text).toStrictEqual(scoreV1(text, domain));
    }
  });

  it('fills the same per-item detail from the same tokens, and picks the same lexical forms', () => {
    for (const text of [...dev.slice(0, 5000), ...fuzz.slice(0, 3000)]) {
      const tokens = tokenize(normalizeText(text));
      for (const d of [null, domain]) {
        const a = emptyLexiconDetail();
        const b = emptyDetailV1();
        expect(scoreTokens(tokens, a, d)).toStrictEqual(scoreTokensV1(tokens, b, d));
        expect(a).toStrictEqual(b);
      }
      for (const t of tokens) if (t.forms !== undefined) expect(t.forms).toContain(lexicalForm(t));
    }
  });
});
