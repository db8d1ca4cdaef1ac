/**
 * `eval engagement`: next-day engagement prediction on the simulated source. The logistic model is
 * trained on every feature day before the last `--test-days` labelled days and scored there by
 * AUC, beside the two baselines of the same run on the same examples ("engaged yesterday" and
 * "engagements in the last 7 days") and chance (0.5). No stack needed.
 */
import type { Command } from 'commander';
import { printEval } from './output';
import { intOption, simulatedUsers } from './simulatedUsers';
import { evaluateEngagementPrediction } from '../../models/users/engagement';

export interface EngagementEvalOptions {
  seed?: number;
  users?: number;
  days?: number;
  posts?: number;
  testDays?: number;
}

export interface EngagementEvalResult {
  source: 'simulated';
  model: 'logistic';
  auc: number;
  baselines: { engagedYesterday: number; recentActivity: number; chance: 0.5 };
  /** the standardised coefficient of each feature: what drives the prediction */
  coefficients: Record<string, number>;
  trainExamples: number;
  testExamples: number;
  testPositiveRate: number;
  testDays: number;
  users: number;
  posts: number;
  engagements: number;
  seed: number;
  days: number;
  postsPerDay: number;
  seconds: number;
}

const round = (x: number, digits = 4) => Number(x.toFixed(digits));

export function evaluateEngagement(opts: EngagementEvalOptions = {}): EngagementEvalResult {
  const seed = intOption('seed', opts.seed, 42, 0);
  const users = intOption('users', opts.users, 300, 10, 100_000);
  const days = intOption('days', opts.days, 21, 4, 366);
  const postsPerDay = intOption('posts', opts.posts, 500, 10, 1_000_000);
  // at least one training day and one labelled test day must remain
  const testDays = intOption('test-days', opts.testDays, Math.min(7, Math.floor((days - 2) / 2)), 1, days - 3);
  const t0 = performance.now();
  const sim = simulatedUsers({ seed, users, days, postsPerDay });
  const { evaluation } = evaluateEngagementPrediction(sim.activity, { testDays });
  return {
    source: 'simulated',
    model: 'logistic',
    auc: round(evaluation.auc),
    baselines: { engagedYesterday: round(evaluation.baseline.engagedYesterday), recentActivity: round(evaluation.baseline.recentActivity), chance: 0.5 },
    coefficients: Object.fromEntries(Object.entries(evaluation.coefficients).map(([k, v]) => [k, round(v)])),
    trainExamples: evaluation.trainExamples,
    testExamples: evaluation.testExamples,
    testPositiveRate: round(evaluation.testPositiveRate),
    testDays,
    users: sim.activity.users.length,
    posts: sim.posts,
    engagements: sim.engagements,
    seed,
    days,
    postsPerDay,
    seconds: round((performance.now() - t0) / 1000, 2),
  };
}

function formatText(r: EngagementEvalResult): string {
  return (
    [
      `engagement on the simulated source (seed ${r.seed}, ${r.days} days, ${r.postsPerDay} posts/day): ${r.users} users, ${r.posts} posts, ${r.engagements} engagements`,
      `forward-in-time split: trained on ${r.trainExamples} user-days, scored on the last ${r.testDays} days (${r.testExamples} user-days, ${(r.testPositiveRate * 100).toFixed(1)}% engaged)`,
      '',
      '                          AUC',
      `logistic regression       ${r.auc.toFixed(4)}`,
      `engaged yesterday         ${r.baselines.engagedYesterday.toFixed(4)}`,
      `engagements last 7 days   ${r.baselines.recentActivity.toFixed(4)}`,
      `chance                    ${r.baselines.chance.toFixed(4)}`,
      '',
      `coefficients: ${Object.entries(r.coefficients).map(([k, v]) => `${k} ${v}`).join(', ')}`,
      `seconds ${r.seconds}`,
    ].join('\n') + '\n'
  );
}

export function registerEngagementEval(evalCmd: Command): void {
  evalCmd
    .command('engagement')
    .description('predict next-day engagement on the simulated source; print AUC on the last days beside the baselines of the same run')
    .option('--seed <n>', 'simulation seed (default 42)')
    .option('--users <n>', 'simulated users (default 300)')
    .option('--days <n>', 'simulated days (default 21)')
    .option('--posts <n>', 'simulated posts per day (default 500)')
    .option('--test-days <n>', 'last labelled days held out (default min(7, (days - 2) / 2))')
    .option('--json', 'print one JSON object')
    .action((o: { seed?: string; users?: string; days?: string; posts?: string; testDays?: string; json?: boolean }) => {
      const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
      printEval(evaluateEngagement({ seed: num(o.seed), users: num(o.users), days: num(o.days), posts: num(o.posts), testDays: num(o.testDays) }), o.json, formatText);
    });
}
