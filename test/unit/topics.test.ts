import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateTopics } from '../../cli/eval/topics';
import { readTableAll } from '../../lib/tabular';
import { normalizedMutualInformation } from '../../models/eval/clustering';
import { createRng } from '../../models/random';
import { fitTopicModel, loadTopicModel, type TopicMethod } from '../../models/topics/lda';
import { npmiCoherence, topicDiversity } from '../../models/topics/metrics';
import { extractTerms, Vocabulary } from '../../models/topics/terms';

describe('extractTerms', () => {
  it('keeps content words and hashtags, drops urls, mentions, numbers, stopwords and 1-char tokens', () => {
    const text = "RT @apple: The new #iPhone's camera is AMAZING http://t.co/xyz 2nd time &amp; 100 x via @bob";
    expect(extractTerms(text)).toEqual(['new', 'iphone', 'camera', 'amazing', 'time']);
  });
  it('treats curly apostrophes like straight ones and strips the possessive', () => {
    expect(extractTerms('Apple’s watch isn’t cheap')).toEqual(['apple', 'watch', 'cheap']);
  });
  it('keeps non-Latin words', () => {
    expect(extractTerms('Привет мир naïve café')).toEqual(['привет', 'мир', 'naïve', 'café']);
  });
});

describe('topics in every script (case 05-hindi-topics-matras)', () => {
  const dir = path.join(__dirname, '..', 'fixtures', 'cases', '05-hindi-topics-matras');

  it('separates the Hindi posts as well as their English control, with whole words as terms', async () => {
    const hindi = await evaluateTopics({ data: path.join(dir, 'posts.tsv'), k: 2 });
    const english = await evaluateTopics({ data: path.join(dir, 'control-english.tsv'), k: 2 });
    expect(english.nmi).toBe(1);
    expect(hindi.nmi).toBe(1);
    const terms = hindi.topics.flatMap((t) => t.terms);
    for (const word of ['क्रिकेट', 'मैच', 'चुनाव', 'मतदान']) expect(terms).toContain(word);
    // every term is a whole space-separated word of some post, never a fragment such as "मतद" or "रच"
    const rows = await readTableAll(path.join(dir, 'posts.tsv'));
    const whole = new Set(rows.flatMap((r) => r.text!.split(' ')));
    expect(terms.filter((t) => !whole.has(t))).toEqual([]);
    expect(terms).not.toContain('मतद');
  });
});

describe('Vocabulary', () => {
  const docs = [
    ['apple', 'pie', 'common'],
    ['apple', 'tart', 'common'],
    ['pear', 'pie', 'common'],
    ['rare', 'common'],
  ];
  it('prunes by minimum document frequency and maximum document ratio, most frequent first', () => {
    const v = Vocabulary.build(docs, { minDf: 2, maxDfRatio: 0.9 });
    expect(v.terms).toEqual(['apple', 'pie']);
    expect(Vocabulary.build(docs, { minDf: 1, maxDfRatio: 1 }).terms[0]).toBe('common');
    expect(Vocabulary.build(docs, { minDf: 1, maxDfRatio: 1, maxSize: 2 }).size).toBe(2);
  });
  it('encodes to Int32Array and drops unknown terms', () => {
    const v = Vocabulary.build(docs, { minDf: 2, maxDfRatio: 0.9 });
    const encoded = v.encode(['pie', 'unknown', 'apple', 'pie']);
    expect(encoded).toBeInstanceOf(Int32Array);
    expect(Array.from(encoded)).toEqual([1, 0, 1]);
    expect(v.id('unknown')).toBe(-1);
  });
});

/** 3 topics with disjoint 20-word vocabularies; each post draws 8 words from its topic. */
function syntheticCorpus(docsPerTopic: number, seed: number) {
  const rng = createRng(seed);
  const vocab = Array.from({ length: 60 }, (_, i) => `w${i}`);
  const documents: Int32Array[] = [];
  const labels: number[] = [];
  for (let d = 0; d < 3 * docsPerTopic; d++) {
    const topic = d % 3;
    labels.push(topic);
    documents.push(Int32Array.from({ length: 8 }, () => topic * 20 + rng.int(20)));
  }
  return { vocab, documents, labels };
}

describe.each<TopicMethod>(['lda', 'dmm'])('%s topic model', (method) => {
  const { vocab, documents, labels } = syntheticCorpus(100, 7);
  const model = fitTopicModel(documents, 3, 50, { method, vocabulary: vocab, seed: 3 });

  it('recovers three planted topics (NMI > 0.9) with pure top terms', () => {
    expect(normalizedMutualInformation(Array.from(model.assignments), labels)).toBeGreaterThan(0.9);
    for (let t = 0; t < 3; t++) {
      const groups = new Set(model.topTermIds(t, 10).map((w) => Math.floor(w / 20)));
      expect(groups.size).toBe(1);
    }
    expect(model.topTerms(0, 3).every((term) => term.startsWith('w'))).toBe(true);
  });

  it('infers the topic of an unseen post from its words', () => {
    for (let group = 0; group < 3; group++) {
      const post = [group * 20 + 1, group * 20 + 5, group * 20 + 9, group * 20 + 13];
      const theta = model.infer(post);
      expect(theta.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
      expect(model.infer(post, 40)).toHaveLength(3);
      const topic = model.assign(post);
      expect(Math.floor(model.topTermIds(topic, 1)[0] / 20)).toBe(group);
      expect(theta[topic]).toBeGreaterThan(0.8);
    }
    // unknown ids are ignored; nothing known → a proper distribution
    const empty = model.infer([999, -1]);
    expect(empty.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
  });

  it('serializes and loads back to an equivalent model', () => {
    const bytes = model.serialize();
    expect(bytes).toBeInstanceOf(Uint8Array);
    const loaded = loadTopicModel(bytes);
    expect(loaded.method).toBe(method);
    expect(loaded.k).toBe(3);
    expect(loaded.alpha).toBe(model.alpha);
    expect(loaded.beta).toBe(model.beta);
    expect(Array.from(loaded.wordTopic)).toEqual(Array.from(model.wordTopic));
    expect(Array.from(loaded.topicDocs)).toEqual(Array.from(model.topicDocs));
    expect(loaded.topTerms(1, 5)).toEqual(model.topTerms(1, 5));
    const post = [3, 7, 11];
    expect(Array.from(loaded.infer(post, { seed: 5 }))).toEqual(Array.from(model.infer(post, { seed: 5 })));
    // a copy at an odd offset inside a bigger buffer loads too
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    expect(loadTopicModel(shifted.subarray(3)).topTerms(2, 5)).toEqual(model.topTerms(2, 5));
  });

  it('is deterministic for a seed', () => {
    const again = fitTopicModel(documents, 3, 50, { method, vocabulary: vocab, seed: 3 });
    expect(Array.from(again.assignments)).toEqual(Array.from(model.assignments));
  });
});

/** log Γ(x), Lanczos approximation (g = 7), accurate to ~1e-13 for x > 0 */
function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

describe.each<TopicMethod>(['lda', 'dmm'])('%s sampler', (method) => {
  // A corpus small enough to enumerate every topic assignment: the collapsed joint p(w, z) gives the
  // exact posterior over the observable topic-word count tables, which the sampler's final states
  // (over many seeds) must reproduce. A wrong bucket or count update shows up as a large distance.
  it('draws from the exact collapsed posterior on a tiny corpus', () => {
    const docs = [Int32Array.of(0, 1), Int32Array.of(0), Int32Array.of(1, 2, 2)];
    const k = 2;
    const V = 3;
    const alpha = 0.5;
    const beta = 0.3;
    const tokens = docs.flatMap((d, doc) => Array.from(d, (w) => ({ w, doc })));
    const units = method === 'lda' ? tokens.length : docs.length;
    const exact = new Map<string, number>();
    for (let code = 0; code < k ** units; code++) {
      const z = Array.from({ length: units }, (_, i) => Math.floor(code / k ** i) % k);
      const topicOf = tokens.map((t, i) => (method === 'lda' ? z[i] : z[t.doc]));
      const nwk = new Array<number>(V * k).fill(0);
      const nk = new Array<number>(k).fill(0);
      tokens.forEach((t, i) => {
        nwk[t.w * k + topicOf[i]]++;
        nk[topicOf[i]]++;
      });
      let lp = 0;
      for (let t = 0; t < k; t++) {
        lp += logGamma(V * beta) - logGamma(nk[t] + V * beta);
        for (let w = 0; w < V; w++) lp += logGamma(nwk[w * k + t] + beta) - logGamma(beta);
        if (method === 'dmm') lp += logGamma(z.filter((x) => x === t).length + alpha) - logGamma(alpha);
        else docs.forEach((_, d) => (lp += logGamma(tokens.filter((x, i) => x.doc === d && topicOf[i] === t).length + alpha) - logGamma(alpha)));
      }
      exact.set(nwk.join(','), (exact.get(nwk.join(',')) ?? 0) + Math.exp(lp));
    }
    const total = [...exact.values()].reduce((a, b) => a + b, 0);
    const runs = 10_000;
    const seen = new Map<string, number>();
    for (let seed = 1; seed <= runs; seed++) {
      const key = Array.from(fitTopicModel(docs, k, 7, { method, alpha, beta, seed, vocabSize: V }).wordTopic).join(',');
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    let tv = 0;
    for (const key of new Set([...exact.keys(), ...seen.keys()])) {
      tv += Math.abs((exact.get(key) ?? 0) / total - (seen.get(key) ?? 0) / runs) / 2;
    }
    // sampling noise alone gives ~0.01 here
    expect(tv).toBeLessThan(0.035);
  });
});

describe('topic model input checks', () => {
  it('rejects bad arguments and artifacts', () => {
    expect(() => fitTopicModel([Int32Array.of(0, 1)], 0, 10)).toThrow(/k must be/);
    expect(() => fitTopicModel([Int32Array.of(0, 5)], 2, 10, { vocabSize: 3 })).toThrow(/outside the vocabulary/);
    expect(() => loadTopicModel(new Uint8Array(64))).toThrow(/not a SocialSense topic model/);
  });
  it('handles empty documents', () => {
    const model = fitTopicModel([Int32Array.of(0, 1), new Int32Array(0), Int32Array.of(1, 2)], 2, 5, { method: 'lda' });
    expect(model.assignments.length).toBe(3);
  });
});

describe('npmiCoherence', () => {
  it('matches hand-computed values', () => {
    // a,b always together (NPMI 1); c,d never together (NPMI -1); e,f independent: p(e)=p(f)=1/2, p(ef)=1/4 → 0
    const docs = [['a', 'b', 'e', 'f'], ['a', 'b', 'e'], ['c', 'f'], ['d']];
    const r = npmiCoherence([['a', 'b'], ['c', 'd'], ['e', 'f']], docs);
    expect(r.perTopic[0]).toBeCloseTo(1, 10);
    expect(r.perTopic[1]).toBeCloseTo(-1, 10);
    expect(r.perTopic[2]).toBeCloseTo(0, 10);
    expect(r.mean).toBeCloseTo(0, 10);
  });
  it('averages over all pairs of the top N terms, counting each document once per term', () => {
    const docs = [['a', 'a', 'b'], ['a', 'b'], ['c'], ['c', 'd']];
    // ab: p(a)=p(b)=p(ab)=1/2 → 1; ac, bc: never → -1; mean (1 - 1 - 1) / 3
    expect(npmiCoherence([['a', 'b', 'c', 'd']], docs, 3).perTopic[0]).toBeCloseTo(-1 / 3, 10);
  });
});

describe('topicDiversity', () => {
  it('is the unique share of all top terms', () => {
    expect(topicDiversity([['a', 'b'], ['b', 'c']])).toBeCloseTo(0.75, 10);
    expect(topicDiversity([['a', 'b', 'c'], ['c', 'd', 'e']], 2)).toBe(1);
    expect(topicDiversity([])).toBe(0);
  });
});
