import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateSeededTopics, evaluateTopics, loadTopicCorpus, readTopicsFile } from '../../cli/eval/topics';
import { readTableAll } from '../../lib/tabular';
import { normalizedMutualInformation } from '../../models/eval/clustering';
import { createRng } from '../../models/random';
import { fitClusterTopics, topicModelFromAssignments } from '../../models/topics/clusterTopics';
import { inverseDocumentFrequency, sparseKMeans, tfidfKMeansBaseline, tfidfRows } from '../../models/topics/embedding';
import { fitTopicModel, loadTopicModel, type TopicMethod } from '../../models/topics/topicModel';
import { assignSeedTopics, parseSeedTopics } from '../../models/topics/seededTopics';
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
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
    9.9843695780195716e-6, 1.5056327351493116e-7,
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
    const r = npmiCoherence(
      [
        ['a', 'b'],
        ['c', 'd'],
        ['e', 'f'],
      ],
      docs,
    );
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
    expect(
      topicDiversity([
        ['a', 'b'],
        ['b', 'c'],
      ]),
    ).toBeCloseTo(0.75, 10);
    expect(
      topicDiversity(
        [
          ['a', 'b', 'c'],
          ['c', 'd', 'e'],
        ],
        2,
      ),
    ).toBe(1);
    expect(topicDiversity([])).toBe(0);
  });
});

describe('tf-idf rows', () => {
  it('uses the smoothed idf ln((1 + n) / (1 + df)) + 1 and unit-length rows', () => {
    const docs = [Int32Array.of(0, 1), Int32Array.of(0), Int32Array.of(0, 2, 2), new Int32Array(0)];
    const idf = inverseDocumentFrequency(docs, 3);
    expect(idf[0]).toBeCloseTo(Math.log(5 / 4) + 1, 12);
    expect(idf[1]).toBeCloseTo(Math.log(5 / 2) + 1, 12);
    const x = tfidfRows(docs, idf);
    expect(Array.from(x.rowStart)).toEqual([0, 2, 3, 5, 5]);
    // row 2: counts 1 and 2 times the idf, then divided by the norm
    const a = idf[0];
    const b = 2 * idf[2];
    expect(x.values[3]).toBeCloseTo(a / Math.hypot(a, b), 12);
    expect(x.values[4]).toBeCloseTo(b / Math.hypot(a, b), 12);
    expect(x.values[2]).toBe(1);
    expect(() => inverseDocumentFrequency([Int32Array.of(3)], 3)).toThrow(/outside the vocabulary/);
  });
});

describe('sparseKMeans', () => {
  // two tight groups on disjoint terms, and a third on a third term
  const docs = [
    ...Array.from({ length: 10 }, (_, i) => Int32Array.of(0, 1, i % 2 === 0 ? 0 : 1)),
    ...Array.from({ length: 10 }, (_, i) => Int32Array.of(2, 3, i % 3 === 0 ? 2 : 3)),
    ...Array.from({ length: 5 }, () => Int32Array.of(4)),
  ];
  const x = tfidfRows(docs, inverseDocumentFrequency(docs, 5));
  const truth = docs.map((_, i) => (i < 10 ? 0 : i < 20 ? 1 : 2));

  it.each([false, true])('finds the planted groups (spherical %s) and is deterministic for a seed', (spherical) => {
    const r = sparseKMeans(x, 3, { seed: 4, restarts: 3, spherical });
    expect(normalizedMutualInformation(Array.from(r.assignments), truth)).toBe(1);
    expect(r.inertia).toBeGreaterThanOrEqual(0);
    expect(Array.from(sparseKMeans(x, 3, { seed: 4, restarts: 3, spherical }).assignments)).toEqual(Array.from(r.assignments));
    // term-major centroids: term 4 weighs only in the cluster of the last five rows
    const c = r.assignments[24];
    for (let j = 0; j < 3; j++) expect(r.centroids[4 * 3 + j] > 0).toBe(j === c);
  });
  it('the baseline clusters plain tf-idf with Euclidean k-means', () => {
    expect(normalizedMutualInformation(Array.from(tfidfKMeansBaseline(docs, 5, 3, 2)), truth)).toBe(1);
  });
  it('rejects a k outside [1, rows]', () => {
    expect(() => sparseKMeans(x, 0)).toThrow(/k must be an integer in \[1, 25\]/);
    expect(() => sparseKMeans(x, 26)).toThrow(/k must be/);
    expect(() => sparseKMeans(x, 2, { restarts: 0 })).toThrow(/restarts/);
  });
});

describe('cluster topics (the default topic model)', () => {
  const { vocab, documents, labels } = syntheticCorpus(100, 11);
  const withEmpty = [...documents, new Int32Array(0)];

  it('with k given: recovers the planted topics, numbered by size, and leaves a post without terms unassigned', () => {
    const fit = fitClusterTopics(withEmpty, { k: 3, seed: 2, vocabulary: vocab });
    expect(fit.chosenBy).toBe('given');
    expect(fit.k).toBe(3);
    expect(fit.silhouette).toBeNull();
    expect(fit.unassigned).toBe(1);
    expect(fit.assignments[300]).toBe(-1);
    expect(normalizedMutualInformation(Array.from(fit.assignments.subarray(0, 300)), labels)).toBe(1);
    expect(Array.from(fit.model.topicDocs)).toEqual([100, 100, 100]);
    // label terms come from one planted topic each
    for (let t = 0; t < 3; t++) expect(new Set(fit.model.labelTermIds(t, 10).map((w) => Math.floor(w / 20))).size).toBe(1);
  });

  it('with k chosen by the model: the silhouette picks the 3 planted topics', () => {
    const fit = fitClusterTopics(documents, { seed: 1, vocabulary: vocab });
    expect(fit.chosenBy).toBe('silhouette');
    expect(fit.fineK).toBe(15); // min(⌈√300⌉, 300 / 20)
    expect(fit.k).toBe(3);
    expect(fit.candidates.map((c) => c.k)).toContain(3);
    const best = Math.max(...fit.candidates.map((c) => c.silhouette));
    expect(fit.silhouette).toBe(best);
    expect(normalizedMutualInformation(Array.from(fit.assignments), labels)).toBe(1);
  });

  it('same data and seed give the same topics; another seed agrees', () => {
    const a = fitClusterTopics(documents, { k: 6, seed: 5, vocabulary: vocab });
    const b = fitClusterTopics(documents, { k: 6, seed: 5, vocabulary: vocab });
    expect(Array.from(b.assignments)).toEqual(Array.from(a.assignments));
    expect(Array.from(b.model.wordTopic)).toEqual(Array.from(a.model.wordTopic));
    const other = fitClusterTopics(documents, { seed: 9, vocabulary: vocab });
    expect(normalizedMutualInformation(Array.from(other.assignments), Array.from(fitClusterTopics(documents, { seed: 1 }).assignments))).toBe(1);
  });

  it('stores a DMM-format artifact that loads back and assigns new posts to the right topic', () => {
    const fit = fitClusterTopics(documents, { k: 3, seed: 1, vocabulary: vocab });
    const loaded = loadTopicModel(fit.model.serialize());
    expect(loaded.method).toBe('dmm');
    expect(Array.from(loaded.wordTopic)).toEqual(Array.from(fit.model.wordTopic));
    for (let group = 0; group < 3; group++) {
      const post = [group * 20 + 2, group * 20 + 7, group * 20 + 15];
      const topic = loaded.assign(post);
      expect(Math.floor(loaded.labelTermIds(topic, 1)[0] / 20)).toBe(group);
    }
  });

  it('rejects bad options', () => {
    expect(() => fitClusterTopics(documents, { k: 1 })).toThrow(/k must be an integer >= 2/);
    expect(() => fitClusterTopics([Int32Array.of(0), Int32Array.of(1)], { k: 3 })).toThrow(/too few for 3 topics/);
    expect(() => fitClusterTopics([Int32Array.of(0, 5)], { vocabSize: 3 })).toThrow(/outside the vocabulary/);
    expect(() => topicModelFromAssignments([Int32Array.of(0)], [2], 2, 1, null)).toThrow(/outside \[-1, 2\)/);
  });
});

describe('label terms by class-based tf-idf', () => {
  it('ranks a term frequent in one topic above a term frequent in every topic', () => {
    // topic 0: "common" ×4, "own" ×3; topic 1: "common" ×4, "other" ×1
    const docs = [Int32Array.of(0, 0, 1), Int32Array.of(0, 0, 1, 1), Int32Array.of(0, 0, 0, 0, 2)];
    const model = topicModelFromAssignments(docs, [0, 0, 1], 2, 3, ['common', 'own', 'other']);
    expect(model.topTerms(0, 2)).toEqual(['common', 'own']);
    expect(model.labelTerms(0, 2)).toEqual(['own', 'common']);
    // scores: n_tw / n_t · log(1 + A / n_w), A = 6 tokens per topic on average
    const own = (3 / 7) * Math.log(1 + 6 / 3);
    const common = (4 / 7) * Math.log(1 + 6 / 8);
    expect(own).toBeGreaterThan(common);
    expect(model.labelTerms(1, 5)).toEqual(['common', 'other']);
  });
});

describe('predefined topics (seed terms)', () => {
  const dir = path.join(__dirname, '..', 'fixtures', 'seeded-topics');

  it('assigns posts to the named topics, including posts without a seed term, and the rest to other', async () => {
    const r = await evaluateSeededTopics(path.join(dir, 'posts.tsv'), path.join(dir, 'topics.json'));
    expect(r.n).toBe(20);
    expect(r.topics.map((t) => [t.name, t.posts])).toEqual([
      ['Cricket', 6],
      ['Elections', 6],
      ['Cooking', 6],
    ]);
    expect(r.other).toBe(2);
    expect(r.otherShare).toBe(0.1);
    expect(r.nmi).toBe(1); // the two unrelated posts are the file's "other" topic
    const corpus = await loadTopicCorpus(path.join(dir, 'posts.tsv'));
    const result = assignSeedTopics(corpus.documents, corpus.vocabulary, parseSeedTopics(readTopicsFile(path.join(dir, 'topics.json'))));
    // post 5 ("Bowling was brilliant in the final over of the match") has no seed term but joins Cricket;
    // post 15 ("Garlic butter pasta is the easiest dinner") joins Cooking; traffic and cat posts are other
    expect(result.assignments[4]).toBe(0);
    expect(result.assignments[14]).toBe(2);
    expect(result.assignments[18]).toBe(-1);
    expect(result.assignments[19]).toBe(-1);
  });

  it('reads both file shapes and rejects bad ones with what to fix', () => {
    expect(parseSeedTopics({ Cricket: ['cricket'], Food: ['recipe', 'dinner'] })).toEqual([
      { name: 'Cricket', terms: ['cricket'] },
      { name: 'Food', terms: ['recipe', 'dinner'] },
    ]);
    expect(() => parseSeedTopics([])).toThrow(/at least one topic/);
    expect(() => parseSeedTopics([{ terms: ['x'] }])).toThrow(/topic 1 has no "name"/);
    expect(() => parseSeedTopics([{ name: 'A', terms: [] }])).toThrow(/"A" needs "terms"/);
    expect(() =>
      parseSeedTopics([
        { name: 'A', terms: ['x'] },
        { name: 'A', terms: ['y'] },
      ]),
    ).toThrow(/listed twice/);
    const vocabulary = new Vocabulary(['cricket', 'match']);
    const docs = [Int32Array.of(0, 1)];
    expect(() => assignSeedTopics(docs, vocabulary, [{ name: 'Stop', terms: ['the', 'and'] }])).toThrow(/"Stop".*stop words/);
    expect(() => assignSeedTopics(docs, vocabulary, [{ name: 'Golf', terms: ['golf'] }])).toThrow(/"Golf": none of its terms \(golf\)/);
    const mixed = assignSeedTopics(docs, vocabulary, [{ name: 'Cricket', terms: ['#Cricket', 'wicket'] }]);
    expect(mixed.unknownTerms).toEqual({ Cricket: ['wicket'] });
    expect(Array.from(mixed.assignments)).toEqual([0]);
  });
});

describe('eval topics reports the baseline, seed agreement and unassigned share', () => {
  it('on the case-05 English control', async () => {
    const file = path.join(__dirname, '..', 'fixtures', 'cases', '05-hindi-topics-matras', 'control-english.tsv');
    const r = await evaluateTopics({ data: file, k: 2 });
    expect(r.method).toBe('clusters');
    expect(r.baseline.method).toBe('tfidf-kmeans');
    expect(r.baseline.k).toBe(2);
    expect(r.seedAgreement.seeds).toEqual([1, 2]);
    expect(r.seedAgreement.nmi).toBe(1);
    expect(r.unassignedShare).toBe(0);
    expect(r.largestTopicShare).toBeGreaterThan(0);
    expect(r.iterations).toBeNull();
    await expect(evaluateTopics({ data: file, k: 'auto', method: 'dmm' })).rejects.toThrow(/--k auto needs --method clusters/);
  });
});
