/**
 * `eval sentiment`: scores a labelled TSV with the lexicon scorer or a classifier trained on
 * another file, and prints macro recall (SemEval's AvgRec), macro F1, accuracy and throughput;
 * for files with a numeric `score` column instead of labels, the Pearson correlation.
 *
 * Like the pipeline, it scores only posts whose language has a sentiment model
 * (models/sentiment/languages.ts): the language comes from an optional `lang` column, else it is
 * detected as preprocessing detects it. A post left unscored counts as a miss in recall and
 * accuracy, and is counted in `notScored`; `--all-languages` scores every post regardless.
 */
import { printEval } from './output';
import type { Command } from 'commander';
import { sentimentLabels, type SentimentLabel } from '../../lib/schema';
import { readTableAll, requireColumns, type Row } from '../../lib/tabular';
import { trainSentimentClassifier, type SentimentClassifier } from '../../models/sentiment/classifier';
import { canScoreSentiment, sentimentLanguageOf } from '../../models/sentiment/languages';
import { scoreSentiment } from '../../models/sentiment/lexicon';
import { classificationMetrics, pearson } from '../../models/sentiment/metrics';

export type SentimentModelKind = 'lexicon' | 'trained';

export interface SentimentEvalOptions {
  /** TSV/CSV with a `text` column and a `label` (negative|neutral|positive) or numeric `score` column */
  test: string;
  /** labelled TSV/CSV to train the classifier on (required for model 'trained') */
  train?: string;
  /** default: 'trained' when `train` is given, else 'lexicon' */
  model?: SentimentModelKind;
  seed?: number;
  /** score every post with the English models, whatever its language (default false: as the pipeline does) */
  allLanguages?: boolean;
}

interface EvalBase {
  test: string;
  train?: string;
  model: SentimentModelKind;
  n: number;
  /** posts scored per second over the test set (file reading, training and the language check excluded) */
  postsPerSecond: number;
  /** wall-clock seconds spent deciding which posts have a language with a sentiment model (absent with allLanguages) */
  languageSeconds?: number;
  /** wall-clock seconds to train the classifier (model 'trained' only; the machine may be shared) */
  trainSeconds?: number;
  /** posts left without sentiment because their language has no sentiment model (misses in the metrics) */
  notScored: number;
  /** those posts by language */
  notScoredLanguages: Record<string, number>;
}

export interface SentimentLabelEvalResult extends EvalBase {
  kind: 'labels';
  macroRecall: number;
  macroF1: number;
  accuracy: number;
  perClassRecall: Record<SentimentLabel, number>;
}

export interface SentimentScoreEvalResult extends EvalBase {
  kind: 'scores';
  /** Pearson r between the file's score and the model's polarity (compound; P(positive) - P(negative) for 'trained'), over the scored posts */
  pearson: number;
}

export type SentimentEvalResult = SentimentLabelEvalResult | SentimentScoreEvalResult;

/**
 * The SemEval TSVs keep CSV quoting inside tab-separated fields: a text with a comma or quote is
 * wrapped in quotes and its own quotes doubled. The file reader reads TSV without quote handling
 * (the quotes are unbalanced elsewhere), so the wrapping is undone here.
 */
export function unquoteField(text: string): string {
  if (text.length >= 2 && text.charCodeAt(0) === 34 && text.charCodeAt(text.length - 1) === 34) {
    return text.slice(1, -1).replace(/""/g, '"');
  }
  return text;
}

export interface LabelledTexts {
  texts: string[];
  labels: SentimentLabel[];
  /** the `lang` column when the file has one ('' where a row leaves it empty) */
  langs?: string[];
}

/** Reads `text` + `label` rows; a label outside negative|neutral|positive is an error naming its line. */
export async function readLabelledTexts(file: string): Promise<LabelledTexts> {
  const rows = await readTableAll(file);
  requireColumns(file, rows, ['text', 'label']);
  return labelledFrom(file, rows);
}

function labelledFrom(file: string, rows: Row[]): LabelledTexts {
  const allowed = sentimentLabels as readonly string[];
  const labels = rows.map((r, i) => {
    const label = (r.label ?? '').trim().toLowerCase();
    if (!allowed.includes(label)) {
      // +2: the header is line 1 and rows count from 0
      throw new Error(`${file}: line ${i + 2} has label "${r.label ?? ''}"; allowed labels are ${sentimentLabels.join(', ')}`);
    }
    return label as SentimentLabel;
  });
  return { texts: rows.map((r) => unquoteField(r.text ?? '')), labels, ...langsOf(rows) };
}

function langsOf(rows: Row[]): { langs?: string[] } {
  return rows.length > 0 && 'lang' in rows[0] ? { langs: rows.map((r) => (r.lang ?? '').trim()) } : {};
}

function scoresFrom(file: string, rows: Row[]): { texts: string[]; scores: number[]; langs?: string[] } {
  const scores = rows.map((r, i) => {
    const raw = (r.score ?? '').trim();
    const v = Number(raw);
    if (raw === '' || !Number.isFinite(v)) throw new Error(`${file}: line ${i + 2} has score "${r.score ?? ''}"; the score column must be numeric`);
    return v;
  });
  return { texts: rows.map((r) => unquoteField(r.text ?? '')), scores, ...langsOf(rows) };
}

const round = (x: number, digits = 4) => Number(x.toFixed(digits));

export async function evaluateSentiment(opts: SentimentEvalOptions): Promise<SentimentEvalResult> {
  const model: SentimentModelKind = opts.model ?? (opts.train !== undefined ? 'trained' : 'lexicon');
  if (model !== 'lexicon' && model !== 'trained') throw new Error(`--model must be lexicon or trained, got ${String(model)}`);
  if (model === 'trained' && opts.train === undefined) {
    throw new Error('--model trained needs --train FILE (a TSV with text and label columns to train on)');
  }
  const rows = await readTableAll(opts.test);
  requireColumns(opts.test, rows, ['text']);
  const columns = Object.keys(rows[0]);
  const hasLabel = columns.includes('label');
  if (!hasLabel && !columns.includes('score')) {
    throw new Error(`${opts.test}: needs a 'label' column (negative|neutral|positive) or a numeric 'score' column; the header has: ${columns.join(', ')}`);
  }
  const test = hasLabel ? labelledFrom(opts.test, rows) : scoresFrom(opts.test, rows);

  let classifier: SentimentClassifier | null = null;
  let trainSeconds: number | undefined;
  if (model === 'trained') {
    const train = await readLabelledTexts(opts.train!);
    const t0 = performance.now();
    classifier = trainSentimentClassifier(train.texts, train.labels, { seed: opts.seed ?? 1 });
    trainSeconds = round((performance.now() - t0) / 1000, 2);
  }

  const n = test.texts.length;
  // The pipeline's rule: no sentiment for a post whose language has no sentiment model. Timed apart
  // from scoring: in the pipeline the language is detected once, in preprocessing.
  const tLang = performance.now();
  const scoredIdx: number[] = [];
  const notScoredLanguages: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const lang = opts.allLanguages ? null : sentimentLanguageOf(test.texts[i], test.langs?.[i]);
    if (canScoreSentiment(lang)) scoredIdx.push(i);
    else notScoredLanguages[lang!] = (notScoredLanguages[lang!] ?? 0) + 1;
  }
  const languageSeconds = opts.allLanguages ? undefined : round((performance.now() - tLang) / 1000, 2);
  const t0 = performance.now();
  const predicted: (SentimentLabel | null)[] = new Array(n).fill(null);
  const polarity = new Float64Array(n);
  if (classifier !== null) {
    const preds = classifier.predictBatch(scoredIdx.map((i) => test.texts[i]));
    for (let j = 0; j < preds.length; j++) {
      predicted[scoredIdx[j]] = preds[j].label;
      polarity[scoredIdx[j]] = preds[j].probabilities.positive - preds[j].probabilities.negative;
    }
  } else {
    for (const i of scoredIdx) {
      const s = scoreSentiment(test.texts[i]);
      predicted[i] = s.label;
      polarity[i] = s.compound;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const base: EvalBase = {
    test: opts.test,
    ...(opts.train !== undefined && model === 'trained' ? { train: opts.train } : {}),
    model,
    n: test.texts.length,
    postsPerSecond: Math.round(scoredIdx.length / Math.max(seconds, 1e-9)),
    ...(languageSeconds !== undefined ? { languageSeconds } : {}),
    ...(trainSeconds !== undefined ? { trainSeconds } : {}),
    notScored: n - scoredIdx.length,
    notScoredLanguages,
  };
  if ('labels' in test) {
    const m = classificationMetrics(test.labels, predicted, sentimentLabels);
    return {
      kind: 'labels',
      ...base,
      macroRecall: round(m.macroRecall),
      macroF1: round(m.macroF1),
      accuracy: round(m.accuracy),
      perClassRecall: {
        negative: round(m.perClassRecall.negative),
        neutral: round(m.perClassRecall.neutral),
        positive: round(m.perClassRecall.positive),
      },
    };
  }
  const scored = Float64Array.from(scoredIdx, (i) => polarity[i]);
  return { kind: 'scores', ...base, pearson: round(pearson(scored, scoredIdx.map((i) => test.scores[i]))) };
}

function formatText(r: SentimentEvalResult): string {
  const lines = [`sentiment (${r.model}) on ${r.test}: ${r.n} posts${r.train ? `, trained on ${r.train} in ${r.trainSeconds}s` : ''}`];
  if (r.kind === 'labels') {
    lines.push(
      `macro recall  ${r.macroRecall}`,
      `macro F1      ${r.macroF1}`,
      `accuracy      ${r.accuracy}`,
      `recall        negative ${r.perClassRecall.negative}, neutral ${r.perClassRecall.neutral}, positive ${r.perClassRecall.positive}`,
    );
  } else {
    lines.push(`pearson r     ${r.pearson}`);
  }
  if (r.notScored > 0) {
    const langs = Object.entries(r.notScoredLanguages).sort((a, b) => b[1] - a[1]).map(([l, c]) => `${l} ${c}`).join(', ');
    lines.push(`not scored    ${r.notScored} (no sentiment model for their language: ${langs}; counted as misses)`);
  }
  lines.push(`posts/second  ${r.postsPerSecond}`);
  return lines.join('\n') + '\n';
}

export function registerSentimentEval(evalCmd: Command): void {
  evalCmd
    .command('sentiment')
    .description('score posts with known sentiment; print macro recall, macro F1, accuracy (or Pearson r for a score column) and posts/second')
    .requiredOption('--test <file>', 'TSV/CSV with a text column and a label (negative|neutral|positive) or numeric score column')
    .option('--train <file>', 'TSV/CSV with text and label columns to train the classifier on')
    .option('--model <name>', 'lexicon or trained (default: trained when --train is given, else lexicon)')
    .option('--seed <n>', 'training seed (default 1)')
    .option('--all-languages', 'score every post with the English models, whatever its language (default: like the pipeline, posts in other languages are not scored)')
    .option('--json', 'print one JSON object')
    .action(async (o: { test: string; train?: string; model?: string; seed?: string; allLanguages?: boolean; json?: boolean }) => {
      if (o.seed !== undefined && !Number.isInteger(Number(o.seed))) throw new Error(`--seed must be an integer, got ${o.seed}`);
      const result = await evaluateSentiment({
        test: o.test,
        train: o.train,
        model: o.model as SentimentModelKind | undefined,
        seed: o.seed === undefined ? undefined : Number(o.seed),
        allLanguages: o.allLanguages === true,
      });
      printEval(result, o.json, formatText);
    });
}
