/**
 * Quality on the real data sets (skipped when the shared data folder is absent):
 * topics on SemEval topics-dev must recover the named topics clearly better than a trivial clustering,
 * and burst alarms on NAB realTweets must beat the fixed-threshold detector.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mostFrequentTermClusters, randomClusters } from '../../bench/topics';
import { DEFAULT_K, evaluateTopics, loadTopicCorpus } from '../../cli/eval/topics';
import { evaluateTrends } from '../../cli/eval/trends';
import { sharedDataDir } from '../../lib/paths';
import { normalizedMutualInformation } from '../../models/eval/clustering';

const topicsFile = path.join(sharedDataDir(), 'semeval', 'topics-dev.tsv');
const nabDir = path.join(sharedDataDir(), 'nab-tweets');

describe.skipIf(!fs.existsSync(topicsFile))('topics on SemEval topics-dev', () => {
  it('finds topics that match the named topics far better than trivial clusterings', async () => {
    // 60 sweeps instead of the default 200 to stay fast; GSDMM has converged by then (NMI within ±0.01)
    const result = await evaluateTopics({ data: topicsFile, iterations: 60 });
    const corpus = await loadTopicCorpus(topicsFile);
    const topTerm = normalizedMutualInformation(mostFrequentTermClusters(corpus.documents, DEFAULT_K), corpus.labels);
    const anyTerm = normalizedMutualInformation(mostFrequentTermClusters(corpus.documents), corpus.labels);
    const random = normalizedMutualInformation(randomClusters(corpus.documents.length, DEFAULT_K), corpus.labels);
    expect(result.k).toBe(DEFAULT_K);
    expect(result.nmi).toBeGreaterThan(0.45);
    expect(result.nmi).toBeGreaterThan(Math.max(topTerm, anyTerm, random) + 0.15);
    expect(result.diversity).toBeGreaterThan(0.5);
    expect(result.topics.length).toBeGreaterThan(DEFAULT_K / 2);
  });
});

describe.skipIf(!fs.existsSync(path.join(nabDir, 'labels.json')))('trends on NAB realTweets', () => {
  it('alarms more precisely than a fixed threshold while catching most windows, and forecasts beat seasonal naive', async () => {
    const series = fs
      .readdirSync(nabDir)
      .filter((f) => f.endsWith('.csv'))
      .map((f) => path.join(nabDir, f));
    const labels = path.join(nabDir, 'labels.json');
    const ewma = await evaluateTrends({ series, labels });
    const fixed = await evaluateTrends({ series, labels, detector: 'fixed' });
    expect(ewma.series).toBe(5);
    expect(ewma.f1).toBeGreaterThan(fixed.f1 + 0.15);
    expect(ewma.alarmPrecision).toBeGreaterThan(2 * fixed.alarmPrecision);
    // the fixed threshold fires all the time and so "detects" every window; the detector must still catch most
    expect(ewma.windowRecall).toBeGreaterThanOrEqual(0.5);
    expect(ewma.mase).toBeLessThan(0.8);
    expect(ewma.coverage).toBeGreaterThan(0.85);
  });
});
