/**
 * Sentiment benchmark on SemEval-2016 Task 4A test (sentiment-dev.tsv, 20,632 tweets): our lexicon
 * scorer and trained classifier against the vader-sentiment and sentiment (AFINN-165) npm packages,
 * quality (macro recall = SemEval's AvgRec) and throughput measured in the same run.
 *
 *   npx tsx bench/sentiment.ts [dataDir]
 */
import { isMain, runStandalone } from './standalone';
import fs from 'node:fs';
import path from 'node:path';
// @ts-expect-error: the sentiment package ships no type declarations
import Sentiment from 'sentiment';
// @ts-expect-error: vader-sentiment ships no type declarations
import vader from 'vader-sentiment';
import { evaluateSentiment, readLabelledTexts, type SentimentLabelEvalResult } from '../cli/eval/sentiment';
import { sentimentLabels, type SentimentLabel } from '../lib/schema';
import { sharedDataDir } from '../lib/paths';
import { scoreSentiment } from '../models/sentiment/lexicon';
import { classificationMetrics } from '../models/sentiment/metrics';

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
  const trained = (await evaluateSentiment({ test, train, model: 'trained' })) as SentimentLabelEvalResult;
  // VADER's published cut-offs: compound >= 0.05 positive, <= -0.05 negative
  const vaderRow = measure('vader-sentiment (npm)', texts, labels, (t) => {
    const c = vader.SentimentIntensityAnalyzer.polarity_scores(t).compound as number;
    return c >= 0.05 ? 'positive' : c <= -0.05 ? 'negative' : 'neutral';
  });
  const afinn = new Sentiment();
  const afinnRow = measure('sentiment / AFINN-165 (npm)', texts, labels, (t) => {
    const s = afinn.analyze(t).score as number;
    return s > 0 ? 'positive' : s < 0 ? 'negative' : 'neutral';
  });
  return {
    data: test,
    n: texts.length,
    rows: [row('ours: lexicon', lexicon), row('ours: trained classifier', trained), vaderRow, afinnRow],
    speedup: Number((lexicon.postsPerSecond / vaderRow.postsPerSecond).toFixed(1)),
  };
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
  ].join('\n');
}

if (isMain(import.meta.url)) await runStandalone('sentiment', benchSentiment, markdown);
