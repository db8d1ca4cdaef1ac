/**
 * The TensorFlow.js sentiment challenger (models/sentiment/neural.ts): it learns a separable set
 * well above chance, is deterministic given the seed, and its weights survive serialize → load;
 * the registry's loader tells its artifacts from the linear classifier's.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateSentiment } from '../../cli/eval/sentiment';
import { loadSentimentClassifier, trainSentimentClassifier } from '../../models/sentiment/classifier';
import { accuracy } from '../../models/sentiment/metrics';
import { isNeuralSentimentArtifact, loadNeuralSentiment, loadSentimentModel, loadTensorFlow, trainNeuralSentiment } from '../../models/sentiment/neural';
import { syntheticSentiment } from '../helpers/sentimentSynthetic';

const train = syntheticSentiment(300, 1);
const test = syntheticSentiment(90, 2);
// small and quick: the defaults are sized for 30k tweets
const opts = { seed: 3, hashBits: 12, dim: 16, hidden: 16, epochs: 12, learningRate: 0.01, embeddingLearningRate: 0.05 };

describe('neural sentiment (TensorFlow.js)', () => {
  it('loads TensorFlow.js on the CPU backend here (tfjs-node is not installed)', async () => {
    const { tf, backend } = await loadTensorFlow();
    expect(backend).toBe('cpu');
    expect(typeof tf.matMul).toBe('function');
  });

  it('learns a separable synthetic set well above chance (1/3)', async () => {
    const net = await trainNeuralSentiment(train.texts, train.labels, opts);
    const predicted = net.predictBatch(test.texts).map((p) => p.label);
    expect(accuracy(test.labels, predicted)).toBeGreaterThanOrEqual(0.9);
    const p = net.predict('what a wonderful and lovely day').probabilities;
    expect(p.negative + p.neutral + p.positive).toBeCloseTo(1, 6);
    expect(p.positive).toBeGreaterThan(0.5);
    expect(net.header.training.backend).toBe('cpu');
    expect(net.header.training.holdout).toBe(30);
    expect(net.header.hyperparameters.seed).toBe(3);
  }, 60_000);

  it('is deterministic given the seed, and another seed gives other weights', async () => {
    const a = await trainNeuralSentiment(train.texts, train.labels, opts);
    const b = await trainNeuralSentiment(train.texts, train.labels, opts);
    expect(b.predictBatch(test.texts)).toEqual(a.predictBatch(test.texts));
    const c = await trainNeuralSentiment(train.texts, train.labels, { ...opts, seed: 4 });
    expect(c.predict(test.texts[0]).probabilities).not.toEqual(a.predict(test.texts[0]).probabilities);
  }, 60_000);

  it('round-trips its weights through serialize → load', async () => {
    const net = await trainNeuralSentiment(train.texts, train.labels, opts);
    const bytes = net.serialize();
    // Float32 embedding table (2^12 x 16) dominates, plus the dense layers and a JSON header
    expect(bytes.length).toBeGreaterThan((1 << 12) * 16 * 4);
    expect(bytes.length).toBeLessThan(((1 << 12) * 16 + 16 * 16 + 16 + 16 * 3 + 3) * 4 + 4096);
    const loaded = loadNeuralSentiment(bytes.slice());
    expect(loaded.header).toEqual(net.header);
    expect(loaded.predictBatch(test.texts)).toEqual(net.predictBatch(test.texts));
    // and a second round trip writes the same bytes
    expect(Buffer.from(loaded.serialize()).equals(Buffer.from(bytes))).toBe(true);
  }, 60_000);

  it('the registry loader tells neural from linear artifacts; bad bytes are refused', async () => {
    const net = await trainNeuralSentiment(train.texts, train.labels, { ...opts, epochs: 2 });
    const linear = trainSentimentClassifier(train.texts, train.labels, { seed: 1, hashBits: 12, epochs: 2 });
    expect(isNeuralSentimentArtifact(net.serialize())).toBe(true);
    expect(isNeuralSentimentArtifact(linear.serialize())).toBe(false);
    expect(loadSentimentModel(net.serialize()).header.format).toBe('socialsense-sentiment-neural');
    expect(loadSentimentModel(linear.serialize()).header.format).toBe('socialsense-sentiment-classifier');
    expect(() => loadNeuralSentiment(net.serialize().subarray(0, 2000))).toThrow(/truncated/);
    expect(() => loadNeuralSentiment(linear.serialize())).toThrow(/not a neural sentiment model/);
    expect(() => loadSentimentClassifier(net.serialize())).toThrow(/not a sentiment classifier/);
  }, 60_000);

  it('tunes on an explicit held-out part (never trained on) and folds the prior offsets into the output bias', async () => {
    const hold = syntheticSentiment(30, 8);
    const plain = await trainNeuralSentiment(train.texts, train.labels, { ...opts, holdout: hold });
    expect(plain.header.training).toMatchObject({ examples: 300, holdout: 30, priorOffsets: [0, 0, 0] });
    // posts without cue words, labelled negative in the held-out part: a shift toward negative is the only way to get them
    const vague = ['the team and we', 'it was that', 'our team today', 'a day and it', 'we and our', 'that was it today'];
    const skewed = {
      texts: [...hold.texts, ...vague, ...vague],
      labels: [...hold.labels, ...vague.map(() => 'negative' as const), ...vague.map(() => 'negative' as const)],
    };
    const shifted = await trainNeuralSentiment(train.texts, train.labels, { ...opts, holdout: skewed, priorAdjust: true });
    const [neg, neu] = shifted.header.training.priorOffsets;
    expect(neu).toBe(0);
    expect(neg).toBeGreaterThan(0);
    // the offsets are part of the saved weights: the loaded model predicts the same
    expect(loadNeuralSentiment(shifted.serialize()).predictBatch(vague)).toEqual(shifted.predictBatch(vague));
    await expect(trainNeuralSentiment(train.texts, train.labels, { ...opts, holdout: { texts: ['a'], labels: [] } })).rejects.toThrow(
      /holdout texts and labels differ/,
    );
  }, 60_000);

  it('refuses bad training input with a clear message', async () => {
    await expect(trainNeuralSentiment(['a'], [])).rejects.toThrow(/1 texts but 0 labels/);
    await expect(trainNeuralSentiment([], [])).rejects.toThrow(/no training examples/);
    await expect(trainNeuralSentiment(['a'], ['positive'], { dim: 0 })).rejects.toThrow(/dim must be a positive integer/);
  });
});

describe('eval sentiment --model neural', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sentiment-neural-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const tsv = (name: string, set: { texts: string[]; labels: string[] }) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, 'text\tlabel\n' + set.texts.map((t, i) => `${t}\t${set.labels[i]}`).join('\n') + '\n');
    return file;
  };

  it('trains on --train, scores --test, and prints the lexicon baseline from the same run', async () => {
    // the CLI uses the default (30k-tweet) sizes; the synthetic set is separable enough for them
    const r = await evaluateSentiment({
      test: tsv('test.tsv', test),
      train: tsv('train.tsv', syntheticSentiment(900, 5)),
      model: 'neural',
      allLanguages: true,
    });
    expect(r).toMatchObject({ kind: 'labels', model: 'neural', n: 90, backend: 'cpu', lexicon: 'lexicon.v1' });
    expect(r.trainSeconds).toBeGreaterThan(0);
    expect(r.kind === 'labels' && r.macroRecall).toBeGreaterThanOrEqual(0.9);
    expect(r.baseline).toMatchObject({ name: 'lexicon' });
    expect(r.baseline && 'macroRecall' in r.baseline && r.baseline.macroRecall).toBeGreaterThan(0);
  }, 120_000);

  it('needs --train', async () => {
    await expect(evaluateSentiment({ test: tsv('t.tsv', test), model: 'neural' })).rejects.toThrow(/--model neural needs --train/);
    await expect(evaluateSentiment({ test: tsv('t2.tsv', test), model: 'cnn' as never })).rejects.toThrow(/--model must be one of lexicon, trained, neural/);
  });
});
