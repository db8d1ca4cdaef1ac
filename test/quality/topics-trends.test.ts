/**
 * Quality on the real data sets (a missing shared data folder fails the tests, naming the path):
 * topics on SemEval topics-dev must recover the named topics clearly better than tf-idf + k-means and trivial clusterings,
 * and burst alarms on NAB realTweets, tuned leave-one-series-out, must reach f1 0.55 and beat the fixed threshold.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mostFrequentTermClusters, randomClusters } from '../../bench/topics';
import { DEFAULT_K, evaluateTopics, loadTopicCorpus } from '../../cli/eval/topics';
import { evaluateTrends } from '../../cli/eval/trends';
import { normalizedMutualInformation } from '../../models/eval/clustering';
import { requireSharedData, sharedDataPath } from '../helpers/sharedData';

const topicsFile = sharedDataPath('semeval', 'topics-dev.tsv');
const nabDir = sharedDataPath('nab-tweets');

describe('topics on SemEval topics-dev', () => {
  // Settings are fixed a priori (fine clusters ⌈√n⌉, silhouette over merge levels, seed 1); nothing was tuned
  // on these labels. Bounds sit below the figures measured on this machine (in the comments).
  it('with k chosen by the model: beats tf-idf + k-means at the same k, agrees across seeds, leaves no catch-all', async () => {
    requireSharedData(topicsFile);
    const r = await evaluateTopics({ data: topicsFile, k: 'auto' });
    expect(r.method).toBe('clusters');
    expect(r.kChosenBy).toBe('silhouette');
    expect(r.kRange).not.toBeNull();
    expect(r.k).toBeGreaterThanOrEqual(r.kRange![0]);
    expect(r.k).toBeLessThanOrEqual(r.kRange![1]);
    expect(r.baseline.k).toBe(r.k);
    // measured: k 176, NMI 0.909 vs 0.849; NPMI −0.079 vs −0.102
    expect(r.nmi).toBeGreaterThan(0.85);
    expect(r.nmi).toBeGreaterThan(r.baseline.nmi + 0.04);
    expect(r.npmi).toBeGreaterThan(r.baseline.npmi);
    expect(r.diversity).toBeGreaterThan(0.5);
    // measured: seeds 1 and 2 agree at NMI 0.876; 1 post of 30,632 has no term; largest topic 1.7% of posts
    expect(r.seedAgreement.nmi).toBeGreaterThan(0.8);
    expect(r.unassignedShare).toBeLessThan(0.01);
    expect(r.largestTopicShare).toBeLessThan(0.05);
    // its speed (5–6 CPU seconds for 30,632 posts, silhouette included) is measured by bench/topics.ts, not asserted
    // here: a timed assertion fails on a loaded machine (10.9 s in a CI run beside other work)
    for (const t of r.topics) for (const term of t.terms) expect(term).not.toMatch(/^(https?|www|\d+)$|^@|^#/);
  });

  it(`with k = ${DEFAULT_K} given: far better than tf-idf + k-means and than trivial clusterings`, async () => {
    requireSharedData(topicsFile);
    const result = await evaluateTopics({ data: topicsFile, k: DEFAULT_K });
    const corpus = await loadTopicCorpus(topicsFile);
    const topTerm = normalizedMutualInformation(mostFrequentTermClusters(corpus.documents, DEFAULT_K), corpus.labels);
    const anyTerm = normalizedMutualInformation(mostFrequentTermClusters(corpus.documents), corpus.labels);
    const random = normalizedMutualInformation(randomClusters(corpus.documents.length, DEFAULT_K), corpus.labels);
    expect(result.k).toBe(DEFAULT_K);
    expect(result.kChosenBy).toBe('given');
    // measured: 0.617 vs tf-idf + k-means 0.269 (GSDMM, the previous default: 0.536)
    expect(result.nmi).toBeGreaterThan(0.55);
    expect(result.nmi).toBeGreaterThan(result.baseline.nmi + 0.25);
    // measured: 0.12 (top-20 terms), 0.34 (most frequent term, ~470 clusters), 0.02 (random)
    expect(result.nmi).toBeGreaterThan(topTerm + 0.3);
    expect(result.nmi).toBeGreaterThan(anyTerm + 0.1);
    expect(result.nmi).toBeGreaterThan(random + 0.4);
    expect(result.diversity).toBeGreaterThan(0.5);
    expect(result.topics.length).toBe(DEFAULT_K);
  });
});

describe('trends on NAB realTweets', () => {
  it('leave-one-series-out: f1 >= 0.55, alarms within an hour of the labelled instant, calibrated false alarms, forecasts beat seasonal naive', async () => {
    requireSharedData(nabDir, path.join(nabDir, 'labels.json'));
    const series = fs
      .readdirSync(nabDir)
      .filter((f) => f.endsWith('.csv'))
      .sort()
      .map((f) => path.join(nabDir, f));
    const labels = path.join(nabDir, 'labels.json');
    const r = await evaluateTrends({ series, labels });
    expect(r.series).toBe(5);
    expect(r.detector).toBe('nb');
    // Every series is scored with settings chosen on the other four (measured: f1 0.575, 9 of 16 windows).
    expect(r.protocol).toBe('leave-one-series-out');
    expect(r.folds!.map((f) => f.heldOut)).toEqual(r.perSeries.map((s) => s.key));
    for (const s of r.perSeries) expect(s.chosen).toBeDefined();
    expect(r.f1).toBeGreaterThanOrEqual(0.55);
    // The fixed mean + 3 sd baseline from the same run (measured 0.25) is far behind.
    expect(r.f1).toBeGreaterThan(r.baselines.fixedThreshold.f1 + 0.25);
    // Thresholds are calibrated to at most 0.01–0.2 false alarms per day on the training series;
    // on the held-out series the achieved rate stays within 0.05 per day (measured 0.02; baseline 1.1).
    for (const f of r.folds!) expect(f.trainFalseAlarmsPerDay).toBeLessThanOrEqual(f.targetFalseAlarmsPerDay);
    expect(r.falseAlarmsPerDay).toBeLessThanOrEqual(0.05);
    // Earliness, measured from the labelled anomaly instant: on average the first alarm comes no
    // later than an hour after it (measured: 136 minutes before it). From the window START it cannot:
    // NAB centres its windows on the label, so an alarm exactly at each label is already
    // meanLabelOffsetMinutes (~1,175) after the window start; see the README's trends section.
    expect(r.meanDelayAfterLabelMinutes).not.toBeNull();
    expect(r.meanDelayAfterLabelMinutes!).toBeLessThanOrEqual(60);
    expect(r.meanLabelOffsetMinutes!).toBeGreaterThan(600);
    // What a first alarm within an hour of the window start would cost (models/trends/earliness.ts): even a rule
    // that knows each series' whole weekly profile only gets there by alarming many times a day outside windows
    // (measured: 40 min at 15.5 false alarms/day; 162 min at 6.7/day), hundreds of times the detector's rate.
    const early = r.earlinessFrontier.filter((e) => e.meanDelayMinutes !== null && e.meanDelayMinutes <= 60);
    expect(early.length).toBeGreaterThan(0);
    for (const e of early) expect(e.falseAlarmsPerDay).toBeGreaterThan(100 * r.falseAlarmsPerDay);
    // A higher multiplier alarms later and less often.
    for (let i = 1; i < r.earlinessFrontier.length; i++) {
      expect(r.earlinessFrontier[i].falseAlarmsPerDay).toBeLessThan(r.earlinessFrontier[i - 1].falseAlarmsPerDay);
      expect(r.earlinessFrontier[i].meanDelayMinutes!).toBeGreaterThanOrEqual(r.earlinessFrontier[i - 1].meanDelayMinutes!);
    }
    expect(r.mase).toBeLessThan(0.8);
    expect(r.mase).toBeLessThan(r.baselines.seasonalNaive.mase);
    expect(r.coverage).toBeGreaterThan(0.85);
  });
});
