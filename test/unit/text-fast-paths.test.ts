import { describe, expect, it } from 'vitest';
import { extractEntities as extractEntitiesV1 } from '../../bench/baselines/normalizeV1';
import { sanitizeDeep as sanitizeDeepV1, sanitizeIdentifier as sanitizeIdentifierV1, sanitizeText as sanitizeTextV1 } from '../../bench/baselines/sanitizeV1';
import { tokenize as tokenizeV1 } from '../../bench/baselines/tokenizeV1';
import { extractEntities, normalizeText } from '../../models/text/normalize';
import { sanitizeDeep, sanitizeIdentifier, sanitizeText } from '../../models/text/sanitize';
import { tokenize } from '../../models/text/tokenize';
import { fuzzTexts, normalizeV1AsNow, sharedTweetTexts } from '../helpers/textFuzz';

/**
 * The text helpers skip work that provably changes nothing (issue 12: preprocess and sentiment speed). Each is
 * compared here with its frozen previous implementation (bench/baselines/*V1.ts) on every tweet of the shared data
 * and on seeded random texts built to hit every branch: the outputs must be identical, but for one change on purpose:
 * normalizeText writes styled letters plain (normalizeV1AsNow).
 */

const tweets = sharedTweetTexts('sentiment-dev.tsv', 'sentiment-train.tsv');
const fuzz = fuzzTexts(20_000, 7);
const inputs = [...tweets, ...fuzz];

/** First input on which `a` and `b` disagree (compared as JSON, plus key order), or null. */
function firstDifference<T>(texts: readonly string[], a: (t: string) => T, b: (t: string) => T): string | null {
  for (const t of texts) {
    if (JSON.stringify(a(t)) !== JSON.stringify(b(t))) return t;
  }
  return null;
}

describe('text fast paths agree with the previous implementation', () => {
  it('has enough inputs of every kind', () => {
    expect(tweets.length).toBeGreaterThan(50_000);
    expect(fuzz.filter((t) => /[\u0000-\u001f]/.test(t)).length).toBeGreaterThan(1000);
    expect(fuzz.filter((t) => /[\ud800-\udfff]/.test(t)).length).toBeGreaterThan(1000);
  });

  it('sanitizeText, sanitizeIdentifier and sanitizeDeep', () => {
    expect(firstDifference(inputs, sanitizeText, sanitizeTextV1)).toBeNull();
    expect(firstDifference(inputs, sanitizeIdentifier, sanitizeIdentifierV1)).toBeNull();
    const record = (t: string) => ({ [t.slice(0, 3)]: t, nested: { list: [t, 1, null, { [t]: [t] }] }, n: 2 });
    expect(
      firstDifference(
        inputs.slice(0, 40_000),
        (t) => sanitizeDeep(record(t)),
        (t) => sanitizeDeepV1(record(t)),
      ),
    ).toBeNull();
    // a clean record comes back as itself, a dirty one as a copy (as before)
    const clean = record('fine 😂');
    expect(sanitizeDeep(clean)).toBe(clean);
    const dirty = record('bad \u0000');
    expect(sanitizeDeep(dirty)).not.toBe(dirty);
    expect(sanitizeDeep(dirty)).toEqual(sanitizeDeepV1(dirty));
  });

  it('normalizeText (with and without decoding) and extractEntities', () => {
    expect(firstDifference(inputs, normalizeText, normalizeV1AsNow)).toBeNull();
    expect(
      firstDifference(
        inputs,
        (t) => normalizeText(t, { decode: false }),
        (t) => normalizeV1AsNow(t, { decode: false }),
      ),
    ).toBeNull();
    expect(firstDifference(inputs, extractEntities, extractEntitiesV1)).toBeNull();
    expect(
      firstDifference(
        inputs,
        (t) => extractEntities(normalizeText(t)),
        (t) => extractEntitiesV1(normalizeV1AsNow(t)),
      ),
    ).toBeNull();
  });

  it('tokenize, on raw and on normalised text', () => {
    expect(firstDifference(inputs, tokenize, tokenizeV1)).toBeNull();
    expect(
      firstDifference(
        inputs,
        (t) => tokenize(normalizeText(t)),
        (t) => tokenizeV1(normalizeV1AsNow(t)),
      ),
    ).toBeNull();
    // key order and optional keys too (JSON.stringify above drops nothing that is set)
    const sample = 'xD THE besttt #CamelCase 😂 http://a.b o.O';
    expect(tokenize(sample)).toStrictEqual(tokenizeV1(sample));
  });

  it('skips NFC only where it is the identity: every code point and every pair below U+0300', () => {
    // normalizeText skips String.prototype.normalize for text made only of code points below U+0300
    for (let a = 0; a < 0x300; a++) {
      const ca = String.fromCharCode(a);
      expect(ca.normalize('NFC')).toBe(ca);
      for (let b = 0; b < 0x300; b++) {
        const pair = ca + String.fromCharCode(b);
        if (pair.normalize('NFC') !== pair) throw new Error(`U+${a.toString(16)} U+${b.toString(16)} changes under NFC`);
      }
    }
  });
});
