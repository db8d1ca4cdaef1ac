/**
 * `eval engagement`: next-day engagement prediction on the simulated source. The logistic model is
 * trained on every feature day before the last `--test-days` labelled days and scored there by
 * AUC, beside the two baselines of the same run on the same examples ("engaged yesterday" and
 * "engagements in the last 7 days") and chance (0.5). No stack needed.
 */
import type { Command } from 'commander';
import { printEval } from './output';
import {
  addSimulationOptions,
  intOption,
  numberOption,
  simulatedUsers,
  simulationEvalOptions,
  simulationEvalRun,
  type SimulationEvalOptions,
  type SimulationEvalRun,
} from './simulatedUsers';
import { evaluateEngagementPrediction } from '../../models/users/engagement';

export interface EngagementEvalOptions extends SimulationEvalOptions {
  testDays?: number;
}

export interface EngagementEvalResult extends SimulationEvalRun {
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
}

const round = (x: number, digits = 4) => Number(x.toFixed(digits));

export function evaluateEngagement(opts: EngagementEvalOptions = {}): EngagementEvalResult {
  const { seed, users, days, postsPerDay } = simulationEvalOptions(opts, { fallback: 21, min: 4 });
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
    ...simulationEvalRun(sim, { seed, days, postsPerDay }, t0),
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
      `coefficients: ${Object.entries(r.coefficients)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
      `seconds ${r.seconds}`,
    ].join('\n') + '\n'
  );
}

export function registerEngagementEval(evalCmd: Command): void {
  addSimulationOptions(
    evalCmd
      .command('engagement')
      .description('predict next-day engagement on the simulated source; print AUC on the last days beside the baselines of the same run'),
    21,
  )
    .option('--test-days <n>', 'last labelled days held out (default min(7, (days - 2) / 2))')
    .option('--json', 'print one JSON object')
    .action((o: { seed?: string; users?: string; days?: string; posts?: string; testDays?: string; json?: boolean }) => {
      printEval(
        evaluateEngagement({
          seed: numberOption(o.seed),
          users: numberOption(o.users),
          days: numberOption(o.days),
          posts: numberOption(o.posts),
          testDays: numberOption(o.testDays),
        }),
        o.json,
        formatText,
      );
    });
}
