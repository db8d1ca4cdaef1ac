/**
 * The neural sentiment challenger, built with TensorFlow.js: a fastText-style network trained from
 * scratch. Each post is the weighted average of learnt embeddings of its hashed features (the
 * linear classifier's features: word uni/bigrams with negation marking, character 3-5-grams,
 * lexicon scores; see `hashedFeatures`), followed by a ReLU hidden layer and a softmax over the
 * three classes. Loss: class-balanced cross-entropy (macro recall rewards it).
 *
 * Who computes what. The dense layers, their gradients (autodiff) and their Adam updates run in
 * TensorFlow.js. The embedding table does not: tfjs's CPU backend computes the gradient of
 * `gather` with an UnsortedSegmentSum kernel that loops over every row of the table (O(rows x
 * batch) per step: minutes per step for 2^17 rows), so the embedding bag is summed here and its
 * rows are updated sparsely (AdaGrad) from the gradient tfjs returns for the bag. With
 * `@tensorflow/tfjs-node` installed, loadTensorFlow() uses it (native kernels) and nothing else
 * changes.
 *
 * Scoring needs no TensorFlow: the forward pass is a few hundred multiply-adds per feature, done
 * on typed arrays, so a loaded model scores synchronously (like SentimentClassifier).
 *
 * Deterministic given the seed on the CPU backend (initialisation, shuffles and updates are seeded
 * and sequential).
 */
import { sentimentLabels, type SentimentLabel } from '../../lib/schema';
import { createRng } from '../random';
import { readFloatArtifact, writeFloatArtifact, type FloatArtifactKind } from './artifact';
import type { DomainLexicon } from './lexicon';
import {
  bestPriorOffsets,
  featureConfig,
  hashedFeatures,
  loadSentimentClassifier,
  macroRecallOf,
  type FeatureConfig,
  type SentimentScorer,
  type SentimentPrediction,
} from './classifier';

/** The TensorFlow.js module (the API of @tensorflow/tfjs; tfjs-node exports the same one). */
export type TensorFlow = typeof import('@tensorflow/tfjs');

let tfLoaded: Promise<{ tf: TensorFlow; backend: string }> | null = null;

/**
 * Loads TensorFlow.js once: `@tensorflow/tfjs-node` (native TensorFlow) when it is installed,
 * else `@tensorflow/tfjs` on its pure-JavaScript CPU backend. `backend` names the one in use.
 */
export function loadTensorFlow(): Promise<{ tf: TensorFlow; backend: string }> {
  tfLoaded ??= (async () => {
    try {
      // a variable keeps TypeScript from resolving a package that is normally absent
      const nodeBinding = '@tensorflow/tfjs-node';
      const m = (await import(nodeBinding)) as TensorFlow & { default?: TensorFlow };
      const tf = m.default ?? m;
      await tf.ready();
      return { tf, backend: tf.getBackend() };
    } catch {
      const m = (await import('@tensorflow/tfjs')) as TensorFlow & { default?: TensorFlow };
      const tf = m.default ?? m;
      // PROD: no debug checks, and no console banner advising tfjs-node on every process start
      tf.env().set('PROD', true);
      await tf.setBackend('cpu');
      await tf.ready();
      return { tf, backend: tf.getBackend() };
    }
  })();
  return tfLoaded;
}

export interface NeuralSentimentOptions {
  seed?: number;
  /** log2 of the embedding table's rows (hash buckets) */
  hashBits?: number;
  /** embedding width */
  dim?: number;
  /** hidden ReLU units */
  hidden?: number;
  /** maximum passes; the best pass on the held-out part is kept */
  epochs?: number;
  batchSize?: number;
  /** Adam learning rate of the dense layers */
  learningRate?: number;
  /** AdaGrad learning rate of the embedding rows */
  embeddingLearningRate?: number;
  /** share of the training data held out (stratified) to pick the epoch */
  holdoutFraction?: number;
  /** explicit held-out data used instead of a random split (e.g. the newest slice: see tuneOnNewest) */
  holdout?: { texts: readonly string[]; labels: readonly SentimentLabel[] };
  /** shift the output biases to maximise macro recall on the held-out part (see bestPriorOffsets) */
  priorAdjust?: boolean;
  classBalanced?: boolean;
  charMin?: number;
  charMax?: number;
  /** the user's domain lexicon, applied by the lexicon features and recorded in the header */
  lexicon?: DomainLexicon | null;
  /** called after each epoch with the held-out macro recall (for logs; models/ never prints) */
  onEpoch?: (epoch: number, holdoutMacroRecall: number) => void;
}

export interface NeuralHeader {
  format: 'socialsense-sentiment-neural';
  version: 1;
  classes: SentimentLabel[];
  features: FeatureConfig;
  dim: number;
  hidden: number;
  hyperparameters: Record<string, number | boolean>;
  training: { examples: number; holdout: number; epochs: number; holdoutMacroRecall: number; priorOffsets: number[]; seconds: number; backend: string };
}

/** A trained neural model: scores like SentimentClassifier (synchronously, no TensorFlow needed). */
export interface NeuralSentimentModel extends SentimentScorer {
  readonly header: NeuralHeader;
}

const K = 3;
const MAGIC = 0x314e5353; // "SSN1" little-endian
const DEFAULTS = {
  seed: 1,
  hashBits: 17,
  dim: 32,
  hidden: 32,
  epochs: 8,
  batchSize: 64,
  // chosen on sentiment-train only (trained without its 2016 dev/devtest tweets, scored on them):
  // macro recall 0.5423 at (0.003, 0.05), 0.5468 at (0.001, 0.01), 0.5495 at (0.001, 0.005)
  learningRate: 0.001,
  embeddingLearningRate: 0.005,
  holdoutFraction: 0.1,
  priorAdjust: false,
  classBalanced: true,
  charMin: 3,
  charMax: 5,
};

interface Params {
  embedding: Float32Array; // rows x dim
  w1: Float32Array; // dim x hidden
  b1: Float32Array; // hidden
  w2: Float32Array; // hidden x K
  b2: Float32Array; // K
}

interface Csr {
  idx: Int32Array;
  val: Float32Array;
  offsets: Int32Array;
}

/** out[dim] = sum over the text's features of weight x embedding row */
function bagInto(p: Params, dim: number, f: Csr, e: number, out: Float32Array, at: number): void {
  out.fill(0, at, at + dim);
  for (let j = f.offsets[e]; j < f.offsets[e + 1]; j++) {
    const row = f.idx[j] * dim;
    const v = f.val[j];
    for (let d = 0; d < dim; d++) out[at + d] += v * p.embedding[row + d];
  }
}

function forward(p: Params, dim: number, hidden: number, bag: Float32Array, h: Float32Array, z: Float64Array): void {
  for (let k = 0; k < hidden; k++) {
    let s = p.b1[k];
    for (let d = 0; d < dim; d++) s += bag[d] * p.w1[d * hidden + k];
    h[k] = s > 0 ? s : 0;
  }
  for (let c = 0; c < K; c++) {
    let s = p.b2[c];
    for (let k = 0; k < hidden; k++) s += h[k] * p.w2[k * K + c];
    z[c] = s;
  }
  let max = z[0];
  for (let c = 1; c < K; c++) if (z[c] > max) max = z[c];
  let sum = 0;
  for (let c = 0; c < K; c++) sum += z[c] = Math.exp(z[c] - max);
  for (let c = 0; c < K; c++) z[c] /= sum;
}

function labelIndex(label: string): number {
  const i = (sentimentLabels as readonly string[]).indexOf(label);
  if (i < 0) throw new Error(`unknown sentiment label "${label}"; allowed: ${sentimentLabels.join(', ')}`);
  return i;
}

function predictIndices(p: Params, dim: number, hidden: number, f: Csr, rows: Int32Array): Int32Array {
  const bag = new Float32Array(dim);
  const h = new Float32Array(hidden);
  const z = new Float64Array(K);
  const out = new Int32Array(rows.length);
  rows.forEach((e, i) => {
    bagInto(p, dim, f, e, bag, 0);
    forward(p, dim, hidden, bag, h, z);
    out[i] = z[1] > z[0] ? (z[2] > z[1] ? 2 : 1) : z[2] > z[0] ? 2 : 0;
  });
  return out;
}

/** the logits (before softmax) of the given rows, 3 per row */
function heldOutLogits(p: Params, dim: number, hidden: number, f: Csr, rows: Int32Array): Float64Array {
  const bag = new Float32Array(dim);
  const h = new Float32Array(hidden);
  const z = new Float64Array(K);
  const out = new Float64Array(rows.length * K);
  rows.forEach((e, i) => {
    bagInto(p, dim, f, e, bag, 0);
    forward(p, dim, hidden, bag, h, z);
    // log-probabilities differ from the logits by a per-row constant: the argmax with offsets is the same
    for (let c = 0; c < K; c++) out[i * K + c] = Math.log(Math.max(z[c], 1e-30));
  });
  return out;
}

/**
 * Trains the network on labelled texts (never pass evaluation data: a stratified part of these is
 * held out to pick the epoch). Resolves to a model that scores synchronously.
 * Throws on mismatched or empty inputs and on an unknown label.
 */
export async function trainNeuralSentiment(
  texts: readonly string[],
  labels: readonly SentimentLabel[],
  opts: NeuralSentimentOptions = {},
): Promise<NeuralSentimentModel> {
  if (texts.length !== labels.length) throw new Error(`trainNeuralSentiment: ${texts.length} texts but ${labels.length} labels`);
  if (texts.length === 0) throw new Error('trainNeuralSentiment: no training examples');
  const o = { ...DEFAULTS, ...opts };
  for (const k of ['hashBits', 'dim', 'hidden', 'epochs', 'batchSize'] as const) {
    if (!(Number.isInteger(o[k]) && o[k] >= 1)) throw new Error(`trainNeuralSentiment: ${k} must be a positive integer, got ${o[k]}`);
  }
  const { tf, backend } = await loadTensorFlow();
  const t0 = performance.now();
  const cfg = featureConfig(o, opts.lexicon);
  if (opts.holdout !== undefined && opts.holdout.texts.length !== opts.holdout.labels.length)
    throw new Error('trainNeuralSentiment: holdout texts and labels differ in length');
  // an explicit held-out part is appended after the training rows (its rows are never trained on)
  const holdTexts = opts.holdout?.texts ?? [];
  const feats = hashedFeatures([...texts, ...holdTexts], cfg);
  const y = Int32Array.from([...labels, ...(opts.holdout?.labels ?? [])], labelIndex);
  const rng = createRng(o.seed);

  // stratified hold-out for the epoch choice
  let trainRows: number[] = [];
  const holdRows: number[] = [];
  if (holdTexts.length > 0) {
    for (let i = 0; i < texts.length; i++) trainRows.push(i);
    for (let i = texts.length; i < y.length; i++) holdRows.push(i);
  } else if (o.holdoutFraction > 0 && texts.length >= 30) {
    for (let c = 0; c < K; c++) {
      const members: number[] = [];
      for (let i = 0; i < y.length; i++) if (y[i] === c) members.push(i);
      rng.shuffle(members);
      const h = Math.round(members.length * o.holdoutFraction);
      members.forEach((m, i) => (i < h ? holdRows : trainRows).push(m));
    }
  } else {
    trainRows = Array.from({ length: texts.length }, (_, i) => i);
  }
  const holdIdx = Int32Array.from(holdRows.sort((a, b) => a - b));
  const classWeight = new Float32Array(K).fill(1);
  if (o.classBalanced) {
    const cnt = new Float64Array(K);
    for (const r of trainRows) cnt[y[r]]++;
    for (let c = 0; c < K; c++) classWeight[c] = cnt[c] > 0 ? trainRows.length / (K * cnt[c]) : 0;
  }

  const { dim, hidden } = o;
  const rows = 1 << o.hashBits;
  const embedding = new Float32Array(rows * dim);
  for (let i = 0; i < embedding.length; i++) embedding[i] = (rng.next() * 2 - 1) * 0.05;
  const embGrad2 = new Float32Array(rows * dim);
  // Glorot-uniform dense layers, seeded
  const glorot = (fanIn: number, fanOut: number) => {
    const a = Math.sqrt(6 / (fanIn + fanOut));
    return Float32Array.from({ length: fanIn * fanOut }, () => (rng.next() * 2 - 1) * a);
  };
  const w1 = tf.variable(tf.tensor2d(glorot(dim, hidden), [dim, hidden]));
  const b1 = tf.variable(tf.zeros([hidden]));
  const w2 = tf.variable(tf.tensor2d(glorot(hidden, K), [hidden, K]));
  const b2 = tf.variable(tf.zeros([K]));
  const optimizer = tf.train.adam(o.learningRate);
  const snapshot = async (): Promise<Params> => ({
    embedding,
    w1: (await w1.data()) as Float32Array,
    b1: (await b1.data()) as Float32Array,
    w2: (await w2.data()) as Float32Array,
    b2: (await b2.data()) as Float32Array,
  });

  type Tensor = import('@tensorflow/tfjs').Tensor;
  type Tensor2D = import('@tensorflow/tfjs').Tensor2D;
  /**
   * One batch's class-weighted cross-entropy as a function of the bag and the dense parameters:
   * tfjs differentiates it with respect to all of them at once (the bag's gradient feeds the
   * sparse embedding update, the others go to Adam).
   */
  const batchLoss = (oneHot: Tensor, weights: Tensor) =>
    tf.valueAndGrads((bag: Tensor, W1: Tensor, B1: Tensor, W2: Tensor, B2: Tensor) => {
      const hiddenOut = tf.relu(tf.add(tf.matMul(bag as Tensor2D, W1 as Tensor2D), B1));
      const logits = tf.add(tf.matMul(hiddenOut, W2 as Tensor2D), B2);
      return tf.losses.softmaxCrossEntropy(oneHot, logits, weights);
    });

  let best = { epoch: 0, recall: Number.NaN, params: null as Params | null };
  let epochsRun = 0;
  const order = trainRows.slice();
  try {
    for (let epoch = 1; epoch <= o.epochs; epoch++) {
      epochsRun = epoch;
      rng.shuffle(order);
      for (let start = 0; start < order.length; start += o.batchSize) {
        const batch = order.slice(start, Math.min(order.length, start + o.batchSize));
        const B = batch.length;
        const bag = new Float32Array(B * dim);
        const oneHot = new Float32Array(B * K);
        const weights = new Float32Array(B);
        const p = { embedding } as Params;
        batch.forEach((e, b) => {
          bagInto(p, dim, feats, e, bag, b * dim);
          oneHot[b * K + y[e]] = 1;
          weights[b] = classWeight[y[e]];
        });
        const bagT = tf.tensor2d(bag, [B, dim]);
        const oneHotT = tf.tensor2d(oneHot, [B, K]);
        const weightsT = tf.tensor1d(weights);
        const { value, grads } = batchLoss(oneHotT, weightsT)([bagT, w1, b1, w2, b2]);
        const gBag = grads[0].dataSync();
        optimizer.applyGradients([w1, b1, w2, b2].map((v, i) => ({ name: v.name, tensor: grads[i + 1] })));
        // sparse AdaGrad on the rows this batch touched: d loss / d row = weight x d loss / d bag
        batch.forEach((e, b) => {
          for (let j = feats.offsets[e]; j < feats.offsets[e + 1]; j++) {
            const row = feats.idx[j] * dim;
            const v = feats.val[j];
            for (let d = 0; d < dim; d++) {
              const g = v * gBag[b * dim + d];
              const acc = (embGrad2[row + d] += g * g);
              embedding[row + d] -= (o.embeddingLearningRate * g) / Math.sqrt(acc + 1e-8);
            }
          }
        });
        tf.dispose([bagT, oneHotT, weightsT, value, ...grads]);
      }
      if (holdIdx.length === 0) {
        best = { epoch, recall: Number.NaN, params: null };
        continue;
      }
      const params = await snapshot();
      const r = macroRecallOf(
        Array.from(holdIdx, (i) => y[i]),
        predictIndices(params, dim, hidden, feats, holdIdx),
      );
      o.onEpoch?.(epoch, r);
      if (!(r <= best.recall)) best = { epoch, recall: r, params: { ...params, embedding: embedding.slice() } };
      // two passes without improvement: later ones only overfit further
      else if (epoch - best.epoch >= 2) break;
    }
    const params = best.params ?? { ...(await snapshot()), embedding: embedding.slice() };
    // class-prior offsets chosen on the held-out part, folded into the output bias
    const offsets =
      o.priorAdjust && holdIdx.length > 0
        ? bestPriorOffsets(
            heldOutLogits(params, dim, hidden, feats, holdIdx),
            Int32Array.from(holdIdx, (i) => y[i]),
          )
        : [0, 0, 0];
    params.b2 = Float32Array.from(params.b2, (b, c) => b + offsets[c]);
    const header: NeuralHeader = {
      format: 'socialsense-sentiment-neural',
      version: 1,
      classes: [...sentimentLabels],
      features: cfg,
      dim,
      hidden,
      hyperparameters: {
        seed: o.seed,
        hashBits: o.hashBits,
        dim,
        hidden,
        epochs: o.epochs,
        batchSize: o.batchSize,
        learningRate: o.learningRate,
        embeddingLearningRate: o.embeddingLearningRate,
        holdoutFraction: o.holdoutFraction,
        priorAdjust: o.priorAdjust,
        classBalanced: o.classBalanced,
        charMin: o.charMin,
        charMax: o.charMax,
      },
      training: {
        examples: texts.length,
        holdout: holdIdx.length,
        epochs: best.epoch || epochsRun,
        holdoutMacroRecall: best.recall,
        priorOffsets: offsets,
        seconds: (performance.now() - t0) / 1000,
        backend,
      },
    };
    return makeModel(header, params);
  } finally {
    tf.dispose([w1, b1, w2, b2]);
    optimizer.dispose();
  }
}

function makeModel(header: NeuralHeader, p: Params): NeuralSentimentModel {
  const { dim, hidden } = header;
  const bag = new Float32Array(dim);
  const h = new Float32Array(hidden);
  const z = new Float64Array(K);
  const classes = header.classes;
  const predictBatch = (texts: readonly string[]): SentimentPrediction[] => {
    const f = hashedFeatures(texts, header.features);
    return texts.map((_, e) => {
      bagInto(p, dim, f, e, bag, 0);
      forward(p, dim, hidden, bag, h, z);
      let best = 0;
      for (let c = 1; c < K; c++) if (z[c] > z[best]) best = c;
      return { label: classes[best], probabilities: { negative: z[0], neutral: z[1], positive: z[2] } };
    });
  };
  return {
    header,
    predict: (text) => predictBatch([text])[0],
    predictBatch,
    serialize: () => serialize(header, p),
  };
}

// Serialisation: magic, header length, UTF-8 JSON header, padding to 4 bytes, then Float32 (LE)
// embedding, w1, b1, w2, b2.

function parts(p: Params): Float32Array[] {
  return [p.embedding, p.w1, p.b1, p.w2, p.b2];
}

function sizes(h: NeuralHeader): number[] {
  return [(1 << h.features.hashBits) * h.dim, h.dim * h.hidden, h.hidden, h.hidden * K, K];
}

function serialize(header: NeuralHeader, p: Params): Uint8Array {
  return writeFloatArtifact(MAGIC, header, parts(p));
}

const ARTIFACT: FloatArtifactKind = { magic: MAGIC, format: 'socialsense-sentiment-neural', loader: 'loadNeuralSentiment', what: 'neural sentiment model' };

/** Reads a model written by `serialize()`; throws on another format or a truncated file. */
export function loadNeuralSentiment(bytes: Uint8Array): NeuralSentimentModel {
  const { header, arrays } = readFloatArtifact<NeuralHeader>(bytes, ARTIFACT, sizes);
  return makeModel(header, { embedding: arrays[0], w1: arrays[1], b1: arrays[2], w2: arrays[3], b2: arrays[4] });
}

/** True when the bytes start like a neural model artifact (lets a loader pick the right reader). */
export function isNeuralSentimentArtifact(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true) === MAGIC;
}

/**
 * Loads a registered sentiment artifact of either kind (the registry's `sentiment` versions hold
 * linear classifiers and neural challengers alike), told apart by the magic number.
 */
export function loadSentimentModel(bytes: Uint8Array): SentimentScorer {
  return isNeuralSentimentArtifact(bytes) ? loadNeuralSentiment(bytes) : loadSentimentClassifier(bytes);
}
