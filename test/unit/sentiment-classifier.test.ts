/**
 * The linear sentiment classifier: no scratch state shared between models (issue 12: each model
 * owns its feature buffers, so models with different weights and feature settings give the same
 * predictions whether their calls are interleaved or not, and a model's word cache changes no
 * score), and the artifact version it reads.
 */
import { describe, expect, it } from 'vitest';
import { syntheticSentiment } from '../helpers/sentimentSynthetic';
import { loadSentimentClassifier, trainSentimentClassifier } from '../../models/sentiment/classifier';
import { readFloatArtifact, writeFloatArtifact } from '../../models/sentiment/artifact';
import { domainLexicon } from '../../models/sentiment/lexicon';
import type { SentimentLabel } from '../../lib/schema';

const flip: Record<SentimentLabel, SentimentLabel> = { positive: 'negative', negative: 'positive', neutral: 'neutral' };

describe('sentiment classifier scratch state', () => {
  const train = syntheticSentiment(240, 1);
  const test = syntheticSentiment(60, 2);
  const texts = [...test.texts, 'NOT good at all!!! 😡', 'soooo happyyyy #bestday', '', 'zorblax is glorp'];
  // A: 2^14 buckets, char 3-5-grams, a domain lexicon; B: 2^12 buckets, char 2-4-grams, the labels
  // flipped: the two differ in weights, feature layout and lexicon features.
  const a = trainSentimentClassifier(train.texts, train.labels, { seed: 3, hashBits: 14, epochs: 3, lexicon: domainLexicon({ zorblax: 3, glorp: 2 }) });
  const b = trainSentimentClassifier(
    train.texts,
    train.labels.map((l) => flip[l]),
    { seed: 4, hashBits: 12, epochs: 3, charMin: 2, charMax: 4 },
  );

  it('gives two models interleaved call by call the same results as each alone', () => {
    // each alone: a fresh copy of the model, nothing else scoring between its calls
    const aloneA = loadSentimentClassifier(a.serialize()).predictBatch(texts);
    const aloneB = loadSentimentClassifier(b.serialize()).predictBatch(texts);
    // the models really differ, so a shared buffer or lexicon state would show
    expect(aloneA.filter((p, i) => p.label !== aloneB[i].label).length).toBeGreaterThan(texts.length / 3);
    const interleavedA = [];
    const interleavedB = [];
    for (const t of texts) {
      interleavedA.push(a.predict(t));
      interleavedB.push(b.predict(t));
    }
    expect(interleavedA).toEqual(aloneA);
    expect(interleavedB).toEqual(aloneB);
    // batches of one model between single calls of the other
    for (let i = 0; i < texts.length; i += 7) {
      expect(b.predictBatch(texts.slice(i, i + 7))).toEqual(aloneB.slice(i, i + 7));
      expect(a.predict(texts[i])).toEqual(aloneA[i]);
    }
  });

  it('scores the same after its word cache fills and is emptied', () => {
    const fresh = loadSentimentClassifier(a.serialize());
    const probe = texts.slice(0, 10);
    const before = probe.map((t) => fresh.predict(t));
    // 40,000 distinct words: more than the cache keeps (2^15), so it is emptied on the way
    for (let i = 0; i < 10_000; i++) fresh.predict(`w${i}a w${i}b w${i}c w${i}d`);
    expect(probe.map((t) => fresh.predict(t))).toEqual(before);
    expect(before).toEqual(loadSentimentClassifier(a.serialize()).predictBatch(probe));
  });

  it('applies each model its own domain lexicon', () => {
    expect(a.header.features.domainLexicon?.words).toEqual({ zorblax: 3, glorp: 2 });
    expect(b.header.features.domainLexicon).toBeUndefined();
    // the same weights without the domain words score the domain words' post differently
    const bytes = a.serialize();
    const magic = new DataView(bytes.buffer).getUint32(0, true);
    const { header, arrays } = readFloatArtifact<typeof a.header>(bytes, { magic, format: a.header.format, loader: 't', what: 't' }, () => [(1 << 14) * 3]);
    const plain = loadSentimentClassifier(writeFloatArtifact(magic, { ...header, features: { ...header.features, domainLexicon: undefined } }, arrays));
    expect(plain.predict('zorblax is glorp').probabilities).not.toEqual(a.predict('zorblax is glorp').probabilities);
    // and interleaving the two does not leak A's words into the plain copy
    expect(plain.predict('zorblax is glorp')).toEqual(loadSentimentClassifier(plain.serialize()).predict('zorblax is glorp'));
  });
});

describe('sentiment classifier artifacts', () => {
  it('loads an older artifact (no priorOffsets) with the same scores, and rejects an unknown version', () => {
    const train = syntheticSentiment(240, 1);
    const test = syntheticSentiment(60, 2);
    const clf = trainSentimentClassifier(train.texts, train.labels, { seed: 7, hashBits: 13, epochs: 3 });
    expect(clf.header.version).toBe(1);
    const bytes = clf.serialize();
    const magic = new DataView(bytes.buffer).getUint32(0, true);
    const { header, arrays } = readFloatArtifact<typeof clf.header>(bytes, { magic, format: clf.header.format, loader: 't', what: 't' }, () => [(1 << 13) * 3]);
    // the header of artifacts written before priorAdjust: no priorOffsets
    const { priorOffsets: _p, ...training } = header.training;
    const old = loadSentimentClassifier(writeFloatArtifact(magic, { ...header, training }, arrays));
    expect(old.predictBatch(test.texts)).toEqual(clf.predictBatch(test.texts));
    expect(() => loadSentimentClassifier(writeFloatArtifact(magic, { ...header, version: 2 }, arrays))).toThrow(
      /unsupported format socialsense-sentiment-classifier version 2/,
    );
  });
});
