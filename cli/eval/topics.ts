/**
 * `eval topics`: fits a topic model on a labelled TSV and measures how well the topics it finds
 * recover the labels (NMI) and how good they are without labels (NPMI coherence, diversity).
 */
import { printEval } from './output';
import type { Command } from 'commander';
import { readTableAll, requireColumns } from '../../lib/tabular';
import { normalizedMutualInformation } from '../../models/eval/clustering';
import { DEFAULT_TOPIC_METHOD, fitTopicModel, type TopicMethod, type TopicModel } from '../../models/topics/lda';
import { npmiCoherence, topicDiversity } from '../../models/topics/metrics';
import { extractTerms, Vocabulary } from '../../models/topics/terms';

/**
 * Default number of topics. Fixed, not derived from the labels: the number of distinct labels is the
 * answer the model is graded against. 20 is a readable dashboard size and the usual LDA starting point.
 */
export const DEFAULT_K = 20;
export const DEFAULT_ITERATIONS = 200;

export interface TopicsEvalOptions {
  /** TSV/CSV with `text` and `topic` columns */
  data: string;
  k?: number;
  iterations?: number;
  seed?: number;
  method?: TopicMethod;
  alpha?: number;
  beta?: number;
}

export interface TopicsEvalResult {
  data: string;
  method: TopicMethod;
  k: number;
  /** posts */
  n: number;
  iterations: number;
  seed: number;
  vocabulary: number;
  /** distinct labels in the file (reported for reading NMI; never given to the model) */
  labels: number;
  /** NMI between the assigned topics and the `topic` column */
  nmi: number;
  /** mean NPMI of each topic's top 10 terms, document co-occurrence in the same posts */
  npmi: number;
  /** unique share of all topics' top-25 terms */
  diversity: number;
  /** wall-clock seconds of the model fit (the machine may be shared) */
  seconds: number;
  /** CPU seconds of this process during the fit */
  cpuSeconds: number;
  /** top 10 terms of each topic, largest topic first */
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

export async function evaluateTopics(opts: TopicsEvalOptions): Promise<TopicsEvalResult> {
  const k = checkCount('k', opts.k ?? DEFAULT_K, 2);
  const iterations = checkCount('iterations', opts.iterations ?? DEFAULT_ITERATIONS, 1);
  const seed = checkCount('seed', opts.seed ?? 1, 0);
  const method = opts.method ?? DEFAULT_TOPIC_METHOD;
  if (method !== 'lda' && method !== 'dmm') throw new Error(`--method must be lda or dmm, got ${String(method)}`);
  const corpus = await loadTopicCorpus(opts.data);

  const wall = performance.now();
  const cpu = process.cpuUsage();
  const model = fitTopicModel(corpus.documents, k, iterations, {
    method,
    seed,
    alpha: opts.alpha,
    beta: opts.beta,
    vocabulary: corpus.vocabulary.terms,
  });
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - wall) / 1000;
  return {
    data: opts.data,
    method,
    k,
    n: corpus.documents.length,
    iterations,
    seed,
    vocabulary: corpus.vocabulary.size,
    labels: new Set(corpus.labels).size,
    ...topicQuality(model, corpus),
    seconds: round(seconds, 2),
    cpuSeconds: round((used.user + used.system) / 1e6, 2),
    topics: describeTopics(model, 10),
  };
}

/** NMI, NPMI and diversity of a fitted model on its training corpus. */
export function topicQuality(model: TopicModel, corpus: TopicCorpus): { nmi: number; npmi: number; diversity: number } {
  const tops = Array.from({ length: model.k }, (_, t) => model.topTermIds(t, 25));
  return {
    nmi: round(normalizedMutualInformation(Array.from(model.assignments), corpus.labels), 4),
    npmi: round(npmiCoherence(tops, corpus.documents, 10).mean, 4),
    diversity: round(topicDiversity(tops, 25), 4),
  };
}

function describeTopics(model: TopicModel, n: number): { size: number; terms: string[] }[] {
  return Array.from({ length: model.k }, (_, t) => ({ size: model.topicDocs[t], terms: model.topTerms(t, n) }))
    .filter((t) => t.size > 0)
    .sort((a, b) => b.size - a.size);
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));

function formatText(r: TopicsEvalResult): string {
  const lines = [
    `topics on ${r.data}: ${r.n} posts, ${r.labels} labels, vocabulary ${r.vocabulary}`,
    `method ${r.method}, k ${r.k}, ${r.iterations} iterations, seed ${r.seed}`,
    `nmi        ${r.nmi}`,
    `npmi       ${r.npmi}`,
    `diversity  ${r.diversity}`,
    `seconds    ${r.seconds} (cpu ${r.cpuSeconds})`,
    '',
    ...r.topics.map((t, i) => `${String(i).padStart(3)} ${String(t.size).padStart(6)}  ${t.terms.join(' ')}`),
  ];
  return lines.join('\n') + '\n';
}

export function registerTopicsEval(evalCmd: Command): void {
  evalCmd
    .command('topics')
    .description('fit a topic model on posts with known topics; print NMI against them, NPMI coherence and diversity')
    .requiredOption('--data <file>', 'TSV/CSV with text and topic columns')
    .option('--k <n>', `number of topics (default ${DEFAULT_K}; never taken from the labels)`)
    .option('--iterations <n>', `Gibbs sweeps (default ${DEFAULT_ITERATIONS})`)
    .option('--seed <n>', 'random seed (default 1)')
    .option('--method <name>', `dmm (one topic per post) or lda (default ${DEFAULT_TOPIC_METHOD})`)
    .option('--json', 'print one JSON object')
    .action(async (o: { data: string; k?: string; iterations?: string; seed?: string; method?: string; json?: boolean }) => {
      const result = await evaluateTopics({
        data: o.data,
        k: o.k === undefined ? undefined : Number(o.k),
        iterations: o.iterations === undefined ? undefined : Number(o.iterations),
        seed: o.seed === undefined ? undefined : Number(o.seed),
        method: o.method as TopicMethod | undefined,
      });
      printEval(result, o.json, formatText);
    });
}
