/**
 * `eval topics`: fits a topic model on a labelled TSV and measures how well the topics it finds
 * recover the labels (NMI) and how good they are without labels (NPMI coherence, diversity), beside
 * the tf-idf + k-means baseline fitted in the same run with the same k; plus how much a second seed
 * agrees with the first (NMI between their assignments) and how many posts get no topic.
 * With `--topics FILE` it assigns the posts to the user's named topics instead.
 */
import fs from 'node:fs';
import { printEval } from './output';
import type { Command } from 'commander';
import { readTableAll, requireColumns } from '../../lib/tabular';
import { normalizedMutualInformation } from '../../models/eval/clustering';
import { fitClusterTopics, topicModelFromAssignments } from '../../models/topics/clusterTopics';
import { tfidfKMeansBaseline } from '../../models/topics/embedding';
import { fitTopicModel, type TopicModel } from '../../models/topics/topicModel';
import { npmiCoherence, topicDiversity } from '../../models/topics/metrics';
import { assignSeedTopics, parseSeedTopics } from '../../models/topics/seededTopics';
import { extractTerms, Vocabulary } from '../../models/topics/terms';

/**
 * Number of topics of the Gibbs samplers (dmm, lda) when --k is not given, and the k of the quality
 * test's "k given" run. Fixed, not derived from the labels (their number is the answer being graded).
 */
export const DEFAULT_K = 20;
export const DEFAULT_ITERATIONS = 200;

/**
 * 'clusters' (default): spherical k-means on tf-idf + merging (models/topics/clusterTopics.ts);
 * 'dmm' / 'lda': the Gibbs samplers of models/topics/topicModel.ts.
 */
export type TopicsEvalMethod = 'clusters' | 'dmm' | 'lda';
export const DEFAULT_EVAL_METHOD: TopicsEvalMethod = 'clusters';

export interface TopicsEvalOptions {
  /** TSV/CSV with `text` and `topic` columns */
  data: string;
  /** number of topics; 'auto' (the default for 'clusters') lets the model choose */
  k?: number | 'auto';
  /** Gibbs sweeps (dmm, lda) */
  iterations?: number;
  seed?: number;
  method?: TopicsEvalMethod;
  alpha?: number;
  beta?: number;
}

export interface TopicFigures {
  k: number;
  /** NMI between the assigned topics and the `topic` column (posts without a topic count as one more cluster) */
  nmi: number;
  /** mean NPMI of each topic's 10 label terms, document co-occurrence in the same posts */
  npmi: number;
  /** unique share of all topics' 25 label terms */
  diversity: number;
  /** wall-clock seconds of the fit */
  seconds: number;
}

export interface TopicsEvalResult extends TopicFigures {
  data: string;
  method: TopicsEvalMethod;
  /** 'given' (--k N) or how the model chose k */
  kChosenBy: 'given' | 'silhouette';
  /** the range the model chose k in (clusters with k chosen by the model), else null */
  kRange: [number, number] | null;
  /** posts */
  n: number;
  /** Gibbs sweeps (dmm, lda); null for clusters */
  iterations: number | null;
  seed: number;
  vocabulary: number;
  /** distinct labels in the file (reported for reading NMI; never given to the model) */
  labels: number;
  /** CPU seconds of this process during the fit */
  cpuSeconds: number;
  /** tf-idf + Euclidean k-means (sklearn's defaults) with the model's k, same terms, same run */
  baseline: TopicFigures & { method: 'tfidf-kmeans' };
  /** NMI between the assignments of seed and seed + 1 (same data, same options) */
  seedAgreement: { seeds: [number, number]; nmi: number };
  /** share of posts with no topic (no vocabulary term) */
  unassignedShare: number;
  /** share of posts in the largest topic (a catch-all shows up here) */
  largestTopicShare: number;
  /** 10 label terms (class-based tf-idf) of each topic, largest topic first */
  topics: { size: number; terms: string[] }[];
}

export interface TopicCorpus {
  texts: string[];
  labels: string[];
  terms: string[][];
  vocabulary: Vocabulary;
  documents: Int32Array[];
}

/** Reads and encodes a labelled file; shared by the eval command, the benchmark and the quality test. */
export async function loadTopicCorpus(file: string): Promise<TopicCorpus> {
  const rows = await readTableAll(file);
  requireColumns(file, rows, ['text', 'topic']);
  const texts = rows.map((r) => r.text ?? '');
  const labels = rows.map((r) => (r.topic ?? '').trim());
  const empty = labels.findIndex((l) => l === '');
  if (empty >= 0) throw new Error(`${file}: data row ${empty + 1} has an empty 'topic'; every post needs its true topic label`);
  const terms = texts.map(extractTerms);
  const vocabulary = Vocabulary.build(terms);
  if (vocabulary.size === 0) throw new Error(`${file}: no term occurs in 2 or more posts; the 'text' column has nothing to model`);
  return { texts, labels, terms, vocabulary, documents: vocabulary.encodeAll(terms) };
}

function checkCount(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer >= ${min}, got ${value}`);
  return value;
}

interface Fit {
  model: TopicModel;
  /** topic per post, −1 = none */
  assignments: Int32Array;
  kChosenBy: 'given' | 'silhouette';
  kRange: [number, number] | null;
}

function fitOnce(corpus: TopicCorpus, method: TopicsEvalMethod, k: number | 'auto', seed: number, iterations: number, opts: TopicsEvalOptions): Fit {
  if (method === 'clusters') {
    const fit = fitClusterTopics(corpus.documents, { k: k === 'auto' ? undefined : k, seed, vocabulary: corpus.vocabulary.terms });
    return { model: fit.model, assignments: fit.assignments, kChosenBy: fit.chosenBy, kRange: k === 'auto' ? [2, fit.fineK] : null };
  }
  const model = fitTopicModel(corpus.documents, k === 'auto' ? DEFAULT_K : k, iterations, {
    method,
    seed,
    alpha: opts.alpha,
    beta: opts.beta,
    vocabulary: corpus.vocabulary.terms,
  });
  return { model, assignments: model.assignments, kChosenBy: 'given', kRange: null };
}

export async function evaluateTopics(opts: TopicsEvalOptions): Promise<TopicsEvalResult> {
  const method = opts.method ?? DEFAULT_EVAL_METHOD;
  if (method !== 'clusters' && method !== 'lda' && method !== 'dmm') throw new Error(`--method must be clusters, dmm or lda, got ${String(method)}`);
  if ((method === 'dmm' || method === 'lda') && opts.k === 'auto') throw new Error(`--k auto needs --method clusters; ${method} needs a number of topics`);
  const k = opts.k === undefined ? (method === 'clusters' ? 'auto' : DEFAULT_K) : opts.k === 'auto' ? 'auto' : checkCount('k', opts.k, 2);
  const iterations = checkCount('iterations', opts.iterations ?? DEFAULT_ITERATIONS, 1);
  const seed = checkCount('seed', opts.seed ?? 1, 0);
  const corpus = await loadTopicCorpus(opts.data);

  const wall = performance.now();
  const cpu = process.cpuUsage();
  const fit = fitOnce(corpus, method, k, seed, iterations, opts);
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - wall) / 1000;
  const model = fit.model;

  const second = fitOnce(corpus, method, k, seed + 1, iterations, opts);

  const baseWall = performance.now();
  const base = tfidfKMeansBaseline(corpus.documents, corpus.vocabulary.size, Math.min(model.k, corpus.documents.length), seed);
  const baseSeconds = (performance.now() - baseWall) / 1000;
  const baseModel = topicModelFromAssignments(corpus.documents, base, model.k, corpus.vocabulary.size, corpus.vocabulary.terms, seed);

  const n = corpus.documents.length;
  let unassigned = 0;
  for (const a of fit.assignments) if (a < 0) unassigned++;
  let largest = 0;
  for (let t = 0; t < model.k; t++) largest = Math.max(largest, model.topicDocs[t]);
  return {
    data: opts.data,
    method,
    ...topicFigures(model, fit.assignments, corpus, seconds),
    kChosenBy: fit.kChosenBy,
    kRange: fit.kRange,
    n,
    iterations: method === 'clusters' ? null : iterations,
    seed,
    vocabulary: corpus.vocabulary.size,
    labels: new Set(corpus.labels).size,
    cpuSeconds: round((used.user + used.system) / 1e6, 2),
    baseline: { method: 'tfidf-kmeans', ...topicFigures(baseModel, base, corpus, baseSeconds) },
    seedAgreement: { seeds: [seed, seed + 1], nmi: round(normalizedMutualInformation(fit.assignments, second.assignments), 4) },
    unassignedShare: round(unassigned / n, 4),
    largestTopicShare: round(largest / n, 4),
    topics: describeTopics(model, 10),
  };
}

/** NMI, NPMI and diversity of a fitted model (label terms by class-based tf-idf) on its training corpus. */
export function topicFigures(model: TopicModel, assignments: ArrayLike<number>, corpus: TopicCorpus, seconds: number): TopicFigures {
  const tops = Array.from({ length: model.k }, (_, t) => model.labelTermIds(t, 25)).filter((t) => t.length > 0);
  return {
    k: model.k,
    nmi: round(normalizedMutualInformation(Array.from(assignments), corpus.labels), 4),
    npmi: round(npmiCoherence(tops, corpus.documents, 10).mean, 4),
    diversity: round(topicDiversity(tops, 25), 4),
    seconds: round(seconds, 2),
  };
}

function describeTopics(model: TopicModel, n: number): { size: number; terms: string[] }[] {
  return Array.from({ length: model.k }, (_, t) => ({ size: model.topicDocs[t], terms: model.labelTerms(t, n) }))
    .filter((t) => t.size > 0)
    .sort((a, b) => b.size - a.size);
}

export interface SeededTopicsEvalResult {
  data: string;
  n: number;
  /** posts per named topic, and the NMI of the assignment (other = one more cluster) against the `topic` column */
  topics: { name: string; posts: number; unknownTerms: string[] }[];
  other: number;
  otherShare: number;
  nmi: number;
}

/** `eval topics --topics FILE`: assigns the posts of a labelled file to the named topics of FILE (JSON). */
export async function evaluateSeededTopics(data: string, topicsFile: string): Promise<SeededTopicsEvalResult> {
  const topics = parseSeedTopics(readTopicsFile(topicsFile), topicsFile);
  const corpus = await loadTopicCorpus(data);
  const result = assignSeedTopics(corpus.documents, corpus.vocabulary, topics);
  const n = corpus.documents.length;
  return {
    data,
    n,
    topics: result.names.map((name, t) => ({ name, posts: result.counts[t], unknownTerms: result.unknownTerms[name] })),
    other: result.other,
    otherShare: round(result.other / n, 4),
    nmi: round(normalizedMutualInformation(Array.from(result.assignments), corpus.labels), 4),
  };
}

/** Parsed content of a JSON topics file. Throws naming the file and what to fix. */
export function readTopicsFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`--topics ${file}: cannot read it (${(err as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`--topics ${file}: not valid JSON (${(err as Error).message}); expected [{"name": "...", "terms": ["...", ...]}, ...]`);
  }
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));

function formatText(r: TopicsEvalResult): string {
  const row = (name: string, f: TopicFigures) =>
    `${name.padEnd(22)} k ${String(f.k).padStart(4)}  nmi ${f.nmi.toFixed(4)}  npmi ${f.npmi.toFixed(4)}  diversity ${f.diversity.toFixed(4)}  ${f.seconds} s`;
  const chosen = r.kChosenBy === 'given' ? 'given' : `chosen by ${r.kChosenBy} in [${r.kRange?.join(', ')}]`;
  const lines = [
    `topics on ${r.data}: ${r.n} posts, ${r.labels} labels, vocabulary ${r.vocabulary}`,
    `method ${r.method}, k ${r.k} (${chosen})${r.iterations === null ? '' : `, ${r.iterations} iterations`}, seed ${r.seed}`,
    row(`model (${r.method})`, r),
    row('baseline tf-idf+kmeans', r.baseline),
    `seed agreement    nmi ${r.seedAgreement.nmi} (seeds ${r.seedAgreement.seeds.join(' and ')})`,
    `no topic          ${(r.unassignedShare * 100).toFixed(2)}% of posts; largest topic ${(r.largestTopicShare * 100).toFixed(2)}%`,
    `fit cpu seconds   ${r.cpuSeconds}`,
    '',
    ...r.topics.map((t, i) => `${String(i).padStart(3)} ${String(t.size).padStart(6)}  ${t.terms.join(' ')}`),
  ];
  return lines.join('\n') + '\n';
}

function formatSeeded(r: SeededTopicsEvalResult): string {
  return (
    [
      `named topics on ${r.data}: ${r.n} posts, nmi ${r.nmi} against the topic column`,
      ...r.topics.map(
        (t) => `${t.name.padEnd(24)} ${String(t.posts).padStart(6)}${t.unknownTerms.length ? `  (not in the posts: ${t.unknownTerms.join(', ')})` : ''}`,
      ),
      `${'other'.padEnd(24)} ${String(r.other).padStart(6)}  (${(r.otherShare * 100).toFixed(2)}%)`,
    ].join('\n') + '\n'
  );
}

export function registerTopicsEval(evalCmd: Command): void {
  evalCmd
    .command('topics')
    .description('fit a topic model on posts with known topics; print NMI against them, NPMI coherence and diversity, beside tf-idf + k-means')
    .requiredOption('--data <file>', 'TSV/CSV with text and topic columns')
    .option('--k <n>', `number of topics, or "auto" (default: auto for clusters, ${DEFAULT_K} for dmm/lda; never taken from the labels)`)
    .option('--iterations <n>', `Gibbs sweeps for dmm/lda (default ${DEFAULT_ITERATIONS})`)
    .option('--seed <n>', 'random seed (default 1)')
    .option('--method <name>', `clusters (default), dmm (GSDMM, one topic per post) or lda`)
    .option('--topics <file>', 'JSON list of named topics, [{"name": ..., "terms": [...]}]: assign posts to them (or "other")')
    .option('--json', 'print one JSON object')
    .action(async (o: { data: string; k?: string; iterations?: string; seed?: string; method?: string; topics?: string; json?: boolean }) => {
      if (o.topics) {
        printEval(await evaluateSeededTopics(o.data, o.topics), o.json, formatSeeded);
        return;
      }
      const result = await evaluateTopics({
        data: o.data,
        k: o.k === undefined ? undefined : o.k === 'auto' ? 'auto' : Number(o.k),
        iterations: o.iterations === undefined ? undefined : Number(o.iterations),
        seed: o.seed === undefined ? undefined : Number(o.seed),
        method: o.method as TopicsEvalMethod | undefined,
      });
      printEval(result, o.json, formatText);
    });
}
