/**
 * Topic-model benchmark on SemEval topics-dev (30,632 tweets, each about one of ~200 named topics):
 * NMI of the model's topics against the named topics, beside trivial baselines measured in the same run.
 *
 *   npx tsx bench/topics.ts [dataDir]
 */
import { isMain, runStandalone } from './standalone';
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_K, evaluateTopics, loadTopicCorpus, type TopicsEvalResult } from '../cli/eval/topics';
import { sharedDataDir } from '../lib/paths';
import { normalizedMutualInformation } from '../models/eval/clustering';
import { createRng } from '../models/random';

/**
 * Baseline: each post joins the cluster of the most frequent of the corpus's k most frequent terms
 * that it contains, or a "none" cluster (k + 1 clusters at most). With `k` omitted, any term may
 * name a cluster (as many clusters as distinct first terms: a stronger but less comparable baseline).
 * Vocabulary ids are ordered by document frequency, so "most frequent" = smallest id.
 */
export function mostFrequentTermClusters(documents: readonly Int32Array[], k?: number): Int32Array {
  const limit = k ?? Number.MAX_SAFE_INTEGER;
  return Int32Array.from(documents, (doc) => {
    let best = limit;
    for (let i = 0; i < doc.length; i++) if (doc[i] < best) best = doc[i];
    return best === Number.MAX_SAFE_INTEGER ? -1 : best;
  });
}

/** Baseline: uniform random cluster in [0, k). */
export function randomClusters(n: number, k: number, seed = 1): Int32Array {
  const rng = createRng(seed);
  return Int32Array.from({ length: n }, () => rng.int(k));
}

export interface TopicsBench {
  data: string;
  k: number;
  /** the default model with k chosen by itself (its run also fits the tf-idf + k-means baseline at that k) */
  auto: TopicsEvalResult;
  /** the default model with k = DEFAULT_K given */
  given: TopicsEvalResult;
  /** GSDMM, the previous default, with k = DEFAULT_K */
  dmm: TopicsEvalResult;
  baselines: {
    /** top-k-term clusters, same cluster budget as the model */
    topTermNmi: number;
    /** any-term clusters (hundreds of clusters) */
    anyTermNmi: number;
    anyTermClusters: number;
    randomNmi: number;
  };
}

export async function benchTopics(dataDir: string = sharedDataDir()): Promise<TopicsBench | { skipped: string }> {
  const data = path.join(dataDir, 'semeval', 'topics-dev.tsv');
  if (!fs.existsSync(data)) return { skipped: `${data} not found (set SOCIALSENSE_SHARED_DATA to the shared data folder)` };
  const corpus = await loadTopicCorpus(data);
  const anyTerm = mostFrequentTermClusters(corpus.documents);
  const nmi = (a: ArrayLike<number>) => Number(normalizedMutualInformation(a, corpus.labels).toFixed(4));
  const baselines = {
    topTermNmi: nmi(mostFrequentTermClusters(corpus.documents, DEFAULT_K)),
    anyTermNmi: nmi(anyTerm),
    anyTermClusters: new Set(anyTerm).size,
    randomNmi: nmi(randomClusters(corpus.documents.length, DEFAULT_K)),
  };
  const auto = await evaluateTopics({ data, k: 'auto' });
  const given = await evaluateTopics({ data, k: DEFAULT_K });
  const dmm = await evaluateTopics({ data, method: 'dmm', k: DEFAULT_K });
  return { data, k: DEFAULT_K, auto, given, dmm, baselines };
}

function markdown(r: TopicsBench): string {
  const row = (name: string, k: number | string, nmi: number, npmi: number | string, div: number | string, sec: number | string, agree: number | string = '') =>
    `| ${name} | ${k} | ${nmi} | ${npmi} | ${div} | ${sec} | ${agree} |`;
  const fig = (name: string, e: TopicsEvalResult) => row(name, e.k, e.nmi, e.npmi, e.diversity, e.seconds, e.seedAgreement.nmi);
  const base = (e: TopicsEvalResult) =>
    row('baseline: tf-idf + k-means (same run)', e.baseline.k, e.baseline.nmi, e.baseline.npmi, e.baseline.diversity, e.baseline.seconds);
  return [
    `topics-dev (${r.auto.n} posts, ${r.auto.labels} named topics); seed agreement = NMI between the assignments of seeds 1 and 2`,
    '',
    '| model | k | NMI | NPMI | diversity | fit seconds | seed agreement |',
    '|---|---|---|---|---|---|---|',
    fig(`clusters, k chosen (${r.auto.kChosenBy} in [${r.auto.kRange?.join(', ')}])`, r.auto),
    base(r.auto),
    fig('clusters, k given', r.given),
    base(r.given),
    fig('GSDMM (previous default)', r.dmm),
    row(`baseline: most frequent of top-${r.k} terms`, r.k, r.baselines.topTermNmi, '', '', ''),
    row(`baseline: most frequent term`, r.baselines.anyTermClusters, r.baselines.anyTermNmi, '', '', ''),
    row('baseline: random', r.k, r.baselines.randomNmi, '', '', ''),
  ].join('\n');
}

if (isMain(import.meta.url)) await runStandalone('topics', benchTopics, markdown);
