/**
 * Topic models fitted by collapsed Gibbs sampling on typed arrays.
 *
 * Two samplers share one model type (topic-word counts, top terms, inference, serialisation):
 * - 'lda': Latent Dirichlet Allocation (Griffiths & Steyvers 2004), a mixture of topics per post.
 * - 'dmm': the Dirichlet Multinomial Mixture / GSDMM (Yin & Wang 2014), exactly one topic per post.
 *   A tweet has ~8 content words, too few to estimate a per-post topic mixture, so the one-topic
 *   assumption usually fits short texts better; cli/eval/topics.ts measures both.
 *
 * Documents are Int32Arrays of term ids (models/topics/terms.ts Vocabulary).
 */
import { createRng, type Rng } from '../random';

export type TopicMethod = 'lda' | 'dmm';

/**
 * One topic per post unless asked otherwise: on SemEval topics-dev (30k tweets) GSDMM recovers the
 * named topics clearly better than LDA (NMI ≈ 0.53 vs 0.44 at k = 20). The default topic model of the
 * pipeline and of `eval topics` is now models/topics/clusterTopics.ts (NMI 0.62 at k = 20), which
 * stores its result in this DMM format.
 */
export const DEFAULT_TOPIC_METHOD: TopicMethod = 'dmm';

export interface TopicModelOptions {
  /** default DEFAULT_TOPIC_METHOD */
  method?: TopicMethod;
  /**
   * Symmetric document-topic prior (LDA) or cluster-size prior (DMM). Default 0.1: the classic 50/k
   * assumes documents of hundreds of words; with ~8 words per post it would drown the post's own counts.
   */
  alpha?: number;
  /** Symmetric topic-word prior. Default 0.01 for LDA (Griffiths & Steyvers), 0.1 for DMM (Yin & Wang). */
  beta?: number;
  seed?: number;
  /** Term strings by id, stored with the model so that topTerms and a loaded artifact speak words. */
  vocabulary?: readonly string[];
  /** Number of term ids; defaults to vocabulary.length, or the largest id in the documents + 1. */
  vocabSize?: number;
}

export interface InferOptions {
  /** Gibbs sweeps for LDA fold-in (default 30); DMM inference is exact and ignores it. */
  iterations?: number;
  seed?: number;
}

const METHOD_CODES: TopicMethod[] = ['lda', 'dmm'];

export class TopicModel {
  /** term-major counts: wordTopic[w * k + t] = tokens of term w assigned to topic t */
  readonly wordTopic: Int32Array;
  readonly topicTotals: Int32Array;
  /** training documents per topic (their argmax topic); DMM uses it as the cluster-size prior */
  readonly topicDocs: Int32Array;
  private phiCache: Float64Array | null = null;

  constructor(
    readonly method: TopicMethod,
    readonly k: number,
    readonly vocabSize: number,
    readonly alpha: number,
    readonly beta: number,
    readonly seed: number,
    wordTopic: Int32Array,
    topicDocs: Int32Array,
    readonly terms: readonly string[] | null,
    /** topic of each training document (argmax theta); empty for a model loaded from bytes */
    readonly assignments: Int32Array = new Int32Array(0),
  ) {
    if (wordTopic.length !== k * vocabSize) throw new Error(`wordTopic has ${wordTopic.length} cells, expected ${k}×${vocabSize}`);
    this.wordTopic = wordTopic;
    this.topicDocs = topicDocs;
    this.topicTotals = new Int32Array(k);
    for (let w = 0; w < vocabSize; w++) for (let t = 0; t < k; t++) this.topicTotals[t] += wordTopic[w * k + t];
  }

  /** Term ids of a topic by decreasing count (ties: lower id first, i.e. the more frequent term). */
  topTermIds(topic: number, n: number): number[] {
    const { k, vocabSize, wordTopic } = this;
    const ids: number[] = [];
    for (let w = 0; w < vocabSize; w++) if (wordTopic[w * k + topic] > 0) ids.push(w);
    ids.sort((a, b) => wordTopic[b * k + topic] - wordTopic[a * k + topic] || a - b);
    return ids.slice(0, n);
  }

  topTerms(topic: number, n: number): string[] {
    return this.topTermIds(topic, n).map((id) => this.terms?.[id] ?? String(id));
  }

  /**
   * Label terms of a topic by class-based tf-idf (Grootendorst 2022, BERTopic's c-TF-IDF):
   * score(w, t) = n_tw / n_t · log(1 + A / n_w), with n_w the term's count over all topics and A the mean
   * number of tokens per topic. A term frequent everywhere ranks below one frequent in this topic only,
   * so labels name what sets a topic apart. Ties: lower id first. Terms are already free of stop words,
   * URLs and numbers (models/topics/terms.ts).
   */
  labelTermIds(topic: number, n: number): number[] {
    const { k, vocabSize, wordTopic, topicTotals } = this;
    if (topicTotals[topic] === 0) return [];
    let all = 0;
    for (let t = 0; t < k; t++) all += topicTotals[t];
    const meanTokens = all / k;
    const scores = new Float64Array(vocabSize);
    const ids: number[] = [];
    for (let w = 0; w < vocabSize; w++) {
      const c = wordTopic[w * k + topic];
      if (c === 0) continue;
      let total = 0;
      for (let t = 0; t < k; t++) total += wordTopic[w * k + t];
      scores[w] = (c / topicTotals[topic]) * Math.log(1 + meanTokens / total);
      ids.push(w);
    }
    ids.sort((a, b) => scores[b] - scores[a] || a - b);
    return ids.slice(0, n);
  }

  /** labelTermIds as strings */
  labelTerms(topic: number, n: number): string[] {
    return this.labelTermIds(topic, n).map((id) => this.terms?.[id] ?? String(id));
  }

  /** p(term | topic), term-major like wordTopic, computed once for inference. */
  private phi(): Float64Array {
    if (this.phiCache) return this.phiCache;
    const { k, vocabSize, beta } = this;
    const phi = new Float64Array(k * vocabSize);
    const vb = vocabSize * beta;
    for (let w = 0; w < vocabSize; w++) {
      for (let t = 0; t < k; t++) phi[w * k + t] = (this.wordTopic[w * k + t] + beta) / (this.topicTotals[t] + vb);
    }
    this.phiCache = phi;
    return phi;
  }

  /**
   * Topic distribution of a new post with the topic-word counts frozen. LDA: fold-in Gibbs sampling
   * averaging the per-token conditionals after burn-in; DMM: the exact posterior over clusters.
   * Unknown term ids are ignored; a post without known terms gets the prior.
   */
  infer(document: ArrayLike<number>, options: number | InferOptions = {}): Float64Array {
    const opts = typeof options === 'number' ? { iterations: options } : options;
    const tokens = Array.from(document).filter((w) => w >= 0 && w < this.vocabSize);
    return this.method === 'dmm' ? this.inferDmm(tokens) : this.inferLda(tokens, opts);
  }

  /** argmax of infer() */
  assign(document: ArrayLike<number>, options: number | InferOptions = {}): number {
    return argmax(this.infer(document, options));
  }

  private inferLda(tokens: number[], opts: InferOptions): Float64Array {
    const { k, alpha } = this;
    const theta = new Float64Array(k);
    if (tokens.length === 0) return theta.fill(1 / k);
    const phi = this.phi();
    const iterations = Math.max(2, opts.iterations ?? 30);
    const burnIn = Math.floor(iterations / 2);
    const rng = createRng(opts.seed ?? this.seed);
    const z = new Int32Array(tokens.length);
    const ndk = new Int32Array(k);
    const p = new Float64Array(k);
    for (let i = 0; i < tokens.length; i++) ndk[(z[i] = rng.int(k))]++;
    for (let it = 0; it < iterations; it++) {
      for (let i = 0; i < tokens.length; i++) {
        const base = tokens[i] * k;
        ndk[z[i]]--;
        let total = 0;
        for (let t = 0; t < k; t++) total += p[t] = (ndk[t] + alpha) * phi[base + t];
        if (it >= burnIn) for (let t = 0; t < k; t++) theta[t] += p[t] / total;
        const t = sampleCumulative(p, k, total, rng);
        z[i] = t;
        ndk[t]++;
      }
    }
    return normalize(theta);
  }

  private inferDmm(tokens: number[]): Float64Array {
    const { k, alpha, beta, vocabSize } = this;
    const logp = new Float64Array(k);
    const sorted = tokens.slice().sort((a, b) => a - b);
    for (let t = 0; t < k; t++) {
      let lp = Math.log(this.topicDocs[t] + alpha);
      for (let i = 0, j = 0; i < sorted.length; i++) {
        j = i > 0 && sorted[i] === sorted[i - 1] ? j + 1 : 0;
        lp += Math.log(this.wordTopic[sorted[i] * k + t] + beta + j) - Math.log(this.topicTotals[t] + vocabSize * beta + i);
      }
      logp[t] = lp;
    }
    let max = -Infinity;
    for (let t = 0; t < k; t++) max = Math.max(max, logp[t]);
    for (let t = 0; t < k; t++) logp[t] = Math.exp(logp[t] - max);
    return normalize(logp);
  }

  /** Binary artifact: header, counts and vocabulary; loadTopicModel() restores an equivalent model. */
  serialize(): Uint8Array {
    const termsBytes = new TextEncoder().encode(JSON.stringify(this.terms));
    const headerBytes = 4 + 4 + 4 + 4 + 4 + 4 + 8 + 8;
    const size = headerBytes + 4 * this.k + 4 * this.wordTopic.length + 4 + termsBytes.length;
    const bytes = new Uint8Array(size);
    const view = new DataView(bytes.buffer);
    let o = 0;
    bytes.set(MAGIC, o);
    o += 4;
    view.setUint32(o, FORMAT_VERSION, true);
    view.setUint32((o += 4), METHOD_CODES.indexOf(this.method), true);
    view.setUint32((o += 4), this.k, true);
    view.setUint32((o += 4), this.vocabSize, true);
    view.setUint32((o += 4), this.seed >>> 0, true);
    view.setFloat64((o += 4), this.alpha, true);
    view.setFloat64((o += 8), this.beta, true);
    o += 8;
    for (let t = 0; t < this.k; t++, o += 4) view.setInt32(o, this.topicDocs[t], true);
    for (let i = 0; i < this.wordTopic.length; i++, o += 4) view.setInt32(o, this.wordTopic[i], true);
    view.setUint32(o, termsBytes.length, true);
    bytes.set(termsBytes, o + 4);
    return bytes;
  }
}

const MAGIC = new Uint8Array([0x53, 0x53, 0x54, 0x4d]); // "SSTM"
const FORMAT_VERSION = 1;

export function loadTopicModel(bytes: Uint8Array): TopicModel {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (why: string): never => {
    throw new Error(`not a SocialSense topic model artifact: ${why}`);
  };
  if (bytes.length < 40 || MAGIC.some((b, i) => bytes[i] !== b)) fail('bad magic bytes');
  const version = view.getUint32(4, true);
  if (version !== FORMAT_VERSION) fail(`format version ${version}, this code reads ${FORMAT_VERSION}`);
  const method = METHOD_CODES[view.getUint32(8, true)] ?? fail('unknown method code');
  const k = view.getUint32(12, true);
  const vocabSize = view.getUint32(16, true);
  const seed = view.getUint32(20, true);
  const alpha = view.getFloat64(24, true);
  const beta = view.getFloat64(32, true);
  let o = 40;
  if (bytes.length < o + 4 * (k + k * vocabSize) + 4) fail('truncated');
  const topicDocs = new Int32Array(k);
  for (let t = 0; t < k; t++, o += 4) topicDocs[t] = view.getInt32(o, true);
  const wordTopic = new Int32Array(k * vocabSize);
  for (let i = 0; i < wordTopic.length; i++, o += 4) wordTopic[i] = view.getInt32(o, true);
  const termsLength = view.getUint32(o, true);
  const terms = JSON.parse(new TextDecoder().decode(bytes.subarray(o + 4, o + 4 + termsLength))) as string[] | null;
  return new TopicModel(method, k, vocabSize, alpha, beta, seed, wordTopic, topicDocs, terms);
}

/** Fits GSDMM (default) or LDA, see TopicModelOptions.method. */
export function fitTopicModel(documents: readonly ArrayLike<number>[], k: number, iterations: number, opts: TopicModelOptions = {}): TopicModel {
  return (opts.method ?? DEFAULT_TOPIC_METHOD) === 'dmm' ? fitDmm(documents, k, iterations, opts) : fitLda(documents, k, iterations, opts);
}

interface Corpus {
  tokens: Int32Array;
  /** document d owns tokens[start[d]..start[d+1]) */
  start: Int32Array;
  vocabSize: number;
}

function flatten(documents: readonly ArrayLike<number>[], opts: TopicModelOptions, k: number, iterations: number): Corpus {
  if (!Number.isInteger(k) || k < 1) throw new Error(`k must be a positive integer, got ${k}`);
  if (!Number.isInteger(iterations) || iterations < 1) throw new Error(`iterations must be a positive integer, got ${iterations}`);
  const start = new Int32Array(documents.length + 1);
  for (let d = 0; d < documents.length; d++) start[d + 1] = start[d] + documents[d].length;
  const tokens = new Int32Array(start[documents.length]);
  let maxId = -1;
  for (let d = 0; d < documents.length; d++) {
    const doc = documents[d];
    for (let i = 0; i < doc.length; i++) {
      const w = doc[i];
      if (!Number.isInteger(w) || w < 0) throw new Error(`document ${d} has an invalid term id ${w}`);
      tokens[start[d] + i] = w;
      if (w > maxId) maxId = w;
    }
  }
  const vocabSize = opts.vocabSize ?? opts.vocabulary?.length ?? maxId + 1;
  if (maxId >= vocabSize) throw new Error(`term id ${maxId} is outside the vocabulary of ${vocabSize} terms`);
  return { tokens, start, vocabSize };
}

/**
 * LDA by collapsed Gibbs sampling with the SparseLDA bucket split (Yao, Mimno & McCallum 2009):
 * p(t) ∝ αβ/D_t  +  n_dt·β/D_t  +  (α + n_dt)·n_wt/D_t  with D_t = n_t + Vβ.
 * The "smoothing" bucket s is a running sum, the "document" bucket r visits only the post's
 * non-zero topics, and the "word" bucket q (where nearly all the mass is) visits only the term's
 * non-zero topics, kept per term as a packed list sorted by decreasing count (as in MALLET) so the scans
 * that find a topic stop early. On topics-dev a term has ~5 of 20 topics non-zero once the chain has
 * mixed, so a token costs a handful of multiplications instead of K. All state lives in
 * preallocated typed arrays; nothing is allocated per token.
 */
export function fitLda(documents: readonly ArrayLike<number>[], k: number, iterations: number, opts: TopicModelOptions = {}): TopicModel {
  const { tokens, start, vocabSize: V } = flatten(documents, opts, k, iterations);
  const alpha = opts.alpha ?? 0.1;
  const beta = opts.beta ?? 0.01;
  const seed = opts.seed ?? 1;
  const rng = createRng(seed);
  const D = documents.length;
  const N = tokens.length;
  const vb = V * beta;
  const ab = alpha * beta;

  const z = new Int32Array(N);
  const nk = new Int32Array(k);
  // Term w's non-zero topics live in wt[w*k .. w*k + wNnz[w]) as (count << bits | topic), sorted
  // decreasing, so topic and count share a cache line: the sampler is bound by these row reads.
  const bits = Math.max(1, Math.ceil(Math.log2(k)));
  const mask = (1 << bits) - 1;
  const one = 1 << bits;
  if (N >= 2 ** (31 - bits)) {
    throw new Error(`LDA with k=${k} packs counts into ${31 - bits} bits; ${N} tokens may overflow them (use fewer tokens or topics)`);
  }
  const wt = new Int32Array(V * k);
  const wNnz = new Int32Array(V);
  const increment = (w: number, t: number) => {
    const base = w * k;
    const end = base + wNnz[w];
    let j = base;
    while (j < end && (wt[j] & mask) !== t) j++;
    if (j === end) {
      wt[j] = t;
      wNnz[w]++;
    }
    const e = wt[j] + one;
    while (j > base && wt[j - 1] < e) {
      wt[j] = wt[j - 1];
      j--;
    }
    wt[j] = e;
  };
  const decrement = (w: number, t: number) => {
    const base = w * k;
    const end = base + wNnz[w];
    let j = base;
    while ((wt[j] & mask) !== t) j++;
    const e = wt[j] - one;
    while (j + 1 < end && wt[j + 1] > e) {
      wt[j] = wt[j + 1];
      j++;
    }
    wt[j] = e;
    if (e < one) wNnz[w]--;
  };
  for (let i = 0; i < N; i++) {
    const t = rng.int(k);
    z[i] = t;
    increment(tokens[i], t);
    nk[t]++;
  }

  const invD = new Float64Array(k);
  const coef = new Float64Array(k); // (α + n_dt) / D_t for the current post
  const ndk = new Int32Array(k);
  const nz = new Int32Array(k); // the post's non-zero topics, in no order
  const nzPos = new Int32Array(k).fill(-1);
  const qcum = new Float64Array(k);

  for (let it = 0; it < iterations; it++) {
    let s = 0;
    for (let t = 0; t < k; t++) {
      invD[t] = 1 / (nk[t] + vb);
      s += ab * invD[t];
      coef[t] = alpha * invD[t];
    }
    for (let d = 0; d < D; d++) {
      const from = start[d];
      const to = start[d + 1];
      let nzCount = 0;
      for (let i = from; i < to; i++) {
        const t = z[i];
        if (ndk[t]++ === 0) {
          nzPos[t] = nzCount;
          nz[nzCount++] = t;
        }
      }
      let r = 0;
      for (let j = 0; j < nzCount; j++) {
        const t = nz[j];
        r += ndk[t] * beta * invD[t];
        coef[t] = (alpha + ndk[t]) * invD[t];
      }
      for (let i = from; i < to; i++) {
        const w = tokens[i];
        let t = z[i];
        // take the token out
        s -= ab * invD[t];
        r -= ndk[t] * beta * invD[t];
        ndk[t]--;
        nk[t]--;
        decrement(w, t);
        invD[t] = 1 / (nk[t] + vb);
        s += ab * invD[t];
        r += ndk[t] * beta * invD[t];
        coef[t] = (alpha + ndk[t]) * invD[t];
        if (ndk[t] === 0) {
          const last = nz[--nzCount];
          nz[nzPos[t]] = last;
          nzPos[last] = nzPos[t];
          nzPos[t] = -1;
        }

        const base = w * k;
        const m = wNnz[w];
        let q = 0;
        for (let j = 0; j < m; j++) {
          const e = wt[base + j];
          q += coef[e & mask] * (e >> bits);
          qcum[j] = q;
        }
        let u = rng.next() * (s + r + q);
        if (u < q) {
          let j = 0;
          while (j < m - 1 && qcum[j] <= u) j++;
          t = wt[base + j] & mask;
        } else if ((u -= q) < r && nzCount > 0) {
          let j = 0;
          for (; j < nzCount - 1; j++) {
            u -= ndk[nz[j]] * beta * invD[nz[j]];
            if (u < 0) break;
          }
          t = nz[j];
        } else {
          u = Math.max(0, u - r);
          t = 0;
          for (; t < k - 1; t++) {
            u -= ab * invD[t];
            if (u < 0) break;
          }
        }
        // put it back under the sampled topic
        z[i] = t;
        s -= ab * invD[t];
        r -= ndk[t] * beta * invD[t];
        if (ndk[t]++ === 0) {
          nzPos[t] = nzCount;
          nz[nzCount++] = t;
        }
        nk[t]++;
        increment(w, t);
        invD[t] = 1 / (nk[t] + vb);
        s += ab * invD[t];
        r += ndk[t] * beta * invD[t];
        coef[t] = (alpha + ndk[t]) * invD[t];
      }
      for (let j = 0; j < nzCount; j++) {
        const t = nz[j];
        ndk[t] = 0;
        nzPos[t] = -1;
        coef[t] = alpha * invD[t];
      }
    }
  }

  const nwk = new Int32Array(V * k);
  for (let w = 0; w < V; w++) {
    for (let j = w * k; j < w * k + wNnz[w]; j++) nwk[w * k + (wt[j] & mask)] = wt[j] >> bits;
  }

  // Posts are assigned by the Rao-Blackwellised theta of the final state (the per-token conditionals
  // summed), which breaks the ties a 5-token post's raw counts would leave.
  const assignments = new Int32Array(D);
  const p = new Float64Array(k);
  const theta = new Float64Array(k);
  const topicDocs = new Int32Array(k);
  for (let t = 0; t < k; t++) invD[t] = 1 / (nk[t] + vb);
  for (let d = 0; d < D; d++) {
    const from = start[d];
    const to = start[d + 1];
    theta.fill(0);
    for (let i = from; i < to; i++) ndk[z[i]]++;
    for (let i = from; i < to; i++) {
      const base = tokens[i] * k;
      const own = z[i];
      let total = 0;
      for (let t = 0; t < k; t++) {
        const self = t === own ? 1 : 0;
        total += p[t] = ((ndk[t] - self + alpha) * (nwk[base + t] - self + beta)) / (nk[t] - self + vb);
      }
      for (let t = 0; t < k; t++) theta[t] += p[t] / total;
    }
    for (let i = from; i < to; i++) ndk[z[i]] = 0;
    const a = from === to ? 0 : argmax(theta);
    assignments[d] = a;
    topicDocs[a]++;
  }
  return new TopicModel('lda', k, V, alpha, beta, seed, nwk, topicDocs, opts.vocabulary ?? null, assignments);
}

const SCALE = 1e100;
const TINY = 1e-100;
/** factors multiplied between two rescaling checks: 16 ratios of at least ~1e-6 stay far above 1e-308 */
const CHUNK = 16;

/**
 * GSDMM: collapsed Gibbs sampling of one cluster per post (Yin & Wang 2014, eq. 4):
 * p(z_d = t) ∝ (m_t + α) · Π_w Π_{j<N_dw} (n_tw + β + j) / Π_{i<N_d} (n_t + Vβ + i).
 * Computed in linear space, numerator and denominator multiplied separately and divided once per
 * CHUNK tokens, with an exponent counter per cluster instead of logs (a log or a division per token
 * per cluster would dominate the run time); clusters more than 1e100 behind the best get probability
 * 0, which is what exp() of the log-probabilities would give anyway.
 */
export function fitDmm(documents: readonly ArrayLike<number>[], k: number, iterations: number, opts: TopicModelOptions = {}): TopicModel {
  const { tokens, start, vocabSize: V } = flatten(documents, opts, k, iterations);
  const alpha = opts.alpha ?? 0.1;
  const beta = opts.beta ?? 0.1;
  const seed = opts.seed ?? 1;
  const rng = createRng(seed);
  const D = documents.length;
  const N = tokens.length;
  const vb = V * beta;
  // Per token: the offset of its term's row, and β + (earlier copies of the term in the post),
  // the rising-factorial step of Π_j (n_tw + β + j). Sorting puts repeated terms side by side.
  const rowOf = new Int32Array(N);
  const betaPlusRepeat = new Float64Array(N);
  for (let d = 0; d < D; d++) {
    tokens.subarray(start[d], start[d + 1]).sort();
    for (let i = start[d], j = 0; i < start[d + 1]; i++) {
      j = i > start[d] && tokens[i] === tokens[i - 1] ? j + 1 : 0;
      rowOf[i] = tokens[i] * k;
      betaPlusRepeat[i] = beta + j;
    }
  }

  const z = new Int32Array(D);
  const mk = new Int32Array(k);
  const nk = new Int32Array(k);
  const nwk = new Int32Array(V * k);
  const p = new Float64Array(k);
  const expo = new Int32Array(k);
  const move = (d: number, t: number, sign: 1 | -1) => {
    mk[t] += sign;
    nk[t] += sign * (start[d + 1] - start[d]);
    for (let i = start[d]; i < start[d + 1]; i++) nwk[rowOf[i] + t] += sign;
  };
  for (let d = 0; d < D; d++) {
    z[d] = rng.int(k);
    move(d, z[d], 1);
  }

  for (let it = 0; it < iterations; it++) {
    for (let d = 0; d < D; d++) {
      const from = start[d];
      const to = start[d + 1];
      move(d, z[d], -1);
      let minExpo = 0x7fffffff;
      // Every empty cluster has the same probability: computed once per post, copied to the others
      // (with a large k most clusters empty out after a few sweeps, so this is most of the work saved).
      let emptyDone = -1;
      for (let t = 0; t < k; t++) {
        if (mk[t] === 0 && emptyDone >= 0) {
          p[t] = p[emptyDone];
          expo[t] = expo[emptyDone];
          continue;
        }
        if (mk[t] === 0) emptyDone = t;
        let prob = mk[t] + alpha;
        let e = 0;
        const denom = nk[t] + vb - from;
        for (let i0 = from; i0 < to; i0 += CHUNK) {
          const end = Math.min(to, i0 + CHUNK);
          let num = 1;
          let den = 1;
          for (let i = i0; i < end; i++) {
            num *= nwk[rowOf[i] + t] + betaPlusRepeat[i];
            den *= denom + i;
          }
          prob *= num / den;
          while (prob < TINY && prob > 0) {
            prob *= SCALE;
            e++;
          }
        }
        p[t] = prob;
        expo[t] = e;
        if (e < minExpo) minExpo = e;
      }
      let total = 0;
      for (let t = 0; t < k; t++) {
        const gap = expo[t] - minExpo;
        if (gap > 0) p[t] = gap === 1 ? p[t] * TINY : 0;
        total += p[t];
      }
      const t = sampleCumulative(p, k, total, rng);
      z[d] = t;
      move(d, t, 1);
    }
  }
  return new TopicModel('dmm', k, V, alpha, beta, seed, nwk, mk.slice(), opts.vocabulary ?? null, z);
}

/** Index drawn with probability weights[i] / total (weights need not be normalised). */
function sampleCumulative(weights: Float64Array, n: number, total: number, rng: Rng): number {
  let u = rng.next() * total;
  for (let i = 0; i < n - 1; i++) {
    u -= weights[i];
    if (u < 0) return i;
  }
  return n - 1;
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

function normalize(values: Float64Array): Float64Array {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i];
  if (total > 0) for (let i = 0; i < values.length; i++) values[i] /= total;
  return values;
}
