/**
 * Sentiment benchmark on SemEval-2016 Task 4A test (sentiment-dev.tsv, 20,632 tweets): our lexicon
 * scorer, trained linear classifier and TensorFlow.js challenger against the vader-sentiment and
 * sentiment (AFINN-165) npm packages, quality (macro recall = SemEval's AvgRec) and throughput
 * measured in the same run; and Pearson r of the lexicon and of VADER against the human 5-point
 * ratings of topics-dev.tsv.
 *
 *   npx tsx bench/sentiment.ts [dataDir]
 */
import { isMain, runStandalone } from './standalone';
import fs from 'node:fs';
import path from 'node:path';
// @ts-expect-error: the sentiment package ships no type declarations
import Sentiment from 'sentiment';
import { evaluateSentiment, readLabelledTexts, type SentimentLabelEvalResult } from '../cli/eval/sentiment';
import { sentimentLabels, type SentimentLabel } from '../lib/schema';
import { sharedDataDir } from '../lib/paths';
import { scoreSentiment } from '../models/sentiment/lexicon';
import { classificationMetrics } from '../models/sentiment/metrics';
import { vaderSentiment } from '../models/sentiment/vaderBaseline';

export interface SentimentBenchRow {
  name: string;
  macroRecall: number;
  macroF1: number;
  accuracy: number;
  postsPerSecond: number;
  trainSeconds?: number;
}

export interface SentimentBench {
  data: string;
  n: number;
  rows: SentimentBenchRow[];
  /** postsPerSecond of our lexicon scorer / that of vader-sentiment */
  speedup: number;
  /** Pearson r against topics-dev's human ratings (score5), lexicon and vader-sentiment on the same posts */
  pearson?: { data: string; n: number; lexicon: number; vader: number };
}

function row(name: string, r: SentimentLabelEvalResult): SentimentBenchRow {
  return {
    name,
    macroRecall: r.macroRecall,
    macroF1: r.macroF1,
    accuracy: r.accuracy,
    postsPerSecond: r.postsPerSecond,
    ...(r.trainSeconds !== undefined ? { trainSeconds: r.trainSeconds } : {}),
  };
}

/**
 * Every scorer first runs untimed over this many posts, so the timed pass measures compiled code
 * rather than the JIT warming up (and none gets the advantage of running second).
 */
const WARM_UP = 2000;

/** Labels a baseline's texts with `label(text)` and measures it like evaluateSentiment measures ours. */
function measure(name: string, texts: string[], gold: SentimentLabel[], label: (text: string) => SentimentLabel): SentimentBenchRow {
  for (let i = 0; i < Math.min(WARM_UP, texts.length); i++) label(texts[i]);
  const t0 = performance.now();
  const predicted = texts.map(label);
  const seconds = (performance.now() - t0) / 1000;
  const m = classificationMetrics(gold, predicted, sentimentLabels);
  const r4 = (x: number) => Number(x.toFixed(4));
  return { name, macroRecall: r4(m.macroRecall), macroF1: r4(m.macroF1), accuracy: r4(m.accuracy), postsPerSecond: Math.round(texts.length / seconds) };
}

export async function benchSentiment(dataDir: string = sharedDataDir()): Promise<SentimentBench | { skipped: string }> {
  const test = path.join(dataDir, 'semeval', 'sentiment-dev.tsv');
  const train = path.join(dataDir, 'semeval', 'sentiment-train.tsv');
  for (const f of [test, train]) {
    if (!fs.existsSync(f)) return { skipped: `${f} not found (set SOCIALSENSE_SHARED_DATA to the shared data folder)` };
  }
  const { texts, labels } = await readLabelledTexts(test);
  for (let i = 0; i < Math.min(WARM_UP, texts.length); i++) scoreSentiment(texts[i]);
  const lexicon = (await evaluateSentiment({ test, model: 'lexicon' })) as SentimentLabelEvalResult;
  const trained = (await evaluateSentiment({ test, train, model: 'trained', baseline: false })) as SentimentLabelEvalResult;
  const neural = (await evaluateSentiment({ test, train, model: 'neural', baseline: false })) as SentimentLabelEvalResult;
  // VADER's published cut-offs: compound >= 0.05 positive, <= -0.05 negative
  const vaderRow = measure('vader-sentiment (npm)', texts, labels, (t) => vaderSentiment(t).label);
  const afinn = new Sentiment();
  const afinnRow = measure('sentiment / AFINN-165 (npm)', texts, labels, (t) => {
    const s = afinn.analyze(t).score as number;
    return s > 0 ? 'positive' : s < 0 ? 'negative' : 'neutral';
  });
  return {
    data: test,
    n: texts.length,
    rows: [
      row('ours: lexicon', lexicon),
      row('ours: trained classifier', trained),
      row(`ours: neural (TensorFlow.js, ${neural.backend})`, neural),
      vaderRow,
      afinnRow,
    ],
    speedup: Number((lexicon.postsPerSecond / vaderRow.postsPerSecond).toFixed(1)),
    ...(await pearsonRow(path.join(dataDir, 'semeval', 'topics-dev.tsv'))),
  };
}

async function pearsonRow(rated: string): Promise<Pick<SentimentBench, 'pearson'>> {
  if (!fs.existsSync(rated)) return {};
  const r = await evaluateSentiment({ test: rated, model: 'lexicon' });
  if (r.kind !== 'scores' || r.baseline === undefined || !('pearson' in r.baseline)) return {};
  return { pearson: { data: rated, n: r.n, lexicon: r.pearson, vader: r.baseline.pearson } };
}

function markdown(r: SentimentBench): string {
  return [
    `sentiment-dev (SemEval-2016 4A test, ${r.n} tweets); classifier trained on sentiment-train.tsv`,
    '',
    '| model | macro recall | macro F1 | accuracy | posts/s | train s |',
    '|---|---|---|---|---|---|',
    ...r.rows.map((x) => `| ${x.name} | ${x.macroRecall} | ${x.macroF1} | ${x.accuracy} | ${x.postsPerSecond} | ${x.trainSeconds ?? ''} |`),
    '',
    `lexicon speed-up over vader-sentiment: ${r.speedup}x`,
    ...(r.pearson
      ? [
          '',
          `Pearson r against the human 5-point ratings of ${r.pearson.n} topics-dev tweets: lexicon ${r.pearson.lexicon}, vader-sentiment ${r.pearson.vader}`,
        ]
      : []),
  ].join('\n');
}

if (isMain(import.meta.url)) await runStandalone('sentiment', benchSentiment, markdown);
