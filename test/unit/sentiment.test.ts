import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateSentiment } from '../../cli/eval/sentiment';
import type { SentimentLabel } from '../../lib/schema';
import { createRng } from '../../models/random';
import { loadSentimentClassifier, trainSentimentClassifier } from '../../models/sentiment/classifier';
import { NEGATIVE_THRESHOLD, POSITIVE_THRESHOLD, scoreSentiment } from '../../models/sentiment/lexicon';
import { accuracy, classificationMetrics, macroF1, macroRecall, pearson } from '../../models/sentiment/metrics';

const c = (text: string) => scoreSentiment(text).compound;

describe('lexicon scorer', () => {
  it('returns the documented shape with compound in [-1, 1]', () => {
    const s = scoreSentiment('I love this so much, best day ever!!! 😍😍');
    expect(Object.keys(s).sort()).toEqual(['compound', 'label', 'negative', 'neutral', 'positive']);
    expect(s.compound).toBeGreaterThan(0.9);
    expect(s.compound).toBeLessThanOrEqual(1);
    expect(s.label).toBe('positive');
    expect(s.positive + s.neutral + s.negative).toBeCloseTo(1, 6);
    expect(scoreSentiment('')).toEqual({ compound: 0, positive: 0, neutral: 0, negative: 0, label: 'neutral' });
    expect(scoreSentiment('The table is in the kitchen').label).toBe('neutral');
  });

  it('flips polarity under negation, within the clause only', () => {
    expect(c('The movie is good')).toBeGreaterThan(0);
    expect(c('The movie is not good')).toBeLessThan(0);
    expect(c("The movie isn't good")).toBeLessThan(0);
    expect(c('The movie is not bad')).toBeGreaterThan(0);
    // the comma ends the negation: "great" keeps its sign
    expect(c('Not that one, this is great')).toBeGreaterThan(0);
  });

  it('intensifies with boosters and softens with dampeners', () => {
    expect(c('The movie is very good')).toBeGreaterThan(c('The movie is good'));
    expect(c('The movie is slightly good')).toBeLessThan(c('The movie is good'));
    expect(c('The movie is extremely bad')).toBeLessThan(c('The movie is bad'));
  });

  it('shifts weight to what follows "but"', () => {
    expect(c('The food was good but the service was terrible')).toBeLessThan(0);
    expect(c('The service was terrible but the food was good')).toBeGreaterThan(0);
  });

  it('amplifies with ALL CAPS (among lowercase words) and exclamation marks', () => {
    expect(c('The movie is GOOD')).toBeGreaterThan(c('The movie is good'));
    expect(c('The movie is good!!!')).toBeGreaterThan(c('The movie is good'));
    expect(c('The movie is bad!!!')).toBeLessThan(c('The movie is bad'));
  });

  it('counts emoji, emoticons and social phrases', () => {
    expect(c('Got the results 😍')).toBeGreaterThan(0);
    expect(c('Got the results 😡')).toBeLessThan(0);
    expect(c('Got the results 👍👍')).toBeGreaterThan(c('Got the results 👍'));
    expect(c('Got the results :)')).toBeGreaterThan(0);
    expect(c("I can't wait for the weekend")).toBeGreaterThan(0);
    expect(c('#EpicFail again')).toBeLessThan(0);
  });

  it('labels with the thresholds tuned on the training set', () => {
    expect(NEGATIVE_THRESHOLD).toBeLessThanOrEqual(0);
    expect(POSITIVE_THRESHOLD).toBeGreaterThan(0);
    const s = scoreSentiment('I hate this');
    expect(s.label).toBe(s.compound < NEGATIVE_THRESHOLD ? 'negative' : 'neutral');
  });
});

describe('metrics', () => {
  const gold: SentimentLabel[] = ['negative', 'negative', 'neutral', 'positive'];
  const pred: SentimentLabel[] = ['negative', 'neutral', 'neutral', 'negative'];
  const classes: SentimentLabel[] = ['negative', 'neutral', 'positive'];

  it('computes recall, F1 and accuracy as by hand', () => {
    // recall: negative 1/2, neutral 1/1, positive 0/1; precision: 1/2, 1/2, 0
    const m = classificationMetrics(gold, pred, classes);
    expect(m.perClassRecall).toEqual({ negative: 0.5, neutral: 1, positive: 0 });
    expect(m.macroRecall).toBeCloseTo(0.5, 12);
    // F1: negative 0.5, neutral 2*(0.5*1)/1.5 = 2/3, positive 0
    expect(m.macroF1).toBeCloseTo((0.5 + 2 / 3 + 0) / 3, 12);
    expect(m.accuracy).toBe(0.5);
    expect(macroRecall(gold, pred, classes)).toBeCloseTo(0.5, 12);
    expect(macroF1(gold, pred, classes)).toBeCloseTo(0.3888888889, 9);
    expect(accuracy(gold, pred)).toBe(0.5);
  });

  it('computes Pearson r as by hand', () => {
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    // mean x 3, mean y 4; sxy 6, sxx 10, syy 6 → 6/sqrt(60)
    expect(pearson([1, 2, 3, 4, 5], [2, 4, 5, 4, 5])).toBeCloseTo(6 / Math.sqrt(60), 12);
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNaN();
  });

  it('rejects mismatched lengths and unknown gold labels', () => {
    expect(() => classificationMetrics(gold, pred.slice(1), classes)).toThrow(/4 gold values but 3 predictions/);
    expect(() => classificationMetrics(['bogus' as SentimentLabel], ['neutral'], classes)).toThrow(/bogus/);
  });
});

describe('trained classifier', () => {
  // a separable synthetic set: each class has its own cue words, plus shared filler
  function synthetic(n: number, seed: number): { texts: string[]; labels: SentimentLabel[] } {
    const rng = createRng(seed);
    const cues: Record<SentimentLabel, string[]> = {
      negative: ['awful', 'terrible', 'hate', 'worst', 'broken'],
      neutral: ['table', 'schedule', 'meeting', 'report', 'tuesday'],
      positive: ['lovely', 'wonderful', 'amazing', 'fantastic', 'delight'],
    };
    const filler = ['the', 'a', 'today', 'we', 'it', 'was', 'that', 'and', 'our', 'team'];
    const labels: SentimentLabel[] = [];
    const texts: string[] = [];
    const classes: SentimentLabel[] = ['negative', 'neutral', 'positive'];
    for (let i = 0; i < n; i++) {
      const label = classes[i % 3];
      const words = [rng.pick(cues[label]), rng.pick(filler), rng.pick(filler), rng.pick(cues[label]), rng.pick(filler)];
      rng.shuffle(words);
      texts.push(words.join(' '));
      labels.push(label);
    }
    return { texts, labels };
  }

  const train = synthetic(240, 1);
  const test = synthetic(60, 2);
  const clf = trainSentimentClassifier(train.texts, train.labels, { seed: 7, hashBits: 14, epochs: 4 });

  it('learns a separable set', () => {
    const predicted = clf.predictBatch(test.texts).map((p) => p.label);
    expect(accuracy(test.labels, predicted)).toBe(1);
    const p = clf.predict('what a wonderful and lovely day').probabilities;
    expect(p.negative + p.neutral + p.positive).toBeCloseTo(1, 6);
    expect(p.positive).toBeGreaterThan(0.5);
    expect(clf.header.hyperparameters.seed).toBe(7);
  });

  it('is deterministic given the seed', () => {
    const again = trainSentimentClassifier(train.texts, train.labels, { seed: 7, hashBits: 14, epochs: 4 });
    expect(again.predictBatch(test.texts)).toEqual(clf.predictBatch(test.texts));
  });

  it('survives serialize → load with identical predictions', () => {
    const bytes = clf.serialize();
    // Float32 weights dominate the size: 3 classes x 2^14 buckets x 4 bytes, plus a small JSON header
    expect(bytes.length).toBeLessThan(3 * (1 << 14) * 4 + 2048);
    const loaded = loadSentimentClassifier(bytes.slice());
    expect(loaded.header).toEqual(clf.header);
    expect(loaded.predictBatch(test.texts)).toEqual(clf.predictBatch(test.texts));
  });

  it('rejects bytes that are not a model, and bad training input', () => {
    expect(() => loadSentimentClassifier(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).toThrow(/not a sentiment classifier/);
    expect(() => loadSentimentClassifier(clf.serialize().subarray(0, 1000))).toThrow(/truncated/);
    expect(() => trainSentimentClassifier(['a'], [])).toThrow(/1 texts but 0 labels/);
    expect(() => trainSentimentClassifier(['a'], ['happy' as SentimentLabel])).toThrow(/allowed: negative, neutral, positive/);
  });
});

describe('eval sentiment errors', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sentiment-eval-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, content: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content);
    return file;
  };

  it('names a missing column', async () => {
    const file = write('nocol.tsv', 'id\tlabel\n1\tpositive\n');
    await expect(evaluateSentiment({ test: file })).rejects.toThrow(/missing column\(s\) text/);
    const nolabel = write('nolabel.tsv', 'id\ttext\n1\tgood day\n');
    await expect(evaluateSentiment({ test: nolabel })).rejects.toThrow(/needs a 'label' column .* or a numeric 'score' column/);
  });

  it('names the line of an unknown label and the allowed labels', async () => {
    const file = write('badlabel.tsv', 'text\tlabel\ngood day\tpositive\nmeh\tmixed\n');
    await expect(evaluateSentiment({ test: file })).rejects.toThrow(/line 3 has label "mixed"; allowed labels are negative, neutral, positive/);
  });

  it('requires --train for the trained model', async () => {
    const file = write('ok.tsv', 'text\tlabel\ngood day\tpositive\n');
    await expect(evaluateSentiment({ test: file, model: 'trained' })).rejects.toThrow(/--model trained needs --train/);
  });

  it('evaluates labels and scores on small files', async () => {
    const labelled = write('labels.tsv', 'text\tlabel\nI love it\tpositive\nI hate it\tnegative\n"the table, it is ""brown"""\tneutral\n');
    const r = await evaluateSentiment({ test: labelled });
    expect(r).toMatchObject({ kind: 'labels', model: 'lexicon', n: 3, macroRecall: 1, accuracy: 1 });
    const scored = write('scores.tsv', 'text\tscore\nI love it\t2\nI hate it\t-2\nthe table is brown\t0\n');
    const s = await evaluateSentiment({ test: scored });
    expect(s.kind).toBe('scores');
    expect(s.kind === 'scores' && s.pearson).toBeGreaterThan(0.9);
    expect(s.postsPerSecond).toBeGreaterThan(0);
  });
});
