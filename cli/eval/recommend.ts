/**
 * `eval recommend`: a recommender (EASE with recency-weighted histories by default, or implicit
 * ALS) against the popularity baseline on a time-ordered split of an interaction CSV (each user's
 * latest 20% held out), reporting NDCG@10, Recall@10 and catalogue coverage for both, and their
 * NDCG ratio.
 *
 * EASE's λ, item threshold and recency half-life are tuned in the same run on a validation split
 * carved from the TRAINING part only (each user's latest 20% of their training items); the test
 * split is scored once, with the chosen parameters. Parameters given on the command line are
 * fixed instead of tuned; `--no-tune` uses the defaults.
 *
 * Column roles are found by name, so MovieLens (`userId,movieId,rating,timestamp`) and the
 * pipeline's engagement exports (`user_id,post_id,weight,at`) both load as they are. Ratings are
 * treated as implicit feedback: a rating says the user watched the movie, and its value only
 * scales the confidence.
 */
import { printEval } from './output';
import type { Command } from 'commander';
import { readTable } from '../../lib/tabular';
import { DEFAULT_ALS_OPTIONS } from '../../models/recommend/als';
import { DEFAULT_EASE_OPTIONS, type EaseParams } from '../../models/recommend/ease';
import {
  compareWithPopularity,
  DEFAULT_EASE_GRID,
  indexInteractions,
  timeOrderedSplit,
  tuneEase,
  type EaseTuning,
  type Interaction,
  type InteractionLog,
  type RankingMetrics,
  type RecommenderMethod,
} from '../../models/recommend/evaluate';

export interface RecommendEvalOptions {
  /** CSV/TSV (optionally .gz) with user and item columns, optional weight and timestamp columns */
  data: string;
  /** 'ease' (default) or 'als' */
  method?: RecommenderMethod;
  /** EASE: fixed instead of tuned when given */
  lambda?: number;
  minItemCount?: number;
  /** EASE: at most this many items are modelled (the most engaged-with; default 1000) */
  maxItems?: number;
  /** EASE: half-life in history items; null = no recency weighting */
  halfLife?: number | null;
  /** EASE: false = use the defaults (or the given values) without tuning (default true) */
  tune?: boolean;
  factors?: number;
  iterations?: number;
  regularization?: number;
  alpha?: number;
  /** share of each user's latest items held out (default 0.2) */
  holdout?: number;
  seed?: number;
}

export interface RecommendMetrics {
  ndcg10: number;
  recall10: number;
  coverage: number;
}

export interface RecommendEvalResult extends RecommendMetrics {
  data: string;
  model: RecommenderMethod;
  baseline: RecommendMetrics;
  /** model NDCG@10 / popularity NDCG@10, both from this run */
  ratio: number;
  /** the parameters the reported model was fitted with (tuned or given) */
  params: Record<string, number | string | null>;
  /** how EASE was tuned (null for ALS or --no-tune): validation split, grid with validation NDCG@10, choice */
  tuning: (Omit<EaseTuning, 'best'> & { best: EaseParams }) | null;
  users: number;
  items: number;
  interactions: number;
  trainInteractions: number;
  testInteractions: number;
  /** users with at least one held-out item: the metrics are their mean */
  evaluatedUsers: number;
  factors: number;
  iterations: number;
  regularization: number;
  alpha: number;
  holdout: number;
  seed: number;
  /** the column each role was read from */
  columns: { user: string; item: string; weight: string | null; time: string | null };
  /** wall-clock seconds of fitting the reported model only (tuning not included) */
  trainSeconds: number;
  /** wall-clock seconds of tuning on the validation split (0 when not tuned) */
  tuneSeconds: number;
  /** wall-clock seconds of the whole evaluation: reading, splitting, training, scoring (the machine may be shared) */
  seconds: number;
  /** CPU seconds of this process over the same span */
  cpuSeconds: number;
}

/** Accepted header names per role; matching ignores case, '_', '-' and spaces (so user_id = userId = UserID). */
export const COLUMN_ROLES = {
  user: ['user', 'userId', 'uid'],
  item: ['item', 'itemId', 'movieId', 'postId', 'movie', 'post'],
  weight: ['weight', 'rating', 'value', 'score', 'count'],
  time: ['timestamp', 'ts', 'time', 'at', 'createdAt', 'date'],
} as const;

const canonical = (name: string) => name.toLowerCase().replace(/[_\-\s]/g, '');

/** Maps each role to the first header column whose name is one of the role's names. */
export function detectColumns(file: string, header: string[]): RecommendEvalResult['columns'] {
  const find = (role: keyof typeof COLUMN_ROLES) => header.find((h) => COLUMN_ROLES[role].some((name) => canonical(name) === canonical(h))) ?? null;
  const user = find('user');
  const item = find('item');
  const missing = [
    user === null ? `a user column (${COLUMN_ROLES.user.join(', ')}, user_id…)` : null,
    item === null ? `an item column (${COLUMN_ROLES.item.join(', ')}, item_id, post_id…)` : null,
  ].filter(Boolean);
  if (missing.length > 0) throw new Error(`${file}: needs ${missing.join(' and ')}; the header has: ${header.join(', ')}`);
  return { user: user!, item: item!, weight: find('weight'), time: find('time') };
}

function parseTime(value: string): number {
  const v = value.trim();
  if (v !== '' && Number.isFinite(Number(v))) return Number(v);
  return Date.parse(v);
}

/** Reads an interaction file; without a timestamp column the row order is the time order. */
export async function loadInteractions(file: string): Promise<{ log: InteractionLog; columns: RecommendEvalResult['columns'] }> {
  let columns: RecommendEvalResult['columns'] | null = null;
  const rows: Interaction[] = [];
  let line = 1;
  for await (const row of readTable(file)) {
    line++;
    columns ??= detectColumns(file, Object.keys(row));
    const user = (row[columns.user] ?? '').trim();
    const item = (row[columns.item] ?? '').trim();
    if (user === '' || item === '') throw new Error(`${file}: line ${line} has an empty ${user === '' ? columns.user : columns.item}`);
    const interaction: Interaction = { user, item };
    if (columns.weight !== null) {
      const w = Number(row[columns.weight]);
      if (!Number.isFinite(w)) throw new Error(`${file}: line ${line}: ${columns.weight} must be a number, got ${JSON.stringify(row[columns.weight])}`);
      interaction.weight = w;
    }
    if (columns.time !== null) {
      const t = parseTime(row[columns.time] ?? '');
      if (!Number.isFinite(t)) {
        throw new Error(`${file}: line ${line}: ${columns.time} must be epoch seconds/ms or an ISO-8601 time, got ${JSON.stringify(row[columns.time])}`);
      }
      interaction.time = t;
    }
    rows.push(interaction);
  }
  if (!columns) throw new Error(`${file}: no data rows (is the file empty, or missing its header row?)`);
  return { log: indexInteractions(rows), columns };
}

function checkNumber(name: string, value: number, min: number, integer: boolean, max = Infinity): number {
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new Error(`--${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}${max < Infinity ? ` and <= ${max}` : ''}, got ${value}`);
  }
  return value;
}

const round = (x: number, digits = 4) => Number(x.toFixed(digits));
const metrics = (m: RankingMetrics): RecommendMetrics => ({ ndcg10: round(m.ndcg), recall10: round(m.recall), coverage: round(m.coverage) });

export async function evaluateRecommend(opts: RecommendEvalOptions): Promise<RecommendEvalResult> {
  const method = opts.method ?? 'ease';
  if (method !== 'ease' && method !== 'als') throw new Error(`--method must be ease or als, got ${JSON.stringify(method)}`);
  const factors = checkNumber('factors', opts.factors ?? DEFAULT_ALS_OPTIONS.factors, 1, true);
  const iterations = checkNumber('iterations', opts.iterations ?? DEFAULT_ALS_OPTIONS.iterations, 1, true);
  const regularization = checkNumber('regularization', opts.regularization ?? DEFAULT_ALS_OPTIONS.regularization, 0, false);
  const alpha = checkNumber('alpha', opts.alpha ?? DEFAULT_ALS_OPTIONS.alpha, 0, false);
  const holdout = checkNumber('holdout', opts.holdout ?? 0.2, 0.01, false, 0.99);
  const seed = checkNumber('seed', opts.seed ?? DEFAULT_ALS_OPTIONS.seed, 0, true);
  if (opts.lambda !== undefined) checkNumber('lambda', opts.lambda, Number.MIN_VALUE, false);
  if (opts.minItemCount !== undefined) checkNumber('min-item-count', opts.minItemCount, 1, true);
  if (opts.maxItems !== undefined) checkNumber('max-items', opts.maxItems, 1, true);
  if (opts.halfLife !== undefined && opts.halfLife !== null) checkNumber('half-life', opts.halfLife, Number.MIN_VALUE, false);
  const t0 = performance.now();
  const cpu = process.cpuUsage();
  const { log, columns } = await loadInteractions(opts.data);
  const splitOptions = { holdoutFraction: holdout };
  let tuning: EaseTuning | null = null;
  let ease: EaseParams = {
    ...DEFAULT_EASE_OPTIONS,
    ...(opts.lambda !== undefined ? { lambda: opts.lambda } : {}),
    ...(opts.minItemCount !== undefined ? { minItemCount: opts.minItemCount } : {}),
    ...(opts.maxItems !== undefined ? { maxItems: opts.maxItems } : {}),
    ...(opts.halfLife !== undefined ? { recencyHalfLife: opts.halfLife } : {}),
  };
  if (method === 'ease' && opts.tune !== false) {
    // a parameter given on the command line is a one-point grid
    tuning = tuneEase(log, timeOrderedSplit(log, splitOptions), {
      split: splitOptions,
      maxItems: ease.maxItems,
      grid: {
        lambda: opts.lambda !== undefined ? [opts.lambda] : DEFAULT_EASE_GRID.lambda,
        minItemCount: opts.minItemCount !== undefined ? [opts.minItemCount] : DEFAULT_EASE_GRID.minItemCount,
        recencyHalfLife: opts.halfLife !== undefined ? [opts.halfLife] : DEFAULT_EASE_GRID.recencyHalfLife,
      },
    });
    ease = tuning.best;
  }
  const r = compareWithPopularity(log, {
    method,
    als: { factors, iterations, regularization, alpha, seed },
    ease,
    split: splitOptions,
    k: 10,
  });
  const used = process.cpuUsage(cpu);
  if (r.model.users === 0) throw new Error(`${opts.data}: no user has 2 or more distinct items, so nothing can be held out for evaluation`);
  const params: RecommendEvalResult['params'] =
    method === 'ease' && 'itemThreshold' in r.recommender
      ? {
          lambda: ease.lambda,
          minItemCount: ease.minItemCount,
          maxItems: ease.maxItems,
          recencyHalfLife: ease.recencyHalfLife,
          values: ease.values,
          // what the caps came to on this data
          modelledItems: r.recommender.modelled.length,
          itemThreshold: r.recommender.itemThreshold,
        }
      : { factors, iterations, regularization, alpha, seed };
  return {
    data: opts.data,
    model: method,
    ...metrics(r.model),
    baseline: metrics(r.baseline),
    ratio: round(r.baseline.ndcg > 0 ? r.model.ndcg / r.baseline.ndcg : Infinity, 3),
    params,
    tuning: tuning && {
      ...tuning,
      grid: tuning.grid.map((g) => ({ ...g, ndcg: round(g.ndcg) })),
      popularityNdcg: round(tuning.popularityNdcg),
      seconds: round(tuning.seconds, 2),
    },
    users: r.users,
    items: r.items,
    interactions: r.interactions,
    trainInteractions: r.trainInteractions,
    testInteractions: r.testInteractions,
    evaluatedUsers: r.model.users,
    factors,
    iterations,
    regularization,
    alpha,
    holdout,
    seed,
    columns,
    trainSeconds: round(r.trainSeconds, 2),
    tuneSeconds: round(tuning?.seconds ?? 0, 2),
    seconds: round((performance.now() - t0) / 1000, 2),
    cpuSeconds: round((used.user + used.system) / 1e6, 2),
  };
}

/** One line naming the method and its parameters, e.g. for the bench's row label. */
export function describeRecommender(r: Pick<RecommendEvalResult, 'model' | 'params'>): string {
  const p = r.params;
  return r.model === 'ease'
    ? `EASE (λ ${p.lambda}, the ${p.modelledItems} items with ≥ ${p.itemThreshold} users, recency half-life ${p.recencyHalfLife === null ? 'off' : `${p.recencyHalfLife} items`})`
    : `ALS (${p.factors} factors, ${p.iterations} iterations, λ ${p.regularization}, α ${p.alpha})`;
}

function formatText(r: RecommendEvalResult): string {
  const name = r.model === 'ease' ? 'EASE' : 'ALS';
  const tuning = r.tuning
    ? [
        `tuned on a validation split: ${r.tuning.validation}; at most ${r.tuning.best.maxItems} items modelled; popularity there ${r.tuning.popularityNdcg.toFixed(4)} (${r.tuning.seconds} s)`,
        ...r.tuning.grid.map(
          (g) =>
            `  λ ${String(g.lambda).padEnd(5)} min users ${String(g.minItemCount).padEnd(3)} half-life ${String(g.recencyHalfLife ?? 'off').padEnd(4)}  ndcg10 ${g.ndcg.toFixed(4)}`,
        ),
      ]
    : [
        r.model === 'ease'
          ? 'not tuned: parameters as given (or the defaults)'
          : 'ALS: parameters as given (or the defaults, chosen on a nested validation split)',
      ];
  return (
    [
      `recommend on ${r.data}: ${r.users} users, ${r.items} items, ${r.interactions} interactions`,
      `time-ordered split: latest ${r.holdout * 100}% of each user's items held out (${r.testInteractions} interactions, ${r.evaluatedUsers} users)`,
      ...tuning,
      `model: ${describeRecommender(r)}`,
      '',
      '              ndcg10   recall10  coverage',
      `${name.padEnd(14)}${r.ndcg10.toFixed(4)}   ${r.recall10.toFixed(4)}    ${r.coverage.toFixed(4)}`,
      `popularity    ${r.baseline.ndcg10.toFixed(4)}   ${r.baseline.recall10.toFixed(4)}    ${r.baseline.coverage.toFixed(4)}`,
      `ratio (ndcg10 / popularity's): ${r.ratio}`,
      '',
      `seconds ${r.seconds} (fit ${r.trainSeconds}, tuning ${r.tuneSeconds}; cpu ${r.cpuSeconds})`,
    ].join('\n') + '\n'
  );
}

export function registerRecommendEval(evalCmd: Command): void {
  evalCmd
    .command('recommend')
    .description(
      'train a recommender (EASE, or ALS) on the earlier interactions of each user; print NDCG@10, Recall@10 and coverage on the later ones, beside popularity and their ratio (EASE is tuned on a validation split of the training part)',
    )
    .requiredOption('--data <file>', 'CSV with user and item columns, optional weight/rating and timestamp columns')
    .option('--method <m>', 'ease (default) or als')
    .option('--lambda <x>', `EASE: L2 penalty, fixed instead of tuned (grid ${DEFAULT_EASE_GRID.lambda.join(', ')})`)
    .option('--min-item-count <n>', `EASE: model only items with at least n training users (default ${DEFAULT_EASE_OPTIONS.minItemCount})`)
    .option('--max-items <n>', `EASE: model at most the n items with the most users (default ${DEFAULT_EASE_OPTIONS.maxItems})`)
    .option(
      '--half-life <n|off>',
      `EASE: recency half-life in history items, or off (grid ${DEFAULT_EASE_GRID.recencyHalfLife.map((h) => h ?? 'off').join(', ')})`,
    )
    .option('--no-tune', 'EASE: use the defaults (or the given values) without tuning')
    .option('--factors <n>', `ALS: latent factors (default ${DEFAULT_ALS_OPTIONS.factors})`)
    .option('--iterations <n>', `ALS: sweeps (default ${DEFAULT_ALS_OPTIONS.iterations})`)
    .option('--regularization <x>', `ALS: L2 penalty (default ${DEFAULT_ALS_OPTIONS.regularization})`)
    .option('--alpha <x>', `ALS: confidence slope, c = 1 + alpha * weight (default ${DEFAULT_ALS_OPTIONS.alpha})`)
    .option('--holdout <share>', "share of each user's latest items held out (default 0.2)")
    .option('--seed <n>', 'ALS: random seed (default 1)')
    .option('--json', 'print one JSON object')
    .action(
      async (o: {
        data: string;
        method?: string;
        lambda?: string;
        minItemCount?: string;
        maxItems?: string;
        halfLife?: string;
        tune?: boolean;
        factors?: string;
        iterations?: string;
        regularization?: string;
        alpha?: string;
        holdout?: string;
        seed?: string;
        json?: boolean;
      }) => {
        const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
        const result = await evaluateRecommend({
          data: o.data,
          method: o.method as RecommenderMethod | undefined,
          lambda: num(o.lambda),
          minItemCount: num(o.minItemCount),
          maxItems: num(o.maxItems),
          halfLife: o.halfLife === undefined ? undefined : o.halfLife === 'off' ? null : Number(o.halfLife),
          tune: o.tune,
          factors: num(o.factors),
          iterations: num(o.iterations),
          regularization: num(o.regularization),
          alpha: num(o.alpha),
          holdout: num(o.holdout),
          seed: num(o.seed),
        });
        printEval(result, o.json, formatText);
      },
    );
}
