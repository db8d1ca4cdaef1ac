/**
 * `eval segments`: user segmentation on the simulated source, scored against the segments the
 * generator planted (creator, casual, lurker, bot). Prints the adjusted Rand index (ARI: 1 =
 * the planted partition, about 0 = chance) and the silhouette of the model (k-means, k chosen by
 * silhouette) beside two baselines from the same run on the same users: an analyst's split of
 * the users into k activity quantiles, and a seeded random assignment (chance). No stack needed.
 */
import type { Command } from 'commander';
import { printEval } from './output';
import {
  addSimulationOptions,
  numberOption,
  simulatedUsers,
  simulationEvalOptions,
  simulationEvalRun,
  type SimulationEvalOptions,
  type SimulationEvalRun,
} from './simulatedUsers';
import { adjustedRandIndex } from '../../models/eval/clustering';
import { createRng } from '../../models/random';
import { activityQuantileSegments, segmentProfiles, SEGMENT_FEATURES, silhouetteScore, standardizeRows } from '../../models/users/segments';

export type SegmentsEvalOptions = SimulationEvalOptions;

export interface SegmentFigures {
  ari: number;
  silhouette: number;
}

export interface SegmentsEvalResult extends SegmentFigures, SimulationEvalRun {
  source: 'simulated';
  model: 'kmeans';
  k: number;
  names: string[];
  sizes: number[];
  silhouetteByK: Record<number, number>;
  /**
   * ARI of k-means with each k fixed (same seed): how much of the planted structure the features
   * carry, and what choosing k by silhouette costs or gains
   */
  ariByK: Record<number, number>;
  baselines: { activityQuantiles: SegmentFigures; random: SegmentFigures };
  /** users with a profile (the ARI is over them) and the planted segment counts among them */
  users: number;
  planted: Record<string, number>;
}

const round = (x: number, digits = 4) => Number(x.toFixed(digits));

export function evaluateSegments(opts: SegmentsEvalOptions = {}): SegmentsEvalResult {
  const { seed, users, days, postsPerDay } = simulationEvalOptions(opts, { fallback: 7, min: 1 });
  const t0 = performance.now();
  const sim = simulatedUsers({ seed, users, days, postsPerDay });
  const profiles = sim.profiles;
  const truth = profiles.map((p) => sim.planted.get(p.userId) ?? 'unknown');
  const seg = segmentProfiles(profiles, { seed: 1 });
  const d = SEGMENT_FEATURES.length;
  const x = standardizeRows(
    profiles.map((p) => SEGMENT_FEATURES.map((f) => f.value(p) ?? NaN)),
    SEGMENT_FEATURES,
    seg.standardization,
  );
  const figures = (assign: Int32Array, k: number): SegmentFigures => ({
    ari: round(adjustedRandIndex(truth, assign)),
    silhouette: round(k > 1 ? silhouetteScore(x, profiles.length, d, assign, k, { seed: 1 }) : 0),
  });
  const rng = createRng(seed + 1);
  const random = Int32Array.from(profiles, () => rng.int(seg.k));
  const planted: Record<string, number> = {};
  for (const t of truth) planted[t] = (planted[t] ?? 0) + 1;
  return {
    source: 'simulated',
    model: 'kmeans',
    ...figures(seg.assignments, seg.k),
    k: seg.k,
    names: seg.names,
    sizes: seg.sizes,
    silhouetteByK: Object.fromEntries(Object.entries(seg.silhouetteByK).map(([k, v]) => [k, round(v)])),
    ariByK: Object.fromEntries(
      Object.keys(seg.silhouetteByK).map((k) => [
        k,
        round(adjustedRandIndex(truth, segmentProfiles(profiles, { seed: 1, kMin: Number(k), kMax: Number(k) }).assignments)),
      ]),
    ),
    baselines: { activityQuantiles: figures(activityQuantileSegments(x, profiles.length, SEGMENT_FEATURES, seg.k), seg.k), random: figures(random, seg.k) },
    users: profiles.length,
    planted,
    ...simulationEvalRun(sim, { seed, days, postsPerDay }, t0),
  };
}

function formatText(r: SegmentsEvalResult): string {
  return (
    [
      `segments on the simulated source (seed ${r.seed}, ${r.days} days, ${r.postsPerDay} posts/day): ${r.users} users with a profile, ${r.posts} posts, ${r.engagements} engagements`,
      `planted: ${Object.entries(r.planted)
        .map(([s, n]) => `${s} ${n}`)
        .join(', ')}`,
      `k-means chose k = ${r.k} by silhouette (${Object.entries(r.silhouetteByK)
        .map(([k, s]) => `${k}: ${s}`)
        .join(', ')})`,
      `segments: ${r.names.map((n, i) => `${n} (${r.sizes[i]})`).join(', ')}`,
      `ARI had k been fixed: ${Object.entries(r.ariByK)
        .map(([k, a]) => `${k}: ${a}`)
        .join(', ')}`,
      '',
      '                      ARI      silhouette',
      `k-means               ${r.ari.toFixed(4)}   ${r.silhouette.toFixed(4)}`,
      `activity quantiles    ${r.baselines.activityQuantiles.ari.toFixed(4)}   ${r.baselines.activityQuantiles.silhouette.toFixed(4)}`,
      `random (chance)       ${r.baselines.random.ari.toFixed(4)}   ${r.baselines.random.silhouette.toFixed(4)}`,
      '',
      `seconds ${r.seconds}`,
    ].join('\n') + '\n'
  );
}

export function registerSegmentsEval(evalCmd: Command): void {
  addSimulationOptions(
    evalCmd
      .command('segments')
      .description('segment the simulated users; print ARI against the planted segments and silhouette, beside activity-quantile and random baselines'),
    7,
  )
    .option('--json', 'print one JSON object')
    .action((o: { seed?: string; users?: string; days?: string; posts?: string; json?: boolean }) => {
      printEval(
        evaluateSegments({ seed: numberOption(o.seed), users: numberOption(o.users), days: numberOption(o.days), posts: numberOption(o.posts) }),
        o.json,
        formatText,
      );
    });
}
