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
import { createHash } from 'node:crypto';
import { printEval } from './output';
import type { Command } from 'commander';
import { sentimentLabels, type SentimentLabel } from '../../lib/schema';
import { readTableAll, requireColumns, type Row } from '../../lib/tabular';
import { trainSentimentClassifier, tuneOnNewest, type SentimentClassifier } from '../../models/sentiment/classifier';
import { canScoreSentimentOf, sentimentLanguageOf } from '../../models/sentiment/languages';
import { lexiconModelName, scoreSentiment } from '../../models/sentiment/lexicon';
import { readDomainLexicon } from '../../lib/domainLexicon';
import { trainNeuralSentiment } from '../../models/sentiment/neural';
import { vaderSentiment } from '../../models/sentiment/vaderBaseline';
import { classificationMetrics, pearson } from '../../models/sentiment/metrics';

export type SentimentModelKind = 'lexicon' | 'trained' | 'neural';
const MODEL_KINDS: readonly SentimentModelKind[] = ['lexicon', 'trained', 'neural'];

export interface SentimentEvalOptions {
  /** TSV/CSV with a `text` column and a `label` (negative|neutral|positive) or numeric `score` (or `score5`) column */
  test: string;
  /** labelled TSV/CSV to train the classifier on (required for models 'trained' and 'neural') */
  train?: string;
  /** default: 'trained' when `train` is given, else 'lexicon'; 'neural' is the TensorFlow.js challenger */
  model?: SentimentModelKind;
  seed?: number;
  /** score every post with the English models, whatever its language (default false: as the pipeline does) */
  allLanguages?: boolean;
  /** a domain lexicon file (extra words with valences) applied by the lexicon and the trained models' lexicon features */
  lexicon?: string;
  /** also score the same posts with the baseline (default true): vader-sentiment for the lexicon, our lexicon for trained models */
  baseline?: boolean;
}

/** The baseline's figures on the same posts, from the same run. */
export type SentimentBaselineFigures =
  | { name: string; macroRecall: number; macroF1: number; accuracy: number; perClassRecall: Record<SentimentLabel, number | null> }
  | { name: string; pearson: number };

interface EvalBase {
  test: string;
  train?: string;
  model: SentimentModelKind;
  /** the lexicon version the scores come from: lexicon.v1, or lexicon.v1+domain.<digest> with a domain lexicon */
  lexicon: string;
  n: number;
  /** posts scored per second over the test set (file reading, training and the language check excluded) */
  postsPerSecond: number;
  /** wall-clock seconds spent deciding which posts have a language with a sentiment model (absent with allLanguages; near 0 when this process already checked the same file) */
  languageSeconds?: number;
  /** wall-clock seconds to train the classifier (models 'trained' and 'neural'; the machine may be shared) */
  trainSeconds?: number;
  /** the TensorFlow.js backend that trained model 'neural' ('cpu' here; 'tensorflow' with tfjs-node) */
  backend?: string;
  /** posts left without sentiment because their language has no sentiment model (misses in the metrics) */
  notScored: number;
  /** the baseline on the same posts (see SentimentEvalOptions.baseline) */
  baseline?: SentimentBaselineFigures;
  /** those posts by language */
  notScoredLanguages: Record<string, number>;
}

export interface SentimentLabelEvalResult extends EvalBase {
  kind: 'labels';
  macroRecall: number;
  macroF1: number;
  accuracy: number;
  /** null for a label no row of the test file has */
  perClassRecall: Record<SentimentLabel, number | null>;
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
  /** the `id` column when the file has one */
  ids?: string[];
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
  const ids = rows.length > 0 && 'id' in rows[0] ? { ids: rows.map((r) => (r.id ?? '').trim()) } : {};
  return { texts: rows.map((r) => unquoteField(r.text ?? '')), labels, ...ids, ...langsOf(rows) };
}

function langsOf(rows: Row[]): { langs?: string[] } {
  return rows.length > 0 && 'lang' in rows[0] ? { langs: rows.map((r) => (r.lang ?? '').trim()) } : {};
}

/**
 * Human ratings: a numeric `score` column, else `score5` (the SemEval 5-point -2..2 ratings of
 * topics-dev.tsv).
 */
function scoresFrom(file: string, rows: Row[]): { texts: string[]; scores: number[]; langs?: string[] } {
  const column = 'score' in rows[0] ? 'score' : 'score5';
  const scores = rows.map((r, i) => {
    const raw = (r[column] ?? '').trim();
    const v = Number(raw);
    if (raw === '' || !Number.isFinite(v)) throw new Error(`${file}: line ${i + 2} has ${column} "${r[column] ?? ''}"; the ${column} column must be numeric`);
    return v;
  });
  return { texts: rows.map((r) => unquoteField(r.text ?? '')), scores, ...langsOf(rows) };
}

const round = (x: number, digits = 4) => Number(x.toFixed(digits));
const roundOrNull = (x: number | null) => (x === null ? null : round(x));

interface LanguageGate {
  scoredIdx: number[];
  notScoredLanguages: Record<string, number>;
}

function scoreEveryPost(n: number): LanguageGate {
  return { scoredIdx: Array.from({ length: n }, (_, i) => i), notScoredLanguages: {} };
}

/**
 * Which posts of a test file get sentiment (the pipeline's language rule). Detection costs about
 * a millisecond a post, so the answer is kept per file content for the process: evaluating
 * several models on one file (bench, quality tests) detects the languages once.
 */
const gateCache = new Map<string, LanguageGate>();
function languageGate(file: string, texts: readonly string[], langs: readonly string[] | undefined): LanguageGate {
  const key = createHash('sha256')
    .update(file)
    .update('\0')
    .update(texts.join('\u0001'))
    .update('\0')
    .update((langs ?? []).join('\u0001'))
    .digest('hex');
  const hit = gateCache.get(key);
  if (hit) return hit;
  const gate: LanguageGate = { scoredIdx: [], notScoredLanguages: {} };
  for (let i = 0; i < texts.length; i++) {
    const lang = sentimentLanguageOf(texts[i], langs?.[i]);
    if (canScoreSentimentOf(texts[i], lang)) gate.scoredIdx.push(i);
    else {
      const why = lang ?? 'und (non-Latin script)';
      gate.notScoredLanguages[why] = (gate.notScoredLanguages[why] ?? 0) + 1;
    }
  }
  gateCache.set(key, gate);
  return gate;
}

export async function evaluateSentiment(opts: SentimentEvalOptions): Promise<SentimentEvalResult> {
  const model: SentimentModelKind = opts.model ?? (opts.train !== undefined ? 'trained' : 'lexicon');
  if (!MODEL_KINDS.includes(model)) throw new Error(`--model must be one of ${MODEL_KINDS.join(', ')}, got ${String(model)}`);
  if (model !== 'lexicon' && opts.train === undefined) {
    throw new Error(`--model ${model} needs --train FILE (a TSV with text and label columns to train on)`);
  }
  const rows = await readTableAll(opts.test);
  requireColumns(opts.test, rows, ['text']);
  const columns = Object.keys(rows[0]);
  const hasLabel = columns.includes('label');
  if (!hasLabel && !columns.includes('score') && !columns.includes('score5')) {
    throw new Error(
      `${opts.test}: needs a 'label' column (negative|neutral|positive) or a numeric 'score' (or 'score5') column; the header has: ${columns.join(', ')}`,
    );
  }
  const test = hasLabel ? labelledFrom(opts.test, rows) : scoresFrom(opts.test, rows);

  const domain = opts.lexicon !== undefined ? readDomainLexicon(opts.lexicon) : null;
  let classifier: Pick<SentimentClassifier, 'predictBatch'> | null = null;
  let trainSeconds: number | undefined;
  let backend: string | undefined;
  if (model !== 'lexicon') {
    const train = await readLabelledTexts(opts.train!);
    const t0 = performance.now();
    // both tune on the newest tenth of the training file when it has tweet ids (tuneOnNewest)
    const split = tuneOnNewest(train.texts, train.labels, train.ids);
    if (model === 'neural') {
      const net = await trainNeuralSentiment(split.texts, split.labels, { seed: opts.seed ?? 1, lexicon: domain, ...split.options });
      backend = net.header.training.backend;
      classifier = net;
    } else {
      classifier = trainSentimentClassifier(split.texts, split.labels, { seed: opts.seed ?? 1, lexicon: domain, ...split.options });
    }
    trainSeconds = round((performance.now() - t0) / 1000, 2);
  }

  const n = test.texts.length;
  // The pipeline's rule: no sentiment for a post whose language has no sentiment model. Timed apart
  // from scoring: in the pipeline the language is detected once, in preprocessing.
  const tLang = performance.now();
  const { scoredIdx, notScoredLanguages } = opts.allLanguages ? scoreEveryPost(n) : languageGate(opts.test, test.texts, test.langs);
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
      const s = scoreSentiment(test.texts[i], domain);
      predicted[i] = s.label;
      polarity[i] = s.compound;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  // The baseline scores exactly the posts the model scored (the same misses count against both).
  let baselineLabels: (SentimentLabel | null)[] | null = null;
  const baselinePolarity = new Float64Array(n);
  const baselineName = model === 'lexicon' ? 'vader-sentiment' : 'lexicon';
  if (opts.baseline !== false) {
    baselineLabels = new Array(n).fill(null);
    for (const i of scoredIdx) {
      const s = model === 'lexicon' ? vaderSentiment(test.texts[i]) : scoreSentiment(test.texts[i], domain);
      baselineLabels[i] = s.label;
      baselinePolarity[i] = s.compound;
    }
  }
  const base: EvalBase = {
    test: opts.test,
    ...(opts.train !== undefined && model !== 'lexicon' ? { train: opts.train } : {}),
    model,
    lexicon: lexiconModelName(domain),
    n: test.texts.length,
    postsPerSecond: Math.round(scoredIdx.length / Math.max(seconds, 1e-9)),
    ...(languageSeconds !== undefined ? { languageSeconds } : {}),
    ...(trainSeconds !== undefined ? { trainSeconds } : {}),
    ...(backend !== undefined ? { backend } : {}),
    notScored: n - scoredIdx.length,
    notScoredLanguages: { ...notScoredLanguages },
  };
  if ('labels' in test) {
    const figures = (pred: readonly (SentimentLabel | null)[]) => {
      const m = classificationMetrics(test.labels, pred, sentimentLabels);
      return {
        macroRecall: round(m.macroRecall),
        macroF1: round(m.macroF1),
        accuracy: round(m.accuracy),
        // null: no row of the test file has the label
        perClassRecall: {
          negative: roundOrNull(m.perClassRecall.negative),
          neutral: roundOrNull(m.perClassRecall.neutral),
          positive: roundOrNull(m.perClassRecall.positive),
        },
      };
    };
    if (baselineLabels !== null) base.baseline = { name: baselineName, ...figures(baselineLabels) };
    return { kind: 'labels', ...base, ...figures(predicted) };
  }
  const gold = scoredIdx.map((i) => test.scores[i]);
  const r = (pol: Float64Array) =>
    round(
      pearson(
        Float64Array.from(scoredIdx, (i) => pol[i]),
        gold,
      ),
    );
  if (baselineLabels !== null) base.baseline = { name: baselineName, pearson: r(baselinePolarity) };
  return { kind: 'scores', ...base, pearson: r(polarity) };
}

function formatText(r: SentimentEvalResult): string {
  const lines = [
    `sentiment (${r.model}, ${r.lexicon}) on ${r.test}: ${r.n} posts${r.train ? `, trained on ${r.train} in ${r.trainSeconds}s${r.backend ? ` (TensorFlow.js ${r.backend} backend)` : ''}` : ''}`,
  ];
  if (r.kind === 'labels') {
    lines.push(
      `macro recall  ${r.macroRecall}`,
      `macro F1      ${r.macroF1}`,
      `accuracy      ${r.accuracy}`,
      `recall        ${sentimentLabels.map((l) => `${l} ${r.perClassRecall[l] ?? 'n/a (no row labelled so)'}`).join(', ')}`,
    );
  } else {
    lines.push(`pearson r     ${r.pearson}`);
  }
  if (r.baseline !== undefined) {
    const b = r.baseline;
    lines.push(
      'macroRecall' in b
        ? `baseline      ${b.name}: macro recall ${b.macroRecall}, macro F1 ${b.macroF1}, accuracy ${b.accuracy} (same posts, same run)`
        : `baseline      ${b.name}: pearson r ${b.pearson} (same posts, same run)`,
    );
  }
  if (r.notScored > 0) {
    const langs = Object.entries(r.notScoredLanguages)
      .sort((a, b) => b[1] - a[1])
      .map(([l, c]) => `${l} ${c}`)
      .join(', ');
    lines.push(`not scored    ${r.notScored} (no sentiment model for their language: ${langs}; counted as misses)`);
  }
  lines.push(`posts/second  ${r.postsPerSecond}`);
  return lines.join('\n') + '\n';
}

export function registerSentimentEval(evalCmd: Command): void {
  evalCmd
    .command('sentiment')
    .description('score posts with known sentiment; print macro recall, macro F1, accuracy (or Pearson r for a score column) and posts/second')
    .requiredOption('--test <file>', 'TSV/CSV with a text column and a label (negative|neutral|positive) or numeric score (or score5) column')
    .option('--train <file>', 'TSV/CSV with text and label columns to train the classifier on')
    .option('--model <name>', 'lexicon, trained (linear classifier) or neural (TensorFlow.js network) (default: trained when --train is given, else lexicon)')
    .option('--seed <n>', 'training seed (default 1)')
    .option('--lexicon <file>', 'domain lexicon: extra words with valences (one "word<TAB>valence" per line, VADER scale -4..4) used by the lexicon')
    .option('--no-baseline', 'skip the baseline (vader-sentiment for the lexicon, the lexicon for trained models) on the same posts')
    .option(
      '--all-languages',
      'score every post with the English models, whatever its language (default: like the pipeline, posts in other languages are not scored)',
    )
    .option('--json', 'print one JSON object')
    .action(
      async (o: {
        test: string;
        train?: string;
        model?: string;
        seed?: string;
        allLanguages?: boolean;
        baseline?: boolean;
        lexicon?: string;
        json?: boolean;
      }) => {
        if (o.seed !== undefined && !Number.isInteger(Number(o.seed))) throw new Error(`--seed must be an integer, got ${o.seed}`);
        const result = await evaluateSentiment({
          test: o.test,
          train: o.train,
          model: o.model as SentimentModelKind | undefined,
          seed: o.seed === undefined ? undefined : Number(o.seed),
          allLanguages: o.allLanguages === true,
          baseline: o.baseline !== false,
          lexicon: o.lexicon ?? (process.env.SOCIALSENSE_LEXICON?.trim() || undefined),
        });
        printEval(result, o.json, formatText);
      },
    );
}
