/**
 * Domain lexicons: a user's own words with valences, from a file (`--lexicon FILE`) or the
 * SOCIALSENSE_LEXICON setting. The words are applied by the lexicon (and the trained models'
 * lexicon features) and their digest is part of the recorded model name, so scores reproduce.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { extractFeatures } from '../../models/pipeline/features';
import { evaluateSentiment } from '../../cli/eval/sentiment';
import { configuredDomainLexicon, readDomainLexicon } from '../../lib/domainLexicon';
import { postSchema, type Post } from '../../lib/schema';
import { loadSentimentClassifier, trainSentimentClassifier } from '../../models/sentiment/classifier';
import { domainLexicon, lexiconModelName, parseDomainLexicon, scoreSentiment } from '../../models/sentiment/lexicon';
import { loadNeuralSentiment, trainNeuralSentiment } from '../../models/sentiment/neural';
import { syntheticSentiment } from '../helpers/sentimentSynthetic';

const fixture = (name: string) => path.join(__dirname, '..', 'fixtures', name);
const skate = readDomainLexicon(fixture('domain-lexicon-skate.tsv'));

describe('parseDomainLexicon', () => {
  it('reads tab, comma and space separated lines, skips comments and blank lines', () => {
    const d = parseDomainLexicon('# comment\nsick\t2.6\n\nGnarly, 2.2\nbail -1.8\n#Shred\t2\n');
    expect([...d.words.entries()]).toEqual([
      ['sick', 2.6],
      ['gnarly', 2.2],
      ['bail', -1.8],
    ]);
    expect(skate.words.get('shred')).toBe(2);
    expect(skate.words.size).toBe(6);
  });

  it('names the file and line of each problem', () => {
    expect(() => parseDomainLexicon('sick\t2\nfree fall\t-1\n', 'my.tsv')).toThrow(/my\.tsv: line 2: expected "word<TAB>valence", got "free fall\t-1"/);
    expect(() => parseDomainLexicon('sick\tvery\n', 'my.tsv')).toThrow(/line 1: valence of "sick" must be a number in \[-4, 4\].*got "very"/);
    expect(() => parseDomainLexicon('sick\t5\n', 'my.tsv')).toThrow(/must be a number in \[-4, 4\]/);
    expect(() => parseDomainLexicon('sick\n', 'my.tsv')).toThrow(/line 1: expected/);
    expect(() => parseDomainLexicon('# only a comment\n', 'empty.tsv')).toThrow(/empty\.tsv: no entries/);
    expect(() => readDomainLexicon('/nonexistent/lexicon.tsv')).toThrow(/cannot read the domain lexicon \/nonexistent\/lexicon\.tsv/);
  });

  it('has a digest of the word list itself: order-free, changed by any valence', () => {
    const a = parseDomainLexicon('sick\t2\ngnarly\t1\n');
    const b = parseDomainLexicon('gnarly,1\nsick 2\n');
    const c = parseDomainLexicon('sick\t2\ngnarly\t1.5\n');
    expect(a.digest).toMatch(/^[0-9a-f]{12}$/);
    expect(b.digest).toBe(a.digest);
    expect(c.digest).not.toBe(a.digest);
    expect(domainLexicon({ sick: 2, gnarly: 1 }).digest).toBe(a.digest);
    expect(lexiconModelName(a)).toBe(`lexicon.v1+domain.${a.digest}`);
    expect(lexiconModelName(null)).toBe('lexicon.v1');
  });
});

describe('scoring with a domain lexicon', () => {
  it('applies the domain words, overriding built-in valences', () => {
    // built in, "sick" is negative (VADER -2.0) and "bussin" unknown
    expect(scoreSentiment('that kickflip was sick').label).toBe('negative');
    expect(scoreSentiment('that kickflip was sick', skate).label).toBe('positive');
    expect(scoreSentiment('this burger is bussin').compound).toBe(0);
    expect(scoreSentiment('this burger is bussin', skate).compound).toBeGreaterThan(0.43);
    expect(scoreSentiment('took a slam on the rail', skate).label).toBe('negative');
    // a hashtag is looked up without its '#', elongations resolve to the domain word
    expect(scoreSentiment('#shred tonight', skate).compound).toBeGreaterThan(0);
    expect(scoreSentiment('so sickkkk', skate).compound).toBeCloseTo(scoreSentiment('so sick', skate).compound, 10);
  });

  it('negation and boosters work on domain words as on built-in ones', () => {
    expect(scoreSentiment('not sick at all', skate).compound).toBeLessThan(0);
    expect(scoreSentiment('really sick', skate).compound).toBeGreaterThan(scoreSentiment('sick', skate).compound);
  });

  it('leaves no trace: the next call without the lexicon scores as before', () => {
    const before = scoreSentiment('that kickflip was sick');
    scoreSentiment('that kickflip was sick', skate);
    expect(scoreSentiment('that kickflip was sick')).toEqual(before);
  });
});

describe('domain lexicon in eval, the pipeline and the trained models', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sentiment-domain-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('eval sentiment --lexicon: applied and named in the result', async () => {
    const test = fixture('domain-lexicon-skate.eval.tsv');
    const plain = await evaluateSentiment({ test, allLanguages: true });
    const domain = await evaluateSentiment({ test, lexicon: fixture('domain-lexicon-skate.tsv'), allLanguages: true });
    expect(plain.lexicon).toBe('lexicon.v1');
    expect(domain.lexicon).toBe(`lexicon.v1+domain.${skate.digest}`);
    expect(domain.kind === 'labels' && domain.accuracy).toBe(1);
    expect(plain.kind === 'labels' && plain.accuracy).toBeLessThan(0.6);
  });

  it('the features stage applies SOCIALSENSE_LEXICON and records its digest with the model', () => {
    const post: Post = postSchema.parse({
      id: 'x:1',
      platform: 'x',
      author: { id: 'a1', handle: 'a' },
      text: 'that kickflip was sick',
      lang: 'en',
      created_at: '2026-01-01T00:00:00Z',
    });
    const env = { SOCIALSENSE_LEXICON: fixture('domain-lexicon-skate.tsv') };
    const lexicon = configuredDomainLexicon(env);
    expect(lexicon?.digest).toBe(skate.digest);
    expect(configuredDomainLexicon({})).toBeNull();
    expect(() => configuredDomainLexicon({ SOCIALSENSE_LEXICON: '/nonexistent.tsv' })).toThrow(/SOCIALSENSE_LEXICON=\/nonexistent\.tsv: cannot read/);
    const [withDomain] = extractFeatures([post], { lexicon });
    const [without] = extractFeatures([post], {});
    expect(withDomain.features.sentiment).toMatchObject({ label: 'positive', model: `lexicon.v1+domain.${skate.digest}` });
    expect(without.features.sentiment).toMatchObject({ label: 'negative', model: 'lexicon.v1' });
  });

  it('trained models record the domain lexicon in their header and keep applying it after load', async () => {
    const set = syntheticSentiment(240, 1);
    const clf = trainSentimentClassifier(set.texts, set.labels, { seed: 1, hashBits: 12, epochs: 2, lexicon: skate });
    expect(clf.header.features.domainLexicon?.digest).toBe(skate.digest);
    expect(clf.header.features.domainLexicon?.words.sick).toBe(2.6);
    const loaded = loadSentimentClassifier(clf.serialize());
    const probe = ['that kickflip was sick', 'took a slam', 'meeting tuesday'];
    expect(loaded.predictBatch(probe)).toEqual(clf.predictBatch(probe));
    // the domain words change the features: the same training without them predicts otherwise
    const plain = trainSentimentClassifier(set.texts, set.labels, { seed: 1, hashBits: 12, epochs: 2 });
    expect(plain.predict('that kickflip was sick').probabilities).not.toEqual(clf.predict('that kickflip was sick').probabilities);
    const net = await trainNeuralSentiment(set.texts, set.labels, { seed: 1, hashBits: 10, dim: 8, hidden: 8, epochs: 2, lexicon: skate });
    expect(loadNeuralSentiment(net.serialize()).header.features.domainLexicon?.digest).toBe(skate.digest);
  }, 60_000);
});
